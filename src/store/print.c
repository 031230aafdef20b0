/* SPDX-License-Identifier: MIT */
/*
 * print.c — records as text: jsonl (one object per record: envelope fields
 * with the manifest merged in, then "message"), envelope (the same without
 * the message), raw (the payload bytes) and pretty (a header line, then the
 * payload, JSON indented). Shared by the CLI, the HTTP server and the bindings.
 */
#include "json/json.h"
#include "store/store.h"

#include <inttypes.h>
#include <stdio.h>

static int message_json(ltl__buf *out, const ltl_record *rec)
{
    if (rec->flags & LTL_RECORD_ENCRYPTED)
        return ltl__buf_appendf(out, "\"encrypted\":true");
    if (rec->flags & LTL_RECORD_JSON) {
        int rc = ltl__buf_append(out, "\"message\":", 10);
        if (rc)
            return rc;
        /* JSON Lines needs one line: compact only when the text has line breaks */
        if (memchr(rec->data, '\n', rec->len) || memchr(rec->data, '\r', rec->len))
            return ltl__json_pretty(out, rec->data, rec->len, 0);
        return ltl__buf_append(out, rec->data, rec->len);
    }
    if (ltl__utf8_valid(rec->data, rec->len)) {
        int rc = ltl__buf_append(out, "\"message\":", 10);
        return rc ? rc : ltl__json_escape(out, rec->data, rec->len);
    }
    int rc = ltl__buf_append(out, "\"message_base64\":\"", 18);
    if (!rc)
        rc = ltl__base64_encode(out, rec->data, rec->len);
    return rc ? rc : ltl__buf_append(out, "\"", 1);
}

/* One JSON object: the envelope, then the message unless `envelope` (which
 * says only whether the record is stored encrypted). */
static int format_jsonl(ltl__buf *out, const ltl_record *rec, bool envelope)
{
    char ts[40];
    ltl_time_format(ts, sizeof(ts), rec->ts);
    int rc = ltl__buf_appendf(out, "{\"seq\":%" PRIu64 ",\"ts\":\"%s\",\"topic\":", rec->seq, ts);
    if (!rc)
        rc = ltl__json_escape(out, rec->topic, strlen(rec->topic));
    if (!rc && rec->kind != LTL_KIND_DATA)
        rc = ltl__buf_appendf(out, ",\"kind\":\"%s\"", ltl__kind_name(rec->kind));
    const ltl_manifest *m = rec->manifest;
    if (!rc && m) {
        rc = ltl__buf_append(out, ",\"user\":", 8);
        if (!rc)
            rc = ltl__json_escape(out, m->user, strlen(m->user));
        if (!rc)
            rc = ltl__buf_append(out, ",\"host\":", 8);
        if (!rc)
            rc = ltl__json_escape(out, m->host, strlen(m->host));
        if (!rc)
            rc = ltl__buf_appendf(out, ",\"pid\":%" PRId64, m->pid);
    }
    if (!rc)
        rc = ltl__buf_appendf(out, ",\"manifest\":%" PRIu64, rec->manifest_seq);
    if (!rc && envelope && (rec->flags & (LTL_RECORD_ENCRYPTED | LTL_RECORD_SEALED)))
        rc = ltl__buf_append(out, ",\"encrypted\":true", 17);
    else if (!rc && !envelope && !(rc = ltl__buf_append(out, ",", 1)))
        rc = message_json(out, rec);
    return rc ? rc : ltl__buf_append(out, "}\n", 2);
}

static int format_pretty(ltl__buf *out, const ltl_record *rec)
{
    char ts[40];
    ltl_time_format(ts, sizeof(ts), rec->ts);
    /* milliseconds are enough for a reader: "2026-11-21T10:00:00.123Z" */
    memcpy(ts + 23, "Z", 2);
    int rc = ltl__buf_appendf(out, "#%" PRIu64 "  %s  %s", rec->seq, ts, rec->topic);
    if (!rc && rec->kind != LTL_KIND_DATA)
        rc = ltl__buf_appendf(out, "  (%s)", ltl__kind_name(rec->kind));
    if (!rc && rec->manifest)
        rc = ltl__buf_appendf(out, "  %s@%s pid %" PRId64, rec->manifest->user, rec->manifest->host,
                              rec->manifest->pid);
    if (!rc)
        rc = ltl__buf_append(out, "\n", 1);
    if (rc)
        return rc;
    if (rec->flags & LTL_RECORD_ENCRYPTED)
        rc = ltl__buf_appendf(out, "(encrypted, %zu bytes)", rec->len);
    else if (rec->flags & LTL_RECORD_JSON)
        rc = ltl__json_pretty(out, rec->data, rec->len, 2);
    else if (ltl__utf8_valid(rec->data, rec->len))
        rc = ltl__buf_append(out, rec->data, rec->len);
    else {
        rc = ltl__buf_appendf(out, "(binary, %zu bytes, base64) ", rec->len);
        if (!rc)
            rc = ltl__base64_encode(out, rec->data, rec->len);
    }
    return rc ? rc : ltl__buf_append(out, "\n\n", 2);
}

int ltl_record_format(char **buf, size_t *cap, size_t *out_len, const ltl_record *rec, int format)
{
    if (!buf || !cap || !rec)
        return LTL_EINVAL;
    ltl__buf out = {*buf, 0, *buf ? *cap : 0};
    int rc;
    switch (format) {
    case LTL_FORMAT_JSONL:
    case LTL_FORMAT_ENVELOPE:
        rc = format_jsonl(&out, rec, format == LTL_FORMAT_ENVELOPE);
        break;
    case LTL_FORMAT_PRETTY:
        rc = format_pretty(&out, rec);
        break;
    case LTL_FORMAT_RAW:
        /* the payload bytes are all raw shows: ciphertext is not the message */
        if (rec->flags & LTL_RECORD_ENCRYPTED) {
            rc = LTL_EKEY;
            break;
        }
        rc = ltl__buf_append(&out, rec->data, rec->len);
        if (!rc)
            rc = ltl__buf_append(&out, "\n", 1);
        break;
    default:
        rc = LTL_EINVAL;
        break;
    }
    *buf = out.data; /* the buffer may have moved, whatever happened */
    *cap = out.cap;
    if (rc == LTL_OK && out_len)
        *out_len = out.len;
    return rc;
}
