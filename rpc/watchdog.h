/* watchdog.h -- cuts a blocking wait off at its deadline, so that waiting for a peer arms no
 * kernel timer.
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
 *     bool watched = rs_watch_begin(&w, RS_WATCH_SHUTDOWN, fd, deadline); // rs_clock_ns() time
 *     ssize_t n = recv(fd, buf, size, watched ? 0 : MSG_DONTWAIT);
 *     if (watched && rs_watch_end(&w)) ...   // the deadline passed; fd is shut down
 *
 * Deadlines are in the runtime's clock (rs_trace_clock_ns(), which stands still while a trace step
 * gate holds the process): the watchdog reads that clock when it wakes, and sleeps on while a gate
 * holds the process. Costs per watch: two uncontended mutex locks, and a wake-up of the watchdog
 * only when the new deadline is earlier than every other (rare: a program's calls share one
 * timeout). O(watches in progress) per wake-up of the watchdog.
 */
#ifndef RPCSCOPE_WATCHDOG_H
#define RPCSCOPE_WATCHDOG_H

#include <stdbool.h>
#include <stdint.h>

/* What the watchdog does at the deadline: shut the socket down (both ways), or write one byte
 * into the pipe whose write end fd is (non-blocking; a full pipe has a byte to wake on already). */
typedef enum { RS_WATCH_SHUTDOWN, RS_WATCH_RING } rs_watch_action;

typedef struct rs_watch {
    rs_watch_action action;
    int fd;
    int64_t deadline;
    bool fired; /* under the watchdog's lock */
    struct rs_watch *prev, *next;
} rs_watch;

/* Watches fd until rs_watch_end(): past `deadline`, the watchdog does `action` to it. False when
 * there is no watchdog (its thread could not start): then nothing is watched, and the caller
 * must wait some other way (poll() with a timeout). */
bool rs_watch_begin(rs_watch *w, rs_watch_action action, int fd, int64_t deadline);

/* Stops watching. True when the deadline passed first and the action was done. */
bool rs_watch_end(rs_watch *w);

#endif
