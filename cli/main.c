/* SPDX-License-Identifier: MIT */
/*
 * main.c — `ltl [global options] COMMAND [args]`: global options, the
 * command table, `ltl help [COMMAND|exit-codes]` and `ltl --version`.
 * `ltl --COMMAND` means the same as `ltl COMMAND`.
 */
#include "cli.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern const struct cli_command cmd_help, cmd_version, cmd_flatten;

/* The command table: `ltl help` lists them in this order. */
const struct cli_command *const cli_commands[] = {
    /* the log */
    &cmd_init,
    &cmd_append,
    &cmd_cat,
    &cmd_tail,
    &cmd_stat,
    &cmd_repair,
    /* queries */
    &cmd_query,
    &cmd_paths,
    &cmd_reindex,
    &cmd_import,
    &cmd_export,
    /* trust */
    &cmd_checkpoint,
    &cmd_verify,
    &cmd_proof,
    &cmd_check_proof,
    &cmd_audit,
    &cmd_keygen,
    &cmd_keys,
    /* JSON */
    &cmd_flatten,
    /* the namespace */
    &cmd_get,
    &cmd_ls,
    &cmd_mount,
    /* the tool */
    &cmd_config,
    &cmd_help,
    &cmd_version,
    NULL,
};

static const char main_usage[] =
    "usage: ltl [--store DIR] [--config k=v,...] [--casual|--safe|--paranoid|--forgetful]\n"
    "           [-v|-q] COMMAND [ARGS]\n"
    "\n"
    "A local, tamper-evident event log.\n"
    "\n"
    "Global options (before or after the command):\n"
    "  --store DIR        the store directory (default: $LTL_STORE, else\n"
    "                     $XDG_DATA_HOME/ltl/default)\n"
    "  --config k=v,...   set config keys for this run (see 'ltl config list')\n"
    "  --forgetful, --casual, --safe, --paranoid\n"
    "                     durability mode (default: the 'durability' key, safe)\n"
    "  -v, --verbose      more diagnostics (repeat for more)\n"
    "  -q, --quiet        errors only\n"
    "  -h, --help         help; 'ltl COMMAND --help' for a command\n"
    "  -V, --version      the build manifest\n"
    "  --bind STORE[:before|after|create][@/PATH]\n"
    "                     join STORE's PATH (default /) to the namespace's PATH,\n"
    "                     a union (get, ls, mount; docs/NAMESPACE.md); repeatable;\n"
    "                     :create also sends 'ltl append' to STORE\n"
    "\n"
    "Commands:\n";

static void print_main_usage(FILE *f)
{
    fputs(main_usage, f);
    for (const struct cli_command *const *c = cli_commands; *c; c++)
        fprintf(f, "  %-12s %s\n", (*c)->name, (*c)->summary);
    fputs("\nExit codes: 'ltl help exit-codes'.\n", f);
}

static const struct cli_command *find_command(const char *name)
{
    for (const struct cli_command *const *c = cli_commands; *c; c++)
        if (strcmp((*c)->name, name) == 0)
            return *c;
    return NULL;
}

void cli_usage(const struct cli_command *cmd)
{
    fputs(cmd->usage, stdout);
}

/* ---- help ---------------------------------------------------------------- */

static const char exit_codes_text[] =
    "ltl exit codes (stable; docs/EXIT-CODES.md):\n"
    "    0  success\n"
    "    1  unexpected failure\n"
    "    2  usage error: unknown option, missing or bad argument\n"
    "    3  not found: no such store or record\n"
    "    4  busy: another process holds the store's writer lock\n"
    "    5  corrupt: the store is damaged ('ltl repair' moves the bad part aside)\n"
    "    6  I/O error, or a writer that failed earlier and must be reopened; or writing\n"
    "       the output failed (the message says what was done all the same)\n"
    "    7  no space left on the device\n"
    "    8  input rejected: not JSON (--json), too big, bad topic, bad line\n"
    "    9  verification failed: a damaged record, a bad proof or signature, a rewritten\n"
    "       history\n"
    "   10  permission denied, or an unsafe file mode\n"
    "   11  bad configuration: unknown key or bad value\n"
    "   12  the store's format version is newer than this ltl\n"
    "   13  a wrong or missing key: cannot decrypt, sign or check\n"
    "   14  ltl mount: built without FUSE, or FUSE cannot be used here\n"
    "  130  interrupted (SIGINT)\n";

static int help_run(struct cli *cli, int argc, char **argv)
{
    if (argc < 2) {
        print_main_usage(stdout);
        return EXIT_OK;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        cli_usage(&cmd_help);
        return EXIT_OK;
    }
    if (strcmp(argv[1], "exit-codes") == 0) {
        fputs(exit_codes_text, stdout);
        return EXIT_OK;
    }
    const struct cli_command *cmd = find_command(argv[1]);
    if (!cmd)
        return cli_usage_error(cli, "no command '%s'", argv[1]);
    cli_usage(cmd);
    return EXIT_OK;
}

const struct cli_command cmd_help = {
    "help", help_run, "help on a command, or on exit codes ('ltl help exit-codes')",
    "usage: ltl help [COMMAND | exit-codes]\n"
    "\n"
    "Without an argument, list the commands. With a command, print its help.\n"
    "'ltl help exit-codes' lists the exit codes, which are stable.\n"};

/* ---- version ------------------------------------------------------------- */

static int version_run(struct cli *cli, int argc, char **argv)
{
    (void)cli;
    (void)argc;
    (void)argv;
    const ltl_build *b = ltl_build_info();
    printf("ltl %s\n", b->version);
    printf("commit:     %s\n", b->commit);
    printf("compiler:   %s\n", b->compiler);
    printf("build date: %s\n", b->date);
    printf("build type: %s\n", b->type);
    printf("options:    %s\n", b->options);
    return EXIT_OK;
}

const struct cli_command cmd_version = {"version", version_run, "print the build manifest",
                                        "usage: ltl version   (also: ltl --version, ltl -V)\n"
                                        "\n"
                                        "Print version, commit, compiler, build date and "
                                        "options.\n"};

/* ---- main ---------------------------------------------------------------- */

static void on_signal(int sig)
{
    (void)sig;
    cli_interrupted = 1;
}

int main(int argc, char **argv)
{
    struct cli cli = {.prog = argv[0], .durability = LTL_DURABILITY_DEFAULT};
    signal(SIGPIPE, SIG_IGN); /* a reader that went away is EPIPE: cli_out_fail() */
    struct sigaction sa = {0};
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    cli_out_init();

    /* Global options up to the command. */
    struct cli_args a = {argc, argv, 1, NULL, false};
    const char *arg = NULL;
    const struct cli_command *cmd = NULL;
    static const struct cli_opt top_opts[] = {{"version", 'V', false, 1}, {NULL, 0, false, 0}};
    int code = EXIT_OK;
    while (!cmd) {
        /* `ltl --append ...` means `ltl append ...`; --config stays the global
         * option (the config command is only `ltl config`) */
        if (a.index < argc && strncmp(argv[a.index], "--", 2) == 0 && !a.rest) {
            const struct cli_command *c = find_command(argv[a.index] + 2);
            if (c && c != &cmd_config) {
                cmd = c;
                a.index++;
                break;
            }
        }
        int id = cli_next(&cli, &a, top_opts, &arg);
        if (id == CLI_END) {
            print_main_usage(stderr);
            code = EXIT_USAGE;
            goto out;
        }
        if (id == CLI_ERROR) {
            code = EXIT_USAGE;
            goto out;
        }
        if (id == CLI_HELP) {
            print_main_usage(stdout);
            goto out;
        }
        if (id == 1) {
            cmd = &cmd_version;
            break;
        }
        if (id == CLI_POSITIONAL) {
            cmd = find_command(arg);
            if (!cmd) {
                code = cli_usage_error(&cli, "no command '%s'", arg);
                goto out;
            }
        }
    }
    cli.command = cmd->name;
    /* The command sees argv[0] = its name, then the rest. */
    int sub_argc = argc - a.index + 1;
    char **sub_argv = argv + a.index - 1;
    char *saved = sub_argv[0];
    sub_argv[0] = (char *)cmd->name;
    code = cmd->run(&cli, sub_argc, sub_argv);
    sub_argv[0] = saved;
out:
    /* every command's output, whatever wrote it, is checked here at the latest */
    code = cli_out_finish(&cli, code);
    free(cli.config);
    free(cli.binds);
    if (cli_interrupted && code == EXIT_OK)
        code = EXIT_INTERRUPTED;
    return code;
}
