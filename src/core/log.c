/* SPDX-License-Identifier: MIT */
/*
 * log.c — the diagnostic logger. Messages are formatted into one bounded
 * line (newlines escaped, a visible "…" where it was cut) and handed to
 * the caller's sink; the library itself never writes to a terminal.
 * ltl_log_stderr() is the ready-made sink: one write(2) per line, so lines
 * from concurrent threads never interleave, colour only on a TTY without
 * NO_COLOR.
 */
#include "core/core.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static const char *const level_names[] = {"off", "error", "warn", "info", "debug", "trace"};

const char *ltl_log_level_name(int level)
{
    if (level < 0 || level >= (int)LTL__ARRAY_LEN(level_names))
        return "?";
    return level_names[level];
}

int ltl__log_level_parse(const char *name)
{
    for (int i = 0; i < (int)LTL__ARRAY_LEN(level_names); i++)
        if (strcmp(name, level_names[i]) == 0)
            return i;
    if (strcmp(name, "warning") == 0)
        return LTL_LOG_WARN;
    return -1;
}

/* Copy src into dst (capacity cap, NUL included) escaping control
 * characters; when it does not fit, end with "…" (3 bytes in UTF-8). */
static void sanitize_line(char *dst, size_t cap, const char *src)
{
    static const char ellipsis[] = "\xe2\x80\xa6";
    size_t out = 0;
    size_t limit = cap - sizeof(ellipsis); /* room for the mark and NUL */
    for (const unsigned char *s = (const unsigned char *)src; *s; s++) {
        char esc[8];
        size_t n = 1;
        esc[0] = (char)*s;
        if (*s == '\n') {
            memcpy(esc, "\\n", 2);
            n = 2;
        } else if (*s == '\r') {
            memcpy(esc, "\\r", 2);
            n = 2;
        } else if (*s < 0x20 || *s == 0x7f) {
            n = (size_t)snprintf(esc, sizeof(esc), "\\x%02x", *s);
        }
        if (out + n > limit) {
            /* do not leave half a UTF-8 sequence before the mark */
            while (out > 0 && ((unsigned char)dst[out - 1] & 0xc0) == 0x80)
                out--;
            if (out > 0 && ((unsigned char)dst[out - 1] & 0xc0) == 0xc0)
                out--;
            memcpy(dst + out, ellipsis, sizeof(ellipsis));
            return;
        }
        memcpy(dst + out, esc, n);
        out += n;
    }
    dst[out] = '\0';
}

void ltl__log(const ltl__logger *lg, int level, const char *fmt, ...)
{
    if (!lg || !lg->fn || level > lg->level || level <= LTL_LOG_OFF)
        return;
    char raw[4 * LTL__LOG_LINE_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(raw, sizeof(raw), fmt, ap);
    va_end(ap);
    char line[LTL__LOG_LINE_MAX];
    sanitize_line(line, sizeof(line), raw);
    lg->fn(lg->ctx, level, line);
}

void ltl_log_stderr(void *ctx, int level, const char *msg)
{
    LTL__UNUSED(ctx);
    static const char *const colours[] = {"",         "\033[31m", "\033[33m",
                                          "\033[36m", "\033[2m",  "\033[2m"};
    const char *no_color = getenv("NO_COLOR");
    bool colour = isatty(STDERR_FILENO) && !(no_color && no_color[0]);
    const char *name = ltl_log_level_name(level);
    const char *on = "", *off = "";
    if (colour && level > 0 && level < (int)LTL__ARRAY_LEN(colours)) {
        on = colours[level];
        off = "\033[0m";
    }
    char line[LTL__LOG_LINE_MAX + 64];
    int n = snprintf(line, sizeof(line), "ltl: %s%s%s: %s\n", on, name, off, msg);
    if (n < 0)
        return;
    if ((size_t)n >= sizeof(line)) {
        n = (int)sizeof(line) - 1;
        line[n - 1] = '\n';
    }
    /* one write per line; retry only on EINTR: a log line is not worth more */
    while (write(STDERR_FILENO, line, (size_t)n) < 0 && errno == EINTR) {
    }
}
