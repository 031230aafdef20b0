/* SPDX-License-Identifier: MIT */
/*
 * testutil.h — helpers for unit and crash tests: temporary directories
 * removed at exit, file helpers, and a counting allocator that can fail
 * the Nth allocation.
 */
#ifndef LTL_TESTUTIL_H
#define LTL_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include <cmocka.h>

#include "ltl.h"

/* A fresh empty directory under $TMPDIR, removed (recursively) at exit. */
char *tu_tmpdir(void);
/* Remove a directory tree. */
void tu_rmtree(const char *path);
/* Read a whole file into a malloc'd buffer; NULL when missing. */
char *tu_read_file(const char *path, size_t *len);
/* Write a whole file. */
void tu_write_file(const char *path, const void *data, size_t len);
/* path joined: returns a malloc'd "a/b". */
char *tu_path(const char *a, const char *b);

/* Counting allocator for ltl_set_allocator(): the fail_at'th allocation
 * (1-based; 0 = never) fails, and with `persistent` every later one too.
 * tu_alloc_live() is the number of live allocations. */
void tu_alloc_install(long fail_at, bool persistent);
void tu_alloc_uninstall(void);
long tu_alloc_live(void);
long tu_alloc_count(void);

#endif
