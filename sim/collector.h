/* collector.h -- receives the trace streams of the traced processes and holds their step gates.
 *
 * The collector listens on a Unix socket in a fresh temporary folder (its path is what a lesson's
 * programs get as RPCSCOPE_TRACE) and, optionally, on one more address given by the user
 * (`--listen tcp:HOST:PORT` or a socket path) for programs started elsewhere. Each traced
 * process connects once; the collector reads its preamble and records as they arrive, without
 * ever blocking, and adds every record to the timeline. A connection that breaks the format
 * (rs_trace_decode() says why) is reported and closed; that process's gate then opens by itself.
 *
 *     sim_collector *c;  rs_error err = {0};
 *     if (sim_collector_create(NULL, tl, &c, &err) != RS_OK) die(err.message);
 *     setenv("RPCSCOPE_TRACE", sim_collector_path(c), 1);   // for the programs it starts
 *     while (running) {
 *         if (sim_collector_poll(c, 20, &err) != RS_OK) die(err.message);   // the timeline is full
 *         sim_stepper_tick(stepper, now);    // releases go through sim_collector_gate(c)
 *     }
 *     sim_collector_destroy(c);              // closes everything, removes the socket and folder
 *
 * The step gate. A process in step mode waits after each record until its seq is written back
 * (trace.h). The collector keeps the seq of each connection's latest record as "held" until the
 * stepper releases it (sim_collector_release()). A process not in step mode never reads
 * releases, so none may be written to it: the collector must know which processes wait. It
 * learns it three ways: sim_collector_expect() (the launcher knows how it started each pid);
 * otherwise it assumes a process waits until the process reports a second record while the
 * first is still held -- something only a process that does not wait can do -- and from then on
 * holds nothing for it. (A "step mode" flag in the preamble would make the guess unnecessary.)
 *
 * Costs: one poll() over the listeners and connections per call; each readable connection is
 * read up to SIM_COLLECTOR_READ_MAX bytes per call, so one chatty process cannot starve the
 * others; a connection buffers at most one record (RS_TRACE_RECORD_MAX) beyond what it decoded.
 */
#ifndef RPCSCOPE_SIM_COLLECTOR_H
#define RPCSCOPE_SIM_COLLECTOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "status.h"
#include "stepper.h"
#include "timeline.h"

#define SIM_COLLECTOR_MAX_CONNECTIONS 64
#define SIM_COLLECTOR_READ_MAX ((size_t)256 << 10)
#define SIM_COLLECTOR_SOCKET_NAME "trace.sock"

/* A field left 0 or NULL takes its default. */
typedef struct sim_collector_options {
    /* One more address to listen on: "tcp:HOST:PORT" (HOST an IPv4/IPv6 address or a name,
     * [V6] allowed) or a Unix socket path. NULL: only the temporary Unix socket. */
    const char *listen;
    size_t max_connections; /* default SIM_COLLECTOR_MAX_CONNECTIONS */
    /* News about connections ("server (pid 123): the stream is not an rpcscope trace"), one
     * sentence at a time. NULL: none. */
    void (*notice)(void *ctx, const char *sentence);
    void *notice_ctx;
} sim_collector_options;

typedef struct sim_collector sim_collector;

/* Makes the temporary socket (and the --listen one) and starts listening. RS_ERR_ADDRESS (address
 * in use, cannot resolve, no permission), RS_ERR_INVALID_ARG (a bad address), RS_ERR_IO; each
 * with a sentence in err. */
RS_MUST_CHECK rs_status sim_collector_create(const sim_collector_options *options,
                                             sim_timeline *tl, sim_collector **out, rs_error *err);

/* Closes every connection (their gates open), removes the temporary socket and folder (and a
 * --listen socket path it made), frees. NULL is fine. */
void sim_collector_destroy(sim_collector *c);

/* The temporary Unix socket: the value for RPCSCOPE_TRACE. */
const char *sim_collector_path(const sim_collector *c);

/* The --listen address as bound ("tcp:127.0.0.1:4800", with the real port if 0 was asked), or
 * NULL when there is none. */
const char *sim_collector_listen_address(const sim_collector *c);

/* Waits up to timeout_ms (0: not at all) for something to happen, then accepts, reads, decodes
 * and adds to the timeline what arrived, writes pending releases, and expires receives that
 * waited too long for their send. Returns RS_OK, or the timeline's failure (RS_ERR_LIMIT,
 * RS_ERR_NOMEM) when a record could not be added: then every connection has been closed, so
 * that no process waits on a session that can no longer follow it. */
RS_MUST_CHECK rs_status sim_collector_poll(sim_collector *c, int timeout_ms, rs_error *err);

/* Process `pid` was started with (step) or without RPCSCOPE_STEP=1. Call before or after it
 * connects. */
void sim_collector_expect(sim_collector *c, uint32_t pid, bool step);

/* The seq process `pid` waits on, 0 if it waits on nothing (or is not connected). */
uint64_t sim_collector_held(const sim_collector *c, uint32_t pid);

/* Writes the release of `seq`, with its verdict (trace.h), to process `pid`, if that is what it
 * waits on; otherwise does nothing. A process that announced format version 1 gets the seq
 * alone: it knows no verdicts. */
void sim_collector_release(sim_collector *c, uint32_t pid, uint64_t seq, rs_trace_verdict v);

/* The gate the stepper uses: sim_collector_held() and sim_collector_release(). */
sim_gate sim_collector_gate(sim_collector *c);

/* Connections open now, and connections ever accepted. */
size_t sim_collector_open_count(const sim_collector *c);
size_t sim_collector_accepted(const sim_collector *c);

/* Closes every trace connection: all gates open, processes run on untraced. */
void sim_collector_close_all(sim_collector *c);

#endif
