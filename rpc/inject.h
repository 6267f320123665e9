/* inject.h -- fault injection: a lesson's scenario, read from the environment, and the answers to
 * the runtime's questions about it ("hold this PDU, and how long?", "close before executing this
 * call?"), so that the real runtime shows what a real DCE/RPC runtime does when things go wrong.
 *
 * (This module is not in the design's first table. The scenario reaches the client and the server
 * through their environment, and both must read it the same way: one place parses it strictly,
 * and one place answers "no" -- one branch, rs_inject_active() -- when no scenario is set, as
 * SQLite's fault hook returns OK in deployment and lets its tests make any step fail.)
 *
 *     rs_inject_env env;
 *     rs_inject_read_env(RS_TRACE_ROLE_SERVER, &env);     // in rs_server_create()
 *     ...
 *     const rs_inject_fault *f = rs_inject_find(&env.faults, RS_INJECT_KILL_SERVER, 0, "HelloProc");
 *     if (f != NULL) { rs_inject_report(RS_TRACE_ROLE_SERVER, f, "HelloProc", "..."); raise(SIGKILL); }
 *     if (*rs_inject_error()) fprintf(stderr, "%s\n", rs_inject_error());   // a lesson program
 *
 * ---- The variables (sim/lesson.h sets them for a lesson's programs) -----------------------------
 *
 *     RPCSCOPE_ENDIAN=big|little           client: the byte order it sends
 *     RPCSCOPE_MAX_FRAG=48..65535          both: max_xmit_frag / max_recv_frag offered
 *     RPCSCOPE_CALL_TIMEOUT_MS=1..600000   client: the call timeout
 *     RPCSCOPE_FAULT=FAULT[; FAULT]...     both: up to RS_INJECT_FAULTS_MAX faults, each
 *
 *         delay PDU MS          hold each PDU of that type (a name as rs_pdu_type_name() spells
 *                               it: request, response, fault, bind, bind_ack, ...) MS (1..60000)
 *                               milliseconds before it goes on the wire
 *         close-before-execute  server: close the connection when a whole request has arrived
 *         close-after-execute   server: run the procedure, then close instead of answering
 *         kill-server           server: the process dies (SIGKILL) as the procedure is entered
 *         raise FAULT           server: answer FAULT (a name as rs_fault_from_name() knows it,
 *                               or a number, decimal or 0x hex, not 0) instead of running it
 *         unknown-opnum         client: ask for opnum = the interface's operation count
 *         unknown-interface     client: bind an interface UUID the server does not offer
 *
 *     each optionally followed by `on PROCEDURE` (letters, digits and '_', as in the IDL): then it
 *     applies only to calls of that procedure. Words are separated by spaces or tabs, faults by
 *     ';' (the simulator writes "; ").
 *
 * An unset or empty variable is no scenario. A malformed one never crashes the program and is
 * never half-applied: the whole variable is ignored, the others still apply, and the reason is
 * reported once per process (per distinct reason) as a trace ERROR event and kept for
 * rs_inject_error(). Each side carries out the faults that belong to it and ignores the others,
 * so both programs can be given the same list. Which step each fault hits, and what goes on the
 * wire, is in client.h and server.h.
 */
#ifndef RPCSCOPE_INJECT_H
#define RPCSCOPE_INJECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "status.h"
#include "trace.h"

#define RS_INJECT_FAULTS_MAX 16
#define RS_INJECT_PROCEDURE_MAX 64       /* a procedure name is at most 63 characters */
#define RS_INJECT_TEXT_MAX 2048          /* a longer RPCSCOPE_FAULT is refused, not read */
#define RS_INJECT_DELAY_MAX_MS 60000
#define RS_INJECT_MIN_FRAG 48            /* RS_CLIENT_MIN_FRAG and RS_SERVER_MIN_FRAG */
#define RS_INJECT_MAX_FRAG 65535
#define RS_INJECT_CALL_TIMEOUT_MAX_MS 600000

/* XX(NAME, word) -- the faults, as a script and RPCSCOPE_FAULT spell them (sim/lesson.h). */
#define RS_INJECT_KIND_TABLE(XX)                                                                   \
    XX(DELAY, "delay")                                                                             \
    XX(CLOSE_BEFORE_EXECUTE, "close-before-execute")                                               \
    XX(CLOSE_AFTER_EXECUTE, "close-after-execute")                                                 \
    XX(KILL_SERVER, "kill-server")                                                                 \
    XX(RAISE, "raise")                                                                             \
    XX(UNKNOWN_OPNUM, "unknown-opnum")                                                             \
    XX(UNKNOWN_INTERFACE, "unknown-interface")

typedef enum rs_inject_kind {
#define RS_INJECT_KIND_ENUM(name, word) RS_INJECT_##name,
    RS_INJECT_KIND_TABLE(RS_INJECT_KIND_ENUM)
#undef RS_INJECT_KIND_ENUM
        RS_INJECT_KIND_COUNT
} rs_inject_kind;

/* One fault of the list. */
typedef struct rs_inject_fault {
    rs_inject_kind kind;
    uint8_t ptype;                           /* delay: the PDU type */
    uint32_t value;                          /* delay: milliseconds; raise: the fault code */
    char procedure[RS_INJECT_PROCEDURE_MAX]; /* after `on`; "" for every call */
} rs_inject_fault;

/* A parsed RPCSCOPE_FAULT: count 0 is no fault at all. */
typedef struct rs_inject {
    rs_inject_fault faults[RS_INJECT_FAULTS_MAX];
    size_t count;
} rs_inject;

/* The whole scenario one process reads: each override is "not set" (false, 0) unless its
 * variable is set and valid. */
typedef struct rs_inject_env {
    bool has_endian;
    rs_endian endian;      /* RPCSCOPE_ENDIAN, when has_endian */
    uint16_t max_frag;     /* RPCSCOPE_MAX_FRAG, 0 when not set */
    int call_timeout_ms;   /* RPCSCOPE_CALL_TIMEOUT_MS, 0 when not set */
    rs_inject faults;      /* RPCSCOPE_FAULT */
} rs_inject_env;

/* "delay" for RS_INJECT_DELAY; "?" outside the table. */
const char *rs_inject_kind_name(rs_inject_kind k);

/* Parses a fault list as RPCSCOPE_FAULT holds it. Strict: anything the grammar above does not
 * allow -- an unknown fault, a PDU type or fault name that does not exist, milliseconds out of
 * range, an empty fault between ';', a word left over, more than RS_INJECT_FAULTS_MAX faults,
 * text longer than RS_INJECT_TEXT_MAX or with a control or non-ASCII byte -- is RS_ERR_INVALID_ARG
 * with a sentence in err naming the fault and the word; *out is then empty (count 0), never
 * half-filled. "" is RS_OK and no fault. Reads at most RS_INJECT_TEXT_MAX + 1 bytes of `text`. */
RS_MUST_CHECK rs_status rs_inject_parse(const char *text, rs_inject *out, rs_error *err);

/* Reads the variables the `role` uses -- the client all four, the server RPCSCOPE_MAX_FRAG and
 * RPCSCOPE_FAULT -- into *out. Never fails: a bad variable is left "not set", and its sentence
 * is reported (a trace ERROR event of that role, once per process per distinct sentence) and kept
 * for rs_inject_error(). Called by rs_client_open() and rs_server_create(), after the trace sink
 * is set up from the environment. Thread-safe, but like getenv() not against a concurrent
 * setenv(). */
void rs_inject_read_env(rs_trace_role role, rs_inject_env *out);

/* Why the scenario read last in this process (by any client open or server create) was partly
 * ignored: one sentence per bad variable, joined by "; ", or "" when every variable was good.
 * The string is this thread's copy, valid until its next call. */
const char *rs_inject_error(void);

/* ---- the runtime's questions ----------------------------------------------------------------- */

/* True when there is any fault at all: the one branch the runtime pays without a scenario. */
static inline bool rs_inject_active(const rs_inject *in)
{
    return __builtin_expect(in->count != 0, 0);
}

/* The first fault of kind `kind` that applies to a call of `procedure` (NULL or "": a PDU or
 * call whose procedure is unknown, which only faults without `on` apply to) and, for
 * RS_INJECT_DELAY, to PDU type `ptype`; NULL when none does. O(count). */
const rs_inject_fault *rs_inject_find(const rs_inject *in, rs_inject_kind kind, uint8_t ptype,
                                      const char *procedure);

/* The same behind rs_inject_active(): NULL at the cost of one branch without a scenario. */
static inline const rs_inject_fault *rs_inject_match(const rs_inject *in, rs_inject_kind kind,
                                                     uint8_t ptype, const char *procedure)
{
    return rs_inject_active(in) ? rs_inject_find(in, kind, ptype, procedure) : NULL;
}

/* The fault as RPCSCOPE_FAULT would spell it: "delay response 1500 on HelloProc", "raise
 * nca_s_fault_int_div_by_zero", "raise 0x12345678". Always NUL-terminated when size > 0; returns
 * the length the whole text needs, like snprintf. */
size_t rs_inject_fault_format(const rs_inject_fault *f, char *out, size_t size);

/* The sentence that reports a fault carried out on a call of `procedure` (NULL: none known):
 * "injected: close-before-execute on HelloProc: WHAT". The `on` names the call the fault hit,
 * whether or not the fault said `on`. Same return as rs_inject_fault_format(). */
size_t rs_inject_describe(const rs_inject_fault *f, const char *procedure, const char *what,
                          char *out, size_t size);

/* Reports it through the trace hook as an ERROR event of `role` (the window and the text view
 * show that the fault was injected, not a bug). Only when rs_trace_enabled(); costs one branch
 * otherwise. */
void rs_inject_report(rs_trace_role role, const rs_inject_fault *f, const char *procedure,
                      const char *what);

#endif
