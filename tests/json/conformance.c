/* SPDX-License-Identifier: MIT */
/*
 * conformance.c — JSONTestSuite (test_parsing): every y_ file must be
 * accepted and every n_ file rejected; each i_ file (implementation-defined)
 * must get the outcome docs/JSON.md gives for it: accepted exactly when its
 * bytes are valid UTF-8 without a byte order mark (lone surrogate escapes and
 * numbers of any size are accepted; invalid UTF-8, UTF-16 and a BOM are not).
 * Every file must get the same outcome and error offset when fed one byte at a
 * time, and every accepted file must survive flatten + unflatten in every flat
 * format.
 *
 * usage: json_conformance DIR   (JSONTestSuite/test_parsing)
 */
#include "ltl.h"

#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures;

#define FAIL(...)                                                                                  \
    do {                                                                                           \
        fprintf(stderr, "FAIL: " __VA_ARGS__);                                                     \
        fputc('\n', stderr);                                                                       \
        failures++;                                                                                \
    } while (0)

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    size_t got;
    while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            char *b = realloc(buf, cap *= 2);
            if (!b) {
                free(buf);
                buf = NULL;
            }
            buf = b;
        }
    }
    fclose(f);
    *len = n;
    return buf;
}

/* Strict UTF-8 (RFC 3629) without a leading BOM. */
static bool utf8_no_bom(const unsigned char *s, size_t n)
{
    if (n >= 3 && s[0] == 0xEF && s[1] == 0xBB && s[2] == 0xBF)
        return false;
    for (size_t i = 0; i < n;) {
        unsigned c = s[i];
        size_t len = c < 0x80 ? 1 : c < 0xC2 ? 0 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : c < 0xF5 ? 4 : 0;
        if (!len || i + len > n)
            return false;
        unsigned lo = 0x80, hi = 0xBF;
        if (c == 0xE0)
            lo = 0xA0;
        else if (c == 0xED)
            hi = 0x9F;
        else if (c == 0xF0)
            lo = 0x90;
        else if (c == 0xF4)
            hi = 0x8F;
        if (len > 1 && (s[i + 1] < lo || s[i + 1] > hi))
            return false;
        for (size_t k = 2; k < len; k++)
            if ((s[i + k] & 0xC0) != 0x80)
                return false;
        i += len;
    }
    return true;
}

static int validate(const char *data, size_t len, ltl_json_error *err)
{
    ltl_json_options o = LTL_JSON_OPTIONS_INIT;
    o.mode = LTL_JSON_MODE_DOCUMENT;
    return ltl_json_parse(data, len, &o, NULL, NULL, err);
}

static int validate_bytewise(const char *data, size_t len, ltl_json_error *err)
{
    ltl_json_options o = LTL_JSON_OPTIONS_INIT;
    o.mode = LTL_JSON_MODE_DOCUMENT;
    ltl_json_parser *p;
    if (ltl_json_parser_new(&p, &o, NULL, NULL))
        return LTL_ENOMEM;
    int rc = LTL_OK;
    for (size_t i = 0; i < len && rc == LTL_OK; i++)
        rc = ltl_json_parser_feed(p, data + i, 1);
    if (rc == LTL_OK)
        rc = ltl_json_parser_finish(p);
    *err = *ltl_json_parser_error(p);
    ltl_json_parser_free(p);
    return rc;
}

/* flatten in every format, unflatten, flatten again: the lines text must not change
 * (gron, which keeps the last of duplicate keys, must at least come back). */
static void round_trip(const char *name, const char *data, size_t len)
{
    ltl_json_options o = LTL_JSON_OPTIONS_INIT;
    o.mode = LTL_JSON_MODE_DOCUMENT;
    char *lines = NULL;
    size_t llen = 0;
    if (ltl_json_flatten(&lines, &llen, data, len, LTL_JSON_FLAT_LINES, &o, NULL) != LTL_OK) {
        FAIL("%s: flatten failed", name);
        return;
    }
    for (int format = LTL_JSON_FLAT_LINES; format <= LTL_JSON_FLAT_GRON; format++) {
        char *flat = NULL, *back = NULL, *again = NULL;
        size_t flen = 0, blen = 0, alen = 0;
        ltl_json_error err;
        if (ltl_json_flatten(&flat, &flen, data, len, format, &o, NULL) != LTL_OK) {
            FAIL("%s: flatten (format %d) failed", name, format);
            continue;
        }
        if (ltl_json_unflatten(&back, &blen, flat, flen, format, &err) != LTL_OK) {
            FAIL("%s: unflatten (format %d): %s", name, format, err.message);
        } else if (format != LTL_JSON_FLAT_GRON) {
            if (ltl_json_flatten(&again, &alen, back, blen, LTL_JSON_FLAT_LINES, &o, NULL) ||
                alen != llen || memcmp(again, lines, llen) != 0)
                FAIL("%s: round trip through format %d changed the document", name, format);
        }
        ltl_free(flat);
        ltl_free(back);
        ltl_free(again);
    }
    ltl_free(lines);
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: json_conformance DIR\n");
        return 2;
    }
    DIR *d = opendir(argv[1]);
    if (!d) {
        fprintf(stderr, "cannot open %s\n", argv[1]);
        return 2;
    }
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        size_t l = strlen(e->d_name);
        if (l < 6 || strcmp(e->d_name + l - 5, ".json") != 0 || e->d_name[1] != '_')
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 512;
            names = realloc(names, cap * sizeof(*names));
        }
        names[n++] = strdup(e->d_name);
    }
    closedir(d);
    qsort(names, n, sizeof(*names), by_name);

    int y = 0, nn = 0, i_acc = 0, i_rej = 0;
    for (size_t k = 0; k < n; k++) {
        char path[4096];
        snprintf(path, sizeof(path), "%s/%s", argv[1], names[k]);
        size_t len = 0;
        char *data = slurp(path, &len);
        if (!data) {
            FAIL("%s: cannot read", names[k]);
            continue;
        }
        ltl_json_error e1 = {0}, e2 = {0};
        int rc = validate(data, len, &e1);
        int rc2 = validate_bytewise(data, len, &e2);
        if (rc != rc2 || (rc && e1.offset != e2.offset))
            FAIL("%s: %d at %llu in one piece, %d at %llu byte by byte", names[k], rc,
                 (unsigned long long)e1.offset, rc2, (unsigned long long)e2.offset);
        char kind = names[k][0];
        if (kind == 'y') {
            if (rc != LTL_OK)
                FAIL("%s: rejected: %s", names[k], e1.message);
            else
                y++;
        } else if (kind == 'n') {
            if (rc == LTL_OK)
                FAIL("%s: accepted", names[k]);
            else
                nn++;
        } else if (kind == 'i') {
            bool want = utf8_no_bom((const unsigned char *)data, len);
            if ((rc == LTL_OK) != want)
                FAIL("%s: %s, but docs/JSON.md says %s", names[k], rc ? "rejected" : "accepted",
                     want ? "accepted" : "rejected");
            printf("  %-50s %s%s%s\n", names[k], rc ? "rejected: " : "accepted",
                   rc ? e1.message : "", "");
            if (rc)
                i_rej++;
            else
                i_acc++;
        }
        if (rc == LTL_OK)
            round_trip(names[k], data, len);
        free(data);
        free(names[k]);
    }
    free(names);
    printf("JSONTestSuite: %d y_ accepted, %d n_ rejected, %d i_ as documented (%d accepted, "
           "%d rejected); byte-by-byte feeding agrees; accepted files round-trip; %d failure%s\n",
           y, nn, i_acc + i_rej, i_acc, i_rej, failures, failures == 1 ? "" : "s");
    if (y + nn == 0)
        FAIL("no test files found in %s", argv[1]);
    return failures ? 1 : 0;
}
