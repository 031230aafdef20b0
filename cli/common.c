/* SPDX-License-Identifier: MIT */
/*
 * common.c — the pieces every ltl command uses: the option parser (long
 * and short options, "--name=value", global options anywhere), error
 * reporting, exit codes, opening the store, argument parsing helpers.
 */
#include "cli.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

volatile int cli_interrupted;

enum {
    G_STORE = -100,
    G_CONFIG,
    G_FORGETFUL,
    G_CASUAL,
    G_SAFE,
    G_PARANOID,
    G_VERBOSE,
    G_QUIET,
    G_HELP,
    G_BIND,
};

static const struct cli_opt global_opts[] = {
    {"store", 0, true, G_STORE},
    {"config", 0, true, G_CONFIG},
    {"forgetful", 0, false, G_FORGETFUL},
    {"casual", 0, false, G_CASUAL},
    {"safe", 0, false, G_SAFE},
    {"paranoid", 0, false, G_PARANOID},
    {"verbose", 'v', false, G_VERBOSE},
    {"quiet", 'q', false, G_QUIET},
    {"help", 'h', false, G_HELP},
    {"bind", 0, true, G_BIND},
    {NULL, 0, false, 0},
};

static const struct cli_opt *find_long(const struct cli_opt *opts, const char *name, size_t len)
{
    for (; opts && opts->name; opts++)
        if (strlen(opts->name) == len && memcmp(opts->name, name, len) == 0)
            return opts;
    return NULL;
}

static const struct cli_opt *find_short(const struct cli_opt *opts, char c)
{
    for (; opts && opts->name; opts++)
        if (opts->short_name == c)
            return opts;
    return NULL;
}

/* Apply a global option; returns CLI_HELP for --help, 0 otherwise, CLI_ERROR on failure. */
static int apply_global(struct cli *cli, int id, const char *arg)
{
    switch (id) {
    case G_STORE:
        if (!arg || !arg[0]) { /* not the current directory: a variable meant to be set */
            cli_usage_error(cli, "--store: the path is empty (leave --store out for the "
                                 "default store)");
            return CLI_ERROR;
        }
        cli->store = arg;
        break;
    case G_CONFIG: {
        if (!arg)
            return CLI_ERROR;
        size_t old = cli->config ? strlen(cli->config) : 0, add = strlen(arg);
        char *joined = malloc(old + add + 2);
        if (!joined)
            return CLI_ERROR;
        if (old) {
            memcpy(joined, cli->config, old);
            joined[old++] = ',';
        }
        memcpy(joined + old, arg, add + 1);
        free(cli->config);
        cli->config = joined;
        break;
    }
    case G_FORGETFUL:
        cli->durability = LTL_FORGETFUL;
        break;
    case G_CASUAL:
        cli->durability = LTL_CASUAL;
        break;
    case G_SAFE:
        cli->durability = LTL_SAFE;
        break;
    case G_PARANOID:
        cli->durability = LTL_PARANOID;
        break;
    case G_VERBOSE:
        cli->verbosity++;
        break;
    case G_QUIET:
        cli->verbosity = -1;
        break;
    case G_HELP:
        return CLI_HELP;
    case G_BIND: {
        char **binds = realloc(cli->binds, (cli->nbinds + 1) * sizeof(*binds));
        if (!binds)
            return CLI_ERROR;
        cli->binds = binds;
        cli->binds[cli->nbinds++] = (char *)arg;
        break;
    }
    default:
        break;
    }
    return 0;
}

int cli_next(struct cli *cli, struct cli_args *a, const struct cli_opt *opts, const char **arg)
{
    for (;;) {
        const struct cli_opt *o = NULL;
        bool is_global = false;
        *arg = NULL;
        if (a->rest && *a->rest) {
            char c = *a->rest++;
            o = find_short(opts, c);
            if (!o) {
                o = find_short(global_opts, c);
                is_global = o != NULL;
            }
            if (!o) {
                cli_usage_error(cli, "unknown option '-%c'", c);
                return CLI_ERROR;
            }
            if (o->arg) {
                if (*a->rest) {
                    *arg = a->rest;
                } else if (a->index < a->argc) {
                    *arg = a->argv[a->index++];
                } else {
                    cli_usage_error(cli, "option '-%c' needs a value", c);
                    return CLI_ERROR;
                }
                a->rest = NULL;
            }
        } else {
            a->rest = NULL;
            if (a->index >= a->argc)
                return CLI_END;
            char *s = a->argv[a->index++];
            if (a->dashdash || s[0] != '-' || s[1] == '\0') {
                *arg = s;
                return CLI_POSITIONAL;
            }
            if (strcmp(s, "--") == 0) {
                a->dashdash = true;
                continue;
            }
            if (s[1] != '-') {
                a->rest = s + 1;
                continue;
            }
            const char *name = s + 2, *eq = strchr(name, '=');
            size_t len = eq ? (size_t)(eq - name) : strlen(name);
            o = find_long(opts, name, len);
            if (!o) {
                o = find_long(global_opts, name, len);
                is_global = o != NULL;
            }
            if (!o) {
                cli_usage_error(cli, "unknown option '--%.*s'", (int)len, name);
                return CLI_ERROR;
            }
            if (o->arg) {
                if (eq) {
                    *arg = eq + 1;
                } else if (a->index < a->argc) {
                    *arg = a->argv[a->index++];
                } else {
                    cli_usage_error(cli, "option '--%s' needs a value", o->name);
                    return CLI_ERROR;
                }
            } else if (eq) {
                cli_usage_error(cli, "option '--%s' takes no value", o->name);
                return CLI_ERROR;
            }
        }
        if (!is_global)
            return o->id;
        int r = apply_global(cli, o->id, *arg);
        if (r)
            return r;
    }
}

/* Messages quote names, topics, paths and errors from the store: escaped
 * (docs/OUTPUT.md), so that none can act on the terminal or forge a line. */
static void vreport(struct cli *cli, const char *fmt, va_list ap)
{
    char raw[2048], msg[4 * sizeof(raw)];
    vsnprintf(raw, sizeof(raw), fmt, ap);
    cli_text_into(msg, sizeof(msg), raw, CLI_TEXT_LINE);
    if (cli && cli->command)
        fprintf(stderr, "ltl %s: %s\n", cli->command, msg);
    else
        fprintf(stderr, "ltl: %s\n", msg);
}

int cli_fail(struct cli *cli, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vreport(cli, fmt, ap);
    va_end(ap);
    return code;
}

int cli_fail_rc(struct cli *cli, int rc, const char *detail, const char *what)
{
    if (detail && *detail)
        cli_fail(cli, 0, "%s: %s", what, detail);
    else
        cli_fail(cli, 0, "%s: %s", what, ltl_strerror(rc));
    return cli_exit_code(rc);
}

int cli_usage_error(struct cli *cli, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vreport(cli, fmt, ap);
    va_end(ap);
    if (cli && cli->command)
        fprintf(stderr, "Try 'ltl %s --help'.\n", cli->command);
    else
        fprintf(stderr, "Try 'ltl --help'.\n");
    return EXIT_USAGE;
}

void cli_note(struct cli *cli, const char *fmt, ...)
{
    if (cli->verbosity < 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vreport(cli, fmt, ap);
    va_end(ap);
}

int cli_exit_code(int rc)
{
    switch (rc) {
    case LTL_OK:
    case LTL_DONE:
        return EXIT_OK;
    case LTL_ENOTFOUND:
        return EXIT_NOTFOUND;
    case LTL_EBUSY:
        return EXIT_BUSY;
    case LTL_ECORRUPT:
        return EXIT_CORRUPT;
    case LTL_EIO:
    case LTL_EBROKEN:
        return EXIT_IO;
    case LTL_ENOSPC:
        return EXIT_NOSPACE;
    case LTL_EINVAL:
    case LTL_ETOOBIG:
    case LTL_EPARSE:
        return EXIT_INPUT;
    case LTL_EPERM:
    case LTL_EREADONLY:
        return EXIT_PERM;
    case LTL_ECONFIG:
        return EXIT_CONFIG;
    case LTL_EEXIST:
        return EXIT_USAGE;
    case LTL_EVERSION:
        return EXIT_VERSION;
    case LTL_EVERIFY:
        return EXIT_VERIFY;
    case LTL_EKEY:
        return EXIT_KEY;
    default:
        return EXIT_FAILURE_;
    }
}

static int log_level_for(const struct cli *cli)
{
    if (cli->verbosity < 0)
        return LTL_LOG_ERROR;
    if (cli->verbosity == 0)
        return 0; /* from config: log.level */
    return cli->verbosity == 1 ? LTL_LOG_INFO
                               : (cli->verbosity == 2 ? LTL_LOG_DEBUG : LTL_LOG_TRACE);
}

int cli_open(struct cli *cli, ltl_db **out, unsigned int flags)
{
    ltl_options opts;
    ltl_options_init(&opts);
    opts.flags = flags;
    opts.durability = cli->durability;
    opts.config = cli->config;
    opts.log = cli->log ? cli->log : cli_log;
    opts.log_ctx = cli->log_ctx;
    opts.log_level = log_level_for(cli);
    ltl_db *db = NULL;
    *out = NULL;
    int rc = ltl_open(&db, cli->store, &opts);
    if (rc != LTL_OK) {
        int code = cli_fail_rc(cli, rc, db ? ltl_errmsg(db) : NULL, "cannot open store");
        if (rc == LTL_ENOTFOUND && !(flags & LTL_OPEN_CREATE))
            fprintf(stderr, "(append a message or run 'ltl init' to create it)\n");
        ltl_close(db);
        return code;
    }
    *out = db;
    return EXIT_OK;
}

bool cli_parse_u64(struct cli *cli, const char *what, const char *text, uint64_t *out)
{
    char *end;
    errno = 0;
    if (!text[0] || text[0] == '-' || text[0] == '+') {
        cli_usage_error(cli, "%s: '%s' is not a non-negative integer", what, text);
        return false;
    }
    unsigned long long v = strtoull(text, &end, 10);
    if (errno || *end) {
        cli_usage_error(cli, "%s: '%s' is not a non-negative integer", what, text);
        return false;
    }
    *out = v;
    return true;
}

bool cli_parse_time(struct cli *cli, const char *what, const char *text, int64_t *out)
{
    if (ltl_time_parse(out, text, ltl_time_now()) != LTL_OK) {
        cli_usage_error(cli,
                        "%s: cannot read time '%s' (use 2026-11-21T10:00Z, 2026-11-21, -15m, "
                        "-2h, today, yesterday, now, or @NANOSECONDS)",
                        what, text);
        return false;
    }
    return true;
}

/* ---- --fields lists ----------------------------------------------------------- */

void cli_fields_free(struct cli_fields *f)
{
    for (size_t i = 0; i < f->n; i++)
        free(f->names[i]);
    free(f->names);
    *f = (struct cli_fields){0};
}

/* Split "a,b,c" (no escapes: a field with a comma is written ["a,b"]). */
bool cli_fields_parse(struct cli_fields *f, const char *text)
{
    const char *p = text;
    while (*p) {
        size_t n = 0;
        int depth = 0;
        bool quoted = false;
        for (; p[n] && (quoted || depth || p[n] != ','); n++) {
            if (p[n] == '"' && (n == 0 || p[n - 1] != '\\'))
                quoted = !quoted;
            else if (!quoted && p[n] == '[')
                depth++;
            else if (!quoted && p[n] == ']')
                depth--;
        }
        char **nn = realloc(f->names, (f->n + 1) * sizeof(*nn));
        if (!nn)
            return false;
        f->names = nn;
        if (!(f->names[f->n] = strndup(p, n)))
            return false;
        f->n++;
        p += n + (p[n] == ',');
    }
    return f->n > 0;
}
