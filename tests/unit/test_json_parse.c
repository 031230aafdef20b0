/* SPDX-License-Identifier: MIT */
/*
 * test_json_parse.c — the streaming parser: events (type, path, short key,
 * value text, depth, document, offset), the path syntax, input modes (document,
 * JSON Lines, stream, auto), chunked input split anywhere, keep-going,
 * errors with positions, the depth limit, and allocation failures.
 */
#include "testutil.h"

#include "json/json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *type_name(int t)
{
    static const char *names[] = {"?",      "null",   "false", "true", "number",
                                  "string", "object", "array", "end"};
    return t >= 0 && t <= LTL_JSON_END ? names[t] : "?";
}

/* Events serialised one per line: "type path|key|value". */
struct rec {
    ltl__buf text;
    bool with_pos;  /* add depth, document, offset */
    int stop_after; /* return 99 from the callback after this many events (0: never) */
    int n;
};

static int record(void *ctx, const ltl_json_event *ev)
{
    struct rec *r = ctx;
    assert_int_equal(ev->path[ev->path_len], '\0');
    assert_int_equal(strlen(ev->path), ev->path_len);
    if (ev->wildcard)
        assert_int_equal(ev->wildcard[ev->wildcard_len], '\0');
    int rc = ltl__buf_appendf(&r->text, "%s %s|%.*s|%.*s", type_name(ev->type), ev->path,
                              (int)ev->key_len, ev->key, (int)ev->value_len, ev->value);
    assert_int_equal(rc, LTL_OK);
    if (ev->wildcard)
        rc = ltl__buf_appendf(&r->text, " w=%s", ev->wildcard);
    if (r->with_pos)
        rc = ltl__buf_appendf(&r->text, " d=%u doc=%llu off=%llu", ev->depth,
                              (unsigned long long)ev->document, (unsigned long long)ev->offset);
    assert_int_equal(rc, LTL_OK);
    assert_int_equal(ltl__buf_append(&r->text, "\n", 1), LTL_OK);
    if (r->stop_after && ++r->n == r->stop_after)
        return 99;
    return 0;
}

/* Parse in one call; returns the events text (caller frees) and the return code. */
static char *events(const char *json, size_t len, const ltl_json_options *opts, int *rc_out,
                    ltl_json_error *err)
{
    struct rec r = {0};
    ltl_json_error e;
    int rc = ltl_json_parse(json, len, opts, record, &r, err ? err : &e);
    if (rc_out)
        *rc_out = rc;
    else
        assert_int_equal(rc, LTL_OK);
    if (!r.text.data)
        return strdup("");
    return r.text.data;
}

/* Parse pushing `chunk`-byte pieces (0: split at the given points). */
static char *events_chunked(const char *json, size_t len, const ltl_json_options *opts,
                            size_t chunk, int *rc_out, ltl_json_error *err)
{
    struct rec r = {0};
    ltl_json_parser *p = NULL;
    assert_int_equal(ltl_json_parser_new(&p, opts, record, &r), LTL_OK);
    int rc = LTL_OK;
    for (size_t i = 0; i < len && rc == LTL_OK; i += chunk)
        rc = ltl_json_parser_feed(p, json + i, i + chunk > len ? len - i : chunk);
    if (rc == LTL_OK)
        rc = ltl_json_parser_finish(p);
    if (err)
        *err = *ltl_json_parser_error(p);
    ltl_json_parser_free(p);
    *rc_out = rc;
    return r.text.data ? r.text.data : strdup("");
}

static void expect_events(const char *json, const char *want)
{
    char *got = events(json, strlen(json), NULL, NULL, NULL);
    assert_string_equal(got, want);
    free(got);
}

static void test_events_basic(void **state)
{
    (void)state;
    expect_events("{\"a\":1,\"b\":[true,false,null,{\"c\":\"x\"}],\"d\":{},\"e\":[]}",
                  "number a|a|1\n"
                  "true b[0]|b|true\n"
                  "false b[1]|b|false\n"
                  "null b[2]|b|null\n"
                  "string b[3].c|c|\"x\"\n"
                  "object d|d|{}\n"
                  "array e|e|[]\n");
    expect_events("5", "number ||5\n");
    expect_events(" \"s\" ", "string ||\"s\"\n");
    expect_events("{}", "object ||{}\n");
    expect_events("[]", "array ||[]\n");
    expect_events("[[[]],{}]", "array [0][0]||[]\nobject [1]||{}\n");
    /* value text is kept exactly: number spelling, string escapes */
    expect_events("[-0.0e+00,1E400,\"\\u00e9\\/\",0.1]",
                  "number [0]||-0.0e+00\nnumber [1]||1E400\nstring [2]||\"\\u00e9\\/\"\n"
                  "number [3]||0.1\n");
}

static void test_events_positions(void **state)
{
    (void)state;
    ltl_json_options o = LTL_JSON_OPTIONS_INIT;
    struct rec r = {.with_pos = true};
    const char *j = "{\"a\": [10, {\"b\": {}}]}\n[]";
    o.mode = LTL_JSON_MODE_STREAM;
    assert_int_equal(ltl_json_parse(j, strlen(j), &o, record, &r, NULL), LTL_OK);
    assert_string_equal(r.text.data, "number a[0]|a|10 d=2 doc=0 off=7\n"
                                     "object a[1].b|b|{} d=3 doc=0 off=17\n"
                                     "array ||[] d=0 doc=1 off=23\n");
    ltl__buf_free(&r.text);
}

static void test_path_syntax(void **state)
{
    (void)state;
    expect_events("{\"a.b\":1,\"\":2,\"x y\":3,\"_ok-1\":4,\"1st\":5,\"-x\":6,\"caf\xc3\xa9\":7}",
                  "number [\"a.b\"]|a.b|1\n"
                  "number [\"\"]||2\n"
                  "number [\"x y\"]|x y|3\n"
                  "number _ok-1|_ok-1|4\n"
                  "number [\"1st\"]|1st|5\n"
                  "number [\"-x\"]|-x|6\n"
                  "number [\"caf\xc3\xa9\"]|caf\xc3\xa9|7\n");
    /* after a quoted segment a bare key still takes its dot; indexes never do */
    expect_events("{\"a b\":{\"c\":[{\"\":{\"d\":0}}]}}", "number [\"a b\"].c[0][\"\"].d|d|0\n");
    /* escapes in keys are decoded: a key that decodes to a bare name is written bare, and
     * quoted keys are written with canonical escapes */
    expect_events("{\"\\u0061b\":1,\"q\\\"\\\\\\/\\n\":2,\"\\ud83d\\ude00\":3}",
                  "number ab|ab|1\n"
                  "number [\"q\\\"\\\\/\\n\"]|q\"\\/\n|2\n"
                  "number [\"\xf0\x9f\x98\x80\"]|\xf0\x9f\x98\x80|3\n");
    /* a lone surrogate survives in the path as its escape */
    expect_events("{\"\\uD800x\":1}", "number [\"\\ud800x\"]|\xed\xa0\x80x|1\n");
    /* long keys (past the 16-byte fast path) and long strings */
    expect_events("{\"a_key_longer_than_sixteen_bytes\":\"and a value longer than sixteen\"}",
                  "string a_key_longer_than_sixteen_bytes|a_key_longer_than_sixteen_bytes|"
                  "\"and a value longer than sixteen\"\n");
}

static void test_array_indexes(void **state)
{
    (void)state;
    ltl__buf doc = {0};
    assert_int_equal(ltl__buf_append(&doc, "[", 1), LTL_OK);
    for (int i = 0; i < 1001; i++)
        assert_int_equal(ltl__buf_appendf(&doc, "%s%d", i ? "," : "", i), LTL_OK);
    assert_int_equal(ltl__buf_append(&doc, "]", 1), LTL_OK);
    char *got = events(doc.data, doc.len, NULL, NULL, NULL);
    /* every path is [i] with i written in decimal */
    char want[64];
    const char *line = got;
    for (int i = 0; i < 1001; i++) {
        snprintf(want, sizeof(want), "number [%d]||%d\n", i, i);
        assert_memory_equal(line, want, strlen(want));
        line += strlen(want);
    }
    assert_int_equal(*line, '\0');
    free(got);
    ltl__buf_free(&doc);
}

static void test_short_key_inheritance(void **state)
{
    (void)state;
    /* array elements report the innermost member name; nested objects their own */
    expect_events("{\"tags\":[[\"x\"],{\"k\":[1]}]}", "string tags[0][0]|tags|\"x\"\n"
                                                      "number tags[1].k[0]|k|1\n");
}

static void test_wildcard_containers_end(void **state)
{
    (void)state;
    ltl_json_options o = LTL_JSON_OPTIONS_INIT;
    o.flags = LTL_JSON_EMIT_WILDCARD | LTL_JSON_EMIT_CONTAINERS | LTL_JSON_EMIT_END;
    o.mode = LTL_JSON_MODE_LINES;
    const char *j = "{\"a\":[{\"b\":1},{\"b\":[]}],\"c d\":{}}\n[7]\n";
    char *got = events(j, strlen(j), &o, NULL, NULL);
    assert_string_equal(got, "object ||{} w=\n"
                             "array a|a|[] w=a\n"
                             "object a[0]|a|{} w=a[]\n"
                             "number a[0].b|b|1 w=a[].b\n"
                             "object a[1]|a|{} w=a[]\n"
                             "array a[1].b|b|[] w=a[].b\n"
                             "object [\"c d\"]|c d|{} w=[\"c d\"]\n"
                             "end || w=\n"
                             "array ||[] w=\n"
                             "number [0]||7 w=[]\n"
                             "end || w=\n");
    free(got);
}

static void check_error(const char *json, const ltl_json_options *o, uint64_t offset, uint64_t line,
                        uint64_t column, const char *part)
{
    int rc;
    ltl_json_error err;
    char *got = events(json, strlen(json), o, &rc, &err);
    free(got);
    if (rc != LTL_EPARSE || err.offset != offset || err.line != line || err.column != column ||
        !strstr(err.message, part))
        fail_msg("'%s': rc %d offset %llu line %llu col %llu '%s'", json, rc,
                 (unsigned long long)err.offset, (unsigned long long)err.line,
                 (unsigned long long)err.column, err.message);
}

static void test_modes(void **state)
{
    (void)state;
    ltl_json_options o = LTL_JSON_OPTIONS_INIT;
    int rc;

    o.mode = LTL_JSON_MODE_DOCUMENT;
    check_error("1 2", &o, 2, 1, 3, "after the JSON value");
    check_error("", &o, 0, 1, 1, "empty input");
    check_error("{}{}", &o, 2, 1, 3, "after the JSON value");

    o.mode = LTL_JSON_MODE_STREAM;
    const char *j = "1 2{}[]\"x\"\n\ntrue";
    char *got = events(j, strlen(j), &o, NULL, NULL);
    assert_string_equal(got, "number ||1\nnumber ||2\nobject ||{}\narray ||[]\nstring ||\"x\"\n"
                             "true ||true\n");
    free(got);
    got = events("", 0, &o, &rc, NULL);
    assert_int_equal(rc, LTL_OK); /* no documents is fine in a stream */
    free(got);
    check_error("12a", &o, 2, 1, 3, "after a number");

    o.mode = LTL_JSON_MODE_LINES;
    j = "{\"a\":1}\n\n  \r\n[2]\r\n";
    got = events(j, strlen(j), &o, NULL, NULL);
    assert_string_equal(got, "number a|a|1\nnumber [0]||2\n");
    free(got);
    check_error("{\"a\":\n1}", &o, 5, 1, 6, "end of line");
    check_error("[1]\n[2] [3]\n", &o, 8, 2, 5, "end of the line");
    check_error("[1]\n[2", &o, 6, 2, 3, "end of input");

    /* AUTO: one line then more on the next lines is JSON Lines; a pretty document is not */
    o.mode = LTL_JSON_MODE_AUTO;
    got = events("{\"a\":1}\n{\"a\":2}\n", 16, &o, NULL, NULL);
    assert_string_equal(got, "number a|a|1\nnumber a|a|2\n");
    free(got);
    check_error("{\"a\":1}\n{\"a\":\n2}\n", &o, 13, 2, 6, "end of line");
    got = events("{\n \"a\": 1\n}\n{\n \"a\": 2\n}\n", 24, &o, NULL, NULL);
    assert_string_equal(got, "number a|a|1\nnumber a|a|2\n");
    free(got);
}

struct bad {
    int n;
    ltl_json_error errs[8];
};

static int on_bad(void *ctx, const ltl_json_error *err)
{
    struct bad *b = ctx;
    assert_true(b->n < 8);
    b->errs[b->n++] = *err;
    return 0;
}

static void test_keep_going(void **state)
{
    (void)state;
    ltl_json_options o = LTL_JSON_OPTIONS_INIT;
    struct bad b = {0};
    o.flags = LTL_JSON_KEEP_GOING | LTL_JSON_EMIT_END;
    o.on_error = on_bad;
    o.error_ctx = &b;
    /* AUTO with keep-going means JSON Lines */
    const char *j = "{\"a\":1}\n{\"a\":\n[1,2] x\n\"ok\"\n{\"b\":tru}\n{\"c\":[\"a\n[3]";
    for (size_t chunk = 0; chunk <= 7; chunk++) {
        int rc;
        memset(&b, 0, sizeof(b));
        char *got = chunk ? events_chunked(j, strlen(j), &o, chunk, &rc, NULL)
                          : events(j, strlen(j), &o, &rc, NULL);
        assert_int_equal(rc, LTL_OK);
        /* the bad lines' events are delivered up to the error, but no END for them */
        assert_string_equal(got, "number a|a|1\nend ||\nnumber [0]||1\nnumber [1]||2\n"
                                 "string ||\"ok\"\nend ||\nnumber [0]||3\nend ||\n");
        free(got);
        assert_int_equal(b.n, 4);
        uint64_t want_line[] = {2, 3, 5, 6}, want_col[] = {6, 7, 6, 9}, want_doc[] = {1, 2, 4, 5};
        for (int i = 0; i < 4; i++) {
            if (b.errs[i].line != want_line[i] || b.errs[i].column != want_col[i] ||
                b.errs[i].document != want_doc[i])
                fail_msg("chunk %zu error %d: line %llu col %llu doc %llu: %s", chunk, i,
                         (unsigned long long)b.errs[i].line, (unsigned long long)b.errs[i].column,
                         (unsigned long long)b.errs[i].document, b.errs[i].message);
        }
    }
}

static void test_errors_sticky_and_stop(void **state)
{
    (void)state;
    ltl_json_parser *p;
    struct rec r = {0};
    assert_int_equal(ltl_json_parser_new(&p, NULL, record, &r), LTL_OK);
    assert_int_equal(ltl_json_parser_feed(p, "[1,", 3), LTL_OK);
    assert_int_equal(ltl_json_parser_feed(p, "}", 1), LTL_EPARSE);
    assert_int_equal(ltl_json_parser_error(p)->offset, 3);
    assert_int_equal(ltl_json_parser_feed(p, "2]", 2), LTL_EPARSE);
    assert_int_equal(ltl_json_parser_finish(p), LTL_EPARSE);
    /* reset: a new input */
    ltl_json_parser_reset(p);
    assert_int_equal(ltl_json_parser_error(p)->code, LTL_OK);
    assert_int_equal(ltl_json_parser_feed(p, "[9]", 3), LTL_OK);
    assert_int_equal(ltl_json_parser_finish(p), LTL_OK);
    ltl_json_parser_free(p);
    assert_non_null(strstr(r.text.data, "number [0]||9"));
    ltl__buf_free(&r.text);

    /* finishing twice ends the last JSON line once */
    ltl_json_options lo = LTL_JSON_OPTIONS_INIT;
    lo.mode = LTL_JSON_MODE_LINES;
    lo.flags = LTL_JSON_EMIT_END;
    struct rec t = {0};
    assert_int_equal(ltl_json_parser_new(&p, &lo, record, &t), LTL_OK);
    assert_int_equal(ltl_json_parser_feed(p, "[1]", 3), LTL_OK);
    assert_int_equal(ltl_json_parser_finish(p), LTL_OK);
    assert_int_equal(ltl_json_parser_finish(p), LTL_OK);
    ltl_json_parser_free(p);
    assert_string_equal(t.text.data, "number [0]||1\nend ||\n");
    ltl__buf_free(&t.text);

    /* the callback's non-zero value stops the parse and comes back */
    struct rec s = {.stop_after = 2};
    assert_int_equal(ltl_json_parse("[1,2,3]", 7, NULL, record, &s, NULL), 99);
    assert_string_equal(s.text.data, "number [0]||1\nnumber [1]||2\n");
    ltl__buf_free(&s.text);

    /* bad options */
    ltl_json_options o = LTL_JSON_OPTIONS_INIT;
    o.version = 99;
    assert_int_equal(ltl_json_parse("1", 1, &o, NULL, NULL, NULL), LTL_EINVAL);
    o = (ltl_json_options)LTL_JSON_OPTIONS_INIT;
    o.mode = 42;
    assert_int_equal(ltl_json_parser_new(&p, &o, NULL, NULL), LTL_EINVAL);
    assert_null(p);
    ltl_json_parser_free(NULL);
}

static void test_depth_limit(void **state)
{
    (void)state;
    ltl_json_options o = LTL_JSON_OPTIONS_INIT;
    o.max_depth = 3;
    int rc;
    ltl_json_error err;
    char *got = events("[[[1]]]", 7, &o, &rc, &err);
    assert_int_equal(rc, LTL_OK);
    assert_string_equal(got, "number [0][0][0]||1\n");
    free(got);
    got = events("[[{\"a\":[1]}]]", 13, &o, &rc, &err);
    assert_int_equal(rc, LTL_EPARSE);
    assert_int_equal(err.offset, 7);
    assert_non_null(strstr(err.message, "deeper than 3"));
    free(got);
    /* a very deep document with a callback: a clean error, no stack overflow */
    size_t n = 1000000;
    char *deep = malloc(n);
    memset(deep, '[', n);
    got = events(deep, n, NULL, &rc, &err);
    assert_int_equal(rc, LTL_EPARSE);
    assert_int_equal(err.offset, 1024);
    free(got);
    o.max_depth = 100000; /* deeper limits work too */
    memset(deep, '{', 1);
    got = events(deep, 50000, &o, &rc, &err);
    assert_int_equal(rc, LTL_EPARSE);
    assert_non_null(strstr(err.message, "key"));
    free(got);
    free(deep);
}

/* Every document of this corpus gives the same events whole, split in two at every byte,
 * and fed in pieces of 1..9 bytes. */
static void test_chunks_anywhere(void **state)
{
    (void)state;
    const char *docs[] = {
        "{\"a\":[1,-2.5e-3,true,false,null,"
        "\"s\\\"\\\\\\u00e9\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"],"
        "\"\":{},\"b c\":[[],{}],\"\\u0064\":12345678901234567890}",
        "  [  {\"key_with_more_than_16_chars\" : \"value with more than sixteen chars\" } ] ",
        "\"a long string value that is longer than thirty-two bytes, surely\"",
        "-1234567.890123e+12",
        "[0,10,200,3000,40000,500000,6000000,70000000,800000000,9000000000,1.5,-0.0]",
        "{\"n\":1}\n{\"n\":2}\n\n{\"n\":[3]}\n",
        "[1 , 2\t,\r\n3]",
        "{\"a\":1,}", /* bad: the error must be the same too */
        "[\"\xe2\x82\"]",
        "[truex]",
        "[1.]",
    };
    for (size_t d = 0; d < LTL__ARRAY_LEN(docs); d++) {
        const char *j = docs[d];
        size_t len = strlen(j);
        for (int mode = LTL_JSON_MODE_AUTO; mode <= LTL_JSON_MODE_STREAM; mode++) {
            ltl_json_options o = LTL_JSON_OPTIONS_INIT;
            o.mode = mode;
            int rc1, rc2;
            ltl_json_error e1, e2;
            char *whole = events(j, len, &o, &rc1, &e1);
            for (size_t chunk = 1; chunk <= 9; chunk++) {
                char *got = events_chunked(j, len, &o, chunk, &rc2, &e2);
                if (rc1 != rc2 || strcmp(whole, got) || (rc1 && e1.offset != e2.offset))
                    fail_msg("doc %zu mode %d chunk %zu: rc %d/%d\n%s---\n%s", d, mode, chunk, rc1,
                             rc2, whole, got);
                free(got);
            }
            for (size_t cut = 0; cut <= len; cut++) {
                struct rec r = {0};
                ltl_json_parser *p;
                assert_int_equal(ltl_json_parser_new(&p, &o, record, &r), LTL_OK);
                rc2 = ltl_json_parser_feed(p, j, cut);
                if (!rc2)
                    rc2 = ltl_json_parser_feed(p, j + cut, len - cut);
                if (!rc2)
                    rc2 = ltl_json_parser_finish(p);
                e2 = *ltl_json_parser_error(p);
                ltl_json_parser_free(p);
                const char *got = r.text.data ? r.text.data : "";
                if (rc1 != rc2 || strcmp(whole, got) || (rc1 && e1.offset != e2.offset))
                    fail_msg("doc %zu mode %d cut %zu: rc %d/%d", d, mode, cut, rc1, rc2);
                ltl__buf_free(&r.text);
            }
            free(whole);
        }
    }
}

/* Numbers and strings at every distance from the end of the buffer (the 16-byte fast
 * paths must not read past it, and must agree with the slow paths). */
static void test_tokens_near_buffer_end(void **state)
{
    (void)state;
    const char *toks[] = {"0",
                          "-0",
                          "12",
                          "-12.5",
                          "1e5",
                          "1E-5",
                          "123456789012345",
                          "1234567890123456",
                          "-1.25e+300",
                          "\"\"",
                          "\"abc\"",
                          "\"fifteen chars..\"",
                          "\"sixteen chars...\"",
                          "\"\xc3\xa9\"",
                          "true",
                          "null",
                          "{}",
                          "[]",
                          "{\"k\":1}",
                          "{\"sixteen_chars_ke\":1}"};
    for (size_t t = 0; t < LTL__ARRAY_LEN(toks); t++) {
        for (size_t pad = 0; pad < 40; pad++) {
            size_t tl = strlen(toks[t]);
            /* exact-size heap buffer so that ASan catches any over-read */
            char *doc = malloc(pad + tl + 2);
            memcpy(doc, "[", 1);
            memset(doc + 1, ' ', pad);
            memcpy(doc + 1 + pad, toks[t], tl);
            doc[1 + pad + tl] = ']';
            int rc;
            char *got = events(doc, pad + tl + 2, NULL, &rc, NULL);
            assert_int_equal(rc, LTL_OK);
            free(got);
            /* the token alone, at the very end */
            got = events(doc + 1 + pad, tl, NULL, &rc, NULL);
            assert_int_equal(rc, LTL_OK);
            free(got);
            free(doc);
        }
    }
}

static int count_cb(void *ctx, const ltl_json_event *ev)
{
    *(size_t *)ctx += ev->path_len + ev->value_len;
    return 0;
}

static void test_out_of_memory(void **state)
{
    (void)state;
    /* long keys and values make the path buffer grow; deep nesting grows the stack */
    ltl__buf doc = {0};
    for (int i = 0; i < 40; i++)
        assert_int_equal(ltl__buf_appendf(&doc, "{\"k%d_%0200d\":{\"\\u00e9%d\":", i, 0, i),
                         LTL_OK);
    assert_int_equal(ltl__buf_append(&doc, "[[1]]", 5), LTL_OK);
    for (int i = 0; i < 40; i++)
        assert_int_equal(ltl__buf_append(&doc, "}}", 2), LTL_OK);
    assert_int_equal(ltl__json_validate(doc.data, doc.len, NULL), LTL_OK);
    size_t want = 0;
    assert_int_equal(ltl_json_parse(doc.data, doc.len, NULL, count_cb, &want, NULL), LTL_OK);
    for (long n = 1;; n++) {
        size_t got = 0;
        tu_alloc_install(n, false);
        ltl_json_parser *p = NULL;
        int rc = ltl_json_parser_new(&p, NULL, count_cb, &got);
        if (rc == LTL_OK) {
            rc = ltl_json_parser_feed(p, doc.data, doc.len / 2);
            if (!rc)
                rc = ltl_json_parser_feed(p, doc.data + doc.len / 2, doc.len - doc.len / 2);
            if (!rc)
                rc = ltl_json_parser_finish(p);
            if (rc)
                assert_int_equal(ltl_json_parser_error(p)->code, LTL_ENOMEM);
        }
        ltl_json_parser_free(p);
        long live = tu_alloc_live();
        tu_alloc_uninstall();
        assert_int_equal(live, 0);
        if (rc == LTL_OK) {
            assert_int_equal(got, want);
            break;
        }
        assert_int_equal(rc, LTL_ENOMEM);
        assert_true(n < 1000);
    }
    ltl__buf_free(&doc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_events_basic),
        cmocka_unit_test(test_events_positions),
        cmocka_unit_test(test_path_syntax),
        cmocka_unit_test(test_array_indexes),
        cmocka_unit_test(test_short_key_inheritance),
        cmocka_unit_test(test_wildcard_containers_end),
        cmocka_unit_test(test_modes),
        cmocka_unit_test(test_keep_going),
        cmocka_unit_test(test_errors_sticky_and_stop),
        cmocka_unit_test(test_depth_limit),
        cmocka_unit_test(test_chunks_anywhere),
        cmocka_unit_test(test_tokens_near_buffer_end),
        cmocka_unit_test(test_out_of_memory),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
