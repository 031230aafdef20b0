/* SPDX-License-Identifier: MIT */
/*
 * gron.c — the rules that make `--format gron` byte-compatible with gron
 * 0.7 (tomnomnom/gron): which keys are written bare (JavaScript identifiers
 * by Unicode category, minus reserved words), how strings are quoted (control
 * characters, DEL, C1 and U+2028/9 as \uXXXX with upper-case hex), and the
 * order of statements (token by token: array indexes by value, everything
 * else by text, "=" first).
 * The Unicode category tables are generated (unicode_tables.h).
 */
#include "json/json.h"

#include "json/unicode_tables.h"

#include <stdio.h>
#include <stdlib.h>

static bool in_table(const uint32_t (*t)[2], size_t n, uint32_t cp)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (cp < t[mid][0])
            hi = mid;
        else if (cp > t[mid][1])
            lo = mid + 1;
        else
            return true;
    }
    return false;
}

#define RUNE_ERROR 0xFFFDu

/* Decode one rune at s (Go's rules: an invalid byte is U+FFFD of width 1; an encoded
 * surrogate, which our WTF-8 keys may hold, is U+FFFD as Go's decoder makes it). */
static uint32_t rune_at(const unsigned char *s, const unsigned char *end, size_t *width)
{
    if (s >= end) {
        *width = 0;
        return RUNE_ERROR;
    }
    unsigned c = s[0];
    if (c < 0x80) {
        *width = 1;
        return c;
    }
    if (c == 0xED && end - s >= 3 && s[1] >= 0xA0 && s[1] <= 0xBF && (s[2] & 0xC0) == 0x80) {
        *width = 3;
        return RUNE_ERROR;
    }
    int n = ltl__utf8_seq_len(s, end);
    if (n <= 1) {
        *width = 1;
        return RUNE_ERROR;
    }
    *width = (size_t)n;
    if (n == 2)
        return ((c & 0x1Fu) << 6) | (s[1] & 0x3Fu);
    if (n == 3)
        return ((c & 0x0Fu) << 12) | ((s[1] & 0x3Fu) << 6) | (s[2] & 0x3Fu);
    return ((c & 0x07u) << 18) | ((s[1] & 0x3Fu) << 12) | ((s[2] & 0x3Fu) << 6) | (s[3] & 0x3Fu);
}

static bool first_rune(uint32_t r)
{
    if (r < 0x80) /* the common case, without a search */
        return ((r | 0x20) - 'a' < 26) || r == '$' || r == '_';
    return in_table(gron_first, LTL__ARRAY_LEN(gron_first), r);
}

static bool rest_rune(uint32_t r)
{
    if (r < 0x80)
        return ((r | 0x20) - 'a' < 26) || r == '$' || r == '_' || r - '0' < 10;
    return first_rune(r) || in_table(gron_rest, LTL__ARRAY_LEN(gron_rest), r);
}

/* JavaScript's reserved words, which gron quotes. */
static const struct {
    const char *word;
    size_t len;
} reserved[] = {
    {"break", 5},       {"case", 4},     {"catch", 5},   {"class", 5},  {"const", 5},
    {"continue", 8},    {"debugger", 8}, {"default", 7}, {"delete", 6}, {"do", 2},
    {"else", 4},        {"export", 6},   {"extends", 7}, {"false", 5},  {"finally", 7},
    {"for", 3},         {"function", 8}, {"if", 2},      {"import", 6}, {"in", 2},
    {"instanceof", 10}, {"new", 3},      {"null", 4},    {"return", 6}, {"super", 5},
    {"switch", 6},      {"this", 4},     {"throw", 5},   {"true", 4},   {"try", 3},
    {"typeof", 6},      {"var", 3},      {"void", 4},    {"while", 5},  {"with", 4},
    {"yield", 5},
};

bool ltl__gron_is_ident(const char *key, size_t len)
{
    if (len == 0)
        return false;
    if (len >= 2 && len <= 10 && key[0] >= 'b' && key[0] <= 'y')
        for (size_t i = 0; i < LTL__ARRAY_LEN(reserved); i++)
            if (reserved[i].len == len && memcmp(reserved[i].word, key, len) == 0)
                return false;
    const unsigned char *s = (const unsigned char *)key, *end = s + len;
    bool first = true;
    while (s < end) {
        size_t w;
        uint32_t r = rune_at(s, end, &w);
        if (first ? !first_rune(r) : !rest_rune(r))
            return false;
        first = false;
        s += w;
    }
    return true;
}

int ltl__gron_quote(ltl__buf *out, const char *text, size_t len)
{
    static const char hex[] = "0123456789ABCDEF";
    if (len > (SIZE_MAX - 3) / 6)
        return LTL_ENOMEM;
    int rc = ltl__buf_reserve(out, len * 6 + 3);
    if (rc)
        return rc;
    char *d = out->data + out->len;
    const unsigned char *s = (const unsigned char *)text, *end = s + len;
    *d++ = '"';
    while (s < end) {
        unsigned c = *s;
        if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
            *d++ = (char)c;
            s++;
            continue;
        }
        size_t w;
        uint32_t r = rune_at(s, end, &w);
        const char *short_esc = NULL;
        switch (r) {
        case '"':
            short_esc = "\\\"";
            break;
        case '\\':
            short_esc = "\\\\";
            break;
        case '\b':
            short_esc = "\\b";
            break;
        case '\f':
            short_esc = "\\f";
            break;
        case '\n':
            short_esc = "\\n";
            break;
        case '\r':
            short_esc = "\\r";
            break;
        case '\t':
            short_esc = "\\t";
            break;
        default:
            break;
        }
        if (short_esc) {
            memcpy(d, short_esc, 2);
            d += 2;
        } else if (r < 0x20 || (r >= 0x7f && r <= 0x9f) || r == 0x2028 || r == 0x2029) {
            d[0] = '\\';
            d[1] = 'u';
            d[2] = hex[(r >> 12) & 15];
            d[3] = hex[(r >> 8) & 15];
            d[4] = hex[(r >> 4) & 15];
            d[5] = hex[r & 15];
            d += 6;
        } else if (r == RUNE_ERROR && !(w == 3 && s[0] == 0xEF)) {
            memcpy(d, "\xEF\xBF\xBD", 3); /* what Go makes of invalid input */
            d += 3;
        } else {
            memcpy(d, s, w);
            d += w;
        }
        s += w;
    }
    *d++ = '"';
    *d = '\0';
    out->len = (size_t)(d - out->data);
    return LTL_OK;
}

/* A token of a statement suffix ("<path> = <value>;"), as gron 0.7's lexer cuts it. */
enum { T_BARE, T_NUMKEY, T_QUOTED, T_DOT, T_LBRACE, T_RBRACE, T_EQUALS, T_SEMI, T_NUMBER, T_VALUE };

struct tok {
    int type;
    const char *text;
    size_t len;
};

/* Next token of s[*i..n); false at the end. */
static bool next_tok(const char *s, size_t n, size_t *i, struct tok *t, bool *in_value)
{
    size_t p = *i;
    if (p >= n)
        return false;
    t->text = s + p;
    if (*in_value) {
        /* the value runs to the final ';' */
        *in_value = false;
        t->type = (s[p] == '-' || (s[p] >= '0' && s[p] <= '9')) ? T_NUMBER : T_VALUE;
        t->len = s[n - 1] == ';' && n - 1 > p ? n - 1 - p : n - p;
        *i = p + t->len;
        return true;
    }
    switch (s[p]) {
    case '.':
        t->type = T_DOT;
        t->len = 1;
        break;
    case '[':
        t->type = T_LBRACE;
        t->len = 1;
        break;
    case ']':
        t->type = T_RBRACE;
        t->len = 1;
        break;
    case ';':
        t->type = T_SEMI;
        t->len = 1;
        break;
    case ' ':
        if (n - p >= 3 && s[p + 1] == '=' && s[p + 2] == ' ') {
            t->type = T_EQUALS;
            t->len = 3;
            *in_value = true;
            break;
        }
        __attribute__((fallthrough));
    default:
        if (p > 0 && s[p - 1] == '[') {
            if (s[p] == '"') {
                size_t q = p + 1;
                while (q < n && s[q] != '"')
                    q += s[q] == '\\' ? 2 : 1;
                t->type = T_QUOTED;
                t->len = (q < n ? q + 1 : n) - p;
            } else {
                size_t q = p;
                while (q < n && s[q] != ']')
                    q++;
                t->type = T_NUMKEY;
                t->len = q - p;
            }
        } else {
            size_t q = p;
            while (q < n && s[q] != '.' && s[q] != '[' && s[q] != ' ')
                q++;
            t->type = T_BARE;
            t->len = q - p;
        }
        break;
    }
    *i = p + t->len;
    return true;
}

static int64_t atoi_go(const char *s, size_t n)
{
    int64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return 0; /* strconv.Atoi fails: 0 */
        if (v > (INT64_MAX - (s[i] - '0')) / 10)
            return INT64_MAX;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

static int text_cmp(const struct tok *a, const struct tok *b)
{
    size_t n = a->len < b->len ? a->len : b->len;
    int c = memcmp(a->text, b->text, n);
    if (c)
        return c;
    return a->len < b->len ? -1 : (a->len > b->len ? 1 : 0);
}

/* gron 0.7's statements.Less over statement suffixes with a common prefix. */
static bool less(const char *a, size_t alen, const char *b, size_t blen)
{
    size_t ia = 0, ib = 0;
    bool va = false, vb = false;
    struct tok ta, tb;
    for (;;) {
        if (!next_tok(a, alen, &ia, &ta, &va))
            return true; /* a ran out first (or they are equal) */
        if (!next_tok(b, blen, &ib, &tb, &vb))
            return false;
        if (ta.type == tb.type && ta.len == tb.len && memcmp(ta.text, tb.text, ta.len) == 0)
            continue;
        break;
    }
    if (ta.type == T_EQUALS)
        return true;
    if (tb.type == T_EQUALS)
        return false;
    if (ta.type == T_NUMKEY && tb.type == T_NUMKEY)
        return atoi_go(ta.text, ta.len) < atoi_go(tb.text, tb.len);
    if (ta.type != T_NUMBER || tb.type != T_NUMBER)
        return text_cmp(&ta, &tb) < 0;
    char na[64], nb[64];
    snprintf(na, sizeof(na), "%.*s", (int)ta.len, ta.text);
    snprintf(nb, sizeof(nb), "%.*s", (int)tb.len, tb.text);
    return strtod(na, NULL) < strtod(nb, NULL);
}

int ltl__gron_compare(const char *a, size_t alen, const char *b, size_t blen)
{
    if (alen == blen && memcmp(a, b, alen) == 0)
        return 0;
    bool ab = less(a, alen, b, blen), ba = less(b, blen, a, alen);
    return ab == ba ? 0 : (ab ? -1 : 1);
}
