/* SPDX-License-Identifier: MIT */
/*
 * append_bench.c — the append benchmark of issue 2 (run by bench/append/run).
 *
 * Appends 200-byte JSON messages through ltl in each durability mode, and
 * through its peers — SQLite in WAL mode (synchronous OFF/NORMAL/FULL), LMDB
 * (with and without MDB_NOSYNC) and a raw pwrite+fdatasync loop, the
 * physical limit — side by side: every round runs every measurement once,
 * so each round's ratios compare figures taken seconds apart, which
 * matters on a shared, noisy machine. It prints the median rate of the rounds, the median
 * of the per-round ratios, the targets of issue 2 and whether each is met.
 * It prints, it never asserts: the exit status is non-zero only when a
 * call failed.
 *
 * Each measurement opens a fresh store or database (untimed), appends from
 * 1 or 8 threads until a deadline, then closes it: rates are given both
 * excluding and including the close (which flushes and syncs what the mode
 * still holds), so nothing is hidden. Last, a ~1 GiB store is built by a
 * child process (this program re-executed with --writer) that is killed
 * with SIGKILL mid-stream; reopening it as a writer (recovery) is timed,
 * with the page cache warm and cold, and the child's peak RSS at 100 MiB and
 * at 1 GiB written shows whether writer memory stays flat.
 *
 *   append_bench [--seconds S] [--rounds N] [--store-mib M] [--only a,b] [--no-reopen]
 *                [--slice S] [--ltl-config k=v,...] DIR
 */
#include <ltl.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <limits.h>
#include <lmdb.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MSG_LEN      200
#define POOL         4096 /* distinct messages, cycled */
#define MAX_ROUNDS   15
#define MAX_THREADS  8
#define RAW_FILE     (64u << 20) /* as ltl's default segment.size */
#define SQLITE_BATCH 1000
#define MIB          (1024.0 * 1024.0)

static char g_msgs[POOL][MSG_LEN];
static const char g_topic[] = "app";
static double g_seconds = 1.5;
static int g_rounds = 3;
static const char *g_only;
static double g_slice = 0.1;     /* slice of the interleaved measurements (--slice) */
static const char *g_ltl_config; /* --ltl-config: options.config of every ltl store */
static char g_dir[PATH_MAX - 64];
static int g_failures;

/* ---- small helpers -------------------------------------------------------- */

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* User + system CPU time of this process, all threads. */
static double cpu_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
           (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1e-6;
}

/* The load average; above `busy`, a warning that others share the machine. */
static void print_loadavg(const char *when, double busy)
{
    char buf[128] = "?";
    FILE *f = fopen("/proc/loadavg", "r");
    if (f) {
        if (!fgets(buf, sizeof(buf), f))
            snprintf(buf, sizeof(buf), "?\n");
        fclose(f);
    }
    printf("load average %s: %s", when, buf);
    double load = atof(buf);
    if (load > busy)
        printf("  note: other work is running on this %ld-CPU machine: expect noisy figures\n",
               sysconf(_SC_NPROCESSORS_ONLN));
}

static int64_t wall_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Median of the finite values among v[0..n); NAN when there are none. */
static double median(const double *v, int n)
{
    double s[64];
    int k = 0;
    for (int i = 0; i < n && k < 64; i++)
        if (isfinite(v[i]))
            s[k++] = v[i];
    if (k == 0)
        return NAN;
    qsort(s, (size_t)k, sizeof(*s), cmp_double);
    return k % 2 ? s[k / 2] : (s[k / 2 - 1] + s[k / 2]) / 2;
}

/* "1,234,567" (rounded), or "error" for NAN. */
static const char *fmt_count(char *buf, size_t cap, double v)
{
    if (!isfinite(v)) {
        snprintf(buf, cap, "error");
        return buf;
    }
    char digits[32];
    snprintf(digits, sizeof(digits), "%.0f", v);
    size_t n = strlen(digits), o = 0;
    for (size_t i = 0; i < n && o + 2 < cap; i++) {
        if (i && (n - i) % 3 == 0)
            buf[o++] = ',';
        buf[o++] = digits[i];
    }
    buf[o] = '\0';
    return buf;
}

/* VmHWM and VmRSS of this process, in KiB (0 when unknown). */
static void memory_kib(long *hwm, long *rss)
{
    *hwm = *rss = 0;
    FILE *f = fopen("/proc/self/status", "r");
    if (!f)
        return;
    char line[256];
    while (fgets(line, sizeof(line), f)) {
        if (strncmp(line, "VmHWM:", 6) == 0)
            *hwm = atol(line + 6);
        else if (strncmp(line, "VmRSS:", 6) == 0)
            *rss = atol(line + 6);
    }
    fclose(f);
}

static int rm_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    (void)st;
    (void)ftw;
    if (type == FTW_DP)
        rmdir(path);
    else
        unlink(path);
    return 0;
}

static void rm_rf(const char *path)
{
    nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* Let writeback of earlier measurements finish, so it does not slow this one. */
static void settle(void)
{
    int fd = open(g_dir, O_RDONLY | O_DIRECTORY);
    if (fd >= 0) {
        syncfs(fd);
        close(fd);
    }
}

static bool selected(const char *key)
{
    if (!g_only)
        return true;
    size_t n = strlen(key);
    for (const char *p = g_only; *p;) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        /* "ltl" selects every ltl_* measurement */
        if (len <= n && strncmp(p, key, len) == 0 && (len == n || key[len] == '_'))
            return true;
        p += len + (end != NULL);
    }
    return false;
}

/* 200 bytes of JSON each, a little different from one another. */
static void make_messages(void)
{
    static const char text[] = "the quick brown fox jumps over the lazy dog ";
    for (int i = 0; i < POOL; i++) {
        char head[MSG_LEN];
        int n = snprintf(head, sizeof(head),
                         "{\"level\":\"info\",\"service\":\"checkout\",\"user\":\"u%06d\","
                         "\"event\":\"order.created\",\"order\":%d,\"amount\":%d.%02d,\"note\":\"",
                         (i * 7919) % 1000000, 100000 + i, i % 500, i % 100);
        memcpy(g_msgs[i], head, (size_t)n);
        for (int j = n; j < MSG_LEN - 2; j++)
            g_msgs[i][j] = text[(i + j) % (sizeof(text) - 1)];
        g_msgs[i][MSG_LEN - 2] = '"';
        g_msgs[i][MSG_LEN - 1] = '}';
    }
}

/* ---- the measurement framework ------------------------------------------ */

struct run;

struct worker {
    struct run *run;
    uint64_t i;            /* appends done */
    sqlite3 *conn;         /* per-thread state: a SQLite connection */
    sqlite3_stmt *stmt[3]; /* its prepared statements: insert, begin, commit */
    int index;
    int rc;      /* non-zero: failed (err says why) */
    bool full;   /* op said stop (a raw file is full) */
    bool in_txn; /* SQLite: a transaction is open */
    char err[512];
};

/* How to append through one system; every hook but op may be NULL. */
struct engine {
    int (*setup)(struct run *r);           /* untimed: create and open */
    int (*thread_setup)(struct worker *w); /* untimed, in the worker thread */
    int (*op)(struct worker *w);           /* timed: one append; > 0 stops early */
    int (*thread_close)(struct worker *w); /* timed as part of the close */
    int (*close)(struct run *r);           /* timed: the final close */
};

/* One measurement: an engine, a variant of it, a number of threads. */
struct kind {
    const char *key;   /* short name, for --only and the tables */
    const char *label; /* what the row shows */
    int threads;
    long param; /* durability mode, SQLite synchronous level, LMDB flags, raw variant */
    const struct engine *e;
};

struct run {
    const struct kind *k;
    char dir[PATH_MAX];
    void *ctx; /* ltl_db *, MDB_env *, or a raw fd in fd */
    unsigned int dbi;
    int fd;
    uint64_t raw_off;
    uint64_t raw_size;
    double deadline;
    pthread_barrier_t barrier;   /* workers and main: start (of the run, or of a slice) */
    pthread_barrier_t slice_end; /* interleaved runs: workers and main, end of a slice */
    bool stop;                   /* interleaved runs: no more slices */
    char err[512];
};

struct sample {
    double loop_s, close_s;
    double cpu_s; /* CPU time of this process (all threads) during the loop */
    uint64_t n;
    bool ok;
};

static int seterr(char *buf, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int seterr(char *buf, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, 512, fmt, ap);
    va_end(ap);
    return -1;
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    struct run *r = w->run;
    if (r->k->e->thread_setup)
        w->rc = r->k->e->thread_setup(w);
    pthread_barrier_wait(&r->barrier);
    if (w->rc)
        return NULL;
    const double deadline = r->deadline;
    for (;;) {
        /* the clock is read every 16 appends: slow modes overshoot by a few ms at most */
        if ((w->i & 15) == 0 && now_s() >= deadline)
            break;
        int rc = r->k->e->op(w);
        if (rc > 0)
            break;
        if (rc < 0) {
            w->rc = rc;
            break;
        }
        w->i++;
    }
    return NULL;
}

/* Create the measurement's directory and open what it appends to (untimed). */
static int run_open(struct run *r, const struct kind *k, int round)
{
    memset(r, 0, sizeof(*r));
    r->k = k;
    r->fd = -1;
    snprintf(r->dir, sizeof(r->dir), "%s/%s.%d", g_dir, k->key, round);
    rm_rf(r->dir);
    if (mkdir(r->dir, 0755) < 0) {
        fprintf(stderr, "append_bench: mkdir %s: %s\n", r->dir, strerror(errno));
        return -1;
    }
    if (k->e->setup && k->e->setup(r)) {
        fprintf(stderr, "append_bench: %s: setup: %s\n", k->key, r->err);
        return -1;
    }
    return 0;
}

/* Close the workers and the run (timed by the caller); false on a failure. */
static bool run_close(struct run *r, struct worker *w, int threads, uint64_t *n)
{
    const struct kind *k = r->k;
    bool ok = true;
    *n = 0;
    for (int t = 0; t < threads; t++) {
        if (k->e->thread_close && k->e->thread_close(&w[t]) && !w[t].rc)
            w[t].rc = -1;
        if (w[t].rc) {
            fprintf(stderr, "append_bench: %s thread %d: %s\n", k->key, t, w[t].err);
            ok = false;
        }
        *n += w[t].i;
    }
    if (k->e->close && k->e->close(r)) {
        fprintf(stderr, "append_bench: %s: close: %s\n", k->key, r->err);
        ok = false;
    }
    return ok;
}

static void run_remove(struct run *r)
{
    if (r->fd >= 0)
        close(r->fd);
    r->fd = -1;
    rm_rf(r->dir);
}

/* One measurement: setup, append from k->threads threads until the
 * deadline, close. Failures are printed and leave s->ok false. */
static void measure(const struct kind *k, int round, struct sample *s)
{
    struct run r;
    struct worker w[MAX_THREADS];
    pthread_t tid[MAX_THREADS];
    memset(w, 0, sizeof(w));
    memset(s, 0, sizeof(*s));
    settle();
    if (run_open(&r, k, round)) {
        g_failures++;
        run_remove(&r);
        return;
    }
    pthread_barrier_init(&r.barrier, NULL, (unsigned)k->threads + 1);
    r.deadline = now_s() + g_seconds + 0.005;
    for (int t = 0; t < k->threads; t++) {
        w[t].run = &r;
        w[t].index = t;
        if (pthread_create(&tid[t], NULL, worker_main, &w[t]) != 0) {
            /* the started threads wait at the barrier for ever: give up */
            fprintf(stderr, "append_bench: %s: pthread_create failed\n", k->key);
            abort();
        }
    }
    pthread_barrier_wait(&r.barrier);
    double t0 = now_s(), c0 = cpu_s();
    for (int t = 0; t < k->threads; t++)
        pthread_join(tid[t], NULL);
    double t1 = now_s();
    s->cpu_s = cpu_s() - c0;
    pthread_barrier_destroy(&r.barrier);
    bool ok = run_close(&r, w, k->threads, &s->n);
    s->loop_s = t1 - t0;
    s->close_s = now_s() - t1;
    s->ok = ok && s->n > 0;
    if (!s->ok)
        g_failures++;
    run_remove(&r);
}

/* A worker of an interleaved measurement: appends during the slices its run is given. */
static void *slice_worker_main(void *arg)
{
    struct worker *w = arg;
    struct run *r = w->run;
    if (r->k->e->thread_setup)
        w->rc = r->k->e->thread_setup(w);
    for (;;) {
        pthread_barrier_wait(&r->barrier);
        if (r->stop)
            return NULL;
        /* these appends take 100 us or more: read the clock after each */
        while (!w->rc && !w->full && now_s() < r->deadline) {
            int rc = r->k->e->op(w);
            if (rc > 0)
                w->full = true;
            else if (rc < 0)
                w->rc = rc;
            else
                w->i++;
        }
        pthread_barrier_wait(&r->slice_end);
    }
}

/*
 * The measurements kinds[0..n), each on its own open file, store or
 * database with its own threads, taking turns in slices of slice_s seconds
 * until each has appended for g_seconds: a disk that slows down for a few
 * seconds (the machine is shared) then slows them all alike, instead of
 * whichever ran at that moment. Closes are timed one by one at the end.
 */
static void measure_interleaved(const struct kind *const *kinds, int n, int round,
                                struct sample *const *out, double slice_s)
{
    enum { MAX_GROUP = 8 };
    static struct run r[MAX_GROUP];
    static struct worker w[MAX_GROUP][MAX_THREADS];
    pthread_t tid[MAX_GROUP][MAX_THREADS] = {{0}};
    bool opened[MAX_GROUP], live[MAX_GROUP];
    if (n > MAX_GROUP)
        n = MAX_GROUP;
    memset(w, 0, sizeof(w));
    settle();
    for (int j = 0; j < n; j++) {
        int threads = kinds[j]->threads;
        memset(out[j], 0, sizeof(*out[j]));
        opened[j] = live[j] = run_open(&r[j], kinds[j], round) == 0;
        if (!opened[j])
            continue;
        pthread_barrier_init(&r[j].barrier, NULL, (unsigned)threads + 1);
        pthread_barrier_init(&r[j].slice_end, NULL, (unsigned)threads + 1);
        for (int t = 0; t < threads; t++) {
            w[j][t].run = &r[j];
            w[j][t].index = t;
            if (pthread_create(&tid[j][t], NULL, slice_worker_main, &w[j][t]) != 0) {
                /* the started threads wait at the barrier for ever: give up */
                fprintf(stderr, "append_bench: %s: pthread_create failed\n", kinds[j]->key);
                abort();
            }
        }
    }
    int slices = (int)(g_seconds / slice_s + 0.5);
    for (int sl = 0; sl < slices; sl++) {
        for (int j = 0; j < n; j++) {
            if (!live[j])
                continue;
            double t0 = now_s(), c0 = cpu_s();
            r[j].deadline = t0 + slice_s;
            pthread_barrier_wait(&r[j].barrier);
            pthread_barrier_wait(&r[j].slice_end);
            out[j]->loop_s += now_s() - t0;
            out[j]->cpu_s += cpu_s() - c0;
            for (int t = 0; t < kinds[j]->threads; t++)
                if (w[j][t].rc || w[j][t].full)
                    live[j] = false;
        }
    }
    for (int j = 0; j < n; j++) {
        if (!opened[j]) {
            g_failures++;
            run_remove(&r[j]);
            continue;
        }
        r[j].stop = true;
        pthread_barrier_wait(&r[j].barrier);
        for (int t = 0; t < kinds[j]->threads; t++)
            pthread_join(tid[j][t], NULL);
        pthread_barrier_destroy(&r[j].barrier);
        pthread_barrier_destroy(&r[j].slice_end);
        double t1 = now_s();
        bool ok = run_close(&r[j], w[j], kinds[j]->threads, &out[j]->n);
        out[j]->close_s = now_s() - t1;
        out[j]->ok = ok && out[j]->n > 0;
        if (!out[j]->ok)
            g_failures++;
        run_remove(&r[j]);
    }
}

/* ---- raw pwrite + fdatasync --------------------------------------------- */

enum { RAW_FALLOCATE, RAW_GROW, RAW_ZEROED };

static int raw_setup(struct run *r)
{
    char path[PATH_MAX + 16];
    snprintf(path, sizeof(path), "%s/raw", r->dir);
    r->fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
    if (r->fd < 0)
        return seterr(r->err, "open %s: %s", path, strerror(errno));
    r->raw_size = UINT64_MAX;
    if (r->k->param == RAW_FALLOCATE) {
        int e = posix_fallocate(r->fd, 0, RAW_FILE);
        if (e)
            return seterr(r->err, "posix_fallocate: %s", strerror(e));
        r->raw_size = RAW_FILE;
    } else if (r->k->param == RAW_ZEROED) {
        static const char zeros[1 << 16];
        for (uint64_t off = 0; off < RAW_FILE; off += sizeof(zeros))
            if (pwrite(r->fd, zeros, sizeof(zeros), (off_t)off) != (ssize_t)sizeof(zeros))
                return seterr(r->err, "pwrite zeros: %s", strerror(errno));
        r->raw_size = RAW_FILE;
    }
    if (fsync(r->fd) < 0)
        return seterr(r->err, "fsync: %s", strerror(errno));
    int dfd = open(r->dir, O_RDONLY | O_DIRECTORY);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
    return 0;
}

static int raw_op(struct worker *w)
{
    struct run *r = w->run;
    if (r->raw_off + MSG_LEN > r->raw_size)
        return 1; /* the preallocated file is full (only on a very fast disk) */
    if (pwrite(r->fd, g_msgs[w->i % POOL], MSG_LEN, (off_t)r->raw_off) != MSG_LEN)
        return seterr(w->err, "pwrite: %s", strerror(errno));
    if (fdatasync(r->fd) < 0)
        return seterr(w->err, "fdatasync: %s", strerror(errno));
    r->raw_off += MSG_LEN;
    return 0;
}

static int raw_close(struct run *r)
{
    int rc = close(r->fd);
    r->fd = -1;
    return rc < 0 ? seterr(r->err, "close: %s", strerror(errno)) : 0;
}

/* ---- ltl ----------------------------------------------------------------- */

static int ltl_setup(struct run *r)
{
    char path[PATH_MAX + 16];
    snprintf(path, sizeof(path), "%s/store", r->dir);
    ltl_options opts = LTL_OPTIONS_INIT;
    opts.flags = LTL_OPEN_CREATE | LTL_OPEN_NO_ENV;
    opts.durability = (int)r->k->param;
    opts.config = g_ltl_config;
    ltl_db *db = NULL;
    int rc = ltl_open(&db, path, &opts);
    if (rc) {
        seterr(r->err, "ltl_open: %s: %s", ltl_strerror(rc), ltl_errmsg(db));
        ltl_close(db);
        return -1;
    }
    r->ctx = db;
    return 0;
}

static int ltl_op(struct worker *w)
{
    ltl_db *db = w->run->ctx;
    int rc = ltl_append(NULL, db, g_topic, g_msgs[w->i % POOL], MSG_LEN, 0);
    if (rc)
        return seterr(w->err, "ltl_append: %s: %s", ltl_strerror(rc), ltl_errmsg(db));
    return 0;
}

static int ltl_close_run(struct run *r)
{
    int rc = ltl_close(r->ctx);
    r->ctx = NULL;
    return rc ? seterr(r->err, "ltl_close: %s", ltl_strerror(rc)) : 0;
}

/* ---- SQLite -------------------------------------------------------------- */

enum { SQL_OFF_BATCH, SQL_NORMAL_ROW, SQL_FULL_ROW };
static const char *const sql_sync[] = {"OFF", "NORMAL", "FULL"};

static int sql_exec(sqlite3 *conn, const char *sql, char *err)
{
    char *msg = NULL;
    if (sqlite3_exec(conn, sql, NULL, NULL, &msg) != SQLITE_OK) {
        seterr(err, "%s: %s", sql, msg ? msg : sqlite3_errmsg(conn));
        sqlite3_free(msg);
        return -1;
    }
    return 0;
}

static int sql_open(sqlite3 **out, const char *dir, long level, char *err)
{
    char path[PATH_MAX + 16], pragma[64];
    snprintf(path, sizeof(path), "%s/log.db", dir);
    /* NOMUTEX: each connection belongs to one thread, so SQLite's own
     * locking is not needed; this makes the peer faster, not slower */
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
    if (sqlite3_open_v2(path, out, flags, NULL) != SQLITE_OK) {
        seterr(err, "sqlite3_open %s: %s", path, *out ? sqlite3_errmsg(*out) : "out of memory");
        return -1;
    }
    sqlite3_busy_timeout(*out, 10000);
    snprintf(pragma, sizeof(pragma), "PRAGMA synchronous=%s", sql_sync[level]);
    return sql_exec(*out, "PRAGMA journal_mode=WAL", err) || sql_exec(*out, pragma, err) ? -1 : 0;
}

static int sql_setup(struct run *r)
{
    sqlite3 *conn = NULL;
    int rc = sql_open(&conn, r->dir, r->k->param, r->err);
    if (rc == 0)
        rc = sql_exec(conn,
                      "CREATE TABLE log(seq INTEGER PRIMARY KEY, ts INTEGER, topic TEXT, "
                      "msg TEXT)",
                      r->err);
    sqlite3_close(conn);
    return rc;
}

static int sql_thread_setup(struct worker *w)
{
    sqlite3 *conn = NULL;
    int rc = sql_open(&conn, w->run->dir, w->run->k->param, w->err);
    w->conn = conn;
    if (rc)
        return rc;
    static const char *const sql[3] = {"INSERT INTO log(ts, topic, msg) VALUES(?, ?, ?)", "BEGIN",
                                       "COMMIT"};
    for (int i = 0; i < 3; i++)
        if (sqlite3_prepare_v2(conn, sql[i], -1, &w->stmt[i], NULL) != SQLITE_OK)
            return seterr(w->err, "prepare %s: %s", sql[i], sqlite3_errmsg(conn));
    return 0;
}

/* Step a statement to completion, waiting out SQLITE_BUSY (on top of busy_timeout). */
static int sql_step(struct worker *w, sqlite3_stmt *stmt)
{
    for (;;) {
        int rc = sqlite3_step(stmt);
        sqlite3_reset(stmt);
        if (rc == SQLITE_DONE)
            return 0;
        if (rc != SQLITE_BUSY && rc != SQLITE_LOCKED)
            return seterr(w->err, "%s: %s", sqlite3_sql(stmt), sqlite3_errmsg(w->conn));
    }
}

static int sql_op(struct worker *w)
{
    bool batch = w->run->k->param == SQL_OFF_BATCH;
    sqlite3_stmt *ins = w->stmt[0];
    if (batch && !w->in_txn) {
        if (sql_step(w, w->stmt[1]))
            return -1;
        w->in_txn = true;
    }
    sqlite3_bind_int64(ins, 1, wall_ns());
    sqlite3_bind_text(ins, 2, g_topic, sizeof(g_topic) - 1, SQLITE_STATIC);
    sqlite3_bind_text(ins, 3, g_msgs[w->i % POOL], MSG_LEN, SQLITE_STATIC);
    if (sql_step(w, ins))
        return -1;
    if (batch && (w->i + 1) % SQLITE_BATCH == 0) {
        if (sql_step(w, w->stmt[2]))
            return -1;
        w->in_txn = false;
    }
    return 0;
}

static int sql_thread_close(struct worker *w)
{
    int rc = 0;
    if (w->in_txn && w->rc == 0)
        rc = sql_step(w, w->stmt[2]);
    for (int i = 0; i < 3; i++)
        sqlite3_finalize(w->stmt[i]);
    /* the last connection's close checkpoints the WAL into the database */
    if (w->conn && sqlite3_close(w->conn) != SQLITE_OK && rc == 0)
        rc = seterr(w->err, "sqlite3_close: %s", sqlite3_errmsg(w->conn));
    w->conn = NULL;
    return rc;
}

/* ---- LMDB ---------------------------------------------------------------- */

static int lmdb_setup(struct run *r)
{
    MDB_env *env = NULL;
    MDB_txn *txn = NULL;
    int rc = mdb_env_create(&env);
    if (rc == 0)
        rc = mdb_env_set_mapsize(env, (size_t)16 << 30);
    if (rc == 0)
        rc = mdb_env_open(env, r->dir, (unsigned)r->k->param, 0644);
    if (rc == 0)
        rc = mdb_txn_begin(env, NULL, 0, &txn);
    if (rc == 0)
        rc = mdb_dbi_open(txn, NULL, MDB_INTEGERKEY, &r->dbi);
    if (rc == 0) {
        rc = mdb_txn_commit(txn);
        txn = NULL;
    }
    if (txn)
        mdb_txn_abort(txn);
    if (rc) {
        if (env)
            mdb_env_close(env);
        return seterr(r->err, "lmdb: %s", mdb_strerror(rc));
    }
    r->ctx = env;
    return 0;
}

/* One record per transaction: key = seq, value = ts, topic length, topic, message. */
static int lmdb_op(struct worker *w)
{
    struct run *r = w->run;
    uint64_t seq = w->i;
    unsigned char val[8 + 1 + sizeof(g_topic) - 1 + MSG_LEN];
    int64_t ts = wall_ns();
    memcpy(val, &ts, 8);
    val[8] = sizeof(g_topic) - 1;
    memcpy(val + 9, g_topic, sizeof(g_topic) - 1);
    memcpy(val + 9 + sizeof(g_topic) - 1, g_msgs[w->i % POOL], MSG_LEN);
    MDB_val k = {sizeof(seq), &seq}, v = {sizeof(val), val};
    MDB_txn *txn;
    int rc = mdb_txn_begin(r->ctx, NULL, 0, &txn);
    if (rc == 0) {
        rc = mdb_put(txn, r->dbi, &k, &v, MDB_APPEND);
        if (rc == 0)
            rc = mdb_txn_commit(txn);
        else
            mdb_txn_abort(txn);
    }
    return rc ? seterr(w->err, "lmdb: %s", mdb_strerror(rc)) : 0;
}

static int lmdb_close(struct run *r)
{
    int rc = 0;
    /* like ltl_close in casual mode, make everything durable before closing */
    if (r->k->param & MDB_NOSYNC)
        rc = mdb_env_sync(r->ctx, 1);
    mdb_env_close(r->ctx);
    r->ctx = NULL;
    return rc ? seterr(r->err, "mdb_env_sync: %s", mdb_strerror(rc)) : 0;
}

/* ---- the measurements ---------------------------------------------------- */

enum {
    K_RAW_FALLOC,
    K_RAW_GROW,
    K_RAW_ZEROED,
    K_LTL_FORGETFUL,
    K_LTL_CASUAL,
    K_LTL_SAFE,
    K_LTL_PARANOID,
    K_LTL_SAFE8,
    K_LTL_PARANOID8,
    K_SQL_OFF,
    K_SQL_NORMAL,
    K_SQL_FULL,
    K_SQL_FULL8,
    K_LMDB_SYNC,
    K_LMDB_NOSYNC,
    K_COUNT
};

static const struct engine raw_engine = {raw_setup, NULL, raw_op, NULL, raw_close};
static const struct engine ltl_engine = {ltl_setup, NULL, ltl_op, NULL, ltl_close_run};
static const struct engine sql_engine = {sql_setup, sql_thread_setup, sql_op, sql_thread_close,
                                         NULL};
static const struct engine lmdb_engine = {lmdb_setup, NULL, lmdb_op, NULL, lmdb_close};

static const struct kind g_kinds[K_COUNT] = {
    [K_RAW_FALLOC] = {"raw_fallocate", "raw pwrite+fdatasync, fallocated file", 1, RAW_FALLOCATE,
                      &raw_engine},
    [K_RAW_GROW] = {"raw_grow", "raw pwrite+fdatasync, growing file", 1, RAW_GROW, &raw_engine},
    [K_RAW_ZEROED] = {"raw_zeroed", "raw pwrite+fdatasync, zero-filled file", 1, RAW_ZEROED,
                      &raw_engine},
    [K_LTL_FORGETFUL] = {"ltl_forgetful", "ltl forgetful, 1 thread", 1, LTL_FORGETFUL, &ltl_engine},
    [K_LTL_CASUAL] = {"ltl_casual", "ltl casual, 1 thread", 1, LTL_CASUAL, &ltl_engine},
    [K_LTL_SAFE] = {"ltl_safe", "ltl safe, 1 thread", 1, LTL_SAFE, &ltl_engine},
    [K_LTL_PARANOID] = {"ltl_paranoid", "ltl paranoid, 1 thread", 1, LTL_PARANOID, &ltl_engine},
    [K_LTL_SAFE8] = {"ltl_safe8", "ltl safe, 8 threads", 8, LTL_SAFE, &ltl_engine},
    [K_LTL_PARANOID8] = {"ltl_paranoid8", "ltl paranoid, 8 threads", 8, LTL_PARANOID, &ltl_engine},
    [K_SQL_OFF] = {"sqlite_off", "SQLite WAL OFF, 1000 rows/commit", 1, SQL_OFF_BATCH, &sql_engine},
    [K_SQL_NORMAL] = {"sqlite_normal", "SQLite WAL NORMAL, commit per row", 1, SQL_NORMAL_ROW,
                      &sql_engine},
    [K_SQL_FULL] = {"sqlite_full", "SQLite WAL FULL, commit per row", 1, SQL_FULL_ROW, &sql_engine},
    [K_SQL_FULL8] = {"sqlite_full8", "SQLite WAL FULL, commit/row, 8 thr", 8, SQL_FULL_ROW,
                     &sql_engine},
    [K_LMDB_SYNC] = {"lmdb_sync", "LMDB put+commit, synced", 1, 0, &lmdb_engine},
    [K_LMDB_NOSYNC] = {"lmdb_nosync", "LMDB put+commit, MDB_NOSYNC", 1, MDB_NOSYNC, &lmdb_engine},
};

static struct sample g_samples[K_COUNT][MAX_ROUNDS];
static bool g_ran[K_COUNT];

static double rate_incl(const struct sample *s)
{
    return s->ok ? (double)s->n / (s->loop_s + s->close_s) : NAN;
}

static double rate_excl(const struct sample *s)
{
    return s->ok ? (double)s->n / s->loop_s : NAN;
}

/* Median over rounds of rate(k) (incl or excl close). */
static double med_rate(int k, bool incl)
{
    double v[MAX_ROUNDS];
    for (int r = 0; r < g_rounds; r++)
        v[r] = incl ? rate_incl(&g_samples[k][r]) : rate_excl(&g_samples[k][r]);
    return median(v, g_rounds);
}

/* The raw limit of round r: the better of the fallocated and growing files. */
static double raw_limit(int r, bool incl)
{
    double a =
        incl ? rate_incl(&g_samples[K_RAW_FALLOC][r]) : rate_excl(&g_samples[K_RAW_FALLOC][r]);
    double b = incl ? rate_incl(&g_samples[K_RAW_GROW][r]) : rate_excl(&g_samples[K_RAW_GROW][r]);
    if (!isfinite(a))
        return b;
    if (!isfinite(b))
        return a;
    return a > b ? a : b;
}

#define K_RAW_LIMIT (-1) /* pseudo-measurement: max(raw fallocate, raw grow) per round */

static double round_rate(int k, int r, bool incl)
{
    if (k == K_RAW_LIMIT)
        return raw_limit(r, incl);
    return incl ? rate_incl(&g_samples[k][r]) : rate_excl(&g_samples[k][r]);
}

static bool ran(int k)
{
    return k == K_RAW_LIMIT ? g_ran[K_RAW_FALLOC] || g_ran[K_RAW_GROW] : g_ran[k];
}

/* Sequential write bandwidth: 512 MiB in 1 MiB pwrites, then fdatasync. */
static double disk_mib_s(void)
{
    char path[PATH_MAX];
    snprintf(path, sizeof(path), "%s/bandwidth", g_dir);
    settle();
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
    if (fd < 0)
        return NAN;
    static char chunk[1 << 20];
    memset(chunk, 'x', sizeof(chunk));
    double t0 = now_s();
    bool ok = true;
    for (int i = 0; i < 512 && ok; i++)
        ok = pwrite(fd, chunk, sizeof(chunk), (off_t)i << 20) == (ssize_t)sizeof(chunk);
    ok = ok && fdatasync(fd) == 0;
    double t = now_s() - t0;
    close(fd);
    unlink(path);
    return ok ? 512.0 / t : NAN;
}

/* Bytes one of our appends takes in the log (frame with envelope), measured. */
static double frame_bytes(void)
{
    char path[PATH_MAX];
    snprintf(path, sizeof(path), "%s/frame-size", g_dir);
    rm_rf(path);
    ltl_options opts = LTL_OPTIONS_INIT;
    opts.flags = LTL_OPEN_CREATE | LTL_OPEN_NO_ENV;
    ltl_db *db = NULL;
    ltl_info a, b;
    double bytes = NAN;
    /* the first append also writes the manifest: count from the second on */
    if (ltl_open(&db, path, &opts) == LTL_OK &&
        ltl_append(NULL, db, g_topic, g_msgs[0], MSG_LEN, 0) == LTL_OK &&
        ltl_stat(&a, db) == LTL_OK) {
        int rc = LTL_OK;
        for (int i = 1; i <= 1000 && rc == LTL_OK; i++)
            rc = ltl_append(NULL, db, g_topic, g_msgs[i], MSG_LEN, 0);
        if (rc == LTL_OK && ltl_stat(&b, db) == LTL_OK && b.records == a.records + 1000)
            bytes = (double)(b.log_bytes - a.log_bytes) / 1000;
    }
    ltl_close(db);
    rm_rf(path);
    return bytes;
}

/* ---- the reopen-after-kill measurement --------------------------------- */

/* Bytes this process has written with write(2)/pwrite(2) (/proc/self/io
 * wchar): the log, plus a few bytes of durable-point marker and of our
 * reports. Read from outside ltl so that measuring does not change what is
 * measured (ltl_stat would build reader-side indexes in the writer). */
static uint64_t bytes_written(void)
{
    uint64_t wchar = 0;
    FILE *f = fopen("/proc/self/io", "r");
    if (!f)
        return 0;
    char line[128];
    while (fgets(line, sizeof(line), f))
        if (strncmp(line, "wchar:", 6) == 0)
            wchar = strtoull(line + 6, NULL, 10);
    fclose(f);
    return wchar;
}

/* The child: append to STORE in casual mode, reporting the bytes written and
 * this process's memory on fd, until it is killed. */
static int writer_child(const char *store, uint64_t target, int fd, int mode)
{
    FILE *out = fdopen(fd, "w");
    if (!out)
        return 1;
    setvbuf(out, NULL, _IOLBF, 0);
    ltl_options opts = LTL_OPTIONS_INIT;
    opts.flags = LTL_OPEN_CREATE | LTL_OPEN_NO_ENV;
    opts.durability = mode;
    ltl_db *db = NULL;
    int rc = ltl_open(&db, store, &opts);
    if (rc) {
        fprintf(out, "error ltl_open: %s: %s\n", ltl_strerror(rc), ltl_errmsg(db));
        return 1;
    }
    long hwm, rss;
    memory_kib(&hwm, &rss);
    fprintf(out, "mark 0 0 0 %ld %ld 0\n", hwm, rss);
    const uint64_t marks[] = {100ull << 20, 512ull << 20, target};
    size_t next_mark = 0;
    double t0 = now_s();
    uint64_t stop_at = UINT64_MAX;
    for (uint64_t i = 0; i < stop_at; i++) {
        rc = ltl_append(NULL, db, g_topic, g_msgs[i % POOL], MSG_LEN, 0);
        if (rc) {
            fprintf(out, "error ltl_append: %s: %s\n", ltl_strerror(rc), ltl_errmsg(db));
            return 1;
        }
        if ((i & 0xffff) != 0 || next_mark == sizeof(marks) / sizeof(marks[0]))
            continue;
        uint64_t written = bytes_written();
        if (written < marks[next_mark])
            continue;
        memory_kib(&hwm, &rss);
        fprintf(out, "mark %" PRIu64 " %" PRIu64 " %" PRIu64 " %ld %ld %.3f\n", marks[next_mark],
                written, i + 1, hwm, rss, now_s() - t0);
        if (++next_mark == sizeof(marks) / sizeof(marks[0])) {
            fprintf(out, "ready\n");
            /* go on until killed, but never write more than another 1/4 of the target
             * (the parent kills this process 150 ms from now) */
            stop_at = i + 1 + target / 4 / MSG_LEN;
        }
    }
    for (;;)
        pause();
}

struct mark {
    uint64_t bytes;   /* the mark: bytes of log written */
    uint64_t written; /* bytes written to the OS when it was passed */
    uint64_t records; /* appends done */
    long hwm, rss;    /* KiB */
    double t;         /* seconds since the open */
};

/* Drop the store's pages from the page cache (synced first: only clean pages go). */
static int evict_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    (void)st;
    (void)ftw;
    if (type != FTW_F)
        return 0;
    int fd = open(path, O_RDONLY);
    if (fd >= 0) {
        fdatasync(fd);
        posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
        close(fd);
    }
    return 0;
}

/* Open the store as a writer (recovery runs) and close it; seconds, or NAN. */
static double timed_reopen(const char *store, double *open_s)
{
    ltl_options opts = LTL_OPTIONS_INIT;
    opts.flags = LTL_OPEN_NO_ENV;
    ltl_db *db = NULL;
    double t0 = now_s();
    int rc = ltl_open(&db, store, &opts);
    double t1 = now_s();
    if (rc) {
        fprintf(stderr, "append_bench: reopen: ltl_open: %s: %s\n", ltl_strerror(rc),
                ltl_errmsg(db));
        ltl_close(db);
        g_failures++;
        return NAN;
    }
    rc = ltl_close(db);
    double t2 = now_s();
    if (rc) {
        fprintf(stderr, "append_bench: reopen: ltl_close: %s\n", ltl_strerror(rc));
        g_failures++;
        return NAN;
    }
    if (open_s)
        *open_s = t1 - t0;
    return t2 - t1 + (t1 - t0);
}

/* What the last recovery recorded in the system topic, and the store's size. */
static void describe_store(const char *store, uint64_t *records, uint64_t *log_bytes,
                           uint64_t *segments, char *event, size_t event_cap)
{
    ltl_options opts = LTL_OPTIONS_INIT;
    opts.flags = LTL_OPEN_NO_ENV | LTL_OPEN_READONLY;
    ltl_db *db = NULL;
    ltl_cursor *cur = NULL;
    snprintf(event, event_cap, "nothing (the kill left no torn frame)");
    *records = *log_bytes = *segments = 0;
    int rc = ltl_open(&db, store, &opts);
    ltl_info info;
    if (rc == LTL_OK && (rc = ltl_stat(&info, db)) == LTL_OK) {
        *records = info.records;
        *log_bytes = info.log_bytes;
        *segments = info.segments;
    }
    ltl_cursor_options co = LTL_CURSOR_OPTIONS_INIT;
    co.flags = LTL_CURSOR_REVERSE | LTL_CURSOR_SYSTEM;
    co.topic = LTL_SYSTEM_TOPIC;
    if (rc == LTL_OK)
        rc = ltl_cursor_open(&cur, db, &co);
    const ltl_record *rec;
    while (rc == LTL_OK && (rc = ltl_cursor_next(&rec, cur)) == LTL_OK) {
        if (rec->kind == LTL_KIND_SYSTEM) {
            snprintf(event, event_cap, "seq %" PRIu64 ": %.*s", rec->seq, (int)rec->len,
                     (const char *)rec->data);
            break;
        }
    }
    if (rc < 0) {
        fprintf(stderr, "append_bench: reading the reopened store: %s: %s\n", ltl_strerror(rc),
                ltl_errmsg(db));
        g_failures++;
    }
    ltl_cursor_close(cur);
    ltl_close(db);
}

static void reopen_bench(uint64_t target)
{
    char store[PATH_MAX];
    snprintf(store, sizeof(store), "%s/reopen-store", g_dir);
    rm_rf(store);
    settle();
    int pfd[2];
    if (pipe(pfd) < 0) {
        perror("append_bench: pipe");
        g_failures++;
        return;
    }
    pid_t parent = getpid(), pid = fork();
    if (pid == 0) {
        /* never outlive the benchmark */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
            _exit(127);
        close(pfd[0]);
        char target_s[32], fd_s[16], mode_s[16];
        snprintf(target_s, sizeof(target_s), "%" PRIu64, target);
        snprintf(fd_s, sizeof(fd_s), "%d", pfd[1]);
        snprintf(mode_s, sizeof(mode_s), "%d", LTL_CASUAL);
        execl("/proc/self/exe", "append_bench", "--writer", store, target_s, fd_s, mode_s,
              (char *)NULL);
        _exit(127);
    }
    close(pfd[1]);
    if (pid < 0) {
        perror("append_bench: fork");
        close(pfd[0]);
        g_failures++;
        return;
    }
    struct mark marks[4];
    int nmarks = 0;
    bool ready = false, eof = false;
    char buf[4096];
    size_t have = 0;
    double give_up = now_s() + 240;
    while (!ready && !eof && now_s() < give_up) {
        char *nl = memchr(buf, '\n', have);
        if (!nl) {
            struct pollfd p = {pfd[0], POLLIN, 0};
            if (poll(&p, 1, 1000) <= 0)
                continue;
            ssize_t n = read(pfd[0], buf + have, sizeof(buf) - 1 - have);
            if (n <= 0)
                eof = true;
            else
                have += (size_t)n;
            if (have == sizeof(buf) - 1)
                have = 0; /* a line this long is not ours */
            continue;
        }
        char line[sizeof(buf)];
        size_t len = (size_t)(nl - buf) + 1;
        memcpy(line, buf, len);
        line[len] = '\0';
        memmove(buf, buf + len, have - len);
        have -= len;
        if (strncmp(line, "mark ", 5) == 0 && nmarks < 4) {
            struct mark *m = &marks[nmarks];
            if (sscanf(line + 5, "%" SCNu64 " %" SCNu64 " %" SCNu64 " %ld %ld %lf", &m->bytes,
                       &m->written, &m->records, &m->hwm, &m->rss, &m->t) == 6)
                nmarks++;
        } else if (strncmp(line, "ready", 5) == 0) {
            ready = true;
        } else {
            fprintf(stderr, "append_bench: writer: %s", line);
        }
    }
    /* keep appending a moment, so the kill lands mid-stream */
    usleep(150 * 1000);
    kill(pid, SIGKILL);
    int status;
    waitpid(pid, &status, 0);
    close(pfd[0]);
    if (!ready) {
        fprintf(stderr, "append_bench: the writer child did not reach %" PRIu64 " bytes\n", target);
        g_failures++;
        rm_rf(store);
        return;
    }

    /* the first open after the kill recovers the torn tail */
    double first_open = NAN, first = timed_reopen(store, &first_open);
    uint64_t records, log_bytes, segments;
    char event[600];
    describe_store(store, &records, &log_bytes, &segments, event, sizeof(event));
    double warm[7], warm_open[7], cold[5], cold_open[5];
    for (int i = 0; i < 7; i++)
        warm[i] = timed_reopen(store, &warm_open[i]);
    for (int i = 0; i < 5; i++) {
        nftw(store, evict_entry, 16, FTW_PHYS);
        cold[i] = timed_reopen(store, &cold_open[i]);
    }

    char a[32], b[32];
    printf("\nReopen after kill -9 (a writer in casual mode, default segment.size, killed "
           "mid-stream)\n");
    printf("  store: %s records, %.1f MiB of frames in %" PRIu64 " segments (%.1f bytes/record)\n",
           fmt_count(a, sizeof(a), (double)records), (double)log_bytes / MIB, segments,
           records ? (double)log_bytes / (double)records : 0.0);
    if (nmarks >= 2) {
        struct mark *last = &marks[nmarks - 1];
        printf("  built at %s appends/s (ltl_append, casual, 1 thread, to the last mark)\n",
               fmt_count(b, sizeof(b), (double)last->records / last->t));
    }
    printf("  what the first reopen recovered (topic _ltl): %s\n", event);
    printf("  %-44s %9s %9s   %-8s %s\n", "reopen (ltl_open as writer + ltl_close)", "total s",
           "open s", "target", "result");
    struct {
        const char *label;
        double total, open;
    } rows[] = {
        {"first open after the kill (recovery)", first, first_open},
        {"warm page cache, median of 7", median(warm, 7), median(warm_open, 7)},
        {"cold (store's pages evicted), median of 5", median(cold, 5), median(cold_open, 5)},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
        printf("  %-44s %9.3f %9.3f   <= 0.5 s  %s\n", rows[i].label, rows[i].total, rows[i].open,
               !isfinite(rows[i].total) ? "error"
               : rows[i].total <= 0.5   ? "met"
                                        : "not met");

    printf("\nWriter memory while the store grows (the child's VmHWM = peak RSS, VmRSS = now)\n");
    printf("  %-14s %14s %12s %12s %10s\n", "log written", "records", "VmHWM MiB", "VmRSS MiB",
           "seconds");
    for (int i = 0; i < nmarks; i++)
        printf("  %-14s %14s %12.1f %12.1f %10.2f\n",
               marks[i].bytes == 0
                   ? "after open"
                   : (snprintf(a, sizeof(a), "%.0f MiB", (double)marks[i].bytes / MIB), a),
               fmt_count(b, sizeof(b), (double)marks[i].records), (double)marks[i].hwm / 1024.0,
               (double)marks[i].rss / 1024.0, marks[i].t);
    if (nmarks >= 4) {
        double grow = (double)(marks[3].hwm - marks[1].hwm) / 1024.0;
        printf("  peak RSS grew %.1f MiB from 100 MiB to %.0f MiB written   target: flat (< 8 "
               "MiB)  %s\n",
               grow, (double)marks[3].bytes / MIB, grow < 8.0 ? "met" : "not met");
    }
    rm_rf(store);
}

/* ---- the report ------------------------------------------------------------ */

static void print_rates(void)
{
    char a[32], b[32], c[32], d[32];
    printf("\n%-40s %12s %12s %12s %13s %9s %5s\n", "measurement (median of rounds)", "appends/s",
           "min", "max", "excl close", "close ms", "cpu%");
    for (int k = 0; k < K_COUNT; k++) {
        if (!g_ran[k])
            continue;
        double v[MAX_ROUNDS], lo = INFINITY, hi = -INFINITY, cl[MAX_ROUNDS], cpu[MAX_ROUNDS];
        for (int r = 0; r < g_rounds; r++) {
            const struct sample *sm = &g_samples[k][r];
            v[r] = rate_incl(sm);
            cl[r] = sm->ok ? sm->close_s * 1000 : NAN;
            cpu[r] = sm->ok ? 100 * sm->cpu_s / sm->loop_s : NAN;
            if (isfinite(v[r])) {
                lo = v[r] < lo ? v[r] : lo;
                hi = v[r] > hi ? v[r] : hi;
            }
        }
        printf("%-40s %12s %12s %12s %13s %9.1f %5.0f\n", g_kinds[k].label,
               fmt_count(a, sizeof(a), median(v, g_rounds)), fmt_count(b, sizeof(b), lo),
               fmt_count(c, sizeof(c), hi), fmt_count(d, sizeof(d), med_rate(k, false)),
               median(cl, g_rounds), median(cpu, g_rounds));
    }
    if (ran(K_RAW_LIMIT)) {
        double v[MAX_ROUNDS];
        for (int r = 0; r < g_rounds; r++)
            v[r] = raw_limit(r, true);
        printf("%-40s %12s   (better of fallocated and growing, per round)\n", "raw limit",
               fmt_count(a, sizeof(a), median(v, g_rounds)));
    }
}

/* One comparison row: ltl measurement k vs peer (or an absolute target when peer < -1). */
static void compare(const char *label, int k, int peer, bool incl, double target)
{
    char a[32], b[32];
    if (!ran(k) || (peer != -2 && !ran(peer)))
        return;
    double mine = med_rate(k, incl);
    if (peer == -2) {
        /* absolute: appends/s */
        const char *res = !isfinite(mine) ? "error" : mine >= target ? "met" : "not met";
        char tgt[24];
        snprintf(tgt, sizeof(tgt), ">= %gM/s", target / 1e6);
        printf("%-48s %12s %12s %8s   %-9s  %s\n", label, fmt_count(a, sizeof(a), mine), "", "",
               tgt, res);
        return;
    }
    double ratio[MAX_ROUNDS] = {0}, peer_rate[MAX_ROUNDS] = {0};
    for (int r = 0; r < g_rounds; r++) {
        double x = round_rate(k, r, incl), y = round_rate(peer, r, incl);
        ratio[r] = isfinite(x) && isfinite(y) && y > 0 ? x / y : NAN;
        peer_rate[r] = y;
    }
    double m = median(ratio, g_rounds);
    char rounds[64] = "";
    for (int r = 0, o = 0; r < g_rounds && o < (int)sizeof(rounds) - 8; r++)
        o += snprintf(rounds + o, sizeof(rounds) - (size_t)o, "%s%.2f", r ? " " : "", ratio[r]);
    const char *res = target <= 0    ? "(info)"
                      : !isfinite(m) ? "error"
                      : m >= target  ? "met"
                                     : "not met";
    char tgt[16] = "";
    if (target > 0)
        snprintf(tgt, sizeof(tgt), ">= %.2gx", target);
    printf("%-48s %12s %12s %7.2fx   %-9s  %-8s %s\n", label, fmt_count(a, sizeof(a), mine),
           fmt_count(b, sizeof(b), median(peer_rate, g_rounds)), m, tgt, res, rounds);
}

static void print_targets(void)
{
    printf("\n%-48s %12s %12s %8s   %-9s  %-8s %s\n", "target (ratio = median of per-round ratios)",
           "ltl /s", "peer /s", "ratio", "target", "result", "per-round ratios");
    compare("casual 1T, incl close >= 2 M/s", K_LTL_CASUAL, -2, true, 2e6);
    compare("casual 1T, excl close >= 2 M/s", K_LTL_CASUAL, -2, false, 2e6);
    compare("casual 1T / SQLite OFF batched, incl close", K_LTL_CASUAL, K_SQL_OFF, true, 2.5);
    compare("casual 1T / SQLite OFF batched, excl close", K_LTL_CASUAL, K_SQL_OFF, false, 2.5);
    compare("safe 1T / SQLite NORMAL commit per row", K_LTL_SAFE, K_SQL_NORMAL, true, 5);
    compare("paranoid 1T / raw limit", K_LTL_PARANOID, K_RAW_LIMIT, true, 0.8);
    compare("paranoid 1T / SQLite FULL commit per row", K_LTL_PARANOID, K_SQL_FULL, true, 1.2);
    compare("paranoid 8T / SQLite FULL 8T", K_LTL_PARANOID8, K_SQL_FULL8, true, 3);
    printf("%-48s\n", "-- for information:");
    compare("forgetful 1T / SQLite OFF batched, incl close", K_LTL_FORGETFUL, K_SQL_OFF, true, 0);
    compare("forgetful 1T / SQLite OFF batched, excl close", K_LTL_FORGETFUL, K_SQL_OFF, false, 0);
    compare("paranoid 1T / raw zero-filled (overwrite)", K_LTL_PARANOID, K_RAW_ZEROED, true, 0);
    compare("raw zero-filled / raw fallocated", K_RAW_ZEROED, K_RAW_FALLOC, true, 0);
    compare("raw growing / raw fallocated", K_RAW_GROW, K_RAW_FALLOC, true, 0);
    compare("paranoid 8T / paranoid 1T (group commit)", K_LTL_PARANOID8, K_LTL_PARANOID, true, 0);
    compare("paranoid 8T / raw limit", K_LTL_PARANOID8, K_RAW_LIMIT, true, 0);
    compare("safe 8T / safe 1T", K_LTL_SAFE8, K_LTL_SAFE, true, 0);
    compare("SQLite FULL 8T / SQLite FULL 1T", K_SQL_FULL8, K_SQL_FULL, true, 0);
    compare("paranoid 1T / LMDB synced", K_LTL_PARANOID, K_LMDB_SYNC, true, 0);
    compare("safe 1T / LMDB MDB_NOSYNC", K_LTL_SAFE, K_LMDB_NOSYNC, true, 0);
    compare("casual 1T / LMDB MDB_NOSYNC, incl close", K_LTL_CASUAL, K_LMDB_NOSYNC, true, 0);
}

static void print_header(void)
{
    struct utsname u;
    uname(&u);
    char cpu[256] = "?";
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (f) {
        char line[256];
        while (fgets(line, sizeof(line), f))
            if (strncmp(line, "model name", 10) == 0) {
                const char *p = strchr(line, ':');
                snprintf(cpu, sizeof(cpu), "%s", p ? p + 2 : line);
                cpu[strcspn(cpu, "\n")] = '\0';
                break;
            }
        fclose(f);
    }
    int maj, min, patch;
    mdb_version(&maj, &min, &patch);
    const ltl_build *b = ltl_build_info();
    printf("append benchmark: %d-byte JSON messages, topic \"%s\"; each measurement appends for "
           "%.1f s\n",
           MSG_LEN, g_topic, g_seconds);
    printf("then closes; %d rounds, each running every measurement once (figures: median of "
           "rounds).\nThe 1-thread fdatasync-bound ones (raw, ltl paranoid, SQLite FULL, LMDB "
           "synced) take turns\nin %.1f s slices, each on its own open file, so a slow spell of "
           "the shared disk hits them alike.\n",
           g_rounds, g_slice);
    printf("machine: %ld CPUs, %s, Linux %s; data in %s\n", sysconf(_SC_NPROCESSORS_ONLN), cpu,
           u.release, g_dir);
    printf("ltl %s (%s, %s), SQLite %s, LMDB %d.%d.%d\n", b->version, b->commit, b->type,
           sqlite3_libversion(), maj, min, patch);
    printf("ltl stores: LTL_OPEN_CREATE|LTL_OPEN_NO_ENV, opts.durability, config: %s\n",
           g_ltl_config ? g_ltl_config : "defaults (sync.interval 100ms, segment.size 64M)");
    print_loadavg("at start", 0.5);
    fflush(stdout);
}

static int usage(void)
{
    fprintf(stderr, "usage: append_bench [--seconds S] [--rounds N] [--store-mib M] "
                    "[--only key,...] [--no-reopen] [--slice S] [--ltl-config k=v,...] DIR\n");
    return 2;
}

int main(int argc, char **argv)
{
    make_messages();
    if (argc == 6 && strcmp(argv[1], "--writer") == 0)
        return writer_child(argv[2], strtoull(argv[3], NULL, 10), atoi(argv[4]), atoi(argv[5]));

    uint64_t store_mib = 1024;
    bool reopen = true;
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        if (strcmp(argv[i], "--seconds") == 0 && i + 1 < argc)
            g_seconds = atof(argv[++i]);
        else if (strcmp(argv[i], "--rounds") == 0 && i + 1 < argc)
            g_rounds = atoi(argv[++i]);
        else if (strcmp(argv[i], "--store-mib") == 0 && i + 1 < argc)
            store_mib = strtoull(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--slice") == 0 && i + 1 < argc)
            g_slice = atof(argv[++i]);
        else if (strcmp(argv[i], "--ltl-config") == 0 && i + 1 < argc)
            g_ltl_config = argv[++i];
        else if (strcmp(argv[i], "--only") == 0 && i + 1 < argc)
            g_only = argv[++i];
        else if (strcmp(argv[i], "--no-reopen") == 0)
            reopen = false;
        else
            return usage();
    }
    if (i + 1 != argc || g_rounds < 1 || g_rounds > MAX_ROUNDS || g_seconds <= 0 || store_mib < 128)
        return usage();
    if (!realpath(argv[i], g_dir)) {
        fprintf(stderr, "append_bench: %s: %s\n", argv[i], strerror(errno));
        return 2;
    }
    if (ltl_json_parse(g_msgs[0], MSG_LEN, NULL, NULL, NULL, NULL) != LTL_OK) {
        fprintf(stderr, "append_bench: the generated message is not JSON\n");
        return 1;
    }
    print_header();

    /*
     * The single-thread measurements bound by fdatasync run interleaved. The
     * 8-thread ones do not: SQLite's busy handler backs off with sleeps of up
     * to 100 ms, so restarting its 8 threads every slice would cost it a third
     * to two thirds of its rate (measured), which is not what a user gets.
     */
    static const int sync_groups[1][6] = {
        {K_RAW_FALLOC, K_RAW_GROW, K_RAW_ZEROED, K_LTL_PARANOID, K_SQL_FULL, K_LMDB_SYNC},
    };
    enum { NGROUPS = sizeof(sync_groups) / sizeof(sync_groups[0]) };
    bool grouped[K_COUNT] = {false};
    for (int g = 0; g < NGROUPS; g++)
        for (int j = 0; j < 6 && sync_groups[g][j] >= 0; j++)
            grouped[sync_groups[g][j]] = true;
    double bw[MAX_ROUNDS];
    for (int r = 0; r < g_rounds; r++) {
        fprintf(stderr, "round %d/%d:", r + 1, g_rounds);
        for (int g = 0; g < NGROUPS; g++) {
            const struct kind *group[6];
            struct sample *out[6];
            int n = 0;
            for (int j = 0; j < 6 && sync_groups[g][j] >= 0; j++) {
                int k = sync_groups[g][j];
                if (!selected(g_kinds[k].key))
                    continue;
                fprintf(stderr, "%s%s", n ? " " : " [", g_kinds[k].key);
                group[n] = &g_kinds[k];
                out[n++] = &g_samples[k][r];
                g_ran[k] = true;
            }
            if (n) {
                fprintf(stderr, "]");
                measure_interleaved(group, n, r, out, g_slice);
            }
        }
        for (int k = 0; k < K_COUNT; k++) {
            if (grouped[k] || !selected(g_kinds[k].key))
                continue;
            fprintf(stderr, " %s", g_kinds[k].key);
            measure(&g_kinds[k], r, &g_samples[k][r]);
            g_ran[k] = true;
        }
        bw[r] = selected("disk") ? disk_mib_s() : NAN;
        fprintf(stderr, "\n");
    }
    print_loadavg("after the rounds (this benchmark adds ~1)", 2.0);
    print_rates();
    printf("(appends/s includes the final close; cpu%% = CPU time of the process / wall time of "
           "the loop:\n a 1-thread loop that got a whole core shows ~100%%, less means other "
           "work on this shared machine took it)\n");
    double mib_s = median(bw, g_rounds), frame = frame_bytes(), bw_lo = INFINITY, bw_hi = 0;
    for (int r = 0; r < g_rounds; r++) {
        bw_lo = bw[r] < bw_lo ? bw[r] : bw_lo;
        bw_hi = bw[r] > bw_hi ? bw[r] : bw_hi;
    }
    if (isfinite(mib_s))
        printf("disk: 512 MiB in 1 MiB pwrites + fdatasync: %.0f MiB/s (rounds: %.0f..%.0f); an "
               "append takes %.0f bytes\n  in the log, so once the page cache must be flushed "
               "the disk sustains at most %.2f M appends/s\n",
               mib_s, bw_lo, bw_hi, frame, mib_s * MIB / frame / 1e6);
    if (ran(K_RAW_LIMIT))
        printf("fdatasync after a 200-byte pwrite: %.0f us (fallocated), %.0f us (growing), %.0f "
               "us (zero-filled)\n",
               1e6 / med_rate(K_RAW_FALLOC, true), 1e6 / med_rate(K_RAW_GROW, true),
               1e6 / med_rate(K_RAW_ZEROED, true));
    print_targets();
    fflush(stdout);
    if (reopen && selected("reopen")) {
        fprintf(stderr, "reopen: building a %" PRIu64 " MiB store\n", store_mib);
        reopen_bench(store_mib << 20);
    }
    if (g_failures)
        fprintf(stderr, "append_bench: %d measurement(s) failed\n", g_failures);
    return g_failures ? 1 : 0;
}
