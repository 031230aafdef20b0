/* SPDX-License-Identifier: MIT */
/*
 * cmd_query.c — `ltl query` (find records by the query language, in several
 * output formats), `ltl paths` (the indexed paths, for completion) and
 * `ltl reindex` (rebuild the field index from the log).
 */
#include "cli.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

enum { F_JSONL = 1, F_JSON, F_FLAT, F_TABLE, F_CSV };

/* The text of field `name` of rec into buf (NUL-terminated, but a payload
 * may hold NULs: its length is returned): strings decoded, other JSON as
 * written; "" when missing. 0 with *buf NULL when out of memory. */
static size_t field_value(char **buf, size_t *cap, const ltl_record *rec, const char *name)
{
    char tmp[64];
    const char *v = NULL;
    size_t len = 0;
    const ltl_manifest *m = rec->manifest;
    if (name[0] == '@') {
        if (strcmp(name, "@seq") == 0)
            snprintf(tmp, sizeof(tmp), "%" PRIu64, rec->seq), v = tmp;
        else if (strcmp(name, "@ts") == 0)
            ltl_time_format(tmp, sizeof(tmp), rec->ts), v = tmp;
        else if (strcmp(name, "@topic") == 0)
            v = rec->topic;
        else if (strcmp(name, "@user") == 0)
            v = m ? m->user : "";
        else if (strcmp(name, "@host") == 0)
            v = m ? m->host : "";
        else if (strcmp(name, "@pid") == 0)
            snprintf(tmp, sizeof(tmp), "%" PRId64, m ? m->pid : 0), v = m ? tmp : "";
        else if (strcmp(name, "@manifest") == 0)
            snprintf(tmp, sizeof(tmp), "%" PRIu64, rec->manifest_seq), v = tmp;
        else
            v = "";
        len = strlen(v);
    } else if (strcmp(name, "message") == 0 || strcmp(name, ".") == 0) {
        v = (rec->flags & LTL_RECORD_ENCRYPTED) ? "(encrypted)" : rec->data;
        len = (rec->flags & LTL_RECORD_ENCRYPTED) ? 11 : rec->len;
    } else if ((rec->flags & LTL_RECORD_JSON) && !(rec->flags & LTL_RECORD_ENCRYPTED)) {
        if (ltl_json_path_get(&v, &len, rec->data, rec->len, name, NULL) != LTL_OK)
            v = "", len = 0;
    } else {
        v = "", len = 0;
    }
    if (!*buf || *cap < len * 4 + 1) {
        char *grown = realloc(*buf, len * 4 + 1);
        if (!grown) {
            free(*buf);
            *buf = NULL;
            *cap = 0;
            return 0;
        }
        *buf = grown;
        *cap = len * 4 + 1;
    }
    /* a JSON string shows its text */
    size_t o = 0;
    if (name[0] != '@' && len >= 2 && v[0] == '"') {
        for (size_t i = 1; i + 1 < len; i++) {
            char c = v[i];
            if (c == '\\' && i + 2 < len) {
                char e = v[++i];
                c = e == 'n' ? '\n' : e == 't' ? '\t' : e == 'r' ? '\r' : e;
                if (e == 'u') { /* keep \uXXXX as written: rare in fields shown */
                    (*buf)[o++] = '\\';
                    c = 'u';
                }
            }
            (*buf)[o++] = c;
        }
    } else {
        memcpy(*buf, v, len);
        o = len;
    }
    (*buf)[o] = '\0';
    return o;
}

/* Are all fields envelope fields (@seq, @ts...), and is there one at least? */
static bool envelope_fields(const struct cli_fields *f)
{
    for (size_t i = 0; i < f->n; i++)
        if (f->names[i][0] != '@')
            return false;
    return f->n > 0;
}

/* Write to stdout, escaped for a person when human (docs/OUTPUT.md). */
static void put_out(const void *data, size_t len, bool human)
{
    if (human)
        cli_write_text(data, len, CLI_TEXT_BLOCK);
    else
        cli_write(data, len);
}

/* A CSV cell: the bytes exactly, quoted when they hold a comma, a quote or a
 * line break. */
static void csv_cell(const char *s, size_t len)
{
    bool quote = false;
    for (size_t i = 0; i < len && !quote; i++)
        quote = s[i] == ',' || s[i] == '"' || s[i] == '\n' || s[i] == '\r';
    if (!quote) {
        cli_write(s, len);
        return;
    }
    putchar('"');
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '"')
            putchar('"');
        putchar(s[i]);
    }
    putchar('"');
}

/* A table: the first rows set the column widths (up to 1000 are held). */
struct table {
    struct cli_fields *f;
    char ***rows;
    size_t nrows;
    size_t *width;
    bool flushed;
};

static size_t display_width(const char *s)
{
    size_t w = 0;
    for (; *s; s++)
        w += ((unsigned char)*s & 0xc0) != 0x80; /* count UTF-8 characters */
    return w;
}

static void table_print_row(struct table *t, char **cells)
{
    for (size_t i = 0; i < t->f->n; i++) {
        const char *c = cells[i];
        size_t w = display_width(c);
        fputs(c, stdout);
        if (i + 1 < t->f->n)
            for (size_t k = w; k < t->width[i] + 2; k++)
                putchar(' ');
    }
    putchar('\n');
}

/* Print the rows held (after the header), or only free them when !print. */
static void table_flush(struct table *t, bool print)
{
    if (t->flushed)
        return;
    t->flushed = print;
    if (print)
        table_print_row(t, t->f->names);
    for (size_t r = 0; r < t->nrows; r++) {
        if (print)
            table_print_row(t, t->rows[r]);
        for (size_t i = 0; i < t->f->n; i++)
            free(t->rows[r][i]);
        free(t->rows[r]);
    }
    free(t->rows);
    t->rows = NULL;
    t->nrows = 0;
}

/* Cut an (escaped, so valid UTF-8) cell to 60 characters, the last three "...". */
static void cut_cell(char *cell)
{
    if (display_width(cell) <= 60)
        return;
    size_t chars = 0, i = 0;
    for (; cell[i] && chars < 57; i++)
        chars += ((unsigned char)cell[i + 1] & 0xc0) != 0x80;
    memcpy(cell + i, "...", 4);
}

/* Add a row (the table takes cells); false when out of memory. */
static bool table_add(struct table *t, char **cells)
{
    for (size_t i = 0; i < t->f->n; i++) {
        if (!t->flushed && display_width(cells[i]) > t->width[i])
            t->width[i] = display_width(cells[i]);
    }
    char ***nr = t->flushed ? NULL : realloc(t->rows, (t->nrows + 1) * sizeof(*nr));
    if (t->flushed || !nr) {
        if (t->flushed)
            table_print_row(t, cells);
        for (size_t i = 0; i < t->f->n; i++)
            free(cells[i]);
        free(cells);
        return t->flushed;
    }
    t->rows = nr;
    t->rows[t->nrows++] = cells;
    if (t->nrows >= 1000)
        table_flush(t, true);
    return true;
}

static int query_run(struct cli *cli, int argc, char **argv)
{
    enum {
        O_SINCE = 1,
        O_UNTIL,
        O_TOPIC,
        O_LIMIT,
        O_REVERSE,
        O_COUNT,
        O_FORMAT,
        O_FIELDS,
        O_EXPLAIN,
        O_NO_INDEX,
        O_ALL,
    };
    static const struct cli_opt opts[] = {
        {"since", 0, true, O_SINCE},        {"until", 0, true, O_UNTIL},
        {"topic", 't', true, O_TOPIC},      {"lines", 'n', true, O_LIMIT},
        {"reverse", 'r', false, O_REVERSE}, {"count", 'c', false, O_COUNT},
        {"format", 0, true, O_FORMAT},      {"fields", 'f', true, O_FIELDS},
        {"explain", 0, false, O_EXPLAIN},   {"no-index", 0, false, O_NO_INDEX},
        {"all", 'a', false, O_ALL},         {NULL, 0, false, 0},
    };
    ltl_query_options qo;
    ltl_query_options_init(&qo);
    const char *expr = NULL;
    uint64_t limit = UINT64_MAX;
    int format = F_JSONL;
    bool count = false, explain = false;
    struct cli_fields fields = {0};
    struct cli_args it = {argc, argv, 1, NULL, false};
    const char *arg;
    int id, code = EXIT_OK;
    while ((id = cli_next(cli, &it, opts, &arg)) != CLI_END) {
        switch (id) {
        case O_SINCE:
            if (!cli_parse_time(cli, "--since", arg, &qo.since))
                return EXIT_USAGE;
            break;
        case O_UNTIL:
            if (!cli_parse_time(cli, "--until", arg, &qo.until))
                return EXIT_USAGE;
            break;
        case O_TOPIC:
            qo.topic = arg;
            break;
        case O_LIMIT:
            if (!cli_parse_u64(cli, "-n", arg, &limit))
                return EXIT_USAGE;
            break;
        case O_REVERSE:
            qo.flags |= LTL_QUERY_REVERSE;
            break;
        case O_COUNT:
            count = true;
            break;
        case O_FORMAT:
            if (strcmp(arg, "jsonl") == 0)
                format = F_JSONL;
            else if (strcmp(arg, "json") == 0)
                format = F_JSON;
            else if (strcmp(arg, "flat") == 0)
                format = F_FLAT;
            else if (strcmp(arg, "table") == 0)
                format = F_TABLE;
            else if (strcmp(arg, "csv") == 0)
                format = F_CSV;
            else
                return cli_usage_error(cli,
                                       "--format: '%s' is not one of jsonl, json, flat, "
                                       "table, csv",
                                       arg);
            break;
        case O_FIELDS:
            cli_fields_free(&fields);
            if (!cli_fields_parse(&fields, arg))
                return cli_usage_error(cli, "--fields: expected paths separated by commas");
            break;
        case O_EXPLAIN:
            explain = true;
            qo.flags |= LTL_QUERY_EXPLAIN;
            break;
        case O_NO_INDEX:
            qo.flags |= LTL_QUERY_NO_INDEX;
            break;
        case O_ALL:
            qo.flags |= LTL_QUERY_SYSTEM;
            break;
        case CLI_HELP:
            cli_usage(&cmd_query);
            return EXIT_OK;
        case CLI_POSITIONAL:
            if (expr)
                return cli_usage_error(cli, "one EXPR (quote it: ltl query 'a == 1 and b > 2')");
            expr = arg;
            break;
        default:
            return EXIT_USAGE;
        }
    }
    if (!expr)
        return cli_usage_error(cli, "expected a query EXPR (see docs/QUERY.md)");
    /* a malformed query is the user's, not the store's: say so before opening it */
    ltl_error err;
    if (ltl_query_check(&err, expr) != LTL_OK) {
        cli_fields_free(&fields);
        cli_fail(cli, 0, "%s", err.message);
        cli_echo(expr);
        return EXIT_INPUT;
    }
    if ((format == F_TABLE || format == F_CSV) && fields.n == 0 &&
        !cli_fields_parse(&fields, "@seq,@ts,@topic,message")) {
        return cli_fail(cli, EXIT_FAILURE_, "out of memory");
    }
    /* a count, or envelope fields only: records sealed with a read key we lack
     * need not be opened (unless the query's terms read their payload) */
    if (count || ((format == F_TABLE || format == F_CSV) && envelope_fields(&fields)))
        qo.flags |= LTL_QUERY_ENVELOPE;
    ltl_db *db;
    if ((code = cli_open(cli, &db, LTL_OPEN_READONLY))) {
        cli_fields_free(&fields);
        return code;
    }
    ltl_query *q;
    int rc = ltl_query_open(&q, db, expr, &qo);
    if (rc) {
        code = cli_fail_rc(cli, rc, ltl_errmsg(db), "cannot run the query");
        goto out;
    }
    if (explain) {
        char *text = NULL;
        if ((rc = ltl_query_explain(&text, q)) == LTL_OK)
            cli_write_text(text, strlen(text), CLI_TEXT_BLOCK);
        else
            code = cli_fail_rc(cli, rc, ltl_errmsg(db), "cannot explain the query");
        ltl_free(text);
        ltl_query_close(q);
        goto out;
    }
    const ltl_record *rec;
    uint64_t n = 0;
    char *buf = NULL, *cell = NULL;
    size_t cap = 0, cell_cap = 0, len;
    struct table table = {&fields, NULL, 0, calloc(fields.n + 1, sizeof(size_t)), false};
    if (!table.width) {
        rc = LTL_ENOMEM;
        goto stop;
    }
    for (size_t i = 0; i < fields.n; i++)
        table.width[i] = display_width(fields.names[i]);
    if (format == F_CSV) {
        for (size_t i = 0; i < fields.n; i++) {
            if (i)
                putchar(',');
            csv_cell(fields.names[i], strlen(fields.names[i]));
        }
        putchar('\n');
    }
    if (format == F_JSON && !count)
        fputs("[", stdout);
    /* flat can hold a payload as it is: escaped on a terminal, like cat --format raw */
    bool human = format == F_FLAT && cli_stdout_tty();
    /* stop at the first failed write of the output: no more is read */
    while (n < limit && !cli_interrupted && cli_out_ok() &&
           (rc = ltl_query_next(&rec, q)) == LTL_OK) {
        n++;
        if (count)
            continue;
        switch (format) {
        case F_JSONL:
        case F_JSON:
            if ((rc = ltl_record_format(&buf, &cap, &len, rec, LTL_FORMAT_JSONL)) != LTL_OK)
                goto stop;
            if (format == F_JSON) {
                fputs(n > 1 ? ",\n" : "\n", stdout);
                len--; /* the newline */
            }
            cli_write(buf, len);
            break;
        case F_FLAT: {
            char head[64 + LTL_TOPIC_MAX];
            int hl =
                snprintf(head, sizeof(head), "# seq %" PRIu64 " topic %s\n", rec->seq, rec->topic);
            put_out(head,
                    hl < 0                      ? 0
                    : (size_t)hl < sizeof(head) ? (size_t)hl
                                                : sizeof(head) - 1,
                    human);
            char *flat = NULL;
            size_t flen = 0;
            if ((rec->flags & LTL_RECORD_JSON) && !(rec->flags & LTL_RECORD_ENCRYPTED) &&
                ltl_json_flatten(&flat, &flen, rec->data, rec->len, LTL_JSON_FLAT_LINES, NULL,
                                 NULL) == LTL_OK) {
                put_out(flat, flen, human);
            } else if ((rc = ltl_record_format(&buf, &cap, &len, rec, LTL_FORMAT_RAW)) == LTL_OK) {
                put_out(buf, len, human);
            }
            ltl_free(flat);
            if (rc != LTL_OK)
                goto stop;
            putchar('\n');
            break;
        }
        case F_CSV:
            for (size_t i = 0; i < fields.n; i++) {
                if (i)
                    putchar(',');
                size_t cl = field_value(&cell, &cell_cap, rec, fields.names[i]);
                if (!cell) {
                    rc = LTL_ENOMEM;
                    goto stop;
                }
                csv_cell(cell, cl);
            }
            putchar('\n');
            break;
        case F_TABLE: {
            /* one line per row: cells are escaped (docs/OUTPUT.md) and cut */
            char **cells = calloc(fields.n + 1, sizeof(*cells));
            bool ok = cells != NULL;
            for (size_t i = 0; ok && i < fields.n; i++) {
                size_t cl = field_value(&cell, &cell_cap, rec, fields.names[i]);
                ok = cell && (cells[i] = cli_text(cell, cl, CLI_TEXT_LINE)) != NULL;
                if (ok)
                    cut_cell(cells[i]);
            }
            if (!ok) {
                for (size_t i = 0; cells && i < fields.n; i++)
                    free(cells[i]);
                free(cells);
                rc = LTL_ENOMEM;
                goto stop;
            }
            if (!table_add(&table, cells)) {
                rc = LTL_ENOMEM;
                goto stop;
            }
            break;
        }
        }
    }
stop:
    /* a failed query prints no closing bracket and no count: never a short answer
     * that looks whole */
    if (rc != LTL_OK && rc != LTL_DONE) {
        code =
            cli_fail_rc(cli, rc, rc == LTL_ENOMEM ? NULL : ltl_errmsg(db), "cannot run the query");
    } else if (!cli_out_ok()) {
        code = cli_out_fail(cli);
    } else {
        if (format == F_TABLE && !count)
            table_flush(&table, true);
        if (format == F_JSON && !count)
            fputs(n ? "\n]\n" : "]\n", stdout);
        if (count)
            printf("%" PRIu64 "\n", n);
    }
    table_flush(&table, false);
    free(table.width);
    free(buf);
    free(cell);
    ltl_query_close(q);
out:
    cli_fields_free(&fields);
    ltl_close(db);
    return code;
}

const struct cli_command cmd_query = {
    "query", query_run, "find records with the query language",
    "usage: ltl query EXPR [--since T] [--until T] [--topic T] [-n N] [--reverse]\n"
    "                      [--count] [--format jsonl|json|flat|table|csv] [--fields a,b]\n"
    "                      [--explain] [--no-index] [--all]\n"
    "\n"
    "Print the records that match EXPR (docs/QUERY.md), oldest first:\n"
    "  ltl query 'status >= 500 and @topic == web'\n"
    "  ltl query 'user.name == ann or tags[] in [urgent, high]' --since -1h\n"
    "  ltl query 'path ~ \"^/api/\"' --format table --fields @ts,status,path\n"
    "\n"
    "      --since T, --until T  records at or after T, before T (times as in 'ltl cat')\n"
    "  -t, --topic T         only topic T\n"
    "  -n, --lines N         at most N records\n"
    "  -r, --reverse         newest first\n"
    "  -c, --count           print the number of matches only\n"
    "      --format F        jsonl (default), json (one array), flat (path = value\n"
    "                        lines per record), table (aligned columns), csv; table\n"
    "                        (and flat on a terminal) shows control characters and\n"
    "                        terminal escapes as \\x1b \\r \\u202e (docs/OUTPUT.md)\n"
    "  -f, --fields a,b      columns of table and csv: payload paths, @seq, @ts, @topic,\n"
    "                        @user, @host, @pid, message (default @seq,@ts,@topic,message)\n"
    "      --explain         print the plan (the index term chosen, the ranges) and stop\n"
    "      --no-index        scan every record instead of using the index\n"
    "  -a, --all             also ltl's own records (topic _ltl)\n"
    "\n"
    "A malformed query exits with code 8 and names the column.\n"};

/* ---- paths ------------------------------------------------------------------------- */

static int print_path(void *ctx, const char *path, uint64_t count)
{
    bool json = *(bool *)ctx;
    if (json) {
        printf("{\"path\":\"");
        for (const char *p = path; *p; p++) {
            unsigned char c = (unsigned char)*p;
            if (c == '"' || c == '\\')
                printf("\\%c", c);
            else if (c < 0x20 || c == 0x7f)
                printf("\\u%04x", c);
            else
                putchar(c);
        }
        printf("\",\"count\":%" PRIu64 "}\n", count);
    } else {
        printf("%12" PRIu64 "  ", count);
        cli_write_text(path, strlen(path), CLI_TEXT_LINE);
        putchar('\n');
    }
    return cli_out_ok() ? 0 : 1; /* stop listing once the output failed */
}

static int paths_run(struct cli *cli, int argc, char **argv)
{
    static const struct cli_opt opts[] = {{"json", 0, false, 1}, {NULL, 0, false, 0}};
    bool json = false;
    const char *prefix = NULL;
    struct cli_args it = {argc, argv, 1, NULL, false};
    const char *arg;
    int id;
    while ((id = cli_next(cli, &it, opts, &arg)) != CLI_END) {
        if (id == 1)
            json = true;
        else if (id == CLI_HELP) {
            cli_usage(&cmd_paths);
            return EXIT_OK;
        } else if (id == CLI_POSITIONAL && !prefix)
            prefix = arg;
        else if (id == CLI_POSITIONAL)
            return cli_usage_error(cli, "unexpected argument '%s'", arg);
        else
            return EXIT_USAGE;
    }
    ltl_db *db;
    int code = cli_open(cli, &db, LTL_OPEN_READONLY);
    if (code)
        return code;
    int rc = ltl_paths(db, prefix, print_path, &json);
    if (!cli_out_ok())
        code = cli_out_fail(cli);
    else if (rc)
        code = cli_fail_rc(cli, rc, ltl_errmsg(db), "cannot list the paths");
    ltl_close(db);
    return code;
}

const struct cli_command cmd_paths = {
    "paths", paths_run, "list the indexed paths (for completion)",
    "usage: ltl paths [PREFIX] [--json]\n"
    "\n"
    "List the paths of the field index that start with PREFIX, in order, each with\n"
    "how many values were indexed under it. Paths are in wildcard form\n"
    "(authors[].key), as queries write them.\n"};

/* ---- reindex ------------------------------------------------------------------------- */

static void reindex_progress(void *ctx, uint64_t done, uint64_t total)
{
    /* records, shown as a count: the bar's unit is bytes, so scale for display */
    cli_progress_update(ctx, done, total);
}

static int reindex_run(struct cli *cli, int argc, char **argv)
{
    static const struct cli_opt opts[] = {{NULL, 0, false, 0}};
    struct cli_args it = {argc, argv, 1, NULL, false};
    const char *arg;
    int id;
    while ((id = cli_next(cli, &it, opts, &arg)) != CLI_END) {
        if (id == CLI_HELP) {
            cli_usage(&cmd_reindex);
            return EXIT_OK;
        }
        return id == CLI_POSITIONAL ? cli_usage_error(cli, "unexpected argument '%s'", arg)
                                    : EXIT_USAGE;
    }
    ltl_db *db;
    int code = cli_open(cli, &db, 0);
    if (code)
        return code;
    struct cli_progress prog;
    cli_progress_init(&prog, cli, "reindex (records)");
    int rc = ltl_reindex(db, reindex_progress, &prog);
    cli_progress_end(&prog);
    if (rc) {
        code = cli_fail_rc(cli, rc, ltl_errmsg(db), "cannot rebuild the index");
    } else {
        ltl_info info;
        cli_out_done("the index was rebuilt all the same");
        if (ltl_stat(&info, db) == LTL_OK)
            printf("indexed %" PRIu64 " records: %" PRIu64 " paths, %.1f MB\n", info.index_records,
                   info.index_paths, (double)info.index_bytes / 1e6);
    }
    int crc = ltl_close(db);
    if (crc && code == EXIT_OK)
        code = cli_fail_rc(cli, crc, NULL, "closing the store");
    return code;
}

const struct cli_command cmd_reindex = {
    "reindex", reindex_run, "rebuild the field index from the log",
    "usage: ltl reindex\n"
    "\n"
    "Drop the field index (STORE/index) and build it again from every record of\n"
    "the log, with a progress bar on a terminal. The index is derived data:\n"
    "deleting STORE/index loses nothing, and a writer catches up by itself; this\n"
    "is for when index.paths or index.max_paths changed.\n"};
