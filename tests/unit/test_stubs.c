/* test_stubs.c -- the server stubs rpcidl generates for tests/interop/conform.idl, against NDR
 * bytes derived by hand from C706 chapter 14 (conform_vectors.h).
 *
 * The generated server stubs are called directly, with a hand-built rs_server_call whose `in`
 * stream is over a vector's request bytes. This file defines the procedures, as a server program
 * does, and they record what arrived:
 *   - each request decodes into the right values, and the response equals the vector's bytes;
 *   - each request cut at every offset, and hostile variants that decode as NDR but disagree with
 *     the IDL's sizes and switches, fail (the runtime's nca_s_fault_ndr) before the procedure runs;
 *   - the stubs report each parameter and the procedure's call to the trace hook.
 * The client stubs (whose functions have the procedures' names, as MIDL's do) are tested by
 * test_stubs_client.c, in a program of their own. Under `make asan` the sanitizers also show
 * that nothing is read past an input and that what a procedure malloc()s for [out] data is freed.
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

/* ==== the server program's procedures: they record what arrived =============================== */

static struct {
    int calls;
    int32_t a, b, n, ms;
    char str[64];
    bool null;
    uint16_t units[16];
    uint32_t nunits;
    int32_t longs[16];
    mixed m;
    with_ptrs p;
    int32_t pl1_value;
    char pc1_value;
    ustring u;
    int16_t tag;
    color c;
    uint8_t bytes[16];
    uint16_t name_units; /* GetName's length in UTF-16 units; 0: 2 ("Hi") */
} got;

int32_t Add(int32_t a, int32_t b)
{
    got.calls++;
    got.a = a;
    got.b = b;
    return a + b;
}

int32_t Div(int32_t a, int32_t b)
{
    got.calls++;
    if (b == 0)
        rs_server_raise(RS_nca_s_fault_int_div_by_zero);
    return a / b;
}

int32_t StrLen(char *s)
{
    got.calls++;
    snprintf(got.str, sizeof got.str, "%s", s);
    return (int32_t)strlen(s);
}

int32_t WStrLen(uint16_t *s)
{
    got.calls++;
    got.null = s == NULL;
    if (s == NULL)
        return -1;
    got.nunits = 0;
    while (s[got.nunits] != 0 && got.nunits < 15) {
        got.units[got.nunits] = s[got.nunits];
        got.nunits++;
    }
    return (int32_t)got.nunits;
}

void Reverse(int32_t n, int32_t *v)
{
    got.calls++;
    got.n = n;
    for (int32_t i = 0; i < n && i < 16; i++)
        got.longs[i] = v[i];
    for (int32_t i = 0; i < n / 2; i++) {
        int32_t t = v[i];
        v[i] = v[n - 1 - i];
        v[n - 1 - i] = t;
    }
}

int64_t SumMixed(mixed *m)
{
    got.calls++;
    got.m = *m;
    return m->s + m->c + m->l1 + m->l2 + m->h;
}

int64_t SumPtrs(with_ptrs *p)
{
    got.calls++;
    got.null = p == NULL;
    if (p == NULL)
        return -1;
    got.p = *p;
    got.pl1_value = p->pl1 != NULL ? *p->pl1 : 0;
    got.pc1_value = p->pc1 != NULL ? *p->pc1 : 0;
    return p->l1 + got.pl1_value + got.pc1_value;
}

void GetMixed(mixed *m)
{
    got.calls++;
    *m = (mixed){.s = -2, .c = 'z', .l1 = 0x11223344, .l2 = -1, .h = 0x0102030405060708};
}

int32_t UStrSum(ustring *u)
{
    got.calls++;
    got.u = *u;
    int32_t sum = 0;
    got.nunits = u->Length / 2;
    for (uint32_t i = 0; i < got.nunits && i < 16; i++) {
        got.units[i] = u->Buffer[i];
        sum += u->Buffer[i];
    }
    return sum;
}

void GetName(ustring *u)
{
    got.calls++;
    uint16_t n = got.name_units != 0 ? got.name_units : 2;
    u->Buffer = malloc(n * sizeof *u->Buffer); /* [out] memory the stub frees once sent */
    if (u->Buffer == NULL)
        return;
    u->Buffer[0] = 'H';
    u->Buffer[1] = 'i';
    for (uint16_t i = 2; i < n; i++)
        u->Buffer[i] = (uint16_t)('a' + i % 26);
    u->Length = (uint16_t)(2 * n);
    u->MaximumLength = (uint16_t)(2 * n);
}

double NumValue(int16_t tag, num *n)
{
    got.calls++;
    got.tag = tag;
    switch (tag) {
    case 1: return n->l;
    case 2: return n->d;
    case 3: {
        double sum = 0;
        for (int i = 0; i < n->u.Length / 2; i++)
            sum += n->u.Buffer[i];
        return sum;
    }
    default: return -1;
    }
}

color NextColor(color c)
{
    got.calls++;
    got.c = c;
    return c == red ? green : c == green ? blue : red;
}

void Echo(int32_t n, uint8_t *in, uint8_t *out)
{
    got.calls++;
    got.n = n;
    if (n > 0)
        memcpy(out, in, (size_t)n);
}

int32_t Sleep(int32_t ms)
{
    got.calls++;
    got.ms = ms;
    return ms;
}

#include "conform_vectors.h"

/* ==== the trace: what the stubs report ======================================================== */

#define MAX_EVENTS 256

static pthread_mutex_t trace_lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
    rs_trace_kind kind;
    char name[32];
    bool out;
} events[MAX_EVENTS];
static size_t nevents;

static void on_event(const rs_trace_event *ev, void *ctx)
{
    (void)ctx;
    pthread_mutex_lock(&trace_lock);
    if ((ev->kind == RS_TRACE_PARAM_READ || ev->kind == RS_TRACE_PARAM_WRITTEN ||
         ev->kind == RS_TRACE_PROCEDURE_ENTER || ev->kind == RS_TRACE_PROCEDURE_RETURN) &&
        nevents < MAX_EVENTS) {
        events[nevents].kind = ev->kind;
        snprintf(events[nevents].name, sizeof events[nevents].name, "%s",
                 ev->kind == RS_TRACE_PROCEDURE_ENTER || ev->kind == RS_TRACE_PROCEDURE_RETURN
                     ? (ev->procedure != NULL ? ev->procedure : "")
                     : (ev->name != NULL ? ev->name : ""));
        events[nevents].out = (ev->flags & RS_TRACE_FLAG_OUT) != 0;
        nevents++;
    }
    pthread_mutex_unlock(&trace_lock);
}

static void events_reset(void)
{
    pthread_mutex_lock(&trace_lock);
    nevents = 0;
    pthread_mutex_unlock(&trace_lock);
}

/* Was there an event of `kind` about `name` (on the way back when out)? */
static bool saw(rs_trace_kind kind, const char *name, bool out)
{
    bool found = false;
    pthread_mutex_lock(&trace_lock);
    for (size_t i = 0; i < nevents; i++)
        if (events[i].kind == kind && strcmp(events[i].name, name) == 0 && events[i].out == out)
            found = true;
    pthread_mutex_unlock(&trace_lock);
    return found;
}

static int setup_trace(void **state)
{
    (void)state;
    rs_trace_set_callback(on_event, NULL);
    return 0;
}

static int teardown_trace(void **state)
{
    (void)state;
    rs_trace_close();
    return 0;
}

/* ==== 1. the server stubs, called directly ==================================================== */

/* One call of the server stub for `opnum` on request bytes (a heap copy of exactly `len`, so a
 * read past them is a sanitizer error). The response bytes go to `response` (if not NULL). */
typedef struct served {
    rs_status st;
    bool executed;
    uint8_t response[16384];
    size_t response_len;
    size_t refs; /* arrays the stub left in place (rs_ndr_set_by_reference()) */
    char error[RS_NDR_ERROR_MAX];
} served;

static served serve(uint16_t opnum, const uint8_t *request, size_t len)
{
    served r;
    memset(&r, 0, sizeof r);
    uint8_t *copy = malloc(len > 0 ? len : 1);
    assert_non_null(copy);
    if (len > 0)
        memcpy(copy, request, len);
    rs_server_call call;
    memset(&call, 0, sizeof call);
    call.iface = &conform_server_interface;
    call.opnum = opnum;
    rs_buf_view(&call.request, copy, len);
    rs_buf_init(&call.response, 1 << 20);
    rs_ndr_init_decode(&call.in, &call.request, RS_LE);
    rs_ndr_init_encode(&call.out, &call.response, RS_LE);
    assert_true(opnum < conform_server_interface.operation_count);
    r.st = conform_server_interface.operations[opnum].stub(&call);
    r.executed = call.executed;
    snprintf(r.error, sizeof r.error, "%s", rs_ndr_error(&call.in));
    /* Large [out] arrays are still where the procedure left them: the runtime sends them from
     * there; here they are copied in to be read. */
    r.refs = call.out.ref_count;
    rs_ndr_fill_refs(&call.out);
    if (r.st == RS_OK) {
        assert_true(call.response.len <= sizeof r.response);
        memcpy(r.response, call.response.data, call.response.len);
        r.response_len = call.response.len;
    }
    rs_ndr_free(&call.in); /* the call's arena: every [in] value the stub decoded */
    rs_ndr_free(&call.out);
    rs_buf_free(&call.response);
    free(copy);
    return r;
}

/* The server stub on a vector's request: it succeeds, runs the procedure once, and answers with
 * exactly the vector's response. */
static void serve_ok(const char *what)
{
    const vector *v = find_vector(what);
    memset(&got, 0, sizeof got);
    served r = serve(v->opnum, v->request, v->request_len);
    if (r.st != RS_OK)
        fail_msg("%s: %s (%s)", what, rs_status_name(r.st), r.error);
    assert_true(r.executed);
    assert_int_equal(got.calls, 1);
    assert_int_equal(r.response_len, v->response_len);
    assert_memory_equal(r.response, v->response, v->response_len);
}

static void test_server_scalars(void **state)
{
    (void)state;
    serve_ok("Add");
    assert_int_equal(got.a, 3);
    assert_int_equal(got.b, 4);
    serve_ok("Div");
    serve_ok("Sleep");
    assert_int_equal(got.ms, 5);
    serve_ok("NextColor");
    assert_int_equal(got.c, green);
}

static void test_server_strings(void **state)
{
    (void)state;
    serve_ok("StrLen");
    assert_string_equal(got.str, "hello");
    serve_ok("WStrLen NULL");
    assert_true(got.null);
    serve_ok("WStrLen");
    assert_false(got.null);
    assert_int_equal(got.nunits, 2);
    assert_int_equal(got.units[0], 'h');
    assert_int_equal(got.units[1], 'i');
}

static void test_server_arrays(void **state)
{
    (void)state;
    serve_ok("Reverse");
    assert_int_equal(got.n, 3);
    assert_int_equal(got.longs[0], 1);
    assert_int_equal(got.longs[2], 3);
    serve_ok("Echo");
    assert_int_equal(got.n, 3);
}

static void test_server_structures(void **state)
{
    (void)state;
    serve_ok("SumMixed");
    assert_int_equal(got.m.s, 1);
    assert_int_equal(got.m.c, 'A');
    assert_int_equal(got.m.l1, 2);
    assert_int_equal(got.m.l2, 3);
    assert_int_equal(got.m.h, 4);
    serve_ok("GetMixed");
}

static void test_server_pointers(void **state)
{
    (void)state;
    serve_ok("SumPtrs");
    assert_false(got.null);
    assert_int_equal(got.p.l1, 10);
    assert_int_equal(got.pl1_value, 20);
    assert_int_equal(got.pc1_value, 'x');
    serve_ok("SumPtrs pl1 NULL");
    assert_null(got.p.pl1);
    assert_int_equal(got.pc1_value, 'x');
    serve_ok("SumPtrs NULL");
    assert_true(got.null);
}

static void test_server_ustring(void **state)
{
    (void)state;
    serve_ok("UStrSum");
    assert_int_equal(got.u.Length, 4);
    assert_int_equal(got.u.MaximumLength, 6);
    assert_int_equal(got.nunits, 2);
    assert_int_equal(got.units[0], 'a');
    assert_int_equal(got.units[1], 'b');
    /* the procedure's malloc()ed Buffer is freed by the stub once sent (the sanitizers check) */
    serve_ok("GetName");
}

/* A large [out] array is marshalled by reference -- left where it is for the runtime to send --
 * and the response is the same bytes as a copy would make. A procedure's malloc()ed one is
 * copied in before the stub frees it (a use after free otherwise, which ASan reports; without
 * it, freed memory would not read back as the name). Arrays below RS_NDR_REF_MIN are copied. */
static void test_server_large_out_by_reference(void **state)
{
    (void)state;
    enum { N = 5000 };
    static uint8_t request[8 + N];
    rs_store_u32(request, RS_LE, N);     /* n */
    rs_store_u32(request + 4, RS_LE, N); /* in's max_count */
    for (size_t i = 0; i < N; i++)
        request[8 + i] = (uint8_t)(i * 13 + 5);
    memset(&got, 0, sizeof got);
    served *r = malloc(sizeof *r);
    assert_non_null(r);
    *r = serve(12 /* Echo */, request, sizeof request);
    assert_int_equal(r->st, RS_OK);
    assert_int_equal(r->refs, 1); /* out, in place */
    assert_int_equal(r->response_len, 4 + N);
    assert_int_equal(rs_load_u32(r->response, RS_LE), N);
    assert_memory_equal(r->response + 4, request + 8, N);

    memset(&got, 0, sizeof got);
    got.name_units = 3000; /* 6000 bytes */
    *r = serve(9 /* GetName */, NULL, 0);
    assert_int_equal(r->st, RS_OK);
    assert_int_equal(r->refs, 0); /* filled before the stub freed the Buffer */
    /* Length, MaximumLength, Buffer's referent id; max_count, offset, actual_count; the units */
    assert_int_equal(r->response_len, 8 + 12 + 6000);
    assert_int_equal(rs_load_u32(r->response + 8, RS_LE), 3000);
    assert_int_equal(rs_load_u32(r->response + 16, RS_LE), 3000);
    assert_int_equal(rs_load_u16(r->response + 20, RS_LE), 'H');
    assert_int_equal(rs_load_u16(r->response + 22, RS_LE), 'i');
    for (size_t i = 2; i < 3000; i++)
        assert_int_equal(rs_load_u16(r->response + 20 + 2 * i, RS_LE), 'a' + i % 26);

    memset(&got, 0, sizeof got);
    *r = serve(9 /* GetName */, NULL, 0); /* "Hi": 4 bytes, copied at once */
    assert_int_equal(r->st, RS_OK);
    assert_int_equal(r->refs, 0);
    free(r);
}

static void test_server_unions(void **state)
{
    (void)state;
    serve_ok("NumValue d");
    assert_int_equal(got.tag, 2);
    serve_ok("NumValue l");
    serve_ok("NumValue u");
    serve_ok("NumValue default");
    assert_int_equal(got.tag, 9);
}

/* The stubs report each parameter to the trace, by name, and the procedure's call. */
static void test_server_trace(void **state)
{
    (void)state;
    events_reset();
    serve_ok("SumMixed");
    assert_true(saw(RS_TRACE_PARAM_WRITTEN, "m", false));
    assert_true(saw(RS_TRACE_PROCEDURE_ENTER, "SumMixed", false));
    assert_true(saw(RS_TRACE_PROCEDURE_RETURN, "SumMixed", false));
    assert_true(saw(RS_TRACE_PARAM_READ, "return", true));
    events_reset();
    serve_ok("Echo");
    assert_true(saw(RS_TRACE_PARAM_WRITTEN, "n", false));
    assert_true(saw(RS_TRACE_PARAM_WRITTEN, "in", false));
    assert_true(saw(RS_TRACE_PARAM_READ, "out", true));
}

/* ==== 2. what the server stubs refuse ========================================================= */

/* Every request cut short fails before the procedure runs: no byte may be missing. */
static void test_server_cut_requests(void **state)
{
    (void)state;
    for (size_t i = 0; i < NVECTORS; i++) {
        const vector *v = &vectors[i];
        for (size_t n = 0; n < v->request_len; n++) {
            memset(&got, 0, sizeof got);
            served r = serve(v->opnum, v->request, n);
            if (r.st == RS_OK)
                fail_msg("%s cut at %zu decoded", v->what, n);
            assert_false(r.executed);
            assert_int_equal(got.calls, 0);
        }
    }
}

/* A request that decodes as NDR but disagrees with the IDL fails like one that does not decode. */
static void expect_refused(const char *what, uint16_t opnum, const uint8_t *req, size_t len,
                           rs_status want, const char *message)
{
    memset(&got, 0, sizeof got);
    served r = serve(opnum, req, len);
    if (r.st != want)
        fail_msg("%s: %s (%s), not %s", what, rs_status_name(r.st), r.error, rs_status_name(want));
    assert_false(r.executed);
    assert_int_equal(got.calls, 0);
    if (message != NULL && strstr(r.error, message) == NULL)
        fail_msg("%s: \"%s\" is not in \"%s\"", what, message, r.error);
}

static void test_server_hostile(void **state)
{
    (void)state;
    static const uint8_t echo_n_differs[] = {
        0x04, 0x00, 0x00, 0x00, /* @0  n = 4 */
        0x03, 0x00, 0x00, 0x00, /* @4  in: max_count = 3, not size_is(n) */
        0x01, 0x02, 0x03,       /* @8  in[0..2] */
    };
    expect_refused("Echo n 4, max_count 3", 12, echo_n_differs, sizeof echo_n_differs, RS_ERR_NDR,
                   "max_count 3 differs from size_is(n) = 4");

    static const uint8_t echo_negative[] = {
        0xff, 0xff, 0xff, 0xff, /* @0  n = -1 */
        0x00, 0x00, 0x00, 0x00, /* @4  in: max_count = 0 */
    };
    expect_refused("Echo n -1", 12, echo_negative, sizeof echo_negative, RS_ERR_NDR,
                   "size_is(n) = -1");

    static const uint8_t echo_huge[] = {
        0xff, 0xff, 0xff, 0x7f, /* @0  n = 2^31 - 1 */
        0xff, 0xff, 0xff, 0x7f, /* @4  in: max_count = 2^31 - 1, with 1 byte after it */
        0x01,                   /* @8  */
    };
    expect_refused("Echo huge", 12, echo_huge, sizeof echo_huge, RS_ERR_NDR, NULL);

    static const uint8_t reverse_differs[] = {
        0x02, 0x00, 0x00, 0x00, /* @0  n = 2 */
        0x03, 0x00, 0x00, 0x00, /* @4  v: max_count = 3 */
        0x01, 0x00, 0x00, 0x00, /* @8  */
        0x02, 0x00, 0x00, 0x00, /* @12 */
        0x03, 0x00, 0x00, 0x00, /* @16 */
    };
    expect_refused("Reverse n 2, max_count 3", 4, reverse_differs, sizeof reverse_differs,
                   RS_ERR_NDR, "v: max_count 3 differs from size_is(n) = 2");

    static const uint8_t ustring_null_buffer[] = {
        0x04, 0x00,             /* @0  u.Length = 4 */
        0x06, 0x00,             /* @2  u.MaximumLength = 6 */
        0x00, 0x00, 0x00, 0x00, /* @4  u.Buffer: NULL, with a Length of 4 */
    };
    expect_refused("UStrSum NULL Buffer", 8, ustring_null_buffer, sizeof ustring_null_buffer,
                   RS_ERR_NDR, "Buffer is NULL but length_is(Length / 2) is not 0");

    static const uint8_t ustring_length_differs[] = {
        0x02, 0x00,             /* @0  u.Length = 2: 1 unit */
        0x06, 0x00,             /* @2  u.MaximumLength = 6 */
        0x00, 0x00, 0x02, 0x00, /* @4  u.Buffer */
        0x03, 0x00, 0x00, 0x00, /* @8  max_count = 3 */
        0x00, 0x00, 0x00, 0x00, /* @12 offset = 0 */
        0x02, 0x00, 0x00, 0x00, /* @16 actual_count = 2, not length_is(Length / 2) = 1 */
        'a',  0x00, 'b',  0x00, /* @20 */
    };
    expect_refused("UStrSum actual_count differs", 8, ustring_length_differs,
                   sizeof ustring_length_differs, RS_ERR_NDR,
                   "actual_count 2 differs from length_is(Length / 2) = 1");

    static const uint8_t ustring_length_beyond[] = {
        0x08, 0x00,             /* @0  u.Length = 8: 4 units */
        0x06, 0x00,             /* @2  u.MaximumLength = 6: room for 3 */
        0x00, 0x00, 0x02, 0x00, /* @4  u.Buffer */
        0x03, 0x00, 0x00, 0x00, /* @8  max_count = 3 */
        0x00, 0x00, 0x00, 0x00, /* @12 offset = 0 */
        0x04, 0x00, 0x00, 0x00, /* @16 actual_count = 4 > max_count */
        'a',  0x00, 'b',  0x00, 'c', 0x00, 'd', 0x00,
    };
    expect_refused("UStrSum length_is beyond size_is", 8, ustring_length_beyond,
                   sizeof ustring_length_beyond, RS_ERR_NDR, "exceed max_count");

    static const uint8_t ustring_max_differs[] = {
        0x02, 0x00,             /* @0  u.Length = 2 */
        0x06, 0x00,             /* @2  u.MaximumLength = 6: 3 units */
        0x00, 0x00, 0x02, 0x00, /* @4  u.Buffer */
        0x01, 0x00, 0x00, 0x00, /* @8  max_count = 1, not size_is(MaximumLength / 2) = 3 */
        0x00, 0x00, 0x00, 0x00, /* @12 offset = 0 */
        0x01, 0x00, 0x00, 0x00, /* @16 actual_count = 1 */
        'a',  0x00,             /* @20 */
    };
    expect_refused("UStrSum max_count differs", 8, ustring_max_differs, sizeof ustring_max_differs,
                   RS_ERR_NDR, "max_count 1 differs from size_is(MaximumLength / 2) = 3");

    static const uint8_t numvalue_switch_differs[] = {
        0x01, 0x00,             /* @0  tag = 1 */
        0x02, 0x00,             /* @2  n: discriminant = 2, not switch_is(tag) */
        0x00, 0x00, 0x00, 0x00, /* @4  pad to 8 */
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xf8, 0x3f, /* @8  n.d */
    };
    expect_refused("NumValue switch differs", 10, numvalue_switch_differs,
                   sizeof numvalue_switch_differs, RS_ERR_NDR,
                   "discriminant 2 differs from switch_is(tag) = 1");

    static const uint8_t nextcolor_out_of_range[] = {
        0x00, 0x80, /* @0  c = 0x8000: beyond the 16-bit enum's 0..0x7FFF */
    };
    expect_refused("NextColor 0x8000", 11, nextcolor_out_of_range, sizeof nextcolor_out_of_range,
                   RS_ERR_ENUM_RANGE, NULL);

    static const uint8_t strlen_no_terminator[] = {
        0x02, 0x00, 0x00, 0x00, /* @0  max_count = 2 */
        0x00, 0x00, 0x00, 0x00, /* @4  offset = 0 */
        0x02, 0x00, 0x00, 0x00, /* @8  actual_count = 2 */
        'h',  'i',              /* @12 no terminator */
    };
    expect_refused("StrLen without terminator", 2, strlen_no_terminator,
                   sizeof strlen_no_terminator, RS_ERR_NDR, "terminator");
}

int main(void)
{
    const struct CMUnitTest server_tests[] = {
        cmocka_unit_test(test_server_scalars),      cmocka_unit_test(test_server_strings),
        cmocka_unit_test(test_server_arrays),       cmocka_unit_test(test_server_structures),
        cmocka_unit_test(test_server_pointers),     cmocka_unit_test(test_server_ustring),
        cmocka_unit_test(test_server_unions),       cmocka_unit_test(test_server_trace),
        cmocka_unit_test(test_server_large_out_by_reference),
        cmocka_unit_test(test_server_cut_requests), cmocka_unit_test(test_server_hostile),
    };
    return cmocka_run_group_tests_name("server stubs", server_tests, setup_trace, teardown_trace);
}
