/* SPDX-License-Identifier: MIT */
/*
 * cmd_repair.c — `ltl repair`: make a damaged store whole again without
 * losing an intact record (the library does the work: LTL_OPEN_REPAIR, see
 * docs/FORMAT.md "Repair"), then verify it and say what was lost; with
 * --dry-run only say what would be done; with --show, read back what
 * recovery and repair moved aside into STORE/repair/.
 */
#include "cli.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Counts what the library reports while repairing, and shows it. */
struct repair_log {
    unsigned steps;
};

static void repair_log_fn(void *ctx, int level, const char *msg)
{
    struct repair_log *l = ctx;
    if (level == LTL_LOG_WARN && strncmp(msg, "repair", 6) == 0)
        l->steps++;
    cli_log(NULL, level, msg);
}

static int show_piece(void *ctx, const ltl_salvage *p)
{
    (void)ctx;
    printf("  offset %" PRIu64 " (%" PRIu64 " bytes): %s", p->offset, p->size, p->status);
    if (p->has_envelope) {
        char ts[40];
        ltl_time_format(ts, sizeof(ts), p->ts);
        printf("; seq %" PRIu64 ", %s, topic ", p->seq, ts);
        cli_write_text(p->topic, strlen(p->topic), CLI_TEXT_LINE);
        if (p->flags & LTL_RECORD_ENCRYPTED) {
            printf(", encrypted payload of %zu bytes\n", p->len);
        } else {
            /* a damaged payload may hold anything: escaped, on one line */
            fputs(":\n    ", stdout);
            cli_write_text(p->data, p->len, CLI_TEXT_LINE);
            putchar('\n');
        }
    } else {
        putchar('\n');
    }
    return 0;
}

static int show_file(struct cli *cli, ltl_db *db, const char *path)
{
    printf("%s:\n", path);
    const char *name = strrchr(path, '/');
    name = name ? name + 1 : path;
    size_t n = strlen(name);
    if ((n > 7 && strcmp(name + n - 7, ".header") == 0) || strcmp(name, "LTL") == 0) {
        printf("  a copy of a damaged header that repair rewrote (hexdump -C shows it)\n");
        return EXIT_OK;
    }
    int rc = ltl_salvage_read(db, path, show_piece, NULL);
    if (rc != LTL_OK)
        return cli_fail_rc(cli, rc, ltl_errmsg(db), "cannot read it");
    return EXIT_OK;
}

/* List STORE/repair/<dir>/<file> with sizes. */
static int show_all(struct cli *cli, ltl_db *db)
{
    char *top = NULL;
    if (asprintf(&top, "%s/repair", ltl_db_path(db)) < 0)
        return cli_fail(cli, EXIT_FAILURE_, "out of memory");
    DIR *d = opendir(top);
    if (!d) {
        int e = errno;
        free(top);
        if (e == ENOENT) {
            printf("nothing was moved aside: the store has no repair/ folder\n");
            return EXIT_OK;
        }
        return cli_fail(cli, EXIT_IO, "%s/repair: %s", ltl_db_path(db), strerror(e));
    }
    struct dirent **dirs = NULL;
    int nd = scandir(top, &dirs, NULL, alphasort);
    closedir(d);
    for (int i = 0; i < nd; i++) {
        if (dirs[i]->d_name[0] == '.')
            continue;
        char *sub = NULL;
        if (asprintf(&sub, "%s/%s", top, dirs[i]->d_name) < 0)
            break;
        struct dirent **files = NULL;
        int nf = scandir(sub, &files, NULL, alphasort);
        printf("repair/%s/\n", dirs[i]->d_name);
        for (int k = 0; k < nf; k++) {
            if (files[k]->d_name[0] != '.') {
                char *f = NULL;
                struct stat st;
                if (asprintf(&f, "%s/%s", sub, files[k]->d_name) >= 0 && stat(f, &st) == 0)
                    printf("  %-40s %10lld bytes\n", files[k]->d_name, (long long)st.st_size);
                free(f);
            }
            free(files[k]);
        }
        free(files);
        free(sub);
    }
    for (int i = 0; i < nd; i++)
        free(dirs[i]);
    free(dirs);
    free(top);
    printf("(ltl repair --show FILE prints the records a file holds)\n");
    return EXIT_OK;
}

static int repair_run(struct cli *cli, int argc, char **argv)
{
    enum { O_DRY = 1, O_SHOW };
    static const struct cli_opt opts[] = {
        {"dry-run", 'n', false, O_DRY}, {"show", 0, false, O_SHOW}, {NULL, 0, false, 0}};
    bool dry = false, show = false;
    const char **files = calloc((size_t)argc + 1, sizeof(*files));
    size_t nfiles = 0;
    struct cli_args it = {argc, argv, 1, NULL, false};
    const char *arg;
    int id, code = EXIT_OK;
    if (!files)
        return cli_fail(cli, EXIT_FAILURE_, "out of memory");
    while ((id = cli_next(cli, &it, opts, &arg)) != CLI_END) {
        switch (id) {
        case O_DRY:
            dry = true;
            break;
        case O_SHOW:
            show = true;
            break;
        case CLI_POSITIONAL:
            files[nfiles++] = arg;
            break;
        case CLI_HELP:
            cli_usage(&cmd_repair);
            free(files);
            return EXIT_OK;
        default:
            free(files);
            return EXIT_USAGE;
        }
    }
    if (nfiles && !show) {
        code = cli_usage_error(cli, "unexpected argument '%s' (files go with --show)", files[0]);
        free(files);
        return code;
    }
    if (dry && show) {
        free(files);
        return cli_usage_error(cli, "--dry-run and --show do not go together");
    }
    ltl_db *db;
    if (show) {
        if ((code = cli_open(cli, &db, LTL_OPEN_READONLY)) == EXIT_OK) {
            code = nfiles ? EXIT_OK : show_all(cli, db);
            for (size_t i = 0; i < nfiles && code == EXIT_OK; i++)
                code = show_file(cli, db, files[i]);
            ltl_close(db);
        }
        free(files);
        return code;
    }
    free(files);
    struct repair_log log = {0};
    cli->log = repair_log_fn;
    cli->log_ctx = &log;
    if (cli->verbosity == 0)
        cli->verbosity = 1; /* show what recovery and repair do */
    if ((code = cli_open(cli, &db, LTL_OPEN_REPAIR | (dry ? LTL_OPEN_DRY_RUN : 0))))
        return code;
    cli_out_done("the store was %s all the same", dry ? "checked" : "repaired");
    if (dry) {
        printf("dry run: %s; nothing was changed\n",
               log.steps ? "the lines above say what repair would do" : "nothing to repair");
        ltl_close(db);
        return EXIT_OK;
    }
    /* what it did holds: the log, the hash index and the checkpoints verify */
    ltl_verify_options vo;
    ltl_verify_options_init(&vo);
    ltl_verify_report r;
    int rc = ltl_verify(&r, db, &vo);
    if (rc != LTL_OK && rc != LTL_EVERIFY) {
        code = cli_fail_rc(cli, rc, ltl_errmsg(db), "cannot verify the repaired store");
    } else if (!r.ok) {
        code = cli_fail(cli, EXIT_VERIFY, "the repaired store does not verify: %s", r.problem);
    } else {
        printf("store %s: %" PRIu64 " records in %" PRIu64 " segment(s) verify; ", ltl_db_path(db),
               r.records, r.segments);
        if (r.lost) {
            printf("%" PRIu64 " lost to damage (seq", r.lost);
            for (uint64_t i = 0; i < r.lost && i < 16; i++)
                printf("%s %" PRIu64, i ? "," : "", r.lost_seq[i]);
            printf("%s); ", r.lost > 16 ? ", ..." : "");
        }
        printf("appends work\n");
    }
    rc = ltl_close(db);
    if (rc && code == EXIT_OK)
        code = cli_fail_rc(cli, rc, NULL, "closing the store");
    return code;
}

const struct cli_command cmd_repair = {
    "repair", repair_run, "make a damaged store whole again, keeping every intact record",
    "usage: ltl repair [--dry-run]\n"
    "       ltl repair --show [FILE...]\n"
    "\n"
    "Check every segment and make the store whole again without removing an intact\n"
    "record or reusing a seq: a damaged record becomes a lost-record marker at its\n"
    "seq (keeping its leaf hash, so the hash tree, the checkpoints and every other\n"
    "record's proof stay valid), a damaged segment or store header is rebuilt, and\n"
    "derived files that disagree with the log (log/tree.hashes, the index) are\n"
    "rebuilt. A crash tail beyond the point the log was synced up to is cleared,\n"
    "as any writer would. What is replaced is copied into STORE/repair/<time>-<pid>/\n"
    "first (nothing is deleted), each step is recorded in the topic _ltl, and the\n"
    "repaired store is verified. Run it when a command fails with 'the store is\n"
    "damaged' (exit code 5).\n"
    "\n"
    "  -n, --dry-run   say what repair would do; change nothing\n"
    "      --show      list what recovery and repair moved aside; with FILEs, print\n"
    "                  the records (or what is left of them) each file holds\n"};
