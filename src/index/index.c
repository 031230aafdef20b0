/* SPDX-License-Identifier: MIT */
/*
 * index.c — the LMDB field index (see index.h and docs/INDEX.md).
 *
 * Building: a part collects (path id, value key) -> record offsets in a
 * hash table sized for a few thousand records (so it stays in cache), with
 * no allocation per posting (offsets live in one chained array); finishing
 * it sorts the distinct keys and packs them into one buffer, a few bytes
 * per key. Parts are built on many threads at once. A commit merges its
 * parts (a k-way merge: equal keys of several parts concatenate their
 * seqs, parts being in seq order) and writes the keys in order in one
 * transaction: into a new run with MDB_APPEND (bulk), or into the active
 * run extending each value's last block (small batches). The path
 * dictionary (path -> id, count) stays in memory in the writer and is
 * written with each commit.
 *
 * Checking: LMDB keeps no checksums and trusts its pages, so every value
 * carries one of ours (section "checks" below), readers verify what they
 * use, and the few ways a damaged page makes LMDB itself fault are closed
 * off: the data file is kept longer than its last page (a damaged offset
 * inside a page reads zeros, not past the end of the file), page numbers
 * are held against the file's size, sizes are checked before values are
 * read, and LMDB's assertions return to the index call in progress
 * (section "guard") instead of aborting the process.
 */
#define OPENSSL_SUPPRESS_DEPRECATED /* SHA256_Init & co. for the tokens' HMAC, as hash.c */

#include "index/index.h"
#include "json/json.h"
#include "trust/trust.h"

#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <lmdb.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

/* The memory map: address space only, the file grows as needed. It starts
 * at twice the data (at least 1 GiB) and doubles when a commit fills it
 * (valgrind, for one, refuses maps over 32 GiB up front). */
#define MAP_MIN ((size_t)1 << 30)

/* The active run takes small batches until it holds this many entries
 * (random inserts into it stay cheap while it is small); then a new one
 * starts. A run never spans more than RUN_MAX_SPAN seqs (the u32 offsets). */
#define RUN_FULL_ENTRIES ((uint64_t)1 << 20)
#define RUN_MAX_SPAN     ((uint64_t)1 << 31)

/* Longest key of the postings database: run id, path id, value key, offset. */
#define KEY_MAX (5 + 5 + LTL__KEY_MAX + 4)
/* Longest key of any database (paths: 'p' and the path). */
#define ANY_KEY_MAX (1 + LTL__INDEX_PATH_MAX)

/* Tokens: a sealed record's value key becomes TOKEN_TYPE and TOKEN_LEN bytes
 * (above every value type, so no range of plain values reaches it), its path
 * SEALED_PATH_KEY and TOKEN_LEN bytes in the paths database. */
#define TOKEN_TYPE      0x50
#define TOKEN_LEN       16
#define SEALED_PATH_KEY 's'

/* The data file stays at least FILE_SLACK longer than its last page, grown
 * FILE_GROW at a time. A damaged node offset (u16) and key size (u16) inside
 * a page make LMDB read at most 128 KiB past the page's start, and our
 * values are at most VALUE_MAX: all of it lies inside the file, which reads
 * zeros there, where past the end of the file a read is SIGBUS. */
#define FILE_SLACK ((uint64_t)256 << 10)
#define FILE_GROW  ((uint64_t)1 << 20)

/* ---- small helpers ----------------------------------------------------------- */

static void put_be32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

static uint32_t get_be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put_be64(unsigned char *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--) {
        p[i] = (unsigned char)v;
        v >>= 8;
    }
}

static uint64_t get_be64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | p[i];
    return v;
}

static size_t leb_put(unsigned char *p, uint64_t v)
{
    size_t n = 0;
    do {
        unsigned char b = v & 0x7f;
        v >>= 7;
        p[n++] = b | (v ? 0x80 : 0);
    } while (v);
    return n;
}

/* Decode one LEB128 value; 0 bytes consumed when malformed. */
static size_t leb_get(const unsigned char *p, size_t len, uint64_t *out)
{
    uint64_t v = 0;
    for (size_t i = 0; i < len && i < 10; i++) {
        v |= (uint64_t)(p[i] & 0x7f) << (7 * i);
        if (!(p[i] & 0x80)) {
            *out = v;
            return i + 1;
        }
    }
    return 0;
}

/* An order-preserving varint of run and path ids: 1 byte below 2^7, 2
 * below 2^14, 3 below 2^21, 4 below 2^28, else 5 (first byte F0). The
 * first byte tells the length and larger values compare greater. */
static size_t vr_put(unsigned char *p, uint32_t v)
{
    if (v < 0x80) {
        p[0] = (unsigned char)v;
        return 1;
    }
    if (v < 0x4000) {
        p[0] = (unsigned char)(0x80 | v >> 8);
        p[1] = (unsigned char)v;
        return 2;
    }
    if (v < 0x200000) {
        p[0] = (unsigned char)(0xC0 | v >> 16);
        p[1] = (unsigned char)(v >> 8);
        p[2] = (unsigned char)v;
        return 3;
    }
    if (v < 0x10000000) {
        p[0] = (unsigned char)(0xE0 | v >> 24);
        p[1] = (unsigned char)(v >> 16);
        p[2] = (unsigned char)(v >> 8);
        p[3] = (unsigned char)v;
        return 4;
    }
    p[0] = 0xF0;
    put_be32(p + 1, v);
    return 5;
}

/* Decode an ordered varint; 0 when malformed or longer than len. */
static size_t vr_get(const unsigned char *p, size_t len, uint32_t *out)
{
    if (len < 1)
        return 0;
    unsigned char b = p[0];
    size_t n = b < 0x80 ? 1 : b < 0xC0 ? 2 : b < 0xE0 ? 3 : b < 0xF0 ? 4 : b == 0xF0 ? 5 : 0;
    if (!n || n > len)
        return 0;
    uint32_t v = n == 5 ? 0 : (uint32_t)(b & (0xFF >> n));
    for (size_t i = 1; i < n; i++)
        v = v << 8 | p[i];
    *out = v;
    return n;
}

/* A fast hash for table lookups (not stored anywhere): 8 bytes a step. */
static uint64_t hash_bytes(const void *data, size_t len)
{
    const unsigned char *p = data;
    uint64_t h = 0x9E3779B97F4A7C15ULL ^ (len * 0xC2B2AE3D27D4EB4FULL);
    while (len >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        h = (h ^ w) * 0xFF51AFD7ED558CCDULL;
        h ^= h >> 32;
        p += 8;
        len -= 8;
    }
    uint64_t w = 0;
    memcpy(&w, p, len);
    h = (h ^ w) * 0xC4CEB9FE1A85EC53ULL;
    h ^= h >> 29;
    return h;
}

/* memcmp order, a prefix first (the order of value keys). */
static int key_cmp(const void *a, size_t alen, const void *b, size_t blen)
{
    size_t n = alen < blen ? alen : blen;
    int c = n ? memcmp(a, b, n) : 0;
    return c ? c : (alen > blen) - (alen < blen);
}

/* The first bytes of a key in hex, for messages. */
static const char *key_hex(char *out, size_t cap, const void *key, size_t len)
{
    const unsigned char *k = key;
    size_t at = 0;
    out[0] = '\0';
    for (size_t i = 0; i < len && at + 4 < cap; i++)
        at += (size_t)snprintf(out + at, cap - at, "%02x", k[i]);
    if (at + 4 >= cap && cap > 4)
        snprintf(out + cap - 4, 4, "...");
    return out;
}

/* ---- tokens ------------------------------------------------------------------------
 * HMAC-SHA256 under the index key, from precomputed inner and outer states
 * (a token costs two SHA-256 blocks, no allocation). The index key is
 * HMAC-SHA256(record key, "ltl index key v1"), the record key being the one
 * that seals payloads (src/trust/seal.c), so the index key is bound to the
 * read key and the store id and reveals neither. */

struct hmac_key {
#ifndef OPENSSL_NO_DEPRECATED_3_0
    SHA256_CTX inner, outer;
#else
    unsigned char key[32];
#endif
};

static void hmac_init(struct hmac_key *h, const unsigned char key[32])
{
#ifndef OPENSSL_NO_DEPRECATED_3_0
    unsigned char pad[64];
    memset(pad, 0x36, sizeof(pad));
    for (int i = 0; i < 32; i++)
        pad[i] ^= key[i];
    SHA256_Init(&h->inner);
    SHA256_Update(&h->inner, pad, sizeof(pad));
    memset(pad, 0x5c, sizeof(pad));
    for (int i = 0; i < 32; i++)
        pad[i] ^= key[i];
    SHA256_Init(&h->outer);
    SHA256_Update(&h->outer, pad, sizeof(pad));
    ltl__key_wipe(pad, sizeof(pad));
#else
    memcpy(h->key, key, 32);
#endif
}

/* out = HMAC-SHA256(key, a || b || c). */
static void hmac3(unsigned char out[32], const struct hmac_key *h, const void *a, size_t alen,
                  const void *b, size_t blen, const void *c, size_t clen)
{
#ifndef OPENSSL_NO_DEPRECATED_3_0
    SHA256_CTX x = h->inner;
    unsigned char mid[32];
    SHA256_Update(&x, a, alen);
    if (blen)
        SHA256_Update(&x, b, blen);
    if (clen)
        SHA256_Update(&x, c, clen);
    SHA256_Final(mid, &x);
    x = h->outer;
    SHA256_Update(&x, mid, sizeof(mid));
    SHA256_Final(out, &x);
    ltl__key_wipe(&x, sizeof(x));
#else
    unsigned char buf[2 + LTL__INDEX_PATH_MAX + LTL__KEY_MAX + 16];
    size_t n = 0;
    memcpy(buf, a, alen), n += alen;
    memcpy(buf + n, b, blen), n += blen;
    memcpy(buf + n, c, clen), n += clen;
    unsigned int olen = 32;
    HMAC(EVP_sha256(), h->key, 32, buf, n, out, &olen);
#endif
}

/* ---- the index handle ----------------------------------------------------------- */

/* A path of the dictionary: paths of plaintext records and of sealed records
 * are distinct entries (with ids of their own). */
struct path_slot {
    char *path; /* owned, NUL-terminated; NULL: free slot */
    size_t len;
    uint32_t id;
    bool sealed;
};

/* Counts by id (the writer's view of the paths database). */
struct path_info {
    const char *path; /* borrowed from the slot */
    size_t len;
    bool sealed;
    uint64_t count;   /* values indexed under it, as stored */
    uint64_t pending; /* added by the commit in progress */
    bool multi;       /* some record held more than one value under it (stored) */
    bool multi_pending;
    bool dirty; /* count changed, or never written */
};

/* The path dictionary: path -> id, and id -> counts. The writer's assigns ids
 * to new paths; a check's (verify) only resolves the stored ones. */
struct dict {
    pthread_mutex_t mu;
    struct path_slot *slots;
    size_t cap, n;
    struct path_info *by_id;
    size_t by_id_cap;
    uint32_t next_id;
    bool capped, capped_logged;
    bool frozen;        /* no new ids (a check) */
    char *unknown;      /* frozen: the first path a record has that the index lacks */
    uint64_t max_paths; /* 0: no cap */
    const ltl__logger *log;
};

/* A run: the postings of seqs [base, end). */
struct run {
    uint32_t id;
    uint64_t base, end;
    uint64_t entries; /* LMDB entries (blocks) in it */
    bool sealed;      /* takes no more small batches */
};

/* What the meta database says. */
struct meta {
    bool have_version;
    uint64_t version;
    uint64_t hwm;
    bool capped;
    bool opaque; /* some sealed record below hwm was indexed without its values */
    bool have_token_key;
    uint32_t token_key; /* id of the read key the tokens were made with */
    bool have_rules;
    char *rules; /* owned */
    struct run *runs;
    size_t nruns, runs_cap;
    uint64_t entries; /* entries of the meta database (without the sentinel) */
};

struct ltl__index {
    MDB_env *env;
    MDB_dbi meta, paths, post;
    bool writable;
    char *dir;
    char *patterns;
    ltl__logger *log;
    int fd;                           /* the data file (LMDB's), for its size */
    size_t psize;                     /* LMDB's page size */
    _Atomic uint64_t file_size;       /* last seen size of data.mdb */
    const unsigned char *_Atomic map; /* where LMDB mapped data.mdb (snapshots read it) */
    _Atomic size_t map_len;
    atomic_bool damage_marked, damage_warned;
    /* the key of tokens (the handle has the read key) */
    bool have_key;
    uint32_t key_id;
    struct hmac_key tok;
    struct ltl__seal_key names; /* seals the names of sealed records' paths */
    /* writer: the dictionary, shared by the threads building parts */
    struct dict dict;
    /* writer: the committed state */
    uint64_t hwm;
    bool opaque; /* stored */
    struct run *runs;
    size_t nruns, runs_cap;
};

/* ---- damage ------------------------------------------------------------------------ */

/* Leave the mark that makes the next writer rebuild the index (once per handle;
 * best effort: a reader may not be allowed to write there, and then only its
 * warning tells). */
static void mark_damaged(struct ltl__index *ix, const char *why)
{
    if (atomic_exchange(&ix->damage_marked, true))
        return;
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s", ix->dir, LTL__INDEX_DAMAGED);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return;
    size_t len = strlen(why);
    ssize_t n = write(fd, why, len);
    (void)n;
    (void)close(fd);
}

/* Report damage: LTL_ECORRUPT "index: damaged (<detail>)", and the mark. */
static int damaged(struct ltl__index *ix, const char *fmt, ...) LTL__PRINTF(2, 3);
static int damaged(struct ltl__index *ix, const char *fmt, ...)
{
    char detail[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof(detail), fmt, ap);
    va_end(ap);
    mark_damaged(ix, detail);
    return ltl__errf(LTL_ECORRUPT, "index: damaged (%s)", detail);
}

bool ltl__index_damage_first(struct ltl__index *ix)
{
    return !atomic_exchange(&ix->damage_warned, true);
}

/* The LMDB code of the last failure in this thread (a commit that filled the map
 * is retried with a larger one). */
static __thread int last_mdb_rc;

/* An LMDB failure: damage (a page LMDB cannot use), or an operational error. */
static int mdb_error(struct ltl__index *ix, int mrc, const char *what)
{
    last_mdb_rc = mrc;
    if (mrc == MDB_CORRUPTED || mrc == MDB_PAGE_NOTFOUND || mrc == MDB_INVALID ||
        mrc == MDB_INCOMPATIBLE || mrc == MDB_CURSOR_FULL || mrc == MDB_BAD_TXN)
        return damaged(ix, "%s: %s", what, mdb_strerror(mrc));
    int rc = mrc == MDB_MAP_FULL || mrc == ENOSPC ? LTL_ENOSPC
             : mrc == ENOMEM                      ? LTL_ENOMEM
             : mrc == MDB_VERSION_MISMATCH        ? LTL_ECORRUPT
                                                  : LTL_EIO;
    return ltl__errf(rc, "index: %s: %s", what, mdb_strerror(mrc));
}

/* ---- guard ---------------------------------------------------------------------------
 * LMDB asserts some invariants of its pages (a branch page with fewer than two
 * keys, a leaf whose free space is negative, ...) and calls abort() after the
 * environment's assert callback. In a read transaction (the one that opens the
 * databases: LMDB reads the main database there) ours jumps back to the guarded
 * call, which reports the damage: LMDB holds no lock during a read, so only the
 * transaction in progress is given up. Write transactions are not guarded: LMDB
 * links cursors on its stack into the transaction while it writes, and aborting
 * after a jump would free them; the preflight (below) keeps damaged pages from
 * them instead. Whatever a guarded function opens lives in its argument, not in
 * locals, so the caller can release it after a jump. */

static __thread sigjmp_buf *guard_at;
static __thread char guard_msg[200];

static void on_assert(MDB_env *env, const char *msg)
{
    (void)env;
    sigjmp_buf *at = guard_at;
    if (!at)
        return; /* outside a guarded call: LMDB aborts */
    guard_at = NULL;
    snprintf(guard_msg, sizeof(guard_msg), "%s", msg);
    siglongjmp(*at, 1);
}

/* Run fn(arg) under the guard. */
static int guarded(struct ltl__index *ix, int (*fn)(void *), void *arg)
{
    sigjmp_buf here;
    sigjmp_buf *volatile outer = guard_at;
    struct ltl__index *volatile vix = ix;
    if (sigsetjmp(here, 0)) {
        guard_at = outer;
        return damaged(vix, "LMDB: %s", guard_msg);
    }
    guard_at = &here;
    int rc = fn(arg);
    guard_at = outer;
    return rc;
}

/* ---- checks ---------------------------------------------------------------------------
 * Every value of the three databases starts with a u32 (big-endian):
 *     check = link(key of the entry before it, "" for the first)
 *             XOR own(database, its key, the rest of its value)
 * and each database ends with the sentinel key FF (no other key starts with
 * FF), whose value is its check alone. A reader verifies each entry it uses
 * against the entry LMDB gives before it; as the writer linked every entry to
 * the one before it, an entry that is damaged (key, value, or the page fields
 * that locate it) fails, and so does an entry found where another should have
 * been (a flipped key byte moved an entry, a branch page leads to the wrong
 * leaf): the entry before it is then not the one it was written after. A seek
 * is right when the entry found and the one before it are linked and the key
 * sought lies between them; a walk is complete when each step is linked and
 * it ends on a linked entry (the sentinel at the latest). */

#define CHECK_LEN 4
#define TAG_META  'm'
#define TAG_PATHS 'p'
#define TAG_POST  'P'

static const unsigned char sentinel[1] = {0xFF};

/* Values longer than these are damage (read no further than that). */
#define META_VALUE_MAX  (CHECK_LEN + LTL__INDEX_RULES_MAX)
#define PATHS_VALUE_MAX (CHECK_LEN + 12 + LTL__SEAL_OVERHEAD + LTL__INDEX_PATH_MAX)
#define POST_VALUE_MAX  (CHECK_LEN + LTL__INDEX_BLOCK)

static uint32_t check_link(const void *key, size_t len)
{
    unsigned char head[3] = {'L', (unsigned char)(len >> 8), (unsigned char)len};
    return ltl__crc32c(ltl__crc32c(0, head, 3), key, len);
}

static uint32_t check_own(unsigned char tag, const void *key, size_t klen, const void *val,
                          size_t vlen)
{
    unsigned char head[3] = {tag, (unsigned char)(klen >> 8), (unsigned char)klen};
    uint32_t c = ltl__crc32c(0, head, 3);
    c = ltl__crc32c(c, key, klen);
    return ltl__crc32c(c, val, vlen);
}

/* ---- reading the pages ourselves --------------------------------------------------------
 * LMDB reads its pages trusting every field: a node whose flags say "sorted
 * duplicates" in a database without them is a NULL pointer dereference, a
 * damaged size is a read or (in a write) a memmove of any length. So read
 * snapshots do not go through LMDB's cursors: they read the pages of the map
 * here, checking every field before using it (a page number against the
 * snapshot's last page, node offsets and sizes against the page, flags against
 * what our databases hold), and LMDB only keeps the snapshot's pages from being
 * reused (the read transaction). The layout is LMDB 0.9's data version 1
 * (mdb.c: MDB_page, MDB_node, MDB_meta, MDB_db; 64-bit page numbers). In a
 * write transaction, before it writes, the pages LMDB will read and change are
 * read here first with every node checked (preflight, in the commit; the
 * writer's open and a reindex read theirs the same way). */

#define LMDB_MAGIC        0xBEEFC0DEu
#define LMDB_DATA_VERSION 1u
#define LMDB_INTEGERKEY   0x08
#define PAGE_HDR          16
#define P_BRANCH          0x01
#define P_LEAF            0x02
#define P_OVERFLOW        0x04
#define P_META            0x08
#define F_BIGDATA         0x01
#define F_SUBDATA         0x02
#define NODE_HDR          8
#define DEPTH_MAX         16 /* a B+tree of 4 KiB pages this deep holds more than the map */
#define VIEW_AGAIN        1  /* pr_view_begin: the meta page moved on, begin again */
#define LMDB_FREE_DB      0
#define LMDB_MAIN_DB      1

/* A database of the snapshot: its root page and depth (an empty database
 * has none: root UINT64_MAX), and the node flag its leaves may carry besides
 * none (F_BIGDATA: a value on overflow pages; F_SUBDATA: a database record). */
struct pr_db {
    uint64_t root;
    unsigned depth;
    uint64_t entries;
    unsigned leaf_flag;
};

/* A read snapshot's view of the map. */
struct pr_view {
    struct ltl__index *ix;
    const unsigned char *base; /* the map */
    size_t psize;
    uint64_t npages; /* pages of the snapshot: every page number is below */
    uint64_t txnid;
    struct pr_db free_db, main_db, meta, paths, post;
    bool full; /* check every node of a page visited, not only those used */
    /* preflight: the pages the free list lists (sorted); a page in use among them is
     * damage (a meta page whose root leads into an older tree LMDB would overwrite) */
    uint64_t *free_pages;
    size_t nfree;
};

static bool pr_listed_free(const struct pr_view *v, uint64_t pgno)
{
    size_t lo = 0, hi = v->nfree;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (v->free_pages[mid] < pgno)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < v->nfree && v->free_pages[lo] == pgno;
}

static void pr_view_end(struct pr_view *v)
{
    ltl__free(v->free_pages);
    v->free_pages = NULL;
    v->nfree = 0;
}

static uint16_t u16_at(const unsigned char *p)
{
    uint16_t v;
    memcpy(&v, p, 2);
    return v;
}

static uint32_t u32_at(const unsigned char *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

static uint64_t u64_at(const unsigned char *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

static uint64_t fd_size(int fd)
{
    struct stat st;
    return fstat(fd, &st) == 0 ? (uint64_t)st.st_size : 0;
}

/* The meta page's fields are read before its transaction id is read again (a
 * writer in another process may be rewriting it). */
static inline void load_fence(void)
{
#if defined(__SANITIZE_THREAD__)
    __asm__ __volatile__("" ::: "memory"); /* TSan has no fences; x86 keeps loads in order */
#else
    atomic_thread_fence(memory_order_acquire);
#endif
}

/* Page pgno: a branch or leaf page of the map with a sane header; *n its keys. */
static int pr_page(const struct pr_view *v, uint64_t pgno, const unsigned char **out, unsigned *n,
                   bool *leaf)
{
    if (pgno < 2 || pgno >= v->npages)
        return damaged(v->ix, "a page number %llu outside the file's %llu pages",
                       (unsigned long long)pgno, (unsigned long long)v->npages);
    const unsigned char *p = v->base + pgno * v->psize;
    uint16_t flags = u16_at(p + 10), lower = u16_at(p + 12), upper = u16_at(p + 14);
    /* exactly one of the two: any other flag (P_DIRTY says "changed in this
     * transaction", and LMDB would write into the read-only map) is damage */
    if (u64_at(p) != pgno || (flags != P_BRANCH && flags != P_LEAF) || lower < PAGE_HDR ||
        (lower - PAGE_HDR) % 2 || lower > upper || upper > v->psize)
        return damaged(v->ix, "page %llu has a damaged header", (unsigned long long)pgno);
    *n = (lower - PAGE_HDR) / 2;
    *leaf = flags == P_LEAF;
    if (*n == 0 || (!*leaf && *n < 2))
        return damaged(v->ix, "page %llu holds %u keys", (unsigned long long)pgno, *n);
    *out = p;
    return LTL_OK;
}

/* Node i of a page (checked): its key, and its child (branch) or value (leaf). */
struct pr_node {
    const unsigned char *key;
    size_t klen;
    uint64_t child;
    const unsigned char *data;
    size_t dlen;
};

static int pr_node(const struct pr_view *v, const struct pr_db *db, const unsigned char *page,
                   unsigned i, bool leaf, struct pr_node *out)
{
    if (!page)
        return ltl__errf(LTL_EINVAL, "index: a cursor on no page");
    uint64_t pgno = u64_at(page);
    size_t off = u16_at(page + PAGE_HDR + (size_t)2 * i);
    size_t upper = u16_at(page + 14);
    if (off < upper || off + NODE_HDR > v->psize)
        return damaged(v->ix, "page %llu: node %u lies outside the page", (unsigned long long)pgno,
                       i);
    const unsigned char *nd = page + off;
    uint16_t lo = u16_at(nd), hi = u16_at(nd + 2), flags = u16_at(nd + 4), ksize = u16_at(nd + 6);
    if (off + NODE_HDR + ksize > v->psize || ksize > ANY_KEY_MAX || (leaf && ksize == 0))
        return damaged(v->ix, "page %llu: node %u has a key of %u bytes", (unsigned long long)pgno,
                       i, ksize);
    out->key = nd + NODE_HDR;
    out->klen = ksize;
    if (!leaf) {
        out->child = lo | (uint64_t)hi << 16 | (uint64_t)flags << 32;
        if (out->child < 2 || out->child >= v->npages)
            return damaged(v->ix, "page %llu: node %u points to page %llu",
                           (unsigned long long)pgno, i, (unsigned long long)out->child);
        return LTL_OK;
    }
    size_t dsize = lo | (size_t)hi << 16;
    if (flags == 0 || (flags == F_SUBDATA && db->leaf_flag == F_SUBDATA)) {
        if (off + NODE_HDR + ksize + dsize > v->psize)
            return damaged(v->ix, "page %llu: node %u has %zu value bytes",
                           (unsigned long long)pgno, i, dsize);
        out->data = nd + NODE_HDR + ksize;
        out->dlen = dsize;
        return LTL_OK;
    }
    if (flags != F_BIGDATA || db->leaf_flag != F_BIGDATA || off + NODE_HDR + ksize + 8 > v->psize)
        return damaged(v->ix, "page %llu: node %u has flags %x", (unsigned long long)pgno, i,
                       flags);
    /* a value on overflow pages */
    uint64_t opg = u64_at(nd + NODE_HDR + ksize);
    if (opg < 2 || opg >= v->npages)
        return damaged(v->ix, "page %llu: node %u's value is on page %llu",
                       (unsigned long long)pgno, i, (unsigned long long)opg);
    const unsigned char *op = v->base + opg * v->psize;
    uint32_t pages = u32_at(op + 12);
    if (u64_at(op) != opg || u16_at(op + 10) != P_OVERFLOW || pages == 0 ||
        (v->nfree && pr_listed_free(v, opg)) || pages > v->npages - opg ||
        dsize > (uint64_t)pages * v->psize - PAGE_HDR)
        return damaged(v->ix, "overflow page %llu is damaged", (unsigned long long)opg);
    out->data = op + PAGE_HDR;
    out->dlen = dsize;
    return LTL_OK;
}

/* Every node of a page (preflight, and views that check whole pages). */
static int pr_page_full(const struct pr_view *v, const struct pr_db *db, const unsigned char *page,
                        unsigned n, bool leaf)
{
    struct pr_node nd = {0};
    for (unsigned i = 0; i < n; i++) {
        int rc = pr_node(v, db, page, i, leaf, &nd);
        if (rc)
            return rc;
    }
    return LTL_OK;
}

/* A cursor over one database of a view. */
struct pr_cur {
    const struct pr_view *v;
    const struct pr_db *db;
    int top; /* the leaf's level; -1: not positioned */
    struct {
        const unsigned char *page;
        unsigned n, i;
    } st[DEPTH_MAX];
};

/* Descend from the page of level `lvl` (its index set) to a leaf: to the first
 * (dir > 0) or last (dir < 0) node of each page below, or (dir 0) to the node
 * whose range holds key. */
static int pr_load(struct pr_cur *c, int lvl, uint64_t pgno, int dir, const void *key, size_t klen)
{
    for (;; lvl++) {
        if (lvl >= DEPTH_MAX || (unsigned)lvl >= c->db->depth)
            return damaged(c->v->ix, "a tree deeper than its %u levels", c->db->depth);
        const unsigned char *page = NULL;
        unsigned n = 0;
        bool leaf = false;
        int rc = pr_page(c->v, pgno, &page, &n, &leaf);
        if (rc == LTL_OK && c->v->nfree && pr_listed_free(c->v, pgno))
            rc = damaged(c->v->ix, "page %llu is in use and listed free", (unsigned long long)pgno);
        if (rc == LTL_OK && c->v->full)
            rc = pr_page_full(c->v, c->db, page, n, leaf);
        if (rc)
            return rc;
        if (leaf != ((unsigned)lvl + 1 == c->db->depth))
            return damaged(c->v->ix, "page %llu is a %s page at level %d of %u",
                           (unsigned long long)pgno, leaf ? "leaf" : "branch", lvl, c->db->depth);
        unsigned i = dir > 0 ? 0 : n - 1;
        if (dir == 0) {
            /* binary search: a leaf's first key >= key (n when none), a branch's last
             * key <= key (its node 0 stands for everything below node 1) */
            unsigned lo = leaf ? 0 : 1, hi = n;
            while (lo < hi) {
                unsigned mid = lo + (hi - lo) / 2;
                struct pr_node nd = {0};
                if ((rc = pr_node(c->v, c->db, page, mid, leaf, &nd)))
                    return rc;
                if (key_cmp(nd.key, nd.klen, key, klen) < 0)
                    lo = mid + 1;
                else
                    hi = mid;
            }
            i = lo;
            if (!leaf) {
                struct pr_node nd = {0};
                if (i < n && (rc = pr_node(c->v, c->db, page, i, leaf, &nd)))
                    return rc;
                if (i == n || key_cmp(nd.key, nd.klen, key, klen) > 0)
                    i--;
            }
        }
        c->st[lvl].page = page;
        c->st[lvl].n = n;
        c->st[lvl].i = i;
        if (leaf) {
            c->top = lvl;
            return LTL_OK;
        }
        struct pr_node nd = {0};
        if ((rc = pr_node(c->v, c->db, page, i, false, &nd)))
            return rc;
        pgno = nd.child;
    }
}

/* Move to the next (dir 1) or previous (dir -1) entry; MDB_NOTFOUND past the end. */
static int pr_step(struct pr_cur *c, int dir)
{
    int lvl = c->top;
    if (lvl < 0)
        return MDB_NOTFOUND;
    if (dir > 0 ? c->st[lvl].i + 1 < c->st[lvl].n : c->st[lvl].i > 0) {
        c->st[lvl].i += dir;
        return LTL_OK;
    }
    /* up to a level that can move, then down its new child's edge */
    while (--lvl >= 0 && !(dir > 0 ? c->st[lvl].i + 1 < c->st[lvl].n : c->st[lvl].i > 0))
        ;
    if (lvl < 0)
        return MDB_NOTFOUND;
    c->st[lvl].i += dir;
    struct pr_node nd = {0};
    int rc = pr_node(c->v, c->db, c->st[lvl].page, c->st[lvl].i, false, &nd);
    return rc ? rc : pr_load(c, lvl + 1, nd.child, dir, NULL, 0);
}

/* MDB_cursor_get's SET_RANGE, FIRST, LAST, NEXT, PREV over a view. Returns 0,
 * MDB_NOTFOUND, or LTL_ECORRUPT (reported). */
static int pr_get(struct pr_cur *c, MDB_val *k, MDB_val *val, MDB_cursor_op op)
{
    int rc;
    if (op == MDB_NEXT || op == MDB_PREV) {
        rc = pr_step(c, op == MDB_NEXT ? 1 : -1);
    } else if (c->db->root == UINT64_MAX) {
        c->top = -1;
        rc = MDB_NOTFOUND;
    } else {
        c->top = -1;
        rc = pr_load(c, 0, c->db->root,
                     op == MDB_FIRST  ? 1
                     : op == MDB_LAST ? -1
                                      : 0,
                     op == MDB_SET_RANGE ? k->mv_data : NULL, op == MDB_SET_RANGE ? k->mv_size : 0);
        if (rc == LTL_OK && c->st[c->top].i == c->st[c->top].n) {
            c->st[c->top].i--; /* past the leaf's last key: the next leaf's first */
            rc = pr_step(c, 1);
        }
    }
    if (rc)
        return rc;
    struct pr_node nd = {0};
    if ((rc = pr_node(c->v, c->db, c->st[c->top].page, c->st[c->top].i, true, &nd)))
        return rc;
    *k = (MDB_val){nd.klen, (void *)nd.key};
    *val = (MDB_val){nd.dlen, (void *)nd.data};
    return LTL_OK;
}

/* The record of a named database in the main database (or an empty one). */
static int pr_named(struct pr_view *v, const char *name, struct pr_db *out)
{
    struct pr_cur c = {v, &v->main_db, -1, {{0}}};
    MDB_val k = {strlen(name), (void *)name}, val;
    int rc = pr_get(&c, &k, &val, MDB_SET_RANGE);
    if (rc == MDB_NOTFOUND ||
        (rc == LTL_OK && !(k.mv_size == strlen(name) && memcmp(k.mv_data, name, k.mv_size) == 0)))
        return damaged(v->ix, "the database '%s' is missing", name);
    if (rc)
        return rc;
    uint16_t nflags = u16_at((const unsigned char *)k.mv_data - NODE_HDR + 4);
    if (val.mv_size != 48 || nflags != F_SUBDATA)
        return damaged(v->ix, "the record of database '%s' is damaged", name);
    const unsigned char *d = val.mv_data;
    *out = (struct pr_db){u64_at(d + 40), u16_at(d + 6), u64_at(d + 32), F_BIGDATA};
    if (u16_at(d + 4) != 0 || (out->root == UINT64_MAX) != (out->depth == 0) ||
        out->depth > DEPTH_MAX || (out->root != UINT64_MAX && out->root >= v->npages))
        return damaged(v->ix, "the record of database '%s' is damaged", name);
    return LTL_OK;
}

/* The view of the snapshot of read transaction txn: the meta page it reads
 * (picked by its id, as LMDB does; it must still carry that id after being
 * read, else a writer has reused it: try again) and our three databases. */
static int pr_view_begin(struct pr_view *v, struct ltl__index *ix, MDB_txn *txn, bool writing)
{
    memset(v, 0, sizeof(*v));
    v->ix = ix;
    v->psize = ix->psize;
    v->base = atomic_load(&ix->map);
    /* a write transaction (nothing written yet) sees the last commit, one before it */
    v->txnid = mdb_txn_id(txn) - (writing ? 1 : 0);
    if (!v->base)
        return damaged(ix, "the map of data.mdb is not found");
    const unsigned char *mp = v->base + (v->txnid & 1) * v->psize;
    const unsigned char *meta = mp + PAGE_HDR;
    uint64_t last = u64_at(meta + 120);
    const unsigned char *dbs = meta + 24;
    unsigned char rec[2][48];
    memcpy(rec, dbs, sizeof(rec));
    load_fence();
    uint64_t page_txnid = u64_at(meta + 128);
    if (page_txnid > v->txnid)
        return VIEW_AGAIN; /* a later commit reused the meta page: begin again */
    if (page_txnid != v->txnid)
        return damaged(ix, "meta page %llu of data.mdb names transaction %llu, not %llu",
                       (unsigned long long)(v->txnid & 1), (unsigned long long)page_txnid,
                       (unsigned long long)v->txnid);
    uint64_t size = atomic_load(&ix->file_size);
    if (last >= size / v->psize) {
        size = fd_size(ix->fd);
        atomic_store(&ix->file_size, size);
    }
    if (u32_at(meta) != LMDB_MAGIC || u32_at(meta + 4) != LMDB_DATA_VERSION ||
        u32_at(rec[0]) != v->psize || u16_at(rec[0] + 4) != LMDB_INTEGERKEY ||
        u16_at(rec[1] + 4) != 0 || u16_at(mp + 10) != P_META || last >= size / v->psize ||
        last >= atomic_load(&ix->map_len) / v->psize)
        return damaged(ix, "meta page %llu of data.mdb is damaged",
                       (unsigned long long)(v->txnid & 1));
    v->npages = last + 1;
    v->free_db =
        (struct pr_db){u64_at(rec[0] + 40), u16_at(rec[0] + 6), u64_at(rec[0] + 32), F_BIGDATA};
    v->main_db =
        (struct pr_db){u64_at(rec[1] + 40), u16_at(rec[1] + 6), u64_at(rec[1] + 32), F_SUBDATA};
    for (int i = 0; i < 2; i++) {
        const struct pr_db *d = i ? &v->main_db : &v->free_db;
        if ((d->root == UINT64_MAX) != (d->depth == 0) || d->depth > DEPTH_MAX ||
            (d->root != UINT64_MAX && d->root >= v->npages))
            return damaged(ix, "meta page %llu of data.mdb is damaged",
                           (unsigned long long)(v->txnid & 1));
    }
    if (v->main_db.root == UINT64_MAX)
        return LTL_ENOTFOUND; /* nothing was ever committed */
    int rc;
    if ((rc = pr_named(v, "meta", &v->meta)) || (rc = pr_named(v, "paths", &v->paths)) ||
        (rc = pr_named(v, "post", &v->post)))
        return rc;
    return LTL_OK;
}

/* Preflight: every page of a database, every node checked (the small ones LMDB
 * changes on every commit: its free list, the main database, meta). */
static int u64_cmp(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

static int pr_walk_all(struct pr_view *v, const struct pr_db *db, bool free_list)
{
    if (db->root == UINT64_MAX)
        return LTL_OK;
    struct pr_cur c = {v, db, -1, {{0}}};
    MDB_val k, val;
    int rc;
    size_t cap = v->nfree;
    for (rc = pr_get(&c, &k, &val, MDB_FIRST); rc == LTL_OK; rc = pr_get(&c, &k, &val, MDB_NEXT))
        if (free_list) {
            /* a free list entry: txn id -> count, then that many page numbers */
            const unsigned char *d = val.mv_data;
            size_t n = val.mv_size / 8;
            if (k.mv_size != 8 || val.mv_size < 8 || val.mv_size % 8 || u64_at(d) != n - 1)
                return damaged(v->ix, "the free list of data.mdb is damaged");
            if (v->nfree + n > cap) {
                cap = (v->nfree + n) * 2;
                uint64_t *np = ltl__realloc(v->free_pages, cap * sizeof(*np));
                if (!np)
                    return ltl__errf(LTL_ENOMEM, "out of memory");
                v->free_pages = np;
            }
            for (size_t i = 1; i < n; i++) {
                uint64_t pg = u64_at(d + 8 * i);
                if (pg < 2 || pg >= v->npages)
                    return damaged(v->ix, "the free list of data.mdb is damaged");
                v->free_pages[v->nfree++] = pg;
            }
        }
    if (free_list && v->nfree > 1)
        qsort(v->free_pages, v->nfree, sizeof(*v->free_pages), u64_cmp);
    return rc == MDB_NOTFOUND ? LTL_OK : rc;
}

/* ---- checked cursors ------------------------------------------------------------------ */

/* One checked database. */
struct cdb {
    MDB_dbi dbi;
    unsigned char tag;
    const char *name;
    size_t value_max;
};

static struct cdb cdb_of(const struct ltl__index *ix, unsigned char tag)
{
    switch (tag) {
    case TAG_META:
        return (struct cdb){ix->meta, tag, "meta", META_VALUE_MAX};
    case TAG_PATHS:
        return (struct cdb){ix->paths, tag, "paths", PATHS_VALUE_MAX};
    default:
        return (struct cdb){ix->post, tag, "postings", POST_VALUE_MAX};
    }
}

/* Verify entry (k, v) against the key before it (prev NULL: none). */
static int verify_entry(struct ltl__index *ix, const struct cdb *db, const MDB_val *prev,
                        const MDB_val *k, const MDB_val *v)
{
    char hex[40];
    if (k->mv_size == 0 || k->mv_size > ANY_KEY_MAX || v->mv_size < CHECK_LEN ||
        v->mv_size > db->value_max)
        return damaged(ix, "%s: an entry of %zu key and %zu value bytes", db->name, k->mv_size,
                       v->mv_size);
    uint32_t want = get_be32(v->mv_data);
    uint32_t got = check_link(prev ? prev->mv_data : "", prev ? prev->mv_size : 0) ^
                   check_own(db->tag, k->mv_data, k->mv_size,
                             (const unsigned char *)v->mv_data + CHECK_LEN, v->mv_size - CHECK_LEN);
    if (want != got)
        return damaged(ix, "%s: entry %s fails its check%s", db->name,
                       key_hex(hex, sizeof(hex), k->mv_data, k->mv_size),
                       prev ? "" : " (as the first entry)");
    return LTL_OK;
}

static bool is_sentinel(const MDB_val *k)
{
    return k->mv_size == 1 && ((const unsigned char *)k->mv_data)[0] == 0xFF;
}

/* A cursor that verifies what it moves to: over a read snapshot's pages (view),
 * or LMDB's cursor in a write transaction. */
struct ccur {
    struct ltl__index *ix;
    struct cdb db;
    MDB_cursor *cur;
    bool paged; /* reads the view's pages */
    struct pr_cur pr;
    MDB_val k, v;   /* the current entry; v is its payload (past the check) */
    MDB_val prev_k; /* the key before it (mv_size 0 and NULL data: none) */
    bool end;       /* at the sentinel */
};

/* Open a cursor on database tag: over view's pages (a read snapshot), or (view
 * NULL) LMDB's cursor of write transaction txn. */
static int cc_open(struct ccur *c, struct ltl__index *ix, MDB_txn *txn, const struct pr_view *view,
                   unsigned char tag)
{
    memset(c, 0, sizeof(*c));
    c->ix = ix;
    c->db = cdb_of(ix, tag);
    if (view) {
        c->paged = true;
        c->pr = (struct pr_cur){view,
                                tag == TAG_META    ? &view->meta
                                : tag == TAG_PATHS ? &view->paths
                                                   : &view->post,
                                -1,
                                {{0}}};
        return LTL_OK;
    }
    int mrc = mdb_cursor_open(txn, c->db.dbi, &c->cur);
    if (mrc) {
        c->cur = NULL;
        return mdb_error(ix, mrc, "open a cursor");
    }
    return LTL_OK;
}

/* Close a cursor of a read transaction (those of a write transaction go with it). */
static void cc_close(struct ccur *c)
{
    if (c->cur)
        mdb_cursor_close(c->cur);
    c->cur = NULL;
}

/* mdb_cursor_get on either kind of cursor: 0, MDB_NOTFOUND, an LMDB code, or
 * LTL_ECORRUPT (reported). */
static int cc_get(struct ccur *c, MDB_val *k, MDB_val *v, MDB_cursor_op op)
{
    return c->paged ? pr_get(&c->pr, k, v, op) : mdb_cursor_get(c->cur, k, v, op);
}

/* An LMDB code of a cursor, or our own damage report. */
static int cc_error(struct ccur *c, int mrc, const char *what)
{
    return mrc == LTL_ECORRUPT ? mrc : mdb_error(c->ix, mrc, what);
}

static void cc_set(struct ccur *c, const MDB_val *prev, const MDB_val *k, const MDB_val *v)
{
    c->prev_k = prev ? *prev : (MDB_val){0, NULL};
    c->k = *k;
    c->v = (MDB_val){v->mv_size - CHECK_LEN, (unsigned char *)v->mv_data + CHECK_LEN};
    c->end = is_sentinel(k);
}

/* Move to the first entry whose key is >= key (the sentinel at the latest),
 * verified with the one before it. */
static int cc_seek(struct ccur *c, const void *key, size_t len)
{
    MDB_val k = {len, (void *)key}, v, pk, pv;
    int mrc = cc_get(c, &k, &v, MDB_SET_RANGE);
    if (mrc == MDB_NOTFOUND)
        return damaged(c->ix, "%s: the sentinel is missing", c->db.name);
    if (mrc)
        return cc_error(c, mrc, "seek");
    mrc = cc_get(c, &pk, &pv, MDB_PREV);
    bool have_prev = mrc == 0;
    if (mrc && mrc != MDB_NOTFOUND)
        return cc_error(c, mrc, "seek");
    int rc = verify_entry(c->ix, &c->db, have_prev ? &pk : NULL, &k, &v);
    if (rc)
        return rc;
    char hex[40];
    if (have_prev && key_cmp(pk.mv_data, pk.mv_size, key, len) >= 0)
        return damaged(c->ix, "%s: entry %s is out of order", c->db.name,
                       key_hex(hex, sizeof(hex), pk.mv_data, pk.mv_size));
    if (key_cmp(k.mv_data, k.mv_size, key, len) < 0)
        return damaged(c->ix, "%s: entry %s is out of order", c->db.name,
                       key_hex(hex, sizeof(hex), k.mv_data, k.mv_size));
    /* back to the entry found */
    MDB_val k2, v2;
    mrc = cc_get(c, &k2, &v2, have_prev ? MDB_NEXT : MDB_FIRST);
    if (mrc)
        return cc_error(c, mrc, "seek");
    if (k2.mv_size != k.mv_size || k2.mv_data != k.mv_data)
        return damaged(c->ix, "%s: the cursor does not come back to entry %s", c->db.name,
                       key_hex(hex, sizeof(hex), k.mv_data, k.mv_size));
    cc_set(c, have_prev ? &pk : NULL, &k, &v);
    return LTL_OK;
}

/* The first entry of the database. */
static int cc_first(struct ccur *c)
{
    MDB_val k, v;
    int mrc = cc_get(c, &k, &v, MDB_FIRST);
    if (mrc == MDB_NOTFOUND)
        return damaged(c->ix, "%s: the sentinel is missing", c->db.name);
    if (mrc)
        return cc_error(c, mrc, "read");
    int rc = verify_entry(c->ix, &c->db, NULL, &k, &v);
    if (rc == LTL_OK)
        cc_set(c, NULL, &k, &v);
    return rc;
}

/* The next entry, verified with the current one. Not at the sentinel. */
static int cc_next(struct ccur *c)
{
    MDB_val cur = c->k, k, v;
    int mrc = cc_get(c, &k, &v, MDB_NEXT);
    if (mrc == MDB_NOTFOUND)
        return damaged(c->ix, "%s: the sentinel is missing", c->db.name);
    if (mrc)
        return cc_error(c, mrc, "read");
    char hex[40];
    if (key_cmp(k.mv_data, k.mv_size, cur.mv_data, cur.mv_size) <= 0)
        return damaged(c->ix, "%s: entry %s is out of order", c->db.name,
                       key_hex(hex, sizeof(hex), k.mv_data, k.mv_size));
    int rc = verify_entry(c->ix, &c->db, &cur, &k, &v);
    if (rc == LTL_OK)
        cc_set(c, &cur, &k, &v);
    return rc;
}

/* Step back to the entry before the current one, verified with the one before
 * it in turn (the caller uses its value). Not at the first entry. */
static int cc_back(struct ccur *c)
{
    MDB_val k, v, pk, pv;
    int mrc = cc_get(c, &k, &v, MDB_PREV);
    if (mrc)
        return mrc == MDB_NOTFOUND ? damaged(c->ix, "%s: an entry before the first", c->db.name)
                                   : cc_error(c, mrc, "read");
    mrc = cc_get(c, &pk, &pv, MDB_PREV);
    bool have_prev = mrc == 0;
    if (mrc && mrc != MDB_NOTFOUND)
        return cc_error(c, mrc, "read");
    int rc = verify_entry(c->ix, &c->db, have_prev ? &pk : NULL, &k, &v);
    if (rc)
        return rc;
    MDB_val k2, v2;
    mrc = cc_get(c, &k2, &v2, have_prev ? MDB_NEXT : MDB_FIRST);
    if (mrc)
        return cc_error(c, mrc, "read");
    if (k2.mv_data != k.mv_data)
        return damaged(c->ix, "%s: the cursor does not come back", c->db.name);
    cc_set(c, have_prev ? &pk : NULL, &k, &v);
    return LTL_OK;
}

/* ---- writing checked entries ---------------------------------------------------------- */

/* The value of an entry: its check, then payload (into buf). */
static int make_value(ltl__buf *buf, unsigned char tag, const MDB_val *prev, const void *key,
                      size_t klen, const void *payload, size_t plen)
{
    buf->len = 0;
    if (ltl__buf_reserve(buf, CHECK_LEN + plen + 1))
        return ltl__errf(LTL_ENOMEM, "out of memory");
    uint32_t c = check_link(prev ? prev->mv_data : "", prev ? prev->mv_size : 0) ^
                 check_own(tag, key, klen, payload, plen);
    put_be32((unsigned char *)buf->data, c);
    if (plen)
        memcpy(buf->data + CHECK_LEN, payload, plen);
    buf->len = CHECK_LEN + plen;
    return LTL_OK;
}

/* A copy of an entry (a write moves what LMDB's pointers point at). */
struct entry_copy {
    unsigned char key[ANY_KEY_MAX];
    size_t klen;
    ltl__buf payload;
};

static void entry_copy_set(struct entry_copy *e, const MDB_val *k, const MDB_val *payload, int *rc)
{
    memcpy(e->key, k->mv_data, k->mv_size);
    e->klen = k->mv_size;
    e->payload.len = 0;
    if (*rc == LTL_OK && ltl__buf_append(&e->payload, payload->mv_data, payload->mv_size))
        *rc = ltl__errf(LTL_ENOMEM, "out of memory");
}

/* Put key -> payload in a checked database (insert or replace): the entries it
 * changes are verified first, and when the key is new the entry after it is
 * linked to it. Write transactions only. */
static int cput(struct ltl__index *ix, MDB_txn *txn, unsigned char tag, const void *key,
                size_t klen, const void *payload, size_t plen)
{
    struct ccur c;
    int rc = cc_open(&c, ix, txn, NULL, tag);
    struct entry_copy *next = NULL;
    ltl__buf val = {0};
    if (rc)
        goto out;
    if ((rc = cc_seek(&c, key, klen)))
        goto out;
    bool replace = c.k.mv_size == klen && memcmp(c.k.mv_data, key, klen) == 0;
    unsigned char prev[ANY_KEY_MAX];
    MDB_val pk = {c.prev_k.mv_size, prev};
    if (c.prev_k.mv_data)
        memcpy(prev, c.prev_k.mv_data, c.prev_k.mv_size);
    if (!replace) {
        if (!(next = ltl__calloc(1, sizeof(*next)))) {
            rc = ltl__errf(LTL_ENOMEM, "out of memory");
            goto out;
        }
        entry_copy_set(next, &c.k, &c.v, &rc);
        if (rc)
            goto out;
    }
    if ((rc = make_value(&val, tag, c.prev_k.mv_data ? &pk : NULL, key, klen, payload, plen)))
        goto out;
    MDB_val k = {klen, (void *)key}, v = {val.len, val.data};
    int mrc = mdb_put(txn, c.db.dbi, &k, &v, 0);
    if (mrc) {
        rc = mdb_error(ix, mrc, "write");
        goto out;
    }
    if (next) {
        /* the entry after it is now linked to it */
        MDB_val nk = {next->klen, next->key};
        if ((rc = make_value(&val, tag, &k, next->key, next->klen, next->payload.data,
                             next->payload.len)))
            goto out;
        v = (MDB_val){val.len, val.data};
        if ((mrc = mdb_put(txn, c.db.dbi, &nk, &v, 0)))
            rc = mdb_error(ix, mrc, "write");
    }
out:
    if (c.cur)
        mdb_cursor_close(c.cur);
    if (next)
        ltl__buf_free(&next->payload);
    ltl__free(next);
    ltl__buf_free(&val);
    return rc;
}

/* Delete key from a checked database, linking the entry after it to the one
 * before. Write transactions only; the key must be there. */
static int cdel(struct ltl__index *ix, MDB_txn *txn, unsigned char tag, const void *key,
                size_t klen)
{
    struct ccur c;
    int rc = cc_open(&c, ix, txn, NULL, tag);
    struct entry_copy *next = NULL;
    ltl__buf val = {0};
    unsigned char prev[ANY_KEY_MAX];
    MDB_val pk = {0, prev};
    if (rc)
        goto out;
    if ((rc = cc_seek(&c, key, klen)))
        goto out;
    if (!(c.k.mv_size == klen && memcmp(c.k.mv_data, key, klen) == 0))
        goto out; /* not there */
    bool have_prev = c.prev_k.mv_data != NULL;
    if (have_prev) {
        memcpy(prev, c.prev_k.mv_data, c.prev_k.mv_size);
        pk.mv_size = c.prev_k.mv_size;
    }
    if ((rc = cc_next(&c)))
        goto out;
    if (!(next = ltl__calloc(1, sizeof(*next)))) {
        rc = ltl__errf(LTL_ENOMEM, "out of memory");
        goto out;
    }
    entry_copy_set(next, &c.k, &c.v, &rc);
    if (rc)
        goto out;
    MDB_val k = {klen, (void *)key};
    int mrc = mdb_del(txn, c.db.dbi, &k, NULL);
    if (mrc) {
        rc = mdb_error(ix, mrc, "delete");
        goto out;
    }
    MDB_val nk = {next->klen, next->key};
    if ((rc = make_value(&val, tag, have_prev ? &pk : NULL, next->key, next->klen,
                         next->payload.data, next->payload.len)))
        goto out;
    MDB_val v = {val.len, val.data};
    if ((mrc = mdb_put(txn, c.db.dbi, &nk, &v, 0)))
        rc = mdb_error(ix, mrc, "write");
out:
    if (c.cur)
        mdb_cursor_close(c.cur);
    if (next)
        ltl__buf_free(&next->payload);
    ltl__free(next);
    ltl__buf_free(&val);
    return rc;
}

/* An empty database gets its sentinel. */
static int sentinel_put(struct ltl__index *ix, MDB_txn *txn, unsigned char tag)
{
    struct cdb db = cdb_of(ix, tag);
    unsigned char val[CHECK_LEN];
    put_be32(val, check_link("", 0) ^ check_own(tag, sentinel, 1, "", 0));
    MDB_val k = {1, (void *)sentinel}, v = {CHECK_LEN, val};
    int mrc = mdb_put(txn, db.dbi, &k, &v, 0);
    return mrc ? mdb_error(ix, mrc, "write") : LTL_OK;
}

/* The token of a sealed record's value: TOKEN_TYPE, then the first TOKEN_LEN bytes
 * of HMAC-SHA256(index key, "v" || u16 path length || path || value key). */
static void token_of(const struct ltl__index *ix, const char *path, size_t plen,
                     const unsigned char *vkey, size_t vlen, unsigned char out[1 + TOKEN_LEN])
{
    unsigned char head[3] = {'v', (unsigned char)(plen >> 8), (unsigned char)plen};
    unsigned char mac[32];
    unsigned char in[LTL__INDEX_PATH_MAX + LTL__KEY_MAX];
    memcpy(in, path, plen);
    memcpy(in + plen, vkey, vlen);
    hmac3(mac, &ix->tok, head, 3, in, plen + vlen, NULL, 0);
    out[0] = TOKEN_TYPE;
    memcpy(out + 1, mac, TOKEN_LEN);
}

/* ---- the dictionary ------------------------------------------------------------- */

static uint64_t dict_hash(const char *path, size_t len, bool sealed)
{
    return hash_bytes(path, len) ^ (sealed ? 0x5EA1ED5EA1ED5EA1ULL : 0);
}

static struct path_slot *dict_find(struct dict *d, const char *path, size_t len, bool sealed,
                                   uint64_t h)
{
    size_t mask = d->cap - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
        struct path_slot *e = &d->slots[i];
        if (!e->path || (e->sealed == sealed && e->len == len && memcmp(e->path, path, len) == 0))
            return e;
    }
}

static int dict_grow(struct dict *d)
{
    size_t cap = d->cap ? d->cap * 2 : 256;
    struct path_slot *old = d->slots;
    size_t old_cap = d->cap;
    d->slots = ltl__calloc(cap, sizeof(*d->slots));
    if (!d->slots) {
        d->slots = old;
        return ltl__errf(LTL_ENOMEM, "out of memory");
    }
    d->cap = cap;
    for (size_t i = 0; i < old_cap; i++)
        if (old[i].path)
            *dict_find(d, old[i].path, old[i].len, old[i].sealed,
                       dict_hash(old[i].path, old[i].len, old[i].sealed)) = old[i];
    ltl__free(old);
    return LTL_OK;
}

/* Room for id in by_id. */
static int by_id_reserve(struct dict *d, uint32_t id)
{
    if (id < d->by_id_cap)
        return LTL_OK;
    size_t cap = d->by_id_cap ? d->by_id_cap : 64;
    while (cap <= id)
        cap *= 2;
    struct path_info *n = ltl__realloc(d->by_id, cap * sizeof(*n));
    if (!n)
        return ltl__errf(LTL_ENOMEM, "out of memory");
    memset(n + d->by_id_cap, 0, (cap - d->by_id_cap) * sizeof(*n));
    d->by_id = n;
    d->by_id_cap = cap;
    return LTL_OK;
}

/* Add a path with a given id and stored count. Caller holds mu (or owns d). */
static int dict_insert(struct dict *d, const char *path, size_t len, bool sealed, uint32_t id,
                       uint64_t count, bool multi, bool dirty)
{
    int rc;
    if ((d->n + 1) * 2 > d->cap && (rc = dict_grow(d)))
        return rc;
    if ((rc = by_id_reserve(d, id)))
        return rc;
    struct path_slot *e = dict_find(d, path, len, sealed, dict_hash(path, len, sealed));
    char *copy = ltl__strndup(path, len);
    if (!copy)
        return ltl__errf(LTL_ENOMEM, "out of memory");
    *e = (struct path_slot){copy, len, id, sealed};
    d->by_id[id] = (struct path_info){
        .path = copy, .len = len, .sealed = sealed, .count = count, .multi = multi, .dirty = dirty};
    d->n++;
    if (id >= d->next_id)
        d->next_id = id + 1;
    return LTL_OK;
}

/* The id of a path, assigned when new; *skip when it must not be indexed
 * (the cap, or a frozen dictionary that does not know it). Any thread. */
static int dict_get(struct dict *d, const char *path, size_t len, bool sealed, uint32_t *out,
                    bool *skip)
{
    *skip = false;
    pthread_mutex_lock(&d->mu);
    int rc = LTL_OK;
    if (d->cap == 0 && (rc = dict_grow(d)))
        goto out;
    struct path_slot *e = dict_find(d, path, len, sealed, dict_hash(path, len, sealed));
    if (e->path) {
        *out = e->id;
        goto out;
    }
    if (d->frozen) {
        /* a check: a path of the log the index does not have (fine under the cap) */
        if (!d->capped && !d->unknown && !(d->unknown = ltl__strndup(path, len)))
            rc = ltl__errf(LTL_ENOMEM, "out of memory");
        *skip = true;
        goto out;
    }
    if (d->max_paths && d->n >= d->max_paths) {
        if (!d->capped_logged)
            ltl__log(d->log, LTL_LOG_WARN,
                     "index: %llu distinct paths reached (index.max_paths): new paths such as "
                     "'%.*s' are not indexed; queries on them scan the log",
                     (unsigned long long)d->max_paths, sealed ? 11 : (int)(len > 200 ? 200 : len),
                     sealed ? "(encrypted)" : path);
        d->capped = d->capped_logged = true;
        *skip = true;
        goto out;
    }
    *out = d->next_id;
    rc = dict_insert(d, path, len, sealed, d->next_id, 0, false, true);
out:
    pthread_mutex_unlock(&d->mu);
    return rc;
}

static void dict_free(struct dict *d)
{
    for (size_t i = 0; i < d->cap; i++)
        ltl__free(d->slots[i].path);
    ltl__free(d->slots);
    ltl__free(d->by_id);
    ltl__free(d->unknown);
    d->slots = NULL;
    d->by_id = NULL;
    d->unknown = NULL;
    d->cap = d->n = d->by_id_cap = 0;
    d->next_id = 1;
}

/* Keys of the paths database: PATH_KEY then the path of plaintext records
 * (the root's path is "" and LMDB keys cannot be empty), SEALED_PATH_KEY then
 * the path's token for sealed records. Values: u32 id BE, u64 BE: the count,
 * with PATH_MULTI set once some record held more than one value under the
 * path (an array, or a key repeated in an object): a query may treat two
 * range terms on a path without it as one interval; for sealed records, then
 * the path itself, sealed with the names key (associated data: the key). */
#define PATH_KEY   'p'
#define PATH_MULTI (UINT64_C(1) << 63)

/* The paths database key of a path (len <= LTL__INDEX_PATH_MAX) into buf
 * (ANY_KEY_MAX bytes). Sealed: needs the key. */
static MDB_val path_key(const struct ltl__index *ix, unsigned char *buf, const char *path,
                        size_t len, bool sealed)
{
    if (!sealed) {
        buf[0] = PATH_KEY;
        memcpy(buf + 1, path, len);
        return (MDB_val){len + 1, buf};
    }
    unsigned char mac[32];
    hmac3(mac, &ix->tok, "p", 1, path, len, NULL, 0);
    buf[0] = SEALED_PATH_KEY;
    memcpy(buf + 1, mac, TOKEN_LEN);
    return (MDB_val){1 + TOKEN_LEN, buf};
}

/* The paths entry of one path (payload after the check) into val. */
static int path_payload(const struct ltl__index *ix, ltl__buf *val, const MDB_val *key,
                        const struct path_info *e, uint32_t id, uint64_t count_and_multi)
{
    val->len = 0;
    size_t len = 12 + (e->sealed ? LTL__SEAL_OVERHEAD + e->len : 0);
    if (ltl__buf_reserve(val, len))
        return ltl__errf(LTL_ENOMEM, "out of memory");
    unsigned char *p = (unsigned char *)val->data;
    put_be32(p, id);
    put_be64(p + 4, count_and_multi);
    if (e->sealed) {
        int rc = ltl__seal(p + 12, &ix->names, key->mv_data, key->mv_size, e->path, e->len, id);
        if (rc)
            return rc;
    }
    val->len = len;
    return LTL_OK;
}

/* A paths entry: *sealed, id, count and multi; for a sealed path with the key,
 * its name into name (else name->len 0). */
static int path_entry_read(struct ltl__index *ix, const MDB_val *k, const MDB_val *payload,
                           bool open_names, bool *sealed, uint32_t *id, uint64_t *count,
                           bool *multi, ltl__buf *name)
{
    const unsigned char *kd = k->mv_data, *v = payload->mv_data;
    char hex[40];
    name->len = 0;
    if (kd[0] == PATH_KEY && k->mv_size <= 1 + LTL__INDEX_PATH_MAX && payload->mv_size == 12)
        *sealed = false;
    else if (kd[0] == SEALED_PATH_KEY && k->mv_size == 1 + TOKEN_LEN &&
             payload->mv_size > 12 + LTL__SEAL_OVERHEAD &&
             payload->mv_size <= 12 + LTL__SEAL_OVERHEAD + LTL__INDEX_PATH_MAX)
        *sealed = true;
    else
        return damaged(ix, "paths: entry %s of %zu bytes",
                       key_hex(hex, sizeof(hex), kd, k->mv_size), payload->mv_size);
    *id = get_be32(v);
    uint64_t c = get_be64(v + 4);
    *count = c & ~PATH_MULTI;
    *multi = (c & PATH_MULTI) != 0;
    if (*id == LTL__INDEX_TOPIC_PATH || *id == LTL__INDEX_NO_PATH)
        return damaged(ix, "paths: entry %s has id %u", key_hex(hex, sizeof(hex), kd, k->mv_size),
                       *id);
    if (*sealed && open_names) {
        size_t len = payload->mv_size - 12 - LTL__SEAL_OVERHEAD;
        if (ltl__buf_reserve(name, len + 1))
            return ltl__errf(LTL_ENOMEM, "out of memory");
        int rc = ltl__unseal((unsigned char *)name->data, &ix->names, kd, k->mv_size, v + 12,
                             payload->mv_size - 12, *id);
        if (rc == LTL_EKEY || rc == LTL_ECORRUPT) {
            ltl__err_restate();
            return damaged(ix, "paths: the name of path %u does not open", *id);
        }
        if (rc)
            return rc;
        name->len = len;
        name->data[len] = '\0';
        unsigned char again[ANY_KEY_MAX];
        MDB_val ak = path_key(ix, again, name->data, len, true);
        if (ak.mv_size != k->mv_size || memcmp(ak.mv_data, kd, ak.mv_size) != 0)
            return damaged(ix, "paths: path %u is not under its token", *id);
    }
    return LTL_OK;
}

static bool path_allowed(const char *patterns, const char *path)
{
    if (!patterns || !patterns[0])
        return true;
    bool allowed = false, any_allow = false;
    const char *p = patterns;
    char pat[LTL__INDEX_PATH_MAX + 2];
    while (*p) {
        size_t n = strcspn(p, ",");
        const char *s = p, *e = p + n;
        while (s < e && *s == ' ')
            s++;
        while (e > s && e[-1] == ' ')
            e--;
        bool deny = s < e && *s == '-';
        if (deny || (s < e && *s == '+'))
            s++;
        if (e > s && (size_t)(e - s) < sizeof(pat)) {
            memcpy(pat, s, (size_t)(e - s));
            pat[e - s] = '\0';
            if (!deny)
                any_allow = true;
            if (fnmatch(pat, path, 0) == 0) {
                if (deny)
                    return false;
                allowed = true;
            }
        }
        p += n + (p[n] == ',');
    }
    return allowed || !any_allow;
}

/* ---- meta ------------------------------------------------------------------------- */

/* Keys (ASCII) and values (big-endian):
 *   version  u64    hwm  u64    capped  u64 1    opaque  u64 1
 *   tkey     u32: the id of the read key the tokens were made with
 *   rules    the index.paths text
 *   run + u32 id: base, end, entries (u64), sealed (1 byte) */
#define RUN_KEY_PREFIX "run"

static void meta_free(struct meta *m)
{
    ltl__free(m->rules);
    ltl__free(m->runs);
    memset(m, 0, sizeof(*m));
}

static bool key_is(const MDB_val *k, const char *name)
{
    return k->mv_size == strlen(name) && memcmp(k->mv_data, name, k->mv_size) == 0;
}

/* Read the whole meta database (every entry checked) into *m. */
static int meta_read(struct ltl__index *ix, const struct pr_view *view, struct meta *m)
{
    memset(m, 0, sizeof(*m));
    struct ccur c;
    int rc = cc_open(&c, ix, NULL, view, TAG_META);
    if (rc)
        return rc;
    char hex[40];
    for (rc = cc_first(&c); rc == LTL_OK && !c.end; rc = cc_next(&c)) {
        const unsigned char *v = c.v.mv_data;
        size_t vlen = c.v.mv_size;
        m->entries++;
        if (key_is(&c.k, "version") && vlen == 8) {
            m->have_version = true;
            m->version = get_be64(v);
        } else if (key_is(&c.k, "hwm") && vlen == 8) {
            m->hwm = get_be64(v);
        } else if (key_is(&c.k, "capped") && vlen == 8 && get_be64(v) == 1) {
            m->capped = true;
        } else if (key_is(&c.k, "opaque") && vlen == 8 && get_be64(v) == 1) {
            m->opaque = true;
        } else if (key_is(&c.k, "tkey") && vlen == 4) {
            m->have_token_key = true;
            m->token_key = get_be32(v);
        } else if (key_is(&c.k, "rules") && vlen <= LTL__INDEX_RULES_MAX) {
            m->have_rules = true;
            if (!(m->rules = ltl__strndup((const char *)v, vlen)))
                rc = ltl__errf(LTL_ENOMEM, "out of memory");
        } else if (c.k.mv_size == 7 && memcmp(c.k.mv_data, RUN_KEY_PREFIX, 3) == 0 && vlen == 25) {
            if (m->nruns == m->runs_cap) {
                size_t cap = m->runs_cap ? m->runs_cap * 2 : 16;
                struct run *nr = ltl__realloc(m->runs, cap * sizeof(*nr));
                if (!nr) {
                    rc = ltl__errf(LTL_ENOMEM, "out of memory");
                    break;
                }
                m->runs = nr;
                m->runs_cap = cap;
            }
            m->runs[m->nruns++] =
                (struct run){get_be32((const unsigned char *)c.k.mv_data + 3), get_be64(v),
                             get_be64(v + 8), get_be64(v + 16), v[24] != 0};
        } else {
            rc = damaged(ix, "meta: unknown entry %s of %zu bytes",
                         key_hex(hex, sizeof(hex), c.k.mv_data, c.k.mv_size), vlen);
        }
        if (rc)
            break;
    }
    cc_close(&c);
    if (rc || !m->have_version || m->version != LTL__INDEX_VERSION)
        return rc;
    /* the runs tile [0, hwm) */
    uint64_t at = 0;
    for (size_t i = 0; i < m->nruns; i++) {
        const struct run *r = &m->runs[i];
        if (r->base != at || r->end <= r->base || r->end - r->base > RUN_MAX_SPAN || r->id == 0)
            return damaged(ix, "meta: run %u covers [%llu, %llu), expected from %llu", r->id,
                           (unsigned long long)r->base, (unsigned long long)r->end,
                           (unsigned long long)at);
        at = r->end;
    }
    if (at != m->hwm)
        return damaged(ix, "meta: the runs end at seq %llu, the high-water mark is %llu",
                       (unsigned long long)at, (unsigned long long)m->hwm);
    return LTL_OK;
}

static int meta_put_u64(struct ltl__index *ix, MDB_txn *txn, const char *name, uint64_t value)
{
    unsigned char buf[8];
    put_be64(buf, value);
    return cput(ix, txn, TAG_META, name, strlen(name), buf, 8);
}

static int meta_put_rules(struct ltl__index *ix, MDB_txn *txn)
{
    const char *p = ix->patterns ? ix->patterns : "";
    return cput(ix, txn, TAG_META, "rules", 5, p, strlen(p));
}

static int meta_put_token_key(struct ltl__index *ix, MDB_txn *txn)
{
    unsigned char buf[4];
    put_be32(buf, ix->key_id);
    return cput(ix, txn, TAG_META, "tkey", 4, buf, 4);
}

static int run_put(struct ltl__index *ix, MDB_txn *txn, const struct run *r)
{
    unsigned char key[3 + 4], val[25];
    memcpy(key, RUN_KEY_PREFIX, 3);
    put_be32(key + 3, r->id);
    put_be64(val, r->base);
    put_be64(val + 8, r->end);
    put_be64(val + 16, r->entries);
    val[24] = r->sealed;
    return cput(ix, txn, TAG_META, key, sizeof(key), val, sizeof(val));
}

/* Load the stored dictionary into d: every paths entry checked; sealed paths
 * named when open_names (the key of their tokens), else only their ids kept out
 * of reach of new paths. *entries: paths entries. */
static int dict_load(struct ltl__index *ix, const struct pr_view *view, struct dict *d,
                     bool open_names, uint64_t *entries, uint64_t *sealed_entries)
{
    struct ccur c;
    ltl__buf name = {0};
    int rc = cc_open(&c, ix, NULL, view, TAG_PATHS);
    if (rc)
        return rc;
    d->next_id = 1;
    *entries = *sealed_entries = 0;
    for (rc = cc_first(&c); rc == LTL_OK && !c.end; rc = cc_next(&c)) {
        bool sealed = false, multi = false;
        uint32_t id = 0;
        uint64_t count = 0;
        if ((rc = path_entry_read(ix, &c.k, &c.v, open_names, &sealed, &id, &count, &multi, &name)))
            break;
        ++*entries;
        if ((rc = by_id_reserve(d, id)))
            break;
        if (d->by_id[id].path) {
            rc = damaged(ix, "paths: two paths with id %u", id);
            break;
        }
        if (sealed && !open_names) {
            /* unnamed: only its id is kept from new paths */
            ++*sealed_entries;
            if (id >= d->next_id)
                d->next_id = id + 1;
            continue;
        }
        *sealed_entries += sealed;
        const char *path = sealed ? name.data : (const char *)c.k.mv_data + 1;
        size_t len = sealed ? name.len : c.k.mv_size - 1;
        if ((rc = dict_insert(d, path, len, sealed, id, count, multi, false)))
            break;
    }
    cc_close(&c);
    ltl__buf_free(&name);
    return rc;
}

/* ---- the data file --------------------------------------------------------------- */

/* Writer: keep FILE_SLACK bytes after the last page. */
static void keep_slack(struct ltl__index *ix)
{
    MDB_envinfo info;
    if (mdb_env_info(ix->env, &info) != 0)
        return;
    uint64_t last_end = ((uint64_t)info.me_last_pgno + 1) * ix->psize;
    uint64_t size = fd_size(ix->fd);
    if (size < last_end + FILE_SLACK && ftruncate(ix->fd, (off_t)(last_end + FILE_GROW)) == 0)
        size = last_end + FILE_GROW;
    atomic_store(&ix->file_size, size);
}

/* Before LMDB opens the file: its two meta pages (LMDB 0.9's layout: page header
 * of 16 bytes, then magic, version, address, map size, the free and main
 * databases' records of 48 bytes each, the last page, the transaction id) name
 * the same page size and pages inside the file: LMDB maps the file by them and
 * would fault on a damaged one. Another layout is left to LMDB's own checks. */
static int meta_pages_check(struct ltl__index *ix, const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return LTL_OK; /* none yet, or LMDB says why */
    uint64_t size = fd_size(fd);
    unsigned char page[2][160];
    uint32_t psize = 0;
    int rc = LTL_OK;
    for (int m = 0; m < 2 && rc == LTL_OK; m++) {
        off_t at = m ? (off_t)psize : 0;
        if (pread(fd, page[m], sizeof(page[m]), at) != (ssize_t)sizeof(page[m])) {
            rc = size == 0 ? LTL_OK : damaged(ix, "data.mdb is too short for its meta pages");
            break;
        }
        const unsigned char *meta = page[m] + PAGE_HDR;
        if (u32_at(meta) != LMDB_MAGIC || u32_at(meta + 4) != LMDB_DATA_VERSION)
            break; /* not an LMDB file of this version: LMDB says so */
        uint32_t ps = u32_at(meta + 24);
        uint64_t last = u64_at(meta + 120), free_root = u64_at(meta + 24 + 40),
                 main_root = u64_at(meta + 72 + 40);
        /* the free list's flags: integer keys (and the environment's persistent flags,
         * none here); the main database's: none. A flag more changes how LMDB reads
         * them (sorted duplicates: out of bounds in memory) */
        if ((m == 0 && (ps < 512 || ps > 65536 || (ps & (ps - 1)))) || (m == 1 && ps != psize) ||
            u16_at(meta + 24 + 4) != LMDB_INTEGERKEY || u16_at(meta + 72 + 4) != 0 ||
            last >= size / ps || (free_root != UINT64_MAX && free_root > last) ||
            (main_root != UINT64_MAX && main_root > last))
            rc = damaged(ix, "meta page %d of data.mdb is damaged", m);
        psize = ps;
    }
    (void)close(fd);
    return rc;
}

/* Where LMDB mapped the data file (read snapshots read its pages there): the
 * mapping of this file's device and inode in /proc/self/maps. Again after LMDB
 * maps it anew (a larger map). */
static int map_find(struct ltl__index *ix)
{
    struct stat st;
    if (fstat(ix->fd, &st) < 0)
        return ltl__err_sys(errno, "stat %s/data.mdb", ix->dir);
    FILE *f = fopen("/proc/self/maps", "re");
    if (!f)
        return ltl__err_sys(errno, "open /proc/self/maps");
    char line[4352];
    uintptr_t found = 0;
    size_t len = 0;
    while (fgets(line, sizeof(line), f)) {
        unsigned long lo, hi, off, inode;
        unsigned maj, min;
        if (sscanf(line, "%lx-%lx %*s %lx %x:%x %lu", &lo, &hi, &off, &maj, &min, &inode) == 6 &&
            off == 0 && inode == (unsigned long)st.st_ino && maj == major(st.st_dev) &&
            min == minor(st.st_dev) && hi - lo >= len) {
            found = lo;
            len = hi - lo;
        }
    }
    (void)fclose(f);
    if (!found)
        return ltl__errf(LTL_EIO, "index: the map of %s/data.mdb is not in /proc/self/maps",
                         ix->dir);
    /* the address /proc/self/maps gives: an integer to make a pointer of */
    atomic_store(&ix->map, (const unsigned char *)found); // NOLINT(performance-no-int-to-ptr)
    atomic_store(&ix->map_len, len);
    return LTL_OK;
}

/* ---- open / close ------------------------------------------------------------------ */

/* The index key from the record key: HMAC-SHA256(record key, "ltl index key v1");
 * the names key from it. */
static int keys_derive(struct ltl__index *ix, const unsigned char *seal_key, uint32_t key_id)
{
    static const char label[] = "ltl index key v1";
    unsigned char k[32];
    unsigned int n = sizeof(k);
    if (!HMAC(EVP_sha256(), seal_key, 32, (const unsigned char *)label, sizeof(label) - 1, k, &n) ||
        n != sizeof(k))
        return ltl__errf(LTL_ENOMEM, "index: HMAC-SHA256 failed in OpenSSL");
    hmac_init(&ix->tok, k);
    hmac3(ix->names.key, &ix->tok, "n", 1, NULL, 0, NULL, 0);
    ix->names.read_key_id = key_id;
    ix->key_id = key_id;
    ix->have_key = true;
    ltl__key_wipe(k, sizeof(k));
    return LTL_OK;
}

/* Tighten a file's mode to 0600 (0700 for a directory): the index of an
 * encrypted store is as secret as its structure, an older ltl made them 0644. */
static void tighten(const char *path, mode_t want)
{
    struct stat st;
    if (stat(path, &st) == 0 && (st.st_mode & 077) && st.st_uid == geteuid())
        (void)chmod(path, want);
}

/* Begin a read transaction and its view of the pages (again when a commit
 * reused the meta page it picked). */
static int read_begin(struct ltl__index *ix, MDB_txn **txn, struct pr_view *view, bool full)
{
    for (int attempt = 0;; attempt++) {
        int mrc = mdb_txn_begin(ix->env, NULL, MDB_RDONLY, txn);
        if (mrc == MDB_MAP_RESIZED) {
            /* the writer grew the map: adopt its size (LMDB maps the file anew) */
            mdb_env_set_mapsize(ix->env, 0);
            int rc = map_find(ix);
            if (rc) {
                *txn = NULL;
                return rc;
            }
            mrc = mdb_txn_begin(ix->env, NULL, MDB_RDONLY, txn);
        }
        if (mrc) {
            *txn = NULL;
            return mdb_error(ix, mrc, "begin a read");
        }
        int rc = pr_view_begin(view, ix, *txn, false);
        view->full = full;
        if (rc != VIEW_AGAIN)
            return rc;
        if (attempt == 100)
            return damaged(ix, "its meta pages keep changing");
        mdb_txn_abort(*txn);
        *txn = NULL;
    }
}

struct open_args {
    struct ltl__index *ix;
    MDB_txn *txn;
    const char *dir;
    struct pr_view view;
    struct meta m;
    bool fresh;      /* nothing committed yet */
    bool same_key;   /* the tokens are of this handle's key */
    uint64_t sealed; /* paths entries of sealed records */
};

/* Everything read at open, in a read transaction over our page reader, each
 * entry checked: meta; for a writer also the paths (its dictionary) and the
 * postings' end. */
static int open_check(void *arg)
{
    struct open_args *a = arg;
    struct ltl__index *ix = a->ix;
    int rc;
    if (ix->writable) {
        /* the writer reads in the write transaction it may change things in: the
         * only writer, it sees the last commit, and leaves no reader behind */
        int mrc = mdb_txn_begin(ix->env, NULL, 0, &a->txn);
        if (mrc) {
            a->txn = NULL;
            return mdb_error(ix, mrc, "begin");
        }
        rc = pr_view_begin(&a->view, ix, a->txn, true);
        a->view.full = true;
    } else {
        rc = read_begin(ix, &a->txn, &a->view, true);
    }
    if (rc == LTL_ENOTFOUND) {
        a->fresh = true;
        return ix->writable ? LTL_OK : ltl__errf(LTL_ENOTFOUND, "the index at %s is empty", a->dir);
    }
    if (rc)
        return rc;
    /* a writer changes what it opens: no page in use may be listed free */
    if (ix->writable && ((rc = pr_walk_all(&a->view, &a->view.free_db, true)) ||
                         (rc = pr_walk_all(&a->view, &a->view.main_db, false))))
        return rc;
    /* LMDB's handles of the databases, which the view found sound */
    int mrc;
    if ((mrc = mdb_dbi_open(a->txn, "meta", 0, &ix->meta)) ||
        (mrc = mdb_dbi_open(a->txn, "paths", 0, &ix->paths)) ||
        (mrc = mdb_dbi_open(a->txn, "post", 0, &ix->post)))
        return mdb_error(ix, mrc, "open the databases");
    if ((rc = meta_read(ix, &a->view, &a->m)))
        return rc;
    struct meta *m = &a->m;
    if (!m->have_version || m->version != LTL__INDEX_VERSION)
        return m->have_version ? ltl__errf(LTL_EVERSION, "index version %llu, this ltl builds %d",
                                           (unsigned long long)m->version, LTL__INDEX_VERSION)
                               : damaged(ix, "meta: no version");
    const char *mine = ix->patterns ? ix->patterns : "";
    const char *stored = m->rules ? m->rules : "";
    if (!ix->writable) {
        /* readers go by the rules the index was built with */
        ltl__free(ix->patterns);
        ix->patterns = m->rules;
        m->rules = NULL;
        return LTL_OK;
    }
    if (strcmp(stored, mine) != 0) {
        /* built for other rules: its postings are not those the configuration asks for */
        return ltl__errf(LTL_EVERSION, "index built for index.paths=\"%s\", now \"%s\"", stored,
                         mine);
    }
    /* the writer: its dictionary, the tokens' key, the postings' end */
    a->same_key = ix->have_key && m->have_token_key && m->token_key == ix->key_id;
    uint64_t entries;
    if ((rc = dict_load(ix, &a->view, &ix->dict, a->same_key, &entries, &a->sealed)))
        return rc;
    if (ix->have_key && !a->same_key && (m->have_token_key || m->opaque || a->sealed))
        return m->have_token_key
                   ? ltl__errf(LTL_EVERSION,
                               "its encrypted values are tokens of read key %08x, not of "
                               "keys.read %08x",
                               m->token_key, ix->key_id)
                   : ltl__errf(LTL_EVERSION,
                               "it holds encrypted records it could not index; keys.read %08x "
                               "can",
                               ix->key_id);
    struct ccur c;
    if ((rc = cc_open(&c, ix, a->txn, &a->view, TAG_POST)))
        return rc;
    if ((rc = cc_seek(&c, sentinel, 1)) == LTL_OK && !c.end)
        rc = damaged(ix, "postings: an entry after the sentinel");
    if (rc)
        return rc;
    /* as many entries as the runs account for (LMDB's count lives in another page) */
    uint64_t run_entries = 0;
    for (size_t i = 0; i < m->nruns; i++)
        run_entries += m->runs[i].entries;
    if (a->view.post.entries != run_entries + 1)
        return damaged(ix, "postings: %llu entries, the runs account for %llu",
                       (unsigned long long)a->view.post.entries - 1,
                       (unsigned long long)run_entries);
    if (a->view.paths.entries != entries + 1)
        return damaged(ix, "paths: %llu entries, %llu readable",
                       (unsigned long long)a->view.paths.entries - 1, (unsigned long long)entries);
    return LTL_OK;
}

/* The writer's changes at open (a new index; the tokens' key), in a write
 * transaction on pages open_check read whole. */
static int open_write(void *arg)
{
    struct open_args *a = arg;
    struct ltl__index *ix = a->ix;
    struct meta *m = &a->m;
    bool set_key = !a->fresh && ix->have_key && !a->same_key;
    bool drop_key = !a->fresh && !ix->have_key && m->have_token_key;
    int rc = LTL_OK, mrc;
    if (!a->fresh && !set_key && !drop_key) {
        /* nothing to change: committing the empty transaction keeps the database
         * handles and writes nothing */
    } else if (a->fresh) {
        /* a new index: the databases, their sentinels, version, rules, the tokens' key */
        if ((mrc = mdb_dbi_open(a->txn, "meta", MDB_CREATE, &ix->meta)) ||
            (mrc = mdb_dbi_open(a->txn, "paths", MDB_CREATE, &ix->paths)) ||
            (mrc = mdb_dbi_open(a->txn, "post", MDB_CREATE, &ix->post)))
            return mdb_error(ix, mrc, "create the databases");
        if ((rc = sentinel_put(ix, a->txn, TAG_META)) ||
            (rc = sentinel_put(ix, a->txn, TAG_PATHS)) ||
            (rc = sentinel_put(ix, a->txn, TAG_POST)) ||
            (rc = meta_put_u64(ix, a->txn, "version", LTL__INDEX_VERSION)) ||
            (rc = meta_put_rules(ix, a->txn)) ||
            (ix->have_key && (rc = meta_put_token_key(ix, a->txn))))
            return rc;
    } else if (set_key) {
        /* plaintext records only so far: from now on, tokens of this key */
        if ((rc = meta_put_token_key(ix, a->txn)))
            return rc;
    } else {
        /* without the key, sealed records are indexed by topic only: a reader with
         * the key must no longer take the tokens for all of them */
        if ((rc = cdel(ix, a->txn, TAG_META, "tkey", 4)) ||
            (!m->opaque && (rc = meta_put_u64(ix, a->txn, "opaque", 1))))
            return rc;
        m->opaque = true;
    }
    mrc = mdb_txn_commit(a->txn);
    a->txn = NULL;
    return mrc ? mdb_error(ix, mrc, "commit") : LTL_OK;
}

int ltl__index_open(struct ltl__index **out, const char *dir, bool writable,
                    const struct ltl__index_rules *rules, ltl__logger *log)
{
    *out = NULL;
    struct ltl__index *ix = ltl__calloc(1, sizeof(*ix));
    if (!ix)
        return ltl__errf(LTL_ENOMEM, "out of memory");
    pthread_mutex_init(&ix->dict.mu, NULL);
    ix->dict.next_id = 1;
    ix->dict.max_paths = rules ? rules->max_paths : 0;
    ix->dict.log = log;
    ix->fd = -1;
    int rc = LTL_OK, mrc;
    struct open_args a = {.ix = ix, .dir = dir};
    ix->writable = writable;
    ix->log = log;
    if (!(ix->dir = ltl__strdup(dir)) ||
        (rules && rules->patterns && !(ix->patterns = ltl__strdup(rules->patterns)))) {
        rc = ltl__errf(LTL_ENOMEM, "out of memory");
        goto fail;
    }
    if (ix->patterns && strlen(ix->patterns) > LTL__INDEX_RULES_MAX) {
        rc = ltl__errf(LTL_ECONFIG, "index.paths: more than %d bytes", LTL__INDEX_RULES_MAX);
        goto fail;
    }
    if (rules && rules->seal_key && (rc = keys_derive(ix, rules->seal_key, rules->key_id)))
        goto fail;
    struct stat st;
    if (stat(dir, &st) < 0) {
        if (errno != ENOENT || !writable) {
            rc = errno == ENOENT ? ltl__errf(LTL_ENOTFOUND, "no index at %s", dir)
                                 : ltl__err_sys(errno, "stat %s", dir);
            goto fail;
        }
        if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
            rc = ltl__err_sys(errno, "create %s", dir);
            goto fail;
        }
    }
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s", dir, LTL__INDEX_DAMAGED);
    if (access(path, F_OK) == 0) {
        /* a reader or verify found it damaged: a writer rebuilds it, readers scan */
        char why[300] = "";
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd >= 0) {
            ssize_t n = read(fd, why, sizeof(why) - 1);
            why[n > 0 ? n : 0] = '\0';
            (void)close(fd);
        }
        atomic_store(&ix->damage_marked, true);
        rc = ltl__errf(LTL_ECORRUPT, "index: damaged (%s; found earlier)",
                       why[0] ? why : "no detail");
        goto fail;
    }
    if (writable) {
        tighten(dir, 0700);
        snprintf(path, sizeof(path), "%s/data.mdb", dir);
        tighten(path, 0600);
        snprintf(path, sizeof(path), "%s/lock.mdb", dir);
        tighten(path, 0600);
    }
    snprintf(path, sizeof(path), "%s/data.mdb", dir);
    if ((rc = meta_pages_check(ix, path)))
        goto fail;
    size_t map = MAP_MIN;
    if (stat(path, &st) == 0 && (size_t)st.st_size * 2 > map)
        map = (size_t)st.st_size * 2;
    if ((mrc = mdb_env_create(&ix->env))) {
        ix->env = NULL;
        rc = mdb_error(ix, mrc, "create the environment");
        goto fail;
    }
    mdb_env_set_assert(ix->env, on_assert);
    if ((mrc = mdb_env_set_maxdbs(ix->env, 4)) || (mrc = mdb_env_set_mapsize(ix->env, map)) ||
        (mrc = mdb_env_set_maxreaders(ix->env, 512)) ||
        (mrc = mdb_env_open(ix->env, dir,
                            MDB_NOTLS | MDB_NORDAHEAD | (writable ? MDB_NOMETASYNC : MDB_RDONLY),
                            0600))) {
        rc = mrc == ENOENT ? ltl__errf(LTL_ENOTFOUND, "no index at %s", dir)
             : mrc == MDB_INVALID || mrc == MDB_VERSION_MISMATCH
                 ? damaged(ix, "open the environment: %s", mdb_strerror(mrc))
                 : mdb_error(ix, mrc, "open the environment");
        goto fail;
    }
    MDB_stat est;
    if (mdb_env_get_fd(ix->env, &ix->fd) != 0 || mdb_env_stat(ix->env, &est) != 0) {
        rc = ltl__errf(LTL_EIO, "index: the environment has no data file");
        goto fail;
    }
    ix->psize = est.ms_psize;
    atomic_store(&ix->file_size, fd_size(ix->fd));
    if ((rc = map_find(ix)))
        goto fail;
    /* a reader's LMDB code runs in a read transaction: guarded; a writer's in the
     * write transaction, on pages its view checked whole (not guarded: see guard) */
    rc = writable ? open_check(&a) : guarded(ix, open_check, &a);
    pr_view_end(&a.view);
    if (rc == LTL_OK && writable) {
        rc = open_write(&a);
    } else if (rc == LTL_OK && a.txn) {
        /* committing a read transaction (not aborting) keeps the database handles */
        mrc = mdb_txn_commit(a.txn);
        a.txn = NULL;
        if (mrc)
            rc = mdb_error(ix, mrc, "commit");
    }
    if (a.txn)
        mdb_txn_abort(a.txn);
    if (rc)
        goto fail;
    if (writable) {
        ix->hwm = a.m.hwm;
        ix->opaque = a.m.opaque;
        ix->dict.capped = ix->dict.capped_logged = a.m.capped;
        ix->runs = a.m.runs;
        ix->nruns = a.m.nruns;
        ix->runs_cap = a.m.runs_cap;
        a.m.runs = NULL;
        keep_slack(ix);
    }
    meta_free(&a.m);
    *out = ix;
    return LTL_OK;
fail:
    meta_free(&a.m);
    ltl__index_close(ix);
    return rc;
}

void ltl__index_close(struct ltl__index *ix)
{
    if (!ix)
        return;
    if (ix->env)
        mdb_env_close(ix->env);
    dict_free(&ix->dict);
    ltl__free(ix->runs);
    ltl__free(ix->patterns);
    ltl__free(ix->dir);
    pthread_mutex_destroy(&ix->dict.mu);
    ltl__key_wipe(&ix->tok, sizeof(ix->tok));
    ltl__key_wipe(&ix->names, sizeof(ix->names));
    ltl__free(ix);
}

uint64_t ltl__index_writer_hwm(const struct ltl__index *ix)
{
    return ix->hwm;
}

struct clear_args {
    struct ltl__index *ix;
    MDB_txn *txn;
};

static int clear_txn(void *arg)
{
    struct clear_args *a = arg;
    struct ltl__index *ix = a->ix;
    /* dropping the databases frees every page of them: LMDB reads them all, so we
     * read them all first (a damaged index is rebuilt from a new file instead) */
    struct pr_view view = {0};
    int mrc = mdb_txn_begin(ix->env, NULL, 0, &a->txn);
    if (mrc) {
        a->txn = NULL;
        return mdb_error(ix, mrc, "begin");
    }
    int rc = pr_view_begin(&view, ix, a->txn, true);
    view.full = true;
    if (rc == LTL_OK && !(rc = pr_walk_all(&view, &view.free_db, true)) &&
        !(rc = pr_walk_all(&view, &view.main_db, false)) &&
        !(rc = pr_walk_all(&view, &view.meta, false)) &&
        !(rc = pr_walk_all(&view, &view.paths, false)))
        rc = pr_walk_all(&view, &view.post, false);
    pr_view_end(&view);
    if (rc)
        return rc;
    if ((mrc = mdb_drop(a->txn, ix->post, 0)) || (mrc = mdb_drop(a->txn, ix->paths, 0)) ||
        (mrc = mdb_drop(a->txn, ix->meta, 0)))
        return mdb_error(ix, mrc, "clear");
    if ((rc = sentinel_put(ix, a->txn, TAG_META)) || (rc = sentinel_put(ix, a->txn, TAG_PATHS)) ||
        (rc = sentinel_put(ix, a->txn, TAG_POST)) ||
        (rc = meta_put_u64(ix, a->txn, "version", LTL__INDEX_VERSION)) ||
        (rc = meta_put_rules(ix, a->txn)) ||
        (ix->have_key && (rc = meta_put_token_key(ix, a->txn))))
        return rc;
    mrc = mdb_txn_commit(a->txn);
    a->txn = NULL;
    return mrc ? mdb_error(ix, mrc, "commit") : LTL_OK;
}

int ltl__index_clear(struct ltl__index *ix)
{
    struct clear_args a = {ix, NULL};
    int rc = clear_txn(&a);
    if (a.txn)
        mdb_txn_abort(a.txn);
    if (rc)
        return rc;
    pthread_mutex_lock(&ix->dict.mu);
    dict_free(&ix->dict);
    ix->dict.capped = ix->dict.capped_logged = false;
    pthread_mutex_unlock(&ix->dict.mu);
    ix->hwm = 0;
    ix->nruns = 0;
    ix->opaque = false;
    keep_slack(ix);
    return LTL_OK;
}

void ltl__index_path_stats(struct ltl__index *ix, uint64_t *paths, bool *capped)
{
    pthread_mutex_lock(&ix->dict.mu);
    *paths = ix->dict.n;
    *capped = ix->dict.capped;
    pthread_mutex_unlock(&ix->dict.mu);
}

uint64_t ltl__index_disk_bytes(struct ltl__index *ix)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/data.mdb", ix->dir);
    struct stat st;
    return stat(path, &st) == 0 ? (uint64_t)st.st_blocks * 512 : 0;
}

/* ---- parts -------------------------------------------------------------------------- */

/* A distinct key of a part: u32-offset chain of its records in p->nodes
 * (first .. last, linked by next; 0 ends, slot 0 is unused). */
struct pkey {
    uint32_t hash; /* 0: free slot (hashes are made non-zero) */
    uint32_t key_off, key_len;
    uint32_t first, last;
};

struct pnode {
    uint32_t rel;
    uint32_t next;
};

/* The part's own cache of the dictionary: wildcard path -> id. */
struct pcache {
    uint64_t hash;
    char *path;
    size_t len;
    bool sealed;
    uint32_t id;
    bool skip;      /* not indexed: the rules or the cap */
    bool multi;     /* a record held more than one value under it */
    uint64_t count; /* values added under it */
    uint64_t seen;  /* rel + 1 of the last record with a value under it */
};

/* A key of a part being sorted (finishing). */
struct skey {
    const unsigned char *key;
    uint32_t len;
    uint32_t slot;
};

struct ltl__index_part {
    struct ltl__index *ix;
    struct dict *dict; /* the index's, or a check's (resolves only) */
    bool tokens;       /* values of sealed records become tokens (the index's key) */
    uint64_t base, records;
    bool finished;
    bool opaque;     /* a sealed record was added without its values */
    bool cur_sealed; /* the record being added is sealed */
    /* building */
    ltl__buf keys; /* every distinct key's bytes: vr(path id) | value key */
    struct pkey *table;
    size_t cap, n;
    struct pnode *nodes;
    size_t nnodes, nodes_cap;
    struct pcache *paths; /* the cache's entries, in order of first sight */
    size_t paths_n, paths_cap;
    uint32_t *slots; /* hash table of entry number + 1 (0: free) */
    size_t slots_cap;
    ltl__buf rec; /* the record being added: (u32 entry, u16 len, key)..., kept until it parsed */
    ltl__buf scratch;
    uint32_t rel;
    int rc;
    /* finished: per key u16 length, key, LEB128 count, first offset, deltas */
    ltl__buf packed;
    size_t npacked; /* keys in it */
    /* finished: (path id, count) pairs to add to the dictionary's counts */
    uint64_t *counts;
    size_t ncounts;
};

int ltl__index_part_new(struct ltl__index_part **out, struct ltl__index *ix)
{
    struct ltl__index_part *p = ltl__calloc(1, sizeof(*p));
    *out = p;
    if (!p)
        return ltl__errf(LTL_ENOMEM, "out of memory");
    p->ix = ix;
    p->dict = &ix->dict;
    p->tokens = ix->have_key;
    p->nnodes = 1; /* slot 0 means "none" */
    return LTL_OK;
}

static void part_free_building(struct ltl__index_part *p)
{
    ltl__buf_free(&p->keys);
    ltl__free(p->table);
    ltl__free(p->nodes);
    for (size_t i = 0; i < p->paths_n; i++)
        ltl__free(p->paths[i].path);
    ltl__free(p->paths);
    ltl__free(p->slots);
    ltl__buf_free(&p->rec);
    ltl__buf_free(&p->scratch);
    p->table = NULL;
    p->nodes = NULL;
    p->paths = NULL;
    p->slots = NULL;
    p->cap = p->n = p->nnodes = p->nodes_cap = p->paths_cap = p->paths_n = p->slots_cap = 0;
}

void ltl__index_part_free(struct ltl__index_part *p)
{
    if (!p)
        return;
    part_free_building(p);
    ltl__buf_free(&p->packed);
    ltl__free(p->counts);
    ltl__free(p);
}

void ltl__index_part_set_records(struct ltl__index_part *p, uint64_t records)
{
    if (records > p->records)
        p->records = records;
}

void ltl__index_part_set_base(struct ltl__index_part *p, uint64_t base)
{
    p->base = base;
}

uint64_t ltl__index_part_base(const struct ltl__index_part *p)
{
    return p->base;
}

uint64_t ltl__index_part_records(const struct ltl__index_part *p)
{
    return p->records;
}

size_t ltl__index_part_bytes(const struct ltl__index_part *p)
{
    if (p->finished)
        return p->packed.len + p->ncounts * 16;
    return p->keys.len + p->nnodes * sizeof(struct pnode) + p->cap * sizeof(struct pkey);
}

/* The cache entry of a wildcard path of the record being added (resolving it
 * in the dictionary when new). */
static int part_path(struct ltl__index_part *p, const char *path, size_t len, uint32_t *out)
{
    bool sealed = p->cur_sealed;
    if ((p->paths_n + 1) * 2 > p->slots_cap) {
        size_t cap = p->slots_cap ? p->slots_cap * 2 : 64;
        uint32_t *n = ltl__calloc(cap, sizeof(*n));
        if (!n)
            return ltl__errf(LTL_ENOMEM, "out of memory");
        for (size_t e = 0; e < p->paths_n; e++) {
            size_t j = p->paths[e].hash & (cap - 1);
            while (n[j])
                j = (j + 1) & (cap - 1);
            n[j] = (uint32_t)e + 1;
        }
        ltl__free(p->slots);
        p->slots = n;
        p->slots_cap = cap;
    }
    uint64_t h = dict_hash(path, len, sealed);
    size_t mask = p->slots_cap - 1, i = h & mask;
    for (;; i = (i + 1) & mask) {
        if (!p->slots[i])
            break;
        const struct pcache *c = &p->paths[p->slots[i] - 1];
        if (c->hash == h && c->sealed == sealed && c->len == len &&
            memcmp(c->path, path, len) == 0) {
            *out = p->slots[i] - 1;
            return LTL_OK;
        }
    }
    if (p->paths_n == p->paths_cap) {
        size_t cap = p->paths_cap ? p->paths_cap * 2 : 32;
        struct pcache *n = ltl__realloc(p->paths, cap * sizeof(*n));
        if (!n)
            return ltl__errf(LTL_ENOMEM, "out of memory");
        p->paths = n;
        p->paths_cap = cap;
    }
    struct pcache c = {h, NULL, len, sealed, 0, false, false, 0, 0};
    if (!path_allowed(p->ix->patterns, path)) {
        c.skip = true;
    } else {
        int rc = dict_get(p->dict, path, len, sealed, &c.id, &c.skip);
        if (rc)
            return rc;
    }
    if (!(c.path = ltl__strndup(path, len)))
        return ltl__errf(LTL_ENOMEM, "out of memory");
    p->paths[p->paths_n] = c;
    p->slots[i] = (uint32_t)p->paths_n + 1;
    *out = (uint32_t)p->paths_n++;
    return LTL_OK;
}

static struct pkey *pkey_find(struct ltl__index_part *p, const unsigned char *key, size_t len,
                              uint32_t h)
{
    size_t mask = p->cap - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
        struct pkey *e = &p->table[i];
        if (e->hash == 0 ||
            (e->hash == h && e->key_len == len && memcmp(p->keys.data + e->key_off, key, len) == 0))
            return e;
    }
}

static int table_grow(struct ltl__index_part *p)
{
    size_t cap = p->cap ? p->cap * 2 : 4096;
    struct pkey *n = ltl__calloc(cap, sizeof(*n));
    if (!n)
        return ltl__errf(LTL_ENOMEM, "out of memory");
    for (size_t i = 0; i < p->cap; i++) {
        if (!p->table[i].hash)
            continue;
        size_t j = p->table[i].hash & (cap - 1);
        while (n[j].hash)
            j = (j + 1) & (cap - 1);
        n[j] = p->table[i];
    }
    ltl__free(p->table);
    p->table = n;
    p->cap = cap;
    return LTL_OK;
}

/* Add (key -> p->rel). */
static int part_post(struct ltl__index_part *p, const unsigned char *key, size_t len)
{
    int rc;
    if ((p->n + 1) * 4 > p->cap * 3 && (rc = table_grow(p)))
        return rc;
    if (p->nnodes >= p->nodes_cap) {
        size_t cap = p->nodes_cap ? p->nodes_cap * 2 : 16384;
        struct pnode *nn = ltl__realloc(p->nodes, cap * sizeof(*nn));
        if (!nn)
            return ltl__errf(LTL_ENOMEM, "out of memory");
        p->nodes = nn;
        p->nodes_cap = cap;
    }
    uint32_t h = (uint32_t)hash_bytes(key, len) | 1;
    struct pkey *e = pkey_find(p, key, len, h);
    if (e->hash == 0) {
        if (p->keys.len + len > UINT32_MAX)
            return ltl__errf(LTL_ENOMEM, "index: a part grew too large");
        if (ltl__buf_append(&p->keys, key, len))
            return ltl__errf(LTL_ENOMEM, "out of memory");
        uint32_t node = (uint32_t)p->nnodes++;
        p->nodes[node] = (struct pnode){p->rel, 0};
        *e = (struct pkey){h, (uint32_t)(p->keys.len - len), (uint32_t)len, node, node};
        p->n++;
        return LTL_OK;
    }
    if (p->nodes[e->last].rel == p->rel)
        return LTL_OK; /* the same value twice in one record: one posting */
    uint32_t node = (uint32_t)p->nnodes++;
    p->nodes[node] = (struct pnode){p->rel, 0};
    p->nodes[e->last].next = node;
    e->last = node;
    return LTL_OK;
}

/* Queue a key of the record being added (slot: its path's cache entry). */
static int rec_key(struct ltl__index_part *p, uint32_t slot, const unsigned char *key, size_t len)
{
    unsigned char hdr[6];
    memcpy(hdr, &slot, 4);
    uint16_t l = (uint16_t)len;
    memcpy(hdr + 4, &l, 2);
    if (ltl__buf_append(&p->rec, hdr, 6) || ltl__buf_append(&p->rec, key, len))
        return ltl__errf(LTL_ENOMEM, "out of memory");
    return LTL_OK;
}

static int on_scalar(void *ctx, const ltl_json_event *ev)
{
    struct ltl__index_part *p = ctx;
    if (ev->type < LTL_JSON_NULL || ev->type > LTL_JSON_STRING)
        return 0; /* containers are not indexed: exists on them scans */
    if (ev->wildcard_len > LTL__INDEX_PATH_MAX)
        return 0;
    uint32_t slot = 0;
    if ((p->rc = part_path(p, ev->wildcard, ev->wildcard_len, &slot)))
        return 1;
    struct pcache *c = &p->paths[slot];
    if (c->skip)
        return 0;
    unsigned char key[5 + LTL__KEY_MAX + 16];
    size_t idlen = vr_put(key, c->id);
    ltl__value v;
    int rc = ltl__value_from_json(&v, ev->type, ev->value, ev->value_len, &p->scratch);
    if (rc == LTL_EINVAL)
        return 0;
    if (rc) {
        p->rc = rc;
        return 1;
    }
    /* the key straight into the stack buffer: an ltl__buf over it, never grown */
    ltl__buf kb = {(char *)key, idlen, sizeof(key)};
    if ((p->rc = ltl__value_key(&kb, &v)))
        return 1;
    if (c->sealed) {
        /* a sealed record's value: its token instead */
        unsigned char token[1 + TOKEN_LEN];
        token_of(p->ix, ev->wildcard, ev->wildcard_len, key + idlen, kb.len - idlen, token);
        memcpy(key + idlen, token, sizeof(token));
        kb.len = idlen + sizeof(token);
    }
    if ((p->rc = rec_key(p, slot, key, kb.len)))
        return 1;
    return 0;
}

/* Move the queued keys of the record into the table. */
static int rec_commit(struct ltl__index_part *p)
{
    const unsigned char *d = (const unsigned char *)p->rec.data;
    for (size_t at = 0; at < p->rec.len;) {
        uint32_t slot;
        uint16_t len;
        memcpy(&slot, d + at, 4);
        memcpy(&len, d + at + 4, 2);
        int rc = part_post(p, d + at + 6, len);
        if (rc)
            return rc;
        struct pcache *c = &p->paths[slot];
        c->count++;
        if (c->seen == (uint64_t)p->rel + 1)
            c->multi = true;
        c->seen = (uint64_t)p->rel + 1;
        at += 6 + (size_t)len;
    }
    p->rec.len = 0;
    return LTL_OK;
}

int ltl__index_part_add(struct ltl__index_part *p, uint64_t rel, const char *topic,
                        size_t topic_len, const void *payload, size_t len, unsigned flags,
                        ltl_json_error *err)
{
    if (p->finished || rel > UINT32_MAX || (p->nnodes > 1 && rel < p->rel))
        return ltl__errf(LTL_EINVAL, "index: records added out of order");
    p->rel = (uint32_t)rel;
    p->cur_sealed = (flags & LTL__INDEX_SEALED) != 0;
    if (p->cur_sealed && (!payload || !p->tokens)) {
        /* its values cannot be indexed here (no plaintext, or no key): its topic is,
         * and the index says it holds records it could not index */
        payload = NULL;
        p->opaque = true;
    }
    int rc = LTL_OK;
    p->rec.len = 0;
    if (payload) {
        /* the payload's keys wait in p->rec until it parsed whole */
        ltl_json_options opts;
        ltl_json_options_init(&opts);
        opts.mode = LTL_JSON_MODE_DOCUMENT;
        opts.flags = LTL_JSON_EMIT_WILDCARD;
        p->rc = LTL_OK;
        rc = ltl_json_parse(payload, len, &opts, on_scalar, p, err);
        if (rc == 1)
            rc = p->rc;
        if (rc) {
            p->rec.len = 0; /* a payload that failed to parse adds nothing */
            return rc;
        }
    }
    if (rel + 1 > p->records)
        p->records = rel + 1;
    /* the topic, under path id 0 */
    unsigned char key[5 + LTL__KEY_MAX + 16];
    size_t idlen = vr_put(key, LTL__INDEX_TOPIC_PATH);
    ltl__buf kb = {(char *)key, idlen, sizeof(key)};
    ltl__value v = {
        LTL_JSON_STRING, topic, topic_len > LTL_TOPIC_MAX ? LTL_TOPIC_MAX : topic_len, {0}};
    rc = ltl__value_key(&kb, &v);
    if (!rc)
        rc = part_post(p, key, kb.len);
    if (!rc)
        rc = rec_commit(p);
    p->rec.len = 0;
    return rc;
}

/* Byte d of a key, -1 past its end (a prefix sorts first). */
static inline int skey_at(const struct skey *k, size_t d)
{
    return d < k->len ? k->key[d] : -1;
}

static inline void skey_swap(struct skey *a, struct skey *b)
{
    struct skey t = *a;
    *a = *b;
    *b = t;
}

/* Sort distinct keys that agree on their first d bytes: multikey quicksort
 * (Bentley and Sedgewick's 3-way radix quicksort), which looks at each
 * byte of a shared prefix (/authors/OL..., /type/...) once per level
 * rather than once per comparison as memcmp in a comparison sort would. */
static void skey_sort(struct skey *a, size_t n, size_t d)
{
    while (n > 1) {
        if (n < 12) {
            for (size_t i = 1; i < n; i++)
                for (size_t j = i; j > 0; j--) {
                    const struct skey *x = &a[j - 1], *y = &a[j];
                    size_t xl = x->len > d ? x->len - d : 0, yl = y->len > d ? y->len - d : 0;
                    if (key_cmp(x->key + d, xl, y->key + d, yl) <= 0)
                        break;
                    skey_swap(&a[j - 1], &a[j]);
                }
            return;
        }
        /* the pivot: the median of three bytes */
        int p0 = skey_at(&a[0], d), p1 = skey_at(&a[n / 2], d), p2 = skey_at(&a[n - 1], d);
        size_t m = (p0 < p1) ? (p1 < p2 ? n / 2 : (p0 < p2 ? n - 1 : 0))
                             : (p0 < p2 ? 0 : (p1 < p2 ? n - 1 : n / 2));
        skey_swap(&a[0], &a[m]);
        int v = skey_at(&a[0], d);
        size_t lt = 0, gt = n - 1, i = 1;
        while (i <= gt) {
            int c = skey_at(&a[i], d);
            if (c < v)
                skey_swap(&a[lt++], &a[i++]);
            else if (c > v)
                skey_swap(&a[i], &a[gt--]);
            else
                i++;
        }
        /* a[0, lt) < v, a[lt, gt] == v, a[gt + 1, n) > v */
        skey_sort(a, lt, d);
        if (v >= 0)
            skey_sort(a + lt, gt - lt + 1, d + 1);
        a += gt + 1;
        n -= gt + 1;
    }
}

int ltl__index_part_finish(struct ltl__index_part *p)
{
    if (p->finished)
        return LTL_OK;
    struct skey *order = NULL;
    int rc = LTL_OK;
    if (p->n) {
        if (!(order = ltl__malloc(p->n * sizeof(*order))))
            return ltl__errf(LTL_ENOMEM, "out of memory");
        size_t k = 0;
        for (size_t i = 0; i < p->cap; i++) {
            const struct pkey *e = &p->table[i];
            if (e->hash)
                order[k++] = (struct skey){(const unsigned char *)p->keys.data + e->key_off,
                                           e->key_len, (uint32_t)i};
        }
        skey_sort(order, k, 0);
    }
    /* the packed size: keys, and per posting a few bytes (measured as we go) */
    if ((rc = ltl__buf_reserve(&p->packed, p->keys.len + p->n * 4 + p->nnodes * 2)))
        goto out;
    for (size_t i = 0; order && i < p->n; i++) {
        const struct pkey *e = &p->table[order[i].slot];
        uint64_t count = 0;
        for (uint32_t node = e->first; node; node = p->nodes[node].next)
            count++;
        /* room for the header and the worst case of the deltas */
        if ((rc = ltl__buf_reserve(&p->packed, 2 + e->key_len + 10 + count * 5)))
            goto out;
        unsigned char *d = (unsigned char *)p->packed.data + p->packed.len;
        size_t at = 0;
        uint16_t kl = (uint16_t)e->key_len;
        memcpy(d, &kl, 2);
        memcpy(d + 2, p->keys.data + e->key_off, e->key_len);
        at = 2 + e->key_len;
        at += leb_put(d + at, count);
        uint32_t prev = 0;
        for (uint32_t node = e->first; node; node = p->nodes[node].next) {
            at += leb_put(d + at, (uint64_t)(p->nodes[node].rel - prev));
            prev = p->nodes[node].rel;
        }
        p->packed.len += at;
    }
    p->npacked = p->n;
    /* the values per path, for the dictionary's counts */
    size_t used = 0;
    for (size_t i = 0; i < p->paths_n; i++)
        used += !p->paths[i].skip && p->paths[i].count;
    if (used && !(p->counts = ltl__malloc(used * 2 * sizeof(*p->counts)))) {
        rc = ltl__errf(LTL_ENOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < p->paths_n; i++) {
        const struct pcache *c = &p->paths[i];
        if (!c->skip && c->count) {
            p->counts[2 * p->ncounts] = c->id;
            p->counts[2 * p->ncounts + 1] = c->count | (c->multi ? PATH_MULTI : 0);
            p->ncounts++;
        }
    }
    p->finished = true;
    part_free_building(p);
out:
    ltl__free(order);
    return rc;
}

/* ---- committing ----------------------------------------------------------------------- */

/* A reader over one finished part's packed keys. */
struct pcur {
    const unsigned char *at, *end;
    const unsigned char *key; /* the current key */
    size_t key_len;
    uint64_t count;
    const unsigned char *seqs; /* its deltas */
    uint64_t base;
    size_t index; /* of the part: ties go to the earlier part (lower seqs) */
};

/* Load the next key; false at the end. */
static bool pcur_next(struct pcur *c)
{
    if (c->at >= c->end)
        return false;
    uint16_t kl;
    memcpy(&kl, c->at, 2);
    c->key = c->at + 2;
    c->key_len = kl;
    const unsigned char *p = c->key + kl;
    p += leb_get(p, (size_t)(c->end - p), &c->count);
    c->seqs = p;
    /* skip the deltas */
    for (uint64_t i = 0; i < c->count; i++) {
        while (*p & 0x80)
            p++;
        p++;
    }
    c->at = p;
    return true;
}

static bool pcur_less(const struct pcur *a, const struct pcur *b)
{
    int c = key_cmp(a->key, a->key_len, b->key, b->key_len);
    return c < 0 || (c == 0 && a->index < b->index);
}

static void heap_down(struct pcur **h, size_t n, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < n && pcur_less(h[l], h[m]))
            m = l;
        if (r < n && pcur_less(h[r], h[m]))
            m = r;
        if (m == i)
            return;
        struct pcur *t = h[i];
        h[i] = h[m];
        h[m] = t;
        i = m;
    }
}

/* How the merged postings of a commit go out. */
enum write_mode {
    W_APPEND,    /* a fresh run: keys above every key there, MDB_APPEND */
    W_UPSERT,    /* the active run: each value's last block extended, new blocks inserted */
    W_CHECK,     /* verify: compared with the run's entries, nothing written */
    W_PREFLIGHT, /* the reads of W_UPSERT over the committed pages (checked whole) */
};

struct ltl__index_check;
static int check_block(struct ltl__index_check *c, const unsigned char *key, size_t klen,
                       const unsigned char *block, size_t blen, uint64_t postings);

/* The commit in progress (or the check of a run). */
struct writing {
    struct ltl__index *ix;
    struct ltl__index_check *chk; /* W_CHECK */
    MDB_txn *txn;
    struct ccur cc; /* on the postings */
    const struct run *run;
    enum write_mode mode;
    uint64_t added; /* entries added to the run */
    unsigned char key[KEY_MAX];
    size_t run_len; /* bytes of vr(run id) at the start of key */
    /* the key of the entry before the next one written (pred_len 0 and !have_pred: none) */
    unsigned char pred[ANY_KEY_MAX];
    size_t pred_len;
    bool have_pred;
    ltl__buf val; /* a value being written */
    /* the value being written */
    size_t prefix_len; /* run id + part key */
    bool have_block;
    bool block_existed;     /* the block was read from the run (upsert): putting it adds nothing */
    bool inserted;          /* upsert: a new key went in before succ */
    struct entry_copy succ; /* upsert: the entry after the value's blocks */
    uint64_t block_first, last, block_postings;
    unsigned char block[LTL__INDEX_BLOCK + 16];
    size_t block_len;
};

static void pred_set(struct writing *w, const void *key, size_t len)
{
    memcpy(w->pred, key, len);
    w->pred_len = len;
    w->have_pred = true;
}

static int put_block(struct writing *w)
{
    put_be32(w->key + w->prefix_len, (uint32_t)(w->block_first - w->run->base));
    size_t klen = w->prefix_len + 4;
    if (w->mode == W_CHECK) {
        int rc = check_block(w->chk, w->key, klen, w->block, w->block_len, w->block_postings);
        w->block_existed = false;
        return rc;
    }
    if (w->mode == W_PREFLIGHT) {
        w->block_existed = false;
        return LTL_OK;
    }
    MDB_val pk = {w->pred_len, w->pred};
    int rc = make_value(&w->val, TAG_POST, w->have_pred ? &pk : NULL, w->key, klen, w->block,
                        w->block_len);
    if (rc)
        return rc;
    MDB_val k = {klen, w->key}, v = {w->val.len, w->val.data};
    int mrc = w->mode == W_APPEND ? mdb_cursor_put(w->cc.cur, &k, &v, MDB_APPEND)
                                  : mdb_put(w->txn, w->ix->post, &k, &v, 0);
    if (mrc)
        return mdb_error(w->ix, mrc, "write postings");
    if (!w->block_existed) {
        w->added++;
        w->inserted = true;
    }
    w->block_existed = false;
    pred_set(w, w->key, klen);
    return LTL_OK;
}

/* Decode a block's deltas from first: the last seq, and how many postings. */
static bool block_decode(const unsigned char *b, size_t len, uint64_t first, uint64_t *last,
                         uint64_t *postings)
{
    uint64_t seq = first, n = 1;
    for (size_t pos = 0; pos < len;) {
        uint64_t d;
        size_t k = leb_get(b + pos, len - pos, &d);
        if (!k || d == 0 || seq + d < seq)
            return false;
        seq += d;
        pos += k;
        n++;
    }
    *last = seq;
    *postings = n;
    return true;
}

/* Start the value of part key (key, len): in upsert mode, find where its blocks
 * end and load its last block. */
static int value_begin(struct writing *w, const unsigned char *key, size_t len)
{
    memcpy(w->key + w->run_len, key, len);
    w->prefix_len = w->run_len + len;
    w->have_block = false;
    w->block_existed = false;
    w->inserted = false;
    w->block_len = 0;
    if (w->mode != W_UPSERT && w->mode != W_PREFLIGHT)
        return LTL_OK;
    /* the entry after the value's blocks: the first key above prefix + FF FF FF FF */
    memset(w->key + w->prefix_len, 0xff, 4);
    int rc = cc_seek(&w->cc, w->key, w->prefix_len + 4);
    if (rc)
        return rc;
    entry_copy_set(&w->succ, &w->cc.k, &w->cc.v, &rc);
    if (rc)
        return rc;
    const MDB_val *p = &w->cc.prev_k;
    w->have_pred = false;
    w->pred_len = 0;
    if (p->mv_data && p->mv_size == w->prefix_len + 4 &&
        memcmp(p->mv_data, w->key, w->prefix_len) == 0) {
        /* the value's last block: verified with the entry before it, then extended */
        if ((rc = cc_back(&w->cc)))
            return rc;
        uint64_t postings;
        if (w->cc.v.mv_size > LTL__INDEX_BLOCK ||
            !block_decode(w->cc.v.mv_data, w->cc.v.mv_size,
                          w->run->base + get_be32((unsigned char *)w->cc.k.mv_data + w->prefix_len),
                          &w->last, &postings))
            return damaged(w->ix, "postings: a block of the active run does not decode");
        w->block_first = w->run->base + get_be32((unsigned char *)w->cc.k.mv_data + w->prefix_len);
        memcpy(w->block, w->cc.v.mv_data, w->cc.v.mv_size);
        w->block_len = w->cc.v.mv_size;
        w->have_block = w->block_existed = true;
        if (w->cc.prev_k.mv_data)
            pred_set(w, w->cc.prev_k.mv_data, w->cc.prev_k.mv_size);
    } else if (p->mv_data) {
        pred_set(w, p->mv_data, p->mv_size);
    }
    return LTL_OK;
}

static int value_add(struct writing *w, uint64_t seq)
{
    if (w->have_block && seq <= w->last)
        return LTL_OK; /* indexed already */
    if (!w->have_block || w->block_len + 10 > LTL__INDEX_BLOCK) {
        if (w->have_block) {
            int rc = put_block(w);
            if (rc)
                return rc;
        }
        w->have_block = true;
        w->block_first = w->last = seq;
        w->block_len = 0;
        w->block_postings = 1;
        return LTL_OK;
    }
    w->block_len += leb_put(w->block + w->block_len, seq - w->last);
    w->last = seq;
    w->block_postings++;
    return LTL_OK;
}

static int value_end(struct writing *w)
{
    int rc = w->have_block ? put_block(w) : LTL_OK;
    if (rc || w->mode != W_UPSERT || !w->inserted)
        return rc;
    /* new keys went in before the entry after the value: link it to the last */
    MDB_val k = {w->succ.klen, w->succ.key}, pk = {w->pred_len, w->pred};
    if ((rc = make_value(&w->val, TAG_POST, &pk, w->succ.key, w->succ.klen, w->succ.payload.data,
                         w->succ.payload.len)))
        return rc;
    MDB_val v = {w->val.len, w->val.data};
    int mrc = mdb_put(w->txn, w->ix->post, &k, &v, 0);
    return mrc ? mdb_error(w->ix, mrc, "write postings") : LTL_OK;
}

/* The k-way merge of the parts into the run. */
static int write_parts(struct writing *w, struct ltl__index_part *const *parts, size_t n)
{
    struct pcur *curs = ltl__calloc(n ? n : 1, sizeof(*curs));
    struct pcur **heap = ltl__calloc(n ? n : 1, sizeof(*heap));
    int rc = LTL_OK;
    if (!curs || !heap) {
        rc = ltl__errf(LTL_ENOMEM, "out of memory");
        goto out;
    }
    size_t hn = 0;
    for (size_t i = 0; i < n; i++) {
        curs[i] = (struct pcur){(const unsigned char *)parts[i]->packed.data,
                                (const unsigned char *)parts[i]->packed.data + parts[i]->packed.len,
                                NULL,
                                0,
                                0,
                                NULL,
                                parts[i]->base,
                                i};
        if (pcur_next(&curs[i]))
            heap[hn++] = &curs[i];
    }
    for (size_t i = hn / 2; i-- > 0;)
        heap_down(heap, hn, i);
    const unsigned char *cur_key = NULL;
    size_t cur_len = 0;
    while (hn && rc == LTL_OK) {
        struct pcur *c = heap[0];
        if (!cur_key || key_cmp(cur_key, cur_len, c->key, c->key_len) != 0) {
            if (cur_key && (rc = value_end(w)))
                break;
            cur_key = c->key;
            cur_len = c->key_len;
            if ((rc = value_begin(w, c->key, c->key_len)))
                break;
        }
        uint64_t seq = c->base;
        const unsigned char *p = c->seqs;
        for (uint64_t i = 0; i < c->count && rc == LTL_OK; i++) {
            uint64_t d = 0;
            p += leb_get(p, 10, &d);
            seq += d;
            rc = value_add(w, seq);
        }
        if (pcur_next(c))
            heap_down(heap, hn, 0);
        else {
            heap[0] = heap[--hn];
            heap_down(heap, hn, 0);
        }
    }
    if (rc == LTL_OK && cur_key)
        rc = value_end(w);
out:
    ltl__free(curs);
    ltl__free(heap);
    return rc;
}

/* A path entry to write with a commit (taken from the dictionary under its lock,
 * written after). */
struct path_write {
    uint32_t id;
    struct path_info info; /* path copied into name */
    uint64_t count_and_multi;
    char *name;
};

struct commit_args {
    struct ltl__index *ix;
    struct ltl__index_part *const *parts;
    size_t n;
    uint64_t new_hwm;
    struct run *run;
    bool append;
    bool capped, opaque;
    struct path_write *pw;
    size_t npw;
    struct writing *w;
};

/* Inside the guard: one attempt at the commit. */
static int commit_txn(void *arg)
{
    struct commit_args *a = arg;
    struct ltl__index *ix = a->ix;
    struct writing *w = a->w;
    int rc = LTL_OK, mrc;
    if ((rc = cc_open(&w->cc, ix, w->txn, NULL, TAG_POST)))
        return rc;
    if (w->mode == W_APPEND) {
        /* the run's keys go after every key there: take the sentinel off the end (linked
         * to the last entry, which comes before the run's first) and put it back after */
        if ((rc = cc_seek(&w->cc, sentinel, 1)))
            return rc;
        if (!w->cc.end)
            return damaged(ix, "postings: an entry after the sentinel");
        if (w->cc.prev_k.mv_data)
            pred_set(w, w->cc.prev_k.mv_data, w->cc.prev_k.mv_size);
        if ((mrc = mdb_cursor_del(w->cc.cur, 0)))
            return mdb_error(ix, mrc, "write postings");
    }
    if ((rc = write_parts(w, a->parts, a->n)))
        return rc;
    if (w->mode == W_APPEND) {
        MDB_val pk = {w->pred_len, w->pred};
        if ((rc = make_value(&w->val, TAG_POST, w->have_pred ? &pk : NULL, sentinel, 1, "", 0)))
            return rc;
        MDB_val k = {1, (void *)sentinel}, v = {w->val.len, w->val.data};
        if ((mrc = mdb_cursor_put(w->cc.cur, &k, &v, MDB_APPEND)))
            return mdb_error(ix, mrc, "write postings");
    }
    /* the paths whose counts changed */
    ltl__buf val = {0};
    for (size_t i = 0; i < a->npw && rc == LTL_OK; i++) {
        struct path_write *p = &a->pw[i];
        unsigned char kbuf[ANY_KEY_MAX];
        MDB_val k = path_key(ix, kbuf, p->name, p->info.len, p->info.sealed);
        if ((rc = path_payload(ix, &val, &k, &p->info, p->id, p->count_and_multi)) == LTL_OK)
            rc = cput(ix, w->txn, TAG_PATHS, k.mv_data, k.mv_size, val.data, val.len);
    }
    ltl__buf_free(&val);
    if (rc)
        return rc;
    struct run r = *a->run;
    r.end = a->new_hwm;
    r.entries += w->added;
    if ((rc = run_put(ix, w->txn, &r)) || (rc = meta_put_u64(ix, w->txn, "hwm", a->new_hwm)) ||
        (a->capped && (rc = meta_put_u64(ix, w->txn, "capped", 1))) ||
        (a->opaque && (rc = meta_put_u64(ix, w->txn, "opaque", 1))))
        return rc;
    w->cc.cur = NULL; /* a write transaction's cursor goes with it */
    mrc = mdb_txn_commit(w->txn);
    w->txn = NULL;
    if (mrc)
        return mdb_error(ix, mrc, "commit");
    *a->run = r;
    return LTL_OK;
}

/* In write transaction txn, before it writes: read, with our page reader and
 * every node of each page checked, the pages LMDB will read and change in it
 * (the last commit's: the only writer sees it there): its free list and
 * main database (changed by every commit), meta, the paths entries written,
 * and the postings' pages the writing seeks (the end, and the leaf before it
 * which a deletion there may merge with; or each value's place in the active
 * run). LMDB then only ever touches pages whose every field is sane. */
static int preflight(struct commit_args *a, MDB_txn *txn)
{
    struct ltl__index *ix = a->ix;
    struct pr_view view = {0};
    struct writing *w = NULL;
    int rc = pr_view_begin(&view, ix, txn, true);
    view.full = true;
    if (rc == LTL_ENOTFOUND)
        rc = damaged(ix, "its databases are gone");
    if (rc == LTL_OK && !(rc = pr_walk_all(&view, &view.free_db, true)) &&
        !(rc = pr_walk_all(&view, &view.main_db, false)))
        rc = pr_walk_all(&view, &view.meta, false);
    struct ccur c;
    if (rc == LTL_OK && (rc = cc_open(&c, ix, NULL, &view, TAG_PATHS)) == LTL_OK) {
        for (size_t i = 0; i < a->npw && rc == LTL_OK; i++) {
            unsigned char kbuf[ANY_KEY_MAX];
            MDB_val k = path_key(ix, kbuf, a->pw[i].name, a->pw[i].info.len, a->pw[i].info.sealed);
            rc = cc_seek(&c, k.mv_data, k.mv_size);
        }
    }
    if (rc == LTL_OK && !(w = ltl__calloc(1, sizeof(*w))))
        rc = ltl__errf(LTL_ENOMEM, "out of memory");
    if (rc == LTL_OK && w && (rc = cc_open(&w->cc, ix, NULL, &view, TAG_POST)) == LTL_OK) {
        w->ix = ix;
        w->run = a->run;
        w->run_len = vr_put(w->key, a->run->id);
        if (a->append) {
            /* the end, and the leaf before the one it is on */
            if ((rc = cc_seek(&w->cc, sentinel, 1)) == LTL_OK) {
                const unsigned char *leaf = w->cc.pr.st[w->cc.pr.top].page;
                MDB_val k, v;
                int mrc;
                while ((mrc = cc_get(&w->cc, &k, &v, MDB_PREV)) == 0 &&
                       w->cc.pr.st[w->cc.pr.top].page == leaf)
                    ;
                if (mrc && mrc != MDB_NOTFOUND)
                    rc = mrc;
            }
        } else {
            w->mode = W_PREFLIGHT;
            rc = write_parts(w, a->parts, a->n);
        }
    }
    if (w)
        ltl__buf_free(&w->succ.payload);
    ltl__free(w);
    pr_view_end(&view);
    return rc;
}

/* One attempt at the commit; *out_mrc: the LMDB code of a failure. */
static int commit_once(struct commit_args *a, int *out_mrc)
{
    struct writing *w = ltl__calloc(1, sizeof(*w));
    if (!w)
        return ltl__errf(LTL_ENOMEM, "out of memory");
    w->ix = a->ix;
    w->run = a->run;
    w->mode = a->append ? W_APPEND : W_UPSERT;
    w->run_len = vr_put(w->key, a->run->id);
    a->w = w;
    last_mdb_rc = 0;
    /* the preflight reads in the write transaction, before it writes: the only
     * writer, it sees the last commit (and leaves no reader in the lock file) */
    int mrc = mdb_txn_begin(a->ix->env, NULL, 0, &w->txn);
    int rc = mrc ? mdb_error(a->ix, mrc, "begin") : preflight(a, w->txn);
    if (mrc)
        w->txn = NULL;
    if (rc == LTL_OK)
        rc = commit_txn(a);
    if (w->txn)
        mdb_txn_abort(w->txn); /* and its cursors */
    *out_mrc = rc ? last_mdb_rc : 0;
    ltl__buf_free(&w->val);
    ltl__buf_free(&w->succ.payload);
    ltl__free(w);
    a->w = NULL;
    return rc;
}

/* Apply (ok) or drop the pending counts of a commit. */
static void counts_settle(struct ltl__index *ix, bool ok)
{
    struct dict *d = &ix->dict;
    pthread_mutex_lock(&d->mu);
    for (size_t id = 0; id < d->by_id_cap; id++) {
        struct path_info *e = &d->by_id[id];
        if (!e->path)
            continue;
        if (ok && e->dirty && e->count + e->pending > 0) {
            e->count += e->pending;
            e->multi |= e->multi_pending;
            e->dirty = false;
        }
        e->pending = 0; /* on a failure the records are added again */
        e->multi_pending = false;
    }
    pthread_mutex_unlock(&d->mu);
}

/* The paths entries a commit writes: those whose counts changed. */
static int paths_to_write(struct ltl__index *ix, struct path_write **out, size_t *n, bool *capped)
{
    struct dict *d = &ix->dict;
    *out = NULL;
    *n = 0;
    int rc = LTL_OK;
    pthread_mutex_lock(&d->mu);
    *capped = d->capped;
    size_t cap = 0;
    for (size_t id = 0; id < d->by_id_cap; id++) {
        const struct path_info *e = &d->by_id[id];
        if (!e->path || !e->dirty || e->count + e->pending == 0)
            continue;
        if (*n == cap) {
            cap = cap ? cap * 2 : 64;
            struct path_write *nw = ltl__realloc(*out, cap * sizeof(*nw));
            if (!nw) {
                rc = ltl__errf(LTL_ENOMEM, "out of memory");
                break;
            }
            *out = nw;
        }
        struct path_write *p = &(*out)[*n];
        p->id = (uint32_t)id;
        p->info = *e;
        p->count_and_multi =
            (e->count + e->pending) | (e->multi || e->multi_pending ? PATH_MULTI : 0);
        if (!(p->name = ltl__strndup(e->path, e->len))) {
            rc = ltl__errf(LTL_ENOMEM, "out of memory");
            break;
        }
        p->info.path = p->name;
        ++*n;
    }
    pthread_mutex_unlock(&d->mu);
    return rc;
}

int ltl__index_commit(struct ltl__index *ix, struct ltl__index_part *const *parts, size_t n,
                      uint64_t new_hwm, bool new_run)
{
    /* the parts must continue the index, without gaps or overlaps */
    uint64_t at = ix->hwm;
    bool opaque = false;
    for (size_t i = 0; i < n; i++) {
        if (!parts[i]->finished || parts[i]->base != at)
            return ltl__errf(LTL_EINVAL, "index: a part starts at seq %llu, the index at %llu",
                             (unsigned long long)parts[i]->base, (unsigned long long)at);
        at += parts[i]->records;
        opaque |= parts[i]->opaque;
    }
    if (at != new_hwm)
        return ltl__errf(LTL_EINVAL, "index: the parts end at seq %llu, not %llu",
                         (unsigned long long)at, (unsigned long long)new_hwm);
    if (new_hwm == ix->hwm)
        return LTL_OK;
    /* the run to write into */
    struct run *last = ix->nruns ? &ix->runs[ix->nruns - 1] : NULL;
    bool fresh = new_run || !last || last->sealed || last->entries >= RUN_FULL_ENTRIES ||
                 new_hwm - last->base > RUN_MAX_SPAN;
    struct run run;
    if (fresh) {
        run = (struct run){last ? last->id + 1 : 1, ix->hwm, ix->hwm, 0, new_run};
    } else {
        run = *last;
    }
    /* a run spans at most RUN_MAX_SPAN seqs: a bigger commit is refused (callers chunk) */
    if (new_hwm - run.base > RUN_MAX_SPAN)
        return ltl__errf(LTL_EINVAL, "index: a commit of %llu records is too large",
                         (unsigned long long)(new_hwm - ix->hwm));
    bool append = fresh || run.entries == 0;
    int rc = LTL_OK;
    struct dict *d = &ix->dict;
    pthread_mutex_lock(&d->mu);
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < parts[i]->ncounts; k++) {
            uint64_t id = parts[i]->counts[2 * k];
            if (id < d->by_id_cap && d->by_id[id].path) {
                uint64_t c = parts[i]->counts[2 * k + 1];
                d->by_id[id].pending += c & ~PATH_MULTI;
                d->by_id[id].multi_pending |= (c & PATH_MULTI) != 0;
                d->by_id[id].dirty = true;
            }
        }
    pthread_mutex_unlock(&d->mu);
    struct commit_args a = {ix,   parts, n,   new_hwm, NULL, append, false, opaque && !ix->opaque,
                            NULL, 0,     NULL};
    rc = paths_to_write(ix, &a.pw, &a.npw, &a.capped);
    for (int attempt = 0; rc == LTL_OK; attempt++) {
        int mrc = 0;
        struct run r = run;
        a.run = &r;
        rc = commit_once(&a, &mrc);
        if (rc == LTL_OK)
            run = r;
        if (mrc != MDB_MAP_FULL || attempt == 8)
            break;
        /* the map is full: grow it and write the commit again */
        MDB_envinfo info;
        mdb_env_info(ix->env, &info);
        if ((mrc = mdb_env_set_mapsize(ix->env, info.me_mapsize * 2))) {
            rc = mrc == EINVAL
                     ? ltl__errf(LTL_ETIMEOUT, "index: the map is full and cannot grow while "
                                               "queries read it; retrying later")
                     : mdb_error(ix, mrc, "grow the map");
            break;
        }
        ltl__err_restate();
        ltl__log(ix->log, LTL_LOG_DEBUG, "index: map grown to %zu MiB",
                 (size_t)(info.me_mapsize * 2) >> 20);
    }
    for (size_t i = 0; i < a.npw; i++)
        ltl__free(a.pw[i].name);
    ltl__free(a.pw);
    counts_settle(ix, rc == LTL_OK);
    if (rc)
        return rc;
    keep_slack(ix);
    ix->opaque |= opaque;
    if (fresh) {
        if (ix->nruns == ix->runs_cap) {
            size_t c = ix->runs_cap ? ix->runs_cap * 2 : 16;
            struct run *nr = ltl__realloc(ix->runs, c * sizeof(*nr));
            if (!nr) {
                /* committed: only the writer's memory of it is short. Reload later */
                return ltl__errf(LTL_ENOMEM, "out of memory");
            }
            ix->runs = nr;
            ix->runs_cap = c;
        }
        ix->runs[ix->nruns++] = run;
    } else {
        ix->runs[ix->nruns - 1] = run;
    }
    ix->hwm = new_hwm;
    return LTL_OK;
}

/* ---- reading ------------------------------------------------------------------------ */

struct ltl__index_snap {
    struct ltl__index *ix;
    MDB_txn *txn;        /* keeps the snapshot's pages from being reused */
    struct pr_view view; /* which we read ourselves */
    struct meta m;       /* hwm, runs, marks, as of the snapshot */
    int values;          /* LTL__INDEX_VALUES_* */
    /* cursors kept with the snapshot (a guarded call that fails leaves them here) */
    struct ccur post, paths;
};

bool ltl__index_path_indexed(const struct ltl__index_snap *s, const char *path, size_t len)
{
    return len <= LTL__INDEX_PATH_MAX && path_allowed(s->ix->patterns, path);
}

bool ltl__index_snap_capped(const struct ltl__index_snap *s)
{
    return s->m.capped;
}

int ltl__index_snap_values(const struct ltl__index_snap *s)
{
    return s->values;
}

bool ltl__index_snap_sealed(const struct ltl__index_snap *s)
{
    return s->m.have_token_key || s->m.opaque;
}

int ltl__index_snap_begin(struct ltl__index_snap **out, struct ltl__index *ix)
{
    struct ltl__index_snap *s = ltl__calloc(1, sizeof(*s));
    *out = NULL;
    if (!s)
        return ltl__errf(LTL_ENOMEM, "out of memory");
    s->ix = ix;
    /* no LMDB code reads a page from here on: no guard needed */
    int rc = read_begin(ix, &s->txn, &s->view, false);
    if (rc == LTL_ENOTFOUND)
        rc = damaged(ix, "its databases are gone");
    if (rc == LTL_OK && (rc = meta_read(ix, &s->view, &s->m)) == LTL_OK &&
        (!s->m.have_version || s->m.version != LTL__INDEX_VERSION))
        rc = damaged(ix, "meta: the version changed");
    if (rc) {
        ltl__index_snap_end(s);
        return rc;
    }
    const struct meta *m = &s->m;
    s->values = !ix->have_key                                     ? LTL__INDEX_VALUES_PLAIN
                : m->have_token_key && m->token_key == ix->key_id ? LTL__INDEX_VALUES_TOKENS
                : !m->have_token_key && !m->opaque                ? LTL__INDEX_VALUES_PLAIN
                                                                  : LTL__INDEX_VALUES_NONE;
    *out = s;
    return LTL_OK;
}

void ltl__index_snap_end(struct ltl__index_snap *s)
{
    if (!s)
        return;
    cc_close(&s->post);
    cc_close(&s->paths);
    if (s->txn)
        mdb_txn_abort(s->txn);
    meta_free(&s->m);
    ltl__free(s);
}

uint64_t ltl__index_snap_hwm(const struct ltl__index_snap *s)
{
    return s->m.hwm;
}

size_t ltl__index_snap_runs(const struct ltl__index_snap *s)
{
    return s->m.nruns;
}

uint64_t ltl__index_snap_paths(const struct ltl__index_snap *s)
{
    MDB_stat st;
    /* every entry is a path, but the sentinel */
    return mdb_stat(s->txn, s->ix->paths, &st) == 0 && st.ms_entries ? st.ms_entries - 1 : 0;
}

/* A cursor of the snapshot, opened on first use. */
static int snap_cursor(struct ltl__index_snap *s, struct ccur *c, unsigned char tag)
{
    return c->paged ? LTL_OK : cc_open(c, s->ix, s->txn, &s->view, tag);
}

struct lookup_args {
    struct ltl__index_snap *s;
    const char *path;
    size_t len;
    struct ltl__index_path *out;
};

/* The entry of one path (plain or sealed) in the paths database, if any. */
static int lookup_one(struct ltl__index_snap *s, const char *path, size_t len, bool sealed,
                      uint32_t *id, bool *multi)
{
    unsigned char kbuf[ANY_KEY_MAX];
    MDB_val k = path_key(s->ix, kbuf, path, len, sealed);
    int rc = cc_seek(&s->paths, k.mv_data, k.mv_size);
    if (rc || s->paths.k.mv_size != k.mv_size || memcmp(s->paths.k.mv_data, kbuf, k.mv_size) != 0)
        return rc; /* not there: the entry found and the one before enclose it */
    bool was_sealed, m;
    uint64_t count;
    ltl__buf name = {0};
    rc =
        path_entry_read(s->ix, &s->paths.k, &s->paths.v, false, &was_sealed, id, &count, &m, &name);
    *multi |= m;
    return rc;
}

static int lookup_txn(void *arg)
{
    struct lookup_args *a = arg;
    int rc = snap_cursor(a->s, &a->s->paths, TAG_PATHS);
    if (rc == LTL_OK)
        rc = lookup_one(a->s, a->path, a->len, false, &a->out->plain, &a->out->multi);
    if (rc == LTL_OK && a->s->values == LTL__INDEX_VALUES_TOKENS)
        rc = lookup_one(a->s, a->path, a->len, true, &a->out->sealed, &a->out->multi);
    return rc;
}

int ltl__index_path_lookup(struct ltl__index_snap *s, const char *path, size_t len,
                           struct ltl__index_path *out)
{
    *out = (struct ltl__index_path){LTL__INDEX_NO_PATH, LTL__INDEX_NO_PATH, false};
    if (len > LTL__INDEX_PATH_MAX)
        return LTL_OK; /* never indexed */
    struct lookup_args a = {s, path, len, out};
    return lookup_txn(&a);
}

int ltl__index_token_key(const struct ltl__index_snap *s, const char *path, size_t len,
                         const void *vkey, size_t vkey_len, ltl__buf *out)
{
    if (s->values != LTL__INDEX_VALUES_TOKENS || len > LTL__INDEX_PATH_MAX ||
        vkey_len > LTL__KEY_MAX)
        return ltl__errf(LTL_EINVAL, "index: no token for this value");
    unsigned char token[1 + TOKEN_LEN];
    token_of(s->ix, path, len, vkey, vkey_len, token);
    return ltl__buf_append(out, token, sizeof(token)) ? ltl__errf(LTL_ENOMEM, "out of memory")
                                                      : LTL_OK;
}

/* The lookup of one run: the walk starts on a verified entry with a verified one
 * before it, every step is verified, and it ends on a verified entry past the
 * range, so it sees exactly the entries the writer wrote there. */
struct scan_args {
    struct ltl__index_snap *s;
    uint32_t path;
    const void *key_lo, *key_hi;
    size_t lo_len, hi_len;
    bool lo_incl, hi_incl;
    uint64_t seq_lo, seq_hi, limit, emitted;
    ltl__index_seq_fn fn;
    void *ctx;
    const struct run *run;
};

static int scan_run(struct scan_args *a)
{
    struct ccur *c = &a->s->post;
    const struct run *run = a->run;
    unsigned char start[KEY_MAX];
    size_t plen = vr_put(start, run->id);
    plen += vr_put(start + plen, a->path);
    size_t start_len = plen;
    bool equality = a->key_lo && a->key_hi && a->lo_len == a->hi_len &&
                    memcmp(a->key_lo, a->key_hi, a->lo_len) == 0;
    if (a->key_lo) {
        memcpy(start + plen, a->key_lo, a->lo_len);
        start_len += a->lo_len;
        if (equality) {
            /* start at the block holding seq_lo */
            uint64_t off = a->seq_lo > run->base ? a->seq_lo - run->base : 0;
            put_be32(start + start_len, off > UINT32_MAX ? UINT32_MAX : (uint32_t)off);
            start_len += 4;
        }
    }
    int rc = cc_seek(c, start, start_len);
    if (rc)
        return rc;
    size_t vkey_len = plen + a->lo_len; /* an equality's key length without the offset */
    if (equality && c->prev_k.mv_data && c->prev_k.mv_size == vkey_len + 4 &&
        memcmp(c->prev_k.mv_data, start, vkey_len) == 0 && (rc = cc_back(c)))
        return rc; /* the block before may hold seq_lo */
    char hex[40];
    for (; !c->end; rc = cc_next(c)) {
        if (rc)
            return rc;
        const unsigned char *kd = c->k.mv_data;
        if (c->k.mv_size < plen + 4 || memcmp(kd, start, plen) != 0)
            break;
        const unsigned char *vk = kd + plen;
        size_t vlen = c->k.mv_size - plen - 4;
        if (a->key_lo) {
            int cmp = key_cmp(vk, vlen, a->key_lo, a->lo_len);
            if (cmp < 0 || (cmp == 0 && !a->lo_incl))
                continue;
        }
        if (a->key_hi) {
            int cmp = key_cmp(vk, vlen, a->key_hi, a->hi_len);
            if (cmp > 0 || (cmp == 0 && !a->hi_incl))
                break;
        }
        uint64_t seq = run->base + get_be32(kd + plen + vlen);
        if (seq >= run->end)
            return damaged(a->s->ix, "postings: entry %s lies outside its run",
                           key_hex(hex, sizeof(hex), kd, c->k.mv_size));
        if (seq > a->seq_hi) {
            if (equality)
                break;
            continue; /* this value's later blocks are past the range too */
        }
        const unsigned char *p = c->v.mv_data;
        if (seq >= a->seq_lo) {
            if ((rc = a->fn(a->ctx, seq)))
                return rc;
            if (a->limit && ++a->emitted >= a->limit)
                return LTL_DONE;
        }
        for (size_t pos = 0; pos < c->v.mv_size;) {
            uint64_t d;
            size_t n = leb_get(p + pos, c->v.mv_size - pos, &d);
            if (!n || d == 0 || seq + d >= run->end)
                return damaged(a->s->ix, "postings: the block of entry %s does not decode",
                               key_hex(hex, sizeof(hex), kd, c->k.mv_size));
            pos += n;
            seq += d;
            if (seq < a->seq_lo)
                continue;
            if (seq > a->seq_hi)
                break;
            if ((rc = a->fn(a->ctx, seq)))
                return rc;
            if (a->limit && ++a->emitted >= a->limit)
                return LTL_DONE;
        }
    }
    return rc;
}

static int scan_txn(void *arg)
{
    struct scan_args *a = arg;
    int rc = snap_cursor(a->s, &a->s->post, TAG_POST);
    for (size_t i = 0; i < a->s->m.nruns && rc == LTL_OK; i++) {
        const struct run *r = &a->s->m.runs[i];
        if (r->end <= a->seq_lo || r->base > a->seq_hi || r->end == r->base)
            continue;
        a->run = r;
        rc = scan_run(a);
    }
    return rc;
}

int ltl__index_scan(struct ltl__index_snap *s, uint32_t path, const void *key_lo, size_t lo_len,
                    bool lo_incl, const void *key_hi, size_t hi_len, bool hi_incl, uint64_t seq_lo,
                    uint64_t seq_hi, uint64_t limit, ltl__index_seq_fn fn, void *ctx)
{
    if (lo_len > LTL__KEY_MAX || hi_len > LTL__KEY_MAX)
        return ltl__errf(LTL_EINVAL, "index: a lookup key is too long");
    struct scan_args a = {s,      path,   key_lo, key_hi, lo_len, hi_len, lo_incl, hi_incl,
                          seq_lo, seq_hi, limit,  0,      fn,     ctx,    NULL};
    return scan_txn(&a);
}

/* ---- the list of paths ------------------------------------------------------------ */

struct path_item {
    char *path;
    size_t len;
    uint64_t count;
};

static int path_item_cmp(const void *a, const void *b)
{
    const struct path_item *x = a, *y = b;
    return key_cmp(x->path, x->len, y->path, y->len);
}

struct paths_args {
    struct ltl__index_snap *s;
    const char *prefix;
    size_t prefix_len;
    struct path_item *items;
    size_t n, cap;
};

static int paths_add(struct paths_args *a, const char *path, size_t len, uint64_t count)
{
    if (a->n == a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 64;
        struct path_item *ni = ltl__realloc(a->items, cap * sizeof(*ni));
        if (!ni)
            return ltl__errf(LTL_ENOMEM, "out of memory");
        a->items = ni;
        a->cap = cap;
    }
    if (!(a->items[a->n].path = ltl__strndup(path, len)))
        return ltl__errf(LTL_ENOMEM, "out of memory");
    a->items[a->n].len = len;
    a->items[a->n].count = count;
    a->n++;
    return LTL_OK;
}

static int paths_txn(void *arg)
{
    struct paths_args *a = arg;
    struct ccur *c = &a->s->paths;
    int rc = snap_cursor(a->s, c, TAG_PATHS);
    if (rc)
        return rc;
    unsigned char start[ANY_KEY_MAX];
    start[0] = PATH_KEY;
    memcpy(start + 1, a->prefix, a->prefix_len);
    ltl__buf name = {0};
    /* plaintext records' paths from the prefix on */
    for (rc = cc_seek(c, start, 1 + a->prefix_len); rc == LTL_OK && !c->end; rc = cc_next(c)) {
        const char *kd = c->k.mv_data;
        if (kd[0] != PATH_KEY || c->k.mv_size < 1 + a->prefix_len ||
            memcmp(kd + 1, a->prefix, a->prefix_len) != 0)
            break;
        bool sealed = false, multi = false;
        uint32_t id = 0;
        uint64_t count = 0;
        if ((rc = path_entry_read(a->s->ix, &c->k, &c->v, false, &sealed, &id, &count, &multi,
                                  &name)) ||
            (rc = paths_add(a, kd + 1, c->k.mv_size - 1, count)))
            break;
    }
    /* with the key, the sealed records' paths, named */
    if (rc == LTL_OK && a->s->values == LTL__INDEX_VALUES_TOKENS) {
        unsigned char s_key = SEALED_PATH_KEY;
        for (rc = cc_seek(c, &s_key, 1); rc == LTL_OK && !c->end; rc = cc_next(c)) {
            bool sealed = false, multi = false;
            uint32_t id = 0;
            uint64_t count = 0;
            if ((rc = path_entry_read(a->s->ix, &c->k, &c->v, true, &sealed, &id, &count, &multi,
                                      &name)))
                break;
            if (!sealed) {
                rc = damaged(a->s->ix, "paths: a plaintext path among the sealed ones");
                break;
            }
            if (name.len >= a->prefix_len && memcmp(name.data, a->prefix, a->prefix_len) == 0 &&
                (rc = paths_add(a, name.data, name.len, count)))
                break;
        }
    }
    ltl__buf_free(&name);
    return rc;
}

int ltl__index_paths(struct ltl__index_snap *s, const char *prefix, size_t prefix_len,
                     ltl__index_path_fn fn, void *ctx)
{
    if (prefix_len > LTL__INDEX_PATH_MAX)
        return LTL_OK; /* no indexed path is that long */
    struct paths_args a = {s, prefix, prefix_len, NULL, 0, 0};
    int rc = paths_txn(&a);
    if (rc == LTL_OK && a.n > 1)
        qsort(a.items, a.n, sizeof(*a.items), path_item_cmp);
    /* a path of both plaintext and sealed records: one line, the counts added */
    for (size_t i = 0; i < a.n && rc == LTL_OK; i++) {
        uint64_t count = a.items[i].count;
        while (i + 1 < a.n && path_item_cmp(&a.items[i], &a.items[i + 1]) == 0)
            count += a.items[++i].count;
        rc = fn(ctx, a.items[i].path, a.items[i].len, count);
    }
    for (size_t i = 0; i < a.n; i++)
        ltl__free(a.items[i].path);
    ltl__free(a.items);
    return rc;
}

/* ---- checking the whole index ------------------------------------------------------ */

struct ltl__index_check {
    struct ltl__index *ix;
    struct ltl__index_snap *snap;
    struct dict dict;    /* the stored paths, frozen */
    bool tokens;         /* sealed records' values are compared (the key of the tokens) */
    unsigned char *skip; /* by path id: entries not compared (sealed paths, without the key) */
    size_t skip_cap;
    uint64_t *counts; /* by path id: values the log gives */
    bool *multi;
    size_t counts_cap;
    struct ltl__index_check_stats stats;
    const struct run *run; /* the run being compared */
};

static bool check_skips(const struct ltl__index_check *c, uint32_t id)
{
    return id < c->skip_cap && c->skip[id];
}

/* "path 'x', seq N" of a postings key (for messages). */
static void describe_key(const struct ltl__index_check *c, char *out, size_t cap,
                         const unsigned char *key, size_t len)
{
    uint32_t run_id, path;
    size_t a = vr_get(key, len, &run_id), b = a ? vr_get(key + a, len - a, &path) : 0;
    if (!a || !b || len < a + b + 4) {
        snprintf(out, cap, "an entry of %zu bytes", len);
        return;
    }
    uint64_t seq = c->run->base + get_be32(key + len - 4);
    if (path == LTL__INDEX_TOPIC_PATH)
        snprintf(out, cap, "@topic, seq %llu", (unsigned long long)seq);
    else if (path < c->dict.by_id_cap && c->dict.by_id[path].path)
        snprintf(out, cap, "path '%.*s'%s, seq %llu",
                 (int)(c->dict.by_id[path].len > 100 ? 100 : c->dict.by_id[path].len),
                 c->dict.by_id[path].path, c->dict.by_id[path].sealed ? " (encrypted records)" : "",
                 (unsigned long long)seq);
    else
        snprintf(out, cap, "path id %u, seq %llu", path, (unsigned long long)seq);
}

/* Past the entries of the run being compared that are not compared. */
static int check_skip(struct ltl__index_check *c)
{
    struct ccur *cur = &c->snap->post;
    unsigned char prefix[5];
    size_t plen = vr_put(prefix, c->run->id);
    int rc = LTL_OK;
    while (rc == LTL_OK && !cur->end && cur->k.mv_size > plen &&
           memcmp(cur->k.mv_data, prefix, plen) == 0) {
        uint32_t path;
        if (!vr_get((const unsigned char *)cur->k.mv_data + plen, cur->k.mv_size - plen, &path) ||
            !check_skips(c, path))
            break;
        rc = cc_next(cur);
    }
    return rc;
}

/* W_CHECK's put_block: the next entry of the run must be this block. */
static int check_block(struct ltl__index_check *c, const unsigned char *key, size_t klen,
                       const unsigned char *block, size_t blen, uint64_t postings)
{
    struct ccur *cur = &c->snap->post;
    int rc = check_skip(c);
    if (rc)
        return rc;
    if (cur->end || cur->k.mv_size != klen || memcmp(cur->k.mv_data, key, klen) != 0 ||
        cur->v.mv_size != blen || memcmp(cur->v.mv_data, block, blen) != 0) {
        char what[160];
        bool extra = !cur->end && key_cmp(cur->k.mv_data, cur->k.mv_size, key, klen) < 0;
        if (extra)
            describe_key(c, what, sizeof(what), cur->k.mv_data, cur->k.mv_size);
        else
            describe_key(c, what, sizeof(what), key, klen);
        return damaged(c->ix, "run %u: its postings of %s %s", c->run->id, what,
                       extra ? "are not in the log"
                       : cur->k.mv_size == klen && memcmp(cur->k.mv_data, key, klen) == 0
                           ? "differ from the log"
                           : "are missing");
    }
    c->stats.postings += postings;
    return cc_next(cur);
}

struct check_args {
    struct ltl__index_check *c;
    struct ltl__index_part *const *parts;
    size_t n;
    struct writing *w;
};

/* Every entry of the three databases, checked; the paths loaded. */
static int check_begin_txn(void *arg)
{
    struct check_args *a = arg;
    struct ltl__index_check *c = a->c;
    struct ltl__index_snap *s = c->snap;
    struct ltl__index *ix = c->ix;
    uint64_t entries, sealed_entries;
    int rc = dict_load(ix, &s->view, &c->dict, c->tokens, &entries, &sealed_entries);
    if (rc)
        return rc;
    c->stats.entries = s->m.entries + entries;
    /* the sealed paths that are not compared */
    if ((rc = snap_cursor(s, &s->paths, TAG_PATHS)))
        return rc;
    unsigned char s_key = SEALED_PATH_KEY;
    ltl__buf name = {0};
    for (rc = cc_seek(&s->paths, &s_key, 1); rc == LTL_OK && !s->paths.end;
         rc = cc_next(&s->paths)) {
        bool sealed = false, multi = false;
        uint32_t id = 0;
        uint64_t count = 0;
        if ((rc = path_entry_read(ix, &s->paths.k, &s->paths.v, false, &sealed, &id, &count, &multi,
                                  &name)))
            break;
        if (c->tokens)
            continue;
        if (id >= c->skip_cap) {
            size_t cap = c->skip_cap ? c->skip_cap : 64;
            while (cap <= id)
                cap *= 2;
            unsigned char *ns = ltl__realloc(c->skip, cap);
            if (!ns) {
                rc = ltl__errf(LTL_ENOMEM, "out of memory");
                break;
            }
            memset(ns + c->skip_cap, 0, cap - c->skip_cap);
            c->skip = ns;
            c->skip_cap = cap;
        }
        c->skip[id] = 1;
    }
    ltl__buf_free(&name);
    if (rc)
        return rc;
    /* every postings entry: in a run, under a known path, its block whole */
    if ((rc = snap_cursor(s, &s->post, TAG_POST)))
        return rc;
    size_t ri = 0;
    uint64_t in_run = 0;
    char hex[40];
    struct ccur *cur = &s->post;
    for (rc = cc_first(cur); rc == LTL_OK && !cur->end; rc = cc_next(cur)) {
        const unsigned char *k = cur->k.mv_data;
        size_t klen = cur->k.mv_size;
        uint32_t run_id, path;
        size_t n1 = vr_get(k, klen, &run_id), n2 = n1 ? vr_get(k + n1, klen - n1, &path) : 0;
        if (!n1 || !n2 || klen < n1 + n2 + 1 + 4)
            return damaged(ix, "postings: entry %s does not parse",
                           key_hex(hex, sizeof(hex), k, klen));
        while (ri < s->m.nruns && s->m.runs[ri].id < run_id) {
            if (in_run != s->m.runs[ri].entries)
                return damaged(ix, "run %u: %llu entries, meta says %llu", s->m.runs[ri].id,
                               (unsigned long long)in_run,
                               (unsigned long long)s->m.runs[ri].entries);
            ri++;
            in_run = 0;
        }
        if (ri == s->m.nruns || s->m.runs[ri].id != run_id)
            return damaged(ix, "postings: entry %s belongs to no run",
                           key_hex(hex, sizeof(hex), k, klen));
        const struct run *r = &s->m.runs[ri];
        in_run++;
        if (path != LTL__INDEX_TOPIC_PATH && !check_skips(c, path) &&
            !(path < c->dict.by_id_cap && c->dict.by_id[path].path))
            return damaged(ix, "postings: entry %s is under path id %u, which the index lacks",
                           key_hex(hex, sizeof(hex), k, klen), path);
        uint64_t first = r->base + get_be32(k + klen - 4), last, postings;
        if (first >= r->end || cur->v.mv_size > LTL__INDEX_BLOCK ||
            !block_decode(cur->v.mv_data, cur->v.mv_size, first, &last, &postings) ||
            last >= r->end)
            return damaged(ix, "postings: the block of entry %s does not decode inside run %u",
                           key_hex(hex, sizeof(hex), k, klen), r->id);
        c->stats.entries++;
    }
    if (rc)
        return rc;
    for (; ri < s->m.nruns; ri++, in_run = 0)
        if (in_run != s->m.runs[ri].entries)
            return damaged(ix, "run %u: %llu entries, meta says %llu", s->m.runs[ri].id,
                           (unsigned long long)in_run, (unsigned long long)s->m.runs[ri].entries);
    return LTL_OK;
}

int ltl__index_check_begin(struct ltl__index_check **out, struct ltl__index *ix)
{
    *out = NULL;
    struct ltl__index_check *c = ltl__calloc(1, sizeof(*c));
    if (!c)
        return ltl__errf(LTL_ENOMEM, "out of memory");
    c->ix = ix;
    pthread_mutex_init(&c->dict.mu, NULL);
    c->dict.next_id = 1;
    c->dict.frozen = true;
    int rc = ltl__index_snap_begin(&c->snap, ix);
    if (rc || !c->snap) {
        ltl__index_check_free(c);
        return rc ? rc : ltl__errf(LTL_ENOMEM, "out of memory");
    }
    c->tokens = c->snap->values == LTL__INDEX_VALUES_TOKENS;
    c->dict.capped = c->snap->m.capped;
    c->stats.hwm = c->snap->m.hwm;
    c->stats.runs = c->snap->m.nruns;
    c->stats.values = c->tokens;
    struct check_args a = {c, NULL, 0, NULL};
    if ((rc = check_begin_txn(&a))) {
        ltl__index_check_free(c);
        return rc;
    }
    c->counts_cap = c->dict.by_id_cap;
    if (c->counts_cap && (!(c->counts = ltl__calloc(c->counts_cap, sizeof(*c->counts))) ||
                          !(c->multi = ltl__calloc(c->counts_cap, sizeof(*c->multi))))) {
        ltl__index_check_free(c);
        return ltl__errf(LTL_ENOMEM, "out of memory");
    }
    *out = c;
    return LTL_OK;
}

uint64_t ltl__index_check_hwm(const struct ltl__index_check *c)
{
    return c->snap->m.hwm;
}

size_t ltl__index_check_runs(const struct ltl__index_check *c)
{
    return c->snap->m.nruns;
}

void ltl__index_check_run_range(const struct ltl__index_check *c, size_t i, uint64_t *base,
                                uint64_t *end)
{
    *base = c->snap->m.runs[i].base;
    *end = c->snap->m.runs[i].end;
}

int ltl__index_check_part_new(struct ltl__index_part **out, struct ltl__index_check *c)
{
    int rc = ltl__index_part_new(out, c->ix);
    if (rc == LTL_OK && *out) {
        (*out)->dict = &c->dict;
        (*out)->tokens = c->tokens;
    }
    return rc;
}

static int check_run_txn(void *arg)
{
    struct check_args *a = arg;
    struct ltl__index_check *c = a->c;
    unsigned char prefix[5];
    size_t plen = vr_put(prefix, c->run->id);
    int rc = cc_seek(&c->snap->post, prefix, plen);
    if (rc == LTL_OK)
        rc = write_parts(a->w, a->parts, a->n);
    if (rc == LTL_OK)
        rc = check_skip(c);
    struct ccur *cur = &c->snap->post;
    if (rc == LTL_OK && !cur->end && cur->k.mv_size > plen &&
        memcmp(cur->k.mv_data, prefix, plen) == 0) {
        char what[160];
        describe_key(c, what, sizeof(what), cur->k.mv_data, cur->k.mv_size);
        rc = damaged(c->ix, "run %u: its postings of %s are not in the log", c->run->id, what);
    }
    return rc;
}

int ltl__index_check_run(struct ltl__index_check *c, size_t i, struct ltl__index_part *const *parts,
                         size_t n)
{
    const struct run *run = &c->snap->m.runs[i];
    uint64_t at = run->base;
    for (size_t k = 0; k < n; k++) {
        if (!parts[k]->finished || parts[k]->base != at)
            return ltl__errf(LTL_EINVAL, "index check: a part starts at seq %llu, not %llu",
                             (unsigned long long)parts[k]->base, (unsigned long long)at);
        at += parts[k]->records;
        for (size_t j = 0; j < parts[k]->ncounts; j++) {
            uint64_t id = parts[k]->counts[2 * j], v = parts[k]->counts[2 * j + 1];
            if (id < c->counts_cap) {
                c->counts[id] += v & ~PATH_MULTI;
                c->multi[id] |= (v & PATH_MULTI) != 0;
            }
        }
    }
    if (at != run->end)
        return ltl__errf(LTL_EINVAL, "index check: the parts end at seq %llu, the run at %llu",
                         (unsigned long long)at, (unsigned long long)run->end);
    struct writing *w = ltl__calloc(1, sizeof(*w));
    if (!w)
        return ltl__errf(LTL_ENOMEM, "out of memory");
    w->ix = c->ix;
    w->chk = c;
    w->run = run;
    w->mode = W_CHECK;
    w->run_len = vr_put(w->key, run->id);
    c->run = run;
    struct check_args a = {c, parts, n, w};
    int rc = check_run_txn(&a);
    ltl__free(w);
    return rc;
}

int ltl__index_check_end(struct ltl__index_check *c, struct ltl__index_check_stats *out)
{
    *out = c->stats;
    if (c->dict.unknown)
        return damaged(c->ix, "paths: path '%.100s' of the log is not in the index",
                       c->dict.unknown);
    for (size_t id = 1; id < c->dict.by_id_cap; id++) {
        const struct path_info *e = &c->dict.by_id[id];
        if (!e->path)
            continue;
        uint64_t want = id < c->counts_cap ? c->counts[id] : 0;
        bool multi = id < c->counts_cap && c->multi[id];
        if (e->count != want || e->multi != multi)
            return damaged(c->ix,
                           "paths: path '%.100s'%s holds %llu values%s, the log gives %llu%s",
                           e->path, e->sealed ? " (encrypted records)" : "",
                           (unsigned long long)e->count, e->multi ? " (some in arrays)" : "",
                           (unsigned long long)want, multi ? " (some in arrays)" : "");
    }
    return LTL_OK;
}

void ltl__index_check_free(struct ltl__index_check *c)
{
    if (!c)
        return;
    ltl__index_snap_end(c->snap);
    dict_free(&c->dict);
    pthread_mutex_destroy(&c->dict.mu);
    ltl__free(c->skip);
    ltl__free(c->counts);
    ltl__free(c->multi);
    ltl__free(c);
}
