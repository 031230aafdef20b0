/* SPDX-License-Identifier: MIT */
/*
 * cmd_mount.c — `ltl mount DIR`: the namespace as a read-only file system,
 * through FUSE's low-level API (libfuse3). Inodes are paths: the kernel's
 * inode numbers map to namespace paths (an inode lives until the kernel
 * forgets it), and every operation resolves its path through the namespace
 * (cached frames make that a few hash lookups). Entries and attributes are
 * cached by the kernel for --entry-timeout / --attr-timeout seconds; a
 * watcher thread waits on the store (a cursor's inotify wait, no polling)
 * and, when records arrive, invalidates the inodes whose content follows
 * the store (listings, proofs), so new records show at once. Built only
 * when libfuse3 is found; otherwise the command says so (exit 14).
 */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char mount_usage[] =
    "usage: ltl mount [--entry-timeout S] [--attr-timeout S] [--debug] DIR\n"
    "\n"
    "Serve the namespace read-only at the directory DIR through FUSE until it is\n"
    "unmounted ('fusermount3 -u DIR') or interrupted (docs/NAMESPACE.md): files\n"
    "are records, values and transforms (cat DIR/seq/42.json/user/name),\n"
    "directories are listings (ls DIR/topics/app). Objects and arrays after\n"
    ".json are directories. New records show at once: a watcher invalidates\n"
    "what follows the store. Runs in the foreground; --bind joins other stores.\n"
    "\n"
    "  --entry-timeout S   seconds the kernel may cache a name (default 1)\n"
    "  --attr-timeout S    seconds the kernel may cache attributes (default 1)\n"
    "  --debug             FUSE's debug output on stderr\n"
    "\n"
    "Exit code 14 when this ltl was built without FUSE or FUSE cannot be used\n"
    "here (no /dev/fuse, no permission, mount refused).\n";

#ifndef LTL_HAVE_FUSE

static int mount_run(struct cli *cli, int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(mount_usage, stdout);
            return EXIT_OK;
        }
    }
    return cli_fail(cli, EXIT_NOFUSE,
                    "this ltl was built without FUSE: install libfuse3-dev (scripts/bootstrap "
                    "does) and rebuild");
}

#else

#define FUSE_USE_VERSION 34
#include <fuse_lowlevel.h>
#include <pthread.h>

struct inode {
    fuse_ino_t ino;
    char *path;
    uint64_t nlookup;
    bool changes; /* its content follows the store: invalidated on appends */
    struct inode *by_ino_next, *by_path_next;
};

#define BUCKETS       4096

struct mount {
    struct cli *cli;
    struct cli_ns n;
    struct fuse_session *se;
    pthread_mutex_t mu;
    struct inode *by_ino[BUCKETS], *by_path[BUCKETS];
    fuse_ino_t next_ino;
    double entry_timeout, attr_timeout;
    struct timespec started;
    volatile int stop;
};

static size_t hash_str(const char *s)
{
    size_t h = 1469598103934665603ULL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

static struct inode *ino_find(struct mount *m, fuse_ino_t ino)
{
    for (struct inode *i = m->by_ino[ino % BUCKETS]; i; i = i->by_ino_next)
        if (i->ino == ino)
            return i;
    return NULL;
}

/* The path of an inode, copied (the inode may go while we work). */
static char *ino_path(struct mount *m, fuse_ino_t ino)
{
    pthread_mutex_lock(&m->mu);
    struct inode *i = ino_find(m, ino);
    char *p = i ? strdup(i->path) : NULL;
    pthread_mutex_unlock(&m->mu);
    return p;
}

/* The inode of a path, made if needed, with one more lookup counted. */
static struct inode *ino_get(struct mount *m, const char *path, bool changes)
{
    size_t b = hash_str(path) % BUCKETS;
    pthread_mutex_lock(&m->mu);
    struct inode *i = m->by_path[b];
    while (i && strcmp(i->path, path) != 0)
        i = i->by_path_next;
    if (!i && (i = calloc(1, sizeof(*i))) != NULL) {
        if (!(i->path = strdup(path))) {
            free(i);
            i = NULL;
        } else {
            i->ino = m->next_ino++;
            i->by_path_next = m->by_path[b];
            m->by_path[b] = i;
            i->by_ino_next = m->by_ino[i->ino % BUCKETS];
            m->by_ino[i->ino % BUCKETS] = i;
        }
    }
    if (i) {
        i->nlookup++;
        i->changes = changes;
    }
    pthread_mutex_unlock(&m->mu);
    return i;
}

static void ino_forget(struct mount *m, fuse_ino_t ino, uint64_t n)
{
    if (ino == FUSE_ROOT_ID)
        return;
    pthread_mutex_lock(&m->mu);
    struct inode **pp = &m->by_ino[ino % BUCKETS];
    while (*pp && (*pp)->ino != ino)
        pp = &(*pp)->by_ino_next;
    struct inode *i = *pp;
    if (i)
        i->nlookup -= n < i->nlookup ? n : i->nlookup;
    if (i && i->nlookup == 0) {
        *pp = i->by_ino_next;
        struct inode **qp = &m->by_path[hash_str(i->path) % BUCKETS];
        while (*qp != i)
            qp = &(*qp)->by_path_next;
        *qp = i->by_path_next;
        free(i->path);
        free(i);
    }
    pthread_mutex_unlock(&m->mu);
}

static int errno_of(int rc)
{
    switch (rc) {
    case LTL_ENOTFOUND:
        return ENOENT;
    case LTL_EINVAL:
    case LTL_EPARSE:
        return EINVAL;
    case LTL_ETOOBIG:
        return ENAMETOOLONG;
    case LTL_ENOMEM:
        return ENOMEM;
    case LTL_EKEY:
    case LTL_EPERM:
        return EACCES;
    default:
        return EIO;
    }
}

static void fill_attr(struct mount *m, struct stat *st, fuse_ino_t ino, const ltl_ns_stat *ns)
{
    memset(st, 0, sizeof(*st));
    st->st_ino = ino;
    st->st_mode = ns->kind == LTL_NS_DIR ? S_IFDIR | 0555 : S_IFREG | 0444;
    st->st_nlink = ns->kind == LTL_NS_DIR ? 2 : 1;
    /* a directory's size is its number of entries when known (0 otherwise) */
    if (ns->kind == LTL_NS_DIR)
        st->st_size = (off_t)(ns->entries != UINT64_MAX ? ns->entries : 0);
    else
        st->st_size = (off_t)ns->size;
    st->st_uid = getuid();
    st->st_gid = getgid();
    st->st_blksize = 4096;
    st->st_blocks = (blkcnt_t)((st->st_size + 511) / 512);
    if (ns->seq != UINT64_MAX) {
        st->st_mtim.tv_sec = (time_t)(ns->mtime / 1000000000);
        st->st_mtim.tv_nsec = (long)(ns->mtime % 1000000000);
    } else {
        st->st_mtim = m->started;
    }
    st->st_atim = st->st_ctim = st->st_mtim;
}

/* Resolve a path and describe it. */
static int stat_path(struct mount *m, const char *path, ltl_ns_stat *out)
{
    ltl_ns_node *node = NULL;
    int rc = ltl_ns_lookup(&node, m->n.ns, path);
    if (rc == LTL_OK)
        rc = ltl_ns_node_stat(out, node);
    ltl_ns_node_release(node);
    return rc;
}

static char *child_path(const char *parent, const char *name)
{
    size_t pl = strlen(parent), nl = strlen(name);
    char *p = malloc(pl + nl + 2);
    if (!p)
        return NULL;
    memcpy(p, parent, pl);
    if (pl == 0 || p[pl - 1] != '/')
        p[pl++] = '/';
    memcpy(p + pl, name, nl + 1);
    return p;
}

static void op_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
    struct mount *m = fuse_req_userdata(req);
    char *dir = ino_path(m, parent), *path = dir ? child_path(dir, name) : NULL;
    free(dir);
    if (!path) {
        fuse_reply_err(req, dir ? ENOMEM : ESTALE);
        return;
    }
    ltl_ns_stat st;
    int rc = stat_path(m, path, &st);
    if (rc) {
        free(path);
        fuse_reply_err(req, errno_of(rc));
        return;
    }
    struct inode *i = ino_get(m, path, st.changes != 0);
    free(path);
    if (!i) {
        fuse_reply_err(req, ENOMEM);
        return;
    }
    struct fuse_entry_param e;
    memset(&e, 0, sizeof(e));
    e.ino = i->ino;
    e.generation = 1;
    e.entry_timeout = m->entry_timeout;
    e.attr_timeout = m->attr_timeout;
    fill_attr(m, &e.attr, i->ino, &st);
    if (fuse_reply_entry(req, &e) != 0)
        ino_forget(m, e.ino, 1); /* the kernel did not take it */
}

static void op_forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup)
{
    ino_forget(fuse_req_userdata(req), ino, nlookup);
    fuse_reply_none(req);
}

static void op_forget_multi(fuse_req_t req, size_t count, struct fuse_forget_data *forgets)
{
    struct mount *m = fuse_req_userdata(req);
    for (size_t i = 0; i < count; i++)
        ino_forget(m, forgets[i].ino, forgets[i].nlookup);
    fuse_reply_none(req);
}

static void op_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
    (void)fi;
    struct mount *m = fuse_req_userdata(req);
    char *path = ino_path(m, ino);
    if (!path) {
        fuse_reply_err(req, ESTALE);
        return;
    }
    ltl_ns_stat st;
    int rc = stat_path(m, path, &st);
    free(path);
    if (rc) {
        fuse_reply_err(req, errno_of(rc));
        return;
    }
    struct stat attr;
    fill_attr(m, &attr, ino, &st);
    fuse_reply_attr(req, &attr, m->attr_timeout);
}

/* What an open put in FUSE's file handle, a uint64_t. */
static void *fh_ptr(const struct fuse_file_info *fi)
{
    // NOLINTNEXTLINE(performance-no-int-to-ptr): the handle holds our pointer by design
    return (void *)(uintptr_t)fi->fh;
}

static void op_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
    struct mount *m = fuse_req_userdata(req);
    if ((fi->flags & O_ACCMODE) != O_RDONLY) {
        fuse_reply_err(req, EROFS);
        return;
    }
    char *path = ino_path(m, ino);
    if (!path) {
        fuse_reply_err(req, ESTALE);
        return;
    }
    ltl_ns_node *node = NULL;
    int rc = ltl_ns_lookup(&node, m->n.ns, path);
    free(path);
    if (rc) {
        fuse_reply_err(req, errno_of(rc));
        return;
    }
    ltl_ns_stat st;
    (void)ltl_ns_node_stat(&st, node);
    if (!st.has_data) {
        ltl_ns_node_release(node);
        fuse_reply_err(req, EISDIR);
        return;
    }
    /* the node keeps the content this open saw; fixed content may stay in the
     * page cache, changing content is read afresh by every open */
    fi->fh = (uint64_t)(uintptr_t)node;
    fi->keep_cache = !st.changes;
    fi->direct_io = st.changes != 0;
    if (fuse_reply_open(req, fi) != 0)
        ltl_ns_node_release(node);
}

static void op_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
                    struct fuse_file_info *fi)
{
    (void)ino;
    ltl_ns_node *node = fh_ptr(fi);
    const void *data;
    size_t len;
    int rc = ltl_ns_node_data(&data, &len, node);
    if (rc != LTL_OK) {
        /* a record sealed with a read key this mount lacks: permission, not a directory */
        fuse_reply_err(req, rc == LTL_EKEY ? EACCES : EISDIR);
        return;
    }
    if ((uint64_t)off >= len) {
        fuse_reply_buf(req, NULL, 0);
        return;
    }
    size_t n = len - (size_t)off < size ? len - (size_t)off : size;
    fuse_reply_buf(req, (const char *)data + off, n);
}

static void op_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
    (void)ino;
    ltl_ns_node_release(fh_ptr(fi));
    fuse_reply_err(req, 0);
}

/* A directory's entries, taken when it is opened. */
struct dir_snap {
    char **names;
    unsigned char *kinds;
    size_t n, cap;
};

/* The longest name every kernel's FUSE takes in a listing (FUSE_NAME_MAX of
 * Linux before 6.x); a longer one fails the whole listing with EIO there. */
#define NAME_MAX_FUSE 1024

/* Can a file system hold this name? The namespace lists the names that are not
 * path segments in an escaped form (~e, ~., ~..: docs/NAMESPACE.md), so only a
 * plugin module's listing, or a key longer than NAME_MAX_FUSE, fails this. */
static bool name_fits(const char *name)
{
    size_t len = strlen(name);
    return len > 0 && len <= NAME_MAX_FUSE && strcmp(name, ".") != 0 && strcmp(name, "..") != 0 &&
           !strchr(name, '/');
}

static int snap_add(void *ctx, const char *name, int kind)
{
    struct dir_snap *d = ctx;
    if (!name_fits(name))
        return 0; /* not listed (docs/NAMESPACE.md); ltl get and ltl ls show it */
    if (d->n == d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 64;
        char **names = realloc(d->names, cap * sizeof(*names));
        if (!names)
            return 1;
        d->names = names;
        unsigned char *kinds = realloc(d->kinds, cap);
        if (!kinds)
            return 1;
        d->kinds = kinds;
        d->cap = cap;
    }
    if (!(d->names[d->n] = strdup(name)))
        return 1;
    d->kinds[d->n++] = (unsigned char)kind;
    return 0;
}

static void snap_free(struct dir_snap *d)
{
    for (size_t i = 0; d && i < d->n; i++)
        free(d->names[i]);
    if (d) {
        free(d->names);
        free(d->kinds);
        free(d);
    }
}

static void op_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
    struct mount *m = fuse_req_userdata(req);
    char *path = ino_path(m, ino);
    if (!path) {
        fuse_reply_err(req, ESTALE);
        return;
    }
    struct dir_snap *d = calloc(1, sizeof(*d));
    if (!d) {
        free(path);
        fuse_reply_err(req, ENOMEM);
        return;
    }
    int rc = ltl_ns_list(m->n.ns, path, snap_add, d);
    free(path);
    if (rc) {
        snap_free(d);
        fuse_reply_err(req, rc == 1 ? ENOMEM : rc == LTL_EINVAL ? ENOTDIR : errno_of(rc));
        return;
    }
    fi->fh = (uint64_t)(uintptr_t)d;
    if (fuse_reply_open(req, fi) != 0)
        snap_free(d);
}

static void op_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
                       struct fuse_file_info *fi)
{
    (void)ino;
    struct dir_snap *d = fh_ptr(fi);
    char *buf = malloc(size);
    if (!buf) {
        fuse_reply_err(req, ENOMEM);
        return;
    }
    size_t used = 0;
    /* offsets: 1 and 2 are "." and "..", 3 + i the entry i */
    for (off_t o = off; o < (off_t)d->n + 2; o++) {
        struct stat st;
        memset(&st, 0, sizeof(st));
        const char *name;
        if (o < 2) {
            name = o == 0 ? "." : "..";
            st.st_mode = S_IFDIR;
        } else {
            name = d->names[o - 2];
            st.st_mode = d->kinds[o - 2] == LTL_NS_DIR ? S_IFDIR : S_IFREG;
        }
        st.st_ino = (ino_t)-1; /* unknown until looked up */
        size_t need = fuse_add_direntry(req, buf + used, size - used, name, &st, o + 1);
        if (need > size - used)
            break;
        used += need;
    }
    fuse_reply_buf(req, buf, used);
    free(buf);
}

static void op_releasedir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
    (void)ino;
    snap_free(fh_ptr(fi));
    fuse_reply_err(req, 0);
}

static const struct fuse_lowlevel_ops ops = {
    .lookup = op_lookup,
    .forget = op_forget,
    .forget_multi = op_forget_multi,
    .getattr = op_getattr,
    .open = op_open,
    .read = op_read,
    .release = op_release,
    .opendir = op_opendir,
    .readdir = op_readdir,
    .releasedir = op_releasedir,
};

/* Wait for records (inotify through a cursor at the end) and invalidate what
 * follows the store: the kernel then asks again. */
static void *watch(void *arg)
{
    struct mount *m = arg;
    ltl_info info;
    if (ltl_stat(&info, m->n.db) != LTL_OK)
        return NULL;
    ltl_cursor_options co = LTL_CURSOR_OPTIONS_INIT;
    co.flags = LTL_CURSOR_SYSTEM | LTL_CURSOR_ENVELOPE; /* seqs and topics: no read key needed */
    co.from_seq = info.records;
    ltl_cursor *cur = NULL;
    if (ltl_cursor_open(&cur, m->n.db, &co) != LTL_OK)
        return NULL;
    while (!m->stop) {
        int rc = ltl_cursor_wait(cur, 200);
        if (m->stop)
            break;
        if (rc != LTL_OK)
            continue;
        const ltl_record *rec;
        bool moved = false;
        while (ltl_cursor_next(&rec, cur) == LTL_OK)
            moved = true;
        if (!moved)
            continue;
        /* collect first: notifying may wait for the kernel, which may call us */
        size_t n = 0, cap = 64;
        fuse_ino_t *inos = malloc(cap * sizeof(*inos));
        pthread_mutex_lock(&m->mu);
        for (size_t b = 0; inos && b < BUCKETS; b++) {
            for (struct inode *i = m->by_ino[b]; i; i = i->by_ino_next) {
                if (!i->changes)
                    continue;
                if (n == cap) {
                    fuse_ino_t *more = realloc(inos, 2 * cap * sizeof(*inos));
                    if (!more)
                        break;
                    inos = more;
                    cap *= 2;
                }
                inos[n++] = i->ino;
            }
        }
        pthread_mutex_unlock(&m->mu);
        for (size_t k = 0; k < n && !m->stop; k++)
            (void)fuse_lowlevel_notify_inval_inode(m->se, inos[k], 0, 0);
        free(inos);
    }
    ltl_cursor_close(cur);
    return NULL;
}

static bool parse_seconds(struct cli *cli, const char *what, const char *text, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(text, &end);
    if (errno || *end || v < 0 || v > 86400) {
        cli_usage_error(cli, "%s: '%s' is not a number of seconds (0 to 86400)", what, text);
        return false;
    }
    *out = v;
    return true;
}

static int mount_run(struct cli *cli, int argc, char **argv)
{
    static const struct cli_opt opts[] = {{"entry-timeout", 0, true, 'e'},
                                          {"attr-timeout", 0, true, 'a'},
                                          {"debug", 0, false, 'd'},
                                          {NULL, 0, false, 0}};
    struct cli_args a = {argc, argv, 1, NULL, false};
    const char *arg, *dir = NULL;
    double entry_timeout = 1.0, attr_timeout = 1.0;
    bool debug = false;
    int id;
    while ((id = cli_next(cli, &a, opts, &arg)) != CLI_END) {
        if (id == CLI_ERROR)
            return EXIT_USAGE;
        if (id == CLI_HELP) {
            fputs(mount_usage, stdout);
            return EXIT_OK;
        }
        if (id == 'e' && !parse_seconds(cli, "--entry-timeout", arg, &entry_timeout))
            return EXIT_USAGE;
        if (id == 'a' && !parse_seconds(cli, "--attr-timeout", arg, &attr_timeout))
            return EXIT_USAGE;
        if (id == 'd')
            debug = true;
        if (id == CLI_POSITIONAL) {
            if (dir)
                return cli_usage_error(cli, "one directory only");
            dir = arg;
        }
    }
    if (!dir)
        return cli_usage_error(cli, "the directory to mount on is needed");
    struct stat dst;
    if (stat(dir, &dst) != 0 || !S_ISDIR(dst.st_mode))
        return cli_usage_error(cli, "%s: %s", dir,
                               errno == ENOENT ? "no such directory" : "not a directory");
    if (access("/dev/fuse", R_OK | W_OK) != 0)
        return cli_fail(cli, EXIT_NOFUSE,
                        "FUSE cannot be used here: /dev/fuse: %s (FUSE needs the fuse kernel "
                        "module and /dev/fuse; users other than root need fusermount3)",
                        strerror(errno));
    struct mount *m = calloc(1, sizeof(*m));
    if (!m)
        return cli_fail(cli, EXIT_FAILURE_, "out of memory");
    m->cli = cli;
    m->next_ino = FUSE_ROOT_ID + 1;
    m->entry_timeout = entry_timeout;
    m->attr_timeout = attr_timeout;
    clock_gettime(CLOCK_REALTIME, &m->started);
    pthread_mutex_init(&m->mu, NULL);
    int code = cli_ns_open(cli, &m->n);
    if (code) {
        free(m);
        return code;
    }
    struct inode *root = calloc(1, sizeof(*root));
    if (!root || !(root->path = strdup("/"))) {
        free(root);
        cli_ns_close(&m->n);
        free(m);
        return cli_fail(cli, EXIT_FAILURE_, "out of memory");
    }
    root->ino = FUSE_ROOT_ID;
    root->nlookup = 1;
    root->changes = true;
    m->by_ino[FUSE_ROOT_ID % BUCKETS] = root;
    m->by_path[hash_str("/") % BUCKETS] = root;

    char *fargv[] = {"ltl", "-o", "ro,default_permissions,fsname=ltl,subtype=ltl", "-d", NULL};
    struct fuse_args args = FUSE_ARGS_INIT(debug ? 4 : 3, fargv);
    m->se = fuse_session_new(&args, &ops, sizeof(ops), m);
    bool mounted = false;
    pthread_t watcher;
    bool watching = false;
    if (!m->se) {
        code = cli_fail(cli, EXIT_NOFUSE, "FUSE cannot be used here: fuse_session_new failed");
        goto out;
    }
    /* fuse's own handlers end the loop on SIGINT/SIGTERM/SIGHUP; it installs
     * them only over the default disposition */
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    signal(SIGHUP, SIG_DFL);
    if (fuse_set_signal_handlers(m->se) != 0) {
        code = cli_fail(cli, EXIT_FAILURE_, "cannot install signal handlers");
        goto out;
    }
    if (fuse_session_mount(m->se, dir) != 0) {
        code = cli_fail(cli, EXIT_NOFUSE,
                        "FUSE cannot be used here: mounting on %s was refused (see the fuse "
                        "message above)",
                        dir);
        goto out;
    }
    mounted = true;
    watching = pthread_create(&watcher, NULL, watch, m) == 0;
    cli_note(cli, "serving %s at %s (read-only); unmount with 'fusermount3 -u %s'",
             ltl_db_path(m->n.db), dir, dir);
    fflush(stderr);
    struct fuse_loop_config cfg = {.clone_fd = 0, .max_idle_threads = 4};
    int rc = fuse_session_loop_mt(m->se, &cfg);
    if (rc < 0)
        code = cli_fail(cli, EXIT_IO, "the FUSE session failed: %s", strerror(-rc));
out:
    m->stop = 1;
    if (watching)
        pthread_join(watcher, NULL);
    if (m->se) {
        if (mounted)
            fuse_session_unmount(m->se);
        fuse_remove_signal_handlers(m->se);
        fuse_session_destroy(m->se);
    }
    fuse_opt_free_args(&args);
    for (size_t b = 0; b < BUCKETS; b++) {
        for (struct inode *i = m->by_ino[b], *next; i; i = next) {
            next = i->by_ino_next;
            free(i->path);
            free(i);
        }
    }
    cli_ns_close(&m->n);
    pthread_mutex_destroy(&m->mu);
    free(m);
    return code;
}

#endif /* LTL_HAVE_FUSE */

const struct cli_command cmd_mount = {"mount", mount_run,
                                      "serve the namespace read-only through FUSE", mount_usage};
