/* test_sim_timeline.c -- the causal merge: a receive never before its send (whatever arrives
 * first, whatever the clocks say), sends and receives paired, identical PDUs from two clients
 * paired by their endpoints, seq gaps and duplicates, expiry and flush, the ordered mode of a
 * replay, process names, and the memory limits. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "timeline.h"

#define CLIENT 100
#define SERVER 200

static const uint8_t bind_pdu[8] = {5, 0, 11, 3, 0x10, 0, 0, 0};
static const uint8_t ack_pdu[8] = {5, 0, 12, 3, 0x10, 0, 0, 0};

static rs_trace_event ev(rs_trace_kind kind, uint32_t pid, uint64_t seq, uint64_t time_ns)
{
    return (rs_trace_event){
        .kind = kind,
        .role = pid == SERVER ? RS_TRACE_ROLE_SERVER : RS_TRACE_ROLE_CLIENT,
        .pid = pid,
        .seq = seq,
        .time_ns = time_ns,
    };
}

static rs_trace_event pdu(rs_trace_kind kind, uint32_t pid, uint64_t seq, const uint8_t *b,
                          const char *text)
{
    rs_trace_event e = ev(kind, pid, seq, 0);
    e.bytes = b;
    e.bytes_len = 8;
    e.text = text;
    return e;
}

static void add(sim_timeline *tl, rs_trace_event e, uint64_t now)
{
    rs_error err = {0};
    assert_int_equal(sim_timeline_add(tl, &e, now, &err), RS_OK);
}

static sim_timeline *make(bool ordered)
{
    sim_timeline_options o = {.ordered = ordered, .hold_ns = 1000};
    sim_timeline *tl;
    assert_int_equal(sim_timeline_create(&o, &tl), RS_OK);
    return tl;
}

/* The server's receive arrives before the client's send (two sockets, two schedulers): it waits,
 * and so does everything the server reported after it, until the send is placed. */
static void test_receive_waits_for_send(void **state)
{
    (void)state;
    sim_timeline *tl = make(false);
    add(tl, ev(RS_TRACE_LISTEN, SERVER, 1, 5), 1);
    add(tl, pdu(RS_TRACE_PDU_RECEIVED, SERVER, 2, bind_pdu, NULL), 2);
    add(tl, ev(RS_TRACE_BIND, SERVER, 3, 7), 3);
    assert_int_equal(sim_timeline_count(tl), 1);
    assert_int_equal(sim_timeline_waiting(tl), 2);
    add(tl, ev(RS_TRACE_CALL_BEGIN, CLIENT, 1, 1), 4);
    assert_int_equal(sim_timeline_count(tl), 2);
    add(tl, pdu(RS_TRACE_PDU_SENT, CLIENT, 2, bind_pdu, NULL), 5);
    assert_int_equal(sim_timeline_count(tl), 5);
    assert_int_equal(sim_timeline_waiting(tl), 0);
    static const rs_trace_kind want[] = {RS_TRACE_LISTEN, RS_TRACE_CALL_BEGIN, RS_TRACE_PDU_SENT,
                                         RS_TRACE_PDU_RECEIVED, RS_TRACE_BIND};
    for (size_t i = 0; i < 5; i++)
        assert_int_equal(sim_timeline_at(tl, i)->ev.kind, want[i]);
    assert_int_equal(sim_timeline_at(tl, 3)->pair, 2);
    assert_int_equal(sim_timeline_at(tl, 2)->pair, 3);
    assert_int_equal(sim_timeline_at(tl, 0)->pair, SIM_NONE);
    sim_timeline_destroy(tl);
}

/* The server's clock is hours behind the client's, the client's far ahead: the order is the
 * causal one anyway, and the times are kept as they were reported. */
static void test_skewed_clocks(void **state)
{
    (void)state;
    sim_timeline *tl = make(false);
    add(tl, ev(RS_TRACE_CALL_BEGIN, CLIENT, 1, 9000000000000ull), 1);
    add(tl, pdu(RS_TRACE_PDU_SENT, CLIENT, 2, bind_pdu, NULL), 2);
    add(tl, pdu(RS_TRACE_PDU_RECEIVED, SERVER, 1, bind_pdu, NULL), 3);
    add(tl, pdu(RS_TRACE_PDU_SENT, SERVER, 2, ack_pdu, NULL), 4);
    add(tl, pdu(RS_TRACE_PDU_RECEIVED, CLIENT, 3, ack_pdu, NULL), 5);
    assert_int_equal(sim_timeline_count(tl), 5);
    const sim_event *recv = sim_timeline_at(tl, 2), *ack = sim_timeline_at(tl, 4);
    assert_int_equal(recv->ev.pid, SERVER);
    assert_int_equal(recv->pair, 1);
    assert_int_equal(ack->pair, 3);
    assert_int_equal(sim_timeline_at(tl, 0)->ev.time_ns, 9000000000000ull);
    sim_timeline_destroy(tl);
}

/* A receive never pairs with a send of its own process, nor with different bytes. */
static void test_pairs_only_across_processes(void **state)
{
    (void)state;
    sim_timeline *tl = make(false);
    add(tl, pdu(RS_TRACE_PDU_SENT, SERVER, 1, bind_pdu, NULL), 1);
    add(tl, pdu(RS_TRACE_PDU_RECEIVED, SERVER, 2, bind_pdu, NULL), 2);
    add(tl, pdu(RS_TRACE_PDU_SENT, CLIENT, 1, ack_pdu, NULL), 3);
    assert_int_equal(sim_timeline_count(tl), 2); /* the server's receive still waits */
    add(tl, pdu(RS_TRACE_PDU_SENT, CLIENT, 2, bind_pdu, NULL), 4);
    assert_int_equal(sim_timeline_count(tl), 4);
    assert_int_equal(sim_timeline_at(tl, 3)->pair, 2);
    assert_int_equal(sim_timeline_at(tl, 0)->pair, SIM_NONE); /* the server's own send */
    sim_timeline_destroy(tl);
}

/* Two clients send byte-identical binds; the server received the second client's first. TCP
 * endpoints in the texts pair each receive with the send from its own connection. */
static void test_identical_pdus_paired_by_endpoints(void **state)
{
    (void)state;
    sim_timeline *tl = make(false);
    add(tl, pdu(RS_TRACE_PDU_SENT, 101, 1, bind_pdu, "127.0.0.1:5001 -> 127.0.0.1:4747"), 1);
    add(tl, pdu(RS_TRACE_PDU_SENT, 102, 1, bind_pdu, "127.0.0.1:5002 -> 127.0.0.1:4747"), 2);
    add(tl, pdu(RS_TRACE_PDU_RECEIVED, SERVER, 1, bind_pdu, "127.0.0.1:4747 <- 127.0.0.1:5002"), 3);
    add(tl, pdu(RS_TRACE_PDU_RECEIVED, SERVER, 2, bind_pdu, "127.0.0.1:4747 <- 127.0.0.1:5001"), 4);
    assert_int_equal(sim_timeline_count(tl), 4);
    assert_int_equal(sim_timeline_at(tl, 2)->pair, 1);
    assert_int_equal(sim_timeline_at(tl, 3)->pair, 0);
    /* Without TCP endpoints (a Unix socket's "local"), the oldest send of those bytes wins. */
    sim_timeline *t2 = make(false);
    add(t2, pdu(RS_TRACE_PDU_SENT, 101, 1, bind_pdu, "local -> ncalrpc:[x]"), 1);
    add(t2, pdu(RS_TRACE_PDU_SENT, 102, 1, bind_pdu, "local -> ncalrpc:[x]"), 2);
    add(t2, pdu(RS_TRACE_PDU_RECEIVED, SERVER, 1, bind_pdu, "ncalrpc:[x] <- local"), 3);
    assert_int_equal(sim_timeline_at(t2, 2)->pair, 0);
    sim_timeline_destroy(t2);
    sim_timeline_destroy(tl);
}

static void test_endpoints_parse(void **state)
{
    (void)state;
    char l[RS_TRACE_ENDPOINT_MAX], p[RS_TRACE_ENDPOINT_MAX];
    rs_trace_event e = {.text = "127.0.0.1:50312 -> 127.0.0.1:4747"};
    assert_true(rs_trace_endpoints(&e, l, p));
    assert_string_equal(l, "127.0.0.1:50312");
    assert_string_equal(p, "127.0.0.1:4747");
    e.text = "[::1]:4747 <- [::1]:50000";
    assert_true(rs_trace_endpoints(&e, l, p));
    assert_string_equal(l, "[::1]:4747");
    assert_string_equal(p, "[::1]:50000");
    e.text = "no arrow here";
    assert_false(rs_trace_endpoints(&e, l, p));
    assert_string_equal(l, "");
    e.text = " -> ";
    assert_false(rs_trace_endpoints(&e, l, p));
    e.text = NULL;
    assert_false(rs_trace_endpoints(&e, l, p));
}

/* Seq: a first event may start anywhere; a jump forward is kept as `missing`; a repeat or a step
 * back is refused and leaves the timeline as it was. */
static void test_seq_gaps_and_duplicates(void **state)
{
    (void)state;
    sim_timeline *tl = make(false);
    add(tl, ev(RS_TRACE_CALL_BEGIN, CLIENT, 40, 0), 1);
    add(tl, ev(RS_TRACE_PARAM_READ, CLIENT, 41, 0), 1);
    add(tl, ev(RS_TRACE_NDR_PUT, CLIENT, 44, 0), 1);
    assert_int_equal(sim_timeline_at(tl, 0)->missing, 0);
    assert_int_equal(sim_timeline_at(tl, 2)->missing, 2);
    rs_error err = {0};
    rs_trace_event dup = ev(RS_TRACE_NDR_PUT, CLIENT, 44, 0);
    assert_int_equal(sim_timeline_add(tl, &dup, 1, &err), RS_ERR_PROTOCOL);
    assert_string_equal(err.message, "timeline: pid 100 sent seq 44 after seq 44: a duplicate or "
                                     "out-of-order event");
    rs_error_clear(&err);
    rs_trace_event back = ev(RS_TRACE_NDR_PUT, CLIENT, 3, 0);
    assert_int_equal(sim_timeline_add(tl, &back, 1, &err), RS_ERR_PROTOCOL);
    assert_int_equal(sim_timeline_count(tl), 3);
    sim_timeline_destroy(tl);
}

/* A receive whose sender is not traced waits hold_ns, then is placed unpaired, with what waited
 * behind it; flush places everything at the end of a session. */
static void test_expire_and_flush(void **state)
{
    (void)state;
    sim_timeline *tl = make(false);
    add(tl, pdu(RS_TRACE_PDU_RECEIVED, SERVER, 1, bind_pdu, NULL), 10);
    add(tl, ev(RS_TRACE_BIND, SERVER, 2, 0), 20);
    add(tl, pdu(RS_TRACE_PDU_RECEIVED, CLIENT, 1, ack_pdu, NULL), 500);
    assert_int_equal(sim_timeline_expire(tl, 900), 0);
    assert_int_equal(sim_timeline_expire(tl, 1010), 2); /* the server's: waited 1000 ns */
    assert_int_equal(sim_timeline_count(tl), 2);
    assert_int_equal(sim_timeline_at(tl, 0)->pair, SIM_NONE);
    assert_int_equal(sim_timeline_flush(tl), 1);
    assert_int_equal(sim_timeline_count(tl), 3);
    assert_int_equal(sim_timeline_waiting(tl), 0);
    sim_timeline_destroy(tl);
}

/* A recording is already causal: ordered mode places every event as it comes, and pairs the
 * same way the live timeline did. */
static void test_ordered_mode(void **state)
{
    (void)state;
    sim_timeline *tl = make(true);
    add(tl, pdu(RS_TRACE_PDU_RECEIVED, SERVER, 1, bind_pdu, NULL), 0); /* no send before it */
    add(tl, pdu(RS_TRACE_PDU_SENT, CLIENT, 1, bind_pdu, NULL), 0);
    add(tl, pdu(RS_TRACE_PDU_RECEIVED, SERVER, 2, bind_pdu, NULL), 0);
    assert_int_equal(sim_timeline_count(tl), 3);
    assert_int_equal(sim_timeline_at(tl, 0)->pair, SIM_NONE);
    assert_int_equal(sim_timeline_at(tl, 2)->pair, 1);
    sim_timeline_destroy(tl);
}

/* Names come from roles in order of appearance, as they stood at each event. */
static void test_process_names(void **state)
{
    (void)state;
    sim_timeline *tl = make(false);
    rs_trace_event anon = ev(RS_TRACE_LISTEN, SERVER, 1, 0);
    anon.role = 0;
    add(tl, anon, 0);
    add(tl, ev(RS_TRACE_ACCEPT, SERVER, 2, 0), 0);
    add(tl, ev(RS_TRACE_CALL_BEGIN, 101, 1, 0), 0);
    add(tl, ev(RS_TRACE_CALL_BEGIN, 102, 1, 0), 0);
    assert_string_equal(sim_timeline_process_name(tl, 0), "process#1");
    assert_string_equal(sim_timeline_process_name(tl, 1), "server");
    assert_string_equal(sim_timeline_process_name(tl, 2), "client");
    assert_string_equal(sim_timeline_process_name(tl, 3), "client#2");
    assert_string_equal(sim_timeline_process_name(tl, 99), "?");
    assert_int_equal(sim_timeline_set_program(tl, 102, "hello/client#2"), RS_OK);
    size_t p = sim_timeline_find_process(tl, 102);
    assert_string_equal(sim_timeline_process(tl, p)->program, "hello/client#2");
    assert_int_equal(sim_timeline_process(tl, p)->order, 3);
    assert_int_equal(sim_timeline_find_process(tl, 7), SIM_NONE);
    sim_timeline_end_process(tl, 102);
    assert_true(sim_timeline_process(tl, p)->ended);
    sim_timeline_destroy(tl);
}

/* Strings and bytes are copied: the caller's buffers may change after the add. */
static void test_copies(void **state)
{
    (void)state;
    sim_timeline *tl = make(false);
    char name[16] = "pszString";
    uint8_t bytes[4] = {1, 2, 3, 4};
    rs_trace_event e = ev(RS_TRACE_NDR_PUT, CLIENT, 1, 0);
    e.name = name;
    e.bytes = bytes;
    e.bytes_len = sizeof bytes;
    add(tl, e, 0);
    strcpy(name, "changed");
    bytes[0] = 9;
    const sim_event *s = sim_timeline_at(tl, 0);
    assert_string_equal(s->ev.name, "pszString");
    assert_string_equal(s->ev.text, ""); /* absent strings are "", never NULL */
    assert_int_equal(s->ev.bytes[0], 1);
    assert_null(sim_timeline_at(tl, 1));
    sim_timeline_destroy(tl);
}

static void test_limits(void **state)
{
    (void)state;
    sim_timeline_options o = {.max_events = 2};
    sim_timeline *tl;
    assert_int_equal(sim_timeline_create(&o, &tl), RS_OK);
    add(tl, ev(RS_TRACE_CALL_BEGIN, CLIENT, 1, 0), 0);
    add(tl, pdu(RS_TRACE_PDU_RECEIVED, CLIENT, 2, bind_pdu, NULL), 0); /* waiting counts too */
    rs_error err = {0};
    rs_trace_event e = ev(RS_TRACE_CALL_END, CLIENT, 3, 0);
    assert_int_equal(sim_timeline_add(tl, &e, 0, &err), RS_ERR_LIMIT);
    assert_string_equal(err.message,
                        "timeline: the session already holds 2 events, the limit (--max-events)");
    sim_timeline_destroy(tl);

    sim_timeline_options b = {.max_bytes = 300};
    assert_int_equal(sim_timeline_create(&b, &tl), RS_OK);
    uint8_t big[400] = {0};
    e.bytes = big;
    e.bytes_len = sizeof big;
    rs_error_clear(&err);
    assert_int_equal(sim_timeline_add(tl, &e, 0, &err), RS_ERR_LIMIT);
    assert_int_equal(sim_timeline_count(tl), 0);
    assert_int_equal(sim_timeline_bytes(tl), 0);
    e.bytes_len = 1;
    e.bytes = NULL;
    assert_int_equal(sim_timeline_add(tl, &e, 0, &err), RS_ERR_INVALID_ARG);
    sim_timeline_destroy(tl);
}

static void test_verbs(void **state)
{
    (void)state;
    assert_string_equal(sim_kind_verb(RS_TRACE_NDR_PUT), "marshal");
    assert_string_equal(sim_kind_verb(RS_TRACE_PROCEDURE_RETURN), "exit");
    assert_string_equal(sim_kind_verb((rs_trace_kind)0), "?");
    assert_string_equal(sim_kind_verb((rs_trace_kind)999), "?");
    assert_int_equal(sim_kind_parse("marshal", 7), RS_TRACE_NDR_PUT);
    assert_int_equal(sim_kind_parse("NDR_PUT", 7), RS_TRACE_NDR_PUT);
    assert_int_equal(sim_kind_parse("pdu_sent", 8), RS_TRACE_PDU_SENT);
    assert_int_equal(sim_kind_parse("marshall", 8), RS_TRACE_KIND_NONE);
    assert_int_equal(sim_kind_parse("", 0), RS_TRACE_KIND_NONE);
    for (unsigned k = 1; k < RS_TRACE_KIND_COUNT; k++) {
        const char *v = sim_kind_verb((rs_trace_kind)k);
        assert_int_equal(sim_kind_parse(v, strlen(v)), k);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_receive_waits_for_send),
        cmocka_unit_test(test_skewed_clocks),
        cmocka_unit_test(test_pairs_only_across_processes),
        cmocka_unit_test(test_identical_pdus_paired_by_endpoints),
        cmocka_unit_test(test_endpoints_parse),
        cmocka_unit_test(test_seq_gaps_and_duplicates),
        cmocka_unit_test(test_expire_and_flush),
        cmocka_unit_test(test_ordered_mode),
        cmocka_unit_test(test_process_names),
        cmocka_unit_test(test_copies),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_verbs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
