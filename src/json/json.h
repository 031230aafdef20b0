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

/* ---- typed values and their keys (src/json/value.c) ------------------------------------ */

/* Decimal exponents saturate at +-10^18 (numbers beyond compare as equal to the bound). */
#define LTL__VALUE_EXP_MAX 1000000000000000000LL
/* Index keys keep this many significant digits of a number; more make the key lossy. */
#define LTL__KEY_DIGITS 40
/* Index keys keep this many leading bytes of a string; longer ones get a hash: lossy. */
#define LTL__KEY_PREFIX 128
/* The longest key ltl__value_key() writes (a string of NULs: 1 + 2*128 + 2 + 8). */
#define LTL__KEY_MAX 267

/* ---- values ------------------------------------------------------------------------------
 * A typed scalar, as the language compares it. Types are the JSON event types of ltl.h:
 * LTL_JSON_NUMBER, LTL_JSON_STRING, LTL_JSON_FALSE, LTL_JSON_TRUE, LTL_JSON_NULL.
 *
 * The total order (ltl__value_compare, and memcmp of the keys):
 *   numbers < strings < false < true < null;
 *   numbers by exact decimal value (1 == 1.0 == 10e-1, -0 == 0, no double rounding);
 *   strings bytewise on their UTF-8 bytes (= code point order), a prefix first.
 * The language itself never orders values of different types (docs/QUERY.md): the
 * cross-type part of the order exists for the index.
 */

/* A number in exact decimal form: value = sign * 0.d1d2...dn * 10^exp, d1 != 0, dn != 0. */
typedef struct ltl__num {
    int sign;           /* -1, 0 (then nothing else matters) or 1 */
    int64_t exp;        /* in [-LTL__VALUE_EXP_MAX, LTL__VALUE_EXP_MAX] */
    const char *digits; /* first significant digit, inside the number's text */
    const char *end;    /* one past the last significant digit; a '.' may lie in between */
    size_t ndigits;     /* n */
} ltl__num;

typedef struct ltl__value {
    int type;         /* LTL_JSON_NUMBER ... LTL_JSON_NULL */
    const char *text; /* NUMBER: JSON number text; STRING: decoded UTF-8 (may hold NULs) */
    size_t len;
    ltl__num num; /* NUMBER only; points into text */
} ltl__value;

/* Parse JSON number text (RFC 8259 grammar, whole input) into exact decimal form; the result
 * points into `text`, which must outlive it. LTL_OK, or LTL_EPARSE when text is not a JSON
 * number (no message recorded). */
int ltl__num_parse(ltl__num *out, const char *text, size_t len) LTL__WUR;

/* A value from a JSON event's type and text (the text as in the input: strings with their
 * quotes and escapes). A string with escapes is decoded into `scratch` (reset first), so the
 * value lives as long as `text` and `scratch` are unchanged. Containers (OBJECT, ARRAY) and
 * malformed text give LTL_EINVAL. LTL_OK, LTL_EINVAL, LTL_ENOMEM. */
int ltl__value_from_json(ltl__value *out, int type, const char *text, size_t len,
                         ltl__buf *scratch) LTL__WUR;

/* The total order above: <0, 0, >0. */
int ltl__value_compare(const ltl__value *a, const ltl__value *b);

/* ---- order-preserving keys -----------------------------------------------------------------
 * A value's key: memcmp order of keys (shorter first on a common prefix) is the total order
 * above, and equal values have equal keys (1, 1.0 and 10e-1 share one key). Layout:
 *   0x10 negative number | 0x11 zero | 0x12 positive number, then (numbers other than zero)
 *        the decimal exponent (1..9 bytes, order-preserving) and the digits in base 100,
 *        one byte per pair: 2p+1, the last pair 2p; all complemented for negatives;
 *   0x20 string: its bytes with 0x00 written 0x00 0xFF, ended by 0x00 0x01;
 *   0x30 false | 0x31 true | 0x40 null.
 * A key can be LOSSY — several values share it, and its place in the order is only known
 * up to its group:
 *   - a number with more than LTL__KEY_DIGITS significant digits keeps that many,
 *     all as 2p+1, then the byte 0x00 (0xFF for negatives);
 *   - a string longer than LTL__KEY_PREFIX bytes keeps that many bytes, then
 *     0x00 0x02 and an 8-byte hash (FNV-1a 64, big-endian) of the whole string.
 * Order is still weak: a < b implies order part of key(a) <= order part of key(b), where the
 * order part is ltl__key_order_len() bytes. So a record found through a lossy key
 * (stored or looked up) must have its term re-checked on the record (ltl__query_match does),
 * and a range scan whose bound has a lossy key must scan from/to the bound's whole group
 * (its order part as a prefix).
 */

/* Append the key of `v` to out. LTL_OK or LTL_ENOMEM (out unchanged in length). */
int ltl__value_key(ltl__buf *out, const ltl__value *v) LTL__WUR;

/* Append the key of a JSON event's value (type and text as ltl__value_from_json takes
 * them) to out: what the indexer calls for every scalar. LTL_OK, LTL_EINVAL, LTL_ENOMEM. */
int ltl__value_encode(ltl__buf *out, int type, const char *text, size_t len) LTL__WUR;

/* true when the key is lossy (see above). The key must come from ltl__value_key. */
bool ltl__key_lossy(const void *key, size_t len);

/* The length of the key's order part: len, or len - 8 for a long string's key. */
size_t ltl__key_order_len(const void *key, size_t len);

/* Append a readable form of a key, for debugging and `ltl index dump`: JSON text for exact
 * keys (numbers in a canonical form such as 1.5e+30), with a note for lossy ones. LTL_OK,
 * LTL_EPARSE (not a key this module writes; a message is recorded), LTL_ENOMEM. */
int ltl__key_describe(ltl__buf *out, const void *key, size_t len) LTL__WUR;

/* FNV-1a 64 of the bytes (the hash of a long string's key; hash tables). */
uint64_t ltl__hash64(const void *data, size_t len);

#endif /* LTL_JSON_JSON_H */
