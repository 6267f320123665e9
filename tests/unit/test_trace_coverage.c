/* test_trace_coverage.c -- the runtime reports every step of a call through the trace hook, in
 * order, on both sides: a server in a thread and a client in the test, one process, one sink.
 *
 * The interface's stubs are written by hand in the shape rpcidl generates (as in
 * test_client_server.c), and report their parameters and the procedure as generated stubs do.
 *
 * Covered: the order of one call's events on the client and on the server, with their call id,
 * texts, flags and bytes; every PDU sent arrives as the same bytes on the other side; a fault;
 * a big-endian client, whose [in] data the server marks as converted; ncalrpc's connection
 * texts; no events and working calls with tracing off; and the step gate over a real socket --
 * records in seq order, each released by a simulator thread, two of them held for 300 ms while
 * the call's timeout is 200 ms, and the call still succeeds (time at the gate does not count).
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "client.h"
#include "server.h"
#include "trace.h"
#include "transport.h"

#define WAIT_MS 5000     /* the longest the simulator waits for a record: only a failing test */
#define HOLD_MS 300      /* a step the simulator holds at the gate ... */
#define TIMEOUT_MS 200   /* ... longer than the call's whole timeout */

/* ==== the interface =============================================================================
 *
 *   [uuid(7a1c5e2b-3d4f-4a6b-9c8d-1e2f3a4b5c6d), version(1.0)]
 *   interface hello {
 *       long HelloProc([in, string] char *pszString);   // 0: returns strlen(pszString)
 *       void Missing(void);                             // 1: only the client knows it
 *   }
 */

#define HELLO_UUID {0x7a1c5e2b, 0x3d4f, 0x4a6b, {0x9c, 0x8d}, {0x1e, 0x2f, 0x3a, 0x4b, 0x5c, 0x6d}}

static int32_t HelloProc(const char *pszString) { return (int32_t)strlen(pszString); }

static rs_status hello_HelloProc_stub(rs_server_call *call)
{
    char *pszString = NULL;
    int32_t _ret;
    /* [in, string] char *pszString */
    rs_status st = rs_ndr_get_string(&call->in, "pszString", &pszString);
    if (st == RS_OK)
        st = rs_ndr_flush(&call->in);
    if (st != RS_OK)
        return st;
    rs_trace_param(RS_TRACE_PARAM_WRITTEN, "pszString", "char *", pszString,
                   strlen(pszString) + 1, false);
    call->executed = true;
    rs_trace_procedure(RS_TRACE_PROCEDURE_ENTER, "HelloProc");
    _ret = HelloProc(pszString);
    rs_trace_procedure(RS_TRACE_PROCEDURE_RETURN, "HelloProc");
    /* return value */
    rs_trace_param(RS_TRACE_PARAM_READ, "return", "long", &_ret, sizeof _ret, true);
    st = rs_ndr_put_long(&call->out, "return", _ret);
    if (st == RS_OK)
        st = rs_ndr_flush(&call->out);
    return st;
}

static const rs_operation hello_server_operations[] = {{"HelloProc", hello_HelloProc_stub}};
static const rs_interface hello_server_interface = {"hello", {HELLO_UUID, 1, 0},
                                                     hello_server_operations, 1};

static const rs_operation hello_client_operations[] = {{"HelloProc", NULL}, {"Missing", NULL}};
static const rs_interface hello_client_interface = {"hello", {HELLO_UUID, 1, 0},
                                                     hello_client_operations, 2};

static int32_t hello_HelloProc(rs_client *h, const char *pszString)
{
    rs_client_call call;
    int32_t _ret = 0;
    rs_status st = rs_client_call_begin(&call, h, &hello_client_interface, 0);
    /* [in, string] char *pszString */
    rs_trace_param(RS_TRACE_PARAM_READ, "pszString", "char *", pszString, strlen(pszString) + 1,
                   false);
    if (st == RS_OK)
        st = rs_ndr_put_string(&call.ndr, "pszString", pszString);
    if (st == RS_OK)
        st = rs_ndr_flush(&call.ndr);
    if (st == RS_OK)
        st = rs_client_call_invoke(&call);
    /* return value */
    if (st == RS_OK)
        st = rs_ndr_get_long(&call.ndr, "return", &_ret);
    if (st == RS_OK)
        rs_trace_param(RS_TRACE_PARAM_WRITTEN, "return", "long", &_ret, sizeof _ret, true);
    st = rs_client_call_end(&call, st);
    if (st != RS_OK)
        _ret = 0;
    return _ret;
}

static void hello_Missing(rs_client *h)
{
    rs_client_call call;
    rs_status st = rs_client_call_begin(&call, h, &hello_client_interface, 1);
    if (st == RS_OK)
        st = rs_client_call_invoke(&call);
    rs_client_call_end(&call, st);
}

/* ==== the log: a copy of every event the callback sink gets =================================== */

typedef struct rec {
    rs_trace_kind kind;
    rs_trace_layer layer;
    rs_trace_role role;
    uint64_t seq;
    uint32_t call_id;
    uint16_t opnum;
    uint8_t ndr_role, ptype, flags;
    uint32_t offset, length;
    char interface[32], procedure[32], name[64], ndr_type[32], text[320];
    uint8_t *bytes;
    size_t bytes_len;
} rec;

static struct {
    pthread_mutex_t lock;
    rec *at;
    size_t count, cap;
} logbook = {.lock = PTHREAD_MUTEX_INITIALIZER};

static void copy_str(char *dst, size_t n, const char *s)
{
    snprintf(dst, n, "%s", s != NULL ? s : "");
}

static void record_event(const rs_trace_event *ev, void *ctx)
{
    (void)ctx;
    pthread_mutex_lock(&logbook.lock);
    if (logbook.count == logbook.cap) {
        logbook.cap = logbook.cap ? 2 * logbook.cap : 256;
        logbook.at = realloc(logbook.at, logbook.cap * sizeof *logbook.at);
        assert_non_null(logbook.at);
    }
    rec *r = &logbook.at[logbook.count++];
    memset(r, 0, sizeof *r);
    r->kind = ev->kind;
    r->layer = ev->layer;
    r->role = ev->role;
    r->seq = ev->seq;
    r->call_id = ev->call_id;
    r->opnum = ev->opnum;
    r->ndr_role = ev->ndr_role;
    r->ptype = ev->ptype;
    r->flags = ev->flags;
    r->offset = ev->offset;
    r->length = ev->length;
    copy_str(r->interface, sizeof r->interface, ev->interface);
    copy_str(r->procedure, sizeof r->procedure, ev->procedure);
    copy_str(r->name, sizeof r->name, ev->name);
    copy_str(r->ndr_type, sizeof r->ndr_type, ev->ndr_type);
    copy_str(r->text, sizeof r->text, ev->text);
    if (ev->bytes_len > 0) {
        r->bytes = malloc(ev->bytes_len);
        assert_non_null(r->bytes);
        memcpy(r->bytes, ev->bytes, ev->bytes_len);
        r->bytes_len = ev->bytes_len;
    }
    pthread_mutex_unlock(&logbook.lock);
}

static size_t log_count(void)
{
    pthread_mutex_lock(&logbook.lock);
    size_t n = logbook.count;
    pthread_mutex_unlock(&logbook.lock);
    return n;
}

static void log_clear(void)
{
    pthread_mutex_lock(&logbook.lock);
    for (size_t i = 0; i < logbook.count; i++)
        free(logbook.at[i].bytes);
    free(logbook.at);
    logbook.at = NULL;
    logbook.count = logbook.cap = 0;
    pthread_mutex_unlock(&logbook.lock);
}

static void log_print(rs_trace_role role)
{
    for (size_t i = 0; i < logbook.count; i++) {
        const rec *r = &logbook.at[i];
        if (r->role == role)
            print_message("  %3zu %-16s ptype %2u call %u %s %s\n", i, rs_trace_kind_name(r->kind),
                          r->ptype, r->call_id, r->name, r->text);
    }
}

/* ==== matching a sequence of steps ============================================================ */

#define ANY (-1)

typedef struct step {
    rs_trace_kind kind;
    int ptype;        /* ANY, or the PDU type */
    const char *name; /* NULL, or the NDR name path / parameter name */
    int ndr_role;     /* ANY, or an rs_ndr_role */
} step;

static bool step_matches(const step *s, const rec *r)
{
    return r->kind == s->kind && (s->ptype == ANY || r->ptype == (unsigned)s->ptype) &&
           (s->name == NULL || strcmp(r->name, s->name) == 0) &&
           (s->ndr_role == ANY || r->ndr_role == (unsigned)s->ndr_role);
}

/* Finds the steps, in order, among `role`'s events from index `from`; at[i] gets the index of
 * step i's event. Prints that side's events and fails when one is missing. */
static void expect_steps(rs_trace_role role, size_t from, const step *steps, size_t n, size_t *at)
{
    size_t i = from;
    for (size_t k = 0; k < n; k++) {
        while (i < logbook.count && !(logbook.at[i].role == role && step_matches(&steps[k],
                                                                                 &logbook.at[i])))
            i++;
        if (i == logbook.count) {
            log_print(role);
            fail_msg("%s: step %zu (%s, ptype %d, name %s) is missing", rs_trace_role_name(role),
                     k, rs_trace_kind_name(steps[k].kind), steps[k].ptype,
                     steps[k].name != NULL ? steps[k].name : "-");
        }
        at[k] = i++;
    }
}

/* The first event of `kind` on `role`'s side, from index `from`; fails if none. */
static const rec *find_event(rs_trace_role role, rs_trace_kind kind, size_t from)
{
    for (size_t i = from; i < logbook.count; i++)
        if (logbook.at[i].role == role && logbook.at[i].kind == kind)
            return &logbook.at[i];
    log_print(role);
    fail_msg("%s: no %s", rs_trace_role_name(role), rs_trace_kind_name(kind));
    return NULL;
}

static bool has_event(rs_trace_role role, rs_trace_kind kind)
{
    for (size_t i = 0; i < logbook.count; i++)
        if (logbook.at[i].role == role && logbook.at[i].kind == kind)
            return true;
    return false;
}

/* ==== the server ============================================================================== */

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

static void server_start(test_server *ts, const char *binding)
{
    rs_error err = {0};
    memset(ts, 0, sizeof *ts);
    assert_int_equal(rs_server_create(NULL, &ts->server), RS_OK);
    assert_int_equal(rs_server_register(ts->server, &hello_server_interface, &err), RS_OK);
    if (rs_server_listen(ts->server, binding, &err) != RS_OK)
        fail_msg("listen on %s: %s", binding, err.message);
    assert_int_equal(pthread_create(&ts->thread, NULL, server_thread, ts), 0);
}

static void server_stop(test_server *ts)
{
    rs_server_stop(ts->server);
    assert_int_equal(pthread_join(ts->thread, NULL), 0);
    assert_int_equal(ts->run_status, RS_OK);
    rs_server_destroy(ts->server);
    ts->server = NULL;
}

static rs_client *client_open(const char *binding, const rs_client_options *o)
{
    rs_client *c = NULL;
    rs_error err = {0};
    if (rs_client_open(binding, o, &c, &err) != RS_OK)
        fail_msg("rs_client_open(%s): %s", binding, err.message);
    return c;
}

/* One call to HelloProc, or to Missing when `missing`, over `binding`, with a traced client and
 * server; the log holds their events afterwards (the server has stopped: no thread adds more). */
static void traced_call(const char *binding, const rs_client_options *o, bool missing)
{
    log_clear();
    rs_trace_set_callback(record_event, NULL);
    test_server ts;
    server_start(&ts, binding);
    rs_client *c = client_open(rs_server_binding(ts.server, 0), o);
    if (missing) {
        hello_Missing(c);
        assert_int_equal(rs_last_call_status(), RS_ERR_FAULT);
    } else {
        assert_int_equal(hello_HelloProc(c, "hello, world"), 12);
        if (rs_last_call_status() != RS_OK)
            fail_msg("HelloProc: %s", rs_last_call_error()->message);
    }
    rs_client_close(c);
    server_stop(&ts);
    rs_trace_close();
}

/* ==== tests =================================================================================== */

/* "hello, world" as NDR marshals a [string] char *: the 13 characters, the NUL included. */
static const uint8_t hello_chars[13] = {'h', 'e', 'l', 'l', 'o', ',', ' ',
                                        'w', 'o', 'r', 'l', 'd', 0x00};

static void test_one_call_in_order(void **state)
{
    (void)state;
    traced_call("ncacn_ip_tcp:127.0.0.1[0]", NULL, false);

    const step client[] = {
        {RS_TRACE_CALL_BEGIN, ANY, NULL, ANY},
        {RS_TRACE_PARAM_READ, ANY, "pszString", ANY},
        {RS_TRACE_NDR_PUT, ANY, "pszString", RS_NDR_ROLE_MAX_COUNT},
        {RS_TRACE_NDR_PUT, ANY, "pszString", RS_NDR_ROLE_OFFSET},
        {RS_TRACE_NDR_PUT, ANY, "pszString", RS_NDR_ROLE_ACTUAL_COUNT},
        {RS_TRACE_NDR_PUT, ANY, "pszString", RS_NDR_ROLE_DATA},
        {RS_TRACE_CONNECT, ANY, NULL, ANY},
        {RS_TRACE_BIND, RS_PTYPE_BIND, NULL, ANY},
        {RS_TRACE_PDU_BUILT, RS_PTYPE_BIND, NULL, ANY},
        {RS_TRACE_PDU_SENT, RS_PTYPE_BIND, NULL, ANY},
        {RS_TRACE_PDU_RECEIVED, RS_PTYPE_BIND_ACK, NULL, ANY},
        {RS_TRACE_BIND_ACK, RS_PTYPE_BIND_ACK, NULL, ANY},
        {RS_TRACE_PDU_BUILT, RS_PTYPE_REQUEST, NULL, ANY},
        {RS_TRACE_PDU_SENT, RS_PTYPE_REQUEST, NULL, ANY},
        {RS_TRACE_PDU_RECEIVED, RS_PTYPE_RESPONSE, NULL, ANY},
        {RS_TRACE_PDU_REASSEMBLED, ANY, NULL, ANY},
        {RS_TRACE_NDR_GET, ANY, "return", RS_NDR_ROLE_DATA},
        {RS_TRACE_PARAM_WRITTEN, ANY, "return", ANY},
        {RS_TRACE_CALL_END, ANY, NULL, ANY},
        {RS_TRACE_CLOSE, ANY, NULL, ANY},
    };
    enum { C_BEGIN, C_PARAM, C_MAX, C_OFF, C_ACT, C_DATA, C_CONNECT, C_BIND, C_BIND_BUILT,
           C_BIND_SENT, C_ACK_RECV, C_ACK, C_REQ_BUILT, C_REQ_SENT, C_RESP_RECV, C_REASM, C_GET,
           C_WRITTEN, C_END, C_CLOSE, C_COUNT };
    const step server[] = {
        {RS_TRACE_LISTEN, ANY, NULL, ANY},
        {RS_TRACE_ACCEPT, ANY, NULL, ANY},
        {RS_TRACE_PDU_RECEIVED, RS_PTYPE_BIND, NULL, ANY},
        {RS_TRACE_BIND, RS_PTYPE_BIND, NULL, ANY},
        {RS_TRACE_BIND_ACK, RS_PTYPE_BIND_ACK, NULL, ANY},
        {RS_TRACE_PDU_BUILT, RS_PTYPE_BIND_ACK, NULL, ANY},
        {RS_TRACE_PDU_SENT, RS_PTYPE_BIND_ACK, NULL, ANY},
        {RS_TRACE_PDU_RECEIVED, RS_PTYPE_REQUEST, NULL, ANY},
        {RS_TRACE_PDU_REASSEMBLED, RS_PTYPE_REQUEST, NULL, ANY},
        {RS_TRACE_DISPATCH, ANY, NULL, ANY},
        {RS_TRACE_NDR_GET, ANY, "pszString", RS_NDR_ROLE_MAX_COUNT},
        {RS_TRACE_NDR_GET, ANY, "pszString", RS_NDR_ROLE_OFFSET},
        {RS_TRACE_NDR_GET, ANY, "pszString", RS_NDR_ROLE_ACTUAL_COUNT},
        {RS_TRACE_NDR_GET, ANY, "pszString", RS_NDR_ROLE_DATA},
        {RS_TRACE_PARAM_WRITTEN, ANY, "pszString", ANY},
        {RS_TRACE_PROCEDURE_ENTER, ANY, NULL, ANY},
        {RS_TRACE_PROCEDURE_RETURN, ANY, NULL, ANY},
        {RS_TRACE_PARAM_READ, ANY, "return", ANY},
        {RS_TRACE_NDR_PUT, ANY, "return", RS_NDR_ROLE_DATA},
        {RS_TRACE_PDU_BUILT, RS_PTYPE_RESPONSE, NULL, ANY},
        {RS_TRACE_PDU_SENT, RS_PTYPE_RESPONSE, NULL, ANY},
        {RS_TRACE_CLOSE, ANY, NULL, ANY},
    };
    enum { S_LISTEN, S_ACCEPT, S_BIND_RECV, S_BIND, S_ACK, S_ACK_BUILT, S_ACK_SENT, S_REQ_RECV,
           S_REASM, S_DISPATCH, S_MAX, S_OFF, S_ACT, S_DATA, S_WRITTEN, S_ENTER, S_RETURN,
           S_READ, S_PUT, S_RESP_BUILT, S_RESP_SENT, S_CLOSE, S_COUNT };
    size_t c[C_COUNT], s[S_COUNT];
    _Static_assert(sizeof client / sizeof client[0] == C_COUNT, "one index per client step");
    _Static_assert(sizeof server / sizeof server[0] == S_COUNT, "one index per server step");
    expect_steps(RS_TRACE_ROLE_CLIENT, 0, client, C_COUNT, c);
    expect_steps(RS_TRACE_ROLE_SERVER, 0, server, S_COUNT, s);
    const rec *L = logbook.at;

    /* Every event says whose it is, and seq orders them. */
    for (size_t i = 0; i < logbook.count; i++) {
        assert_true(L[i].role == RS_TRACE_ROLE_CLIENT || L[i].role == RS_TRACE_ROLE_SERVER);
        if (i > 0)
            assert_true(L[i].seq > L[i - 1].seq);
    }

    /* The client's call: one call id from CALL_BEGIN on, the interface and procedure named. */
    uint32_t id = L[c[C_BEGIN]].call_id;
    assert_true(id != 0);
    assert_string_equal(L[c[C_BEGIN]].interface, "hello");
    assert_string_equal(L[c[C_BEGIN]].procedure, "HelloProc");
    const size_t same_call[] = {C_PARAM, C_MAX, C_DATA, C_CONNECT, C_REQ_BUILT, C_REQ_SENT,
                                C_RESP_RECV, C_REASM, C_GET, C_WRITTEN, C_END};
    for (size_t k = 0; k < sizeof same_call / sizeof same_call[0]; k++) {
        assert_int_equal(L[c[same_call[k]]].call_id, id);
        assert_string_equal(L[c[same_call[k]]].procedure, "HelloProc");
    }
    assert_string_equal(L[c[C_END]].text, "ok");
    /* The bind is its own exchange, with its own call id, for the interface. */
    assert_int_not_equal(L[c[C_BIND]].call_id, id);
    assert_int_equal(L[c[C_BIND]].call_id, L[c[C_ACK]].call_id);
    assert_string_equal(L[c[C_BIND]].interface, "hello");
    assert_string_equal(L[c[C_BIND]].text, "bind hello 1.0 context 0");
    assert_memory_equal(L[c[C_ACK]].text, "max_xmit_frag 65535, max_recv_frag 65535, assoc_group ",
                        54);
    assert_non_null(strstr(L[c[C_ACK]].text, ": acceptance"));
    assert_string_equal(L[s[S_ACK]].text, L[c[C_ACK]].text);
    assert_string_equal(L[s[S_BIND]].text, "bind hello 1.0 context 0");

    /* The string's NDR: counts of 13, then the characters; requests go out, responses come back. */
    assert_int_equal(L[c[C_MAX]].offset, 0);
    assert_int_equal(L[c[C_MAX]].length, 4);
    assert_int_equal(L[c[C_MAX]].bytes_len, 4);
    assert_memory_equal(L[c[C_MAX]].bytes, "\x0d\x00\x00\x00", 4);
    assert_string_equal(L[c[C_MAX]].ndr_type, "unsigned long");
    assert_int_equal(L[c[C_OFF]].offset, 4);
    assert_int_equal(L[c[C_ACT]].offset, 8);
    assert_int_equal(L[c[C_DATA]].offset, 12);
    assert_int_equal(L[c[C_DATA]].bytes_len, sizeof hello_chars);
    assert_memory_equal(L[c[C_DATA]].bytes, hello_chars, sizeof hello_chars);
    assert_string_equal(L[c[C_DATA]].ndr_type, "[string] char");
    assert_int_equal(L[c[C_DATA]].flags, 0);
    assert_int_equal(L[c[C_GET]].flags, RS_TRACE_FLAG_OUT);
    assert_memory_equal(L[c[C_GET]].bytes, "\x0c\x00\x00\x00", 4); /* 12, little-endian */
    assert_int_equal(L[s[S_DATA]].flags, 0);
    assert_memory_equal(L[s[S_DATA]].bytes, hello_chars, sizeof hello_chars);
    assert_string_equal(L[s[S_DATA]].text, ""); /* little-endian on a little-endian host */
    assert_int_equal(L[s[S_PUT]].flags, RS_TRACE_FLAG_OUT);
    assert_int_equal(L[c[C_REQ_BUILT]].flags, 0);
    assert_int_equal(L[s[S_RESP_BUILT]].flags, RS_TRACE_FLAG_OUT);
    assert_int_equal(L[s[S_ACK_BUILT]].flags, RS_TRACE_FLAG_OUT);
    assert_int_equal(L[c[C_RESP_RECV]].flags, RS_TRACE_FLAG_OUT);

    /* Reassembly: the whole stub data, one fragment. */
    assert_string_equal(L[s[S_REASM]].text, "1 fragment, 25 bytes");
    assert_int_equal(L[s[S_REASM]].bytes_len, 25);
    assert_memory_equal(L[s[S_REASM]].bytes + 12, hello_chars, sizeof hello_chars);
    assert_int_equal(L[s[S_REASM]].call_id, id);
    assert_string_equal(L[c[C_REASM]].text, "1 fragment, 4 bytes");

    /* The server's call: the same id from DISPATCH on, and the stub's events inside it. */
    assert_string_equal(L[s[S_DISPATCH]].text, "hello 1.0 opnum 0 -> HelloProc");
    const size_t server_call[] = {S_DISPATCH, S_MAX, S_DATA, S_WRITTEN, S_ENTER, S_RETURN,
                                  S_READ, S_PUT, S_RESP_BUILT, S_RESP_SENT};
    for (size_t k = 0; k < sizeof server_call / sizeof server_call[0]; k++) {
        assert_int_equal(L[s[server_call[k]]].call_id, id);
        assert_string_equal(L[s[server_call[k]]].interface, "hello");
        assert_string_equal(L[s[server_call[k]]].procedure, "HelloProc");
    }

    /* Connection texts: the client's "LOCAL -> PEER" is the server's "LOCAL <- PEER" mirrored. */
    char port[16], listen_text[64], mirrored[160];
    const char *bracket = strchr(L[s[S_LISTEN]].text, '[');
    assert_non_null(bracket);
    snprintf(port, sizeof port, "%.*s", (int)strcspn(bracket + 1, "]"), bracket + 1);
    snprintf(listen_text, sizeof listen_text, "ncacn_ip_tcp:127.0.0.1[%s]", port);
    assert_string_equal(L[s[S_LISTEN]].text, listen_text);
    const char *arrow = strstr(L[c[C_CONNECT]].text, " -> ");
    assert_non_null(arrow);
    snprintf(mirrored, sizeof mirrored, "%s <- %.*s", arrow + 4,
             (int)(arrow - L[c[C_CONNECT]].text), L[c[C_CONNECT]].text);
    assert_string_equal(L[s[S_ACCEPT]].text, mirrored);
    assert_non_null(strstr(L[c[C_CONNECT]].text, port));
    assert_string_equal(L[c[C_BIND_SENT]].text, L[c[C_CONNECT]].text);
    assert_string_equal(L[c[C_CLOSE]].text, L[c[C_CONNECT]].text);
    assert_string_equal(L[s[S_REQ_RECV]].text, mirrored);
    assert_string_equal(L[s[S_CLOSE]].text, mirrored);

    /* The bytes built are the bytes sent. */
    assert_int_equal(L[c[C_BIND_BUILT]].bytes_len, L[c[C_BIND_SENT]].bytes_len);
    assert_memory_equal(L[c[C_BIND_BUILT]].bytes, L[c[C_BIND_SENT]].bytes,
                        L[c[C_BIND_SENT]].bytes_len);
    assert_int_equal(L[s[S_RESP_BUILT]].bytes_len, L[s[S_RESP_SENT]].bytes_len);
    assert_memory_equal(L[s[S_RESP_BUILT]].bytes, L[s[S_RESP_SENT]].bytes,
                        L[s[S_RESP_SENT]].bytes_len);
    log_clear();
}

/* Every PDU_SENT is a later PDU_RECEIVED on the other side, byte for byte. */
static void test_sent_is_received(void **state)
{
    (void)state;
    traced_call("ncacn_ip_tcp:127.0.0.1[0]", NULL, false);
    size_t sent = 0;
    for (size_t i = 0; i < logbook.count; i++) {
        const rec *r = &logbook.at[i];
        if (r->kind != RS_TRACE_PDU_SENT)
            continue;
        sent++;
        assert_true(r->bytes_len >= 16);
        size_t j = i + 1;
        for (; j < logbook.count; j++) {
            const rec *q = &logbook.at[j];
            if (q->kind == RS_TRACE_PDU_RECEIVED && q->role != r->role &&
                q->bytes_len == r->bytes_len && memcmp(q->bytes, r->bytes, r->bytes_len) == 0)
                break;
        }
        if (j == logbook.count)
            fail_msg("the %s's PDU_SENT at %zu (ptype %u) never arrived",
                     rs_trace_role_name(r->role), i, r->ptype);
        assert_int_equal(logbook.at[j].ptype, r->ptype);
        assert_int_equal(logbook.at[j].call_id, r->call_id);
    }
    assert_int_equal(sent, 4); /* bind, bind_ack, request, response */
    log_clear();
}

static void test_fault(void **state)
{
    (void)state;
    traced_call("ncacn_ip_tcp:127.0.0.1[0]", NULL, true);
    const step server[] = {
        {RS_TRACE_PDU_RECEIVED, RS_PTYPE_REQUEST, NULL, ANY},
        {RS_TRACE_PDU_REASSEMBLED, RS_PTYPE_REQUEST, NULL, ANY},
        {RS_TRACE_FAULT, RS_PTYPE_FAULT, NULL, ANY},
        {RS_TRACE_PDU_BUILT, RS_PTYPE_FAULT, NULL, ANY},
        {RS_TRACE_PDU_SENT, RS_PTYPE_FAULT, NULL, ANY},
    };
    const step client[] = {
        {RS_TRACE_CALL_BEGIN, ANY, NULL, ANY},
        {RS_TRACE_PDU_SENT, RS_PTYPE_REQUEST, NULL, ANY},
        {RS_TRACE_PDU_RECEIVED, RS_PTYPE_FAULT, NULL, ANY},
        {RS_TRACE_FAULT, RS_PTYPE_FAULT, NULL, ANY},
        {RS_TRACE_CALL_END, ANY, NULL, ANY},
    };
    size_t s[5], c[5];
    expect_steps(RS_TRACE_ROLE_SERVER, 0, server, 5, s);
    expect_steps(RS_TRACE_ROLE_CLIENT, 0, client, 5, c);
    const rec *L = logbook.at;
    assert_string_equal(L[s[2]].text, "nca_s_op_rng_error (0x1c010002)");
    assert_string_equal(L[c[3]].text, "nca_s_op_rng_error (0x1c010002)");
    assert_int_equal(L[s[2]].call_id, L[c[0]].call_id);
    assert_string_equal(L[s[2]].interface, "hello");
    assert_int_equal(L[s[2]].opnum, 1);
    assert_int_equal(L[s[3]].flags, RS_TRACE_FLAG_OUT);
    assert_string_equal(L[c[0]].procedure, "Missing");
    assert_memory_equal(L[c[4]].text, "RS_ERR_FAULT: client: the server answered", 41);
    assert_false(has_event(RS_TRACE_ROLE_SERVER, RS_TRACE_DISPATCH)); /* no such operation */
    assert_false(has_event(RS_TRACE_ROLE_CLIENT, RS_TRACE_ERROR));    /* the fault says it all */
    log_clear();
}

/* A big-endian client: its NDR and PDUs say so, and the server converts its [in] counts. */
static void test_big_endian(void **state)
{
    (void)state;
    rs_client_options o = {.endian = RS_BE};
    traced_call("ncacn_ip_tcp:127.0.0.1[0]", &o, false);
    const step client[] = {
        {RS_TRACE_NDR_PUT, ANY, "pszString", RS_NDR_ROLE_MAX_COUNT},
        {RS_TRACE_PDU_BUILT, RS_PTYPE_REQUEST, NULL, ANY},
        {RS_TRACE_PDU_SENT, RS_PTYPE_REQUEST, NULL, ANY},
    };
    const step server[] = {
        {RS_TRACE_PDU_RECEIVED, RS_PTYPE_REQUEST, NULL, ANY},
        {RS_TRACE_NDR_GET, ANY, "pszString", RS_NDR_ROLE_MAX_COUNT},
        {RS_TRACE_NDR_GET, ANY, "pszString", RS_NDR_ROLE_OFFSET},
        {RS_TRACE_NDR_GET, ANY, "pszString", RS_NDR_ROLE_ACTUAL_COUNT},
        {RS_TRACE_NDR_GET, ANY, "pszString", RS_NDR_ROLE_DATA},
        {RS_TRACE_NDR_PUT, ANY, "return", RS_NDR_ROLE_DATA},
    };
    size_t c[3], s[6];
    expect_steps(RS_TRACE_ROLE_CLIENT, 0, client, 3, c);
    expect_steps(RS_TRACE_ROLE_SERVER, 0, server, 6, s);
    const rec *L = logbook.at;
    assert_int_equal(L[c[0]].flags, RS_TRACE_FLAG_BIG_ENDIAN);
    assert_memory_equal(L[c[0]].bytes, "\x00\x00\x00\x0d", 4);
    assert_int_equal(L[c[1]].flags, RS_TRACE_FLAG_BIG_ENDIAN);
    assert_int_equal(L[c[2]].flags, RS_TRACE_FLAG_BIG_ENDIAN);
    assert_int_equal(L[s[0]].flags, RS_TRACE_FLAG_BIG_ENDIAN);
    for (size_t k = 1; k <= 4; k++)
        assert_int_equal(L[s[k]].flags, RS_TRACE_FLAG_BIG_ENDIAN);
    /* Counts are 4-byte integers the server turns around; characters are single bytes. */
    for (size_t k = 1; k <= 3; k++)
        assert_string_equal(L[s[k]].text, "converted from big-endian");
    assert_string_equal(L[s[4]].text, "");
    /* The server answers in its own byte order. */
    assert_int_equal(L[s[5]].flags, RS_TRACE_FLAG_OUT);
    log_clear();
}

/* ncalrpc: "local -> ncalrpc:[NAME]" on the client, "ncalrpc:[NAME] <- local" on the server. */
static void test_lrpc_texts(void **state)
{
    (void)state;
    char binding[64], want[96];
    snprintf(binding, sizeof binding, "ncalrpc:[rstrace-%ld]", (long)getpid());
    traced_call(binding, NULL, false);
    snprintf(want, sizeof want, "local -> %s", binding);
    assert_string_equal(find_event(RS_TRACE_ROLE_CLIENT, RS_TRACE_CONNECT, 0)->text, want);
    assert_string_equal(find_event(RS_TRACE_ROLE_CLIENT, RS_TRACE_PDU_SENT, 0)->text, want);
    snprintf(want, sizeof want, "%s <- local", binding);
    assert_string_equal(find_event(RS_TRACE_ROLE_SERVER, RS_TRACE_ACCEPT, 0)->text, want);
    assert_string_equal(find_event(RS_TRACE_ROLE_SERVER, RS_TRACE_PDU_RECEIVED, 0)->text, want);
    assert_string_equal(find_event(RS_TRACE_ROLE_SERVER, RS_TRACE_LISTEN, 0)->text, binding);
    log_clear();
}

/* With no sink nothing is reported, and calls work. */
static void test_tracing_off(void **state)
{
    (void)state;
    log_clear();
    rs_trace_close();
    assert_false(rs_trace_enabled());
    test_server ts;
    server_start(&ts, "ncacn_ip_tcp:127.0.0.1[0]");
    rs_client *c = client_open(rs_server_binding(ts.server, 0), NULL);
    assert_int_equal(hello_HelloProc(c, "hello, world"), 12);
    assert_int_equal(rs_last_call_status(), RS_OK);
    hello_Missing(c);
    assert_int_equal(rs_last_call_status(), RS_ERR_FAULT);
    rs_client_close(c);
    server_stop(&ts);
    assert_int_equal(log_count(), 0);
}

/* ==== the step gate over a socket ============================================================= */

/* The simulator's end of a Unix socket sink, served by its own thread: it decodes each record,
 * checks its seq, and releases it -- at once, or after HOLD_MS for the steps it holds. */
typedef struct sim {
    char dir[64];
    char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
    int listen_fd, fd;
    pthread_t thread;
    uint8_t *data;
    size_t len, cap, used;
    char strings[RS_TRACE_STRINGS_SIZE];
    /* What it saw; read by the test after the thread ended. */
    size_t records;
    uint64_t first_seq, last_seq;
    bool out_of_order;
    int held;
    bool call_ended_ok;
    /* The window acting on the packet in flight: the verdict for the client's request. */
    rs_trace_verdict on_request;
    bool saw_drop_note, saw_delay_note, server_got_request, call_timed_out;
    char problem[RS_BUF_ERROR_MAX];
} sim;

static bool sim_read_more(sim *s)
{
    struct pollfd p = {.fd = s->fd, .events = POLLIN};
    if (poll(&p, 1, WAIT_MS) != 1)
        return false;
    if (s->cap - s->len < 65536) {
        s->cap = s->cap ? s->cap * 2 : 1 << 17;
        s->data = realloc(s->data, s->cap);
        if (s->data == NULL)
            return false;
    }
    ssize_t n = recv(s->fd, s->data + s->len, s->cap - s->len, 0);
    if (n <= 0)
        return false;
    s->len += (size_t)n;
    return true;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

/* The steps held at the gate: the client's request on its way out (the call timeout runs from
 * just before it), and the server's dispatch (the client waits for the response meanwhile). */
static bool held_step(const rs_trace_event *ev)
{
    return (ev->role == RS_TRACE_ROLE_CLIENT && ev->kind == RS_TRACE_PDU_SENT &&
            ev->ptype == RS_PTYPE_REQUEST) ||
           (ev->role == RS_TRACE_ROLE_SERVER && ev->kind == RS_TRACE_DISPATCH);
}

static void *sim_main(void *arg)
{
    sim *s = arg;
    struct pollfd p = {.fd = s->listen_fd, .events = POLLIN};
    if (poll(&p, 1, WAIT_MS) != 1 || (s->fd = accept(s->listen_fd, NULL, NULL)) < 0) {
        snprintf(s->problem, sizeof s->problem, "no connection from the traced process");
        return NULL;
    }
    bool preamble = false;
    for (;;) {
        rs_buf in;
        rs_buf_view(&in, s->data + s->used, s->len - s->used);
        rs_status st;
        rs_trace_event ev;
        if (!preamble) {
            st = rs_trace_get_preamble(&in);
            if (st == RS_OK) {
                preamble = true;
                s->used += in.pos;
                continue;
            }
        } else {
            st = rs_trace_decode(&in, &ev, s->strings);
        }
        if (st == RS_ERR_TRUNCATED) {
            if (!sim_read_more(s))
                return NULL; /* the process closed the sink: done */
            continue;
        }
        if (st != RS_OK) {
            snprintf(s->problem, sizeof s->problem, "%s", rs_buf_error(&in));
            return NULL;
        }
        s->used += in.pos;
        if (s->records == 0)
            s->first_seq = ev.seq;
        else if (ev.seq != s->last_seq + 1)
            s->out_of_order = true;
        s->last_seq = ev.seq;
        s->records++;
        if (ev.kind == RS_TRACE_CALL_END && strcmp(ev.text, "ok") == 0)
            s->call_ended_ok = true;
        if (ev.kind == RS_TRACE_TIMEOUT)
            s->call_timed_out = true;
        if (ev.kind == RS_TRACE_ERROR && ev.ptype == RS_PTYPE_REQUEST) {
            s->saw_drop_note |= strncmp(ev.text, "dropped by the window", 21) == 0;
            s->saw_delay_note |= strncmp(ev.text, "delayed by the window", 21) == 0;
        }
        if (ev.kind == RS_TRACE_PDU_RECEIVED && ev.role == RS_TRACE_ROLE_SERVER &&
            ev.ptype == RS_PTYPE_REQUEST)
            s->server_got_request = true;
        rs_trace_verdict v = {.kind = RS_TRACE_GO};
        if (s->on_request.kind != RS_TRACE_GO && ev.role == RS_TRACE_ROLE_CLIENT &&
            ev.kind == RS_TRACE_PDU_SENT && ev.ptype == RS_PTYPE_REQUEST)
            v = s->on_request;
        else if (held_step(&ev)) {
            sleep_ms(HOLD_MS);
            s->held++;
        }
        uint8_t release[RS_TRACE_RELEASE_SIZE];
        rs_trace_put_release(release, ev.seq, v);
        if (send(s->fd, release, sizeof release, MSG_NOSIGNAL) != (ssize_t)sizeof release) {
            snprintf(s->problem, sizeof s->problem, "cannot release seq %llu",
                     (unsigned long long)ev.seq);
            return NULL;
        }
    }
}

/* Starts the simulator thread on a fresh socket and points the trace sink, in step mode, at it. */
static void sim_begin(sim *sp, rs_trace_verdict on_request)
{
    sim s;
    memset(&s, 0, sizeof s);
    s.on_request = on_request;
    s.fd = -1;
    snprintf(s.dir, sizeof s.dir, "/tmp/rscover-XXXXXX");
    assert_non_null(mkdtemp(s.dir));
    snprintf(s.path, sizeof s.path, "%s/sim.sock", s.dir);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s", s.path);
    s.listen_fd = socket(AF_UNIX, SOCK_STREAM, 0);
    assert_true(s.listen_fd >= 0);
    assert_int_equal(bind(s.listen_fd, (struct sockaddr *)&sa, sizeof sa), 0);
    assert_int_equal(listen(s.listen_fd, 1), 0);
    rs_error err = {0};
    assert_int_equal(rs_trace_open(s.path, true, &err), RS_OK);
    *sp = s;
    assert_int_equal(pthread_create(&sp->thread, NULL, sim_main, sp), 0);
}

/* Closes the sink, waits for the simulator thread and cleans up. */
static void sim_end(sim *s)
{
    rs_trace_close();
    assert_int_equal(pthread_join(s->thread, NULL), 0);
    if (s->problem[0] != '\0')
        fail_msg("simulator: %s", s->problem);
    close(s->fd);
    close(s->listen_fd);
    free(s->data);
    unlink(s->path);
    assert_int_equal(rmdir(s->dir), 0);
}

static void test_step_gate(void **state)
{
    (void)state;
    sim s;
    sim_begin(&s, (rs_trace_verdict){.kind = RS_TRACE_GO});

    test_server ts;
    server_start(&ts, "ncacn_ip_tcp:127.0.0.1[0]");
    rs_client_options o = {.call_timeout_ms = TIMEOUT_MS};
    rs_client *c = client_open(rs_server_binding(ts.server, 0), &o);
    int64_t began = rs_clock_ns();
    int32_t n = hello_HelloProc(c, "hello, world");
    int64_t took_ms = (rs_clock_ns() - began) / RS_NS_PER_MS;
    if (rs_last_call_status() != RS_OK)
        fail_msg("the call failed after %lld ms on the runtime's clock: %s", (long long)took_ms,
                 rs_last_call_error()->message);
    assert_int_equal(n, 12);
    rs_client_close(c);
    server_stop(&ts);
    assert_true(rs_trace_enabled()); /* the simulator never went away */
    sim_end(&s);
    assert_false(s.out_of_order);
    assert_true(s.records > 40);
    assert_int_equal(s.last_seq - s.first_seq + 1, s.records);
    assert_int_equal(s.held, 2);
    assert_true(s.call_ended_ok);
    /* 600 ms were spent at the gate; the runtime's clock saw none of them. */
    assert_true(took_ms < 2 * HOLD_MS);
}

/* The window drops the request drawn in flight: the client's runtime never writes it (and says
 * so), the server never receives it, and the call ends in its timeout -- a lost packet. */
static void test_verdict_drop(void **state)
{
    (void)state;
    sim s;
    sim_begin(&s, (rs_trace_verdict){.kind = RS_TRACE_DROP});
    test_server ts;
    server_start(&ts, "ncacn_ip_tcp:127.0.0.1[0]");
    rs_client_options o = {.call_timeout_ms = TIMEOUT_MS};
    rs_client *c = client_open(rs_server_binding(ts.server, 0), &o);
    (void)hello_HelloProc(c, "lost");
    assert_int_equal(rs_last_call_status(), RS_ERR_TIMEOUT);
    rs_client_close(c);
    server_stop(&ts);
    sim_end(&s);
    assert_true(s.saw_drop_note);
    assert_false(s.server_got_request);
    assert_true(s.call_timed_out);
    assert_false(s.call_ended_ok);
}

/* The window delays it: the packet goes out late, on real time that counts against the call's
 * timeout (unlike time at the gate), and the call still succeeds within it. */
static void test_verdict_delay(void **state)
{
    (void)state;
    sim s;
    sim_begin(&s, (rs_trace_verdict){.kind = RS_TRACE_DELAY, .ms = 150});
    test_server ts;
    server_start(&ts, "ncacn_ip_tcp:127.0.0.1[0]");
    rs_client_options o = {.call_timeout_ms = 5000};
    rs_client *c = client_open(rs_server_binding(ts.server, 0), &o);
    int64_t began = rs_clock_ns();
    int32_t n = hello_HelloProc(c, "late");
    int64_t took_ms = (rs_clock_ns() - began) / RS_NS_PER_MS;
    assert_int_equal(rs_last_call_status(), RS_OK);
    assert_int_equal(n, 4);
    assert_true(took_ms >= 150);
    rs_client_close(c);
    server_stop(&ts);
    sim_end(&s);
    assert_true(s.saw_delay_note);
    assert_true(s.server_got_request);
    assert_true(s.call_ended_ok);
}

int main(void)
{
    unsetenv("RPCSCOPE_TRACE"); /* the tests choose their own sinks */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_one_call_in_order),
        cmocka_unit_test(test_sent_is_received),
        cmocka_unit_test(test_fault),
        cmocka_unit_test(test_big_endian),
        cmocka_unit_test(test_lrpc_texts),
        cmocka_unit_test(test_tracing_off),
        cmocka_unit_test(test_step_gate),
        cmocka_unit_test(test_verdict_drop),
        cmocka_unit_test(test_verdict_delay),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    log_clear();
    return failed;
}
