/* test_epm.c -- the endpoint mapper in one process: a server that offers the mapper and an
 * interface of its own registers the interface with rs_epm_register() (a real ept_insert over
 * TCP), ept_map finds its port, a client whose binding has no endpoint reaches it through the
 * mapper, ept_lookup lists it, rs_epm_unregister() removes it; hostile ept_map requests get a
 * fault and the mapper keeps serving.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "epm.h"
#include "ndr.h"
#include "server.h"

#define PING_UUID {0x1b2c3d4e, 0x5f60, 0x4172, {0x83, 0x94}, {0xa5, 0xb6, 0xc7, 0xd8, 0xe9, 0xfa}}

static rs_status ping_stub(rs_server_call *call)
{
    call->executed = true;
    return rs_ndr_put_ulong(&call->out, "return", 42);
}

static const rs_operation ping_server_ops[] = {{"Ping", ping_stub}};
static const rs_interface ping_server = {"ping", {PING_UUID, 1, 2}, ping_server_ops, 1};
static const rs_operation ping_client_ops[] = {{"Ping", NULL}};
static const rs_interface ping_client = {"ping", {PING_UUID, 1, 0}, ping_client_ops, 1};

typedef struct fixture {
    rs_server *server;
    pthread_t thread;
    char binding[RS_BINDING_STRLEN];
    rs_client *mapper;
} fixture;

static void *run(void *arg)
{
    fixture *f = arg;
    rs_error err = {0};
    rs_status st = rs_server_run(f->server, &err);
    (void)st;
    return NULL;
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    rs_error err = {0};
    assert_int_equal(rs_server_create(NULL, &f->server), RS_OK);
    assert_int_equal(rs_server_register(f->server, &rs_epm_server_interface, &err), RS_OK);
    assert_int_equal(rs_server_register(f->server, &ping_server, &err), RS_OK);
    assert_int_equal(rs_server_listen(f->server, "ncacn_ip_tcp:127.0.0.1[0]", &err), RS_OK);
    snprintf(f->binding, sizeof f->binding, "%s", rs_server_binding(f->server, 0));
    setenv("RPCSCOPE_EPM", f->binding, 1); /* this server is the host's mapper */
    assert_int_equal(pthread_create(&f->thread, NULL, run, f), 0);
    assert_int_equal(rs_client_open(f->binding, NULL, &f->mapper, &err), RS_OK);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    rs_client_close(f->mapper);
    rs_server_stop(f->server);
    pthread_join(f->thread, NULL);
    rs_server_destroy(f->server);
    rs_epm_map_clear();
    unsetenv("RPCSCOPE_EPM");
    free(f);
    return 0;
}

/* Ping() on `c`: 42, or 0 when the call failed. */
static uint32_t ping(rs_client *c)
{
    rs_client_call call;
    uint32_t result = 0;
    rs_status st = rs_client_call_begin(&call, c, &ping_client, 0);
    if (st == RS_OK)
        st = rs_client_call_invoke(&call);
    if (st == RS_OK)
        st = rs_ndr_get_ulong(&call.ndr, "return", &result);
    st = rs_client_call_end(&call, st);
    return st == RS_OK ? result : 0;
}

static void test_register_map_resolve_unregister(void **state)
{
    fixture *f = *state;
    rs_error err = {0};
    assert_int_equal(rs_epm_register(f->server, &ping_server, "ping server", &err), RS_OK);
    assert_int_equal(rs_epm_map_count(), 1);
    assert_int_equal(rs_epm_register(f->server, &ping_server, "again", &err), RS_OK);
    assert_int_equal(rs_epm_map_count(), 1); /* the same registration, replaced */

    rs_tower where;
    assert_int_equal(rs_epm_map(f->mapper, &ping_client.syntax, RS_PROTSEQ_TCP, &where, &err), RS_OK);
    char text[RS_BINDING_STRLEN];
    assert_int_equal(rs_tower_binding(&where, text, sizeof text), RS_OK);
    assert_string_equal(text, f->binding); /* 1.0 asked, 1.2 registered: compatible */

    rs_client *c = NULL;
    assert_int_equal(rs_client_open("ncacn_ip_tcp:127.0.0.1", NULL, &c, &err), RS_OK);
    assert_int_equal(ping(c), 42); /* found through the mapper */
    assert_int_equal(ping(c), 42);
    rs_client_close(c);

    rs_epm_entry list[8];
    uint32_t n = 0;
    assert_int_equal(rs_epm_lookup(f->mapper, list, 8, &n, &err), RS_OK);
    assert_int_equal(n, 1);
    assert_string_equal(list[0].annotation, "again");
    assert_true(rs_syntax_equal(&list[0].tower.iface, &ping_server.syntax));

    assert_int_equal(rs_epm_unregister(f->server, &ping_server, &err), RS_OK);
    assert_int_equal(rs_epm_map_count(), 0);
    rs_error gone = {0};
    assert_int_equal(rs_epm_map(f->mapper, &ping_client.syntax, RS_PROTSEQ_TCP, &where, &gone),
                     RS_ERR_CONNECT);
    assert_non_null(strstr(gone.message, "ept_s_not_registered"));
    assert_int_equal(rs_client_open("ncacn_ip_tcp:127.0.0.1", NULL, &c, &err), RS_OK);
    assert_int_equal(ping(c), 0); /* nothing to find now */
    assert_int_equal(rs_last_call_status(), RS_ERR_CONNECT);
    rs_client_close(c);
}

static void test_versions_and_protocols_must_match(void **state)
{
    fixture *f = *state;
    rs_error err = {0};
    rs_epm_entry e;
    assert_int_equal(rs_epm_entry_from_binding(&e, f->binding, &ping_server.syntax, "", &err), RS_OK);
    assert_int_equal(rs_epm_map_add(&e, &err), RS_OK);
    rs_tower where;
    rs_syntax_id newer = ping_server.syntax, other_major = ping_server.syntax;
    newer.minor = 3;       /* the client wants more than 1.2 */
    other_major.major = 2; /* another interface, for C706 */
    assert_int_equal(rs_epm_map(f->mapper, &newer, RS_PROTSEQ_TCP, &where, &err), RS_ERR_CONNECT);
    rs_error_clear(&err);
    assert_int_equal(rs_epm_map(f->mapper, &other_major, RS_PROTSEQ_TCP, &where, &err), RS_ERR_CONNECT);
    rs_error_clear(&err);
    assert_int_equal(rs_epm_map(f->mapper, &ping_client.syntax, RS_PROTSEQ_LRPC, &where, &err),
                     RS_ERR_CONNECT);
}

static void test_entries_from_bindings(void **state)
{
    (void)state;
    rs_epm_entry e;
    rs_error err = {0};
    assert_int_equal(rs_epm_entry_from_binding(&e, "ncacn_ip_tcp:127.0.0.1", &ping_server.syntax,
                                               NULL, &err), RS_ERR_INVALID_ARG);
    rs_error_clear(&err);
    assert_int_equal(rs_epm_entry_from_binding(&e, "ncacn_ip_tcp:server.example[80]",
                                               &ping_server.syntax, NULL, &err), RS_ERR_INVALID_ARG);
    rs_error_clear(&err);
    assert_int_equal(rs_epm_entry_from_binding(&e, "ncalrpc:[ping]", &ping_server.syntax,
                                               "a very long annotation that goes well past the "
                                               "sixty-four characters a mapper keeps", &err), RS_OK);
    assert_int_equal(strlen(e.annotation), RS_EPM_ANNOTATION_MAX - 1);
}

/* ept_map with stub data we write by hand. */
static rs_status raw_map(rs_client *mapper, const uint8_t *stub, size_t len, uint32_t *fault)
{
    rs_client_call call;
    rs_status st = rs_client_call_begin(&call, mapper, &rs_epm_client_interface, 3);
    if (st == RS_OK)
        st = rs_buf_put_bytes(&call.request, stub, len);
    if (st == RS_OK)
        st = rs_client_call_invoke(&call); /* a response would end as "bytes left over" */
    *fault = call.fault;
    return rs_client_call_end(&call, st);
}

static void test_hostile_map_requests(void **state)
{
    fixture *f = *state;
    static const uint8_t huge_tower[] = {
        0x00, 0x00, 0x00, 0x00, /* object: NULL */
        0x01, 0x00, 0x00, 0x00, /* map_tower: referent 1 */
        0xff, 0xff, 0xff, 0x7f, /* max_count: 2 GiB of tower */
        0xff, 0xff, 0xff, 0x7f, /* tower_length */
        0x05, 0x00,             /* and two bytes of it */
    };
    static const uint8_t mismatch[] = {
        0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,
        0x04, 0x00, 0x00, 0x00, /* max_count 4 */
        0x08, 0x00, 0x00, 0x00, /* tower_length 8: not the same */
        0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
    };
    static const uint8_t cut[] = {0x00, 0x00, 0x00, 0x00, 0x01, 0x00};
    const struct {
        const uint8_t *stub;
        size_t len;
    } cases[] = {{huge_tower, sizeof huge_tower}, {mismatch, sizeof mismatch}, {cut, sizeof cut}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint32_t fault = 0;
        assert_int_equal(raw_map(f->mapper, cases[i].stub, cases[i].len, &fault), RS_ERR_FAULT);
        assert_int_equal(fault, RS_nca_s_fault_ndr);
    }
    /* and it still answers */
    rs_error err = {0};
    rs_tower where;
    assert_int_equal(rs_epm_map(f->mapper, &ping_client.syntax, RS_PROTSEQ_TCP, &where, &err),
                     RS_ERR_CONNECT); /* not registered: an answer, not a dead mapper */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_register_map_resolve_unregister, setup, teardown),
        cmocka_unit_test_setup_teardown(test_versions_and_protocols_must_match, setup, teardown),
        cmocka_unit_test(test_entries_from_bindings),
        cmocka_unit_test_setup_teardown(test_hostile_map_requests, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
