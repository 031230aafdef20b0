/* SPDX-License-Identifier: MIT */
/*
 * verify.c — checking Merkle proofs with no tree at hand: RFC 9162
 * §2.1.3.2 (inclusion) and §2.1.4.2 (consistency), step by step as the
 * RFC writes them, so an auditor can compare the two side by side. These
 * are what `ltl check-proof` and `ltl audit` rely on; they read nothing
 * but their arguments.
 */
#include "trust/trust.h"

#include <inttypes.h>
#include <stdio.h>

#define HS LTL__HASH_SIZE

static void hex8(char out[17], const unsigned char *h)
{
    for (size_t i = 0; i < 8; i++)
        snprintf(out + 2 * i, 3, "%02x", h[i]);
}

/* Shift fn and sn right until LSB(fn) is set or fn is 0 (RFC 9162 step
 * 4.b.ii of §2.1.3.2, 6.b.iii of §2.1.4.2). */
static void shift_to_odd(uint64_t *fn, uint64_t *sn)
{
    while (!(*fn & 1) && *fn != 0) {
        *fn >>= 1;
        *sn >>= 1;
    }
}

int ltl__verify_inclusion(const unsigned char leaf_hash[HS], uint64_t index, uint64_t size,
                          const unsigned char (*proof)[HS], size_t n, const unsigned char root[HS])
{
    /* 1. */
    if (index >= size)
        return ltl__errf(LTL_EVERIFY,
                         "inclusion proof: leaf %" PRIu64 " is not in a tree of %" PRIu64 " leaves",
                         index, size);
    /* 2., 3. */
    uint64_t fn = index, sn = size - 1;
    unsigned char r[HS];
    memcpy(r, leaf_hash, HS);
    int rc;
    /* 4. */
    for (size_t i = 0; i < n; i++) {
        if (sn == 0)
            return ltl__errf(LTL_EVERIFY,
                             "inclusion proof: %zu hashes, more than a tree of %" PRIu64
                             " leaves needs for leaf %" PRIu64,
                             n, size, index);
        if ((fn & 1) || fn == sn) {
            if ((rc = ltl__hash_node(r, proof[i], r)))
                return rc;
            if (!(fn & 1))
                shift_to_odd(&fn, &sn);
        } else if ((rc = ltl__hash_node(r, r, proof[i]))) {
            return rc;
        }
        fn >>= 1;
        sn >>= 1;
    }
    /* 5. */
    if (sn != 0)
        return ltl__errf(LTL_EVERIFY,
                         "inclusion proof: %zu hashes, fewer than a tree of %" PRIu64
                         " leaves needs for leaf %" PRIu64,
                         n, size, index);
    if (memcmp(r, root, HS) != 0) {
        char got[17], want[17];
        hex8(got, r);
        hex8(want, root);
        return ltl__errf(LTL_EVERIFY,
                         "inclusion proof: leaf %" PRIu64
                         " and the proof give root %s..., not %s...",
                         index, got, want);
    }
    return LTL_OK;
}

int ltl__verify_consistency(uint64_t old_size, uint64_t new_size, const unsigned char old_root[HS],
                            const unsigned char new_root[HS], const unsigned char (*proof)[HS],
                            size_t n)
{
    if (old_size > new_size)
        return ltl__errf(LTL_EVERIFY,
                         "consistency proof: the old tree (%" PRIu64
                         " leaves) is larger than the new one (%" PRIu64 ")",
                         old_size, new_size);
    if (old_size == new_size) {
        if (n != 0)
            return ltl__errf(LTL_EVERIFY, "consistency proof: trees of equal size need an "
                                          "empty proof");
        if (memcmp(old_root, new_root, HS) != 0)
            return ltl__errf(LTL_EVERIFY,
                             "consistency proof: two different roots for the same size %" PRIu64
                             ": the log forked",
                             old_size);
        return LTL_OK;
    }
    if (old_size == 0) {
        if (n != 0)
            return ltl__errf(LTL_EVERIFY, "consistency proof from the empty tree must be empty");
        if (memcmp(old_root, ltl__empty_root, HS) != 0)
            return ltl__errf(LTL_EVERIFY, "consistency proof: the old root is not the root of the "
                                          "empty tree");
        return LTL_OK;
    }
    /* RFC 9162 §2.1.4.2, for 0 < first < second. 1. */
    if (n == 0)
        return ltl__errf(LTL_EVERIFY, "consistency proof: empty");
    /* 2. when first is a power of two, the path starts with first_hash */
    bool pow2 = (old_size & (old_size - 1)) == 0;
    size_t total = n + (pow2 ? 1 : 0);
    const unsigned char *path0 = pow2 ? old_root : proof[0];
    size_t next = pow2 ? 0 : 1; /* index in proof of the path's second element */
    /* 3. */
    uint64_t fn = old_size - 1, sn = new_size - 1;
    /* 4. */
    while (fn & 1) {
        fn >>= 1;
        sn >>= 1;
    }
    /* 5. */
    unsigned char fr[HS], sr[HS];
    memcpy(fr, path0, HS);
    memcpy(sr, path0, HS);
    int rc;
    /* 6. */
    for (size_t i = 1; i < total; i++, next++) {
        const unsigned char *c = proof[next];
        if (sn == 0)
            return ltl__errf(LTL_EVERIFY,
                             "consistency proof: %zu hashes, more than %" PRIu64 " -> %" PRIu64
                             " needs",
                             n, old_size, new_size);
        if ((fn & 1) || fn == sn) {
            if ((rc = ltl__hash_node(fr, c, fr)) || (rc = ltl__hash_node(sr, c, sr)))
                return rc;
            if (!(fn & 1))
                shift_to_odd(&fn, &sn);
        } else if ((rc = ltl__hash_node(sr, sr, c))) {
            return rc;
        }
        fn >>= 1;
        sn >>= 1;
    }
    /* 7. */
    if (sn != 0)
        return ltl__errf(LTL_EVERIFY,
                         "consistency proof: %zu hashes, fewer than %" PRIu64 " -> %" PRIu64
                         " needs",
                         n, old_size, new_size);
    if (memcmp(fr, old_root, HS) != 0)
        return ltl__errf(LTL_EVERIFY,
                         "consistency proof: it does not lead to the old root of %" PRIu64
                         " leaves: the new tree does not extend the old one",
                         old_size);
    if (memcmp(sr, new_root, HS) != 0)
        return ltl__errf(LTL_EVERIFY,
                         "consistency proof: it does not lead to the new root of %" PRIu64
                         " leaves: the new tree does not extend the old one",
                         new_size);
    return LTL_OK;
}
