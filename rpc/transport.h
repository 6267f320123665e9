/* transport.h -- the sockets under the RPC runtime: connect, listen, accept, and move whole PDUs.
 *
 * A connection carries a byte stream; DCE/RPC cuts it into PDUs by the frag_length in each 16-byte
 * header. rs_conn_recv_pdu() returns exactly one PDU: the header, a check of its frag_length, then
 * the rest. It reads ahead of that PDU (rs_conn_buffered()), so that one recv() usually brings a
 * whole PDU, and returns it where it was read, without copying it. Every wait has a deadline, so a silent peer costs a timeout, never a hang.
 *
 *     rs_binding b;  rs_conn *c;  rs_error err = {0};
 *     if (rs_binding_parse("ncacn_ip_tcp:127.0.0.1[4747]", &b) != RS_OK) ...
 *     if (rs_conn_connect(&b, rs_clock_ns() + 5 * RS_NS_PER_S, &c, &err) != RS_OK)
 *         fprintf(stderr, "%s\n", err.message);
 *     rs_conn_send(c, req, len, deadline, &err);      // all bytes or an error
 *     rs_conn_recv_pdu(c, 4280, deadline, &pdu, &err); // `pdu` views one whole PDU
 *     rs_conn_close(c);
 *
 * ncalrpc endpoints are Unix sockets: a NAME made of letters, digits, '.', '_' and '-' lives in
 * $TMPDIR/rpcscope-UID/NAME (the folder is created with mode 0700); an endpoint containing '/' is
 * used as the path itself. A TCP listener with no address listens on 127.0.0.1 only, and an empty
 * or "0" endpoint picks a free port (rs_listener_binding() tells which).
 *
 * The trace (trace.h): the transport reports CONNECT, LISTEN (the binding with its real port),
 * ACCEPT and CLOSE, PDU_SENT before a send writes its first byte and PDU_RECEIVED for each whole
 * PDU, with the bytes, the header's PTYPE and call id, and the connection as text: "LOCAL -> PEER"
 * ("127.0.0.1:53122 -> 127.0.0.1:4747", "local -> ncalrpc:[hello]") for what goes out and for a
 * connection this process made, "LOCAL <- PEER" for what comes in and for an accepted one.
 * rs_conn_send_held() also reports the note that explains an injected hold (an ERROR event).
 */
#ifndef RPCSCOPE_TRANSPORT_H
#define RPCSCOPE_TRANSPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "binding.h"
#include "buf.h"
#include "pdu.h"
#include "status.h"

#define RS_NS_PER_MS INT64_C(1000000)
#define RS_NS_PER_S INT64_C(1000000000)

/* No deadline: wait as long as it takes. */
#define RS_DEADLINE_NONE INT64_MAX

typedef struct rs_conn rs_conn;
typedef struct rs_listener rs_listener;

/* The runtime's clock in nanoseconds, for deadlines: monotonic, and standing still while the
 * process waits at a trace step gate (it is rs_trace_clock_ns()). */
int64_t rs_clock_ns(void);

/* Connects to the server a binding names (resolving host names, trying each address) by
 * `deadline` (an rs_clock_ns() time). RS_ERR_CONNECT, RS_ERR_ADDRESS or RS_ERR_TIMEOUT, with the
 * reason in err, when it cannot. */
RS_MUST_CHECK rs_status rs_conn_connect(const rs_binding *b, int64_t deadline, rs_conn **out,
                                        rs_error *err);

/* Writes all `len` bytes by `deadline`. RS_ERR_CLOSED if the peer has gone. */
RS_MUST_CHECK rs_status rs_conn_send(rs_conn *c, const void *data, size_t len, int64_t deadline,
                                     rs_error *err);

/* rs_conn_send(), with the PDU held `hold_ms` milliseconds after PDU_SENT is reported and before
 * its first byte is written: a slow network, for fault injection (inject.h). The hold is real
 * time -- it does not stop while this process waits at a step gate -- and it ends at `deadline`
 * if that comes first (the sender's timer fires; the PDU then still goes, as a network would
 * still deliver it). `note`, when not NULL, is reported as an ERROR event just before the hold,
 * with the PDU's PTYPE and call id. Costs nothing more than rs_conn_send() when hold_ms is 0. */
RS_MUST_CHECK rs_status rs_conn_send_held(rs_conn *c, const void *data, size_t len,
                                          uint32_t hold_ms, const char *note, int64_t deadline,
                                          rs_error *err);

/* Sends every fragment `f` has left, gathered: each fragment's header and body is encoded into
 * `headers` (reset first; scratch the caller keeps) and written together with its slice of the
 * stub data from where it is, up to RS_CONN_GATHER_FRAGMENTS fragments per sendmsg(), so that a
 * 64 KiB call costs one system call and no copy of its stub. refs[0..ref_count) (at most
 * RS_CONN_MAX_REFS, in stream order; NULL and 0 for none) are stub bytes that stay elsewhere
 * (buf.h, an NDR stream's arrays sent by reference): they are sent from there, in their place.
 * *sends counts the system calls that completed. It reports no PDU_SENT: it is for when nobody
 * watches each fragment (tracing off, no injected delay); otherwise send them one by one with
 * rs_conn_send_held(). Failures as rs_conn_send(), or the fragmenter's (RS_ERR_INVALID_ARG, the
 * sentence on `headers`). */
#define RS_CONN_GATHER_FRAGMENTS 32
#define RS_CONN_MAX_REFS 8
RS_MUST_CHECK rs_status rs_conn_send_fragments(rs_conn *c, rs_pdu_fragmenter *f, rs_buf *headers,
                                               const rs_buf_ref *refs, size_t ref_count,
                                               int64_t deadline, size_t *sends, rs_error *err);

/* Reads one whole PDU and makes `pdu` a view of its bytes, in the connection's read-ahead
 * buffer: no copy. The view is valid until the next read on c that must read from the socket
 * (rs_conn_pdu_buffered() says whether it will), or rs_conn_trim(), or close; until then its
 * bytes are the reader's, to change if it likes (they are consumed).
 * The 16-byte header first; a frag_length below 16 or above `max_pdu` is RS_ERR_PROTOCOL before
 * anything more is read. RS_ERR_CLOSED if the peer closed between PDUs; RS_ERR_TRUNCATED if it
 * closed inside one; RS_ERR_TIMEOUT at the deadline. */
RS_MUST_CHECK rs_status rs_conn_recv_pdu(rs_conn *c, size_t max_pdu, int64_t deadline, rs_buf *pdu,
                                         rs_error *err);

/* Bytes already read from the socket and not yet returned as a PDU: rs_conn_recv_pdu() reads
 * ahead (64 KiB per recv(), 256 KiB once a recv() filled that), so a peer that sent two PDUs at
 * once may leave the second here, where poll() on rs_conn_fd() cannot see it. An event loop
 * checks this before it waits. */
size_t rs_conn_buffered(const rs_conn *c);

/* True when the next rs_conn_recv_pdu() takes its PDU from what is read ahead without reading the
 * socket (the PDU is whole there, or its header is one it refuses at once): the views it
 * returned before stay valid across it. A reader joining a call's fragments where they lie asks
 * before each (rs_pdu_reassembler_add_in_place()). */
bool rs_conn_pdu_buffered(const rs_conn *c);

/* The reassembly of a call whose fragments rs_conn_recv_pdu() returned from c, without copying
 * them while c keeps them where they lie (pdu.h, rs_pdu_reassembler_add_in_place()):
 * rs_conn_reassemble() adds one (in place when it is the call's only fragment, or the next one
 * is read ahead whole, and for as long as the call stays in place), and rs_conn_before_read()
 * copies what is in place out before a read that would reach the socket. The caller reads
 * nothing else from c until it is done with the result. */
RS_MUST_CHECK rs_status rs_conn_reassemble(const rs_conn *c, rs_pdu_reassembler *r,
                                           const rs_pdu *frag, bool *complete);
RS_MUST_CHECK rs_status rs_conn_before_read(const rs_conn *c, rs_pdu_reassembler *r);

/* True when rs_conn_recv_pdu() would not wait for its first byte: bytes are read ahead, or the
 * socket has some now (read ahead here, without waiting), or the peer closed or broke the
 * connection (which the read then reports). One recv() when nothing is buffered: cheaper than a
 * poll() and a recv() when the next PDU is usually there already. */
bool rs_conn_ready(rs_conn *c);

/* Gives the socket a receive timeout of `ms` for rs_conn_await(). (A read by rs_conn_recv_pdu()
 * that finds nothing then waits in steps of `ms`, to its own deadline.) */
RS_MUST_CHECK rs_status rs_conn_set_await(rs_conn *c, int ms, rs_error *err);

/* rs_conn_ready(), waiting up to the time rs_conn_set_await() set inside that one recv(): true
 * when bytes came (or the peer closed: the next read reports it), false when nothing came in
 * that time. Without rs_conn_set_await(), it does not wait. A kernel timer per wait, but no
 * poll(): measured the cheaper of the two, on TCP and on Unix sockets (the server's linger()). */
bool rs_conn_await(rs_conn *c);

/* True while the socket has the receive timeout rs_conn_set_await() gave it. */
bool rs_conn_awaits(const rs_conn *c);

/* Takes the socket's receive timeout away again: its reads wait as long as it takes. */
RS_MUST_CHECK rs_status rs_conn_clear_await(rs_conn *c, rs_error *err);

/* rs_conn_ready(), waiting for the first byte as long as it takes: no kernel timer, so the
 * caller ends the wait some other way (a watch that shuts the socket down, watchdog.h; a
 * shutdown from another thread). True when bytes came or the peer closed or broke the
 * connection; false only if the socket still has a receive timeout and it passed. */
bool rs_conn_wait(rs_conn *c);

/* Frees the read-ahead buffer if it holds nothing, so that an idle connection keeps none of its
 * 64-256 KiB; the next read allocates it again, at 64 KiB. */
void rs_conn_trim(rs_conn *c);

/* "127.0.0.1:53122", "[::1]:53122" or "local": who is at the other end, for logs. */
const char *rs_conn_peer(const rs_conn *c);
int rs_conn_fd(const rs_conn *c);
rs_protseq rs_conn_protseq(const rs_conn *c);

/* Closes the socket and frees the connection. NULL is fine. */
void rs_conn_close(rs_conn *c);

/* Binds and listens on what a binding names. RS_ERR_ADDRESS (e.g. "address in use") on failure. */
RS_MUST_CHECK rs_status rs_listener_open(const rs_binding *b, rs_listener **out, rs_error *err);

/* Waits for one connection until `deadline`. RS_ERR_TIMEOUT if none came. */
RS_MUST_CHECK rs_status rs_listener_accept(rs_listener *l, int64_t deadline, rs_conn **out,
                                           rs_error *err);

/* The binding clients should use, with the real port: "ncacn_ip_tcp:127.0.0.1[41234]". */
const char *rs_listener_binding(const rs_listener *l);
int rs_listener_fd(const rs_listener *l);

/* Stops listening, removes an ncalrpc socket file, frees the listener. NULL is fine. */
void rs_listener_close(rs_listener *l);

#endif
