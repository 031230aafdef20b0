/* SPDX-License-Identifier: MIT */
/*
 * prooftext.c — proofs as text files that travel without the store:
 * inclusion proofs in the C2SP tlog-proof format
 * (https://c2sp.org/tlog-proof), and consistency proofs in our own format
 * modelled on the C2SP tlog-witness add-checkpoint body ("old <size>",
 * the proof hashes, a blank line, the checkpoint) under a header line of
 * its own, and the offline checks `ltl check-proof` runs on them.
 */
#include "trust/trust.h"

#include <inttypes.h>

#define HS LTL__HASH_SIZE

/* Append "<base64 hash>\n" for each hash of the proof. */
static int hashes_format(ltl__buf *out, const struct ltl__proof *proof)
{
    for (size_t i = 0; i < proof->count; i++) {
        int rc = ltl__base64_encode(out, proof->hash[i], HS);
        if (rc == LTL_OK)
            rc = ltl__buf_append(out, "\n", 1);
        if (rc)
            return rc;
    }
    return LTL_OK;
}

int ltl__tlog_proof_format(ltl__buf *out, uint64_t index, const struct ltl__proof *proof,
                           const char *checkpoint, size_t checkpoint_len, const void *extra,
                           size_t extra_len)
{
    size_t mark = out->len;
    int rc = ltl__buf_appendf(out, "%s\n", LTL__TLOG_PROOF_HEADER);
    if (rc == LTL_OK && extra) {
        if ((rc = ltl__buf_append(out, "extra ", 6)) == LTL_OK &&
            (rc = ltl__base64_encode(out, extra, extra_len)) == LTL_OK)
            rc = ltl__buf_append(out, "\n", 1);
    }
    if (rc == LTL_OK && (rc = ltl__buf_appendf(out, "index %" PRIu64 "\n", index)) == LTL_OK &&
        (rc = hashes_format(out, proof)) == LTL_OK &&
        (rc = ltl__buf_append(out, "\n", 1)) == LTL_OK)
        rc = ltl__buf_append(out, checkpoint, checkpoint_len);
    if (rc) {
        out->len = mark;
        return ltl__errf(LTL_ENOMEM, "out of memory");
    }
    return LTL_OK;
}

int ltl__consistency_proof_format(ltl__buf *out, uint64_t old_size, const struct ltl__proof *proof,
                                  const char *checkpoint, size_t checkpoint_len)
{
    size_t mark = out->len;
    int rc = ltl__buf_appendf(out, "%s\nold %" PRIu64 "\n", LTL__CONSISTENCY_HEADER, old_size);
    if (rc == LTL_OK && (rc = hashes_format(out, proof)) == LTL_OK &&
        (rc = ltl__buf_append(out, "\n", 1)) == LTL_OK)
        rc = ltl__buf_append(out, checkpoint, checkpoint_len);
    if (rc) {
        out->len = mark;
        return ltl__errf(LTL_ENOMEM, "out of memory");
    }
    return LTL_OK;
}

void ltl__proof_text_free(struct ltl__proof_text *p)
{
    if (!p)
        return;
    ltl__free(p->extra);
    p->extra = NULL;
    p->extra_len = 0;
}

/* A line reader over [p, end): every line must end with '\n'. */
struct lines {
    const char *p, *end;
    size_t no; /* number of the line last returned, 1-based */
    const char *what;
};

/* The next line (without its newline) in line and len; false at the end or
 * before an unterminated line. */
static bool next_line(struct lines *l, const char **line, size_t *len)
{
    if (l->p >= l->end)
        return false;
    const char *nl = memchr(l->p, '\n', (size_t)(l->end - l->p));
    if (!nl)
        return false;
    *line = l->p;
    *len = (size_t)(nl - l->p);
    l->p = nl + 1;
    l->no++;
    return true;
}

/* Parse "<keyword> <decimal>" (no leading zeros) into *out. */
static int keyword_number(uint64_t *out, const char *line, size_t len, const char *keyword,
                          struct lines *l)
{
    size_t kl = strlen(keyword);
    if (len <= kl + 1 || memcmp(line, keyword, kl) != 0 || line[kl] != ' ')
        return ltl__errf(LTL_EPARSE, "%s: line %zu must be \"%s N\"", l->what, l->no, keyword);
    const char *s = line + kl + 1;
    size_t n = len - kl - 1;
    uint64_t v = 0;
    if (n > 20 || (n > 1 && s[0] == '0'))
        return ltl__errf(LTL_EPARSE, "%s: line %zu: bad number", l->what, l->no);
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9' || v > (UINT64_MAX - (uint64_t)(s[i] - '0')) / 10)
            return ltl__errf(LTL_EPARSE, "%s: line %zu: bad number", l->what, l->no);
        v = v * 10 + (uint64_t)(s[i] - '0');
    }
    *out = v;
    return LTL_OK;
}

/* The hash lines up to the blank line, then the checkpoint (the rest). */
static int hashes_and_checkpoint(struct ltl__proof_text *out, struct lines *l)
{
    const char *line;
    size_t len;
    for (;;) {
        if (!next_line(l, &line, &len))
            return ltl__errf(LTL_EPARSE, "%s: the blank line before the checkpoint is missing",
                             l->what);
        if (len == 0)
            break;
        if (out->proof.count == LTL__PROOF_MAX)
            return ltl__errf(LTL_EPARSE, "%s: more than %d proof hashes", l->what, LTL__PROOF_MAX);
        ltl__buf raw = {0};
        int rc = ltl__base64_decode(&raw, line, len);
        if (rc == LTL_ENOMEM)
            return ltl__errf(LTL_ENOMEM, "out of memory");
        if (rc || raw.len != HS || len != 44) {
            ltl__buf_free(&raw);
            return ltl__errf(LTL_EPARSE, "%s: line %zu is not a base64 SHA-256 hash", l->what,
                             l->no);
        }
        memcpy(out->proof.hash[out->proof.count++], raw.data, HS);
        ltl__buf_free(&raw);
    }
    if (l->p >= l->end)
        return ltl__errf(LTL_EPARSE, "%s: no checkpoint after the blank line", l->what);
    out->checkpoint = l->p;
    out->checkpoint_len = (size_t)(l->end - l->p);
    return LTL_OK;
}

static int text_start(struct ltl__proof_text *out, struct lines *l, const char *text, size_t len,
                      const char *header, const char *what)
{
    memset(out, 0, sizeof(*out));
    *l = (struct lines){.p = text, .end = text + len, .what = what};
    if (len > LTL__PROOF_TEXT_MAX)
        return ltl__errf(LTL_EPARSE, "%s: %zu bytes, more than the %u accepted", what, len,
                         LTL__PROOF_TEXT_MAX);
    const char *line;
    size_t n;
    if (!next_line(l, &line, &n) || n != strlen(header) || memcmp(line, header, n) != 0)
        return ltl__errf(LTL_EPARSE, "%s: the first line must be %s", what, header);
    return LTL_OK;
}

int ltl__tlog_proof_parse(struct ltl__proof_text *out, const char *text, size_t len)
{
    struct lines l;
    int rc = text_start(out, &l, text, len, LTL__TLOG_PROOF_HEADER, "tlog-proof");
    const char *line;
    size_t n;
    if (rc)
        return rc;
    if (!next_line(&l, &line, &n))
        return ltl__errf(LTL_EPARSE, "tlog-proof: the index line is missing");
    if (n >= 6 && memcmp(line, "extra ", 6) == 0) {
        ltl__buf raw = {0};
        rc = ltl__base64_decode(&raw, line + 6, n - 6);
        if (rc == LTL_ENOMEM)
            return ltl__errf(LTL_ENOMEM, "out of memory");
        if (rc) {
            ltl__buf_free(&raw);
            return ltl__errf(LTL_EPARSE, "tlog-proof: line 2: the extra data is not base64");
        }
        out->extra = (unsigned char *)raw.data;
        out->extra_len = raw.len;
        if (!out->extra && !(out->extra = ltl__malloc(1)))
            return ltl__errf(LTL_ENOMEM, "out of memory");
        if (!next_line(&l, &line, &n)) {
            ltl__proof_text_free(out);
            return ltl__errf(LTL_EPARSE, "tlog-proof: the index line is missing");
        }
    }
    if ((rc = keyword_number(&out->index, line, n, "index", &l)) ||
        (rc = hashes_and_checkpoint(out, &l)))
        ltl__proof_text_free(out);
    return rc;
}

int ltl__consistency_proof_parse(struct ltl__proof_text *out, const char *text, size_t len)
{
    struct lines l;
    int rc = text_start(out, &l, text, len, LTL__CONSISTENCY_HEADER, "consistency proof");
    const char *line;
    size_t n;
    if (rc)
        return rc;
    if (!next_line(&l, &line, &n))
        return ltl__errf(LTL_EPARSE, "consistency proof: the \"old N\" line is missing");
    if ((rc = keyword_number(&out->index, line, n, "old", &l)))
        return rc;
    return hashes_and_checkpoint(out, &l);
}

int ltl__tlog_proof_check(struct ltl__checkpoint *out, const char *text, size_t len,
                          const unsigned char leaf_hash[HS], const struct ltl__check_key *k)
{
    struct ltl__proof_text p;
    int rc = ltl__tlog_proof_parse(&p, text, len);
    if (rc)
        return rc;
    if ((rc = ltl__checkpoint_parse(out, p.checkpoint, p.checkpoint_len, k)) == LTL_OK)
        rc = ltl__verify_inclusion(leaf_hash, p.index, out->size,
                                   (const unsigned char(*)[HS])p.proof.hash, p.proof.count,
                                   out->root);
    ltl__proof_text_free(&p);
    return rc;
}

int ltl__consistency_proof_check(struct ltl__checkpoint *out, const char *text, size_t len,
                                 const struct ltl__checkpoint *old, const struct ltl__check_key *k)
{
    struct ltl__proof_text p;
    int rc = ltl__consistency_proof_parse(&p, text, len);
    if (rc)
        return rc;
    if ((rc = ltl__checkpoint_parse(out, p.checkpoint, p.checkpoint_len, k)))
        goto out;
    if (strcmp(out->origin, old->origin) != 0) {
        rc = ltl__errf(LTL_EVERIFY, "the checkpoints are of different logs: %s and %s", old->origin,
                       out->origin);
        goto out;
    }
    if (p.index != old->size) {
        rc = ltl__errf(LTL_EVERIFY,
                       "the proof starts at size %" PRIu64 ", the old checkpoint has %" PRIu64,
                       p.index, old->size);
        goto out;
    }
    rc = ltl__verify_consistency(old->size, out->size, old->root, out->root,
                                 (const unsigned char(*)[HS])p.proof.hash, p.proof.count);
out:
    ltl__proof_text_free(&p);
    return rc;
}
