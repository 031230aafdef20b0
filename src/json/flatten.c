/* SPDX-License-Identifier: MIT */
/*
 * flatten.c — the flattener: parser events written as flat text in one of
 * four formats (docs/JSON.md): `lines` (path = value), `json` (one object
 * {"path": value} per document), `tsv` (path, short key, value) and `gron`
 * (gron's statements, sorted per document as gron does, with its key
 * quoting and last-duplicate-wins). Output collects in one large buffer that
 * is handed to the writer at document ends, so a bad JSON line (keep-going)
 * can be dropped whole; a single huge document is flushed as it goes.
 */
#include "json/json.h"

#include <stdio.h>

#define FLUSH_AT_END (64u << 10) /* flush at a document end once this much is pending */
#define FLUSH_INSIDE (1u << 20)  /* flush inside a document once this much is pending */

/* A gron statement of the current document. Its place among its siblings is decided by
 * the last token of its path (gron compares statements token by token, so the order is a
 * depth-first walk with each container's children sorted by that token). */
enum { KEY_ROOT = 0, KEY_BARE = 1, KEY_BRACKET = 2 };

struct stmt {
    size_t off;      /* in gtext: "<path suffix> = <value>;" */
    size_t len;      /* of the statement */
    size_t path_len; /* of the path suffix */
    size_t key_off;  /* the last path token, in the statement: a bare name, a quoted key */
    size_t key_len;  /* (with its quotes) or an index */
    uint64_t index;
    unsigned depth; /* path segments */
    uint8_t key_kind;
    bool numeric; /* the key is an index */
    bool deleted; /* replaced by a later duplicate key */
};

/* The last segment of a gron path, as gron_path() writes it. */
struct gron_key {
    unsigned depth;
    uint8_t kind;
    bool numeric;
    size_t off, len; /* in f->tmp */
    uint64_t index;
};

/* A segment of the previous statement's path: where it ends in our path and in gron's. */
struct gron_seg {
    size_t our_end, gron_end;
    struct gron_key key;
};

struct flat {
    int format;
    ltl_json_write_fn write; /* NULL: collect everything (ltl_json_flatten) */
    void *wctx;
    ltl_json_parser *parser;
    bool keep_going;
    ltl__buf out;
    size_t mark;       /* where the current document's output starts (drop point) */
    uint64_t docs_out; /* documents written */
    bool in_doc;
    ltl__buf tmp;        /* scratch: decoded strings, gron paths */
    ltl__json_sink sink; /* lines: the parser writes directly while a document is open */

    /* gron */
    int gron_style; /* 0: not decided yet (AUTO), 1: json = ..., 2: json[i] = ... (a stream) */
    bool held;      /* AUTO: the first document waits until we know whether more follow */
    ltl__buf gtext;
    ltl__buf gprev;         /* our path of the previous statement, */
    ltl__buf gprev_gron;    /* its gron form, */
    struct gron_seg *gsegs; /* and where each segment ends in both */
    size_t ngsegs, gsegs_cap;
    struct stmt *st;
    size_t nst, st_cap;
    size_t *order; /* sort scratch */
    size_t order_cap;
    uint32_t *slots; /* open addressing: statement index + 1; 0 = empty */
    size_t nslots;
    size_t nkeyed; /* statements in the table */
};

enum { STYLE_UNDECIDED = 0, STYLE_SINGLE = 1, STYLE_STREAM = 2 };

static int flush(struct flat *f)
{
    if (!f->write || f->out.len == 0)
        return LTL_OK;
    int rc = f->write(f->wctx, f->out.data, f->out.len);
    f->out.len = 0;
    f->mark = 0;
    return rc;
}

static inline int reserve(ltl__buf *b, size_t n)
{
    if (b->cap - b->len > n)
        return LTL_OK;
    return ltl__buf_reserve(b, n + 1);
}

static inline void put(ltl__buf *b, const void *s, size_t n)
{
    memcpy(b->data + b->len, s, n);
    b->len += n;
}

/* ---- documents ------------------------------------------------------------------- */

static int doc_begin(struct flat *f)
{
    f->in_doc = true;
    f->mark = f->out.len;
    if (f->format == LTL_JSON_FLAT_LINES) {
        f->sink.ready = true;
        f->sink.limit = !f->write || (f->keep_going && ltl__json_parser_is_lines(f->parser))
                            ? SIZE_MAX
                            : FLUSH_INSIDE;
    }
    if (f->docs_out > 0 && (f->format == LTL_JSON_FLAT_LINES || f->format == LTL_JSON_FLAT_TSV)) {
        if (reserve(&f->out, 1))
            return LTL_ENOMEM;
        put(&f->out, "\n", 1); /* documents are separated by an empty line */
    }
    return LTL_OK;
}

static int gron_end(struct flat *f);

static int doc_end(struct flat *f)
{
    int rc = LTL_OK;
    if (f->format == LTL_JSON_FLAT_JSON) {
        if (reserve(&f->out, 2))
            return LTL_ENOMEM;
        put(&f->out, "}\n", 2);
    } else if (f->format == LTL_JSON_FLAT_GRON) {
        if ((rc = gron_end(f)))
            return rc;
    }
    f->in_doc = false;
    f->sink.ready = false;
    f->docs_out++;
    f->mark = f->out.len;
    if (f->out.len >= FLUSH_AT_END)
        rc = flush(f);
    return rc;
}

/* Inside a document: flush a large pending output unless a bad line may still drop it. */
static inline int maybe_flush_inside(struct flat *f)
{
    if (f->out.len < FLUSH_INSIDE || !f->write)
        return LTL_OK;
    if (f->keep_going && ltl__json_parser_is_lines(f->parser))
        return LTL_OK;
    return flush(f);
}

/* ---- lines, tsv, json --------------------------------------------------------------- */

static int on_lines(void *ctx, const ltl_json_event *ev)
{
    struct flat *f = ctx;
    if (ev->type == LTL_JSON_END)
        return doc_end(f);
    if (!f->in_doc && doc_begin(f))
        return LTL_ENOMEM;
    size_t need = ev->path_len + ev->value_len + 6;
    if (f->out.cap - f->out.len <= need && ltl__buf_reserve(&f->out, need + 1))
        return LTL_ENOMEM;
    char *d = f->out.data + f->out.len;
    if (ev->path_len) {
        memcpy(d, ev->path, ev->path_len);
        d += ev->path_len;
    } else {
        *d++ = '.';
    }
    memcpy(d, " = ", 3);
    d += 3;
    memcpy(d, ev->value, ev->value_len);
    d += ev->value_len;
    *d++ = '\n';
    f->out.len = (size_t)(d - f->out.data);
    return maybe_flush_inside(f);
}

static int on_tsv(void *ctx, const ltl_json_event *ev)
{
    struct flat *f = ctx;
    if (ev->type == LTL_JSON_END)
        return doc_end(f);
    if (!f->in_doc && doc_begin(f))
        return LTL_ENOMEM;
    size_t need = ev->path_len + 2 * ev->key_len + ev->value_len + 8;
    if (need < ev->key_len || reserve(&f->out, need))
        return LTL_ENOMEM;
    char *d = f->out.data + f->out.len;
    if (ev->path_len) {
        memcpy(d, ev->path, ev->path_len);
        d += ev->path_len;
    } else {
        *d++ = '.';
    }
    *d++ = '\t';
    /* the short key is decoded text: escape what would break a TSV row, and a lone
     * surrogate (WTF-8 in the key) as \uXXXX so that the output stays UTF-8 */
    for (size_t i = 0; i < ev->key_len; i++) {
        unsigned char c = (unsigned char)ev->key[i];
        switch (c) {
        case '\t':
            *d++ = '\\';
            *d++ = 't';
            break;
        case '\n':
            *d++ = '\\';
            *d++ = 'n';
            break;
        case '\r':
            *d++ = '\\';
            *d++ = 'r';
            break;
        case '\\':
            *d++ = '\\';
            *d++ = '\\';
            break;
        default:
            if (c == 0xED && i + 2 < ev->key_len && (unsigned char)ev->key[i + 1] >= 0xA0) {
                d += ltl__json_escape_key_to(d, ev->key + i, 3);
                i += 2;
            } else {
                *d++ = (char)c;
            }
            break;
        }
    }
    *d++ = '\t';
    memcpy(d, ev->value, ev->value_len);
    d += ev->value_len;
    *d++ = '\n';
    f->out.len = (size_t)(d - f->out.data);
    return maybe_flush_inside(f);
}

static int on_json(void *ctx, const ltl_json_event *ev)
{
    struct flat *f = ctx;
    if (ev->type == LTL_JSON_END)
        return doc_end(f);
    bool first = !f->in_doc;
    if (first && doc_begin(f))
        return LTL_ENOMEM;
    /* a path holds '"' and '\\' only inside quoted keys: escape those two */
    size_t need = 2 * ev->path_len + ev->value_len + 8;
    if (need < ev->path_len || reserve(&f->out, need))
        return LTL_ENOMEM;
    char *d = f->out.data + f->out.len;
    *d++ = first ? '{' : ',';
    *d++ = '"';
    if (memchr(ev->path, '"', ev->path_len)) {
        for (size_t i = 0; i < ev->path_len; i++) {
            char c = ev->path[i];
            if (c == '"' || c == '\\')
                *d++ = '\\';
            *d++ = c;
        }
    } else {
        memcpy(d, ev->path, ev->path_len);
        d += ev->path_len;
    }
    *d++ = '"';
    *d++ = ':';
    memcpy(d, ev->value, ev->value_len);
    d += ev->value_len;
    f->out.len = (size_t)(d - f->out.data);
    return maybe_flush_inside(f);
}

/* ---- gron --------------------------------------------------------------------------- */

static uint64_t hash_bytes(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
    /* FNV's low bits are weak for paths that differ at the end: mix them (murmur3's
     * finaliser), since the table takes the low bits */
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ull;
    return h ^ (h >> 33);
}

static int slots_grow(struct flat *f)
{
    size_t n = f->nslots ? f->nslots * 2 : 1024;
    uint32_t *s = ltl__calloc(n, sizeof(*s));
    if (!s)
        return LTL_ENOMEM;
    for (size_t i = 0; i < f->nst; i++) {
        const struct stmt *t = &f->st[i];
        if (t->numeric || t->deleted)
            continue; /* array elements are not in the table; replaced members left it */
        size_t h = (size_t)hash_bytes(f->gtext.data + t->off, t->path_len) & (n - 1);
        while (s[h])
            h = (h + 1) & (n - 1);
        s[h] = (uint32_t)(i + 1);
    }
    ltl__free(f->slots);
    f->slots = s;
    f->nslots = n;
    return LTL_OK;
}

/* Slot of the path (the latest statement with it), or of the empty slot where it goes. */
static size_t slot_find(const struct flat *f, const char *path, size_t len)
{
    size_t h = (size_t)hash_bytes(path, len) & (f->nslots - 1);
    for (;;) {
        uint32_t v = f->slots[h];
        if (!v)
            return h;
        const struct stmt *t = &f->st[v - 1];
        if (t->path_len == len && memcmp(f->gtext.data + t->off, path, len) == 0)
            return h;
        h = (h + 1) & (f->nslots - 1);
    }
}

/* Append the gron form of our path to tmp: .key, ["key"], [n]. */
/* Append the gron form of our path to tmp (.key, ["key"], [n]) and describe its last
 * segment in *gk. Consecutive statements share most of their path, so the segments this
 * path has in common with the previous one are copied from its gron form. */
static int gron_path(struct flat *f, const char *path, size_t len, struct gron_key *gk)
{
    /* how many whole segments of the previous path does this one start with? */
    size_t lim = len < f->gprev.len ? len : f->gprev.len, common = 0;
    while (common < lim && path[common] == f->gprev.data[common])
        common++;
    size_t k = 0;
    while (k < f->ngsegs && f->gsegs[k].our_end <= common) {
        size_t e = f->gsegs[k].our_end;
        if (e < len && path[e] != '.' && path[e] != '[')
            break; /* "a.ab" is not "a.a" followed by more */
        k++;
    }
    size_t base = f->tmp.len;
    if (k && ltl__buf_append(&f->tmp, f->gprev_gron.data, f->gsegs[k - 1].gron_end))
        return LTL_ENOMEM;
    *gk = k ? f->gsegs[k - 1].key : (struct gron_key){0};
    f->ngsegs = k;
    size_t pos = k ? f->gsegs[k - 1].our_end : 0;
    ltl__json_seg seg;
    int r;
    while ((r = ltl__json_path_next(&seg, path, len, &pos)) == 1) {
        int rc;
        size_t start = f->tmp.len;
        if (seg.is_index) {
            char num[32];
            size_t n = 0;
            uint64_t v = seg.index;
            do
                num[sizeof(num) - ++n] = (char)('0' + v % 10);
            while ((v /= 10) != 0);
            rc = ltl__buf_reserve(&f->tmp, n + 3);
            if (!rc) {
                f->tmp.data[f->tmp.len++] = '[';
                memcpy(f->tmp.data + f->tmp.len, num + sizeof(num) - n, n);
                f->tmp.len += n;
                f->tmp.data[f->tmp.len++] = ']';
            }
        } else {
            const char *key = seg.raw;
            size_t klen = seg.raw_len;
            size_t keep = f->tmp.len;
            if (seg.escaped) {
                /* decode after the current text, then move it out of the way */
                if ((rc = ltl__json_unescape(&f->tmp, seg.raw, seg.raw_len)))
                    return rc;
                klen = f->tmp.len - keep;
                char *copy = ltl__strndup(f->tmp.data + keep, klen);
                if (!copy)
                    return LTL_ENOMEM;
                f->tmp.len = keep;
                if (ltl__gron_is_ident(copy, klen)) {
                    rc = ltl__buf_append(&f->tmp, ".", 1);
                    if (!rc)
                        rc = ltl__buf_append(&f->tmp, copy, klen);
                } else {
                    rc = ltl__buf_append(&f->tmp, "[", 1);
                    if (!rc)
                        rc = ltl__gron_quote(&f->tmp, copy, klen);
                    if (!rc)
                        rc = ltl__buf_append(&f->tmp, "]", 1);
                }
                ltl__free(copy);
            } else if (ltl__gron_is_ident(key, klen)) {
                rc = ltl__buf_append(&f->tmp, ".", 1);
                if (!rc)
                    rc = ltl__buf_append(&f->tmp, key, klen);
            } else {
                rc = ltl__buf_append(&f->tmp, "[", 1);
                if (!rc)
                    rc = ltl__gron_quote(&f->tmp, key, klen);
                if (!rc)
                    rc = ltl__buf_append(&f->tmp, "]", 1);
            }
        }
        if (rc)
            return rc;
        /* "[...]" or ".name": the token is what is between */
        gk->depth++;
        gk->kind = f->tmp.data[start] == '.' ? KEY_BARE : KEY_BRACKET;
        gk->numeric = seg.is_index;
        gk->index = seg.index;
        gk->off = start + 1 - base;
        gk->len = f->tmp.len - start - (gk->kind == KEY_BARE ? 1 : 2);
        if (f->ngsegs == f->gsegs_cap) {
            size_t cap = f->gsegs_cap ? f->gsegs_cap * 2 : 32;
            struct gron_seg *g = ltl__realloc(f->gsegs, cap * sizeof(*g));
            if (!g)
                return LTL_ENOMEM;
            f->gsegs = g;
            f->gsegs_cap = cap;
        }
        f->gsegs[f->ngsegs++] = (struct gron_seg){pos, f->tmp.len - base, *gk};
    }
    if (r != 0)
        return LTL_EPARSE;
    /* remember this path for the next statement */
    f->gprev.len = 0;
    f->gprev_gron.len = 0;
    if ((len && ltl__buf_append(&f->gprev, path, len)) ||
        (f->tmp.len > base &&
         ltl__buf_append(&f->gprev_gron, f->tmp.data + base, f->tmp.len - base)))
        return LTL_ENOMEM;
    return LTL_OK;
}

static int on_gron(void *ctx, const ltl_json_event *ev)
{
    struct flat *f = ctx;
    int rc;
    if (ev->type == LTL_JSON_END)
        return doc_end(f);
    if (!f->in_doc) {
        if (f->held) {
            /* a second document: the input is a stream; write the first one as json[0] */
            f->held = false;
            f->gron_style = STYLE_STREAM;
            f->docs_out = 0;
            rc = gron_end(f);
            f->docs_out = 1;
            if (rc)
                return rc;
        }
        f->in_doc = true;
        f->mark = f->out.len;
        f->gtext.len = 0;
        f->nst = 0;
        if (f->nslots)
            memset(f->slots, 0, f->nslots * sizeof(*f->slots));
        f->nkeyed = 0;
    }
    /* the statement: "<gron path> = <value>;" */
    f->tmp.len = 0;
    struct gron_key gk;
    if ((rc = gron_path(f, ev->path, ev->path_len, &gk)))
        return rc;
    size_t path_len = f->tmp.len;
    if ((rc = ltl__buf_append(&f->tmp, " = ", 3)))
        return rc;
    if (ev->type == LTL_JSON_STRING) {
        /* decode, then quote the way gron does */
        size_t at = f->tmp.len;
        if ((rc = ltl__json_unescape(&f->tmp, ev->value + 1, ev->value_len - 2)))
            return rc;
        size_t dlen = f->tmp.len - at;
        char *copy = ltl__strndup(f->tmp.data + at, dlen);
        if (!copy)
            return LTL_ENOMEM;
        f->tmp.len = at;
        rc = ltl__gron_quote(&f->tmp, copy, dlen);
        ltl__free(copy);
    } else {
        rc = ltl__buf_append(&f->tmp, ev->value, ev->value_len);
    }
    if (rc || (rc = ltl__buf_append(&f->tmp, ";", 1)))
        return rc;

    /* a repeated path is a duplicate key: like gron (a Go map) the last one wins, so drop
     * the earlier member and everything under it (its statements follow it directly).
     * Only members can repeat: array elements stay out of the table. */
    size_t h = 0;
    if (!gk.numeric) {
        if (f->nkeyed + 1 > f->nslots / 2 && (rc = slots_grow(f)))
            return rc;
        h = slot_find(f, f->tmp.data, path_len);
        if (f->slots[h]) {
            size_t i = f->slots[h] - 1;
            f->st[i].deleted = true;
            for (size_t j = i + 1; j < f->nst; j++) {
                const struct stmt *t = &f->st[j];
                const char *tp = f->gtext.data + t->off;
                if (t->path_len <= path_len || memcmp(tp, f->tmp.data, path_len) != 0 ||
                    (tp[path_len] != '.' && tp[path_len] != '['))
                    break;
                f->st[j].deleted = true;
            }
        }
    }
    if (f->nst == f->st_cap) {
        size_t n = f->st_cap ? f->st_cap * 2 : 256;
        struct stmt *s = ltl__realloc(f->st, n * sizeof(*s));
        if (!s)
            return LTL_ENOMEM;
        f->st = s;
        f->st_cap = n;
    }
    if (f->nst >= UINT32_MAX - 1)
        return LTL_ENOMEM;
    f->st[f->nst] = (struct stmt){.off = f->gtext.len,
                                  .len = f->tmp.len,
                                  .path_len = path_len,
                                  .key_off = gk.off,
                                  .key_len = gk.len,
                                  .index = gk.index,
                                  .depth = gk.depth,
                                  .key_kind = gk.kind,
                                  .numeric = gk.numeric};
    if ((rc = ltl__buf_append(&f->gtext, f->tmp.data, f->tmp.len)))
        return rc;
    if (!gk.numeric) {
        if (!f->slots[h])
            f->nkeyed++;
        f->slots[h] = (uint32_t)(f->nst + 1);
    }
    f->nst++;
    return LTL_OK;
}

/* gron's order of two siblings, by the last token of their paths: ".name" before "[...]",
 * names and quoted keys by their text (bytes), indexes by value. */
static int sibling_cmp(const struct flat *f, size_t a, size_t b)
{
    const struct stmt *x = &f->st[a], *y = &f->st[b];
    if (x->key_kind != y->key_kind)
        return x->key_kind < y->key_kind ? -1 : 1;
    if (x->numeric && y->numeric)
        return x->index < y->index ? -1 : (x->index > y->index ? 1 : 0);
    const char *p = f->gtext.data + x->off + x->key_off, *q = f->gtext.data + y->off + y->key_off;
    size_t n = x->key_len < y->key_len ? x->key_len : y->key_len;
    int c = memcmp(p, q, n);
    if (c)
        return c;
    return x->key_len < y->key_len ? -1 : (x->key_len > y->key_len ? 1 : 0);
}

/* Stable merge sort of the statement indexes v[0..n) by sibling_cmp (tmp: n scratch). */
static void sort_siblings(const struct flat *f, size_t *v, size_t *tmp, size_t n)
{
    size_t *a = v, *b = tmp;
    for (size_t width = 1; width < n; width *= 2) {
        for (size_t lo = 0; lo < n; lo += 2 * width) {
            size_t mid = lo + width < n ? lo + width : n;
            size_t hi = lo + 2 * width < n ? lo + 2 * width : n;
            size_t i = lo, j = mid, k = lo;
            while (i < mid && j < hi)
                b[k++] = sibling_cmp(f, a[j], a[i]) < 0 ? a[j++] : a[i++];
            while (i < mid)
                b[k++] = a[i++];
            while (j < hi)
                b[k++] = a[j++];
        }
        size_t *t = a;
        a = b;
        b = t;
    }
    if (a != v)
        memcpy(v, a, n * sizeof(*v));
}

/* The statements in gron's order, into f->order (returns how many). A statement's
 * subtree is the run of statements after it with a greater depth (document order). The
 * walk is iterative: a stack of statements still to visit, children pushed in reverse
 * sorted order. */
static int gron_order(struct flat *f, size_t *count)
{
    size_t n = f->nst, out = 0;
    if (f->order_cap < 3 * n + 1) {
        size_t *o = ltl__realloc(f->order, (3 * n + 1) * sizeof(*o));
        if (!o)
            return LTL_ENOMEM;
        f->order = o;
        f->order_cap = 3 * n + 1;
    }
    /* order[0..n): the result; stack and child lists share the rest */
    size_t *stack = f->order + n, *kids = stack + n + 1, nstack = 0;
    size_t *end = ltl__malloc((n ? n : 1) * sizeof(*end)); /* subtree ends */
    size_t *scratch = ltl__malloc((n ? n : 1) * sizeof(*scratch));
    if (!end || !scratch) {
        ltl__free(end);
        ltl__free(scratch);
        return LTL_ENOMEM;
    }
    /* subtree ends, right to left with a stack of open statements */
    size_t *open = scratch, nopen = 0;
    for (size_t i = n; i-- > 0;) {
        while (nopen && f->st[open[nopen - 1]].depth > f->st[i].depth)
            nopen--;
        end[i] = nopen ? open[nopen - 1] : n;
        open[nopen++] = i;
    }
    if (n && !f->st[0].deleted)
        stack[nstack++] = 0;
    while (nstack) {
        size_t i = stack[--nstack];
        f->order[out++] = i;
        size_t nk = 0;
        for (size_t c = i + 1; c < end[i]; c = end[c])
            if (!f->st[c].deleted)
                kids[nk++] = c;
        sort_siblings(f, kids, scratch, nk);
        while (nk)
            stack[nstack++] = kids[--nk];
    }
    ltl__free(end);
    ltl__free(scratch);
    *count = out;
    return LTL_OK;
}

/* Write the current document's statements, sorted, with the right prefix. */
static int gron_end(struct flat *f)
{
    int rc;
    if (f->gron_style == STYLE_UNDECIDED) {
        int mode = ltl__json_parser_mode(f->parser);
        if (mode == LTL_JSON_MODE_DOCUMENT) {
            f->gron_style = STYLE_SINGLE;
        } else if (mode == LTL_JSON_MODE_AUTO && !ltl__json_parser_is_lines(f->parser) &&
                   !f->held && f->docs_out == 0) {
            f->held = true; /* wait: one document, or the first of a stream? */
            return LTL_OK;
        } else {
            f->gron_style = STYLE_STREAM;
        }
    }
    if (f->held)
        return LTL_OK;
    size_t n = 0;
    if ((rc = gron_order(f, &n)))
        return rc;
    char prefix[40];
    size_t plen;
    if (f->gron_style == STYLE_STREAM) {
        /* gron --stream: "json = [];" first, then each document as json[i] */
        if (f->docs_out == 0 && (rc = ltl__buf_append(&f->out, "json = [];\n", 11)))
            return rc;
        plen =
            (size_t)snprintf(prefix, sizeof(prefix), "json[%llu]", (unsigned long long)f->docs_out);
    } else {
        memcpy(prefix, "json", 5);
        plen = 4;
    }
    for (size_t i = 0; i < n; i++) {
        const struct stmt *t = &f->st[f->order[i]];
        if (reserve(&f->out, plen + t->len + 1))
            return LTL_ENOMEM;
        put(&f->out, prefix, plen);
        put(&f->out, f->gtext.data + t->off, t->len);
        put(&f->out, "\n", 1);
    }
    f->nst = 0;
    f->gtext.len = 0;
    return LTL_OK;
}

/* ---- hooks ------------------------------------------------------------------------------ */

static int hook_finish(void *ctx)
{
    struct flat *f = ctx;
    if (f->held) {
        f->held = false;
        f->gron_style = STYLE_SINGLE;
        f->docs_out = 0;
        int rc = gron_end(f);
        f->docs_out = 1;
        if (rc)
            return rc;
    }
    return flush(f);
}

static void hook_drop(void *ctx)
{
    struct flat *f = ctx;
    f->out.len = f->mark;
    f->in_doc = false;
    f->sink.ready = false;
    f->nst = 0;
    f->gtext.len = 0;
}

static void hook_fail(void *ctx)
{
    struct flat *f = ctx;
    f->out.len = f->mark; /* the unfinished document */
    f->sink.ready = false;
    if (!f->held)
        (void)flush(f);
}

static void hook_reset(void *ctx)
{
    struct flat *f = ctx;
    f->out.len = 0;
    f->mark = 0;
    f->docs_out = 0;
    f->in_doc = false;
    f->sink.ready = false;
    f->held = false;
    f->gron_style = STYLE_UNDECIDED;
    f->nst = 0;
    f->gtext.len = 0;
}

static void hook_free(void *ctx)
{
    struct flat *f = ctx;
    ltl__buf_free(&f->out);
    ltl__buf_free(&f->tmp);
    ltl__buf_free(&f->gtext);
    ltl__buf_free(&f->gprev);
    ltl__buf_free(&f->gprev_gron);
    ltl__free(f->gsegs);
    ltl__free(f->st);
    ltl__free(f->order);
    ltl__free(f->slots);
    ltl__free(f);
}

/* ---- public ------------------------------------------------------------------------------ */

static int flattener_new(ltl_json_parser **out, struct flat **fout, int format,
                         const ltl_json_options *opts, ltl_json_write_fn write, void *ctx)
{
    ltl_json_fn fn;
    switch (format) {
    case LTL_JSON_FLAT_LINES:
        fn = on_lines;
        break;
    case LTL_JSON_FLAT_JSON:
        fn = on_json;
        break;
    case LTL_JSON_FLAT_TSV:
        fn = on_tsv;
        break;
    case LTL_JSON_FLAT_GRON:
        fn = on_gron;
        break;
    default:
        return LTL_EINVAL;
    }
    ltl_json_options o = LTL_JSON_OPTIONS_INIT;
    if (opts) {
        if (opts->version != LTL_JSON_OPTIONS_VERSION)
            return LTL_EINVAL;
        o = *opts;
    }
    o.flags &= LTL_JSON_KEEP_GOING;
    o.flags |= LTL_JSON_EMIT_END;
    if (format == LTL_JSON_FLAT_GRON)
        o.flags |= LTL_JSON_EMIT_CONTAINERS;
    struct flat *f = ltl__calloc(1, sizeof(*f));
    if (!f)
        return LTL_ENOMEM;
    f->format = format;
    f->write = write;
    f->wctx = ctx;
    f->keep_going = (o.flags & LTL_JSON_KEEP_GOING) != 0;
    int rc = ltl_json_parser_new(&f->parser, &o, fn, f);
    if (rc) {
        ltl__free(f);
        return rc;
    }
    ltl__json_hooks hooks = {f, hook_finish, hook_drop, hook_fail, hook_reset, hook_free};
    ltl__json_parser_set_hooks(f->parser, &hooks);
    if (format == LTL_JSON_FLAT_LINES) {
        f->sink.out = &f->out;
        ltl__json_parser_set_sink(f->parser, &f->sink);
    }
    *out = f->parser;
    if (fout)
        *fout = f;
    return LTL_OK;
}

int ltl_json_flattener_new(ltl_json_parser **out, int format, const ltl_json_options *opts,
                           ltl_json_write_fn write, void *ctx)
{
    if (!out || !write)
        return LTL_EINVAL;
    *out = NULL;
    return flattener_new(out, NULL, format, opts, write, ctx);
}

int ltl_json_flatten(char **out, size_t *out_len, const void *json, size_t len, int format,
                     const ltl_json_options *opts, ltl_json_error *err)
{
    ltl_json_parser *p = NULL;
    struct flat *f = NULL;
    if (out)
        *out = NULL;
    if (out_len)
        *out_len = 0;
    int rc = out ? flattener_new(&p, &f, format, opts, NULL, NULL) : LTL_EINVAL;
    if (rc) {
        ltl__json_set_error(err, rc, 0, 1, 1, "%s",
                            rc == LTL_ENOMEM ? "out of memory" : "invalid arguments");
        return rc;
    }
    rc = ltl_json_parser_feed(p, json, len);
    if (!rc)
        rc = ltl_json_parser_finish(p);
    if (!rc && !f->out.data && ltl__buf_reserve(&f->out, 1))
        rc = LTL_ENOMEM;
    if (err)
        *err = *ltl_json_parser_error(p);
    if (!rc) {
        f->out.data[f->out.len] = '\0';
        *out = f->out.data;
        if (out_len)
            *out_len = f->out.len;
        f->out = (ltl__buf){0};
    } else if (err && err->code == LTL_OK) {
        ltl__json_set_error(err, rc, 0, 1, 1, "out of memory");
    }
    ltl_json_parser_free(p);
    return rc;
}
