/* watchdog.c -- one thread that ends waits past their deadline. See watchdog.h.
 *
 * The watches in progress are a doubly linked list under one lock; the thread sleeps on a
 * condition variable (CLOCK_MONOTONIC) until the earliest deadline, and is signalled only when a
 * new watch is due before the time it sleeps to. A call (RS_WATCH_CALL) is made with the lock
 * released, so that the function may take locks of its own, and may begin and end watches. */
#include "watchdog.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define NS_PER_S INT64_C(1000000000)

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake;          /* CLOCK_MONOTONIC; made by start() */
static bool started;                 /* the thread runs (in this process: reset at fork) */
static bool start_failed;            /* it could not start, or the process exits: no watches */
static bool quit;                    /* the process exits: the thread returns */
static bool calling;                 /* the thread is in a watch's function, the lock released */
static pthread_t thread;
static rs_watch *watches;            /* in progress, newest first */
static int64_t sleeping_until = -1;  /* the deadline the thread sleeps to; -1: none, INT64_MAX: for ever */

int64_t rs_watch_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * NS_PER_S + ts.tv_nsec;
}

static void unlink_watch(rs_watch *w)
{
    if (w->prev != NULL)
        w->prev->next = w->next;
    else
        watches = w->next;
    if (w->next != NULL)
        w->next->prev = w->prev;
    w->listed = false;
}

/* Fires every watch past its deadline; returns the earliest deadline left (INT64_MAX: none).
 * Under the lock; a call is made with it released, after which the list is looked at afresh. */
static int64_t fire_due(void)
{
again:
    if (quit)
        return INT64_MAX; /* the process exits: nothing more is done */
    int64_t now = rs_watch_now();
    int64_t next = INT64_MAX;
    for (rs_watch *w = watches; w != NULL; w = w->next) {
        if (w->fired)
            continue;
        if (w->deadline > now) {
            if (w->deadline < next)
                next = w->deadline;
            continue;
        }
        w->fired = true;
        if (w->action == RS_WATCH_SHUTDOWN) {
            (void)shutdown(w->fd, SHUT_RDWR); /* the blocked recv() returns */
        } else if (w->action == RS_WATCH_RING) {
            char byte = 1;
            ssize_t n = write(w->fd, &byte, 1); /* the poll() returns */
            (void)n;
        } else {
            void (*fn)(void) = w->fn;
            unlink_watch(w); /* done with: its owner may begin it again at once */
            calling = true;
            pthread_mutex_unlock(&lock);
            fn();
            pthread_mutex_lock(&lock);
            calling = false;
            goto again; /* the list, and quit, may have changed meanwhile */
        }
    }
    return next;
}

static void *watchdog_main(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&lock);
    while (!quit) {
        int64_t next = fire_due();
        if (quit)
            break; /* set while a call had the lock released: its signal came before this wait */
        sleeping_until = next;
        if (next == INT64_MAX) {
            pthread_cond_wait(&wake, &lock);
            continue;
        }
        struct timespec ts = {.tv_sec = (time_t)(next / NS_PER_S),
                              .tv_nsec = (long)(next % NS_PER_S)};
        (void)pthread_cond_timedwait(&wake, &lock, &ts);
    }
    pthread_mutex_unlock(&lock);
    return NULL;
}

/* At exit the thread is stopped and joined, so that the process ends with no thread of ours
 * (and memory checkers see nothing left behind); from then on no watch fires. A wait begun after
 * that is not watched: it polls with a timeout instead (rs_watch_begin() returns false). */
static void stop_at_exit(void)
{
    pthread_mutex_lock(&lock);
    /* A thread inside a watch's function may be waiting for a lock the exiting program holds
     * (the trace's, say): then it is not waited for, and the process ends around it. */
    bool join = started && !calling;
    quit = true;
    start_failed = true;
    pthread_cond_signal(&wake);
    pthread_mutex_unlock(&lock);
    if (join)
        pthread_join(thread, NULL);
}

/* In a child after fork() the thread is gone, and the lock may have been held by a thread that
 * is gone too: both start afresh. The child's own watches (none can be in progress in the one
 * thread that forked) begin on an empty list. */
static void after_fork_in_child(void)
{
    pthread_mutex_init(&lock, NULL);
    started = false;
    start_failed = false;
    quit = false;
    calling = false;
    watches = NULL;
    sleeping_until = -1;
}

/* Starts the thread, with every signal blocked in it (signals are the program's threads' to
 * take). Under the lock. */
static bool start(void)
{
    static bool handlers; /* once per process image: a child inherits them */
    if (!handlers) {
        if (pthread_atfork(NULL, NULL, after_fork_in_child) != 0 || atexit(stop_at_exit) != 0)
            return false;
        handlers = true;
    }
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&wake, &attr);
    pthread_condattr_destroy(&attr);

    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    pthread_attr_t tattr;
    pthread_attr_init(&tattr);
    pthread_attr_setstacksize(&tattr, 64 * 1024);
    int rc = pthread_create(&thread, &tattr, watchdog_main, NULL);
    pthread_attr_destroy(&tattr);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return rc == 0;
}

static bool watch(rs_watch *w, rs_watch_action action, int fd, void (*fn)(void), int64_t deadline)
{
    pthread_mutex_lock(&lock);
    if (!started && !start_failed) {
        started = start();
        start_failed = !started;
    }
    if (!started) {
        pthread_mutex_unlock(&lock);
        return false;
    }
    w->action = action;
    w->fd = fd;
    w->fn = fn;
    w->deadline = deadline;
    w->fired = false;
    w->listed = true;
    w->prev = NULL;
    w->next = watches;
    if (watches != NULL)
        watches->prev = w;
    watches = w;
    if (deadline < sleeping_until || sleeping_until < 0)
        pthread_cond_signal(&wake); /* due before the thread would wake: it looks again */
    pthread_mutex_unlock(&lock);
    return true;
}

bool rs_watch_begin(rs_watch *w, rs_watch_action action, int fd, int64_t deadline)
{
    return watch(w, action, fd, NULL, deadline);
}

bool rs_watch_call(rs_watch *w, void (*fn)(void), int64_t deadline)
{
    return watch(w, RS_WATCH_CALL, -1, fn, deadline);
}

bool rs_watch_end(rs_watch *w)
{
    pthread_mutex_lock(&lock);
    if (w->listed)
        unlink_watch(w);
    bool fired = w->fired;
    pthread_mutex_unlock(&lock);
    return fired;
}
