/* test_client_faults.c -- the client against scripted servers that misbehave.
 *
 * A fake server (a thread with a listener, speaking PDUs built with pdu.h) answers one call in a
 * chosen wrong way; the client must come back with a clear status and sentence, promptly, and
 * leave nothing behind. Also checked here, from the server's side of the wire: the byte order a
 * big-endian client sends, and the association group a client offers when it reconnects.
 *
 * Wrong answers tried: another call id, a shutdown, a close mid-call, an unknown PTYPE, a
 * bind_nak, a user_rejection, stub data left over, a fragment beyond the client's size, silence,
 * an unknown fault code, a bind_ack in place of a response, fragments that do not fit together.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "client.h"
#include "ndr.h"
#include "pdu.h"
#include "transport.h"

#define CALC_UUID {0x5f3e7b1a, 0x2c4d, 0x4e6f, {0x8a, 0x9b}, {0x0c, 0x1d, 0x2e, 0x3f, 0x4a, 0x5b}}

static const rs_operation calc_ops[] = {{"Add", NULL}};
static const rs_interface calc_interface = {"calc", {CALC_UUID, 1, 0}, calc_ops, 1};

/* long Add([in] long a, [in] long b), as rpcidl writes its client stub. */
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

/* ==== the fake server ========================================================================= */

typedef enum {
    ANSWER_OTHER_CALL_ID,
    ANSWER_SHUTDOWN,
    ANSWER_CLOSE,
    ANSWER_UNKNOWN_PTYPE,
    ANSWER_LEFT_OVER,
    ANSWER_HUGE_FRAGMENT,
    ANSWER_SILENCE,
    ANSWER_UNKNOWN_FAULT,
    ANSWER_BIND_ACK,
    ANSWER_BAD_FRAGMENTS,
    ANSWER_BIG_ENDIAN, /* a correct answer, in big-endian */
} answer;

typedef struct fake {
    rs_listener *listener;
    pthread_t thread;
    void (*script)(struct fake *);
    answer how;
    /* What the thread saw; cmocka asserts only on the test's own thread. */
    char trouble[256];
    uint8_t bind_drep[4], request_drep[4];
    uint8_t request_stub[8];
    uint32_t groups[4];
    int binds;
} fake;

static int64_t in_ms(int ms) { return rs_clock_ns() + ms * RS_NS_PER_MS; }

static void trouble(fake *f, const char *what)
{
    if (f->trouble[0] == '\0')
        snprintf(f->trouble, sizeof f->trouble, "%s", what);
}

static rs_conn *f_accept(fake *f)
{
    rs_conn *c = NULL;
    if (rs_listener_accept(f->listener, in_ms(5000), &c, NULL) != RS_OK)
        trouble(f, "no client connected");
    return c;
}

/* Receives and decodes one PDU; its pointers lead into *in. */
static bool f_recv(fake *f, rs_conn *c, rs_buf *in, rs_pdu *pdu)
{
    if (c == NULL)
        return false;
    if (rs_conn_recv_pdu(c, 65535, in_ms(5000), in, NULL) != RS_OK) {
        trouble(f, "the client sent nothing");
        return false;
    }
    rs_buf view;
    rs_buf_view(&view, in->data, in->len);
    if (rs_pdu_decode(&view, pdu) != RS_OK) {
        trouble(f, "the client's PDU does not decode");
        return false;
    }
    return true;
}

/* Sends one PDU; a client that has gone already is not the fake's trouble. */
static void f_send(rs_conn *c, const rs_pdu *pdu, rs_endian e)
{
    rs_buf out;
    rs_buf_init(&out, 65536);
    if (c != NULL && rs_pdu_encode(pdu, e, &out) == RS_OK &&
        rs_conn_send(c, out.data, out.len, in_ms(5000), NULL) != RS_OK)
        out.len = 0;
    rs_buf_free(&out);
}

/* Waits until the client closes its end (or 5 s pass), then closes ours. */
static void f_wait_close(rs_conn *c)
{
    rs_buf in;
    rs_buf_init(&in, 65536);
    while (c != NULL && rs_conn_recv_pdu(c, 65535, in_ms(5000), &in, NULL) == RS_OK)
        ;
    rs_buf_free(&in);
    rs_conn_close(c);
}

/* Reads a bind and answers it with `result` (acceptance, or a rejection with `reason`). */
static bool f_bind(fake *f, rs_conn *c, rs_endian e, uint32_t group, uint16_t result,
                   uint16_t reason)
{
    rs_buf in;
    rs_pdu pdu, ack;
    rs_buf_init(&in, 65536);
    bool ok = f_recv(f, c, &in, &pdu) && pdu.hdr.ptype == RS_PTYPE_BIND;
    if (ok) {
        memcpy(f->bind_drep, pdu.hdr.drep, 4);
        if (f->binds < 4)
            f->groups[f->binds] = pdu.bind.assoc_group_id;
        f->binds++;
        rs_pdu_init(&ack, RS_PTYPE_BIND_ACK, pdu.hdr.call_id);
        ack.bind_ack.max_xmit_frag = pdu.bind.max_recv_frag;
        ack.bind_ack.max_recv_frag = pdu.bind.max_xmit_frag;
        ack.bind_ack.assoc_group_id = group;
        ack.bind_ack.sec_addr = "135";
        ack.bind_ack.n_results = 1;
        ack.bind_ack.results[0].result = result;
        ack.bind_ack.results[0].reason = reason;
        if (result == RS_CONT_ACCEPTANCE)
            ack.bind_ack.results[0].transfer_syntax = rs_ndr_syntax;
        f_send(c, &ack, e);
    } else {
        trouble(f, "no bind came first");
    }
    rs_buf_free(&in);
    return ok;
}

/* Reads a request; *call_id gets its id. */
static bool f_request(fake *f, rs_conn *c, uint32_t *call_id)
{
    rs_buf in;
    rs_pdu pdu;
    rs_buf_init(&in, 65536);
    bool ok = f_recv(f, c, &in, &pdu) && pdu.hdr.ptype == RS_PTYPE_REQUEST;
    if (ok) {
        *call_id = pdu.hdr.call_id;
        memcpy(f->request_drep, pdu.hdr.drep, 4);
        if (pdu.stub_len == 8)
            memcpy(f->request_stub, pdu.stub, 8);
    } else {
        trouble(f, "no request came");
    }
    rs_buf_free(&in);
    return ok;
}

static void f_response(rs_conn *c, uint32_t call_id, const uint8_t *stub, size_t n, rs_endian e)
{
    rs_pdu r;
    rs_pdu_init(&r, RS_PTYPE_RESPONSE, call_id);
    r.response.alloc_hint = (uint32_t)n;
    r.stub = stub;
    r.stub_len = n;
    f_send(c, &r, e);
}

/* One connection, one call, answered as f->how says. */
static void script_answer(fake *f)
{
    rs_conn *c = f_accept(f);
    rs_endian e = f->how == ANSWER_BIG_ENDIAN ? RS_BE : RS_LE;
    uint32_t id = 0;
    if (!f_bind(f, c, e, 0x10, RS_CONT_ACCEPTANCE, 0) || !f_request(f, c, &id)) {
        rs_conn_close(c);
        return;
    }
    uint8_t stub[8] = {42, 0, 0, 0, 0xde, 0xad, 0xbe, 0xef};
    rs_pdu p;
    switch (f->how) {
    case ANSWER_OTHER_CALL_ID:
        f_response(c, id + 1, stub, 4, e);
        break;
    case ANSWER_SHUTDOWN:
        rs_pdu_init(&p, RS_PTYPE_SHUTDOWN, 0);
        f_send(c, &p, e);
        break;
    case ANSWER_CLOSE:
        break;
    case ANSWER_UNKNOWN_PTYPE: {
        static const uint8_t bad[16] = {5, 0, 99, 3, 0x10, 0, 0, 0, 16, 0, 0, 0, 1, 0, 0, 0};
        if (rs_conn_send(c, bad, sizeof bad, in_ms(5000), NULL) != RS_OK)
            trouble(f, "cannot send the garbage");
        break;
    }
    case ANSWER_LEFT_OVER:
        f_response(c, id, stub, 8, e);
        break;
    case ANSWER_HUGE_FRAGMENT: {
        uint8_t big[2000] = {0};
        f_response(c, id, big, sizeof big, e);
        break;
    }
    case ANSWER_SILENCE:
        break;
    case ANSWER_UNKNOWN_FAULT:
        rs_pdu_init(&p, RS_PTYPE_FAULT, id);
        p.fault.status = 0xdeadbeef;
        f_send(c, &p, e);
        break;
    case ANSWER_BIND_ACK:
        rs_pdu_init(&p, RS_PTYPE_BIND_ACK, id);
        f_send(c, &p, e);
        break;
    case ANSWER_BAD_FRAGMENTS:
        rs_pdu_init(&p, RS_PTYPE_RESPONSE, id);
        p.hdr.pfc_flags = RS_PFC_FIRST_FRAG;
        p.stub = stub;
        p.stub_len = 4;
        f_send(c, &p, e);
        f_send(c, &p, e); /* PFC_FIRST_FRAG again */
        break;
    case ANSWER_BIG_ENDIAN: {
        uint8_t be[4];
        rs_store_u32(be, RS_BE, 0x01020314);
        f_response(c, id, be, 4, RS_BE);
        break;
    }
    }
    if (f->how == ANSWER_CLOSE)
        rs_conn_close(c);
    else
        f_wait_close(c);
}

/* A bind refused outright. */
static void script_bind_nak(fake *f)
{
    rs_conn *c = f_accept(f);
    rs_buf in;
    rs_pdu pdu, nak;
    rs_buf_init(&in, 65536);
    if (f_recv(f, c, &in, &pdu)) {
        rs_pdu_init(&nak, RS_PTYPE_BIND_NAK, pdu.hdr.call_id);
        nak.bind_nak.provider_reject_reason = RS_REJECT_TEMPORARY_CONGESTION;
        f_send(c, &nak, RS_LE);
    }
    rs_buf_free(&in);
    f_wait_close(c);
}

/* A bind_ack whose one result is a user rejection. */
static void script_user_rejection(fake *f)
{
    rs_conn *c = f_accept(f);
    f_bind(f, c, RS_LE, 0x10, RS_CONT_USER_REJECTION, RS_PROVIDER_LOCAL_LIMIT_EXCEEDED);
    f_wait_close(c);
}

/* Three associations: the first gives group 0x4242 and closes after one call; the client comes
 * back offering 0x4242 and gets a bind_nak (a restarted server does not know it); it must retry
 * at once with group 0. */
static void script_groups(fake *f)
{
    uint8_t stub[4] = {3, 0, 0, 0};
    uint32_t id;
    rs_conn *c = f_accept(f);
    if (f_bind(f, c, RS_LE, 0x4242, RS_CONT_ACCEPTANCE, 0) && f_request(f, c, &id))
        f_response(c, id, stub, 4, RS_LE);
    rs_conn_close(c); /* the server goes away between calls */

    c = f_accept(f);
    rs_buf in;
    rs_pdu pdu, nak;
    rs_buf_init(&in, 65536);
    if (f_recv(f, c, &in, &pdu) && pdu.hdr.ptype == RS_PTYPE_BIND) {
        f->groups[f->binds++] = pdu.bind.assoc_group_id;
        rs_pdu_init(&nak, RS_PTYPE_BIND_NAK, pdu.hdr.call_id);
        f_send(c, &nak, RS_LE);
    }
    rs_buf_free(&in);
    rs_conn_close(c);

    c = f_accept(f);
    stub[0] = 7;
    if (f_bind(f, c, RS_LE, 0x77, RS_CONT_ACCEPTANCE, 0) && f_request(f, c, &id))
        f_response(c, id, stub, 4, RS_LE);
    f_wait_close(c);
}

static void *fake_thread(void *arg)
{
    fake *f = arg;
    f->script(f);
    return NULL;
}

/* Starts a fake server; returns the binding a client should use (valid until fake_end). */
static const char *fake_start(fake *f, void (*script)(fake *), answer how)
{
    rs_binding b;
    memset(f, 0, sizeof *f);
    f->script = script;
    f->how = how;
    assert_int_equal(rs_binding_parse("ncacn_ip_tcp:127.0.0.1[0]", &b), RS_OK);
    assert_int_equal(rs_listener_open(&b, &f->listener, NULL), RS_OK);
    assert_int_equal(pthread_create(&f->thread, NULL, fake_thread, f), 0);
    return rs_listener_binding(f->listener);
}

static void fake_end(fake *f)
{
    assert_int_equal(pthread_join(f->thread, NULL), 0);
    rs_listener_close(f->listener);
    if (f->trouble[0] != '\0')
        fail_msg("fake server: %s", f->trouble);
}

static void assert_contains(const char *haystack, const char *needle)
{
    if (strstr(haystack, needle) == NULL)
        fail_msg("'%s' does not contain '%s'", haystack, needle);
}

/* One call against a fake that answers `how`: its status and sentence. */
static void expect(answer how, const rs_client_options *o, rs_status st, const char *text)
{
    fake f;
    rs_client *c = NULL;
    const char *binding = fake_start(&f, script_answer, how);
    assert_int_equal(rs_client_open(binding, o, &c, NULL), RS_OK);
    int64_t t0 = rs_clock_ns();
    assert_int_equal(calc_Add(c, 1, 2), 0);
    assert_true(rs_clock_ns() - t0 < 5 * RS_NS_PER_S); /* prompt: never a hang */
    if (rs_last_call_status() != st)
        fail_msg("expected %s, got %s: %s", rs_status_name(st),
                 rs_status_name(rs_last_call_status()), rs_last_call_error()->message);
    assert_contains(rs_last_call_error()->message, text);
    rs_client_close(c); /* the fake sees the close and ends */
    fake_end(&f);
}

/* ==== tests =================================================================================== */

static void test_answer_for_another_call(void **state)
{
    (void)state;
    /* The call takes id 1 when it begins; its bind, made later, takes 2. */
    expect(ANSWER_OTHER_CALL_ID, NULL, RS_ERR_PROTOCOL, "for call 2 arrived while waiting for the "
                                                        "response to call 1");
}

static void test_shutdown_instead_of_response(void **state)
{
    (void)state;
    expect(ANSWER_SHUTDOWN, NULL, RS_ERR_PROTOCOL, "shutdown");
}

static void test_server_closes_mid_call(void **state)
{
    (void)state;
    expect(ANSWER_CLOSE, NULL, RS_ERR_CLOSED, "closed the connection");
}

static void test_garbage_answer(void **state)
{
    (void)state;
    expect(ANSWER_UNKNOWN_PTYPE, NULL, RS_ERR_PROTOCOL, "does not decode");
    expect(ANSWER_BIND_ACK, NULL, RS_ERR_PROTOCOL, "a bind_ack arrived instead of the response");
    expect(ANSWER_BAD_FRAGMENTS, NULL, RS_ERR_REASSEMBLY, "PFC_FIRST_FRAG again");
}

static void test_stub_data_left_over(void **state)
{
    (void)state;
    expect(ANSWER_LEFT_OVER, NULL, RS_ERR_NDR, "4 bytes of stub data left over");
}

static void test_fragment_beyond_what_we_offered(void **state)
{
    (void)state;
    rs_client_options o = {.max_frag = 1000};
    expect(ANSWER_HUGE_FRAGMENT, &o, RS_ERR_PROTOCOL, "exceeds the 1000-byte maximum");
}

static void test_silent_server(void **state)
{
    (void)state;
    rs_client_options o = {.call_timeout_ms = 200};
    expect(ANSWER_SILENCE, &o, RS_ERR_TIMEOUT, "no response to call 1 within 200 ms");
}

static void test_unknown_fault_code(void **state)
{
    (void)state;
    expect(ANSWER_UNKNOWN_FAULT, NULL, RS_ERR_FAULT, "fault 0xdeadbeef");
    assert_int_equal(rs_last_call_fault(), 0xdeadbeef);
}

static void test_bind_nak(void **state)
{
    (void)state;
    fake f;
    rs_client *c = NULL;
    assert_int_equal(rs_client_open(fake_start(&f, script_bind_nak, 0), NULL, &c, NULL), RS_OK);
    assert_int_equal(calc_Add(c, 1, 2), 0);
    assert_int_equal(rs_last_call_status(), RS_ERR_BIND_REJECTED);
    assert_contains(rs_last_call_error()->message, "bind_nak: temporary_congestion");
    rs_client_close(c);
    fake_end(&f);

    assert_int_equal(rs_client_open(fake_start(&f, script_user_rejection, 0), NULL, &c, NULL),
                     RS_OK);
    assert_int_equal(calc_Add(c, 1, 2), 0);
    assert_int_equal(rs_last_call_status(), RS_ERR_BIND_REJECTED);
    assert_contains(rs_last_call_error()->message,
                    "rejected interface calc 1.0: user_rejection (local_limit_exceeded)");
    rs_client_close(c);
    fake_end(&f);
}

static void test_big_endian_on_the_wire(void **state)
{
    (void)state;
    fake f;
    rs_client *c = NULL;
    rs_client_options o = {.endian = RS_BE};
    assert_int_equal(rs_client_open(fake_start(&f, script_answer, ANSWER_BIG_ENDIAN), &o, &c, NULL),
                     RS_OK);
    /* The answer comes big-endian too: the client decodes by the response's drep. */
    assert_int_equal(calc_Add(c, 0x01020304, 0x10), 0x01020314);
    rs_client_close(c);
    fake_end(&f);
    assert_int_equal(f.bind_drep[0], 0x00); /* integers big-endian, ASCII */
    assert_int_equal(f.request_drep[0], 0x00);
    static const uint8_t stub[8] = {0x01, 0x02, 0x03, 0x04, 0x00, 0x00, 0x00, 0x10}; /* a, b */
    assert_memory_equal(f.request_stub, stub, 8);
}

static void test_association_group_across_reconnects(void **state)
{
    (void)state;
    fake f;
    rs_client *c = NULL;
    assert_int_equal(rs_client_open(fake_start(&f, script_groups, 0), NULL, &c, NULL), RS_OK);
    assert_int_equal(calc_Add(c, 1, 2), 3);
    /* The server closed the connection while idle: the next call reconnects by itself. */
    int64_t give_up = in_ms(3000);
    int32_t r;
    while ((r = calc_Add(c, 3, 4)) != 7 && rs_clock_ns() < give_up)
        ;
    assert_int_equal(r, 7); /* the fake answers 7: the third association's answer */
    rs_client_close(c);
    fake_end(&f);
    assert_int_equal(f.binds, 3);
    assert_int_equal(f.groups[0], 0);      /* a first bind offers no group */
    assert_int_equal(f.groups[1], 0x4242); /* then the one the server gave */
    assert_int_equal(f.groups[2], 0);      /* and after that one was refused, none again */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_answer_for_another_call),
        cmocka_unit_test(test_shutdown_instead_of_response),
        cmocka_unit_test(test_server_closes_mid_call),
        cmocka_unit_test(test_garbage_answer),
        cmocka_unit_test(test_stub_data_left_over),
        cmocka_unit_test(test_fragment_beyond_what_we_offered),
        cmocka_unit_test(test_silent_server),
        cmocka_unit_test(test_unknown_fault_code),
        cmocka_unit_test(test_bind_nak),
        cmocka_unit_test(test_big_endian_on_the_wire),
        cmocka_unit_test(test_association_group_across_reconnects),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
