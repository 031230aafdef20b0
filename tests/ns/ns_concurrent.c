/* SPDX-License-Identifier: MIT */
/*
 * ns_concurrent.c — lookups from several threads while another appends,
 * built with ThreadSanitizer (tests/ns/CMakeLists.txt): readers walk
 * /seq/N.json/... of records that exist, list /seq/ (which must only
 * grow), look up seqs past the end (misses, cached and re-checked), while
 * the cache is kept tiny so that eviction, re-syncs and grace periods run
 * all the time; midway a module is registered (the cache is flushed under
 * the readers) and a union is bound. Each value read is checked against
 * what the record must hold. Exit 0 when all held and TSan saw no race.
 */
#include "ltl.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define RECORDS 1500
#define READERS 3

static ltl_db *db;
static ltl_ns *ns;
static atomic_uint_fast64_t appended_end; /* every seq below has been appended */
static atomic_int done, failures;

#define CHECK(cond, ...)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "ns_concurrent: " __VA_ARGS__);                                        \
            fputc('\n', stderr);                                                                   \
            atomic_fetch_add(&failures, 1);                                                        \
        }                                                                                          \
    } while (0)

static int count_entry(void *ctx, const char *name, int kind)
{
    (void)name;
    (void)kind;
    (*(uint64_t *)ctx)++;
    return 0;
}

static long read_long(const char *path, int *rc)
{
    void *data = NULL;
    size_t len;
    *rc = ltl_ns_read(&data, &len, ns, path);
    long v = *rc == LTL_OK ? strtol(data, NULL, 10) : -1;
    ltl_free(data);
    return v;
}

static void *reader(void *arg)
{
    unsigned seed = (unsigned)(uintptr_t)arg;
    uint64_t last_listed = 0, lookups = 0;
    char path[128];
    while (!atomic_load(&done) || lookups < 2000) {
        uint64_t end = atomic_load(&appended_end);
        if (end < 2) {
            if (atomic_load(&done))
                break; /* the appender failed: main says so */
            continue;
        }
        uint64_t seq = 1 + (uint64_t)rand_r(&seed) % (end - 1);
        int rc;
        /* data records carry i and a.b.c == 7 * i; manifests have no "i" */
        snprintf(path, sizeof(path), "/seq/%" PRIu64 ".json/i", seq);
        long i = read_long(path, &rc);
        if (rc == LTL_OK) {
            snprintf(path, sizeof(path), "/seq/%" PRIu64 ".json/a/b/c", seq);
            long c = read_long(path, &rc);
            CHECK(rc == LTL_OK && c == 7 * i, "%s: rc %d, %ld != 7 * %ld", path, rc, c, i);
        } else {
            CHECK(rc == LTL_ENOTFOUND || rc == LTL_EINVAL, "%s: %s: %s", path, ltl_strerror(rc),
                  ltl_ns_errmsg(ns));
        }
        switch (lookups % 8) {
        case 0: {
            uint64_t n = 0;
            rc = ltl_ns_list(ns, "/seq/", count_entry, &n);
            CHECK(rc == LTL_OK && n >= last_listed && n >= end,
                  "/seq/ listed %" PRIu64 " after %" PRIu64 " (end %" PRIu64 ")", n, last_listed,
                  end);
            last_listed = n;
            break;
        }
        case 1:
            snprintf(path, sizeof(path), "/seq/%" PRIu64, end + 100000);
            (void)read_long(path, &rc);
            CHECK(rc == LTL_ENOTFOUND, "%s: %d", path, rc);
            break;
        case 2: {
            ltl_ns_node *node = NULL;
            snprintf(path, sizeof(path), "/seq/%" PRIu64 ".json/a", seq);
            rc = ltl_ns_lookup(&node, ns, path);
            if (rc == LTL_OK) {
                uint64_t n = 0;
                CHECK(ltl_ns_node_list(node, count_entry, &n) == LTL_OK && n == 1,
                      "%s lists %" PRIu64, path, n);
            }
            ltl_ns_node_release(node);
            break;
        }
        case 3: {
            uint64_t n = 0;
            rc = ltl_ns_list(ns, "/topics/t/", count_entry, &n);
            CHECK(rc == LTL_OK, "/topics/t/: %s", ltl_ns_errmsg(ns));
            break;
        }
        default:
            break;
        }
        lookups++;
    }
    return NULL;
}

static int up(void *ctx, ltl_ns_sink *out, const void *data, size_t len)
{
    (void)ctx;
    return out->write(out, data, len);
}

static const ltl_module_v1 same = {LTL_MODULE_VERSION, "same", "", NULL, up, NULL, NULL, NULL};

int main(void)
{
    char dir[] = "/tmp/ltl-ns-concurrent-XXXXXX";
    if (!mkdtemp(dir))
        return 1;
    ltl_options opts = LTL_OPTIONS_INIT;
    opts.flags = LTL_OPEN_CREATE | LTL_OPEN_NO_ENV;
    opts.durability = LTL_CASUAL;
    opts.config = "index.enabled=off";
    int rc = ltl_open(&db, dir, &opts);
    if (rc) {
        fprintf(stderr, "open: %s\n", ltl_errmsg(db));
        return 1;
    }
    ltl_ns_options no = LTL_NS_OPTIONS_INIT;
    no.cache_bytes = 16 << 10; /* tiny: eviction and grace periods all the time */
    no.flags = LTL_NS_NO_PLUGINS;
    if ((rc = ltl_ns_open(&ns, db, &no))) {
        fprintf(stderr, "ns: %s\n", ltl_ns_errmsg(ns));
        return 1;
    }
    pthread_t readers[READERS];
    for (uintptr_t r = 0; r < READERS; r++)
        pthread_create(&readers[r], NULL, reader, (void *)(r + 1));
    char msg[128];
    for (int i = 0; i < RECORDS; i++) {
        snprintf(msg, sizeof(msg), "{\"i\":%d,\"a\":{\"b\":{\"c\":%d}}}", i, 7 * i);
        uint64_t seq;
        if ((rc = ltl_append(&seq, db, "t", msg, strlen(msg), LTL_APPEND_JSON))) {
            fprintf(stderr, "append: %s\n", ltl_errmsg(db));
            atomic_fetch_add(&failures, 1);
            break;
        }
        atomic_store(&appended_end, seq + 1);
        if (i == RECORDS / 3 && ltl_ns_register(ns, "/", &same) != LTL_OK)
            CHECK(0, "register: %s", ltl_ns_errmsg(ns));
        if (i == 2 * RECORDS / 3 &&
            ltl_ns_bind(ns, "/query", NULL, "/topics", LTL_NS_BIND_AFTER) != LTL_OK)
            CHECK(0, "bind: %s", ltl_ns_errmsg(ns));
    }
    atomic_store(&done, 1);
    for (int r = 0; r < READERS; r++)
        pthread_join(readers[r], NULL);
    ltl_ns_stats st;
    ltl_ns_stats_read(&st, ns);
    printf("lookups %" PRIu64 ", hits %" PRIu64 ", misses %" PRIu64 ", produced %" PRIu64
           ", negative hits %" PRIu64 ", resyncs %" PRIu64 ", evictions %" PRIu64 ", peak %" PRIu64
           " bytes (bound %" PRIu64 ")\n",
           st.lookups, st.hits, st.misses, st.produced, st.negative_hits, st.resyncs, st.evictions,
           st.peak_bytes, st.bound);
    CHECK(st.evictions > 0 && st.resyncs > 0, "the run did not exercise eviction and re-sync");
    ltl_ns_close(ns);
    ltl_close(db);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
    int f = atomic_load(&failures);
    if (f)
        fprintf(stderr, "ns_concurrent: %d checks failed\n", f);
    return f ? 1 : 0;
}
