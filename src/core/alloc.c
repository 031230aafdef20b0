/* SPDX-License-Identifier: MIT */
/*
 * alloc.c — every allocation of the library goes through the hooks set
 * with ltl_set_allocator(), so a caller (or a test making the Nth
 * allocation fail) controls them all. Also the growable byte buffer.
 */
#include "core/core.h"

#include <stdio.h>
#include <stdlib.h>

static void *libc_malloc(void *ctx, size_t size)
{
    LTL__UNUSED(ctx);
    return malloc(size);
}

static void *libc_realloc(void *ctx, void *ptr, size_t size)
{
    LTL__UNUSED(ctx);
    return realloc(ptr, size);
}

static void libc_free(void *ctx, void *ptr)
{
    LTL__UNUSED(ctx);
    free(ptr);
}

static ltl_allocator hooks = {libc_malloc, libc_realloc, libc_free, NULL};

int ltl_set_allocator(const ltl_allocator *alc)
{
    if (alc == NULL) {
        hooks = (ltl_allocator){libc_malloc, libc_realloc, libc_free, NULL};
        return LTL_OK;
    }
    if (!alc->malloc_fn || !alc->realloc_fn || !alc->free_fn)
        return LTL_EINVAL;
    hooks = *alc;
    return LTL_OK;
}

void ltl_free(void *ptr)
{
    ltl__free(ptr);
}

void *ltl__malloc(size_t size)
{
    return hooks.malloc_fn(hooks.ctx, size ? size : 1);
}

void *ltl__calloc(size_t count, size_t size)
{
    if (size && count > SIZE_MAX / size)
        return NULL;
    void *p = ltl__malloc(count * size);
    if (p)
        memset(p, 0, count * size);
    return p;
}

void *ltl__realloc(void *ptr, size_t size)
{
    return hooks.realloc_fn(hooks.ctx, ptr, size ? size : 1);
}

void ltl__free(void *ptr)
{
    if (ptr)
        hooks.free_fn(hooks.ctx, ptr);
}

char *ltl__strndup(const char *s, size_t len)
{
    char *p = ltl__malloc(len + 1);
    if (p) {
        memcpy(p, s, len);
        p[len] = '\0';
    }
    return p;
}

char *ltl__strdup(const char *s)
{
    return ltl__strndup(s, strlen(s));
}

char *ltl__sprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return NULL;
    char *p = ltl__malloc((size_t)n + 1);
    if (!p)
        return NULL;
    va_start(ap, fmt);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return p;
}

int ltl__buf_reserve(ltl__buf *buf, size_t extra)
{
    if (extra <= buf->cap - buf->len)
        return LTL_OK;
    if (extra > SIZE_MAX / 2 - buf->len)
        return LTL_ENOMEM;
    size_t cap = buf->cap ? buf->cap : 64;
    while (cap - buf->len < extra)
        cap *= 2;
    char *p = ltl__realloc(buf->data, cap);
    if (!p)
        return LTL_ENOMEM;
    buf->data = p;
    buf->cap = cap;
    return LTL_OK;
}

int ltl__buf_append(ltl__buf *buf, const void *data, size_t len)
{
    int rc = ltl__buf_reserve(buf, len + 1);
    if (rc)
        return rc;
    memcpy(buf->data + buf->len, data, len);
    buf->len += len;
    buf->data[buf->len] = '\0';
    return LTL_OK;
}

int ltl__buf_appendf(ltl__buf *buf, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return LTL_EINVAL;
    int rc = ltl__buf_reserve(buf, (size_t)n + 1);
    if (rc)
        return rc;
    va_start(ap, fmt);
    vsnprintf(buf->data + buf->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    buf->len += (size_t)n;
    return LTL_OK;
}

void ltl__buf_free(ltl__buf *buf)
{
    ltl__free(buf->data);
    *buf = (ltl__buf){0};
}
