/* server.h -- the server runtime: register interfaces, listen, and dispatch calls to their stubs.
 *
 * A server accepts connections on its bindings, answers binds (bind_ack for an interface it has,
 * bind_nak or a provider rejection otherwise), reassembles requests, and hands each to the
 * interface's stub for its opnum on a worker thread. Answers it gives on its own: a fault
 * nca_s_op_rng_error for an unknown opnum, nca_s_unk_if for an unbound context, nca_s_fault_ndr
 * for stub data that does not decode, and the procedure's own code when it raises one.
 *
 *     rs_server *s;  rs_error err = {0};
 *     if (rs_server_create(NULL, &s) != RS_OK ||
 *         rs_server_register(s, &hello_server_interface, &err) != RS_OK ||
 *         rs_server_listen(s, "ncacn_ip_tcp:127.0.0.1[4747]", &err) != RS_OK ||
 *         rs_server_run(s, &err) != RS_OK)          // until rs_server_stop(), e.g. on SIGTERM
 *         fprintf(stderr, "%s\n", err.message);
 *     rs_server_destroy(s);
 *
 * Memory in a call: the [in] parameters the stub decodes live until the reply is sent, then are
 * freed together. [out] memory a procedure allocates with malloc() (an embedded pointer, a
 * string) is freed by the stub once it is marshalled, as MIDL's midl_user_free() would.
 *
 * How it runs (Redis's ae.c in miniature): rs_server_run()'s thread is the event loop. It polls
 * the listeners, a self-pipe and every idle connection; a connection with bytes to read is handed
 * to one of options.workers threads, which reads and answers what arrived -- a bind with its
 * bind_ack, all fragments of a request with the response fragments -- then waits up to 20 ms
 * (linger) for the connection's next PDU and answers that too, and finally hands the connection
 * back through the self-pipe. So a client making call after call is served by one worker without
 * a trip through the loop per call; when more connections wait for a worker than are free, one
 * lingering worker per waiting connection gives its own back at once. While there are at least
 * twice as many workers as connections, a worker instead waits for its connection's next PDU
 * alone, as a thread-per-connection server does (no timer per wait; the connection's idle
 * timeout and rs_server_stop() end the wait), and connections that come meanwhile are served by
 * the workers to spare (a worker waiting alone holds its connection until it speaks, closes or
 * idles out). One connection is served by one thread at a time, in order, and up to `workers`
 * calls run at once. Costs: each loop wake-up is O(connections), since poll() takes the whole
 * set; a client that starts a PDU and then stalls holds a worker for up to
 * io_timeout_ms per fragment (rs_server_stop() cuts such waits short); a request costs up to
 * max_stub bytes while it is reassembled, and its decoded [in] values up to ndr.h's max_alloc.
 *
 * What the server answers on its own (C706 12.4 and 12.5; MS-RPCE 3.3.1.5; Samba and Windows do
 * the same where C706 leaves a choice):
 *   bind, alter_context: per context, acceptance with NDR 2.0 when the interface is registered
 *     (same UUID and major version, the client's minor <= ours) and NDR is offered;
 *     provider_rejection abstract_syntax_not_supported (unknown interface or version) or
 *     proposed_transfer_syntaxes_not_supported (no NDR); negotiate_ack for a bind time feature
 *     negotiation context (keep_connection_on_orphan only).
 *   bind_nak, then the connection is closed: a bind with no contexts
 *     (protocol_version_not_supported, as Windows answers), more contexts than
 *     RS_PDU_MAX_CONTEXTS (local_limit_exceeded), a version other than 5.0/5.1
 *     (protocol_version_not_supported), another malformed bind, or a second bind on one
 *     connection (reason_not_specified: C706 binds once per association).
 *   fault nca_s_proto_error, then the connection is closed: a request or alter_context before any
 *     bind, a malformed request, fragments that do not fit together.
 *   fault nca_s_unk_if (an unbound context id) and nca_s_op_rng_error (an opnum the interface
 *     lacks, or whose stub is NULL), both with PFC_DID_NOT_EXECUTE; the connection stays.
 *   fault nca_s_fault_remote_no_memory with PFC_DID_NOT_EXECUTE for a request beyond max_stub: its
 *     remaining fragments are read and dropped first, so the connection stays usable.
 *   fault nca_s_fault_ndr for [in] stub data that does not decode (PFC_DID_NOT_EXECUTE when the
 *     procedure had not run: see `executed`); nca_s_fault_context_mismatch for a context handle
 *     this connection does not hold, rpc_x_ss_in_null_context for a NULL one passed [in] (both
 *     PFC_DID_NOT_EXECUTE: see "context handles" below); the code given to rs_server_raise();
 *     for [out] data that cannot be encoded: rpc_x_null_ref_pointer,
 *     rpc_x_enum_value_out_of_range, nca_s_out_args_too_big or nca_s_fault_remote_no_memory.
 *   co_cancel and orphaned are read and ignored: a call runs to its end on its worker (C706 lets
 *     a server ignore cancels); an orphaned during a request's fragments drops that request.
 *   Anything else (a PDU that does not decode, a PTYPE a client never sends) closes the connection.
 *   Bytes left over after a stub decoded its [in] parameters are ignored, as Samba does.
 * Every other connection keeps being served.
 *
 * Lesson scenarios (inject.h): rs_server_create() reads the scenario the simulator sets for a
 * lesson's programs, and it wins over what the program passed: RPCSCOPE_MAX_FRAG replaces
 * options.max_frag (a malformed value is ignored; rs_inject_error() says why). Of RPCSCOPE_FAULT
 * the server carries out these, each reported as a trace ERROR event "injected: ... on PROC: ..."
 * (the window shows the fault was injected, not a bug); `on P` limits one to calls of P:
 *   close-before-execute  once a whole request has arrived (PDU_REASSEMBLED), the connection is
 *                         closed: no DISPATCH, no procedure, no answer. The client's call fails
 *                         with RS_ERR_CLOSED; whether it ran, the client cannot tell.
 *   close-after-execute   the stub and the procedure run as usual; then the connection is closed
 *                         instead of sending the response (or the fault the call ended with).
 *   kill-server           after DISPATCH, just before the stub would run, the process raises
 *                         SIGKILL: the kernel closes its sockets, the client sees the connection
 *                         close (or reset) and no server answers until one is restarted.
 *   raise FAULT           after DISPATCH the stub does not run: a fault PDU with that code
 *                         answers the call, PFC_DID_NOT_EXECUTE clear, as if the procedure had
 *                         raised it (rs_server_raise()). The connection stays.
 *   delay PDU MS          each response fragment, fault, bind_ack, bind_nak or
 *                         alter_context_resp of that type is held MS ms after PDU_BUILT and
 *                         PDU_SENT are reported, before its bytes go (rs_conn_send_held()): real
 *                         time, cut at io_timeout_ms. The worker is busy meanwhile. A PDU outside
 *                         a call (the answer to a bind) matches only a delay without `on`.
 * Precedence when several apply to one call: close-before-execute, kill-server, raise,
 * close-after-execute. unknown-opnum and unknown-interface are the client's (client.h).
 */
#ifndef RPCSCOPE_SERVER_H
#define RPCSCOPE_SERVER_H

#include <setjmp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "interface.h"
#include "ndr.h"
#include "pdu.h"
#include "status.h"

typedef struct rs_server rs_server;

/* A field left 0 takes its default. */
typedef struct rs_server_options {
    unsigned workers;          /* threads that run calls; default 32, at most 4096. A worker
                                  also waits briefly for its connection's next call (see "How it
                                  runs"), so the pool covers the connections active at once */
    unsigned max_connections;  /* connections held at once; default 1024. One more is accepted
                                  and closed at once: the client sees a clean close, not a hang
                                  in the listen backlog */
    int idle_timeout_ms;       /* a connection silent this long is closed; default 120000;
                                  negative: never */
    int io_timeout_ms;         /* finishing a PDU once it has started, and sending; default 30000 */
    uint16_t max_frag;         /* the largest fragment offered and sent; default 65535; at least
                                  RS_SERVER_MIN_FRAG. Fragments up to C706's 1432 (or max_frag if
                                  larger) are always received, as C706 requires before a bind */
    size_t max_stub;           /* the largest reassembled request stub; default 4 MiB */

    /* Called with one line per connection accepted ("accepted 127.0.0.1:53122"), refused
     * ("refused 127.0.0.1:53124: already 1024 connections (max_connections)") and closed
     * ("closed 127.0.0.1:53122 (3 calls)", with the context handles run down and why, when it
     * was the server's doing: "closed 127.0.0.1:53122 (0 calls, idle for 120000 ms)"). Always on
     * rs_server_run()'s thread, one line at a time, without a newline; NULL for none. The library
     * never prints: a program that wants a log passes this. */
    void (*log)(void *log_ctx, const char *line);
    void *log_ctx;
} rs_server_options;

/* The floor of both negotiated fragment sizes: a request header with an object UUID and 8 bytes
 * of stub data. A client offering less (C706 asks for at least 1432) is answered with this. */
#define RS_SERVER_MIN_FRAG                                                                         \
    (RS_PDU_REQUEST_HEADER_SIZE + RS_PDU_OBJECT_SIZE + RS_PDU_FRAG_STUB_ALIGN)

/* Presentation contexts one connection may keep bound; more get provider_rejection
 * local_limit_exceeded. */
#define RS_SERVER_MAX_CONTEXTS 64

rs_server_options rs_server_default_options(void);

/* A server with no interfaces and no bindings yet. `options` may be NULL for the defaults.
 * RS_ERR_INVALID_ARG for options out of range. */
RS_MUST_CHECK rs_status rs_server_create(const rs_server_options *options, rs_server **out);

/* The options in use: what the program passed, defaults filled in, the scenario's override
 * applied. */
rs_server_options rs_server_get_options(const rs_server *s);

/* Closes every listener, frees the server. Call it when rs_server_run() has returned (or never
 * ran): a running server is stopped with rs_server_stop() from another thread first. NULL is
 * fine. */
void rs_server_destroy(rs_server *s);

/* Offers an interface; also while the server runs (a bind sees it from then on). The interface is
 * borrowed and must outlive the server. RS_ERR_INVALID_ARG if one with the same UUID and version
 * is there. */
RS_MUST_CHECK rs_status rs_server_register(rs_server *s, const rs_interface *iface, rs_error *err);

/* Withdraws an interface (NULL: every one): binds from then on do not find it. A connection that
 * bound it already keeps calling it (its presentation context holds the interface, which the
 * program keeps alive). RS_ERR_INVALID_ARG if it is not registered. */
RS_MUST_CHECK rs_status rs_server_unregister(rs_server *s, const rs_interface *iface,
                                             rs_error *err);

/* Listens on a string binding (ncacn_ip_tcp without an address listens on 127.0.0.1 only;
 * port 0 or none picks a free port). May be called several times, before rs_server_run(). */
RS_MUST_CHECK rs_status rs_server_listen(rs_server *s, const char *binding, rs_error *err);

/* The bindings it listens on, with real ports: "ncacn_ip_tcp:127.0.0.1[41234]". Still readable
 * after rs_server_run() returned. */
size_t rs_server_binding_count(const rs_server *s);
const char *rs_server_binding(const rs_server *s, size_t i);

/* Serves until rs_server_stop(); then stops accepting (its listeners are closed and an ncalrpc
 * socket file removed, so a new server may take the name), lets the workers finish and answer
 * the calls whose requests had arrived whole (one still arriving is dropped), closes every
 * connection, joins the workers and returns RS_OK. So it returns once the slowest procedure
 * running has returned. A server runs once: RS_ERR_INVALID_ARG if it ran before or listens on
 * nothing; RS_ERR_IO if a worker thread cannot start or poll() fails. */
RS_MUST_CHECK rs_status rs_server_run(rs_server *s, rs_error *err);

/* Asks a running server to stop: an atomic store and one write() to the self-pipe, so it is safe
 * from a signal handler and from any thread. Before rs_server_run() it makes the run return at
 * once. */
void rs_server_stop(rs_server *s);

/* ---- one call, as the generated server stubs see it ----------------------------------------- */

/* What a server stub gets: the call's [in] stub data to decode and a stream for its [out] data.
 * The stub sets `executed` just before it calls the procedure, so that a fault for stub data
 * that did not decode says whether the procedure ran (PFC_DID_NOT_EXECUTE when it did not):
 *
 *     static rs_status hello_HelloProc_stub(rs_server_call *call)
 *     {
 *         char *pszString = NULL;
 *         rs_status st = rs_ndr_get_string(&call->in, "pszString", &pszString);
 *         if (st == RS_OK)
 *             st = rs_ndr_flush(&call->in);
 *         if (st != RS_OK)
 *             return st;                  // fault nca_s_fault_ndr, PFC_DID_NOT_EXECUTE
 *         call->executed = true;
 *         HelloProc((unsigned char *)pszString);
 *         return RS_OK;                   // an empty response
 *     }
 */
struct rs_server_call {
    rs_server *server;
    struct rs_server_conn *conn; /* the connection the call came on: it owns the context
                                    handles the call opens */
    const rs_interface *iface;
    uint16_t opnum;
    uint32_t call_id;
    rs_buf request;      /* the reassembled [in] stub data (a view) */
    rs_buf response;     /* the [out] stub data the stub encodes */
    rs_ndr in;           /* decodes `request` in the byte order of the client's drep */
    rs_ndr out;          /* encodes `response`, little-endian */
    uint32_t fault;      /* the fault to send instead of a response, 0 for none */
    bool executed;       /* set by the stub just before it calls the procedure */
    jmp_buf raised;      /* where rs_server_raise() returns to */
};

/* Abandons the call the calling thread is serving and answers it with a fault carrying `code`
 * (e.g. RS_nca_s_fault_int_div_by_zero); what RpcRaiseException does inside a Windows server.
 * Code 0 becomes nca_s_fault_unspec (0 means "no fault"). It longjmp()s out of the procedure:
 * what the procedure allocated and did not free is lost, and the [in] parameters are freed as
 * usual. Call it only from a procedure that a server stub called, on the worker's thread;
 * anywhere else it is a programming error and the process aborts with a message on stderr (the
 * one place the library writes there, just before the crash it explains). */
__attribute__((noreturn)) void rs_server_raise(uint32_t code);

/* Whether the calling thread is running a procedure for a server stub: where rs_server_raise()
 * may be called. */
bool rs_server_in_call(void);

/* ---- context handles, as the generated server stubs keep them ----------------------------------
 *
 * A context handle names state the server program keeps for one client between calls. The
 * procedure only ever sees its own pointer (the IDL's handle type, typedef [context_handle] void
 * *CTX, is that pointer on the server, as in MIDL); the runtime keeps a registry from the UUID
 * that travels (ndr.h's 20 bytes) to that pointer:
 *
 *   uuid -> { the procedure's pointer, its type (name, rundown), the interface of the call that
 *             opened it, the connection that owns it }
 *
 *   [out] or [in, out] returned non-NULL: a new entry under a new random UUID, or the entry
 *     the handle came with, now holding the pointer returned;
 *   [out] or [in, out] returned NULL: the entry (if any) is removed; zeros go back;
 *   [in] or [in, out] arriving: the entry must exist, belong to this connection and have the type
 *     the parameter expects, or the call is answered with fault nca_s_fault_context_mismatch
 *     (RS_ERR_CONTEXT_MISMATCH) and the procedure does not run; zeros for an [in]-only handle
 *     get rpc_x_ss_in_null_context (RS_ERR_NULL_CONTEXT), as from Windows' stubs.
 *
 * A handle belongs to the connection (the association) whose call opened it, as on Windows:
 * another client that learned its UUID cannot use it. When that connection closes -- the client
 * closed it or went away, the idle timeout, the server stopping -- the runtime runs down every
 * handle it still owns: the type's rundown function (rpcidl: a call to the program's CTX_rundown)
 * gets the procedure's pointer, once, on rs_server_run()'s thread, after the connection's last
 * call returned, so it never races a procedure using the same handle. A handle the procedure
 * closed itself (returned NULL) is not run down. (One other rundown: new state in a call that
 * faults -- its response could not be made, or the state cannot be registered -- is run down at
 * once, on the worker, since no client will ever name it.)
 *
 * Threads: the registry has its own lock; workers look up and change it concurrently. A
 * connection is served by one worker at a time, so a procedure owns its handles' state while it
 * runs. Costs: a look-up is O(1) (a hash table by UUID that grows with the handles); closing a
 * connection is O(handles it owns) plus their rundowns. The registry has no limit of its own:
 * what a client can make a server keep is what the procedures agree to open. */

typedef struct rs_context_type {
    const char *name;              /* "counter.COUNTER": a handle is accepted only where the
                                      same name is expected (rpcidl: FILE.TYPE) */
    void (*rundown)(void *context); /* for a handle still open when its connection closes; NULL
                                       for none (a [context_handle] parameter without a type) */
} rs_context_type;

/* [in] and [in, out]: decodes the handle's 20 bytes from call->in into *wire and sets *context to
 * the procedure's pointer for it. Zeros give NULL when `null_ok` (an [in, out] handle the
 * procedure may open), else RS_ERR_NULL_CONTEXT; a UUID the connection does not own with this
 * type gives RS_ERR_CONTEXT_MISMATCH. Either failure is a sentence on call->in, and the call's
 * fault says which (server.h's list). */
RS_MUST_CHECK rs_status rs_server_get_context_handle(rs_server_call *call, const char *name,
                                                     const rs_context_type *type, bool null_ok,
                                                     rs_ndr_context_handle *wire, void **context);

/* [out] and [in, out], after the procedure: records what it left in `context` against the handle
 * that came in (*wire; zeros for [out]-only), as the list above says, and encodes the 20 bytes
 * that go back into call->out. Call it even when call->out has failed already (it then returns
 * that failure): the registry must learn what the procedure did, and new state is run down at
 * once. RS_ERR_NOMEM when a new entry cannot be made: the state is run down and the call
 * faults. */
RS_MUST_CHECK rs_status rs_server_put_context_handle(rs_server_call *call, const char *name,
                                                     const rs_context_type *type,
                                                     rs_ndr_context_handle *wire, void *context);

/* Handles the registry holds now, over every connection: for tests and monitoring. */
size_t rs_server_context_count(rs_server *s);

#endif
