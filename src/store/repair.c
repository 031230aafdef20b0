/* SPDX-License-Identifier: MIT */
/*
 * repair.c — what `ltl repair` (LTL_OPEN_REPAIR) does before the writer
 * starts: make every segment readable again without removing an intact
 * record from the log and without reusing a seq.
 *
 *   - A damaged store header (LTL) is rebuilt from the segment headers,
 *     which all carry the store id.
 *   - A damaged segment header is rewritten from the file name (base seq),
 *     the store header (store id) and the salt, recovered from the frames
 *     (the frames' checksums cover the salt).
 *   - Each damaged frame below the durable point (or in a segment that a
 *     later one follows) becomes a lost-record marker at the same seq,
 *     filling the same bytes up to the next valid frame; where several
 *     records were lost in one place, one marker each. A marker keeps the
 *     lost record's leaf hash from log/tree.hashes where it fits, and the
 *     repair event in _ltl keeps every one of them, so the Merkle tree,
 *     every checkpoint and every other record's proof stay valid.
 *   - Records the durable point promised but that are gone (a zeroed
 *     region, a missing end) get markers too; a segment that ends before
 *     the next one begins gets markers for the seqs in between.
 *
 * The damaged bytes and replaced headers are copied into
 * STORE/repair/<time>-<pid>/ first (never deleted); `ltl repair --show`
 * reads them back. A crash tail beyond the durable point is left to
 * recovery (recover.c), which runs next. With dry_run nothing is written:
 * each step is only reported ("would ...").
 */
#include "json/json.h"
#include "store/store.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define CHUNK (1u << 20)

struct repair {
    struct ltl_db *db;
    bool dry;
    char *aside;            /* STORE/repair/<time>-<pid>, made on first use */
    struct ltl__tree *tree; /* log/tree.hashes, read-only, for the lost records' leaves */
    struct ltl__durable d;
    int64_t prev_ts; /* of the last valid record seen (or marked) */
    uint64_t prev_manifest;
};

static void say(struct repair *r, const char *fmt, ...) LTL__PRINTF(2, 3);
static void say(struct repair *r, const char *fmt, ...)
{
    char line[LTL__LOG_LINE_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    ltl__log(&r->db->log, LTL_LOG_WARN, "repair%s: %s", r->dry ? " (dry run)" : "", line);
}

static int json_str(ltl__buf *out, const char *s)
{
    return ltl__json_escape(out, s, strlen(s));
}

static int event_add(struct ltl_db *db, ltl__buf *json)
{
    char **ev = ltl__realloc(db->repair_events, (db->nrepair_events + 1) * sizeof(*ev));
    if (!ev)
        return ltl__errf(LTL_ENOMEM, "out of memory");
    db->repair_events = ev;
    ev[db->nrepair_events++] = json->data;
    *json = (ltl__buf){0};
    return LTL_OK;
}

static int aside_dir(struct repair *r, const char **out)
{
    if (!r->aside) {
        int rc = ltl__aside_dir(r->db, &r->aside);
        if (rc)
            return rc;
    }
    *out = r->aside;
    return LTL_OK;
}

/* Copy [from, to) of the file at path into the aside folder as `name`. */
static int keep_bytes(struct repair *r, const char *path, uint64_t from, uint64_t to,
                      const char *name, char **kept)
{
    const char *dir;
    int rc = aside_dir(r, &dir);
    if (rc)
        return rc;
    char *dest = ltl__path_join(dir, name);
    if (!dest)
        return ltl__errf(LTL_ENOMEM, "out of memory");
    rc = ltl__copy_range(r->db, path, from, to, dest);
    /* the copy is on disk before the original bytes are overwritten */
    if (rc == LTL_OK && ltl__io_fsync_dir(r->db->io, dir) < 0)
        rc = ltl__err_sys(errno, "fsync %s", dir);
    if (rc == LTL_OK && kept)
        *kept = ltl__strdup(ltl__store_rel(r->db, dest));
    ltl__free(dest);
    return rc;
}

/* Write bytes at off of a store file and sync it. */
static int write_at(struct ltl_db *db, const char *path, const void *data, size_t len, uint64_t off)
{
    int fd = db->io->open(db->io, path, O_RDWR, 0);
    if (fd < 0)
        return ltl__err_sys(errno, "open %s for writing", path);
    int rc = LTL_OK;
    if (ltl__io_pwrite_full(db->io, fd, data, len, (off_t)off) < 0)
        rc = ltl__err_sys(errno, "write %s at offset %llu", path, (unsigned long long)off);
    else if (db->io->fdatasync(db->io, fd) < 0)
        rc = ltl__err_sys(errno, "fdatasync %s", path);
    if (db->io->close(db->io, fd) < 0 && rc == LTL_OK)
        rc = ltl__err_sys(errno, "close %s", path);
    return rc;
}

/* ---- the store header ------------------------------------------------------ */

struct id_vote {
    unsigned char id[16];
    unsigned votes;
    int64_t created;
};

int ltl__repair_store_header(struct ltl_db *db, bool dry_run)
{
    struct repair r = {.db = db, .dry = dry_run};
    char *why = ltl__strdup(ltl__err_current());
    ltl__err_restate();
    struct id_vote votes[8];
    size_t nvotes = 0;
    int rc = ltl__segs_load(db);
    size_t n = rc ? 0 : ltl__segs_count(db);
    for (size_t i = 0; i < n; i++) {
        struct ltl__segment *seg = ltl__segs_at(db, i);
        unsigned char hdr[LTL__SEG_HEADER_SIZE];
        struct ltl__seg_header h;
        int fd = db->io->open(db->io, seg->path, O_RDONLY, 0);
        if (fd < 0)
            continue;
        ssize_t got = ltl__io_pread_full(db->io, fd, hdr, sizeof(hdr), 0);
        db->io->close(db->io, fd);
        if (got != (ssize_t)sizeof(hdr) || ltl__seg_header_decode(&h, hdr) != LTL_OK) {
            ltl__err_restate();
            continue;
        }
        size_t k = 0;
        while (k < nvotes && memcmp(votes[k].id, h.store_id, 16) != 0)
            k++;
        if (k == nvotes) {
            if (nvotes == sizeof(votes) / sizeof(votes[0]))
                continue;
            memcpy(votes[k].id, h.store_id, 16);
            votes[k].votes = 0;
            votes[k].created = h.created;
            nvotes++;
        }
        votes[k].votes++;
        if (h.created < votes[k].created)
            votes[k].created = h.created;
    }
    ltl__segs_free(db);
    if (rc)
        goto out;
    size_t best = 0;
    for (size_t k = 1; k < nvotes; k++)
        if (votes[k].votes > votes[best].votes)
            best = k;
    if (nvotes == 0) {
        rc = ltl__errf(LTL_ECORRUPT,
                       "%s/%s: %s; no segment header is readable to rebuild it from (a store "
                       "without records can be made anew with ltl init in an empty directory)",
                       db->path, LTL__HEADER_FILE, why ? why : "damaged");
        goto out;
    }
    char id[33];
    ltl__hex_encode(id, votes[best].id, 16);
    say(&r, "%s; %s it from the segment headers (store id %s, %u of %zu segments)",
        why && why[0] ? why : "damaged store header", r.dry ? "would rebuild" : "rebuilt", id,
        votes[best].votes, n);
    if (r.dry) {
        /* go on as if it had been rebuilt, so the rest can be judged */
        db->header = (struct ltl__store_header){
            LTL__FORMAT_VERSION, LTL__HASH_SHA256, {0}, votes[best].created};
        memcpy(db->header.store_id, votes[best].id, 16);
        goto out;
    }
    char *path = ltl__path_join(db->path, LTL__HEADER_FILE);
    char *kept = NULL;
    if (!path) {
        rc = ltl__errf(LTL_ENOMEM, "out of memory");
        goto out;
    }
    struct stat st;
    if (db->io->stat(db->io, path, &st) == 0)
        rc = keep_bytes(&r, path, 0, (uint64_t)st.st_size, LTL__HEADER_FILE, &kept);
    ltl__free(path);
    struct ltl__store_header h = {LTL__FORMAT_VERSION, LTL__HASH_SHA256, {0}, votes[best].created};
    memcpy(h.store_id, votes[best].id, 16);
    if (rc == LTL_OK)
        rc = ltl__write_store_header(db, &h);
    ltl__buf ev = {0};
    if (rc == LTL_OK &&
        (rc = ltl__buf_appendf(&ev,
                               "{\"event\":\"repair\",\"action\":\"store-header\",\"reason\":") ||
              json_str(&ev, why ? why : "") ||
              ltl__buf_appendf(&ev, ",\"store_id\":\"%s\",\"moved\":[\"%s\"]}", id,
                               kept ? kept : "")))
        rc = ltl__errf(LTL_ENOMEM, "out of memory");
    if (rc == LTL_OK)
        rc = event_add(db, &ev);
    ltl__buf_free(&ev);
    ltl__free(kept);
out:
    ltl__free(why);
    ltl__free(r.aside);
    return rc;
}

/* ---- segment headers --------------------------------------------------------- */

/* Does some frame in buf (taken from offset 64 of a segment based at base)
 * check out with this salt? */
static bool salt_fits(const unsigned char *buf, size_t len, uint64_t salt, uint64_t base)
{
    for (size_t i = 0; i + LTL__FRAME_HEADER + LTL__BODY_HEADER <= len; i += 8) {
        const unsigned char *h = buf + i + LTL__FRAME_HEADER;
        if (h[0] != LTL__BODY_VERSION || h[1] < LTL_KIND_DATA || h[1] > LTL_KIND_LOST)
            continue;
        struct ltl__body b;
        uint64_t size;
        if (ltl__frame_decode(&b, &size, buf + i, len - i, salt, len) == LTL__FRAME_OK &&
            b.seq >= base && b.seq - base <= i / LTL__LOST_MIN)
            return true;
    }
    return false;
}

/* The salt of a segment whose header is damaged: the stored one, or the one
 * that a damaged byte hides (every value of every byte is tried), checked
 * against the frames. false when no candidate fits (or there is no frame). */
static bool recover_salt(const unsigned char hdr[LTL__SEG_HEADER_SIZE], const unsigned char *buf,
                         size_t len, uint64_t base, uint64_t *out)
{
    uint64_t stored = ltl__get_u64(hdr + 40);
    if (salt_fits(buf, len, stored, base)) {
        *out = stored;
        return true;
    }
    for (int byte = 0; byte < 8; byte++)
        for (unsigned v = 0; v < 256; v++) {
            unsigned char s[8];
            ltl__put_u64(s, stored);
            if (s[byte] == v)
                continue;
            s[byte] = (unsigned char)v;
            uint64_t cand = ltl__get_u64(s);
            if (salt_fits(buf, len, cand, base)) {
                *out = cand;
                return true;
            }
        }
    return false;
}

static int repair_seg_header(struct repair *r, struct ltl__segment *seg)
{
    struct ltl_db *db = r->db;
    char *why = ltl__strdup(ltl__err_current());
    ltl__err_restate();
    int rc = LTL_OK;
    unsigned char *buf = ltl__malloc(CHUNK);
    int fd = db->io->open(db->io, seg->path, O_RDONLY, 0);
    if (!buf || fd < 0) {
        rc = fd < 0 ? ltl__err_sys(errno, "open %s", seg->path)
                    : ltl__errf(LTL_ENOMEM, "out of memory");
        goto out;
    }
    unsigned char hdr[LTL__SEG_HEADER_SIZE] = {0};
    ssize_t got = ltl__io_pread_full(db->io, fd, hdr, sizeof(hdr), 0);
    ssize_t n = got < 0 ? -1 : ltl__io_pread_full(db->io, fd, buf, CHUNK, LTL__SEG_HEADER_SIZE);
    db->io->close(db->io, fd);
    if (got < 0 || n < 0) {
        rc = ltl__err_sys(errno, "read %s", seg->path);
        goto out;
    }
    struct ltl__seg_header h = {{0}, seg->base, 0, (int64_t)ltl__get_u64(hdr + 48)};
    memcpy(h.store_id, db->header.store_id, 16);
    if (!recover_salt(hdr, buf, (size_t)n, seg->base, &h.salt)) {
        rc = ltl__errf(LTL_ECORRUPT,
                       "segment %s: %s, and its salt cannot be recovered from its frames (none "
                       "checks out with the stored salt or any one byte of it changed): "
                       "repair cannot rewrite it",
                       seg->name, why ? why : "damaged header");
        goto out;
    }
    say(r, "%s; %s the header from the file name, %s and the salt its frames check out with",
        why && why[0] ? why : "damaged segment header", r->dry ? "would rewrite" : "rewrote",
        LTL__HEADER_FILE);
    if (r->dry)
        goto out;
    char name[64];
    snprintf(name, sizeof(name), "%s.header", seg->name);
    char *kept = NULL;
    unsigned char fresh[LTL__SEG_HEADER_SIZE];
    ltl__seg_header_encode(fresh, &h);
    if ((rc = keep_bytes(r, seg->path, 0, LTL__SEG_HEADER_SIZE, name, &kept)) == LTL_OK)
        rc = write_at(db, seg->path, fresh, sizeof(fresh), 0);
    ltl__buf ev = {0};
    if (rc == LTL_OK &&
        (ltl__buf_appendf(&ev,
                          "{\"event\":\"repair\",\"action\":\"segment-header\",\"segment\":\"%s\","
                          "\"reason\":",
                          seg->name) ||
         json_str(&ev, why ? why : "") ||
         ltl__buf_appendf(&ev, ",\"moved\":[\"%s\"]}", kept ? kept : "")))
        rc = ltl__errf(LTL_ENOMEM, "out of memory");
    if (rc == LTL_OK)
        rc = event_add(db, &ev);
    ltl__buf_free(&ev);
    ltl__free(kept);
out:
    ltl__free(buf);
    ltl__free(why);
    return rc;
}

/* ---- frames ------------------------------------------------------------------- */

struct walk_state {
    int64_t last_ts;
    uint64_t last_manifest;
};

static int note_frame(void *ctx, struct ltl__segment *seg, uint64_t off, const struct ltl__body *b,
                      const unsigned char *body, size_t len)
{
    (void)seg;
    (void)off;
    (void)body;
    (void)len;
    struct walk_state *w = ctx;
    w->last_ts = b->ts;
    w->last_manifest = b->kind == LTL_KIND_MANIFEST ? b->seq : b->manifest_seq;
    return 0;
}

/* The first valid frame after `from` (8-byte steps, before `limit`) that can
 * follow record after_seq - 1 at the damaged spot `damaged`: a seq above
 * after_seq - 1 with room for a marker per seq in between, and a ts not
 * before min_ts. */
static int resync(struct ltl_db *db, struct ltl__segment *seg, uint64_t damaged, uint64_t limit,
                  uint64_t after_seq, int64_t min_ts, bool *found, uint64_t *out_off,
                  uint64_t *out_seq)
{
    *found = false;
    ltl__buf buf = {0}, big = {0};
    int rc = ltl__buf_reserve(&buf, CHUNK);
    for (uint64_t off = damaged + 8; rc == LTL_OK && off + LTL__FRAME_HEADER < limit && !*found;) {
        size_t want = limit - off < CHUNK ? (size_t)(limit - off) : CHUNK;
        ssize_t n = ltl__io_pread_full(db->io, seg->fd, buf.data, want, (off_t)off);
        if (n < 0) {
            rc = ltl__err_sys(errno, "read %s", seg->path);
            break;
        }
        if (n <= (ssize_t)LTL__FRAME_HEADER)
            break;
        const unsigned char *p = (const unsigned char *)buf.data;
        size_t i = 0;
        for (; i + LTL__FRAME_HEADER + LTL__BODY_HEADER <= (size_t)n; i += 8) {
            const unsigned char *h = p + i + LTL__FRAME_HEADER;
            if (h[0] != LTL__BODY_VERSION || h[1] < LTL_KIND_DATA || h[1] > LTL_KIND_LOST || h[6] ||
                h[7])
                continue;
            uint64_t seq = ltl__get_u64(h + 8);
            uint64_t at = off + i;
            if (seq < after_seq || seq - after_seq > (at - damaged) / LTL__LOST_MIN)
                continue;
            struct ltl__body b;
            uint64_t size;
            uint32_t len = ltl__get_u32(p + i);
            const unsigned char *frame = p + i;
            size_t avail = (size_t)n - i;
            if (ltl__frame_size(len) > avail && at + ltl__frame_size(len) <= limit) {
                /* a frame that runs past this chunk: read it whole */
                if ((rc = ltl__buf_reserve(&big, (size_t)ltl__frame_size(len))))
                    break;
                ssize_t m = ltl__io_pread_full(db->io, seg->fd, big.data,
                                               (size_t)ltl__frame_size(len), (off_t)at);
                if (m < 0) {
                    rc = ltl__err_sys(errno, "read %s", seg->path);
                    break;
                }
                frame = (const unsigned char *)big.data;
                avail = (size_t)m;
            }
            if (ltl__frame_decode(&b, &size, frame, avail, seg->salt, limit - at) ==
                    LTL__FRAME_OK &&
                b.ts >= min_ts) {
                *found = true;
                *out_off = at;
                *out_seq = b.seq;
                break;
            }
        }
        if (*found || (size_t)n < want || off + (uint64_t)n >= limit)
            break; /* this chunk reached the end */
        off += i;  /* the positions not checked yet start the next chunk */
    }
    ltl__buf_free(&buf);
    ltl__buf_free(&big);
    return rc;
}

/* The end of the last non-zero 8-byte word of seg in [from, limit), == from when none. */
static int nonzero_end(struct ltl_db *db, struct ltl__segment *seg, uint64_t from, uint64_t limit,
                       uint64_t *out)
{
    *out = from;
    unsigned char buf[65536];
    for (uint64_t off = from; off < limit;) {
        size_t want = limit - off < sizeof(buf) ? (size_t)(limit - off) : sizeof(buf);
        ssize_t n = ltl__io_pread_full(db->io, seg->fd, buf, want, (off_t)off);
        if (n < 0)
            return ltl__err_sys(errno, "read %s", seg->path);
        if (n == 0)
            break;
        for (ssize_t i = 0; i < n; i++)
            if (buf[i])
                *out = ltl__align8(off + (uint64_t)i + 1);
        off += (uint64_t)n;
    }
    if (*out > limit)
        *out = limit;
    return LTL_OK;
}

/* Write markers for seqs [first, end) into [from, to) of seg. */
static int mark_lost(struct repair *r, struct ltl__segment *seg, uint64_t from, uint64_t to,
                     uint64_t first, uint64_t end, const char *reason)
{
    struct ltl_db *db = r->db;
    uint64_t count = end - first, space = to - from;
    if (count == 0)
        return LTL_OK;
    if (space < count * LTL__LOST_MIN || space % 8)
        return ltl__errf(LTL_ECORRUPT,
                         "segment %s offset %" PRIu64 ": %" PRIu64 " records (%" PRIu64 "..%" PRIu64
                         ") were lost in %" PRIu64
                         " bytes, too few for a marker each: repair cannot mark them",
                         seg->name, from, count, first, end - 1, space);
    /* the leaves the hash index holds for them */
    unsigned char(*leaves)[LTL__LOST_LEAF] = ltl__calloc((size_t)count, LTL__LOST_LEAF);
    bool *has = ltl__calloc((size_t)count, sizeof(bool));
    unsigned char *frames = r->dry ? NULL : ltl__calloc(1, (size_t)space);
    int rc = LTL_OK;
    if (!leaves || !has || (!r->dry && !frames)) {
        rc = ltl__errf(LTL_ENOMEM, "out of memory");
        goto out;
    }
    uint64_t known = 0;
    for (uint64_t i = 0; i < count && r->tree; i++)
        if (first + i < ltl__tree_size(r->tree) &&
            ltl__tree_leaf(leaves[i], r->tree, first + i) == LTL_OK) {
            has[i] = true;
            known++;
        }
    ltl__err_restate();
    /* sizes: room for reason and leaf where the space allows, the rest to the last */
    uint64_t full = ltl__lost_size(leaves[0], reason);
    uint64_t share = (space / count) & ~(uint64_t)7; /* >= LTL__LOST_MIN, checked above */
    uint64_t each = full <= share ? full : share;
    int64_t ts = r->prev_ts == INT64_MIN ? 0 : r->prev_ts;
    uint64_t manifest = r->prev_manifest == LTL__NO_SEQ ? first : r->prev_manifest;
    for (uint64_t i = 0, at = 0; frames && i < count; i++) {
        uint64_t size = i + 1 == count ? space - at : each;
        ltl__lost_encode(frames + at, size, seg->salt, first + i, ts, manifest,
                         has[i] ? leaves[i] : NULL, reason);
        at += size;
    }
    char which[64];
    if (count == 1)
        snprintf(which, sizeof(which), "record %" PRIu64, first);
    else
        snprintf(which, sizeof(which), "records %" PRIu64 "..%" PRIu64, first, end - 1);
    say(r,
        "segment %s offset %" PRIu64 ": %s; %s %s by lost-record marker%s (%" PRIu64
        " bytes; %" PRIu64 " of %" PRIu64 " leaf hashes kept)",
        seg->name, from, reason, r->dry ? "would replace" : "replaced", which, count > 1 ? "s" : "",
        space, known, count);
    if (r->dry)
        goto out;
    char name[96], *kept = NULL;
    snprintf(name, sizeof(name), "%s.from-%" PRIu64, seg->name, from);
    if ((rc = keep_bytes(r, seg->path, from, to, name, &kept)) ||
        (rc = write_at(db, seg->path, frames, (size_t)space, from)))
        goto done;
    if (first < db->repair_first_lost)
        db->repair_first_lost = first;
    /* what the hash index needs to keep their leaves, and the event */
    for (uint64_t i = 0; i < count; i++) {
        struct ltl__lost *l = ltl__realloc(db->lost, (db->nlost + 1) * sizeof(*l));
        if (!l) {
            rc = ltl__errf(LTL_ENOMEM, "out of memory");
            goto done;
        }
        db->lost = l;
        l[db->nlost] = (struct ltl__lost){first + i, has[i], {0}};
        if (has[i])
            memcpy(l[db->nlost].leaf, leaves[i], LTL__LOST_LEAF);
        db->nlost++;
    }
    ltl__buf ev = {0};
    rc = ltl__buf_appendf(&ev,
                          "{\"event\":\"repair\",\"action\":\"lost-records\",\"segment\":\"%s\","
                          "\"offset\":%" PRIu64 ",\"bytes\":%" PRIu64 ",\"first_seq\":%" PRIu64
                          ",\"last_seq\":%" PRIu64 ",\"reason\":\"%s\",\"leaves\":[",
                          seg->name, from, space, first, end - 1, reason);
    for (uint64_t i = 0; rc == LTL_OK && i < count; i++) {
        char hex[2 * LTL__LOST_LEAF + 1];
        ltl__hex_encode(hex, leaves[i], LTL__LOST_LEAF);
        rc = ltl__buf_appendf(&ev, "%s%s%s%s", i ? "," : "", has[i] ? "\"" : "",
                              has[i] ? hex : "null", has[i] ? "\"" : "");
    }
    if (rc == LTL_OK)
        rc = ltl__buf_appendf(&ev, "],\"moved\":[\"%s\"]}", kept ? kept : "");
    if (rc)
        rc = ltl__errf(LTL_ENOMEM, "out of memory");
    else
        rc = event_add(db, &ev);
    ltl__buf_free(&ev);
done:
    ltl__free(kept);
out:
    ltl__free(frames);
    ltl__free(has);
    ltl__free(leaves);
    return rc;
}

/* Grow a segment file (zeros) so markers fit after its data. */
static int extend(struct ltl_db *db, struct ltl__segment *seg, uint64_t size)
{
    int fd = db->io->open(db->io, seg->path, O_RDWR, 0);
    if (fd < 0)
        return ltl__err_sys(errno, "open %s for writing", seg->path);
    int rc = LTL_OK;
    if (db->io->ftruncate(db->io, fd, (off_t)size) < 0 || db->io->fsync(db->io, fd) < 0)
        rc = ltl__err_sys(errno, "extend %s to %llu bytes", seg->path, (unsigned long long)size);
    db->io->close(db->io, fd);
    if (rc == LTL_OK)
        seg->file_size = size;
    return rc;
}

/* Bytes after the end of a whole segment's data hold no record: keep a copy,
 * then zero them (the data of a segment ends at the first zero length). */
static int clear_stray(struct repair *r, struct ltl__segment *seg, uint64_t from, uint64_t to)
{
    say(r,
        "segment %s offset %" PRIu64 ": %" PRIu64 " stray bytes after the end of its data "
        "(no record is lost); %s",
        seg->name, from, to - from, r->dry ? "would clear them" : "cleared them");
    if (r->dry)
        return LTL_OK;
    char name[96], *kept = NULL;
    snprintf(name, sizeof(name), "%s.from-%" PRIu64, seg->name, from);
    unsigned char *zeros = ltl__calloc(1, (size_t)(to - from));
    int rc = zeros ? keep_bytes(r, seg->path, from, to, name, &kept)
                   : ltl__errf(LTL_ENOMEM, "out of memory");
    if (rc == LTL_OK)
        rc = write_at(r->db, seg->path, zeros, (size_t)(to - from), from);
    ltl__buf ev = {0};
    if (rc == LTL_OK &&
        ltl__buf_appendf(&ev,
                         "{\"event\":\"repair\",\"action\":\"stray-bytes\",\"segment\":\"%s\","
                         "\"offset\":%" PRIu64 ",\"bytes\":%" PRIu64 ",\"moved\":[\"%s\"]}",
                         seg->name, from, to - from, kept ? kept : ""))
        rc = ltl__errf(LTL_ENOMEM, "out of memory");
    if (rc == LTL_OK)
        rc = event_add(r->db, &ev);
    ltl__buf_free(&ev);
    ltl__free(kept);
    ltl__free(zeros);
    return rc;
}

/* A frame whose only fault is non-zero padding (no checksum covers it) keeps
 * its record: the padding is zeroed (a copy kept). *fixed says whether it was
 * such a frame. */
static int fix_padding(struct repair *r, struct ltl__segment *seg, uint64_t off, bool *fixed,
                       uint64_t *frame_size)
{
    struct ltl_db *db = r->db;
    *fixed = false;
    unsigned char head[LTL__FRAME_HEADER];
    if (ltl__io_pread_full(db->io, seg->fd, head, sizeof(head), (off_t)off) !=
        (ssize_t)sizeof(head))
        return LTL_OK;
    uint64_t fsize = ltl__frame_size(ltl__get_u32(head));
    if (off + fsize > seg->file_size || fsize > (1u << 30))
        return LTL_OK;
    ltl__buf buf = {0};
    int rc = ltl__buf_reserve(&buf, (size_t)fsize);
    if (rc)
        return rc;
    if (ltl__io_pread_full(db->io, seg->fd, buf.data, (size_t)fsize, (off_t)off) ==
            (ssize_t)fsize &&
        ltl__frame_padding_only((unsigned char *)buf.data, (size_t)fsize, seg->salt,
                                seg->file_size - off))
        *fixed = true;
    if (*fixed) {
        *frame_size = fsize;
        uint32_t len = ltl__get_u32(head);
        uint64_t pad_at = off + LTL__FRAME_HEADER + len, pad = fsize - LTL__FRAME_HEADER - len;
        say(r,
            "segment %s offset %" PRIu64 ": the padding after the record there was "
            "overwritten (the record is whole); %s",
            seg->name, pad_at, r->dry ? "would zero it" : "zeroed it");
        if (!r->dry) {
            static const unsigned char zeros[8];
            char name[96], *kept = NULL;
            snprintf(name, sizeof(name), "%s.from-%" PRIu64, seg->name, off);
            if ((rc = keep_bytes(r, seg->path, off, off + fsize, name, &kept)) == LTL_OK)
                rc = write_at(db, seg->path, zeros, (size_t)pad, pad_at);
            ltl__buf ev = {0};
            if (rc == LTL_OK &&
                ltl__buf_appendf(&ev,
                                 "{\"event\":\"repair\",\"action\":\"padding\",\"segment\":"
                                 "\"%s\",\"offset\":%" PRIu64 ",\"moved\":[\"%s\"]}",
                                 seg->name, pad_at, kept ? kept : ""))
                rc = ltl__errf(LTL_ENOMEM, "out of memory");
            if (rc == LTL_OK)
                rc = event_add(db, &ev);
            ltl__buf_free(&ev);
            ltl__free(kept);
        }
    }
    ltl__buf_free(&buf);
    return rc;
}

/* Does the durable point lie beyond (seg, off)? */
static bool promised(const struct repair *r, const struct ltl__segment *seg, uint64_t off)
{
    return r->d.known &&
           (r->d.seg_base > seg->base || (r->d.seg_base == seg->base && r->d.off > off));
}

/* Walk segment i, marking every damaged place below the durable point. */
static int repair_segment(struct repair *r, size_t i, size_t n)
{
    struct ltl_db *db = r->db;
    struct ltl__segment *seg = ltl__segs_at(db, i);
    struct ltl__segment *next = i + 1 < n ? ltl__segs_at(db, i + 1) : NULL;
    int rc = ltl__seg_open_read(db, seg);
    if (rc == LTL_ECORRUPT) {
        if ((rc = repair_seg_header(r, seg)))
            return rc;
        if (!r->dry)
            return LTL_DONE; /* reload the segments and start again */
        /* a dry run goes on with the salt it found, without writing */
        unsigned char hdr[LTL__SEG_HEADER_SIZE];
        int fd = db->io->open(db->io, seg->path, O_RDONLY, 0);
        ssize_t got = fd < 0 ? -1 : ltl__io_pread_full(db->io, fd, hdr, sizeof(hdr), 0);
        unsigned char *buf = ltl__malloc(CHUNK);
        ssize_t m = got == (ssize_t)sizeof(hdr) && buf
                        ? ltl__io_pread_full(db->io, fd, buf, CHUNK, LTL__SEG_HEADER_SIZE)
                        : -1;
        struct stat st;
        bool ok = m > 0 && recover_salt(hdr, buf, (size_t)m, seg->base, &seg->salt) &&
                  db->io->fstat(db->io, fd, &st) == 0;
        ltl__free(buf);
        if (!ok) {
            if (fd >= 0)
                db->io->close(db->io, fd);
            return LTL_OK;
        }
        seg->fd = fd;
        seg->file_size = (uint64_t)st.st_size;
        seg->header_read = true;
    } else if (rc) {
        return rc;
    }
    uint64_t off = LTL__SEG_HEADER_SIZE, seq = seg->base;
    if (seq > 0 && r->prev_ts == INT64_MIN) {
        /* the previous segment was whole: its last record gives ts and manifest */
        struct ltl__segment *prev = i ? ltl__segs_at(db, i - 1) : NULL;
        if (prev && ltl__seg_scan_raw(db, prev, LTL__NO_SEQ) == LTL_OK) {
            r->prev_ts = prev->last_ts;
            r->prev_manifest = prev->last_manifest_seq;
        }
        ltl__err_restate();
    }
    for (;;) {
        struct walk_state w = {r->prev_ts, r->prev_manifest};
        struct ltl__walk_end end;
        if ((rc = ltl__frames_walk(db, seg, off, seq, LTL__NO_SEQ, note_frame, &w, &end)))
            return rc;
        r->prev_ts = w.last_ts;
        r->prev_manifest = w.last_manifest;
        off = end.off;
        seq = end.next_seq;
        uint64_t garbage;
        if ((rc = nonzero_end(db, seg, off, seg->file_size, &garbage)))
            return rc;
        bool clean_end = end.stop == LTL__FRAME_END && garbage == off;
        /* how far records should reach */
        uint64_t want_seq = next ? next->base : LTL__NO_SEQ;
        bool below = next != NULL || promised(r, seg, off);
        if (!next && r->d.known && r->d.seg_base == seg->base && below)
            want_seq = r->d.next_seq;
        if (clean_end) {
            if (!below || want_seq == LTL__NO_SEQ || want_seq <= seq)
                return LTL_OK;
            /* records that should be here are gone: mark them after the data
             * (the durable point's offset bounds them in the tail) */
            uint64_t to = next             ? ltl__align8(off + (want_seq - seq) * LTL__LOST_MIN)
                          : r->d.off > off ? r->d.off
                                           : off;
            if (to > seg->file_size && !r->dry && (rc = extend(db, seg, to)))
                return rc;
            rc = mark_lost(r, seg, off, to, seq, want_seq,
                           next ? "the segment ends before the next one begins"
                                : "records the log was written up to are missing");
            return rc;
        }
        if (!below) {
            if (r->dry && !clean_end)
                say(r,
                    "segment %s offset %" PRIu64 ": %" PRIu64 " bytes of a crash tail (after "
                    "the point the log was written up to); would clear them, as recovery does",
                    seg->name, off, garbage > off ? garbage - off : 0);
            return LTL_OK; /* a crash tail: recovery deals with it */
        }
        bool fixed = false;
        uint64_t fsize = 0;
        if (end.stop == LTL__FRAME_BAD_BODY && (rc = fix_padding(r, seg, off, &fixed, &fsize)))
            return rc;
        if (fixed && !r->dry)
            continue; /* the record is whole: walk on from it */
        if (fixed) {  /* a dry run walks on after what it would fix */
            off += fsize;
            seq++;
            continue;
        }
        /* damage: find where valid frames resume */
        bool found;
        uint64_t at = 0, resume_seq = 0;
        if ((rc = resync(db, seg, off, seg->file_size, seq + 1,
                         r->prev_ts == INT64_MIN ? INT64_MIN : r->prev_ts, &found, &at,
                         &resume_seq)))
            return rc;
        const char *reason = end.stop == LTL__FRAME_END
                                 ? "zeroed frame length"
                                 : ltl__frame_status_name((enum ltl__frame_status)end.stop);
        if (found) {
            if ((rc = mark_lost(r, seg, off, at, seq, resume_seq, reason)))
                return rc;
            off = at;
            seq = resume_seq;
            continue;
        }
        /* nothing valid follows in this segment */
        if (end.stop == LTL__FRAME_END && next && next->base == seq)
            return clear_stray(r, seg, off, garbage); /* the data is whole; stray bytes after it */
        uint64_t to = garbage;
        if (next) {
            uint64_t need = ltl__align8(off + (next->base - seq) * LTL__LOST_MIN);
            if (to < need)
                to = need;
            if (to > seg->file_size)
                to = ltl__align8(off + (next->base - seq) * LTL__LOST_MIN);
        } else if (r->d.seg_base == seg->base) {
            to = r->d.off > off ? r->d.off : off; /* beyond it: a crash tail for recovery */
        }
        if (want_seq == LTL__NO_SEQ || want_seq <= seq)
            want_seq = seq + 1; /* at least the damaged record itself */
        if (to > seg->file_size && !r->dry && (rc = extend(db, seg, to)))
            return rc;
        return mark_lost(r, seg, off, to, seq, want_seq, reason);
    }
}

int ltl__repair_log(struct ltl_db *db, bool dry_run)
{
    struct repair r = {
        .db = db, .dry = dry_run, .prev_ts = INT64_MIN, .prev_manifest = LTL__NO_SEQ};
    int rc = ltl__durable_point(db, &r.d);
    if (rc)
        return rc;
    char *tree_path = ltl__path_join(db->log_dir, LTL__TREE_FILE);
    if (!tree_path)
        return ltl__errf(LTL_ENOMEM, "out of memory");
    if (ltl__tree_open(&r.tree, db->io, tree_path, db->header.store_id, false) != LTL_OK) {
        r.tree = NULL; /* no hash index to keep leaves from: markers say so */
        ltl__err_restate();
    }
    ltl__free(tree_path);
    for (int round = 0; round < 64; round++) {
        size_t n = ltl__segs_count(db);
        r.prev_ts = INT64_MIN;
        r.prev_manifest = LTL__NO_SEQ;
        rc = LTL_OK;
        for (size_t i = 0; i < n && rc == LTL_OK; i++)
            rc = repair_segment(&r, i, n);
        if (rc != LTL_DONE)
            break;
        /* a header was rewritten: read every segment afresh */
        ltl__segs_free(db);
        if ((rc = ltl__segs_load(db)))
            break;
    }
    if (rc == LTL_OK && !dry_run) {
        /* what the writer's scans learnt before the markers is stale */
        ltl__segs_free(db);
        rc = ltl__segs_load(db);
    }
    (void)ltl__tree_close(r.tree);
    ltl__free(r.aside);
    return rc;
}

/* ---- reading back what was moved aside ----------------------------------------- */

/* "<16 hex>.seg.from-<N>" or "<16 hex>.seg": the base; false otherwise. */
static bool aside_name(const char *base_name, uint64_t *seg_base, bool *whole)
{
    char seg[21];
    if (strlen(base_name) < 20)
        return false;
    memcpy(seg, base_name, 20);
    seg[20] = '\0';
    if (!ltl__seg_name_parse(seg, seg_base))
        return false;
    const char *rest = base_name + 20;
    *whole = rest[0] == '\0';
    if (*whole)
        return true;
    if (strncmp(rest, ".from-", 6) != 0 || !rest[6])
        return false;
    for (const char *p = rest + 6; *p; p++)
        if (*p < '0' || *p > '9')
            return false;
    return true;
}

static int emit(ltl_salvage_fn fn, void *ctx, uint64_t off, uint64_t size, const char *status,
                const struct ltl__body *b)
{
    char topic[LTL_TOPIC_MAX + 1] = "";
    ltl_salvage piece = {off, size, status, 0, 0, 0, 0, 0, topic, NULL, 0};
    if (b) {
        size_t n = b->topic_len <= LTL_TOPIC_MAX ? b->topic_len : LTL_TOPIC_MAX;
        memcpy(topic, b->topic, n);
        topic[n] = '\0';
        piece = (ltl_salvage){off,     size,     status, 1,          b->seq,        b->ts,
                              b->kind, b->flags, topic,  b->payload, b->payload_len};
    }
    return fn(ctx, &piece);
}

static int salvage(struct ltl_db *db, int fd, uint64_t start, uint64_t file_size, uint64_t salt,
                   ltl_salvage_fn fn, void *ctx)
{
    ltl__buf buf = {0};
    int rc = LTL_OK;
    uint64_t junk = UINT64_MAX; /* start of a run of bytes that hold no frame */
    for (uint64_t off = start; rc == LTL_OK && off + 8 <= file_size;) {
        unsigned char h[8];
        if (ltl__io_pread_full(db->io, fd, h, 8, (off_t)off) != 8) {
            rc = ltl__err_sys(errno ? errno : EIO, "read at offset %llu", (unsigned long long)off);
            break;
        }
        uint32_t len = ltl__get_u32(h);
        uint64_t fsize = ltl__frame_size(len);
        if (len == 0 && ltl__get_u32(h + 4) == 0) {
            if (junk != UINT64_MAX && (rc = emit(fn, ctx, junk, off - junk, "no frame", NULL)))
                break;
            junk = UINT64_MAX;
            off += 8; /* zeros: the end of the data, or padding */
            continue;
        }
        if (len > LTL__BODY_HEADER && off + fsize <= file_size && len <= (1u << 30) + 4096) {
            if ((rc = ltl__buf_reserve(&buf, (size_t)fsize)))
                break;
            if (ltl__io_pread_full(db->io, fd, buf.data, (size_t)fsize, (off_t)off) !=
                (ssize_t)fsize) {
                rc = ltl__err_sys(errno ? errno : EIO, "read at offset %llu",
                                  (unsigned long long)off);
                break;
            }
            struct ltl__body b;
            uint64_t size;
            enum ltl__frame_status st =
                ltl__frame_decode(&b, &size, (unsigned char *)buf.data, (size_t)fsize, salt, fsize);
            bool readable =
                st == LTL__FRAME_OK ||
                ltl__body_decode(&b, (unsigned char *)buf.data + LTL__FRAME_HEADER, len) == LTL_OK;
            ltl__err_restate();
            if (readable) {
                if (junk != UINT64_MAX && (rc = emit(fn, ctx, junk, off - junk, "no frame", NULL)))
                    break;
                junk = UINT64_MAX;
                rc = emit(fn, ctx, off, fsize, ltl__frame_status_name(st), &b);
                off += fsize;
                continue;
            }
        }
        if (junk == UINT64_MAX)
            junk = off;
        off += 8;
    }
    if (rc == LTL_OK && junk != UINT64_MAX)
        rc = emit(fn, ctx, junk, file_size - junk, "no frame", NULL);
    ltl__buf_free(&buf);
    return rc;
}

int ltl_salvage_read(ltl_db *db, const char *path, ltl_salvage_fn fn, void *ctx)
{
    if (!db || !path || !fn)
        return LTL_EINVAL;
    ltl__err_begin();
    const char *slash = strrchr(path, '/');
    const char *name = slash ? slash + 1 : path;
    uint64_t base;
    bool whole;
    int rc = LTL_OK, fd = -1;
    if (!aside_name(name, &base, &whole)) {
        rc = ltl__errf(LTL_EINVAL,
                       "%s: not a file recovery or repair moves aside (<segment>.from-<offset>, "
                       "or a whole segment)",
                       path);
        goto out;
    }
    fd = db->io->open(db->io, path, O_RDONLY, 0);
    struct stat st;
    if (fd < 0 || db->io->fstat(db->io, fd, &st) < 0) {
        rc = ltl__err_sys(errno, "open %s", path);
        goto out;
    }
    uint64_t salt = 0, start = 0;
    if (whole) {
        unsigned char hdr[LTL__SEG_HEADER_SIZE];
        struct ltl__seg_header h;
        if (ltl__io_pread_full(db->io, fd, hdr, sizeof(hdr), 0) != (ssize_t)sizeof(hdr) ||
            ltl__seg_header_decode(&h, hdr) != LTL_OK) {
            ltl__err_restate();
            rc = ltl__errf(LTL_EINVAL, "%s: no readable segment header", path);
            goto out;
        }
        salt = h.salt;
        start = LTL__SEG_HEADER_SIZE;
    } else {
        struct ltl__segment *seg = ltl__segs_find(db, base);
        if (!seg || seg->base != base) {
            rc = ltl__errf(LTL_ENOTFOUND,
                           "%s: the store has no segment %016llx.seg any more, whose salt the "
                           "frames are checked with",
                           path, (unsigned long long)base);
            goto out;
        }
        if ((rc = ltl__seg_open_read(db, seg)))
            goto out;
        salt = seg->salt;
    }
    rc = salvage(db, fd, start, (uint64_t)st.st_size, salt, fn, ctx);
out:
    if (fd >= 0)
        db->io->close(db->io, fd);
    return ltl__err_end(db, rc);
}
