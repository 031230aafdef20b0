/* SPDX-License-Identifier: MIT */
/*
 * value.c — typed JSON scalars: exact decimal numbers read from JSON number
 * text (no double rounding: 2^64+1 and 2^64 differ, 1 and 1.0 and 10e-1 are
 * equal), their total order, and the order-preserving byte keys the index
 * stores, built from the same normalized form so that memcmp of keys and the
 * query language's comparisons agree. The key layout is described in json.h
 * and docs/QUERY.md. It lives below both the index and the query language,
 * which share it.
 */
#include "json/json.h"

/* ---- exact decimals ---------------------------------------------------------------------- */

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static int64_t clamp_exp(int64_t e)
{
    if (e > LTL__VALUE_EXP_MAX)
        return LTL__VALUE_EXP_MAX;
    if (e < -LTL__VALUE_EXP_MAX)
        return -LTL__VALUE_EXP_MAX;
    return e;
}

int ltl__num_parse(ltl__num *out, const char *text, size_t len)
{
    const char *p = text, *end = text + len;
    int sign = 1;
    if (p < end && *p == '-') {
        sign = -1;
        p++;
    }
    if (p >= end || !is_digit(*p))
        return LTL_EPARSE;
    const char *int_start = p;
    if (*p == '0')
        p++;
    else
        while (p < end && is_digit(*p))
            p++;
    const char *int_end = p, *frac_start = NULL, *frac_end = NULL;
    if (p < end && *p == '.') {
        frac_start = ++p;
        while (p < end && is_digit(*p))
            p++;
        if (p == frac_start)
            return LTL_EPARSE;
        frac_end = p;
    }
    int64_t x = 0;
    if (p < end && (*p == 'e' || *p == 'E')) {
        p++;
        bool xneg = false;
        if (p < end && (*p == '+' || *p == '-'))
            xneg = *p++ == '-';
        if (p >= end || !is_digit(*p))
            return LTL_EPARSE;
        while (p < end && is_digit(*p)) {
            /* saturate: an exponent beyond 10^18 counts as 10^18 (docs/QUERY.md) */
            int d = *p++ - '0';
            x = x > (LTL__VALUE_EXP_MAX - d) / 10 ? LTL__VALUE_EXP_MAX : x * 10 + d;
        }
        if (xneg)
            x = -x;
    }
    if (p != end)
        return LTL_EPARSE;

    /* the first significant digit and the exponent of 0.d1d2... */
    const char *first = NULL;
    int64_t e = 0;
    for (const char *q = int_start; q < int_end; q++)
        if (*q != '0') {
            first = q;
            e = (int64_t)(int_end - q);
            break;
        }
    if (!first && frac_start)
        for (const char *q = frac_start; q < frac_end; q++)
            if (*q != '0') {
                first = q;
                e = -(int64_t)(q - frac_start);
                break;
            }
    if (!first) {
        *out = (ltl__num){0};
        out->digits = out->end = text;
        return LTL_OK;
    }
    /* the last significant digit: back from the mantissa's end over zeros and the point */
    const char *last = (frac_end ? frac_end : int_end) - 1;
    while (*last == '0' || *last == '.')
        last--;
    size_t n = (size_t)(last + 1 - first);
    if (frac_start && first < frac_start && last >= frac_start)
        n--; /* the point lies between */
    *out = (ltl__num){
        .sign = sign, .exp = clamp_exp(e + x), .digits = first, .end = last + 1, .ndigits = n};
    return LTL_OK;
}

/* The next digit of a number (skipping the decimal point), as 0..9. */
static int next_digit(const char **p)
{
    if (**p == '.')
        (*p)++;
    return *(*p)++ - '0';
}

static int num_compare(const ltl__num *a, const ltl__num *b)
{
    if (a->sign != b->sign)
        return a->sign < b->sign ? -1 : 1;
    if (a->sign == 0)
        return 0;
    int c = 0;
    if (a->exp != b->exp) {
        c = a->exp < b->exp ? -1 : 1;
    } else {
        const char *pa = a->digits, *pb = b->digits;
        size_t n = a->ndigits < b->ndigits ? a->ndigits : b->ndigits;
        for (size_t i = 0; i < n && c == 0; i++) {
            int da = next_digit(&pa), db = next_digit(&pb);
            c = da - db;
        }
        if (c == 0 && a->ndigits != b->ndigits)
            c = a->ndigits < b->ndigits ? -1 : 1;
        c = c < 0 ? -1 : c > 0;
    }
    return a->sign > 0 ? c : -c;
}

/* ---- values ------------------------------------------------------------------------------- */

int ltl__value_from_json(ltl__value *out, int type, const char *text, size_t len, ltl__buf *scratch)
{
    *out = (ltl__value){.type = type, .text = text, .len = len};
    switch (type) {
    case LTL_JSON_NUMBER:
        return ltl__num_parse(&out->num, text, len) ? LTL_EINVAL : LTL_OK;
    case LTL_JSON_STRING: {
        if (len < 2 || text[0] != '"' || text[len - 1] != '"')
            return LTL_EINVAL;
        const char *body = text + 1;
        size_t n = len - 2;
        if (!memchr(body, '\\', n)) {
            out->text = body;
            out->len = n;
            return LTL_OK;
        }
        scratch->len = 0;
        int rc = ltl__json_unescape(scratch, body, n);
        if (rc)
            return rc;
        out->text = scratch->data;
        out->len = scratch->len;
        return LTL_OK;
    }
    case LTL_JSON_TRUE:
    case LTL_JSON_FALSE:
    case LTL_JSON_NULL:
        out->text = "";
        out->len = 0;
        return LTL_OK;
    default:
        return LTL_EINVAL;
    }
}

/* Place of a type in the total order. */
static int type_rank(int type)
{
    switch (type) {
    case LTL_JSON_NUMBER:
        return 0;
    case LTL_JSON_STRING:
        return 1;
    case LTL_JSON_FALSE:
        return 2;
    case LTL_JSON_TRUE:
        return 3;
    default:
        return 4; /* null */
    }
}

int ltl__value_compare(const ltl__value *a, const ltl__value *b)
{
    int ra = type_rank(a->type), rb = type_rank(b->type);
    if (ra != rb)
        return ra < rb ? -1 : 1;
    if (a->type == LTL_JSON_NUMBER)
        return num_compare(&a->num, &b->num);
    if (a->type == LTL_JSON_STRING) {
        size_t n = a->len < b->len ? a->len : b->len;
        int c = n ? memcmp(a->text, b->text, n) : 0;
        if (c)
            return c < 0 ? -1 : 1;
        return a->len < b->len ? -1 : a->len > b->len;
    }
    return 0;
}

/* Values of one class compare; false and true are one class (booleans). */
/* ---- keys --------------------------------------------------------------------------------- */

enum {
    TAG_NEG = 0x10,
    TAG_ZERO = 0x11,
    TAG_POS = 0x12,
    TAG_STRING = 0x20,
    TAG_FALSE = 0x30,
    TAG_TRUE = 0x31,
    TAG_NULL = 0x40,
};

uint64_t ltl__hash64(const void *data, size_t len)
{
    const unsigned char *s = data;
    uint64_t h = 0xcbf29ce484222325ULL; /* FNV-1a 64: part of the index format, never change */
    for (size_t i = 0; i < len; i++) {
        h ^= s[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

/* The exponent, order-preserving in 1..9 bytes: one byte 0x40..0xBF for -64..63; above,
 * 0xC0+k and k big-endian bytes (k = 1..8, the fewest that hold it); below, 0x40-k and k
 * bytes of e + 256^k. The first byte fixes the length, so no encoding prefixes another. */
static size_t put_exp(unsigned char *d, int64_t e)
{
    if (e >= -64 && e < 64) {
        d[0] = (unsigned char)(0x80 + e);
        return 1;
    }
    int k = 1;
    uint64_t v;
    if (e >= 64) {
        while (k < 8 && (uint64_t)e >> (8 * k))
            k++;
        d[0] = (unsigned char)(0xC0 + k);
        v = (uint64_t)e;
    } else {
        while (k < 8 && e < -(int64_t)(1ULL << (8 * k)))
            k++;
        d[0] = (unsigned char)(0x40 - k);
        v = k < 8 ? (uint64_t)(e + (int64_t)(1ULL << (8 * k))) : (uint64_t)e;
    }
    for (int i = 0; i < k; i++)
        d[1 + i] = (unsigned char)(v >> (8 * (k - 1 - i)));
    return (size_t)k + 1;
}

static size_t put_number(unsigned char *d, const ltl__num *num)
{
    if (num->sign == 0) {
        d[0] = TAG_ZERO;
        return 1;
    }
    d[0] = num->sign > 0 ? TAG_POS : TAG_NEG;
    size_t at = 1 + put_exp(d + 1, num->exp);
    bool lossy = num->ndigits > LTL__KEY_DIGITS;
    size_t n = lossy ? LTL__KEY_DIGITS : num->ndigits;
    const char *p = num->digits;
    for (size_t i = 0; i < n; i += 2) {
        int hi = next_digit(&p), lo = i + 1 < n ? next_digit(&p) : 0;
        int pair = hi * 10 + lo;
        bool last = i + 2 >= n && !lossy;
        d[at++] = (unsigned char)(2 * pair + (last ? 0 : 1));
    }
    if (lossy)
        d[at++] = 0x00;
    if (num->sign < 0)
        for (size_t i = 1; i < at; i++)
            d[i] = (unsigned char)~d[i];
    return at;
}

int ltl__value_key(ltl__buf *out, const ltl__value *v)
{
    int rc = ltl__buf_reserve(out, LTL__KEY_MAX);
    if (rc)
        return rc;
    unsigned char *d = (unsigned char *)out->data + out->len;
    size_t at = 0;
    switch (v->type) {
    case LTL_JSON_NUMBER:
        at = put_number(d, &v->num);
        break;
    case LTL_JSON_STRING: {
        d[at++] = TAG_STRING;
        bool lossy = v->len > LTL__KEY_PREFIX;
        size_t n = lossy ? LTL__KEY_PREFIX : v->len;
        for (size_t i = 0; i < n; i++) {
            unsigned char c = (unsigned char)v->text[i];
            d[at++] = c;
            if (c == 0)
                d[at++] = 0xFF;
        }
        d[at++] = 0x00;
        d[at++] = lossy ? 0x02 : 0x01;
        if (lossy) {
            uint64_t h = ltl__hash64(v->text, v->len);
            for (int i = 7; i >= 0; i--)
                d[at++] = (unsigned char)(h >> (8 * i));
        }
        break;
    }
    case LTL_JSON_FALSE:
        d[at++] = TAG_FALSE;
        break;
    case LTL_JSON_TRUE:
        d[at++] = TAG_TRUE;
        break;
    default:
        d[at++] = TAG_NULL;
        break;
    }
    out->len += at;
    return LTL_OK;
}

int ltl__value_encode(ltl__buf *out, int type, const char *text, size_t len)
{
    ltl__buf scratch = {0};
    ltl__value v;
    int rc = ltl__value_from_json(&v, type, text, len, &scratch);
    if (rc == LTL_OK)
        rc = ltl__value_key(out, &v);
    ltl__buf_free(&scratch);
    return rc;
}

bool ltl__key_lossy(const void *key, size_t len)
{
    const unsigned char *k = key;
    if (len < 2)
        return false;
    switch (k[0]) {
    case TAG_POS:
        return k[len - 1] == 0x00;
    case TAG_NEG:
        return k[len - 1] == 0xFF;
    case TAG_STRING:
        return len >= 11 && k[len - 10] == 0x00 && k[len - 9] == 0x02;
    default:
        return false;
    }
}

size_t ltl__key_order_len(const void *key, size_t len)
{
    const unsigned char *k = key;
    if (len > 0 && k[0] == TAG_STRING && ltl__key_lossy(key, len))
        return len - 8;
    return len;
}

/* ---- describing keys ---------------------------------------------------------------------- */

static int bad_key(const char *what)
{
    return ltl__errf(LTL_EPARSE, "not a query value key: %s", what);
}

/* Read the exponent at k[*at] (complemented when neg). */
static int get_exp(int64_t *out, const unsigned char *k, size_t len, size_t *at, bool neg)
{
    if (*at >= len)
        return bad_key("no exponent");
    unsigned b0 = neg ? (unsigned char)~k[*at] : k[*at];
    (*at)++;
    if (b0 >= 0x40 && b0 <= 0xBF) {
        *out = (int64_t)b0 - 0x80;
        return LTL_OK;
    }
    int n = b0 > 0xBF ? (int)b0 - 0xC0 : 0x40 - (int)b0;
    if (n < 1 || n > 8 || *at + (size_t)n > len)
        return bad_key("bad exponent");
    uint64_t v = 0;
    for (int i = 0; i < n; i++) {
        unsigned char c = neg ? (unsigned char)~k[*at + i] : k[*at + i];
        v = (v << 8) | c;
    }
    *at += (size_t)n;
    if (b0 > 0xBF)
        *out = (int64_t)v;
    else
        *out = n < 8 ? (int64_t)v - (int64_t)(1ULL << (8 * n)) : (int64_t)v;
    return LTL_OK;
}

static int describe_number(ltl__buf *out, const unsigned char *k, size_t len)
{
    bool neg = k[0] == TAG_NEG;
    size_t at = 1;
    int64_t exp = 0;
    int rc = get_exp(&exp, k, len, &at, neg);
    if (rc)
        return rc;
    char digits[LTL__KEY_DIGITS + 2];
    size_t n = 0;
    bool lossy = false, ended = false;
    while (at < len && !ended) {
        unsigned b = neg ? (unsigned char)~k[at] : k[at];
        at++;
        if (b == 0) {
            lossy = true;
            break;
        }
        if (b > 199 || n + 2 > LTL__KEY_DIGITS)
            return bad_key("bad digits");
        unsigned pair = b / 2;
        digits[n++] = (char)('0' + pair / 10);
        digits[n++] = (char)('0' + pair % 10);
        ended = !(b & 1);
    }
    if (at != len || (!ended && !lossy) || n == 0)
        return bad_key("bad digits");
    while (n > 1 && digits[n - 1] == '0')
        n--;
    /* d.ddd e(exp-1), or plain when short */
    rc = ltl__buf_appendf(out, "%s", neg ? "-" : "");
    if (rc == LTL_OK && exp >= (int64_t)n && exp <= 21) {
        rc = ltl__buf_append(out, digits, n);
        for (int64_t i = (int64_t)n; i < exp && rc == LTL_OK; i++)
            rc = ltl__buf_append(out, "0", 1);
    } else if (rc == LTL_OK && exp > 0 && exp < (int64_t)n)
        rc = ltl__buf_appendf(out, "%.*s.%.*s", (int)exp, digits, (int)(n - (size_t)exp),
                              digits + exp);
    else if (rc == LTL_OK)
        rc = ltl__buf_appendf(out, "%c%s%.*se%+lld", digits[0], n > 1 ? "." : "", (int)(n - 1),
                              digits + 1, (long long)(exp - 1));
    if (rc == LTL_OK && lossy)
        rc = ltl__buf_appendf(out, " (first %d digits of a longer number)", LTL__KEY_DIGITS);
    return rc;
}

int ltl__key_describe(ltl__buf *out, const void *key, size_t len)
{
    const unsigned char *k = key;
    if (len == 0)
        return bad_key("empty");
    switch (k[0]) {
    case TAG_ZERO:
        return len == 1 ? ltl__buf_appendf(out, "0") : bad_key("bytes after zero");
    case TAG_POS:
    case TAG_NEG:
        return describe_number(out, k, len);
    case TAG_FALSE:
    case TAG_TRUE:
    case TAG_NULL:
        if (len != 1)
            return bad_key("bytes after a literal");
        return ltl__buf_appendf(out, "%s",
                                k[0] == TAG_NULL   ? "null"
                                : k[0] == TAG_TRUE ? "true"
                                                   : "false");
    case TAG_STRING:
        break;
    default:
        return bad_key("unknown type tag");
    }
    ltl__buf text = {0};
    int rc = LTL_OK;
    size_t at = 1;
    int end = 0;
    while (at < len) {
        unsigned char c = k[at++];
        if (c == 0) {
            if (at >= len) {
                rc = bad_key("cut string");
                goto out;
            }
            unsigned char e = k[at++];
            if (e == 0xFF) {
                c = 0;
            } else if (e == 0x01 || e == 0x02) {
                end = e;
                break;
            } else {
                rc = bad_key("bad string escape");
                goto out;
            }
        }
        rc = ltl__buf_append(&text, &c, 1);
        if (rc)
            goto out;
    }
    if (end == 0 || at + (end == 2 ? 8 : 0) != len) {
        rc = bad_key("bad string end");
        goto out;
    }
    rc = ltl__buf_reserve(out, text.len * 6 + 3);
    if (rc)
        goto out;
    out->data[out->len++] = '"';
    out->len += ltl__json_escape_key_to(out->data + out->len, text.data ? text.data : "", text.len);
    out->data[out->len++] = '"';
    out->data[out->len] = '\0';
    if (end == 2) {
        uint64_t h = 0;
        for (size_t i = 0; i < 8; i++)
            h = (h << 8) | k[at - 8 + i];
        rc = ltl__buf_appendf(out, " (first %d bytes of a longer string, hash %016llx)",
                              LTL__KEY_PREFIX, (unsigned long long)h);
    }
out:
    ltl__buf_free(&text);
    return rc;
}
