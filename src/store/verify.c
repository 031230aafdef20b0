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
    uint64_t log_end; /* records in the log (tree_size may be fewer: a short index) */
    const ltl_verify_options *opts;
    _Atomic uint64_t bytes_done;
    uint64_t bytes_total;
    pthread_mutex_t mu; /* problem, counters */
    struct problem problem;
    uint64_t records;
    uint64_t bytes;
    uint64_t unhashed; /* records past the end of the hash index */
    struct ltl__durable durable;
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
    uint64_t tail_off, tail_bytes; /* the last segment's crash tail, if any */
    uint64_t nlost, lost_seq[16];  /* lost-record markers met (the first seqs) */
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
    unsigned char want[LTL__HASH_SIZE], have[LTL__HASH_SIZE];
    int rc = LTL_OK;
    if (b->kind == LTL_KIND_LOST) {
        /* a record repair could not save: its leaf is checked where the marker kept it */
        if (j->nlost < sizeof(j->lost_seq) / sizeof(j->lost_seq[0]))
            j->lost_seq[j->nlost] = b->seq;
        j->nlost++;
        if (b->seq >= j->run->tree_size || !ltl__lost_leaf(b, want))
            return LTL_OK;
    } else if (b->seq >= j->run->tree_size) {
        return LTL_OK; /* beyond the index (a writer is appending): counted by the caller */
    } else {
        rc = ltl__hash_leaf(want, body, len);
    }
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

/* Where the non-zero bytes after `from` end (== from when there are none). */
static int garbage_end(struct seg_job *j, uint64_t from, uint64_t *first, uint64_t *out)
{
    struct ltl_db *db = j->run->db;
    struct ltl__segment *seg = j->seg;
    unsigned char buf[65536];
    *first = *out = from;
    for (uint64_t off = from; off < seg->file_size;) {
        size_t n =
            seg->file_size - off < sizeof(buf) ? (size_t)(seg->file_size - off) : sizeof(buf);
        ssize_t got = ltl__io_pread_full(db->io, seg->fd, buf, n, (off_t)off);
        if (got < 0)
            return ltl__err_sys(errno, "read %s", seg->path);
        for (ssize_t i = 0; i < got; i++)
            if (buf[i]) {
                if (*out == from)
                    *first = off + (uint64_t)i;
                *out = off + (uint64_t)i + 1;
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
    uint64_t first = 0, garbage = 0;
    if ((rc = garbage_end(j, end.off, &first, &garbage)))
        return rc;
    bool clean = (end.stop == LTL__FRAME_OK || end.stop == LTL__FRAME_END) && garbage == end.off;
    const struct ltl__durable *d = &j->run->durable;
    if (j->last) {
        /* The tail: what a writer recorded as written must all be there; beyond that
         * point, a torn frame or stray bytes are the unsynced tail of a crash. */
        bool below = d->known && (d->seg_base > j->seg->base ||
                                  (d->seg_base == j->seg->base && d->off > end.off));
        if (below) {
            if (end.stop == LTL__FRAME_OK || end.stop == LTL__FRAME_END)
                problem_set(&j->problem, end.next_seq, j->seg->name, end.off,
                            "the data ends at seq %" PRIu64 " (offset %" PRIu64
                            "), but the log was written up to offset %" PRIu64 " (seq %" PRIu64
                            "): records were removed or zeroed",
                            end.next_seq, end.off, d->off, d->next_seq);
            else
                problem_set(&j->problem, end.next_seq, j->seg->name, end.off,
                            "%s at seq %" PRIu64 ", below the point the log was written up to "
                            "(offset %" PRIu64 "): damage, not a torn tail",
                            ltl__frame_status_name(end.stop), end.next_seq, d->off);
            return LTL_OK;
        }
        if (!clean) {
            j->tail_off = end.off;
            j->tail_bytes = garbage - end.off;
        }
        return LTL_OK;
    }
    if (end.stop != LTL__FRAME_END && end.stop != LTL__FRAME_OK) {
        problem_set(&j->problem, end.next_seq, j->seg->name, end.off, "%s at seq %" PRIu64,
                    ltl__frame_status_name(end.stop), end.next_seq);
        return LTL_OK;
    }
    if (end.next_seq != j->to_seq) {
        problem_set(&j->problem, end.next_seq, j->seg->name, end.off,
                    "the segment ends at seq %" PRIu64 " but the next one starts at %" PRIu64,
                    end.next_seq, j->to_seq);
        return LTL_OK;
    }
    if (!clean)
        problem_set(&j->problem, end.next_seq, j->seg->name, first,
                    "bytes after the end of the data (at offset %" PRIu64 ")", first);
    return LTL_OK;
}

/* Every inner node of the index, recomputed from the (checked) leaves, from
 * leaf `from` on; the nodes completing before `from` are taken as stored. */
static int check_inner_nodes(struct verify_run *run, uint64_t from)
{
    uint64_t bad;
    int rc = ltl__tree_first_bad_node(run->tree, from, run->tree_size, &bad);
    if (rc == LTL_OK && bad != LTL__NO_SEQ)
        problem_set(&run->problem, bad, "", 0,
                    "%s: the node completed by leaf %" PRIu64 " is not the hash of its children",
                    LTL__TREE_FILE, bad);
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
    if (cp.size > run->tree_size && cp.size <= run->log_end) {
        /* no record is bad: name none */
        problem_set(&run->problem, LTL__NO_SEQ - 1, "", 0,
                    "checkpoint %" PRIu64 " covers %" PRIu64
                    " records; the log has them all (%" PRIu64
                    ") but the hash index log/%s holds only %" PRIu64
                    " leaves: the index is short, not the log (a writer rebuilds it from the "
                    "log: append, or 'ltl checkpoint'; then verify again)",
                    index, cp.size, run->log_end, LTL__TREE_FILE, run->tree_size);
        return 1;
    }
    if (cp.size > run->tree_size) {
        problem_set(&run->problem, run->tree_size, "checkpoints", off,
                    "checkpoint %" PRIu64 " covers %" PRIu64 " records but the log has %" PRIu64
                    ": records were cut",
                    index, cp.size, run->log_end);
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
    /* another log's checkpoint is not a rewritten history: say whose it is first
     * (ltl_verify() refused a text that does not parse) */
    bool ours = false;
    int rc = ltl__checkpoint_parse(&old, run->opts->against, run->opts->against_len, NULL);
    if (rc == LTL_OK && (rc = ltl__origin_known(db, old.origin, &ours)) == LTL_OK && !ours) {
        char origin[LTL__NAME_MAX + 1];
        ltl__origin(db, origin, sizeof(origin));
        out->against_size = old.size;
        problem_set(&run->problem, LTL__NO_SEQ - 1, "", 0,
                    "the checkpoint is of another log: its origin is '%s', this store's is "
                    "'%s'",
                    old.origin, origin);
        return LTL_OK;
    }
    if (rc)
        return rc;
    rc = ltl__checkpoint_parse(&old, run->opts->against, run->opts->against_len, k);
    if (rc == LTL_EVERIFY && k && !old.has_signatures)
        rc = LTL_OK; /* an unsigned checkpoint: compared, reported as unsigned */
    if (rc) {
        problem_set(&run->problem, 0, "", 0, "the checkpoint to check against: %s",
                    ltl__err_current());
        return LTL_OK;
    }
    out->against_size = old.size;
    out->against_signed = old.verified;
    if (old.size > run->tree_size && old.size <= run->log_end) {
        problem_set(&run->problem, LTL__NO_SEQ - 1, "", 0,
                    "the checkpoint covers %" PRIu64 " records; the log has them all (%" PRIu64
                    ") but the hash index log/%s holds only %" PRIu64
                    " leaves: the index is short, not the log (a writer rebuilds it from the "
                    "log: append, or 'ltl checkpoint'; then verify again)",
                    old.size, run->log_end, LTL__TREE_FILE, run->tree_size);
        return LTL_OK;
    }
    if (old.size > run->tree_size) {
        problem_set(&run->problem, run->tree_size, "", 0,
                    "the store holds %" PRIu64 " records but the checkpoint covers %" PRIu64
                    ": the log was cut or rolled back",
                    run->log_end, old.size);
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

/* The next seq after the last valid frame of the last segment, judging nothing. */
static int log_end_raw(struct ltl_db *db, uint64_t *out)
{
    *out = 0;
    size_t n = ltl__segs_count(db);
    if (n == 0)
        return LTL_OK;
    struct ltl__segment *last = ltl__segs_at(db, n - 1);
    int rc = ltl__seg_scan_raw(db, last, LTL__NO_SEQ);
    if (rc == LTL_OK)
        *out = ltl__seg_scanned(db, last);
    return rc;
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
    /* The durable point first: every frame below it was there before it was recorded. */
    if ((rc = ltl__durable_point(db, &run.durable)))
        goto out;
    rc = ltl__log_end(db, &end);
    if (rc == LTL_ECORRUPT) {
        /* damage at the end of the log: the walk below finds it and says where */
        ltl__err_restate();
        rc = log_end_raw(db, &end);
    }
    if (rc || (rc = ltl__tree_for_reading(db, &run.tree)))
        goto out;
    if (db->writer && (rc = ltl__writer_flush_index(db)))
        goto out;
    if (!db->writer && (rc = ltl__tree_refresh(run.tree)))
        goto out;
    run.tree_size = ltl__tree_size(run.tree);
    run.log_end = end;
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
        ltl__err_restate(); /* no checkpoint yet: verify from 0 */
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
                if ((rc = ltl__seg_scan_raw(db, seg, LTL__NO_SEQ)))
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
        /* jobs are in segment order, so the first lost seqs come first */
        for (uint64_t k = 0; k < jobs[i].nlost && k < 16; k++)
            if (out->lost + k < 16)
                out->lost_seq[out->lost + k] = jobs[i].lost_seq[k];
        out->lost += jobs[i].nlost;
        if (jobs[i].tail_bytes) {
            out->tail_bytes = jobs[i].tail_bytes;
            out->tail_offset = jobs[i].tail_off;
            snprintf(out->tail_segment, sizeof(out->tail_segment), "%s", jobs[i].seg->name);
        }
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
