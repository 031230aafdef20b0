/* SPDX-License-Identifier: MIT */
/*
 * segment.c — the read side of segments: the sorted list of segment files,
 * opening one for reading (its header checked against the store), the
 * sparse offset index built by scanning frames (every frame's checksum is
 * verified on the way, so readers never return a partial or damaged
 * record), finding a seq, reading a frame, the end of the log as a reader
 * sees it, and mapping a time to a seq by binary search (timestamps never
 * go backwards).
 */
#include "store/store.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>

/* The largest body the format allows: 1 GiB of payload plus header and topic. */
#define MAX_BODY ((uint64_t)(1u << 30) + LTL__BODY_HEADER + LTL_TOPIC_MAX)
/* Scans read 64 KiB first (a reader looking for new records at the tail
 * usually finds few), then 1 MiB at a time. */
#define SCAN_FIRST (4u << 10) /* small: most scans start at the log end and find nothing */
#define SCAN_CHUNK (1u << 20)

static struct ltl__segment *seg_new(struct ltl_db *db, uint64_t base)
{
    struct ltl__segment *s = ltl__calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    s->base = base;
    ltl__seg_name(s->name, sizeof(s->name), base);
    s->path = ltl__path_join(db->log_dir, s->name);
    if (!s->path) {
        ltl__free(s);
        return NULL;
    }
    pthread_mutex_init(&s->mu, NULL);
    s->fd = -1;
    s->scan_off = LTL__SEG_HEADER_SIZE;
    s->scan_seq = base;
    s->first_ts = INT64_MIN;
    s->last_ts = INT64_MIN;
    s->last_manifest_seq = LTL__NO_SEQ;
    s->scan_stop = LTL__FRAME_END;
    s->end_checked_off = UINT64_MAX;
    return s;
}

static void seg_free(struct ltl_db *db, struct ltl__segment *s)
{
    if (!s)
        return;
    if (s->fd >= 0)
        db->io->close(db->io, s->fd);
    pthread_mutex_destroy(&s->mu);
    ltl__free(s->sparse);
    ltl__free(s->path);
    ltl__free(s);
}

static int cmp_base(const void *a, const void *b)
{
    uint64_t x = (*(struct ltl__segment *const *)a)->base;
    uint64_t y = (*(struct ltl__segment *const *)b)->base;
    return x < y ? -1 : x > y;
}

struct list_ctx {
    uint64_t *bases;
    size_t n, cap;
    int rc;
};

static int collect_segment(void *ctx, const char *name)
{
    struct list_ctx *c = ctx;
    uint64_t base;
    if (!ltl__seg_name_parse(name, &base))
        return 0;
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 16;
        uint64_t *nb = ltl__realloc(c->bases, cap * sizeof(*nb));
        if (!nb) {
            c->rc = ltl__errf(LTL_ENOMEM, "out of memory");
            return 1;
        }
        c->bases = nb;
        c->cap = cap;
    }
    c->bases[c->n++] = base;
    return 0;
}

/* Insert the segments of `bases` not yet known. Caller holds the write lock. */
static int merge_bases(struct ltl_db *db, const uint64_t *bases, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        bool known = false;
        for (size_t j = 0; j < db->nsegs && !known; j++)
            known = db->segs[j]->base == bases[i];
        if (known)
            continue;
        if (db->nsegs == db->segs_cap) {
            size_t cap = db->segs_cap ? db->segs_cap * 2 : 16;
            struct ltl__segment **ns = ltl__realloc(db->segs, cap * sizeof(*ns));
            if (!ns)
                return ltl__errf(LTL_ENOMEM, "out of memory");
            db->segs = ns;
            db->segs_cap = cap;
        }
        struct ltl__segment *s = seg_new(db, bases[i]);
        if (!s)
            return ltl__errf(LTL_ENOMEM, "out of memory");
        db->segs[db->nsegs++] = s;
    }
    if (db->nsegs > 1)
        qsort(db->segs, db->nsegs, sizeof(*db->segs), cmp_base);
    return LTL_OK;
}

int ltl__segs_refresh(struct ltl_db *db)
{
    struct list_ctx c = {0};
    int rc = LTL_OK;
    if (db->io->list_dir(db->io, db->log_dir, collect_segment, &c) < 0 && c.rc == LTL_OK) {
        rc = ltl__err_sys(errno, "list %s", db->log_dir);
        goto out;
    }
    if ((rc = c.rc))
        goto out;
    pthread_rwlock_wrlock(&db->segs_lock);
    rc = merge_bases(db, c.bases, c.n);
    pthread_rwlock_unlock(&db->segs_lock);
out:
    ltl__free(c.bases);
    return rc;
}

int ltl__segs_load(struct ltl_db *db)
{
    return ltl__segs_refresh(db);
}

int ltl__segs_add(struct ltl_db *db, uint64_t base)
{
    pthread_rwlock_wrlock(&db->segs_lock);
    int rc = merge_bases(db, &base, 1);
    pthread_rwlock_unlock(&db->segs_lock);
    return rc;
}

void ltl__segs_free(struct ltl_db *db)
{
    for (size_t i = 0; i < db->nsegs; i++)
        seg_free(db, db->segs[i]);
    ltl__free(db->segs);
    db->segs = NULL;
    db->nsegs = db->segs_cap = 0;
}

struct ltl__segment *ltl__segs_find(struct ltl_db *db, uint64_t seq)
{
    struct ltl__segment *found = NULL;
    pthread_rwlock_rdlock(&db->segs_lock);
    size_t lo = 0, hi = db->nsegs;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (db->segs[mid]->base <= seq)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo > 0)
        found = db->segs[lo - 1];
    pthread_rwlock_unlock(&db->segs_lock);
    return found;
}

struct ltl__segment *ltl__segs_at(struct ltl_db *db, size_t i)
{
    pthread_rwlock_rdlock(&db->segs_lock);
    struct ltl__segment *s = i < db->nsegs ? db->segs[i] : NULL;
    pthread_rwlock_unlock(&db->segs_lock);
    return s;
}

size_t ltl__segs_count(struct ltl_db *db)
{
    pthread_rwlock_rdlock(&db->segs_lock);
    size_t n = db->nsegs;
    pthread_rwlock_unlock(&db->segs_lock);
    return n;
}

/* The segment after seg, or NULL. */
static struct ltl__segment *seg_next(struct ltl_db *db, const struct ltl__segment *seg)
{
    struct ltl__segment *next = NULL;
    pthread_rwlock_rdlock(&db->segs_lock);
    for (size_t i = 0; i + 1 < db->nsegs; i++)
        if (db->segs[i] == seg) {
            next = db->segs[i + 1];
            break;
        }
    pthread_rwlock_unlock(&db->segs_lock);
    return next;
}

/* Caller holds seg->mu. */
static int seg_open_locked(struct ltl_db *db, struct ltl__segment *seg)
{
    if (seg->fd >= 0)
        return LTL_OK;
    int fd = db->io->open(db->io, seg->path, O_RDONLY, 0);
    if (fd < 0)
        return ltl__err_sys(errno, "open segment %s", seg->path);
    unsigned char hdr[LTL__SEG_HEADER_SIZE];
    struct stat st;
    struct ltl__seg_header h;
    int rc = LTL_OK;
    ssize_t n = ltl__io_pread_full(db->io, fd, hdr, sizeof(hdr), 0);
    if (n < 0) {
        rc = ltl__err_sys(errno, "read segment header %s", seg->path);
        goto fail;
    }
    if (n < (ssize_t)sizeof(hdr)) {
        rc = ltl__errf(LTL_ECORRUPT, "segment %s: header is cut short (%zd bytes)", seg->name, n);
        goto fail;
    }
    if ((rc = ltl__seg_header_decode(&h, hdr))) {
        ltl__err_prefix("segment %s", seg->name);
        goto fail;
    }
    if (memcmp(h.store_id, db->header.store_id, 16) != 0) {
        rc = ltl__errf(LTL_ECORRUPT, "segment %s belongs to another store", seg->name);
        goto fail;
    }
    if (h.base_seq != seg->base) {
        rc = ltl__errf(LTL_ECORRUPT, "segment %s: header says base seq %llu", seg->name,
                       (unsigned long long)h.base_seq);
        goto fail;
    }
    if (db->io->fstat(db->io, fd, &st) < 0) {
        rc = ltl__err_sys(errno, "stat %s", seg->path);
        goto fail;
    }
    seg->salt = h.salt;
    seg->file_size = (uint64_t)st.st_size;
    seg->fd = fd;
    seg->header_read = true;
    return LTL_OK;
fail:
    db->io->close(db->io, fd);
    return rc;
}

int ltl__seg_open_read(struct ltl_db *db, struct ltl__segment *seg)
{
    pthread_mutex_lock(&seg->mu);
    int rc = seg_open_locked(db, seg);
    pthread_mutex_unlock(&seg->mu);
    return rc;
}

/* Re-read the file size: the writer may have replaced a preallocation. */
static void seg_refresh_size(struct ltl_db *db, struct ltl__segment *seg)
{
    struct stat st;
    if (db->io->fstat(db->io, seg->fd, &st) == 0)
        seg->file_size = (uint64_t)st.st_size;
}

static int sparse_push(struct ltl__segment *seg, uint64_t off)
{
    if (seg->nsparse == seg->sparse_cap) {
        size_t cap = seg->sparse_cap ? seg->sparse_cap * 2 : 256;
        uint32_t *ns = ltl__realloc(seg->sparse, cap * sizeof(*ns));
        if (!ns)
            return ltl__errf(LTL_ENOMEM, "out of memory");
        seg->sparse = ns;
        seg->sparse_cap = cap;
    }
    seg->sparse[seg->nsparse++] = (uint32_t)(off >> 3);
    return LTL_OK;
}

static uint64_t sparse_off(const struct ltl__segment *seg, size_t k)
{
    return (uint64_t)seg->sparse[k] << 3;
}

/* Scan frames from seg->scan_off while they are valid, until want_seq is
 * covered (LTL__NO_SEQ: to the end). Caller holds seg->mu. */
static int scan_frames_locked(struct ltl_db *db, struct ltl__segment *seg, uint64_t want_seq)
{
    int rc = seg_open_locked(db, seg);
    if (rc)
        return rc;
    if (seg->scan_off + LTL__FRAME_HEADER > seg->file_size)
        seg_refresh_size(db, seg);
    ltl__buf buf = {0};
    size_t chunk = SCAN_FIRST;
    while (want_seq == LTL__NO_SEQ || seg->scan_seq <= want_seq) {
        uint64_t off = seg->scan_off;
        if (off + 4 > seg->file_size) {
            seg->scan_stop = LTL__FRAME_END;
            break;
        }
        size_t want = chunk;
        chunk = SCAN_CHUNK;
        if (off + want > seg->file_size)
            want = (size_t)(seg->file_size - off);
        if ((rc = ltl__buf_reserve(&buf, want)))
            goto out;
        ssize_t n = ltl__io_pread_full(db->io, seg->fd, buf.data, want, (off_t)off);
        if (n < 0) {
            rc = ltl__err_sys(errno, "read %s at offset %llu", seg->path, (unsigned long long)off);
            goto out;
        }
        size_t pos = 0;
        bool stop = false;
        while (!stop && (want_seq == LTL__NO_SEQ || seg->scan_seq <= want_seq)) {
            struct ltl__body b;
            uint64_t size = 0;
            uint64_t max = seg->file_size - (off + pos);
            max = max > LTL__FRAME_HEADER ? max - LTL__FRAME_HEADER : 0;
            if (max > MAX_BODY)
                max = MAX_BODY;
            enum ltl__frame_status st = ltl__frame_decode(
                &b, &size, (unsigned char *)buf.data + pos, (size_t)n - pos, seg->salt, max);
            if (st == LTL__FRAME_TRUNCATED && pos > 0 && (size_t)n == want &&
                off + n < seg->file_size) {
                break; /* the frame continues past this chunk: read on from it */
            }
            if (st == LTL__FRAME_TRUNCATED && pos == 0 && (size_t)n == want &&
                off + n < seg->file_size) {
                /* a frame larger than the chunk: read it whole */
                uint32_t len = ltl__get_u32((unsigned char *)buf.data);
                uint64_t fsize = ltl__frame_size(len);
                if (off + fsize > seg->file_size) {
                    seg->scan_stop = LTL__FRAME_TRUNCATED;
                    stop = true;
                    break;
                }
                if ((rc = ltl__buf_reserve(&buf, (size_t)fsize)))
                    goto out;
                n = ltl__io_pread_full(db->io, seg->fd, buf.data, (size_t)fsize, (off_t)off);
                if (n < 0) {
                    rc = ltl__err_sys(errno, "read %s", seg->path);
                    goto out;
                }
                want = (size_t)n;
                continue;
            }
            if (st == LTL__FRAME_OK &&
                (b.seq != seg->scan_seq || (seg->scan_seq > seg->base && b.ts < seg->last_ts)))
                st = LTL__FRAME_BAD_SEQ;
            if (st != LTL__FRAME_OK) {
                seg->scan_stop = (int)st; /* end of the valid data (for now) */
                stop = true;
                break;
            }
            if ((seg->scan_seq - seg->base) % LTL__SPARSE_EVERY == 0 &&
                (rc = sparse_push(seg, off + pos)))
                goto out;
            if (seg->scan_seq == seg->base)
                seg->first_ts = b.ts;
            seg->last_ts = b.ts;
            seg->last_manifest_seq = b.manifest_seq;
            seg->scan_seq++;
            pos += size;
            seg->scan_off = off + pos;
            if (pos >= (size_t)n)
                break;
        }
        if (stop || pos == 0)
            break;
    }
out:
    ltl__buf_free(&buf);
    return rc;
}

/* ---- judging where the valid frames stop ---------------------------------
 * A reader cannot tell a torn tail from a damaged record by the bytes alone.
 * What tells them apart is the durable point: a writer records how far the
 * log is written (log/synced) only after it wrote it, so a frame below that
 * point that does not check out is damage, never a writer caught mid-write
 * or a crash. The same holds for a segment that ends before the next one
 * begins: a writer moves to a new segment only once the old one is whole. */

int ltl__durable_point(struct ltl_db *db, struct ltl__durable *out)
{
    *out = (struct ltl__durable){false, 0, 0, 0};
    if (db->writer) {
        ltl__writer_written_point(db, &out->seg_base, &out->off, &out->next_seq);
        out->known = true;
        return LTL_OK;
    }
    struct ltl__marker m;
    int bad_slots = 0;
    int rc = ltl__marker_read(db, &m, &bad_slots);
    if (rc == LTL_ENOTFOUND)
        return LTL_OK;
    if (rc)
        return rc;
    *out = (struct ltl__durable){true, m.seg_base, m.off, m.next_seq};
    return LTL_OK;
}

/* Is a stop at (seg, off, status, seq) damage? *next_out: the segment after seg. */
static bool stop_is_damage(struct ltl_db *db, const struct ltl__segment *seg, uint64_t off,
                           int status, uint64_t seq, const struct ltl__durable *d,
                           struct ltl__segment **next_out)
{
    struct ltl__segment *next = seg_next(db, seg);
    if (!next && d->known && d->seg_base > seg->base && ltl__segs_refresh(db) == LTL_OK)
        next = seg_next(db, seg); /* the writer moved on to a segment not listed yet */
    *next_out = next;
    if (next) /* a segment follows, so this one is whole: it must end where the next begins */
        return !(status == LTL__FRAME_END && next->base == seq);
    return d->known && (d->seg_base > seg->base || (d->seg_base == seg->base && d->off > off));
}

static int damage_error(const struct ltl__segment *seg, uint64_t off, int status, uint64_t seq,
                        uint64_t want_seq, const struct ltl__durable *d,
                        const struct ltl__segment *next)
{
    char why[160];
    if (next)
        snprintf(why, sizeof(why), "segment %s follows, starting at seq %llu", next->name,
                 (unsigned long long)next->base);
    else if (d->seg_base > seg->base)
        snprintf(why, sizeof(why),
                 "the log was written up to %016llx.seg offset %llu (seq %llu), and that "
                 "segment is missing",
                 (unsigned long long)d->seg_base, (unsigned long long)d->off,
                 (unsigned long long)d->next_seq);
    else
        snprintf(why, sizeof(why), "the log was written up to %016llx.seg offset %llu (seq %llu)",
                 (unsigned long long)d->seg_base, (unsigned long long)d->off,
                 (unsigned long long)d->next_seq);
    char lead[80] = "";
    if (want_seq != LTL__NO_SEQ && want_seq > seq)
        snprintf(lead, sizeof(lead),
                 "record %llu lies after damaged data: ", (unsigned long long)want_seq);
    return ltl__errf(LTL_ECORRUPT,
                     "%ssegment %s offset %llu: %s where record %llu belongs, but %s: the store "
                     "is damaged (ltl repair replaces a damaged record with a lost-record "
                     "marker and keeps every other record)",
                     lead, seg->name, (unsigned long long)off,
                     status == LTL__FRAME_END
                         ? "the data ends"
                         : ltl__frame_status_name((enum ltl__frame_status)status),
                     (unsigned long long)seq, why);
}

static bool covered(const struct ltl__segment *seg, uint64_t want_seq)
{
    return want_seq != LTL__NO_SEQ && seg->scan_seq > want_seq;
}

/* Scan, then judge a stop short of want_seq. Caller holds seg->mu. */
static int seg_scan_locked(struct ltl_db *db, struct ltl__segment *seg, uint64_t want_seq)
{
    int rc = scan_frames_locked(db, seg, want_seq);
    if (rc || covered(seg, want_seq))
        return rc;
    if (seg->scan_stop == LTL__FRAME_END && seg->scan_off == seg->end_checked_off)
        return LTL_OK; /* judged before, and nothing moved since */
    struct ltl__durable d;
    struct ltl__segment *next;
    if ((rc = ltl__durable_point(db, &d)))
        return rc;
    if (stop_is_damage(db, seg, seg->scan_off, seg->scan_stop, seg->scan_seq, &d, &next)) {
        /* The durable point was read after the scan: what a writer wrote
         * before recording it may have arrived in between. Look once more. */
        if ((rc = scan_frames_locked(db, seg, want_seq)) || covered(seg, want_seq))
            return rc;
        if (stop_is_damage(db, seg, seg->scan_off, seg->scan_stop, seg->scan_seq, &d, &next))
            return damage_error(seg, seg->scan_off, seg->scan_stop, seg->scan_seq, want_seq, &d,
                                next);
    }
    if (seg->scan_stop == LTL__FRAME_END)
        seg->end_checked_off = seg->scan_off;
    return LTL_OK;
}

int ltl__seg_scan(struct ltl_db *db, struct ltl__segment *seg, uint64_t want_seq)
{
    pthread_mutex_lock(&seg->mu);
    int rc = seg_scan_locked(db, seg, want_seq);
    pthread_mutex_unlock(&seg->mu);
    return rc;
}

uint64_t ltl__seg_scanned(struct ltl_db *db, struct ltl__segment *seg)
{
    (void)db;
    pthread_mutex_lock(&seg->mu);
    uint64_t n = seg->scan_seq;
    pthread_mutex_unlock(&seg->mu);
    return n;
}

int ltl__seg_scan_raw(struct ltl_db *db, struct ltl__segment *seg, uint64_t want_seq)
{
    pthread_mutex_lock(&seg->mu);
    int rc = scan_frames_locked(db, seg, want_seq);
    pthread_mutex_unlock(&seg->mu);
    return rc;
}

int ltl__seg_check_stop(struct ltl_db *db, struct ltl__segment *seg, uint64_t off, uint64_t seq,
                        int status)
{
    (void)off;
    struct ltl__segment *next = seg_next(db, seg);
    if (status == LTL__FRAME_END && next && next->base == seq)
        return LTL_OK; /* the segment ends where the next begins */
    /* The scan is the judge: it reads the frames itself, so a reader's view of
     * them (a read-ahead window) cannot disagree with what is on disk now. For
     * the tail, the log end a reader looked at first has scanned it already. */
    return ltl__seg_scan(db, seg, seq);
}

int ltl__seg_locate(struct ltl_db *db, struct ltl__segment *seg, uint64_t seq, uint64_t *out_off)
{
    pthread_mutex_lock(&seg->mu);
    int rc = LTL_OK;
    if (seq < seg->base) {
        rc = LTL_ENOTFOUND;
        goto out;
    }
    if (seq >= seg->scan_seq && (rc = seg_scan_locked(db, seg, seq)))
        goto out;
    if (seq >= seg->scan_seq) {
        rc = LTL_ENOTFOUND;
        goto out;
    }
    size_t k = (size_t)((seq - seg->base) / LTL__SPARSE_EVERY);
    uint64_t off = sparse_off(seg, k);
    /* hop over the frames between the indexed one and seq (headers only),
     * reading the gap in chunks rather than a header at a time: one pread
     * usually covers it (a pread per header made a lookup ~17 system calls) */
    unsigned char chunk[8192];
    uint64_t chunk_off = off;
    size_t have = 0;
    for (uint64_t s = seg->base + k * LTL__SPARSE_EVERY; s < seq; s++) {
        if (off + LTL__FRAME_HEADER > chunk_off + have) {
            ssize_t n = ltl__io_pread_full(db->io, seg->fd, chunk, sizeof(chunk), (off_t)off);
            if (n < (ssize_t)LTL__FRAME_HEADER) {
                rc = n < 0 ? ltl__err_sys(errno, "read %s", seg->path)
                           : ltl__errf(LTL_ECORRUPT, "segment %s: frame cut short", seg->name);
                goto out;
            }
            chunk_off = off;
            have = (size_t)n;
        }
        off += ltl__frame_size(ltl__get_u32(chunk + (off - chunk_off)));
    }
    *out_off = off;
out:
    pthread_mutex_unlock(&seg->mu);
    return rc;
}

int ltl__read_frame(struct ltl_db *db, struct ltl__segment *seg, uint64_t off, ltl__buf *buf,
                    struct ltl__body *out, uint64_t *size)
{
    int rc = ltl__seg_open_read(db, seg);
    if (rc)
        return rc;
    size_t first = 4096;
    if (off + first > seg->file_size)
        first = seg->file_size > off ? (size_t)(seg->file_size - off) : 0;
    if ((rc = ltl__buf_reserve(buf, first + 1)))
        return rc;
    ssize_t n = ltl__io_pread_full(db->io, seg->fd, buf->data, first, (off_t)off);
    if (n < 0)
        return ltl__err_sys(errno, "read %s at offset %llu", seg->path, (unsigned long long)off);
    if (n >= 4) {
        uint64_t fsize = ltl__frame_size(ltl__get_u32((unsigned char *)buf->data));
        if (fsize > (uint64_t)n && off + fsize <= seg->file_size) {
            if ((rc = ltl__buf_reserve(buf, (size_t)fsize)))
                return rc;
            n = ltl__io_pread_full(db->io, seg->fd, buf->data, (size_t)fsize, (off_t)off);
            if (n < 0)
                return ltl__err_sys(errno, "read %s", seg->path);
        }
    }
    uint64_t max = seg->file_size > off + LTL__FRAME_HEADER ? seg->file_size - off - 8 : 0;
    if (max > MAX_BODY)
        max = MAX_BODY;
    enum ltl__frame_status st =
        ltl__frame_decode(out, size, (unsigned char *)buf->data, (size_t)n, seg->salt, max);
    if (st != LTL__FRAME_OK)
        return ltl__errf(LTL_ECORRUPT, "segment %s offset %llu: %s", seg->name,
                         (unsigned long long)off, ltl__frame_status_name(st));
    return LTL_OK;
}

int ltl__log_end(struct ltl_db *db, uint64_t *out_next_seq)
{
    int rc;
    if (db->writer) {
        uint64_t next, durable, end;
        if ((rc = ltl__writer_flush(db)))
            return rc;
        ltl__writer_position(db, &next, &durable, &end);
        *out_next_seq = next;
        return LTL_OK;
    }
    for (int pass = 0; pass < 2; pass++) {
        size_t n = ltl__segs_count(db);
        if (n == 0) {
            *out_next_seq = 0;
            if (pass == 0 && (rc = ltl__segs_refresh(db)))
                return rc;
            continue;
        }
        struct ltl__segment *last = ltl__segs_at(db, n - 1);
        if ((rc = ltl__seg_scan(db, last, LTL__NO_SEQ)))
            return rc;
        pthread_mutex_lock(&last->mu);
        *out_next_seq = last->scan_seq;
        pthread_mutex_unlock(&last->mu);
        if (pass == 0) {
            /* a writer may have rolled to a new segment: look once */
            struct stat st;
            char name[32];
            ltl__seg_name(name, sizeof(name), *out_next_seq);
            char *p = ltl__path_join(db->log_dir, name);
            if (!p)
                return ltl__errf(LTL_ENOMEM, "out of memory");
            bool exists = db->io->stat(db->io, p, &st) == 0;
            ltl__free(p);
            if (!exists || *out_next_seq == last->base)
                break;
            if ((rc = ltl__segs_refresh(db)))
                return rc;
        }
    }
    return LTL_OK;
}

/* ts of the first record of seg; INT64_MAX when it has none (yet). */
static int seg_first_ts(struct ltl_db *db, struct ltl__segment *seg, int64_t *out)
{
    int rc = ltl__seg_scan(db, seg, seg->base);
    if (rc)
        return rc;
    pthread_mutex_lock(&seg->mu);
    *out = seg->scan_seq > seg->base ? seg->first_ts : INT64_MAX;
    pthread_mutex_unlock(&seg->mu);
    return LTL_OK;
}

static int ts_at(struct ltl_db *db, struct ltl__segment *seg, uint64_t off, int64_t *out)
{
    unsigned char b[LTL__FRAME_HEADER + LTL__BODY_HEADER];
    ssize_t n = ltl__io_pread_full(db->io, seg->fd, b, sizeof(b), (off_t)off);
    if (n != (ssize_t)sizeof(b))
        return n < 0 ? ltl__err_sys(errno, "read %s", seg->path)
                     : ltl__errf(LTL_ECORRUPT, "segment %s: frame cut short", seg->name);
    *out = (int64_t)ltl__get_u64(b + LTL__FRAME_HEADER + 16);
    return LTL_OK;
}

int ltl__seq_for_time(struct ltl_db *db, int64_t ts, uint64_t *out)
{
    int rc;
    uint64_t end;
    if ((rc = ltl__log_end(db, &end)))
        return rc;
    size_t nseg = ltl__segs_count(db);
    /* the last segment whose first record is older than ts */
    size_t lo = 0, hi = nseg;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int64_t first;
        if ((rc = seg_first_ts(db, ltl__segs_at(db, mid), &first)))
            return rc;
        if (first < ts)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0) {
        *out = 0;
        return LTL_OK;
    }
    struct ltl__segment *seg = ltl__segs_at(db, lo - 1);
    if ((rc = ltl__seg_scan(db, seg, LTL__NO_SEQ)))
        return rc;
    pthread_mutex_lock(&seg->mu);
    /* the last sparse entry whose ts is older than ts */
    size_t a = 0, b = seg->nsparse;
    while (a < b) {
        size_t mid = a + (b - a) / 2;
        int64_t t = 0;
        if ((rc = ts_at(db, seg, sparse_off(seg, mid), &t)))
            goto out;
        if (t < ts)
            a = mid + 1;
        else
            b = mid;
    }
    uint64_t seq = seg->base + (a ? (a - 1) : 0) * LTL__SPARSE_EVERY;
    uint64_t off = a ? sparse_off(seg, a - 1) : LTL__SEG_HEADER_SIZE;
    uint64_t limit = seg->scan_seq;
    while (seq < limit) {
        int64_t t = 0;
        unsigned char hdr[4];
        if ((rc = ts_at(db, seg, off, &t)))
            goto out;
        if (t >= ts)
            break;
        if (ltl__io_pread_full(db->io, seg->fd, hdr, 4, (off_t)off) != 4) {
            rc = ltl__err_sys(errno ? errno : EIO, "read %s", seg->path);
            goto out;
        }
        off += ltl__frame_size(ltl__get_u32(hdr));
        seq++;
    }
    *out = seq;
out:
    pthread_mutex_unlock(&seg->mu);
    (void)end;
    return rc;
}

struct ltl__segment *ltl__seg_next(struct ltl_db *db, const struct ltl__segment *seg)
{
    return seg_next(db, seg);
}

void ltl__segs_truncate(struct ltl_db *db, size_t i)
{
    pthread_rwlock_wrlock(&db->segs_lock);
    while (db->nsegs > i)
        seg_free(db, db->segs[--db->nsegs]);
    pthread_rwlock_unlock(&db->segs_lock);
}

int ltl__frames_walk(struct ltl_db *db, struct ltl__segment *seg, uint64_t from_off,
                     uint64_t from_seq, uint64_t to_seq, ltl__frame_fn fn, void *ctx,
                     struct ltl__walk_end *end)
{
    int rc = ltl__seg_open_read(db, seg);
    if (rc)
        return rc;
    ltl__buf buf = {0};
    uint64_t off = from_off, seq = from_seq;
    int64_t last_ts = INT64_MIN;
    int stop = LTL__FRAME_END;
    while (seq < to_seq && off + 4 <= seg->file_size) {
        size_t want = SCAN_CHUNK;
        if (off + want > seg->file_size)
            want = (size_t)(seg->file_size - off);
        if ((rc = ltl__buf_reserve(&buf, want)))
            goto out;
        ssize_t n = ltl__io_pread_full(db->io, seg->fd, buf.data, want, (off_t)off);
        if (n < 0) {
            rc = ltl__err_sys(errno, "read %s at offset %llu", seg->path, (unsigned long long)off);
            goto out;
        }
        size_t pos = 0;
        for (;;) {
            if (seq >= to_seq)
                break;
            struct ltl__body b;
            uint64_t size = 0;
            uint64_t max = seg->file_size - (off + pos);
            max = max > LTL__FRAME_HEADER ? max - LTL__FRAME_HEADER : 0;
            if (max > MAX_BODY)
                max = MAX_BODY;
            const unsigned char *p = (const unsigned char *)buf.data + pos;
            enum ltl__frame_status st =
                ltl__frame_decode(&b, &size, p, (size_t)n - pos, seg->salt, max);
            if (st == LTL__FRAME_TRUNCATED && off + pos + 4 <= seg->file_size &&
                (size_t)n == want && off + n < seg->file_size) {
                /* the frame continues past this chunk: read again from it,
                 * with room for all of it */
                uint64_t fsize = ltl__frame_size(ltl__get_u32(p));
                if (pos == 0 && fsize > want) {
                    if (off + fsize > seg->file_size) {
                        stop = LTL__FRAME_TRUNCATED;
                        goto done;
                    }
                    if ((rc = ltl__buf_reserve(&buf, (size_t)fsize)))
                        goto out;
                    n = ltl__io_pread_full(db->io, seg->fd, buf.data, (size_t)fsize, (off_t)off);
                    if (n < 0) {
                        rc = ltl__err_sys(errno, "read %s", seg->path);
                        goto out;
                    }
                    want = (size_t)n;
                    continue;
                }
                break;
            }
            if (st == LTL__FRAME_OK && (b.seq != seq || b.ts < last_ts))
                st = LTL__FRAME_BAD_SEQ;
            if (st != LTL__FRAME_OK) {
                stop = (int)st;
                off += pos;
                goto done;
            }
            if (fn && (rc = fn(ctx, seg, off + pos, &b, p + LTL__FRAME_HEADER,
                               (size_t)(LTL__BODY_HEADER + b.topic_len + b.payload_len))))
                goto out;
            last_ts = b.ts;
            seq++;
            pos += size;
            if (pos + 4 > (size_t)n)
                break;
        }
        if (pos == 0) {
            stop = LTL__FRAME_TRUNCATED;
            goto done;
        }
        off += pos;
    }
done:
    if (end) {
        end->off = off;
        end->next_seq = seq;
        end->stop = seq >= to_seq ? LTL__FRAME_OK : stop;
    }
out:
    ltl__buf_free(&buf);
    return rc;
}
