/* SPDX-License-Identifier: MIT */
/*
 * test_ns.c — the namespace through the public API: every built-in module,
 * transforms and JSON Pointer walks, sync after appends (listings move,
 * record frames are not produced again: the counters say so), negative
 * caching, the cache bound, unions (order, the create target, aliases that
 * go stale), the module cascade and plugin modules (in-process and the
 * example .csv shared object), path edge cases, errors, and every
 * allocation failing in turn.
 */
#include "testutil.h"

#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- helpers ----------------------------------------------------------------------- */

/* A temporary directory (removed at exit), its name freed by the group's teardown. */
static char *dirs[16];
static int ndirs;

static char *tmpdir(void)
{
    char *d = tu_tmpdir();
    assert_true(ndirs < 16);
    dirs[ndirs++] = d;
    return d;
}

static int teardown(void **state)
{
    (void)state;
    while (ndirs > 0)
        free(dirs[--ndirs]);
    return 0;
}

static ltl_db *open_store(const char *dir, const char *config)
{
    ltl_options opts = LTL_OPTIONS_INIT;
    opts.flags = LTL_OPEN_CREATE | LTL_OPEN_NO_ENV;
    opts.durability = LTL_CASUAL;
    opts.config = config ? config : "index.enabled=off";
    ltl_db *db = NULL;
    int rc = ltl_open(&db, dir, &opts);
    if (rc != LTL_OK)
        fail_msg("open %s: %s: %s", dir, ltl_strerror(rc), ltl_errmsg(db));
    return db;
}

static ltl_ns *open_ns(ltl_db *db, uint64_t bound)
{
    ltl_ns_options o = LTL_NS_OPTIONS_INIT;
    o.cache_bytes = bound;
    o.flags = LTL_NS_NO_PLUGINS;
    ltl_ns *ns = NULL;
    int rc = ltl_ns_open(&ns, db, &o);
    if (rc != LTL_OK)
        fail_msg("ltl_ns_open: %s: %s", ltl_strerror(rc), ltl_ns_errmsg(ns));
    return ns;
}

static uint64_t put(ltl_db *db, const char *topic, const char *msg)
{
    uint64_t seq;
    int rc = ltl_append(&seq, db, topic, msg, strlen(msg), LTL_APPEND_DETECT);
    if (rc != LTL_OK)
        fail_msg("append: %s: %s", ltl_strerror(rc), ltl_errmsg(db));
    return seq;
}

/* The data at path as a string (the caller frees), failing the test if absent. */
static char *get(ltl_ns *ns, const char *path)
{
    void *data = NULL;
    size_t len = 0;
    int rc = ltl_ns_read(&data, &len, ns, path);
    if (rc != LTL_OK)
        fail_msg("read %s: %s: %s", path, ltl_strerror(rc), ltl_ns_errmsg(ns));
    assert_int_equal(strlen(data), len);
    return data;
}

static void expect(ltl_ns *ns, const char *path, const char *want)
{
    char *got = get(ns, path);
    if (strcmp(got, want) != 0)
        fail_msg("%s: got '%s', want '%s'", path, got, want);
    ltl_free(got);
}

static void expect_rc(ltl_ns *ns, const char *path, int want)
{
    void *data = NULL;
    size_t len;
    int rc = ltl_ns_read(&data, &len, ns, path);
    ltl_free(data);
    if (rc != want)
        fail_msg("%s: got %s (%s), want %s", path, ltl_strerror(rc), ltl_ns_errmsg(ns),
                 ltl_strerror(want));
    if (rc != LTL_OK)
        assert_true(strlen(ltl_ns_errmsg(ns)) > 0);
}

static int collect(void *ctx, const char *name, int kind)
{
    char *buf = ctx;
    size_t n = strlen(buf);
    snprintf(buf + n, 4096 - n, "%s%s%s", n ? " " : "", name, kind == LTL_NS_DIR ? "/" : "");
    return 0;
}

/* A listing as "a b/ c" (directories with '/'). */
static void expect_list(ltl_ns *ns, const char *path, const char *want)
{
    char buf[4096] = "";
    int rc = ltl_ns_list(ns, path, collect, buf);
    if (rc != LTL_OK)
        fail_msg("list %s: %s: %s", path, ltl_strerror(rc), ltl_ns_errmsg(ns));
    if (strcmp(buf, want) != 0)
        fail_msg("ls %s: got '%s', want '%s'", path, buf, want);
}

static ltl_ns_stats stats(ltl_ns *ns)
{
    ltl_ns_stats s;
    ltl_ns_stats_read(&s, ns);
    return s;
}

static char *path_of(const char *fmt, uint64_t seq)
{
    static char buf[256];
    snprintf(buf, sizeof(buf), fmt, seq);
    return buf;
}

/* ---- modules ------------------------------------------------------------------------ */

static const char doc[] = "{\"a\":{\"b\":{\"c\":42}},\"user\":{\"name\":\"alice\"},\"k.d\":1,"
                          "\"x/y\":2,\"t~\":3,\"\\u65e5\\u672c\":\"yes\",\"arr\":[1,[2,3],{\"z\":"
                          "null}],\"e\":{\"\":{\"f\":true}},\"a.flat\":\"exact\"}";

static void test_modules(void **state)
{
    (void)state;
    char *dir = tmpdir();
    ltl_db *db = open_store(dir, NULL);
    uint64_t s1 = put(db, "app", doc);
    uint64_t s2 = put(db, "web", "plain text");
    uint64_t s3 = put(db, "app", "{\"status\":500}");
    ltl_ns *ns = open_ns(db, 0);

    expect_list(ns, "/", "checkpoints/ manifests/ paths/ query/ seq/ topics/");
    /* /seq: every record, the manifest at 0 included */
    char want[256];
    snprintf(want, sizeof(want), "0 %" PRIu64 " %" PRIu64 " %" PRIu64, s1, s2, s3);
    expect_list(ns, "/seq/", want);
    expect_list(ns, "/topics/", "_ltl/ app/ web/");
    snprintf(want, sizeof(want), "%" PRIu64 " %" PRIu64, s1, s3);
    expect_list(ns, "/topics/app/", want);
    expect_list(ns, "/manifests/", "0");
    expect(ns, path_of("/seq/%" PRIu64, s2), "plain text");
    expect(ns, path_of("/topics/web/%" PRIu64, s2), "plain text");
    expect(ns, path_of("/seq/%" PRIu64 ".json", s1), doc);

    /* JSON Pointer walks */
    char p[256];
    snprintf(p, sizeof(p), "/seq/%" PRIu64 ".json", s1);
    struct {
        const char *suffix, *want;
    } walks[] = {
        {"/a/b/c", "42"},
        {"/user/name", "\"alice\""},
        {"/k.d", "1"},        /* a key with a dot: the exact child wins */
        {"/x~1y", "2"},       /* ~1 is '/' */
        {"/t~0", "3"},        /* ~0 is '~' */
        {"/日本", "\"yes\""}, /* unicode, escaped in the document */
        {"/arr/1/0", "2"},
        {"/arr/2/z", "null"},
        {"/e//f", "true"},         /* an empty segment is the key "" after .json */
        {"/a.flat", "\"exact\""},  /* a child named like a transform wins */
        {"/a/b.flat", "c = 42\n"}, /* no such child: the transform */
        {"/user/", "{\"name\":\"alice\"}"},
    };
    for (size_t i = 0; i < sizeof(walks) / sizeof(walks[0]); i++) {
        char full[300];
        snprintf(full, sizeof(full), "%s%s", p, walks[i].suffix);
        expect(ns, full, walks[i].want);
    }
    snprintf(want, sizeof(want), "%s", "a/ user/ k.d x~1y t~0 日本 arr/ e/ a.flat");
    expect_list(ns, p, want);
    char arr[300];
    snprintf(arr, sizeof(arr), "%s/arr", p);
    expect_list(ns, arr, "0 1/ 2/");

    /* .flat, .env, .raw, .proof */
    expect(ns, path_of("/seq/%" PRIu64 ".json/arr.flat", s1),
           "[0] = 1\n[1][0] = 2\n[1][1] = 3\n[2].z = null\n");
    expect(ns, path_of("/seq/%" PRIu64 ".env/topic", s1), "\"app\"");
    expect(ns, path_of("/seq/%" PRIu64 ".env/kind", s1), "\"data\"");
    expect(ns, path_of("/seq/%" PRIu64 ".env/json", s2), "false");
    char *env = get(ns, path_of("/seq/%" PRIu64 ".env", s3));
    assert_non_null(strstr(env, "\"seq\":3,"));
    assert_non_null(strstr(env, "\"pid\":"));
    ltl_free(env);
    void *raw = NULL;
    size_t raw_len = 0;
    assert_int_equal(ltl_ns_read(&raw, &raw_len, ns, path_of("/seq/%" PRIu64 ".raw", s2)), LTL_OK);
    assert_int_equal(raw_len, 32 + 3 + 10); /* body header, topic "web", payload */
    assert_memory_equal((char *)raw + 32, "webplain text", 13);
    ltl_free(raw);
    expect_rc(ns, path_of("/seq/%" PRIu64 ".proof", s1), LTL_ENOTFOUND); /* no checkpoint yet */
    char *cp = NULL;
    assert_int_equal(ltl_checkpoint(&cp, db), LTL_OK);
    char *proof = get(ns, path_of("/seq/%" PRIu64 ".proof", s1));
    assert_non_null(strstr(proof, "c2sp.org/tlog-proof@v1"));
    char *checked = NULL;
    ltl_error err;
    assert_int_equal(
        ltl_proof_check(&checked, &err, proof, strlen(proof), NULL, 0, doc, strlen(doc)), LTL_OK);
    ltl_free(checked);
    ltl_free(proof);

    /* /checkpoints */
    expect_list(ns, "/checkpoints/", "0 latest");
    expect(ns, "/checkpoints/latest", cp);
    expect(ns, "/checkpoints/0", cp);
    expect_rc(ns, "/checkpoints/1", LTL_ENOTFOUND);
    ltl_free(cp);

    /* /query */
    snprintf(want, sizeof(want), "%" PRIu64, s3);
    expect_list(ns, "/query/status >= 500/", want);
    expect(ns, path_of("/query/status >= 500/%" PRIu64 ".json/status", s3), "500");
    expect_rc(ns, path_of("/query/status >= 500/%" PRIu64, s1), LTL_ENOTFOUND);
    expect_rc(ns, "/query/status >= (/", LTL_EPARSE);
    assert_non_null(strstr(ltl_ns_errmsg(ns), "column"));
    expect_list(ns, "/query/", "");

    /* the stat of a record frame */
    ltl_ns_node *node = NULL;
    assert_int_equal(ltl_ns_lookup(&node, ns, path_of("/seq/%" PRIu64 ".json/a/b/c", s1)), LTL_OK);
    ltl_ns_stat st;
    assert_int_equal(ltl_ns_node_stat(&st, node), LTL_OK);
    assert_int_equal(st.kind, LTL_NS_FILE);
    assert_int_equal(st.seq, s1);
    assert_int_equal(st.changes, 0);
    assert_true(st.mtime > 0);
    assert_string_equal(st.module, "json");
    ltl_ns_node_release(node);
    assert_int_equal(ltl_ns_lookup(&node, ns, "/seq/"), LTL_OK);
    assert_int_equal(ltl_ns_node_stat(&st, node), LTL_OK);
    assert_int_equal(st.kind, LTL_NS_DIR);
    assert_int_equal(st.changes, 1);
    assert_int_equal(st.entries, s3 + 1);
    const void *data;
    size_t len;
    assert_int_equal(ltl_ns_node_data(&data, &len, node), LTL_EINVAL);
    ltl_ns_node_release(node);

    ltl_ns_close(ns);
    ltl_close(db);
}

static void test_paths_module(void **state)
{
    (void)state;
    char *dir = tmpdir();
    ltl_db *db = open_store(dir, "index.enabled=on");
    put(db, "t", "{\"a\":1,\"b\":{\"c\":2},\"s/l\":3}");
    put(db, "t", "{\"a\":5}");
    assert_int_equal(ltl_reindex(db, NULL, NULL), LTL_OK);
    ltl_ns *ns = open_ns(db, 0);
    expect_list(ns, "/paths/", "[\"s~1l\"] a b.c");
    expect(ns, "/paths/a", "2\n");
    expect(ns, "/paths/[\"s~1l\"]", "1\n");
    put(db, "t", "{\"a\":7,\"new\":1}");
    assert_int_equal(ltl_reindex(db, NULL, NULL), LTL_OK);
    expect(ns, "/paths/a", "3\n"); /* follows the index */
    expect_list(ns, "/paths/", "[\"s~1l\"] a b.c new");
    ltl_ns_close(ns);
    ltl_close(db);
}

/* ---- sync and the counters ------------------------------------------------------------ */

static void test_sync(void **state)
{
    (void)state;
    char *dir = tmpdir();
    ltl_db *db = open_store(dir, NULL);
    uint64_t s1 = put(db, "app", "{\"n\":1}");
    ltl_ns *ns = open_ns(db, 0);
    char want[64];
    snprintf(want, sizeof(want), "0 %" PRIu64, s1);
    expect_list(ns, "/seq/", want);
    expect(ns, path_of("/seq/%" PRIu64 ".json/n", s1), "1");
    ltl_ns_stats a = stats(ns);
    assert_true(a.produced > 0);

    /* the same lookups again: all from the cache, nothing produced */
    expect(ns, path_of("/seq/%" PRIu64 ".json/n", s1), "1");
    ltl_ns_stats b = stats(ns);
    assert_int_equal(b.produced, a.produced);
    assert_true(b.hits >= a.hits + 3);
    assert_int_equal(b.resyncs, a.resyncs);

    /* an append: the listings move, the record frames stay */
    uint64_t s2 = put(db, "app", "{\"n\":2}");
    uint64_t s3 = put(db, "other", "{\"n\":3}");
    snprintf(want, sizeof(want), "0 %" PRIu64 " %" PRIu64 " %" PRIu64, s1, s2, s3);
    expect_list(ns, "/seq/", want);
    ltl_ns_stats c = stats(ns);
    assert_int_equal(c.resyncs, b.resyncs + 1);
    assert_int_equal(c.produced, b.produced);
    expect(ns, path_of("/seq/%" PRIu64 ".json/n", s1), "1");
    ltl_ns_stats d = stats(ns);
    assert_int_equal(d.produced, c.produced); /* /seq/s1 and below: not produced again */

    /* a record the listing had before the append is found without re-syncing it
     * (listings only grow); one past the old end makes it sync */
    put(db, "other", "{\"n\":4}");
    ltl_ns_stats d2 = stats(ns);
    expect(ns, path_of("/seq/%" PRIu64 ".json/n", s2), "2");
    ltl_ns_stats d3 = stats(ns);
    assert_int_equal(d3.resyncs, d2.resyncs);
    assert_true(d3.produced > d2.produced);
    expect(ns, path_of("/seq/%" PRIu64 "", s3 + 1), "{\"n\":4}");
    ltl_ns_stats d4 = stats(ns);
    assert_int_equal(d4.resyncs, d3.resyncs + 1);
    /* a name that can never be a seq needs no re-sync either */
    put(db, "other", "{\"n\":4.5}");
    expect(ns, path_of("/seq/%" PRIu64 ".json/n", s3), "3");
    expect_rc(ns, "/seq/x1", LTL_ENOTFOUND);
    assert_int_equal(stats(ns).resyncs, d4.resyncs);

    /* topics follow too, incrementally */
    expect_list(ns, "/topics/", "_ltl/ app/ other/");
    put(db, "late", "x");
    expect_list(ns, "/topics/", "_ltl/ app/ late/ other/");
    snprintf(want, sizeof(want), "%" PRIu64 " %" PRIu64, s1, s2);
    expect_list(ns, "/topics/app/", want);
    uint64_t s5 = put(db, "app", "{\"n\":5}");
    snprintf(want, sizeof(want), "%" PRIu64 " %" PRIu64 " %" PRIu64, s1, s2, s5);
    expect_list(ns, "/topics/app/", want);

    /* a node keeps the content it was resolved with */
    ltl_ns_node *node;
    assert_int_equal(ltl_ns_lookup(&node, ns, "/seq/"), LTL_OK);
    put(db, "app", "{\"n\":6}");
    ltl_ns_stat st;
    assert_int_equal(ltl_ns_node_stat(&st, node), LTL_OK);
    assert_int_equal(st.entries, s5 + 1);
    ltl_ns_node_release(node);
    assert_int_equal(ltl_ns_lookup(&node, ns, "/seq/"), LTL_OK);
    assert_int_equal(ltl_ns_node_stat(&st, node), LTL_OK);
    assert_int_equal(st.entries, s5 + 2);
    assert_int_equal(st.generation, s5 + 2);
    ltl_ns_node_release(node);

    ltl_ns_close(ns);
    ltl_close(db);
}

/* ---- negative caching ------------------------------------------------------------------ */

static void test_negative(void **state)
{
    (void)state;
    char *dir = tmpdir();
    ltl_db *db = open_store(dir, NULL);
    uint64_t s1 = put(db, "app", "{\"n\":1}");
    ltl_ns *ns = open_ns(db, 0);
    char *next = strdup(path_of("/seq/%" PRIu64 ".json/n", s1 + 1));

    expect_rc(ns, next, LTL_ENOTFOUND);
    ltl_ns_stats a = stats(ns);
    expect_rc(ns, next, LTL_ENOTFOUND);
    ltl_ns_stats b = stats(ns);
    assert_int_equal(b.negative_hits, a.negative_hits + 1);
    assert_int_equal(b.produced, a.produced);

    /* the record arrives: the miss was for an older log end */
    put(db, "app", "{\"n\":2}");
    expect(ns, next, "2");
    ltl_ns_stats c = stats(ns);
    assert_true(c.produced > b.produced);

    /* a miss inside a record never changes: still a negative hit after appends */
    char *nokey = strdup(path_of("/seq/%" PRIu64 ".json/nokey", s1));
    expect_rc(ns, nokey, LTL_ENOTFOUND);
    assert_non_null(strstr(ltl_ns_errmsg(ns), "no 'nokey' in /seq/"));
    put(db, "app", "{\"n\":3}");
    ltl_ns_stats d = stats(ns);
    expect_rc(ns, nokey, LTL_ENOTFOUND);
    ltl_ns_stats e = stats(ns);
    assert_int_equal(e.negative_hits, d.negative_hits + 1);
    assert_int_equal(e.produced, d.produced);
    /* a name that is never a seq is a fixed miss too */
    expect_rc(ns, "/seq/007", LTL_ENOTFOUND);
    expect_rc(ns, "/seq/nope", LTL_ENOTFOUND);
    expect_rc(ns, "/nope", LTL_ENOTFOUND);
    free(next);
    free(nokey);
    ltl_ns_close(ns);
    ltl_close(db);
}

/* ---- the cache bound --------------------------------------------------------------------- */

static void test_bound(void **state)
{
    (void)state;
    char *dir = tmpdir();
    ltl_db *db = open_store(dir, NULL);
    enum { N = 2000 };
    char msg[200];
    for (int i = 0; i < N; i++) {
        snprintf(msg, sizeof(msg), "{\"a\":{\"b\":{\"c\":%d}},\"pad\":\"%080d\"}", i, i);
        put(db, "t", msg);
    }
    const uint64_t bound = 64 << 10;
    ltl_ns *ns = open_ns(db, bound);
    for (int round = 0; round < 2; round++) {
        for (uint64_t s = 1; s <= N; s++) {
            char want[16];
            snprintf(want, sizeof(want), "%d", (int)s - 1);
            expect(ns, path_of("/seq/%" PRIu64 ".json/a/b/c", s), want);
            ltl_ns_stats st = stats(ns);
            /* one lookup's frames may be held above the bound until the next one */
            assert_true(st.bytes <= bound + 4096);
        }
    }
    ltl_ns_stats st = stats(ns);
    assert_true(st.evictions > 0);
    assert_true(st.peak_bytes <= bound + 4096);
    assert_int_equal(st.bound, bound);
    /* what was evicted is made again, and right */
    expect(ns, "/seq/1.json/a/b/c", "0");
    ltl_ns_close(ns);
    ltl_close(db);
}

/* ---- unions ------------------------------------------------------------------------------ */

static void test_union(void **state)
{
    (void)state;
    char *da = tmpdir(), *dbb = tmpdir();
    ltl_db *a = open_store(da, NULL), *b = open_store(dbb, NULL);
    uint64_t a1 = put(a, "both", "from a");
    put(a, "only_a", "a only");
    uint64_t b1 = put(b, "both", "from b");
    uint64_t b2 = put(b, "only_b", "b only");
    ltl_ns *ns = open_ns(a, 0);
    char want[64];

    /* after: a's names first, each name once; a lookup tries a, then b */
    assert_int_equal(ltl_ns_bind(ns, "/topics", b, "/topics", LTL_NS_BIND_AFTER), LTL_OK);
    expect_list(ns, "/topics/", "_ltl/ both/ only_a/ only_b/");
    expect(ns, path_of("/topics/both/%" PRIu64, a1), "from a");
    expect(ns, path_of("/topics/only_b/%" PRIu64, b2), "b only");
    expect_rc(ns, path_of("/topics/both/%" PRIu64 "0", b1), LTL_ENOTFOUND);
    /* appends go to the original member when none is bound for create */
    uint64_t seq;
    assert_int_equal(ltl_ns_append(&seq, ns, "/topics/new", "n1", 2, 0), LTL_OK);
    ltl_record *rec;
    assert_int_equal(ltl_get(&rec, a, seq), LTL_OK);
    assert_string_equal(rec->topic, "new");
    ltl_record_free(rec);

    /* a name answered by the later member goes stale when the earlier one gets it */
    snprintf(want, sizeof(want), "%" PRIu64, b2);
    expect_list(ns, "/topics/only_b/", want);
    uint64_t a_late = put(a, "only_b", "now in a too");
    snprintf(want, sizeof(want), "%" PRIu64, a_late);
    expect_list(ns, "/topics/only_b/", want);
    expect(ns, path_of("/topics/only_b/%" PRIu64, a_late), "now in a too");
    ltl_ns_close(ns);

    /* before: b answers first */
    ns = open_ns(a, 0);
    assert_int_equal(ltl_ns_bind(ns, "/topics", b, "/topics", LTL_NS_BIND_BEFORE), LTL_OK);
    expect_list(ns, "/topics/", "_ltl/ both/ only_b/ new/ only_a/");
    snprintf(want, sizeof(want), "%" PRIu64, b1);
    expect_list(ns, "/topics/both/", want);
    ltl_ns_close(ns);

    /* create: appends go to the member bound for create */
    ns = open_ns(a, 0);
    assert_int_equal(
        ltl_ns_bind(ns, "/topics", b, "/topics", LTL_NS_BIND_AFTER | LTL_NS_BIND_CREATE), LTL_OK);
    assert_int_equal(ltl_ns_append(&seq, ns, "/topics/made", "m", 1, 0), LTL_OK);
    assert_int_equal(ltl_get(&rec, b, seq), LTL_OK);
    assert_string_equal(rec->topic, "made");
    assert_memory_equal(rec->data, "m", 1);
    ltl_record_free(rec);
    expect_list(ns, "/topics/made/", path_of("%" PRIu64, seq));
    expect_rc(ns, "/topics/x/y/z", LTL_ENOTFOUND);
    assert_int_equal(ltl_ns_append(&seq, ns, "/seq/1", "m", 1, 0), LTL_EINVAL);
    ltl_ns_close(ns);

    /* a union at the root: one level deep, as in Plan 9 */
    ns = open_ns(a, 0);
    assert_int_equal(ltl_ns_bind(ns, "/", b, "/", LTL_NS_BIND_AFTER), LTL_OK);
    expect_list(ns, "/", "checkpoints/ manifests/ paths/ query/ seq/ topics/");
    expect_rc(ns, "/topics/made/", LTL_ENOTFOUND); /* a's /topics answers alone */
    assert_int_equal(ltl_ns_append(&seq, ns, "/seq", "d", 1, 0), LTL_OK);
    assert_int_equal(ltl_get(&rec, a, seq), LTL_OK); /* the original member */
    assert_string_equal(rec->topic, "default");
    ltl_record_free(rec);
    /* a frame of the namespace itself bound elsewhere */
    assert_int_equal(ltl_ns_bind(ns, "/query", NULL, "/topics", LTL_NS_BIND_REPLACE), LTL_OK);
    expect_list(ns, "/query/", "_ltl/ both/ default/ new/ only_a/ only_b/");
    assert_int_equal(ltl_ns_bind(ns, "/topics", NULL, "/topics", LTL_NS_BIND_AFTER), LTL_EINVAL);
    assert_int_equal(ltl_ns_bind(ns, "/topics", NULL, "/seq/1", LTL_NS_BIND_AFTER), LTL_EINVAL);
    assert_int_equal(ltl_ns_bind(ns, "/topics", b, "/", 8), LTL_EINVAL);
    assert_int_equal(ltl_ns_bind(ns, "/nope", b, "/", LTL_NS_BIND_AFTER), LTL_ENOTFOUND);
    ltl_ns_close(ns);
    ltl_close(a);
    ltl_close(b);
}

/* ---- modules from outside: cascade, find and map ------------------------------------------------
 */

static int up_transform(void *ctx, ltl_ns_sink *out, const void *data, size_t len)
{
    (void)ctx;
    const char *s = data;
    for (size_t i = 0; i < len; i++) {
        char c = s[i] >= 'a' && s[i] <= 'z' ? (char)(s[i] - 32) : s[i];
        if (out->write(out, &c, 1))
            return LTL_ENOMEM;
    }
    return LTL_OK;
}

static const ltl_module_v1 up_module = {LTL_MODULE_VERSION, "up", "upper case", NULL,
                                        up_transform,       NULL, NULL,         NULL};

/* "json" of our own, registered lower down: the cascade prefers it there */
static int fake_json(void *ctx, ltl_ns_sink *out, const void *data, size_t len)
{
    (void)ctx;
    (void)data;
    (void)len;
    return out->write(out, "fake", 4);
}

static int unloaded;
static void count_unload(void *ctx)
{
    (void)ctx;
    unloaded++;
}

static const ltl_module_v1 fake_json_module = {
    LTL_MODULE_VERSION, "json", "not JSON", NULL, fake_json, NULL, NULL, count_unload};

/* kv: "k=v" lines become a directory: find gives a value, map the keys */
static int kv_transform(void *ctx, ltl_ns_sink *out, const void *data, size_t len)
{
    (void)ctx;
    if (!memchr(data, '=', len))
        return out->error(out, LTL_EINVAL, "no k=v line");
    out->set_kind(out, LTL_NS_DIR);
    return out->write(out, data, len);
}

static int kv_find(void *ctx, ltl_ns_sink *out, const void *data, size_t len, const char *name)
{
    (void)ctx;
    const char *s = data, *end = s + len;
    size_t n = strlen(name);
    while (s < end) {
        const char *nl = memchr(s, '\n', (size_t)(end - s));
        const char *e = nl ? nl : end, *eq = memchr(s, '=', (size_t)(e - s));
        if (eq && (size_t)(eq - s) == n && memcmp(s, name, n) == 0)
            return out->write(out, eq + 1, (size_t)(e - eq - 1));
        s = e + 1;
    }
    return LTL_ENOTFOUND;
}

static int kv_map(void *ctx, ltl_ns_sink *out, const void *data, size_t len)
{
    (void)ctx;
    const char *s = data, *end = s + len;
    char name[64];
    while (s < end) {
        const char *nl = memchr(s, '\n', (size_t)(end - s));
        const char *e = nl ? nl : end, *eq = memchr(s, '=', (size_t)(e - s));
        if (eq && (size_t)(eq - s) < sizeof(name)) {
            memcpy(name, s, (size_t)(eq - s));
            name[eq - s] = '\0';
            int rc = out->entry(out, name, LTL_NS_FILE);
            if (rc)
                return rc;
        }
        s = e + 1;
    }
    return LTL_OK;
}

static const ltl_module_v1 kv_module = {LTL_MODULE_VERSION, "kv",    "k=v lines", NULL,
                                        kv_transform,       kv_find, kv_map,      NULL};

static void test_cascade(void **state)
{
    (void)state;
    char *dir = tmpdir();
    ltl_db *db = open_store(dir, NULL);
    uint64_t s1 = put(db, "app", "hello");
    uint64_t s2 = put(db, "web", "{\"w\":1}");
    uint64_t s3 = put(db, "app", "k=v\nname=ltl\n");
    ltl_ns *ns = open_ns(db, 0);
    expect_rc(ns, path_of("/seq/%" PRIu64 ".up", s1), LTL_ENOTFOUND);

    /* registered at /topics/app: applies there and below, not elsewhere */
    assert_int_equal(ltl_ns_register(ns, "/topics/app", &up_module), LTL_OK);
    expect(ns, path_of("/topics/app/%" PRIu64 ".up", s1), "HELLO");
    expect_rc(ns, path_of("/seq/%" PRIu64 ".up", s1), LTL_ENOTFOUND);
    assert_int_equal(ltl_ns_register(ns, "/topics/app", &up_module), LTL_EEXIST);

    /* a module registered lower down shadows the built-in of that name */
    assert_int_equal(ltl_ns_register(ns, "/topics/web", &fake_json_module), LTL_OK);
    expect(ns, path_of("/topics/web/%" PRIu64 ".json", s2), "fake");
    expect(ns, path_of("/seq/%" PRIu64 ".json", s2), "{\"w\":1}");

    /* registered at "/": everywhere, after what ancestors registered */
    assert_int_equal(ltl_ns_register(ns, "/", &kv_module), LTL_OK);
    expect(ns, path_of("/seq/%" PRIu64 ".kv/name", s3), "ltl");
    expect_list(ns, path_of("/seq/%" PRIu64 ".kv", s3), "k name");
    expect_rc(ns, path_of("/seq/%" PRIu64 ".kv/nokey", s3), LTL_ENOTFOUND);
    expect_rc(ns, path_of("/seq/%" PRIu64 ".kv", s1), LTL_EINVAL);
    assert_non_null(strstr(ltl_ns_errmsg(ns), "module kv: no k=v line"));
    /* transforms chain */
    expect(ns, path_of("/topics/app/%" PRIu64 ".kv/name.up", s3), "LTL");

    /* bad modules */
    ltl_module_v1 bad = kv_module;
    bad.version = 2;
    assert_int_equal(ltl_ns_register(ns, "/", &bad), LTL_EINVAL);
    bad = kv_module;
    bad.name = "Bad.Name";
    assert_int_equal(ltl_ns_register(ns, "/", &bad), LTL_EINVAL);
    bad = kv_module;
    bad.name = "nox";
    bad.transform = NULL;
    assert_int_equal(ltl_ns_register(ns, "/", &bad), LTL_EINVAL);
    assert_int_equal(ltl_ns_register(ns, path_of("/seq/%" PRIu64, s1), &up_module), LTL_EINVAL);
    unloaded = 0;
    ltl_ns_close(ns);
    assert_int_equal(unloaded, 1);
    ltl_close(db);
}

/* The example plugin (examples/csv), built next to the tests. */
static void test_plugin_so(void **state)
{
    (void)state;
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 64);
    assert_true(n > 0);
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    strcpy(slash, "/../examples/ltl_csv.so");
    if (access(exe, R_OK) != 0)
        fail_msg("%s is missing: the build makes it before this test (tests/ns)", exe);
    char *dir = tmpdir();
    ltl_db *db = open_store(dir, NULL);
    uint64_t s1 =
        put(db, "t", "[{\"a\":1,\"b\":\"x,y\"},{\"b\":\"q\\\"\",\"c\":[1]},{\"a\":null}]");
    uint64_t s2 = put(db, "t", "[1,2]");
    ltl_ns_options o = LTL_NS_OPTIONS_INIT;
    o.modules = exe;
    ltl_ns *ns = NULL;
    int rc = ltl_ns_open(&ns, db, &o);
    if (rc)
        fail_msg("open with %s: %s", exe, ltl_ns_errmsg(ns));
    expect(ns, path_of("/seq/%" PRIu64 ".csv", s1), "a,b,c\n1,\"x,y\",\n,\"q\"\"\",[1]\n,,\n");
    expect_rc(ns, path_of("/seq/%" PRIu64 ".csv", s2), LTL_EINVAL);
    assert_non_null(strstr(ltl_ns_errmsg(ns), "module csv: needs a JSON object"));
    ltl_ns_close(ns);

    /* registered at a path only */
    char spec[PATH_MAX + 32];
    snprintf(spec, sizeof(spec), "%s@/topics", exe);
    o.modules = spec;
    assert_int_equal(ltl_ns_open(&ns, db, &o), LTL_OK);
    expect(ns, path_of("/topics/t/%" PRIu64 ".csv", s1), "a,b,c\n1,\"x,y\",\n,\"q\"\"\",[1]\n,,\n");
    expect_rc(ns, path_of("/seq/%" PRIu64 ".csv", s1), LTL_ENOTFOUND);
    ltl_ns_close(ns);

    /* what cannot be loaded is a config error that says why */
    o.modules = "/no/such/module.so";
    rc = ltl_ns_open(&ns, db, &o);
    assert_int_equal(rc, LTL_ECONFIG);
    assert_non_null(strstr(ltl_ns_errmsg(ns), "/no/such/module.so"));
    ltl_ns_close(ns);
    o.modules = "/proc/self/exe"; /* no ltl_module symbol */
    assert_int_equal(ltl_ns_open(&ns, db, &o), LTL_ECONFIG);
    ltl_ns_close(ns);
    ltl_close(db);
}

/* ---- paths --------------------------------------------------------------------------------- */

static void test_path_edges(void **state)
{
    (void)state;
    char *dir = tmpdir();
    ltl_db *db = open_store(dir, NULL);
    uint64_t s1 = put(db, "t", "{\"a\":{\"b\":1},\"..\":2}");
    ltl_ns *ns = open_ns(db, 0);
    char p[256];
    /* empty segments outside JSON, "." and ".." on the text, ".." at the root */
    snprintf(p, sizeof(p), "//seq//%" PRIu64 ".json/./a/b", s1);
    expect(ns, p, "1");
    snprintf(p, sizeof(p), "/../../seq/%" PRIu64 ".json/a/../a/b", s1);
    expect(ns, p, "1");
    snprintf(p, sizeof(p), "/topics/../seq/x/../%" PRIu64 ".json/a//../a/b", s1);
    expect(ns, p, "1");
    expect_list(ns, "/..", "checkpoints/ manifests/ paths/ query/ seq/ topics/");
    /* a trailing '/' asks for a directory */
    snprintf(p, sizeof(p), "/seq/%" PRIu64 "/", s1);
    expect_rc(ns, p, LTL_ENOTFOUND);
    assert_non_null(strstr(ltl_ns_errmsg(ns), "is a file, not a directory"));
    snprintf(p, sizeof(p), "/seq/%" PRIu64 "/x", s1);
    expect_rc(ns, p, LTL_ENOTFOUND);
    /* malformed */
    expect_rc(ns, "seq/1", LTL_EINVAL);
    expect_rc(ns, "", LTL_EINVAL);
    expect_rc(ns, "/seq/\xff", LTL_EINVAL);
    snprintf(p, sizeof(p), "/seq/%" PRIu64 ".json/~2", s1);
    expect_rc(ns, p, LTL_EINVAL);
    assert_non_null(strstr(ltl_ns_errmsg(ns), "~0 is '~', ~1 is '/'"));
    snprintf(p, sizeof(p), "/seq/%" PRIu64 ".json/a~", s1);
    expect_rc(ns, p, LTL_EINVAL);
    /* longer than the limit: a clear error */
    char *longp = malloc(LTL_NS_PATH_MAX + 16);
    memset(longp, 'x', LTL_NS_PATH_MAX + 8);
    longp[0] = '/';
    longp[LTL_NS_PATH_MAX + 8] = '\0';
    expect_rc(ns, longp, LTL_ETOOBIG);
    assert_non_null(strstr(ltl_ns_errmsg(ns), "4096"));
    /* exactly at the limit is a path like any other */
    longp[LTL_NS_PATH_MAX] = '\0';
    expect_rc(ns, longp, LTL_ENOTFOUND);
    /* many segments */
    for (int i = 0; i < LTL_NS_PATH_MAX / 2; i++) {
        longp[2 * i] = '/';
        longp[2 * i + 1] = 'a';
    }
    longp[LTL_NS_PATH_MAX] = '\0';
    expect_rc(ns, longp, LTL_ENOTFOUND);
    free(longp);
    /* not JSON, transforms that do not apply */
    uint64_t s2 = put(db, "t", "text");
    snprintf(p, sizeof(p), "/seq/%" PRIu64 ".json", s2);
    expect_rc(ns, p, LTL_EINVAL);
    assert_non_null(strstr(ltl_ns_errmsg(ns), "is not JSON"));
    snprintf(p, sizeof(p), "/seq/%" PRIu64 ".json/a.env", s1);
    expect_rc(ns, p, LTL_EINVAL);
    expect_rc(ns, "/seq.json", LTL_EINVAL);
    expect_rc(ns, "/checkpoints/latest", LTL_ENOTFOUND);
    expect_rc(ns, "/topics/", LTL_EINVAL); /* ltl_ns_read of a directory without data */
    ltl_ns_close(ns);
    ltl_close(db);
}

/* Every listed name is a path segment that leads back to its entry, and a file name:
 * the keys "", "." and ".." are listed as ~e, ~. and ~.. (a segment "." or ".." is
 * resolved on the text, an empty one is not a file name), a byte that is not UTF-8 as
 * ~xHH; a key holding a NUL has no name and is not listed. */
static void test_listed_names(void **state)
{
    (void)state;
    char *dir = tmpdir();
    ltl_db *db = open_store(dir, "index.enabled=on");
    uint64_t s1 = put(db, "t",
                      "{\"..\":1,\".\":2,\"\":3,\"a/b\":4,\"~\":5,\"n\\u0000ul\":6,\"n\":0,"
                      "\"s\\ud800x\":7,\"...\":8,\".a\":9,\"x\":{\"..\":{\"\":10}}}");
    put(db, "t", "42"); /* a scalar: the index's root path "" */
    assert_int_equal(ltl_reindex(db, NULL, NULL), LTL_OK);
    ltl_ns *ns = open_ns(db, 0);
    char p[256];
    snprintf(p, sizeof(p), "/seq/%" PRIu64 ".json", s1);
    expect_list(ns, p, "~.. ~. ~e a~1b ~0 n s~xed~xa0~x80x ... .a x/");
    const struct {
        const char *name, *want;
    } names[] = {
        {"~..", "1"},  {"~.", "2"}, {"~e", "3"},
        {"a~1b", "4"}, {"~0", "5"}, {"n", "0"},
        {"...", "8"},  {".a", "9"}, {"s~xed~xa0~x80x", "7"},
        {"~x2e", "2"}, /* not how listings write it, but the same byte */
    };
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        char full[300];
        snprintf(full, sizeof(full), "%s/%s", p, names[i].name);
        if (strcmp(names[i].name, "~x2e") == 0) {
            expect_rc(ns, full, LTL_EINVAL); /* ~xHH is for bytes 80 to ff only */
            continue;
        }
        expect(ns, full, names[i].want);
    }
    snprintf(p, sizeof(p), "/seq/%" PRIu64 ".json/x/~../~e", s1);
    expect(ns, p, "10");
    /* ".." still goes up (and a trailing "//" could not name the key "": ~e can) */
    snprintf(p, sizeof(p), "/seq/%" PRIu64 ".json/x/../~.", s1);
    expect(ns, p, "2");
    /* no name reaches the key with a NUL: not "n" (a different key), not ~x00 */
    snprintf(p, sizeof(p), "/seq/%" PRIu64 ".json/n~x00ul", s1);
    expect_rc(ns, p, LTL_EINVAL);
    /* /paths/: the root path "" of a scalar is listed as ~e, and reads */
    char buf[4096] = "";
    assert_int_equal(ltl_ns_list(ns, "/paths/", collect, buf), LTL_OK);
    assert_non_null(strstr(buf, "~e"));
    expect(ns, "/paths/~e", "1\n");
    ltl_ns_close(ns);
    ltl_close(db);
}

/* ---- every allocation failing in turn ------------------------------------------------------- */

static const char *const alloc_paths[] = {"/seq/1.json/a/b",  "/seq/1.flat", "/seq/1.env/topic",
                                          "/topics/t/1.json", "/seq/9",      "/seq/1.raw"};

static int run_alloc_sequence(ltl_db *db)
{
    ltl_ns *ns = NULL;
    ltl_ns_options o = LTL_NS_OPTIONS_INIT;
    o.flags = LTL_NS_NO_PLUGINS;
    int rc = ltl_ns_open(&ns, db, &o);
    for (size_t i = 0; rc == LTL_OK && i < sizeof(alloc_paths) / sizeof(alloc_paths[0]); i++) {
        void *data = NULL;
        size_t len;
        rc = ltl_ns_read(&data, &len, ns, alloc_paths[i]);
        ltl_free(data);
        if (rc == LTL_ENOTFOUND && strcmp(alloc_paths[i], "/seq/9") == 0)
            rc = LTL_OK;
    }
    if (rc == LTL_OK) {
        char buf[4096] = "";
        rc = ltl_ns_list(ns, "/topics/", collect, buf);
    }
    if (rc == LTL_OK)
        rc = ltl_ns_bind(ns, "/topics", NULL, "/seq", LTL_NS_BIND_AFTER);
    if (rc == LTL_OK) {
        char buf[4096] = "";
        rc = ltl_ns_list(ns, "/topics/", collect, buf);
    }
    ltl_ns_close(ns);
    return rc;
}

static void test_out_of_memory(void **state)
{
    (void)state;
    char *dir = tmpdir();
    ltl_db *db = open_store(dir, NULL);
    put(db, "t", "{\"a\":{\"b\":[1,2]}}");
    /* once with enough memory: what the store caches for itself (manifests,
     * segment indexes) is made now, not inside the loop */
    assert_int_equal(run_alloc_sequence(db), LTL_OK);
    for (long n = 1;; n++) {
        tu_alloc_install(n, false);
        int rc = run_alloc_sequence(db);
        long live = tu_alloc_live();
        tu_alloc_uninstall();
        if (live != 0)
            fail_msg("allocation %ld failing: %ld allocations left", n, live);
        if (rc == LTL_OK)
            break;
        if (rc != LTL_ENOMEM)
            fail_msg("allocation %ld failing: %s", n, ltl_strerror(rc));
        assert_true(n < 5000);
    }
    ltl_close(db);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_modules, teardown),
        cmocka_unit_test_teardown(test_paths_module, teardown),
        cmocka_unit_test_teardown(test_sync, teardown),
        cmocka_unit_test_teardown(test_negative, teardown),
        cmocka_unit_test_teardown(test_bound, teardown),
        cmocka_unit_test_teardown(test_union, teardown),
        cmocka_unit_test_teardown(test_cascade, teardown),
        cmocka_unit_test_teardown(test_plugin_so, teardown),
        cmocka_unit_test_teardown(test_path_edges, teardown),
        cmocka_unit_test_teardown(test_listed_names, teardown),
        cmocka_unit_test_teardown(test_out_of_memory, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
