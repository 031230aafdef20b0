/* SPDX-License-Identifier: MIT */
/*
 * io_fault.c — the fault-injecting I/O table for tests. It passes calls to
 * the real table, counting them, and can
 *  - fail the Nth call of an operation with a chosen errno (once or from then on),
 *  - make the Nth pwrite short (a legal partial transfer),
 *  - simulate a crash: every write since the file's last fdatasync/fsync (or
 *    O_DSYNC write) is,
 *    at random, kept, dropped (old bytes restored) or torn (each 512-byte
 *    sector kept or restored on its own, so a later sector can survive an
 *    earlier one); then every further call fails with EIO, as if the process
 *    had died with the machine.
 * Metadata operations (create, rename, unlink, mkdir, fallocate) are taken
 * as durable at once: the store makes them durable with directory fsyncs
 * before it relies on them, and the model tests data ordering.
 *
 * It allocates with libc, not the library's hooks, so a test that fails the
 * Nth library allocation is not disturbed by the harness.
 */
#include "io/io.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SECTOR  512
#define MAX_FDS 1024

struct pending_write {
    char *path;
    off_t off;
    size_t len;
    off_t old_size;     /* file size before the write */
    unsigned char *old; /* bytes before the write (zeros beyond old_size) */
    struct pending_write *next;
};

struct ltl__io_fault {
    ltl__io table; /* first: the table pointer is the object pointer */
    ltl__io *real;
    pthread_mutex_t mu;
    long calls[LTL__IO_NOPS];
    struct {
        long nth;
        int errnum;
        bool persistent;
    } fail[LTL__IO_NOPS];
    long short_nth;
    long crash_sync_nth;
    bool dead;
    uint64_t rng;
    char *fd_path[MAX_FDS];
    bool fd_dsync[MAX_FDS]; /* opened with O_DSYNC: each write is also a sync point */
    struct pending_write *head, *tail;
    struct ltl__io_crash_stats stats;
};

static ltl__io_fault *F(ltl__io *io)
{
    return (ltl__io_fault *)io;
}

static uint64_t next_rand(ltl__io_fault *f)
{
    /* xorshift64*: deterministic per seed */
    f->rng ^= f->rng >> 12;
    f->rng ^= f->rng << 25;
    f->rng ^= f->rng >> 27;
    return f->rng * 0x2545f4914f6cdd1dULL;
}

/* Count a call of op; true when it must fail (errno set). Caller holds mu. */
static bool should_fail(ltl__io_fault *f, enum ltl__io_op op)
{
    long n = ++f->calls[op];
    if (f->dead) {
        errno = EIO;
        return true;
    }
    if (f->fail[op].nth > 0 &&
        (n == f->fail[op].nth || (f->fail[op].persistent && n > f->fail[op].nth))) {
        errno = f->fail[op].errnum;
        return true;
    }
    return false;
}

static void drop_pending_for(ltl__io_fault *f, const char *path)
{
    struct pending_write **pp = &f->head;
    f->tail = NULL;
    while (*pp) {
        struct pending_write *w = *pp;
        if (strcmp(w->path, path) == 0) {
            *pp = w->next;
            free(w->path);
            free(w->old);
            free(w);
        } else {
            f->tail = w;
            pp = &w->next;
        }
    }
}

/* Apply the crash model, newest write first, so restoring "old" bytes of
 * overlapping writes composes correctly. Caller holds mu. */
static void apply_crash(ltl__io_fault *f)
{
    size_t n = 0;
    for (struct pending_write *w = f->head; w; w = w->next)
        n++;
    struct pending_write **all = calloc(n ? n : 1, sizeof(*all));
    size_t i = 0;
    for (struct pending_write *w = f->head; w; w = w->next)
        all[i++] = w;
    while (i-- > 0) {
        struct pending_write *w = all[i];
        int fd = open(w->path, O_RDWR | O_CLOEXEC);
        if (fd < 0)
            continue; /* the file is gone: nothing to undo */
        unsigned fate = (unsigned)(next_rand(f) % 3);
        if (fate == 0) {
            f->stats.kept++;
        } else if (fate == 1) {
            f->stats.dropped++;
            if (pwrite(fd, w->old, w->len, w->off) < 0) {
                /* best effort in a test harness */
            }
        } else {
            f->stats.torn++;
            /* sector granularity relative to the file, like a disk */
            off_t pos = w->off;
            while (pos < w->off + (off_t)w->len) {
                off_t sector_end = (pos / SECTOR + 1) * SECTOR;
                off_t end =
                    sector_end < w->off + (off_t)w->len ? sector_end : w->off + (off_t)w->len;
                if (next_rand(f) & 1) {
                    if (pwrite(fd, w->old + (pos - w->off), (size_t)(end - pos), pos) < 0) {
                    }
                }
                pos = end;
            }
        }
        struct stat st;
        if (fate != 0 && fstat(fd, &st) == 0 && st.st_size > w->old_size &&
            w->off + (off_t)w->len >= st.st_size) {
            if (ftruncate(fd, w->old_size) < 0) {
            }
        }
        close(fd);
    }
    free(all);
    while (f->head) {
        struct pending_write *w = f->head;
        f->head = w->next;
        free(w->path);
        free(w->old);
        free(w);
    }
    f->tail = NULL;
    f->dead = true;
}

/* ---- the table ---------------------------------------------------------- */

static int f_open(ltl__io *io, const char *path, int flags, mode_t mode)
{
    ltl__io_fault *f = F(io);
    pthread_mutex_lock(&f->mu);
    int fd = -1;
    if (!should_fail(f, LTL__IO_OPEN)) {
        fd = f->real->open(f->real, path, flags, mode);
        if (fd >= 0 && fd < MAX_FDS) {
            free(f->fd_path[fd]);
            f->fd_path[fd] = strdup(path);
            f->fd_dsync[fd] = (flags & O_DSYNC) != 0;
        }
    }
    int saved = errno;
    pthread_mutex_unlock(&f->mu);
    errno = saved;
    return fd;
}

static int f_close(ltl__io *io, int fd)
{
    ltl__io_fault *f = F(io);
    pthread_mutex_lock(&f->mu);
    /* close always releases the descriptor, even for a "dead" process */
    bool fail = should_fail(f, LTL__IO_CLOSE);
    int saved = errno;
    int rc = f->real->close(f->real, fd);
    if (fd >= 0 && fd < MAX_FDS) {
        free(f->fd_path[fd]);
        f->fd_path[fd] = NULL;
    }
    pthread_mutex_unlock(&f->mu);
    if (fail) {
        errno = saved;
        return -1;
    }
    return rc;
}

static ssize_t f_pread(ltl__io *io, int fd, void *buf, size_t len, off_t off)
{
    ltl__io_fault *f = F(io);
    pthread_mutex_lock(&f->mu);
    ssize_t n = -1;
    if (!should_fail(f, LTL__IO_PREAD))
        n = f->real->pread(f->real, fd, buf, len, off);
    int saved = errno;
    pthread_mutex_unlock(&f->mu);
    errno = saved;
    return n;
}

static ssize_t f_pwrite(ltl__io *io, int fd, const void *buf, size_t len, off_t off)
{
    ltl__io_fault *f = F(io);
    pthread_mutex_lock(&f->mu);
    ssize_t n = -1;
    if (should_fail(f, LTL__IO_PWRITE))
        goto out;
    if (f->short_nth > 0 && f->calls[LTL__IO_PWRITE] == f->short_nth && len > 1)
        len = 1 + (size_t)(next_rand(f) % (len - 1));
    /* remember the old bytes so a crash can undo or tear this write */
    struct pending_write *w = calloc(1, sizeof(*w));
    struct stat st;
    if (!w || fd < 0 || fd >= MAX_FDS || !f->fd_path[fd] || fstat(fd, &st) < 0) {
        free(w);
        errno = EBADF;
        goto out;
    }
    w->path = strdup(f->fd_path[fd]);
    w->off = off;
    w->len = len;
    w->old_size = st.st_size;
    w->old = calloc(1, len ? len : 1);
    if (pread(fd, w->old, len, off) < 0) {
        /* unreadable old bytes: restore zeros */
    }
    n = f->real->pwrite(f->real, fd, buf, len, off);
    if (n < 0) {
        int saved = errno;
        free(w->path);
        free(w->old);
        free(w);
        errno = saved;
        goto out;
    }
    w->len = (size_t)n;
    if (f->tail)
        f->tail->next = w;
    else
        f->head = w;
    f->tail = w;
    if (f->fd_dsync[fd]) {
        /* O_DSYNC: this write is a sync point too. A crash there may lose
         * or tear it; a failed sync reports the write as failed. */
        if (f->crash_sync_nth > 0 && f->calls[LTL__IO_FDATASYNC] + 1 == f->crash_sync_nth) {
            f->calls[LTL__IO_FDATASYNC]++;
            apply_crash(f);
            errno = EIO;
            n = -1;
        } else if (should_fail(f, LTL__IO_FDATASYNC)) {
            n = -1;
        } else {
            drop_pending_for(f, f->fd_path[fd]);
        }
    }
out:;
    int saved = errno;
    pthread_mutex_unlock(&f->mu);
    errno = saved;
    return n;
}

static int sync_common(ltl__io *io, int fd, bool data_only)
{
    ltl__io_fault *f = F(io);
    pthread_mutex_lock(&f->mu);
    int rc = -1;
    if (!f->dead && f->crash_sync_nth > 0 && f->calls[LTL__IO_FDATASYNC] + 1 == f->crash_sync_nth) {
        f->calls[LTL__IO_FDATASYNC]++;
        apply_crash(f);
        errno = EIO;
        goto out;
    }
    if (should_fail(f, LTL__IO_FDATASYNC)) {
        /* like Linux after a failed writeback: the dirty data may be gone
         * and the error is reported once; the pending writes stay unsynced */
        goto out;
    }
    rc = data_only ? f->real->fdatasync(f->real, fd) : f->real->fsync(f->real, fd);
    if (rc == 0 && fd >= 0 && fd < MAX_FDS && f->fd_path[fd])
        drop_pending_for(f, f->fd_path[fd]);
out:;
    int saved = errno;
    pthread_mutex_unlock(&f->mu);
    errno = saved;
    return rc;
}

static int f_fdatasync(ltl__io *io, int fd)
{
    return sync_common(io, fd, true);
}

static int f_fsync(ltl__io *io, int fd)
{
    return sync_common(io, fd, false);
}

#define PASS(op_enum, call)                                                                        \
    ltl__io_fault *f = F(io);                                                                      \
    pthread_mutex_lock(&f->mu);                                                                    \
    int rc = -1;                                                                                   \
    if (!should_fail(f, op_enum))                                                                  \
        rc = call;                                                                                 \
    int saved = errno;                                                                             \
    pthread_mutex_unlock(&f->mu);                                                                  \
    errno = saved;                                                                                 \
    return rc

static int f_fallocate(ltl__io *io, int fd, off_t len)
{
    PASS(LTL__IO_FALLOCATE, f->real->fallocate(f->real, fd, len));
}

static int f_ftruncate(ltl__io *io, int fd, off_t len)
{
    PASS(LTL__IO_FTRUNCATE, f->real->ftruncate(f->real, fd, len));
}

static int f_fstat(ltl__io *io, int fd, struct stat *st)
{
    PASS(LTL__IO_OTHER, f->real->fstat(f->real, fd, st));
}

static int f_stat(ltl__io *io, const char *path, struct stat *st)
{
    PASS(LTL__IO_OTHER, f->real->stat(f->real, path, st));
}

static int f_rename(ltl__io *io, const char *from, const char *to)
{
    ltl__io_fault *f = F(io);
    pthread_mutex_lock(&f->mu);
    int rc = -1;
    if (!should_fail(f, LTL__IO_RENAME)) {
        rc = f->real->rename(f->real, from, to);
        if (rc == 0) {
            for (struct pending_write *w = f->head; w; w = w->next)
                if (strcmp(w->path, from) == 0) {
                    free(w->path);
                    w->path = strdup(to);
                }
            for (int i = 0; i < MAX_FDS; i++)
                if (f->fd_path[i] && strcmp(f->fd_path[i], from) == 0) {
                    free(f->fd_path[i]);
                    f->fd_path[i] = strdup(to);
                }
        }
    }
    int saved = errno;
    pthread_mutex_unlock(&f->mu);
    errno = saved;
    return rc;
}

static int f_unlink(ltl__io *io, const char *path)
{
    PASS(LTL__IO_OTHER, f->real->unlink(f->real, path));
}

static int f_mkdir(ltl__io *io, const char *path, mode_t mode)
{
    PASS(LTL__IO_OTHER, f->real->mkdir(f->real, path, mode));
}

static int f_flock(ltl__io *io, int fd, int op)
{
    PASS(LTL__IO_OTHER, f->real->flock(f->real, fd, op));
}

static int f_list_dir(ltl__io *io, const char *dir, int (*fn)(void *ctx, const char *name),
                      void *ctx)
{
    ltl__io_fault *f = F(io);
    pthread_mutex_lock(&f->mu);
    bool fail = should_fail(f, LTL__IO_OTHER);
    int saved = errno;
    pthread_mutex_unlock(&f->mu);
    if (fail) {
        errno = saved;
        return -1;
    }
    /* not under the lock: fn may call back into the table */
    return f->real->list_dir(f->real, dir, fn, ctx);
}

/* ---- control ------------------------------------------------------------- */

ltl__io_fault *ltl__io_fault_new(uint64_t seed)
{
    ltl__io_fault *f = calloc(1, sizeof(*f));
    if (!f)
        return NULL;
    f->table = (ltl__io){f_open,   f_close,     f_pread,     f_pwrite, f_fdatasync,
                         f_fsync,  f_fallocate, f_ftruncate, f_fstat,  f_stat,
                         f_rename, f_unlink,    f_mkdir,     f_flock,  f_list_dir};
    f->real = ltl__io_real();
    f->rng = seed ? seed : 0x9e3779b97f4a7c15ULL;
    pthread_mutex_init(&f->mu, NULL);
    return f;
}

void ltl__io_fault_free(ltl__io_fault *f)
{
    if (!f)
        return;
    while (f->head) {
        struct pending_write *w = f->head;
        f->head = w->next;
        free(w->path);
        free(w->old);
        free(w);
    }
    for (int i = 0; i < MAX_FDS; i++)
        free(f->fd_path[i]);
    pthread_mutex_destroy(&f->mu);
    free(f);
}

ltl__io *ltl__io_fault_table(ltl__io_fault *f)
{
    return &f->table;
}

void ltl__io_fault_fail(ltl__io_fault *f, enum ltl__io_op op, long nth, int errnum, bool persistent)
{
    pthread_mutex_lock(&f->mu);
    f->fail[op].nth = nth;
    f->fail[op].errnum = errnum;
    f->fail[op].persistent = persistent;
    pthread_mutex_unlock(&f->mu);
}

void ltl__io_fault_short_write(ltl__io_fault *f, long nth)
{
    pthread_mutex_lock(&f->mu);
    f->short_nth = nth;
    pthread_mutex_unlock(&f->mu);
}

void ltl__io_fault_crash_at_sync(ltl__io_fault *f, long nth)
{
    pthread_mutex_lock(&f->mu);
    f->crash_sync_nth = nth;
    pthread_mutex_unlock(&f->mu);
}

void ltl__io_fault_crash(ltl__io_fault *f)
{
    pthread_mutex_lock(&f->mu);
    if (!f->dead)
        apply_crash(f);
    pthread_mutex_unlock(&f->mu);
}

bool ltl__io_fault_crashed(const ltl__io_fault *f)
{
    return f->dead;
}

long ltl__io_fault_calls(const ltl__io_fault *f, enum ltl__io_op op)
{
    return f->calls[op];
}

void ltl__io_fault_crash_stats(const ltl__io_fault *f, struct ltl__io_crash_stats *out)
{
    *out = f->stats;
}
