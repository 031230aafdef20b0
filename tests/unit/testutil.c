/* SPDX-License-Identifier: MIT */
/* testutil.c — see testutil.h. */
#include "testutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char *tmpdirs[256];
static int ntmpdirs;

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

void tu_rmtree(const char *path)
{
    nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void cleanup(void)
{
    if (getenv("LTL_TEST_KEEP"))
        return;
    for (int i = 0; i < ntmpdirs; i++) {
        tu_rmtree(tmpdirs[i]);
        free(tmpdirs[i]);
    }
}

char *tu_tmpdir(void)
{
    const char *base = getenv("TMPDIR");
    char tmpl[4096];
    snprintf(tmpl, sizeof(tmpl), "%s/ltl-test-XXXXXX", base && *base ? base : "/tmp");
    char *dir = mkdtemp(tmpl);
    if (!dir) {
        fprintf(stderr, "mkdtemp: %s\n", strerror(errno));
        abort();
    }
    if (ntmpdirs == 0)
        atexit(cleanup);
    char *copy = strdup(dir);
    if (ntmpdirs < 256)
        tmpdirs[ntmpdirs++] = strdup(dir);
    return copy;
}

char *tu_path(const char *a, const char *b)
{
    char *p = malloc(strlen(a) + strlen(b) + 2);
    sprintf(p, "%s/%s", a, b);
    return p;
}

char *tu_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    size_t got = fread(buf, 1, (size_t)n, f);
    fclose(f);
    buf[got] = '\0';
    if (len)
        *len = got;
    return buf;
}

void tu_write_file(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

/* ---- counting allocator ---- */

static pthread_mutex_t alloc_mu = PTHREAD_MUTEX_INITIALIZER;
static long alloc_count, alloc_live, alloc_fail_at;
static bool alloc_persistent;

static bool should_fail(void)
{
    long n = ++alloc_count;
    return alloc_fail_at > 0 && (n == alloc_fail_at || (alloc_persistent && n > alloc_fail_at));
}

static void *t_malloc(void *ctx, size_t size)
{
    (void)ctx;
    pthread_mutex_lock(&alloc_mu);
    void *p = should_fail() ? NULL : malloc(size);
    if (p)
        alloc_live++;
    pthread_mutex_unlock(&alloc_mu);
    return p;
}

static void *t_realloc(void *ctx, void *ptr, size_t size)
{
    (void)ctx;
    pthread_mutex_lock(&alloc_mu);
    void *p = should_fail() ? NULL : realloc(ptr, size);
    if (p && !ptr)
        alloc_live++;
    pthread_mutex_unlock(&alloc_mu);
    return p;
}

static void t_free(void *ctx, void *ptr)
{
    (void)ctx;
    if (!ptr)
        return;
    pthread_mutex_lock(&alloc_mu);
    alloc_live--;
    pthread_mutex_unlock(&alloc_mu);
    free(ptr);
}

void tu_alloc_install(long fail_at, bool persistent)
{
    pthread_mutex_lock(&alloc_mu);
    alloc_count = 0;
    alloc_live = 0;
    alloc_fail_at = fail_at;
    alloc_persistent = persistent;
    pthread_mutex_unlock(&alloc_mu);
    ltl_allocator alc = {t_malloc, t_realloc, t_free, NULL};
    ltl_set_allocator(&alc);
}

void tu_alloc_uninstall(void)
{
    ltl_set_allocator(NULL);
}

long tu_alloc_live(void)
{
    pthread_mutex_lock(&alloc_mu);
    long n = alloc_live;
    pthread_mutex_unlock(&alloc_mu);
    return n;
}

long tu_alloc_count(void)
{
    pthread_mutex_lock(&alloc_mu);
    long n = alloc_count;
    pthread_mutex_unlock(&alloc_mu);
    return n;
}
