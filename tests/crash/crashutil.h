/* SPDX-License-Identifier: MIT */
/*
 * crashutil.h — shared by the crash tests: open a store over a chosen I/O
 * table, snapshot a store's files, check that a store holds a valid
 * prefix of what was appended.
 */
#ifndef LTL_CRASHUTIL_H
#define LTL_CRASHUTIL_H

#include "testutil.h"

#include "io/io.h"
#include "store/store.h"

#include <dirent.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static inline ltl_db *cu_open(const char *dir, ltl__io *io, int mode, unsigned flags,
                              const char *config, int *rc_out)
{
    ltl_options opts = LTL_OPTIONS_INIT;
    opts.flags = flags | LTL_OPEN_NO_ENV;
    opts.durability = mode;
    opts.config = config;
    ltl_db *db = NULL;
    int rc = ltl__open_io(&db, dir, &opts, io);
    if (rc_out)
        *rc_out = rc;
    if (rc != LTL_OK) {
        if (!rc_out)
            fail_msg("open %s: %s: %s", dir, ltl_strerror(rc), ltl_errmsg(db));
        ltl_close(db);
        return NULL;
    }
    return db;
}

/* A store's files (but the lock) as one text blob of "name\n<bytes>": two
 * snapshots are equal when every file is. Caller frees. */
struct cu_snapshot {
    char *data;
    size_t len;
};

static inline void cu_snap_dir(struct cu_snapshot *s, const char *dir, const char *rel)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    char *names[4096];
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < 4096)
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") && strcmp(e->d_name, "lock"))
            names[n++] = strdup(e->d_name);
    closedir(d);
    for (int i = 0; i < n; i++) /* sorted: the order readdir gives is not stable */
        for (int j = i + 1; j < n; j++)
            if (strcmp(names[i], names[j]) > 0) {
                char *t = names[i];
                names[i] = names[j];
                names[j] = t;
            }
    for (int i = 0; i < n; i++) {
        char *path = tu_path(dir, names[i]);
        char relname[4096];
        snprintf(relname, sizeof(relname), "%s/%s", rel, names[i]);
        DIR *sub = opendir(path);
        if (sub) {
            closedir(sub);
            cu_snap_dir(s, path, relname);
        } else {
            size_t len;
            char *bytes = tu_read_file(path, &len);
            size_t nl = strlen(relname);
            s->data = realloc(s->data, s->len + nl + 1 + len);
            memcpy(s->data + s->len, relname, nl);
            s->data[s->len + nl] = '\n';
            memcpy(s->data + s->len + nl + 1, bytes, len);
            s->len += nl + 1 + len;
            free(bytes);
        }
        free(path);
        free(names[i]);
    }
}

static inline struct cu_snapshot cu_snapshot(const char *dir)
{
    struct cu_snapshot s = {NULL, 0};
    cu_snap_dir(&s, dir, ".");
    return s;
}

/* Copy a directory tree (cp -a). */
static inline void cu_copy_tree(const char *from, const char *to)
{
    char cmd[8400];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s' && cp -a '%s' '%s'", to, from, to);
    assert_int_equal(system(cmd), 0);
}

#endif
