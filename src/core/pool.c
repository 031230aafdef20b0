/* SPDX-License-Identifier: MIT */
/*
 * pool.c — the worker pool (the design notes' "coworker"): a fixed set of
 * threads taking tasks from a FIFO queue. Callers submit tasks, wait for
 * all of them (with a timeout), cancel the ones not started, and read
 * progress. A task returns LTL_OK or an error; the pool keeps the first
 * error (and its message) and cancels the rest, so one failing segment
 * stops a verify early.
 */
#include "core/core.h"

#include <pthread.h>
#include <stdio.h>
#include <time.h>

struct task {
    ltl__task_fn fn;
    void *arg;
    struct task *next;
};

struct ltl__pool {
    pthread_mutex_t mu;
    pthread_cond_t work; /* a task was queued, or shutdown */
    pthread_cond_t idle; /* a task finished */
    struct task *head, *tail;
    pthread_t *threads;
    unsigned nthreads;
    uint64_t submitted, finished;
    unsigned running;
    bool cancelled, shutdown;
    int first_error;
    char first_message[LTL__LOG_LINE_MAX];
};

static void *worker(void *arg)
{
    struct ltl__pool *p = arg;
    pthread_mutex_lock(&p->mu);
    for (;;) {
        while (!p->head && !p->shutdown)
            pthread_cond_wait(&p->work, &p->mu);
        if (!p->head)
            break;
        struct task *t = p->head;
        p->head = t->next;
        if (!p->head)
            p->tail = NULL;
        p->running++;
        bool skip = p->cancelled;
        pthread_mutex_unlock(&p->mu);
        int rc = LTL_OK;
        if (!skip) {
            ltl__err_begin();
            rc = t->fn(t->arg);
        }
        ltl__free(t);
        pthread_mutex_lock(&p->mu);
        if (rc != LTL_OK && p->first_error == LTL_OK) {
            p->first_error = rc;
            const char *msg = ltl__err_current();
            snprintf(p->first_message, sizeof(p->first_message), "%s", msg);
            p->cancelled = true; /* the rest would only be wasted work */
        }
        p->running--;
        p->finished++;
        pthread_cond_broadcast(&p->idle);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

int ltl__pool_new(struct ltl__pool **out, unsigned threads)
{
    *out = NULL;
    if (threads == 0)
        threads = 1;
    struct ltl__pool *p = ltl__calloc(1, sizeof(*p));
    if (!p)
        return ltl__errf(LTL_ENOMEM, "out of memory");
    p->threads = ltl__calloc(threads, sizeof(*p->threads));
    if (!p->threads) {
        ltl__free(p);
        return ltl__errf(LTL_ENOMEM, "out of memory");
    }
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->work, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&p->idle, &ca);
    pthread_condattr_destroy(&ca);
    for (unsigned i = 0; i < threads; i++) {
        if (pthread_create(&p->threads[i], NULL, worker, p) != 0)
            break;
        p->nthreads++;
    }
    if (p->nthreads == 0) {
        ltl__pool_free(p);
        return ltl__errf(LTL_ENOMEM, "cannot start worker threads");
    }
    *out = p;
    return LTL_OK;
}

int ltl__pool_submit(struct ltl__pool *p, ltl__task_fn fn, void *arg)
{
    struct task *t = ltl__malloc(sizeof(*t));
    if (!t)
        return ltl__errf(LTL_ENOMEM, "out of memory");
    *t = (struct task){fn, arg, NULL};
    pthread_mutex_lock(&p->mu);
    if (p->tail)
        p->tail->next = t;
    else
        p->head = t;
    p->tail = t;
    p->submitted++;
    pthread_cond_signal(&p->work);
    pthread_mutex_unlock(&p->mu);
    return LTL_OK;
}

int ltl__pool_wait(struct ltl__pool *p, int64_t timeout_ns)
{
    struct timespec deadline;
    clock_gettime(CLOCK_MONOTONIC, &deadline);
    if (timeout_ns >= 0) {
        int64_t ns = deadline.tv_nsec + timeout_ns % 1000000000;
        deadline.tv_sec += (time_t)(timeout_ns / 1000000000 + ns / 1000000000);
        deadline.tv_nsec = ns % 1000000000;
    }
    int rc = LTL_OK;
    pthread_mutex_lock(&p->mu);
    while (p->finished < p->submitted) {
        if (timeout_ns < 0) {
            pthread_cond_wait(&p->idle, &p->mu);
        } else if (pthread_cond_timedwait(&p->idle, &p->mu, &deadline) != 0 &&
                   p->finished < p->submitted) {
            rc = ltl__errf(LTL_ETIMEOUT, "%llu of %llu tasks unfinished after the timeout",
                           (unsigned long long)(p->submitted - p->finished),
                           (unsigned long long)p->submitted);
            break;
        }
    }
    if (rc == LTL_OK && p->first_error != LTL_OK)
        rc = ltl__errf(p->first_error, "%s", p->first_message);
    pthread_mutex_unlock(&p->mu);
    return rc;
}

void ltl__pool_cancel(struct ltl__pool *p)
{
    pthread_mutex_lock(&p->mu);
    p->cancelled = true;
    pthread_mutex_unlock(&p->mu);
}

bool ltl__pool_cancelled(struct ltl__pool *p)
{
    pthread_mutex_lock(&p->mu);
    bool c = p->cancelled;
    pthread_mutex_unlock(&p->mu);
    return c;
}

void ltl__pool_progress(struct ltl__pool *p, uint64_t *done, uint64_t *total)
{
    pthread_mutex_lock(&p->mu);
    *done = p->finished;
    *total = p->submitted;
    pthread_mutex_unlock(&p->mu);
}

void ltl__pool_free(struct ltl__pool *p)
{
    if (!p)
        return;
    pthread_mutex_lock(&p->mu);
    p->cancelled = true;
    p->shutdown = true;
    pthread_cond_broadcast(&p->work);
    pthread_mutex_unlock(&p->mu);
    for (unsigned i = 0; i < p->nthreads; i++)
        pthread_join(p->threads[i], NULL);
    while (p->head) { /* never started: cancelled before a thread took them */
        struct task *t = p->head;
        p->head = t->next;
        ltl__free(t);
    }
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->work);
    pthread_cond_destroy(&p->idle);
    ltl__free(p->threads);
    ltl__free(p);
}
