/* SPDX-License-Identifier: MIT */
/*
 * trust_append_bench.c — appends per second with or without the hash index
 * (issue 4: hashing adds <= 0.5 us per append). The same source is linked
 * twice (bench/CMakeLists.txt): trust_append_bench to the library, and
 * trust_append_bench_notree to a copy whose stores open without a hash
 * index. bench/trust_append/run alternates the two in rounds and prints the
 * comparison.
 *
 * One run: for casual and safe mode, a fresh store, 200-byte JSON messages
 * (those of bench/append) appended by one thread for S seconds, then the
 * store is closed and deleted. Prints, for the run script:
 *   index attached|none          whether the store got a tree.hashes with leaves
 *   rate MODE APPENDS_PER_S      the close not included
 *   close MODE SECONDS           the close (with the index: a checkpoint)
 *
 *   trust_append_bench [--seconds S] DIR
 */
#include <ltl.h>

#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define MSG_LEN 200
#define POOL    4096

static char g_msgs[POOL][MSG_LEN];

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

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

static int measure(const char *dir, int mode, double seconds)
{
    char store[PATH_MAX];
    snprintf(store, sizeof(store), "%s/store-%s", dir, ltl_durability_name(mode));
    nftw(store, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    ltl_options o = LTL_OPTIONS_INIT;
    o.flags = LTL_OPEN_CREATE | LTL_OPEN_NO_ENV;
    o.durability = mode;
    o.config = "checkpoint.interval=0";
    ltl_db *db;
    int rc = ltl_open(&db, store, &o);
    if (rc) {
        fprintf(stderr, "trust_append_bench: open: %s\n", ltl_errmsg(db));
        return 1;
    }
    long n = 0;
    double t0 = now_s(), end = t0 + seconds, t;
    do {
        for (int k = 0; k < 1024; k++, n++)
            if ((rc = ltl_append(NULL, db, "app", g_msgs[n % POOL], MSG_LEN, 0))) {
                fprintf(stderr, "trust_append_bench: append: %s\n", ltl_errmsg(db));
                return 1;
            }
        t = now_s();
    } while (t < end);
    double c0 = now_s();
    if ((rc = ltl_close(db))) {
        fprintf(stderr, "trust_append_bench: close: %s\n", ltl_strerror(rc));
        return 1;
    }
    double close_s = now_s() - c0;
    char tree[PATH_MAX + 32];
    snprintf(tree, sizeof(tree), "%s/log/tree.hashes", store);
    struct stat st;
    printf("index %s\n", stat(tree, &st) == 0 && st.st_size > 64 ? "attached" : "none");
    printf("rate %s %.1f\n", ltl_durability_name(mode), (double)n / (t - t0));
    printf("close %s %.4f\n", ltl_durability_name(mode), close_s);
    fflush(stdout);
    nftw(store, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    return 0;
}

int main(int argc, char **argv)
{
    double seconds = 1.0;
    const char *dir = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--seconds") == 0 && i + 1 < argc)
            seconds = atof(argv[++i]);
        else if (argv[i][0] != '-' && !dir)
            dir = argv[i];
        else
            dir = NULL, i = argc;
    }
    if (!dir || seconds <= 0) {
        fprintf(stderr, "usage: trust_append_bench [--seconds S] DIR\n");
        return 2;
    }
    make_messages();
    if (measure(dir, LTL_CASUAL, seconds) || measure(dir, LTL_SAFE, seconds))
        return 1;
    return 0;
}
