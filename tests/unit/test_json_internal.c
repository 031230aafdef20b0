/* SPDX-License-Identifier: MIT */
/*
 * test_json_internal.c — the JSON functions other modules call:
 * ltl__json_validate, ltl__json_escape, ltl__json_pretty, ltl__json_unescape.
 */
#include "testutil.h"

#include "json/json.h"

#include <stdlib.h>
#include <string.h>

static int validate(const char *s, ltl_json_error *err)
{
    return ltl__json_validate(s, strlen(s), err);
}

static void test_validate_accepts(void **state)
{
    (void)state;
    const char *good[] = {
        "0",
        "-0",
        "1.5e-3",
        "-12E+4",
        "true",
        "false",
        "null",
        "\"\"",
        " \"a\\u00e9\\ud83d\\ude00\" ",
        "{}",
        "[]",
        "{\"a\":[1,{\"b\":null}],\"a\":2}",
        "\n\t[ 1 , 2 ]\r\n",
        "\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"",
        "\"\\ud800\"", /* a lone surrogate escape is grammatical (RFC 8259 sec. 8.2) */
    };
    for (size_t i = 0; i < LTL__ARRAY_LEN(good); i++) {
        ltl_json_error err;
        int rc = validate(good[i], &err);
        if (rc != LTL_OK)
            fail_msg("rejected %s: %s", good[i], err.message);
    }
}

static void test_validate_rejects_with_position(void **state)
{
    (void)state;
    struct {
        const char *text;
        uint64_t offset, line, column;
        const char *msg_part;
    } bad[] = {
        {"", 0, 1, 1, "empty"},
        {"   ", 3, 1, 4, "empty"},
        {"{\"a\":1,}", 7, 1, 8, "key"},
        {"[1,]", 3, 1, 4, "value"},
        {"[1]\n [2]", 5, 2, 2, "after the JSON value"},
        {"{\"a\"\n:01}", 6, 2, 2, "leading zero"},
        {"\"a\nb\"", 2, 1, 3, "control character"},
        {"\"\\x\"", 1, 1, 2, "escape"},
        {"\"\xff\"", 1, 1, 2, "UTF-8"},
        {"\"\xed\xa0\x80\"", 1, 1, 2, "UTF-8"}, /* an encoded surrogate */
        {"[1 2]", 3, 1, 4, "','"},
        {"tru", 0, 1, 1, "literal"},
        {"1.", 2, 1, 3, "number"},
        {"\"abc", 4, 1, 5, "unterminated"},
        {"[", 1, 1, 2, "end of input"},
    };
    for (size_t i = 0; i < LTL__ARRAY_LEN(bad); i++) {
        ltl_json_error err;
        memset(&err, 0x55, sizeof(err));
        int rc = validate(bad[i].text, &err);
        assert_int_equal(rc, LTL_EPARSE);
        assert_int_equal(err.code, LTL_EPARSE);
        if (err.offset != bad[i].offset || err.line != bad[i].line || err.column != bad[i].column ||
            !strstr(err.message, bad[i].msg_part))
            fail_msg("input #%zu: got offset %llu line %llu col %llu '%s'", i,
                     (unsigned long long)err.offset, (unsigned long long)err.line,
                     (unsigned long long)err.column, err.message);
    }
    assert_int_equal(validate("[1]", NULL), LTL_OK);
    assert_int_equal(validate("[1", NULL), LTL_EPARSE);
}

static void test_validate_depth_limit(void **state)
{
    (void)state;
    size_t n = 100000;
    char *deep = malloc(2 * n + 1);
    memset(deep, '[', n);
    memset(deep + n, ']', n);
    deep[2 * n] = '\0';
    ltl_json_error err;
    assert_int_equal(ltl__json_validate(deep, 2 * n, &err), LTL_EPARSE);
    assert_non_null(strstr(err.message, "deeper than 1024"));
    assert_int_equal(err.offset, 1024);
    /* exactly 1024 levels are fine */
    assert_int_equal(ltl__json_validate(deep + n - 1024, 2048, &err), LTL_OK);
    free(deep);
}

static void test_validate_allocates_nothing_when_shallow(void **state)
{
    (void)state;
    tu_alloc_install(1, true); /* every allocation fails */
    const char *doc = "{\"a\":[[[[[[[[[[1]]]]]]]]]],\"b\":{\"c\":\"d\"}}";
    assert_int_equal(validate(doc, NULL), LTL_OK);
    assert_int_equal(tu_alloc_count(), 0);
    tu_alloc_uninstall();
}

static void check_escape(const char *in, size_t len, const char *want)
{
    ltl__buf b = {0};
    assert_int_equal(ltl__json_escape(&b, in, len), LTL_OK);
    assert_string_equal(b.data, want);
    assert_int_equal(b.len, strlen(want));
    /* the result is valid JSON */
    assert_int_equal(ltl__json_validate(b.data, b.len, NULL), LTL_OK);
    ltl__buf_free(&b);
}

static void test_escape(void **state)
{
    (void)state;
    check_escape("plain", 5, "\"plain\"");
    check_escape("", 0, "\"\"");
    check_escape("q\"b\\s/", 6, "\"q\\\"b\\\\s/\"");
    check_escape("\n\t\r\b\f\x01\x1f", 7, "\"\\n\\t\\r\\b\\f\\u0001\\u001f\"");
    check_escape("nul\0x", 5, "\"nul\\u0000x\"");
    check_escape("\xc3\xa9\xf0\x9f\x98\x80", 6, "\"\xc3\xa9\xf0\x9f\x98\x80\"");
    /* invalid UTF-8: a stray continuation, a truncated sequence, an overlong form */
    check_escape("a\x80z", 3, "\"a\\ufffdz\"");
    check_escape("\xe2\x82", 2, "\"\\ufffd\\ufffd\"");
    check_escape("\xc0\xaf", 2, "\"\\ufffd\\ufffd\"");
    /* appends */
    ltl__buf b = {0};
    assert_int_equal(ltl__buf_append(&b, "x=", 2), LTL_OK);
    assert_int_equal(ltl__json_escape(&b, "y", 1), LTL_OK);
    assert_string_equal(b.data, "x=\"y\"");
    ltl__buf_free(&b);
}

static void test_unescape(void **state)
{
    (void)state;
    const char *body = "a\\\"b\\\\c\\/\\n\\u00e9\\ud83d\\ude00\\ud800";
    ltl__buf b = {0};
    assert_int_equal(ltl__json_unescape(&b, body, strlen(body)), LTL_OK);
    assert_int_equal(b.len, 6 + 1 + 2 + 4 + 3);
    assert_memory_equal(b.data, "a\"b\\c/\n\xc3\xa9\xf0\x9f\x98\x80\xed\xa0\x80", b.len);
    ltl__buf_free(&b);
}

static void check_pretty(const char *in, int indent, const char *want)
{
    ltl__buf b = {0};
    assert_int_equal(ltl__json_pretty(&b, in, strlen(in), indent), LTL_OK);
    assert_string_equal(b.data, want);
    ltl__buf_free(&b);
}

static void test_pretty(void **state)
{
    (void)state;
    check_pretty(" 1.50E3 ", 2, "1.50E3");
    check_pretty("{}", 2, "{}");
    check_pretty("[ ]", 4, "[]");
    check_pretty("{\"a\":[1,{},[ ],{\"b\":\"x\\\" ,:[y\\\\\"}],\"c\":-0.0}", 2,
                 "{\n"
                 "  \"a\": [\n"
                 "    1,\n"
                 "    {},\n"
                 "    [],\n"
                 "    {\n"
                 "      \"b\": \"x\\\" ,:[y\\\\\"\n"
                 "    }\n"
                 "  ],\n"
                 "  \"c\": -0.0\n"
                 "}");
    check_pretty(" { \"a\" : [ 1 , 2 ] } ", 0, "{\"a\":[1,2]}");

    ltl__buf b = {0};
    assert_int_equal(ltl__buf_append(&b, "keep", 4), LTL_OK);
    assert_int_equal(ltl__json_pretty(&b, "{\"a\":", 5, 2), LTL_EPARSE);
    assert_string_equal(b.data, "keep"); /* unchanged on failure */
    ltl__buf_free(&b);
}

static void test_pretty_out_of_memory(void **state)
{
    (void)state;
    const char *doc = "{\"a\":[1,2,3,{\"b\":[4,5,6]}],\"c\":\"dddddddddddddddddddddddddddddd\"}";
    /* fail the 1st, 2nd, ... allocation until it succeeds; nothing may leak */
    for (long n = 1;; n++) {
        ltl__buf b = {0};
        tu_alloc_install(n, false);
        int rc = ltl__json_pretty(&b, doc, strlen(doc), 8);
        ltl__buf_free(&b);
        long live = tu_alloc_live();
        tu_alloc_uninstall();
        assert_int_equal(live, 0);
        if (rc == LTL_OK)
            break;
        assert_int_equal(rc, LTL_ENOMEM);
        assert_true(n < 100);
    }
}

/* Path segments: indexes are digits only; a byte below '0' is not a digit (a signed
 * comparison once took "[!" for an index). */
static void test_path_next(void **state)
{
    (void)state;
    ltl__json_seg seg;
    size_t pos = 0;
    const char *p = "a[12].b[]";
    assert_int_equal(ltl__json_path_next(&seg, p, strlen(p), &pos), 1);
    assert_false(seg.is_index);
    assert_int_equal(seg.raw_len, 1);
    assert_int_equal(ltl__json_path_next(&seg, p, strlen(p), &pos), 1);
    assert_true(seg.is_index);
    assert_false(seg.wildcard);
    assert_int_equal(seg.index, 12);
    assert_int_equal(ltl__json_path_next(&seg, p, strlen(p), &pos), 1);
    assert_int_equal(ltl__json_path_next(&seg, p, strlen(p), &pos), 1);
    assert_true(seg.wildcard);
    assert_int_equal(ltl__json_path_next(&seg, p, strlen(p), &pos), 0);

    const char *bad[] = {"a[!]", "a[/]", "a[ 1]", "a[1", "a.[1]"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
        pos = 0;
        int rc;
        do
            rc = ltl__json_path_next(&seg, bad[i], strlen(bad[i]), &pos);
        while (rc == 1);
        assert_int_equal(rc, LTL_EPARSE);
    }
}

static void check_wildcard(const char *path, const char *want)
{
    ltl__buf b = {0};
    assert_int_equal(ltl__json_path_wildcard(&b, path, strlen(path)), LTL_OK);
    assert_int_equal(b.len, strlen(want));
    assert_memory_equal(b.data, want, b.len);
    ltl__buf_free(&b);
}

static void test_path_wildcard(void **state)
{
    (void)state;
    check_wildcard("a[3].b[10]", "a[].b[]");
    check_wildcard("a[\"[1]\"]", "a[\"[1]\"]");
    check_wildcard("a[!]", "a[!]"); /* '!' is not a digit */
    check_wildcard("a[/0]", "a[/0]");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_validate_accepts),
        cmocka_unit_test(test_validate_rejects_with_position),
        cmocka_unit_test(test_validate_depth_limit),
        cmocka_unit_test(test_validate_allocates_nothing_when_shallow),
        cmocka_unit_test(test_escape),
        cmocka_unit_test(test_unescape),
        cmocka_unit_test(test_pretty),
        cmocka_unit_test(test_pretty_out_of_memory),
        cmocka_unit_test(test_path_next),
        cmocka_unit_test(test_path_wildcard),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
