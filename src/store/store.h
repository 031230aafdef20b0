/* SPDX-License-Identifier: MIT */
/*
 * store.h — the store's internals: the on-disk format's constants and
 * codecs (docs/FORMAT.md is the normative description), segments and their
 * sparse offset indexes, the writer (group commit), recovery, manifests,
 * and the db handle that ties them together.
 */
#ifndef LTL_STORE_H
#define LTL_STORE_H

#include "core/config.h"
#include "core/core.h"
#include "io/io.h"
#include "trust/trust.h"

#include <pthread.h>
#include <stdatomic.h>

/* ---- format constants (docs/FORMAT.md) ----------------------------------- */

#define LTL__FORMAT_VERSION 1
#define LTL__HASH_SHA256    1

#define LTL__HEADER_FILE  "LTL"
#define LTL__HEADER_SIZE  48
#define LTL__HEADER_MAGIC "LTLSTORE"

#define LTL__SEG_MAGIC       "LTLSEGMT"
#define LTL__SEG_HEADER_SIZE 64
#define LTL__FRAME_HEADER    8
#define LTL__BODY_HEADER     32
#define LTL__BODY_VERSION    1

#define LTL__MARKER_FILE  "synced"
#define LTL__MARKER_MAGIC "LTLSYNCD"
#define LTL__MARKER_SLOT  64

/* Every LTL__SPARSE_EVERY-th frame of a segment has its offset indexed. */
#define LTL__SPARSE_EVERY 32

#define LTL__NO_SEQ UINT64_MAX

static inline uint64_t ltl__align8(uint64_t n)
{
    return (n + 7) & ~(uint64_t)7;
}

/* Bytes a frame with a body of body_len occupies in a segment. */
static inline uint64_t ltl__frame_size(uint64_t body_len)
{
    return LTL__FRAME_HEADER + ltl__align8(body_len);
}

/* ---- codecs (src/store/format.c) ------------------------------------------ */

struct ltl__store_header {
    uint32_t version;
    uint32_t hash;
    unsigned char store_id[16];
    int64_t created;
};

void ltl__header_encode(unsigned char out[LTL__HEADER_SIZE], const struct ltl__store_header *h);
/* LTL_OK, LTL_ECORRUPT (bad magic or CRC), LTL_EVERSION. */
int ltl__header_decode(struct ltl__store_header *out, const unsigned char in[LTL__HEADER_SIZE]);

struct ltl__seg_header {
    unsigned char store_id[16];
    uint64_t base_seq;
    uint64_t salt;
    int64_t created;
};

void ltl__seg_header_encode(unsigned char out[LTL__SEG_HEADER_SIZE],
                            const struct ltl__seg_header *h);
int ltl__seg_header_decode(struct ltl__seg_header *out,
                           const unsigned char in[LTL__SEG_HEADER_SIZE]);

/* A decoded body; pointers point into the frame bytes. */
struct ltl__body {
    unsigned kind;
    unsigned flags;
    uint64_t seq;
    int64_t ts;
    uint64_t manifest_seq;
    const char *topic;
    size_t topic_len;
    const unsigned char *payload;
    size_t payload_len;
};

/* Encode a frame (header, body, zero padding) into out, which has
 * ltl__frame_size(LTL__BODY_HEADER + topic_len + payload_len) bytes. */
void ltl__frame_encode(unsigned char *out, uint64_t salt, const struct ltl__body *b);
/* The same in two steps, for a payload produced in place (sealed): write the
 * body header and topic (returns their length: the payload goes right
 * after), then, with the payload in place, pad and checksum the frame. */
size_t ltl__frame_encode_header(unsigned char *out, const struct ltl__body *b);
void ltl__frame_finish(unsigned char *out, uint64_t salt, size_t body_len);

/* Why a frame is not valid; FRAME_OK for a good frame, FRAME_END for the
 * zero length that ends the data. */
enum ltl__frame_status {
    LTL__FRAME_OK = 0,
    LTL__FRAME_END,       /* len == 0 */
    LTL__FRAME_TRUNCATED, /* the frame runs past the available bytes */
    LTL__FRAME_BAD_LEN,   /* length impossible */
    LTL__FRAME_BAD_CRC,   /* checksum mismatch */
    LTL__FRAME_BAD_BODY,  /* checksum fine, fields invalid (version, kind, flags, padding) */
    LTL__FRAME_BAD_SEQ,   /* a valid frame out of sequence (seq or time goes backwards) */
};

const char *ltl__frame_status_name(enum ltl__frame_status st);

/* Check the frame at p (avail bytes available) and decode its body.
 * *size receives the frame's size in the segment when FRAME_OK. */
enum ltl__frame_status ltl__frame_decode(struct ltl__body *out, uint64_t *size,
                                         const unsigned char *p, size_t avail, uint64_t salt,
                                         uint64_t max_len);

/* Is the frame at p whole but for non-zero padding (which no checksum covers)? */
bool ltl__frame_padding_only(const unsigned char *p, size_t avail, uint64_t salt, uint64_t max_len);

/* Decode a record body on its own (a proof carries one): LTL_OK, LTL_EPARSE. */
int ltl__body_decode(struct ltl__body *out, const unsigned char *body, size_t len) LTL__WUR;

/* "data", "manifest", "system", "lost". */
const char *ltl__kind_name(unsigned kind);

/* Lost-record markers (kind LTL_KIND_LOST, docs/FORMAT.md): a frame of exactly
 * `size` bytes (a multiple of 8, at least LTL__LOST_MIN) at seq, topic _ltl,
 * whose JSON payload names the reason and the lost record's leaf hash, as
 * much of that as fits, padded with spaces. */
#define LTL__LOST_LEAF 32
#define LTL__LOST_MIN  48
void ltl__lost_encode(unsigned char *out, uint64_t size, uint64_t salt, uint64_t seq, int64_t ts,
                      uint64_t manifest_seq, const unsigned char *leaf, const char *reason);
/* The frame size a marker needs to hold everything given (leaf and reason may be NULL). */
uint64_t ltl__lost_size(const unsigned char *leaf, const char *reason);
/* The payload text itself (its length, 0 when cap is too small). */
int ltl__lost_text(char *out, size_t cap, const unsigned char *leaf, const char *reason);
/* The leaf hash a marker keeps; false when it has none. */
bool ltl__lost_leaf(const struct ltl__body *b, unsigned char out[LTL__LOST_LEAF]);

/* Topic rules (docs/FORMAT.md). LTL_OK or LTL_EINVAL with a message. */
int ltl__topic_check(const char *topic, size_t len, bool allow_reserved) LTL__WUR;

/* "0000000000000000.seg" for a base seq; buf has at least 32 bytes. */
void ltl__seg_name(char *buf, size_t len, uint64_t base);
/* Parse a segment file name; false when it is not one. */
bool ltl__seg_name_parse(const char *name, uint64_t *base);

/* ---- segments (src/store/segment.c) --------------------------------------- */

struct ltl__segment {
    uint64_t base;
    char name[32];
    char *path;
    /* read side: descriptor opened on first use, header read then */
    pthread_mutex_t mu;
    int fd;
    bool header_read;
    uint64_t salt;
    uint64_t file_size;
    /* sparse offset index: sparse[k] = offset of frame base + k * SPARSE_EVERY,
     * covering frames before scan_off; scan_seq is the seq at scan_off */
    uint32_t *sparse;
    size_t nsparse, sparse_cap;
    uint64_t scan_off;
    uint64_t scan_seq;
    int64_t first_ts;           /* INT64_MIN until read */
    int64_t last_ts;            /* of the frame before scan_off */
    uint64_t last_manifest_seq; /* of the frame before scan_off */
    /* why the last scan stopped at scan_off: LTL__FRAME_END (clean), a bad
     * frame status, or LTL__FRAME_BAD_SEQ */
    int scan_stop;
    /* scan_off when a clean end there was last found to agree with the
     * durable point (so the hot path need not read log/synced again) */
    uint64_t end_checked_off;
};

/* The position of one record. */
struct ltl__loc {
    struct ltl__segment *seg;
    uint64_t off;
};

struct ltl_db;

/* The segment after seg, or NULL. */
struct ltl__segment *ltl__seg_next(struct ltl_db *db, const struct ltl__segment *seg);
/* Forget segments from index i on (repair moved them aside). */
void ltl__segs_truncate(struct ltl_db *db, size_t i);
/* Load the list of segment files of the log directory (sorted by base). */
int ltl__segs_load(struct ltl_db *db) LTL__WUR;
/* Add a new segment (the writer rolled). */
int ltl__segs_add(struct ltl_db *db, uint64_t base) LTL__WUR;
void ltl__segs_free(struct ltl_db *db);
/* Reload the list when a reader suspects new segments. */
int ltl__segs_refresh(struct ltl_db *db) LTL__WUR;
/* The segment holding seq (largest base <= seq), or NULL. Caller holds no lock. */
struct ltl__segment *ltl__segs_find(struct ltl_db *db, uint64_t seq);
/* Segment i (0-based) and the count; the pointer stays valid until close. */
struct ltl__segment *ltl__segs_at(struct ltl_db *db, size_t i);
size_t ltl__segs_count(struct ltl_db *db);

/* Open the segment for reading (once) and validate its header. Holds seg->mu inside. */
int ltl__seg_open_read(struct ltl_db *db, struct ltl__segment *seg) LTL__WUR;
/* Extend the sparse index of seg up to what is on disk now (or through
 * `want_seq`). Where the valid frames stop short of want_seq, the stop is
 * judged against the durable point (ltl__durable_point): a stop below it, or
 * a segment that ends before the next one begins, is damage, LTL_ECORRUPT
 * naming the segment, the offset and the record; a stop beyond it is the
 * current end of the log (a writer may be writing there, or a crash left a
 * torn tail that the next writer recovers). */
int ltl__seg_scan(struct ltl_db *db, struct ltl__segment *seg, uint64_t want_seq) LTL__WUR;
/* The same without the judgement, for recovery and repair, which decide
 * themselves what a stop means. */
int ltl__seg_scan_raw(struct ltl_db *db, struct ltl__segment *seg, uint64_t want_seq) LTL__WUR;
/* A reader that found no valid frame at (seg, off), where seq belongs
 * (status: why): LTL_OK when that is the current end of the log, or
 * LTL_ECORRUPT when it is damage (the judgement of ltl__seg_scan). */
int ltl__seg_check_stop(struct ltl_db *db, struct ltl__segment *seg, uint64_t off, uint64_t seq,
                        int status) LTL__WUR;

/* The seq after the last frame the segment's scan found valid so far. */
uint64_t ltl__seg_scanned(struct ltl_db *db, struct ltl__segment *seg);

/* The durable point: every frame before offset `off` of the segment based at
 * `seg_base` (and every frame of earlier segments) was written by a writer
 * that recorded so; next_seq is the seq at that point. In the writer's own
 * process it is what the writer has handed to the OS; elsewhere it is the
 * newest valid slot of log/synced. known is false when there is none. */
struct ltl__durable {
    bool known;
    uint64_t seg_base, off, next_seq;
};
int ltl__durable_point(struct ltl_db *db, struct ltl__durable *out) LTL__WUR;
/* Find the offset of seq in seg: LTL_OK, LTL_ENOTFOUND (not there yet). */
int ltl__seg_locate(struct ltl_db *db, struct ltl__segment *seg, uint64_t seq,
                    uint64_t *out_off) LTL__WUR;

/* Read the record seq (located, read and checked to be seq) into buf; *out is its
 * decoded body, pointing into buf; LTL_ENOTFOUND beyond the end. The raw body (what
 * its leaf hashes) is buf->data + LTL__FRAME_HEADER, *body_len bytes (may be NULL). */
int ltl__read_seq(struct ltl_db *db, uint64_t seq, ltl__buf *buf, struct ltl__body *out,
                  size_t *body_len) LTL__WUR;

/* The public reading calls without the error boundary (ltl__err_begin/end):
 * library code calls these, so a failure's first message reaches the caller
 * of the outermost public call. Same contracts as ltl_get, ltl_cursor_open,
 * ltl_cursor_next, ltl_cursor_wait; ltl__get with `envelope` gives a record
 * this handle cannot open as its envelope (LTL_RECORD_ENCRYPTED) instead of
 * LTL_EKEY. */
int ltl__get(ltl_record **out, struct ltl_db *db, uint64_t seq, bool envelope) LTL__WUR;
int ltl__cursor_open(ltl_cursor **out, struct ltl_db *db, const ltl_cursor_options *opts) LTL__WUR;
int ltl__cursor_next(const ltl_record **out, ltl_cursor *cur) LTL__WUR;
int ltl__cursor_wait(ltl_cursor *cur, int timeout_ms) LTL__WUR;

/* Read the frame at (seg, off) into buf (grown as needed) and decode it. */
int ltl__read_frame(struct ltl_db *db, struct ltl__segment *seg, uint64_t off, ltl__buf *buf,
                    struct ltl__body *out, uint64_t *size) LTL__WUR;

/* Walk the valid frames of seg from (from_off, expected seq from_seq) up to
 * seq to_seq (exclusive) or the first frame that is not valid, calling fn
 * for each with its decoded body and the raw body bytes (what a leaf hashes).
 * Reads in large chunks. *end (may be NULL) says where and why it stopped:
 * stop is LTL__FRAME_OK when to_seq was reached, else the frame status
 * (LTL__FRAME_END: the data ends cleanly). fn returning non-zero stops the
 * walk with that value. */
struct ltl__walk_end {
    uint64_t off;
    uint64_t next_seq;
    int stop;
};
typedef int (*ltl__frame_fn)(void *ctx, struct ltl__segment *seg, uint64_t off,
                             const struct ltl__body *b, const unsigned char *body, size_t len);
int ltl__frames_walk(struct ltl_db *db, struct ltl__segment *seg, uint64_t from_off,
                     uint64_t from_seq, uint64_t to_seq, ltl__frame_fn fn, void *ctx,
                     struct ltl__walk_end *end) LTL__WUR;

/* The end of the log as a reader sees it now: the next seq. */
int ltl__log_end(struct ltl_db *db, uint64_t *out_next_seq) LTL__WUR;
/* The first seq whose ts >= ts (or the end). */
int ltl__seq_for_time(struct ltl_db *db, int64_t ts, uint64_t *out) LTL__WUR;

/* ---- manifests (src/store/manifest.c) -------------------------------------- */

/* The JSON payload describing this process as a writer. Caller frees. */
struct ltl__keys;
char *ltl__manifest_json(const struct ltl__config_values *cfg,
                         const struct ltl__keys *keys) LTL__WUR;
/* The manifest of seq (read and cached), with a reference the caller gives
 * back with ltl__manifest_release(); NULL when unreadable. */
const ltl_manifest *ltl__manifest_acquire(struct ltl_db *db, uint64_t seq);
void ltl__manifest_release(struct ltl_db *db, const ltl_manifest *m);
void ltl__manifests_free(struct ltl_db *db);

/* ---- the writer (src/store/writer.c) --------------------------------------- */

struct ltl__writer;

/* The position recovery found: the tail segment, where the data ends there,
 * the next seq, the last ts and manifest seq. */
struct ltl__tail {
    struct ltl__segment *seg;
    uint64_t end_off;
    uint64_t next_seq;
    int64_t last_ts;
    uint64_t last_manifest_seq;
};

int ltl__writer_start(struct ltl_db *db, const struct ltl__tail *tail) LTL__WUR;
/* Stop the syncer, flush and sync per mode; frees the writer. */
int ltl__writer_stop(struct ltl_db *db);
/* Append a system record (topic _ltl) with a JSON payload, and sync it. */
int ltl__writer_system_event(struct ltl_db *db, const char *json) LTL__WUR;
/* Rotate the read key: append, durably, a system record saying which read key
 * the store sealed with and which it seals with from now on, then a manifest
 * naming the new key (what the next writer's key is checked against). This
 * writer holds the old key, so it appends nothing more (LTL_EKEY): reopen the
 * store with the new key first in keys.read. *out_seq: the system record. */
int ltl__writer_rotate_read(struct ltl_db *db, const struct ltl__seal_key *next,
                            uint64_t *out_seq) LTL__WUR;
int ltl__writer_append(struct ltl_db *db, const ltl_msg *msgs, size_t count,
                       uint64_t *out_first) LTL__WUR;
int ltl__writer_sync(struct ltl_db *db) LTL__WUR;
/* Write the process buffer to the OS (no sync): readers in this process see it. */
int ltl__writer_flush(struct ltl_db *db) LTL__WUR;
/* Records written to the OS (every seq below). */
uint64_t ltl__writer_written(struct ltl_db *db);
/* Where the written records end: the tail segment's base, the offset, the seq. */
void ltl__writer_written_point(struct ltl_db *db, uint64_t *seg_base, uint64_t *off,
                               uint64_t *next_seq);
/* Next seq, durable next seq, bytes in the tail segment. */
void ltl__writer_position(struct ltl_db *db, uint64_t *next_seq, uint64_t *durable_seq,
                          uint64_t *tail_end);

/* The durable-point marker (log/synced). */
struct ltl__marker {
    uint64_t generation;
    uint64_t seg_base;
    uint64_t off;
    uint64_t next_seq;
};
/* Read the newest valid slot; LTL_ENOTFOUND when none (missing or both bad). */
int ltl__marker_read(struct ltl_db *db, struct ltl__marker *out, int *bad_slots) LTL__WUR;

/* ---- recovery (src/store/recover.c) and repair (src/store/repair.c) -------- */

/* STORE/repair/<UTC time>-<pid>, created: where recovery and repair keep what
 * they move out of the log. Caller frees. */
int ltl__aside_dir(struct ltl_db *db, char **out) LTL__WUR;
/* Copy bytes [from, to) of a file into dest (created 0600, fsynced). */
int ltl__copy_range(struct ltl_db *db, const char *path, uint64_t from, uint64_t to,
                    const char *dest) LTL__WUR;
/* The name of a path inside the store relative to it, for messages and events. */
const char *ltl__store_rel(const struct ltl_db *db, const char *path);

/* A record repair replaced by a lost-record marker, and the leaf hash the hash
 * index held for it (has_leaf false: none), for ltl__tree_attach. */
struct ltl__lost {
    uint64_t seq;
    bool has_leaf;
    unsigned char leaf[32];
};
/* Repair (LTL_OPEN_REPAIR): rebuild a damaged STORE/LTL from the segment
 * headers (the caller saw its read fail with LTL_ECORRUPT); with dry_run only
 * say what would be done. Sets db->header. */
int ltl__repair_store_header(struct ltl_db *db, bool dry_run) LTL__WUR;
/* Repair the log: segment headers, lost-record markers (src/store/repair.c).
 * Events for _ltl go to db->repair_events, the lost records to db->lost. */
int ltl__repair_log(struct ltl_db *db, bool dry_run) LTL__WUR;
/* Write STORE/LTL (LTL.tmp, fsync, rename, fsync the directory); sets db->header. */
int ltl__write_store_header(struct ltl_db *db, const struct ltl__store_header *h) LTL__WUR;

/* Scan the tail, truncate a torn tail (or fail with LTL_ECORRUPT), and with
 * LTL_OPEN_REPAIR move a damaged part aside. Fills *out; *event receives a
 * JSON description of what was done (caller frees) or NULL. */
int ltl__recover(struct ltl_db *db, struct ltl__tail *out, char **event) LTL__WUR;

/* ---- trust (src/store/trust.c, src/store/verify.c) -------------------------- */

/* The most read key files keys.read may name (the current one and older ones). */
#define LTL__READ_KEYS_MAX 16

/* The keys named by keys.write, keys.check and keys.read (secrets: wiped at close).
 * keys.read is a list of read key files: the first seals new records (`seal`), the
 * others only open records sealed before a rotation (`older`). Loaded at open and
 * never changed afterwards, so any thread may read them without a lock. */
struct ltl__keys {
    bool have_write, have_check, have_read;
    struct ltl__write_key write;
    struct ltl__check_key check;
    struct ltl__seal_key seal; /* derived from the first read key and the store id */
    struct ltl__seal_key older[LTL__READ_KEYS_MAX - 1];
    size_t nolder;
};

int ltl__keys_load(struct ltl_db *db) LTL__WUR;
void ltl__keys_wipe(struct ltl_db *db);
/* The key of keys.read whose read key id is `id`, or NULL. */
const struct ltl__seal_key *ltl__keys_read_find(const struct ltl_db *db, uint32_t id);
/* Open the payload of b when it is sealed (LTL_RECORD_ENCRYPTED) with the key of
 * keys.read that sealed it (the one its manifest names; each in turn when the
 * manifest names none): the plaintext goes to plain and b then describes it,
 * flagged LTL_RECORD_SEALED. When keys.read holds no such key: with `envelope`
 * b stays as it is (LTL_RECORD_ENCRYPTED, its payload the sealed bytes, which
 * only an envelope reader may see); without, LTL_EKEY naming the record and the
 * key it needs. A key that should open it and does not is LTL_EKEY (altered or
 * damaged). Records that are not sealed are left alone. */
int ltl__record_unseal(struct ltl_db *db, struct ltl__body *b, ltl__buf *plain,
                       bool envelope) LTL__WUR;
/* The LTL_EKEY that reading the payload of record seq gives on this handle (the
 * record is sealed with a key keys.read does not hold), for callers that kept
 * only its envelope (the namespace). */
int ltl__record_key_error(struct ltl_db *db, uint64_t seq) LTL__WUR;
/* Writer open, before anything is written: the read key the store seals with
 * (named by its last manifest) must be the first of keys.read. A store that
 * seals its records refuses a writer without a read key (it would append
 * plaintext to an encrypted log) and a writer with another one (no single key
 * would read the store) with LTL_EKEY saying what to do; the key changes only
 * through ltl_keys_rotate_read(). */
int ltl__keys_check_writer(struct ltl_db *db, const struct ltl__tail *tail) LTL__WUR;
/* The checkpoints' origin line (checkpoint.origin, or ltl/<store id>). */
void ltl__origin(struct ltl_db *db, char *out, size_t len);
/* *out: origin is this store's (its origin now, or that of one of its checkpoints,
 * made before checkpoint.origin changed); false: a checkpoint of another log. */
int ltl__origin_known(struct ltl_db *db, const char *origin, bool *out) LTL__WUR;
/* fn for every record with seq in [from, to), across segments; a bad frame is
 * LTL_ECORRUPT; fn returning non-zero stops the walk with that value. */
int ltl__log_walk(struct ltl_db *db, uint64_t from, uint64_t to, ltl__frame_fn fn,
                  void *ctx) LTL__WUR;
/* Writer: open log/tree.hashes and bring it level with the log's next_seq
 * (cut what is ahead or differs, append what is missing); what it did goes
 * to note. Sets db->tree. */
int ltl__tree_attach(struct ltl_db *db, uint64_t next_seq, ltl__buf *note) LTL__WUR;
/* The first leaf in [from, size) whose append completed an inner node that is
 * not the hash of its children (*out; LTL__NO_SEQ when every one is). */
int ltl__tree_first_bad_node(struct ltl__tree *t, uint64_t from, uint64_t size,
                             uint64_t *out) LTL__WUR;
/* The hash index for proofs: the writer's, or a read-only view, refreshed. */
int ltl__tree_for_reading(struct ltl_db *db, struct ltl__tree **out) LTL__WUR;

/* The checkpoints file: fn per entry (index, text, file offset). A torn
 * last entry is skipped; *out_end (may be NULL) is where valid entries end. */
typedef int (*ltl__checkpoint_fn)(void *ctx, uint64_t index, const char *text, size_t len,
                                  uint64_t off);
int ltl__checkpoints_each(struct ltl_db *db, ltl__checkpoint_fn fn, void *ctx,
                          uint64_t *out_end) LTL__WUR;
/* Repair: a checkpoints file that does not read (LTL_ECORRUPT) is rewritten
 * with the entries that check out (checksum, or signature by the check key);
 * the original is kept under STORE/repair/. *event: the _ltl event (caller
 * frees), NULL when nothing was done. */
int ltl__checkpoints_repair(struct ltl_db *db, bool dry_run, char **event) LTL__WUR;
/* Append a checkpoint text (one write, fdatasync). */
int ltl__checkpoints_append(struct ltl_db *db, const char *text, size_t len) LTL__WUR;
/* The checkpoint of the given size (LTL__NO_SEQ: the last one), its text and
 * parsed form, signature checked when a check key is configured. */
int ltl__checkpoint_find(struct ltl_db *db, uint64_t size, ltl__buf *text,
                         struct ltl__checkpoint *out) LTL__WUR;
/* C2SP tlog-proof of seq in the checkpoint of `size` (LTL__NO_SEQ: the last),
 * with the record's body as its extra data. */
int ltl__proof_inclusion(struct ltl_db *db, uint64_t seq, uint64_t size, ltl__buf *out) LTL__WUR;
int ltl__proof_consistency(struct ltl_db *db, uint64_t old_size, uint64_t new_size,
                           ltl__buf *out) LTL__WUR;
/* Writer: sync the log and the index, append a (signed) checkpoint of the
 * whole log; its text goes to out (may be NULL). */
int ltl__writer_checkpoint(struct ltl_db *db, ltl__buf *out) LTL__WUR;

/* Writer: write the buffered records and the hash index's buffered nodes,
 * so readers of the files (verify, proofs) see everything appended. */
int ltl__writer_flush_index(struct ltl_db *db) LTL__WUR;
/* Verify the store (src/store/verify.c): LTL_OK, LTL_EVERIFY (out says
 * what and where), or an operational error. */
int ltl__verify(ltl_verify_report *out, struct ltl_db *db, const ltl_verify_options *opts) LTL__WUR;

/* ---- the index (src/store/indexer.c, src/store/query.c) ---------------------- */

struct ltl__index;
struct ltl__indexer;
/* Open STORE/index (a writer rebuilds one it cannot read). */
int ltl__index_open_for(struct ltl_db *db, bool writable, struct ltl__index **out) LTL__WUR;
/* Writer: open the index and start the indexer thread (unless index.defer). */
int ltl__indexer_start(struct ltl_db *db, uint64_t next_seq) LTL__WUR;
/* Stop the thread; with catch_up, index what is left first. Frees it. */
int ltl__indexer_stop(struct ltl_db *db, bool catch_up);
int ltl__indexer_pause(struct ltl_db *db, bool pause);
int ltl__indexer_rebuild(struct ltl_db *db, ltl_progress_fn progress, void *ctx) LTL__WUR;
uint64_t ltl__indexer_hwm(struct ltl_db *db);
/* The writer's index (NULL when index.enabled is off). LMDB allows one
 * environment per process, so the writer's queries read through it. */
int ltl__indexer_index(struct ltl_db *db, struct ltl__index **out) LTL__WUR;
/* The query executor and the other public calls library code uses, without
 * the error boundary (see ltl__get): same contracts as ltl_query_open,
 * ltl_query_next, ltl_stat, ltl_append, ltl_proof. */
int ltl__query_open(ltl_query **out, struct ltl_db *db, const char *expr,
                    const ltl_query_options *opts) LTL__WUR;
int ltl__query_next(const ltl_record **out, ltl_query *qy) LTL__WUR;
int ltl__stat(ltl_info *out, struct ltl_db *db) LTL__WUR;
int ltl__append(uint64_t *out, struct ltl_db *db, const char *topic, const void *data, size_t len,
                unsigned int flags) LTL__WUR;
int ltl__proof(char **out, struct ltl_db *db, uint64_t seq, uint64_t size) LTL__WUR;
int ltl__paths(struct ltl_db *db, const char *prefix, ltl_path_fn fn, void *ctx) LTL__WUR;
/* The index fields of ltl_info. */
int ltl__index_stat(struct ltl_db *db, ltl_info *out) LTL__WUR;
/* The index queries read (the writer's, or a reader's opened once); NULL when there
 * is none or it is of another version; LTL_ECORRUPT when it is damaged. */
int ltl__index_for_reading(struct ltl_db *db, struct ltl__index **out) LTL__WUR;
/* ltl verify's check of the field index against the log: fills the index_* fields
 * of out; LTL_OK (sound, or no index to check), LTL_ECORRUPT (damaged: out and the
 * error say what), or an operational error. */
int ltl__index_verify(struct ltl_db *db, ltl_verify_report *out) LTL__WUR;

/* ---- the handle (src/store/db.c) -------------------------------------------- */

struct ltl_db {
    char *path;
    char *log_dir;
    ltl__io *io;
    ltl__logger log;
    ltl_config *config;
    struct ltl__config_values cfg;
    unsigned int flags;
    bool writable;
    struct ltl__store_header header;
    int lock_fd;

    pthread_rwlock_t segs_lock;
    struct ltl__segment **segs;
    size_t nsegs, segs_cap;

    struct ltl__writer *writer;

    pthread_mutex_t manifest_mu;
    struct ltl__manifest_entry *manifests;

    struct ltl__keys keys;
    struct ltl__indexer *indexer; /* the writer's indexer, or NULL */
    pthread_mutex_t index_mu;     /* a reader's index, opened once */
    struct ltl__index *index;
    pthread_mutex_t tree_mu; /* opening the read-only view */
    struct ltl__tree *tree;  /* the writer's hash index, or a reader's view */

    /* What repair did: JSON events for _ltl (appended once the writer runs), and
     * the records it marked lost. */
    char **repair_events;
    size_t nrepair_events;
    struct ltl__lost *lost;
    size_t nlost;
    uint64_t repair_first_lost; /* the first seq this open's repair marked lost, or NO_SEQ */

    /* The checkpoint ltl__checkpoint_find() found last, parsed and checked, kept while
     * the checkpoints file is the same (inode, size, modification time): proofs ask
     * for one on every call, and reading the file and checking the signature cost
     * more than the proof. Under cp_mu. */
    pthread_mutex_t cp_mu;
    struct {
        bool valid;
        uint64_t want, dev, ino, size;
        int64_t mtime_ns;
        ltl__buf text;
        struct ltl__checkpoint cp;
    } cp_cache;
};

/* Open with a given I/O table (tests pass the fault table). */
int ltl__open_io(ltl_db **out, const char *path, const ltl_options *opts, ltl__io *io) LTL__WUR;

/* Join path parts: caller frees. */
char *ltl__path_join(const char *a, const char *b) LTL__WUR;

#endif
