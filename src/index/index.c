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
 */
#include "index/index.h"
#include "query/query.h"

#include <errno.h>
#include <fnmatch.h>
#include <lmdb.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

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
#define KEY_MAX (5 + 5 + LTL__QUERY_KEY_MAX + 4)

/* ---- small helpers ----------------------------------------------------------- */

static int mdb_error(int mrc, const char *what)
{
    int rc = mrc == MDB_MAP_FULL || mrc == ENOSPC                ? LTL_ENOSPC
             : mrc == ENOMEM                                     ? LTL_ENOMEM
             : mrc == MDB_VERSION_MISMATCH || mrc == MDB_INVALID ? LTL_ECORRUPT
                                                                 : LTL_EIO;
    return ltl__errf(rc, "index: %s: %s", what, mdb_strerror(mrc));
}

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

/* ---- the index handle ----------------------------------------------------------- */

/* A path of the dictionary. */
struct path_slot {
    char *path; /* owned, NUL-terminated; NULL: free slot */
    size_t len;
    uint32_t id;
};

/* Counts by id (the writer's view of the paths database). */
struct path_info {
    const char *path; /* borrowed from the slot */
    size_t len;
    uint64_t count;   /* values indexed under it, as stored */
    uint64_t pending; /* added by the commit in progress */
    bool multi;       /* some record held more than one value under it (stored) */
    bool multi_pending;
    bool dirty; /* count changed, or never written */
};

/* A run: the postings of seqs [base, end). */
struct run {
    uint32_t id;
    uint64_t base, end;
    uint64_t entries; /* LMDB entries (blocks) in it */
    bool sealed;      /* takes no more small batches */
};

struct ltl__index {
    MDB_env *env;
    MDB_dbi meta, paths, post;
    bool writable;
    char *dir;
    char *patterns;
    uint64_t max_paths;
    ltl__logger *log;
    /* writer: the dictionary, shared by the threads building parts */
    pthread_mutex_t dict_mu;
    struct path_slot *dict;
    size_t dict_cap, dict_n;
    struct path_info *by_id;
    size_t by_id_cap;
    uint32_t next_id;
    bool capped, capped_logged;
    /* writer: the committed state */
    uint64_t hwm;
    struct run *runs;
    size_t nruns, runs_cap;
};

static struct path_slot *dict_find(struct ltl__index *ix, const char *path, size_t len, uint64_t h)
{
    size_t mask = ix->dict_cap - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
        struct path_slot *e = &ix->dict[i];
        if (!e->path || (e->len == len && memcmp(e->path, path, len) == 0))
            return e;
    }
}

static int dict_grow(struct ltl__index *ix)
{
    size_t cap = ix->dict_cap ? ix->dict_cap * 2 : 256;
    struct path_slot *old = ix->dict;
    size_t old_cap = ix->dict_cap;
    ix->dict = ltl__calloc(cap, sizeof(*ix->dict));
    if (!ix->dict) {
        ix->dict = old;
        return ltl__errf(LTL_ENOMEM, "out of memory");
    }
    ix->dict_cap = cap;
    for (size_t i = 0; i < old_cap; i++)
        if (old[i].path)
            *dict_find(ix, old[i].path, old[i].len, hash_bytes(old[i].path, old[i].len)) = old[i];
    ltl__free(old);
    return LTL_OK;
}

/* Room for id in by_id. */
static int by_id_reserve(struct ltl__index *ix, uint32_t id)
{
    if (id < ix->by_id_cap)
        return LTL_OK;
    size_t cap = ix->by_id_cap ? ix->by_id_cap : 64;
    while (cap <= id)
        cap *= 2;
    struct path_info *n = ltl__realloc(ix->by_id, cap * sizeof(*n));
    if (!n)
        return ltl__errf(LTL_ENOMEM, "out of memory");
    memset(n + ix->by_id_cap, 0, (cap - ix->by_id_cap) * sizeof(*n));
    ix->by_id = n;
    ix->by_id_cap = cap;
    return LTL_OK;
}

/* Add a path with a given id and stored count. Caller holds dict_mu. */
static int dict_insert(struct ltl__index *ix, const char *path, size_t len, uint32_t id,
                       uint64_t count, bool dirty)
{
    int rc;
    if ((ix->dict_n + 1) * 2 > ix->dict_cap && (rc = dict_grow(ix)))
        return rc;
    if ((rc = by_id_reserve(ix, id)))
        return rc;
    struct path_slot *e = dict_find(ix, path, len, hash_bytes(path, len));
    char *copy = ltl__strndup(path, len);
    if (!copy)
        return ltl__errf(LTL_ENOMEM, "out of memory");
    *e = (struct path_slot){copy, len, id};
    ix->by_id[id] = (struct path_info){.path = copy, .len = len, .count = count, .dirty = dirty};
    ix->dict_n++;
    if (id >= ix->next_id)
        ix->next_id = id + 1;
    return LTL_OK;
}

/* The id of a path, assigned when new; *skip when it must not be indexed
 * (the cap). Any thread. */
static int dict_get(struct ltl__index *ix, const char *path, size_t len, uint32_t *out, bool *skip)
{
    *skip = false;
    pthread_mutex_lock(&ix->dict_mu);
    int rc = LTL_OK;
    if (ix->dict_cap == 0 && (rc = dict_grow(ix)))
        goto out;
    struct path_slot *e = dict_find(ix, path, len, hash_bytes(path, len));
    if (e->path) {
        *out = e->id;
        goto out;
    }
    if (ix->max_paths && ix->dict_n >= ix->max_paths) {
        if (!ix->capped_logged)
            ltl__log(ix->log, LTL_LOG_WARN,
                     "index: %llu distinct paths reached (index.max_paths): new paths such as "
                     "'%.*s' are not indexed; queries on them scan the log",
                     (unsigned long long)ix->max_paths, (int)(len > 200 ? 200 : len), path);
        ix->capped = ix->capped_logged = true;
        *skip = true;
        goto out;
    }
    *out = ix->next_id;
    rc = dict_insert(ix, path, len, ix->next_id, 0, true);
out:
    pthread_mutex_unlock(&ix->dict_mu);
    return rc;
}

static void dict_free(struct ltl__index *ix)
{
    for (size_t i = 0; i < ix->dict_cap; i++)
        ltl__free(ix->dict[i].path);
    ltl__free(ix->dict);
    ltl__free(ix->by_id);
    ix->dict = NULL;
    ix->by_id = NULL;
    ix->dict_cap = ix->dict_n = ix->by_id_cap = 0;
    ix->next_id = 1;
}

/* Keys of the paths database are PATH_KEY then the path: the root's path is
 * "" and LMDB keys cannot be empty. Values: u32 id BE, u64 BE: the count, with
 * PATH_MULTI set once some record held more than one value under the path
 * (an array, or a key repeated in an object): a query may treat two range
 * terms on a path without it as one interval. */
#define PATH_KEY   'p'
#define PATH_MULTI (UINT64_C(1) << 63)

/* The paths database key of a path (len <= LTL__INDEX_PATH_MAX) into buf. */
static MDB_val path_key(char *buf, const char *path, size_t len)
{
    buf[0] = PATH_KEY;
    memcpy(buf + 1, path, len);
    return (MDB_val){len + 1, buf};
}

/* Load the stored dictionary (writer open). */
static int dict_load(struct ltl__index *ix, MDB_txn *txn)
{
    MDB_cursor *cur;
    int mrc = mdb_cursor_open(txn, ix->paths, &cur);
    if (mrc)
        return mdb_error(mrc, "open a cursor");
    MDB_val k, v;
    int rc = LTL_OK;
    ix->next_id = 1;
    for (mrc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); mrc == 0;
         mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        if (v.mv_size != 12 || k.mv_size < 1 || ((char *)k.mv_data)[0] != PATH_KEY)
            continue;
        uint64_t count = get_be64((unsigned char *)v.mv_data + 4);
        if ((rc = dict_insert(ix, (char *)k.mv_data + 1, k.mv_size - 1, get_be32(v.mv_data),
                              count & ~PATH_MULTI, false)))
            break;
        ix->by_id[get_be32(v.mv_data)].multi = (count & PATH_MULTI) != 0;
    }
    mdb_cursor_close(cur);
    if (rc == LTL_OK && mrc != MDB_NOTFOUND)
        rc = mdb_error(mrc, "read the paths");
    return rc;
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

static int meta_get_u64(MDB_txn *txn, MDB_dbi dbi, const char *name, uint64_t *out, bool *found)
{
    MDB_val k = {strlen(name), (void *)name}, v;
    int mrc = mdb_get(txn, dbi, &k, &v);
    *found = mrc == 0;
    if (mrc == MDB_NOTFOUND)
        return LTL_OK;
    if (mrc)
        return mdb_error(mrc, "read meta");
    if (v.mv_size != 8)
        return ltl__errf(LTL_ECORRUPT, "index: meta '%s' has %zu bytes", name, v.mv_size);
    *out = get_be64(v.mv_data);
    return LTL_OK;
}

static int meta_put_u64(MDB_txn *txn, MDB_dbi dbi, const char *name, uint64_t value)
{
    unsigned char buf[8];
    put_be64(buf, value);
    MDB_val k = {strlen(name), (void *)name}, v = {8, buf};
    int mrc = mdb_put(txn, dbi, &k, &v, 0);
    return mrc ? mdb_error(mrc, "write meta") : LTL_OK;
}

/* The index.paths rules the index was built with (meta "rules": the text, "" for
 * every path). Readers decide with them which paths the index holds: their own
 * configuration may differ from the writer's. */
static int rules_put(MDB_txn *txn, MDB_dbi dbi, const char *patterns)
{
    const char *name = "rules";
    MDB_val k = {strlen(name), (void *)name},
            v = {patterns ? strlen(patterns) : 0, (void *)(patterns ? patterns : "")};
    int mrc = mdb_put(txn, dbi, &k, &v, 0);
    return mrc ? mdb_error(mrc, "write meta") : LTL_OK;
}

/* The stored rules into *out (NULL when the index has none). */
static int rules_get(MDB_txn *txn, MDB_dbi dbi, char **out)
{
    const char *name = "rules";
    MDB_val k = {strlen(name), (void *)name}, v;
    *out = NULL;
    int mrc = mdb_get(txn, dbi, &k, &v);
    if (mrc == MDB_NOTFOUND)
        return LTL_OK;
    if (mrc)
        return mdb_error(mrc, "read meta");
    if (!(*out = ltl__strndup(v.mv_data, v.mv_size)))
        return ltl__errf(LTL_ENOMEM, "out of memory");
    return LTL_OK;
}

/* Runs are meta entries "run" + u32 id BE -> base, end, entries (u64 BE), sealed (1 byte). */
#define RUN_KEY_PREFIX "run"

static int run_put(MDB_txn *txn, MDB_dbi meta, const struct run *r)
{
    unsigned char key[3 + 4], val[25];
    memcpy(key, RUN_KEY_PREFIX, 3);
    put_be32(key + 3, r->id);
    put_be64(val, r->base);
    put_be64(val + 8, r->end);
    put_be64(val + 16, r->entries);
    val[24] = r->sealed;
    MDB_val k = {sizeof(key), key}, v = {sizeof(val), val};
    int mrc = mdb_put(txn, meta, &k, &v, 0);
    return mrc ? mdb_error(mrc, "write a run") : LTL_OK;
}

/* Read every run, in id order (= seq order), into *runs. */
static int runs_load(MDB_txn *txn, MDB_dbi meta, struct run **runs, size_t *n, size_t *cap)
{
    MDB_cursor *cur;
    int mrc = mdb_cursor_open(txn, meta, &cur);
    if (mrc)
        return mdb_error(mrc, "open a cursor");
    *n = 0;
    int rc = LTL_OK;
    MDB_val k = {3, (void *)RUN_KEY_PREFIX}, v;
    for (mrc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); mrc == 0;
         mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        if (k.mv_size != 7 || memcmp(k.mv_data, RUN_KEY_PREFIX, 3) != 0)
            break;
        if (v.mv_size != 25) {
            rc = ltl__errf(LTL_ECORRUPT, "index: a run entry has %zu bytes", v.mv_size);
            break;
        }
        if (*n == *cap) {
            size_t c = *cap ? *cap * 2 : 16;
            struct run *nr = ltl__realloc(*runs, c * sizeof(*nr));
            if (!nr) {
                rc = ltl__errf(LTL_ENOMEM, "out of memory");
                break;
            }
            *runs = nr;
            *cap = c;
        }
        const unsigned char *d = v.mv_data;
        (*runs)[(*n)++] = (struct run){get_be32((unsigned char *)k.mv_data + 3), get_be64(d),
                                       get_be64(d + 8), get_be64(d + 16), d[24] != 0};
    }
    if (rc == LTL_OK && mrc != 0 && mrc != MDB_NOTFOUND)
        rc = mdb_error(mrc, "read the runs");
    mdb_cursor_close(cur);
    return rc;
}

/* ---- open / close ------------------------------------------------------------------ */

int ltl__index_open(struct ltl__index **out, const char *dir, bool writable,
                    const struct ltl__index_rules *rules, ltl__logger *log)
{
    *out = NULL;
    struct ltl__index *ix = ltl__calloc(1, sizeof(*ix));
    if (!ix)
        return ltl__errf(LTL_ENOMEM, "out of memory");
    pthread_mutex_init(&ix->dict_mu, NULL);
    ix->next_id = 1;
    int rc = LTL_OK, mrc;
    MDB_txn *txn = NULL;
    ix->writable = writable;
    ix->log = log;
    ix->max_paths = rules ? rules->max_paths : 0;
    if (!(ix->dir = ltl__strdup(dir)) ||
        (rules && rules->patterns && !(ix->patterns = ltl__strdup(rules->patterns)))) {
        rc = ltl__errf(LTL_ENOMEM, "out of memory");
        goto fail;
    }
    struct stat st;
    if (stat(dir, &st) < 0) {
        if (errno != ENOENT || !writable) {
            rc = errno == ENOENT ? ltl__errf(LTL_ENOTFOUND, "no index at %s", dir)
                                 : ltl__err_sys(errno, "stat %s", dir);
            goto fail;
        }
        if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
            rc = ltl__err_sys(errno, "create %s", dir);
            goto fail;
        }
    }
    char data_path[4096];
    snprintf(data_path, sizeof(data_path), "%s/data.mdb", dir);
    size_t map = MAP_MIN;
    if (stat(data_path, &st) == 0 && (size_t)st.st_size * 2 > map)
        map = (size_t)st.st_size * 2;
    if ((mrc = mdb_env_create(&ix->env)) || (mrc = mdb_env_set_maxdbs(ix->env, 4)) ||
        (mrc = mdb_env_set_mapsize(ix->env, map)) || (mrc = mdb_env_set_maxreaders(ix->env, 512)) ||
        (mrc = mdb_env_open(ix->env, dir,
                            MDB_NOTLS | MDB_NORDAHEAD | (writable ? MDB_NOMETASYNC : MDB_RDONLY),
                            0644))) {
        rc = mrc == ENOENT ? ltl__errf(LTL_ENOTFOUND, "no index at %s", dir)
                           : mdb_error(mrc, "open the environment");
        goto fail;
    }
    if ((mrc = mdb_txn_begin(ix->env, NULL, writable ? 0 : MDB_RDONLY, &txn))) {
        rc = mdb_error(mrc, "begin");
        goto fail;
    }
    unsigned flags = writable ? MDB_CREATE : 0;
    if ((mrc = mdb_dbi_open(txn, "meta", flags, &ix->meta)) ||
        (mrc = mdb_dbi_open(txn, "paths", flags, &ix->paths)) ||
        (mrc = mdb_dbi_open(txn, "post", flags, &ix->post))) {
        rc = mrc == MDB_NOTFOUND ? ltl__errf(LTL_ENOTFOUND, "the index at %s is empty", dir)
                                 : mdb_error(mrc, "open the databases");
        goto fail;
    }
    uint64_t version = 0;
    bool found;
    if ((rc = meta_get_u64(txn, ix->meta, "version", &version, &found)))
        goto fail;
    if (found && version != LTL__INDEX_VERSION) {
        rc = ltl__errf(LTL_EVERSION, "index version %llu, this ltl builds %d",
                       (unsigned long long)version, LTL__INDEX_VERSION);
        goto fail;
    }
    char *stored = NULL;
    if ((rc = rules_get(txn, ix->meta, &stored)))
        goto fail;
    const char *mine = ix->patterns ? ix->patterns : "";
    if (writable && stored && strcmp(stored, mine) != 0) {
        /* built for other rules: its postings are not those the configuration asks for */
        rc =
            ltl__errf(LTL_EVERSION, "index built for index.paths=\"%s\", now \"%s\"", stored, mine);
        ltl__free(stored);
        goto fail;
    }
    if (!writable && stored) {
        ltl__free(ix->patterns);
        ix->patterns = stored;
        stored = NULL;
    }
    ltl__free(stored);
    if (writable) {
        uint64_t capped = 0;
        if (!found && ((rc = meta_put_u64(txn, ix->meta, "version", LTL__INDEX_VERSION)) ||
                       (rc = rules_put(txn, ix->meta, ix->patterns))))
            goto fail;
        if ((rc = dict_load(ix, txn)) ||
            (rc = meta_get_u64(txn, ix->meta, "hwm", &ix->hwm, &found)) ||
            (rc = meta_get_u64(txn, ix->meta, "capped", &capped, &found)) ||
            (rc = runs_load(txn, ix->meta, &ix->runs, &ix->nruns, &ix->runs_cap)))
            goto fail;
        ix->capped = ix->capped_logged = capped != 0;
        if ((mrc = mdb_txn_commit(txn))) {
            txn = NULL;
            rc = mdb_error(mrc, "commit");
            goto fail;
        }
        txn = NULL;
    } else {
        /* committing (not aborting) keeps the database handles opened in it */
        mrc = mdb_txn_commit(txn);
        txn = NULL;
        if (mrc) {
            rc = mdb_error(mrc, "commit");
            goto fail;
        }
    }
    *out = ix;
    return LTL_OK;
fail:
    if (txn)
        mdb_txn_abort(txn);
    ltl__index_close(ix);
    return rc;
}

void ltl__index_close(struct ltl__index *ix)
{
    if (!ix)
        return;
    if (ix->env)
        mdb_env_close(ix->env);
    dict_free(ix);
    ltl__free(ix->runs);
    ltl__free(ix->patterns);
    ltl__free(ix->dir);
    pthread_mutex_destroy(&ix->dict_mu);
    ltl__free(ix);
}

int ltl__index_hwm(struct ltl__index *ix, uint64_t *out)
{
    MDB_txn *txn;
    int mrc = mdb_txn_begin(ix->env, NULL, MDB_RDONLY, &txn);
    if (mrc)
        return mdb_error(mrc, "begin");
    bool found;
    *out = 0;
    int rc = meta_get_u64(txn, ix->meta, "hwm", out, &found);
    mdb_txn_abort(txn);
    return rc;
}

uint64_t ltl__index_writer_hwm(const struct ltl__index *ix)
{
    return ix->hwm;
}

int ltl__index_clear(struct ltl__index *ix)
{
    MDB_txn *txn;
    int mrc = mdb_txn_begin(ix->env, NULL, 0, &txn);
    if (mrc)
        return mdb_error(mrc, "begin");
    int rc = LTL_OK;
    if ((mrc = mdb_drop(txn, ix->post, 0)) || (mrc = mdb_drop(txn, ix->paths, 0)) ||
        (mrc = mdb_drop(txn, ix->meta, 0)))
        rc = mdb_error(mrc, "clear");
    if (rc == LTL_OK)
        rc = meta_put_u64(txn, ix->meta, "version", LTL__INDEX_VERSION);
    if (rc == LTL_OK)
        rc = rules_put(txn, ix->meta, ix->patterns);
    if (rc) {
        mdb_txn_abort(txn);
        return rc;
    }
    if ((mrc = mdb_txn_commit(txn)))
        return mdb_error(mrc, "commit");
    pthread_mutex_lock(&ix->dict_mu);
    dict_free(ix);
    ix->capped = ix->capped_logged = false;
    pthread_mutex_unlock(&ix->dict_mu);
    ix->hwm = 0;
    ix->nruns = 0;
    return LTL_OK;
}

void ltl__index_path_stats(struct ltl__index *ix, uint64_t *paths, bool *capped)
{
    pthread_mutex_lock(&ix->dict_mu);
    *paths = ix->dict_n;
    *capped = ix->capped;
    pthread_mutex_unlock(&ix->dict_mu);
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
    uint64_t base, records;
    bool finished;
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

/* The cache entry of a wildcard path (resolving it in the dictionary when new). */
static int part_path(struct ltl__index_part *p, const char *path, size_t len, uint32_t *out)
{
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
    uint64_t h = hash_bytes(path, len);
    size_t mask = p->slots_cap - 1, i = h & mask;
    for (;; i = (i + 1) & mask) {
        if (!p->slots[i])
            break;
        const struct pcache *c = &p->paths[p->slots[i] - 1];
        if (c->hash == h && c->len == len && memcmp(c->path, path, len) == 0) {
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
    struct pcache c = {h, NULL, len, 0, false, false, 0, 0};
    if (!path_allowed(p->ix->patterns, path)) {
        c.skip = true;
    } else {
        int rc = dict_get(p->ix, path, len, &c.id, &c.skip);
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
    unsigned char key[5 + LTL__QUERY_KEY_MAX + 16];
    size_t idlen = vr_put(key, c->id);
    ltl__query_value v;
    int rc = ltl__query_value_from_json(&v, ev->type, ev->value, ev->value_len, &p->scratch);
    if (rc == LTL_EINVAL)
        return 0;
    if (rc) {
        p->rc = rc;
        return 1;
    }
    /* the key straight into the stack buffer: an ltl__buf over it, never grown */
    ltl__buf kb = {(char *)key, idlen, sizeof(key)};
    if ((p->rc = ltl__query_value_key(&kb, &v)) || (p->rc = rec_key(p, slot, key, kb.len)))
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
                        size_t topic_len, const void *payload, size_t len, ltl_json_error *err)
{
    if (p->finished || rel > UINT32_MAX || (p->nnodes > 1 && rel < p->rel))
        return ltl__errf(LTL_EINVAL, "index: records added out of order");
    p->rel = (uint32_t)rel;
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
    unsigned char key[5 + LTL__QUERY_KEY_MAX + 16];
    size_t idlen = vr_put(key, LTL__INDEX_TOPIC_PATH);
    ltl__buf kb = {(char *)key, idlen, sizeof(key)};
    ltl__query_value v = {
        LTL_JSON_STRING, topic, topic_len > LTL_TOPIC_MAX ? LTL_TOPIC_MAX : topic_len, {0}};
    rc = ltl__query_value_key(&kb, &v);
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
    for (size_t i = 0; i < p->n; i++) {
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

/* The commit in progress. */
struct writing {
    struct ltl__index *ix;
    MDB_txn *txn;
    MDB_cursor *cur;
    struct run *run;
    bool append;    /* MDB_APPEND: a fresh run */
    uint64_t added; /* entries added to the run */
    int mrc;        /* the LMDB code of a failure */
    unsigned char key[KEY_MAX];
    size_t run_len; /* bytes of vr(run id) at the start of key */
    /* the value being written */
    size_t prefix_len; /* run id + part key */
    bool have_block;
    bool block_existed; /* the block was read from the run (upsert): putting it adds nothing */
    uint64_t block_first, last;
    unsigned char block[LTL__INDEX_BLOCK + 16];
    size_t block_len;
};

static int put_block(struct writing *w)
{
    put_be32(w->key + w->prefix_len, (uint32_t)(w->block_first - w->run->base));
    MDB_val k = {w->prefix_len + 4, w->key}, v = {w->block_len, w->block};
    int mrc = w->append ? mdb_cursor_put(w->cur, &k, &v, MDB_APPEND)
                        : mdb_put(w->txn, w->ix->post, &k, &v, 0);
    if (mrc) {
        w->mrc = mrc;
        return mdb_error(mrc, "write postings");
    }
    if (!w->block_existed)
        w->added++;
    w->block_existed = false;
    return LTL_OK;
}

/* Start the value of part key (key, len): in upsert mode, load its last block. */
static int value_begin(struct writing *w, const unsigned char *key, size_t len)
{
    memcpy(w->key + w->run_len, key, len);
    w->prefix_len = w->run_len + len;
    w->have_block = false;
    w->block_existed = false;
    w->block_len = 0;
    if (w->append)
        return LTL_OK;
    /* the value's last block: the greatest key below prefix + FF FF FF FF */
    memset(w->key + w->prefix_len, 0xff, 4);
    MDB_val k = {w->prefix_len + 4, w->key}, v;
    int mrc = mdb_cursor_get(w->cur, &k, &v, MDB_SET_RANGE);
    if (mrc == 0)
        mrc = mdb_cursor_get(w->cur, &k, &v, MDB_PREV);
    else if (mrc == MDB_NOTFOUND)
        mrc = mdb_cursor_get(w->cur, &k, &v, MDB_LAST);
    if (mrc == 0 && k.mv_size == w->prefix_len + 4 &&
        memcmp(k.mv_data, w->key, w->prefix_len) == 0 && v.mv_size <= LTL__INDEX_BLOCK) {
        w->block_first = w->run->base + get_be32((unsigned char *)k.mv_data + w->prefix_len);
        memcpy(w->block, v.mv_data, v.mv_size);
        w->block_len = v.mv_size;
        w->last = w->block_first;
        for (size_t pos = 0; pos < w->block_len;) {
            uint64_t d;
            size_t n = leb_get(w->block + pos, w->block_len - pos, &d);
            if (!n)
                return ltl__errf(LTL_ECORRUPT, "index: a postings block is damaged");
            w->last += d;
            pos += n;
        }
        w->have_block = w->block_existed = true;
    } else if (mrc != 0 && mrc != MDB_NOTFOUND) {
        w->mrc = mrc;
        return mdb_error(mrc, "read postings");
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
        return LTL_OK;
    }
    w->block_len += leb_put(w->block + w->block_len, seq - w->last);
    w->last = seq;
    return LTL_OK;
}

static int value_end(struct writing *w)
{
    return w->have_block ? put_block(w) : LTL_OK;
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

/* One attempt at the commit. */
static int commit_once(struct ltl__index *ix, struct ltl__index_part *const *parts, size_t n,
                       uint64_t new_hwm, struct run *run, bool append, int *out_mrc)
{
    struct writing *w = ltl__calloc(1, sizeof(*w));
    if (!w)
        return ltl__errf(LTL_ENOMEM, "out of memory");
    w->ix = ix;
    w->run = run;
    w->append = append;
    w->run_len = vr_put(w->key, run->id);
    int rc = LTL_OK, mrc;
    *out_mrc = 0;
    if ((mrc = mdb_txn_begin(ix->env, NULL, 0, &w->txn))) {
        w->mrc = mrc;
        rc = mdb_error(mrc, "begin");
        goto out;
    }
    if ((mrc = mdb_cursor_open(w->txn, ix->post, &w->cur))) {
        w->mrc = mrc;
        rc = mdb_error(mrc, "open a cursor");
        goto out;
    }
    rc = write_parts(w, parts, n);
    /* the paths whose counts changed */
    pthread_mutex_lock(&ix->dict_mu);
    for (size_t id = 0; id < ix->by_id_cap && rc == LTL_OK; id++) {
        struct path_info *e = &ix->by_id[id];
        if (!e->path || !e->dirty || e->count + e->pending == 0)
            continue;
        unsigned char val[12];
        char kbuf[LTL__INDEX_PATH_MAX + 1];
        put_be32(val, (uint32_t)id);
        put_be64(val + 4,
                 (e->count + e->pending) | (e->multi || e->multi_pending ? PATH_MULTI : 0));
        MDB_val k = path_key(kbuf, e->path, e->len), v = {12, val};
        if ((mrc = mdb_put(w->txn, ix->paths, &k, &v, 0))) {
            w->mrc = mrc;
            rc = mdb_error(mrc, "write paths");
        }
    }
    bool capped = ix->capped;
    pthread_mutex_unlock(&ix->dict_mu);
    struct run r = *run;
    r.end = new_hwm;
    r.entries += w->added;
    if (rc == LTL_OK)
        rc = run_put(w->txn, ix->meta, &r);
    if (rc == LTL_OK)
        rc = meta_put_u64(w->txn, ix->meta, "hwm", new_hwm);
    if (rc == LTL_OK && capped)
        rc = meta_put_u64(w->txn, ix->meta, "capped", 1);
    mdb_cursor_close(w->cur);
    w->cur = NULL;
    if (rc == LTL_OK) {
        mrc = mdb_txn_commit(w->txn);
        w->txn = NULL;
        if (mrc) {
            w->mrc = mrc;
            rc = mdb_error(mrc, "commit");
        }
    }
    if (rc == LTL_OK)
        *run = r;
out:
    if (w->cur)
        mdb_cursor_close(w->cur);
    if (w->txn)
        mdb_txn_abort(w->txn);
    *out_mrc = w->mrc;
    ltl__free(w);
    return rc;
}

/* Apply (ok) or drop the pending counts of a commit. */
static void counts_settle(struct ltl__index *ix, bool ok)
{
    pthread_mutex_lock(&ix->dict_mu);
    for (size_t id = 0; id < ix->by_id_cap; id++) {
        struct path_info *e = &ix->by_id[id];
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
    pthread_mutex_unlock(&ix->dict_mu);
}

int ltl__index_commit(struct ltl__index *ix, struct ltl__index_part *const *parts, size_t n,
                      uint64_t new_hwm, bool new_run)
{
    /* the parts must continue the index, without gaps or overlaps */
    uint64_t at = ix->hwm;
    for (size_t i = 0; i < n; i++) {
        if (!parts[i]->finished || parts[i]->base != at)
            return ltl__errf(LTL_EINVAL, "index: a part starts at seq %llu, the index at %llu",
                             (unsigned long long)parts[i]->base, (unsigned long long)at);
        at += parts[i]->records;
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
    pthread_mutex_lock(&ix->dict_mu);
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < parts[i]->ncounts; k++) {
            uint64_t id = parts[i]->counts[2 * k];
            if (id < ix->by_id_cap && ix->by_id[id].path) {
                uint64_t c = parts[i]->counts[2 * k + 1];
                ix->by_id[id].pending += c & ~PATH_MULTI;
                ix->by_id[id].multi_pending |= (c & PATH_MULTI) != 0;
                ix->by_id[id].dirty = true;
            }
        }
    pthread_mutex_unlock(&ix->dict_mu);
    for (int attempt = 0;; attempt++) {
        int mrc = 0;
        struct run r = run;
        rc = commit_once(ix, parts, n, new_hwm, &r, append, &mrc);
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
                     : mdb_error(mrc, "grow the map");
            break;
        }
        ltl__err_restate();
        ltl__log(ix->log, LTL_LOG_DEBUG, "index: map grown to %zu MiB",
                 (size_t)(info.me_mapsize * 2) >> 20);
    }
    counts_settle(ix, rc == LTL_OK);
    if (rc)
        return rc;
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
    MDB_txn *txn;
    uint64_t hwm;
    bool capped;
    struct run *runs;
    size_t nruns, runs_cap;
};

bool ltl__index_path_indexed(const struct ltl__index_snap *s, const char *path, size_t len)
{
    return len <= LTL__INDEX_PATH_MAX && path_allowed(s->ix->patterns, path);
}

bool ltl__index_snap_capped(const struct ltl__index_snap *s)
{
    return s->capped;
}

int ltl__index_snap_begin(struct ltl__index_snap **out, struct ltl__index *ix)
{
    struct ltl__index_snap *s = ltl__calloc(1, sizeof(*s));
    *out = NULL;
    if (!s)
        return ltl__errf(LTL_ENOMEM, "out of memory");
    s->ix = ix;
    int mrc = mdb_txn_begin(ix->env, NULL, MDB_RDONLY, &s->txn);
    if (mrc == MDB_MAP_RESIZED) {
        /* the writer grew the map: adopt its size */
        mdb_env_set_mapsize(ix->env, 0);
        mrc = mdb_txn_begin(ix->env, NULL, MDB_RDONLY, &s->txn);
    }
    if (mrc) {
        ltl__free(s);
        return mdb_error(mrc, "begin a read");
    }
    bool found;
    uint64_t capped = 0;
    int rc = meta_get_u64(s->txn, ix->meta, "hwm", &s->hwm, &found);
    if (rc == LTL_OK)
        rc = meta_get_u64(s->txn, ix->meta, "capped", &capped, &found);
    if (rc == LTL_OK)
        rc = runs_load(s->txn, ix->meta, &s->runs, &s->nruns, &s->runs_cap);
    s->capped = capped != 0;
    if (rc) {
        ltl__index_snap_end(s);
        return rc;
    }
    *out = s;
    return LTL_OK;
}

void ltl__index_snap_end(struct ltl__index_snap *s)
{
    if (!s)
        return;
    if (s->txn)
        mdb_txn_abort(s->txn);
    ltl__free(s->runs);
    ltl__free(s);
}

uint64_t ltl__index_snap_hwm(const struct ltl__index_snap *s)
{
    return s->hwm;
}

size_t ltl__index_snap_runs(const struct ltl__index_snap *s)
{
    return s->nruns;
}

uint64_t ltl__index_snap_paths(const struct ltl__index_snap *s)
{
    MDB_stat st;
    return mdb_stat(s->txn, s->ix->paths, &st) == 0 ? st.ms_entries : 0; /* all are paths */
}

int ltl__index_path_id(struct ltl__index_snap *s, const char *path, size_t len, uint32_t *out,
                       bool *multi)
{
    if (len > LTL__INDEX_PATH_MAX)
        return LTL_ENOTFOUND; /* never indexed */
    char kbuf[LTL__INDEX_PATH_MAX + 1];
    MDB_val k = path_key(kbuf, path, len), v;
    int mrc = mdb_get(s->txn, s->ix->paths, &k, &v);
    if (mrc == MDB_NOTFOUND)
        return LTL_ENOTFOUND;
    if (mrc)
        return mdb_error(mrc, "read paths");
    if (v.mv_size != 12)
        return ltl__errf(LTL_ECORRUPT, "index: a path entry is damaged");
    *out = get_be32(v.mv_data);
    if (multi)
        *multi = (get_be64((unsigned char *)v.mv_data + 4) & PATH_MULTI) != 0;
    return LTL_OK;
}

/* The scan of one run. */
static int scan_run(MDB_cursor *cur, const struct run *run, uint32_t path, const void *key_lo,
                    size_t lo_len, bool lo_incl, const void *key_hi, size_t hi_len, bool hi_incl,
                    uint64_t seq_lo, uint64_t seq_hi, uint64_t limit, uint64_t *emitted,
                    ltl__index_seq_fn fn, void *ctx)
{
    unsigned char start[KEY_MAX];
    size_t plen = vr_put(start, run->id);
    plen += vr_put(start + plen, path);
    size_t start_len = plen;
    bool equality = key_lo && key_hi && lo_len == hi_len && memcmp(key_lo, key_hi, lo_len) == 0;
    if (key_lo) {
        memcpy(start + plen, key_lo, lo_len);
        start_len += lo_len;
        if (equality) {
            /* start at the block holding seq_lo */
            uint64_t off = seq_lo > run->base ? seq_lo - run->base : 0;
            put_be32(start + start_len, off > UINT32_MAX ? UINT32_MAX : (uint32_t)off);
            start_len += 4;
        }
    }
    MDB_val k = {start_len, start}, v;
    int mrc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
    size_t vkey_len = plen + lo_len; /* an equality's key length without the offset */
    if (equality && mrc == 0) {
        /* the block before may hold seq_lo */
        MDB_val pk = k, pv = v;
        if (mdb_cursor_get(cur, &pk, &pv, MDB_PREV) == 0 && pk.mv_size == vkey_len + 4 &&
            memcmp(pk.mv_data, start, vkey_len) == 0)
            k = pk, v = pv;
        else
            mrc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
    } else if (equality && mrc == MDB_NOTFOUND) {
        mrc = mdb_cursor_get(cur, &k, &v, MDB_LAST);
        if (mrc == 0 && !(k.mv_size == vkey_len + 4 && memcmp(k.mv_data, start, vkey_len) == 0))
            mrc = MDB_NOTFOUND;
    }
    int rc = LTL_OK;
    for (; mrc == 0; mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        const unsigned char *kd = k.mv_data;
        if (k.mv_size < plen + 4 || memcmp(kd, start, plen) != 0)
            break;
        const unsigned char *vk = kd + plen;
        size_t vlen = k.mv_size - plen - 4;
        if (key_lo) {
            int c = key_cmp(vk, vlen, key_lo, lo_len);
            if (c < 0 || (c == 0 && !lo_incl))
                continue;
        }
        if (key_hi) {
            int c = key_cmp(vk, vlen, key_hi, hi_len);
            if (c > 0 || (c == 0 && !hi_incl))
                break;
        }
        uint64_t seq = run->base + get_be32(kd + plen + vlen);
        if (seq > seq_hi) {
            if (equality)
                break;
            continue; /* this value's later blocks are past the range too */
        }
        const unsigned char *p = v.mv_data;
        if (seq >= seq_lo) {
            if ((rc = fn(ctx, seq)))
                return rc;
            if (limit && ++*emitted >= limit)
                return LTL_DONE;
        }
        for (size_t pos = 0; pos < v.mv_size;) {
            uint64_t d;
            size_t n = leb_get(p + pos, v.mv_size - pos, &d);
            if (!n)
                return ltl__errf(LTL_ECORRUPT, "index: a postings block is damaged");
            pos += n;
            seq += d;
            if (seq < seq_lo)
                continue;
            if (seq > seq_hi)
                break;
            if ((rc = fn(ctx, seq)))
                return rc;
            if (limit && ++*emitted >= limit)
                return LTL_DONE;
        }
    }
    if (mrc != 0 && mrc != MDB_NOTFOUND)
        return mdb_error(mrc, "read postings");
    return LTL_OK;
}

int ltl__index_scan(struct ltl__index_snap *s, uint32_t path, const void *key_lo, size_t lo_len,
                    bool lo_incl, const void *key_hi, size_t hi_len, bool hi_incl, uint64_t seq_lo,
                    uint64_t seq_hi, uint64_t limit, ltl__index_seq_fn fn, void *ctx)
{
    if (lo_len > LTL__QUERY_KEY_MAX || hi_len > LTL__QUERY_KEY_MAX)
        return ltl__errf(LTL_EINVAL, "index: a lookup key is too long");
    MDB_cursor *cur;
    int mrc = mdb_cursor_open(s->txn, s->ix->post, &cur);
    if (mrc)
        return mdb_error(mrc, "open a cursor");
    int rc = LTL_OK;
    uint64_t emitted = 0;
    for (size_t i = 0; i < s->nruns && rc == LTL_OK; i++) {
        const struct run *r = &s->runs[i];
        if (r->end <= seq_lo || r->base > seq_hi || r->end == r->base)
            continue;
        rc = scan_run(cur, r, path, key_lo, lo_len, lo_incl, key_hi, hi_len, hi_incl, seq_lo,
                      seq_hi, limit, &emitted, fn, ctx);
    }
    mdb_cursor_close(cur);
    return rc;
}

int ltl__index_paths(struct ltl__index_snap *s, const char *prefix, size_t prefix_len,
                     ltl__index_path_fn fn, void *ctx)
{
    MDB_cursor *cur;
    int mrc = mdb_cursor_open(s->txn, s->ix->paths, &cur);
    if (mrc)
        return mdb_error(mrc, "open a cursor");
    if (prefix_len > LTL__INDEX_PATH_MAX) {
        mdb_cursor_close(cur);
        return LTL_OK; /* no indexed path is that long */
    }
    char kbuf[LTL__INDEX_PATH_MAX + 1];
    MDB_val k = path_key(kbuf, prefix, prefix_len), v;
    int rc = LTL_OK;
    for (mrc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); mrc == 0;
         mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        const char *kd = k.mv_data;
        if (k.mv_size < 1 + prefix_len || kd[0] != PATH_KEY ||
            memcmp(kd + 1, prefix, prefix_len) != 0)
            break;
        if (v.mv_size != 12)
            continue;
        if ((rc = fn(ctx, kd + 1, k.mv_size - 1,
                     get_be64((unsigned char *)v.mv_data + 4) & ~PATH_MULTI)))
            break;
    }
    if (rc == LTL_OK && mrc != 0 && mrc != MDB_NOTFOUND)
        rc = mdb_error(mrc, "read paths");
    mdb_cursor_close(cur);
    return rc;
}
