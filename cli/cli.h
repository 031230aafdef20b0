/* SPDX-License-Identifier: MIT */
/*
 * cli.h — what the ltl command's files share: global options, the option
 * parser, the command table, exit codes and output helpers. The command is
 * a client of include/ltl.h like any other program.
 */
#ifndef LTL_CLI_H
#define LTL_CLI_H

#include "ltl.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>

/* Exit codes: stable, documented in docs/EXIT-CODES.md and `ltl help exit-codes`. */
enum {
    EXIT_OK = 0,
    EXIT_FAILURE_ = 1, /* an unexpected failure */
    EXIT_USAGE = 2,    /* bad command line */
    EXIT_NOTFOUND = 3, /* no such store or record */
    EXIT_BUSY = 4,     /* another writer holds the store */
    EXIT_CORRUPT = 5,  /* the store is damaged (see `ltl repair`) */
    EXIT_IO = 6,       /* an I/O error, or a writer that failed earlier */
    EXIT_NOSPACE = 7,  /* the disk is full */
    EXIT_INPUT = 8,    /* input rejected: bad JSON, too big, bad topic */
    EXIT_VERIFY = 9,   /* verification failed (reserved for `ltl verify`) */
    EXIT_PERM = 10,    /* permission denied, or an unsafe key file mode */
    EXIT_CONFIG = 11,  /* bad configuration */
    EXIT_VERSION = 12, /* the store's format is newer than this ltl */
    EXIT_KEY = 13,     /* a wrong or missing key: cannot decrypt, sign or check */
    EXIT_NOFUSE = 14,  /* ltl mount: built without FUSE, or FUSE unusable here */
    EXIT_INTERRUPTED = 130,
};

/* Global options: before the command or anywhere after it. */
struct cli {
    const char *prog;
    const char *store;   /* --store DIR, or NULL for the default store */
    char *config;        /* --config k=v,... (accumulated) */
    int durability;      /* --casual etc., or LTL_DURABILITY_DEFAULT */
    int verbosity;       /* 0 normal, <0 quiet, >0 verbose */
    const char *command; /* the command's name */
    char **binds;        /* --bind STORE[:MODE][@/PATH] (accumulated, in order) */
    size_t nbinds;
    ltl_log_fn log; /* the library's log sink for cli_open (NULL: ltl_log_stderr) */
    void *log_ctx;
};

/* One option of a command. `id` is returned by cli_next(); `arg` says
 * whether it takes a value. */
struct cli_opt {
    const char *name; /* long name without "--" */
    char short_name;  /* 0 when none */
    bool arg;
    int id;
};

/* An argument cursor over argv[1..argc). */
struct cli_args {
    int argc;
    char **argv;
    int index;        /* next argv element */
    const char *rest; /* remaining short options of a "-abc" group */
    bool dashdash;    /* "--" seen: everything after is positional */
};

enum { CLI_POSITIONAL = -1, CLI_END = -2, CLI_ERROR = -3, CLI_HELP = -4 };

/* Next option of `opts` (terminated by a {NULL} entry) or of the global
 * options (handled in place, into cli). Returns the option's id with *arg
 * set to its value; CLI_POSITIONAL with *arg the positional argument;
 * CLI_HELP for -h/--help; CLI_END; or CLI_ERROR after printing why. */
int cli_next(struct cli *cli, struct cli_args *a, const struct cli_opt *opts, const char **arg);

/* A command: runs with argv[0] = its name. Returns an exit code. */
struct cli_command {
    const char *name;
    int (*run)(struct cli *cli, int argc, char **argv);
    const char *summary; /* one line for `ltl help` */
    const char *usage;   /* the full --help text */
};

extern const struct cli_command *const cli_commands[];
extern const struct cli_command cmd_init, cmd_append, cmd_cat, cmd_tail, cmd_stat, cmd_repair,
    cmd_config, cmd_checkpoint, cmd_verify, cmd_proof, cmd_check_proof, cmd_audit, cmd_keygen,
    cmd_keys, cmd_query, cmd_paths, cmd_reindex, cmd_import, cmd_export;

/* The namespace commands (cmd_ns.c, cmd_mount.c). */
extern const struct cli_command cmd_get, cmd_ls, cmd_mount;

/* A namespace over the store (read-only) and the stores --bind names. */
struct cli_ns {
    ltl_db *db;
    ltl_ns *ns;
    ltl_db **bound;
    size_t nbound;
};
/* Open it per the global options; on failure prints why and returns the exit code. */
int cli_ns_open(struct cli *cli, struct cli_ns *out);
void cli_ns_close(struct cli_ns *n);
/* The store that --bind STORE:create names for appends (at /topics, else at /), in *out
 * (the caller frees), or NULL when none does. EXIT_OK, or a usage error's exit code. */
int cli_bind_create_target(struct cli *cli, char **out);

/* Print usage text of a command to stdout. */
void cli_usage(const struct cli_command *cmd);

/* Report an error: "ltl COMMAND: message" on stderr. Returns `code`. */
int cli_fail(struct cli *cli, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Report a library failure with ltl_errmsg/strerror; returns the exit code for rc. */
int cli_fail_rc(struct cli *cli, int rc, const char *detail, const char *what);
/* A usage error: message plus "see ltl COMMAND --help". Returns EXIT_USAGE. */
int cli_usage_error(struct cli *cli, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Informational line on stderr unless -q. */
void cli_note(struct cli *cli, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The exit code for a library return code. */
int cli_exit_code(int rc);

/* Open the store per the global options. flags: LTL_OPEN_*. On failure
 * prints the error and returns the exit code (non-zero); *out is NULL. */
int cli_open(struct cli *cli, ltl_db **out, unsigned int flags);

/* Parse an unsigned integer argument; false (after printing) when bad. */
bool cli_parse_u64(struct cli *cli, const char *what, const char *text, uint64_t *out);
/* Parse a time argument (ltl_time_parse syntax); false (after printing) when bad. */
bool cli_parse_time(struct cli *cli, const char *what, const char *text, int64_t *out);

/* ---- output (output.c, docs/OUTPUT.md) ---- */

/* Make stdout a stream that keeps the errno of its first failed write, so
 * that no failure of any write to stdout (fwrite, printf, a flush) goes
 * unseen. Called first in main. */
void cli_out_init(void);
/* Write buf to stdout (buffered); false once a write of stdout failed: then
 * stop writing and return cli_out_fail(). */
bool cli_write(const void *buf, size_t len);
/* false once a write of stdout failed (printf and fputs included). */
bool cli_out_ok(void);
/* Once a write of stdout failed: say so (once: "writing output: REASON", with
 * what cli_out_done() recorded) and return the exit code: EXIT_IO; EXIT_OK and
 * nothing said when the reader went away (EPIPE); EXIT_INTERRUPTED when a
 * signal cut the write. EXIT_OK while nothing failed. */
int cli_out_fail(struct cli *cli);
/* Record what the command did that stands although its output fails ("the
 * keys were made"): cli_out_fail() adds it to its message. */
void cli_out_done(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Flush stdout at the end of main; the exit code after an output failure
 * (the command's own code when it already failed). */
int cli_out_finish(struct cli *cli, int code);
/* Is stdout a terminal? (then raw payloads are escaped too) */
bool cli_stdout_tty(void);

/* How human output shows text from the store (docs/OUTPUT.md): control
 * characters as \n \r \t \xHH, C1 and bidi controls and U+2028/9 as \uHHHH,
 * a byte that is not UTF-8 as \xHH; everything else, backslashes included,
 * as it is. CLI_TEXT_BLOCK keeps line breaks and tabs (payloads shown whole),
 * CLI_TEXT_LINE escapes them too (one line: names, cells, messages). */
enum { CLI_TEXT_LINE = 0, CLI_TEXT_BLOCK = 1 };
/* Write s escaped to stdout; false as cli_write(). */
bool cli_write_text(const void *s, size_t len, int mode);
/* s escaped, as a new string (free() it); NULL when out of memory. */
char *cli_text(const void *s, size_t len, int mode);
/* The string s escaped into dst (cut to fit cap, NUL-terminated); its length. */
size_t cli_text_into(char *dst, size_t cap, const char *s, int mode);
/* Show s (the text a message before refers to, a query) on stderr, indented, escaped. */
void cli_echo(const char *s);
/* The library's log sink for the command: ltl_log_stderr with the message escaped. */
void cli_log(void *ctx, int level, const char *msg);

/* A progress bar on stderr (terminal only, not with -q). */
struct cli_progress {
    bool enabled, shown;
    const char *label;
    int64_t start, last;
};
void cli_progress_init(struct cli_progress *p, const struct cli *cli, const char *label);
/* done and total in bytes (total 0: unknown); throttled, so call it freely. */
void cli_progress_update(struct cli_progress *p, uint64_t done, uint64_t total);
void cli_progress_end(struct cli_progress *p);

/* true once SIGINT/SIGTERM arrived (installed by main for long commands). */
extern volatile int cli_interrupted;

/* A --fields list: "a,b,c" split on commas outside quotes and brackets. */
struct cli_fields {
    char **names;
    size_t n;
};
bool cli_fields_parse(struct cli_fields *f, const char *text);
void cli_fields_free(struct cli_fields *f);

#endif /* LTL_CLI_H */
