/* test_tower.c -- protocol towers against bytes written out from C706 appendix L and MS-RPCE
 * 2.2.1.1.x: the hello interface on TCP 127.0.0.1:4747 and on ncalrpc, both ways; every cut of a
 * valid tower refused; wrong floors refused with a sentence.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "tower.h"

/* hello 1.0, 7a98c250-6808-11cf-b73b-00aa00b677a7 */
static const rs_syntax_id hello = {
    {0x7a98c250, 0x6808, 0x11cf, {0xb7, 0x3b}, {0x00, 0xaa, 0x00, 0xb6, 0x77, 0xa7}}, 1, 0};

static const uint8_t tcp_tower[] = {
    0x05, 0x00,                                     /* floor_count 5 */
    0x13, 0x00,                                     /* floor 1: lhs_length 19 */
    0x0d,                                           /*   protocol: UUID */
    0x50, 0xc2, 0x98, 0x7a, 0x08, 0x68, 0xcf, 0x11, /*   7a98c250-6808-11cf- (LE fields) */
    0xb7, 0x3b, 0x00, 0xaa, 0x00, 0xb6, 0x77, 0xa7, /*   b73b-00aa00b677a7 (bytes) */
    0x01, 0x00,                                     /*   major version 1 */
    0x02, 0x00,                                     /*   rhs_length 2 */
    0x00, 0x00,                                     /*   minor version 0 */
    0x13, 0x00,                                     /* floor 2: lhs_length 19 */
    0x0d,                                           /*   protocol: UUID */
    0x04, 0x5d, 0x88, 0x8a, 0xeb, 0x1c, 0xc9, 0x11, /*   NDR 8a885d04-1ceb-11c9- */
    0x9f, 0xe8, 0x08, 0x00, 0x2b, 0x10, 0x48, 0x60, /*   9fe8-08002b104860 */
    0x02, 0x00,                                     /*   major version 2 */
    0x02, 0x00,                                     /*   rhs_length 2 */
    0x00, 0x00,                                     /*   minor version 0 */
    0x01, 0x00, 0x0b, 0x02, 0x00, 0x00, 0x00,       /* floor 3: ncacn (0x0b), minor 0 */
    0x01, 0x00, 0x07, 0x02, 0x00, 0x12, 0x8b,       /* floor 4: TCP (0x07), port 4747 BE */
    0x01, 0x00, 0x09, 0x04, 0x00, 0x7f, 0x00, 0x00, 0x01, /* floor 5: IP (0x09) 127.0.0.1 */
};

static const uint8_t lrpc_tail[] = {
    0x01, 0x00, 0x10, 0x06, 0x00, 'h', 'e', 'l', 'l', 'o', 0x00, /* floor 4: ncalrpc (0x10) "hello" */
};

static void test_encode_tcp(void **state)
{
    (void)state;
    rs_tower t = {.iface = hello, .transfer = rs_ndr_syntax, .protseq = RS_PROTSEQ_TCP,
                  .endpoint = "4747", .host = "127.0.0.1"};
    rs_buf b;
    rs_buf_init(&b, RS_TOWER_MAX);
    assert_int_equal(rs_buf_put_u8(&b, 0xEE), RS_OK); /* what comes before stays */
    assert_int_equal(rs_tower_encode(&t, &b), RS_OK);
    assert_int_equal(b.len, 1 + sizeof tcp_tower);
    assert_int_equal(b.data[0], 0xEE);
    assert_memory_equal(b.data + 1, tcp_tower, sizeof tcp_tower);
    rs_buf_free(&b);
}

static void test_decode_tcp(void **state)
{
    (void)state;
    rs_tower t;
    rs_error err = {0};
    assert_int_equal(rs_tower_decode(tcp_tower, sizeof tcp_tower, &t, &err), RS_OK);
    assert_true(rs_syntax_equal(&t.iface, &hello));
    assert_true(rs_syntax_equal(&t.transfer, &rs_ndr_syntax));
    assert_int_equal(t.protseq, RS_PROTSEQ_TCP);
    assert_string_equal(t.endpoint, "4747");
    assert_string_equal(t.host, "127.0.0.1");
    char text[RS_BINDING_STRLEN];
    assert_int_equal(rs_tower_binding(&t, text, sizeof text), RS_OK);
    assert_string_equal(text, "ncacn_ip_tcp:127.0.0.1[4747]");
}

static void test_lrpc_both_ways(void **state)
{
    (void)state;
    uint8_t want[sizeof tcp_tower - 14 + sizeof lrpc_tail];
    memcpy(want, tcp_tower, sizeof tcp_tower - 16); /* floors 1-3 */
    want[0] = 4;                                    /* four floors */
    memcpy(want + sizeof tcp_tower - 16, lrpc_tail, sizeof lrpc_tail);
    size_t want_len = sizeof tcp_tower - 16 + sizeof lrpc_tail;

    rs_binding bind;
    assert_int_equal(rs_binding_parse("ncalrpc:[hello]", &bind), RS_OK);
    rs_tower t;
    rs_error err = {0};
    assert_int_equal(rs_tower_from_binding(&bind, &hello, &t, &err), RS_OK);
    rs_buf b;
    rs_buf_init(&b, RS_TOWER_MAX);
    assert_int_equal(rs_tower_encode(&t, &b), RS_OK);
    assert_int_equal(b.len, want_len);
    assert_memory_equal(b.data, want, want_len);

    rs_tower back;
    assert_int_equal(rs_tower_decode(b.data, b.len, &back, &err), RS_OK);
    assert_int_equal(back.protseq, RS_PROTSEQ_LRPC);
    assert_string_equal(back.endpoint, "hello");
    rs_buf_free(&b);
}

static void test_local_names_must_be_endpoints(void **state)
{
    (void)state;
    uint8_t t[sizeof tcp_tower];
    memcpy(t, tcp_tower, sizeof tcp_tower - 16); /* floors 1-3 */
    t[0] = 4;
    static const uint8_t bad_name[] = {0x01, 0x00, 0x10, 0x04, 0x00, 'a', ']', 'b', 0x00};
    memcpy(t + sizeof tcp_tower - 16, bad_name, sizeof bad_name);
    rs_tower out;
    rs_error err = {0};
    assert_int_equal(rs_tower_decode(t, sizeof tcp_tower - 16 + sizeof bad_name, &out, &err),
                     RS_ERR_PROTOCOL); /* "ncalrpc:[a]b]" would be no binding */
    assert_non_null(strstr(err.message, "0x5d"));
}

static void test_every_cut_is_refused(void **state)
{
    (void)state;
    for (size_t n = 0; n < sizeof tcp_tower; n++) {
        rs_tower t;
        rs_error err = {0};
        assert_int_equal(rs_tower_decode(tcp_tower, n, &t, &err), RS_ERR_PROTOCOL);
        assert_true(err.message[0] != '\0');
    }
}

static void test_wrong_floors_are_refused(void **state)
{
    (void)state;
    uint8_t bad[sizeof tcp_tower];
    rs_tower t;
    struct {
        size_t at;
        uint8_t value;
        const char *says;
    } cases[] = {
        {0, 0x09, "floors"},          /* 9 floors: more than a tower here has */
        {4, 0x0e, "floor 1"},         /* floor 1 is not a UUID */
        {54, 0x0a, "floor 3"},        /* connectionless */
        {61, 0x08, "neither"},        /* UDP, not TCP */
        {2, 0xff, "passes the end"},  /* a left side longer than the tower */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        memcpy(bad, tcp_tower, sizeof bad);
        bad[cases[i].at] = cases[i].value;
        rs_error err = {0};
        assert_int_equal(rs_tower_decode(bad, sizeof bad, &t, &err), RS_ERR_PROTOCOL);
        if (strstr(err.message, cases[i].says) == NULL)
            fail_msg("case %zu: '%s' does not say '%s'", i, err.message, cases[i].says);
    }
}

static void test_encode_refuses_what_has_no_tower(void **state)
{
    (void)state;
    rs_tower t = {.iface = hello, .transfer = rs_ndr_syntax, .protseq = RS_PROTSEQ_TCP,
                  .endpoint = "http", .host = "127.0.0.1"};
    rs_buf b;
    rs_buf_init(&b, RS_TOWER_MAX);
    assert_int_equal(rs_tower_encode(&t, &b), RS_ERR_INVALID_ARG);
    rs_buf_free(&b);
    rs_buf_init(&b, RS_TOWER_MAX);
    strcpy(t.endpoint, "80");
    strcpy(t.host, "server.example");
    assert_int_equal(rs_tower_encode(&t, &b), RS_ERR_INVALID_ARG);
    rs_buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_encode_tcp),
        cmocka_unit_test(test_decode_tcp),
        cmocka_unit_test(test_lrpc_both_ways),
        cmocka_unit_test(test_local_names_must_be_endpoints),
        cmocka_unit_test(test_every_cut_is_refused),
        cmocka_unit_test(test_wrong_floors_are_refused),
        cmocka_unit_test(test_encode_refuses_what_has_no_tower),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
