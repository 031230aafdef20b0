/* SPDX-License-Identifier: MIT */
/*
 * test_trust_note.c — keys, signed notes, checkpoints, proof texts, key
 * files and encryption at rest: the golang.org/x/mod/sumdb/note test
 * vectors (keys, an Ed25519 signed note that must come out byte for
 * byte), its mangled keys and malformed notes, the C2SP checkpoint and
 * tlog-proof formats, forged and wrong-key signatures, key file modes, the
 * RFC 8439 ChaCha20-Poly1305 and RFC 5869 HKDF vectors, and tampering with
 * sealed records.
 */
#include "testutil.h"

#include "io/io.h"
#include "trust/trust.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define HS LTL__HASH_SIZE

static const unsigned char store_id[16] = {0xa0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};

static void unhex(unsigned char *out, const char *hex)
{
    size_t n = strlen(hex) / 2;
    for (size_t i = 0; i < n; i++) {
        unsigned v;
        sscanf(hex + 2 * i, "%2x", &v);
        out[i] = (unsigned char)v;
    }
}

static bool msg_has(const char *needle)
{
    return strstr(ltl__err_current(), needle) != NULL;
}

/* ---- golang.org/x/mod/sumdb/note vectors (sumdb/note/note_test.go) ---------- */

static const char peter_skey[] =
    "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
static const char peter_vkey[] =
    "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
static const char enoch_vkey[] = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop";
static const char note_text[] = "If you think cryptography is the answer to your problem,\n"
                                "then you don't know what your problem is.\n";
static const char peter_sig[] = "\xe2\x80\x94 PeterNeumann "
                                "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKv"
                                "qfqdngotpRZb6KE6RyyBwJnAM=\n";
static const char enoch_sig[] =
    "\xe2\x80\x94 EnochRoot "
    "rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG0"
    "1oOTGwnWLox33WWd1RvMc+QQ=\n";

static char *cat(const char *a, const char *b, const char *c)
{
    size_t n = strlen(a) + strlen(b) + strlen(c);
    char *s = malloc(n + 1);
    snprintf(s, n + 1, "%s%s%s", a, b, c);
    return s;
}

static void go_note_vectors(void **state)
{
    (void)state;
    struct ltl__write_key wk;
    struct ltl__check_key ck, pub;
    assert_int_equal(ltl__write_key_parse(&wk, peter_skey, strlen(peter_skey)), LTL_OK);
    assert_string_equal(wk.name, "PeterNeumann");
    assert_true(wk.id == 0xc74f20a3);
    assert_int_equal(ltl__check_key_parse(&ck, peter_vkey, strlen(peter_vkey)), LTL_OK);
    assert_true(ck.id == 0xc74f20a3);
    /* the public key derived from the seed is the published check key */
    ltl__write_key_public(&pub, &wk);
    assert_memory_equal(pub.pub, ck.pub, 32);
    ltl__buf b = {0};
    assert_int_equal(ltl__write_key_format(&b, &wk), LTL_OK);
    assert_string_equal(b.data, peter_skey);
    b.len = 0;
    assert_int_equal(ltl__check_key_format(&b, &pub), LTL_OK);
    assert_string_equal(b.data, peter_vkey);
    /* Ed25519 is deterministic: the signed note is Go's, byte for byte */
    b.len = 0;
    assert_int_equal(ltl__note_sign(&b, note_text, strlen(note_text), &wk), LTL_OK);
    char *want = cat(note_text, "\n", peter_sig);
    assert_string_equal(b.data, want);
    size_t text_len = 0;
    assert_int_equal(ltl__note_verify(&text_len, b.data, b.len, &ck), LTL_OK);
    assert_int_equal(text_len, strlen(note_text));
    /* a note signed by two keys verifies with either; the other is ignored */
    char *both = cat(note_text, "\n", "");
    char *two = cat(both, peter_sig, enoch_sig);
    struct ltl__check_key enoch;
    assert_int_equal(ltl__check_key_parse(&enoch, enoch_vkey, strlen(enoch_vkey)), LTL_OK);
    assert_int_equal(ltl__note_verify(&text_len, two, strlen(two), &ck), LTL_OK);
    assert_int_equal(ltl__note_verify(&text_len, two, strlen(two), &enoch), LTL_OK);
    assert_int_equal(text_len, strlen(note_text));
    /* but only Enoch's signature is not Peter's */
    char *enoch_only = cat(note_text, "\n", enoch_sig);
    ltl__err_begin();
    assert_int_equal(ltl__note_verify(&text_len, enoch_only, strlen(enoch_only), &ck), LTL_EVERIFY);
    assert_true(msg_has("no signature by key PeterNeumann+c74f20a3"));
    assert_true(msg_has("EnochRoot+af0cfe78"));
    ltl__key_wipe(&wk, sizeof(wk));
    ltl__buf_free(&b);
    free(want);
    free(both);
    free(two);
    free(enoch_only);
}

/* Go's TestNewVerifier/TestNewSigner: every substring and every byte
 * changed by one is refused. */
static void mangled_keys_are_refused(void **state)
{
    (void)state;
    struct ltl__write_key wk;
    struct ltl__check_key ck;
    const char *keys[] = {peter_vkey, peter_skey};
    for (int which = 0; which < 2; which++) {
        size_t n = strlen(keys[which]);
        char *b = malloc(n + 1);
        memcpy(b, keys[which], n + 1);
        for (size_t i = 0; i <= n; i++)
            for (size_t j = i + 1; j <= n; j++) {
                if (i == 0 && j == n)
                    continue;
                int rc = which ? ltl__write_key_parse(&wk, b + i, j - i)
                               : ltl__check_key_parse(&ck, b + i, j - i);
                if (rc == LTL_OK)
                    fail_msg("accepted %.*s", (int)(j - i), b + i);
            }
        for (size_t i = 0; i < n; i++) {
            b[i]++;
            int rc = which ? ltl__write_key_parse(&wk, b, n) : ltl__check_key_parse(&ck, b, n);
            if (rc == LTL_OK)
                fail_msg("accepted %s", b);
            b[i]--;
        }
        free(b);
    }
    ltl__err_begin();
    /* wrong length key, with adjusted key hash; unknown algorithm, with adjusted key hash */
    static const char wrong_len[] =
        "PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==";
    static const char wrong_alg[] =
        "PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
    assert_int_equal(ltl__check_key_parse(&ck, wrong_len, strlen(wrong_len)), LTL_EPARSE);
    assert_true(msg_has("base64")); /* "BADKEY==" has stray bits: not canonical */
    static const char long_key[] = "k+00000000+AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==";
    ltl__err_begin();
    assert_int_equal(ltl__check_key_parse(&ck, long_key, strlen(long_key)), LTL_EPARSE);
    assert_true(msg_has("34 bytes, not 33"));
    ltl__err_begin();
    assert_int_equal(ltl__check_key_parse(&ck, wrong_alg, strlen(wrong_alg)), LTL_EKEY);
    assert_true(msg_has("algorithm 0x65"));
    ltl__err_begin();
    /* a hash that does not match: the key was edited */
    static const char bad_id[] =
        "PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
    assert_int_equal(ltl__check_key_parse(&ck, bad_id, strlen(bad_id)), LTL_EKEY);
    assert_true(msg_has("does not match"));
    ltl__err_begin();
    /* names */
    static const char spaced[] =
        "Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
    assert_int_equal(ltl__check_key_parse(&ck, spaced, strlen(spaced)), LTL_EPARSE);
    assert_true(msg_has("space"));
    ltl__err_begin();
    /* a write key is not a check key, and the other way round */
    assert_int_equal(ltl__check_key_parse(&ck, peter_skey, strlen(peter_skey)), LTL_EPARSE);
    assert_true(msg_has("write key"));
    assert_int_equal(ltl__write_key_parse(&wk, peter_vkey, strlen(peter_vkey)), LTL_EPARSE);
    struct ltl__read_key rk;
    assert_int_equal(ltl__read_key_parse(&rk, peter_vkey, strlen(peter_vkey)), LTL_EPARSE);
}

static void names_are_checked(void **state)
{
    (void)state;
    struct ltl__write_key wk;
    static const char *const bad[] = {
        "",         "a b",     "a+b", "tab\there", "nl\nx", "nbsp\xc2\xa0x", "em\xe2\x80\x83space",
        "\xff\xfe", "del\x7f",
    };
    for (size_t i = 0; i < LTL__ARRAY_LEN(bad); i++) {
        ltl__err_begin();
        if (ltl__write_key_generate(&wk, bad[i]) != LTL_EINVAL)
            fail_msg("name \"%s\" was accepted", bad[i]);
    }
    char longname[LTL__NAME_MAX + 2];
    memset(longname, 'x', sizeof(longname) - 1);
    longname[LTL__NAME_MAX + 1] = '\0';
    assert_int_equal(ltl__write_key_generate(&wk, longname), LTL_EINVAL);
    longname[LTL__NAME_MAX] = '\0';
    assert_int_equal(ltl__write_key_generate(&wk, longname), LTL_OK);
    assert_int_equal(ltl__write_key_generate(&wk, "example.com/log/日本"), LTL_OK);
    ltl__key_wipe(&wk, sizeof(wk));
}

static void generated_keys_sign_and_verify(void **state)
{
    (void)state;
    struct ltl__write_key a, b, parsed;
    struct ltl__check_key ca, cb;
    assert_int_equal(ltl__write_key_generate(&a, "example.com/a"), LTL_OK);
    assert_int_equal(ltl__write_key_generate(&b, "example.com/a"), LTL_OK);
    assert_memory_not_equal(a.seed, b.seed, 32);
    ltl__write_key_public(&ca, &a);
    ltl__write_key_public(&cb, &b);
    ltl__buf t = {0};
    assert_int_equal(ltl__write_key_format(&t, &a), LTL_OK);
    assert_int_equal(ltl__write_key_parse(&parsed, t.data, t.len), LTL_OK);
    assert_memory_equal(&parsed, &a, sizeof(a));
    t.len = 0;
    assert_int_equal(ltl__note_sign(&t, "hello\n", 6, &a), LTL_OK);
    size_t text_len;
    assert_int_equal(ltl__note_verify(&text_len, t.data, t.len, &ca), LTL_OK);
    /* the same name with another key: refused (a different id, so "no signature by") */
    ltl__err_begin();
    assert_int_equal(ltl__note_verify(&text_len, t.data, t.len, &cb), LTL_EVERIFY);
    /* a forged signature under a's name and id */
    cb.id = ca.id;
    ltl__err_begin();
    assert_int_equal(ltl__note_verify(&text_len, t.data, t.len, &cb), LTL_EVERIFY);
    assert_true(msg_has("invalid signature"));
    /* the text changed after signing */
    t.data[0] = 'j';
    ltl__err_begin();
    assert_int_equal(ltl__note_verify(&text_len, t.data, t.len, &ca), LTL_EVERIFY);
    assert_true(msg_has("invalid signature"));
    /* sign refuses what is not note text */
    assert_int_equal(ltl__note_sign(&t, "no newline", 10, &a), LTL_EINVAL);
    assert_int_equal(ltl__note_sign(&t, "bell\a\n", 6, &a), LTL_EINVAL);
    ltl__key_wipe(&a, sizeof(a));
    ltl__key_wipe(&b, sizeof(b));
    ltl__buf_free(&t);
}

/* Go's TestOpen: malformed notes, too many signatures, a corrupt signature. */
static void malformed_notes_are_refused(void **state)
{
    (void)state;
    struct ltl__check_key ck;
    assert_int_equal(ltl__check_key_parse(&ck, peter_vkey, strlen(peter_vkey)), LTL_OK);
    size_t n, sl = strlen(peter_sig);
    char *text_nl = cat(note_text, "\n", "");
    char *cut = cat(text_nl, "", "");
    cut = realloc(cut, strlen(text_nl) + sl + 1);
    memcpy(cut + strlen(text_nl), peter_sig, sl - 1);
    cut[strlen(text_nl) + sl - 1] = '\0';
    char *ctl = cat("\x01", text_nl, peter_sig);
    char *ff = cat("\xff", text_nl, peter_sig);
    char *badname = cat(text_nl,
                        "\xe2\x80\x94 Bad Name x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgY"
                        "N1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=",
                        "");
    char *extra = cat(text_nl, peter_sig, "Unexpected line.\n");
    const char *bad[] = {note_text, text_nl, cut, ctl, ff, badname, extra};
    for (size_t i = 0; i < LTL__ARRAY_LEN(bad); i++) {
        int rc = ltl__note_verify(&n, bad[i], strlen(bad[i]), &ck);
        if (rc != LTL_EPARSE)
            fail_msg("malformed note %zu: %s", i, ltl_strerror(rc));
    }
    /* 101 signatures are too many */
    size_t big_len = strlen(text_nl) + 101 * sl;
    char *many = malloc(big_len + 1);
    strcpy(many, text_nl);
    for (int i = 0; i < 101; i++)
        strcat(many, peter_sig);
    assert_int_equal(ltl__note_verify(&n, many, big_len, &ck), LTL_EPARSE);
    /* Go's corrupt signature: ABCD inserted at byte 60 of the line */
    size_t tl = strlen(text_nl);
    char *corrupt = malloc(tl + sl + 5);
    memcpy(corrupt, text_nl, tl);
    memcpy(corrupt + tl, peter_sig, 60);
    memcpy(corrupt + tl + 60, "ABCD", 4);
    memcpy(corrupt + tl + 64, peter_sig + 60, sl - 60 + 1);
    ltl__err_begin();
    assert_int_equal(ltl__note_verify(&n, corrupt, strlen(corrupt), &ck), LTL_EVERIFY);
    assert_true(msg_has("invalid signature for key") || msg_has("invalid signature by key"));
    free(text_nl);
    free(cut);
    free(ctl);
    free(ff);
    free(badname);
    free(extra);
    free(many);
    free(corrupt);
}

/* ---- checkpoints ----------------------------------------------------------------- */

static void checkpoints_signed_and_unsigned(void **state)
{
    (void)state;
    struct ltl__write_key wk;
    struct ltl__check_key ck, other;
    struct ltl__write_key ok;
    char origin[LTL__ORIGIN_DEFAULT_SIZE];
    ltl__origin_default(origin, store_id);
    assert_string_equal(origin, "ltl/a00102030405060708090a0b0c0d0e0f");
    assert_int_equal(ltl__write_key_generate(&wk, origin), LTL_OK);
    assert_int_equal(ltl__write_key_generate(&ok, "someone.else"), LTL_OK);
    ltl__write_key_public(&ck, &wk);
    ltl__write_key_public(&other, &ok);
    struct ltl__checkpoint cp = {.size = 20852163}, got;
    snprintf(cp.origin, sizeof(cp.origin), "%s", origin);
    unhex(cp.root, "0ac5186a91863e8e1d90c80801"
                   "4aa89bf5da8e3ee1d9f07630f0378f68f1ab62");
    ltl__buf t = {0};
    assert_int_equal(ltl__checkpoint_format(&t, &cp, NULL), LTL_OK);
    char want[256];
    snprintf(want, sizeof(want), "%s\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n",
             origin);
    assert_string_equal(t.data, want);
    /* unsigned: parses without a key, says so; with a key it is refused */
    assert_int_equal(ltl__checkpoint_parse(&got, t.data, t.len, NULL), LTL_OK);
    assert_false(got.has_signatures);
    assert_false(got.verified);
    assert_true(got.size == cp.size);
    assert_memory_equal(got.root, cp.root, HS);
    ltl__err_begin();
    assert_int_equal(ltl__checkpoint_parse(&got, t.data, t.len, &ck), LTL_EVERIFY);
    assert_true(msg_has("unsigned"));
    /* signed */
    t.len = 0;
    assert_int_equal(ltl__checkpoint_format(&t, &cp, &wk), LTL_OK);
    assert_int_equal(ltl__checkpoint_parse(&got, t.data, t.len, &ck), LTL_OK);
    assert_true(got.has_signatures && got.verified);
    assert_string_equal(got.origin, origin);
    assert_int_equal(ltl__checkpoint_parse(&got, t.data, t.len, NULL), LTL_OK);
    assert_true(got.has_signatures && !got.verified);
    ltl__err_begin();
    assert_int_equal(ltl__checkpoint_parse(&got, t.data, t.len, &other), LTL_EVERIFY);
    assert_true(msg_has("no signature by key someone.else"));
    assert_true(msg_has("20852163"));
    /* the size changed after signing */
    char *p = strstr(t.data, "20852163");
    p[7] = '4';
    ltl__err_begin();
    assert_int_equal(ltl__checkpoint_parse(&got, t.data, t.len, &ck), LTL_EVERIFY);
    assert_true(msg_has("invalid signature"));
    /* the C2SP tlog-checkpoint example parses (its key is not published) */
    static const char c2sp[] =
        "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n\n"
        "\xe2\x80\x94 example.com/behind-the-sofa "
        "Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/"
        "Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n";
    assert_int_equal(ltl__checkpoint_parse(&got, c2sp, strlen(c2sp), NULL), LTL_OK);
    assert_string_equal(got.origin, "example.com/behind-the-sofa");
    assert_true(got.size == 20852163 && got.has_signatures);
    assert_memory_equal(got.root, cp.root, HS);
    assert_int_equal(ltl__checkpoint_parse(&got, c2sp, strlen(c2sp), &ck), LTL_EVERIFY);
    /* extension lines are accepted and ignored */
    static const char ext[] = "o\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\next one\n";
    assert_int_equal(ltl__checkpoint_parse(&got, ext, strlen(ext), NULL), LTL_OK);
    assert_true(got.size == 0);
    /* malformed bodies */
    static const char *const bad[] = {
        "",
        "o\n",
        "o\n1\n",
        "o\n01\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n",
        "o\n-1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n",
        "o\n18446744073709551616\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n",
        "o\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2\n",
        "o\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=",
        "\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n",
        "o\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n\n",
        "o\r\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n",
    };
    for (size_t i = 0; i < LTL__ARRAY_LEN(bad); i++)
        if (ltl__checkpoint_parse(&got, bad[i], strlen(bad[i]), NULL) != LTL_EPARSE)
            fail_msg("malformed checkpoint %zu accepted", i);
    assert_int_equal(ltl__checkpoint_parse(&got,
                                           "o\n18446744073709551615\n"
                                           "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n",
                                           68, NULL),
                     LTL_OK);
    assert_true(got.size == UINT64_MAX);
    /* an origin we would not sign */
    snprintf(cp.origin, sizeof(cp.origin), "has space");
    assert_int_equal(ltl__checkpoint_format(&t, &cp, &wk), LTL_EINVAL);
    ltl__key_wipe(&wk, sizeof(wk));
    ltl__key_wipe(&ok, sizeof(ok));
    ltl__buf_free(&t);
}

/* ---- proof texts ------------------------------------------------------------------ */

struct signed_tree {
    char *path;
    struct ltl__tree *t;
    unsigned char leaves[40][HS];
    struct ltl__write_key wk;
    struct ltl__check_key ck;
};

static void signed_tree_make(struct signed_tree *s, int n)
{
    char *dir = tu_tmpdir();
    s->path = tu_path(dir, LTL__TREE_FILE);
    free(dir);
    assert_int_equal(ltl__tree_open(&s->t, ltl__io_real(), s->path, store_id, true), LTL_OK);
    for (int i = 0; i < n; i++) {
        char body[32];
        int len = snprintf(body, sizeof(body), "entry %d", i);
        assert_int_equal(ltl__hash_leaf(s->leaves[i], body, (size_t)len), LTL_OK);
        assert_int_equal(ltl__tree_append(s->t, s->leaves[i]), LTL_OK);
    }
    assert_int_equal(ltl__tree_flush(s->t), LTL_OK);
    char origin[LTL__ORIGIN_DEFAULT_SIZE];
    ltl__origin_default(origin, store_id);
    assert_int_equal(ltl__write_key_generate(&s->wk, origin), LTL_OK);
    ltl__write_key_public(&s->ck, &s->wk);
}

static void checkpoint_at(ltl__buf *out, struct signed_tree *s, uint64_t size, bool sign)
{
    struct ltl__checkpoint cp = {.size = size};
    ltl__origin_default(cp.origin, store_id);
    assert_int_equal(ltl__tree_root(cp.root, s->t, size), LTL_OK);
    out->len = 0;
    assert_int_equal(ltl__checkpoint_format(out, &cp, sign ? &s->wk : NULL), LTL_OK);
}

static void signed_tree_free(struct signed_tree *s)
{
    assert_int_equal(ltl__tree_close(s->t), LTL_OK);
    ltl__key_wipe(&s->wk, sizeof(s->wk));
    free(s->path);
}

static void tlog_proofs(void **state)
{
    (void)state;
    struct signed_tree s;
    signed_tree_make(&s, 37);
    ltl__buf cp = {0}, text = {0};
    checkpoint_at(&cp, &s, 37, true);
    struct ltl__proof p;
    assert_int_equal(ltl__tree_inclusion(&p, s.t, 13, 37), LTL_OK);
    assert_int_equal(ltl__tlog_proof_format(&text, 13, &p, cp.data, cp.len, NULL, 0), LTL_OK);
    assert_true(strncmp(text.data, "c2sp.org/tlog-proof@v1\nindex 13\n", 32) == 0);
    struct ltl__proof_text pt;
    assert_int_equal(ltl__tlog_proof_parse(&pt, text.data, text.len), LTL_OK);
    assert_true(pt.index == 13);
    assert_int_equal(pt.proof.count, p.count);
    assert_memory_equal(pt.proof.hash, p.hash, p.count * HS);
    assert_int_equal(pt.checkpoint_len, cp.len);
    assert_memory_equal(pt.checkpoint, cp.data, cp.len);
    assert_null(pt.extra);
    ltl__proof_text_free(&pt);
    struct ltl__checkpoint got;
    assert_int_equal(ltl__tlog_proof_check(&got, text.data, text.len, s.leaves[13], &s.ck), LTL_OK);
    assert_true(got.verified && got.size == 37);
    /* without a key: the inclusion is checked, the signature is not */
    assert_int_equal(ltl__tlog_proof_check(&got, text.data, text.len, s.leaves[13], NULL), LTL_OK);
    assert_false(got.verified);
    /* another record, another key, a changed index */
    ltl__err_begin();
    assert_int_equal(ltl__tlog_proof_check(&got, text.data, text.len, s.leaves[14], &s.ck),
                     LTL_EVERIFY);
    assert_true(msg_has("inclusion proof"));
    struct ltl__write_key wk2;
    struct ltl__check_key ck2;
    assert_int_equal(ltl__write_key_generate(&wk2, s.wk.name), LTL_OK);
    ltl__write_key_public(&ck2, &wk2);
    assert_int_equal(ltl__tlog_proof_check(&got, text.data, text.len, s.leaves[13], &ck2),
                     LTL_EVERIFY);
    char *idx = strstr(text.data, "index 13");
    idx[7] = '2';
    assert_int_equal(ltl__tlog_proof_check(&got, text.data, text.len, s.leaves[13], &s.ck),
                     LTL_EVERIFY);
    /* extra data round trips */
    text.len = 0;
    assert_int_equal(ltl__tlog_proof_format(&text, 13, &p, cp.data, cp.len, "ctx", 3), LTL_OK);
    assert_true(strncmp(text.data, "c2sp.org/tlog-proof@v1\nextra Y3R4\nindex 13\n", 43) == 0);
    assert_int_equal(ltl__tlog_proof_parse(&pt, text.data, text.len), LTL_OK);
    assert_int_equal(pt.extra_len, 3);
    assert_memory_equal(pt.extra, "ctx", 3);
    ltl__proof_text_free(&pt);
    /* the malformed proofs of transparency-dev/merkle proof/tlog_proof_test.go */
    static const char *const bad[] = {
        "wrong-header\nindex 0\n\ncheckpoint\n",
        "c2sp.org/tlog-proof@v1\nextra !!notbase64!!\nindex 0\n\ncheckpoint\n",
        "c2sp.org/tlog-proof@v1\n\n\ncheckpoint\n",
        "c2sp.org/tlog-proof@v1\nindex notanumber\n\ncheckpoint\n",
        "c2sp.org/tlog-proof@v1\nindex -5\n\ncheckpoint\n",
        "c2sp.org/tlog-proof@v1\nindex 0\n!!notbase64!!\n\ncheckpoint\n",
        "c2sp.org/tlog-proof@v1\nindex 0\n"
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=="
        "\n\n"
        "checkpoint\n",
        "c2sp.org/tlog-proof@v1\nindex 01\n\ncheckpoint\n",
        "c2sp.org/tlog-proof@v1\nindex 0\n\n",
        "c2sp.org/tlog-proof@v1\nindex 0\n",
    };
    for (size_t i = 0; i < LTL__ARRAY_LEN(bad); i++)
        if (ltl__tlog_proof_parse(&pt, bad[i], strlen(bad[i])) != LTL_EPARSE)
            fail_msg("malformed tlog-proof %zu accepted", i);
    /* the leaf index may be 0 with an empty proof (a 1-leaf tree) */
    checkpoint_at(&cp, &s, 1, true);
    text.len = 0;
    assert_int_equal(ltl__tree_inclusion(&p, s.t, 0, 1), LTL_OK);
    assert_int_equal(ltl__tlog_proof_format(&text, 0, &p, cp.data, cp.len, NULL, 0), LTL_OK);
    assert_int_equal(ltl__tlog_proof_check(&got, text.data, text.len, s.leaves[0], &s.ck), LTL_OK);
    ltl__key_wipe(&wk2, sizeof(wk2));
    ltl__buf_free(&cp);
    ltl__buf_free(&text);
    signed_tree_free(&s);
}

static void consistency_proofs(void **state)
{
    (void)state;
    struct signed_tree s;
    signed_tree_make(&s, 40);
    ltl__buf old_text = {0}, cp = {0}, text = {0};
    checkpoint_at(&old_text, &s, 13, true);
    struct ltl__checkpoint old, got;
    assert_int_equal(ltl__checkpoint_parse(&old, old_text.data, old_text.len, &s.ck), LTL_OK);
    checkpoint_at(&cp, &s, 40, true);
    struct ltl__proof p;
    assert_int_equal(ltl__tree_consistency(&p, s.t, 13, 40), LTL_OK);
    assert_int_equal(ltl__consistency_proof_format(&text, 13, &p, cp.data, cp.len), LTL_OK);
    assert_true(strncmp(text.data, "ltl.consistency-proof@v1\nold 13\n", 32) == 0);
    assert_int_equal(ltl__consistency_proof_check(&got, text.data, text.len, &old, &s.ck), LTL_OK);
    assert_true(got.size == 40 && got.verified);
    /* the old checkpoint of another size or another log */
    struct ltl__checkpoint wrong = old;
    wrong.size = 12;
    ltl__err_begin();
    assert_int_equal(ltl__consistency_proof_check(&got, text.data, text.len, &wrong, &s.ck),
                     LTL_EVERIFY);
    wrong = old;
    snprintf(wrong.origin, sizeof(wrong.origin), "another/log");
    ltl__err_begin();
    assert_int_equal(ltl__consistency_proof_check(&got, text.data, text.len, &wrong, &s.ck),
                     LTL_EVERIFY);
    assert_true(msg_has("different logs"));
    /* a rewritten history: the old root is not in the new tree */
    wrong = old;
    wrong.root[5] ^= 1;
    ltl__err_begin();
    assert_int_equal(ltl__consistency_proof_check(&got, text.data, text.len, &wrong, &s.ck),
                     LTL_EVERIFY);
    assert_true(msg_has("does not extend"));
    struct ltl__proof_text pt;
    assert_int_equal(ltl__consistency_proof_parse(&pt, text.data, text.len), LTL_OK);
    assert_true(pt.index == 13 && pt.proof.count == p.count);
    ltl__proof_text_free(&pt);
    static const char *const bad[] = {
        "ltl.consistency-proof@v1\n\n\ncp\n",
        "ltl.consistency-proof@v1\nold x\n\ncp\n",
        "c2sp.org/tlog-proof@v1\nold 1\n\ncp\n",
        "ltl.consistency-proof@v1\nold 1\nAAAA\n\ncp\n",
    };
    for (size_t i = 0; i < LTL__ARRAY_LEN(bad); i++)
        assert_int_equal(ltl__consistency_proof_parse(&pt, bad[i], strlen(bad[i])), LTL_EPARSE);
    ltl__buf_free(&old_text);
    ltl__buf_free(&cp);
    ltl__buf_free(&text);
    signed_tree_free(&s);
}

/* ---- key files ---------------------------------------------------------------------- */

static mode_t mode_of(const char *path)
{
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    return st.st_mode & 07777;
}

static void key_files(void **state)
{
    (void)state;
    umask(022);
    char *dir = tu_tmpdir();
    char *wpath = tu_path(dir, "log.key"), *cpath = tu_path(dir, "log.pub"),
         *rpath = tu_path(dir, "read.key");
    ltl__io *io = ltl__io_real();
    struct ltl__write_key wk, wk2;
    struct ltl__check_key ck;
    struct ltl__read_key rk, rk2;
    assert_int_equal(ltl__write_key_generate(&wk, "example.com/log"), LTL_OK);
    assert_int_equal(ltl__keypair_write(io, &wk, wpath, cpath), LTL_OK);
    assert_int_equal(mode_of(wpath), 0600);
    assert_int_equal(mode_of(cpath), 0644);
    char *text = tu_read_file(wpath, NULL);
    assert_true(strncmp(text, "PRIVATE+KEY+example.com/log+", 28) == 0);
    assert_true(text[strlen(text) - 1] == '\n');
    free(text);
    assert_int_equal(ltl__write_key_load(&wk2, io, wpath), LTL_OK);
    assert_memory_equal(&wk2, &wk, sizeof(wk));
    assert_int_equal(ltl__check_key_load(&ck, io, cpath), LTL_OK);
    assert_true(ck.id == wk.id);
    /* never overwritten */
    struct ltl__write_key wk3;
    assert_int_equal(ltl__write_key_generate(&wk3, "example.com/log"), LTL_OK);
    ltl__err_begin();
    assert_int_equal(ltl__keypair_write(io, &wk3, wpath, cpath), LTL_EEXIST);
    assert_true(msg_has("never overwrites"));
    assert_int_equal(ltl__write_key_load(&wk2, io, wpath), LTL_OK);
    assert_memory_equal(&wk2, &wk, sizeof(wk));
    /* an exposed write key is refused, with the fix in the message */
    assert_int_equal(chmod(wpath, 0640), 0);
    ltl__err_begin();
    assert_int_equal(ltl__write_key_load(&wk2, io, wpath), LTL_EPERM);
    assert_true(msg_has("0640"));
    assert_true(msg_has("chmod 600"));
    assert_true(msg_has(wpath));
    assert_int_equal(chmod(wpath, 0604), 0);
    assert_int_equal(ltl__write_key_load(&wk2, io, wpath), LTL_EPERM);
    assert_int_equal(chmod(wpath, 0400), 0);
    assert_int_equal(ltl__write_key_load(&wk2, io, wpath), LTL_OK);
    /* a check key may be public */
    assert_int_equal(chmod(cpath, 0666), 0);
    assert_int_equal(ltl__check_key_load(&ck, io, cpath), LTL_OK);
    /* the wrong kind of key file, a missing one, garbage */
    ltl__err_begin();
    assert_int_equal(ltl__write_key_load(&wk2, io, cpath), LTL_EPERM);
    assert_int_equal(chmod(cpath, 0600), 0);
    ltl__err_begin();
    assert_int_equal(ltl__write_key_load(&wk2, io, cpath), LTL_EPARSE);
    assert_true(msg_has(cpath));
    assert_int_equal(ltl__check_key_load(&ck, io, wpath), LTL_EPARSE);
    char *missing = tu_path(dir, "nope.key");
    assert_int_equal(ltl__check_key_load(&ck, io, missing), LTL_ENOTFOUND);
    /* read keys */
    assert_int_equal(ltl__read_key_generate(&rk, "backup"), LTL_OK);
    assert_int_equal(ltl__read_key_write(io, &rk, rpath), LTL_OK);
    assert_int_equal(mode_of(rpath), 0600);
    assert_int_equal(ltl__read_key_load(&rk2, io, rpath), LTL_OK);
    assert_memory_equal(&rk2, &rk, sizeof(rk));
    text = tu_read_file(rpath, NULL);
    assert_true(strncmp(text, "LTL+READ+KEY+backup+", 20) == 0);
    free(text);
    assert_int_equal(ltl__read_key_write(io, &rk, rpath), LTL_EEXIST);
    assert_int_equal(chmod(rpath, 0644), 0);
    assert_int_equal(ltl__read_key_load(&rk2, io, rpath), LTL_EPERM);
    ltl__key_wipe(&wk, sizeof(wk));
    ltl__key_wipe(&wk2, sizeof(wk2));
    ltl__key_wipe(&wk3, sizeof(wk3));
    ltl__key_wipe(&rk, sizeof(rk));
    ltl__key_wipe(&rk2, sizeof(rk2));
    free(missing);
    free(wpath);
    free(cpath);
    free(rpath);
    free(dir);
}

static void key_file_faults_leave_nothing(void **state)
{
    (void)state;
    char *dir = tu_tmpdir();
    char *wpath = tu_path(dir, "w.key"), *cpath = tu_path(dir, "w.pub");
    struct ltl__write_key wk;
    assert_int_equal(ltl__write_key_generate(&wk, "k"), LTL_OK);
    enum ltl__io_op ops[] = {LTL__IO_PWRITE, LTL__IO_FDATASYNC, LTL__IO_CLOSE};
    for (size_t i = 0; i < LTL__ARRAY_LEN(ops); i++) {
        for (long nth = 1; nth <= 4; nth++) {
            ltl__io_fault *f = ltl__io_fault_new(3);
            ltl__io_fault_fail(f, ops[i], nth, EIO, false);
            int rc = ltl__keypair_write(ltl__io_fault_table(f), &wk, wpath, cpath);
            ltl__io_fault_free(f);
            ltl__err_begin();
            struct stat st;
            if (rc == LTL_OK) {
                assert_int_equal(stat(wpath, &st), 0);
                assert_int_equal(stat(cpath, &st), 0);
            } else {
                assert_int_equal(rc, LTL_EIO);
                assert_int_not_equal(stat(wpath, &st), 0);
                assert_int_not_equal(stat(cpath, &st), 0);
            }
            unlink(wpath);
            unlink(cpath);
        }
    }
    /* allocation failures */
    for (long fail_at = 1; fail_at < 20; fail_at++) {
        tu_alloc_install(fail_at, false);
        int rc = ltl__keypair_write(ltl__io_real(), &wk, wpath, cpath);
        long live = tu_alloc_live();
        tu_alloc_uninstall();
        assert_int_equal(live, 0);
        assert_true(rc == LTL_OK || rc == LTL_ENOMEM);
        ltl__err_begin();
        unlink(wpath);
        unlink(cpath);
    }
    ltl__key_wipe(&wk, sizeof(wk));
    free(wpath);
    free(cpath);
    free(dir);
}

/* ---- encryption ---------------------------------------------------------------------- */

/* HKDF-SHA256 (RFC 5869) from HMAC, independent of OpenSSL's KDF. */
static void hkdf(unsigned char *out, size_t out_len, const unsigned char *ikm, size_t ikm_len,
                 const unsigned char *salt, size_t salt_len, const unsigned char *info,
                 size_t info_len)
{
    unsigned char prk[32], t[32 + 256 + 1];
    unsigned int n;
    HMAC(EVP_sha256(), salt, (int)salt_len, ikm, ikm_len, prk, &n);
    size_t done = 0, tlen = 0;
    for (unsigned char c = 1; done < out_len; c++) {
        memcpy(t + tlen, info, info_len);
        t[tlen + info_len] = c;
        unsigned char block[32];
        HMAC(EVP_sha256(), prk, 32, t, tlen + info_len + 1, block, &n);
        size_t take = out_len - done < 32 ? out_len - done : 32;
        memcpy(out + done, block, take);
        done += take;
        memcpy(t, block, 32);
        tlen = 32;
    }
}

static void seal_vectors(void **state)
{
    (void)state;
    /* our HKDF against RFC 5869 test case 1 */
    unsigned char ikm[22], salt[13], info[10], okm[42], want[42];
    memset(ikm, 0x0b, sizeof(ikm));
    unhex(salt, "000102030405060708090a0b0c");
    unhex(info, "f0f1f2f3f4f5f6f7f8f9");
    hkdf(okm, 42, ikm, 22, salt, 13, info, 10);
    unhex(want,
          "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865");
    assert_memory_equal(okm, want, 42);
    /* the store key is that HKDF of the read key, salted with the store id */
    struct ltl__read_key rk;
    struct ltl__seal_key sk;
    assert_int_equal(ltl__read_key_generate(&rk, "r"), LTL_OK);
    assert_int_equal(ltl__seal_key_derive(&sk, &rk, store_id), LTL_OK);
    hkdf(okm, 32, rk.secret, 32, store_id, 16, (const unsigned char *)"ltl record key v1", 17);
    assert_memory_equal(sk.key, okm, 32);
    assert_true(sk.read_key_id == rk.id);
    /* the read key id is HMAC-SHA256(secret, "ltl read key id")[:4] */
    unsigned char mac[32];
    unsigned int n;
    HMAC(EVP_sha256(), rk.secret, 32, (const unsigned char *)"ltl read key id", 15, mac, &n);
    assert_true(rk.id ==
                ((uint32_t)mac[0] << 24 | (uint32_t)mac[1] << 16 | (uint32_t)mac[2] << 8 | mac[3]));

    /* RFC 8439 §2.8.2, through our layout: the nonce 07000000 40414243 44454647
     * is seq 0x414000000007 (6 bytes LE) and the stored random 42..47 */
    static const char pt[] = "Ladies and Gentlemen of the class of '99: If I could offer you only "
                             "one tip for the future, sunscreen would be it.";
    size_t len = strlen(pt);
    unsigned char aad[12], sealed[6 + 114 + 16], out[114];
    for (int i = 0; i < 32; i++)
        sk.key[i] = (unsigned char)(0x80 + i);
    unhex(aad, "50515253c0c1c2c3c4c5c6c7");
    unhex(sealed, "424344454647");
    unhex(sealed + 6, "d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d6"
                      "3dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b36"
                      "92ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc"
                      "3ff4def08e4b7a9de576d26586cec64b6116");
    unhex(sealed + 6 + 114, "1ae10b594f09e26a7e902ecbd0600691");
    uint64_t seq = 0x414000000007ULL;
    assert_int_equal(len, 114);
    assert_int_equal(ltl__unseal(out, &sk, aad, 12, sealed, sizeof(sealed), seq), LTL_OK);
    assert_memory_equal(out, pt, len);
    /* seal: its r is a per-thread counter, consecutive in one thread */
    unsigned char s1[sizeof(sealed)], s2[sizeof(sealed)], round[114];
    assert_int_equal(ltl__seal(s1, &sk, aad, 12, pt, len, seq), LTL_OK);
    assert_int_equal(ltl__seal(s2, &sk, aad, 12, pt, len, seq), LTL_OK);
    uint64_t r1 = 0, r2 = 0;
    for (int i = 0; i < 6; i++) {
        r1 |= (uint64_t)s1[i] << (8 * i);
        r2 |= (uint64_t)s2[i] << (8 * i);
    }
    assert_true(r2 == ((r1 + 1) & 0xffffffffffffULL));
    assert_int_equal(ltl__unseal(round, &sk, aad, 12, s2, sizeof(s2), seq), LTL_OK);
    assert_memory_equal(round, pt, len);
    ltl__key_wipe(&rk, sizeof(rk));
    ltl__key_wipe(&sk, sizeof(sk));
}

static void sealed_records_resist_tampering(void **state)
{
    (void)state;
    struct ltl__read_key rk, other;
    struct ltl__seal_key sk, wrong, other_store;
    assert_int_equal(ltl__read_key_generate(&rk, "r"), LTL_OK);
    assert_int_equal(ltl__read_key_generate(&other, "r"), LTL_OK);
    assert_int_equal(ltl__seal_key_derive(&sk, &rk, store_id), LTL_OK);
    assert_int_equal(ltl__seal_key_derive(&wrong, &other, store_id), LTL_OK);
    unsigned char id2[16] = {0};
    assert_int_equal(ltl__seal_key_derive(&other_store, &rk, id2), LTL_OK);
    assert_memory_not_equal(sk.key, other_store.key, 32);
    const char aad[] = "envelope: v1 data json seq ts topic";
    size_t lens[] = {0, 1, 250, 70000};
    for (size_t li = 0; li < LTL__ARRAY_LEN(lens); li++) {
        size_t len = lens[li];
        unsigned char *pt = malloc(len + 1), *sealed = malloc(len + LTL__SEAL_OVERHEAD),
                      *sealed2 = malloc(len + LTL__SEAL_OVERHEAD), *out = malloc(len + 1);
        for (size_t i = 0; i < len; i++)
            pt[i] = (unsigned char)(i * 7);
        size_t slen = len + LTL__SEAL_OVERHEAD;
        assert_int_equal(ltl__seal(sealed, &sk, aad, sizeof(aad), pt, len, 42), LTL_OK);
        assert_int_equal(ltl__unseal(out, &sk, aad, sizeof(aad), sealed, slen, 42), LTL_OK);
        assert_memory_equal(out, pt, len);
        /* the same record sealed twice (a rewrite after a crash): another nonce */
        assert_int_equal(ltl__seal(sealed2, &sk, aad, sizeof(aad), pt, len, 42), LTL_OK);
        assert_memory_not_equal(sealed2, sealed, LTL__SEAL_RANDOM);
        /* wrong key, other store, other seq, other envelope: refused */
        ltl__err_begin();
        assert_int_equal(ltl__unseal(out, &wrong, aad, sizeof(aad), sealed, slen, 42), LTL_EKEY);
        assert_true(msg_has("wrong read key"));
        assert_int_equal(ltl__unseal(out, &other_store, aad, sizeof(aad), sealed, slen, 42),
                         LTL_EKEY);
        assert_int_equal(ltl__unseal(out, &sk, aad, sizeof(aad), sealed, slen, 43), LTL_EKEY);
        /* the nonce carries seq mod 2^48: a wrapped seq has its own key */
        assert_int_equal(
            ltl__unseal(out, &sk, aad, sizeof(aad), sealed, slen, ((uint64_t)1 << 48) + 42),
            LTL_EKEY);
        assert_int_equal(
            ltl__seal(sealed2, &sk, aad, sizeof(aad), pt, len, ((uint64_t)1 << 48) + 42), LTL_OK);
        assert_int_equal(ltl__unseal(out, &sk, aad, sizeof(aad), sealed2, slen, 42), LTL_EKEY);
        assert_int_equal(
            ltl__unseal(out, &sk, aad, sizeof(aad), sealed2, slen, ((uint64_t)1 << 48) + 42),
            LTL_OK);
        assert_memory_equal(out, pt, len);
        assert_int_equal(ltl__unseal(out, &sk, aad, sizeof(aad) - 1, sealed, slen, 42), LTL_EKEY);
        /* any flipped bit: in the random part, the ciphertext, the tag */
        size_t where[] = {0, LTL__SEAL_RANDOM, LTL__SEAL_RANDOM + len / 2, slen - 1};
        for (size_t w = 0; w < LTL__ARRAY_LEN(where); w++) {
            sealed[where[w]] ^= 0x20;
            memset(out, 0x77, len + 1);
            assert_int_equal(ltl__unseal(out, &sk, aad, sizeof(aad), sealed, slen, 42), LTL_EKEY);
            /* nothing unauthenticated is left in out */
            for (size_t i = 0; i < len; i++)
                assert_int_equal(out[i], 0);
            sealed[where[w]] ^= 0x20;
        }
        assert_int_equal(
            ltl__unseal(out, &sk, aad, sizeof(aad), sealed, LTL__SEAL_OVERHEAD - 1, 42),
            LTL_ECORRUPT);
        free(pt);
        free(sealed);
        free(sealed2);
        free(out);
    }
    ltl__key_wipe(&rk, sizeof(rk));
    ltl__key_wipe(&other, sizeof(other));
    ltl__key_wipe(&sk, sizeof(sk));
    ltl__key_wipe(&wrong, sizeof(wrong));
    ltl__key_wipe(&other_store, sizeof(other_store));
}

static void read_key_texts(void **state)
{
    (void)state;
    struct ltl__read_key rk, got;
    assert_int_equal(ltl__read_key_generate(&rk, "archive"), LTL_OK);
    ltl__buf t = {0};
    assert_int_equal(ltl__read_key_format(&t, &rk), LTL_OK);
    assert_int_equal(ltl__read_key_parse(&got, t.data, t.len), LTL_OK);
    assert_memory_equal(&got, &rk, sizeof(rk));
    /* a changed key byte no longer matches its id */
    char *b64 = t.data + strlen("LTL+READ+KEY+archive+12345678+");
    b64[10] = b64[10] == 'A' ? 'B' : 'A';
    ltl__err_begin();
    assert_int_equal(ltl__read_key_parse(&got, t.data, t.len), LTL_EKEY);
    assert_true(msg_has("does not match"));
    assert_int_equal(ltl__read_key_parse(&got, peter_skey, strlen(peter_skey)), LTL_EPARSE);
    ltl__key_wipe(t.data, t.cap);
    ltl__buf_free(&t);
    ltl__key_wipe(&rk, sizeof(rk));
}

/* ---- robustness: every parser on mangled input ---------------------------------------- */

static uint64_t mut_rng = 88172645463325252ULL;
static uint64_t mut_next(void)
{
    mut_rng ^= mut_rng << 13;
    mut_rng ^= mut_rng >> 7;
    mut_rng ^= mut_rng << 17;
    return mut_rng;
}

/* A mangled copy of src: bytes flipped, cut, duplicated or dropped. */
static size_t mangle(char *dst, size_t cap, const char *src, size_t len)
{
    size_t n = len < cap ? len : cap;
    memcpy(dst, src, n);
    int edits = 1 + (int)(mut_next() % 3);
    for (int e = 0; e < edits && n > 0; e++) {
        size_t at = (size_t)(mut_next() % n);
        switch (mut_next() % 5) {
        case 0:
            dst[at] ^= (char)(1u << (mut_next() % 8));
            break;
        case 1:
            n = at; /* cut */
            break;
        case 2: /* drop a byte */
            memmove(dst + at, dst + at + 1, n - at - 1);
            n--;
            break;
        case 3: /* repeat a byte */
            if (n < cap) {
                memmove(dst + at + 1, dst + at, n - at);
                n++;
            }
            break;
        default: {
            static const char special[] = "\n+ =0/\xe2\x80\x94";
            dst[at] = special[mut_next() % (sizeof(special) - 1)];
        }
        }
    }
    return n;
}

static void parsers_survive_mangled_input(void **state)
{
    (void)state;
    struct signed_tree s;
    signed_tree_make(&s, 21);
    ltl__buf cp = {0}, tp = {0}, cons = {0}, keys = {0};
    checkpoint_at(&cp, &s, 21, true);
    struct ltl__proof p;
    assert_int_equal(ltl__tree_inclusion(&p, s.t, 5, 21), LTL_OK);
    assert_int_equal(ltl__tlog_proof_format(&tp, 5, &p, cp.data, cp.len, "e", 1), LTL_OK);
    assert_int_equal(ltl__tree_consistency(&p, s.t, 9, 21), LTL_OK);
    assert_int_equal(ltl__consistency_proof_format(&cons, 9, &p, cp.data, cp.len), LTL_OK);
    struct ltl__checkpoint old, got;
    ltl__buf oldt = {0};
    checkpoint_at(&oldt, &s, 9, false);
    assert_int_equal(ltl__checkpoint_parse(&old, oldt.data, oldt.len, NULL), LTL_OK);
    char buf[4096];
    long accepted = 0;
    for (int iter = 0; iter < 4000; iter++) {
        const ltl__buf *src = iter % 4 == 0   ? &cp
                              : iter % 4 == 1 ? &tp
                              : iter % 4 == 2 ? &cons
                                              : NULL;
        struct ltl__write_key wk;
        struct ltl__check_key ck;
        struct ltl__read_key rk;
        int rc[3];
        if (!src) {
            const char *key = iter % 8 == 3 ? peter_skey : peter_vkey;
            size_t n = mangle(buf, sizeof(buf), key, strlen(key));
            rc[0] = ltl__write_key_parse(&wk, buf, n);
            rc[1] = ltl__check_key_parse(&ck, buf, n);
            rc[2] = ltl__read_key_parse(&rk, buf, n);
            /* a key text is accepted only when the mangling gave it back unchanged */
            if (rc[0] == LTL_OK || rc[1] == LTL_OK)
                assert_true(n == strlen(key) && memcmp(buf, key, n) == 0);
        } else {
            size_t n = mangle(buf, sizeof(buf), src->data, src->len);
            struct ltl__proof_text pt;
            rc[0] = ltl__checkpoint_parse(&got, buf, n, iter % 3 ? &s.ck : NULL);
            /* what a signature covers cannot change unnoticed */
            if (rc[0] == LTL_OK && got.verified)
                assert_true(got.size == 21);
            rc[1] = ltl__tlog_proof_check(&got, buf, n, s.leaves[5], &s.ck);
            rc[2] = ltl__consistency_proof_check(&got, buf, n, &old, &s.ck);
            if (ltl__tlog_proof_parse(&pt, buf, n) == LTL_OK)
                ltl__proof_text_free(&pt);
            if (ltl__consistency_proof_parse(&pt, buf, n) == LTL_OK)
                ltl__proof_text_free(&pt);
        }
        for (int k = 0; k < 3; k++) {
            if (rc[k] != LTL_OK && rc[k] != LTL_EPARSE && rc[k] != LTL_EVERIFY && rc[k] != LTL_EKEY)
                fail_msg("iteration %d: %s", iter, ltl_strerror(rc[k]));
            accepted += rc[k] == LTL_OK;
        }
        ltl__err_begin();
    }
    print_message("%ld of 12000 mangled inputs still valid (changes outside what is signed)\n",
                  accepted);
    ltl__buf_free(&cp);
    ltl__buf_free(&tp);
    ltl__buf_free(&cons);
    ltl__buf_free(&keys);
    ltl__buf_free(&oldt);
    signed_tree_free(&s);
}

/* The Nth allocation fails in each text function: LTL_ENOMEM, nothing leaks. */
static void allocation_failures_in_texts(void **state)
{
    (void)state;
    struct signed_tree s;
    signed_tree_make(&s, 12);
    ltl__buf cp = {0}, tp = {0};
    checkpoint_at(&cp, &s, 12, true);
    struct ltl__proof p;
    assert_int_equal(ltl__tree_inclusion(&p, s.t, 3, 12), LTL_OK);
    assert_int_equal(ltl__tlog_proof_format(&tp, 3, &p, cp.data, cp.len, "x", 1), LTL_OK);
    struct ltl__checkpoint c = {.size = 12}, got;
    ltl__origin_default(c.origin, store_id);
    memcpy(c.root, p.hash[0], HS);
    int done_mask = 0;
    for (long fail_at = 1; fail_at < 60 && done_mask != 0x3f; fail_at++) {
        int rc[6];
        ltl__buf out = {0};
        struct ltl__proof_text pt;
        struct ltl__write_key wk;
        struct ltl__check_key ck;
        tu_alloc_install(fail_at, false);
        rc[0] = ltl__checkpoint_format(&out, &c, &s.wk);
        rc[1] = ltl__checkpoint_parse(&got, cp.data, cp.len, &s.ck);
        rc[2] = ltl__tlog_proof_parse(&pt, tp.data, tp.len);
        if (rc[2] == LTL_OK)
            ltl__proof_text_free(&pt);
        rc[3] = ltl__tlog_proof_check(&got, tp.data, tp.len, s.leaves[3], &s.ck);
        rc[4] = ltl__write_key_parse(&wk, peter_skey, strlen(peter_skey));
        rc[5] = ltl__check_key_parse(&ck, peter_vkey, strlen(peter_vkey));
        ltl__buf_free(&out);
        long live = tu_alloc_live();
        tu_alloc_uninstall();
        assert_int_equal(live, 0);
        for (int k = 0; k < 6; k++) {
            if (rc[k] == LTL_OK)
                done_mask |= 1 << k;
            else if (rc[k] != LTL_ENOMEM)
                fail_msg("function %d, allocation %ld: %s", k, fail_at, ltl_strerror(rc[k]));
        }
        ltl__err_begin();
    }
    assert_int_equal(done_mask, 0x3f);
    ltl__buf_free(&cp);
    ltl__buf_free(&tp);
    signed_tree_free(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(go_note_vectors),
        cmocka_unit_test(mangled_keys_are_refused),
        cmocka_unit_test(names_are_checked),
        cmocka_unit_test(generated_keys_sign_and_verify),
        cmocka_unit_test(malformed_notes_are_refused),
        cmocka_unit_test(checkpoints_signed_and_unsigned),
        cmocka_unit_test(tlog_proofs),
        cmocka_unit_test(consistency_proofs),
        cmocka_unit_test(key_files),
        cmocka_unit_test(key_file_faults_leave_nothing),
        cmocka_unit_test(seal_vectors),
        cmocka_unit_test(sealed_records_resist_tampering),
        cmocka_unit_test(read_key_texts),
        cmocka_unit_test(parsers_survive_mangled_input),
        cmocka_unit_test(allocation_failures_in_texts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
