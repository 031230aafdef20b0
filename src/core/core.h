/* SPDX-License-Identifier: MIT */
/*
 * core.h — internals shared by every module: allocation through the user's
 * hooks, the per-thread error message, the diagnostic logger, byte-order
 * helpers, CRC32C, time, and the configuration resolver.
 */
#ifndef LTL_CORE_H
#define LTL_CORE_H

#include "ltl.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define LTL__INTERNAL     __attribute__((visibility("hidden")))
#define LTL__WUR          __attribute__((warn_unused_result))
#define LTL__PRINTF(f, a) __attribute__((format(printf, f, a)))
#define LTL__UNUSED(x)    ((void)(x))
#define LTL__ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* ---- allocation (src/core/alloc.c) -------------------------------------- */

void *ltl__malloc(size_t size) LTL__WUR;
void *ltl__calloc(size_t count, size_t size) LTL__WUR;
void *ltl__realloc(void *ptr, size_t size) LTL__WUR;
void ltl__free(void *ptr);
char *ltl__strdup(const char *s) LTL__WUR;
char *ltl__strndup(const char *s, size_t len) LTL__WUR;
char *ltl__sprintf(const char *fmt, ...) LTL__PRINTF(1, 2) LTL__WUR;

/* A growable byte buffer. `data` is owned; ltl__buf_free() releases it. */
typedef struct ltl__buf {
    char *data;
    size_t len;
    size_t cap;
} ltl__buf;

/* Make room for `extra` more bytes. LTL_OK or LTL_ENOMEM (buffer unchanged). */
int ltl__buf_reserve(ltl__buf *buf, size_t extra) LTL__WUR;
int ltl__buf_append(ltl__buf *buf, const void *data, size_t len) LTL__WUR;
int ltl__buf_appendf(ltl__buf *buf, const char *fmt, ...) LTL__PRINTF(2, 3) LTL__WUR;
void ltl__buf_free(ltl__buf *buf);

/* ---- errors (src/core/error.c) -------------------------------------------
 * A failing internal function records a message with ltl__errf() and
 * returns the code. The first message of a failure wins: later ones (say,
 * from cleanup) do not overwrite it; outer layers add context with
 * ltl__err_prefix(). Public entry points call ltl__err_begin() first and
 * return through ltl__err_end(owner, rc), which ties the message to the
 * handle so ltl_errmsg(owner) finds it. The state is per thread.
 */
void ltl__err_begin(void);
int ltl__err_end(const void *owner, int rc);
int ltl__errf(int rc, const char *fmt, ...) LTL__PRINTF(2, 3);
/* Record "<what>: <strerror(errnum)>" and return the code errnum maps to. */
int ltl__err_sys(int errnum, const char *fmt, ...) LTL__PRINTF(2, 3);
void ltl__err_prefix(const char *fmt, ...) LTL__PRINTF(1, 2);
/* Drop the message recorded so far in this call, so the next ltl__errf()
 * states the failure anew (a layer that knows more than the one below). */
void ltl__err_restate(void);
const char *ltl__err_message(const void *owner);
/* The message recorded during the current call in this thread ("" when none). */
const char *ltl__err_current(void);
/* Map an errno value to an LTL_E* code. */
int ltl__rc_from_errno(int errnum);

/* ---- logging (src/core/log.c) -------------------------------------------- */

typedef struct ltl__logger {
    ltl_log_fn fn;
    void *ctx;
    int level;
} ltl__logger;

#define LTL__LOG_LINE_MAX 1024

void ltl__log(const ltl__logger *lg, int level, const char *fmt, ...) LTL__PRINTF(3, 4);
/* Parse "error|warn|info|debug|trace|off"; -1 when unknown. */
int ltl__log_level_parse(const char *name);

/* ---- little-endian encoding ----------------------------------------------- */

static inline void ltl__put_u16(unsigned char *p, uint16_t v)
{
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
}
static inline void ltl__put_u32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}
static inline void ltl__put_u64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}
static inline uint16_t ltl__get_u16(const unsigned char *p)
{
    return (uint16_t)(p[0] | (p[1] << 8));
}
static inline uint32_t ltl__get_u32(const unsigned char *p)
{
    uint32_t v = 0;
    for (int i = 3; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}
static inline uint64_t ltl__get_u64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

/* ---- CRC32C (src/core/crc32c.c) -------------------------------------------
 * CRC-32C (Castagnoli), as in iSCSI and ext4: crc32c(0, "123456789", 9) ==
 * 0xe3069283. Continue a running checksum by passing the previous value.
 */
uint32_t ltl__crc32c(uint32_t crc, const void *data, size_t len);
/* The table implementation, whatever the CPU has (tests compare the two). */
uint32_t ltl__crc32c_portable(uint32_t crc, const void *data, size_t len);
/* "sse4.2" or "table": which implementation runs on this CPU. */
const char *ltl__crc32c_impl(void);

/* ---- time (src/core/time.c) ---------------------------------------------- */

/* Monotonic clock in ns, for intervals. */
int64_t ltl__mono_ns(void);
/* Parse a duration ("100ms", "2s", "5m", "1h", bare ns) into ns; -1 if bad. */
int64_t ltl__duration_parse(const char *text);
/* Parse a size ("4096", "64K", "16M", "16MiB", "1G") into bytes; -1 if bad. */
int64_t ltl__size_parse(const char *text);

/* ---- the worker pool (src/core/pool.c) -----------------------------------
 * Fixed threads taking tasks in FIFO order. The first task error (with its
 * message) is kept and cancels the tasks not started yet. */

typedef int (*ltl__task_fn)(void *arg);
struct ltl__pool;

int ltl__pool_new(struct ltl__pool **out, unsigned threads) LTL__WUR;
int ltl__pool_submit(struct ltl__pool *p, ltl__task_fn fn, void *arg) LTL__WUR;
/* Wait for every submitted task (timeout_ns < 0: no timeout). Returns the
 * first task error, LTL_ETIMEOUT, or LTL_OK. */
int ltl__pool_wait(struct ltl__pool *p, int64_t timeout_ns) LTL__WUR;
/* Tasks not started are skipped; running ones may poll ltl__pool_cancelled. */
void ltl__pool_cancel(struct ltl__pool *p);
bool ltl__pool_cancelled(struct ltl__pool *p);
void ltl__pool_progress(struct ltl__pool *p, uint64_t *done, uint64_t *total);
/* Cancel what is queued, join the threads, free. NULL does nothing. */
void ltl__pool_free(struct ltl__pool *p);

/* ---- hex (src/core/base64.c): lowercase, 2 digits a byte -------------------- */
/* out has room for 2 * len + 1 bytes; NUL-terminated. */
void ltl__hex_encode(char *out, const void *data, size_t len);
/* Decode exactly 2 * len hex digits (either case); false when not hex. */
bool ltl__hex_decode(void *out, const char *text, size_t len);

/* ---- base64 (src/core/base64.c), RFC 4648 with padding ---------------------- */

int ltl__base64_encode(ltl__buf *out, const void *data, size_t len) LTL__WUR;
/* LTL_OK, LTL_EPARSE (not base64), LTL_ENOMEM. */
int ltl__base64_decode(ltl__buf *out, const char *text, size_t len) LTL__WUR;

/* ---- UTF-8 ------------------------------------------------------------- */

/* true when data[0..len) is well-formed UTF-8 (RFC 3629: no overlongs, no surrogates). */
bool ltl__utf8_valid(const void *data, size_t len);

/* ---- names of keys and logs (src/core/name.c) -------------------------------- */

#define LTL__NAME_MAX 255

/* A key name or checkpoint origin (C2SP signed-note): 1..LTL__NAME_MAX bytes of
 * UTF-8, no Unicode White_Space, no '+', no control characters. LTL_OK, or
 * LTL_EINVAL with a message that starts with `what` and says what is wrong. The
 * one check behind key names, checkpoint origins and the checkpoint.origin key. */
int ltl__name_check(const char *name, size_t len, const char *what) LTL__WUR;

#endif /* LTL_CORE_H */
