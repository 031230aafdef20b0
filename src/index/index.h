/* SPDX-License-Identifier: MIT */
/*
 * index.h — the field index: every scalar of every JSON record, under its
 * wildcard path, in an LMDB environment at STORE/index/ (docs/INDEX.md).
 *
 * Postings live in RUNS: each run covers a range of seqs [base, end) and
 * owns the key range that starts with its id, so the keys of the
 * postings database are
 *     run id | path id | value key (src/query: order-preserving) | u32 (first seq - base)
 * (ids in an order-preserving varint of 1 to 5 bytes, the seq offset
 * big-endian) and a value holds the other seqs of one block as LEB128
 * deltas, up to LTL__INDEX_BLOCK bytes (empty for a single posting). A
 * bulk build (a catch-up, a reindex, an import) writes each chunk of
 * records as a new run with MDB_APPEND: its keys are greater than every
 * key already there, so the pages fill completely and nothing is searched
 * or rewritten, however large the index is. Small batches (the indexer
 * following live appends) go into the last run while it is small (the
 * active run), extending each value's last block. A lookup reads each
 * run's key range; the seqs of one value come in ascending order, run
 * after run. Path id 0 is the record's topic (@topic).
 *
 * The meta database holds the high-water mark (every record with a
 * smaller seq is indexed) and the runs, written in the same transaction
 * as the postings; the paths database maps wildcard paths to ids and
 * value counts.
 *
 * The index is checked before it is believed: every value of the three
 * databases starts with a check over its own key and value and the key of
 * the entry before it, and each database ends with a sentinel. Readers
 * verify every entry they use and the one before the first, so a damaged
 * entry and an entry missing from where a lookup looks are both caught;
 * then the call fails with LTL_ECORRUPT ("index: damaged (...)"), the
 * query scans the log instead, and the file STORE/index/damaged tells the
 * next writer to rebuild the index (docs/INDEX.md section 3.6).
 *
 * Values of sealed (encrypted) records are indexed as keyed tokens, under
 * paths that are tokens too, with a key derived from the store's record
 * key: without the read key the index reveals none of them.
 *
 * The index is derived data: deleting STORE/index loses nothing (a writer
 * rebuilds it from the log). LMDB does its own file I/O (not through the
 * ltl__io table); its transactions make every commit atomic.
 *
 * Threads: parts are built by any threads at once (the path dictionary
 * has a lock); one thread at a time commits (the store's indexer, an
 * import or a reindex, under the indexer's write lock); readers in any
 * thread or process open read snapshots.
 */
#ifndef LTL_INDEX_H
#define LTL_INDEX_H

#include "core/core.h"

#define LTL__INDEX_DIR        "index"
#define LTL__INDEX_VERSION    4
#define LTL__INDEX_BLOCK      512  /* bytes of deltas in a postings block */
#define LTL__INDEX_TOPIC_PATH 0    /* path id of @topic */
#define LTL__INDEX_PATH_MAX   500  /* longer wildcard paths are not indexed (LMDB keys: 511) */
#define LTL__INDEX_RULES_MAX  4000 /* bytes of index.paths the index can be built for */
/* The mark a reader (or verify) leaves in STORE/index when it found the index
 * damaged: the next writer rebuilds it. */
#define LTL__INDEX_DAMAGED "damaged"

struct ltl__index;

/* What to index (from the config keys index.paths and index.max_paths). */
struct ltl__index_rules {
    const char *patterns; /* "glob,glob,-glob": allow, and '-' deny; NULL or "" = everything */
    uint64_t max_paths;   /* distinct paths at most; more are not indexed (a warning) */
    /* The store's record key (struct ltl__seal_key's 32 bytes) when the handle has the
     * read key, else NULL: the key of the tokens that stand for the values and paths
     * of sealed records. key_id: the read key's id. */
    const unsigned char *seal_key;
    uint32_t key_id;
};

/* Open the environment in dir (created when writable, files 0600 in a 0700
 * directory). Read-only handles of a missing index give LTL_ENOTFOUND. A
 * version this code does not know, an index built for other rules or
 * tokens of another read key is LTL_EVERSION, a damaged one LTL_ECORRUPT (a
 * writer then rebuilds: the store removes it; so does the mark
 * LTL__INDEX_DAMAGED, for a writer: LTL_ECORRUPT). */
int ltl__index_open(struct ltl__index **out, const char *dir, bool writable,
                    const struct ltl__index_rules *rules, ltl__logger *log) LTL__WUR;
void ltl__index_close(struct ltl__index *ix);

/* Records indexed: every seq below is in the index (the committed value). */
int ltl__index_hwm(struct ltl__index *ix, uint64_t *out) LTL__WUR;
/* Drop everything (a rebuild follows). Writer. */
int ltl__index_clear(struct ltl__index *ix) LTL__WUR;
/* Distinct paths known, and whether the cap stopped new ones. */
void ltl__index_path_stats(struct ltl__index *ix, uint64_t *paths, bool *capped);

/* ---- building (writer) --------------------------------------------------------
 * A part holds the postings of a contiguous range of records, as offsets
 * from a base seq that may be set after it is built (an import knows the
 * seqs only once its records are appended). Build it in one thread with
 * part_add (records in order), finish it (sorts and packs it: it then
 * holds a few bytes per distinct value), set its base, and commit parts in
 * seq order. */

struct ltl__index_part;

int ltl__index_part_new(struct ltl__index_part **out, struct ltl__index *ix) LTL__WUR;
void ltl__index_part_free(struct ltl__index_part *p);
/* Flags of ltl__index_part_add. */
#define LTL__INDEX_SEALED                                                                          \
    1u /* the record is sealed: payload (NULL when it could not be                                 \
          opened) is its plaintext; values and paths become tokens */

/* Add record number `rel` of the part (0, 1, ...; increasing; gaps are
 * records without postings): its topic, and when payload is not NULL every
 * scalar under its wildcard path (as tokens with LTL__INDEX_SEALED; a sealed
 * record without its plaintext, or without the index's key, adds its topic
 * and marks the index as holding records it could not index). LTL_OK;
 * LTL_EPARSE (the payload is not JSON: nothing of it is added, the topic is;
 * *err says where when not NULL); LTL_ENOMEM. */
int ltl__index_part_add(struct ltl__index_part *p, uint64_t rel, const char *topic,
                        size_t topic_len, const void *payload, size_t len, unsigned flags,
                        ltl_json_error *err) LTL__WUR;
/* The part covers `records` records (at least the last rel + 1). */
void ltl__index_part_set_records(struct ltl__index_part *p, uint64_t records);
/* Sort and pack: no adds after it. LTL_OK or LTL_ENOMEM. */
int ltl__index_part_finish(struct ltl__index_part *p) LTL__WUR;
/* The seq of record 0 of the part. */
void ltl__index_part_set_base(struct ltl__index_part *p, uint64_t base);
uint64_t ltl__index_part_base(const struct ltl__index_part *p);
uint64_t ltl__index_part_records(const struct ltl__index_part *p);
/* Bytes the part holds (after finish: its packed size). */
size_t ltl__index_part_bytes(const struct ltl__index_part *p);

/* Write finished parts, in seq order and covering [hwm, new_hwm) together,
 * in one transaction with the new high-water mark. new_run: a run of their
 * own (a bulk chunk); else into the active run (a new one when the last
 * run is full). LTL_OK; LTL_EIO; LTL_ENOSPC; LTL_ETIMEOUT (the map could
 * not grow while readers use it: try again later); LTL_EINVAL (parts not
 * contiguous with the index). The parts stay valid (a failed commit can be
 * retried). */
int ltl__index_commit(struct ltl__index *ix, struct ltl__index_part *const *parts, size_t n,
                      uint64_t new_hwm, bool new_run) LTL__WUR;
/* The committed high-water mark as the writer knows it (no transaction). */
uint64_t ltl__index_writer_hwm(const struct ltl__index *ix);

/* ---- reading (any thread) ----------------------------------------------------- */

/* A read snapshot: everything a query reads comes from one. */
struct ltl__index_snap;
int ltl__index_snap_begin(struct ltl__index_snap **out, struct ltl__index *ix) LTL__WUR;
void ltl__index_snap_end(struct ltl__index_snap *s);
uint64_t ltl__index_snap_hwm(const struct ltl__index_snap *s);
/* Distinct paths in the index. */
uint64_t ltl__index_snap_paths(const struct ltl__index_snap *s);
/* Runs in the snapshot. */
size_t ltl__index_snap_runs(const struct ltl__index_snap *s);

/* Would a value under this wildcard path be in the index (the rules it was
 * built with allow it)? If not, a query term on it must scan. */
bool ltl__index_path_indexed(const struct ltl__index_snap *s, const char *path, size_t len);
/* Did the cap on distinct paths stop new ones? Then a path the index does not
 * know may still be in records (a term on it must scan); a known path has all
 * its values, since its first record. */
bool ltl__index_snap_capped(const struct ltl__index_snap *s);

/* Which payload values a snapshot can look up for this handle:
 *   PLAIN   those of plaintext records: every value this handle can match (it has
 *           no read key, or the index holds no sealed record's values);
 *   TOKENS  those of plaintext records, and of sealed records as tokens (the
 *           handle has the read key the tokens were made with);
 *   NONE    the index holds sealed records this handle could read but cannot
 *           look up (tokens of another key, or records indexed without one):
 *           payload terms scan. */
enum { LTL__INDEX_VALUES_PLAIN, LTL__INDEX_VALUES_TOKENS, LTL__INDEX_VALUES_NONE };
int ltl__index_snap_values(const struct ltl__index_snap *s);
/* Does the index hold sealed records (their values as tokens, or not at all)? */
bool ltl__index_snap_sealed(const struct ltl__index_snap *s);

/* A wildcard path in the index: its id among the paths of plaintext records
 * and (with LTL__INDEX_VALUES_TOKENS) among those of sealed records,
 * LTL__INDEX_NO_PATH when absent; multi: some record held more than one value
 * under it (an array or a repeated key); without, a record has at most one
 * value there. */
#define LTL__INDEX_NO_PATH UINT32_MAX
struct ltl__index_path {
    uint32_t plain, sealed;
    bool multi;
};
int ltl__index_path_lookup(struct ltl__index_snap *s, const char *path, size_t len,
                           struct ltl__index_path *out) LTL__WUR;
/* The key under which a sealed record's value with value key vkey at path is
 * indexed (a token), appended to out. Needs LTL__INDEX_VALUES_TOKENS. */
int ltl__index_token_key(const struct ltl__index_snap *s, const char *path, size_t len,
                         const void *vkey, size_t vkey_len, ltl__buf *out) LTL__WUR;

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
 * were indexed under it (paths of sealed records too, named, when the handle
 * has the key of their tokens; counted together with the same path of
 * plaintext records). */
typedef int (*ltl__index_path_fn)(void *ctx, const char *path, size_t len, uint64_t count);
int ltl__index_paths(struct ltl__index_snap *s, const char *prefix, size_t prefix_len,
                     ltl__index_path_fn fn, void *ctx) LTL__WUR;

/* On-disk size of the environment, in bytes. */
uint64_t ltl__index_disk_bytes(struct ltl__index *ix);

/* The first time an index call of this handle reported damage: true (the caller
 * warns once per handle, not once per query). */
bool ltl__index_damage_first(struct ltl__index *ix);

/* ---- checking the whole index against the log (ltl verify) -------------------
 * begin: a snapshot, and every entry of the three databases checked (its check,
 * its place, block encodings, seqs inside their run, runs tiling [0, hwm)). Then,
 * for each run, the parts of its records built from the log (check_part_new: a
 * part that resolves paths through the snapshot and never adds one) are
 * compared with the run's postings, block by block; end compares the paths'
 * counts. A difference or damage is LTL_ECORRUPT ("index: damaged (...)"). */
struct ltl__index_check;
struct ltl__index_check_stats {
    uint64_t hwm;      /* records the index covers */
    uint64_t runs;     /* runs */
    uint64_t entries;  /* entries of the three databases checked */
    uint64_t postings; /* postings compared with the log */
    bool values;       /* the values of sealed records were compared too (the key) */
};
int ltl__index_check_begin(struct ltl__index_check **out, struct ltl__index *ix) LTL__WUR;
uint64_t ltl__index_check_hwm(const struct ltl__index_check *c);
size_t ltl__index_check_runs(const struct ltl__index_check *c);
void ltl__index_check_run_range(const struct ltl__index_check *c, size_t i, uint64_t *base,
                                uint64_t *end);
int ltl__index_check_part_new(struct ltl__index_part **out, struct ltl__index_check *c) LTL__WUR;
/* Compare run i with finished parts covering [base, end), in seq order. */
int ltl__index_check_run(struct ltl__index_check *c, size_t i, struct ltl__index_part *const *parts,
                         size_t n) LTL__WUR;
int ltl__index_check_end(struct ltl__index_check *c, struct ltl__index_check_stats *out) LTL__WUR;
void ltl__index_check_free(struct ltl__index_check *c);

/* ---- the store's indexer (src/store/indexer.c), for the import ------------------
 * An import (src/store/import.c) flattens its records on its worker pool
 * while it parses them, and hands the parts to the indexer once appended,
 * so the log is not read back and parsed a second time. The feed writes
 * runs as chunks fill, after making their records durable (the index never
 * covers a record a crash could take back); records that came from
 * elsewhere in between (a manifest, another thread's appends) are read
 * from the log. */

struct ltl_db;
struct ltl__pool;
struct ltl__index_feed;

/* Start feeding: NULL in *out when the store indexes nothing now (index.enabled
 * off, index.defer, paused, failed): the import then only appends. Takes the
 * indexer's write lock until feed_end. */
int ltl__indexer_feed_begin(struct ltl_db *db, struct ltl__pool *pool,
                            struct ltl__index_feed **out) LTL__WUR;
/* The part of records [first_seq, first_seq + its records), appended by the
 * import; the feed owns it from now on (also on failure). */
int ltl__indexer_feed_part(struct ltl__index_feed *f, struct ltl__index_part *part,
                           uint64_t first_seq) LTL__WUR;
/* With ok, index what is left (up to the durable end) and commit; always
 * frees the feed and releases the lock. */
int ltl__indexer_feed_end(struct ltl__index_feed *f, bool ok);

#endif
