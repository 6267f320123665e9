/* timeline.h -- the events of every traced process of a session, merged into one causal order.
 *
 * The collector (or a recording) hands each decoded record to sim_timeline_add(); the timeline
 * copies it -- strings and bytes -- checks the process's sequence numbers, and places it. Each
 * process's events keep their seq order. A PDU_RECEIVED is held back until the PDU_SENT with the
 * same bytes from another process has been placed, so a receive never comes before its send,
 * whatever the processes' clocks say (they may run on different hosts with unrelated clocks);
 * the receive is then paired with that send, which is what the window draws as an arrow.
 *
 *     sim_timeline *tl;  rs_error err = {0};
 *     if (sim_timeline_create(NULL, &tl) != RS_OK) die("out of memory");
 *     if (sim_timeline_add(tl, &decoded, now_ns, &err) != RS_OK) puts(err.message);
 *     for (size_t i = 0; i < sim_timeline_count(tl); i++)
 *         show(sim_timeline_at(tl, i));          // index i never changes: events are appended
 *     sim_timeline_destroy(tl);
 *
 * Causal order, exactly: an event is placed when every earlier event of its process is placed
 * and, for a PDU_RECEIVED, when an unpaired PDU_SENT of the same bytes from another process is
 * placed (the earliest such; when both events name TCP endpoints -- rs_trace_endpoints() -- the
 * send's must be the receive's own reversed, so that identical binds from several clients each
 * pair with their own). A
 * receive whose send never comes (its sender is not traced) is placed unpaired once it has
 * waited options.hold_ns (sim_timeline_expire()), or at sim_timeline_flush(). Events that wait
 * for nothing are placed as they arrive, so on one host the order is also the arrival order.
 *
 * A recording is already in causal order: a timeline made with options.ordered places each event
 * as it is added and pairs it the same way, so a replay has the same indices, pairs and text as
 * the live session it recorded.
 *
 * Sequence numbers: a process's first event may have any seq (a sink opened later starts higher);
 * after it, seq must grow. A jump forward is accepted and kept as `missing` on the event after
 * the gap (events were lost); a seq that does not grow is a duplicate or a reordering and is
 * refused with RS_ERR_PROTOCOL.
 *
 * Memory is bounded: options.max_events events and options.max_bytes bytes (each event's copy,
 * waiting ones included); past them sim_timeline_add() fails with RS_ERR_LIMIT and a sentence
 * naming the limit, and the timeline stays as it was. Costs: placing is O(1) per event plus the
 * matching of a receive against the unpaired sends with the same hash, usually one.
 *
 * Threads: none; the owner (the collector's loop, or the window's frame) calls it.
 */
#ifndef RPCSCOPE_SIM_TIMELINE_H
#define RPCSCOPE_SIM_TIMELINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "status.h"
#include "trace.h"

#define SIM_NONE SIZE_MAX /* "no index" */

#define SIM_TIMELINE_DEFAULT_MAX_EVENTS ((size_t)1000000)
#define SIM_TIMELINE_DEFAULT_MAX_BYTES ((size_t)512 << 20)
#define SIM_TIMELINE_DEFAULT_HOLD_NS ((uint64_t)2000000000) /* 2 s */
#define SIM_PROCESS_NAME_MAX 32
#define SIM_PROGRAM_MAX 256

/* A field left 0 takes its default. */
typedef struct sim_timeline_options {
    size_t max_events; /* events held, placed and waiting; default 1,000,000 */
    size_t max_bytes;  /* bytes of their copies; default 512 MiB */
    uint64_t hold_ns;  /* how long a receive waits for its send; default 2 s */
    bool ordered;      /* the input is already in causal order (a recording): place as added */
} sim_timeline_options;

/* One placed event. Its strings (never NULL) and bytes belong to the timeline and live as long
 * as it does. */
typedef struct sim_event {
    rs_trace_event ev;
    size_t index;     /* its place in the timeline */
    size_t process;   /* index into the process table (sim_timeline_process()) */
    size_t pair;      /* PDU_RECEIVED: the PDU_SENT it pairs with; PDU_SENT: its receive, once
                         placed; SIM_NONE otherwise */
    uint64_t missing; /* events of this process lost just before this one (a seq gap); usually 0 */
} sim_event;

/* One traced process. Processes are numbered in the order they first reach the timeline. */
typedef struct sim_process {
    uint32_t pid;
    rs_trace_role role;   /* the first nonzero role among its placed events; 0 until then */
    size_t role_index;    /* the index of the event that decided the role; SIM_NONE before */
    unsigned order;       /* 1, 2, ...: when its first event was placed; 0 before */
    unsigned ordinal;     /* 1 for the first process of its role, 2 for the second, ... */
    char name[SIM_PROCESS_NAME_MAX]; /* "client", "server", "client#2"; "process#N" before the
                                        role is known (N = order) */
    char program[SIM_PROGRAM_MAX];   /* what the launcher started, "" if it is not known */
    size_t first_index;   /* its first and last placed events; SIM_NONE before */
    size_t last_index;
    uint64_t last_seq;    /* the seq of the last event that arrived (placed or waiting) */
    size_t placed;        /* events placed */
    size_t waiting;       /* events that arrived and wait to be placed */
    bool ended;           /* its stream closed (sim_timeline_end_process()) */
} sim_process;

typedef struct sim_timeline sim_timeline;

sim_timeline_options sim_timeline_default_options(void);

/* An empty timeline. `options` may be NULL for the defaults. RS_ERR_NOMEM. */
RS_MUST_CHECK rs_status sim_timeline_create(const sim_timeline_options *options,
                                            sim_timeline **out);
void sim_timeline_destroy(sim_timeline *tl);

/* Copies `ev` in and places it, and anything it unblocks, as causal order allows. `now_ns` is
 * when it arrived (monotonic; it only counts against options.hold_ns). RS_ERR_PROTOCOL for a seq
 * that does not grow, RS_ERR_LIMIT past a limit, RS_ERR_NOMEM; each with a sentence in err and
 * the timeline unchanged. */
RS_MUST_CHECK rs_status sim_timeline_add(sim_timeline *tl, const rs_trace_event *ev,
                                         uint64_t now_ns, rs_error *err);

/* Places, unpaired, every receive that has waited for its send since before now_ns - hold_ns,
 * and what waited behind it. Returns how many events were placed. */
size_t sim_timeline_expire(sim_timeline *tl, uint64_t now_ns);

/* Places everything that waits, receives unpaired, in the order they arrived. For the end of a
 * session. Returns how many events were placed. */
size_t sim_timeline_flush(sim_timeline *tl);

/* Events placed so far, and event i (i < count). */
size_t sim_timeline_count(const sim_timeline *tl);
const sim_event *sim_timeline_at(const sim_timeline *tl, size_t i);

/* Events that arrived but wait to be placed. */
size_t sim_timeline_waiting(const sim_timeline *tl);

/* Bytes the timeline holds (what counts against max_bytes). */
size_t sim_timeline_bytes(const sim_timeline *tl);

/* The process table: processes that have sent at least one event or were announced. */
size_t sim_timeline_process_count(const sim_timeline *tl);
const sim_process *sim_timeline_process(const sim_timeline *tl, size_t i);

/* The table index of the process with this pid, SIM_NONE if there is none. */
size_t sim_timeline_find_process(const sim_timeline *tl, uint32_t pid);

/* Says what program a pid is ("hello/server"), before or after its first event. RS_ERR_NOMEM. */
RS_MUST_CHECK rs_status sim_timeline_set_program(sim_timeline *tl, uint32_t pid,
                                                 const char *program);

/* The process's stream closed: no more events will come from it. */
void sim_timeline_end_process(sim_timeline *tl, uint32_t pid);

/* The name of event i's process as it stood when event i was placed: "client", "server#2", or
 * "process#N" when the role was not yet known. The same timeline always gives the same names. */
const char *sim_timeline_process_name(const sim_timeline *tl, size_t i);

/* ---- names for people ------------------------------------------------------------------------ */

/* One short verb per kind, as the text view and lesson scripts spell it: "call", "return",
 * "read", "write", "marshal", "unmarshal", "convert", "build", "send", "receive", "reassemble",
 * "dispatch", "enter", "leave", "fault", "error", "timeout", "connect", "accept", "listen",
 * "bind", "bind_ack", "bind_nak", "close". "?" outside the table. */
const char *sim_kind_verb(rs_trace_kind k);

/* The kind a word names: a verb above or a kind's own name (NDR_PUT, ndr_put), any case.
 * RS_TRACE_KIND_NONE when it names none. */
rs_trace_kind sim_kind_parse(const char *word, size_t len);

#endif
