/* test_msrpc.c -- Microsoft's RPC API on librpcscope (rpc/compat/rpc.h): string bindings, the
 * binding handles made from them and the codes bad text earns, the exception frames
 * (RpcTryExcept, RpcTryFinally, filters that pass an exception on), the Win32 code each failure
 * raises, and a server run through RpcServer* in this process whose procedures raise exceptions
 * that reach the client as faults and come back as the same (or MS-RPCE-mapped) codes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "rpc.h"
#include "rpcndr.h"
#include "server.h"

/* ---- string bindings ---- */

static void test_compose_all_parts(void **state)
{
    (void)state;
    RPC_CSTR s = NULL;
    assert_int_equal(RpcStringBindingCompose((RPC_CSTR) "6d5a3b1c-8f2e-4c7a-9b0d-1e2f3a4b5c6d",
                                             (RPC_CSTR) "ncacn_ip_tcp", (RPC_CSTR) "127.0.0.1",
                                             (RPC_CSTR) "4747", (RPC_CSTR) "opt=1", &s),
                     RPC_S_OK);
    assert_string_equal((char *)s,
                        "6d5a3b1c-8f2e-4c7a-9b0d-1e2f3a4b5c6d@ncacn_ip_tcp:127.0.0.1[4747,opt=1]");
    assert_int_equal(RpcStringFree(&s), RPC_S_OK);
    assert_null(s);
}

static void test_compose_leaves_out_missing_parts(void **state)
{
    (void)state;
    RPC_CSTR s = NULL;
    assert_int_equal(RpcStringBindingCompose(NULL, (RPC_CSTR) "ncacn_np", NULL,
                                             (RPC_CSTR) "\\pipe\\hello", NULL, &s),
                     RPC_S_OK);
    assert_string_equal((char *)s, "ncacn_np:[\\pipe\\hello]");
    RpcStringFree(&s);
    assert_int_equal(RpcStringBindingCompose(NULL, (RPC_CSTR) "ncacn_ip_tcp", (RPC_CSTR) "host",
                                             (RPC_CSTR) "", NULL, &s),
                     RPC_S_OK);
    assert_string_equal((char *)s, "ncacn_ip_tcp:host"); /* no endpoint: no brackets */
    RpcStringFree(&s);
    assert_int_equal(RpcStringBindingCompose(NULL, NULL, NULL, NULL, NULL, NULL), RPC_S_INVALID_ARG);
}

static void test_parse_round_trip(void **state)
{
    (void)state;
    RPC_CSTR obj, ps, addr, ep, opt;
    assert_int_equal(RpcStringBindingParse((RPC_CSTR) "6d5a3b1c-8f2e-4c7a-9b0d-1e2f3a4b5c6d@"
                                                      "ncacn_ip_tcp:::1[4747,a=b]",
                                           &obj, &ps, &addr, &ep, &opt),
                     RPC_S_OK);
    assert_string_equal((char *)obj, "6d5a3b1c-8f2e-4c7a-9b0d-1e2f3a4b5c6d");
    assert_string_equal((char *)ps, "ncacn_ip_tcp");
    assert_string_equal((char *)addr, "::1"); /* the address is everything before '[' */
    assert_string_equal((char *)ep, "4747");
    assert_string_equal((char *)opt, "a=b");
    RPC_CSTR again = NULL;
    assert_int_equal(RpcStringBindingCompose(obj, ps, addr, ep, opt, &again), RPC_S_OK);
    assert_string_equal((char *)again,
                        "6d5a3b1c-8f2e-4c7a-9b0d-1e2f3a4b5c6d@ncacn_ip_tcp:::1[4747,a=b]");
    RpcStringFree(&again);
    RpcStringFree(&obj);
    RpcStringFree(&ps);
    RpcStringFree(&addr);
    RpcStringFree(&ep);
    RpcStringFree(&opt);

    /* missing parts come back as "", and NULL out pointers are skipped */
    assert_int_equal(RpcStringBindingParse((RPC_CSTR) "ncalrpc:", NULL, &ps, &addr, &ep, NULL),
                     RPC_S_OK);
    assert_string_equal((char *)ps, "ncalrpc");
    assert_string_equal((char *)addr, "");
    assert_string_equal((char *)ep, "");
    RpcStringFree(&ps);
    RpcStringFree(&addr);
    RpcStringFree(&ep);
}

static void test_parse_refuses_bad_shapes(void **state)
{
    (void)state;
    static const char *const bad[] = {"", "no colon", ":127.0.0.1[1]", "ncacn_ip_tcp:h[1",
                                      "ncacn_ip_tcp:h[1]x", "uuid@:h"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        RPC_CSTR ps = (RPC_CSTR) "untouched";
        assert_int_equal(RpcStringBindingParse((RPC_CSTR)bad[i], NULL, &ps, NULL, NULL, NULL),
                         RPC_S_INVALID_STRING_BINDING);
        assert_null(ps); /* nothing to free after a failure */
    }
    assert_int_equal(RpcStringBindingParse(NULL, NULL, NULL, NULL, NULL, NULL),
                     RPC_S_INVALID_STRING_BINDING);
    assert_int_equal(RpcStringFree(NULL), RPC_S_OK);
}

/* ---- binding handles ---- */

static void test_binding_codes(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        RPC_STATUS want;
    } cases[] = {
        {"ncacn_ip_tcp:127.0.0.1[4747]", RPC_S_OK},
        {"ncalrpc:[hello]", RPC_S_OK},
        {"ncacn_np:[\\pipe\\hello]", RPC_S_OK},
        {"ncacn_np:localhost[\\pipe\\hello]", RPC_S_OK},
        {"ncacn_np:elsewhere.example[\\pipe\\hello]", RPC_S_INVALID_NET_ADDR}, /* no SMB */
        {"ncacn_np:[hello]", RPC_S_INVALID_ENDPOINT_FORMAT},       /* not \pipe\NAME */
        {"ncacn_np:[\\pipe\\a/b]", RPC_S_INVALID_ENDPOINT_FORMAT}, /* not a plain name */
        {"ncacn_ip_tcp:127.0.0.1[http]", RPC_S_INVALID_ENDPOINT_FORMAT},
        {"ncacn_ip_tcp:127.0.0.1[99999]", RPC_S_INVALID_ENDPOINT_FORMAT},
        {"ncadg_ip_udp:127.0.0.1[4747]", RPC_S_PROTSEQ_NOT_SUPPORTED},
        {"ncacn_made_up:127.0.0.1[1]", RPC_S_INVALID_RPC_PROTSEQ},
        {"not-a-uuid@ncacn_ip_tcp:127.0.0.1[1]", RPC_S_INVALID_STRING_UUID},
        {"garbage", RPC_S_INVALID_STRING_BINDING},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        RPC_BINDING_HANDLE h = (RPC_BINDING_HANDLE)&h;
        RPC_STATUS got = RpcBindingFromStringBinding((RPC_CSTR)cases[i].text, &h);
        if (got != cases[i].want)
            fail_msg("%s: %ld, not %ld", cases[i].text, got, cases[i].want);
        if (got == RPC_S_OK) {
            assert_non_null(h);
            assert_int_equal(RpcBindingFree(&h), RPC_S_OK);
        }
        assert_null(h); /* a failure leaves no handle */
    }
    RPC_BINDING_HANDLE none = NULL;
    assert_int_equal(RpcBindingFree(&none), RPC_S_INVALID_BINDING);
}

static void test_pipe_becomes_local_socket(void **state)
{
    (void)state;
    RPC_BINDING_HANDLE h = NULL;
    assert_int_equal(RpcBindingFromStringBinding((RPC_CSTR) "ncacn_np:[\\PIPE\\hello]", &h), RPC_S_OK);
    RPC_CSTR text = NULL;
    assert_int_equal(RpcBindingToStringBinding(h, &text), RPC_S_OK);
    assert_string_equal((char *)text, "ncalrpc:[np-hello]");
    RpcStringFree(&text);
    RpcBindingFree(&h);
}

/* ---- exceptions ---- */

static void test_raise_reaches_the_innermost_handler(void **state)
{
    (void)state;
    volatile int handled = 0, after = 0;
    RpcTryExcept
    {
        RpcRaiseException(42);
        after = 1; /* never */
    }
    RpcExcept(1)
    {
        handled = (int)RpcExceptionCode();
    }
    RpcEndExcept
    assert_int_equal(handled, 42);
    assert_int_equal(after, 0);
}

static void test_filter_passes_exception_outwards(void **state)
{
    (void)state;
    volatile int inner = 0, outer = 0;
    RpcTryExcept
    {
        RpcTryExcept
        {
            RpcRaiseException(RPC_S_SERVER_UNAVAILABLE);
        }
        RpcExcept(RpcExceptionCode() == RPC_S_ZERO_DIVIDE)
        {
            inner = 1; /* not this one: the filter says no */
        }
        RpcEndExcept
    }
    RpcExcept(RpcExceptionCode() == RPC_S_SERVER_UNAVAILABLE ? EXCEPTION_EXECUTE_HANDLER
                                                             : EXCEPTION_CONTINUE_SEARCH)
    {
        outer = (int)RpcExceptionCode();
    }
    RpcEndExcept
    assert_int_equal(inner, 0);
    assert_int_equal(outer, RPC_S_SERVER_UNAVAILABLE);
}

static void test_no_exception_runs_no_handler(void **state)
{
    (void)state;
    volatile int handled = 0, body = 0;
    RpcTryExcept
    {
        body = 1;
    }
    RpcExcept(1)
    {
        handled = 1;
    }
    RpcEndExcept
    assert_int_equal(body, 1);
    assert_int_equal(handled, 0);
    /* the frame is gone: a raise now reaches the next handler out, this one */
    RpcTryExcept
    {
        RpcRaiseException(7);
    }
    RpcExcept(1)
    {
        handled = (int)RpcExceptionCode();
    }
    RpcEndExcept
    assert_int_equal(handled, 7);
}

static void test_finally_runs_both_ways(void **state)
{
    (void)state;
    volatile int finally_runs = 0, abnormal = -1, caught = 0;
    RpcTryFinally
    {
        (void)0;
    }
    RpcFinally
    {
        finally_runs++;
        abnormal = RpcAbnormalTermination();
    }
    RpcEndFinally
    assert_int_equal(finally_runs, 1);
    assert_int_equal(abnormal, 0);

    RpcTryExcept
    {
        RpcTryFinally
        {
            RpcRaiseException(99);
        }
        RpcFinally
        {
            finally_runs++;
            abnormal = RpcAbnormalTermination();
        }
        RpcEndFinally
    }
    RpcExcept(1)
    {
        caught = (int)RpcExceptionCode(); /* the finally block ran, then the raise went on */
    }
    RpcEndExcept
    assert_int_equal(finally_runs, 2);
    assert_int_equal(abnormal, 1);
    assert_int_equal(caught, 99);
}

static void test_status_codes(void **state)
{
    (void)state;
    /* MS-RPCE 3.1.1.5.5 for faults; a Win32 code raised by the server comes as it is */
    assert_int_equal(rs_ms_status_code(RS_ERR_FAULT, RS_nca_s_op_rng_error), RPC_S_PROCNUM_OUT_OF_RANGE);
    assert_int_equal(rs_ms_status_code(RS_ERR_FAULT, RS_nca_s_unk_if), RPC_S_UNKNOWN_IF);
    assert_int_equal(rs_ms_status_code(RS_ERR_FAULT, RS_nca_s_fault_int_div_by_zero), RPC_S_ZERO_DIVIDE);
    assert_int_equal(rs_ms_status_code(RS_ERR_FAULT, RS_nca_s_proto_error), RPC_S_PROTOCOL_ERROR);
    assert_int_equal(rs_ms_status_code(RS_ERR_FAULT, RS_nca_s_fault_ndr), RPC_X_BAD_STUB_DATA);
    assert_int_equal(rs_ms_status_code(RS_ERR_FAULT, 5), RPC_S_ACCESS_DENIED);
    assert_int_equal(rs_ms_status_code(RS_ERR_CONNECT, 0), RPC_S_SERVER_UNAVAILABLE);
    assert_int_equal(rs_ms_status_code(RS_ERR_TIMEOUT, 0), RPC_S_CALL_CANCELLED);
    assert_int_equal(rs_ms_status_code(RS_ERR_CLOSED, 0), RPC_S_CALL_FAILED);
    assert_int_equal(rs_ms_status_code(RS_ERR_BIND_REJECTED, 0), RPC_S_UNKNOWN_IF);
    assert_int_equal(rs_ms_status_code(RS_ERR_NDR, 0), RPC_X_BAD_STUB_DATA);
    assert_int_equal(rs_ms_status_code(RS_OK, 0), RPC_S_OK);
}

/* ---- a server and a client through the API, in this process ---- */

#define RAISE_UUID {0x3a1f9c2e, 0x7b4d, 0x4c5e, {0x9f, 0x60}, {0x71, 0x82, 0x93, 0xa4, 0xb5, 0xc6}}

/* opnum 0 raises a Win32 code; opnum 1 a DCE fault; opnum 2 returns. */
static rs_status raise_win32_stub(rs_server_call *call)
{
    call->executed = true;
    RpcRaiseException(1234);
}

static rs_status raise_nca_stub(rs_server_call *call)
{
    call->executed = true;
    RpcRaiseException((RPC_STATUS)RS_nca_s_fault_int_div_by_zero);
}

static rs_status fine_stub(rs_server_call *call)
{
    call->executed = true;
    return RS_OK;
}

static const rs_operation server_ops[] = {
    {"RaiseWin32", raise_win32_stub}, {"RaiseNca", raise_nca_stub}, {"Fine", fine_stub}};
static const rs_interface server_iface = {"raiser", {RAISE_UUID, 1, 0}, server_ops, 3};
static const rs_operation client_ops[] = {{"RaiseWin32", NULL}, {"RaiseNca", NULL}, {"Fine", NULL}};
static const rs_interface client_iface = {"raiser", {RAISE_UUID, 1, 0}, client_ops, 3};

/* A call with no parameters, as rpcidl writes its stub. */
static void call_op(RPC_BINDING_HANDLE h, uint16_t opnum)
{
    rs_client_call call;
    rs_status st = rs_client_call_begin(&call, h, &client_iface, opnum);
    if (st == RS_OK)
        st = rs_client_call_invoke(&call);
    rs_client_call_end(&call, st);
}

/* The code a call raises, or 0. */
static RPC_STATUS raised_by(RPC_BINDING_HANDLE h, uint16_t opnum)
{
    volatile RPC_STATUS code = 0;
    RpcTryExcept
    {
        call_op(h, opnum);
    }
    RpcExcept(1)
    {
        code = RpcExceptionCode();
    }
    RpcEndExcept
    return code;
}

static void test_server_and_client(void **state)
{
    (void)state;
    assert_int_equal(RpcServerListen(1, RPC_C_LISTEN_MAX_CALLS_DEFAULT, TRUE),
                     RPC_S_NO_PROTSEQS_REGISTERED);
    RPC_BINDING_VECTOR *v = NULL;
    assert_int_equal(RpcServerInqBindings(&v), RPC_S_NO_BINDINGS);
    assert_int_equal(RpcServerUseProtseqEp((RPC_CSTR) "ncacn_ip_tcp", 10, (RPC_CSTR) "0", NULL),
                     RPC_S_OK);
    assert_int_equal(RpcServerUseProtseqEp((RPC_CSTR) "ncacn_ip_tcp", 10, (RPC_CSTR) "x", NULL),
                     RPC_S_INVALID_ENDPOINT_FORMAT);
    assert_int_equal(RpcServerUseProtseqEp((RPC_CSTR) "ncadg_ip_udp", 10, (RPC_CSTR) "1", NULL),
                     RPC_S_PROTSEQ_NOT_SUPPORTED);
    assert_int_equal(RpcServerRegisterIf2(&server_iface, NULL, NULL, RPC_IF_AUTOLISTEN, 0, 0, NULL),
                     RPC_S_OK);
    assert_int_equal(RpcServerRegisterIf(&server_iface, NULL, NULL), RPC_S_ALREADY_REGISTERED);
    assert_int_equal(RpcServerInqBindings(&v), RPC_S_OK);
    assert_int_equal(v->Count, 1);
    RPC_CSTR text = NULL;
    assert_int_equal(RpcBindingToStringBinding(v->BindingH[0], &text), RPC_S_OK);
    assert_int_equal(RpcBindingVectorFree(&v), RPC_S_OK);
    assert_null(v);

    assert_int_equal(RpcServerListen(1, RPC_C_LISTEN_MAX_CALLS_DEFAULT, TRUE), RPC_S_OK);
    assert_int_equal(RpcServerListen(1, RPC_C_LISTEN_MAX_CALLS_DEFAULT, TRUE),
                     RPC_S_ALREADY_LISTENING);

    RPC_BINDING_HANDLE h = NULL;
    assert_int_equal(RpcBindingFromStringBinding(text, &h), RPC_S_OK);
    assert_int_equal(raised_by(h, 2), 0);
    assert_int_equal(raised_by(h, 0), 1234);              /* as the server raised it */
    assert_int_equal(raised_by(h, 1), RPC_S_ZERO_DIVIDE); /* the DCE fault, mapped */
    assert_int_equal(raised_by(h, 2), 0);                 /* the connection stayed */

    /* withdrawn: a new connection's bind no longer finds it */
    assert_int_equal(RpcServerUnregisterIf(&server_iface, NULL, FALSE), RPC_S_OK);
    assert_int_equal(RpcServerUnregisterIf(&server_iface, NULL, FALSE), RPC_S_UNKNOWN_IF);
    RPC_BINDING_HANDLE h2 = NULL;
    assert_int_equal(RpcBindingFromStringBinding(text, &h2), RPC_S_OK);
    assert_int_equal(raised_by(h2, 2), RPC_S_UNKNOWN_IF);
    RpcBindingFree(&h2);

    assert_int_equal(RpcMgmtStopServerListening(NULL), RPC_S_OK);
    assert_int_equal(RpcMgmtWaitServerListen(), RPC_S_OK);
    assert_int_equal(RpcMgmtWaitServerListen(), RPC_S_NOT_LISTENING);
    assert_int_equal(RpcMgmtStopServerListening(NULL), RPC_S_NOT_LISTENING);
    /* The server is gone. A connection that answered within the last millisecond is used
     * without a look (client.c, FRESH_NS): the call would then fail on the closed connection
     * (RPC_S_CALL_FAILED) instead; past it, the client sees the close and finds no server. */
    usleep(2000);
    assert_int_equal(raised_by(h, 2), RPC_S_SERVER_UNAVAILABLE);
    RpcBindingFree(&h);
    RpcStringFree(&text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_compose_all_parts),
        cmocka_unit_test(test_compose_leaves_out_missing_parts),
        cmocka_unit_test(test_parse_round_trip),
        cmocka_unit_test(test_parse_refuses_bad_shapes),
        cmocka_unit_test(test_binding_codes),
        cmocka_unit_test(test_pipe_becomes_local_socket),
        cmocka_unit_test(test_raise_reaches_the_innermost_handler),
        cmocka_unit_test(test_filter_passes_exception_outwards),
        cmocka_unit_test(test_no_exception_runs_no_handler),
        cmocka_unit_test(test_finally_runs_both_ways),
        cmocka_unit_test(test_status_codes),
        cmocka_unit_test(test_server_and_client),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
