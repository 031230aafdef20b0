/* SPDX-License-Identifier: MIT */
/*
 * reader.c — reading records: ltl_get by seq, and cursors that walk the
 * log forward (read-ahead through a buffer, checking every frame) or
 * backward (a block of offsets from the sparse index at a time), bounded
 * by seqs and times (times mapped to seqs by binary search), filtered by
 * topic, and able to wait for new records without polling (inotify on the
 * log directory: a writer's pwrite shows up as IN_MODIFY).
 */
#include "store/store.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/inotify.h>
#include <unistd.h>

#define READ_AHEAD (256u << 10)

struct ltl_cursor {
    ltl_db *db;
    unsigned int flags;
    uint64_t lo, hi; /* inclusive seq bounds; hi == LTL__NO_SEQ: unbounded */
    int64_t since, until;
    char *topic;
    size_t topic_len;

    uint64_t next; /* next seq to look at */
    bool done;     /* a reverse cursor passed lo */

    /* forward: the position of `next` and a read-ahead window of its segment */
    struct ltl__segment *seg;
    uint64_t off;
    bool positioned;
    ltl__buf window;
    uint64_t window_off;

    /* reverse: offsets of a block of frames of one segment */
    struct ltl__segment *block_seg;
    uint64_t block_first;
    uint64_t *block_offs;
    size_t block_n, block_cap;

    ltl_record rec;
    ltl__buf plain; /* a decrypted payload */
    char topic_buf[LTL_TOPIC_MAX + 1];
    const ltl_manifest *manifest; /* the reference the record shows */

    int inotify_fd;
};

void ltl_cursor_options_init(ltl_cursor_options *opts)
{
    if (opts)
        *opts = (ltl_cursor_options)LTL_CURSOR_OPTIONS_INIT;
}

/* Point rec at a decoded body; take a reference to its manifest. */
static void fill_record(ltl_db *db, ltl_record *rec, char *topic_buf, const ltl_manifest **held,
                        const struct ltl__body *b)
{
    if (b->topic_len)
        memcpy(topic_buf, b->topic, b->topic_len);
    topic_buf[b->topic_len] = '\0';
    if (!*held || (*held)->seq != b->manifest_seq) {
        ltl__manifest_release(db, *held);
        *held = ltl__manifest_acquire(db, b->manifest_seq);
    }
    *rec = (ltl_record){b->seq,  b->ts,    topic_buf,       b->payload, b->payload_len,
                        b->kind, b->flags, b->manifest_seq, *held};
}

/* ---- ltl_get --------------------------------------------------------------- */

struct owned_record {
    ltl_record rec;
    ltl_db *db;
    char topic[LTL_TOPIC_MAX + 1];
    unsigned char payload[]; /* the payload bytes */
};

/* Locate seq: its segment and offset. LTL_ENOTFOUND beyond the end. */
static int locate(ltl_db *db, uint64_t seq, struct ltl__loc *out)
{
    int rc;
    for (int pass = 0; pass < 2; pass++) {
        struct ltl__segment *seg = ltl__segs_find(db, seq);
        if (seg) {
            rc = ltl__seg_locate(db, seg, seq, &out->off);
            if (rc == LTL_OK) {
                out->seg = seg;
                return LTL_OK;
            }
            if (rc != LTL_ENOTFOUND)
                return rc;
        }
        if (pass == 0) {
            /* records still in the writer's buffer, or a segment a writer just
             * created: look once more */
            uint64_t end;
            if ((rc = ltl__log_end(db, &end)))
                return rc;
            if (seq >= end)
                break;
        }
    }
    return ltl__errf(LTL_ENOTFOUND, "no record %llu in %s", (unsigned long long)seq, db->path);
}

int ltl__read_seq(struct ltl_db *db, uint64_t seq, ltl__buf *buf, struct ltl__body *out,
                  size_t *body_len)
{
    struct ltl__loc loc;
    uint64_t size;
    int rc = locate(db, seq, &loc);
    if (rc == LTL_OK)
        rc = ltl__read_frame(db, loc.seg, loc.off, buf, out, &size);
    if (rc == LTL_OK && out->seq != seq)
        rc = ltl__errf(LTL_ECORRUPT, "segment %s offset %llu holds seq %llu, not %llu",
                       loc.seg->name, (unsigned long long)loc.off, (unsigned long long)out->seq,
                       (unsigned long long)seq);
    if (rc == LTL_OK && body_len)
        *body_len = ltl__get_u32((unsigned char *)buf->data);
    return rc;
}

int ltl__get(ltl_record **out, struct ltl_db *db, uint64_t seq, bool envelope)
{
    *out = NULL;
    ltl__buf buf = {0};
    struct ltl__body b;
    int rc = ltl__read_seq(db, seq, &buf, &b, NULL);
    ltl__buf plain = {0};
    if (rc == LTL_OK)
        rc = ltl__record_unseal(db, &b, &plain, envelope);
    if (rc == LTL_OK) {
        struct owned_record *r = ltl__malloc(sizeof(*r) + b.payload_len);
        if (!r) {
            rc = ltl__errf(LTL_ENOMEM, "out of memory");
        } else {
            memcpy(r->payload, b.payload, b.payload_len);
            b.payload = r->payload;
            r->db = db;
            const ltl_manifest *m = NULL;
            fill_record(db, &r->rec, r->topic, &m, &b);
            *out = &r->rec;
        }
    }
    ltl__buf_free(&plain);
    ltl__buf_free(&buf);
    return rc;
}

int ltl_get(ltl_record **out, ltl_db *db, uint64_t seq)
{
    if (!out || !db)
        return LTL_EINVAL;
    ltl__err_begin();
    return ltl__err_end(db, ltl__get(out, db, seq, false));
}

void ltl_record_free(ltl_record *rec)
{
    if (!rec)
        return;
    struct owned_record *r = (struct owned_record *)(void *)rec;
    ltl__manifest_release(r->db, rec->manifest);
    ltl__free(r);
}

/* ---- cursors --------------------------------------------------------------- */

int ltl__cursor_open(ltl_cursor **out, ltl_db *db, const ltl_cursor_options *opts)
{
    ltl_cursor_options defaults = LTL_CURSOR_OPTIONS_INIT;
    if (!opts)
        opts = &defaults;
    *out = NULL;
    int rc = LTL_OK;
    if (opts->version != LTL_CURSOR_OPTIONS_VERSION)
        return ltl__errf(LTL_EINVAL, "ltl_cursor_options.version is %u", opts->version);
    if (opts->flags & ~(unsigned)(LTL_CURSOR_REVERSE | LTL_CURSOR_SYSTEM | LTL_CURSOR_ENVELOPE))
        return ltl__errf(LTL_EINVAL, "unknown cursor flags 0x%x", opts->flags);
    ltl_cursor *c = ltl__calloc(1, sizeof(*c));
    if (!c)
        return ltl__errf(LTL_ENOMEM, "out of memory");
    c->db = db;
    c->flags = opts->flags;
    c->since = opts->since;
    c->until = opts->until;
    c->inotify_fd = -1;
    c->lo = opts->from_seq;
    c->hi = opts->to_seq;
    if (opts->topic) {
        c->topic_len = strlen(opts->topic);
        if (!(c->topic = ltl__strdup(opts->topic))) {
            rc = ltl__errf(LTL_ENOMEM, "out of memory");
            goto fail;
        }
    }
    if (c->since != INT64_MIN) {
        uint64_t s;
        if ((rc = ltl__seq_for_time(db, c->since, &s)))
            goto fail;
        if (s > c->lo)
            c->lo = s;
    }
    if (opts->flags & LTL_CURSOR_REVERSE) {
        uint64_t end;
        if ((rc = ltl__log_end(db, &end)))
            goto fail;
        if (c->until != INT64_MAX) {
            uint64_t u;
            if ((rc = ltl__seq_for_time(db, c->until, &u)))
                goto fail;
            if (u < end)
                end = u;
        }
        if (end == 0 || end - 1 < c->lo)
            c->done = true;
        else
            c->next = c->hi == LTL__NO_SEQ || c->hi > end - 1 ? end - 1 : c->hi;
    } else {
        c->next = c->lo;
    }
    *out = c;
    return LTL_OK;
fail:
    ltl__free(c->topic);
    ltl__free(c);
    return rc;
}

int ltl_cursor_open(ltl_cursor **out, ltl_db *db, const ltl_cursor_options *opts)
{
    if (!out || !db)
        return LTL_EINVAL;
    ltl__err_begin();
    return ltl__err_end(db, ltl__cursor_open(out, db, opts));
}

/* Bytes [off, off + len) of the cursor's segment, through the read-ahead
 * window; NULL with *rc set on failure, or when fewer bytes exist (then
 * *avail says how many). */
static const unsigned char *window_get(ltl_cursor *c, uint64_t off, size_t len, size_t *avail,
                                       int *rc)
{
    ltl_db *db = c->db;
    *rc = LTL_OK;
    if (off < c->window_off || off + len > c->window_off + c->window.len) {
        size_t want = len > READ_AHEAD ? len : READ_AHEAD;
        if (ltl__buf_reserve(&c->window, want)) {
            *rc = ltl__errf(LTL_ENOMEM, "out of memory");
            return NULL;
        }
        ssize_t n = ltl__io_pread_full(db->io, c->seg->fd, c->window.data, want, (off_t)off);
        if (n < 0) {
            *rc = ltl__err_sys(errno, "read %s", c->seg->path);
            c->window.len = 0;
            return NULL;
        }
        c->window_off = off;
        c->window.len = (size_t)n;
    }
    size_t have = (size_t)(c->window_off + c->window.len - off);
    *avail = have;
    return (const unsigned char *)c->window.data + (off - c->window_off);
}

/* Decode the frame at the cursor's position. LTL_OK with *b; LTL_DONE when
 * no valid frame is there (the end of what is written, for now). */
static int frame_at(ltl_cursor *c, struct ltl__body *b, uint64_t *size, int *status)
{
    int rc;
    size_t avail;
    const unsigned char *p = window_get(c, c->off, LTL__FRAME_HEADER, &avail, &rc);
    if (!p)
        return rc;
    if (avail >= 4) {
        uint64_t fsize = ltl__frame_size(ltl__get_u32(p));
        if (fsize > avail && c->off + fsize <= c->seg->file_size) {
            c->window.len = 0; /* refill from the frame's start with room for all of it */
            if (!(p = window_get(c, c->off, (size_t)fsize, &avail, &rc)))
                return rc;
        }
    }
    uint64_t max = c->seg->file_size > c->off + LTL__FRAME_HEADER
                       ? c->seg->file_size - c->off - LTL__FRAME_HEADER
                       : 0;
    *status = ltl__frame_decode(b, size, p, avail, c->seg->salt, max);
    if (*status != LTL__FRAME_OK) {
        c->window.len = 0; /* the writer may be writing there: read fresh next time */
        return LTL_DONE;
    }
    return LTL_OK;
}

/* A reader passing a record repair could not save says so (once per record
 * and cursor): the gap in the seqs is not silent. */
static void lost_note(ltl_cursor *c, const struct ltl__body *b)
{
    if (b->kind == LTL_KIND_LOST && !(c->flags & LTL_CURSOR_SYSTEM))
        ltl__log(&c->db->log, LTL_LOG_WARN,
                 "record %llu was lost to damage: ltl repair replaced it by a lost-record marker "
                 "(ltl verify lists every lost record)",
                 (unsigned long long)b->seq);
}

static bool wanted(const ltl_cursor *c, const struct ltl__body *b)
{
    if (b->kind != LTL_KIND_DATA && !(c->flags & LTL_CURSOR_SYSTEM))
        return false;
    if (c->topic && (b->topic_len != c->topic_len ||
                     (c->topic_len && memcmp(b->topic, c->topic, c->topic_len) != 0)))
        return false;
    return b->ts >= c->since;
}

static int next_forward(const ltl_record **out, ltl_cursor *c)
{
    ltl_db *db = c->db;
    int rc;
    bool refreshed = false, reread = false;
    for (;;) {
        if (c->hi != LTL__NO_SEQ && c->next > c->hi)
            return LTL_DONE;
        if (!c->positioned) {
            struct ltl__loc loc = {NULL, 0};
            rc = locate(db, c->next, &loc);
            if (rc == LTL_ENOTFOUND)
                return LTL_DONE;
            if (rc)
                return rc;
            c->seg = loc.seg;
            c->off = loc.off;
            c->window.len = 0;
            c->positioned = true;
        }
        struct ltl__body b = {0};
        uint64_t size = 0;
        int status = LTL__FRAME_OK;
        rc = frame_at(c, &b, &size, &status);
        if (rc == LTL_DONE) {
            /* no valid frame here yet: look again once with fresh eyes (the
             * window may predate the writer's last write, a writer in this
             * process may hold records in its buffer, a new segment may exist) */
            if (!refreshed) {
                refreshed = true;
                uint64_t end;
                if ((rc = ltl__log_end(db, &end)))
                    return rc;
                c->window.len = 0;
                continue;
            }
            /* Still nothing valid: the end of the log, or damage? The
             * segment's scan judges (against the durable point). */
            if ((rc = ltl__seg_check_stop(db, c->seg, c->off, c->next, status)))
                return rc;
            if (ltl__seg_scanned(db, c->seg) > c->next) {
                /* the scan found a valid record here: read it afresh, so a
                 * frame damaged since the scan is reported, not skipped */
                if ((rc = ltl__read_frame(db, c->seg, c->off, &c->window, &b, &size)))
                    return rc;
                c->window.len = 0;
                if (reread)
                    return ltl__errf(LTL_ECORRUPT,
                                     "segment %s offset %llu: record %llu reads "
                                     "differently each time",
                                     c->seg->name, (unsigned long long)c->off,
                                     (unsigned long long)c->next);
                reread = true;
                continue;
            }
            struct ltl__segment *next = ltl__seg_next(db, c->seg);
            if (!next || next->base != c->next)
                return LTL_DONE;
            if ((rc = ltl__seg_open_read(db, next)))
                return rc;
            c->seg = next;
            c->off = LTL__SEG_HEADER_SIZE;
            c->window.len = 0;
            refreshed = false;
            continue;
        }
        if (rc)
            return rc;
        if (b.seq != c->next)
            return ltl__errf(LTL_ECORRUPT, "segment %s offset %llu holds seq %llu, expected %llu",
                             c->seg->name, (unsigned long long)c->off, (unsigned long long)b.seq,
                             (unsigned long long)c->next);
        if (b.ts >= c->until)
            return LTL_DONE; /* timestamps never go backwards */
        c->off += size;
        c->next++;
        lost_note(c, &b);
        if (!wanted(c, &b))
            continue;
        if ((rc = ltl__record_unseal(db, &b, &c->plain, c->flags & LTL_CURSOR_ENVELOPE)))
            return rc;
        fill_record(db, &c->rec, c->topic_buf, &c->manifest, &b);
        *out = &c->rec;
        return LTL_OK;
    }
}

/* Load the offsets of the block of frames holding seq (from the sparse
 * entry at or before it up to seq). */
static int load_block(ltl_cursor *c, uint64_t seq)
{
    ltl_db *db = c->db;
    struct ltl__segment *seg = ltl__segs_find(db, seq);
    if (!seg)
        return ltl__errf(LTL_ENOTFOUND, "no segment holds seq %llu", (unsigned long long)seq);
    uint64_t first = seq - (seq - seg->base) % LTL__SPARSE_EVERY, off;
    int rc = ltl__seg_locate(db, seg, first, &off);
    if (rc)
        return rc;
    size_t n = (size_t)(seq - first + 1);
    if (n > c->block_cap) {
        uint64_t *offs = ltl__realloc(c->block_offs, n * sizeof(*offs));
        if (!offs)
            return ltl__errf(LTL_ENOMEM, "out of memory");
        c->block_offs = offs;
        c->block_cap = n;
    }
    unsigned char hdr[4];
    for (size_t i = 0; i < n; i++) {
        c->block_offs[i] = off;
        if (i + 1 < n) {
            if (ltl__io_pread_full(db->io, seg->fd, hdr, 4, (off_t)off) != 4)
                return ltl__err_sys(errno ? errno : EIO, "read %s", seg->path);
            off += ltl__frame_size(ltl__get_u32(hdr));
        }
    }
    c->block_seg = seg;
    c->block_first = first;
    c->block_n = n;
    return LTL_OK;
}

static int next_reverse(const ltl_record **out, ltl_cursor *c)
{
    ltl__buf *buf = &c->window;
    for (;;) {
        if (c->done || c->next < c->lo)
            return LTL_DONE;
        uint64_t seq = c->next;
        int rc;
        if (!c->block_seg || seq < c->block_first || seq >= c->block_first + c->block_n) {
            if ((rc = load_block(c, seq)))
                return rc;
        }
        struct ltl__body b;
        uint64_t size;
        if ((rc = ltl__read_frame(c->db, c->block_seg, c->block_offs[seq - c->block_first], buf, &b,
                                  &size)))
            return rc;
        if (b.seq != seq)
            return ltl__errf(LTL_ECORRUPT, "segment %s holds seq %llu where %llu belongs",
                             c->block_seg->name, (unsigned long long)b.seq,
                             (unsigned long long)seq);
        if (seq == 0 || seq == c->lo)
            c->done = true;
        else
            c->next = seq - 1;
        if (b.ts < c->since)
            return LTL_DONE;
        if (b.ts < c->until)
            lost_note(c, &b);
        if (!wanted(c, &b) || b.ts >= c->until)
            continue;
        if ((rc = ltl__record_unseal(c->db, &b, &c->plain, c->flags & LTL_CURSOR_ENVELOPE)))
            return rc;
        fill_record(c->db, &c->rec, c->topic_buf, &c->manifest, &b);
        *out = &c->rec;
        return LTL_OK;
    }
}

int ltl__cursor_next(const ltl_record **out, ltl_cursor *cur)
{
    return cur->flags & LTL_CURSOR_REVERSE ? next_reverse(out, cur) : next_forward(out, cur);
}

int ltl_cursor_next(const ltl_record **out, ltl_cursor *cur)
{
    if (!out || !cur)
        return LTL_EINVAL;
    ltl__err_begin();
    return ltl__err_end(cur->db, ltl__cursor_next(out, cur));
}

int ltl__cursor_wait(ltl_cursor *cur, int timeout_ms)
{
    ltl_db *db = cur->db;
    int rc = LTL_OK;
    if (cur->inotify_fd < 0) {
        cur->inotify_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
        if (cur->inotify_fd < 0)
            return ltl__err_sys(errno, "inotify_init1");
        if (inotify_add_watch(cur->inotify_fd, db->log_dir,
                              IN_MODIFY | IN_CREATE | IN_MOVED_TO | IN_CLOSE_WRITE) < 0)
            return ltl__err_sys(errno, "inotify_add_watch %s", db->log_dir);
    }
    /* records may have arrived before the watch existed */
    uint64_t end;
    if ((rc = ltl__log_end(db, &end)))
        return rc;
    if (end > cur->next && !(cur->flags & LTL_CURSOR_REVERSE))
        return LTL_OK;
    struct pollfd p = {cur->inotify_fd, POLLIN, 0};
    int n = poll(&p, 1, timeout_ms);
    if (n < 0 && errno == EINTR)
        return LTL_ETIMEOUT; /* a signal: the caller decides */
    if (n < 0)
        return ltl__err_sys(errno, "poll");
    if (n == 0)
        return LTL_ETIMEOUT;
    char events[4096];
    while (read(cur->inotify_fd, events, sizeof(events)) > 0) {
        /* drain: one wake-up is enough */
    }
    return LTL_OK;
}

int ltl_cursor_wait(ltl_cursor *cur, int timeout_ms)
{
    if (!cur)
        return LTL_EINVAL;
    ltl__err_begin();
    return ltl__err_end(cur->db, ltl__cursor_wait(cur, timeout_ms));
}

void ltl_cursor_close(ltl_cursor *cur)
{
    if (!cur)
        return;
    ltl__manifest_release(cur->db, cur->manifest);
    if (cur->inotify_fd >= 0)
        close(cur->inotify_fd);
    ltl__buf_free(&cur->window);
    ltl__buf_free(&cur->plain);
    ltl__free(cur->block_offs);
    ltl__free(cur->topic);
    ltl__free(cur);
}
