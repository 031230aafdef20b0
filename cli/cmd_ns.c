/* SPDX-License-Identifier: MIT */
/*
 * cmd_ns.c — the namespace from the command line: `ltl get PATH` prints
 * what a path holds, `ltl ls [-l] PATH` lists a directory. Both open the
 * store read-only (a writer may be appending meanwhile) and join the
 * stores that --bind names. docs/NAMESPACE.md describes the paths.
 */
#include "cli.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

/* ---- opening, with --bind ------------------------------------------------------------- */

/* "STORE[:before|after|create][@/PATH]" */
static int parse_bind(struct cli *cli, const char *spec, char **store, unsigned *flags,
                      const char **at)
{
    *at = "/";
    *flags = LTL_NS_BIND_AFTER;
    size_t len = strlen(spec);
    const char *amp = strrchr(spec, '@');
    if (amp && amp[1] == '/') {
        *at = amp + 1;
        len = (size_t)(amp - spec);
    }
    static const struct {
        const char *name;
        unsigned flags;
    } modes[] = {{":before", LTL_NS_BIND_BEFORE},
                 {":after", LTL_NS_BIND_AFTER},
                 {":create", LTL_NS_BIND_AFTER | LTL_NS_BIND_CREATE}};
    for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
        size_t n = strlen(modes[i].name);
        if (len >= n && memcmp(spec + len - n, modes[i].name, n) == 0) {
            *flags = modes[i].flags;
            len -= n;
            break;
        }
    }
    if (len == 0)
        return cli_usage_error(cli, "--bind '%s': no store named", spec);
    if (!(*store = strndup(spec, len)))
        return cli_fail(cli, EXIT_FAILURE_, "out of memory");
    return EXIT_OK;
}

int cli_bind_create_target(struct cli *cli, char **out)
{
    *out = NULL;
    char *at_root = NULL;
    for (size_t i = 0; i < cli->nbinds; i++) {
        char *store = NULL;
        unsigned flags;
        const char *at;
        int code = parse_bind(cli, cli->binds[i], &store, &flags, &at);
        if (code) {
            free(at_root);
            return code;
        }
        /* as ltl_ns_append: the union at /topics first, then the one at / */
        if ((flags & LTL_NS_BIND_CREATE) && strcmp(at, "/topics") == 0) {
            free(at_root);
            *out = store;
            return EXIT_OK;
        }
        if ((flags & LTL_NS_BIND_CREATE) && strcmp(at, "/") == 0 && !at_root)
            at_root = store;
        else
            free(store);
    }
    *out = at_root;
    return EXIT_OK;
}

int cli_ns_open(struct cli *cli, struct cli_ns *out)
{
    memset(out, 0, sizeof(*out));
    int code = cli_open(cli, &out->db, LTL_OPEN_READONLY);
    if (code)
        return code;
    int rc = ltl_ns_open(&out->ns, out->db, NULL);
    if (rc) {
        code = cli_fail_rc(cli, rc, ltl_ns_errmsg(out->ns), "cannot open the namespace");
        cli_ns_close(out);
        return code;
    }
    if (cli->nbinds && !(out->bound = calloc(cli->nbinds, sizeof(*out->bound)))) {
        cli_ns_close(out);
        return cli_fail(cli, EXIT_FAILURE_, "out of memory");
    }
    for (size_t i = 0; i < cli->nbinds; i++) {
        char *store = NULL;
        unsigned flags;
        const char *at;
        if ((code = parse_bind(cli, cli->binds[i], &store, &flags, &at)))
            break;
        ltl_options opts;
        ltl_options_init(&opts);
        opts.flags = LTL_OPEN_READONLY;
        opts.config = cli->config;
        opts.log = cli_log;
        ltl_db *db = NULL;
        rc = ltl_open(&db, store, &opts);
        if (rc) {
            char what[600];
            snprintf(what, sizeof(what), "--bind: cannot open store %s", store);
            code = cli_fail_rc(cli, rc, db ? ltl_errmsg(db) : NULL, what);
            ltl_close(db);
            free(store);
            break;
        }
        out->bound[out->nbound++] = db;
        rc = ltl_ns_bind(out->ns, at, db, at, flags);
        if (rc) {
            char what[600];
            snprintf(what, sizeof(what), "--bind %s", cli->binds[i]);
            code = cli_fail_rc(cli, rc, ltl_ns_errmsg(out->ns), what);
            free(store);
            break;
        }
        free(store);
    }
    if (code)
        cli_ns_close(out);
    return code;
}

void cli_ns_close(struct cli_ns *n)
{
    ltl_ns_close(n->ns);
    for (size_t i = 0; n->bound && i < n->nbound; i++)
        ltl_close(n->bound[i]);
    free(n->bound);
    ltl_close(n->db);
    memset(n, 0, sizeof(*n));
}

/* A path for a message: long ones are cut (at a character boundary) with "...". */
static const char *shown(const char *path, char *buf, size_t cap)
{
    size_t len = strlen(path);
    if (len < cap)
        return path;
    size_t cut = cap - 4;
    while (cut > 0 && ((unsigned char)path[cut] & 0xC0) == 0x80)
        cut--;
    memcpy(buf, path, cut);
    memcpy(buf + cut, "...", 4);
    return buf;
}

/* ---- get ------------------------------------------------------------------------------ */

/* Names come from the store: escaped, one per line (docs/OUTPUT.md). */
static int print_entry(void *ctx, const char *name, int kind)
{
    (void)ctx;
    (void)kind;
    if (!cli_write_text(name, strlen(name), CLI_TEXT_LINE) || !cli_write("\n", 1))
        return 1;
    return 0;
}

static int get_run(struct cli *cli, int argc, char **argv)
{
    static const struct cli_opt opts[] = {{"raw", 'r', false, 'r'}, {NULL, 0, false, 0}};
    struct cli_args a = {argc, argv, 1, NULL, false};
    const char *arg;
    bool raw = false;
    const char **paths = calloc((size_t)argc, sizeof(*paths));
    size_t npaths = 0;
    if (!paths)
        return cli_fail(cli, EXIT_FAILURE_, "out of memory");
    int id, code = EXIT_OK;
    while ((id = cli_next(cli, &a, opts, &arg)) != CLI_END) {
        if (id == CLI_ERROR) {
            free(paths);
            return EXIT_USAGE;
        }
        if (id == CLI_HELP) {
            free(paths);
            cli_usage(&cmd_get);
            return EXIT_OK;
        }
        if (id == 'r')
            raw = true;
        else if (id == CLI_POSITIONAL)
            paths[npaths++] = arg;
    }
    if (!npaths) {
        free(paths);
        return cli_usage_error(cli, "a PATH is needed (like /seq/0 or /topics/)");
    }
    struct cli_ns n;
    if ((code = cli_ns_open(cli, &n))) {
        free(paths);
        return code;
    }
    for (size_t i = 0; i < npaths && !code && cli_out_ok(); i++) {
        ltl_ns_node *node = NULL;
        char buf[104];
        int rc = ltl_ns_lookup(&node, n.ns, paths[i]);
        if (rc) {
            code = cli_fail_rc(cli, rc, ltl_ns_errmsg(n.ns), shown(paths[i], buf, sizeof(buf)));
            break;
        }
        const void *data;
        size_t len;
        if ((rc = ltl_ns_node_data(&data, &len, node)) == LTL_OK) {
            /* the data as it is, but escaped on a terminal (as cat --format raw) */
            bool ok =
                cli_stdout_tty() ? cli_write_text(data, len, CLI_TEXT_BLOCK) : cli_write(data, len);
            if (!ok || (!raw && (len == 0 || ((const char *)data)[len - 1] != '\n') &&
                        !cli_write("\n", 1)))
                code = cli_out_fail(cli);
        } else if (rc == LTL_EKEY) {
            /* a record sealed with a read key we lack: its payload is not ours to show */
            code = cli_fail_rc(cli, rc, ltl_ns_errmsg(n.ns), shown(paths[i], buf, sizeof(buf)));
        } else {
            rc = ltl_ns_node_list(node, print_entry, NULL);
            if (rc == 1)
                code = cli_out_fail(cli);
            else if (rc)
                code = cli_fail_rc(cli, rc, ltl_ns_errmsg(n.ns), shown(paths[i], buf, sizeof(buf)));
        }
        ltl_ns_node_release(node);
    }
    cli_ns_close(&n);
    free(paths);
    return code;
}

const struct cli_command cmd_get = {
    "get", get_run, "print what a namespace path holds (/seq/42.json/user/name)",
    "usage: ltl get [-r] PATH...\n"
    "\n"
    "Print what the namespace holds at each PATH (docs/NAMESPACE.md):\n"
    "  /seq/42                 a record's payload\n"
    "  /seq/42.json/user/name  a value in it (after .json: JSON Pointer tokens)\n"
    "  /seq/42.flat .env .proof .raw   the record flattened, its envelope, a proof\n"
    "                          of it in the last checkpoint, its body as stored\n"
    "  /topics/T/  /query/EXPR/  /manifests/  /checkpoints/latest  /paths/\n"
    "  /seq/42.csv             a plugin module's transform (config key ns.modules)\n"
    "A directory with data (a JSON object) prints its data; one without (/seq/,\n"
    "a topic, a query) prints its entries, one per line. The store is opened\n"
    "read-only; --bind joins other stores.\n"
    "\n"
    "  -r, --raw   no newline added at the end of the data\n"
    "\n"
    "Data goes out exactly as stored, except on a terminal, where control characters,\n"
    "terminal escapes and bytes that are not UTF-8 are shown escaped (\\x1b \\r \\xff;\n"
    "docs/OUTPUT.md). Listed names are always escaped so.\n"
    "\n"
    "Exit codes: 3 when a path does not exist, 8 when it is malformed or a\n"
    "transform does not apply.\n"};

/* ---- ls -------------------------------------------------------------------------------- */

struct ls_ctx {
    struct cli *cli;
    ltl_ns *ns;
    const char *dir; /* the directory's path */
    bool long_format;
    int code;
};

/* One line of `ls -l`: type, size (bytes, or entries of a directory when
 * known), the record's time, the name. */
static int print_long(struct ls_ctx *c, const char *path, const char *name)
{
    ltl_ns_node *node = NULL;
    int rc = ltl_ns_lookup(&node, c->ns, path);
    char buf[104];
    if (rc) {
        c->code = cli_fail_rc(c->cli, rc, ltl_ns_errmsg(c->ns), shown(path, buf, sizeof(buf)));
        return 2;
    }
    ltl_ns_stat st;
    (void)ltl_ns_node_stat(&st, node);
    char size[32] = "-", when[40] = "-";
    if (st.has_data)
        snprintf(size, sizeof(size), "%" PRIu64, st.size);
    else if (st.entries != UINT64_MAX)
        snprintf(size, sizeof(size), "%" PRIu64, st.entries);
    if (st.seq != UINT64_MAX)
        ltl_time_format(when, sizeof(when), st.mtime);
    char line[128];
    int n = snprintf(line, sizeof(line), "%c %10s  %-30s  ", st.kind == LTL_NS_DIR ? 'd' : '-',
                     size, when);
    ltl_ns_node_release(node);
    if (n < 0 || (size_t)n >= sizeof(line))
        n = (int)sizeof(line) - 1;
    bool ok = cli_write(line, (size_t)n) && cli_write_text(name, strlen(name), CLI_TEXT_LINE) &&
              cli_write(st.kind == LTL_NS_DIR ? "/\n" : "\n", st.kind == LTL_NS_DIR ? 2 : 1);
    return ok ? 0 : 1;
}

static int ls_entry(void *ctx, const char *name, int kind)
{
    struct ls_ctx *c = ctx;
    if (!c->long_format) {
        /* names come from the store: escaped (docs/OUTPUT.md) */
        if (!cli_write_text(name, strlen(name), CLI_TEXT_LINE) ||
            (kind == LTL_NS_DIR && !cli_write("/", 1)) || !cli_write("\n", 1))
            return 1;
        return 0;
    }
    size_t dl = strlen(c->dir);
    char *path = malloc(dl + strlen(name) + 2);
    if (!path)
        return 2;
    memcpy(path, c->dir, dl);
    if (dl == 0 || path[dl - 1] != '/')
        path[dl++] = '/';
    memcpy(path + dl, name, strlen(name) + 1);
    int rc = print_long(c, path, name);
    free(path);
    return rc;
}

static int ls_run(struct cli *cli, int argc, char **argv)
{
    static const struct cli_opt opts[] = {
        {"long", 'l', false, 'l'}, {"directory", 'd', false, 'd'}, {NULL, 0, false, 0}};
    struct cli_args a = {argc, argv, 1, NULL, false};
    const char *arg;
    bool long_format = false, itself = false;
    const char **paths = calloc((size_t)argc + 1, sizeof(*paths));
    size_t npaths = 0;
    if (!paths)
        return cli_fail(cli, EXIT_FAILURE_, "out of memory");
    int id, code = EXIT_OK;
    while ((id = cli_next(cli, &a, opts, &arg)) != CLI_END) {
        if (id == CLI_ERROR) {
            free(paths);
            return EXIT_USAGE;
        }
        if (id == CLI_HELP) {
            free(paths);
            cli_usage(&cmd_ls);
            return EXIT_OK;
        }
        if (id == 'l')
            long_format = true;
        else if (id == 'd')
            itself = true;
        else if (id == CLI_POSITIONAL)
            paths[npaths++] = arg;
    }
    if (!npaths)
        paths[npaths++] = "/";
    struct cli_ns n;
    if ((code = cli_ns_open(cli, &n))) {
        free(paths);
        return code;
    }
    for (size_t i = 0; i < npaths && !code && cli_out_ok(); i++) {
        ltl_ns_node *node = NULL;
        char buf[104];
        int rc = ltl_ns_lookup(&node, n.ns, paths[i]);
        if (rc) {
            code = cli_fail_rc(cli, rc, ltl_ns_errmsg(n.ns), shown(paths[i], buf, sizeof(buf)));
            break;
        }
        ltl_ns_stat st;
        (void)ltl_ns_node_stat(&st, node);
        if (npaths > 1 && st.kind == LTL_NS_DIR && !itself) {
            fputs(i ? "\n" : "", stdout);
            cli_write_text(paths[i], strlen(paths[i]), CLI_TEXT_LINE);
            fputs(":\n", stdout);
        }
        struct ls_ctx c = {cli, n.ns, paths[i], long_format, EXIT_OK};
        if (st.kind == LTL_NS_FILE || itself) {
            if (long_format) {
                if (print_long(&c, paths[i], paths[i]) == 1)
                    code = cli_out_fail(cli);
            } else {
                cli_write_text(paths[i], strlen(paths[i]), CLI_TEXT_LINE);
                cli_write("\n", 1);
            }
        } else {
            rc = ltl_ns_node_list(node, ls_entry, &c);
            if (c.code)
                code = c.code;
            else if (rc == 1)
                code = cli_out_fail(cli);
            else if (rc == 2)
                code = cli_fail(cli, EXIT_FAILURE_, "out of memory");
            else if (rc)
                code = cli_fail_rc(cli, rc, ltl_ns_errmsg(n.ns), shown(paths[i], buf, sizeof(buf)));
        }
        if (!code && c.code)
            code = c.code;
        ltl_ns_node_release(node);
    }
    cli_ns_close(&n);
    free(paths);
    return code;
}

const struct cli_command cmd_ls = {
    "ls", ls_run, "list a namespace directory (/topics/, /seq/, /seq/42.json)",
    "usage: ltl ls [-l] [-d] [PATH...]\n"
    "\n"
    "List the entries of each directory PATH of the namespace (default /),\n"
    "one per line, directories with a trailing '/' (docs/NAMESPACE.md). Names\n"
    "under .json are JSON Pointer tokens ('/' in a key is ~1, '~' is ~0; the keys\n"
    "\"\", \".\" and \"..\" are ~e, ~. and ~..; a byte that is not UTF-8 is ~xHH), so\n"
    "each name can be appended to PATH. The store is opened read-only; --bind joins\n"
    "other stores.\n"
    "\n"
    "  -l, --long        type (d or -), size (bytes of data, or a directory's\n"
    "                    entries when known), the record's time, the name\n"
    "  -d, --directory   the path itself, not its entries\n"
    "\n"
    "Control characters, terminal escapes and bytes that are not UTF-8 in names are\n"
    "shown escaped (\\x1b \\n \\xff; docs/OUTPUT.md).\n"};
