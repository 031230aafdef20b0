/* SPDX-License-Identifier: MIT */
/*
 * base64.c — text encodings of bytes: standard base64 (RFC 4648 §4, with
 * padding), for binary payloads in JSON output, keys and signatures; and
 * lowercase hex, for hashes in JSON.
 */
#include "core/core.h"

void ltl__hex_encode(char *out, const void *data, size_t len)
{
    static const char digits[] = "0123456789abcdef";
    const unsigned char *s = data;
    for (size_t i = 0; i < len; i++) {
        *out++ = digits[s[i] >> 4];
        *out++ = digits[s[i] & 15];
    }
    *out = '\0';
}

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

bool ltl__hex_decode(void *out, const char *text, size_t len)
{
    unsigned char *d = out;
    for (size_t i = 0; i < len; i++) {
        int hi = hex_digit(text[2 * i]), lo = hi < 0 ? -1 : hex_digit(text[2 * i + 1]);
        if (lo < 0)
            return false;
        d[i] = (unsigned char)(hi << 4 | lo);
    }
    return true;
}

static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int ltl__base64_encode(ltl__buf *out, const void *data, size_t len)
{
    const unsigned char *s = data;
    int rc = ltl__buf_reserve(out, (len + 2) / 3 * 4 + 1);
    if (rc)
        return rc;
    char *d = out->data + out->len;
    size_t i = 0;
    for (; i + 3 <= len; i += 3) {
        uint32_t v = (uint32_t)s[i] << 16 | (uint32_t)s[i + 1] << 8 | s[i + 2];
        *d++ = alphabet[v >> 18];
        *d++ = alphabet[(v >> 12) & 63];
        *d++ = alphabet[(v >> 6) & 63];
        *d++ = alphabet[v & 63];
    }
    if (i < len) {
        uint32_t v = (uint32_t)s[i] << 16 | (i + 1 < len ? (uint32_t)s[i + 1] << 8 : 0);
        *d++ = alphabet[v >> 18];
        *d++ = alphabet[(v >> 12) & 63];
        *d++ = i + 1 < len ? alphabet[(v >> 6) & 63] : '=';
        *d++ = '=';
    }
    out->len = (size_t)(d - out->data);
    out->data[out->len] = '\0';
    return LTL_OK;
}

int ltl__base64_decode(ltl__buf *out, const char *text, size_t len)
{
    if (len % 4)
        return LTL_EPARSE;
    int rc = ltl__buf_reserve(out, len / 4 * 3 + 1);
    if (rc)
        return rc;
    unsigned char *d = (unsigned char *)out->data + out->len;
    for (size_t i = 0; i < len; i += 4) {
        uint32_t v = 0;
        int pad = 0;
        for (int k = 0; k < 4; k++) {
            char c = text[i + k];
            const char *p = c ? strchr(alphabet, c) : NULL;
            if (c == '=' && i + 4 == len && k >= 2 && (k == 3 || text[i + 3] == '=')) {
                pad++;
                v <<= 6;
                continue;
            }
            if (!p || pad)
                return LTL_EPARSE;
            v = (v << 6) | (uint32_t)(p - alphabet);
        }
        *d++ = (unsigned char)(v >> 16);
        if (pad < 2)
            *d++ = (unsigned char)(v >> 8);
        if (pad < 1)
            *d++ = (unsigned char)v;
    }
    out->len = (size_t)((char *)d - out->data);
    out->data[out->len] = '\0';
    return LTL_OK;
}
