/* SPDX-License-Identifier: MIT */
/*
 * name.c — the rule for the names of keys and logs (C2SP signed-note key
 * names and checkpoint origins): one check, used by the key and checkpoint
 * parsers in src/trust/ and by the config loader for checkpoint.origin, so
 * that `ltl config set` refuses exactly what a checkpoint would.
 */
#include "core/core.h"

/* Decode the UTF-8 sequence at s (valid UTF-8 assumed); *n its length. */
static uint32_t utf8_next(const unsigned char *s, size_t *n)
{
    if (s[0] < 0x80) {
        *n = 1;
        return s[0];
    }
    if (s[0] < 0xe0) {
        *n = 2;
        return (uint32_t)(s[0] & 0x1f) << 6 | (s[1] & 0x3f);
    }
    if (s[0] < 0xf0) {
        *n = 3;
        return (uint32_t)(s[0] & 0x0f) << 12 | (uint32_t)(s[1] & 0x3f) << 6 | (s[2] & 0x3f);
    }
    *n = 4;
    return (uint32_t)(s[0] & 0x07) << 18 | (uint32_t)(s[1] & 0x3f) << 12 |
           (uint32_t)(s[2] & 0x3f) << 6 | (s[3] & 0x3f);
}

/* Unicode White_Space (what Go's unicode.IsSpace reports). */
static bool is_space(uint32_t c)
{
    return (c >= 0x09 && c <= 0x0d) || c == 0x20 || c == 0x85 || c == 0xa0 || c == 0x1680 ||
           (c >= 0x2000 && c <= 0x200a) || c == 0x2028 || c == 0x2029 || c == 0x202f ||
           c == 0x205f || c == 0x3000;
}

int ltl__name_check(const char *name, size_t len, const char *what)
{
    if (len == 0)
        return ltl__errf(LTL_EINVAL, "%s is empty", what);
    if (len > LTL__NAME_MAX)
        return ltl__errf(LTL_EINVAL, "%s is longer than %d bytes", what, LTL__NAME_MAX);
    if (!ltl__utf8_valid(name, len))
        return ltl__errf(LTL_EINVAL, "%s is not valid UTF-8", what);
    const unsigned char *s = (const unsigned char *)name;
    for (size_t i = 0, n; i < len; i += n) {
        uint32_t c = utf8_next(s + i, &n);
        if (c == '+')
            return ltl__errf(LTL_EINVAL,
                             "%s \"%.*s\" contains '+' (byte %zu), which key names "
                             "may not",
                             what, (int)len, name, i);
        if (is_space(c))
            return ltl__errf(LTL_EINVAL, "%s \"%.*s\" contains a space (byte %zu)", what, (int)len,
                             name, i);
        if (c < 0x20 || c == 0x7f)
            return ltl__errf(LTL_EINVAL, "%s contains a control character (byte %zu)", what, i);
    }
    return LTL_OK;
}
