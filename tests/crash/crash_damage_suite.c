/* SPDX-License-Identifier: MIT */
/*
 * crash_damage_suite.c — never a wrong answer from a damaged store.
 *
 * A store of several segments, with signed checkpoints, an index and a
 * hash index, is damaged one byte at a time (a dense sample of positions
 * of every kind of file: segments, log/synced, log/tree.hashes,
 * checkpoints, LTL, index/data.mdb), and every way of reading it is run on
 * the damaged copy: stat, forward and reverse cursors, get by seq, queries
 * answered from the index and by a scan, namespace lookups, proofs and
 * verify. Each must give the right answer or fail; none may give a wrong
 * answer and succeed. Then the copy is repaired: every record the damage
 * did not touch must still be there at its seq, and the store verifies.
 *
 * LTL_DAMAGE_STEP (environment) thins or thickens the sample: every Nth
 * byte is damaged (default: a prime that keeps the run near a minute).
 */
#include "crashutil.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#define RECORDS 420
#define TAGS    7

static char *base_dir, *src, *keyw, *keyc, *config;
static char *check_key_text;

struct rec {
    uint64_t seq;
    int64_t ts;
    unsigned kind;
    char topic[64];
    char *data;
    size_t len;
};
static struct rec *want;
static size_t nwant;
static uint64_t tag3_count; /* records whose tag is "t3" */

/* What the damage did, for the summary. */
static unsigned runs, opened_ok, failed_reads, repaired, lost_total;

static void load_expected(void)
{
    int rc;
    ltl_db *db = cu_open(src, ltl__io_real(), 0, LTL_OPEN_READONLY, config, &rc);
    assert_non_null(db);
    ltl_cursor_options co = LTL_CURSOR_OPTIONS_INIT;
    co.flags = LTL_CURSOR_SYSTEM;
    ltl_cursor *cur;
    assert_int_equal(ltl_cursor_open(&cur, db, &co), LTL_OK);
    const ltl_record *r;
    while ((rc = ltl_cursor_next(&r, cur)) == LTL_OK) {
        want = realloc(want, (nwant + 1) * sizeof(*want));
        struct rec *w = &want[nwant++];
        assert_true(r->seq == nwant - 1);
        w->seq = r->seq;
        w->ts = r->ts;
        w->kind = r->kind;
        snprintf(w->topic, sizeof(w->topic), "%s", r->topic);
        w->data = malloc(r->len + 1);
        memcpy(w->data, r->data, r->len);
        w->len = r->len;
        if (r->kind == LTL_KIND_DATA && memmem(r->data, r->len, "\"tag\":\"t3\"", 10))
            tag3_count++;
    }
    assert_int_equal(rc, LTL_DONE);
    ltl_cursor_close(cur);
    ltl_close(db);
}

static bool same(const ltl_record *r)
{
    if (r->seq >= nwant)
        return false;
    const struct rec *w = &want[r->seq];
    return r->ts == w->ts && r->kind == w->kind && strcmp(r->topic, w->topic) == 0 &&
           r->len == w->len && memcmp(r->data, w->data, r->len) == 0;
}

/* A wrong answer: say exactly what, and stop the test. */
#define WRONG(what, ...) fail_msg("%s byte %zu: WRONG ANSWER: " what, file, at, __VA_ARGS__)

/* Every reading of the damaged store: right, or a failure. */
static void read_all(ltl_db *db, const char *file, size_t at)
{
    ltl_info info;
    int rc = ltl_stat(&info, db);
    if (rc == LTL_OK && info.records != nwant)
        WRONG("stat says %" PRIu64 " records, not %zu", info.records, nwant);
    failed_reads += rc != LTL_OK;

    for (int reverse = 0; reverse < 2; reverse++) {
        ltl_cursor_options co = LTL_CURSOR_OPTIONS_INIT;
        co.flags = LTL_CURSOR_SYSTEM | (reverse ? LTL_CURSOR_REVERSE : 0);
        ltl_cursor *cur;
        if ((rc = ltl_cursor_open(&cur, db, &co)) != LTL_OK) {
            failed_reads++;
            continue;
        }
        const ltl_record *r;
        uint64_t n = 0;
        while ((rc = ltl_cursor_next(&r, cur)) == LTL_OK) {
            uint64_t expect = reverse ? nwant - 1 - n : n;
            if (r->seq != expect || !same(r))
                WRONG("%s cursor: record %" PRIu64 " differs (wanted seq %" PRIu64 ")",
                      reverse ? "reverse" : "forward", r->seq, expect);
            n++;
        }
        if (rc == LTL_DONE && n != nwant)
            WRONG("%s cursor ended after %" PRIu64 " of %zu records without an error",
                  reverse ? "reverse" : "forward", n, nwant);
        failed_reads += rc != LTL_DONE;
        ltl_cursor_close(cur);
    }

    static const uint64_t probes[] = {0, 1, 77, 140, 209, 300, 388, 429};
    for (size_t i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
        uint64_t seq = probes[i] < nwant ? probes[i] : nwant - 1;
        ltl_record *r = NULL;
        rc = ltl_get(&r, db, seq);
        if (rc == LTL_OK && (r->seq != seq || !same(r)))
            WRONG("get %" PRIu64 " differs", seq);
        failed_reads += rc != LTL_OK;
        ltl_record_free(r);
    }

    /* from the index (equality), and by a scan (exists is never indexed) */
    static const char *const queries[] = {"tag == \"t3\"", "exists n and tag == \"t3\"",
                                          "tag in [\"t3\"]"};
    for (size_t i = 0; i < sizeof(queries) / sizeof(queries[0]); i++) {
        ltl_query *q;
        if ((rc = ltl_query_open(&q, db, queries[i], NULL)) != LTL_OK) {
            failed_reads++;
            continue;
        }
        const ltl_record *r;
        uint64_t n = 0;
        while ((rc = ltl_query_next(&r, q)) == LTL_OK) {
            if (!same(r))
                WRONG("query '%s' returned a record %" PRIu64 " that differs", queries[i], r->seq);
            n++;
        }
        if (rc == LTL_DONE && n != tag3_count)
            WRONG("query '%s' counted %" PRIu64 ", not %" PRIu64, queries[i], n, tag3_count);
        failed_reads += rc != LTL_DONE;
        ltl_query_close(q);
    }

    ltl_ns *ns;
    if ((rc = ltl_ns_open(&ns, db, NULL)) == LTL_OK) {
        for (size_t i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
            uint64_t seq = probes[i] < nwant ? probes[i] : nwant - 1;
            char path[64];
            snprintf(path, sizeof(path), "/seq/%" PRIu64, seq);
            ltl_ns_node *node;
            if ((rc = ltl_ns_lookup(&node, ns, path)) != LTL_OK) {
                failed_reads++;
                continue;
            }
            const void *data;
            size_t len;
            rc = ltl_ns_node_data(&data, &len, node);
            if (rc == LTL_OK && (len != want[seq].len || memcmp(data, want[seq].data, len)))
                WRONG("namespace %s differs", path);
            failed_reads += rc != LTL_OK;
            ltl_ns_node_release(node);
        }
        ltl_ns_close(ns);
    } else {
        failed_reads++;
    }

    /* a proof handed out must prove the record as it was appended */
    for (uint64_t seq = 5; seq < nwant; seq += 150) {
        char *proof = NULL;
        if ((rc = ltl_proof(&proof, db, seq, UINT64_MAX)) == LTL_OK) {
            char *what = NULL;
            ltl_error err;
            int crc = ltl_proof_check(&what, &err, proof, strlen(proof), check_key_text,
                                      strlen(check_key_text), want[seq].data, want[seq].len);
            if (crc != LTL_OK)
                WRONG("proof of %" PRIu64 " was handed out but does not check: %s", seq,
                      err.message);
            ltl_free(what);
        }
        failed_reads += rc != LTL_OK;
        ltl_free(proof);
    }
}

/* Verify must not pass a damaged log, hash index or checkpoints file: only a
 * crash tail (damage beyond the durable point) or the advisory files may pass. */
static void verify_damaged(ltl_db *db, const char *file, size_t at)
{
    ltl_verify_options vo;
    ltl_verify_options_init(&vo);
    ltl_verify_report rep;
    int rc = ltl_verify(&rep, db, &vo);
    bool tolerated = strcmp(file, "log/synced") == 0 || strncmp(file, "index/", 6) == 0;
    if (rc == LTL_OK && rep.ok && !tolerated && rep.tail_bytes == 0)
        WRONG("verify passed (%s)", "the damage went unnoticed");
}

/* After a repair: every record is there at its seq, but at most `max_lost`
 * lost-record markers; the store verifies. */
static void check_repaired(const char *dir, const char *file, size_t at, unsigned max_lost)
{
    int rc;
    ltl_db *db = cu_open(dir, ltl__io_real(), 0, LTL_OPEN_READONLY, config, &rc);
    if (!db)
        WRONG("the repaired store does not open: %s", ltl_strerror(rc));
    (void)rc;
    ltl_cursor_options co = LTL_CURSOR_OPTIONS_INIT;
    co.flags = LTL_CURSOR_SYSTEM;
    ltl_cursor *cur;
    assert_int_equal(ltl_cursor_open(&cur, db, &co), LTL_OK);
    const ltl_record *r;
    unsigned lost = 0;
    uint64_t n = 0;
    while ((rc = ltl_cursor_next(&r, cur)) == LTL_OK && r->seq < nwant) {
        if (r->seq != n)
            WRONG("after repair, seq %" PRIu64 " is missing", n);
        if (r->kind == LTL_KIND_LOST)
            lost++;
        else if (!same(r))
            WRONG("after repair, record %" PRIu64 " differs", r->seq);
        n++;
    }
    if (rc != LTL_OK && rc != LTL_DONE)
        WRONG("after repair, reading fails: %s", ltl_errmsg(db));
    if (n != nwant)
        WRONG("after repair, %" PRIu64 " of %zu records", n, nwant);
    if (lost > max_lost)
        WRONG("repair lost %u records (at most %u were damaged)", lost, max_lost);
    lost_total += lost;
    ltl_cursor_close(cur);
    ltl_verify_options vo;
    ltl_verify_options_init(&vo);
    ltl_verify_report rep;
    rc = ltl_verify(&rep, db, &vo);
    if (rc != LTL_OK || !rep.ok)
        WRONG("the repaired store does not verify: %s", rep.problem);
    if (rep.lost != lost)
        WRONG("verify counts %" PRIu64 " lost records, the log holds %u", rep.lost, lost);
    ltl_close(db);
}

static void damage_one(const char *file, size_t at, unsigned char xor_with)
{
    char *dir = tu_path(base_dir, "copy");
    cu_copy_tree(src, dir);
    char *path = tu_path(dir, file);
    int fd = open(path, O_RDWR);
    assert_true(fd >= 0);
    unsigned char b;
    assert_int_equal(pread(fd, &b, 1, (off_t)at), 1);
    b ^= xor_with;
    assert_int_equal(pwrite(fd, &b, 1, (off_t)at), 1);
    close(fd);
    runs++;

    int rc;
    ltl_db *db = cu_open(dir, ltl__io_real(), 0, LTL_OPEN_READONLY, config, &rc);
    if (db) {
        opened_ok++;
        read_all(db, file, at);
        verify_damaged(db, file, at);
        ltl_close(db);
    } else if (rc != LTL_ECORRUPT && rc != LTL_EVERSION) {
        WRONG("open failed with %s, not as damage", ltl_strerror(rc));
    }

    /* repair: a segment byte can cost at most the record it was in */
    db = cu_open(dir, ltl__io_real(), 0, LTL_OPEN_REPAIR, config, &rc);
    if (!db) {
        ltl_options o = LTL_OPTIONS_INIT;
        o.flags = LTL_OPEN_REPAIR | LTL_OPEN_NO_ENV;
        o.config = config;
        ltl_db *again = NULL;
        rc = ltl_open(&again, dir, &o);
        WRONG("repair failed: %s", ltl_errmsg(again));
    }
    assert_int_equal(ltl_close(db), LTL_OK);
    repaired++;
    check_repaired(dir, file, at, strncmp(file, "log/0", 5) == 0 ? 1 : 0);
    free(path);
    free(dir);
}

static size_t file_size(const char *rel)
{
    char *p = tu_path(src, rel);
    struct stat st;
    assert_int_equal(stat(p, &st), 0);
    free(p);
    return (size_t)st.st_size;
}

/* The end of the non-zero bytes of a file (where a segment's data ends). */
static size_t data_end(const char *rel)
{
    size_t len;
    char *p = tu_path(src, rel);
    unsigned char *d = (unsigned char *)tu_read_file(p, &len);
    size_t end = len;
    while (end > 0 && d[end - 1] == 0)
        end--;
    free(d);
    free(p);
    return end;
}

static size_t step_for(size_t dflt)
{
    const char *s = getenv("LTL_DAMAGE_STEP");
    long v = s ? atol(s) : 0;
    return v > 0 ? (size_t)v : dflt;
}

static void damage_file(const char *rel, size_t upto, size_t step)
{
    /* LTL_DAMAGE_ONLY=FILE:BYTE runs that one damage alone (to look into a failure) */
    const char *only = getenv("LTL_DAMAGE_ONLY");
    if (only) {
        const char *colon = strrchr(only, ':');
        if (colon && strncmp(only, rel, (size_t)(colon - only)) == 0 && rel[colon - only] == '\0') {
            size_t at = (size_t)atol(colon + 1);
            damage_one(rel, at, at % 3 == 0 ? 0x01 : at % 3 == 1 ? 0x80 : 0xff);
        }
        return;
    }
    unsigned before = runs;
    for (size_t at = 0; at < upto; at += step)
        damage_one(rel, at, at % 3 == 0 ? 0x01 : at % 3 == 1 ? 0x80 : 0xff);
    print_message("%-28s %4u positions damaged\n", rel, runs - before);
}

static void small_files(void **state)
{
    (void)state;
    damage_file("LTL", LTL__HEADER_SIZE, 1);
    damage_file("log/synced", 2 * LTL__MARKER_SLOT, 3);
}

static void segments(void **state)
{
    (void)state;
    char names[8][300];
    int n = 0;
    char *log = tu_path(src, "log");
    DIR *d = opendir(log);
    free(log);
    struct dirent *e;
    while ((e = readdir(d)) && n < 8)
        if (strstr(e->d_name, ".seg"))
            snprintf(names[n++], sizeof(names[0]), "log/%s", e->d_name);
    closedir(d);
    assert_true(n >= 3); /* several segments */
    for (int i = 0; i < n; i++) {
        size_t end = data_end(names[i]);
        /* the header densely, the frames sampled, and the zeros after the data */
        damage_file(names[i], LTL__SEG_HEADER_SIZE, 1);
        damage_file(names[i], end + 96, step_for(97));
    }
}

static void hash_index_and_checkpoints(void **state)
{
    (void)state;
    damage_file("log/tree.hashes", file_size("log/tree.hashes"), step_for(53));
    damage_file("checkpoints", file_size("checkpoints"), step_for(7));
}

/* The field index: derived data, checked before it is believed (docs/INDEX.md 3.6); the
 * dense sample is tests/crash/crash_index_damage.c, this one runs every reading above. */
static void field_index(void **state)
{
    (void)state;
    size_t used = data_end("index/data.mdb");
    damage_file("index/data.mdb", used < (96u << 10) ? used : (96u << 10), step_for(211));
}

static int setup(void **state)
{
    (void)state;
    base_dir = tu_tmpdir();
    src = tu_path(base_dir, "store");
    keyw = tu_path(base_dir, "w.key");
    keyc = tu_path(base_dir, "c.key");
    ltl_error err;
    assert_int_equal(ltl_keygen(&err, "damage.example/log", keyw, keyc), LTL_OK);
    size_t len;
    check_key_text = tu_read_file(keyc, &len);
    config = malloc(strlen(keyw) + 128);
    sprintf(config, "segment.size=64K,keys.write=%s,checkpoint.interval=0", keyw);
    int rc;
    ltl_db *db = cu_open(src, ltl__io_real(), LTL_SAFE, LTL_OPEN_CREATE, config, &rc);
    assert_non_null(db);
    char msg[700];
    for (int i = 0; i < RECORDS; i++) {
        int n = snprintf(msg, sizeof(msg), "{\"n\":%d,\"tag\":\"t%d\",\"pad\":\"%0*d\"}", i,
                         i % TAGS, 300 + (i * 37) % 300, i);
        assert_int_equal(
            ltl_append(NULL, db, i % 2 ? "app" : "web", msg, (size_t)n, LTL_APPEND_JSON), LTL_OK);
        if (i == RECORDS / 2) {
            char *cp = NULL;
            assert_int_equal(ltl_checkpoint(&cp, db), LTL_OK);
            ltl_free(cp);
        }
    }
    char *cp = NULL;
    assert_int_equal(ltl_checkpoint(&cp, db), LTL_OK);
    ltl_free(cp);
    assert_int_equal(ltl_close(db), LTL_OK);
    load_expected();
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    print_message("%u damaged copies: %u opened (the rest failed as damaged), %u reads failed "
                  "naming the damage, %u repaired, %u records lost in all\n",
                  runs, opened_ok, failed_reads, repaired, lost_total);
    if (!getenv("LTL_DAMAGE_KEEP"))
        tu_rmtree(base_dir);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(small_files),
        cmocka_unit_test(segments),
        cmocka_unit_test(hash_index_and_checkpoints),
        cmocka_unit_test(field_index),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
