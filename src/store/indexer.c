/* SPDX-License-Identifier: MIT */
/*
 * indexer.c — the writer's indexer thread: it follows the log behind the
 * appenders and feeds the field index (src/index) in large transactions,
 * so appends never wait for indexing. It indexes what is durable (what is
 * written, in forgetful mode), so a crash cannot leave the index ahead of
 * the log; when it is ahead anyway (a repair cut the log), the index is
 * rebuilt. ltl_pause(LTL_PAUSE_INDEX) and index.defer keep it waiting; the
 * index then lags, which ltl_stat shows and queries make up by scanning.
 */
#include "index/index.h"
#include "store/store.h"

#include <errno.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

/* hwm is read by other threads (ltl_stat) while the indexer advances it */

#define BATCH_RECORDS 50000              /* records per transaction at most */
#define BATCH_BYTES   ((size_t)64 << 20) /* or this much batch memory */
#define WAKE_NS       50000000           /* look for new records this often */

struct ltl__indexer {
    pthread_t thread;
    bool started;
    pthread_mutex_t mu;
    pthread_cond_t cond;
    bool stop, paused;
    bool busy; /* the thread is indexing (outside mu) */
    struct ltl__index *ix;
    struct ltl__index_batch *batch;
    _Atomic uint64_t hwm; /* records indexed (committed) */
    int failed;           /* a failure stopped indexing (logged once) */
    ltl__buf plain;       /* a decrypted payload */
};

static char *index_dir(struct ltl_db *db)
{
    return ltl__path_join(db->path, LTL__INDEX_DIR);
}

/* Remove an index that cannot be used (another version, damaged): derived
 * data, rebuilt from the log. */
static int remove_index_dir(const char *dir)
{
    static const char *const files[] = {"data.mdb", "lock.mdb"};
    char path[4096];
    for (size_t i = 0; i < LTL__ARRAY_LEN(files); i++) {
        snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
        if (unlink(path) < 0 && errno != ENOENT)
            return ltl__err_sys(errno, "remove %s", path);
    }
    return LTL_OK;
}

int ltl__index_open_for(struct ltl_db *db, bool writable, struct ltl__index **out)
{
    char *dir = index_dir(db);
    if (!dir)
        return ltl__errf(LTL_ENOMEM, "out of memory");
    struct ltl__index_rules rules = {db->cfg.index_paths, db->cfg.index_max_paths};
    int rc = ltl__index_open(out, dir, writable, &rules, &db->log);
    if (writable && (rc == LTL_EVERSION || rc == LTL_ECORRUPT)) {
        ltl__log(&db->log, LTL_LOG_WARN, "index: %s: rebuilding it from the log",
                 ltl__err_current());
        ltl__err_restate();
        if ((rc = remove_index_dir(dir)) == LTL_OK)
            rc = ltl__index_open(out, dir, writable, &rules, &db->log);
    }
    ltl__free(dir);
    return rc;
}

/* ---- indexing a range of records ------------------------------------------- */

struct feed {
    struct ltl_db *db;
    struct ltl__indexer *ixr;
    uint64_t last_seq;
};

static int feed_record(void *vctx, struct ltl__segment *seg, uint64_t off,
                       const struct ltl__body *b, const unsigned char *body, size_t len)
{
    (void)seg;
    (void)off;
    (void)body;
    (void)len;
    struct feed *f = vctx;
    struct ltl__indexer *ixr = f->ixr;
    const void *payload = NULL;
    size_t plen = 0;
    /* the fields of data records (ltl's own records: only their topic) */
    if (b->kind == LTL_KIND_DATA && (b->flags & LTL_RECORD_JSON)) {
        payload = b->payload;
        plen = b->payload_len;
        if (b->flags & LTL_RECORD_ENCRYPTED) {
            payload = NULL; /* without the read key it stays unindexed */
            if (f->db->keys.have_read && b->payload_len >= LTL__SEAL_OVERHEAD &&
                ltl__buf_reserve(&ixr->plain, b->payload_len) == LTL_OK &&
                ltl__unseal((unsigned char *)ixr->plain.data, &f->db->keys.seal,
                            (const unsigned char *)b->topic - LTL__BODY_HEADER,
                            LTL__BODY_HEADER + b->topic_len, b->payload, b->payload_len,
                            b->seq) == LTL_OK) {
                payload = ixr->plain.data;
                plen = b->payload_len - LTL__SEAL_OVERHEAD;
            }
        }
    }
    int rc = ltl__index_batch_add(ixr->batch, b->seq, b->topic, b->topic_len, payload, plen);
    if (rc == LTL_EPARSE)
        rc = LTL_OK; /* flagged JSON but not: its topic is indexed, its fields are not */
    f->last_seq = b->seq;
    return rc;
}

/* Index [ixr->hwm, to), committing every BATCH_RECORDS. */
static int index_range(struct ltl_db *db, struct ltl__indexer *ixr, uint64_t to,
                       ltl_progress_fn progress, void *progress_ctx)
{
    uint64_t start = ixr->hwm;
    while (ixr->hwm < to) {
        uint64_t end = to - ixr->hwm > BATCH_RECORDS ? ixr->hwm + BATCH_RECORDS : to;
        struct feed f = {db, ixr, 0};
        int rc = ltl__log_walk(db, ixr->hwm, end, feed_record, &f);
        if (rc == LTL_OK)
            rc = ltl__index_batch_commit(ixr->batch, end);
        else
            ltl__index_batch_reset(ixr->batch);
        if (rc)
            return rc;
        ixr->hwm = end;
        if (progress)
            progress(progress_ctx, end - start, to - start);
    }
    return LTL_OK;
}

/* What may be indexed now: durable records (written ones in forgetful mode). */
static uint64_t indexable_end(struct ltl_db *db)
{
    uint64_t next, durable, tail_end;
    ltl__writer_position(db, &next, &durable, &tail_end);
    return db->cfg.durability == LTL_FORGETFUL ? ltl__writer_written(db) : durable;
}

static void *indexer_main(void *arg)
{
    struct ltl_db *db = arg;
    struct ltl__indexer *ixr = db->indexer;
    pthread_mutex_lock(&ixr->mu);
    while (!ixr->stop) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        ts.tv_nsec += WAKE_NS;
        if (ts.tv_nsec >= 1000000000) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000;
        }
        pthread_cond_timedwait(&ixr->cond, &ixr->mu, &ts);
        if (ixr->stop || ixr->paused || ixr->failed)
            continue;
        ixr->busy = true;
        pthread_mutex_unlock(&ixr->mu);
        uint64_t to = indexable_end(db);
        int rc = LTL_OK;
        if (to > ixr->hwm) {
            ltl__err_begin();
            rc = index_range(db, ixr, to, NULL, NULL);
        }
        pthread_mutex_lock(&ixr->mu);
        ixr->busy = false;
        pthread_cond_broadcast(&ixr->cond);
        if (rc == LTL_ETIMEOUT) /* transient (the map could not grow): next time */
            rc = LTL_OK;
        if (rc) {
            ixr->failed = rc;
            ltl__log(&db->log, LTL_LOG_ERROR,
                     "index: stopped at seq %llu: %s (queries scan "
                     "the rest; reopen to retry)",
                     (unsigned long long)ixr->hwm, ltl__err_current());
        }
    }
    pthread_mutex_unlock(&ixr->mu);
    return NULL;
}

int ltl__indexer_start(struct ltl_db *db, uint64_t next_seq)
{
    if (!db->cfg.index_enabled)
        return LTL_OK;
    struct ltl__indexer *ixr = ltl__calloc(1, sizeof(*ixr));
    if (!ixr)
        return ltl__errf(LTL_ENOMEM, "out of memory");
    db->indexer = ixr;
    pthread_mutex_init(&ixr->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&ixr->cond, &ca);
    pthread_condattr_destroy(&ca);
    int rc = ltl__index_open_for(db, true, &ixr->ix);
    uint64_t hwm = 0;
    if (rc == LTL_OK)
        rc = ltl__index_hwm(ixr->ix, &hwm);
    ixr->hwm = hwm;
    if (rc == LTL_OK && ixr->hwm > next_seq) {
        /* the log lost records the index has (a repair): start again */
        ltl__log(&db->log, LTL_LOG_WARN,
                 "index: it covers %llu records but the log has %llu: rebuilding it",
                 (unsigned long long)ixr->hwm, (unsigned long long)next_seq);
        rc = ltl__index_clear(ixr->ix);
        ixr->hwm = 0;
    }
    if (rc == LTL_OK)
        rc = ltl__index_batch_new(&ixr->batch, ixr->ix);
    if (rc == LTL_OK && !db->cfg.index_defer) {
        if (pthread_create(&ixr->thread, NULL, indexer_main, db) != 0)
            rc = ltl__errf(LTL_ENOMEM, "cannot start the indexer thread");
        else
            ixr->started = true;
    }
    return rc;
}

int ltl__indexer_stop(struct ltl_db *db, bool catch_up)
{
    struct ltl__indexer *ixr = db->indexer;
    if (!ixr)
        return LTL_OK;
    int rc = LTL_OK;
    if (ixr->started) {
        pthread_mutex_lock(&ixr->mu);
        ixr->stop = true;
        pthread_cond_signal(&ixr->cond);
        pthread_mutex_unlock(&ixr->mu);
        pthread_join(ixr->thread, NULL);
    }
    /* what the appends of this writer left, so the index is current at close
     * (not when deferred, paused or failed: the next writer catches up) */
    if (catch_up && ixr->started && !ixr->paused && !ixr->failed && db->writer)
        rc = index_range(db, ixr, indexable_end(db), NULL, NULL);
    ltl__index_batch_free(ixr->batch);
    ltl__index_close(ixr->ix);
    ltl__buf_free(&ixr->plain);
    pthread_mutex_destroy(&ixr->mu);
    pthread_cond_destroy(&ixr->cond);
    ltl__free(ixr);
    db->indexer = NULL;
    return rc;
}

int ltl__indexer_pause(struct ltl_db *db, bool pause)
{
    struct ltl__indexer *ixr = db->indexer;
    if (!ixr)
        return LTL_OK;
    pthread_mutex_lock(&ixr->mu);
    ixr->paused = pause;
    pthread_cond_broadcast(&ixr->cond);
    pthread_mutex_unlock(&ixr->mu);
    return LTL_OK;
}

/* Pause and wait until the thread is out of index_range; returns the old state. */
static bool pause_and_wait(struct ltl__indexer *ixr)
{
    pthread_mutex_lock(&ixr->mu);
    bool was = ixr->paused;
    ixr->paused = true;
    while (ixr->busy)
        pthread_cond_wait(&ixr->cond, &ixr->mu);
    pthread_mutex_unlock(&ixr->mu);
    return was;
}

/* Rebuild the index from scratch (the writer's thread is stopped meanwhile). */
int ltl__indexer_rebuild(struct ltl_db *db, ltl_progress_fn progress, void *ctx)
{
    struct ltl__indexer *ixr = db->indexer;
    if (!ixr)
        return ltl__errf(LTL_EINVAL, "the index is off (index.enabled)");
    bool was_paused = pause_and_wait(ixr);
    int rc = ltl__writer_flush(db);
    if (rc == LTL_OK)
        rc = ltl__index_clear(ixr->ix);
    if (rc == LTL_OK) {
        ixr->hwm = 0;
        ixr->failed = LTL_OK;
        rc = index_range(db, ixr, ltl__writer_written(db), progress, ctx);
    }
    pthread_mutex_lock(&ixr->mu);
    ixr->paused = was_paused;
    pthread_mutex_unlock(&ixr->mu);
    return rc;
}

int ltl__indexer_index(struct ltl_db *db, struct ltl__index **out)
{
    *out = db->indexer ? db->indexer->ix : NULL;
    return LTL_OK;
}

uint64_t ltl__indexer_hwm(struct ltl_db *db)
{
    struct ltl__indexer *ixr = db->indexer;
    if (!ixr)
        return 0;
    return ixr->hwm;
}
