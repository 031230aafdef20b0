/* SPDX-License-Identifier: MIT */
/*
 * query_bench.c — the index and query benchmark of issue 5, against SQLite,
 * on Open-Library-style JSON Lines, in one run:
 *
 *   1. import: ltl (ltl_import, every path indexed, casual, ltl_sync at the
 *      end) against SQLite (a JSON text column, CREATE INDEX on json_extract
 *      of five scalar paths made before the load, one transaction per 10,000
 *      rows, WAL, synchronous=NORMAL), each in a child process whose peak RSS
 *      is taken from wait4(); ltl without an index too, for reference;
 *   2. sizes: the index against the log;
 *   3. an equality query (key == "..."), warm, p50 over many keys: ltl's
 *      ltl_query_open/next/close against SQLite's indexed json_extract with a
 *      prepared statement (SQLite's best case: ltl parses each query's text);
 *   4. a range query (number_of_pages in [x, x+5)), p50, both sides indexed;
 *   5. a query the index cannot help (LTL_QUERY_NO_INDEX: every record is
 *      read, flattened and matched): scan MB/s of the log;
 *   6. with --big FILE: the import of a larger file (2 GB), its rate against
 *      the small one's, its RSS, and the equality p50 on it.
 *
 * Prints each figure next to its target with met / not met; never asserts.
 *
 * usage: query_bench DATA.jsonl WORKDIR [--big BIG.jsonl] [--no-sqlite]
 */
#include "ltl.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MB 1e6

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (uint64_t)st.st_size : 0;
}

static uint64_t disk_bytes(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (uint64_t)st.st_blocks * 512 : 0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, size_t n)
{
    if (n == 0)
        return NAN;
    qsort(v, n, sizeof(*v), cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static const char *verdict(bool met)
{
    return met ? "met" : "not met";
}

/* ---- children: the imports ----------------------------------------------------------- */

struct child_result {
    double seconds;
    double rss_mb;
    int status;
};

/* Run fn(arg) in a child; its wall time and peak RSS. */
static struct child_result in_child(int (*fn)(const void *), const void *arg)
{
    struct child_result r = {NAN, NAN, -1};
    fflush(stdout);
    double t0 = now_s();
    pid_t pid = fork();
    if (pid == 0)
        _exit(fn(arg));
    if (pid < 0)
        return r;
    int status;
    struct rusage ru;
    if (wait4(pid, &status, 0, &ru) != pid)
        return r;
    r.seconds = now_s() - t0;
    r.rss_mb = (double)ru.ru_maxrss * 1024 / (1 << 20);
    r.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return r;
}

struct ltl_import_job {
    const char *data, *store;
    bool index;
};

static int read_fd(void *ctx, void *buf, size_t cap, size_t *out_len)
{
    ssize_t n;
    do
        n = read(*(int *)ctx, buf, cap);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        return LTL_EIO;
    *out_len = (size_t)n;
    return LTL_OK;
}

static int ltl_import_child(const void *arg)
{
    const struct ltl_import_job *j = arg;
    int fd = open(j->data, O_RDONLY);
    if (fd < 0)
        return 2;
    ltl_options o;
    ltl_options_init(&o);
    o.flags = LTL_OPEN_CREATE | LTL_OPEN_NO_ENV;
    o.durability = LTL_CASUAL;
    o.config = j->index ? NULL : "index.enabled=off";
    o.log = ltl_log_stderr;
    o.log_level = LTL_LOG_WARN;
    ltl_db *db;
    int rc = ltl_open(&db, j->store, &o);
    if (rc) {
        fprintf(stderr, "query_bench: open %s: %s\n", j->store, db ? ltl_errmsg(db) : "");
        ltl_close(db);
        return 3;
    }
    ltl_import_report rep;
    rc = ltl_import(&rep, db, read_fd, &fd, NULL);
    if (rc)
        fprintf(stderr, "query_bench: import: %s\n", ltl_errmsg(db));
    if (!rc)
        rc = ltl_sync(db);
    int crc = ltl_close(db);
    close(fd);
    return rc || crc ? 4 : 0;
}

struct sqlite_job {
    const char *data, *db;
};

static const char *const SQLITE_PATHS[] = {"$.key", "$.type.key", "$.title", "$.publish_date",
                                           "$.number_of_pages"};

static int sqlite_exec(sqlite3 *db, const char *sql)
{
    char *err = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK) {
        fprintf(stderr, "query_bench: sqlite: %s: %s\n", sql, err ? err : "?");
        sqlite3_free(err);
        return -1;
    }
    return 0;
}

static int sqlite_import_child(const void *arg)
{
    const struct sqlite_job *j = arg;
    FILE *in = fopen(j->data, "r");
    sqlite3 *db;
    if (!in || sqlite3_open(j->db, &db) != SQLITE_OK)
        return 2;
    if (sqlite_exec(db, "PRAGMA journal_mode=WAL") ||
        sqlite_exec(db, "PRAGMA synchronous=NORMAL") ||
        sqlite_exec(db, "CREATE TABLE docs(id INTEGER PRIMARY KEY, body TEXT)"))
        return 3;
    for (size_t i = 0; i < sizeof(SQLITE_PATHS) / sizeof(SQLITE_PATHS[0]); i++) {
        char sql[200];
        snprintf(sql, sizeof(sql), "CREATE INDEX i%zu ON docs(json_extract(body, '%s'))", i,
                 SQLITE_PATHS[i]);
        if (sqlite_exec(db, sql))
            return 3;
    }
    sqlite3_stmt *ins;
    if (sqlite3_prepare_v2(db, "INSERT INTO docs(body) VALUES (?)", -1, &ins, NULL) != SQLITE_OK)
        return 3;
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    uint64_t rows = 0;
    sqlite_exec(db, "BEGIN");
    while ((n = getline(&line, &cap, in)) > 0) {
        if (line[n - 1] == '\n')
            n--;
        if (n == 0)
            continue;
        sqlite3_bind_text(ins, 1, line, (int)n, SQLITE_STATIC);
        if (sqlite3_step(ins) != SQLITE_DONE) {
            fprintf(stderr, "query_bench: sqlite insert: %s\n", sqlite3_errmsg(db));
            return 4;
        }
        sqlite3_reset(ins);
        if (++rows % 10000 == 0 && (sqlite_exec(db, "COMMIT") || sqlite_exec(db, "BEGIN")))
            return 4;
    }
    if (sqlite_exec(db, "COMMIT"))
        return 4;
    sqlite3_finalize(ins);
    free(line);
    fclose(in);
    return sqlite3_close(db) == SQLITE_OK ? 0 : 5;
}

/* ---- queries ---------------------------------------------------------------------------- */

/* Every step-th value of "key" in the data file, at most max. */
static char **sample_keys(const char *data, size_t step, size_t max, size_t *out_n)
{
    FILE *in = fopen(data, "r");
    char **keys = calloc(max, sizeof(*keys));
    size_t n = 0, lineno = 0;
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    while (in && keys && n < max && (len = getline(&line, &cap, in)) > 0) {
        if (lineno++ % step)
            continue;
        const char *v;
        size_t vlen;
        if (ltl_json_path_get(&v, &vlen, line, (size_t)len, "key", NULL) == LTL_OK && vlen > 2 &&
            v[0] == '"')
            keys[n++] = strndup(v + 1, vlen - 2);
    }
    free(line);
    if (in)
        fclose(in);
    *out_n = n;
    return keys;
}

/* Run an ltl query to the end; the matches. -1 on failure. */
static int64_t ltl_run(ltl_db *db, const char *expr, unsigned flags)
{
    ltl_query_options qo;
    ltl_query_options_init(&qo);
    qo.flags = flags;
    ltl_query *q;
    if (ltl_query_open(&q, db, expr, &qo) != LTL_OK) {
        fprintf(stderr, "query_bench: %s: %s\n", expr, ltl_errmsg(db));
        return -1;
    }
    const ltl_record *rec;
    int64_t n = 0;
    int rc;
    while ((rc = ltl_query_next(&rec, q)) == LTL_OK)
        n++;
    ltl_query_close(q);
    return rc == LTL_DONE ? n : -1;
}

static int64_t sqlite_run(sqlite3_stmt *st)
{
    int64_t n = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        /* fetch the row's text, as ltl hands over the record */
        if (!sqlite3_column_text(st, 0))
            return -1;
        n++;
    }
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? n : -1;
}

struct qtimes {
    double ltl_p50_us, sqlite_p50_us;
    int64_t ltl_rows, sqlite_rows;
    bool mismatch;
};

/* p50 of equality lookups, warm: every key is looked up once to warm, then timed. */
static struct qtimes equality_bench(ltl_db *db, sqlite3 *sq, char **keys, size_t nkeys)
{
    struct qtimes r = {NAN, NAN, 0, 0, false};
    double *tl = calloc(nkeys, sizeof(double)), *ts = calloc(nkeys, sizeof(double));
    sqlite3_stmt *st = NULL;
    if (sq && sqlite3_prepare_v2(sq, "SELECT body FROM docs WHERE json_extract(body, '$.key') = ?",
                                 -1, &st, NULL) != SQLITE_OK)
        st = NULL;
    char expr[256];
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < nkeys; i++) {
            snprintf(expr, sizeof(expr), "key == \"%s\"", keys[i]);
            double t0 = now_s();
            int64_t a = ltl_run(db, expr, 0);
            double t1 = now_s();
            int64_t b = -2;
            if (st) {
                sqlite3_bind_text(st, 1, keys[i], -1, SQLITE_STATIC);
                b = sqlite_run(st);
            }
            double t2 = now_s();
            if (pass) {
                tl[i] = (t1 - t0) * 1e6;
                ts[i] = (t2 - t1) * 1e6;
                r.ltl_rows += a;
                r.sqlite_rows += b;
                if (st && a != b)
                    r.mismatch = true;
            }
        }
    }
    r.ltl_p50_us = median(tl, nkeys);
    r.sqlite_p50_us = st ? median(ts, nkeys) : NAN;
    sqlite3_finalize(st);
    free(tl);
    free(ts);
    return r;
}

static struct qtimes range_bench(ltl_db *db, sqlite3 *sq)
{
    enum { N = 25 };
    struct qtimes r = {NAN, NAN, 0, 0, false};
    double tl[N], ts[N];
    sqlite3_stmt *st = NULL;
    if (sq && sqlite3_prepare_v2(sq,
                                 "SELECT body FROM docs WHERE json_extract(body, "
                                 "'$.number_of_pages') >= ? AND json_extract(body, "
                                 "'$.number_of_pages') < ?",
                                 -1, &st, NULL) != SQLITE_OK)
        st = NULL;
    char expr[128];
    for (int pass = 0; pass < 2; pass++) {
        for (int i = 0; i < N; i++) {
            int lo = 100 + 40 * i;
            snprintf(expr, sizeof(expr), "number_of_pages >= %d and number_of_pages < %d", lo,
                     lo + 5);
            double t0 = now_s();
            int64_t a = ltl_run(db, expr, 0);
            double t1 = now_s();
            int64_t b = -2;
            if (st) {
                sqlite3_bind_int(st, 1, lo);
                sqlite3_bind_int(st, 2, lo + 5);
                b = sqlite_run(st);
            }
            double t2 = now_s();
            if (pass) {
                tl[i] = (t1 - t0) * 1e6;
                ts[i] = (t2 - t1) * 1e6;
                r.ltl_rows += a;
                r.sqlite_rows += b;
                if (st && a != b)
                    r.mismatch = true;
            }
        }
    }
    r.ltl_p50_us = median(tl, N);
    r.sqlite_p50_us = st ? median(ts, N) : NAN;
    sqlite3_finalize(st);
    return r;
}

static ltl_db *open_reader(const char *store)
{
    ltl_options o;
    ltl_options_init(&o);
    o.flags = LTL_OPEN_READONLY | LTL_OPEN_NO_ENV;
    ltl_db *db;
    if (ltl_open(&db, store, &o) != LTL_OK) {
        fprintf(stderr, "query_bench: open %s: %s\n", store, db ? ltl_errmsg(db) : "");
        ltl_close(db);
        return NULL;
    }
    return db;
}

/* ---- main ---------------------------------------------------------------------------------- */

static void usage(void)
{
    fprintf(stderr, "usage: query_bench DATA.jsonl WORKDIR [--big BIG.jsonl] [--no-sqlite]\n");
    exit(2);
}

int main(int argc, char **argv)
{
    const char *data = NULL, *work = NULL, *big = NULL;
    bool with_sqlite = true;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--big") == 0 && i + 1 < argc)
            big = argv[++i];
        else if (strcmp(argv[i], "--no-sqlite") == 0)
            with_sqlite = false;
        else if (!data)
            data = argv[i];
        else if (!work)
            work = argv[i];
        else
            usage();
    }
    if (!data || !work)
        usage();
    char store[4096], store0[4096], sqdb[4096], path[4200];
    snprintf(store, sizeof(store), "%s/ltl", work);
    snprintf(store0, sizeof(store0), "%s/ltl-noindex", work);
    snprintf(sqdb, sizeof(sqdb), "%s/sqlite.db", work);
    uint64_t input = file_size(data);
    printf("input: %s, %.1f MB\n\n", data, (double)input / MB);

    /* 1. imports */
    struct ltl_import_job j0 = {data, store0, false}, j1 = {data, store, true};
    struct child_result r0 = in_child(ltl_import_child, &j0);
    struct child_result r1 = in_child(ltl_import_child, &j1);
    struct sqlite_job sj = {data, sqdb};
    struct child_result rs = {NAN, NAN, -1};
    if (with_sqlite)
        rs = in_child(sqlite_import_child, &sj);
    printf("%-52s %9s %9s %9s\n", "import", "seconds", "MB/s", "peak RSS");
    printf("%-52s %9.2f %9.1f %7.0f MB%s\n", "ltl, no index (reference)", r0.seconds,
           (double)input / MB / r0.seconds, r0.rss_mb, r0.status ? "  FAILED" : "");
    printf("%-52s %9.2f %9.1f %7.0f MB%s\n", "ltl, every path indexed", r1.seconds,
           (double)input / MB / r1.seconds, r1.rss_mb, r1.status ? "  FAILED" : "");
    if (with_sqlite)
        printf("%-52s %9.2f %9.1f %7.0f MB%s\n", "SQLite, JSON text + 5 json_extract indexes",
               rs.seconds, (double)input / MB / rs.seconds, rs.rss_mb, rs.status ? "  FAILED" : "");

    /* 2. sizes */
    ltl_db *db = open_reader(store);
    if (!db)
        return 1;
    ltl_info info;
    if (ltl_stat(&info, db) != LTL_OK)
        return 1;
    snprintf(path, sizeof(path), "%s/index/data.mdb", store);
    uint64_t index_bytes = disk_bytes(path);
    uint64_t sq_bytes = file_size(sqdb);
    printf("\nsizes: input %.1f MB, log %.1f MB (%" PRIu64 " records), index %.1f MB "
           "(%" PRIu64 " paths); SQLite file %.1f MB\n",
           (double)input / MB, (double)info.log_bytes / MB, info.records, (double)index_bytes / MB,
           info.index_paths, (double)sq_bytes / MB);

    /* 3-5. queries */
    sqlite3 *sq = NULL;
    if (with_sqlite && sqlite3_open_v2(sqdb, &sq, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        sqlite3_close(sq);
        sq = NULL;
    }
    size_t nkeys;
    char **keys = sample_keys(data, 97, 1000, &nkeys);
    struct qtimes eq = equality_bench(db, sq, keys, nkeys);
    struct qtimes rg = range_bench(db, sq);
    /* the scan: no term the index can use (the index is not used at all) */
    const char *scan_expr = "physical_format == \"Wax cylinder\"";
    double t0 = now_s();
    int64_t scan_rows = ltl_run(db, scan_expr, LTL_QUERY_NO_INDEX); /* warm the page cache */
    double scan_s = 1e9;
    for (int i = 0; i < 3; i++) {
        t0 = now_s();
        scan_rows = ltl_run(db, scan_expr, LTL_QUERY_NO_INDEX);
        double s = now_s() - t0;
        if (s < scan_s)
            scan_s = s;
    }
    double scan_mbs = (double)info.log_bytes / MB / scan_s;
    double sq_scan_s = NAN;
    if (sq) {
        sqlite3_stmt *st;
        if (sqlite3_prepare_v2(sq,
                               "SELECT body FROM docs WHERE json_extract(body, "
                               "'$.physical_format') = 'Wax cylinder'",
                               -1, &st, NULL) == SQLITE_OK) {
            sqlite_run(st);
            t0 = now_s();
            sqlite_run(st);
            sq_scan_s = now_s() - t0;
            sqlite3_finalize(st);
        }
    }
    printf("\n%-52s %12s %12s\n", "queries (warm)", "ltl", "SQLite");
    printf("%-52s %9.1f us %9.1f us   (%zu keys, %" PRId64 " rows%s)\n",
           "equality key == \"...\" p50", eq.ltl_p50_us, eq.sqlite_p50_us, nkeys, eq.ltl_rows,
           eq.mismatch ? ", ROW COUNTS DIFFER" : "");
    printf("%-52s %9.1f us %9.1f us   (25 ranges, %" PRId64 " rows%s)\n",
           "range number_of_pages in [x, x+5) p50", rg.ltl_p50_us, rg.sqlite_p50_us, rg.ltl_rows,
           rg.mismatch ? ", ROW COUNTS DIFFER" : "");
    printf("%-52s %9.0f ms %9.0f ms   (%" PRId64 " rows; ltl %.0f MB/s of log)\n",
           "no usable index: physical_format == ... (full scan)", scan_s * 1e3, sq_scan_s * 1e3,
           scan_rows, scan_mbs);

    /* 6. the big file */
    struct child_result rb = {NAN, NAN, -1};
    struct qtimes eqb = {NAN, NAN, 0, 0, false};
    uint64_t big_input = 0, big_log = 0, big_index = 0;
    if (big) {
        char store_big[4096];
        snprintf(store_big, sizeof(store_big), "%s/ltl-big", work);
        big_input = file_size(big);
        struct ltl_import_job jb = {big, store_big, true};
        rb = in_child(ltl_import_child, &jb);
        ltl_db *dbb = open_reader(store_big);
        if (dbb) {
            ltl_info bi;
            if (ltl_stat(&bi, dbb) == LTL_OK)
                big_log = bi.log_bytes;
            snprintf(path, sizeof(path), "%s/index/data.mdb", store_big);
            big_index = disk_bytes(path);
            size_t nb;
            char **bkeys = sample_keys(big, 997, 1000, &nb);
            eqb = equality_bench(dbb, NULL, bkeys, nb);
            for (size_t i = 0; i < nb; i++)
                free(bkeys[i]);
            free(bkeys);
            ltl_close(dbb);
        }
        printf(
            "\nbig input: %s, %.1f MB: import %.2f s, %.1f MB/s, peak RSS %.0f MB%s; log %.1f MB, "
            "index %.1f MB; equality p50 %.1f us\n",
            big, (double)big_input / MB, rb.seconds, (double)big_input / MB / rb.seconds, rb.rss_mb,
            rb.status ? " FAILED" : "", (double)big_log / MB, (double)big_index / MB,
            eqb.ltl_p50_us);
    }

    /* targets */
    double ratio = r1.seconds / rs.seconds;
    double eq_speedup = eq.sqlite_p50_us / eq.ltl_p50_us;
    double size_ratio = (double)index_bytes / (double)info.log_bytes;
    double rate_small = (double)input / r1.seconds,
           rate_big = big ? (double)big_input / rb.seconds : NAN;
    double rss_max = r1.rss_mb > rb.rss_mb || isnan(rb.rss_mb) ? r1.rss_mb : rb.rss_mb;
    printf("\n%-58s %-16s %-12s %s\n", "target", "measured", "target", "result");
    char m[64];
    snprintf(m, sizeof(m), "%.2fx", ratio);
    printf("%-58s %-16s %-12s %s\n", "import, every path indexed, vs SQLite (5 indexes)",
           with_sqlite ? m : "-", "<= 0.5x", with_sqlite ? verdict(ratio <= 0.5) : "-");
    snprintf(m, sizeof(m), "%.1f us", eq.ltl_p50_us);
    printf("%-58s %-16s %-12s %s\n", "equality query, warm p50", m, "<= 100 us",
           verdict(eq.ltl_p50_us <= 100));
    snprintf(m, sizeof(m), "%.1fx", eq_speedup);
    printf("%-58s %-16s %-12s %s\n", "equality query vs SQLite indexed json_extract",
           with_sqlite ? m : "-", ">= 5x", with_sqlite ? verdict(eq_speedup >= 5) : "-");
    snprintf(m, sizeof(m), "%.1f us", rg.ltl_p50_us);
    printf("%-58s %-16s %-12s %s\n", "range query, warm p50", m, "(printed)", "-");
    snprintf(m, sizeof(m), "%.0f MB/s", scan_mbs);
    printf("%-58s %-16s %-12s %s\n", "query on an unindexed path: scan", m, ">= 300 MB/s",
           verdict(scan_mbs >= 300));
    snprintf(m, sizeof(m), "%.0f MB", rss_max);
    printf("%-58s %-16s %-12s %s\n",
           big ? "peak RSS during import (200 MB and big)" : "peak RSS during import", m,
           "<= 256 MB", verdict(rss_max <= 256));
    snprintf(m, sizeof(m), "%.2fx", size_ratio);
    printf("%-58s %-16s %-12s %s\n", "index size / log size", m, "<= 1x", verdict(size_ratio <= 1));
    if (big) {
        double drop = rate_big / rate_small;
        snprintf(m, sizeof(m), "%.2fx", drop);
        printf("%-58s %-16s %-12s %s\n", "import rate, big / 200 MB", m, ">= 0.8x",
               verdict(drop >= 0.8));
        snprintf(m, sizeof(m), "%.2fx", (double)big_index / (double)big_log);
        printf("%-58s %-16s %-12s %s\n", "index size / log size (big)", m, "<= 1x",
               verdict((double)big_index <= (double)big_log));
    }
    for (size_t i = 0; i < nkeys; i++)
        free(keys[i]);
    free(keys);
    sqlite3_close(sq);
    ltl_close(db);
    return 0;
}
