/* SPDX-License-Identifier: MIT */
/*
 * flatten_bench.c — the in-memory half of bench/flatten: the input is read
 * into memory first, then parsed (validate only; events through the callback
 * API) and flattened (lines, json, tsv) into a sink that only counts bytes.
 * Each figure is the best of several rounds. Prints "what MB/s" lines.
 *
 * usage: flatten_bench FILE [ROUNDS]
 */
#include "ltl.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static size_t touched;

static int on_event(void *ctx, const ltl_json_event *ev)
{
    (void)ctx;
    touched += ev->path_len + ev->key_len + ev->value_len;
    return 0;
}

static int sink(void *ctx, const void *data, size_t len)
{
    (void)data;
    *(size_t *)ctx += len;
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: flatten_bench FILE [ROUNDS]\n");
        return 2;
    }
    int rounds = argc > 2 ? atoi(argv[2]) : 3;
    FILE *f = fopen(argv[1], "rb");
    if (!f) {
        perror(argv[1]);
        return 1;
    }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n);
    if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n) {
        fprintf(stderr, "cannot read %s\n", argv[1]);
        return 1;
    }
    fclose(f);
    static const struct {
        const char *name;
        int format; /* 0: parse only */
        bool events;
    } what[] = {
        {"validate", 0, false},
        {"events", 0, true},
        {"flatten-lines", LTL_JSON_FLAT_LINES, 0},
        {"flatten-json", LTL_JSON_FLAT_JSON, 0},
        {"flatten-tsv", LTL_JSON_FLAT_TSV, 0},
    };
    for (size_t w = 0; w < sizeof(what) / sizeof(what[0]); w++) {
        double best = 1e30;
        size_t out = 0;
        for (int r = 0; r < rounds; r++) {
            int rc;
            out = 0;
            double t = now();
            if (!what[w].format) {
                rc = ltl_json_parse(buf, (size_t)n, NULL, what[w].events ? on_event : NULL, NULL,
                                    NULL);
            } else {
                ltl_json_parser *p;
                rc = ltl_json_flattener_new(&p, what[w].format, NULL, sink, &out);
                if (!rc)
                    rc = ltl_json_parser_feed(p, buf, (size_t)n);
                if (!rc)
                    rc = ltl_json_parser_finish(p);
                ltl_json_parser_free(p);
            }
            t = now() - t;
            if (rc) {
                fprintf(stderr, "%s: failed (%d)\n", what[w].name, rc);
                return 1;
            }
            if (t < best)
                best = t;
        }
        printf("%s %.0f %zu\n", what[w].name, (double)n / best / 1e6, out);
    }
    free(buf);
    return 0;
}
