/* SPDX-License-Identifier: MIT */
/*
 * tree.c — the Merkle tree of the log and its stored hash index
 * STORE/log/tree.hashes: every node of the tree once, in the order nodes
 * complete, so appending costs O(1) amortized hashes and one buffered
 * write, and any root or proof reads O(log n) stored perfect-subtree roots,
 * combining them for the imperfect right edge of the requested size.
 *
 * File: a 64-byte header, then 32-byte entries.
 *   0  8  magic "LTLHASHS"
 *   8  4  format version (1), little-endian like the rest of the store
 *  12  4  hash algorithm (1 = SHA-256, as in the store header)
 *  16 16  store id
 *  32  8  synced leaves: entries of that many leaves were fdatasynced
 *         before this value was written
 *  40 20  zero
 *  60  4  CRC32C of bytes 0..59
 * Entry e >= 0 is at 64 + 32 e. Node (h, k) is entry
 * 2m - popcount(m) + h with m = (k + 1) 2^h - 1, its last leaf.
 */
#include "trust/trust.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>

#define HASH_ALG_SHA256 1 /* the store header's value for SHA-256 */
#define HS              LTL__HASH_SIZE
/* Entries read at a time when checking the unsynced tail at open. */
#define TAIL_CHUNK 2048

struct ltl__tree {
    ltl__io *io;
    char *path;
    int fd;
    bool writable;
    bool broken; /* an fdatasync failed: nothing more is written */
    unsigned char store_id[16];
    /* leaves readers may use: their entries are written (release/acquire) */
    _Atomic uint64_t published;
    /* writer state */
    uint64_t synced;              /* leaves known durable */
    uint64_t header_synced;       /* the synced value the header on disk holds */
    struct ltl__frontier front;   /* right edge of the appended tree */
    unsigned char (*pending)[HS]; /* entries after the published ones */
    size_t npending, pending_cap;
    char note[512]; /* what open found, for the caller to log */
};

/* ---- arithmetic ------------------------------------------------------------ */

uint64_t ltl__tree_entries(uint64_t leaves)
{
    return 2 * leaves - (uint64_t)__builtin_popcountll(leaves);
}

uint64_t ltl__tree_leaves_for(uint64_t entries)
{
    /* E(n) = 2n - popcount(n) lies in [2n - 64, 2n], so the answer is
     * within 32 of entries / 2 */
    uint64_t n = entries / 2;
    while (n < UINT64_MAX && ltl__tree_entries(n + 1) <= entries)
        n++;
    while (n > 0 && ltl__tree_entries(n) > entries)
        n--;
    return n;
}

uint64_t ltl__tree_node_pos(unsigned height, uint64_t index)
{
    uint64_t last = ((index + 1) << height) - 1; /* its last leaf */
    return ltl__tree_entries(last) + height;
}

/* The largest power of two strictly less than n (n >= 2). */
static uint64_t split_point(uint64_t n)
{
    return (uint64_t)1 << (63 - __builtin_clzll(n - 1));
}

static unsigned log2_exact(uint64_t pow2)
{
    return (unsigned)__builtin_ctzll(pow2);
}

/* ---- the compact range ----------------------------------------------------- */

void ltl__frontier_init(struct ltl__frontier *f)
{
    memset(f, 0, sizeof(*f));
}

int ltl__frontier_append(unsigned char (*out)[HS], size_t *out_count, struct ltl__frontier *f,
                         const unsigned char leaf[HS])
{
    if (f->size == UINT64_MAX)
        return ltl__errf(LTL_ETOOBIG, "the tree is full (2^64 - 1 leaves)");
    unsigned char carry[HS];
    memcpy(carry, leaf, HS);
    size_t n = 0;
    if (out)
        memcpy(out[n], carry, HS);
    n++;
    unsigned h = 0;
    /* f->node[h] of the bits being carried are left as they are: they are
     * not part of the new size, so a failure here leaves f unchanged */
    for (uint64_t s = f->size; s & 1; s >>= 1, h++) {
        int rc = ltl__hash_node(carry, f->node[h], carry);
        if (rc)
            return rc;
        if (out)
            memcpy(out[n], carry, HS);
        n++;
    }
    memcpy(f->node[h], carry, HS);
    f->size++;
    if (out_count)
        *out_count = n;
    return LTL_OK;
}

int ltl__frontier_root(unsigned char out[HS], const struct ltl__frontier *f)
{
    if (f->size == 0) {
        memcpy(out, ltl__empty_root, HS);
        return LTL_OK;
    }
    unsigned h = (unsigned)__builtin_ctzll(f->size);
    unsigned char r[HS];
    memcpy(r, f->node[h], HS);
    for (h++; h < 64; h++) {
        if (!(f->size >> h & 1))
            continue;
        int rc = ltl__hash_node(r, f->node[h], r);
        if (rc)
            return rc;
    }
    memcpy(out, r, HS);
    return LTL_OK;
}

/* ---- file helpers ---------------------------------------------------------- */

static off_t entry_off(uint64_t e)
{
    return (off_t)(LTL__TREE_HEADER_SIZE + e * HS);
}

static void header_encode(unsigned char out[LTL__TREE_HEADER_SIZE], const unsigned char id[16],
                          uint64_t synced)
{
    memset(out, 0, LTL__TREE_HEADER_SIZE);
    memcpy(out, LTL__TREE_MAGIC, 8);
    ltl__put_u32(out + 8, LTL__TREE_VERSION);
    ltl__put_u32(out + 12, HASH_ALG_SHA256);
    memcpy(out + 16, id, 16);
    ltl__put_u64(out + 32, synced);
    ltl__put_u32(out + 60, ltl__crc32c(0, out, 60));
}

static int header_write(struct ltl__tree *t, uint64_t synced)
{
    unsigned char h[LTL__TREE_HEADER_SIZE];
    header_encode(h, t->store_id, synced);
    if (ltl__io_pwrite_full(t->io, t->fd, h, sizeof(h), 0) < 0)
        return ltl__err_sys(errno, "write header of %s", t->path);
    t->header_synced = synced;
    return LTL_OK;
}

/* Read count entries from entry e into out. A short read means the file
 * ends early: it is damaged (or shrank under a reader). */
static int read_entries(struct ltl__tree *t, unsigned char (*out)[HS], uint64_t e, size_t count)
{
    size_t want = count * HS;
    ssize_t n = ltl__io_pread_full(t->io, t->fd, out, want, entry_off(e));
    if (n < 0)
        return ltl__err_sys(errno, "read %s at offset %lld", t->path, (long long)entry_off(e));
    if ((size_t)n != want)
        return ltl__errf(LTL_ECORRUPT,
                         "%s: entry %" PRIu64 " missing (the file ends at offset %lld)", t->path,
                         e + (uint64_t)n / HS, (long long)entry_off(e) + (long long)n);
    return LTL_OK;
}

/* Node (h, k), from the file or, for the writer, from the pending buffer. */
static int read_node(struct ltl__tree *t, unsigned char out[HS], unsigned h, uint64_t k,
                     uint64_t file_entries)
{
    uint64_t pos = ltl__tree_node_pos(h, k);
    if (pos >= file_entries) {
        memcpy(out, t->pending[pos - file_entries], HS);
        return LTL_OK;
    }
    return read_entries(t, (unsigned char(*)[HS])out, pos, 1);
}

/* MTH of leaves [lo, lo + len), len >= 1, where lo is a multiple of the
 * smallest power of two >= len (true of every range the RFC recursion
 * visits): the aligned perfect subtrees of len's binary decomposition,
 * folded from the right. */
static int range_root(struct ltl__tree *t, unsigned char out[HS], uint64_t lo, uint64_t len,
                      uint64_t file_entries)
{
    unsigned char piece[64][HS];
    int n = 0, rc;
    uint64_t at = lo;
    for (int h = 63; h >= 0; h--) {
        if (!(len >> h & 1))
            continue;
        if ((rc = read_node(t, piece[n++], (unsigned)h, at >> h, file_entries)))
            return rc;
        at += (uint64_t)1 << h;
    }
    for (int i = n - 2; i >= 0; i--)
        if ((rc = ltl__hash_node(piece[n - 1], piece[i], piece[n - 1])))
            return rc;
    memcpy(out, piece[n - 1], HS);
    return LTL_OK;
}

/* The right edge of the `leaves`-leaf tree. */
static int frontier_load(struct ltl__tree *t, struct ltl__frontier *f, uint64_t leaves,
                         uint64_t file_entries)
{
    ltl__frontier_init(f);
    uint64_t at = 0;
    for (int h = 63; h >= 0; h--) {
        if (!(leaves >> h & 1))
            continue;
        int rc = read_node(t, f->node[h], (unsigned)h, at >> h, file_entries);
        if (rc)
            return rc;
        at += (uint64_t)1 << h;
    }
    f->size = leaves;
    return LTL_OK;
}

/* Add a finding to the open note ("; " between findings). */
LTL__PRINTF(2, 3) static void note_add(struct ltl__tree *t, const char *fmt, ...)
{
    size_t len = strlen(t->note);
    if (len == 0)
        len = (size_t)snprintf(t->note, sizeof(t->note), "%s: ", t->path);
    else if (len + 2 < sizeof(t->note))
        len += (size_t)snprintf(t->note + len, sizeof(t->note) - len, "; ");
    if (len >= sizeof(t->note))
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(t->note + len, sizeof(t->note) - len, fmt, ap);
    va_end(ap);
}

static bool all_zero(const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i])
            return false;
    return true;
}

/* Replay the appends of leaves [from, leaves) from the file, starting from
 * the trusted tree of `from` leaves, and set *out_valid to the leaves that
 * pass: every parent must hash from its children, and no entry may be all
 * zeros (preallocated or zero-filled blocks; SHA-256 never gives that). A
 * bad parent discards its whole subtree down to `from`: any entry under it
 * may be the damaged one. */
static int check_tail(struct ltl__tree *t, uint64_t from, uint64_t leaves, uint64_t *out_valid)
{
    *out_valid = from;
    if (from >= leaves)
        return LTL_OK;
    struct ltl__frontier f;
    unsigned char(*buf)[HS] = NULL;
    int rc = frontier_load(t, &f, from, ltl__tree_entries(from));
    if (rc)
        return rc;
    buf = ltl__malloc((size_t)TAIL_CHUNK * HS);
    if (!buf)
        return ltl__errf(LTL_ENOMEM, "out of memory");
    uint64_t e = ltl__tree_entries(from), end = ltl__tree_entries(leaves);
    uint64_t buf_first = e, buf_n = 0;
    unsigned char made[64][HS];
    for (uint64_t j = from; j < leaves; j++) {
        size_t count = 1 + (size_t)__builtin_ctzll(~j);
        /* have this append's entries in buf */
        if (e + count > buf_first + buf_n) {
            uint64_t n = end - e < TAIL_CHUNK ? end - e : TAIL_CHUNK;
            if ((rc = read_entries(t, buf, e, (size_t)n)))
                goto out;
            buf_first = e;
            buf_n = n;
        }
        const unsigned char(*stored)[HS] = buf + (e - buf_first);
        if (all_zero(stored[0], HS)) {
            note_add(t, "leaf %" PRIu64 " is all zeros: the tail from there was dropped", j);
            goto out;
        }
        size_t nmade = 0;
        if ((rc = ltl__frontier_append(made, &nmade, &f, stored[0])))
            goto out;
        for (size_t i = 1; i < nmade; i++) {
            if (memcmp(made[i], stored[i], HS) != 0) {
                uint64_t first = j + 1 - ((uint64_t)1 << i);
                *out_valid = first > from ? first : from;
                note_add(t,
                         "the node over leaves %" PRIu64 "..%" PRIu64
                         " does not hash from its children: the tail from leaf %" PRIu64
                         " was dropped",
                         j + 1 - ((uint64_t)1 << i), j, *out_valid);
                goto out;
            }
        }
        e += count;
        *out_valid = j + 1;
    }
out:
    ltl__free(buf);
    return rc;
}

/* ---- open, close ----------------------------------------------------------- */

static int dir_sync(struct ltl__tree *t)
{
    const char *slash = strrchr(t->path, '/');
    char *dir = slash ? ltl__strndup(t->path, slash == t->path ? 1 : (size_t)(slash - t->path))
                      : ltl__strdup(".");
    if (!dir)
        return ltl__errf(LTL_ENOMEM, "out of memory");
    int rc = LTL_OK;
    if (ltl__io_fsync_dir(t->io, dir) < 0)
        rc = ltl__err_sys(errno, "fsync directory %s", dir);
    ltl__free(dir);
    return rc;
}

/* A new, empty hash file: the header, made durable with the directory. */
static int file_init(struct ltl__tree *t)
{
    int rc;
    if (t->io->ftruncate(t->io, t->fd, 0) < 0)
        return ltl__err_sys(errno, "truncate %s", t->path);
    if ((rc = header_write(t, 0)))
        return rc;
    if (t->io->fdatasync(t->io, t->fd) < 0)
        return ltl__err_sys(errno, "fdatasync %s", t->path);
    return dir_sync(t);
}

/* Read and check the header; *out_synced receives its synced leaves. */
static int header_read(struct ltl__tree *t, uint64_t *out_synced)
{
    unsigned char h[LTL__TREE_HEADER_SIZE];
    ssize_t n = ltl__io_pread_full(t->io, t->fd, h, sizeof(h), 0);
    if (n < 0)
        return ltl__err_sys(errno, "read %s", t->path);
    if ((size_t)n != sizeof(h))
        return ltl__errf(LTL_ECORRUPT, "%s: shorter than its header", t->path);
    if (memcmp(h, LTL__TREE_MAGIC, 8) != 0)
        return ltl__errf(LTL_ECORRUPT, "%s: not a tree.hashes file (bad magic)", t->path);
    if (ltl__get_u32(h + 60) != ltl__crc32c(0, h, 60))
        return ltl__errf(LTL_ECORRUPT, "%s: header checksum mismatch", t->path);
    if (ltl__get_u32(h + 8) != LTL__TREE_VERSION)
        return ltl__errf(LTL_EVERSION, "%s: format version %u, this ltl reads %u", t->path,
                         ltl__get_u32(h + 8), LTL__TREE_VERSION);
    if (ltl__get_u32(h + 12) != HASH_ALG_SHA256)
        return ltl__errf(LTL_EVERSION, "%s: unknown hash algorithm %u", t->path,
                         ltl__get_u32(h + 12));
    if (memcmp(h + 16, t->store_id, 16) != 0)
        return ltl__errf(LTL_ECORRUPT, "%s: belongs to another store (store id differs)", t->path);
    *out_synced = ltl__get_u64(h + 32);
    t->header_synced = *out_synced;
    return LTL_OK;
}

/* Size the tree from the file: whole entries of whole appends, the tail
 * after `trusted` leaves checked. Sets published (and, writable, shrinks
 * the file to it). */
static int tree_scan(struct ltl__tree *t, uint64_t trusted)
{
    struct stat st;
    if (t->io->fstat(t->io, t->fd, &st) < 0)
        return ltl__err_sys(errno, "stat %s", t->path);
    uint64_t bytes = (uint64_t)st.st_size - LTL__TREE_HEADER_SIZE;
    uint64_t entries = bytes / HS;
    uint64_t leaves = ltl__tree_leaves_for(entries);
    if (trusted > leaves) {
        note_add(t, "%" PRIu64 " leaves were synced but the file holds %" PRIu64, trusted, leaves);
        trusted = leaves;
    }
    if (bytes % HS || entries > ltl__tree_entries(leaves))
        note_add(t, "dropped %" PRIu64 " entries and %" PRIu64 " bytes of an unfinished append",
                 entries - ltl__tree_entries(leaves), bytes % HS);
    uint64_t valid;
    int rc = check_tail(t, trusted, leaves, &valid);
    if (rc)
        return rc;
    if (t->writable && t->header_synced > valid) {
        /* the durable mark must not cover entries appended from now on */
        if ((rc = header_write(t, valid)))
            return rc;
        if (t->io->fdatasync(t->io, t->fd) < 0)
            return ltl__err_sys(errno, "fdatasync %s", t->path);
    }
    if (t->writable && bytes != ltl__tree_entries(valid) * HS) {
        if (t->io->ftruncate(t->io, t->fd, entry_off(ltl__tree_entries(valid))) < 0)
            return ltl__err_sys(errno, "truncate %s", t->path);
    }
    atomic_store_explicit(&t->published, valid, memory_order_release);
    return LTL_OK;
}

int ltl__tree_open(struct ltl__tree **out, ltl__io *io, const char *path,
                   const unsigned char store_id[16], bool writable)
{
    *out = NULL;
    int rc = LTL_OK;
    struct ltl__tree *t = ltl__calloc(1, sizeof(*t));
    if (!t)
        return ltl__errf(LTL_ENOMEM, "out of memory");
    t->io = io;
    t->fd = -1;
    t->writable = writable;
    memcpy(t->store_id, store_id, 16);
    ltl__frontier_init(&t->front);
    if (!(t->path = ltl__strdup(path))) {
        rc = ltl__errf(LTL_ENOMEM, "out of memory");
        goto out;
    }
    t->fd = io->open(io, path, writable ? O_RDWR | O_CREAT : O_RDONLY, 0644);
    if (t->fd < 0) {
        rc = ltl__err_sys(errno, "open %s", path);
        goto out;
    }
    struct stat st;
    if (io->fstat(io, t->fd, &st) < 0) {
        rc = ltl__err_sys(errno, "stat %s", path);
        goto out;
    }
    uint64_t synced = 0;
    if (st.st_size < LTL__TREE_HEADER_SIZE) {
        /* created, and the crash came before its header was durable */
        if (!writable) {
            rc = ltl__errf(LTL_ECORRUPT, "%s: %lld bytes, shorter than its header", path,
                           (long long)st.st_size);
            goto out;
        }
        if ((rc = file_init(t)))
            goto out;
    } else if ((rc = header_read(t, &synced))) {
        goto out;
    }
    if ((rc = tree_scan(t, synced)))
        goto out;
    t->synced = atomic_load_explicit(&t->published, memory_order_relaxed);
    if (t->synced > synced)
        t->synced = synced;
    if (writable) {
        uint64_t n = atomic_load_explicit(&t->published, memory_order_relaxed);
        if ((rc = frontier_load(t, &t->front, n, ltl__tree_entries(n))))
            goto out;
    }
out:
    if (rc) {
        ltl__err_prefix("hash index");
        if (t->fd >= 0)
            io->close(io, t->fd);
        ltl__free(t->path);
        ltl__free(t);
        return rc;
    }
    *out = t;
    return LTL_OK;
}

int ltl__tree_close(struct ltl__tree *t)
{
    if (!t)
        return LTL_OK;
    int rc = LTL_OK;
    if (t->writable && !t->broken)
        rc = ltl__tree_flush(t);
    if (t->io->close(t->io, t->fd) < 0 && rc == LTL_OK)
        rc = ltl__err_sys(errno, "close %s", t->path);
    ltl__free(t->pending);
    ltl__free(t->path);
    ltl__free(t);
    return rc;
}

const char *ltl__tree_open_note(const struct ltl__tree *t)
{
    return t->note;
}

uint64_t ltl__tree_size(const struct ltl__tree *t)
{
    return atomic_load_explicit(&t->published, memory_order_acquire);
}

uint64_t ltl__tree_appended(const struct ltl__tree *t)
{
    return t->writable ? t->front.size : ltl__tree_size(t);
}

uint64_t ltl__tree_synced(const struct ltl__tree *t)
{
    return t->synced;
}

/* ---- the writer ------------------------------------------------------------ */

static int writer_check(const struct ltl__tree *t)
{
    if (!t->writable)
        return ltl__errf(LTL_EREADONLY, "%s is open read-only", t->path);
    if (t->broken)
        return ltl__errf(LTL_EBROKEN, "%s: an earlier fdatasync failed; reopen the store", t->path);
    return LTL_OK;
}

int ltl__tree_frontier(struct ltl__frontier *out, struct ltl__tree *t, uint64_t leaves)
{
    uint64_t pub = atomic_load_explicit(&t->published, memory_order_acquire);
    if (leaves > pub)
        return ltl__errf(LTL_ENOTFOUND, "%s holds %llu leaves, not %llu", t->path,
                         (unsigned long long)pub, (unsigned long long)leaves);
    return frontier_load(t, out, leaves, ltl__tree_entries(pub));
}

int ltl__tree_reserve(struct ltl__tree *t, uint64_t leaves)
{
    int rc = writer_check(t);
    if (rc)
        return rc;
    /* n appends complete at most 2n + 64 entries (each leaf, plus parents) */
    if (leaves > (SIZE_MAX / HS - 64) / 2 - t->npending)
        return ltl__errf(LTL_ENOMEM, "out of memory");
    size_t need = t->npending + 2 * (size_t)leaves + 64;
    if (need <= t->pending_cap)
        return LTL_OK;
    size_t cap = t->pending_cap ? t->pending_cap : 256;
    while (cap < need)
        cap *= 2;
    void *p = ltl__realloc(t->pending, cap * HS);
    if (!p)
        return ltl__errf(LTL_ENOMEM, "out of memory");
    t->pending = p;
    t->pending_cap = cap;
    return LTL_OK;
}

size_t ltl__tree_pending(const struct ltl__tree *t)
{
    return t->npending;
}

int ltl__tree_append(struct ltl__tree *t, const unsigned char leaf_hash[HS])
{
    int rc = writer_check(t);
    if (rc)
        return rc;
    if (t->front.size == UINT64_MAX)
        return ltl__errf(LTL_ETOOBIG, "the tree is full (2^64 - 1 leaves)");
    size_t need = 1 + (size_t)__builtin_ctzll(~t->front.size);
    if (t->pending_cap - t->npending < need) {
        size_t cap = t->pending_cap ? t->pending_cap * 2 : 256;
        while (cap - t->npending < need)
            cap *= 2;
        void *p = ltl__realloc(t->pending, cap * HS);
        if (!p)
            return ltl__errf(LTL_ENOMEM, "out of memory");
        t->pending = p;
        t->pending_cap = cap;
    }
    size_t n;
    if ((rc = ltl__frontier_append(t->pending + t->npending, &n, &t->front, leaf_hash)))
        return rc;
    t->npending += n;
    return LTL_OK;
}

int ltl__tree_flush(struct ltl__tree *t)
{
    int rc = writer_check(t);
    if (rc || t->npending == 0)
        return rc;
    uint64_t pub = atomic_load_explicit(&t->published, memory_order_relaxed);
    off_t off = entry_off(ltl__tree_entries(pub));
    if (ltl__io_pwrite_full(t->io, t->fd, t->pending, t->npending * HS, off) < 0)
        return ltl__err_sys(errno, "write %zu bytes to %s at offset %lld", t->npending * HS,
                            t->path, (long long)off);
    t->npending = 0;
    atomic_store_explicit(&t->published, t->front.size, memory_order_release);
    return LTL_OK;
}

int ltl__tree_sync(struct ltl__tree *t)
{
    int rc = ltl__tree_flush(t);
    if (rc)
        return rc;
    if (t->io->fdatasync(t->io, t->fd) < 0) {
        t->broken = true;
        return ltl__err_sys(errno, "fdatasync %s", t->path);
    }
    t->synced = atomic_load_explicit(&t->published, memory_order_relaxed);
    if (t->synced != t->header_synced)
        rc = header_write(t, t->synced);
    return rc;
}

int ltl__tree_truncate(struct ltl__tree *t, uint64_t leaves)
{
    int rc = writer_check(t);
    if (rc || leaves >= t->front.size)
        return rc;
    uint64_t pub = atomic_load_explicit(&t->published, memory_order_relaxed);
    struct ltl__frontier f;
    if (leaves >= pub) {
        /* only buffered entries go */
        if ((rc = frontier_load(t, &f, leaves, ltl__tree_entries(pub))))
            return rc;
        t->npending = (size_t)(ltl__tree_entries(leaves) - ltl__tree_entries(pub));
        t->front = f;
        return LTL_OK;
    }
    t->npending = 0;
    if (t->synced > leaves) {
        /* lower the durable mark first: a crash must never find entries
         * appended after the truncation covered by the old mark */
        t->synced = leaves;
        if ((rc = header_write(t, leaves)))
            return rc;
        if (t->io->fdatasync(t->io, t->fd) < 0) {
            t->broken = true;
            return ltl__err_sys(errno, "fdatasync %s", t->path);
        }
    }
    if (t->io->ftruncate(t->io, t->fd, entry_off(ltl__tree_entries(leaves))) < 0)
        return ltl__err_sys(errno, "truncate %s", t->path);
    if (t->io->fdatasync(t->io, t->fd) < 0) {
        t->broken = true;
        return ltl__err_sys(errno, "fdatasync %s", t->path);
    }
    atomic_store_explicit(&t->published, leaves, memory_order_release);
    if ((rc = frontier_load(t, &f, leaves, ltl__tree_entries(leaves))))
        return rc;
    t->front = f;
    return LTL_OK;
}

int ltl__tree_refresh(struct ltl__tree *t)
{
    if (t->writable)
        return LTL_OK;
    /* check again from the writer's durable mark: an append it was still
     * writing when we last looked may have been read half-written */
    uint64_t synced;
    int rc = header_read(t, &synced);
    if (rc == LTL_OK && (rc = tree_scan(t, synced)) == LTL_OK) {
        uint64_t n = ltl__tree_size(t);
        t->synced = synced < n ? synced : n;
    }
    return rc;
}

/* ---- readers --------------------------------------------------------------- */

/* Check size against the published tree; *out_entries its entry count. */
static int reader_size(struct ltl__tree *t, uint64_t size, uint64_t *out_entries)
{
    uint64_t pub = ltl__tree_size(t);
    if (size > pub)
        return ltl__errf(LTL_ENOTFOUND, "the tree has %" PRIu64 " leaves, not %" PRIu64, pub, size);
    *out_entries = ltl__tree_entries(pub);
    return LTL_OK;
}

int ltl__tree_leaf(unsigned char out[HS], struct ltl__tree *t, uint64_t index)
{
    uint64_t size = ltl__tree_size(t);
    if (index >= size)
        return ltl__errf(LTL_ENOTFOUND, "leaf %" PRIu64 " is beyond the tree's %" PRIu64 " leaves",
                         index, size);
    return read_node(t, out, 0, index, ltl__tree_entries(size));
}

int ltl__tree_read_entries(unsigned char (*out)[HS], struct ltl__tree *t, uint64_t first,
                           size_t count)
{
    uint64_t entries = ltl__tree_entries(ltl__tree_size(t));
    if (first > entries || count > entries - first)
        return ltl__errf(LTL_ENOTFOUND, "entries %" PRIu64 "+%zu are beyond the %" PRIu64 " stored",
                         first, count, entries);
    return count ? read_entries(t, out, first, count) : LTL_OK;
}

int ltl__tree_root(unsigned char out[HS], struct ltl__tree *t, uint64_t size)
{
    uint64_t entries = 0;
    int rc = reader_size(t, size, &entries);
    if (rc)
        return rc;
    if (size == 0) {
        memcpy(out, ltl__empty_root, HS);
        return LTL_OK;
    }
    return range_root(t, out, 0, size, entries);
}

/* Reverse the first n hashes of p into out (RFC order is bottom-up; the
 * recursion is walked top-down). */
static void proof_reverse(struct ltl__proof *out, unsigned char (*stack)[HS], size_t n)
{
    out->count = n;
    for (size_t i = 0; i < n; i++)
        memcpy(out->hash[i], stack[n - 1 - i], HS);
}

int ltl__tree_inclusion(struct ltl__proof *out, struct ltl__tree *t, uint64_t index, uint64_t size)
{
    out->count = 0;
    if (index >= size)
        return ltl__errf(LTL_EINVAL, "leaf %" PRIu64 " is not in a tree of %" PRIu64 " leaves",
                         index, size);
    uint64_t entries = 0;
    int rc = reader_size(t, size, &entries);
    if (rc)
        return rc;
    unsigned char stack[LTL__PROOF_MAX][HS];
    size_t n = 0;
    uint64_t lo = 0, len = size;
    while (len > 1) {
        uint64_t k = split_point(len);
        if (index - lo < k) {
            rc = range_root(t, stack[n++], lo + k, len - k, entries);
            len = k;
        } else {
            rc = read_node(t, stack[n++], log2_exact(k), lo / k, entries);
            lo += k;
            len -= k;
        }
        if (rc)
            return rc;
    }
    proof_reverse(out, stack, n);
    return LTL_OK;
}

int ltl__tree_consistency(struct ltl__proof *out, struct ltl__tree *t, uint64_t old_size,
                          uint64_t new_size)
{
    out->count = 0;
    if (old_size > new_size)
        return ltl__errf(LTL_EINVAL, "old size %" PRIu64 " is larger than new size %" PRIu64,
                         old_size, new_size);
    uint64_t entries = 0;
    int rc = reader_size(t, new_size, &entries);
    if (rc || old_size == 0 || old_size == new_size)
        return rc;
    unsigned char stack[LTL__PROOF_MAX][HS];
    size_t n = 0;
    uint64_t lo = 0, len = new_size, m = old_size;
    bool whole = true; /* RFC 9162 SUBPROOF's b: m is still the left edge of the whole tree */
    while (m != len) {
        uint64_t k = split_point(len);
        if (m <= k) {
            rc = range_root(t, stack[n++], lo + k, len - k, entries);
            len = k;
        } else {
            rc = read_node(t, stack[n++], log2_exact(k), lo / k, entries);
            lo += k;
            len -= k;
            m -= k;
            whole = false;
        }
        if (rc)
            return rc;
    }
    if (!whole && (rc = range_root(t, stack[n++], lo, len, entries)))
        return rc;
    proof_reverse(out, stack, n);
    return LTL_OK;
}
