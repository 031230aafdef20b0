/* SPDX-License-Identifier: MIT */
/*
 * hash.c — SHA-256 for the Merkle tree: the RFC 6962/9162 leaf hash
 * SHA-256(0x00 || body) and node hash SHA-256(0x01 || left || right).
 *
 * Why not EVP alone: an append costs one leaf hash (~250 bytes, 5 blocks)
 * and, amortized, one node hash (2 blocks), and the budget is 0.5 µs. On
 * OpenSSL 3.0 each EVP digest (init, update, final through the provider)
 * adds ~100 ns of dispatch and a context allocation to the ~50 ns a block
 * costs with the SHA extensions, which puts an append over budget
 * (bench/trust measures both). The SHA256_Init/Update/Final functions run
 * the same SHA-NI block code from a stack context with no dispatch. They
 * are deprecated in OpenSSL 3.0 but present unless OpenSSL was built with
 * no-deprecated; then OPENSSL_NO_DEPRECATED_3_0 is set and we use EVP.
 */
#define OPENSSL_SUPPRESS_DEPRECATED /* SHA256_Init & co., see above */

#include "trust/trust.h"

#include <openssl/evp.h>
#include <openssl/sha.h>
#include <pthread.h>

const unsigned char ltl__empty_root[LTL__HASH_SIZE] = {
    0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14, 0x9a, 0xfb, 0xf4, 0xc8, 0x99, 0x6f, 0xb9, 0x24,
    0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b, 0x93, 0x4c, 0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52, 0xb8, 0x55};

/* ---- EVP: fetched once, a context per call --------------------------------- */

static pthread_once_t md_once = PTHREAD_ONCE_INIT;
static EVP_MD *md_sha256;

static void md_fetch(void)
{
    /* kept for the life of the process: an explicit fetch avoids the
     * implicit one EVP_sha256() costs on every init */
    md_sha256 = EVP_MD_fetch(NULL, "SHA2-256", NULL);
}

/* out = SHA-256(prefix[0..plen) || data[0..len)) through EVP. */
static int evp_digest2(unsigned char out[LTL__HASH_SIZE], const void *prefix, size_t plen,
                       const void *data, size_t len)
{
    pthread_once(&md_once, md_fetch);
    if (!md_sha256)
        return ltl__errf(LTL_EIO, "OpenSSL has no SHA-256 implementation available");
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    if (!ctx)
        return ltl__errf(LTL_ENOMEM, "out of memory (OpenSSL digest context)");
    int rc = LTL_OK;
    unsigned int n = 0;
    if (!EVP_DigestInit_ex2(ctx, md_sha256, NULL) ||
        (plen && !EVP_DigestUpdate(ctx, prefix, plen)) ||
        (len && !EVP_DigestUpdate(ctx, data, len)) || !EVP_DigestFinal_ex(ctx, out, &n) ||
        n != LTL__HASH_SIZE)
        rc = ltl__errf(LTL_ENOMEM, "SHA-256 failed in OpenSSL (out of memory?)");
    EVP_MD_CTX_free(ctx);
    return rc;
}

int ltl__hash_leaf_evp(unsigned char out[LTL__HASH_SIZE], const void *body, size_t len)
{
    static const unsigned char zero = 0x00;
    return evp_digest2(out, &zero, 1, body, len);
}

int ltl__hash_node_evp(unsigned char out[LTL__HASH_SIZE], const unsigned char left[LTL__HASH_SIZE],
                       const unsigned char right[LTL__HASH_SIZE])
{
    unsigned char in[1 + 2 * LTL__HASH_SIZE];
    in[0] = 0x01;
    memcpy(in + 1, left, LTL__HASH_SIZE);
    memcpy(in + 1 + LTL__HASH_SIZE, right, LTL__HASH_SIZE);
    return evp_digest2(out, NULL, 0, in, sizeof(in));
}

/* ---- the fast path --------------------------------------------------------- */

#ifndef OPENSSL_NO_DEPRECATED_3_0

const char *ltl__hash_impl(void)
{
    return "openssl-sha256";
}

int ltl__hash_leaf(unsigned char out[LTL__HASH_SIZE], const void *body, size_t len)
{
    static const unsigned char zero = 0x00;
    SHA256_CTX c;
    /* these only fail on NULL arguments */
    SHA256_Init(&c);
    SHA256_Update(&c, &zero, 1);
    SHA256_Update(&c, body, len);
    SHA256_Final(out, &c);
    return LTL_OK;
}

int ltl__hash_node(unsigned char out[LTL__HASH_SIZE], const unsigned char left[LTL__HASH_SIZE],
                   const unsigned char right[LTL__HASH_SIZE])
{
    unsigned char in[1 + 2 * LTL__HASH_SIZE];
    in[0] = 0x01;
    memcpy(in + 1, left, LTL__HASH_SIZE);
    memcpy(in + 1 + LTL__HASH_SIZE, right, LTL__HASH_SIZE);
    SHA256_CTX c;
    SHA256_Init(&c);
    SHA256_Update(&c, in, sizeof(in));
    SHA256_Final(out, &c);
    return LTL_OK;
}

int ltl__sha256(unsigned char out[LTL__HASH_SIZE], const void *data, size_t len)
{
    SHA256_CTX c;
    SHA256_Init(&c);
    SHA256_Update(&c, data, len);
    SHA256_Final(out, &c);
    return LTL_OK;
}

#else /* OpenSSL without its deprecated API */

const char *ltl__hash_impl(void)
{
    return "openssl-evp";
}

int ltl__hash_leaf(unsigned char out[LTL__HASH_SIZE], const void *body, size_t len)
{
    return ltl__hash_leaf_evp(out, body, len);
}

int ltl__hash_node(unsigned char out[LTL__HASH_SIZE], const unsigned char left[LTL__HASH_SIZE],
                   const unsigned char right[LTL__HASH_SIZE])
{
    return ltl__hash_node_evp(out, left, right);
}

int ltl__sha256(unsigned char out[LTL__HASH_SIZE], const void *data, size_t len)
{
    return evp_digest2(out, NULL, 0, data, len);
}

#endif
