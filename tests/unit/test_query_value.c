/* SPDX-License-Identifier: MIT */
/*
 * test_query_value.c — the query language's values: exact decimal numbers
 * from JSON text, the total order, and the order-preserving index keys.
 * The central property: memcmp of two keys orders like
 * ltl__value_compare() of the values (weakly, by group, for lossy keys),
 * checked on many random pairs, with integers and short decimals also
 * checked against an independent order (int128 and double arithmetic).
 */
#include "testutil.h"

#include "query/query.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static ltl__value num(const char *text)
{
    ltl__value v = {.type = LTL_JSON_NUMBER, .text = text, .len = strlen(text)};
    if (ltl__num_parse(&v.num, text, strlen(text)) != LTL_OK)
        fail_msg("not a number: %s", text);
    return v;
}

static ltl__value str(const char *text, size_t len)
{
    return (ltl__value){.type = LTL_JSON_STRING, .text = text, .len = len};
}

static ltl__value lit(int type)
{
    return (ltl__value){.type = type, .text = "", .len = 0};
}

static int sign(int c)
{
    return c < 0 ? -1 : c > 0;
}

/* memcmp order of two byte strings, shorter first on a common prefix. */
static int bytes_compare(const void *a, size_t alen, const void *b, size_t blen)
{
    size_t n = alen < blen ? alen : blen;
    int c = n ? memcmp(a, b, n) : 0;
    if (c)
        return sign(c);
    return alen < blen ? -1 : alen > blen;
}

static void key_of(ltl__buf *out, const ltl__value *v)
{
    out->len = 0;
    assert_int_equal(ltl__value_key(out, v), LTL_OK);
}

static void test_number_grammar(void **state)
{
    (void)state;
    const char *good[] = {"0",      "-0",      "1",    "-1",    "0.5",  "10",           "1e5",
                          "1E5",    "1e+5",    "1e-5", "1.5e3", "-0.0", "123.456e-789", "0e0",
                          "1e0000", "1.00000", "9" /* one digit */};
    for (size_t i = 0; i < LTL__ARRAY_LEN(good); i++) {
        ltl__num n;
        if (ltl__num_parse(&n, good[i], strlen(good[i])) != LTL_OK)
            fail_msg("rejected %s", good[i]);
    }
    const char *bad[] = {"",    "-",   "+1",       "01", "-01", ".5",   "1.",  "1e",    "1e+",
                         "0x1", "NaN", "Infinity", " 1", "1 ",  "1.5.", "--1", "1e5.0", "e5"};
    for (size_t i = 0; i < LTL__ARRAY_LEN(bad); i++) {
        ltl__num n;
        if (ltl__num_parse(&n, bad[i], strlen(bad[i])) != LTL_EPARSE)
            fail_msg("accepted %s", bad[i]);
    }
}

static void test_number_normal_form(void **state)
{
    (void)state;
    struct {
        const char *text;
        int sign;
        int64_t exp;
        size_t ndigits;
    } cases[] = {
        {"0", 0, 0, 0},
        {"-0.000e7", 0, 0, 0},
        {"1", 1, 1, 1},
        {"1.0", 1, 1, 1},
        {"10e-1", 1, 1, 1},
        {"100", 1, 3, 1},
        {"0.001", 1, -2, 1},
        {"-12.50", -1, 2, 3},
        {"10.01", 1, 2, 4},
        {"1e18", 1, 19, 1},
        {"0.1e-5", 1, -5, 1},
        {"123e-2", 1, 1, 3},
        {"1e999999999999999999999", 1, LTL__VALUE_EXP_MAX, 1},
        {"1e-999999999999999999999", 1, -LTL__VALUE_EXP_MAX + 1, 1},
    };
    for (size_t i = 0; i < LTL__ARRAY_LEN(cases); i++) {
        ltl__num n;
        assert_int_equal(ltl__num_parse(&n, cases[i].text, strlen(cases[i].text)), LTL_OK);
        if (n.sign != cases[i].sign ||
            (n.sign && (n.exp != cases[i].exp || n.ndigits != cases[i].ndigits)))
            fail_msg("%s: sign %d exp %lld digits %zu", cases[i].text, n.sign, (long long)n.exp,
                     n.ndigits);
    }
}

static void test_number_equality_and_order(void **state)
{
    (void)state;
    /* each row: texts of one value */
    const char *same[][6] = {
        {"0", "-0", "0.0", "0e10", "-0.0e-3", NULL},
        {"1", "1.0", "10e-1", "0.1e1", "1E0", "100e-2"},
        {"-2250", "-2.25e3", "-225e1", "-2250.000", NULL, NULL},
        {"18446744073709551616", "1.8446744073709551616e19", NULL, NULL, NULL, NULL},
        {"0.1", "1e-1", "0.10", NULL, NULL, NULL},
    };
    ltl__buf ka = {0}, kb = {0};
    for (size_t r = 0; r < LTL__ARRAY_LEN(same); r++)
        for (size_t i = 0; i < 6 && same[r][i]; i++)
            for (size_t j = 0; j < 6 && same[r][j]; j++) {
                ltl__value a = num(same[r][i]), b = num(same[r][j]);
                if (ltl__value_compare(&a, &b) != 0)
                    fail_msg("%s != %s", same[r][i], same[r][j]);
                key_of(&ka, &a);
                key_of(&kb, &b);
                assert_int_equal(ka.len, kb.len);
                assert_memory_equal(ka.data, kb.data, ka.len);
            }
    /* ascending */
    const char *up[] = {"-1e400",
                        "-18446744073709551617",
                        "-18446744073709551616",
                        "-9007199254740993",
                        "-9007199254740992",
                        "-1.5",
                        "-1",
                        "-0.30000000000000004",
                        "-0.3",
                        "-1e-400",
                        "0",
                        "1e-400",
                        "1e-399",
                        "0.1",
                        "0.30000000000000004",
                        "0.9999999999999999999999999",
                        "1",
                        "1.0000000000000000000000001",
                        "1.5",
                        "2",
                        "9007199254740992",
                        "9007199254740993",
                        "18446744073709551615",
                        "18446744073709551616",
                        "18446744073709551617",
                        "1e308",
                        "1e309",
                        "1e400"};
    for (size_t i = 0; i < LTL__ARRAY_LEN(up); i++)
        for (size_t j = 0; j < LTL__ARRAY_LEN(up); j++) {
            ltl__value a = num(up[i]), b = num(up[j]);
            int want = i < j ? -1 : i > j;
            if (ltl__value_compare(&a, &b) != want)
                fail_msg("compare(%s, %s) != %d", up[i], up[j], want);
            key_of(&ka, &a);
            key_of(&kb, &b);
            if (bytes_compare(ka.data, ka.len, kb.data, kb.len) != want)
                fail_msg("key order of %s and %s is not %d", up[i], up[j], want);
        }
    ltl__buf_free(&ka);
    ltl__buf_free(&kb);
}

static void test_exponents_saturate(void **state)
{
    (void)state;
    /* documented: an exponent written beyond +-10^18 counts as +-10^18 */
    ltl__value a = num("1e1000000000000000000000"), b = num("1e2000000000000000000000");
    assert_int_equal(ltl__value_compare(&a, &b), 0);
    ltl__value c = num("2e2000000000000000000000");
    assert_int_equal(ltl__value_compare(&a, &c), -1);
    ltl__value d = num("1e999999999999999998");
    assert_int_equal(ltl__value_compare(&d, &a), -1);
}

static void test_types_order(void **state)
{
    (void)state;
    ltl__value vals[] = {num("-1e300"),       num("0"),           num("1e300"),
                               str("", 0),          str("\0", 1),       str("a", 1),
                               lit(LTL_JSON_FALSE), lit(LTL_JSON_TRUE), lit(LTL_JSON_NULL)};
    ltl__buf ka = {0}, kb = {0};
    for (size_t i = 0; i < LTL__ARRAY_LEN(vals); i++)
        for (size_t j = 0; j < LTL__ARRAY_LEN(vals); j++) {
            int want = i < j ? -1 : i > j;
            assert_int_equal(ltl__value_compare(&vals[i], &vals[j]), want);
            key_of(&ka, &vals[i]);
            key_of(&kb, &vals[j]);
            assert_int_equal(bytes_compare(ka.data, ka.len, kb.data, kb.len), want);
        }
    ltl__buf_free(&ka);
    ltl__buf_free(&kb);
    /* the language never orders across types */
    ltl__value one = num("1"), s1 = str("1", 1), f = lit(LTL_JSON_FALSE),
                     t = lit(LTL_JSON_TRUE), n = lit(LTL_JSON_NULL);
    for (int op = LTL__QUERY_EQ; op <= LTL__QUERY_GE; op++) {
        if (op == LTL__QUERY_NE)
            continue;
        assert_false(ltl__query_holds(op, &one, &s1));
        assert_false(ltl__query_holds(op, &s1, &one));
        assert_false(ltl__query_holds(op, &f, &n));
    }
    assert_true(ltl__query_holds(LTL__QUERY_LT, &f, &t));
    assert_true(ltl__query_holds(LTL__QUERY_LE, &n, &n));
    assert_false(ltl__query_holds(LTL__QUERY_LT, &n, &n));
}

static void test_key_layout(void **state)
{
    (void)state;
    struct {
        ltl__value v;
        const char *bytes;
        size_t len;
    } cases[] = {
        {num("0"), "\x11", 1},
        {num("1"), "\x12\x81\x14", 3},
        {num("-1"), "\x10\x7e\xeb", 3},
        {num("12.5"), "\x12\x82\x19\x64", 4},
        {num("1e100"), "\x12\xc1\x65\x14", 4},
        {num("1e-100"), "\x12\x3f\x9d\x14", 4},
        {str("a", 1),
         "\x20"
         "a\x00\x01",
         4},
        {str("", 0), "\x20\x00\x01", 3},
        {str("\0", 1), "\x20\x00\xff\x00\x01", 5},
        {lit(LTL_JSON_FALSE), "\x30", 1},
        {lit(LTL_JSON_TRUE), "\x31", 1},
        {lit(LTL_JSON_NULL), "\x40", 1},
    };
    ltl__buf k = {0};
    for (size_t i = 0; i < LTL__ARRAY_LEN(cases); i++) {
        key_of(&k, &cases[i].v);
        if (k.len != cases[i].len || memcmp(k.data, cases[i].bytes, k.len) != 0)
            fail_msg("case %zu: key of %.*s differs", i, (int)cases[i].v.len, cases[i].v.text);
        assert_false(ltl__key_lossy(k.data, k.len));
        assert_int_equal(ltl__key_order_len(k.data, k.len), k.len);
    }
    ltl__buf_free(&k);
}

static void test_lossy_keys(void **state)
{
    (void)state;
    char long_a[200], long_b[200];
    memset(long_a, 'x', sizeof(long_a));
    memcpy(long_b, long_a, sizeof(long_b));
    long_b[150] = 'y';
    ltl__buf ka = {0}, kb = {0};
    ltl__value a = str(long_a, LTL__KEY_PREFIX);
    key_of(&ka, &a);
    assert_false(ltl__key_lossy(ka.data, ka.len));
    a = str(long_a, LTL__KEY_PREFIX + 1);
    key_of(&ka, &a);
    assert_true(ltl__key_lossy(ka.data, ka.len));
    assert_int_equal(ltl__key_order_len(ka.data, ka.len), ka.len - 8);
    assert_true(ka.len <= LTL__KEY_MAX);
    /* two long strings with one prefix: one group, different hashes */
    a = str(long_a, 200);
    ltl__value b = str(long_b, 200);
    key_of(&ka, &a);
    key_of(&kb, &b);
    assert_int_equal(ka.len, kb.len);
    assert_memory_equal(ka.data, kb.data, ka.len - 8);
    assert_memory_not_equal(ka.data, kb.data, ka.len);
    /* the longest key: 128 NULs and more */
    char zeros[300] = {0};
    a = str(zeros, sizeof(zeros));
    key_of(&ka, &a);
    assert_int_equal(ka.len, LTL__KEY_MAX);
    /* numbers past 40 digits */
    ltl__value n40 = num("1234567890123456789012345678901234567890");
    ltl__value n41 = num("12345678901234567890123456789012345678901");
    ltl__value m41 = num("-12345678901234567890123456789012345678901");
    key_of(&ka, &n40);
    assert_false(ltl__key_lossy(ka.data, ka.len));
    key_of(&ka, &n41);
    assert_true(ltl__key_lossy(ka.data, ka.len));
    assert_int_equal(ltl__key_order_len(ka.data, ka.len), ka.len);
    key_of(&ka, &m41);
    assert_true(ltl__key_lossy(ka.data, ka.len));
    ltl__buf_free(&ka);
    ltl__buf_free(&kb);
}

static void test_describe(void **state)
{
    (void)state;
    struct {
        ltl__value v;
        const char *want;
    } cases[] = {
        {num("0"), "0"},
        {num("-0.0"), "0"},
        {num("1.0"), "1"},
        {num("-12.50"), "-12.5"},
        {num("1500"), "1500"},
        {num("0.001"), "1e-3"},
        {num("1.5e30"), "1.5e+30"},
        {num("-2e-300"), "-2e-300"},
        {str("a\"b\n", 4), "\"a\\\"b\\n\""},
        {str("\0", 1), "\"\\u0000\""},
        {lit(LTL_JSON_TRUE), "true"},
        {lit(LTL_JSON_FALSE), "false"},
        {lit(LTL_JSON_NULL), "null"},
    };
    ltl__buf k = {0}, text = {0};
    for (size_t i = 0; i < LTL__ARRAY_LEN(cases); i++) {
        key_of(&k, &cases[i].v);
        text.len = 0;
        assert_int_equal(ltl__key_describe(&text, k.data, k.len), LTL_OK);
        if (strcmp(text.data, cases[i].want) != 0)
            fail_msg("describe: got %s, want %s", text.data, cases[i].want);
    }
    char long_s[150];
    memset(long_s, 'q', sizeof(long_s));
    ltl__value v = str(long_s, sizeof(long_s));
    key_of(&k, &v);
    text.len = 0;
    assert_int_equal(ltl__key_describe(&text, k.data, k.len), LTL_OK);
    assert_non_null(strstr(text.data, "longer string, hash "));
    v = num("12345678901234567890123456789012345678901234567890");
    key_of(&k, &v);
    text.len = 0;
    assert_int_equal(ltl__key_describe(&text, k.data, k.len), LTL_OK);
    assert_non_null(strstr(text.data, "1.23456789012345678901234567890123456789e+49 (first 40"));
    /* not keys */
    static const struct {
        const char *bytes;
        size_t len;
    } bad[] = {
        {"", 0},       {"\x99", 1},         {"\x12", 1},  {"\x12\x81", 2},
        {"\x20zz", 3}, {"\x20\x00\x07", 3}, {"\x31x", 2},
    };
    for (size_t i = 0; i < LTL__ARRAY_LEN(bad); i++) {
        ltl__err_begin();
        text.len = 0;
        assert_int_equal(ltl__key_describe(&text, bad[i].bytes, bad[i].len), LTL_EPARSE);
        assert_non_null(strstr(ltl__err_current(), "not a query value key"));
    }
    ltl__buf_free(&k);
    ltl__buf_free(&text);
}

static void test_encode_from_json(void **state)
{
    (void)state;
    ltl__buf a = {0}, b = {0};
    /* an escaped string and its plain form share a key */
    assert_int_equal(ltl__value_encode(&a, LTL_JSON_STRING, "\"h\\u00e9\\n\"", 11), LTL_OK);
    assert_int_equal(ltl__value_encode(&b, LTL_JSON_STRING, "\"h\xc3\xa9\n\"", 6), LTL_OK);
    assert_int_equal(a.len, b.len);
    assert_memory_equal(a.data, b.data, a.len);
    a.len = b.len = 0;
    assert_int_equal(ltl__value_encode(&a, LTL_JSON_NUMBER, "1.50", 4), LTL_OK);
    assert_int_equal(ltl__value_encode(&b, LTL_JSON_NUMBER, "15e-1", 5), LTL_OK);
    assert_int_equal(a.len, b.len);
    assert_memory_equal(a.data, b.data, a.len);
    assert_int_equal(ltl__value_encode(&a, LTL_JSON_OBJECT, "{}", 2), LTL_EINVAL);
    assert_int_equal(ltl__value_encode(&a, LTL_JSON_NUMBER, "x", 1), LTL_EINVAL);
    assert_int_equal(ltl__value_encode(&a, LTL_JSON_TRUE, "true", 4), LTL_OK);
    ltl__buf_free(&a);
    ltl__buf_free(&b);
}

static void test_encode_out_of_memory(void **state)
{
    (void)state;
    const char *text = "\"an escaped \\u00e9 string\"";
    for (long n = 1;; n++) {
        ltl__buf out = {0};
        tu_alloc_install(n, false);
        int rc = ltl__value_encode(&out, LTL_JSON_STRING, text, strlen(text));
        ltl__buf_free(&out);
        long live = tu_alloc_live();
        tu_alloc_uninstall();
        assert_int_equal(live, 0);
        if (rc == LTL_OK)
            break;
        assert_int_equal(rc, LTL_ENOMEM);
        assert_true(n < 10);
    }
}

/* ---- random pairs ----------------------------------------------------------------------- */

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static unsigned below(unsigned n)
{
    return (unsigned)(rnd() % n);
}

/* Random JSON number text into buf. */
static void random_number(char *buf, size_t cap)
{
    size_t at = 0;
    if (below(2))
        buf[at++] = '-';
    unsigned int_digits = below(4) == 0 ? 1 + below(45) : 1 + below(4);
    if (below(4) == 0) {
        buf[at++] = '0';
    } else {
        buf[at++] = (char)('1' + below(9));
        for (unsigned i = 1; i < int_digits; i++)
            buf[at++] = below(3) == 0 ? '0' : (char)('0' + below(10));
    }
    if (below(2)) {
        buf[at++] = '.';
        unsigned frac = 1 + below(below(4) == 0 ? 40 : 4);
        for (unsigned i = 0; i < frac; i++)
            buf[at++] = below(3) == 0 ? '0' : (char)('0' + below(10));
    }
    if (below(3) == 0) {
        buf[at++] = below(2) ? 'e' : 'E';
        unsigned r = below(3);
        if (r == 1)
            buf[at++] = '-';
        else if (r == 2)
            buf[at++] = '+';
        unsigned e = below(8) == 0 ? below(100000) : below(8) == 0 ? 60 + below(10) : below(5);
        at += (size_t)snprintf(buf + at, cap - at, "%u", e);
    }
    buf[at] = '\0';
}

struct rvalue {
    char text[200];
    ltl__value v;
};

static void random_value(struct rvalue *r)
{
    unsigned kind = below(10);
    if (kind < 5) {
        random_number(r->text, sizeof(r->text));
        r->v = num(r->text);
    } else if (kind < 9) {
        /* small alphabet (with NUL and a high byte), lengths across the 128-byte limit */
        static const char alphabet[] = {'\0', 'a', 'b', '\x7f', '\xc3'};
        size_t len = below(4) == 0 ? 120 + below(20) : below(6);
        char base = alphabet[below(5)];
        for (size_t i = 0; i < len; i++)
            r->text[i] = below(6) == 0 ? alphabet[below(5)] : base;
        r->v = str(r->text, len);
    } else {
        static const int lits[] = {LTL_JSON_FALSE, LTL_JSON_TRUE, LTL_JSON_NULL};
        r->v = lit(lits[below(3)]);
    }
}

static void test_key_order_matches_compare(void **state)
{
    (void)state;
    struct rvalue a, b;
    ltl__buf ka = {0}, kb = {0}, text = {0};
    long exact_pairs = 0, lossy_pairs = 0;
    for (int i = 0; i < 200000; i++) {
        random_value(&a);
        random_value(&b);
        if (below(8) == 0)
            b = a; /* equal values */
        /* the copy's pointers still point into a: fix them */
        if (b.v.type == LTL_JSON_NUMBER)
            b.v = num(b.text);
        else if (b.v.type == LTL_JSON_STRING)
            b.v.text = b.text;
        int c = ltl__value_compare(&a.v, &b.v);
        assert_int_equal(c, -ltl__value_compare(&b.v, &a.v));
        key_of(&ka, &a.v);
        key_of(&kb, &b.v);
        bool lossy = ltl__key_lossy(ka.data, ka.len) || ltl__key_lossy(kb.data, kb.len);
        if (!lossy) {
            exact_pairs++;
            if (bytes_compare(ka.data, ka.len, kb.data, kb.len) != c)
                fail_msg("pair %d: compare %d but keys differ in order", i, c);
        } else {
            lossy_pairs++;
            size_t oa = ltl__key_order_len(ka.data, ka.len);
            size_t ob = ltl__key_order_len(kb.data, kb.len);
            int k = bytes_compare(ka.data, oa, kb.data, ob);
            if ((c < 0 && k > 0) || (c > 0 && k < 0))
                fail_msg("pair %d: compare %d, key groups ordered %d", i, c, k);
        }
        if (c == 0) {
            assert_int_equal(ka.len, kb.len);
            assert_memory_equal(ka.data, kb.data, ka.len);
        }
        text.len = 0;
        assert_int_equal(ltl__key_describe(&text, ka.data, ka.len), LTL_OK);
    }
    assert_true(exact_pairs > 100000 && lossy_pairs > 1000);
    ltl__buf_free(&ka);
    ltl__buf_free(&kb);
    ltl__buf_free(&text);
}

/* Integers compared as int128, and short decimals as doubles (exact for <= 15 digits). */
static void test_compare_against_arithmetic(void **state)
{
    (void)state;
    char ta[64], tb[64];
    ltl__buf ka = {0}, kb = {0};
    for (int i = 0; i < 100000; i++) {
        __int128 a = (__int128)(int64_t)rnd() * (below(2) ? 1 : (int64_t)(rnd() % 1000));
        __int128 b = below(4) == 0 ? a + (__int128)below(3) - 1 : (__int128)(int64_t)rnd();
        /* print int128 */
        __int128 v[2] = {a, b};
        char *t[2] = {ta, tb};
        for (int k = 0; k < 2; k++) {
            char tmp[64];
            int n = 0;
            unsigned __int128 m = v[k] < 0 ? -(unsigned __int128)v[k] : (unsigned __int128)v[k];
            do {
                tmp[n++] = (char)('0' + (int)(m % 10));
                m /= 10;
            } while (m);
            int at = 0;
            if (v[k] < 0)
                t[k][at++] = '-';
            while (n)
                t[k][at++] = tmp[--n];
            t[k][at] = '\0';
        }
        ltl__value va = num(ta), vb = num(tb);
        int want = a < b ? -1 : a > b;
        if (ltl__value_compare(&va, &vb) != want)
            fail_msg("%s vs %s", ta, tb);
        key_of(&ka, &va);
        key_of(&kb, &vb);
        assert_int_equal(bytes_compare(ka.data, ka.len, kb.data, kb.len), want);
    }
    for (int i = 0; i < 100000; i++) {
        /* at most 15 significant digits, exponents within double range */
        snprintf(ta, sizeof(ta), "%s%u.%04ue%d", below(2) ? "-" : "", below(100000), below(10000),
                 (int)below(40) - 20);
        snprintf(tb, sizeof(tb), "%s%u.%04ue%d", below(2) ? "-" : "", below(100000), below(10000),
                 (int)below(40) - 20);
        if (below(4) == 0)
            memcpy(tb, ta, sizeof(ta));
        double da = strtod(ta, NULL), db = strtod(tb, NULL);
        ltl__value va = num(ta), vb = num(tb);
        int want = da < db ? -1 : da > db;
        if (ltl__value_compare(&va, &vb) != want)
            fail_msg("%s vs %s", ta, tb);
    }
    ltl__buf_free(&ka);
    ltl__buf_free(&kb);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_number_grammar),
        cmocka_unit_test(test_number_normal_form),
        cmocka_unit_test(test_number_equality_and_order),
        cmocka_unit_test(test_exponents_saturate),
        cmocka_unit_test(test_types_order),
        cmocka_unit_test(test_key_layout),
        cmocka_unit_test(test_lossy_keys),
        cmocka_unit_test(test_describe),
        cmocka_unit_test(test_encode_from_json),
        cmocka_unit_test(test_encode_out_of_memory),
        cmocka_unit_test(test_key_order_matches_compare),
        cmocka_unit_test(test_compare_against_arithmetic),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
