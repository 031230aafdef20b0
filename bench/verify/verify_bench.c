/* SPDX-License-Identifier: MIT */
/*
 * verify_bench.c — `ltl verify` against sha256sum over the same segment
 * files (issue 4: verify throughput >= 0.8x sha256sum on one thread,
 * >= 1.5x with two). Run by bench/verify/run.
 *
 * Builds a store of ~1 GiB of log (200-byte JSON messages, casual mode,
 * through the library; a signed checkpoint at close), reads its files once
 * so that every side works from the page cache, then measures in rounds,
 * each round running every measurement once in a rotating order:
 *   - sha256sum (GNU coreutils) over the segment files, whole;
 *   - openssl dgst -sha256 over the same files (SHA-256 with the CPU's SHA
 *     instructions, as ltl's OpenSSL calls use: the fairer peer);
 *   - ltl_verify (full) with 1 and with 2 threads (a read-only handle, no
 *     progress callback; the open is not timed, it is printed apart).
 * Prints the median time of each, MB/s over the segment-file bytes and over
 * the log bytes, the median of the per-round ratios (peer time / verify
 * time: both sides cover the same files) and the targets. Never asserts.
 *
 *   verify_bench [--mib N] [--rounds R] DIR    (DIR: scratch space, emptied)
 */
#include <ltl.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MSG_LEN    200
#define POOL       4096
#define BATCH      256
#define MAX_FILES  4096
#define MAX_ROUNDS 9

static char g_msgs[POOL][MSG_LEN];

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void die(const char *what, int rc, ltl_db *db)
{
    fprintf(stderr, "verify_bench: %s: %s: %s\n", what, ltl_strerror(rc), db ? ltl_errmsg(db) : "");
    exit(1);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
    double s[MAX_ROUNDS];
    memcpy(s, v, (size_t)n * sizeof(double));
    qsort(s, (size_t)n, sizeof(double), cmp_double);
    return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

static void print_loadavg(const char *when)
{
    char buf[128] = "?\n";
    FILE *f = fopen("/proc/loadavg", "r");
    if (f) {
        if (!fgets(buf, sizeof(buf), f))
            snprintf(buf, sizeof(buf), "?\n");
        fclose(f);
    }
    printf("load average %s: %s", when, buf);
}

/* The messages of bench/append: 200 bytes of JSON each, a little different. */
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

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

/* ---- the store's files ------------------------------------------------------ */

static char *g_files[MAX_FILES];
static int g_nfiles;
static uint64_t g_file_bytes;

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void list_segments(const char *log_dir)
{
    DIR *d = opendir(log_dir);
    if (!d) {
        perror(log_dir);
        exit(1);
    }
    struct dirent *e;
    while ((e = readdir(d)) && g_nfiles < MAX_FILES) {
        size_t n = strlen(e->d_name);
        if (n < 5 || strcmp(e->d_name + n - 4, ".seg") != 0)
            continue;
        char *path = malloc(strlen(log_dir) + n + 2);
        sprintf(path, "%s/%s", log_dir, e->d_name);
        struct stat st;
        if (stat(path, &st) == 0)
            g_file_bytes += (uint64_t)st.st_size;
        g_files[g_nfiles++] = path;
    }
    closedir(d);
    qsort(g_files, (size_t)g_nfiles, sizeof(char *), by_name);
}

/* Read a file through, so that the measurements start from the page cache. */
static void read_through(const char *path)
{
    static char buf[1 << 20];
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return;
    while (read(fd, buf, sizeof(buf)) > 0) {
    }
    close(fd);
}

/* Run argv0 with the segment files as arguments, stdout to /dev/null; the
 * wall time, or a negative number when it could not run. */
static double run_over_files(const char *const *pre, int npre)
{
    char *argv[MAX_FILES + 8];
    int n = 0;
    for (int i = 0; i < npre; i++)
        argv[n++] = (char *)pre[i];
    for (int i = 0; i < g_nfiles; i++)
        argv[n++] = g_files[i];
    argv[n] = NULL;
    double t0 = now_s();
    pid_t pid = fork();
    if (pid == 0) {
        int devnull = open("/dev/null", O_WRONLY);
        dup2(devnull, 1);
        execvp(argv[0], argv);
        _exit(127);
    }
    int status;
    if (pid < 0 || waitpid(pid, &status, 0) < 0)
        return -1;
    double t = now_s() - t0;
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? t : -1;
}

/* ---- ltl ---------------------------------------------------------------------- */

static const char *g_store;
static char g_config[PATH_MAX + 64];

static double verify_once(unsigned threads, double *open_s, ltl_verify_report *out)
{
    ltl_options o = LTL_OPTIONS_INIT;
    o.flags = LTL_OPEN_READONLY | LTL_OPEN_NO_ENV;
    o.config = g_config;
    ltl_db *db;
    double t0 = now_s();
    int rc = ltl_open(&db, g_store, &o);
    if (rc)
        die("open", rc, db);
    *open_s = now_s() - t0;
    ltl_verify_options vo;
    ltl_verify_options_init(&vo);
    vo.threads = threads;
    t0 = now_s();
    rc = ltl_verify(out, db, &vo);
    double t = now_s() - t0;
    if (rc)
        die("verify", rc, db);
    ltl_close(db);
    return t;
}

int main(int argc, char **argv)
{
    double mib = 1024;
    int rounds = 3;
    const char *dir = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--mib") == 0 && i + 1 < argc)
            mib = atof(argv[++i]);
        else if (strcmp(argv[i], "--rounds") == 0 && i + 1 < argc)
            rounds = atoi(argv[++i]);
        else if (argv[i][0] != '-' && !dir)
            dir = argv[i];
        else {
            fprintf(stderr, "usage: verify_bench [--mib N] [--rounds R] DIR\n");
            return 2;
        }
    }
    if (!dir || mib <= 0 || rounds < 1 || rounds > MAX_ROUNDS) {
        fprintf(stderr, "usage: verify_bench [--mib N] [--rounds 1..%d] DIR\n", MAX_ROUNDS);
        return 2;
    }
    /* the log, the index (64 B per 248-byte frame) and a segment of slack */
    double need = mib * 1048576.0 * (1 + 64.0 / 248) + 128.0 * 1048576;
    struct statvfs vfs;
    if (statvfs(dir, &vfs) == 0 && (double)vfs.f_bavail * (double)vfs.f_frsize < 2 * need) {
        printf("bench/verify: skipped: %s has %.1f GB free, %.1f GB wanted\n", dir,
               (double)vfs.f_bavail * (double)vfs.f_frsize / 1e9, 2 * need / 1e9);
        return 0;
    }
    make_messages();
    static char store[PATH_MAX - 64], log_dir[PATH_MAX], key[PATH_MAX], ckey[PATH_MAX];
    snprintf(store, sizeof(store), "%s/store", dir);
    snprintf(log_dir, sizeof(log_dir), "%s/log", store);
    snprintf(key, sizeof(key), "%s/bench.wkey", dir);
    snprintf(ckey, sizeof(ckey), "%s/bench.ckey", dir);
    nftw(store, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    unlink(key);
    unlink(ckey);
    ltl_error err;
    int rc = ltl_keygen(&err, "bench", key, ckey);
    if (rc) {
        fprintf(stderr, "verify_bench: keygen: %s\n", err.message);
        return 1;
    }
    /* no field index: what is compared with sha256sum is the log's verification */
    snprintf(g_config, sizeof(g_config), "keys.write=%s,checkpoint.interval=0,index.enabled=off",
             key);
    g_store = store;
    print_loadavg("at the start");

    /* build: 248 bytes per frame (200-byte message, topic "app") */
    ltl_options o = LTL_OPTIONS_INIT;
    o.flags = LTL_OPEN_CREATE | LTL_OPEN_NO_ENV;
    o.durability = LTL_CASUAL;
    o.config = g_config;
    ltl_db *db;
    if ((rc = ltl_open(&db, store, &o)))
        die("create", rc, db);
    uint64_t want = (uint64_t)(mib * 1048576.0 / 248);
    ltl_msg batch[BATCH];
    double t0 = now_s();
    for (uint64_t i = 0; i < want; i += BATCH) {
        for (int k = 0; k < BATCH; k++)
            batch[k] = (ltl_msg){"app", g_msgs[(i + (uint64_t)k) % POOL], MSG_LEN, 0};
        if ((rc = ltl_append_batch(NULL, db, batch, BATCH)))
            die("append", rc, db);
    }
    if ((rc = ltl_close(db)))
        die("close", rc, NULL);
    double build_s = now_s() - t0;

    list_segments(log_dir);
    char tree_path[PATH_MAX + 16];
    snprintf(tree_path, sizeof(tree_path), "%s/tree.hashes", log_dir);
    struct stat tst;
    uint64_t tree_bytes = stat(tree_path, &tst) == 0 ? (uint64_t)tst.st_size : 0;
    for (int i = 0; i < g_nfiles; i++)
        read_through(g_files[i]);
    read_through(tree_path);
    double open_s;
    ltl_verify_report r;
    verify_once(0, &open_s, &r); /* warm: and the store's figures */
    uint64_t records = r.records, log_bytes = r.bytes;
    double body_bytes = (double)log_bytes - 8.0 * (double)records; /* bodies + padding */

    printf("store: %" PRIu64 " records (200-byte JSON messages), %.1f MB of log in %d segment "
           "files of %.1f MB in all; tree.hashes %.1f MB; built in %.1f s (%.0f appends/s, casual, "
           "batches of %d)\n",
           records, (double)log_bytes / 1e6, g_nfiles, (double)g_file_bytes / 1e6,
           (double)tree_bytes / 1e6, build_s, (double)records / build_s, BATCH);
    printf("what each side reads and hashes (page cache warm):\n"
           "  sha256sum, openssl dgst: every byte of the %d segment files, %.1f MB (headers, "
           "frames,\n"
           "    padding and the zeros preallocated after the data of the last one): SHA-256 "
           "of %.1f MB\n"
           "  ltl verify: reads the same files: CRC32C of every frame (salt + body), the "
           "fields\n"
           "    and order of every record, zeros after the data; SHA-256 of every record body "
           "(the leaf,\n"
           "    ~%.1f MB); reads tree.hashes (%.1f MB) and recomputes every inner node "
           "(%" PRIu64 " node\n"
           "    hashes of 65 bytes, %.1f MB); checks the checkpoint's root and signature\n",
           g_nfiles, (double)g_file_bytes / 1e6, (double)g_file_bytes / 1e6, body_bytes / 1e6,
           (double)tree_bytes / 1e6, records ? records - 1 : 0,
           (double)(records ? records - 1 : 0) * 65 / 1e6);

    enum { SHA, OPENSSL, V1, V2, N };
    static const char *names[N] = {"sha256sum (coreutils)", "openssl dgst -sha256",
                                   "ltl verify, 1 thread", "ltl verify, 2 threads"};
    double t[N][MAX_ROUNDS], ratio[4][MAX_ROUNDS], opens[MAX_ROUNDS];
    bool have_openssl = true;
    static const char *sha_argv[] = {"sha256sum"};
    static const char *ossl_argv[] = {"openssl", "dgst", "-sha256"};
    for (int round = 0; round < rounds; round++) {
        for (int k = 0; k < N; k++) {
            int m = (k + round) % N;
            switch (m) {
            case SHA:
                t[m][round] = run_over_files(sha_argv, 1);
                break;
            case OPENSSL:
                t[m][round] = run_over_files(ossl_argv, 3);
                break;
            case V1:
                t[m][round] = verify_once(1, &opens[round], &r);
                break;
            case V2:
                t[m][round] = verify_once(2, &opens[round], &r);
                break;
            }
        }
        if (t[SHA][round] < 0) {
            fprintf(stderr, "verify_bench: sha256sum failed\n");
            return 1;
        }
        have_openssl = have_openssl && t[OPENSSL][round] > 0;
        ratio[0][round] = t[SHA][round] / t[V1][round];
        ratio[1][round] = t[SHA][round] / t[V2][round];
        ratio[2][round] = t[OPENSSL][round] / t[V1][round];
        ratio[3][round] = t[OPENSSL][round] / t[V2][round];
    }
    printf("\n%-24s %10s %18s %14s   (median of %d rounds)\n", "measurement", "seconds",
           "MB/s of seg files", "MB/s of log", rounds);
    for (int m = 0; m < N; m++) {
        if (m == OPENSSL && !have_openssl) {
            printf("%-24s %10s\n", names[m], "n/a");
            continue;
        }
        double s = median(t[m], rounds);
        printf("%-24s %10.3f %18.0f %14.0f\n", names[m], s, (double)g_file_bytes / 1e6 / s,
               (double)log_bytes / 1e6 / s);
    }
    printf("(opening the store read-only, not in the times above: %.1f ms)\n",
           median(opens, rounds) * 1e3);
    printf("\nratios, peer time / verify time over the same files (median of per-round "
           "ratios):\n");
    double r1 = median(ratio[0], rounds), r2 = median(ratio[1], rounds);
    printf("  verify 1 thread  vs sha256sum: %.2fx  (target >= 0.8x: %s)\n", r1,
           r1 >= 0.8 ? "met" : "NOT met");
    printf("  verify 2 threads vs sha256sum: %.2fx  (target >= 1.5x: %s)\n", r2,
           r2 >= 1.5 ? "met" : "NOT met");
    if (have_openssl)
        printf("  verify 1 / 2 threads vs openssl dgst -sha256: %.2fx / %.2fx\n",
               median(ratio[2], rounds), median(ratio[3], rounds));
    print_loadavg("at the end");

    nftw(store, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    unlink(key);
    unlink(ckey);
    for (int i = 0; i < g_nfiles; i++)
        free(g_files[i]);
    return 0;
}
