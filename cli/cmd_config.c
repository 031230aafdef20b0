/* SPDX-License-Identifier: MIT */
/*
 * cmd_config.c — `ltl config`: list the resolved keys (with where each
 * value came from), get one, set or unset one in a config file layer.
 */
#include "cli.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

struct list_ctx {
    bool origin;
    bool help;
    const char *checkpoint_origin; /* the store's, when checkpoint.origin is empty */
};

/* checkpoint.origin is empty by default, which means ltl/<store id>: what a user
 * sees is the origin in effect, so ask the store (read-only) for it. LTL_OK with
 * out filled; otherwise the store cannot be opened (no store yet: LTL_ENOTFOUND),
 * and *db_out keeps the handle for its message (the caller closes it). */
static int store_origin(struct cli *cli, char out[LTL_CHECKPOINT_ORIGIN_MAX], ltl_db **db_out)
{
    ltl_options opts;
    ltl_options_init(&opts);
    opts.flags = LTL_OPEN_READONLY;
    opts.config = cli->config;
    ltl_db *db = NULL;
    int rc = ltl_open(&db, cli->store, &opts);
    if (rc == LTL_OK)
        rc = ltl_checkpoint_origin(out, LTL_CHECKPOINT_ORIGIN_MAX, db);
    *db_out = db;
    return rc;
}

static int print_key(void *vctx, const char *key, const char *value, const char *origin,
                     const char *help)
{
    struct list_ctx *c = vctx;
    if (strcmp(key, "checkpoint.origin") == 0 && !value[0] && c->checkpoint_origin)
        value = c->checkpoint_origin;
    if (c->origin)
        printf("%-20s %-12s %s\n", key, value[0] ? value : "\"\"", origin);
    else
        printf("%s = %s\n", key, value);
    if (c->help)
        printf("    %s\n", help);
    return 0;
}

/* value with each key file named by its absolute path: one file, or with
 * `list` several separated by commas. NULL when out of memory, or with *bad
 * (the caller frees it; errno says why) naming a file that cannot be found. */
static char *abs_key_files(const char *value, bool list, const char **bad)
{
    *bad = NULL;
    size_t cap = strlen(value) + 1, n = 0;
    char *out = malloc(cap);
    if (out)
        out[0] = '\0';
    for (const char *p = value; out && *p;) {
        size_t len = list ? strcspn(p, ",") : strlen(p);
        char *item = strndup(p, len), abs_path[PATH_MAX];
        const char *use = item;
        if (item && item[0] != '/' && !(use = realpath(item, abs_path))) {
            *bad = item;
            free(out);
            return NULL;
        }
        size_t ulen = use ? strlen(use) : 0;
        char *grown = use ? realloc(out, cap += ulen + 1) : NULL;
        if (!grown) {
            free(item);
            free(out);
            return NULL;
        }
        out = grown;
        n += (size_t)sprintf(out + n, "%s%s", n ? "," : "", use);
        free(item);
        p += len + (p[len] == ',');
    }
    return out;
}

/* Say what a lenient load left out (stderr, even with -q: it is why other
 * commands fail). */
static void warn_skipped(struct cli *cli, const ltl_config *cfg, bool after_change)
{
    const char *w = ltl_config_warnings(cfg);
    if (!w[0])
        return;
    for (const char *line = w; *line;) {
        const char *nl = strchr(line, '\n');
        int n = nl ? (int)(nl - line) : (int)strlen(line);
        cli_fail(cli, 0, "warning: %.*s", n, line);
        line += n + (nl != NULL);
    }
    fprintf(stderr,
            "(%s; every other command refuses this configuration until it is fixed: 'ltl "
            "config set KEY VALUE', 'ltl config unset KEY', or an editor)\n",
            after_change ? "still wrong" : "left out of the list");
}

/* After set or unset: load the configuration again and say what is still wrong. */
static int warn_remaining(struct cli *cli, const char *flags)
{
    ltl_config *cfg = NULL;
    int rc =
        ltl_config_load(&cfg, cli->store, cli->config, flags[0] ? flags : NULL, LTL_CONFIG_LENIENT);
    int code = EXIT_OK;
    if (rc)
        code = cli_fail_rc(cli, rc, cfg ? ltl_config_errmsg(cfg) : NULL, "configuration");
    else
        warn_skipped(cli, cfg, true);
    ltl_config_free(cfg);
    return code;
}

static int config_run(struct cli *cli, int argc, char **argv)
{
    enum { O_ORIGIN = 1, O_HELP_KEYS, O_SYSTEM, O_USER, O_STORE };
    static const struct cli_opt opts[] = {
        {"origin", 0, false, O_ORIGIN},    {"describe", 'd', false, O_HELP_KEYS},
        {"system", 0, false, O_SYSTEM},    {"user", 0, false, O_USER},
        {"store-file", 0, false, O_STORE}, {NULL, 0, false, 0},
    };
    struct list_ctx lc = {false, false, NULL};
    int layer = LTL_CONFIG_FILE_STORE;
    const char *pos[3];
    int npos = 0;
    struct cli_args it = {argc, argv, 1, NULL, false};
    const char *arg;
    int id;
    while ((id = cli_next(cli, &it, opts, &arg)) != CLI_END) {
        switch (id) {
        case O_ORIGIN:
            lc.origin = true;
            break;
        case O_HELP_KEYS:
            lc.help = true;
            break;
        case O_SYSTEM:
            layer = LTL_CONFIG_FILE_SYSTEM;
            break;
        case O_USER:
            layer = LTL_CONFIG_FILE_USER;
            break;
        case O_STORE:
            layer = LTL_CONFIG_FILE_STORE;
            break;
        case CLI_HELP:
            cli_usage(&cmd_config);
            return EXIT_OK;
        case CLI_POSITIONAL:
            if (npos == 3)
                return cli_usage_error(cli, "unexpected argument '%s'", arg);
            pos[npos++] = arg;
            break;
        default:
            return EXIT_USAGE;
        }
    }
    const char *action = npos ? pos[0] : "list";
    char flags[64] = "";
    if (cli->durability != LTL_DURABILITY_DEFAULT)
        snprintf(flags, sizeof(flags), "durability=%s", ltl_durability_name(cli->durability));
    /* A bad line must not block the commands that fix it: list, set and unset
     * load leniently and say what they left out; get answers only from a
     * configuration that other commands accept. */
    bool get = strcmp(action, "get") == 0;
    ltl_config *cfg = NULL;
    char *abs_value = NULL;
    int rc = ltl_config_load(&cfg, cli->store, cli->config, flags[0] ? flags : NULL,
                             get ? 0 : LTL_CONFIG_LENIENT);
    int code = EXIT_OK;
    if (rc &&
        !(strcmp(action, "files") == 0 && cfg && ltl_config_file(cfg, LTL_CONFIG_FILE_STORE))) {
        code = cli_fail_rc(cli, rc, cfg ? ltl_config_errmsg(cfg) : NULL, "configuration");
        if (rc == LTL_ECONFIG && get)
            fprintf(stderr, "(every command but 'ltl config list/set/unset' refuses this "
                            "configuration until it is fixed)\n");
        goto out;
    }
    if (strcmp(action, "list") == 0)
        warn_skipped(cli, cfg, false);
    char origin[LTL_CHECKPOINT_ORIGIN_MAX];
    ltl_db *db = NULL;
    if (strcmp(action, "list") == 0 && npos <= 1) {
        if (!ltl_config_get(cfg, "checkpoint.origin")[0] && store_origin(cli, origin, &db) == 0)
            lc.checkpoint_origin = origin;
        ltl_close(db);
        ltl_config_foreach(cfg, print_key, &lc);
    } else if (get && npos == 2) {
        const char *v = ltl_config_get(cfg, pos[1]);
        if (!v) {
            code = cli_fail(cli, EXIT_CONFIG, "unknown config key '%s' (see 'ltl config list')",
                            pos[1]);
            goto out;
        }
        if (strcmp(pos[1], "checkpoint.origin") == 0 && !v[0]) {
            if ((rc = store_origin(cli, origin, &db)) == LTL_ENOTFOUND) {
                const char *file = ltl_config_file(cfg, LTL_CONFIG_FILE_STORE);
                code = cli_fail(cli, EXIT_NOTFOUND,
                                "checkpoint.origin is not set, so checkpoints are named "
                                "ltl/<store id>, and there is no store at %.*s yet",
                                (int)(strlen(file) - strlen("/config")), file);
            } else if (rc) {
                code = cli_fail_rc(cli, rc, db ? ltl_errmsg(db) : NULL, "cannot open store");
            }
            ltl_close(db);
            if (rc)
                goto out;
            v = origin;
        }
        printf("%s\n", v);
    } else if (strcmp(action, "set") == 0 && npos == 3) {
        /* a key file named relative to here is stored by its absolute path
         * (keys.read may list several, separated by commas) */
        if (strncmp(pos[1], "keys.", 5) == 0 && pos[2][0]) {
            const char *bad = NULL;
            if (!(abs_value = abs_key_files(pos[2], strcmp(pos[1], "keys.read") == 0, &bad))) {
                code = bad ? cli_fail(cli, EXIT_NOTFOUND, "%s: %s", bad, strerror(errno))
                           : cli_fail(cli, EXIT_FAILURE_, "out of memory");
                free((void *)bad);
                goto out;
            }
            pos[2] = abs_value;
        }
        if ((rc = ltl_config_write(cfg, layer, pos[1], pos[2]))) {
            code = cli_fail_rc(cli, rc, ltl_config_errmsg(cfg), "cannot set");
            goto out;
        }
        cli_note(cli, "%s = %s written to %s", pos[1], pos[2], ltl_config_file(cfg, layer));
        code = warn_remaining(cli, flags);
    } else if (strcmp(action, "unset") == 0 && npos == 2) {
        if ((rc = ltl_config_write(cfg, layer, pos[1], NULL))) {
            code = cli_fail_rc(cli, rc, ltl_config_errmsg(cfg), "cannot unset");
            goto out;
        }
        cli_note(cli, "%s removed from %s", pos[1], ltl_config_file(cfg, layer));
        code = warn_remaining(cli, flags);
    } else if (strcmp(action, "files") == 0 && npos == 1) {
        printf("system: %s\nuser:   %s\nstore:  %s\n", ltl_config_file(cfg, LTL_CONFIG_FILE_SYSTEM),
               ltl_config_file(cfg, LTL_CONFIG_FILE_USER)
                   ? ltl_config_file(cfg, LTL_CONFIG_FILE_USER)
                   : "(no HOME)",
               ltl_config_file(cfg, LTL_CONFIG_FILE_STORE));
    } else {
        code = cli_usage_error(cli, "expected: list | get KEY | set KEY VALUE | unset KEY | files");
    }
out:
    free(abs_value);
    ltl_config_free(cfg);
    return code;
}

const struct cli_command cmd_config = {
    "config", config_run, "show or change configuration keys",
    "usage: ltl config [list] [--origin] [--describe]\n"
    "       ltl config get KEY\n"
    "       ltl config set [--store-file|--user|--system] KEY VALUE\n"
    "       ltl config unset [--store-file|--user|--system] KEY\n"
    "       ltl config files\n"
    "\n"
    "Keys are resolved from, lowest first: built-in defaults, /etc/ltl/config,\n"
    "$XDG_CONFIG_HOME/ltl/config, STORE/config, LTL_* environment variables\n"
    "(durability -> LTL_DURABILITY, sync.interval -> LTL_SYNC_INTERVAL),\n"
    "--config k=v,..., and flags such as --paranoid.\n"
    "\n"
    "  list             every key with its resolved value (the default action)\n"
    "      --origin     and the layer it came from\n"
    "  -d, --describe   and what it means\n"
    "  get KEY          print one value\n"
    "  set KEY VALUE    write it into a config file: the store's (default),\n"
    "                   --user (~/.config/ltl/config) or --system (/etc/ltl/config)\n"
    "  unset KEY        remove it from that file (a misspelt key too)\n"
    "  files            the paths of the three config files\n"
    "\n"
    "A value is checked as every command checks it when it loads the file, so set\n"
    "refuses what they would refuse. A bad line in a config file makes every\n"
    "command refuse the configuration (exit code 11) but list, set and unset: they\n"
    "warn about it, leave it out and work, so that it can be fixed. get and list\n"
    "show checkpoint.origin as it is in effect: ltl/<store id> when it is empty.\n"};
