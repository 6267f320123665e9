/* test_binding.c -- string bindings: every part, round trips, and bad text with its message. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "binding.h"

static void test_tcp_ipv4(void **state)
{
    (void)state;
    rs_binding b;
    unsigned port = 0;
    assert_int_equal(rs_binding_parse("ncacn_ip_tcp:127.0.0.1[4747]", &b), RS_OK);
    assert_int_equal(b.protseq, RS_PROTSEQ_TCP);
    assert_string_equal(b.host, "127.0.0.1");
    assert_string_equal(b.endpoint, "4747");
    assert_false(b.has_object);
    assert_int_equal(rs_binding_port(&b, &port), RS_OK);
    assert_int_equal(port, 4747);
}

static void test_tcp_ipv6_and_names(void **state)
{
    (void)state;
    rs_binding b;
    assert_int_equal(rs_binding_parse("ncacn_ip_tcp:::1[135]", &b), RS_OK);
    assert_string_equal(b.host, "::1");
    assert_string_equal(b.endpoint, "135");
    assert_int_equal(rs_binding_parse("ncacn_ip_tcp:fe80::1:2[65535]", &b), RS_OK);
    assert_string_equal(b.host, "fe80::1:2");
    assert_int_equal(rs_binding_parse("ncacn_ip_tcp:server.example", &b), RS_OK);
    assert_string_equal(b.host, "server.example");
    assert_string_equal(b.endpoint, ""); /* no endpoint: an endpoint mapper would say */
}

static void test_lrpc_object_and_options(void **state)
{
    (void)state;
    rs_binding b;
    char text[RS_BINDING_STRLEN];
    assert_int_equal(rs_binding_parse("ncalrpc:[hello]", &b), RS_OK);
    assert_int_equal(b.protseq, RS_PROTSEQ_LRPC);
    assert_string_equal(b.host, "");
    assert_string_equal(b.endpoint, "hello");

    const char *full = "6d5a3b1c-8f2e-4c7a-9b0d-1e2f3a4b5c6d@ncacn_ip_tcp:10.0.0.1[4747,timeout=5]";
    assert_int_equal(rs_binding_parse(full, &b), RS_OK);
    assert_true(b.has_object);
    assert_int_equal(b.object.time_low, 0x6d5a3b1c);
    assert_string_equal(b.options, "timeout=5");
    assert_int_equal(rs_binding_compose(&b, text, sizeof text), RS_OK);
    assert_string_equal(text, full);
}

static void test_round_trips(void **state)
{
    (void)state;
    static const char *const texts[] = {
        "ncacn_ip_tcp:127.0.0.1[4747]", "ncacn_ip_tcp:::1[0]", "ncalrpc:[/tmp/rpcscope.sock]",
        "ncacn_ip_tcp:localhost", "ncacn_ip_tcp:[4747]",
    };
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        rs_binding b;
        char text[RS_BINDING_STRLEN];
        assert_int_equal(rs_binding_parse(texts[i], &b), RS_OK);
        assert_int_equal(rs_binding_compose(&b, text, sizeof text), RS_OK);
        assert_string_equal(text, texts[i]);
    }
    rs_binding b;
    char tiny[8];
    assert_int_equal(rs_binding_parse(texts[0], &b), RS_OK);
    assert_int_equal(rs_binding_compose(&b, tiny, sizeof tiny), RS_ERR_LIMIT);
}

/* Each bad text fails with the status and a message that names the problem. */
static void test_bad_text(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        rs_status st;
        const char *says;
    } bad[] = {
        {"", RS_ERR_INVALID_ARG, "no ':'"},
        {"127.0.0.1[4747]", RS_ERR_INVALID_ARG, "no ':'"},
        {"ncacn_http:host[80]", RS_ERR_INVALID_ARG, "unknown protocol sequence 'ncacn_http'"},
        {"ncacn_ip_tcp:host[4747", RS_ERR_INVALID_ARG, "never closed"},
        {"ncacn_ip_tcp:host[4747]x", RS_ERR_INVALID_ARG, "after ']'"},
        {"ncacn_ip_tcp:host[65536]", RS_ERR_INVALID_ARG, "not a port"},
        {"ncacn_ip_tcp:host[http]", RS_ERR_INVALID_ARG, "not a port"},
        {"ncacn_ip_tcp:host[-1]", RS_ERR_INVALID_ARG, "not a port"},
        {"ncacn_ip_tcp:ho st[1]", RS_ERR_INVALID_ARG, "bad character"},
        {"ncalrpc:", RS_ERR_INVALID_ARG, "needs an endpoint"},
        {"ncalrpc:host[x]", RS_ERR_INVALID_ARG, "no network address"},
        {"not-a-uuid@ncalrpc:[x]", RS_ERR_BAD_UUID, "not an object UUID"},
        {"ncacn_ip_tcp:host[[1]]", RS_ERR_INVALID_ARG, "'['"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        rs_binding b;
        memset(&b, 0, sizeof b);
        assert_int_equal(rs_binding_parse(bad[i].text, &b), bad[i].st);
        if (strstr(b.error, bad[i].says) == NULL)
            fail_msg("'%s': message '%s' does not say '%s'", bad[i].text, b.error, bad[i].says);
    }
}

static void test_over_long_parts(void **state)
{
    (void)state;
    char text[1200];
    rs_binding b;
    memset(&b, 0, sizeof b);
    snprintf(text, sizeof text, "ncacn_ip_tcp:%0300d[1]", 0);
    assert_int_equal(rs_binding_parse(text, &b), RS_ERR_LIMIT);
    snprintf(text, sizeof text, "ncalrpc:[%0200d]", 0);
    assert_int_equal(rs_binding_parse(text, &b), RS_ERR_LIMIT);
    assert_non_null(strstr(b.error, "endpoint longer"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tcp_ipv4),
        cmocka_unit_test(test_tcp_ipv6_and_names),
        cmocka_unit_test(test_lrpc_object_and_options),
        cmocka_unit_test(test_round_trips),
        cmocka_unit_test(test_bad_text),
        cmocka_unit_test(test_over_long_parts),
    };
    return cmocka_run_group_tests_name("binding", tests, NULL, NULL);
}
