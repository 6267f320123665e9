/* watchdog.h -- ends a blocking wait at its deadline, so that waiting for a peer arms no kernel
 * timer; and calls a function at a deadline (the trace's buffered events go out that way).
 *
 * A read with a deadline could wait in poll() with a timeout, or in recv() with SO_RCVTIMEO; both
 * arm a kernel timer on every wait, and on a loopback round trip that costs about as much as a
 * system call (0.25-0.3 us per wait here, `make bench` era measurements in the issue note). So a
 * read waits in a plain blocking recv() instead, and one thread per process, started by the first
 * watch, sleeps until the earliest deadline among the reads in progress. A read still waiting
 * then has its socket shut down (shutdown(SHUT_RDWR)): its recv() returns, and the reader, told by
 * rs_watch_end() that its watch fired, reports the timeout. The connection is unusable after
 * that, as it is after any timeout in this runtime (a late answer must not be taken for the next
 * call's). A wait in poll() that must end without closing anything is rung instead: the watchdog
 * writes one byte into a pipe the waiter polls too (RS_WATCH_RING).
 *
 *     rs_watch w;
 *     bool watched = rs_watch_begin(&w, RS_WATCH_SHUTDOWN, fd, rs_watch_now() + timeout_ns);
 *     ssize_t n = recv(fd, buf, size, watched ? 0 : MSG_DONTWAIT);
 *     if (watched && rs_watch_end(&w)) ...   // the deadline passed; fd is shut down
 *
 * Deadlines are CLOCK_MONOTONIC times (rs_watch_now()): real time. The runtime's own clock stands
 * still while a trace step gate holds the process (trace.h), so the transport watches a wait only
 * when no gate can (rs_trace_may_pause()); otherwise it polls, as a gate may stretch any wait.
 * Costs per watch: two uncontended mutex locks, and a wake-up of the watchdog only when the new
 * deadline is earlier than every other (rare: a program's calls share one timeout). O(watches in
 * progress) per wake-up of the watchdog.
 */
#ifndef RPCSCOPE_WATCHDOG_H
#define RPCSCOPE_WATCHDOG_H

#include <stdbool.h>
#include <stdint.h>

/* What the watchdog does at the deadline: shut the socket down (both ways); write one byte into
 * the pipe whose write end fd is (non-blocking; a full pipe has a byte to wake on already); or
 * call a function (rs_watch_call()), from the watchdog's thread, with no lock of the watchdog's
 * held. */
typedef enum { RS_WATCH_SHUTDOWN, RS_WATCH_RING, RS_WATCH_CALL } rs_watch_action;

typedef struct rs_watch {
    rs_watch_action action;
    int fd;
    void (*fn)(void);
    int64_t deadline;
    bool fired;  /* under the watchdog's lock */
    bool listed; /* in the watchdog's list: from begin to end, or to the call */
    struct rs_watch *prev, *next;
} rs_watch;

/* CLOCK_MONOTONIC, in nanoseconds: the clock of every deadline here. */
int64_t rs_watch_now(void);

/* Watches fd until rs_watch_end(): past `deadline`, the watchdog does `action` to it. False when
 * there is no watchdog (its thread could not start): then nothing is watched, and the caller
 * must wait some other way (poll() with a timeout). */
bool rs_watch_begin(rs_watch *w, rs_watch_action action, int fd, int64_t deadline);

/* Calls fn() once at `deadline`, unless rs_watch_end() comes first. A call is one-shot: the
 * watch is over when fn() starts, so fn() may begin it again (and rs_watch_end() after that is
 * harmless). False when there is no watchdog. */
bool rs_watch_call(rs_watch *w, void (*fn)(void), int64_t deadline);

/* Stops watching. True when the deadline passed first and the action was done (or begun: a call
 * may still be running on the watchdog's thread). */
bool rs_watch_end(rs_watch *w);

#endif
