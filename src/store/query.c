/* SPDX-License-Identifier: MIT */
/*
 * query.c — running a query against the store: the planner and executor.
 *
 * The planner narrows the seqs with the @seq/@ts range (times map to seqs by
 * binary search), then looks at the terms and-ed at the top of the query
 * that the index can answer (==, in, <, <=, >, >= on a payload path; @topic
 * ==), counts each one's postings up to a limit, and takes the most
 * selective as the driver: its seqs, below the index's high-water mark, are
 * the candidates. Records past the high-water mark (not indexed yet) are
 * scanned. Every candidate is checked against the whole query by the
 * matcher, which also re-checks what the index cannot decide exactly (lossy
 * keys, concrete array indexes). Without a usable term the range is scanned.
 */
#include "index/index.h"
#include "query/query.h"
#include "store/store.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#define COUNT_LIMIT 20000 /* postings counted per term at most when planning */

struct ltl_query {
    ltl_db *db;
    ltl__query *q;
    ltl__query_matcher *m;
    unsigned flags;
    uint64_t seq_lo, seq_hi; /* the range a record must be in */
    bool empty;
    /* the index part: candidates below hwm, ascending */
    struct ltl__index_snap *snap;
    uint64_t hwm;
    uint64_t *cand;
    size_t ncand, cand_cap, ci;
    bool use_index;
    /* the scan part: [scan_lo, seq_hi] */
    uint64_t scan_lo;
    ltl_cursor *scan;
    bool scan_started;
    int phase;         /* forward: 0 candidates, 1 scan; reverse: 0 scan, 1 candidates */
    ltl_record *owned; /* the candidate record returned last */
    ltl__buf explain;
    bool explain_lag; /* the explain text still needs its line on the records not indexed */
};

void ltl_query_options_init(ltl_query_options *opts)
{
    if (opts)
        *opts = (ltl_query_options){
            LTL_QUERY_OPTIONS_VERSION, 0, INT64_MIN, INT64_MAX, NULL, 0, UINT64_MAX};
}

int ltl__index_for_reading(ltl_db *db, struct ltl__index **out)
{
    *out = NULL;
    if (db->writer)
        return ltl__indexer_index(db, out);
    int rc = LTL_OK;
    pthread_mutex_lock(&db->index_mu);
    if (!db->index) {
        rc = ltl__index_open_for(db, false, &db->index);
        if (rc == LTL_ENOTFOUND || rc == LTL_EVERSION) {
            /* none yet, or another version: the writer rebuilds it */
            if (rc == LTL_EVERSION)
                ltl__log(&db->log, LTL_LOG_WARN, "the index is not used (%s): queries scan the log",
                         ltl__err_current());
            ltl__err_restate();
            rc = LTL_OK;
        }
    }
    *out = db->index;
    pthread_mutex_unlock(&db->index_mu);
    return rc;
}

/* The index to read for a query; none when it cannot be used: derived data, so the
 * query scans, and a writer rebuilds it. */
static int index_for(ltl_db *db, struct ltl__index **out, bool *damaged)
{
    int rc = ltl__index_for_reading(db, out);
    if (damaged)
        *damaged = rc == LTL_ECORRUPT;
    if (rc && rc != LTL_ENOMEM) {
        ltl__log(&db->log, LTL_LOG_WARN,
                 rc == LTL_ECORRUPT
                     ? "%s: answering by scanning the log; the next writer rebuilds it"
                     : "the index is not used (%s): queries scan the log",
                 ltl__err_current());
        ltl__err_restate();
        rc = LTL_OK;
    }
    return rc;
}

/* ---- candidates ---------------------------------------------------------- */

struct collect {
    struct ltl_query *qy;
    uint64_t n;
};

static int add_cand(void *vctx, uint64_t seq)
{
    struct collect *c = vctx;
    struct ltl_query *qy = c->qy;
    if (qy->ncand == qy->cand_cap) {
        size_t cap = qy->cand_cap ? qy->cand_cap * 2 : 1024;
        uint64_t *nc = ltl__realloc(qy->cand, cap * sizeof(*nc));
        if (!nc)
            return ltl__errf(LTL_ENOMEM, "out of memory");
        qy->cand = nc;
        qy->cand_cap = cap;
    }
    qy->cand[qy->ncand++] = seq;
    c->n++;
    return LTL_OK;
}

/* One term the index can answer: value-key intervals, each under a path id (the
 * path among plaintext records, and for an equality also among sealed records,
 * whose values are tokens). No interval: no candidates. */
struct term {
    const ltl__query_node *node;
    const ltl__query_node *upper; /* node > or >= a, upper < or <= b: one interval */
    bool explain;                 /* its text is wanted (LTL_QUERY_EXPLAIN) */
    size_t nranges;
    struct krange {
        uint32_t path;
        ltl__buf lo, hi;
        bool lo_incl, hi_incl;
    } r[2 * 64];
    uint64_t estimate;
    /* the seqs met while counting: every one of them when estimate < COUNT_LIMIT,
     * so the chosen term is not walked twice */
    uint64_t *seqs;
    size_t nseqs, seqs_cap;
};

static void term_free(struct term *t)
{
    for (size_t i = 0; i < t->nranges; i++) {
        ltl__buf_free(&t->r[i].lo);
        ltl__buf_free(&t->r[i].hi);
    }
    ltl__free(t->seqs);
    t->seqs = NULL;
}

/* The key bounds of a type: keys of one type share their first byte. */
static int type_bounds(int type, unsigned char *lo, unsigned char *hi)
{
    switch (type) {
    case LTL_JSON_NUMBER:
        *lo = 0x10;
        *hi = 0x13;
        return 0;
    case LTL_JSON_STRING:
        *lo = 0x20;
        *hi = 0x21;
        return 0;
    case LTL_JSON_FALSE:
    case LTL_JSON_TRUE:
        *lo = 0x30;
        *hi = 0x32;
        return 0;
    default:
        *lo = 0x40;
        *hi = 0x41;
        return 0;
    }
}

/* Count a term's postings, keeping their seqs. */
static int keep_seq(void *vctx, uint64_t seq)
{
    struct term *t = vctx;
    if (t->nseqs == t->seqs_cap) {
        size_t cap = t->seqs_cap ? t->seqs_cap * 2 : 64;
        uint64_t *n = ltl__realloc(t->seqs, cap * sizeof(*n));
        if (!n)
            return ltl__errf(LTL_ENOMEM, "out of memory");
        t->seqs = n;
        t->seqs_cap = cap;
    }
    t->seqs[t->nseqs++] = seq;
    return LTL_OK;
}

/* The key of a query value (@topic == 2024 means the text). */
static int value_key(ltl__buf *key, ltl__value *vv, const ltl__query_node *n,
                     const ltl__value *v)
{
    *vv = *v;
    if (n->field == LTL__QUERY_TOPIC && v->type == LTL_JSON_NUMBER)
        vv->type = LTL_JSON_STRING;
    return ltl__value_key(key, vv);
}

/* Bound r below by key: > or >= (the whole group of a lossy key). */
static int bound_lo(struct krange *r, const ltl__buf *key, int op)
{
    size_t order = ltl__key_order_len(key->data, key->len);
    bool lossy = ltl__key_lossy(key->data, key->len);
    r->lo_incl = op == LTL__QUERY_GE || lossy;
    return ltl__buf_append(&r->lo, key->data, lossy ? order : key->len);
}

/* Bound r above by key: < or <= (up to the end of a lossy key's group). */
static int bound_hi(struct krange *r, const ltl__buf *key, int op)
{
    size_t order = ltl__key_order_len(key->data, key->len);
    if (ltl__key_lossy(key->data, key->len)) {
        r->hi_incl = true;
        int rc = ltl__buf_append(&r->hi, key->data, order);
        return rc ? rc : ltl__buf_append(&r->hi, "\xff\xff\xff\xff\xff\xff\xff\xff\xff", 9);
    }
    r->hi_incl = op == LTL__QUERY_LE;
    return ltl__buf_append(&r->hi, key->data, key->len);
}

/* Can the index answer node (with upper: node and upper as one interval)? Fill t. */
static int term_of(struct term *t, struct ltl__index_snap *snap, const ltl__query_node *n,
                   const ltl__query_node *upper, bool *usable)
{
    *usable = false;
    memset(t, 0, sizeof(*t));
    t->node = n;
    t->upper = upper;
    if (n->kind != LTL__QUERY_CMP && n->kind != LTL__QUERY_IN)
        return LTL_OK;
    struct ltl__index_path ref = {LTL__INDEX_TOPIC_PATH, LTL__INDEX_NO_PATH, false};
    bool equality = n->kind == LTL__QUERY_IN || n->op == LTL__QUERY_EQ;
    if (n->field == LTL__QUERY_TOPIC) {
        if (!equality)
            return LTL_OK;
    } else if (n->field == LTL__QUERY_PAYLOAD) {
        /* != and ~ are not answered from the index; != is true of containers, which the
         * index does not hold, so "no record has the path" proves nothing for it */
        if (n->kind == LTL__QUERY_CMP && (n->op == LTL__QUERY_NE || n->op == LTL__QUERY_MATCH))
            return LTL_OK;
        if (!ltl__index_path_indexed(snap, n->wildcard, n->wildcard_len))
            return LTL_OK;
        /* sealed records' values the handle could match but cannot look up: scan */
        if (ltl__index_snap_values(snap) == LTL__INDEX_VALUES_NONE)
            return LTL_OK;
        /* Without the read key the lookups reach plaintext records only, but a
         * sealed record's payload is not known not to match: that is no answer (the
         * scan refuses with LTL_EKEY, naming the record and the key; docs/TRUST.md) */
        if (ltl__index_snap_values(snap) == LTL__INDEX_VALUES_PLAIN && ltl__index_snap_sealed(snap))
            return LTL_OK;
        int rc = ltl__index_path_lookup(snap, n->wildcard, n->wildcard_len, &ref);
        if (rc)
            return rc;
        if (ref.plain == LTL__INDEX_NO_PATH && ref.sealed == LTL__INDEX_NO_PATH) {
            if (ltl__index_snap_capped(snap))
                return LTL_OK; /* may have come after the cap: scan */
            *usable = true;    /* indexed, and no record has the path: no candidates */
            return LTL_OK;
        }
        /* sealed records' values are tokens: equality only, ranges scan */
        if (ref.sealed != LTL__INDEX_NO_PATH && !equality)
            return LTL_OK;
    } else {
        return LTL_OK;
    }
    size_t nvalues = n->kind == LTL__QUERY_IN ? n->nvalues : 1;
    if (nvalues > LTL__ARRAY_LEN(t->r) / 2)
        return LTL_OK; /* a long in-list: cheaper to scan than to plan */
    for (size_t i = 0; i < nvalues; i++) {
        const ltl__value *v = &n->values[i];
        if (n->field == LTL__QUERY_TOPIC && v->type != LTL_JSON_STRING &&
            v->type != LTL_JSON_NUMBER)
            return LTL_OK;
        ltl__buf key = {0};
        ltl__value vv;
        int rc;
        if ((rc = value_key(&key, &vv, n, v))) {
            ltl__buf_free(&key);
            return rc;
        }
        if (ref.sealed != LTL__INDEX_NO_PATH) {
            /* the value's token among the sealed records */
            struct krange *r = &t->r[t->nranges++];
            r->path = ref.sealed;
            r->lo_incl = r->hi_incl = true;
            if ((rc = ltl__index_token_key(snap, n->wildcard, n->wildcard_len, key.data, key.len,
                                           &r->lo)) ||
                (rc = ltl__index_token_key(snap, n->wildcard, n->wildcard_len, key.data, key.len,
                                           &r->hi))) {
                ltl__buf_free(&key);
                return rc;
            }
        }
        if (ref.plain == LTL__INDEX_NO_PATH) {
            ltl__buf_free(&key);
            continue;
        }
        struct krange *r = &t->r[t->nranges++];
        r->path = ref.plain;
        int op = n->kind == LTL__QUERY_IN ? LTL__QUERY_EQ : n->op;
        unsigned char tlo, thi;
        type_bounds(vv.type, &tlo, &thi);
        int arc = LTL_OK;
        switch (op) {
        case LTL__QUERY_EQ:
            r->lo = key;
            arc = ltl__buf_append(&r->hi, key.data, key.len);
            r->lo_incl = r->hi_incl = true;
            key = (ltl__buf){0};
            break;
        case LTL__QUERY_GT:
        case LTL__QUERY_GE:
            /* from the value to the type's end, or to the upper term's value */
            arc = bound_lo(r, &key, op);
            if (!arc && upper) {
                ltl__buf ukey = {0};
                ltl__value uv;
                if ((rc = value_key(&ukey, &uv, upper, &upper->values[0]))) {
                    ltl__buf_free(&ukey);
                    ltl__buf_free(&key);
                    return rc;
                }
                arc = bound_hi(r, &ukey, upper->op);
                ltl__buf_free(&ukey);
            } else if (!arc) {
                arc = ltl__buf_append(&r->hi, &thi, 1);
                r->hi_incl = false;
            }
            break;
        default: /* LT, LE: from the type's start */
            arc = ltl__buf_append(&r->lo, &tlo, 1);
            r->lo_incl = true;
            if (!arc)
                arc = bound_hi(r, &key, op);
            break;
        }
        ltl__buf_free(&key);
        if (arc)
            return ltl__errf(LTL_ENOMEM, "out of memory");
    }
    *usable = true;
    return LTL_OK;
}

/* Walk a term's postings in [lo, hi] (limit 0: all). */
static int term_walk(struct term *t, struct ltl__index_snap *snap, uint64_t lo, uint64_t hi,
                     uint64_t limit, ltl__index_seq_fn fn, void *ctx)
{
    if (lo > hi)
        return LTL_OK;
    for (size_t i = 0; i < t->nranges; i++) {
        int rc = ltl__index_scan(snap, t->r[i].path, t->r[i].lo.data, t->r[i].lo.len,
                                 t->r[i].lo_incl, t->r[i].hi.data, t->r[i].hi.len, t->r[i].hi_incl,
                                 lo, hi, limit, fn, ctx);
        if (rc == LTL_DONE)
            return LTL_DONE;
        if (rc)
            return rc;
    }
    return LTL_OK;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* ---- planning ------------------------------------------------------------- */

/* The plan's text is written only when asked for: formatting it costs as much as
 * a lookup. */
#define EXPLAINING(qy)    ((qy)->flags & LTL_QUERY_EXPLAIN)
#define EXPLAINF(qy, ...) (EXPLAINING(qy) ? ltl__buf_appendf(&(qy)->explain, __VA_ARGS__) : 0)

static bool is_lower(const ltl__query_node *n)
{
    return n->op == LTL__QUERY_GT || n->op == LTL__QUERY_GE;
}

/* Is n a payload comparison > >= < <= with a number or a string? */
static bool is_bound(const ltl__query_node *n)
{
    return n->kind == LTL__QUERY_CMP && n->field == LTL__QUERY_PAYLOAD &&
           (is_lower(n) || n->op == LTL__QUERY_LT || n->op == LTL__QUERY_LE) &&
           (n->values[0].type == LTL_JSON_NUMBER || n->values[0].type == LTL_JSON_STRING);
}

/* The term among terms[from..] (at most 64, not in *used) that closes the interval
 * n opens on the same path (a >= 1 and a < 5), or NULL. Only where no record ever
 * held two values under the path: with two, a record may meet each bound with a
 * different one and lie outside the interval. */
static const ltl__query_node *interval_mate(struct ltl__index_snap *snap,
                                            const ltl__query_node *const *terms, size_t nterms,
                                            size_t i, uint64_t *used, int *err)
{
    const ltl__query_node *n = terms[i];
    if (i >= 64 || !is_bound(n))
        return NULL;
    for (size_t j = i + 1; j < nterms && j < 64; j++) {
        const ltl__query_node *m = terms[j];
        if ((*used >> j & 1) || !is_bound(m) || is_lower(m) == is_lower(n) ||
            m->values[0].type != n->values[0].type || m->wildcard_len != n->wildcard_len ||
            memcmp(m->wildcard, n->wildcard, n->wildcard_len) != 0)
            continue;
        struct ltl__index_path ref;
        int rc = ltl__index_path_lookup(snap, n->wildcard, n->wildcard_len, &ref);
        if (rc) {
            *err = rc;
            return NULL;
        }
        if (ref.multi || ref.plain == LTL__INDEX_NO_PATH || ref.sealed != LTL__INDEX_NO_PATH)
            return NULL;
        *used |= UINT64_C(1) << j;
        return m;
    }
    return NULL;
}

/* The text of a term, for the plan (nothing unless it was asked for). */
static int term_text(ltl__buf *text, const struct term *t)
{
    if (!t->explain)
        return LTL_OK;
    int rc = ltl__query_node_format(text, t->node);
    if (!rc && t->upper)
        rc = ltl__buf_append(text, " and ", 5);
    if (!rc && t->upper)
        rc = ltl__query_node_format(text, t->upper);
    return rc;
}

static int plan_index(struct ltl_query *qy, struct ltl__index *ix);

static int plan(struct ltl_query *qy)
{
    ltl_db *db = qy->db;
    ltl__query_range range;
    ltl__query_range_of(&range, qy->q);
    int rc = LTL_OK;
    qy->seq_lo = range.seq_min;
    qy->seq_hi = range.seq_max;
    if (range.ts_min != INT64_MIN) {
        uint64_t s;
        if ((rc = ltl__seq_for_time(db, range.ts_min, &s)))
            return rc;
        if (s > qy->seq_lo)
            qy->seq_lo = s;
    }
    if (range.ts_max != INT64_MAX) {
        uint64_t s;
        if ((rc = ltl__seq_for_time(db, range.ts_max + 1, &s)))
            return rc;
        if (s == 0)
            range.empty = true;
        else if (s - 1 < qy->seq_hi)
            qy->seq_hi = s - 1;
    }
    qy->empty = range.empty || qy->seq_lo > qy->seq_hi;
    ltl__buf normal = {0};
    if (EXPLAINING(qy) && ltl__query_format(&normal, qy->q) == LTL_OK)
        rc = EXPLAINF(qy, "query:  %s\n", normal.data);
    ltl__buf_free(&normal);
    if (qy->seq_hi == UINT64_MAX)
        rc = rc ? rc : EXPLAINF(qy, "range:  seq %" PRIu64 " and after\n", qy->seq_lo);
    else
        rc = rc ? rc
                : EXPLAINF(qy, "range:  seq %" PRIu64 " to %" PRIu64 "\n", qy->seq_lo, qy->seq_hi);
    if (rc)
        return ltl__errf(LTL_ENOMEM, "out of memory");
    if (qy->empty) {
        rc = EXPLAINF(qy, "plan:   nothing can match (empty range)\n");
        return rc ? ltl__errf(LTL_ENOMEM, "out of memory") : LTL_OK;
    }

    struct ltl__index *ix = NULL;
    bool damaged = false;
    if (!(qy->flags & LTL_QUERY_NO_INDEX) && (rc = index_for(db, &ix, &damaged)))
        return rc;
    if (!ix) {
        qy->scan_lo = qy->seq_lo;
        rc = EXPLAINF(qy, "plan:   scan every record in the range (%s)\n",
                      qy->flags & LTL_QUERY_NO_INDEX ? "the index is not used"
                      : damaged                      ? "the index is damaged"
                                                     : "there is no index");
        return rc ? ltl__errf(LTL_ENOMEM, "out of memory") : LTL_OK;
    }
    size_t explained = qy->explain.len;
    rc = plan_index(qy, ix);
    if (rc != LTL_ECORRUPT)
        return rc;
    /* The index failed a check: no answer comes from it. Derived data: the log
     * answers, and the next writer rebuilds the index (index.c left the mark). */
    if (ltl__index_damage_first(ix))
        ltl__log(&db->log, LTL_LOG_WARN,
                 "%s: answering by scanning the log; the next writer rebuilds it",
                 ltl__err_current());
    ltl__err_restate();
    ltl__index_snap_end(qy->snap);
    qy->snap = NULL;
    ltl__free(qy->cand);
    qy->cand = NULL;
    qy->ncand = qy->cand_cap = 0;
    qy->use_index = false;
    qy->explain_lag = false;
    qy->hwm = 0;
    qy->scan_lo = qy->seq_lo;
    qy->explain.len = explained;
    rc = EXPLAINF(qy, "plan:   scan every record in the range (the index is damaged)\n");
    return rc ? ltl__errf(LTL_ENOMEM, "out of memory") : LTL_OK;
}

/* The plan's index part: the terms the index answers, the candidates. Damage the
 * index's checks find is LTL_ECORRUPT, before any candidate is used. */
static int plan_index(struct ltl_query *qy, struct ltl__index *ix)
{
    int rc;
    if ((rc = ltl__index_snap_begin(&qy->snap, ix)))
        return rc;
    qy->hwm = ltl__index_snap_hwm(qy->snap);

    /* the terms the index can answer, and-ed at the top */
    const ltl__query_node *root = ltl__query_root(qy->q);
    const ltl__query_node *const *terms = (const ltl__query_node *const *)&root;
    size_t nterms = 1;
    if (root->kind == LTL__QUERY_AND) {
        terms = (const ltl__query_node *const *)root->children;
        nterms = root->nchildren;
    }
    struct term best, cur;
    bool have_best = false;
    /* without the read key, the plan of an index holding encrypted values shows no
     * counts: they would be those of guessed values (the lookups only reach the
     * plaintext records: the encrypted ones cannot match without the key anyway) */
    bool blind = ltl__index_snap_values(qy->snap) == LTL__INDEX_VALUES_PLAIN &&
                 ltl__index_snap_sealed(qy->snap);
    uint64_t idx_hi = qy->seq_hi < qy->hwm ? qy->seq_hi : (qy->hwm ? qy->hwm - 1 : 0);
    bool index_covers = qy->hwm > qy->seq_lo;
    memset(&best, 0, sizeof(best));
    uint64_t used = 0; /* terms already part of an interval */
    for (size_t i = 0; i < nterms && index_covers; i++) {
        if (i < 64 && (used >> i & 1))
            continue;
        const ltl__query_node *lower = terms[i];
        const ltl__query_node *upper = interval_mate(qy->snap, terms, nterms, i, &used, &rc);
        if (rc)
            goto fail;
        if (upper && !is_lower(lower)) {
            const ltl__query_node *x = lower;
            lower = upper;
            upper = x;
        }
        bool usable;
        if ((rc = term_of(&cur, qy->snap, lower, upper, &usable))) {
            term_free(&cur);
            goto fail;
        }
        cur.explain = EXPLAINING(qy);
        if (!usable) {
            term_free(&cur);
            continue;
        }
        rc = term_walk(&cur, qy->snap, qy->seq_lo, idx_hi, COUNT_LIMIT, keep_seq, &cur);
        if (rc && rc != LTL_DONE) {
            term_free(&cur);
            goto fail;
        }
        uint64_t n = cur.estimate = cur.nseqs;
        ltl__buf text = {0};
        if (term_text(&text, &cur) == LTL_OK &&
            (blind ? EXPLAINF(qy,
                              "term:   %s: looked up among plaintext records (encrypted "
                              "values need keys.read)\n",
                              text.data)
                   : EXPLAINF(qy, "term:   %s: %s%" PRIu64 " records in the index\n", text.data,
                              n >= COUNT_LIMIT ? ">= " : "", n))) {
            ltl__buf_free(&text);
            term_free(&cur);
            rc = ltl__errf(LTL_ENOMEM, "out of memory");
            goto fail;
        }
        ltl__buf_free(&text);
        if (!have_best || cur.estimate < best.estimate) {
            if (have_best)
                term_free(&best);
            best = cur;
            have_best = true;
        } else {
            term_free(&cur);
        }
    }
    /* a term matching most of a small range is no better than a scan */
    uint64_t span = idx_hi >= qy->seq_lo ? idx_hi - qy->seq_lo + 1 : 0;
    if (have_best && best.estimate >= COUNT_LIMIT && span < 4 * (uint64_t)COUNT_LIMIT) {
        term_free(&best);
        have_best = false;
    }
    if (have_best) {
        if (best.estimate < COUNT_LIMIT) { /* counted whole: its seqs are the candidates */
            qy->cand = best.seqs;
            qy->ncand = best.nseqs;
            qy->cand_cap = best.seqs_cap;
            best.seqs = NULL;
            rc = LTL_OK;
        } else {
            struct collect c = {qy, 0};
            rc = term_walk(&best, qy->snap, qy->seq_lo, idx_hi, 0, add_cand, &c);
        }
        ltl__buf text = {0};
        int frc = term_text(&text, &best);
        term_free(&best);
        if (rc) {
            ltl__buf_free(&text);
            return rc;
        }
        if (best.nranges > 1 ||
            (best.node->kind == LTL__QUERY_CMP && best.node->op != LTL__QUERY_EQ)) {
            if (qy->ncand > 1)
                qsort(qy->cand, qy->ncand, sizeof(*qy->cand), cmp_u64);
            size_t k = 0;
            for (size_t i = 0; i < qy->ncand; i++)
                if (k == 0 || qy->cand[k - 1] != qy->cand[i])
                    qy->cand[k++] = qy->cand[i];
            qy->ncand = k;
        }
        qy->use_index = true;
        qy->scan_lo = qy->hwm > qy->seq_lo ? qy->hwm : qy->seq_lo;
        rc = frc     ? frc
             : blind ? EXPLAINF(qy,
                                "plan:   index lookup of %s: its candidates below seq %" PRIu64
                                " (indexed), each checked against the whole query\n",
                                text.data, qy->hwm)
                     : EXPLAINF(qy,
                                "plan:   index lookup of %s: %zu candidates below seq %" PRIu64
                                " (indexed), each checked against the whole query\n",
                                text.data, qy->ncand, qy->hwm);
        ltl__buf_free(&text);
        /* the records past the index: counted only when the plan is asked for (finding
         * the log end costs a reader system calls, a large part of a lookup) */
        qy->explain_lag = qy->scan_lo <= qy->seq_hi;
    } else {
        qy->scan_lo = qy->seq_lo;
        rc = EXPLAINF(qy, "plan:   scan every record in the range (%s)\n",
                      index_covers ? "no selective term the index can answer"
                                   : "the index does not cover it yet");
    }
    return rc < 0 ? rc : (rc ? ltl__errf(LTL_ENOMEM, "out of memory") : LTL_OK);
fail:
    /* the best term so far owns its key buffers and seqs */
    if (have_best)
        term_free(&best);
    return rc;
}

/* The query text with the options folded in as terms. */
static int build_text(ltl__buf *out, const char *expr, const ltl_query_options *o)
{
    int rc = ltl__buf_appendf(out, "(%s)", expr);
    if (!rc && o->topic) {
        rc = ltl__buf_append(out, " and @topic == ", 15);
        if (!rc) {
            /* a JSON string: quotes and backslashes escaped */
            rc = ltl__buf_append(out, "\"", 1);
            for (const char *p = o->topic; !rc && *p; p++)
                rc = (*p == '"' || *p == '\\') ? ltl__buf_appendf(out, "\\%c", *p)
                                               : ltl__buf_append(out, p, 1);
            if (!rc)
                rc = ltl__buf_append(out, "\"", 1);
        }
    }
    if (!rc && o->since != INT64_MIN)
        rc = ltl__buf_appendf(out, " and @ts >= %" PRId64, o->since);
    if (!rc && o->until != INT64_MAX)
        rc = ltl__buf_appendf(out, " and @ts < %" PRId64, o->until);
    if (!rc && o->from_seq)
        rc = ltl__buf_appendf(out, " and @seq >= %" PRIu64, o->from_seq);
    if (!rc && o->to_seq != UINT64_MAX)
        rc = ltl__buf_appendf(out, " and @seq <= %" PRIu64, o->to_seq);
    return rc ? ltl__errf(LTL_ENOMEM, "out of memory") : LTL_OK;
}

int ltl__query_open(ltl_query **out, ltl_db *db, const char *expr, const ltl_query_options *opts)
{
    *out = NULL;
    ltl_query_options defaults;
    ltl_query_options_init(&defaults);
    if (!opts)
        opts = &defaults;
    if (opts->version != LTL_QUERY_OPTIONS_VERSION)
        return ltl__errf(LTL_EINVAL, "ltl_query_options.version is %u", opts->version);
    struct ltl_query *qy = ltl__calloc(1, sizeof(*qy));
    if (!qy)
        return ltl__errf(LTL_ENOMEM, "out of memory");
    qy->db = db;
    qy->flags = opts->flags;
    ltl__buf text = {0};
    int rc = LTL_OK;
    /* errors name columns of the expression as the user wrote it */
    if ((rc = ltl__query_parse(&qy->q, expr, strlen(expr), ltl_time_now())))
        goto fail;
    ltl__query_free(qy->q);
    qy->q = NULL;
    if ((rc = build_text(&text, expr, opts)) ||
        (rc = ltl__query_parse(&qy->q, text.data, text.len, ltl_time_now())) ||
        (rc = ltl__query_matcher_new(&qy->m, qy->q)) || (rc = plan(qy)))
        goto fail;
    ltl__buf_free(&text);
    *out = qy;
    return LTL_OK;
fail:
    ltl__buf_free(&text);
    ltl_query_close(qy);
    return rc;
}

int ltl_query_open(ltl_query **out, ltl_db *db, const char *expr, const ltl_query_options *opts)
{
    if (!out || !db || !expr)
        return LTL_EINVAL;
    ltl__err_begin();
    return ltl__err_end(db, ltl__query_open(out, db, expr, opts));
}

/* ---- running --------------------------------------------------------------------- */

static int matches(struct ltl_query *qy, const ltl_record *rec, bool *yes)
{
    const ltl_manifest *m = rec->manifest;
    ltl__query_record r = {
        .seq = rec->seq,
        .ts = rec->ts,
        .topic = rec->topic,
        .user = m ? m->user : NULL,
        .host = m ? m->host : NULL,
        .pid = m ? m->pid : 0,
        .has_pid = m != NULL,
        .manifest = rec->manifest_seq,
        .has_manifest = true,
        .payload = (rec->flags & LTL_RECORD_JSON) && !(rec->flags & LTL_RECORD_ENCRYPTED)
                       ? rec->data
                       : NULL,
        .payload_len = rec->len,
    };
    if (rec->kind != LTL_KIND_DATA && !(qy->flags & LTL_QUERY_SYSTEM)) {
        *yes = false;
        return LTL_OK;
    }
    /* an envelope (LTL_QUERY_ENVELOPE): terms on its payload cannot be decided */
    if ((rec->flags & LTL_RECORD_ENCRYPTED) && ltl__query_needs_payload(qy->q)) {
        *yes = false;
        return ltl__record_key_error(qy->db, rec->seq);
    }
    int rc = ltl__query_matcher_run(yes, qy->m, &r);
    if (rc == LTL_EPARSE) {
        /* flagged JSON but not (written before validation existed?): no payload terms */
        ltl__err_restate();
        r.payload = NULL;
        rc = ltl__query_matcher_run(yes, qy->m, &r);
    }
    return rc;
}

static int next_candidate(const ltl_record **out, struct ltl_query *qy, bool reverse)
{
    for (;;) {
        if (qy->ci >= qy->ncand)
            return LTL_DONE;
        uint64_t seq = reverse ? qy->cand[qy->ncand - 1 - qy->ci] : qy->cand[qy->ci];
        qy->ci++;
        ltl_record_free(qy->owned);
        qy->owned = NULL;
        int rc = ltl__get(&qy->owned, qy->db, seq, qy->flags & LTL_QUERY_ENVELOPE);
        if (rc)
            return rc;
        bool yes;
        if ((rc = matches(qy, qy->owned, &yes)))
            return rc;
        if (yes) {
            *out = qy->owned;
            return LTL_OK;
        }
    }
}

static int next_scanned(const ltl_record **out, struct ltl_query *qy, bool reverse)
{
    int rc;
    if (!qy->scan_started) {
        qy->scan_started = true;
        if (qy->scan_lo > qy->seq_hi)
            return LTL_DONE;
        ltl_cursor_options co;
        ltl_cursor_options_init(&co);
        co.from_seq = qy->scan_lo;
        co.to_seq = qy->seq_hi;
        co.flags = (reverse ? LTL_CURSOR_REVERSE : 0) |
                   (qy->flags & LTL_QUERY_SYSTEM ? LTL_CURSOR_SYSTEM : 0) |
                   (qy->flags & LTL_QUERY_ENVELOPE ? LTL_CURSOR_ENVELOPE : 0);
        if ((rc = ltl__cursor_open(&qy->scan, qy->db, &co)))
            return rc;
    }
    if (!qy->scan)
        return LTL_DONE;
    for (;;) {
        const ltl_record *rec;
        if ((rc = ltl__cursor_next(&rec, qy->scan)))
            return rc;
        bool yes;
        if ((rc = matches(qy, rec, &yes)))
            return rc;
        if (yes) {
            *out = rec;
            return LTL_OK;
        }
    }
}

int ltl__query_next(const ltl_record **out, ltl_query *qy)
{
    if (qy->empty)
        return LTL_DONE;
    bool reverse = qy->flags & LTL_QUERY_REVERSE;
    int rc = LTL_DONE;
    while (qy->phase < 2) {
        bool candidates = qy->use_index && (reverse ? qy->phase == 1 : qy->phase == 0);
        rc = candidates ? next_candidate(out, qy, reverse) : next_scanned(out, qy, reverse);
        if (rc != LTL_DONE)
            break;
        /* the forward scan is last: a follower waits on it and asks again */
        if (!reverse && qy->phase == 1)
            break;
        qy->phase++;
    }
    return rc;
}

int ltl_query_next(const ltl_record **out, ltl_query *qy)
{
    if (!out || !qy)
        return LTL_EINVAL;
    ltl__err_begin();
    return ltl__err_end(qy->db, ltl__query_next(out, qy));
}

int ltl_query_wait(ltl_query *qy, int timeout_ms)
{
    if (!qy)
        return LTL_EINVAL;
    if (!qy->scan || (qy->flags & LTL_QUERY_REVERSE))
        return LTL_EINVAL; /* nothing to follow: a reverse or empty query */
    ltl__err_begin();
    return ltl__err_end(qy->db, ltl__cursor_wait(qy->scan, timeout_ms));
}

int ltl_query_explain(char **out, ltl_query *qy)
{
    if (!out || !qy || !EXPLAINING(qy))
        return LTL_EINVAL;
    uint64_t end;
    if (qy->explain_lag && ltl__log_end(qy->db, &end) == LTL_OK) {
        qy->explain_lag = false;
        if (qy->scan_lo < end &&
            EXPLAINF(qy,
                     "        + scan of seq %" PRIu64 " and after (not indexed yet: "
                     "%" PRIu64 " records)\n",
                     qy->scan_lo, end - qy->scan_lo))
            return LTL_ENOMEM;
    }
    *out = ltl__strndup(qy->explain.data ? qy->explain.data : "", qy->explain.len);
    return *out ? LTL_OK : LTL_ENOMEM;
}

void ltl_query_close(ltl_query *qy)
{
    if (!qy)
        return;
    ltl_record_free(qy->owned);
    ltl_cursor_close(qy->scan);
    ltl__index_snap_end(qy->snap);
    ltl__query_matcher_free(qy->m);
    ltl__query_free(qy->q);
    ltl__free(qy->cand);
    ltl__buf_free(&qy->explain);
    ltl__free(qy);
}

int ltl_query_check(ltl_error *err, const char *expr)
{
    ltl__err_begin();
    ltl__query *q = NULL;
    int rc = expr ? ltl__query_parse(&q, expr, strlen(expr), ltl_time_now())
                  : ltl__errf(LTL_EINVAL, "no query");
    ltl__query_free(q);
    if (err) {
        err->code = rc;
        snprintf(err->message, sizeof(err->message), "%s", rc ? ltl__err_current() : "");
    }
    return rc;
}

/* ---- paths ------------------------------------------------------------------------ */

struct paths_ctx {
    ltl_path_fn fn;
    void *ctx;
};

static int on_path(void *vctx, const char *path, size_t len, uint64_t count)
{
    struct paths_ctx *p = vctx;
    char buf[LTL__INDEX_PATH_MAX + 1];
    if (len > LTL__INDEX_PATH_MAX)
        return 0;
    memcpy(buf, path, len);
    buf[len] = '\0';
    return p->fn(p->ctx, buf, count);
}

int ltl__paths(ltl_db *db, const char *prefix, ltl_path_fn fn, void *ctx)
{
    struct ltl__index *ix;
    int rc = index_for(db, &ix, NULL);
    if (rc == LTL_OK && !ix)
        rc = ltl__errf(LTL_ENOTFOUND, "the store has no index (it is built by a writer; "
                                      "index.enabled)");
    struct ltl__index_snap *snap = NULL;
    if (rc == LTL_OK && (rc = ltl__index_snap_begin(&snap, ix)) == LTL_OK) {
        struct paths_ctx p = {fn, ctx};
        rc = ltl__index_paths(snap, prefix ? prefix : "", prefix ? strlen(prefix) : 0, on_path, &p);
    }
    ltl__index_snap_end(snap);
    return rc;
}

int ltl_paths(ltl_db *db, const char *prefix, ltl_path_fn fn, void *ctx)
{
    if (!db || !fn)
        return LTL_EINVAL;
    ltl__err_begin();
    return ltl__err_end(db, ltl__paths(db, prefix, fn, ctx));
}

/* ---- pause, reindex, stat ------------------------------------------------------- */

static int writer_only(ltl_db *db, const char *what)
{
    if (!db->writer)
        return ltl__errf(LTL_EREADONLY, "%s needs the writer: this handle is read-only", what);
    if (!db->indexer)
        return ltl__errf(LTL_EINVAL, "the index is off (index.enabled)");
    return LTL_OK;
}

int ltl_pause(ltl_db *db, int what)
{
    if (!db || what != LTL_PAUSE_INDEX)
        return LTL_EINVAL;
    ltl__err_begin();
    int rc = writer_only(db, "pausing the index");
    if (rc == LTL_OK)
        rc = ltl__indexer_pause(db, true);
    return ltl__err_end(db, rc);
}

int ltl_resume(ltl_db *db, int what)
{
    if (!db || what != LTL_PAUSE_INDEX)
        return LTL_EINVAL;
    ltl__err_begin();
    int rc = writer_only(db, "resuming the index");
    if (rc == LTL_OK)
        rc = ltl__indexer_pause(db, false);
    return ltl__err_end(db, rc);
}

int ltl_reindex(ltl_db *db, ltl_progress_fn progress, void *ctx)
{
    if (!db)
        return LTL_EINVAL;
    ltl__err_begin();
    int rc = writer_only(db, "reindex");
    if (rc == LTL_OK)
        rc = ltl__indexer_rebuild(db, progress, ctx);
    return ltl__err_end(db, rc);
}

int ltl__index_stat(ltl_db *db, ltl_info *out)
{
    out->index_enabled = db->cfg.index_enabled;
    if (!db->cfg.index_enabled)
        return LTL_OK;
    struct ltl__index *ix;
    int rc = index_for(db, &ix, NULL);
    if (rc || !ix)
        return rc;
    struct ltl__index_snap *snap;
    if ((rc = ltl__index_snap_begin(&snap, ix)) == LTL_ECORRUPT) {
        /* nothing of it is usable: queries scan (as with no index), the next writer
         * rebuilds it */
        if (ltl__index_damage_first(ix))
            ltl__log(&db->log, LTL_LOG_WARN,
                     "%s: queries answer by scanning the log; the next writer rebuilds it",
                     ltl__err_current());
        ltl__err_restate();
        out->index_bytes = ltl__index_disk_bytes(ix);
        return LTL_OK;
    }
    if (rc)
        return rc;
    out->index_records = ltl__index_snap_hwm(snap);
    out->index_paths = ltl__index_snap_paths(snap);
    out->index_bytes = ltl__index_disk_bytes(ix);
    ltl__index_snap_end(snap);
    return LTL_OK;
}
