/* test_stubs_client.c -- the client stubs rpcidl generates for tests/interop/conform.idl, against
 * NDR bytes derived by hand from C706 chapter 14 (conform_vectors.h).
 *
 * The generated client stubs call a real server in this process, over ncalrpc. Its interface has
 * conform's UUID and version, but its stubs are not generated ones (those call functions with the
 * client stubs' names, which cannot live in one program): each records the request stub data and
 * answers with the response bytes the test chose. So:
 *   - every call sends exactly a vector's request bytes, and understands its response: the
 *     return value and the [out] parameters (strings, arrays, embedded pointers the caller then
 *     frees) are right, and the byte after an [out] array is untouched;
 *   - values the IDL forbids are refused before anything is sent;
 *   - a response cut at any offset, with bytes left over, or disagreeing with the IDL's sizes
 *     fails cleanly, and a failed call leaves the [out] parameters and the return value zero;
 *   - a fault raised by the server reaches the caller as RS_ERR_FAULT with its code.
 * Under `make asan` the sanitizers also show that nothing is read past a response or leaked.
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

#include "conform.h"
#include "conform_vectors.h"

/* ==== the replaying server ==================================================================== */

static pthread_mutex_t replay_lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
    const uint8_t *response; /* what the next call is answered with */
    size_t response_len;
    uint32_t raise;       /* a fault to answer with instead, when not 0 */
    uint8_t request[256]; /* what the last call sent */
    size_t request_len;
    uint16_t opnum;
    int requests;
} replay;

static rs_status replay_stub(rs_server_call *call)
{
    pthread_mutex_lock(&replay_lock);
    replay.requests++;
    replay.opnum = call->opnum;
    replay.request_len = call->request.len <= sizeof replay.request ? call->request.len : 0;
    if (replay.request_len > 0)
        memcpy(replay.request, call->request.data, replay.request_len);
    const uint8_t *response = replay.response;
    size_t len = replay.response_len;
    uint32_t raise = replay.raise;
    pthread_mutex_unlock(&replay_lock);
    call->executed = true;
    if (raise != 0)
        rs_server_raise(raise);
    return len > 0 ? rs_buf_put_bytes(&call->response, response, len) : RS_OK;
}

static const rs_operation replay_operations[] = {
    {"Add", replay_stub},     {"Div", replay_stub},      {"StrLen", replay_stub},
    {"WStrLen", replay_stub}, {"Reverse", replay_stub},  {"SumMixed", replay_stub},
    {"SumPtrs", replay_stub}, {"GetMixed", replay_stub}, {"UStrSum", replay_stub},
    {"GetName", replay_stub}, {"NumValue", replay_stub}, {"NextColor", replay_stub},
    {"Echo", replay_stub},    {"Sleep", replay_stub},
};

static rs_interface replay_interface = {"conform", {{0}, 0, 0}, replay_operations, 14};

/* The next call is answered with `len` bytes of `response`. */
static void answer_with(const uint8_t *response, size_t len)
{
    pthread_mutex_lock(&replay_lock);
    replay.response = response;
    replay.response_len = len;
    replay.raise = 0;
    replay.request_len = 0;
    pthread_mutex_unlock(&replay_lock);
}

static void answer(const char *what)
{
    const vector *v = find_vector(what);
    answer_with(v->response, v->response_len);
}

static int requests(void)
{
    pthread_mutex_lock(&replay_lock);
    int n = replay.requests;
    pthread_mutex_unlock(&replay_lock);
    return n;
}

/* The last call succeeded, with exactly the vector's opnum and request bytes. */
static void assert_sent(const char *what)
{
    const vector *v = find_vector(what);
    if (rs_last_call_status() != RS_OK)
        fail_msg("%s: %s", what, rs_last_call_error()->message);
    pthread_mutex_lock(&replay_lock);
    uint16_t opnum = replay.opnum;
    size_t len = replay.request_len;
    uint8_t sent[256];
    memcpy(sent, replay.request, len);
    pthread_mutex_unlock(&replay_lock);
    assert_int_equal(opnum, v->opnum);
    assert_int_equal(len, v->request_len);
    if (len > 0)
        assert_memory_equal(sent, v->request, len);
}

/* ==== the trace =============================================================================== */

static pthread_mutex_t trace_lock = PTHREAD_MUTEX_INITIALIZER;
static char written[16][32]; /* the names of the last PARAM_WRITTEN events on the way back */
static size_t nwritten;

static void on_event(const rs_trace_event *ev, void *ctx)
{
    (void)ctx;
    if (ev->kind != RS_TRACE_PARAM_WRITTEN || ev->role != RS_TRACE_ROLE_CLIENT)
        return;
    pthread_mutex_lock(&trace_lock);
    if (nwritten < 16 && (ev->flags & RS_TRACE_FLAG_OUT))
        snprintf(written[nwritten++], sizeof written[0], "%s", ev->name != NULL ? ev->name : "");
    pthread_mutex_unlock(&trace_lock);
}

static bool saw_written(const char *name)
{
    bool found = false;
    pthread_mutex_lock(&trace_lock);
    for (size_t i = 0; i < nwritten; i++)
        found |= strcmp(written[i], name) == 0;
    nwritten = 0;
    pthread_mutex_unlock(&trace_lock);
    return found;
}

/* ==== the server and the client =============================================================== */

static rs_server *server;
static pthread_t server_thread;
static rs_client *client;

static void *run_server(void *arg)
{
    (void)arg;
    rs_error err = {0};
    if (rs_server_run(server, &err) != RS_OK)
        fprintf(stderr, "test_stubs_client: the server stopped: %s\n", err.message);
    return NULL;
}

static int setup(void **state)
{
    (void)state;
    rs_trace_set_callback(on_event, NULL);
    replay_interface.syntax = conform_client_interface.syntax;
    rs_error err = {0};
    char binding[64];
    snprintf(binding, sizeof binding, "ncalrpc:[rsstubs-%ld]", (long)getpid());
    if (rs_server_create(NULL, &server) != RS_OK ||
        rs_server_register(server, &replay_interface, &err) != RS_OK ||
        rs_server_listen(server, binding, &err) != RS_OK) {
        fprintf(stderr, "test_stubs_client: cannot start a server: %s\n", err.message);
        return -1;
    }
    if (pthread_create(&server_thread, NULL, run_server, NULL) != 0)
        return -1;
    if (rs_client_open(rs_server_binding(server, 0), NULL, &client, &err) != RS_OK) {
        fprintf(stderr, "test_stubs_client: cannot open a client: %s\n", err.message);
        return -1;
    }
    conform_IfHandle = client;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    rs_client_close(client);
    conform_IfHandle = NULL;
    rs_server_stop(server);
    pthread_join(server_thread, NULL);
    rs_server_destroy(server);
    rs_trace_close();
    return 0;
}

/* ==== the calls =============================================================================== */

static void test_scalars(void **state)
{
    (void)state;
    answer("Add");
    assert_int_equal(Add(3, 4), 7);
    assert_sent("Add");
    answer("Div");
    assert_int_equal(Div(7, 2), 3);
    assert_sent("Div");
    answer("Sleep");
    assert_int_equal(Sleep(5), 5);
    assert_sent("Sleep");
    answer("NextColor");
    assert_int_equal(NextColor(green), blue);
    assert_sent("NextColor");
}

static void test_strings(void **state)
{
    (void)state;
    char hello[] = "hello";
    answer("StrLen");
    assert_int_equal(StrLen(hello), 5);
    assert_sent("StrLen");
    answer("WStrLen NULL");
    assert_int_equal(WStrLen(NULL), -1);
    assert_sent("WStrLen NULL");
    uint16_t hi[] = {'h', 'i', 0};
    answer("WStrLen");
    assert_int_equal(WStrLen(hi), 2);
    assert_sent("WStrLen");
}

static void test_arrays(void **state)
{
    (void)state;
    int32_t v[4] = {1, 2, 3, 99}; /* v[3] is past the array: it must stay */
    answer("Reverse");
    Reverse(3, v);
    assert_sent("Reverse");
    assert_int_equal(v[0], 3);
    assert_int_equal(v[1], 2);
    assert_int_equal(v[2], 1);
    assert_int_equal(v[3], 99);
    assert_true(saw_written("v"));

    uint8_t in[3] = {1, 2, 3}, out[4] = {0, 0, 0, 0xee}; /* out[3]: the byte after the output */
    answer("Echo");
    Echo(3, in, out);
    assert_sent("Echo");
    assert_memory_equal(out, in, 3);
    assert_int_equal(out[3], 0xee);
    assert_true(saw_written("out"));
}

static void test_structures(void **state)
{
    (void)state;
    mixed m = {.s = 1, .c = 'A', .l1 = 2, .l2 = 3, .h = 4};
    answer("SumMixed");
    assert_int_equal(SumMixed(&m), 75);
    assert_sent("SumMixed");

    mixed back;
    memset(&back, 0xaa, sizeof back);
    answer("GetMixed");
    GetMixed(&back);
    assert_sent("GetMixed");
    assert_int_equal(back.s, -2);
    assert_int_equal(back.c, 'z');
    assert_int_equal(back.l1, 0x11223344);
    assert_int_equal(back.l2, -1);
    assert_int_equal(back.h, 0x0102030405060708);
    assert_true(saw_written("m"));
}

static void test_pointers(void **state)
{
    (void)state;
    int32_t twenty = 20;
    char x = 'x';
    with_ptrs p = {10, &twenty, &x};
    answer("SumPtrs");
    assert_int_equal(SumPtrs(&p), 150);
    assert_sent("SumPtrs");
    p.pl1 = NULL;
    answer("SumPtrs pl1 NULL");
    assert_int_equal(SumPtrs(&p), 130);
    assert_sent("SumPtrs pl1 NULL");
    answer("SumPtrs NULL");
    assert_int_equal(SumPtrs(NULL), -1);
    assert_sent("SumPtrs NULL");
}

static void test_ustring(void **state)
{
    (void)state;
    uint16_t abc[3] = {'a', 'b', 'c'};
    ustring u = {4, 6, abc};
    answer("UStrSum");
    assert_int_equal(UStrSum(&u), 195);
    assert_sent("UStrSum");

    /* [out] data with an embedded pointer: the Buffer that arrived is the caller's to free */
    ustring name = {0, 0, NULL};
    answer("GetName");
    GetName(&name);
    assert_sent("GetName");
    assert_int_equal(name.Length, 4);
    assert_int_equal(name.MaximumLength, 4);
    assert_non_null(name.Buffer);
    assert_int_equal(name.Buffer[0], 'H');
    assert_int_equal(name.Buffer[1], 'i');
    conform_free_ustring(&name);
    assert_null(name.Buffer);
}

static void test_unions(void **state)
{
    (void)state;
    num n = {.d = 1.5};
    answer("NumValue d");
    assert_true(NumValue(2, &n) == 1.5);
    assert_sent("NumValue d");
    n.l = 7;
    answer("NumValue l");
    assert_true(NumValue(1, &n) == 7.0);
    assert_sent("NumValue l");
    uint16_t z[1] = {'z'};
    n.u = (ustring){2, 2, z};
    answer("NumValue u");
    assert_true(NumValue(3, &n) == 122.0);
    assert_sent("NumValue u");
    answer("NumValue default");
    assert_true(NumValue(9, &n) == -1.0);
    assert_sent("NumValue default");
}

/* A fault the procedure raises reaches the caller: the result is 0 and the fault is recorded. */
static void test_fault(void **state)
{
    (void)state;
    answer_with(NULL, 0);
    pthread_mutex_lock(&replay_lock);
    replay.raise = RS_nca_s_fault_int_div_by_zero;
    pthread_mutex_unlock(&replay_lock);
    assert_int_equal(Div(1, 0), 0);
    assert_int_equal(rs_last_call_status(), RS_ERR_FAULT);
    assert_int_equal(rs_last_call_fault(), RS_nca_s_fault_int_div_by_zero);
    answer("Add");
    assert_int_equal(Add(3, 4), 7); /* and the binding still works */
    assert_sent("Add");
}

/* Values the IDL forbids are refused before anything is sent. */
static void test_refused_before_sending(void **state)
{
    (void)state;
    int before = requests();
    uint8_t in[1] = {1}, out[2] = {0x55, 0x55};
    Echo(-1, in, out);
    assert_int_equal(rs_last_call_status(), RS_ERR_INVALID_ARG);
    assert_non_null(strstr(rs_last_call_error()->message, "size_is(n) is -1"));

    assert_int_equal(NextColor((color)40000), 0);
    assert_int_equal(rs_last_call_status(), RS_ERR_ENUM_RANGE);

    ustring bad = {4, 6, NULL}; /* a NULL Buffer with a non-zero Length */
    assert_int_equal(UStrSum(&bad), 0);
    assert_int_equal(rs_last_call_status(), RS_ERR_INVALID_ARG);
    assert_non_null(strstr(rs_last_call_error()->message, "Buffer is NULL"));

    assert_int_equal(StrLen(NULL), 0); /* a [ref] [string] */
    assert_int_equal(rs_last_call_status(), RS_ERR_NULL_REF);
    GetMixed(NULL); /* an [out] [ref] pointer */
    assert_int_equal(rs_last_call_status(), RS_ERR_NULL_REF);
    Reverse(1, NULL);
    assert_int_equal(rs_last_call_status(), RS_ERR_NULL_REF);

    assert_int_equal(requests(), before);
}

/* Calls one operation as its vector does and checks that a failure zeroed what it returns.
 * Returns the status the call ended with. */
static rs_status call_and_check_zeroed(const vector *v)
{
    switch (v->opnum) {
    case 4: { /* Reverse */
        int32_t a[4] = {1, 2, 3, 99};
        Reverse(3, a);
        if (rs_last_call_status() != RS_OK) {
            assert_int_equal(a[0], 0);
            assert_int_equal(a[2], 0);
        }
        assert_int_equal(a[3], 99); /* never past the caller's array */
        break;
    }
    case 7: { /* GetMixed */
        mixed m, zero;
        memset(&m, 0xaa, sizeof m);
        memset(&zero, 0, sizeof zero);
        GetMixed(&m);
        if (rs_last_call_status() != RS_OK)
            assert_memory_equal(&m, &zero, sizeof m);
        break;
    }
    case 9: { /* GetName */
        uint16_t junk[1] = {1};
        ustring u = {9, 9, junk};
        GetName(&u);
        if (rs_last_call_status() != RS_OK) {
            assert_null(u.Buffer);
            assert_int_equal(u.Length, 0);
        }
        conform_free_ustring(&u);
        break;
    }
    case 12: { /* Echo */
        uint8_t in[3] = {1, 2, 3}, out[4] = {7, 7, 7, 0xee};
        Echo(3, in, out);
        if (rs_last_call_status() != RS_OK)
            assert_int_equal(out[0], 0);
        assert_int_equal(out[3], 0xee);
        break;
    }
    case 10: { /* NumValue: returns a double */
        num n = {.d = 1.5};
        double r = NumValue(2, &n);
        if (rs_last_call_status() != RS_OK)
            assert_true(r == 0.0);
        break;
    }
    case 5: { /* SumMixed: a hyper */
        mixed m = {.s = 1, .c = 'A', .l1 = 2, .l2 = 3, .h = 4};
        int64_t r = SumMixed(&m);
        if (rs_last_call_status() != RS_OK)
            assert_int_equal(r, 0);
        break;
    }
    case 11: /* NextColor: an enum */
        if (NextColor(green) != 0)
            assert_int_equal(rs_last_call_status(), RS_OK);
        break;
    case 6: { /* SumPtrs: a hyper */
        int64_t r = SumPtrs(NULL);
        if (rs_last_call_status() != RS_OK)
            assert_int_equal(r, 0);
        break;
    }
    default: { /* the operations that return a long */
        char s[] = "hello";
        uint16_t w[] = {'h', 0};
        uint16_t abc[3] = {'a', 'b', 'c'};
        ustring u = {4, 6, abc};
        int32_t r = v->opnum == 1    ? Div(7, 2)
                    : v->opnum == 2  ? StrLen(s)
                    : v->opnum == 3  ? WStrLen(w)
                    : v->opnum == 8  ? UStrSum(&u)
                    : v->opnum == 13 ? Sleep(5)
                                     : Add(3, 4);
        if (rs_last_call_status() != RS_OK)
            assert_int_equal(r, 0);
        break;
    }
    }
    return rs_last_call_status();
}

/* Every response cut short, and every response with a byte left over, fails the call; what the
 * call returns is then zero, and whatever the decode allocated is freed. */
static void test_bad_responses(void **state)
{
    (void)state;
    for (size_t i = 0; i < NVECTORS; i++) {
        const vector *v = &vectors[i];
        if (strcmp(v->what, "NumValue d") != 0 && v->opnum == 10)
            continue; /* one NumValue is enough: the client stub sends the same way */
        for (size_t n = 0; n < v->response_len; n++) {
            answer_with(v->response, n);
            if (call_and_check_zeroed(v) == RS_OK)
                fail_msg("%s: a response cut at %zu was accepted", v->what, n);
        }
        uint8_t longer[260];
        memcpy(longer, v->response, v->response_len);
        longer[v->response_len] = 0;
        answer_with(longer, v->response_len + 1);
        if (call_and_check_zeroed(v) == RS_OK)
            fail_msg("%s: a response with a byte left over was accepted", v->what);
    }
}

/* Responses that decode as NDR but disagree with the IDL: the client never writes past the
 * caller's memory, and the call fails. */
static void test_responses_that_disagree(void **state)
{
    (void)state;
    static const uint8_t reverse_too_many[] = {
        0x04, 0x00, 0x00, 0x00, /* @0  v: max_count = 4, but the caller's array has 3 */
        0x01, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x03,
        0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, /* @16 the element that would overwrite v[3] */
    };
    int32_t v[4] = {1, 2, 3, 99};
    answer_with(reverse_too_many, sizeof reverse_too_many);
    Reverse(3, v);
    assert_int_equal(rs_last_call_status(), RS_ERR_NDR);
    assert_non_null(strstr(rs_last_call_error()->message, "max_count 4"));
    assert_int_equal(v[0], 0);
    assert_int_equal(v[3], 99);

    static const uint8_t echo_too_few[] = {
        0x02, 0x00, 0x00, 0x00, /* @0  out: max_count = 2, but size_is(n) = 3 */
        0x01, 0x02,             /* @4  */
    };
    uint8_t in[3] = {1, 2, 3}, out[4] = {7, 7, 7, 0xee};
    answer_with(echo_too_few, sizeof echo_too_few);
    Echo(3, in, out);
    assert_int_equal(rs_last_call_status(), RS_ERR_NDR);
    assert_int_equal(out[0], 0);
    assert_int_equal(out[3], 0xee);

    static const uint8_t getname_max_differs[] = {
        0x04, 0x00,             /* @0  u.Length = 4 */
        0x04, 0x00,             /* @2  u.MaximumLength = 4: 2 units */
        0x00, 0x00, 0x02, 0x00, /* @4  u.Buffer */
        0x03, 0x00, 0x00, 0x00, /* @8  max_count = 3, not size_is(MaximumLength / 2) */
        0x00, 0x00, 0x00, 0x00, /* @12 offset = 0 */
        0x02, 0x00, 0x00, 0x00, /* @16 actual_count = 2 */
        'H',  0x00, 'i',  0x00, /* @20 */
    };
    ustring u = {0, 0, NULL};
    answer_with(getname_max_differs, sizeof getname_max_differs);
    GetName(&u);
    assert_int_equal(rs_last_call_status(), RS_ERR_NDR);
    assert_null(u.Buffer);

    static const uint8_t getname_null_buffer[] = {
        0x04, 0x00,             /* @0  u.Length = 4 */
        0x04, 0x00,             /* @2  u.MaximumLength = 4 */
        0x00, 0x00, 0x00, 0x00, /* @4  u.Buffer: NULL with a Length of 4 */
    };
    answer_with(getname_null_buffer, sizeof getname_null_buffer);
    GetName(&u);
    assert_int_equal(rs_last_call_status(), RS_ERR_NDR);
    assert_null(u.Buffer);
}

/* A call that cannot reach a server leaves its [out] parameters and its return value zero. */
static void test_unreachable_server(void **state)
{
    (void)state;
    rs_client *nobody = NULL;
    rs_error err = {0};
    rs_client_options o = rs_client_default_options();
    o.connect_timeout_ms = 500;
    assert_int_equal(rs_client_open("ncalrpc:[rsstubs-nobody-listens]", &o, &nobody, &err), RS_OK);
    conform_IfHandle = nobody;
    for (size_t i = 0; i < NVECTORS; i++)
        assert_int_not_equal(call_and_check_zeroed(&vectors[i]), RS_OK);
    conform_IfHandle = NULL; /* no binding at all */
    assert_int_equal(Add(1, 2), 0);
    assert_int_equal(rs_last_call_status(), RS_ERR_INVALID_ARG);
    rs_client_close(nobody);
    conform_IfHandle = client;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scalars),
        cmocka_unit_test(test_strings),
        cmocka_unit_test(test_arrays),
        cmocka_unit_test(test_structures),
        cmocka_unit_test(test_pointers),
        cmocka_unit_test(test_ustring),
        cmocka_unit_test(test_unions),
        cmocka_unit_test(test_fault),
        cmocka_unit_test(test_refused_before_sending),
        cmocka_unit_test(test_bad_responses),
        cmocka_unit_test(test_responses_that_disagree),
        cmocka_unit_test(test_unreachable_server),
    };
    return cmocka_run_group_tests_name("client stubs", tests, setup, teardown);
}
