/* SPDX-License-Identifier: MIT */
/*
 * crash_index_damage.c — the field index is checked before it is believed
 * (issue 10; docs/INDEX.md section 3.6). A small store whose index has a
 * bulk run (an import) and an active run (appends in two sessions):
 *   - bits of index/data.mdb flipped one at a time: every bit of the meta
 *     pages' headers, of the fields of every page header LMDB trusts first,
 *     and every 1999th bit of the rest
 *     of the used pages. After each flip, a reader runs equality, `in`,
 *     range, interval, topic and array queries: each one gives the count of
 *     a scan of the log, or fails with LTL_ECORRUPT naming the index;
 *     never another count with LTL_OK, and the process never crashes;
 *   - the same with a writer opening the damaged index first (and
 *     indexing a record): every reader answer after it is right;
 *   - a reader that meets damage leaves the mark, the next writer rebuilds
 *     the index (saying so), and the rebuilt index is used again and
 *     verifies;
 *   - ltl_verify reports a damaged index as LTL_ECORRUPT with the log ok.
 * The figures (how many flips each outcome had) are printed.
 */
#include "crashutil.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#define IMPORTED 600
#define APPENDED 60
#define STRIDE   1999 /* every 1999th bit of the rest (a prime: every bit position) */

static const char *const queries[] = {
    "level == error",
    "user == u7",
    "user in [u1, u2, u250]",
    "code >= 500",
    "code >= 400 and code < 450",
    "@topic == app",
    "tags[] == urgent",
    "ms < 100",
    "level == warn and user == u5",
};
#define NQ LTL__ARRAY_LEN(queries)

static char *clean_dir; /* the clean store */
static uint64_t truth[NQ];

struct capture {
    int damage; /* "index: damaged" warnings */
    int rebuilt;
};

static void on_log(void *ctx, int level, const char *msg)
{
    struct capture *c = ctx;
    if (level <= LTL_LOG_WARN && strstr(msg, "index: damaged"))
        c->damage++;
    if (level <= LTL_LOG_WARN && strstr(msg, "rebuilding it from the log"))
        c->rebuilt++;
}

static ltl_db *open_db(const char *dir, unsigned flags, struct capture *cap, int *rc)
{
    ltl_options opts = LTL_OPTIONS_INIT;
    opts.flags = flags | LTL_OPEN_NO_ENV;
    opts.durability = LTL_FORGETFUL;
    opts.config = "segment.size=64K";
    opts.log = on_log;
    opts.log_ctx = cap;
    opts.log_level = LTL_LOG_WARN;
    ltl_db *db = NULL;
    *rc = ltl_open(&db, dir, &opts);
    if (*rc) {
        ltl_close(db);
        return NULL;
    }
    return db;
}

/* Matches of q: LTL_OK and *n, or the failure. */
static int count(ltl_db *db, const char *q, unsigned flags, uint64_t *n)
{
    ltl_query_options qo;
    ltl_query_options_init(&qo);
    qo.flags = flags;
    ltl_query *qy;
    int rc = ltl_query_open(&qy, db, q, &qo);
    *n = 0;
    if (rc)
        return rc;
    const ltl_record *rec;
    while ((rc = ltl_query_next(&rec, qy)) == LTL_OK)
        ++*n;
    ltl_query_close(qy);
    return rc == LTL_DONE ? LTL_OK : rc;
}

struct lines {
    char *text;
    size_t len, at;
};

static int read_lines(void *ctx, void *buf, size_t cap, size_t *out)
{
    struct lines *l = ctx;
    size_t n = l->len - l->at < cap ? l->len - l->at : cap;
    memcpy(buf, l->text + l->at, n);
    l->at += n;
    *out = n;
    return LTL_OK;
}

static void record(char *buf, size_t cap, unsigned i)
{
    static const char *const levels[] = {"debug", "info", "warn", "error"};
    static const int codes[] = {200, 201, 204, 301, 404, 500, 502, 503, 418, 451};
    static const char *const tags[] = {"[]", "[\"urgent\"]", "[\"ops\", \"urgent\"]", "[\"db\"]"};
    unsigned h = i * 2654435761u;
    snprintf(buf, cap,
             "{\"level\": \"%s\", \"user\": \"u%u\", \"code\": %d, \"ms\": %u.%u, \"tags\": %s, "
             "\"msg\": \"event %u\"}",
             levels[h >> 30], (h >> 8) % 300, codes[(h >> 4) % 10], (h >> 12) % 1000, h % 10,
             tags[(h >> 20) % 4], i);
}

static int build_store(void **state)
{
    (void)state;
    char *tmp = tu_tmpdir();
    clean_dir = tu_path(tmp, "store");
    free(tmp);
    struct capture cap = {0};
    int rc;
    ltl_db *db = open_db(clean_dir, LTL_OPEN_CREATE, &cap, &rc);
    assert_non_null(db);
    /* a bulk run: an import */
    struct lines l = {malloc(IMPORTED * 256), 0, 0};
    for (unsigned i = 0; i < IMPORTED; i++) {
        record(l.text + l.len, 256, i);
        l.len += strlen(l.text + l.len);
        l.text[l.len++] = '\n';
    }
    ltl_import_options io;
    ltl_import_options_init(&io);
    io.topic = "app";
    assert_int_equal(ltl_import(NULL, db, read_lines, &l, &io), LTL_OK);
    free(l.text);
    assert_int_equal(ltl_close(db), LTL_OK);
    /* the active run, in two sessions (the second extends its blocks) */
    for (int session = 0; session < 2; session++) {
        assert_non_null(db = open_db(clean_dir, 0, &cap, &rc));
        for (unsigned i = 0; i < APPENDED / 2; i++) {
            char buf[256];
            record(buf, sizeof(buf), IMPORTED + session * APPENDED / 2 + i);
            assert_int_equal(
                ltl_append(NULL, db, i % 3 ? "app" : "other", buf, strlen(buf), LTL_APPEND_JSON),
                LTL_OK);
        }
        assert_int_equal(ltl_close(db), LTL_OK);
    }
    /* the answers, from a scan; the index gives them too */
    assert_non_null(db = open_db(clean_dir, LTL_OPEN_READONLY, &cap, &rc));
    for (size_t q = 0; q < NQ; q++) {
        uint64_t n;
        assert_int_equal(count(db, queries[q], LTL_QUERY_NO_INDEX, &truth[q]), LTL_OK);
        assert_int_equal(count(db, queries[q], 0, &n), LTL_OK);
        assert_int_equal(n, truth[q]);
        assert_true(truth[q] > 0);
    }
    ltl_info info;
    assert_int_equal(ltl_stat(&info, db), LTL_OK);
    assert_int_equal(info.index_records, info.records);
    ltl_close(db);
    assert_int_equal(cap.damage, 0);
    if (getenv("LTL_TEST_KEEP")) /* a copy to study a flip with the ltl command */
        cu_copy_tree(clean_dir, getenv("LTL_TEST_KEEP"));
    return 0;
}

/* The used part of data.mdb: LMDB's meta pages name the last page. */
static size_t used_bytes(const unsigned char *d, size_t len)
{
    uint64_t best_txn = 0, last = 0;
    for (int m = 0; m < 2; m++) {
        uint64_t l, t;
        memcpy(&l, d + m * 4096 + 16 + 120, 8);
        memcpy(&t, d + m * 4096 + 16 + 128, 8);
        if (m == 0 || t > best_txn) {
            best_txn = t;
            last = l;
        }
    }
    size_t used = (size_t)(last + 1) * 4096;
    return used < len ? used : len;
}

/* The bits to flip: every bit of the two meta pages' headers and of every page
 * header, every STRIDE-th bit of the rest of the used pages. */
static size_t flip_positions(size_t used, uint64_t **out)
{
    size_t n = 0, cap = 4096;
    uint64_t *bits = malloc(cap * sizeof(*bits));
    /* LTL_TEST_STRIDE=1: every bit (for an experiment, not the suite) */
    const char *stride_env = getenv("LTL_TEST_STRIDE");
    uint64_t stride = stride_env && atoi(stride_env) > 0 ? (uint64_t)atoi(stride_env) : STRIDE;
    for (uint64_t bit = 0; bit < (uint64_t)used * 8; bit++) {
        size_t off = (size_t)(bit / 8), in_page = off % 4096;
        /* the meta pages' headers; of other pages the low byte of the page number,
         * flags, lower and upper (what LMDB and our reader trust first) */
        bool header =
            off < 2 * 4096 ? in_page < 16 + 136 : in_page == 0 || (in_page >= 10 && in_page < 16);
        if (!header && bit % stride)
            continue;
        if (n == cap)
            bits = realloc(bits, (cap *= 2) * sizeof(*bits));
        bits[n++] = bit;
    }
    *out = bits;
    return n;
}

static void flip(const char *file, uint64_t bit)
{
    int fd = open(file, O_RDWR);
    assert_true(fd >= 0);
    unsigned char b;
    assert_int_equal(pread(fd, &b, 1, (off_t)(bit / 8)), 1);
    b ^= (unsigned char)(1u << (bit % 8));
    assert_int_equal(pwrite(fd, &b, 1, (off_t)(bit / 8)), 1);
    close(fd);
}

struct outcome {
    uint64_t right, fallback, error, flips;
};

/* Every query on a reader of dir: the scan's count, or LTL_ECORRUPT naming the
 * index. */
static void check_reader(const char *dir, uint64_t bit, struct outcome *o)
{
    struct capture cap = {0};
    int rc;
    ltl_db *db = open_db(dir, LTL_OPEN_READONLY, &cap, &rc);
    if (!db)
        fail_msg("bit %llu: the store does not open: %s", (unsigned long long)bit,
                 ltl_strerror(rc));
    bool failed = false;
    for (size_t q = 0; q < NQ; q++) {
        uint64_t n;
        rc = count(db, queries[q], 0, &n);
        if (rc == LTL_ECORRUPT && strstr(ltl_errmsg(db), "index")) {
            failed = true;
            continue;
        }
        if (rc != LTL_OK)
            fail_msg("bit %llu, %s: %s: %s", (unsigned long long)bit, queries[q], ltl_strerror(rc),
                     ltl_errmsg(db));
        if (n != truth[q])
            fail_msg("bit %llu, %s: %llu records, the log has %llu (exit 0 with a wrong count)",
                     (unsigned long long)bit, queries[q], (unsigned long long)n,
                     (unsigned long long)truth[q]);
    }
    ltl_close(db);
    if (failed)
        o->error++;
    else if (cap.damage)
        o->fallback++;
    else
        o->right++;
    o->flips++;
}

static void flips_on_a_reader(void **state)
{
    (void)state;
    char *file = tu_path(clean_dir, "index/data.mdb");
    char *mark = tu_path(clean_dir, "index/"
                                    "damaged");
    size_t len;
    unsigned char *data = (unsigned char *)tu_read_file(file, &len);
    uint64_t *bits;
    size_t n = flip_positions(used_bytes(data, len), &bits);
    struct outcome o = {0};
    for (size_t i = 0; i < n; i++) {
        flip(file, bits[i]);
        check_reader(clean_dir, bits[i], &o);
        flip(file, bits[i]);
        unlink(mark);
    }
    print_message("reader: %llu flips of %zu bytes: %llu right from the index, %llu right by "
                  "scanning after a warning, %llu LTL_ECORRUPT, 0 wrong, 0 crashes\n",
                  (unsigned long long)o.flips, used_bytes(data, len), (unsigned long long)o.right,
                  (unsigned long long)o.fallback, (unsigned long long)o.error);
    /* the flips that hit data did not all go unnoticed */
    assert_true(o.fallback > 0);
    free(bits);
    free(data);
    free(file);
    free(mark);
}

static void flips_then_a_writer(void **state)
{
    (void)state;
    char *file = tu_path(clean_dir, "index/data.mdb");
    size_t len;
    unsigned char *data = (unsigned char *)tu_read_file(file, &len);
    uint64_t *bits;
    size_t n = flip_positions(used_bytes(data, len), &bits);
    char *tmp = tu_tmpdir(), *dir = tu_path(tmp, "store");
    free(tmp);
    char *copy_file = tu_path(dir, "index/data.mdb");
    struct outcome o = {0};
    uint64_t rebuilt = 0;
    /* one flip in 20 of the reader's sample (each one copies the store);
     * LTL_TEST_WRITER_EVERY=1 tries them all (minutes) */
    const char *every_env = getenv("LTL_TEST_WRITER_EVERY");
    size_t every = every_env && atoi(every_env) > 0 ? (size_t)atoi(every_env) : 20;
    bool verbose = getenv("LTL_TEST_VERBOSE") != NULL;
    for (size_t i = 0; i < n; i += every) {
        if (verbose)
            fprintf(stderr, "writer: bit %llu\n", (unsigned long long)bits[i]);
        cu_copy_tree(clean_dir, dir);
        flip(copy_file, bits[i]);
        struct capture cap = {0};
        int rc;
        ltl_db *db = open_db(dir, 0, &cap, &rc);
        if (!db)
            fail_msg("bit %llu: a writer cannot open the store: %s", (unsigned long long)bits[i],
                     ltl_strerror(rc));
        char buf[256];
        record(buf, sizeof(buf), 7); /* level, user, code as record 7 */
        assert_int_equal(ltl_append(NULL, db, "app", buf, strlen(buf), LTL_APPEND_JSON), LTL_OK);
        assert_int_equal(ltl_close(db), LTL_OK);
        rebuilt += cap.rebuilt > 0;
        /* the answers now: one more record like record 7 */
        uint64_t saved[NQ];
        memcpy(saved, truth, sizeof(truth));
        struct capture c2 = {0};
        ltl_db *rd = open_db(dir, LTL_OPEN_READONLY, &c2, &rc);
        assert_non_null(rd);
        for (size_t q = 0; q < NQ; q++)
            assert_int_equal(count(rd, queries[q], LTL_QUERY_NO_INDEX, &truth[q]), LTL_OK);
        ltl_close(rd);
        check_reader(dir, bits[i], &o);
        memcpy(truth, saved, sizeof(truth));
    }
    print_message("writer: %llu flips: the writer rebuilt the index after %llu; then %llu right "
                  "from the index, %llu right by scanning, %llu LTL_ECORRUPT, 0 wrong\n",
                  (unsigned long long)o.flips, (unsigned long long)rebuilt,
                  (unsigned long long)o.right, (unsigned long long)o.fallback,
                  (unsigned long long)o.error);
    free(bits);
    free(data);
    free(file);
    free(copy_file);
    free(dir);
}

/* A postings entry's byte: its check fails when a lookup reads it. */
static uint64_t a_postings_bit(void)
{
    char *file = tu_path(clean_dir, "index/data.mdb");
    size_t len;
    unsigned char *d = (unsigned char *)tu_read_file(file, &len);
    /* the key of "level == error" in run 1: 01 (run) <path id> 20 "error" 00 01 */
    static const unsigned char needle[] = {0x20, 'e', 'r', 'r', 'o', 'r', 0x00, 0x01};
    uint64_t bit = 0;
    for (size_t i = 0; i + sizeof(needle) <= len && !bit; i++)
        if (memcmp(d + i, needle, sizeof(needle)) == 0)
            bit = (uint64_t)(i + 1) * 8 + 2; /* in the 'e' */
    assert_true(bit != 0);
    free(d);
    free(file);
    return bit;
}

static void the_next_writer_rebuilds(void **state)
{
    (void)state;
    char *tmp = tu_tmpdir(), *dir = tu_path(tmp, "store");
    free(tmp);
    cu_copy_tree(clean_dir, dir);
    char *file = tu_path(dir, "index/data.mdb");
    char *mark = tu_path(dir, "index/damaged");
    flip(file, a_postings_bit());
    /* a reader: the right count by scanning, a warning, the mark */
    struct capture cap = {0};
    int rc;
    ltl_db *db = open_db(dir, LTL_OPEN_READONLY, &cap, &rc);
    uint64_t n;
    assert_int_equal(count(db, "level == error", 0, &n), LTL_OK);
    assert_int_equal(n, truth[0]);
    assert_int_equal(cap.damage, 1);
    ltl_close(db);
    struct stat st;
    assert_int_equal(stat(mark, &st), 0);
    /* ltl_verify: the log holds, the index does not */
    cap = (struct capture){0};
    db = open_db(dir, LTL_OPEN_READONLY, &cap, &rc);
    ltl_verify_report r;
    assert_int_equal(ltl_verify(&r, db, NULL), LTL_ECORRUPT);
    assert_int_equal(r.ok, 1);
    assert_int_equal(r.index_checked, 1);
    assert_int_equal(r.index_ok, 0);
    assert_non_null(strstr(r.index_problem, "damaged"));
    ltl_close(db);
    /* the next writer rebuilds it */
    cap = (struct capture){0};
    assert_non_null(db = open_db(dir, 0, &cap, &rc));
    assert_int_equal(cap.rebuilt, 1);
    assert_int_equal(ltl_close(db), LTL_OK);
    assert_int_equal(stat(mark, &st), -1);
    /* used again, right, and it verifies */
    cap = (struct capture){0};
    assert_non_null(db = open_db(dir, LTL_OPEN_READONLY, &cap, &rc));
    for (size_t q = 0; q < NQ; q++) {
        assert_int_equal(count(db, queries[q], 0, &n), LTL_OK);
        assert_int_equal(n, truth[q]);
    }
    ltl_query_options qo;
    ltl_query_options_init(&qo);
    qo.flags = LTL_QUERY_EXPLAIN;
    ltl_query *qy;
    char *plan;
    assert_int_equal(ltl_query_open(&qy, db, "level == error", &qo), LTL_OK);
    assert_int_equal(ltl_query_explain(&plan, qy), LTL_OK);
    assert_non_null(strstr(plan, "index lookup"));
    ltl_free(plan);
    ltl_query_close(qy);
    assert_int_equal(ltl_verify(&r, db, NULL), LTL_OK);
    assert_int_equal(r.index_ok, 1);
    ltl_info info;
    assert_int_equal(ltl_stat(&info, db), LTL_OK);
    assert_int_equal(r.index_records, info.records);
    assert_int_equal(cap.damage, 0);
    ltl_close(db);
    free(file);
    free(mark);
    free(dir);
}

/* A writer's own query that meets damage answers from the log and leaves the
 * mark; the next writer rebuilds. */
static void a_writers_query_meets_damage(void **state)
{
    (void)state;
    char *tmp = tu_tmpdir(), *dir = tu_path(tmp, "store");
    free(tmp);
    cu_copy_tree(clean_dir, dir);
    char *file = tu_path(dir, "index/data.mdb");
    char *mark = tu_path(dir, "index/damaged");
    flip(file, a_postings_bit());
    struct capture cap = {0};
    int rc;
    ltl_db *db = open_db(dir, 0, &cap, &rc);
    assert_non_null(db);
    /* its own query: right, from the log */
    uint64_t n;
    assert_int_equal(count(db, "level == error", 0, &n), LTL_OK);
    assert_int_equal(n, truth[0]);
    assert_int_equal(cap.damage, 1);
    assert_int_equal(ltl_close(db), LTL_OK);
    struct stat st;
    assert_int_equal(stat(mark, &st), 0);
    cap = (struct capture){0};
    assert_non_null(db = open_db(dir, 0, &cap, &rc));
    assert_int_equal(cap.rebuilt, 1);
    assert_int_equal(ltl_close(db), LTL_OK);
    free(file);
    free(mark);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(the_next_writer_rebuilds),
        cmocka_unit_test(a_writers_query_meets_damage),
        cmocka_unit_test(flips_on_a_reader),
        cmocka_unit_test(flips_then_a_writer),
    };
    return cmocka_run_group_tests(tests, build_store, NULL);
}
