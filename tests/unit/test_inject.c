/* test_inject.c -- fault injection: the scenario's parser, and each fault carried out by the real
 * runtime, end to end, with a server in a thread (or, for kill-server, in a child process) and a
 * client in the test.
 *
 * The interface's stubs are written by hand in the shape rpcidl generates (as in
 * test_client_server.c). The scenario is set with setenv() before rs_server_create() or
 * rs_client_open() (which read it) and unset after; every event goes to a callback sink, so each
 * test can check that the fault was reported as injected, where it struck, and what went on the
 * wire.
 *
 * Covered: every fault of the grammar and every error the parser gives (unknown fault, PDU type,
 * milliseconds, fault name or number, procedure name, words left over, empty faults, too many,
 * too long, control and non-ASCII bytes), never a half-parsed list; bad variables ignored whole
 * and reported once; RPCSCOPE_ENDIAN, RPCSCOPE_MAX_FRAG and RPCSCOPE_CALL_TIMEOUT_MS winning over
 * the program's options; unknown-opnum, unknown-interface (on a bound connection and on a new
 * one), close-before-execute, close-after-execute, raise (by name and by number), delay on either
 * side (also cut at the deadline, and also of a bind), a fault list both sides share, and
 * kill-server in a forked server that dies of SIGKILL after reporting DISPATCH.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "client.h"
#include "inject.h"
#include "pdu.h"
#include "server.h"
#include "trace.h"
#include "transport.h"

/* ==== the interface =============================================================================
 *
 *   [uuid(3b8f2d41-6a7c-4e15-9d20-5c4b3a291807), version(1.0)]
 *   interface lesson {
 *       long HelloProc([in, string] char *pszString);   // 0: returns strlen(pszString)
 *       long Add([in] long a, [in] long b);             // 1
 *   }
 */

#define LESSON_UUID {0x3b8f2d41, 0x6a7c, 0x4e15, {0x9d, 0x20}, {0x5c, 0x4b, 0x3a, 0x29, 0x18, 0x07}}
/* The same with the last node byte inverted: what unknown-interface binds. */
#define GHOST_UUID_TEXT "3b8f2d41-6a7c-4e15-9d20-5c4b3a2918f8"

/* How often each procedure ran in this process: whether a call executed. */
static atomic_int hello_runs, add_runs;

static int32_t HelloProc(const char *pszString)
{
    atomic_fetch_add(&hello_runs, 1);
    return (int32_t)strlen(pszString);
}

static int32_t Add(int32_t a, int32_t b)
{
    atomic_fetch_add(&add_runs, 1);
    return (int32_t)((uint32_t)a + (uint32_t)b);
}

/* ---- server stubs (lesson_s.c) --------------------------------------------------------------- */

static rs_status lesson_HelloProc_stub(rs_server_call *call)
{
    char *pszString = NULL;
    int32_t _ret;
    /* [in, string] char *pszString */
    rs_status st = rs_ndr_get_string(&call->in, "pszString", &pszString);
    if (st == RS_OK)
        st = rs_ndr_flush(&call->in);
    if (st != RS_OK)
        return st;
    call->executed = true;
    rs_trace_procedure(RS_TRACE_PROCEDURE_ENTER, "HelloProc");
    _ret = HelloProc(pszString);
    rs_trace_procedure(RS_TRACE_PROCEDURE_RETURN, "HelloProc");
    /* return value */
    st = rs_ndr_put_long(&call->out, "return", _ret);
    if (st == RS_OK)
        st = rs_ndr_flush(&call->out);
    return st;
}

static rs_status lesson_Add_stub(rs_server_call *call)
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
    rs_trace_procedure(RS_TRACE_PROCEDURE_ENTER, "Add");
    _ret = Add(a, b);
    rs_trace_procedure(RS_TRACE_PROCEDURE_RETURN, "Add");
    /* return value */
    st = rs_ndr_put_long(&call->out, "return", _ret);
    if (st == RS_OK)
        st = rs_ndr_flush(&call->out);
    return st;
}

static const rs_operation lesson_server_operations[] = {{"HelloProc", lesson_HelloProc_stub},
                                                        {"Add", lesson_Add_stub}};
static const rs_interface lesson_server_interface = {"lesson", {LESSON_UUID, 1, 0},
                                                      lesson_server_operations, 2};

/* ---- client stubs (lesson_c.c), explicit handles --------------------------------------------- */

static const rs_operation lesson_client_operations[] = {{"HelloProc", NULL}, {"Add", NULL}};
static const rs_interface lesson_client_interface = {"lesson", {LESSON_UUID, 1, 0},
                                                      lesson_client_operations, 2};

static int32_t lesson_HelloProc(rs_client *h, const char *pszString)
{
    rs_client_call call;
    int32_t _ret = 0;
    rs_status st = rs_client_call_begin(&call, h, &lesson_client_interface, 0);
    /* [in, string] char *pszString */
    if (st == RS_OK)
        st = rs_ndr_put_string(&call.ndr, "pszString", pszString);
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

static int32_t lesson_Add(rs_client *h, int32_t a, int32_t b)
{
    rs_client_call call;
    int32_t _ret = 0;
    rs_status st = rs_client_call_begin(&call, h, &lesson_client_interface, 1);
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

/* ==== the log: a copy of every event the callback sink gets =================================== */

typedef struct rec {
    rs_trace_kind kind;
    rs_trace_role role;
    uint32_t call_id;
    uint16_t opnum;
    uint8_t ptype, flags;
    char procedure[64], text[512];
    uint8_t head[32]; /* the first bytes the event carries: a PDU's header */
    size_t bytes_len;
} rec;

static struct {
    pthread_mutex_t lock;
    rec *at;
    size_t count, cap;
} logbook = {.lock = PTHREAD_MUTEX_INITIALIZER};

static void record_event(const rs_trace_event *ev, void *ctx)
{
    (void)ctx;
    pthread_mutex_lock(&logbook.lock);
    if (logbook.count == logbook.cap) {
        size_t cap = logbook.cap ? 2 * logbook.cap : 256;
        rec *grown = realloc(logbook.at, cap * sizeof *grown);
        if (grown == NULL) { /* never on a test machine; drop the event rather than crash */
            pthread_mutex_unlock(&logbook.lock);
            return;
        }
        logbook.at = grown;
        logbook.cap = cap;
    }
    rec *r = &logbook.at[logbook.count++];
    memset(r, 0, sizeof *r);
    r->kind = ev->kind;
    r->role = ev->role;
    r->call_id = ev->call_id;
    r->opnum = ev->opnum;
    r->ptype = ev->ptype;
    r->flags = ev->flags;
    snprintf(r->procedure, sizeof r->procedure, "%s", ev->procedure ? ev->procedure : "");
    snprintf(r->text, sizeof r->text, "%s", ev->text ? ev->text : "");
    r->bytes_len = ev->bytes_len;
    if (ev->bytes_len > 0)
        memcpy(r->head, ev->bytes, ev->bytes_len < sizeof r->head ? ev->bytes_len : sizeof r->head);
    pthread_mutex_unlock(&logbook.lock);
}

static void log_clear(void)
{
    pthread_mutex_lock(&logbook.lock);
    free(logbook.at);
    logbook.at = NULL;
    logbook.count = logbook.cap = 0;
    pthread_mutex_unlock(&logbook.lock);
}

/* The index of the first event at or after `from` of that role and kind whose text contains
 * `text` (NULL: any), or -1. */
static long log_find(size_t from, rs_trace_role role, rs_trace_kind kind, const char *text)
{
    long found = -1;
    pthread_mutex_lock(&logbook.lock);
    for (size_t i = from; i < logbook.count && found < 0; i++) {
        const rec *r = &logbook.at[i];
        if (r->role == role && r->kind == kind && (text == NULL || strstr(r->text, text) != NULL))
            found = (long)i;
    }
    pthread_mutex_unlock(&logbook.lock);
    return found;
}

static size_t log_count(rs_trace_role role, rs_trace_kind kind, const char *text)
{
    size_t n = 0;
    pthread_mutex_lock(&logbook.lock);
    for (size_t i = 0; i < logbook.count; i++) {
        const rec *r = &logbook.at[i];
        if (r->role == role && r->kind == kind && (text == NULL || strstr(r->text, text) != NULL))
            n++;
    }
    pthread_mutex_unlock(&logbook.lock);
    return n;
}

/* A copy of event i. */
static rec log_at(long i)
{
    assert_true(i >= 0);
    pthread_mutex_lock(&logbook.lock);
    assert_true((size_t)i < logbook.count);
    rec r = logbook.at[i];
    pthread_mutex_unlock(&logbook.lock);
    return r;
}

/* ==== helpers ================================================================================= */

static const char *const scenario_vars[] = {"RPCSCOPE_ENDIAN", "RPCSCOPE_MAX_FRAG",
                                            "RPCSCOPE_CALL_TIMEOUT_MS", "RPCSCOPE_FAULT"};

static void scenario_clear(void)
{
    for (size_t i = 0; i < sizeof scenario_vars / sizeof scenario_vars[0]; i++)
        unsetenv(scenario_vars[i]);
}

/* Sets RPCSCOPE_FAULT (NULL: leaves it as it is), beside what the test set itself. */
static void scenario_fault(const char *fault)
{
    if (fault != NULL)
        assert_int_equal(setenv("RPCSCOPE_FAULT", fault, 1), 0);
}

static int setup(void **state)
{
    (void)state;
    scenario_clear();
    log_clear();
    atomic_store(&hello_runs, 0);
    atomic_store(&add_runs, 0);
    rs_trace_set_callback(record_event, NULL);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    rs_trace_close();
    scenario_clear();
    log_clear();
    return 0;
}

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

/* A server for `lesson` on a free TCP port, running in its own thread, made while the scenario
 * RPCSCOPE_FAULT=fault is set (and whatever else the test set); the whole scenario is cleared
 * again afterwards. */
static void server_start(test_server *ts, const char *fault)
{
    rs_error err = {0};
    memset(ts, 0, sizeof *ts);
    scenario_fault(fault);
    assert_int_equal(rs_server_create(NULL, &ts->server), RS_OK);
    scenario_clear();
    assert_int_equal(rs_server_register(ts->server, &lesson_server_interface, &err), RS_OK);
    if (rs_server_listen(ts->server, "ncacn_ip_tcp:127.0.0.1[0]", &err) != RS_OK)
        fail_msg("listen: %s", err.message);
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

/* A client of ts made while RPCSCOPE_FAULT=fault is set, the scenario cleared afterwards. */
static rs_client *client_open(const test_server *ts, const char *fault,
                              const rs_client_options *o)
{
    rs_client *c = NULL;
    rs_error err = {0};
    scenario_fault(fault);
    if (rs_client_open(rs_server_binding(ts->server, 0), o, &c, &err) != RS_OK)
        fail_msg("rs_client_open: %s", err.message);
    scenario_clear();
    return c;
}

static int64_t now_ms(void) { return rs_clock_ns() / RS_NS_PER_MS; }

static void assert_contains(const char *haystack, const char *needle)
{
    if (strstr(haystack, needle) == NULL)
        fail_msg("'%s' does not contain '%s'", haystack, needle);
}

static void assert_lacks(const char *haystack, const char *needle)
{
    if (strstr(haystack, needle) != NULL)
        fail_msg("'%s' contains '%s'", haystack, needle);
}

/* Waits up to ms for *counter to reach want. */
static bool wait_for(atomic_int *counter, int want, int ms)
{
    for (int waited = 0; waited < ms; waited += 10) {
        if (atomic_load(counter) >= want)
            return true;
        struct timespec ts = {0, 10 * 1000000L};
        nanosleep(&ts, NULL);
    }
    return atomic_load(counter) >= want;
}

/* ==== the parser ============================================================================== */

static void test_parse_valid(void **state)
{
    (void)state;
    rs_inject in;
    rs_error err = {0};

    assert_int_equal(rs_inject_parse("", &in, &err), RS_OK);
    assert_int_equal(in.count, 0);
    assert_false(rs_inject_active(&in));
    assert_int_equal(rs_inject_parse(NULL, &in, &err), RS_OK);
    assert_int_equal(in.count, 0);

    /* What the simulator writes, faults separated by "; " */
    assert_int_equal(rs_inject_parse("kill-server on HelloProc; delay response 1500", &in, &err),
                     RS_OK);
    assert_int_equal(err.status, RS_OK);
    assert_int_equal(in.count, 2);
    assert_int_equal(in.faults[0].kind, RS_INJECT_KILL_SERVER);
    assert_string_equal(in.faults[0].procedure, "HelloProc");
    assert_int_equal(in.faults[1].kind, RS_INJECT_DELAY);
    assert_int_equal(in.faults[1].ptype, RS_PTYPE_RESPONSE);
    assert_int_equal(in.faults[1].value, 1500);
    assert_string_equal(in.faults[1].procedure, "");

    /* Every fault, with tabs, extra spaces and ';' without a space; each one formats back to
     * its normal spelling. */
    static const char text[] =
        "  close-before-execute\t;close-after-execute on Add ;raise nca_s_fault_int_div_by_zero "
        "on Div;  raise 0x1C000001;raise 42 ; raise 0xdeadBEEF; unknown-opnum; "
        "unknown-interface on _x9; delay bind_ack 1; delay request 60000 on HelloProc;"
        "delay alter_context 007; raise 4294967295";
    static const char *const normal[] = {
        "close-before-execute",
        "close-after-execute on Add",
        "raise nca_s_fault_int_div_by_zero on Div",
        "raise nca_s_fault_int_div_by_zero",
        "raise 0x0000002a",
        "raise 0xdeadbeef",
        "unknown-opnum",
        "unknown-interface on _x9",
        "delay bind_ack 1",
        "delay request 60000 on HelloProc",
        "delay alter_context 7",
        "raise 0xffffffff",
    };
    assert_int_equal(rs_inject_parse(text, &in, &err), RS_OK);
    assert_int_equal(in.count, sizeof normal / sizeof normal[0]);
    for (size_t i = 0; i < in.count; i++) {
        char out[128];
        size_t n = rs_inject_fault_format(&in.faults[i], out, sizeof out);
        assert_string_equal(out, normal[i]);
        assert_int_equal(n, strlen(normal[i]));
    }
    assert_int_equal(in.faults[3].value, RS_nca_s_fault_int_div_by_zero);
    assert_int_equal(in.faults[4].value, 42);
    assert_int_equal(in.faults[5].value, 0xdeadbeefu);

    /* The most faults there may be, and the longest procedure name. */
    char many[RS_INJECT_TEXT_MAX];
    size_t used = 0;
    for (int i = 0; i < RS_INJECT_FAULTS_MAX; i++)
        used += (size_t)snprintf(many + used, sizeof many - used, "%sraise %d", i ? "; " : "",
                                 i + 1);
    assert_int_equal(rs_inject_parse(many, &in, &err), RS_OK);
    assert_int_equal(in.count, RS_INJECT_FAULTS_MAX);
    char longest[128];
    snprintf(longest, sizeof longest, "kill-server on %.*s", RS_INJECT_PROCEDURE_MAX - 1,
             "P123456789012345678901234567890123456789012345678901234567890123456789");
    assert_int_equal(rs_inject_parse(longest, &in, &err), RS_OK);
    assert_int_equal(strlen(in.faults[0].procedure), RS_INJECT_PROCEDURE_MAX - 1);
}

static void test_parse_errors(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        const char *why; /* a piece of the sentence */
    } cases[] = {
        {"explode", "fault 1: unknown fault 'explode' (one of: delay,"},
        {"KILL-SERVER", "unknown fault 'KILL-SERVER'"},
        {"kill-server; explode on HelloProc", "fault 2: unknown fault 'explode'"},
        {"delay", "fault 1: delay needs a PDU type and milliseconds"},
        {"delay response", "delay needs a PDU type and milliseconds"},
        {"delay 1500 response", "'1500' is not a PDU type"},
        {"delay responce 10", "'responce' is not a PDU type"},
        {"delay ping 10", "'ping' is not a PDU type"}, /* connectionless: not on this wire */
        {"delay Response 10", "'Response' is not a PDU type"},
        {"delay response abc", "milliseconds must be a whole number 1..60000, not 'abc'"},
        {"delay response 0", "not '0'"},
        {"delay response 60001", "not '60001'"},
        {"delay response -5", "not '-5'"},
        {"delay response +5", "not '+5'"},
        {"delay response 1.5", "not '1.5'"},
        {"delay response 1500ms", "not '1500ms'"},
        {"delay response 99999999999999999999999999", "not '99999999999999999999999999'"},
        {"delay response 18446744073709551617", "not '18446744073709551617'"},
        {"raise", "fault 1: raise needs a fault"},
        {"raise nca_s_bogus", "'nca_s_bogus' is neither a DCE fault name"},
        {"raise NCA_S_FAULT_NDR", "'NCA_S_FAULT_NDR' is neither"},
        {"raise 0", "'0' is neither"},
        {"raise 0x", "'0x' is neither"},
        {"raise 0x0", "'0x0' is neither"},
        {"raise 0x100000000", "'0x100000000' is neither"},
        {"raise 0xfffffffg", "'0xfffffffg' is neither"},
        {"raise 4294967296", "'4294967296' is neither"},
        {"raise -1", "'-1' is neither"},
        {"kill-server on", "fault 1: 'on' needs the name of a procedure"},
        {"kill-server on 9lives", "'9lives' is not a procedure name"},
        {"kill-server on Hello-Proc", "'Hello-Proc' is not a procedure name"},
        {"kill-server on Hello.Proc", "'Hello.Proc' is not a procedure name"},
        {"kill-server HelloProc", "fault 1: unexpected 'HelloProc' after kill-server"},
        {"kill-server on HelloProc now", "unexpected 'now' after kill-server on HelloProc"},
        {"kill-server on HelloProc on Add", "unexpected 'on' after kill-server on HelloProc"},
        {"delay response 10 20", "unexpected '20' after delay"},
        {"raise nca_s_fault_ndr nca_s_proto_error", "unexpected 'nca_s_proto_error'"},
        {"delay response 1500 on HelloProc and then some more", "unexpected 'and'"},
        {"unknown-opnum on HelloProc; ", "fault 2 is empty"},
        {"kill-server;", "fault 2 is empty"},
        {";kill-server", "fault 1 is empty"},
        {"kill-server;;raise 5", "fault 2 is empty"},
        {"   ", "fault 1 is empty"},
        {"\t", "fault 1 is empty"},
        {"kill-server\n", "byte 0x0a at offset 11 is not printable ASCII"},
        {"kill-server\r", "byte 0x0d"},
        {"\x01", "byte 0x01 at offset 0"},
        {"kill-server on H\xc3\xa9llo", "byte 0xc3 at offset 16"},
        {"raise nca_s_fault_ndr\x7f", "byte 0x7f"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        rs_inject in;
        memset(&in, 0xA5, sizeof in); /* whatever was there: an error leaves it empty */
        rs_error err = {0};
        if (rs_inject_parse(cases[i].text, &in, &err) != RS_ERR_INVALID_ARG)
            fail_msg("'%s' parsed", cases[i].text);
        assert_int_equal(err.status, RS_ERR_INVALID_ARG);
        assert_int_equal(in.count, 0);
        assert_contains(err.message, cases[i].why);
    }
}

/* Long values: too many faults, too many bytes, a word longer than any sentence can quote. */
static void test_parse_long(void **state)
{
    (void)state;
    rs_inject in;
    rs_error err = {0};

    char many[RS_INJECT_TEXT_MAX];
    size_t used = 0;
    for (int i = 0; i <= RS_INJECT_FAULTS_MAX; i++)
        used += (size_t)snprintf(many + used, sizeof many - used, "%sunknown-opnum",
                                 i ? "; " : "");
    assert_int_equal(rs_inject_parse(many, &in, &err), RS_ERR_INVALID_ARG);
    assert_contains(err.message, "more than 16 faults");
    assert_int_equal(in.count, 0);

    /* RS_INJECT_TEXT_MAX bytes are read; one more is refused before anything is parsed. */
    size_t big = (size_t)1 << 20;
    char *text = malloc(big + 1);
    assert_non_null(text);
    memset(text, ' ', big);
    text[big] = '\0';
    memcpy(text, "kill-server", 11);
    rs_error_clear(&err);
    assert_int_equal(rs_inject_parse(text, &in, &err), RS_ERR_INVALID_ARG);
    assert_contains(err.message, "more than 2048 bytes long");
    text[RS_INJECT_TEXT_MAX] = '\0'; /* "kill-server" and spaces: exactly the limit */
    rs_error_clear(&err);
    assert_int_equal(rs_inject_parse(text, &in, &err), RS_OK);
    assert_int_equal(in.count, 1);

    /* A 2000-character word: the sentence quotes its start, and still says why. */
    memset(text, 'x', 2000);
    text[2000] = '\0';
    rs_error_clear(&err);
    assert_int_equal(rs_inject_parse(text, &in, &err), RS_ERR_INVALID_ARG);
    assert_contains(err.message, "unknown fault 'xxxxxxxxxx");
    assert_contains(err.message, "...' (one of:");
    assert_true(strlen(err.message) < RS_ERROR_MAX);
    memcpy(text, "delay response ", 15);
    rs_error_clear(&err);
    assert_int_equal(rs_inject_parse(text, &in, &err), RS_ERR_INVALID_ARG);
    assert_contains(err.message, "milliseconds must be a whole number 1..60000, not 'xxx");
    memcpy(text, "kill-server on ", 15);
    rs_error_clear(&err);
    assert_int_equal(rs_inject_parse(text, &in, &err), RS_ERR_INVALID_ARG);
    assert_contains(err.message, "is not a procedure name");
    /* A procedure name one character too long. */
    snprintf(text, 200, "kill-server on %064d", 0);
    text[15] = 'P';
    rs_error_clear(&err);
    assert_int_equal(rs_inject_parse(text, &in, &err), RS_ERR_INVALID_ARG);
    assert_contains(err.message, "is not a procedure name");
    free(text);
}

static void test_find(void **state)
{
    (void)state;
    rs_inject in;
    rs_error err = {0};
    assert_int_equal(rs_inject_parse("delay response 10 on Add; delay response 20; delay fault 30; "
                                     "raise 7 on Add; raise 8",
                                     &in, &err),
                     RS_OK);
    /* `on` applies to its procedure only; the first fault that applies wins. */
    assert_int_equal(rs_inject_find(&in, RS_INJECT_DELAY, RS_PTYPE_RESPONSE, "Add")->value, 10);
    assert_int_equal(rs_inject_find(&in, RS_INJECT_DELAY, RS_PTYPE_RESPONSE, "HelloProc")->value,
                     20);
    assert_int_equal(rs_inject_find(&in, RS_INJECT_DELAY, RS_PTYPE_RESPONSE, NULL)->value, 20);
    assert_int_equal(rs_inject_find(&in, RS_INJECT_DELAY, RS_PTYPE_FAULT, "Add")->value, 30);
    assert_null(rs_inject_find(&in, RS_INJECT_DELAY, RS_PTYPE_REQUEST, "Add"));
    assert_int_equal(rs_inject_find(&in, RS_INJECT_RAISE, 0, "Add")->value, 7);
    assert_int_equal(rs_inject_find(&in, RS_INJECT_RAISE, 0, "")->value, 8);
    assert_null(rs_inject_find(&in, RS_INJECT_KILL_SERVER, 0, "Add"));
    assert_null(rs_inject_match(&in, RS_INJECT_UNKNOWN_OPNUM, 0, "Add"));

    /* Without faults the answer is "no". */
    rs_inject none;
    assert_int_equal(rs_inject_parse("", &none, &err), RS_OK);
    assert_null(rs_inject_match(&none, RS_INJECT_RAISE, 0, "Add"));

    char text[160];
    rs_inject_describe(&in.faults[0], "Add", "held", text, sizeof text);
    assert_string_equal(text, "injected: delay response 10 on Add: held");
    rs_inject_describe(&in.faults[1], NULL, NULL, text, sizeof text);
    assert_string_equal(text, "injected: delay response 20");
    assert_string_equal(rs_inject_kind_name(RS_INJECT_CLOSE_AFTER_EXECUTE), "close-after-execute");
    assert_string_equal(rs_inject_kind_name(RS_INJECT_KIND_COUNT), "?");
}

/* ==== the environment ========================================================================= */

/* A bad variable is ignored whole, the good ones apply, and each reason is reported once. */
static void test_env_errors(void **state)
{
    (void)state;
    assert_int_equal(setenv("RPCSCOPE_FAULT", "explode on HelloProc", 1), 0);
    assert_int_equal(setenv("RPCSCOPE_MAX_FRAG", "47", 1), 0);
    assert_int_equal(setenv("RPCSCOPE_ENDIAN", "middle", 1), 0);
    assert_int_equal(setenv("RPCSCOPE_CALL_TIMEOUT_MS", "0", 1), 0);
    rs_client_options o = {.call_timeout_ms = 777, .max_frag = 1000, .endian = RS_LE};
    rs_client *c1 = NULL, *c2 = NULL;
    rs_error err = {0};
    assert_int_equal(rs_client_open("ncacn_ip_tcp:127.0.0.1[1]", &o, &c1, &err), RS_OK);
    rs_client_options got = rs_client_get_options(c1);
    assert_int_equal(got.call_timeout_ms, 777);
    assert_int_equal(got.max_frag, 1000);
    assert_int_equal(got.endian, RS_LE);
    const char *why = rs_inject_error();
    assert_contains(why, "RPCSCOPE_ENDIAN='middle' is ignored: must be big or little");
    assert_contains(why, "RPCSCOPE_MAX_FRAG='47' is ignored: must be a whole number 48..65535");
    assert_contains(why, "RPCSCOPE_CALL_TIMEOUT_MS='0' is ignored: must be a whole number");
    assert_contains(why, "RPCSCOPE_FAULT='explode on HelloProc' is ignored: fault 1: unknown");
    assert_int_equal(log_count(RS_TRACE_ROLE_CLIENT, RS_TRACE_ERROR, "scenario: "), 4);
    assert_int_equal(
        log_count(RS_TRACE_ROLE_CLIENT, RS_TRACE_ERROR, "scenario: RPCSCOPE_FAULT='explode on"), 1);

    /* The same reasons again: not reported again, still told by rs_inject_error(). */
    assert_int_equal(rs_client_open("ncacn_ip_tcp:127.0.0.1[1]", &o, &c2, &err), RS_OK);
    assert_int_equal(log_count(RS_TRACE_ROLE_CLIENT, RS_TRACE_ERROR, "scenario: "), 4);
    assert_contains(rs_inject_error(), "RPCSCOPE_FAULT='explode on HelloProc'");
    rs_client_close(c2);

    /* A server reads only its own two: the client's variables are none of its business. */
    assert_int_equal(setenv("RPCSCOPE_FAULT", "raise nca_s_no_such_thing", 1), 0);
    rs_server *s = NULL;
    assert_int_equal(rs_server_create(NULL, &s), RS_OK);
    assert_int_equal(rs_server_get_options(s).max_frag, RS_PDU_DEFAULT_MAX_FRAG);
    why = rs_inject_error();
    assert_lacks(why, "RPCSCOPE_ENDIAN");
    assert_lacks(why, "RPCSCOPE_CALL_TIMEOUT_MS");
    assert_contains(why, "RPCSCOPE_MAX_FRAG='47'");
    assert_contains(why, "RPCSCOPE_FAULT='raise nca_s_no_such_thing' is ignored: fault 1: raise:");
    assert_int_equal(log_count(RS_TRACE_ROLE_SERVER, RS_TRACE_ERROR, "scenario: "), 1);
    rs_server_destroy(s);

    /* A value that is long and not printable is quoted cut and made printable. */
    char big[3000];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    big[3] = '\x1b';
    assert_int_equal(setenv("RPCSCOPE_FAULT", big, 1), 0);
    assert_int_equal(rs_client_open("ncacn_ip_tcp:127.0.0.1[1]", &o, &c2, &err), RS_OK);
    assert_contains(rs_inject_error(), "RPCSCOPE_FAULT='aaa?aaaaa");
    assert_contains(rs_inject_error(), "...' is ignored: more than 2048 bytes long");
    rs_client_close(c2);

    /* All good: nothing to say. */
    scenario_clear();
    assert_int_equal(rs_client_open("ncacn_ip_tcp:127.0.0.1[1]", &o, &c2, &err), RS_OK);
    assert_string_equal(rs_inject_error(), "");
    rs_client_close(c2);
    rs_client_close(c1);
}

/* The script wins: RPCSCOPE_ENDIAN, RPCSCOPE_MAX_FRAG and RPCSCOPE_CALL_TIMEOUT_MS replace the
 * options the program passed, and the call shows it on the wire. */
static void test_env_overrides(void **state)
{
    (void)state;
    test_server ts;
    assert_int_equal(setenv("RPCSCOPE_MAX_FRAG", "1000", 1), 0);
    server_start(&ts, NULL); /* and clears it */
    assert_int_equal(rs_server_get_options(ts.server).max_frag, 1000);

    assert_int_equal(setenv("RPCSCOPE_ENDIAN", "big", 1), 0);
    assert_int_equal(setenv("RPCSCOPE_MAX_FRAG", "64", 1), 0);
    assert_int_equal(setenv("RPCSCOPE_CALL_TIMEOUT_MS", "1234", 1), 0);
    rs_client_options o = {.endian = RS_LE, .max_frag = 4280, .call_timeout_ms = 30000};
    rs_client *c = NULL;
    rs_error err = {0};
    assert_int_equal(rs_client_open(rs_server_binding(ts.server, 0), &o, &c, &err), RS_OK);
    scenario_clear();
    rs_client_options got = rs_client_get_options(c);
    assert_int_equal(got.endian, RS_BE);
    assert_int_equal(got.max_frag, 64);
    assert_int_equal(got.call_timeout_ms, 1234);
    assert_string_equal(rs_inject_error(), "");

    static const char hello[] = "hello, world: a string long enough for several fragments of "
                                "40 bytes of stub data each, since the request header takes 24 "
                                "of the 64 bytes";
    assert_int_equal(lesson_HelloProc(c, hello), (int32_t)strlen(hello));
    assert_int_equal(rs_last_call_status(), RS_OK);
    /* Each request fragment is at most 64 bytes, big-endian (drep[0] = 0x00). */
    assert_true(log_count(RS_TRACE_ROLE_CLIENT, RS_TRACE_PDU_BUILT, NULL) > 3);
    size_t requests = 0;
    pthread_mutex_lock(&logbook.lock);
    for (size_t i = 0; i < logbook.count; i++) {
        const rec *r = &logbook.at[i];
        if (r->role != RS_TRACE_ROLE_CLIENT || r->kind != RS_TRACE_PDU_BUILT)
            continue;
        assert_int_equal(r->head[4], 0x00); /* the bind too */
        if (r->ptype == RS_PTYPE_REQUEST) {
            assert_true(r->bytes_len <= 64);
            requests++;
        }
    }
    pthread_mutex_unlock(&logbook.lock);
    assert_true(requests >= 3);
    /* The server answered the bind with the smaller of the two sizes. */
    assert_true(log_find(0, RS_TRACE_ROLE_SERVER, RS_TRACE_BIND_ACK,
                         "max_xmit_frag 64, max_recv_frag 64") >= 0);
    rs_client_close(c);
    server_stop(&ts);
}

/* ==== each fault, end to end ================================================================== */

static void test_unknown_opnum(void **state)
{
    (void)state;
    test_server ts;
    server_start(&ts, "unknown-opnum"); /* the client's fault: the server does nothing with it */
    rs_client *c = client_open(&ts, "unknown-opnum on Add", NULL);

    assert_int_equal(lesson_HelloProc(c, "hi"), 2);
    assert_int_equal(lesson_Add(c, 2, 3), 0);
    assert_int_equal(rs_last_call_status(), RS_ERR_FAULT);
    assert_int_equal(rs_last_call_fault(), RS_nca_s_op_rng_error);
    assert_contains(rs_last_call_error()->message, "nca_s_op_rng_error");
    assert_contains(rs_last_call_error()->message, "the call did not execute");
    assert_int_equal(atomic_load(&add_runs), 0);
    assert_int_equal(lesson_HelloProc(c, "again"), 5); /* the connection stays */
    assert_int_equal(log_count(RS_TRACE_ROLE_CLIENT, RS_TRACE_CONNECT, NULL), 1);

    long i = log_find(0, RS_TRACE_ROLE_CLIENT, RS_TRACE_ERROR,
                      "injected: unknown-opnum on Add: the request asks for opnum 2, one past "
                      "the last operation of lesson 1.0");
    assert_true(i >= 0);
    assert_string_equal(log_at(i).procedure, "Add");
    /* The request that followed carries opnum 2, on the wire and in the event. */
    long b = log_find((size_t)i, RS_TRACE_ROLE_CLIENT, RS_TRACE_PDU_BUILT, NULL);
    rec r = log_at(b);
    assert_int_equal(r.ptype, RS_PTYPE_REQUEST);
    assert_int_equal(r.opnum, 2);
    assert_int_equal(r.head[22] | r.head[23] << 8, 2); /* opnum, little-endian, at offset 22 */
    assert_true(log_find(0, RS_TRACE_ROLE_SERVER, RS_TRACE_FAULT, "nca_s_op_rng_error") >= 0);
    assert_int_equal(log_count(RS_TRACE_ROLE_SERVER, RS_TRACE_ERROR, "injected"), 0);

    rs_client_close(c);
    server_stop(&ts);
}

static void test_unknown_interface(void **state)
{
    (void)state;
    test_server ts;
    server_start(&ts, NULL);

    /* On a connection with the real interface bound: an alter_context of its own, rejected, and
     * the real context keeps working on the same connection. */
    rs_client *c = client_open(&ts, "unknown-interface on Add", NULL);
    assert_int_equal(lesson_HelloProc(c, "hi"), 2);
    assert_int_equal(lesson_Add(c, 2, 3), 0);
    assert_int_equal(rs_last_call_status(), RS_ERR_BIND_REJECTED);
    assert_contains(rs_last_call_error()->message,
                    "provider_rejection (abstract_syntax_not_supported)");
    assert_int_equal(atomic_load(&add_runs), 0);
    assert_int_equal(lesson_HelloProc(c, "again"), 5);
    assert_int_equal(lesson_HelloProc(c, "and again"), 9);
    assert_int_equal(log_count(RS_TRACE_ROLE_CLIENT, RS_TRACE_CONNECT, NULL), 1);
    assert_true(log_find(0, RS_TRACE_ROLE_CLIENT, RS_TRACE_ERROR,
                         "injected: unknown-interface on Add: the client binds " GHOST_UUID_TEXT
                         " instead of lesson's 3b8f2d41-6a7c-4e15-9d20-5c4b3a291807") >= 0);
    assert_true(log_find(0, RS_TRACE_ROLE_SERVER, RS_TRACE_BIND,
                         "alter_context " GHOST_UUID_TEXT " 1.0 context 1") >= 0);
    assert_true(log_find(0, RS_TRACE_ROLE_SERVER, RS_TRACE_BIND_ACK,
                         "provider_rejection (abstract_syntax_not_supported)") >= 0);
    assert_int_equal(log_count(RS_TRACE_ROLE_CLIENT, RS_TRACE_PDU_BUILT, NULL), 5);
    rs_client_close(c);

    /* As the first call of a client: the bind of a new connection is rejected; the next call
     * connects and binds the real interface. */
    log_clear();
    c = client_open(&ts, "unknown-interface on Add", NULL);
    assert_int_equal(lesson_Add(c, 2, 3), 0);
    assert_int_equal(rs_last_call_status(), RS_ERR_BIND_REJECTED);
    assert_int_equal(lesson_HelloProc(c, "hi"), 2);
    assert_int_equal(lesson_Add(c, 1, 1), 0);
    assert_int_equal(rs_last_call_status(), RS_ERR_BIND_REJECTED);
    assert_int_equal(lesson_HelloProc(c, "hi"), 2);
    assert_int_equal(log_count(RS_TRACE_ROLE_CLIENT, RS_TRACE_CONNECT, NULL), 2);
    assert_true(log_find(0, RS_TRACE_ROLE_SERVER, RS_TRACE_BIND,
                         "bind " GHOST_UUID_TEXT " 1.0 context 0") >= 0);
    assert_int_equal(atomic_load(&add_runs), 0);
    rs_client_close(c);
    server_stop(&ts);
}

static void test_close_before_execute(void **state)
{
    (void)state;
    test_server ts;
    server_start(&ts, "close-before-execute on HelloProc");
    rs_client *c = client_open(&ts, "close-before-execute on HelloProc", NULL);

    assert_int_equal(lesson_Add(c, 2, 3), 5);
    int64_t t0 = now_ms();
    assert_int_equal(lesson_HelloProc(c, "hi"), 0);
    rs_status st = rs_last_call_status();
    assert_true(st == RS_ERR_CLOSED || st == RS_ERR_TRUNCATED);
    assert_contains(rs_last_call_error()->message, "the server closed the connection before the "
                                                   "response");
    assert_true(now_ms() - t0 < 5000); /* at once, not at the 30 s timeout */
    assert_int_equal(atomic_load(&hello_runs), 0);
    assert_int_equal(lesson_Add(c, 4, 5), 9); /* a new connection */
    assert_int_equal(log_count(RS_TRACE_ROLE_CLIENT, RS_TRACE_CONNECT, NULL), 2);

    long i = log_find(0, RS_TRACE_ROLE_SERVER, RS_TRACE_ERROR,
                      "injected: close-before-execute on HelloProc: the whole request has "
                      "arrived; the server closes the connection");
    assert_true(i >= 0);
    assert_string_equal(log_at(i).procedure, "HelloProc");
    /* After the reassembly, before any dispatch; then the close. */
    long re = log_find(0, RS_TRACE_ROLE_SERVER, RS_TRACE_PDU_REASSEMBLED, NULL);
    re = log_find((size_t)re + 1, RS_TRACE_ROLE_SERVER, RS_TRACE_PDU_REASSEMBLED, NULL);
    assert_true(re >= 0 && re < i);
    assert_int_equal(log_count(RS_TRACE_ROLE_SERVER, RS_TRACE_DISPATCH, "HelloProc"), 0);
    assert_true(log_find((size_t)i, RS_TRACE_ROLE_SERVER, RS_TRACE_CLOSE, NULL) > i);
    assert_int_equal(log_count(RS_TRACE_ROLE_CLIENT, RS_TRACE_ERROR, "injected"), 0);
    rs_client_close(c);
    server_stop(&ts);
}

static void test_close_after_execute(void **state)
{
    (void)state;
    test_server ts;
    server_start(&ts, "close-after-execute on HelloProc");
    rs_client *c = client_open(&ts, NULL, NULL);

    assert_int_equal(lesson_HelloProc(c, "hi"), 0);
    rs_status st = rs_last_call_status();
    assert_true(st == RS_ERR_CLOSED || st == RS_ERR_TRUNCATED);
    assert_contains(rs_last_call_error()->message, "the server closed the connection");
    assert_int_equal(atomic_load(&hello_runs), 1); /* it ran: the client cannot know */
    assert_int_equal(lesson_Add(c, 4, 5), 9);

    long i = log_find(0, RS_TRACE_ROLE_SERVER, RS_TRACE_ERROR,
                      "injected: close-after-execute on HelloProc: HelloProc ran; the server "
                      "closes the connection instead of sending the response");
    assert_true(i >= 0);
    long ret = log_find(0, RS_TRACE_ROLE_SERVER, RS_TRACE_PROCEDURE_RETURN, NULL);
    assert_true(ret >= 0 && ret < i);
    /* No response was built for HelloProc: the only response is Add's. */
    size_t responses = 0;
    pthread_mutex_lock(&logbook.lock);
    for (size_t k = 0; k < logbook.count; k++)
        if (logbook.at[k].role == RS_TRACE_ROLE_SERVER &&
            logbook.at[k].kind == RS_TRACE_PDU_BUILT && logbook.at[k].ptype == RS_PTYPE_RESPONSE)
            responses++;
    pthread_mutex_unlock(&logbook.lock);
    assert_int_equal(responses, 1);
    rs_client_close(c);
    server_stop(&ts);
}

static void test_raise(void **state)
{
    (void)state;
    test_server ts;
    server_start(&ts, "raise nca_s_fault_int_div_by_zero on Add");
    rs_client *c = client_open(&ts, NULL, NULL);

    assert_int_equal(lesson_Add(c, 6, 0), 0);
    assert_int_equal(rs_last_call_status(), RS_ERR_FAULT);
    assert_int_equal(rs_last_call_fault(), RS_nca_s_fault_int_div_by_zero);
    assert_contains(rs_last_call_error()->message, "nca_s_fault_int_div_by_zero (0x1c000001)");
    assert_lacks(rs_last_call_error()->message, "did not execute"); /* "it ran" */
    assert_int_equal(atomic_load(&add_runs), 0);
    assert_int_equal(lesson_HelloProc(c, "hi"), 2); /* the connection stays */
    assert_int_equal(log_count(RS_TRACE_ROLE_CLIENT, RS_TRACE_CONNECT, NULL), 1);

    long d = log_find(0, RS_TRACE_ROLE_SERVER, RS_TRACE_DISPATCH, "-> Add");
    long i = log_find(0, RS_TRACE_ROLE_SERVER, RS_TRACE_ERROR,
                      "injected: raise nca_s_fault_int_div_by_zero on Add: Add does not run; the "
                      "server answers the fault as if it had raised it");
    assert_true(d >= 0 && i > d);
    long f = log_find((size_t)i, RS_TRACE_ROLE_SERVER, RS_TRACE_PDU_BUILT, NULL);
    rec r = log_at(f);
    assert_int_equal(r.ptype, RS_PTYPE_FAULT);
    assert_int_equal(r.head[3] & RS_PFC_DID_NOT_EXECUTE, 0);
    rs_client_close(c);
    server_stop(&ts);

    /* A code by number, for every call. */
    server_start(&ts, "raise 0x12345678");
    c = client_open(&ts, NULL, NULL);
    assert_int_equal(lesson_HelloProc(c, "hi"), 0);
    assert_int_equal(rs_last_call_status(), RS_ERR_FAULT);
    assert_int_equal(rs_last_call_fault(), 0x12345678);
    assert_true(log_find(0, RS_TRACE_ROLE_SERVER, RS_TRACE_ERROR,
                         "injected: raise 0x12345678 on HelloProc") >= 0);
    assert_int_equal(atomic_load(&hello_runs), 1); /* the first HelloProc, above */
    rs_client_close(c);
    server_stop(&ts);
}

/* One list given to both sides, as the simulator does: each carries out its own faults. */
static void test_shared_list(void **state)
{
    (void)state;
    static const char list[] = "unknown-opnum on Add; raise nca_s_fault_ndr on HelloProc";
    test_server ts;
    server_start(&ts, list);
    rs_client *c = client_open(&ts, list, NULL);
    assert_int_equal(lesson_Add(c, 1, 2), 0);
    assert_int_equal(rs_last_call_fault(), RS_nca_s_op_rng_error);
    assert_int_equal(lesson_HelloProc(c, "hi"), 0);
    assert_int_equal(rs_last_call_fault(), RS_nca_s_fault_ndr);
    assert_int_equal(log_count(RS_TRACE_ROLE_CLIENT, RS_TRACE_ERROR, "injected: unknown-opnum"),
                     1);
    assert_int_equal(log_count(RS_TRACE_ROLE_SERVER, RS_TRACE_ERROR, "injected: raise"), 1);
    assert_int_equal(log_count(RS_TRACE_ROLE_SERVER, RS_TRACE_ERROR, "injected: unknown"), 0);
    assert_int_equal(log_count(RS_TRACE_ROLE_CLIENT, RS_TRACE_ERROR, "injected: raise"), 0);
    rs_client_close(c);
    server_stop(&ts);
}

static void test_delay_response(void **state)
{
    (void)state;
    test_server ts;
    server_start(&ts, "delay response 300 on HelloProc");
    rs_client *c = client_open(&ts, NULL, NULL);

    assert_int_equal(lesson_Add(c, 1, 2), 3); /* connects and binds: not delayed */
    int64_t t0 = now_ms();
    assert_int_equal(lesson_HelloProc(c, "hi"), 2);
    int64_t took = now_ms() - t0;
    assert_true(took >= 290);
    assert_int_equal(rs_last_call_status(), RS_OK);

    /* PDU_BUILT, PDU_SENT, then the note, for the response of HelloProc only. */
    long i = log_find(0, RS_TRACE_ROLE_SERVER, RS_TRACE_ERROR,
                      "injected: delay response 300 on HelloProc: the server holds it");
    assert_true(i >= 0);
    rec note = log_at(i);
    assert_int_equal(note.ptype, RS_PTYPE_RESPONSE);
    assert_string_equal(note.procedure, "HelloProc");
    rec sent = log_at(i - 1);
    assert_int_equal(sent.kind, RS_TRACE_PDU_SENT);
    assert_int_equal(sent.ptype, RS_PTYPE_RESPONSE);
    assert_int_equal(sent.call_id, note.call_id);
    assert_int_equal(log_at(i - 2).kind, RS_TRACE_PDU_BUILT);
    assert_int_equal(log_count(RS_TRACE_ROLE_SERVER, RS_TRACE_ERROR, "injected"), 1);
    rs_client_close(c);
    server_stop(&ts);
}

/* The delay counts against the call timeout: a response held longer than the client waits. */
static void test_delay_beyond_timeout(void **state)
{
    (void)state;
    test_server ts;
    server_start(&ts, "delay response 600");
    assert_int_equal(setenv("RPCSCOPE_CALL_TIMEOUT_MS", "150", 1), 0);
    rs_client *c = NULL;
    rs_error err = {0};
    assert_int_equal(rs_client_open(rs_server_binding(ts.server, 0), NULL, &c, &err), RS_OK);
    scenario_clear();
    int64_t t0 = now_ms();
    assert_int_equal(lesson_HelloProc(c, "hi"), 0);
    int64_t took = now_ms() - t0;
    assert_int_equal(rs_last_call_status(), RS_ERR_TIMEOUT);
    assert_contains(rs_last_call_error()->message, "within 150 ms");
    assert_true(took >= 140 && took < 590);
    assert_int_equal(atomic_load(&hello_runs), 1); /* it ran anyway: at most once, maybe once */
    rs_client_close(c);
    server_stop(&ts); /* waits for the worker's hold to end */
}

/* On the client: a request held past the call's deadline is cut there, goes out, and the call
 * times out; the server still runs it. */
static void test_delay_request_cut_at_deadline(void **state)
{
    (void)state;
    test_server ts;
    server_start(&ts, NULL);
    rs_client_options o = {.call_timeout_ms = 200};
    rs_client *c = client_open(&ts, "delay request 2000", &o);
    int64_t t0 = now_ms();
    assert_int_equal(lesson_HelloProc(c, "hi"), 0);
    int64_t took = now_ms() - t0;
    assert_int_equal(rs_last_call_status(), RS_ERR_TIMEOUT);
    assert_true(took >= 190 && took < 1500);
    assert_true(wait_for(&hello_runs, 1, 3000));
    long i = log_find(0, RS_TRACE_ROLE_CLIENT, RS_TRACE_ERROR,
                      "injected: delay request 2000 on HelloProc: the client holds it");
    assert_true(i >= 0);
    assert_int_equal(log_at(i - 1).kind, RS_TRACE_PDU_SENT);
    assert_int_equal(log_at(i).ptype, RS_PTYPE_REQUEST);
    rs_client_close(c);
    server_stop(&ts);
}

/* A delayed bind slows the first call only: the second reuses the association. */
static void test_delay_bind(void **state)
{
    (void)state;
    test_server ts;
    server_start(&ts, NULL);
    rs_client *c = client_open(&ts, "delay bind 250", NULL);
    int64_t t0 = now_ms();
    assert_int_equal(lesson_Add(c, 1, 2), 3);
    assert_true(now_ms() - t0 >= 240);
    assert_int_equal(lesson_Add(c, 3, 4), 7);
    assert_int_equal(log_count(RS_TRACE_ROLE_CLIENT, RS_TRACE_ERROR,
                               "injected: delay bind 250 on Add"),
                     1);
    rs_client_close(c);
    server_stop(&ts);
}

/* ==== kill-server: the server is a child process, and it dies ================================= */

#define KILL_TRACE_MAX (1u << 20)

/* The child: a server with the scenario, tracing to a file, that tells its binding through
 * `fd`. It never returns into cmocka. */
static void kill_child(int fd, const char *trace_path)
{
    rs_error err = {0};
    rs_server *s = NULL;
    if (rs_trace_open(trace_path, false, &err) != RS_OK)
        _exit(10);
    if (setenv("RPCSCOPE_FAULT", "kill-server on HelloProc", 1) != 0 ||
        rs_server_create(NULL, &s) != RS_OK)
        _exit(11);
    if (rs_server_register(s, &lesson_server_interface, &err) != RS_OK ||
        rs_server_listen(s, "ncacn_ip_tcp:127.0.0.1[0]", &err) != RS_OK)
        _exit(12);
    const char *b = rs_server_binding(s, 0);
    if (write(fd, b, strlen(b) + 1) != (ssize_t)(strlen(b) + 1))
        _exit(13);
    close(fd);
    if (rs_server_run(s, &err) != RS_OK) /* runs until SIGKILL: returning at all is a failure */
        _exit(14);
    _exit(15);
}

static void test_kill_server(void **state)
{
    (void)state;
    char trace_path[160], file[128];
    snprintf(file, sizeof file, "/tmp/rs-inject-kill-%ld.rstrace", (long)getpid());
    snprintf(trace_path, sizeof trace_path, "file:%s", file);
    unlink(file);
    rs_trace_close(); /* the child has a file sink of its own */
    int p[2];
    assert_int_equal(pipe(p), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(p[0]);
        kill_child(p[1], trace_path);
    }
    close(p[1]);
    char binding[RS_BINDING_STRLEN] = {0};
    size_t got = 0;
    ssize_t n;
    while (got < sizeof binding - 1 && (n = read(p[0], binding + got, sizeof binding - 1 - got)) > 0)
        got += (size_t)n;
    close(p[0]);
    if (got == 0 || binding[got - 1] != '\0') {
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        unlink(file);
        fail_msg("the child server did not start");
    }

    rs_client_options o = {.call_timeout_ms = 5000};
    rs_client *c = NULL;
    rs_error err = {0};
    assert_int_equal(rs_client_open(binding, &o, &c, &err), RS_OK);
    assert_int_equal(lesson_Add(c, 2, 3), 5); /* only HelloProc kills */
    int64_t t0 = now_ms();
    assert_int_equal(lesson_HelloProc(c, "hi"), 0);
    int64_t took = now_ms() - t0;
    rs_status st = rs_last_call_status();
    if (st != RS_ERR_CLOSED && st != RS_ERR_TRUNCATED) {
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        unlink(file);
        fail_msg("HelloProc ended with %s: %s", rs_status_name(st), rs_last_call_error()->message);
    }
    assert_contains(rs_last_call_error()->message, "the server closed the connection");
    assert_true(took < 5000);

    int wstatus = 0;
    pid_t w;
    int64_t t1 = now_ms();
    while ((w = waitpid(pid, &wstatus, WNOHANG)) == 0 && now_ms() - t1 < 5000) {
        struct timespec ts = {0, 10 * 1000000L};
        nanosleep(&ts, NULL);
    }
    if (w == 0) {
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        unlink(file);
        fail_msg("the server did not die");
    }
    assert_int_equal(w, pid);
    assert_true(WIFSIGNALED(wstatus));
    assert_int_equal(WTERMSIG(wstatus), SIGKILL);

    /* Nobody answers now. */
    assert_int_equal(lesson_Add(c, 1, 1), 0);
    assert_int_equal(rs_last_call_status(), RS_ERR_CONNECT);
    rs_client_close(c);

    /* The child's trace: DISPATCH of HelloProc, then the injected kill, and nothing after. */
    FILE *f = fopen(file, "rb");
    assert_non_null(f);
    uint8_t *bytes = malloc(KILL_TRACE_MAX);
    assert_non_null(bytes);
    size_t len = fread(bytes, 1, KILL_TRACE_MAX, f);
    fclose(f);
    unlink(file);
    rs_buf in;
    rs_buf_view(&in, bytes, len);
    assert_int_equal(rs_trace_get_preamble(&in), RS_OK);
    static char strings[RS_TRACE_STRINGS_SIZE];
    rs_trace_event ev;
    long dispatch = -1, killed = -1, count = 0;
    rs_trace_kind last = RS_TRACE_KIND_NONE;
    while (in.pos < in.len) {
        assert_int_equal(rs_trace_decode(&in, &ev, strings), RS_OK);
        if (ev.kind == RS_TRACE_DISPATCH && strstr(ev.text, "-> HelloProc") != NULL)
            dispatch = count;
        if (ev.kind == RS_TRACE_ERROR &&
            strstr(ev.text, "injected: kill-server on HelloProc: the server process is killed "
                            "(SIGKILL) as HelloProc would be entered") != NULL) {
            killed = count;
            assert_string_equal(ev.procedure, "HelloProc");
        }
        last = ev.kind;
        count++;
    }
    free(bytes);
    assert_true(dispatch >= 0);
    assert_int_equal(killed, dispatch + 1);
    assert_int_equal(killed, count - 1);
    assert_int_equal(last, RS_TRACE_ERROR);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_valid),
        cmocka_unit_test(test_parse_errors),
        cmocka_unit_test(test_parse_long),
        cmocka_unit_test(test_find),
        cmocka_unit_test_setup_teardown(test_kill_server, setup, teardown),
        cmocka_unit_test_setup_teardown(test_env_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_env_overrides, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unknown_opnum, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unknown_interface, setup, teardown),
        cmocka_unit_test_setup_teardown(test_close_before_execute, setup, teardown),
        cmocka_unit_test_setup_teardown(test_close_after_execute, setup, teardown),
        cmocka_unit_test_setup_teardown(test_raise, setup, teardown),
        cmocka_unit_test_setup_teardown(test_shared_list, setup, teardown),
        cmocka_unit_test_setup_teardown(test_delay_response, setup, teardown),
        cmocka_unit_test_setup_teardown(test_delay_beyond_timeout, setup, teardown),
        cmocka_unit_test_setup_teardown(test_delay_request_cut_at_deadline, setup, teardown),
        cmocka_unit_test_setup_teardown(test_delay_bind, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
