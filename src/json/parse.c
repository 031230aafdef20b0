/* SPDX-License-Identifier: MIT */
/*
 * parse.c — the streaming, validating JSON parser (RFC 8259). It keeps no
 * document tree: while it lexes it maintains the current path in a buffer
 * (segments pushed and popped with the container stack) and hands every
 * scalar and empty container to a callback with its full path, short key and
 * value text. Input is pushed in chunks of any size; a token cut by a chunk
 * end is carried (copied) and completed by the next chunk, so memory stays at
 * the depth of the document plus the longest token. The container stack is
 * explicit (no recursion) and bounded by max_depth.
 *
 * Speed comes from a tight state machine with no per-byte function calls,
 * SSE2 scanning of string bodies for '"', '\\' and bytes outside printable
 * ASCII (16 bytes per step; UTF-8 is validated on the slow path only when a
 * non-ASCII byte shows up), bare keys recognised while scanning, and array
 * indexes incremented in place in the path text.
 */
#include "json/json.h"

#include <stdio.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#define LIKELY(x)   __builtin_expect(!!(x), 1)
#define UNLIKELY(x) __builtin_expect(!!(x), 0)

/* ---- character classes ------------------------------------------------------ */

enum {
    C_WS = 1,    /* insignificant whitespace */
    C_TOK = 2,   /* may continue a number or literal: [0-9A-Za-z+.-] */
    C_IDF = 4,   /* may start a bare key: [A-Za-z_] */
    C_IDR = 8,   /* may continue a bare key: [A-Za-z0-9_-] */
    C_PLAIN = 16 /* string byte needing no attention: 0x20..0x7f but '"' and '\\' */
};

#define P              C_PLAIN
#define RANGE(a, b, v) [(a)...(b)] = (v)
static const uint8_t cls[256] = {
    ['\t'] = C_WS,
    ['\n'] = C_WS,
    ['\r'] = C_WS,
    [' '] = C_WS | P,
    ['!'] = P,
    RANGE('#', '*', P),
    ['+'] = C_TOK | P,
    [','] = P,
    ['-'] = C_TOK | C_IDR | P,
    ['.'] = C_TOK | P,
    ['/'] = P,
    RANGE('0', '9', C_TOK | C_IDR | P),
    RANGE(':', '@', P),
    RANGE('A', 'Z', C_TOK | C_IDF | C_IDR | P),
    ['['] = P,
    [']'] = P,
    ['^'] = P,
    ['_'] = C_IDF | C_IDR | P,
    ['`'] = P,
    RANGE('a', 'z', C_TOK | C_IDF | C_IDR | P),
    RANGE('{', 0x7f, P),
};
#undef RANGE
#undef P

static const uint8_t hexval[256] = {
    ['0'] = 1,  ['1'] = 2,  ['2'] = 3,  ['3'] = 4,  ['4'] = 5,  ['5'] = 6,  ['6'] = 7,  ['7'] = 8,
    ['8'] = 9,  ['9'] = 10, ['a'] = 11, ['b'] = 12, ['c'] = 13, ['d'] = 14, ['e'] = 15, ['f'] = 16,
    ['A'] = 11, ['B'] = 12, ['C'] = 13, ['D'] = 14, ['E'] = 15, ['F'] = 16,
};

static inline bool is_digit(unsigned c)
{
    return c - '0' < 10;
}

/* ---- the parser ---------------------------------------------------------------- */

enum {
    ST_DOC,       /* between documents: whitespace, or a document starts */
    ST_VALUE,     /* a value must come (after ':' or an array's ',') */
    ST_ARR_FIRST, /* after '[': a value or ']' */
    ST_OBJ_FIRST, /* after '{': a key or '}' */
    ST_KEY,       /* after an object's ',': a key */
    ST_COLON,     /* after a key: ':' */
    ST_AFTER,     /* after a member or element: ',' or the closing bracket */
    ST_DOC_AFTER, /* after a document, before the next one */
    ST_SKIP_LINE, /* keep-going: dropping the rest of a bad line */
};

enum { K_OBJ = 1, K_ARR = 2 };
enum { KEY_NONE = 0, KEY_PATH = 1, KEY_BUF = 2 };

/* One open container. */
struct frame {
    size_t path_len;   /* length of the container's own path */
    size_t wpath_len;  /* same, wildcard path */
    size_t key_off;    /* the short key in force inside the container */
    size_t key_len;    /* (an object: its current member; an array: inherited) */
    size_t keybuf_len; /* decoded-key buffer length when the container opened */
    uint64_t offset;   /* input offset of its '{' or '[' */
    uint8_t kind;      /* K_OBJ or K_ARR */
    uint8_t key_src;   /* KEY_NONE, KEY_PATH (a slice of path) or KEY_BUF */
};

#define INLINE_FRAMES 32

struct ltl_json_parser {
    /* configuration */
    int mode;
    unsigned int flags;
    unsigned int max_depth;
    ltl_json_fn fn;
    void *ctx;
    ltl_json_error_fn on_error;
    void *error_ctx;
    ltl__json_hooks hooks;
    ltl__json_sink *sink; /* a flattener writing `lines` straight from the parser */
    bool build_path;      /* events wanted: maintain path, key, wildcard */
    bool wildcard;

    /* parse state */
    int state;
    int rc;            /* sticky failure */
    bool lines;        /* JSON Lines rules in force */
    bool auto_decided; /* AUTO: lines or stream decided */
    bool first_one_line;
    uint64_t doc_start_line;
    uint64_t first_end_line;
    unsigned int depth;
    struct frame *frames;
    size_t frames_cap;
    char *path;
    size_t path_len, path_cap;
    char *wpath;
    size_t wpath_len, wpath_cap;
    char *keybuf;
    size_t keybuf_len, keybuf_cap;

    /* positions */
    const uint8_t *buf; /* the buffer being run */
    uint64_t base;      /* input offset of buf[0] */
    uint64_t consumed;  /* bytes fed before the current chunk */
    uint64_t line;
    uint64_t line_start;
    uint64_t document;

    /* a token cut by a chunk end */
    char *carry;
    size_t carry_len, carry_cap;
    uint64_t carry_offset;
    bool carrying;
    bool carry_string;
    bool carry_esc; /* string: the carried text ends in an unpaired backslash */

    ltl_json_event ev;
    ltl_json_error err;
    struct frame inline_frames[INLINE_FRAMES];
};

/* Status of a token scanner. */
enum { SCAN_OK = 0, SCAN_MORE = 1, SCAN_ERR = -1 };

static inline uint64_t pos_of(const struct ltl_json_parser *p, const uint8_t *s)
{
    return p->base + (uint64_t)(s - p->buf);
}

static int set_err(struct ltl_json_parser *p, int code, uint64_t offset, const char *fmt, ...)
    LTL__PRINTF(4, 5);

static int set_err(struct ltl_json_parser *p, int code, uint64_t offset, const char *fmt, ...)
{
    ltl_json_error *e = &p->err;
    e->code = code;
    e->offset = offset;
    e->line = p->line;
    e->column = offset >= p->line_start ? offset - p->line_start + 1 : 1;
    e->document = p->document;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->message, sizeof(e->message), fmt, ap);
    va_end(ap);
    return code;
}

static int syntax(struct ltl_json_parser *p, const uint8_t *s, const char *what)
{
    return set_err(p, LTL_EPARSE, pos_of(p, s), "%s", what);
}

/* "unexpected X" with X shown readably. */
static int unexpected(struct ltl_json_parser *p, const uint8_t *s, const char *expected)
{
    unsigned c = *s;
    if (c >= 0x21 && c < 0x7f)
        return set_err(p, LTL_EPARSE, pos_of(p, s), "%s, found '%c'", expected, (char)c);
    return set_err(p, LTL_EPARSE, pos_of(p, s), "%s, found byte 0x%02x", expected, c);
}

static int nomem(struct ltl_json_parser *p)
{
    return set_err(p, LTL_ENOMEM, p->base, "out of memory");
}

/* ---- growable buffers --------------------------------------------------------- */

static int grow(char **buf, size_t *cap, size_t need)
{
    size_t n = *cap ? *cap : 256;
    while (n < need) {
        if (n > SIZE_MAX / 2)
            return LTL_ENOMEM;
        n *= 2;
    }
    char *q = ltl__realloc(*buf, n);
    if (!q)
        return LTL_ENOMEM;
    *buf = q;
    *cap = n;
    return LTL_OK;
}

/* Room for `extra` more path bytes, the NUL written at events, and 32 bytes of slack that
 * the 16-byte copies of the fast paths may read and write past the path. */
static inline int path_reserve(struct ltl_json_parser *p, size_t extra)
{
    if (p->path_cap - p->path_len > extra + 32)
        return LTL_OK;
    if (extra > SIZE_MAX / 4)
        return LTL_ENOMEM;
    return grow(&p->path, &p->path_cap, p->path_len + extra + 64);
}

static inline int wpath_append(struct ltl_json_parser *p, const char *seg, size_t n)
{
    if (p->wpath_cap - p->wpath_len <= n && grow(&p->wpath, &p->wpath_cap, p->wpath_len + n + 1))
        return LTL_ENOMEM;
    memcpy(p->wpath + p->wpath_len, seg, n);
    p->wpath_len += n;
    return LTL_OK;
}

static int grow_frames(struct ltl_json_parser *p) __attribute__((cold, noinline));

static int grow_frames(struct ltl_json_parser *p)
{
    size_t n = p->frames_cap * 2;
    if (n > p->max_depth)
        n = p->max_depth;
    struct frame *f;
    if (p->frames == p->inline_frames) {
        f = ltl__malloc(n * sizeof(*f));
        if (f)
            memcpy(f, p->frames, p->depth * sizeof(*f));
    } else {
        f = ltl__realloc(p->frames, n * sizeof(*f));
    }
    if (!f)
        return LTL_ENOMEM;
    p->frames = f;
    p->frames_cap = n;
    return LTL_OK;
}

static inline int push_frame(struct ltl_json_parser *p, uint8_t kind, uint64_t offset)
{
    if (p->depth >= p->frames_cap && grow_frames(p))
        return LTL_ENOMEM;
    struct frame *f = &p->frames[p->depth];
    f->kind = kind;
    f->offset = offset;
    f->path_len = p->path_len;
    f->wpath_len = p->wpath_len;
    f->keybuf_len = p->keybuf_len;
    if (p->depth) {
        const struct frame *up = f - 1;
        f->key_src = up->key_src;
        f->key_off = up->key_off;
        f->key_len = up->key_len;
    } else {
        f->key_src = KEY_NONE;
        f->key_off = 0;
        f->key_len = 0;
    }
    p->depth++;
    return LTL_OK;
}

/* ---- events ------------------------------------------------------------------------ */

static int emit(struct ltl_json_parser *p, int type, const char *value, size_t len, uint64_t offset,
                unsigned int depth)
{
    ltl_json_event *ev = &p->ev;
    ev->type = type;
    ev->depth = depth;
    p->path[p->path_len] = '\0';
    ev->path = p->path;
    ev->path_len = p->path_len;
    /* The short key in force: the innermost open container's, except that an empty
     * container reports its own (= its parent's current member, which it inherited). */
    if (p->depth) {
        const struct frame *f = &p->frames[p->depth - 1];
        ev->key = f->key_src == KEY_BUF ? p->keybuf + f->key_off
                                        : (f->key_src == KEY_PATH ? p->path + f->key_off : "");
        ev->key_len = f->key_len;
    } else {
        ev->key = "";
        ev->key_len = 0;
    }
    ev->value = value;
    ev->value_len = len;
    if (p->wildcard) {
        p->wpath[p->wpath_len] = '\0';
        ev->wildcard = p->wpath;
        ev->wildcard_len = p->wpath_len;
    }
    ev->document = p->document;
    ev->offset = offset;
    return p->fn(p->ctx, ev);
}

/* ---- path maintenance ------------------------------------------------------------- */

/* Set the current member of the innermost object (frame f) to the key whose raw body
 * (between the quotes) is raw[0..n); `esc` when it contains a backslash; `ident` when it is
 * known to be a bare key already. */
static int set_key(struct ltl_json_parser *p, struct frame *f, const char *raw, size_t n, bool esc,
                   bool ident)
{
    size_t base = f->path_len;
    p->path_len = base;
    const char *key = raw;
    size_t klen = n;
    if (esc) {
        /* decode into keybuf (decoding never grows the text) */
        p->keybuf_len = f->keybuf_len;
        if (p->keybuf_cap - p->keybuf_len <= n &&
            grow(&p->keybuf, &p->keybuf_cap, p->keybuf_len + n + 1))
            return LTL_ENOMEM;
        klen = ltl__json_unescape_to(p->keybuf + p->keybuf_len, raw, n);
        key = p->keybuf + p->keybuf_len;
        f->key_src = KEY_BUF;
        f->key_off = p->keybuf_len;
        f->key_len = klen;
        p->keybuf_len += klen;
        ident = ltl__json_is_ident(key, klen);
    }
    if (ident) {
        if (path_reserve(p, klen + 1))
            return LTL_ENOMEM;
        if (esc) /* keybuf may not move: it is not touched here */
            key = p->keybuf + f->key_off;
        char *d = p->path + base;
        if (base)
            *d++ = '.';
        memcpy(d, key, klen);
        if (!esc) {
            f->key_src = KEY_PATH;
            f->key_off = (size_t)(d - p->path);
            f->key_len = klen;
        }
        p->path_len = (size_t)(d - p->path) + klen;
    } else if (!esc) {
        /* a raw body without escapes is already in canonical form */
        if (path_reserve(p, klen + 4))
            return LTL_ENOMEM;
        char *d = p->path + base;
        d[0] = '[';
        d[1] = '"';
        memcpy(d + 2, key, klen);
        d[2 + klen] = '"';
        d[3 + klen] = ']';
        f->key_src = KEY_PATH;
        f->key_off = base + 2;
        f->key_len = klen;
        p->path_len = base + klen + 4;
    } else {
        if (klen > SIZE_MAX / 8 || path_reserve(p, klen * 6 + 4))
            return LTL_ENOMEM;
        key = p->keybuf + f->key_off;
        char *d = p->path + base;
        d[0] = '[';
        d[1] = '"';
        size_t w = ltl__json_escape_key_to(d + 2, key, klen);
        d[2 + w] = '"';
        d[3 + w] = ']';
        p->path_len = base + w + 4;
    }
    if (p->wildcard) {
        p->wpath_len = f->wpath_len;
        if (wpath_append(p, p->path + base, p->path_len - base))
            return LTL_ENOMEM;
    }
    return LTL_OK;
}

/* The path ends in "[n]": make it "[n+1]". */
static int next_index(struct ltl_json_parser *p)
{
    char *d = p->path + p->path_len - 2;
    while (*d == '9') {
        *d = '0';
        d--;
    }
    if (*d != '[') {
        (*d)++;
        return LTL_OK;
    }
    /* 99 -> 100: one more digit */
    size_t at = (size_t)(d - p->path) + 1;
    if (path_reserve(p, 1))
        return LTL_ENOMEM;
    memmove(p->path + at + 1, p->path + at, p->path_len - at);
    p->path[at] = '1';
    p->path_len++;
    return LTL_OK;
}

/* ---- token scanners ---------------------------------------------------------------- */

/* Skip string bytes that need no attention; stop at '"', '\\', a control byte or a
 * non-ASCII byte (or end). */
static inline const uint8_t *skip_plain(const uint8_t *s, const uint8_t *end)
{
#if defined(__SSE2__)
    const __m128i quote = _mm_set1_epi8('"');
    const __m128i bslash = _mm_set1_epi8('\\');
    const __m128i space = _mm_set1_epi8(0x20);
    while (end - s >= 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)s);
        /* signed compare: bytes >= 0x80 are negative, so "< 0x20" catches them too */
        __m128i m = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, bslash)),
                                 _mm_cmplt_epi8(v, space));
        unsigned mask = (unsigned)_mm_movemask_epi8(m);
        if (mask)
            return s + __builtin_ctz(mask);
        s += 16;
    }
#else
    while (end - s >= 8) {
        uint64_t w;
        memcpy(&w, s, 8);
        const uint64_t ones = 0x0101010101010101ull, high = 0x8080808080808080ull;
        uint64_t q = w ^ (ones * '"'), b = w ^ (ones * '\\');
        uint64_t hit = ((q - ones) & ~q) | ((b - ones) & ~b) | (w - ones * 0x20) | w;
        if (hit & high)
            break;
        s += 8;
    }
#endif
    while (s < end && (cls[*s] & C_PLAIN))
        s++;
    return s;
}

/* A UTF-8 sequence at s failed: was it cut by `end` (its bytes so far are a valid prefix)? */
static bool utf8_cut(const uint8_t *s, const uint8_t *end)
{
    unsigned c = s[0];
    size_t need = c >= 0xF0 ? 4 : (c >= 0xE0 ? 3 : 2);
    size_t avail = (size_t)(end - s);
    if (c < 0xC2 || c >= 0xF5 || avail >= need)
        return false;
    uint8_t tmp[4] = {0};
    memcpy(tmp, s, avail);
    /* complete it with the smallest continuation bytes that could follow */
    for (size_t i = avail; i < need; i++)
        tmp[i] = 0x80;
    if (avail >= 2 && (c == 0xE0 || c == 0xF0))
        ; /* the second byte is real; keep it */
    else if (avail < 2) {
        if (c == 0xE0)
            tmp[1] = 0xA0;
        else if (c == 0xF0)
            tmp[1] = 0x90;
    }
    return ltl__utf8_seq_len(tmp, tmp + need) == (int)need;
}

/* Scan a string body from *sp (just after the opening quote). On SCAN_OK *sp is the closing
 * quote and *esc tells whether a backslash occurred. */
static int scan_string(struct ltl_json_parser *p, const uint8_t **sp, const uint8_t *end,
                       bool final, bool *esc)
{
    const uint8_t *s = *sp;
    for (;;) {
        s = skip_plain(s, end);
        if (s == end)
            goto more;
        unsigned c = *s;
        if (c == '"') {
            *sp = s;
            return SCAN_OK;
        }
        if (c == '\\') {
            *esc = true;
            if (end - s < 2)
                goto more;
            c = s[1];
            switch (c) {
            case '"':
            case '\\':
            case '/':
            case 'b':
            case 'f':
            case 'n':
            case 'r':
            case 't':
                s += 2;
                continue;
            case 'u':
                /* four hex digits, tested at once (a loop here mispredicts) */
                if (LIKELY(end - s >= 6) &&
                    LIKELY(hexval[s[2]] && hexval[s[3]] && hexval[s[4]] && hexval[s[5]])) {
                    s += 6;
                    continue;
                }
                for (int i = 2; i < 6; i++) {
                    if (s + i == end)
                        goto more;
                    if (!hexval[s[i]]) {
                        syntax(p, s + i, "expected 4 hex digits after '\\u'");
                        return SCAN_ERR;
                    }
                }
                s += 6;
                continue;
            default:
                if (c >= 0x21 && c < 0x7f)
                    set_err(p, LTL_EPARSE, pos_of(p, s), "invalid escape '\\%c' in a string",
                            (char)c);
                else
                    syntax(p, s, "invalid escape in a string");
                return SCAN_ERR;
            }
        }
        if (c < 0x20) {
            set_err(p, LTL_EPARSE, pos_of(p, s),
                    "control character 0x%02x in a string (it must be escaped)", c);
            return SCAN_ERR;
        }
        /* non-ASCII: validate UTF-8, staying here while it lasts */
        do {
            unsigned c0 = *s;
            if (LIKELY(end - s >= 4)) {
                /* the common 2- and 3-byte forms without a call */
                unsigned c1 = s[1];
                if (c0 - 0xC2 < 0x1E) {
                    if ((c1 & 0xC0) == 0x80) {
                        s += 2;
                        continue;
                    }
                } else if (c0 - 0xE1 < 0x0C && c0 != 0xED) {
                    if ((c1 & 0xC0) == 0x80 && (s[2] & 0xC0) == 0x80) {
                        s += 3;
                        continue;
                    }
                }
            }
            int n = ltl__utf8_seq_len(s, end);
            if (n == 0) {
                if (!final && utf8_cut(s, end))
                    goto more;
                syntax(p, s, "invalid UTF-8 in a string");
                return SCAN_ERR;
            }
            s += n;
        } while (s < end && *s >= 0x80);
    }
more:
    if (final) {
        syntax(p, end, "unterminated string");
        return SCAN_ERR;
    }
    return SCAN_MORE;
}

static int scan_number(struct ltl_json_parser *p, const uint8_t **sp, const uint8_t *end,
                       bool final)
{
    const uint8_t *s = *sp;
    if (*s == '-' && ++s == end)
        goto cut;
    if (*s == '0') {
        if (++s < end && is_digit(*s))
            return syntax(p, s - 1, "a number must not have a leading zero"), SCAN_ERR;
    } else if (is_digit(*s)) {
        while (++s < end && is_digit(*s))
            ;
    } else {
        return unexpected(p, s, "expected a digit after '-'"), SCAN_ERR;
    }
    if (s == end)
        goto done_or_more;
    if (*s == '.') {
        if (++s == end)
            goto cut;
        if (!is_digit(*s))
            return unexpected(p, s, "expected a digit after '.' in a number"), SCAN_ERR;
        while (++s < end && is_digit(*s))
            ;
        if (s == end)
            goto done_or_more;
    }
    if ((*s | 0x20) == 'e') {
        if (++s == end)
            goto cut;
        if ((*s == '+' || *s == '-') && ++s == end)
            goto cut;
        if (!is_digit(*s))
            return unexpected(p, s, "expected a digit in the exponent of a number"), SCAN_ERR;
        while (++s < end && is_digit(*s))
            ;
        if (s == end)
            goto done_or_more;
    }
    if (cls[*s] & C_TOK)
        return unexpected(p, s, "unexpected character after a number"), SCAN_ERR;
    *sp = s;
    return SCAN_OK;
done_or_more:
    if (!final)
        return SCAN_MORE;
    *sp = s;
    return SCAN_OK;
cut:
    if (!final)
        return SCAN_MORE;
    return syntax(p, s, "number ends early"), SCAN_ERR;
}

/* Numbers shorter than 16 bytes (nearly all) with one vector compare: digit runs are
 * measured with a bit count, not walked byte by byte (their ends mispredict). Anything
 * unusual goes to scan_number, which also words the errors. */
static inline int scan_number_fast(struct ltl_json_parser *p, const uint8_t **sp,
                                   const uint8_t *end, bool final)
{
#if defined(__SSE2__)
    const uint8_t *s = *sp;
    if (LIKELY(end - s >= 16)) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)s);
        unsigned dig = (unsigned)_mm_movemask_epi8(
            _mm_cmplt_epi8(_mm_add_epi8(v, _mm_set1_epi8(0x50)), _mm_set1_epi8(-118)));
        unsigned pos = *s == '-';
        if (!((dig >> pos) & 1) || (s[pos] == '0' && ((dig >> (pos + 1)) & 1)))
            goto slow;
        pos += s[pos] == '0' ? 1 : (unsigned)__builtin_ctz(~(dig >> pos));
        if (pos >= 15)
            goto slow;
        if (s[pos] == '.') {
            pos++;
            if (!((dig >> pos) & 1))
                goto slow;
            pos += (unsigned)__builtin_ctz(~(dig >> pos));
            if (pos >= 15)
                goto slow;
        }
        if ((s[pos] | 0x20) == 'e') {
            pos++;
            if (s[pos] == '+' || s[pos] == '-')
                pos++;
            if (pos >= 15 || !((dig >> pos) & 1))
                goto slow;
            pos += (unsigned)__builtin_ctz(~(dig >> pos));
            if (pos >= 15)
                goto slow;
        }
        if (cls[s[pos]] & C_TOK)
            goto slow;
        *sp = s + pos;
        return SCAN_OK;
    }
slow:
#endif
    return scan_number(p, sp, end, final);
}

static int scan_literal(struct ltl_json_parser *p, const uint8_t **sp, const uint8_t *end,
                        bool final, const char *lit, size_t n)
{
    const uint8_t *s = *sp;
    size_t avail = (size_t)(end - s);
    if (avail < n) {
        if (!final && memcmp(s, lit, avail) == 0)
            return SCAN_MORE;
    } else if (memcmp(s, lit, n) == 0) {
        if (avail == n) {
            if (!final)
                return SCAN_MORE;
        } else if (cls[s[n]] & C_TOK) {
            goto bad;
        }
        *sp = s + n;
        return SCAN_OK;
    }
bad:
    /* at the token's start whether the input ends or a wrong byte follows, so that the
     * error is the same however the input was cut into chunks */
    set_err(p, LTL_EPARSE, pos_of(p, s), "invalid literal (expected '%s')", lit);
    return SCAN_ERR;
}

/* ---- the state machine --------------------------------------------------------------- */

static void keep_token(struct ltl_json_parser *p, const uint8_t *tok, const uint8_t *end,
                       bool is_string)
{
    /* called with the parser stopped on a cut token; the caller returns right away */
    size_t n = (size_t)(end - tok);
    p->carry_len = 0;
    if (p->carry_cap <= n && grow(&p->carry, &p->carry_cap, n + 1)) {
        nomem(p);
        p->rc = LTL_ENOMEM;
        return;
    }
    memcpy(p->carry, tok, n);
    p->carry_len = n;
    p->carry_offset = pos_of(p, tok);
    p->carrying = true;
    p->carry_string = is_string;
    if (is_string) {
        /* unpaired trailing backslash? (the opening quote is never one) */
        size_t k = 0;
        while (k + 1 < n && p->carry[n - 1 - k] == '\\')
            k++;
        p->carry_esc = k & 1;
    }
}

static void reset_document(struct ltl_json_parser *p)
{
    p->depth = 0;
    p->path_len = 0;
    p->wpath_len = 0;
    p->keybuf_len = 0;
}

/* A failure inside a JSON line with keep-going: report it, then skip the rest of the line.
 * Returns LTL_OK to go on, or the code to stop with. */
static int recover(struct ltl_json_parser *p)
{
    if (p->hooks.drop_document)
        p->hooks.drop_document(p->hooks.ctx);
    int rc = p->on_error ? p->on_error(p->error_ctx, &p->err) : 0;
    if (rc)
        return rc;
    p->err = (ltl_json_error){0};
    reset_document(p);
    p->document++;
    p->state = ST_SKIP_LINE;
    return LTL_OK;
}

static bool keep_going(const struct ltl_json_parser *p)
{
    return p->lines && (p->flags & LTL_JSON_KEEP_GOING) && p->err.code == LTL_EPARSE;
}

/* The parse has failed for good: let a flattener write what it completed. */
static void failed(struct ltl_json_parser *p)
{
    if (p->hooks.fail)
        p->hooks.fail(p->hooks.ctx);
}

/* A document is complete: tell the callback (LTL_JSON_EMIT_END), count it. */
static int doc_done(struct ltl_json_parser *p, uint64_t offset)
{
    if (p->build_path && (p->flags & LTL_JSON_EMIT_END)) {
        p->path_len = 0;
        int rc = emit(p, LTL_JSON_END, "", 0, offset, 0);
        if (rc)
            return rc;
    }
    if (p->mode == LTL_JSON_MODE_AUTO && p->document == 0) {
        p->first_one_line = p->line == p->doc_start_line;
        p->first_end_line = p->line;
    }
    p->document++;
    return LTL_OK;
}

/* ---- fast paths ---------------------------------------------------------------------- */

/* Copy n bytes in 16-byte pieces: writes (and reads) max(32, n rounded up to 16) bytes.
 * The caller guarantees the room on both sides. */
static inline void copy16(char *dst, const void *src, size_t n)
{
    const char *s = src;
#if defined(__SSE2__)
    /* up to 32 bytes (nearly every path and value) without a loop, whose varying trip
     * count would mispredict at its end */
    _mm_storeu_si128((__m128i *)(void *)dst, _mm_loadu_si128((const __m128i *)(const void *)s));
    _mm_storeu_si128((__m128i *)(void *)(dst + 16),
                     _mm_loadu_si128((const __m128i *)(const void *)(s + 16)));
    for (size_t i = 32; UNLIKELY(i < n); i += 16)
        _mm_storeu_si128((__m128i *)(void *)(dst + i),
                         _mm_loadu_si128((const __m128i *)(const void *)(s + i)));
#else
    memcpy(dst, s, n);
#endif
}

#if defined(__SSE2__)
/* Bytes of v that end plain string text: '"', '\\', controls and non-ASCII. */
static inline unsigned special_mask(__m128i v)
{
    __m128i m = _mm_or_si128(
        _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('"')), _mm_cmpeq_epi8(v, _mm_set1_epi8('\\'))),
        _mm_cmplt_epi8(v, _mm_set1_epi8(0x20)));
    return (unsigned)_mm_movemask_epi8(m);
}

/* Bytes of v that may not be in a bare key: anything but [A-Za-z0-9_-]. */
static inline unsigned nonident_mask(__m128i v)
{
    /* (c | 0x20) in 'a'..'z' <=> (c | 0x20) + 0x1f, as a signed byte, is below -102 */
    __m128i lower = _mm_or_si128(v, _mm_set1_epi8(0x20));
    __m128i alpha = _mm_cmplt_epi8(_mm_add_epi8(lower, _mm_set1_epi8(0x1f)), _mm_set1_epi8(-102));
    /* c in '0'..'9' <=> c + 0x50 is below -118 */
    __m128i digit = _mm_cmplt_epi8(_mm_add_epi8(v, _mm_set1_epi8(0x50)), _mm_set1_epi8(-118));
    __m128i other =
        _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('_')), _mm_cmpeq_epi8(v, _mm_set1_epi8('-')));
    return ~(unsigned)_mm_movemask_epi8(_mm_or_si128(_mm_or_si128(alpha, digit), other)) & 0xffffu;
}
#endif

/* The flattener's `lines` output written straight from the parser: no event, no call.
 * false when it must take the ordinary way (room, flushing, the first line of a document). */
static inline bool sink_line(struct ltl_json_parser *p, const uint8_t *v, size_t vlen,
                             const uint8_t *end)
{
    ltl__json_sink *k = p->sink;
    ltl__buf *o = k->out;
    size_t plen = p->path_len;
    if (!k->ready || o->len >= k->limit || o->cap - o->len < plen + vlen + 72)
        return false;
    char *d = o->data + o->len;
    if (LIKELY(plen)) {
        copy16(d, p->path, plen);
        d += plen;
    } else {
        *d++ = '.';
    }
    memcpy(d, " = ", 3);
    d += 3;
    if (LIKELY((size_t)(end - v) >= vlen + 32))
        copy16(d, v, vlen);
    else
        memcpy(d, v, vlen);
    d += vlen;
    *d++ = '\n';
    o->len = (size_t)(d - o->data);
    return true;
}

/* Skip insignificant whitespace inside a document, counting lines; stops at the end, at a
 * non-whitespace byte, or (JSON Lines) at a newline, which ends the line early. */
static const uint8_t *skip_ws(struct ltl_json_parser *p, const uint8_t *s, const uint8_t *end)
{
    while (s < end) {
        unsigned c = *s;
        if (c == ' ' || c == '\t' || c == '\r') {
            s++;
        } else if (c == '\n') {
            if (p->lines)
                return s;
            s++;
            p->line++;
            p->line_start = pos_of(p, s);
        } else {
            break;
        }
    }
    return s;
}

/* Run the machine over buf[0..end) whose first byte is input offset `base`. `final`: a token
 * that reaches `end` is complete (end of input, or a carried token).
 *
 * Inside a document each state is a label, entered directly from the state before it, so
 * that every decision is a branch of its own (predicted in its context) rather than one
 * indirect jump; between documents a slower loop handles JSON Lines and streams. */
static int run(struct ltl_json_parser *p, const uint8_t *buf, const uint8_t *end, uint64_t base,
               bool final)
{
    const uint8_t *s = buf;
    int state = p->state;
    int rc = LTL_OK;
    unsigned c;
    p->buf = buf;
    p->base = base;

/* Skip whitespace (a single space fast); at the end of the buffer save `st` and leave. */
#define WS(st)                                                                                     \
    do {                                                                                           \
        if (UNLIKELY(s == end || *s <= ' ')) {                                                     \
            if (s + 1 < end && *s == ' ' && s[1] > ' ') {                                          \
                s++;                                                                               \
            } else {                                                                               \
                s = skip_ws(p, s, end);                                                            \
                if (UNLIKELY(s == end || *s <= ' ')) {                                             \
                    state = (st);                                                                  \
                    goto ws_stop;                                                                  \
                }                                                                                  \
            }                                                                                      \
        }                                                                                          \
    } while (0)

/* Hand a scalar to the sink or the callback. */
#define EMIT(type, tok, len, depth)                                                                \
    do {                                                                                           \
        if (p->build_path && !(p->sink && sink_line(p, (tok), (len), end))) {                      \
            rc = emit(p, (type), (const char *)(tok), (len), pos_of(p, (tok)), (depth));           \
            if (rc)                                                                                \
                goto stop;                                                                         \
        }                                                                                          \
    } while (0)

    switch (state) {
    case ST_VALUE:
        goto l_value;
    case ST_ARR_FIRST:
        goto l_arr_first;
    case ST_OBJ_FIRST:
        goto l_obj_first;
    case ST_KEY:
        goto l_key;
    case ST_COLON:
        goto l_colon;
    case ST_AFTER:
        goto l_after;
    default:
        goto l_doc;
    }

    /* ---- between documents -------------------------------------------------------- */
l_doc:
    for (;;) {
        if (state == ST_SKIP_LINE) {
            const uint8_t *nl = memchr(s, '\n', (size_t)(end - s));
            if (!nl) {
                s = end;
                goto out;
            }
            s = nl + 1;
            p->line++;
            p->line_start = pos_of(p, s);
            state = ST_DOC;
        }
        if (s == end)
            goto out;
        c = *s;
        if (c == '\n') {
            if (p->lines && state == ST_DOC_AFTER) {
                /* a JSON line is complete at its newline, so that trailing garbage makes
                 * the whole line bad */
                if ((rc = doc_done(p, pos_of(p, s))))
                    goto stop;
                state = ST_DOC;
            }
            s++;
            p->line++;
            p->line_start = pos_of(p, s);
            continue;
        }
        if (c == ' ' || c == '\t' || c == '\r') {
            s++;
            continue;
        }
        if (c < ' ') {
            unexpected(p, s, "unexpected control character");
            goto fail;
        }
        if (state == ST_DOC_AFTER) {
            if (p->mode == LTL_JSON_MODE_DOCUMENT) {
                unexpected(p, s, "unexpected data after the JSON value");
                goto fail;
            }
            if (p->lines) {
                unexpected(p, s, "expected the end of the line after the JSON value");
                goto fail;
            }
        }
        /* a document starts */
        if (p->mode == LTL_JSON_MODE_AUTO && !p->auto_decided && p->document > 0) {
            p->auto_decided = true;
            if (p->first_one_line && p->line > p->first_end_line)
                p->lines = true;
        }
        p->doc_start_line = p->line;
        state = ST_VALUE;
        goto l_value_c;
    }

    /* ---- inside a document ---------------------------------------------------------- */
l_value:
    WS(ST_VALUE);
l_value_c:
    c = *s;
    if (c == '"') {
        const uint8_t *tok = s;
#if defined(__SSE2__)
        /* strings up to 31 bytes (most) in one step: two vectors, one 32-bit mask */
        if (LIKELY(end - s >= 33)) {
            uint32_t m = special_mask(_mm_loadu_si128((const __m128i *)(const void *)(s + 1))) |
                         special_mask(_mm_loadu_si128((const __m128i *)(const void *)(s + 17)))
                             << 16;
            if (LIKELY(m)) {
                const uint8_t *q = s + 1 + __builtin_ctz(m);
                if (LIKELY(*q == '"')) {
                    s = q + 1;
                    EMIT(LTL_JSON_STRING, tok, (size_t)(s - tok), p->depth);
                    goto l_after;
                }
            }
        }
#endif
        bool esc = false;
        s++;
        int st = scan_string(p, &s, end, final, &esc);
        if (st == SCAN_MORE) {
            keep_token(p, tok, end, true);
            state = ST_VALUE;
            s = end;
            goto out;
        }
        if (st == SCAN_ERR)
            goto fail;
        s++;
        EMIT(LTL_JSON_STRING, tok, (size_t)(s - tok), p->depth);
        goto l_after;
    }
    if (c == '-' || is_digit(c)) {
        const uint8_t *tok = s;
        int st = scan_number_fast(p, &s, end, final);
        if (UNLIKELY(st != SCAN_OK)) {
            if (st == SCAN_ERR)
                goto fail;
            keep_token(p, tok, end, false);
            state = ST_VALUE;
            s = end;
            goto out;
        }
        EMIT(LTL_JSON_NUMBER, tok, (size_t)(s - tok), p->depth);
        goto l_after;
    }
    if (c == '{') {
        if (UNLIKELY(p->depth >= p->max_depth))
            goto too_deep;
        if (p->build_path && (p->flags & LTL_JSON_EMIT_CONTAINERS)) {
            rc = emit(p, LTL_JSON_OBJECT, "{}", 2, pos_of(p, s), p->depth);
            if (rc)
                goto stop;
        }
        if (push_frame(p, K_OBJ, pos_of(p, s)))
            goto oom;
        s++;
        goto l_obj_first;
    }
    if (c == '[') {
        if (UNLIKELY(p->depth >= p->max_depth))
            goto too_deep;
        if (p->build_path && (p->flags & LTL_JSON_EMIT_CONTAINERS)) {
            rc = emit(p, LTL_JSON_ARRAY, "[]", 2, pos_of(p, s), p->depth);
            if (rc)
                goto stop;
        }
        if (push_frame(p, K_ARR, pos_of(p, s)))
            goto oom;
        if (p->build_path) {
            if (path_reserve(p, 3))
                goto oom;
            memcpy(p->path + p->path_len, "[0]", 3);
            p->path_len += 3;
            if (p->wildcard && wpath_append(p, "[]", 2))
                goto oom;
        }
        s++;
        goto l_arr_first;
    }
    if (c == 't' || c == 'f' || c == 'n') {
        const uint8_t *tok = s;
        const char *lit = c == 't' ? "true" : (c == 'f' ? "false" : "null");
        int st = scan_literal(p, &s, end, final, lit, c == 'f' ? 5 : 4);
        if (UNLIKELY(st != SCAN_OK)) {
            if (st == SCAN_ERR)
                goto fail;
            keep_token(p, tok, end, false);
            state = ST_VALUE;
            s = end;
            goto out;
        }
        EMIT(c == 't' ? LTL_JSON_TRUE : (c == 'f' ? LTL_JSON_FALSE : LTL_JSON_NULL), tok,
             (size_t)(s - tok), p->depth);
        goto l_after;
    }
    if (pos_of(p, s) == 0 && end - s >= 3 && s[0] == 0xEF && s[1] == 0xBB && s[2] == 0xBF)
        syntax(p, s, "a byte order mark (U+FEFF) is not allowed before JSON");
    else if (c < ' ')
        unexpected(p, s, "unexpected control character");
    else
        unexpected(p, s,
                   p->depth && p->frames[p->depth - 1].kind == K_ARR && c == ']'
                       ? "expected a value after ','"
                       : "expected a JSON value");
    goto fail;

l_arr_first:
    WS(ST_ARR_FIRST);
    if (*s == ']') {
        struct frame *f = &p->frames[p->depth - 1];
        s++;
        p->path_len = f->path_len;
        p->wpath_len = f->wpath_len;
        if (p->build_path && !(p->flags & LTL_JSON_EMIT_CONTAINERS) &&
            !(p->sink && sink_line(p, (const uint8_t *)"[]", 2, (const uint8_t *)"[]" + 2))) {
            rc = emit(p, LTL_JSON_ARRAY, "[]", 2, f->offset, p->depth - 1);
            if (rc)
                goto stop;
        }
        p->depth--;
        p->keybuf_len = f->keybuf_len;
        goto l_after;
    }
    goto l_value_c;

l_obj_first:
    WS(ST_OBJ_FIRST);
    if (*s == '}') {
        struct frame *f = &p->frames[p->depth - 1];
        s++;
        p->path_len = f->path_len;
        p->wpath_len = f->wpath_len;
        if (p->build_path && !(p->flags & LTL_JSON_EMIT_CONTAINERS) &&
            !(p->sink && sink_line(p, (const uint8_t *)"{}", 2, (const uint8_t *)"{}" + 2))) {
            rc = emit(p, LTL_JSON_OBJECT, "{}", 2, f->offset, p->depth - 1);
            if (rc)
                goto stop;
        }
        p->depth--;
        p->keybuf_len = f->keybuf_len;
        goto l_after;
    }
    if (*s != '"') {
        unexpected(p, s, "expected a string key or '}'");
        goto fail;
    }
    goto l_key_c;

l_key:
    WS(ST_KEY);
    if (*s != '"') {
        unexpected(p, s, "expected a string key after ','");
        goto fail;
    }
l_key_c : {
    const uint8_t *tok = s;
    const uint8_t *k = s + 1;
    bool esc = false, ident = false;
#if defined(__SSE2__)
    if (LIKELY(end - k >= 16)) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)k);
        unsigned m = special_mask(v);
        if (LIKELY(m)) {
            unsigned q = (unsigned)__builtin_ctz(m);
            if (LIKELY(k[q] == '"')) {
                s = k + q;
                ident = q && !(nonident_mask(v) & ((1u << q) - 1)) && (cls[*k] & C_IDF);
                if (LIKELY(ident && p->build_path && !p->wildcard)) {
                    /* the usual key: write ".key" straight into the path */
                    struct frame *f = &p->frames[p->depth - 1];
                    size_t at = f->path_len;
                    if (UNLIKELY(p->path_cap - at < 64) && (p->path_len = at, path_reserve(p, 40)))
                        goto oom;
                    char *d = p->path + at;
                    *d = '.';
                    d += at != 0;
                    _mm_storeu_si128((__m128i *)(void *)d, v);
                    f->key_src = KEY_PATH;
                    f->key_off = (size_t)(d - p->path);
                    f->key_len = q;
                    p->path_len = f->key_off + q;
                    goto key_done;
                }
                goto key_scanned;
            }
        }
    }
#endif
    s = k;
    int st = scan_string(p, &s, end, final, &esc);
    if (st == SCAN_MORE) {
        keep_token(p, tok, end, true);
        state = ST_KEY;
        s = end;
        goto out;
    }
    if (st == SCAN_ERR)
        goto fail;
    ident = !esc && ltl__json_is_ident((const char *)k, (size_t)(s - k));
#if defined(__SSE2__)
key_scanned:
#endif
    if (p->build_path &&
        set_key(p, &p->frames[p->depth - 1], (const char *)k, (size_t)(s - k), esc, ident))
        goto oom;
#if defined(__SSE2__)
key_done:
#endif
    s++;
    if (LIKELY(s < end && *s == ':')) {
        s++;
        goto l_value;
    }
}
l_colon:
    WS(ST_COLON);
    if (*s != ':') {
        unexpected(p, s, "expected ':' after an object key");
        goto fail;
    }
    s++;
    goto l_value;

l_after:
    if (UNLIKELY(p->depth == 0))
        goto l_root_done;
    WS(ST_AFTER);
    {
        struct frame *f = &p->frames[p->depth - 1];
        c = *s;
        if (c == ',') {
            s++;
            if (f->kind == K_OBJ)
                goto l_key;
            if (p->build_path && next_index(p))
                goto oom;
            goto l_value;
        }
        if (c == (f->kind == K_OBJ ? '}' : ']')) {
            s++;
            p->depth--;
            p->path_len = f->path_len;
            p->wpath_len = f->wpath_len;
            p->keybuf_len = f->keybuf_len;
            goto l_after;
        }
        unexpected(p, s,
                   f->kind == K_OBJ ? "expected ',' or '}' after an object member"
                                    : "expected ',' or ']' after an array element");
        goto fail;
    }

l_root_done:
    /* the root value is complete (a JSON line only at its newline) */
    if (!p->lines && (rc = doc_done(p, pos_of(p, s))))
        goto stop;
    state = ST_DOC_AFTER;
    goto l_doc;

ws_stop:
    /* WS() found the end of the buffer, a newline ending a JSON line early, or a control */
    if (s == end)
        goto out;
    if (*s == '\n')
        syntax(p, s, "unexpected end of line inside a JSON value (JSON Lines)");
    else
        unexpected(p, s, "unexpected control character");
    goto fail;

too_deep:
    set_err(p, LTL_EPARSE, pos_of(p, s), "nesting deeper than %u levels (max_depth)", p->max_depth);
    goto fail;
oom:
    rc = nomem(p);
    goto stop;
fail:
    if (keep_going(p)) {
        p->state = state;
        rc = recover(p);
        if (rc)
            goto stop;
        state = ST_SKIP_LINE;
        goto l_doc;
    }
    rc = p->err.code;
    goto stop;

out:
    p->state = state;
    return p->rc; /* LTL_OK, or LTL_ENOMEM from keep_token */
stop:
    p->state = state;
    if (!p->err.code)
        set_err(p, rc, pos_of(p, s), "stopped by the callback (%d)", rc);
    p->rc = rc;
    failed(p);
    return rc;
#undef WS
#undef EMIT
}

/* ---- chunks and the carry -------------------------------------------------------------- */

/* Where does the carried token end in data[0..len)? Returns the count of bytes that belong
 * to it, or len + 1 when all of them do and it goes on. */
static size_t carry_end(struct ltl_json_parser *p, const uint8_t *d, size_t len)
{
    if (!p->carry_string) {
        for (size_t i = 0; i < len; i++)
            if (!(cls[d[i]] & C_TOK))
                return i;
        return len + 1;
    }
    bool esc = p->carry_esc;
    for (size_t i = 0; i < len; i++) {
        unsigned c = d[i];
        if (esc) {
            esc = false;
        } else if (c == '\\') {
            esc = true;
        } else if (c == '"') {
            return i + 1;
        } else if (c < 0x20) {
            return i; /* invalid anyway; leave a newline to the line logic */
        }
    }
    p->carry_esc = esc;
    return len + 1;
}

static int carry_append(struct ltl_json_parser *p, const uint8_t *d, size_t n)
{
    if (p->carry_cap - p->carry_len <= n && grow(&p->carry, &p->carry_cap, p->carry_len + n + 1))
        return LTL_ENOMEM;
    memcpy(p->carry + p->carry_len, d, n);
    p->carry_len += n;
    return LTL_OK;
}

static int run_carry(struct ltl_json_parser *p)
{
    p->carrying = false;
    const uint8_t *c = (const uint8_t *)p->carry;
    return run(p, c, c + p->carry_len, p->carry_offset, true);
}

int ltl_json_parser_feed(ltl_json_parser *p, const void *data, size_t len)
{
    if (!p)
        return LTL_EINVAL;
    if (p->rc)
        return p->rc;
    const uint8_t *d = data;
    size_t skip = 0;
    if (p->carrying) {
        size_t k = carry_end(p, d, len);
        if (k > len) {
            if (carry_append(p, d, len)) {
                p->rc = nomem(p);
                return p->rc;
            }
            p->consumed += len;
            return LTL_OK;
        }
        if (carry_append(p, d, k)) {
            p->rc = nomem(p);
            return p->rc;
        }
        int rc = run_carry(p);
        if (rc)
            return rc;
        skip = k;
    }
    int rc = run(p, d + skip, d + len, p->consumed + skip, false);
    p->consumed += len;
    return rc;
}

int ltl_json_parser_finish(ltl_json_parser *p)
{
    if (!p)
        return LTL_EINVAL;
    if (p->rc)
        return p->rc;
    int rc;
    if (p->carrying && (rc = run_carry(p)))
        return rc;
    p->buf = NULL;
    p->base = p->consumed;
    switch (p->state) {
    case ST_DOC:
        if (p->mode == LTL_JSON_MODE_DOCUMENT && p->document == 0) {
            p->rc = set_err(p, LTL_EPARSE, p->consumed, "no JSON value (empty input)");
            failed(p);
            return p->rc;
        }
        break;
    case ST_DOC_AFTER:
        p->state = ST_DOC; /* so that a second finish does not end the document again */
        if (p->lines && (rc = doc_done(p, p->consumed))) {
            if (!p->err.code)
                set_err(p, rc, p->consumed, "stopped by the callback (%d)", rc);
            p->rc = rc;
            failed(p);
            return rc;
        }
        break;
    case ST_SKIP_LINE:
        break;
    default:
        set_err(p, LTL_EPARSE, p->consumed, "unexpected end of input inside a JSON value");
        if (keep_going(p)) {
            if ((rc = recover(p))) {
                p->rc = rc;
                failed(p);
                return rc;
            }
            break;
        }
        p->rc = LTL_EPARSE;
        failed(p);
        return p->rc;
    }
    if (p->hooks.finish && (rc = p->hooks.finish(p->hooks.ctx))) {
        if (!p->err.code)
            set_err(p, rc, p->consumed, "output failed (%d)", rc);
        p->rc = rc;
        return rc;
    }
    return LTL_OK;
}

/* ---- setup -------------------------------------------------------------------------------- */

void ltl_json_options_init(ltl_json_options *opts)
{
    if (opts)
        *opts = (ltl_json_options)LTL_JSON_OPTIONS_INIT;
}

static int parser_init(struct ltl_json_parser *p, const ltl_json_options *opts, ltl_json_fn fn,
                       void *ctx)
{
    memset(p, 0, offsetof(struct ltl_json_parser, inline_frames));
    ltl_json_options def = LTL_JSON_OPTIONS_INIT;
    if (!opts)
        opts = &def;
    if (opts->version != LTL_JSON_OPTIONS_VERSION || opts->mode < LTL_JSON_MODE_AUTO ||
        opts->mode > LTL_JSON_MODE_STREAM)
        return LTL_EINVAL;
    p->mode = opts->mode;
    p->flags = opts->flags;
    p->max_depth = opts->max_depth ? opts->max_depth : LTL__JSON_MAX_DEPTH;
    p->on_error = opts->on_error;
    p->error_ctx = opts->error_ctx;
    p->fn = fn;
    p->ctx = ctx;
    p->build_path = fn != NULL;
    p->wildcard = p->build_path && (p->flags & LTL_JSON_EMIT_WILDCARD);
    p->frames = p->inline_frames;
    p->frames_cap = INLINE_FRAMES;
    p->lines = p->mode == LTL_JSON_MODE_LINES ||
               (p->mode == LTL_JSON_MODE_AUTO && (p->flags & LTL_JSON_KEEP_GOING));
    p->auto_decided = p->mode != LTL_JSON_MODE_AUTO || p->lines;
    p->line = 1;
    p->state = ST_DOC;
    if (p->build_path) {
        if (grow(&p->path, &p->path_cap, 256))
            return LTL_ENOMEM;
        p->path[0] = '\0';
        if (p->wildcard) {
            if (grow(&p->wpath, &p->wpath_cap, 256))
                return LTL_ENOMEM;
            p->wpath[0] = '\0';
        }
    }
    return LTL_OK;
}

static void parser_release(struct ltl_json_parser *p)
{
    if (p->frames != p->inline_frames)
        ltl__free(p->frames);
    ltl__free(p->path);
    ltl__free(p->wpath);
    ltl__free(p->keybuf);
    ltl__free(p->carry);
    p->frames = p->inline_frames;
    p->path = p->wpath = p->keybuf = p->carry = NULL;
}

int ltl_json_parser_new(ltl_json_parser **out, const ltl_json_options *opts, ltl_json_fn fn,
                        void *ctx)
{
    if (!out)
        return LTL_EINVAL;
    *out = NULL;
    struct ltl_json_parser *p = ltl__malloc(sizeof(*p));
    if (!p)
        return LTL_ENOMEM;
    int rc = parser_init(p, opts, fn, ctx);
    if (rc) {
        parser_release(p);
        ltl__free(p);
        return rc;
    }
    *out = p;
    return LTL_OK;
}

const ltl_json_error *ltl_json_parser_error(const ltl_json_parser *p)
{
    return &p->err;
}

void ltl_json_parser_reset(ltl_json_parser *p)
{
    if (!p)
        return;
    reset_document(p);
    p->state = ST_DOC;
    p->rc = LTL_OK;
    p->lines = p->mode == LTL_JSON_MODE_LINES ||
               (p->mode == LTL_JSON_MODE_AUTO && (p->flags & LTL_JSON_KEEP_GOING));
    p->auto_decided = p->mode != LTL_JSON_MODE_AUTO || p->lines;
    p->first_one_line = false;
    p->consumed = 0;
    p->line = 1;
    p->line_start = 0;
    p->document = 0;
    p->carrying = false;
    p->carry_len = 0;
    p->err = (ltl_json_error){0};
    if (p->hooks.reset)
        p->hooks.reset(p->hooks.ctx);
}

void ltl_json_parser_free(ltl_json_parser *p)
{
    if (!p)
        return;
    if (p->hooks.free)
        p->hooks.free(p->hooks.ctx);
    parser_release(p);
    ltl__free(p);
}

void ltl__json_parser_set_hooks(ltl_json_parser *p, const ltl__json_hooks *hooks)
{
    p->hooks = *hooks;
}

void ltl__json_parser_set_sink(ltl_json_parser *p, ltl__json_sink *sink)
{
    p->sink = sink;
}

int ltl__json_parser_mode(const ltl_json_parser *p)
{
    return p->mode;
}

bool ltl__json_parser_is_lines(const ltl_json_parser *p)
{
    return p->lines;
}

/* ---- one-shot calls ------------------------------------------------------------------------ */

int ltl_json_parse(const void *data, size_t len, const ltl_json_options *opts, ltl_json_fn fn,
                   void *ctx, ltl_json_error *err)
{
    struct ltl_json_parser p;
    int rc = parser_init(&p, opts, fn, ctx);
    if (rc == LTL_OK) {
        const uint8_t *d = data ? data : (const uint8_t *)"";
        rc = run(&p, d, d + len, 0, true);
        p.consumed = len;
        if (rc == LTL_OK)
            rc = ltl_json_parser_finish(&p);
    } else if (rc == LTL_ENOMEM) {
        nomem(&p);
    } else {
        set_err(&p, rc, 0, "invalid options");
    }
    if (err)
        *err = p.err;
    parser_release(&p);
    return rc;
}

int ltl__json_validate(const void *data, size_t len, ltl_json_error *err)
{
    ltl_json_options opts = LTL_JSON_OPTIONS_INIT;
    opts.mode = LTL_JSON_MODE_DOCUMENT;
    return ltl_json_parse(data, len, &opts, NULL, NULL, err);
}
