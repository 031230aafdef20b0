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
#include <unistd.h>

/* ---- keys ------------------------------------------------------------------ */

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
    if (db->cfg.key_read[0]) {
        struct ltl__read_key rk;
        if ((rc = ltl__read_key_load(&rk, db->io, db->cfg.key_read))) {
            ltl__err_prefix("keys.read");
            return rc;
        }
        rc = ltl__seal_key_derive(&k->seal, &rk, db->header.store_id);
        ltl__key_wipe(&rk, sizeof(rk));
        if (rc)
            return rc;
        k->have_read = true;
    }
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
    struct ltl__tree *tree;
    uint64_t mismatch; /* first leaf that differs, or LTL__NO_SEQ */
};

static int check_leaf(void *vctx, struct ltl__segment *seg, uint64_t off, const struct ltl__body *b,
                      const unsigned char *body, size_t len)
{
    (void)seg;
    (void)off;
    struct leaf_check *c = vctx;
    unsigned char want[LTL__HASH_SIZE], have[LTL__HASH_SIZE];
    int rc = ltl__hash_leaf(want, body, len);
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
    (void)b;
    struct ltl__tree *t = vctx;
    unsigned char leaf[LTL__HASH_SIZE];
    int rc = ltl__hash_leaf(leaf, body, len);
    if (rc == LTL_OK)
        rc = ltl__tree_append(t, leaf);
    if (rc == LTL_OK && ltl__tree_pending(t) >= 65536)
        rc = ltl__tree_flush(t);
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
    /* leaves written since the index was last synced must match the log */
    uint64_t synced = ltl__tree_synced(t);
    if (synced < size) {
        struct leaf_check c = {t, LTL__NO_SEQ};
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
    if (size < next_seq) {
        if ((rc = ltl__log_walk(db, size, next_seq, append_leaf, t)))
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
        if (len >= buf.len - text_at)
            break; /* the last entry, cut short by a crash while appending */
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
    if (rc == LTL_OK && (rc = ltl__tree_for_reading(db, &t)) == LTL_OK &&
        (rc = tree_reaches(db, t, cp.size)) == LTL_OK &&
        (rc = ltl__tree_consistency(&proof, t, old_size, cp.size)) == LTL_OK)
        rc = ltl__consistency_proof_format(out, old_size, &proof, cptext.data, cptext.len);
    ltl__buf_free(&cptext);
    return rc;
}
