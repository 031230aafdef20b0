/* SPDX-License-Identifier: MIT */
/*
 * indexer.c — the writer's indexer: a thread that follows the log behind
 * the appenders and feeds the field index (src/index), so appends never
 * wait for indexing, and the bulk builder that catch-ups, reindexes and
 * imports share.
 *
 * The rules: the index covers durable records only (written ones in
 * forgetful mode), so a crash cannot leave it ahead of the log; when it is
 * ahead anyway (a repair cut the log), it is rebuilt. ltl_pause
 * (LTL_PAUSE_INDEX) and index.defer keep the thread waiting; the index then
 * lags, which ltl_stat shows and queries make up by scanning. One thread
 * at a time writes the index (write_mu): the indexer thread, a reindex, or
 * an import feeding it.
 *
 * A small lag (live appends) is indexed in the thread itself into the
 * index's active run. A large one is built in bulk: the range is cut into
 * tasks of a few thousand records that the worker pool flattens into
 * parts in parallel, and every chunk of parts (about CHUNK_BYTES packed)
 * is written as a new run while the pool goes on with the next tasks.
 */
#include "index/index.h"
#include "store/store.h"

#include <errno.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#define SMALL_MAX     8192                /* a lag up to this many records: indexed at once */
#define BULK_RECORDS  65536               /* a larger lag waits to reach this... */
#define BULK_WAIT_NS  1000000000LL        /* ...or this long, so that runs come out large */
#define TASK_RECORDS  2048                /* records per pool task */
#define INFLIGHT_MAX  24                  /* tasks submitted and not yet taken into a chunk */
#define CHUNK_BYTES   ((size_t)32 << 20)  /* packed parts per run */
#define CHUNK_RECORDS ((uint64_t)1 << 30) /* and at most this many records (a run's offsets) */
#define WAKE_NS       50000000            /* look for new records this often */

struct ltl__indexer {
    pthread_t thread;
    bool started;
    pthread_mutex_t mu;
    pthread_cond_t cond;
    bool stop, paused;
    bool busy;                /* the thread is indexing (outside mu) */
    pthread_mutex_t write_mu; /* held by whoever writes the index */
    struct ltl__index *ix;
    _Atomic uint64_t hwm;   /* records indexed (committed) */
    int failed;             /* a failure stopped indexing (logged once) */
    ltl__buf plain;         /* a decrypted payload (the thread's own records) */
    struct ltl__pool *pool; /* the bulk builder's workers, made on first need */
    int64_t lag_since;      /* when a lag too large for the small path was first seen */
};

static char *index_dir(struct ltl_db *db)
{
    return ltl__path_join(db->path, LTL__INDEX_DIR);
}

/* Remove an index that cannot be used (another version, damaged): derived
 * data, rebuilt from the log. The damage mark goes last: if the removal stops
 * half way, the next writer still knows. */
static int remove_index_dir(const char *dir)
{
    static const char *const files[] = {"data.mdb", "lock.mdb", LTL__INDEX_DAMAGED};
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
    /* with the read key, sealed records' values are indexed as tokens of a key made
     * from the record key (docs/INDEX.md section 1.1) */
    struct ltl__index_rules rules = {db->cfg.index_paths, db->cfg.index_max_paths,
                                     db->keys.have_read ? db->keys.seal.key : NULL,
                                     db->keys.seal.read_key_id};
    int rc = ltl__index_open(out, dir, writable, &rules, &db->log);
    /* derived data: what a writer cannot use it rebuilds (LMDB's own failures on a
     * damaged file come as I/O errors) */
    if (writable && (rc == LTL_EVERSION || rc == LTL_ECORRUPT || rc == LTL_EIO)) {
        ltl__log(&db->log, LTL_LOG_WARN,
                 "the index cannot be used (%s): rebuilding it from the log", ltl__err_current());
        ltl__err_restate();
        if ((rc = remove_index_dir(dir)) == LTL_OK)
            rc = ltl__index_open(out, dir, writable, &rules, &db->log);
    }
    ltl__free(dir);
    return rc;
}

static unsigned cpu_count(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > 16 ? 16 : (unsigned)n;
}

/* ---- records of the log into a part ------------------------------------------ */

struct feed_log {
    struct ltl_db *db;
    struct ltl__index_part *part;
    uint64_t from;
    ltl__buf *plain;
};

static int feed_record(void *vctx, struct ltl__segment *seg, uint64_t off,
                       const struct ltl__body *b, const unsigned char *body, size_t len)
{
    (void)seg;
    (void)off;
    (void)body;
    (void)len;
    struct feed_log *f = vctx;
    const void *payload = NULL;
    size_t plen = 0;
    unsigned flags = 0;
    /* the fields of data records (ltl's own records: only their topic) */
    if (b->kind == LTL_KIND_DATA && (b->flags & LTL_RECORD_JSON)) {
        payload = b->payload;
        plen = b->payload_len;
        if (b->flags & LTL_RECORD_ENCRYPTED) {
            /* indexed as tokens; without the read key (or another key's record) by topic
             * only, and the index says so */
            flags = LTL__INDEX_SEALED;
            payload = NULL;
            if (f->db->keys.have_read) {
                /* with whichever of keys.read sealed it (a rotation keeps the old ones) */
                struct ltl__body open = *b;
                if (ltl__record_unseal(f->db, &open, f->plain, false) == LTL_OK) {
                    payload = open.payload;
                    plen = open.payload_len;
                } else {
                    ltl__err_restate();
                }
            }
        }
    }
    int rc = ltl__index_part_add(f->part, b->seq - f->from, b->topic, b->topic_len, payload, plen,
                                 flags, NULL);
    if (rc == LTL_EPARSE) {
        /* flagged JSON but not: its topic is indexed, its fields are not */
        ltl__err_restate();
        rc = ltl__index_part_add(f->part, b->seq - f->from, b->topic, b->topic_len, NULL, 0, 0,
                                 NULL);
    }
    return rc;
}

/* A finished part of the records [from, to) of the log. */
static int part_from_log(struct ltl_db *db, struct ltl__index *ix, uint64_t from, uint64_t to,
                         ltl__buf *plain, struct ltl__index_part **out)
{
    struct ltl__index_part *part;
    int rc = ltl__index_part_new(&part, ix);
    if (rc == LTL_OK) {
        struct feed_log f = {db, part, from, plain};
        rc = ltl__log_walk(db, from, to, feed_record, &f);
    }
    if (rc == LTL_OK) {
        ltl__index_part_set_records(part, to - from);
        ltl__index_part_set_base(part, from);
        rc = ltl__index_part_finish(part);
    }
    if (rc) {
        ltl__index_part_free(part);
        part = NULL;
    }
    *out = part;
    return rc;
}

/* What may be indexed now: durable records (written ones in forgetful mode). */
static uint64_t indexable_end(struct ltl_db *db)
{
    uint64_t next, durable, tail_end;
    ltl__writer_position(db, &next, &durable, &tail_end);
    return db->cfg.durability == LTL_FORGETFUL ? ltl__writer_written(db) : durable;
}

/* Make the records below `to` indexable (an import's, appended a moment ago). */
static int make_indexable(struct ltl_db *db, uint64_t to)
{
    if (indexable_end(db) >= to)
        return LTL_OK;
    int rc = db->cfg.durability == LTL_FORGETFUL ? ltl__writer_flush(db) : ltl__writer_sync(db);
    if (rc == LTL_OK && indexable_end(db) < to)
        rc = ltl__errf(LTL_EIO, "index: records up to seq %llu are not durable after a sync",
                       (unsigned long long)to);
    return rc;
}

/* ---- the bulk builder ------------------------------------------------------------ */

/* A source of the builder: a part being built by a pool task from the log,
 * or a ready one handed in by an import. Items are taken in seq order. */
struct item {
    struct bulk *b;
    uint64_t from, to; /* records [from, to) */
    struct ltl__index_part *part;
    bool done;
    int rc;
    char msg[256];
    struct item *next;
};

struct bulk {
    struct ltl_db *db;
    struct ltl__indexer *ixr;
    struct ltl__pool *pool;
    pthread_mutex_t mu;
    pthread_cond_t cond; /* a task finished */
    struct item *head, *tail;
    size_t inflight;    /* items queued */
    uint64_t queued_to; /* the end of the records queued so far */
    /* the chunk being gathered: parts in seq order */
    struct ltl__index_part **chunk;
    size_t nchunk, chunk_cap;
    size_t chunk_bytes;
    uint64_t chunk_to;
    /* progress of a reindex: records */
    ltl_progress_fn progress;
    void *progress_ctx;
    uint64_t progress_from, progress_total;
    bool stopped; /* a failure: nothing more is committed */
};

static void item_free(struct item *it)
{
    if (!it)
        return;
    ltl__index_part_free(it->part);
    ltl__free(it);
}

static int build_task(void *arg)
{
    struct item *it = arg;
    struct bulk *b = it->b;
    ltl__buf plain = {0};
    struct ltl__index_part *part = NULL;
    int rc = part_from_log(b->db, b->ixr->ix, it->from, it->to, &plain, &part);
    ltl__buf_free(&plain);
    pthread_mutex_lock(&b->mu);
    it->part = part;
    it->rc = rc;
    if (rc)
        snprintf(it->msg, sizeof(it->msg), "%s", ltl__err_current());
    it->done = true;
    pthread_cond_broadcast(&b->cond);
    pthread_mutex_unlock(&b->mu);
    return LTL_OK; /* the builder reports it: the pool must not cancel other users' tasks */
}

static int bulk_init(struct bulk *b, struct ltl_db *db, struct ltl__indexer *ixr,
                     struct ltl__pool *pool)
{
    *b = (struct bulk){0};
    b->db = db;
    b->ixr = ixr;
    b->pool = pool;
    b->queued_to = b->chunk_to = ltl__index_writer_hwm(ixr->ix);
    pthread_mutex_init(&b->mu, NULL);
    pthread_cond_init(&b->cond, NULL);
    return LTL_OK;
}

static void chunk_drop(struct bulk *b)
{
    for (size_t i = 0; i < b->nchunk; i++)
        ltl__index_part_free(b->chunk[i]);
    b->nchunk = 0;
    b->chunk_bytes = 0;
}

/* Wait for every task, free everything. */
static void bulk_release(struct bulk *b)
{
    pthread_mutex_lock(&b->mu);
    for (struct item *it = b->head; it; it = it->next)
        while (!it->done)
            pthread_cond_wait(&b->cond, &b->mu);
    pthread_mutex_unlock(&b->mu);
    while (b->head) {
        struct item *it = b->head;
        b->head = it->next;
        item_free(it);
    }
    chunk_drop(b);
    ltl__free(b->chunk);
    pthread_mutex_destroy(&b->mu);
    pthread_cond_destroy(&b->cond);
}

/* Write the chunk as a run (new_run) or into the active run. */
static int chunk_commit(struct bulk *b, bool new_run)
{
    if (b->nchunk == 0)
        return LTL_OK;
    struct ltl__indexer *ixr = b->ixr;
    int rc = make_indexable(b->db, b->chunk_to);
    if (rc == LTL_OK)
        rc = ltl__index_commit(ixr->ix, b->chunk, b->nchunk, b->chunk_to, new_run);
    chunk_drop(b);
    if (rc)
        return rc;
    ixr->hwm = b->chunk_to;
    if (b->progress)
        b->progress(b->progress_ctx, b->chunk_to - b->progress_from, b->progress_total);
    return LTL_OK;
}

/* Take the oldest item into the chunk (waiting for it), committing full chunks. */
static int bulk_take(struct bulk *b)
{
    struct item *it = b->head;
    pthread_mutex_lock(&b->mu);
    while (!it->done)
        pthread_cond_wait(&b->cond, &b->mu);
    pthread_mutex_unlock(&b->mu);
    b->head = it->next;
    if (!b->head)
        b->tail = NULL;
    b->inflight--;
    int rc = it->rc;
    if (rc) {
        rc = ltl__errf(rc, "%s", it->msg);
        item_free(it);
        return rc;
    }
    size_t bytes = ltl__index_part_bytes(it->part);
    /* a part that would overflow the chunk's offsets starts the next chunk */
    if (b->nchunk && it->to - ltl__index_part_base(b->chunk[0]) > CHUNK_RECORDS &&
        (rc = chunk_commit(b, true))) {
        item_free(it);
        return rc;
    }
    if (b->nchunk == b->chunk_cap) {
        size_t cap = b->chunk_cap ? b->chunk_cap * 2 : 64;
        struct ltl__index_part **n = ltl__realloc(b->chunk, cap * sizeof(*n));
        if (!n) {
            item_free(it);
            return ltl__errf(LTL_ENOMEM, "out of memory");
        }
        b->chunk = n;
        b->chunk_cap = cap;
    }
    b->chunk[b->nchunk++] = it->part;
    it->part = NULL;
    b->chunk_bytes += bytes;
    b->chunk_to = it->to;
    item_free(it);
    if (b->chunk_bytes >= CHUNK_BYTES)
        return chunk_commit(b, true);
    return LTL_OK;
}

static int bulk_push(struct bulk *b, struct item *it)
{
    it->b = b;
    if (b->tail)
        b->tail->next = it;
    else
        b->head = it;
    b->tail = it;
    b->inflight++;
    b->queued_to = it->to;
    return LTL_OK;
}

/* Queue the records [queued_to, to) of the log as pool tasks. */
static int bulk_queue_log(struct bulk *b, uint64_t to)
{
    int rc = LTL_OK;
    while (b->queued_to < to && rc == LTL_OK) {
        while (b->inflight >= INFLIGHT_MAX && rc == LTL_OK)
            rc = bulk_take(b);
        if (rc)
            break;
        struct item *it = ltl__calloc(1, sizeof(*it));
        if (!it)
            return ltl__errf(LTL_ENOMEM, "out of memory");
        it->from = b->queued_to;
        it->to = to - it->from > TASK_RECORDS ? it->from + TASK_RECORDS : to;
        bulk_push(b, it);
        if (b->pool) {
            if ((rc = ltl__pool_submit(b->pool, build_task, it))) {
                it->done = true;
                it->rc = rc;
                snprintf(it->msg, sizeof(it->msg), "%s", ltl__err_current());
            }
        } else {
            build_task(it);
        }
    }
    return rc;
}

/* Index [queued_to, to) from the log, then commit what is left: as a run of
 * its own when it is large, else into the active run. */
static int bulk_finish(struct bulk *b, uint64_t to)
{
    int rc = bulk_queue_log(b, to);
    while (rc == LTL_OK && b->head)
        rc = bulk_take(b);
    if (rc == LTL_OK)
        rc = chunk_commit(b, b->chunk_bytes >= CHUNK_BYTES / 4);
    return rc;
}

/* ---- indexing a range of records ------------------------------------------- */

/* The bulk builder's pool (made once, kept until the indexer stops). */
static struct ltl__pool *bulk_pool(struct ltl__indexer *ixr)
{
    if (!ixr->pool && cpu_count() > 1 && ltl__pool_new(&ixr->pool, cpu_count()) != LTL_OK) {
        ltl__err_restate(); /* no threads: the caller's thread builds every part */
        ixr->pool = NULL;
    }
    return ixr->pool;
}

/* Index [hwm, to): in this thread when it is a few records, else in bulk.
 * The caller holds write_mu. */
static int index_range(struct ltl_db *db, struct ltl__indexer *ixr, uint64_t to,
                       ltl_progress_fn progress, void *progress_ctx)
{
    uint64_t from = ltl__index_writer_hwm(ixr->ix);
    if (to <= from)
        return LTL_OK;
    if (to - from <= SMALL_MAX && !progress) {
        struct ltl__index_part *part;
        int rc = part_from_log(db, ixr->ix, from, to, &ixr->plain, &part);
        if (rc == LTL_OK)
            rc = ltl__index_commit(ixr->ix, &part, 1, to, false);
        ltl__index_part_free(part);
        if (rc == LTL_OK)
            ixr->hwm = to;
        return rc;
    }
    struct bulk b;
    bulk_init(&b, db, ixr, bulk_pool(ixr));
    b.progress = progress;
    b.progress_ctx = progress_ctx;
    b.progress_from = from;
    b.progress_total = to - from;
    int rc = bulk_finish(&b, to);
    bulk_release(&b);
    return rc;
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
        /* an import or a reindex writes the index meanwhile: next time */
        if (pthread_mutex_trylock(&ixr->write_mu) != 0)
            continue;
        ixr->busy = true;
        pthread_mutex_unlock(&ixr->mu);
        uint64_t to = indexable_end(db), from = ltl__index_writer_hwm(ixr->ix);
        int rc = LTL_OK;
        bool now = to - from <= SMALL_MAX || to - from >= BULK_RECORDS;
        if (to > from && !now) {
            /* a lag between the two: let it grow a little, for a larger run */
            int64_t t = ltl__mono_ns();
            if (!ixr->lag_since)
                ixr->lag_since = t;
            now = t - ixr->lag_since >= BULK_WAIT_NS;
        }
        if (to > from && now) {
            ltl__err_begin();
            rc = index_range(db, ixr, to, NULL, NULL);
            ixr->lag_since = 0;
        }
        pthread_mutex_unlock(&ixr->write_mu);
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
    pthread_mutex_init(&ixr->write_mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&ixr->cond, &ca);
    pthread_condattr_destroy(&ca);
    int rc = ltl__index_open_for(db, true, &ixr->ix);
    if (rc == LTL_OK)
        ixr->hwm = ltl__index_writer_hwm(ixr->ix);
    if (rc == LTL_OK && ixr->hwm > next_seq) {
        /* the log lost records the index has (a repair): start again */
        ltl__log(&db->log, LTL_LOG_WARN,
                 "index: it covers %llu records but the log has %llu: rebuilding it",
                 (unsigned long long)ixr->hwm, (unsigned long long)next_seq);
        rc = ltl__index_clear(ixr->ix);
        ixr->hwm = 0;
    }
    if (rc == LTL_OK && ixr->hwm > db->repair_first_lost) {
        /* repair replaced indexed records by lost-record markers */
        ltl__log(&db->log, LTL_LOG_WARN,
                 "index: it holds records that repair marked lost: rebuilding it");
        rc = ltl__index_clear(ixr->ix);
        ixr->hwm = 0;
    }
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
    if (catch_up && ixr->started && !ixr->paused && !ixr->failed && db->writer) {
        pthread_mutex_lock(&ixr->write_mu);
        rc = index_range(db, ixr, indexable_end(db), NULL, NULL);
        pthread_mutex_unlock(&ixr->write_mu);
    }
    ltl__pool_free(ixr->pool);
    ltl__index_close(ixr->ix);
    ltl__buf_free(&ixr->plain);
    pthread_mutex_destroy(&ixr->mu);
    pthread_mutex_destroy(&ixr->write_mu);
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
    pthread_mutex_lock(&ixr->write_mu);
    /* every record is made durable first: the index covers durable records only */
    int rc = db->cfg.durability == LTL_FORGETFUL ? ltl__writer_flush(db) : ltl__writer_sync(db);
    if (rc == LTL_OK)
        rc = ltl__index_clear(ixr->ix);
    if (rc == LTL_OK) {
        ixr->hwm = 0;
        ixr->failed = LTL_OK;
        rc = index_range(db, ixr, indexable_end(db), progress, ctx);
    }
    pthread_mutex_unlock(&ixr->write_mu);
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

/* ---- the import's feed -----------------------------------------------------------
 * The import's thread appends and hands parts over; the feed's own thread
 * gathers them into chunks and commits them (a sync of the log, a merge,
 * an LMDB commit), so chunk k is written while the workers flatten chunk
 * k+1 and the appender goes on. The queue between the two holds at most
 * FEED_QUEUE_BYTES of parts: the appender waits when it runs that far ahead. */

#define FEED_QUEUE_BYTES CHUNK_BYTES

struct feed_item {
    struct ltl__index_part *part;
    uint64_t first_seq;
    struct feed_item *next;
};

struct ltl__index_feed {
    struct ltl_db *db;
    struct ltl__indexer *ixr;
    struct bulk b;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cond;
    struct feed_item *head, *tail;
    size_t queued_bytes;
    bool closing; /* no more parts: index what is left and end */
    bool stopped; /* a failure: the rest is left to the indexer thread (from the log) */
};

/* After a failure the feed stops; the import goes on appending. The index
 * is derived data: a full disk or a map that cannot grow must not fail the
 * import. The indexer thread catches up from the log later (a transient
 * failure) or reports the failure and stops (it would fail the same way). */
static void feed_stop(struct ltl__index_feed *f, int rc)
{
    if (rc != LTL_ETIMEOUT) {
        pthread_mutex_lock(&f->ixr->mu);
        f->ixr->failed = rc;
        pthread_mutex_unlock(&f->ixr->mu);
        ltl__log(&f->db->log, LTL_LOG_ERROR,
                 "index: stopped at seq %llu during an import: %s (queries scan the rest; "
                 "reopen to retry)",
                 (unsigned long long)f->ixr->hwm, ltl__err_current());
    }
    ltl__err_restate();
    pthread_mutex_lock(&f->mu);
    f->stopped = true;
    pthread_cond_broadcast(&f->cond);
    pthread_mutex_unlock(&f->mu);
}

/* Take a part into the bulk builder (the feed's thread). */
static int feed_take(struct ltl__index_feed *f, struct ltl__index_part *part, uint64_t first_seq)
{
    struct bulk *b = &f->b;
    struct item *it = ltl__calloc(1, sizeof(*it));
    if (!it) {
        ltl__index_part_free(part);
        return ltl__errf(LTL_ENOMEM, "out of memory");
    }
    /* records from elsewhere before it (a manifest, another thread's) come from the log */
    int rc = LTL_OK;
    if (first_seq < b->queued_to)
        rc = ltl__errf(LTL_EINVAL, "index: an import part at seq %llu, behind %llu",
                       (unsigned long long)first_seq, (unsigned long long)b->queued_to);
    else if (first_seq > b->queued_to && (rc = make_indexable(f->db, first_seq)) == LTL_OK)
        rc = bulk_queue_log(b, first_seq);
    ltl__index_part_set_base(part, first_seq);
    it->from = first_seq;
    it->to = first_seq + ltl__index_part_records(part);
    it->part = part;
    it->done = true;
    while (rc == LTL_OK && b->inflight >= INFLIGHT_MAX)
        rc = bulk_take(b);
    if (rc) {
        item_free(it);
        return rc;
    }
    bulk_push(b, it);
    /* ready parts at the head go into the chunk at once */
    while (rc == LTL_OK && b->head && b->head->done)
        rc = bulk_take(b);
    return rc;
}

static void *feed_main(void *arg)
{
    struct ltl__index_feed *f = arg;
    ltl__err_begin();
    pthread_mutex_lock(&f->mu);
    for (;;) {
        while (!f->head && !f->closing)
            pthread_cond_wait(&f->cond, &f->mu);
        struct feed_item *fi = f->head;
        if (!fi)
            break; /* closing, and nothing left */
        f->head = fi->next;
        if (!f->head)
            f->tail = NULL;
        f->queued_bytes -= ltl__index_part_bytes(fi->part);
        bool stopped = f->stopped;
        pthread_cond_broadcast(&f->cond);
        pthread_mutex_unlock(&f->mu);
        if (stopped) {
            ltl__index_part_free(fi->part);
        } else {
            int rc = feed_take(f, fi->part, fi->first_seq);
            if (rc)
                feed_stop(f, rc);
        }
        ltl__free(fi);
        pthread_mutex_lock(&f->mu);
    }
    bool stopped = f->stopped;
    pthread_mutex_unlock(&f->mu);
    if (!stopped) {
        /* what is left: the last chunk, and records appended by others after the import's */
        int rc = make_indexable(f->db, f->b.queued_to);
        if (rc == LTL_OK)
            rc = bulk_finish(&f->b, indexable_end(f->db));
        if (rc)
            feed_stop(f, rc);
    }
    return NULL;
}

int ltl__indexer_feed_begin(struct ltl_db *db, struct ltl__pool *pool, struct ltl__index_feed **out)
{
    *out = NULL;
    struct ltl__indexer *ixr = db->indexer;
    if (!ixr || !ixr->started)
        return LTL_OK;
    pthread_mutex_lock(&ixr->mu);
    bool active = !ixr->paused && !ixr->failed;
    pthread_mutex_unlock(&ixr->mu);
    if (!active)
        return LTL_OK;
    struct ltl__index_feed *f = ltl__calloc(1, sizeof(*f));
    if (!f)
        return ltl__errf(LTL_ENOMEM, "out of memory");
    f->db = db;
    f->ixr = ixr;
    pthread_mutex_init(&f->mu, NULL);
    pthread_cond_init(&f->cond, NULL);
    pthread_mutex_lock(&ixr->write_mu);
    bulk_init(&f->b, db, ixr, pool);
    if (pthread_create(&f->thread, NULL, feed_main, f) != 0) {
        bulk_release(&f->b);
        pthread_mutex_unlock(&ixr->write_mu);
        pthread_mutex_destroy(&f->mu);
        pthread_cond_destroy(&f->cond);
        ltl__free(f);
        return LTL_OK; /* no thread: the import only appends; the indexer catches up */
    }
    *out = f;
    return LTL_OK;
}

int ltl__indexer_feed_part(struct ltl__index_feed *f, struct ltl__index_part *part,
                           uint64_t first_seq)
{
    struct feed_item *fi = ltl__malloc(sizeof(*fi));
    if (!fi) {
        ltl__index_part_free(part);
        return ltl__errf(LTL_ENOMEM, "out of memory");
    }
    *fi = (struct feed_item){part, first_seq, NULL};
    size_t bytes = ltl__index_part_bytes(part);
    pthread_mutex_lock(&f->mu);
    while (f->queued_bytes > FEED_QUEUE_BYTES && !f->stopped)
        pthread_cond_wait(&f->cond, &f->mu);
    if (f->stopped) {
        pthread_mutex_unlock(&f->mu);
        ltl__index_part_free(part);
        ltl__free(fi);
        return LTL_OK;
    }
    if (f->tail)
        f->tail->next = fi;
    else
        f->head = fi;
    f->tail = fi;
    f->queued_bytes += bytes;
    pthread_cond_broadcast(&f->cond);
    pthread_mutex_unlock(&f->mu);
    return LTL_OK;
}

int ltl__indexer_feed_end(struct ltl__index_feed *f, bool ok)
{
    if (!f)
        return LTL_OK;
    pthread_mutex_lock(&f->mu);
    if (!ok)
        f->stopped = true; /* the indexer thread catches up from the log */
    f->closing = true;
    pthread_cond_broadcast(&f->cond);
    pthread_mutex_unlock(&f->mu);
    pthread_join(f->thread, NULL);
    while (f->head) {
        struct feed_item *fi = f->head;
        f->head = fi->next;
        ltl__index_part_free(fi->part);
        ltl__free(fi);
    }
    bulk_release(&f->b);
    pthread_mutex_unlock(&f->ixr->write_mu);
    pthread_mutex_destroy(&f->mu);
    pthread_cond_destroy(&f->cond);
    ltl__free(f);
    return LTL_OK;
}

/* ---- checking the index against the log (ltl verify) --------------------------- */

struct check_task {
    struct ltl_db *db;
    struct ltl__index_check *chk;
    uint64_t from, to;
    struct ltl__index_part *part;
};

/* A pool task: the part of records [from, to), built from the log the way the
 * indexer builds it, resolving paths through the index checked. */
static int check_build(void *arg)
{
    struct check_task *t = arg;
    ltl__buf plain = {0};
    int rc = ltl__index_check_part_new(&t->part, t->chk);
    if (rc == LTL_OK) {
        struct feed_log f = {t->db, t->part, t->from, &plain};
        rc = ltl__log_walk(t->db, t->from, t->to, feed_record, &f);
    }
    if (rc == LTL_OK) {
        ltl__index_part_set_records(t->part, t->to - t->from);
        ltl__index_part_set_base(t->part, t->from);
        rc = ltl__index_part_finish(t->part);
    }
    ltl__buf_free(&plain);
    return rc;
}

/* Compare run i with the log: its records flattened on the pool in tasks of
 * TASK_RECORDS, then merged and compared block by block. */
static int check_one_run(struct ltl_db *db, struct ltl__index_check *chk, struct ltl__pool *pool,
                         size_t i)
{
    uint64_t base, end;
    ltl__index_check_run_range(chk, i, &base, &end);
    size_t n = (size_t)((end - base + TASK_RECORDS - 1) / TASK_RECORDS);
    struct check_task *tasks = ltl__calloc(n, sizeof(*tasks));
    struct ltl__index_part **parts = ltl__calloc(n, sizeof(*parts));
    int rc = tasks && parts ? LTL_OK : ltl__errf(LTL_ENOMEM, "out of memory");
    size_t submitted = 0;
    for (; tasks && submitted < n && rc == LTL_OK; submitted++) {
        struct check_task *t = &tasks[submitted];
        *t = (struct check_task){db, chk, base + submitted * TASK_RECORDS, 0, NULL};
        t->to = end - t->from > TASK_RECORDS ? t->from + TASK_RECORDS : end;
        rc = pool ? ltl__pool_submit(pool, check_build, t) : check_build(t);
    }
    int wrc = pool ? ltl__pool_wait(pool, -1) : LTL_OK;
    if (rc == LTL_OK)
        rc = wrc;
    for (size_t k = 0; tasks && parts && k < n && rc == LTL_OK; k++)
        parts[k] = tasks[k].part;
    if (rc == LTL_OK)
        rc = ltl__index_check_run(chk, i, parts, n);
    for (size_t k = 0; tasks && k < n; k++)
        ltl__index_part_free(tasks[k].part);
    ltl__free(tasks);
    ltl__free(parts);
    return rc;
}

int ltl__index_verify(struct ltl_db *db, ltl_verify_report *out)
{
    out->index_checked = 0;
    out->index_ok = 0;
    out->index_problem[0] = '\0';
    if (!db->cfg.index_enabled)
        return LTL_OK;
    struct ltl__index *ix = NULL;
    struct ltl__index_check *chk = NULL;
    struct ltl__pool *pool = NULL;
    int rc = ltl__index_for_reading(db, &ix);
    if (rc == LTL_OK && !ix)
        return LTL_OK; /* no index (or one of another version): nothing it could answer */
    if (rc == LTL_OK)
        rc = ltl__index_check_begin(&chk, ix);
    uint64_t end = 0;
    if (rc == LTL_OK && (rc = ltl__log_end(db, &end)) == LTL_OK && ltl__index_check_hwm(chk) > end)
        rc = ltl__errf(LTL_ECORRUPT,
                       "index: damaged (it covers %llu records but the log has %llu: records "
                       "were cut from the log, or the index is wrong)",
                       (unsigned long long)ltl__index_check_hwm(chk), (unsigned long long)end);
    if (rc == LTL_OK && cpu_count() > 1 && (rc = ltl__pool_new(&pool, cpu_count())))
        pool = NULL;
    for (size_t i = 0; rc == LTL_OK && i < ltl__index_check_runs(chk); i++)
        rc = check_one_run(db, chk, pool, i);
    struct ltl__index_check_stats st = {0};
    if (rc == LTL_OK)
        rc = ltl__index_check_end(chk, &st);
    ltl__pool_free(pool);
    ltl__index_check_free(chk);
    if (rc == LTL_ECORRUPT) {
        /* the log is the truth and verified apart: report the index's damage, which
         * the next writer repairs by rebuilding it (the mark is left) */
        out->index_checked = 1;
        const char *msg = ltl__err_current();
        if (strncmp(msg, "index: ", 7) == 0)
            msg += 7; /* "damaged (...)" */
        snprintf(out->index_problem, sizeof(out->index_problem), "%s", msg);
        return rc;
    }
    if (rc)
        return rc;
    out->index_checked = 1;
    out->index_ok = 1;
    out->index_records = st.hwm;
    out->index_entries = st.entries;
    out->index_postings = st.postings;
    return LTL_OK;
}
