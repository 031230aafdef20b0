/* SPDX-License-Identifier: MIT */
/*
 * fuzz_json.c — libFuzzer target for the JSON engine. For each input it
 * checks that (1) parsing in one call and pushed in chunks (sizes from the
 * input) give the same events, code and error offset, in every mode; (2) for
 * valid JSON, flatten in every format works and unflatten(flatten(x)) gives
 * back x (compared as flattened text, which is canonical), when x has no
 * duplicate keys; (3) the pretty printer keeps the document; (4) a JSON
 * Pointer taken from the input never returns anything but valid JSON.
 */
#include "json/json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(c)                                                                                   \
    do {                                                                                           \
        if (!(c)) {                                                                                \
            fprintf(stderr, "check failed: %s (%s:%d)\n", #c, __FILE__, __LINE__);                 \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

/* Events digested into a hash and a count. */
struct digest {
    uint64_t h;
    size_t n;
};

static void mix(struct digest *d, const void *p, size_t n)
{
    const unsigned char *s = p;
    for (size_t i = 0; i < n; i++)
        d->h = (d->h ^ s[i]) * 1099511628211ull;
    d->h = (d->h ^ 0xff) * 1099511628211ull;
}

static int on_event(void *ctx, const ltl_json_event *ev)
{
    struct digest *d = ctx;
    CHECK(ev->path[ev->path_len] == '\0');
    mix(d, &ev->type, sizeof(ev->type));
    mix(d, ev->path, ev->path_len);
    mix(d, ev->key, ev->key_len);
    mix(d, ev->value, ev->value_len);
    mix(d, &ev->depth, sizeof(ev->depth));
    mix(d, &ev->document, sizeof(ev->document));
    mix(d, &ev->offset, sizeof(ev->offset));
    d->n++;
    return 0;
}

/* Paths of all values (containers too): a repeat means a duplicate key. */
struct paths {
    char **p;
    size_t n, cap;
    bool dup;
};

static int on_path(void *ctx, const ltl_json_event *ev)
{
    struct paths *ps = ctx;
    for (size_t i = 0; i < ps->n && !ps->dup; i++)
        if (strcmp(ps->p[i], ev->path) == 0)
            ps->dup = true;
    if (ps->n == ps->cap) {
        ps->cap = ps->cap ? ps->cap * 2 : 64;
        ps->p = realloc(ps->p, ps->cap * sizeof(*ps->p));
    }
    ps->p[ps->n++] = strdup(ev->path);
    return ps->n > 4096 ? 1 : 0; /* enough: large inputs skip the round trip */
}

static int parse_chunked(const uint8_t *data, size_t size, const ltl_json_options *o, size_t chunk,
                         struct digest *d, ltl_json_error *err)
{
    ltl_json_parser *p;
    CHECK(ltl_json_parser_new(&p, o, on_event, d) == LTL_OK);
    int rc = LTL_OK;
    for (size_t i = 0; i < size && rc == LTL_OK; i += chunk)
        rc = ltl_json_parser_feed(p, data + i, i + chunk > size ? size - i : chunk);
    if (rc == LTL_OK)
        rc = ltl_json_parser_finish(p);
    *err = *ltl_json_parser_error(p);
    ltl_json_parser_free(p);
    return rc;
}

static char *flatten(const uint8_t *data, size_t size, int format, size_t *len)
{
    ltl_json_options o = LTL_JSON_OPTIONS_INIT;
    o.mode = LTL_JSON_MODE_DOCUMENT;
    char *out = NULL;
    int rc = ltl_json_flatten(&out, len, data, size, format, &o, NULL);
    CHECK(rc == LTL_OK);
    return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    size_t chunk = (size_t)(data[0] % 17) + 1;
    data++;
    size--;

    /* (1) one call vs pushed chunks, every mode */
    for (int mode = LTL_JSON_MODE_AUTO; mode <= LTL_JSON_MODE_STREAM; mode++) {
        ltl_json_options o = LTL_JSON_OPTIONS_INIT;
        o.mode = mode;
        o.max_depth = 64;
        struct digest a = {14695981039346656037ull, 0}, b = a;
        ltl_json_error ea, eb;
        int ra = ltl_json_parse(data, size, &o, on_event, &a, &ea);
        int rb = parse_chunked(data, size, &o, chunk, &b, &eb);
        CHECK(ra == rb);
        CHECK(a.h == b.h && a.n == b.n);
        if (ra)
            CHECK(ea.offset == eb.offset && ea.line == eb.line && ea.column == eb.column);
        /* validation without a callback agrees */
        CHECK(ltl_json_parse(data, size, &o, NULL, NULL, NULL) == ra);
    }
    if (ltl__json_validate(data, size, NULL) != LTL_OK)
        return 0;

    /* (2) flatten in every format; unflatten gives the document back */
    size_t flen = 0;
    char *lines = flatten(data, size, LTL_JSON_FLAT_LINES, &flen);
    struct paths ps = {0};
    ltl_json_options co = LTL_JSON_OPTIONS_INIT;
    co.flags = LTL_JSON_EMIT_CONTAINERS;
    int prc = ltl_json_parse(data, size, &co, on_path, &ps, NULL);
    bool roundtrip = prc == LTL_OK && !ps.dup;
    for (size_t i = 0; i < ps.n; i++)
        free(ps.p[i]);
    free(ps.p);
    for (int format = LTL_JSON_FLAT_LINES; format <= LTL_JSON_FLAT_GRON; format++) {
        size_t len = 0;
        char *f = flatten(data, size, format, &len);
        char *back = NULL;
        size_t blen = 0;
        ltl_json_error err;
        int rc = ltl_json_unflatten(&back, &blen, f, len, format, &err);
        if (roundtrip) {
            if (rc != LTL_OK)
                fprintf(stderr, "unflatten failed: %s line %llu\n%s\n", err.message,
                        (unsigned long long)err.line, f);
            CHECK(rc == LTL_OK);
            if (format != LTL_JSON_FLAT_GRON) {
                size_t l2 = 0;
                char *again = flatten((const uint8_t *)back, blen, LTL_JSON_FLAT_LINES, &l2);
                if (l2 != flen || memcmp(again, lines, flen) != 0)
                    fprintf(stderr, "round trip differs:\n%s---\n%s---\n", lines, again);
                CHECK(l2 == flen && memcmp(again, lines, flen) == 0);
                ltl_free(again);
            }
        }
        if (rc == LTL_OK) {
            ltl_json_options so = LTL_JSON_OPTIONS_INIT;
            so.mode = LTL_JSON_MODE_STREAM;
            CHECK(ltl_json_parse(back, blen, &so, NULL, NULL, NULL) == LTL_OK);
        }
        ltl_free(back);
        ltl_free(f);
    }
    ltl_free(lines);

    /* (3) pretty printing keeps the document */
    ltl__buf pretty = {0}, compact1 = {0}, compact2 = {0};
    CHECK(ltl__json_pretty(&pretty, data, size, 2) == LTL_OK);
    CHECK(ltl__json_pretty(&compact1, data, size, 0) == LTL_OK);
    CHECK(ltl__json_pretty(&compact2, pretty.data, pretty.len, 0) == LTL_OK);
    CHECK(compact1.len == compact2.len && memcmp(compact1.data, compact2.data, compact1.len) == 0);
    ltl__buf_free(&pretty);
    ltl__buf_free(&compact1);
    ltl__buf_free(&compact2);

    /* (4) a pointer made of the input's first bytes */
    char ptr[32] = "/";
    size_t pl = size < 30 ? size : 30;
    for (size_t i = 0; i < pl; i++)
        ptr[i + 1] = data[i] ? (char)data[i] : '/';
    ptr[pl + 1] = '\0';
    const char *v;
    size_t vlen;
    int rc = ltl_json_pointer_get(&v, &vlen, data, size, ptr, NULL);
    if (rc == LTL_OK)
        CHECK(ltl__json_validate(v, vlen, NULL) == LTL_OK);
    else
        CHECK(rc == LTL_ENOTFOUND || rc == LTL_EINVAL);
    CHECK(ltl_json_pointer_get(&v, &vlen, data, size, "", NULL) == LTL_OK);
    return 0;
}
