/* SPDX-License-Identifier: MIT */
/*
 * pointer.c — JSON Pointer (RFC 6901) resolution. The document is validated
 * first (so a pointer never yields a value from broken JSON); the walk then
 * skips what is not on the pointer's way without building anything, and
 * returns the value's text as a slice of the input. Of duplicate keys the
 * last counts, as in JSON.parse and most parsers.
 */
#include "json/json.h"

static const char *skip_ws(const char *s, const char *end)
{
    while (s < end && (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r'))
        s++;
    return s;
}

/* s at a '"': the position after the closing quote. */
static const char *skip_string(const char *s, const char *end)
{
    s++;
    while (s < end) {
        if (*s == '\\')
            s += 2;
        else if (*s == '"')
            return s + 1;
        else
            s++;
    }
    return end;
}

/* s at the start of a (valid) value: the position after it. */
static const char *skip_value(const char *s, const char *end)
{
    if (*s == '"')
        return skip_string(s, end);
    if (*s == '{' || *s == '[') {
        size_t depth = 0;
        while (s < end) {
            char c = *s;
            if (c == '"') {
                s = skip_string(s, end);
                continue;
            }
            if (c == '{' || c == '[')
                depth++;
            else if (c == '}' || c == ']') {
                if (--depth == 0)
                    return s + 1;
            }
            s++;
        }
        return end;
    }
    while (s < end && !strchr(" \t\n\r,]}", *s))
        s++;
    return s;
}

/* Does the key whose raw body is [k, kend) equal token[0..n)? */
static int key_equals(const char *k, const char *kend, const char *token, size_t n, bool *eq)
{
    size_t len = (size_t)(kend - k);
    if (!memchr(k, '\\', len)) {
        *eq = len == n && memcmp(k, token, n) == 0;
        return LTL_OK;
    }
    char small[256];
    char *buf = len <= sizeof(small) ? small : ltl__malloc(len);
    if (!buf)
        return LTL_ENOMEM;
    size_t dl = ltl__json_unescape_to(buf, k, len);
    *eq = dl == n && memcmp(buf, token, n) == 0;
    if (buf != small)
        ltl__free(buf);
    return LTL_OK;
}

/* Decode one reference token (~1 -> '/', ~0 -> '~') into dst; -1 if it has a bad '~'. */
static ptrdiff_t decode_token(char *dst, const char *t, size_t n)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (t[i] != '~') {
            dst[o++] = t[i];
            continue;
        }
        if (i + 1 >= n || (t[i + 1] != '0' && t[i + 1] != '1'))
            return -1;
        dst[o++] = t[++i] == '0' ? '~' : '/';
    }
    return (ptrdiff_t)o;
}

int ltl_json_pointer_get(const char **out, size_t *out_len, const void *json, size_t len,
                         const char *pointer, ltl_json_error *err)
{
    if (!out || !out_len || !pointer || (!json && len))
        return LTL_EINVAL;
    *out = NULL;
    *out_len = 0;
    const char *doc = json ? json : "";
    int rc = ltl__json_validate(doc, len, err);
    if (rc)
        return rc;
    if (*pointer && *pointer != '/')
        return ltl__json_set_error(err, LTL_EINVAL, 0, 1, 1,
                                   "a JSON Pointer is empty or starts with '/'");
    const char *end = doc + len;
    const char *cur = skip_ws(doc, end);
    size_t plen = strlen(pointer);
    char *token = ltl__malloc(plen + 1);
    if (!token)
        return ltl__json_set_error(err, LTL_ENOMEM, 0, 1, 1, "out of memory");
    const char *p = pointer;
    rc = LTL_OK;
    while (*p) {
        const char *t = p + 1;
        const char *slash = strchr(t, '/');
        size_t tl = slash ? (size_t)(slash - t) : strlen(t);
        ptrdiff_t n = decode_token(token, t, tl);
        if (n < 0) {
            rc = ltl__json_set_error(err, LTL_EINVAL, 0, 1, 1,
                                     "bad escape in JSON Pointer (use ~0 for '~', ~1 for '/')");
            goto out;
        }
        if (*cur == '{') {
            const char *found = NULL, *s = skip_ws(cur + 1, end);
            while (s < end && *s == '"') {
                const char *kend = skip_string(s, end) - 1;
                bool eq;
                if ((rc = key_equals(s + 1, kend, token, (size_t)n, &eq))) {
                    ltl__json_set_error(err, rc, 0, 1, 1, "out of memory");
                    goto out;
                }
                s = skip_ws(kend + 1, end) + 1; /* past ':' */
                s = skip_ws(s, end);
                if (eq)
                    found = s;
                s = skip_ws(skip_value(s, end), end);
                if (s < end && *s == ',')
                    s = skip_ws(s + 1, end);
            }
            if (!found) {
                rc = LTL_ENOTFOUND;
                goto out;
            }
            cur = found;
        } else if (*cur == '[') {
            bool is_index = n > 0 && (n == 1 || token[0] != '0');
            uint64_t index = 0;
            for (ptrdiff_t i = 0; i < n && is_index; i++) {
                if (token[i] < '0' || token[i] > '9' || index > (UINT64_MAX - 9) / 10)
                    is_index = false;
                else
                    index = index * 10 + (uint64_t)(token[i] - '0');
            }
            if (!is_index) {
                rc = LTL_ENOTFOUND; /* includes "-", the element after the last */
                goto out;
            }
            const char *s = skip_ws(cur + 1, end);
            if (*s == ']') {
                rc = LTL_ENOTFOUND;
                goto out;
            }
            for (uint64_t i = 0; i < index; i++) {
                s = skip_ws(skip_value(s, end), end);
                if (*s != ',') {
                    rc = LTL_ENOTFOUND;
                    goto out;
                }
                s = skip_ws(s + 1, end);
            }
            cur = s;
        } else {
            rc = LTL_ENOTFOUND;
            goto out;
        }
        p = t + tl;
    }
    *out = cur;
    *out_len = (size_t)(skip_value(cur, end) - cur);
out:
    ltl__free(token);
    return rc;
}
