/* SPDX-License-Identifier: MIT */
/*
 * cmd_append.c — `ltl append`: messages from the arguments, or one per line
 * from stdin. Lines that are available together are appended as one batch,
 * so a pipe gets group commit even in paranoid mode; a line arriving alone
 * is appended at once. A message that fails a check (not JSON with --json,
 * too big, bad topic) is rejected whole and reported with its line number;
 * everything before it is appended, and with --keep-going everything after
 * it too.
 */
#include "cli.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BATCH_MAX  4096
#define READ_CHUNK (1u << 20)

struct append_ctx {
    struct cli *cli;
    ltl_db *db;
    const char *topic;
    unsigned int flags;
    bool print_seq;
    bool keep_going;
    uint64_t appended;
    uint64_t last_seq; /* of the last record appended */
    uint64_t rejected;
    size_t max_size;
};

/* Append msgs[0..n) whose first line number is `line`; on a check failure
 * fall back to one at a time to find and report the bad one. Returns an
 * exit code (EXIT_OK to go on). */
static int append_some(struct append_ctx *a, ltl_msg *msgs, size_t n, uint64_t line)
{
    uint64_t first;
    if (n == 0)
        return EXIT_OK;
    int rc = ltl_append_batch(&first, a->db, msgs, n);
    if (rc == LTL_OK) {
        a->appended += n;
        a->last_seq = first + n - 1;
        /* a printed seq is an acknowledged one. Printing may fail (a full disk):
         * the records are in the log all the same, so appending goes on and the
         * end says so (cli_out_done); a reader that went away wants no more seqs */
        if (a->print_seq && cli_out_ok()) {
            for (size_t i = 0; i < n; i++)
                printf("%" PRIu64 "\n", first + i);
            fflush(stdout);
        }
        return EXIT_OK;
    }
    bool check_failure = rc == LTL_EPARSE || rc == LTL_ETOOBIG || rc == LTL_EINVAL;
    if (!check_failure || n == 1) {
        if (!check_failure)
            return cli_fail_rc(a->cli, rc, ltl_errmsg(a->db), "append failed");
        a->rejected++;
        if (line)
            cli_fail(a->cli, 0, "line %" PRIu64 ": rejected: %s", line, ltl_errmsg(a->db));
        else
            cli_fail(a->cli, 0, "rejected: %s", ltl_errmsg(a->db));
        return a->keep_going ? EXIT_OK : cli_exit_code(rc);
    }
    for (size_t i = 0; i < n; i++) {
        int code = append_some(a, &msgs[i], 1, line ? line + i : 0);
        if (code != EXIT_OK)
            return code;
    }
    return EXIT_OK;
}

static int append_args(struct append_ctx *a, char **args, size_t n)
{
    ltl_msg *msgs = calloc(n, sizeof(*msgs));
    if (!msgs)
        return cli_fail(a->cli, EXIT_FAILURE_, "out of memory");
    for (size_t i = 0; i < n; i++)
        msgs[i] = (ltl_msg){a->topic, args[i], strlen(args[i]), a->flags};
    int code = append_some(a, msgs, n, 0);
    free(msgs);
    return code;
}

/* Read stdin with read(2) so that whatever has arrived is appended now. */
static int append_stdin(struct append_ctx *a)
{
    size_t cap = READ_CHUNK, len = 0;
    char *buf = malloc(cap);
    ltl_msg *msgs = malloc(BATCH_MAX * sizeof(*msgs));
    uint64_t line = 1;     /* number of the next line to start */
    bool skipping = false; /* inside an oversized line being dropped */
    int code = EXIT_OK;
    if (!buf || !msgs) {
        code = cli_fail(a->cli, EXIT_FAILURE_, "out of memory");
        goto out;
    }
    bool eof = false;
    while (!eof && code == EXIT_OK && !cli_interrupted) {
        if (len == cap) {
            /* a line longer than the buffer: grow up to the message limit */
            if (cap > a->max_size + 1) {
                skipping = true;
                len = 0;
            } else {
                char *nb = realloc(buf, cap * 2);
                if (!nb) {
                    code = cli_fail(a->cli, EXIT_FAILURE_, "out of memory");
                    break;
                }
                buf = nb;
                cap *= 2;
            }
        }
        ssize_t n = read(STDIN_FILENO, buf + len, cap - len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            code = cli_fail(a->cli, EXIT_IO, "reading stdin: %s", strerror(errno));
            break;
        }
        if (n == 0) {
            eof = true;
            if (len > 0 && buf[len - 1] != '\n')
                buf[len++] = '\n'; /* a last line without newline (room: len < cap) */
        }
        len += (size_t)n;
        /* append every complete line now in the buffer */
        size_t start = 0, nmsg = 0;
        uint64_t batch_line = line;
        for (;;) {
            char *nl = memchr(buf + start, '\n', len - start);
            if (!nl)
                break;
            size_t end = (size_t)(nl - buf);
            if (skipping) {
                skipping = false;
                cli_fail(a->cli, 0,
                         "line %" PRIu64 ": rejected: message is over %zu bytes (message.max_size)",
                         line, a->max_size);
                a->rejected++;
                if (!a->keep_going) {
                    code = EXIT_INPUT;
                    break;
                }
            } else if (end > start) {
                if (nmsg == 0)
                    batch_line = line;
                msgs[nmsg++] = (ltl_msg){a->topic, buf + start, end - start, a->flags};
            } else if (nmsg > 0) {
                /* a blank line inside a batch breaks line numbering: flush first */
                if ((code = append_some(a, msgs, nmsg, batch_line)))
                    break;
                nmsg = 0;
            }
            line++;
            start = end + 1;
            if (nmsg == BATCH_MAX) {
                if ((code = append_some(a, msgs, nmsg, batch_line)))
                    break;
                nmsg = 0;
            }
        }
        if (code == EXIT_OK && nmsg)
            code = append_some(a, msgs, nmsg, batch_line);
        memmove(buf, buf + start, len - start);
        len -= start;
    }
out:
    free(buf);
    free(msgs);
    return code;
}

static int append_run(struct cli *cli, int argc, char **argv)
{
    enum { O_TOPIC = 1, O_JSON, O_RAW, O_PRINT_SEQ, O_KEEP_GOING };
    static const struct cli_opt opts[] = {
        {"topic", 't', true, O_TOPIC},
        {"json", 0, false, O_JSON},
        {"raw", 0, false, O_RAW},
        {"print-seq", 0, false, O_PRINT_SEQ},
        {"keep-going", 'k', false, O_KEEP_GOING},
        {NULL, 0, false, 0},
    };
    struct append_ctx a = {.cli = cli, .flags = LTL_APPEND_DETECT};
    char **args = calloc((size_t)argc, sizeof(*args));
    size_t nargs = 0;
    struct cli_args it = {argc, argv, 1, NULL, false};
    const char *arg;
    int id, code = EXIT_OK;
    if (!args)
        return cli_fail(cli, EXIT_FAILURE_, "out of memory");
    while ((id = cli_next(cli, &it, opts, &arg)) != CLI_END) {
        switch (id) {
        case O_TOPIC:
            a.topic = arg;
            break;
        case O_JSON:
            a.flags = LTL_APPEND_JSON;
            break;
        case O_RAW:
            a.flags = 0;
            break;
        case O_PRINT_SEQ:
            a.print_seq = true;
            break;
        case O_KEEP_GOING:
            a.keep_going = true;
            break;
        case CLI_POSITIONAL:
            args[nargs++] = (char *)arg;
            break;
        case CLI_HELP:
            cli_usage(&cmd_append);
            free(args);
            return EXIT_OK;
        default:
            free(args);
            return EXIT_USAGE;
        }
    }
    if (nargs == 0 && isatty(STDIN_FILENO))
        cli_note(cli, "reading messages from the terminal, one per line (Ctrl-D ends)");
    /* --bind STORE:create: appends go to the store bound for create */
    char *target = NULL;
    if ((code = cli_bind_create_target(cli, &target)) != EXIT_OK) {
        free(args);
        return code;
    }
    const char *own_store = cli->store;
    if (target)
        cli->store = target;
    code = cli_open(cli, &a.db, target ? 0 : LTL_OPEN_CREATE);
    cli->store = own_store;
    free(target);
    if (code != EXIT_OK) {
        free(args);
        return code;
    }
    /* the line reader needs the limit to drop an oversized line without holding it */
    ltl_config *cfg = NULL;
    int64_t max = 16 << 20;
    if (ltl_config_load(&cfg, ltl_db_path(a.db), cli->config, NULL, 0) == LTL_OK)
        ltl_config_get_number(cfg, "message.max_size", &max);
    ltl_config_free(cfg);
    a.max_size = (size_t)max;

    code = nargs ? append_args(&a, args, nargs) : append_stdin(&a);
    if (a.appended == 1)
        cli_out_done("the record was appended all the same (seq %" PRIu64 "): only printing "
                     "its seq failed; do not append it again",
                     a.last_seq);
    else if (a.appended)
        cli_out_done("the %" PRIu64 " records were appended all the same (the last at seq "
                     "%" PRIu64 "): only printing their seqs failed; do not append them again",
                     a.appended, a.last_seq);
    int rc = ltl_close(a.db);
    if (rc != LTL_OK && code == EXIT_OK)
        code = cli_fail_rc(cli, rc, NULL, "closing the store");
    if (code == EXIT_OK && a.rejected)
        code = EXIT_INPUT;
    if (cli->verbosity > 0)
        cli_note(cli, "%" PRIu64 " appended, %" PRIu64 " rejected", a.appended, a.rejected);
    free(args);
    return code;
}

const struct cli_command cmd_append = {
    "append", append_run, "append messages (arguments, or lines from stdin)",
    "usage: ltl append [--topic T] [--json|--raw] [--print-seq] [--keep-going] [MESSAGE...]\n"
    "\n"
    "Append each MESSAGE as a record; without MESSAGE arguments, append each\n"
    "line of stdin (blank lines are skipped). Creates the store if needed.\n"
    "Returns once the records are as durable as the mode promises.\n"
    "\n"
    "  -t, --topic T     the topic (default: \"default\"); UTF-8, no spaces, '/',\n"
    "                    '*' or '>'; names starting with '_' are reserved\n"
    "      --json        reject messages that are not JSON (exit code 8)\n"
    "      --raw         store the bytes without looking for JSON\n"
    "                    (default: messages that parse as JSON are marked JSON)\n"
    "      --print-seq   print each record's seq once it is acknowledged; when\n"
    "                    printing fails (exit code 6), the message says which\n"
    "                    records were appended all the same\n"
    "  -k, --keep-going  report rejected lines and go on (exit code 8 at the end)\n"
    "\n"
    "A rejected message is reported with its line number; the messages before it\n"
    "are appended. Durability: --forgetful, --casual, --safe (default), --paranoid.\n"
    "With --bind STORE:create (at / or /topics), the records go to STORE.\n"};
