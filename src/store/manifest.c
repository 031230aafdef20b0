/* SPDX-License-Identifier: MIT */
/*
 * manifest.c — who and what writes: a writer records a manifest (user, uid,
 * host, machine id, pid, executable, ltl version and build, config digest)
 * as a JSON record in the topic _ltl before its first record, unless the
 * last manifest in the store is identical; every record points to the
 * manifest that applies, so the envelope costs 8 bytes per record.
 * Readers resolve a record's manifest through a small per-handle cache of
 * reference-counted entries: a cursor or a record holds the entry it shows,
 * and the cache drops unreferenced entries beyond CACHE_MAX, so a log of a
 * million short writer sessions does not grow the reader's memory.
 */
#include "json/json.h"
#include "store/store.h"

#include <inttypes.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define CACHE_MAX 32

struct ltl__manifest_entry {
    ltl_manifest m;
    char *strings; /* user, host, machine_id, exe, version, build, NUL-separated */
    long refs;
    struct ltl__manifest_entry *next;
};

static int append_field(ltl__buf *out, const char *key, const char *value)
{
    int rc = ltl__buf_appendf(out, "%s\"%s\":", out->len > 1 ? "," : "", key);
    return rc ? rc : ltl__json_escape(out, value, strlen(value));
}

char *ltl__manifest_json(const struct ltl__config_values *cfg, const struct ltl__keys *keys)
{
    char host[256] = "", exe[4096] = "", machine_id[64] = "", user[256] = "";
    uid_t uid = getuid();
    if (gethostname(host, sizeof(host) - 1) < 0)
        host[0] = '\0';
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    exe[n > 0 ? n : 0] = '\0';
    FILE *f = fopen("/etc/machine-id", "r");
    if (f) {
        if (!fgets(machine_id, sizeof(machine_id), f))
            machine_id[0] = '\0';
        machine_id[strcspn(machine_id, "\n")] = '\0';
        fclose(f);
    }
    struct passwd pw, *found = NULL;
    char pwbuf[4096];
    if (getpwuid_r(uid, &pw, pwbuf, sizeof(pwbuf), &found) == 0 && found)
        snprintf(user, sizeof(user), "%s", pw.pw_name);
    else
        snprintf(user, sizeof(user), "%lu", (unsigned long)uid);

    const ltl_build *b = ltl_build_info();
    ltl__buf out = {0};
    int rc = ltl__buf_append(&out, "{", 1);
    if (!rc)
        rc = append_field(&out, "user", user);
    if (!rc)
        rc = ltl__buf_appendf(&out, ",\"uid\":%lu", (unsigned long)uid);
    if (!rc)
        rc = append_field(&out, "host", host);
    if (!rc)
        rc = append_field(&out, "machine_id", machine_id);
    if (!rc)
        rc = ltl__buf_appendf(&out, ",\"pid\":%ld", (long)getpid());
    if (!rc)
        rc = append_field(&out, "exe", exe);
    if (!rc)
        rc = append_field(&out, "version", b->version);
    if (!rc)
        rc = append_field(&out, "build", b->commit);
    if (!rc)
        rc = ltl__buf_appendf(&out, ",\"config\":\"%016" PRIx64 "\"", cfg->digest);
    if (!rc && keys->have_read)
        rc = ltl__buf_appendf(&out, ",\"read_key\":\"%08x\"", keys->seal.read_key_id);
    if (!rc && keys->have_check) {
        ltl__buf ck = {0};
        rc = ltl__check_key_format(&ck, &keys->check);
        if (!rc) {
            /* "name+id": the key itself is not needed to say which one signed */
            char *plus = strchr(ck.data, '+');
            plus = plus ? strchr(plus + 1, '+') : NULL;
            size_t name_len = plus ? (size_t)(plus - ck.data) : ck.len;
            rc = ltl__buf_append(&out, ",\"check_key\":", 13);
            if (!rc)
                rc = ltl__json_escape(&out, ck.data, name_len);
        }
        ltl__buf_free(&ck);
    }
    if (!rc)
        rc = ltl__buf_append(&out, "}", 1);
    if (rc) {
        ltl__buf_free(&out);
        return NULL;
    }
    return out.data;
}

/* ---- reading manifests back ---------------------------------------------- */

struct parse_ctx {
    ltl__buf strings;
    size_t off[8]; /* offsets of user, host, machine_id, exe, version, build, read_key, check_key */
    bool have[8];
    uint64_t uid;
    int64_t pid;
    int rc;
};

static const char *const string_fields[8] = {"user",    "host",  "machine_id", "exe",
                                             "version", "build", "read_key",   "check_key"};

static int on_field(void *vctx, const ltl_json_event *ev)
{
    struct parse_ctx *c = vctx;
    if (ev->depth != 1)
        return 0;
    if (ev->type == LTL_JSON_NUMBER && ev->value_len < 32) {
        char num[32];
        memcpy(num, ev->value, ev->value_len);
        num[ev->value_len] = '\0';
        if (ev->key_len == 3 && memcmp(ev->key, "uid", 3) == 0)
            c->uid = strtoull(num, NULL, 10);
        else if (ev->key_len == 3 && memcmp(ev->key, "pid", 3) == 0)
            c->pid = strtoll(num, NULL, 10);
        return 0;
    }
    if (ev->type != LTL_JSON_STRING)
        return 0;
    for (size_t i = 0; i < LTL__ARRAY_LEN(string_fields); i++) {
        if (c->have[i] || strlen(string_fields[i]) != ev->key_len ||
            memcmp(string_fields[i], ev->key, ev->key_len) != 0)
            continue;
        c->off[i] = c->strings.len;
        c->have[i] = true;
        /* the value text keeps its quotes: decode the inside */
        if ((c->rc = ltl__json_unescape(&c->strings, ev->value + 1, ev->value_len - 2)) ||
            (c->rc = ltl__buf_append(&c->strings, "", 1)))
            return 1;
    }
    return 0;
}

/* Parse a manifest payload into a new cache entry. */
static struct ltl__manifest_entry *manifest_parse(uint64_t seq, const void *json, size_t len)
{
    struct parse_ctx c = {0};
    if (ltl__buf_append(&c.strings, "", 1)) /* offset 0: the empty string */
        return NULL;
    ltl_json_options opts;
    ltl_json_options_init(&opts);
    opts.mode = LTL_JSON_MODE_DOCUMENT;
    if (ltl_json_parse(json, len, &opts, on_field, &c, NULL) != LTL_OK || c.rc) {
        ltl__buf_free(&c.strings);
        return NULL;
    }
    struct ltl__manifest_entry *e = ltl__calloc(1, sizeof(*e));
    if (!e) {
        ltl__buf_free(&c.strings);
        return NULL;
    }
    e->strings = c.strings.data;
    _Static_assert(LTL__ARRAY_LEN(string_fields) == LTL__ARRAY_LEN(((struct parse_ctx *)0)->off),
                   "one offset per string field");
    const char *s[LTL__ARRAY_LEN(string_fields)];
    for (size_t i = 0; i < LTL__ARRAY_LEN(string_fields); i++)
        s[i] = e->strings + (c.have[i] ? c.off[i] : 0);
    e->m = (ltl_manifest){seq, s[0], c.uid, s[1], s[2], c.pid, s[3], s[4], s[5], s[6], s[7]};
    return e;
}

static void entry_free(struct ltl__manifest_entry *e)
{
    ltl__free(e->strings);
    ltl__free(e);
}

/* Drop unreferenced entries beyond CACHE_MAX (oldest last in the list). Holds manifest_mu. */
static void cache_trim(struct ltl_db *db)
{
    size_t n = 0;
    for (struct ltl__manifest_entry **pp = &db->manifests; *pp;) {
        struct ltl__manifest_entry *e = *pp;
        if (++n > CACHE_MAX && e->refs == 0) {
            *pp = e->next;
            entry_free(e);
            n--;
        } else {
            pp = &e->next;
        }
    }
}

/* Find seq in the cache and take a reference. Holds manifest_mu. */
static const ltl_manifest *cache_take(struct ltl_db *db, uint64_t seq)
{
    for (struct ltl__manifest_entry *e = db->manifests; e; e = e->next)
        if (e->m.seq == seq) {
            e->refs++;
            return &e->m;
        }
    return NULL;
}

const ltl_manifest *ltl__manifest_acquire(struct ltl_db *db, uint64_t seq)
{
    if (seq == LTL__NO_SEQ)
        return NULL;
    pthread_mutex_lock(&db->manifest_mu);
    const ltl_manifest *found = cache_take(db, seq);
    pthread_mutex_unlock(&db->manifest_mu);
    if (found)
        return found;

    struct ltl__segment *seg = ltl__segs_find(db, seq);
    uint64_t off, size;
    struct ltl__body b;
    ltl__buf buf = {0};
    struct ltl__manifest_entry *e = NULL;
    if (seg && ltl__seg_locate(db, seg, seq, &off) == LTL_OK &&
        ltl__read_frame(db, seg, off, &buf, &b, &size) == LTL_OK && b.kind == LTL_KIND_MANIFEST)
        e = manifest_parse(seq, b.payload, b.payload_len);
    ltl__buf_free(&buf);
    if (!e)
        return NULL;
    pthread_mutex_lock(&db->manifest_mu);
    found = cache_take(db, seq); /* another thread may have added it meanwhile */
    if (found) {
        entry_free(e);
    } else {
        e->refs = 1;
        e->next = db->manifests;
        db->manifests = e;
        found = &e->m;
        cache_trim(db);
    }
    pthread_mutex_unlock(&db->manifest_mu);
    return found;
}

void ltl__manifest_release(struct ltl_db *db, const ltl_manifest *m)
{
    if (!m)
        return;
    pthread_mutex_lock(&db->manifest_mu);
    for (struct ltl__manifest_entry *e = db->manifests; e; e = e->next)
        if (&e->m == m) {
            e->refs--;
            break;
        }
    cache_trim(db);
    pthread_mutex_unlock(&db->manifest_mu);
}

void ltl__manifests_free(struct ltl_db *db)
{
    while (db->manifests) {
        struct ltl__manifest_entry *e = db->manifests;
        db->manifests = e->next;
        entry_free(e);
    }
}
