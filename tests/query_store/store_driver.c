/* SPDX-License-Identifier: MIT */
/*
 * store_driver.c — the C side of the store-level query tests (run.py): it
 * builds a real store through the public API (appends one by one, with the
 * index paused, with index.defer, or through ltl_import), runs queries with
 * and without the index through a reader or a writer handle, rebuilds the
 * index, and kills an import with SIGKILL to check the index catches up.
 *
 * It is linked with -Wl,--wrap=ltl_time_now: the library's clock is the
 * driver's, so records get the timestamps the test generated and relative
 * times in queries ("-15m", "today") resolve against the test's "now".
 *
 *   store_driver build STORE IN LO HI [--pause|--defer|--import] [--jobs N]
 *       IN: one record per line, "TS TOPIC J|R HEXPAYLOAD"; appends lines
 *       [LO, HI) and prints "SEQ" per record. --import: through ltl_import
 *       (every record of the range has the same topic and JSON, and TS).
 *   store_driver envelope STORE     "SEQ TS MANIFEST PID USERHEX HOSTHEX" per data record
 *   store_driver query STORE QUERIES NOW [--no-index] [--writer] [--reverse]
 *       QUERIES: one hex-encoded query per line; prints "OK SEQ..." or "ERR message"
 *   store_driver reindex STORE      ltl_reindex()
 *   store_driver open STORE         open a writer and close it (the index catches up)
 *   store_driver stat STORE         "RECORDS INDEXED"
 *   store_driver crash STORE ROUNDS SEED
 *       import generated records (over and over) in a child killed by SIGKILL at a random moment,
 *       ROUNDS times; after each, check the index is not ahead of the log, reopen
 *       (the index catches up), and compare fixed queries with and without the index.
 */
#include "ltl.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* ---- the clock ---------------------------------------------------------------------------- */

int64_t __real_ltl_time_now(void);
int64_t __wrap_ltl_time_now(void);
static int64_t fake_now;

int64_t __wrap_ltl_time_now(void)
{
    return fake_now ? fake_now : __real_ltl_time_now();
}

/* ---- helpers ------------------------------------------------------------------------------ */

static void die(const char *fmt, const char *a, const char *b)
{
    fprintf(stderr, "store_driver: ");
    fprintf(stderr, fmt, a ? a : "", b ? b : "");
    fputc('\n', stderr);
    exit(1);
}

static size_t unhex(char *out, const char *hex)
{
    size_t n = 0;
    for (; hex[0] && hex[1] && hex[0] != '\n'; hex += 2) {
        unsigned v;
        if (sscanf(hex, "%2x", &v) != 1)
            break;
        out[n++] = (char)v;
    }
    out[n] = '\0';
    return n;
}

static void puthex(const char *s)
{
    if (!*s)
        putchar('-');
    for (; *s; s++)
        printf("%02x", (unsigned char)*s);
}

static ltl_db *open_store(const char *path, unsigned flags, const char *config, int durability)
{
    ltl_options o;
    ltl_options_init(&o);
    o.flags = flags | LTL_OPEN_NO_ENV;
    o.config = config;
    o.durability = durability;
    o.log = ltl_log_stderr;
    o.log_level = LTL_LOG_ERROR;
    ltl_db *db;
    int rc = ltl_open(&db, path, &o);
    if (rc)
        die("open %s: %s", path, db ? ltl_errmsg(db) : ltl_strerror(rc));
    return db;
}

static void close_store(ltl_db *db)
{
    int rc = ltl_close(db);
    if (rc)
        die("close: %s%s", ltl_strerror(rc), NULL);
}

struct rec_in {
    int64_t ts;
    char topic[256];
    bool json;
    char *payload;
    size_t len;
};

/* Line `i` of IN. */
static bool read_rec(FILE *in, struct rec_in *r)
{
    static char *line;
    static size_t cap;
    ssize_t n = getline(&line, &cap, in);
    if (n <= 0)
        return false;
    char kind;
    int off = 0;
    long long ts;
    if (sscanf(line, "%lld %255s %c %n", &ts, r->topic, &kind, &off) < 3)
        die("bad input line: %s%s", line, NULL);
    r->ts = ts;
    r->json = kind == 'J';
    free(r->payload);
    r->payload = malloc((size_t)n);
    r->len = unhex(r->payload, line + off);
    return true;
}

/* ---- build ---------------------------------------------------------------------------------- */

struct import_src {
    const char *data;
    size_t len, at;
    bool slow; /* the crash test: an import that lasts, so that kills land inside it */
};

static int read_mem(void *ctx, void *buf, size_t cap, size_t *out_len)
{
    struct import_src *s = ctx;
    size_t n = s->len - s->at < cap ? s->len - s->at : cap;
    /* small reads: lines straddle blocks */
    if (n > 4093)
        n = 4093;
    memcpy(buf, s->data + s->at, n);
    s->at += n;
    *out_len = n;
    if (s->slow) {
        struct timespec d = {0, 600000};
        nanosleep(&d, NULL);
    }
    return LTL_OK;
}

static int cmd_build(int argc, char **argv)
{
    if (argc < 4)
        die("usage: build STORE IN LO HI [--pause|--defer|--import]%s%s", NULL, NULL);
    const char *store = argv[0];
    FILE *in = fopen(argv[1], "r");
    if (!in)
        die("cannot open %s%s", argv[1], NULL);
    long lo = atol(argv[2]), hi = atol(argv[3]);
    bool pause = false, defer = false, import = false;
    unsigned jobs = 0;
    for (int i = 4; i < argc; i++) {
        if (strcmp(argv[i], "--pause") == 0)
            pause = true;
        else if (strcmp(argv[i], "--defer") == 0)
            defer = true;
        else if (strcmp(argv[i], "--import") == 0)
            import = true;
        else if (strcmp(argv[i], "--jobs") == 0 && i + 1 < argc)
            jobs = (unsigned)atoi(argv[++i]);
    }
    struct rec_in r = {0};
    for (long i = 0; i < lo; i++)
        if (!read_rec(in, &r))
            die("input too short%s%s", NULL, NULL);
    if (!read_rec(in, &r))
        die("input too short%s%s", NULL, NULL);
    fake_now = r.ts; /* the manifest and segment headers get the first record's time */
    ltl_db *db = open_store(store, LTL_OPEN_CREATE, defer ? "index.defer=on" : NULL,
                            import ? LTL_CASUAL : LTL_SAFE);
    if (pause && ltl_pause(db, LTL_PAUSE_INDEX) != LTL_OK)
        die("pause: %s%s", ltl_errmsg(db), NULL);
    if (import) {
        /* the range as JSON Lines, blank lines and CR LF mixed in */
        size_t cap = 1 << 16, len = 0;
        char *buf = malloc(cap);
        int64_t ts = r.ts;
        const char *topic = NULL;
        static char topic_buf[256];
        for (long i = lo; i < hi; i++) {
            if (i > lo && !read_rec(in, &r))
                die("input too short%s%s", NULL, NULL);
            if (!r.json || r.ts != ts)
                die("an import range needs JSON records of one time%s%s", NULL, NULL);
            if (!topic) {
                snprintf(topic_buf, sizeof(topic_buf), "%s", r.topic);
                topic = topic_buf;
            } else if (strcmp(topic, r.topic) != 0) {
                die("an import range needs one topic%s%s", NULL, NULL);
            }
            while (len + r.len + 8 > cap)
                buf = realloc(buf, cap *= 2);
            memcpy(buf + len, r.payload, r.len);
            len += r.len;
            if (i % 7 == 3)
                buf[len++] = '\r';
            buf[len++] = '\n';
            if (i % 11 == 5)
                buf[len++] = '\n';
        }
        ltl_import_options io;
        ltl_import_options_init(&io);
        io.topic = topic;
        io.threads = jobs;
        struct import_src src = {buf, len, 0, false};
        ltl_import_report rep;
        fake_now = ts;
        if (ltl_import(&rep, db, read_mem, &src, &io) != LTL_OK)
            die("import: %s%s", ltl_errmsg(db), NULL);
        if (rep.records != (uint64_t)(hi - lo))
            die("import: wrong record count%s%s", NULL, NULL);
        if (ltl_sync(db) != LTL_OK)
            die("sync: %s%s", ltl_errmsg(db), NULL);
        for (uint64_t s = rep.first_seq; s <= rep.last_seq && rep.records; s++)
            printf("%" PRIu64 "\n", s);
        free(buf);
    } else {
        for (long i = lo; i < hi; i++) {
            if (i > lo && !read_rec(in, &r))
                die("input too short%s%s", NULL, NULL);
            fake_now = r.ts;
            uint64_t seq;
            int rc = ltl_append(&seq, db, r.topic, r.payload, r.len, r.json ? LTL_APPEND_JSON : 0);
            if (rc)
                die("append: %s%s", ltl_errmsg(db), NULL);
            printf("%" PRIu64 "\n", seq);
        }
    }
    free(r.payload);
    fclose(in);
    close_store(db);
    return 0;
}

/* ---- envelope, stat ----------------------------------------------------------------------- */

static int cmd_envelope(int argc, char **argv)
{
    if (argc < 1)
        die("usage: envelope STORE%s%s", NULL, NULL);
    ltl_db *db = open_store(argv[0], LTL_OPEN_READONLY, NULL, 0);
    ltl_cursor *cur;
    if (ltl_cursor_open(&cur, db, NULL) != LTL_OK)
        die("cursor: %s%s", ltl_errmsg(db), NULL);
    const ltl_record *rec;
    int rc;
    while ((rc = ltl_cursor_next(&rec, cur)) == LTL_OK) {
        const ltl_manifest *m = rec->manifest;
        printf("%" PRIu64 " %" PRId64 " %" PRIu64 " %" PRId64 " ", rec->seq, rec->ts,
               rec->manifest_seq, m ? m->pid : -1);
        puthex(m ? m->user : "");
        putchar(' ');
        puthex(m ? m->host : "");
        putchar('\n');
    }
    if (rc != LTL_DONE)
        die("cursor: %s%s", ltl_errmsg(db), NULL);
    ltl_cursor_close(cur);
    close_store(db);
    return 0;
}

static int cmd_stat(int argc, char **argv)
{
    if (argc < 1)
        die("usage: stat STORE%s%s", NULL, NULL);
    ltl_db *db = open_store(argv[0], LTL_OPEN_READONLY, NULL, 0);
    ltl_info info;
    if (ltl_stat(&info, db) != LTL_OK)
        die("stat: %s%s", ltl_errmsg(db), NULL);
    printf("%" PRIu64 " %" PRIu64 "\n", info.records, info.index_records);
    close_store(db);
    return 0;
}

/* ---- queries ------------------------------------------------------------------------------- */

/* The seqs matching expr, space-separated into out (malloc'd); NULL and the message on failure. */
static char *run_query(ltl_db *db, const char *expr, unsigned flags, char *err, size_t errlen)
{
    ltl_query_options qo;
    ltl_query_options_init(&qo);
    qo.flags = flags;
    ltl_query *q;
    if (ltl_query_open(&q, db, expr, &qo) != LTL_OK) {
        snprintf(err, errlen, "%s", ltl_errmsg(db));
        return NULL;
    }
    size_t cap = 256, len = 0;
    char *out = malloc(cap);
    out[0] = '\0';
    const ltl_record *rec;
    int rc;
    uint64_t *seqs = NULL;
    size_t n = 0, scap = 0;
    while ((rc = ltl_query_next(&rec, q)) == LTL_OK) {
        if (n == scap)
            seqs = realloc(seqs, (scap = scap ? scap * 2 : 64) * sizeof(*seqs));
        seqs[n++] = rec->seq;
    }
    ltl_query_close(q);
    if (rc != LTL_DONE) {
        snprintf(err, errlen, "next: %s", ltl_errmsg(db));
        free(out);
        free(seqs);
        return NULL;
    }
    bool reverse = flags & LTL_QUERY_REVERSE;
    for (size_t i = 0; i < n; i++) {
        uint64_t s = seqs[i];
        /* in order (newest first when reversed), each once */
        if (i && (reverse ? seqs[i - 1] <= s : seqs[i - 1] >= s)) {
            snprintf(err, errlen, "records out of order or repeated (seq %" PRIu64 ")", s);
            free(out);
            free(seqs);
            return NULL;
        }
        if (len + 24 > cap)
            out = realloc(out, cap *= 2);
        len += (size_t)snprintf(out + len, cap - len, " %" PRIu64, s);
    }
    free(seqs);
    return out;
}

static int cmd_query(int argc, char **argv)
{
    if (argc < 3)
        die("usage: query STORE QUERIES NOW [--no-index] [--writer] [--reverse]%s%s", NULL, NULL);
    unsigned flags = 0;
    bool writer = false;
    for (int i = 3; i < argc; i++) {
        if (strcmp(argv[i], "--no-index") == 0)
            flags |= LTL_QUERY_NO_INDEX;
        else if (strcmp(argv[i], "--writer") == 0)
            writer = true;
        else if (strcmp(argv[i], "--reverse") == 0)
            flags |= LTL_QUERY_REVERSE;
    }
    FILE *in = fopen(argv[1], "r");
    if (!in)
        die("cannot open %s%s", argv[1], NULL);
    int64_t now = strtoll(argv[2], NULL, 10);
    ltl_db *db = open_store(argv[0], writer ? 0 : LTL_OPEN_READONLY, NULL, 0);
    char *line = NULL, *expr = NULL;
    size_t cap = 0;
    ssize_t n;
    while ((n = getline(&line, &cap, in)) > 0) {
        expr = realloc(expr, (size_t)n + 1);
        unhex(expr, line);
        char err[512];
        fake_now = now;
        char *seqs = run_query(db, expr, flags, err, sizeof(err));
        fake_now = 0;
        if (seqs)
            printf("OK%s\n", seqs);
        else
            printf("ERR %s\n", err);
        free(seqs);
    }
    free(line);
    free(expr);
    fclose(in);
    close_store(db);
    return 0;
}

static int cmd_reindex(int argc, char **argv)
{
    if (argc < 1)
        die("usage: reindex STORE%s%s", NULL, NULL);
    ltl_db *db = open_store(argv[0], 0, NULL, 0);
    if (ltl_reindex(db, NULL, NULL) != LTL_OK)
        die("reindex: %s%s", ltl_errmsg(db), NULL);
    close_store(db);
    return 0;
}

static int cmd_open(int argc, char **argv)
{
    if (argc < 1)
        die("usage: open STORE%s%s", NULL, NULL);
    close_store(open_store(argv[0], 0, NULL, 0));
    return 0;
}

/* ---- crash: SIGKILL during an import ------------------------------------------------------- */

/* Selective queries: every candidate of an index lookup is read and checked. */
static const char *const CRASH_QUERIES[] = {
    "k == 7",
    "k >= 95",
    "s == v3 and k < 10",
    "s in [v1, v12] and k == 2",
    "a[] == 4 and k == 50",
    "u < 100",
    "u >= 5000 and u < 5010",
    "not (k == 7) and k > 94",
    "exists z",
    "@topic == other and k == 3",
    "s > v5 and k == 1",
    "u == 777",
};

/* Records of about 400 bytes: an import of n of them spans several blocks (2 MB), which
 * are appended one by one while the index is committed at the end (or per chunk). */
static char *gen_lines(size_t n, unsigned seed, size_t *out_len)
{
    size_t cap = n * 480 + 64, len = 0;
    char *buf = malloc(cap);
    srand(seed);
    for (size_t i = 0; i < n; i++) {
        len += (size_t)snprintf(buf + len, cap - len,
                                "{\"k\": %zu, \"s\": \"v%zu\", \"a\": [%zu, %d], \"u\": %zu%s, "
                                "\"pad\": \"%0320zu\"}\n",
                                i % 97, i % 13, i % 5, rand() % 100, i,
                                i % 31 == 0 ? ", \"z\": null" : "", i);
    }
    *out_len = len;
    return buf;
}

static void compare_queries(const char *store, const char *when)
{
    ltl_db *db = open_store(store, LTL_OPEN_READONLY, NULL, 0);
    for (size_t i = 0; i < sizeof(CRASH_QUERIES) / sizeof(*CRASH_QUERIES); i++) {
        char err[512];
        char *a = run_query(db, CRASH_QUERIES[i], 0, err, sizeof(err));
        if (!a)
            die("query %s: %s", CRASH_QUERIES[i], err);
        char *b = run_query(db, CRASH_QUERIES[i], LTL_QUERY_NO_INDEX, err, sizeof(err));
        if (!b)
            die("query %s: %s", CRASH_QUERIES[i], err);
        if (strcmp(a, b) != 0) {
            fprintf(stderr, "store_driver: %s: '%s' differs with and without the index\n", when,
                    CRASH_QUERIES[i]);
            exit(1);
        }
        free(a);
        free(b);
    }
    close_store(db);
}

static int cmd_crash(int argc, char **argv)
{
    if (argc < 3)
        die("usage: crash STORE ROUNDS SEED%s%s", NULL, NULL);
    const char *store = argv[0];
    int rounds = atoi(argv[1]);
    unsigned seed = (unsigned)atoi(argv[2]);
    size_t len;
    char *lines = gen_lines(15000, seed, &len);
    srand(seed);
    uint64_t killed_behind = 0;
    for (int round = 0; round < rounds; round++) {
        int ready[2];
        if (pipe(ready) < 0)
            die("pipe%s%s", NULL, NULL);
        pid_t pid = fork();
        if (pid == 0) {
            close(ready[0]);
            ltl_db *db = open_store(store, LTL_OPEN_CREATE, NULL, LTL_CASUAL);
            if (write(ready[1], "x", 1) != 1)
                _exit(3);
            for (int k = 0;; k++) { /* until killed */
                ltl_import_options io;
                ltl_import_options_init(&io);
                io.topic = k % 2 ? "other" : "bulk";
                struct import_src src = {lines, len, 0, true};
                if (ltl_import(NULL, db, read_mem, &src, &io) != LTL_OK)
                    _exit(4);
            }
        }
        close(ready[1]);
        char c;
        if (read(ready[0], &c, 1) != 1)
            die("the child did not start%s%s", NULL, NULL);
        close(ready[0]);
        /* somewhere in the imports: appends, syncs, index commits */
        struct timespec d = {0, (long)(rand() % 900 + 30) * 1000000L};
        nanosleep(&d, NULL);
        kill(pid, SIGKILL);
        int status;
        waitpid(pid, &status, 0);
        /* the index is never ahead of the log */
        ltl_db *db = open_store(store, LTL_OPEN_READONLY, NULL, 0);
        ltl_info info;
        if (ltl_stat(&info, db) != LTL_OK)
            die("stat: %s%s", ltl_errmsg(db), NULL);
        if (info.index_records > info.records)
            die("the index is ahead of the log after a kill%s%s", NULL, NULL);
        if (info.index_records < info.records)
            killed_behind++;
        close_store(db);
        /* queries are right before the index catches up (they scan the rest)... */
        compare_queries(store, "after the kill");
        /* ...and after a writer caught it up (checked at the end) */
        close_store(open_store(store, 0, NULL, 0));
        db = open_store(store, LTL_OPEN_READONLY, NULL, 0);
        if (ltl_stat(&info, db) != LTL_OK)
            die("stat: %s%s", ltl_errmsg(db), NULL);
        if (info.index_records != info.records)
            die("the index did not catch up after a reopen%s%s", NULL, NULL);
        close_store(db);
    }
    compare_queries(store, "after the catch-up");
    printf("%d kills, %" PRIu64 " left the index behind the log\n", rounds, killed_behind);
    free(lines);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        die("usage: store_driver build|envelope|query|reindex|open|stat|crash ...%s%s", NULL, NULL);
    const char *cmd = argv[1];
    if (strcmp(cmd, "build") == 0)
        return cmd_build(argc - 2, argv + 2);
    if (strcmp(cmd, "envelope") == 0)
        return cmd_envelope(argc - 2, argv + 2);
    if (strcmp(cmd, "query") == 0)
        return cmd_query(argc - 2, argv + 2);
    if (strcmp(cmd, "reindex") == 0)
        return cmd_reindex(argc - 2, argv + 2);
    if (strcmp(cmd, "open") == 0)
        return cmd_open(argc - 2, argv + 2);
    if (strcmp(cmd, "stat") == 0)
        return cmd_stat(argc - 2, argv + 2);
    if (strcmp(cmd, "crash") == 0)
        return cmd_crash(argc - 2, argv + 2);
    die("unknown command %s%s", cmd, NULL);
    return 2;
}
