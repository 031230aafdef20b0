/* SPDX-License-Identifier: MIT */
/*
 * crash_trust_index.c — the hash index (log/tree.hashes) after crashes and
 * failed writes between a segment write and the hash-file write (issue 4):
 * the writer's next open brings the index level with the log (rebuilds
 * what is missing, cuts what is ahead), nothing acknowledged is lost, and
 * a full verify passes.
 *   - the Nth pwrite to tree.hashes fails once (for every N of a workload),
 *     or from the Nth on: appends never fail for it (derived data), a
 *     checkpoint or close that needs the index says so, and the reopened
 *     store verifies;
 *   - a crash after the segment was synced but before the index was: the
 *     index loses everything since its last sync (whole entries, or with a
 *     torn last write — then _ltl says "unfinished append");
 *   - the index ahead of the log: a process dying with records in its
 *     buffer after the index was flushed (casual mode), and a crash whose
 *     torn segment tail recovery cuts (safe mode) — _ltl says "ahead of the
 *     log: cut";
 *   - tree.hashes deleted;
 *   - a crash at every sync point of a workload with checkpoints (the fault
 *     table's random keep/drop/tear of every unsynced write).
 * That the rebuilds of the first and fourth kind leave no hash-index event
 * is asserted in crash_trust_bugs.c.
 *
 * A crash is modelled by an I/O table of this file over the real one: it
 * remembers every unsynced write to the segments and the index, and at a
 * crash undoes those of the files the case names (newest first), tears one
 * if asked, then fails every further call like a dead process.
 */
#define CRASH_TRUST_HELPERS_ONLY
#pragma GCC diagnostic ignored "-Wunused-function"
#include "crash_trust.c"

#include <errno.h>
#include <pthread.h>

/* ---- an I/O table that fails or forgets writes per file --------------------- */

#define TIO_FDS 1024

enum { CLASS_OTHER, CLASS_SEG, CLASS_TREE };

enum {
    DROP_SEG = 1 << 0,         /* unsynced segment writes are lost */
    DROP_TREE = 1 << 1,        /* unsynced tree.hashes writes are lost */
    TEAR_TREE_NEWEST = 1 << 2, /* ...but the newest keeps a part that is no whole entry */
    TEAR_SEG_OLDEST = 1 << 3,  /* ...the oldest unsynced segment write keeps its first bytes */
};

struct undo {
    char *path;
    int cls;
    off_t off;
    size_t len;
    off_t old_size;
    unsigned char *old;
    struct undo *next; /* older */
};

struct tio {
    ltl__io table; /* first: the table pointer is the object pointer */
    ltl__io *real;
    pthread_mutex_t mu;
    char *fd_path[TIO_FDS];
    long tree_pwrites;
    long fail_nth; /* the nth pwrite to tree.hashes fails (0: none) */
    bool fail_persistent;
    struct undo *undo; /* unsynced writes, newest first */
    bool dead;
};

static struct tio *T(ltl__io *io)
{
    return (struct tio *)io;
}

static int classify(const char *path)
{
    size_t n = path ? strlen(path) : 0;
    if (n > 4 && strcmp(path + n - 4, ".seg") == 0)
        return CLASS_SEG;
    if (n > 11 && strcmp(path + n - 11, "tree.hashes") == 0)
        return CLASS_TREE;
    return CLASS_OTHER;
}

static bool dead(struct tio *t)
{
    if (t->dead)
        errno = EIO;
    return t->dead;
}

static int t_open(ltl__io *io, const char *path, int flags, mode_t mode)
{
    struct tio *t = T(io);
    pthread_mutex_lock(&t->mu);
    int fd = dead(t) ? -1 : t->real->open(t->real, path, flags, mode);
    if (fd >= 0 && fd < TIO_FDS) {
        free(t->fd_path[fd]);
        t->fd_path[fd] = strdup(path);
    }
    int saved = errno;
    pthread_mutex_unlock(&t->mu);
    errno = saved;
    return fd;
}

static int t_close(ltl__io *io, int fd)
{
    struct tio *t = T(io);
    pthread_mutex_lock(&t->mu);
    int rc = t->real->close(t->real, fd); /* a dead process's descriptors go too */
    if (fd >= 0 && fd < TIO_FDS) {
        free(t->fd_path[fd]);
        t->fd_path[fd] = NULL;
    }
    pthread_mutex_unlock(&t->mu);
    return rc;
}

static ssize_t t_pread(ltl__io *io, int fd, void *buf, size_t len, off_t off)
{
    struct tio *t = T(io);
    if (dead(t))
        return -1;
    return t->real->pread(t->real, fd, buf, len, off);
}

static ssize_t t_pwrite(ltl__io *io, int fd, const void *buf, size_t len, off_t off)
{
    struct tio *t = T(io);
    pthread_mutex_lock(&t->mu);
    ssize_t n = -1;
    const char *path = fd >= 0 && fd < TIO_FDS ? t->fd_path[fd] : NULL;
    int cls = classify(path);
    if (dead(t))
        goto out;
    if (cls == CLASS_TREE) {
        long nth = ++t->tree_pwrites;
        if (t->fail_nth && (nth == t->fail_nth || (t->fail_persistent && nth > t->fail_nth))) {
            errno = EIO;
            goto out;
        }
    }
    struct undo *u = NULL;
    if (cls != CLASS_OTHER) {
        struct stat st;
        assert_int_equal(fstat(fd, &st), 0);
        u = calloc(1, sizeof(*u));
        u->path = strdup(path);
        u->cls = cls;
        u->off = off;
        u->len = len;
        u->old_size = st.st_size;
        u->old = calloc(1, len ? len : 1);
        if (pread(fd, u->old, len, off) < 0) {
            /* beyond the end: zeros */
        }
    }
    n = t->real->pwrite(t->real, fd, buf, len, off);
    if (u && n > 0) {
        u->len = (size_t)n;
        u->next = t->undo;
        t->undo = u;
    } else if (u) {
        free(u->path);
        free(u->old);
        free(u);
    }
out:;
    int saved = errno;
    pthread_mutex_unlock(&t->mu);
    errno = saved;
    return n;
}

/* A successful sync makes the file's writes durable: forget them. */
static int t_sync(ltl__io *io, int fd, bool data)
{
    struct tio *t = T(io);
    pthread_mutex_lock(&t->mu);
    int rc = -1;
    if (!dead(t))
        rc = data ? t->real->fdatasync(t->real, fd) : t->real->fsync(t->real, fd);
    const char *path = fd >= 0 && fd < TIO_FDS ? t->fd_path[fd] : NULL;
    if (rc == 0 && path) {
        for (struct undo **pp = &t->undo; *pp;) {
            struct undo *u = *pp;
            if (strcmp(u->path, path) == 0) {
                *pp = u->next;
                free(u->path);
                free(u->old);
                free(u);
            } else {
                pp = &u->next;
            }
        }
    }
    int saved = errno;
    pthread_mutex_unlock(&t->mu);
    errno = saved;
    return rc;
}

static int t_fdatasync(ltl__io *io, int fd)
{
    return t_sync(io, fd, true);
}

static int t_fsync(ltl__io *io, int fd)
{
    return t_sync(io, fd, false);
}

#define TPASS(call)                                                                                \
    struct tio *t = T(io);                                                                         \
    if (dead(t))                                                                                   \
        return -1;                                                                                 \
    return call

static int t_fallocate(ltl__io *io, int fd, off_t len)
{
    TPASS(t->real->fallocate(t->real, fd, len));
}
static int t_ftruncate(ltl__io *io, int fd, off_t len)
{
    TPASS(t->real->ftruncate(t->real, fd, len));
}
static int t_fstat(ltl__io *io, int fd, struct stat *st)
{
    TPASS(t->real->fstat(t->real, fd, st));
}
static int t_stat(ltl__io *io, const char *path, struct stat *st)
{
    TPASS(t->real->stat(t->real, path, st));
}
static int t_unlink(ltl__io *io, const char *path)
{
    TPASS(t->real->unlink(t->real, path));
}
static int t_mkdir(ltl__io *io, const char *path, mode_t mode)
{
    TPASS(t->real->mkdir(t->real, path, mode));
}
static int t_flock(ltl__io *io, int fd, int op)
{
    TPASS(t->real->flock(t->real, fd, op));
}
static int t_list_dir(ltl__io *io, const char *dir, int (*fn)(void *ctx, const char *name),
                      void *ctx)
{
    TPASS(t->real->list_dir(t->real, dir, fn, ctx));
}

static int t_rename(ltl__io *io, const char *from, const char *to)
{
    struct tio *t = T(io);
    pthread_mutex_lock(&t->mu);
    int rc = dead(t) ? -1 : t->real->rename(t->real, from, to);
    if (rc == 0) {
        for (int i = 0; i < TIO_FDS; i++)
            if (t->fd_path[i] && strcmp(t->fd_path[i], from) == 0) {
                free(t->fd_path[i]);
                t->fd_path[i] = strdup(to);
            }
        for (struct undo *u = t->undo; u; u = u->next)
            if (strcmp(u->path, from) == 0) {
                free(u->path);
                u->path = strdup(to);
                u->cls = classify(to);
            }
    }
    int saved = errno;
    pthread_mutex_unlock(&t->mu);
    errno = saved;
    return rc;
}

static struct tio *tio_new(void)
{
    struct tio *t = calloc(1, sizeof(*t));
    t->table = (ltl__io){t_open,   t_close,     t_pread,     t_pwrite, t_fdatasync,
                         t_fsync,  t_fallocate, t_ftruncate, t_fstat,  t_stat,
                         t_rename, t_unlink,    t_mkdir,     t_flock,  t_list_dir};
    t->real = ltl__io_real();
    pthread_mutex_init(&t->mu, NULL);
    return t;
}

static void undo_free(struct undo *u)
{
    while (u) {
        struct undo *next = u->next;
        free(u->path);
        free(u->old);
        free(u);
        u = next;
    }
}

static void tio_free(struct tio *t)
{
    for (int i = 0; i < TIO_FDS; i++)
        free(t->fd_path[i]);
    undo_free(t->undo);
    pthread_mutex_destroy(&t->mu);
    free(t);
}

/* Restore the old bytes of u from byte `keep` of the write on. */
static void undo_apply(const struct undo *u, size_t keep)
{
    int fd = open(u->path, O_RDWR);
    if (fd < 0)
        return; /* gone: nothing to undo */
    if (keep < u->len)
        pwrite_exact(fd, u->old + keep, u->len - keep, u->off + (off_t)keep);
    struct stat st;
    if (keep == 0 && fstat(fd, &st) == 0 && st.st_size > u->old_size &&
        u->off + (off_t)u->len >= st.st_size)
        assert_int_equal(ftruncate(fd, u->old_size), 0);
    if (keep > 0 && keep < u->len && fstat(fd, &st) == 0 && u->off + (off_t)u->len >= st.st_size &&
        u->off + (off_t)keep >= u->old_size)
        assert_int_equal(ftruncate(fd, u->off + (off_t)keep), 0); /* a torn append */
    close(fd);
}

/* The power goes: the unsynced writes of the named files are lost (newest
 * first), a torn one keeps some bytes; then the process is dead. Returns
 * the number of writes undone. */
static int tio_crash(struct tio *t, unsigned policy)
{
    pthread_mutex_lock(&t->mu);
    int undone = 0;
    struct undo *oldest_seg = NULL;
    for (struct undo *u = t->undo; u; u = u->next)
        if (u->cls == CLASS_SEG)
            oldest_seg = u;
    bool newest_tree = true;
    for (struct undo *u = t->undo; u; u = u->next) {
        size_t keep = 0;
        if (u->cls == CLASS_TREE && (policy & DROP_TREE)) {
            if ((policy & TEAR_TREE_NEWEST) && newest_tree && u->len > 40)
                keep = 32 + 13; /* one entry and part of the next */
            newest_tree = false;
        } else if (u->cls == CLASS_SEG && (policy & DROP_SEG)) {
            if ((policy & TEAR_SEG_OLDEST) && u == oldest_seg)
                keep = u->len < 24 ? u->len : 24; /* a frame header and a bit */
        } else {
            continue;
        }
        undo_apply(u, keep);
        undone++;
    }
    undo_free(t->undo);
    t->undo = NULL;
    t->dead = true;
    pthread_mutex_unlock(&t->mu);
    return undone;
}

/* ---- the checks after a reopen ---------------------------------------------------- */

/* The store opens as a writer with the real table, every record appended
 * with an acknowledged sync is there with its payload, and a full verify
 * passes. Returns the _ltl system events (caller frees). */
static char *reopen_and_verify(const struct fixture *fx, uint64_t synced, const char *context)
{
    int rc;
    ltl_db *db = cu_open(fx->store, ltl__io_real(), LTL_SAFE, 0, fx->config, &rc);
    if (!db)
        fail_msg("%s: reopen: %s", context, ltl_strerror(rc));
    assert_int_equal(ltl_close(db), LTL_OK);
    db = fx_open(fx, LTL_SAFE, LTL_OPEN_READONLY, NULL);
    ltl_info info;
    assert_int_equal(ltl_stat(&info, db), LTL_OK);
    if (info.records < synced)
        fail_msg("%s: %" PRIu64 " records, %" PRIu64 " were synced", context, info.records, synced);
    char want[4096];
    for (uint64_t seq = 1; seq < synced; seq += 7) {
        ltl_record *r;
        assert_int_equal(ltl_get(&r, db, seq), LTL_OK);
        if (r->kind == LTL_KIND_DATA && strcmp(r->topic, "t") == 0) {
            int i;
            assert_int_equal(sscanf(r->data, "{\"i\":%d,", &i), 1);
            int n = message(want, sizeof(want), i);
            assert_int_equal(r->len, (size_t)n);
            assert_memory_equal(r->data, want, (size_t)n);
        }
        ltl_record_free(r);
    }
    ltl_close(db);
    struct verdict v = verify(fx, LTL_VERIFY_FULL, NULL);
    if (v.rc != LTL_OK)
        fail_msg("%s: verify: %s", context, v.r.problem);
    return system_events(fx);
}

/* Append data records [from, to) and return the next seq. */
static uint64_t append_range(ltl_db *db, int from, int to)
{
    char msg[4096];
    uint64_t seq = 0;
    for (int i = from; i < to; i++) {
        int n = message(msg, sizeof(msg), i);
        assert_int_equal(ltl_append(&seq, db, "t", msg, (size_t)n, LTL_APPEND_JSON), LTL_OK);
    }
    return seq + 1;
}

/* ---- a failing write to the index ------------------------------------------------ */

struct failing_run {
    int opened;
    int checkpoint_failures;
    int close_failures;
    uint64_t acked; /* every seq below was acknowledged and synced */
};

/* Appends in safe mode with a sync and a checkpoint after every 20
 * records; the index's writes fail as t says. */
static void failing_workload(const struct fixture *fx, struct tio *t, struct failing_run *out)
{
    memset(out, 0, sizeof(*out));
    int rc;
    char config[4096]; /* no syncer ticks: the same writes in every run */
    snprintf(config, sizeof(config), "%s,sync.interval=1h", fx->config);
    ltl_db *db = cu_open(fx->store, &t->table, LTL_SAFE, LTL_OPEN_CREATE, config, &rc);
    if (!db) {
        /* creating the index at the first open failed: said, nothing written */
        assert_int_equal(rc, LTL_EIO);
        return;
    }
    out->opened = 1;
    for (int batch = 0; batch < 6; batch++) {
        out->acked = append_range(db, batch * 20, batch * 20 + 20); /* never fails for the index */
        assert_int_equal(ltl_sync(db), LTL_OK);
        char *text = NULL;
        rc = ltl_checkpoint(&text, db);
        if (rc != LTL_OK) {
            assert_int_equal(rc, LTL_EIO);
            assert_non_null(strstr(ltl_errmsg(db), "tree.hashes"));
            out->checkpoint_failures++;
        }
        ltl_free(text);
    }
    if (ltl_close(db) != LTL_OK)
        out->close_failures++;
}

static void index_write_fails(void **state, bool persistent)
{
    (void)state;
    /* how many writes the index gets in a clean run */
    struct fixture fx;
    fx_init(&fx, true);
    struct tio *t = tio_new();
    struct failing_run run;
    failing_workload(&fx, t, &run);
    long writes = t->tree_pwrites;
    tio_free(t);
    fx_free(&fx);
    assert_true(writes > 5);
    int failed_checkpoints = 0, failed_opens = 0;
    for (long nth = 1; nth <= writes; nth++) {
        fx_init(&fx, true);
        t = tio_new();
        t->fail_nth = nth;
        t->fail_persistent = persistent;
        failing_workload(&fx, t, &run);
        tio_free(t);
        failed_checkpoints += run.checkpoint_failures;
        failed_opens += !run.opened;
        if (run.opened) {
            char context[64];
            snprintf(context, sizeof(context), "pwrite %ld of tree.hashes failed", nth);
            char *events = reopen_and_verify(&fx, run.acked, context);
            free(events);
        }
        fx_free(&fx);
    }
    print_message("%ld index writes failed %s: %d checkpoints refused, %d opens refused\n", writes,
                  persistent ? "from there on" : "once each", failed_checkpoints, failed_opens);
    assert_true(failed_checkpoints > 0);
}

static void index_write_fails_once(void **state)
{
    index_write_fails(state, false);
}

static void index_write_fails_from_then_on(void **state)
{
    index_write_fails(state, true);
}

/* ---- crashes between the segment and the index ------------------------------------- */

/* Safe mode: 100 records and a checkpoint (the index synced), 250 more
 * and ltl_sync (the segments synced, the index only flushed), then the
 * power goes and the index loses what it had not synced. */
static void crash_segment_synced_index_not(void **state)
{
    (void)state;
    for (int torn = 0; torn < 2; torn++) {
        struct fixture fx;
        fx_init(&fx, true);
        char config[4096];
        snprintf(config, sizeof(config), "%s,sync.interval=1h", fx.config);
        struct tio *t = tio_new();
        ltl_db *db = cu_open(fx.store, &t->table, LTL_SAFE, LTL_OPEN_CREATE, config, NULL);
        append_range(db, 0, 100);
        assert_int_equal(ltl_checkpoint(NULL, db), LTL_OK);
        uint64_t synced = append_range(db, 100, 350);
        assert_int_equal(ltl_sync(db), LTL_OK);
        /* the index's buffer reaches the file (as the syncer would flush it) */
        assert_int_equal(ltl__writer_flush_index(db), LTL_OK);
        int undone = tio_crash(t, DROP_TREE | (torn ? TEAR_TREE_NEWEST : 0));
        assert_true(undone > 0);
        ltl_close(db); /* fails: the process is gone; frees */
        tio_free(t);

        char *events = reopen_and_verify(&fx, synced, torn ? "index torn" : "index lost");
        if (torn)
            assert_non_null(strstr(events, "unfinished append"));
        free(events);
        fx_free(&fx);
    }
}

/* Casual mode: records wait in the process's buffer (1 MiB) while the
 * index flushes every 8192 entries; the process dies: the index holds
 * leaves of records that never reached the log. */
static void crash_index_ahead_casual(void **state)
{
    (void)state;
    struct fixture fx;
    fx_init(&fx, true);
    char config[4096];
    snprintf(config, sizeof(config), "%s,sync.interval=1h", fx.config);
    strcat(config, ",segment.size=4M"); /* no roll (a roll syncs the records) */
    struct tio *t = tio_new();
    ltl_db *db = cu_open(fx.store, &t->table, LTL_CASUAL, LTL_OPEN_CREATE, config, NULL);
    uint64_t synced = append_range(db, 0, 50);
    assert_int_equal(ltl_sync(db), LTL_OK);
    long index_writes = t->tree_pwrites;
    for (int i = 0; i < 5000; i++)
        assert_int_equal(ltl_append(NULL, db, "s", "{\"small\":1}", 11, 0), LTL_OK);
    assert_true(t->tree_pwrites > index_writes); /* the index reached the file... */
    tio_crash(t, 0);                             /* ...the records did not: nothing else is lost */
    ltl_close(db);
    tio_free(t);

    char *events = reopen_and_verify(&fx, synced, "casual buffer lost");
    const char *note = strstr(events, "{\"event\":\"hash-index\",\"note\":\"tree.hashes was ");
    if (!note || !strstr(note, " leaves ahead of the log: cut\"}"))
        fail_msg("events:\n%s", events);
    unsigned long long ahead =
        strtoull(note + strlen("{\"event\":\"hash-index\",\"note\":\"tree.hashes was "), NULL, 10);
    print_message("tree.hashes was %llu leaves ahead\n", ahead);
    assert_true(ahead > 4000 && ahead <= 5000); /* flushed at 8192 entries: ~4096 leaves */
    free(events);
    fx_free(&fx);
}

/* Safe mode: records written to the OS, not synced, the index flushed; the
 * power goes, the segment writes are lost but the first is torn: recovery
 * cuts the torn tail, and the index is ahead of what is left. */
static void crash_torn_tail_index_ahead(void **state)
{
    (void)state;
    struct fixture fx;
    fx_init(&fx, true);
    char config[4096];
    snprintf(config, sizeof(config), "%s,sync.interval=1h", fx.config);
    struct tio *t = tio_new();
    ltl_db *db = cu_open(fx.store, &t->table, LTL_SAFE, LTL_OPEN_CREATE, config, NULL);
    uint64_t synced = append_range(db, 0, 30); /* ~45 KB: one segment */
    assert_int_equal(ltl_sync(db), LTL_OK);
    for (int i = 0; i < 30; i++)
        assert_int_equal(ltl_append(NULL, db, "s", "{\"small\":1}", 11, 0), LTL_OK);
    assert_int_equal(ltl__writer_flush_index(db), LTL_OK);
    assert_true(tio_crash(t, DROP_SEG | TEAR_SEG_OLDEST) > 0);
    ltl_close(db);
    tio_free(t);

    char *events = reopen_and_verify(&fx, synced, "torn tail");
    assert_non_null(strstr(events, "{\"event\":\"recovery\""));
    char want[128];
    snprintf(
        want, sizeof(want),
        "{\"event\":\"hash-index\",\"note\":\"tree.hashes was %d leaves ahead of the log: cut\"}",
        30);
    if (!strstr(events, want))
        fail_msg("events:\n%s", events);
    free(events);
    fx_free(&fx);
}

/* The index deleted: the writer rebuilds it from the log. */
static void index_deleted(void **state)
{
    (void)state;
    struct fixture fx;
    fx_init(&fx, true);
    fx_append(&fx, 0, COUNT, LTL_SAFE);
    char *cp = last_checkpoint(&fx);
    store_file_remove(&fx, "log/tree.hashes");
    /* a reader cannot verify without it (the message it gives is in
     * crash_trust_bugs.c) */
    ltl_db *db = fx_open(&fx, LTL_SAFE, LTL_OPEN_READONLY, NULL);
    ltl_verify_report r;
    assert_int_equal(ltl_verify(&r, db, NULL), LTL_ENOTFOUND);
    assert_true(ltl_errmsg(db)[0] != '\0');
    ltl_close(db);
    char *events = reopen_and_verify(&fx, COUNT + 1, "tree.hashes deleted");
    free(events);
    /* the same tree: the old checkpoint still holds */
    assert_ok(vp(verify(&fx, LTL_VERIFY_FULL, cp)));
    free(cp);
    fx_free(&fx);
}

/* ---- a crash at every sync point ------------------------------------------------- */

#define SP_CONFIG_EXTRA "sync.interval=1h"

static uint64_t sync_point_workload(const struct fixture *fx, ltl__io *io)
{
    char config[4096];
    snprintf(config, sizeof(config), "%s,%s", fx->config, SP_CONFIG_EXTRA);
    int rc;
    ltl_db *db = cu_open(fx->store, io, LTL_SAFE, LTL_OPEN_CREATE, config, &rc);
    if (!db)
        return 0;
    uint64_t synced = 0;
    for (int batch = 0; batch < 6; batch++) {
        char msg[4096];
        uint64_t seq = 0;
        bool ok = true;
        for (int i = batch * 12; i < batch * 12 + 12 && ok; i++) {
            int n = message(msg, sizeof(msg), i);
            ok = ltl_append(&seq, db, "t", msg, (size_t)n, LTL_APPEND_JSON) == LTL_OK;
        }
        if (ok && ltl_sync(db) == LTL_OK)
            synced = seq + 1;
        if (batch % 2 == 1)
            (void)ltl_checkpoint(NULL, db);
    }
    ltl_close(db);
    return synced;
}

static void crash_at_every_sync_point(void **state)
{
    (void)state;
    struct fixture fx;
    fx_init(&fx, true);
    ltl__io_fault *f = ltl__io_fault_new(1);
    sync_point_workload(&fx, ltl__io_fault_table(f));
    long syncs = ltl__io_fault_calls(f, LTL__IO_FDATASYNC);
    ltl__io_fault_free(f);
    fx_free(&fx);
    int seeds = 3;
    print_message("%ld sync points, %d seeds each\n", syncs, seeds);
    for (long k = 1; k <= syncs; k++)
        for (int seed = 1; seed <= seeds; seed++) {
            fx_init(&fx, true);
            f = ltl__io_fault_new((uint64_t)(k * 7919 + seed));
            ltl__io_fault_crash_at_sync(f, k);
            uint64_t synced = sync_point_workload(&fx, ltl__io_fault_table(f));
            if (!ltl__io_fault_crashed(f))
                ltl__io_fault_crash(f);
            ltl__io_fault_free(f);
            char context[64];
            snprintf(context, sizeof(context), "crash at sync point %ld, seed %d", k, seed);
            struct stat st;
            char *header = tu_path(fx.store, "LTL");
            if (stat(header, &st) == 0) {
                char *events = reopen_and_verify(&fx, synced, context);
                free(events);
            }
            free(header);
            fx_free(&fx);
        }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(index_write_fails_once),
        cmocka_unit_test(index_write_fails_from_then_on),
        cmocka_unit_test(crash_segment_synced_index_not),
        cmocka_unit_test(crash_index_ahead_casual),
        cmocka_unit_test(crash_torn_tail_index_ahead),
        cmocka_unit_test(index_deleted),
        cmocka_unit_test(crash_at_every_sync_point),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
