/* SPDX-License-Identifier: MIT */
/*
 * verify.c — checking that the store is what its checkpoints say.
 *
 * Full: every frame of every segment (checksums, fields, seq and time
 * order, nothing but zeros after the data), every leaf of the hash index
 * recomputed from its record, every inner node recomputed from its
 * children, and every checkpoint's signature and root. Segments are
 * checked in parallel by a worker pool; the inner nodes in one pass after.
 * Tail: the same from the last checkpoint on, trusting what that checkpoint
 * covers (its root must still be what the index holds). Against: that the
 * store extends a checkpoint kept elsewhere (a consistency proof).
 *
 * The first problem found (lowest seq) is reported with its seq, segment
 * and byte offset; verify returns LTL_EVERIFY for it.
 */
#include "store/store.h"
#include "trust/trust.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <unistd.h>

#define LEAF_CHUNK 16384 /* tree entries read at a time */

struct problem {
    bool found;
    uint64_t seq; /* the first record concerned, or LTL__NO_SEQ */
    char segment[32];
    uint64_t offset;
    char what[512];
};

/* Keep the problem with the lowest seq. */
static void problem_set(struct problem *p, uint64_t seq, const char *segment, uint64_t offset,
                        const char *fmt, ...) LTL__PRINTF(5, 6);
static void problem_set(struct problem *p, uint64_t seq, const char *segment, uint64_t offset,
                        const char *fmt, ...)
{
    if (p->found && p->seq <= seq)
        return;
    p->found = true;
    p->seq = seq;
    snprintf(p->segment, sizeof(p->segment), "%s", segment ? segment : "");
    p->offset = offset;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->what, sizeof(p->what), fmt, ap);
    va_end(ap);
}

struct verify_run {
    struct ltl_db *db;
    struct ltl__tree *tree;
    uint64_t tree_size;
    const ltl_verify_options *opts;
    _Atomic uint64_t bytes_done;
    uint64_t bytes_total;
    pthread_mutex_t mu; /* problem, counters */
    struct problem problem;
    uint64_t records;
    uint64_t bytes;
    uint64_t unhashed; /* records past the end of the hash index */
};

struct seg_job {
    struct verify_run *run;
    struct ltl__segment *seg;
    uint64_t from_seq, from_off;
    uint64_t to_seq; /* the next segment's base, or LTL__NO_SEQ for the last */
    bool last;
    /* a window of stored tree entries */
    unsigned char (*entries)[LTL__HASH_SIZE];
    uint64_t first_entry, nentries;
    uint64_t records, bytes;
    struct problem problem;
};

/* The stored leaf hash of leaf k (through the job's window of entries). */
static int stored_leaf(struct seg_job *j, uint64_t k, unsigned char out[LTL__HASH_SIZE])
{
    uint64_t pos = ltl__tree_node_pos(0, k);
    if (pos < j->first_entry || pos >= j->first_entry + j->nentries) {
        uint64_t total = ltl__tree_entries(j->run->tree_size);
        uint64_t n = total - pos < LEAF_CHUNK ? total - pos : LEAF_CHUNK;
        int rc = ltl__tree_read_entries(j->entries, j->run->tree, pos, (size_t)n);
        if (rc)
            return rc;
        j->first_entry = pos;
        j->nentries = n;
    }
    memcpy(out, j->entries[pos - j->first_entry], LTL__HASH_SIZE);
    return LTL_OK;
}

static int check_record(void *vctx, struct ltl__segment *seg, uint64_t off,
                        const struct ltl__body *b, const unsigned char *body, size_t len)
{
    struct seg_job *j = vctx;
    j->records++;
    j->bytes += ltl__frame_size(len);
    atomic_fetch_add(&j->run->bytes_done, ltl__frame_size(len));
    if (b->seq >= j->run->tree_size)
        return LTL_OK; /* beyond the index (a writer is appending): counted by the caller */
    unsigned char want[LTL__HASH_SIZE], have[LTL__HASH_SIZE];
    int rc = ltl__hash_leaf(want, body, len);
    if (rc == LTL_OK)
        rc = stored_leaf(j, b->seq, have);
    if (rc)
        return rc;
    if (memcmp(want, have, LTL__HASH_SIZE) != 0) {
        problem_set(&j->problem, b->seq, seg->name, off,
                    "record %" PRIu64 " does not hash to leaf %" PRIu64 " of %s (the record or "
                    "the index was changed)",
                    b->seq, b->seq, LTL__TREE_FILE);
        return 1; /* stop this segment */
    }
    return LTL_OK;
}

/* Nothing but zeros may follow the data of a segment. */
static int zeros_after(struct seg_job *j, uint64_t from, uint64_t next_seq)
{
    struct ltl_db *db = j->run->db;
    struct ltl__segment *seg = j->seg;
    unsigned char buf[65536];
    for (uint64_t off = from; off < seg->file_size;) {
        size_t n =
            seg->file_size - off < sizeof(buf) ? (size_t)(seg->file_size - off) : sizeof(buf);
        ssize_t got = ltl__io_pread_full(db->io, seg->fd, buf, n, (off_t)off);
        if (got < 0)
            return ltl__err_sys(errno, "read %s", seg->path);
        for (ssize_t i = 0; i < got; i++)
            if (buf[i]) {
                problem_set(&j->problem, next_seq, seg->name, off + (uint64_t)i,
                            "bytes after the end of the data (at offset %" PRIu64 ")",
                            off + (uint64_t)i);
                return LTL_OK;
            }
        if (got == 0)
            break;
        off += (uint64_t)got;
    }
    return LTL_OK;
}

static int seg_task(void *arg)
{
    struct seg_job *j = arg;
    struct ltl_db *db = j->run->db;
    int rc = ltl__seg_open_read(db, j->seg);
    if (rc == LTL_ECORRUPT) {
        problem_set(&j->problem, j->from_seq, j->seg->name, 0, "%s", ltl__err_current());
        return LTL_OK;
    }
    if (rc)
        return rc;
    j->entries = ltl__malloc((size_t)LEAF_CHUNK * LTL__HASH_SIZE);
    if (!j->entries)
        return ltl__errf(LTL_ENOMEM, "out of memory");
    struct ltl__walk_end end;
    rc = ltl__frames_walk(db, j->seg, j->from_off, j->from_seq, j->to_seq, check_record, j, &end);
    if (rc == 1) /* a leaf did not match: the problem is noted */
        return LTL_OK;
    if (rc)
        return rc;
    if (end.stop != LTL__FRAME_END && end.stop != LTL__FRAME_OK) {
        problem_set(&j->problem, end.next_seq, j->seg->name, end.off, "%s at seq %" PRIu64,
                    ltl__frame_status_name(end.stop), end.next_seq);
        return LTL_OK;
    }
    if (!j->last && end.next_seq != j->to_seq) {
        problem_set(&j->problem, end.next_seq, j->seg->name, end.off,
                    "the segment ends at seq %" PRIu64 " but the next one starts at %" PRIu64,
                    end.next_seq, j->to_seq);
        return LTL_OK;
    }
    return zeros_after(j, end.off, end.next_seq);
}

/* Every inner node of the index, recomputed from the (checked) leaves, from
 * leaf `from` on; the nodes completing before `from` are taken as stored. */
static int check_inner_nodes(struct verify_run *run, uint64_t from)
{
    struct ltl__frontier f;
    int rc = ltl__tree_frontier(&f, run->tree, from);
    if (rc)
        return rc;
    unsigned char(*stored)[LTL__HASH_SIZE] = ltl__malloc((size_t)LEAF_CHUNK * LTL__HASH_SIZE);
    if (!stored)
        return ltl__errf(LTL_ENOMEM, "out of memory");
    uint64_t e = ltl__tree_entries(from), end = ltl__tree_entries(run->tree_size);
    uint64_t first = e, n = 0;
    for (uint64_t leaf = from; leaf < run->tree_size && rc == LTL_OK; leaf++) {
        /* the entries of this append: the leaf, then its new parents */
        size_t count = 1 + (size_t)__builtin_ctzll(~leaf);
        if (e + count > first + n) {
            first = e;
            n = end - e < LEAF_CHUNK ? end - e : LEAF_CHUNK;
            if ((rc = ltl__tree_read_entries(stored, run->tree, first, (size_t)n)))
                break;
        }
        unsigned char made[64][LTL__HASH_SIZE];
        size_t got;
        if ((rc = ltl__frontier_append(made, &got, &f, stored[e - first])))
            break;
        for (size_t i = 1; i < got; i++)
            if (memcmp(made[i], stored[e - first + i], LTL__HASH_SIZE) != 0) {
                problem_set(&run->problem, leaf, "", 0,
                            "%s: the node completed by leaf %" PRIu64
                            " is not the hash of its children",
                            LTL__TREE_FILE, leaf);
                leaf = run->tree_size; /* stop */
                break;
            }
        e += got;
    }
    ltl__free(stored);
    return rc;
}

struct cp_check {
    struct verify_run *run;
    uint64_t from_index; /* check entries from this one on */
    uint64_t count, signed_ok;
    uint64_t last_size;
    int rc;
    bool seen_signed; /* a signed checkpoint came before this one */
};

static int check_checkpoint(void *vctx, uint64_t index, const char *text, size_t len, uint64_t off)
{
    (void)off;
    struct cp_check *c = vctx;
    struct verify_run *run = c->run;
    struct ltl_db *db = run->db;
    struct ltl__checkpoint cp;
    const struct ltl__check_key *k = db->keys.have_check ? &db->keys.check : NULL;
    int rc = ltl__checkpoint_parse(&cp, text, len, k);
    /* Unsigned checkpoints made before a write key was configured are checked like
     * the others and counted as unsigned; once a signed one has been seen, an unsigned
     * one is a downgrade and fails. */
    if (rc == LTL_EVERIFY && k && !cp.has_signatures && !c->seen_signed)
        rc = LTL_OK;
    c->seen_signed = c->seen_signed || cp.has_signatures;
    if (rc == LTL_EVERIFY || rc == LTL_EPARSE) {
        problem_set(&run->problem, LTL__NO_SEQ - 1, "checkpoints", off,
                    "checkpoint %" PRIu64 ": %s", index, ltl__err_current());
        return 1;
    }
    if (rc)
        return rc;
    if (cp.size < c->last_size) {
        problem_set(&run->problem, LTL__NO_SEQ - 1, "checkpoints", off,
                    "checkpoint %" PRIu64 " (size %" PRIu64
                    ") is smaller than the one before (%" PRIu64 "): the log was rolled back",
                    index, cp.size, c->last_size);
        return 1;
    }
    c->last_size = cp.size;
    if (index < c->from_index)
        return 0;
    c->count++;
    c->signed_ok += cp.verified;
    if (cp.size > run->tree_size) {
        problem_set(&run->problem, run->tree_size, "checkpoints", off,
                    "checkpoint %" PRIu64 " covers %" PRIu64 " records but the log has %" PRIu64
                    ": records were cut",
                    index, cp.size, run->tree_size);
        return 1;
    }
    unsigned char root[LTL__HASH_SIZE];
    if ((rc = ltl__tree_root(root, run->tree, cp.size)))
        return rc;
    if (memcmp(root, cp.root, LTL__HASH_SIZE) != 0) {
        problem_set(&run->problem, LTL__NO_SEQ - 1, "checkpoints", off,
                    "checkpoint %" PRIu64 " (size %" PRIu64
                    "): its root is not the root of the log's first %" PRIu64
                    " records: history was rewritten",
                    index, cp.size, cp.size);
        return 1;
    }
    return 0;
}

static int count_checkpoint(void *vctx, uint64_t index, const char *text, size_t len, uint64_t off)
{
    (void)text;
    (void)len;
    (void)off;
    *(uint64_t *)vctx = index + 1;
    return 0;
}

/* The store extends the checkpoint in opts->against. */
static int check_against(struct verify_run *run, ltl_verify_report *out)
{
    struct ltl_db *db = run->db;
    struct ltl__checkpoint old;
    const struct ltl__check_key *k = db->keys.have_check ? &db->keys.check : NULL;
    int rc = ltl__checkpoint_parse(&old, run->opts->against, run->opts->against_len, k);
    if (rc == LTL_EVERIFY && k && !old.has_signatures)
        rc = LTL_OK; /* an unsigned checkpoint: compared, reported as unsigned */
    if (rc) {
        problem_set(&run->problem, 0, "", 0, "the checkpoint to check against: %s",
                    ltl__err_current());
        return LTL_OK;
    }
    out->against_size = old.size;
    out->against_signed = old.verified;
    if (old.size > run->tree_size) {
        problem_set(&run->problem, run->tree_size, "", 0,
                    "the store holds %" PRIu64 " records but the checkpoint covers %" PRIu64
                    ": the log was cut or rolled back",
                    run->tree_size, old.size);
        return LTL_OK;
    }
    unsigned char cur[LTL__HASH_SIZE];
    struct ltl__proof proof;
    if ((rc = ltl__tree_root(cur, run->tree, run->tree_size)) ||
        (rc = ltl__tree_consistency(&proof, run->tree, old.size, run->tree_size)))
        return rc;
    if (ltl__verify_consistency(old.size, run->tree_size, old.root, cur, proof.hash, proof.count) !=
        LTL_OK)
        problem_set(&run->problem, LTL__NO_SEQ - 1, "", 0,
                    "the store does not extend the checkpoint of size %" PRIu64
                    ": no consistency proof from its root to the store's (history was "
                    "rewritten or forked)",
                    old.size);
    return LTL_OK;
}

int ltl__verify(ltl_verify_report *out, struct ltl_db *db, const ltl_verify_options *opts)
{
    memset(out, 0, sizeof(*out));
    out->bad_seq = UINT64_MAX;
    int64_t started = ltl__mono_ns();
    struct verify_run run = {.db = db, .opts = opts};
    run.problem.seq = LTL__NO_SEQ;
    pthread_mutex_init(&run.mu, NULL);
    struct ltl__pool *pool = NULL;
    struct seg_job *jobs = NULL;
    size_t njobs = 0;
    uint64_t end = 0;
    int rc;
    if ((rc = ltl__log_end(db, &end)) || (rc = ltl__tree_for_reading(db, &run.tree)))
        goto out;
    if (db->writer && (rc = ltl__writer_flush_index(db)))
        goto out;
    if (!db->writer && (rc = ltl__tree_refresh(run.tree)))
        goto out;
    run.tree_size = ltl__tree_size(run.tree);
    out->tree_size = run.tree_size;
    /* An index longer than the log (records dropped, or a frame made invalid): the
     * records the log has are checked all the same, so that the first bad one, which
     * lies before the log's end, is named with its place. */
    uint64_t index_leaves = run.tree_size;
    if (run.tree_size > end)
        run.tree_size = end;

    /* where to start: 0, or (tail) the last checkpoint */
    uint64_t from = 0, cp_count = 0;
    if (opts->mode == LTL_VERIFY_TAIL) {
        ltl__buf text = {0};
        struct ltl__checkpoint cp;
        rc = ltl__checkpoint_find(db, LTL__NO_SEQ, &text, &cp);
        ltl__buf_free(&text);
        if (rc == LTL_OK)
            from = cp.size <= run.tree_size ? cp.size : run.tree_size;
        else if (rc == LTL_EVERIFY) {
            problem_set(&run.problem, LTL__NO_SEQ - 1, "checkpoints", 0, "%s", ltl__err_current());
            rc = LTL_OK;
            goto report;
        } else if (rc != LTL_ENOTFOUND)
            goto out;
        rc = LTL_OK;
        if ((rc = ltl__checkpoints_each(db, count_checkpoint, &cp_count, NULL)))
            goto out;
    }
    out->from_seq = from;

    /* the segments holding [from, end): one task each */
    size_t nseg = ltl__segs_count(db);
    jobs = ltl__calloc(nseg ? nseg : 1, sizeof(*jobs));
    if (!jobs) {
        rc = ltl__errf(LTL_ENOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < nseg; i++) {
        struct ltl__segment *seg = ltl__segs_at(db, i);
        struct ltl__segment *next = i + 1 < nseg ? ltl__segs_at(db, i + 1) : NULL;
        if (next && next->base <= from)
            continue;
        struct seg_job *j = &jobs[njobs++];
        j->run = &run;
        j->seg = seg;
        j->last = next == NULL;
        j->to_seq = next ? next->base : LTL__NO_SEQ;
        j->from_seq = seg->base > from ? seg->base : from;
        j->from_off = LTL__SEG_HEADER_SIZE;
        j->problem.seq = LTL__NO_SEQ;
        if (j->from_seq > seg->base) {
            rc = ltl__seg_locate(db, seg, j->from_seq, &j->from_off);
            if (rc == LTL_ENOTFOUND && j->last && j->from_seq >= end) {
                /* nothing after the checkpoint: check the zeros after the data */
                if ((rc = ltl__seg_scan(db, seg, LTL__NO_SEQ)))
                    goto out;
                j->from_off = seg->scan_off;
            }
            if (rc)
                goto out;
        }
        struct stat st;
        if (db->io->stat(db->io, seg->path, &st) == 0)
            run.bytes_total += (uint64_t)st.st_size;
    }
    out->segments = njobs;
    unsigned threads = opts->threads ? opts->threads : (unsigned)sysconf(_SC_NPROCESSORS_ONLN);
    if (threads > njobs && njobs)
        threads = (unsigned)njobs;
    if ((rc = ltl__pool_new(&pool, threads)))
        goto out;
    for (size_t i = 0; i < njobs; i++)
        if ((rc = ltl__pool_submit(pool, seg_task, &jobs[i])))
            goto out;
    for (;;) {
        rc = ltl__pool_wait(pool, opts->progress ? 200000000 : -1);
        if (opts->progress)
            opts->progress(opts->progress_ctx, atomic_load(&run.bytes_done), run.bytes_total);
        if (rc != LTL_ETIMEOUT)
            break;
        ltl__err_restate(); /* the timeout only paces the progress calls */
    }
    if (rc)
        goto out;
    for (size_t i = 0; i < njobs; i++) {
        run.records += jobs[i].records;
        run.bytes += jobs[i].bytes;
        if (jobs[i].problem.found)
            problem_set(&run.problem, jobs[i].problem.seq, jobs[i].problem.segment,
                        jobs[i].problem.offset, "%s", jobs[i].problem.what);
    }
    if (index_leaves > end)
        problem_set(&run.problem, end, "", 0,
                    "%s holds %" PRIu64 " leaves but the log has %" PRIu64 " records",
                    LTL__TREE_FILE, index_leaves, end);
    if (end > run.tree_size)
        run.unhashed = end - (run.tree_size > from ? run.tree_size : from);

    /* the inner nodes, and the checkpoints' signatures and roots */
    if (!run.problem.found && (rc = check_inner_nodes(&run, from)))
        goto out;
    if (!run.problem.found) {
        struct cp_check c = {
            &run, opts->mode == LTL_VERIFY_TAIL && cp_count ? cp_count - 1 : 0, 0, 0, 0, LTL_OK,
            false};
        rc = ltl__checkpoints_each(db, check_checkpoint, &c, NULL);
        if (rc == 1)
            rc = LTL_OK;
        if (rc == LTL_ECORRUPT) {
            problem_set(&run.problem, LTL__NO_SEQ - 1, "checkpoints", 0, "%s", ltl__err_current());
            rc = LTL_OK;
        }
        if (rc)
            goto out;
        out->checkpoints = c.count;
        out->signed_checkpoints = c.signed_ok;
    }
    if (!run.problem.found && opts->against && (rc = check_against(&run, out)))
        goto out;

    /* the field index, once the log it derives from holds */
    if (!run.problem.found && opts->mode == LTL_VERIFY_FULL) {
        int64_t index_started = ltl__mono_ns();
        rc = ltl__index_verify(db, out);
        out->index_seconds = (double)(ltl__mono_ns() - index_started) / 1e9;
        if (rc && rc != LTL_ECORRUPT)
            goto out;
    }

report:
    out->records = run.records;
    out->bytes = run.bytes;
    out->unhashed = run.unhashed;
    out->ok = !run.problem.found;
    if (run.problem.found) {
        out->bad_seq = run.problem.seq >= LTL__NO_SEQ - 1 ? UINT64_MAX : run.problem.seq;
        snprintf(out->bad_segment, sizeof(out->bad_segment), "%s", run.problem.segment);
        out->bad_offset = run.problem.offset;
        snprintf(out->problem, sizeof(out->problem), "%s", run.problem.what);
        rc = ltl__errf(LTL_EVERIFY, "%s", run.problem.what);
    } else if (out->index_checked && !out->index_ok) {
        ltl__err_restate();
        rc = ltl__errf(LTL_ECORRUPT, "the field index is %s", out->index_problem);
    }
out:
    out->seconds = (double)(ltl__mono_ns() - started) / 1e9;
    ltl__pool_free(pool);
    for (size_t i = 0; i < njobs; i++)
        ltl__free(jobs[i].entries);
    ltl__free(jobs);
    pthread_mutex_destroy(&run.mu);
    return rc;
}
