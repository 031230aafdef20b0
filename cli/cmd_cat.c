/* SPDX-License-Identifier: MIT */
/*
 * cmd_cat.c — `ltl cat` and `ltl tail`: print records by seq range, time
 * range and topic, oldest first or reversed; tail prints the last N and with
 * -f follows new records (woken by inotify, no polling).
 */
#include "cli.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

struct reader_opts {
    ltl_cursor_options cursor;
    const char *where; /* a query (docs/QUERY.md), or NULL */
    int format;
    uint64_t limit; /* UINT64_MAX: none */
    bool follow;
};

/* Where records come from: a cursor, or a query with --where. */
struct source {
    ltl_cursor *cur;
    ltl_query *q;
};

static int source_open(struct source *s, ltl_db *db, const struct reader_opts *o,
                       const ltl_cursor_options *co)
{
    *s = (struct source){NULL, NULL};
    if (!o->where)
        return ltl_cursor_open(&s->cur, db, co);
    ltl_query_options qo;
    ltl_query_options_init(&qo);
    qo.flags = (co->flags & LTL_CURSOR_REVERSE ? LTL_QUERY_REVERSE : 0) |
               (co->flags & LTL_CURSOR_SYSTEM ? LTL_QUERY_SYSTEM : 0) |
               (co->flags & LTL_CURSOR_ENVELOPE ? LTL_QUERY_ENVELOPE : 0);
    qo.since = co->since;
    qo.until = co->until;
    qo.topic = co->topic;
    qo.from_seq = co->from_seq;
    qo.to_seq = co->to_seq;
    return ltl_query_open(&s->q, db, o->where, &qo);
}

static int source_next(struct source *s, const ltl_record **rec)
{
    return s->q ? ltl_query_next(rec, s->q) : ltl_cursor_next(rec, s->cur);
}

static int source_wait(struct source *s)
{
    return s->q ? ltl_query_wait(s->q, -1) : ltl_cursor_wait(s->cur, -1);
}

static void source_close(struct source *s)
{
    ltl_query_close(s->q);
    ltl_cursor_close(s->cur);
    *s = (struct source){NULL, NULL};
}

static bool parse_format(struct cli *cli, const char *arg, int *out)
{
    if (strcmp(arg, "jsonl") == 0)
        *out = LTL_FORMAT_JSONL;
    else if (strcmp(arg, "raw") == 0)
        *out = LTL_FORMAT_RAW;
    else if (strcmp(arg, "pretty") == 0)
        *out = LTL_FORMAT_PRETTY;
    else if (strcmp(arg, "envelope") == 0)
        *out = LTL_FORMAT_ENVELOPE;
    else {
        cli_usage_error(cli, "--format: '%s' is not one of jsonl, raw, pretty, envelope", arg);
        return false;
    }
    return true;
}

enum {
    O_FROM = 1,
    O_TO,
    O_SINCE,
    O_UNTIL,
    O_LIMIT,
    O_REVERSE,
    O_FORMAT,
    O_TOPIC,
    O_ALL,
    O_FOLLOW,
    O_WHERE,
};

static const struct cli_opt reader_opts_table[] = {
    {"from", 0, true, O_FROM},     {"to", 0, true, O_TO},
    {"since", 0, true, O_SINCE},   {"until", 0, true, O_UNTIL},
    {"lines", 'n', true, O_LIMIT}, {"reverse", 'r', false, O_REVERSE},
    {"format", 0, true, O_FORMAT}, {"topic", 't', true, O_TOPIC},
    {"all", 'a', false, O_ALL},    {"follow", 'f', false, O_FOLLOW},
    {"where", 'w', true, O_WHERE}, {NULL, 0, false, 0},
};

/* Parse the options of cat/tail. Returns EXIT_OK, or an exit code to stop
 * with (CLI_HELP printed: -1). */
static int parse_reader_opts(struct cli *cli, const struct cli_command *cmd, int argc, char **argv,
                             struct reader_opts *o, bool is_tail)
{
    struct cli_args it = {argc, argv, 1, NULL, false};
    const char *arg;
    int id;
    while ((id = cli_next(cli, &it, reader_opts_table, &arg)) != CLI_END) {
        switch (id) {
        case O_FROM:
            if (!cli_parse_u64(cli, "--from", arg, &o->cursor.from_seq))
                return EXIT_USAGE;
            break;
        case O_TO:
            if (!cli_parse_u64(cli, "--to", arg, &o->cursor.to_seq))
                return EXIT_USAGE;
            break;
        case O_SINCE:
            if (!cli_parse_time(cli, "--since", arg, &o->cursor.since))
                return EXIT_USAGE;
            break;
        case O_UNTIL:
            if (!cli_parse_time(cli, "--until", arg, &o->cursor.until))
                return EXIT_USAGE;
            break;
        case O_LIMIT:
            if (!cli_parse_u64(cli, "-n", arg, &o->limit))
                return EXIT_USAGE;
            break;
        case O_REVERSE:
            if (is_tail)
                return cli_usage_error(cli, "tail has no --reverse (use 'ltl cat --reverse')");
            o->cursor.flags |= LTL_CURSOR_REVERSE;
            break;
        case O_FORMAT:
            if (!parse_format(cli, arg, &o->format))
                return EXIT_USAGE;
            break;
        case O_TOPIC:
            o->cursor.topic = arg;
            break;
        case O_ALL:
            o->cursor.flags |= LTL_CURSOR_SYSTEM;
            break;
        case O_WHERE: {
            ltl_error err;
            if (ltl_query_check(&err, arg) != LTL_OK) {
                cli_fail(cli, 0, "--where: %s", err.message);
                cli_echo(arg);
                return EXIT_INPUT;
            }
            o->where = arg;
            break;
        }
        case O_FOLLOW:
            if (!is_tail)
                return cli_usage_error(cli, "cat has no --follow (use 'ltl tail -f')");
            o->follow = true;
            break;
        case CLI_HELP:
            cli_usage(cmd);
            return -1;
        case CLI_POSITIONAL:
            return cli_usage_error(cli, "unexpected argument '%s'", arg);
        default:
            return EXIT_USAGE;
        }
    }
    if (o->cursor.topic && strcmp(o->cursor.topic, "_ltl") == 0)
        o->cursor.flags |= LTL_CURSOR_SYSTEM;
    /* only envelopes are shown: records sealed with a key we lack are listed too
     * (every other format shows the message, and such a record is exit 13) */
    if (o->format == LTL_FORMAT_ENVELOPE)
        o->cursor.flags |= LTL_CURSOR_ENVELOPE;
    if (o->cursor.from_seq > o->cursor.to_seq)
        return cli_usage_error(cli, "--from is after --to");
    return EXIT_OK;
}

/* After a failed write of the output: its exit code, or -1 (stop, exit 0)
 * when the reader went away. */
static int stopped_writing(struct cli *cli)
{
    int code = cli_out_fail(cli);
    return code == EXIT_OK ? -1 : code;
}

/* Print records from the source until done, the limit, or a failure (of
 * the output too: then no more is read). Human output is escaped: pretty
 * always, raw when stdout is a terminal (docs/OUTPUT.md). */
static int print_records(struct cli *cli, ltl_db *db, struct source *src,
                         const struct reader_opts *o, uint64_t *printed, char **buf, size_t *cap)
{
    const ltl_record *rec;
    int rc;
    bool human =
        o->format == LTL_FORMAT_PRETTY || (o->format == LTL_FORMAT_RAW && cli_stdout_tty());
    while (*printed < o->limit && !cli_interrupted && (rc = source_next(src, &rec)) == LTL_OK) {
        size_t len;
        if ((rc = ltl_record_format(buf, cap, &len, rec, o->format)) != LTL_OK)
            return cli_fail_rc(cli, rc, NULL, "formatting a record");
        if (!(human ? cli_write_text(*buf, len, CLI_TEXT_BLOCK) : cli_write(*buf, len)))
            return stopped_writing(cli);
        (*printed)++;
    }
    if (*printed >= o->limit || cli_interrupted)
        return EXIT_OK;
    if (rc != LTL_DONE)
        return cli_fail_rc(cli, rc, ltl_errmsg(db), "reading");
    return EXIT_OK;
}

static int cat_run(struct cli *cli, int argc, char **argv)
{
    struct reader_opts o = {.format = LTL_FORMAT_JSONL, .limit = UINT64_MAX};
    ltl_cursor_options_init(&o.cursor);
    int code = parse_reader_opts(cli, &cmd_cat, argc, argv, &o, false);
    if (code)
        return code < 0 ? EXIT_OK : code;
    ltl_db *db;
    if ((code = cli_open(cli, &db, LTL_OPEN_READONLY)))
        return code;
    struct source src;
    int rc = source_open(&src, db, &o, &o.cursor);
    if (rc) {
        code = cli_fail_rc(cli, rc, ltl_errmsg(db), "reading");
    } else {
        char *buf = NULL;
        size_t cap = 0;
        uint64_t printed = 0;
        code = print_records(cli, db, &src, &o, &printed, &buf, &cap);
        if (code < 0)
            code = EXIT_OK;
        ltl_free(buf);
    }
    source_close(&src);
    ltl_close(db);
    return code;
}

/* The seq from which the last n wanted records start (found backwards). */
static int tail_start(ltl_db *db, const struct reader_opts *o, uint64_t n, uint64_t *out)
{
    ltl_cursor_options back = o->cursor;
    back.flags |= LTL_CURSOR_REVERSE;
    struct source src;
    *out = UINT64_MAX; /* none: start at the end */
    int rc = source_open(&src, db, o, &back);
    const ltl_record *rec;
    uint64_t seen = 0;
    while (rc == LTL_OK && seen < n && (rc = source_next(&src, &rec)) == LTL_OK) {
        *out = rec->seq;
        seen++;
    }
    source_close(&src);
    return rc == LTL_DONE || rc == LTL_OK ? LTL_OK : rc;
}

static int tail_run(struct cli *cli, int argc, char **argv)
{
    struct reader_opts o = {.format = LTL_FORMAT_JSONL, .limit = 10};
    ltl_cursor_options_init(&o.cursor);
    int code = parse_reader_opts(cli, &cmd_tail, argc, argv, &o, true);
    if (code)
        return code < 0 ? EXIT_OK : code;
    ltl_db *db;
    if ((code = cli_open(cli, &db, LTL_OPEN_READONLY)))
        return code;
    uint64_t start;
    struct source src = {NULL, NULL};
    int rc = tail_start(db, &o, o.limit, &start);
    if (rc == LTL_OK && start == UINT64_MAX) {
        /* nothing matches yet: start after the current end */
        ltl_info info;
        if ((rc = ltl_stat(&info, db)) == LTL_OK)
            start = info.records;
    }
    if (rc == LTL_OK) {
        ltl_cursor_options fwd = o.cursor;
        if (start > fwd.from_seq)
            fwd.from_seq = start;
        rc = source_open(&src, db, &o, &fwd);
    }
    if (rc) {
        code = cli_fail_rc(cli, rc, ltl_errmsg(db), "reading");
        goto out;
    }
    char *buf = NULL;
    size_t cap = 0;
    uint64_t printed = 0;
    struct reader_opts all = o;
    all.limit = UINT64_MAX;
    code = print_records(cli, db, &src, &all, &printed, &buf, &cap);
    while (code == EXIT_OK && o.follow && !cli_interrupted) {
        if (fflush(stdout) != 0 || !cli_out_ok()) {
            code = stopped_writing(cli);
            break;
        }
        rc = source_wait(&src);
        if (rc == LTL_ETIMEOUT)
            continue; /* a signal: the loop condition decides */
        if (rc) {
            code = cli_fail_rc(cli, rc, ltl_errmsg(db), "waiting for records");
            break;
        }
        code = print_records(cli, db, &src, &all, &printed, &buf, &cap);
    }
    if (code < 0)
        code = EXIT_OK;
    ltl_free(buf);
out:
    source_close(&src);
    ltl_close(db);
    return code;
}

#define READER_OPTIONS_HELP                                                                        \
    "      --from SEQ       first seq (inclusive)\n"                                               \
    "      --to SEQ         last seq (inclusive)\n"                                                \
    "      --since TIME     records at or after TIME\n"                                            \
    "      --until TIME     records before TIME\n"                                                 \
    "  -t, --topic T        only topic T\n"                                                        \
    "  -a, --all            include ltl's own records (manifests, recoveries: topic _ltl)\n"       \
    "  -w, --where EXPR     only records matching the query EXPR (docs/QUERY.md)\n"                \
    "      --format F       jsonl (default: one JSON object per record with envelope\n"            \
    "                       fields and \"message\"), raw (the message bytes), pretty\n"            \
    "                       (a header line, then the message), envelope (jsonl without\n"          \
    "                       the message: needs no read key). pretty, and raw on a\n"               \
    "                       terminal, show control characters, terminal escapes and\n"             \
    "                       bytes that are not UTF-8 escaped (\\x1b \\r \\u202e \\xff:\n"          \
    "                       docs/OUTPUT.md); jsonl, and raw to a file or pipe, are exact\n"        \
    "\n"                                                                                           \
    "A message encrypted with a read key that keys.read does not hold is never\n"                  \
    "printed: exit code 13 names the record and the key (see --format envelope).\n"                \
    "\n"                                                                                           \
    "TIME is 2026-11-21T10:00:00Z (ISO 8601, UTC unless an offset is given), a date,\n"            \
    "-15m / -2h / -7d (relative to now), today, yesterday, now, or @NANOSECONDS.\n"

const struct cli_command cmd_cat = {
    "cat", cat_run, "print records (by seq, time, topic)",
    "usage: ltl cat [--from SEQ] [--to SEQ] [--since TIME] [--until TIME] [-n N]\n"
    "               [--reverse] [--topic T] [--where EXPR] [--all]\n"
    "               [--format jsonl|raw|pretty|envelope]\n"
    "\n"
    "Print the records of the store, oldest first.\n"
    "\n"
    "  -n, --lines N        at most N records\n"
    "  -r, --reverse        newest first\n" READER_OPTIONS_HELP};

const struct cli_command cmd_tail = {
    "tail", tail_run, "print the last records; -f follows new ones",
    "usage: ltl tail [-n N] [-f] [--topic T] [--where EXPR] [--since TIME]\n"
    "                [--format jsonl|raw|pretty|envelope]\n"
    "\n"
    "Print the last N records (default 10), oldest first. With -f, keep\n"
    "printing records as they are appended (woken by the file system, no\n"
    "polling) until interrupted.\n"
    "\n"
    "  -n, --lines N        the last N records (default 10)\n"
    "  -f, --follow         follow new records\n" READER_OPTIONS_HELP};
