/* SPDX-License-Identifier: MIT */
/*
 * test_trust_tree.c — the Merkle tree: leaf and node hashes, the compact
 * range, the stored hash index tree.hashes (roots, inclusion and
 * consistency proofs at every size against the Certificate Transparency
 * reference vectors and a naive recursive implementation of RFC 6962),
 * the pure verifiers and what tampering does to them, torn and garbled
 * tails, truncation, I/O faults, allocation failures, and readers running
 * beside the writer.
 */
#include "testutil.h"

#include "io/io.h"
#include "trust/trust.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define HS LTL__HASH_SIZE

static const unsigned char store_id[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};

static void unhex(unsigned char *out, const char *hex)
{
    size_t n = strlen(hex) / 2;
    for (size_t i = 0; i < n; i++) {
        unsigned v;
        sscanf(hex + 2 * i, "%2x", &v);
        out[i] = (unsigned char)v;
    }
}

static void assert_hash_hex(const unsigned char *h, const char *hex)
{
    unsigned char want[HS];
    unhex(want, hex);
    assert_memory_equal(h, want, HS);
}

/* ---- the Certificate Transparency reference vectors ------------------------
 * From github.com/transparency-dev/merkle proof/verify_test.go (the same
 * set as google/certificate-transparency's merkle_tree_test.cc): leaf data,
 * roots of the trees of sizes 1..8, inclusion proofs (leaf numbers there are
 * 1-based), consistency proofs. */

static const char *const ct_leaves[] = {
    "",
    "00",
    "10",
    "2021",
    "3031",
    "40414243",
    "5051525354555657",
    "606162636465666768696a6b6c6d6e6f",
};

static const char *const ct_roots[] = {
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", /* size 0: SHA-256("") */
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
};

struct ct_vector {
    uint64_t a, b; /* inclusion: 1-based leaf, size; consistency: size1, size2 */
    size_t n;
    const char *proof[3];
};

static const struct ct_vector ct_inclusion[] = {
    {1,
     8,
     3,
     {"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
      "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"}},
    {6,
     8,
     3,
     {"bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
      "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
      "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
    {3, 3, 1, {"fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"}},
    {2,
     5,
     3,
     {"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
      "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"}},
};

static const struct ct_vector ct_consistency[] = {
    {1, 1, 0, {NULL}},
    {1,
     8,
     3,
     {"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
      "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"}},
    {6,
     8,
     3,
     {"0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
      "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
      "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
    {2,
     5,
     2,
     {"5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"}},
    {6,
     7,
     3,
     {"0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
      "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
      "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
};

static void ct_leaf_hashes(unsigned char out[8][HS])
{
    for (int i = 0; i < 8; i++) {
        unsigned char data[16];
        unhex(data, ct_leaves[i]);
        assert_int_equal(ltl__hash_leaf(out[i], data, strlen(ct_leaves[i]) / 2), LTL_OK);
    }
}

/* ---- a naive, recursive RFC 6962 §2.1 reference ------------------------------ */

static uint64_t ref_split(uint64_t n)
{
    uint64_t k = 1;
    while (k * 2 < n)
        k *= 2;
    return k;
}

static void ref_mth(unsigned char out[HS], const unsigned char (*d)[HS], uint64_t n)
{
    if (n == 0) {
        memcpy(out, ltl__empty_root, HS);
        return;
    }
    if (n == 1) {
        memcpy(out, d[0], HS);
        return;
    }
    uint64_t k = ref_split(n);
    unsigned char l[HS], r[HS];
    ref_mth(l, d, k);
    ref_mth(r, d + k, n - k);
    assert_int_equal(ltl__hash_node(out, l, r), LTL_OK);
}

static void ref_push(struct ltl__proof *p, const unsigned char (*d)[HS], uint64_t n)
{
    assert_true(p->count < LTL__PROOF_MAX);
    ref_mth(p->hash[p->count++], d, n);
}

static void ref_path(struct ltl__proof *p, uint64_t m, const unsigned char (*d)[HS], uint64_t n)
{
    if (n <= 1)
        return;
    uint64_t k = ref_split(n);
    if (m < k) {
        ref_path(p, m, d, k);
        ref_push(p, d + k, n - k);
    } else {
        ref_path(p, m - k, d + k, n - k);
        ref_push(p, d, k);
    }
}

static void ref_subproof(struct ltl__proof *p, uint64_t m, const unsigned char (*d)[HS], uint64_t n,
                         bool b)
{
    if (m == n) {
        if (!b)
            ref_push(p, d, m);
        return;
    }
    uint64_t k = ref_split(n);
    if (m <= k) {
        ref_subproof(p, m, d, k, b);
        ref_push(p, d + k, n - k);
    } else {
        ref_subproof(p, m - k, d + k, n - k, false);
        ref_push(p, d, k);
    }
}

/* Deterministic distinct leaf hashes. */
static void make_leaves(unsigned char (*out)[HS], size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++) {
        char body[64];
        int len = snprintf(body, sizeof(body), "record %u/%zu", seed, i);
        assert_int_equal(ltl__hash_leaf(out[i], body, (size_t)len), LTL_OK);
    }
}

static char *tree_path(void)
{
    char *dir = tu_tmpdir();
    char *p = tu_path(dir, LTL__TREE_FILE);
    free(dir);
    return p;
}

static struct ltl__tree *open_tree(ltl__io *io, const char *path, bool writable)
{
    struct ltl__tree *t = NULL;
    int rc = ltl__tree_open(&t, io, path, store_id, writable);
    if (rc)
        fail_msg("open %s: %s: %s", path, ltl_strerror(rc), ltl__err_current());
    return t;
}

/* A tree of the n given leaves, flushed every `flush_every` appends. */
static struct ltl__tree *build(const char *path, const unsigned char (*leaves)[HS], size_t n,
                               size_t flush_every)
{
    struct ltl__tree *t = open_tree(ltl__io_real(), path, true);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(ltl__tree_append(t, leaves[i]), LTL_OK);
        if ((i + 1) % flush_every == 0)
            assert_int_equal(ltl__tree_flush(t), LTL_OK);
    }
    assert_int_equal(ltl__tree_sync(t), LTL_OK);
    return t;
}

static long file_size(const char *path)
{
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    return (long)st.st_size;
}

/* ---- hashes ------------------------------------------------------------------ */

static void hashes_match_published_values(void **state)
{
    (void)state;
    unsigned char h[HS], l[8][HS];
    /* FIPS 180-2 "abc" */
    assert_int_equal(ltl__sha256(h, "abc", 3), LTL_OK);
    assert_hash_hex(h, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    assert_int_equal(ltl__sha256(h, "", 0), LTL_OK);
    assert_memory_equal(h, ltl__empty_root, HS);
    assert_hash_hex(ltl__empty_root, ct_roots[0]);
    /* the leaf hash of the empty leaf is the root of the 1-leaf tree */
    ct_leaf_hashes(l);
    assert_hash_hex(l[0], ct_roots[1]);
    assert_int_equal(ltl__hash_node(h, l[0], l[1]), LTL_OK);
    assert_hash_hex(h, ct_roots[2]);
    /* out may alias an input */
    memcpy(h, l[0], HS);
    assert_int_equal(ltl__hash_node(h, h, l[1]), LTL_OK);
    assert_hash_hex(h, ct_roots[2]);
    assert_true(strcmp(ltl__hash_impl(), "openssl-sha256") == 0 ||
                strcmp(ltl__hash_impl(), "openssl-evp") == 0);
}

static void fast_and_evp_hashes_agree(void **state)
{
    (void)state;
    unsigned char buf[600], a[HS], b[HS];
    for (size_t i = 0; i < sizeof(buf); i++)
        buf[i] = (unsigned char)(i * 131 + 7);
    for (size_t len = 0; len <= sizeof(buf); len += (len < 130 ? 1 : 17)) {
        assert_int_equal(ltl__hash_leaf(a, buf, len), LTL_OK);
        assert_int_equal(ltl__hash_leaf_evp(b, buf, len), LTL_OK);
        assert_memory_equal(a, b, HS);
    }
    assert_int_equal(ltl__hash_node(a, buf, buf + 32), LTL_OK);
    assert_int_equal(ltl__hash_node_evp(b, buf, buf + 32), LTL_OK);
    assert_memory_equal(a, b, HS);
}

/* ---- arithmetic and the compact range ------------------------------------------ */

static void entry_positions(void **state)
{
    (void)state;
    /* E(n) and the position of every node, against a literal post-order walk */
    uint64_t pos = 0;
    for (uint64_t n = 0; n < 5000; n++) {
        assert_true(ltl__tree_entries(n) == pos);
        assert_true(ltl__tree_leaves_for(pos) == n);
        assert_true(ltl__tree_node_pos(0, n) == pos);
        pos++;
        for (unsigned h = 1; ((n + 1) & (((uint64_t)1 << h) - 1)) == 0; h++) {
            assert_true(ltl__tree_node_pos(h, (n + 1) / ((uint64_t)1 << h) - 1) == pos);
            assert_true(ltl__tree_leaves_for(pos) == n);
            pos++;
        }
    }
    assert_true(ltl__tree_entries(10000000) == 20000000 - (uint64_t)__builtin_popcountll(10000000));
    assert_true(ltl__tree_leaves_for(ltl__tree_entries(UINT64_MAX / 4)) == UINT64_MAX / 4);
}

static void frontier_roots_match_vectors(void **state)
{
    (void)state;
    unsigned char l[8][HS], root[HS], out[64][HS];
    ct_leaf_hashes(l);
    struct ltl__frontier f;
    ltl__frontier_init(&f);
    assert_int_equal(ltl__frontier_root(root, &f), LTL_OK);
    assert_hash_hex(root, ct_roots[0]);
    for (int i = 0; i < 8; i++) {
        size_t n = 0;
        assert_int_equal(ltl__frontier_append(out, &n, &f, l[i]), LTL_OK);
        assert_int_equal(n, 1 + __builtin_ctz(~(unsigned)i));
        assert_memory_equal(out[0], l[i], HS);
        assert_int_equal(ltl__frontier_root(root, &f), LTL_OK);
        assert_hash_hex(root, ct_roots[i + 1]);
    }
    f.size = UINT64_MAX;
    assert_int_equal(ltl__frontier_append(NULL, NULL, &f, l[0]), LTL_ETOOBIG);
}

/* ---- the stored tree against the vectors ----------------------------------------- */

static void stored_tree_matches_ct_vectors(void **state)
{
    (void)state;
    char *path = tree_path();
    unsigned char l[8][HS], root[HS], proof[3][HS];
    ct_leaf_hashes(l);
    struct ltl__tree *t = build(path, (const unsigned char(*)[HS])l, 8, 3);
    assert_true(ltl__tree_size(t) == 8);
    assert_true(file_size(path) == LTL__TREE_HEADER_SIZE + 15 * HS);
    for (uint64_t n = 0; n <= 8; n++) {
        assert_int_equal(ltl__tree_root(root, t, n), LTL_OK);
        assert_hash_hex(root, ct_roots[n]);
    }
    struct ltl__proof p;
    for (size_t v = 0; v < LTL__ARRAY_LEN(ct_inclusion); v++) {
        const struct ct_vector *c = &ct_inclusion[v];
        assert_int_equal(ltl__tree_inclusion(&p, t, c->a - 1, c->b), LTL_OK);
        assert_int_equal(p.count, c->n);
        for (size_t i = 0; i < c->n; i++) {
            assert_hash_hex(p.hash[i], c->proof[i]);
            unhex(proof[i], c->proof[i]);
        }
        unhex(root, ct_roots[c->b]);
        assert_int_equal(ltl__verify_inclusion(l[c->a - 1], c->a - 1, c->b,
                                               (const unsigned char(*)[HS])proof, c->n, root),
                         LTL_OK);
    }
    for (size_t v = 0; v < LTL__ARRAY_LEN(ct_consistency); v++) {
        const struct ct_vector *c = &ct_consistency[v];
        assert_int_equal(ltl__tree_consistency(&p, t, c->a, c->b), LTL_OK);
        assert_int_equal(p.count, c->n);
        for (size_t i = 0; i < c->n; i++) {
            assert_hash_hex(p.hash[i], c->proof[i]);
            unhex(proof[i], c->proof[i]);
        }
        unsigned char r1[HS], r2[HS];
        unhex(r1, ct_roots[c->a]);
        unhex(r2, ct_roots[c->b]);
        assert_int_equal(
            ltl__verify_consistency(c->a, c->b, r1, r2, (const unsigned char(*)[HS])proof, c->n),
            LTL_OK);
    }
    /* sizes beyond the tree, indexes beyond the size */
    assert_int_equal(ltl__tree_root(root, t, 9), LTL_ENOTFOUND);
    assert_int_equal(ltl__tree_inclusion(&p, t, 8, 8), LTL_EINVAL);
    assert_int_equal(ltl__tree_inclusion(&p, t, 0, 9), LTL_ENOTFOUND);
    assert_int_equal(ltl__tree_consistency(&p, t, 5, 4), LTL_EINVAL);
    assert_int_equal(ltl__tree_consistency(&p, t, 0, 8), LTL_OK);
    assert_int_equal(p.count, 0);
    unsigned char leaf[HS];
    assert_int_equal(ltl__tree_leaf(leaf, t, 5), LTL_OK);
    assert_memory_equal(leaf, l[5], HS);
    assert_int_equal(ltl__tree_leaf(leaf, t, 8), LTL_ENOTFOUND);
    assert_int_equal(ltl__tree_close(t), LTL_OK);
    free(path);
}

/* Every proof at every (index, size) and (old, new) of trees up to 40
 * leaves, and a sample up to 300, equals the naive recursion's and
 * verifies; every single-bit change to it fails. */
static void proofs_match_reference_everywhere(void **state)
{
    (void)state;
    enum { N = 300, EXHAUSTIVE = 40 };
    unsigned char(*l)[HS] = malloc(N * HS);
    make_leaves(l, N, 1);
    char *path = tree_path();
    struct ltl__tree *t = build(path, (const unsigned char(*)[HS])l, N, 97);
    unsigned char root[HS], ref_root[HS], other[HS];
    struct ltl__proof p, ref;
    uint64_t checked = 0;
    for (uint64_t n = 0; n <= N; n++) {
        if (n > EXHAUSTIVE && n % 23 != 0 && n != N && (n & (n - 1)) != 0)
            continue;
        assert_int_equal(ltl__tree_root(root, t, n), LTL_OK);
        ref_mth(ref_root, (const unsigned char(*)[HS])l, n);
        assert_memory_equal(root, ref_root, HS);
        for (uint64_t i = 0; i < n; i++) {
            if (n > EXHAUSTIVE && i % 7 != 0 && i != n - 1)
                continue;
            assert_int_equal(ltl__tree_inclusion(&p, t, i, n), LTL_OK);
            ref.count = 0;
            ref_path(&ref, i, (const unsigned char(*)[HS])l, n);
            assert_int_equal(p.count, ref.count);
            assert_memory_equal(p.hash, ref.hash, p.count * HS);
            const unsigned char(*ph)[HS] = (const unsigned char(*)[HS])p.hash;
            assert_int_equal(ltl__verify_inclusion(l[i], i, n, ph, p.count, root), LTL_OK);
            /* tampering: any bit of the proof, the index, the size, the leaf */
            for (size_t k = 0; k < p.count && n <= EXHAUSTIVE; k++) {
                p.hash[k][k % HS] ^= 0x10;
                assert_int_equal(ltl__verify_inclusion(l[i], i, n, ph, p.count, root), LTL_EVERIFY);
                p.hash[k][k % HS] ^= 0x10;
            }
            if (i + 1 < n)
                assert_int_equal(ltl__verify_inclusion(l[i], i + 1, n, ph, p.count, root),
                                 LTL_EVERIFY);
            if (i > 0)
                assert_int_equal(ltl__verify_inclusion(l[i], i - 1, n, ph, p.count, root),
                                 LTL_EVERIFY);
            /* sizes are bound to roots by the checkpoint, not by the hashes: a
             * proof can hold at another size of the same shape (0 of 3 is 0 of
             * 4), so change the height, as the transparency-dev tests do */
            assert_int_equal(ltl__verify_inclusion(l[i], i, n * 2, ph, p.count, root), LTL_EVERIFY);
            assert_int_equal(ltl__verify_inclusion(l[i], i, n / 2, ph, p.count, root), LTL_EVERIFY);
            assert_int_equal(ltl__verify_inclusion(l[(i + 1) % N], i, n, ph, p.count, root),
                             LTL_EVERIFY);
            if (p.count > 0)
                assert_int_equal(ltl__verify_inclusion(l[i], i, n, ph, p.count - 1, root),
                                 LTL_EVERIFY);
            memcpy(p.hash[p.count], root, HS);
            assert_int_equal(ltl__verify_inclusion(l[i], i, n, ph, p.count + 1, root), LTL_EVERIFY);
            memcpy(other, root, HS);
            other[31] ^= 1;
            assert_int_equal(ltl__verify_inclusion(l[i], i, n, ph, p.count, other), LTL_EVERIFY);
            checked++;
        }
        for (uint64_t m = 0; m <= n; m++) {
            if (n > EXHAUSTIVE && m % 7 != 0 && m != n - 1)
                continue;
            assert_int_equal(ltl__tree_consistency(&p, t, m, n), LTL_OK);
            ref.count = 0;
            if (m > 0 && m < n)
                ref_subproof(&ref, m, (const unsigned char(*)[HS])l, n, true);
            assert_int_equal(p.count, ref.count);
            assert_memory_equal(p.hash, ref.hash, p.count * HS);
            unsigned char old_root[HS];
            assert_int_equal(ltl__tree_root(old_root, t, m), LTL_OK);
            const unsigned char(*ph)[HS] = (const unsigned char(*)[HS])p.hash;
            assert_int_equal(ltl__verify_consistency(m, n, old_root, root, ph, p.count), LTL_OK);
            if (m > 0 && m < n) {
                for (size_t k = 0; k < p.count && n <= EXHAUSTIVE; k++) {
                    p.hash[k][(k + 3) % HS] ^= 0x01;
                    assert_int_equal(ltl__verify_consistency(m, n, old_root, root, ph, p.count),
                                     LTL_EVERIFY);
                    p.hash[k][(k + 3) % HS] ^= 0x01;
                }
                assert_int_equal(ltl__verify_consistency(m, n, root, old_root, ph, p.count),
                                 LTL_EVERIFY);
                assert_int_equal(ltl__verify_consistency(m, n * 2, old_root, root, ph, p.count),
                                 LTL_EVERIFY);
                assert_int_equal(ltl__verify_consistency(m, n / 2, old_root, root, ph, p.count),
                                 LTL_EVERIFY);
                assert_int_equal(ltl__verify_consistency(m - 1, n, old_root, root, ph, p.count),
                                 LTL_EVERIFY);
                assert_int_equal(ltl__verify_consistency(m + 1, n, old_root, root, ph, p.count),
                                 LTL_EVERIFY);
                assert_int_equal(ltl__verify_consistency(m ^ 2, n, old_root, root, ph, p.count),
                                 LTL_EVERIFY);
                assert_int_equal(ltl__verify_consistency(m, n, old_root, root, ph, p.count - 1),
                                 LTL_EVERIFY);
                assert_int_equal(ltl__verify_consistency(m, n, old_root, root, ph, 0), LTL_EVERIFY);
            }
            checked++;
        }
    }
    print_message("%" PRIu64 " (index, size) and (old, new) pairs checked\n", checked);
    assert_true(checked > 2000);
    assert_int_equal(ltl__tree_close(t), LTL_OK);
    free(l);
    free(path);
}

static void verifiers_edge_cases(void **state)
{
    (void)state;
    ltl__err_begin();
    unsigned char a[HS], b[HS];
    memset(a, 0xaa, HS);
    memset(b, 0xbb, HS);
    /* index outside the tree; the 1-leaf tree's root is its leaf */
    assert_int_equal(ltl__verify_inclusion(a, 0, 0, NULL, 0, a), LTL_EVERIFY);
    assert_int_equal(ltl__verify_inclusion(a, 1, 1, NULL, 0, a), LTL_EVERIFY);
    assert_int_equal(ltl__verify_inclusion(a, 0, 1, NULL, 0, a), LTL_OK);
    ltl__err_begin();
    assert_int_equal(ltl__verify_inclusion(a, 0, 1, NULL, 0, b), LTL_EVERIFY);
    assert_true(strstr(ltl__err_current(), "root") != NULL);
    /* equal sizes need equal roots and no proof; time does not run backwards */
    assert_int_equal(ltl__verify_consistency(3, 3, a, a, NULL, 0), LTL_OK);
    assert_int_equal(ltl__verify_consistency(3, 3, a, b, NULL, 0), LTL_EVERIFY);
    assert_int_equal(ltl__verify_consistency(3, 3, a, a, (const unsigned char(*)[HS])b, 1),
                     LTL_EVERIFY);
    assert_int_equal(ltl__verify_consistency(4, 3, a, b, NULL, 0), LTL_EVERIFY);
    /* the empty tree: any tree extends it, with an empty proof, if its root is SHA-256("") */
    assert_int_equal(ltl__verify_consistency(0, 5, ltl__empty_root, b, NULL, 0), LTL_OK);
    assert_int_equal(ltl__verify_consistency(0, 5, a, b, NULL, 0), LTL_EVERIFY);
    assert_int_equal(
        ltl__verify_consistency(0, 5, ltl__empty_root, b, (const unsigned char(*)[HS])a, 1),
        LTL_EVERIFY);
    assert_int_equal(ltl__verify_consistency(1, 2, a, b, NULL, 0), LTL_EVERIFY);
}

/* ---- the file: reopen, torn and garbled tails, headers ----------------------------- */

static void reopen_keeps_everything(void **state)
{
    (void)state;
    enum { N = 1000 };
    unsigned char(*l)[HS] = malloc(2 * N * HS);
    make_leaves(l, 2 * N, 2);
    char *path = tree_path();
    struct ltl__tree *t = build(path, (const unsigned char(*)[HS])l, N, 10);
    unsigned char r1[HS], r2[HS], ref[HS];
    assert_int_equal(ltl__tree_root(r1, t, N), LTL_OK);
    assert_int_equal(ltl__tree_close(t), LTL_OK);

    t = open_tree(ltl__io_real(), path, false);
    assert_true(ltl__tree_size(t) == N);
    assert_true(ltl__tree_synced(t) == N);
    assert_string_equal(ltl__tree_open_note(t), "");
    assert_int_equal(ltl__tree_root(r2, t, N), LTL_OK);
    assert_memory_equal(r1, r2, HS);
    assert_int_equal(ltl__tree_append(t, l[0]), LTL_EREADONLY);
    /* a reader takes in what a writer adds meanwhile */
    struct ltl__tree *w = open_tree(ltl__io_real(), path, true);
    for (int i = N; i < 2 * N; i++)
        assert_int_equal(ltl__tree_append(w, l[i]), LTL_OK);
    assert_true(ltl__tree_appended(w) == 2 * N);
    assert_true(ltl__tree_size(w) == N); /* not flushed yet */
    assert_int_equal(ltl__tree_flush(w), LTL_OK);
    assert_int_equal(ltl__tree_refresh(t), LTL_OK);
    assert_true(ltl__tree_size(t) == 2 * N);
    assert_int_equal(ltl__tree_root(r2, t, 2 * N), LTL_OK);
    ref_mth(ref, (const unsigned char(*)[HS])l, 2 * N);
    assert_memory_equal(r2, ref, HS);
    assert_int_equal(ltl__tree_close(w), LTL_OK);
    assert_int_equal(ltl__tree_close(t), LTL_OK);

    /* bulk entry reads equal the leaf positions */
    t = open_tree(ltl__io_real(), path, false);
    unsigned char e[4][HS];
    assert_int_equal(ltl__tree_read_entries(e, t, ltl__tree_node_pos(0, 6), 4), LTL_OK);
    assert_memory_equal(e[0], l[6], HS);
    assert_memory_equal(e[1], l[7], HS);
    assert_int_equal(ltl__tree_read_entries(e, t, ltl__tree_entries(2 * N) - 1, 2), LTL_ENOTFOUND);
    assert_int_equal(ltl__tree_close(t), LTL_OK);
    free(l);
    free(path);
}

static void poke(const char *path, long off, const void *data, size_t len)
{
    int fd = open(path, O_WRONLY);
    assert_true(fd >= 0);
    assert_int_equal(pwrite(fd, data, len, off), (ssize_t)len);
    close(fd);
}

/* Cut the file at every byte of its last appends: open keeps exactly the
 * whole appends, truncates the rest, and the tree it keeps is right. */
static void torn_tail_is_cut_at_every_byte(void **state)
{
    (void)state;
    enum { SYNCED = 40, N = 48 };
    unsigned char(*l)[HS] = malloc(N * HS);
    make_leaves(l, N, 3);
    char *path = tree_path();
    struct ltl__tree *t = build(path, (const unsigned char(*)[HS])l, SYNCED, 1000);
    for (int i = SYNCED; i < N; i++)
        assert_int_equal(ltl__tree_append(t, l[i]), LTL_OK);
    assert_int_equal(ltl__tree_flush(t), LTL_OK);
    assert_int_equal(ltl__tree_close(t), LTL_OK);
    size_t full_len;
    char *full = tu_read_file(path, &full_len);
    long lo = LTL__TREE_HEADER_SIZE + (long)ltl__tree_entries(SYNCED) * HS;
    for (long cut = lo; cut <= (long)full_len; cut++) {
        tu_write_file(path, full, (size_t)cut);
        uint64_t whole = ltl__tree_leaves_for((uint64_t)(cut - LTL__TREE_HEADER_SIZE) / HS);
        t = open_tree(ltl__io_real(), path, true);
        assert_true(ltl__tree_size(t) == whole);
        assert_true(ltl__tree_synced(t) == SYNCED);
        assert_true(file_size(path) == LTL__TREE_HEADER_SIZE + (long)ltl__tree_entries(whole) * HS);
        if ((uint64_t)(cut - LTL__TREE_HEADER_SIZE) != ltl__tree_entries(whole) * HS)
            assert_true(strstr(ltl__tree_open_note(t), "unfinished append") != NULL);
        unsigned char root[HS], ref[HS];
        assert_int_equal(ltl__tree_root(root, t, whole), LTL_OK);
        ref_mth(ref, (const unsigned char(*)[HS])l, whole);
        assert_memory_equal(root, ref, HS);
        /* and the writer carries on from there */
        for (uint64_t i = whole; i < N; i++)
            assert_int_equal(ltl__tree_append(t, l[i]), LTL_OK);
        assert_int_equal(ltl__tree_sync(t), LTL_OK);
        assert_int_equal(ltl__tree_root(root, t, N), LTL_OK);
        ref_mth(ref, (const unsigned char(*)[HS])l, N);
        assert_memory_equal(root, ref, HS);
        assert_int_equal(ltl__tree_close(t), LTL_OK);
    }
    free(full);
    free(l);
    free(path);
}

/* A garbled parent after the synced mark drops its subtree (down to the
 * mark); a zeroed leaf drops the tail from that leaf; damage before the
 * mark is trusted (the store's verify finds it, comparing with the log). */
static void garbled_tail_is_dropped(void **state)
{
    (void)state;
    enum { SYNCED = 16, N = 32 };
    unsigned char(*l)[HS] = malloc(N * HS);
    make_leaves(l, N, 4);
    char *path = tree_path();
    unsigned char junk[HS], zeros[HS] = {0};
    memset(junk, 0x5a, HS);

    struct {
        unsigned height;
        uint64_t index; /* node garbled */
        bool zero;
        uint64_t want; /* leaves kept */
    } cases[] = {
        {1, 9, false, 18},  /* node over 18..19: its subtree starts at 18 */
        {2, 5, false, 20},  /* over 20..23 */
        {3, 2, false, 16},  /* over 16..23: down to the mark */
        {4, 1, false, 16},  /* over 16..31 */
        {5, 0, false, 16},  /* the root of 0..31 straddles the mark: down to it */
        {0, 21, true, 21},  /* a zeroed leaf */
        {0, 21, false, 20}, /* a garbled leaf: its parent (20..21) fails */
        {0, 31, false, 30}, /* the last leaf: its parent (30..31) fails */
    };
    for (size_t c = 0; c < LTL__ARRAY_LEN(cases); c++) {
        unlink(path);
        struct ltl__tree *t = build(path, (const unsigned char(*)[HS])l, SYNCED, 1000);
        for (int i = SYNCED; i < N; i++)
            assert_int_equal(ltl__tree_append(t, l[i]), LTL_OK);
        assert_int_equal(ltl__tree_close(t), LTL_OK); /* close flushes */
        long off =
            LTL__TREE_HEADER_SIZE + (long)ltl__tree_node_pos(cases[c].height, cases[c].index) * HS;
        poke(path, off, cases[c].zero ? zeros : junk, HS);
        t = open_tree(ltl__io_real(), path, true);
        if (ltl__tree_size(t) != cases[c].want)
            fail_msg("case %zu: kept %" PRIu64 " leaves, want %" PRIu64 " (%s)", c,
                     ltl__tree_size(t), cases[c].want, ltl__tree_open_note(t));
        assert_true(strstr(ltl__tree_open_note(t), "dropped") != NULL);
        unsigned char root[HS], ref[HS];
        assert_int_equal(ltl__tree_root(root, t, cases[c].want), LTL_OK);
        ref_mth(ref, (const unsigned char(*)[HS])l, cases[c].want);
        assert_memory_equal(root, ref, HS);
        assert_int_equal(ltl__tree_close(t), LTL_OK);
    }
    free(l);
    free(path);
}

static void headers_are_checked(void **state)
{
    (void)state;
    unsigned char l[4][HS];
    make_leaves(l, 4, 5);
    char *path = tree_path();
    struct ltl__tree *t = build(path, (const unsigned char(*)[HS])l, 4, 1);
    assert_int_equal(ltl__tree_close(t), LTL_OK);
    size_t len;
    char *good = tu_read_file(path, &len);

    /* another store's file */
    static const unsigned char other[16] = {9};
    ltl__err_begin();
    assert_int_equal(ltl__tree_open(&t, ltl__io_real(), path, other, false), LTL_ECORRUPT);
    assert_null(t);
    assert_true(strstr(ltl__err_current(), "another store") != NULL);
    /* magic, checksum, version */
    char *bad = malloc(len);
    memcpy(bad, good, len);
    bad[0] = 'X';
    tu_write_file(path, bad, len);
    assert_int_equal(ltl__tree_open(&t, ltl__io_real(), path, store_id, true), LTL_ECORRUPT);
    memcpy(bad, good, len);
    ltl__err_begin();
    bad[33] ^= 1; /* the synced count, under the CRC */
    tu_write_file(path, bad, len);
    assert_int_equal(ltl__tree_open(&t, ltl__io_real(), path, store_id, true), LTL_ECORRUPT);
    assert_true(strstr(ltl__err_current(), "checksum") != NULL);
    memcpy(bad, good, len);
    ltl__put_u32((unsigned char *)bad + 8, 2);
    ltl__put_u32((unsigned char *)bad + 60, ltl__crc32c(0, bad, 60));
    tu_write_file(path, bad, len);
    assert_int_equal(ltl__tree_open(&t, ltl__io_real(), path, store_id, true), LTL_EVERSION);
    /* shorter than a header: a reader refuses, a writer starts afresh */
    tu_write_file(path, good, 10);
    assert_int_equal(ltl__tree_open(&t, ltl__io_real(), path, store_id, false), LTL_ECORRUPT);
    t = open_tree(ltl__io_real(), path, true);
    assert_true(ltl__tree_size(t) == 0);
    assert_true(file_size(path) == LTL__TREE_HEADER_SIZE);
    assert_int_equal(ltl__tree_close(t), LTL_OK);
    /* missing: a reader gets ENOTFOUND, a writer creates it */
    unlink(path);
    assert_int_equal(ltl__tree_open(&t, ltl__io_real(), path, store_id, false), LTL_ENOTFOUND);
    /* the synced mark beyond the file: not trusted, and lowered */
    tu_write_file(path, good, len);
    memcpy(bad, good, len);
    ltl__put_u64((unsigned char *)bad + 32, 1000);
    ltl__put_u32((unsigned char *)bad + 60, ltl__crc32c(0, bad, 60));
    tu_write_file(path, bad, len);
    t = open_tree(ltl__io_real(), path, true);
    assert_true(ltl__tree_size(t) == 4);
    assert_true(ltl__tree_synced(t) == 4);
    assert_true(strstr(ltl__tree_open_note(t), "synced") != NULL);
    assert_int_equal(ltl__tree_close(t), LTL_OK);
    char *now = tu_read_file(path, NULL);
    assert_true(ltl__get_u64((unsigned char *)now + 32) == 4);
    free(now);
    free(bad);
    free(good);
    free(path);
}

static void truncate_follows_the_log(void **state)
{
    (void)state;
    enum { N = 120 };
    unsigned char(*l)[HS] = malloc(2 * N * HS);
    make_leaves(l, 2 * N, 6);
    char *path = tree_path();
    struct ltl__tree *t = build(path, (const unsigned char(*)[HS])l, 100, 7);
    for (int i = 100; i < N; i++)
        assert_int_equal(ltl__tree_append(t, l[i]), LTL_OK);
    unsigned char root[HS], ref[HS];
    /* within the buffered part */
    assert_int_equal(ltl__tree_truncate(t, 111), LTL_OK);
    assert_true(ltl__tree_appended(t) == 111);
    assert_int_equal(ltl__tree_flush(t), LTL_OK);
    assert_true(ltl__tree_size(t) == 111);
    assert_int_equal(ltl__tree_root(root, t, 111), LTL_OK);
    ref_mth(ref, (const unsigned char(*)[HS])l, 111);
    assert_memory_equal(root, ref, HS);
    /* a no-op when the tree is not longer */
    assert_int_equal(ltl__tree_truncate(t, 500), LTL_OK);
    assert_true(ltl__tree_size(t) == 111);
    /* into the file, below the synced mark */
    assert_int_equal(ltl__tree_truncate(t, 50), LTL_OK);
    assert_true(ltl__tree_size(t) == 50 && ltl__tree_appended(t) == 50);
    assert_true(ltl__tree_synced(t) == 50);
    assert_true(file_size(path) == LTL__TREE_HEADER_SIZE + (long)ltl__tree_entries(50) * HS);
    /* different records follow */
    for (int i = 50; i < N; i++)
        assert_int_equal(ltl__tree_append(t, l[N + i]), LTL_OK);
    assert_int_equal(ltl__tree_flush(t), LTL_OK);
    unsigned char(*mixed)[HS] = malloc(N * HS);
    memcpy(mixed, l, 50 * HS);
    memcpy(mixed + 50, l + N + 50, (N - 50) * HS);
    assert_int_equal(ltl__tree_root(root, t, N), LTL_OK);
    ref_mth(ref, (const unsigned char(*)[HS])mixed, N);
    assert_memory_equal(root, ref, HS);
    assert_int_equal(ltl__tree_close(t), LTL_OK);
    /* the mark on disk was lowered before the new entries came */
    t = open_tree(ltl__io_real(), path, false);
    assert_true(ltl__tree_synced(t) == 50);
    assert_true(ltl__tree_size(t) == N);
    assert_int_equal(ltl__tree_truncate(t, 3), LTL_EREADONLY);
    assert_int_equal(ltl__tree_close(t), LTL_OK);
    /* to nothing */
    t = open_tree(ltl__io_real(), path, true);
    assert_int_equal(ltl__tree_truncate(t, 0), LTL_OK);
    assert_int_equal(ltl__tree_root(root, t, 0), LTL_OK);
    assert_memory_equal(root, ltl__empty_root, HS);
    assert_int_equal(ltl__tree_close(t), LTL_OK);
    assert_true(file_size(path) == LTL__TREE_HEADER_SIZE);
    free(mixed);
    free(l);
    free(path);
}

/* ---- I/O faults ---------------------------------------------------------------- */

static void write_and_sync_failures(void **state)
{
    (void)state;
    enum { N = 64 };
    unsigned char(*l)[HS] = malloc(N * HS);
    make_leaves(l, N, 7);
    char *path = tree_path();
    unsigned char root[HS], ref[HS];

    /* a failed write keeps the buffer: the next flush writes it */
    ltl__io_fault *f = ltl__io_fault_new(1);
    ltl__io *io = ltl__io_fault_table(f);
    struct ltl__tree *t = open_tree(io, path, true);
    for (int i = 0; i < 20; i++)
        assert_int_equal(ltl__tree_append(t, l[i]), LTL_OK);
    long w = ltl__io_fault_calls(f, LTL__IO_PWRITE);
    ltl__err_begin();
    ltl__io_fault_fail(f, LTL__IO_PWRITE, w + 1, EIO, false);
    assert_int_equal(ltl__tree_flush(t), LTL_EIO);
    assert_true(strstr(ltl__err_current(), "tree.hashes") != NULL);
    assert_true(ltl__tree_size(t) == 0);
    ltl__err_begin();
    ltl__io_fault_fail(f, LTL__IO_PWRITE, w + 2, ENOSPC, false);
    assert_int_equal(ltl__tree_flush(t), LTL_ENOSPC);
    ltl__err_begin();
    /* a short write is completed */
    ltl__io_fault_short_write(f, w + 3);
    assert_int_equal(ltl__tree_flush(t), LTL_OK);
    assert_true(ltl__tree_size(t) == 20);
    /* a failed fdatasync breaks the handle */
    for (int i = 20; i < 30; i++)
        assert_int_equal(ltl__tree_append(t, l[i]), LTL_OK);
    ltl__io_fault_fail(f, LTL__IO_FDATASYNC, ltl__io_fault_calls(f, LTL__IO_FDATASYNC) + 1, EIO,
                       false);
    assert_int_equal(ltl__tree_sync(t), LTL_EIO);
    ltl__err_begin();
    assert_int_equal(ltl__tree_append(t, l[30]), LTL_EBROKEN);
    assert_int_equal(ltl__tree_flush(t), LTL_EBROKEN);
    assert_int_equal(ltl__tree_sync(t), LTL_EBROKEN);
    /* readers still work on what was written */
    assert_int_equal(ltl__tree_root(root, t, 30), LTL_OK);
    ref_mth(ref, (const unsigned char(*)[HS])l, 30);
    assert_memory_equal(root, ref, HS);
    assert_int_equal(ltl__tree_close(t), LTL_OK);
    ltl__err_begin();
    /* reopened, the file holds a consistent tree */
    t = open_tree(ltl__io_real(), path, true);
    assert_true(ltl__tree_size(t) == 30);
    assert_int_equal(ltl__tree_close(t), LTL_OK);

    /* a failed read is an I/O error with the file named */
    t = open_tree(io, path, false);
    ltl__io_fault_fail(f, LTL__IO_PREAD, ltl__io_fault_calls(f, LTL__IO_PREAD) + 1, EIO, true);
    ltl__err_begin();
    assert_int_equal(ltl__tree_root(root, t, 30), LTL_EIO);
    assert_true(strstr(ltl__err_current(), "read") != NULL);
    ltl__err_begin();
    struct ltl__proof p;
    assert_int_equal(ltl__tree_inclusion(&p, t, 3, 30), LTL_EIO);
    ltl__err_begin();
    assert_int_equal(ltl__tree_close(t), LTL_OK);
    /* open fails cleanly on each failing call */
    for (int op = LTL__IO_OPEN; op <= LTL__IO_PREAD; op++) {
        ltl__io_fault_free(f);
        f = ltl__io_fault_new(2);
        io = ltl__io_fault_table(f);
        ltl__io_fault_fail(f, (enum ltl__io_op)op, 1, EIO, true);
        int rc = ltl__tree_open(&t, io, path, store_id, true);
        if (op == LTL__IO_CLOSE) {
            assert_int_equal(rc, LTL_OK); /* open does not close */
            assert_int_equal(ltl__tree_close(t), LTL_EIO);
        } else {
            assert_int_equal(rc, LTL_EIO);
            assert_null(t);
        }
        ltl__err_begin();
    }
    ltl__io_fault_free(f);
    free(l);
    free(path);
}

/* A crash at any point leaves a file that opens to a prefix of the tree
 * at least as long as the last sync. */
static void crash_leaves_a_consistent_prefix(void **state)
{
    (void)state;
    enum { N = 300 };
    unsigned char(*l)[HS] = malloc(N * HS);
    make_leaves(l, N, 8);
    for (uint64_t seed = 1; seed <= 60; seed++) {
        char *path = tree_path();
        ltl__io_fault *f = ltl__io_fault_new(seed);
        ltl__io *io = ltl__io_fault_table(f);
        ltl__io_fault_crash_at_sync(f, 2 + (long)(seed % 9));
        struct ltl__tree *t = NULL;
        uint64_t synced = 0;
        if (ltl__tree_open(&t, io, path, store_id, true) == LTL_OK) {
            for (int i = 0; i < N; i++) {
                if (ltl__tree_append(t, l[i]))
                    break;
                if (i % 5 == 4 && ltl__tree_flush(t))
                    break;
                if (i % 23 == 22) {
                    if (ltl__tree_sync(t))
                        break;
                    synced = ltl__tree_synced(t);
                }
            }
            ltl__tree_close(t);
        }
        ltl__err_begin();
        assert_true(ltl__io_fault_crashed(f));
        ltl__io_fault_free(f);
        t = open_tree(ltl__io_real(), path, true);
        uint64_t n = ltl__tree_size(t);
        assert_true(n >= synced);
        unsigned char root[HS], ref[HS];
        assert_int_equal(ltl__tree_root(root, t, n), LTL_OK);
        ref_mth(ref, (const unsigned char(*)[HS])l, n);
        assert_memory_equal(root, ref, HS);
        assert_int_equal(ltl__tree_close(t), LTL_OK);
        free(path);
    }
    free(l);
}

/* ---- allocation failures --------------------------------------------------------- */

static int tree_workload(const char *path, const unsigned char (*l)[HS], int n)
{
    struct ltl__tree *t = NULL;
    int rc = ltl__tree_open(&t, ltl__io_real(), path, store_id, true);
    if (rc)
        return rc;
    for (int i = 0; i < n && rc == LTL_OK; i++)
        rc = ltl__tree_append(t, l[i]);
    if (rc == LTL_OK)
        rc = ltl__tree_sync(t);
    struct ltl__proof p;
    if (rc == LTL_OK)
        rc = ltl__tree_inclusion(&p, t, 3, (uint64_t)n);
    int crc = ltl__tree_close(t);
    return rc ? rc : crc;
}

static void allocation_failures_leak_nothing(void **state)
{
    (void)state;
    enum { N = 700 };
    unsigned char(*l)[HS] = malloc(N * HS);
    make_leaves(l, N, 9);
    char *dir = tu_tmpdir();
    bool succeeded = false;
    for (long fail_at = 1; !succeeded && fail_at < 100; fail_at++) {
        char name[32];
        snprintf(name, sizeof(name), "t%ld", fail_at);
        char *path = tu_path(dir, name);
        tu_alloc_install(fail_at, false);
        int rc = tree_workload(path, (const unsigned char(*)[HS])l, N);
        long live = tu_alloc_live();
        tu_alloc_uninstall();
        assert_int_equal(live, 0);
        if (rc == LTL_OK)
            succeeded = true;
        else
            assert_int_equal(rc, LTL_ENOMEM);
        ltl__err_begin();
        /* whatever failed, the file opens to a consistent tree */
        struct ltl__tree *t = NULL;
        if (ltl__tree_open(&t, ltl__io_real(), path, store_id, false) == LTL_OK)
            assert_int_equal(ltl__tree_close(t), LTL_OK);
        ltl__err_begin();
        free(path);
    }
    assert_true(succeeded);
    free(dir);
    free(l);
}

/* ---- readers beside the writer ---------------------------------------------------- */

enum { CONC_N = 6000 };

struct conc {
    struct ltl__tree *t;
    unsigned char (*leaves)[HS];
    unsigned char (*roots)[HS]; /* roots[n] of the first n leaves */
    _Atomic bool done;
};

static void *reader_main(void *arg)
{
    struct conc *c = arg;
    uint64_t x = (uint64_t)(uintptr_t)&x;
    while (!atomic_load(&c->done)) {
        uint64_t n = ltl__tree_size(c->t);
        if (n == 0)
            continue;
        unsigned char root[HS];
        if (ltl__tree_root(root, c->t, n) || memcmp(root, c->roots[n], HS) != 0)
            return (void *)"root";
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        uint64_t i = (x >> 20) % n;
        struct ltl__proof p;
        if (ltl__tree_inclusion(&p, c->t, i, n) ||
            ltl__verify_inclusion(c->leaves[i], i, n, (const unsigned char(*)[HS])p.hash, p.count,
                                  root))
            return (void *)"inclusion";
        uint64_t m = (x >> 40) % (n + 1);
        if (ltl__tree_consistency(&p, c->t, m, n) ||
            ltl__verify_consistency(m, n, c->roots[m], root, (const unsigned char(*)[HS])p.hash,
                                    p.count))
            return (void *)"consistency";
    }
    return NULL;
}

static void readers_run_beside_the_writer(void **state)
{
    (void)state;
    struct conc c = {0};
    c.leaves = malloc(CONC_N * HS);
    c.roots = malloc((CONC_N + 1) * HS);
    make_leaves(c.leaves, CONC_N, 10);
    struct ltl__frontier f;
    ltl__frontier_init(&f);
    for (int i = 0; i <= CONC_N; i++) {
        assert_int_equal(ltl__frontier_root(c.roots[i], &f), LTL_OK);
        if (i < CONC_N)
            assert_int_equal(ltl__frontier_append(NULL, NULL, &f, c.leaves[i]), LTL_OK);
    }
    char *path = tree_path();
    c.t = open_tree(ltl__io_real(), path, true);
    pthread_t th[3];
    for (int i = 0; i < 3; i++)
        assert_int_equal(pthread_create(&th[i], NULL, reader_main, &c), 0);
    for (int i = 0; i < CONC_N; i++) {
        assert_int_equal(ltl__tree_append(c.t, c.leaves[i]), LTL_OK);
        if (i % 7 == 0)
            assert_int_equal(ltl__tree_flush(c.t), LTL_OK);
        if (i % 1000 == 0)
            assert_int_equal(ltl__tree_sync(c.t), LTL_OK);
    }
    assert_int_equal(ltl__tree_flush(c.t), LTL_OK);
    atomic_store(&c.done, true);
    for (int i = 0; i < 3; i++) {
        void *res;
        assert_int_equal(pthread_join(th[i], &res), 0);
        if (res)
            fail_msg("reader: %s check failed", (const char *)res);
    }
    assert_int_equal(ltl__tree_close(c.t), LTL_OK);
    free(c.leaves);
    free(c.roots);
    free(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(hashes_match_published_values),
        cmocka_unit_test(fast_and_evp_hashes_agree),
        cmocka_unit_test(entry_positions),
        cmocka_unit_test(frontier_roots_match_vectors),
        cmocka_unit_test(stored_tree_matches_ct_vectors),
        cmocka_unit_test(proofs_match_reference_everywhere),
        cmocka_unit_test(verifiers_edge_cases),
        cmocka_unit_test(reopen_keeps_everything),
        cmocka_unit_test(torn_tail_is_cut_at_every_byte),
        cmocka_unit_test(garbled_tail_is_dropped),
        cmocka_unit_test(headers_are_checked),
        cmocka_unit_test(truncate_follows_the_log),
        cmocka_unit_test(write_and_sync_failures),
        cmocka_unit_test(crash_leaves_a_consistent_prefix),
        cmocka_unit_test(allocation_failures_leak_nothing),
        cmocka_unit_test(readers_run_beside_the_writer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
