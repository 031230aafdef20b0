/* SPDX-License-Identifier: MIT */
/*
 * index.c — the LMDB field index (see index.h and docs/INDEX.md).
 *
 * Building: a batch collects (path id, value key) -> seqs in a hash table
 * (no allocation per posting: seqs live in one chained array), then
 * commit sorts the distinct keys and writes them in order in one
 * transaction, extending each value's last postings block in place, so an
 * import makes few, ordered puts in large transactions. The path
 * dictionary (path -> id, count) stays in memory in the writer and is
 * written with each commit.
 */
#include "index/index.h"
#include "query/query.h"

#include <errno.h>
#include <fnmatch.h>
#include <lmdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

/* The memory map: address space only, the file grows as needed. It starts
 * at twice the data (at least 1 GiB) and doubles when a commit fills it
 * (valgrind, for one, refuses maps over 32 GiB up front). */
#define MAP_MIN ((size_t)1 << 30)

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

static uint64_t hash_bytes(const void *data, size_t len, uint64_t h)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < len; i++)
        h = (h ^ p[i]) * 0x100000001b3ULL;
    return h;
}

/* ---- the path dictionary (writer) --------------------------------------------- */

struct path_entry {
    char *path; /* owned, NUL-terminated; NULL: free slot */
    size_t len;
    uint32_t id;
    uint64_t count;   /* values indexed under it, as stored */
    uint64_t pending; /* added by the batch, not yet committed */
    bool dirty;       /* new, or count changed */
};

struct ltl__index {
    MDB_env *env;
    MDB_dbi meta, paths, post;
    bool writable;
    char *dir;
    char *patterns;
    uint64_t max_paths;
    ltl__logger *log;
    /* writer: path -> id */
    struct path_entry *dict;
    size_t dict_cap, dict_n;
    uint32_t next_id;
    bool capped, capped_logged;
};

static struct path_entry *dict_find(struct ltl__index *ix, const char *path, size_t len, uint64_t h)
{
    size_t mask = ix->dict_cap - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
        struct path_entry *e = &ix->dict[i];
        if (!e->path || (e->len == len && memcmp(e->path, path, len) == 0))
            return e;
    }
}

static int dict_grow(struct ltl__index *ix)
{
    size_t cap = ix->dict_cap ? ix->dict_cap * 2 : 256;
    struct path_entry *old = ix->dict;
    size_t old_cap = ix->dict_cap;
    ix->dict = ltl__calloc(cap, sizeof(*ix->dict));
    if (!ix->dict) {
        ix->dict = old;
        return ltl__errf(LTL_ENOMEM, "out of memory");
    }
    ix->dict_cap = cap;
    for (size_t i = 0; i < old_cap; i++)
        if (old[i].path)
            *dict_find(ix, old[i].path, old[i].len,
                       hash_bytes(old[i].path, old[i].len, 14695981039346656037ULL)) = old[i];
    ltl__free(old);
    return LTL_OK;
}

/* The entry of a path, created when new (NULL with *skip when it must not be
 * indexed: the rules or the cap). */
static int dict_get(struct ltl__index *ix, const char *path, size_t len, struct path_entry **out)
{
    *out = NULL;
    if (ix->dict_cap == 0) {
        int rc = dict_grow(ix);
        if (rc)
            return rc;
    }
    uint64_t h = hash_bytes(path, len, 14695981039346656037ULL);
    struct path_entry *e = dict_find(ix, path, len, h);
    if (e->path) {
        *out = e;
        return LTL_OK;
    }
    if (ix->max_paths && ix->dict_n >= ix->max_paths) {
        if (!ix->capped_logged)
            ltl__log(ix->log, LTL_LOG_WARN,
                     "index: %llu distinct paths reached (index.max_paths): new paths such as "
                     "'%.*s' are not indexed; queries on them scan the log",
                     (unsigned long long)ix->max_paths, (int)(len > 200 ? 200 : len), path);
        ix->capped = ix->capped_logged = true;
        return LTL_OK;
    }
    if ((ix->dict_n + 1) * 2 > ix->dict_cap) {
        int rc = dict_grow(ix);
        if (rc)
            return rc;
        e = dict_find(ix, path, len, h);
    }
    char *copy = ltl__strndup(path, len);
    if (!copy)
        return ltl__errf(LTL_ENOMEM, "out of memory");
    *e = (struct path_entry){copy, len, ix->next_id++, 0, 0, true};
    ix->dict_n++;
    *out = e;
    return LTL_OK;
}

/* Load the stored dictionary (writer open). Path values: u32 id BE, u64 count BE. */
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
        if (v.mv_size != 12)
            continue;
        struct path_entry *e;
        if ((ix->dict_n + 1) * 2 > ix->dict_cap && (rc = dict_grow(ix)))
            break;
        uint64_t h = hash_bytes(k.mv_data, k.mv_size, 14695981039346656037ULL);
        e = dict_find(ix, k.mv_data, k.mv_size, h);
        char *copy = ltl__strndup(k.mv_data, k.mv_size);
        if (!copy) {
            rc = ltl__errf(LTL_ENOMEM, "out of memory");
            break;
        }
        uint32_t id = get_be32(v.mv_data);
        *e = (struct path_entry){copy, k.mv_size, id, get_be64((unsigned char *)v.mv_data + 4),
                                 0,    false};
        ix->dict_n++;
        if (id >= ix->next_id)
            ix->next_id = id + 1;
    }
    mdb_cursor_close(cur);
    if (rc == LTL_OK && mrc != MDB_NOTFOUND)
        rc = mdb_error(mrc, "read the paths");
    return rc;
}

static bool path_allowed(const struct ltl__index *ix, const char *path)
{
    if (!ix->patterns || !ix->patterns[0])
        return true;
    bool allowed = false, any_allow = false;
    const char *p = ix->patterns;
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

/* ---- open / close ------------------------------------------------------------------ */

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

int ltl__index_open(struct ltl__index **out, const char *dir, bool writable,
                    const struct ltl__index_rules *rules, ltl__logger *log)
{
    *out = NULL;
    struct ltl__index *ix = ltl__calloc(1, sizeof(*ix));
    if (!ix)
        return ltl__errf(LTL_ENOMEM, "out of memory");
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
    if (writable) {
        if (!found && (rc = meta_put_u64(txn, ix->meta, "version", LTL__INDEX_VERSION)))
            goto fail;
        if ((rc = dict_load(ix, txn)))
            goto fail;
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
    for (size_t i = 0; i < ix->dict_cap; i++)
        ltl__free(ix->dict[i].path);
    ltl__free(ix->dict);
    ltl__free(ix->patterns);
    ltl__free(ix->dir);
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
    if (rc) {
        mdb_txn_abort(txn);
        return rc;
    }
    if ((mrc = mdb_txn_commit(txn)))
        return mdb_error(mrc, "commit");
    for (size_t i = 0; i < ix->dict_cap; i++)
        ltl__free(ix->dict[i].path);
    if (ix->dict)
        memset(ix->dict, 0, ix->dict_cap * sizeof(*ix->dict));
    ix->dict_n = 0;
    ix->next_id = 1;
    ix->capped = ix->capped_logged = false;
    return LTL_OK;
}

void ltl__index_path_stats(struct ltl__index *ix, uint64_t *paths, bool *capped)
{
    *paths = ix->dict_n;
    *capped = ix->capped;
}

uint64_t ltl__index_disk_bytes(struct ltl__index *ix)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/data.mdb", ix->dir);
    struct stat st;
    return stat(path, &st) == 0 ? (uint64_t)st.st_blocks * 512 : 0;
}

/* ---- batches ------------------------------------------------------------------------ */

/* A distinct (path id, value key) of the batch. Its seqs are a chain in
 * b->seqs: first .. last, linked by next (0 ends; slot 0 is unused). */
struct batch_entry {
    uint64_t hash;
    uint32_t key_off, key_len; /* in b->keys: u32 path id BE, value key */
    uint32_t first, last;
    uint32_t count;
};

struct seq_node {
    uint64_t seq;
    uint32_t next;
};

struct ltl__index_batch {
    struct ltl__index *ix;
    ltl__buf keys;
    struct batch_entry *entries; /* hash table (hash == 0 and key_len == 0: free) */
    size_t cap, n;
    struct seq_node *seqs;
    size_t nseqs, seqs_cap;
    uint64_t records;
    ltl__buf scratch, key;
    uint64_t seq; /* the record being added */
    int rc;
};

int ltl__index_batch_new(struct ltl__index_batch **out, struct ltl__index *ix)
{
    struct ltl__index_batch *b = ltl__calloc(1, sizeof(*b));
    *out = b;
    if (!b)
        return ltl__errf(LTL_ENOMEM, "out of memory");
    b->ix = ix;
    b->nseqs = 1; /* slot 0 means "none" */
    return LTL_OK;
}

void ltl__index_batch_free(struct ltl__index_batch *b)
{
    if (!b)
        return;
    ltl__buf_free(&b->keys);
    ltl__buf_free(&b->scratch);
    ltl__buf_free(&b->key);
    ltl__free(b->entries);
    ltl__free(b->seqs);
    ltl__free(b);
}

static void batch_reset(struct ltl__index_batch *b)
{
    b->keys.len = 0;
    if (b->entries && b->cap)
        memset(b->entries, 0, b->cap * sizeof(*b->entries));
    b->n = 0;
    b->nseqs = 1;
    b->records = 0;
}

void ltl__index_batch_reset(struct ltl__index_batch *b)
{
    for (size_t i = 0; i < b->ix->dict_cap; i++)
        b->ix->dict[i].pending = 0;
    batch_reset(b);
}

static struct batch_entry *entry_find(struct ltl__index_batch *b, const unsigned char *key,
                                      size_t len, uint64_t h)
{
    size_t mask = b->cap - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
        struct batch_entry *e = &b->entries[i];
        if (e->key_len == 0 ||
            (e->hash == h && e->key_len == len && memcmp(b->keys.data + e->key_off, key, len) == 0))
            return e;
    }
}

static int entries_grow(struct ltl__index_batch *b)
{
    size_t cap = b->cap ? b->cap * 2 : 4096;
    struct batch_entry *old = b->entries;
    size_t old_cap = b->cap;
    b->entries = ltl__calloc(cap, sizeof(*b->entries));
    if (!b->entries) {
        b->entries = old;
        return ltl__errf(LTL_ENOMEM, "out of memory");
    }
    b->cap = cap;
    for (size_t i = 0; i < old_cap; i++)
        if (old[i].key_len)
            *entry_find(b, (unsigned char *)b->keys.data + old[i].key_off, old[i].key_len,
                        old[i].hash) = old[i];
    ltl__free(old);
    return LTL_OK;
}

/* Add (key -> b->seq). */
static int batch_post(struct ltl__index_batch *b, const unsigned char *key, size_t len)
{
    if ((b->n + 1) * 2 > b->cap) {
        int rc = entries_grow(b);
        if (rc)
            return rc;
    }
    if (b->nseqs >= b->seqs_cap) {
        size_t cap = b->seqs_cap ? b->seqs_cap * 2 : 65536;
        struct seq_node *ns = ltl__realloc(b->seqs, cap * sizeof(*ns));
        if (!ns)
            return ltl__errf(LTL_ENOMEM, "out of memory");
        b->seqs = ns;
        b->seqs_cap = cap;
    }
    uint64_t h = hash_bytes(key, len, 14695981039346656037ULL) | 1;
    struct batch_entry *e = entry_find(b, key, len, h);
    uint32_t node = (uint32_t)b->nseqs++;
    b->seqs[node] = (struct seq_node){b->seq, 0};
    if (e->key_len == 0) {
        if (ltl__buf_append(&b->keys, key, len))
            return ltl__errf(LTL_ENOMEM, "out of memory");
        *e = (struct batch_entry){h, (uint32_t)(b->keys.len - len), (uint32_t)len, node, node, 1};
        b->n++;
        return LTL_OK;
    }
    if (b->seqs[e->last].seq == b->seq) {
        b->nseqs--; /* the same value twice in one record: one posting */
        return LTL_OK;
    }
    b->seqs[e->last].next = node;
    e->last = node;
    e->count++;
    return LTL_OK;
}

static int on_scalar(void *ctx, const ltl_json_event *ev)
{
    struct ltl__index_batch *b = ctx;
    if (ev->type < LTL_JSON_NULL || ev->type > LTL_JSON_STRING)
        return 0; /* containers are not indexed: exists on them scans */
    if (ev->wildcard_len > LTL__INDEX_PATH_MAX || !path_allowed(b->ix, ev->wildcard))
        return 0;
    struct path_entry *pe;
    if ((b->rc = dict_get(b->ix, ev->wildcard, ev->wildcard_len, &pe)))
        return 1;
    if (!pe)
        return 0; /* the cap */
    b->key.len = 0;
    unsigned char id[4];
    put_be32(id, pe->id);
    if ((b->rc = ltl__buf_append(&b->key, id, 4)))
        return 1;
    int rc = ltl__query_value_encode(&b->key, ev->type, ev->value, ev->value_len);
    if (rc == LTL_EINVAL)
        return 0;
    if ((b->rc = rc) || (b->rc = batch_post(b, (unsigned char *)b->key.data, b->key.len)))
        return 1;
    pe->pending++;
    pe->dirty = true;
    return 0;
}

int ltl__index_batch_add(struct ltl__index_batch *b, uint64_t seq, const char *topic,
                         size_t topic_len, const void *payload, size_t len)
{
    b->seq = seq;
    b->records++;
    /* the topic, under path id 0 */
    b->key.len = 0;
    unsigned char id[4];
    put_be32(id, LTL__INDEX_TOPIC_PATH);
    ltl__query_value v = {LTL_JSON_STRING, topic, topic_len, {0}};
    int rc = ltl__buf_append(&b->key, id, 4);
    if (!rc)
        rc = ltl__query_value_key(&b->key, &v);
    if (!rc)
        rc = batch_post(b, (unsigned char *)b->key.data, b->key.len);
    if (rc || !payload)
        return rc;
    ltl_json_options opts;
    ltl_json_options_init(&opts);
    opts.mode = LTL_JSON_MODE_DOCUMENT;
    opts.flags = LTL_JSON_EMIT_WILDCARD;
    b->rc = LTL_OK;
    rc = ltl_json_parse(payload, len, &opts, on_scalar, b, NULL);
    if (rc == 1)
        return b->rc;
    return rc;
}

void ltl__index_batch_size(const struct ltl__index_batch *b, uint64_t *records, size_t *bytes)
{
    *records = b->records;
    *bytes = b->keys.len + b->nseqs * sizeof(struct seq_node) + b->cap * sizeof(struct batch_entry);
}

static const struct ltl__index_batch *sort_batch;

static int entry_cmp(const void *a, const void *b)
{
    const struct batch_entry *x = *(struct batch_entry *const *)a;
    const struct batch_entry *y = *(struct batch_entry *const *)b;
    size_t n = x->key_len < y->key_len ? x->key_len : y->key_len;
    int c = memcmp(sort_batch->keys.data + x->key_off, sort_batch->keys.data + y->key_off, n);
    return c ? c : (x->key_len > y->key_len) - (x->key_len < y->key_len);
}

/* Write one value's seqs: extend its last block, then new blocks. */
static int write_postings(struct ltl__index_batch *b, MDB_txn *txn, MDB_cursor *cur,
                          const struct batch_entry *e, int *out_mrc)
{
    const unsigned char *prefix = (unsigned char *)b->keys.data + e->key_off;
    size_t plen = e->key_len;
    unsigned char key[4 + LTL__QUERY_KEY_MAX + 8];
    unsigned char block[LTL__INDEX_BLOCK + 16];
    size_t block_len = 0;
    uint64_t block_first = 0, last = 0;
    bool have_block = false;
    memcpy(key, prefix, plen);
    /* the value's last block: the greatest key below prefix + FF..FF */
    memset(key + plen, 0xff, 8);
    MDB_val k = {plen + 8, key}, v;
    int mrc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
    if (mrc == 0)
        mrc = mdb_cursor_get(cur, &k, &v, MDB_PREV);
    else if (mrc == MDB_NOTFOUND)
        mrc = mdb_cursor_get(cur, &k, &v, MDB_LAST);
    if (mrc == 0 && k.mv_size == plen + 8 && memcmp(k.mv_data, prefix, plen) == 0 &&
        v.mv_size <= LTL__INDEX_BLOCK) {
        block_first = get_be64((unsigned char *)k.mv_data + plen);
        memcpy(block, v.mv_data, v.mv_size);
        block_len = v.mv_size;
        /* the last seq of the block */
        last = block_first;
        for (size_t pos = 0; pos < block_len;) {
            uint64_t d;
            size_t n = leb_get(block + pos, block_len - pos, &d);
            if (!n)
                return ltl__errf(LTL_ECORRUPT, "index: a postings block is damaged");
            last += d;
            pos += n;
        }
        have_block = true;
    } else if (mrc != 0 && mrc != MDB_NOTFOUND) {
        return mdb_error(mrc, "read postings");
    }
    for (uint32_t node = e->first; node; node = b->seqs[node].next) {
        uint64_t seq = b->seqs[node].seq;
        if (have_block && seq <= last)
            continue; /* indexed already (a batch that re-adds records) */
        if (!have_block || block_len + 10 > LTL__INDEX_BLOCK) {
            if (have_block) {
                put_be64(key + plen, block_first);
                MDB_val bk = {plen + 8, key}, bv = {block_len, block};
                if ((mrc = mdb_put(txn, b->ix->post, &bk, &bv, 0))) {
                    *out_mrc = mrc;
                    return mdb_error(mrc, "write postings");
                }
            }
            have_block = true;
            block_first = seq;
            block_len = 0;
            last = seq;
        }
        block_len += leb_put(block + block_len, seq - last);
        last = seq;
    }
    put_be64(key + plen, block_first);
    MDB_val bk = {plen + 8, key}, bv = {block_len, block};
    if ((mrc = mdb_put(txn, b->ix->post, &bk, &bv, 0))) {
        *out_mrc = mrc;
        return mdb_error(mrc, "write postings");
    }
    return LTL_OK;
}

/* One attempt at writing the sorted batch. */
static int commit_once(struct ltl__index_batch *b, struct batch_entry **order, uint64_t hwm,
                       int *out_mrc)
{
    struct ltl__index *ix = b->ix;
    MDB_txn *txn = NULL;
    MDB_cursor *cur = NULL;
    int rc = LTL_OK, mrc;
    *out_mrc = 0;
    if ((mrc = mdb_txn_begin(ix->env, NULL, 0, &txn))) {
        *out_mrc = mrc;
        return mdb_error(mrc, "begin");
    }
    if ((mrc = mdb_cursor_open(txn, ix->post, &cur))) {
        *out_mrc = mrc;
        mdb_txn_abort(txn);
        return mdb_error(mrc, "open a cursor");
    }
    for (size_t i = 0; i < b->n && rc == LTL_OK; i++)
        rc = write_postings(b, txn, cur, order[i], out_mrc);
    /* the paths whose counts changed */
    for (size_t i = 0; i < ix->dict_cap && rc == LTL_OK; i++) {
        struct path_entry *e = &ix->dict[i];
        if (!e->path || !e->dirty)
            continue;
        unsigned char val[12];
        put_be32(val, e->id);
        put_be64(val + 4, e->count + e->pending);
        MDB_val k = {e->len, e->path}, v = {12, val};
        if ((mrc = mdb_put(txn, ix->paths, &k, &v, 0))) {
            *out_mrc = mrc;
            rc = mdb_error(mrc, "write paths");
        }
    }
    if (rc == LTL_OK)
        rc = meta_put_u64(txn, ix->meta, "hwm", hwm);
    if (rc == LTL_OK && ix->capped)
        rc = meta_put_u64(txn, ix->meta, "capped", 1);
    mdb_cursor_close(cur);
    if (rc) {
        mdb_txn_abort(txn);
        return rc;
    }
    if ((mrc = mdb_txn_commit(txn))) {
        *out_mrc = mrc;
        return mdb_error(mrc, "commit");
    }
    return LTL_OK;
}

int ltl__index_batch_commit(struct ltl__index_batch *b, uint64_t hwm)
{
    struct ltl__index *ix = b->ix;
    struct batch_entry **order = NULL;
    int rc = LTL_OK;
    if (b->n) {
        order = ltl__malloc(b->n * sizeof(*order));
        if (!order)
            return ltl__errf(LTL_ENOMEM, "out of memory");
        size_t k = 0;
        for (size_t i = 0; i < b->cap; i++)
            if (b->entries[i].key_len)
                order[k++] = &b->entries[i];
        sort_batch = b; /* the writer is one thread: qsort has no context argument */
        qsort(order, k, sizeof(*order), entry_cmp);
    }
    for (int attempt = 0;; attempt++) {
        int mrc;
        rc = commit_once(b, order, hwm, &mrc);
        if (mrc != MDB_MAP_FULL || attempt == 8)
            break;
        /* the map is full: grow it and write the batch again */
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
    for (size_t i = 0; i < ix->dict_cap; i++) {
        struct path_entry *e = &ix->dict[i];
        if (!e->path || !e->dirty)
            continue;
        if (rc == LTL_OK) {
            e->count += e->pending;
            e->dirty = false;
        }
        e->pending = 0; /* on a failure the records are read and added again */
    }
    batch_reset(b);
    ltl__free(order);
    return rc;
}

/* ---- reading ------------------------------------------------------------------------ */

struct ltl__index_snap {
    struct ltl__index *ix;
    MDB_txn *txn;
    uint64_t hwm;
    bool capped;
};

bool ltl__index_path_indexed(const struct ltl__index_snap *s, const char *path, size_t len)
{
    return !s->capped && len <= LTL__INDEX_PATH_MAX && path_allowed(s->ix, path);
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
    ltl__free(s);
}

uint64_t ltl__index_snap_hwm(const struct ltl__index_snap *s)
{
    return s->hwm;
}

uint64_t ltl__index_snap_paths(const struct ltl__index_snap *s)
{
    MDB_stat st;
    return mdb_stat(s->txn, s->ix->paths, &st) == 0 ? st.ms_entries : 0;
}

int ltl__index_path_id(struct ltl__index_snap *s, const char *path, size_t len, uint32_t *out)
{
    MDB_val k = {len, (void *)path}, v;
    int mrc = mdb_get(s->txn, s->ix->paths, &k, &v);
    if (mrc == MDB_NOTFOUND)
        return LTL_ENOTFOUND;
    if (mrc)
        return mdb_error(mrc, "read paths");
    if (v.mv_size != 12)
        return ltl__errf(LTL_ECORRUPT, "index: a path entry is damaged");
    *out = get_be32(v.mv_data);
    return LTL_OK;
}

/* memcmp order, a prefix first (the order of value keys). */
static int key_cmp(const void *a, size_t alen, const void *b, size_t blen)
{
    size_t n = alen < blen ? alen : blen;
    int c = n ? memcmp(a, b, n) : 0;
    return c ? c : (alen > blen) - (alen < blen);
}

int ltl__index_scan(struct ltl__index_snap *s, uint32_t path, const void *key_lo, size_t lo_len,
                    bool lo_incl, const void *key_hi, size_t hi_len, bool hi_incl, uint64_t seq_lo,
                    uint64_t seq_hi, uint64_t limit, ltl__index_seq_fn fn, void *ctx)
{
    MDB_cursor *cur;
    int mrc = mdb_cursor_open(s->txn, s->ix->post, &cur);
    if (mrc)
        return mdb_error(mrc, "open a cursor");
    unsigned char start[4 + LTL__QUERY_KEY_MAX + 8];
    size_t start_len = 4;
    put_be32(start, path);
    bool equality = key_lo && key_hi && lo_len == hi_len && memcmp(key_lo, key_hi, lo_len) == 0;
    if (key_lo) {
        memcpy(start + 4, key_lo, lo_len);
        start_len += lo_len;
        if (equality) {
            /* start at the block holding seq_lo */
            put_be64(start + start_len, seq_lo);
            start_len += 8;
        }
    }
    MDB_val k = {start_len, start}, v;
    mrc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
    if (equality && mrc == 0) {
        /* the block before may hold seq_lo */
        MDB_val pk = k, pv = v;
        if (mdb_cursor_get(cur, &pk, &pv, MDB_PREV) == 0 && pk.mv_size == 4 + lo_len + 8 &&
            memcmp(pk.mv_data, start, 4 + lo_len) == 0)
            k = pk, v = pv;
        else
            mrc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
    } else if (equality && mrc == MDB_NOTFOUND) {
        mrc = mdb_cursor_get(cur, &k, &v, MDB_LAST);
        if (mrc == 0 && !(k.mv_size == 4 + lo_len + 8 && memcmp(k.mv_data, start, 4 + lo_len) == 0))
            mrc = MDB_NOTFOUND;
    }
    int rc = LTL_OK;
    uint64_t emitted = 0;
    for (; mrc == 0; mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        const unsigned char *kd = k.mv_data;
        if (k.mv_size < 4 + 8 || get_be32(kd) != path)
            break;
        const unsigned char *vk = kd + 4;
        size_t vlen = k.mv_size - 12;
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
        uint64_t seq = get_be64(kd + 4 + vlen);
        if (seq > seq_hi) {
            if (equality)
                break;
            continue; /* this value's later blocks are past the range too */
        }
        const unsigned char *p = v.mv_data;
        for (size_t pos = 0; pos < v.mv_size;) {
            uint64_t d;
            size_t n = leb_get(p + pos, v.mv_size - pos, &d);
            if (!n) {
                rc = ltl__errf(LTL_ECORRUPT, "index: a postings block is damaged");
                goto out;
            }
            pos += n;
            seq += d; /* the first delta is 0: the block's first seq is in its key */
            if (seq < seq_lo)
                continue;
            if (seq > seq_hi)
                break;
            if ((rc = fn(ctx, seq)))
                goto out;
            if (limit && ++emitted >= limit) {
                rc = LTL_DONE;
                goto out;
            }
        }
    }
    if (mrc != 0 && mrc != MDB_NOTFOUND)
        rc = mdb_error(mrc, "read postings");
out:
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
    MDB_val k = {prefix_len, (void *)prefix}, v;
    int rc = LTL_OK;
    for (mrc = prefix_len ? mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE)
                          : mdb_cursor_get(cur, &k, &v, MDB_FIRST);
         mrc == 0; mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        if (k.mv_size < prefix_len || memcmp(k.mv_data, prefix, prefix_len) != 0)
            break;
        if (v.mv_size != 12)
            continue;
        if ((rc = fn(ctx, k.mv_data, k.mv_size, get_be64((unsigned char *)v.mv_data + 4))))
            break;
    }
    if (rc == LTL_OK && mrc != 0 && mrc != MDB_NOTFOUND)
        rc = mdb_error(mrc, "read paths");
    mdb_cursor_close(cur);
    return rc;
}
