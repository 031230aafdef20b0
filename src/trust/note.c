/* SPDX-License-Identifier: MIT */
/*
 * note.c — keys, signed notes and checkpoints, in the formats other
 * transparency-log tools read: the signed-note key texts of
 * golang.org/x/mod/sumdb/note (write key "PRIVATE+KEY+name+id+base64",
 * check key "name+id+base64", Ed25519), C2SP signed-note
 * (https://c2sp.org/signed-note) and C2SP tlog-checkpoint
 * (https://c2sp.org/tlog-checkpoint), plus our read key text. Ed25519
 * signing and verification are OpenSSL's (RFC 8032, deterministic).
 */
#include "trust/trust.h"

#include <inttypes.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>

#define HS LTL__HASH_SIZE

static const char em_dash_space[] = "\xe2\x80\x94 "; /* U+2014, U+0020: starts a signature line */
static const char read_key_prefix[] = "LTL+READ+KEY+";
static const char read_key_id_label[] = "ltl read key id";

void ltl__key_wipe(void *key, size_t size)
{
    OPENSSL_cleanse(key, size);
}

/* ---- Ed25519 through OpenSSL ----------------------------------------------- */

static int ed25519_public(unsigned char pub[32], const unsigned char seed[32])
{
    EVP_PKEY *pk = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed, 32);
    size_t n = 32;
    int rc = LTL_OK;
    if (!pk || !EVP_PKEY_get_raw_public_key(pk, pub, &n) || n != 32)
        rc = ltl__errf(LTL_ENOMEM, "OpenSSL could not make an Ed25519 key (out of memory?)");
    EVP_PKEY_free(pk);
    ERR_clear_error();
    return rc;
}

static int ed25519_sign(unsigned char sig[64], const unsigned char seed[32], const void *msg,
                        size_t len)
{
    EVP_PKEY *pk = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed, 32);
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    size_t n = 64;
    int rc = LTL_OK;
    if (!pk || !ctx || EVP_DigestSignInit(ctx, NULL, NULL, NULL, pk) != 1 ||
        EVP_DigestSign(ctx, sig, &n, msg, len) != 1 || n != 64)
        rc = ltl__errf(LTL_ENOMEM, "OpenSSL could not sign with Ed25519 (out of memory?)");
    EVP_MD_CTX_free(ctx);
    EVP_PKEY_free(pk);
    ERR_clear_error();
    return rc;
}

/* LTL_OK when sig is k's signature of msg, LTL_EVERIFY when not. */
static int ed25519_verify(const unsigned char pub[32], const void *msg, size_t len,
                          const unsigned char *sig, size_t sig_len)
{
    EVP_PKEY *pk = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, pub, 32);
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    int rc = LTL_OK;
    if (!pk || !ctx || EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, pk) != 1)
        rc = ltl__errf(LTL_ENOMEM, "OpenSSL could not load an Ed25519 key (out of memory?)");
    else if (sig_len != 64 || EVP_DigestVerify(ctx, sig, sig_len, msg, len) != 1)
        rc = LTL_EVERIFY; /* the caller words the message */
    EVP_MD_CTX_free(ctx);
    EVP_PKEY_free(pk);
    ERR_clear_error();
    return rc;
}

/* ---- key ids and texts ----------------------------------------------------- */

/* SHA-256(name || 0x0A || alg || key)[:4], big-endian (C2SP signed-note). */
static int note_key_id(uint32_t *out, const char *name, unsigned char alg,
                       const unsigned char pub[32])
{
    unsigned char in[LTL__NAME_MAX + 2 + 32], h[HS];
    size_t len = strlen(name);
    memcpy(in, name, len);
    in[len] = '\n';
    in[len + 1] = alg;
    memcpy(in + len + 2, pub, 32);
    int rc = ltl__sha256(h, in, len + 2 + 32);
    if (rc)
        return rc;
    *out = (uint32_t)h[0] << 24 | (uint32_t)h[1] << 16 | (uint32_t)h[2] << 8 | h[3];
    return LTL_OK;
}

/* HMAC-SHA256(secret, "ltl read key id")[:4], big-endian. */
static int read_key_id(uint32_t *out, const unsigned char secret[32])
{
    unsigned char h[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    if (!HMAC(EVP_sha256(), secret, 32, (const unsigned char *)read_key_id_label,
              sizeof(read_key_id_label) - 1, h, &n) ||
        n != HS) {
        ERR_clear_error();
        return ltl__errf(LTL_ENOMEM, "OpenSSL HMAC failed (out of memory?)");
    }
    *out = (uint32_t)h[0] << 24 | (uint32_t)h[1] << 16 | (uint32_t)h[2] << 8 | h[3];
    return LTL_OK;
}

static int set_name(char out[LTL__NAME_MAX + 1], const char *name, size_t len, const char *what)
{
    int rc = ltl__name_check(name, len, what);
    if (rc)
        return rc;
    memcpy(out, name, len);
    out[len] = '\0';
    return LTL_OK;
}

/* "<prefix><name>+<id hex8>+<base64(alg || key)>" appended to out. */
static int key_format(ltl__buf *out, const char *prefix, const char *name, uint32_t id,
                      unsigned char alg, const unsigned char key[32])
{
    unsigned char data[33];
    data[0] = alg;
    memcpy(data + 1, key, 32);
    int rc = ltl__buf_appendf(out, "%s%s+%08" PRIx32 "+", prefix, name, id);
    if (rc == LTL_OK)
        rc = ltl__base64_encode(out, data, sizeof(data));
    ltl__key_wipe(data, sizeof(data));
    if (rc)
        return ltl__errf(rc, "out of memory");
    return LTL_OK;
}

/* Split "<name>+<hex8>+<base64 of alg || 32 bytes>" (the part after any
 * prefix) into its fields: name, id, alg and key. Strict: canonical
 * base64, exactly 33 bytes. */
static int key_split(char name[LTL__NAME_MAX + 1], uint32_t *id, unsigned char *alg,
                     unsigned char key[32], const char *text, size_t len, const char *what)
{
    const char *plus1 = memchr(text, '+', len);
    if (!plus1)
        return ltl__errf(LTL_EPARSE, "%s: expected NAME+ID+KEY", what);
    size_t name_len = (size_t)(plus1 - text);
    if (set_name(name, text, name_len, "key name"))
        return LTL_EPARSE; /* the message says what is wrong with the name */
    const char *hex = plus1 + 1;
    size_t rest = len - name_len - 1;
    if (rest < 9 || hex[8] != '+')
        return ltl__errf(LTL_EPARSE, "%s: the key id after the name must be 8 hex digits", what);
    uint32_t v = 0;
    for (int i = 0; i < 8; i++) {
        char c = hex[i];
        int d = c >= '0' && c <= '9'   ? c - '0'
                : c >= 'a' && c <= 'f' ? c - 'a' + 10
                : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                       : -1;
        if (d < 0)
            return ltl__errf(LTL_EPARSE, "%s: the key id \"%.8s\" is not 8 hex digits", what, hex);
        v = v << 4 | (uint32_t)d;
    }
    const char *b64 = hex + 9;
    size_t b64_len = rest - 9;
    ltl__buf raw = {0}, again = {0};
    int rc = ltl__base64_decode(&raw, b64, b64_len);
    if (rc == LTL_ENOMEM) {
        rc = ltl__errf(LTL_ENOMEM, "out of memory");
        goto out;
    }
    if (rc == LTL_OK && (rc = ltl__base64_encode(&again, raw.data, raw.len))) {
        rc = ltl__errf(LTL_ENOMEM, "out of memory");
        goto out;
    }
    if (rc || again.len != b64_len || memcmp(again.data, b64, b64_len) != 0) {
        rc = ltl__errf(LTL_EPARSE, "%s: the key data is not canonical base64", what);
        goto out;
    }
    if (raw.len == 0) {
        rc = ltl__errf(LTL_EPARSE, "%s: no key data", what);
        goto out;
    }
    if ((unsigned char)raw.data[0] != 0x01) {
        rc = ltl__errf(LTL_EKEY, "%s: unknown key algorithm 0x%02x (ltl knows 0x01)", what,
                       (unsigned char)raw.data[0]);
        goto out;
    }
    if (raw.len != 33) {
        rc = ltl__errf(LTL_EPARSE, "%s: the key data has %zu bytes, not 33", what, raw.len);
        goto out;
    }
    *id = v;
    *alg = (unsigned char)raw.data[0];
    memcpy(key, raw.data + 1, 32);
out:
    if (raw.data)
        ltl__key_wipe(raw.data, raw.cap);
    if (again.data)
        ltl__key_wipe(again.data, again.cap);
    ltl__buf_free(&raw);
    ltl__buf_free(&again);
    return rc;
}

static int id_mismatch(const char *what, const char *name, uint32_t said, uint32_t is)
{
    return ltl__errf(LTL_EKEY,
                     "%s %s: the key id %08" PRIx32 " does not match the key (%08" PRIx32
                     "): the key text was changed or damaged",
                     what, name, said, is);
}

int ltl__write_key_generate(struct ltl__write_key *out, const char *name)
{
    memset(out, 0, sizeof(*out));
    int rc = set_name(out->name, name, strlen(name), "key name");
    if (rc)
        return rc;
    if (RAND_bytes(out->seed, 32) != 1) {
        ERR_clear_error();
        return ltl__errf(LTL_EIO, "the random generator failed");
    }
    if ((rc = ed25519_public(out->pub, out->seed)) ||
        (rc = note_key_id(&out->id, out->name, LTL__ALG_ED25519, out->pub)))
        ltl__key_wipe(out, sizeof(*out));
    return rc;
}

void ltl__write_key_public(struct ltl__check_key *out, const struct ltl__write_key *wk)
{
    memcpy(out->name, wk->name, sizeof(out->name));
    out->id = wk->id;
    memcpy(out->pub, wk->pub, 32);
}

int ltl__write_key_format(ltl__buf *out, const struct ltl__write_key *k)
{
    return key_format(out, "PRIVATE+KEY+", k->name, k->id, LTL__ALG_ED25519, k->seed);
}

int ltl__check_key_format(ltl__buf *out, const struct ltl__check_key *k)
{
    return key_format(out, "", k->name, k->id, LTL__ALG_ED25519, k->pub);
}

int ltl__write_key_parse(struct ltl__write_key *out, const char *text, size_t len)
{
    static const char prefix[] = "PRIVATE+KEY+";
    memset(out, 0, sizeof(*out));
    if (len < sizeof(prefix) - 1 || memcmp(text, prefix, sizeof(prefix) - 1) != 0)
        return ltl__errf(LTL_EPARSE, "not a write key: it must start with PRIVATE+KEY+");
    unsigned char alg = 0;
    uint32_t id = 0, is = 0;
    int rc = key_split(out->name, &id, &alg, out->seed, text + sizeof(prefix) - 1,
                       len - (sizeof(prefix) - 1), "write key");
    if (rc == LTL_OK && (rc = ed25519_public(out->pub, out->seed)) == LTL_OK &&
        (rc = note_key_id(&is, out->name, alg, out->pub)) == LTL_OK && is != id)
        rc = id_mismatch("write key", out->name, id, is);
    if (rc)
        ltl__key_wipe(out, sizeof(*out));
    else
        out->id = id;
    return rc;
}

int ltl__check_key_parse(struct ltl__check_key *out, const char *text, size_t len)
{
    memset(out, 0, sizeof(*out));
    if (len >= 12 && memcmp(text, "PRIVATE+KEY+", 12) == 0)
        return ltl__errf(LTL_EPARSE, "this is a write key (PRIVATE+KEY+...), not a check key: "
                                     "keep it secret and give out its check key");
    if (len >= sizeof(read_key_prefix) - 1 &&
        memcmp(text, read_key_prefix, sizeof(read_key_prefix) - 1) == 0)
        return ltl__errf(LTL_EPARSE,
                         "this is a read key (%s...), not a check key: it "
                         "encrypts payloads and checks nothing; keep it secret",
                         read_key_prefix);
    if (memchr(text, '\n', len))
        return ltl__errf(LTL_EPARSE, "not a check key: a key is one line "
                                     "(<name>+<id>+<base64>), this text has several");
    unsigned char alg = 0;
    uint32_t id = 0, is = 0;
    int rc = key_split(out->name, &id, &alg, out->pub, text, len, "check key");
    if (rc == LTL_OK && (rc = note_key_id(&is, out->name, alg, out->pub)) == LTL_OK && is != id)
        rc = id_mismatch("check key", out->name, id, is);
    if (rc)
        memset(out, 0, sizeof(*out));
    else
        out->id = id;
    return rc;
}

int ltl__read_key_generate(struct ltl__read_key *out, const char *name)
{
    memset(out, 0, sizeof(*out));
    int rc = set_name(out->name, name, strlen(name), "key name");
    if (rc)
        return rc;
    if (RAND_bytes(out->secret, 32) != 1) {
        ERR_clear_error();
        return ltl__errf(LTL_EIO, "the random generator failed");
    }
    if ((rc = read_key_id(&out->id, out->secret)))
        ltl__key_wipe(out, sizeof(*out));
    return rc;
}

int ltl__read_key_format(ltl__buf *out, const struct ltl__read_key *k)
{
    return key_format(out, read_key_prefix, k->name, k->id, LTL__ALG_READ, k->secret);
}

int ltl__read_key_parse(struct ltl__read_key *out, const char *text, size_t len)
{
    size_t plen = sizeof(read_key_prefix) - 1;
    memset(out, 0, sizeof(*out));
    if (len < plen || memcmp(text, read_key_prefix, plen) != 0)
        return ltl__errf(LTL_EPARSE, "not a read key: it must start with %s", read_key_prefix);
    unsigned char alg = 0;
    uint32_t id = 0, is = 0;
    int rc = key_split(out->name, &id, &alg, out->secret, text + plen, len - plen, "read key");
    if (rc == LTL_OK && (rc = read_key_id(&is, out->secret)) == LTL_OK && is != id)
        rc = id_mismatch("read key", out->name, id, is);
    if (rc)
        ltl__key_wipe(out, sizeof(*out));
    else
        out->id = id;
    return rc;
}

/* ---- signed notes ---------------------------------------------------------- */

/* Check the characters of a note: valid UTF-8, no control characters but
 * newline (C2SP signed-note). */
static int note_chars(const char *s, size_t len, const char *what)
{
    if (!ltl__utf8_valid(s, len))
        return ltl__errf(LTL_EPARSE, "%s is not valid UTF-8", what);
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 && c != '\n')
            return ltl__errf(LTL_EPARSE, "%s has a control character 0x%02x at byte %zu", what, c,
                             i);
    }
    return LTL_OK;
}

/* The last "\n\n" of s, or NULL. */
static const char *last_blank(const char *s, size_t len)
{
    for (size_t i = len; i >= 2; i--)
        if (s[i - 1] == '\n' && s[i - 2] == '\n')
            return s + i - 2;
    return NULL;
}

struct sig_line {
    const char *name;
    size_t name_len;
    uint32_t id;
    unsigned char sig[64];
    size_t sig_len; /* > 64 for algorithms we do not know: not kept */
};

/* Parse the signature line [p, end) (without its newline). */
static int sig_line_parse(struct sig_line *out, const char *p, const char *end, size_t lineno)
{
    size_t dash = sizeof(em_dash_space) - 1;
    if ((size_t)(end - p) < dash || memcmp(p, em_dash_space, dash) != 0)
        return ltl__errf(LTL_EPARSE, "signed note: signature line %zu does not start with \"— \"",
                         lineno);
    p += dash;
    const char *sp = memchr(p, ' ', (size_t)(end - p));
    if (!sp)
        return ltl__errf(LTL_EPARSE, "signed note: signature line %zu has no signature", lineno);
    out->name = p;
    out->name_len = (size_t)(sp - p);
    if (ltl__name_check(p, out->name_len, "signature key name"))
        return LTL_EPARSE;
    ltl__buf raw = {0};
    int rc = ltl__base64_decode(&raw, sp + 1, (size_t)(end - sp - 1));
    if (rc == LTL_ENOMEM)
        return ltl__errf(LTL_ENOMEM, "out of memory");
    if (rc || raw.len < 5) {
        ltl__buf_free(&raw);
        return ltl__errf(LTL_EPARSE, "signed note: signature line %zu: bad base64 signature",
                         lineno);
    }
    const unsigned char *r = (const unsigned char *)raw.data;
    out->id = (uint32_t)r[0] << 24 | (uint32_t)r[1] << 16 | (uint32_t)r[2] << 8 | r[3];
    out->sig_len = raw.len - 4;
    if (out->sig_len <= sizeof(out->sig))
        memcpy(out->sig, r + 4, out->sig_len);
    ltl__buf_free(&raw);
    return LTL_OK;
}

/* Parse a signed note: the text length, and for each signature line, fn.
 * fn returns LTL_OK to go on or an error to stop with. */
static int note_parse(size_t *out_text_len, const char *note, size_t len,
                      int (*fn)(void *ctx, const struct sig_line *s), void *ctx)
{
    if (len > LTL__NOTE_MAX)
        return ltl__errf(LTL_EPARSE, "signed note: %zu bytes, more than the %u accepted", len,
                         LTL__NOTE_MAX);
    int rc = note_chars(note, len, "signed note");
    if (rc)
        return rc;
    const char *blank = last_blank(note, len);
    if (!blank)
        return ltl__errf(LTL_EPARSE, "signed note: no blank line before the signatures");
    const char *sigs = blank + 2, *end = note + len;
    if (sigs == end || end[-1] != '\n')
        return ltl__errf(LTL_EPARSE, "signed note: the signature lines must end with a newline");
    *out_text_len = (size_t)(blank + 1 - note);
    size_t lineno = 0;
    for (const char *p = sigs; p < end;) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        if (++lineno > LTL__NOTE_SIGS_MAX)
            return ltl__errf(LTL_EPARSE, "signed note: more than %d signatures",
                             LTL__NOTE_SIGS_MAX);
        struct sig_line s = {0};
        if ((rc = sig_line_parse(&s, p, nl, lineno)))
            return rc;
        if (fn && (rc = fn(ctx, &s)))
            return rc;
        p = nl + 1;
    }
    return LTL_OK;
}

int ltl__note_sign(ltl__buf *out, const char *text, size_t len, const struct ltl__write_key *k)
{
    if (len == 0 || text[len - 1] != '\n')
        return ltl__errf(LTL_EINVAL, "note text must end with a newline");
    if (len > LTL__NOTE_MAX / 2)
        return ltl__errf(LTL_ETOOBIG, "note text of %zu bytes is too long", len);
    int rc = note_chars(text, len, "note text");
    if (rc)
        return LTL_EINVAL;
    unsigned char sig[4 + 64];
    sig[0] = (unsigned char)(k->id >> 24);
    sig[1] = (unsigned char)(k->id >> 16);
    sig[2] = (unsigned char)(k->id >> 8);
    sig[3] = (unsigned char)k->id;
    if ((rc = ed25519_sign(sig + 4, k->seed, text, len)))
        return rc;
    size_t mark = out->len;
    if (ltl__buf_append(out, text, len) || ltl__buf_append(out, "\n", 1) ||
        ltl__buf_appendf(out, "%s%s ", em_dash_space, k->name) ||
        ltl__base64_encode(out, sig, sizeof(sig)) || ltl__buf_append(out, "\n", 1)) {
        out->len = mark;
        return ltl__errf(LTL_ENOMEM, "out of memory");
    }
    return LTL_OK;
}

struct verify_ctx {
    const struct ltl__check_key *key;
    const char *text;
    size_t text_len;
    bool verified;
    char others[160]; /* names of other signers, for the message */
};

static int verify_one(void *ctx, const struct sig_line *s)
{
    struct verify_ctx *v = ctx;
    size_t klen = strlen(v->key->name);
    if (!s->name || s->name_len != klen || memcmp(s->name, v->key->name, klen) != 0 ||
        s->id != v->key->id) {
        size_t used = strlen(v->others);
        if (used + s->name_len + 16 < sizeof(v->others))
            snprintf(v->others + used, sizeof(v->others) - used, "%s%.*s+%08" PRIx32,
                     used ? ", " : "", (int)s->name_len, s->name, s->id);
        return LTL_OK; /* another key's signature: not ours to judge */
    }
    if (v->verified)
        return LTL_OK; /* a repeated line of the same key */
    int rc = s->sig_len == 64 ? ed25519_verify(v->key->pub, v->text, v->text_len, s->sig, 64)
                              : LTL_EVERIFY;
    if (rc == LTL_EVERIFY)
        return ltl__errf(LTL_EVERIFY,
                         "invalid signature by key %s+%08" PRIx32
                         ": the note was altered after signing, or the signature is forged",
                         v->key->name, v->key->id);
    if (rc)
        return rc;
    v->verified = true;
    return LTL_OK;
}

int ltl__note_verify(size_t *out_text_len, const char *note, size_t len,
                     const struct ltl__check_key *k)
{
    struct verify_ctx v = {.key = k, .text = note};
    /* the text length is known before the first signature line is parsed */
    const char *blank = len <= LTL__NOTE_MAX ? last_blank(note, len) : NULL;
    v.text_len = blank ? (size_t)(blank + 1 - note) : 0;
    size_t text_len = 0;
    int rc = note_parse(&text_len, note, len, verify_one, &v);
    if (rc)
        return rc;
    if (!v.verified)
        return ltl__errf(LTL_EVERIFY, "the note has no signature by key %s+%08" PRIx32 "%s%s%s",
                         k->name, k->id, v.others[0] ? " (signed by " : "", v.others,
                         v.others[0] ? ")" : "");
    *out_text_len = text_len;
    return LTL_OK;
}

/* ---- checkpoints ----------------------------------------------------------- */

void ltl__origin_default(char out[LTL__ORIGIN_DEFAULT_SIZE], const unsigned char store_id[16])
{
    memcpy(out, "ltl/", 4);
    for (size_t i = 0; i < 16; i++)
        snprintf(out + 4 + 2 * i, 3, "%02x", store_id[i]);
}

int ltl__checkpoint_format(ltl__buf *out, const struct ltl__checkpoint *cp,
                           const struct ltl__write_key *k)
{
    size_t olen = strlen(cp->origin);
    if (ltl__name_check(cp->origin, olen, "checkpoint origin"))
        return LTL_EINVAL;
    ltl__buf body = {0};
    int rc = LTL_OK;
    if (ltl__buf_appendf(&body, "%s\n%" PRIu64 "\n", cp->origin, cp->size) ||
        ltl__base64_encode(&body, cp->root, HS) || ltl__buf_append(&body, "\n", 1)) {
        rc = ltl__errf(LTL_ENOMEM, "out of memory");
        goto out;
    }
    if (k)
        rc = ltl__note_sign(out, body.data, body.len, k);
    else if (ltl__buf_append(out, body.data, body.len))
        rc = ltl__errf(LTL_ENOMEM, "out of memory");
out:
    ltl__buf_free(&body);
    return rc;
}

/* Parse the checkpoint body (note text) [text, text + len), ending in '\n'. */
static int checkpoint_body(struct ltl__checkpoint *out, const char *text, size_t len)
{
    const char *end = text + len, *p = text;
    const char *line[3];
    size_t line_len[3];
    for (int i = 0; i < 3; i++) {
        const char *nl = p < end ? memchr(p, '\n', (size_t)(end - p)) : NULL;
        if (!nl)
            return ltl__errf(LTL_EPARSE, "checkpoint: %s line missing",
                             i == 0   ? "origin"
                             : i == 1 ? "size"
                                      : "root hash");
        line[i] = p;
        line_len[i] = (size_t)(nl - p);
        p = nl + 1;
    }
    /* extension lines: non-empty, ignored */
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        if (!nl || nl == p)
            return ltl__errf(LTL_EPARSE, "checkpoint: an extension line is empty or unterminated");
        p = nl + 1;
    }
    if (line_len[0] == 0 || line_len[0] > LTL__ORIGIN_MAX)
        return ltl__errf(LTL_EPARSE, "checkpoint: the origin line must have 1 to %d bytes",
                         LTL__ORIGIN_MAX);
    memcpy(out->origin, line[0], line_len[0]);
    out->origin[line_len[0]] = '\0';
    const char *s = line[1];
    size_t n = line_len[1];
    if (n == 0 || n > 20 || (n > 1 && s[0] == '0'))
        return ltl__errf(LTL_EPARSE, "checkpoint: bad tree size \"%.*s\"", (int)(n > 24 ? 24 : n),
                         s);
    uint64_t size = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9' || size > (UINT64_MAX - (uint64_t)(s[i] - '0')) / 10)
            return ltl__errf(LTL_EPARSE, "checkpoint: bad tree size \"%.*s\"", (int)n, s);
        size = size * 10 + (uint64_t)(s[i] - '0');
    }
    out->size = size;
    ltl__buf raw = {0};
    int rc = ltl__base64_decode(&raw, line[2], line_len[2]);
    if (rc == LTL_ENOMEM)
        return ltl__errf(LTL_ENOMEM, "out of memory");
    if (rc || raw.len != HS || line_len[2] != 44) {
        ltl__buf_free(&raw);
        return ltl__errf(LTL_EPARSE, "checkpoint: the root hash line is not base64 of 32 bytes");
    }
    memcpy(out->root, raw.data, HS);
    ltl__buf_free(&raw);
    return LTL_OK;
}

int ltl__checkpoint_parse(struct ltl__checkpoint *out, const char *text, size_t len,
                          const struct ltl__check_key *k)
{
    memset(out, 0, sizeof(*out));
    if (len > LTL__NOTE_MAX)
        return ltl__errf(LTL_EPARSE, "checkpoint: %zu bytes, more than the %u accepted", len,
                         LTL__NOTE_MAX);
    int rc = note_chars(text, len, "checkpoint");
    if (rc)
        return rc;
    size_t body_len = len;
    /* body lines are never empty, so a blank line means signatures follow */
    bool has_sigs = last_blank(text, len) != NULL;
    out->has_signatures = has_sigs; /* also when the signature check fails below */
    if (has_sigs) {
        rc = k ? ltl__note_verify(&body_len, text, len, k)
               : note_parse(&body_len, text, len, NULL, NULL);
        if (rc == LTL_EVERIFY) {
            /* still say what the checkpoint claims, for the message */
            struct ltl__checkpoint tmp = {0};
            const char *blank = last_blank(text, len);
            if (checkpoint_body(&tmp, text, (size_t)(blank + 1 - text)) == LTL_OK)
                ltl__err_prefix("checkpoint %s at size %" PRIu64, tmp.origin, tmp.size);
            return rc;
        }
        if (rc)
            return rc;
    } else if (len == 0 || text[len - 1] != '\n') {
        return ltl__errf(LTL_EPARSE, "checkpoint: must end with a newline");
    }
    if ((rc = checkpoint_body(out, text, body_len)))
        return rc;
    out->has_signatures = has_sigs;
    if (k && !has_sigs)
        return ltl__errf(LTL_EVERIFY,
                         "checkpoint %s at size %" PRIu64
                         " is unsigned: it cannot be checked against key %s+%08" PRIx32,
                         out->origin, out->size, k->name, k->id);
    out->verified = k != NULL;
    return LTL_OK;
}
