/* SPDX-License-Identifier: MIT */
/*
 * crash_faults.c — injected I/O failures and allocation failures.
 *   - EIO and ENOSPC on writes, EIO on fdatasync, ENOSPC on preallocation,
 *     EIO on open/read/rename, at every call of a small paranoid workload
 *     with segment rolls: every failing call returns an error with a clear
 *     message (naming the operation and the errno text), nothing already
 *     acknowledged is lost, the store reopens (recovery) and takes appends.
 *     After a failed fdatasync the writer refuses appends (LTL_EBROKEN).
 *   - short writes at every pwrite: no error at all, every record intact.
 *   - a full disk at a segment roll: LTL_ENOSPC, and the store stays usable.
 *   - the Nth allocation failing, for every N of a workload: LTL_ENOMEM,
 *     no leak (every allocation freed by the close), the store usable.
 */
#include "crashutil.h"

#include <errno.h>

#define CONFIG "segment.size=64K"
#define COUNT  60

static int message(char *buf, size_t cap, int i)
{
    int n = snprintf(buf, cap, "m%d-", i);
    int pad = 1500 + (i * 97) % 900; /* ~2 KB: a 64 KiB segment rolls every ~30 */
    for (int k = 0; k < pad && n + 1 < (int)cap; k++)
        buf[n++] = (char)('A' + (i + k) % 26);
    buf[n] = '\0';
    return n;
}

struct outcome {
    bool opened;
    bool acked[COUNT];
    uint64_t seq[COUNT];
    int errors;
    int broken_after_sync_failure;
};

static void workload(const char *dir, ltl__io *io, struct outcome *o)
{
    int rc;
    memset(o, 0, sizeof(*o));
    ltl_db *db = cu_open(dir, io, LTL_PARANOID, LTL_OPEN_CREATE, CONFIG, &rc);
    if (!db) {
        assert_true(rc < 0);
        return;
    }
    o->opened = true;
    char msg[4096];
    bool sync_failed = false;
    for (int i = 0; i < COUNT; i++) {
        int n = message(msg, sizeof(msg), i);
        rc = ltl_append(&o->seq[i], db, NULL, msg, (size_t)n, 0);
        if (rc == LTL_OK) {
            o->acked[i] = true;
            assert_false(sync_failed); /* never acknowledged after a failed fdatasync */
            continue;
        }
        o->errors++;
        const char *why = ltl_errmsg(db);
        if (!why[0])
            fail_msg("append %d failed with %s and no message", i, ltl_strerror(rc));
        if (rc == LTL_EBROKEN) {
            assert_non_null(strstr(why, "reopen"));
            o->broken_after_sync_failure++;
        } else {
            assert_true(rc == LTL_EIO || rc == LTL_ENOSPC);
            assert_true(strstr(why, "errno") || strstr(why, "read-back"));
            if (strstr(why, "fdatasync") || strstr(why, "O_DSYNC"))
                sync_failed = true;
        }
    }
    ltl_close(db);
}

static void verify(const char *dir, const struct outcome *o)
{
    int rc;
    ltl_db *db = cu_open(dir, ltl__io_real(), LTL_PARANOID, 0, CONFIG, &rc);
    if (!db) {
        assert_false(o->opened && rc != LTL_ENOTFOUND);
        return;
    }
    char want[4096];
    for (int i = 0; i < COUNT; i++) {
        if (!o->acked[i])
            continue;
        ltl_record *rec;
        if (ltl_get(&rec, db, o->seq[i]) != LTL_OK)
            fail_msg("acknowledged record %d (seq %" PRIu64 ") lost: %s", i, o->seq[i],
                     ltl_errmsg(db));
        int n = message(want, sizeof(want), i);
        assert_int_equal(rec->len, (size_t)n);
        assert_memory_equal(rec->data, want, (size_t)n);
        ltl_record_free(rec);
    }
    /* the whole log reads back, in order */
    ltl_cursor *cur;
    ltl_cursor_options co = LTL_CURSOR_OPTIONS_INIT;
    co.flags = LTL_CURSOR_SYSTEM;
    assert_int_equal(ltl_cursor_open(&cur, db, &co), LTL_OK);
    const ltl_record *r;
    uint64_t expect = 0;
    while ((rc = ltl_cursor_next(&r, cur)) == LTL_OK)
        assert_true(r->seq == expect++);
    assert_int_equal(rc, LTL_DONE);
    ltl_cursor_close(cur);
    assert_int_equal(ltl_append(NULL, db, NULL, "after", 5, 0), LTL_OK);
    assert_int_equal(ltl_close(db), LTL_OK);
}

static long count_calls(enum ltl__io_op op)
{
    char *dir = tu_tmpdir();
    ltl__io_fault *f = ltl__io_fault_new(3);
    struct outcome o;
    workload(dir, ltl__io_fault_table(f), &o);
    assert_int_equal(o.errors, 0);
    long n = ltl__io_fault_calls(f, op);
    ltl__io_fault_free(f);
    tu_rmtree(dir);
    free(dir);
    return n;
}

static void fail_every_call(enum ltl__io_op op, int errnum, const char *name)
{
    long calls = count_calls(op);
    int runs_with_errors = 0;
    for (long nth = 1; nth <= calls; nth++) {
        char *dir = tu_tmpdir();
        ltl__io_fault *f = ltl__io_fault_new((uint64_t)nth);
        ltl__io_fault_fail(f, op, nth, errnum, false);
        struct outcome o;
        workload(dir, ltl__io_fault_table(f), &o);
        ltl__io_fault_free(f);
        runs_with_errors += o.errors > 0 || !o.opened;
        verify(dir, &o);
        tu_rmtree(dir);
        free(dir);
    }
    print_message("%s: failed each of %ld calls; %d runs saw the error\n", name, calls,
                  runs_with_errors);
    assert_true(runs_with_errors > 0);
}

static void write_eio(void **state)
{
    (void)state;
    fail_every_call(LTL__IO_PWRITE, EIO, "pwrite EIO");
}

static void write_enospc(void **state)
{
    (void)state;
    fail_every_call(LTL__IO_PWRITE, ENOSPC, "pwrite ENOSPC");
}

static void fdatasync_eio(void **state)
{
    (void)state;
    fail_every_call(LTL__IO_FDATASYNC, EIO, "fdatasync EIO");
}

static void fallocate_enospc(void **state)
{
    (void)state;
    fail_every_call(LTL__IO_FALLOCATE, ENOSPC, "fallocate ENOSPC");
}

static void open_read_rename_eio(void **state)
{
    (void)state;
    fail_every_call(LTL__IO_OPEN, EIO, "open EIO");
    fail_every_call(LTL__IO_PREAD, EIO, "pread EIO");
    fail_every_call(LTL__IO_RENAME, EIO, "rename EIO");
}

static void broken_after_failed_fdatasync(void **state)
{
    (void)state;
    char *dir = tu_tmpdir();
    ltl__io_fault *f = ltl__io_fault_new(9);
    int rc;
    ltl_db *db = cu_open(dir, ltl__io_fault_table(f), LTL_PARANOID, LTL_OPEN_CREATE, CONFIG, NULL);
    assert_int_equal(ltl_append(NULL, db, NULL, "one", 3, 0), LTL_OK);
    ltl__io_fault_fail(f, LTL__IO_FDATASYNC, ltl__io_fault_calls(f, LTL__IO_FDATASYNC) + 1, EIO,
                       false);
    rc = ltl_append(NULL, db, NULL, "two", 3, 0);
    assert_int_equal(rc, LTL_EIO);
    /* paranoid writes through O_DSYNC: the failed sync is the write's */
    assert_non_null(strstr(ltl_errmsg(db), "O_DSYNC"));
    /* the next sync would succeed, but the writer must not trust it */
    rc = ltl_append(NULL, db, NULL, "three", 5, 0);
    assert_int_equal(rc, LTL_EBROKEN);
    assert_non_null(strstr(ltl_errmsg(db), "O_DSYNC"));
    assert_int_equal(ltl_sync(db), LTL_EBROKEN);
    ltl_close(db);
    ltl__io_fault_free(f);
    db = cu_open(dir, ltl__io_real(), LTL_PARANOID, 0, CONFIG, NULL);
    assert_int_equal(ltl_append(NULL, db, NULL, "four", 4, 0), LTL_OK);
    assert_int_equal(ltl_close(db), LTL_OK);
    free(dir);
}

/* safe mode: the fdatasync that fails is the syncer's or ltl_sync's */
static void broken_after_failed_fdatasync_safe(void **state)
{
    (void)state;
    char *dir = tu_tmpdir();
    ltl__io_fault *f = ltl__io_fault_new(11);
    ltl_db *db = cu_open(dir, ltl__io_fault_table(f), LTL_SAFE, LTL_OPEN_CREATE,
                         CONFIG ",sync.interval=1h", NULL);
    assert_int_equal(ltl_append(NULL, db, NULL, "one", 3, 0), LTL_OK);
    ltl__io_fault_fail(f, LTL__IO_FDATASYNC, ltl__io_fault_calls(f, LTL__IO_FDATASYNC) + 1, EIO,
                       false);
    assert_int_equal(ltl_sync(db), LTL_EIO);
    assert_non_null(strstr(ltl_errmsg(db), "fdatasync"));
    assert_int_equal(ltl_append(NULL, db, NULL, "two", 3, 0), LTL_EBROKEN);
    assert_non_null(strstr(ltl_errmsg(db), "reopen"));
    ltl_close(db);
    ltl__io_fault_free(f);
    db = cu_open(dir, ltl__io_real(), LTL_SAFE, 0, CONFIG, NULL);
    ltl_record *rec;
    assert_int_equal(ltl_get(&rec, db, 1), LTL_OK); /* "one" was written to the OS */
    assert_memory_equal(rec->data, "one", 3);
    ltl_record_free(rec);
    assert_int_equal(ltl_close(db), LTL_OK);
    free(dir);
}

static void short_writes_are_completed(void **state)
{
    (void)state;
    long calls = count_calls(LTL__IO_PWRITE);
    for (long nth = 1; nth <= calls; nth++) {
        char *dir = tu_tmpdir();
        ltl__io_fault *f = ltl__io_fault_new((uint64_t)nth);
        ltl__io_fault_short_write(f, nth);
        struct outcome o;
        workload(dir, ltl__io_fault_table(f), &o);
        ltl__io_fault_free(f);
        assert_int_equal(o.errors, 0);
        for (int i = 0; i < COUNT; i++)
            assert_true(o.acked[i]);
        verify(dir, &o);
        tu_rmtree(dir);
        free(dir);
    }
}

static void disk_full_at_a_roll(void **state)
{
    (void)state;
    char *dir = tu_tmpdir();
    ltl__io_fault *f = ltl__io_fault_new(5);
    ltl_db *db = cu_open(dir, ltl__io_fault_table(f), LTL_SAFE, LTL_OPEN_CREATE, CONFIG, NULL);
    /* every later preallocation fails: the disk is full */
    ltl__io_fault_fail(f, LTL__IO_FALLOCATE, ltl__io_fault_calls(f, LTL__IO_FALLOCATE) + 1, ENOSPC,
                       true);
    char msg[4096];
    int ok = 0, full = 0;
    for (int i = 0; i < COUNT; i++) {
        int n = message(msg, sizeof(msg), i);
        int rc = ltl_append(NULL, db, NULL, msg, (size_t)n, 0);
        if (rc == LTL_OK) {
            assert_int_equal(full, 0); /* nothing fits once the segment is full */
            ok++;
        } else {
            assert_int_equal(rc, LTL_ENOSPC);
            assert_non_null(strstr(ltl_errmsg(db), "No space left"));
            full++;
        }
    }
    assert_true(ok > 0 && full > 0);
    /* space comes back: the same handle goes on */
    ltl__io_fault_fail(f, LTL__IO_FALLOCATE, 0, 0, false);
    assert_int_equal(ltl_append(NULL, db, NULL, msg, 100, 0), LTL_OK);
    assert_int_equal(ltl_close(db), LTL_OK);
    ltl__io_fault_free(f);
    free(dir);
}

/* ---- allocation failures ---- */

static int alloc_workload(const char *dir)
{
    ltl_options opts = LTL_OPTIONS_INIT;
    opts.flags = LTL_OPEN_CREATE | LTL_OPEN_NO_ENV;
    opts.durability = LTL_SAFE;
    opts.config = CONFIG;
    ltl_db *db = NULL;
    int rc = ltl_open(&db, dir, &opts);
    if (rc) {
        assert_int_equal(rc, LTL_ENOMEM);
        ltl_close(db);
        return rc;
    }
    int first_error = LTL_OK;
#define NOTE(call)                                                                                 \
    do {                                                                                           \
        int r_ = (call);                                                                           \
        if (r_ != LTL_OK && r_ != LTL_DONE) {                                                      \
            if (r_ != LTL_ENOMEM)                                                                  \
                fail_msg("%s gave %s: %s", #call, ltl_strerror(r_), ltl_errmsg(db));               \
            if (!first_error)                                                                      \
                first_error = r_;                                                                  \
        }                                                                                          \
    } while (0)
    char msg[4096];
    for (int i = 0; i < 40; i++) {
        int n = message(msg, sizeof(msg), i);
        NOTE(ltl_append(NULL, db, NULL, msg, (size_t)n, LTL_APPEND_DETECT));
    }
    ltl_msg batch[3] = {{NULL, "[1]", 3, LTL_APPEND_JSON}, {"b", "x", 1, 0}, {NULL, "{}", 2, 0}};
    NOTE(ltl_append_batch(NULL, db, batch, 3));
    NOTE(ltl_sync(db));
    ltl_record *rec = NULL;
    NOTE(ltl_get(&rec, db, 3));
    char *buf = NULL;
    size_t cap = 0, len;
    if (rec)
        NOTE(ltl_record_format(&buf, &cap, &len, rec, LTL_FORMAT_JSONL));
    ltl_free(buf);
    ltl_record_free(rec);
    ltl_cursor *cur = NULL;
    ltl_cursor_options co = LTL_CURSOR_OPTIONS_INIT;
    co.flags = LTL_CURSOR_REVERSE;
    NOTE(ltl_cursor_open(&cur, db, &co));
    if (cur) {
        const ltl_record *r;
        int k = 0;
        while (k++ < 50 && ltl_cursor_next(&r, cur) == LTL_OK) {
        }
        ltl_cursor_close(cur);
    }
    ltl_info info;
    NOTE(ltl_stat(&info, db));
    NOTE(ltl_close(db));
#undef NOTE
    return first_error;
}

static void nth_allocation_fails(void **state)
{
    (void)state;
    long n;
    int failures = 0;
    for (n = 1;; n++) {
        char *dir = tu_tmpdir();
        tu_alloc_install(n, false);
        int rc = alloc_workload(dir);
        long count = tu_alloc_count(), live = tu_alloc_live();
        tu_alloc_uninstall();
        if (live != 0)
            fail_msg("allocation %ld failed: %ld allocations leaked", n, live);
        failures += rc == LTL_ENOMEM;
        tu_rmtree(dir);
        free(dir);
        if (count < n)
            break; /* the workload made fewer than n allocations: every one was tried */
        /* the store stays usable after whatever failed */
    }
    print_message("failed each of %ld allocations in turn; %d surfaced as LTL_ENOMEM\n", n - 1,
                  failures);
    assert_true(failures > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(write_eio),
        cmocka_unit_test(write_enospc),
        cmocka_unit_test(fdatasync_eio),
        cmocka_unit_test(fallocate_enospc),
        cmocka_unit_test(open_read_rename_eio),
        cmocka_unit_test(broken_after_failed_fdatasync),
        cmocka_unit_test(broken_after_failed_fdatasync_safe),
        cmocka_unit_test(short_writes_are_completed),
        cmocka_unit_test(disk_full_at_a_roll),
        cmocka_unit_test(nth_allocation_fails),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
