/* SPDX-License-Identifier: MIT */
/*
 * test_query_match.c — evaluating queries on records (docs/QUERY.md,
 * semantics): every operator, ANY over arrays and wildcards, != against
 * `not ==`, exists, types that never compare, exact numbers, unicode keys
 * and values, regexes on strings and number text, envelope fields and times,
 * records that are not JSON, invalid payloads, early stop, matcher reuse,
 * and allocation failures.
 */
#include "testutil.h"

#include "query/query.h"

#include <stdio.h>
#include <string.h>

#define NOW 1795257000000000000LL /* 2026-11-21T10:30:00Z */

static ltl__query_record record(const char *payload)
{
    ltl__query_record r = {.seq = 7,
                           .ts = NOW - 60000000000LL, /* a minute ago */
                           .topic = "app",
                           .user = "alice",
                           .host = "web1",
                           .pid = 4242,
                           .has_pid = true,
                           .manifest = 3,
                           .has_manifest = true,
                           .payload = payload,
                           .payload_len = payload ? strlen(payload) : 0};
    return r;
}

static bool matches_rec(const char *query, const ltl__query_record *rec)
{
    ltl__query *q = NULL;
    ltl__err_begin();
    int rc = ltl__query_parse(&q, query, strlen(query), NOW);
    if (rc != LTL_OK)
        fail_msg("parse(%s): %s", query, ltl__err_current());
    bool yes = false;
    rc = ltl__query_match(&yes, q, rec);
    if (rc != LTL_OK)
        fail_msg("match(%s): %d %s", query, rc, ltl__err_current());
    ltl__query_free(q);
    return yes;
}

static bool matches(const char *query, const char *payload)
{
    ltl__query_record rec = record(payload);
    return matches_rec(query, &rec);
}

struct expect {
    const char *query;
    bool want;
};

static void check(const char *payload, const struct expect *cases, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (matches(cases[i].query, payload) != cases[i].want)
            fail_msg("%s on %s: want %s", cases[i].query, payload ? payload : "(not JSON)",
                     cases[i].want ? "match" : "no match");
}

#define CHECK(payload, cases) check(payload, cases, LTL__ARRAY_LEN(cases))

static void test_comparisons(void **state)
{
    (void)state;
    static const struct expect cases[] = {
        {"n == 5", true},         {"n = 5", true},          {"n == 5.0", true},
        {"n == 50e-1", true},     {"n != 5", false},        {"n != 6", true},
        {"n < 6", true},          {"n < 5", false},         {"n <= 5", true},
        {"n > 4.999", true},      {"n > 5", false},         {"n >= 5", true},
        {"n == \"5\"", false},    {"n < \"6\"", false},     {"n == true", false},
        {"n >= null", false},     {"s == abc", true},       {"s == \"abc\"", true},
        {"s < abd", true},        {"s < abc", false},       {"s <= abc", true},
        {"s > ab", true},         {"s > \"\"", true},       {"s == ABC", false},
        {"s < 1", false},         {"s > 1", false},         {"b == true", true},
        {"b == \"true\"", false}, {"b > false", true},      {"b < false", false},
        {"b == 1", false},        {"z == null", true},      {"z <= null", true},
        {"z >= null", true},      {"z < null", false},      {"z > null", false},
        {"z != null", false},     {"z == \"null\"", false},
    };
    CHECK("{\"n\": 5, \"s\": \"abc\", \"b\": true, \"z\": null}", cases);
}

static void test_missing_and_not_equal(void **state)
{
    (void)state;
    /* p != v  is  exists p and not p == v;  not p == v  is true when p is missing */
    static const struct expect cases[] = {
        {"missing == 1", false},    {"missing != 1", false},      {"not missing == 1", true},
        {"missing < 1", false},     {"missing ~ x", false},       {"missing in [1]", false},
        {"exists missing", false},  {"not exists missing", true}, {"tags[] != x", false},
        {"not tags[] == x", false}, {"tags[] != q", true},        {"tags[] == y", true},
        {"tags[] in [q, y]", true}, {"tags[] in []", false},      {"tags[] in [q, r]", false},
        {"tags[] > x", true},       {"tags[] < x", false},        {"tags[] <= x", true},
        {"none[] != x", false},     {"empty[] != x", false},      {"not empty[] == x", true},
        {"obj != 1", true},         {"obj == 1", false},          {"dup == 1", true},
        {"dup == 2", true},         {"dup != 1", false},          {"dup != 3", true},
    };
    CHECK("{\"tags\": [\"x\", \"y\"], \"empty\": [], \"obj\": {\"k\": 1}, \"dup\": 1, "
          "\"dup\": 2}",
          cases);
}

static void test_arrays_and_wildcards(void **state)
{
    (void)state;
    static const struct expect cases[] = {
        /* no implicit descent into arrays: tags is an array, never "x" */
        {"tags == x", false},     {"tags[] == x", true},     {"tags[0] == x", true},
        {"tags[1] == x", false},  {"tags[1] == y", true},    {"tags[2] == y", false},
        {"a.b[].c == 2", true},   {"a.b[0].c == 2", false},  {"a.b[1].c == 2", true},
        {"a.b[].c > 2", false},   {"a.b.c == 1", false},     {"m[][] == 4", true},
        {"m[1][] == 1", false},   {"m[0][] == 2", true},     {"m[][1] == 4", true},
        {"m[][0] == 4", false},   {"m[1][1] == 4", true},    {"m[] == 1", false},
        {"exists m[1][1]", true}, {"exists m[1][2]", false}, {"exists m[2]", false},
        {"exists tags", true},    {"exists tags[]", true},   {"exists e", true},
        {"exists e[]", false},    {"exists e[0]", false},    {"exists o", true},
        {"exists o.k", false},    {"exists a.b", true},      {"exists a.b[]", true},
        {"exists a.b[].c", true}, {"exists nul", true},      {"nul == null", true},
        {"exists .", true},       {". == 1", false},         {"[\"x.y\"] == 1", true},
        {"x.y == 1", false},      {"[\"\"] == 2", true},     {"[\"a b\"][\"c d\"] == 3", true},
    };
    CHECK("{\"tags\": [\"x\", \"y\"], \"a\": {\"b\": [{\"c\": 1}, {\"c\": 2}]}, "
          "\"m\": [[1, 2], [3, 4]], \"e\": [], \"o\": {}, \"nul\": null, \"x.y\": 1, "
          "\"\": 2, \"a b\": {\"c d\": 3}}",
          cases);
}

static void test_root_and_top_level_arrays(void **state)
{
    (void)state;
    static const struct expect scalar[] = {
        {". == 5", true},    {". > 4", true},   {". ~ ^5$", true}, {"exists .", true},
        {"exists a", false}, {". != 5", false}, {". != 6", true},
    };
    CHECK("5", scalar);
    static const struct expect string[] = {
        {". == hello", true},
        {". ~ ell", true},
        {". == 5", false},
    };
    CHECK("\"hello\"", string);
    static const struct expect array[] = {
        {"[] == 2", true}, {"[0] == 1", true},    {"[1].a == x", true},   {"[].a == x", true},
        {". == 1", false}, {"exists [3]", false}, {"exists [1].a", true},
    };
    CHECK("[1, {\"a\": \"x\"}, 2]", array);
}

static void test_numbers_exactly(void **state)
{
    (void)state;
    static const struct expect cases[] = {
        {"big == 18446744073709551617", true},
        {"big == 18446744073709551616", false},
        {"big > 18446744073709551616", true},
        {"big == 1.8446744073709551617e19", true},
        {"p53 == 9007199254740993", true},
        {"p53 == 9007199254740992", false},
        {"one == 1", true},
        {"one == 10e-1", true},
        {"one == 1.0000000000000000000001", false},
        {"zero == 0", true},
        {"zero == -0.0", true},
        {"zero < 1e-400", true},
        {"tiny > 0", true},
        {"tiny < 1e-399", true},
        {"huge > 1e308", true},
        {"huge == 1e309", true},
        {"neg < -1e400", false},
        {"neg == -1e400", true},
        {"neg < -1e399", true},
        {"dec == 0.3", false},
        {"dec > 0.3", true},
        {"dec == 30000000000000004e-17", true},
        {"long == 1234567890123456789012345678901234567890123456789", true},
        {"long == 1234567890123456789012345678901234567890123456788", false},
        {"long > 1234567890123456789012345678901234567890123456788", true},
    };
    CHECK("{\"big\": 18446744073709551617, \"p53\": 9007199254740993, \"one\": 1.000, "
          "\"zero\": -0, \"tiny\": 1e-400, \"huge\": 10e308, \"neg\": -1e400, "
          "\"dec\": 0.30000000000000004, "
          "\"long\": 1234567890123456789012345678901234567890123456789}",
          cases);
}

static void test_unicode(void **state)
{
    (void)state;
    static const struct expect cases[] = {
        {"\xc3\xa9 == 1", true}, /* a bare non-ASCII key */
        {"[\"\xc3\xa9\"] == 1", true},
        {"[\"\\u00e9\"] == 1", true}, /* escaped in the query */
        {"k == h\xc3\xa9llo", true},  /* escaped in the payload */
        {"k == \"h\\u00e9llo\"", true},
        {"k == hello", false},
        {"k ~ ^h.llo$", true}, /* '.' is one character */
        {"k ~ \"^h..llo$\"", false},
        {"k ~ \"^h[\xc3\xa9\xc3\xa8]llo$\"", true},
        {"\xe6\x97\xa5.\xe6\x9c\xac == \xf0\x9f\x98\x80", true},
        {"\xe6\x97\xa5.\xe6\x9c\xac ~ ^.$", true},
        {"nul == \"a\\u0000b\"", true},
        {"nul == a", false},
        {"nul ~ b$", true},
        {"sur == \"\\ud800\"", true},
        {"k > hello", true}, /* bytewise: U+00E9 > 'e' */
    };
    CHECK("{\"\\u00e9\": 1, \"k\": \"h\\u00e9llo\", \"\xe6\x97\xa5\": {\"\xe6\x9c\xac\": "
          "\"\\ud83d\\ude00\"}, \"nul\": \"a\\u0000b\", \"sur\": \"\\ud800\"}",
          cases);
}

static void test_regex(void **state)
{
    (void)state;
    static const struct expect cases[] = {
        {"msg ~ disk", true},          {"msg ~ ^disk", false},
        {"msg ~ \"full$\"", true},     {"msg ~ \"(disk|cpu) is\"", true},
        {"msg ~ \"DISK\"", false},     {"msg ~ \"d.sk\"", true},
        {"msg ~ \"^[a-z ]+$\"", true}, {"msg ~ \"x{2,}\"", false},
        {"msg ~ \"\"", true},          {"n ~ \"^1\\\\.50$\"", true},
        {"n ~ ^1.5$", false},          {"n ~ 50", true},
        {"b ~ true", false},           {"z ~ null", false},
        {"tags[] ~ ^y", true},         {"tags[] ~ ^q", false},
        {"not msg ~ cpu", true},
    };
    CHECK("{\"msg\": \"the disk is full\", \"n\": 1.50, \"b\": true, \"z\": null, "
          "\"tags\": [\"x\", \"y\"]}",
          cases);
}

static void test_envelope(void **state)
{
    (void)state;
    static const struct expect cases[] = {
        {"@seq == 7", true},
        {"@seq == 7.0", true},
        {"@seq > 6.5", true},
        {"@seq in [1, 7]", true},
        {"@seq != 7", false},
        {"@ts > -2m", true},
        {"@ts > -30s", false},
        {"@ts >= today", true},
        {"@ts < yesterday", false},
        {"@ts <= now", true},
        {"@ts > 2026-11-21T10:28Z", true},
        {"@ts > \"2026-11-21T11:28+01:00\"", true},
        {"@ts > \"2026-11-21T11:30+01:00\"", false},
        {"@ts == @1795256940000000000", true},
        {"@ts == 1795256940000000000", true},
        {"@ts ~ ^1795", true},
        {"@topic == app", true},
        {"@topic ~ ^a", true},
        {"@topic in [web, app]", true},
        {"@topic != web", true},
        {"@user == alice", true},
        {"@host == web1", true},
        {"@pid == 4242", true},
        {"@pid > 4000", true},
        {"@manifest == 3", true},
        {"exists @user", true},
        {"exists @seq", true},
        {"@topic == app and n == 1", true},
        {"@topic == web or n == 1", true},
        {"@topic == web and n == 1", false},
    };
    CHECK("{\"n\": 1}", cases);

    /* unknown manifest: user, host and pid are missing */
    ltl__query_record rec = record("{}");
    rec.user = rec.host = NULL;
    rec.has_pid = rec.has_manifest = false;
    static const struct expect missing[] = {
        {"exists @user", false},      {"@user == alice", false}, {"@user != alice", false},
        {"not @user == alice", true}, {"exists @host", false},   {"@pid > 0", false},
        {"exists @manifest", false},  {"exists @topic", true},
    };
    for (size_t i = 0; i < LTL__ARRAY_LEN(missing); i++)
        if (matches_rec(missing[i].query, &rec) != missing[i].want)
            fail_msg("%s without a manifest: want %d", missing[i].query, missing[i].want);
}

static void test_not_json(void **state)
{
    (void)state;
    static const struct expect cases[] = {
        {"exists .", false},
        {". == x", false},
        {"a != 1", false},
        {"not a == 1", true},
        {"@seq == 7", true},
        {"@topic == app a == 1", false},
        {"@topic == app or a == 1", true},
        {"not exists a", true},
    };
    CHECK(NULL, cases);
}

static void test_invalid_payload(void **state)
{
    (void)state;
    ltl__query *q = NULL;
    assert_int_equal(ltl__query_parse(&q, "a == 1", 6, NOW), LTL_OK);
    ltl__query_record rec = record("{\"a\": 2, ");
    bool yes = true;
    ltl__err_begin();
    assert_int_equal(ltl__query_match(&yes, q, &rec), LTL_EPARSE);
    assert_false(yes);
    assert_non_null(strstr(ltl__err_current(), "record 7: the payload is not valid JSON"));
    /* the parse stops once the answer is known: what follows is not read */
    rec = record("{\"a\": 1, ]");
    assert_int_equal(ltl__query_match(&yes, q, &rec), LTL_OK);
    assert_true(yes);
    ltl__query_free(q);
    /* envelope terms alone never read the payload */
    assert_int_equal(ltl__query_parse(&q, "@seq == 7", 9, NOW), LTL_OK);
    rec = record("not JSON");
    assert_int_equal(ltl__query_match(&yes, q, &rec), LTL_OK);
    assert_true(yes);
    ltl__query_free(q);
    /* nor when they decide the answer */
    assert_int_equal(ltl__query_parse(&q, "@seq == 8 and a == 1", 20, NOW), LTL_OK);
    assert_int_equal(ltl__query_match(&yes, q, &rec), LTL_OK);
    assert_false(yes);
    ltl__query_free(q);
}

static void test_early_answers(void **state)
{
    (void)state;
    /* each query is decided before the broken tail */
    static const struct expect cases[] = {
        {"a == 1", true},
        {"not a == 1", false},
        {"a == 1 or zz == 2", true},
        {"a != 1", false},
        {"exists a", true},
        {"not exists a", false},
        {"a == 1 and (b == 2 or c == 3)", true},
    };
    for (size_t i = 0; i < LTL__ARRAY_LEN(cases); i++) {
        ltl__query *q = NULL;
        assert_int_equal(ltl__query_parse(&q, cases[i].query, strlen(cases[i].query), NOW), LTL_OK);
        ltl__query_record rec = record("{\"a\": 1, \"b\": 2, \"x\": [}");
        bool yes = !cases[i].want;
        ltl__err_begin();
        int rc = ltl__query_match(&yes, q, &rec);
        if (rc != LTL_OK || yes != cases[i].want)
            fail_msg("%s: rc %d yes %d", cases[i].query, rc, yes);
        ltl__query_free(q);
    }
}

static void test_matcher_reuse(void **state)
{
    (void)state;
    const char *text = "tags[] != x and n >= 2 or @topic == web";
    ltl__query *q = NULL;
    assert_int_equal(ltl__query_parse(&q, text, strlen(text), NOW), LTL_OK);
    ltl__query_matcher *m = NULL;
    assert_int_equal(ltl__query_matcher_new(&m, q), LTL_OK);
    static const struct {
        const char *payload;
        const char *topic;
        bool want;
    } recs[] = {
        {"{\"tags\": [\"y\"], \"n\": 2}", "app", true},
        {"{\"tags\": [\"x\"], \"n\": 2}", "app", false},
        {"{\"tags\": [], \"n\": 2}", "app", false},
        {"{\"tags\": [\"\\u0079\"], \"n\": 3}", "app", true},
        {"{\"tags\": [\"x\"], \"n\": 2}", "web", true},
        {NULL, "app", false},
        {"{\"n\": 5, \"tags\": [\"z\", \"x\"]}", "app", false},
        {"{\"tags\": [\"y\"], \"n\": 1}", "app", false},
    };
    for (int round = 0; round < 3; round++)
        for (size_t i = 0; i < LTL__ARRAY_LEN(recs); i++) {
            ltl__query_record rec = record(recs[i].payload);
            rec.topic = recs[i].topic;
            bool yes = !recs[i].want;
            assert_int_equal(ltl__query_matcher_run(&yes, m, &rec), LTL_OK);
            if (yes != recs[i].want)
                fail_msg("record %zu: want %d", i, recs[i].want);
        }
    ltl__query_matcher_free(m);
    ltl__query_free(q);
}

static void test_many_paths(void **state)
{
    (void)state;
    /* more paths than the smallest hash table, with shared wildcards */
    ltl__buf text = {0}, payload = {0};
    assert_int_equal(ltl__buf_append(&payload, "{", 1), LTL_OK);
    for (int i = 0; i < 40; i++) {
        assert_int_equal(ltl__buf_appendf(&text, "%sk%d[%d] == %d or k%d[] == -1", i ? " or " : "",
                                          i, i % 3, i, i),
                         LTL_OK);
        assert_int_equal(ltl__buf_appendf(&payload, "%s\"k%d\": [%d, %d, %d]", i ? ", " : "", i,
                                          i + 100, i + 200, i + 300),
                         LTL_OK);
    }
    assert_int_equal(ltl__buf_append(&payload, ", \"k39\": [0, 0, 39]}", 20), LTL_OK);
    /* only k39[0] == 39? no: k39[39 % 3 = 0] == 39 fails, k39[2] is 39 but not asked */
    assert_false(matches(text.data, payload.data));
    assert_int_equal(ltl__buf_append(&text, " or k39[2] == 39", 16), LTL_OK);
    assert_true(matches(text.data, payload.data));
    ltl__buf_free(&text);
    ltl__buf_free(&payload);
}

static void test_out_of_memory(void **state)
{
    (void)state;
    const char *text = "a[\"\\u00e9\"][] == \"x\\ny\" or (exists b and c != 1)";
    const char *payload = "{\"a\": {\"\\u00e9\": [\"q\", \"x\\ny\"]}, \"b\": {\"c\": [1]}}";
    ltl__query *q = NULL;
    assert_int_equal(ltl__query_parse(&q, text, strlen(text), NOW), LTL_OK);
    for (long n = 1;; n++) {
        ltl__query_record rec = record(payload);
        bool yes = false;
        tu_alloc_install(n, false);
        ltl__query_matcher *m = NULL;
        int rc = ltl__query_matcher_new(&m, q);
        if (rc == LTL_OK)
            rc = ltl__query_matcher_run(&yes, m, &rec);
        ltl__query_matcher_free(m);
        long live = tu_alloc_live();
        tu_alloc_uninstall();
        assert_int_equal(live, 0);
        if (rc == LTL_OK) {
            assert_true(yes);
            break;
        }
        assert_int_equal(rc, LTL_ENOMEM);
        assert_true(n < 100);
    }
    ltl__query_free(q);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_comparisons),
        cmocka_unit_test(test_missing_and_not_equal),
        cmocka_unit_test(test_arrays_and_wildcards),
        cmocka_unit_test(test_root_and_top_level_arrays),
        cmocka_unit_test(test_numbers_exactly),
        cmocka_unit_test(test_unicode),
        cmocka_unit_test(test_regex),
        cmocka_unit_test(test_envelope),
        cmocka_unit_test(test_not_json),
        cmocka_unit_test(test_invalid_payload),
        cmocka_unit_test(test_early_answers),
        cmocka_unit_test(test_matcher_reuse),
        cmocka_unit_test(test_many_paths),
        cmocka_unit_test(test_out_of_memory),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
