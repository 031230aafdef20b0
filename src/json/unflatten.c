/* SPDX-License-Identifier: MIT */
/*
 * unflatten.c — rebuilding JSON from flat text (lines, tsv, json, gron).
 *
 * Each statement (path, value) is applied to a tree of the current document,
 * held in an arena: a key step goes into the last member of that name when
 * it is a container of the right kind (or, when the input is not in document
 * order, the last such container found through a hash), else a new member
 * is appended; a scalar always appends, so duplicate keys written by the
 * flattener come back in order. Array indexes may skip (holes become null).
 * A document ends at an empty line (lines, tsv), at the end of each flat
 * object (json), or at the end of the input; it is then written as one line
 * of compact JSON, iteratively (no recursion, any depth), and freed.
 */
#include "json/json.h"

#include <stdio.h>

#define MAX_HOLES   (1u << 16) /* most null elements one statement may create */
#define ARENA_BLOCK (64u << 10)

enum { N_OBJ = 1, N_ARR = 2, N_VAL = 3, N_HOLE = 4 };

struct node {
    struct node *parent, *next; /* next sibling */
    struct node *first, *last;  /* children */
    uint64_t count;             /* number of children */
    const char *key;            /* member name (decoded) when the parent is an object */
    size_t key_len;
    const char *text; /* N_VAL: JSON text */
    size_t len;
    uint8_t type;
};

struct block {
    struct block *next;
    size_t used, cap;
    char data[];
};

/* One path segment, decoded. */
struct step {
    bool is_index;
    uint64_t index;
    const char *key;
    size_t key_len;
    size_t tmp_off; /* an escaped key is decoded into u->tmp at this offset */
    bool in_tmp;
};

struct ltl_json_unflattener {
    int format; /* LTL_JSON_FLAT_*, 0 until detected */
    ltl_json_write_fn write;
    void *wctx;
    int rc;
    ltl_json_error err;

    /* input position */
    ltl__buf line;   /* a line cut by a chunk end */
    uint64_t offset; /* input offset of the current line */
    uint64_t fed;    /* bytes fed so far */
    uint64_t line_no;
    uint64_t documents;

    /* the document being built */
    struct block *blocks;
    struct node *root;
    struct node **slots; /* (parent, key) -> last container member with that key */
    size_t nslots, nused;

    ltl__buf out;
    ltl__buf tmp;       /* decoded keys */
    ltl__buf val;       /* compacted values */
    struct step *steps; /* LTL__JSON_MAX_DEPTH + 1 of them */

    ltl_json_parser *jp; /* json format: the flat objects are parsed with events */
};

/* ---- arena ---------------------------------------------------------------------- */

static void *arena_alloc(struct ltl_json_unflattener *u, size_t n)
{
    n = (n + 7) & ~(size_t)7;
    struct block *b = u->blocks;
    if (!b || b->cap - b->used < n) {
        size_t cap = n > ARENA_BLOCK ? n : ARENA_BLOCK;
        b = ltl__malloc(sizeof(*b) + cap);
        if (!b)
            return NULL;
        b->cap = cap;
        b->used = 0;
        b->next = u->blocks;
        u->blocks = b;
    }
    void *p = b->data + b->used;
    b->used += n;
    return p;
}

static void arena_free(struct ltl_json_unflattener *u)
{
    /* keep one block for the next document */
    struct block *b = u->blocks;
    while (b && b->next) {
        struct block *n = b->next;
        b->next = n->next;
        ltl__free(n);
    }
    if (b)
        b->used = 0;
}

static char *arena_dup(struct ltl_json_unflattener *u, const char *s, size_t n)
{
    char *p = arena_alloc(u, n + 1);
    if (p) {
        memcpy(p, s, n);
        p[n] = '\0';
    }
    return p;
}

/* ---- errors ---------------------------------------------------------------------- */

static int fail(struct ltl_json_unflattener *u, int code, uint64_t column, const char *fmt, ...)
    LTL__PRINTF(4, 5);

static int fail(struct ltl_json_unflattener *u, int code, uint64_t column, const char *fmt, ...)
{
    if (u->rc)
        return u->rc;
    ltl_json_error *e = &u->err;
    e->code = code;
    e->line = u->line_no;
    e->column = column;
    e->offset = u->offset + (column ? column - 1 : 0);
    e->document = u->documents;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->message, sizeof(e->message), fmt, ap);
    va_end(ap);
    u->rc = code;
    return code;
}

/* ---- the tree ---------------------------------------------------------------------- */

static uint64_t hash_key(const struct node *parent, const char *key, size_t len)
{
    uint64_t h = (uint64_t)(uintptr_t)parent * 0x9E3779B97F4A7C15ull;
    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)key[i]) * 1099511628211ull;
    return h ^ (h >> 29);
}

static struct node **slot_for(struct ltl_json_unflattener *u, const struct node *parent,
                              const char *key, size_t len)
{
    size_t mask = u->nslots - 1;
    size_t h = (size_t)hash_key(parent, key, len) & mask;
    for (;;) {
        struct node *n = u->slots[h];
        if (!n || (n->parent == parent && n->key_len == len && memcmp(n->key, key, len) == 0))
            return &u->slots[h];
        h = (h + 1) & mask;
    }
}

static int remember(struct ltl_json_unflattener *u, struct node *n)
{
    if (u->nused + 1 > u->nslots / 2) {
        size_t cap = u->nslots ? u->nslots * 2 : 256;
        struct node **old = u->slots;
        size_t oldn = u->nslots;
        u->slots = ltl__calloc(cap, sizeof(*u->slots));
        if (!u->slots) {
            u->slots = old;
            return LTL_ENOMEM;
        }
        u->nslots = cap;
        for (size_t i = 0; i < oldn; i++)
            if (old[i])
                *slot_for(u, old[i]->parent, old[i]->key, old[i]->key_len) = old[i];
        ltl__free(old);
    }
    struct node **s = slot_for(u, n->parent, n->key, n->key_len);
    if (!*s)
        u->nused++;
    *s = n;
    return LTL_OK;
}

static struct node *new_node(struct ltl_json_unflattener *u, struct node *parent, uint8_t type)
{
    struct node *n = arena_alloc(u, sizeof(*n));
    if (!n)
        return NULL;
    memset(n, 0, sizeof(*n));
    n->type = type;
    n->parent = parent;
    if (parent) {
        if (parent->last)
            parent->last->next = n;
        else
            parent->first = n;
        parent->last = n;
        parent->count++;
    }
    return n;
}

/* The index-th child of an array (O(1) for the last one, the usual case). */
static struct node *child_at(struct node *arr, uint64_t index)
{
    if (index + 1 == arr->count)
        return arr->last;
    struct node *c = arr->first;
    for (uint64_t i = 0; i < index; i++)
        c = c->next;
    return c;
}

/* Where a step leads: an existing node to go into or assign, or a new one. `want` is the
 * type the step needs (N_OBJ/N_ARR for a container, 0 for a scalar at the end). */
static int take_step(struct ltl_json_unflattener *u, struct node **at, const struct step *st,
                     int want, uint64_t col)
{
    struct node *cur = *at;
    int rc;
    if (st->is_index) {
        if (cur->type != N_ARR)
            return fail(u, LTL_EPARSE, col,
                        "an index step [%llu] into a value that is not an array",
                        (unsigned long long)st->index);
        if (st->index < cur->count) {
            struct node *c = child_at(cur, st->index);
            if (c->type == N_HOLE) {
                c->type = want ? (uint8_t)want : N_VAL;
                *at = c;
                return LTL_OK;
            }
            if (want && c->type == want) {
                *at = c;
                return LTL_OK;
            }
            if (!want && c->type == N_VAL) {
                *at = c; /* the same element set again: the last value wins */
                return LTL_OK;
            }
            return fail(u, LTL_EPARSE, col, "conflicting statements for element [%llu]",
                        (unsigned long long)st->index);
        }
        if (st->index - cur->count > MAX_HOLES)
            return fail(u, LTL_EPARSE, col,
                        "index [%llu] is more than %u past the end of the array (%llu elements)",
                        (unsigned long long)st->index, MAX_HOLES, (unsigned long long)cur->count);
        while (cur->count < st->index)
            if (!new_node(u, cur, N_HOLE))
                return fail(u, LTL_ENOMEM, col, "out of memory");
        struct node *c = new_node(u, cur, want ? (uint8_t)want : N_VAL);
        if (!c)
            return fail(u, LTL_ENOMEM, col, "out of memory");
        *at = c;
        return LTL_OK;
    }
    if (cur->type != N_OBJ)
        return fail(u, LTL_EPARSE, col, "a key step into a value that is not an object");
    if (want) {
        /* a container step: the last member of that name, if it is one of the right kind */
        struct node *c = NULL;
        if (cur->last && cur->last->key_len == st->key_len &&
            memcmp(cur->last->key, st->key, st->key_len) == 0) {
            c = cur->last;
        } else if (u->nslots) {
            c = *slot_for(u, cur, st->key, st->key_len);
        }
        if (c && c->type == want) {
            *at = c;
            return LTL_OK;
        }
    }
    struct node *c = new_node(u, cur, want ? (uint8_t)want : N_VAL);
    if (!c || !(c->key = arena_dup(u, st->key, st->key_len)))
        return fail(u, LTL_ENOMEM, col, "out of memory");
    c->key_len = st->key_len;
    if (want && (rc = remember(u, c)))
        return fail(u, rc, col, "out of memory");
    *at = c;
    return LTL_OK;
}

/* ---- applying a statement ------------------------------------------------------------- */

/* What a value is: an empty container becomes a node to fill; anything else is text. */
static int value_kind(struct ltl_json_unflattener *u, const char *v, size_t n, uint64_t col,
                      const char **text, size_t *len)
{
    ltl_json_error e;
    if (ltl__json_validate(v, n, &e) != LTL_OK)
        return fail(u, LTL_EPARSE, col + e.offset, "bad value: %s", e.message), -1;
    while (n && (*v == ' ' || *v == '\t'))
        v++, n--;
    while (n && (v[n - 1] == ' ' || v[n - 1] == '\t'))
        n--;
    if (*v == '{' || *v == '[') {
        const char *q = v + 1;
        while (*q == ' ' || *q == '\t' || *q == '\n' || *q == '\r')
            q++;
        if (*q == (*v == '{' ? '}' : ']'))
            return *v == '{' ? N_OBJ : N_ARR;
        /* a non-empty container given whole: keep it, compacted */
        u->val.len = 0;
        if (ltl__json_pretty(&u->val, v, n, 0))
            return fail(u, LTL_ENOMEM, col, "out of memory"), -1;
        v = u->val.data;
        n = u->val.len;
    }
    *text = v;
    *len = n;
    return N_VAL;
}

/* Read the segments of a path into steps (keys decoded into u->tmp). */
static int read_path(struct ltl_json_unflattener *u, const char *path, size_t len, uint64_t col,
                     struct step *steps, size_t *nsteps, size_t max)
{
    size_t pos = 0;
    ltl__json_seg seg;
    int r;
    while ((r = ltl__json_path_next(&seg, path, len, &pos)) == 1) {
        if (seg.wildcard)
            return fail(u, LTL_EPARSE, col + pos, "a wildcard [] cannot be unflattened");
        if (*nsteps >= max)
            return fail(u, LTL_EPARSE, col, "path deeper than %u levels", LTL__JSON_MAX_DEPTH);
        struct step *st = &steps[(*nsteps)++];
        st->is_index = seg.is_index;
        st->index = seg.index;
        if (!seg.is_index) {
            if (seg.escaped) {
                size_t at = u->tmp.len;
                if (ltl__json_unescape(&u->tmp, seg.raw, seg.raw_len))
                    return fail(u, LTL_ENOMEM, col, "out of memory");
                /* keep an offset: tmp may move; fixed up below */
                st->in_tmp = true;
                st->tmp_off = at;
                st->key_len = u->tmp.len - at;
            } else {
                st->in_tmp = false;
                st->key = seg.raw;
                st->key_len = seg.raw_len;
            }
        }
    }
    if (r != 0)
        return fail(u, LTL_EPARSE, col + pos, "bad path");
    return LTL_OK;
}

static void fix_keys(struct ltl_json_unflattener *u, struct step *steps, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!steps[i].is_index && steps[i].in_tmp)
            steps[i].key = u->tmp.data + steps[i].tmp_off;
}

/* Apply "path1 path2 = value" (path2 continues path1; the json format's nested values). */
static int apply(struct ltl_json_unflattener *u, const char *p1, size_t l1, const char *p2,
                 size_t l2, const char *value, size_t vlen, uint64_t pcol, uint64_t vcol)
{
    struct step *steps = u->steps;
    size_t n = 0;
    int rc;
    if (!steps && !(steps = u->steps = ltl__malloc((LTL__JSON_MAX_DEPTH + 1) * sizeof(*steps))))
        return fail(u, LTL_ENOMEM, pcol, "out of memory");
    u->tmp.len = 0;
    if ((rc = read_path(u, p1, l1, pcol, steps, &n, LTL__JSON_MAX_DEPTH)))
        return rc;
    if (p2 && (rc = read_path(u, p2, l2, pcol, steps, &n, LTL__JSON_MAX_DEPTH)))
        return rc;
    fix_keys(u, steps, n);
    const char *text = value;
    size_t len = vlen;
    int kind = value_kind(u, value, vlen, vcol, &text, &len);
    if (kind < 0)
        return u->rc;
    int want_end = kind == N_VAL ? 0 : kind;

    if (!u->root) {
        int t = n == 0 ? (want_end ? want_end : N_VAL) : (steps[0].is_index ? N_ARR : N_OBJ);
        if (!(u->root = new_node(u, NULL, (uint8_t)t)))
            return fail(u, LTL_ENOMEM, pcol, "out of memory");
        if (n == 0) {
            if (t == N_VAL && !(u->root->text = arena_dup(u, text, len)))
                return fail(u, LTL_ENOMEM, pcol, "out of memory");
            u->root->len = len;
            return LTL_OK;
        }
    } else if (n == 0) {
        if (want_end && u->root->type == want_end)
            return LTL_OK; /* gron's "json = {};" before the members */
        return fail(u, LTL_EPARSE, pcol, "the root is set twice");
    }
    struct node *at = u->root;
    if (n && (steps[0].is_index ? N_ARR : N_OBJ) != at->type)
        return fail(u, LTL_EPARSE, pcol, "conflicting statements for the root");
    for (size_t i = 0; i < n; i++) {
        int want = i + 1 < n ? (steps[i + 1].is_index ? N_ARR : N_OBJ) : want_end;
        if ((rc = take_step(u, &at, &steps[i], want, pcol)))
            return rc;
    }
    if (kind == N_VAL) {
        if (!(at->text = arena_dup(u, text, len)))
            return fail(u, LTL_ENOMEM, vcol, "out of memory");
        at->len = len;
    }
    return LTL_OK;
}

/* ---- writing a document ------------------------------------------------------------- */

static int out_reserve(struct ltl_json_unflattener *u, size_t n)
{
    if (u->out.cap - u->out.len > n)
        return LTL_OK;
    return ltl__buf_reserve(&u->out, n + 1);
}

static int put_key(struct ltl_json_unflattener *u, const struct node *n)
{
    if (n->key_len > SIZE_MAX / 8 || out_reserve(u, n->key_len * 6 + 4))
        return LTL_ENOMEM;
    char *d = u->out.data + u->out.len;
    *d++ = '"';
    d += ltl__json_escape_key_to(d, n->key, n->key_len);
    *d++ = '"';
    *d++ = ':';
    u->out.len = (size_t)(d - u->out.data);
    return LTL_OK;
}

static int flush_out(struct ltl_json_unflattener *u, bool always)
{
    if (!u->write || !u->out.len || (!always && u->out.len < (64u << 10)))
        return LTL_OK;
    int rc = u->write(u->wctx, u->out.data, u->out.len);
    u->out.len = 0;
    return rc;
}

/* Depth-first over the tree without recursion: children, then up through parents. */
static int write_doc(struct ltl_json_unflattener *u)
{
    struct node *n = u->root;
    int rc;
    while (n) {
        if (n->parent && n->parent->type == N_OBJ && (rc = put_key(u, n)))
            return rc;
        if ((n->type == N_OBJ || n->type == N_ARR) && n->first) {
            if ((rc = ltl__buf_append(&u->out, n->type == N_OBJ ? "{" : "[", 1)))
                return rc;
            n = n->first;
            continue;
        }
        if (n->type == N_OBJ || n->type == N_ARR)
            rc = ltl__buf_append(&u->out, n->type == N_OBJ ? "{}" : "[]", 2);
        else if (n->type == N_HOLE || !n->text)
            rc = ltl__buf_append(&u->out, "null", 4);
        else
            rc = ltl__buf_append(&u->out, n->text, n->len);
        if (rc)
            return rc;
        /* move on: the next sibling, or close containers on the way up */
        while (n && !n->next) {
            n = n->parent;
            if (n && (rc = ltl__buf_append(&u->out, n->type == N_OBJ ? "}" : "]", 1)))
                return rc;
        }
        if (n) {
            if ((rc = ltl__buf_append(&u->out, ",", 1)))
                return rc;
            n = n->next;
        }
        if ((rc = flush_out(u, false)))
            return rc;
    }
    return ltl__buf_append(&u->out, "\n", 1);
}

static int end_doc(struct ltl_json_unflattener *u)
{
    if (!u->root)
        return LTL_OK;
    int rc = write_doc(u);
    u->root = NULL;
    arena_free(u);
    if (u->nslots)
        memset(u->slots, 0, u->nslots * sizeof(*u->slots));
    u->nused = 0;
    u->documents++;
    if (rc)
        return fail(u, rc, 0, rc == LTL_ENOMEM ? "out of memory" : "output failed (%d)", rc);
    if ((rc = flush_out(u, false)))
        return fail(u, rc, 0, "output failed (%d)", rc);
    return LTL_OK;
}

/* ---- the text formats ----------------------------------------------------------------- */

static bool blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t')
            return false;
    return true;
}

static int detect(struct ltl_json_unflattener *u, const char *s, size_t n)
{
    size_t i = 0;
    while (i < n && (s[i] == ' ' || s[i] == '\t'))
        i++;
    if (i < n && s[i] == '{')
        u->format = LTL_JSON_FLAT_JSON;
    else if (memchr(s, '\t', n))
        u->format = LTL_JSON_FLAT_TSV;
    else if (n - i >= 4 && memcmp(s + i, "json", 4) == 0 && s[n - 1] == ';')
        u->format = LTL_JSON_FLAT_GRON;
    else
        u->format = LTL_JSON_FLAT_LINES;
    return LTL_OK;
}

/* The end of the path at s: the first byte after its segments. */
static size_t path_end(const char *s, size_t n, bool gron)
{
    size_t pos = gron ? 4 : 0;
    ltl__json_seg seg;
    if (gron && pos < n && s[pos] != '.' && s[pos] != '[')
        return pos;
    const char *p = s + (gron ? 4 : 0);
    size_t len = n - (gron ? 4 : 0), at = 0;
    while (ltl__json_path_next(&seg, p, len, &at) == 1)
        ;
    return (gron ? 4 : 0) + at;
}

static int on_statement_line(struct ltl_json_unflattener *u, const char *s, size_t n)
{
    if (n && s[n - 1] == '\r')
        n--;
    if (blank(s, n)) {
        if (u->format == LTL_JSON_FLAT_LINES || u->format == LTL_JSON_FLAT_TSV)
            return end_doc(u);
        return LTL_OK;
    }
    if (!u->format)
        detect(u, s, n);
    if (u->format == LTL_JSON_FLAT_TSV) {
        const char *t1 = memchr(s, '\t', n);
        const char *t2 = t1 ? memchr(t1 + 1, '\t', n - (size_t)(t1 + 1 - s)) : NULL;
        if (!t2)
            return fail(u, LTL_EPARSE, 1, "expected path<TAB>key<TAB>value");
        size_t pl = (size_t)(t1 - s);
        if (pl == 1 && s[0] == '.')
            pl = 0;
        size_t vo = (size_t)(t2 + 1 - s);
        return apply(u, s, pl, NULL, 0, t2 + 1, n - vo, 1, vo + 1);
    }
    bool gron = u->format == LTL_JSON_FLAT_GRON;
    size_t lead = 0; /* leading blanks before the path */
    while (lead < n && (s[lead] == ' ' || s[lead] == '\t'))
        lead++;
    s += lead;
    n -= lead;
    if (gron) {
        if (n < 4 || memcmp(s, "json", 4) != 0)
            return fail(u, LTL_EPARSE, 1, "a gron statement starts with 'json'");
        while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
            n--;
        if (!n || s[n - 1] != ';')
            return fail(u, LTL_EPARSE, n + 1, "a gron statement ends with ';'");
        n--;
    }
    size_t pe = path_end(s, n, gron);
    size_t eq = pe;
    while (eq < n && (s[eq] == ' ' || s[eq] == '\t'))
        eq++;
    if (eq >= n || s[eq] != '=') {
        /* say where the path went wrong, if it did */
        size_t at = 0;
        ltl__json_seg seg;
        const char *p = s + (gron ? 4 : 0);
        size_t plen = n - (gron ? 4 : 0);
        int r;
        while ((r = ltl__json_path_next(&seg, p, plen, &at)) == 1)
            ;
        /* a segment that went wrong (not just a path that ends before the '=') */
        bool bad_seg = r < 0 && (at == 0 || at >= plen || p[at] == '.' || p[at] == '[' ||
                                 (at > 0 && (p[at - 1] == '[' || p[at - 1] == '.')) ||
                                 (at > 0 && p[at - 1] >= '0' && p[at - 1] <= '9'));
        if (bad_seg)
            return fail(u, LTL_EPARSE, lead + (gron ? 4 : 0) + at + 1,
                        "bad path (docs/JSON.md: a.b, a[0], [\"k y\"])");
        return fail(u, LTL_EPARSE, lead + (gron ? 4 : 0) + at + 1,
                    gron ? "expected 'json<path> = <value>;'" : "expected '<path> = <value>'");
    }
    size_t vo = eq + 1;
    const char *path = s + (gron ? 4 : 0);
    size_t plen = pe - (gron ? 4 : 0);
    if (!gron && plen == 1 && path[0] == '.')
        plen = 0;
    return apply(u, path, plen, NULL, 0, s + vo, n - vo, lead + 1, lead + vo + 1);
}

/* ---- the json format: flat objects parsed with events ------------------------------- */

static int on_flat_event(void *ctx, const ltl_json_event *ev)
{
    struct ltl_json_unflattener *u = ctx;
    if (ev->type == LTL_JSON_END)
        return end_doc(u);
    if (ev->depth == 0)
        return fail(u, LTL_EPARSE, 1, "a flat JSON document must be an object");
    /* the first segment of the event's path is the member name: the flat path */
    size_t pos = 0;
    ltl__json_seg seg;
    if (ltl__json_path_next(&seg, ev->path, ev->path_len, &pos) != 1 || seg.is_index)
        return fail(u, LTL_EPARSE, 1, "a flat JSON document must be an object");
    ltl__buf *k = &u->val;
    k->len = 0;
    int rc = seg.escaped ? ltl__json_unescape(k, seg.raw, seg.raw_len)
                         : ltl__buf_append(k, seg.raw, seg.raw_len);
    if (rc)
        return fail(u, rc, 1, "out of memory");
    char *flat = ltl__strndup(k->data, k->len);
    if (!flat)
        return fail(u, LTL_ENOMEM, 1, "out of memory");
    size_t flen = k->len;
    if (flen == 1 && flat[0] == '.')
        flen = 0;
    u->offset = ev->offset;
    rc = apply(u, flat, flen, ev->path + pos, ev->path_len - pos, ev->value, ev->value_len, 1, 1);
    ltl__free(flat);
    return rc;
}

/* ---- public ------------------------------------------------------------------------- */

int ltl_json_unflattener_new(ltl_json_unflattener **out, int format, ltl_json_write_fn write,
                             void *ctx)
{
    if (!out)
        return LTL_EINVAL;
    *out = NULL;
    if (format < 0 || format > LTL_JSON_FLAT_GRON)
        return LTL_EINVAL;
    struct ltl_json_unflattener *u = ltl__calloc(1, sizeof(*u));
    if (!u)
        return LTL_ENOMEM;
    u->format = format;
    u->write = write;
    u->wctx = ctx;
    u->line_no = 1;
    *out = u;
    return LTL_OK;
}

static int start_json(struct ltl_json_unflattener *u)
{
    ltl_json_options o = LTL_JSON_OPTIONS_INIT;
    o.mode = LTL_JSON_MODE_STREAM;
    o.flags = LTL_JSON_EMIT_END;
    int rc = ltl_json_parser_new(&u->jp, &o, on_flat_event, u);
    return rc ? fail(u, rc, 0, "out of memory") : LTL_OK;
}

static int json_feed(struct ltl_json_unflattener *u, const char *d, size_t len, bool finish)
{
    if (!u->jp && start_json(u))
        return u->rc;
    int rc = finish ? ltl_json_parser_finish(u->jp) : ltl_json_parser_feed(u->jp, d, len);
    if (rc && !u->rc) {
        const ltl_json_error *e = ltl_json_parser_error(u->jp);
        u->err = *e;
        u->rc = rc;
    }
    return u->rc;
}

int ltl_json_unflattener_feed(ltl_json_unflattener *u, const void *data, size_t len)
{
    if (!u)
        return LTL_EINVAL;
    if (u->rc)
        return u->rc;
    const char *d = data, *end = d + len;
    if (u->format == LTL_JSON_FLAT_JSON)
        return json_feed(u, d, len, false);
    int rc = LTL_OK;
    while (d < end) {
        const char *nl = memchr(d, '\n', (size_t)(end - d));
        if (!nl) {
            if (ltl__buf_append(&u->line, d, (size_t)(end - d)))
                return fail(u, LTL_ENOMEM, 0, "out of memory");
            break;
        }
        const char *s = d;
        size_t n = (size_t)(nl - d);
        if (u->line.len) {
            if (ltl__buf_append(&u->line, d, n))
                return fail(u, LTL_ENOMEM, 0, "out of memory");
            s = u->line.data;
            n = u->line.len;
        }
        if (!u->format && !blank(s, n)) {
            detect(u, s, n);
            if (u->format == LTL_JSON_FLAT_JSON) {
                /* hand everything from this line on to the JSON parser */
                rc = json_feed(u, s, n, false);
                u->line.len = 0;
                if (!rc)
                    rc = json_feed(u, nl, (size_t)(end - nl), false);
                u->fed += len;
                return rc;
            }
        }
        rc = on_statement_line(u, s, n);
        u->offset = u->fed + (uint64_t)(nl + 1 - (const char *)data);
        u->line.len = 0;
        u->line_no++;
        if (rc)
            return rc;
        d = nl + 1;
    }
    u->fed += len;
    return rc;
}

int ltl_json_unflattener_finish(ltl_json_unflattener *u)
{
    if (!u)
        return LTL_EINVAL;
    if (u->rc)
        return u->rc;
    int rc;
    if (u->format == LTL_JSON_FLAT_JSON) {
        if ((rc = json_feed(u, NULL, 0, true)))
            return rc;
    } else if (u->line.len) {
        if (!u->format && !blank(u->line.data, u->line.len))
            detect(u, u->line.data, u->line.len);
        if (u->format == LTL_JSON_FLAT_JSON) {
            rc = json_feed(u, u->line.data, u->line.len, false);
            if (!rc)
                rc = json_feed(u, NULL, 0, true);
        } else {
            rc = on_statement_line(u, u->line.data, u->line.len);
        }
        u->line.len = 0;
        if (rc)
            return rc;
    }
    if ((rc = end_doc(u)))
        return rc;
    if ((rc = flush_out(u, true)))
        return fail(u, rc, 0, "output failed (%d)", rc);
    return LTL_OK;
}

const ltl_json_error *ltl_json_unflattener_error(const ltl_json_unflattener *u)
{
    return &u->err;
}

void ltl_json_unflattener_free(ltl_json_unflattener *u)
{
    if (!u)
        return;
    arena_free(u);
    ltl__free(u->blocks);
    ltl__free(u->slots);
    ltl__buf_free(&u->line);
    ltl__buf_free(&u->out);
    ltl__buf_free(&u->tmp);
    ltl__buf_free(&u->val);
    ltl__free(u->steps);
    ltl_json_parser_free(u->jp);
    ltl__free(u);
}

int ltl_json_unflatten(char **out, size_t *out_len, const void *flat, size_t len, int format,
                       ltl_json_error *err)
{
    ltl_json_unflattener *u = NULL;
    if (out)
        *out = NULL;
    if (out_len)
        *out_len = 0;
    int rc = out ? ltl_json_unflattener_new(&u, format, NULL, NULL) : LTL_EINVAL;
    if (rc) {
        ltl__json_set_error(err, rc, 0, 1, 1, "%s",
                            rc == LTL_ENOMEM ? "out of memory" : "invalid arguments");
        return rc;
    }
    rc = ltl_json_unflattener_feed(u, flat, len);
    if (!rc)
        rc = ltl_json_unflattener_finish(u);
    if (!rc && ltl__buf_reserve(&u->out, 1))
        rc = fail(u, LTL_ENOMEM, 0, "out of memory");
    if (err)
        *err = u->err;
    if (!rc) {
        u->out.data[u->out.len] = '\0';
        *out = u->out.data;
        if (out_len)
            *out_len = u->out.len;
        u->out = (ltl__buf){0};
    }
    ltl_json_unflattener_free(u);
    return rc;
}
