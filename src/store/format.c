/* SPDX-License-Identifier: MIT */
/*
 * format.c — encoding and checking of the on-disk structures: the store
 * header (STORE/LTL), segment headers, frames and record bodies, plus the
 * topic rules and segment file names. docs/FORMAT.md is the normative
 * description; this file must match it byte for byte.
 */
#include "store/store.h"

#include <inttypes.h>
#include <stdio.h>

void ltl__header_encode(unsigned char out[LTL__HEADER_SIZE], const struct ltl__store_header *h)
{
    memset(out, 0, LTL__HEADER_SIZE);
    memcpy(out, LTL__HEADER_MAGIC, 8);
    ltl__put_u32(out + 8, h->version);
    ltl__put_u32(out + 12, h->hash);
    memcpy(out + 16, h->store_id, 16);
    ltl__put_u64(out + 32, (uint64_t)h->created);
    ltl__put_u32(out + 40, 0);
    ltl__put_u32(out + 44, ltl__crc32c(0, out, 44));
}

int ltl__header_decode(struct ltl__store_header *out, const unsigned char in[LTL__HEADER_SIZE])
{
    if (memcmp(in, LTL__HEADER_MAGIC, 8) != 0)
        return ltl__errf(LTL_ECORRUPT, "not an ltl store header (bad magic)");
    if (ltl__get_u32(in + 44) != ltl__crc32c(0, in, 44))
        return ltl__errf(LTL_ECORRUPT, "store header checksum mismatch");
    out->version = ltl__get_u32(in + 8);
    out->hash = ltl__get_u32(in + 12);
    memcpy(out->store_id, in + 16, 16);
    out->created = (int64_t)ltl__get_u64(in + 32);
    if (out->version != LTL__FORMAT_VERSION)
        return ltl__errf(LTL_EVERSION,
                         "store format version %u is not supported (this ltl reads %d)",
                         out->version, LTL__FORMAT_VERSION);
    if (out->hash != LTL__HASH_SHA256 || ltl__get_u32(in + 40) != 0)
        return ltl__errf(LTL_EVERSION, "store header names unknown hash %u or flags", out->hash);
    return LTL_OK;
}

void ltl__seg_header_encode(unsigned char out[LTL__SEG_HEADER_SIZE],
                            const struct ltl__seg_header *h)
{
    memset(out, 0, LTL__SEG_HEADER_SIZE);
    memcpy(out, LTL__SEG_MAGIC, 8);
    ltl__put_u32(out + 8, LTL__FORMAT_VERSION);
    ltl__put_u32(out + 12, LTL__SEG_HEADER_SIZE);
    memcpy(out + 16, h->store_id, 16);
    ltl__put_u64(out + 32, h->base_seq);
    ltl__put_u64(out + 40, h->salt);
    ltl__put_u64(out + 48, (uint64_t)h->created);
    ltl__put_u32(out + 56, 0);
    ltl__put_u32(out + 60, ltl__crc32c(0, out, 60));
}

int ltl__seg_header_decode(struct ltl__seg_header *out,
                           const unsigned char in[LTL__SEG_HEADER_SIZE])
{
    if (memcmp(in, LTL__SEG_MAGIC, 8) != 0)
        return ltl__errf(LTL_ECORRUPT, "bad segment header magic");
    if (ltl__get_u32(in + 60) != ltl__crc32c(0, in, 60))
        return ltl__errf(LTL_ECORRUPT, "segment header checksum mismatch");
    if (ltl__get_u32(in + 8) != LTL__FORMAT_VERSION)
        return ltl__errf(LTL_EVERSION, "segment format version %u is not supported",
                         ltl__get_u32(in + 8));
    if (ltl__get_u32(in + 12) != LTL__SEG_HEADER_SIZE || ltl__get_u32(in + 56) != 0)
        return ltl__errf(LTL_ECORRUPT, "segment header has unknown size or flags");
    memcpy(out->store_id, in + 16, 16);
    out->base_seq = ltl__get_u64(in + 32);
    out->salt = ltl__get_u64(in + 40);
    out->created = (int64_t)ltl__get_u64(in + 48);
    return LTL_OK;
}

static uint32_t frame_crc(uint64_t salt, const unsigned char *body, size_t len)
{
    unsigned char s[8];
    ltl__put_u64(s, salt);
    return ltl__crc32c(ltl__crc32c(0, s, 8), body, len);
}

size_t ltl__frame_encode_header(unsigned char *out, const struct ltl__body *b)
{
    unsigned char *body = out + LTL__FRAME_HEADER;
    body[0] = LTL__BODY_VERSION;
    body[1] = (unsigned char)b->kind;
    ltl__put_u16(body + 2, (uint16_t)b->flags);
    ltl__put_u16(body + 4, (uint16_t)b->topic_len);
    ltl__put_u16(body + 6, 0);
    ltl__put_u64(body + 8, b->seq);
    ltl__put_u64(body + 16, (uint64_t)b->ts);
    ltl__put_u64(body + 24, b->manifest_seq);
    memcpy(body + LTL__BODY_HEADER, b->topic, b->topic_len);
    return LTL__BODY_HEADER + b->topic_len;
}

void ltl__frame_finish(unsigned char *out, uint64_t salt, size_t body_len)
{
    unsigned char *body = out + LTL__FRAME_HEADER;
    memset(body + body_len, 0, ltl__align8(body_len) - body_len);
    ltl__put_u32(out, (uint32_t)body_len);
    ltl__put_u32(out + 4, frame_crc(salt, body, body_len));
}

void ltl__frame_encode(unsigned char *out, uint64_t salt, const struct ltl__body *b)
{
    size_t head = ltl__frame_encode_header(out, b);
    if (b->payload_len)
        memcpy(out + LTL__FRAME_HEADER + head, b->payload, b->payload_len);
    ltl__frame_finish(out, salt, head + b->payload_len);
}

const char *ltl__frame_status_name(enum ltl__frame_status st)
{
    switch (st) {
    case LTL__FRAME_OK:
        return "ok";
    case LTL__FRAME_END:
        return "end";
    case LTL__FRAME_TRUNCATED:
        return "torn frame";
    case LTL__FRAME_BAD_LEN:
        return "garbage (impossible length)";
    case LTL__FRAME_BAD_CRC:
        return "checksum mismatch";
    case LTL__FRAME_BAD_BODY:
        return "invalid record fields";
    case LTL__FRAME_BAD_SEQ:
        return "record out of sequence";
    }
    return "?";
}

enum ltl__frame_status ltl__frame_decode(struct ltl__body *out, uint64_t *size,
                                         const unsigned char *p, size_t avail, uint64_t salt,
                                         uint64_t max_len)
{
    if (avail < 4)
        return avail == 0 ? LTL__FRAME_END : LTL__FRAME_TRUNCATED;
    uint32_t len = ltl__get_u32(p);
    if (len == 0)
        return LTL__FRAME_END;
    if (len < LTL__BODY_HEADER + 1 || len > max_len)
        return LTL__FRAME_BAD_LEN;
    uint64_t fsize = ltl__frame_size(len);
    if (fsize > avail)
        return LTL__FRAME_TRUNCATED;
    const unsigned char *body = p + LTL__FRAME_HEADER;
    if (ltl__get_u32(p + 4) != frame_crc(salt, body, len))
        return LTL__FRAME_BAD_CRC;
    unsigned topic_len = ltl__get_u16(body + 4);
    out->kind = body[1];
    out->flags = ltl__get_u16(body + 2);
    if (body[0] != LTL__BODY_VERSION || out->kind < LTL_KIND_DATA || out->kind > LTL_KIND_LOST ||
        (out->flags & ~(unsigned)(LTL_RECORD_JSON | LTL_RECORD_ENCRYPTED)) ||
        ltl__get_u16(body + 6) != 0 || topic_len == 0 || topic_len > LTL_TOPIC_MAX ||
        LTL__BODY_HEADER + topic_len > len)
        return LTL__FRAME_BAD_BODY;
    for (uint64_t i = len; i < ltl__align8(len); i++)
        if (body[i] != 0)
            return LTL__FRAME_BAD_BODY;
    out->seq = ltl__get_u64(body + 8);
    out->ts = (int64_t)ltl__get_u64(body + 16);
    out->manifest_seq = ltl__get_u64(body + 24);
    out->topic = (const char *)body + LTL__BODY_HEADER;
    out->topic_len = topic_len;
    out->payload = body + LTL__BODY_HEADER + topic_len;
    out->payload_len = len - LTL__BODY_HEADER - topic_len;
    *size = fsize;
    return LTL__FRAME_OK;
}

bool ltl__frame_padding_only(const unsigned char *p, size_t avail, uint64_t salt, uint64_t max_len)
{
    if (avail < LTL__FRAME_HEADER)
        return false;
    uint32_t len = ltl__get_u32(p);
    uint64_t fsize = ltl__frame_size(len);
    if (len < LTL__BODY_HEADER + 1 || len > max_len || fsize > avail || fsize > 4096 + (1u << 30))
        return false;
    /* the padding is outside the checksum: with it zeroed, is the frame whole? */
    unsigned char tail[8] = {0};
    size_t pad = (size_t)(fsize - LTL__FRAME_HEADER - len);
    bool dirty = false;
    for (size_t i = 0; i < pad; i++)
        dirty = dirty || p[LTL__FRAME_HEADER + len + i] != 0;
    if (!dirty)
        return false;
    unsigned char *copy = ltl__malloc((size_t)fsize);
    if (!copy)
        return false;
    memcpy(copy, p, (size_t)fsize);
    memcpy(copy + LTL__FRAME_HEADER + len, tail, pad);
    struct ltl__body b;
    uint64_t size;
    bool ok = ltl__frame_decode(&b, &size, copy, (size_t)fsize, salt, max_len) == LTL__FRAME_OK;
    ltl__free(copy);
    return ok;
}

int ltl__body_decode(struct ltl__body *out, const unsigned char *body, size_t len)
{
    if (len < LTL__BODY_HEADER + 1)
        return ltl__errf(LTL_EPARSE, "a record body of %zu bytes is too short", len);
    unsigned topic_len = ltl__get_u16(body + 4);
    out->kind = body[1];
    out->flags = ltl__get_u16(body + 2);
    if (body[0] != LTL__BODY_VERSION || out->kind < LTL_KIND_DATA || out->kind > LTL_KIND_LOST ||
        (out->flags & ~(unsigned)(LTL_RECORD_JSON | LTL_RECORD_ENCRYPTED)) ||
        ltl__get_u16(body + 6) != 0 || topic_len == 0 || LTL__BODY_HEADER + topic_len > len)
        return ltl__errf(LTL_EPARSE, "not a record body (version, kind, flags or topic)");
    out->seq = ltl__get_u64(body + 8);
    out->ts = (int64_t)ltl__get_u64(body + 16);
    out->manifest_seq = ltl__get_u64(body + 24);
    out->topic = (const char *)body + LTL__BODY_HEADER;
    out->topic_len = topic_len;
    out->payload = body + LTL__BODY_HEADER + topic_len;
    out->payload_len = len - LTL__BODY_HEADER - topic_len;
    return LTL_OK;
}

int ltl__topic_check(const char *topic, size_t len, bool allow_reserved)
{
    if (len == 0)
        return ltl__errf(LTL_EINVAL, "topic is empty");
    if (len > LTL_TOPIC_MAX)
        return ltl__errf(LTL_EINVAL, "topic is %zu bytes long; the limit is %d", len,
                         LTL_TOPIC_MAX);
    if (!ltl__utf8_valid(topic, len))
        return ltl__errf(LTL_EINVAL, "topic is not valid UTF-8");
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)topic[i];
        if (c < 0x20 || c == 0x7f)
            return ltl__errf(LTL_EINVAL, "topic contains a control character (byte %zu)", i);
        if (c == ' ' || c == '/' || c == '*' || c == '>' || c == '\\')
            return ltl__errf(LTL_EINVAL,
                             "topic contains '%c' (byte %zu); spaces, '/', '\\', '*' and '>' "
                             "are not allowed",
                             c, i);
    }
    if ((len == 1 && topic[0] == '.') || (len == 2 && topic[0] == '.' && topic[1] == '.'))
        return ltl__errf(LTL_EINVAL, "topic may not be '.' or '..'");
    if (topic[0] == '_' && !allow_reserved)
        return ltl__errf(LTL_EINVAL,
                         "topic '%.*s' is reserved: topics starting with '_' belong "
                         "to ltl",
                         (int)len, topic);
    return LTL_OK;
}

const char *ltl__kind_name(unsigned kind)
{
    switch (kind) {
    case LTL_KIND_MANIFEST:
        return "manifest";
    case LTL_KIND_SYSTEM:
        return "system";
    case LTL_KIND_LOST:
        return "lost";
    default:
        return "data";
    }
}

/* ---- lost-record markers ----------------------------------------------------- */

#define LOST_TOPIC "_ltl"

/* The payload of a marker of `size` frame bytes with the given JSON text:
 * its length when the text fits, else 0. */
static size_t lost_room(uint64_t size)
{
    return (size_t)(size - LTL__FRAME_HEADER - LTL__BODY_HEADER - (sizeof(LOST_TOPIC) - 1));
}

uint64_t ltl__lost_size(const unsigned char *leaf, const char *reason)
{
    char text[512];
    int n = ltl__lost_text(text, sizeof(text), leaf, reason);
    uint64_t want = LTL__FRAME_HEADER + LTL__BODY_HEADER + (sizeof(LOST_TOPIC) - 1) + (uint64_t)n;
    return ltl__align8(want);
}

int ltl__lost_text(char *out, size_t cap, const unsigned char *leaf, const char *reason)
{
    char hex[2 * LTL__LOST_LEAF + 1] = "";
    if (leaf)
        ltl__hex_encode(hex, leaf, LTL__LOST_LEAF);
    int n;
    if (leaf && reason)
        n = snprintf(out, cap, "{\"lost\":\"%s\",\"leaf\":\"%s\"}", reason, hex);
    else if (leaf)
        n = snprintf(out, cap, "{\"leaf\":\"%s\"}", hex);
    else if (reason)
        n = snprintf(out, cap, "{\"lost\":\"%s\"}", reason);
    else
        n = snprintf(out, cap, "{}");
    return n < 0 || (size_t)n >= cap ? 0 : n;
}

void ltl__lost_encode(unsigned char *out, uint64_t size, uint64_t salt, uint64_t seq, int64_t ts,
                      uint64_t manifest_seq, const unsigned char *leaf, const char *reason)
{
    size_t room = lost_room(size);
    /* the fullest text that fits: reason and leaf, the leaf, the reason, {} */
    char text[512];
    int n = ltl__lost_text(text, sizeof(text), leaf, reason);
    if ((size_t)n > room)
        n = ltl__lost_text(text, sizeof(text), leaf, NULL);
    if ((size_t)n > room)
        n = ltl__lost_text(text, sizeof(text), NULL, reason);
    if ((size_t)n > room)
        n = ltl__lost_text(text, sizeof(text), NULL, NULL);
    struct ltl__body b = {LTL_KIND_LOST, LTL_RECORD_JSON,        seq,  ts, manifest_seq,
                          LOST_TOPIC,    sizeof(LOST_TOPIC) - 1, NULL, 0};
    size_t head = ltl__frame_encode_header(out, &b);
    unsigned char *payload = out + LTL__FRAME_HEADER + head;
    memcpy(payload, text, (size_t)n);
    memset(payload + n, ' ', room - (size_t)n); /* JSON allows trailing white space */
    ltl__frame_finish(out, salt, head + room);
}

bool ltl__lost_leaf(const struct ltl__body *b, unsigned char out[LTL__LOST_LEAF])
{
    static const char key[] = "\"leaf\":\"";
    if (b->kind != LTL_KIND_LOST)
        return false;
    const char *p =
        b->payload_len ? memmem(b->payload, b->payload_len, key, sizeof(key) - 1) : NULL;
    if (!p)
        return false;
    p += sizeof(key) - 1;
    const char *end = (const char *)b->payload + b->payload_len;
    if (end - p < 2 * LTL__LOST_LEAF + 1 || p[(size_t)2 * LTL__LOST_LEAF] != '"')
        return false;
    return ltl__hex_decode(out, p, LTL__LOST_LEAF);
}

void ltl__seg_name(char *buf, size_t len, uint64_t base)
{
    snprintf(buf, len, "%016" PRIx64 ".seg", base);
}

bool ltl__seg_name_parse(const char *name, uint64_t *base)
{
    if (strlen(name) != 20 || strcmp(name + 16, ".seg") != 0)
        return false;
    uint64_t v = 0;
    for (int i = 0; i < 16; i++) {
        char c = name[i];
        int d = c >= '0' && c <= '9' ? c - '0' : (c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1);
        if (d < 0)
            return false;
        v = (v << 4) | (uint64_t)d;
    }
    *base = v;
    return true;
}
