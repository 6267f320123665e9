/* client.c -- the client runtime: one association per client, binds, calls and their outcome.
 * See client.h for the contract; the wire is C706 chapter 12 and [MS-RPCE] 2.2.2.
 *
 * Every step of a call is also reported to the trace hook (trace.h), on the calling thread, in
 * this order (transport.c reports the ones in brackets):
 *
 *   CALL_BEGIN                            the call becomes the thread's (rs_trace_set_call())
 *   NDR_PUT ...                           each [in] field the stub marshals
 *   [CONNECT] BIND PDU_BUILT [PDU_SENT]   a new association, or an alter_context for another
 *   [PDU_RECEIVED] BIND_ACK|BIND_NAK      interface on the one there is
 *   PDU_BUILT [PDU_SENT] ...              each request fragment
 *   [PDU_RECEIVED] ... PDU_REASSEMBLED    the response's fragments, joined
 *   NDR_GET ...                           each [out] field the stub unmarshals
 *   FAULT, TIMEOUT or ERROR               how it failed, if it did
 *   CALL_END                              "ok", or the status and its sentence
 *
 * A fault of the lesson's scenario (inject.h) is reported as an ERROR whose text begins
 * "injected: ": unknown-interface and unknown-opnum before the call connects or binds, a delay
 * between [PDU_SENT] and the bytes of the PDU it holds.
 */
#include "client.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "binding.h"
#include "epm.h"
#include "inject.h"
#include "pdu.h"
#include "trace.h"
#include "transport.h"

#define DEFAULT_CONNECT_TIMEOUT_MS 5000
#define DEFAULT_CALL_TIMEOUT_MS 30000

/* A request's stub data must fit alloc_hint, a u32. */
#define REQUEST_STUB_MAX ((size_t)UINT32_MAX)

/* A client keeps one call's request and response buffers between calls (spare_*) up to this
 * capacity each, so that a call of a size made before allocates nothing; a larger one's memory
 * is freed when it ends. */
#define SPARE_KEEP_BYTES (256 * 1024)

/* One interface bound on the connection: its abstract syntax and the context id it got. */
typedef struct bound_context {
    rs_syntax_id syntax;
    uint16_t p_cont_id;
} bound_context;

struct rs_client {
    pthread_mutex_t lock; /* held by rs_client_call_invoke(): one call at a time */
    rs_binding binding;
    char binding_text[RS_BINDING_STRLEN];
    rs_client_options options;

    /* The association. conn is NULL until the first call and after anything broke it. */
    rs_conn *conn;
    uint16_t max_xmit_frag;  /* what we send: min(ours, the server's max_recv_frag) */
    uint16_t max_recv_frag;  /* what we receive: what we offered */
    uint32_t assoc_group_id; /* 0 until a server gave one; kept across reconnects */
    int64_t answered_at;     /* rs_clock_ns() when the last good call's request went out; 0 after
                                a failure */
    bound_context contexts[RS_CLIENT_MAX_CONTEXTS];
    size_t context_count;
    uint16_t next_context_id;

    /* The id the next bind, alter_context or call gets. Atomic: a call takes its id in
     * rs_client_call_begin(), without the lock, so that every event of the call carries it. */
    _Atomic uint32_t next_call_id;
    rs_buf out;            /* the PDU being sent */
    rs_buf in;             /* the PDU just received: a view of it in the connection's buffer */
    rs_pdu_reassembler reasm; /* the response in progress, into the call's buffer (under lock) */

    /* The buffers of the last call, lent to the next (SPARE_KEEP_BYTES). A call takes them in
     * rs_client_call_begin(), before it holds the lock, so spare_taken says who has them: a
     * second thread's concurrent call allocates its own. */
    atomic_bool spare_taken;
    rs_buf spare_request;
    rs_buf spare_response;

    /* The faults of the lesson's scenario (inject.h), read once when the client is opened;
     * count 0 without one. call_procedure is the procedure of the call in progress (under the
     * lock), which a fault's `on` is matched against; NULL between calls. */
    rs_inject inject;
    const char *call_procedure;

    /* The context handles made on this client and not yet freed (client.h), so that
     * rs_client_close() can detach them. Under handles_lock: a handle is freed by whichever
     * thread the program likes, not only by one holding `lock`. */
    pthread_mutex_t handles_lock;
    struct rs_client_context *handles;
};

/* A context handle on the client's side: what the IDL's handle type points to (client.h). */
#define CONTEXT_MAGIC 0x48787443u /* "Ctxh": set while the handle lives, cleared when freed */

typedef struct rs_client_context {
    uint32_t magic;
    rs_client *client;          /* the client whose call made it; NULL once that one closed */
    rs_ndr_context_handle wire; /* the 20 bytes, as the server last sent them */
    struct rs_client_context *prev, *next; /* the client's handles */
} client_context;

/* ---- the outcome of this thread's last call ------------------------------------------------- */

static _Thread_local rs_status last_status;
static _Thread_local uint32_t last_fault;
static _Thread_local rs_error last_error;
static _Thread_local rs_call_error_handler error_handler;
static _Thread_local void *error_handler_ctx;

rs_status rs_last_call_status(void) { return last_status; }
uint32_t rs_last_call_fault(void) { return last_fault; }
const rs_error *rs_last_call_error(void) { return &last_error; }

rs_call_error_handler rs_get_call_error_handler(void **ctx)
{
    *ctx = error_handler_ctx;
    return error_handler;
}

void rs_set_call_error_handler(rs_call_error_handler fn, void *ctx)
{
    error_handler = fn;
    error_handler_ctx = ctx;
}

/* ---- open and close -------------------------------------------------------------------------- */

rs_client_options rs_client_default_options(void)
{
    rs_client_options o = {
        .connect_timeout_ms = DEFAULT_CONNECT_TIMEOUT_MS,
        .call_timeout_ms = DEFAULT_CALL_TIMEOUT_MS,
        .max_frag = RS_PDU_DEFAULT_MAX_FRAG,
        .endian = RS_LE,
        .max_stub = RS_PDU_DEFAULT_MAX_STUB,
    };
    return o;
}

/* The options with every 0 replaced by its default, or RS_ERR_INVALID_ARG. */
static rs_status complete_options(const rs_client_options *given, rs_client_options *o,
                                  rs_error *err)
{
    rs_client_options d = rs_client_default_options();
    *o = given != NULL ? *given : d;
    if (o->connect_timeout_ms == 0)
        o->connect_timeout_ms = d.connect_timeout_ms;
    if (o->call_timeout_ms == 0)
        o->call_timeout_ms = d.call_timeout_ms;
    if (o->max_frag == 0)
        o->max_frag = d.max_frag;
    if (o->max_stub == 0)
        o->max_stub = d.max_stub;
    if (o->connect_timeout_ms < 0 || o->call_timeout_ms < 0)
        return rs_error_set(err, RS_ERR_INVALID_ARG, "client: timeouts must not be negative");
    if (o->max_frag < RS_CLIENT_MIN_FRAG)
        return rs_error_set(err, RS_ERR_INVALID_ARG,
                            "client: max_frag %u leaves no room for a request fragment; the "
                            "smallest is %d",
                            o->max_frag, RS_CLIENT_MIN_FRAG);
    if (o->endian != RS_LE && o->endian != RS_BE)
        return rs_error_set(err, RS_ERR_INVALID_ARG, "client: endian is neither RS_LE nor RS_BE");
    return RS_OK;
}

rs_status rs_client_open(const char *binding, const rs_client_options *options, rs_client **out,
                         rs_error *err)
{
    *out = NULL;
    rs_trace_init_from_env(); /* any program is traceable by its environment alone */
    if (binding == NULL)
        return rs_error_set(err, RS_ERR_INVALID_ARG, "client: no binding");
    rs_client *c = calloc(1, sizeof *c);
    if (c == NULL)
        return rs_error_set(err, RS_ERR_NOMEM, "client: out of memory");
    rs_status st = complete_options(options, &c->options, err);
    if (st != RS_OK)
        goto fail;
    /* A lesson's scenario overrides what the program chose: the script wins (client.h). */
    rs_inject_env env;
    rs_inject_read_env(RS_TRACE_ROLE_CLIENT, &env);
    if (env.has_endian)
        c->options.endian = env.endian;
    if (env.max_frag != 0)
        c->options.max_frag = env.max_frag;
    if (env.call_timeout_ms != 0)
        c->options.call_timeout_ms = env.call_timeout_ms;
    c->inject = env.faults;
    st = rs_binding_parse(binding, &c->binding);
    if (st != RS_OK) {
        rs_error_set(err, st, "client: %s", c->binding.error);
        goto fail;
    }
    st = rs_binding_compose(&c->binding, c->binding_text, sizeof c->binding_text);
    if (st != RS_OK) {
        rs_error_set(err, st, "client: the binding '%s' is too long", binding);
        goto fail;
    }
    if (pthread_mutex_init(&c->lock, NULL) != 0) {
        st = rs_error_set(err, RS_ERR_NOMEM, "client: cannot create a mutex");
        goto fail;
    }
    if (pthread_mutex_init(&c->handles_lock, NULL) != 0) {
        pthread_mutex_destroy(&c->lock);
        st = rs_error_set(err, RS_ERR_NOMEM, "client: cannot create a mutex");
        goto fail;
    }
    rs_buf_init(&c->out, RS_PDU_MAX_FRAG_LENGTH); /* one PDU, or the headers of gathered ones */
    rs_buf_view(&c->in, NULL, 0);
    rs_pdu_reassembler_init(&c->reasm, 0); /* lent each call's response buffer */
    rs_buf_init(&c->spare_request, REQUEST_STUB_MAX);
    rs_buf_init(&c->spare_response, 0);
    atomic_init(&c->spare_taken, false);
    atomic_init(&c->next_call_id, 1);
    *out = c;
    return RS_OK;
fail:
    free(c);
    return st;
}

/* Forgets the association: closes the socket, unbinds every interface. */
static void drop_connection(rs_client *c)
{
    rs_conn_close(c->conn);
    c->conn = NULL;
    rs_buf_view(&c->in, NULL, 0); /* it viewed the connection's buffer */
    c->context_count = 0;
    c->next_context_id = 0;
}

void rs_client_close(rs_client *c)
{
    if (c == NULL)
        return;
    drop_connection(c);
    /* Its context handles stay the program's to free; a call that uses one now fails cleanly. */
    pthread_mutex_lock(&c->handles_lock);
    client_context *next;
    for (client_context *h = c->handles; h != NULL; h = next) {
        next = h->next;
        h->client = NULL;
        h->prev = h->next = NULL;
    }
    c->handles = NULL;
    pthread_mutex_unlock(&c->handles_lock);
    rs_buf_free(&c->out);
    rs_buf_free(&c->in);
    rs_buf_free(&c->spare_request);
    rs_buf_free(&c->spare_response);
    rs_pdu_reassembler_free(&c->reasm);
    pthread_mutex_destroy(&c->handles_lock);
    pthread_mutex_destroy(&c->lock);
    free(c);
}

const char *rs_client_binding(const rs_client *c) { return c->binding_text; }

rs_client_options rs_client_get_options(const rs_client *c) { return c->options; }

/* ---- helpers --------------------------------------------------------------------------------- */

/* Call ids count from 1 and skip 0 when they wrap: unique among the calls in flight, which on one
 * connection is only ever one. */
static uint32_t take_call_id(rs_client *c)
{
    uint32_t id;
    do
        id = atomic_fetch_add(&c->next_call_id, 1);
    while (id == 0);
    return id;
}

static int64_t deadline_in(int ms) { return rs_clock_ns() + (int64_t)ms * RS_NS_PER_MS; }

static uint16_t clamp_frag(uint16_t v) { return v < RS_CLIENT_MIN_FRAG ? RS_CLIENT_MIN_FRAG : v; }

/* An idle connection has nothing to say: if it became readable, the server closed it (EOF, a
 * reset) or sent something unasked (a shutdown PDU). None of that leaves it usable. One recv()
 * that does not wait (rs_conn_ready(), after a look at the bytes read ahead): measured 3-5 us
 * cheaper per call than a poll() on loopback TCP, 0.5-1 us on Unix sockets. Skipped -- even the
 * recv() is a twentieth of a loopback round trip -- while the last good call on the connection
 * went out less than FRESH_NS ago: a server closes a connection after a failure (then the next
 * call looks), after idle_timeout_ms, or when it stops. Only the last can fall in that
 * millisecond; a call sent then fails (RS_ERR_CLOSED: the server closed the connection before
 * the response), as it would had the server stopped just after the look, instead of finding the
 * server gone on a new connection. A request that could not be sent at all is retried on a new connection. */
#define FRESH_NS RS_NS_PER_MS

static bool connection_went_away(rs_client *c)
{
    if (rs_conn_buffered(c->conn) > 0)
        return true;
    /* (Never at a step gate's pace: there, "a millisecond" of the runtime's clock may be
     * minutes in which the lesson killed the server.) */
    if (c->answered_at != 0 && !rs_trace_may_pause() && rs_clock_ns() - c->answered_at < FRESH_NS)
        return false;
    return rs_conn_ready(c->conn);
}

/* "hello 1.0" for messages. */
static void iface_text(const rs_interface *iface, char *out, size_t size)
{
    snprintf(out, size, "%s %u.%u", iface->name != NULL ? iface->name : "(unnamed)",
             iface->syntax.major, iface->syntax.minor);
}

/* Sends the PDU in c->out, of type `ptype`, by the deadline; held first when the scenario
 * delays that type (inject.h). */
static rs_status send_out(rs_client *c, uint8_t ptype, int64_t deadline, const char *what,
                          rs_error *err)
{
    rs_error terr = {0};
    uint32_t hold_ms = 0;
    char note[256];
    const rs_inject_fault *f = rs_inject_match(&c->inject, RS_INJECT_DELAY, ptype,
                                               c->call_procedure);
    if (f != NULL) {
        hold_ms = f->value;
        rs_inject_describe(f, c->call_procedure,
                           "the client holds it before it goes on the wire, a slow network; the "
                           "wait counts against the call's timeout",
                           note, sizeof note);
    }
    rs_status st = rs_conn_send_held(c->conn, c->out.data, c->out.len, hold_ms,
                                     f != NULL ? note : NULL, deadline, &terr);
    if (st != RS_OK) {
        drop_connection(c);
        return rs_error_set(err, st, "client: sending the %s failed: %s", what, terr.message);
    }
    return RS_OK;
}

/* What a receive waits for, in words: `waiting_for`, or "response to call N" when that is NULL
 * -- written only when a sentence needs it, not on every call. */
typedef struct waiting {
    const char *waiting_for;
    uint32_t call_id;
    char text[64];
} waiting;

static const char *waiting_text(waiting *w)
{
    if (w->waiting_for != NULL)
        return w->waiting_for;
    snprintf(w->text, sizeof w->text, "response to call %u", w->call_id);
    return w->text;
}

/* Receives one PDU into c->in and decodes it. Every failure drops the connection. */
static rs_status receive_pdu(rs_client *c, size_t max_pdu, int64_t deadline, int timeout_ms,
                             waiting *w, rs_pdu *pdu, rs_error *err)
{
    rs_error terr = {0};
    rs_status st = rs_conn_recv_pdu(c->conn, max_pdu, deadline, &c->in, &terr);
    const char *waiting_for = st != RS_OK ? waiting_text(w) : NULL;
    if (st != RS_OK) {
        drop_connection(c);
        if (st == RS_ERR_TIMEOUT)
            return rs_error_set(err, st,
                                "client: no %s within %d ms; the connection was closed so that a "
                                "late answer cannot be taken for the next call's",
                                waiting_for, timeout_ms);
        if (st == RS_ERR_CLOSED || st == RS_ERR_TRUNCATED)
            return rs_error_set(err, st, "client: the server closed the connection before the %s "
                                "(%s)", waiting_for, terr.message);
        return rs_error_set(err, st, "client: waiting for the %s: %s", waiting_for, terr.message);
    }
    rs_buf view;
    rs_buf_view(&view, c->in.data, c->in.len);
    st = rs_pdu_decode(&view, pdu);
    if (st != RS_OK) {
        drop_connection(c);
        return rs_error_set(err, RS_ERR_PROTOCOL, "client: the %s does not decode: %s",
                            waiting_text(w), rs_buf_error(&view));
    }
    return RS_OK;
}

/* The sentence for a fault: "the server answered nca_s_op_rng_error (0x1c010002): ...". */
static rs_status fault_error(const rs_pdu *pdu, const char *what, uint32_t *fault, rs_error *err)
{
    uint32_t code = pdu->fault.status;
    const char *name = rs_fault_name(code);
    const char *dne =
        pdu->hdr.pfc_flags & RS_PFC_DID_NOT_EXECUTE ? "; the call did not execute" : "";
    *fault = code;
    if (name != NULL)
        return rs_error_set(err, RS_ERR_FAULT, "client: the server answered %s %s (0x%08x): %s%s",
                            what, name, code, rs_fault_message(code), dne);
    return rs_error_set(err, RS_ERR_FAULT, "client: the server answered %s fault 0x%08x%s", what,
                        code, dne);
}

/* ---- trace events ----------------------------------------------------------------------------
 * Each helper is called only when rs_trace_enabled(), so that with tracing off an event site is
 * one branch and builds nothing. Events about the call leave call_id 0: rs_trace_emit() fills in
 * the thread's call (rs_trace_set_call() in rs_client_call_begin()). Events about a PDU carry the
 * PDU's own call id, since a bind's is not the request's. */


static uint8_t endian_flag(rs_endian e) { return e == RS_BE ? RS_TRACE_FLAG_BIG_ENDIAN : 0; }

static void emit_text(rs_trace_kind kind, const char *text)
{
    rs_trace_event ev = {.kind = kind, .role = RS_TRACE_ROLE_CLIENT, .text = text};
    rs_trace_emit(&ev);
}

/* An event about the PDU in `pdu`: PDU_BUILT, or what the runtime makes of it (BIND, BIND_ACK,
 * BIND_NAK, FAULT), or PDU_REASSEMBLED's stub data; `iface` names the interface of a bind
 * exchange (NULL: the call's). */
static void emit_pdu(rs_trace_kind kind, const rs_buf *pdu, uint8_t ptype, uint32_t call_id,
                     uint8_t flags, const char *iface, const char *text)
{
    rs_trace_event ev = {
        .kind = kind,
        .role = RS_TRACE_ROLE_CLIENT,
        .call_id = call_id,
        .ptype = ptype,
        .length = pdu->len > UINT32_MAX ? UINT32_MAX : (uint32_t)pdu->len,
        .interface = iface,
        .text = text,
        .flags = flags,
        .bytes = pdu->data,
        .bytes_len = pdu->len,
    };
    rs_trace_emit(&ev);
}

/* "nca_s_op_rng_error (0x1c010002)", or "fault 0x12345678" for a code without a name. */
static void fault_text(uint32_t code, char *out, size_t size)
{
    const char *name = rs_fault_name(code);
    if (name != NULL)
        snprintf(out, size, "%s (0x%08x)", name, code);
    else
        snprintf(out, size, "fault 0x%08x", code);
}

/* What an answer to a bind says: "max_xmit_frag 4280, max_recv_frag 4280, assoc_group
 * 0x00000001: acceptance", with "provider_rejection (abstract_syntax_not_supported)" for a
 * rejected context, one entry per offered context. */
static void ack_text(const rs_pdu_bind_ack *ack, char *out, size_t size)
{
    int n = snprintf(out, size, "max_xmit_frag %u, max_recv_frag %u, assoc_group 0x%08x:",
                     ack->max_xmit_frag, ack->max_recv_frag, ack->assoc_group_id);
    for (unsigned i = 0; i < ack->n_results && n >= 0 && (size_t)n < size; i++) {
        const rs_pdu_result *r = &ack->results[i];
        const char *sep = i > 0 ? "," : "";
        if (r->result == RS_CONT_PROVIDER_REJECTION || r->result == RS_CONT_USER_REJECTION)
            n += snprintf(out + n, size - (size_t)n, "%s %s (%s)", sep,
                          rs_pdu_result_name(r->result), rs_pdu_provider_reason_name(r->reason));
        else
            n += snprintf(out + n, size - (size_t)n, "%s %s", sep, rs_pdu_result_name(r->result));
    }
}

/* The answer to a bind or alter_context, as it arrived in c->in. */
static void trace_bind_answer(const rs_client *c, const rs_pdu *pdu, const rs_interface *iface)
{
    char text[256];
    rs_trace_kind kind;
    switch (pdu->hdr.ptype) {
    case RS_PTYPE_BIND_ACK:
    case RS_PTYPE_ALTER_CONTEXT_RESP:
        kind = RS_TRACE_BIND_ACK;
        ack_text(&pdu->bind_ack, text, sizeof text);
        break;
    case RS_PTYPE_BIND_NAK:
        kind = RS_TRACE_BIND_NAK;
        snprintf(text, sizeof text, "%s",
                 rs_pdu_reject_reason_name(pdu->bind_nak.provider_reject_reason));
        break;
    case RS_PTYPE_FAULT:
        kind = RS_TRACE_FAULT;
        fault_text(pdu->fault.status, text, sizeof text);
        break;
    default:
        return; /* not an answer: the error that follows says what it was */
    }
    emit_pdu(kind, &c->in, pdu->hdr.ptype, pdu->hdr.call_id,
             (uint8_t)(RS_TRACE_FLAG_OUT | endian_flag(pdu->endian)), iface->name, text);
}

/* One field of stub data, from the NDR stream's observer: NDR_PUT while encoding, NDR_GET while
 * decoding. A decoded multi-byte value in the other byte order than this machine's is where the
 * stub converts it (NDR's receiver-makes-right): the event says so. */
/* trace.c tells padding from data by this value without including ndr.h. */
_Static_assert(RS_NDR_REFS_MAX <= RS_CONN_MAX_REFS, "the transport sends every ref a stream makes");
_Static_assert(RS_NDR_ROLE_PADDING == 1, "rs_trace_ndr_field() assumes padding is role 1");

static void emit_field(const rs_ndr *ndr, const rs_ndr_field *f, const uint8_t *bytes, bool out)
{
    rs_trace_ndr_field(RS_TRACE_ROLE_CLIENT, ndr->dir == RS_NDR_DECODE, ndr->endian, f->name, f->type, f->offset,
                       f->length, f->count, (uint8_t)f->role, bytes, out);
}

/* The observers of the request's encoding stream and the response's decoding stream. */
static void observe_request(const rs_ndr *ndr, const rs_ndr_field *f, const uint8_t *bytes,
                            void *ctx)
{
    (void)ctx;
    emit_field(ndr, f, bytes, false);
}

static void observe_response(const rs_ndr *ndr, const rs_ndr_field *f, const uint8_t *bytes,
                             void *ctx)
{
    (void)ctx;
    emit_field(ndr, f, bytes, true);
}

/* ---- bind and alter_context (C706 12.6.4.3, 12.6.4.1) ---------------------------------------- */

/* Offers `iface` as context `p_cont_id` in a bind (first on a connection) or an alter_context
 * (after), with NDR 2.0 as the one transfer syntax, and reads the answer. On acceptance the
 * context is recorded, and a bind_ack's sizes and association group are kept. *nak is set when
 * the answer was a bind_nak. */
static rs_status negotiate(rs_client *c, uint8_t ptype, const rs_interface *iface,
                           uint16_t p_cont_id, int64_t deadline, bool *nak, uint32_t *fault,
                           rs_error *err)
{
    bool is_bind = ptype == RS_PTYPE_BIND;
    const char *name = is_bind ? "bind" : "alter_context";
    char itext[96];
    iface_text(iface, itext, sizeof itext);
    *nak = false;
    if (c->context_count == RS_CLIENT_MAX_CONTEXTS)
        return rs_error_set(err, RS_ERR_LIMIT,
                            "client: %s would be the %d-th interface on one connection; a client "
                            "keeps at most %d",
                            itext, RS_CLIENT_MAX_CONTEXTS + 1, RS_CLIENT_MAX_CONTEXTS);

    rs_pdu pdu; /* rs_pdu_init() and rs_pdu_decode() zero it first */
    uint32_t call_id = take_call_id(c);
    rs_pdu_init(&pdu, ptype, call_id);
    pdu.bind.max_xmit_frag = c->options.max_frag;
    pdu.bind.max_recv_frag = c->options.max_frag;
    pdu.bind.assoc_group_id = c->assoc_group_id;
    pdu.bind.n_context_elem = 1;
    pdu.bind.contexts[0].p_cont_id = p_cont_id;
    pdu.bind.contexts[0].n_transfer_syn = 1;
    pdu.bind.contexts[0].abstract_syntax = iface->syntax;
    pdu.bind.contexts[0].transfer_syntaxes[0] = rs_ndr_syntax;
    rs_buf_reset(&c->out);
    rs_status st = rs_pdu_encode(&pdu, c->options.endian, &c->out);
    if (st != RS_OK)
        return rs_error_set(err, st, "client: cannot encode the %s: %s", name,
                            rs_buf_error(&c->out));
    if (rs_trace_enabled()) {
        char text[160];
        snprintf(text, sizeof text, "%s %s context %u", name, itext, p_cont_id);
        uint8_t flags = endian_flag(c->options.endian);
        emit_pdu(RS_TRACE_BIND, &c->out, ptype, call_id, flags, iface->name, text);
        emit_pdu(RS_TRACE_PDU_BUILT, &c->out, ptype, call_id, flags, iface->name, NULL);
    }
    st = send_out(c, ptype, deadline, name, err);
    if (st != RS_OK)
        return st;

    /* C706: every implementation receives fragments of 1432 bytes before any negotiation. */
    size_t max_pdu = c->options.max_frag > RS_PDU_MUST_RECV_FRAG_SIZE ? c->options.max_frag
                                                                      : RS_PDU_MUST_RECV_FRAG_SIZE;
    char answer[64];
    snprintf(answer, sizeof answer, "answer to the %s", name);
    waiting w = {.waiting_for = answer};
    st = receive_pdu(c, max_pdu, deadline, c->options.connect_timeout_ms, &w, &pdu, err);
    if (st != RS_OK)
        return st;
    if (rs_trace_enabled())
        trace_bind_answer(c, &pdu, iface);
    if (pdu.hdr.call_id != call_id) {
        drop_connection(c);
        return rs_error_set(err, RS_ERR_PROTOCOL,
                            "client: a %s for call %u arrived as the answer to the %s (call %u)",
                            rs_pdu_type_name(pdu.hdr.ptype), pdu.hdr.call_id, name, call_id);
    }
    uint8_t expected = is_bind ? RS_PTYPE_BIND_ACK : RS_PTYPE_ALTER_CONTEXT_RESP;
    if (pdu.hdr.ptype == RS_PTYPE_BIND_NAK && is_bind) {
        drop_connection(c); /* C706: a bind_nak ends the association */
        *nak = true;
        return rs_error_set(err, RS_ERR_BIND_REJECTED,
                            "client: the server refused the bind for %s with bind_nak: %s", itext,
                            rs_pdu_reject_reason_name(pdu.bind_nak.provider_reject_reason));
    }
    if (pdu.hdr.ptype == RS_PTYPE_FAULT) {
        drop_connection(c);
        return fault_error(&pdu, is_bind ? "the bind with" : "the alter_context with", fault, err);
    }
    if (pdu.hdr.ptype != expected) {
        drop_connection(c);
        return rs_error_set(err, RS_ERR_PROTOCOL, "client: a %s arrived as the answer to the %s",
                            rs_pdu_type_name(pdu.hdr.ptype), name);
    }
    const rs_pdu_bind_ack *ack = &pdu.bind_ack;
    if (ack->n_results < 1) {
        drop_connection(c);
        return rs_error_set(err, RS_ERR_PROTOCOL,
                            "client: the %s has no result for the offered context",
                            rs_pdu_type_name(expected));
    }
    const rs_pdu_result *res = &ack->results[0];
    if (res->result != RS_CONT_ACCEPTANCE) {
        /* A rejected bind leaves an association without a context; start afresh next time. A
         * rejected alter_context leaves the other interfaces bound. */
        if (is_bind)
            drop_connection(c);
        return rs_error_set(err, RS_ERR_BIND_REJECTED,
                            "client: the server rejected interface %s: %s (%s)", itext,
                            rs_pdu_result_name(res->result),
                            rs_pdu_provider_reason_name(res->reason));
    }
    if (!rs_syntax_equal(&res->transfer_syntax, &rs_ndr_syntax)) {
        drop_connection(c);
        return rs_error_set(err, RS_ERR_PROTOCOL,
                            "client: the server accepted %s with a transfer syntax other than the "
                            "NDR 2.0 it was offered",
                            itext);
    }
    if (is_bind) {
        uint16_t ours = c->options.max_frag;
        c->max_xmit_frag = clamp_frag(ack->max_recv_frag < ours ? ack->max_recv_frag : ours);
        c->max_recv_frag = ours;
        c->assoc_group_id = ack->assoc_group_id;
    }
    c->contexts[c->context_count].syntax = iface->syntax;
    c->contexts[c->context_count].p_cont_id = p_cont_id;
    c->context_count++;
    return RS_OK;
}

/* Connects and binds `iface` as context 0. A bind_nak to a remembered association group is
 * retried once with group 0: the server that gave it has restarted and forgotten it. */
static rs_status associate(rs_client *c, const rs_client_call *call, const rs_interface *iface,
                           uint32_t *fault, rs_error *err)
{
    /* No endpoint: the host's endpoint mapper says where `iface` listens (epm.h), in calls of
     * its own; every new connection asks again, so a server that moved is found. */
    rs_binding target = c->binding;
    if (target.endpoint[0] == '\0') {
        rs_status st = rs_epm_resolve(&target, iface, err);
        if (rs_trace_enabled()) /* the mapper's calls took this thread's call; give it back */
            rs_trace_set_call(RS_TRACE_ROLE_CLIENT, call->iface->name,
                              rs_interface_operation_name(call->iface, call->opnum),
                              call->call_id, call->opnum);
        if (st != RS_OK)
            return st;
    }
    for (int attempt = 0;; attempt++) {
        int64_t deadline = deadline_in(c->options.connect_timeout_ms);
        rs_error terr = {0};
        rs_status st = rs_conn_connect(&target, deadline, &c->conn, &terr);
        if (st != RS_OK) {
            c->conn = NULL;
            return rs_error_set(err, st, "client: cannot reach %s: %s", c->binding_text,
                                terr.message);
        }
        c->context_count = 0;
        c->next_context_id = 1;
        bool nak;
        rs_error berr = {0};
        st = negotiate(c, RS_PTYPE_BIND, iface, 0, deadline, &nak, fault, &berr);
        if (st == RS_ERR_BIND_REJECTED && nak && c->assoc_group_id != 0 && attempt == 0) {
            c->assoc_group_id = 0;
            continue;
        }
        if (st != RS_OK)
            return rs_error_set(err, berr.status, "%s", berr.message);
        return RS_OK;
    }
}

/* Makes sure the connection is up and `iface` bound on it; *p_cont_id is its context.
 * *reused says whether the connection was there before this call. */
static rs_status prepare(rs_client *c, const rs_client_call *call, const rs_interface *iface,
                         uint16_t *p_cont_id, bool *reused, uint32_t *fault, rs_error *err)
{
    if (c->conn != NULL && connection_went_away(c))
        drop_connection(c);
    *reused = c->conn != NULL;
    if (c->conn == NULL) {
        rs_status st = associate(c, call, iface, fault, err);
        if (st == RS_OK)
            *p_cont_id = c->contexts[0].p_cont_id;
        return st;
    }
    for (size_t i = 0; i < c->context_count; i++) {
        if (rs_syntax_equal(&c->contexts[i].syntax, &iface->syntax)) {
            *p_cont_id = c->contexts[i].p_cont_id;
            return RS_OK;
        }
    }
    bool nak;
    uint16_t id = c->next_context_id++;
    rs_status st = negotiate(c, RS_PTYPE_ALTER_CONTEXT, iface, id,
                             deadline_in(c->options.connect_timeout_ms), &nak, fault, err);
    if (st == RS_OK)
        *p_cont_id = id;
    return st;
}

/* ---- the call -------------------------------------------------------------------------------- */

/* The call becomes the thread's (every event until rs_client_call_end() carries its id,
 * interface and procedure), CALL_BEGIN, and the request's stream reports each field. */
static void trace_begin(rs_client_call *call)
{
    const rs_interface *iface = call->iface;
    const char *opname = iface != NULL ? rs_interface_operation_name(iface, call->opnum) : NULL;
    rs_trace_set_call(RS_TRACE_ROLE_CLIENT, iface != NULL ? iface->name : NULL, opname,
                      call->call_id, call->opnum);
    char text[RS_BINDING_STRLEN + 160];
    if (iface != NULL && call->client != NULL) {
        char itext[96];
        iface_text(iface, itext, sizeof itext);
        snprintf(text, sizeof text, "%s opnum %u (%s) on %s", itext, call->opnum,
                 opname != NULL ? opname : "unknown to this interface", call->client->binding_text);
    } else {
        snprintf(text, sizeof text, "%s",
                 call->client == NULL ? "no binding handle" : "no interface");
    }
    emit_text(RS_TRACE_CALL_BEGIN, text);
    rs_ndr_set_observer(&call->ndr, observe_request, NULL);
}

rs_status rs_client_call_begin(rs_client_call *call, rs_client *client, const rs_interface *iface,
                               uint16_t opnum)
{
    /* Field by field rather than a memset of the whole call (2 KiB, most of it the NDR stream
     * initialised below anyway): this runs for every call. */
    call->client = client;
    call->iface = iface;
    call->opnum = opnum;
    call->fault = 0;
    rs_error_clear(&call->error);
    call->locked = false;
    call->spare = client != NULL && !atomic_exchange(&client->spare_taken, true);
    if (call->spare) {
        rs_buf_move(&call->request, &client->spare_request); /* given back at the call's end */
        rs_buf_move(&call->response, &client->spare_response);
    } else {
        rs_buf_init(&call->request, REQUEST_STUB_MAX);
        rs_buf_init(&call->response, 0);
    }
    rs_ndr_init_encode(&call->ndr, &call->request, client != NULL ? client->options.endian : RS_LE);
    call->call_id = client != NULL ? take_call_id(client) : 0;
    if (rs_trace_enabled())
        trace_begin(call);
    if (client == NULL)
        return rs_error_set(&call->error, RS_ERR_INVALID_ARG,
                            "client: no binding handle: open one with rs_client_open() and set "
                            "it (the interface's implicit handle, or the handle_t parameter)");
    if (iface == NULL)
        return rs_error_set(&call->error, RS_ERR_INVALID_ARG, "client: no interface");
    return RS_OK;
}

/* Sends the request for `opnum` in fragments of the negotiated size. *sent counts the sends that
 * went. The fragments go out gathered (rs_conn_send_fragments(): one system call for up to 32, no
 * copy of the stub) unless each must be seen on its own: the trace reports every fragment as it
 * is built and sent (a step gate may hold it), and an injected delay holds each one. A send that
 * fails therefore delivered no whole request: the server, which runs a call only once its last
 * fragment arrived, cannot have run it. */
static rs_status send_request(rs_client *c, rs_client_call *call, uint32_t call_id,
                              uint16_t p_cont_id, uint16_t opnum, int64_t deadline, size_t *sent)
{
    rs_pdu req;
    rs_pdu_init(&req, RS_PTYPE_REQUEST, call_id);
    req.request.p_cont_id = p_cont_id;
    req.request.opnum = opnum;
    if (c->binding.has_object) {
        req.hdr.pfc_flags |= RS_PFC_OBJECT_UUID;
        req.request.object = c->binding.object;
    }
    req.stub = call->request.data;
    req.stub_len = call->request.len;
    rs_pdu_fragmenter f;
    rs_pdu_fragmenter_init(&f, &req, c->options.endian, c->max_xmit_frag);
    *sent = 0;
    if (!rs_trace_enabled() && rs_inject_match(&c->inject, RS_INJECT_DELAY, RS_PTYPE_REQUEST,
                                               c->call_procedure) == NULL) {
        rs_error terr = {0};
        rs_status st = rs_conn_send_fragments(c->conn, &f, &c->out, call->ndr.refs,
                                              call->ndr.ref_count, deadline, sent, &terr);
        if (st == RS_ERR_INVALID_ARG)
            return rs_error_set(&call->error, st, "client: cannot build the request: %s",
                                rs_buf_error(&c->out));
        if (st != RS_OK) {
            drop_connection(c);
            return rs_error_set(&call->error, st, "client: sending the request failed: %s",
                                terr.message);
        }
        return RS_OK;
    }
    rs_ndr_fill_refs(&call->ndr); /* each fragment is built whole, from the buffer */
    while (!rs_pdu_fragmenter_done(&f)) {
        rs_buf_reset(&c->out);
        rs_status st = rs_pdu_fragmenter_next(&f, &c->out);
        if (st != RS_OK)
            return rs_error_set(&call->error, st, "client: cannot build the request: %s",
                                rs_buf_error(&c->out));
        if (rs_trace_enabled())
            emit_pdu(RS_TRACE_PDU_BUILT, &c->out, RS_PTYPE_REQUEST, call_id,
                     endian_flag(c->options.endian), NULL, NULL);
        st = send_out(c, RS_PTYPE_REQUEST, deadline, "request", &call->error);
        if (st != RS_OK)
            return st;
        (*sent)++;
    }
    return RS_OK;
}

/* Reads the response's fragments (or a fault) for call_id and reassembles them into r: where the
 * connection read them while each next fragment is read ahead whole (pdu.h,
 * rs_pdu_reassembler_add_in_place()), copied out before a read that could move them. */
static rs_status receive_response(rs_client *c, rs_client_call *call, uint32_t call_id,
                                  int64_t deadline, rs_pdu_reassembler *r)
{
    rs_error *err = &call->error;
    waiting w = {.call_id = call_id};
    rs_pdu pdu;
    for (;;) {
        if (rs_conn_before_read(c->conn, r) != RS_OK) {
            drop_connection(c);
            return rs_error_set(err, r->stub.status, "client: the %s: %s", waiting_text(&w),
                                rs_pdu_reassembler_error(r));
        }
        rs_status st = receive_pdu(c, c->max_recv_frag, deadline, c->options.call_timeout_ms,
                                   &w, &pdu, err);
        if (st != RS_OK)
            return st;
        uint8_t ptype = pdu.hdr.ptype;
        if (ptype == RS_PTYPE_SHUTDOWN) {
            drop_connection(c);
            return rs_error_set(err, RS_ERR_PROTOCOL,
                                "client: the server sent shutdown instead of the %s: it is "
                                "closing the association",
                                waiting_text(&w));
        }
        if (pdu.hdr.call_id != call_id) {
            drop_connection(c);
            return rs_error_set(err, RS_ERR_PROTOCOL,
                                "client: a %s for call %u arrived while waiting for the %s",
                                rs_pdu_type_name(ptype), pdu.hdr.call_id, waiting_text(&w));
        }
        if (ptype == RS_PTYPE_FAULT) {
            if (rs_trace_enabled()) {
                char text[64];
                fault_text(pdu.fault.status, text, sizeof text);
                emit_pdu(RS_TRACE_FAULT, &c->in, ptype, call_id,
                         (uint8_t)(RS_TRACE_FLAG_OUT | endian_flag(pdu.endian)), NULL, text);
            }
            return fault_error(&pdu, "the call with", &call->fault, err); /* association stays */
        }
        if (ptype != RS_PTYPE_RESPONSE) {
            drop_connection(c);
            return rs_error_set(err, RS_ERR_PROTOCOL, "client: a %s arrived instead of the %s",
                                rs_pdu_type_name(ptype), waiting_text(&w));
        }
        bool complete;
        st = rs_conn_reassemble(c->conn, r, &pdu, &complete);
        if (st != RS_OK) {
            drop_connection(c); /* the rest of the response would follow */
            return rs_error_set(err, st, "client: the %s: %s", waiting_text(&w),
                                rs_pdu_reassembler_error(r));
        }
        if (complete)
            return RS_OK;
    }
}

/* The scenario's unknown-opnum: the call asks for opnum = the interface's operation count, one
 * past its last, which the server answers with a fault nca_s_op_rng_error. Returns the opnum the
 * request carries. */
static uint16_t inject_opnum(rs_client *c, const rs_client_call *call)
{
    const rs_interface *iface = call->iface;
    const rs_inject_fault *f = rs_inject_match(&c->inject, RS_INJECT_UNKNOWN_OPNUM, 0,
                                               c->call_procedure);
    if (f == NULL)
        return call->opnum;
    uint16_t opnum = iface->operation_count; /* at most 65535: still a u16, and out of range */
    if (rs_trace_enabled()) {
        char what[160];
        snprintf(what, sizeof what,
                 "the request asks for opnum %u, one past the last operation of %s %u.%u",
                 opnum, iface->name != NULL ? iface->name : "the interface", iface->syntax.major,
                 iface->syntax.minor);
        rs_inject_report(RS_TRACE_ROLE_CLIENT, f, c->call_procedure, what);
        /* From here the call's events carry the opnum that goes on the wire. */
        rs_trace_set_call(RS_TRACE_ROLE_CLIENT, iface->name, c->call_procedure, call->call_id,
                          opnum);
    }
    return opnum;
}

/* The scenario's unknown-interface: the call binds *ghost, the interface with the last byte of
 * its UUID's node inverted, which the server does not offer. It gets its own presentation context
 * (an alter_context on a connection that has one, or the bind of a new one), so the server's
 * rejection leaves every interface bound before untouched. Returns the interface to bind. */
static const rs_interface *inject_interface(rs_client *c, const rs_client_call *call,
                                            rs_interface *ghost)
{
    const rs_inject_fault *f = rs_inject_match(&c->inject, RS_INJECT_UNKNOWN_INTERFACE, 0,
                                               c->call_procedure);
    if (f == NULL)
        return call->iface;
    *ghost = *call->iface;
    ghost->syntax.uuid.node[5] ^= 0xff;
    if (rs_trace_enabled()) {
        char real[RS_UUID_STRLEN], fake[RS_UUID_STRLEN], what[224];
        rs_uuid_format(&call->iface->syntax.uuid, real);
        rs_uuid_format(&ghost->syntax.uuid, fake);
        snprintf(what, sizeof what,
                 "the client binds %s instead of %s's %s, an interface the server does not offer",
                 fake, call->iface->name != NULL ? call->iface->name : "the interface", real);
        rs_inject_report(RS_TRACE_ROLE_CLIENT, f, c->call_procedure, what);
    }
    return ghost;
}

static rs_status invoke_locked(rs_client *c, rs_client_call *call)
{
    rs_error *err = &call->error;
    uint16_t p_cont_id = 0;
    bool reused;
    size_t sent;
    uint32_t call_id = call->call_id;
    int64_t deadline = 0;
    rs_status st;
    rs_interface ghost;
    const rs_interface *iface = call->iface;
    uint16_t opnum = call->opnum;
    if (rs_inject_active(&c->inject)) {
        iface = inject_interface(c, call, &ghost);
        opnum = inject_opnum(c, call);
    }
    for (int attempt = 0; attempt < 2; attempt++) {
        st = prepare(c, call, iface, &p_cont_id, &reused, &call->fault, err);
        c->answered_at = 0; /* until this call's answer: a failure on the way leaves it 0 */
        if (st != RS_OK)
            return st;
        deadline = deadline_in(c->options.call_timeout_ms);
        st = send_request(c, call, call_id, p_cont_id, opnum, deadline, &sent);
        /* A reused connection that refuses the very first fragment was closed by the server
         * after the liveness check: nothing was delivered, so one new association may retry. */
        if (st == RS_ERR_CLOSED && sent == 0 && reused && attempt == 0) {
            rs_error_clear(err);
            continue;
        }
        break;
    }
    if (st != RS_OK)
        return st;

    /* The fragments are joined in the call's response buffer (the client's spare memory, when
     * the call has it), which the client's reassembler holds until the response is whole, and
     * which then changes owner without a copy. A failed call's buffer goes back too (its
     * reassembly error with it, cleared when it is used again). */
    rs_pdu_reassembler *r = &c->reasm;
    rs_pdu_reassembler_reset(r);
    rs_buf_move(&r->stub, &call->response);
    r->stub.limit = c->options.max_stub;
    rs_buf_reset(&r->stub);
    st = receive_response(c, call, call_id, deadline, r);
    /* When the request went out, not when the answer came: one clock read less per call, and
     * the window of connection_went_away() only shrinks. */
    c->answered_at = st == RS_OK ? deadline - (int64_t)c->options.call_timeout_ms * RS_NS_PER_MS
                                 : 0;
    rs_buf_move(&call->response, &r->stub);
    call->response.pos = 0;
    if (st != RS_OK)
        return st;
    if (r->in_place) { /* the joined stub data in the read-ahead buffer: no copy */
        const rs_pdu *whole = rs_pdu_reassembler_result(r);
        rs_buf_move(&call->kept, &call->response);
        rs_buf_view(&call->response, whole->stub, whole->stub_len);
        call->locked = true;
    }
    rs_endian e = rs_pdu_reassembler_result(r)->endian;
    if (rs_trace_enabled()) {
        char text[64];
        snprintf(text, sizeof text, "%zu fragment%s, %zu bytes", r->fragments,
                 r->fragments == 1 ? "" : "s", call->response.len);
        emit_pdu(RS_TRACE_PDU_REASSEMBLED, &call->response, RS_PTYPE_RESPONSE, call_id,
                 (uint8_t)(RS_TRACE_FLAG_OUT | endian_flag(e)), NULL, text);
    }

    rs_ndr_free(&call->ndr); /* the encoding stream, done with the request */
    rs_ndr_init_decode(&call->ndr, &call->response, e);
    rs_ndr_set_separate_blocks(&call->ndr); /* [out] data becomes the caller's (client.h) */
    if (rs_trace_enabled())
        rs_ndr_set_observer(&call->ndr, observe_response, NULL);
    return RS_OK;
}

rs_status rs_client_call_invoke(rs_client_call *call)
{
    rs_client *c = call->client;
    if (call->error.status != RS_OK)
        return call->error.status;
    if (c == NULL || call->iface == NULL)
        return rs_error_set(&call->error, RS_ERR_INVALID_ARG,
                            "client: rs_client_call_invoke() on a call that did not begin");
    if (call->ndr.dir != RS_NDR_ENCODE)
        return rs_error_set(&call->error, RS_ERR_INVALID_ARG,
                            "client: rs_client_call_invoke() called twice for one call");
    rs_status st = rs_ndr_status(&call->ndr);
    if (st != RS_OK)
        return rs_error_set(&call->error, st, "client: %s", rs_ndr_error(&call->ndr));
    pthread_mutex_lock(&c->lock);
    c->call_procedure = rs_interface_operation_name(call->iface, call->opnum);
    st = invoke_locked(c, call);
    c->call_procedure = NULL;
    if (!call->locked) /* otherwise rs_client_call_end() unlocks */
        pthread_mutex_unlock(&c->lock);
    return st;
}

/* How the call failed, if it did (a fault was reported when it arrived), then CALL_END. */
static void trace_end(const rs_client_call *call, rs_status st)
{
    if (st == RS_ERR_TIMEOUT)
        emit_text(RS_TRACE_TIMEOUT, call->error.message);
    else if (st != RS_OK && st != RS_ERR_FAULT)
        emit_text(RS_TRACE_ERROR, call->error.message);
    char text[RS_ERROR_MAX + 32];
    if (st == RS_OK)
        snprintf(text, sizeof text, "ok");
    else
        snprintf(text, sizeof text, "%s: %s", rs_status_name(st), call->error.message);
    emit_text(RS_TRACE_CALL_END, text);
}

/* A call's buffer becomes the client's spare again, emptied, with its limit restored; memory
 * beyond SPARE_KEEP_BYTES is freed rather than kept. */
static void keep_spare(rs_buf *spare, rs_buf *used, size_t limit)
{
    if (used->readonly || used->cap > SPARE_KEEP_BYTES) {
        rs_buf_free(used);
        rs_buf_init(used, limit);
    }
    rs_buf_reset(used);
    used->limit = limit;
    rs_buf_move(spare, used);
}

rs_status rs_client_call_end(rs_client_call *call, rs_status st)
{
    bool decoding = call->ndr.dir == RS_NDR_DECODE;
    const char *opname = call->iface != NULL ? rs_interface_operation_name(call->iface, call->opnum)
                                             : NULL;
    if (st == RS_OK && !decoding)
        st = rs_error_set(&call->error, RS_ERR_INVALID_ARG,
                          "client: the call ended before rs_client_call_invoke()");
    if (st == RS_OK && rs_ndr_remaining(&call->ndr) > 0)
        st = rs_error_set(&call->error, RS_ERR_NDR,
                          "client: %zu bytes of stub data left over after the [out] parameters of "
                          "%s (opnum %u): the server's stub and ours disagree",
                          rs_ndr_remaining(&call->ndr), opname != NULL ? opname : "the call",
                          call->opnum);
    if (st == RS_OK) {
        st = rs_ndr_release(&call->ndr); /* only now are the [out] values the caller's */
        if (st != RS_OK)
            rs_error_set(&call->error, st, "client: %s", rs_ndr_error(&call->ndr));
    }
    if (st != RS_OK && call->error.status == RS_OK) {
        /* The stub's own failure: most often NDR, which has the better sentence. */
        if (rs_ndr_status(&call->ndr) != RS_OK)
            rs_error_set(&call->error, st, "client: %s%s", decoding ? "the response: " : "",
                         rs_ndr_error(&call->ndr));
        else
            rs_error_set(&call->error, st, "client: %s", rs_status_message(st));
    }

    if (rs_trace_enabled())
        trace_end(call, st);
    rs_trace_clear_call(); /* always: tracing may have stopped during the call */

    last_status = st;
    last_fault = st == RS_ERR_FAULT ? call->fault : 0;
    if (st == RS_OK)
        rs_error_clear(&last_error);
    else
        last_error = call->error;
    last_error.status = st;

    rs_ndr_free(&call->ndr);
    if (call->locked) { /* done with the response where the connection read it */
        rs_buf_move(&call->response, &call->kept);
        call->locked = false;
        pthread_mutex_unlock(&call->client->lock);
    }
    if (call->spare) {
        rs_client *c = call->client;
        keep_spare(&c->spare_request, &call->request, REQUEST_STUB_MAX);
        keep_spare(&c->spare_response, &call->response, 0);
        call->spare = false;
        atomic_store(&c->spare_taken, false);
    } else {
        rs_buf_free(&call->request);
        rs_buf_free(&call->response);
    }
    if (st != RS_OK && error_handler != NULL)
        error_handler(&last_error, last_fault, error_handler_ctx);
    return st;
}

/* ---- context handles ------------------------------------------------------------------------- */

/* A handle the program holds is alive when its magic is set; a freed or foreign pointer most
 * likely is not. (Reading a freed one is still a use after free: this catches mistakes, it does
 * not make them safe.) */
static bool context_alive(const client_context *h)
{
    return h != NULL && h->magic == CONTEXT_MAGIC;
}

rs_status rs_client_call_begin_context(rs_client_call *call, const void *handle,
                                       rs_client *fallback, const rs_interface *iface,
                                       uint16_t opnum)
{
    const client_context *h = handle;
    rs_client *client = h == NULL ? fallback : context_alive(h) ? h->client : NULL;
    rs_status st = rs_client_call_begin(call, client, iface, opnum);
    if (client != NULL || iface == NULL)
        return st;
    /* No client: say why in the handle's words rather than rs_client_call_begin()'s. */
    rs_error_clear(&call->error);
    if (h == NULL)
        return rs_error_set(&call->error, RS_ERR_NULL_CONTEXT,
                            "client: the context handle that binds the call is NULL, and there "
                            "is no other binding to use");
    if (!context_alive(h))
        return rs_error_set(&call->error, RS_ERR_INVALID_ARG,
                            "client: the handle that binds the call is not a live context handle "
                            "(freed, or never one)");
    return rs_error_set(&call->error, RS_ERR_INVALID_ARG,
                        "client: the context handle that binds the call belongs to a client "
                        "that was closed");
}

rs_status rs_client_put_context_handle(rs_client_call *call, const char *name, const void *handle,
                                       bool null_ok)
{
    static const rs_ndr_context_handle null_handle; /* all zeros: NULL on the wire */
    const client_context *h = handle;
    if (rs_ndr_status(&call->ndr) != RS_OK)
        return rs_ndr_status(&call->ndr);
    if (h == NULL && !null_ok)
        return rs_ndr_fail(&call->ndr, RS_ERR_NULL_CONTEXT,
                           "ndr: %s is a context handle passed [in] and NULL: the server would "
                           "have no state to look up",
                           name);
    if (h != NULL && !context_alive(h))
        return rs_ndr_fail(&call->ndr, RS_ERR_INVALID_ARG,
                           "ndr: %s is not a live context handle (freed, or never one)", name);
    return rs_ndr_put_context_handle(&call->ndr, name, h != NULL ? &h->wire : &null_handle);
}

rs_status rs_client_get_context_handle(rs_client_call *call, const char *name, void *old,
                                       rs_client_context_reply *reply)
{
    memset(reply, 0, sizeof *reply);
    rs_status st = rs_ndr_get_context_handle(&call->ndr, name, &reply->wire);
    if (st != RS_OK)
        return st;
    if (old != NULL && !context_alive(old))
        return rs_ndr_fail(&call->ndr, RS_ERR_INVALID_ARG,
                           "ndr: %s is not a live context handle (freed, or never one)", name);
    if (rs_uuid_is_nil(&reply->wire.uuid) || old != NULL)
        return RS_OK; /* closed, or the caller's handle is updated in place */
    /* A new handle: allocated on the response stream, so that a call that fails frees it with
     * everything else it decoded, and one that succeeds hands it over (rs_client_call_end()). */
    void *mem = NULL;
    st = rs_ndr_alloc(&call->ndr, name, sizeof(client_context), &mem);
    if (st != RS_OK)
        return st;
    client_context *h = mem;
    h->magic = CONTEXT_MAGIC;
    h->client = call->client;
    h->wire = reply->wire;
    reply->fresh = h;
    return RS_OK;
}

void *rs_client_context_apply(void *old, const rs_client_context_reply *reply)
{
    client_context *h = old;
    if (rs_uuid_is_nil(&reply->wire.uuid)) { /* the server closed it */
        rs_client_context_destroy(h);
        return NULL;
    }
    if (h != NULL) {
        h->wire = reply->wire;
        return h;
    }
    h = reply->fresh;
    if (h == NULL || h->client == NULL)
        return h;
    rs_client *c = h->client;
    pthread_mutex_lock(&c->handles_lock);
    h->prev = NULL;
    h->next = c->handles;
    if (c->handles != NULL)
        c->handles->prev = h;
    c->handles = h;
    pthread_mutex_unlock(&c->handles_lock);
    return h;
}

void rs_client_context_destroy(void *handle)
{
    client_context *h = handle;
    if (!context_alive(h))
        return;
    rs_client *c = h->client;
    if (c != NULL) {
        pthread_mutex_lock(&c->handles_lock);
        if (h->prev != NULL)
            h->prev->next = h->next;
        else
            c->handles = h->next;
        if (h->next != NULL)
            h->next->prev = h->prev;
        pthread_mutex_unlock(&c->handles_lock);
    }
    h->magic = 0;
    free(h);
}

rs_client *rs_client_context_client(const void *handle)
{
    const client_context *h = handle;
    return context_alive(h) ? h->client : NULL;
}

rs_ndr_context_handle rs_client_context_wire(const void *handle)
{
    const client_context *h = handle;
    rs_ndr_context_handle zeros;
    memset(&zeros, 0, sizeof zeros);
    return context_alive(h) ? h->wire : zeros;
}
