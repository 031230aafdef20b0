/* SPDX-License-Identifier: MIT */
/*
 * test_store.c — the store through the public API: every durability mode,
 * batches and checks, segment rolls, cursors (ranges, reverse, time, topic,
 * waiting), readers beside a writer, the writer lock, manifests, repair.
 */
#include "testutil.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static ltl_db *open_store(const char *dir, int mode, unsigned flags, const char *config)
{
    ltl_options opts = LTL_OPTIONS_INIT;
    opts.flags = flags | LTL_OPEN_NO_ENV;
    opts.durability = mode;
    opts.config = config;
    ltl_db *db = NULL;
    int rc = ltl_open(&db, dir, &opts);
    if (rc != LTL_OK)
        fail_msg("open %s: %s: %s", dir, ltl_strerror(rc), ltl_errmsg(db));
    return db;
}

static void message_for(char *buf, size_t cap, uint64_t i)
{
    /* sizes vary so frames of every padding length occur */
    int pad = (int)(i * 37 % 300);
    snprintf(buf, cap, "{\"i\":%" PRIu64 ",\"pad\":\"%.*s\"}", i, pad,
             "................................................................................"
             "................................................................................"
             "................................................................................"
             "................................................................................");
}

/* Every data record of the store, in order, must be message_for(0..n). */
static void check_contents(ltl_db *db, uint64_t n, const char *topic)
{
    ltl_cursor_options co = LTL_CURSOR_OPTIONS_INIT;
    co.topic = topic;
    ltl_cursor *cur;
    assert_int_equal(ltl_cursor_open(&cur, db, &co), LTL_OK);
    const ltl_record *rec;
    char want[512];
    uint64_t i = 0, last_seq = 0;
    int64_t last_ts = INT64_MIN;
    int rc;
    while ((rc = ltl_cursor_next(&rec, cur)) == LTL_OK) {
        message_for(want, sizeof(want), i);
        assert_int_equal(rec->len, strlen(want));
        assert_memory_equal(rec->data, want, rec->len);
        assert_true(rec->flags & LTL_RECORD_JSON);
        assert_true(i == 0 || rec->seq > last_seq);
        assert_true(rec->ts >= last_ts);
        assert_non_null(rec->manifest);
        assert_true(rec->manifest->pid == getpid());
        last_seq = rec->seq;
        last_ts = rec->ts;
        i++;
    }
    assert_int_equal(rc, LTL_DONE);
    assert_true(i == n);
    ltl_cursor_close(cur);
}

static void roundtrip_every_mode(void **state)
{
    (void)state;
    for (int mode = LTL_FORGETFUL; mode <= LTL_PARANOID; mode++) {
        char *dir = tu_tmpdir();
        ltl_db *db = open_store(dir, mode, LTL_OPEN_CREATE, "segment.size=64K");
        char msg[512];
        uint64_t n = mode == LTL_PARANOID ? 600 : 2000, seq;
        for (uint64_t i = 0; i < n; i++) {
            message_for(msg, sizeof(msg), i);
            assert_int_equal(
                ltl_append(&seq, db, i % 2 ? "odd" : NULL, msg, strlen(msg), LTL_APPEND_JSON),
                LTL_OK);
            assert_true(seq == i + 1); /* seq 0 is the manifest */
        }
        check_contents(db, n, NULL); /* the writer's own handle reads its buffer too */
        ltl_record *rec;
        assert_int_equal(ltl_get(&rec, db, 5), LTL_OK);
        message_for(msg, sizeof(msg), 4);
        assert_memory_equal(rec->data, msg, rec->len);
        assert_string_equal(rec->topic, "default");
        ltl_record_free(rec);
        assert_int_equal(ltl_get(&rec, db, n + 1), LTL_ENOTFOUND);
        assert_non_null(strstr(ltl_errmsg(db), "no record"));
        assert_int_equal(ltl_close(db), LTL_OK);

        ltl_db *r = open_store(dir, LTL_DURABILITY_DEFAULT, LTL_OPEN_READONLY, NULL);
        check_contents(r, n, NULL);
        ltl_info info;
        assert_int_equal(ltl_stat(&info, r), LTL_OK);
        assert_true(info.records == n + 1);
        assert_true(info.segments > 1);
        assert_true(info.first_ts <= info.last_ts && info.first_ts > 0);
        assert_int_equal(ltl_append(&seq, r, NULL, "x", 1, 0), LTL_EREADONLY);
        ltl_close(r);

        /* a writer in the same process reuses its manifest and goes on */
        db = open_store(dir, mode, 0, "segment.size=64K");
        assert_int_equal(ltl_append(&seq, db, "later", "z", 1, 0), LTL_OK);
        assert_true(seq == n + 1);
        assert_int_equal(ltl_close(db), LTL_OK);
        free(dir);
    }
}

static void batches_are_checked_whole(void **state)
{
    (void)state;
    char *dir = tu_tmpdir();
    ltl_db *db = open_store(dir, LTL_SAFE, LTL_OPEN_CREATE, "message.max_size=1K");
    char big[2000];
    memset(big, 'b', sizeof(big));
    ltl_msg msgs[4] = {{NULL, "a", 1, 0},
                       {"t", "{}", 2, LTL_APPEND_JSON},
                       {"bad topic", "c", 1, 0},
                       {NULL, "d", 1, 0}};
    uint64_t first = 99;
    assert_int_equal(ltl_append_batch(&first, db, msgs, 4), LTL_EINVAL);
    assert_non_null(strstr(ltl_errmsg(db), "message 2"));
    assert_true(first == 99);
    msgs[2] = (ltl_msg){NULL, big, sizeof(big), 0};
    assert_int_equal(ltl_append_batch(&first, db, msgs, 4), LTL_ETOOBIG);
    assert_non_null(strstr(ltl_errmsg(db), "message.max_size"));
    msgs[2] = (ltl_msg){NULL, "{nope", 5, LTL_APPEND_JSON};
    assert_int_equal(ltl_append_batch(&first, db, msgs, 4), LTL_EPARSE);
    assert_non_null(strstr(ltl_errmsg(db), "byte"));
    msgs[2] = (ltl_msg){NULL, "[1,2]", 5, LTL_APPEND_DETECT};
    assert_int_equal(ltl_append_batch(&first, db, msgs, 4), LTL_OK);
    assert_true(first == 1); /* nothing was written by the failed batches */
    assert_int_equal(ltl_append(NULL, db, "_mine", "x", 1, 0), LTL_EINVAL);
    assert_int_equal(ltl_append(NULL, db, "", "x", 1, 0), LTL_EINVAL);
    assert_int_equal(ltl_append(NULL, db, "ok", NULL, 1, 0), LTL_EINVAL);
    assert_int_equal(ltl_append(NULL, db, "ok", "x", 1, 1 << 7), LTL_EINVAL);
    assert_int_equal(ltl_append(NULL, db, "ok", "", 0, 0), LTL_OK); /* empty message */

    ltl_cursor *cur;
    assert_int_equal(ltl_cursor_open(&cur, db, NULL), LTL_OK);
    const ltl_record *rec;
    unsigned want_flags[] = {0, LTL_RECORD_JSON, LTL_RECORD_JSON, 0, 0};
    const char *want_topic[] = {"default", "t", "default", "default", "ok"};
    for (int i = 0; i < 5; i++) {
        assert_int_equal(ltl_cursor_next(&rec, cur), LTL_OK);
        assert_int_equal(rec->flags, want_flags[i]);
        assert_string_equal(rec->topic, want_topic[i]);
        assert_int_equal(rec->kind, LTL_KIND_DATA);
    }
    assert_int_equal(ltl_cursor_next(&rec, cur), LTL_DONE);
    ltl_cursor_close(cur);
    assert_int_equal(ltl_close(db), LTL_OK);
    free(dir);
}

static void cursors_ranges_reverse_time_topic(void **state)
{
    (void)state;
    char *dir = tu_tmpdir();
    ltl_db *db = open_store(dir, LTL_CASUAL, LTL_OPEN_CREATE, "segment.size=64K");
    char msg[512];
    int64_t ts_at[3001];
    for (uint64_t i = 0; i < 3000; i++) {
        message_for(msg, sizeof(msg), i);
        uint64_t seq;
        assert_int_equal(ltl_append(&seq, db, i % 3 ? "b" : "a", msg, strlen(msg), 0), LTL_OK);
        if (i % 500 == 0)
            usleep(2000); /* distinct times to search for */
    }
    assert_int_equal(ltl_sync(db), LTL_OK);
    ltl_db *r = open_store(dir, 0, LTL_OPEN_READONLY, NULL);
    /* learn each record's time */
    ltl_cursor *cur;
    const ltl_record *rec;
    assert_int_equal(ltl_cursor_open(&cur, r, NULL), LTL_OK);
    while (ltl_cursor_next(&rec, cur) == LTL_OK)
        ts_at[rec->seq] = rec->ts;
    ltl_cursor_close(cur);

    struct {
        uint64_t from, to;
        unsigned flags;
        const char *topic;
        uint64_t first, last, count;
    } cases[] = {
        {0, UINT64_MAX, 0, NULL, 1, 3000, 3000},
        {10, 20, 0, NULL, 10, 20, 11},
        {10, 20, LTL_CURSOR_REVERSE, NULL, 20, 10, 11},
        {0, UINT64_MAX, LTL_CURSOR_REVERSE, NULL, 3000, 1, 3000},
        {0, UINT64_MAX, 0, "a", 1, 2998, 1000},
        {0, UINT64_MAX, LTL_CURSOR_REVERSE, "a", 2998, 1, 1000},
        {0, 5, LTL_CURSOR_SYSTEM, NULL, 0, 5, 6},
        {4000, UINT64_MAX, 0, NULL, 0, 0, 0},
    };
    for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
        ltl_cursor_options co = LTL_CURSOR_OPTIONS_INIT;
        co.from_seq = cases[k].from;
        co.to_seq = cases[k].to;
        co.flags = cases[k].flags;
        co.topic = cases[k].topic;
        assert_int_equal(ltl_cursor_open(&cur, r, &co), LTL_OK);
        uint64_t count = 0, first = 0, last = 0;
        while (ltl_cursor_next(&rec, cur) == LTL_OK) {
            if (!count)
                first = rec->seq;
            last = rec->seq;
            count++;
        }
        ltl_cursor_close(cur);
        assert_true(count == cases[k].count);
        if (count) {
            assert_true(first == cases[k].first);
            assert_true(last == cases[k].last);
        }
    }
    /* time bounds: [since, until) by binary search equals a linear filter */
    for (uint64_t probe = 1; probe <= 3000; probe += 499) {
        for (int rev = 0; rev < 2; rev++) {
            ltl_cursor_options co = LTL_CURSOR_OPTIONS_INIT;
            co.since = ts_at[probe];
            co.until = ts_at[probe] + 3000000; /* 3 ms */
            co.flags = rev ? LTL_CURSOR_REVERSE : 0;
            uint64_t want = 0;
            for (uint64_t s = 1; s <= 3000; s++)
                want += ts_at[s] >= co.since && ts_at[s] < co.until;
            assert_int_equal(ltl_cursor_open(&cur, r, &co), LTL_OK);
            uint64_t got = 0;
            while (ltl_cursor_next(&rec, cur) == LTL_OK) {
                assert_true(rec->ts >= co.since && rec->ts < co.until);
                got++;
            }
            ltl_cursor_close(cur);
            assert_true(got == want);
        }
    }
    ltl_close(r);
    assert_int_equal(ltl_close(db), LTL_OK);
    free(dir);
}

static void oversized_message_gets_its_own_segment(void **state)
{
    (void)state;
    char *dir = tu_tmpdir();
    ltl_db *db = open_store(dir, LTL_SAFE, LTL_OPEN_CREATE, "segment.size=64K,message.max_size=1M");
    size_t n = 300000;
    char *big = malloc(n);
    for (size_t i = 0; i < n; i++)
        big[i] = (char)('a' + i % 26);
    uint64_t s1, s2, s3;
    assert_int_equal(ltl_append(&s1, db, NULL, "before", 6, 0), LTL_OK);
    assert_int_equal(ltl_append(&s2, db, NULL, big, n, 0), LTL_OK);
    assert_int_equal(ltl_append(&s3, db, NULL, "after", 5, 0), LTL_OK);
    assert_int_equal(ltl_close(db), LTL_OK);
    ltl_db *r = open_store(dir, 0, LTL_OPEN_READONLY, NULL);
    ltl_record *rec;
    assert_int_equal(ltl_get(&rec, r, s2), LTL_OK);
    assert_int_equal(rec->len, n);
    assert_memory_equal(rec->data, big, n);
    ltl_record_free(rec);
    assert_int_equal(ltl_get(&rec, r, s3), LTL_OK);
    assert_memory_equal(rec->data, "after", 5);
    ltl_record_free(rec);
    ltl_close(r);
    free(big);
    free(dir);
}

struct appender {
    ltl_db *db;
    int id, count;
    uint64_t *seqs;
};

static void *append_thread(void *arg)
{
    struct appender *a = arg;
    char msg[64];
    for (int i = 0; i < a->count; i++) {
        int n = snprintf(msg, sizeof(msg), "t%d-%d", a->id, i);
        if (ltl_append(&a->seqs[i], a->db, NULL, msg, (size_t)n, 0) != LTL_OK)
            a->seqs[i] = UINT64_MAX;
    }
    return NULL;
}

static void concurrent_appenders_group_commit(void **state)
{
    (void)state;
    for (int mode = LTL_SAFE; mode <= LTL_PARANOID; mode++) {
        char *dir = tu_tmpdir();
        ltl_db *db = open_store(dir, mode, LTL_OPEN_CREATE, "segment.size=64K");
        enum { T = 8, N = 400 };
        struct appender a[T];
        pthread_t th[T];
        for (int t = 0; t < T; t++) {
            a[t] = (struct appender){db, t, N, calloc(N, sizeof(uint64_t))};
            pthread_create(&th[t], NULL, append_thread, &a[t]);
        }
        for (int t = 0; t < T; t++)
            pthread_join(th[t], NULL);
        assert_int_equal(ltl_close(db), LTL_OK);
        ltl_db *r = open_store(dir, 0, LTL_OPEN_READONLY, NULL);
        for (int t = 0; t < T; t++) {
            for (int i = 0; i < N; i++) {
                assert_true(a[t].seqs[i] != UINT64_MAX);
                assert_true(i == 0 || a[t].seqs[i] > a[t].seqs[i - 1]);
                ltl_record *rec;
                char want[64];
                int n = snprintf(want, sizeof(want), "t%d-%d", t, i);
                assert_int_equal(ltl_get(&rec, r, a[t].seqs[i]), LTL_OK);
                assert_int_equal(rec->len, (size_t)n);
                assert_memory_equal(rec->data, want, (size_t)n);
                ltl_record_free(rec);
            }
            free(a[t].seqs);
        }
        ltl_info info;
        assert_int_equal(ltl_stat(&info, r), LTL_OK);
        assert_true(info.records == T * N + 1);
        ltl_close(r);
        free(dir);
    }
}

static void the_writer_lock(void **state)
{
    (void)state;
    char *dir = tu_tmpdir();
    ltl_db *db = open_store(dir, LTL_SAFE, LTL_OPEN_CREATE, NULL);
    ltl_options opts = LTL_OPTIONS_INIT;
    opts.flags = LTL_OPEN_NO_ENV;
    ltl_db *second = NULL;
    assert_int_equal(ltl_open(&second, dir, &opts), LTL_EBUSY);
    char pid[32];
    snprintf(pid, sizeof(pid), "pid %ld", (long)getpid());
    assert_non_null(strstr(ltl_errmsg(second), pid));
    ltl_close(second);
    ltl_db *reader = open_store(dir, 0, LTL_OPEN_READONLY, NULL);
    ltl_info info;
    assert_int_equal(ltl_stat(&info, reader), LTL_OK);
    assert_true(info.writer_pid == getpid());
    ltl_close(reader);
    assert_int_equal(ltl_close(db), LTL_OK);
    db = open_store(dir, LTL_SAFE, 0, NULL); /* free again */
    assert_int_equal(ltl_close(db), LTL_OK);

    ltl_db *missing = NULL;
    char *nowhere = tu_path(dir, "nowhere");
    assert_int_equal(ltl_open(&missing, nowhere, &opts), LTL_ENOTFOUND);
    assert_non_null(strstr(ltl_errmsg(missing), nowhere));
    ltl_close(missing);
    assert_string_equal(ltl_errmsg(NULL), "");
    free(nowhere);
    free(dir);
}

struct late_append {
    ltl_db *db;
    useconds_t delay;
};

static void *append_later(void *arg)
{
    struct late_append *l = arg;
    usleep(l->delay);
    ltl_append(NULL, l->db, NULL, "late", 4, 0);
    return NULL;
}

static void reader_waits_for_records(void **state)
{
    (void)state;
    char *dir = tu_tmpdir();
    ltl_db *db = open_store(dir, LTL_SAFE, LTL_OPEN_CREATE, NULL);
    assert_int_equal(ltl_append(NULL, db, NULL, "early", 5, 0), LTL_OK);
    ltl_db *r = open_store(dir, 0, LTL_OPEN_READONLY, NULL);
    ltl_cursor *cur;
    const ltl_record *rec;
    assert_int_equal(ltl_cursor_open(&cur, r, NULL), LTL_OK);
    assert_int_equal(ltl_cursor_next(&rec, cur), LTL_OK);
    assert_int_equal(ltl_cursor_next(&rec, cur), LTL_DONE);
    assert_int_equal(ltl_cursor_wait(cur, 50), LTL_ETIMEOUT);
    struct late_append l = {db, 100000};
    pthread_t th;
    pthread_create(&th, NULL, append_later, &l);
    int rc;
    while ((rc = ltl_cursor_next(&rec, cur)) == LTL_DONE)
        assert_int_equal(ltl_cursor_wait(cur, 10000), LTL_OK);
    assert_int_equal(rc, LTL_OK);
    assert_memory_equal(rec->data, "late", 4);
    pthread_join(th, NULL);
    ltl_cursor_close(cur);
    ltl_close(r);
    ltl_close(db);
    free(dir);
}

struct stream {
    ltl_db *db;
    int count;
    volatile int done;
};

static void *stream_appends(void *arg)
{
    struct stream *s = arg;
    char msg[512];
    for (int i = 0; i < s->count; i++) {
        message_for(msg, sizeof(msg), (uint64_t)i);
        ltl_append(NULL, s->db, NULL, msg, strlen(msg), LTL_APPEND_JSON);
    }
    s->done = 1;
    return NULL;
}

static void reader_beside_a_writer_sees_whole_records(void **state)
{
    (void)state;
    char *dir = tu_tmpdir();
    ltl_db *db = open_store(dir, LTL_SAFE, LTL_OPEN_CREATE, "segment.size=64K");
    ltl_db *r = open_store(dir, 0, LTL_OPEN_READONLY, NULL);
    struct stream s = {db, 5000, 0};
    pthread_t th;
    pthread_create(&th, NULL, stream_appends, &s);
    ltl_cursor *cur;
    assert_int_equal(ltl_cursor_open(&cur, r, NULL), LTL_OK);
    uint64_t i = 0;
    char want[512];
    for (;;) {
        const ltl_record *rec;
        int rc = ltl_cursor_next(&rec, cur);
        if (rc == LTL_DONE) {
            if (s.done && i == (uint64_t)s.count)
                break;
            usleep(100);
            continue;
        }
        if (rc != LTL_OK)
            fail_msg("at %" PRIu64 ": %s", i, ltl_errmsg(r));
        message_for(want, sizeof(want), i);
        assert_int_equal(rec->len, strlen(want));
        assert_memory_equal(rec->data, want, rec->len);
        i++;
    }
    pthread_join(th, NULL);
    ltl_cursor_close(cur);
    ltl_close(r);
    assert_int_equal(ltl_close(db), LTL_OK);
    free(dir);
}

static void record_formats(void **state)
{
    (void)state;
    char *dir = tu_tmpdir();
    ltl_db *db = open_store(dir, LTL_SAFE, LTL_OPEN_CREATE, NULL);
    assert_int_equal(ltl_append(NULL, db, "t", "{\"a\":\n [1, 2]}", 14, LTL_APPEND_JSON), LTL_OK);
    assert_int_equal(ltl_append(NULL, db, "t", "say \"hi\"\n", 9, 0), LTL_OK);
    assert_int_equal(ltl_append(NULL, db, "t", "\xff\x00\x01", 3, 0), LTL_OK);
    char *buf = NULL;
    size_t cap = 0, len;
    ltl_record *rec;
    assert_int_equal(ltl_get(&rec, db, 1), LTL_OK);
    assert_int_equal(ltl_record_format(&buf, &cap, &len, rec, LTL_FORMAT_JSONL), LTL_OK);
    assert_non_null(strstr(buf, "\"message\":{\"a\":[1,2]}}\n"));
    assert_null(memchr(buf, '\n', len - 1)); /* one line */
    assert_non_null(strstr(buf, "\"seq\":1,"));
    assert_int_equal(ltl_record_format(&buf, &cap, &len, rec, LTL_FORMAT_PRETTY), LTL_OK);
    assert_non_null(strstr(buf, "{\n  \"a\": [\n    1,\n    2\n  ]\n}"));
    ltl_record_free(rec);
    assert_int_equal(ltl_get(&rec, db, 2), LTL_OK);
    assert_int_equal(ltl_record_format(&buf, &cap, &len, rec, LTL_FORMAT_JSONL), LTL_OK);
    assert_non_null(strstr(buf, "\"message\":\"say \\\"hi\\\"\\n\"}"));
    assert_int_equal(ltl_record_format(&buf, &cap, &len, rec, LTL_FORMAT_RAW), LTL_OK);
    assert_int_equal(len, 10);
    ltl_record_free(rec);
    assert_int_equal(ltl_get(&rec, db, 3), LTL_OK);
    assert_int_equal(ltl_record_format(&buf, &cap, &len, rec, LTL_FORMAT_JSONL), LTL_OK);
    assert_non_null(strstr(buf, "\"message_base64\":\"/wAB\"}"));
    assert_int_equal(ltl_record_format(&buf, &cap, &len, rec, 99), LTL_EINVAL);
    ltl_record_free(rec);
    ltl_free(buf);
    ltl_close(db);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(roundtrip_every_mode),
        cmocka_unit_test(batches_are_checked_whole),
        cmocka_unit_test(cursors_ranges_reverse_time_topic),
        cmocka_unit_test(oversized_message_gets_its_own_segment),
        cmocka_unit_test(concurrent_appenders_group_commit),
        cmocka_unit_test(the_writer_lock),
        cmocka_unit_test(reader_waits_for_records),
        cmocka_unit_test(reader_beside_a_writer_sees_whole_records),
        cmocka_unit_test(record_formats),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
