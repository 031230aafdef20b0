/* SPDX-License-Identifier: MIT */
/*
 * ns_bench.c — the namespace's speed and memory (issue 6), printed, never
 * asserted:
 *   - Zipf (s = 1) over a million lookups of /seq/N.json/a/b/c with the
 *     cache at a bound: the bound, the cache's peak bytes, peak RSS;
 *   - uncached lookups of /seq/N.json/a/b/c (each N for the first time):
 *     p50, p99 (target: 20 us);
 *   - cached lookups of the same paths: p50, p99 (target: 300 ns);
 *   - the peer, in the same run: the way a user would get the value
 *     otherwise, `ltl cat --from N --to N --format raw | jq -c .a.b.c`, for
 *     lookups of the Zipf sequence (checked to give the same values), and
 *     `ltl get` as a process for scale.
 *
 * usage: ns_bench gen DIR RECORDS
 *        ns_bench run DIR LTL_BINARY [--lookups N] [--bound BYTES] [--peer K]
 */
#include "ltl.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

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

static double pct(double *v, size_t n, double p)
{
    qsort(v, n, sizeof(*v), cmp_double);
    size_t i = (size_t)(p * (double)(n - 1) + 0.5);
    return v[i];
}

static long rss_kib(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

static long rss_now_kib(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    long pages = 0, resident = 0;
    if (f) {
        if (fscanf(f, "%ld %ld", &pages, &resident) != 2)
            resident = 0;
        fclose(f);
    }
    return resident * 4;
}

static void die(const char *what, int rc, const char *msg)
{
    fprintf(stderr, "ns_bench: %s: %s: %s\n", what, ltl_strerror(rc), msg);
    exit(1);
}

/* ---- data ------------------------------------------------------------------------- */

static int gen(const char *dir, uint64_t records)
{
    ltl_options opts = LTL_OPTIONS_INIT;
    opts.flags = LTL_OPEN_CREATE | LTL_OPEN_NO_ENV;
    opts.durability = LTL_CASUAL;
    opts.config = "index.enabled=off";
    ltl_db *db = NULL;
    int rc = ltl_open(&db, dir, &opts);
    if (rc)
        die("open", rc, ltl_errmsg(db));
    enum { BATCH = 1000 };
    static char text[BATCH][256];
    static ltl_msg msgs[BATCH];
    double t0 = now_ns();
    for (uint64_t i = 0; i < records; i += BATCH) {
        size_t n = records - i < BATCH ? (size_t)(records - i) : BATCH;
        for (size_t k = 0; k < n; k++) {
            uint64_t id = i + k;
            int len =
                snprintf(text[k], sizeof(text[k]),
                         "{\"id\":%" PRIu64 ",\"user\":{\"name\":\"user%" PRIu64
                         "\",\"tags\":[\"x\",\"y\"]},\"a\":{\"b\":{\"c\":%" PRIu64
                         "},\"d\":\"%016" PRIx64 "\"},\"status\":%d,\"msg\":\"event "
                         "number %" PRIu64 " of the benchmark\"}",
                         id, id % 1000, id * 7, id * 2654435761u, 200 + (int)(id % 5) * 100, id);
            msgs[k] = (ltl_msg){"bench", text[k], (size_t)len, LTL_APPEND_JSON};
        }
        if ((rc = ltl_append_batch(NULL, db, msgs, n)))
            die("append", rc, ltl_errmsg(db));
    }
    if ((rc = ltl_sync(db)) || (rc = ltl_close(db)))
        die("close", rc, "");
    printf("generated %" PRIu64 " records in %.1f s\n", records, (now_ns() - t0) / 1e9);
    return 0;
}

/* ---- lookups --------------------------------------------------------------------- */

static char path_buf[64];

static const char *path_of(uint64_t seq)
{
    snprintf(path_buf, sizeof(path_buf), "/seq/%" PRIu64 ".json/a/b/c", seq);
    return path_buf;
}

/* One lookup of the benchmark: resolve, touch the data, release. Returns the value. */
static long lookup(ltl_ns *ns, const char *path)
{
    ltl_ns_node *node = NULL;
    int rc = ltl_ns_lookup(&node, ns, path);
    if (rc)
        die(path, rc, ltl_ns_errmsg(ns));
    const void *data;
    size_t len;
    if (ltl_ns_node_data(&data, &len, node))
        die(path, LTL_EINVAL, "no data");
    long v = strtol(data, NULL, 10);
    ltl_ns_node_release(node);
    return v;
}

static ltl_ns *ns_open(ltl_db *db, uint64_t bound)
{
    ltl_ns_options o = LTL_NS_OPTIONS_INIT;
    o.cache_bytes = bound;
    o.flags = LTL_NS_NO_PLUGINS;
    ltl_ns *ns = NULL;
    int rc = ltl_ns_open(&ns, db, &o);
    if (rc)
        die("ltl_ns_open", rc, ltl_ns_errmsg(ns));
    return ns;
}

/* xorshift64* */
static uint64_t rng_state = 0x9E3779B97F4A7C15ULL;
static uint64_t rnd(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 2685821657736338717ULL;
}

/* Zipf(s) ranks 1..n through the inverse of the CDF (a table of n doubles). */
struct zipf {
    double *cdf;
    uint64_t n;
};

static void zipf_init(struct zipf *z, uint64_t n, double s)
{
    z->n = n;
    z->cdf = malloc(n * sizeof(double));
    double sum = 0;
    for (uint64_t k = 1; k <= n; k++) {
        sum += 1.0 / pow((double)k, s);
        z->cdf[k - 1] = sum;
    }
    for (uint64_t k = 0; k < n; k++)
        z->cdf[k] /= sum;
}

static uint64_t zipf_next(const struct zipf *z)
{
    double u = (double)(rnd() >> 11) / 9007199254740992.0;
    uint64_t lo = 0, hi = z->n - 1;
    while (lo < hi) {
        uint64_t mid = (lo + hi) / 2;
        if (z->cdf[mid] < u)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo; /* rank - 1 */
}

int main(int argc, char **argv)
{
    if (argc >= 4 && strcmp(argv[1], "gen") == 0)
        return gen(argv[2], strtoull(argv[3], NULL, 10));
    if (argc < 4 || strcmp(argv[1], "run") != 0) {
        fprintf(stderr, "usage: ns_bench gen DIR RECORDS\n"
                        "       ns_bench run DIR LTL [--lookups N] [--bound BYTES] [--peer K]\n");
        return 2;
    }
    const char *dir = argv[2], *ltl_bin = argv[3];
    uint64_t lookups = 1000000, bound = 16u << 20, peer = 200;
    for (int i = 4; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--lookups") == 0)
            lookups = strtoull(argv[i + 1], NULL, 10);
        else if (strcmp(argv[i], "--bound") == 0)
            bound = strtoull(argv[i + 1], NULL, 10);
        else if (strcmp(argv[i], "--peer") == 0)
            peer = strtoull(argv[i + 1], NULL, 10);
    }
    ltl_options opts = LTL_OPTIONS_INIT;
    opts.flags = LTL_OPEN_READONLY | LTL_OPEN_NO_ENV;
    ltl_db *db = NULL;
    int rc = ltl_open(&db, dir, &opts);
    if (rc)
        die("open", rc, ltl_errmsg(db));
    ltl_info info;
    if ((rc = ltl_stat(&info, db)))
        die("stat", rc, ltl_errmsg(db));
    uint64_t records = info.records - 1; /* seq 0 is the manifest: data is 1..records */
    /* warm the store's own indexes (segment offsets) and the page cache: the
     * namespace is measured, not the first read of each segment */
    {
        ltl_cursor *cur;
        const ltl_record *r;
        if (ltl_cursor_open(&cur, db, NULL) == LTL_OK) {
            while (ltl_cursor_next(&r, cur) == LTL_OK) {
            }
            ltl_cursor_close(cur);
        }
        ltl_record *rec;
        if (ltl_get(&rec, db, records) == LTL_OK)
            ltl_record_free(rec);
    }
    double t_clock = now_ns();
    for (int i = 0; i < 1000000; i++)
        (void)now_ns();
    t_clock = (now_ns() - t_clock) / 1e6;
    printf("store: %" PRIu64 " records (%.0f MiB of log), read-only handle; clock_gettime costs "
           "%.0f ns\n",
           records, (double)info.log_bytes / 1048576.0, t_clock);
    long rss_base = rss_now_kib();

    /* ---- Zipf under the bound --------------------------------------------------- */
    struct zipf z;
    zipf_init(&z, records, 1.0);
    uint64_t *seq_of = malloc(lookups * sizeof(*seq_of));
    const uint64_t mult = 0x9E3779B97F4A7C15ULL | 1; /* rank -> seq: spread the hot ranks */
    for (uint64_t i = 0; i < lookups; i++)
        seq_of[i] = 1 + (zipf_next(&z) * mult) % records;
    ltl_ns *ns = ns_open(db, bound);
    double *lat = malloc(lookups * sizeof(double));
    double t0 = now_ns();
    for (uint64_t i = 0; i < lookups; i++) {
        double a = now_ns();
        long v = lookup(ns, path_of(seq_of[i]));
        lat[i] = now_ns() - a;
        if (v != (long)(seq_of[i] - 1) * 7)
            die(path_of(seq_of[i]), LTL_EINVAL, "wrong value");
    }
    double zipf_s = (now_ns() - t0) / 1e9;
    ltl_ns_stats zs;
    ltl_ns_stats_read(&zs, ns);
    long rss_zipf = rss_kib();
    double z50 = pct(lat, lookups, 0.50), z99 = pct(lat, lookups, 0.99);
    printf("\nZipf s=1 over %" PRIu64 " records, %" PRIu64 " lookups of /seq/N.json/a/b/c:\n",
           records, lookups);
    printf("  %.2f s, %.0f lookups/s; p50 %.0f ns, p99 %.0f ns\n", zipf_s, (double)lookups / zipf_s,
           z50, z99);
    printf("  segments from the cache %.1f%%; frames produced %" PRIu64 ", evicted %" PRIu64 "\n",
           100.0 * (double)zs.hits / (double)(zs.hits + zs.misses), zs.produced, zs.evictions);
    printf("  cache bound %.1f MiB; cache bytes: peak %.2f MiB, at the end %.2f MiB (%" PRIu64
           " frames)   (target: peak held at the bound; peak/bound %.3f)\n",
           (double)zs.bound / 1048576.0, (double)zs.peak_bytes / 1048576.0,
           (double)zs.bytes / 1048576.0, zs.frames, (double)zs.peak_bytes / (double)zs.bound);
    printf("  RSS: %.1f MiB after opening the store, peak %.1f MiB after the Zipf run\n",
           rss_base / 1024.0, rss_zipf / 1024.0);
    ltl_ns_close(ns);

    /* ---- uncached, then cached ------------------------------------------------------ */
    enum { UNCACHED = 20000, HOT = 1024 };
    uint64_t n_unc = records < UNCACHED ? records : UNCACHED;
    uint64_t *seqs = malloc(n_unc * sizeof(*seqs));
    for (uint64_t i = 0; i < n_unc; i++)
        seqs[i] = 1 + (i * 2654435761u + 12345) % records; /* distinct while n_unc < records */
    ns = ns_open(db, 1ull << 30);
    for (uint64_t i = 0; i < n_unc; i++) {
        double a = now_ns();
        (void)lookup(ns, path_of(seqs[i]));
        lat[i] = now_ns() - a;
    }
    double u50 = pct(lat, n_unc, 0.50), u99 = pct(lat, n_unc, 0.99);
    ltl_ns_stats before, after;
    ltl_ns_stats_read(&before, ns);
    uint64_t hot = n_unc < HOT ? n_unc : HOT, reps = 1000000;
    for (uint64_t i = 0; i < reps; i++) {
        const char *p = path_of(seqs[i % hot]);
        double a = now_ns();
        (void)lookup(ns, p);
        lat[i % lookups] = now_ns() - a;
    }
    uint64_t nlat = reps < lookups ? reps : lookups;
    double c50 = pct(lat, nlat, 0.50), c99 = pct(lat, nlat, 0.99);
    t0 = now_ns();
    for (uint64_t i = 0; i < reps; i++)
        (void)lookup(ns, path_of(seqs[i % hot]));
    double c_mean = (now_ns() - t0) / (double)reps;
    ltl_ns_stats_read(&after, ns);
    printf("\nuncached /seq/N.json/a/b/c (%" PRIu64 " distinct N, each the first time; the log "
           "in the page cache):\n  p50 %.2f us, p99 %.2f us   (target p50 <= 20 us)\n",
           n_unc, u50 / 1000, u99 / 1000);
    printf("cached /seq/N.json/a/b/c (%" PRIu64 " paths in turn, %" PRIu64
           " lookups; lookup + data + release):\n  p50 %.0f ns, p99 %.0f ns timed one by one "
           "(each with one clock read); %.0f ns mean of a loop   (target p50 <= 300 ns)\n"
           "  frames produced meanwhile: %" PRIu64 "\n",
           hot, reps, c50, c99, c_mean, after.produced - before.produced);
    ltl_ns_close(ns);

    /* ---- the peers ------------------------------------------------------------------ */
    if (peer > lookups)
        peer = lookups;
    ns = ns_open(db, bound);
    double t_peer = 0, t_get = 0;
    uint64_t mismatches = 0;
    char cmd[1024], out[128];
    for (uint64_t i = 0; i < peer; i++) {
        uint64_t seq = seq_of[i];
        long want = lookup(ns, path_of(seq));
        snprintf(cmd, sizeof(cmd),
                 "'%s' --store '%s' cat --from %" PRIu64 " --to %" PRIu64
                 " --format raw | jq -c .a.b.c",
                 ltl_bin, dir, seq, seq);
        double a = now_ns();
        FILE *p = popen(cmd, "r");
        out[0] = '\0';
        if (!p || !fgets(out, sizeof(out), p))
            mismatches++;
        if (p)
            pclose(p);
        t_peer += now_ns() - a;
        if (strtol(out, NULL, 10) != want)
            mismatches++;
        snprintf(cmd, sizeof(cmd), "'%s' --store '%s' get %s", ltl_bin, dir, path_of(seq));
        a = now_ns();
        p = popen(cmd, "r");
        out[0] = '\0';
        if (!p || !fgets(out, sizeof(out), p))
            mismatches++;
        if (p)
            pclose(p);
        t_get += now_ns() - a;
        if (strtol(out, NULL, 10) != want)
            mismatches++;
    }
    ltl_ns_close(ns);
    double peer_us = t_peer / (double)peer / 1000, get_us = t_get / (double)peer / 1000;
    printf("\npeer: 'ltl cat --from N --to N --format raw | jq -c .a.b.c', %" PRIu64
           " lookups of the Zipf sequence (values %s):\n",
           peer, mismatches ? "DIFFER" : "the same as the namespace's");
    printf("  %.0f us per lookup; 'ltl get PATH' as a process: %.0f us\n", peer_us, get_us);
    printf("  ratio peer / namespace: %.0fx the uncached p50, %.0fx the cached p50, %.0fx the "
           "Zipf p50\n",
           peer_us * 1000 / u50, peer_us * 1000 / c50, peer_us * 1000 / z50);
    free(seqs);
    free(seq_of);
    free(lat);
    free(z.cdf);
    ltl_close(db);
    return mismatches ? 1 : 0;
}
