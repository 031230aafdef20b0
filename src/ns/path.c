/* SPDX-License-Identifier: MIT */
/*
 * path.c — namespace paths as text: checking and splitting a path into
 * segments (with "." and ".." resolved on the text, before anything is
 * looked up), JSON Pointer tokens (RFC 6901: ~0 is '~', ~1 is '/'; and for
 * names that no path segment or file system can hold, ltl's ~. ~e ~xHH), and
 * the text of a path prefix for messages.
 */
#include "ns/ns.h"

#include <stdio.h>

int ns_path_parse(struct ns_path *out, const char *path)
{
    memset(out, 0, offsetof(struct ns_path, inline_text));
    size_t len = strlen(path);
    if (len > LTL_NS_PATH_MAX)
        return ltl__errf(LTL_ETOOBIG, "path of %zu bytes is longer than the limit of %d bytes", len,
                         LTL_NS_PATH_MAX);
    if (len == 0 || path[0] != '/')
        return ltl__errf(LTL_EINVAL, "'%.200s': a namespace path starts with '/'", path);
    if (!ltl__utf8_valid(path, len))
        return ltl__errf(LTL_EINVAL, "path is not valid UTF-8");
    /* A trailing '/' asks for a directory; it is not an (empty) segment. */
    if (len > 1 && path[len - 1] == '/') {
        out->dir = true;
        len--;
    }
    /* at most len/2 + 1 segments: each but the first needs its '/' */
    size_t max_segs = len / 2 + 2;
    out->text = len + 1 <= sizeof(out->inline_text) ? out->inline_text : ltl__malloc(len + 1);
    if (max_segs <= LTL__ARRAY_LEN(out->inline_segs)) {
        out->segs = out->inline_segs;
        out->lens = out->inline_lens;
    } else {
        out->segs = ltl__malloc(max_segs * sizeof(*out->segs));
        out->lens = ltl__malloc(max_segs * sizeof(*out->lens));
    }
    if (!out->text || !out->segs || !out->lens) {
        ns_path_free(out);
        return ltl__errf(LTL_ENOMEM, "out of memory");
    }
    char *w = out->text;
    size_t i = 1; /* past the leading '/' */
    if (len == 1)
        return LTL_OK; /* "/" */
    for (;;) {
        size_t start = i;
        while (i < len && path[i] != '/')
            i++;
        size_t seg_len = i - start;
        const char *seg = path + start;
        if (seg_len == 1 && seg[0] == '.') {
            /* "." is where we are */
        } else if (seg_len == 2 && seg[0] == '.' && seg[1] == '.') {
            /* ".." removes the segment before it and the empty ones after that,
             * as "a//.." is "a/.." in POSIX; at the root it does nothing */
            while (out->n > 0 && out->lens[out->n - 1] == 0)
                out->n--;
            if (out->n > 0)
                out->n--;
            w = out->n > 0 ? (char *)out->segs[out->n - 1] + out->lens[out->n - 1] + 1 : out->text;
        } else {
            memcpy(w, seg, seg_len);
            w[seg_len] = '\0';
            out->segs[out->n] = w;
            out->lens[out->n] = (uint32_t)seg_len;
            out->n++;
            w += seg_len + 1;
        }
        if (i >= len)
            break;
        i++; /* the '/' */
    }
    return LTL_OK;
}

static int hex_digit(char c)
{
    return c >= '0' && c <= '9'   ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                  : -1;
}

void ns_path_free(struct ns_path *p)
{
    if (p->text != p->inline_text)
        ltl__free(p->text);
    if (p->segs != p->inline_segs)
        ltl__free((void *)p->segs);
    if (p->lens != p->inline_lens)
        ltl__free(p->lens);
    p->text = NULL;
    p->segs = NULL;
    p->lens = NULL;
}

long ns_token_decode(char *dst, const char *token, size_t len)
{
    if (len == 2 && token[0] == '~' && token[1] == 'e')
        return 0; /* the empty key, as listings write it */
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        if (token[i] != '~') {
            dst[o++] = token[i];
            continue;
        }
        char e = i + 1 < len ? token[i + 1] : '\0';
        if (e == '0' || e == '1' || e == '.') {
            dst[o++] = e == '0' ? '~' : e == '1' ? '/' : '.';
            i++;
            continue;
        }
        /* ~xHH: a byte that is not part of valid UTF-8 (0x80 to 0xff) */
        int hi = i + 3 < len && e == 'x' ? hex_digit(token[i + 2]) : -1;
        int lo = hi >= 8 ? hex_digit(token[i + 3]) : -1;
        if (lo < 0)
            return -1;
        dst[o++] = (char)(hi << 4 | lo);
        i += 3;
    }
    return (long)o;
}

int ns_pointer_token(ltl__buf *out, const char *name, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        int rc;
        if (name[i] == '~')
            rc = ltl__buf_append(out, "~0", 2);
        else if (name[i] == '/')
            rc = ltl__buf_append(out, "~1", 2);
        else
            rc = ltl__buf_append(out, name + i, 1);
        if (rc)
            return rc;
    }
    return LTL_OK;
}

/* The length of the valid UTF-8 sequence at s[0..n), or 0 when there is none. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
    size_t k = s[0] < 0x80 ? 1 : s[0] < 0xe0 ? 2 : s[0] < 0xf0 ? 3 : 4;
    return k <= n && ltl__utf8_valid(s, k) ? k : 0;
}

int ns_token_encode(ltl__buf *out, const char *name, size_t len)
{
    /* the names no path segment can carry, and no file system either */
    if (len == 0)
        return ltl__buf_append(out, "~e", 2);
    if (name[0] == '.' && (len == 1 || (len == 2 && name[1] == '.')))
        return ltl__buf_append(out, "~..", len + 1);
    const unsigned char *s = (const unsigned char *)name;
    for (size_t i = 0; i < len;) {
        size_t k = utf8_len(s + i, len - i);
        int rc;
        if (k == 0 || s[i] == '\0') {
            char hex[5];
            snprintf(hex, sizeof(hex), "~x%02x", s[i]);
            rc = ltl__buf_append(out, hex, 4);
            k = 1;
        } else if (s[i] == '~' || s[i] == '/') {
            rc = ltl__buf_append(out, s[i] == '~' ? "~0" : "~1", 2);
        } else {
            rc = ltl__buf_append(out, name + i, k);
        }
        if (rc)
            return rc;
        i += k;
    }
    return LTL_OK;
}

int ns_path_text(ltl__buf *out, const struct ns_path *p, size_t n)
{
    size_t first = 0;
    while (first < n && p->lens[first] == 0)
        first++; /* "//seq" is "/seq" */
    if (first == n)
        return ltl__buf_append(out, "/", 1);
    for (size_t i = first; i < n; i++) {
        if (ltl__buf_append(out, "/", 1) || ltl__buf_append(out, p->segs[i], p->lens[i]))
            return LTL_ENOMEM;
    }
    return LTL_OK;
}
