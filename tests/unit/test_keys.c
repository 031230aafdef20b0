/* SPDX-License-Identifier: MIT */
/*
 * test_keys.c — read keys are enforced, through the public API: a sealed
 * record is never handed out as if its ciphertext were the message (cursors,
 * ltl_get, queries, formats, the namespace say LTL_EKEY, naming the record
 * and the key it needs; LTL_CURSOR_ENVELOPE lists envelopes), a writer
 * without the store's read key or with another one is refused before it
 * writes anything, the key changes only through ltl_keys_rotate_read() (a
 * record in _ltl), after which keys.read lists the new key and the old one
 * and every record reads back; and verify says whether a check key is set.
 */
#include "testutil.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A store directory and two read key files in a fresh temporary directory. */
struct fixture {
    char *dir;
    char *store;
    char *k1, *k2;
    char id1[9], id2[9];
};

/* The id field of a read key file ("LTL+READ+KEY+name+id+base64"). */
static void key_id(const char *path, char out[9])
{
    size_t len;
    char *text = tu_read_file(path, &len);
    assert_non_null(text);
    const char *p = text;
    for (int field = 0; field < 4; field++) {
        p = strchr(p, '+');
        assert_non_null(p);
        p++;
    }
    memcpy(out, p, 8);
    out[8] = '\0';
    free(text);
}

static void fixture_init(struct fixture *f)
{
    f->dir = tu_tmpdir();
    f->store = tu_path(f->dir, "store");
    f->k1 = tu_path(f->dir, "one.rkey");
    f->k2 = tu_path(f->dir, "two.rkey");
    ltl_error err;
    assert_int_equal(ltl_keygen_read(&err, "one", f->k1), LTL_OK);
    assert_int_equal(ltl_keygen_read(&err, "two", f->k2), LTL_OK);
    key_id(f->k1, f->id1);
    key_id(f->k2, f->id2);
}

static void fixture_free(struct fixture *f)
{
    free(f->dir);
    free(f->store);
    free(f->k1);
    free(f->k2);
}

/* Open the store with keys.read set to `keys` (NULL: unset; a list is written
 * "a\\,b" as the override syntax wants); rc is what ltl_open must return. */
static ltl_db *open_with(const struct fixture *f, unsigned flags, const char *keys, int want_rc)
{
    char config[4096];
    snprintf(config, sizeof(config), "keys.read=%s", keys ? keys : "");
    ltl_options opts = LTL_OPTIONS_INIT;
    opts.flags = flags | LTL_OPEN_NO_ENV;
    opts.config = config;
    ltl_db *db = NULL;
    int rc = ltl_open(&db, f->store, &opts);
    if (rc != want_rc)
        fail_msg("open with keys.read=%s: %s: %s", keys ? keys : "", ltl_strerror(rc),
                 ltl_errmsg(db));
    if (rc != LTL_OK) {
        ltl_close(db);
        return NULL;
    }
    return db;
}

static ltl_db *open_ok(const struct fixture *f, unsigned flags, const char *keys)
{
    return open_with(f, flags, keys, LTL_OK);
}

static uint64_t append(ltl_db *db, const char *text, unsigned flags)
{
    uint64_t seq = 0;
    int rc = ltl_append(&seq, db, NULL, text, strlen(text), flags);
    if (rc != LTL_OK)
        fail_msg("append %s: %s: %s", text, ltl_strerror(rc), ltl_errmsg(db));
    return seq;
}

static uint64_t records(ltl_db *db)
{
    ltl_info info;
    assert_int_equal(ltl_stat(&info, db), LTL_OK);
    return info.records;
}

static void assert_contains(const char *text, const char *part)
{
    if (!strstr(text, part))
        fail_msg("'%s' does not contain '%s'", text, part);
}

/* A store whose records 1 and 2 are sealed with key one. */
static void sealed_store(struct fixture *f, uint64_t *s1, uint64_t *s2)
{
    fixture_init(f);
    ltl_db *db = open_ok(f, LTL_OPEN_CREATE, f->k1);
    *s1 = append(db, "hello", 0);
    *s2 = append(db, "{\"a\":1}", LTL_APPEND_JSON);
    assert_int_equal(ltl_close(db), LTL_OK);
}

static void reading_without_the_key_is_refused(void **state)
{
    (void)state;
    struct fixture f;
    uint64_t s1, s2;
    sealed_store(&f, &s1, &s2);
    char want[160];
    snprintf(want, sizeof(want),
             "record %" PRIu64
             " is encrypted; keys.read is not set (it was sealed with read key %s)",
             s1, f.id1);
    ltl_db *db = open_ok(&f, LTL_OPEN_READONLY, NULL);

    /* a cursor, both ways */
    for (int reverse = 0; reverse < 2; reverse++) {
        ltl_cursor_options co = LTL_CURSOR_OPTIONS_INIT;
        co.flags = reverse ? LTL_CURSOR_REVERSE : 0;
        ltl_cursor *cur;
        const ltl_record *rec;
        assert_int_equal(ltl_cursor_open(&cur, db, &co), LTL_OK);
        assert_int_equal(ltl_cursor_next(&rec, cur), LTL_EKEY);
        snprintf(want, sizeof(want), "record %" PRIu64 " is encrypted; keys.read is not set",
                 reverse ? s2 : s1);
        assert_contains(ltl_errmsg(db), want);
        assert_contains(ltl_errmsg(db), f.id1);
        ltl_cursor_close(cur);
    }

    /* ltl_get */
    ltl_record *got = NULL;
    assert_int_equal(ltl_get(&got, db, s2), LTL_EKEY);
    assert_null(got);
    assert_contains(ltl_errmsg(db), "is encrypted; keys.read is not set");

    /* queries, by index and by scan: no answer without the records */
    for (int scan = 0; scan < 2; scan++) {
        ltl_query_options qo;
        ltl_query_options_init(&qo);
        qo.flags = scan ? LTL_QUERY_NO_INDEX : 0;
        ltl_query *q;
        const ltl_record *rec;
        assert_int_equal(ltl_query_open(&q, db, "@seq >= 0", &qo), LTL_OK);
        assert_int_equal(ltl_query_next(&rec, q), LTL_EKEY);
        assert_contains(ltl_errmsg(db), "is encrypted; keys.read is not set (it was sealed");
        ltl_query_close(q);
    }

    /* a query that reads envelopes only: matched on them, unless a term reads the payload */
    for (int payload = 0; payload < 2; payload++) {
        ltl_query_options qo;
        ltl_query_options_init(&qo);
        qo.flags = LTL_QUERY_ENVELOPE | LTL_QUERY_NO_INDEX;
        ltl_query *q;
        const ltl_record *rec;
        assert_int_equal(ltl_query_open(&q, db, payload ? "a == 1" : "@seq >= 0", &qo), LTL_OK);
        if (payload) {
            assert_int_equal(ltl_query_next(&rec, q), LTL_EKEY);
            assert_contains(ltl_errmsg(db), "is encrypted; keys.read is not set (it was sealed");
        } else {
            uint64_t n = 0;
            while (ltl_query_next(&rec, q) == LTL_OK) {
                assert_true(rec->flags & LTL_RECORD_ENCRYPTED);
                n++;
            }
            assert_int_equal(n, 2);
        }
        ltl_query_close(q);
    }

    /* envelopes: listed, flagged, and never formatted as a message */
    ltl_cursor_options co = LTL_CURSOR_OPTIONS_INIT;
    co.flags = LTL_CURSOR_ENVELOPE;
    ltl_cursor *cur;
    const ltl_record *rec;
    assert_int_equal(ltl_cursor_open(&cur, db, &co), LTL_OK);
    char *buf = NULL;
    size_t cap = 0, len = 0;
    uint64_t n = 0;
    while (ltl_cursor_next(&rec, cur) == LTL_OK) {
        n++;
        assert_true(rec->flags & LTL_RECORD_ENCRYPTED);
        assert_false(rec->flags & LTL_RECORD_SEALED);
        assert_true(rec->len == (rec->seq == s1 ? 5 : 7) + 22);
        assert_non_null(rec->manifest);
        assert_string_equal(rec->manifest->read_key, f.id1);
        assert_int_equal(ltl_record_format(&buf, &cap, &len, rec, LTL_FORMAT_RAW), LTL_EKEY);
        assert_int_equal(ltl_record_format(&buf, &cap, &len, rec, LTL_FORMAT_ENVELOPE), LTL_OK);
        assert_contains(buf, "\"encrypted\":true}\n");
        assert_null(strstr(buf, "message"));
        assert_int_equal(ltl_record_format(&buf, &cap, &len, rec, LTL_FORMAT_JSONL), LTL_OK);
        assert_contains(buf, "\"encrypted\":true}\n");
        assert_null(strstr(buf, "message"));
    }
    assert_int_equal(n, 2);
    ltl_cursor_close(cur);
    ltl_close(db);

    /* with the key: the messages, flagged as stored sealed */
    db = open_ok(&f, LTL_OPEN_READONLY, f.k1);
    assert_int_equal(ltl_get(&got, db, s1), LTL_OK);
    assert_int_equal(got->len, 5);
    assert_memory_equal(got->data, "hello", 5);
    assert_true(got->flags & LTL_RECORD_SEALED);
    assert_false(got->flags & LTL_RECORD_ENCRYPTED);
    assert_int_equal(ltl_record_format(&buf, &cap, &len, got, LTL_FORMAT_ENVELOPE), LTL_OK);
    assert_contains(buf, "\"encrypted\":true}\n");
    assert_int_equal(ltl_record_format(&buf, &cap, &len, got, LTL_FORMAT_RAW), LTL_OK);
    assert_int_equal(len, 6);
    ltl_record_free(got);
    ltl_close(db);

    /* with another key: named, with the one it needs */
    db = open_ok(&f, LTL_OPEN_READONLY, f.k2);
    assert_int_equal(ltl_get(&got, db, s1), LTL_EKEY);
    snprintf(want, sizeof(want),
             "record %" PRIu64
             " is encrypted; keys.read holds read key %s, not the one it was sealed with (read "
             "key %s)",
             s1, f.id2, f.id1);
    assert_contains(ltl_errmsg(db), want);
    ltl_close(db);
    ltl_free(buf);
    fixture_free(&f);
}

static int count_entry(void *ctx, const char *name, int kind)
{
    (void)name;
    (void)kind;
    (*(uint64_t *)ctx)++;
    return 0;
}

static void namespace_refuses_payloads_but_shows_envelopes(void **state)
{
    (void)state;
    struct fixture f;
    uint64_t s1, s2;
    sealed_store(&f, &s1, &s2);
    ltl_db *db = open_ok(&f, LTL_OPEN_READONLY, NULL);
    ltl_ns *ns = NULL;
    assert_int_equal(ltl_ns_open(&ns, db, NULL), LTL_OK);
    char path[64];
    void *data = NULL;
    size_t len = 0;
    const char *sealed[] = {"/seq/%" PRIu64, "/seq/%" PRIu64 ".json", "/seq/%" PRIu64 ".flat",
                            "/seq/%" PRIu64 ".json/a"};
    for (size_t i = 0; i < sizeof(sealed) / sizeof(sealed[0]); i++) {
        snprintf(path, sizeof(path), sealed[i], s2);
        int rc = ltl_ns_read(&data, &len, ns, path);
        if (rc != LTL_EKEY)
            fail_msg("%s: %s: %s", path, ltl_strerror(rc), ltl_ns_errmsg(ns));
        assert_null(data);
        assert_contains(ltl_ns_errmsg(ns), "is encrypted; keys.read is not set (it was sealed");
        assert_contains(ltl_ns_errmsg(ns), f.id1);
    }
    /* the node is there; its data is not */
    ltl_ns_node *node = NULL;
    snprintf(path, sizeof(path), "/seq/%" PRIu64, s1);
    assert_int_equal(ltl_ns_lookup(&node, ns, path), LTL_OK);
    const void *bytes = NULL;
    assert_int_equal(ltl_ns_node_data(&bytes, &len, node), LTL_EKEY);
    assert_null(bytes);
    assert_contains(ltl_ns_errmsg(ns), "is encrypted");
    ltl_ns_node_release(node);
    /* envelope, proof material and the listing need no key */
    snprintf(path, sizeof(path), "/seq/%" PRIu64 ".env", s1);
    assert_int_equal(ltl_ns_read(&data, &len, ns, path), LTL_OK);
    assert_contains(data, "\"encrypted\":true,\"sealed\":false");
    ltl_free(data);
    snprintf(path, sizeof(path), "/seq/%" PRIu64 ".raw", s1);
    assert_int_equal(ltl_ns_read(&data, &len, ns, path), LTL_OK);
    ltl_free(data);
    assert_int_equal(ltl_ns_read(&data, &len, ns, "/topics/"), LTL_EINVAL); /* a directory */
    uint64_t listed = 0;
    assert_int_equal(ltl_ns_list(ns, "/topics/default/", count_entry, &listed), LTL_OK);
    assert_int_equal(listed, 2);
    listed = 0;
    assert_int_equal(ltl_ns_list(ns, "/query/a == 1/", count_entry, &listed), LTL_EKEY);
    ltl_ns_close(ns);
    ltl_close(db);

    /* with the key the same paths read */
    db = open_ok(&f, LTL_OPEN_READONLY, f.k1);
    assert_int_equal(ltl_ns_open(&ns, db, NULL), LTL_OK);
    snprintf(path, sizeof(path), "/seq/%" PRIu64 ".json/a", s2);
    assert_int_equal(ltl_ns_read(&data, &len, ns, path), LTL_OK);
    assert_string_equal(data, "1");
    ltl_free(data);
    ltl_ns_close(ns);
    ltl_close(db);
    fixture_free(&f);
}

static void writer_needs_the_stores_read_key(void **state)
{
    (void)state;
    struct fixture f;
    uint64_t s1, s2;
    sealed_store(&f, &s1, &s2);
    ltl_db *db = open_ok(&f, LTL_OPEN_READONLY, NULL);
    uint64_t before = records(db);
    ltl_close(db);

    /* without a key: it would append plaintext */
    ltl_options opts = LTL_OPTIONS_INIT;
    opts.flags = LTL_OPEN_NO_ENV;
    opts.config = "keys.read=";
    db = NULL;
    assert_int_equal(ltl_open(&db, f.store, &opts), LTL_EKEY);
    char want[160];
    snprintf(want, sizeof(want), "the store seals its records with read key %s", f.id1);
    assert_contains(ltl_errmsg(db), want);
    assert_contains(ltl_errmsg(db), "keys.read is not set");
    ltl_close(db);

    /* with another key: no single key would read the store */
    char config[4096];
    snprintf(config, sizeof(config), "keys.read=%s", f.k2);
    opts.config = config;
    db = NULL;
    assert_int_equal(ltl_open(&db, f.store, &opts), LTL_EKEY);
    snprintf(want, sizeof(want),
             "keys.read seals with read key %s, but the store seals with read key %s", f.id2,
             f.id1);
    assert_contains(ltl_errmsg(db), want);
    assert_contains(ltl_errmsg(db), "ltl keys rotate-read");
    ltl_close(db);
    /* the old key after the new one is still another key sealing */
    snprintf(config, sizeof(config), "keys.read=%s\\,%s", f.k2, f.k1);
    db = NULL;
    assert_int_equal(ltl_open(&db, f.store, &opts), LTL_EKEY);
    ltl_close(db);

    /* nothing was written by the refused writers */
    db = open_ok(&f, LTL_OPEN_READONLY, NULL);
    assert_int_equal(records(db), before);
    ltl_close(db);

    /* the store's key: fine, and the new record is sealed too */
    db = open_ok(&f, 0, f.k1);
    uint64_t s3 = append(db, "more", 0);
    ltl_close(db);
    db = open_ok(&f, LTL_OPEN_READONLY, NULL);
    ltl_record *got;
    assert_int_equal(ltl_get(&got, db, s3), LTL_EKEY);
    ltl_close(db);

    /* a store that never sealed takes a first key, and then holds to it */
    free(f.store);
    f.store = tu_path(f.dir, "plain");
    db = open_ok(&f, LTL_OPEN_CREATE, NULL);
    uint64_t p0 = append(db, "plain", 0);
    ltl_close(db);
    db = open_ok(&f, 0, f.k2);
    uint64_t p1 = append(db, "sealed", 0);
    ltl_close(db);
    db = open_with(&f, 0, NULL, LTL_EKEY);
    assert_null(db);
    db = open_ok(&f, LTL_OPEN_READONLY, NULL);
    assert_int_equal(ltl_get(&got, db, p0), LTL_OK); /* written before: readable by all */
    assert_memory_equal(got->data, "plain", 5);
    ltl_record_free(got);
    assert_int_equal(ltl_get(&got, db, p1), LTL_EKEY);
    ltl_close(db);
    fixture_free(&f);
}

/* The JSON of the read-key-rotation record in _ltl, or fails. */
static void find_rotation(ltl_db *db, uint64_t seq, const char *from, const char *to)
{
    ltl_record *rec;
    assert_int_equal(ltl_get(&rec, db, seq), LTL_OK);
    assert_int_equal(rec->kind, LTL_KIND_SYSTEM);
    assert_string_equal(rec->topic, "_ltl");
    char want[128];
    snprintf(want, sizeof(want), "{\"event\":\"read-key-rotation\",\"from\":\"%s\",\"to\":\"%s\"}",
             from, to);
    assert_int_equal(rec->len, strlen(want));
    assert_memory_equal(rec->data, want, rec->len);
    ltl_record_free(rec);
}

static void rotation_then_every_record_reads_back(void **state)
{
    (void)state;
    struct fixture f;
    uint64_t s1, s2;
    sealed_store(&f, &s1, &s2);

    /* what is refused */
    ltl_db *db = open_ok(&f, LTL_OPEN_READONLY, f.k1);
    uint64_t rot = 0;
    assert_int_equal(ltl_keys_rotate_read(&rot, db, f.k2), LTL_EREADONLY);
    ltl_close(db);
    db = open_ok(&f, 0, f.k1);
    assert_int_equal(ltl_keys_rotate_read(&rot, db, f.k1), LTL_EINVAL);
    assert_contains(ltl_errmsg(db), "the one the store seals with already");
    char *missing = tu_path(f.dir, "missing.rkey");
    assert_int_equal(ltl_keys_rotate_read(&rot, db, missing), LTL_ENOTFOUND);
    free(missing);

    /* the rotation: a record in _ltl, then this handle appends no more */
    assert_int_equal(ltl_keys_rotate_read(&rot, db, f.k2), LTL_OK);
    find_rotation(db, rot, f.id1, f.id2);
    assert_int_equal(ltl_append(NULL, db, NULL, "late", 4, 0), LTL_EKEY);
    assert_contains(ltl_errmsg(db), "reopen the store with the new key first in keys.read");
    assert_int_equal(ltl_close(db), LTL_OK);

    /* the old key alone no longer writes; the new one does */
    assert_null(open_with(&f, 0, f.k1, LTL_EKEY));
    char both[4096];
    snprintf(both, sizeof(both), "%s\\,%s", f.k2, f.k1);
    db = open_ok(&f, 0, both);
    uint64_t s3 = append(db, "after", 0);
    ltl_close(db);

    /* both keys read everything; either alone reads its own records */
    db = open_ok(&f, LTL_OPEN_READONLY, both);
    const char *want[] = {"hello", "{\"a\":1}", "after"};
    uint64_t seqs[] = {s1, s2, s3};
    for (size_t i = 0; i < 3; i++) {
        ltl_record *got;
        assert_int_equal(ltl_get(&got, db, seqs[i]), LTL_OK);
        assert_int_equal(got->len, strlen(want[i]));
        assert_memory_equal(got->data, want[i], got->len);
        assert_true(got->flags & LTL_RECORD_SEALED);
        ltl_record_free(got);
    }
    ltl_close(db);
    db = open_ok(&f, LTL_OPEN_READONLY, f.k2);
    ltl_record *got;
    assert_int_equal(ltl_get(&got, db, s3), LTL_OK);
    ltl_record_free(got);
    assert_int_equal(ltl_get(&got, db, s1), LTL_EKEY);
    assert_contains(ltl_errmsg(db), f.id1);
    ltl_close(db);
    db = open_ok(&f, LTL_OPEN_READONLY, f.k1);
    assert_int_equal(ltl_get(&got, db, s1), LTL_OK);
    ltl_record_free(got);
    assert_int_equal(ltl_get(&got, db, s3), LTL_EKEY);
    assert_contains(ltl_errmsg(db), f.id2);
    ltl_close(db);

    /* verify needs no read key */
    db = open_ok(&f, LTL_OPEN_READONLY, NULL);
    ltl_verify_report r;
    assert_int_equal(ltl_verify(&r, db, NULL), LTL_OK);
    assert_true(r.ok);
    assert_false(r.check_key);
    ltl_close(db);
    fixture_free(&f);
}

static void read_key_lists(void **state)
{
    (void)state;
    struct fixture f;
    fixture_init(&f);
    ltl_db *db = open_ok(&f, LTL_OPEN_CREATE, NULL);
    ltl_close(db);
    char keys[4096];
    snprintf(keys, sizeof(keys), "%s\\,\\,%s", f.k1, f.k2);
    assert_null(open_with(&f, LTL_OPEN_READONLY, keys, LTL_ECONFIG));
    snprintf(keys, sizeof(keys), " %s \\, %s ", f.k1, f.k2); /* spaces around names are cut */
    db = open_ok(&f, LTL_OPEN_READONLY, keys);
    ltl_close(db);
    fixture_free(&f);
}

static void verify_says_whether_a_check_key_is_set(void **state)
{
    (void)state;
    char *dir = tu_tmpdir();
    char *store = tu_path(dir, "store"), *wkey = tu_path(dir, "log.wkey"),
         *ckey = tu_path(dir, "log.ckey");
    ltl_error err;
    assert_int_equal(ltl_keygen(&err, "log", wkey, ckey), LTL_OK);
    ltl_options opts = LTL_OPTIONS_INIT;
    opts.flags = LTL_OPEN_CREATE | LTL_OPEN_NO_ENV;
    ltl_db *db = NULL;
    assert_int_equal(ltl_open(&db, store, &opts), LTL_OK);
    assert_int_equal(ltl_append(NULL, db, NULL, "x", 1, 0), LTL_OK);
    assert_int_equal(ltl_close(db), LTL_OK); /* an unsigned checkpoint */
    char config[4096];
    snprintf(config, sizeof(config), "keys.check=%s", ckey);
    opts.flags = LTL_OPEN_READONLY | LTL_OPEN_NO_ENV;
    opts.config = config;
    assert_int_equal(ltl_open(&db, store, &opts), LTL_OK);
    ltl_verify_report r;
    assert_int_equal(ltl_verify(&r, db, NULL), LTL_OK);
    assert_true(r.ok);
    assert_true(r.check_key);
    assert_int_equal(r.signed_checkpoints, 0);
    assert_int_equal(r.checkpoints, 1);
    ltl_close(db);
    free(store);
    free(wkey);
    free(ckey);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(reading_without_the_key_is_refused),
        cmocka_unit_test(namespace_refuses_payloads_but_shows_envelopes),
        cmocka_unit_test(writer_needs_the_stores_read_key),
        cmocka_unit_test(rotation_then_every_record_reads_back),
        cmocka_unit_test(read_key_lists),
        cmocka_unit_test(verify_says_whether_a_check_key_is_set),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
