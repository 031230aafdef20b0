/* SPDX-License-Identifier: MIT */
/*
 * match.c — evaluating a parsed query on one record without a document
 * tree. Envelope terms are decided first; when they leave the answer open,
 * one streaming parse of the payload feeds every payload term: each event's
 * wildcard path is looked up in the query's table of wanted paths (a length
 * bitmap, then a hash), concrete indexes are checked, and each term on that
 * path records whether some value satisfied it (ANY semantics). Whenever a
 * term changes, the tree is evaluated in three-valued logic (true, false,
 * not yet known) and the parse stops as soon as the answer is known. Also
 * the POSIX regex helpers, run in the C.UTF-8 locale whatever the
 * program's locale is.
 */
#include "query/query.h"

#include "json/json.h"

#include <limits.h>
#include <locale.h>
#include <pthread.h>
#include <regex.h>
#include <stdio.h>

#ifndef REG_STARTEND
#error "regexec() with REG_STARTEND is needed (glibc, the BSDs and macOS have it)"
#endif

/* ---- comparing values ------------------------------------------------------------------ */

static int type_class(int type)
{
    return type == LTL_JSON_TRUE ? LTL_JSON_FALSE : type;
}

bool ltl__query_holds(int op, const ltl__value *x, const ltl__value *v)
{
    if (type_class(x->type) != type_class(v->type))
        return false;
    int c = ltl__value_compare(x, v);
    switch (op) {
    case LTL__QUERY_EQ:
        return c == 0;
    case LTL__QUERY_LT:
        return c < 0;
    case LTL__QUERY_LE:
        return c <= 0;
    case LTL__QUERY_GT:
        return c > 0;
    case LTL__QUERY_GE:
        return c >= 0;
    default:
        return false;
    }
}

/* ---- regular expressions ----------------------------------------------------------------- */

static pthread_once_t utf8_once = PTHREAD_ONCE_INIT;
static locale_t utf8_locale;

static void utf8_init(void)
{
    utf8_locale = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
}

/* Switch this thread to C.UTF-8 (when the system has it); returns what to switch back to. */
static locale_t enter_utf8(void)
{
    pthread_once(&utf8_once, utf8_init);
    return utf8_locale ? uselocale(utf8_locale) : (locale_t)0;
}

static void leave_utf8(locale_t old)
{
    if (old)
        uselocale(old);
}

/* What regcomp() would expand a pattern to, roughly, or a reason to refuse it. glibc
 * copies the operand of a{m,n} n times and turns a+ into aa*, so repetitions of repetitions
 * multiply (x+++++++++ doubles with each '+'): a 100-byte pattern could take gigabytes.
 * POSIX leaves adjacent repetition symbols undefined, and back-references (a glibc
 * extension to EREs) can take exponential time: both are refused. Returns true when the
 * pattern may be compiled; else writes the reason to err. */
static bool regex_acceptable(const char *pat, char *err, size_t errlen)
{
    enum { MAX_GROUPS = 64 };
    uint64_t saved[MAX_GROUPS];
    int depth = 0;
    uint64_t cur = 0, last = 0; /* items so far in this group; items of the last operand */
    bool operand = false, repeated = false;
    for (size_t i = 0; pat[i]; i++) {
        char c = pat[i];
        uint64_t factor = 0; /* a repetition: how many copies of the operand it makes */
        if (c == '*' || c == '?') {
            factor = 1;
        } else if (c == '+') {
            factor = 2;
        } else if (c == '{' && operand) {
            uint64_t m = 0, n = 0;
            size_t k = i + 1;
            bool comma = false, digits = false;
            for (; pat[k] && pat[k] != '}'; k++) {
                if (pat[k] == ',' && !comma) {
                    comma = true;
                } else if (pat[k] >= '0' && pat[k] <= '9') {
                    uint64_t *v = comma ? &n : &m;
                    *v = *v > 100000 ? *v : *v * 10 + (uint64_t)(pat[k] - '0');
                    digits = true;
                } else {
                    break;
                }
            }
            if (pat[k] == '}' && digits) {
                factor = comma ? (n ? n : m + 1) : m;
                factor = factor ? factor : 1;
                i = k;
            }
        }
        if (factor && operand) {
            if (repeated) {
                snprintf(err, errlen, "a repetition cannot follow a repetition (at '%c')", c);
                return false;
            }
            uint64_t grown = last * factor;
            cur = cur - last + grown;
            last = grown;
            repeated = true;
        } else if (c == '(') {
            if (depth == MAX_GROUPS) {
                snprintf(err, errlen, "groups nested deeper than %d", MAX_GROUPS);
                return false;
            }
            saved[depth++] = cur;
            cur = 0;
            operand = repeated = false;
            continue;
        } else if (c == ')' && depth > 0) {
            last = cur ? cur : 1;
            cur = saved[--depth] + last;
            operand = true;
            repeated = false;
        } else if (c == '|') {
            operand = repeated = false;
            continue;
        } else {
            if (c == '\\' && pat[i + 1] >= '1' && pat[i + 1] <= '9') {
                snprintf(err, errlen, "back-references (\\%c) are not supported", pat[i + 1]);
                return false;
            }
            if (c == '\\' && pat[i + 1]) {
                i++;
            } else if (c == '[') {
                /* a bracket expression: []...] and [^]...] start with a literal ']' */
                size_t k = i + 1;
                if (pat[k] == '^')
                    k++;
                if (pat[k] == ']')
                    k++;
                while (pat[k] && pat[k] != ']') {
                    if (pat[k] == '[' &&
                        (pat[k + 1] == ':' || pat[k + 1] == '=' || pat[k + 1] == '.')) {
                        const char *close = strchr(pat + k + 2, pat[k + 1]);
                        k = close && close[1] == ']' ? (size_t)(close - pat) + 2 : k + 1;
                    } else {
                        k++;
                    }
                }
                i = pat[k] ? k : k - 1;
            }
            last = 1;
            cur++;
            operand = true;
            repeated = false;
        }
        uint64_t total = cur;
        for (int d = 0; d < depth; d++)
            total += saved[d];
        if (total > LTL__QUERY_REGEX_MAX_ITEMS) {
            snprintf(err, errlen, "its repetitions expand to more than %d items",
                     LTL__QUERY_REGEX_MAX_ITEMS);
            return false;
        }
    }
    return true;
}

int ltl__query_regex_compile(void **out, const char *pattern, char *err, size_t errlen)
{
    *out = NULL;
    char why[128];
    if (!regex_acceptable(pattern, why, sizeof(why))) {
        if (errlen)
            snprintf(err, errlen, "%s", why);
        return LTL_EPARSE;
    }
    regex_t *re = ltl__malloc(sizeof(*re));
    if (!re)
        return LTL_ENOMEM;
    locale_t old = enter_utf8();
    int r = regcomp(re, pattern, REG_EXTENDED | REG_NOSUB);
    leave_utf8(old);
    if (r == 0) {
        *out = re;
        return LTL_OK;
    }
    if (errlen)
        regerror(r, re, err, errlen);
    ltl__free(re);
    return r == REG_ESPACE ? LTL_ENOMEM : LTL_EPARSE;
}

void ltl__query_regex_free(void *regex)
{
    if (!regex)
        return;
    regfree(regex);
    ltl__free(regex);
}

bool ltl__query_regex_search(const void *regex, const char *text, size_t len)
{
    if (len > INT_MAX)
        return false; /* regoff_t is an int in glibc */
    regmatch_t m[1];
    m[0].rm_so = 0;
    m[0].rm_eo = (regoff_t)len;
    locale_t old = enter_utf8();
    /* REG_STARTEND: the text need not end in NUL and may contain NULs */
    int r = regexec(regex, text, 1, m, REG_STARTEND);
    leave_utf8(old);
    return r == 0;
}

/* ---- three-valued evaluation -------------------------------------------------------------- */

enum {
    ST_SAT = 1,     /* payload term: some value satisfied it (for !=: some value was equal) */
    ST_PRESENT = 2, /* payload !=: the path holds some value */
    ST_RESULT = 4,  /* envelope term: its final value */
};

enum { V_FALSE = 0, V_TRUE = 1, V_UNKNOWN = 2 };

/* A private callback code that stops the JSON parse once the answer is known. */
#define STOP_PARSE 0x5157

static int leaf_value(const ltl__query_node *leaf, uint8_t st, bool final)
{
    if (leaf->field != LTL__QUERY_PAYLOAD)
        return (st & ST_RESULT) ? V_TRUE : V_FALSE;
    if (leaf->kind == LTL__QUERY_CMP && leaf->op == LTL__QUERY_NE) {
        if (st & ST_SAT)
            return V_FALSE;
        if (!final)
            return V_UNKNOWN;
        return (st & ST_PRESENT) ? V_TRUE : V_FALSE;
    }
    if (st & ST_SAT)
        return V_TRUE;
    return final ? V_FALSE : V_UNKNOWN;
}

/* `final`: no more values will come, so terms not satisfied yet are false. */
static int eval3(const ltl__query_node *node, const uint8_t *state, bool final)
{
    int r, c;
    switch (node->kind) {
    case LTL__QUERY_AND:
        r = V_TRUE;
        for (size_t i = 0; i < node->nchildren; i++) {
            c = eval3(node->children[i], state, final);
            if (c == V_FALSE)
                return V_FALSE;
            if (c == V_UNKNOWN)
                r = V_UNKNOWN;
        }
        return r;
    case LTL__QUERY_OR:
        r = V_FALSE;
        for (size_t i = 0; i < node->nchildren; i++) {
            c = eval3(node->children[i], state, final);
            if (c == V_TRUE)
                return V_TRUE;
            if (c == V_UNKNOWN)
                r = V_UNKNOWN;
        }
        return r;
    case LTL__QUERY_NOT:
        c = eval3(node->children[0], state, final);
        return c == V_UNKNOWN ? V_UNKNOWN : !c;
    default:
        return leaf_value(node, state[node->term], final);
    }
}

/* ---- the matcher --------------------------------------------------------------------------------
 */

struct ltl__query_matcher {
    const ltl__query *q;
    ltl_json_parser *parser; /* NULL when no term reads the payload */
    uint8_t *state;          /* per leaf: ST_* */
    ltl__buf scratch;        /* the current event's decoded string */
    ltl__buf cstr;           /* the current event's text with a NUL, for regexes */
    int decided;             /* V_TRUE / V_FALSE when the parse stopped early */
    int rc;                  /* a failure inside the callback */
};

/* The value of the current event, decoded once for all the terms on its path. */
struct event_value {
    bool ready;
    bool scalar;
    ltl__value v;
    const char *cstr; /* v.text NUL-terminated, for regexec (made when a regex needs it) */
};

static int get_value(ltl__query_matcher *m, const ltl_json_event *ev, struct event_value *ev_value)
{
    if (ev_value->ready)
        return LTL_OK;
    ev_value->ready = true;
    if (ev->type == LTL_JSON_OBJECT || ev->type == LTL_JSON_ARRAY)
        return LTL_OK;
    int rc = ltl__value_from_json(&ev_value->v, ev->type, ev->value, ev->value_len, &m->scratch);
    if (rc == LTL_ENOMEM)
        return rc;
    ev_value->scalar = rc == LTL_OK;
    return LTL_OK;
}

/* Does a scalar value satisfy a (non-!=) term? For a regex, `cstr` is x's text ending in
 * NUL: sanitizers' regexec() reads up to a NUL whatever REG_STARTEND says. */
static bool value_satisfies(const ltl__query_node *leaf, const ltl__value *x, const char *cstr)
{
    if (leaf->kind == LTL__QUERY_IN) {
        for (size_t i = 0; i < leaf->nvalues; i++)
            if (ltl__query_holds(LTL__QUERY_EQ, x, &leaf->values[i]))
                return true;
        return false;
    }
    if (leaf->op == LTL__QUERY_MATCH) {
        /* strings by their decoded text, numbers by their text as written */
        if (x->type != LTL_JSON_STRING && x->type != LTL_JSON_NUMBER)
            return false;
        return ltl__query_regex_search(leaf->regex, cstr, x->len);
    }
    return ltl__query_holds(leaf->op, x, &leaf->values[0]);
}

/* Feed one event to a payload term. 1 when the term's value may have changed the answer,
 * 0 when not, or LTL_ENOMEM. */
static int feed_leaf(ltl__query_matcher *m, const ltl__query_node *leaf, const ltl_json_event *ev,
                     struct event_value *ev_value)
{
    uint8_t *st = &m->state[leaf->term];
    if (leaf->kind == LTL__QUERY_EXISTS) {
        if (*st & ST_SAT)
            return 0;
        *st |= ST_SAT;
        return 1;
    }
    bool ne = leaf->kind == LTL__QUERY_CMP && leaf->op == LTL__QUERY_NE;
    if (ne)
        *st |= ST_PRESENT; /* decides nothing before the end: no re-evaluation */
    if (*st & ST_SAT)
        return 0;
    int rc = get_value(m, ev, ev_value);
    if (rc)
        return rc;
    if (!ev_value->scalar)
        return 0;
    const ltl__value *x = &ev_value->v;
    if (leaf->op == LTL__QUERY_MATCH && !ev_value->cstr) {
        if (x->text == m->scratch.data) {
            ev_value->cstr = x->text; /* decoded: already ends in NUL */
        } else {
            m->cstr.len = 0;
            if ((rc = ltl__buf_append(&m->cstr, x->text, x->len)))
                return rc;
            ev_value->cstr = m->cstr.data;
        }
    }
    bool sat = ne ? ltl__query_holds(LTL__QUERY_EQ, x, &leaf->values[0])
                  : value_satisfies(leaf, x, ev_value->cstr);
    if (!sat)
        return 0;
    *st |= ST_SAT;
    return 1;
}

static const ltl__query_group *find_group(const ltl__query *q, const char *wildcard, size_t len)
{
    if (len < 256 ? !((q->wildcard_lens[len / 64] >> (len % 64)) & 1) : !q->wildcard_lens[4])
        return NULL;
    uint64_t h = ltl__hash64(wildcard, len);
    for (size_t at = h & q->table_mask; q->table[at]; at = (at + 1) & q->table_mask) {
        const ltl__query_group *g = &q->groups[q->table[at] - 1];
        if (g->hash == h && g->wildcard_len == len && !memcmp(g->wildcard, wildcard, len))
            return g;
    }
    return NULL;
}

/* The event's path has the slot's wildcard; do its indexes match the slot's? */
static bool indexes_match(const ltl__query_slot *slot, const char *path, size_t len)
{
    size_t pos = 0, k = 0;
    ltl__json_seg seg;
    while (ltl__json_path_next(&seg, path, len, &pos) == 1) {
        if (!seg.is_index)
            continue;
        if (k >= slot->nindexes ||
            (slot->indexes[k] != UINT64_MAX && slot->indexes[k] != seg.index))
            return false;
        k++;
    }
    return k == slot->nindexes;
}

static int on_event(void *ctx, const ltl_json_event *ev)
{
    ltl__query_matcher *m = ctx;
    const ltl__query *q = m->q;
    const ltl__query_group *g = find_group(q, ev->wildcard, ev->wildcard_len);
    if (!g)
        return 0;
    struct event_value ev_value = {0};
    bool changed = false;
    for (size_t i = 0; i < g->nslots; i++) {
        const ltl__query_slot *slot = &q->slots[g->slots[i]];
        if (slot->concrete && !indexes_match(slot, ev->path, ev->path_len))
            continue;
        for (size_t t = 0; t < slot->nterms; t++) {
            int r = feed_leaf(m, q->leaves[slot->terms[t]], ev, &ev_value);
            if (r < 0) {
                m->rc = r;
                return r;
            }
            changed |= r;
        }
    }
    if (changed) {
        int v = eval3(q->root, m->state, false);
        if (v != V_UNKNOWN) {
            m->decided = v;
            return STOP_PARSE;
        }
    }
    return 0;
}

int ltl__query_matcher_new(ltl__query_matcher **out, const ltl__query *q)
{
    *out = NULL;
    ltl__query_matcher *m = ltl__calloc(1, sizeof(*m));
    if (!m)
        return LTL_ENOMEM;
    m->q = q;
    m->state = ltl__calloc(q->nleaves ? q->nleaves : 1, 1);
    int rc = m->state ? LTL_OK : LTL_ENOMEM;
    if (rc == LTL_OK && q->needs_payload) {
        ltl_json_options opts = LTL_JSON_OPTIONS_INIT;
        opts.mode = LTL_JSON_MODE_DOCUMENT;
        opts.flags = LTL_JSON_EMIT_WILDCARD | (q->needs_containers ? LTL_JSON_EMIT_CONTAINERS : 0);
        rc = ltl_json_parser_new(&m->parser, &opts, on_event, m);
    }
    if (rc) {
        ltl__query_matcher_free(m);
        return rc;
    }
    *out = m;
    return LTL_OK;
}

void ltl__query_matcher_free(ltl__query_matcher *m)
{
    if (!m)
        return;
    ltl_json_parser_free(m->parser);
    ltl__buf_free(&m->scratch);
    ltl__buf_free(&m->cstr);
    ltl__free(m->state);
    ltl__free(m);
}

/* The value of an envelope field; false when the record does not have it. `buf` holds the
 * text of numbers (24 bytes). */
static bool envelope_value(ltl__value *v, const ltl__query_record *rec, int field, char *buf)
{
    int n = -1;
    const char *s = NULL;
    switch (field) {
    case LTL__QUERY_SEQ:
        n = snprintf(buf, 24, "%llu", (unsigned long long)rec->seq);
        break;
    case LTL__QUERY_TS:
        n = snprintf(buf, 24, "%lld", (long long)rec->ts);
        break;
    case LTL__QUERY_PID:
        if (!rec->has_pid)
            return false;
        n = snprintf(buf, 24, "%lld", (long long)rec->pid);
        break;
    case LTL__QUERY_MANIFEST:
        if (!rec->has_manifest)
            return false;
        n = snprintf(buf, 24, "%llu", (unsigned long long)rec->manifest);
        break;
    case LTL__QUERY_TOPIC:
        s = rec->topic;
        break;
    case LTL__QUERY_USER:
        s = rec->user;
        break;
    default:
        s = rec->host;
        break;
    }
    if (n >= 0) {
        *v = (ltl__value){.type = LTL_JSON_NUMBER, .text = buf, .len = (size_t)n};
        return ltl__num_parse(&v->num, buf, (size_t)n) == LTL_OK;
    }
    if (!s)
        return false;
    *v = (ltl__value){.type = LTL_JSON_STRING, .text = s, .len = strlen(s)};
    return true;
}

static bool envelope_term(const ltl__query_node *leaf, const ltl__query_record *rec)
{
    ltl__value v;
    char buf[24];
    if (!envelope_value(&v, rec, leaf->field, buf))
        return false;
    if (leaf->kind == LTL__QUERY_EXISTS)
        return true;
    if (leaf->kind == LTL__QUERY_CMP && leaf->op == LTL__QUERY_NE)
        return !ltl__query_holds(LTL__QUERY_EQ, &v, &leaf->values[0]);
    return value_satisfies(leaf, &v, v.text); /* envelope text ends in NUL */
}

int ltl__query_matcher_run(bool *out, ltl__query_matcher *m, const ltl__query_record *rec)
{
    const ltl__query *q = m->q;
    *out = false;
    memset(m->state, 0, q->nleaves);
    for (size_t i = 0; i < q->nleaves; i++) {
        const ltl__query_node *leaf = q->leaves[i];
        if (leaf->field != LTL__QUERY_PAYLOAD && envelope_term(leaf, rec))
            m->state[i] = ST_RESULT;
    }
    bool parse = q->needs_payload && rec->payload;
    int v = eval3(q->root, m->state, !parse);
    if (v != V_UNKNOWN) {
        *out = v == V_TRUE;
        return LTL_OK;
    }
    ltl_json_parser_reset(m->parser);
    m->rc = LTL_OK;
    int rc = ltl_json_parser_feed(m->parser, rec->payload, rec->payload_len);
    if (rc == LTL_OK)
        rc = ltl_json_parser_finish(m->parser);
    if (rc == STOP_PARSE) {
        *out = m->decided == V_TRUE;
        return LTL_OK;
    }
    if (m->rc)
        return m->rc;
    if (rc == LTL_ENOMEM)
        return rc;
    if (rc) {
        const ltl_json_error *err = ltl_json_parser_error(m->parser);
        return ltl__errf(LTL_EPARSE, "record %llu: the payload is not valid JSON: %s (byte %llu)",
                         (unsigned long long)rec->seq, err->message,
                         (unsigned long long)err->offset);
    }
    *out = eval3(q->root, m->state, true) == V_TRUE;
    return LTL_OK;
}

int ltl__query_match(bool *out, const ltl__query *q, const ltl__query_record *rec)
{
    ltl__query_matcher *m = NULL;
    *out = false;
    int rc = ltl__query_matcher_new(&m, q);
    if (rc == LTL_OK)
        rc = ltl__query_matcher_run(out, m, rec);
    ltl__query_matcher_free(m);
    return rc;
}
