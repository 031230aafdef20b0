/* SPDX-License-Identifier: MIT */
/*
 * json.h — the JSON module's internal interface: what the store, the index
 * and the namespace call (validate, escape, pretty-print, unescape), and
 * what the module's own files share (the path syntax helpers, the parser's
 * internal event sink, the flat-format writers).
 */
#ifndef LTL_JSON_JSON_H
#define LTL_JSON_JSON_H

#include "core/core.h"

/* ---- for other modules ---------------------------------------------------- */

/* The default nesting limit (ltl_json_options.max_depth = 0). */
#define LTL__JSON_MAX_DEPTH 1024

/* Validate one JSON text (RFC 8259, whole input must be one value, surrounding whitespace ok).
 * Returns LTL_OK, or LTL_EPARSE with *err filled (err may be NULL). Depth limit 1024.
 * Allocates nothing for documents nested up to 32 levels. Thread-safe. */
int ltl__json_validate(const void *data, size_t len, ltl_json_error *err);

/* Append `len` bytes of UTF-8 text to out as a JSON string literal (with quotes), escaping
 * per RFC 8259 ("\"", "\\", control chars as \n \t \u00XX ...). Invalid UTF-8 bytes become \ufffd.
 * Returns LTL_OK or LTL_ENOMEM (out unchanged in length). */
int ltl__json_escape(ltl__buf *out, const void *text, size_t len);

/* Append a pretty-printed copy of the valid JSON text to out, with `indent` spaces per level,
 * keeping number and string text as written. Returns LTL_OK, LTL_EPARSE, LTL_ENOMEM.
 * `indent` 0 gives compact JSON (all insignificant whitespace removed). */
int ltl__json_pretty(ltl__buf *out, const void *json, size_t len, int indent);

/* Append the decoded value of a JSON string literal body (the bytes between the quotes, which
 * the parser has validated) to out as UTF-8. A lone surrogate escape becomes its 3-byte
 * WTF-8 form (ED A0..BF xx), which ltl__json_escape_key() turns back into \uXXXX.
 * Returns LTL_OK or LTL_ENOMEM. */
int ltl__json_unescape(ltl__buf *out, const void *body, size_t len);

/* ---- inside the module ------------------------------------------------------ */

/* Decode a validated string body into dst (room for len bytes suffices: decoding never
 * grows). Returns the decoded length. */
size_t ltl__json_unescape_to(char *dst, const char *body, size_t len);

/* true when key[0..len) can be written bare in a path: [A-Za-z_][A-Za-z0-9_-]*. */
bool ltl__json_is_ident(const char *key, size_t len);

/* Write key as the inside of a quoted path segment / JSON string (no quotes): escapes '"',
 * '\\', control characters, WTF-8 lone surrogates; other UTF-8 is copied. dst needs room for
 * 6 * len bytes. Returns the number of bytes written. */
size_t ltl__json_escape_key_to(char *dst, const char *key, size_t len);

/* Append the path segment for member `key` (decoded) to a path of length `path_len` already
 * in out: ".key", "key" at the root, or ["k.y"]. Returns LTL_OK or LTL_ENOMEM. */
int ltl__json_path_append_key(ltl__buf *out, size_t path_len, const char *key, size_t len);

/* A parsed path segment (ltl__json_path_next). */
typedef struct ltl__json_seg {
    bool is_index;   /* [n] or [] */
    bool wildcard;   /* [] */
    uint64_t index;  /* when is_index and not wildcard */
    const char *raw; /* key: for a bare key the name; for ["..."] the escaped body */
    size_t raw_len;
    bool escaped; /* raw is a JSON string body that may contain escapes */
} ltl__json_seg;

/* Read the next segment of `path` at *pos (a leading '.' at the start is allowed, "." alone
 * is the root). Returns 1 and advances *pos, 0 at the end of the path, or LTL_EPARSE when the
 * path is malformed (*pos then points at the bad byte). */
int ltl__json_path_next(ltl__json_seg *out, const char *path, size_t len, size_t *pos);

/* Turn a concrete path into its wildcard form ("a[3].b" -> "a[].b"), appending to out. */
int ltl__json_path_wildcard(ltl__buf *out, const char *path, size_t len);

/* Store an error (code, message, position) in err; returns code. */
int ltl__json_set_error(ltl_json_error *err, int code, uint64_t offset, uint64_t line,
                        uint64_t column, const char *fmt, ...) LTL__PRINTF(6, 7);

/* Length of a valid UTF-8 sequence starting at s (1..4), or 0 when it is not valid or is cut
 * by end. */
static inline int ltl__utf8_seq_len(const unsigned char *s, const unsigned char *end)
{
    unsigned c = s[0];
    size_t avail = (size_t)(end - s);
    if (c < 0x80)
        return 1;
    if (c < 0xC2)
        return 0;
    if (c < 0xE0)
        return avail >= 2 && (s[1] & 0xC0) == 0x80 ? 2 : 0;
    unsigned lo = 0x80, hi = 0xBF;
    if (c < 0xF0) {
        if (c == 0xE0)
            lo = 0xA0;
        else if (c == 0xED)
            hi = 0x9F;
        return avail >= 3 && s[1] >= lo && s[1] <= hi && (s[2] & 0xC0) == 0x80 ? 3 : 0;
    }
    if (c < 0xF5) {
        if (c == 0xF0)
            lo = 0x90;
        else if (c == 0xF4)
            hi = 0x8F;
        return avail >= 4 && s[1] >= lo && s[1] <= hi && (s[2] & 0xC0) == 0x80 &&
                       (s[3] & 0xC0) == 0x80
                   ? 4
                   : 0;
    }
    return 0;
}

/* Hooks that turn a parser into a flattener (flatten.c): the parser calls them at the end
 * of the input, when keep-going drops a bad document, on reset and when it is freed. */
typedef struct ltl__json_hooks {
    void *ctx;
    int (*finish)(void *ctx);         /* the input ended well: flush */
    void (*drop_document)(void *ctx); /* a bad JSON line was skipped: drop its partial output */
    void (*fail)(void *ctx);          /* parsing failed: write the documents completed so far */
    void (*reset)(void *ctx);
    void (*free)(void *ctx);
} ltl__json_hooks;

void ltl__json_parser_set_hooks(ltl_json_parser *parser, const ltl__json_hooks *hooks);

/* The `lines` flattener's output, written by the parser itself ("path = value\n") while
 * `ready`, as long as `out` holds less than `limit` bytes; otherwise events go the ordinary
 * way (the callback), which begins and ends documents and flushes. */
typedef struct ltl__json_sink {
    ltl__buf *out;
    bool ready;
    size_t limit;
} ltl__json_sink;

void ltl__json_parser_set_sink(ltl_json_parser *parser, ltl__json_sink *sink);
/* The parser's options (mode as given; flags). */
int ltl__json_parser_mode(const ltl_json_parser *parser);
/* true once AUTO mode has decided the input is JSON Lines (or mode is LINES). */
bool ltl__json_parser_is_lines(const ltl_json_parser *parser);

/* ---- gron (gron.c) --------------------------------------------------------- */

/* true when gron writes `key` bare (a JavaScript identifier that is not a reserved word). */
bool ltl__gron_is_ident(const char *key, size_t len);
/* Append `text` (UTF-8) quoted the way gron 0.7 quotes strings. */
int ltl__gron_quote(ltl__buf *out, const char *text, size_t len);
/* gron's order of statement suffixes ("<path> = <value>;" after a common prefix): token by
 * token, array indexes by value, the rest by text, "=" first. <0, 0, >0. */
int ltl__gron_compare(const char *a, size_t alen, const char *b, size_t blen);

#endif /* LTL_JSON_JSON_H */
