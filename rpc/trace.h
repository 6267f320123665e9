/* trace.h -- the instrumentation hook: every step of a remote call, reported as an event to a
 * simulator (or a file, or a callback), with a step gate that can hold the process at each step.
 *
 * The runtime and the generated stubs call rs_trace_*() at every step of a call. With no sink
 * the cost is one predictable branch per call site (rs_trace_active is false). A sink comes from
 * the environment when the process starts, or from the API:
 *
 *     RPCSCOPE_TRACE=/tmp/rpcscope.sock   a Unix socket the simulator listens on
 *     RPCSCOPE_TRACE=tcp:127.0.0.1:4800   a TCP address the simulator listens on
 *     RPCSCOPE_TRACE=file:/tmp/call.rstrace   append records to a file
 *     RPCSCOPE_STEP=1                     after each event, wait until the simulator releases it
 *
 *     rs_trace_set_callback(print_event, NULL);   // in-process: every event to a function
 *
 * The step gate: in step mode a process that reported an event waits, before doing anything
 * else, until the simulator sends the release for it. Pausing the window therefore pauses the
 * real process at that exact step. If the sink goes away (the simulator quit or crashed), every
 * gate opens and stays open: tracing never makes an RPC fail or hang. Time spent at the gate does
 * not count against the RPC's timeouts: rs_trace_clock_ns() is the monotonic clock minus the time
 * this process has waited at gates, and the runtime's deadlines use it.
 *
 * Threads: events may be reported from any thread; each is written whole, and the sequence
 * number orders one process's events (seq is given out under the lock that serialises writes, so
 * a stream is in seq order). Only one thread waits at the gate at a time; the others wait for it
 * (the whole process stands still at a step, and rs_trace_clock_ns() with it).
 *
 * Connecting to a socket sink gives up after RS_TRACE_CONNECT_TIMEOUT_MS (a missing simulator
 * never hangs a program); writes never raise SIGPIPE. A write or read that fails, or the
 * simulator closing the connection, drops the sink: tracing turns off, rs_trace_last_error()
 * says why, and the process carries on. A simulator that is alive but does not release the gate
 * holds the process for as long as it likes: that is what pausing means, so the gate itself has
 * no timeout. After fork() the child does not share its parent's trace connection: a socket sink
 * is dropped in the child (a file sink is kept; records carry the pid). fork() itself waits while
 * another thread waits at the gate, so that the child never inherits a held lock.
 *
 * ---- The stream format (version 2) -------------------------------------------------------------
 *
 * All integers little-endian, whatever the RPC's byte order. A stream (a socket connection or a
 * file) begins with an 8-byte preamble, then records:
 *
 *     preamble:  "RSTR"  magic
 *                u16     format version (RS_TRACE_VERSION)
 *                u16     reserved, 0
 *
 *     record:    offset  size  field
 *                     0     4  length: bytes of the record after this field
 *                              (RS_TRACE_RECORD_MIN = 65 <= length <= RS_TRACE_RECORD_MAX)
 *                     4     2  kind            rs_trace_kind
 *                     6     1  layer           rs_trace_layer
 *                     7     1  role            rs_trace_role
 *                     8     4  pid
 *                    12     8  seq             per process, from 1, +1 per event reported (to
 *                                              any sink: a sink opened later starts higher)
 *                    20     8  time_ns         rs_trace_clock_ns() of the process
 *                    28     4  call_id         0 outside a call
 *                    32     2  opnum
 *                    34     1  ndr_role        rs_ndr_role for NDR events, else 0
 *                    35     1  ptype           the PDU type for PDU events, else 0
 *                    36     4  offset          into the NDR buffer or PDU the event is about
 *                    40     4  length          of the range at `offset`
 *                    44     8  address         a memory address in the process, 0 if none
 *                    52     .  six strings, each u16 length (<= RS_TRACE_STRING_MAX) then that
 *                              many bytes of text (no NUL): interface, procedure, name (the NDR
 *                              name path), ndr_type, c_type, text (a sentence: an error, a peer,
 *                              a binding); an absent string is length 0
 *                     .     1  flags (RS_TRACE_FLAG_*)
 *                     .     4  n (<= RS_TRACE_BYTES_MAX), then n bytes: the NDR buffer or PDU
 *                              bytes the event carries (may be 0)
 *                              -- and nothing after them: `length` ends here
 *
 *     release:   offset  size  field                      (step mode only; simulator -> process)
 *                     0     8  seq             the record the process waits on
 *                     8     2  verdict         rs_trace_verdict: what to do with the step
 *                    10     2  reserved, 0
 *                    12     4  arg             RS_TRACE_DELAY: milliseconds (1..60000), else 0
 *
 * In step mode the process waits after each record until the simulator writes that record's
 * release (16 bytes) back on the same connection. A release with another seq, an unknown
 * verdict, a nonzero reserved field or an arg out of range is a protocol error: the process drops
 * the sink (and runs on) rather than guess what the simulator meant. The verdict is how the window
 * acts on the thing itself: "drop this packet" is RS_TRACE_DROP on the release of its PDU_SENT,
 * which is where the sender waits while the packet is drawn in flight; the runtime reads it with
 * rs_trace_take_verdict() (transport.h says what each verdict does to a PDU).
 *
 * Version 1 streams (written before the verdict existed) have the same records and an 8-byte
 * release (the seq alone); readers accept both, and the collector answers each process in the
 * version it announced.
 *
 * A reader rejects a wrong magic, a version it does not know, a nonzero reserved field, a length
 * out of range, strings or bytes that run past the record or exceed their maxima, a NUL inside a
 * string, trailing bytes inside a record, and a kind, layer, role or flag it does not know, each
 * with a sentence saying which (rs_trace_decode()).
 */
#ifndef RPCSCOPE_TRACE_H
#define RPCSCOPE_TRACE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "status.h"

#define RS_TRACE_VERSION 2
#define RS_TRACE_VERSION_MIN 1         /* the oldest version a reader accepts */
#define RS_TRACE_PREAMBLE_SIZE 8
#define RS_TRACE_LENGTH_SIZE 4                /* the u32 that begins each record */
#define RS_TRACE_FIXED_SIZE 52                /* length and fixed fields: the strings start here */
#define RS_TRACE_STRING_COUNT 6
/* 65, the length of a record with nothing in it: fixed fields, six empty strings, flags, n */
#define RS_TRACE_RECORD_MIN                                                                        \
    (RS_TRACE_FIXED_SIZE - RS_TRACE_LENGTH_SIZE + RS_TRACE_STRING_COUNT * 2 + 1 + 4)
#define RS_TRACE_RECORD_MAX (16u << 20)       /* a reader refuses records longer than this */
#define RS_TRACE_BYTES_MAX (4u << 20)         /* an event carries at most this many bytes */
#define RS_TRACE_STRING_MAX 1024              /* longer strings are cut */
#define RS_TRACE_RELEASE_SIZE 16              /* the step gate's release: seq, verdict, arg */
#define RS_TRACE_RELEASE_V1_SIZE 8            /* a version-1 release: the seq alone */
#define RS_TRACE_DELAY_MAX_MS 60000           /* the longest RS_TRACE_DELAY */
#define RS_TRACE_CONNECT_TIMEOUT_MS 1000      /* a socket sink that does not answer is given up */

/* What the simulator says about a step when it releases it (the release's verdict). */
typedef enum rs_trace_verdict_kind {
    RS_TRACE_GO = 0,    /* carry on */
    RS_TRACE_DELAY = 1, /* carry on after arg milliseconds (PDU_SENT: the packet is late) */
    RS_TRACE_DROP = 2,  /* PDU_SENT: the network loses the packet; it is never written */
} rs_trace_verdict_kind;
#define RS_TRACE_VERDICT_LAST RS_TRACE_DROP

typedef struct rs_trace_verdict {
    rs_trace_verdict_kind kind;
    uint32_t ms;        /* RS_TRACE_DELAY only */
} rs_trace_verdict;

/* Who reported it. */
typedef enum rs_trace_role {
    RS_TRACE_ROLE_CLIENT = 1,
    RS_TRACE_ROLE_SERVER = 2,
} rs_trace_role;

/* Where in the process it happened: the lanes of the window. */
typedef enum rs_trace_layer {
    RS_TRACE_LAYER_APPLICATION = 1, /* the program that calls, or the procedure that runs */
    RS_TRACE_LAYER_STUB = 2,        /* the generated stub: parameters and NDR */
    RS_TRACE_LAYER_RUNTIME = 3,     /* the RPC runtime: PDUs, binds, dispatch, faults */
    RS_TRACE_LAYER_TRANSPORT = 4,   /* the socket: connect, send, receive, close */
} rs_trace_layer;

/* XX(NAME, layer, description) -- what happened. Numbers are the order; append only. */
#define RS_TRACE_KIND_TABLE(XX)                                                                    \
    XX(CALL_BEGIN, APPLICATION, "the application calls the client stub")                           \
    XX(CALL_END, APPLICATION, "the client stub returns to the application")                        \
    XX(PARAM_READ, STUB, "the stub reads a parameter from this process's memory")                  \
    XX(PARAM_WRITTEN, STUB, "the stub writes a parameter into this process's memory")              \
    XX(NDR_PUT, STUB, "the stub marshals one field into the NDR buffer")                           \
    XX(NDR_GET, STUB, "the stub unmarshals one field from the NDR buffer")                         \
    XX(NDR_CONVERT, STUB, "the stub converts a field from the sender's byte order")                \
    XX(PDU_BUILT, RUNTIME, "the runtime builds a PDU")                                             \
    XX(PDU_SENT, TRANSPORT, "the PDU goes out on the connection")                                  \
    XX(PDU_RECEIVED, TRANSPORT, "a PDU arrives on the connection")                                 \
    XX(PDU_REASSEMBLED, RUNTIME, "the runtime joins a call's fragments into one stub")             \
    XX(DISPATCH, RUNTIME, "the server runtime selects the interface and operation")                \
    XX(PROCEDURE_ENTER, APPLICATION, "the server procedure starts")                                \
    XX(PROCEDURE_RETURN, APPLICATION, "the server procedure returns")                              \
    XX(FAULT, RUNTIME, "the call fails with a fault")                                              \
    XX(ERROR, RUNTIME, "something went wrong")                                                     \
    XX(TIMEOUT, RUNTIME, "a wait ran out of time")                                                 \
    XX(CONNECT, TRANSPORT, "the client connects to the server")                                    \
    XX(ACCEPT, TRANSPORT, "the server accepts a connection")                                       \
    XX(LISTEN, TRANSPORT, "the server listens on a binding")                                       \
    XX(BIND, RUNTIME, "the client asks to use an interface (bind or alter_context)")               \
    XX(BIND_ACK, RUNTIME, "the server accepts the bind")                                           \
    XX(BIND_NAK, RUNTIME, "the server rejects the bind")                                           \
    XX(CLOSE, TRANSPORT, "the connection closes")

typedef enum rs_trace_kind {
    RS_TRACE_KIND_NONE = 0,
#define RS_TRACE_KIND_ENUM(name, layer, text) RS_TRACE_##name,
    RS_TRACE_KIND_TABLE(RS_TRACE_KIND_ENUM)
#undef RS_TRACE_KIND_ENUM
        RS_TRACE_KIND_COUNT
} rs_trace_kind;

#define RS_TRACE_FLAG_TRUNCATED 0x01 /* `bytes` is the start of a longer buffer */
#define RS_TRACE_FLAG_BIG_ENDIAN 0x02 /* the NDR or PDU bytes are big-endian */
#define RS_TRACE_FLAG_OUT 0x04 /* about the way back: [out] parameters, the response */
#define RS_TRACE_FLAGS_KNOWN 0x07 /* a reader rejects any other bit */

/* One event. Strings and bytes are borrowed: valid during the call that reports the event, or,
 * after rs_trace_decode(), as long as the buffer decoded from (bytes) and the caller's scratch
 * (strings). NULL strings are empty. */
typedef struct rs_trace_event {
    rs_trace_kind kind;
    rs_trace_layer layer; /* 0: the kind's own layer */
    rs_trace_role role;   /* 0: the role of the current call on this thread */
    uint32_t pid;         /* filled in by the reporter */
    uint64_t seq;         /* filled in by the reporter */
    uint64_t time_ns;     /* filled in by the reporter */
    uint32_t call_id;
    uint16_t opnum;
    uint8_t ndr_role;
    uint8_t ptype;
    uint32_t offset;
    uint32_t length;
    uint64_t address;
    const char *interface;
    const char *procedure;
    const char *name;
    const char *ndr_type;
    const char *c_type;
    const char *text;
    uint8_t flags;
    const uint8_t *bytes;
    size_t bytes_len;
} rs_trace_event;

/* True while a sink is set. Read it through rs_trace_enabled(): the one branch. */
extern _Atomic bool rs_trace_active;

#ifdef RS_TRACE_COMPILED_OUT
/* A build without the hook (`make NOTRACE=1`, for `make bench` to measure what the branch
 * costs): every event site is dead code the compiler drops, and no call carries a trace
 * context. The library still links and reads RPCSCOPE_TRACE; it just never reports. */
static inline bool rs_trace_enabled(void)
{
    return false;
}
#else
static inline bool rs_trace_enabled(void)
{
    return __builtin_expect(atomic_load_explicit(&rs_trace_active, memory_order_relaxed), 0);
}
#endif

/* From RS_TRACE_KIND_TABLE: "PARAM_READ", its sentence, and RS_TRACE_LAYER_STUB for
 * RS_TRACE_PARAM_READ; "?", "?" and 0 for a kind outside the table. */
const char *rs_trace_kind_name(rs_trace_kind k);
const char *rs_trace_kind_text(rs_trace_kind k);
rs_trace_layer rs_trace_kind_layer(rs_trace_kind k);
/* "application", "stub", "runtime", "transport"; "client", "server"; "?" for anything else. */
const char *rs_trace_layer_name(rs_trace_layer l);
const char *rs_trace_role_name(rs_trace_role r);

/* ---- sinks ------------------------------------------------------------------------------------ */

/* Reads RPCSCOPE_TRACE and RPCSCOPE_STEP (exactly "1" turns the gate on) and opens that sink.
 * The runtime calls it from its entry points (client open, server create); only the first call
 * in a process does anything, and it is safe from any thread (pthread_once). A sink that cannot
 * be opened leaves tracing off (the RPC must work anyway); rs_trace_last_error() says why. Once
 * the program has called rs_trace_open(), rs_trace_set_callback() or rs_trace_close(), the
 * environment is not read: what the program chose wins. */
void rs_trace_init_from_env(void);

/* Opens a sink by spec, replacing any other sink:
 *   "PATH"            a Unix socket; the preamble is written on connect
 *   "tcp:HOST:PORT"   TCP (HOST may be a name, an IPv4 address or [IPv6]); preamble on connect
 *   "file:PATH"       a regular file (or a character device such as /dev/null), appended to;
 *                     the preamble is written when the file is empty, and a non-empty file must
 *                     begin with a version-1 preamble or it is not touched (RS_ERR_PROTOCOL or
 *                     RS_ERR_VERSION)
 * `step` turns on the step gate (socket sinks only; a file has nobody to release it). A socket
 * that does not connect within RS_TRACE_CONNECT_TIMEOUT_MS is RS_ERR_TIMEOUT; one that refuses is
 * RS_ERR_CONNECT; a bad spec RS_ERR_INVALID_ARG; a host that does not resolve RS_ERR_ADDRESS.
 * On failure the previous sink stays as it was, and rs_trace_last_error() also says why. */
RS_MUST_CHECK rs_status rs_trace_open(const char *spec, bool step, rs_error *err);

/* Every event goes to fn(event, ctx) on the reporting thread, instead of any other sink, one at
 * a time (under the lock that orders events). fn must not open, close or set a sink, nor fork();
 * events it reports itself are dropped. A NULL fn is rs_trace_close(). */
typedef void (*rs_trace_callback)(const rs_trace_event *ev, void *ctx);
void rs_trace_set_callback(rs_trace_callback fn, void *ctx);

/* Removes the sink; tracing is off again. If a thread waits at the step gate, this waits for
 * its release (or for the simulator to go away). */
void rs_trace_close(void);

/* Why the last sink failed to open or was dropped, or "" (a successful open clears it). The
 * string is this thread's copy, valid until its next call. */
const char *rs_trace_last_error(void);

/* ---- reporting -------------------------------------------------------------------------------- */

/* Fills pid, seq, time_ns, the layer from the kind table when it is 0, the role from the
 * thread's current call when it is 0, and -- when the event names no call (call_id 0) or the
 * current one -- call_id, interface, procedure and opnum from the current call where the event
 * leaves them 0 or NULL (an event about another call keeps its own). Then it encodes the event
 * and writes it whole to the sink (a callback gets the filled event itself), and in step mode
 * waits at the gate. Outside step mode a socket or file sink holds back the steps of calls
 * (every kind but FAULT, ERROR, TIMEOUT, CONNECT, ACCEPT, LISTEN and CLOSE) and writes them, in
 * order, 2 ms after the first of them (from the watchdog's thread), with the next event of those
 * other kinds, at rs_trace_flush(), when 64 KiB wait, or when the sink closes or the process
 * exits. Never fails: a broken sink is dropped and the process carries on; an event with a kind
 * outside the table is not reported. Call only when rs_trace_enabled() (it checks
 * again under its lock, so a sink that went away in between costs nothing). */
void rs_trace_emit(rs_trace_event *ev);

/* Writes the events the sink holds back now. Outside step mode a socket or file sink holds the
 * steps of calls back and writes them together, at most 2 ms after the first of them (the
 * watchdog's thread writes them then, whatever the process is doing; watchdog.h), or once they
 * pass 64 KiB; failures and connection events are written at once, and in step mode every event
 * is. A program need not call this: exit writes what is left. Call only when
 * rs_trace_enabled(). */
void rs_trace_flush(void);

/* True when this process's clock (rs_trace_clock_ns()) may stand still: a step-mode sink has
 * been opened, or the gate has held the process. Until then the clock is CLOCK_MONOTONIC, and a
 * wait may be timed in real time (the transport's watchdog does that). */
bool rs_trace_may_pause(void);

/* The call this thread is working on, attached to every event it reports until cleared. The
 * runtime sets it when a call begins (client) or is dispatched (server). The strings are
 * borrowed: they must stay valid until the call is cleared or replaced (the interface's and
 * procedure's static names are). */
#ifdef RS_TRACE_COMPILED_OUT
static inline void rs_trace_set_call(rs_trace_role role, const char *interface,
                                     const char *procedure, uint32_t call_id, uint16_t opnum)
{
    (void)role, (void)interface, (void)procedure, (void)call_id, (void)opnum;
}
static inline void rs_trace_clear_call(void) {}
#else
void rs_trace_set_call(rs_trace_role role, const char *interface, const char *procedure,
                       uint32_t call_id, uint16_t opnum);
void rs_trace_clear_call(void);
#endif

/* The verdict of the release of the last event this thread reported, and forgets it (the next
 * call says RS_TRACE_GO). Without a gate, or when the event was released with no verdict, it is
 * RS_TRACE_GO. The runtime asks right after the events where a verdict means something. */
rs_trace_verdict rs_trace_take_verdict(void);

/* The clock for RPC deadlines: monotonic nanoseconds minus the time spent at step gates. While
 * a thread waits at the gate it stands still for every thread of the process; it never goes
 * back. With no gate ever used it is CLOCK_MONOTONIC itself. */
int64_t rs_trace_clock_ns(void);

/* One NDR field the runtime's stream observer saw (the NDR engine reports each field it writes or
 * reads; see rs_ndr_set_observer()): an NDR_GET when `decoding`, else an NDR_PUT, with the
 * field's name path, type, range and role, its bytes, RS_TRACE_FLAG_OUT on the way back, and
 * RS_TRACE_FLAG_BIG_ENDIAN for big-endian data. A multi-byte field decoded from the other byte
 * order than this machine's says "converted from big-endian" (or little-endian): that is where
 * "receiver makes right" happens. Call only when rs_trace_enabled(). */
void rs_trace_ndr_field(rs_trace_role role, bool decoding, rs_endian endian, const char *name,
                        const char *ndr_type, size_t offset, size_t length, uint32_t count,
                        uint8_t ndr_role, const uint8_t *bytes, bool out);

/* ---- what generated stubs call (each is one branch when tracing is off) ---------------------- */

void rs_trace_param_slow(rs_trace_kind kind, const char *name, const char *c_type,
                         const void *address, size_t size, bool out);
void rs_trace_procedure_slow(rs_trace_kind kind, const char *procedure);

/* The stub read (RS_TRACE_PARAM_READ) or wrote (RS_TRACE_PARAM_WRITTEN) parameter `name` of C
 * type `c_type`: `size` bytes at `address` in this process (for a pointer parameter, the memory
 * it points to). `out` is true on the way back. The event carries address, length = size (at
 * most UINT32_MAX), the bytes (the first RS_TRACE_BYTES_MAX, with RS_TRACE_FLAG_TRUNCATED past
 * that; none for a NULL address or size 0) and RS_TRACE_FLAG_OUT when `out`. */
static inline void rs_trace_param(rs_trace_kind kind, const char *name, const char *c_type,
                                  const void *address, size_t size, bool out)
{
    if (rs_trace_enabled())
        rs_trace_param_slow(kind, name, c_type, address, size, out);
}

/* The server stub is about to call (RS_TRACE_PROCEDURE_ENTER) or has just returned from
 * (RS_TRACE_PROCEDURE_RETURN) the procedure the server program defines. */
static inline void rs_trace_procedure(rs_trace_kind kind, const char *procedure)
{
    if (rs_trace_enabled())
        rs_trace_procedure_slow(kind, procedure);
}

/* ---- the stream format ------------------------------------------------------------------------ */

/* Appends the preamble. */
RS_MUST_CHECK rs_status rs_trace_put_preamble(rs_buf *out);

/* Checks the preamble at in's cursor and consumes it: RS_ERR_PROTOCOL for a wrong magic or a
 * nonzero reserved field, RS_ERR_VERSION for a version this reader does not know (outside
 * RS_TRACE_VERSION_MIN..RS_TRACE_VERSION), RS_ERR_TRUNCATED for fewer than 8 bytes, each with the
 * sentence on `in` and the cursor left where it was. */
RS_MUST_CHECK rs_status rs_trace_get_preamble(rs_buf *in);

/* The same, and says which version the stream is in (the size of its releases depends on it). */
RS_MUST_CHECK rs_status rs_trace_read_preamble(rs_buf *in, unsigned *version);

/* Writes a release (RS_TRACE_RELEASE_SIZE bytes) into out. */
void rs_trace_put_release(uint8_t out[RS_TRACE_RELEASE_SIZE], uint64_t seq, rs_trace_verdict v);

/* Reads a release; RS_ERR_PROTOCOL (and a sentence in why) for an unknown verdict, a nonzero
 * reserved field or a delay out of range. */
RS_MUST_CHECK rs_status rs_trace_get_release(const uint8_t in[RS_TRACE_RELEASE_SIZE],
                                             uint64_t *seq, rs_trace_verdict *v, char *why,
                                             size_t why_size);

/* The two endpoints in a transport event's text, as the runtime writes them: "LOCAL -> PEER" for
 * CONNECT, PDU_SENT and a client's CLOSE ("127.0.0.1:50312 -> 127.0.0.1:4747"), "LOCAL <- PEER"
 * for ACCEPT, PDU_RECEIVED and a server's CLOSE: the word just before and just after the arrow.
 * False, with both empty, when the text has no arrow. */
#define RS_TRACE_ENDPOINT_MAX 128
bool rs_trace_endpoints(const rs_trace_event *ev, char local[RS_TRACE_ENDPOINT_MAX],
                        char peer[RS_TRACE_ENDPOINT_MAX]);

/* "HOST:PORT" (or "[V6]:PORT"): an endpoint that names one connection's end. "local" (a Unix
 * socket's client) does not: every client of an ncalrpc server has it. */
bool rs_trace_endpoint_has_port(const char *end);

/* Appends one record, all of it or nothing. Strings longer than RS_TRACE_STRING_MAX are cut
 * (at a UTF-8 character boundary); bytes beyond RS_TRACE_BYTES_MAX are cut and the TRUNCATED
 * flag set; a layer of 0 is written as the kind's own. RS_ERR_INVALID_ARG (with the sentence on
 * `out`) for what no reader would accept: a kind outside the table, a layer or role outside its
 * enum, an unknown flag, bytes_len > 0 with NULL bytes. */
RS_MUST_CHECK rs_status rs_trace_encode(const rs_trace_event *ev, rs_buf *out);

/* Decodes one record at in's cursor into *ev and moves the cursor past it. The bytes point into
 * `in` (NULL when there are none); strings are not NUL-terminated in the buffer, so they are
 * copied, NUL-terminated, into `strings`, a caller-owned scratch of RS_TRACE_STRINGS_SIZE bytes,
 * and the event's six strings point there (never NULL; "" when absent).
 *
 * RS_ERR_TRUNCATED when the record is not all there yet: the cursor stays, so read more and
 * retry. RS_ERR_PROTOCOL for a malformed record (see the format above), decided from the
 * length field alone when that is out of range, so a lying length never makes a reader wait for
 * or allocate bytes. Every failure leaves the cursor where it was and puts a sentence on `in`
 * (rs_buf_fail(): the first one is kept), so a stream reader that retries after
 * RS_ERR_TRUNCATED decodes from a fresh view each time:
 *
 *     rs_buf in;  rs_trace_event ev;  char strings[RS_TRACE_STRINGS_SIZE];
 *     rs_buf_view(&in, have + used, have_len - used);
 *     rs_status st = rs_trace_decode(&in, &ev, strings);
 *     if (st == RS_OK) used += in.pos;                       // one event; go on
 *     else if (st == RS_ERR_TRUNCATED) ...                   // read more, then try again
 *     else fprintf(stderr, "%s\n", rs_buf_error(&in));        // a corrupt stream            */
#define RS_TRACE_STRINGS_SIZE (RS_TRACE_STRING_COUNT * (RS_TRACE_STRING_MAX + 1))
RS_MUST_CHECK rs_status rs_trace_decode(rs_buf *in, rs_trace_event *ev, char *strings);

#endif
