/* SPDX-License-Identifier: MIT */
/*
 * crash_trust_regress.c — regression tests for bugs in verification found
 * while writing the tampering tests (crash_trust.c), and for the proof path's
 * checkpoint cache.
 *   A. verify stopped early when the index held more leaves than the log
 *      reads (a record dropped and renumbered; a frame in the tail segment
 *      made invalid), reporting "tree.hashes holds N leaves but the log has M
 *      records" at seq M with no file or offset, instead of the first bad
 *      record and its place.
 *   B. a signed checkpoint whose signature fails was taken for an unsigned
 *      one: audit remembered it as "size 0", proof failed with "not found".
 *   C. the hash index rebuilt from the log (deleted, or behind after a crash)
 *      left no hash-index event in _ltl.
 *   D. a write key configured on a store that has unsigned checkpoints made
 *      every later verify fail; unsigned checkpoints from before the first
 *      signed one are now counted as unsigned, a later one is a downgrade.
 *   E. messages meant to replace an earlier one were dropped (the first
 *      message of a failure won): a reader's verify without tree.hashes, a
 *      refused verify.on_open.
 *   F. a verify longer than its progress tick reported every checkpoint
 *      problem as the worker pool's timeout.
 *   G. proofs through one handle follow the checkpoints file (the cache of
 *      the last checkpoint found is keyed on the file's identity).
 */
#define CRASH_TRUST_HELPERS_ONLY
#pragma GCC diagnostic ignored "-Wunused-function"
#include "crash_trust.c"

#include <pthread.h>

/* ---- A: the first bad record, when the log reads shorter than the index ---- */

/* A record dropped and the later ones renumbered: the first bad record is
 * the one now at the dropped seq. */
static void dropped_record_is_named(void **state)
{
    (void)state;
    struct fixture fx;
    fx_init(&fx, true);
    fx_append(&fx, 0, COUNT, LTL_SAFE);
    size_t n;
    struct frame *frames = frames_load(&fx, &n);
    size_t k = n - 6;
    drop_record(frames, n, k);
    free(frames);
    frames = frames_load(&fx, &n);
    struct verdict v = verify(&fx, LTL_VERIFY_FULL, NULL);
    assert_bad_record(&v, &frames[k], "does not hash to leaf", "a dropped record");
    free(frames);
    fx_free(&fx);
}

/* A byte of a record in the tail segment changed so that its frame is no
 * longer valid (the body version): verify names that frame and why. */
static void invalid_tail_frame_is_named(void **state)
{
    (void)state;
    struct fixture fx;
    fx_init(&fx, true);
    fx_append(&fx, 0, COUNT, LTL_SAFE);
    size_t n;
    struct frame *frames = frames_load(&fx, &n);
    const struct frame *f = &frames[n - 5];
    body_xor(f, 0, 0x01);
    struct verdict v = verify(&fx, LTL_VERIFY_FULL, NULL);
    char want[64];
    snprintf(want, sizeof(want), " at seq %" PRIu64, f->seq);
    assert_bad_record(&v, f, want, "the body version of a tail record");
    free(frames);
    fx_free(&fx);
}

/* A record's timestamp moved past its successor's (CRC fixed): the record
 * itself is the first bad one (its leaf differs), not its successor. */
static void later_timestamp_names_the_record(void **state)
{
    (void)state;
    struct fixture fx;
    fx_init(&fx, true);
    fx_append(&fx, 0, COUNT, LTL_SAFE);
    size_t n;
    struct frame *frames = frames_load(&fx, &n);
    const struct frame *f = &frames[n - 5];
    int fd = open(f->path, O_RDWR);
    assert_true(fd >= 0);
    unsigned char ts[8];
    pread_exact(fd, ts, 8, (off_t)(f->off + 8 + 16));
    ltl__put_u64(ts, ltl__get_u64(ts) + 3600000000000ull); /* an hour later */
    pwrite_exact(fd, ts, 8, (off_t)(f->off + 8 + 16));
    frame_fix_crc(fd, f->off);
    close(fd);
    struct verdict v = verify(&fx, LTL_VERIFY_FULL, NULL);
    assert_bad_record(&v, f, "does not hash to leaf", "a later timestamp in the tail segment");
    free(frames);
    fx_free(&fx);
}

/* ---- B: a signed checkpoint that fails its signature -------------------------- */

static void wrong_key_checkpoint_is_refused(void **state)
{
    (void)state;
    struct fixture fx;
    fx_init(&fx, true);
    fx_append(&fx, 0, 40, LTL_SAFE);
    struct ltl__write_key other;
    assert_int_equal(ltl__write_key_generate(&other, "mylog"), LTL_OK);
    char *wrong = checkpoint_signed_by(&fx, &other);
    char *state_path = tu_path(fx.dir, "audit.state");
    int failures = 0;

    /* verify --against a checkpoint kept elsewhere, signed by another key:
     * refused for its signature */
    struct verdict v = verify(&fx, LTL_VERIFY_FULL, wrong);
    if (v.rc != LTL_EVERIFY || !strstr(v.r.problem, "the checkpoint to check against: ") ||
        !strstr(v.r.problem, "no signature by key mylog+")) {
        print_error("verify --against a checkpoint signed by another key: %s, against_size "
                    "%" PRIu64 ": %s\n",
                    ltl_strerror(v.rc), v.r.against_size, v.r.problem);
        failures++;
    }

    checkpoint_add(&fx, wrong); /* now the store's last checkpoint */

    /* audit must not remember a checkpoint it cannot check */
    ltl_db *db = fx_open(&fx, LTL_SAFE, LTL_OPEN_READONLY, NULL);
    ltl_audit_report ar;
    int rc = ltl_audit(&ar, db, state_path);
    if (rc != LTL_EVERIFY || access(state_path, F_OK) == 0) {
        print_error("audit of a store whose last checkpoint is signed by another key: %s, "
                    "first=%d, new_size=%" PRIu64 ", state file %s: %s\n",
                    ltl_strerror(rc), ar.first, ar.new_size,
                    access(state_path, F_OK) == 0 ? "written" : "not written", ltl_errmsg(db));
        failures++;
    }
    /* a proof against it is a verification failure, not "not found" */
    char *proof = NULL;
    rc = ltl_proof(&proof, db, 5, UINT64_MAX);
    if (rc != LTL_EVERIFY) {
        print_error("proof against a checkpoint signed by another key: %s: %s\n", ltl_strerror(rc),
                    ltl_errmsg(db));
        failures++;
    }
    ltl_free(proof);
    ltl_close(db);

    /* verify --tail: the signature problem, said once */
    v = verify(&fx, LTL_VERIFY_TAIL, NULL);
    const char *first = strstr(v.r.problem, " at size 41: ");
    if (v.rc != LTL_EVERIFY || !first || strstr(first + 1, " at size 41: ") ||
        !strstr(v.r.problem, "the note has no signature by key mylog+")) {
        print_error("verify --tail: %s: %s\n", ltl_strerror(v.rc), v.r.problem);
        failures++;
    }
    assert_int_equal(failures, 0);
    ltl__key_wipe(&other, sizeof(other));
    free(wrong);
    free(state_path);
    fx_free(&fx);
}

/* ---- C: rebuilding the index is recorded ------------------------------------------ */

/* Rewrite the synced mark in the header of tree.hashes (and its CRC). */
static void tree_set_synced(const struct fixture *fx, uint64_t leaves)
{
    char *path = tu_path(fx->store, "log/tree.hashes");
    int fd = open(path, O_RDWR);
    assert_true(fd >= 0);
    unsigned char h[64];
    pread_exact(fd, h, 64, 0);
    ltl__put_u64(h + 32, leaves);
    ltl__put_u32(h + 60, ltl__crc32c(0, h, 60));
    pwrite_exact(fd, h, 64, 0);
    close(fd);
    free(path);
}

static void index_rebuild_is_recorded(void **state)
{
    (void)state;
    int failures = 0;
    for (int variant = 0; variant < 2; variant++) {
        struct fixture fx;
        fx_init(&fx, true);
        fx_append(&fx, 0, COUNT, LTL_SAFE);
        size_t n;
        struct frame *frames = frames_load(&fx, &n);
        free(frames);
        if (variant == 0) {
            store_file_remove(&fx, "log/tree.hashes");
        } else {
            /* as a crash leaves it: whole entries of the first 100 leaves, synced */
            store_file_cut(&fx, "log/tree.hashes", (off_t)(64 + 32 * ltl__tree_entries(100)));
            tree_set_synced(&fx, 100);
        }
        ltl_db *db = fx_open(&fx, LTL_SAFE, 0, NULL);
        assert_non_null(db);
        assert_int_equal(ltl_close(db), LTL_OK);
        assert_ok(vp(verify(&fx, LTL_VERIFY_FULL, NULL)));
        char *events = system_events(&fx);
        if (!strstr(events, "{\"event\":\"hash-index\"")) {
            print_error("%s: %zu leaves rebuilt, and _ltl says nothing:\n%s\n",
                        variant == 0 ? "tree.hashes deleted" : "tree.hashes behind the log",
                        variant == 0 ? n : n - 100, events);
            failures++;
        }
        free(events);
        fx_free(&fx);
    }
    assert_int_equal(failures, 0);
}

/* ---- D: unsigned checkpoints from before a write key was configured ----------------- */

static void unsigned_checkpoints_before_a_key(void **state)
{
    (void)state;
    struct fixture fx;
    fx_init(&fx, false);
    fx_append(&fx, 0, 10, LTL_SAFE); /* an unsigned checkpoint at close */
    ltl_error err;
    assert_int_equal(ltl_keygen(&err, "mylog", fx.wkey, fx.ckey), LTL_OK);
    snprintf(fx.config, sizeof(fx.config), "%s,keys.write=%s", BASE_CONFIG, fx.wkey);
    fx_append(&fx, 10, 20, LTL_SAFE); /* a signed one */
    struct verdict v = verify(&fx, LTL_VERIFY_FULL, NULL);
    struct verdict t = verify(&fx, LTL_VERIFY_TAIL, NULL);
    if (v.rc != LTL_OK || v.r.checkpoints != 2 || v.r.signed_checkpoints != 1 || t.rc != LTL_OK)
        fail_msg("verify after a write key was configured: %s (%" PRIu64 " checkpoints, %" PRIu64
                 " signed): %s; --tail: %s: %s",
                 ltl_strerror(v.rc), v.r.checkpoints, v.r.signed_checkpoints, v.r.problem,
                 ltl_strerror(t.rc), t.r.problem);
    fx_free(&fx);
}

/* ---- E: the hint when the index is missing ----------------------------------------- */

static void missing_index_hint(void **state)
{
    (void)state;
    struct fixture fx;
    fx_init(&fx, true);
    fx_append(&fx, 0, 10, LTL_SAFE);
    store_file_remove(&fx, "log/tree.hashes");
    ltl_db *db = fx_open(&fx, LTL_SAFE, LTL_OPEN_READONLY, NULL);
    ltl_verify_report r;
    assert_int_equal(ltl_verify(&r, db, NULL), LTL_ENOTFOUND);
    if (!strstr(ltl_errmsg(db), "the store has no hash index yet (open it once as a writer"))
        fail_msg("verify without tree.hashes: %s", ltl_errmsg(db));
    ltl_close(db);
    fx_free(&fx);
}

static void verify_on_open_says_so(void **state)
{
    (void)state;
    struct fixture fx;
    fx_init(&fx, true);
    fx_append(&fx, 0, 10, LTL_SAFE);
    size_t n;
    struct frame *frames = frames_load(&fx, &n);
    body_xor(&frames[4], frames[4].len - 1, 0x01);
    char config[4096];
    snprintf(config, sizeof(config), "%s,verify.on_open=full", fx.config);
    ltl_options opts = LTL_OPTIONS_INIT;
    opts.flags = LTL_OPEN_NO_ENV;
    opts.config = config;
    ltl_db *db = NULL;
    assert_int_equal(ltl_open(&db, fx.store, &opts), LTL_EVERIFY);
    if (!strstr(ltl_errmsg(db), "verify.on_open: record 4 does not hash to leaf 4"))
        fail_msg("the refused open says: %s", ltl_errmsg(db));
    ltl_close(db);
    free(frames);
    fx_free(&fx);
}

/* ---- F: the pool's timeout message ------------------------------------------------ */

static ltl__io slow_io;
static _Atomic int slow_reads; /* preads of verify's workers still to slow down */
static pthread_t main_thread;

static ssize_t slow_pread(ltl__io *io, int fd, void *buf, size_t len, off_t off)
{
    (void)io;
    if (!pthread_equal(pthread_self(), main_thread) && atomic_fetch_sub(&slow_reads, 1) > 0)
        usleep(300 * 1000); /* longer than verify's 200 ms progress tick */
    return ltl__io_real()->pread(ltl__io_real(), fd, buf, len, off);
}

static void count_progress(void *ctx, uint64_t done, uint64_t total)
{
    (void)done;
    (void)total;
    (*(int *)ctx)++;
}

static void verify_slower_than_progress_tick(void **state)
{
    (void)state;
    struct fixture fx;
    fx_init(&fx, true);
    fx_append(&fx, 0, 10, LTL_SAFE);
    struct ltl__write_key other;
    assert_int_equal(ltl__write_key_generate(&other, "mylog"), LTL_OK);
    char *wrong = checkpoint_signed_by(&fx, &other);
    checkpoint_add(&fx, wrong);
    slow_io = *ltl__io_real();
    slow_io.pread = slow_pread;
    ltl_db *db = cu_open(fx.store, &slow_io, LTL_SAFE, LTL_OPEN_READONLY, fx.config, NULL);
    ltl_verify_options o;
    ltl_verify_options_init(&o);
    int ticks = 0;
    o.progress = count_progress;
    o.progress_ctx = &ticks;
    o.threads = 1;
    ltl_verify_report r;
    main_thread = pthread_self();
    atomic_store(&slow_reads, 1);
    assert_int_equal(ltl_verify(&r, db, &o), LTL_EVERIFY);
    atomic_store(&slow_reads, 0);
    assert_true(ticks >= 2); /* the pool's wait timed out at least once */
    if (!strstr(r.problem, "no signature by key mylog+") ||
        !strstr(ltl_errmsg(db), "no signature by key mylog+"))
        fail_msg("a slow verify reports: %s (ltl_errmsg: %s)", r.problem, ltl_errmsg(db));
    ltl_close(db);
    ltl__key_wipe(&other, sizeof(other));
    free(wrong);
    fx_free(&fx);
}

/* ---- D': an unsigned checkpoint after a signed one is a downgrade ------------------- */

static void unsigned_after_signed_fails(void **state)
{
    (void)state;
    struct fixture fx;
    fx_init(&fx, true);
    fx_append(&fx, 0, 10, LTL_SAFE); /* a signed checkpoint at close */
    char config[sizeof(fx.config)];
    memcpy(config, fx.config, sizeof(config));
    snprintf(fx.config, sizeof(fx.config), "%s", BASE_CONFIG); /* keys.write removed */
    fx_append(&fx, 10, 20, LTL_SAFE);                          /* an unsigned one */
    memcpy(fx.config, config, sizeof(config));
    struct verdict v = verify(&fx, LTL_VERIFY_FULL, NULL);
    assert_int_equal(v.rc, LTL_EVERIFY);
    assert_non_null(strstr(v.r.problem, "is unsigned"));
    fx_free(&fx);
}

/* ---- G: proofs follow the checkpoints file ------------------------------------------- */

static void proofs_follow_the_checkpoints_file(void **state)
{
    (void)state;
    struct fixture fx;
    fx_init(&fx, true);
    fx_append(&fx, 0, 40, LTL_SAFE);
    ltl_db *db = fx_open(&fx, LTL_SAFE, LTL_OPEN_READONLY, NULL);
    char *p1 = NULL, *p2 = NULL, *p3 = NULL;
    assert_int_equal(ltl_proof(&p1, db, 5, UINT64_MAX), LTL_OK);
    char *cp1 = last_checkpoint(&fx);
    assert_non_null(strstr(p1, cp1));
    assert_int_equal(ltl_proof(&p2, db, 5, UINT64_MAX), LTL_OK); /* from the cache */
    assert_string_equal(p1, p2);
    ltl_free(p2);

    fx_append(&fx, 40, 60, LTL_SAFE); /* a writer adds records and a checkpoint */
    char *cp2 = last_checkpoint(&fx);
    assert_string_not_equal(cp1, cp2);
    assert_int_equal(ltl_proof(&p2, db, 5, UINT64_MAX), LTL_OK);
    assert_non_null(strstr(p2, cp2));

    struct ltl__write_key other;
    assert_int_equal(ltl__write_key_generate(&other, "mylog"), LTL_OK);
    char *wrong = checkpoint_signed_by(&fx, &other);
    checkpoint_add(&fx, wrong);
    assert_int_equal(ltl_proof(&p3, db, 5, UINT64_MAX), LTL_EVERIFY);
    assert_null(p3);
    ltl_close(db);
    ltl__key_wipe(&other, sizeof(other));
    ltl_free(p1);
    ltl_free(p2);
    free(cp1);
    free(cp2);
    free(wrong);
    fx_free(&fx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(dropped_record_is_named),
        cmocka_unit_test(invalid_tail_frame_is_named),
        cmocka_unit_test(later_timestamp_names_the_record),
        cmocka_unit_test(wrong_key_checkpoint_is_refused),
        cmocka_unit_test(index_rebuild_is_recorded),
        cmocka_unit_test(unsigned_checkpoints_before_a_key),
        cmocka_unit_test(missing_index_hint),
        cmocka_unit_test(verify_on_open_says_so),
        cmocka_unit_test(verify_slower_than_progress_tick),
        cmocka_unit_test(unsigned_after_signed_fails),
        cmocka_unit_test(proofs_follow_the_checkpoints_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
