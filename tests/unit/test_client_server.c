/* test_client_server.c -- real calls: a server in a thread, clients over TCP and ncalrpc.
 *
 * The interfaces' stubs below are written by hand in the shape rpcidl generates: one named NDR
 * call per parameter, rs_ndr_flush() after each top-level parameter, `if (st == RS_OK)` chains.
 *
 * Covered: calls over both transports; [out] memory owned by the caller; requests and responses
 * in many fragments; a big-endian client; faults (unknown opnum, NULL stub, a raised exception,
 * stub data that does not decode, a request beyond the server's limit); a bind the server
 * rejects; two interfaces on one connection (alter_context); concurrent clients; a graceful stop
 * during a slow call; reconnecting to a restarted server; a call timeout; the error handler.
 */
#include <limits.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "client.h"
#include "server.h"
#include "transport.h"

/* ==== the interfaces ============================================================================
 *
 *   [uuid(5f3e7b1a-2c4d-4e6f-8a9b-0c1d2e3f4a5b), version(1.0), pointer_default(unique)]
 *   interface calc {
 *       long Add([in] long a, [in] long b);                                             // 0
 *       void EchoString([in, string] char *s, [out, string] char **out);                // 1
 *       void EchoBytes([in] long n, [in, size_is(n)] byte *in, [out, size_is(n)] byte *out); // 2
 *       long Div([in] long a, [in] long b);                                             // 3
 *       long Sleep([in] long ms);                                                       // 4
 *       void Reserved(void);                      // 5: the server has no stub for it
 *       void Future(void);                        // 6: only the client knows it
 *   }
 *   [uuid(0e9a6c51-77d2-4b8e-a3f0-6b5c4d3e2f10), version(1.2)]
 *   interface greet { long Hello([in] long x); }                                        // 0
 */

#define CALC_UUID {0x5f3e7b1a, 0x2c4d, 0x4e6f, {0x8a, 0x9b}, {0x0c, 0x1d, 0x2e, 0x3f, 0x4a, 0x5b}}
#define GREET_UUID {0x0e9a6c51, 0x77d2, 0x4b8e, {0xa3, 0xf0}, {0x6b, 0x5c, 0x4d, 0x3e, 0x2f, 0x10}}
#define GHOST_UUID {0x11111111, 0x2222, 0x3333, {0x44, 0x44}, {0x55, 0x55, 0x55, 0x55, 0x55, 0x55}}

/* ---- the server program's procedures --------------------------------------------------------- */

static atomic_int sleep_started; /* Sleep() entered, for the tests that stop a server mid-call */

static int32_t Add(int32_t a, int32_t b) { return (int32_t)((uint32_t)a + (uint32_t)b); }

static void EchoString(const char *s, char **out)
{
    *out = malloc(strlen(s) + 1); /* [out] memory the stub frees once it is marshalled */
    if (*out != NULL)
        strcpy(*out, s);
}

static void EchoBytes(int32_t n, const uint8_t *in, uint8_t *out)
{
    if (n > 0) /* for 0 elements NDR hands out NULL, not an empty block */
        memcpy(out, in, (size_t)n);
}

static int32_t Div(int32_t a, int32_t b)
{
    if (b == 0)
        rs_server_raise(RS_nca_s_fault_int_div_by_zero);
    if (a == INT32_MIN && b == -1)
        return INT32_MIN;
    return a / b;
}

static int32_t Sleep(int32_t ms)
{
    atomic_fetch_add(&sleep_started, 1);
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
    return ms;
}

static int32_t Hello(int32_t x) { return x + 1000; }

/* ---- server stubs (calc_s.c, greet_s.c) ------------------------------------------------------ */

static rs_status calc_Add_stub(rs_server_call *call)
{
    int32_t a = 0, b = 0, _ret;
    /* [in] long a */
    rs_status st = rs_ndr_get_long(&call->in, "a", &a);
    if (st == RS_OK)
        st = rs_ndr_flush(&call->in);
    /* [in] long b */
    if (st == RS_OK)
        st = rs_ndr_get_long(&call->in, "b", &b);
    if (st == RS_OK)
        st = rs_ndr_flush(&call->in);
    if (st != RS_OK)
        return st;
    call->executed = true;
    _ret = Add(a, b);
    /* return value */
    st = rs_ndr_put_long(&call->out, "return", _ret);
    if (st == RS_OK)
        st = rs_ndr_flush(&call->out);
    return st;
}

static rs_status calc_EchoString_stub(rs_server_call *call)
{
    char *s = NULL, *out = NULL;
    /* [in, string] char *s */
    rs_status st = rs_ndr_get_string(&call->in, "s", &s);
    if (st == RS_OK)
        st = rs_ndr_flush(&call->in);
    if (st != RS_OK)
        return st;
    call->executed = true;
    EchoString(s, &out);
    /* [out, string] char **out: its char * is a [unique] pointer (pointer_default) */
    st = rs_ndr_put_unique(&call->out, "out", out, rs_ndr_put_string_fn);
    if (st == RS_OK)
        st = rs_ndr_flush(&call->out);
    free(out); /* midl_user_free(): marshalled, so no longer needed */
    return st;
}

static rs_status calc_EchoBytes_stub(rs_server_call *call)
{
    int32_t n = 0;
    uint8_t *in = NULL, *out = NULL;
    uint32_t in_count = 0;
    /* [in] long n */
    rs_status st = rs_ndr_get_long(&call->in, "n", &n);
    if (st == RS_OK)
        st = rs_ndr_flush(&call->in);
    /* [in, size_is(n)] byte *in: conformant array, max_count first */
    if (st == RS_OK)
        st = rs_ndr_get_conformant_array(&call->in, "in", RS_NDR_BYTE, &in, &in_count);
    if (st == RS_OK && (n < 0 || in_count != (uint32_t)n))
        st = rs_ndr_fail(&call->in, RS_ERR_NDR, "ndr: in has %u elements, size_is(n) says %d",
                         in_count, n);
    if (st == RS_OK)
        st = rs_ndr_flush(&call->in);
    /* [out, size_is(n)] byte *out: the server stub provides the memory, in the call's arena */
    if (st == RS_OK)
        st = rs_ndr_alloc(&call->in, "out", (size_t)n, (void **)&out);
    if (st != RS_OK)
        return st;
    call->executed = true;
    EchoBytes(n, in, out);
    st = rs_ndr_put_conformant_array(&call->out, "out", RS_NDR_BYTE, out, (uint32_t)n);
    if (st == RS_OK)
        st = rs_ndr_flush(&call->out);
    return st;
}

/* Div and Sleep have Add's shape: long in, long in, long out. */
static rs_status calc_Div_stub(rs_server_call *call)
{
    int32_t a = 0, b = 0, _ret;
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
    _ret = Div(a, b);
    st = rs_ndr_put_long(&call->out, "return", _ret);
    if (st == RS_OK)
        st = rs_ndr_flush(&call->out);
    return st;
}

static rs_status calc_Sleep_stub(rs_server_call *call)
{
    int32_t ms = 0, _ret;
    rs_status st = rs_ndr_get_long(&call->in, "ms", &ms);
    if (st == RS_OK)
        st = rs_ndr_flush(&call->in);
    if (st != RS_OK)
        return st;
    call->executed = true;
    _ret = Sleep(ms);
    st = rs_ndr_put_long(&call->out, "return", _ret);
    if (st == RS_OK)
        st = rs_ndr_flush(&call->out);
    return st;
}

static rs_status greet_Hello_stub(rs_server_call *call)
{
    int32_t x = 0, _ret;
    rs_status st = rs_ndr_get_long(&call->in, "x", &x);
    if (st == RS_OK)
        st = rs_ndr_flush(&call->in);
    if (st != RS_OK)
        return st;
    call->executed = true;
    _ret = Hello(x);
    st = rs_ndr_put_long(&call->out, "return", _ret);
    if (st == RS_OK)
        st = rs_ndr_flush(&call->out);
    return st;
}

static const rs_operation calc_server_operations[] = {
    {"Add", calc_Add_stub},       {"EchoString", calc_EchoString_stub},
    {"EchoBytes", calc_EchoBytes_stub}, {"Div", calc_Div_stub},
    {"Sleep", calc_Sleep_stub},   {"Reserved", NULL},
};
static const rs_interface calc_server_interface = {"calc", {CALC_UUID, 1, 0},
                                                    calc_server_operations, 6};

static const rs_operation greet_server_operations[] = {{"Hello", greet_Hello_stub}};
static const rs_interface greet_server_interface = {"greet", {GREET_UUID, 1, 2},
                                                     greet_server_operations, 1};

/* ---- client stubs (calc_c.c, greet_c.c), explicit handles ------------------------------------ */

static const rs_operation calc_client_operations[] = {
    {"Add", NULL}, {"EchoString", NULL}, {"EchoBytes", NULL}, {"Div", NULL},
    {"Sleep", NULL}, {"Reserved", NULL}, {"Future", NULL},
};
static const rs_interface calc_client_interface = {"calc", {CALC_UUID, 1, 0},
                                                    calc_client_operations, 7};

static const rs_operation greet_client_operations[] = {{"Hello", NULL}};
static const rs_interface greet_client_interface = {"greet", {GREET_UUID, 1, 1},
                                                     greet_client_operations, 1};

/* Two binary operations with the same wire shape: opnum picks Add, Div or Sleep's cousin. */
static int32_t call_long_long(rs_client *h, const rs_interface *iface, uint16_t opnum, int32_t a,
                              int32_t b)
{
    rs_client_call call;
    int32_t _ret = 0;
    rs_status st = rs_client_call_begin(&call, h, iface, opnum);
    /* [in] long a */
    if (st == RS_OK)
        st = rs_ndr_put_long(&call.ndr, "a", a);
    if (st == RS_OK)
        st = rs_ndr_flush(&call.ndr);
    /* [in] long b */
    if (st == RS_OK)
        st = rs_ndr_put_long(&call.ndr, "b", b);
    if (st == RS_OK)
        st = rs_ndr_flush(&call.ndr);
    if (st == RS_OK)
        st = rs_client_call_invoke(&call);
    /* return value */
    if (st == RS_OK)
        st = rs_ndr_get_long(&call.ndr, "return", &_ret);
    st = rs_client_call_end(&call, st);
    if (st != RS_OK)
        _ret = 0;
    return _ret;
}

static int32_t calc_Add(rs_client *h, int32_t a, int32_t b)
{
    return call_long_long(h, &calc_client_interface, 0, a, b);
}

static int32_t calc_Div(rs_client *h, int32_t a, int32_t b)
{
    return call_long_long(h, &calc_client_interface, 3, a, b);
}

static void calc_EchoString(rs_client *h, const char *s, char **out)
{
    rs_client_call call;
    rs_status st = rs_client_call_begin(&call, h, &calc_client_interface, 1);
    /* [in, string] char *s */
    if (st == RS_OK)
        st = rs_ndr_put_string(&call.ndr, "s", s);
    if (st == RS_OK)
        st = rs_ndr_flush(&call.ndr);
    if (st == RS_OK)
        st = rs_client_call_invoke(&call);
    /* [out, string] char **out */
    if (st == RS_OK)
        st = rs_ndr_get_unique(&call.ndr, "out", out, RS_NDR_SIZE_FROM_WIRE, rs_ndr_get_string_fn);
    if (st == RS_OK)
        st = rs_ndr_flush(&call.ndr);
    st = rs_client_call_end(&call, st); /* *out is the caller's only when this succeeds */
    if (st != RS_OK)
        *out = NULL;
}

static void calc_EchoBytes(rs_client *h, int32_t n, const uint8_t *in, uint8_t *out)
{
    rs_client_call call;
    uint32_t out_count = 0;
    rs_status st = rs_client_call_begin(&call, h, &calc_client_interface, 2);
    /* [in] long n */
    if (st == RS_OK)
        st = rs_ndr_put_long(&call.ndr, "n", n);
    if (st == RS_OK)
        st = rs_ndr_flush(&call.ndr);
    /* [in, size_is(n)] byte *in */
    if (st == RS_OK)
        st = rs_ndr_put_conformant_array(&call.ndr, "in", RS_NDR_BYTE, in, (uint32_t)n);
    if (st == RS_OK)
        st = rs_ndr_flush(&call.ndr);
    if (st == RS_OK)
        st = rs_client_call_invoke(&call);
    /* [out, size_is(n)] byte *out: into the caller's memory, max_count first */
    if (st == RS_OK)
        st = rs_ndr_get_conformance(&call.ndr, "out", 1, &out_count);
    if (st == RS_OK && out_count != (uint32_t)n)
        st = rs_ndr_fail(&call.ndr, RS_ERR_NDR, "ndr: out has %u elements, size_is(n) says %d",
                         out_count, n);
    if (st == RS_OK)
        st = rs_ndr_get_array(&call.ndr, "out", RS_NDR_BYTE, out, out_count);
    if (st == RS_OK)
        st = rs_ndr_flush(&call.ndr);
    rs_client_call_end(&call, st);
}

static int32_t calc_Sleep(rs_client *h, int32_t ms)
{
    rs_client_call call;
    int32_t _ret = 0;
    rs_status st = rs_client_call_begin(&call, h, &calc_client_interface, 4);
    if (st == RS_OK)
        st = rs_ndr_put_long(&call.ndr, "ms", ms);
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

/* An operation with no parameters: Reserved (5) and Future (6). */
static void calc_void(rs_client *h, uint16_t opnum)
{
    rs_client_call call;
    rs_status st = rs_client_call_begin(&call, h, &calc_client_interface, opnum);
    if (st == RS_OK)
        st = rs_client_call_invoke(&call);
    rs_client_call_end(&call, st);
}

static int32_t greet_Hello(rs_client *h, int32_t x)
{
    rs_client_call call;
    int32_t _ret = 0;
    rs_status st = rs_client_call_begin(&call, h, &greet_client_interface, 0);
    if (st == RS_OK)
        st = rs_ndr_put_long(&call.ndr, "x", x);
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

/* ==== helpers ================================================================================= */

typedef struct test_server {
    rs_server *server;
    pthread_t thread;
    rs_status run_status;
    rs_error err;
} test_server;

static void *server_thread(void *arg)
{
    test_server *ts = arg;
    ts->run_status = rs_server_run(ts->server, &ts->err);
    return NULL;
}

/* A server for calc and greet on `binding`, running in its own thread. */
static void server_start(test_server *ts, const char *binding, const rs_server_options *o)
{
    rs_error err = {0};
    memset(ts, 0, sizeof *ts);
    assert_int_equal(rs_server_create(o, &ts->server), RS_OK);
    assert_int_equal(rs_server_register(ts->server, &calc_server_interface, &err), RS_OK);
    assert_int_equal(rs_server_register(ts->server, &greet_server_interface, &err), RS_OK);
    if (rs_server_listen(ts->server, binding, &err) != RS_OK)
        fail_msg("listen on %s: %s", binding, err.message);
    assert_int_equal(pthread_create(&ts->thread, NULL, server_thread, ts), 0);
}

static const char *server_binding(const test_server *ts)
{
    return rs_server_binding(ts->server, 0);
}

static void server_stop(test_server *ts)
{
    rs_server_stop(ts->server);
    assert_int_equal(pthread_join(ts->thread, NULL), 0);
    assert_int_equal(ts->run_status, RS_OK);
    rs_server_destroy(ts->server);
    ts->server = NULL;
}

/* A socket name no other test (or test run) uses. */
static void lrpc_binding(char *out, size_t size)
{
    static atomic_int counter;
    snprintf(out, size, "ncalrpc:[rstest-%ld-%d]", (long)getpid(), atomic_fetch_add(&counter, 1));
}

static rs_client *client_open(const char *binding, const rs_client_options *o)
{
    rs_client *c = NULL;
    rs_error err = {0};
    if (rs_client_open(binding, o, &c, &err) != RS_OK)
        fail_msg("rs_client_open(%s): %s", binding, err.message);
    return c;
}

static int64_t now_ms(void) { return rs_clock_ns() / RS_NS_PER_MS; }

static void assert_contains(const char *haystack, const char *needle)
{
    if (strstr(haystack, needle) == NULL)
        fail_msg("'%s' does not contain '%s'", haystack, needle);
}

/* ==== tests =================================================================================== */

static void add_calls(const char *binding)
{
    rs_client *c = client_open(binding, NULL);
    assert_int_equal(calc_Add(c, 2, 3), 5);
    assert_int_equal(rs_last_call_status(), RS_OK);
    assert_int_equal(rs_last_call_fault(), 0);
    assert_int_equal(calc_Add(c, -7, 4), -3);
    assert_int_equal(calc_Add(c, INT32_MAX, 1), INT32_MIN); /* wraps modulo 2^32 */
    assert_int_equal(rs_last_call_status(), RS_OK);
    rs_client_close(c);
}

static void test_add_tcp(void **state)
{
    (void)state;
    test_server ts;
    server_start(&ts, "ncacn_ip_tcp:127.0.0.1[0]", NULL);
    assert_int_equal(rs_server_binding_count(ts.server), 1);
    assert_memory_equal(server_binding(&ts), "ncacn_ip_tcp:127.0.0.1[", 23);
    add_calls(server_binding(&ts));
    server_stop(&ts);
}

static void test_add_lrpc(void **state)
{
    (void)state;
    char b[64];
    lrpc_binding(b, sizeof b);
    test_server ts;
    server_start(&ts, b, NULL);
    assert_string_equal(server_binding(&ts), b);
    add_calls(b);
    server_stop(&ts);
}

static void test_echo_string_belongs_to_caller(void **state)
{
    (void)state;
    test_server ts;
    server_start(&ts, "ncacn_ip_tcp:127.0.0.1[0]", NULL);
    rs_client *c = client_open(server_binding(&ts), NULL);
    char *out = NULL;
    calc_EchoString(c, "hello, world", &out);
    assert_int_equal(rs_last_call_status(), RS_OK);
    assert_non_null(out);
    assert_string_equal(out, "hello, world");
    free(out); /* the caller's now: ASan would report it as a leak otherwise, or a double free */
    calc_EchoString(c, "", &out);
    assert_non_null(out);
    assert_string_equal(out, "");
    free(out);
    rs_client_close(c);
    server_stop(&ts);
}

static uint8_t *pattern(size_t n, unsigned seed)
{
    uint8_t *p = malloc(n);
    assert_non_null(p);
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)(i * 31 + seed + (i >> 8));
    return p;
}

static void echo_bytes_check(rs_client *c, size_t n)
{
    uint8_t *in = pattern(n, (unsigned)n);
    uint8_t *out = calloc(n ? n : 1, 1);
    assert_non_null(out);
    calc_EchoBytes(c, (int32_t)n, in, out);
    if (rs_last_call_status() != RS_OK)
        fail_msg("EchoBytes(%zu): %s", n, rs_last_call_error()->message);
    assert_memory_equal(in, out, n);
    free(in);
    free(out);
}

static void test_fragments_both_ways(void **state)
{
    (void)state;
    test_server ts;
    server_start(&ts, "ncacn_ip_tcp:127.0.0.1[0]", NULL);
    /* 1 MiB each way in 4280-byte fragments: 247 request and 247 response fragments. */
    rs_client *c = client_open(server_binding(&ts), NULL);
    echo_bytes_check(c, 1024 * 1024);
    echo_bytes_check(c, 0);
    echo_bytes_check(c, 4256); /* exactly one fragment's room, then the 4 count bytes spill */
    rs_client_close(c);
    /* Tiny fragments: the smallest a client may offer; the server follows it both ways. */
    rs_client_options o = {.max_frag = RS_CLIENT_MIN_FRAG};
    c = client_open(server_binding(&ts), &o);
    echo_bytes_check(c, 10000);
    assert_int_equal(calc_Add(c, 40, 2), 42);
    rs_client_close(c);
    server_stop(&ts);
}

static void test_big_endian_client(void **state)
{
    (void)state;
    test_server ts;
    server_start(&ts, "ncacn_ip_tcp:127.0.0.1[0]", NULL); /* TCP: a capture shows it to Wireshark */
    rs_client_options o = {.endian = RS_BE};
    rs_client *c = client_open(server_binding(&ts), &o);
    /* Wrong byte order anywhere would turn these into other numbers. */
    assert_int_equal(calc_Add(c, 0x01020304, 0x10), 0x01020314);
    assert_int_equal(calc_Add(c, -2, -3), -5);
    char *out = NULL;
    calc_EchoString(c, "big-endian", &out);
    assert_non_null(out);
    assert_string_equal(out, "big-endian");
    free(out);
    echo_bytes_check(c, 100000);
    rs_client_close(c);
    server_stop(&ts);
}

static void test_unknown_opnum(void **state)
{
    (void)state;
    test_server ts;
    server_start(&ts, "ncacn_ip_tcp:127.0.0.1[0]", NULL);
    rs_client *c = client_open(server_binding(&ts), NULL);
    calc_void(c, 6); /* beyond the server's operations */
    assert_int_equal(rs_last_call_status(), RS_ERR_FAULT);
    assert_int_equal(rs_last_call_fault(), RS_nca_s_op_rng_error);
    assert_contains(rs_last_call_error()->message, "nca_s_op_rng_error (0x1c010002)");
    assert_contains(rs_last_call_error()->message, "did not execute");
    calc_void(c, 5); /* the server's table has no stub for it */
    assert_int_equal(rs_last_call_fault(), RS_nca_s_op_rng_error);
    /* A fault ends the call, not the association. */
    assert_int_equal(calc_Add(c, 1, 1), 2);
    assert_int_equal(rs_last_call_fault(), 0);
    rs_client_close(c);
    server_stop(&ts);
}

static void test_procedure_raises(void **state)
{
    (void)state;
    test_server ts;
    server_start(&ts, "ncacn_ip_tcp:127.0.0.1[0]", NULL);
    rs_client *c = client_open(server_binding(&ts), NULL);
    assert_int_equal(calc_Div(c, 7, 2), 3);
    assert_int_equal(calc_Div(c, 1, 0), 0); /* a failed call returns zero */
    assert_int_equal(rs_last_call_status(), RS_ERR_FAULT);
    assert_int_equal(rs_last_call_fault(), RS_nca_s_fault_int_div_by_zero);
    assert_contains(rs_last_call_error()->message, "nca_s_fault_int_div_by_zero");
    assert_null(strstr(rs_last_call_error()->message, "did not execute")); /* it ran */
    assert_int_equal(calc_Div(c, INT32_MIN, -1), INT32_MIN);
    rs_client_close(c);
    server_stop(&ts);
}

/* A hand-made client stub: Add's opnum with 3 bytes of stub data instead of 8. */
static void bad_add(rs_client *h)
{
    rs_client_call call;
    rs_status st = rs_client_call_begin(&call, h, &calc_client_interface, 0);
    if (st == RS_OK)
        st = rs_ndr_put_byte(&call.ndr, "junk", 1);
    if (st == RS_OK)
        st = rs_ndr_put_byte(&call.ndr, "junk", 2);
    if (st == RS_OK)
        st = rs_ndr_put_byte(&call.ndr, "junk", 3);
    if (st == RS_OK)
        st = rs_client_call_invoke(&call);
    rs_client_call_end(&call, st);
}

/* EchoString's opnum with a string whose actual_count runs past the data. */
static void bad_string(rs_client *h)
{
    rs_client_call call;
    rs_status st = rs_client_call_begin(&call, h, &calc_client_interface, 1);
    if (st == RS_OK)
        st = rs_ndr_put_ulong(&call.ndr, "max_count", 100);
    if (st == RS_OK)
        st = rs_ndr_put_ulong(&call.ndr, "offset", 0);
    if (st == RS_OK)
        st = rs_ndr_put_ulong(&call.ndr, "actual_count", 100);
    if (st == RS_OK)
        st = rs_ndr_put_byte(&call.ndr, "a", 'a');
    if (st == RS_OK)
        st = rs_client_call_invoke(&call);
    rs_client_call_end(&call, st);
}

static void test_stub_data_that_does_not_decode(void **state)
{
    (void)state;
    test_server ts;
    server_start(&ts, "ncacn_ip_tcp:127.0.0.1[0]", NULL);
    rs_client *c = client_open(server_binding(&ts), NULL);
    bad_add(c);
    assert_int_equal(rs_last_call_status(), RS_ERR_FAULT);
    assert_int_equal(rs_last_call_fault(), RS_nca_s_fault_ndr);
    assert_contains(rs_last_call_error()->message, "nca_s_fault_ndr (0x000006f7)");
    assert_contains(rs_last_call_error()->message, "did not execute");
    bad_string(c);
    assert_int_equal(rs_last_call_fault(), RS_nca_s_fault_ndr);
    assert_int_equal(calc_Add(c, 20, 22), 42);
    rs_client_close(c);
    server_stop(&ts);
}

/* Add's opnum, but the stub forgets to read the return value: 4 bytes stay. */
static void add_without_return(rs_client *h)
{
    rs_client_call call;
    rs_status st = rs_client_call_begin(&call, h, &calc_client_interface, 0);
    if (st == RS_OK)
        st = rs_ndr_put_long(&call.ndr, "a", 1);
    if (st == RS_OK)
        st = rs_ndr_put_long(&call.ndr, "b", 2);
    if (st == RS_OK)
        st = rs_client_call_invoke(&call);
    rs_client_call_end(&call, st);
}

static void test_response_left_over(void **state)
{
    (void)state;
    test_server ts;
    server_start(&ts, "ncacn_ip_tcp:127.0.0.1[0]", NULL);
    rs_client *c = client_open(server_binding(&ts), NULL);
    add_without_return(c);
    assert_int_equal(rs_last_call_status(), RS_ERR_NDR);
    assert_contains(rs_last_call_error()->message, "4 bytes of stub data left over");
    assert_contains(rs_last_call_error()->message, "Add");
    assert_int_equal(calc_Add(c, 1, 2), 3);
    rs_client_close(c);
    server_stop(&ts);
}

static void call_ghost(rs_client *h, uint16_t major, uint16_t minor)
{
    static const rs_operation ops[] = {{"Boo", NULL}};
    rs_interface ghost = {"ghost", {GHOST_UUID, major, minor}, ops, 1};
    rs_client_call call;
    rs_status st = rs_client_call_begin(&call, h, &ghost, 0);
    if (st == RS_OK)
        st = rs_client_call_invoke(&call);
    rs_client_call_end(&call, st);
}

static void test_bind_rejected(void **state)
{
    (void)state;
    test_server ts;
    server_start(&ts, "ncacn_ip_tcp:127.0.0.1[0]", NULL);
    rs_client *c = client_open(server_binding(&ts), NULL);
    call_ghost(c, 1, 0);
    assert_int_equal(rs_last_call_status(), RS_ERR_BIND_REJECTED);
    assert_contains(rs_last_call_error()->message, "provider_rejection");
    assert_contains(rs_last_call_error()->message, "abstract_syntax_not_supported");
    assert_contains(rs_last_call_error()->message, "ghost 1.0");
    /* The same client then binds what the server has. */
    assert_int_equal(calc_Add(c, 3, 4), 7);
    /* An alter_context for the unknown interface is rejected; the connection stays. */
    call_ghost(c, 1, 0);
    assert_int_equal(rs_last_call_status(), RS_ERR_BIND_REJECTED);
    assert_int_equal(calc_Add(c, 3, 5), 8);
    rs_client_close(c);

    /* Versions (C706): the major must match, the client's minor must not exceed the server's. */
    static const rs_operation ops[] = {{"Add", NULL}};
    const rs_interface calc_v2 = {"calc", {CALC_UUID, 2, 0}, ops, 1};
    const rs_interface calc_v1_1 = {"calc", {CALC_UUID, 1, 1}, ops, 1};
    c = client_open(server_binding(&ts), NULL);
    assert_int_equal(call_long_long(c, &calc_v2, 0, 1, 2), 0);
    assert_int_equal(rs_last_call_status(), RS_ERR_BIND_REJECTED);
    assert_int_equal(call_long_long(c, &calc_v1_1, 0, 1, 2), 0);
    assert_int_equal(rs_last_call_status(), RS_ERR_BIND_REJECTED);
    assert_int_equal(greet_Hello(c, 1), 1001); /* client 1.1 against server 1.2: fine */
    rs_client_close(c);
    server_stop(&ts);
}

static void test_two_interfaces_on_one_connection(void **state)
{
    (void)state;
    char b[64];
    lrpc_binding(b, sizeof b);
    test_server ts;
    server_start(&ts, b, NULL);
    rs_client *c = client_open(b, NULL);
    assert_int_equal(calc_Add(c, 1, 2), 3);     /* bind, context 0 */
    assert_int_equal(greet_Hello(c, 5), 1005);  /* alter_context, context 1 */
    assert_int_equal(calc_Add(c, 2, 2), 4);     /* back on context 0 */
    assert_int_equal(greet_Hello(c, -5), 995);
    rs_client_close(c);
    /* And the other way round: the first interface called gets context 0. */
    c = client_open(b, NULL);
    assert_int_equal(greet_Hello(c, 0), 1000);
    assert_int_equal(calc_Add(c, 0, 1), 1);
    rs_client_close(c);
    server_stop(&ts);
}

/* ---- concurrency ----------------------------------------------------------------------------- */

#define CLIENT_THREADS 16
#define CALLS_PER_THREAD 100

typedef struct worker_arg {
    const char *binding;
    rs_client *shared; /* NULL: open its own */
    int id;
    int wrong;
    int failed;
} worker_arg;

static void *client_worker(void *p)
{
    worker_arg *w = p;
    rs_client *c = w->shared;
    if (c == NULL && rs_client_open(w->binding, NULL, &c, NULL) != RS_OK) {
        w->failed = CALLS_PER_THREAD;
        return NULL;
    }
    for (int i = 0; i < CALLS_PER_THREAD; i++) {
        int32_t a = w->id * 100000 + i;
        if (i % 10 == 4) { /* 20 KB each way: the response is joined where the client read it */
            enum { N = 20000 };
            uint8_t *in = malloc(N), *out = malloc(N);
            for (size_t k = 0; in != NULL && k < N; k++)
                in[k] = (uint8_t)(k * 7 + (size_t)a);
            if (in != NULL && out != NULL)
                calc_EchoBytes(c, N, in, out);
            if (in == NULL || out == NULL || rs_last_call_status() != RS_OK)
                w->failed++;
            else if (memcmp(in, out, N) != 0)
                w->wrong++;
            free(in);
            free(out);
            continue;
        }
        if (i % 10 == 9) {
            char text[32], *out = NULL;
            snprintf(text, sizeof text, "t%d-%d", w->id, i);
            calc_EchoString(c, text, &out);
            if (rs_last_call_status() != RS_OK)
                w->failed++;
            else if (out == NULL || strcmp(out, text) != 0)
                w->wrong++;
            free(out);
            continue;
        }
        int32_t r = calc_Add(c, a, i);
        if (rs_last_call_status() != RS_OK)
            w->failed++;
        else if (r != a + i)
            w->wrong++;
    }
    if (w->shared == NULL)
        rs_client_close(c);
    return NULL;
}

static void test_concurrent_clients(void **state)
{
    (void)state;
    rs_server_options so = {.workers = 4};
    test_server ts;
    server_start(&ts, "ncacn_ip_tcp:127.0.0.1[0]", &so);
    pthread_t t[CLIENT_THREADS];
    worker_arg w[CLIENT_THREADS];
    for (int i = 0; i < CLIENT_THREADS; i++) {
        w[i] = (worker_arg){.binding = server_binding(&ts), .id = i};
        assert_int_equal(pthread_create(&t[i], NULL, client_worker, &w[i]), 0);
    }
    for (int i = 0; i < CLIENT_THREADS; i++) {
        assert_int_equal(pthread_join(t[i], NULL), 0);
        assert_int_equal(w[i].failed, 0);
        assert_int_equal(w[i].wrong, 0);
    }
    /* Four threads on one client: its lock serialises them. */
    rs_client *shared = client_open(server_binding(&ts), NULL);
    for (int i = 0; i < 4; i++) {
        w[i] = (worker_arg){.shared = shared, .id = 100 + i};
        assert_int_equal(pthread_create(&t[i], NULL, client_worker, &w[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        assert_int_equal(pthread_join(t[i], NULL), 0);
        assert_int_equal(w[i].failed, 0);
        assert_int_equal(w[i].wrong, 0);
    }
    rs_client_close(shared);
    server_stop(&ts);
}

/* One worker, two clients. The first calls back to back, so the worker that answers it always
 * finds its next request within the linger (server.h): without the hand-over when another
 * connection waits, the second client's calls would get through only in the first one's pauses
 * of 20 ms or more, thousands of its calls apart. With it they alternate: the first makes a few
 * calls, not thousands, while the second makes its 20 (and binds). The first stops by itself
 * after BUSY_CALLS_MAX calls, so a server that starves the second fails rather than hangs. */
#define BUSY_CALLS_MAX 200000
#define BUSY_CALLS_MEANWHILE 2000

typedef struct busy_caller {
    const char *binding;
    atomic_bool stop;
    atomic_long calls;
    long failed;
} busy_caller;

static void *busy_thread(void *p)
{
    busy_caller *b = p;
    rs_client *c = NULL;
    if (rs_client_open(b->binding, NULL, &c, NULL) != RS_OK) {
        b->failed++;
        return NULL;
    }
    for (long i = 0; !atomic_load(&b->stop) && i < BUSY_CALLS_MAX; i++) {
        if (calc_Add(c, (int32_t)i, 1) != (int32_t)i + 1)
            b->failed++;
        atomic_store(&b->calls, i + 1);
    }
    rs_client_close(c);
    return NULL;
}

static void test_lingering_worker_gives_way(void **state)
{
    (void)state;
    rs_server_options so = {.workers = 1};
    test_server ts;
    server_start(&ts, "ncacn_ip_tcp:127.0.0.1[0]", &so);
    busy_caller b = {.binding = server_binding(&ts), .stop = false, .calls = 0};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, busy_thread, &b), 0);
    while (atomic_load(&b.calls) < 100) { /* the first client is calling back to back */
        struct timespec ts1 = {0, 1000000};
        nanosleep(&ts1, NULL);
    }
    rs_client *c = client_open(server_binding(&ts), NULL);
    long before = atomic_load(&b.calls);
    for (int32_t i = 0; i < 20; i++) {
        assert_int_equal(calc_Add(c, i, 2), i + 2);
        assert_int_equal(rs_last_call_status(), RS_OK);
    }
    long meanwhile = atomic_load(&b.calls) - before;
    atomic_store(&b.stop, true);
    assert_int_equal(pthread_join(t, NULL), 0);
    rs_client_close(c);
    server_stop(&ts);
    assert_int_equal(b.failed, 0);
    if (meanwhile >= BUSY_CALLS_MEANWHILE)
        fail_msg("the first client made %ld calls while the second made 20", meanwhile);
}

/* ---- stopping, restarting, timeouts ---------------------------------------------------------- */

typedef struct slow_call {
    const char *binding;
    int32_t ms;
    int32_t result;
    rs_status status;
} slow_call;

static void *slow_caller(void *p)
{
    slow_call *sc = p;
    rs_client *c = NULL;
    if (rs_client_open(sc->binding, NULL, &c, NULL) != RS_OK)
        return NULL;
    sc->result = calc_Sleep(c, sc->ms);
    sc->status = rs_last_call_status();
    rs_client_close(c);
    return NULL;
}

static void wait_for_sleep(int before)
{
    int64_t give_up = now_ms() + 5000;
    while (atomic_load(&sleep_started) == before && now_ms() < give_up) {
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
    }
    assert_true(atomic_load(&sleep_started) > before);
}

static void test_stop_finishes_the_call_in_progress(void **state)
{
    (void)state;
    test_server ts;
    server_start(&ts, "ncacn_ip_tcp:127.0.0.1[0]", NULL);
    slow_call sc = {.binding = server_binding(&ts), .ms = 300, .status = RS_ERR_IO};
    int before = atomic_load(&sleep_started);
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, slow_caller, &sc), 0);
    wait_for_sleep(before);
    server_stop(&ts); /* returns only once the call was answered */
    assert_int_equal(pthread_join(t, NULL), 0);
    assert_int_equal(sc.status, RS_OK);
    assert_int_equal(sc.result, 300);
}

/* Four workers: the first two connections each get a worker that waits for its next call alone
 * (a recv() with no timeout, server.c wait_alone()); the third and fourth are served as before
 * (a lingering worker, then the loop). All keep being answered, in any order; a stop ends the
 * alone waits at once (the client's next call finds no server, within its timeouts), and so
 * does the idle timeout (the server closes the connection, as for any idle one). */
static void test_workers_waiting_alone(void **state)
{
    (void)state;
    rs_server_options so = {.workers = 4};
    test_server ts;
    server_start(&ts, "ncacn_ip_tcp:127.0.0.1[0]", &so);
    rs_client_options co = {.connect_timeout_ms = 1000, .call_timeout_ms = 2000};
    rs_client *c[4];
    for (int i = 0; i < 4; i++) {
        c[i] = client_open(server_binding(&ts), &co);
        assert_int_equal(calc_Add(c[i], i, 1), i + 1);
    }
    for (int round = 0; round < 20; round++)
        for (int i = 3; i >= 0; i--)
            assert_int_equal(calc_Add(c[i], round, i), round + i);
    int64_t t0 = now_ms();
    server_stop(&ts);
    assert_true(now_ms() - t0 < 1500); /* not LINGER_MS per worker, and no hang */
    assert_int_equal(calc_Add(c[0], 1, 1), 0);
    assert_int_not_equal(rs_last_call_status(), RS_OK);
    for (int i = 0; i < 4; i++)
        rs_client_close(c[i]);

    so.idle_timeout_ms = 100;
    server_start(&ts, "ncacn_ip_tcp:127.0.0.1[0]", &so);
    rs_client *alone = client_open(server_binding(&ts), &co);
    assert_int_equal(calc_Add(alone, 2, 2), 4); /* its worker now waits alone */
    usleep(400 * 1000);                         /* past the idle timeout: closed */
    assert_int_equal(calc_Add(alone, 3, 3), 6); /* a new connection, transparently */
    rs_client_close(alone);
    server_stop(&ts);
}

static void test_reconnect_after_restart(void **state)
{
    (void)state;
    char b[64];
    lrpc_binding(b, sizeof b);
    test_server ts;
    server_start(&ts, b, NULL);
    rs_client_options o = {.connect_timeout_ms = 1000, .call_timeout_ms = 2000};
    rs_client *c = client_open(b, &o);
    assert_int_equal(calc_Add(c, 1, 1), 2);
    server_stop(&ts);

    int64_t t0 = now_ms();
    assert_int_equal(calc_Add(c, 1, 2), 0);
    assert_true(now_ms() - t0 < 3000); /* a clear error, within the timeouts */
    assert_int_equal(rs_last_call_status(), RS_ERR_CONNECT);
    assert_contains(rs_last_call_error()->message, "cannot reach ncalrpc:[");

    server_start(&ts, b, NULL); /* the same name: the first server removed its socket */
    assert_int_equal(calc_Add(c, 1, 3), 4);
    assert_int_equal(greet_Hello(c, 1), 1001);
    rs_client_close(c);
    server_stop(&ts);
}

static void test_call_timeout(void **state)
{
    (void)state;
    test_server ts;
    server_start(&ts, "ncacn_ip_tcp:127.0.0.1[0]", NULL);
    rs_client_options o = {.call_timeout_ms = 150};
    rs_client *c = client_open(server_binding(&ts), &o);
    int64_t t0 = now_ms();
    assert_int_equal(calc_Sleep(c, 700), 0);
    int64_t took = now_ms() - t0;
    assert_int_equal(rs_last_call_status(), RS_ERR_TIMEOUT);
    assert_contains(rs_last_call_error()->message, "within 150 ms");
    assert_true(took < 5000); /* a generous bound: the point is that it did not wait 700 ms+ */
    /* A new connection answers at once, while the old call still sleeps on the server. */
    assert_int_equal(calc_Add(c, 2, 2), 4);
    rs_client_close(c);
    server_stop(&ts);
}

static void test_request_beyond_server_limit(void **state)
{
    (void)state;
    rs_server_options so = {.max_stub = 10000};
    test_server ts;
    server_start(&ts, "ncacn_ip_tcp:127.0.0.1[0]", &so);
    rs_client *c = client_open(server_binding(&ts), NULL);
    uint8_t *in = pattern(20000, 1), *out = calloc(20000, 1);
    calc_EchoBytes(c, 20000, in, out);
    assert_int_equal(rs_last_call_status(), RS_ERR_FAULT);
    assert_int_equal(rs_last_call_fault(), RS_nca_s_fault_remote_no_memory);
    free(in);
    free(out);
    echo_bytes_check(c, 9000); /* the same connection goes on */
    rs_client_close(c);
    server_stop(&ts);
}

static void test_response_beyond_client_limit(void **state)
{
    (void)state;
    test_server ts;
    server_start(&ts, "ncacn_ip_tcp:127.0.0.1[0]", NULL);
    rs_client_options o = {.max_stub = 1000};
    rs_client *c = client_open(server_binding(&ts), &o);
    uint8_t *in = pattern(5000, 2), *out = calloc(5000, 1);
    calc_EchoBytes(c, 5000, in, out);
    assert_int_equal(rs_last_call_status(), RS_ERR_LIMIT);
    assert_contains(rs_last_call_error()->message, "reassembly limit");
    free(in);
    free(out);
    assert_int_equal(calc_Add(c, 5, 5), 10);
    rs_client_close(c);
    server_stop(&ts);
}

/* ---- the error handler and misuse ------------------------------------------------------------ */

typedef struct handler_log {
    int calls;
    uint32_t fault;
    rs_status status;
    jmp_buf *escape;
} handler_log;

static void record_error(const rs_error *e, uint32_t fault, void *ctx)
{
    handler_log *log = ctx;
    log->calls++;
    log->fault = fault;
    log->status = e->status;
    if (log->escape != NULL)
        longjmp(*log->escape, 1);
}

static void test_error_handler(void **state)
{
    (void)state;
    test_server ts;
    server_start(&ts, "ncacn_ip_tcp:127.0.0.1[0]", NULL);
    rs_client *c = client_open(server_binding(&ts), NULL);
    handler_log log = {0};
    rs_set_call_error_handler(record_error, &log);
    assert_int_equal(calc_Add(c, 1, 1), 2);
    assert_int_equal(log.calls, 0); /* success calls nothing */
    calc_Div(c, 1, 0);
    assert_int_equal(log.calls, 1);
    assert_int_equal(log.fault, RS_nca_s_fault_int_div_by_zero);
    assert_int_equal(log.status, RS_ERR_FAULT);

    /* RpcTryExcept-style: the handler jumps out; the call has freed everything by then. */
    jmp_buf escape;
    log.escape = &escape;
    volatile int escaped = 0;
    if (setjmp(escape) == 0)
        calc_void(c, 6);
    else
        escaped = 1;
    assert_int_equal(escaped, 1);
    assert_int_equal(log.calls, 2);
    assert_int_equal(log.fault, RS_nca_s_op_rng_error);
    rs_set_call_error_handler(NULL, NULL);
    calc_void(c, 6);
    assert_int_equal(log.calls, 2);
    rs_client_close(c);
    server_stop(&ts);
}

static void test_misuse_and_options(void **state)
{
    (void)state;
    /* No binding handle. */
    assert_int_equal(calc_Add(NULL, 1, 2), 0);
    assert_int_equal(rs_last_call_status(), RS_ERR_INVALID_ARG);
    assert_contains(rs_last_call_error()->message, "no binding handle");

    rs_client *c = NULL;
    rs_error err = {0};
    assert_int_equal(rs_client_open("ncacn_ip_tcp:127.0.0.1", NULL, &c, &err), RS_OK);
    assert_string_equal(rs_client_binding(c), "ncacn_ip_tcp:127.0.0.1");
    rs_client_close(c);
    assert_int_equal(rs_client_open("nosuch:[x]", NULL, &c, &err), RS_ERR_INVALID_ARG);
    assert_null(c);
    assert_true(err.message[0] != '\0');
    rs_error_clear(&err);
    rs_client_options o = {.max_frag = 40};
    assert_int_equal(rs_client_open("ncalrpc:[x]", &o, &c, &err), RS_ERR_INVALID_ARG);
    assert_contains(err.message, "max_frag 40");

    /* A client to nothing: a clear error. */
    assert_int_equal(rs_client_open("ncalrpc:[rstest-nobody-listens]", NULL, &c, &err), RS_OK);
    assert_int_equal(calc_Add(c, 1, 1), 0);
    assert_int_equal(rs_last_call_status(), RS_ERR_CONNECT);
    rs_client_close(c);
    rs_client_close(NULL);

    rs_server *s = NULL;
    rs_server_options so = {.max_frag = 20};
    assert_int_equal(rs_server_create(&so, &s), RS_ERR_INVALID_ARG);
    assert_int_equal(rs_server_create(NULL, &s), RS_OK);
    rs_error_clear(&err);
    assert_int_equal(rs_server_run(s, &err), RS_ERR_INVALID_ARG); /* listens on nothing */
    assert_contains(err.message, "listens on nothing");
    assert_int_equal(rs_server_register(s, &calc_server_interface, &err), RS_OK);
    rs_error_clear(&err);
    assert_int_equal(rs_server_register(s, &calc_server_interface, &err), RS_ERR_INVALID_ARG);
    assert_contains(err.message, "already registered");
    rs_error_clear(&err);
    assert_int_equal(rs_server_listen(s, "bogus", &err), RS_ERR_INVALID_ARG);
    assert_int_equal(rs_server_binding_count(s), 0);
    assert_null(rs_server_binding(s, 0));
    rs_server_destroy(s);
    rs_server_destroy(NULL);

    /* A stop before the run makes the run return at once. */
    assert_int_equal(rs_server_create(NULL, &s), RS_OK);
    assert_int_equal(rs_server_listen(s, "ncacn_ip_tcp:127.0.0.1[0]", &err), RS_OK);
    rs_server_stop(s);
    assert_int_equal(rs_server_run(s, &err), RS_OK);
    rs_error_clear(&err);
    assert_int_equal(rs_server_run(s, &err), RS_ERR_INVALID_ARG); /* a server runs once */
    assert_non_null(rs_server_binding(s, 0)); /* still readable */
    rs_server_destroy(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_add_tcp),
        cmocka_unit_test(test_add_lrpc),
        cmocka_unit_test(test_echo_string_belongs_to_caller),
        cmocka_unit_test(test_fragments_both_ways),
        cmocka_unit_test(test_big_endian_client),
        cmocka_unit_test(test_unknown_opnum),
        cmocka_unit_test(test_procedure_raises),
        cmocka_unit_test(test_stub_data_that_does_not_decode),
        cmocka_unit_test(test_response_left_over),
        cmocka_unit_test(test_bind_rejected),
        cmocka_unit_test(test_two_interfaces_on_one_connection),
        cmocka_unit_test(test_concurrent_clients),
        cmocka_unit_test(test_lingering_worker_gives_way),
        cmocka_unit_test(test_stop_finishes_the_call_in_progress),
        cmocka_unit_test(test_workers_waiting_alone),
        cmocka_unit_test(test_reconnect_after_restart),
        cmocka_unit_test(test_call_timeout),
        cmocka_unit_test(test_request_beyond_server_limit),
        cmocka_unit_test(test_response_beyond_client_limit),
        cmocka_unit_test(test_error_handler),
        cmocka_unit_test(test_misuse_and_options),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
