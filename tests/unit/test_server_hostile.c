/* test_server_hostile.c -- raw bytes at a running server: it answers or closes, never crashes or
 * hangs, and keeps serving a good client afterwards.
 *
 * Tried: a request and an alter_context before any bind; a header of another protocol; a
 * frag_length beyond the limit; binds with no contexts, 17 contexts, version 5.2, twice; every
 * kind of context result (unknown interface, no NDR, accepted, bind time feature negotiation);
 * fragments of two calls interleaved; co_cancel, orphaned, rpc_auth_3, shutdown and a response
 * from a client; a PDU cut at every offset and then a close; a silent connection (idle timeout);
 * more connections than allowed; a stop while a PDU is half sent; a storm of random PDUs.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "client.h"
#include "ndr.h"
#include "pdu.h"
#include "server.h"
#include "transport.h"

/* ==== a one-operation interface: long Add([in] long a, [in] long b) =========================== */

#define CALC_UUID {0x5f3e7b1a, 0x2c4d, 0x4e6f, {0x8a, 0x9b}, {0x0c, 0x1d, 0x2e, 0x3f, 0x4a, 0x5b}}

static rs_status calc_Add_stub(rs_server_call *call)
{
    int32_t a = 0, b = 0;
    rs_status st = rs_ndr_get_long(&call->in, "a", &a);
    if (st == RS_OK)
        st = rs_ndr_flush(&call->in);
    if (st == RS_OK)
        st = rs_ndr_get_long(&call->in, "b", &b);
    if (st == RS_OK)
        st = rs_ndr_flush(&call->in);
    if (st != RS_OK)
        return st;
    call->executed = true;
    st = rs_ndr_put_long(&call->out, "return", (int32_t)((uint32_t)a + (uint32_t)b));
    if (st == RS_OK)
        st = rs_ndr_flush(&call->out);
    return st;
}

static const rs_operation calc_ops[] = {{"Add", calc_Add_stub}};
static const rs_interface calc_interface = {"calc", {CALC_UUID, 1, 0}, calc_ops, 1};

static int32_t calc_Add(rs_client *h, int32_t a, int32_t b)
{
    rs_client_call call;
    int32_t _ret = 0;
    rs_status st = rs_client_call_begin(&call, h, &calc_interface, 0);
    if (st == RS_OK)
        st = rs_ndr_put_long(&call.ndr, "a", a);
    if (st == RS_OK)
        st = rs_ndr_flush(&call.ndr);
    if (st == RS_OK)
        st = rs_ndr_put_long(&call.ndr, "b", b);
    if (st == RS_OK)
        st = rs_ndr_flush(&call.ndr);
    if (st == RS_OK)
        st = rs_client_call_invoke(&call);
    if (st == RS_OK)
        st = rs_ndr_get_long(&call.ndr, "return", &_ret);
    st = rs_client_call_end(&call, st);
    if (st != RS_OK)
        _ret = 0;
    return _ret;
}

/* ==== the server, and a good client to prove it still serves ================================== */

typedef struct test_server {
    rs_server *server;
    pthread_t thread;
    rs_status run_status;
    rs_error err;
} test_server;

static test_server ts; /* one per test, started by setup() */

static void *server_thread(void *arg)
{
    test_server *t = arg;
    t->run_status = rs_server_run(t->server, &t->err);
    return NULL;
}

static void server_start(const rs_server_options *o)
{
    rs_error err = {0};
    memset(&ts, 0, sizeof ts);
    assert_int_equal(rs_server_create(o, &ts.server), RS_OK);
    assert_int_equal(rs_server_register(ts.server, &calc_interface, &err), RS_OK);
    assert_int_equal(rs_server_listen(ts.server, "ncacn_ip_tcp:127.0.0.1[0]", &err), RS_OK);
    assert_int_equal(pthread_create(&ts.thread, NULL, server_thread, &ts), 0);
}

static int setup(void **state)
{
    (void)state;
    server_start(NULL);
    return 0;
}

/* Every test ends by proving that a well-behaved client is still served, then stops the server. */
static int teardown(void **state)
{
    (void)state;
    rs_client *c = NULL;
    assert_int_equal(rs_client_open(rs_server_binding(ts.server, 0), NULL, &c, NULL), RS_OK);
    assert_int_equal(calc_Add(c, 20, 22), 42);
    assert_int_equal(rs_last_call_status(), RS_OK);
    rs_client_close(c);
    rs_server_stop(ts.server);
    assert_int_equal(pthread_join(ts.thread, NULL), 0);
    assert_int_equal(ts.run_status, RS_OK);
    rs_server_destroy(ts.server);
    return 0;
}

/* ==== raw connections ========================================================================= */

static int64_t in_ms(int ms) { return rs_clock_ns() + ms * RS_NS_PER_MS; }

static rs_conn *raw_connect(void)
{
    rs_binding b;
    rs_conn *c = NULL;
    rs_error err = {0};
    assert_int_equal(rs_binding_parse(rs_server_binding(ts.server, 0), &b), RS_OK);
    assert_int_equal(rs_conn_connect(&b, in_ms(2000), &c, &err), RS_OK);
    return c;
}

static void raw_send(rs_conn *c, const void *p, size_t n)
{
    assert_int_equal(rs_conn_send(c, p, n, in_ms(2000), NULL), RS_OK);
}

static void send_pdu(rs_conn *c, const rs_pdu *pdu)
{
    rs_buf out;
    rs_buf_init(&out, 65536);
    assert_int_equal(rs_pdu_encode(pdu, RS_LE, &out), RS_OK);
    raw_send(c, out.data, out.len);
    rs_buf_free(&out);
}

/* Receives one PDU into `in` (which the caller frees) and decodes it into *pdu. */
static void recv_pdu(rs_conn *c, rs_buf *in, rs_pdu *pdu)
{
    rs_error err = {0};
    rs_buf_init(in, 65536);
    if (rs_conn_recv_pdu(c, 65535, in_ms(3000), in, &err) != RS_OK)
        fail_msg("no PDU from the server: %s", err.message);
    rs_buf view;
    rs_buf_view(&view, in->data, in->len);
    if (rs_pdu_decode(&view, pdu) != RS_OK)
        fail_msg("the server's PDU does not decode: %s", rs_buf_error(&view));
}

/* The server closes the connection (without sending anything more) within a generous bound. */
static void expect_closed(rs_conn *c)
{
    rs_buf in;
    rs_buf_init(&in, 65536);
    rs_status st = rs_conn_recv_pdu(c, 65535, in_ms(3000), &in, NULL);
    rs_buf_free(&in);
    if (st != RS_ERR_CLOSED)
        fail_msg("expected the server to close the connection, got %s", rs_status_name(st));
    rs_conn_close(c);
}

static void expect_fault(rs_conn *c, uint32_t call_id, uint32_t code, bool did_not_execute)
{
    rs_buf in;
    rs_pdu pdu;
    recv_pdu(c, &in, &pdu);
    assert_int_equal(pdu.hdr.ptype, RS_PTYPE_FAULT);
    assert_int_equal(pdu.hdr.call_id, call_id);
    assert_int_equal(pdu.fault.status, code);
    assert_int_equal(!!(pdu.hdr.pfc_flags & RS_PFC_DID_NOT_EXECUTE), did_not_execute);
    rs_buf_free(&in);
}

static void expect_bind_nak(rs_conn *c, uint32_t call_id, uint16_t reason)
{
    rs_buf in;
    rs_pdu pdu;
    recv_pdu(c, &in, &pdu);
    assert_int_equal(pdu.hdr.ptype, RS_PTYPE_BIND_NAK);
    assert_int_equal(pdu.hdr.call_id, call_id);
    assert_int_equal(pdu.hdr.frag_length, 24); /* as Windows sends it: 3 pad bytes at the end */
    assert_int_equal(pdu.bind_nak.provider_reject_reason, reason);
    assert_int_equal(pdu.bind_nak.n_protocols, 1);
    assert_int_equal(pdu.bind_nak.protocols[0].major, 5);
    assert_int_equal(pdu.bind_nak.protocols[0].minor, 0);
    rs_buf_free(&in);
}

static const rs_syntax_id calc_syntax = {CALC_UUID, 1, 0};
static const rs_syntax_id ghost_syntax = {
    {0x11111111, 0x2222, 0x3333, {0x44, 0x44}, {0x55, 0x55, 0x55, 0x55, 0x55, 0x55}}, 1, 0};
/* NDR64 (MS-RPCE 2.2.5), which this runtime does not speak. */
static const rs_syntax_id ndr64_syntax = {
    {0x71710533, 0xbeba, 0x4937, {0x83, 0x19}, {0xb5, 0xdb, 0xef, 0x9c, 0xcc, 0x36}}, 1, 0};
/* Bind time feature negotiation offering both features: bitmask 3 in the last 8 bytes. */
static const rs_syntax_id btfn_syntax = {
    {0x6cb71c2c, 0x9812, 0x4540, {0x03, 0x00}, {0x00, 0x00, 0x00, 0x00, 0x00, 0x00}}, 1, 0};

/* A bind (or alter_context) offering calc with NDR as context `p_cont_id`. */
static void make_bind(rs_pdu *pdu, uint8_t ptype, uint32_t call_id, uint16_t p_cont_id)
{
    rs_pdu_init(pdu, ptype, call_id);
    pdu->bind.max_xmit_frag = 4280;
    pdu->bind.max_recv_frag = 4280;
    pdu->bind.n_context_elem = 1;
    pdu->bind.contexts[0].p_cont_id = p_cont_id;
    pdu->bind.contexts[0].n_transfer_syn = 1;
    pdu->bind.contexts[0].abstract_syntax = calc_syntax;
    pdu->bind.contexts[0].transfer_syntaxes[0] = rs_ndr_syntax;
}

/* Binds calc as context 0 and checks the acceptance. */
static void raw_bind(rs_conn *c, uint32_t call_id)
{
    rs_pdu pdu;
    make_bind(&pdu, RS_PTYPE_BIND, call_id, 0);
    send_pdu(c, &pdu);
    rs_buf in;
    recv_pdu(c, &in, &pdu);
    assert_int_equal(pdu.hdr.ptype, RS_PTYPE_BIND_ACK);
    assert_int_equal(pdu.hdr.call_id, call_id);
    assert_int_equal(pdu.bind_ack.n_results, 1);
    assert_int_equal(pdu.bind_ack.results[0].result, RS_CONT_ACCEPTANCE);
    rs_buf_free(&in);
}

/* Add(a, b) as a request: stub data is two little-endian longs. */
static void make_add(rs_pdu *pdu, uint8_t stub[8], uint32_t call_id, uint16_t p_cont_id,
                     int32_t a, int32_t b)
{
    rs_pdu_init(pdu, RS_PTYPE_REQUEST, call_id);
    pdu->request.p_cont_id = p_cont_id;
    pdu->request.opnum = 0;
    rs_store_u32(stub, RS_LE, (uint32_t)a);
    rs_store_u32(stub + 4, RS_LE, (uint32_t)b);
    pdu->stub = stub;
    pdu->stub_len = 8;
    pdu->request.alloc_hint = 8;
}

static void expect_add_result(rs_conn *c, uint32_t call_id, int32_t result)
{
    rs_buf in;
    rs_pdu pdu;
    recv_pdu(c, &in, &pdu);
    assert_int_equal(pdu.hdr.ptype, RS_PTYPE_RESPONSE);
    assert_int_equal(pdu.hdr.call_id, call_id);
    assert_int_equal(pdu.stub_len, 4);
    assert_int_equal((int32_t)rs_load_u32(pdu.stub, RS_LE), result);
    rs_buf_free(&in);
}

/* ==== tests =================================================================================== */

static void test_request_before_bind(void **state)
{
    (void)state;
    rs_conn *c = raw_connect();
    rs_pdu pdu;
    uint8_t stub[8];
    make_add(&pdu, stub, 7, 0, 1, 2);
    send_pdu(c, &pdu);
    expect_fault(c, 7, RS_nca_s_proto_error, true);
    expect_closed(c);
}

static void test_alter_context_before_bind(void **state)
{
    (void)state;
    rs_conn *c = raw_connect();
    rs_pdu pdu;
    make_bind(&pdu, RS_PTYPE_ALTER_CONTEXT, 3, 0);
    send_pdu(c, &pdu);
    expect_fault(c, 3, RS_nca_s_proto_error, true);
    expect_closed(c);
}

static void test_header_of_another_protocol(void **state)
{
    (void)state;
    /* rpc_vers 4: a connectionless-looking header. */
    static const uint8_t v4[16] = {4, 0, 0, 3, 0x10, 0, 0, 0, 16, 0, 0, 0, 1, 0, 0, 0};
    rs_conn *c = raw_connect();
    raw_send(c, v4, sizeof v4);
    expect_closed(c);
    /* Not RPC at all. */
    static const char http[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
    c = raw_connect();
    raw_send(c, http, sizeof http - 1);
    expect_closed(c);
    /* A drep whose integer representation is neither 0 nor 1. */
    static const uint8_t drep[16] = {5, 0, 11, 3, 0x20, 0, 0, 0, 16, 0, 0, 0, 1, 0, 0, 0};
    c = raw_connect();
    raw_send(c, drep, sizeof drep);
    expect_closed(c);
}

static void test_frag_length_beyond_limit(void **state)
{
    (void)state;
    teardown(state); /* a server that accepts fragments of 4280 bytes, as Samba's does */
    rs_server_options o = {.max_frag = 4280};
    server_start(&o);
    /* A request announcing 65000 bytes: refused on the header, before anything is allocated. */
    static const uint8_t big[16] = {5, 0, 0, 3, 0x10, 0, 0, 0, 0xe8, 0xfd, 0, 0, 1, 0, 0, 0};
    rs_conn *c = raw_connect();
    raw_send(c, big, sizeof big);
    expect_closed(c);
    /* And one shorter than its own header. */
    static const uint8_t tiny[16] = {5, 0, 0, 3, 0x10, 0, 0, 0, 8, 0, 0, 0, 1, 0, 0, 0};
    c = raw_connect();
    raw_send(c, tiny, sizeof tiny);
    expect_closed(c);
}

static void test_bind_with_no_contexts(void **state)
{
    (void)state;
    rs_conn *c = raw_connect();
    rs_pdu pdu;
    make_bind(&pdu, RS_PTYPE_BIND, 1, 0);
    pdu.bind.n_context_elem = 0;
    send_pdu(c, &pdu);
    expect_bind_nak(c, 1, RS_REJECT_PROTOCOL_VERSION_NOT_SUPPORTED);
    expect_closed(c);
}

static void test_bind_version_5_2(void **state)
{
    (void)state;
    rs_pdu pdu;
    rs_buf out;
    make_bind(&pdu, RS_PTYPE_BIND, 9, 0);
    rs_buf_init(&out, 4096);
    assert_int_equal(rs_pdu_encode(&pdu, RS_LE, &out), RS_OK);
    out.data[1] = 2; /* rpc_vers_minor */
    rs_conn *c = raw_connect();
    raw_send(c, out.data, out.len);
    rs_buf_free(&out);
    expect_bind_nak(c, 9, RS_REJECT_PROTOCOL_VERSION_NOT_SUPPORTED);
    expect_closed(c);
}

static void test_bind_with_17_contexts(void **state)
{
    (void)state;
    rs_pdu pdu;
    rs_buf out;
    make_bind(&pdu, RS_PTYPE_BIND, 4, 0);
    pdu.bind.n_context_elem = RS_PDU_MAX_CONTEXTS;
    for (unsigned i = 0; i < RS_PDU_MAX_CONTEXTS; i++) {
        pdu.bind.contexts[i] = pdu.bind.contexts[0];
        pdu.bind.contexts[i].p_cont_id = (uint16_t)i;
    }
    rs_buf_init(&out, 4096);
    assert_int_equal(rs_pdu_encode(&pdu, RS_LE, &out), RS_OK);
    /* One more context (44 bytes: id, count, reserved, abstract, one transfer syntax). */
    size_t last = out.len - 44;
    uint8_t extra[44];
    memcpy(extra, out.data + last, sizeof extra);
    extra[0] = 16;
    assert_int_equal(rs_buf_put_bytes(&out, extra, sizeof extra), RS_OK);
    out.data[24] = 17; /* n_context_elem */
    assert_int_equal(rs_buf_patch_u16(&out, 8, RS_LE, (uint16_t)out.len), RS_OK);
    rs_conn *c = raw_connect();
    raw_send(c, out.data, out.len);
    rs_buf_free(&out);
    expect_bind_nak(c, 4, RS_REJECT_LOCAL_LIMIT_EXCEEDED);
    expect_closed(c);
}

static void test_second_bind(void **state)
{
    (void)state;
    rs_conn *c = raw_connect();
    raw_bind(c, 1);
    rs_pdu pdu;
    make_bind(&pdu, RS_PTYPE_BIND, 2, 0);
    send_pdu(c, &pdu);
    expect_bind_nak(c, 2, RS_REJECT_REASON_NOT_SPECIFIED);
    expect_closed(c);
}

static void test_context_results(void **state)
{
    (void)state;
    rs_conn *c = raw_connect();
    rs_pdu pdu;
    make_bind(&pdu, RS_PTYPE_BIND, 1, 0);
    pdu.bind.max_xmit_frag = 5840;
    pdu.bind.max_recv_frag = 5840;
    pdu.bind.assoc_group_id = 0;
    pdu.bind.n_context_elem = 4;
    pdu.bind.contexts[0].abstract_syntax = ghost_syntax;        /* unknown interface */
    pdu.bind.contexts[1] = pdu.bind.contexts[0];
    pdu.bind.contexts[1].p_cont_id = 1;
    pdu.bind.contexts[1].abstract_syntax = calc_syntax;
    pdu.bind.contexts[1].transfer_syntaxes[0] = ndr64_syntax;   /* no NDR 2.0 */
    pdu.bind.contexts[2] = pdu.bind.contexts[1];
    pdu.bind.contexts[2].p_cont_id = 2;
    pdu.bind.contexts[2].n_transfer_syn = 2;
    pdu.bind.contexts[2].transfer_syntaxes[1] = rs_ndr_syntax;  /* NDR second: still chosen */
    pdu.bind.contexts[3] = pdu.bind.contexts[1];
    pdu.bind.contexts[3].p_cont_id = 3;
    pdu.bind.contexts[3].transfer_syntaxes[0] = btfn_syntax;
    send_pdu(c, &pdu);

    rs_buf in;
    recv_pdu(c, &in, &pdu);
    assert_int_equal(pdu.hdr.ptype, RS_PTYPE_BIND_ACK);
    assert_int_equal(pdu.bind_ack.max_xmit_frag, 5840); /* min(theirs, ours: 65535) */
    assert_int_equal(pdu.bind_ack.max_recv_frag, 5840);
    assert_true(pdu.bind_ack.assoc_group_id != 0);
    rs_binding b;
    assert_int_equal(rs_binding_parse(rs_server_binding(ts.server, 0), &b), RS_OK);
    assert_non_null(pdu.bind_ack.sec_addr);
    assert_string_equal(pdu.bind_ack.sec_addr, b.endpoint); /* the port, as decimal text */
    assert_int_equal(pdu.bind_ack.n_results, 4);
    const rs_pdu_result *r = pdu.bind_ack.results;
    assert_int_equal(r[0].result, RS_CONT_PROVIDER_REJECTION);
    assert_int_equal(r[0].reason, RS_PROVIDER_ABSTRACT_SYNTAX_NOT_SUPPORTED);
    assert_int_equal(r[1].result, RS_CONT_PROVIDER_REJECTION);
    assert_int_equal(r[1].reason, RS_PROVIDER_PROPOSED_TRANSFER_SYNTAXES_NOT_SUPPORTED);
    assert_int_equal(r[2].result, RS_CONT_ACCEPTANCE);
    assert_true(rs_syntax_equal(&r[2].transfer_syntax, &rs_ndr_syntax));
    assert_int_equal(r[3].result, RS_CONT_NEGOTIATE_ACK);
    assert_int_equal(r[3].reason, RS_BTFN_KEEP_CONNECTION_ON_ORPHAN);
    rs_buf_free(&in);

    /* Calls: on the accepted context, on a rejected one, on one never offered. */
    uint8_t stub[8];
    make_add(&pdu, stub, 2, 2, 40, 2);
    send_pdu(c, &pdu);
    expect_add_result(c, 2, 42);
    make_add(&pdu, stub, 3, 0, 1, 1);
    send_pdu(c, &pdu);
    expect_fault(c, 3, RS_nca_s_unk_if, true);
    make_add(&pdu, stub, 4, 0, 1, 1);
    pdu.request.opnum = 9;
    pdu.request.p_cont_id = 2;
    send_pdu(c, &pdu);
    expect_fault(c, 4, RS_nca_s_op_rng_error, true);

    /* alter_context adds context 7: no secondary address in its answer. */
    make_bind(&pdu, RS_PTYPE_ALTER_CONTEXT, 5, 7);
    send_pdu(c, &pdu);
    recv_pdu(c, &in, &pdu);
    assert_int_equal(pdu.hdr.ptype, RS_PTYPE_ALTER_CONTEXT_RESP);
    assert_int_equal(pdu.hdr.call_id, 5);
    assert_null(pdu.bind_ack.sec_addr);
    assert_int_equal(pdu.bind_ack.results[0].result, RS_CONT_ACCEPTANCE);
    rs_buf_free(&in);
    /* A request with an object UUID, on context 7. */
    make_add(&pdu, stub, 6, 7, -1, -2);
    pdu.hdr.pfc_flags |= RS_PFC_OBJECT_UUID;
    pdu.request.object = ghost_syntax.uuid;
    send_pdu(c, &pdu);
    expect_add_result(c, 6, -3);
    rs_conn_close(c);

    /* A client that names an association group gets it back. */
    c = raw_connect();
    make_bind(&pdu, RS_PTYPE_BIND, 1, 0);
    pdu.bind.assoc_group_id = 0x1234;
    send_pdu(c, &pdu);
    recv_pdu(c, &in, &pdu);
    assert_int_equal(pdu.bind_ack.assoc_group_id, 0x1234);
    rs_buf_free(&in);
    rs_conn_close(c);
}

static void test_tiny_fragment_offer(void **state)
{
    (void)state;
    rs_conn *c = raw_connect();
    rs_pdu pdu;
    make_bind(&pdu, RS_PTYPE_BIND, 1, 0);
    pdu.bind.max_xmit_frag = 16;
    pdu.bind.max_recv_frag = 16;
    send_pdu(c, &pdu);
    rs_buf in;
    recv_pdu(c, &in, &pdu);
    assert_int_equal(pdu.bind_ack.max_xmit_frag, RS_SERVER_MIN_FRAG);
    assert_int_equal(pdu.bind_ack.max_recv_frag, RS_SERVER_MIN_FRAG);
    rs_buf_free(&in);
    rs_conn_close(c);
}

static void test_pdu_cut_at_every_offset(void **state)
{
    (void)state;
    rs_pdu pdu;
    rs_buf out;
    make_bind(&pdu, RS_PTYPE_BIND, 1, 0);
    rs_buf_init(&out, 4096);
    assert_int_equal(rs_pdu_encode(&pdu, RS_LE, &out), RS_OK);
    for (size_t cut = 1; cut < out.len; cut++) {
        rs_conn *c = raw_connect();
        raw_send(c, out.data, cut);
        rs_conn_close(c); /* then gone: the server must notice and free the connection */
    }
    /* The same bytes, cut short but with frag_length patched to what was sent: decodes badly. */
    for (size_t cut = RS_PDU_HEADER_SIZE; cut < out.len; cut += 4) {
        uint8_t buf[256];
        memcpy(buf, out.data, cut);
        rs_store_u16(buf + 8, RS_LE, (uint16_t)cut);
        rs_conn *c = raw_connect();
        raw_send(c, buf, cut);
        rs_buf in;
        rs_buf_init(&in, 65536);
        rs_status st = rs_conn_recv_pdu(c, 65535, in_ms(3000), &in, NULL);
        if (st == RS_OK) { /* a bind_nak, then the close */
            assert_int_equal(in.data[2], RS_PTYPE_BIND_NAK);
            st = rs_conn_recv_pdu(c, 65535, in_ms(3000), &in, NULL);
        }
        assert_int_equal(st, RS_ERR_CLOSED);
        rs_buf_free(&in);
        rs_conn_close(c);
    }
    rs_buf_free(&out);
}

static void test_fragments_of_two_calls(void **state)
{
    (void)state;
    rs_conn *c = raw_connect();
    raw_bind(c, 1);
    rs_pdu pdu;
    uint8_t stub[8];
    make_add(&pdu, stub, 5, 0, 1, 2);
    pdu.hdr.pfc_flags = RS_PFC_FIRST_FRAG; /* more to come ... */
    send_pdu(c, &pdu);
    make_add(&pdu, stub, 6, 0, 1, 2); /* ... but another call's fragment comes */
    pdu.hdr.pfc_flags = RS_PFC_LAST_FRAG;
    send_pdu(c, &pdu);
    expect_fault(c, 5, RS_nca_s_proto_error, true);
    expect_closed(c);

    /* A first fragment without PFC_FIRST_FRAG. */
    c = raw_connect();
    raw_bind(c, 1);
    make_add(&pdu, stub, 8, 0, 1, 2);
    pdu.hdr.pfc_flags = RS_PFC_LAST_FRAG;
    send_pdu(c, &pdu);
    expect_fault(c, 8, RS_nca_s_proto_error, true);
    expect_closed(c);
}

/* Add(30, 12) for call_id in fragments, encoded into `out`: two (a, then b) or three (a, then
 * b's first two bytes, then its last two); with a co_cancel after the first when `cancel`. */
static void add_in_fragments(rs_buf *out, uint32_t call_id, int fragments, bool cancel)
{
    rs_pdu pdu;
    uint8_t stub[8];
    make_add(&pdu, stub, call_id, 0, 30, 12);
    static const size_t cut[2][4] = {{0, 4, 8, 8}, {0, 4, 6, 8}};
    const size_t *at = cut[fragments - 2];
    for (int k = 0; k < fragments; k++) {
        pdu.hdr.pfc_flags = k == 0 ? RS_PFC_FIRST_FRAG : k == fragments - 1 ? RS_PFC_LAST_FRAG : 0;
        pdu.stub = stub + at[k];
        pdu.stub_len = at[k + 1] - at[k];
        pdu.request.alloc_hint = (uint32_t)(8 - at[k]);
        assert_int_equal(rs_pdu_encode(&pdu, RS_LE, out), RS_OK);
        if (cancel && k == 0) {
            rs_pdu c;
            rs_pdu_init(&c, RS_PTYPE_CO_CANCEL, call_id);
            assert_int_equal(rs_pdu_encode(&c, RS_LE, out), RS_OK);
        }
    }
}

/* A request in fragments, however they come: all in one send (the server joins them where it
 * read them), with a co_cancel between, the second 50 ms after the first, two at once and the
 * third 50 ms later (the two joined in place are copied out before the server reads on: the
 * read would move them), or one byte at a time. */
static void test_request_in_fragments(void **state)
{
    (void)state;
    rs_conn *c = raw_connect();
    raw_bind(c, 1);
    rs_buf out;
    rs_buf_init(&out, 65536);
    add_in_fragments(&out, 2, 2, false);
    raw_send(c, out.data, out.len);
    expect_add_result(c, 2, 42);

    rs_buf_reset(&out);
    add_in_fragments(&out, 3, 3, true);
    raw_send(c, out.data, out.len);
    expect_add_result(c, 3, 42);

    /* Fragments are 28 bytes (a request header and 4) or 26 (and 2). */
    static const struct { uint32_t call_id; int fragments; size_t pause_at; } late[] = {
        {4, 2, 28}, {6, 3, 28 + 26}};
    for (size_t i = 0; i < sizeof late / sizeof late[0]; i++) {
        rs_buf_reset(&out);
        add_in_fragments(&out, late[i].call_id, late[i].fragments, false);
        raw_send(c, out.data, late[i].pause_at);
        usleep(50 * 1000);
        raw_send(c, out.data + late[i].pause_at, out.len - late[i].pause_at);
        expect_add_result(c, late[i].call_id, 42);
    }

    rs_buf_reset(&out);
    add_in_fragments(&out, 5, 3, false);
    for (size_t i = 0; i < out.len; i++) {
        raw_send(c, out.data + i, 1);
        usleep(200);
    }
    expect_add_result(c, 5, 42);
    rs_buf_free(&out);
    rs_conn_close(c);
}

static void test_cancel_and_orphaned_are_ignored(void **state)
{
    (void)state;
    rs_conn *c = raw_connect();
    raw_bind(c, 1);
    rs_pdu pdu;
    uint8_t stub[8];
    rs_pdu_init(&pdu, RS_PTYPE_CO_CANCEL, 2);
    send_pdu(c, &pdu);
    rs_pdu_init(&pdu, RS_PTYPE_ORPHANED, 2);
    send_pdu(c, &pdu);
    /* A call abandoned between its fragments: no answer is due. */
    make_add(&pdu, stub, 3, 0, 1, 1);
    pdu.hdr.pfc_flags = RS_PFC_FIRST_FRAG;
    pdu.stub_len = 4;
    send_pdu(c, &pdu);
    rs_pdu_init(&pdu, RS_PTYPE_CO_CANCEL, 3);
    send_pdu(c, &pdu);
    rs_pdu_init(&pdu, RS_PTYPE_ORPHANED, 3);
    send_pdu(c, &pdu);
    /* The next answer on the connection is call 4's. */
    make_add(&pdu, stub, 4, 0, 2, 2);
    send_pdu(c, &pdu);
    expect_add_result(c, 4, 4);
    rs_conn_close(c);
}

static void test_pdus_a_client_never_sends(void **state)
{
    (void)state;
    static const uint8_t types[] = {RS_PTYPE_SHUTDOWN, RS_PTYPE_RESPONSE, RS_PTYPE_BIND_ACK,
                                    RS_PTYPE_FAULT, RS_PTYPE_ALTER_CONTEXT_RESP};
    for (size_t i = 0; i < sizeof types; i++) {
        rs_conn *c = raw_connect();
        raw_bind(c, 1);
        rs_pdu pdu;
        rs_pdu_init(&pdu, types[i], 2);
        send_pdu(c, &pdu);
        expect_closed(c);
    }
    /* rpc_auth_3 with no authentication negotiated: a protocol error. */
    rs_conn *c = raw_connect();
    raw_bind(c, 1);
    rs_pdu pdu;
    static const uint8_t token[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    rs_pdu_init(&pdu, RS_PTYPE_AUTH3, 2);
    pdu.auth.auth_type = 10;
    pdu.auth.auth_level = 2;
    pdu.auth.auth_value = token;
    pdu.auth.auth_value_length = sizeof token;
    send_pdu(c, &pdu);
    expect_fault(c, 2, RS_nca_s_proto_error, true);
    expect_closed(c);
}

static void test_idle_connection_is_closed(void **state)
{
    (void)state;
    teardown(state); /* this test needs its own options */
    rs_server_options o = {.idle_timeout_ms = 150};
    server_start(&o);
    rs_conn *c = raw_connect();
    expect_closed(c); /* within expect_closed's 3 s: the idle timeout is 150 ms */
    c = raw_connect();
    raw_bind(c, 1); /* activity counts: bound, then silent */
    expect_closed(c);
}

static void test_connection_limit(void **state)
{
    (void)state;
    teardown(state);
    rs_server_options o = {.max_connections = 2};
    server_start(&o);
    rs_conn *a = raw_connect(), *b = raw_connect();
    raw_bind(a, 1); /* both accepted and served */
    raw_bind(b, 1);
    rs_conn *refused = raw_connect();
    expect_closed(refused); /* a clean close, at once */
    rs_conn_close(a);
    /* Once the server has noticed that a closed, there is room again. */
    int64_t give_up = in_ms(3000);
    for (;;) {
        rs_conn *c = raw_connect();
        rs_pdu pdu;
        make_bind(&pdu, RS_PTYPE_BIND, 1, 0);
        send_pdu(c, &pdu);
        rs_buf in;
        rs_buf_init(&in, 65536);
        rs_status st = rs_conn_recv_pdu(c, 65535, in_ms(3000), &in, NULL);
        rs_buf_free(&in);
        rs_conn_close(c);
        if (st == RS_OK)
            break;
        assert_true(rs_clock_ns() < give_up);
        struct timespec ts10 = {0, 10000000};
        nanosleep(&ts10, NULL);
    }
    rs_conn_close(b);
    /* Closed connections free their room as soon as the server notices; a client retries. */
    give_up = in_ms(3000);
    rs_client *client = NULL;
    assert_int_equal(rs_client_open(rs_server_binding(ts.server, 0), NULL, &client, NULL), RS_OK);
    while (calc_Add(client, 1, 1) != 2) {
        assert_true(rs_clock_ns() < give_up);
        struct timespec ts10 = {0, 10000000};
        nanosleep(&ts10, NULL);
    }
    rs_client_close(client);
    /* teardown() makes one attempt: give it a server without the limit. */
    teardown(state);
    server_start(NULL);
}

static void test_stop_with_a_stalled_pdu(void **state)
{
    (void)state;
    /* Half a header, then silence: a worker waits for the rest (io_timeout_ms is 30 s). */
    rs_conn *c = raw_connect();
    static const uint8_t half[10] = {5, 0, 11, 3, 0x10, 0, 0, 0, 72, 0};
    raw_send(c, half, sizeof half);
    struct timespec pause = {0, 50000000};
    nanosleep(&pause, NULL); /* let the loop hand it to a worker */
    int64_t t0 = rs_clock_ns();
    rs_server_stop(ts.server);
    assert_int_equal(pthread_join(ts.thread, NULL), 0);
    assert_true(rs_clock_ns() - t0 < 5 * RS_NS_PER_S); /* not the 30 s of io_timeout_ms */
    assert_int_equal(ts.run_status, RS_OK);
    rs_server_destroy(ts.server);
    expect_closed(c);
    server_start(NULL); /* for teardown() */
}

/* A small deterministic generator, so that a failure can be replayed. */
static uint32_t rng_next(uint32_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 17;
    *s ^= *s << 5;
    return *s;
}

static void test_random_pdus(void **state)
{
    (void)state;
    uint32_t seed = 0x2545F491;
    for (int i = 0; i < 300; i++) {
        uint8_t buf[200];
        size_t len = RS_PDU_HEADER_SIZE + rng_next(&seed) % (sizeof buf - RS_PDU_HEADER_SIZE);
        for (size_t k = 0; k < len; k++)
            buf[k] = (uint8_t)rng_next(&seed);
        /* A header that frames: version 5, little-endian, a plausible PTYPE and frag_length. */
        buf[0] = 5;
        buf[1] = (uint8_t)(rng_next(&seed) % 3);
        buf[2] = (uint8_t)(rng_next(&seed) % 21);
        buf[4] = 0x10;
        buf[5] = 0;
        rs_store_u16(buf + 8, RS_LE, (uint16_t)len);
        rs_store_u16(buf + 10, RS_LE, (uint16_t)(rng_next(&seed) % 2 ? 0 : rng_next(&seed) % 64));
        rs_conn *c = raw_connect();
        if (i % 2 == 0)
            raw_bind(c, 1); /* half of them after a good bind */
        raw_send(c, buf, len);
        rs_conn_close(c);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_request_before_bind, setup, teardown),
        cmocka_unit_test_setup_teardown(test_alter_context_before_bind, setup, teardown),
        cmocka_unit_test_setup_teardown(test_header_of_another_protocol, setup, teardown),
        cmocka_unit_test_setup_teardown(test_frag_length_beyond_limit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bind_with_no_contexts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bind_version_5_2, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bind_with_17_contexts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_second_bind, setup, teardown),
        cmocka_unit_test_setup_teardown(test_context_results, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tiny_fragment_offer, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pdu_cut_at_every_offset, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fragments_of_two_calls, setup, teardown),
        cmocka_unit_test_setup_teardown(test_request_in_fragments, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cancel_and_orphaned_are_ignored, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pdus_a_client_never_sends, setup, teardown),
        cmocka_unit_test_setup_teardown(test_idle_connection_is_closed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_connection_limit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stop_with_a_stalled_pdu, setup, teardown),
        cmocka_unit_test_setup_teardown(test_random_pdus, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
