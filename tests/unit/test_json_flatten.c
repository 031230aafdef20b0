/* SPDX-License-Identifier: MIT */
/*
 * test_json_flatten.c — the flat formats (lines, json, tsv, gron), the
 * streaming flattener, unflatten (every format, any statement order, holes,
 * duplicates, errors), round trips, JSON Pointer (RFC 6901's examples), gron's
 * key and string rules, and allocation failures.
 */
#include "testutil.h"

#include "json/json.h"

#include <stdlib.h>
#include <string.h>

static const char sample[] =
    "{\"a\":1,\"b\":[true,{}],\"c d\":{\"\":null},\"e\":[],\"s\":\"x\\ty\"}";

static char *flat(const char *json, int format, int mode)
{
    ltl_json_options o = LTL_JSON_OPTIONS_INIT;
    o.mode = mode;
    char *out = NULL;
    size_t len = 0;
    ltl_json_error err;
    int rc = ltl_json_flatten(&out, &len, json, strlen(json), format, &o, &err);
    if (rc)
        fail_msg("flatten '%s': %s", json, err.message);
    assert_int_equal(strlen(out), len);
    return out;
}

static void expect_flat(const char *json, int format, int mode, const char *want)
{
    char *got = flat(json, format, mode);
    assert_string_equal(got, want);
    ltl_free(got);
}

static void test_formats(void **state)
{
    (void)state;
    expect_flat(sample, LTL_JSON_FLAT_LINES, LTL_JSON_MODE_AUTO,
                "a = 1\nb[0] = true\nb[1] = {}\n[\"c d\"][\"\"] = null\ne = []\ns = \"x\\ty\"\n");
    expect_flat(sample, LTL_JSON_FLAT_JSON, LTL_JSON_MODE_AUTO,
                "{\"a\":1,\"b[0]\":true,\"b[1]\":{},\"[\\\"c d\\\"][\\\"\\\"]\":null,\"e\":[],"
                "\"s\":\"x\\ty\"}\n");
    expect_flat(sample, LTL_JSON_FLAT_TSV, LTL_JSON_MODE_AUTO,
                "a\ta\t1\nb[0]\tb\ttrue\nb[1]\tb\t{}\n[\"c d\"][\"\"]\t\tnull\ne\te\t[]\n"
                "s\ts\t\"x\\ty\"\n");
    /* byte for byte what gron 0.7 prints for it */
    expect_flat(sample, LTL_JSON_FLAT_GRON, LTL_JSON_MODE_AUTO,
                "json = {};\njson.a = 1;\njson.b = [];\njson.b[0] = true;\njson.b[1] = {};\n"
                "json.e = [];\njson.s = \"x\\ty\";\njson[\"c d\"] = {};\n"
                "json[\"c d\"][\"\"] = null;\n");
}

static void test_root_and_documents(void **state)
{
    (void)state;
    expect_flat("5", LTL_JSON_FLAT_LINES, LTL_JSON_MODE_AUTO, ". = 5\n");
    expect_flat("5", LTL_JSON_FLAT_JSON, LTL_JSON_MODE_AUTO, "{\"\":5}\n");
    expect_flat("5", LTL_JSON_FLAT_TSV, LTL_JSON_MODE_AUTO, ".\t\t5\n");
    expect_flat("5", LTL_JSON_FLAT_GRON, LTL_JSON_MODE_AUTO, "json = 5;\n");
    const char *two = "{\"a\":1}\n[2]\n";
    expect_flat(two, LTL_JSON_FLAT_LINES, LTL_JSON_MODE_AUTO, "a = 1\n\n[0] = 2\n");
    expect_flat(two, LTL_JSON_FLAT_TSV, LTL_JSON_MODE_LINES, "a\ta\t1\n\n[0]\t\t2\n");
    expect_flat(two, LTL_JSON_FLAT_JSON, LTL_JSON_MODE_STREAM, "{\"a\":1}\n{\"[0]\":2}\n");
    /* several documents in gron are what gron --stream prints */
    expect_flat(two, LTL_JSON_FLAT_GRON, LTL_JSON_MODE_AUTO,
                "json = [];\njson[0] = {};\njson[0].a = 1;\njson[1] = [];\njson[1][0] = 2;\n");
    expect_flat("{\"a\":1}", LTL_JSON_FLAT_GRON, LTL_JSON_MODE_LINES,
                "json = [];\njson[0] = {};\njson[0].a = 1;\n");
    expect_flat("", LTL_JSON_FLAT_LINES, LTL_JSON_MODE_AUTO, "");
    /* duplicate keys: kept in order; gron (a Go map) keeps the last only */
    const char *dup = "{\"a\":{\"x\":1},\"b\":2,\"a\":3}";
    expect_flat(dup, LTL_JSON_FLAT_LINES, LTL_JSON_MODE_AUTO, "a.x = 1\nb = 2\na = 3\n");
    expect_flat(dup, LTL_JSON_FLAT_GRON, LTL_JSON_MODE_AUTO,
                "json = {};\njson.a = 3;\njson.b = 2;\n");
}

static void test_gron_rules(void **state)
{
    (void)state;
    assert_true(ltl__gron_is_ident("abc", 3));
    assert_true(ltl__gron_is_ident("$x_1", 4));
    assert_true(ltl__gron_is_ident("\xc3\xbcn\xc3\xaf", 5)); /* ünï */
    assert_true(ltl__gron_is_ident("x\xd9\xa3", 3));         /* x + Arabic-Indic three (Nd) */
    assert_false(ltl__gron_is_ident("k\xc2\xb2", 3));        /* superscript two is No */
    assert_false(ltl__gron_is_ident("class", 5));
    assert_false(ltl__gron_is_ident("1a", 2));
    assert_false(ltl__gron_is_ident("a-b", 3));
    assert_false(ltl__gron_is_ident("", 0));
    ltl__buf b = {0};
    const char text[] = "q\"b\\ \b\f\n\r\t\x01\x1f\x7f\xc2\x80\xc2\x9f\xc2\xa0\xe2\x80\xa8"
                        "\xe2\x80\xa9\xef\xbb\xbf\xed\xa0\x80/<>&";
    assert_int_equal(ltl__gron_quote(&b, text, sizeof(text) - 1), LTL_OK);
    assert_string_equal(b.data, "\"q\\\"b\\\\ \\b\\f\\n\\r\\t\\u0001\\u001F\\u007F\\u0080\\u009F"
                                "\xc2\xa0\\u2028\\u2029\xef\xbb\xbf\xef\xbf\xbd/<>&\"");
    ltl__buf_free(&b);
    /* order: token by token; indexes by value, keys by text, "=" first */
    assert_true(ltl__gron_compare(".k10 = 1;", 9, ".k9 = 2;", 8) < 0);
    assert_true(ltl__gron_compare("[10] = 1;", 9, "[9] = 2;", 8) > 0);
    assert_true(ltl__gron_compare(" = {};", 6, ".a = 1;", 7) < 0);
    assert_true(ltl__gron_compare(".a = {};", 8, ".a.b = 1;", 9) < 0);
    assert_true(ltl__gron_compare(".z = 1;", 7, "[\"a\"] = 1;", 10) < 0);
    assert_int_equal(ltl__gron_compare(".a = 1;", 7, ".a = 1;", 7), 0);

    /* the flattener orders by walking siblings; gron compares whole statements: the same */
    const char *doc = "{\"b\":1,\"a\":{\"z\":[3,2,{\"k\":1},[],[0,1,2,3,4,5,6,7,8,9,10,11]],"
                      "\"a b\":true,\"$\":null,\"ab\":{},\"a.b\":[]},\"k10\":1,\"k9\":2,"
                      "\"\":{\"x\":[]},\"class\":{\"if\":0}}";
    char *g = flat(doc, LTL_JSON_FLAT_GRON, LTL_JSON_MODE_AUTO);
    int lines = 0;
    for (char *line = g, *next; (next = strchr(line, '\n')) && next[1]; line = next + 1) {
        char *after = strchr(next + 1, '\n');
        assert_non_null(after);
        /* suffixes after the common "json" */
        if (ltl__gron_compare(line + 4, (size_t)(next - line - 4), next + 5,
                              (size_t)(after - next - 5)) >= 0)
            fail_msg("out of order:\n%.*s\n%.*s", (int)(next - line), line, (int)(after - next - 1),
                     next + 1);
        lines++;
    }
    assert_int_equal(lines, 31);
    ltl_free(g);
}

/* ---- unflatten -------------------------------------------------------------------------- */

static void expect_unflat(const char *text, int format, const char *want)
{
    char *out = NULL;
    size_t len = 0;
    ltl_json_error err;
    int rc = ltl_json_unflatten(&out, &len, text, strlen(text), format, &err);
    if (rc)
        fail_msg("unflatten '%s': %s (line %llu)", text, err.message, (unsigned long long)err.line);
    assert_string_equal(out, want);
    assert_int_equal(strlen(out), len);
    ltl_free(out);
}

static void expect_unflat_error(const char *text, int format, uint64_t line, const char *part)
{
    char *out = (char *)1;
    ltl_json_error err;
    int rc = ltl_json_unflatten(&out, NULL, text, strlen(text), format, &err);
    assert_int_equal(rc, LTL_EPARSE);
    assert_null(out);
    if (err.line != line || !strstr(err.message, part))
        fail_msg("'%s': line %llu '%s'", text, (unsigned long long)err.line, err.message);
}

static void test_unflatten_formats(void **state)
{
    (void)state;
    const char *want = "{\"a\":1,\"b\":[true,{}],\"c d\":{\"\":null},\"e\":[],\"s\":\"x\\ty\"}\n";
    for (int format = LTL_JSON_FLAT_LINES; format <= LTL_JSON_FLAT_TSV; format++) {
        char *f = flat(sample, format, LTL_JSON_MODE_AUTO);
        expect_unflat(f, format, want);
        expect_unflat(f, 0, want); /* detected */
        ltl_free(f);
    }
    /* gron's statements are sorted: member order follows them */
    char *g = flat(sample, LTL_JSON_FLAT_GRON, LTL_JSON_MODE_AUTO);
    expect_unflat(g, 0, "{\"a\":1,\"b\":[true,{}],\"e\":[],\"s\":\"x\\ty\",\"c d\":{\"\":null}}\n");
    ltl_free(g);
    /* several documents */
    expect_unflat("a = 1\n\n\n[0] = 2\n", 0, "{\"a\":1}\n[2]\n");
    expect_unflat("{\"a\":1}\n{\"[0]\":2}\n", 0, "{\"a\":1}\n[2]\n");
    expect_unflat("json = [];\njson[0] = {};\njson[0].a = 1;\njson[1] = 5;\n", 0,
                  "[{\"a\":1},5]\n");
    /* roots, CRLF, spacing, a leading dot, nested values in the json format */
    expect_unflat(". = 5\r\n", 0, "5\n");
    expect_unflat("{\"\":\"x\"}", 0, "\"x\"\n");
    expect_unflat("  a.b   =   [ 1 , 2 ]  \n.c = {}\n", LTL_JSON_FLAT_LINES,
                  "{\"a\":{\"b\":[1,2]},\"c\":{}}\n");
    expect_unflat("{\"a.b\":{\"c\":1},\"x\":[1,{}],\"[\\\"q r\\\"]\":true}", 0,
                  "{\"a\":{\"b\":{\"c\":1}},\"x\":[1,{}],\"q r\":true}\n");
    expect_unflat("[\"a\\tb\"]\ta\\tb\t1\n", 0, "{\"a\\tb\":1}\n");
    expect_unflat("", 0, "");
}

static void test_unflatten_order_and_holes(void **state)
{
    (void)state;
    /* statements in any order merge into their containers */
    expect_unflat("a.x = 1\nb = 2\na.y = 3\n", 0, "{\"a\":{\"x\":1,\"y\":3},\"b\":2}\n");
    expect_unflat("b[1] = 2\nb[0] = 1\n", 0, "{\"b\":[1,2]}\n");
    expect_unflat("[2] = 1\n", 0, "[null,null,1]\n");
    expect_unflat("[0].a = 1\n[1].a = 2\n[0].b = 3\n", 0, "[{\"a\":1,\"b\":3},{\"a\":2}]\n");
    expect_unflat("a = {}\na.b = 1\n", 0, "{\"a\":{\"b\":1}}\n");
    /* duplicate keys as the flattener writes them come back in order */
    expect_unflat("a = 1\na = 2\n", 0, "{\"a\":1,\"a\":2}\n");
    expect_unflat("a.x = 1\na = 5\na.y = 2\n", 0, "{\"a\":{\"x\":1},\"a\":5,\"a\":{\"y\":2}}\n");
    /* ... but two objects under one key merge: flat text cannot tell them apart */
    char *f = flat("{\"a\":{\"x\":1},\"a\":{\"y\":2}}", LTL_JSON_FLAT_LINES, LTL_JSON_MODE_AUTO);
    expect_unflat(f, 0, "{\"a\":{\"x\":1,\"y\":2}}\n");
    ltl_free(f);
}

static void test_unflatten_errors(void **state)
{
    (void)state;
    expect_unflat_error("a = 1\nb =\n", LTL_JSON_FLAT_LINES, 2, "bad value");
    expect_unflat_error("a = 1\nb[x] = 2\n", 0, 2, "bad path");
    expect_unflat_error("a 1\n", LTL_JSON_FLAT_LINES, 1, "expected");
    expect_unflat_error("[0] = 1\n[0].x = 2\n", 0, 2, "conflicting");
    expect_unflat_error(". = 1\n. = 2\n", 0, 2, "root is set twice");
    expect_unflat_error("a[] = 1\n", 0, 1, "wildcard");
    expect_unflat_error("[999999999] = 1\n", 0, 1, "past the end");
    expect_unflat_error("json.a = 1\n", LTL_JSON_FLAT_GRON, 1, "';'");
    expect_unflat_error("a = 1\n[0] = 2\n", LTL_JSON_FLAT_LINES, 2, "root");
    expect_unflat_error("{\"a\":1", 0, 1, "end of input");
    expect_unflat_error("[1]", LTL_JSON_FLAT_JSON, 1, "object");
    /* found by fuzz_unflatten: a bare name must be whole UTF-8 (else the output is not JSON) */
    expect_unflat_error("\xd0\x9f\xd0[0]\t\t1\n", LTL_JSON_FLAT_TSV, 1, "bad path");
    expect_unflat("\xd0\x9f = 1\n", 0, "{\"\xd0\x9f\":1}\n");
}

static int collect(void *ctx, const void *data, size_t len)
{
    ltl__buf *b = ctx;
    return ltl__buf_append(b, data, len);
}

static void test_streaming_equals_one_shot(void **state)
{
    (void)state;
    const char *in = "{\"k\":[1,2,{\"x\":\"yy\"}],\"z\":{}}\n{\"k\":3}\n";
    for (int format = LTL_JSON_FLAT_LINES; format <= LTL_JSON_FLAT_GRON; format++) {
        char *want = flat(in, format, LTL_JSON_MODE_AUTO);
        for (size_t chunk = 1; chunk < 8; chunk++) {
            ltl__buf got = {0};
            ltl_json_parser *p;
            assert_int_equal(ltl_json_flattener_new(&p, format, NULL, collect, &got), LTL_OK);
            for (size_t i = 0; i < strlen(in); i += chunk)
                assert_int_equal(ltl_json_parser_feed(
                                     p, in + i, chunk < strlen(in) - i ? chunk : strlen(in) - i),
                                 LTL_OK);
            assert_int_equal(ltl_json_parser_finish(p), LTL_OK);
            ltl_json_parser_free(p);
            assert_memory_equal(got.data, want, strlen(want));
            assert_int_equal(got.len, strlen(want));

            /* and back, pushed in the same pieces */
            ltl__buf back = {0};
            ltl_json_unflattener *u;
            assert_int_equal(ltl_json_unflattener_new(&u, 0, collect, &back), LTL_OK);
            for (size_t i = 0; i < got.len; i += chunk)
                assert_int_equal(ltl_json_unflattener_feed(
                                     u, got.data + i, chunk < got.len - i ? chunk : got.len - i),
                                 LTL_OK);
            assert_int_equal(ltl_json_unflattener_finish(u), LTL_OK);
            ltl_json_unflattener_free(u);
            if (format == LTL_JSON_FLAT_GRON)
                assert_string_equal(back.data,
                                    "[{\"k\":[1,2,{\"x\":\"yy\"}],\"z\":{}},{\"k\":3}]\n");
            else
                assert_string_equal(back.data,
                                    "{\"k\":[1,2,{\"x\":\"yy\"}],\"z\":{}}\n{\"k\":3}\n");
            ltl__buf_free(&back);
            ltl__buf_free(&got);
        }
        ltl_free(want);
    }
}

static int count_bad(void *ctx, const ltl_json_error *err)
{
    (void)err;
    (*(int *)ctx)++;
    return 0;
}

static void test_keep_going_drops_whole_lines(void **state)
{
    (void)state;
    const char *in = "{\"a\":1}\n{\"b\":2} junk\n{\"c\":[3,\n{\"d\":4}\n";
    for (int format = LTL_JSON_FLAT_LINES; format <= LTL_JSON_FLAT_GRON; format++) {
        int bad = 0;
        ltl_json_options o = LTL_JSON_OPTIONS_INIT;
        o.flags = LTL_JSON_KEEP_GOING;
        o.on_error = count_bad;
        o.error_ctx = &bad;
        char *out = NULL;
        assert_int_equal(ltl_json_flatten(&out, NULL, in, strlen(in), format, &o, NULL), LTL_OK);
        assert_int_equal(bad, 2);
        const char *want[] = {"", "a = 1\n\nd = 4\n", "{\"a\":1}\n{\"d\":4}\n",
                              "a\ta\t1\n\nd\td\t4\n",
                              ("json = [];\njson[0] = {};\njson[0].a = 1;\njson[1] = {};\n"
                               "json[1].d = 4;\n")};
        assert_string_equal(out, want[format]);
        ltl_free(out);
    }
}

static void test_flatten_errors(void **state)
{
    (void)state;
    char *out = (char *)1;
    size_t len = 7;
    ltl_json_error err;
    assert_int_equal(ltl_json_flatten(&out, &len, "[1,", 3, LTL_JSON_FLAT_LINES, NULL, &err),
                     LTL_EPARSE);
    assert_null(out);
    assert_int_equal(len, 0);
    assert_int_equal(err.offset, 3);
    assert_int_equal(ltl_json_flatten(&out, &len, "1", 1, 99, NULL, &err), LTL_EINVAL);
    assert_int_equal(ltl_json_flattener_new(NULL, LTL_JSON_FLAT_LINES, NULL, collect, NULL),
                     LTL_EINVAL);
    /* a streaming flattener writes the documents completed before a failure */
    ltl__buf got = {0};
    ltl_json_parser *p;
    ltl_json_options o = LTL_JSON_OPTIONS_INIT;
    o.mode = LTL_JSON_MODE_LINES;
    assert_int_equal(ltl_json_flattener_new(&p, LTL_JSON_FLAT_LINES, &o, collect, &got), LTL_OK);
    assert_int_equal(ltl_json_parser_feed(p, "{\"a\":1}\n{\"b\":2}\n{\"c\":", 21), LTL_OK);
    assert_int_equal(ltl_json_parser_feed(p, "]", 1), LTL_EPARSE);
    assert_string_equal(got.data, "a = 1\n\nb = 2\n");
    ltl_json_parser_free(p);
    ltl__buf_free(&got);
}

/* ---- JSON Pointer ----------------------------------------------------------------------- */

static void test_pointer_rfc6901(void **state)
{
    (void)state;
    /* the example of RFC 6901, section 5 */
    const char *doc = "{\n \"foo\": [\"bar\", \"baz\"],\n \"\": 0,\n \"a/b\": 1,\n \"c%d\": 2,\n"
                      " \"e^f\": 3,\n \"g|h\": 4,\n \"i\\\\j\": 5,\n \"k\\\"l\": 6,\n \" \": 7,\n"
                      " \"m~n\": 8\n}";
    struct {
        const char *ptr, *want;
    } cases[] = {
        {"/foo", "[\"bar\", \"baz\"]"},
        {"/foo/0", "\"bar\""},
        {"/", "0"},
        {"/a~1b", "1"},
        {"/c%d", "2"},
        {"/e^f", "3"},
        {"/g|h", "4"},
        {"/i\\j", "5"},
        {"/k\"l", "6"},
        {"/ ", "7"},
        {"/m~0n", "8"},
    };
    const char *v;
    size_t n;
    for (size_t i = 0; i < LTL__ARRAY_LEN(cases); i++) {
        assert_int_equal(ltl_json_pointer_get(&v, &n, doc, strlen(doc), cases[i].ptr, NULL),
                         LTL_OK);
        assert_int_equal(n, strlen(cases[i].want));
        assert_memory_equal(v, cases[i].want, n);
    }
    assert_int_equal(ltl_json_pointer_get(&v, &n, doc, strlen(doc), "", NULL), LTL_OK);
    assert_ptr_equal(v, doc);
    assert_int_equal(n, strlen(doc));
    const char *missing[] = {"/foo/2", "/foo/-", "/foo/01", "/nope", "/foo/0/x", "/ /x"};
    for (size_t i = 0; i < LTL__ARRAY_LEN(missing); i++)
        assert_int_equal(ltl_json_pointer_get(&v, &n, doc, strlen(doc), missing[i], NULL),
                         LTL_ENOTFOUND);
    assert_int_equal(ltl_json_pointer_get(&v, &n, doc, strlen(doc), "foo", NULL), LTL_EINVAL);
    assert_int_equal(ltl_json_pointer_get(&v, &n, doc, strlen(doc), "/~2", NULL), LTL_EINVAL);
    /* duplicate keys: the last; escaped keys compare decoded */
    const char *dup = "{\"a\":1,\"b\":{\"c\":[true]},\"\\u0061\":2}";
    assert_int_equal(ltl_json_pointer_get(&v, &n, dup, strlen(dup), "/a", NULL), LTL_OK);
    assert_memory_equal(v, "2", 1);
    assert_int_equal(ltl_json_pointer_get(&v, &n, dup, strlen(dup), "/b/c/0", NULL), LTL_OK);
    assert_int_equal(n, 4);
    ltl_json_error err;
    assert_int_equal(ltl_json_pointer_get(&v, &n, "{\"a\":", 5, "/a", &err), LTL_EPARSE);
    assert_int_equal(err.offset, 5);
}

/* ---- allocation failures ------------------------------------------------------------------ */

static void test_out_of_memory(void **state)
{
    (void)state;
    const char *doc =
        "{\"a\":[1,{\"b\":\"cc\"}],\"d e\":{\"\\u00e9\":[[],{}]},\"f\":[0,1,2,3,4,5]}";
    for (int format = LTL_JSON_FLAT_LINES; format <= LTL_JSON_FLAT_GRON; format++) {
        char *want = flat(doc, format, LTL_JSON_MODE_AUTO);
        for (long n = 1;; n++) {
            char *out = NULL;
            tu_alloc_install(n, false);
            int rc = ltl_json_flatten(&out, NULL, doc, strlen(doc), format, NULL, NULL);
            if (rc == LTL_OK) {
                assert_string_equal(out, want);
                ltl_free(out);
            }
            long live = tu_alloc_live();
            tu_alloc_uninstall();
            assert_int_equal(live, 0);
            if (rc == LTL_OK)
                break;
            assert_int_equal(rc, LTL_ENOMEM);
            assert_true(n < 1000);
        }
        for (long n = 1;; n++) {
            char *out = NULL;
            tu_alloc_install(n, false);
            int rc = ltl_json_unflatten(&out, NULL, want, strlen(want), 0, NULL);
            ltl_free(out);
            long live = tu_alloc_live();
            tu_alloc_uninstall();
            assert_int_equal(live, 0);
            if (rc == LTL_OK)
                break;
            assert_int_equal(rc, LTL_ENOMEM);
            assert_true(n < 1000);
        }
        ltl_free(want);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_formats),
        cmocka_unit_test(test_root_and_documents),
        cmocka_unit_test(test_gron_rules),
        cmocka_unit_test(test_unflatten_formats),
        cmocka_unit_test(test_unflatten_order_and_holes),
        cmocka_unit_test(test_unflatten_errors),
        cmocka_unit_test(test_streaming_equals_one_shot),
        cmocka_unit_test(test_keep_going_drops_whole_lines),
        cmocka_unit_test(test_flatten_errors),
        cmocka_unit_test(test_pointer_rfc6901),
        cmocka_unit_test(test_out_of_memory),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
