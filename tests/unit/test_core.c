/* SPDX-License-Identifier: MIT */
/*
 * test_core.c — the core module: CRC32C (both implementations against the
 * standard check values), base64, time/duration/size syntaxes, UTF-8
 * validation, the error message per handle, the log line bound.
 */
#include "testutil.h"

#include <time.h>

#include "core/core.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void crc32c_vectors(void **state)
{
    (void)state;
    /* RFC 3720 B.4 and the common check value */
    assert_int_equal(ltl__crc32c(0, "123456789", 9), 0xe3069283u);
    unsigned char zeros[32] = {0}, ones[32], inc[32];
    memset(ones, 0xff, sizeof(ones));
    for (int i = 0; i < 32; i++)
        inc[i] = (unsigned char)i;
    assert_int_equal(ltl__crc32c(0, zeros, 32), 0x8a9136aau);
    assert_int_equal(ltl__crc32c(0, ones, 32), 0x62a8ab43u);
    assert_int_equal(ltl__crc32c(0, inc, 32), 0x46dd794eu);
    /* continuing a running value equals one pass, at every split and alignment */
    unsigned char buf[300];
    for (int i = 0; i < 300; i++)
        buf[i] = (unsigned char)(i * 7 + 3);
    uint32_t whole = ltl__crc32c(0, buf, sizeof(buf));
    for (size_t split = 0; split <= sizeof(buf); split += 13)
        assert_int_equal(ltl__crc32c(ltl__crc32c(0, buf, split), buf + split, sizeof(buf) - split),
                         whole);
    for (size_t a = 0; a < 8; a++)
        assert_int_equal(ltl__crc32c(0, buf + a, 100),
                         ltl__crc32c(ltl__crc32c(0, buf + a, 1), buf + a + 1, 99));
    /* the table fallback gives the same values as the instruction */
    assert_int_equal(ltl__crc32c_portable(0, "123456789", 9), 0xe3069283u);
    for (size_t len = 0; len <= sizeof(buf) - 8; len += 11)
        for (size_t a = 0; a < 8; a++)
            assert_int_equal(ltl__crc32c_portable(5, buf + a, len), ltl__crc32c(5, buf + a, len));
}

static void base64_roundtrip(void **state)
{
    (void)state;
    static const char *const cases[][2] = {{"", ""},
                                           {"f", "Zg=="},
                                           {"fo", "Zm8="},
                                           {"foo", "Zm9v"},
                                           {"foob", "Zm9vYg=="},
                                           {"fooba", "Zm9vYmE="},
                                           {"foobar", "Zm9vYmFy"}};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        ltl__buf enc = {0}, dec = {0};
        assert_int_equal(ltl__base64_encode(&enc, cases[i][0], strlen(cases[i][0])), LTL_OK);
        assert_string_equal(enc.data, cases[i][1]);
        assert_int_equal(ltl__base64_decode(&dec, enc.data, enc.len), LTL_OK);
        assert_int_equal(dec.len, strlen(cases[i][0]));
        assert_memory_equal(dec.data ? dec.data : "", cases[i][0], dec.len);
        ltl__buf_free(&enc);
        ltl__buf_free(&dec);
    }
    ltl__buf bad = {0};
    assert_int_equal(ltl__base64_decode(&bad, "Zm9", 3), LTL_EPARSE);
    assert_int_equal(ltl__base64_decode(&bad, "Zm=v", 4), LTL_EPARSE);
    assert_int_equal(ltl__base64_decode(&bad, "Z!9v", 4), LTL_EPARSE);
    ltl__buf_free(&bad);
}

static void time_parse_format(void **state)
{
    (void)state;
    int64_t t, now = 1763719200LL * 1000000000LL; /* 2025-11-21T10:00:00Z */
    assert_int_equal(ltl_time_parse(&t, "2025-11-21T10:00:00Z", 0), LTL_OK);
    assert_true(t == now);
    assert_int_equal(ltl_time_parse(&t, "2025-11-21T10:00Z", 0), LTL_OK);
    assert_true(t == now);
    assert_int_equal(ltl_time_parse(&t, "2025-11-21T12:00:00+02:00", 0), LTL_OK);
    assert_true(t == now);
    assert_int_equal(ltl_time_parse(&t, "2025-11-21 10:00:00.5", 0), LTL_OK);
    assert_true(t == now + 500000000LL);
    assert_int_equal(ltl_time_parse(&t, "2025-11-21", 0), LTL_OK);
    assert_true(t == now - 10LL * 3600 * 1000000000LL);
    assert_int_equal(ltl_time_parse(&t, "-15m", now), LTL_OK);
    assert_true(t == now - 15LL * 60 * 1000000000LL);
    assert_int_equal(ltl_time_parse(&t, "+1.5h", now), LTL_OK);
    assert_true(t == now + 5400LL * 1000000000LL);
    assert_int_equal(ltl_time_parse(&t, "today", now), LTL_OK);
    assert_true(t == now - 10LL * 3600 * 1000000000LL);
    assert_int_equal(ltl_time_parse(&t, "yesterday", now), LTL_OK);
    assert_true(t == now - 34LL * 3600 * 1000000000LL);
    assert_int_equal(ltl_time_parse(&t, "@42", now), LTL_OK);
    assert_true(t == 42);
    assert_int_equal(ltl_time_parse(&t, "now", now), LTL_OK);
    assert_true(t == now);
    const char *bad[] = {"",
                         "2025-13-01",
                         "2025-11-21T25:00",
                         "-15",
                         "-15parsecs",
                         "soon",
                         "2025-11-21T10:00:00Zjunk",
                         "@",
                         "@12x",
                         "-",
                         "2025-1-1"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(ltl_time_parse(&t, bad[i], now), LTL_EPARSE);
    char buf[40];
    ltl_time_format(buf, sizeof(buf), now + 123);
    assert_string_equal(buf, "2025-11-21T10:00:00.000000123Z");
    ltl_time_format(buf, sizeof(buf), -1);
    assert_string_equal(buf, "1969-12-31T23:59:59.999999999Z");
    /* format then parse is the identity */
    for (int64_t x = -5000000000000000000LL; x < 5000000000000000000LL; x += 987654321987654321LL) {
        ltl_time_format(buf, sizeof(buf), x);
        assert_int_equal(ltl_time_parse(&t, buf, 0), LTL_OK);
        assert_true(t == x);
    }
}

static void durations_and_sizes(void **state)
{
    (void)state;
    assert_true(ltl__duration_parse("100ms") == 100000000LL);
    assert_true(ltl__duration_parse("2s") == 2000000000LL);
    assert_true(ltl__duration_parse("1m") == 60000000000LL);
    assert_true(ltl__duration_parse("250") == 250);
    assert_true(ltl__duration_parse("ms") == -1);
    assert_true(ltl__duration_parse("-1s") == -1);
    assert_true(ltl__duration_parse("1 s") == -1);
    assert_true(ltl__size_parse("4096") == 4096);
    assert_true(ltl__size_parse("64K") == 65536);
    assert_true(ltl__size_parse("16M") == 16 << 20);
    assert_true(ltl__size_parse("16MiB") == 16 << 20);
    assert_true(ltl__size_parse("1G") == 1LL << 30);
    assert_true(ltl__size_parse("1GB") == 1LL << 30);
    assert_true(ltl__size_parse("12B") == 12);
    assert_true(ltl__size_parse("1X") == -1);
    assert_true(ltl__size_parse("M") == -1);
    assert_true(ltl__size_parse("99999999999999999999") == -1);
    assert_true(ltl__size_parse("9999999999T") == -1);
}

static void utf8(void **state)
{
    (void)state;
    assert_true(ltl__utf8_valid("plain", 5));
    assert_true(ltl__utf8_valid("\xc3\xa9\xe6\x97\xa5\xf0\x9f\x98\x80", 9));
    assert_false(ltl__utf8_valid("\xc0\xaf", 2));         /* overlong */
    assert_false(ltl__utf8_valid("\xed\xa0\x80", 3));     /* surrogate */
    assert_false(ltl__utf8_valid("\xf4\x90\x80\x80", 4)); /* > U+10FFFF */
    assert_false(ltl__utf8_valid("\xe6\x97", 2));         /* cut */
    assert_false(ltl__utf8_valid("\x80", 1));
    assert_false(ltl__utf8_valid("\xff", 1));
}

static void errors_belong_to_their_handle(void **state)
{
    (void)state;
    int a, b;
    ltl__err_begin();
    assert_int_equal(ltl__err_end(&a, ltl__errf(LTL_EIO, "first %d", 1)), LTL_EIO);
    assert_string_equal(ltl__err_message(&a), "first 1");
    assert_string_equal(ltl__err_message(&b), "");
    /* the first message of a failure wins; context is added in front */
    ltl__err_begin();
    ltl__errf(LTL_EIO, "root cause");
    ltl__errf(LTL_EIO, "cleanup noise");
    ltl__err_prefix("while opening %s", "x");
    ltl__err_end(&b, LTL_EIO);
    assert_string_equal(ltl__err_message(&b), "while opening x: root cause");
    assert_string_equal(ltl__err_message(&a), "");
    /* success clears the handle's message; a failure without text names the code */
    ltl__err_begin();
    ltl__err_end(&b, LTL_OK);
    assert_string_equal(ltl__err_message(&b), "");
    ltl__err_begin();
    ltl__err_end(&b, LTL_EBUSY);
    assert_string_equal(ltl__err_message(&b), ltl_strerror(LTL_EBUSY));
    assert_non_null(strstr(ltl_strerror(-9999), "unknown"));
}

static char last_line[2048];
static int last_level;

static void capture(void *ctx, int level, const char *msg)
{
    (void)ctx;
    last_level = level;
    snprintf(last_line, sizeof(last_line), "%s", msg);
}

static void log_lines_are_bounded(void **state)
{
    (void)state;
    ltl__logger lg = {capture, NULL, LTL_LOG_INFO};
    ltl__log(&lg, LTL_LOG_DEBUG, "filtered");
    assert_string_equal(last_line, "");
    ltl__log(&lg, LTL_LOG_WARN, "two\nlines\tand a tab");
    assert_int_equal(last_level, LTL_LOG_WARN);
    assert_string_equal(last_line, "two\\nlines\\x09and a tab");
    char big[3000];
    memset(big, 'a', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    ltl__log(&lg, LTL_LOG_ERROR, "%s", big);
    size_t n = strlen(last_line);
    assert_true(n < LTL__LOG_LINE_MAX);
    assert_string_equal(last_line + n - 3, "\xe2\x80\xa6"); /* the visible cut mark */
    /* a cut never splits a UTF-8 sequence */
    char wide[3000] = "";
    for (int i = 0; i < 900; i++)
        strcat(wide, "\xc3\xa9");
    ltl__log(&lg, LTL_LOG_ERROR, "%s", wide);
    assert_true(ltl__utf8_valid(last_line, strlen(last_line)));
    assert_int_equal(ltl__log_level_parse("debug"), LTL_LOG_DEBUG);
    assert_int_equal(ltl__log_level_parse("loud"), -1);
}

/* ---- the worker pool ---------------------------------------------------------- */

static int count_task(void *arg)
{
    __atomic_add_fetch((int *)arg, 1, __ATOMIC_SEQ_CST);
    return LTL_OK;
}

static int failing_task(void *arg)
{
    (void)arg;
    return ltl__errf(LTL_EIO, "task failed on purpose");
}

struct slow {
    struct ltl__pool *pool;
    int polls;
};

static int slow_task(void *arg)
{
    struct slow *s = arg;
    for (int i = 0; i < 400 && !ltl__pool_cancelled(s->pool); i++) {
        struct timespec d = {0, 5000000};
        nanosleep(&d, NULL);
        s->polls++;
    }
    return LTL_OK;
}

static void pool_runs_waits_cancels(void **state)
{
    (void)state;
    /* every task runs once; progress counts them */
    struct ltl__pool *p;
    assert_int_equal(ltl__pool_new(&p, 3), LTL_OK);
    int n = 0;
    for (int i = 0; i < 200; i++)
        assert_int_equal(ltl__pool_submit(p, count_task, &n), LTL_OK);
    assert_int_equal(ltl__pool_wait(p, -1), LTL_OK);
    assert_int_equal(n, 200);
    uint64_t done, total;
    ltl__pool_progress(p, &done, &total);
    assert_int_equal(done, 200);
    assert_int_equal(total, 200);
    ltl__pool_free(p);

    /* the first error comes back from wait and cancels what was not started */
    assert_int_equal(ltl__pool_new(&p, 1), LTL_OK);
    n = 0;
    assert_int_equal(ltl__pool_submit(p, failing_task, NULL), LTL_OK);
    for (int i = 0; i < 100; i++)
        assert_int_equal(ltl__pool_submit(p, count_task, &n), LTL_OK);
    assert_int_equal(ltl__pool_wait(p, -1), LTL_EIO);
    assert_true(n < 100);
    assert_true(ltl__pool_cancelled(p));
    ltl__pool_free(p);

    /* a wait times out while a task runs; cancel stops it (it polls) */
    assert_int_equal(ltl__pool_new(&p, 1), LTL_OK);
    struct slow s = {p, 0};
    assert_int_equal(ltl__pool_submit(p, slow_task, &s), LTL_OK);
    assert_int_equal(ltl__pool_wait(p, 20 * 1000000LL), LTL_ETIMEOUT);
    ltl__pool_cancel(p);
    int wrc = ltl__pool_wait(p, -1); /* the wait ends: nothing is left running */
    assert_int_not_equal(wrc, LTL_ETIMEOUT);
    assert_true(s.polls < 400);
    ltl__pool_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(crc32c_vectors),
        cmocka_unit_test(base64_roundtrip),
        cmocka_unit_test(time_parse_format),
        cmocka_unit_test(durations_and_sizes),
        cmocka_unit_test(utf8),
        cmocka_unit_test(errors_belong_to_their_handle),
        cmocka_unit_test(log_lines_are_bounded),
        cmocka_unit_test(pool_runs_waits_cancels),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
