/* SPDX-License-Identifier: MIT */
/*
 * test_store_messages.c — answers that used to mislead (issue 10), through the
 * public API: an empty store path; creating a store over a directory whose LTL
 * was lost, or over other files, writes nothing; a checkpoint that cannot be
 * written at close does not fail the close; the origin in effect; proofs of
 * records the log does not have; verify against another log's checkpoint or a
 * text that is no checkpoint; check-proof with a key that is not a check key.
 */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static ltl_db *open_store(const char *dir, unsigned flags, const char *config, ltl_log_fn log,
                          void *log_ctx)
{
    ltl_options opts = LTL_OPTIONS_INIT;
    opts.flags = flags | LTL_OPEN_NO_ENV;
    opts.config = config;
    opts.log = log;
    opts.log_ctx = log_ctx;
    ltl_db *db = NULL;
    int rc = ltl_open(&db, dir, &opts);
    if (rc != LTL_OK)
        fail_msg("open %s: %s: %s", dir, ltl_strerror(rc), ltl_errmsg(db));
    return db;
}

static void append_some(const char *dir, int n)
{
    ltl_db *db = open_store(dir, LTL_OPEN_CREATE, NULL, NULL, NULL);
    for (int i = 0; i < n; i++)
        assert_int_equal(ltl_append(NULL, db, NULL, "m", 1, 0), LTL_OK);
    assert_int_equal(ltl_close(db), LTL_OK);
}

static bool exists(const char *dir, const char *name)
{
    char *p = tu_path(dir, name);
    struct stat st;
    bool there = stat(p, &st) == 0;
    free(p);
    return there;
}

static void empty_store_path_is_refused(void **state)
{
    (void)state;
    ltl_options opts = LTL_OPTIONS_INIT;
    opts.flags = LTL_OPEN_CREATE | LTL_OPEN_NO_ENV;
    ltl_db *db = NULL;
    assert_int_equal(ltl_open(&db, "", &opts), LTL_EINVAL);
    assert_non_null(strstr(ltl_errmsg(db), "empty"));
    ltl_close(db);
}

/* A store whose LTL was lost: opening it (to create or to read) is LTL_ECORRUPT and
 * writes nothing, not even the lock file; nor does a directory of other files get one. */
static void no_store_over_lost_header_or_other_files(void **state)
{
    (void)state;
    char *dir = tu_tmpdir();
    char *store = tu_path(dir, "s");
    append_some(store, 3);
    char *ltl = tu_path(store, "LTL"), *lock = tu_path(store, "lock");
    assert_int_equal(unlink(ltl), 0);
    assert_int_equal(unlink(lock), 0);
    ltl_options opts = LTL_OPTIONS_INIT;
    opts.flags = LTL_OPEN_CREATE | LTL_OPEN_NO_ENV;
    ltl_db *db = NULL;
    assert_int_equal(ltl_open(&db, store, &opts), LTL_ECORRUPT);
    assert_non_null(strstr(ltl_errmsg(db), "has no LTL file"));
    ltl_close(db);
    opts.flags = LTL_OPEN_READONLY | LTL_OPEN_NO_ENV;
    assert_int_equal(ltl_open(&db, store, &opts), LTL_ECORRUPT);
    ltl_close(db);
    assert_false(exists(store, "LTL"));
    assert_false(exists(store, "lock"));

    char *other = tu_path(dir, "other");
    assert_int_equal(mkdir(other, 0755), 0);
    char *notes = tu_path(other, "notes");
    tu_write_file(notes, "x", 1);
    opts.flags = LTL_OPEN_CREATE | LTL_OPEN_NO_ENV;
    assert_int_equal(ltl_open(&db, other, &opts), LTL_EEXIST);
    ltl_close(db);
    opts.flags = LTL_OPEN_READONLY | LTL_OPEN_NO_ENV;
    assert_int_equal(ltl_open(&db, other, &opts), LTL_ENOTFOUND);
    ltl_close(db);
    assert_false(exists(other, "lock"));
    assert_false(exists(other, "LTL"));

    /* an empty log/ (a creation cut short) becomes a store */
    char *half = tu_path(dir, "half"), *half_log = tu_path(half, "log");
    assert_int_equal(mkdir(half, 0755), 0);
    assert_int_equal(mkdir(half_log, 0755), 0);
    append_some(half, 1);
    assert_true(exists(half, "LTL"));
    free(half);
    free(half_log);
    free(notes);
    free(other);
    free(ltl);
    free(lock);
    free(store);
    free(dir);
}

struct warnings {
    int count;
    char last[1024];
};

static void collect(void *ctx, int level, const char *msg)
{
    struct warnings *w = ctx;
    if (level <= LTL_LOG_WARN) {
        w->count++;
        snprintf(w->last, sizeof(w->last), "%s", msg);
    }
}

/* The records of an append are stored and acknowledged before the close makes its
 * checkpoint: a checkpoint that cannot be written is a warning, not a failed close. */
static void checkpoint_at_close_that_fails_is_a_warning(void **state)
{
    (void)state;
    char *dir = tu_tmpdir();
    char *cps = tu_path(dir, "checkpoints");
    append_some(dir, 1);
    assert_int_equal(unlink(cps), 0);
    assert_int_equal(symlink("/dev/full", cps), 0);
    struct warnings w = {0, ""};
    ltl_db *db = open_store(dir, 0, NULL, collect, &w);
    uint64_t seq = 0;
    assert_int_equal(ltl_append(&seq, db, NULL, "kept", 4, 0), LTL_OK);
    assert_int_equal(ltl_close(db), LTL_OK);
    assert_int_equal(w.count, 1);
    assert_non_null(strstr(w.last, "checkpoint at close was not written"));
    assert_non_null(strstr(w.last, "No space left on device"));
    /* the record is there; the next writer makes the checkpoint */
    assert_int_equal(unlink(cps), 0);
    db = open_store(dir, LTL_OPEN_READONLY, NULL, NULL, NULL);
    ltl_record *rec = NULL;
    assert_int_equal(ltl_get(&rec, db, seq), LTL_OK);
    assert_memory_equal(rec->data, "kept", 4);
    ltl_record_free(rec);
    ltl_close(db);
    db = open_store(dir, 0, NULL, NULL, NULL);
    char *text = NULL;
    assert_int_equal(ltl_checkpoint(&text, db), LTL_OK);
    ltl_free(text);
    assert_int_equal(ltl_close(db), LTL_OK);
    free(cps);
    free(dir);
}

static void origin_in_effect(void **state)
{
    (void)state;
    char *dir = tu_tmpdir();
    append_some(dir, 1);
    ltl_db *db = open_store(dir, LTL_OPEN_READONLY, NULL, NULL, NULL);
    ltl_info info;
    assert_int_equal(ltl_stat(&info, db), LTL_OK);
    char want[64] = "ltl/", origin[LTL_CHECKPOINT_ORIGIN_MAX];
    for (int i = 0; i < 16; i++)
        snprintf(want + 4 + 2 * i, 3, "%02x", info.store_id[i]);
    assert_int_equal(ltl_checkpoint_origin(origin, sizeof(origin), db), LTL_OK);
    assert_string_equal(origin, want);
    assert_int_equal(ltl_checkpoint_origin(origin, strlen(want), db), LTL_EINVAL);
    ltl_close(db);
    db = open_store(dir, LTL_OPEN_READONLY, "checkpoint.origin=example.com/log", NULL, NULL);
    assert_int_equal(ltl_checkpoint_origin(origin, sizeof(origin), db), LTL_OK);
    assert_string_equal(origin, "example.com/log");
    ltl_close(db);
    free(dir);
}

static char *checkpoint_of(const char *dir)
{
    ltl_db *db = open_store(dir, LTL_OPEN_CREATE, NULL, NULL, NULL);
    assert_int_equal(ltl_append(NULL, db, NULL, "x", 1, 0), LTL_OK);
    char *text = NULL;
    assert_int_equal(ltl_checkpoint(&text, db), LTL_OK);
    assert_int_equal(ltl_close(db), LTL_OK);
    return text;
}

static void proofs_and_verify_say_what_is_the_case(void **state)
{
    (void)state;
    char *dir = tu_tmpdir(), *other = tu_tmpdir();
    char *mine = checkpoint_of(dir), *theirs = checkpoint_of(other);
    ltl_db *db = open_store(dir, LTL_OPEN_READONLY, NULL, NULL, NULL);
    char *proof = NULL;
    assert_int_equal(ltl_proof(&proof, db, 99, UINT64_MAX), LTL_ENOTFOUND);
    assert_non_null(strstr(ltl_errmsg(db), "there is no record 99: the log has 2 records"));

    ltl_verify_options vo;
    ltl_verify_options_init(&vo);
    ltl_verify_report r;
    vo.against = theirs;
    vo.against_len = strlen(theirs);
    assert_int_equal(ltl_verify(&r, db, &vo), LTL_EVERIFY);
    assert_non_null(strstr(r.problem, "another log"));
    assert_null(strstr(r.problem, "rewritten"));
    vo.against = "not a checkpoint\n";
    vo.against_len = strlen(vo.against);
    assert_int_equal(ltl_verify(&r, db, &vo), LTL_EPARSE);
    vo.against = mine;
    vo.against_len = strlen(mine);
    assert_int_equal(ltl_verify(&r, db, &vo), LTL_OK);
    assert_true(r.ok);

    /* check-proof with a key that is not a check key: LTL_EKEY */
    assert_int_equal(ltl_proof(&proof, db, 1, UINT64_MAX), LTL_OK);
    char *wkey = tu_path(dir, "k.wkey"), *ckey = tu_path(dir, "k.ckey");
    ltl_error err;
    assert_int_equal(ltl_keygen(&err, "example.com/log", wkey, ckey), LTL_OK);
    size_t wlen = 0, clen = 0;
    char *wtext = tu_read_file(wkey, &wlen), *ctext = tu_read_file(ckey, &clen);
    char *out = NULL;
    assert_int_equal(ltl_proof_check(&out, &err, proof, strlen(proof), wtext, wlen, NULL, 0),
                     LTL_EKEY);
    assert_non_null(strstr(err.message, "write key"));
    assert_int_equal(
        ltl_proof_check(&out, &err, proof, strlen(proof), proof, strlen(proof), NULL, 0), LTL_EKEY);
    /* the right kind of key, but the checkpoint is unsigned: a verification failure */
    assert_int_equal(ltl_proof_check(&out, &err, proof, strlen(proof), ctext, clen, NULL, 0),
                     LTL_EVERIFY);
    ltl_free(proof);
    ltl_close(db);
    free(wtext);
    free(ctext);
    free(wkey);
    free(ckey);
    ltl_free(mine);
    ltl_free(theirs);
    free(dir);
    free(other);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(empty_store_path_is_refused),
        cmocka_unit_test(no_store_over_lost_header_or_other_files),
        cmocka_unit_test(checkpoint_at_close_that_fails_is_a_warning),
        cmocka_unit_test(origin_in_effect),
        cmocka_unit_test(proofs_and_verify_say_what_is_the_case),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
