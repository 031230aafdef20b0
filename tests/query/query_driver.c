/* SPDX-License-Identifier: MIT */
/*
 * query_driver.c — runs queries over records with the query module, for the
 * differential test against the Python reference (tests/query/reference.py).
 *
 *   query_driver [--now NS] [--check] RECORDS QUERIES
 *   query_driver --format QUERIES
 *
 * RECORDS: JSON Lines, one record per line: {"seq": n, "ts": ns, "topic": s,
 * "user": s, "host": s, "pid": n, "manifest": n, "payload": s|null} where
 * "payload" is the JSON text of the payload as a string (null: not JSON) and
 * user, host, pid, manifest may be absent (unknown).
 * QUERIES: JSON Lines, one JSON string (the query text) per line.
 *
 * Output, one line per query: "OK seq seq ..." (the matching records, in
 * input order), or "ERR message". --check also verifies, per query, that the
 * formatted query parses back to the same text and gives the same matches,
 * and that every match lies inside the seq/ts range the planner helper
 * computes; a violation prints "FAIL ..." instead. --format prints the
 * normalized text of each query (or ERR).
 */
#include "json/json.h"
#include "query/query.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct record {
    ltl__query_record rec;
    char *topic, *user, *host;
    char *payload;
    size_t payload_len;
    bool has_payload;
};

struct line_ctx {
    struct record *r;
    char *query;
    size_t query_len;
    int rc;
};

static char *decode_string(const char *text, size_t len, size_t *out_len)
{
    ltl__buf b = {0};
    if (ltl__json_unescape(&b, text + 1, len - 2) != LTL_OK) {
        fprintf(stderr, "out of memory\n");
        exit(2);
    }
    if (out_len)
        *out_len = b.len;
    if (!b.data)
        return strdup("");
    char *s = malloc(b.len + 1);
    memcpy(s, b.data, b.len + 1);
    ltl__buf_free(&b);
    return s;
}

static int on_record_event(void *ctx, const ltl_json_event *ev)
{
    struct line_ctx *c = ctx;
    struct record *r = c->r;
    if (ev->depth != 1)
        return 0;
    char num[64];
    size_t n = ev->value_len < sizeof(num) - 1 ? ev->value_len : sizeof(num) - 1;
    memcpy(num, ev->value, n);
    num[n] = '\0';
    if (!strcmp(ev->path, "seq")) {
        r->rec.seq = strtoull(num, NULL, 10);
    } else if (!strcmp(ev->path, "ts")) {
        r->rec.ts = strtoll(num, NULL, 10);
    } else if (!strcmp(ev->path, "pid")) {
        r->rec.pid = strtoll(num, NULL, 10);
        r->rec.has_pid = true;
    } else if (!strcmp(ev->path, "manifest")) {
        r->rec.manifest = strtoull(num, NULL, 10);
        r->rec.has_manifest = true;
    } else if (!strcmp(ev->path, "topic") && ev->type == LTL_JSON_STRING) {
        r->topic = decode_string(ev->value, ev->value_len, NULL);
    } else if (!strcmp(ev->path, "user") && ev->type == LTL_JSON_STRING) {
        r->user = decode_string(ev->value, ev->value_len, NULL);
    } else if (!strcmp(ev->path, "host") && ev->type == LTL_JSON_STRING) {
        r->host = decode_string(ev->value, ev->value_len, NULL);
    } else if (!strcmp(ev->path, "payload") && ev->type == LTL_JSON_STRING) {
        r->payload = decode_string(ev->value, ev->value_len, &r->payload_len);
        r->has_payload = true;
    }
    return 0;
}

static int on_query_event(void *ctx, const ltl_json_event *ev)
{
    struct line_ctx *c = ctx;
    if (ev->depth == 0 && ev->type == LTL_JSON_STRING)
        c->query = decode_string(ev->value, ev->value_len, &c->query_len);
    return 0;
}

static char *read_line(FILE *f, size_t *len)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t n = getline(&line, &cap, f);
    if (n < 0) {
        free(line);
        return NULL;
    }
    while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
        line[--n] = '\0';
    *len = (size_t)n;
    return line;
}

static FILE *open_or_die(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "%s: %s\n", path, strerror(errno));
        exit(2);
    }
    return f;
}

static struct record *load_records(const char *path, size_t *count)
{
    FILE *f = open_or_die(path);
    struct record *recs = NULL;
    size_t n = 0, cap = 0, len;
    char *line;
    while ((line = read_line(f, &len))) {
        if (len == 0) {
            free(line);
            continue;
        }
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            recs = realloc(recs, cap * sizeof(*recs));
        }
        struct record *r = &recs[n++];
        memset(r, 0, sizeof(*r));
        struct line_ctx c = {.r = r};
        ltl_json_error err;
        if (ltl_json_parse(line, len, NULL, on_record_event, &c, &err) != LTL_OK) {
            fprintf(stderr, "%s: record %zu: %s\n", path, n, err.message);
            exit(2);
        }
        r->rec.topic = r->topic ? r->topic : "";
        r->rec.user = r->user;
        r->rec.host = r->host;
        r->rec.payload = r->has_payload ? r->payload : NULL;
        r->rec.payload_len = r->payload_len;
        free(line);
    }
    fclose(f);
    *count = n;
    return recs;
}

/* The matches of q as "OK a b c" into out; or an error line. */
static int run_query(ltl__buf *out, const ltl__query *q, const struct record *recs, size_t n)
{
    ltl__query_matcher *m = NULL;
    if (ltl__query_matcher_new(&m, q) != LTL_OK)
        return -1;
    int rc = ltl__buf_append(out, "OK", 2);
    for (size_t i = 0; i < n && rc == LTL_OK; i++) {
        bool yes = false;
        ltl__err_begin();
        rc = ltl__query_matcher_run(&yes, m, &recs[i].rec);
        if (rc != LTL_OK) {
            out->len = 0;
            rc = ltl__buf_appendf(out, "ERR %s", ltl__err_current());
            break;
        }
        if (yes)
            rc = ltl__buf_appendf(out, " %llu", (unsigned long long)recs[i].rec.seq);
    }
    ltl__query_matcher_free(m);
    return rc;
}

/* Every match inside the range the planner helper computes? */
static bool in_range(const ltl__query *q, const struct record *recs, size_t n, char *why,
                     size_t cap)
{
    ltl__query_range range;
    ltl__query_range_of(&range, q);
    for (size_t i = 0; i < n; i++) {
        bool yes = false;
        if (ltl__query_match(&yes, q, &recs[i].rec) != LTL_OK || !yes)
            continue;
        const ltl__query_record *r = &recs[i].rec;
        if (range.empty || r->seq < range.seq_min || r->seq > range.seq_max ||
            r->ts < range.ts_min || r->ts > range.ts_max) {
            snprintf(why, cap, "seq %llu ts %lld matches outside the range%s",
                     (unsigned long long)r->seq, (long long)r->ts, range.empty ? " (empty)" : "");
            return false;
        }
    }
    return true;
}

int main(int argc, char **argv)
{
    int64_t now = 1763719200000000000LL; /* 2025-11-21T10:00:00Z */
    bool check = false, format_only = false;
    int i = 1;
    for (; i < argc && argv[i][0] == '-' && argv[i][1] == '-'; i++) {
        if (!strcmp(argv[i], "--now") && i + 1 < argc)
            now = strtoll(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--check"))
            check = true;
        else if (!strcmp(argv[i], "--format"))
            format_only = true;
        else
            break;
    }
    if (argc - i != (format_only ? 1 : 2)) {
        fprintf(stderr, "usage: query_driver [--now NS] [--check] RECORDS QUERIES\n"
                        "       query_driver [--now NS] --format QUERIES\n");
        return 2;
    }
    size_t nrec = 0;
    struct record *recs = format_only ? NULL : load_records(argv[i], &nrec);
    FILE *f = open_or_die(argv[format_only ? i : i + 1]);
    size_t len;
    char *line;
    ltl__buf out = {0}, again = {0}, text = {0}, text2 = {0};
    while ((line = read_line(f, &len))) {
        struct line_ctx c = {0};
        ltl_json_error err;
        if (ltl_json_parse(line, len, NULL, on_query_event, &c, &err) != LTL_OK || !c.query) {
            fprintf(stderr, "bad query line: %s\n", line);
            return 2;
        }
        out.len = again.len = text.len = text2.len = 0;
        ltl__query *q = NULL;
        ltl__err_begin();
        int rc = ltl__query_parse(&q, c.query, c.query_len, now);
        if (rc != LTL_OK) {
            printf("ERR %s\n", ltl__err_current());
        } else if (format_only) {
            if (ltl__query_format(&text, q) != LTL_OK)
                return 3;
            printf("%s\n", text.data);
        } else {
            if (run_query(&out, q, recs, nrec) != LTL_OK)
                return 3;
            char why[256] = "";
            if (check) {
                ltl__query *q2 = NULL;
                if (ltl__query_format(&text, q) != LTL_OK)
                    return 3;
                ltl__err_begin();
                if (ltl__query_parse(&q2, text.data, text.len, now) != LTL_OK) {
                    snprintf(why, sizeof(why), "the formatted query does not parse: %s",
                             ltl__err_current());
                } else {
                    if (ltl__query_format(&text2, q2) != LTL_OK ||
                        run_query(&again, q2, recs, nrec) != LTL_OK)
                        return 3;
                    if (text.len != text2.len || memcmp(text.data, text2.data, text.len) != 0)
                        snprintf(why, sizeof(why), "formatting is not stable: %s", text2.data);
                    else if (out.len != again.len || memcmp(out.data, again.data, out.len) != 0)
                        snprintf(why, sizeof(why), "the formatted query matches differently");
                    else
                        in_range(q, recs, nrec, why, sizeof(why));
                }
                ltl__query_free(q2);
            }
            if (why[0])
                printf("FAIL %s\n", why);
            else
                printf("%s\n", out.data);
        }
        ltl__query_free(q);
        free(c.query);
        free(line);
    }
    fclose(f);
    ltl__buf_free(&out);
    ltl__buf_free(&again);
    ltl__buf_free(&text);
    ltl__buf_free(&text2);
    for (size_t k = 0; k < nrec; k++) {
        free(recs[k].topic);
        free(recs[k].user);
        free(recs[k].host);
        free(recs[k].payload);
    }
    free(recs);
    return 0;
}
