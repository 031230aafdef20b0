/* SPDX-License-Identifier: MIT */
/*
 * io.h — the one table every store file operation goes through. The real
 * table calls the system; the fault table (tests) wraps it to fail the Nth
 * call of an operation (EIO, ENOSPC, short writes, failed fdatasync) and
 * to simulate a crash: writes not yet synced are dropped, torn or kept at
 * random, and the process "dies" (every later call fails).
 *
 * Calls follow system-call conventions: -1 with errno set on failure.
 */
#ifndef LTL_IO_H
#define LTL_IO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

typedef struct ltl__io ltl__io;

struct ltl__io {
    int (*open)(ltl__io *io, const char *path, int flags, mode_t mode);
    int (*close)(ltl__io *io, int fd);
    ssize_t (*pread)(ltl__io *io, int fd, void *buf, size_t len, off_t off);
    ssize_t (*pwrite)(ltl__io *io, int fd, const void *buf, size_t len, off_t off);
    int (*fdatasync)(ltl__io *io, int fd);
    int (*fsync)(ltl__io *io, int fd);
    /* reserve [0, len) on disk and extend the file to len (or at least extend it) */
    int (*fallocate)(ltl__io *io, int fd, off_t len);
    int (*ftruncate)(ltl__io *io, int fd, off_t len);
    int (*fstat)(ltl__io *io, int fd, struct stat *st);
    int (*stat)(ltl__io *io, const char *path, struct stat *st);
    int (*rename)(ltl__io *io, const char *from, const char *to);
    int (*unlink)(ltl__io *io, const char *path);
    int (*mkdir)(ltl__io *io, const char *path, mode_t mode);
    int (*flock)(ltl__io *io, int fd, int op);
    /* call fn for each entry of dir (not "." and ".."); stops when fn returns non-zero */
    int (*list_dir)(ltl__io *io, const char *dir, int (*fn)(void *ctx, const char *name),
                    void *ctx);
};

/* The table that calls the operating system. */
ltl__io *ltl__io_real(void);

/* ---- helpers over any table (src/io/io.c) ---- */

/* Write/read all len bytes at off, looping over short transfers and EINTR.
 * pread_full returns the bytes read (short only at end of file) or -1. */
int ltl__io_pwrite_full(ltl__io *io, int fd, const void *buf, size_t len, off_t off);
ssize_t ltl__io_pread_full(ltl__io *io, int fd, void *buf, size_t len, off_t off);
/* fsync a directory, so a create/rename/unlink in it is durable. */
int ltl__io_fsync_dir(ltl__io *io, const char *dir);

/* ---- the fault-injecting table (src/io/io_fault.c), for tests ---- */

enum ltl__io_op {
    LTL__IO_OPEN,
    LTL__IO_CLOSE,
    LTL__IO_PREAD,
    LTL__IO_PWRITE,
    LTL__IO_FDATASYNC, /* counts fdatasync and fsync: both are sync points */
    LTL__IO_FALLOCATE,
    LTL__IO_FTRUNCATE,
    LTL__IO_RENAME,
    LTL__IO_OTHER,
    LTL__IO_NOPS
};

typedef struct ltl__io_fault ltl__io_fault;

/* A fault table over the real one. seed drives the crash model. */
ltl__io_fault *ltl__io_fault_new(uint64_t seed);
void ltl__io_fault_free(ltl__io_fault *f);
ltl__io *ltl__io_fault_table(ltl__io_fault *f);

/* Fail the nth call (1-based) of op with errnum; persistent: and every later one. */
void ltl__io_fault_fail(ltl__io_fault *f, enum ltl__io_op op, long nth, int errnum,
                        bool persistent);
/* Make the nth pwrite (1-based) write only part of its bytes (a legal short write). */
void ltl__io_fault_short_write(ltl__io_fault *f, long nth);
/* Crash at the nth sync point (fdatasync/fsync call, 1-based): that sync does
 * not happen, the crash model is applied to every unsynced write, and every
 * later call fails with EIO as if the process were gone. */
void ltl__io_fault_crash_at_sync(ltl__io_fault *f, long nth);
/* Crash now (same model). */
void ltl__io_fault_crash(ltl__io_fault *f);
bool ltl__io_fault_crashed(const ltl__io_fault *f);
/* Calls of op made so far. */
long ltl__io_fault_calls(const ltl__io_fault *f, enum ltl__io_op op);

/* What the crash model did, for test diagnostics. */
struct ltl__io_crash_stats {
    long kept, dropped, torn;
};
void ltl__io_fault_crash_stats(const ltl__io_fault *f, struct ltl__io_crash_stats *out);

#endif
