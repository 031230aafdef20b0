/* SPDX-License-Identifier: MIT */
/*
 * write.c — producing JSON and path text: string escaping (for callers with
 * arbitrary bytes, and the canonical form of keys in paths), decoding string
 * literals, the pretty printer, and reading and rewriting the path syntax of
 * docs/JSON.md (a.b, a[0], ["a.b"], a[].b).
 */
#include "json/json.h"

#include <stdio.h>

static const char hex_digits[] = "0123456789abcdef";

int ltl__json_set_error(ltl_json_error *err, int code, uint64_t offset, uint64_t line,
                        uint64_t column, const char *fmt, ...)
{
    if (!err)
        return code;
    err->code = code;
    err->offset = offset;
    err->line = line;
    err->column = column;
    err->document = 0;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof(err->message), fmt, ap);
    va_end(ap);
    return code;
}

/* ---- escaping --------------------------------------------------------------------- */

/* Write the escape for control/special byte c at d; returns bytes written. */
static size_t escape_byte(char *d, unsigned c)
{
    d[0] = '\\';
    switch (c) {
    case '"':
        d[1] = '"';
        return 2;
    case '\\':
        d[1] = '\\';
        return 2;
    case '\b':
        d[1] = 'b';
        return 2;
    case '\f':
        d[1] = 'f';
        return 2;
    case '\n':
        d[1] = 'n';
        return 2;
    case '\r':
        d[1] = 'r';
        return 2;
    case '\t':
        d[1] = 't';
        return 2;
    default:
        memcpy(d + 1, "u00", 3);
        d[4] = hex_digits[c >> 4];
        d[5] = hex_digits[c & 15];
        return 6;
    }
}

static size_t put_u16(char *d, unsigned cu)
{
    d[0] = '\\';
    d[1] = 'u';
    d[2] = hex_digits[(cu >> 12) & 15];
    d[3] = hex_digits[(cu >> 8) & 15];
    d[4] = hex_digits[(cu >> 4) & 15];
    d[5] = hex_digits[cu & 15];
    return 6;
}

int ltl__json_escape(ltl__buf *out, const void *text, size_t len)
{
    const unsigned char *s = text, *end = s + len;
    if (len > (SIZE_MAX - 3) / 6)
        return LTL_ENOMEM;
    int rc = ltl__buf_reserve(out, len * 6 + 3);
    if (rc)
        return rc;
    char *d = out->data + out->len;
    *d++ = '"';
    while (s < end) {
        unsigned c = *s;
        if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
            *d++ = (char)c;
            s++;
        } else if (c < 0x80) {
            d += escape_byte(d, c);
            s++;
        } else {
            int n = ltl__utf8_seq_len(s, end);
            if (n > 0) {
                memcpy(d, s, (size_t)n);
                d += n;
                s += n;
            } else {
                d += put_u16(d, 0xfffd);
                s++;
            }
        }
    }
    *d++ = '"';
    *d = '\0';
    out->len = (size_t)(d - out->data);
    return LTL_OK;
}

size_t ltl__json_escape_key_to(char *dst, const char *key, size_t len)
{
    const unsigned char *s = (const unsigned char *)key, *end = s + len;
    char *d = dst;
    while (s < end) {
        unsigned c = *s;
        if (c == '"' || c == '\\' || c < 0x20) {
            d += escape_byte(d, c);
            s++;
        } else if (c == 0xED && end - s >= 3 && s[1] >= 0xA0) {
            /* WTF-8 lone surrogate from a \uD8xx escape: write it back as that escape */
            unsigned cu = 0xD000 | ((unsigned)(s[1] & 0x3F) << 6) | (s[2] & 0x3F);
            d += put_u16(d, cu);
            s += 3;
        } else {
            *d++ = (char)c;
            s++;
        }
    }
    return (size_t)(d - dst);
}

/* ---- decoding ------------------------------------------------------------------------ */

static unsigned hex4(const char *s)
{
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        unsigned c = (unsigned char)s[i];
        v = v * 16 + (c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
    }
    return v;
}

static size_t put_utf8(char *d, unsigned cp)
{
    if (cp < 0x80) {
        d[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        d[0] = (char)(0xC0 | (cp >> 6));
        d[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        d[0] = (char)(0xE0 | (cp >> 12));
        d[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        d[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    d[0] = (char)(0xF0 | (cp >> 18));
    d[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    d[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    d[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

size_t ltl__json_unescape_to(char *dst, const char *body, size_t len)
{
    const char *s = body, *end = body + len;
    char *d = dst;
    while (s < end) {
        const char *bs = memchr(s, '\\', (size_t)(end - s));
        if (!bs) {
            memmove(d, s, (size_t)(end - s));
            d += end - s;
            break;
        }
        memmove(d, s, (size_t)(bs - s));
        d += bs - s;
        s = bs + 1;
        char c = *s++;
        switch (c) {
        case 'b':
            *d++ = '\b';
            break;
        case 'f':
            *d++ = '\f';
            break;
        case 'n':
            *d++ = '\n';
            break;
        case 'r':
            *d++ = '\r';
            break;
        case 't':
            *d++ = '\t';
            break;
        case 'u': {
            unsigned cu = hex4(s);
            s += 4;
            if (cu >= 0xD800 && cu < 0xDC00 && end - s >= 6 && s[0] == '\\' && s[1] == 'u') {
                unsigned lo = hex4(s + 2);
                if (lo >= 0xDC00 && lo < 0xE000) {
                    s += 6;
                    d += put_utf8(d, 0x10000 + ((cu - 0xD800) << 10) + (lo - 0xDC00));
                    break;
                }
            }
            d += put_utf8(d, cu); /* a lone surrogate comes out as WTF-8 */
            break;
        }
        default:
            *d++ = c;
            break; /* '"', '\\', '/' */
        }
    }
    return (size_t)(d - dst);
}

int ltl__json_unescape(ltl__buf *out, const void *body, size_t len)
{
    int rc = ltl__buf_reserve(out, len + 1);
    if (rc)
        return rc;
    out->len += ltl__json_unescape_to(out->data + out->len, body, len);
    out->data[out->len] = '\0';
    return LTL_OK;
}

/* ---- paths ------------------------------------------------------------------------------ */

static bool ident_first(unsigned c)
{
    return (c | 0x20) - 'a' < 26 || c == '_';
}

static bool ident_rest(unsigned c)
{
    return ident_first(c) || c - '0' < 10 || c == '-';
}

bool ltl__json_is_ident(const char *key, size_t len)
{
    if (len == 0 || !ident_first((unsigned char)key[0]))
        return false;
    for (size_t i = 1; i < len; i++)
        if (!ident_rest((unsigned char)key[i]))
            return false;
    return true;
}

int ltl__json_path_append_key(ltl__buf *out, size_t path_len, const char *key, size_t len)
{
    if (len > (SIZE_MAX - 8) / 6)
        return LTL_ENOMEM;
    int rc = ltl__buf_reserve(out, len * 6 + 6);
    if (rc)
        return rc;
    char *d = out->data + out->len;
    if (ltl__json_is_ident(key, len)) {
        if (path_len)
            *d++ = '.';
        memcpy(d, key, len);
        d += len;
    } else {
        *d++ = '[';
        *d++ = '"';
        d += ltl__json_escape_key_to(d, key, len);
        *d++ = '"';
        *d++ = ']';
    }
    *d = '\0';
    out->len = (size_t)(d - out->data);
    return LTL_OK;
}

/* Bytes allowed in a bare key when reading a path: the canonical [A-Za-z0-9_-], plus '$' and
 * non-ASCII bytes, so that hand-written paths like a.名前 read as meant. */
static bool bare_byte(unsigned c)
{
    return ident_rest(c) || c == '$' || c >= 0x80;
}

int ltl__json_path_next(ltl__json_seg *out, const char *path, size_t len, size_t *pos)
{
    size_t i = *pos;
    if (i == 0 && len > 0 && path[0] == '.') {
        if (len == 1) {
            *pos = 1;
            return 0; /* "." is the root */
        }
        if (path[1] != '[')
            i = 1; /* ".a" reads as "a" */
    }
    if (i >= len)
        return 0;
    *out = (ltl__json_seg){0};
    if (path[i] == '.') {
        if (i == 0) {
            *pos = i;
            return LTL_EPARSE;
        }
        i++;
        if (i >= len || path[i] == '[') {
            *pos = i;
            return LTL_EPARSE;
        }
    } else if (path[i] != '[' && i != 0 && !(i == 1 && path[0] == '.')) {
        *pos = i;
        return LTL_EPARSE;
    }
    if (path[i] == '[') {
        i++;
        if (i >= len) {
            *pos = i;
            return LTL_EPARSE;
        }
        if (path[i] == ']') {
            out->is_index = out->wildcard = true;
            *pos = i + 1;
            return 1;
        }
        if (path[i] == '"') {
            size_t start = ++i;
            bool esc = false;
            while (i < len && path[i] != '"') {
                if ((unsigned char)path[i] < 0x20) {
                    *pos = i;
                    return LTL_EPARSE;
                }
                if (path[i] == '\\') {
                    esc = true;
                    i++;
                    if (i >= len) {
                        *pos = i;
                        return LTL_EPARSE;
                    }
                    char e = path[i];
                    if (e == 'u') {
                        for (int k = 1; k <= 4; k++) {
                            unsigned h = i + k < len ? (unsigned char)path[i + k] : 0;
                            if (!((h - '0') < 10 || ((h | 0x20) - 'a') < 6)) {
                                *pos = i + k;
                                return LTL_EPARSE;
                            }
                        }
                        i += 4;
                    } else if (!strchr("\"\\/bfnrt", e) || e == '\0') {
                        *pos = i;
                        return LTL_EPARSE;
                    }
                }
                i++;
            }
            if (i + 1 >= len || path[i + 1] != ']') {
                *pos = i + 1 < len ? i + 1 : len;
                return LTL_EPARSE;
            }
            for (size_t k = start; k < i;) {
                int n = ltl__utf8_seq_len((const unsigned char *)path + k,
                                          (const unsigned char *)path + i);
                if (n == 0) {
                    *pos = k;
                    return LTL_EPARSE;
                }
                k += (size_t)n;
            }
            out->raw = path + start;
            out->raw_len = i - start;
            out->escaped = esc;
            *pos = i + 2;
            return 1;
        }
        if ((unsigned)(path[i] - '0') < 10) {
            uint64_t v = 0;
            size_t start = i;
            while (i < len && (unsigned)(path[i] - '0') < 10) {
                if (v > (UINT64_MAX - 9) / 10) {
                    *pos = i;
                    return LTL_EPARSE;
                }
                v = v * 10 + (uint64_t)(path[i] - '0');
                i++;
            }
            if (i >= len || path[i] != ']' || (path[start] == '0' && i - start > 1)) {
                *pos = i;
                return LTL_EPARSE;
            }
            out->is_index = true;
            out->index = v;
            *pos = i + 1;
            return 1;
        }
        *pos = i;
        return LTL_EPARSE;
    }
    size_t start = i;
    while (i < len && bare_byte((unsigned char)path[i])) {
        if ((unsigned char)path[i] >= 0x80) {
            /* a name like a.名前: whole UTF-8 characters only */
            int n = ltl__utf8_seq_len((const unsigned char *)path + i,
                                      (const unsigned char *)path + len);
            if (n == 0) {
                *pos = i;
                return LTL_EPARSE;
            }
            i += (size_t)n;
        } else {
            i++;
        }
    }
    if (i == start) {
        *pos = i;
        return LTL_EPARSE;
    }
    out->raw = path + start;
    out->raw_len = i - start;
    *pos = i;
    return 1;
}

int ltl__json_path_wildcard(ltl__buf *out, const char *path, size_t len)
{
    int rc = ltl__buf_reserve(out, len + 1);
    if (rc)
        return rc;
    char *d = out->data + out->len;
    size_t i = 0;
    while (i < len) {
        char c = path[i];
        if (c == '[' && i + 1 < len && path[i + 1] == '"') {
            /* copy a quoted key whole: it may contain '[' and digits */
            size_t j = i + 2;
            while (j < len && path[j] != '"')
                j += path[j] == '\\' ? 2 : 1;
            j = j + 2 <= len ? j + 2 : len;
            memcpy(d, path + i, j - i);
            d += j - i;
            i = j;
        } else if (c == '[' && i + 1 < len && (unsigned)(path[i + 1] - '0') < 10) {
            *d++ = '[';
            *d++ = ']';
            i++;
            while (i < len && path[i] != ']')
                i++;
            i++;
        } else {
            *d++ = c;
            i++;
        }
    }
    *d = '\0';
    out->len = (size_t)(d - out->data);
    return LTL_OK;
}

/* ---- pretty printing ------------------------------------------------------------------ */

static int put_indent(ltl__buf *out, int indent, int level)
{
    size_t n = (size_t)indent * (size_t)level;
    int rc = ltl__buf_reserve(out, n + 2);
    if (rc)
        return rc;
    out->data[out->len++] = '\n';
    memset(out->data + out->len, ' ', n);
    out->len += n;
    return LTL_OK;
}

int ltl__json_pretty(ltl__buf *out, const void *json, size_t len, int indent)
{
    int rc = ltl__json_validate(json, len, NULL);
    if (rc)
        return rc;
    if (indent < 0)
        indent = 0;
    const char *s = json, *end = s + len;
    size_t start_len = out->len;
    int level = 0;
    /* the output is at most the input plus indentation; reserve the input size up front */
    if ((rc = ltl__buf_reserve(out, len + 1)))
        goto out;
    while (s < end) {
        char c = *s;
        switch (c) {
        case ' ':
        case '\t':
        case '\n':
        case '\r':
            s++;
            continue;
        case '"': {
            const char *q = s + 1;
            for (;;) {
                q = memchr(q, '"', (size_t)(end - q));
                size_t k = 0; /* count the backslashes before it */
                while (q[-1 - (ptrdiff_t)k] == '\\')
                    k++;
                if (!(k & 1))
                    break;
                q++;
            }
            if ((rc = ltl__buf_append(out, s, (size_t)(q + 1 - s))))
                goto out;
            s = q + 1;
            continue;
        }
        case '{':
        case '[': {
            const char *n = s + 1;
            while (n < end && (*n == ' ' || *n == '\t' || *n == '\n' || *n == '\r'))
                n++;
            if (*n == (c == '{' ? '}' : ']')) {
                if ((rc = ltl__buf_append(out, c == '{' ? "{}" : "[]", 2)))
                    goto out;
                s = n + 1;
                continue;
            }
            if ((rc = ltl__buf_append(out, s, 1)))
                goto out;
            level++;
            if (indent && (rc = put_indent(out, indent, level)))
                goto out;
            s++;
            continue;
        }
        case '}':
        case ']':
            level--;
            if (indent && (rc = put_indent(out, indent, level)))
                goto out;
            if ((rc = ltl__buf_append(out, s, 1)))
                goto out;
            s++;
            continue;
        case ',':
            if ((rc = ltl__buf_append(out, ",", 1)))
                goto out;
            if (indent && (rc = put_indent(out, indent, level)))
                goto out;
            s++;
            continue;
        case ':':
            if ((rc = ltl__buf_append(out, indent ? ": " : ":", indent ? 2 : 1)))
                goto out;
            s++;
            continue;
        default: {
            /* number or literal: up to the next delimiter */
            const char *t = s;
            while (t < end && !strchr(" \t\n\r,:]}", *t))
                t++;
            if ((rc = ltl__buf_append(out, s, (size_t)(t - s))))
                goto out;
            s = t;
            continue;
        }
        }
    }
out:
    if (rc)
        out->len = start_len;
    if (out->data)
        out->data[out->len] = '\0';
    return rc;
}
