/* SPDX-License-Identifier: MIT */
/*
 * cmd_store.c — the commands about the store itself: `ltl init` and
 * `ltl stat` (`ltl repair` is in cmd_repair.c).
 */
#include "cli.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

static void human_bytes(char *out, size_t len, uint64_t n)
{
    static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    double v = (double)n;
    int u = 0;
    while (v >= 1024 && u < 4) {
        v /= 1024;
        u++;
    }
    if (u == 0)
        snprintf(out, len, "%" PRIu64 " B", n);
    else
        snprintf(out, len, "%.1f %s", v, units[u]);
}

static void hex(char *out, const unsigned char *id, size_t n)
{
    for (size_t i = 0; i < n; i++)
        sprintf(out + 2 * i, "%02x", id[i]);
}

/* Parse options that only allow --help and at most `max_pos` positionals. */
static int simple_args(struct cli *cli, const struct cli_command *cmd, int argc, char **argv,
                       const struct cli_opt *opts,
                       int (*on_opt)(void *ctx, int id, const char *arg), void *ctx,
                       const char **pos, int max_pos, int *npos)
{
    struct cli_args it = {argc, argv, 1, NULL, false};
    const char *arg;
    int id;
    *npos = 0;
    while ((id = cli_next(cli, &it, opts, &arg)) != CLI_END) {
        if (id == CLI_HELP) {
            cli_usage(cmd);
            return -1;
        }
        if (id == CLI_POSITIONAL) {
            if (*npos >= max_pos)
                return cli_usage_error(cli, "unexpected argument '%s'", arg);
            pos[(*npos)++] = arg;
            continue;
        }
        if (id < 0)
            return EXIT_USAGE;
        int code = on_opt ? on_opt(ctx, id, arg) : EXIT_USAGE;
        if (code)
            return code;
    }
    return EXIT_OK;
}

static const struct cli_opt no_opts[] = {{NULL, 0, false, 0}};

/* ---- init ---------------------------------------------------------------- */

static int init_run(struct cli *cli, int argc, char **argv)
{
    const char *pos[1] = {NULL};
    int npos;
    int code = simple_args(cli, &cmd_init, argc, argv, no_opts, NULL, NULL, pos, 1, &npos);
    if (code)
        return code < 0 ? EXIT_OK : code;
    if (npos && !pos[0][0])
        return cli_usage_error(cli, "the store path DIR is empty");
    if (npos)
        cli->store = pos[0];
    /* an existing store is left alone */
    ltl_db *db = NULL;
    ltl_options probe;
    ltl_options_init(&probe);
    probe.flags = LTL_OPEN_READONLY;
    probe.config = cli->config;
    int rc = ltl_open(&db, cli->store, &probe);
    if (rc == LTL_OK)
        printf("store exists at %s\n", ltl_db_path(db));
    else if (rc != LTL_ENOTFOUND)
        code = cli_fail_rc(cli, rc, db ? ltl_errmsg(db) : NULL, "cannot open store");
    ltl_close(db);
    if (rc != LTL_ENOTFOUND)
        return code;
    if ((code = cli_open(cli, &db, LTL_OPEN_CREATE)))
        return code;
    ltl_info info;
    char id[33] = "";
    cli_out_done("the store was created all the same");
    if (ltl_stat(&info, db) == LTL_OK)
        hex(id, info.store_id, 16);
    printf("created store %s (id %s)\n", ltl_db_path(db), id);
    rc = ltl_close(db);
    return rc ? cli_fail_rc(cli, rc, NULL, "closing the store") : EXIT_OK;
}

const struct cli_command cmd_init = {
    "init", init_run, "create a store",
    "usage: ltl init [DIR]\n"
    "\n"
    "Create a store in DIR (or --store DIR, or the default store). An existing\n"
    "store is left as it is. 'ltl append' creates the store too, so this is only\n"
    "needed to create one ahead of time. A directory that holds other files, or a\n"
    "log/ without an LTL file (a store whose header was lost), is refused and left\n"
    "exactly as it was.\n"};

/* ---- stat ---------------------------------------------------------------- */

static int stat_opt(void *ctx, int id, const char *arg)
{
    (void)arg;
    *(bool *)ctx = id == 1;
    return EXIT_OK;
}

static int stat_run(struct cli *cli, int argc, char **argv)
{
    static const struct cli_opt opts[] = {{"json", 0, false, 1}, {NULL, 0, false, 0}};
    bool json = false;
    const char *pos[1];
    int npos;
    int code = simple_args(cli, &cmd_stat, argc, argv, opts, stat_opt, &json, pos, 0, &npos);
    if (code)
        return code < 0 ? EXIT_OK : code;
    ltl_db *db;
    if ((code = cli_open(cli, &db, LTL_OPEN_READONLY)))
        return code;
    ltl_info info;
    int rc = ltl_stat(&info, db);
    if (rc) {
        code = cli_fail_rc(cli, rc, ltl_errmsg(db), "stat");
        ltl_close(db);
        return code;
    }
    char id[33], created[40], first[40] = "", last[40] = "";
    hex(id, info.store_id, 16);
    ltl_time_format(created, sizeof(created), info.created);
    if (info.records) {
        ltl_time_format(first, sizeof(first), info.first_ts);
        ltl_time_format(last, sizeof(last), info.last_ts);
    }
    const char *path = ltl_db_path(db);
    if (json) {
        printf("{\"store\":\"");
        for (const char *p = path; *p; p++) {
            if (*p == '"' || *p == '\\')
                putchar('\\');
            putchar(*p);
        }
        printf("\",\"id\":\"%s\",\"format\":%u,\"created\":\"%s\",\"records\":%" PRIu64
               ",\"first_ts\":%s%s%s,\"last_ts\":%s%s%s,\"segments\":%" PRIu64
               ",\"log_bytes\":%" PRIu64 ",\"disk_bytes\":%" PRIu64 ",\"segment_size\":%" PRIu64
               ",\"writer_pid\":%" PRId64 ",\"index\":{\"enabled\":%s,\"records\":%" PRIu64
               ",\"lag\":%" PRIu64 ",\"paths\":%" PRIu64 ",\"bytes\":%" PRIu64 "}}\n",
               id, info.format, created, info.records, info.records ? "\"" : "",
               info.records ? first : "null", info.records ? "\"" : "", info.records ? "\"" : "",
               info.records ? last : "null", info.records ? "\"" : "", info.segments,
               info.log_bytes, info.disk_bytes, info.segment_size, info.writer_pid,
               info.index_enabled ? "true" : "false", info.index_records,
               info.records > info.index_records ? info.records - info.index_records : 0,
               info.index_paths, info.index_bytes);
    } else {
        char used[32], disk[32], segsize[32];
        human_bytes(used, sizeof(used), info.log_bytes);
        human_bytes(disk, sizeof(disk), info.disk_bytes);
        human_bytes(segsize, sizeof(segsize), info.segment_size);
        printf("store:      %s\n", path);
        printf("id:         %s\n", id);
        printf("format:     %u, created %s\n", info.format, created);
        if (info.records)
            printf("records:    %" PRIu64 " (seq 0..%" PRIu64 ")\n", info.records,
                   info.records - 1);
        else
            printf("records:    0\n");
        if (info.records) {
            printf("first:      %s\n", first);
            printf("last:       %s\n", last);
        }
        printf("segments:   %" PRIu64 " (%s of log, %s on disk; new segments %s)\n", info.segments,
               used, disk, segsize);
        if (!info.index_enabled) {
            printf("index:      off (index.enabled)\n");
        } else {
            char ib[32];
            human_bytes(ib, sizeof(ib), info.index_bytes);
            printf("index:      %" PRIu64 " records indexed", info.index_records);
            if (info.records > info.index_records)
                printf(" (%" PRIu64 " behind)", info.records - info.index_records);
            printf(", %" PRIu64 " paths, %s\n", info.index_paths, ib);
        }
        if (info.writer_pid)
            printf("writer:     pid %" PRId64 "\n", info.writer_pid);
        else
            printf("writer:     none\n");
    }
    ltl_close(db);
    return EXIT_OK;
}

const struct cli_command cmd_stat = {
    "stat", stat_run, "show what the store holds",
    "usage: ltl stat [--json]\n"
    "\n"
    "Show the store's path, id, record count, first and last record times,\n"
    "segments and sizes, and the pid of the writer holding it (if any).\n"
    "\n"
    "      --json   one JSON object instead of text\n"};
