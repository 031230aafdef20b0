/* SPDX-License-Identifier: MIT */
/*
 * db.c — the store handle: creating a store, opening it as the one writer
 * (lock file, recovery, writer start) or as a reader, closing it, the
 * public append/sync/stat entry points and the error message.
 */
#include "index/index.h"
#include "json/json.h"
#include "store/store.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/random.h>
#include <unistd.h>

char *ltl__path_join(const char *a, const char *b)
{
    size_t la = strlen(a);
    while (la > 1 && a[la - 1] == '/')
        la--;
    return ltl__sprintf("%.*s/%s", (int)la, a, b);
}

void ltl_options_init(ltl_options *opts)
{
    if (opts)
        *opts = (ltl_options)LTL_OPTIONS_INIT;
}

const char *ltl_durability_name(int mode)
{
    static const char *const names[] = {"default", "forgetful", "casual", "safe", "paranoid"};
    return mode >= 0 && mode <= LTL_PARANOID ? names[mode] : "?";
}

const char *ltl_errmsg(const ltl_db *db)
{
    return ltl__err_message(db);
}

const char *ltl_db_path(const ltl_db *db)
{
    return db ? db->path : NULL;
}

/* ---- creation ------------------------------------------------------------ */

/* mkdir that accepts an existing directory. */
static int ensure_dir(ltl__io *io, const char *path)
{
    if (io->mkdir(io, path, 0755) == 0 || errno == EEXIST)
        return LTL_OK;
    return ltl__err_sys(errno, "create directory %s", path);
}

/* mkdir -p for the store's parent directories (the default store lives in
 * ~/.local/share/ltl/default, whose parents may not exist yet). */
static int ensure_dirs(ltl__io *io, const char *path)
{
    char *p = ltl__strdup(path);
    if (!p)
        return ltl__errf(LTL_ENOMEM, "out of memory");
    int rc = LTL_OK;
    for (char *s = p + 1; *s && rc == LTL_OK; s++) {
        if (*s != '/')
            continue;
        *s = '\0';
        rc = ensure_dir(io, p);
        *s = '/';
    }
    if (rc == LTL_OK)
        rc = ensure_dir(io, p);
    ltl__free(p);
    return rc;
}

/* Files a directory may hold before it becomes a store: its config, a lock, and
 * the log directory an interrupted creation left (checked on its own). */
static int check_empty(void *ctx, const char *name)
{
    bool *foreign = ctx;
    if (strcmp(name, "config") != 0 && strcmp(name, "lock") != 0 && strcmp(name, "log") != 0)
        *foreign = true;
    return 0;
}

struct log_files {
    size_t count;
    char first[64];
};

static int count_log_file(void *ctx, const char *name)
{
    struct log_files *f = ctx;
    if (f->count++ == 0 || strcmp(name, f->first) < 0)
        snprintf(f->first, sizeof(f->first), "%s", name);
    return 0;
}

/* A directory without an LTL file: may a store be made in it? LTL_OK when it
 * holds nothing but config, lock and an empty log/ (a creation that was cut
 * short writes log/ before LTL); LTL_ECORRUPT when log/ holds files: a store
 * whose LTL was lost, which a new LTL (with a new store id) would make
 * unreadable; LTL_EEXIST for any other file. Writes nothing. */
static int check_headerless(struct ltl_db *db)
{
    bool foreign = false;
    if (db->io->list_dir(db->io, db->path, check_empty, &foreign) < 0)
        return ltl__err_sys(errno, "list %s", db->path);
    struct log_files lf = {0, ""};
    if (db->io->list_dir(db->io, db->log_dir, count_log_file, &lf) < 0 && errno != ENOENT)
        return ltl__err_sys(errno, "list %s", db->log_dir);
    if (lf.count)
        return ltl__errf(LTL_ECORRUPT,
                         "%s has no %s file, but %s holds %zu file(s) (%s%s): a store whose "
                         "header was lost; no new store is made over its records (a new "
                         "store id would make them unreadable); ltl repair rebuilds the "
                         "header from the segment headers",
                         db->path, LTL__HEADER_FILE, db->log_dir, lf.count, lf.first,
                         lf.count > 1 ? ", ..." : "");
    if (foreign)
        return ltl__errf(LTL_EEXIST,
                         "%s is not empty and is not an ltl store; refusing to "
                         "create a store there",
                         db->path);
    return LTL_OK;
}

static int write_header(struct ltl_db *db)
{
    struct ltl__store_header h = {LTL__FORMAT_VERSION, LTL__HASH_SHA256, {0}, ltl_time_now()};
    if (getrandom(h.store_id, sizeof(h.store_id), 0) != (ssize_t)sizeof(h.store_id))
        return ltl__err_sys(errno, "getrandom");
    int rc = ltl__write_store_header(db, &h);
    if (rc == LTL_OK)
        ltl__log(&db->log, LTL_LOG_INFO, "created store %s", db->path);
    return rc;
}

int ltl__write_store_header(struct ltl_db *db, const struct ltl__store_header *hp)
{
    struct ltl__store_header h = *hp;
    unsigned char buf[LTL__HEADER_SIZE];
    ltl__header_encode(buf, &h);
    char *path = ltl__path_join(db->path, LTL__HEADER_FILE);
    char *tmp = path ? ltl__sprintf("%s.tmp", path) : NULL;
    int rc = LTL_OK, fd = -1;
    if (!tmp) {
        rc = ltl__errf(LTL_ENOMEM, "out of memory");
        goto out;
    }
    fd = db->io->open(db->io, tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) {
        rc = ltl__err_sys(errno, "create %s", tmp);
        goto out;
    }
    if (ltl__io_pwrite_full(db->io, fd, buf, sizeof(buf), 0) < 0 || db->io->fsync(db->io, fd) < 0) {
        rc = ltl__err_sys(errno, "write %s", tmp);
        goto out;
    }
    if (db->io->close(db->io, fd) < 0) {
        fd = -1;
        rc = ltl__err_sys(errno, "close %s", tmp);
        goto out;
    }
    fd = -1;
    if (db->io->rename(db->io, tmp, path) < 0) {
        rc = ltl__err_sys(errno, "rename %s", tmp);
        goto out;
    }
    if (ltl__io_fsync_dir(db->io, db->path) < 0) {
        rc = ltl__err_sys(errno, "fsync %s", db->path);
        goto out;
    }
    db->header = h;
out:
    if (fd >= 0)
        db->io->close(db->io, fd);
    ltl__free(tmp);
    ltl__free(path);
    return rc;
}

static int read_header(struct ltl_db *db, bool *missing)
{
    char *path = ltl__path_join(db->path, LTL__HEADER_FILE);
    if (!path)
        return ltl__errf(LTL_ENOMEM, "out of memory");
    int rc = LTL_OK;
    *missing = false;
    int fd = db->io->open(db->io, path, O_RDONLY, 0);
    if (fd < 0) {
        if (errno == ENOENT)
            *missing = true;
        else
            rc = ltl__err_sys(errno, "open %s", path);
        goto out;
    }
    unsigned char buf[LTL__HEADER_SIZE];
    ssize_t n = ltl__io_pread_full(db->io, fd, buf, sizeof(buf), 0);
    db->io->close(db->io, fd);
    if (n < 0)
        rc = ltl__err_sys(errno, "read %s", path);
    else if (n < (ssize_t)sizeof(buf))
        rc =
            ltl__errf(LTL_ECORRUPT, "%s is cut short (%zd of %d bytes)", path, n, LTL__HEADER_SIZE);
    else if ((rc = ltl__header_decode(&db->header, buf)))
        ltl__err_prefix("%s", path);
out:
    ltl__free(path);
    return rc;
}

/* ---- the writer lock ----------------------------------------------------- */

static int64_t lock_holder(struct ltl_db *db)
{
    char *path = ltl__path_join(db->path, "lock");
    if (!path)
        return 0;
    char buf[32] = "";
    int fd = db->io->open(db->io, path, O_RDONLY, 0);
    ltl__free(path);
    if (fd < 0)
        return 0;
    ssize_t n = ltl__io_pread_full(db->io, fd, buf, sizeof(buf) - 1, 0);
    db->io->close(db->io, fd);
    if (n <= 0)
        return 0;
    buf[n] = '\0';
    long long pid = atoll(buf);
    return pid > 0 ? (int64_t)pid : 0;
}

static int take_lock(struct ltl_db *db)
{
    char *path = ltl__path_join(db->path, "lock");
    if (!path)
        return ltl__errf(LTL_ENOMEM, "out of memory");
    int rc = LTL_OK;
    int fd = db->io->open(db->io, path, O_RDWR | O_CREAT, 0644);
    if (fd < 0) {
        rc = ltl__err_sys(errno, "open %s", path);
        goto out;
    }
    if (db->io->flock(db->io, fd, LOCK_EX | LOCK_NB) < 0) {
        int e = errno;
        db->io->close(db->io, fd);
        if (e == EWOULDBLOCK) {
            int64_t pid = lock_holder(db);
            if (pid)
                rc = ltl__errf(LTL_EBUSY, "store %s is in use by another writer (pid %lld)",
                               db->path, (long long)pid);
            else
                rc = ltl__errf(LTL_EBUSY, "store %s is in use by another writer", db->path);
        } else {
            rc = ltl__err_sys(e, "lock %s", path);
        }
        goto out;
    }
    char pid[32];
    int n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
    if (db->io->ftruncate(db->io, fd, 0) < 0 ||
        ltl__io_pwrite_full(db->io, fd, pid, (size_t)n, 0) < 0) {
        rc = ltl__err_sys(errno, "write %s", path);
        db->io->close(db->io, fd);
        goto out;
    }
    db->lock_fd = fd;
out:
    ltl__free(path);
    return rc;
}

static void release_lock(struct ltl_db *db)
{
    if (db->lock_fd < 0)
        return;
    /* an empty lock file says no writer; the lock itself goes with the descriptor */
    if (db->io->ftruncate(db->io, db->lock_fd, 0) < 0) {
        /* harmless: the pid is only shown to users */
    }
    db->io->close(db->io, db->lock_fd);
    db->lock_fd = -1;
}

/* ---- open / close -------------------------------------------------------- */

/* verify.on_open: check the store before the first append, and say so in _ltl. */
static int verify_on_open(struct ltl_db *db)
{
    ltl_verify_options vo;
    ltl_verify_options_init(&vo);
    vo.mode = db->cfg.verify_on_open == 2 ? LTL_VERIFY_FULL : LTL_VERIFY_TAIL;
    ltl_verify_report r;
    int rc = ltl__verify(&r, db, &vo);
    if (rc == LTL_ECORRUPT && r.index_checked && !r.index_ok) {
        /* only the field index: derived data, checked again by every reader that uses
         * it; the next writer rebuilds it (verify left the mark) */
        ltl__log(&db->log, LTL_LOG_WARN, "verify.on_open: %s: the next writer rebuilds it",
                 r.index_problem);
        ltl__err_restate();
        rc = LTL_OK;
    }
    if (rc != LTL_OK && rc != LTL_EVERIFY)
        return rc;
    ltl__buf json = {0};
    int jrc =
        ltl__buf_appendf(&json,
                         "{\"event\":\"verify\",\"mode\":\"%s\",\"ok\":%s,\"records\":%" PRIu64
                         ",\"from_seq\":%" PRIu64 ",\"checkpoints\":%" PRIu64 ",\"seconds\":%.3f",
                         vo.mode == LTL_VERIFY_FULL ? "full" : "tail", r.ok ? "true" : "false",
                         r.records, r.from_seq, r.checkpoints, r.seconds);
    if (!jrc && !r.ok)
        jrc = ltl__buf_append(&json, ",\"problem\":", 11) ||
              ltl__json_escape(&json, r.problem, strlen(r.problem));
    if (!jrc)
        jrc = ltl__buf_append(&json, "}", 1);
    int erc =
        jrc ? ltl__errf(LTL_ENOMEM, "out of memory") : ltl__writer_system_event(db, json.data);
    ltl__buf_free(&json);
    if (rc == LTL_EVERIFY) { /* the open fails, with what verify found */
        ltl__err_restate();
        return ltl__errf(LTL_EVERIFY, "verify.on_open: %s", r.problem);
    }
    return erc;
}

static int open_store(struct ltl_db *db, const ltl_options *opts)
{
    int rc;
    char flag_cfg[64] = "";
    if (opts->durability != LTL_DURABILITY_DEFAULT) {
        if (opts->durability < LTL_FORGETFUL || opts->durability > LTL_PARANOID)
            return ltl__errf(LTL_EINVAL, "unknown durability mode %d", opts->durability);
        snprintf(flag_cfg, sizeof(flag_cfg), "durability=%s",
                 ltl_durability_name(opts->durability));
    }
    if ((rc = ltl__config_load(&db->config, db->path, opts->config, flag_cfg[0] ? flag_cfg : NULL,
                               opts->flags)))
        return rc;
    if (!db->path && !(db->path = ltl__strdup(ltl__config_store_path(db->config))))
        return ltl__errf(LTL_ENOMEM, "out of memory");
    ltl__config_values(&db->cfg, db->config);
    db->log.level = opts->log_level > 0 ? opts->log_level : db->cfg.log_level;
    if (!(db->log_dir = ltl__path_join(db->path, "log")))
        return ltl__errf(LTL_ENOMEM, "out of memory");

    struct stat st;
    bool exists = db->io->stat(db->io, db->path, &st) == 0;
    if (exists && !S_ISDIR(st.st_mode))
        return ltl__errf(LTL_EEXIST, "%s exists and is not a directory", db->path);
    if (!exists && (!(db->flags & LTL_OPEN_CREATE) || !db->writable))
        return ltl__errf(LTL_ENOTFOUND, "no store at %s", db->path);
    if (!exists && (rc = ensure_dirs(db->io, db->path)))
        return rc;
    bool missing = false;
    bool repair = db->flags & LTL_OPEN_REPAIR, dry_run = repair && (db->flags & LTL_OPEN_DRY_RUN);
    /* a damaged or lost header is repair's to rebuild, under the lock */
    bool rebuild = false;
    if (exists && (rc = read_header(db, &missing))) {
        if (!(rc == LTL_ECORRUPT && repair && db->writable))
            return rc;
        ltl__err_restate();
    }
    if (missing) {
        /* before the lock file is written: a directory that cannot become a
         * store is left exactly as it was */
        rc = check_headerless(db);
        if (rc == LTL_EEXIST && !(db->flags & LTL_OPEN_CREATE && db->writable))
            return ltl__errf(LTL_ENOTFOUND, "no store at %s (no %s file)", db->path,
                             LTL__HEADER_FILE);
        if (rc == LTL_ECORRUPT && repair && db->writable) {
            ltl__err_restate();
            rc = LTL_OK;
        }
        if (rc)
            return rc;
    }
    /* (a reader has read the header; a writer reads it again under the lock) */
    if (db->writable && (rc = take_lock(db)))
        return rc;
    if (db->writable && (rc = read_header(db, &missing)) == LTL_ECORRUPT && repair)
        rebuild = true;
    else if (rc)
        return rc;
    if (missing && repair && db->writable && check_headerless(db) == LTL_ECORRUPT) {
        /* lost, with records: rebuilt from the segment headers */
        ltl__err_restate();
        (void)ltl__errf(LTL_ECORRUPT, "%s/%s is missing", db->path, LTL__HEADER_FILE);
        rebuild = true;
    }
    if (rebuild) {
        if ((rc = ltl__repair_store_header(db, dry_run)))
            return rc;
        missing = false;
    }
    if (rc)
        return rc;
    if (missing) {
        if (!(db->flags & LTL_OPEN_CREATE) || !db->writable)
            return ltl__errf(LTL_ENOTFOUND, "no store at %s (no %s file)", db->path,
                             LTL__HEADER_FILE);
        /* again under the lock: another process may have written since */
        if ((rc = check_headerless(db)) || (rc = ensure_dir(db->io, db->log_dir)) ||
            (rc = write_header(db)))
            return rc;
    }
    if ((rc = ltl__keys_load(db)))
        return rc;
    if ((rc = ltl__segs_load(db))) {
        if (rc == LTL_ENOTFOUND)
            rc = ltl__errf(LTL_ECORRUPT, "%s has no log directory", db->path);
        return rc;
    }
    if (!db->writable)
        return LTL_OK;
    if (repair && (rc = ltl__repair_log(db, dry_run)))
        return rc;
    if (repair) {
        char *cp_event = NULL;
        if ((rc = ltl__checkpoints_repair(db, dry_run, &cp_event)))
            return rc;
        if (cp_event) {
            char **ev = ltl__realloc(db->repair_events, (db->nrepair_events + 1) * sizeof(*ev));
            if (!ev) {
                ltl__free(cp_event);
                return ltl__errf(LTL_ENOMEM, "out of memory");
            }
            db->repair_events = ev;
            ev[db->nrepair_events++] = cp_event;
        }
    }
    if (dry_run) {
        /* nothing was changed: go on as a reader */
        db->writable = false;
        release_lock(db);
        return LTL_OK;
    }

    struct ltl__tail tail;
    char *event = NULL;
    ltl__buf note = {0};
    if ((rc = ltl__recover(db, &tail, &event)))
        return rc;
    /* before anything is written: a writer without the store's read key would
     * seal nothing (or under another key) */
    if ((rc = ltl__keys_check_writer(db, &tail))) {
        ltl__free(event);
        return rc;
    }
    if ((rc = ltl__tree_attach(db, tail.next_seq, &note)) == LTL_OK &&
        (rc = ltl__writer_start(db, &tail)) == LTL_OK && event)
        rc = ltl__writer_system_event(db, event);
    for (size_t i = 0; rc == LTL_OK && i < db->nrepair_events; i++)
        rc = ltl__writer_system_event(db, db->repair_events[i]);
    if (rc == LTL_OK)
        rc = ltl__indexer_start(db, tail.next_seq);
    if (rc == LTL_OK && repair && db->indexer) {
        /* the field index is derived data: a repair leaves none that disagrees with
         * the log (a damaged part no query has read yet is found only by reading it) */
        ltl_verify_report ir;
        memset(&ir, 0, sizeof(ir));
        rc = ltl__index_verify(db, &ir);
        if (rc == LTL_ECORRUPT) {
            /* the check left the index's damage mark: an indexer that starts on it
             * deletes the index and builds it anew from the log */
            ltl__err_restate();
            ltl__log(&db->log, LTL_LOG_WARN, "repair: the field index is %s; rebuilding it",
                     ir.index_problem);
            (void)ltl__indexer_stop(db, false);
            rc = ltl__indexer_start(db, tail.next_seq);
        }
    }
    if (rc == LTL_OK && note.len) {
        /* what the hash index needed, in ltl's own log too */
        ltl__buf json = {0};
        if (ltl__buf_appendf(&json, "{\"event\":\"hash-index\",\"note\":") == LTL_OK &&
            ltl__json_escape(&json, note.data, note.len) == LTL_OK &&
            ltl__buf_append(&json, "}", 1) == LTL_OK)
            rc = ltl__writer_system_event(db, json.data);
        ltl__log(&db->log, LTL_LOG_WARN, "%s", note.data);
        ltl__buf_free(&json);
    }
    ltl__buf_free(&note);
    ltl__free(event);
    if (rc == LTL_OK && db->cfg.verify_on_open)
        rc = verify_on_open(db);
    return rc;
}

int ltl__open_io(ltl_db **out, const char *path, const ltl_options *opts, ltl__io *io)
{
    ltl_options defaults = LTL_OPTIONS_INIT;
    if (!opts)
        opts = &defaults;
    if (!out)
        return LTL_EINVAL;
    struct ltl_db *db = ltl__calloc(1, sizeof(*db));
    *out = db;
    if (!db)
        return LTL_ENOMEM;
    db->io = io;
    db->lock_fd = -1;
    db->repair_first_lost = LTL__NO_SEQ;
    db->flags = opts->flags;
    db->writable = !(opts->flags & LTL_OPEN_READONLY);
    db->log = (ltl__logger){opts->log, opts->log_ctx,
                            opts->log_level > 0 ? opts->log_level : LTL_LOG_WARN};
    pthread_rwlock_init(&db->segs_lock, NULL);
    pthread_mutex_init(&db->manifest_mu, NULL);
    pthread_mutex_init(&db->tree_mu, NULL);
    pthread_mutex_init(&db->cp_mu, NULL);
    pthread_mutex_init(&db->index_mu, NULL);
    if (opts->version != LTL_OPTIONS_VERSION)
        return ltl__errf(LTL_EINVAL, "ltl_options.version is %u; this library knows %d",
                         opts->version, LTL_OPTIONS_VERSION);
    if (opts->flags & ~(unsigned)(LTL_OPEN_CREATE | LTL_OPEN_READONLY | LTL_OPEN_NO_ENV |
                                  LTL_OPEN_REPAIR | LTL_OPEN_DRY_RUN))
        return ltl__errf(LTL_EINVAL, "unknown open flags 0x%x", opts->flags);
    if (path && !path[0])
        return ltl__errf(LTL_EINVAL, "the store path is empty (NULL means the default store)");
    if (path && path[0] != '/') {
        /* messages and manifests name the store by its absolute path */
        char cwd[4096];
        if (!getcwd(cwd, sizeof(cwd)))
            return ltl__err_sys(errno, "getcwd");
        while (path[0] == '.' && path[1] == '/')
            path += 2;
        db->path = path[0] && strcmp(path, ".") != 0 ? ltl__path_join(cwd, path) : ltl__strdup(cwd);
    } else if (path) {
        db->path = ltl__strdup(path);
    }
    if (path && !db->path)
        return ltl__errf(LTL_ENOMEM, "out of memory");
    int rc = open_store(db, opts);
    if (rc && db->path)
        ltl__err_prefix("open %s", db->path);
    return rc;
}

int ltl_open(ltl_db **out, const char *path, const ltl_options *opts)
{
    ltl__err_begin();
    int rc = ltl__open_io(out, path, opts, ltl__io_real());
    return ltl__err_end(out ? *out : NULL, rc);
}

int ltl_close(ltl_db *db)
{
    if (!db)
        return LTL_OK;
    ltl__err_begin();
    int rc = LTL_OK;
    if (db->indexer) {
        /* make what was appended indexable, index it, then stop the writer */
        if (db->writer && ltl__writer_sync(db) == LTL_OK)
            rc = ltl__indexer_stop(db, true);
        else
            (void)ltl__indexer_stop(db, false);
        if (rc) { /* derived data: the store itself is fine, the close goes on */
            ltl__log(&db->log, LTL_LOG_WARN, "index: %s (the next writer catches up)",
                     ltl__err_current());
            ltl__err_restate(); /* a failure of the writer's own gets its message */
        }
    }
    rc = ltl__writer_stop(db);
    ltl__index_close(db->index);
    if (db->tree) /* a reader's view */
        (void)ltl__tree_close(db->tree);
    ltl__keys_wipe(db);
    release_lock(db);
    ltl__segs_free(db);
    ltl__manifests_free(db);
    for (size_t i = 0; i < db->nrepair_events; i++)
        ltl__free(db->repair_events[i]);
    ltl__free(db->repair_events);
    ltl__free(db->lost);
    ltl__config_free(db->config);
    pthread_rwlock_destroy(&db->segs_lock);
    pthread_mutex_destroy(&db->manifest_mu);
    pthread_mutex_destroy(&db->tree_mu);
    pthread_mutex_destroy(&db->cp_mu);
    ltl__buf_free(&db->cp_cache.text);
    pthread_mutex_destroy(&db->index_mu);
    ltl__free(db->log_dir);
    ltl__free(db->path);
    ltl__free(db);
    return ltl__err_end(NULL, rc);
}

/* ---- appending ------------------------------------------------------------- */

static int writable_check(ltl_db *db)
{
    if (!db->writer)
        return ltl__errf(db->writable ? LTL_EBROKEN : LTL_EREADONLY,
                         db->writable ? "the store did not open" : "the store is open read-only");
    return LTL_OK;
}

int ltl__append(uint64_t *out, ltl_db *db, const char *topic, const void *data, size_t len,
                unsigned int flags)
{
    ltl_msg m = {topic, data, len, flags};
    int rc = writable_check(db);
    if (rc == LTL_OK)
        rc = ltl__writer_append(db, &m, 1, out);
    return rc;
}

int ltl_append(uint64_t *out, ltl_db *db, const char *topic, const void *data, size_t len,
               unsigned int flags)
{
    if (!db)
        return LTL_EINVAL;
    ltl__err_begin();
    return ltl__err_end(db, ltl__append(out, db, topic, data, len, flags));
}

int ltl_append_batch(uint64_t *out, ltl_db *db, const ltl_msg *msgs, size_t count)
{
    if (!db || (!msgs && count))
        return LTL_EINVAL;
    ltl__err_begin();
    int rc = writable_check(db);
    if (rc == LTL_OK && count)
        rc = ltl__writer_append(db, msgs, count, out);
    return ltl__err_end(db, rc);
}

int ltl_sync(ltl_db *db)
{
    if (!db)
        return LTL_EINVAL;
    ltl__err_begin();
    int rc = writable_check(db);
    if (rc == LTL_OK)
        rc = ltl__writer_sync(db);
    return ltl__err_end(db, rc);
}

/* ---- stat ---------------------------------------------------------------- */

int ltl__stat(ltl_info *out, ltl_db *db)
{
    memset(out, 0, sizeof(*out));
    uint64_t end;
    int rc = ltl__log_end(db, &end);
    if (rc)
        return rc;
    out->records = end;
    out->durable_records = end;
    out->durability = db->cfg.durability;
    out->writable = db->writer != NULL;
    out->format = db->header.version;
    memcpy(out->store_id, db->header.store_id, 16);
    out->created = db->header.created;
    out->segment_size = db->cfg.segment_size;
    size_t n = ltl__segs_count(db);
    out->segments = n;
    for (size_t i = 0; i < n; i++) {
        struct ltl__segment *seg = ltl__segs_at(db, i);
        struct stat st;
        if (db->io->stat(db->io, seg->path, &st) == 0) {
            out->disk_bytes += (uint64_t)st.st_blocks * 512;
            if (i + 1 < n)
                out->log_bytes += (uint64_t)st.st_size;
        }
        if (i + 1 == n) {
            if ((rc = ltl__seg_scan(db, seg, LTL__NO_SEQ)))
                return rc;
            pthread_mutex_lock(&seg->mu);
            out->log_bytes += seg->scan_off;
            out->last_ts = seg->scan_seq > seg->base ? seg->last_ts : 0;
            pthread_mutex_unlock(&seg->mu);
        }
    }
    if (end > 0) {
        struct ltl__segment *first = ltl__segs_at(db, 0);
        if (first && (rc = ltl__seg_scan(db, first, 0)) == LTL_OK) {
            pthread_mutex_lock(&first->mu);
            out->first_ts = first->scan_seq > first->base ? first->first_ts : 0;
            pthread_mutex_unlock(&first->mu);
        }
        if (rc)
            return rc;
        if (out->last_ts == 0 && n >= 2) {
            /* the tail segment is empty: the last record is in the one before */
            struct ltl__segment *prev = ltl__segs_at(db, n - 2);
            if ((rc = ltl__seg_scan(db, prev, LTL__NO_SEQ)))
                return rc;
            out->last_ts = prev->last_ts;
        }
    }
    if ((rc = ltl__index_stat(db, out)))
        return rc;
    if (db->writer) {
        uint64_t next, durable, tail_end;
        ltl__writer_position(db, &next, &durable, &tail_end);
        out->durable_records = durable;
        out->writer_pid = (int64_t)getpid();
    } else {
        int64_t pid = lock_holder(db);
        if (pid && (kill((pid_t)pid, 0) == 0 || errno == EPERM))
            out->writer_pid = pid;
    }
    return LTL_OK;
}

int ltl_stat(ltl_info *out, ltl_db *db)
{
    if (!out || !db)
        return LTL_EINVAL;
    ltl__err_begin();
    return ltl__err_end(db, ltl__stat(out, db));
}
