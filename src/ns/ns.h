/* SPDX-License-Identifier: MIT */
/*
 * ns.h — the namespace's internals (docs/NAMESPACE.md is the normative
 * description): frames and their data cells, the cache (a hash table of
 * frames keyed by parent and name, bounded by a CLOCK sweep, read without
 * locks under an epoch scheme), path parsing, the walk, and the modules.
 *
 * Concurrency, in short (the long form is in docs/NAMESPACE.md):
 *  - Every change to the cache (insert, evict, re-sync, bind, register)
 *    happens under ns->mu. Readers take no lock: they announce themselves
 *    on a per-thread shard counter of the current epoch parity, read the
 *    table and frames through atomics, and leave.
 *  - What a change unlinks (frames, cells, old tables) goes to a limbo list
 *    and is freed only after two parity flips, each made when no reader is
 *    left on the other parity: no reader can still see it then.
 *  - A frame is reference counted: the cache holds one reference while the
 *    frame is in the table (dropped after the grace period), children hold
 *    one on their parent, transforms on their source, aliases on their
 *    target, nodes on what they return. A frame whose only reference is the
 *    cache's is unpinned: the CLOCK sweep may evict it.
 */
#ifndef LTL_NS_NS_H
#define LTL_NS_NS_H

#include "core/core.h"

#include <pthread.h>
#include <stdatomic.h>

#define NS_MAX_TREES   32   /* stores in one namespace (the own one and bound ones) */
#define NS_SHARDS      64   /* reader shards (one cache line each) */
#define NS_MAX_UNION   16   /* unions nested inside unions, at most */
#define NS_NAME_MAX    4096 /* = LTL_NS_PATH_MAX */
#define NS_MODNAME_MAX 32

/* Frame kinds: the public two, and the cache's own. */
enum ns_kind {
    NS_FILE = LTL_NS_FILE,
    NS_DIR = LTL_NS_DIR,
    NS_NEG = 3,   /* a cached miss */
    NS_UNION = 4, /* a union bound at a path (a directory) */
    NS_ALIAS = 5, /* a name under a union, pointing at the member's frame */
};

/* What a frame's content depends on, and so when it must be made again.
 * FIXED never changes; the others carry the stamp of their source. */
enum ns_policy {
    NS_FIXED = 0,       /* made from records or other fixed data */
    NS_LOG = 1,         /* the log end (records in the store) */
    NS_CHECKPOINTS = 2, /* the size of STORE/checkpoints */
    NS_INDEX = 3,       /* the index's high-water mark */
    NS_MIXED = 4,       /* an alias under a union: the sum of the members' log ends */
};
#define NS_NPOLICIES 5

/* How a cell lists its entries. */
enum ns_list_kind {
    NS_LIST_NONE = 0,
    NS_LIST_NAMES = 1, /* entries[] */
    NS_LIST_RANGE = 2, /* seqs lo..hi-1 as decimal names (files) */
    NS_LIST_SEQS = 3,  /* seqs[] as decimal names (files) */
};

/* Frame flags. */
enum {
    NSF_RECORD = 1 << 0,  /* made from one record: seq, mtime, rflags are set */
    NSF_PINNED = 1 << 1,  /* never evicted (roots, unions) */
    NSF_POINTER = 1 << 2, /* its children are named by JSON Pointer tokens */
    NSF_SEALED = 1 << 3,  /* a record whose payload this handle cannot open (no data) */
};

struct ns_entry {
    const char *name;
    uint32_t len;
    uint8_t kind;
};

/* A frame's content at one stamp. Immutable once published. A FIXED
 * frame's cell lives inside the frame (embedded); a changing frame's cell
 * is replaced whole when the frame re-syncs. */
struct ns_cell {
    atomic_uint refs; /* the frame's, plus nodes'; unused when embedded */
    bool embedded;
    bool has_data;
    uint8_t list; /* NS_LIST_* */
    uint64_t stamp;
    uint64_t gen; /* log end when made */
    const char *data;
    size_t len;
    char *owned; /* data allocated for this cell (else borrowed) */
    uint64_t lo, hi;
    uint64_t *seqs;
    size_t nseqs;
    struct ns_entry *entries;
    size_t nentries;
    char *names;      /* the entries' names, NUL-separated */
    uint64_t *counts; /* NS_LIST_NAMES of /paths: a number per entry */
    uint64_t scanned; /* records [0, scanned) went into this content */
    size_t bytes;     /* what the cell occupies (not counting an embedding frame) */
    bool accounted;   /* counted in ns->bytes */
    struct ns_cell *limbo_next;
};

struct ns_tree;
struct ns_module;
struct ns_union;
struct ns_modtab;

struct ns_frame {
    /* set before the frame is published, then read-only */
    struct ns_frame *parent; /* a reference; NULL for roots */
    struct ns_frame *source; /* a reference: the frame whose data this one's borrows */
    struct ns_frame *target; /* ALIAS: a reference */
    struct ns_tree *tree;
    const struct ns_module *module;
    struct ns_union *uni;      /* UNION; members change only under ns->mu */
    struct ns_modtab *modules; /* registered here; changes only under ns->mu */
    uint64_t hash;
    uint64_t seq;   /* NSF_RECORD */
    int64_t mtime;  /* NSF_RECORD: the record's ts */
    uint64_t stamp; /* NEG, ALIAS: the stamp of `policy` it is valid for */
    uint32_t name_len;
    uint8_t kind;
    uint8_t policy;
    uint8_t flags;
    uint8_t json_type; /* frames of the json module: LTL_JSON_* of the value */
    unsigned rflags;   /* NSF_RECORD: LTL_RECORD_* */
    /* shared */
    atomic_uint refs;
    atomic_uchar referenced;        /* CLOCK: used since the hand last passed */
    _Atomic(struct ns_cell *) cell; /* NULL for NEG, UNION, ALIAS */
    /* under ns->mu */
    struct ns_frame *ring_prev, *ring_next; /* the CLOCK ring; ring_next links limbo */
    bool in_cache;
    size_t bytes;
    struct ns_cell inline_cell;
    char name[];
};

/* One store in the namespace. */
struct ns_tree {
    ltl_db *db;
    struct ns_frame *root;
    atomic_uint_fast64_t seen_end; /* the log end last observed */
    unsigned index;
};

struct ns_member {
    struct ns_frame *frame; /* a reference */
    unsigned flags;         /* LTL_NS_BIND_* of the bind that added it */
    bool original;          /* what was at the path before the first bind */
};

struct ns_union {
    struct ns_member *members;
    size_t n;
    char *path;             /* where it is bound (normalised text) */
    struct ns_frame *frame; /* the union's frame (not a reference) */
    struct ns_union *next;  /* every union of the namespace */
};

/* A reference the namespace holds on a frame (a registration's directory). */
struct ns_pin {
    struct ns_frame *frame;
    struct ns_pin *next;
};

struct ns_reg {
    const struct ns_module *module;
    struct ns_reg *next;
};

struct ns_modtab {
    struct ns_reg *regs;
};

/* A shard of reader state: who is inside a read section, and counters. */
struct ns_shard {
    atomic_ulong active[2];
    atomic_ulong lookups, hits, misses, neg_hits;
    char pad[64 - 6 * sizeof(unsigned long)];
} __attribute__((aligned(64)));

struct ns_table {
    size_t mask;
    size_t used, tombs;
    struct ns_table *limbo_next;
    _Atomic(struct ns_frame *) slot[];
};

struct ltl_ns {
    ltl_db *db;
    pthread_mutex_t mu;
    _Atomic(struct ns_frame *) root; /* tree 0's root, or the union bound at "/" */
    _Atomic(struct ns_table *) table;
    struct ns_tree *trees[NS_MAX_TREES];
    unsigned ntrees;
    struct ns_union *unions; /* every union, for ltl_ns_append and binds */

    /* epochs */
    atomic_int parity;
    struct ns_shard shards[NS_SHARDS];
    struct ns_frame *limbo_frames[2]; /* [0] recent, [1] one flip old */
    struct ns_cell *limbo_cells[2];
    struct ns_table *limbo_tables[2];

    /* the CLOCK ring of evictable frames */
    struct ns_frame *hand;
    size_t ring_count;

    uint64_t bound;
    atomic_uint_fast64_t bytes, peak_bytes;
    atomic_uint_fast64_t produced, resyncs, evictions, frames;

    struct ns_modtab global; /* modules registered at "/" */
    struct ns_plugin *plugins;
    struct ns_pin *pins;
};

/* ---- the walk's context ------------------------------------------------------- */

/* Stamps observed during one call, so each source is asked once. */
struct ns_walk {
    ltl_ns *ns;
    uint64_t memo[NS_MAX_TREES][NS_NPOLICIES];
    uint32_t memo_valid[NS_MAX_TREES];
    unsigned shard;
    int depth; /* unions inside unions */
};

void ns_walk_init(struct ns_walk *w, ltl_ns *ns);
/* The current stamp of `policy` for `tree` (asks the store once per walk). */
int ns_stamp(struct ns_walk *w, struct ns_tree *tree, int policy, uint64_t *out) LTL__WUR;
/* The stamp an alias or negative frame is checked against. */
int ns_frame_stamp(struct ns_walk *w, const struct ns_frame *f, uint64_t *out) LTL__WUR;

/* ---- modules ------------------------------------------------------------------ */

/* What a module asks the cache to make. */
struct ns_spec {
    int kind;
    int policy;
    unsigned flags; /* NSF_* */
    const struct ns_module *module;
    /* data: borrowed (from the parent's or the source's data, which the new
     * frame keeps alive), or `owned` (moved into the frame), or copied */
    const char *data;
    size_t len;
    bool has_data;
    bool copy;
    char *owned;
    struct ns_frame *source;
    struct ns_cell *cell; /* a changing frame's first content (moved) */
    uint64_t seq;
    int64_t mtime;
    unsigned rflags;
    uint8_t json_type;
    int neg_policy; /* on LTL_ENOTFOUND: what the miss depends on (-1: the parent's policy) */
};

typedef int (*ns_emit_fn)(void *ctx, const char *name, size_t len, int kind);

enum {
    NSM_TRANSFORM = 1 << 0, /* usable as a suffix */
    NSM_POINTER = 1 << 1,   /* frames it makes name their children with JSON Pointer tokens */
    NSM_RECORDS = 1 << 2,   /* a transform of records only */
    NSM_GROWS = 1 << 3,     /* a listing that only grows (records are never taken back):
                               a name its older content has is there still, so find may
                               answer from it without re-syncing first */
};

struct ns_module {
    const char *name;
    unsigned flags;
    /* make the frame NAME.<module> from `src` (self: this module) */
    int (*transform)(struct ns_walk *w, const struct ns_module *self, struct ns_frame *src,
                     struct ns_spec *out);
    /* the child `name` of `dir` (a frame this module made), with its content `cell` */
    int (*find)(struct ns_walk *w, struct ns_frame *dir, const struct ns_cell *cell,
                const char *name, size_t len, struct ns_spec *out);
    /* the entries of `dir` */
    int (*map)(struct ns_walk *w, struct ns_frame *dir, const struct ns_cell *cell, ns_emit_fn emit,
               void *ctx);
    /* the content of a changing frame made anew at `stamp` (old: the previous one, for
     * incremental work) */
    int (*sync)(struct ns_walk *w, struct ns_frame *f, const struct ns_cell *old, uint64_t stamp,
                struct ns_cell **out);
    const ltl_module_v1 *plugin;
};

/* The built-in modules (mod_store.c, mod_record.c). */
extern const struct ns_module ns_mod_root, ns_mod_seq, ns_mod_topics, ns_mod_topic, ns_mod_query,
    ns_mod_result, ns_mod_manifests, ns_mod_checkpoints, ns_mod_paths, ns_mod_record, ns_mod_json,
    ns_mod_flat, ns_mod_env, ns_mod_proof, ns_mod_raw;
/* The built-in module named name (a transform or a directory), or NULL. */
const struct ns_module *ns_builtin(const char *name, size_t len);

/* Records (mod_record.c): the frame of record `seq` of the tree's store. A
 * record sealed with a read key the store's handle lacks is an NSF_SEALED
 * file without data: its envelope, proof and body stay reachable. */
int ns_record_spec(struct ns_walk *w, struct ns_tree *tree, uint64_t seq,
                   struct ns_spec *out) LTL__WUR;
/* The LTL_EKEY for reading the payload of an NSF_SEALED frame, naming the
 * record and the read key it needs. */
int ns_sealed_error(const struct ns_frame *f) LTL__WUR;
/* The kind and JSON type of a JSON value's text. */
void ns_json_kind(const char *data, size_t len, int *kind, uint8_t *json_type);
/* Parse a canonical decimal seq ("0", "42"; no sign, no leading zero). */
bool ns_parse_seq(const char *name, size_t len, uint64_t *out);
/* Write seq in decimal into buf (24 bytes); returns the length. */
size_t ns_format_seq(char *buf, uint64_t seq);

/* Plugins (plugin.c). */
struct ns_plugin;
/* A module wrapping m (checked: version, name, functions). */
int ns_plugin_module(struct ns_module **out, const ltl_module_v1 *m) LTL__WUR;
/* The namespace takes the wrapper (and the dlopen handle, or NULL) to free at close;
 * on failure both are freed. */
int ns_plugin_adopt(ltl_ns *ns, struct ns_module *m, void *dl) LTL__WUR;
void ns_plugins_free(ltl_ns *ns);
int ns_load_modules(ltl_ns *ns, const char *spec) LTL__WUR;
int ns_plugin_load(ltl_ns *ns, const char *path, const char *file) LTL__WUR;
/* Register a module at `path` (ns.c). */
int ns_register(ltl_ns *ns, const char *path, const struct ns_module *m) LTL__WUR;

/* ---- cells -------------------------------------------------------------------- */

struct ns_cell *ns_cell_new(void);
/* Drop a reference; the last one frees the cell (and un-accounts it from ns
 * when it was published; ns may be NULL for a cell never published). */
void ns_cell_unref(ltl_ns *ns, struct ns_cell *c);
/* Account the cell's size (after it is filled). */
void ns_cell_size(struct ns_cell *c);
/* Set the entries of a NAMES cell from a NUL-separated list of n names, with kinds. */
int ns_cell_set_names(struct ns_cell *c, char *names, size_t names_len, const uint8_t *kinds,
                      size_t n) LTL__WUR;
/* Binary search a NAMES cell whose names are sorted; -1 when absent. */
long ns_cell_find_name(const struct ns_cell *c, const char *name, size_t len);
bool ns_cell_has_seq(const struct ns_cell *c, uint64_t seq);

/* ---- the cache (cache.c) -------------------------------------------------------- */

uint64_t ns_hash(const struct ns_frame *parent, const char *name, size_t len);
/* Enter and leave a read section; returns the parity to give back. */
int ns_read_enter(ltl_ns *ns, unsigned shard);
void ns_read_leave(ltl_ns *ns, unsigned shard, int parity);
unsigned ns_my_shard(void);
/* Look a child up (in a read section, or under ns->mu). */
struct ns_frame *ns_table_find(ltl_ns *ns, const struct ns_frame *parent, const char *name,
                               size_t len, uint64_t hash);
/* Make a frame from spec and put it in the cache (under ns->mu). */
int ns_insert(struct ns_walk *w, struct ns_frame *parent, const char *name, size_t len,
              struct ns_spec *spec, struct ns_frame **out) LTL__WUR;
/* Make a frame that is not in the cache (a root, a union): one reference. */
int ns_frame_new(ltl_ns *ns, struct ns_frame *parent, const char *name, size_t len,
                 struct ns_spec *spec, struct ns_frame **out) LTL__WUR;
/* Put a frame (not yet cached) in the table in place of `old` (under ns->mu). */
int ns_table_replace(ltl_ns *ns, struct ns_frame *old, struct ns_frame *f) LTL__WUR;
/* Drop a cached frame from the cache (under ns->mu): freed after the grace period. */
void ns_evict(ltl_ns *ns, struct ns_frame *f);
/* Publish a changing frame's new cell (under ns->mu); the old one is retired. */
void ns_set_cell(ltl_ns *ns, struct ns_frame *f, struct ns_cell *c);
void ns_frame_ref(struct ns_frame *f);
void ns_frame_unref(ltl_ns *ns, struct ns_frame *f);
/* Keep the cache within its bound and free what readers can no longer see (under ns->mu). */
void ns_cache_trim(ltl_ns *ns);
/* Drop every unpinned frame (under ns->mu). */
void ns_cache_flush(ltl_ns *ns);
/* Try to end a grace period (under ns->mu). */
bool ns_try_flip(ltl_ns *ns);
int ns_cache_init(ltl_ns *ns) LTL__WUR;
void ns_cache_free(ltl_ns *ns);
/* Mark a frame used (CLOCK). */
static inline void ns_touch(struct ns_frame *f)
{
    if (!atomic_load_explicit(&f->referenced, memory_order_relaxed))
        atomic_store_explicit(&f->referenced, 1, memory_order_relaxed);
}

/* ---- paths (path.c) ------------------------------------------------------------ */

struct ns_path {
    char *text;        /* the segments, each NUL-terminated (in `inline_text` when short) */
    const char **segs; /* each segment */
    uint32_t *lens;
    size_t n;
    bool dir; /* a trailing '/' */
    char inline_text[256];
    const char *inline_segs[32];
    uint32_t inline_lens[32];
};

/* Check and split a path: '/' first, UTF-8, at most LTL_NS_PATH_MAX bytes;
 * "." dropped, ".." removes the segment before it (and the empty ones after
 * that), empty segments kept (they are JSON Pointer keys after .json). */
int ns_path_parse(struct ns_path *out, const char *path) LTL__WUR;
void ns_path_free(struct ns_path *p);
/* Decode a listed name (a JSON Pointer token: ~0 ~1, and ltl's ~. ~e ~xHH,
 * docs/NAMESPACE.md) into dst (room for len bytes); returns the decoded
 * length, or -1 for a bad escape. */
long ns_token_decode(char *dst, const char *token, size_t len);
/* Append a name as listings show it: a JSON Pointer token ('~' -> ~0, '/' ->
 * ~1) that is also a file name: the names "", "." and ".." are ~e, ~. and
 * ~.., a byte that is not part of valid UTF-8 (or a NUL) is ~xHH. */
int ns_token_encode(ltl__buf *out, const char *name, size_t len) LTL__WUR;
/* Append a name as an RFC 6901 reference token, ~0 and ~1 only (for
 * ltl_json_pointer_get). */
int ns_pointer_token(ltl__buf *out, const char *name, size_t len) LTL__WUR;
/* The path text of segments [0, n) for messages ("/" when n is 0). */
int ns_path_text(ltl__buf *out, const struct ns_path *p, size_t n) LTL__WUR;

/* ---- a set of names (listings that must show each name once) ------------------- */

struct ns_strset {
    uint64_t *hashes;
    char **names;
    size_t mask, used;
};

/* *added says whether the name was new. LTL_OK or LTL_ENOMEM. */
int ns_strset_add(struct ns_strset *s, const char *name, size_t len, bool *added) LTL__WUR;
void ns_strset_free(struct ns_strset *s);

/* ---- errors ----------------------------------------------------------------- */

/* A call into the store failed with rc: keep its message (or name the code). */
int ns_from_db(ltl_db *db, int rc);

#endif /* LTL_NS_NS_H */
