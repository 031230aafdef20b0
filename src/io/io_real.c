/* SPDX-License-Identifier: MIT */
/*
 * io_real.c — the I/O table that calls the operating system, and the
 * helpers every store file operation uses over any table.
 */
#include "io/io.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

static int r_open(ltl__io *io, const char *path, int flags, mode_t mode)
{
    (void)io;
    int fd;
    do {
        fd = open(path, flags | O_CLOEXEC, mode);
    } while (fd < 0 && errno == EINTR);
    return fd;
}

static int r_close(ltl__io *io, int fd)
{
    (void)io;
    return close(fd);
}

static ssize_t r_pread(ltl__io *io, int fd, void *buf, size_t len, off_t off)
{
    (void)io;
    return pread(fd, buf, len, off);
}

static ssize_t r_pwrite(ltl__io *io, int fd, const void *buf, size_t len, off_t off)
{
    (void)io;
    return pwrite(fd, buf, len, off);
}

static int r_fdatasync(ltl__io *io, int fd)
{
    (void)io;
    return fdatasync(fd);
}

static int r_fsync(ltl__io *io, int fd)
{
    (void)io;
    return fsync(fd);
}

static int r_fallocate(ltl__io *io, int fd, off_t len)
{
    (void)io;
    int rc = posix_fallocate(fd, 0, len);
    if (rc == EOPNOTSUPP || rc == EINVAL) {
        /* a file system without allocation: extend the file sparsely */
        return ftruncate(fd, len);
    }
    if (rc) {
        errno = rc;
        return -1;
    }
    return 0;
}

static int r_ftruncate(ltl__io *io, int fd, off_t len)
{
    (void)io;
    return ftruncate(fd, len);
}

static int r_fstat(ltl__io *io, int fd, struct stat *st)
{
    (void)io;
    return fstat(fd, st);
}

static int r_stat(ltl__io *io, const char *path, struct stat *st)
{
    (void)io;
    return stat(path, st);
}

static int r_rename(ltl__io *io, const char *from, const char *to)
{
    (void)io;
    return rename(from, to);
}

static int r_unlink(ltl__io *io, const char *path)
{
    (void)io;
    return unlink(path);
}

static int r_mkdir(ltl__io *io, const char *path, mode_t mode)
{
    (void)io;
    return mkdir(path, mode);
}

static int r_flock(ltl__io *io, int fd, int op)
{
    (void)io;
    int rc;
    do {
        rc = flock(fd, op);
    } while (rc < 0 && errno == EINTR);
    return rc;
}

static int r_list_dir(ltl__io *io, const char *dir, int (*fn)(void *ctx, const char *name),
                      void *ctx)
{
    (void)io;
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    int rc = 0;
    struct dirent *e;
    errno = 0;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        if ((rc = fn(ctx, e->d_name)) != 0)
            break;
        errno = 0;
    }
    int saved = errno;
    closedir(d);
    if (rc == 0 && saved) {
        errno = saved;
        return -1;
    }
    return rc;
}

static ltl__io real_table = {
    r_open,  r_close, r_pread,  r_pwrite, r_fdatasync, r_fsync, r_fallocate, r_ftruncate,
    r_fstat, r_stat,  r_rename, r_unlink, r_mkdir,     r_flock, r_list_dir,
};

ltl__io *ltl__io_real(void)
{
    return &real_table;
}

int ltl__io_pwrite_full(ltl__io *io, int fd, const void *buf, size_t len, off_t off)
{
    const char *p = buf;
    while (len) {
        ssize_t n = io->pwrite(io, fd, p, len, off);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        if (n == 0) {
            errno = EIO; /* no progress: do not spin */
            return -1;
        }
        p += n;
        off += n;
        len -= (size_t)n;
    }
    return 0;
}

ssize_t ltl__io_pread_full(ltl__io *io, int fd, void *buf, size_t len, off_t off)
{
    char *p = buf;
    size_t done = 0;
    while (done < len) {
        ssize_t n = io->pread(io, fd, p + done, len - done, off + (off_t)done);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        if (n == 0)
            break;
        done += (size_t)n;
    }
    return (ssize_t)done;
}

int ltl__io_fsync_dir(ltl__io *io, const char *dir)
{
    int fd = io->open(io, dir, O_RDONLY | O_DIRECTORY, 0);
    if (fd < 0)
        return -1;
    int rc = io->fsync(io, fd);
    int saved = errno;
    io->close(io, fd);
    errno = saved;
    return rc;
}
