/* test_sim_text.c -- the text view's golden lines: NDR fields with their counts and values, PDUs
 * decoded (type, call id, flags, length), faults by their DCE name, parameters with and without
 * addresses, narration wrapped at 100 columns, questions, lost events; and the same timeline
 * always giving the same text. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ndr.h"
#include "pdu.h"
#include "text.h"
#include "tower.h"

#define CLIENT 100
#define SERVER 200

/* The endpoint mapper's bind_ack (as in test_sim_pcap.c): max frags 4280, sec_addr "135", one
 * result: acceptance. 60 bytes, call id 1. */
static const uint8_t bind_ack[60] = {
    0x05, 0x00, 0x0c, 0x03, 0x10, 0x00, 0x00, 0x00, 0x3c, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,
    0xb8, 0x10, 0xb8, 0x10, 0x45, 0x23, 0x01, 0x00, 0x04, 0x00, 0x31, 0x33, 0x35, 0x00, 0x00, 0x00,
    0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x5d, 0x88, 0x8a, 0xeb, 0x1c, 0xc9, 0x11,
    0x9f, 0xe8, 0x08, 0x00, 0x2b, 0x10, 0x48, 0x60, 0x02, 0x00, 0x00, 0x00,
};

static sim_timeline *tl;
static uint64_t seqs[2];

static void add(rs_trace_event e)
{
    e.seq = ++seqs[e.pid == SERVER];
    rs_error err = {0};
    assert_int_equal(sim_timeline_add(tl, &e, 0, &err), RS_OK);
}

static char line[SIM_TEXT_LINE_MAX];

static const char *text_of(size_t i, const sim_text_options *o)
{
    sim_text_event(tl, i, o, line, sizeof line);
    return line;
}

static uint8_t le[4][4] = {{13, 0, 0, 0}, {0, 0, 0, 0}, {13, 0, 0, 0}, {0x00, 0x00, 0x02, 0x00}};

static int setup(void **state)
{
    (void)state;
    seqs[0] = seqs[1] = 0;
    assert_int_equal(sim_timeline_create(NULL, &tl), RS_OK);
    const rs_trace_role C = RS_TRACE_ROLE_CLIENT, S = RS_TRACE_ROLE_SERVER;
    /* 1 */ add((rs_trace_event){.kind = RS_TRACE_CALL_BEGIN, .role = C, .pid = CLIENT,
                                 .interface = "hello", .procedure = "HelloProc", .call_id = 1,
                                 .text = "hello 1.0 opnum 0 (HelloProc)"});
    /* 2 */ add((rs_trace_event){.kind = RS_TRACE_PARAM_READ, .role = C, .pid = CLIENT,
                                 .name = "pszString", .c_type = "unsigned char *", .length = 13,
                                 .address = 0x7ffd1234, .bytes = (const uint8_t *)"hello, world",
                                 .bytes_len = 13});
    /* 3 */ add((rs_trace_event){.kind = RS_TRACE_NDR_PUT, .role = C, .pid = CLIENT,
                                 .name = "pszString", .ndr_type = "align 4",
                                 .ndr_role = RS_NDR_ROLE_PADDING, .offset = 1, .length = 3,
                                 .bytes = (const uint8_t *)"\0\0\0", .bytes_len = 3});
    static const rs_ndr_role counts[3] = {RS_NDR_ROLE_MAX_COUNT, RS_NDR_ROLE_OFFSET,
                                          RS_NDR_ROLE_ACTUAL_COUNT};
    for (int k = 0; k < 3; k++) /* 4, 5, 6 */
        add((rs_trace_event){.kind = RS_TRACE_NDR_PUT, .role = C, .pid = CLIENT,
                             .name = "pszString", .ndr_type = "unsigned long",
                             .ndr_role = (uint8_t)counts[k], .offset = 4 + 4 * (uint32_t)k,
                             .length = 4, .bytes = le[k], .bytes_len = 4});
    /* 7 */ add((rs_trace_event){.kind = RS_TRACE_NDR_PUT, .role = C, .pid = CLIENT,
                                 .name = "pszString", .ndr_type = "[string] char",
                                 .ndr_role = RS_NDR_ROLE_DATA, .offset = 16, .length = 13,
                                 .bytes = (const uint8_t *)"hello, world", .bytes_len = 13});
    /* 8 */ add((rs_trace_event){.kind = RS_TRACE_NDR_PUT, .role = C, .pid = CLIENT,
                                 .name = "pl1", .ndr_type = "unsigned long",
                                 .ndr_role = RS_NDR_ROLE_REFERENT_ID, .offset = 32, .length = 4,
                                 .bytes = le[3], .bytes_len = 4});
    static const uint8_t minus2[4] = {0xfe, 0xff, 0xff, 0xff};
    /* 9 */ add((rs_trace_event){.kind = RS_TRACE_NDR_GET, .role = S, .pid = SERVER,
                                 .name = "s.count", .ndr_type = "long", .offset = 36, .length = 4,
                                 .bytes = minus2, .bytes_len = 4});
    /* 10 */ add((rs_trace_event){.kind = RS_TRACE_PDU_SENT, .role = S, .pid = SERVER,
                                  .ptype = RS_PTYPE_BIND_ACK, .call_id = 1, .bytes = bind_ack,
                                  .bytes_len = sizeof bind_ack});
    /* 11 */ add((rs_trace_event){.kind = RS_TRACE_PDU_RECEIVED, .role = C, .pid = CLIENT,
                                  .ptype = RS_PTYPE_BIND_ACK, .call_id = 1, .bytes = bind_ack,
                                  .bytes_len = sizeof bind_ack});
    rs_pdu fault;
    rs_pdu_init(&fault, RS_PTYPE_FAULT, 3);
    fault.hdr.pfc_flags |= RS_PFC_DID_NOT_EXECUTE;
    fault.fault.status = RS_nca_s_op_rng_error;
    static uint8_t fault_bytes[64];
    rs_buf fb;
    rs_buf_init(&fb, sizeof fault_bytes);
    assert_int_equal(rs_pdu_encode(&fault, RS_BE, &fb), RS_OK);
    memcpy(fault_bytes, fb.data, fb.len);
    size_t fault_len = fb.len;
    rs_buf_free(&fb);
    /* 12 */ add((rs_trace_event){.kind = RS_TRACE_FAULT, .role = C, .pid = CLIENT,
                                  .bytes = fault_bytes, .bytes_len = fault_len});
    /* 13 */ add((rs_trace_event){.kind = RS_TRACE_FAULT, .role = C, .pid = CLIENT,
                                  .text = "server raised 0x1c000001"});
    /* 14 */ add((rs_trace_event){.kind = RS_TRACE_PDU_SENT, .role = C, .pid = CLIENT,
                                  .bytes = (const uint8_t *)"\x05\x00", .bytes_len = 2});
    /* 15 */ add((rs_trace_event){.kind = RS_TRACE_CONNECT, .role = C, .pid = CLIENT,
                                  .text = "127.0.0.1:50000 -> 127.0.0.1:4747"});
    /* 16 */ add((rs_trace_event){.kind = RS_TRACE_PROCEDURE_ENTER, .role = S, .pid = SERVER,
                                  .interface = "hello", .procedure = "HelloProc", .call_id = 1});
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    sim_timeline_destroy(tl);
    return 0;
}

static void test_golden_lines(void **state)
{
    (void)state;
    static const char *const want[] = {
        "   1 client    application call       hello.HelloProc  opnum 0  call 1  hello 1.0 opnum 0 "
        "(HelloProc)",
        "   2 client    stub        read       pszString  unsigned char *  13 bytes  "
        "\"hello, world\\0\"",
        "   3 client    stub        marshal    pszString  padding  align 4  ndr[1..4)",
        "   4 client    stub        marshal    pszString  max_count  unsigned long  ndr[4..8)  13",
        "   5 client    stub        marshal    pszString  offset  unsigned long  ndr[8..12)  0",
        "   6 client    stub        marshal    pszString  actual_count  unsigned long  "
        "ndr[12..16)  "
        "13",
        "   7 client    stub        marshal    pszString  [string] char  ndr[16..29)  "
        "\"hello, world\\0\"  conformant-varying: max 13, offset 0, actual 13",
        "   8 client    stub        marshal    pl1  referent_id  unsigned long  ndr[32..36)  "
        "0x00020000",
        "   9 server    stub        unmarshal  s.count  long  ndr[36..40)  -2",
        "  10 server    transport   send       bind_ack call 1 FIRST|LAST 60 bytes  max_xmit 4280 "
        "max_recv 4280 sec_addr 135 acceptance",
        "  11 client    transport   receive    bind_ack call 1 FIRST|LAST 60 bytes  max_xmit 4280 "
        "max_recv 4280 sec_addr 135 acceptance  from step 10",
        "  12 client    runtime     fault      nca_s_op_rng_error (0x1c010002): the operation "
        "number "
        "is out of range for the interface",
        "  13 client    runtime     fault      nca_s_fault_int_div_by_zero (0x1c000001): integer "
        "division by zero in the server  server raised 0x1c000001",
        "  14 client    transport   send       request 2 bytes (pdu: ",
        "  15 client    transport   connect    127.0.0.1:50000 -> 127.0.0.1:4747",
        "  16 server    application enter      hello.HelloProc  call 1",
    };
    sim_text_options o = sim_text_default_options();
    assert_int_equal(sim_timeline_count(tl), sizeof want / sizeof want[0]);
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        if (i == 13) /* the decoder's sentence is pdu.c's: only its start is ours */
            assert_int_equal(strncmp(text_of(i, &o), want[i], strlen(want[i])), 0);
        else
            assert_string_equal(text_of(i, &o), want[i]);
    }
}

static void test_addresses_and_times_on_request(void **state)
{
    (void)state;
    sim_text_options o = sim_text_default_options();
    o.addresses = true;
    assert_string_equal(text_of(1, &o), "   2 client    stub        read       pszString  unsigned "
                                        "char *  13 bytes  \"hello, world\\0\"  at 0x7ffd1234");
    o.addresses = false;
    o.times = true;
    assert_non_null(strstr(text_of(0, &o), "@0.000000000s"));
}

static void test_out_of_range(void **state)
{
    (void)state;
    char small[8];
    assert_int_equal(sim_text_event(tl, 99, NULL, small, sizeof small), 0);
    assert_string_equal(small, "");
    /* a tiny buffer is cut, never overrun */
    size_t n = sim_text_event(tl, 0, NULL, small, sizeof small);
    assert_true(n < sizeof small);
    assert_int_equal(strlen(small), n);
}

static char *capture(void (*fn)(FILE *, void *), void *arg)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    fn(f, arg);
    fclose(f);
    return buf;
}

static void print_wrapped(FILE *f, void *arg)
{
    sim_text_options o = sim_text_default_options();
    sim_text_wrap(f, arg, SIM_TEXT_INDENT, &o);
}

static void test_wrap(void **state)
{
    (void)state;
    char *out = capture(print_wrapped,
                        "The stub reads the parameter from the client's memory. pszString is a "
                        "pointer: an address that means something only inside this process. "
                        "\xc3\xa9t\xc3\xa9\nSecond paragraph.");
    assert_string_equal(out, "      The stub reads the parameter from the client's memory. "
                             "pszString is a pointer: an address that\n"
                             "      means something only inside this process. \xc3\xa9t\xc3\xa9\n"
                             "\n"
                             "      Second paragraph.\n");
    for (char *l = out, *nl; (nl = strchr(l, '\n')) != NULL; l = nl + 1)
        assert_true(nl - l <= SIM_TEXT_WIDTH);
    free(out);
}

static void print_question(FILE *f, void *arg)
{
    sim_text_question(f, arg, true, NULL);
}

static void test_question(void **state)
{
    (void)state;
    sim_question q = {.text = "Where is the string?", .answer_count = 2, .right = 1};
    q.answers[0] = "In the client's memory";
    q.answers[1] = "In the server's copy";
    char *out = capture(print_question, &q);
    assert_string_equal(out, "      ? Where is the string?\n"
                             "          a) In the client's memory\n"
                             "          b) In the server's copy\n"
                             "      answer: b) In the server's copy\n");
    free(out);
    /* a long question and answer wrap under their own first word, at most 100 columns */
    q.text = "The client receives nca_s_fault_object_not_found. Can it tell whether the "
             "procedure raised it or the runtime injected it?";
    q.answers[1] = "No: a fault PDU carries a call id and a status code, nothing about who "
                   "decided, nor anything else at all";
    out = capture(print_question, &q);
    assert_string_equal(out,
        "      ? The client receives nca_s_fault_object_not_found. Can it tell whether the procedure "
        "raised\n"
        "        it or the runtime injected it?\n"
        "          a) In the client's memory\n"
        "          b) No: a fault PDU carries a call id and a status code, nothing about who decided, "
        "nor\n"
        "             anything else at all\n"
        "      answer: b) No: a fault PDU carries a call id and a status code, nothing about who "
        "decided, nor anything else at all\n");
    free(out);
}

static void print_all(FILE *f, void *arg)
{
    (void)arg;
    for (size_t i = 0; i < sim_timeline_count(tl); i++)
        sim_text_print(f, tl, i, NULL, NULL);
}

/* The same timeline gives the same text, whatever else happened in between. */
static void test_deterministic(void **state)
{
    (void)state;
    char *a = capture(print_all, NULL);
    char *b = capture(print_all, NULL);
    assert_string_equal(a, b);
    assert_null(strstr(a, "0x7ffd")); /* no addresses unless asked */
    free(a);
    free(b);
}

static void print_one(FILE *f, void *arg)
{
    sim_text_print(f, arg, 1, NULL, NULL);
}

static void test_lost_events_note(void **state)
{
    (void)state;
    sim_timeline *t2;
    assert_int_equal(sim_timeline_create(NULL, &t2), RS_OK);
    rs_trace_event e = {.kind = RS_TRACE_CALL_BEGIN, .role = RS_TRACE_ROLE_CLIENT, .pid = 1,
                        .seq = 1};
    rs_error err = {0};
    assert_int_equal(sim_timeline_add(t2, &e, 0, &err), RS_OK);
    e.seq = 4;
    e.kind = RS_TRACE_CALL_END;
    assert_int_equal(sim_timeline_add(t2, &e, 0, &err), RS_OK);
    char *out = capture(print_one, t2);
    assert_string_equal(out, "     -- client: 2 events lost here (seq 2..3)\n"
                             "   2 client    application return     -  opnum 0\n");
    free(out);
    sim_timeline_destroy(t2);
}

/* A PDU in big-endian order names its drep; a little-endian one, the usual order, does not. */
static void test_big_endian_drep(void **state)
{
    (void)state;
    sim_timeline *t2;
    assert_int_equal(sim_timeline_create(NULL, &t2), RS_OK);
    rs_error err = {0};
    static uint8_t bytes[2][64];
    size_t len[2];
    for (int k = 0; k < 2; k++) {
        rs_pdu pdu;
        rs_pdu_init(&pdu, RS_PTYPE_FAULT, 7);
        pdu.fault.status = RS_nca_s_fault_int_div_by_zero;
        rs_buf b;
        rs_buf_init(&b, sizeof bytes[k]);
        assert_int_equal(rs_pdu_encode(&pdu, k == 0 ? RS_BE : RS_LE, &b), RS_OK);
        memcpy(bytes[k], b.data, b.len);
        len[k] = b.len;
        rs_buf_free(&b);
        rs_trace_event e = {.kind = RS_TRACE_PDU_SENT, .role = RS_TRACE_ROLE_SERVER, .pid = 1,
                            .seq = (uint64_t)k + 1, .ptype = RS_PTYPE_FAULT, .call_id = 7,
                            .bytes = bytes[k], .bytes_len = len[k]};
        assert_int_equal(sim_timeline_add(t2, &e, 0, &err), RS_OK);
    }
    sim_text_options o = sim_text_default_options();
    sim_text_event(t2, 0, &o, line, sizeof line);
    assert_string_equal(line, "   1 server    transport   send       fault call 7 FIRST|LAST 32 bytes  "
                              "nca_s_fault_int_div_by_zero (0x1c000001)  big-endian (drep 00 00 00 00)");
    sim_text_event(t2, 1, &o, line, sizeof line);
    assert_null(strstr(line, "drep"));
    assert_non_null(strstr(line, "nca_s_fault_int_div_by_zero"));
    sim_timeline_destroy(t2);
}

/* A request fragment with neither FIRST nor LAST is a middle one, and says so. */
static void test_middle_fragment(void **state)
{
    (void)state;
    sim_timeline *t2;
    assert_int_equal(sim_timeline_create(NULL, &t2), RS_OK);
    rs_error err = {0};
    static uint8_t bytes[64];
    rs_pdu pdu;
    rs_pdu_init(&pdu, RS_PTYPE_REQUEST, 5);
    pdu.hdr.pfc_flags = 0;
    pdu.request.opnum = 2;
    static const uint8_t stub[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    pdu.stub = stub;
    pdu.stub_len = sizeof stub;
    rs_buf b;
    rs_buf_init(&b, sizeof bytes);
    assert_int_equal(rs_pdu_encode(&pdu, RS_LE, &b), RS_OK);
    memcpy(bytes, b.data, b.len);
    rs_trace_event e = {.kind = RS_TRACE_PDU_SENT, .role = RS_TRACE_ROLE_CLIENT, .pid = 1, .seq = 1,
                        .ptype = RS_PTYPE_REQUEST, .call_id = 5, .bytes = bytes, .bytes_len = b.len};
    rs_buf_free(&b);
    assert_int_equal(sim_timeline_add(t2, &e, 0, &err), RS_OK);
    sim_text_options o = sim_text_default_options();
    sim_text_event(t2, 0, &o, line, sizeof line);
    assert_string_equal(line, "   1 client    transport   send       request call 5 middle 32 bytes  "
                              "opnum 2 context 0 stub 8");
    sim_timeline_destroy(t2);
}

/* A tower's octet string reads back as the binding it stands for; bytes that are not a whole
 * tower, or a field of another name, add nothing. */
static void test_tower_decoded(void **state)
{
    (void)state;
    sim_timeline *t2;
    assert_int_equal(sim_timeline_create(NULL, &t2), RS_OK);
    rs_tower t = {.iface = {.major = 1}, .transfer = rs_ndr_syntax,
                  .protseq = RS_PROTSEQ_TCP, .endpoint = "4747", .host = "127.0.0.1"};
    rs_buf b;
    rs_buf_init(&b, RS_TOWER_MAX);
    assert_int_equal(rs_tower_encode(&t, &b), RS_OK);
    assert_int_equal(b.len, 75);
    static const struct {
        const char *name;
        uint32_t len;
    } cases[3] = {{"tower_octet_string", 75}, {"tower_octet_string", 40}, {"annotation", 75}};
    rs_error err = {0};
    for (int k = 0; k < 3; k++) {
        rs_trace_event e = {.kind = RS_TRACE_NDR_GET, .role = RS_TRACE_ROLE_CLIENT, .pid = 1,
                            .seq = (uint64_t)k + 1, .name = cases[k].name, .ndr_type = "byte",
                            .offset = 48, .length = cases[k].len, .bytes = b.data,
                            .bytes_len = cases[k].len};
        assert_int_equal(sim_timeline_add(t2, &e, 0, &err), RS_OK);
    }
    rs_buf_free(&b);
    sim_text_options o = sim_text_default_options();
    sim_text_event(t2, 0, &o, line, sizeof line);
    assert_string_equal(line, "   1 client    stub        unmarshal  tower_octet_string  byte  "
                              "ndr[48..123)  05 00 13 00 0d 00 00 00 00 00 00 00 00 00 00 00 ...  "
                              "tower ncacn_ip_tcp:127.0.0.1[4747]");
    sim_text_event(t2, 1, &o, line, sizeof line);
    assert_null(strstr(line, "tower ncacn"));
    sim_text_event(t2, 2, &o, line, sizeof line);
    assert_null(strstr(line, "tower ncacn"));
    sim_timeline_destroy(t2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_golden_lines),
        cmocka_unit_test(test_addresses_and_times_on_request),
        cmocka_unit_test(test_out_of_range),
        cmocka_unit_test(test_wrap),
        cmocka_unit_test(test_question),
        cmocka_unit_test(test_deterministic),
        cmocka_unit_test(test_lost_events_note),
        cmocka_unit_test(test_big_endian_drep),
        cmocka_unit_test(test_middle_fragment),
        cmocka_unit_test(test_tower_decoded),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
