/* SPDX-License-Identifier: MIT */
/*
 * trust.c — the store's side of the trust module: loading the keys named by
 * the configuration, attaching the writer to its hash index (log/tree.hashes)
 * and bringing it level with the log after a crash, the checkpoints file,
 * and inclusion and consistency proofs against the store's checkpoints.
 *
 * The log is the truth: the hash index is derived from it, and recovery
 * rebuilds whatever part of the index does not match the log.
 */
#include "store/store.h"
#include "trust/trust.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

/* ---- keys ------------------------------------------------------------------ */

/* Load one read key file of keys.read and derive its per-store key. */
static int read_key_load(struct ltl_db *db, const char *path, struct ltl__seal_key *out)
{
    struct ltl__read_key rk;
    int rc = ltl__read_key_load(&rk, db->io, path);
    if (rc == LTL_OK)
        rc = ltl__seal_key_derive(out, &rk, db->header.store_id);
    ltl__key_wipe(&rk, sizeof(rk));
    return rc;
}

/* keys.read: one key file, or several separated by commas (the first seals new
 * records; the others open records sealed before a rotation). */
static int read_keys_load(struct ltl_db *db)
{
    struct ltl__keys *k = &db->keys;
    const char *list = db->cfg.key_read;
    int rc = LTL_OK;
    size_t n = 0;
    for (const char *p = list; *p && rc == LTL_OK;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        const char *next = p + len + (comma ? 1 : 0);
        while (len && (*p == ' ' || *p == '\t'))
            p++, len--;
        while (len && (p[len - 1] == ' ' || p[len - 1] == '\t'))
            len--;
        if (!len)
            return ltl__errf(LTL_ECONFIG,
                             "keys.read: an empty file name in '%s' (key files are separated by "
                             "commas)",
                             list);
        if (n == LTL__READ_KEYS_MAX)
            return ltl__errf(LTL_ECONFIG, "keys.read names more than %d read keys",
                             LTL__READ_KEYS_MAX);
        char *path = ltl__strndup(p, len);
        if (!path)
            return ltl__errf(LTL_ENOMEM, "out of memory");
        rc = read_key_load(db, path, n == 0 ? &k->seal : &k->older[n - 1]);
        ltl__free(path);
        if (rc)
            ltl__err_prefix("keys.read");
        n++;
        p = next;
    }
    if (rc == LTL_OK && n) {
        k->have_read = true;
        k->nolder = n - 1;
    }
    return rc;
}

int ltl__keys_load(struct ltl_db *db)
{
    struct ltl__keys *k = &db->keys;
    int rc = LTL_OK;
    if (db->cfg.key_write[0]) {
        if ((rc = ltl__write_key_load(&k->write, db->io, db->cfg.key_write))) {
            ltl__err_prefix("keys.write");
            return rc;
        }
        k->have_write = true;
        ltl__write_key_public(&k->check, &k->write);
        k->have_check = true;
    }
    if (db->cfg.key_check[0]) {
        struct ltl__check_key ck;
        if ((rc = ltl__check_key_load(&ck, db->io, db->cfg.key_check))) {
            ltl__err_prefix("keys.check");
            return rc;
        }
        if (k->have_write && (ck.id != k->check.id || memcmp(ck.pub, k->check.pub, 32) != 0))
            return ltl__errf(LTL_EKEY, "keys.check %s is not the check key of keys.write %s",
                             db->cfg.key_check, db->cfg.key_write);
        k->check = ck;
        k->have_check = true;
    }
    if (db->cfg.key_read[0])
        rc = read_keys_load(db);
    return rc;
}

const struct ltl__seal_key *ltl__keys_read_find(const struct ltl_db *db, uint32_t id)
{
    const struct ltl__keys *k = &db->keys;
    if (!k->have_read)
        return NULL;
    if (k->seal.read_key_id == id)
        return &k->seal;
    for (size_t i = 0; i < k->nolder; i++)
        if (k->older[i].read_key_id == id)
            return &k->older[i];
    return NULL;
}

/* "read key 1a2b3c4d" or "read keys 1a2b3c4d, 5e6f7a8b": what keys.read holds. */
static void held_keys(const struct ltl_db *db, char *out, size_t len)
{
    const struct ltl__keys *k = &db->keys;
    int n = snprintf(out, len, "read key%s %08x", k->nolder ? "s" : "", k->seal.read_key_id);
    for (size_t i = 0; i < k->nolder && n > 0 && (size_t)n < len; i++)
        n += snprintf(out + n, len - (size_t)n, ", %08x", k->older[i].read_key_id);
}

/* A manifest's read_key: true with *id when it names one (8 hex digits). */
static bool parse_key_id(const char *text, uint32_t *id)
{
    if (strlen(text) != 8 || strspn(text, "0123456789abcdefABCDEF") != 8)
        return false;
    *id = (uint32_t)strtoul(text, NULL, 16);
    return true;
}

/* The read key the record with this manifest was sealed with: true with *id
 * when its manifest can be read and names one. */
static bool sealed_with(struct ltl_db *db, uint64_t manifest_seq, uint32_t *id)
{
    const ltl_manifest *m = ltl__manifest_acquire(db, manifest_seq);
    bool named = m && parse_key_id(m->read_key, id);
    ltl__manifest_release(db, m);
    return named;
}

/* Why this handle does not open record seq: LTL_EKEY naming the read key it
 * was sealed with (from its manifest) and what keys.read holds. */
static int refuse(struct ltl_db *db, uint64_t seq, uint64_t manifest_seq)
{
    unsigned long long at = (unsigned long long)seq;
    uint32_t id = 0;
    bool named = sealed_with(db, manifest_seq, &id);
    ltl__err_restate(); /* an unreadable manifest's message is not this failure's */
    if (!db->keys.have_read && named)
        return ltl__errf(LTL_EKEY,
                         "record %llu is encrypted; keys.read is not set (it was sealed with read "
                         "key %08x)",
                         at, id);
    if (!db->keys.have_read)
        return ltl__errf(LTL_EKEY, "record %llu is encrypted; keys.read is not set", at);
    char held[160];
    held_keys(db, held, sizeof(held));
    if (named && ltl__keys_read_find(db, id))
        return ltl__errf(LTL_EKEY,
                         "record %llu: read key %08x of keys.read does not open it, though it was "
                         "sealed with that key: the record was altered or damaged (ltl verify)",
                         at, id);
    if (named)
        return ltl__errf(LTL_EKEY,
                         "record %llu is encrypted; keys.read holds %s, not the one it was sealed "
                         "with (read key %08x)",
                         at, held, id);
    return ltl__errf(LTL_EKEY,
                     "record %llu is encrypted and keys.read (%s) does not open it: it was sealed "
                     "with another read key, or altered",
                     at, held);
}

int ltl__record_unseal(struct ltl_db *db, struct ltl__body *b, ltl__buf *plain, bool envelope)
{
    if (!(b->flags & LTL_RECORD_ENCRYPTED))
        return LTL_OK;
    if (b->payload_len < LTL__SEAL_OVERHEAD)
        return ltl__errf(LTL_ECORRUPT, "record %llu: sealed payload of %zu bytes is too short",
                         (unsigned long long)b->seq, b->payload_len);
    const struct ltl__keys *k = &db->keys;
    const struct ltl__seal_key *key = NULL; /* NULL: every key in turn */
    if (!k->have_read)
        goto refused;
    if (k->nolder == 0) {
        key = &k->seal; /* the only one: the manifest is read only to explain a failure */
    } else {
        uint32_t id = 0;
        bool named = sealed_with(db, b->manifest_seq, &id);
        ltl__err_restate(); /* an unreadable manifest: try every key */
        if (named && !(key = ltl__keys_read_find(db, id)))
            goto refused;
    }
    size_t len = b->payload_len - LTL__SEAL_OVERHEAD;
    if (ltl__buf_reserve(plain, len + 1))
        return ltl__errf(LTL_ENOMEM, "out of memory");
    /* the envelope (body header and topic) is the associated data */
    const unsigned char *aad = (const unsigned char *)b->topic - LTL__BODY_HEADER;
    size_t aad_len = LTL__BODY_HEADER + b->topic_len;
    int rc = LTL_EKEY;
    for (size_t i = 0; rc == LTL_EKEY && i <= (key ? 0 : k->nolder); i++) {
        ltl__err_restate();
        rc = ltl__unseal((unsigned char *)plain->data,
                         key ? key
                         : i ? &k->older[i - 1]
                             : &k->seal,
                         aad, aad_len, b->payload, b->payload_len, b->seq);
    }
    if (rc == LTL_EKEY) {
        ltl__err_restate();
        goto refused;
    }
    if (rc)
        return rc;
    plain->len = len;
    b->payload = (const unsigned char *)plain->data;
    b->payload_len = len;
    b->flags = (b->flags & ~(unsigned)LTL_RECORD_ENCRYPTED) | LTL_RECORD_SEALED;
    return LTL_OK;
refused:
    return envelope ? LTL_OK : refuse(db, b->seq, b->manifest_seq);
}

int ltl__record_key_error(struct ltl_db *db, uint64_t seq)
{
    ltl__buf buf = {0}, plain = {0};
    struct ltl__body b;
    int rc = ltl__read_seq(db, seq, &buf, &b, NULL);
    if (rc == LTL_OK)
        rc = ltl__record_unseal(db, &b, &plain, false);
    if (rc == LTL_OK) /* this handle opens it after all: say what the caller saw */
        rc = ltl__errf(LTL_EKEY, "record %llu is encrypted", (unsigned long long)seq);
    ltl__buf_free(&plain);
    ltl__buf_free(&buf);
    return rc;
}

int ltl__keys_check_writer(struct ltl_db *db, const struct ltl__tail *tail)
{
    uint64_t mseq = tail->last_manifest_seq;
    if (mseq == LTL__NO_SEQ || mseq >= tail->next_seq)
        return LTL_OK; /* no writer wrote here yet */
    const ltl_manifest *m = ltl__manifest_acquire(db, mseq);
    if (!m) {
        if (db->flags & LTL_OPEN_REPAIR)
            return LTL_OK; /* repair must be able to run on a damaged store */
        return ltl__errf(LTL_ECORRUPT,
                         "the last manifest (seq %llu) cannot be read, so which read key the "
                         "store seals with is unknown (ltl repair)",
                         (unsigned long long)mseq);
    }
    uint32_t id = 0;
    bool keyed = m->read_key[0] != '\0';
    bool parsed = keyed && parse_key_id(m->read_key, &id);
    ltl__manifest_release(db, m);
    unsigned long long at = (unsigned long long)mseq;
    if (!keyed)
        return LTL_OK; /* the store's writers have not sealed: keys.read may start it */
    if (!parsed)
        return ltl__errf(LTL_ECORRUPT, "the last manifest (seq %llu) names no read key id", at);
    if (!db->keys.have_read)
        return ltl__errf(LTL_EKEY,
                         "the store seals its records with read key %08x (manifest at seq %llu) "
                         "and keys.read is not set: this writer would append plaintext to an "
                         "encrypted log; set keys.read to that key's file (ltl config set "
                         "keys.read FILE)",
                         id, at);
    if (db->keys.seal.read_key_id != id)
        return ltl__errf(LTL_EKEY,
                         "keys.read seals with read key %08x, but the store seals with read key "
                         "%08x (manifest at seq %llu): records under another key would leave no "
                         "single key that reads the store; put the file of read key %08x first "
                         "in keys.read, or change the store's key with 'ltl keys rotate-read "
                         "NEWFILE' (docs/TRUST.md)",
                         db->keys.seal.read_key_id, id, at, id);
    return LTL_OK;
}

void ltl__keys_wipe(struct ltl_db *db)
{
    ltl__key_wipe(&db->keys, sizeof(db->keys));
}

void ltl__origin(struct ltl_db *db, char *out, size_t len)
{
    if (db->cfg.checkpoint_origin && db->cfg.checkpoint_origin[0]) {
        snprintf(out, len, "%s", db->cfg.checkpoint_origin);
        return;
    }
    char def[LTL__ORIGIN_DEFAULT_SIZE];
    ltl__origin_default(def, db->header.store_id);
    snprintf(out, len, "%s", def);
}

struct origin_seen {
    const char *origin;
    bool seen;
};

static int origin_match(void *vctx, uint64_t index, const char *text, size_t len, uint64_t off)
{
    (void)index;
    (void)off;
    struct origin_seen *o = vctx;
    const char *nl = memchr(text, '\n', len);
    size_t n = strlen(o->origin);
    if (nl && (size_t)(nl - text) == n && memcmp(text, o->origin, n) == 0) {
        o->seen = true;
        return 1; /* found: stop */
    }
    return 0;
}

int ltl__origin_known(struct ltl_db *db, const char *origin, bool *out)
{
    char ours[LTL__NAME_MAX + 1];
    ltl__origin(db, ours, sizeof(ours));
    struct origin_seen o = {origin, strcmp(origin, ours) == 0};
    int rc = o.seen ? LTL_OK : ltl__checkpoints_each(db, origin_match, &o, NULL);
    *out = o.seen;
    return rc == 1 ? LTL_OK : rc;
}

/* ---- walking the log ----------------------------------------------------- */

/* Call fn for every record with seq in [from, to), across segments, in order.
 * Every frame must be valid: a bad one is LTL_ECORRUPT naming the place. */
int ltl__log_walk(struct ltl_db *db, uint64_t from, uint64_t to, ltl__frame_fn fn, void *ctx)
{
    if (from >= to)
        return LTL_OK;
    struct ltl__segment *seg = ltl__segs_find(db, from);
    if (!seg)
        return ltl__errf(LTL_ECORRUPT, "no segment holds seq %" PRIu64, from);
    uint64_t off;
    int rc = ltl__seg_locate(db, seg, from, &off);
    if (rc == LTL_ENOTFOUND)
        return ltl__errf(LTL_ECORRUPT, "segment %s does not reach seq %" PRIu64, seg->name, from);
    if (rc)
        return rc;
    uint64_t seq = from;
    while (seq < to) {
        struct ltl__walk_end end;
        if ((rc = ltl__frames_walk(db, seg, off, seq, to, fn, ctx, &end)))
            return rc;
        seq = end.next_seq;
        if (seq >= to)
            break;
        struct ltl__segment *next = ltl__seg_next(db, seg);
        if (end.stop != LTL__FRAME_END || !next || next->base != seq)
            return ltl__errf(
                LTL_ECORRUPT, "segment %s offset %" PRIu64 ": %s before seq %" PRIu64, seg->name,
                end.off,
                end.stop == LTL__FRAME_END ? "the log ends" : ltl__frame_status_name(end.stop), to);
        seg = next;
        off = LTL__SEG_HEADER_SIZE;
    }
    return LTL_OK;
}

/* ---- the writer's hash index ------------------------------------------------ */

/* Add a sentence to a note (best effort: a note that cannot grow is shorter). */
static void note_add(ltl__buf *note, const char *fmt, ...) LTL__PRINTF(2, 3);
static void note_add(ltl__buf *note, const char *fmt, ...)
{
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    if (note->len && ltl__buf_append(note, "; ", 2))
        return;
    if (ltl__buf_append(note, line, strlen(line))) {
        /* out of memory: the note stays as it was */
    }
}

struct leaf_check {
    struct ltl_db *db;
    struct ltl__tree *tree;
    uint64_t mismatch; /* first leaf that differs, or LTL__NO_SEQ */
    ltl__buf *note;
    uint64_t log_end; /* the log's next seq */
    bool events_read; /* the repair events in _ltl were read for lost leaves */
};

static bool known_lost_leaf(struct ltl_db *db, uint64_t seq, unsigned char out[LTL__HASH_SIZE])
{
    for (size_t i = 0; i < db->nlost; i++)
        if (db->lost[i].seq == seq && db->lost[i].has_leaf) {
            memcpy(out, db->lost[i].leaf, LTL__HASH_SIZE);
            return true;
        }
    return false;
}

/* The leaves a repair event in _ltl lists ({"action":"lost-records",
 * "first_seq":N,...,"leaves":["<hex>"|null,...]}), into db->lost. */
static int take_repair_event(void *ctx, struct ltl__segment *seg, uint64_t off,
                             const struct ltl__body *b, const unsigned char *body, size_t len)
{
    (void)seg;
    (void)off;
    (void)body;
    (void)len;
    struct ltl_db *db = ctx;
    static const char action[] = "\"action\":\"lost-records\"",
                      first[] = "\"first_seq\":", leaves[] = "\"leaves\":[";
    const char *p = (const char *)b->payload, *end = p + b->payload_len;
    if (b->kind != LTL_KIND_SYSTEM || !memmem(p, b->payload_len, action, sizeof(action) - 1))
        return 0;
    const char *f = memmem(p, b->payload_len, first, sizeof(first) - 1);
    const char *l = memmem(p, b->payload_len, leaves, sizeof(leaves) - 1);
    if (!f || !l)
        return 0;
    uint64_t seq = strtoull(f + sizeof(first) - 1, NULL, 10);
    for (const char *q = l + sizeof(leaves) - 1; q < end && *q != ']'; seq++) {
        struct ltl__lost e = {seq, false, {0}};
        if (*q == '"' && end - q > 2 * LTL__HASH_SIZE + 1 && q[1 + 2 * LTL__HASH_SIZE] == '"')
            e.has_leaf = ltl__hex_decode(e.leaf, q + 1, LTL__HASH_SIZE);
        struct ltl__lost *grown = ltl__realloc(db->lost, (db->nlost + 1) * sizeof(*grown));
        if (!grown)
            return ltl__errf(LTL_ENOMEM, "out of memory");
        db->lost = grown;
        db->lost[db->nlost++] = e;
        const char *comma = memchr(q, ',', (size_t)(end - q));
        const char *close = memchr(q, ']', (size_t)(end - q));
        if (!comma || (close && close < comma))
            break;
        q = comma + 1;
    }
    return 0;
}

/* The leaf of a lost-record marker is the lost record's: the one the marker
 * keeps, else the one a repair took from the hash index (this repair's, or an
 * earlier one's event in _ltl, read once). false: known nowhere. */
static bool lost_leaf(struct leaf_check *c, const struct ltl__body *b,
                      unsigned char out[LTL__HASH_SIZE])
{
    if (ltl__lost_leaf(b, out) || known_lost_leaf(c->db, b->seq, out))
        return true;
    if (!c->events_read && c->log_end > b->seq) {
        c->events_read = true;
        if (ltl__log_walk(c->db, b->seq + 1, c->log_end, take_repair_event, c->db) != LTL_OK)
            ltl__err_restate(); /* no leaf, then: the caller says so */
    }
    return known_lost_leaf(c->db, b->seq, out);
}

static int check_leaf(void *vctx, struct ltl__segment *seg, uint64_t off, const struct ltl__body *b,
                      const unsigned char *body, size_t len)
{
    (void)seg;
    (void)off;
    struct leaf_check *c = vctx;
    unsigned char want[LTL__HASH_SIZE], have[LTL__HASH_SIZE];
    int rc = LTL_OK;
    if (b->kind == LTL_KIND_LOST) {
        if (!lost_leaf(c, b, want))
            return LTL_OK; /* the index's leaf is all there is of it: keep it */
    } else {
        rc = ltl__hash_leaf(want, body, len);
    }
    if (rc == LTL_OK)
        rc = ltl__tree_leaf(have, c->tree, b->seq);
    if (rc)
        return rc;
    if (memcmp(want, have, LTL__HASH_SIZE) != 0) {
        c->mismatch = b->seq;
        return 1; /* stop */
    }
    return LTL_OK;
}

static int append_leaf(void *vctx, struct ltl__segment *seg, uint64_t off,
                       const struct ltl__body *b, const unsigned char *body, size_t len)
{
    (void)seg;
    (void)off;
    struct leaf_check *c = vctx;
    struct ltl__tree *t = c->tree;
    unsigned char leaf[LTL__HASH_SIZE];
    int rc = LTL_OK;
    if (b->kind != LTL_KIND_LOST || !lost_leaf(c, b, leaf)) {
        if (b->kind == LTL_KIND_LOST)
            note_add(c->note,
                     "lost record %" PRIu64 ": its leaf hash is known nowhere any more, so the "
                     "marker's own is used (checkpoints covering it no longer verify)",
                     b->seq);
        rc = ltl__hash_leaf(leaf, body, len);
    }
    if (rc == LTL_OK)
        rc = ltl__tree_append(t, leaf);
    if (rc == LTL_OK && ltl__tree_pending(t) >= 65536)
        rc = ltl__tree_flush(t);
    return rc;
}

#define NODE_CHUNK 16384 /* tree entries read at a time */

int ltl__tree_first_bad_node(struct ltl__tree *t, uint64_t from, uint64_t size, uint64_t *out)
{
    *out = LTL__NO_SEQ;
    struct ltl__frontier f;
    int rc = ltl__tree_frontier(&f, t, from);
    if (rc)
        return rc;
    unsigned char(*stored)[LTL__HASH_SIZE] = ltl__malloc((size_t)NODE_CHUNK * LTL__HASH_SIZE);
    if (!stored)
        return ltl__errf(LTL_ENOMEM, "out of memory");
    uint64_t e = ltl__tree_entries(from), end = ltl__tree_entries(size);
    uint64_t first = e, n = 0;
    for (uint64_t leaf = from; leaf < size && rc == LTL_OK && *out == LTL__NO_SEQ; leaf++) {
        /* the entries of this append: the leaf, then its new parents */
        size_t count = 1 + (size_t)__builtin_ctzll(~leaf);
        if (e + count > first + n) {
            first = e;
            n = end - e < NODE_CHUNK ? end - e : NODE_CHUNK;
            if ((rc = ltl__tree_read_entries(stored, t, first, (size_t)n)))
                break;
        }
        unsigned char made[64][LTL__HASH_SIZE];
        size_t got;
        if ((rc = ltl__frontier_append(made, &got, &f, stored[e - first])))
            break;
        for (size_t i = 1; i < got; i++)
            if (memcmp(made[i], stored[e - first + i], LTL__HASH_SIZE) != 0) {
                *out = leaf;
                break;
            }
        e += got;
    }
    ltl__free(stored);
    return rc;
}

int ltl__tree_attach(struct ltl_db *db, uint64_t next_seq, ltl__buf *note)
{
    char *path = ltl__path_join(db->log_dir, LTL__TREE_FILE);
    if (!path)
        return ltl__errf(LTL_ENOMEM, "out of memory");
    struct ltl__tree *t = NULL;
    int rc = ltl__tree_open(&t, db->io, path, db->header.store_id, true);
    if (rc == LTL_ECORRUPT || rc == LTL_EVERSION) {
        /* derived data that cannot be read: keep it for inspection, rebuild */
        char *aside = ltl__sprintf("%s.bad", path);
        if (!aside) {
            rc = ltl__errf(LTL_ENOMEM, "out of memory");
            goto out;
        }
        int moved = db->io->rename(db->io, path, aside);
        ltl__free(aside);
        if (moved < 0) {
            rc = ltl__err_sys(errno, "rename %s", path);
            goto out;
        }
        note_add(note, "%s: unreadable (%s), moved to %s.bad and rebuilt", LTL__TREE_FILE,
                 ltl__err_current(), LTL__TREE_FILE);
        ltl__err_begin();
        rc = ltl__tree_open(&t, db->io, path, db->header.store_id, true);
    }
    if (rc)
        goto out;
    if (ltl__tree_open_note(t)[0])
        note_add(note, "%s", ltl__tree_open_note(t));

    uint64_t size = ltl__tree_size(t), opened_size = size;
    if (size > next_seq) {
        if ((rc = ltl__tree_truncate(t, next_seq)))
            goto out;
        note_add(note, "%s was %" PRIu64 " leaves ahead of the log: cut", LTL__TREE_FILE,
                 size - next_seq);
        size = next_seq;
    }
    /* leaves written since the index was last synced must match the log (after a
     * repair: every leaf) */
    uint64_t synced = db->flags & LTL_OPEN_REPAIR ? 0 : ltl__tree_synced(t);
    if (synced < size) {
        struct leaf_check c = {db, t, LTL__NO_SEQ, note, next_seq, false};
        rc = ltl__log_walk(db, synced, size, check_leaf, &c);
        if (rc == 1)
            rc = LTL_OK;
        if (rc)
            goto out;
        if (c.mismatch != LTL__NO_SEQ) {
            if ((rc = ltl__tree_truncate(t, c.mismatch)))
                goto out;
            note_add(note, "%s: leaf %" PRIu64 " did not match the log: cut there", LTL__TREE_FILE,
                     c.mismatch);
            size = c.mismatch;
        }
    }
    if (db->flags & LTL_OPEN_REPAIR) {
        /* a repair also recomputes every inner node from the checked leaves */
        uint64_t bad;
        if ((rc = ltl__tree_first_bad_node(t, 0, size, &bad)))
            goto out;
        if (bad != LTL__NO_SEQ) {
            if ((rc = ltl__tree_truncate(t, bad)))
                goto out;
            note_add(note, "%s: the node completed by leaf %" PRIu64 " was damaged: cut there",
                     LTL__TREE_FILE, bad);
            size = bad;
        }
    }
    if (size < next_seq) {
        struct leaf_check c = {db, t, LTL__NO_SEQ, note, next_seq, false};
        if ((rc = ltl__log_walk(db, size, next_seq, append_leaf, &c)))
            goto out;
        note_add(note, "%s: %" PRIu64 " leaves rebuilt from the log", LTL__TREE_FILE,
                 next_seq - size);
    }
    /* sync only what changed: reopening a store that needed nothing leaves
     * every byte of it as it was */
    if (size != opened_size || size != next_seq || note->len)
        rc = ltl__tree_sync(t);
    if (rc)
        goto out;
    db->tree = t;
    t = NULL;
out:
    if (t)
        (void)ltl__tree_close(t);
    ltl__free(path);
    return rc;
}

/* A read-only view of the hash index for readers (opened once, refreshed). */
int ltl__tree_for_reading(struct ltl_db *db, struct ltl__tree **out)
{
    int rc = LTL_OK;
    pthread_mutex_lock(&db->tree_mu);
    if (!db->tree) {
        char *path = ltl__path_join(db->log_dir, LTL__TREE_FILE);
        if (!path)
            rc = ltl__errf(LTL_ENOMEM, "out of memory");
        else
            rc = ltl__tree_open(&db->tree, db->io, path, db->header.store_id, false);
        ltl__free(path);
        if (rc == LTL_ENOTFOUND) {
            ltl__err_restate();
            rc = ltl__errf(LTL_ENOTFOUND, "the store has no hash index yet (open it once as a "
                                          "writer, e.g. append a record)");
        }
    } else if (!db->writer) {
        rc = ltl__tree_refresh(db->tree);
    }
    *out = db->tree;
    pthread_mutex_unlock(&db->tree_mu);
    return rc;
}

/* ---- the checkpoints file ------------------------------------------------------
 * STORE/checkpoints holds entries "ltl-checkpoint <len> <crc32c hex>\n<text>\n",
 * appended with one write and fdatasynced. A torn last entry is ignored (and
 * cut by a writer); a damaged earlier one is corruption. */

#define CP_MAGIC    "ltl-checkpoint "
#define CP_FILE_MAX (256u << 20)

static char *checkpoints_path(struct ltl_db *db)
{
    return ltl__path_join(db->path, "checkpoints");
}

int ltl__checkpoints_each(struct ltl_db *db, ltl__checkpoint_fn fn, void *ctx, uint64_t *out_end)
{
    char *path = checkpoints_path(db);
    if (!path)
        return ltl__errf(LTL_ENOMEM, "out of memory");
    ltl__buf buf = {0};
    int rc = LTL_OK;
    uint64_t end = 0;
    int fd = db->io->open(db->io, path, O_RDONLY, 0);
    if (fd < 0) {
        if (errno != ENOENT)
            rc = ltl__err_sys(errno, "open %s", path);
        goto out;
    }
    struct stat st;
    if (db->io->fstat(db->io, fd, &st) < 0) {
        rc = ltl__err_sys(errno, "stat %s", path);
        db->io->close(db->io, fd);
        goto out;
    }
    if ((uint64_t)st.st_size > CP_FILE_MAX) {
        rc = ltl__errf(LTL_ETOOBIG, "%s is %lld bytes; the limit is %u", path,
                       (long long)st.st_size, CP_FILE_MAX);
        db->io->close(db->io, fd);
        goto out;
    }
    if ((rc = ltl__buf_reserve(&buf, (size_t)st.st_size + 1))) {
        db->io->close(db->io, fd);
        goto out;
    }
    ssize_t n = ltl__io_pread_full(db->io, fd, buf.data, (size_t)st.st_size, 0);
    db->io->close(db->io, fd);
    if (n < 0) {
        rc = ltl__err_sys(errno, "read %s", path);
        goto out;
    }
    buf.len = (size_t)n;
    uint64_t index = 0;
    for (size_t pos = 0; pos < buf.len; index++) {
        const char *p = buf.data + pos;
        const char *nl = memchr(p, '\n', buf.len - pos);
        unsigned long long len = 0;
        unsigned crc = 0;
        int used = 0;
        if (!nl) {
            /* no end of line after the last entry: a header cut by a crash */
            break;
        }
        /* the header line on its own (sscanf must not run over the whole file) */
        char line[64];
        size_t line_len = (size_t)(nl - p);
        if (line_len < sizeof(line)) {
            memcpy(line, p, line_len);
            line[line_len] = '\0';
        }
        if (line_len >= sizeof(line) || strncmp(line, CP_MAGIC, strlen(CP_MAGIC)) != 0 ||
            sscanf(line + strlen(CP_MAGIC), "%llu %8x%n", &len, &crc, &used) != 2 ||
            strlen(CP_MAGIC) + (size_t)used != line_len) {
            rc = ltl__errf(LTL_ECORRUPT, "%s offset %zu: not a checkpoint entry", path, pos);
            goto out;
        }
        size_t text_at = (size_t)(nl - buf.data) + 1;
        if (len >= buf.len - text_at) {
            /* the last entry, cut short by a crash while appending; unless its bytes
             * are all there and check out, when it is its length that was damaged */
            size_t have = buf.len - text_at;
            if (have > 0 && buf.data[buf.len - 1] == '\n' &&
                ltl__crc32c(0, buf.data + text_at, have - 1) == crc) {
                rc = ltl__errf(LTL_ECORRUPT,
                               "%s offset %zu: checkpoint entry %" PRIu64
                               " is damaged (its length says %llu bytes, it has %zu)",
                               path, pos, index, len, have - 1);
                goto out;
            }
            break;
        }
        if (buf.data[text_at + len] != '\n' ||
            ltl__crc32c(0, buf.data + text_at, (size_t)len) != crc) {
            rc = ltl__errf(LTL_ECORRUPT,
                           "%s offset %zu: checkpoint entry %" PRIu64
                           " is damaged (checksum or length)",
                           path, pos, index);
            goto out;
        }
        if (fn && (rc = fn(ctx, index, buf.data + text_at, (size_t)len, pos)))
            goto out;
        pos = text_at + (size_t)len + 1;
        end = pos;
    }
out:
    if (out_end)
        *out_end = end;
    ltl__buf_free(&buf);
    ltl__free(path);
    return rc;
}

/* ---- repairing the checkpoints file ----
 * Entries are kept when their checksum holds, or when their text is a
 * checkpoint of this store whose signature checks out with the check key (the
 * header was damaged, the statement was not). What cannot be trusted is
 * dropped; the original file is kept in the repair folder. */

struct cp_entry {
    size_t at, len; /* the text */
};

/* The checkpoint texts the file's bytes hold, header damage or not. */
static int cp_salvage(struct ltl_db *db, const char *data, size_t size, struct cp_entry **out,
                      size_t *n, size_t *dropped)
{
    const struct ltl__check_key *k = db->keys.have_check ? &db->keys.check : NULL;
    *out = NULL;
    *n = *dropped = 0;
    size_t pos = 0;
    while (pos < size) {
        const char *p = data + pos;
        /* the next entry header starts at the magic after this one */
        const char *next = NULL;
        for (const char *q = p + 1; q + strlen(CP_MAGIC) <= data + size; q++) {
            q = memchr(q, '\n', (size_t)(data + size - q));
            if (!q)
                break;
            if ((size_t)(data + size - q - 1) >= strlen(CP_MAGIC) &&
                memcmp(q + 1, CP_MAGIC, strlen(CP_MAGIC)) == 0) {
                next = q + 1;
                break;
            }
        }
        size_t end = next ? (size_t)(next - data) : size;
        const char *nl = memchr(p, '\n', end - pos);
        bool kept = false;
        if (nl && end - (size_t)(nl + 1 - data) >= 1 && data[end - 1] == '\n') {
            size_t text_at = (size_t)(nl + 1 - data), len = end - 1 - text_at;
            unsigned long long hlen = 0;
            unsigned crc = 0;
            bool header_ok = strncmp(p, CP_MAGIC, strlen(CP_MAGIC)) == 0 &&
                             sscanf(p + strlen(CP_MAGIC), "%llu %8x", &hlen, &crc) == 2;
            struct ltl__checkpoint cp;
            /* kept when its checksum holds, or when the signature vouches for the text */
            kept =
                (header_ok && hlen == len && ltl__crc32c(0, data + text_at, len) == crc) ||
                (k && ltl__checkpoint_parse(&cp, data + text_at, len, k) == LTL_OK && cp.verified);
            ltl__err_restate();
            if (kept) {
                struct cp_entry *e = ltl__realloc(*out, (*n + 1) * sizeof(*e));
                if (!e)
                    return ltl__errf(LTL_ENOMEM, "out of memory");
                *out = e;
                e[(*n)++] = (struct cp_entry){text_at, len};
            }
        }
        if (!kept)
            (*dropped)++;
        pos = end;
    }
    return LTL_OK;
}

int ltl__checkpoints_repair(struct ltl_db *db, bool dry_run, char **event)
{
    *event = NULL;
    int rc = ltl__checkpoints_each(db, NULL, NULL, NULL);
    if (rc != LTL_ECORRUPT)
        return rc; /* readable (a torn last entry is a writer's to cut) */
    char *why = ltl__strdup(ltl__err_current());
    ltl__err_restate();
    char *path = checkpoints_path(db), *tmp = path ? ltl__sprintf("%s.tmp", path) : NULL;
    ltl__buf buf = {0}, text = {0};
    struct cp_entry *entries = NULL;
    size_t n = 0, dropped = 0;
    char *aside = NULL, *dest = NULL;
    struct stat st;
    int fd = -1;
    if (!tmp) {
        rc = ltl__errf(LTL_ENOMEM, "out of memory");
        goto out;
    }
    if ((fd = db->io->open(db->io, path, O_RDONLY, 0)) < 0 || db->io->fstat(db->io, fd, &st) < 0) {
        rc = ltl__err_sys(errno, "open %s", path);
        goto out;
    }
    if ((uint64_t)st.st_size > CP_FILE_MAX) {
        rc = ltl__errf(LTL_ETOOBIG, "%s is too big to repair", path);
        goto out;
    }
    if ((rc = ltl__buf_reserve(&buf, (size_t)st.st_size + 1)))
        goto out;
    ssize_t got = ltl__io_pread_full(db->io, fd, buf.data, (size_t)st.st_size, 0);
    db->io->close(db->io, fd);
    fd = -1;
    if (got < 0) {
        rc = ltl__err_sys(errno, "read %s", path);
        goto out;
    }
    buf.len = (size_t)got;
    if ((rc = cp_salvage(db, buf.data, buf.len, &entries, &n, &dropped)))
        goto out;
    ltl__log(&db->log, LTL_LOG_WARN,
             "repair%s: checkpoints: %s; %s it with the %zu entries that check out (%zu dropped)",
             dry_run ? " (dry run)" : "", why ? why : "damaged",
             dry_run ? "would rewrite" : "rewrote", n, dropped);
    if (dry_run)
        goto out;
    for (size_t i = 0; i < n && rc == LTL_OK; i++) {
        const char *t = buf.data + entries[i].at;
        size_t len = entries[i].len;
        rc = ltl__buf_appendf(&text, CP_MAGIC "%zu %08x\n", len, ltl__crc32c(0, t, len));
        if (!rc)
            rc = ltl__buf_append(&text, t, len);
        if (!rc)
            rc = ltl__buf_append(&text, "\n", 1);
    }
    if (rc)
        goto out;
    /* the original goes aside first; the new file replaces it whole */
    if ((rc = ltl__aside_dir(db, &aside)) || !(dest = ltl__path_join(aside, "checkpoints")) ||
        (rc = ltl__copy_range(db, path, 0, buf.len, dest)))
        goto out;
    if (ltl__io_fsync_dir(db->io, aside) < 0) {
        rc = ltl__err_sys(errno, "fsync %s", aside);
        goto out;
    }
    if ((fd = db->io->open(db->io, tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644)) < 0 ||
        ltl__io_pwrite_full(db->io, fd, text.data ? text.data : "", text.len, 0) < 0 ||
        db->io->fsync(db->io, fd) < 0) {
        rc = ltl__err_sys(errno, "write %s", tmp);
        goto out;
    }
    db->io->close(db->io, fd);
    fd = -1;
    if (db->io->rename(db->io, tmp, path) < 0 || ltl__io_fsync_dir(db->io, db->path) < 0) {
        rc = ltl__err_sys(errno, "replace %s", path);
        goto out;
    }
    *event = ltl__sprintf("{\"event\":\"repair\",\"action\":\"checkpoints\",\"kept\":%zu,"
                          "\"dropped\":%zu,\"moved\":[\"%s\"]}",
                          n, dropped, ltl__store_rel(db, dest));
    if (!*event)
        rc = ltl__errf(LTL_ENOMEM, "out of memory");
    pthread_mutex_lock(&db->cp_mu);
    db->cp_cache.valid = false;
    pthread_mutex_unlock(&db->cp_mu);
out:
    if (fd >= 0)
        db->io->close(db->io, fd);
    ltl__free(entries);
    ltl__buf_free(&buf);
    ltl__buf_free(&text);
    ltl__free(dest);
    ltl__free(aside);
    ltl__free(tmp);
    ltl__free(path);
    ltl__free(why);
    return rc;
}

int ltl__checkpoints_append(struct ltl_db *db, const char *text, size_t len)
{
    char *path = checkpoints_path(db);
    if (!path)
        return ltl__errf(LTL_ENOMEM, "out of memory");
    ltl__buf entry = {0};
    int rc = ltl__buf_appendf(&entry, CP_MAGIC "%zu %08x\n", len, ltl__crc32c(0, text, len));
    if (!rc)
        rc = ltl__buf_append(&entry, text, len);
    if (!rc)
        rc = ltl__buf_append(&entry, "\n", 1);
    if (rc) {
        ltl__free(path);
        ltl__buf_free(&entry);
        return ltl__errf(LTL_ENOMEM, "out of memory");
    }
    /* a torn entry a crash left would hide the new one: cut it first */
    uint64_t valid = 0;
    struct stat st;
    bool existed = db->io->stat(db->io, path, &st) == 0;
    if (existed && (rc = ltl__checkpoints_each(db, NULL, NULL, &valid)))
        goto out;
    int fd = db->io->open(db->io, path, O_WRONLY | O_CREAT, 0644);
    if (fd < 0) {
        rc = ltl__err_sys(errno, "open %s", path);
        goto out;
    }
    if (existed && (uint64_t)st.st_size != valid && db->io->ftruncate(db->io, fd, (off_t)valid) < 0)
        rc = ltl__err_sys(errno, "cut the torn end of %s", path);
    if (!rc && ltl__io_pwrite_full(db->io, fd, entry.data, entry.len, (off_t)valid) < 0)
        rc = ltl__err_sys(errno, "write %s", path);
    if (!rc && db->io->fdatasync(db->io, fd) < 0)
        rc = ltl__err_sys(errno, "fdatasync %s", path);
    if (db->io->close(db->io, fd) < 0 && !rc)
        rc = ltl__err_sys(errno, "close %s", path);
    if (!rc && !existed && ltl__io_fsync_dir(db->io, db->path) < 0)
        rc = ltl__err_sys(errno, "fsync %s", db->path);
out:
    ltl__free(path);
    ltl__buf_free(&entry);
    return rc;
}

struct latest {
    ltl__buf *text;
    uint64_t want_size; /* LTL__NO_SEQ: the last one */
    bool found;
    int rc;
    struct ltl_db *db;
};

static int take_latest(void *vctx, uint64_t index, const char *text, size_t len, uint64_t off)
{
    (void)index;
    (void)off;
    struct latest *l = vctx;
    struct ltl__checkpoint cp;
    if (l->want_size != LTL__NO_SEQ) {
        if (ltl__checkpoint_parse(&cp, text, len, NULL) != LTL_OK || cp.size != l->want_size)
            return 0;
    }
    l->text->len = 0;
    if (ltl__buf_append(l->text, text, len))
        return ltl__errf(LTL_ENOMEM, "out of memory");
    l->found = true;
    return 0;
}

/* The identity of the checkpoints file's content: it only grows (a torn end is cut and
 * written over, which changes the modification time). False when it cannot be had. */
static bool checkpoints_stat(struct ltl_db *db, uint64_t key[4])
{
    char *path = checkpoints_path(db);
    struct stat st;
    bool ok = path && db->io->stat(db->io, path, &st) == 0;
    ltl__free(path);
    if (ok) {
        key[0] = (uint64_t)st.st_dev;
        key[1] = (uint64_t)st.st_ino;
        key[2] = (uint64_t)st.st_size;
        key[3] = (uint64_t)st.st_mtim.tv_sec * 1000000000u + (uint64_t)st.st_mtim.tv_nsec;
    }
    return ok;
}

static bool cp_cache_get(struct ltl_db *db, uint64_t want, const uint64_t key[4], ltl__buf *text,
                         struct ltl__checkpoint *out, int *rc)
{
    bool hit = false;
    pthread_mutex_lock(&db->cp_mu);
    if (db->cp_cache.valid && db->cp_cache.want == want && db->cp_cache.dev == key[0] &&
        db->cp_cache.ino == key[1] && db->cp_cache.size == key[2] &&
        (uint64_t)db->cp_cache.mtime_ns == key[3]) {
        hit = true;
        *out = db->cp_cache.cp;
        text->len = 0;
        *rc = ltl__buf_append(text, db->cp_cache.text.data, db->cp_cache.text.len)
                  ? ltl__errf(LTL_ENOMEM, "out of memory")
                  : LTL_OK;
    }
    pthread_mutex_unlock(&db->cp_mu);
    return hit;
}

static void cp_cache_put(struct ltl_db *db, uint64_t want, const uint64_t key[4],
                         const ltl__buf *text, const struct ltl__checkpoint *cp)
{
    pthread_mutex_lock(&db->cp_mu);
    db->cp_cache.valid = false;
    db->cp_cache.text.len = 0;
    if (ltl__buf_append(&db->cp_cache.text, text->data, text->len) == LTL_OK) {
        db->cp_cache.valid = true;
        db->cp_cache.want = want;
        db->cp_cache.dev = key[0];
        db->cp_cache.ino = key[1];
        db->cp_cache.size = key[2];
        db->cp_cache.mtime_ns = (int64_t)key[3];
        db->cp_cache.cp = *cp;
    }
    pthread_mutex_unlock(&db->cp_mu);
}

int ltl__checkpoint_find(struct ltl_db *db, uint64_t size, ltl__buf *text,
                         struct ltl__checkpoint *out)
{
    uint64_t key[4] = {0};
    bool keyed = checkpoints_stat(db, key);
    int rc;
    if (keyed && cp_cache_get(db, size, key, text, out, &rc))
        return rc;
    struct latest l = {text, size, false, LTL_OK, db};
    rc = ltl__checkpoints_each(db, take_latest, &l, NULL);
    if (rc)
        return rc;
    if (!l.found)
        return size == LTL__NO_SEQ
                   ? ltl__errf(LTL_ENOTFOUND, "the store has no checkpoint yet (ltl checkpoint "
                                              "makes one)")
                   : ltl__errf(LTL_ENOTFOUND, "no checkpoint of size %" PRIu64, size);
    const struct ltl__check_key *k = db->keys.have_check ? &db->keys.check : NULL;
    rc = ltl__checkpoint_parse(out, text->data, text->len, k);
    if (rc == LTL_EVERIFY && k && !out->has_signatures)
        rc = LTL_OK; /* unsigned checkpoints are reported as such, not refused */
    if (rc == LTL_OK && keyed)
        cp_cache_put(db, size, key, text, out);
    return rc;
}

/* ---- proofs -------------------------------------------------------------------- */

/* Why seq has no proof in the checkpoint of size cp_size (seq >= cp_size): the
 * log has no such record, or no checkpoint (or not the one asked for) covers
 * it yet. `asked`: the size was given, not the last checkpoint taken. */
static int not_covered(struct ltl_db *db, uint64_t seq, uint64_t cp_size, bool asked)
{
    uint64_t end;
    int rc = ltl__log_end(db, &end);
    if (rc)
        return rc;
    if (seq >= end)
        return end ? ltl__errf(LTL_ENOTFOUND,
                               "there is no record %" PRIu64 ": the log has %" PRIu64
                               " records (seq 0..%" PRIu64 ")",
                               seq, end, end - 1)
                   : ltl__errf(LTL_ENOTFOUND, "there is no record %" PRIu64 ": the log is empty",
                               seq);
    if (asked) {
        ltl__buf text = {0};
        struct ltl__checkpoint last = {0};
        rc = ltl__checkpoint_find(db, LTL__NO_SEQ, &text, &last);
        ltl__buf_free(&text);
        if (rc == LTL_OK && last.size > seq)
            return ltl__errf(LTL_ENOTFOUND,
                             "record %" PRIu64 " is not in the checkpoint of size %" PRIu64
                             " (seq 0..%" PRIu64 "); the last checkpoint, of size %" PRIu64
                             ", covers it",
                             seq, cp_size, cp_size ? cp_size - 1 : 0, last.size);
        if (rc && rc != LTL_ENOTFOUND)
            return rc;
        ltl__err_restate();
    }
    return ltl__errf(LTL_ENOTFOUND,
                     "record %" PRIu64 " came after the last checkpoint (size %" PRIu64
                     "): no checkpoint covers it yet ('ltl checkpoint' makes one)",
                     seq, cp_size);
}

/* The hash index holds the tree of `size` leaves, or an error saying that it
 * is the index that is short (the log is whole) and who brings it level. */
static int tree_reaches(struct ltl_db *db, struct ltl__tree *t, uint64_t size)
{
    uint64_t have = ltl__tree_size(t), end;
    if (have >= size)
        return LTL_OK;
    int rc = ltl__log_end(db, &end);
    if (rc)
        return rc;
    if (end < size)
        return ltl__errf(LTL_EVERIFY,
                         "the checkpoint covers %" PRIu64 " records but the log has %" PRIu64
                         " (and log/%s %" PRIu64 " leaves): records were cut",
                         size, end, LTL__TREE_FILE, have);
    return ltl__errf(LTL_ECORRUPT,
                     "log/%s holds %" PRIu64 " leaves, fewer than the checkpoint's %" PRIu64
                     ": the hash index is short, the log is whole (%" PRIu64
                     " records); a writer rebuilds the index from the log (append, or "
                     "'ltl checkpoint')",
                     LTL__TREE_FILE, have, size, end);
}

int ltl__proof_inclusion(struct ltl_db *db, uint64_t seq, uint64_t size, ltl__buf *out)
{
    ltl__buf cptext = {0}, body = {0};
    struct ltl__checkpoint cp = {0};
    struct ltl__tree *t;
    struct ltl__proof proof;
    int rc = ltl__checkpoint_find(db, size, &cptext, &cp);
    if (rc)
        goto out;
    if (seq >= cp.size) {
        rc = not_covered(db, seq, cp.size, size != LTL__NO_SEQ);
        goto out;
    }
    struct ltl__body b;
    size_t body_len;
    if ((rc = ltl__tree_for_reading(db, &t)) || (rc = tree_reaches(db, t, cp.size)) ||
        (rc = ltl__tree_inclusion(&proof, t, seq, cp.size)) ||
        (rc = ltl__read_seq(db, seq, &body, &b, &body_len)))
        goto out;
    if (b.kind == LTL_KIND_LOST) {
        rc = ltl__errf(LTL_ENOTFOUND,
                       "record %" PRIu64 " was lost to damage (ltl repair replaced it by a "
                       "lost-record marker): there is no record to prove",
                       seq);
        goto out;
    }
    /* A proof handed out must hold: the hash index it comes from may be damaged */
    unsigned char leaf[LTL__HASH_SIZE];
    if ((rc = ltl__hash_leaf(leaf, (unsigned char *)body.data + LTL__FRAME_HEADER, body_len)))
        goto out;
    if (ltl__verify_inclusion(leaf, seq, cp.size,
                              (const unsigned char(*)[LTL__HASH_SIZE])proof.hash, proof.count,
                              cp.root) != LTL_OK) {
        ltl__err_restate();
        rc = ltl__errf(LTL_ECORRUPT,
                       "%s is damaged: the proof of record %" PRIu64 " it gives does not lead to "
                       "the root of the checkpoint of size %" PRIu64
                       " (ltl verify says where; ltl repair rebuilds it from the log)",
                       LTL__TREE_FILE, seq, cp.size);
        goto out;
    }
    /* the record's body travels in the proof: check-proof needs no store */
    rc = ltl__tlog_proof_format(out, seq, &proof, cptext.data, cptext.len,
                                body.data + LTL__FRAME_HEADER, body_len);
out:
    ltl__buf_free(&cptext);
    ltl__buf_free(&body);
    return rc;
}

int ltl__proof_consistency(struct ltl_db *db, uint64_t old_size, uint64_t new_size, ltl__buf *out)
{
    ltl__buf cptext = {0};
    struct ltl__checkpoint cp = {0};
    struct ltl__tree *t;
    struct ltl__proof proof;
    int rc = ltl__checkpoint_find(db, new_size, &cptext, &cp);
    if (rc == LTL_OK && old_size > cp.size)
        rc = ltl__errf(LTL_EINVAL, "the old size %" PRIu64 " is larger than the new %" PRIu64,
                       old_size, cp.size);
    unsigned char old_root[LTL__HASH_SIZE];
    if (rc == LTL_OK && (rc = ltl__tree_for_reading(db, &t)) == LTL_OK &&
        (rc = tree_reaches(db, t, cp.size)) == LTL_OK &&
        (rc = ltl__tree_consistency(&proof, t, old_size, cp.size)) == LTL_OK &&
        (rc = ltl__tree_root(old_root, t, old_size)) == LTL_OK &&
        ltl__verify_consistency(old_size, cp.size, old_root, cp.root,
                                (const unsigned char(*)[LTL__HASH_SIZE])proof.hash,
                                proof.count) != LTL_OK) {
        /* a proof handed out must hold: the hash index it comes from may be damaged */
        ltl__err_restate();
        rc = ltl__errf(LTL_ECORRUPT,
                       "%s is damaged: the consistency proof from size %" PRIu64
                       " it gives does not lead to the root of the checkpoint of size %" PRIu64
                       " (ltl verify says where; ltl repair rebuilds it from the log)",
                       LTL__TREE_FILE, old_size, cp.size);
    }
    if (rc == LTL_OK)
        rc = ltl__consistency_proof_format(out, old_size, &proof, cptext.data, cptext.len);
    ltl__buf_free(&cptext);
    return rc;
}
