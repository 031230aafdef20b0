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

/* Read a whole (small) file, or stdin for "-". NULL after printing why. */
static char *read_file(struct cli *cli, const char *path, size_t *len, size_t max)
{
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
    if (against && !(against_text = read_file(cli, against, &against_len, 1 << 20)))
        return EXIT_NOTFOUND;
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
        printf("ok: %" PRIu64 " records (%.1f MB in %" PRIu64 " segment(s), %.0f MB/s)", r.records,
               mb, r.segments, log_s > 0 ? mb / log_s : 0);
        if (vo.mode == LTL_VERIFY_TAIL)
            printf(" from seq %" PRIu64, r.from_seq);
        printf("; hash index of %" PRIu64 " leaves; %" PRIu64 " checkpoint(s), %" PRIu64
               " signed by the check key\n",
               r.tree_size, r.checkpoints, r.signed_checkpoints);
        if (against)
            printf("ok: the store extends the checkpoint of size %" PRIu64 " (%s)\n",
                   r.against_size,
                   r.against_signed ? "signature checked" : "signature not checked");
        if (r.index_checked && r.index_ok)
            printf("ok: field index of %" PRIu64 " records (%" PRIu64 " entries, %" PRIu64
                   " postings) matches the log\n",
                   r.index_records, r.index_entries, r.index_postings);
        if (r.unhashed)
            cli_note(cli,
                     "%" PRIu64 " newest records are past the hash index (a writer is "
                     "appending): their frames were checked",
                     r.unhashed);
        if (r.checkpoints > r.signed_checkpoints)
            cli_note(cli, "%" PRIu64 " checkpoint(s) not checked against a signature (%s)",
                     r.checkpoints - r.signed_checkpoints,
                     "configure keys.check or keys.write to check them");
    }
    if (!r.ok) {
        if (!json) {
            fprintf(stderr, "ltl verify: FAILED: %s\n", r.problem);
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
    "                     rewritten with every hash recomputed\n"
    "      --json         one JSON object\n"
    "  -j, --threads N    segments checked at once (default: one per CPU)\n"
    "\n"
    "On failure it exits with code 9 and names the first bad seq, the file and\n"
    "the byte offset.\n"};

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
    char *proof = read_file(cli, file, &plen, 1 << 20);
    char *ktext = key ? read_file(cli, key, &klen, 1 << 16) : NULL;
    char *rtext = record ? read_file(cli, record, &rlen, (size_t)1 << 30) : NULL;
    int code = EXIT_OK;
    if (!proof || (key && !ktext) || (record && !rtext)) {
        code = EXIT_NOTFOUND;
        goto out;
    }
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
        printf("%s\n", out);
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
    "proof does not hold.\n"};

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
    if (rc == LTL_OK && r.first)
        printf("first audit: remembered the checkpoint of size %" PRIu64 " in %s\n", r.new_size,
               state);
    else if (rc == LTL_OK)
        printf("ok: the checkpoint of size %" PRIu64 " extends the one of size %" PRIu64
               " seen before\n",
               r.new_size, r.old_size);
    else if (rc == LTL_EVERIFY) {
        fprintf(stderr, "ltl audit: FAILED: %s\n\n", ltl_errmsg(db));
        fprintf(stderr, "the checkpoint seen before (in %s):\n%s\n", state, r.old_checkpoint);
        fprintf(stderr, "the store's checkpoint now:\n%s\n", r.new_checkpoint);
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

static char *joined(const char *dir, const char *name, const char *ext)
{
    size_t n = strlen(dir) + strlen(name) + strlen(ext) + 2;
    char *p = malloc(n);
    if (p)
        snprintf(p, n, "%s/%s%s", dir, name, ext);
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
        char *path = joined(abs_dir, name, ".rkey");
        if (!path)
            return cli_fail(cli, EXIT_FAILURE_, "out of memory");
        if (ltl_keygen_read(&err, name, path) != LTL_OK)
            code = cli_fail(cli, cli_exit_code(err.code), "%s", err.message);
        else
            printf("read key: %s (mode 0600: keep it secret; without it encrypted messages "
                   "cannot be read)\nuse it:   ltl config set keys.read %s\n",
                   path, path);
        free(path);
        return code;
    }
    char *wkey = joined(abs_dir, name, ".wkey"), *ckey = joined(abs_dir, name, ".ckey");
    if (!wkey || !ckey) {
        code = cli_fail(cli, EXIT_FAILURE_, "out of memory");
    } else if (ltl_keygen(&err, name, wkey, ckey) != LTL_OK) {
        code = cli_fail(cli, cli_exit_code(err.code), "%s", err.message);
    } else {
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
    "NAME is usually the checkpoint origin (see 'ltl config get checkpoint.origin').\n"};
