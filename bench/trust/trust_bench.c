/* SPDX-License-Identifier: MIT */
/*
 * trust_bench.c — what the Merkle tree costs: the leaf and node hashes
 * (the SHA256_* path the library uses and the EVP path), the hash cost an
 * append adds (leaf hash of a 250-byte body + ltl__tree_append, flushed in
 * batches), sealing a payload, then a 10 M-leaf tree.hashes built through
 * the API and random inclusion and consistency proofs at its full size
 * (p50/p90/p99). Prints figures and the targets; never asserts.
 *
 * usage: trust_bench [--leaves N] [--proofs K] DIR   (DIR: scratch space;
 * the hash file, 64 B per leaf, is deleted at the end)
 */
#include "trust/trust.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#define HS LTL__HASH_SIZE

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void die(const char *what, int rc)
{
    fprintf(stderr, "trust_bench: %s: %s: %s\n", what, ltl_strerror(rc), ltl__err_current());
    exit(1);
}

static uint64_t rng = 0x9e3779b97f4a7c15ULL;
static uint64_t next_rand(void)
{
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return rng * 0x2545f4914f6cdd1dULL;
}

/* The median of `rounds` timings of fn over n iterations, in ns per iteration. */
#define MEDIAN_NS(rounds, n, body)                                                                 \
    ({                                                                                             \
        double t_[rounds];                                                                         \
        for (int r_ = 0; r_ < (rounds); r_++) {                                                    \
            double s_ = now_ns();                                                                  \
            for (long i = 0; i < (n); i++) {                                                       \
                body;                                                                              \
            }                                                                                      \
            t_[r_] = (now_ns() - s_) / (double)(n);                                                \
        }                                                                                          \
        qsort(t_, (rounds), sizeof(double), cmp_double);                                           \
        t_[(rounds) / 2];                                                                          \
    })

static void bench_hashes(const char *dir)
{
    unsigned char body[250], out[HS], a[HS], b[HS];
    for (size_t i = 0; i < sizeof(body); i++)
        body[i] = (unsigned char)(i * 31 + 1);
    memset(a, 1, HS);
    memset(b, 2, HS);
    enum { N = 300000, R = 5 };
    int rc = 0;
    double leaf =
        MEDIAN_NS(R, N, body[0] = (unsigned char)i; rc |= ltl__hash_leaf(out, body, sizeof(body)));
    double leaf_evp = MEDIAN_NS(R, N, body[0] = (unsigned char)i;
                                rc |= ltl__hash_leaf_evp(out, body, sizeof(body)));
    double node = MEDIAN_NS(R, N, a[0] = (unsigned char)i; rc |= ltl__hash_node(out, a, b));
    double node_evp = MEDIAN_NS(R, N, a[0] = (unsigned char)i; rc |= ltl__hash_node_evp(out, a, b));
    if (rc)
        die("hash", rc);
    printf("hash implementation: %s\n", ltl__hash_impl());
    printf("leaf hash, 250-byte body:   %7.1f ns   (EVP: %7.1f ns)\n", leaf, leaf_evp);
    printf("node hash:                  %7.1f ns   (EVP: %7.1f ns)\n", node, node_evp);

    /* an append: the leaf hash of its body, then the tree append (amortized one
     * node hash), flushed every 256 appends as a group commit would */
    char path[4096];
    snprintf(path, sizeof(path), "%s/append.hashes", dir);
    static const unsigned char id[16] = {7};
    enum { APPENDS = 2000000 };
    double best = 1e30;
    for (int round = 0; round < 3; round++) {
        unlink(path);
        struct ltl__tree *t;
        if ((rc = ltl__tree_open(&t, ltl__io_real(), path, id, true)))
            die("open", rc);
        double s = now_ns();
        for (long i = 0; i < APPENDS; i++) {
            memcpy(body, &i, sizeof(i));
            if ((rc = ltl__hash_leaf(out, body, sizeof(body))) || (rc = ltl__tree_append(t, out)))
                die("append", rc);
            if ((i & 255) == 255 && (rc = ltl__tree_flush(t)))
                die("flush", rc);
        }
        if ((rc = ltl__tree_flush(t)))
            die("flush", rc);
        double per = (now_ns() - s) / APPENDS;
        if (per < best)
            best = per;
        if ((rc = ltl__tree_close(t)))
            die("close", rc);
    }
    unlink(path);
    printf("per append (leaf + tree append + 1/256 flush, best of 3 x %d): %.1f ns "
           "(target <= 500 ns)\n",
           APPENDS, best);
    printf("   the same on the EVP path, estimated (leaf + node): %.1f ns\n", leaf_evp + node_evp);

    /* sealing a 250-byte payload */
    struct ltl__read_key rk;
    struct ltl__seal_key sk;
    if ((rc = ltl__read_key_generate(&rk, "bench")) || (rc = ltl__seal_key_derive(&sk, &rk, id)))
        die("read key", rc);
    unsigned char sealed[250 + LTL__SEAL_OVERHEAD], plain[250];
    double seal = MEDIAN_NS(R, 100000, rc |= ltl__seal(sealed, &sk, "envelope", 8, body, 250, 7));
    double unseal = MEDIAN_NS(
        R, 100000, rc |= ltl__unseal(plain, &sk, "envelope", 8, sealed, sizeof(sealed), 7));
    if (rc)
        die("seal", rc);
    printf("seal 250 B (ChaCha20-Poly1305): %.1f ns, open: %.1f ns\n", seal, unseal);
    ltl__key_wipe(&rk, sizeof(rk));
    ltl__key_wipe(&sk, sizeof(sk));
}

static void percentiles(const char *what, double *t, size_t n, double target)
{
    qsort(t, n, sizeof(double), cmp_double);
    printf("%s (%zu): p50 %.1f us, p90 %.1f us, p99 %.1f us, max %.1f us", what, n, t[n / 2] / 1e3,
           t[n * 9 / 10] / 1e3, t[n * 99 / 100] / 1e3, t[n - 1] / 1e3);
    if (target > 0)
        printf(" (target p50 <= %.0f us)", target);
    printf("\n");
}

static void bench_big_tree(const char *dir, uint64_t leaves, size_t proofs)
{
    struct statvfs vfs;
    uint64_t need = LTL__TREE_HEADER_SIZE + ltl__tree_entries(leaves) * HS;
    if (statvfs(dir, &vfs) == 0 &&
        (uint64_t)vfs.f_bavail * vfs.f_frsize < need + ((uint64_t)2 << 30)) {
        printf("big tree: skipped, %" PRIu64 " MB needed plus 2 GB to spare, %" PRIu64 " MB free\n",
               need >> 20, ((uint64_t)vfs.f_bavail * vfs.f_frsize) >> 20);
        return;
    }
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s", dir, LTL__TREE_FILE);
    static const unsigned char id[16] = {8};
    struct ltl__tree *t;
    int rc;
    unlink(path);
    if ((rc = ltl__tree_open(&t, ltl__io_real(), path, id, true)))
        die("open", rc);
    double s = now_ns();
    unsigned char leaf[HS];
    for (uint64_t i = 0; i < leaves; i++) {
        if ((rc = ltl__hash_leaf(leaf, &i, sizeof(i))) || (rc = ltl__tree_append(t, leaf)))
            die("append", rc);
        if ((i & 4095) == 4095 && (rc = ltl__tree_flush(t)))
            die("flush", rc);
    }
    if ((rc = ltl__tree_sync(t)) || (rc = ltl__tree_close(t)))
        die("sync", rc);
    double build = (now_ns() - s) / 1e9;
    printf("built a %" PRIu64 "-leaf tree.hashes (%.0f MB) in %.1f s (%.0f ns per leaf)\n", leaves,
           (double)need / 1e6, build, build * 1e9 / (double)leaves);

    /* a reader, as `ltl proof` would open it */
    s = now_ns();
    if ((rc = ltl__tree_open(&t, ltl__io_real(), path, id, false)))
        die("open", rc);
    printf("open read-only: %.1f us\n", (now_ns() - s) / 1e3);
    unsigned char root[HS];
    s = now_ns();
    if ((rc = ltl__tree_root(root, t, leaves)))
        die("root", rc);
    printf("root of %" PRIu64 " leaves: %.1f us\n", leaves, (now_ns() - s) / 1e3);

    double *times = malloc(proofs * sizeof(double));
    struct ltl__proof p;
    size_t bad = 0;
    for (size_t k = 0; k < proofs; k++) {
        uint64_t i = next_rand() % leaves;
        double t0 = now_ns();
        rc = ltl__tree_inclusion(&p, t, i, leaves);
        times[k] = now_ns() - t0;
        if (rc)
            die("inclusion", rc);
        if (k % 97 == 0) {
            if ((rc = ltl__hash_leaf(leaf, &i, sizeof(i))))
                die("hash", rc);
            bad += ltl__verify_inclusion(leaf, i, leaves, (const unsigned char(*)[HS])p.hash,
                                         p.count, root) != LTL_OK;
        }
    }
    percentiles("inclusion proof at a random index, full size", times, proofs, 50);
    for (size_t k = 0; k < proofs / 4; k++) {
        uint64_t n = 1 + next_rand() % leaves, i = next_rand() % n;
        double t0 = now_ns();
        rc = ltl__tree_inclusion(&p, t, i, n);
        times[k] = now_ns() - t0;
        if (rc)
            die("inclusion", rc);
    }
    percentiles("inclusion proof at a random index and size", times, proofs / 4, 0);
    for (size_t k = 0; k < proofs / 4; k++) {
        uint64_t m = next_rand() % leaves;
        double t0 = now_ns();
        rc = ltl__tree_consistency(&p, t, m, leaves);
        times[k] = now_ns() - t0;
        if (rc)
            die("consistency", rc);
        if (k % 97 == 0) {
            unsigned char old_root[HS];
            if ((rc = ltl__tree_root(old_root, t, m)))
                die("root", rc);
            bad += ltl__verify_consistency(m, leaves, old_root, root,
                                           (const unsigned char(*)[HS])p.hash, p.count) != LTL_OK;
        }
    }
    percentiles("consistency proof from a random size", times, proofs / 4, 0);
    printf("proofs checked with the verifiers: %s\n", bad ? "FAILURES" : "all valid");
    free(times);
    if ((rc = ltl__tree_close(t)))
        die("close", rc);
    unlink(path);
}

int main(int argc, char **argv)
{
    uint64_t leaves = 10000000;
    size_t proofs = 100000;
    const char *dir = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--leaves") == 0 && i + 1 < argc)
            leaves = strtoull(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--proofs") == 0 && i + 1 < argc)
            proofs = strtoull(argv[++i], NULL, 10);
        else if (argv[i][0] != '-' && !dir)
            dir = argv[i];
        else {
            fprintf(stderr, "usage: trust_bench [--leaves N] [--proofs K] DIR\n");
            return 2;
        }
    }
    if (!dir || leaves == 0 || proofs < 4) {
        fprintf(stderr, "usage: trust_bench [--leaves N] [--proofs K] DIR\n");
        return 2;
    }
    bench_hashes(dir);
    bench_big_tree(dir, leaves, proofs);
    return 0;
}
