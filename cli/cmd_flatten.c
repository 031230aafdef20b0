/* SPDX-License-Identifier: MIT */
/*
 * cmd_flatten.c — `ltl flatten [FILE...]`: JSON or JSON Lines to flat text
 * (lines, json, tsv, gron) and back (--unflatten), the distinct wildcard
 * paths of an input (--paths), JSON Lines split across threads (--jobs) with
 * the output in input order, bad JSON lines reported and skipped
 * (--keep-going), and a progress bar on a terminal. Input streams through
 * fixed buffers: memory does not grow with the input.
 */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define READ_SIZE    (128u << 10) /* one read(2): fits the L2 cache, which matters */
#define JOB_SIZE     (512u << 10) /* JSON Lines handed to a worker at a time */
#define PROGRESS_MIN (64ull << 20)

extern const struct cli_command cmd_flatten;

static const char flatten_usage[] =
    "usage: ltl flatten [OPTIONS] [FILE...]\n"
    "\n"
    "Flatten JSON or JSON Lines (standard input when no FILE, or FILE is '-') into\n"
    "one line per value: its full path and its JSON text. Empty objects and arrays\n"
    "appear ('a = {}'), duplicate keys are kept in order, numbers keep their digits.\n"
    "Paths: members join with '.', elements are [n], other keys are quoted:\n"
    "  authors[0].key = \"/authors/OL1A\"      [\"a.b\"][\"\"] = 1      . = 5 (the root)\n"
    "Several documents (JSON Lines) are separated by an empty line in the lines and\n"
    "tsv formats; in the json format each document is one line.\n"
    "\n"
    "Options:\n"
    "  -f, --format FMT   lines (default): path = value\n"
    "                     json: one {\"path\": value, ...} object per document\n"
    "                     tsv:  path<TAB>short key<TAB>value\n"
    "                     gron: gron's statements, byte for byte (several documents\n"
    "                           as 'gron --stream' writes them)\n"
    "  -u, --unflatten    rebuild JSON from flat text in any of those formats\n"
    "                     (detected; --format names it); one document per line\n"
    "  -p, --paths        list the distinct wildcard paths (authors[].key) with the\n"
    "                     number of values at each, in order of first appearance\n"
    "  -l, --lines        the input is JSON Lines (one document per line)\n"
    "  -d, --document     the input is one JSON document\n"
    "                     (default: detected; several documents may follow each other)\n"
    "  -k, --keep-going   JSON Lines: report a bad line on stderr (line, column,\n"
    "                     reason), skip it, flatten the rest; the exit code is still 8\n"
    "  -j, --jobs N       flatten JSON Lines on N threads; the output keeps the input\n"
    "                     order (not with --format gron, --paths or --unflatten)\n"
    "      --max-depth N  nesting limit (default 1024)\n"
    "  -h, --help         this help\n"
    "\n"
    "A progress bar appears on standard error when it is a terminal and the input is\n"
    "large. Exit codes: 0 ok, 2 usage, 6 I/O error, 8 bad input (see 'ltl help\n"
    "exit-codes'). docs/JSON.md describes the formats.\n";

enum { O_FORMAT = 1, O_UNFLATTEN, O_PATHS, O_LINES, O_DOCUMENT, O_KEEP, O_JOBS, O_DEPTH };

static const struct cli_opt flatten_opts[] = {
    {"format", 'f', true, O_FORMAT},
    {"unflatten", 'u', false, O_UNFLATTEN},
    {"paths", 'p', false, O_PATHS},
    {"lines", 'l', false, O_LINES},
    {"document", 'd', false, O_DOCUMENT},
    {"keep-going", 'k', false, O_KEEP},
    {"jobs", 'j', true, O_JOBS},
    {"max-depth", 0, true, O_DEPTH},
    {NULL, 0, false, 0},
};

/* ---- shared state ------------------------------------------------------------------- */

struct progress {
    bool enabled;   /* stderr is a terminal and not -q */
    bool shown;     /* something was drawn */
    uint64_t total; /* input size when known, else 0 */
    uint64_t done;
    int64_t start, last;
};

struct run {
    struct cli *cli;
    int format;
    bool format_given;
    int mode;
    bool unflatten, paths, keep_going;
    unsigned jobs;
    unsigned max_depth;

    const char *name;     /* the input being read, for messages */
    uint64_t line_base;   /* lines of this input before the current job (--jobs) */
    uint64_t bad_lines;   /* skipped with --keep-going */
    bool out_failed;      /* stdout failed: stop (cli_out_fail() says how) */
    bool file_has_output; /* this input wrote something (separators between inputs) */
    bool any_output;
    struct progress prog;
};

static int64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void human(char *buf, size_t len, double bytes)
{
    const char *unit[] = {"B", "KB", "MB", "GB", "TB"};
    int u = 0;
    while (bytes >= 1000 && u < 4) {
        bytes /= 1000;
        u++;
    }
    snprintf(buf, len, u ? "%.1f %s" : "%.0f %s", bytes, unit[u]);
}

static void progress_draw(struct progress *p, bool final)
{
    if (!p->enabled)
        return;
    int64_t now = mono_ns();
    if (!final && now - p->last < 100000000)
        return;
    if (!p->shown && !final && p->total < PROGRESS_MIN && now - p->start < 1000000000)
        return; /* small input: no bar unless it takes a while */
    if (final) {
        if (p->shown)
            fputs("\r\033[K", stderr);
        return;
    }
    p->last = now;
    p->shown = true;
    char done[32], rate[32];
    double secs = (double)(now - p->start) / 1e9;
    human(done, sizeof(done), (double)p->done);
    human(rate, sizeof(rate), secs > 0 ? (double)p->done / secs : 0);
    if (p->total) {
        char total[32];
        human(total, sizeof(total), (double)p->total);
        int width = 30;
        double frac = p->done >= p->total ? 1.0 : (double)p->done / (double)p->total;
        int fill = (int)(frac * width);
        char bar[64];
        for (int i = 0; i < width; i++)
            bar[i] = i < fill ? '#' : '.';
        bar[width] = '\0';
        fprintf(stderr, "\r[%s] %3.0f%% %s / %s  %s/s\033[K", bar, frac * 100, done, total, rate);
    } else {
        fprintf(stderr, "\r%s  %s/s\033[K", done, rate);
    }
    fflush(stderr);
}

static int write_out(void *ctx, const void *data, size_t len)
{
    struct run *r = ctx;
    if (r->out_failed)
        return LTL_EIO;
    if (!r->file_has_output && r->any_output &&
        (r->format == LTL_JSON_FLAT_LINES || r->format == LTL_JSON_FLAT_TSV) && !r->unflatten &&
        !cli_write("\n", 1))
        goto fail;
    r->file_has_output = r->any_output = true;
    if (cli_write(data, len))
        return LTL_OK;
fail:
    r->out_failed = true;
    return LTL_EIO;
}

static void report(struct run *r, const ltl_json_error *e, uint64_t line_base, const char *tail)
{
    cli_fail(r->cli, 0, "%s:%llu:%llu: %s%s", r->name, (unsigned long long)line_base + e->line,
             (unsigned long long)e->column, e->message, tail);
}

static int on_bad_line(void *ctx, const ltl_json_error *err)
{
    struct run *r = ctx;
    r->bad_lines++;
    report(r, err, r->line_base, " (line skipped)");
    return 0;
}

/* ---- reading ------------------------------------------------------------------------ */

struct input {
    int fd;
    bool eof;
    char *buf; /* READ_SIZE */
};

static int open_input(struct run *r, struct input *in, const char *path)
{
    in->eof = false;
    if (!path || strcmp(path, "-") == 0) {
        r->name = "<stdin>";
        in->fd = STDIN_FILENO;
    } else {
        r->name = path;
        in->fd = open(path, O_RDONLY | O_CLOEXEC);
        if (in->fd < 0)
            return cli_fail(r->cli, EXIT_IO, "cannot open %s: %s", path, strerror(errno));
    }
    struct stat st;
    r->prog.total = fstat(in->fd, &st) == 0 && S_ISREG(st.st_mode) ? (uint64_t)st.st_size : 0;
    r->prog.done = 0;
    r->prog.start = r->prog.last = mono_ns();
    r->prog.shown = false;
#ifdef POSIX_FADV_SEQUENTIAL
    if (r->prog.total)
        (void)posix_fadvise(in->fd, 0, 0, POSIX_FADV_SEQUENTIAL);
#endif
    return EXIT_OK;
}

static void close_input(struct input *in)
{
    if (in->fd != STDIN_FILENO && in->fd >= 0)
        close(in->fd);
    in->fd = -1;
}

/* Read up to len bytes; 0 at the end; -1 on error (message printed). */
static ssize_t read_some(struct run *r, struct input *in, char *buf, size_t len)
{
    for (;;) {
        if (cli_interrupted)
            return 0;
        ssize_t n = read(in->fd, buf, len);
        if (n >= 0) {
            if (n == 0)
                in->eof = true;
            r->prog.done += (uint64_t)n;
            progress_draw(&r->prog, false);
            return n;
        }
        if (errno == EINTR)
            continue;
        cli_fail(r->cli, 0, "reading %s: %s", r->name, strerror(errno));
        return -1;
    }
}

/* ---- --paths ------------------------------------------------------------------------ */

struct path_count {
    char *path;
    size_t len;
    uint64_t count;
    uint64_t hash;
};

struct path_table {
    struct path_count *items; /* in order of first appearance */
    size_t n, cap;
    uint32_t *slots; /* index + 1 */
    size_t nslots;
    bool nomem;
};

static uint64_t fnv(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
    return h;
}

static bool table_grow(struct path_table *t)
{
    size_t ns = t->nslots ? t->nslots * 2 : 1024;
    uint32_t *s = calloc(ns, sizeof(*s));
    if (!s)
        return false;
    for (size_t i = 0; i < t->n; i++) {
        size_t h = (size_t)t->items[i].hash & (ns - 1);
        while (s[h])
            h = (h + 1) & (ns - 1);
        s[h] = (uint32_t)(i + 1);
    }
    free(t->slots);
    t->slots = s;
    t->nslots = ns;
    return true;
}

static int on_path(void *ctx, const ltl_json_event *ev)
{
    struct path_table *t = ctx;
    uint64_t h = fnv(ev->wildcard, ev->wildcard_len);
    if ((t->n + 1) * 2 > t->nslots && !table_grow(t))
        goto nomem;
    size_t i = (size_t)h & (t->nslots - 1);
    while (t->slots[i]) {
        struct path_count *c = &t->items[t->slots[i] - 1];
        if (c->hash == h && c->len == ev->wildcard_len &&
            memcmp(c->path, ev->wildcard, c->len) == 0) {
            c->count++;
            return 0;
        }
        i = (i + 1) & (t->nslots - 1);
    }
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 256;
        struct path_count *it = realloc(t->items, cap * sizeof(*it));
        if (!it)
            goto nomem;
        t->items = it;
        t->cap = cap;
    }
    char *copy = malloc(ev->wildcard_len + 1);
    if (!copy)
        goto nomem;
    memcpy(copy, ev->wildcard, ev->wildcard_len + 1);
    t->items[t->n] = (struct path_count){copy, ev->wildcard_len, 1, h};
    t->slots[i] = (uint32_t)++t->n;
    return 0;
nomem:
    t->nomem = true;
    return LTL_ENOMEM;
}

/* ---- one input, one thread ------------------------------------------------------------ */

/* Feed an input (after `prefix`, bytes already read) through parser p (flattener, event
 * parser) or unflattener u. Returns an exit code. */
static int pump(struct run *r, struct input *in, ltl_json_parser *p, ltl_json_unflattener *u,
                const char *prefix, size_t prefix_len)
{
    int rc = LTL_OK;
    if (prefix_len)
        rc = p ? ltl_json_parser_feed(p, prefix, prefix_len)
               : ltl_json_unflattener_feed(u, prefix, prefix_len);
    while (rc == LTL_OK && !in->eof) {
        ssize_t n = read_some(r, in, in->buf, READ_SIZE);
        if (n < 0)
            return EXIT_IO;
        if (n == 0)
            break;
        rc = p ? ltl_json_parser_feed(p, in->buf, (size_t)n)
               : ltl_json_unflattener_feed(u, in->buf, (size_t)n);
    }
    if (cli_interrupted)
        return EXIT_INTERRUPTED;
    if (rc == LTL_OK)
        rc = p ? ltl_json_parser_finish(p) : ltl_json_unflattener_finish(u);
    if (rc == LTL_OK)
        return EXIT_OK;
    if (r->out_failed)
        return cli_out_fail(r->cli);
    const ltl_json_error *e = p ? ltl_json_parser_error(p) : ltl_json_unflattener_error(u);
    if (rc == LTL_ENOMEM)
        return cli_fail(r->cli, EXIT_FAILURE_, "%s: out of memory", r->name);
    report(r, e, 0, "");
    return rc == LTL_EPARSE ? EXIT_INPUT : cli_exit_code(rc);
}

static void json_options(const struct run *r, ltl_json_options *jo, int mode)
{
    ltl_json_options_init(jo);
    jo->mode = mode;
    jo->max_depth = r->max_depth;
    if (r->keep_going) {
        jo->flags |= LTL_JSON_KEEP_GOING;
        jo->on_error = on_bad_line;
        jo->error_ctx = (void *)r;
    }
}

static int flatten_single(struct run *r, struct input *in, const char *prefix, size_t prefix_len,
                          struct path_table *paths)
{
    ltl_json_options jo;
    json_options(r, &jo, r->mode);
    ltl_json_parser *p = NULL;
    ltl_json_unflattener *u = NULL;
    int rc;
    if (r->unflatten) {
        rc = ltl_json_unflattener_new(&u, r->format_given ? r->format : 0, write_out, r);
    } else if (r->paths) {
        jo.flags |= LTL_JSON_EMIT_WILDCARD;
        rc = ltl_json_parser_new(&p, &jo, on_path, paths);
    } else {
        rc = ltl_json_flattener_new(&p, r->format, &jo, write_out, r);
    }
    if (rc)
        return cli_fail(r->cli, EXIT_FAILURE_, "cannot start: %s", ltl_strerror(rc));
    int code = pump(r, in, p, u, prefix, prefix_len);
    if (paths && paths->nomem && code != EXIT_OK)
        code = cli_fail(r->cli, EXIT_FAILURE_, "out of memory");
    ltl_json_parser_free(p);
    ltl_json_unflattener_free(u);
    return code;
}

/* ---- JSON Lines on several threads --------------------------------------------------- */

enum { JOB_FREE, JOB_QUEUED, JOB_RUNNING, JOB_DONE };

struct bad_line {
    ltl_json_error err;
};

struct job {
    int state;
    char *in;
    size_t in_len, in_cap;
    char *out;
    size_t out_len, out_cap;
    struct bad_line *bad;
    size_t nbad, bad_cap;
    uint64_t lines; /* newlines in the job */
    int rc;         /* a failure that stops everything */
    ltl_json_error err;
};

struct pool {
    struct run *r;
    pthread_mutex_t mu;
    pthread_cond_t work, done;
    struct job *jobs;
    size_t njobs;
    uint64_t next_run; /* next job (by sequence) a worker takes */
    uint64_t queued;   /* jobs handed out so far */
    bool stop;
};

struct worker {
    struct pool *pool;
    struct job *job;
    ltl_json_parser *p;
    pthread_t thread;
    bool started;
};

static int job_write(void *ctx, const void *data, size_t len)
{
    struct worker *w = ctx;
    struct job *j = w->job;
    if (j->out_cap - j->out_len < len) {
        size_t cap = j->out_cap ? j->out_cap : (1u << 20);
        while (cap - j->out_len < len)
            cap *= 2;
        char *o = realloc(j->out, cap);
        if (!o)
            return LTL_ENOMEM;
        j->out = o;
        j->out_cap = cap;
    }
    memcpy(j->out + j->out_len, data, len);
    j->out_len += len;
    return LTL_OK;
}

static int job_bad_line(void *ctx, const ltl_json_error *err)
{
    struct worker *w = ctx;
    struct job *j = w->job;
    if (j->nbad == j->bad_cap) {
        size_t cap = j->bad_cap ? j->bad_cap * 2 : 16;
        struct bad_line *b = realloc(j->bad, cap * sizeof(*b));
        if (!b)
            return LTL_ENOMEM;
        j->bad = b;
        j->bad_cap = cap;
    }
    j->bad[j->nbad++].err = *err;
    return 0;
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    struct pool *pl = w->pool;
    pthread_mutex_lock(&pl->mu);
    for (;;) {
        while (!pl->stop && pl->next_run == pl->queued)
            pthread_cond_wait(&pl->work, &pl->mu);
        if (pl->stop)
            break;
        struct job *j = &pl->jobs[pl->next_run++ % pl->njobs];
        j->state = JOB_RUNNING;
        pthread_mutex_unlock(&pl->mu);

        w->job = j;
        j->out_len = 0;
        j->nbad = 0;
        j->rc = LTL_OK;
        uint64_t lines = 0;
        for (const char *s = j->in, *e = j->in + j->in_len;
             (s = memchr(s, '\n', (size_t)(e - s))) != NULL; s++)
            lines++;
        j->lines = lines;
        ltl_json_parser_reset(w->p);
        int rc = ltl_json_parser_feed(w->p, j->in, j->in_len);
        if (!rc)
            rc = ltl_json_parser_finish(w->p);
        if (rc) {
            j->rc = rc;
            j->err = *ltl_json_parser_error(w->p);
        }

        pthread_mutex_lock(&pl->mu);
        j->state = JOB_DONE;
        pthread_cond_broadcast(&pl->done);
    }
    pthread_mutex_unlock(&pl->mu);
    return NULL;
}

/* Move whole lines of in->buf reading into j (the rest of the last line stays in carry). */
static int fill_job(struct run *r, struct input *in, struct job *j, char **carry, size_t *carry_len,
                    size_t *carry_cap)
{
    /* the job takes the carry, then reads until it holds JOB_SIZE bytes and a newline */
    if (j->in_cap < JOB_SIZE + *carry_len) {
        size_t cap = JOB_SIZE + *carry_len;
        char *b = realloc(j->in, cap);
        if (!b)
            return cli_fail(r->cli, EXIT_FAILURE_, "out of memory");
        j->in = b;
        j->in_cap = cap;
    }
    memcpy(j->in, *carry, *carry_len);
    j->in_len = *carry_len;
    *carry_len = 0;
    for (;;) {
        while (j->in_len < JOB_SIZE && !in->eof) {
            ssize_t n = read_some(r, in, j->in + j->in_len, j->in_cap - j->in_len);
            if (n < 0)
                return EXIT_IO;
            j->in_len += (size_t)n;
        }
        if (in->eof)
            return EXIT_OK;
        char *nl = NULL;
        for (size_t i = j->in_len; i > 0; i--)
            if (j->in[i - 1] == '\n') {
                nl = j->in + i - 1;
                break;
            }
        if (nl) {
            size_t keep = (size_t)(nl + 1 - j->in), rest = j->in_len - keep;
            if (*carry_cap < rest) {
                char *c = realloc(*carry, rest);
                if (!c)
                    return cli_fail(r->cli, EXIT_FAILURE_, "out of memory");
                *carry = c;
                *carry_cap = rest;
            }
            memcpy(*carry, nl + 1, rest);
            *carry_len = rest;
            j->in_len = keep;
            return EXIT_OK;
        }
        /* one line longer than a job: grow and read on */
        size_t cap = j->in_cap * 2;
        char *b = realloc(j->in, cap);
        if (!b)
            return cli_fail(r->cli, EXIT_FAILURE_, "out of memory");
        j->in = b;
        j->in_cap = cap;
    }
}

/* After a failed write of stdout: its exit code, or -1 (stop, exit 0) when
 * the reader went away. */
static int stopped_writing(struct run *r)
{
    int code = cli_out_fail(r->cli);
    return code == EXIT_OK ? -1 : code;
}

/* Write a finished job; returns an exit code (EXIT_OK to go on). */
static int drain_job(struct run *r, struct job *j)
{
    /* each job's flattener separates its own documents; separate the jobs' too */
    if (j->out_len && r->file_has_output &&
        (r->format == LTL_JSON_FLAT_LINES || r->format == LTL_JSON_FLAT_TSV) &&
        write_out(r, "\n", 1) != LTL_OK)
        return stopped_writing(r);
    if (j->out_len && write_out(r, j->out, j->out_len) != LTL_OK)
        return stopped_writing(r);
    for (size_t i = 0; i < j->nbad; i++) {
        r->bad_lines++;
        report(r, &j->bad[i].err, r->line_base, " (line skipped)");
    }
    if (j->rc) {
        if (j->rc == LTL_ENOMEM)
            return cli_fail(r->cli, EXIT_FAILURE_, "out of memory");
        report(r, &j->err, r->line_base, "");
        return EXIT_INPUT;
    }
    r->line_base += j->lines;
    return EXIT_OK;
}

static int flatten_parallel(struct run *r, struct input *in, const char *prefix, size_t prefix_len)
{
    struct pool pl = {.r = r};
    struct worker *ws = calloc(r->jobs, sizeof(*ws));
    pl.njobs = (size_t)r->jobs + 2;
    pl.jobs = calloc(pl.njobs, sizeof(*pl.jobs));
    char *carry = NULL;
    size_t carry_len = 0, carry_cap = 0;
    int code = EXIT_OK;
    if (!ws || !pl.jobs) {
        free(ws);
        free(pl.jobs);
        return cli_fail(r->cli, EXIT_FAILURE_, "out of memory");
    }
    pthread_mutex_init(&pl.mu, NULL);
    pthread_cond_init(&pl.work, NULL);
    pthread_cond_init(&pl.done, NULL);
    if (prefix_len) {
        carry = malloc(prefix_len);
        if (!carry) {
            code = cli_fail(r->cli, EXIT_FAILURE_, "out of memory");
            goto out;
        }
        memcpy(carry, prefix, prefix_len);
        carry_len = carry_cap = prefix_len;
    }
    for (unsigned i = 0; i < r->jobs; i++) {
        ltl_json_options jo;
        json_options(r, &jo, LTL_JSON_MODE_LINES);
        jo.on_error = job_bad_line;
        jo.error_ctx = &ws[i];
        ws[i].pool = &pl;
        if (ltl_json_flattener_new(&ws[i].p, r->format, &jo, job_write, &ws[i]) ||
            pthread_create(&ws[i].thread, NULL, worker_main, &ws[i]) != 0) {
            code = cli_fail(r->cli, EXIT_FAILURE_, "cannot start worker threads");
            goto out;
        }
        ws[i].started = true;
    }

    uint64_t written = 0;
    bool input_done = false;
    pthread_mutex_lock(&pl.mu);
    for (;;) {
        struct job *next = &pl.jobs[written % pl.njobs];
        if (written < pl.queued && next->state == JOB_DONE) {
            pthread_mutex_unlock(&pl.mu);
            code = drain_job(r, next);
            pthread_mutex_lock(&pl.mu);
            next->state = JOB_FREE;
            written++;
            if (code) {
                if (code < 0)
                    code = EXIT_OK; /* the reader went away */
                break;
            }
            continue;
        }
        struct job *fill = &pl.jobs[pl.queued % pl.njobs];
        if (!input_done && fill->state == JOB_FREE) {
            pthread_mutex_unlock(&pl.mu);
            code = fill_job(r, in, fill, &carry, &carry_len, &carry_cap);
            pthread_mutex_lock(&pl.mu);
            if (code)
                break;
            if (in->eof || cli_interrupted)
                input_done = true;
            if (fill->in_len) {
                fill->state = JOB_QUEUED;
                pl.queued++;
                pthread_cond_signal(&pl.work);
            }
            continue;
        }
        if (input_done && written == pl.queued)
            break;
        pthread_cond_wait(&pl.done, &pl.mu);
    }
    pl.stop = true;
    pthread_cond_broadcast(&pl.work);
    pthread_mutex_unlock(&pl.mu);
    if (cli_interrupted && code == EXIT_OK)
        code = EXIT_INTERRUPTED;
out:
    for (unsigned i = 0; i < r->jobs; i++) {
        if (ws[i].started) {
            pthread_mutex_lock(&pl.mu);
            pl.stop = true;
            pthread_cond_broadcast(&pl.work);
            pthread_mutex_unlock(&pl.mu);
            pthread_join(ws[i].thread, NULL);
        }
        ltl_json_parser_free(ws[i].p);
    }
    for (size_t i = 0; i < pl.njobs; i++) {
        free(pl.jobs[i].in);
        free(pl.jobs[i].out);
        free(pl.jobs[i].bad);
    }
    free(pl.jobs);
    free(ws);
    free(carry);
    pthread_cond_destroy(&pl.work);
    pthread_cond_destroy(&pl.done);
    pthread_mutex_destroy(&pl.mu);
    return code;
}

/* AUTO with --jobs: JSON Lines when the first line is a whole JSON value and more follows. */
static bool looks_like_lines(const char *buf, size_t len)
{
    const char *nl = memchr(buf, '\n', len);
    if (!nl)
        return false;
    ltl_json_options jo;
    ltl_json_options_init(&jo);
    jo.mode = LTL_JSON_MODE_DOCUMENT;
    if (ltl_json_parse(buf, (size_t)(nl - buf), &jo, NULL, NULL, NULL) != LTL_OK)
        return false;
    for (const char *s = nl; s < buf + len; s++)
        if (*s != ' ' && *s != '\t' && *s != '\r' && *s != '\n')
            return true;
    return false;
}

static int flatten_input(struct run *r, const char *path, struct path_table *paths, char *buf)
{
    struct input in = {.buf = buf};
    int code = open_input(r, &in, path);
    if (code)
        return code;
    r->file_has_output = false;
    r->line_base = 0;
    bool parallel = r->jobs > 1 && !r->unflatten && !r->paths && r->format != LTL_JSON_FLAT_GRON &&
                    r->mode != LTL_JSON_MODE_DOCUMENT && r->mode != LTL_JSON_MODE_STREAM;
    size_t got = 0;
    if (parallel && r->mode == LTL_JSON_MODE_AUTO) {
        /* peek at the first block to see whether this is JSON Lines */
        while (got < READ_SIZE && !in.eof) {
            ssize_t n = read_some(r, &in, buf + got, READ_SIZE - got);
            if (n < 0) {
                close_input(&in);
                return EXIT_IO;
            }
            got += (size_t)n;
        }
        parallel = looks_like_lines(buf, got) || (in.eof && got == 0);
        if (!parallel && r->cli->verbosity > 0)
            cli_note(r->cli, "%s is not JSON Lines: flattening on one thread", r->name);
    }
    if (parallel) {
        /* the peeked bytes move into the first job through the carry */
        code = flatten_parallel(r, &in, buf, got);
    } else {
        /* flatten_single reads into buf: hand it the peeked bytes from a copy */
        char *prefix = NULL;
        if (got && !(prefix = malloc(got)))
            code = cli_fail(r->cli, EXIT_FAILURE_, "out of memory");
        else {
            if (got)
                memcpy(prefix, buf, got);
            code = flatten_single(r, &in, prefix, got, paths);
        }
        free(prefix);
    }
    progress_draw(&r->prog, true);
    close_input(&in);
    return code;
}

static int flatten_run(struct cli *cli, int argc, char **argv)
{
    struct run r = {
        .cli = cli, .format = LTL_JSON_FLAT_LINES, .mode = LTL_JSON_MODE_AUTO, .jobs = 1};
    struct cli_args a = {argc, argv, 1, NULL, false};
    const char *arg;
    const char **files = calloc((size_t)argc + 1, sizeof(*files));
    size_t nfiles = 0;
    int code = EXIT_OK, id;
    if (!files)
        return cli_fail(cli, EXIT_FAILURE_, "out of memory");
    while ((id = cli_next(cli, &a, flatten_opts, &arg)) != CLI_END) {
        uint64_t v;
        switch (id) {
        case CLI_ERROR:
            code = EXIT_USAGE;
            goto out;
        case CLI_HELP:
            cli_usage(&cmd_flatten);
            goto out;
        case CLI_POSITIONAL:
            files[nfiles++] = arg;
            break;
        case O_FORMAT:
            r.format_given = true;
            if (strcmp(arg, "lines") == 0)
                r.format = LTL_JSON_FLAT_LINES;
            else if (strcmp(arg, "json") == 0)
                r.format = LTL_JSON_FLAT_JSON;
            else if (strcmp(arg, "tsv") == 0)
                r.format = LTL_JSON_FLAT_TSV;
            else if (strcmp(arg, "gron") == 0)
                r.format = LTL_JSON_FLAT_GRON;
            else {
                code = cli_usage_error(cli, "--format: '%s' is not lines, json, tsv or gron", arg);
                goto out;
            }
            break;
        case O_UNFLATTEN:
            r.unflatten = true;
            break;
        case O_PATHS:
            r.paths = true;
            break;
        case O_LINES:
            r.mode = LTL_JSON_MODE_LINES;
            break;
        case O_DOCUMENT:
            r.mode = LTL_JSON_MODE_DOCUMENT;
            break;
        case O_KEEP:
            r.keep_going = true;
            break;
        case O_JOBS:
            if (!cli_parse_u64(cli, "--jobs", arg, &v)) {
                code = EXIT_USAGE;
                goto out;
            }
            if (v == 0) {
                long n = sysconf(_SC_NPROCESSORS_ONLN);
                v = n > 0 ? (uint64_t)n : 1;
            }
            r.jobs = v > 256 ? 256 : (unsigned)v;
            break;
        case O_DEPTH:
            if (!cli_parse_u64(cli, "--max-depth", arg, &v)) {
                code = EXIT_USAGE;
                goto out;
            }
            if (v == 0 || v > 1000000) {
                code = cli_usage_error(cli, "--max-depth: between 1 and 1000000");
                goto out;
            }
            r.max_depth = (unsigned)v;
            break;
        default:
            break;
        }
    }
    if (r.unflatten + r.paths > 1) {
        code = cli_usage_error(cli, "--unflatten and --paths do not go together");
        goto out;
    }
    if (r.keep_going && r.mode == LTL_JSON_MODE_DOCUMENT) {
        code = cli_usage_error(cli, "--keep-going needs JSON Lines, not --document");
        goto out;
    }
    r.prog.enabled = isatty(STDERR_FILENO) && cli->verbosity >= 0;

    struct path_table paths = {0};
    char *buf = malloc(READ_SIZE);
    if (!buf) {
        code = cli_fail(cli, EXIT_FAILURE_, "out of memory");
        goto out;
    }
    if (nfiles == 0)
        files[nfiles++] = "-";
    for (size_t i = 0; i < nfiles && code == EXIT_OK && !cli_interrupted; i++)
        code = flatten_input(&r, files[i], r.paths ? &paths : NULL, buf);
    free(buf);
    if (r.paths) {
        for (size_t i = 0; i < paths.n && code == EXIT_OK; i++) {
            char count[32];
            int n = snprintf(count, sizeof(count), "\t%llu\n",
                             (unsigned long long)paths.items[i].count);
            bool ok = paths.items[i].len ? cli_write(paths.items[i].path, paths.items[i].len)
                                         : cli_write(".", 1);
            if (!ok || !cli_write(count, (size_t)n)) {
                code = cli_out_fail(cli);
                break;
            }
        }
        for (size_t i = 0; i < paths.n; i++)
            free(paths.items[i].path);
        free(paths.items);
        free(paths.slots);
    }
    if (code == EXIT_OK && r.bad_lines)
        code = cli_fail(cli, EXIT_INPUT, "%llu bad line%s skipped", (unsigned long long)r.bad_lines,
                        r.bad_lines == 1 ? "" : "s");
    if (code == EXIT_OK && cli_interrupted)
        code = EXIT_INTERRUPTED;
out:
    free(files);
    return code;
}

const struct cli_command cmd_flatten = {
    "flatten", flatten_run,
    "JSON to 'path = value' lines (or json, tsv, gron) and back; --paths; --jobs", flatten_usage};
