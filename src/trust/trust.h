/* SPDX-License-Identifier: MIT */
/*
 * trust.h — what makes the log provable: RFC 6962/9162 leaf and node
 * hashes, the stored hash index `log/tree.hashes` with roots and inclusion
 * and consistency proofs at any size, their verification, C2SP signed
 * notes and checkpoints, the signed-note key formats (write, check) and our
 * read key, key files, C2SP tlog-proof text, and the encryption of payloads
 * at rest. docs/TRUST.md is the normative description of every format here.
 *
 * Conventions: functions return LTL_OK or a negative LTL_E* code and record
 * a message with ltl__errf(); hashes are 32-byte arrays; "size" is a number
 * of leaves; leaf n of the tree is the record with seq n.
 *
 * Allocation: our own memory goes through ltl__malloc(); OpenSSL allocates
 * its contexts with its own allocator (it is process-wide and cannot be
 * pointed at ours from a library). A failing OpenSSL allocation is reported
 * as LTL_ENOMEM.
 */
#ifndef LTL_TRUST_H
#define LTL_TRUST_H

#include "core/core.h"
#include "io/io.h"

#include <stdatomic.h>
#include <sys/types.h>

#define LTL__HASH_SIZE 32
/* The longest proof: an inclusion proof has at most 64 hashes (a tree of
 * fewer than 2^64 leaves has depth <= 64), a consistency proof one more. */
#define LTL__PROOF_MAX 65

/* ========================================================================
 * Hashes (hash.c)
 *
 * SHA-256 from OpenSSL libcrypto, which uses the CPU's SHA extensions. The
 * Merkle hashes need no context object: they are thread-safe and, on the
 * fast path (see ltl__hash_impl), cannot fail; the EVP fallback allocates
 * a context per call and can return LTL_ENOMEM.
 * ======================================================================== */

/* out = SHA-256(0x00 || body). */
int ltl__hash_leaf(unsigned char out[LTL__HASH_SIZE], const void *body, size_t len) LTL__WUR;
/* out = SHA-256(0x01 || left || right). out may alias left or right. */
int ltl__hash_node(unsigned char out[LTL__HASH_SIZE], const unsigned char left[LTL__HASH_SIZE],
                   const unsigned char right[LTL__HASH_SIZE]) LTL__WUR;
/* out = SHA-256(data). */
int ltl__sha256(unsigned char out[LTL__HASH_SIZE], const void *data, size_t len) LTL__WUR;
/* The same three through EVP with a fresh context: the fallback when
 * OpenSSL is built without its deprecated SHA256_* API; tests compare the
 * two and the benchmark measures both. */
int ltl__hash_leaf_evp(unsigned char out[LTL__HASH_SIZE], const void *body, size_t len) LTL__WUR;
int ltl__hash_node_evp(unsigned char out[LTL__HASH_SIZE], const unsigned char left[LTL__HASH_SIZE],
                       const unsigned char right[LTL__HASH_SIZE]) LTL__WUR;
/* "openssl-sha256" (the SHA256_* block functions, no EVP dispatch) or
 * "openssl-evp": which one ltl__hash_leaf/node use in this build. */
const char *ltl__hash_impl(void);
/* SHA-256 of the empty string: the root of the empty tree (RFC 9162 §2.1.1). */
extern const unsigned char ltl__empty_root[LTL__HASH_SIZE];

/* ========================================================================
 * Tree arithmetic and the compact range (tree.c)
 *
 * Nodes are named (height, index): the node of height h and index k covers
 * leaves [k * 2^h, (k + 1) * 2^h). In tree.hashes, every node is stored once,
 * in the order nodes complete: appending leaf n stores its leaf hash, then
 * one parent for each trailing 1-bit of n (post-order).
 * ======================================================================== */

/* Entries (stored hashes) for a tree of `leaves` leaves: 2n - popcount(n). */
uint64_t ltl__tree_entries(uint64_t leaves);
/* The largest tree whose entries fit in `entries`. */
uint64_t ltl__tree_leaves_for(uint64_t entries);
/* Position (0-based entry number) of node (height, index) in tree.hashes. */
uint64_t ltl__tree_node_pos(unsigned height, uint64_t index);

/* A compact range: the right edge of a tree being built, with no file.
 * node[h] is the root of the perfect subtree of height h at the end of the
 * tree, valid when bit h of size is set. Plain data: copy it freely. */
struct ltl__frontier {
    uint64_t size;
    unsigned char node[64][LTL__HASH_SIZE];
};

void ltl__frontier_init(struct ltl__frontier *f);
/* Append a leaf hash. out receives the entries this append completes, in
 * file order (the leaf, then its new parents): 1 to 64 hashes; *out_count
 * their number. LTL_OK; LTL_ETOOBIG when the tree is full (2^64 - 1). */
int ltl__frontier_append(unsigned char (*out)[LTL__HASH_SIZE], size_t *out_count,
                         struct ltl__frontier *f,
                         const unsigned char leaf[LTL__HASH_SIZE]) LTL__WUR;
/* The root of the f->size-leaf tree (ltl__empty_root when empty). */
int ltl__frontier_root(unsigned char out[LTL__HASH_SIZE], const struct ltl__frontier *f) LTL__WUR;

/* ========================================================================
 * The stored hash index STORE/log/tree.hashes (tree.c; docs/TRUST.md)
 *
 * Writer: one thread (the store's writer, under its lock, in seq order)
 * calls append, flush, sync, truncate, close. append does no I/O: it hashes
 * the completed nodes and buffers them; flush writes the buffer with one
 * pwrite and publishes the new size; sync is flush + fdatasync.
 *
 * Readers: size, root, leaf, inclusion and consistency are safe from any
 * number of threads, concurrently with the writer's append/flush/sync:
 * they read only nodes of the published (flushed) tree, which are never
 * rewritten. truncate and close need the readers to be gone (recovery,
 * shutdown).
 *
 * Crash safety: the file holds whole 32-byte entries after a 64-byte
 * header. At open, a partial entry, the entries of an append that did not
 * finish, and (after the last sync the header records) entries whose
 * parent does not hash from its children are dropped (truncated when
 * writable). The log is the truth: the store compares the leaves after
 * ltl__tree_synced() with the log's records at recovery (ltl__tree_leaf),
 * truncates at the first difference and appends what is missing.
 * ======================================================================== */

#define LTL__TREE_FILE        "tree.hashes"
#define LTL__TREE_MAGIC       "LTLHASHS"
#define LTL__TREE_VERSION     1
#define LTL__TREE_HEADER_SIZE 64

struct ltl__tree;

/* Open (and when writable, create) the hash file at path for the store
 * store_id. io carries every file operation.
 * Returns LTL_OK; LTL_ENOTFOUND (read-only and missing); LTL_ECORRUPT (not
 * a hash file, bad header checksum, another store's file: a writer
 * deletes it and rebuilds from the log); LTL_EVERSION; LTL_EIO/LTL_ENOSPC;
 * LTL_ENOMEM. *out is the caller's; close it with ltl__tree_close. */
int ltl__tree_open(struct ltl__tree **out, ltl__io *io, const char *path,
                   const unsigned char store_id[16], bool writable) LTL__WUR;
/* Flush (writable) and close. Returns the first error of the flush or the
 * close; the handle is freed in every case. NULL does nothing. */
int ltl__tree_close(struct ltl__tree *t);
/* What open dropped or found, for the store's system topic ("" if nothing:
 * e.g. "tree.hashes: dropped 3 entries of an unfinished append"). Borrowed. */
const char *ltl__tree_open_note(const struct ltl__tree *t);

/* Leaves visible to readers (flushed). Thread-safe. */
uint64_t ltl__tree_size(const struct ltl__tree *t);
/* Leaves appended, flushed or not. Writer thread. */
uint64_t ltl__tree_appended(const struct ltl__tree *t);
/* Leaves known durable: fdatasynced before the header recorded them. The
 * store checks leaves from here to ltl__tree_size() against the log at
 * recovery. Writer thread (or the thread that refreshes a reader). */
uint64_t ltl__tree_synced(const struct ltl__tree *t);

/* Append the leaf hash of the next record (seq == ltl__tree_appended()).
 * No I/O. LTL_OK, LTL_ENOMEM (nothing changed), LTL_EREADONLY, LTL_EBROKEN. */
int ltl__tree_append(struct ltl__tree *t, const unsigned char leaf_hash[LTL__HASH_SIZE]) LTL__WUR;
/* Make room so that the next `leaves` appends cannot fail (LTL_ENOMEM now
 * instead). The store reserves before it commits records to the log. */
int ltl__tree_reserve(struct ltl__tree *t, uint64_t leaves) LTL__WUR;
/* Entries appended and not yet flushed. Writer thread. */
size_t ltl__tree_pending(const struct ltl__tree *t);
/* Write the buffered entries (one pwrite) and publish the new size. On a
 * write error the buffer is kept and the next flush writes it again.
 * LTL_OK, LTL_EIO, LTL_ENOSPC, LTL_EBROKEN. */
int ltl__tree_flush(struct ltl__tree *t) LTL__WUR;
/* Flush, fdatasync, then record the synced size in the header (that header
 * write becomes durable with the next sync). A failed fdatasync breaks the
 * handle (LTL_EBROKEN from then on): reopen. */
int ltl__tree_sync(struct ltl__tree *t) LTL__WUR;
/* Shrink the tree to `leaves` (the log lost its tail). Does nothing when
 * the tree is not longer. Syncs. Exclusive: no concurrent readers. */
int ltl__tree_truncate(struct ltl__tree *t, uint64_t leaves) LTL__WUR;
/* Read-only handles: take in what the writer has written since (whole,
 * consistent appends only, re-checked from the writer's synced mark). A
 * leaf the writer is writing at that moment and no parent covers yet
 * cannot be checked: another process should ask for sizes the writer has
 * synced (a checkpoint's, the log's durable end) and verify what it
 * derives from newer ones. */
int ltl__tree_refresh(struct ltl__tree *t) LTL__WUR;

/* The right edge of the stored tree of `leaves` leaves (<= size), read from
 * the file: verification appends recomputed leaves to it and compares. */
int ltl__tree_frontier(struct ltl__frontier *out, struct ltl__tree *t, uint64_t leaves) LTL__WUR;
/* The stored leaf hash of leaf index (< size). */
int ltl__tree_leaf(unsigned char out[LTL__HASH_SIZE], struct ltl__tree *t, uint64_t index) LTL__WUR;
/* count stored entries from entry number first (bulk reads for verify). */
int ltl__tree_read_entries(unsigned char (*out)[LTL__HASH_SIZE], struct ltl__tree *t,
                           uint64_t first, size_t count) LTL__WUR;
/* The RFC 9162 root (MTH) of the first `size` leaves, size <= ltl__tree_size.
 * LTL_OK; LTL_ENOTFOUND (size beyond the tree); LTL_EIO; LTL_ECORRUPT. */
int ltl__tree_root(unsigned char out[LTL__HASH_SIZE], struct ltl__tree *t, uint64_t size) LTL__WUR;

/* A proof: hashes from the bottom of the tree up, as RFC 9162 orders them. */
struct ltl__proof {
    size_t count;
    unsigned char hash[LTL__PROOF_MAX][LTL__HASH_SIZE];
};

/* Inclusion proof of leaf index in the tree of `size` leaves (RFC 9162
 * §2.1.3.1). LTL_OK; LTL_EINVAL (index >= size); LTL_ENOTFOUND (size beyond
 * the tree); LTL_EIO; LTL_ECORRUPT. */
int ltl__tree_inclusion(struct ltl__proof *out, struct ltl__tree *t, uint64_t index,
                        uint64_t size) LTL__WUR;
/* Consistency proof from old_size to new_size (RFC 9162 §2.1.4.1); empty
 * when old_size is 0 or equals new_size. LTL_EINVAL (old_size > new_size). */
int ltl__tree_consistency(struct ltl__proof *out, struct ltl__tree *t, uint64_t old_size,
                          uint64_t new_size) LTL__WUR;

/* ========================================================================
 * Proof verification, no file (verify.c): RFC 9162 §2.1.3.2 and §2.1.4.2.
 * LTL_OK when the proof holds, LTL_EVERIFY (with the reason) when not.
 * ======================================================================== */

int ltl__verify_inclusion(const unsigned char leaf_hash[LTL__HASH_SIZE], uint64_t index,
                          uint64_t size, const unsigned char (*proof)[LTL__HASH_SIZE], size_t n,
                          const unsigned char root[LTL__HASH_SIZE]) LTL__WUR;
/* old_size == new_size: the proof must be empty and the roots equal;
 * old_size == 0: the proof must be empty (anything extends the empty tree). */
int ltl__verify_consistency(uint64_t old_size, uint64_t new_size,
                            const unsigned char old_root[LTL__HASH_SIZE],
                            const unsigned char new_root[LTL__HASH_SIZE],
                            const unsigned char (*proof)[LTL__HASH_SIZE], size_t n) LTL__WUR;

/* ========================================================================
 * Keys (note.c; formats in docs/TRUST.md)
 *
 * write key  PRIVATE+KEY+<name>+<id hex8>+<base64(0x01 || 32-byte Ed25519 seed)>
 * check key  <name>+<id hex8>+<base64(0x01 || 32-byte Ed25519 public key)>
 *            id = SHA-256(name || 0x0A || 0x01 || public key)[:4], big-endian
 *            (golang.org/x/mod/sumdb/note and C2SP signed-note)
 * read key   LTL+READ+KEY+<name>+<id hex8>+<base64(0x01 || 32-byte secret)>
 *            id = HMAC-SHA256(secret, "ltl read key id")[:4], big-endian
 * Names: 1..LTL__NAME_MAX bytes of UTF-8, no spaces (Unicode White_Space),
 * no '+', no control characters (ltl__name_check, in core: the config loader
 * checks checkpoint.origin with it too).
 * The structs hold secrets: wipe them with ltl__key_wipe when done.
 * ======================================================================== */

#define LTL__ALG_ED25519 0x01
#define LTL__ALG_READ    0x01 /* ChaCha20-Poly1305 with a per-store HKDF key */

struct ltl__write_key {
    char name[LTL__NAME_MAX + 1];
    uint32_t id;
    unsigned char seed[32];
    unsigned char pub[32];
};

struct ltl__check_key {
    char name[LTL__NAME_MAX + 1];
    uint32_t id;
    unsigned char pub[32];
};

struct ltl__read_key {
    char name[LTL__NAME_MAX + 1];
    uint32_t id;
    unsigned char secret[32];
};

/* Overwrite a key struct with zeros in a way the compiler keeps. */
void ltl__key_wipe(void *key, size_t size);

/* Make a new Ed25519 key pair named name (OpenSSL's RNG). */
int ltl__write_key_generate(struct ltl__write_key *out, const char *name) LTL__WUR;
/* The check key of a write key. */
void ltl__write_key_public(struct ltl__check_key *out, const struct ltl__write_key *wk);
/* Text forms (no trailing newline), appended to out. */
int ltl__write_key_format(ltl__buf *out, const struct ltl__write_key *k) LTL__WUR;
int ltl__check_key_format(ltl__buf *out, const struct ltl__check_key *k) LTL__WUR;
/* Parse the text forms strictly (no surrounding space): LTL_OK; LTL_EPARSE
 * (malformed, bad name, not base64, wrong length); LTL_EKEY (unknown
 * algorithm byte, or the id does not match the key: a damaged or edited
 * key). The message says which. */
int ltl__write_key_parse(struct ltl__write_key *out, const char *text, size_t len) LTL__WUR;
int ltl__check_key_parse(struct ltl__check_key *out, const char *text, size_t len) LTL__WUR;

int ltl__read_key_generate(struct ltl__read_key *out, const char *name) LTL__WUR;
int ltl__read_key_format(ltl__buf *out, const struct ltl__read_key *k) LTL__WUR;
int ltl__read_key_parse(struct ltl__read_key *out, const char *text, size_t len) LTL__WUR;

/* ========================================================================
 * Signed notes and checkpoints (note.c): C2SP signed-note, tlog-checkpoint.
 * ======================================================================== */

#define LTL__NOTE_MAX      (64u << 10) /* bytes of a note we accept */
#define LTL__NOTE_SIGS_MAX 100         /* signature lines of a note we accept */
#define LTL__ORIGIN_MAX    255
/* "ltl/" + 32 hex digits of the store id + NUL */
#define LTL__ORIGIN_DEFAULT_SIZE 37

/* Sign text (which must end in '\n' and be valid note text): out receives
 * text, a blank line and one signature line "— <name> <base64(id || sig)>\n". */
int ltl__note_sign(ltl__buf *out, const char *text, size_t len,
                   const struct ltl__write_key *k) LTL__WUR;
/* Check a signed note against a check key. Signature lines of other keys
 * are ignored; a line with this key's name and id must verify. *out_text_len
 * receives the length of the signed text (it starts at note[0]).
 * LTL_OK; LTL_EPARSE (not a well-formed signed note); LTL_EVERIFY (no
 * signature by this key, or an invalid one; the message says which). */
int ltl__note_verify(size_t *out_text_len, const char *note, size_t len,
                     const struct ltl__check_key *k) LTL__WUR;

struct ltl__checkpoint {
    char origin[LTL__ORIGIN_MAX + 1];
    uint64_t size;
    unsigned char root[LTL__HASH_SIZE];
    bool has_signatures; /* parse: the text carries signature lines */
    bool verified;       /* parse: a signature by the given check key verified */
};

/* The default origin of a store: "ltl/<32 lowercase hex of store id>". */
void ltl__origin_default(char out[LTL__ORIGIN_DEFAULT_SIZE], const unsigned char store_id[16]);
/* Format "<origin>\n<size>\n<base64 root>\n", signed by k; with k NULL the
 * unsigned body alone (no blank line, no signature). */
int ltl__checkpoint_format(ltl__buf *out, const struct ltl__checkpoint *cp,
                           const struct ltl__write_key *k) LTL__WUR;
/* Parse a checkpoint, signed or not. With k, a signature by k must verify
 * (LTL_EVERIFY otherwise, also for an unsigned checkpoint); with k NULL the
 * signatures are not checked and has_signatures says whether there are any.
 * Extension lines are accepted and ignored. LTL_EPARSE when malformed. */
int ltl__checkpoint_parse(struct ltl__checkpoint *out, const char *text, size_t len,
                          const struct ltl__check_key *k) LTL__WUR;

/* ========================================================================
 * Proof texts (prooftext.c)
 *
 * Inclusion: C2SP tlog-proof (c2sp.org/tlog-proof@v1):
 *   c2sp.org/tlog-proof@v1\n[extra <base64>\n]index <n>\n<base64 hash>\n...\n\n<checkpoint>
 * Consistency (ours, after C2SP tlog-witness's request body):
 *   ltl.consistency-proof@v1\nold <m>\n<base64 hash>\n...\n\n<new checkpoint>
 * ======================================================================== */

#define LTL__TLOG_PROOF_HEADER  "c2sp.org/tlog-proof@v1"
#define LTL__CONSISTENCY_HEADER "ltl.consistency-proof@v1"
#define LTL__PROOF_TEXT_MAX     (LTL__NOTE_MAX + 8192)

/* A parsed proof text. checkpoint points into the parsed text (borrowed);
 * extra is owned: free it with ltl__proof_text_free. */
struct ltl__proof_text {
    uint64_t index; /* tlog-proof: the leaf index; consistency: the old size */
    struct ltl__proof proof;
    unsigned char *extra; /* tlog-proof "extra" bytes, NULL if none */
    size_t extra_len;
    const char *checkpoint; /* the checkpoint text, verbatim */
    size_t checkpoint_len;
};

int ltl__tlog_proof_format(ltl__buf *out, uint64_t index, const struct ltl__proof *proof,
                           const char *checkpoint, size_t checkpoint_len, const void *extra,
                           size_t extra_len) LTL__WUR;
/* LTL_OK, LTL_EPARSE (with the line that is wrong), LTL_ENOMEM. */
int ltl__tlog_proof_parse(struct ltl__proof_text *out, const char *text, size_t len) LTL__WUR;
int ltl__consistency_proof_format(ltl__buf *out, uint64_t old_size, const struct ltl__proof *proof,
                                  const char *checkpoint, size_t checkpoint_len) LTL__WUR;
int ltl__consistency_proof_parse(struct ltl__proof_text *out, const char *text,
                                 size_t len) LTL__WUR;
void ltl__proof_text_free(struct ltl__proof_text *p);

/* Check a tlog-proof offline: its checkpoint (signed by k; k NULL: not
 * checked, say so to the user) and the inclusion of leaf_hash at its index.
 * *out receives the checkpoint. LTL_OK, LTL_EPARSE, LTL_EVERIFY. */
int ltl__tlog_proof_check(struct ltl__checkpoint *out, const char *text, size_t len,
                          const unsigned char leaf_hash[LTL__HASH_SIZE],
                          const struct ltl__check_key *k) LTL__WUR;
/* Check a consistency proof text against an old checkpoint the caller
 * trusts: its new checkpoint (signed by k unless k is NULL) extends old.
 * *out receives the new checkpoint. LTL_OK, LTL_EPARSE, LTL_EVERIFY. */
int ltl__consistency_proof_check(struct ltl__checkpoint *out, const char *text, size_t len,
                                 const struct ltl__checkpoint *old,
                                 const struct ltl__check_key *k) LTL__WUR;

/* ========================================================================
 * Key files (keyfile.c)
 *
 * Written with O_CREAT|O_EXCL (an existing file is LTL_EEXIST, never
 * overwritten), the key text and a newline, fsynced with its directory.
 * Write and read keys get mode 0600, check keys 0644 (the umask may only
 * narrow them). Loading a write or read key refuses a file that group or
 * others may read or write: LTL_EPERM, with the mode and "chmod 600 FILE".
 * ======================================================================== */

#define LTL__KEY_FILE_MAX 4096

int ltl__key_file_write(ltl__io *io, const char *path, const char *text, size_t len,
                        mode_t mode) LTL__WUR;
/* Write a key pair: the write key to wkey_path (0600), then the check key
 * to ckey_path (0644). Neither may exist; on a failure nothing is left. */
int ltl__keypair_write(ltl__io *io, const struct ltl__write_key *k, const char *wkey_path,
                       const char *ckey_path) LTL__WUR;
int ltl__write_key_load(struct ltl__write_key *out, ltl__io *io, const char *path) LTL__WUR;
int ltl__check_key_load(struct ltl__check_key *out, ltl__io *io, const char *path) LTL__WUR;
int ltl__read_key_load(struct ltl__read_key *out, ltl__io *io, const char *path) LTL__WUR;
int ltl__read_key_write(ltl__io *io, const struct ltl__read_key *k, const char *path) LTL__WUR;

/* ========================================================================
 * Encryption at rest (seal.c; docs/TRUST.md "Encryption")
 *
 * ChaCha20-Poly1305 (RFC 8439) under a per-store key
 *   K = HKDF-SHA256(ikm = read key secret, salt = store id,
 *                   info = "ltl record key v1"), 32 bytes
 * with the 96-bit nonce
 *   nonce = seq mod 2^48 (6 bytes little-endian) || r (6 bytes)
 * where r is a per-thread counter started at a random value, and the
 * record envelope (the body bytes before the payload) as associated data.
 * Sealed bytes: r (6) || ciphertext (len) || tag (16). Distinct seqs never
 * share a nonce; the same seq written again (after a crash truncated the
 * log's tail) shares one only if the two r are equal (2^-48). Seqs >= 2^48
 * use the key HMAC-SHA256(K, "ltl epoch" || u64le(seq >> 48)).
 * ======================================================================== */

#define LTL__SEAL_RANDOM   6
#define LTL__SEAL_TAG      16
#define LTL__SEAL_OVERHEAD (LTL__SEAL_RANDOM + LTL__SEAL_TAG)

/* The per-store record key. Holds a secret: wipe with ltl__key_wipe. */
struct ltl__seal_key {
    unsigned char key[32];
    uint32_t read_key_id; /* the id of the read key it came from */
};

int ltl__seal_key_derive(struct ltl__seal_key *out, const struct ltl__read_key *rk,
                         const unsigned char store_id[16]) LTL__WUR;
/* Encrypt plaintext[0..len) into out, which has len + LTL__SEAL_OVERHEAD
 * bytes (out must not overlap the inputs). Thread-safe. LTL_OK, LTL_ENOMEM,
 * LTL_ETOOBIG (len > INT_MAX), LTL_EIO (the RNG failed). */
int ltl__seal(unsigned char *out, const struct ltl__seal_key *key, const void *aad, size_t aad_len,
              const void *plaintext, size_t len, uint64_t seq) LTL__WUR;
/* Decrypt sealed[0..len) into out (len - LTL__SEAL_OVERHEAD bytes).
 * LTL_OK; LTL_EKEY (wrong key, or ciphertext, envelope or seq changed:
 * nothing is written to out that the caller may use); LTL_ECORRUPT (shorter
 * than the overhead); LTL_ENOMEM. */
int ltl__unseal(unsigned char *out, const struct ltl__seal_key *key, const void *aad,
                size_t aad_len, const void *sealed, size_t len, uint64_t seq) LTL__WUR;

#endif /* LTL_TRUST_H */
