/* SPDX-License-Identifier: MIT */
/*
 * ltl.h — the whole public API of libltl, a local, tamper-evident event log.
 *
 * This is the only public header: anything not declared here is not API.
 * It compiles alone as C11 (-pedantic) and as C++.
 *
 * Conventions (see docs/API.md):
 *  - Every fallible call returns int: LTL_OK (0) or a negative LTL_E* code.
 *    LTL_DONE (positive) ends an iteration and is not an error.
 *  - Details of the last failure on a handle: ltl_errmsg(db). Messages name
 *    the failed system call with its errno, and byte offsets for parse errors.
 *  - The single output parameter is named `out` and comes first. Objects
 *    returned through `out` belong to the caller and have one free/close
 *    function; pointers returned directly are borrowed from their parent.
 *  - Every close/free function accepts NULL and does nothing.
 *  - Options are versioned structs: start from ltl_options_init() or
 *    LTL_OPTIONS_INIT, then set fields.
 *  - The library never prints, exits or aborts; it reports through an
 *    optional log callback.
 */
#ifndef LTL_H
#define LTL_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define LTL_API __attribute__((visibility("default")))
#else
#define LTL_API
#endif

/* ------------------------------------------------------------------------
 * Version and build
 * ------------------------------------------------------------------------ */

#define LTL_VERSION_MAJOR 0
#define LTL_VERSION_MINOR 1
#define LTL_VERSION_PATCH 0

/** The build manifest: what `ltl --version` prints. All strings static. */
typedef struct ltl_build {
    const char *version;  /**< "0.1.0" */
    const char *commit;   /**< `git describe` of the source, "unknown" outside git */
    const char *compiler; /**< compiler id and version */
    const char *date;     /**< build date, UTC, YYYY-MM-DD (SOURCE_DATE_EPOCH honoured) */
    const char *type;     /**< CMake build type */
    const char *options;  /**< build options (sanitizers, CPU features in use) */
} ltl_build;

/** The library's version string, e.g. "0.1.0". Static; thread-safe. */
LTL_API const char *ltl_version(void);

/** The build manifest of the library. Static; thread-safe. */
LTL_API const ltl_build *ltl_build_info(void);

/* ------------------------------------------------------------------------
 * Return codes. Values are stable: they are never renumbered.
 * ------------------------------------------------------------------------ */

enum {
    LTL_OK = 0,         /**< success */
    LTL_DONE = 1,       /**< an iteration has no more items (not an error) */
    LTL_EINVAL = -1,    /**< invalid argument (bad topic, bad option, misuse) */
    LTL_ENOMEM = -2,    /**< out of memory */
    LTL_EIO = -3,       /**< an I/O system call failed (errno in ltl_errmsg) */
    LTL_ENOSPC = -4,    /**< no space left on the device */
    LTL_EBUSY = -5,     /**< another process holds the store's writer lock */
    LTL_ENOTFOUND = -6, /**< no such store, record or key */
    LTL_ECORRUPT = -7,  /**< the store is damaged; ltl_errmsg names file and offset */
    LTL_ETOOBIG = -8,   /**< a message, topic or path exceeds its limit */
    LTL_EREADONLY = -9, /**< the handle was opened read-only */
    LTL_EBROKEN = -10,  /**< an earlier write or sync failed: close and reopen */
    LTL_EEXIST = -11,   /**< it exists already */
    LTL_EVERSION = -12, /**< unsupported on-disk format version */
    LTL_EPARSE = -13,   /**< malformed input (JSON, config, time, query) */
    LTL_EPERM = -14,    /**< permission denied, or an unsafe file mode */
    LTL_ECONFIG = -15,  /**< unknown configuration key or bad value */
    LTL_ETIMEOUT = -16, /**< a wait timed out */
    LTL_EKEY = -17,     /**< wrong key or damaged ciphertext */
    LTL_EVERIFY = -18,  /**< verification failed (hash, proof, signature) */
};

/**
 * The name of a return code, e.g. "LTL_EBUSY: store is locked by another writer".
 * @return a static string; never NULL (unknown codes give a generic text).
 * @note thread-safe.
 */
LTL_API const char *ltl_strerror(int rc);

/* ------------------------------------------------------------------------
 * Memory
 * ------------------------------------------------------------------------ */

/** Allocator hooks; ctx is passed to each function. All three are required. */
typedef struct ltl_allocator {
    void *(*malloc_fn)(void *ctx, size_t size);
    void *(*realloc_fn)(void *ctx, void *ptr, size_t size);
    void (*free_fn)(void *ctx, void *ptr);
    void *ctx;
} ltl_allocator;

/**
 * Route every allocation the library makes through @p alc (NULL restores
 * malloc/realloc/free). Memory the library hands to the caller is released
 * with ltl_free(), which uses the same hooks.
 * @return LTL_OK, or LTL_EINVAL when a function pointer is missing.
 * @note not thread-safe: call it before any other ltl function, and while no
 * object allocated under the previous hooks is alive.
 */
LTL_API int ltl_set_allocator(const ltl_allocator *alc);

/** Free memory the library returned to the caller (NULL does nothing). */
LTL_API void ltl_free(void *ptr);

/* ------------------------------------------------------------------------
 * Diagnostics
 * ------------------------------------------------------------------------ */

enum {
    LTL_LOG_OFF = 0,
    LTL_LOG_ERROR = 1,
    LTL_LOG_WARN = 2,
    LTL_LOG_INFO = 3,
    LTL_LOG_DEBUG = 4,
    LTL_LOG_TRACE = 5,
};

/**
 * A log sink. @p msg is one line (no newline; embedded newlines escaped),
 * at most 1024 bytes, ending in "…" when it was cut. Called from any thread
 * that logs, possibly concurrently: the sink must be thread-safe.
 */
typedef void (*ltl_log_fn)(void *ctx, int level, const char *msg);

/**
 * A ready-made sink that writes "ltl: level: msg\n" to stderr with one
 * write(2) per line, so lines from many threads never interleave. Colour
 * only when stderr is a terminal and NO_COLOR is unset. ctx is unused.
 */
LTL_API void ltl_log_stderr(void *ctx, int level, const char *msg);

/** The name of a log level ("error", "warn", ...); "?" when unknown. */
LTL_API const char *ltl_log_level_name(int level);

/* ------------------------------------------------------------------------
 * Opening a store
 * ------------------------------------------------------------------------ */

typedef struct ltl_db ltl_db;

/** Durability modes: see docs/DURABILITY.md for what each guarantees. */
enum {
    LTL_DURABILITY_DEFAULT = 0, /**< from the `durability` config key (default: safe) */
    LTL_FORGETFUL = 1,          /**< acknowledged in memory; never synced */
    LTL_CASUAL = 2,             /**< acknowledged in the process buffer; synced each interval */
    LTL_SAFE = 3,               /**< acknowledged once written to the OS; synced each interval */
    LTL_PARANOID = 4,           /**< acknowledged once on disk (group commit) and read back */
};

enum {
    LTL_OPEN_CREATE = 1 << 0,   /**< create the store when it does not exist */
    LTL_OPEN_READONLY = 1 << 1, /**< a reader: no lock, no recovery, no appends */
    LTL_OPEN_NO_ENV = 1 << 2,   /**< ignore /etc/ltl/config, the user config and LTL_* variables */
    /** Repair a damaged store before opening it as the writer (docs/FORMAT.md, "Repair"):
     *  damaged records become lost-record markers at their seqs, damaged headers are
     *  rebuilt; no intact record is removed and no seq reused. What is replaced is
     *  kept under STORE/repair/. Each step is reported through the log callback. */
    LTL_OPEN_REPAIR = 1 << 3,
    /** With LTL_OPEN_REPAIR: report what repair would do and change nothing; the handle
     *  then reads only (no writer). */
    LTL_OPEN_DRY_RUN = 1 << 4,
};

#define LTL_OPTIONS_VERSION 1

/** Options for ltl_open(). Initialise with ltl_options_init() or LTL_OPTIONS_INIT. */
typedef struct ltl_options {
    unsigned int version; /**< LTL_OPTIONS_VERSION */
    unsigned int flags;   /**< LTL_OPEN_* */
    int durability;       /**< LTL_DURABILITY_DEFAULT or a mode; overrides config */
    const char *config;   /**< "key=value,key=value" overrides (the --config layer), or NULL */
    ltl_log_fn log;       /**< log sink, or NULL for silence */
    void *log_ctx;        /**< passed to log */
    int log_level;        /**< 0: from the `log.level` key; else LTL_LOG_* */
} ltl_options;

#define LTL_OPTIONS_INIT                                                                           \
    {                                                                                              \
        LTL_OPTIONS_VERSION, 0, LTL_DURABILITY_DEFAULT, NULL, NULL, NULL, 0                        \
    }

/** Fill @p opts with defaults (the same as LTL_OPTIONS_INIT). */
LTL_API void ltl_options_init(ltl_options *opts);

/**
 * Open (and with LTL_OPEN_CREATE, create) the store in directory @p path.
 *
 * @param out   receives the handle. It is set even on failure (unless
 *              LTL_ENOMEM) so that ltl_errmsg() can explain; close it.
 * @param path  the store directory; NULL means the default store
 *              ($LTL_STORE, else $XDG_DATA_HOME/ltl/default).
 * @param opts  options, or NULL for defaults.
 *
 * A writer (the default) takes the store's lock, recovers a torn tail left
 * by a crash (recording what it truncated in the system topic `_ltl`) and
 * starts the background syncer its durability mode needs. A reader
 * (LTL_OPEN_READONLY) takes no lock and sees every record a writer made
 * durable, never a partial one.
 *
 * A writer of a store that seals its records (its last manifest names a read
 * key) must have that key first in keys.read: without keys.read it would
 * append plaintext to an encrypted log, and with another key no single key
 * would read the store, so either is LTL_EKEY before anything is written
 * (the key changes only through ltl_keys_rotate_read()).
 *
 * @return LTL_OK; LTL_ENOTFOUND (no store, and no LTL_OPEN_CREATE);
 *         LTL_EBUSY (another writer: ltl_errmsg names its pid);
 *         LTL_ECORRUPT (damage below the durable point, a damaged header: see
 *         LTL_OPEN_REPAIR);
 *         LTL_EKEY (a key file's key is damaged; a writer without the store's
 *         read key, see above); LTL_EVERSION; LTL_ECONFIG; LTL_EIO; LTL_ENOSPC;
 *         LTL_EPERM; LTL_ENOMEM.
 * @note thread-safe; one handle serves many threads.
 */
LTL_API int ltl_open(ltl_db **out, const char *path, const ltl_options *opts);

/**
 * Flush and sync what the mode requires (everything but forgetful), append a
 * checkpoint when records came in, release the lock and free the handle. NULL
 * does nothing. A checkpoint that cannot be written at close (say, a full disk
 * under STORE/checkpoints) does not fail the close: the records are stored and
 * acknowledged; a warning through the log callback says why, and the next writer
 * or ltl_checkpoint() makes it.
 * @return LTL_OK, or the error of the final flush (the handle is freed anyway).
 * @note no other call on @p db may run concurrently or follow.
 */
LTL_API int ltl_close(ltl_db *db);

/**
 * The message of the last failure on @p db ("" when none); never NULL.
 * @note borrowed: valid until the next call on @p db. Each thread sees the
 * message of its own last failure.
 */
LTL_API const char *ltl_errmsg(const ltl_db *db);

/** The store directory @p db was opened on (borrowed; lives as long as db). */
LTL_API const char *ltl_db_path(const ltl_db *db);

/* ------------------------------------------------------------------------
 * Appending
 * ------------------------------------------------------------------------ */

enum {
    LTL_APPEND_JSON = 1 << 0,   /**< the message must be valid JSON (else LTL_EPARSE) */
    LTL_APPEND_DETECT = 1 << 1, /**< mark the message as JSON when it parses as JSON */
};

/** The default topic, used when a topic argument is NULL. */
#define LTL_DEFAULT_TOPIC "default"
/** The reserved system topic, where ltl records its own life. */
#define LTL_SYSTEM_TOPIC "_ltl"
/** The longest topic name in bytes. */
#define LTL_TOPIC_MAX 255

/**
 * Append one message.
 *
 * @param out    receives the record's seq (may be NULL).
 * @param topic  NULL for LTL_DEFAULT_TOPIC; 1..255 bytes of UTF-8 without
 *               control characters, spaces, '/', '*' or '>'; topics starting
 *               with '_' are reserved (docs/FORMAT.md gives the rules).
 * @param data   the message bytes (any bytes; JSON is indexed).
 * @param len    its length, at most the `message.max_size` config key.
 * @param flags  LTL_APPEND_*.
 *
 * Returns when the message is as durable as the handle's mode promises.
 * A message that fails a check is rejected whole; nothing else is affected.
 * @return LTL_OK; LTL_EINVAL (topic); LTL_ETOOBIG; LTL_EPARSE (LTL_APPEND_JSON);
 *         LTL_EREADONLY; LTL_EBROKEN (an earlier write or sync failed);
 *         LTL_EKEY (this handle rotated the read key: reopen it);
 *         LTL_EIO; LTL_ENOSPC; LTL_ENOMEM.
 * @note thread-safe; concurrent appenders share writes and syncs.
 */
LTL_API int ltl_append(uint64_t *out, ltl_db *db, const char *topic, const void *data, size_t len,
                       unsigned int flags);

/** One message of a batch. */
typedef struct ltl_msg {
    const char *topic;  /**< NULL for LTL_DEFAULT_TOPIC */
    const void *data;   /**< message bytes */
    size_t len;         /**< their length */
    unsigned int flags; /**< LTL_APPEND_* */
} ltl_msg;

/**
 * Append @p count messages as consecutive seqs, all or none: every message
 * is checked before any is written. @p out receives the first seq (may be
 * NULL). Returns once all are as durable as the mode promises.
 * @return as ltl_append(); on a check failure ltl_errmsg() names the index.
 */
LTL_API int ltl_append_batch(uint64_t *out, ltl_db *db, const ltl_msg *msgs, size_t count);

/**
 * Make every record appended so far durable on disk (flush the buffer and
 * fdatasync), whatever the mode.
 * @return LTL_OK; LTL_EREADONLY; LTL_EBROKEN; LTL_EIO.
 */
LTL_API int ltl_sync(ltl_db *db);

/* ------------------------------------------------------------------------
 * Reading
 * ------------------------------------------------------------------------ */

/** Record kinds. */
enum {
    LTL_KIND_DATA = 1,     /**< a message appended by a user */
    LTL_KIND_MANIFEST = 2, /**< who wrote the following records (topic _ltl) */
    LTL_KIND_SYSTEM = 3,   /**< ltl's own events: recovery, repair (topic _ltl) */
    /** A lost-record marker: `ltl repair` put it where a damaged record was, at the same
     *  seq (topic _ltl; the payload is a JSON object with the reason and, where it fitted,
     *  the lost record's leaf hash). Cursors and queries pass over it unless asked for
     *  system records (a warning is logged); ltl_get returns it. */
    LTL_KIND_LOST = 4,
};

/** Record flags. */
enum {
    LTL_RECORD_JSON = 1 << 0,      /**< the payload is valid JSON */
    LTL_RECORD_ENCRYPTED = 1 << 1, /**< sealed with a read key this handle lacks: data holds the
                                        sealed bytes, not the message (only with
                                        LTL_CURSOR_ENVELOPE; otherwise reading it is LTL_EKEY) */
    LTL_RECORD_SEALED = 1 << 2,    /**< stored encrypted, decrypted with keys.read: data is plain */
};

/** A manifest: who and what wrote a run of records. Lives as long as the record showing it. */
typedef struct ltl_manifest {
    uint64_t seq;           /**< the manifest record's seq */
    const char *user;       /**< user name */
    uint64_t uid;           /**< user id */
    const char *host;       /**< host name */
    const char *machine_id; /**< /etc/machine-id, "" when unknown */
    int64_t pid;            /**< writer process id */
    const char *exe;        /**< writer executable path */
    const char *version;    /**< ltl version of the writer */
    const char *build;      /**< ltl build (commit) of the writer */
    const char *read_key;   /**< id (8 hex digits) of the read key it sealed with, or "" */
    const char *check_key;  /**< the check key of its write key ("name+id"), or "" */
} ltl_manifest;

/** A record: envelope and payload. */
typedef struct ltl_record {
    uint64_t seq;          /**< position in the log, from 0 */
    int64_t ts;            /**< append time, ns since the epoch, UTC; non-decreasing */
    const char *topic;     /**< NUL-terminated */
    const void *data;      /**< payload bytes (not NUL-terminated) */
    size_t len;            /**< payload length */
    unsigned int kind;     /**< LTL_KIND_* */
    unsigned int flags;    /**< LTL_RECORD_* */
    uint64_t manifest_seq; /**< seq of the manifest that applies */
    const ltl_manifest
        *manifest; /**< that manifest, or NULL if unreadable; valid as long as the record */
} ltl_record;

/**
 * Read the record @p seq.
 * @param out receives a record the caller frees with ltl_record_free().
 * @return LTL_OK; LTL_ENOTFOUND (beyond the end); LTL_EKEY (its payload is
 *         sealed and keys.read holds no key that opens it: ltl_errmsg() names
 *         the record and the read key it needs; a cursor with
 *         LTL_CURSOR_ENVELOPE reads its envelope); LTL_ECORRUPT; LTL_EIO; LTL_ENOMEM.
 * @note thread-safe.
 */
LTL_API int ltl_get(ltl_record **out, ltl_db *db, uint64_t seq);

/** Free a record from ltl_get() (NULL does nothing). */
LTL_API void ltl_record_free(ltl_record *rec);

typedef struct ltl_cursor ltl_cursor;

enum {
    LTL_CURSOR_REVERSE = 1 << 0, /**< newest first */
    LTL_CURSOR_SYSTEM = 1 << 1,  /**< include manifest and system records (topic _ltl) */
    /** The caller reads envelopes only (seq, ts, topic, manifest): a record whose
     *  payload this handle cannot open (no or another keys.read) comes with
     *  LTL_RECORD_ENCRYPTED and its sealed bytes instead of failing with LTL_EKEY.
     *  Records it can open come decrypted as always. */
    LTL_CURSOR_ENVELOPE = 1 << 2,
};

#define LTL_CURSOR_OPTIONS_VERSION 1

/**
 * What a cursor visits: records with seq in [from_seq, to_seq] and ts in
 * [since, until), optionally of one topic, in seq order (or reverse).
 */
typedef struct ltl_cursor_options {
    unsigned int version; /**< LTL_CURSOR_OPTIONS_VERSION */
    unsigned int flags;   /**< LTL_CURSOR_* */
    uint64_t from_seq;    /**< lowest seq (default 0) */
    uint64_t to_seq;      /**< highest seq, inclusive (default UINT64_MAX: no bound) */
    int64_t since;        /**< lowest ts, inclusive (default INT64_MIN) */
    int64_t until;        /**< highest ts, exclusive (default INT64_MAX) */
    const char *topic;    /**< only this topic, or NULL for all */
} ltl_cursor_options;

#define LTL_CURSOR_OPTIONS_INIT                                                                    \
    {                                                                                              \
        LTL_CURSOR_OPTIONS_VERSION, 0, 0, UINT64_MAX, INT64_MIN, INT64_MAX, NULL                   \
    }

/** Fill @p opts with defaults (the same as LTL_CURSOR_OPTIONS_INIT). */
LTL_API void ltl_cursor_options_init(ltl_cursor_options *opts);

/**
 * Open a cursor. Time bounds are found by binary search (timestamps never
 * go backwards), so a cursor starts in O(log n) reads.
 * @param opts NULL for every data record, oldest first.
 * @return LTL_OK; LTL_EINVAL; LTL_ENOMEM; LTL_EIO.
 * @note the cursor must not outlive @p db; use one cursor from one thread at a time.
 */
LTL_API int ltl_cursor_open(ltl_cursor **out, ltl_db *db, const ltl_cursor_options *opts);

/**
 * Move to the next record.
 * @param out receives the record, borrowed: valid until the next call on @p cur.
 * @return LTL_OK; LTL_DONE when no more records are there now (a forward
 *         cursor without an upper bound may find more after ltl_cursor_wait());
 *         LTL_EKEY (the next record's payload is sealed and keys.read holds no
 *         key that opens it; ltl_errmsg() names the record and the read key it
 *         needs; the cursor has moved past it; see LTL_CURSOR_ENVELOPE);
 *         LTL_ECORRUPT; LTL_EIO; LTL_ENOMEM.
 */
LTL_API int ltl_cursor_next(const ltl_record **out, ltl_cursor *cur);

/**
 * Block until the log may have grown past the cursor (without polling:
 * inotify), or @p timeout_ms passes (-1: no timeout).
 * @return LTL_OK (call ltl_cursor_next() again); LTL_ETIMEOUT (also when a
 *         signal interrupted the wait); LTL_EIO.
 */
LTL_API int ltl_cursor_wait(ltl_cursor *cur, int timeout_ms);

/** Close a cursor (NULL does nothing). */
LTL_API void ltl_cursor_close(ltl_cursor *cur);

/* ------------------------------------------------------------------------
 * Formatting records
 * ------------------------------------------------------------------------ */

enum {
    LTL_FORMAT_JSONL = 1,    /**< one JSON object: envelope fields and "message" */
    LTL_FORMAT_RAW = 2,      /**< the payload bytes as they are */
    LTL_FORMAT_PRETTY = 3,   /**< a header line, then the payload (JSON indented) */
    LTL_FORMAT_ENVELOPE = 4, /**< as JSONL without the payload: seq, ts, topic, writer,
                                  manifest, and "encrypted":true for a sealed record */
};

/**
 * Format @p rec, appending a final newline, into *buf (getline-style: *buf
 * may be NULL or a buffer of *cap bytes from an earlier call, grown with
 * the library's allocator; free it with ltl_free()).
 * A record with LTL_RECORD_ENCRYPTED (an envelope: its data is ciphertext)
 * shows "encrypted" in place of its payload in JSONL and PRETTY, and is
 * LTL_EKEY in RAW, which has nothing else to show.
 * @param out_len receives the length of the text.
 * @return LTL_OK; LTL_EINVAL; LTL_EKEY; LTL_ENOMEM.
 * @note thread-safe.
 */
LTL_API int ltl_record_format(char **buf, size_t *cap, size_t *out_len, const ltl_record *rec,
                              int format);

/* ------------------------------------------------------------------------
 * Store information
 * ------------------------------------------------------------------------ */

/** What ltl_stat() reports. */
typedef struct ltl_info {
    uint64_t records;           /**< records in the log (the next seq) */
    int64_t first_ts;           /**< ts of seq 0 (0 when empty) */
    int64_t last_ts;            /**< ts of the last record (0 when empty) */
    uint64_t segments;          /**< segment files */
    uint64_t log_bytes;         /**< bytes of frames in the segments */
    uint64_t disk_bytes;        /**< bytes the segment files occupy on disk */
    uint64_t segment_size;      /**< the preallocation size of new segments */
    uint64_t durable_records;   /**< records known synced (writer handle; else = records) */
    int durability;             /**< the mode of this handle */
    int writable;               /**< 1 for a writer handle */
    int64_t writer_pid;         /**< pid in the lock file when a writer holds it, else 0 */
    unsigned int format;        /**< on-disk format version */
    unsigned char store_id[16]; /**< random id of the store */
    int64_t created;            /**< creation time, ns since the epoch */
    int index_enabled;          /**< 1 when the store keeps a field index */
    uint64_t index_records;     /**< records indexed (every seq below is) */
    uint64_t index_paths;       /**< distinct paths in the index */
    uint64_t index_bytes;       /**< bytes the index occupies on disk */
} ltl_info;

/**
 * Fill @p out for @p db (a reader refreshes its view of the end first).
 * @return LTL_OK; LTL_EIO.
 */
LTL_API int ltl_stat(ltl_info *out, ltl_db *db);

/** The name of a durability mode ("safe"), "?" when unknown. */
LTL_API const char *ltl_durability_name(int mode);

/* ------------------------------------------------------------------------
 * Trust: checkpoints, verification, proofs, keys, audit (docs/TRUST.md)
 * ------------------------------------------------------------------------ */

/** Where a call that has no handle reports its failure. */
typedef struct ltl_error {
    int code;          /**< the return code, LTL_OK when none */
    char message[512]; /**< what went wrong, "" when nothing */
} ltl_error;

/**
 * Append a checkpoint of the whole log to STORE/checkpoints: the log and
 * its hash index are synced first; signed with keys.write, or unsigned when
 * no write key is configured. A writer also checkpoints at close and every
 * checkpoint.interval when records came in.
 * @param out receives the checkpoint text (C2SP signed note; free with
 *        ltl_free), or NULL.
 * @return LTL_OK; LTL_EREADONLY; LTL_EBROKEN; LTL_EIO; LTL_ENOSPC; LTL_ENOMEM.
 */
LTL_API int ltl_checkpoint(char **out, ltl_db *db);

/**
 * The origin line this store's checkpoints carry: checkpoint.origin, or the
 * default `ltl/<store id in lowercase hex>` when that key is empty.
 * @param out      receives the origin, NUL-terminated.
 * @param out_size its size; LTL_CHECKPOINT_ORIGIN_MAX is always enough.
 * @return LTL_OK; LTL_EINVAL (NULL argument, or out_size too small).
 * @note thread-safe.
 */
#define LTL_CHECKPOINT_ORIGIN_MAX 256
LTL_API int ltl_checkpoint_origin(char *out, size_t out_size, ltl_db *db);

/** Verification modes. */
enum {
    LTL_VERIFY_FULL = 0, /**< every segment, the whole hash index, every checkpoint */
    LTL_VERIFY_TAIL = 1, /**< from the last checkpoint on (quick) */
};

/** Progress of a long call: done and total in the call's unit (bytes for verify). */
typedef void (*ltl_progress_fn)(void *ctx, uint64_t done, uint64_t total);

#define LTL_VERIFY_OPTIONS_VERSION 1

/** What ltl_verify() checks. Initialise with ltl_verify_options_init(). */
typedef struct ltl_verify_options {
    unsigned int version;     /**< LTL_VERIFY_OPTIONS_VERSION */
    int mode;                 /**< LTL_VERIFY_FULL or LTL_VERIFY_TAIL */
    const char *against;      /**< a checkpoint kept elsewhere, or NULL: check that the
                                   store extends it (a consistency proof) */
    size_t against_len;       /**< its length */
    unsigned int threads;     /**< segments checked in parallel; 0: one per CPU */
    ltl_progress_fn progress; /**< called about 5 times a second, or NULL */
    void *progress_ctx;       /**< passed to progress */
} ltl_verify_options;

/** Fill @p opts with defaults (full, no checkpoint to check against). */
LTL_API void ltl_verify_options_init(ltl_verify_options *opts);

/** What ltl_verify() found. */
typedef struct ltl_verify_report {
    int ok;                      /**< 1 when everything checked holds */
    uint64_t records;            /**< records whose frames and leaves were checked */
    uint64_t bytes;              /**< bytes of frames checked */
    uint64_t from_seq;           /**< the first seq checked (0, or the last checkpoint's size) */
    uint64_t segments;           /**< segments checked */
    uint64_t tree_size;          /**< leaves in the hash index */
    uint64_t unhashed;           /**< records past the hash index (a writer is appending) */
    uint64_t checkpoints;        /**< checkpoints checked */
    uint64_t signed_checkpoints; /**< of which signed by the configured check key */
    uint64_t against_size;       /**< size of the checkpoint checked against */
    int against_signed;          /**< 1 when its signature verified with the check key */
    uint64_t bad_seq;            /**< the first bad record, UINT64_MAX when none or not a record */
    char bad_segment[32];        /**< the file of the problem ("" when none) */
    uint64_t bad_offset;         /**< byte offset of the problem in that file */
    char problem[512];           /**< what is wrong, "" when ok */
    double seconds;              /**< how long it took */
    /** Bytes after the end of the log beyond the point a writer recorded as written:
     *  the unsynced tail of a crash, which the next writer recovers (not a problem);
     *  0 when none. */
    uint64_t tail_bytes;
    char tail_segment[32]; /**< the segment holding that tail */
    uint64_t tail_offset;  /**< where it starts */
    /** Records lost to damage: lost-record markers `ltl repair` left at their seqs (their
     *  leaf hashes are checked where the markers kept them). Not a problem: the loss is
     *  recorded, and the tree and checkpoints still verify. */
    uint64_t lost;
    uint64_t lost_seq[16]; /**< the first min(lost, 16) of their seqs, ascending */
    int check_key;         /**< 1 when a check key is configured (keys.check or keys.write):
                                then signed_checkpoints == 0 means nothing shows who wrote
                                the log, which callers must say (docs/TRUST.md) */
    /* The field index (a full verify of a store that keeps one; docs/INDEX.md section 6):
     * derived data, so its damage is not the log's (ok stays 1) and the next writer
     * rebuilds it. */
    int index_checked;       /**< 1 when the field index was checked against the log */
    int index_ok;            /**< 1 when it is sound (when index_checked) */
    uint64_t index_records;  /**< records it covers, each one's postings compared */
    uint64_t index_entries;  /**< its entries whose checks were verified */
    uint64_t index_postings; /**< its postings found in the log */
    char index_problem[256]; /**< what is wrong with it, "" when sound or not checked */
    double index_seconds;    /**< of seconds, how long the field index took */
} ltl_verify_report;

/**
 * Verify the store: frame checksums, leaf hashes against the records, the
 * hash index against its leaves, every checkpoint's signature (with the
 * configured check key) and root; optionally that the store extends a
 * checkpoint kept elsewhere. Segments are checked in parallel.
 * A full verify also checks the field index: every entry's check, and its
 * postings against the records of the log.
 * @return LTL_OK (all holds); LTL_EVERIFY (a problem: @p out says which
 *         and where, ltl_errmsg() too; a checkpoint to check against that is
 *         another log's says so); LTL_EPARSE (the checkpoint to check against
 *         is not a checkpoint: nothing was verified); LTL_ECORRUPT (the log,
 *         hash index and checkpoints verify, out->ok is 1, but the field index
 *         is damaged: out->index_problem; the next writer rebuilds it); LTL_EIO;
 *         LTL_ENOMEM.
 * @note works on a reader or a writer handle; records a writer appends
 *       meanwhile are checked as far as the index reaches.
 */
LTL_API int ltl_verify(ltl_verify_report *out, ltl_db *db, const ltl_verify_options *opts);

/** A piece of a file that recovery or repair moved aside: a frame, read as far as it can be. */
typedef struct ltl_salvage {
    uint64_t offset;    /**< where it starts in the file */
    uint64_t size;      /**< the bytes it spans */
    const char *status; /**< "ok", or why it is not a valid frame ("checksum mismatch", ...) */
    int has_envelope;   /**< 1 when seq..topic were read (from a damaged frame: perhaps wrong) */
    uint64_t seq;       /**< the record's seq */
    int64_t ts;         /**< its time */
    unsigned int kind;  /**< LTL_KIND_* */
    unsigned int flags; /**< LTL_RECORD_* as stored (an encrypted payload stays sealed) */
    const char *topic;  /**< NUL-terminated, "" when none */
    const void *data;   /**< the payload bytes as stored */
    size_t len;         /**< their length */
} ltl_salvage;

/** Called by ltl_salvage_read() for each piece, in order; non-zero stops the walk. */
typedef int (*ltl_salvage_fn)(void *ctx, const ltl_salvage *piece);

/**
 * Read back what recovery or repair moved aside into STORE/repair/<time>-<pid>/: a
 * file `<segment>.from-<offset>` (the bytes of that segment from that offset) or a
 * whole segment file. Frames are decoded as far as they can be (a damaged one is
 * passed with its status and, where its length and fields read, its envelope and
 * payload); runs of zeros are skipped; bytes holding no frame are passed as pieces
 * with status "no frame".
 * @param path the file (absolute, or relative to the working directory).
 * @return LTL_OK; LTL_EINVAL (not a file recovery or repair writes); LTL_ENOTFOUND; LTL_EIO;
 *         LTL_ENOMEM; or what @p fn returned.
 * @note the payload of a piece lives until @p fn returns.
 */
LTL_API int ltl_salvage_read(ltl_db *db, const char *path, ltl_salvage_fn fn, void *ctx);

/**
 * A C2SP tlog-proof that record @p seq is in the checkpoint of @p size
 * leaves (UINT64_MAX: the last checkpoint). The record's body (envelope
 * and payload, as hashed) travels in the proof, so it can be checked with
 * no store: ltl_proof_check().
 * @param out receives the proof text (free with ltl_free).
 * @return LTL_OK; LTL_ENOTFOUND (no such checkpoint, no record @p seq, or
 *         no checkpoint covering it yet: ltl_errmsg() says which);
 *         LTL_ECORRUPT (the hash index is short of the checkpoint);
 *         LTL_EVERIFY (the log is shorter than the checkpoint); LTL_EIO.
 */
LTL_API int ltl_proof(char **out, ltl_db *db, uint64_t seq, uint64_t size);

/**
 * A consistency proof that the checkpoint of @p new_size (UINT64_MAX: the
 * last) extends any log of @p old_size leaves with the same first records.
 * @param out receives the proof text (free with ltl_free).
 */
LTL_API int ltl_proof_consistency(char **out, ltl_db *db, uint64_t old_size, uint64_t new_size);

/**
 * Check a tlog-proof from ltl_proof() offline: the checkpoint's signature
 * with @p check_key (a check key text; NULL: not checked) and the record's
 * inclusion in it; with @p record, also that the record's payload is those
 * bytes.
 * @param out receives a JSON object describing what was proven (seq, ts,
 *        topic, checkpoint size and origin, whether signed, the message);
 *        free with ltl_free.
 * @return LTL_OK; LTL_EVERIFY (the proof does not hold: @p err says why);
 *         LTL_EKEY (@p check_key is not a check key: a write or read key, or
 *         damaged); LTL_EPARSE (not a proof); LTL_ENOMEM.
 */
LTL_API int ltl_proof_check(char **out, ltl_error *err, const char *proof, size_t proof_len,
                            const char *check_key, size_t check_key_len, const void *record,
                            size_t record_len);

/**
 * Make a write key and its check key named @p name (Ed25519, signed-note
 * text formats) and write them to @p write_key_path (mode 0600) and
 * @p check_key_path (0644). Existing files are never overwritten.
 * @return LTL_OK; LTL_EEXIST; LTL_EINVAL (bad name); LTL_EIO; LTL_EPERM.
 */
LTL_API int ltl_keygen(ltl_error *err, const char *name, const char *write_key_path,
                       const char *check_key_path);

/** Make a read key named @p name (32 random bytes) into @p path (mode 0600). */
LTL_API int ltl_keygen_read(ltl_error *err, const char *name, const char *path);

/**
 * Change the read key the store seals new records with to the one in the file
 * @p key_path (docs/TRUST.md "Rotating the read key"): appends to topic _ltl a
 * system record saying the old and the new read key id, and a manifest naming
 * the new key, durably. Records sealed before keep their key: a reader needs
 * every key, so keys.read should list the new key file first and the old ones
 * after it. The handle keeps the old key, so it appends nothing more
 * (LTL_EKEY): close it and reopen with the new keys.read.
 * @param out receives the seq of the rotation record (may be NULL).
 * @param db a writer handle whose keys.read names the store's current read key first.
 * @return LTL_OK; LTL_EREADONLY; LTL_EINVAL (keys.read is not set: nothing to
 *         rotate; or the file holds the key in use already); LTL_ENOTFOUND,
 *         LTL_EPERM, LTL_EPARSE, LTL_EKEY (the key file: missing, readable by
 *         others, malformed); LTL_EBROKEN; LTL_EIO; LTL_ENOMEM.
 * @note no other call on @p db may run concurrently.
 */
LTL_API int ltl_keys_rotate_read(uint64_t *out, ltl_db *db, const char *key_path);

/** What ltl_audit() saw. */
typedef struct ltl_audit_report {
    int first;                 /**< 1 when the state file did not exist yet */
    uint64_t old_size;         /**< the checkpoint remembered in the state file */
    uint64_t new_size;         /**< the store's last checkpoint */
    char old_checkpoint[1024]; /**< the two checkpoints' texts, to show on failure */
    char new_checkpoint[1024];
} ltl_audit_report;

/**
 * Check that the store's last checkpoint extends the one remembered in
 * @p state_path (a consistency proof), then remember the new one there.
 * A rewritten, forked or rolled-back history fails with LTL_EVERIFY and the
 * state file is left as it was.
 * @return LTL_OK; LTL_EVERIFY; LTL_ENOTFOUND (the store has no checkpoint);
 *         LTL_EIO; LTL_EPARSE (the state file is not a checkpoint).
 */
LTL_API int ltl_audit(ltl_audit_report *out, ltl_db *db, const char *state_path);

/* ------------------------------------------------------------------------
 * Queries and the index (docs/QUERY.md, docs/INDEX.md)
 * ------------------------------------------------------------------------ */

typedef struct ltl_query ltl_query;

enum {
    LTL_QUERY_REVERSE = 1 << 0,  /**< newest first */
    LTL_QUERY_SYSTEM = 1 << 1,   /**< also ltl's own records (topic _ltl) */
    LTL_QUERY_NO_INDEX = 1 << 2, /**< do not use the index: scan (for checks and timing) */
    LTL_QUERY_EXPLAIN = 1 << 3,  /**< record the plan for ltl_query_explain() (costs time) */
    /** The caller reads envelopes only: as LTL_CURSOR_ENVELOPE, a record this handle
     *  cannot open is matched on its envelope and returned with LTL_RECORD_ENCRYPTED;
     *  a query with terms on the payload fails on it with LTL_EKEY all the same. */
    LTL_QUERY_ENVELOPE = 1 << 4,
};

#define LTL_QUERY_OPTIONS_VERSION 1

/** Bounds added to a query (the same as and-ing @topic, @ts, @seq terms). */
typedef struct ltl_query_options {
    unsigned int version; /**< LTL_QUERY_OPTIONS_VERSION */
    unsigned int flags;   /**< LTL_QUERY_* */
    int64_t since;        /**< @ts >= since (INT64_MIN: none) */
    int64_t until;        /**< @ts < until (INT64_MAX: none) */
    const char *topic;    /**< @topic == topic (NULL: any) */
    uint64_t from_seq;    /**< @seq >= from_seq */
    uint64_t to_seq;      /**< @seq <= to_seq (UINT64_MAX: none) */
} ltl_query_options;

/** Fill @p opts with defaults (no bounds, oldest first). */
LTL_API void ltl_query_options_init(ltl_query_options *opts);

/**
 * Plan a query (docs/QUERY.md): the most selective term the index can
 * answer gives candidates, records not indexed yet are scanned, and every
 * candidate is checked against the whole query.
 * @return LTL_OK; LTL_EPARSE (ltl_errmsg() names the column and what was
 *         expected); LTL_EIO; LTL_ENOMEM.
 * @note the query must not outlive @p db; use it from one thread at a time.
 */
LTL_API int ltl_query_open(ltl_query **out, ltl_db *db, const char *expr,
                           const ltl_query_options *opts);

/**
 * The next matching record, in seq order (or reverse).
 * @param out borrowed: valid until the next call on @p q.
 * @return LTL_OK; LTL_DONE (no more now; a forward query without an upper
 *         bound may find more after ltl_query_wait()); LTL_EKEY (a record to
 *         check or return is sealed and keys.read does not open it: a query
 *         never answers without the records it cannot read); LTL_EIO; LTL_ENOMEM.
 */
LTL_API int ltl_query_next(const ltl_record **out, ltl_query *q);

/** Block until new records may match (inotify), or the timeout (-1: none). */
LTL_API int ltl_query_wait(ltl_query *q, int timeout_ms);

/** The plan as text (free with ltl_free); LTL_EINVAL unless the query was
 *  opened with LTL_QUERY_EXPLAIN. */
LTL_API int ltl_query_explain(char **out, ltl_query *q);

/** Close a query (NULL does nothing). */
LTL_API void ltl_query_close(ltl_query *q);

/** Check a query's syntax without a store. LTL_OK or LTL_EPARSE (@p err says where). */
LTL_API int ltl_query_check(ltl_error *err, const char *expr);

/** Called per indexed path by ltl_paths(); non-zero stops. */
typedef int (*ltl_path_fn)(void *ctx, const char *path, uint64_t count);

/**
 * The indexed paths (wildcard form, in order) starting with @p prefix (NULL:
 * all), with how many values were indexed under each.
 * @return LTL_OK; LTL_ENOTFOUND (no index); the callback's value; LTL_EIO.
 */
LTL_API int ltl_paths(ltl_db *db, const char *prefix, ltl_path_fn fn, void *ctx);

/** What ltl_pause() pauses. */
enum { LTL_PAUSE_INDEX = 1 };

/**
 * Let appends run while the index waits (the indexer stops taking new
 * records); ltl_resume() lets it catch up. Queries stay right meanwhile:
 * they scan what is not indexed. Writer handles only.
 */
LTL_API int ltl_pause(ltl_db *db, int what);
LTL_API int ltl_resume(ltl_db *db, int what);

/**
 * Rebuild the index from the log, from scratch. Writer handles only.
 * @param progress called with records done and total, or NULL.
 */
LTL_API int ltl_reindex(ltl_db *db, ltl_progress_fn progress, void *ctx);

/* ------------------------------------------------------------------------
 * Import (docs/INDEX.md)
 * ------------------------------------------------------------------------ */

/**
 * Where ltl_import() reads its input: fill @p buf with up to @p cap bytes
 * and set *@p out_len (0 at the end of the input). Giving less than @p cap
 * means no more input is ready now: the complete lines read so far are
 * appended at once rather than gathered into a larger block (a pipe that
 * trickles); fill the buffer while input is ready for the best throughput.
 * @return LTL_OK, or a negative code that stops the import with it.
 */
typedef int (*ltl_read_fn)(void *ctx, void *buf, size_t cap, size_t *out_len);

/** A line ltl_import() rejected. */
typedef struct ltl_import_error {
    int code;          /**< LTL_EPARSE (not JSON) or LTL_ETOOBIG (over message.max_size) */
    uint64_t line;     /**< the line's number in the input, from 1 */
    uint64_t column;   /**< column of the offending byte in the line, in bytes from 1
                            (0 for LTL_ETOOBIG) */
    uint64_t offset;   /**< byte offset of the line's start in the input */
    char message[160]; /**< why: the JSON parser's reason, or the sizes */
} ltl_import_error;

/** Receives each rejected line, in input order. Return 0 to go on; non-zero stops the
 *  import with that value. */
typedef int (*ltl_import_error_fn)(void *ctx, const ltl_import_error *err);

enum {
    LTL_IMPORT_KEEP_GOING = 1 << 0, /**< skip bad lines (reported), not stop at the first */
};

#define LTL_IMPORT_OPTIONS_VERSION 1

/** Options of ltl_import(). Initialise with ltl_import_options_init(). */
typedef struct ltl_import_options {
    unsigned int version; /**< LTL_IMPORT_OPTIONS_VERSION */
    unsigned int flags;   /**< LTL_IMPORT_* */
    const char *topic;    /**< the records' topic; NULL for LTL_DEFAULT_TOPIC */
    unsigned int threads; /**< worker threads that check and flatten lines; 0: one per CPU */
    ltl_import_error_fn on_error; /**< called for every rejected line, or NULL */
    void *error_ctx;              /**< passed to on_error */
    ltl_progress_fn progress;     /**< called with the bytes of input done (total 0), or NULL */
    void *progress_ctx;           /**< passed to progress */
} ltl_import_options;

/** Fill @p opts with defaults (default topic, stop at the first bad line, one thread per CPU). */
LTL_API void ltl_import_options_init(ltl_import_options *opts);

/** What ltl_import() did. */
typedef struct ltl_import_report {
    uint64_t lines;     /**< lines read (blank lines included) */
    uint64_t records;   /**< records appended */
    uint64_t rejected;  /**< bad lines */
    uint64_t bytes;     /**< input bytes done */
    uint64_t first_seq; /**< seq of the first record appended, UINT64_MAX when none */
    uint64_t last_seq;  /**< seq of the last one */
} ltl_import_report;

/**
 * Append the JSON Lines that @p read gives, one record per line, in input
 * order (blank lines are skipped; a line may end in CR LF; a UTF-8 byte
 * order mark at the start is skipped). Worker threads check the lines and,
 * when the store keeps an index and the indexer runs (not paused, not
 * index.defer), flatten them for the index at the same time; the index is
 * then written as the import goes, a chunk at a time, each chunk's records
 * made durable first (ltl_sync) since the index covers durable records
 * only. Otherwise the records wait for the indexer. Memory stays bounded
 * whatever the input's size (a few blocks of input, one chunk of postings).
 *
 * A line that is not JSON (or is longer than message.max_size) is reported
 * to on_error; without LTL_IMPORT_KEEP_GOING the import stops there with
 * LTL_EPARSE (or LTL_ETOOBIG), every line before it appended, and
 * ltl_errmsg() names the line and column; with it the line is skipped and
 * the import goes on (the report counts the rejects).
 *
 * Records are appended as durable as the handle's mode promises (open the
 * handle LTL_CASUAL for speed, and call ltl_sync() at the end).
 *
 * @param out      receives the report (may be NULL); filled on failure too.
 * @param read     the input.
 * @param opts     options, or NULL for defaults.
 * @return LTL_OK; LTL_EPARSE; LTL_ETOOBIG; LTL_EINVAL (options, topic);
 *         LTL_EREADONLY; LTL_EBROKEN; LTL_EIO; LTL_ENOSPC; LTL_ENOMEM; a
 *         negative code from @p read; the non-zero value of on_error.
 * @note calls @p read, on_error and progress from the calling thread. Other
 *       threads may append meanwhile (their records are indexed too).
 */
LTL_API int ltl_import(ltl_import_report *out, ltl_db *db, ltl_read_fn read, void *read_ctx,
                       const ltl_import_options *opts);

/* ------------------------------------------------------------------------
 * Configuration (docs/CONFIG.md)
 * ------------------------------------------------------------------------ */

typedef struct ltl_config ltl_config;

enum {
    /** ltl_config_load() only: a bad line of a config file or a bad LTL_* variable is
     *  left out (the value of the layer below stays) and reported by
     *  ltl_config_warnings(), instead of failing the load. For tools that repair a
     *  configuration (`ltl config set/unset/list`); ltl_open() is always strict. */
    LTL_CONFIG_LENIENT = 1 << 16,
};

/**
 * Resolve every config key for the store at @p store_path (NULL: the
 * default store), lowest layer first: built-in defaults, /etc/ltl/config,
 * $XDG_CONFIG_HOME/ltl/config, STORE/config, LTL_* environment variables,
 * @p overrides (the --config layer), @p flag_overrides (explicit flags).
 * Both override strings are "key=value,key=value" (a comma inside a value
 * is written "\,") or NULL.
 * @param flags LTL_OPEN_NO_ENV skips the system, user and environment layers;
 *              LTL_CONFIG_LENIENT skips bad lines and values (ltl_config_warnings()).
 * @param out set even on failure (unless LTL_ENOMEM); ltl_config_errmsg() explains.
 * @return LTL_OK; LTL_ECONFIG (unknown key, bad value: the message names the
 *         file and line); LTL_EIO; LTL_ENOMEM.
 */
LTL_API int ltl_config_load(ltl_config **out, const char *store_path, const char *overrides,
                            const char *flag_overrides, unsigned int flags);

/** Free a config (NULL does nothing). */
LTL_API void ltl_config_free(ltl_config *cfg);

/** The message of the last failure on @p cfg ("" when none). Borrowed. */
LTL_API const char *ltl_config_errmsg(const ltl_config *cfg);

/**
 * What a LTL_CONFIG_LENIENT load left out: one line per bad line or value, each
 * ending in a newline and naming the file and line (or the variable) as the
 * strict load's error would; "" when nothing. Borrowed from @p cfg; not updated
 * by ltl_config_write() (load again to see what is left).
 */
LTL_API const char *ltl_config_warnings(const ltl_config *cfg);

/** The resolved value of @p key, or NULL for an unknown key. Borrowed from cfg. */
LTL_API const char *ltl_config_get(const ltl_config *cfg, const char *key);

/**
 * The resolved value of a size key in bytes, or of a duration key in ns.
 * @return LTL_OK; LTL_ENOTFOUND (unknown key); LTL_EINVAL (not a size or duration key).
 */
LTL_API int ltl_config_get_number(const ltl_config *cfg, const char *key, int64_t *out);

/** Called per key by ltl_config_foreach(); return non-zero to stop. */
typedef int (*ltl_config_fn)(void *ctx, const char *key, const char *value, const char *origin,
                             const char *help);

/**
 * Visit every known key in name order with its value, the layer it came
 * from ("default", a file path, "env LTL_X", "--config", "flag") and a
 * one-line help text.
 * @return LTL_OK, or the callback's non-zero value.
 */
LTL_API int ltl_config_foreach(const ltl_config *cfg, ltl_config_fn fn, void *ctx);

enum {
    LTL_CONFIG_FILE_SYSTEM = 1, /**< /etc/ltl/config */
    LTL_CONFIG_FILE_USER = 2,   /**< $XDG_CONFIG_HOME/ltl/config */
    LTL_CONFIG_FILE_STORE = 3,  /**< STORE/config */
};

/** The path of a config file layer (LTL_CONFIG_FILE_*), borrowed; NULL if unknown. */
LTL_API const char *ltl_config_file(const ltl_config *cfg, int which);

/**
 * Set (@p value non-NULL) or remove (@p value NULL) @p key in the config
 * file layer @p which, after checking key and value with the loader's own
 * checks: what is written is what a load accepts. The file is replaced
 * atomically; other lines and comments are kept. Removing an unknown key is
 * allowed when the file has a line of it (a misspelt key is fixed that way).
 * @return LTL_OK; LTL_ECONFIG; LTL_EIO; LTL_ENOMEM.
 */
LTL_API int ltl_config_write(ltl_config *cfg, int which, const char *key, const char *value);

/* ------------------------------------------------------------------------
 * Time
 * ------------------------------------------------------------------------ */

/**
 * Parse a time: RFC 3339 / ISO 8601 ("2026-11-21T10:00Z", "2026-11-21",
 * fractions, offsets), relative to @p now ("-15m", "-2h", "-1d", "now"),
 * "today" or "yesterday" (midnight UTC), or integer nanoseconds ("@1700000000000000000").
 * @param out receives ns since the epoch, UTC.
 * @return LTL_OK; LTL_EPARSE.
 */
LTL_API int ltl_time_parse(int64_t *out, const char *text, int64_t now);

/** Write @p ts as RFC 3339 UTC with nanoseconds into @p buf (36 bytes suffice). */
LTL_API void ltl_time_format(char *buf, size_t len, int64_t ts);

/** The current time, ns since the epoch, UTC. */
LTL_API int64_t ltl_time_now(void);

/* ------------------------------------------------------------------------
 * JSON: a streaming, validating parser that tracks the path while it lexes,
 * the flattener (path = value) and its inverse, and JSON Pointer.
 * docs/JSON.md is normative for the path syntax and the flat formats.
 *
 * Paths: members join with '.', elements are [n]: authors[0].key. A key
 * that is not [A-Za-z_][A-Za-z0-9_-]* is quoted as a JSON string in
 * brackets: ["a.b"], [""]. The root's path is "" (written "." in the
 * `lines` format). Values are JSON text exactly as in the input: strings
 * keep their quotes and escapes, numbers their digits.
 * ------------------------------------------------------------------------ */

/** Where and why JSON input was rejected. */
typedef struct ltl_json_error {
    int code; /**< LTL_OK; LTL_EPARSE (malformed, or nested deeper than max_depth); LTL_ENOMEM */
    char
        message[160]; /**< what is wrong, e.g. "expected ',' or '}' after a member"; "" when none */
    uint64_t offset;  /**< byte offset of the offending byte from the start of the input, from 0 */
    uint64_t line;    /**< line of that byte, from 1 */
    uint64_t column;  /**< column of that byte in bytes, from 1 */
    uint64_t document; /**< index of the document in the input, from 0 (JSON Lines: the line's
                          document) */
} ltl_json_error;

/** How the input is split into documents (ltl_json_options.mode). */
enum {
    LTL_JSON_MODE_AUTO = 0,     /**< like STREAM; once a second document starts on a new line
                                     after a one-line first document, like LINES */
    LTL_JSON_MODE_DOCUMENT = 1, /**< exactly one value (whitespace around it is fine) */
    LTL_JSON_MODE_LINES = 2,    /**< JSON Lines: one value per line; blank lines are skipped */
    LTL_JSON_MODE_STREAM = 3,   /**< any number of values separated by whitespace */
};

/** Flags (ltl_json_options.flags). */
enum {
    LTL_JSON_EMIT_CONTAINERS = 1 << 0, /**< an OBJECT/ARRAY event as every container opens,
                                            not only for empty ones (gron's shape) */
    LTL_JSON_EMIT_WILDCARD = 1 << 1,   /**< fill ltl_json_event.wildcard */
    LTL_JSON_EMIT_END = 1 << 2,        /**< an LTL_JSON_END event after each document */
    LTL_JSON_KEEP_GOING = 1 << 3,      /**< JSON Lines: hand a bad line to on_error, skip it and
                                            go on (AUTO mode then means LINES) */
};

/** Event types (ltl_json_event.type). */
enum {
    LTL_JSON_NULL = 1,
    LTL_JSON_FALSE = 2,
    LTL_JSON_TRUE = 3,
    LTL_JSON_NUMBER = 4,
    LTL_JSON_STRING = 5,
    LTL_JSON_OBJECT = 6, /**< an empty object (or any object with LTL_JSON_EMIT_CONTAINERS) */
    LTL_JSON_ARRAY = 7,  /**< an empty array (or any array with LTL_JSON_EMIT_CONTAINERS) */
    LTL_JSON_END = 8,    /**< a document ended (LTL_JSON_EMIT_END); path "" and value "" */
};

/**
 * One value of the input, in document order. Every pointer is borrowed and
 * valid only during the callback.
 */
typedef struct ltl_json_event {
    int type;             /**< LTL_JSON_NULL ... LTL_JSON_END */
    unsigned int depth;   /**< nesting depth of the value: 0 for a document's root */
    const char *path;     /**< full path, NUL-terminated; "" for the root */
    size_t path_len;      /**< its length */
    const char *key;      /**< short key: the innermost member name on the path, decoded UTF-8
                               (array elements inherit it; "" at the root). Not NUL-terminated */
    size_t key_len;       /**< its length */
    const char *value;    /**< the value's JSON text as in the input; "{}" or "[]" for containers.
                               Not NUL-terminated */
    size_t value_len;     /**< its length */
    const char *wildcard; /**< with LTL_JSON_EMIT_WILDCARD, the path with [] for every index
                               (authors[].key), NUL-terminated; else NULL */
    size_t wildcard_len;  /**< its length */
    uint64_t document;    /**< index of the document, from 0 */
    uint64_t offset;      /**< byte offset of the value in the input */
} ltl_json_event;

/** Receives events. Return 0 to go on; any other value stops the parse and is returned by it. */
typedef int (*ltl_json_fn)(void *ctx, const ltl_json_event *ev);

/** Receives a bad line (LTL_JSON_KEEP_GOING). Return 0 to go on; non-zero stops with that value. */
typedef int (*ltl_json_error_fn)(void *ctx, const ltl_json_error *err);

#define LTL_JSON_OPTIONS_VERSION 1

/** Options of the JSON calls. Initialise with ltl_json_options_init() or LTL_JSON_OPTIONS_INIT. */
typedef struct ltl_json_options {
    unsigned int version;       /**< LTL_JSON_OPTIONS_VERSION */
    int mode;                   /**< LTL_JSON_MODE_* (default AUTO) */
    unsigned int flags;         /**< LTL_JSON_* flags */
    unsigned int max_depth;     /**< deepest nesting accepted; 0 means 1024 */
    ltl_json_error_fn on_error; /**< with LTL_JSON_KEEP_GOING: called for each bad line */
    void *error_ctx;            /**< passed to on_error */
} ltl_json_options;

#define LTL_JSON_OPTIONS_INIT                                                                      \
    {                                                                                              \
        LTL_JSON_OPTIONS_VERSION, LTL_JSON_MODE_AUTO, 0, 0, NULL, NULL                             \
    }

/** Fill @p opts with defaults (the same as LTL_JSON_OPTIONS_INIT). */
LTL_API void ltl_json_options_init(ltl_json_options *opts);

/**
 * Parse and validate @p data (RFC 8259, UTF-8) in one call, calling @p fn
 * for every scalar and every empty container, in document order.
 *
 * @param data  the input; @p len its length.
 * @param opts  options, or NULL for defaults (AUTO mode).
 * @param fn    the callback, or NULL to only validate.
 * @param ctx   passed to @p fn.
 * @param err   receives the position and reason of a failure (may be NULL).
 * @return LTL_OK; LTL_EPARSE (malformed input or too deep: see @p err);
 *         LTL_EINVAL (bad options); LTL_ENOMEM; or the callback's non-zero value.
 * @note thread-safe; uses no memory but a few small buffers for the path.
 */
LTL_API int ltl_json_parse(const void *data, size_t len, const ltl_json_options *opts,
                           ltl_json_fn fn, void *ctx, ltl_json_error *err);

/** A push parser: input arrives in chunks of any size (split anywhere). */
typedef struct ltl_json_parser ltl_json_parser;

/**
 * Create a push parser that calls @p fn (may be NULL: validate only).
 * @param out receives the parser; free it with ltl_json_parser_free().
 * @return LTL_OK; LTL_EINVAL (bad options); LTL_ENOMEM.
 */
LTL_API int ltl_json_parser_new(ltl_json_parser **out, const ltl_json_options *opts, ltl_json_fn fn,
                                void *ctx);

/**
 * Feed the next @p len bytes. Events of every value completed by them are
 * delivered before it returns; a token cut by the end of the chunk is kept
 * and completed by the next one. The parser keeps no pointer into @p data.
 * @return LTL_OK; LTL_EPARSE (ltl_json_parser_error() says where); LTL_ENOMEM;
 *         or the callback's non-zero value. After a failure every further
 *         call returns the same code.
 */
LTL_API int ltl_json_parser_feed(ltl_json_parser *parser, const void *data, size_t len);

/**
 * Declare the end of the input: completes a final number or literal and
 * checks that no document is left open.
 * @return as ltl_json_parser_feed() (LTL_EPARSE for a truncated document).
 */
LTL_API int ltl_json_parser_finish(ltl_json_parser *parser);

/** The last failure of @p parser (code LTL_OK when none). Borrowed: lives as long as the parser. */
LTL_API const ltl_json_error *ltl_json_parser_error(const ltl_json_parser *parser);

/** Forget all input and errors, keeping options and callback, to parse a new input. */
LTL_API void ltl_json_parser_reset(ltl_json_parser *parser);

/** Free a parser (NULL does nothing). */
LTL_API void ltl_json_parser_free(ltl_json_parser *parser);

/** Flat formats (docs/JSON.md). */
enum {
    LTL_JSON_FLAT_LINES = 1, /**< "path = value" lines; documents separated by an empty line */
    LTL_JSON_FLAT_JSON = 2,  /**< one object {"path": value, ...} per document, one per line */
    LTL_JSON_FLAT_TSV = 3,   /**< "path<TAB>short key<TAB>value" lines, documents as in LINES */
    LTL_JSON_FLAT_GRON =
        4, /**< gron's statements, byte for byte (gron --stream for several documents) */
};

/**
 * Flatten @p json into a new buffer in @p format: every scalar and every
 * empty container as path and value, duplicate keys kept in order.
 *
 * @param out      receives the text, NUL-terminated; the caller frees it with ltl_free().
 *                 Set to NULL on failure.
 * @param out_len  receives its length (may be NULL).
 * @param format   LTL_JSON_FLAT_*; LTL_JSON_FLAT_JSON gives the shape a Go or
 *                 Python caller wants: {"authors[0].key": "/authors/OL1A", ...}.
 * @param opts     options, or NULL for defaults.
 * @param err      receives the failure's position (may be NULL).
 * @return LTL_OK; LTL_EPARSE; LTL_EINVAL (bad format or options); LTL_ENOMEM.
 * @note thread-safe.
 */
LTL_API int ltl_json_flatten(char **out, size_t *out_len, const void *json, size_t len, int format,
                             const ltl_json_options *opts, ltl_json_error *err);

/** Receives output of a streaming flattener or unflattener. Return 0 to go on, non-zero to stop. */
typedef int (*ltl_json_write_fn)(void *ctx, const void *data, size_t len);

/**
 * A push parser that writes the flat text of its input to @p write, in
 * pieces of whole lines (64 KiB or more but at the end); use it with
 * ltl_json_parser_feed/finish/error/free. With LTL_JSON_KEEP_GOING a bad
 * line's output is dropped whole and on_error is told. Memory stays small
 * whatever the input size, except for LTL_JSON_FLAT_GRON, which sorts (and
 * so holds) one document's statements, as gron does.
 * @return LTL_OK; LTL_EINVAL; LTL_ENOMEM. Feed returns the writer's non-zero value.
 */
LTL_API int ltl_json_flattener_new(ltl_json_parser **out, int format, const ltl_json_options *opts,
                                   ltl_json_write_fn write, void *ctx);

/**
 * Rebuild JSON from flat text: any LTL_JSON_FLAT_* format, or 0 to detect
 * it. unflatten(flatten(x)) is x: member order, number text and strings are
 * kept (strings may come back with different but equivalent escapes only
 * in keys). Statements may come in any order (gron sorts them): members are
 * merged into containers by path, indexes may skip (holes become null).
 * Each document is written as one line of compact JSON.
 *
 * @param out     receives the JSON text, NUL-terminated; free with ltl_free().
 * @param out_len receives its length (may be NULL).
 * @param err     receives line and column of a failure (may be NULL).
 * @return LTL_OK; LTL_EPARSE; LTL_EINVAL (bad format); LTL_ENOMEM.
 * @note thread-safe.
 */
LTL_API int ltl_json_unflatten(char **out, size_t *out_len, const void *flat, size_t len,
                               int format, ltl_json_error *err);

/** A push unflattener: flat text in chunks, JSON documents out. */
typedef struct ltl_json_unflattener ltl_json_unflattener;

/**
 * Create a push unflattener for @p format (0: detect from the first line)
 * writing each rebuilt document, one line of compact JSON, to @p write.
 * It holds one document's tree at a time.
 * @return LTL_OK; LTL_EINVAL; LTL_ENOMEM.
 */
LTL_API int ltl_json_unflattener_new(ltl_json_unflattener **out, int format,
                                     ltl_json_write_fn write, void *ctx);

/** Feed flat text. @return LTL_OK; LTL_EPARSE; LTL_ENOMEM; or the writer's non-zero value. */
LTL_API int ltl_json_unflattener_feed(ltl_json_unflattener *u, const void *data, size_t len);

/** End of input: writes the last document. @return as ltl_json_unflattener_feed(). */
LTL_API int ltl_json_unflattener_finish(ltl_json_unflattener *u);

/** The last failure of @p u (code LTL_OK when none). Borrowed. */
LTL_API const ltl_json_error *ltl_json_unflattener_error(const ltl_json_unflattener *u);

/** Free an unflattener (NULL does nothing). */
LTL_API void ltl_json_unflattener_free(ltl_json_unflattener *u);

/**
 * Resolve the JSON Pointer (RFC 6901) @p pointer in the document @p json.
 * Of duplicate keys the last one counts, as in JSON.parse.
 *
 * @param out      receives the value's JSON text: a pointer into @p json (borrowed).
 * @param out_len  receives its length.
 * @param pointer  NUL-terminated: "" is the whole document, "/a/0/b~1c" a path.
 * @param err      receives the failure's position when the JSON is bad (may be NULL).
 * @return LTL_OK; LTL_ENOTFOUND (no such member or index); LTL_EINVAL (the
 *         pointer is malformed); LTL_EPARSE (the document is not valid JSON).
 * @note thread-safe. The whole document is validated.
 */
LTL_API int ltl_json_pointer_get(const char **out, size_t *out_len, const void *json, size_t len,
                                 const char *pointer, ltl_json_error *err);

/**
 * The value at a path of ltl's syntax (docs/JSON.md: "authors[0].key",
 * ["a.b"]; no [] wildcards) in @p json, as ltl_json_pointer_get() gives it.
 * @return LTL_OK; LTL_ENOTFOUND; LTL_EINVAL (a malformed path or a
 *         wildcard); LTL_EPARSE (not valid JSON).
 */
LTL_API int ltl_json_path_get(const char **out, size_t *out_len, const void *json, size_t len,
                              const char *path, ltl_json_error *err);

/* ------------------------------------------------------------------------
 * The namespace (docs/NAMESPACE.md is normative)
 *
 * The store as paths: /seq/42, /seq/42.json/user/name, /topics/app/,
 * /query/status >= 500/, /manifests/3, /checkpoints/latest, /paths/. A path
 * resolves segment by segment through a cache of frames; a module gives
 * each frame its children (find), its listing (map) and the suffixes that
 * transform it (.json, .flat, .env, .proof, .raw, and plugin modules).
 * Frames made from records never change and are never produced twice while
 * cached; listings follow the log as it grows.
 *
 * Thread safety: one ltl_ns serves any number of threads. A lookup that
 * finds its frames cached and current takes no lock.
 * ------------------------------------------------------------------------ */

typedef struct ltl_ns ltl_ns;
/** A resolved path: a frame (and the content it had) held for the caller. */
typedef struct ltl_ns_node ltl_ns_node;

/** The longest path accepted, in bytes (a longer one is LTL_ETOOBIG). */
#define LTL_NS_PATH_MAX 4096

/** Node kinds. A directory may also have data (a JSON object's text). */
enum {
    LTL_NS_FILE = 1, /**< data only */
    LTL_NS_DIR = 2,  /**< entries (ltl_ns_list), and possibly data */
};

/** Options of ltl_ns_open(). */
enum {
    LTL_NS_NO_PLUGINS = 1 << 0, /**< do not load the modules the ns.modules key names */
};

#define LTL_NS_OPTIONS_VERSION 1

/** Options for ltl_ns_open(). Initialise with ltl_ns_options_init() or LTL_NS_OPTIONS_INIT. */
typedef struct ltl_ns_options {
    unsigned int version; /**< LTL_NS_OPTIONS_VERSION */
    unsigned int flags;   /**< LTL_NS_* */
    uint64_t cache_bytes; /**< bound of the frame cache in bytes; 0: the ns.cache_size key */
    const char *modules;  /**< plugin modules, as ns.modules; NULL: the ns.modules key */
} ltl_ns_options;

#define LTL_NS_OPTIONS_INIT                                                                        \
    {                                                                                              \
        LTL_NS_OPTIONS_VERSION, 0, 0, NULL                                                         \
    }

/** Fill @p opts with defaults (the same as LTL_NS_OPTIONS_INIT). */
LTL_API void ltl_ns_options_init(ltl_ns_options *opts);

/**
 * Open the namespace of the store @p db.
 * @param out   receives the namespace; close it with ltl_ns_close(). Set
 *              even on failure (unless LTL_ENOMEM) so ltl_ns_errmsg() can explain.
 * @param db    the store; it must outlive the namespace (and so must every
 *              store bound into it with ltl_ns_bind()).
 * @param opts  options, or NULL for defaults.
 * @return LTL_OK; LTL_EINVAL (bad options); LTL_ECONFIG (a module named in
 *         ns.modules cannot be loaded: ltl_ns_errmsg() says why); LTL_ENOMEM.
 * @note thread-safe.
 */
LTL_API int ltl_ns_open(ltl_ns **out, ltl_db *db, const ltl_ns_options *opts);

/**
 * Free the namespace, its cache and the plugin modules it loaded. NULL does
 * nothing. Every node must have been released, and no other call on @p ns
 * may run concurrently or follow.
 */
LTL_API void ltl_ns_close(ltl_ns *ns);

/**
 * The message of the last failure of a call on @p ns in this thread ("" when
 * none); never NULL. Borrowed: valid until the next call on @p ns.
 */
LTL_API const char *ltl_ns_errmsg(const ltl_ns *ns);

/**
 * Resolve @p path (docs/NAMESPACE.md: "/seq/42.json/user/name"; a trailing
 * '/' asks for a directory). Content that follows the log (listings,
 * proofs) is brought up to date first.
 * @param out receives the node; release it with ltl_ns_node_release().
 * @return LTL_OK; LTL_ENOTFOUND (no such name: ltl_ns_errmsg() names the
 *         segment; also a trailing '/' on a file); LTL_EINVAL (a malformed
 *         path: not starting with '/', not UTF-8, a bad "~" escape after
 *         .json; a transform that does not apply, as .json of a payload that
 *         is not JSON); LTL_ETOOBIG (longer than LTL_NS_PATH_MAX);
 *         LTL_EPARSE (a bad query under /query/); LTL_EKEY; LTL_EIO;
 *         LTL_ECORRUPT; LTL_ENOMEM.
 * @note thread-safe; takes no lock when every frame on the way is cached
 *       and current.
 */
LTL_API int ltl_ns_lookup(ltl_ns_node **out, ltl_ns *ns, const char *path);

/** Release a node (NULL does nothing). Thread-safe. */
LTL_API void ltl_ns_node_release(ltl_ns_node *node);

/** What ltl_ns_node_stat() reports. */
typedef struct ltl_ns_stat {
    int kind;            /**< LTL_NS_FILE or LTL_NS_DIR */
    int has_data;        /**< 1 when the node has data (every file; JSON objects and arrays) */
    int changes;         /**< 1 when its content follows the store (listings, proofs) */
    uint64_t size;       /**< bytes of data */
    uint64_t entries;    /**< entries of a directory when known without listing it, else
                              UINT64_MAX */
    uint64_t generation; /**< the log end (records) the store had when this content was made */
    int64_t mtime; /**< the record's ts (ns since the epoch) for record-derived nodes, else 0 */
    uint64_t seq;  /**< the record it derives from, UINT64_MAX when none */
    const char *module; /**< the module that made it ("seq", "json", ...); static */
} ltl_ns_stat;

/** Describe @p node. @return LTL_OK; LTL_EINVAL (NULL). */
LTL_API int ltl_ns_node_stat(ltl_ns_stat *out, const ltl_ns_node *node);

/**
 * The node's data, borrowed: valid until the node is released (a node keeps
 * the content it was resolved with, even if the store moves on).
 * @return LTL_OK; LTL_EINVAL (a directory without data: list it); LTL_EKEY (a
 *         record sealed with a read key this handle lacks: its node exists,
 *         its .env, .proof and .raw are readable, its payload is not).
 */
LTL_API int ltl_ns_node_data(const void **out, size_t *out_len, const ltl_ns_node *node);

/** Receives one entry of a listing: a name (a path segment) and LTL_NS_FILE or LTL_NS_DIR.
 *  Return 0 to go on; any other value stops the listing and is returned by it. */
typedef int (*ltl_ns_list_fn)(void *ctx, const char *name, int kind);

/**
 * Call @p fn for every entry of the directory @p node, in the module's
 * order (seqs ascending, topics and paths sorted, JSON members as written).
 * @return LTL_OK; LTL_EINVAL (a file); the callback's value; LTL_EIO; LTL_ENOMEM.
 * @note the callback may call other ltl_ns functions.
 */
LTL_API int ltl_ns_node_list(const ltl_ns_node *node, ltl_ns_list_fn fn, void *ctx);

/**
 * Copy the data at @p path: ltl_ns_lookup() + ltl_ns_node_data().
 * @param out receives the bytes (NUL-terminated, not counted in @p out_len);
 *        free them with ltl_free().
 * @return as ltl_ns_lookup(); LTL_EINVAL for a directory without data;
 *         LTL_EKEY as ltl_ns_node_data().
 */
LTL_API int ltl_ns_read(void **out, size_t *out_len, ltl_ns *ns, const char *path);

/** List the directory at @p path: ltl_ns_lookup() + ltl_ns_node_list(). */
LTL_API int ltl_ns_list(ltl_ns *ns, const char *path, ltl_ns_list_fn fn, void *ctx);

/** How ltl_ns_bind() joins the new member to what is at the path (Plan 9's bind flags). */
enum {
    LTL_NS_BIND_REPLACE = 0, /**< the new member replaces what was there */
    LTL_NS_BIND_BEFORE = 1,  /**< a union: the new member is tried first */
    LTL_NS_BIND_AFTER = 2,   /**< a union: the new member is tried last */
    LTL_NS_BIND_CREATE = 4,  /**< or-ed in: appends under the union go to this member */
};

/**
 * Bind the directory @p src_path of the store @p db (NULL: of this
 * namespace itself) at @p path, forming an ordered union there: a name is
 * looked up in each member in turn and the first that has it answers; a
 * listing shows every member's entries, in member order, each name once.
 * Unions are one level deep, as in Plan 9: below a name the member that
 * answered it serves alone. ltl_ns_append() goes to the first member bound
 * with LTL_NS_BIND_CREATE, else to the original one.
 * @param db must outlive the namespace; a reader handle is enough unless
 *        appends should reach it.
 * @return LTL_OK; LTL_ENOTFOUND (a path does not resolve); LTL_EINVAL (not
 *         directories, bad flags, a bind that would contain itself, more
 *         than 32 stores); LTL_ENOMEM.
 * @note thread-safe.
 */
LTL_API int ltl_ns_bind(ltl_ns *ns, const char *path, ltl_db *db, const char *src_path,
                        unsigned int flags);

/**
 * Append a message to the store that takes creates at @p path:
 * "/topics/TOPIC" appends to TOPIC, "/seq" to LTL_DEFAULT_TOPIC. The store
 * is the create member of the union bound at that directory, else of the
 * union at "/", else the namespace's own store.
 * @param out receives the seq (may be NULL).
 * @param flags LTL_APPEND_*.
 * @return as ltl_append(); LTL_EINVAL (another path); LTL_EREADONLY.
 */
LTL_API int ltl_ns_append(uint64_t *out, ltl_ns *ns, const char *path, const void *data, size_t len,
                          unsigned int flags);

/** Counters of a namespace's cache. */
typedef struct ltl_ns_stats {
    uint64_t lookups;       /**< ltl_ns_lookup() calls (ltl_ns_read and ltl_ns_list too) */
    uint64_t hits;          /**< segments resolved from the cache */
    uint64_t misses;        /**< segments that were not in the cache (or no longer current) */
    uint64_t produced;      /**< frames a module made (negative ones included) */
    uint64_t negative_hits; /**< lookups answered "not found" by a cached miss */
    uint64_t resyncs;       /**< contents made again because the store moved */
    uint64_t evictions;     /**< frames dropped to keep the cache within its bound */
    uint64_t frames;        /**< frames cached now */
    uint64_t bytes;         /**< bytes the frames occupy now (cached or still held) */
    uint64_t peak_bytes;    /**< the most bytes ever occupied */
    uint64_t bound;         /**< the cache's bound in bytes */
} ltl_ns_stats;

/** Read the counters (a consistent-enough snapshot; each is exact). Thread-safe. */
LTL_API void ltl_ns_stats_read(ltl_ns_stats *out, ltl_ns *ns);

/* ---- modules ------------------------------------------------------------ */

/**
 * Where a module writes what it produces. The library supplies it; call
 * through its function pointers (a plugin needs no libltl symbols).
 */
typedef struct ltl_ns_sink ltl_ns_sink;
struct ltl_ns_sink {
    /** Append bytes to the frame's data. @return LTL_OK or LTL_ENOMEM. */
    int (*write)(ltl_ns_sink *sink, const void *data, size_t len);
    /** Add an entry to a listing (map). @return LTL_OK, LTL_EINVAL, LTL_ENOMEM. */
    int (*entry)(ltl_ns_sink *sink, const char *name, int kind);
    /** Make the frame being produced a directory (LTL_NS_DIR; default LTL_NS_FILE). */
    int (*set_kind)(ltl_ns_sink *sink, int kind);
    /** Explain a failure (the message of ltl_ns_errmsg()); returns @p rc. */
    int (*error)(ltl_ns_sink *sink, int rc, const char *message);
    void *impl; /**< the library's */
};

#define LTL_MODULE_VERSION 1
/** The symbol a plugin shared object exports: `const ltl_module_v1 ltl_module = {...};` */
#define LTL_MODULE_SYMBOL "ltl_module"

/**
 * A module, version 1. Its functions get the data of the frame they work
 * on and may be called from several threads at once.
 *
 *  - transform: make the frame `NAME.<module name>` from the data of NAME
 *    (a file or a directory with data). LTL_OK, or a negative code
 *    (LTL_EINVAL: it does not apply to this input).
 *  - find: the child @p name of a directory this module made: its data
 *    (and kind) to @p out. LTL_OK; LTL_ENOTFOUND.
 *  - map: the entries of a directory this module made, through out->entry.
 *
 * transform is required; find and map only for modules that make directories.
 * Frames a module makes from data that never changes never change either:
 * the functions must be deterministic.
 */
typedef struct ltl_module_v1 {
    unsigned int version; /**< LTL_MODULE_VERSION */
    const char *name;     /**< the suffix: 1..32 of [a-z0-9_] ("csv" for NAME.csv) */
    const char *summary;  /**< one line for listings of modules */
    void *ctx;            /**< passed to each function */
    int (*transform)(void *ctx, ltl_ns_sink *out, const void *data, size_t len);
    int (*find)(void *ctx, ltl_ns_sink *out, const void *data, size_t len, const char *name);
    int (*map)(void *ctx, ltl_ns_sink *out, const void *data, size_t len);
    void (*unload)(void *ctx); /**< called when the namespace closes, or NULL */
} ltl_module_v1;

/**
 * Register @p module at the directory @p path ("/" for everywhere): the
 * module's name then resolves to it there and below, before the built-in
 * modules and the modules registered higher up (the cascade). The struct
 * and its strings must outlive the namespace. Cached frames are dropped.
 * @return LTL_OK; LTL_EINVAL (bad version or name, no transform);
 *         LTL_ENOTFOUND (path); LTL_EEXIST (that name is registered there);
 *         LTL_ENOMEM.
 */
LTL_API int ltl_ns_register(ltl_ns *ns, const char *path, const ltl_module_v1 *module);

/**
 * Load the plugin module in the shared object @p file (dlopen; it exports
 * LTL_MODULE_SYMBOL) and register it at @p path (NULL: "/").
 * @return LTL_OK; LTL_ECONFIG (cannot load, no symbol, wrong version:
 *         ltl_ns_errmsg() says which); as ltl_ns_register().
 */
LTL_API int ltl_ns_load_module(ltl_ns *ns, const char *path, const char *file);

#ifdef __cplusplus
}
#endif

#endif /* LTL_H */
