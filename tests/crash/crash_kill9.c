/* SPDX-License-Identifier: MIT */
/*
 * crash_kill9.c — a kill -9 loop against `ltl append --paranoid --print-seq`:
 * lines stream into the real command, which prints each seq once it is
 * acknowledged; the process is killed at a random moment. Every seq it
 * printed must be in the store with its line, after every kill, and the
 * store must reopen and take appends. LTL_BIN names the binary.
 */
#include "crashutil.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define ROUNDS    20
#define MAX_LINES 4000

struct acked {
    uint64_t seq;
    int round, line;
};

static struct acked acks[ROUNDS * MAX_LINES];
static size_t nacks;

static uint64_t rng = 88172645463325252ULL;

static uint64_t next_rand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static void one_round(const char *bin, const char *dir, int round)
{
    int in[2], out[2];
    assert_int_equal(pipe(in), 0);
    assert_int_equal(pipe(out), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        dup2(in[0], 0);
        dup2(out[1], 1);
        close(in[1]);
        close(out[0]);
        execl(bin, bin, "--store", dir, "--paranoid", "--config", "segment.size=64K", "append",
              "--print-seq", (char *)NULL);
        _exit(127);
    }
    close(in[0]);
    close(out[1]);
    fcntl(out[0], F_SETFL, O_NONBLOCK);
    char pending[65536];
    size_t plen = 0;
    int line = 0, acked_lines = 0;
    /* most rounds kill a writer that is running (the first line acknowledged:
     * a sanitizer build starts slowly); every fourth may kill it while it
     * starts or recovers */
    if (round % 4 != 3) {
        char first[96];
        int n = snprintf(first, sizeof(first), "round %d line %d \n", round, line);
        assert_int_equal(write(in[1], first, (size_t)n), n);
        line++;
        for (int waited = 0; waited < 20000 && !memchr(pending, '\n', plen); waited++) {
            ssize_t got = read(out[0], pending + plen, sizeof(pending) - plen - 1);
            if (got > 0)
                plen += (size_t)got;
            else
                usleep(1000);
        }
    }
    /* stream lines; kill after a random time */
    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    long kill_after_us = 2000 + (long)(next_rand() % 60000);
    for (;;) {
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        long us = (now.tv_sec - start.tv_sec) * 1000000 + (now.tv_nsec - start.tv_nsec) / 1000;
        if (us >= kill_after_us)
            break;
        /* bursts of lines with pauses, so the kill lands in every phase:
         * reading, appending, syncing, printing */
        int burst = 1 + (int)(next_rand() % 40);
        for (int b = 0; b < burst && line < MAX_LINES; b++) {
            char msg[96];
            int n = snprintf(msg, sizeof(msg), "round %d line %d %.*s\n", round, line,
                             (int)(next_rand() % 40), "padpadpadpadpadpadpadpadpadpadpadpadpadpad");
            if (write(in[1], msg, (size_t)n) != n)
                break;
            line++;
        }
        ssize_t got = read(out[0], pending + plen, sizeof(pending) - plen - 1);
        if (got > 0)
            plen += (size_t)got;
        usleep((useconds_t)(next_rand() % 400));
    }
    kill(pid, SIGKILL);
    int status;
    waitpid(pid, &status, 0);
    assert_true(WIFSIGNALED(status) || WIFEXITED(status));
    close(in[1]);
    /* what it printed before it died is in the pipe */
    ssize_t got;
    while ((got = read(out[0], pending + plen, sizeof(pending) - plen - 1)) > 0)
        plen += (size_t)got;
    close(out[0]);
    pending[plen] = '\0';
    /* the k-th printed seq acknowledges the k-th line (complete lines only) */
    char *p = pending;
    char *nl;
    while ((nl = strchr(p, '\n')) != NULL) {
        *nl = '\0';
        acks[nacks++] = (struct acked){strtoull(p, NULL, 10), round, acked_lines++};
        p = nl + 1;
    }
    print_message("round %d: %d lines sent, %d acknowledged before kill -9\n", round, line,
                  acked_lines);
}

static void check_all_acked(const char *dir)
{
    int rc;
    ltl_db *db = cu_open(dir, ltl__io_real(), 0, LTL_OPEN_READONLY, NULL, &rc);
    if (!db) {
        /* killed before it created the store: then it acknowledged nothing */
        assert_int_equal(rc, LTL_ENOTFOUND);
        assert_int_equal(nacks, 0);
        return;
    }
    for (size_t i = 0; i < nacks; i++) {
        ltl_record *rec;
        if (ltl_get(&rec, db, acks[i].seq) != LTL_OK)
            fail_msg("acknowledged seq %" PRIu64 " (round %d line %d) is missing: %s", acks[i].seq,
                     acks[i].round, acks[i].line, ltl_errmsg(db));
        char want[64];
        int n = snprintf(want, sizeof(want), "round %d line %d ", acks[i].round, acks[i].line);
        assert_true(rec->len >= (size_t)n);
        assert_memory_equal(rec->data, want, (size_t)n);
        ltl_record_free(rec);
    }
    ltl_close(db);
}

static void kill9_loop(void **state)
{
    (void)state;
    const char *bin = getenv("LTL_BIN");
    if (!bin || access(bin, X_OK) != 0) {
        print_message("LTL_BIN not set or not executable: skipped\n");
        skip();
    }
    signal(SIGPIPE, SIG_IGN);
    char *base = tu_tmpdir();
    char *dir = tu_path(base, "store");
    for (int round = 0; round < ROUNDS; round++) {
        one_round(bin, dir, round);
        check_all_acked(dir); /* a reader, before any recovery */
    }
    /* a writer recovers whatever tail the kills left; nothing acknowledged goes */
    ltl_db *db = cu_open(dir, ltl__io_real(), LTL_PARANOID, 0, NULL, NULL);
    assert_int_equal(ltl_append(NULL, db, NULL, "after", 5, 0), LTL_OK);
    assert_int_equal(ltl_close(db), LTL_OK);
    check_all_acked(dir);
    assert_true(nacks > 0);
    free(dir);
    free(base);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(kill9_loop)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
