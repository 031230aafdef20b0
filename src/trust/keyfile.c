/* SPDX-License-Identifier: MIT */
/*
 * keyfile.c — keys on disk: one key text and a newline per file. A key is
 * created with O_EXCL (ltl never replaces a key: losing a write key loses
 * the ability to extend the signed history, losing a read key loses the
 * encrypted payloads) and made durable with its directory. Secret keys
 * (write, read) are created 0600 and refused when group or others have
 * any access, the way ssh refuses an unprotected private key.
 */
#include "trust/trust.h"

#include <errno.h>
#include <fcntl.h>

/* The directory part of path ("." when none). Caller frees. */
static char *dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        return ltl__strdup(".");
    return ltl__strndup(path, slash == path ? 1 : (size_t)(slash - path));
}

int ltl__key_file_write(ltl__io *io, const char *path, const char *text, size_t len, mode_t mode)
{
    int fd = io->open(io, path, O_WRONLY | O_CREAT | O_EXCL, mode);
    if (fd < 0) {
        if (errno == EEXIST)
            return ltl__errf(LTL_EEXIST,
                             "%s exists: ltl never overwrites a key file (move it away first)",
                             path);
        return ltl__err_sys(errno, "create %s", path);
    }
    int rc = LTL_OK;
    char *dir = NULL;
    if (ltl__io_pwrite_full(io, fd, text, len, 0) < 0 ||
        ltl__io_pwrite_full(io, fd, "\n", 1, (off_t)len) < 0) {
        rc = ltl__err_sys(errno, "write %s", path);
    } else if (io->fsync(io, fd) < 0) {
        rc = ltl__err_sys(errno, "fsync %s", path);
    }
    if (io->close(io, fd) < 0 && rc == LTL_OK)
        rc = ltl__err_sys(errno, "close %s", path);
    if (rc == LTL_OK) {
        if (!(dir = dir_of(path)))
            rc = ltl__errf(LTL_ENOMEM, "out of memory");
        else if (ltl__io_fsync_dir(io, dir) < 0)
            rc = ltl__err_sys(errno, "fsync directory %s", dir);
    }
    if (rc)
        io->unlink(io, path); /* leave no half-written key behind */
    ltl__free(dir);
    return rc;
}

int ltl__keypair_write(ltl__io *io, const struct ltl__write_key *k, const char *wkey_path,
                       const char *ckey_path)
{
    struct stat st;
    if (io->stat(io, ckey_path, &st) == 0)
        return ltl__errf(LTL_EEXIST,
                         "%s exists: ltl never overwrites a key file (move it away first)",
                         ckey_path);
    ltl__buf w = {0}, c = {0};
    struct ltl__check_key ck;
    ltl__write_key_public(&ck, k);
    int rc;
    if ((rc = ltl__write_key_format(&w, k)) || (rc = ltl__check_key_format(&c, &ck)))
        goto out;
    if ((rc = ltl__key_file_write(io, wkey_path, w.data, w.len, 0600)))
        goto out;
    if ((rc = ltl__key_file_write(io, ckey_path, c.data, c.len, 0644)))
        io->unlink(io, wkey_path); /* a write key without its check key is no use */
out:
    if (w.data)
        ltl__key_wipe(w.data, w.cap);
    ltl__buf_free(&w);
    ltl__buf_free(&c);
    return rc;
}

int ltl__read_key_write(ltl__io *io, const struct ltl__read_key *k, const char *path)
{
    ltl__buf t = {0};
    int rc = ltl__read_key_format(&t, k);
    if (rc == LTL_OK)
        rc = ltl__key_file_write(io, path, t.data, t.len, 0600);
    if (t.data)
        ltl__key_wipe(t.data, t.cap);
    ltl__buf_free(&t);
    return rc;
}

/* Read a key file into out (its one line, without the newline). A secret
 * key file must not be open to group or others. */
static int key_file_read(ltl__buf *out, ltl__io *io, const char *path, bool secret,
                         const char *what)
{
    int fd = io->open(io, path, O_RDONLY, 0);
    if (fd < 0) {
        if (errno == ENOENT)
            return ltl__errf(LTL_ENOTFOUND, "%s file %s does not exist", what, path);
        return ltl__err_sys(errno, "open %s file %s", what, path);
    }
    int rc = LTL_OK;
    struct stat st;
    if (io->fstat(io, fd, &st) < 0) {
        rc = ltl__err_sys(errno, "stat %s", path);
        goto out;
    }
    if (!S_ISREG(st.st_mode)) {
        rc = ltl__errf(LTL_EINVAL, "%s %s is not a regular file", what, path);
        goto out;
    }
    if (secret && (st.st_mode & (S_IRWXG | S_IRWXO))) {
        rc = ltl__errf(LTL_EPERM,
                       "%s %s has mode %04o: group or others may read it, and a %s must stay "
                       "secret; fix it with: chmod 600 %s",
                       what, path, (unsigned)(st.st_mode & 07777), what, path);
        goto out;
    }
    if (st.st_size > LTL__KEY_FILE_MAX) {
        rc = ltl__errf(LTL_EPARSE, "%s %s: %lld bytes, too long for a key", what, path,
                       (long long)st.st_size);
        goto out;
    }
    if ((rc = ltl__buf_reserve(out, (size_t)st.st_size + 1))) {
        rc = ltl__errf(LTL_ENOMEM, "out of memory");
        goto out;
    }
    ssize_t n = ltl__io_pread_full(io, fd, out->data, (size_t)st.st_size, 0);
    if (n < 0) {
        rc = ltl__err_sys(errno, "read %s", path);
        goto out;
    }
    out->len = (size_t)n;
    if (out->len && out->data[out->len - 1] == '\n')
        out->len--;
    out->data[out->len] = '\0';
out:
    io->close(io, fd);
    return rc;
}

static void wipe_buf(ltl__buf *b)
{
    if (b->data)
        ltl__key_wipe(b->data, b->cap);
    ltl__buf_free(b);
}

int ltl__write_key_load(struct ltl__write_key *out, ltl__io *io, const char *path)
{
    ltl__buf b = {0};
    memset(out, 0, sizeof(*out));
    int rc = key_file_read(&b, io, path, true, "write key");
    if (rc == LTL_OK && (rc = ltl__write_key_parse(out, b.data, b.len)))
        ltl__err_prefix("%s", path);
    wipe_buf(&b);
    return rc;
}

int ltl__check_key_load(struct ltl__check_key *out, ltl__io *io, const char *path)
{
    ltl__buf b = {0};
    memset(out, 0, sizeof(*out));
    int rc = key_file_read(&b, io, path, false, "check key");
    if (rc == LTL_OK && (rc = ltl__check_key_parse(out, b.data, b.len)))
        ltl__err_prefix("%s", path);
    ltl__buf_free(&b);
    return rc;
}

int ltl__read_key_load(struct ltl__read_key *out, ltl__io *io, const char *path)
{
    ltl__buf b = {0};
    memset(out, 0, sizeof(*out));
    int rc = key_file_read(&b, io, path, true, "read key");
    if (rc == LTL_OK && (rc = ltl__read_key_parse(out, b.data, b.len)))
        ltl__err_prefix("%s", path);
    wipe_buf(&b);
    return rc;
}
