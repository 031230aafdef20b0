/* SPDX-License-Identifier: MIT */
/*
 * test_query_parse.c — the query language's parser and printer: what each
 * construct parses to (shown by the normalized text, which must parse back
 * to itself), precedence and implicit `and`, paths, values, envelope fields,
 * times, regexes; errors with their column; the length and nesting limits;
 * the tree the planner walks and the seq/ts ranges; allocation failures;
 * and random mutations of valid queries (no crash, stable formatting).
 */
#include "testutil.h"

#include "query/query.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* 2026-11-21T10:30:00Z */
#define NOW 1795257000000000000LL

static ltl__query *parse_ok(const char *text)
{
    ltl__query *q = NULL;
    ltl__err_begin();
    int rc = ltl__query_parse(&q, text, strlen(text), NOW);
    if (rc != LTL_OK)
        fail_msg("parse(%s): %d %s", text, rc, ltl__err_current());
    return q;
}

/* The normalized text of `text`, checked to parse back to itself. Caller frees. */
static char *normalized(const char *text)
{
    ltl__query *q = parse_ok(text);
    ltl__buf out = {0};
    assert_int_equal(ltl__query_format(&out, q), LTL_OK);
    ltl__query_free(q);
    ltl__query *again = parse_ok(out.data);
    ltl__buf out2 = {0};
    assert_int_equal(ltl__query_format(&out2, again), LTL_OK);
    ltl__query_free(again);
    if (strcmp(out.data, out2.data) != 0)
        fail_msg("not stable: %s -> %s -> %s", text, out.data, out2.data);
    ltl__buf_free(&out2);
    return out.data;
}

static void expect_format(const char *const cases[][2], size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char *got = normalized(cases[i][0]);
        if (strcmp(got, cases[i][1]) != 0)
            fail_msg("%s\n   gives %s\n    want %s", cases[i][0], got, cases[i][1]);
        ltl__free(got);
    }
}

static void test_operators(void **state)
{
    (void)state;
    static const char *const cases[][2] = {
        {"a == 1", "a == 1"},
        {"a = 1", "a == 1"},
        {"a != 1", "a != 1"},
        {"a < 1", "a < 1"},
        {"a <= 1", "a <= 1"},
        {"a > 1", "a > 1"},
        {"a >= 1", "a >= 1"},
        {"a ~ ^x.*$", "a ~ \"^x.*$\""},
        {"a~12", "a ~ \"12\""},
        {"a ~ \"a{1,100}b{3}c{2,}\"", "a ~ \"a{1,100}b{3}c{2,}\""},
        {"a ~ \"[]a]+[^]b]*[[:alpha:]]?\"", "a ~ \"[]a]+[^]b]*[[:alpha:]]?\""},
        {"a ~ \"\\\\++(x|y)+\"", "a ~ \"\\\\++(x|y)+\""},
        {"a==1", "a == 1"},
        {"a<=-1", "a <= -1"},
        {"a!=\"x\"", "a != \"x\""},
        {"a in [1, x, \"y z\", true, false, null]", "a in [1, \"x\", \"y z\", true, false, null]"},
        {"a in[]", "a in []"},
        {"a in [ 1 ,2 ]", "a in [1, 2]"},
        {"exists a", "exists a"},
        {"exists a[0].b", "exists a[0].b"},
        {"exists .", "exists ."},
        {"\t a\n==\r\n1 ", "a == 1"},
    };
    expect_format(cases, LTL__ARRAY_LEN(cases));
}

static void test_precedence_and_implicit_and(void **state)
{
    (void)state;
    static const char *const cases[][2] = {
        {"a == 1 or b == 2 and c == 3", "(a == 1 or (b == 2 and c == 3))"},
        {"a == 1 and b == 2 or c == 3", "((a == 1 and b == 2) or c == 3)"},
        {"not a == 1 and b == 2", "((not a == 1) and b == 2)"},
        {"not (a == 1 and b == 2)", "(not (a == 1 and b == 2))"},
        {"not not a == 1", "(not (not a == 1))"},
        {"not(a == 1)", "(not a == 1)"},
        {"a == 1 b == 2", "(a == 1 and b == 2)"},
        {"a == 1 b == 2 or c == 3", "((a == 1 and b == 2) or c == 3)"},
        {"a == x (b == 2 or c == 3)", "(a == \"x\" and (b == 2 or c == 3))"},
        {"a == x(b == 2)", "(a == \"x\" and b == 2)"},
        {"exists a b == 1", "(exists a and b == 1)"},
        {"a == 1 and (b == 2 and c == 3)", "(a == 1 and b == 2 and c == 3)"},
        {"(a == 1 or b == 2) or (c == 3 or d == 4)", "(a == 1 or b == 2 or c == 3 or d == 4)"},
        {"((((a == 1))))", "a == 1"},
        {"a == 1 not b == 2", "(a == 1 and (not b == 2))"},
        {"a == 1 or not b == 2 c == 3", "(a == 1 or ((not b == 2) and c == 3))"},
        {"x.and == 1 x.or == 2", "(x.and == 1 and x.or == 2)"},
        {"a == or_else", "a == \"or_else\""},
        {"andy == 1 notes == 2", "(andy == 1 and notes == 2)"},
    };
    expect_format(cases, LTL__ARRAY_LEN(cases));
}

static void test_paths(void **state)
{
    (void)state;
    static const char *const cases[][2] = {
        {"a.b.c == 1", "a.b.c == 1"},
        {".a.b == 1", "a.b == 1"},
        {"[\"a b\"] == 1", "[\"a b\"] == 1"},
        {"a[\"b\"] == 1", "a.b == 1"},
        {"a[\"b.c\"][0][] == 1", "a[\"b.c\"][0][] == 1"},
        {"a.\xc3\xa9 == 1", "a[\"\xc3\xa9\"] == 1"},
        {"\xe6\x97\xa5\xe6\x9c\xac == 1", "[\"\xe6\x97\xa5\xe6\x9c\xac\"] == 1"},
        {"[\"\\u00e9\"] == 1", "[\"\xc3\xa9\"] == 1"},
        {"[\"a\\\"b\"] == 1", "[\"a\\\"b\"] == 1"},
        {"[\"\"] == 1", "[\"\"] == 1"},
        {"[0] == 1", "[0] == 1"},
        {"[][] == 1", "[][] == 1"},
        {". == 1", ". == 1"},
        {".==1", ". == 1"},
        {"k-1 == 1", "k-1 == 1"},
        {"$v == 1", "[\"$v\"] == 1"},
        {"[\"and\"] == 1", "[\"and\"] == 1"},
        {"[\"AND\"].b == 1", "[\"AND\"].b == 1"},
        {"[\"not\"] == 1", "[\"not\"] == 1"},
        {"a.exists == 1", "a.exists == 1"},
        {"[\"in\"] in [1]", "[\"in\"] in [1]"},
    };
    expect_format(cases, LTL__ARRAY_LEN(cases));
}

static void test_values(void **state)
{
    (void)state;
    static const char *const cases[][2] = {
        {"a == error", "a == \"error\""},
        {"a == 1.0", "a == 1.0"},
        {"a == -0", "a == -0"},
        {"a == 1e400", "a == 1e400"},
        {"a == 18446744073709551617", "a == 18446744073709551617"},
        {"a == 01", "a == \"01\""},
        {"a == +1", "a == \"+1\""},
        {"a == .5", "a == \".5\""},
        {"a == 1.2.3", "a == \"1.2.3\""},
        {"a == NaN", "a == \"NaN\""},
        {"a == \"1\"", "a == \"1\""},
        {"a == true", "a == true"},
        {"a == \"true\"", "a == \"true\""},
        {"a == null", "a == null"},
        {"a == True", "a == \"True\""},
        {"a == \xe8\xaa\x9e", "a == \"\xe8\xaa\x9e\""},
        {"a == \"a\\\"b\\u00e9\\ud83d\\ude00\\n\"", "a == \"a\\\"b\xc3\xa9\xf0\x9f\x98\x80\\n\""},
        {"a == \"\\ud800\"", "a == \"\\ud800\""},
        {"a == \"\\u0001\\/\"", "a == \"\\u0001/\""},
        {"a == x:y/z@w*", "a == \"x:y/z@w*\""},
        {"a == it's", "a == \"it's\""},
        {"a == \"\"", "a == \"\""},
    };
    expect_format(cases, LTL__ARRAY_LEN(cases));
}

static void test_envelope_and_times(void **state)
{
    (void)state;
    static const char *const cases[][2] = {
        {"@seq > 5", "@seq > 5"},
        {"@seq in [1, 2.5]", "@seq in [1, 2.5]"},
        {"@pid == 42", "@pid == 42"},
        {"@manifest == 0", "@manifest == 0"},
        {"@topic == app", "@topic == \"app\""},
        {"@topic == 2024", "@topic == \"2024\""},
        {"@user == \"x y\"", "@user == \"x y\""},
        {"@host ~ ^web", "@host ~ \"^web\""},
        {"exists @user", "exists @user"},
        {"@ts > @0", "@ts > \"1970-01-01T00:00:00.000000000Z\""},
        {"@ts > 0", "@ts > \"1970-01-01T00:00:00.000000000Z\""},
        {"@ts > 1.5", "@ts > 1.5"},
        {"@ts > -0", "@ts > -0"},
        {"@ts >= 2026-11-21T10:00Z", "@ts >= \"2026-11-21T10:00:00.000000000Z\""},
        {"@ts >= \"2026-11-21 10:00:00.5+01:00\"", "@ts >= \"2026-11-21T09:00:00.500000000Z\""},
        {"@ts >= 2026-11-21", "@ts >= \"2026-11-21T00:00:00.000000000Z\""},
        {"@ts > -15m", "@ts > \"2026-11-21T10:15:00.000000000Z\""},
        {"@ts > -2h", "@ts > \"2026-11-21T08:30:00.000000000Z\""},
        {"@ts > -1d", "@ts > \"2026-11-20T10:30:00.000000000Z\""},
        {"@ts < +1h", "@ts < \"2026-11-21T11:30:00.000000000Z\""},
        {"@ts >= today", "@ts >= \"2026-11-21T00:00:00.000000000Z\""},
        {"@ts >= yesterday", "@ts >= \"2026-11-20T00:00:00.000000000Z\""},
        {"@ts <= now", "@ts <= \"2026-11-21T10:30:00.000000000Z\""},
        {"@ts == @1795257000000000001", "@ts == \"2026-11-21T10:30:00.000000001Z\""},
        {"@ts > 2261-12-31T23:59:59.999999999Z", "@ts > \"2261-12-31T23:59:59.999999999Z\""},
        {"@ts > 1678-01-01", "@ts > \"1678-01-01T00:00:00.000000000Z\""},
        {"@ts < +10000d", "@ts < \"2054-04-08T10:30:00.000000000Z\""},
        {"@ts in [today, @5]",
         "@ts in [\"2026-11-21T00:00:00.000000000Z\", \"1970-01-01T00:00:00.000000005Z\"]"},
        {"@ts ~ 17", "@ts ~ \"17\""},
    };
    expect_format(cases, LTL__ARRAY_LEN(cases));
}

static void test_errors_name_the_column(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        const char *message; /* the whole message, or its start when it ends in "..." */
    } cases[] = {
        {"", "column 1: expected a condition, found end of input"},
        {"   ", "column 4: expected a condition, found end of input"},
        {"a ==", "column 5: expected a value after '==', found end of input"},
        {"level == ", "column 10: expected a value after '==', found end of input"},
        {"a == 1 and", "column 11: expected a condition after 'and', found end of input"},
        {"a == 1 or", "column 10: expected a condition after 'or', found end of input"},
        {"not", "column 4: expected a condition after 'not', found end of input"},
        {"(", "column 2: expected a condition after '(', found end of input"},
        {"@size == 1", "column 1: unknown envelope field '@size' (one of @seq @ts @topic @user "
                       "@host @pid @manifest)"},
        {"@ == 1", "column 1: expected an envelope field name after '@'..."},
        {"@seq.x > 1", "column 5: envelope field @seq has no members"},
        {"a ~ \"(\"", "column 5: bad regex: ..."},
        {"a ~ \"x\\u0000\"", "column 5: a regex cannot contain NUL"},
        {"a ~ \"x++\"", "column 5: bad regex: a repetition cannot follow a repetition (at '+')"},
        {"a ~ \"x*?\"", "column 5: bad regex: a repetition cannot follow a repetition (at '?')"},
        {"a ~ \"(a{1,200}){1,200}\"", "column 5: bad regex: its repetitions expand to more than "
                                      "10000 items"},
        {"a ~ \"((((((((((((((((x+)+)+)+)+)+)+)+)+)+)+)+)+)+)+)+)\"", "column 5: bad regex: its "
                                                                      "repetitions expand..."},
        {"a ~ \"(a)\\\\1\"", "column 5: bad regex: back-references (\\1) are not supported"},
        {"(a == 1", "column 8: expected ')' to close the '(' at column 1, found end of input"},
        {"(a == 1 ]", "column 9: expected 'and', 'or', ')' or a condition, found ']'"},
        {"a == 1)", "column 7: unexpected ')' (no '(' to close)"},
        {"a == 1 ] b", "column 8: expected 'and', 'or', a condition or the end, found ']'"},
        {"a 1", "column 3: expected an operator (== != < <= > >= ~ in) after 'a', found '1'"},
        {"a.b ! 1", "column 5: expected an operator (== != < <= > >= ~ in) after 'a.b', "
                    "found '!'"},
        {"a == 1 b", "column 9: expected an operator (== != < <= > >= ~ in) after 'b', found "
                     "end of input"},
        {"a == and", "column 6: expected a value after '==', found keyword 'and' (quote a "
                     "string: \"and\")"},
        {"a == )", "column 6: expected a value after '==', found ')'"},
        {"a == 'x'", "column 6: strings are written in double quotes: \"...\""},
        {"and == 1", "column 1: expected a condition, found keyword 'and'"},
        {"a == 1 and or b == 1", "column 12: expected a condition after 'and', found keyword "
                                 "'or'"},
        {"AND == 1", "column 1: 'AND': keywords are lowercase ('and'); quote a key of that "
                     "name: [\"AND\"]"},
        {"a == 1 AND b == 2", "column 8: 'AND': keywords are lowercase..."},
        {"not.x == 1", "column 1: 'not' is a keyword; quote a key of that name: [\"not\"]"},
        {"exists", "column 7: expected a path after 'exists', found end of input"},
        {"exists true", "column 8: 'true' is a keyword, not a path (quote a key of that name: "
                        "[\"true\"])"},
        {"\"a\" == 1", "column 1: a path is not a string: write a quoted key as [\"...\"]"},
        {"a in [1, 2", "column 11: expected ',' or ']' to close the '[' at column 6, found end "
                       "of input"},
        {"a in [1,]", "column 9: expected a value after ',', found ']'"},
        {"a in 1", "column 6: expected '[' after 'in', found '1'"},
        {"a in", "column 5: expected '[' after 'in', found end of input"},
        {"@seq == x", "column 9: @seq compares with numbers, found a string"},
        {"@seq == \"5\"", "column 9: @seq compares with numbers, found a string"},
        {"@pid in [1, true]", "column 13: @pid compares with numbers, found true"},
        {"@ts > soon", "column 7: bad time 'soon' for @ts..."},
        {"@ts > \"5\"", "column 7: bad time '5' for @ts..."},
        {"@ts > null", "column 7: @ts compares with times, found null"},
        {"@ts > 9999-01-01", "column 7: time '9999-01-01' is out of range (years 1678 to 2261)"},
        {"@ts > 1677-12-31T00:00Z", "column 7: time '1677-12-31T00:00Z' is out of range..."},
        {"@ts < +100000d", "column 7: time '+100000d' is out of range..."},
        {"@topic == true", "column 11: @topic compares with strings, found true"},
        {"a. == 1", "column 3: expected a path segment (key, .key, [n], [] or [\"key\"]), found "
                    "a space"},
        {"a[-1] == 1", "column 3: expected a path segment..."},
        {"a[.] == 1", "column 3: expected a path segment..."},
        {"a[1 ] == 1", "column 4: expected a path segment..."},
        {"a[x] == 1", "column 3: expected a path segment..."},
        {"a[01] == 1", "column 4: expected a path segment..."},
        {"a[ == 1", "column 3: expected a path segment..."},
        {"[\"a] == 1", "column 10: expected a path segment..."},
        {"a == \"abc", "column 6: unterminated string (no closing '\"')"},
        {"a == \"\\x\"", "column 7: bad escape '\\x' in a string (JSON escapes only)"},
        {"a == \"\\u12\"", "column 7: bad escape in a string: \\u needs 4 hex digits"},
        {"a == \"\t\"", "column 7: control character 0x09 in a string (write it \\u0009)"},
        {"a == \xff", "column 6: invalid UTF-8"},
        {"a == \xc3", "column 6: invalid UTF-8"},
        {"a == \x01", "column 6: control character 0x01 in the query"},
        {"\xe6\x97\xa5 == \"\xe6\x97\xa5\" or",
         "column 16: expected a condition after 'or', found end of input"},
    };
    for (size_t i = 0; i < LTL__ARRAY_LEN(cases); i++) {
        ltl__query *q = NULL;
        ltl__err_begin();
        int rc = ltl__query_parse(&q, cases[i].text, strlen(cases[i].text), NOW);
        if (rc != LTL_EPARSE)
            fail_msg("%s: rc %d, not LTL_EPARSE", cases[i].text, rc);
        assert_null(q);
        const char *msg = ltl__err_current();
        const char *want = cases[i].message;
        size_t n = strlen(want);
        bool prefix = n > 3 && strcmp(want + n - 3, "...") == 0;
        if (prefix ? strncmp(msg, want, n - 3) != 0 : strcmp(msg, want) != 0)
            fail_msg("%s\n   says %s\n   want %s", cases[i].text, msg, want);
    }
}

static void test_length_limit(void **state)
{
    (void)state;
    size_t n = LTL__QUERY_MAX_LEN;
    char *text = malloc(n + 2);
    /* "a == 1 " repeated, within the limit: a long implicit and */
    size_t at = 0;
    while (at + 7 <= n) {
        memcpy(text + at, "a == 1 ", 7);
        at += 7;
    }
    memset(text + at, ' ', n - at);
    ltl__query *q = NULL;
    assert_int_equal(ltl__query_parse(&q, text, n, NOW), LTL_OK);
    const ltl__query_node *root = ltl__query_root(q);
    assert_int_equal(root->kind, LTL__QUERY_AND);
    assert_int_equal(root->nchildren, n / 7);
    ltl__query_free(q);
    text[n] = ' ';
    ltl__err_begin();
    assert_int_equal(ltl__query_parse(&q, text, n + 1, NOW), LTL_EPARSE);
    assert_string_equal(ltl__err_current(), "column 65537: the query is longer than 65536 bytes");
    free(text);
}

static void test_nesting_limit(void **state)
{
    (void)state;
    ltl__buf text = {0};
    for (int depth = LTL__QUERY_MAX_DEPTH; depth <= LTL__QUERY_MAX_DEPTH + 1; depth++) {
        text.len = 0;
        for (int i = 0; i < depth; i++)
            assert_int_equal(ltl__buf_append(&text, "(", 1), LTL_OK);
        assert_int_equal(ltl__buf_append(&text, "a == 1", 6), LTL_OK);
        for (int i = 0; i < depth; i++)
            assert_int_equal(ltl__buf_append(&text, ")", 1), LTL_OK);
        ltl__query *q = NULL;
        ltl__err_begin();
        int rc = ltl__query_parse(&q, text.data, text.len, NOW);
        if (depth <= LTL__QUERY_MAX_DEPTH) {
            assert_int_equal(rc, LTL_OK);
        } else {
            assert_int_equal(rc, LTL_EPARSE);
            assert_string_equal(ltl__err_current(),
                                "column 101: nesting deeper than 100 levels of '(' and 'not'");
        }
        ltl__query_free(q);
    }
    /* not, and a mix */
    text.len = 0;
    for (int i = 0; i < 60; i++)
        assert_int_equal(ltl__buf_append(&text, "not (", 5), LTL_OK);
    assert_int_equal(ltl__buf_append(&text, "a == 1", 6), LTL_OK);
    ltl__query *q = NULL;
    ltl__err_begin();
    assert_int_equal(ltl__query_parse(&q, text.data, text.len, NOW), LTL_EPARSE);
    assert_non_null(strstr(ltl__err_current(), "nesting deeper than 100"));
    /* 50000 '(' are refused without exhausting the stack */
    text.len = 0;
    for (int i = 0; i < 50000; i++)
        assert_int_equal(ltl__buf_append(&text, "(", 1), LTL_OK);
    assert_int_equal(ltl__query_parse(&q, text.data, text.len, NOW), LTL_EPARSE);
    ltl__buf_free(&text);
}

static void test_tree_for_the_planner(void **state)
{
    (void)state;
    ltl__query *q = parse_ok("authors[3].key == \"/a/OL1A\" and tags[] in [x, 2] and "
                             "@ts >= -1h and not exists @user or n ~ \"^1\"");
    assert_true(ltl__query_needs_payload(q));
    const ltl__query_node *root = ltl__query_root(q);
    assert_int_equal(root->kind, LTL__QUERY_OR);
    assert_int_equal(root->nchildren, 2);
    const ltl__query_node *and = root->children[0];
    assert_int_equal(and->kind, LTL__QUERY_AND);
    assert_int_equal(and->nchildren, 4);
    assert_int_equal(and->column, 1);

    const ltl__query_node *eq = and->children[0];
    assert_int_equal(eq->kind, LTL__QUERY_CMP);
    assert_int_equal(eq->op, LTL__QUERY_EQ);
    assert_int_equal(eq->field, LTL__QUERY_PAYLOAD);
    assert_string_equal(eq->path, "authors[3].key");
    assert_string_equal(eq->wildcard, "authors[].key");
    assert_true(eq->concrete);
    assert_int_equal(eq->nvalues, 1);
    assert_int_equal(eq->values[0].type, LTL_JSON_STRING);
    assert_string_equal(eq->values[0].text, "/a/OL1A");

    const ltl__query_node *in = and->children[1];
    assert_int_equal(in->kind, LTL__QUERY_IN);
    assert_string_equal(in->path, "tags[]");
    assert_string_equal(in->wildcard, "tags[]");
    assert_false(in->concrete);
    assert_int_equal(in->nvalues, 2);
    assert_int_equal(in->values[0].type, LTL_JSON_STRING);
    assert_int_equal(in->values[1].type, LTL_JSON_NUMBER);
    assert_int_equal(in->column, 33);

    const ltl__query_node *ts = and->children[2];
    assert_int_equal(ts->field, LTL__QUERY_TS);
    assert_string_equal(ts->path, "@ts");
    assert_int_equal(ts->op, LTL__QUERY_GE);
    char want[32];
    snprintf(want, sizeof(want), "%lld", (long long)(NOW - 3600000000000LL));
    assert_string_equal(ts->values[0].text, want);

    const ltl__query_node *not = and->children[3];
    assert_int_equal(not ->kind, LTL__QUERY_NOT);
    assert_int_equal(not ->children[0]->kind, LTL__QUERY_EXISTS);
    assert_int_equal(not ->children[0]->field, LTL__QUERY_USER);

    const ltl__query_node *re = root->children[1];
    assert_int_equal(re->op, LTL__QUERY_MATCH);
    assert_string_equal(re->values[0].text, "^1");

    ltl__buf sub = {0};
    assert_int_equal(ltl__query_node_format(&sub, not ), LTL_OK);
    assert_string_equal(sub.data, "(not exists @user)");
    ltl__buf_free(&sub);
    ltl__query_free(q);

    q = parse_ok("@seq > 1 @topic == x");
    assert_false(ltl__query_needs_payload(q));
    ltl__query_free(q);
}

static void test_ranges(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        bool empty;
        uint64_t seq_min, seq_max;
        int64_t ts_min, ts_max;
    } cases[] = {
        {"a == 1", false, 0, UINT64_MAX, INT64_MIN, INT64_MAX},
        {"@seq >= 10 and @seq < 20", false, 10, 19, INT64_MIN, INT64_MAX},
        {"@seq > 10 @seq <= 20 a == 1", false, 11, 20, INT64_MIN, INT64_MAX},
        {"@seq == 5 or @seq == 7", false, 5, 7, INT64_MIN, INT64_MAX},
        {"@seq == 5 or a == 1", false, 0, UINT64_MAX, INT64_MIN, INT64_MAX},
        {"@seq > 5 and @seq < 3", true, 0, 0, 0, 0},
        {"@seq < 2.5", false, 0, 2, INT64_MIN, INT64_MAX},
        {"@seq > 2.5", false, 3, UINT64_MAX, INT64_MIN, INT64_MAX},
        {"@seq >= 2.5", false, 3, UINT64_MAX, INT64_MIN, INT64_MAX},
        {"@seq <= 2.5", false, 0, 2, INT64_MIN, INT64_MAX},
        {"@seq == 2.5", true, 0, 0, 0, 0},
        {"@seq == 25e-1", true, 0, 0, 0, 0},
        {"@seq == 2.0e1", false, 20, 20, INT64_MIN, INT64_MAX},
        {"@seq > -5", false, 0, UINT64_MAX, INT64_MIN, INT64_MAX},
        {"@seq < -0.5", true, 0, 0, 0, 0},
        {"@seq < 0", true, 0, 0, 0, 0},
        {"@seq > 18446744073709551615", true, 0, 0, 0, 0},
        {"@seq >= 18446744073709551615", false, UINT64_MAX, UINT64_MAX, INT64_MIN, INT64_MAX},
        {"@seq < 1e400", false, 0, UINT64_MAX, INT64_MIN, INT64_MAX},
        {"@seq in [3, 9, 1.5]", false, 3, 9, INT64_MIN, INT64_MAX},
        {"@seq in []", true, 0, 0, 0, 0},
        {"@seq != 3", false, 0, UINT64_MAX, INT64_MIN, INT64_MAX},
        {"not @seq > 5", false, 0, UINT64_MAX, INT64_MIN, INT64_MAX},
        {"@ts >= @100 and @ts < @200", false, 0, UINT64_MAX, 100, 199},
        {"@ts > 1e30", true, 0, 0, 0, 0},
        {"@ts < -1e30", true, 0, 0, 0, 0},
        {"@ts <= -0.5", false, 0, UINT64_MAX, INT64_MIN, -1},
        {"(@ts > @10 or @ts < @5) and @seq <= 4", false, 0, 4, INT64_MIN, INT64_MAX},
        {"(@ts > @10 @ts < @20) or (@ts > @30 @ts < @40)", false, 0, UINT64_MAX, 11, 39},
        {"(@seq > 3 or @seq > 5) and (@seq < 2 or @seq < 1)", true, 0, 0, 0, 0},
    };
    for (size_t i = 0; i < LTL__ARRAY_LEN(cases); i++) {
        ltl__query *q = parse_ok(cases[i].text);
        ltl__query_range r;
        ltl__query_range_of(&r, q);
        if (r.empty != cases[i].empty)
            fail_msg("%s: empty %d", cases[i].text, r.empty);
        if (!r.empty && (r.seq_min != cases[i].seq_min || r.seq_max != cases[i].seq_max ||
                         r.ts_min != cases[i].ts_min || r.ts_max != cases[i].ts_max))
            fail_msg("%s: seq [%llu, %llu] ts [%lld, %lld]", cases[i].text,
                     (unsigned long long)r.seq_min, (unsigned long long)r.seq_max,
                     (long long)r.ts_min, (long long)r.ts_max);
        ltl__query_free(q);
    }
}

static void test_out_of_memory(void **state)
{
    (void)state;
    const char *text = "(a.b[0][\"x\\u00e9\"] == \"v\\n\" or tags[] in [1, 2, three] or "
                       "n ~ \"^1\" or exists c) and @ts > -15m and not (@topic == app "
                       "d.e > 1.5e3 f[] != null)";
    for (long n = 1;; n++) {
        ltl__query *q = NULL;
        ltl__buf out = {0};
        tu_alloc_install(n, false);
        int rc = ltl__query_parse(&q, text, strlen(text), NOW);
        if (rc == LTL_OK) {
            rc = ltl__query_format(&out, q);
            ltl__buf_free(&out);
            if (rc == LTL_OK)
                rc = 1; /* both done: stop after this round */
        }
        ltl__query_free(q);
        long live = tu_alloc_live();
        tu_alloc_uninstall();
        assert_int_equal(live, 0);
        if (rc == 1)
            break;
        if (rc != LTL_ENOMEM)
            fail_msg("allocation %ld failing gave %d", n, rc);
        assert_true(n < 1000);
    }
}

/* ---- random mutations: never crash, and what parses formats stably ------------------------ */

static uint64_t rng_state = 0x2545f4914f6cdd1dULL;

static unsigned below(unsigned n)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (unsigned)(rng_state % n);
}

static void test_mutations(void **state)
{
    (void)state;
    static const char *const seeds[] = {
        "a == 1 and (b != \"x\" or not c.d[0] < 2.5e3)",
        "tags[] in [x, \"y\", 1, true, null] exists [\"a b\"].c @seq >= 10",
        "@ts > -15m @topic ~ \"^ap+\" (. == 5 or [0][] >= -0)",
        "not not a ~ ^x.*$ or @user != alice and @ts < 2026-11-21T10:00Z",
    };
    static const char pieces[] = "()[]\",.=!<>~@ \t-0123456789aenotrsxy\\u{}'";
    char buf[256];
    long parsed = 0;
    for (int i = 0; i < 30000; i++) {
        const char *seed = seeds[below(LTL__ARRAY_LEN(seeds))];
        size_t len = strlen(seed);
        memcpy(buf, seed, len);
        int edits = 1 + (int)below(4);
        for (int e = 0; e < edits; e++) {
            unsigned kind = below(3), at = below((unsigned)len + 1);
            if (kind == 0 && len < sizeof(buf) - 1) { /* insert */
                memmove(buf + at + 1, buf + at, len - at);
                buf[at] = pieces[below(sizeof(pieces) - 1)];
                len++;
            } else if (kind == 1 && at < len) { /* delete */
                memmove(buf + at, buf + at + 1, len - at - 1);
                len--;
            } else if (at < len) { /* replace */
                buf[at] = below(16) == 0 ? (char)below(256) : pieces[below(sizeof(pieces) - 1)];
            }
        }
        ltl__query *q = NULL;
        ltl__err_begin();
        int rc = ltl__query_parse(&q, buf, len, NOW);
        if (rc == LTL_EPARSE) {
            assert_null(q);
            assert_int_equal(strncmp(ltl__err_current(), "column ", 7), 0);
            continue;
        }
        assert_int_equal(rc, LTL_OK);
        parsed++;
        ltl__buf a = {0}, b = {0};
        assert_int_equal(ltl__query_format(&a, q), LTL_OK);
        ltl__query *again = NULL;
        ltl__err_begin();
        if (ltl__query_parse(&again, a.data, a.len, NOW) != LTL_OK)
            fail_msg("%.*s formats as %s, which fails: %s", (int)len, buf, a.data,
                     ltl__err_current());
        assert_int_equal(ltl__query_format(&b, again), LTL_OK);
        assert_string_equal(a.data, b.data);
        ltl__query_free(again);
        ltl__query_free(q);
        ltl__buf_free(&a);
        ltl__buf_free(&b);
    }
    assert_true(parsed > 1000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_operators),
        cmocka_unit_test(test_precedence_and_implicit_and),
        cmocka_unit_test(test_paths),
        cmocka_unit_test(test_values),
        cmocka_unit_test(test_envelope_and_times),
        cmocka_unit_test(test_errors_name_the_column),
        cmocka_unit_test(test_length_limit),
        cmocka_unit_test(test_nesting_limit),
        cmocka_unit_test(test_tree_for_the_planner),
        cmocka_unit_test(test_ranges),
        cmocka_unit_test(test_out_of_memory),
        cmocka_unit_test(test_mutations),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
