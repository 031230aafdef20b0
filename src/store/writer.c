/* SPDX-License-Identifier: MIT */
/*
 * writer.c — the append path. Appenders encode frames into one process
 * buffer under a mutex; what "acknowledged" means depends on the mode:
 *
 *   forgetful  in the buffer; written when it fills or at close; never synced
 *   casual     in the buffer; the syncer thread writes and syncs it every
 *              sync.interval
 *   safe       written to the OS (pwrite); the syncer fdatasyncs every interval
 *   paranoid   written, fdatasynced and read back before the call returns
 *
 * Concurrent appenders share writes and syncs (leader/follower group
 * commit): whoever finds no I/O in flight becomes the leader, takes the
 * whole buffer, writes (and syncs) it with the lock released, then wakes
 * everyone whose record it covered; the others wait. A failed write or
 * fdatasync breaks the writer: fsync errors cannot be retried safely (the
 * kernel may have dropped the dirty pages), so appends are refused until
 * the store is reopened and recovery has looked at the tail.
 *
 * After every successful sync the writer records the durable point (tail
 * segment, offset, next seq) in log/synced, two checksummed slots written
 * alternately. Recovery uses it to tell a torn tail (after the durable
 * point: truncate) from damage to synced data (before it: corruption).
 */
#include "json/json.h"
#include "store/store.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#define FLUSH_THRESHOLD (1u << 20)

struct ltl__writer {
    pthread_mutex_t mu;
    pthread_cond_t cond;        /* I/O state changed */
    pthread_cond_t syncer_cond; /* wakes the syncer early (stop) */
    int mode;

    struct ltl__segment *seg; /* the tail segment */
    int fd;                   /* read-write descriptor of seg */
    int open_flags;           /* O_DSYNC in paranoid mode: each write is its own sync */
    uint64_t salt;
    uint64_t seg_size; /* its file size */

    uint64_t next_seq;
    int64_t last_ts;
    uint64_t manifest_seq; /* manifest of new records; LTL__NO_SEQ until written */
    char *manifest_json;   /* this process's manifest payload */

    uint64_t pos; /* offset of the next frame in seg */
    ltl__buf buf; /* encoded frames for [buf_off, pos) */
    uint64_t buf_off;
    ltl__buf spare; /* the buffer a leader is writing */

    uint64_t written_seq; /* every seq below is written to the OS */
    uint64_t written_off;
    uint64_t synced_seq; /* every seq below is on disk */
    uint64_t synced_off;

    uint64_t unsynced_base; /* forgetful: first segment left unsynced by a roll, or NO_SEQ */

    bool io_busy;   /* a leader is writing */
    bool sync_busy; /* the syncer runs fdatasync */
    bool rolling;   /* a new segment is being created */
    int broken;     /* LTL_OK, or the failure that broke the writer */
    char broken_msg[512];

    pthread_t syncer;
    bool syncer_started;
    bool stopping;
    int64_t interval_ns;

    /* set by ltl__writer_rotate_read(): the read key the store seals with now;
     * this writer holds the old one, so it appends nothing more */
    bool rotated;
    uint32_t rotated_to;

    uint64_t cp_size; /* size of the last checkpoint in the store */
    int64_t cp_time;  /* monotonic time it was made (or the writer started) */

    pthread_mutex_t marker_mu;
    int marker_fd;
    uint64_t marker_gen;
    uint64_t marker_base, marker_off;
};

/* ---- the durable-point marker ------------------------------------------- */

static void marker_encode(unsigned char out[LTL__MARKER_SLOT], const struct ltl__marker *m)
{
    memset(out, 0, LTL__MARKER_SLOT);
    memcpy(out, LTL__MARKER_MAGIC, 8);
    ltl__put_u64(out + 8, m->generation);
    ltl__put_u64(out + 16, m->seg_base);
    ltl__put_u64(out + 24, m->off);
    ltl__put_u64(out + 32, m->next_seq);
    ltl__put_u32(out + 60, ltl__crc32c(0, out, 60));
}

static bool marker_decode(struct ltl__marker *out, const unsigned char in[LTL__MARKER_SLOT])
{
    if (memcmp(in, LTL__MARKER_MAGIC, 8) != 0 || ltl__get_u32(in + 60) != ltl__crc32c(0, in, 60))
        return false;
    for (int i = 40; i < 60; i++)
        if (in[i])
            return false;
    out->generation = ltl__get_u64(in + 8);
    out->seg_base = ltl__get_u64(in + 16);
    out->off = ltl__get_u64(in + 24);
    out->next_seq = ltl__get_u64(in + 32);
    return true;
}

int ltl__marker_read(struct ltl_db *db, struct ltl__marker *out, int *bad_slots)
{
    char *path = ltl__path_join(db->log_dir, LTL__MARKER_FILE);
    if (!path)
        return ltl__errf(LTL_ENOMEM, "out of memory");
    int rc = LTL_ENOTFOUND;
    *bad_slots = 0;
    int fd = db->io->open(db->io, path, O_RDONLY, 0);
    if (fd < 0) {
        rc = errno == ENOENT ? LTL_ENOTFOUND : ltl__err_sys(errno, "open %s", path);
        goto out;
    }
    unsigned char slots[2 * LTL__MARKER_SLOT];
    ssize_t n = ltl__io_pread_full(db->io, fd, slots, sizeof(slots), 0);
    if (n < 0) {
        rc = ltl__err_sys(errno, "read %s", path);
        db->io->close(db->io, fd);
        goto out;
    }
    db->io->close(db->io, fd);
    for (int i = 0; i < 2; i++) {
        struct ltl__marker m;
        size_t at = (size_t)i * LTL__MARKER_SLOT;
        if (at + LTL__MARKER_SLOT > (size_t)n)
            continue; /* a slot never written */
        bool empty = true;
        for (size_t b = 0; b < LTL__MARKER_SLOT; b++)
            empty = empty && slots[at + b] == 0;
        if (empty)
            continue;
        if (!marker_decode(&m, slots + at)) {
            (*bad_slots)++;
            continue;
        }
        if (rc == LTL_ENOTFOUND || m.generation > out->generation) {
            *out = m;
            rc = LTL_OK;
        }
    }
out:
    ltl__free(path);
    return rc;
}

/* Record the durable point; advisory, so a failure is logged, not fatal:
 * a stale marker only widens what recovery may treat as a torn tail. */
static void marker_update(struct ltl_db *db, uint64_t base, uint64_t off, uint64_t next_seq)
{
    struct ltl__writer *w = db->writer;
    pthread_mutex_lock(&w->marker_mu);
    if (base < w->marker_base || (base == w->marker_base && off <= w->marker_off)) {
        pthread_mutex_unlock(&w->marker_mu);
        return; /* a newer point is recorded already */
    }
    struct ltl__marker m = {w->marker_gen + 1, base, off, next_seq};
    unsigned char slot[LTL__MARKER_SLOT];
    marker_encode(slot, &m);
    off_t at = (off_t)((m.generation % 2) * LTL__MARKER_SLOT);
    if (ltl__io_pwrite_full(db->io, w->marker_fd, slot, sizeof(slot), at) < 0) {
        ltl__log(&db->log, LTL_LOG_WARN, "cannot record the durable point in %s/%s: %s",
                 db->log_dir, LTL__MARKER_FILE, strerror(errno));
    } else {
        w->marker_gen = m.generation;
        w->marker_base = base;
        w->marker_off = off;
    }
    pthread_mutex_unlock(&w->marker_mu);
}

/* ---- segments ------------------------------------------------------------ */

static int random_bytes(void *out, size_t len)
{
    unsigned char *p = out;
    while (len) {
        ssize_t n = getrandom(p, len, 0);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return ltl__err_sys(errno, "getrandom");
        }
        p += n;
        len -= (size_t)n;
    }
    return LTL_OK;
}

/* Create segment `base` of `size` bytes durably: written under a temporary
 * name, preallocated, synced, renamed, directory synced. A crash leaves
 * either no segment or a whole one. *out_fd is open read-write. */
static int segment_create(struct ltl_db *db, uint64_t base, uint64_t size, int extra_flags,
                          int *out_fd, uint64_t *out_salt)
{
    char name[32];
    ltl__seg_name(name, sizeof(name), base);
    char *path = ltl__path_join(db->log_dir, name);
    char *tmp = path ? ltl__sprintf("%s.tmp", path) : NULL;
    int fd = -1, rc = LTL_OK;
    if (!tmp) {
        rc = ltl__errf(LTL_ENOMEM, "out of memory");
        goto out;
    }
    struct ltl__seg_header h = {.base_seq = base, .created = ltl_time_now()};
    memcpy(h.store_id, db->header.store_id, 16);
    if ((rc = random_bytes(&h.salt, sizeof(h.salt))))
        goto out;
    unsigned char hdr[LTL__SEG_HEADER_SIZE];
    ltl__seg_header_encode(hdr, &h);
    fd = db->io->open(db->io, tmp, O_RDWR | O_CREAT | O_TRUNC | extra_flags, 0644);
    if (fd < 0) {
        rc = ltl__err_sys(errno, "create segment %s", tmp);
        goto out;
    }
    if (db->io->fallocate(db->io, fd, (off_t)size) < 0) {
        rc = ltl__err_sys(errno, "preallocate %llu bytes for segment %s", (unsigned long long)size,
                          name);
        goto out;
    }
    if (ltl__io_pwrite_full(db->io, fd, hdr, sizeof(hdr), 0) < 0) {
        rc = ltl__err_sys(errno, "write segment header %s", name);
        goto out;
    }
    if (db->io->fsync(db->io, fd) < 0) {
        rc = ltl__err_sys(errno, "fsync segment %s", name);
        goto out;
    }
    if (db->io->rename(db->io, tmp, path) < 0) {
        rc = ltl__err_sys(errno, "rename %s to %s", tmp, name);
        goto out;
    }
    if (ltl__io_fsync_dir(db->io, db->log_dir) < 0) {
        rc = ltl__err_sys(errno, "fsync directory %s", db->log_dir);
        goto out;
    }
    *out_fd = fd;
    *out_salt = h.salt;
    fd = -1;
out:
    if (fd >= 0) {
        db->io->close(db->io, fd);
        if (tmp)
            db->io->unlink(db->io, tmp);
    }
    ltl__free(tmp);
    ltl__free(path);
    return rc;
}

/* ---- group commit -------------------------------------------------------- */

static int broken_error(struct ltl__writer *w)
{
    return ltl__errf(LTL_EBROKEN,
                     "the writer stopped after an earlier failure (%s); close and "
                     "reopen the store",
                     w->broken_msg);
}

static void set_broken(struct ltl_db *db, int rc)
{
    struct ltl__writer *w = db->writer;
    if (w->broken)
        return;
    w->broken = rc;
    const char *why = ltl__err_current();
    snprintf(w->broken_msg, sizeof(w->broken_msg), "%s", why[0] ? why : ltl_strerror(rc));
    ltl__log(&db->log, LTL_LOG_ERROR, "store %s: appends refused until reopened: %s", db->path,
             ltl_strerror(rc));
}

/* fdatasync the segments [from, to) a forgetful writer left unsynced when it
 * rolled: before the durable point may move past them. Runs as the leader. */
static int sync_rolled_segments(struct ltl_db *db, uint64_t from, uint64_t to)
{
    for (size_t i = 0; i < ltl__segs_count(db); i++) {
        struct ltl__segment *seg = ltl__segs_at(db, i);
        if (seg->base < from || seg->base >= to)
            continue;
        int fd = db->io->open(db->io, seg->path, O_RDONLY, 0);
        if (fd < 0)
            return ltl__err_sys(errno, "open segment %s", seg->path);
        int rc = db->io->fdatasync(db->io, fd) < 0
                     ? ltl__err_sys(errno, "fdatasync segment %s", seg->name)
                     : LTL_OK;
        db->io->close(db->io, fd);
        if (rc)
            return rc;
    }
    return LTL_OK;
}

/* Take the buffer and write it (and sync, and read back) with the lock
 * released. Caller holds w->mu and saw !io_busy. */
static int lead_locked(struct ltl_db *db, bool sync, bool readback)
{
    struct ltl__writer *w = db->writer;
    w->io_busy = true;
    ltl__buf taken = w->buf;
    w->buf = w->spare;
    w->spare = taken;
    w->buf.len = 0;
    uint64_t off = w->buf_off, end_seq = w->next_seq;
    size_t n = taken.len;
    w->buf_off = off + n;
    int fd = w->fd;
    uint64_t base = w->seg->base;
    uint64_t unsynced_base = sync ? w->unsynced_base : LTL__NO_SEQ;
    pthread_mutex_unlock(&w->mu);

    int rc = LTL_OK;
    if (unsynced_base != LTL__NO_SEQ)
        rc = sync_rolled_segments(db, unsynced_base, base);
    if (rc == LTL_OK && n && ltl__io_pwrite_full(db->io, fd, w->spare.data, n, (off_t)off) < 0)
        rc = ltl__err_sys(errno, "write %zu bytes%s to segment %s at offset %llu", n,
                          (w->open_flags & O_DSYNC) ? " (O_DSYNC: write and sync)" : "",
                          w->seg->name, (unsigned long long)off);
    /* paranoid writes through O_DSYNC: the write was the sync (one system call,
     * and the device may use a FUA write instead of a cache flush) */
    if (rc == LTL_OK && sync && !(w->open_flags & O_DSYNC) && db->io->fdatasync(db->io, fd) < 0)
        rc = ltl__err_sys(errno, "fdatasync segment %s", w->seg->name);
    for (size_t done = 0; rc == LTL_OK && readback && done < n;) {
        /* a fixed buffer: nothing may fail to allocate once records are encoded */
        unsigned char check[16384];
        size_t part = n - done < sizeof(check) ? n - done : sizeof(check);
        ssize_t got = ltl__io_pread_full(db->io, fd, check, part, (off_t)(off + done));
        if (got < 0)
            rc = ltl__err_sys(errno, "read back segment %s", w->seg->name);
        else if ((size_t)got != part || memcmp(check, w->spare.data + done, part) != 0)
            rc = ltl__errf(LTL_EIO,
                           "segment %s offset %llu: read-back differs from what was "
                           "written",
                           w->seg->name, (unsigned long long)off + done);
        done += part;
    }
    if (rc == LTL_OK && sync)
        marker_update(db, base, off + n, end_seq);

    pthread_mutex_lock(&w->mu);
    w->spare.len = 0;
    if (rc) {
        set_broken(db, rc);
    } else {
        w->written_seq = end_seq;
        w->written_off = off + n;
        if (sync) {
            w->synced_seq = end_seq;
            w->synced_off = off + n;
            if (unsynced_base != LTL__NO_SEQ)
                w->unsynced_base = LTL__NO_SEQ;
        }
    }
    w->io_busy = false;
    pthread_cond_broadcast(&w->cond);
    return rc;
}

/* Return once every seq <= target is written (and synced, with sync).
 * Caller holds w->mu. */
static int commit_locked(struct ltl_db *db, uint64_t target, bool sync)
{
    struct ltl__writer *w = db->writer;
    bool readback = w->mode == LTL_PARANOID;
    for (;;) {
        uint64_t done = sync ? w->synced_seq : w->written_seq;
        if (target == LTL__NO_SEQ || done > target)
            return LTL_OK;
        if (w->broken)
            return broken_error(w);
        if (!w->io_busy) {
            int rc = lead_locked(db, sync, readback);
            if (rc)
                return rc;
            continue;
        }
        pthread_cond_wait(&w->cond, &w->mu);
    }
}

/* Make everything so far durable (or only written, in forgetful mode). */
static int commit_all_locked(struct ltl_db *db, bool sync)
{
    struct ltl__writer *w = db->writer;
    if (w->next_seq == 0)
        return LTL_OK;
    return commit_locked(db, w->next_seq - 1, sync);
}

/* Move to a new segment big enough for `need` bytes of frames. The old
 * segment is written, and synced in every mode but forgetful, so the
 * durable point moves to the new segment and recovery scans only the tail.
 * A forgetful writer leaves the durable point behind (recovery then scans
 * from its segment on) and touches the disk only to write. */
static int roll_locked(struct ltl_db *db, uint64_t need)
{
    struct ltl__writer *w = db->writer;
    bool sync = w->mode != LTL_FORGETFUL;
    w->rolling = true;
    int rc = commit_all_locked(db, sync);
    while (rc == LTL_OK && (w->io_busy || w->sync_busy))
        pthread_cond_wait(&w->cond, &w->mu);
    if (rc)
        goto out;
    uint64_t size = db->cfg.segment_size;
    if (size < LTL__SEG_HEADER_SIZE + need + LTL__FRAME_HEADER)
        size = ltl__align8(LTL__SEG_HEADER_SIZE + need + LTL__FRAME_HEADER);
    int fd = -1;
    uint64_t salt = 0;
    if ((rc = segment_create(db, w->next_seq, size, w->open_flags, &fd, &salt)))
        goto out; /* e.g. ENOSPC: the store stays usable, the append fails */
    if ((rc = ltl__segs_add(db, w->next_seq))) {
        db->io->close(db->io, fd);
        goto out;
    }
    db->io->close(db->io, w->fd);
    if (!sync && w->unsynced_base == LTL__NO_SEQ)
        w->unsynced_base = w->seg->base;
    w->seg = ltl__segs_find(db, w->next_seq);
    w->fd = fd;
    w->salt = salt;
    w->seg_size = size;
    w->pos = w->buf_off = w->written_off = w->synced_off = LTL__SEG_HEADER_SIZE;
    ltl__log(&db->log, LTL_LOG_DEBUG, "new segment %s", w->seg->name);
    if (sync) {
        pthread_mutex_unlock(&w->mu);
        marker_update(db, w->seg->base, LTL__SEG_HEADER_SIZE, w->next_seq);
        pthread_mutex_lock(&w->mu);
    }
out:
    w->rolling = false;
    pthread_cond_broadcast(&w->cond);
    return rc;
}

/* Wait out a roll, then make room for `need` bytes of frames and `records`
 * leaves of the hash index, so that encoding them cannot fail to allocate.
 * Caller holds w->mu. */
static int ensure_room_locked(struct ltl_db *db, uint64_t need, uint64_t records)
{
    struct ltl__writer *w = db->writer;
    for (;;) {
        while (w->rolling)
            pthread_cond_wait(&w->cond, &w->mu);
        if (w->broken)
            return broken_error(w);
        if (w->pos + need <= w->seg_size)
            break;
        int rc = roll_locked(db, need);
        if (rc)
            return rc;
    }
    if (ltl__buf_reserve(&w->buf, (size_t)need))
        return ltl__errf(LTL_ENOMEM, "out of memory");
    return db->tree ? ltl__tree_reserve(db->tree, records) : LTL_OK;
}

/* Bytes a record takes in a segment (a sealed payload is longer). */
static uint64_t record_size(const struct ltl_db *db, unsigned kind, size_t topic_len, size_t len)
{
    if (kind == LTL_KIND_DATA && db->keys.have_read)
        len += LTL__SEAL_OVERHEAD;
    return ltl__frame_size(LTL__BODY_HEADER + topic_len + len);
}

/* Encode one record at the end of the buffer (room is reserved), seal its
 * payload when a read key is configured (data records only), and add its
 * leaf to the hash index. Nothing is committed unless all of it worked.
 * *out_seq receives the record's seq. */
static int encode_locked(struct ltl_db *db, unsigned kind, const char *topic, size_t topic_len,
                         const void *payload, size_t len, unsigned flags, uint64_t *out_seq)
{
    struct ltl__writer *w = db->writer;
    bool seal = kind == LTL_KIND_DATA && db->keys.have_read;
    int64_t now = ltl_time_now();
    struct ltl__body b = {
        .kind = kind,
        .flags = flags | (seal ? LTL_RECORD_ENCRYPTED : 0),
        .seq = w->next_seq,
        .ts = now > w->last_ts ? now : w->last_ts,
        .manifest_seq = kind == LTL_KIND_MANIFEST ? w->next_seq : w->manifest_seq,
        .topic = topic,
        .topic_len = topic_len,
        .payload = payload,
        .payload_len = seal ? len + LTL__SEAL_OVERHEAD : len,
    };
    unsigned char *out = (unsigned char *)w->buf.data + w->buf.len;
    size_t head = ltl__frame_encode_header(out, &b);
    unsigned char *body = out + LTL__FRAME_HEADER;
    int rc = LTL_OK;
    if (seal)
        rc = ltl__seal(body + head, &db->keys.seal, body, head, payload, len, b.seq);
    else if (len)
        memcpy(body + head, payload, len);
    if (rc)
        return rc;
    size_t body_len = head + b.payload_len;
    ltl__frame_finish(out, w->salt, body_len);
    if (db->tree) {
        unsigned char leaf[LTL__HASH_SIZE];
        if ((rc = ltl__hash_leaf(leaf, body, body_len)) || (rc = ltl__tree_append(db->tree, leaf)))
            return rc;
    }
    uint64_t size = ltl__frame_size(body_len);
    w->buf.len += (size_t)size;
    w->pos += size;
    w->last_ts = b.ts;
    *out_seq = w->next_seq++;
    return LTL_OK;
}

/* Flush the hash index's buffer when it has grown (derived data: a failure
 * is logged, and recovery rebuilds what is missing). Caller holds w->mu. */
static void tree_flush_some_locked(struct ltl_db *db, size_t threshold)
{
    if (!db->tree || ltl__tree_pending(db->tree) < threshold)
        return;
    if (ltl__tree_flush(db->tree) != LTL_OK)
        ltl__log(&db->log, LTL_LOG_WARN, "%s/%s: %s", db->log_dir, LTL__TREE_FILE,
                 ltl__err_current());
}

static const char system_topic[] = LTL_SYSTEM_TOPIC;

/* Write this process's manifest before its first record. */
static int manifest_locked(struct ltl_db *db)
{
    struct ltl__writer *w = db->writer;
    if (w->manifest_seq != LTL__NO_SEQ)
        return LTL_OK;
    size_t len = strlen(w->manifest_json);
    int rc = ensure_room_locked(
        db, record_size(db, LTL_KIND_MANIFEST, sizeof(system_topic) - 1, len), 1);
    if (rc)
        return rc;
    if (w->manifest_seq != LTL__NO_SEQ)
        return LTL_OK; /* written by another thread while we waited */
    uint64_t seq;
    if ((rc = encode_locked(db, LTL_KIND_MANIFEST, system_topic, sizeof(system_topic) - 1,
                            w->manifest_json, len, LTL_RECORD_JSON, &seq)))
        return rc;
    w->manifest_seq = seq;
    return LTL_OK;
}

/* After ltl__writer_rotate_read(): records of this writer would be sealed with
 * the key the store no longer uses. Caller holds w->mu. */
static int rotated_error(struct ltl__writer *w)
{
    return ltl__errf(LTL_EKEY,
                     "this handle rotated the store's read key to %08x and still holds the old "
                     "one: reopen the store with the new key first in keys.read to append",
                     w->rotated_to);
}

int ltl__writer_rotate_read(struct ltl_db *db, const struct ltl__seal_key *next, uint64_t *out_seq)
{
    struct ltl__writer *w = db->writer;
    char event[128];
    snprintf(event, sizeof(event),
             "{\"event\":\"read-key-rotation\",\"from\":\"%08x\",\"to\":\"%08x\"}",
             db->keys.seal.read_key_id, next->read_key_id);
    /* the manifest of the writers to come: this one's, with the new read key */
    struct ltl__keys keys = db->keys;
    keys.seal = *next;
    char *manifest = ltl__manifest_json(&db->cfg, &keys);
    ltl__key_wipe(&keys, sizeof(keys));
    if (!manifest)
        return ltl__errf(LTL_ENOMEM, "out of memory");
    size_t elen = strlen(event), mlen = strlen(manifest);
    pthread_mutex_lock(&w->mu);
    int rc = w->broken ? broken_error(w) : w->rotated ? rotated_error(w) : LTL_OK;
    /* the old key's manifest first, so the rotation record points to it */
    if (rc == LTL_OK)
        rc = manifest_locked(db);
    if (rc == LTL_OK)
        rc = ensure_room_locked(
            db,
            record_size(db, LTL_KIND_SYSTEM, sizeof(system_topic) - 1, elen) +
                record_size(db, LTL_KIND_MANIFEST, sizeof(system_topic) - 1, mlen),
            2);
    uint64_t seq = 0, mseq = 0;
    if (rc == LTL_OK)
        rc = encode_locked(db, LTL_KIND_SYSTEM, system_topic, sizeof(system_topic) - 1, event, elen,
                           LTL_RECORD_JSON, &seq);
    if (rc == LTL_OK &&
        (rc = encode_locked(db, LTL_KIND_MANIFEST, system_topic, sizeof(system_topic) - 1, manifest,
                            mlen, LTL_RECORD_JSON, &mseq)))
        set_broken(db, rc); /* the rotation record is in without its manifest */
    if (rc == LTL_OK) {
        /* from here on the store seals with the new key, whatever happens next */
        w->rotated = true;
        w->rotated_to = next->read_key_id;
        rc = commit_locked(db, mseq, true);
    }
    pthread_mutex_unlock(&w->mu);
    ltl__free(manifest);
    if (rc == LTL_OK && out_seq)
        *out_seq = seq;
    return rc;
}

/* ---- checkpoints -------------------------------------------------------------- */

/* A checkpoint's first half: sync the log and the hash index. Caller holds w->mu. */
static int checkpoint_sync_locked(struct ltl_db *db)
{
    struct ltl__writer *w = db->writer;
    if (w->broken)
        return broken_error(w);
    if (!db->tree)
        return ltl__errf(LTL_EINVAL, "the store has no hash index");
    int rc = commit_all_locked(db, true);
    if (rc)
        return rc;
    /* appenders may have added records while the commit ran unlocked: the
     * checkpoint covers what is written and synced now */
    rc = commit_all_locked(db, true);
    if (rc == LTL_OK)
        rc = ltl__tree_sync(db->tree);
    return rc;
}

/* The second half: append a checkpoint of the whole (synced) log, signed when
 * a write key is configured. Caller holds w->mu. */
static int checkpoint_write_locked(struct ltl_db *db, ltl__buf *out)
{
    struct ltl__writer *w = db->writer;
    int rc;
    struct ltl__checkpoint cp = {.size = w->next_seq};
    ltl__origin(db, cp.origin, sizeof(cp.origin));
    ltl__buf text = {0}, last = {0};
    struct ltl__checkpoint last_cp;
    if ((rc = ltl__tree_root(cp.root, db->tree, cp.size)) == LTL_OK &&
        (rc = ltl__checkpoint_format(&text, &cp, db->keys.have_write ? &db->keys.write : NULL)) ==
            LTL_OK) {
        /* the same checkpoint again (same size, same key: Ed25519 signatures
         * are deterministic) adds nothing: keep the file free of copies */
        int found = cp.size == w->cp_size ? ltl__checkpoint_find(db, LTL__NO_SEQ, &last, &last_cp)
                                          : LTL_ENOTFOUND;
        if (found != LTL_OK)
            ltl__err_restate(); /* not an error here: the append's own message counts */
        if (found != LTL_OK || last.len != text.len || memcmp(last.data, text.data, text.len) != 0)
            rc = ltl__checkpoints_append(db, text.data, text.len);
    }
    ltl__buf_free(&last);
    if (rc == LTL_OK) {
        w->cp_size = cp.size;
        w->cp_time = ltl__mono_ns();
        if (out && ltl__buf_append(out, text.data, text.len))
            rc = ltl__errf(LTL_ENOMEM, "out of memory");
    }
    ltl__buf_free(&text);
    return rc;
}

/* Sync the log and the hash index, then append a checkpoint of the whole
 * log, signed when a write key is configured. Caller holds w->mu. */
static int checkpoint_locked(struct ltl_db *db, ltl__buf *out)
{
    int rc = checkpoint_sync_locked(db);
    return rc ? rc : checkpoint_write_locked(db, out);
}

int ltl__writer_flush_index(struct ltl_db *db)
{
    struct ltl__writer *w = db->writer;
    pthread_mutex_lock(&w->mu);
    int rc = commit_all_locked(db, false);
    if (rc == LTL_OK && db->tree)
        rc = ltl__tree_flush(db->tree);
    pthread_mutex_unlock(&w->mu);
    return rc;
}

int ltl__writer_checkpoint(struct ltl_db *db, ltl__buf *out)
{
    struct ltl__writer *w = db->writer;
    pthread_mutex_lock(&w->mu);
    int rc = checkpoint_locked(db, out);
    pthread_mutex_unlock(&w->mu);
    return rc;
}

/* ---- the syncer thread ----------------------------------------------------- */

/* safe mode: fdatasync what is written, concurrently with further writes. */
static int sync_written_locked(struct ltl_db *db)
{
    struct ltl__writer *w = db->writer;
    if (w->synced_seq >= w->written_seq || w->sync_busy || w->rolling)
        return LTL_OK;
    w->sync_busy = true;
    uint64_t seq = w->written_seq, off = w->written_off, base = w->seg->base;
    int fd = w->fd;
    pthread_mutex_unlock(&w->mu);
    int rc = LTL_OK;
    if (db->io->fdatasync(db->io, fd) < 0)
        rc = ltl__err_sys(errno, "fdatasync segment %s", w->seg->name);
    else
        marker_update(db, base, off, seq);
    pthread_mutex_lock(&w->mu);
    w->sync_busy = false;
    if (rc)
        set_broken(db, rc);
    else if (seq > w->synced_seq && base == w->seg->base) {
        w->synced_seq = seq;
        w->synced_off = off;
    }
    pthread_cond_broadcast(&w->cond);
    return rc;
}

static void *syncer_main(void *arg)
{
    struct ltl_db *db = arg;
    struct ltl__writer *w = db->writer;
    pthread_mutex_lock(&w->mu);
    while (!w->stopping) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        int64_t ns = ts.tv_nsec + w->interval_ns;
        ts.tv_sec += ns / 1000000000;
        ts.tv_nsec = ns % 1000000000;
        pthread_cond_timedwait(&w->syncer_cond, &w->mu, &ts);
        if (w->stopping || w->broken)
            continue;
        ltl__err_begin();
        /* casual: write the buffer, then sync like safe mode; the fdatasync
         * runs without io_busy, so appenders can write a full buffer meanwhile
         * instead of growing it */
        if (w->mode == LTL_CASUAL && w->written_seq < w->next_seq && !w->rolling)
            (void)commit_all_locked(db, false);
        if (w->mode == LTL_CASUAL || w->mode == LTL_SAFE)
            (void)sync_written_locked(db);
        tree_flush_some_locked(db, 1);
        int64_t every = db->cfg.checkpoint_interval_ns;
        if (every > 0 && w->next_seq > w->cp_size && !w->rolling &&
            ltl__mono_ns() - w->cp_time >= every && checkpoint_locked(db, NULL) != LTL_OK)
            ltl__log(&db->log, LTL_LOG_WARN, "periodic checkpoint: %s", ltl__err_current());
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

/* ---- public-facing internals --------------------------------------------- */

static int checked_flags(struct ltl_db *db, const ltl_msg *m, size_t index, size_t count,
                         unsigned *out_flags)
{
    const char *topic = m->topic ? m->topic : LTL_DEFAULT_TOPIC;
    const char *which = "";
    char buf[48];
    if (count > 1) {
        snprintf(buf, sizeof(buf), "message %zu: ", index);
        which = buf;
    }
    int rc = ltl__topic_check(topic, strlen(topic), false);
    if (rc) {
        ltl__err_prefix("%sinvalid topic", which);
        return rc;
    }
    if (!m->data && m->len)
        return ltl__errf(LTL_EINVAL, "%smessage data is NULL", which);
    if (m->len > db->cfg.message_max)
        return ltl__errf(LTL_ETOOBIG,
                         "%smessage is %zu bytes; the limit (message.max_size) is %llu", which,
                         m->len, (unsigned long long)db->cfg.message_max);
    if (m->flags & ~(unsigned)(LTL_APPEND_JSON | LTL_APPEND_DETECT))
        return ltl__errf(LTL_EINVAL, "%sunknown append flags 0x%x", which, m->flags);
    *out_flags = 0;
    if (m->flags & (LTL_APPEND_JSON | LTL_APPEND_DETECT)) {
        ltl_json_error err;
        if (ltl__json_validate(m->data, m->len, &err) == LTL_OK)
            *out_flags = LTL_RECORD_JSON;
        else if (m->flags & LTL_APPEND_JSON)
            return ltl__errf(LTL_EPARSE, "%snot JSON: %s at byte %llu (line %llu, column %llu)",
                             which, err.message, (unsigned long long)err.offset,
                             (unsigned long long)err.line, (unsigned long long)err.column);
    }
    return LTL_OK;
}

int ltl__writer_append(struct ltl_db *db, const ltl_msg *msgs, size_t count, uint64_t *out_first)
{
    struct ltl__writer *w = db->writer;
    unsigned small_flags[64] = {0};
    unsigned *flags = count <= 64 ? small_flags : ltl__malloc(count * sizeof(*flags));
    if (!flags)
        return ltl__errf(LTL_ENOMEM, "out of memory");
    int rc = LTL_OK;
    uint64_t need = 0;
    for (size_t i = 0; i < count; i++) {
        if ((rc = checked_flags(db, &msgs[i], i, count, &flags[i])))
            goto out;
        const char *topic = msgs[i].topic ? msgs[i].topic : LTL_DEFAULT_TOPIC;
        need += record_size(db, LTL_KIND_DATA, strlen(topic), msgs[i].len);
    }
    pthread_mutex_lock(&w->mu);
    if (w->broken || w->rotated) {
        rc = w->broken ? broken_error(w) : rotated_error(w);
        goto unlock;
    }
    if ((rc = manifest_locked(db)) || (rc = ensure_room_locked(db, need, count)))
        goto unlock;
    uint64_t first = w->next_seq, last = first;
    for (size_t i = 0; i < count; i++) {
        const char *topic = msgs[i].topic ? msgs[i].topic : LTL_DEFAULT_TOPIC;
        if ((rc = encode_locked(db, LTL_KIND_DATA, topic, strlen(topic), msgs[i].data, msgs[i].len,
                                flags[i], &last))) {
            if (i > 0) /* records before it are in: the batch cannot be taken back */
                set_broken(db, rc);
            goto unlock;
        }
    }
    tree_flush_some_locked(db, 8192);
    switch (w->mode) {
    case LTL_FORGETFUL:
    case LTL_CASUAL:
        /* a full buffer is written by the appender that filled it (waiting
         * for a write in flight first): the buffer stays near its threshold */
        if (w->buf.len >= FLUSH_THRESHOLD)
            rc = commit_locked(db, last, false);
        break;
    case LTL_SAFE:
        rc = commit_locked(db, last, false);
        break;
    default:
        rc = commit_locked(db, last, true);
        break;
    }
    if (rc == LTL_OK && out_first)
        *out_first = first;
unlock:
    pthread_mutex_unlock(&w->mu);
out:
    if (flags != small_flags)
        ltl__free(flags);
    return rc;
}

int ltl__writer_system_event(struct ltl_db *db, const char *json)
{
    struct ltl__writer *w = db->writer;
    size_t len = strlen(json);
    pthread_mutex_lock(&w->mu);
    int rc = w->rotated ? rotated_error(w) : manifest_locked(db);
    if (rc == LTL_OK)
        rc = ensure_room_locked(db, record_size(db, LTL_KIND_SYSTEM, sizeof(system_topic) - 1, len),
                                1);
    uint64_t seq;
    if (rc == LTL_OK &&
        (rc = encode_locked(db, LTL_KIND_SYSTEM, system_topic, sizeof(system_topic) - 1, json, len,
                            LTL_RECORD_JSON, &seq)) == LTL_OK)
        rc = commit_locked(db, seq, true); /* ltl's own events: durable in every mode */
    pthread_mutex_unlock(&w->mu);
    return rc;
}

int ltl__writer_sync(struct ltl_db *db)
{
    struct ltl__writer *w = db->writer;
    pthread_mutex_lock(&w->mu);
    int rc = w->broken ? broken_error(w) : commit_all_locked(db, true);
    pthread_mutex_unlock(&w->mu);
    return rc;
}

int ltl__writer_flush(struct ltl_db *db)
{
    struct ltl__writer *w = db->writer;
    pthread_mutex_lock(&w->mu);
    int rc = LTL_OK;
    if (w->written_seq < w->next_seq)
        rc = w->broken ? broken_error(w) : commit_all_locked(db, false);
    pthread_mutex_unlock(&w->mu);
    return rc;
}

uint64_t ltl__writer_written(struct ltl_db *db)
{
    struct ltl__writer *w = db->writer;
    pthread_mutex_lock(&w->mu);
    uint64_t n = w->written_seq;
    pthread_mutex_unlock(&w->mu);
    return n;
}

void ltl__writer_written_point(struct ltl_db *db, uint64_t *seg_base, uint64_t *off,
                               uint64_t *next_seq)
{
    struct ltl__writer *w = db->writer;
    pthread_mutex_lock(&w->mu);
    *seg_base = w->seg->base;
    *off = w->written_off;
    *next_seq = w->written_seq;
    pthread_mutex_unlock(&w->mu);
}

void ltl__writer_position(struct ltl_db *db, uint64_t *next_seq, uint64_t *durable_seq,
                          uint64_t *tail_end)
{
    struct ltl__writer *w = db->writer;
    pthread_mutex_lock(&w->mu);
    *next_seq = w->next_seq;
    *durable_seq = w->synced_seq;
    *tail_end = w->pos;
    pthread_mutex_unlock(&w->mu);
}

/* Same manifest as the last one in the store? Then records can point to it. */
static void reuse_manifest(struct ltl_db *db, const struct ltl__tail *tail)
{
    struct ltl__writer *w = db->writer;
    if (tail->last_manifest_seq == LTL__NO_SEQ || tail->last_manifest_seq >= tail->next_seq)
        return;
    struct ltl__segment *seg = ltl__segs_find(db, tail->last_manifest_seq);
    uint64_t off;
    if (!seg || ltl__seg_locate(db, seg, tail->last_manifest_seq, &off))
        return;
    ltl__buf buf = {0};
    struct ltl__body b;
    uint64_t size;
    if (ltl__read_frame(db, seg, off, &buf, &b, &size) == LTL_OK && b.kind == LTL_KIND_MANIFEST &&
        b.payload_len == strlen(w->manifest_json) &&
        memcmp(b.payload, w->manifest_json, b.payload_len) == 0)
        w->manifest_seq = tail->last_manifest_seq;
    ltl__buf_free(&buf);
}

int ltl__writer_start(struct ltl_db *db, const struct ltl__tail *tail)
{
    int rc = LTL_OK;
    struct ltl__writer *w = ltl__calloc(1, sizeof(*w));
    if (!w)
        return ltl__errf(LTL_ENOMEM, "out of memory");
    db->writer = w;
    pthread_mutex_init(&w->mu, NULL);
    pthread_mutex_init(&w->marker_mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&w->cond, NULL);
    pthread_cond_init(&w->syncer_cond, &ca);
    pthread_condattr_destroy(&ca);
    w->fd = -1;
    w->marker_fd = -1;
    w->mode = db->cfg.durability;
    w->open_flags = w->mode == LTL_PARANOID ? O_DSYNC : 0;
    w->interval_ns = db->cfg.sync_interval_ns;
    w->manifest_seq = LTL__NO_SEQ;
    w->unsynced_base = LTL__NO_SEQ;
    w->next_seq = tail->next_seq;
    w->last_ts = tail->last_ts;
    w->written_seq = w->synced_seq = tail->next_seq;

    char *marker_path = ltl__path_join(db->log_dir, LTL__MARKER_FILE);
    if (!marker_path)
        return ltl__errf(LTL_ENOMEM, "out of memory");
    w->marker_fd = db->io->open(db->io, marker_path, O_RDWR | O_CREAT, 0644);
    if (w->marker_fd < 0)
        rc = ltl__err_sys(errno, "open %s", marker_path);
    ltl__free(marker_path);
    if (rc)
        return rc;
    struct ltl__marker m = {0, 0, 0, 0};
    int bad = 0;
    bool have_marker = ltl__marker_read(db, &m, &bad) == LTL_OK;
    if (have_marker)
        w->marker_gen = m.generation;

    if (!(w->manifest_json = ltl__manifest_json(&db->cfg, &db->keys)))
        return ltl__errf(LTL_ENOMEM, "out of memory");

    if (!tail->seg) {
        if ((rc = segment_create(db, 0, db->cfg.segment_size, w->open_flags, &w->fd, &w->salt)) ||
            (rc = ltl__segs_add(db, 0)))
            return rc;
        w->seg = ltl__segs_find(db, 0);
        w->seg_size = db->cfg.segment_size;
        w->pos = LTL__SEG_HEADER_SIZE;
    } else {
        w->seg = tail->seg;
        if ((rc = ltl__seg_open_read(db, w->seg)))
            return rc;
        w->salt = w->seg->salt;
        w->seg_size = w->seg->file_size;
        w->pos = tail->end_off;
        w->fd = db->io->open(db->io, w->seg->path, O_RDWR | w->open_flags, 0);
        if (w->fd < 0)
            return ltl__err_sys(errno, "open segment %s for writing", w->seg->path);
        /* what a crashed writer left in the page cache may not be on disk yet:
         * sync once (in every mode), so the durable point recorded next is true */
        if (db->io->fdatasync(db->io, w->fd) < 0)
            return ltl__err_sys(errno, "fdatasync segment %s", w->seg->name);
        reuse_manifest(db, tail);
    }
    w->buf_off = w->written_off = w->synced_off = w->pos;
    if (have_marker && m.seg_base == w->seg->base && m.off == w->pos && m.next_seq == w->next_seq) {
        w->marker_base = m.seg_base; /* recorded already: reopening changes nothing */
        w->marker_off = m.off;
    } else {
        marker_update(db, w->seg->base, w->pos, w->next_seq);
    }

    /* where the last checkpoint left off; none yet: from the start */
    ltl__buf cptext = {0};
    struct ltl__checkpoint cp;
    w->cp_time = ltl__mono_ns();
    rc = ltl__checkpoint_find(db, LTL__NO_SEQ, &cptext, &cp);
    ltl__buf_free(&cptext);
    if (rc == LTL_OK) {
        w->cp_size = cp.size;
    } else if (rc == LTL_ENOTFOUND || rc == LTL_EVERIFY) {
        ltl__err_restate(); /* verify reports a bad signature; a writer goes on */
    } else {
        return rc;
    }

    /* the syncer: syncs (casual, safe), flushes the hash index, checkpoints */
    if (pthread_create(&w->syncer, NULL, syncer_main, db) != 0)
        return ltl__errf(LTL_ENOMEM, "cannot start the syncer thread");
    w->syncer_started = true;
    return LTL_OK;
}

int ltl__writer_stop(struct ltl_db *db)
{
    struct ltl__writer *w = db->writer;
    if (!w)
        return LTL_OK;
    int rc = LTL_OK;
    if (w->syncer_started) {
        pthread_mutex_lock(&w->mu);
        w->stopping = true;
        pthread_cond_signal(&w->syncer_cond);
        pthread_mutex_unlock(&w->mu);
        pthread_join(w->syncer, NULL);
    }
    if (w->seg && w->fd >= 0) {
        pthread_mutex_lock(&w->mu);
        if (w->broken)
            rc = broken_error(w);
        else if (w->mode != LTL_FORGETFUL && db->tree && w->next_seq > w->cp_size) {
            /* the records are synced and acknowledged: a checkpoint that cannot be
             * written now must not make the close (the append) look failed, or a
             * caller that retries writes them twice; the next writer makes it */
            rc = checkpoint_sync_locked(db);
            if (rc == LTL_OK && checkpoint_write_locked(db, NULL) != LTL_OK) {
                ltl__log(&db->log, LTL_LOG_WARN,
                         "the checkpoint at close was not written: %s (the records are "
                         "stored; the next writer, or 'ltl checkpoint', makes it)",
                         ltl__err_current());
                ltl__err_restate();
            }
        } else
            rc = commit_all_locked(db, w->mode != LTL_FORGETFUL);
        pthread_mutex_unlock(&w->mu);
    }
    if (db->tree) {
        int trc = ltl__tree_close(db->tree); /* flushes */
        db->tree = NULL;
        if (rc == LTL_OK)
            rc = trc;
    }
    if (rc == LTL_OK && w->mode != LTL_FORGETFUL && w->marker_fd >= 0 &&
        db->io->fsync(db->io, w->marker_fd) < 0)
        rc = ltl__err_sys(errno, "fsync %s/%s", db->log_dir, LTL__MARKER_FILE);
    if (w->fd >= 0 && db->io->close(db->io, w->fd) < 0 && rc == LTL_OK)
        rc = ltl__err_sys(errno, "close segment");
    if (w->marker_fd >= 0)
        db->io->close(db->io, w->marker_fd);
    pthread_mutex_destroy(&w->mu);
    pthread_mutex_destroy(&w->marker_mu);
    pthread_cond_destroy(&w->cond);
    pthread_cond_destroy(&w->syncer_cond);
    ltl__buf_free(&w->buf);
    ltl__buf_free(&w->spare);
    ltl__free(w->manifest_json);
    ltl__free(w);
    db->writer = NULL;
    return rc;
}
