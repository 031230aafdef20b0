/* SPDX-License-Identifier: MIT */
/*
 * csv_module.c — an example plugin module for ltl's namespace: the `.csv`
 * transform. `ltl get /seq/42.csv` turns a JSON object, or an array of
 * objects, into CSV (RFC 4180 quoting, "\n" line ends): a header of the
 * keys in order of first appearance, then one row per object. Strings are
 * written decoded, numbers and booleans as written, null as an empty
 * field, objects and arrays as their JSON text.
 *
 * Build it as a shared object and name it in the ns.modules key:
 *     cc -shared -fPIC -I include -o ltl_csv.so examples/csv/csv_module.c
 *     ltl --config ns.modules=$PWD/ltl_csv.so get /seq/42.csv
 * A plugin needs only include/ltl.h: it exports one ltl_module_v1 named
 * `ltl_module` and writes through the sink the library passes it.
 */
#include "ltl.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* ---- a small JSON reader: spans of the input, nothing allocated ---------------- */

struct span {
    const char *p;
    size_t n;
};

struct reader {
    const char *s, *end;
    bool bad;
};

static void ws(struct reader *r)
{
    while (r->s < r->end && (*r->s == ' ' || *r->s == '\t' || *r->s == '\n' || *r->s == '\r'))
        r->s++;
}

/* A string at r->s: its body (between the quotes). */
static bool string_span(struct reader *r, struct span *out)
{
    if (r->s >= r->end || *r->s != '"')
        return false;
    const char *start = ++r->s;
    while (r->s < r->end && *r->s != '"') {
        if (*r->s == '\\')
            r->s++;
        r->s++;
    }
    if (r->s >= r->end)
        return false;
    out->p = start;
    out->n = (size_t)(r->s - start);
    r->s++;
    return true;
}

/* Any value at r->s: its text. */
static bool value_span(struct reader *r, struct span *out)
{
    ws(r);
    const char *start = r->s;
    if (r->s >= r->end)
        return false;
    if (*r->s == '"') {
        struct span body;
        if (!string_span(r, &body))
            return false;
    } else if (*r->s == '{' || *r->s == '[') {
        int depth = 0;
        while (r->s < r->end) {
            char c = *r->s;
            if (c == '"') {
                struct span body;
                if (!string_span(r, &body))
                    return false;
                continue;
            }
            if (c == '{' || c == '[')
                depth++;
            else if ((c == '}' || c == ']') && --depth == 0) {
                r->s++;
                break;
            }
            r->s++;
        }
        if (depth != 0)
            return false;
    } else {
        while (r->s < r->end && !strchr(" \t\n\r,]}", *r->s))
            r->s++;
        if (r->s == start)
            return false;
    }
    out->p = start;
    out->n = (size_t)(r->s - start);
    return true;
}

/* Call fn for each member of the object at r->s. */
typedef bool (*member_fn)(void *ctx, struct span key, struct span value);

static bool each_member(struct reader *r, member_fn fn, void *ctx)
{
    ws(r);
    if (r->s >= r->end || *r->s != '{')
        return false;
    r->s++;
    ws(r);
    if (r->s < r->end && *r->s == '}') {
        r->s++;
        return true;
    }
    for (;;) {
        struct span key, value;
        ws(r);
        if (!string_span(r, &key))
            return false;
        ws(r);
        if (r->s >= r->end || *r->s != ':')
            return false;
        r->s++;
        if (!value_span(r, &value) || !fn(ctx, key, value))
            return false;
        ws(r);
        if (r->s < r->end && *r->s == ',') {
            r->s++;
            continue;
        }
        if (r->s < r->end && *r->s == '}') {
            r->s++;
            return true;
        }
        return false;
    }
}

/* ---- output ----------------------------------------------------------------------- */

static int put_utf8(ltl_ns_sink *out, unsigned long cp)
{
    char b[4];
    size_t n;
    if (cp < 0x80) {
        b[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        b[0] = (char)(0xC0 | (cp >> 6));
        b[1] = (char)(0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        b[0] = (char)(0xE0 | (cp >> 12));
        b[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        b[2] = (char)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        b[0] = (char)(0xF0 | (cp >> 18));
        b[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        b[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        b[3] = (char)(0x80 | (cp & 0x3F));
        n = 4;
    }
    return out->write(out, b, n);
}

static unsigned long hex4(const char *p)
{
    unsigned long v = 0;
    for (int i = 0; i < 4; i++) {
        char c = p[i];
        v = v * 16 + (unsigned long)(c >= 'a' ? c - 'a' + 10 : c >= 'A' ? c - 'A' + 10 : c - '0');
    }
    return v;
}

/* Write a field: the value as text, quoted when it holds , " CR or LF. */
static int put_field(ltl_ns_sink *out, struct span v)
{
    bool string = v.n >= 2 && v.p[0] == '"';
    const char *p = string ? v.p + 1 : v.p, *end = string ? v.p + v.n - 1 : v.p + v.n;
    if (!string && v.n == 4 && memcmp(v.p, "null", 4) == 0)
        return LTL_OK;
    bool quote = false;
    for (const char *q = p; q < end; q++)
        if (*q == ',' || *q == '"' || *q == '\n' || *q == '\r' || (string && *q == '\\'))
            quote = true;
    int rc = quote ? out->write(out, "\"", 1) : LTL_OK;
    while (rc == LTL_OK && p < end) {
        char c = *p++;
        if (string && c == '\\' && p < end) {
            char e = *p++;
            unsigned long cp;
            switch (e) {
            case 'n':
                rc = out->write(out, "\n", 1);
                break;
            case 't':
                rc = out->write(out, "\t", 1);
                break;
            case 'r':
                rc = out->write(out, "\r", 1);
                break;
            case 'b':
                rc = out->write(out, "\b", 1);
                break;
            case 'f':
                rc = out->write(out, "\f", 1);
                break;
            case 'u':
                if (end - p < 4)
                    return LTL_EINVAL;
                cp = hex4(p);
                p += 4;
                if (cp >= 0xD800 && cp < 0xDC00 && end - p >= 6 && p[0] == '\\' && p[1] == 'u') {
                    unsigned long lo = hex4(p + 2);
                    if (lo >= 0xDC00 && lo < 0xE000) {
                        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                        p += 6;
                    }
                }
                rc = put_utf8(out, cp);
                break;
            case '"':
                rc = out->write(out, "\"\"", 2);
                break;
            default:
                rc = out->write(out, &e, 1);
                break;
            }
        } else if (c == '"') {
            rc = out->write(out, "\"\"", 2);
        } else {
            rc = out->write(out, &c, 1);
        }
    }
    return rc == LTL_OK && quote ? out->write(out, "\"", 1) : rc;
}

/* ---- the transform ------------------------------------------------------------------ */

#define MAX_COLUMNS 1024

struct columns {
    struct span key[MAX_COLUMNS];
    size_t n;
    bool full;
};

static bool same_key(struct span a, struct span b)
{
    return a.n == b.n && memcmp(a.p, b.p, a.n) == 0;
}

static bool add_column(void *ctx, struct span key, struct span value)
{
    (void)value;
    struct columns *c = ctx;
    for (size_t i = 0; i < c->n; i++)
        if (same_key(c->key[i], key))
            return true;
    if (c->n == MAX_COLUMNS) {
        c->full = true;
        return false;
    }
    c->key[c->n++] = key;
    return true;
}

struct row {
    const struct columns *cols;
    struct span value[MAX_COLUMNS];
    bool set[MAX_COLUMNS];
};

static bool take_value(void *ctx, struct span key, struct span value)
{
    struct row *r = ctx;
    for (size_t i = 0; i < r->cols->n; i++) {
        if (same_key(r->cols->key[i], key)) {
            r->value[i] = value; /* of duplicate keys the last counts */
            r->set[i] = true;
        }
    }
    return true;
}

/* The objects of the input, one by one: fn(ctx, object text). */
static int each_object(const char *data, size_t len, int (*fn)(void *, struct span), void *ctx)
{
    struct reader r = {data, data + len, false};
    ws(&r);
    if (r.s < r.end && *r.s == '{') {
        struct span obj;
        if (!value_span(&r, &obj))
            return LTL_EINVAL;
        return fn(ctx, obj);
    }
    if (r.s >= r.end || *r.s != '[')
        return LTL_EINVAL;
    r.s++;
    ws(&r);
    if (r.s < r.end && *r.s == ']')
        return LTL_OK;
    for (;;) {
        struct span v;
        if (!value_span(&r, &v) || v.p[0] != '{')
            return LTL_EINVAL;
        int rc = fn(ctx, v);
        if (rc)
            return rc;
        ws(&r);
        if (r.s < r.end && *r.s == ',') {
            r.s++;
            continue;
        }
        return r.s < r.end && *r.s == ']' ? LTL_OK : LTL_EINVAL;
    }
}

static int collect_columns(void *ctx, struct span obj)
{
    struct reader r = {obj.p, obj.p + obj.n, false};
    struct columns *c = ctx;
    if (!each_member(&r, add_column, c))
        return c->full ? LTL_ETOOBIG : LTL_EINVAL;
    return LTL_OK;
}

struct emit {
    ltl_ns_sink *out;
    const struct columns *cols;
    struct row *row;
};

static int emit_row(void *ctx, struct span obj)
{
    struct emit *e = ctx;
    struct reader r = {obj.p, obj.p + obj.n, false};
    memset(e->row->set, 0, sizeof(e->row->set));
    if (!each_member(&r, take_value, e->row))
        return LTL_EINVAL;
    int rc = LTL_OK;
    for (size_t i = 0; rc == LTL_OK && i < e->cols->n; i++) {
        if (i)
            rc = e->out->write(e->out, ",", 1);
        if (rc == LTL_OK && e->row->set[i])
            rc = put_field(e->out, e->row->value[i]);
    }
    return rc ? rc : e->out->write(e->out, "\n", 1);
}

static int csv_transform(void *ctx, ltl_ns_sink *out, const void *data, size_t len)
{
    (void)ctx;
    struct columns *cols = calloc(1, sizeof(*cols));
    struct row *row = calloc(1, sizeof(*row));
    int rc = cols && row ? LTL_OK : LTL_ENOMEM;
    if (rc == LTL_OK)
        rc = each_object(data, len, collect_columns, cols);
    if (rc == LTL_EINVAL)
        rc = out->error(out, LTL_EINVAL, "needs a JSON object or an array of objects");
    else if (rc == LTL_ETOOBIG)
        rc = out->error(out, LTL_ETOOBIG, "more than 1024 columns");
    for (size_t i = 0; rc == LTL_OK && i < cols->n; i++) {
        if (i)
            rc = out->write(out, ",", 1);
        struct span quoted = {cols->key[i].p - 1, cols->key[i].n + 2};
        if (rc == LTL_OK)
            rc = put_field(out, quoted);
    }
    if (rc == LTL_OK && cols->n)
        rc = out->write(out, "\n", 1);
    if (rc == LTL_OK) {
        row->cols = cols;
        struct emit e = {out, cols, row};
        rc = each_object(data, len, emit_row, &e);
    }
    free(cols);
    free(row);
    return rc;
}

const ltl_module_v1 ltl_module = {
    LTL_MODULE_VERSION,
    "csv",
    "a JSON object or array of objects as CSV",
    NULL,
    csv_transform,
    NULL,
    NULL,
    NULL,
};
