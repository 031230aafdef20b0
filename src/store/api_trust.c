/* SPDX-License-Identifier: MIT */
/*
 * api_trust.c — the public face of the trust features: checkpoints,
 * verification, proofs and their offline check, key generation, audit.
 */
#include "json/json.h"
#include "store/store.h"
#include "trust/trust.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <unistd.h>

/* Copy the current failure into a handle-less call's error. */
static int fill_error(ltl_error *err, int rc)
{
    if (err) {
        err->code = rc;
        const char *msg = rc ? ltl__err_current() : "";
        snprintf(err->message, sizeof(err->message), "%s", msg[0] || !rc ? msg : ltl_strerror(rc));
    }
    return rc;
}

/* Hand a buffer to the caller as a NUL-terminated string. */
static int give(char **out, ltl__buf *buf)
{
    if (ltl__buf_reserve(buf, 1))
        return ltl__errf(LTL_ENOMEM, "out of memory");
    buf->data[buf->len] = '\0';
    *out = buf->data;
    *buf = (ltl__buf){0};
    return LTL_OK;
}

int ltl_checkpoint(char **out, ltl_db *db)
{
    if (!db)
        return LTL_EINVAL;
    ltl__err_begin();
    if (out)
        *out = NULL;
    if (!db->writer)
        return ltl__err_end(db, ltl__errf(LTL_EREADONLY, "checkpoints are made by the writer: "
                                                         "this handle is read-only"));
    ltl__buf text = {0};
    int rc = ltl__writer_checkpoint(db, &text);
    if (rc == LTL_OK && out)
        rc = give(out, &text);
    ltl__buf_free(&text);
    return ltl__err_end(db, rc);
}

int ltl_checkpoint_origin(char *out, size_t out_size, ltl_db *db)
{
    if (!out || !db)
        return LTL_EINVAL;
    char origin[LTL__NAME_MAX + 1];
    ltl__origin(db, origin, sizeof(origin));
    if (strlen(origin) >= out_size)
        return LTL_EINVAL;
    memcpy(out, origin, strlen(origin) + 1);
    return LTL_OK;
}

void ltl_verify_options_init(ltl_verify_options *opts)
{
    if (opts)
        *opts = (ltl_verify_options){
            LTL_VERIFY_OPTIONS_VERSION, LTL_VERIFY_FULL, NULL, 0, 0, NULL, NULL};
}

int ltl_verify(ltl_verify_report *out, ltl_db *db, const ltl_verify_options *opts)
{
    if (!out || !db)
        return LTL_EINVAL;
    ltl__err_begin();
    ltl_verify_options defaults;
    ltl_verify_options_init(&defaults);
    if (!opts)
        opts = &defaults;
    if (opts->version != LTL_VERIFY_OPTIONS_VERSION ||
        (opts->mode != LTL_VERIFY_FULL && opts->mode != LTL_VERIFY_TAIL))
        return ltl__err_end(db, ltl__errf(LTL_EINVAL, "bad ltl_verify_options"));
    if (opts->against) {
        /* a text that is not a checkpoint is bad input, found before any work: not a
         * verification failure of the store */
        struct ltl__checkpoint cp;
        int rc = ltl__checkpoint_parse(&cp, opts->against, opts->against_len, NULL);
        if (rc) {
            memset(out, 0, sizeof(*out));
            out->bad_seq = UINT64_MAX;
            ltl__err_prefix("the checkpoint to check against is not a checkpoint");
            return ltl__err_end(db, rc == LTL_EVERIFY ? LTL_EPARSE : rc);
        }
    }
    int rc = ltl__verify(out, db, opts);
    out->check_key = db->keys.have_check;
    return ltl__err_end(db, rc);
}

int ltl__proof(char **out, ltl_db *db, uint64_t seq, uint64_t size)
{
    *out = NULL;
    ltl__buf text = {0};
    int rc = ltl__proof_inclusion(db, seq, size == UINT64_MAX ? LTL__NO_SEQ : size, &text);
    if (rc == LTL_OK)
        rc = give(out, &text);
    ltl__buf_free(&text);
    return rc;
}

int ltl_proof(char **out, ltl_db *db, uint64_t seq, uint64_t size)
{
    if (!out || !db)
        return LTL_EINVAL;
    ltl__err_begin();
    return ltl__err_end(db, ltl__proof(out, db, seq, size));
}

int ltl_proof_consistency(char **out, ltl_db *db, uint64_t old_size, uint64_t new_size)
{
    if (!out || !db)
        return LTL_EINVAL;
    ltl__err_begin();
    *out = NULL;
    ltl__buf text = {0};
    int rc = ltl__proof_consistency(db, old_size, new_size == UINT64_MAX ? LTL__NO_SEQ : new_size,
                                    &text);
    if (rc == LTL_OK)
        rc = give(out, &text);
    ltl__buf_free(&text);
    return ltl__err_end(db, rc);
}

/* Trim the trailing newline(s) a key file has. */
static size_t trimmed(const char *text, size_t len)
{
    while (len && (text[len - 1] == '\n' || text[len - 1] == '\r'))
        len--;
    return len;
}

int ltl_proof_check(char **out, ltl_error *err, const char *proof, size_t proof_len,
                    const char *check_key, size_t check_key_len, const void *record,
                    size_t record_len)
{
    ltl__err_begin();
    if (!out || !proof)
        return fill_error(err, ltl__errf(LTL_EINVAL, "no proof given"));
    *out = NULL;
    struct ltl__check_key key;
    struct ltl__proof_text pt = {0};
    struct ltl__checkpoint cp;
    struct ltl__body b;
    ltl__buf json = {0};
    unsigned char leaf[LTL__HASH_SIZE];
    int rc = LTL_OK;
    if (check_key &&
        (rc = ltl__check_key_parse(&key, check_key, trimmed(check_key, check_key_len)))) {
        /* not a check key (a write or read key, a damaged one, another file): a
         * wrong key, as for every key (docs/EXIT-CODES.md) */
        if (rc != LTL_ENOMEM)
            rc = LTL_EKEY;
        goto out;
    }
    if ((rc = ltl__tlog_proof_parse(&pt, proof, proof_len)))
        goto out;
    if (!pt.extra) {
        rc = ltl__errf(LTL_EPARSE, "the proof carries no record (make it with ltl proof)");
        goto out;
    }
    if ((rc = ltl__body_decode(&b, pt.extra, pt.extra_len)))
        goto out;
    if (b.seq != pt.index) {
        rc = ltl__errf(LTL_EVERIFY,
                       "the record in the proof has seq %" PRIu64
                       " but the proof is for leaf %" PRIu64,
                       b.seq, pt.index);
        goto out;
    }
    if ((rc = ltl__hash_leaf(leaf, pt.extra, pt.extra_len)) ||
        (rc = ltl__tlog_proof_check(&cp, proof, proof_len, leaf, check_key ? &key : NULL)))
        goto out;
    if (record) {
        if (b.flags & LTL_RECORD_ENCRYPTED) {
            rc = ltl__errf(LTL_EVERIFY, "the record is encrypted in the log: its bytes cannot "
                                        "be compared with the given record");
            goto out;
        }
        if (record_len != b.payload_len || memcmp(record, b.payload, record_len) != 0) {
            rc = ltl__errf(LTL_EVERIFY,
                           "the record in the log (%zu bytes) is not the given "
                           "record (%zu bytes)",
                           b.payload_len, record_len);
            goto out;
        }
    }
    char ts[40];
    ltl_time_format(ts, sizeof(ts), b.ts);
    rc = ltl__buf_appendf(&json, "{\"seq\":%" PRIu64 ",\"ts\":\"%s\",\"topic\":", b.seq, ts);
    if (!rc)
        rc = ltl__json_escape(&json, b.topic, b.topic_len);
    if (!rc)
        rc = ltl__buf_appendf(&json, ",\"checkpoint_size\":%" PRIu64 ",\"origin\":", cp.size);
    if (!rc)
        rc = ltl__json_escape(&json, cp.origin, strlen(cp.origin));
    if (!rc)
        rc = ltl__buf_appendf(&json, ",\"signed\":%s,\"signature_checked\":%s,",
                              cp.has_signatures ? "true" : "false",
                              check_key && cp.verified ? "true" : "false");
    if (!rc) {
        ltl_record rec = {b.seq,   b.ts,           "",  b.payload, b.payload_len, b.kind,
                          b.flags, b.manifest_seq, NULL};
        if (b.flags & LTL_RECORD_ENCRYPTED)
            rc = ltl__buf_appendf(&json, "\"encrypted\":true}");
        else if ((b.flags & LTL_RECORD_JSON) &&
                 ltl__json_validate(b.payload, b.payload_len, NULL) == LTL_OK)
            rc = ltl__buf_append(&json, "\"message\":", 10) ||
                 ltl__json_pretty(&json, rec.data, rec.len, 0) || ltl__buf_append(&json, "}", 1);
        else if (ltl__utf8_valid(b.payload, b.payload_len))
            rc = ltl__buf_append(&json, "\"message\":", 10) ||
                 ltl__json_escape(&json, b.payload, b.payload_len) ||
                 ltl__buf_append(&json, "}", 1);
        else
            rc = ltl__buf_append(&json, "\"message_base64\":\"", 18) ||
                 ltl__base64_encode(&json, b.payload, b.payload_len) ||
                 ltl__buf_append(&json, "\"}", 2);
        if (rc)
            rc = ltl__errf(LTL_ENOMEM, "out of memory");
    }
    if (rc == LTL_OK)
        rc = give(out, &json);
out:
    ltl__key_wipe(&key, sizeof(key));
    ltl__proof_text_free(&pt);
    ltl__buf_free(&json);
    return fill_error(err, rc);
}

int ltl_keygen(ltl_error *err, const char *name, const char *write_key_path,
               const char *check_key_path)
{
    ltl__err_begin();
    if (!name || !write_key_path || !check_key_path)
        return fill_error(err, ltl__errf(LTL_EINVAL, "a name and two paths are needed"));
    struct ltl__write_key k;
    int rc = ltl__write_key_generate(&k, name);
    if (rc == LTL_OK)
        rc = ltl__keypair_write(ltl__io_real(), &k, write_key_path, check_key_path);
    ltl__key_wipe(&k, sizeof(k));
    return fill_error(err, rc);
}

int ltl_keygen_read(ltl_error *err, const char *name, const char *path)
{
    ltl__err_begin();
    if (!name || !path)
        return fill_error(err, ltl__errf(LTL_EINVAL, "a name and a path are needed"));
    struct ltl__read_key k;
    int rc = ltl__read_key_generate(&k, name);
    if (rc == LTL_OK)
        rc = ltl__read_key_write(ltl__io_real(), &k, path);
    ltl__key_wipe(&k, sizeof(k));
    return fill_error(err, rc);
}

int ltl_keys_rotate_read(uint64_t *out, ltl_db *db, const char *key_path)
{
    if (!db || !key_path)
        return LTL_EINVAL;
    ltl__err_begin();
    if (!db->writer)
        return ltl__err_end(db, ltl__errf(LTL_EREADONLY, "rotating the read key needs a writer: "
                                                         "this handle is read-only"));
    if (!db->keys.have_read)
        return ltl__err_end(db, ltl__errf(LTL_EINVAL,
                                          "keys.read is not set: there is no read key to rotate "
                                          "(to start sealing records, set keys.read)"));
    struct ltl__read_key rk;
    struct ltl__seal_key next;
    int rc = ltl__read_key_load(&rk, db->io, key_path);
    if (rc == LTL_OK)
        rc = ltl__seal_key_derive(&next, &rk, db->header.store_id);
    ltl__key_wipe(&rk, sizeof(rk));
    if (rc == LTL_OK && next.read_key_id == db->keys.seal.read_key_id)
        rc = ltl__errf(LTL_EINVAL, "%s holds read key %08x, the one the store seals with already",
                       key_path, next.read_key_id);
    if (rc == LTL_OK)
        rc = ltl__writer_rotate_read(db, &next, out);
    ltl__key_wipe(&next, sizeof(next));
    return ltl__err_end(db, rc);
}

/* ---- audit ------------------------------------------------------------------ */

static int read_small_file(struct ltl_db *db, const char *path, ltl__buf *out, bool *missing)
{
    *missing = false;
    int fd = db->io->open(db->io, path, O_RDONLY, 0);
    if (fd < 0) {
        if (errno == ENOENT) {
            *missing = true;
            return LTL_OK;
        }
        return ltl__err_sys(errno, "open %s", path);
    }
    int rc = ltl__buf_reserve(out, LTL__NOTE_MAX + 1);
    ssize_t n = rc ? -1 : ltl__io_pread_full(db->io, fd, out->data, LTL__NOTE_MAX + 1, 0);
    db->io->close(db->io, fd);
    if (rc)
        return ltl__errf(LTL_ENOMEM, "out of memory");
    if (n < 0)
        return ltl__err_sys(errno, "read %s", path);
    if (n > (ssize_t)LTL__NOTE_MAX)
        return ltl__errf(LTL_EPARSE, "%s is larger than a checkpoint can be", path);
    out->len = (size_t)n;
    return LTL_OK;
}

static int write_state(struct ltl_db *db, const char *path, const char *text, size_t len)
{
    char *tmp = ltl__sprintf("%s.tmp.%ld", path, (long)getpid());
    if (!tmp)
        return ltl__errf(LTL_ENOMEM, "out of memory");
    int rc = LTL_OK;
    int fd = db->io->open(db->io, tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) {
        rc = ltl__err_sys(errno, "create %s", tmp);
        goto out;
    }
    if (ltl__io_pwrite_full(db->io, fd, text, len, 0) < 0 || db->io->fsync(db->io, fd) < 0)
        rc = ltl__err_sys(errno, "write %s", tmp);
    if (db->io->close(db->io, fd) < 0 && !rc)
        rc = ltl__err_sys(errno, "close %s", tmp);
    if (!rc && db->io->rename(db->io, tmp, path) < 0)
        rc = ltl__err_sys(errno, "rename %s to %s", tmp, path);
    if (rc)
        db->io->unlink(db->io, tmp);
out:
    ltl__free(tmp);
    return rc;
}

static void copy_text(char *dst, size_t cap, const ltl__buf *b)
{
    size_t n = b->len < cap - 1 ? b->len : cap - 1;
    if (n)
        memcpy(dst, b->data, n);
    dst[n] = '\0';
}

int ltl_audit(ltl_audit_report *out, ltl_db *db, const char *state_path)
{
    if (!out || !db || !state_path)
        return LTL_EINVAL;
    ltl__err_begin();
    memset(out, 0, sizeof(*out));
    ltl__buf old_text = {0}, new_text = {0};
    struct ltl__checkpoint old, cur;
    struct ltl__tree *t;
    struct ltl__proof proof;
    bool missing;
    int rc = ltl__checkpoint_find(db, LTL__NO_SEQ, &new_text, &cur);
    if (rc == LTL_EVERIFY)
        ltl__err_prefix("the store's last checkpoint");
    if (rc)
        goto out;
    copy_text(out->new_checkpoint, sizeof(out->new_checkpoint), &new_text);
    out->new_size = cur.size;
    if ((rc = read_small_file(db, state_path, &old_text, &missing)))
        goto out;
    if (missing) {
        out->first = 1;
        rc = write_state(db, state_path, new_text.data, new_text.len);
        goto out;
    }
    copy_text(out->old_checkpoint, sizeof(out->old_checkpoint), &old_text);
    if ((rc = ltl__checkpoint_parse(&old, old_text.data, old_text.len, NULL))) {
        ltl__err_prefix("state file %s", state_path);
        goto out;
    }
    out->old_size = old.size;
    if (strcmp(old.origin, cur.origin) != 0) {
        rc = ltl__errf(LTL_EVERIFY, "the store's origin is now '%s', not '%s': another log",
                       cur.origin, old.origin);
        goto out;
    }
    if (cur.size < old.size) {
        rc = ltl__errf(LTL_EVERIFY,
                       "the store's last checkpoint covers %" PRIu64
                       " records, fewer than the %" PRIu64 " seen before: the log was rolled back",
                       cur.size, old.size);
        goto out;
    }
    if ((rc = ltl__tree_for_reading(db, &t)) ||
        (rc = ltl__tree_consistency(&proof, t, old.size, cur.size)))
        goto out;
    if (ltl__verify_consistency(old.size, cur.size, old.root, cur.root, proof.hash, proof.count) !=
        LTL_OK) {
        ltl__err_begin();
        rc = ltl__errf(LTL_EVERIFY,
                       "the store's checkpoint of size %" PRIu64 " does not extend the one of size "
                       "%" PRIu64 " seen before: history was rewritten or forked",
                       cur.size, old.size);
        goto out;
    }
    rc = write_state(db, state_path, new_text.data, new_text.len);
out:
    ltl__buf_free(&old_text);
    ltl__buf_free(&new_text);
    return ltl__err_end(db, rc);
}
