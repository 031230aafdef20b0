/* SPDX-License-Identifier: MIT */
/*
 * recover.c — what a writer does at open before it appends: find the end of
 * the log in the tail segment and decide what any bytes after it are.
 *
 * The valid frames of the tail end at the first frame that is not valid
 * (torn, zeros, stale salt, garbage, out of sequence). Whatever follows —
 * to the end of the preallocated file — must be zeros. If it is not:
 *   - beyond the durable point recorded in log/synced, it is the unsynced
 *     tail of a crash: it is copied aside into STORE/repair/ (so nothing is
 *     deleted), zeroed, and the recovery is recorded in the topic _ltl;
 *   - before the durable point, synced data was damaged: the open fails
 *     with LTL_ECORRUPT naming the segment and offset, unless the caller
 *     asked for LTL_OPEN_REPAIR.
 * Damage below the durable point is repair's business (repair.c), which
 * runs before this with LTL_OPEN_REPAIR.
 */
#include "store/store.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <unistd.h>

#define CHUNK (1u << 20)

/* Where the bytes after the valid data end, and what they hold. */
struct tail_scan {
    uint64_t
        garbage_end; /* end of the last non-zero 8-byte word after `from`; == from when clean */
    uint64_t valid_after; /* valid frames of this segment found after `from` (sampled per chunk) */
};

static int scan_after(struct ltl_db *db, struct ltl__segment *seg, uint64_t from,
                      struct tail_scan *out)
{
    ltl__buf buf = {0};
    int rc = ltl__buf_reserve(&buf, CHUNK);
    out->garbage_end = from;
    out->valid_after = 0;
    for (uint64_t off = from; rc == LTL_OK && off < seg->file_size;) {
        size_t want = CHUNK;
        if (off + want > seg->file_size)
            want = (size_t)(seg->file_size - off);
        ssize_t n = ltl__io_pread_full(db->io, seg->fd, buf.data, want, (off_t)off);
        if (n < 0) {
            rc = ltl__err_sys(errno, "read %s", seg->path);
            break;
        }
        if (n == 0)
            break;
        const unsigned char *p = (const unsigned char *)buf.data;
        for (size_t i = 0; i < (size_t)n; i += 8) {
            uint64_t word = 0;
            memcpy(&word, p + i, (size_t)n - i < 8 ? (size_t)n - i : 8);
            if (word == 0)
                continue;
            out->garbage_end = off + i + 8;
            /* a cheap look at the body header first: checksumming every
             * plausible length in a garbage region would be quadratic */
            const unsigned char *h = p + i + LTL__FRAME_HEADER;
            if (i + LTL__FRAME_HEADER + LTL__BODY_HEADER > (size_t)n || h[0] != LTL__BODY_VERSION ||
                h[1] < LTL_KIND_DATA || h[1] > LTL_KIND_LOST || h[3] != 0 || h[6] || h[7])
                continue;
            struct ltl__body b;
            uint64_t size;
            if (ltl__frame_decode(&b, &size, p + i, (size_t)n - i, seg->salt, (size_t)n) ==
                LTL__FRAME_OK)
                out->valid_after++;
        }
        off += (uint64_t)n;
    }
    if (out->garbage_end > seg->file_size)
        out->garbage_end = seg->file_size;
    ltl__buf_free(&buf);
    return rc;
}

/* A frame that fails its checksum here but passes with another segment's
 * salt is a stale frame from that segment. */
static const char *stale_salt_source(struct ltl_db *db, struct ltl__segment *seg, uint64_t off)
{
    ltl__buf buf = {0};
    struct ltl__body b;
    uint64_t size;
    const char *found = NULL;
    if (ltl__buf_reserve(&buf, 65536))
        return NULL;
    ssize_t n = ltl__io_pread_full(db->io, seg->fd, buf.data, 65536, (off_t)off);
    for (size_t i = 0; n > 0 && i < ltl__segs_count(db) && !found; i++) {
        struct ltl__segment *other = ltl__segs_at(db, i);
        if (other == seg || ltl__seg_open_read(db, other) != LTL_OK)
            continue;
        if (ltl__frame_decode(&b, &size, (unsigned char *)buf.data, (size_t)n, other->salt,
                              (size_t)n) == LTL__FRAME_OK)
            found = other->name;
    }
    ltl__buf_free(&buf);
    return found;
}

static const char *stop_reason(int stop)
{
    switch (stop) {
    case LTL__FRAME_END:
        return "data after the end of the log";
    case LTL__FRAME_TRUNCATED:
        return "torn frame";
    case LTL__FRAME_BAD_LEN:
        return "garbage";
    case LTL__FRAME_BAD_CRC:
        return "torn or damaged frame (checksum mismatch)";
    case LTL__FRAME_BAD_BODY:
        return "damaged frame (invalid record fields)";
    case LTL__FRAME_BAD_SEQ:
        return "stale frame (out of sequence)";
    default:
        return "bad frame";
    }
}

int ltl__copy_range(struct ltl_db *db, const char *path, uint64_t from, uint64_t to,
                    const char *dest)
{
    int in = db->io->open(db->io, path, O_RDONLY, 0);
    if (in < 0)
        return ltl__err_sys(errno, "open %s", path);
    int out = db->io->open(db->io, dest, O_WRONLY | O_CREAT | O_EXCL, 0600);
    if (out < 0) {
        int rc = ltl__err_sys(errno, "create %s", dest);
        db->io->close(db->io, in);
        return rc;
    }
    ltl__buf buf = {0};
    int rc = ltl__buf_reserve(&buf, CHUNK);
    for (uint64_t off = from; rc == LTL_OK && off < to;) {
        size_t want = to - off < CHUNK ? (size_t)(to - off) : CHUNK;
        ssize_t n = ltl__io_pread_full(db->io, in, buf.data, want, (off_t)off);
        if (n <= 0) {
            if (n < 0)
                rc = ltl__err_sys(errno, "read %s", path);
            break; /* the file ends before `to`: what there is was copied */
        }
        if (ltl__io_pwrite_full(db->io, out, buf.data, (size_t)n, (off_t)(off - from)) < 0)
            rc = ltl__err_sys(errno, "write %s", dest);
        off += (uint64_t)n;
    }
    if (rc == LTL_OK && db->io->fsync(db->io, out) < 0)
        rc = ltl__err_sys(errno, "fsync %s", dest);
    if (db->io->close(db->io, out) < 0 && rc == LTL_OK)
        rc = ltl__err_sys(errno, "close %s", dest);
    db->io->close(db->io, in);
    ltl__buf_free(&buf);
    return rc;
}

/* Overwrite [from, to) of seg with zeros and sync. */
static int zero_range(struct ltl_db *db, struct ltl__segment *seg, uint64_t from, uint64_t to)
{
    int fd = db->io->open(db->io, seg->path, O_RDWR, 0);
    if (fd < 0)
        return ltl__err_sys(errno, "open %s for writing", seg->path);
    static const unsigned char zeros[65536];
    int rc = LTL_OK;
    for (uint64_t off = from; off < to;) {
        size_t n = to - off < sizeof(zeros) ? (size_t)(to - off) : sizeof(zeros);
        if (ltl__io_pwrite_full(db->io, fd, zeros, n, (off_t)off) < 0) {
            rc = ltl__err_sys(errno, "zero %s at offset %llu", seg->path, (unsigned long long)off);
            break;
        }
        off += n;
    }
    if (rc == LTL_OK && db->io->fdatasync(db->io, fd) < 0)
        rc = ltl__err_sys(errno, "fdatasync %s", seg->path);
    if (db->io->close(db->io, fd) < 0 && rc == LTL_OK)
        rc = ltl__err_sys(errno, "close %s", seg->path);
    return rc;
}

int ltl__aside_dir(struct ltl_db *db, char **out)
{
    char *top = ltl__path_join(db->path, "repair");
    if (!top)
        return ltl__errf(LTL_ENOMEM, "out of memory");
    if (db->io->mkdir(db->io, top, 0755) < 0 && errno != EEXIST) {
        int rc = ltl__err_sys(errno, "mkdir %s", top);
        ltl__free(top);
        return rc;
    }
    char when[40];
    ltl_time_format(when, sizeof(when), ltl_time_now());
    when[19] = '\0'; /* seconds are enough: "2026-11-21T10:00:00" */
    for (char *c = when; *c; c++)
        if (*c == ':')
            *c = '-';
    char *dir = ltl__sprintf("%s/%sZ-%ld", top, when, (long)getpid());
    ltl__free(top);
    if (!dir)
        return ltl__errf(LTL_ENOMEM, "out of memory");
    if (db->io->mkdir(db->io, dir, 0755) < 0 && errno != EEXIST) {
        int rc = ltl__err_sys(errno, "mkdir %s", dir);
        ltl__free(dir);
        return rc;
    }
    *out = dir;
    return LTL_OK;
}

const char *ltl__store_rel(const struct ltl_db *db, const char *path)
{
    size_t n = strlen(db->path);
    return strncmp(path, db->path, n) == 0 && path[n] == '/' ? path + n + 1 : path;
}

/*
 * Move the log aside from (seg, off) on: the bytes of seg from off to its
 * last non-zero byte are copied into the aside folder and zeroed, later
 * segments are renamed into it. Nothing is deleted.
 */
static int move_aside(struct ltl_db *db, size_t seg_index, uint64_t off, uint64_t garbage_end,
                      ltl__buf *moved, char **aside_dir)
{
    struct ltl__segment *seg = ltl__segs_at(db, seg_index);
    if (garbage_end <= off && seg_index + 1 >= ltl__segs_count(db))
        return LTL_OK; /* nothing to move */
    int rc = ltl__aside_dir(db, aside_dir);
    if (rc)
        return rc;
    if (garbage_end > off) {
        char *dest = ltl__sprintf("%s/%s.from-%" PRIu64, *aside_dir, seg->name, off);
        if (!dest)
            return ltl__errf(LTL_ENOMEM, "out of memory");
        rc = ltl__copy_range(db, seg->path, off, garbage_end, dest);
        if (rc == LTL_OK)
            rc = ltl__buf_appendf(moved, "%s\"%s\"", moved->len ? "," : "",
                                  ltl__store_rel(db, dest));
        ltl__free(dest);
        if (rc)
            return rc;
    }
    size_t n = ltl__segs_count(db);
    for (size_t i = seg_index + 1; i < n; i++) {
        struct ltl__segment *later = ltl__segs_at(db, i);
        char *dest = ltl__path_join(*aside_dir, later->name);
        if (!dest)
            return ltl__errf(LTL_ENOMEM, "out of memory");
        if (db->io->rename(db->io, later->path, dest) < 0)
            rc = ltl__err_sys(errno, "move %s to %s", later->path, dest);
        else
            rc = ltl__buf_appendf(moved, "%s\"%s\"", moved->len ? "," : "",
                                  ltl__store_rel(db, dest));
        ltl__free(dest);
        if (rc)
            return rc;
    }
    ltl__segs_truncate(db, seg_index + 1);
    if (ltl__io_fsync_dir(db->io, *aside_dir) < 0 || ltl__io_fsync_dir(db->io, db->log_dir) < 0)
        return ltl__err_sys(errno, "fsync directories");
    if (garbage_end > off && (rc = zero_range(db, seg, off, garbage_end)))
        return rc;
    return LTL_OK;
}

/* Remove leftovers of segment creations a crash interrupted (no records). */
static int remove_tmp(void *ctx, const char *name)
{
    struct ltl_db *db = ctx;
    size_t n = strlen(name);
    if (n > 8 && strcmp(name + n - 8, ".seg.tmp") == 0) {
        char *p = ltl__path_join(db->log_dir, name);
        if (p) {
            ltl__log(&db->log, LTL_LOG_INFO, "removing %s (an interrupted segment creation)", p);
            db->io->unlink(db->io, p);
            ltl__free(p);
        }
    }
    return 0;
}

/* The first bad point of the log from segment `start` on: the segment index
 * and offset, or index == count when every segment is whole. */
static int find_first_bad(struct ltl_db *db, size_t start, size_t *out_index, uint64_t *out_off,
                          int *out_stop, struct tail_scan *out_ts)
{
    size_t n = ltl__segs_count(db);
    for (size_t i = start; i < n; i++) {
        struct ltl__segment *seg = ltl__segs_at(db, i);
        int rc = ltl__seg_open_read(db, seg);
        if (rc == LTL_ECORRUPT) /* segments are created whole (renamed into place): damage */
            ltl__err_prefix("%s (ltl repair rewrites a damaged segment header)",
                            "the store is damaged");
        if (rc)
            return rc;
        if ((rc = ltl__seg_scan_raw(db, seg, LTL__NO_SEQ)) ||
            (rc = scan_after(db, seg, seg->scan_off, out_ts)))
            return rc;
        struct ltl__segment *next = i + 1 < n ? ltl__segs_at(db, i + 1) : NULL;
        bool broken_chain = next && next->base != seg->scan_seq;
        if (out_ts->garbage_end > seg->scan_off || broken_chain) {
            *out_index = i;
            *out_off = seg->scan_off;
            *out_stop = out_ts->garbage_end > seg->scan_off ? seg->scan_stop : LTL__FRAME_BAD_SEQ;
            return LTL_OK;
        }
    }
    *out_index = n;
    return LTL_OK;
}

int ltl__recover(struct ltl_db *db, struct ltl__tail *out, char **event)
{
    *event = NULL;
    *out = (struct ltl__tail){NULL, 0, 0, INT64_MIN, LTL__NO_SEQ};
    if (db->io->list_dir(db->io, db->log_dir, remove_tmp, db) < 0)
        return ltl__err_sys(errno, "list %s", db->log_dir);
    size_t n = ltl__segs_count(db);
    if (n == 0)
        return LTL_OK;

    int rc;
    size_t bad_index = n - 1;
    uint64_t bad_off = 0;
    int stop = LTL__FRAME_END;
    struct tail_scan ts = {0, 0};

    /* What the durable point says must be there. */
    struct ltl__marker m = {0, 0, 0, 0};
    int bad_slots = 0;
    bool have_marker = ltl__marker_read(db, &m, &bad_slots) == LTL_OK;
    if (bad_slots)
        ltl__log(&db->log, LTL_LOG_WARN,
                 "%s/%s: %d damaged slot(s) ignored (the other slot is used)", db->log_dir,
                 LTL__MARKER_FILE, bad_slots);

    /* Scan from the segment of the durable point: segments before it are
     * synced (verify checks them). In safe and paranoid mode that is the
     * tail; a forgetful writer does not sync when it moves to a new segment,
     * so after it the point may lie further back. (Repair, which runs before,
     * has checked everything.) */
    size_t start = n - 1;
    if (have_marker)
        for (size_t i = 0; i + 1 < n; i++)
            if (ltl__segs_at(db, i)->base == m.seg_base)
                start = i;
    if ((rc = find_first_bad(db, start, &bad_index, &bad_off, &stop, &ts)))
        goto fail;
    if (bad_index == n) {
        bad_index = n - 1; /* whole */
        bad_off = ltl__segs_at(db, n - 1)->scan_off;
    }
    struct ltl__segment *seg = ltl__segs_at(db, bad_index);

    bool garbage = ts.garbage_end > bad_off;
    bool lost_synced =
        have_marker && (m.seg_base > seg->base || (m.seg_base == seg->base && m.off > bad_off));
    bool dirty = garbage || lost_synced || bad_index < n - 1;
    if (dirty && lost_synced) {
        rc = ltl__errf(LTL_ECORRUPT,
                       "segment %s offset %llu: %s, but the store recorded data up to %s offset "
                       "%llu (seq %llu) as synced: synced data is damaged or missing (ltl "
                       "repair replaces damaged records with lost-record markers and keeps every "
                       "other record; LTL_OPEN_REPAIR)",
                       seg->name, (unsigned long long)bad_off,
                       garbage ? stop_reason(stop) : "the log ends",
                       m.seg_base == seg->base ? seg->name : "a later segment",
                       (unsigned long long)m.off, (unsigned long long)m.next_seq);
        goto fail;
    }

    if (dirty) {
        const char *reason = garbage ? stop_reason(stop) : "synced records missing";
        const char *stale = stop == LTL__FRAME_BAD_CRC ? stale_salt_source(db, seg, bad_off) : NULL;
        char stale_note[64] = "";
        if (stale)
            snprintf(stale_note, sizeof(stale_note), " (stale salt: a frame of %s)", stale);
        uint64_t bytes = ts.garbage_end > bad_off ? ts.garbage_end - bad_off : 0;
        ltl__buf moved = {0};
        char *aside = NULL;
        /* keep what is cut off when it holds records, or when asked to repair */
        if (ts.valid_after > 0 || bad_index < n - 1) {
            rc = move_aside(db, bad_index, bad_off, ts.garbage_end, &moved, &aside);
        } else if (bytes) {
            rc = zero_range(db, seg, bad_off, ts.garbage_end);
        }
        if (rc == LTL_OK) {
            *event = ltl__sprintf("{\"event\":\"%s\",\"segment\":\"%s\",\"offset\":%" PRIu64
                                  ",\"bytes\":%" PRIu64
                                  ",\"reason\":\"%s%s\",\"valid_frames_after\":%" PRIu64
                                  ",\"next_seq\":%" PRIu64 ",\"moved\":[%s]}",
                                  "recovery", seg->name, bad_off, bytes, reason, stale_note,
                                  ts.valid_after, seg->scan_seq, moved.data ? moved.data : "");
            if (!*event)
                rc = ltl__errf(LTL_ENOMEM, "out of memory");
            ltl__log(&db->log, LTL_LOG_WARN,
                     "recovery: segment %s offset %llu: %s%s; %llu bytes %s%s%s", seg->name,
                     (unsigned long long)bad_off, reason, stale_note, (unsigned long long)bytes,
                     aside ? "moved to " : "cleared", aside ? ltl__store_rel(db, aside) : "",
                     bad_index < n - 1 ? " (with every later segment)" : "");
        }
        ltl__free(aside);
        ltl__buf_free(&moved);
        if (rc)
            goto fail;
    }

    out->seg = seg;
    out->end_off = bad_off;
    out->next_seq = seg->scan_seq;
    out->last_ts = seg->last_ts;
    out->last_manifest_seq = seg->last_manifest_seq;
    if (seg->scan_seq == seg->base && bad_index > 0) {
        /* an empty tail (just rolled): the last record is in the previous segment */
        struct ltl__segment *prev = ltl__segs_at(db, bad_index - 1);
        if ((rc = ltl__seg_scan_raw(db, prev, LTL__NO_SEQ)))
            goto fail;
        if (prev->scan_seq != seg->base) {
            rc = ltl__errf(LTL_ECORRUPT,
                           "segment %s ends at seq %llu but the next segment %s starts at %llu",
                           prev->name, (unsigned long long)prev->scan_seq, seg->name,
                           (unsigned long long)seg->base);
            goto fail;
        }
        out->last_ts = prev->last_ts;
        out->last_manifest_seq = prev->last_manifest_seq;
    }
    return LTL_OK;
fail:
    ltl__free(*event);
    *event = NULL;
    return rc;
}
