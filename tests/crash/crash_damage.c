/* SPDX-License-Identifier: MIT */
/*
 * crash_damage.c — damage a small store on purpose and check it is caught:
 *   - the segment cut at every byte offset of its last records: when the
 *     cut lies past the recorded durable point (a crash), the store opens
 *     with exactly the whole records before the cut, and appends work;
 *     when synced data is cut, the open fails with LTL_ECORRUPT and a
 *     repair brings the same prefix back;
 *   - every single-byte change in the store's files is caught: the open
 *     fails (corrupt / version), or recovery reports what it cleared (a
 *     warning and a record in _ltl); a record with changed content is
 *     never returned.
 */
#include "crashutil.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#define RECORDS 12

static char *base_dir;             /* a clean small store */
static uint64_t ends[RECORDS + 2]; /* end offset of each frame in the segment (seq order) */
static uint64_t data_end;
static char payloads[RECORDS + 2][64];

static int build_store(void **state)
{
    (void)state;
    base_dir = tu_tmpdir();
    char *dir = tu_path(base_dir, "store");
    ltl_db *db =
        cu_open(dir, ltl__io_real(), LTL_PARANOID, LTL_OPEN_CREATE, "segment.size=64K", NULL);
    for (int i = 0; i < RECORDS; i++) {
        snprintf(payloads[i + 1], sizeof(payloads[i + 1]), "record number %d %.*s", i, i * 3,
                 "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
        assert_int_equal(ltl_append(NULL, db, "t", payloads[i + 1], strlen(payloads[i + 1]), 0),
                         LTL_OK);
    }
    assert_int_equal(ltl_close(db), LTL_OK);
    snprintf(payloads[RECORDS + 1], sizeof(payloads[RECORDS + 1]), "one more");
    /* frame ends, by walking the segment */
    char *seg = tu_path(dir, "log/0000000000000000.seg");
    size_t len;
    unsigned char *bytes = (unsigned char *)tu_read_file(seg, &len);
    uint64_t off = LTL__SEG_HEADER_SIZE;
    for (int s = 0; s <= RECORDS; s++) {
        uint32_t flen = ltl__get_u32(bytes + off);
        assert_true(flen > 0);
        off += ltl__frame_size(flen);
        ends[s] = off;
    }
    data_end = off;
    free(bytes);
    free(seg);
    free(dir);
    return 0;
}

struct log_capture {
    int warnings;
};

static void count_warnings(void *ctx, int level, const char *msg)
{
    (void)msg;
    if (level <= LTL_LOG_WARN)
        ((struct log_capture *)ctx)->warnings++;
}

static ltl_db *open_logged(const char *dir, unsigned flags, struct log_capture *cap, int *rc)
{
    ltl_options opts = LTL_OPTIONS_INIT;
    opts.flags = flags | LTL_OPEN_NO_ENV;
    opts.log = count_warnings;
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

/* The data records of dir, which must be payloads[1..n] in order. Returns n. */
static int check_prefix(ltl_db *db)
{
    ltl_cursor *cur;
    ltl_cursor_options co = LTL_CURSOR_OPTIONS_INIT;
    co.topic = "t";
    assert_int_equal(ltl_cursor_open(&cur, db, &co), LTL_OK);
    const ltl_record *rec;
    int n = 0, rc;
    while ((rc = ltl_cursor_next(&rec, cur)) == LTL_OK) {
        n++;
        assert_true(n <= RECORDS + 1);
        assert_int_equal(rec->len, strlen(payloads[n]));
        assert_memory_equal(rec->data, payloads[n], rec->len);
        assert_true(rec->seq >= (uint64_t)n); /* a recovery record may come before an append */
    }
    assert_int_equal(rc, LTL_DONE);
    ltl_cursor_close(cur);
    return n;
}

static void cut(const char *dir, uint64_t at)
{
    char *seg = tu_path(dir, "log/0000000000000000.seg");
    assert_int_equal(truncate(seg, (off_t)at), 0);
    free(seg);
}

static void forget_durable_point(const char *dir)
{
    char *marker = tu_path(dir, "log/synced");
    assert_int_equal(unlink(marker), 0);
    free(marker);
}

static void truncation_at_every_offset(void **state)
{
    (void)state;
    char *src = tu_path(base_dir, "store");
    char *dir = tu_path(base_dir, "cut");
    for (uint64_t at = ends[RECORDS - 4]; at <= data_end; at++) {
        /* whole records before the cut */
        int whole = 0;
        while (whole < RECORDS && ends[whole + 1] <= at)
            whole++;
        /* (a) a crash before the sync was recorded: the cut is a torn tail */
        cu_copy_tree(src, dir);
        cut(dir, at);
        forget_durable_point(dir);
        struct log_capture cap = {0};
        int rc;
        ltl_db *db = open_logged(dir, 0, &cap, &rc);
        if (!db)
            fail_msg("cut at %" PRIu64 ": open failed: %s", at, ltl_strerror(rc));
        assert_int_equal(check_prefix(db), whole);
        assert_int_equal(
            ltl_append(NULL, db, "t", payloads[whole + 1], strlen(payloads[whole + 1]), 0), LTL_OK);
        assert_int_equal(ltl_close(db), LTL_OK);
        db = open_logged(dir, LTL_OPEN_READONLY, &cap, &rc);
        assert_non_null(db);
        assert_int_equal(check_prefix(db), whole + 1);
        ltl_close(db);

        /* (b) synced data cut away: corruption, until a repair */
        cu_copy_tree(src, dir);
        cut(dir, at);
        db = open_logged(dir, 0, &cap, &rc);
        if (at == data_end) {
            assert_non_null(db); /* nothing was cut */
            ltl_close(db);
            continue;
        }
        assert_null(db);
        assert_int_equal(rc, LTL_ECORRUPT);
        db = open_logged(dir, LTL_OPEN_REPAIR, &cap, &rc);
        assert_non_null(db);
        assert_int_equal(check_prefix(db), whole);
        assert_int_equal(ltl_close(db), LTL_OK);
    }
    free(src);
    free(dir);
}

/* Flip one byte of one file of a copy of the store; the result must be
 * caught. Returns 1 when the open failed, 2 when it reported a recovery. */
static int flip_and_check(const char *rel, size_t at, unsigned char xor_with)
{
    char *src = tu_path(base_dir, "store");
    char *dir = tu_path(base_dir, "flip");
    cu_copy_tree(src, dir);
    char *path = tu_path(dir, rel);
    int fd = open(path, O_RDWR);
    assert_true(fd >= 0);
    unsigned char b;
    assert_int_equal(pread(fd, &b, 1, (off_t)at), 1);
    b ^= xor_with;
    assert_int_equal(pwrite(fd, &b, 1, (off_t)at), 1);
    close(fd);

    struct log_capture cap = {0};
    int rc, outcome;
    ltl_db *db = open_logged(dir, 0, &cap, &rc);
    if (!db) {
        if (rc != LTL_ECORRUPT && rc != LTL_EVERSION)
            fail_msg("%s byte %zu: open failed with %s", rel, at, ltl_strerror(rc));
        outcome = 1;
    } else {
        /* opened: it must have said so, and every record it shows is right */
        if (cap.warnings == 0)
            fail_msg("%s byte %zu: the change went unnoticed", rel, at);
        int n = check_prefix(db);
        assert_int_equal(n, RECORDS); /* only unsynced bytes were cleared */
        ltl_close(db);
        outcome = 2;
    }
    free(path);
    free(src);
    free(dir);
    return outcome;
}

static void every_byte_change_is_caught(void **state)
{
    (void)state;
    int failed = 0, reported = 0;
    for (size_t at = 0; at < LTL__HEADER_SIZE; at++)
        failed += flip_and_check("LTL", at, 0x01) == 1;
    /* the segment: header, every frame, and the zeros after the data */
    for (size_t at = 0; at < data_end + 64; at++) {
        int o = flip_and_check("log/0000000000000000.seg", at, at % 2 ? 0x80 : 0x01);
        failed += o == 1;
        reported += o == 2;
    }
    /* the durable point file: both slots */
    for (size_t at = 0; at < 2 * LTL__MARKER_SLOT; at++) {
        int o = flip_and_check("log/synced", at, 0x10);
        failed += o == 1;
        reported += o == 2;
    }
    print_message("byte changes: %d failed the open, %d were reported by recovery\n", failed,
                  reported);
    assert_true(failed > 0 && reported > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(truncation_at_every_offset),
        cmocka_unit_test(every_byte_change_is_caught),
    };
    return cmocka_run_group_tests(tests, build_store, NULL);
}
