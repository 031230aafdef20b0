/* SPDX-License-Identifier: MIT */
/*
 * trust_tool.c — prints what the trust module makes, as text, for the
 * independent Python verifier (verify_proofs.py) to check: a tree of N
 * leaves built through tree.hashes, its roots, inclusion and consistency
 * proofs, a key pair, a signed checkpoint, tlog-proof and consistency
 * proof texts, a read key and records sealed with it.
 *
 *   trust_tool tree DIR N SEED    leaf i is the body "leaf <SEED> <i>"
 *   trust_tool seal SEED          a read key and sealed records
 *
 * Output lines are "<kind> <fields...>"; texts with newlines are base64.
 */
#include "trust/trust.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HS LTL__HASH_SIZE

static void check(int rc, const char *what)
{
    if (rc) {
        fprintf(stderr, "trust_tool: %s: %s: %s\n", what, ltl_strerror(rc), ltl__err_current());
        exit(1);
    }
}

static void print_hex(const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        printf("%02x", p[i]);
}

static void print_proof(const struct ltl__proof *p)
{
    for (size_t i = 0; i < p->count; i++) {
        putchar(' ');
        print_hex(p->hash[i], HS);
    }
    putchar('\n');
}

static void print_b64(const char *kind, const char *prefix, const void *data, size_t len)
{
    ltl__buf b = {0};
    check(ltl__base64_encode(&b, data, len), "base64");
    printf("%s%s %s\n", kind, prefix, b.len ? b.data : "");
    ltl__buf_free(&b);
}

static uint64_t rng;
static uint64_t next_rand(void)
{
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return rng * 0x2545f4914f6cdd1dULL;
}

static int cmd_tree(const char *dir, uint64_t n, unsigned seed)
{
    static const unsigned char id[16] = {0x11, 0x22, 0x33};
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s", dir, LTL__TREE_FILE);
    struct ltl__tree *t;
    check(ltl__tree_open(&t, ltl__io_real(), path, id, true), "open");
    rng = 0x9e3779b97f4a7c15ULL ^ seed;
    for (uint64_t i = 0; i < n; i++) {
        char body[64];
        int len = snprintf(body, sizeof(body), "leaf %u %" PRIu64, seed, i);
        unsigned char leaf[HS];
        check(ltl__hash_leaf(leaf, body, (size_t)len), "hash");
        check(ltl__tree_append(t, leaf), "append");
        if (next_rand() % 5 == 0)
            check(ltl__tree_flush(t), "flush");
    }
    check(ltl__tree_sync(t), "sync");
    unsigned char root[HS];
    struct ltl__proof p;
    /* every size and index up to 33 leaves, a sample beyond */
    for (uint64_t size = 0; size <= n; size++) {
        bool all = size <= 33;
        if (!all && size != n && next_rand() % 8 != 0)
            continue;
        check(ltl__tree_root(root, t, size), "root");
        printf("root %" PRIu64 " ", size);
        print_hex(root, HS);
        putchar('\n');
        for (uint64_t i = 0; i < size; i++) {
            if (!all && next_rand() % 16 != 0 && i != size - 1)
                continue;
            check(ltl__tree_inclusion(&p, t, i, size), "inclusion");
            printf("incl %" PRIu64 " %" PRIu64, i, size);
            print_proof(&p);
        }
        for (uint64_t m = 0; m <= size; m++) {
            if (!all && next_rand() % 16 != 0 && m != 1)
                continue;
            check(ltl__tree_consistency(&p, t, m, size), "consistency");
            printf("cons %" PRIu64 " %" PRIu64, m, size);
            print_proof(&p);
        }
    }

    /* a key pair, a signed checkpoint at n, and proof texts against it */
    char name[64];
    snprintf(name, sizeof(name), "example.com/ltl-test-%u", seed);
    struct ltl__write_key wk;
    struct ltl__check_key ck;
    check(ltl__write_key_generate(&wk, name), "keygen");
    ltl__write_key_public(&ck, &wk);
    ltl__buf text = {0}, cp = {0}, proof = {0};
    check(ltl__write_key_format(&text, &wk), "format");
    printf("key-write %s\n", text.data);
    text.len = 0;
    check(ltl__check_key_format(&text, &ck), "format");
    printf("key-check %s\n", text.data);
    struct ltl__checkpoint c = {.size = n};
    ltl__origin_default(c.origin, id);
    check(ltl__tree_root(c.root, t, n), "root");
    check(ltl__checkpoint_format(&cp, &c, &wk), "checkpoint");
    print_b64("checkpoint", "", cp.data, cp.len);
    text.len = 0;
    check(ltl__checkpoint_format(&text, &c, NULL), "checkpoint");
    print_b64("checkpoint-unsigned", "", text.data, text.len);
    text.len = 0;
    check(ltl__note_sign(&text, "a note\nof two lines\n", 20, &wk), "sign");
    print_b64("note", "", text.data, text.len);
    for (int k = 0; k < 8 && n > 0; k++) {
        uint64_t i = next_rand() % n;
        check(ltl__tree_inclusion(&p, t, i, n), "inclusion");
        proof.len = 0;
        check(ltl__tlog_proof_format(&proof, i, &p, cp.data, cp.len, k % 2 ? "x" : NULL, 1),
              "tlog-proof");
        print_b64("tlog-proof", "", proof.data, proof.len);
        uint64_t m = next_rand() % (n + 1);
        check(ltl__tree_consistency(&p, t, m, n), "consistency");
        proof.len = 0;
        check(ltl__consistency_proof_format(&proof, m, &p, cp.data, cp.len), "consistency text");
        print_b64("consistency-proof", "", proof.data, proof.len);
    }
    ltl__key_wipe(&wk, sizeof(wk));
    ltl__key_wipe(text.data, text.cap);
    ltl__buf_free(&text);
    ltl__buf_free(&cp);
    ltl__buf_free(&proof);
    check(ltl__tree_close(t), "close");
    return 0;
}

static int cmd_seal(unsigned seed)
{
    unsigned char id[16];
    rng = 0x51ed5eedULL ^ seed;
    for (int i = 0; i < 16; i++)
        id[i] = (unsigned char)next_rand();
    struct ltl__read_key rk;
    struct ltl__seal_key sk;
    check(ltl__read_key_generate(&rk, "reader"), "read key");
    check(ltl__seal_key_derive(&sk, &rk, id), "derive");
    ltl__buf text = {0};
    check(ltl__read_key_format(&text, &rk), "format");
    printf("read-key %s\nstore-id ", text.data);
    print_hex(id, 16);
    putchar('\n');
    for (int k = 0; k < 6; k++) {
        uint64_t seq = k == 5 ? ((uint64_t)1 << 48) + 5 : next_rand() % 100000;
        unsigned char aad[40], pt[300], sealed[300 + LTL__SEAL_OVERHEAD];
        size_t aad_len = 1 + next_rand() % sizeof(aad), len = (size_t)(next_rand() % 300);
        for (size_t i = 0; i < aad_len; i++)
            aad[i] = (unsigned char)next_rand();
        for (size_t i = 0; i < len; i++)
            pt[i] = (unsigned char)next_rand();
        check(ltl__seal(sealed, &sk, aad, aad_len, pt, len, seq), "seal");
        printf("sealed %" PRIu64 " ", seq);
        print_hex(aad, aad_len);
        putchar(' ');
        print_hex(pt, len);
        printf("%s ", len ? "" : "-");
        print_hex(sealed, len + LTL__SEAL_OVERHEAD);
        putchar('\n');
    }
    ltl__key_wipe(text.data, text.cap);
    ltl__buf_free(&text);
    ltl__key_wipe(&rk, sizeof(rk));
    ltl__key_wipe(&sk, sizeof(sk));
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 5 && strcmp(argv[1], "tree") == 0)
        return cmd_tree(argv[2], strtoull(argv[3], NULL, 10), (unsigned)atoi(argv[4]));
    if (argc == 3 && strcmp(argv[1], "seal") == 0)
        return cmd_seal((unsigned)atoi(argv[2]));
    fprintf(stderr, "usage: trust_tool tree DIR N SEED | trust_tool seal SEED\n");
    return 2;
}
