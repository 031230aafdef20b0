/* SPDX-License-Identifier: MIT */
/*
 * proof_bench.c — inclusion and consistency proofs through the public API
 * on a real store (issue 4: an inclusion proof for any seq of a 10 M-record
 * store, p50 <= 50 us). Run by bench/verify/run.
 *
 * Builds a store of N records (default 10 M: 200-byte JSON messages, casual
 * mode, ~2.5 GB of segments and a 640 MB tree.hashes; skipped when the disk
 * lacks room) with a write key, so its checkpoint at close is signed. Then,
 * from a read-only handle as `ltl proof` uses, times K ltl_proof() calls at
 * random seqs against the last checkpoint (each call: find the checkpoint in
 * STORE/checkpoints and check it, compute the inclusion proof from
 * tree.hashes, read the record's body from its segment, format the C2SP
 * tlog-proof) and K ltl_proof_consistency() calls from random old sizes,
 * and prints p50/p90/p99/max. Twice: a reader configured with the write key
 * (every call checks the checkpoint's signature) and one without keys.
 * A reader builds each segment's sparse offset index on first touch (a scan
 * of the segment up to the seq asked for): the first pass, on a fresh
 * handle, shows that; the handle is then warmed (ltl_get every 1000 seqs)
 * and the passes that follow show the steady state. Last, the same
 * inclusion proofs once the checkpoints file holds C more checkpoints
 * (every call reads the whole file). The page cache is warm throughout.
 * Never asserts; the store is deleted at the end.
 *
 *   proof_bench [--records N] [--proofs K] [--checkpoints C] DIR
 */
#include <ltl.h>

#include <ftw.h>
#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#define MSG_LEN 200
#define POOL    4096
#define BATCH   256

static char g_msgs[POOL][MSG_LEN];
static char g_store[PATH_MAX - 64];
static char g_key[PATH_MAX];

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static void die(const char *what, int rc, ltl_db *db)
{
    fprintf(stderr, "proof_bench: %s: %s: %s\n", what, ltl_strerror(rc), db ? ltl_errmsg(db) : "");
    exit(1);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static uint64_t rng = 0x9e3779b97f4a7c15ULL;
static uint64_t next_rand(void)
{
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return rng * 0x2545f4914f6cdd1dULL;
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

static ltl_db *open_store(unsigned flags, int durability, bool with_key)
{
    char config[PATH_MAX + 64];
    snprintf(config, sizeof(config), "checkpoint.interval=0%s%s", with_key ? ",keys.write=" : "",
             with_key ? g_key : "");
    ltl_options o = LTL_OPTIONS_INIT;
    o.flags = flags | LTL_OPEN_NO_ENV;
    o.durability = durability;
    o.config = config;
    ltl_db *db;
    int rc = ltl_open(&db, g_store, &o);
    if (rc)
        die("open", rc, db);
    return db;
}

static void percentiles(const char *what, double *t, size_t n, const char *target)
{
    qsort(t, n, sizeof(double), cmp_double);
    printf("  %-44s p50 %7.1f us  p90 %7.1f us  p99 %7.1f us  max %7.1f us%s\n", what,
           t[n / 2] / 1e3, t[n * 9 / 10] / 1e3, t[n * 99 / 100] / 1e3, t[n - 1] / 1e3, target);
}

/* K inclusion proofs at random seqs below size; returns the mean proof length. */
static double time_inclusion(ltl_db *db, uint64_t size, double *t, size_t k)
{
    char *text;
    int rc = ltl_proof(&text, db, 0, UINT64_MAX); /* opens tree.hashes: not timed */
    if (rc)
        die("proof", rc, db);
    ltl_free(text);
    double bytes = 0;
    for (size_t i = 0; i < k; i++) {
        uint64_t seq = next_rand() % size;
        double s = now_ns();
        rc = ltl_proof(&text, db, seq, UINT64_MAX);
        t[i] = now_ns() - s;
        if (rc)
            die("proof", rc, db);
        bytes += (double)strlen(text);
        ltl_free(text);
    }
    return bytes / (double)k;
}

/* Touch every 1000th record, so that the segments' sparse indexes exist. */
static void warm(ltl_db *db, uint64_t size)
{
    for (uint64_t seq = 0; seq < size; seq += 1000) {
        ltl_record *r;
        int rc = ltl_get(&r, db, seq);
        if (rc)
            die("get", rc, db);
        ltl_record_free(r);
    }
}

static void time_consistency(ltl_db *db, uint64_t size, double *t, size_t k)
{
    for (size_t i = 0; i < k; i++) {
        uint64_t old = 1 + next_rand() % (size - 1);
        char *text;
        double s = now_ns();
        int rc = ltl_proof_consistency(&text, db, old, UINT64_MAX);
        t[i] = now_ns() - s;
        if (rc)
            die("consistency proof", rc, db);
        ltl_free(text);
    }
}

int main(int argc, char **argv)
{
    uint64_t records = 10000000;
    size_t proofs = 1000, checkpoints = 1000;
    const char *dir = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--records") == 0 && i + 1 < argc)
            records = strtoull(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--proofs") == 0 && i + 1 < argc)
            proofs = strtoull(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--checkpoints") == 0 && i + 1 < argc)
            checkpoints = strtoull(argv[++i], NULL, 10);
        else if (argv[i][0] != '-' && !dir)
            dir = argv[i];
        else {
            fprintf(stderr, "usage: proof_bench [--records N] [--proofs K] [--checkpoints C] "
                            "DIR\n");
            return 2;
        }
    }
    if (!dir || records < 2 || proofs < 1) {
        fprintf(stderr, "usage: proof_bench [--records N>=2] [--proofs K>=1] [--checkpoints C] "
                        "DIR\n");
        return 2;
    }
    /* 248 bytes of frame and 64 of tree.hashes per record, some slack */
    double need = (double)records * (248 + 64) * 1.05 + 256e6;
    struct statvfs vfs;
    if (statvfs(dir, &vfs) == 0 && (double)vfs.f_bavail * (double)vfs.f_frsize < 2 * need) {
        printf("proofs: skipped: %s has %.1f GB free, %.1f GB wanted\n", dir,
               (double)vfs.f_bavail * (double)vfs.f_frsize / 1e9, 2 * need / 1e9);
        return 0;
    }
    make_messages();
    snprintf(g_store, sizeof(g_store), "%s/store", dir);
    snprintf(g_key, sizeof(g_key), "%s/bench.wkey", dir);
    char ckey[PATH_MAX];
    snprintf(ckey, sizeof(ckey), "%s/bench.ckey", dir);
    nftw(g_store, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    unlink(g_key);
    unlink(ckey);
    ltl_error err;
    if (ltl_keygen(&err, "bench", g_key, ckey)) {
        fprintf(stderr, "proof_bench: keygen: %s\n", err.message);
        return 1;
    }
    print_loadavg("at the start");

    ltl_db *db = open_store(LTL_OPEN_CREATE, LTL_CASUAL, true);
    ltl_msg batch[BATCH];
    double t0 = now_ns();
    for (uint64_t i = 0; i < records; i += BATCH) {
        size_t n = records - i < BATCH ? (size_t)(records - i) : BATCH;
        for (size_t k = 0; k < n; k++)
            batch[k] = (ltl_msg){"app", g_msgs[(i + k) % POOL], MSG_LEN, 0};
        int rc = ltl_append_batch(NULL, db, batch, n);
        if (rc)
            die("append", rc, db);
    }
    int rc = ltl_close(db); /* a signed checkpoint of the whole log */
    if (rc)
        die("close", rc, NULL);
    double build_s = (now_ns() - t0) / 1e9;
    db = open_store(LTL_OPEN_READONLY, LTL_DURABILITY_DEFAULT, false);
    ltl_info info;
    if ((rc = ltl_stat(&info, db)))
        die("stat", rc, db);
    ltl_close(db);
    uint64_t size = info.records;
    printf("store: %" PRIu64 " records, %.2f GB of log in %" PRIu64 " segments; built in %.1f s "
           "(%.0f appends/s, casual); one signed checkpoint of size %" PRIu64 "\n",
           size, (double)info.log_bytes / 1e9, info.segments, build_s, (double)size / build_s,
           size);

    double *t = malloc(proofs * sizeof(double));
    const char *target = "  (target p50 <= 50 us)";
    printf("%zu random seqs each, page cache warm, through ltl_proof() / "
           "ltl_proof_consistency()\n(a warmed handle unless said otherwise):\n",
           proofs);
    for (int keyed = 1; keyed >= 0; keyed--) {
        db = open_store(LTL_OPEN_READONLY, LTL_DURABILITY_DEFAULT, keyed);
        char what[96];
        if (keyed) {
            time_inclusion(db, size, t, proofs);
            percentiles("inclusion, signature checked, fresh handle:", t, proofs, target);
        }
        warm(db, size);
        snprintf(what, sizeof(what), "inclusion, %s:", keyed ? "signature checked" : "no key");
        double len = time_inclusion(db, size, t, proofs);
        percentiles(what, t, proofs, target);
        snprintf(what, sizeof(what), "consistency, %s:", keyed ? "signature checked" : "no key");
        time_consistency(db, size, t, proofs);
        percentiles(what, t, proofs, "");
        if (keyed)
            printf("  (an inclusion proof: %.0f bytes on average: the record, up to %d hashes, "
                   "the checkpoint)\n",
                   len, 64 - __builtin_clzll(size - 1));
        ltl_close(db);
    }

    if (checkpoints) {
        /* a store that has lived a while: one checkpoint per record appended */
        db = open_store(0, LTL_CASUAL, true);
        for (size_t i = 0; i < checkpoints; i++) {
            if ((rc = ltl_append(NULL, db, "app", g_msgs[i % POOL], MSG_LEN, 0)) ||
                (rc = ltl_checkpoint(NULL, db)))
                die("checkpoint", rc, db);
        }
        if ((rc = ltl_close(db)))
            die("close", rc, NULL);
        db = open_store(LTL_OPEN_READONLY, LTL_DURABILITY_DEFAULT, true);
        warm(db, size);
        time_inclusion(db, size, t, proofs);
        char what[96];
        snprintf(what, sizeof(what), "inclusion, %zu more checkpoints:", checkpoints);
        percentiles(what, t, proofs, target);
        ltl_close(db);
    }
    print_loadavg("at the end");
    free(t);
    nftw(g_store, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    unlink(g_key);
    unlink(ckey);
    return 0;
}
