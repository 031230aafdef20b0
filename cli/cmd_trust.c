/* SPDX-License-Identifier: MIT */
/*
 * cmd_trust.c — the commands that prove what the store holds: checkpoint,
 * verify, proof, check-proof, audit and keygen (docs/TRUST.md).
 */
#include "cli.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Read a whole (small) file, or stdin for "-". NULL after printing why; *code is
 * then the exit code: an input file that cannot be opened or read is an I/O error
 * (6), as for 'ltl import FILE' (docs/EXIT-CODES.md), never a verification failure. */
static char *read_file(struct cli *cli, const char *path, size_t *len, size_t max, int *code)
{
    *code = EXIT_IO;
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (!f) {
        cli_fail(cli, 0, "cannot open %s: %s", path, strerror(errno));
        return NULL;
    }
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap + 1);
    while (buf) {
        if (n == cap) {
            if (cap >= max) {
                cli_fail(cli, 0, "%s is larger than %zu bytes", path, max);
                *code = EXIT_INPUT;
                free(buf);
                buf = NULL;
                break;
            }
            char *nb = realloc(buf, cap * 2 + 1);
            if (!nb) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
            cap *= 2;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0) {
            if (ferror(f)) {
                cli_fail(cli, 0, "cannot read %s: %s", path, strerror(errno));
                free(buf);
                buf = NULL;
            }
            break;
        }
    }
    if (f != stdin)
        fclose(f);
    if (buf) {
        buf[n] = '\0';
        *len = n;
    }
    return buf;
}

static bool is_signed(const char *checkpoint)
{
    return strstr(checkpoint, "\n\n\xe2\x80\x94 ") != NULL; /* a signature line: "— name sig" */
}

/* ---- checkpoint ---------------------------------------------------------- */

static int checkpoint_run(struct cli *cli, int argc, char **argv)
{
    static const struct cli_opt opts[] = {{NULL, 0, false, 0}};
    struct cli_args it = {argc, argv, 1, NULL, false};
    const char *arg;
    int id;
    while ((id = cli_next(cli, &it, opts, &arg)) != CLI_END) {
        if (id == CLI_HELP) {
            cli_usage(&cmd_checkpoint);
            return EXIT_OK;
        }
        if (id == CLI_POSITIONAL)
            return cli_usage_error(cli, "unexpected argument '%s'", arg);
        return EXIT_USAGE;
    }
    ltl_db *db;
    int code = cli_open(cli, &db, LTL_OPEN_CREATE);
    if (code)
        return code;
    char *text = NULL;
    int rc = ltl_checkpoint(&text, db);
    if (rc) {
        code = cli_fail_rc(cli, rc, ltl_errmsg(db), "cannot make a checkpoint");
    } else {
        cli_out_done("the checkpoint was made and stored all the same");
        fputs(text, stdout);
        if (!is_signed(text))
            cli_note(cli, "this checkpoint is unsigned: no write key is configured (make one "
                          "with 'ltl keygen NAME', then 'ltl config set keys.write FILE')");
    }
    ltl_free(text);
    rc = ltl_close(db);
    if (rc && code == EXIT_OK)
        code = cli_fail_rc(cli, rc, NULL, "closing the store");
    return code;
}

const struct cli_command cmd_checkpoint = {
    "checkpoint", checkpoint_run, "append a signed checkpoint of the whole log",
    "usage: ltl checkpoint\n"
    "\n"
    "Sync the log and its hash index, then append a checkpoint (origin, size and\n"
    "Merkle root, as a C2SP signed note) to STORE/checkpoints and print it. It is\n"
    "signed with keys.write; without a write key it is unsigned, and says so.\n"
    "A writer also checkpoints at close and every checkpoint.interval.\n"};

/* ---- verify ---------------------------------------------------------------- */

static void verify_progress(void *ctx, uint64_t done, uint64_t total)
{
    cli_progress_update(ctx, done, total);
}

static void json_string(const char *s)
{
    putchar('"');
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            printf("\\%c", c);
        else if (c < 0x20)
            printf("\\u%04x", c);
        else
            putchar(c);
    }
    putchar('"');
}

static int verify_run(struct cli *cli, int argc, char **argv)
{
    enum { O_TAIL = 1, O_AGAINST, O_JSON, O_THREADS };
    static const struct cli_opt opts[] = {
        {"tail", 0, false, O_TAIL}, {"against", 0, true, O_AGAINST},
        {"json", 0, false, O_JSON}, {"threads", 'j', true, O_THREADS},
        {NULL, 0, false, 0},
    };
    ltl_verify_options vo;
    ltl_verify_options_init(&vo);
    bool json = false;
    const char *against = NULL;
    struct cli_args it = {argc, argv, 1, NULL, false};
    const char *arg;
    int id;
    uint64_t threads;
    while ((id = cli_next(cli, &it, opts, &arg)) != CLI_END) {
        switch (id) {
        case O_TAIL:
            vo.mode = LTL_VERIFY_TAIL;
            break;
        case O_AGAINST:
            against = arg;
            break;
        case O_JSON:
            json = true;
            break;
        case O_THREADS:
            if (!cli_parse_u64(cli, "--threads", arg, &threads) || threads > 256)
                return cli_usage_error(cli, "--threads: 0..256");
            vo.threads = (unsigned)threads;
            break;
        case CLI_HELP:
            cli_usage(&cmd_verify);
            return EXIT_OK;
        case CLI_POSITIONAL:
            return cli_usage_error(cli, "unexpected argument '%s'", arg);
        default:
            return EXIT_USAGE;
        }
    }
    char *against_text = NULL;
    size_t against_len = 0;
    int read_code;
    if (against && !(against_text = read_file(cli, against, &against_len, 1 << 20, &read_code)))
        return read_code;
    vo.against = against_text;
    vo.against_len = against_len;
    ltl_db *db;
    int code = cli_open(cli, &db, LTL_OPEN_READONLY);
    if (code) {
        free(against_text);
        return code;
    }
    struct cli_progress prog;
    cli_progress_init(&prog, cli, "verify");
    vo.progress = verify_progress;
    vo.progress_ctx = &prog;
    ltl_verify_report r;
    int rc = ltl_verify(&r, db, &vo);
    cli_progress_end(&prog);
    bool index_damaged = rc == LTL_ECORRUPT && r.ok && r.index_checked && !r.index_ok;
    if (rc != LTL_OK && rc != LTL_EVERIFY && !index_damaged) {
        code = cli_fail_rc(cli, rc, ltl_errmsg(db), "cannot verify");
        goto out;
    }
    /* a check key says whose log this must be; without a checkpoint it signed,
     * nothing here shows that: never a plain ok (exit 0, docs/TRUST.md) */
    const char *unproven = r.ok && r.check_key && r.signed_checkpoints == 0
                               ? "no checkpoint is signed by the check key (keys.check, or "
                                 "that of keys.write), so nothing shows who wrote this log; "
                                 "'ltl checkpoint' with keys.write set signs one"
                               : NULL;
    if (json) {
        printf("{\"ok\":%s,\"mode\":\"%s\",\"records\":%" PRIu64 ",\"bytes\":%" PRIu64
               ",\"from_seq\":%" PRIu64 ",\"segments\":%" PRIu64 ",\"tree_size\":%" PRIu64
               ",\"unhashed\":%" PRIu64 ",\"checkpoints\":%" PRIu64
               ",\"signed_checkpoints\":%" PRIu64 ",\"seconds\":%.3f",
               r.ok ? "true" : "false", vo.mode == LTL_VERIFY_TAIL ? "tail" : "full", r.records,
               r.bytes, r.from_seq, r.segments, r.tree_size, r.unhashed, r.checkpoints,
               r.signed_checkpoints, r.seconds);
        if (against)
            printf(",\"against_size\":%" PRIu64 ",\"against_signed\":%s", r.against_size,
                   r.against_signed ? "true" : "false");
        if (r.lost) {
            printf(",\"lost\":%" PRIu64 ",\"lost_seqs\":[", r.lost);
            for (uint64_t i = 0; i < r.lost && i < 16; i++)
                printf("%s%" PRIu64, i ? "," : "", r.lost_seq[i]);
            printf("]");
        }
        if (r.tail_bytes)
            printf(",\"crash_tail\":{\"segment\":\"%s\",\"offset\":%" PRIu64 ",\"bytes\":%" PRIu64
                   "}",
                   r.tail_segment, r.tail_offset, r.tail_bytes);
        if (unproven) {
            printf(",\"warning\":");
            json_string(unproven);
        }
        if (r.index_checked) {
            printf(",\"index\":{\"ok\":%s,\"records\":%" PRIu64 ",\"entries\":%" PRIu64
                   ",\"postings\":%" PRIu64,
                   r.index_ok ? "true" : "false", r.index_records, r.index_entries,
                   r.index_postings);
            if (!r.index_ok) {
                printf(",\"problem\":");
                json_string(r.index_problem);
            }
            printf("}");
        }
        if (!r.ok) {
            printf(",\"problem\":");
            json_string(r.problem);
            if (r.bad_seq != UINT64_MAX)
                printf(",\"bad_seq\":%" PRIu64, r.bad_seq);
            printf(",\"file\":");
            json_string(r.bad_segment);
            printf(",\"offset\":%" PRIu64, r.bad_offset);
        }
        printf("}\n");
    } else if (r.ok) {
        double mb = (double)r.bytes / 1e6, log_s = r.seconds - r.index_seconds;
        printf("%s: %" PRIu64 " records (%.1f MB in %" PRIu64 " segment(s), %.0f MB/s)",
               unproven ? "ok, but no signed checkpoint" : "ok", r.records, mb, r.segments,
               log_s > 0 ? mb / log_s : 0);
        if (vo.mode == LTL_VERIFY_TAIL)
            printf(" from seq %" PRIu64, r.from_seq);
        printf("; hash index of %" PRIu64 " leaves; %" PRIu64 " checkpoint(s), %" PRIu64
               " signed by the check key\n",
               r.tree_size, r.checkpoints, r.signed_checkpoints);
        if (against)
            printf("ok: the store extends the checkpoint of size %" PRIu64 " (%s)\n",
                   r.against_size,
                   r.against_signed ? "signature checked" : "signature not checked");
        if (r.lost) {
            printf("ok: %" PRIu64 " record%s lost to damage, replaced by lost-record markers "
                   "(ltl repair): seq",
                   r.lost, r.lost > 1 ? "s" : "");
            for (uint64_t i = 0; i < r.lost && i < 16; i++)
                printf("%s %" PRIu64, i ? "," : "", r.lost_seq[i]);
            printf("%s\n", r.lost > 16 ? ", ... (ltl cat --topic _ltl lists every one)" : "");
        }
        if (r.tail_bytes)
            printf("ok: a crash tail of %" PRIu64 " bytes at %s offset %" PRIu64
                   ", after the point the log was written up to: the unsynced end of a "
                   "crashed writer, which the next writer recovers (not damage)\n",
                   r.tail_bytes, r.tail_segment, r.tail_offset);
        if (r.index_checked && r.index_ok)
            printf("ok: field index of %" PRIu64 " records (%" PRIu64 " entries, %" PRIu64
                   " postings) matches the log\n",
                   r.index_records, r.index_entries, r.index_postings);
        if (r.unhashed)
            cli_note(cli,
                     "%" PRIu64 " newest records are past the hash index (a writer is "
                     "appending, or the index is behind the log: a writer brings it level): "
                     "their frames were checked",
                     r.unhashed);
        if (unproven) {
            fflush(stdout); /* the warning follows the line it qualifies */
            fprintf(stderr, "ltl verify: warning: %s\n", unproven);
        } else if (r.checkpoints > r.signed_checkpoints && r.check_key)
            cli_note(cli,
                     "%" PRIu64 " checkpoint(s) before the first signed one are unsigned (made "
                     "before keys.write was set)",
                     r.checkpoints - r.signed_checkpoints);
        else if (r.checkpoints > r.signed_checkpoints)
            cli_note(cli, "%" PRIu64 " checkpoint(s) not checked against a signature (%s)",
                     r.checkpoints - r.signed_checkpoints,
                     "configure keys.check or keys.write to check them");
    }
    if (!r.ok) {
        if (!json) {
            cli_fail(cli, 0, "FAILED: %s", r.problem);
            if (r.bad_seq != UINT64_MAX)
                fprintf(stderr, "  first bad record: seq %" PRIu64 "\n", r.bad_seq);
            if (r.bad_segment[0])
                fprintf(stderr, "  where: %s, byte offset %" PRIu64 "\n", r.bad_segment,
                        r.bad_offset);
        }
        code = EXIT_VERIFY;
    } else if (index_damaged) {
        /* derived data, not the log: exit 5 (docs/EXIT-CODES.md) */
        if (!json)
            fprintf(stderr,
                    "ltl verify: the field index is %s; the log verifies, and the next "
                    "writer rebuilds the index (or run ltl reindex)\n",
                    r.index_problem);
        code = EXIT_CORRUPT;
    }
out:
    ltl_close(db);
    free(against_text);
    return code;
}

const struct cli_command cmd_verify = {
    "verify", verify_run, "check the store against its hashes and checkpoints",
    "usage: ltl verify [--tail] [--against CHECKPOINT_FILE] [--json] [-j N]\n"
    "\n"
    "Check every frame's checksum, every record's leaf hash against the hash\n"
    "index, every inner node of the index, and every checkpoint's root and\n"
    "signature (with keys.check, or the check key of keys.write). Segments are\n"
    "checked in parallel. Works while a writer appends. A full verify also\n"
    "checks the field index against the log (about the time an import takes\n"
    "to index; ltl --config index.enabled=off verify skips it): when only it\n"
    "is damaged (derived data, rebuilt by the next writer) the exit code is 5.\n"
    "\n"
    "      --tail         only what came after the last checkpoint (quick)\n"
    "      --against F    also check that the store extends the checkpoint in F,\n"
    "                     kept elsewhere (a consistency proof): catches a history\n"
    "                     rewritten with every hash recomputed; a checkpoint of\n"
    "                     another log (another origin) is reported as such\n"
    "      --json         one JSON object\n"
    "  -j, --threads N    segments checked at once (default: one per CPU)\n"
    "\n"
    "On failure it exits with code 9 and names the first bad seq, the file and\n"
    "the byte offset. An F that cannot be read exits with code 6, one that is not\n"
    "a checkpoint with 8, before anything is verified. With a check key configured\n"
    "and no checkpoint signed by it, it exits 0 but says \"ok, but no signed\n"
    "checkpoint\" and warns: nothing then shows who wrote the log (docs/TRUST.md).\n"};

/* ---- proof ------------------------------------------------------------------ */

static int proof_run(struct cli *cli, int argc, char **argv)
{
    enum { O_SIZE = 1, O_CONSISTENCY };
    static const struct cli_opt opts[] = {
        {"size", 0, true, O_SIZE}, {"consistency", 0, false, O_CONSISTENCY}, {NULL, 0, false, 0}};
    uint64_t size = UINT64_MAX, nums[2];
    int npos = 0;
    bool consistency = false;
    struct cli_args it = {argc, argv, 1, NULL, false};
    const char *arg;
    int id;
    while ((id = cli_next(cli, &it, opts, &arg)) != CLI_END) {
        switch (id) {
        case O_SIZE:
            if (!cli_parse_u64(cli, "--size", arg, &size))
                return EXIT_USAGE;
            break;
        case O_CONSISTENCY:
            consistency = true;
            break;
        case CLI_HELP:
            cli_usage(&cmd_proof);
            return EXIT_OK;
        case CLI_POSITIONAL:
            if (npos == 2)
                return cli_usage_error(cli, "unexpected argument '%s'", arg);
            if (!cli_parse_u64(cli, npos ? "NEW" : consistency ? "OLD" : "SEQ", arg, &nums[npos]))
                return EXIT_USAGE;
            npos++;
            break;
        default:
            return EXIT_USAGE;
        }
    }
    if (npos == 0 || (!consistency && npos > 1))
        return cli_usage_error(cli, consistency ? "expected OLD [NEW]" : "expected one SEQ");
    ltl_db *db;
    int code = cli_open(cli, &db, LTL_OPEN_READONLY);
    if (code)
        return code;
    char *text = NULL;
    int rc = consistency ? ltl_proof_consistency(&text, db, nums[0], npos > 1 ? nums[1] : size)
                         : ltl_proof(&text, db, nums[0], size);
    if (rc)
        code = cli_fail_rc(cli, rc, ltl_errmsg(db), "cannot make the proof");
    else
        fputs(text, stdout);
    ltl_free(text);
    ltl_close(db);
    return code;
}

const struct cli_command cmd_proof = {
    "proof", proof_run, "prove a record is in the log, or that the log only grew",
    "usage: ltl proof SEQ [--size N]\n"
    "       ltl proof --consistency OLD [NEW]\n"
    "\n"
    "Print a C2SP tlog-proof that record SEQ is in the checkpoint of size N (the\n"
    "last checkpoint by default). The record itself travels in the proof, so\n"
    "'ltl check-proof' needs no store. With --consistency, print a proof that the\n"
    "checkpoint of size NEW (the last by default) extends the log's first OLD\n"
    "records, followed by that checkpoint.\n"};

/* ---- check-proof ---------------------------------------------------------------- */

static int check_proof_run(struct cli *cli, int argc, char **argv)
{
    enum { O_KEY = 1, O_RECORD, O_JSON };
    static const struct cli_opt opts[] = {{"key", 'k', true, O_KEY},
                                          {"record", 0, true, O_RECORD},
                                          {"json", 0, false, O_JSON},
                                          {NULL, 0, false, 0}};
    const char *file = NULL, *key = NULL, *record = NULL;
    bool json = false;
    struct cli_args it = {argc, argv, 1, NULL, false};
    const char *arg;
    int id;
    while ((id = cli_next(cli, &it, opts, &arg)) != CLI_END) {
        switch (id) {
        case O_KEY:
            key = arg;
            break;
        case O_RECORD:
            record = arg;
            break;
        case O_JSON:
            json = true;
            break;
        case CLI_HELP:
            cli_usage(&cmd_check_proof);
            return EXIT_OK;
        case CLI_POSITIONAL:
            if (file)
                return cli_usage_error(cli, "unexpected argument '%s'", arg);
            file = arg;
            break;
        default:
            return EXIT_USAGE;
        }
    }
    if (!file)
        return cli_usage_error(cli, "expected the proof FILE (or - for stdin)");
    size_t plen = 0, klen = 0, rlen = 0;
    int code = EXIT_OK;
    char *ktext = NULL, *rtext = NULL;
    char *proof = read_file(cli, file, &plen, 1 << 20, &code);
    if (proof && key && !(ktext = read_file(cli, key, &klen, 1 << 16, &code)))
        goto out;
    if (proof && record && !(rtext = read_file(cli, record, &rlen, (size_t)1 << 30, &code)))
        goto out;
    if (!proof)
        goto out;
    code = EXIT_OK;
    char *out = NULL;
    ltl_error err;
    int rc = ltl_proof_check(&out, &err, proof, plen, ktext, klen, rtext, rlen);
    if (rc) {
        code = cli_fail(cli, cli_exit_code(rc), "%s: %s", rc == LTL_EVERIFY ? "FAILED" : "error",
                        err.message);
        goto out;
    }
    if (json) {
        printf("%s\n", out);
    } else {
        printf("ok: the record is in the log (checkpoint verified %s)\n",
               key ? "with the check key" : "WITHOUT a key: its signature was not checked");
        /* the record comes from the proof file: shown escaped (docs/OUTPUT.md) */
        cli_write_text(out, strlen(out), CLI_TEXT_BLOCK);
        putchar('\n');
    }
    if (!key)
        cli_note(cli, "pass --key CHECKKEY to check the checkpoint's signature");
    ltl_free(out);
out:
    free(proof);
    free(ktext);
    free(rtext);
    return code;
}

const struct cli_command cmd_check_proof = {
    "check-proof", check_proof_run, "check a proof offline, with no store",
    "usage: ltl check-proof FILE [--key CHECKKEY] [--record FILE] [--json]\n"
    "\n"
    "Check a proof made by 'ltl proof': that the checkpoint in it is signed by\n"
    "CHECKKEY (a check key file from 'ltl keygen') and that the record it carries\n"
    "is in the log that checkpoint describes. With --record, also that the\n"
    "record's message is exactly the bytes of FILE. FILE may be - for stdin.\n"
    "Prints what was proven (seq, time, topic, message). Exit code 9 when the\n"
    "proof does not hold, 13 when CHECKKEY is not a check key (a write or read\n"
    "key, say), 6 when a file cannot be read.\n"};

/* ---- audit -------------------------------------------------------------------- */

static int audit_run(struct cli *cli, int argc, char **argv)
{
    static const struct cli_opt opts[] = {{"state", 0, true, 1}, {NULL, 0, false, 0}};
    const char *state = NULL;
    struct cli_args it = {argc, argv, 1, NULL, false};
    const char *arg;
    int id;
    while ((id = cli_next(cli, &it, opts, &arg)) != CLI_END) {
        if (id == 1)
            state = arg;
        else if (id == CLI_HELP) {
            cli_usage(&cmd_audit);
            return EXIT_OK;
        } else if (id == CLI_POSITIONAL)
            return cli_usage_error(cli, "unexpected argument '%s'", arg);
        else
            return EXIT_USAGE;
    }
    if (!state)
        return cli_usage_error(cli, "--state FILE is required");
    ltl_db *db;
    int code = cli_open(cli, &db, LTL_OPEN_READONLY);
    if (code)
        return code;
    ltl_audit_report r;
    int rc = ltl_audit(&r, db, state);
    if (rc == LTL_OK)
        cli_out_done("the checkpoint was remembered in %s all the same", state);
    if (rc == LTL_OK && r.first)
        printf("first audit: remembered the checkpoint of size %" PRIu64 " in %s\n", r.new_size,
               state);
    else if (rc == LTL_OK)
        printf("ok: the checkpoint of size %" PRIu64 " extends the one of size %" PRIu64
               " seen before\n",
               r.new_size, r.old_size);
    else if (rc == LTL_EVERIFY) {
        /* checkpoints are text from files others could write: escaped */
        char *old_text = cli_text(r.old_checkpoint, strlen(r.old_checkpoint), CLI_TEXT_BLOCK);
        char *new_text = cli_text(r.new_checkpoint, strlen(r.new_checkpoint), CLI_TEXT_BLOCK);
        cli_fail(cli, 0, "FAILED: %s", ltl_errmsg(db));
        fprintf(stderr, "\nthe checkpoint seen before (in %s):\n%s\n", state,
                old_text ? old_text : "(out of memory)");
        fprintf(stderr, "the store's checkpoint now:\n%s\n",
                new_text ? new_text : "(out of memory)");
        free(old_text);
        free(new_text);
        code = EXIT_VERIFY;
    } else {
        code = cli_fail_rc(cli, rc, ltl_errmsg(db), "cannot audit");
    }
    ltl_close(db);
    return code;
}

const struct cli_command cmd_audit = {
    "audit", audit_run, "check the log only grew since the last audit",
    "usage: ltl audit --state FILE\n"
    "\n"
    "Compare the store's last checkpoint with the one remembered in FILE: the new\n"
    "one must extend it (a consistency proof from the store's hash index). Then\n"
    "remember the new one. A rewritten, forked or rolled-back history fails loudly\n"
    "(exit code 9), shows both checkpoints, and leaves FILE as it was. Keep FILE\n"
    "where the store's owner cannot change it.\n"};

/* ---- keygen -------------------------------------------------------------------- */

/* DIR/FILE.ext, FILE being the key name with every '/' as '_': C2SP names look
 * like example.com/log, and a key file is always one file right in DIR, never
 * in a directory the name would make up (docs/TRUST.md, key files). */
static char *key_path(const char *dir, const char *name, const char *ext)
{
    size_t n = strlen(dir) + strlen(name) + strlen(ext) + 2;
    char *p = malloc(n);
    if (p) {
        int at = snprintf(p, n, "%s/", dir);
        snprintf(p + at, n - (size_t)at, "%s%s", name, ext);
        for (char *c = p + at; *c; c++)
            if (*c == '/')
                *c = '_';
    }
    return p;
}

static int keygen_run(struct cli *cli, int argc, char **argv)
{
    enum { O_READ = 1, O_DIR };
    static const struct cli_opt opts[] = {
        {"read", 0, false, O_READ}, {"dir", 'd', true, O_DIR}, {NULL, 0, false, 0}};
    const char *name = NULL, *dir = ".";
    bool read_key = false;
    struct cli_args it = {argc, argv, 1, NULL, false};
    const char *arg;
    int id;
    while ((id = cli_next(cli, &it, opts, &arg)) != CLI_END) {
        switch (id) {
        case O_READ:
            read_key = true;
            break;
        case O_DIR:
            dir = arg;
            break;
        case CLI_HELP:
            cli_usage(&cmd_keygen);
            return EXIT_OK;
        case CLI_POSITIONAL:
            if (name)
                return cli_usage_error(cli, "unexpected argument '%s'", arg);
            name = arg;
            break;
        default:
            return EXIT_USAGE;
        }
    }
    if (!name)
        return cli_usage_error(cli, "expected a key NAME");
    ltl_error err;
    int code = EXIT_OK;
    char abs_dir[PATH_MAX];
    if (!realpath(dir, abs_dir))
        return cli_fail(cli, EXIT_NOTFOUND, "%s: %s", dir, strerror(errno));
    if (read_key) {
        char *path = key_path(abs_dir, name, ".rkey");
        if (!path)
            return cli_fail(cli, EXIT_FAILURE_, "out of memory");
        if (ltl_keygen_read(&err, name, path) != LTL_OK) {
            code = cli_fail(cli, cli_exit_code(err.code), "%s", err.message);
        } else {
            cli_out_done("the read key was made all the same: %s", path);
            printf("read key: %s (mode 0600: keep it secret; without it encrypted messages "
                   "cannot be read)\nuse it:   ltl config set keys.read %s\n",
                   path, path);
        }
        free(path);
        return code;
    }
    char *wkey = key_path(abs_dir, name, ".wkey"), *ckey = key_path(abs_dir, name, ".ckey");
    if (!wkey || !ckey) {
        code = cli_fail(cli, EXIT_FAILURE_, "out of memory");
    } else if (ltl_keygen(&err, name, wkey, ckey) != LTL_OK) {
        code = cli_fail(cli, cli_exit_code(err.code), "%s", err.message);
    } else {
        cli_out_done("the keys were made all the same: %s and %s", wkey, ckey);
        printf("write key: %s (mode 0600: it signs checkpoints; keep it secret)\n"
               "check key: %s (give it to anyone who checks checkpoints and proofs)\n"
               "use them:  ltl config set keys.write %s\n",
               wkey, ckey, wkey);
    }
    free(wkey);
    free(ckey);
    return code;
}

const struct cli_command cmd_keygen = {
    "keygen", keygen_run, "make a write/check key pair, or a read key",
    "usage: ltl keygen NAME [--dir DIR]\n"
    "       ltl keygen --read NAME [--dir DIR]\n"
    "\n"
    "Make an Ed25519 write key (DIR/NAME.wkey, mode 0600) that signs checkpoints,\n"
    "and its check key (DIR/NAME.ckey) that verifies them, in the signed-note key\n"
    "formats other transparency-log tools read. With --read, make a read key\n"
    "(DIR/NAME.rkey, mode 0600) that encrypts payloads at rest (keys.read).\n"
    "Existing files are never overwritten. DIR defaults to the current directory.\n"
    "NAME is usually the checkpoint origin (see 'ltl config get checkpoint.origin'),\n"
    "such as example.com/log: each '/' becomes '_' in the file names\n"
    "(example.com_log.wkey), which are always right in DIR.\n"};

/* ---- keys ----------------------------------------------------------------------- */

struct origin_ctx {
    const char *key;
    char origin[512];
};

static int find_origin(void *vctx, const char *key, const char *value, const char *origin,
                       const char *help)
{
    (void)value;
    (void)help;
    struct origin_ctx *o = vctx;
    if (strcmp(key, o->key) == 0) {
        snprintf(o->origin, sizeof(o->origin), "%s", origin);
        return 1;
    }
    return 0;
}

/* "NEW,OLD1,OLD2": the new key file first, then the files keys.read named
 * (the new one left out where it was already listed). NULL when out of memory. */
static char *rotated_list(const char *new_path, const char *old_list)
{
    size_t cap = strlen(new_path) + strlen(old_list) + 2;
    char *out = malloc(cap);
    if (!out)
        return NULL;
    snprintf(out, cap, "%s", new_path);
    size_t n = strlen(out);
    for (const char *p = old_list; *p;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        const char *next = p + len + (comma ? 1 : 0);
        while (len && (*p == ' ' || *p == '\t'))
            p++, len--;
        while (len && (p[len - 1] == ' ' || p[len - 1] == '\t'))
            len--;
        if (len && !(len == strlen(new_path) && memcmp(p, new_path, len) == 0)) {
            out[n++] = ',';
            memcpy(out + n, p, len);
            n += len;
            out[n] = '\0';
        }
        p = next;
    }
    return out;
}

/* After a rotation: keys.read must name the new key first and keep the old ones
 * (records sealed before need them). Written to STORE/config when keys.read
 * comes from a config file (the store's file wins over the user's and the
 * system's); otherwise the user is told what to set. */
static int rotate_update_config(struct cli *cli, const char *new_path)
{
    ltl_config *cfg = NULL;
    int code = EXIT_OK;
    int rc = ltl_config_load(&cfg, cli->store, cli->config, NULL, 0);
    if (rc) {
        code = cli_fail_rc(cli, rc, cfg ? ltl_config_errmsg(cfg) : NULL,
                           "the read key was rotated, but keys.read cannot be updated");
        goto out;
    }
    struct origin_ctx o = {"keys.read", ""};
    ltl_config_foreach(cfg, find_origin, &o);
    char *value = rotated_list(new_path, ltl_config_get(cfg, "keys.read"));
    if (!value) {
        code = cli_fail(cli, EXIT_FAILURE_, "out of memory");
        goto out;
    }
    if (o.origin[0] == '/' || strcmp(o.origin, "default") == 0) {
        rc = ltl_config_write(cfg, LTL_CONFIG_FILE_STORE, "keys.read", value);
        if (rc)
            code = cli_fail_rc(cli, rc, ltl_config_errmsg(cfg),
                               "the read key was rotated, but keys.read cannot be updated");
        else
            printf("keys.read = %s written to %s\n", value,
                   ltl_config_file(cfg, LTL_CONFIG_FILE_STORE));
    } else {
        fflush(stdout); /* after what was done */
        fprintf(stderr,
                "ltl keys: keys.read comes from %s, so no config file was changed: from now "
                "on keys.read must be %s (the new key first; the others open the records "
                "sealed before the rotation)\n",
                o.origin, value);
    }
    free(value);
out:
    ltl_config_free(cfg);
    return code;
}

/* The key ids a rotation record names ("from", "to"), for the message. */
static void rotation_ids(ltl_db *db, uint64_t seq, char from[16], char to[16])
{
    snprintf(from, 16, "?");
    snprintf(to, 16, "?");
    ltl_record *rec = NULL;
    if (ltl_get(&rec, db, seq) != LTL_OK)
        return;
    const char *v;
    size_t len;
    if (ltl_json_path_get(&v, &len, rec->data, rec->len, "from", NULL) == LTL_OK && len == 10)
        snprintf(from, 16, "%.8s", v + 1);
    if (ltl_json_path_get(&v, &len, rec->data, rec->len, "to", NULL) == LTL_OK && len == 10)
        snprintf(to, 16, "%.8s", v + 1);
    ltl_record_free(rec);
}

static int keys_rotate_read(struct cli *cli, const char *file)
{
    char abs_path[PATH_MAX];
    if (!realpath(file, abs_path))
        return cli_fail(cli, EXIT_NOTFOUND, "%s: %s", file, strerror(errno));
    ltl_db *db;
    int code = cli_open(cli, &db, 0);
    if (code)
        return code;
    uint64_t seq = 0;
    int rc = ltl_keys_rotate_read(&seq, db, abs_path);
    if (rc) {
        code = cli_fail_rc(cli, rc, ltl_errmsg(db), "cannot rotate the read key");
        ltl_close(db);
        return code;
    }
    char from[16], to[16];
    rotation_ids(db, seq, from, to);
    printf("rotated: record %" PRIu64 " in _ltl says the store's read key changed from %s to %s;\n"
           "new records are sealed with %s, older ones keep read key %s\n",
           seq, from, to, abs_path, from);
    rc = ltl_close(db);
    if (rc) /* the rotation is durable already: closing wrote a checkpoint */
        code = cli_fail_rc(cli, rc, NULL, "closing the store");
    int cfg_code = rotate_update_config(cli, abs_path);
    return code ? code : cfg_code;
}

static int keys_run(struct cli *cli, int argc, char **argv)
{
    static const struct cli_opt opts[] = {{NULL, 0, false, 0}};
    const char *pos[2];
    int npos = 0;
    struct cli_args it = {argc, argv, 1, NULL, false};
    const char *arg;
    int id;
    while ((id = cli_next(cli, &it, opts, &arg)) != CLI_END) {
        if (id == CLI_HELP) {
            cli_usage(&cmd_keys);
            return EXIT_OK;
        }
        if (id != CLI_POSITIONAL)
            return EXIT_USAGE;
        if (npos == 2)
            return cli_usage_error(cli, "unexpected argument '%s'", arg);
        pos[npos++] = arg;
    }
    if (npos == 2 && strcmp(pos[0], "rotate-read") == 0)
        return keys_rotate_read(cli, pos[1]);
    if (npos >= 1 && strcmp(pos[0], "rotate-read") == 0)
        return cli_usage_error(cli, "rotate-read needs the new read key FILE (ltl keygen --read)");
    return cli_usage_error(cli, "expected: rotate-read FILE");
}

const struct cli_command cmd_keys = {
    "keys", keys_run, "change the read key the store seals records with",
    "usage: ltl keys rotate-read FILE\n"
    "\n"
    "rotate-read: from now on, seal new records with the read key in FILE (make\n"
    "one with 'ltl keygen --read NAME') instead of the store's current one, which\n"
    "keys.read must name first. A record in _ltl says which key replaced which,\n"
    "and keys.read becomes FILE followed by the keys it named (written to the\n"
    "store's config file; if keys.read is set in the environment or by --config,\n"
    "you are told what to set). Records sealed before keep their key: keep the\n"
    "old key files to read them.\n"
    "\n"
    "A store that seals its records refuses a writer without its read key (it\n"
    "would append plaintext) and a writer with another one (no single key would\n"
    "read the store): exit code 13. This is the way to change the key.\n"};
