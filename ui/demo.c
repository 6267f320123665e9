/* demo.c -- hand-made timelines of whole calls. See demo.h. */
#include "demo.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "ndr.h"
#include "pdu.h"
#include "status.h"
#include "uuid.h"

#define CLIENT_PID 4242
#define SERVER_PID 4243
#define BINDING "ncacn_ip_tcp:127.0.0.1[4747]"
#define MAX_FRAG RS_PDU_DEFAULT_MAX_FRAG
#define STEP_NS 1000000u /* 1 ms between events: the timestamps only need to be ordered */
#define BUF_LIMIT (16u << 20) /* stub data and PDUs of a demo */

struct ui_demo {
    rs_trace_event *ev;
    size_t count, cap;
    const rs_trace_event **list; /* &ev[i], made when the demo is complete */
    void **blobs;                /* every string and byte array the events point to */
    size_t blob_count, blob_cap;
    uint64_t seq[2];
    /* The call the next events belong to. */
    const char *interface, *procedure;
    uint32_t call_id;
    uint16_t opnum;
    bool failed;
};

/* ---- building ------------------------------------------------------------------------------ */

static void *keep(ui_demo *d, const void *src, size_t len)
{
    if (d->failed)
        return NULL;
    if (d->blob_count == d->blob_cap) {
        size_t cap = d->blob_cap ? d->blob_cap * 2 : 256;
        void **grown = realloc(d->blobs, cap * sizeof *grown);
        if (grown == NULL) {
            d->failed = true;
            return NULL;
        }
        d->blobs = grown;
        d->blob_cap = cap;
    }
    void *p = malloc(len ? len : 1);
    if (p == NULL) {
        d->failed = true;
        return NULL;
    }
    if (len)
        memcpy(p, src, len);
    d->blobs[d->blob_count++] = p;
    return p;
}

static const char *keep_str(ui_demo *d, const char *s)
{
    return s ? keep(d, s, strlen(s) + 1) : NULL;
}

/* A new event of `kind` from `role`, in the current call. Its pointers stay valid: events are
 * reached through d->list only once the demo is complete. */
static rs_trace_event *add(ui_demo *d, rs_trace_role role, rs_trace_kind kind)
{
    static rs_trace_event scratch;
    if (d->failed)
        return memset(&scratch, 0, sizeof scratch);
    if (d->count == d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 64;
        rs_trace_event *grown = realloc(d->ev, cap * sizeof *grown);
        if (grown == NULL) {
            d->failed = true;
            return memset(&scratch, 0, sizeof scratch);
        }
        d->ev = grown;
        d->cap = cap;
    }
    rs_trace_event *e = &d->ev[d->count];
    memset(e, 0, sizeof *e);
    e->kind = kind;
    e->layer = rs_trace_kind_layer(kind);
    e->role = role;
    e->pid = role == RS_TRACE_ROLE_SERVER ? SERVER_PID : CLIENT_PID;
    e->seq = ++d->seq[role == RS_TRACE_ROLE_SERVER];
    e->time_ns = (uint64_t)(d->count + 1) * STEP_NS;
    e->call_id = d->call_id;
    e->opnum = d->opnum;
    e->interface = d->interface;
    e->procedure = d->procedure;
    d->count++;
    return e;
}

static void set_bytes(ui_demo *d, rs_trace_event *e, const void *bytes, size_t len)
{
    e->bytes = len ? keep(d, bytes, len) : NULL;
    e->bytes_len = e->bytes ? len : 0;
}

static void text_event(ui_demo *d, rs_trace_role role, rs_trace_kind kind, const char *text)
{
    rs_trace_event *e = add(d, role, kind);
    e->text = keep_str(d, text);
}

static void param(ui_demo *d, rs_trace_role role, rs_trace_kind kind, const char *name,
                  const char *c_type, uint64_t address, const void *bytes, size_t size, bool out)
{
    rs_trace_event *e = add(d, role, kind);
    e->name = keep_str(d, name);
    e->c_type = keep_str(d, c_type);
    e->address = address;
    e->length = (uint32_t)size;
    e->flags = out ? RS_TRACE_FLAG_OUT : 0;
    set_bytes(d, e, bytes, address ? size : 0);
}

/* One NDR field, as the runtime reports the stream's observer. */
typedef struct field_rec {
    char name[64];
    const char *type;
    size_t offset, length;
    rs_ndr_role role;
} field_rec;

typedef struct recorder {
    ui_demo *d;
    field_rec *at;
    size_t count, cap;
} recorder;

static void observe(const rs_ndr *ndr, const rs_ndr_field *f, const uint8_t *bytes, void *ctx)
{
    (void)ndr;
    (void)bytes;
    recorder *r = ctx;
    if (r->count == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 64;
        field_rec *grown = realloc(r->at, cap * sizeof *grown);
        if (grown == NULL) {
            r->d->failed = true;
            return;
        }
        r->at = grown;
        r->cap = cap;
    }
    field_rec *x = &r->at[r->count++];
    strncpy(x->name, f->name, sizeof x->name - 1);
    x->name[sizeof x->name - 1] = '\0';
    x->type = f->type;
    x->offset = f->offset;
    x->length = f->length;
    x->role = f->role;
}

/* The recorded fields [from, to) as NDR_PUT (the sender) or NDR_GET (the receiver) events. */
static void ndr_events(ui_demo *d, const recorder *r, size_t from, size_t to, const rs_buf *stub,
                       rs_trace_role role, rs_trace_kind kind, bool out)
{
    for (size_t i = from; i < to && i < r->count; i++) {
        const field_rec *f = &r->at[i];
        rs_trace_event *e = add(d, role, kind);
        e->name = keep_str(d, f->name);
        e->ndr_type = f->type;
        e->ndr_role = (uint8_t)f->role;
        e->offset = (uint32_t)f->offset;
        e->length = (uint32_t)f->length;
        e->flags = out ? RS_TRACE_FLAG_OUT : 0;
        set_bytes(d, e, stub->data + f->offset, f->length);
    }
}

static void pdu_event(ui_demo *d, rs_trace_role role, rs_trace_kind kind, const rs_buf *pdu)
{
    rs_trace_event *e = add(d, role, kind);
    e->ptype = pdu->len > 2 ? pdu->data[2] : 0;
    e->length = (uint32_t)pdu->len;
    set_bytes(d, e, pdu->data, pdu->len);
}

/* A PDU built, sent, and received by the other side. */
static void pdu_across(ui_demo *d, rs_trace_role from, const rs_buf *pdu, bool built)
{
    rs_trace_role to = from == RS_TRACE_ROLE_CLIENT ? RS_TRACE_ROLE_SERVER : RS_TRACE_ROLE_CLIENT;
    if (built)
        pdu_event(d, from, RS_TRACE_PDU_BUILT, pdu);
    pdu_event(d, from, RS_TRACE_PDU_SENT, pdu);
    pdu_event(d, to, RS_TRACE_PDU_RECEIVED, pdu);
}

/* Connect, bind to `iface` and get the bind_ack, as the client runtime does before its first
 * request. */
static void bind(ui_demo *d, const char *iface_uuid)
{
    uint32_t keep_call = d->call_id;
    d->call_id = 1;
    text_event(d, RS_TRACE_ROLE_CLIENT, RS_TRACE_CONNECT, BINDING);
    text_event(d, RS_TRACE_ROLE_SERVER, RS_TRACE_ACCEPT, "127.0.0.1:51234");
    text_event(d, RS_TRACE_ROLE_CLIENT, RS_TRACE_BIND, d->interface);

    rs_pdu p;
    rs_buf out;
    rs_buf_init(&out, BUF_LIMIT);
    rs_pdu_init(&p, RS_PTYPE_BIND, 1);
    p.bind.max_xmit_frag = p.bind.max_recv_frag = MAX_FRAG;
    p.bind.n_context_elem = 1;
    p.bind.contexts[0].p_cont_id = 0;
    p.bind.contexts[0].n_transfer_syn = 1;
    if (rs_uuid_parse(iface_uuid, &p.bind.contexts[0].abstract_syntax.uuid) != RS_OK)
        d->failed = true;
    p.bind.contexts[0].abstract_syntax.major = 1;
    p.bind.contexts[0].transfer_syntaxes[0] = rs_ndr_syntax;
    if (rs_pdu_encode(&p, RS_LE, &out) != RS_OK)
        d->failed = true;
    pdu_across(d, RS_TRACE_ROLE_CLIENT, &out, true);

    text_event(d, RS_TRACE_ROLE_SERVER, RS_TRACE_BIND_ACK, d->interface);
    rs_buf_reset(&out);
    rs_pdu_init(&p, RS_PTYPE_BIND_ACK, 1);
    p.bind_ack.max_xmit_frag = p.bind_ack.max_recv_frag = MAX_FRAG;
    p.bind_ack.assoc_group_id = 0x12345;
    p.bind_ack.sec_addr = "4747";
    p.bind_ack.n_results = 1;
    p.bind_ack.results[0].result = RS_CONT_ACCEPTANCE;
    p.bind_ack.results[0].transfer_syntax = rs_ndr_syntax;
    if (rs_pdu_encode(&p, RS_LE, &out) != RS_OK)
        d->failed = true;
    pdu_across(d, RS_TRACE_ROLE_SERVER, &out, true);
    rs_buf_free(&out);
    d->call_id = keep_call;
}

/* The stub data `stub` as request or response fragments: the sender builds and sends them all
 * (the socket takes them), then the receiver reads them one by one and joins them. */
static void message(ui_demo *d, rs_trace_role from, uint8_t ptype, const rs_buf *stub)
{
    rs_trace_role to = from == RS_TRACE_ROLE_CLIENT ? RS_TRACE_ROLE_SERVER : RS_TRACE_ROLE_CLIENT;
    rs_pdu p;
    rs_pdu_init(&p, ptype, d->call_id);
    if (ptype == RS_PTYPE_REQUEST)
        p.request.opnum = d->opnum;
    p.stub = stub->data;
    p.stub_len = stub->len;
    rs_pdu_fragmenter f;
    rs_pdu_fragmenter_init(&f, &p, RS_LE, MAX_FRAG);
    size_t first = d->count, fragments = 0;
    rs_buf out;
    rs_buf_init(&out, BUF_LIMIT);
    while (!d->failed && !rs_pdu_fragmenter_done(&f)) {
        rs_buf_reset(&out);
        if (rs_pdu_fragmenter_next(&f, &out) != RS_OK) {
            d->failed = true;
            break;
        }
        pdu_event(d, from, RS_TRACE_PDU_BUILT, &out);
        pdu_event(d, from, RS_TRACE_PDU_SENT, &out);
        fragments++;
    }
    rs_buf_free(&out);
    /* The receiver reads what was sent, in order (the events' bytes stay where they are). */
    for (size_t k = 0, i = first; k < fragments && !d->failed; i++) {
        if (d->ev[i].kind != RS_TRACE_PDU_SENT)
            continue;
        rs_buf view;
        rs_buf_view(&view, d->ev[i].bytes, d->ev[i].bytes_len);
        pdu_event(d, to, RS_TRACE_PDU_RECEIVED, &view);
        k++;
    }
    rs_trace_event *e = add(d, to, RS_TRACE_PDU_REASSEMBLED);
    e->ptype = ptype;
    e->length = (uint32_t)stub->len;
    e->text = fragments > 1 ? "fragments joined" : NULL;
    set_bytes(d, e, stub->data, stub->len);
}

static void call(ui_demo *d, const char *interface, const char *procedure, uint32_t call_id,
                 uint16_t opnum)
{
    d->interface = interface;
    d->procedure = procedure;
    d->call_id = call_id;
    d->opnum = opnum;
}

/* ---- the demos ----------------------------------------------------------------------------- */

#define HELLO_UUID "7a98c250-6808-11cf-b73b-00aa00b677a7"

static void hello(ui_demo *d)
{
    static const char text[] = "hello, world";
    const uint64_t client_at = 0x55d0c3a1f2a0, server_at = 0x7f3a1c000b70;
    text_event(d, RS_TRACE_ROLE_SERVER, RS_TRACE_LISTEN, BINDING);
    call(d, "hello", "HelloProc", 2, 0);
    add(d, RS_TRACE_ROLE_CLIENT, RS_TRACE_CALL_BEGIN);
    param(d, RS_TRACE_ROLE_CLIENT, RS_TRACE_PARAM_READ, "pszString", "unsigned char *", client_at,
          text, sizeof text, false);

    rs_buf stub;
    rs_ndr ndr;
    recorder r = {d, NULL, 0, 0};
    rs_buf_init(&stub, BUF_LIMIT);
    rs_ndr_init_encode(&ndr, &stub, RS_LE);
    rs_ndr_set_observer(&ndr, observe, &r);
    if (rs_ndr_put_string(&ndr, "pszString", text) != RS_OK || rs_ndr_flush(&ndr) != RS_OK)
        d->failed = true;
    rs_ndr_free(&ndr);
    ndr_events(d, &r, 0, r.count, &stub, RS_TRACE_ROLE_CLIENT, RS_TRACE_NDR_PUT, false);

    bind(d, HELLO_UUID);
    message(d, RS_TRACE_ROLE_CLIENT, RS_PTYPE_REQUEST, &stub);
    add(d, RS_TRACE_ROLE_SERVER, RS_TRACE_DISPATCH);
    ndr_events(d, &r, 0, r.count, &stub, RS_TRACE_ROLE_SERVER, RS_TRACE_NDR_GET, false);
    param(d, RS_TRACE_ROLE_SERVER, RS_TRACE_PARAM_WRITTEN, "pszString", "unsigned char *", server_at,
          text, sizeof text, false);
    add(d, RS_TRACE_ROLE_SERVER, RS_TRACE_PROCEDURE_ENTER);
    add(d, RS_TRACE_ROLE_SERVER, RS_TRACE_PROCEDURE_RETURN);

    rs_buf empty;
    rs_buf_init(&empty, BUF_LIMIT);
    message(d, RS_TRACE_ROLE_SERVER, RS_PTYPE_RESPONSE, &empty);
    add(d, RS_TRACE_ROLE_CLIENT, RS_TRACE_CALL_END);
    rs_buf_free(&empty);
    rs_buf_free(&stub);
    free(r.at);
}

static rs_status put_long_fn(rs_ndr *ndr, const char *name, const void *obj)
{
    int32_t v;
    memcpy(&v, obj, sizeof v);
    return rs_ndr_put_long(ndr, name, v);
}

static void pointers(ui_demo *d)
{
    static const char name[] = "Ada";
    const int32_t count = 3, result = 42;
    const int16_t flags = 7;
    text_event(d, RS_TRACE_ROLE_SERVER, RS_TRACE_LISTEN, BINDING);
    call(d, "greet", "Greet", 2, 1);
    add(d, RS_TRACE_ROLE_CLIENT, RS_TRACE_CALL_BEGIN);
    param(d, RS_TRACE_ROLE_CLIENT, RS_TRACE_PARAM_READ, "pszName", "char *", 0x55d0c3a1f300, name,
          sizeof name, false);
    param(d, RS_TRACE_ROLE_CLIENT, RS_TRACE_PARAM_READ, "pAge", "int32_t *", 0, NULL, 0, false);
    param(d, RS_TRACE_ROLE_CLIENT, RS_TRACE_PARAM_READ, "pCount", "int32_t *", 0x7ffc9e2b14ac,
          &count, sizeof count, false);
    param(d, RS_TRACE_ROLE_CLIENT, RS_TRACE_PARAM_READ, "flags", "int16_t", 0x7ffc9e2b14a6, &flags,
          sizeof flags, false);

    rs_buf stub;
    rs_ndr ndr;
    recorder r = {d, NULL, 0, 0};
    rs_buf_init(&stub, BUF_LIMIT);
    rs_ndr_init_encode(&ndr, &stub, RS_LE);
    rs_ndr_set_observer(&ndr, observe, &r);
    bool ok = rs_ndr_put_string(&ndr, "pszName", name) == RS_OK && rs_ndr_flush(&ndr) == RS_OK &&
              rs_ndr_put_unique(&ndr, "pAge", NULL, put_long_fn) == RS_OK &&
              rs_ndr_flush(&ndr) == RS_OK &&
              rs_ndr_put_unique(&ndr, "pCount", &count, put_long_fn) == RS_OK &&
              rs_ndr_flush(&ndr) == RS_OK && rs_ndr_put_short(&ndr, "flags", flags) == RS_OK;
    if (!ok)
        d->failed = true;
    rs_ndr_free(&ndr);
    ndr_events(d, &r, 0, r.count, &stub, RS_TRACE_ROLE_CLIENT, RS_TRACE_NDR_PUT, false);

    bind(d, "12345678-1234-abcd-ef00-0123456789ab");
    message(d, RS_TRACE_ROLE_CLIENT, RS_PTYPE_REQUEST, &stub);
    add(d, RS_TRACE_ROLE_SERVER, RS_TRACE_DISPATCH);
    ndr_events(d, &r, 0, r.count, &stub, RS_TRACE_ROLE_SERVER, RS_TRACE_NDR_GET, false);
    param(d, RS_TRACE_ROLE_SERVER, RS_TRACE_PARAM_WRITTEN, "pszName", "char *", 0x7f3a1c000c10,
          name, sizeof name, false);
    param(d, RS_TRACE_ROLE_SERVER, RS_TRACE_PARAM_WRITTEN, "pAge", "int32_t *", 0, NULL, 0, false);
    param(d, RS_TRACE_ROLE_SERVER, RS_TRACE_PARAM_WRITTEN, "pCount", "int32_t *", 0x7f3a1c000c30,
          &count, sizeof count, false);
    param(d, RS_TRACE_ROLE_SERVER, RS_TRACE_PARAM_WRITTEN, "flags", "int16_t", 0x7f3a1bffe9f6,
          &flags, sizeof flags, false);
    add(d, RS_TRACE_ROLE_SERVER, RS_TRACE_PROCEDURE_ENTER);
    add(d, RS_TRACE_ROLE_SERVER, RS_TRACE_PROCEDURE_RETURN);
    param(d, RS_TRACE_ROLE_SERVER, RS_TRACE_PARAM_READ, "pResult", "int32_t *", 0x7f3a1c000c50,
          &result, sizeof result, true);

    rs_buf back;
    recorder rb = {d, NULL, 0, 0};
    rs_buf_init(&back, BUF_LIMIT);
    rs_ndr_init_encode(&ndr, &back, RS_LE);
    rs_ndr_set_observer(&ndr, observe, &rb);
    if (rs_ndr_put_long(&ndr, "pResult", result) != RS_OK)
        d->failed = true;
    rs_ndr_free(&ndr);
    ndr_events(d, &rb, 0, rb.count, &back, RS_TRACE_ROLE_SERVER, RS_TRACE_NDR_PUT, true);
    message(d, RS_TRACE_ROLE_SERVER, RS_PTYPE_RESPONSE, &back);
    ndr_events(d, &rb, 0, rb.count, &back, RS_TRACE_ROLE_CLIENT, RS_TRACE_NDR_GET, true);
    param(d, RS_TRACE_ROLE_CLIENT, RS_TRACE_PARAM_WRITTEN, "pResult", "int32_t *", 0x7ffc9e2b14b0,
          &result, sizeof result, true);
    add(d, RS_TRACE_ROLE_CLIENT, RS_TRACE_CALL_END);
    rs_buf_free(&back);
    rs_buf_free(&stub);
    free(r.at);
    free(rb.at);
}

static void fault(ui_demo *d)
{
    const int32_t a = 7, b = 0;
    text_event(d, RS_TRACE_ROLE_SERVER, RS_TRACE_LISTEN, BINDING);
    call(d, "calc", "Divide", 2, 3);
    add(d, RS_TRACE_ROLE_CLIENT, RS_TRACE_CALL_BEGIN);
    param(d, RS_TRACE_ROLE_CLIENT, RS_TRACE_PARAM_READ, "a", "int32_t", 0x7ffc9e2b14a0, &a, sizeof a, false);
    param(d, RS_TRACE_ROLE_CLIENT, RS_TRACE_PARAM_READ, "b", "int32_t", 0x7ffc9e2b14a4, &b, sizeof b, false);
    rs_buf stub;
    rs_ndr ndr;
    recorder r = {d, NULL, 0, 0};
    rs_buf_init(&stub, BUF_LIMIT);
    rs_ndr_init_encode(&ndr, &stub, RS_LE);
    rs_ndr_set_observer(&ndr, observe, &r);
    if (rs_ndr_put_long(&ndr, "a", a) != RS_OK || rs_ndr_put_long(&ndr, "b", b) != RS_OK)
        d->failed = true;
    rs_ndr_free(&ndr);
    ndr_events(d, &r, 0, r.count, &stub, RS_TRACE_ROLE_CLIENT, RS_TRACE_NDR_PUT, false);
    bind(d, "b1a7c2d4-0000-4000-8000-00000000ca1c");
    message(d, RS_TRACE_ROLE_CLIENT, RS_PTYPE_REQUEST, &stub);
    add(d, RS_TRACE_ROLE_SERVER, RS_TRACE_DISPATCH);
    ndr_events(d, &r, 0, r.count, &stub, RS_TRACE_ROLE_SERVER, RS_TRACE_NDR_GET, false);
    param(d, RS_TRACE_ROLE_SERVER, RS_TRACE_PARAM_WRITTEN, "a", "int32_t", 0x7f3a1bffe9f0, &a, sizeof a, false);
    param(d, RS_TRACE_ROLE_SERVER, RS_TRACE_PARAM_WRITTEN, "b", "int32_t", 0x7f3a1bffe9f4, &b, sizeof b, false);
    add(d, RS_TRACE_ROLE_SERVER, RS_TRACE_PROCEDURE_ENTER);
    text_event(d, RS_TRACE_ROLE_SERVER, RS_TRACE_FAULT, "nca_s_fault_int_div_by_zero");

    rs_pdu p;
    rs_buf out;
    rs_buf_init(&out, BUF_LIMIT);
    rs_pdu_init(&p, RS_PTYPE_FAULT, d->call_id);
    p.fault.status = RS_nca_s_fault_int_div_by_zero;
    if (rs_pdu_encode(&p, RS_LE, &out) != RS_OK)
        d->failed = true;
    pdu_across(d, RS_TRACE_ROLE_SERVER, &out, true);
    text_event(d, RS_TRACE_ROLE_CLIENT, RS_TRACE_FAULT, "nca_s_fault_int_div_by_zero");
    add(d, RS_TRACE_ROLE_CLIENT, RS_TRACE_CALL_END);
    rs_buf_free(&out);
    rs_buf_free(&stub);
    free(r.at);
}

typedef struct point {
    int16_t x;
    int32_t y;
} point;

static rs_status put_point(rs_ndr *ndr, const char *name, const void *obj)
{
    const point *p = obj;
    rs_status st = rs_ndr_enter(ndr, name);
    if (st == RS_OK)
        st = rs_ndr_put_short(ndr, "x", p->x);
    if (st == RS_OK)
        st = rs_ndr_put_long(ndr, "y", p->y);
    if (st == RS_OK)
        st = rs_ndr_leave(ndr);
    return st;
}

static void busy(ui_demo *d)
{
    enum { DATA = 65536, POINTS = 500 };
    uint8_t *data = malloc(DATA);
    /* Zeroed: the events carry the array's raw bytes, its padding too (after x), which would
     * otherwise show whatever the heap held, different from run to run. */
    point *points = calloc(POINTS, sizeof *points);
    if (data == NULL || points == NULL) {
        d->failed = true;
        free(data);
        free(points);
        return;
    }
    for (size_t i = 0; i < DATA; i++)
        data[i] = (uint8_t)(i * 7 + (i >> 8));
    for (int i = 0; i < POINTS; i++) { /* member by member: a whole-struct store may copy padding */
        points[i].x = (int16_t)i;
        points[i].y = i * i;
    }
    const int32_t n = DATA, count = POINTS;

    text_event(d, RS_TRACE_ROLE_SERVER, RS_TRACE_LISTEN, BINDING);
    call(d, "upload", "Upload", 2, 0);
    add(d, RS_TRACE_ROLE_CLIENT, RS_TRACE_CALL_BEGIN);
    param(d, RS_TRACE_ROLE_CLIENT, RS_TRACE_PARAM_READ, "n", "int32_t", 0x7ffc9e2b1400, &n, sizeof n, false);
    param(d, RS_TRACE_ROLE_CLIENT, RS_TRACE_PARAM_READ, "data", "uint8_t *", 0x7f0012340010, data, DATA, false);
    param(d, RS_TRACE_ROLE_CLIENT, RS_TRACE_PARAM_READ, "count", "int32_t", 0x7ffc9e2b1404, &count, sizeof count, false);
    param(d, RS_TRACE_ROLE_CLIENT, RS_TRACE_PARAM_READ, "points", "POINT *", 0x55d0c3a20000, points,
          POINTS * sizeof *points, false);

    rs_buf stub;
    rs_ndr ndr;
    recorder r = {d, NULL, 0, 0};
    rs_buf_init(&stub, BUF_LIMIT);
    rs_ndr_init_encode(&ndr, &stub, RS_LE);
    rs_ndr_set_observer(&ndr, observe, &r);
    bool ok = rs_ndr_put_long(&ndr, "n", n) == RS_OK &&
              rs_ndr_put_conformant_array(&ndr, "data", RS_NDR_BYTE, data, DATA) == RS_OK &&
              rs_ndr_put_long(&ndr, "count", count) == RS_OK &&
              rs_ndr_put_conformance(&ndr, "points", POINTS) == RS_OK &&
              rs_ndr_put_elements(&ndr, "points", points, sizeof *points, POINTS, put_point) == RS_OK &&
              rs_ndr_flush(&ndr) == RS_OK;
    if (!ok)
        d->failed = true;
    rs_ndr_free(&ndr);
    ndr_events(d, &r, 0, r.count, &stub, RS_TRACE_ROLE_CLIENT, RS_TRACE_NDR_PUT, false);
    bind(d, "0b6edbfa-4a24-4fc6-8a23-942b1eca65d1");
    message(d, RS_TRACE_ROLE_CLIENT, RS_PTYPE_REQUEST, &stub);
    add(d, RS_TRACE_ROLE_SERVER, RS_TRACE_DISPATCH);
    ndr_events(d, &r, 0, r.count, &stub, RS_TRACE_ROLE_SERVER, RS_TRACE_NDR_GET, false);
    param(d, RS_TRACE_ROLE_SERVER, RS_TRACE_PARAM_WRITTEN, "n", "int32_t", 0x7f3a1bffe9f0, &n, sizeof n, false);
    param(d, RS_TRACE_ROLE_SERVER, RS_TRACE_PARAM_WRITTEN, "data", "uint8_t *", 0x7f3a14000020, data, DATA, false);
    param(d, RS_TRACE_ROLE_SERVER, RS_TRACE_PARAM_WRITTEN, "count", "int32_t", 0x7f3a1bffe9f4, &count, sizeof count, false);
    param(d, RS_TRACE_ROLE_SERVER, RS_TRACE_PARAM_WRITTEN, "points", "POINT *", 0x7f3a14010040, points,
          POINTS * sizeof *points, false);
    add(d, RS_TRACE_ROLE_SERVER, RS_TRACE_PROCEDURE_ENTER);
    add(d, RS_TRACE_ROLE_SERVER, RS_TRACE_PROCEDURE_RETURN);
    rs_buf empty;
    rs_buf_init(&empty, BUF_LIMIT);
    message(d, RS_TRACE_ROLE_SERVER, RS_PTYPE_RESPONSE, &empty);
    add(d, RS_TRACE_ROLE_CLIENT, RS_TRACE_CALL_END);
    rs_buf_free(&empty);
    rs_buf_free(&stub);
    free(r.at);
    free(data);
    free(points);
}

/* ---- the API ------------------------------------------------------------------------------- */

ui_demo *ui_demo_create(ui_demo_id id)
{
    ui_demo *d = calloc(1, sizeof *d);
    if (d == NULL)
        return NULL;
    switch (id) {
    case UI_DEMO_HELLO: hello(d); break;
    case UI_DEMO_POINTERS: pointers(d); break;
    case UI_DEMO_FAULT: fault(d); break;
    case UI_DEMO_BUSY: busy(d); break;
    }
    if (!d->failed) {
        d->list = malloc((d->count ? d->count : 1) * sizeof *d->list);
        if (d->list == NULL)
            d->failed = true;
        for (size_t i = 0; d->list != NULL && i < d->count; i++)
            d->list[i] = &d->ev[i];
    }
    if (d->failed) {
        ui_demo_destroy(d);
        return NULL;
    }
    return d;
}

void ui_demo_destroy(ui_demo *d)
{
    if (d == NULL)
        return;
    for (size_t i = 0; i < d->blob_count; i++)
        free(d->blobs[i]);
    free(d->blobs);
    free(d->list);
    free(d->ev);
    free(d);
}

const rs_trace_event *const *ui_demo_events(const ui_demo *d)
{
    return d->list;
}

size_t ui_demo_count(const ui_demo *d)
{
    return d->count;
}

size_t ui_demo_find(const ui_demo *d, size_t from, rs_trace_kind kind, const char *name)
{
    for (size_t i = from; i < d->count; i++)
        if (d->ev[i].kind == kind &&
            (name == NULL || (d->ev[i].name != NULL && strcmp(d->ev[i].name, name) == 0)))
            return i;
    return d->count;
}

bool ui_demo_from_name(const char *name, ui_demo_id *id)
{
    static const char *const names[] = {"hello", "pointers", "fault", "busy"};
    for (int i = 0; i < 4; i++)
        if (strcmp(names[i], name) == 0) {
            *id = (ui_demo_id)i;
            return true;
        }
    return false;
}
