/* SPDX-License-Identifier: MIT */
/*
 * import.c — ltl_import(): JSON Lines into the log, fast, in bounded memory.
 *
 * The caller's thread reads the input in blocks of whole lines; the worker
 * pool checks the lines of each block (one parse per line that validates
 * it and, when the store indexes, flattens it into an index part); the
 * caller's thread then appends each block's good lines in input order as
 * one batch (consecutive seqs) and hands the block's part to the indexer's
 * feed, which writes the index in runs as chunks fill (after making their
 * records durable). So lines are parsed once for both, the log is not read
 * back, and memory holds a few blocks and one chunk of postings whatever
 * the input's size. A bad line is reported with its number, column and the
 * parser's reason; without LTL_IMPORT_KEEP_GOING the import stops there,
 * everything before it appended.
 */
#include "index/index.h"
#include "json/json.h"
#include "store/store.h"

#include <stdio.h>
#include <unistd.h>

#define BLOCK_BYTES ((size_t)2 << 20) /* a block: about this much input, whole lines */
#define READ_BYTES  ((size_t)1 << 20) /* read(2) size */

/* A line that passed: where it is in its block. */
struct good_line {
    size_t off, len;
};

struct block {
    struct import *imp;
    char *data; /* whole lines */
    size_t len;
    uint64_t first_line; /* number of the block's first line, from 1 */
    uint64_t offset;     /* input offset of data[0] */
    uint64_t nlines;     /* lines in it */
    bool too_long;       /* a line over message.max_size stands for the block (data NULL) */
    uint64_t too_long_bytes;
    /* the workers' results */
    struct good_line *good;
    size_t ngood;
    ltl_import_error *errors;
    size_t nerrors;
    bool stopped; /* the first bad line, without keep-going: nothing after it */
    struct ltl__index_part *part;
    int rc;
    char msg[256];
    bool done;
    struct block *next;
};

struct import {
    ltl_db *db;
    const ltl_import_options *opts;
    const char *topic;
    size_t topic_len;
    bool keep_going;
    struct ltl__pool *pool;
    struct ltl__index *ix; /* NULL: the import does not index */
    pthread_mutex_t mu;
    pthread_cond_t cond;
    struct block *head, *tail;
    size_t inflight, max_inflight;
    /* reading */
    ltl_read_fn read;
    void *read_ctx;
    ltl__buf carry; /* the start of a line the last block did not end */
    bool eof;
    bool short_read;    /* the last read gave less than asked: the input has no more now */
    uint64_t next_line; /* number of the next line to read */
    uint64_t offset;    /* input bytes before carry */
    uint64_t max_line;
    bool at_start; /* nothing read yet (a byte-order mark is skipped) */
};

static void block_free(struct block *b)
{
    if (!b)
        return;
    ltl__free(b->data);
    ltl__free(b->good);
    ltl__free(b->errors);
    ltl__index_part_free(b->part);
    ltl__free(b);
}

static bool is_blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
            return false;
    return true;
}

static int add_error(struct block *b, int code, uint64_t line, uint64_t column, uint64_t offset,
                     const char *message)
{
    ltl_import_error *n = ltl__realloc(b->errors, (b->nerrors + 1) * sizeof(*n));
    if (!n)
        return ltl__errf(LTL_ENOMEM, "out of memory");
    b->errors = n;
    ltl_import_error *e = &n[b->nerrors++];
    *e = (ltl_import_error){code, line, column, offset, ""};
    snprintf(e->message, sizeof(e->message), "%s", message);
    return LTL_OK;
}

/* The worker's task: check (and flatten) every line of a block. */
static int check_block(struct block *b)
{
    struct import *imp = b->imp;
    int rc = LTL_OK;
    if (imp->ix && (rc = ltl__index_part_new(&b->part, imp->ix)))
        return rc;
    size_t cap = 0;
    uint64_t line = b->first_line;
    for (size_t at = 0; at < b->len; line++) {
        const char *s = b->data + at;
        const char *nl = memchr(s, '\n', b->len - at);
        size_t n = nl ? (size_t)(nl - s) : b->len - at;
        size_t off = at;
        at += n + (nl != NULL);
        b->nlines++;
        if (n && s[n - 1] == '\r')
            n--;
        if (is_blank(s, n))
            continue;
        if (n > imp->max_line) {
            char msg[128];
            snprintf(msg, sizeof(msg),
                     "the line is %zu bytes; the limit (message.max_size) is %llu", n,
                     (unsigned long long)imp->max_line);
            if ((rc = add_error(b, LTL_ETOOBIG, line, 0, b->offset + off, msg)))
                return rc;
            if (!imp->keep_going) {
                b->stopped = true;
                break;
            }
            continue;
        }
        ltl_json_error err = {0};
        /* the writer seals every data record when it has the read key: the part then
         * holds tokens of the values, never the values */
        rc = b->part ? ltl__index_part_add(b->part, b->ngood, imp->topic, imp->topic_len, s, n,
                                           imp->db->keys.have_read ? LTL__INDEX_SEALED : 0, &err)
                     : ltl__json_validate(s, n, &err);
        if (rc == LTL_EPARSE) {
            ltl__err_restate();
            if ((rc = add_error(b, LTL_EPARSE, line, err.column, b->offset + off, err.message)))
                return rc;
            if (!imp->keep_going) {
                b->stopped = true;
                break;
            }
            continue;
        }
        if (rc)
            return rc;
        if (b->ngood == cap) {
            cap = cap ? cap * 2 : 1024;
            struct good_line *g = ltl__realloc(b->good, cap * sizeof(*g));
            if (!g)
                return ltl__errf(LTL_ENOMEM, "out of memory");
            b->good = g;
        }
        b->good[b->ngood++] = (struct good_line){off, n};
    }
    if (b->part) {
        ltl__index_part_set_records(b->part, b->ngood);
        rc = ltl__index_part_finish(b->part);
    }
    return rc;
}

static int check_task(void *arg)
{
    struct block *b = arg;
    int rc = check_block(b);
    struct import *imp = b->imp;
    pthread_mutex_lock(&imp->mu);
    b->rc = rc;
    if (rc)
        snprintf(b->msg, sizeof(b->msg), "%s", ltl__err_current());
    b->done = true;
    pthread_cond_broadcast(&imp->cond);
    pthread_mutex_unlock(&imp->mu);
    return LTL_OK; /* reported through the block */
}

/* Read more input into carry; false at the end of the input. */
static int read_more(struct import *imp, size_t want)
{
    if (imp->eof)
        return LTL_OK;
    int rc = ltl__buf_reserve(&imp->carry, want);
    if (rc)
        return ltl__errf(LTL_ENOMEM, "out of memory");
    size_t got = 0;
    rc = imp->read(imp->read_ctx, imp->carry.data + imp->carry.len, want, &got);
    if (rc) {
        ltl__err_restate();
        return ltl__errf(rc < 0 ? rc : LTL_EIO, "reading the input failed (%s)",
                         ltl_strerror(rc < 0 ? rc : LTL_EIO));
    }
    if (got > want)
        return ltl__errf(LTL_EINVAL, "the read callback returned more than asked");
    if (got == 0)
        imp->eof = true;
    imp->short_read = got < want;
    imp->carry.len += got;
    if (imp->at_start && imp->carry.len >= 3) {
        if (memcmp(imp->carry.data, "\xEF\xBB\xBF", 3) == 0) {
            memmove(imp->carry.data, imp->carry.data + 3, imp->carry.len - 3);
            imp->carry.len -= 3;
            imp->offset += 3;
        }
        imp->at_start = false;
    }
    return LTL_OK;
}

/* The next block of whole lines, or NULL at the end of the input. */
static int next_block(struct import *imp, struct block **out)
{
    *out = NULL;
    int rc;
    /* gather about BLOCK_BYTES ending at a newline, or what a pipe has now */
    for (;;) {
        const char *nl = NULL;
        if (imp->carry.len >= BLOCK_BYTES || imp->eof || (imp->short_read && imp->carry.len)) {
            nl = imp->carry.len ? memrchr(imp->carry.data, '\n', imp->carry.len) : NULL;
            if (nl || imp->eof)
                break;
        }
        /* a line longer than a block: keep reading it, up to the message limit */
        if (imp->carry.len > imp->max_line + 2 && !memchr(imp->carry.data, '\n', imp->carry.len))
            break;
        if ((rc = read_more(imp, READ_BYTES)))
            return rc;
    }
    if (imp->carry.len == 0)
        return LTL_OK; /* the end */
    struct block *b = ltl__calloc(1, sizeof(*b));
    if (!b)
        return ltl__errf(LTL_ENOMEM, "out of memory");
    b->imp = imp;
    b->first_line = imp->next_line;
    b->offset = imp->offset;
    const char *nl = memrchr(imp->carry.data, '\n', imp->carry.len);
    if (!nl && !imp->eof) {
        /* a line too long to hold: skip it, reading on to its newline */
        b->too_long = true;
        uint64_t skipped = 0;
        for (;;) {
            const char *e = memchr(imp->carry.data, '\n', imp->carry.len);
            if (e) {
                size_t n = (size_t)(e - imp->carry.data) + 1;
                skipped += n;
                memmove(imp->carry.data, imp->carry.data + n, imp->carry.len - n);
                imp->carry.len -= n;
                break;
            }
            skipped += imp->carry.len;
            imp->carry.len = 0;
            if (imp->eof)
                break;
            if ((rc = read_more(imp, READ_BYTES))) {
                ltl__free(b);
                return rc;
            }
        }
        b->too_long_bytes = skipped;
        b->nlines = 1;
        imp->next_line++;
        imp->offset += skipped;
        *out = b;
        return LTL_OK;
    }
    size_t len = nl ? (size_t)(nl - imp->carry.data) + 1 : imp->carry.len;
    /* the block takes the buffer; the rest moves to a new one */
    size_t rest = imp->carry.len - len;
    ltl__buf next = {0};
    if (rest && ltl__buf_reserve(&next, rest > BLOCK_BYTES ? rest : BLOCK_BYTES + READ_BYTES)) {
        ltl__free(b);
        return ltl__errf(LTL_ENOMEM, "out of memory");
    }
    if (rest) {
        memcpy(next.data, imp->carry.data + len, rest);
        next.len = rest;
    }
    b->data = imp->carry.data;
    b->len = len;
    imp->carry = next;
    /* count the lines (the worker numbers them from first_line) */
    uint64_t lines = 0;
    for (const char *p = b->data, *end = b->data + len; p < end;) {
        const char *e = memchr(p, '\n', (size_t)(end - p));
        lines++;
        p = e ? e + 1 : end;
    }
    imp->next_line += lines;
    imp->offset += len;
    *out = b;
    return LTL_OK;
}

/* Append a block's good lines and hand its part to the feed. */
static int append_block(struct import *imp, struct block *b, struct ltl__index_feed **feed,
                        ltl_import_report *rep)
{
    int rc = LTL_OK;
    if (b->ngood) {
        ltl_msg *msgs = ltl__malloc(b->ngood * sizeof(*msgs));
        if (!msgs)
            return ltl__errf(LTL_ENOMEM, "out of memory");
        for (size_t i = 0; i < b->ngood; i++)
            msgs[i] =
                (ltl_msg){imp->topic, b->data + b->good[i].off, b->good[i].len, LTL_APPEND_JSON};
        uint64_t first = 0;
        rc = ltl__writer_append(imp->db, msgs, b->ngood, &first);
        ltl__free(msgs);
        if (rc)
            return rc;
        if (rep->first_seq == UINT64_MAX)
            rep->first_seq = first;
        rep->last_seq = first + b->ngood - 1;
        rep->records += b->ngood;
        if (*feed && b->part) {
            struct ltl__index_part *part = b->part;
            b->part = NULL;
            if ((rc = ltl__indexer_feed_part(*feed, part, first)))
                return rc;
        }
    }
    return LTL_OK;
}

static int report_errors(struct import *imp, struct block *b, ltl_import_report *rep)
{
    for (size_t i = 0; i < b->nerrors; i++) {
        rep->rejected++;
        const ltl_import_error *e = &b->errors[i];
        if (imp->opts->on_error) {
            int rc = imp->opts->on_error(imp->opts->error_ctx, e);
            if (rc)
                return rc;
        }
    }
    return LTL_OK;
}

void ltl_import_options_init(ltl_import_options *opts)
{
    if (opts)
        *opts =
            (ltl_import_options){LTL_IMPORT_OPTIONS_VERSION, 0, NULL, 0, NULL, NULL, NULL, NULL};
}

static unsigned cpu_count(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > 16 ? 16 : (unsigned)n;
}

int ltl_import(ltl_import_report *out, ltl_db *db, ltl_read_fn read, void *read_ctx,
               const ltl_import_options *opts)
{
    if (!db || !read)
        return LTL_EINVAL;
    ltl__err_begin();
    ltl_import_report rep = {0, 0, 0, 0, UINT64_MAX, 0};
    if (out)
        *out = rep;
    ltl_import_options defaults;
    ltl_import_options_init(&defaults);
    if (!opts)
        opts = &defaults;
    if (opts->version != LTL_IMPORT_OPTIONS_VERSION)
        return ltl__err_end(
            db, ltl__errf(LTL_EINVAL, "ltl_import_options.version is %u", opts->version));
    if (!db->writer)
        return ltl__err_end(
            db, ltl__errf(db->writable ? LTL_EBROKEN : LTL_EREADONLY,
                          db->writable ? "the store did not open" : "the store is open read-only"));
    const char *topic = opts->topic ? opts->topic : LTL_DEFAULT_TOPIC;
    int rc = ltl__topic_check(topic, strlen(topic), false);
    if (rc) {
        ltl__err_prefix("invalid topic");
        return ltl__err_end(db, rc);
    }
    struct import imp = {0};
    imp.db = db;
    imp.opts = opts;
    imp.topic = topic;
    imp.topic_len = strlen(topic);
    imp.keep_going = opts->flags & LTL_IMPORT_KEEP_GOING;
    imp.read = read;
    imp.read_ctx = read_ctx;
    imp.next_line = 1;
    imp.max_line = db->cfg.message_max;
    imp.at_start = true;
    pthread_mutex_init(&imp.mu, NULL);
    pthread_cond_init(&imp.cond, NULL);
    unsigned threads = opts->threads ? opts->threads : cpu_count();
    if (threads > 64)
        threads = 64;
    imp.max_inflight = 2 * (size_t)threads + 2;
    struct ltl__index_feed *feed = NULL;
    bool stop = false;
    if ((rc = ltl__pool_new(&imp.pool, threads)) ||
        (rc = ltl__indexer_feed_begin(db, imp.pool, &feed)))
        goto out;
    if (feed && (rc = ltl__indexer_index(db, &imp.ix)))
        goto out;
    while (!stop) {
        /* keep the workers busy: read ahead, until the oldest block is ready */
        while (!imp.eof && imp.inflight < imp.max_inflight) {
            if (imp.head) {
                pthread_mutex_lock(&imp.mu);
                bool ready = imp.head->done;
                pthread_mutex_unlock(&imp.mu);
                if (ready)
                    break;
            }
            struct block *b;
            if ((rc = next_block(&imp, &b)))
                goto out;
            if (!b)
                break;
            if (imp.tail)
                imp.tail->next = b;
            else
                imp.head = b;
            imp.tail = b;
            imp.inflight++;
            if (b->too_long) {
                char msg[160];
                snprintf(msg, sizeof(msg),
                         "the line is %llu bytes or more; the limit (message.max_size) is %llu",
                         (unsigned long long)b->too_long_bytes, (unsigned long long)imp.max_line);
                b->done = true;
                if ((rc = add_error(b, LTL_ETOOBIG, b->first_line, 0, b->offset, msg)))
                    goto out;
                b->stopped = !imp.keep_going;
            } else if ((rc = ltl__pool_submit(imp.pool, check_task, b))) {
                goto out;
            }
        }
        struct block *b = imp.head;
        if (!b)
            break;
        pthread_mutex_lock(&imp.mu);
        while (!b->done)
            pthread_cond_wait(&imp.cond, &imp.mu);
        pthread_mutex_unlock(&imp.mu);
        imp.head = b->next;
        if (!imp.head)
            imp.tail = NULL;
        imp.inflight--;
        if (b->rc) {
            rc = ltl__errf(b->rc, "%s", b->msg);
            block_free(b);
            goto out;
        }
        rep.lines += b->nlines;
        rep.bytes = b->offset + (b->too_long ? b->too_long_bytes : b->len);
        rc = append_block(&imp, b, &feed, &rep);
        if (rc == LTL_OK)
            rc = report_errors(&imp, b, &rep);
        if (rc == LTL_OK && b->stopped) {
            const ltl_import_error *e = &b->errors[b->nerrors - 1];
            rc = e->code == LTL_EPARSE
                     ? ltl__errf(LTL_EPARSE, "line %llu, column %llu: not JSON: %s",
                                 (unsigned long long)e->line, (unsigned long long)e->column,
                                 e->message)
                     : ltl__errf(e->code, "line %llu: %s", (unsigned long long)e->line, e->message);
            stop = true;
        }
        block_free(b);
        if (rc)
            goto out;
        if (opts->progress)
            opts->progress(opts->progress_ctx, rep.bytes, 0);
    }
out:
    /* blocks still in flight: wait for their tasks, drop them */
    pthread_mutex_lock(&imp.mu);
    for (struct block *b = imp.head; b; b = b->next)
        while (!b->done)
            pthread_cond_wait(&imp.cond, &imp.mu);
    pthread_mutex_unlock(&imp.mu);
    while (imp.head) {
        struct block *b = imp.head;
        imp.head = b->next;
        block_free(b);
    }
    /* index what was appended (also after a bad line: those records are in) */
    int frc = ltl__indexer_feed_end(feed, true);
    if (rc == LTL_OK)
        rc = frc;
    ltl__pool_free(imp.pool);
    ltl__buf_free(&imp.carry);
    pthread_mutex_destroy(&imp.mu);
    pthread_cond_destroy(&imp.cond);
    if (out)
        *out = rep;
    return ltl__err_end(db, rc);
}
