/* SPDX-License-Identifier: MIT */
/*
 * parse.c — query text to tree: a recursive-descent parser over the grammar
 * of docs/QUERY.md (or > and > not; `and` may be left out), reading paths
 * with the JSON module's path syntax (ltl__json_path_next), values as JSON
 * literals, bare words and, for @ts, times (ltl_time_parse). Errors name the
 * byte column and what was expected. Every node and string of a query lives
 * in one arena, freed at once; the parse ends by indexing the payload paths
 * the query names (slots, grouped by wildcard form in a hash table) for the
 * evaluator in match.c.
 */
#include "query/query.h"

#include "json/json.h"

#include <stdio.h>

/* ---- arena ------------------------------------------------------------------------------- */

struct arena_block {
    struct arena_block *next;
    size_t used, cap;
    max_align_t data[];
};

struct ltl__query_arena {
    struct arena_block *head;
};

static void *arena_alloc(struct ltl__query_arena *a, size_t size)
{
    size = (size + sizeof(max_align_t) - 1) / sizeof(max_align_t) * sizeof(max_align_t);
    struct arena_block *b = a->head;
    if (!b || b->cap - b->used < size) {
        size_t cap = size > 4000 ? size : 4000;
        b = ltl__malloc(sizeof(*b) + cap);
        if (!b)
            return NULL;
        b->cap = cap;
        b->used = 0;
        b->next = a->head;
        a->head = b;
    }
    void *p = (char *)b->data + b->used;
    b->used += size;
    memset(p, 0, size);
    return p;
}

static char *arena_strndup(struct ltl__query_arena *a, const char *s, size_t len)
{
    char *d = arena_alloc(a, len + 1);
    if (d) {
        if (len)
            memcpy(d, s, len);
        d[len] = '\0';
    }
    return d;
}

static void arena_free(struct ltl__query_arena *a)
{
    if (!a)
        return;
    for (struct arena_block *b = a->head, *next; b; b = next) {
        next = b->next;
        ltl__free(b);
    }
    ltl__free(a);
}

/* ---- the parser's state and errors ------------------------------------------------------------
 */

struct parser {
    const char *text;
    size_t len;
    size_t pos;
    int64_t now;
    int depth;
    const char *after; /* the token before a condition, for messages ("'and'"), or NULL */
    ltl__query *q;
    ltl__buf scratch;
};

static const char *const field_names[] = {"",     "seq",  "ts",  "topic",
                                          "user", "host", "pid", "manifest"};
#define FIELD_LIST "@seq @ts @topic @user @host @pid @manifest"

static bool is_ws(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Bytes that end a bare word (besides whitespace). */
static bool is_delim(unsigned char c)
{
    return is_ws(c) || (c && strchr("()[],\"=!<>~", c));
}

/* Bytes of a bare path key as ltl__json_path_next reads them. */
static bool is_bare(unsigned char c)
{
    return (unsigned)((c | 0x20) - 'a') < 26 || (unsigned)(c - '0') < 10 || c == '_' || c == '-' ||
           c == '$' || c >= 0x80;
}

static bool is_op_char(unsigned char c)
{
    return c && strchr("=!<>~", c);
}

static void skip_ws(struct parser *p)
{
    while (p->pos < p->len && is_ws((unsigned char)p->text[p->pos]))
        p->pos++;
}

/* Length of the run of bare-key bytes at pos. */
static size_t bare_run(const struct parser *p, size_t pos)
{
    size_t n = 0;
    while (pos + n < p->len && is_bare((unsigned char)p->text[pos + n]))
        n++;
    return n;
}

/* Length of the bare word (a value) at pos: up to whitespace or a delimiter. */
static size_t word_run(const struct parser *p, size_t pos)
{
    size_t n = 0;
    while (pos + n < p->len && !is_delim((unsigned char)p->text[pos + n]))
        n++;
    return n;
}

static const char *const keywords[] = {"and", "or", "not", "in", "exists", "true", "false", "null"};

/* The keyword s[0..n) is, in any case, or NULL. *exact: spelled in lowercase. */
static const char *keyword(const char *s, size_t n, bool *exact)
{
    for (size_t i = 0; i < LTL__ARRAY_LEN(keywords); i++) {
        if (strlen(keywords[i]) != n)
            continue;
        bool same = true, lower = true;
        for (size_t k = 0; k < n && same; k++) {
            char c = s[k];
            if ((c | 0x20) != keywords[i][k])
                same = false;
            if (c != keywords[i][k])
                lower = false;
        }
        if (same) {
            if (exact)
                *exact = lower;
            return keywords[i];
        }
    }
    return NULL;
}

/* Is the lowercase keyword `kw` at pos (as a whole bare run)? */
static bool keyword_at(const struct parser *p, size_t pos, const char *kw)
{
    size_t n = bare_run(p, pos);
    return n == strlen(kw) && memcmp(p->text + pos, kw, n) == 0;
}

/* Cut s[0..n) to at most max bytes at a UTF-8 character boundary. */
static size_t cut_utf8(const char *s, size_t n, size_t max)
{
    if (n <= max)
        return n;
    size_t k = max;
    while (k > 0 && ((unsigned char)s[k] & 0xC0) == 0x80)
        k--;
    return k;
}

/* What is at pos, for "found ..." in messages. */
static void describe_at(char *buf, size_t cap, const struct parser *p, size_t pos)
{
    if (pos >= p->len) {
        snprintf(buf, cap, "end of input");
        return;
    }
    if (is_ws((unsigned char)p->text[pos])) {
        snprintf(buf, cap, "%s",
                 p->text[pos] == ' '    ? "a space"
                 : p->text[pos] == '\t' ? "a tab"
                                        : "a line break");
        return;
    }
    const char *s = p->text + pos;
    unsigned char c = (unsigned char)*s;
    size_t n;
    if (c == '"') {
        n = 1;
        while (pos + n < p->len && s[n] != '"')
            n += s[n] == '\\' && pos + n + 1 < p->len ? 2 : 1;
        n = pos + n < p->len ? n + 1 : n;
    } else if (strchr("()[],", c)) {
        n = 1;
    } else if (is_op_char(c)) {
        n = 1;
        while (pos + n < p->len && is_op_char((unsigned char)s[n]))
            n++;
    } else {
        n = word_run(p, pos);
        bool exact;
        if (keyword(s, n, &exact) && exact) {
            snprintf(buf, cap, "keyword '%.*s'", (int)n, s);
            return;
        }
    }
    size_t shown = cut_utf8(s, n, 24);
    snprintf(buf, cap, "'%.*s%s'", (int)shown, s, shown < n ? "..." : "");
}

/* Record "column N: <message>" and return LTL_EPARSE. */
static int perr(const struct parser *p, size_t pos, const char *fmt, ...) LTL__PRINTF(3, 4);
static int perr(const struct parser *p, size_t pos, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    (void)p;
    return ltl__errf(LTL_EPARSE, "column %zu: %s", pos + 1, msg);
}

/* "expected <what>, found <what is at pos>" at pos. */
static int expected(const struct parser *p, size_t pos, const char *what)
{
    char found[96];
    describe_at(found, sizeof(found), p, pos);
    return perr(p, pos, "expected %s, found %s", what, found);
}

static ltl__query_node *node_new(struct parser *p, int kind, size_t pos)
{
    ltl__query_node *n = arena_alloc(p->q->arena, sizeof(*n));
    if (n) {
        n->kind = kind;
        n->column = (uint32_t)pos + 1;
    }
    return n;
}

/* ---- paths ---------------------------------------------------------------------------------- */

/* Read a path at p->pos (payload path or @field) into node. */
static int parse_path(struct parser *p, ltl__query_node *node)
{
    size_t start = p->pos;
    const char *rel = p->text + start;
    size_t rlen = p->len - start;
    ltl__buf canon = {0}, wild = {0};
    int rc = LTL_OK;

    if (rlen > 0 && rel[0] == '@') {
        size_t n = bare_run(p, start + 1);
        int field = 0;
        for (int f = 1; f < (int)LTL__ARRAY_LEN(field_names); f++)
            if (strlen(field_names[f]) == n && memcmp(field_names[f], rel + 1, n) == 0)
                field = f;
        if (n == 0)
            return perr(p, start,
                        "expected an envelope field name after '@' (one of " FIELD_LIST ")");
        if (!field)
            return perr(p, start, "unknown envelope field '@%.*s' (one of " FIELD_LIST ")",
                        (int)cut_utf8(rel + 1, n, 40), rel + 1);
        p->pos = start + 1 + n;
        if (p->pos < p->len && (p->text[p->pos] == '.' || p->text[p->pos] == '['))
            return perr(p, p->pos, "envelope field @%s has no members", field_names[field]);
        char *text = arena_strndup(p->q->arena, rel, n + 1);
        if (!text)
            return LTL_ENOMEM;
        node->field = field;
        node->path = node->wildcard = text;
        node->path_len = node->wildcard_len = n + 1;
        return LTL_OK;
    }

    if (rlen > 0 && rel[0] == '.' &&
        (rlen == 1 || !(rel[1] == '[' || is_bare((unsigned char)rel[1])))) {
        p->pos = start + 1; /* "." alone is the root */
        node->path = node->wildcard = "";
        return LTL_OK;
    }
    size_t kwlen = bare_run(p, start);
    const char *kw = kwlen ? keyword(rel, kwlen, NULL) : NULL;
    if (kw)
        return perr(p, start,
                    "'%.*s' is a keyword, not a path (quote a key of that name: "
                    "[\"%.*s\"])",
                    (int)kwlen, rel, (int)kwlen, rel);

    size_t rp = 0;
    for (;;) {
        ltl__json_seg seg;
        int r = 1;
        if (rp + 1 < rlen && rel[rp] == '[' && rel[rp + 1] != ']' && rel[rp + 1] != '"') {
            /* an index: digits only. ltl__json_path_next (json/write.c) takes bytes below
             * '0' for digits, as in a[-1], so look first */
            size_t k = rp + 1;
            while (k < rlen && rel[k] >= '0' && rel[k] <= '9')
                k++;
            if (k == rp + 1 || k >= rlen || rel[k] != ']') {
                r = LTL_EPARSE;
                rp = k;
            } else if (rel[rp + 1] == '0' && k > rp + 2) {
                r = LTL_EPARSE; /* no leading zeros: [01] */
                rp += 2;
            }
        }
        if (r > 0)
            r = ltl__json_path_next(&seg, rel, rlen, &rp);
        if (r == 0)
            break;
        if (r < 0) {
            rc = expected(p, start + rp, "a path segment (key, .key, [n], [] or [\"key\"])");
            goto out;
        }
        if (seg.is_index && seg.wildcard) {
            rc = ltl__buf_append(&canon, "[]", 2);
            if (rc == LTL_OK)
                rc = ltl__buf_append(&wild, "[]", 2);
        } else if (seg.is_index) {
            node->concrete = true;
            rc = ltl__buf_appendf(&canon, "[%llu]", (unsigned long long)seg.index);
            if (rc == LTL_OK)
                rc = ltl__buf_append(&wild, "[]", 2);
        } else {
            const char *key = seg.raw;
            size_t klen = seg.raw_len;
            if (seg.escaped) {
                p->scratch.len = 0;
                rc = ltl__json_unescape(&p->scratch, seg.raw, seg.raw_len);
                key = p->scratch.data;
                klen = p->scratch.len;
            }
            if (rc == LTL_OK)
                rc = ltl__json_path_append_key(&canon, canon.len, key, klen);
            if (rc == LTL_OK)
                rc = ltl__json_path_append_key(&wild, wild.len, key, klen);
        }
        if (rc)
            goto out;
        if (!(rp < rlen && (rel[rp] == '.' || rel[rp] == '[')))
            break;
    }
    if (rp == 0) {
        rc = expected(p, start, "a path");
        goto out;
    }
    p->pos = start + rp;
    char *path = arena_strndup(p->q->arena, canon.data ? canon.data : "", canon.len);
    char *wildcard = arena_strndup(p->q->arena, wild.data ? wild.data : "", wild.len);
    if (!path || !wildcard) {
        rc = LTL_ENOMEM;
        goto out;
    }
    node->field = LTL__QUERY_PAYLOAD;
    node->path = path;
    node->path_len = canon.len;
    node->wildcard = wildcard;
    node->wildcard_len = wild.len;
out:
    ltl__buf_free(&canon);
    ltl__buf_free(&wild);
    return rc;
}

/* The path as the user may recognize it, for messages. */
static const char *path_shown(const ltl__query_node *node)
{
    return node->path_len ? node->path : ".";
}

/* ---- values ------------------------------------------------------------------------------------
 */

/* A value token: a JSON string (decoded) or a bare word (as written). */
struct token {
    size_t pos;
    bool quoted;
    const char *text; /* in the arena, NUL-terminated */
    size_t len;
    int type; /* LTL_JSON_NUMBER / STRING / TRUE / FALSE / NULL */
};

/* Read a JSON string literal at p->pos. */
static int read_string(struct parser *p, struct token *t)
{
    size_t start = p->pos, i = start + 1;
    bool esc = false;
    while (i < p->len && p->text[i] != '"') {
        unsigned char c = (unsigned char)p->text[i];
        if (c < 0x20)
            return perr(p, i, "control character 0x%02x in a string (write it \\u%04x)", c, c);
        if (c == '\\') {
            esc = true;
            if (i + 1 >= p->len)
                break;
            char e = p->text[i + 1];
            if (e == 'u') {
                for (size_t k = 2; k < 6; k++) {
                    unsigned h = i + k < p->len ? (unsigned char)p->text[i + k] : 0;
                    if (!(h - '0' < 10u || (h | 0x20) - 'a' < 6u))
                        return perr(p, i, "bad escape in a string: \\u needs 4 hex digits");
                }
                i += 6;
                continue;
            }
            if (!strchr("\"\\/bfnrt", e) || e == '\0')
                return perr(p, i, "bad escape '\\%c' in a string (JSON escapes only)",
                            (unsigned char)e >= 0x20 && (unsigned char)e < 0x7f ? e : '?');
            i += 2;
            continue;
        }
        i++;
    }
    if (i >= p->len)
        return perr(p, start, "unterminated string (no closing '\"')");
    const char *body = p->text + start + 1;
    size_t n = i - start - 1;
    const char *decoded = body;
    if (esc) {
        p->scratch.len = 0;
        int rc = ltl__json_unescape(&p->scratch, body, n);
        if (rc)
            return rc;
        decoded = p->scratch.data;
        n = p->scratch.len;
    }
    t->text = arena_strndup(p->q->arena, decoded, n);
    if (!t->text)
        return LTL_ENOMEM;
    t->len = n;
    t->quoted = true;
    t->type = LTL_JSON_STRING;
    p->pos = i + 1;
    return LTL_OK;
}

/* Read a value token after `what` (an operator, "'['" or "','"). */
static int read_token(struct parser *p, struct token *t, const char *what)
{
    skip_ws(p);
    *t = (struct token){.pos = p->pos};
    char want[64];
    snprintf(want, sizeof(want), "a value after %s", what);
    if (p->pos >= p->len)
        return expected(p, p->pos, want);
    unsigned char c = (unsigned char)p->text[p->pos];
    if (c == '"')
        return read_string(p, t);
    if (c == '\'')
        return perr(p, p->pos, "strings are written in double quotes: \"...\"");
    size_t n = word_run(p, p->pos);
    if (n == 0)
        return expected(p, p->pos, want);
    const char *w = p->text + p->pos;
    bool exact = false;
    const char *kw = keyword(w, n, &exact);
    if (kw && exact && strcmp(kw, "true") != 0 && strcmp(kw, "false") != 0 &&
        strcmp(kw, "null") != 0)
        return perr(p, p->pos, "expected %s, found keyword '%s' (quote a string: \"%s\")", want, kw,
                    kw);
    t->text = arena_strndup(p->q->arena, w, n);
    if (!t->text)
        return LTL_ENOMEM;
    t->len = n;
    ltl__num num;
    if (kw && exact)
        t->type = !strcmp(kw, "true")    ? LTL_JSON_TRUE
                  : !strcmp(kw, "false") ? LTL_JSON_FALSE
                                         : LTL_JSON_NULL;
    else if (ltl__num_parse(&num, w, n) == LTL_OK)
        t->type = LTL_JSON_NUMBER;
    else
        t->type = LTL_JSON_STRING;
    p->pos += n;
    return LTL_OK;
}

/* A number value from text already known to be a JSON number. */
static int set_number(ltl__value *v, const char *text, size_t len)
{
    v->type = LTL_JSON_NUMBER;
    v->text = text;
    v->len = len;
    return ltl__num_parse(&v->num, text, len);
}

static const char *type_name(int type)
{
    switch (type) {
    case LTL_JSON_NUMBER:
        return "a number";
    case LTL_JSON_STRING:
        return "a string";
    case LTL_JSON_TRUE:
        return "true";
    case LTL_JSON_FALSE:
        return "false";
    default:
        return "null";
    }
}

/* ltl_time_parse(), kept from the inputs where it overflows int64 (core/time.c does not
 * check: a year outside 1678..2261, now plus a large relative amount). Returns LTL_OK,
 * LTL_EPARSE (not a time), or 1 (a time, but not one int64 ns can hold). */
static int parse_time(int64_t *out, const char *text, int64_t now)
{
    if (text[0] == '+' || text[0] == '-') {
        int64_t amount;
        if (ltl_time_parse(&amount, text, 0) != LTL_OK)
            return LTL_EPARSE;
        return __builtin_add_overflow(now, amount, out) ? 1 : LTL_OK;
    }
    int year = 0, i = 0;
    for (; i < 4 && text[i] >= '0' && text[i] <= '9'; i++)
        year = year * 10 + (text[i] - '0');
    if (i == 4 && text[4] == '-' && (year < 1678 || year > 2261))
        return 1;
    return ltl_time_parse(out, text, now);
}

/* Turn a token into the value a comparison on `node` (its field) uses. */
static int make_value(struct parser *p, const ltl__query_node *node, const struct token *t,
                      ltl__value *v)
{
    const char *field = field_names[node->field];
    switch (node->field) {
    case LTL__QUERY_SEQ:
    case LTL__QUERY_PID:
    case LTL__QUERY_MANIFEST:
        if (t->type != LTL_JSON_NUMBER || t->quoted)
            return perr(p, t->pos, "@%s compares with numbers, found %s", field,
                        type_name(t->type));
        return set_number(v, t->text, t->len);
    case LTL__QUERY_TS: {
        if (t->type == LTL_JSON_NUMBER && !t->quoted)
            return set_number(v, t->text, t->len);
        if (t->type != LTL_JSON_STRING && !t->quoted)
            return perr(p, t->pos, "@ts compares with times, found %s", type_name(t->type));
        int64_t ts;
        int r = strlen(t->text) == t->len ? parse_time(&ts, t->text, p->now) : LTL_EPARSE;
        if (r == 1)
            return perr(p, t->pos, "time '%.*s' is out of range (years 1678 to 2261)",
                        (int)cut_utf8(t->text, t->len, 40), t->text);
        if (r != LTL_OK)
            return perr(p, t->pos,
                        "bad time '%.*s' for @ts (ISO 8601 like 2026-11-21T10:00Z, -15m, "
                        "today, yesterday, now, @<ns>, or ns as a number)",
                        (int)cut_utf8(t->text, t->len, 40), t->text);
        char num[24];
        int n = snprintf(num, sizeof(num), "%lld", (long long)ts);
        char *text = arena_strndup(p->q->arena, num, (size_t)n);
        if (!text)
            return LTL_ENOMEM;
        return set_number(v, text, (size_t)n);
    }
    case LTL__QUERY_TOPIC:
    case LTL__QUERY_USER:
    case LTL__QUERY_HOST:
        if (t->type != LTL_JSON_STRING && t->type != LTL_JSON_NUMBER && !t->quoted)
            return perr(p, t->pos, "@%s compares with strings, found %s", field,
                        type_name(t->type));
        /* a bare number is the string of its text: @topic == 2024 */
        v->type = LTL_JSON_STRING;
        v->text = t->text;
        v->len = t->len;
        return LTL_OK;
    default:
        break;
    }
    v->type = t->type;
    v->text = t->text;
    v->len = t->len;
    if (t->type == LTL_JSON_NUMBER)
        return set_number(v, t->text, t->len);
    return LTL_OK;
}

/* ---- grammar -------------------------------------------------------------------------------- */

static int parse_or(struct parser *p, ltl__query_node **out);

/* A growing list of children, merged into the arena at the end. */
struct list {
    ltl__query_node **items;
    size_t n, cap;
};

static int list_push(struct list *l, ltl__query_node *node, int kind)
{
    /* a nested group of the same kind merges: (a and b) and c has three children */
    size_t add = node->kind == kind ? node->nchildren : 1;
    if (l->cap - l->n < add) {
        size_t cap = l->cap ? l->cap * 2 : 4;
        while (cap - l->n < add)
            cap *= 2;
        ltl__query_node **items = ltl__realloc(l->items, cap * sizeof(*items));
        if (!items)
            return LTL_ENOMEM;
        l->items = items;
        l->cap = cap;
    }
    if (node->kind == kind)
        for (size_t i = 0; i < add; i++)
            l->items[l->n++] = node->children[i];
    else
        l->items[l->n++] = node;
    return LTL_OK;
}

/* The node for a list: its only item, or a group of `kind`. */
static int list_finish(struct parser *p, struct list *l, int kind, size_t pos,
                       ltl__query_node **out)
{
    if (l->n == 1) {
        *out = l->items[0];
        return LTL_OK;
    }
    ltl__query_node *node = node_new(p, kind, pos);
    ltl__query_node **children = arena_alloc(p->q->arena, l->n * sizeof(*children));
    if (!node || !children)
        return LTL_ENOMEM;
    for (size_t i = 0; i < l->n; i++)
        children[i] = l->items[i];
    node->children = children;
    node->nchildren = l->n;
    *out = node;
    return LTL_OK;
}

static int enter(struct parser *p, size_t pos)
{
    if (++p->depth > LTL__QUERY_MAX_DEPTH)
        return perr(p, pos, "nesting deeper than %d levels of '(' and 'not'", LTL__QUERY_MAX_DEPTH);
    return LTL_OK;
}

/* A keyword spelled in another case where a condition starts: say how to write it. */
static int check_keyword_case(struct parser *p, size_t pos)
{
    size_t n = bare_run(p, pos);
    bool exact;
    const char *kw = n ? keyword(p->text + pos, n, &exact) : NULL;
    if (kw && !exact)
        return perr(p, pos,
                    "'%.*s': keywords are lowercase ('%s'); quote a key of that name: "
                    "[\"%.*s\"]",
                    (int)n, p->text + pos, kw, (int)n, p->text + pos);
    return LTL_OK;
}

/* A keyword directly followed by '.' or '[' reads as a path the user meant to write. */
static int check_keyword_path(struct parser *p, size_t pos, size_t n)
{
    size_t after = pos + n;
    if (after < p->len && (p->text[after] == '.' || p->text[after] == '['))
        return perr(p, pos, "'%.*s' is a keyword; quote a key of that name: [\"%.*s\"]", (int)n,
                    p->text + pos, (int)n, p->text + pos);
    return LTL_OK;
}

static int parse_atom(struct parser *p, ltl__query_node **out)
{
    skip_ws(p);
    size_t start = p->pos;
    char want[64];
    snprintf(want, sizeof(want), "a condition%s%s", p->after ? " after " : "",
             p->after ? p->after : "");
    if (p->pos >= p->len)
        return expected(p, p->pos, want);
    unsigned char c = (unsigned char)p->text[p->pos];
    int rc;

    if (c == '(') {
        if ((rc = enter(p, start)))
            return rc;
        p->pos++;
        p->after = "'('";
        if ((rc = parse_or(p, out)))
            return rc;
        skip_ws(p);
        if (p->pos >= p->len || p->text[p->pos] != ')') {
            char what[64];
            snprintf(what, sizeof(what), "')' to close the '(' at column %zu", start + 1);
            return expected(p, p->pos, what);
        }
        p->pos++;
        p->depth--;
        return LTL_OK;
    }
    if (c == '"')
        return perr(p, start, "a path is not a string: write a quoted key as [\"...\"]");
    if ((rc = check_keyword_case(p, start)))
        return rc;

    ltl__query_node *node = node_new(p, LTL__QUERY_CMP, start);
    if (!node)
        return LTL_ENOMEM;
    if (keyword_at(p, start, "exists")) {
        if ((rc = check_keyword_path(p, start, 6)))
            return rc;
        node->kind = LTL__QUERY_EXISTS;
        p->pos += 6;
        skip_ws(p);
        if (p->pos >= p->len ||
            !(p->text[p->pos] == '@' || p->text[p->pos] == '[' || p->text[p->pos] == '.' ||
              is_bare((unsigned char)p->text[p->pos])))
            return expected(p, p->pos, "a path after 'exists'");
        if ((rc = parse_path(p, node)))
            return rc;
        *out = node;
        return LTL_OK;
    }
    if (!(c == '@' || c == '[' || c == '.' || is_bare(c)))
        return expected(p, p->pos, want);
    size_t n = bare_run(p, start);
    bool exact;
    const char *kw = n ? keyword(p->text + start, n, &exact) : NULL;
    if (kw) {
        char found[96];
        describe_at(found, sizeof(found), p, start);
        return perr(p, start, "expected %s, found %s", want, found);
    }
    if ((rc = parse_path(p, node)))
        return rc;

    /* the operator */
    skip_ws(p);
    size_t op_pos = p->pos;
    const char *s = p->text + p->pos;
    size_t left = p->len - p->pos;
    int op = 0;
    size_t op_len = 0;
    if (left >= 2 && s[0] == '=' && s[1] == '=')
        op = LTL__QUERY_EQ, op_len = 2;
    else if (left >= 1 && s[0] == '=')
        op = LTL__QUERY_EQ, op_len = 1;
    else if (left >= 2 && s[0] == '!' && s[1] == '=')
        op = LTL__QUERY_NE, op_len = 2;
    else if (left >= 2 && s[0] == '<' && s[1] == '=')
        op = LTL__QUERY_LE, op_len = 2;
    else if (left >= 1 && s[0] == '<')
        op = LTL__QUERY_LT, op_len = 1;
    else if (left >= 2 && s[0] == '>' && s[1] == '=')
        op = LTL__QUERY_GE, op_len = 2;
    else if (left >= 1 && s[0] == '>')
        op = LTL__QUERY_GT, op_len = 1;
    else if (left >= 1 && s[0] == '~')
        op = LTL__QUERY_MATCH, op_len = 1;
    if (!op && keyword_at(p, p->pos, "in")) {
        node->kind = LTL__QUERY_IN;
        p->pos += 2;
        skip_ws(p);
        if (p->pos >= p->len || p->text[p->pos] != '[')
            return expected(p, p->pos, "'[' after 'in'");
        size_t list_pos = p->pos++;
        struct token *tokens = NULL;
        size_t nt = 0, cap = 0;
        rc = LTL_OK;
        skip_ws(p);
        if (p->pos < p->len && p->text[p->pos] == ']') {
            p->pos++;
        } else {
            for (;;) {
                if (nt == cap) {
                    cap = cap ? cap * 2 : 8;
                    struct token *grown = ltl__realloc(tokens, cap * sizeof(*tokens));
                    if (!grown) {
                        rc = LTL_ENOMEM;
                        break;
                    }
                    tokens = grown;
                }
                if ((rc = read_token(p, &tokens[nt], nt ? "','" : "'['")))
                    break;
                nt++;
                skip_ws(p);
                if (p->pos < p->len && p->text[p->pos] == ',') {
                    p->pos++;
                    continue;
                }
                if (p->pos < p->len && p->text[p->pos] == ']') {
                    p->pos++;
                    break;
                }
                char what[80];
                snprintf(what, sizeof(what), "',' or ']' to close the '[' at column %zu",
                         list_pos + 1);
                rc = expected(p, p->pos, what);
                break;
            }
        }
        ltl__value *values = NULL;
        if (rc == LTL_OK && nt) {
            values = arena_alloc(p->q->arena, nt * sizeof(*values));
            if (!values)
                rc = LTL_ENOMEM;
        }
        for (size_t i = 0; i < nt && rc == LTL_OK; i++)
            rc = make_value(p, node, &tokens[i], &values[i]);
        ltl__free(tokens);
        if (rc)
            return rc;
        node->values = values;
        node->nvalues = nt;
        *out = node;
        return LTL_OK;
    }
    if (!op) {
        char what[160];
        snprintf(what, sizeof(what), "an operator (== != < <= > >= ~ in) after '%.*s'",
                 (int)cut_utf8(path_shown(node), strlen(path_shown(node)), 40), path_shown(node));
        return expected(p, op_pos, what);
    }
    p->pos += op_len;
    char what[8];
    snprintf(what, sizeof(what), "'%.*s'", (int)op_len, s);
    struct token t;
    if ((rc = read_token(p, &t, what)))
        return rc;
    ltl__value *value = arena_alloc(p->q->arena, sizeof(*value));
    if (!value)
        return LTL_ENOMEM;
    if (op == LTL__QUERY_MATCH) {
        /* the pattern is the string, or the word as written (a ~ 12 is the pattern "12") */
        if (strlen(t.text) != t.len)
            return perr(p, t.pos, "a regex cannot contain NUL");
        struct ltl__query_regex_entry *entry = arena_alloc(p->q->arena, sizeof(*entry));
        if (!entry)
            return LTL_ENOMEM;
        char err[200];
        rc = ltl__query_regex_compile(&node->regex, t.text, err, sizeof(err));
        if (rc == LTL_EPARSE)
            return perr(p, t.pos, "bad regex: %s", err);
        if (rc)
            return rc;
        entry->regex = node->regex;
        entry->next = p->q->regexes;
        p->q->regexes = entry;
        value->type = LTL_JSON_STRING;
        value->text = t.text;
        value->len = t.len;
    } else if ((rc = make_value(p, node, &t, value))) {
        return rc;
    }
    node->op = op;
    node->values = value;
    node->nvalues = 1;
    *out = node;
    return LTL_OK;
}

static int parse_not(struct parser *p, ltl__query_node **out)
{
    skip_ws(p);
    if (!keyword_at(p, p->pos, "not"))
        return parse_atom(p, out);
    size_t start = p->pos;
    int rc = check_keyword_path(p, start, 3);
    if (rc == LTL_OK)
        rc = enter(p, start);
    if (rc)
        return rc;
    p->pos += 3;
    p->after = "'not'";
    ltl__query_node *child = NULL;
    if ((rc = parse_not(p, &child)))
        return rc;
    p->depth--;
    ltl__query_node *node = node_new(p, LTL__QUERY_NOT, start);
    ltl__query_node **children = arena_alloc(p->q->arena, sizeof(*children));
    if (!node || !children)
        return LTL_ENOMEM;
    children[0] = child;
    node->children = children;
    node->nchildren = 1;
    *out = node;
    return LTL_OK;
}

/* Can a condition start at pos? */
static bool starts_condition(const struct parser *p, size_t pos)
{
    if (pos >= p->len)
        return false;
    unsigned char c = (unsigned char)p->text[pos];
    return c == '(' || c == '@' || c == '[' || c == '.' || c == '"' || is_bare(c);
}

static int parse_and(struct parser *p, ltl__query_node **out)
{
    skip_ws(p);
    size_t start = p->pos;
    struct list l = {0};
    ltl__query_node *node = NULL;
    int rc = parse_not(p, &node);
    if (rc == LTL_OK)
        rc = list_push(&l, node, LTL__QUERY_AND);
    while (rc == LTL_OK) {
        skip_ws(p);
        if (p->pos >= p->len || p->text[p->pos] == ')' || keyword_at(p, p->pos, "or"))
            break;
        if (keyword_at(p, p->pos, "and")) {
            p->pos += 3;
            p->after = "'and'";
        } else if (!starts_condition(p, p->pos)) {
            rc = expected(p, p->pos,
                          p->depth ? "'and', 'or', ')' or a condition"
                                   : "'and', 'or', a condition or the end");
            break;
        } else {
            p->after = NULL; /* an implicit 'and' */
        }
        if ((rc = parse_not(p, &node)) == LTL_OK)
            rc = list_push(&l, node, LTL__QUERY_AND);
    }
    if (rc == LTL_OK)
        rc = list_finish(p, &l, LTL__QUERY_AND, start, out);
    ltl__free(l.items);
    return rc;
}

static int parse_or(struct parser *p, ltl__query_node **out)
{
    skip_ws(p);
    size_t start = p->pos;
    struct list l = {0};
    ltl__query_node *node = NULL;
    int rc = parse_and(p, &node);
    if (rc == LTL_OK)
        rc = list_push(&l, node, LTL__QUERY_OR);
    while (rc == LTL_OK) {
        skip_ws(p);
        if (!keyword_at(p, p->pos, "or"))
            break;
        p->pos += 2;
        p->after = "'or'";
        if ((rc = parse_and(p, &node)) == LTL_OK)
            rc = list_push(&l, node, LTL__QUERY_OR);
    }
    if (rc == LTL_OK)
        rc = list_finish(p, &l, LTL__QUERY_OR, start, out);
    ltl__free(l.items);
    return rc;
}

/* ---- the evaluator's tables ------------------------------------------------------------------ */

static void collect_leaves(ltl__query_node *node, ltl__query_node **leaves, size_t *n)
{
    if (node->kind == LTL__QUERY_AND || node->kind == LTL__QUERY_OR ||
        node->kind == LTL__QUERY_NOT) {
        for (size_t i = 0; i < node->nchildren; i++)
            collect_leaves(node->children[i], leaves, n);
        return;
    }
    node->term = (uint32_t)*n;
    if (leaves)
        leaves[*n] = node;
    (*n)++;
}

static size_t table_size_for(size_t n)
{
    size_t size = 8;
    while (size < 2 * n)
        size *= 2;
    return size;
}

/* Index the payload paths: slots (one per distinct path) and groups (one per wildcard). */
static int build_tables(ltl__query *q)
{
    struct ltl__query_arena *a = q->arena;
    size_t n = 0;
    collect_leaves(q->root, NULL, &n);
    q->leaves = arena_alloc(a, n * sizeof(*q->leaves));
    if (!q->leaves)
        return LTL_ENOMEM;
    q->nleaves = 0;
    collect_leaves(q->root, q->leaves, &q->nleaves);

    /* slots: distinct payload paths, found through a temporary hash table */
    size_t size = table_size_for(n);
    uint32_t *slot_table = arena_alloc(a, size * sizeof(*slot_table));
    uint32_t *leaf_slot = arena_alloc(a, (n ? n : 1) * sizeof(*leaf_slot));
    q->slots = arena_alloc(a, (n ? n : 1) * sizeof(*q->slots));
    if (!slot_table || !leaf_slot || !q->slots)
        return LTL_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        const ltl__query_node *leaf = q->leaves[i];
        if (leaf->field != LTL__QUERY_PAYLOAD)
            continue;
        q->needs_payload = true;
        if (leaf->kind == LTL__QUERY_EXISTS ||
            (leaf->kind == LTL__QUERY_CMP && leaf->op == LTL__QUERY_NE))
            q->needs_containers = true;
        size_t at = ltl__hash64(leaf->path, leaf->path_len) & (size - 1);
        while (slot_table[at]) {
            const ltl__query_slot *s = &q->slots[slot_table[at] - 1];
            if (s->path_len == leaf->path_len && !memcmp(s->path, leaf->path, s->path_len))
                break;
            at = (at + 1) & (size - 1);
        }
        if (!slot_table[at]) {
            ltl__query_slot *s = &q->slots[q->nslots++];
            slot_table[at] = (uint32_t)q->nslots;
            s->path = leaf->path;
            s->path_len = leaf->path_len;
            s->wildcard = leaf->wildcard;
            s->wildcard_len = leaf->wildcard_len;
            s->concrete = leaf->concrete;
        }
        leaf_slot[i] = slot_table[at] - 1;
        q->slots[leaf_slot[i]].nterms++;
    }
    for (size_t i = 0; i < q->nslots; i++) {
        ltl__query_slot *s = &q->slots[i];
        s->terms = arena_alloc(a, s->nterms * sizeof(*s->terms));
        if (!s->terms)
            return LTL_ENOMEM;
        s->nterms = 0;
        /* the index segments, for checking concrete indexes against events' paths */
        size_t pos = 0, k = 0;
        ltl__json_seg seg;
        while (ltl__json_path_next(&seg, s->path, s->path_len, &pos) == 1)
            k += seg.is_index;
        uint64_t *indexes = arena_alloc(a, (k ? k : 1) * sizeof(*indexes));
        if (!indexes)
            return LTL_ENOMEM;
        pos = 0;
        k = 0;
        while (ltl__json_path_next(&seg, s->path, s->path_len, &pos) == 1)
            if (seg.is_index)
                indexes[k++] = seg.wildcard ? UINT64_MAX : seg.index;
        s->indexes = indexes;
        s->nindexes = k;
    }
    for (size_t i = 0; i < n; i++)
        if (q->leaves[i]->field == LTL__QUERY_PAYLOAD) {
            ltl__query_slot *s = &q->slots[leaf_slot[i]];
            s->terms[s->nterms++] = (uint32_t)i;
        }

    /* groups: slots by wildcard, in the table the evaluator probes for every event */
    size = table_size_for(q->nslots);
    q->table = arena_alloc(a, size * sizeof(*q->table));
    q->table_mask = size - 1;
    q->groups = arena_alloc(a, (q->nslots ? q->nslots : 1) * sizeof(*q->groups));
    uint32_t *slot_group = arena_alloc(a, (q->nslots ? q->nslots : 1) * sizeof(*slot_group));
    if (!q->table || !q->groups || !slot_group)
        return LTL_ENOMEM;
    for (size_t i = 0; i < q->nslots; i++) {
        const ltl__query_slot *s = &q->slots[i];
        uint64_t h = ltl__hash64(s->wildcard, s->wildcard_len);
        size_t at = h & q->table_mask;
        while (q->table[at]) {
            const ltl__query_group *g = &q->groups[q->table[at] - 1];
            if (g->wildcard_len == s->wildcard_len &&
                !memcmp(g->wildcard, s->wildcard, s->wildcard_len))
                break;
            at = (at + 1) & q->table_mask;
        }
        if (!q->table[at]) {
            ltl__query_group *g = &q->groups[q->ngroups++];
            q->table[at] = (uint32_t)q->ngroups;
            g->wildcard = s->wildcard;
            g->wildcard_len = s->wildcard_len;
            g->hash = h;
            if (s->wildcard_len < 256)
                q->wildcard_lens[s->wildcard_len / 64] |= 1ULL << (s->wildcard_len % 64);
            else
                q->wildcard_lens[4] = 1;
        }
        slot_group[i] = q->table[at] - 1;
        q->groups[slot_group[i]].nslots++;
    }
    for (size_t i = 0; i < q->ngroups; i++) {
        ltl__query_group *g = &q->groups[i];
        g->slots = arena_alloc(a, g->nslots * sizeof(*g->slots));
        if (!g->slots)
            return LTL_ENOMEM;
        g->nslots = 0;
    }
    for (size_t i = 0; i < q->nslots; i++) {
        ltl__query_group *g = &q->groups[slot_group[i]];
        g->slots[g->nslots++] = (uint32_t)i;
    }
    return LTL_OK;
}

/* ---- entry points ------------------------------------------------------------------------------
 */

/* The first byte that is not valid UTF-8, or a control character outside whitespace. */
static int check_text(const struct parser *p)
{
    const unsigned char *s = (const unsigned char *)p->text, *end = s + p->len;
    for (const unsigned char *c = s; c < end;) {
        if (*c < 0x20 && !is_ws(*c))
            return perr(p, (size_t)(c - s), "control character 0x%02x in the query", *c);
        int n = ltl__utf8_seq_len(c, end);
        if (n == 0)
            return perr(p, (size_t)(c - s), "invalid UTF-8");
        c += n;
    }
    return LTL_OK;
}

int ltl__query_parse(ltl__query **out, const char *text, size_t len, int64_t now)
{
    *out = NULL;
    if (!text && len)
        return ltl__errf(LTL_EINVAL, "query text is NULL");
    if (len > LTL__QUERY_MAX_LEN)
        return ltl__errf(LTL_EPARSE, "column %d: the query is longer than %d bytes",
                         LTL__QUERY_MAX_LEN + 1, LTL__QUERY_MAX_LEN);
    struct parser p = {.text = text ? text : "", .len = len, .now = now};
    int rc = check_text(&p);
    if (rc)
        return rc;
    ltl__query *q = ltl__calloc(1, sizeof(*q));
    if (!q)
        return LTL_ENOMEM;
    q->arena = ltl__calloc(1, sizeof(*q->arena));
    if (!q->arena) {
        ltl__free(q);
        return LTL_ENOMEM;
    }
    p.q = q;
    ltl__query_node *root = NULL;
    rc = parse_or(&p, &root);
    if (rc == LTL_OK) {
        skip_ws(&p);
        if (p.pos < p.len)
            rc = p.text[p.pos] == ')' ? perr(&p, p.pos, "unexpected ')' (no '(' to close)")
                                      : expected(&p, p.pos, "'and', 'or', a condition or the end");
    }
    q->root = root;
    if (rc == LTL_OK)
        rc = build_tables(q);
    ltl__buf_free(&p.scratch);
    if (rc) {
        ltl__query_free(q);
        return rc;
    }
    *out = q;
    return LTL_OK;
}

void ltl__query_free(ltl__query *q)
{
    if (!q)
        return;
    for (struct ltl__query_regex_entry *e = q->regexes; e; e = e->next)
        ltl__query_regex_free(e->regex);
    arena_free(q->arena);
    ltl__free(q);
}

const ltl__query_node *ltl__query_root(const ltl__query *q)
{
    return q->root;
}

bool ltl__query_needs_payload(const ltl__query *q)
{
    return q->needs_payload;
}
