/* SPDX-License-Identifier: MIT */
/*
 * mod_store.c — the directory modules: the root, /seq, /topics and each
 * topic, /query and each query, /manifests, /checkpoints, /paths. Their
 * listings follow the store: each is made at a stamp (the log end, the
 * checkpoints file's size, the index's high-water mark) and made again
 * when the stamp moved, from where the last one stopped when that is
 * correct (topics, manifests: records never change), whole otherwise
 * (a query: relative times move).
 */
#include "ns/ns.h"

#include "store/store.h"

#include <stdio.h>
#include <stdlib.h>

/* ---- helpers ------------------------------------------------------------------------ */

bool ns_parse_seq(const char *name, size_t len, uint64_t *out)
{
    if (len == 0 || len > 20 || (len > 1 && name[0] == '0'))
        return false;
    uint64_t v = 0;
    for (size_t i = 0; i < len; i++) {
        if (name[i] < '0' || name[i] > '9')
            return false;
        uint64_t d = (uint64_t)(name[i] - '0');
        if (v > (UINT64_MAX - d) / 10)
            return false;
        v = v * 10 + d;
    }
    *out = v;
    return true;
}

size_t ns_format_seq(char *buf, uint64_t seq)
{
    char tmp[24];
    size_t n = 0;
    do {
        tmp[n++] = (char)('0' + seq % 10);
        seq /= 10;
    } while (seq);
    for (size_t i = 0; i < n; i++)
        buf[i] = tmp[n - 1 - i];
    buf[n] = '\0';
    return n;
}

static int emit_seqs(const struct ns_cell *c, ns_emit_fn emit, void *ctx)
{
    char buf[24];
    int rc = 0;
    if (c->list == NS_LIST_RANGE) {
        for (uint64_t s = c->lo; s < c->hi && !rc; s++)
            rc = emit(ctx, buf, ns_format_seq(buf, s), NS_FILE);
    } else if (c->list == NS_LIST_SEQS) {
        for (size_t i = 0; i < c->nseqs && !rc; i++)
            rc = emit(ctx, buf, ns_format_seq(buf, c->seqs[i]), NS_FILE);
    }
    return rc;
}

static int emit_names(const struct ns_cell *c, ns_emit_fn emit, void *ctx)
{
    int rc = 0;
    for (size_t i = 0; i < c->nentries && !rc; i++)
        rc = emit(ctx, c->entries[i].name, c->entries[i].len, c->entries[i].kind);
    return rc;
}

static int map_seqs(struct ns_walk *w, struct ns_frame *dir, const struct ns_cell *cell,
                    ns_emit_fn emit, void *ctx)
{
    LTL__UNUSED(w);
    LTL__UNUSED(dir);
    return cell ? emit_seqs(cell, emit, ctx) : 0;
}

static int map_names(struct ns_walk *w, struct ns_frame *dir, const struct ns_cell *cell,
                     ns_emit_fn emit, void *ctx)
{
    LTL__UNUSED(w);
    LTL__UNUSED(dir);
    return cell ? emit_names(cell, emit, ctx) : 0;
}

/* The child of a directory of seqs: the record, if the listing has it. A
 * name that is not a canonical seq is never there. */
static int find_record(struct ns_walk *w, struct ns_frame *dir, const struct ns_cell *cell,
                       const char *name, size_t len, struct ns_spec *out)
{
    uint64_t seq;
    if (!ns_parse_seq(name, len, &seq)) {
        out->neg_policy = NS_FIXED;
        return LTL_ENOTFOUND;
    }
    if (!cell || !ns_cell_has_seq(cell, seq))
        return LTL_ENOTFOUND;
    return ns_record_spec(w, dir->tree, seq, out);
}

/* A growable array of seqs. */
struct seq_vec {
    uint64_t *v;
    size_t n, cap;
};

static int seq_push(struct seq_vec *s, uint64_t seq)
{
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 64;
        uint64_t *v = ltl__realloc(s->v, cap * sizeof(*v));
        if (!v)
            return ltl__errf(LTL_ENOMEM, "out of memory");
        s->v = v;
        s->cap = cap;
    }
    s->v[s->n++] = seq;
    return LTL_OK;
}

/* A SEQS cell that continues `old` (may be NULL) with `more`; takes more's array. */
static int seqs_cell(struct ns_cell **out, const struct ns_cell *old, struct seq_vec *more,
                     uint64_t scanned)
{
    struct ns_cell *c = ns_cell_new();
    size_t keep = old ? old->nseqs : 0;
    uint64_t *v = c ? ltl__malloc((keep + more->n + 1) * sizeof(*v)) : NULL;
    if (!v) {
        ns_cell_unref(NULL, c);
        ltl__free(more->v);
        return ltl__errf(LTL_ENOMEM, "out of memory");
    }
    if (keep)
        memcpy(v, old->seqs, keep * sizeof(*v));
    if (more->n)
        memcpy(v + keep, more->v, more->n * sizeof(*v));
    ltl__free(more->v);
    c->list = NS_LIST_SEQS;
    c->seqs = v;
    c->nseqs = keep + more->n;
    c->scanned = scanned;
    *out = c;
    return LTL_OK;
}

/* ---- / ---------------------------------------------------------------------------------- */

static const struct {
    const char *name;
    const struct ns_module *module;
    int policy;
} root_entries[] = {
    {"checkpoints", &ns_mod_checkpoints, NS_CHECKPOINTS},
    {"manifests", &ns_mod_manifests, NS_LOG},
    {"paths", &ns_mod_paths, NS_INDEX},
    {"query", &ns_mod_query, NS_FIXED},
    {"seq", &ns_mod_seq, NS_LOG},
    {"topics", &ns_mod_topics, NS_LOG},
};

static int root_find(struct ns_walk *w, struct ns_frame *dir, const struct ns_cell *cell,
                     const char *name, size_t len, struct ns_spec *out)
{
    LTL__UNUSED(w);
    LTL__UNUSED(dir);
    LTL__UNUSED(cell);
    for (size_t i = 0; i < LTL__ARRAY_LEN(root_entries); i++) {
        if (strlen(root_entries[i].name) == len && memcmp(root_entries[i].name, name, len) == 0) {
            out->kind = NS_DIR;
            out->module = root_entries[i].module;
            out->policy = root_entries[i].policy;
            return LTL_OK;
        }
    }
    out->neg_policy = NS_FIXED;
    return LTL_ENOTFOUND;
}

static int root_map(struct ns_walk *w, struct ns_frame *dir, const struct ns_cell *cell,
                    ns_emit_fn emit, void *ctx)
{
    LTL__UNUSED(w);
    LTL__UNUSED(dir);
    LTL__UNUSED(cell);
    int rc = 0;
    for (size_t i = 0; i < LTL__ARRAY_LEN(root_entries) && !rc; i++)
        rc = emit(ctx, root_entries[i].name, strlen(root_entries[i].name), NS_DIR);
    return rc;
}

const struct ns_module ns_mod_root = {"root", 0, NULL, root_find, root_map, NULL, NULL};

/* ---- /seq ------------------------------------------------------------------------------- */

static int seq_sync(struct ns_walk *w, struct ns_frame *f, const struct ns_cell *old,
                    uint64_t stamp, struct ns_cell **out)
{
    LTL__UNUSED(w);
    LTL__UNUSED(f);
    LTL__UNUSED(old);
    struct ns_cell *c = ns_cell_new();
    if (!c)
        return ltl__errf(LTL_ENOMEM, "out of memory");
    c->list = NS_LIST_RANGE;
    c->lo = 0;
    c->hi = stamp;
    c->scanned = stamp;
    c->gen = stamp;
    *out = c;
    return LTL_OK;
}

/* /seq/N: with no listing to go by (the end of the log is damaged), the
 * record itself says whether it is there. */
static int find_seq(struct ns_walk *w, struct ns_frame *dir, const struct ns_cell *cell,
                    const char *name, size_t len, struct ns_spec *out)
{
    uint64_t seq;
    if (!cell && ns_parse_seq(name, len, &seq))
        return ns_record_spec(w, dir->tree, seq, out);
    return find_record(w, dir, cell, name, len, out);
}

const struct ns_module ns_mod_seq = {"seq", NSM_GROWS, NULL, find_seq, map_seqs, seq_sync, NULL};

/* ---- /topics ------------------------------------------------------------------------------ */

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A NAMES cell of the set's names, sorted, all of one kind. */
static int names_cell(struct ns_cell **out, struct ns_strset *set, int kind)
{
    size_t n = set->used, total = 0, k = 0;
    char **names = ltl__malloc((n ? n : 1) * sizeof(*names));
    uint8_t *kinds = ltl__malloc(n ? n : 1);
    struct ns_cell *c = ns_cell_new();
    if (!names || !kinds || !c)
        goto nomem;
    for (size_t i = 0; set->names && i <= set->mask; i++) {
        if (set->names[i]) {
            names[k++] = set->names[i];
            total += strlen(set->names[i]) + 1;
        }
    }
    qsort(names, n, sizeof(*names), cmp_str);
    char *blob = ltl__malloc(total ? total : 1), *p = blob;
    if (!blob)
        goto nomem;
    for (size_t i = 0; i < n; i++) {
        size_t l = strlen(names[i]) + 1;
        memcpy(p, names[i], l);
        p += l;
        kinds[i] = (uint8_t)kind;
    }
    int rc = ns_cell_set_names(c, blob, total, kinds, n);
    ltl__free(names);
    ltl__free(kinds);
    if (rc) {
        ns_cell_unref(NULL, c);
        return rc;
    }
    *out = c;
    return LTL_OK;
nomem:
    ltl__free(names);
    ltl__free(kinds);
    ns_cell_unref(NULL, c);
    return ltl__errf(LTL_ENOMEM, "out of memory");
}

static int topics_sync(struct ns_walk *w, struct ns_frame *f, const struct ns_cell *old,
                       uint64_t stamp, struct ns_cell **out)
{
    LTL__UNUSED(w);
    ltl_db *db = f->tree->db;
    struct ns_strset set = {0};
    int rc = LTL_OK;
    bool added;
    for (size_t i = 0; old && i < old->nentries && !rc; i++)
        rc = ns_strset_add(&set, old->entries[i].name, old->entries[i].len, &added);
    uint64_t from = old ? old->scanned : 0;
    if (rc == LTL_OK && from < stamp) {
        ltl_cursor_options co = LTL_CURSOR_OPTIONS_INIT;
        co.flags = LTL_CURSOR_SYSTEM | LTL_CURSOR_ENVELOPE; /* topics need no read key */
        co.from_seq = from;
        co.to_seq = stamp - 1;
        ltl_cursor *cur = NULL;
        if ((rc = ltl__cursor_open(&cur, db, &co)) != LTL_OK) {
            rc = ns_from_db(db, rc);
        } else {
            const ltl_record *rec;
            while (rc == LTL_OK && (rc = ltl__cursor_next(&rec, cur)) == LTL_OK)
                rc = ns_strset_add(&set, rec->topic, strlen(rec->topic), &added);
            if (rc == LTL_DONE)
                rc = LTL_OK;
            else if (rc < 0 && rc != LTL_ENOMEM)
                rc = ns_from_db(db, rc);
            ltl_cursor_close(cur);
        }
    }
    if (rc == LTL_OK && (rc = names_cell(out, &set, NS_DIR)) == LTL_OK) {
        (*out)->scanned = stamp;
        (*out)->gen = stamp;
    }
    ns_strset_free(&set);
    return rc;
}

static int topics_find(struct ns_walk *w, struct ns_frame *dir, const struct ns_cell *cell,
                       const char *name, size_t len, struct ns_spec *out)
{
    LTL__UNUSED(w);
    LTL__UNUSED(dir);
    if (!cell || ns_cell_find_name(cell, name, len) < 0)
        return LTL_ENOTFOUND;
    out->kind = NS_DIR;
    out->module = &ns_mod_topic;
    out->policy = NS_LOG;
    return LTL_OK;
}

const struct ns_module ns_mod_topics = {"topics",  NSM_GROWS,   NULL, topics_find,
                                        map_names, topics_sync, NULL};

/* Seqs of the records in [from, stamp) matching expr (with opts' topic), through the
 * query planner (the index when there is one). */
static int query_seqs(ltl_db *db, const char *expr, const char *topic, uint64_t from,
                      uint64_t stamp, struct seq_vec *out)
{
    if (from >= stamp)
        return LTL_OK;
    ltl_query_options qo;
    ltl_query_options_init(&qo);
    qo.topic = topic;
    qo.from_seq = from;
    qo.to_seq = stamp - 1;
    qo.flags = LTL_QUERY_ENVELOPE; /* seqs only: terms on payloads still need the key */
    if (topic && topic[0] == '_')
        qo.flags |= LTL_QUERY_SYSTEM;
    ltl_query *q = NULL;
    int rc = ltl__query_open(&q, db, expr, &qo);
    if (rc)
        return ns_from_db(db, rc);
    const ltl_record *rec;
    while ((rc = ltl__query_next(&rec, q)) == LTL_OK) {
        if ((rc = seq_push(out, rec->seq)))
            break;
    }
    if (rc == LTL_DONE)
        rc = LTL_OK;
    else if (rc < 0 && rc != LTL_ENOMEM)
        rc = ns_from_db(db, rc);
    ltl_query_close(q);
    return rc;
}

/* ---- /topics/TOPIC -------------------------------------------------------------------------- */

static int topic_sync(struct ns_walk *w, struct ns_frame *f, const struct ns_cell *old,
                      uint64_t stamp, struct ns_cell **out)
{
    LTL__UNUSED(w);
    struct seq_vec more = {0};
    int rc = query_seqs(f->tree->db, "@seq >= 0", f->name, old ? old->scanned : 0, stamp, &more);
    if (rc) {
        ltl__free(more.v);
        return rc;
    }
    if ((rc = seqs_cell(out, old, &more, stamp)) == LTL_OK)
        (*out)->gen = stamp;
    return rc;
}

const struct ns_module ns_mod_topic = {"topic",  NSM_GROWS,  NULL, find_record,
                                       map_seqs, topic_sync, NULL};

/* ---- /query and /query/EXPR ------------------------------------------------------------------ */

static int query_find(struct ns_walk *w, struct ns_frame *dir, const struct ns_cell *cell,
                      const char *name, size_t len, struct ns_spec *out)
{
    LTL__UNUSED(w);
    LTL__UNUSED(dir);
    LTL__UNUSED(cell);
    LTL__UNUSED(len);
    ltl_error err;
    int rc = ltl_query_check(&err, name);
    if (rc)
        return ltl__errf(rc, "query: %s", err.message);
    out->kind = NS_DIR;
    out->module = &ns_mod_result;
    out->policy = NS_LOG;
    return LTL_OK;
}

const struct ns_module ns_mod_query = {"query", 0, NULL, query_find, NULL, NULL, NULL};

/* A query's answer is made whole each time: its relative times ("-15m")
 * move, so an answer cannot just be extended. */
static int result_sync(struct ns_walk *w, struct ns_frame *f, const struct ns_cell *old,
                       uint64_t stamp, struct ns_cell **out)
{
    LTL__UNUSED(w);
    LTL__UNUSED(old);
    struct seq_vec seqs = {0};
    int rc = query_seqs(f->tree->db, f->name, NULL, 0, stamp, &seqs);
    if (rc) {
        ltl__free(seqs.v);
        return rc;
    }
    if ((rc = seqs_cell(out, NULL, &seqs, stamp)) == LTL_OK)
        (*out)->gen = stamp;
    return rc;
}

const struct ns_module ns_mod_result = {"query", 0, NULL, find_record, map_seqs, result_sync, NULL};

/* ---- /manifests -------------------------------------------------------------------------------
 */

static int manifests_sync(struct ns_walk *w, struct ns_frame *f, const struct ns_cell *old,
                          uint64_t stamp, struct ns_cell **out)
{
    LTL__UNUSED(w);
    ltl_db *db = f->tree->db;
    struct seq_vec more = {0};
    uint64_t from = old ? old->scanned : 0;
    int rc = LTL_OK;
    if (from < stamp) {
        ltl_cursor_options co = LTL_CURSOR_OPTIONS_INIT;
        co.flags = LTL_CURSOR_SYSTEM | LTL_CURSOR_ENVELOPE;
        co.from_seq = from;
        co.to_seq = stamp - 1;
        co.topic = LTL_SYSTEM_TOPIC;
        ltl_cursor *cur = NULL;
        if ((rc = ltl__cursor_open(&cur, db, &co)) != LTL_OK)
            return ns_from_db(db, rc);
        const ltl_record *rec;
        while ((rc = ltl__cursor_next(&rec, cur)) == LTL_OK) {
            if (rec->kind == LTL_KIND_MANIFEST && (rc = seq_push(&more, rec->seq)))
                break;
        }
        if (rc == LTL_DONE)
            rc = LTL_OK;
        else if (rc < 0 && rc != LTL_ENOMEM)
            rc = ns_from_db(db, rc);
        ltl_cursor_close(cur);
    }
    if (rc) {
        ltl__free(more.v);
        return rc;
    }
    if ((rc = seqs_cell(out, old, &more, stamp)) == LTL_OK)
        (*out)->gen = stamp;
    return rc;
}

const struct ns_module ns_mod_manifests = {"manifests", NSM_GROWS,      NULL, find_record,
                                           map_seqs,    manifests_sync, NULL};

/* ---- /checkpoints ------------------------------------------------------------------------------
 */

struct cp_get {
    uint64_t want; /* UINT64_MAX: the last */
    uint64_t count;
    char *text;
    size_t len;
};

static int cp_take(void *ctx, uint64_t index, const char *text, size_t len, uint64_t off)
{
    LTL__UNUSED(off);
    struct cp_get *g = ctx;
    g->count = index + 1;
    if (g->want != UINT64_MAX && index != g->want)
        return 0;
    ltl__free(g->text);
    if (!(g->text = ltl__strndup(text, len)))
        return ltl__errf(LTL_ENOMEM, "out of memory");
    g->len = len;
    return g->want == UINT64_MAX ? 0 : 1; /* the one wanted: stop */
}

/* The text of checkpoint `want` (UINT64_MAX: the last) and how many there are. */
static int cp_read(ltl_db *db, uint64_t want, struct cp_get *g)
{
    memset(g, 0, sizeof(*g));
    g->want = want;
    int rc = ltl__checkpoints_each(db, cp_take, g, NULL);
    if (rc == 1)
        rc = LTL_OK;
    if (rc == LTL_ENOTFOUND)
        rc = LTL_OK; /* no checkpoints file yet */
    if (rc) {
        ltl__free(g->text);
        g->text = NULL;
    }
    return rc;
}

static int checkpoints_sync(struct ns_walk *w, struct ns_frame *f, const struct ns_cell *old,
                            uint64_t stamp, struct ns_cell **out)
{
    LTL__UNUSED(w);
    LTL__UNUSED(old);
    struct cp_get g;
    int rc = cp_read(f->tree->db, UINT64_MAX, &g);
    if (rc)
        return rc;
    ltl__free(g.text);
    size_t n = (size_t)g.count + (g.count ? 1 : 0), total = 0;
    char *blob = ltl__malloc(n * 21 + 8), *p = blob;
    uint8_t *kinds = ltl__malloc(n ? n : 1);
    struct ns_cell *c = ns_cell_new();
    if (!blob || !kinds || !c) {
        ltl__free(blob);
        ltl__free(kinds);
        ns_cell_unref(NULL, c);
        return ltl__errf(LTL_ENOMEM, "out of memory");
    }
    for (uint64_t i = 0; i < g.count; i++) {
        size_t l = ns_format_seq(p, i);
        p += l + 1;
        kinds[i] = NS_FILE;
    }
    if (g.count) {
        memcpy(p, "latest", 7);
        p += 7;
        kinds[n - 1] = NS_FILE;
    }
    total = (size_t)(p - blob);
    if ((rc = ns_cell_set_names(c, blob, total, kinds, n))) {
        ltl__free(kinds);
        ns_cell_unref(NULL, c);
        return rc;
    }
    ltl__free(kinds);
    c->scanned = g.count; /* how many checkpoints the listing has */
    LTL__UNUSED(stamp);
    *out = c;
    return LTL_OK;
}

/* /checkpoints/latest follows the file; /checkpoints/N never changes. */
static int latest_sync(struct ns_walk *w, struct ns_frame *f, const struct ns_cell *old,
                       uint64_t stamp, struct ns_cell **out)
{
    LTL__UNUSED(w);
    LTL__UNUSED(old);
    LTL__UNUSED(stamp);
    struct cp_get g;
    int rc = cp_read(f->tree->db, UINT64_MAX, &g);
    if (rc)
        return rc;
    if (!g.text)
        return ltl__errf(LTL_ENOTFOUND, "the store has no checkpoint yet");
    struct ns_cell *c = ns_cell_new();
    if (!c) {
        ltl__free(g.text);
        return ltl__errf(LTL_ENOMEM, "out of memory");
    }
    c->owned = g.text;
    c->data = g.text;
    c->len = g.len;
    c->has_data = true;
    *out = c;
    return LTL_OK;
}

static const struct ns_module ns_mod_checkpoint = {"checkpoint", 0,           NULL, NULL,
                                                   NULL,         latest_sync, NULL};

static int checkpoints_find(struct ns_walk *w, struct ns_frame *dir, const struct ns_cell *cell,
                            const char *name, size_t len, struct ns_spec *out)
{
    LTL__UNUSED(w);
    uint64_t index;
    out->kind = NS_FILE;
    out->module = &ns_mod_checkpoint;
    if (len == 6 && memcmp(name, "latest", 6) == 0) {
        if (!cell || !cell->scanned)
            return LTL_ENOTFOUND;
        out->policy = NS_CHECKPOINTS;
        return LTL_OK;
    }
    if (!ns_parse_seq(name, len, &index)) {
        out->neg_policy = NS_FIXED;
        return LTL_ENOTFOUND;
    }
    if (!cell || index >= cell->scanned)
        return LTL_ENOTFOUND;
    struct cp_get g;
    int rc = cp_read(dir->tree->db, index, &g);
    if (rc)
        return rc;
    if (!g.text)
        return LTL_ENOTFOUND;
    out->policy = NS_FIXED;
    out->owned = g.text;
    out->len = g.len;
    out->has_data = true;
    return LTL_OK;
}

static int checkpoints_map(struct ns_walk *w, struct ns_frame *dir, const struct ns_cell *cell,
                           ns_emit_fn emit, void *ctx)
{
    return map_names(w, dir, cell, emit, ctx);
}

const struct ns_module ns_mod_checkpoints = {
    "checkpoints", 0, NULL, checkpoints_find, checkpoints_map, checkpoints_sync, NULL};

/* ---- /paths --------------------------------------------------------------------------------- */

struct path_item {
    char *name; /* token-encoded */
    uint64_t count;
};

struct path_list {
    struct path_item *v;
    size_t n, cap;
};

static int path_take(void *ctx, const char *path, uint64_t count)
{
    struct path_list *l = ctx;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        struct path_item *v = ltl__realloc(l->v, cap * sizeof(*v));
        if (!v)
            return ltl__errf(LTL_ENOMEM, "out of memory");
        l->v = v;
        l->cap = cap;
    }
    ltl__buf b = {0};
    if (ns_token_encode(&b, path, strlen(path)) || ltl__buf_append(&b, "", 1)) {
        ltl__buf_free(&b);
        return ltl__errf(LTL_ENOMEM, "out of memory");
    }
    l->v[l->n].name = b.data;
    l->v[l->n].count = count;
    l->n++;
    return 0;
}

static int cmp_item(const void *a, const void *b)
{
    return strcmp(((const struct path_item *)a)->name, ((const struct path_item *)b)->name);
}

/* The indexed paths (all, or those starting with prefix). */
static int paths_read(ltl_db *db, const char *prefix, struct path_list *l)
{
    memset(l, 0, sizeof(*l));
    int rc = ltl__paths(db, prefix, path_take, l);
    if (rc == LTL_ENOTFOUND) {
        ltl__err_restate();
        rc = LTL_OK; /* no index: no paths */
    } else if (rc < 0 && rc != LTL_ENOMEM)
        rc = ns_from_db(db, rc);
    return rc;
}

static void paths_free(struct path_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        ltl__free(l->v[i].name);
    ltl__free(l->v);
}

static int paths_sync(struct ns_walk *w, struct ns_frame *f, const struct ns_cell *old,
                      uint64_t stamp, struct ns_cell **out)
{
    LTL__UNUSED(w);
    LTL__UNUSED(old);
    LTL__UNUSED(stamp);
    struct path_list l;
    int rc = paths_read(f->tree->db, NULL, &l);
    if (rc) {
        paths_free(&l);
        return rc;
    }
    qsort(l.v, l.n, sizeof(*l.v), cmp_item);
    size_t total = 0;
    for (size_t i = 0; i < l.n; i++)
        total += strlen(l.v[i].name) + 1;
    char *blob = ltl__malloc(total ? total : 1), *p = blob;
    uint64_t *counts = ltl__malloc((l.n ? l.n : 1) * sizeof(*counts));
    struct ns_cell *c = ns_cell_new();
    if (!blob || !counts || !c) {
        ltl__free(blob);
        ltl__free(counts);
        ns_cell_unref(NULL, c);
        paths_free(&l);
        return ltl__errf(LTL_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < l.n; i++) {
        size_t len = strlen(l.v[i].name) + 1;
        memcpy(p, l.v[i].name, len);
        p += len;
        counts[i] = l.v[i].count;
    }
    size_t n = l.n;
    paths_free(&l);
    if ((rc = ns_cell_set_names(c, blob, total, NULL, n))) {
        ltl__free(counts);
        ns_cell_unref(NULL, c);
        return rc;
    }
    c->counts = counts;
    *out = c;
    return LTL_OK;
}

/* /paths/P: how many values the index holds under P, as text. */
static int count_sync(struct ns_walk *w, struct ns_frame *f, const struct ns_cell *old,
                      uint64_t stamp, struct ns_cell **out)
{
    LTL__UNUSED(w);
    LTL__UNUSED(old);
    LTL__UNUSED(stamp);
    char *path = ltl__malloc(f->name_len + 1);
    if (!path)
        return ltl__errf(LTL_ENOMEM, "out of memory");
    long n = ns_token_decode(path, f->name, f->name_len);
    path[n < 0 ? 0 : n] = '\0';
    struct path_list l;
    int rc = paths_read(f->tree->db, path, &l);
    uint64_t count = 0;
    bool found = false;
    for (size_t i = 0; rc == LTL_OK && i < l.n; i++) {
        if (strcmp(l.v[i].name, f->name) == 0) {
            count = l.v[i].count;
            found = true;
        }
    }
    paths_free(&l);
    ltl__free(path);
    if (rc)
        return rc;
    if (!found)
        return ltl__errf(LTL_ENOTFOUND, "the index no longer has path %s", f->name);
    struct ns_cell *c = ns_cell_new();
    char *text = ltl__sprintf("%llu\n", (unsigned long long)count);
    if (!c || !text) {
        ns_cell_unref(NULL, c);
        ltl__free(text);
        return ltl__errf(LTL_ENOMEM, "out of memory");
    }
    c->owned = text;
    c->data = text;
    c->len = strlen(text);
    c->has_data = true;
    *out = c;
    return LTL_OK;
}

static const struct ns_module ns_mod_count = {"paths", 0, NULL, NULL, NULL, count_sync, NULL};

static int paths_find(struct ns_walk *w, struct ns_frame *dir, const struct ns_cell *cell,
                      const char *name, size_t len, struct ns_spec *out)
{
    LTL__UNUSED(w);
    LTL__UNUSED(dir);
    if (!cell || ns_cell_find_name(cell, name, len) < 0)
        return LTL_ENOTFOUND;
    out->kind = NS_FILE;
    out->module = &ns_mod_count;
    out->policy = NS_INDEX;
    return LTL_OK;
}

const struct ns_module ns_mod_paths = {"paths", 0, NULL, paths_find, map_names, paths_sync, NULL};
