/* SPDX-License-Identifier: MIT */
/*
 * output.c — what the ltl command writes (docs/OUTPUT.md). Standard output
 * is a stream whose every write goes through one function that keeps the
 * first failure's errno, so a failed write of any command's output, by
 * printf or fwrite, mid-stream or at the final flush, is seen: the command
 * stops writing and exits 6 with the reason, except when the reader went
 * away (EPIPE), which is quiet. And the escaping of human output: control
 * characters, terminal escape sequences, bidi controls and bytes that are
 * not UTF-8 are shown as C-style escapes, never sent to the terminal.
 */
#include "cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- standard output ---------------------------------------------------------------- */

static int out_errno;      /* errno of the first failed write of stdout; 0 while none failed */
static bool out_reported;  /* cli_out_fail() said so already */
static char out_done[512]; /* what stands although the output failed (cli_out_done) */
static bool out_tty;

/* The stream's only way to the file: write(2) until done; after a failure
 * nothing more is written, so the output is a clean prefix. */
static ssize_t out_write(void *cookie, const char *buf, size_t len)
{
    (void)cookie;
    if (out_errno)
        return 0;
    size_t done = 0;
    while (done < len) {
        ssize_t n = write(STDOUT_FILENO, buf + done, len - done);
        if (n > 0) {
            done += (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR && !cli_interrupted)
            continue;
        out_errno = n < 0 ? errno : EIO;
        return 0; /* fopencookie(3): 0 on error; the stream marks itself failed */
    }
    return (ssize_t)len;
}

void cli_out_init(void)
{
    out_tty = isatty(STDOUT_FILENO);
    cookie_io_functions_t io = {NULL, out_write, NULL, NULL};
    FILE *f = fopencookie(NULL, "w", io);
    if (!f)
        return; /* out of memory at start: stdio's stdout, whose errors main still sees */
    /* glibc lets stdout be assigned ("normal variables", the glibc manual, 12.2) */
    stdout = f;
    setvbuf(stdout, NULL, out_tty ? _IOLBF : _IOFBF, (size_t)1 << 16);
}

bool cli_stdout_tty(void)
{
    return out_tty;
}

bool cli_out_ok(void)
{
    return out_errno == 0;
}

bool cli_write(const void *buf, size_t len)
{
    if (out_errno)
        return false;
    if (len && fwrite(buf, 1, len, stdout) != len && !out_errno)
        out_errno = errno ? errno : EIO; /* not through out_write: stdio's stdout */
    return out_errno == 0;
}

void cli_out_done(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(out_done, sizeof(out_done), fmt, ap);
    va_end(ap);
}

int cli_out_fail(struct cli *cli)
{
    if (!out_errno)
        return EXIT_OK;
    if (out_errno == EPIPE)
        return EXIT_OK; /* the reader went away: it wants no more */
    if (out_errno == EINTR)
        return EXIT_INTERRUPTED;
    if (!out_reported) {
        out_reported = true;
        if (out_done[0])
            cli_fail(cli, 0, "writing output: %s; %s", strerror(out_errno), out_done);
        else
            cli_fail(cli, 0, "writing output: %s", strerror(out_errno));
    }
    return EXIT_IO;
}

int cli_out_finish(struct cli *cli, int code)
{
    if (fflush(stdout) != 0 && !out_errno)
        out_errno = errno ? errno : EIO; /* stdio's stdout (cli_out_init failed) */
    if (!out_errno)
        return code;
    int out_code = cli_out_fail(cli);
    return code != EXIT_OK ? code : out_code;
}

/* ---- text for people ------------------------------------------------------------------ */

/* The length of the valid UTF-8 sequence at s[0..n) and its code point; 0
 * when there is none (a stray, overlong, surrogate or cut sequence). */
static size_t utf8_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
    unsigned char c = s[0];
    size_t k;
    uint32_t v, min;
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    if (c >= 0xc2 && c <= 0xdf) {
        k = 2, v = c & 0x1f, min = 0x80;
    } else if (c >= 0xe0 && c <= 0xef) {
        k = 3, v = c & 0x0f, min = 0x800;
    } else if (c >= 0xf0 && c <= 0xf4) {
        k = 4, v = c & 0x07, min = 0x10000;
    } else {
        return 0;
    }
    if (n < k)
        return 0;
    for (size_t i = 1; i < k; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        v = v << 6 | (s[i] & 0x3f);
    }
    if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
        return 0;
    *cp = v;
    return k;
}

/* Code points a terminal acts on or that reorder what is shown: C1 controls
 * (U+009B is CSI on some terminals), the bidi controls (Trojan Source), and
 * the line and paragraph separators. */
static bool unsafe_code_point(uint32_t cp)
{
    return (cp >= 0x80 && cp <= 0x9f) || cp == 0x061c || cp == 0x200e || cp == 0x200f ||
           (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069) || cp == 0x2028 ||
           cp == 0x2029;
}

/* Feed s[0..n) escaped to put(): runs of bytes shown as they are, and an
 * escape for each unit that is not. false when put() failed. */
static bool escape(const void *data, size_t n, int mode,
                   bool (*put)(void *ctx, const char *p, size_t len), void *ctx)
{
    const unsigned char *s = data;
    size_t run = 0, i = 0;
    while (i < n) {
        unsigned char c = s[i];
        char esc[12];
        size_t unit = 1;
        uint32_t cp = c;
        if (c >= 0x20 && c < 0x7f) {
            i++;
            continue;
        }
        if ((c == '\n' || c == '\t') && mode == CLI_TEXT_BLOCK) {
            i++;
            continue;
        }
        if (c == '\n' || c == '\t' || c == '\r') {
            esc[0] = '\\';
            esc[1] = c == '\n' ? 'n' : c == '\t' ? 't' : 'r';
            esc[2] = '\0';
        } else if (c < 0x80) {
            snprintf(esc, sizeof(esc), "\\x%02x", c); /* other C0 controls, DEL */
        } else if ((unit = utf8_decode(s + i, n - i, &cp)) == 0) {
            unit = 1;
            snprintf(esc, sizeof(esc), "\\x%02x", c); /* not UTF-8 */
        } else if (unsafe_code_point(cp)) {
            snprintf(esc, sizeof(esc), "\\u%04x", (unsigned)cp);
        } else {
            i += unit; /* a printable character */
            continue;
        }
        if (i > run && !put(ctx, (const char *)s + run, i - run))
            return false;
        if (!put(ctx, esc, strlen(esc)))
            return false;
        i += unit;
        run = i;
    }
    return i <= run || put(ctx, (const char *)s + run, i - run);
}

static bool put_stdout(void *ctx, const char *p, size_t len)
{
    (void)ctx;
    return cli_write(p, len);
}

bool cli_write_text(const void *s, size_t len, int mode)
{
    return escape(s, len, mode, put_stdout, NULL);
}

struct text_buf {
    char *data;
    size_t len, cap;
    bool grow; /* false: a fixed buffer, cut when full */
};

static bool put_buf(void *ctx, const char *p, size_t len)
{
    struct text_buf *b = ctx;
    if (b->len + len + 1 > b->cap) {
        if (!b->grow) {
            len = b->cap > b->len + 1 ? b->cap - b->len - 1 : 0;
        } else {
            size_t cap = b->cap ? b->cap : 64;
            while (cap < b->len + len + 1)
                cap *= 2;
            char *d = realloc(b->data, cap);
            if (!d)
                return false;
            b->data = d;
            b->cap = cap;
        }
    }
    memcpy(b->data + b->len, p, len);
    b->len += len;
    b->data[b->len] = '\0';
    return true;
}

char *cli_text(const void *s, size_t len, int mode)
{
    struct text_buf b = {NULL, 0, 0, true};
    if (!put_buf(&b, "", 0) || !escape(s, len, mode, put_buf, &b)) {
        free(b.data);
        return NULL;
    }
    return b.data;
}

size_t cli_text_into(char *dst, size_t cap, const char *s, int mode)
{
    struct text_buf b = {dst, 0, cap, false};
    if (cap == 0)
        return 0;
    dst[0] = '\0';
    (void)escape(s, strlen(s), mode, put_buf, &b);
    return b.len;
}

void cli_echo(const char *s)
{
    char *e = cli_text(s, strlen(s), CLI_TEXT_LINE);
    fprintf(stderr, "  %s\n", e ? e : "(out of memory)");
    free(e);
}

void cli_log(void *ctx, int level, const char *msg)
{
    char line[4 * 1024 + 64];
    cli_text_into(line, sizeof(line), msg, CLI_TEXT_LINE);
    ltl_log_stderr(ctx, level, line);
}
