/* SPDX-License-Identifier: MIT */
/*
 * cmd_import.c — `ltl import` (JSON Lines files or stdin into the log, with
 * a progress bar, through ltl_import(): worker threads check and flatten,
 * one ordered appender) and `ltl export` (records, all or those matching a
 * query, as JSON Lines, RFC 7464 JSON text sequences or CSV; streaming).
 */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- import ----------------------------------------------------------------------- */

struct input {
    const char *name; /* as shown in messages: the path, or "-" */
    int fd;
};

struct import_ctx {
    struct cli *cli;
    struct input *in;
    struct cli_progress progress;
    uint64_t done_before; /* bytes of the files before this one */
    uint64_t total;       /* bytes of every file (0: unknown, stdin) */
    uint64_t reported;    /* bad lines printed */
    /* --skip: lines still to skip, lines skipped in this input (ltl_import()
     * numbers the lines it sees from 1: messages add these) and in all */
    uint64_t skip_left, skipped_here, skipped;
    bool skip_partial; /* bytes of a skipped line whose newline is still to come */
};

/* Fill buf while input is ready: a short read tells ltl_import() that no
 * more is available now (a pipe that trickles), so the lines so far are
 * appended without waiting for a full block; a fast pipe fills blocks. */
static int read_ready(struct import_ctx *c, void *buf, size_t cap, size_t *out_len)
{
    size_t got = 0;
    while (got < cap) {
        if (cli_interrupted)
            return LTL_EIO;
        ssize_t n = read(c->in->fd, (char *)buf + got, cap - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            cli_fail(c->cli, 0, "reading %s: %s", c->in->name, strerror(errno));
            return LTL_EIO;
        }
        if (n == 0)
            break;
        got += (size_t)n;
        struct pollfd p = {c->in->fd, POLLIN, 0};
        if (got < cap && poll(&p, 1, 0) <= 0)
            break;
    }
    *out_len = got;
    return LTL_OK;
}

/* Count one skipped line. */
static void skip_one(struct import_ctx *c)
{
    c->skip_left--;
    c->skipped_here++;
    c->skipped++;
    c->skip_partial = false;
}

/* The input as ltl_import() reads it: without the first --skip lines. */
static int read_input(void *vctx, void *buf, size_t cap, size_t *out_len)
{
    struct import_ctx *c = vctx;
    for (;;) {
        size_t got = 0;
        int rc = read_ready(c, buf, cap, &got);
        if (rc || !c->skip_left) {
            *out_len = got;
            return rc;
        }
        if (got == 0) {
            /* the end of this input: a last line without a newline is a line too */
            if (c->skip_partial)
                skip_one(c);
            *out_len = 0;
            return LTL_OK;
        }
        char *p = buf, *end = p + got;
        while (c->skip_left && p < end) {
            char *nl = memchr(p, '\n', (size_t)(end - p));
            if (!nl) {
                c->skip_partial = true;
                p = end;
                break;
            }
            skip_one(c);
            p = nl + 1;
        }
        if (p < end) {
            /* the skipping ended inside this block: the rest starts a line */
            memmove(buf, p, (size_t)(end - p));
            *out_len = (size_t)(end - p);
            return LTL_OK;
        }
    }
}

static void on_progress(void *vctx, uint64_t done, uint64_t total)
{
    (void)total;
    struct import_ctx *c = vctx;
    cli_progress_update(&c->progress, c->done_before + done, c->total);
}

static int on_bad_line(void *vctx, const ltl_import_error *e)
{
    struct import_ctx *c = vctx;
    c->reported++;
    cli_progress_end(&c->progress);            /* the bar comes back with the next update */
    uint64_t line = e->line + c->skipped_here; /* the line's number in the file */
    if (e->code == LTL_EPARSE)
        cli_fail(c->cli, 0, "%s:%" PRIu64 ":%" PRIu64 ": not JSON: %s", c->in->name, line,
                 e->column, e->message);
    else
        cli_fail(c->cli, 0, "%s:%" PRIu64 ": %s", c->in->name, line, e->message);
    return 0;
}

/* Import durability: casual unless the user chose a mode (a flag, or the
 * durability key set anywhere but the built-in default). */
static int origin_of_durability(void *ctx, const char *key, const char *value, const char *origin,
                                const char *help)
{
    (void)value;
    (void)help;
    if (strcmp(key, "durability") == 0) {
        *(bool *)ctx = strcmp(origin, "default") != 0;
        return 1;
    }
    return 0;
}

static bool durability_chosen(struct cli *cli)
{
    if (cli->durability != LTL_DURABILITY_DEFAULT)
        return true;
    ltl_config *cfg = NULL;
    bool chosen = false;
    if (ltl_config_load(&cfg, cli->store, cli->config, NULL, 0) == LTL_OK)
        ltl_config_foreach(cfg, origin_of_durability, &chosen);
    ltl_config_free(cfg);
    return chosen;
}

static int import_run(struct cli *cli, int argc, char **argv)
{
    enum { O_TOPIC = 1, O_KEEP_GOING, O_JOBS, O_SKIP };
    static const struct cli_opt opts[] = {
        {"topic", 't', true, O_TOPIC}, {"keep-going", 'k', false, O_KEEP_GOING},
        {"jobs", 'j', true, O_JOBS},   {"skip", 0, true, O_SKIP},
        {NULL, 0, false, 0},
    };
    ltl_import_options io;
    ltl_import_options_init(&io);
    struct input *inputs = calloc((size_t)argc + 1, sizeof(*inputs));
    size_t ninputs = 0;
    if (!inputs)
        return cli_fail(cli, EXIT_FAILURE_, "out of memory");
    struct cli_args it = {argc, argv, 1, NULL, false};
    const char *arg;
    int id, code = EXIT_OK;
    uint64_t jobs = 0, skip = 0;
    while ((id = cli_next(cli, &it, opts, &arg)) != CLI_END) {
        switch (id) {
        case O_TOPIC:
            io.topic = arg;
            break;
        case O_KEEP_GOING:
            io.flags |= LTL_IMPORT_KEEP_GOING;
            break;
        case O_JOBS:
            if (!cli_parse_u64(cli, "--jobs", arg, &jobs)) {
                free(inputs);
                return EXIT_USAGE;
            }
            if (jobs == 0 || jobs > 256) {
                free(inputs);
                return cli_usage_error(cli, "--jobs: expected 1 to 256 threads");
            }
            io.threads = (unsigned)jobs;
            break;
        case O_SKIP:
            if (!cli_parse_u64(cli, "--skip", arg, &skip)) {
                free(inputs);
                return EXIT_USAGE;
            }
            break;
        case CLI_POSITIONAL:
            inputs[ninputs++] = (struct input){arg, -1};
            break;
        case CLI_HELP:
            cli_usage(&cmd_import);
            free(inputs);
            return EXIT_OK;
        default:
            free(inputs);
            return EXIT_USAGE;
        }
    }
    if (ninputs == 0)
        inputs[ninputs++] = (struct input){"-", -1};
    /* every file opens before the store is touched */
    struct import_ctx c = {cli, NULL, {0}, 0, 0, 0, skip, 0, 0, false};
    bool unknown_size = false;
    for (size_t i = 0; i < ninputs; i++) {
        if (strcmp(inputs[i].name, "-") == 0) {
            inputs[i].fd = STDIN_FILENO;
            unknown_size = true;
            continue;
        }
        inputs[i].fd = open(inputs[i].name, O_RDONLY | O_CLOEXEC);
        if (inputs[i].fd < 0) {
            code = cli_fail(cli, EXIT_IO, "cannot open %s: %s", inputs[i].name, strerror(errno));
            goto out;
        }
        struct stat st;
        if (fstat(inputs[i].fd, &st) == 0 && S_ISREG(st.st_mode))
            c.total += (uint64_t)st.st_size;
        else
            unknown_size = true;
    }
    if (unknown_size)
        c.total = 0;
    if (!durability_chosen(cli))
        cli->durability = LTL_CASUAL; /* speed; ltl_sync at the end (docs/INDEX.md) */
    ltl_db *db;
    if ((code = cli_open(cli, &db, LTL_OPEN_CREATE)))
        goto out;
    cli_progress_init(&c.progress, cli, "import");
    io.on_error = on_bad_line;
    io.error_ctx = &c;
    io.progress = on_progress;
    io.progress_ctx = &c;
    uint64_t records = 0, rejected = 0, lines = 0, first_seq = UINT64_MAX, last_seq = 0;
    size_t at = 0;         /* the input being imported */
    uint64_t lines_at = 0; /* lines of it ltl_import() went through */
    int rc = LTL_OK;
    for (size_t i = 0; i < ninputs && rc == LTL_OK; i++) {
        at = i;
        c.in = &inputs[i];
        c.skipped_here = 0;
        c.skip_partial = false;
        ltl_import_report rep;
        rc = ltl_import(&rep, db, read_input, &c, &io);
        records += rep.records;
        rejected += rep.rejected;
        lines += rep.lines;
        lines_at = rep.lines;
        if (rep.records && first_seq == UINT64_MAX)
            first_seq = rep.first_seq;
        if (rep.records)
            last_seq = rep.last_seq;
        c.done_before += rep.bytes;
        if (rc == LTL_EPARSE || rc == LTL_ETOOBIG) {
            /* the bad line was printed: everything before it is in */
            code = EXIT_INPUT;
        } else if (rc) {
            cli_progress_end(&c.progress);
            code = cli_interrupted ? EXIT_INTERRUPTED
                                   : cli_fail_rc(cli, rc, ltl_errmsg(db), "import failed");
        }
    }
    cli_progress_end(&c.progress);
    /* the import appended casually: now make it all durable */
    int src = ltl_sync(db);
    if (src && code == EXIT_OK)
        code = cli_fail_rc(cli, src, ltl_errmsg(db), "sync failed");
    int crc = ltl_close(db);
    if (crc && code == EXIT_OK)
        code = cli_fail_rc(cli, crc, NULL, "closing the store");
    if (code == EXIT_OK && rejected)
        code = EXIT_INPUT;
    if (cli->verbosity > 0 || (c.progress.enabled && code != EXIT_INTERRUPTED))
        cli_note(cli, "%" PRIu64 " records imported from %" PRIu64 " lines, %" PRIu64 " rejected",
                 records, lines, rejected);
    if (code == EXIT_INTERRUPTED) {
        /* how far it got, exactly: every line before the resume point is in the log
         * (synced above) or was rejected; none after it is (even with -q: this is
         * what the user needs to go on without duplicates) */
        char seqs[64] = "", rej[48] = "";
        if (records)
            snprintf(seqs, sizeof(seqs), " (seq %" PRIu64 "..%" PRIu64 ")", first_seq, last_seq);
        if (rejected)
            snprintf(rej, sizeof(rej), ", %" PRIu64 " rejected", rejected);
        cli_fail(cli, 0,
                 "interrupted: %" PRIu64 " records imported%s from %" PRIu64 " lines%s; "
                 "the next line is %s:%" PRIu64
                 ": resume with the same command and --skip %" PRIu64,
                 records, seqs, lines, rej, inputs[at].name, c.skipped_here + lines_at + 1,
                 c.skipped + lines);
    } else if (c.skip_left && code == EXIT_OK) {
        cli_note(cli,
                 "--skip %" PRIu64 ": the input has %" PRIu64 " lines; nothing was left to "
                 "import",
                 skip, c.skipped);
    }
out:
    for (size_t i = 0; i < ninputs; i++)
        if (inputs[i].fd > STDIN_FILENO)
            close(inputs[i].fd);
    free(inputs);
    return code;
}

const struct cli_command cmd_import = {
    "import", import_run, "import JSON Lines files (parallel, with a progress bar)",
    "usage: ltl import [FILE...] [-] [--topic T] [--keep-going] [--jobs N]\n"
    "\n"
    "Append each line of the FILEs (JSON Lines; '-' or no FILE: standard input) as\n"
    "a record, in order. Worker threads check the JSON and flatten it for the index\n"
    "while one appender keeps the input order; the index is written as the import\n"
    "goes. Blank lines are skipped; CR LF line ends are fine. A progress bar with\n"
    "the rate and the time left shows on a terminal. Creates the store if needed.\n"
    "\n"
    "  -t, --topic T     the records' topic (default: \"default\")\n"
    "  -k, --keep-going  report bad lines and skip them (exit code 8 at the end)\n"
    "  -j, --jobs N      worker threads (default: one per CPU)\n"
    "      --skip N      skip the first N lines of the input: resume an import that was\n"
    "                    interrupted, without duplicates\n"
    "\n"
    "A bad line (not JSON, or longer than message.max_size) is reported as\n"
    "FILE:LINE:COLUMN with the reason; without --keep-going the import stops there\n"
    "(exit code 8), everything before it imported.\n"
    "Durability: the import appends in casual mode unless a mode is chosen (a flag\n"
    "such as --paranoid, or the durability key), and syncs at the end.\n"
    "\n"
    "Interrupted (SIGINT, SIGTERM: exit code 130), it makes what it appended durable\n"
    "and says how many records it imported from how many lines, and the next line:\n"
    "the same command with --skip N goes on from there. N counts the lines of the\n"
    "inputs in the order given, each FILE's lines on their own (a last line without\n"
    "a newline is a line), blank and rejected (--keep-going) lines included; a\n"
    "skipped line is not read as JSON, and bad lines keep their FILE:LINE numbers.\n"};

/* ---- export ----------------------------------------------------------------------- */

enum { X_JSONL = 1, X_JSON_SEQ, X_CSV };

/* A growable output line. */
struct line {
    char *data;
    size_t len, cap;
    bool nomem;
};

static void line_add(struct line *l, const void *s, size_t n)
{
    if (l->nomem)
        return;
    if (!l->data || l->len + n + 1 > l->cap) {
        size_t cap = l->cap ? l->cap : 256;
        while (cap < l->len + n + 1)
            cap *= 2;
        char *d = realloc(l->data, cap);
        if (!d) {
            l->nomem = true;
            return;
        }
        l->data = d;
        l->cap = cap;
    }
    memcpy(l->data + l->len, s, n);
    l->len += n;
}

static void line_str(struct line *l, const char *s)
{
    line_add(l, s, strlen(s));
}

/* Is s[0..n) well-formed UTF-8 (no overlongs, no surrogates)? */
static bool utf8_ok(const unsigned char *s, size_t n)
{
    for (size_t i = 0; i < n;) {
        unsigned c = s[i];
        size_t k = c < 0x80                  ? 1
                   : (c >= 0xC2 && c < 0xE0) ? 2
                   : (c >= 0xE0 && c < 0xF0) ? 3
                   : (c >= 0xF0 && c < 0xF5) ? 4
                                             : 0;
        if (!k || i + k > n)
            return false;
        for (size_t j = 1; j < k; j++)
            if ((s[i + j] & 0xC0) != 0x80)
                return false;
        if ((c == 0xE0 && s[i + 1] < 0xA0) || (c == 0xED && s[i + 1] > 0x9F) ||
            (c == 0xF0 && s[i + 1] < 0x90) || (c == 0xF4 && s[i + 1] > 0x8F))
            return false;
        i += k;
    }
    return true;
}

/* s as a JSON string (valid UTF-8 expected). */
static void line_json_string(struct line *l, const char *s, size_t n)
{
    line_add(l, "\"", 1);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        char esc[8];
        if (c == '"' || c == '\\') {
            esc[0] = '\\';
            esc[1] = (char)c;
            line_add(l, esc, 2);
        } else if (c < 0x20) {
            const char *named = c == '\n' ? "\\n" : c == '\t' ? "\\t" : c == '\r' ? "\\r" : NULL;
            if (named)
                line_add(l, named, 2);
            else {
                snprintf(esc, sizeof(esc), "\\u%04x", c);
                line_add(l, esc, 6);
            }
        } else {
            line_add(l, &s[i], 1);
        }
    }
    line_add(l, "\"", 1);
}

static void line_base64(struct line *l, const unsigned char *s, size_t n)
{
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned)s[i] << 16 | (i + 1 < n ? (unsigned)s[i + 1] << 8 : 0) |
                     (i + 2 < n ? s[i + 2] : 0);
        char q[4] = {tab[v >> 18 & 63], tab[v >> 12 & 63], i + 1 < n ? tab[v >> 6 & 63] : '=',
                     i + 2 < n ? tab[v & 63] : '='};
        line_add(l, q, 4);
    }
}

/* The record's message as one line of JSON: a JSON payload as stored (line
 * breaks, which JSON allows only as whitespace, become spaces); other
 * payloads as a JSON string, or {"message_base64": ...} when not UTF-8. */
static void line_message(struct line *l, const ltl_record *rec)
{
    if (rec->flags & LTL_RECORD_JSON) {
        size_t start = l->len;
        line_add(l, rec->data, rec->len);
        for (size_t i = start; !l->nomem && i < l->len; i++)
            if (l->data[i] == '\n' || l->data[i] == '\r')
                l->data[i] = ' ';
    } else if (utf8_ok(rec->data, rec->len)) {
        line_json_string(l, rec->data, rec->len);
    } else {
        line_str(l, "{\"message_base64\":\"");
        line_base64(l, rec->data, rec->len);
        line_str(l, "\"}");
    }
}

/* A field of the record as JSON text: envelope fields, "message", or a
 * payload path (null when missing). */
static void line_field_json(struct line *l, const ltl_record *rec, const char *name)
{
    char tmp[64];
    const ltl_manifest *m = rec->manifest;
    if (name[0] == '@') {
        if (strcmp(name, "@seq") == 0) {
            snprintf(tmp, sizeof(tmp), "%" PRIu64, rec->seq);
            line_str(l, tmp);
        } else if (strcmp(name, "@ts") == 0) {
            ltl_time_format(tmp, sizeof(tmp), rec->ts);
            line_json_string(l, tmp, strlen(tmp));
        } else if (strcmp(name, "@topic") == 0) {
            line_json_string(l, rec->topic, strlen(rec->topic));
        } else if (strcmp(name, "@user") == 0 && m) {
            line_json_string(l, m->user, strlen(m->user));
        } else if (strcmp(name, "@host") == 0 && m) {
            line_json_string(l, m->host, strlen(m->host));
        } else if (strcmp(name, "@pid") == 0 && m) {
            snprintf(tmp, sizeof(tmp), "%" PRId64, m->pid);
            line_str(l, tmp);
        } else if (strcmp(name, "@manifest") == 0) {
            snprintf(tmp, sizeof(tmp), "%" PRIu64, rec->manifest_seq);
            line_str(l, tmp);
        } else {
            line_str(l, "null");
        }
        return;
    }
    if (strcmp(name, "message") == 0 || strcmp(name, ".") == 0) {
        line_message(l, rec);
        return;
    }
    const char *v;
    size_t len;
    if ((rec->flags & LTL_RECORD_JSON) &&
        ltl_json_path_get(&v, &len, rec->data, rec->len, name, NULL) == LTL_OK) {
        size_t start = l->len;
        line_add(l, v, len);
        for (size_t i = start; !l->nomem && i < l->len; i++)
            if (l->data[i] == '\n' || l->data[i] == '\r')
                l->data[i] = ' ';
    } else {
        line_str(l, "null");
    }
}

/* A field as `ltl query --format csv` shows it: strings decoded, other JSON
 * as written, "" when missing (the same rules as cmd_query.c). */
static void line_field_text(struct line *l, const ltl_record *rec, const char *name)
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
    if (name[0] != '@' && len >= 2 && v[0] == '"') {
        for (size_t i = 1; i + 1 < len; i++) {
            char c = v[i];
            if (c == '\\' && i + 2 < len) {
                char e = v[++i];
                c = e == 'n' ? '\n' : e == 't' ? '\t' : e == 'r' ? '\r' : e;
                if (e == 'u') /* keep \uXXXX as written: rare in fields shown */
                    line_add(l, "\\", 1);
            }
            line_add(l, &c, 1);
        }
    } else {
        line_add(l, v, len);
    }
}

/* A CSV cell: quoted when it holds a comma, a quote or a line break. */
static void line_csv_cell(struct line *l, const char *s, size_t n)
{
    bool quote = false;
    for (size_t i = 0; i < n && !quote; i++)
        quote = s[i] == ',' || s[i] == '"' || s[i] == '\n' || s[i] == '\r';
    if (!quote) {
        line_add(l, s, n);
        return;
    }
    line_add(l, "\"", 1);
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '"')
            line_add(l, "\"", 1);
        line_add(l, &s[i], 1);
    }
    line_add(l, "\"", 1);
}

struct exporter {
    int format;
    bool envelope;
    struct cli_fields *fields;
    struct line line, cell;
    char *fmt_buf;
    size_t fmt_cap;
};

/* One record's output line (false when out of memory). */
static bool export_record(struct exporter *x, const ltl_record *rec)
{
    struct line *l = &x->line;
    l->len = 0;
    if (x->format == X_CSV) {
        for (size_t i = 0; i < x->fields->n; i++) {
            if (i)
                line_add(l, ",", 1);
            x->cell.len = 0;
            line_field_text(&x->cell, rec, x->fields->names[i]);
            if (x->cell.nomem)
                return false;
            line_csv_cell(l, x->cell.data ? x->cell.data : "", x->cell.len);
        }
        line_add(l, "\n", 1);
        return !l->nomem && cli_write(l->data, l->len);
    }
    if (x->format == X_JSON_SEQ)
        line_add(l, "\x1e", 1);
    if (x->envelope) {
        size_t len;
        if (ltl_record_format(&x->fmt_buf, &x->fmt_cap, &len, rec, LTL_FORMAT_JSONL) != LTL_OK)
            return false;
        line_add(l, x->fmt_buf, len);
    } else if (x->fields->n) {
        line_add(l, "{", 1);
        for (size_t i = 0; i < x->fields->n; i++) {
            if (i)
                line_add(l, ",", 1);
            line_json_string(l, x->fields->names[i], strlen(x->fields->names[i]));
            line_add(l, ":", 1);
            if ((rec->flags & LTL_RECORD_ENCRYPTED) && x->fields->names[i][0] != '@')
                line_str(l, "null");
            else
                line_field_json(l, rec, x->fields->names[i]);
        }
        line_add(l, "}\n", 2);
    } else {
        line_message(l, rec);
        line_add(l, "\n", 1);
    }
    return !l->nomem && cli_write(l->data, l->len);
}

static int export_run(struct cli *cli, int argc, char **argv)
{
    enum { O_FORMAT = 1, O_FIELDS, O_SINCE, O_UNTIL, O_TOPIC, O_ENVELOPE, O_ALL };
    static const struct cli_opt opts[] = {
        {"format", 0, true, O_FORMAT}, {"fields", 'f', true, O_FIELDS},
        {"since", 0, true, O_SINCE},   {"until", 0, true, O_UNTIL},
        {"topic", 't', true, O_TOPIC}, {"envelope", 'e', false, O_ENVELOPE},
        {"all", 'a', false, O_ALL},    {NULL, 0, false, 0},
    };
    struct cli_fields fields = {0};
    struct exporter x = {X_JSONL, false, &fields, {0}, {0}, NULL, 0};
    ltl_query_options qo;
    ltl_query_options_init(&qo);
    const char *expr = NULL;
    struct cli_args it = {argc, argv, 1, NULL, false};
    const char *arg;
    int id, code = EXIT_OK;
    while ((id = cli_next(cli, &it, opts, &arg)) != CLI_END) {
        switch (id) {
        case O_FORMAT:
            if (strcmp(arg, "jsonl") == 0)
                x.format = X_JSONL;
            else if (strcmp(arg, "json-seq") == 0)
                x.format = X_JSON_SEQ;
            else if (strcmp(arg, "csv") == 0)
                x.format = X_CSV;
            else {
                cli_fields_free(&fields);
                return cli_usage_error(cli, "--format: '%s' is not one of jsonl, json-seq, csv",
                                       arg);
            }
            break;
        case O_FIELDS:
            cli_fields_free(&fields);
            if (!cli_fields_parse(&fields, arg))
                return cli_usage_error(cli, "--fields: expected paths separated by commas");
            break;
        case O_SINCE:
            if (!cli_parse_time(cli, "--since", arg, &qo.since)) {
                cli_fields_free(&fields);
                return EXIT_USAGE;
            }
            break;
        case O_UNTIL:
            if (!cli_parse_time(cli, "--until", arg, &qo.until)) {
                cli_fields_free(&fields);
                return EXIT_USAGE;
            }
            break;
        case O_TOPIC:
            qo.topic = arg;
            break;
        case O_ENVELOPE:
            x.envelope = true;
            break;
        case O_ALL:
            qo.flags |= LTL_QUERY_SYSTEM;
            break;
        case CLI_HELP:
            cli_usage(&cmd_export);
            cli_fields_free(&fields);
            return EXIT_OK;
        case CLI_POSITIONAL:
            if (expr) {
                cli_fields_free(&fields);
                return cli_usage_error(cli, "one EXPR (quote it: ltl export 'a == 1 and b > 2')");
            }
            expr = arg;
            break;
        default:
            cli_fields_free(&fields);
            return EXIT_USAGE;
        }
    }
    if (x.envelope && (fields.n || x.format == X_CSV)) {
        cli_fields_free(&fields);
        return cli_usage_error(cli, "--envelope goes with jsonl or json-seq, without --fields");
    }
    if (expr) {
        ltl_error err;
        if (ltl_query_check(&err, expr) != LTL_OK) {
            cli_fields_free(&fields);
            cli_fail(cli, 0, "%s", err.message);
            cli_echo(expr);
            return EXIT_INPUT;
        }
    }
    if (x.format == X_CSV && fields.n == 0 &&
        !cli_fields_parse(&fields, "@seq,@ts,@topic,message")) {
        return cli_fail(cli, EXIT_FAILURE_, "out of memory");
    }
    ltl_db *db;
    if ((code = cli_open(cli, &db, LTL_OPEN_READONLY))) {
        cli_fields_free(&fields);
        return code;
    }
    ltl_query *q = NULL;
    ltl_cursor *cur = NULL;
    int rc;
    /* envelope fields only (@seq, @ts...): records sealed with a read key we lack
     * are exported too; anything else needs their message (exit 13) */
    bool envelope_only = fields.n > 0;
    for (size_t i = 0; i < fields.n; i++)
        envelope_only = envelope_only && fields.names[i][0] == '@';
    if (envelope_only)
        qo.flags |= LTL_QUERY_ENVELOPE;
    if (expr) {
        rc = ltl_query_open(&q, db, expr, &qo);
    } else {
        /* everything in the range: a cursor, no query to check */
        ltl_cursor_options co;
        ltl_cursor_options_init(&co);
        co.since = qo.since;
        co.until = qo.until;
        co.topic = qo.topic;
        co.flags = (qo.flags & LTL_QUERY_SYSTEM ? LTL_CURSOR_SYSTEM : 0) |
                   (envelope_only ? LTL_CURSOR_ENVELOPE : 0);
        rc = ltl_cursor_open(&cur, db, &co);
    }
    if (rc) {
        code = cli_fail_rc(cli, rc, ltl_errmsg(db), expr ? "query" : "export");
        goto out;
    }
    if (x.format == X_CSV) {
        struct line *l = &x.line;
        l->len = 0;
        for (size_t i = 0; i < fields.n; i++) {
            if (i)
                line_add(l, ",", 1);
            line_csv_cell(l, fields.names[i], strlen(fields.names[i]));
        }
        line_add(l, "\n", 1);
        if (l->nomem || !cli_write(l->data, l->len))
            goto write_failed;
    }
    const ltl_record *rec;
    while (!cli_interrupted &&
           (rc = q ? ltl_query_next(&rec, q) : ltl_cursor_next(&rec, cur)) == LTL_OK) {
        if (!export_record(&x, rec))
            goto write_failed;
    }
    if (cli_interrupted)
        code = EXIT_INTERRUPTED;
    else if (rc != LTL_DONE)
        code = cli_fail_rc(cli, rc, ltl_errmsg(db), "export");
    goto out;
write_failed:
    /* stop at the first failed write: main's cli_out_finish() checks the final flush */
    code = x.line.nomem || x.cell.nomem ? cli_fail(cli, EXIT_FAILURE_, "out of memory")
                                        : cli_out_fail(cli);
out:
    ltl_query_close(q);
    ltl_cursor_close(cur);
    free(x.line.data);
    free(x.cell.data);
    ltl_free(x.fmt_buf);
    cli_fields_free(&fields);
    ltl_close(db);
    return code;
}

const struct cli_command cmd_export = {
    "export", export_run, "write records out as JSON Lines, JSON text sequences or CSV",
    "usage: ltl export [EXPR] [--format jsonl|json-seq|csv] [--fields a,b] [--envelope]\n"
    "                         [--since T] [--until T] [--topic T] [--all]\n"
    "\n"
    "Write every record, or those matching the query EXPR (docs/QUERY.md), oldest\n"
    "first, streaming:\n"
    "  jsonl     (default) one line per record: its message, JSON as stored (what\n"
    "            'ltl import' reads back), other messages as a JSON string\n"
    "  json-seq  the same as RFC 7464 JSON text sequences (RS before each record)\n"
    "  csv       columns as 'ltl query --format csv' (default @seq,@ts,@topic,message)\n"
    "\n"
    "  -f, --fields a,b      jsonl/json-seq: an object of these fields per record\n"
    "                        (payload paths, @seq, @ts, @topic, @user, @host, @pid,\n"
    "                        message; null when missing); csv: the columns\n"
    "  -e, --envelope        jsonl/json-seq: ltl's record objects (envelope and\n"
    "                        message), as 'ltl query' prints them\n"
    "      --since T, --until T  records at or after T, before T\n"
    "  -t, --topic T         only topic T\n"
    "  -a, --all             also ltl's own records (topic _ltl)\n"
    "\n"
    "A record encrypted with a read key that keys.read does not hold stops the\n"
    "export with exit code 13, naming the record and the key, unless every field\n"
    "asked for is an envelope field (--fields @seq,@ts,...; no EXPR). A malformed\n"
    "EXPR exits with code 8 and names the column.\n"};
