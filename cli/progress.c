/* SPDX-License-Identifier: MIT */
/*
 * progress.c — the progress bar of long commands (verify, import, ...): on
 * standard error, only when it is a terminal and not -q, redrawn at most
 * ten times a second, with the rate and the time left, and erased at the end.
 */
#include "cli.h"

#include <time.h>
#include <unistd.h>

static int64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void human_size(char *buf, size_t len, double bytes)
{
    const char *unit[] = {"B", "KB", "MB", "GB", "TB"};
    int u = 0;
    while (bytes >= 1000 && u < 4) {
        bytes /= 1000;
        u++;
    }
    snprintf(buf, len, u ? "%.1f %s" : "%.0f %s", bytes, unit[u]);
}

void cli_progress_init(struct cli_progress *p, const struct cli *cli, const char *label)
{
    *p = (struct cli_progress){0};
    p->enabled = isatty(STDERR_FILENO) && cli->verbosity >= 0;
    p->label = label;
    p->start = mono_ns();
}

void cli_progress_update(struct cli_progress *p, uint64_t done, uint64_t total)
{
    if (!p->enabled)
        return;
    int64_t now = mono_ns();
    /* nothing for quick work; then at most ten redraws a second */
    if (now - p->start < 300000000 || now - p->last < 100000000)
        return;
    p->last = now;
    p->shown = true;
    char d[32], rate[32], eta[32] = "";
    double secs = (double)(now - p->start) / 1e9;
    double per_s = secs > 0 ? (double)done / secs : 0;
    human_size(d, sizeof(d), (double)done);
    human_size(rate, sizeof(rate), per_s);
    if (total && done <= total && per_s > 0) {
        long left = (long)((double)(total - done) / per_s);
        snprintf(eta, sizeof(eta), "  ETA %ld:%02ld", left / 60, left % 60);
    }
    if (total) {
        char t[32], bar[31];
        human_size(t, sizeof(t), (double)total);
        double frac = done >= total ? 1.0 : (double)done / (double)total;
        int fill = (int)(frac * 30);
        for (int i = 0; i < 30; i++)
            bar[i] = i < fill ? '#' : '.';
        bar[30] = '\0';
        fprintf(stderr, "\r%s [%s] %3.0f%%  %s / %s  %s/s%s\033[K", p->label, bar, frac * 100, d, t,
                rate, eta);
    } else {
        fprintf(stderr, "\r%s  %s  %s/s\033[K", p->label, d, rate);
    }
    fflush(stderr);
}

void cli_progress_end(struct cli_progress *p)
{
    if (p->enabled && p->shown) {
        fputs("\r\033[K", stderr);
        fflush(stderr);
    }
    p->shown = false;
}
