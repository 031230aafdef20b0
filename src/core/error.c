/* SPDX-License-Identifier: MIT */
/*
 * error.c — return-code names and the per-thread error message that
 * ltl_errmsg() reads. A message belongs to the handle ("owner") whose call
 * failed, so a thread working on two stores never reads the wrong one, and
 * threads never see each other's messages.
 */
#include "core/core.h"

#include <errno.h>
#include <stdio.h>

struct err_state {
    const void *owner; /* handle the message belongs to (set at the API boundary) */
    bool pending;      /* a message was recorded during the current call */
    char msg[LTL__LOG_LINE_MAX];
};

static __thread struct err_state tls_err;

const char *ltl_strerror(int rc)
{
    switch (rc) {
    case LTL_OK:
        return "LTL_OK: success";
    case LTL_DONE:
        return "LTL_DONE: no more items";
    case LTL_EINVAL:
        return "LTL_EINVAL: invalid argument";
    case LTL_ENOMEM:
        return "LTL_ENOMEM: out of memory";
    case LTL_EIO:
        return "LTL_EIO: input/output error";
    case LTL_ENOSPC:
        return "LTL_ENOSPC: no space left on device";
    case LTL_EBUSY:
        return "LTL_EBUSY: store is locked by another writer";
    case LTL_ENOTFOUND:
        return "LTL_ENOTFOUND: not found";
    case LTL_ECORRUPT:
        return "LTL_ECORRUPT: store is corrupt";
    case LTL_ETOOBIG:
        return "LTL_ETOOBIG: too big";
    case LTL_EREADONLY:
        return "LTL_EREADONLY: store is open read-only";
    case LTL_EBROKEN:
        return "LTL_EBROKEN: an earlier write failed; reopen the store";
    case LTL_EEXIST:
        return "LTL_EEXIST: already exists";
    case LTL_EVERSION:
        return "LTL_EVERSION: unsupported format version";
    case LTL_EPARSE:
        return "LTL_EPARSE: malformed input";
    case LTL_EPERM:
        return "LTL_EPERM: permission denied";
    case LTL_ECONFIG:
        return "LTL_ECONFIG: bad configuration";
    case LTL_ETIMEOUT:
        return "LTL_ETIMEOUT: timed out";
    case LTL_EKEY:
        return "LTL_EKEY: wrong key or damaged ciphertext";
    case LTL_EVERIFY:
        return "LTL_EVERIFY: verification failed";
    default:
        return "unknown ltl return code";
    }
}

int ltl__rc_from_errno(int errnum)
{
    switch (errnum) {
    case ENOMEM:
        return LTL_ENOMEM;
    case ENOSPC:
    case EDQUOT:
    case EFBIG:
        return LTL_ENOSPC;
    case ENOENT:
    case ENOTDIR:
        return LTL_ENOTFOUND;
    case EACCES:
    case EPERM:
    case EROFS:
        return LTL_EPERM;
    case EEXIST:
    case ENOTEMPTY:
        return LTL_EEXIST;
    case EINVAL:
        return LTL_EINVAL;
    case EWOULDBLOCK:
        return LTL_EBUSY;
    default:
        return LTL_EIO;
    }
}

void ltl__err_begin(void)
{
    tls_err.pending = false;
}

int ltl__err_end(const void *owner, int rc)
{
    if (rc < 0) {
        if (!tls_err.pending)
            snprintf(tls_err.msg, sizeof(tls_err.msg), "%s", ltl_strerror(rc));
        tls_err.owner = owner;
    } else if (tls_err.owner == owner) {
        tls_err.msg[0] = '\0';
    }
    tls_err.pending = false;
    return rc;
}

static void err_vset(const char *fmt, va_list ap)
{
    if (tls_err.pending)
        return; /* the first message of a failure wins */
    vsnprintf(tls_err.msg, sizeof(tls_err.msg), fmt, ap);
    tls_err.pending = true;
}

int ltl__errf(int rc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    err_vset(fmt, ap);
    va_end(ap);
    return rc;
}

int ltl__err_sys(int errnum, const char *fmt, ...)
{
    char what[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    int rc = ltl__rc_from_errno(errnum);
    if (rc == LTL_EINVAL)
        rc = LTL_EIO; /* EINVAL from a syscall is not the caller's argument error */
    return ltl__errf(rc, "%s: %s (errno %d)", what, strerror(errnum), errnum);
}

void ltl__err_restate(void)
{
    tls_err.pending = false;
}

void ltl__err_prefix(const char *fmt, ...)
{
    if (!tls_err.pending)
        return;
    char prefix[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof(prefix), fmt, ap);
    va_end(ap);
    char tmp[sizeof(tls_err.msg)];
    if (snprintf(tmp, sizeof(tmp), "%s: %s", prefix, tls_err.msg) >= (int)sizeof(tmp))
        tmp[sizeof(tmp) - 1] = '\0'; /* cut: the message stays bounded */
    memcpy(tls_err.msg, tmp, sizeof(tmp));
}

const char *ltl__err_current(void)
{
    return tls_err.pending ? tls_err.msg : "";
}

const char *ltl__err_message(const void *owner)
{
    if (owner != NULL && tls_err.owner == owner)
        return tls_err.msg;
    return "";
}
