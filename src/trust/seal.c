/* SPDX-License-Identifier: MIT */
/*
 * seal.c — encryption of payloads at rest: ChaCha20-Poly1305 (RFC 8439)
 * under a per-store key derived from the read key with HKDF-SHA256 (RFC
 * 5869), the record's envelope as associated data, and a nonce that stays
 * unique when a crash makes the writer write a seq a second time:
 *
 *   nonce = seq mod 2^48, 6 bytes little-endian || r, 6 bytes
 *   sealed = r || ciphertext || 16-byte tag
 *
 * r comes from a per-thread 48-bit counter that starts at a random value
 * (OpenSSL's RNG) the first time a thread seals, and again in a forked
 * child: a thread never repeats an r, two threads or processes repeat one
 * with probability 2^-48, and a seal costs no RNG call (RAND_bytes costs
 * more than the cipher on a 250-byte payload here).
 *
 * Why not a nonce from (store id, seq) alone: recovery truncates a torn
 * tail and the same seq is then written again with another payload, under
 * the same key; a repeated ChaCha20-Poly1305 nonce reveals the XOR of the
 * two plaintexts and the Poly1305 key. With r, a repeat needs the same seq
 * (a rewrite after a crash, in another process) and the same r: 2^-48 per
 * rewrite. Distinct seqs (below 2^48) never collide, however long the
 * store lives, unlike a fully random 96-bit nonce (q^2 / 2^97 for q
 * records). The store id goes into the key instead of the nonce, so stores
 * sharing one read key never share a (key, nonce) pair; seqs of 2^48 and
 * more (where the nonce's seq wraps) get a key per 2^48 seqs (epoch_key).
 */
#include "trust/trust.h"

#include <limits.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/kdf.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <stdatomic.h>

static const char hkdf_info[] = "ltl record key v1";

static pthread_once_t cipher_once = PTHREAD_ONCE_INIT;
static EVP_CIPHER *cipher;

static void cipher_fetch(void)
{
    cipher = EVP_CIPHER_fetch(NULL, "ChaCha20-Poly1305", NULL);
}

static const EVP_CIPHER *get_cipher(void)
{
    pthread_once(&cipher_once, cipher_fetch);
    if (!cipher)
        ltl__errf(LTL_EIO, "OpenSSL has no ChaCha20-Poly1305 implementation available");
    return cipher;
}

int ltl__seal_key_derive(struct ltl__seal_key *out, const struct ltl__read_key *rk,
                         const unsigned char store_id[16])
{
    memset(out, 0, sizeof(*out));
    EVP_KDF *kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
    EVP_KDF_CTX *ctx = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
    int rc = LTL_OK;
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)"SHA256", 0),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)rk->secret, 32),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)store_id, 16),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, (void *)hkdf_info,
                                          sizeof(hkdf_info) - 1),
        OSSL_PARAM_construct_end(),
    };
    if (!ctx || EVP_KDF_derive(ctx, out->key, sizeof(out->key), params) != 1) {
        ltl__key_wipe(out, sizeof(*out));
        rc = ltl__errf(LTL_ENOMEM, "OpenSSL HKDF failed (out of memory?)");
    } else {
        out->read_key_id = rk->id;
    }
    EVP_KDF_CTX_free(ctx);
    EVP_KDF_free(kdf);
    ERR_clear_error();
    return rc;
}

/* ---- r: a per-thread counter from a random start ------------------------------ */

static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;
static _Atomic unsigned fork_generation;

static void on_fork_child(void)
{
    atomic_fetch_add(&fork_generation, 1);
}

static void atfork_register(void)
{
    /* a child must not continue its parent's sequence of r */
    pthread_atfork(NULL, NULL, on_fork_child);
}

static __thread struct {
    bool seeded;
    unsigned generation;
    uint64_t next; /* 48 bits */
} tls_r;

static int next_r(unsigned char out[LTL__SEAL_RANDOM])
{
    pthread_once(&atfork_once, atfork_register);
    unsigned gen = atomic_load(&fork_generation);
    if (!tls_r.seeded || tls_r.generation != gen) {
        unsigned char seed[LTL__SEAL_RANDOM];
        if (RAND_bytes(seed, sizeof(seed)) != 1) {
            ERR_clear_error();
            return ltl__errf(LTL_EIO, "the random generator failed");
        }
        tls_r.next = 0;
        for (int i = 0; i < LTL__SEAL_RANDOM; i++)
            tls_r.next |= (uint64_t)seed[i] << (8 * i);
        tls_r.generation = gen;
        tls_r.seeded = true;
    }
    uint64_t v = tls_r.next;
    tls_r.next = (v + 1) & (((uint64_t)1 << 48) - 1);
    for (int i = 0; i < LTL__SEAL_RANDOM; i++)
        out[i] = (unsigned char)(v >> (8 * i));
    return LTL_OK;
}

/* The key for seq: the store key for seqs below 2^48; above, where the nonce's
 * 48 bits of seq wrap, a key of its own per 2^48 seqs (epoch e = seq >> 48):
 * HMAC-SHA256(store key, "ltl epoch" || e as 8 bytes little-endian), so a
 * wrapped seq never meets an earlier nonce under the same key. */
static int epoch_key(unsigned char out[32], const struct ltl__seal_key *key, uint64_t seq)
{
    uint64_t epoch = seq >> 48;
    if (epoch == 0) {
        memcpy(out, key->key, 32);
        return LTL_OK;
    }
    unsigned char msg[9 + 8];
    unsigned int n = 0;
    memcpy(msg, "ltl epoch", 9);
    ltl__put_u64(msg + 9, epoch);
    if (!HMAC(EVP_sha256(), key->key, 32, msg, sizeof(msg), out, &n) || n != 32) {
        ERR_clear_error();
        return ltl__errf(LTL_ENOMEM, "OpenSSL HMAC failed (out of memory?)");
    }
    return LTL_OK;
}

static void nonce_make(unsigned char nonce[12], uint64_t seq, const unsigned char random[6])
{
    for (int i = 0; i < 6; i++)
        nonce[i] = (unsigned char)(seq >> (8 * i));
    memcpy(nonce + 6, random, LTL__SEAL_RANDOM);
}

int ltl__seal(unsigned char *out, const struct ltl__seal_key *key, const void *aad, size_t aad_len,
              const void *plaintext, size_t len, uint64_t seq)
{
    if (len > INT_MAX || aad_len > INT_MAX)
        return ltl__errf(LTL_ETOOBIG, "%zu bytes are too many to encrypt at once", len);
    const EVP_CIPHER *c = get_cipher();
    if (!c)
        return LTL_EIO;
    int rc = next_r(out);
    if (rc)
        return rc;
    unsigned char nonce[12];
    nonce_make(nonce, seq, out);
    unsigned char k[32];
    if ((rc = epoch_key(k, key, seq)))
        return rc;
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    unsigned char *ct = out + LTL__SEAL_RANDOM;
    int n = 0, m = 0;
    if (!ctx || EVP_EncryptInit_ex2(ctx, c, k, nonce, NULL) != 1 ||
        (aad_len && EVP_EncryptUpdate(ctx, NULL, &n, aad, (int)aad_len) != 1) ||
        EVP_EncryptUpdate(ctx, ct, &n, plaintext, (int)len) != 1 ||
        EVP_EncryptFinal_ex(ctx, ct + n, &m) != 1 || n + m != (int)len ||
        EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, LTL__SEAL_TAG, ct + len) != 1)
        rc = ltl__errf(LTL_ENOMEM, "OpenSSL ChaCha20-Poly1305 failed (out of memory?)");
    EVP_CIPHER_CTX_free(ctx);
    ERR_clear_error();
    ltl__key_wipe(k, sizeof(k));
    return rc;
}

int ltl__unseal(unsigned char *out, const struct ltl__seal_key *key, const void *aad,
                size_t aad_len, const void *sealed, size_t len, uint64_t seq)
{
    if (len < LTL__SEAL_OVERHEAD)
        return ltl__errf(LTL_ECORRUPT,
                         "encrypted payload of %zu bytes is shorter than the %d of "
                         "its nonce and tag",
                         len, LTL__SEAL_OVERHEAD);
    size_t ct_len = len - LTL__SEAL_OVERHEAD;
    if (ct_len > INT_MAX || aad_len > INT_MAX)
        return ltl__errf(LTL_ETOOBIG, "%zu bytes are too many to decrypt at once", len);
    const EVP_CIPHER *c = get_cipher();
    if (!c)
        return LTL_EIO;
    const unsigned char *in = sealed;
    unsigned char nonce[12], tag[LTL__SEAL_TAG];
    nonce_make(nonce, seq, in);
    unsigned char k[32];
    int rc = epoch_key(k, key, seq);
    if (rc)
        return rc;
    memcpy(tag, in + LTL__SEAL_RANDOM + ct_len, LTL__SEAL_TAG);
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    int n = 0, m = 0;
    if (!ctx || EVP_DecryptInit_ex2(ctx, c, k, nonce, NULL) != 1 ||
        EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, LTL__SEAL_TAG, tag) != 1 ||
        (aad_len && EVP_DecryptUpdate(ctx, NULL, &n, aad, (int)aad_len) != 1) ||
        EVP_DecryptUpdate(ctx, out, &n, in + LTL__SEAL_RANDOM, (int)ct_len) != 1) {
        rc = ltl__errf(LTL_ENOMEM, "OpenSSL ChaCha20-Poly1305 failed (out of memory?)");
    } else if (EVP_DecryptFinal_ex(ctx, out + n, &m) != 1) {
        rc = ltl__errf(LTL_EKEY,
                       "cannot decrypt record %llu: wrong read key, or the record was "
                       "altered or damaged (authentication failed)",
                       (unsigned long long)seq);
    }
    if (rc)
        ltl__key_wipe(out, ct_len); /* never hand out unauthenticated plaintext */
    EVP_CIPHER_CTX_free(ctx);
    ERR_clear_error();
    ltl__key_wipe(k, sizeof(k));
    return rc;
}
