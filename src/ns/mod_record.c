/* SPDX-License-Identifier: MIT */
/*
 * mod_record.c — frames made from records, and the transforms: a record's
 * payload (/seq/N), .json (the payload as a JSON tree whose children are
 * found by JSON Pointer tokens), .flat (the flattened lines), .env (the
 * envelope and manifest as JSON), .proof (a tlog-proof of the record in the
 * last checkpoint, which follows new checkpoints), .raw (the record's body
 * as stored and hashed: SHA-256(0x00 || raw) is its leaf hash).
 */
#include "ns/ns.h"

#include "json/json.h"
#include "store/store.h"

#include <inttypes.h>
#include <stdio.h>

/* ---- records ----------------------------------------------------------------------------- */

const struct ns_module ns_mod_record = {"record", 0, NULL, NULL, NULL, NULL, NULL};

int ns_record_spec(struct ns_walk *w, struct ns_tree *tree, uint64_t seq, struct ns_spec *out)
{
    LTL__UNUSED(w);
    ltl_record *rec = NULL;
    /* a record this handle cannot open is still there (listed, .env, .proof,
     * .raw): a file without data, which every read of its payload refuses */
    int rc = ltl__get(&rec, tree->db, seq, true);
    if (rc)
        return rc;
    if (rec->kind == LTL_KIND_LOST) {
        ltl_record_free(rec);
        return ltl__errf(LTL_ENOTFOUND,
                         "record %" PRIu64 " was lost to damage: ltl repair replaced it by a "
                         "lost-record marker (ltl verify lists the lost records)",
                         seq);
    }
    out->kind = NS_FILE;
    out->policy = NS_FIXED;
    out->flags = NSF_RECORD;
    out->module = &ns_mod_record;
    out->seq = rec->seq;
    out->mtime = rec->ts;
    out->rflags = rec->flags;
    if (rec->flags & LTL_RECORD_ENCRYPTED) {
        out->flags |= NSF_SEALED;
        ltl_record_free(rec);
        return LTL_OK;
    }
    out->has_data = true;
    out->owned = ltl__malloc(rec->len + 1);
    if (!out->owned) {
        ltl_record_free(rec);
        return ltl__errf(LTL_ENOMEM, "out of memory");
    }
    if (rec->len)
        memcpy(out->owned, rec->data, rec->len);
    out->owned[rec->len] = '\0';
    out->len = rec->len;
    ltl_record_free(rec);
    return LTL_OK;
}

int ns_sealed_error(const struct ns_frame *f)
{
    return ltl__record_key_error(f->tree->db, f->seq);
}

/* What a transform reads: a frame with data that never changes. */
static int transform_source(const struct ns_frame *src, const char *what, const char **data,
                            size_t *len)
{
    if (src->flags & NSF_SEALED)
        return ns_sealed_error(src);
    const struct ns_cell *c = atomic_load(&src->cell);
    if (!c || !c->has_data)
        return ltl__errf(LTL_EINVAL, "'.%s' applies to data: '%s' is a directory", what, src->name);
    if (src->policy != NS_FIXED)
        return ltl__errf(LTL_EINVAL,
                         "'.%s' applies to what never changes, and '%s' follows the store", what,
                         src->name);
    *data = c->data;
    *len = c->len;
    return LTL_OK;
}

/* Inherit what a derived frame says about its record. */
static void derive(struct ns_spec *out, const struct ns_frame *src)
{
    out->seq = src->seq;
    out->mtime = src->mtime;
}

/* ---- JSON ----------------------------------------------------------------------------------- */

void ns_json_kind(const char *data, size_t len, int *kind, uint8_t *json_type)
{
    size_t i = 0;
    while (i < len && (data[i] == ' ' || data[i] == '\t' || data[i] == '\n' || data[i] == '\r'))
        i++;
    char c = i < len ? data[i] : 0;
    *kind = c == '{' || c == '[' ? NS_DIR : NS_FILE;
    switch (c) {
    case '{':
        *json_type = LTL_JSON_OBJECT;
        break;
    case '[':
        *json_type = LTL_JSON_ARRAY;
        break;
    case '"':
        *json_type = LTL_JSON_STRING;
        break;
    case 't':
        *json_type = LTL_JSON_TRUE;
        break;
    case 'f':
        *json_type = LTL_JSON_FALSE;
        break;
    case 'n':
        *json_type = LTL_JSON_NULL;
        break;
    default:
        *json_type = LTL_JSON_NUMBER;
        break;
    }
}

/* A JSON frame for the value text [data, data + len), borrowed from `source`
 * (NULL: from the parent, which every frame keeps alive). */
static void json_spec(struct ns_spec *out, const char *data, size_t len, struct ns_frame *source)
{
    int kind;
    ns_json_kind(data, len, &kind, &out->json_type);
    out->kind = kind;
    out->policy = NS_FIXED;
    out->flags = kind == NS_DIR ? NSF_POINTER : 0;
    out->module = &ns_mod_json;
    out->data = data;
    out->len = len;
    out->has_data = true;
    out->source = source;
}

static bool is_json(const struct ns_frame *src, const char *data, size_t len, ltl_json_error *err)
{
    if (src->module == &ns_mod_json || src->module == &ns_mod_env)
        return true;
    if ((src->flags & NSF_RECORD) && (src->rflags & LTL_RECORD_JSON))
        return true; /* validated when it was appended */
    return ltl__json_validate(data, len, err) == LTL_OK;
}

static int not_json(const struct ns_frame *src, const ltl_json_error *err)
{
    return ltl__errf(LTL_EINVAL, "'%s' is not JSON: %s at byte %" PRIu64, src->name, err->message,
                     err->offset);
}

static int json_transform(struct ns_walk *w, const struct ns_module *self, struct ns_frame *src,
                          struct ns_spec *out)
{
    LTL__UNUSED(self);
    LTL__UNUSED(w);
    const char *data = NULL;
    size_t len = 0;
    int rc = transform_source(src, "json", &data, &len);
    if (rc)
        return rc;
    ltl_json_error err = {0};
    if (!is_json(src, data, len, &err))
        return not_json(src, &err);
    json_spec(out, data, len, src);
    derive(out, src);
    return LTL_OK;
}

static int json_find(struct ns_walk *w, struct ns_frame *dir, const struct ns_cell *cell,
                     const char *name, size_t len, struct ns_spec *out)
{
    LTL__UNUSED(w);
    out->neg_policy = NS_FIXED;
    if (dir->kind != NS_DIR)
        return LTL_ENOTFOUND;
    /* a pointer is a C string: no key with a NUL can be named (nor is one listed) */
    if (memchr(name, '\0', len))
        return LTL_ENOTFOUND;
    /* the token back into a one-token pointer: "/" + token with ~0 ~1 */
    ltl__buf ptr = {0};
    if (ltl__buf_append(&ptr, "/", 1) || ns_pointer_token(&ptr, name, len) ||
        ltl__buf_append(&ptr, "", 1)) {
        ltl__buf_free(&ptr);
        return ltl__errf(LTL_ENOMEM, "out of memory");
    }
    const char *v;
    size_t vlen;
    int rc = ltl_json_pointer_get(&v, &vlen, cell->data, cell->len, ptr.data, NULL);
    ltl__buf_free(&ptr);
    if (rc == LTL_EINVAL || rc == LTL_ENOTFOUND)
        return LTL_ENOTFOUND; /* "01", "-", or a name the value does not have */
    if (rc)
        return ltl__errf(rc, "'%s' holds malformed JSON", dir->name);
    json_spec(out, v, vlen, NULL);
    derive(out, dir);
    return LTL_OK;
}

struct json_map_ctx {
    ns_emit_fn emit;
    void *ctx;
    bool array;
    uint64_t index;
    struct ns_strset seen;
    ltl__buf name;
    int rc; /* the emitter's value, or an error */
};

static int json_map_event(void *ctx, const ltl_json_event *ev)
{
    struct json_map_ctx *m = ctx;
    if (ev->depth != 1)
        return 0;
    int kind = ev->type == LTL_JSON_OBJECT || ev->type == LTL_JSON_ARRAY ? NS_DIR : NS_FILE;
    m->name.len = 0;
    int rc;
    if (m->array) {
        char buf[24];
        rc = ltl__buf_append(&m->name, buf, ns_format_seq(buf, m->index++));
    } else {
        /* a key with a NUL byte ("\u0000") has no path (json_find): not listed */
        if (memchr(ev->key, '\0', ev->key_len))
            return 0;
        bool added;
        if ((rc = ns_strset_add(&m->seen, ev->key, ev->key_len, &added)))
            return m->rc = rc;
        if (!added)
            return 0; /* a duplicate key: the name is listed once */
        rc = ns_token_encode(&m->name, ev->key, ev->key_len);
    }
    if (rc || (rc = ltl__buf_append(&m->name, "", 1)))
        return m->rc = ltl__errf(LTL_ENOMEM, "out of memory");
    rc = m->emit(m->ctx, m->name.data, m->name.len - 1, kind);
    if (rc)
        m->rc = rc;
    return rc;
}

static int json_map(struct ns_walk *w, struct ns_frame *dir, const struct ns_cell *cell,
                    ns_emit_fn emit, void *ctx)
{
    LTL__UNUSED(w);
    if (dir->kind != NS_DIR)
        return LTL_OK;
    struct json_map_ctx m = {emit, ctx, dir->json_type == LTL_JSON_ARRAY, 0, {0}, {0}, 0};
    ltl_json_options opts = LTL_JSON_OPTIONS_INIT;
    opts.mode = LTL_JSON_MODE_DOCUMENT;
    opts.flags = LTL_JSON_EMIT_CONTAINERS;
    int rc = ltl_json_parse(cell->data, cell->len, &opts, json_map_event, &m, NULL);
    ns_strset_free(&m.seen);
    ltl__buf_free(&m.name);
    if (m.rc)
        return m.rc;
    if (rc < 0)
        return ltl__errf(rc, "'%s' holds malformed JSON", dir->name);
    return rc;
}

const struct ns_module ns_mod_json = {
    "json", NSM_TRANSFORM | NSM_POINTER, json_transform, json_find, json_map, NULL, NULL};

/* ---- .flat ---------------------------------------------------------------------------------- */

static int flat_transform(struct ns_walk *w, const struct ns_module *self, struct ns_frame *src,
                          struct ns_spec *out)
{
    LTL__UNUSED(self);
    LTL__UNUSED(w);
    const char *data = NULL;
    size_t len = 0;
    int rc = transform_source(src, "flat", &data, &len);
    if (rc)
        return rc;
    ltl_json_error err = {0};
    if (!is_json(src, data, len, &err))
        return not_json(src, &err);
    ltl_json_options opts = LTL_JSON_OPTIONS_INIT;
    opts.mode = LTL_JSON_MODE_DOCUMENT;
    char *text = NULL;
    size_t text_len = 0;
    rc = ltl_json_flatten(&text, &text_len, data, len, LTL_JSON_FLAT_LINES, &opts, &err);
    if (rc == LTL_EPARSE)
        return not_json(src, &err);
    if (rc)
        return ltl__errf(rc, "flatten '%s': %s", src->name, ltl_strerror(rc));
    out->kind = NS_FILE;
    out->policy = NS_FIXED;
    out->module = &ns_mod_flat;
    out->owned = text;
    out->len = text_len;
    out->has_data = true;
    derive(out, src);
    return LTL_OK;
}

const struct ns_module ns_mod_flat = {"flat", NSM_TRANSFORM, flat_transform, NULL, NULL,
                                      NULL,   NULL};

/* ---- .env ------------------------------------------------------------------------------------ */

static int json_field(ltl__buf *b, const char *key, const char *value)
{
    int rc = ltl__buf_appendf(b, ",\"%s\":", key);
    return rc ? rc : ltl__json_escape(b, value, strlen(value));
}

static int env_json(ltl__buf *b, const ltl_record *rec)
{
    char ts[40];
    ltl_time_format(ts, sizeof(ts), rec->ts);
    int rc = ltl__buf_appendf(b, "{\"seq\":%" PRIu64 ",\"ts\":\"%s\",\"ts_ns\":%" PRId64, rec->seq,
                              ts, rec->ts);
    if (!rc)
        rc = json_field(b, "topic", rec->topic);
    if (!rc)
        rc = json_field(b, "kind", ltl__kind_name(rec->kind));
    if (!rc)
        rc = ltl__buf_appendf(b,
                              ",\"json\":%s,\"encrypted\":%s,\"sealed\":%s,\"size\":%zu"
                              ",\"manifest\":%" PRIu64,
                              rec->flags & LTL_RECORD_JSON ? "true" : "false",
                              rec->flags & LTL_RECORD_ENCRYPTED ? "true" : "false",
                              rec->flags & LTL_RECORD_SEALED ? "true" : "false", rec->len,
                              rec->manifest_seq);
    const ltl_manifest *m = rec->manifest;
    if (!rc && m) {
        rc = json_field(b, "user", m->user);
        if (!rc)
            rc = ltl__buf_appendf(b, ",\"uid\":%" PRIu64, m->uid);
        if (!rc)
            rc = json_field(b, "host", m->host);
        if (!rc)
            rc = json_field(b, "machine_id", m->machine_id);
        if (!rc)
            rc = ltl__buf_appendf(b, ",\"pid\":%" PRId64, m->pid);
        if (!rc)
            rc = json_field(b, "exe", m->exe);
        if (!rc)
            rc = json_field(b, "version", m->version);
        if (!rc)
            rc = json_field(b, "build", m->build);
    }
    return rc ? rc : ltl__buf_append(b, "}", 1);
}

static int env_transform(struct ns_walk *w, const struct ns_module *self, struct ns_frame *src,
                         struct ns_spec *out)
{
    LTL__UNUSED(self);
    LTL__UNUSED(w);
    if (!(src->flags & NSF_RECORD))
        return ltl__errf(LTL_EINVAL, "'.env' applies to records (/seq/N, /topics/T/N): not '%s'",
                         src->name);
    ltl_record *rec = NULL;
    int rc = ltl__get(&rec, src->tree->db, src->seq, true); /* the envelope needs no key */
    if (rc)
        return rc;
    ltl__buf b = {0};
    rc = env_json(&b, rec);
    ltl_record_free(rec);
    if (rc) {
        ltl__buf_free(&b);
        return ltl__errf(LTL_ENOMEM, "out of memory");
    }
    json_spec(out, b.data, b.len, NULL);
    out->module = &ns_mod_env;
    out->owned = b.data;
    out->data = NULL;
    derive(out, src);
    return LTL_OK;
}

/* .env frames are JSON: their children are found and listed as JSON's */
const struct ns_module ns_mod_env = {
    "env", NSM_TRANSFORM | NSM_POINTER | NSM_RECORDS, env_transform, json_find, json_map, NULL,
    NULL};

/* ---- .proof -----------------------------------------------------------------------------------
 */

static int proof_cell(ltl_db *db, uint64_t seq, struct ns_cell **out)
{
    char *text = NULL;
    int rc = ltl__proof(&text, db, seq, UINT64_MAX);
    if (rc == LTL_ENOTFOUND) {
        ltl__err_restate();
        return ltl__errf(LTL_ENOTFOUND,
                         "no checkpoint covers record %" PRIu64 " yet ('ltl checkpoint' makes one)",
                         seq);
    }
    if (rc)
        return ns_from_db(db, rc);
    struct ns_cell *c = ns_cell_new();
    if (!c) {
        ltl_free(text);
        return ltl__errf(LTL_ENOMEM, "out of memory");
    }
    c->owned = text;
    c->data = text;
    c->len = strlen(text);
    c->has_data = true;
    *out = c;
    return LTL_OK;
}

static int proof_sync(struct ns_walk *w, struct ns_frame *f, const struct ns_cell *old,
                      uint64_t stamp, struct ns_cell **out)
{
    LTL__UNUSED(w);
    LTL__UNUSED(old);
    LTL__UNUSED(stamp);
    return proof_cell(f->tree->db, f->seq, out);
}

static int proof_transform(struct ns_walk *w, const struct ns_module *self, struct ns_frame *src,
                           struct ns_spec *out)
{
    LTL__UNUSED(self);
    if (!(src->flags & NSF_RECORD))
        return ltl__errf(LTL_EINVAL, "'.proof' applies to records (/seq/N, /topics/T/N): not '%s'",
                         src->name);
    uint64_t stamp;
    int rc = ns_stamp(w, src->tree, NS_CHECKPOINTS, &stamp);
    if (rc || (rc = proof_cell(src->tree->db, src->seq, &out->cell)))
        return rc;
    out->cell->stamp = stamp;
    out->cell->gen = atomic_load(&src->tree->seen_end);
    out->kind = NS_FILE;
    out->policy = NS_CHECKPOINTS; /* a new checkpoint makes a new proof */
    out->module = &ns_mod_proof;
    derive(out, src);
    return LTL_OK;
}

const struct ns_module ns_mod_proof = {
    "proof", NSM_TRANSFORM | NSM_RECORDS, proof_transform, NULL, NULL, proof_sync, NULL};

/* ---- .raw -------------------------------------------------------------------------------------
 */

static int raw_transform(struct ns_walk *w, const struct ns_module *self, struct ns_frame *src,
                         struct ns_spec *out)
{
    LTL__UNUSED(self);
    LTL__UNUSED(w);
    if (!(src->flags & NSF_RECORD))
        return ltl__errf(LTL_EINVAL, "'.raw' applies to records (/seq/N, /topics/T/N): not '%s'",
                         src->name);
    ltl_db *db = src->tree->db;
    uint64_t seq = src->seq, off = 0, end;
    struct ltl__segment *seg = ltl__segs_find(db, seq);
    int rc = seg ? ltl__seg_locate(db, seg, seq, &off) : LTL_ENOTFOUND;
    if (rc == LTL_ENOTFOUND) {
        /* a segment or records this handle has not seen yet */
        if ((rc = ltl__log_end(db, &end)))
            return rc;
        seg = ltl__segs_find(db, seq);
        rc = seg ? ltl__seg_locate(db, seg, seq, &off) : LTL_ENOTFOUND;
    }
    if (rc == LTL_ENOTFOUND)
        return ltl__errf(LTL_ENOTFOUND, "no record %" PRIu64, seq);
    if (rc)
        return rc;
    ltl__buf buf = {0};
    struct ltl__body b;
    uint64_t size;
    if ((rc = ltl__read_frame(db, seg, off, &buf, &b, &size))) {
        ltl__buf_free(&buf);
        return rc;
    }
    const char *body = b.topic - LTL__BODY_HEADER;
    size_t body_len = LTL__BODY_HEADER + b.topic_len + b.payload_len;
    char *copy = ltl__malloc(body_len + 1);
    if (!copy) {
        ltl__buf_free(&buf);
        return ltl__errf(LTL_ENOMEM, "out of memory");
    }
    memcpy(copy, body, body_len);
    copy[body_len] = '\0';
    ltl__buf_free(&buf);
    out->kind = NS_FILE;
    out->policy = NS_FIXED;
    out->module = &ns_mod_raw;
    out->owned = copy;
    out->len = body_len;
    out->has_data = true;
    derive(out, src);
    return LTL_OK;
}

const struct ns_module ns_mod_raw = {
    "raw", NSM_TRANSFORM | NSM_RECORDS, raw_transform, NULL, NULL, NULL, NULL};

/* ---- the table of built-ins ------------------------------------------------------------------ */

static const struct ns_module *const builtins[] = {&ns_mod_json, &ns_mod_flat, &ns_mod_env,
                                                   &ns_mod_proof, &ns_mod_raw};

const struct ns_module *ns_builtin(const char *name, size_t len)
{
    for (size_t i = 0; i < LTL__ARRAY_LEN(builtins); i++)
        if (strlen(builtins[i]->name) == len && memcmp(builtins[i]->name, name, len) == 0)
            return builtins[i];
    return NULL;
}
