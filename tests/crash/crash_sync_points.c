/* SPDX-License-Identifier: MIT */
/*
 * crash_sync_points.c — a simulated crash (power loss) at every sync point
 * of a small workload. At the chosen fdatasync/fsync the fault I/O table
 * drops, tears or keeps each unsynced write at random and the "process"
 * dies. Then, with the real table:
 *   - the store opens (recovery) and holds a prefix of what was appended:
 *     every record is one the workload wrote, whole, in order, at its seq;
 *   - every acknowledged record survives (paranoid: all acks; safe, casual
 *     and forgetful: everything before the last ltl_sync that returned);
 *   - recovery run twice gives the same store, byte for byte;
 *   - appends work after, and are there after a reopen.
 * Paranoid runs 4 threads (group commit) with segment rolls.
 */
#include "crashutil.h"

#include <pthread.h>

#define THREADS    4
#define PER_THREAD 24
#define CONFIG     "segment.size=64K,sync.interval=1ms"

struct ack {
    bool ok;
    uint64_t seq;
};

struct run {
    ltl_db *db;
    int mode;
    int thread;
    int count;
    struct ack *acks;
    uint64_t synced_upto; /* single-thread modes: acks <= this were followed by a good ltl_sync */
};

static int message(char *buf, size_t cap, int thread, int i)
{
    /* ~1 KB so that the workload rolls 64 KiB segments */
    int n = snprintf(buf, cap, "t%d-%d-", thread, i);
    int pad = 700 + (thread * 131 + i * 17) % 500;
    for (int k = 0; k < pad && n + 1 < (int)cap; k++)
        buf[n++] = (char)('a' + (thread + i + k) % 26);
    buf[n] = '\0';
    return n;
}

static void *worker(void *arg)
{
    struct run *r = arg;
    char msg[2048];
    for (int i = 0; i < r->count; i++) {
        int n = message(msg, sizeof(msg), r->thread, i);
        uint64_t seq;
        if (ltl_append(&seq, r->db, NULL, msg, (size_t)n, 0) == LTL_OK)
            r->acks[i] = (struct ack){true, seq};
        if (r->mode != LTL_PARANOID && i % 6 == 5 && ltl_sync(r->db) == LTL_OK)
            r->synced_upto = r->acks[i].ok ? r->acks[i].seq + 1 : r->synced_upto;
    }
    return NULL;
}

/* Run the workload over io; returns false if the store never opened. */
static bool workload(const char *dir, ltl__io *io, int mode, int threads, struct run *runs)
{
    int rc;
    ltl_db *db = cu_open(dir, io, mode, LTL_OPEN_CREATE, CONFIG, &rc);
    if (!db)
        return false;
    pthread_t th[THREADS];
    for (int t = 0; t < threads; t++) {
        runs[t].db = db;
        pthread_create(&th[t], NULL, worker, &runs[t]);
    }
    for (int t = 0; t < threads; t++)
        pthread_join(th[t], NULL);
    ltl_close(db); /* may fail after a crash: it must still free everything */
    return true;
}

static void verify(const char *dir, int mode, int threads, struct run *runs, bool opened)
{
    int rc;
    ltl_db *db = cu_open(dir, ltl__io_real(), mode, 0, CONFIG, &rc);
    if (!db) {
        /* only a store that never got created may be missing */
        assert_false(opened && rc != LTL_ENOTFOUND);
        for (int t = 0; t < threads; t++)
            for (int i = 0; i < runs[t].count; i++)
                assert_false(runs[t].acks[i].ok);
        return;
    }
    ltl_cursor *cur;
    ltl_cursor_options co = LTL_CURSOR_OPTIONS_INIT;
    co.flags = LTL_CURSOR_SYSTEM;
    assert_int_equal(ltl_cursor_open(&cur, db, &co), LTL_OK);
    const ltl_record *rec;
    int next_index[THREADS] = {0};
    bool found[THREADS][PER_THREAD] = {{false}};
    uint64_t expect_seq = 0, records = 0;
    char want[2048];
    while ((rc = ltl_cursor_next(&rec, cur)) == LTL_OK) {
        assert_true(rec->seq == expect_seq);
        expect_seq++;
        records++;
        if (rec->kind != LTL_KIND_DATA)
            continue;
        int t, i;
        assert_int_equal(sscanf((const char *)rec->data, "t%d-%d-", &t, &i), 2);
        assert_true(t >= 0 && t < threads && i >= next_index[t] && i < runs[t].count);
        int n = message(want, sizeof(want), t, i);
        assert_int_equal(rec->len, (size_t)n);
        assert_memory_equal(rec->data, want, (size_t)n);
        if (runs[t].acks[i].ok)
            assert_true(runs[t].acks[i].seq == rec->seq);
        found[t][i] = true;
        next_index[t] = i + 1;
    }
    if (rc != LTL_DONE)
        fail_msg("reading the recovered store: %s", ltl_errmsg(db));
    ltl_cursor_close(cur);
    for (int t = 0; t < threads; t++)
        for (int i = 0; i < runs[t].count; i++) {
            bool must = mode == LTL_PARANOID
                            ? runs[t].acks[i].ok
                            : runs[t].acks[i].ok && runs[t].acks[i].seq < runs[t].synced_upto;
            if (must && !found[t][i])
                fail_msg("acknowledged record t%d-%d (seq %" PRIu64 ") was lost", t, i,
                         runs[t].acks[i].seq);
        }
    assert_int_equal(ltl_close(db), LTL_OK);

    /* recovery twice: nothing changes */
    struct cu_snapshot a = cu_snapshot(dir);
    db = cu_open(dir, ltl__io_real(), mode, 0, CONFIG, NULL);
    assert_int_equal(ltl_close(db), LTL_OK);
    struct cu_snapshot b = cu_snapshot(dir);
    assert_int_equal(a.len, b.len);
    assert_memory_equal(a.data, b.data, a.len);
    free(a.data);
    free(b.data);

    /* appends work after */
    db = cu_open(dir, ltl__io_real(), mode, 0, CONFIG, NULL);
    uint64_t seq;
    for (int k = 0; k < 5; k++)
        assert_int_equal(ltl_append(&seq, db, "after", "again", 5, 0), LTL_OK);
    assert_int_equal(ltl_close(db), LTL_OK);
    db = cu_open(dir, ltl__io_real(), mode, LTL_OPEN_READONLY, NULL, NULL);
    ltl_record *got;
    assert_int_equal(ltl_get(&got, db, seq), LTL_OK);
    assert_string_equal(got->topic, "after");
    ltl_record_free(got);
    ltl_info info;
    assert_int_equal(ltl_stat(&info, db), LTL_OK);
    assert_true(info.records == seq + 1 && seq + 1 >= records + 5);
    ltl_close(db);
}

static void crash_everywhere(int mode, int threads, int seeds)
{
    /* count the sync points of one clean run */
    char *probe = tu_tmpdir();
    ltl__io_fault *f = ltl__io_fault_new(1);
    struct run runs[THREADS];
    struct ack acks[THREADS][PER_THREAD];
    memset(acks, 0, sizeof(acks));
    for (int t = 0; t < threads; t++)
        runs[t] = (struct run){NULL, mode, t, PER_THREAD, acks[t], 0};
    assert_true(workload(probe, ltl__io_fault_table(f), mode, threads, runs));
    long syncs = ltl__io_fault_calls(f, LTL__IO_FDATASYNC);
    ltl__io_fault_free(f);
    tu_rmtree(probe);
    free(probe);
    print_message("mode %s: %ld sync points, %d seeds each\n", ltl_durability_name(mode), syncs,
                  seeds);
    struct ltl__io_crash_stats total = {0, 0, 0};
    for (long k = 1; k <= syncs + 1; k++) {
        for (int seed = 1; seed <= seeds; seed++) {
            char *dir = tu_tmpdir();
            f = ltl__io_fault_new((uint64_t)(k * 7919 + seed));
            ltl__io_fault_crash_at_sync(f, k);
            memset(acks, 0, sizeof(acks));
            for (int t = 0; t < threads; t++)
                runs[t] = (struct run){NULL, mode, t, PER_THREAD, acks[t], 0};
            bool opened = workload(dir, ltl__io_fault_table(f), mode, threads, runs);
            if (!ltl__io_fault_crashed(f))
                ltl__io_fault_crash(f); /* power goes at the very end */
            struct ltl__io_crash_stats st;
            ltl__io_fault_crash_stats(f, &st);
            total.kept += st.kept;
            total.dropped += st.dropped;
            total.torn += st.torn;
            ltl__io_fault_free(f);
            verify(dir, mode, threads, runs, opened);
            tu_rmtree(dir);
            free(dir);
        }
    }
    /* the model really tore and dropped writes */
    assert_true(total.dropped > 0 && total.torn > 0 && total.kept > 0);
    print_message("  unsynced writes: %ld kept, %ld dropped, %ld torn\n", total.kept, total.dropped,
                  total.torn);
}

static void crash_paranoid(void **state)
{
    (void)state;
    crash_everywhere(LTL_PARANOID, THREADS, 2);
}

static void crash_safe(void **state)
{
    (void)state;
    crash_everywhere(LTL_SAFE, 1, 3);
}

static void crash_casual(void **state)
{
    (void)state;
    crash_everywhere(LTL_CASUAL, 1, 3);
}

/* forgetful rolls without syncing: recovery scans from the durable point's
 * segment on, across segments */
static void crash_forgetful(void **state)
{
    (void)state;
    crash_everywhere(LTL_FORGETFUL, 1, 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(crash_paranoid),
        cmocka_unit_test(crash_safe),
        cmocka_unit_test(crash_casual),
        cmocka_unit_test(crash_forgetful),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
