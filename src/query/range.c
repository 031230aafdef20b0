/* SPDX-License-Identifier: MIT */
/*
 * range.c — the seq and time ranges a query implies, for the planner: a
 * bound from every @seq/@ts comparison and `in` list, intersected under
 * `and`, joined (hull) under `or`, dropped under `not`. The result is sound:
 * no record outside it can match. Constants are exact decimals, so bounds
 * are computed with exact floor/ceil in 128-bit integers, then clamped to
 * the field's domain.
 */
#include "query/query.h"

typedef __int128 wide;

/* Far beyond any seq or ts, yet far from overflowing `wide`. */
#define WIDE_BIG ((wide)1 << 100)

struct bounds {
    bool empty;
    wide seq_lo, seq_hi, ts_lo, ts_hi;
};

static const struct bounds unbounded = {false, -WIDE_BIG, WIDE_BIG, -WIDE_BIG, WIDE_BIG};

/* floor(v) when !ceil, else ceil(v), saturated to +-WIDE_BIG. */
static wide round_num(const ltl__num *n, bool ceil)
{
    if (n->sign == 0)
        return 0;
    if (n->exp > 30)
        return n->sign > 0 ? WIDE_BIG : -WIDE_BIG;
    wide mag = 0;
    bool frac = false;
    const char *p = n->digits;
    for (size_t i = 0; i < n->ndigits; i++) {
        if (*p == '.')
            p++;
        int d = *p++ - '0';
        if ((int64_t)i < n->exp)
            mag = mag * 10 + d;
        else if (d)
            frac = true;
    }
    for (int64_t i = (int64_t)n->ndigits; i < n->exp; i++)
        mag *= 10;
    if (n->sign > 0)
        return mag + (ceil && frac);
    return -mag - (!ceil && frac);
}

static void leaf_bounds(struct bounds *b, const ltl__query_node *node)
{
    *b = unbounded;
    if (node->field != LTL__QUERY_SEQ && node->field != LTL__QUERY_TS)
        return;
    wide lo = -WIDE_BIG, hi = WIDE_BIG;
    if (node->kind == LTL__QUERY_CMP) {
        const ltl__num *v = &node->values[0].num;
        wide fl = round_num(v, false), ce = round_num(v, true);
        switch (node->op) {
        case LTL__QUERY_EQ:
            if (fl != ce) {
                b->empty = true; /* a seq or ts is an integer */
                return;
            }
            lo = hi = fl;
            break;
        case LTL__QUERY_LT:
            hi = ce - 1;
            break;
        case LTL__QUERY_LE:
            hi = fl;
            break;
        case LTL__QUERY_GT:
            lo = fl + 1;
            break;
        case LTL__QUERY_GE:
            lo = ce;
            break;
        default:
            return; /* != and ~ give no bound */
        }
    } else if (node->kind == LTL__QUERY_IN) {
        bool any = false;
        for (size_t i = 0; i < node->nvalues; i++) {
            const ltl__num *v = &node->values[i].num;
            wide fl = round_num(v, false);
            if (fl != round_num(v, true))
                continue;
            lo = any && lo < fl ? lo : fl;
            hi = any && hi > fl ? hi : fl;
            any = true;
        }
        if (!any) {
            b->empty = true;
            return;
        }
    } else {
        return;
    }
    if (node->field == LTL__QUERY_SEQ) {
        b->seq_lo = lo;
        b->seq_hi = hi;
    } else {
        b->ts_lo = lo;
        b->ts_hi = hi;
    }
}

static wide max_w(wide a, wide b)
{
    return a > b ? a : b;
}

static wide min_w(wide a, wide b)
{
    return a < b ? a : b;
}

static void node_bounds(struct bounds *b, const ltl__query_node *node)
{
    struct bounds c;
    switch (node->kind) {
    case LTL__QUERY_AND:
        *b = unbounded;
        for (size_t i = 0; i < node->nchildren; i++) {
            node_bounds(&c, node->children[i]);
            b->empty |= c.empty;
            b->seq_lo = max_w(b->seq_lo, c.seq_lo);
            b->seq_hi = min_w(b->seq_hi, c.seq_hi);
            b->ts_lo = max_w(b->ts_lo, c.ts_lo);
            b->ts_hi = min_w(b->ts_hi, c.ts_hi);
        }
        break;
    case LTL__QUERY_OR: {
        bool any = false;
        *b = (struct bounds){.empty = true};
        for (size_t i = 0; i < node->nchildren; i++) {
            node_bounds(&c, node->children[i]);
            if (c.empty)
                continue;
            if (!any) {
                *b = c;
                any = true;
                continue;
            }
            b->seq_lo = min_w(b->seq_lo, c.seq_lo);
            b->seq_hi = max_w(b->seq_hi, c.seq_hi);
            b->ts_lo = min_w(b->ts_lo, c.ts_lo);
            b->ts_hi = max_w(b->ts_hi, c.ts_hi);
        }
        break;
    }
    case LTL__QUERY_NOT:
        *b = unbounded;
        break;
    default:
        leaf_bounds(b, node);
        break;
    }
}

void ltl__query_node_range(ltl__query_range *out, const ltl__query_node *node)
{
    struct bounds b;
    node_bounds(&b, node);
    b.seq_lo = max_w(b.seq_lo, 0);
    b.seq_hi = min_w(b.seq_hi, (wide)UINT64_MAX);
    b.ts_lo = max_w(b.ts_lo, (wide)INT64_MIN);
    b.ts_hi = min_w(b.ts_hi, (wide)INT64_MAX);
    if (b.empty || b.seq_lo > b.seq_hi || b.ts_lo > b.ts_hi) {
        *out =
            (ltl__query_range){.empty = true, .seq_min = 1, .seq_max = 0, .ts_min = 1, .ts_max = 0};
        return;
    }
    *out = (ltl__query_range){.seq_min = (uint64_t)b.seq_lo,
                              .seq_max = (uint64_t)b.seq_hi,
                              .ts_min = (int64_t)b.ts_lo,
                              .ts_max = (int64_t)b.ts_hi};
}

void ltl__query_range_of(ltl__query_range *out, const ltl__query *q)
{
    ltl__query_node_range(out, q->root);
}
