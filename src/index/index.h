/* SPDX-License-Identifier: MIT */
/*
 * index.h — the field index: every scalar of every JSON record, under its
 * wildcard path, in an LMDB environment at STORE/index/ (docs/INDEX.md).
 *
 * Keys of the postings database are
 *     u32 path id (big-endian) | value key (src/query: order-preserving) | u64 first seq
 * and a value holds the seqs of one block: LEB128 deltas from the first seq
 * (the first delta is 0), up to LTL__INDEX_BLOCK bytes. All blocks of one
 * (path, value) are adjacent and in seq order, so a lookup is a range scan
 * and a range query walks value keys in order. Path id 0 is the record's
 * topic (@topic). The meta database holds the high-water mark: every record
 * with a smaller seq is indexed, in the same transaction as its postings.
 *
 * The index is derived data: deleting STORE/index loses nothing (a writer
 * rebuilds it from the log). LMDB does its own file I/O (not through the
 * ltl__io table); its transactions make every commit atomic.
 *
 * Threads: one writer (the store's indexer thread, or a reindex) builds and
 * commits batches; readers in any thread or process open read transactions.
 */
#ifndef LTL_INDEX_H
#define LTL_INDEX_H

#include "core/core.h"

#define LTL__INDEX_DIR        "index"
#define LTL__INDEX_VERSION    1
#define LTL__INDEX_BLOCK      512  /* bytes of deltas in a postings block */
#define LTL__INDEX_TOPIC_PATH 0    /* path id of @topic */
#define LTL__INDEX_PATH_MAX   1024 /* longer wildcard paths are not indexed */

struct ltl__index;

/* What to index (from the config keys index.paths and index.max_paths). */
struct ltl__index_rules {
    const char *patterns; /* "glob,glob,-glob": allow, and '-' deny; NULL or "" = everything */
    uint64_t max_paths;   /* distinct paths at most; more are not indexed (a warning) */
};

/* Open the environment in dir (created when writable). Read-only handles of
 * a missing index give LTL_ENOTFOUND. A version this code does not know is
 * LTL_EVERSION (a writer then rebuilds: ltl__index_clear). */
int ltl__index_open(struct ltl__index **out, const char *dir, bool writable,
                    const struct ltl__index_rules *rules, ltl__logger *log) LTL__WUR;
void ltl__index_close(struct ltl__index *ix);

/* Records indexed: every seq below is in the index. */
int ltl__index_hwm(struct ltl__index *ix, uint64_t *out) LTL__WUR;
/* Drop everything (a rebuild follows). Writer. */
int ltl__index_clear(struct ltl__index *ix) LTL__WUR;
/* Distinct paths known, and whether the cap stopped new ones. */
void ltl__index_path_stats(struct ltl__index *ix, uint64_t *paths, bool *capped);

/* ---- building (writer) ---------------------------------------------------- */

struct ltl__index_batch;

int ltl__index_batch_new(struct ltl__index_batch **out, struct ltl__index *ix) LTL__WUR;
void ltl__index_batch_free(struct ltl__index_batch *b);
/* Add one record: its topic, and when payload is not NULL (a JSON record,
 * decrypted) every scalar under its wildcard path. Records come in seq order.
 * LTL_OK; LTL_EPARSE (the payload is not JSON: nothing of it is added, the
 * topic is); LTL_ENOMEM. */
int ltl__index_batch_add(struct ltl__index_batch *b, uint64_t seq, const char *topic,
                         size_t topic_len, const void *payload, size_t len) LTL__WUR;
/* Drop what the batch holds (its records are added again later). */
void ltl__index_batch_reset(struct ltl__index_batch *b);
/* Records and bytes of postings pending in the batch. */
void ltl__index_batch_size(const struct ltl__index_batch *b, uint64_t *records, size_t *bytes);
/* Write the batch in one transaction with the new high-water mark (every
 * record below it is in), then empty it. LTL_OK; LTL_EIO; LTL_ENOSPC. */
int ltl__index_batch_commit(struct ltl__index_batch *b, uint64_t hwm) LTL__WUR;

/* ---- reading (any thread) ----------------------------------------------------- */

/* A read snapshot: everything a query reads comes from one. */
struct ltl__index_snap;
int ltl__index_snap_begin(struct ltl__index_snap **out, struct ltl__index *ix) LTL__WUR;
void ltl__index_snap_end(struct ltl__index_snap *s);
uint64_t ltl__index_snap_hwm(const struct ltl__index_snap *s);
/* Distinct paths in the index. */
uint64_t ltl__index_snap_paths(const struct ltl__index_snap *s);

/* Would a value under this wildcard path be in the index (the rules allow
 * it and the cap was never hit)? If not, a query term on it must scan. */
bool ltl__index_path_indexed(const struct ltl__index_snap *s, const char *path, size_t len);
/* The id of a wildcard path; LTL_ENOTFOUND when it was never indexed. */
int ltl__index_path_id(struct ltl__index_snap *s, const char *path, size_t len,
                       uint32_t *out) LTL__WUR;

/* Called for every seq of a lookup, in ascending seq order per value key. */
typedef int (*ltl__index_seq_fn)(void *ctx, uint64_t seq);

/* The seqs in [seq_lo, seq_hi] of records whose value at path id `path`
 * has a key in [key_lo, key_hi] (NULL: unbounded; *_incl: inclusive). With
 * key_lo == key_hi (an equality), seqs come in ascending order; for a range
 * they come value by value (the caller sorts). `limit` (0: none) stops the
 * walk after that many seqs with LTL_DONE: the planner's counting. */
int ltl__index_scan(struct ltl__index_snap *s, uint32_t path, const void *key_lo, size_t lo_len,
                    bool lo_incl, const void *key_hi, size_t hi_len, bool hi_incl, uint64_t seq_lo,
                    uint64_t seq_hi, uint64_t limit, ltl__index_seq_fn fn, void *ctx) LTL__WUR;

/* Every indexed path starting with prefix, in order, with how many values
 * were indexed under it. */
typedef int (*ltl__index_path_fn)(void *ctx, const char *path, size_t len, uint64_t count);
int ltl__index_paths(struct ltl__index_snap *s, const char *prefix, size_t prefix_len,
                     ltl__index_path_fn fn, void *ctx) LTL__WUR;

/* On-disk size of the environment, in bytes. */
uint64_t ltl__index_disk_bytes(struct ltl__index *ix);

#endif
