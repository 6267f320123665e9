/* client.h -- the client runtime: a binding handle, its association with a server, and calls.
 *
 * A program opens a client on a string binding and hands it to the generated stubs (as the
 * interface's implicit handle, or as an explicit handle_t parameter). The first call connects and
 * binds; later calls reuse the connection, and a closed connection is reopened on the next call.
 *
 *     rs_client *c;  rs_error err = {0};
 *     if (rs_client_open("ncacn_ip_tcp:127.0.0.1[4747]", NULL, &c, &err) != RS_OK)
 *         die(err.message);
 *     hello_IfHandle = c;                         // the ACF's implicit_handle
 *     HelloProc((unsigned char *)"hello, world");  // a remote call that looks local
 *     if (rs_last_call_status() != RS_OK) fprintf(stderr, "%s\n", rs_last_call_error()->message);
 *     rs_client_close(c);
 *
 * How a stub reports failure: its C signature has no room for a status, so every call leaves
 * its outcome in a per-thread record (rs_last_call_status(), rs_last_call_fault(),
 * rs_last_call_error()) and, when it failed, calls the thread's error handler if one is set
 * (rs_set_call_error_handler(); the Microsoft-style RpcTryExcept is built on it). A failed call's
 * return value and [out] parameters are zero.
 *
 * Threads: one rs_client serves one call at a time: rs_client_call_invoke() holds the client's
 * lock from the liveness check to the last response fragment -- or, when the response's
 * fragments were joined where the connection read them (no copy), until rs_client_call_end() --
 * so calls made on one client from several threads are serialised (each waits for the one
 * before). Use one client per thread for
 * parallel calls. The per-thread outcome and error handler are per thread, never per client.
 *
 * The association (C706 12.4): one connection, bound lazily by the first call. The first interface
 * a client calls gets presentation context 0 in a bind; each further interface gets the next
 * context id in an alter_context on the same connection. The bind offers max_xmit_frag =
 * max_recv_frag = options.max_frag and assoc_group_id 0 the first time, the group the server gave
 * afterwards (a bind_nak to a remembered group is retried once with 0: the server restarted).
 * Each call (in rs_client_call_begin(), so that every trace event of the call carries it), bind
 * and alter_context takes the next call id, from 1 up, unique per client; a call's bind, made
 * later in rs_client_call_invoke(), therefore has a higher id than the call's request.
 *
 * Failures and the connection: a call that fails by timeout, a closed or reset connection, or
 * bytes that are not the expected answer closes the connection (a late answer would otherwise be
 * taken for the next call's); a fault or a rejected alter_context keeps it. Before each call a
 * connection that became readable while idle (the server closed it, or sent shutdown) is dropped
 * and the call connects and binds again, so a restarted server is found again.
 *
 * Lesson scenarios (inject.h): rs_client_open() reads the scenario the simulator sets for a
 * lesson's programs, and it wins over what the program passed -- the script, not the program,
 * decides the lesson. RPCSCOPE_ENDIAN=big|little replaces options.endian, RPCSCOPE_MAX_FRAG
 * options.max_frag, RPCSCOPE_CALL_TIMEOUT_MS options.call_timeout_ms (rs_client_get_options()
 * tells what is in use); a malformed variable is ignored (rs_inject_error() says why). Of
 * RPCSCOPE_FAULT the client carries out, each reported as a trace ERROR event "injected: ...":
 *   unknown-opnum [on P]      each call of P (or every call) goes out as a request for opnum =
 *                             the interface's operation_count, one past its last; the server
 *                             answers fault nca_s_op_rng_error with PFC_DID_NOT_EXECUTE, and the
 *                             call fails with RS_ERR_FAULT. The connection stays.
 *   unknown-interface [on P]  the call binds the interface with the last byte of its UUID's node
 *                             inverted, in a presentation context of its own: an alter_context
 *                             on a connection that has one (the server's provider_rejection,
 *                             abstract_syntax_not_supported, leaves the interfaces bound before
 *                             as they were), or the bind of a new connection (dropped after the
 *                             rejection, as any rejected bind). RS_ERR_BIND_REJECTED; no request
 *                             is sent, and later calls bind the real interface as before.
 *   delay PDU MS [on P]       each bind, alter_context or request fragment of that type is held
 *                             MS ms after PDU_BUILT and PDU_SENT are reported, before its bytes
 *                             are written (rs_conn_send_held()): real time, which counts against
 *                             the connect or call timeout, and is cut at its deadline.
 * The server's faults (server.h) reach the client as what they are on the wire: a closed
 * connection (RS_ERR_CLOSED or RS_ERR_TRUNCATED, "the server closed the connection before the
 * response ..."), a fault (RS_ERR_FAULT), a late answer (RS_ERR_TIMEOUT). A failed call is never
 * sent again: at most once.
 *
 * Costs: each call copies nothing it does not have to -- the request's stub data is encoded once
 * into call->request and cut into fragments as it is sent (large arrays a stub put by reference,
 * rs_ndr_set_by_reference(), go from the caller's memory straight into the socket), the
 * response's fragments are joined where the connection read them when they came together, and
 * copied once into call->response otherwise -- so a call costs O(request + response) bytes, plus
 * one recv() that does not wait for the liveness check (none when the connection answered
 * within the last millisecond; client.c says why that is safe).
 */
#ifndef RPCSCOPE_CLIENT_H
#define RPCSCOPE_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "interface.h"
#include "ndr.h"
#include "pdu.h"
#include "status.h"

typedef struct rs_client rs_client;

/* A field left 0 takes its default, so `{.call_timeout_ms = 200}` changes only that. */
typedef struct rs_client_options {
    int connect_timeout_ms; /* connecting and binding; default 5000 */
    int call_timeout_ms;    /* from sending a request to its whole response; default 30000 */
    uint16_t max_frag;      /* max_xmit_frag and max_recv_frag offered in the bind; default
                               65535 (pdu.h says why); at least RS_CLIENT_MIN_FRAG */
    rs_endian endian;       /* byte order of the PDUs and NDR this client sends; default RS_LE */
    size_t max_stub;        /* the largest response stub accepted; default 4 MiB */
} rs_client_options;

/* The smallest fragment a request can be cut into: a request header with an object UUID (40
 * bytes) and 8 bytes of stub data (pdu.h's fragmenter). Far below C706's 1432 on purpose, so a
 * lesson can show many small fragments; a server that offers less is treated as offering this. */
#define RS_CLIENT_MIN_FRAG                                                                         \
    (RS_PDU_REQUEST_HEADER_SIZE + RS_PDU_OBJECT_SIZE + RS_PDU_FRAG_STUB_ALIGN)

/* Interfaces one client keeps bound on its connection at once (presentation contexts). */
#define RS_CLIENT_MAX_CONTEXTS 16

rs_client_options rs_client_default_options(void);

/* Parses the binding and makes a client; connects nothing yet (like RpcBindingFromStringBinding).
 * `options` may be NULL for the defaults; a lesson's scenario overrides some (see above). RS_ERR_INVALID_ARG (with the reason in err) for a
 * binding that does not parse or options out of range. */
RS_MUST_CHECK rs_status rs_client_open(const char *binding, const rs_client_options *options,
                                       rs_client **out, rs_error *err);

/* Closes the connection, if any, and frees the client. NULL is fine. */
void rs_client_close(rs_client *c);

/* The binding text the client was opened with, canonical form. */
const char *rs_client_binding(const rs_client *c);

/* The options in use: what the program passed, defaults filled in, the scenario's overrides
 * applied. */
rs_client_options rs_client_get_options(const rs_client *c);

/* ---- one call, as the generated client stubs make it ----------------------------------------
 *
 *     rs_client_call call;
 *     rs_status st = rs_client_call_begin(&call, hello_IfHandle, &hello_client_interface, 0);
 *     if (st == RS_OK)
 *         st = rs_ndr_put_string(&call.ndr, "pszString", (const char *)pszString);
 *     if (st == RS_OK)
 *         st = rs_ndr_flush(&call.ndr);           // after each top-level parameter
 *     if (st == RS_OK)
 *         st = rs_client_call_invoke(&call);       // send the request, receive the response
 *     if (st == RS_OK)
 *         st = rs_ndr_get_long(&call.ndr, "return", &result);
 *     st = rs_client_call_end(&call, st);         // records the outcome, frees the buffers
 *     if (st != RS_OK)
 *         result = 0;                             // and every [out] parameter zeroed
 *
 * Memory of [out] data: the response is decoded in separate-blocks mode (ndr.h), and
 * rs_client_call_end() hands every value the decode allocated to the caller (rs_ndr_release())
 * only when the whole call succeeded -- after it checked that no stub data is left over. On any
 * failure it frees them all, so the stub must then zero its [out] pointers rather than free them.
 * A stub therefore does not call rs_ndr_release() itself. (One that does still works, but then a
 * response with bytes left over leaks what the stub decoded.)
 *
 * Every function here accepts the call whatever happened before: rs_client_call_end() is always
 * the one cleanup, also after rs_client_call_begin() failed.
 */
typedef struct rs_client_call {
    rs_client *client;
    const rs_interface *iface;
    uint16_t opnum;
    uint32_t call_id;   /* the request's call id, taken by rs_client_call_begin() */
    rs_buf request;     /* the [in] stub data, NDR-encoded by the stub */
    rs_buf response;    /* the reassembled [out] stub data */
    rs_ndr ndr;         /* encodes `request`; after invoke, decodes `response` */
    uint32_t fault;     /* the status of a fault PDU, 0 if none came */
    rs_error error;     /* the first failure of this call */
    bool spare;         /* request and response are the client's kept memory, given back by
                           rs_client_call_end(): a call allocates nothing a previous call of
                           its size allocated */
    bool locked;        /* `response` views the connection's read-ahead buffer, where its
                           fragments were joined: the client stays locked, so that nothing
                           reads the connection, until rs_client_call_end() */
    rs_buf kept;        /* meanwhile, the response memory the call owns */
} rs_client_call;

/* Starts a call: `ndr` is ready to marshal the [in] parameters in the client's byte order.
 * RS_ERR_INVALID_ARG when `client` is NULL (no binding handle was set) or `iface` is NULL. */
RS_MUST_CHECK rs_status rs_client_call_begin(rs_client_call *call, rs_client *client,
                                             const rs_interface *iface, uint16_t opnum);

/* Sends the request (connecting and binding first when needed; in fragments of the negotiated
 * size), waits for the response within the call timeout, reassembles it and points `ndr` at it,
 * in the byte order the server's drep announced. A fault PDU gives RS_ERR_FAULT with call->fault
 * set (rs_fault_name() names it). Other failures: RS_ERR_CONNECT/RS_ERR_ADDRESS (no server),
 * RS_ERR_BIND_REJECTED (bind_nak, or the interface or NDR refused), RS_ERR_TIMEOUT (connect or
 * call timeout), RS_ERR_CLOSED/RS_ERR_TRUNCATED (the server went away), RS_ERR_PROTOCOL (an answer
 * that is not one: garbage, a shutdown, another call id), RS_ERR_LIMIT (a response beyond
 * options.max_stub). Each leaves a sentence in call->error. */
RS_MUST_CHECK rs_status rs_client_call_invoke(rs_client_call *call);

/* Ends the call: `st` is the stub's outcome. Checks that the response was read to its end
 * (RS_ERR_NDR "N bytes of stub data left over" otherwise), hands the [out] memory to the caller
 * on success, records the outcome for rs_last_call_*(), calls the error handler when it failed,
 * frees what the call holds, and returns the outcome. */
rs_status rs_client_call_end(rs_client_call *call, rs_status st);

/* ---- context handles, as the generated client stubs use them ----------------------------------
 *
 * A context handle names state a server keeps for one client between calls (an open file, a
 * session). On the wire it is 20 bytes (ndr.h: attributes and a UUID the server chose; all zeros
 * for NULL). In the client it is an opaque object of this runtime: the 20 bytes and the client
 * whose call created it. The IDL's type (typedef [context_handle] void *CTX) points to one, as
 * MIDL's client-side handles point to the runtime's NDR_CCONTEXT; the client never looks inside.
 *
 *     COUNTER c = NULL;
 *     Open(&c);                       // [out]: the server made one: c is a new handle
 *     Increment(c);                   // [in]: the call goes to the client c was made on
 *     Close(&c);                      // [in, out]: the server closed it: c is NULL again
 *
 * Who owns what: a handle belongs to the program from the call that returned it until a call
 * returns it NULL ([in, out]: the runtime frees it then) or rs_client_context_destroy() frees it.
 * A failed call leaves an [in, out] handle as it was and an [out]-only one NULL. A handle
 * outlives its client's connection (the server then has run it down, and answers a call that
 * uses it with fault nca_s_fault_context_mismatch); rs_client_close() detaches the client's
 * handles, so that one used later fails with RS_ERR_INVALID_ARG instead of touching freed memory.
 * Threads: a handle is used by one call at a time, like the client it belongs to. */

/* What a stub decoded for an [out] or [in, out] handle, applied to the caller's handle only once
 * the whole call has succeeded (rs_client_context_apply()). */
typedef struct rs_client_context_reply {
    rs_ndr_context_handle wire; /* the 20 bytes the server sent */
    void *fresh;                /* a new handle when the caller had none and the server sent one:
                                   the call's until it succeeds, then the caller's */
} rs_client_context_reply;

/* Starts a call bound by a context handle (the IDL's first [in] or [in, out] one): it goes to the
 * client the handle was made on. A NULL handle takes `fallback` (for an [in, out] handle the
 * interface's implicit binding, as in MIDL's stubs) or, with no fallback, fails with
 * RS_ERR_NULL_CONTEXT (MIDL raises RPC_X_SS_IN_NULL_CONTEXT). RS_ERR_INVALID_ARG for a pointer
 * that is not a live handle, or one whose client was closed. rs_client_call_end() ends it. */
RS_MUST_CHECK rs_status rs_client_call_begin_context(rs_client_call *call, const void *handle,
                                                     rs_client *fallback,
                                                     const rs_interface *iface, uint16_t opnum);

/* [in] and [in, out]: the handle's 20 bytes into the request. NULL is sent as zeros when
 * `null_ok` (an [in, out] handle the server may open); otherwise it fails the stream with
 * RS_ERR_NULL_CONTEXT. */
RS_MUST_CHECK rs_status rs_client_put_context_handle(rs_client_call *call, const char *name,
                                                     const void *handle, bool null_ok);

/* [out] and [in, out]: the 20 bytes from the response into `reply`. When they are not zero and
 * `old` (the caller's handle on the way in; NULL for [out]-only) is NULL, reply->fresh is a new
 * handle, allocated on the call's response stream so that a call that fails frees it. */
RS_MUST_CHECK rs_status rs_client_get_context_handle(rs_client_call *call, const char *name,
                                                     void *old, rs_client_context_reply *reply);

/* What the caller's handle becomes once the call succeeded, as MIDL's NDRCContextUnmarshall:
 * zeros close it (`old` is freed; NULL), a handle the caller had keeps its object (the UUID
 * updated in place), otherwise the new handle. Cannot fail. */
void *rs_client_context_apply(void *old, const rs_client_context_reply *reply);

/* Frees the client's side of a handle without telling the server (RpcSsDestroyClientContext):
 * the server keeps its state until the connection closes, then runs it down. The caller sets its
 * variable to NULL. NULL is fine. */
void rs_client_context_destroy(void *handle);

/* The client a handle was made on (NULL for NULL or once that client was closed), and its 20
 * bytes as they travel: for display, and for tests that send them by hand. */
rs_client *rs_client_context_client(const void *handle);
rs_ndr_context_handle rs_client_context_wire(const void *handle);

/* ---- the outcome of this thread's last call -------------------------------------------------- */

/* What the last rs_client_call_end() on this thread recorded: RS_OK before any call. The error
 * record lives until the thread's next call ends. */
rs_status rs_last_call_status(void);
uint32_t rs_last_call_fault(void);      /* the fault code when the status is RS_ERR_FAULT */
const rs_error *rs_last_call_error(void);

/* Called on this thread for every call that fails, after the outcome is recorded. A handler may
 * longjmp out (the call has freed everything by then). NULL removes it. */
typedef void (*rs_call_error_handler)(const rs_error *error, uint32_t fault, void *ctx);
void rs_set_call_error_handler(rs_call_error_handler fn, void *ctx);
/* The handler set on this thread (and its ctx), so that code making calls of its own (the
 * endpoint mapper's) can set it aside and put it back. */
rs_call_error_handler rs_get_call_error_handler(void **ctx);

#endif
