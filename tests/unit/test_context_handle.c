/* test_context_handle.c -- context handles end to end: rpcidl's client stubs for
 * tests/unit/counter.idl in this program, its server stubs in build/tests/counter_server, started
 * as a real process beside this one and reached over TCP.
 *
 * Covered: open, increment and close over a real connection; an [out] handle that comes back NULL;
 * an [in, out] handle that is NULL on the way in (bound by the implicit handle) and one that is
 * kept (the same object, the same UUID); the server's faults for a handle it does not hold
 * (made up, closed, another client's, or of another type: nca_s_fault_context_mismatch) and for
 * zeros passed [in] (rpc_x_ss_in_null_context); a NULL [in] handle refused before anything is
 * sent; COUNTER_rundown called for each handle whose client's connection dropped without Close,
 * with the server's own pointer, and the server's log line saying so; a handle destroyed on the
 * client side only; handles of two clients independent; a handle whose client was closed refused
 * client-side, left as it was; many clients at once; a client killed while calling, whose
 * counter the server runs down.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "counter.h"

/* Opnums of counter.idl, for the calls this test makes by hand. */
#define OPNUM_INCREMENT 1

/* How long a rundown may take to show in Stats() after a client closed its connection. */
#define RUNDOWN_WAIT_MS 5000

static char server_path[512];
static char binding[256];
static char log_path[] = "/tmp/counter_server_log_XXXXXX";
static pid_t server_pid;

/* ==== the server process ====================================================================== */

/* Starts counter_server (beside this program) on a free TCP port and reads the binding it prints. */
static int start_server(void **state)
{
    (void)state;
    int log_fd = mkstemp(log_path);
    int out[2];
    if (log_fd < 0 || pipe(out) != 0)
        return -1;
    server_pid = fork();
    if (server_pid < 0)
        return -1;
    if (server_pid == 0) {
        dup2(out[1], STDOUT_FILENO);
        dup2(log_fd, STDERR_FILENO);
        close(out[0]);
        close(out[1]);
        close(log_fd);
        execl(server_path, server_path, "ncacn_ip_tcp:127.0.0.1[0]", (char *)NULL);
        _exit(127);
    }
    close(out[1]);
    close(log_fd);
    FILE *f = fdopen(out[0], "r");
    char line[512];
    int rc = -1;
    if (f != NULL && fgets(line, sizeof line, f) != NULL &&
        sscanf(line, "listening on %255s", binding) == 1)
        rc = 0;
    if (f != NULL)
        fclose(f);
    if (rc != 0)
        fprintf(stderr, "test_context_handle: %s did not start\n", server_path);
    return rc;
}

/* SIGTERM: the server runs down what is still open and must exit 0 with nothing left over. */
static int stop_server(void **state)
{
    (void)state;
    int status = 0;
    kill(server_pid, SIGTERM);
    while (waitpid(server_pid, &status, 0) < 0 && errno == EINTR)
        ;
    unlink(log_path);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "test_context_handle: counter_server exited with status %d\n", status);
        return -1;
    }
    return 0;
}

/* ==== helpers ================================================================================= */

static rs_client *open_client(void)
{
    rs_client *c = NULL;
    rs_error err = {0};
    rs_client_options o = {.call_timeout_ms = 10000};
    assert_int_equal(rs_client_open(binding, &o, &c, &err), RS_OK);
    return c;
}

typedef struct stats {
    int32_t open, run_down, run_down_sum;
} stats;

static stats server_stats(rs_client *c)
{
    stats s = {0, 0, 0};
    counter_IfHandle = c;
    Stats(&s.open, &s.run_down, &s.run_down_sum);
    assert_int_equal(rs_last_call_status(), RS_OK);
    return s;
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Calls Increment by hand, with `wire` as the handle's 20 bytes: what a client that made up a
 * handle, or learned another's, would send. Returns the status; *fault the fault code. */
static rs_status increment_raw(rs_client *c, const rs_ndr_context_handle *wire, uint32_t *fault)
{
    rs_client_call call;
    rs_status st = rs_client_call_begin(&call, c, &counter_client_interface, OPNUM_INCREMENT);
    if (st == RS_OK)
        st = rs_ndr_put_context_handle(&call.ndr, "c", wire);
    if (st == RS_OK)
        st = rs_client_call_invoke(&call);
    *fault = call.fault;
    int32_t value = 0;
    if (st == RS_OK)
        st = rs_ndr_get_long(&call.ndr, "return", &value);
    return rs_client_call_end(&call, st);
}

static bool wire_is_zero(rs_ndr_context_handle w)
{
    static const rs_ndr_context_handle zero;
    return w.attributes == 0 && rs_uuid_compare(&w.uuid, &zero.uuid) == 0;
}

/* Does the server's log have a line containing `what`, within RUNDOWN_WAIT_MS? (The server
 * writes a connection's line after its rundowns.) */
static bool log_has(const char *what)
{
    int64_t deadline = now_ms() + RUNDOWN_WAIT_MS;
    do {
        FILE *f = fopen(log_path, "r");
        char line[512];
        bool found = false;
        while (f != NULL && !found && fgets(line, sizeof line, f) != NULL)
            found = strstr(line, what) != NULL;
        if (f != NULL)
            fclose(f);
        if (found)
            return true;
        sleep_ms(10);
    } while (now_ms() < deadline);
    return false;
}

/* ==== the tests =============================================================================== */

/* [out] makes a handle, [in] uses it (and binds the call), [in, out] closes it. */
static void test_open_increment_close(void **state)
{
    (void)state;
    rs_client *client = open_client();
    counter_IfHandle = client;
    stats before = server_stats(client);

    COUNTER c = NULL;
    Open(10, &c);
    assert_int_equal(rs_last_call_status(), RS_OK);
    assert_non_null(c);
    assert_ptr_equal(rs_client_context_client(c), client);
    rs_ndr_context_handle w = rs_client_context_wire(c);
    assert_int_equal(w.attributes, 0);
    assert_false(rs_uuid_is_nil(&w.uuid));
    assert_int_equal(server_stats(client).open, before.open + 1);

    counter_IfHandle = NULL; /* Increment needs no implicit handle: c binds it */
    assert_int_equal(Increment(c), 11);
    assert_int_equal(Increment(c), 12);
    assert_int_equal(rs_last_call_status(), RS_OK);

    Close(&c);
    assert_int_equal(rs_last_call_status(), RS_OK);
    assert_null(c); /* the server sent zeros: the runtime freed the handle */
    assert_true(wire_is_zero(rs_client_context_wire(c)));
    stats after = server_stats(client);
    assert_int_equal(after.open, before.open);
    assert_int_equal(after.run_down, before.run_down); /* closed, not run down */
    rs_client_close(client);
}

/* A procedure that opens nothing sends zeros: the caller gets NULL, and the call succeeded. */
static void test_open_returns_null(void **state)
{
    (void)state;
    rs_client *client = open_client();
    counter_IfHandle = client;
    COUNTER c = (COUNTER)&c; /* [out] only: whatever it held is overwritten */
    Open(-1, &c);
    assert_int_equal(rs_last_call_status(), RS_OK);
    assert_null(c);
    rs_client_close(client);
}

/* [in, out]: NULL on the way in (the implicit handle binds the call, the procedure opens one);
 * non-NULL (the same object comes back, with the same UUID). */
static void test_in_out(void **state)
{
    (void)state;
    rs_client *client = open_client();
    counter_IfHandle = client;
    COUNTER c = NULL;
    Set(5, &c);
    assert_int_equal(rs_last_call_status(), RS_OK);
    assert_non_null(c);
    rs_ndr_context_handle w = rs_client_context_wire(c);
    assert_int_equal(Increment(c), 6);

    COUNTER same = c;
    Set(1, &c);
    assert_int_equal(rs_last_call_status(), RS_OK);
    assert_ptr_equal(c, same);
    rs_ndr_context_handle w2 = rs_client_context_wire(c);
    assert_memory_equal(&w.uuid, &w2.uuid, sizeof w.uuid);
    assert_int_equal(Increment(c), 2);

    Close(&c);
    assert_null(c);
    COUNTER none = NULL;
    Close(&none); /* NULL in, NULL out: the procedure had nothing to close */
    assert_int_equal(rs_last_call_status(), RS_OK);
    assert_null(none);
    rs_client_close(client);
}

/* The server answers a handle it does not hold with nca_s_fault_context_mismatch, zeros passed
 * [in] with rpc_x_ss_in_null_context, and keeps serving the connection. */
static void test_unknown_handle_faults(void **state)
{
    (void)state;
    rs_client *client = open_client();
    uint32_t fault = 0;
    rs_ndr_context_handle made_up = {0};
    assert_int_equal(rs_uuid_generate(&made_up.uuid), RS_OK);
    assert_int_equal(increment_raw(client, &made_up, &fault), RS_ERR_FAULT);
    assert_int_equal(fault, RS_nca_s_fault_context_mismatch);
    assert_int_equal(rs_last_call_fault(), 0x1C00001Au);
    assert_non_null(strstr(rs_last_call_error()->message, "nca_s_fault_context_mismatch"));
    assert_non_null(strstr(rs_last_call_error()->message, "did not execute"));

    rs_ndr_context_handle zeros = {0};
    assert_int_equal(increment_raw(client, &zeros, &fault), RS_ERR_FAULT);
    assert_int_equal(fault, RS_rpc_x_ss_in_null_context);

    /* A handle that was closed is unknown too. */
    counter_IfHandle = client;
    COUNTER c = NULL;
    Open(3, &c);
    rs_ndr_context_handle old = rs_client_context_wire(c);
    Close(&c);
    assert_int_equal(increment_raw(client, &old, &fault), RS_ERR_FAULT);
    assert_int_equal(fault, RS_nca_s_fault_context_mismatch);

    /* A handle of another type: a LABEL where a COUNTER is expected. (C cannot tell them apart,
     * as with MIDL: both are void *; the server can.) */
    LABEL label = NULL;
    Label("not a counter", &label);
    assert_int_equal(rs_last_call_status(), RS_OK);
    assert_non_null(label);
    assert_int_equal(Increment(label), 0);
    assert_int_equal(rs_last_call_status(), RS_ERR_FAULT);
    assert_int_equal(rs_last_call_fault(), RS_nca_s_fault_context_mismatch);
    rs_client_context_destroy(label); /* the server runs it down when the connection closes */

    /* The connection is still good. */
    Open(7, &c);
    assert_int_equal(Increment(c), 8);
    Close(&c);
    assert_null(c);
    rs_client_close(client);
}

/* Two clients: each has its own counters; one cannot use the other's, even knowing its UUID. */
static void test_two_clients_independent(void **state)
{
    (void)state;
    rs_client *a = open_client(), *b = open_client();
    COUNTER ca = NULL, cb = NULL;
    counter_IfHandle = a;
    Open(100, &ca);
    counter_IfHandle = b;
    Open(200, &cb);
    counter_IfHandle = NULL;
    assert_ptr_equal(rs_client_context_client(ca), a);
    assert_ptr_equal(rs_client_context_client(cb), b);
    assert_int_equal(Increment(ca), 101);
    assert_int_equal(Increment(cb), 201);
    assert_int_equal(Increment(ca), 102);
    assert_int_equal(Increment(cb), 202);

    uint32_t fault = 0;
    rs_ndr_context_handle wa = rs_client_context_wire(ca);
    assert_int_equal(increment_raw(b, &wa, &fault), RS_ERR_FAULT);
    assert_int_equal(fault, RS_nca_s_fault_context_mismatch);
    assert_int_equal(Increment(ca), 103); /* untouched by b's attempt */

    Close(&ca);
    Close(&cb);
    assert_null(ca);
    assert_null(cb);
    rs_client_close(a);
    rs_client_close(b);
}

/* A NULL [in] handle never leaves the client: RS_ERR_NULL_CONTEXT, as MIDL's
 * RPC_X_SS_IN_NULL_CONTEXT; a failed call returns 0. */
static void test_null_in_refused(void **state)
{
    (void)state;
    rs_client *client = open_client();
    stats before = server_stats(client);
    assert_int_equal(Increment(NULL), 0);
    assert_int_equal(rs_last_call_status(), RS_ERR_NULL_CONTEXT);
    assert_non_null(strstr(rs_last_call_error()->message, "NULL"));
    /* nothing reached the server: the same connection, the same numbers */
    stats after = server_stats(client);
    assert_memory_equal(&before, &after, sizeof before);
    rs_client_close(client);
}

/* The client goes away without Close: the server runs each of its handles down, with the
 * pointer the procedure made, and logs the close. A handle whose client was closed is refused
 * client-side and left as it was, for the program to free. */
static void test_rundown_on_drop(void **state)
{
    (void)state;
    rs_client *watcher = open_client();
    stats before = server_stats(watcher);

    rs_client *doomed = open_client();
    COUNTER c1 = NULL, c2 = NULL;
    counter_IfHandle = doomed;
    Open(5, &c1);
    Open(7, &c2);
    assert_int_equal(Increment(c1), 6);
    assert_int_equal(server_stats(watcher).open, before.open + 2);

    rs_client_close(doomed); /* the connection drops; c1 and c2 are detached, still ours */
    stats now = before;
    int64_t deadline = now_ms() + RUNDOWN_WAIT_MS;
    while (now.run_down < before.run_down + 2 && now_ms() < deadline) {
        sleep_ms(10);
        now = server_stats(watcher);
    }
    assert_int_equal(now.run_down, before.run_down + 2);
    assert_int_equal(now.run_down_sum, before.run_down_sum + 6 + 7); /* the server's own values */
    assert_int_equal(now.open, before.open);
    assert_true(log_has("2 context handles run down"));
    assert_true(log_has("accepted 127.0.0.1:"));

    /* A handle of a closed client: refused before anything is sent; an [in, out] one stays. */
    assert_null(rs_client_context_client(c1));
    assert_int_equal(Increment(c1), 0);
    assert_int_equal(rs_last_call_status(), RS_ERR_INVALID_ARG);
    COUNTER kept = c2;
    Close(&c2);
    assert_int_equal(rs_last_call_status(), RS_ERR_INVALID_ARG);
    assert_ptr_equal(c2, kept);
    rs_client_context_destroy(c1); /* RpcSsDestroyClientContext: the client's side only */
    rs_client_context_destroy(c2);
    rs_client_close(watcher);
}

/* Destroying a live handle tells the server nothing: its counter is run down when the
 * connection closes, not before. */
static void test_destroy_client_side(void **state)
{
    (void)state;
    rs_client *watcher = open_client();
    rs_client *client = open_client();
    counter_IfHandle = client;
    COUNTER c = NULL;
    Open(40, &c);
    stats before = server_stats(watcher);
    rs_client_context_destroy(c);
    c = NULL;
    assert_int_equal(server_stats(watcher).run_down, before.run_down);
    rs_client_close(client);
    stats now = before;
    int64_t deadline = now_ms() + RUNDOWN_WAIT_MS;
    while (now.run_down == before.run_down && now_ms() < deadline) {
        sleep_ms(10);
        now = server_stats(watcher);
    }
    assert_int_equal(now.run_down, before.run_down + 1);
    assert_int_equal(now.run_down_sum, before.run_down_sum + 40);
    rs_client_close(watcher);
}

/* Many clients at once, each opening, incrementing and closing its own counters: the server's
 * workers share the registry. Only Open takes turns: the implicit handle is one per process,
 * while the other calls are bound by their handles. */
#define THREADS 8
#define ROUNDS 25

static pthread_mutex_t implicit_lock = PTHREAD_MUTEX_INITIALIZER;

static void *worker(void *arg)
{
    intptr_t id = (intptr_t)arg;
    rs_client *c = NULL;
    rs_error err = {0};
    if (rs_client_open(binding, NULL, &c, &err) != RS_OK)
        return (void *)1;
    intptr_t bad = 0;
    for (int i = 0; i < ROUNDS; i++) {
        int32_t start = (int32_t)(id * 1000 + i * 10);
        COUNTER h = NULL;
        pthread_mutex_lock(&implicit_lock);
        counter_IfHandle = c;
        Open(start, &h);
        pthread_mutex_unlock(&implicit_lock);
        if (h == NULL || Increment(h) != start + 1 || Increment(h) != start + 2)
            bad++;
        Close(&h);
        if (h != NULL || rs_last_call_status() != RS_OK) /* per thread */
            bad++;
    }
    rs_client_close(c);
    return (void *)bad;
}

static void test_many_clients(void **state)
{
    (void)state;
    rs_client *watcher = open_client();
    stats before = server_stats(watcher);
    pthread_t threads[THREADS];
    for (intptr_t i = 0; i < THREADS; i++)
        assert_int_equal(pthread_create(&threads[i], NULL, worker, (void *)i), 0);
    for (int i = 0; i < THREADS; i++) {
        void *bad = NULL;
        pthread_join(threads[i], &bad);
        assert_int_equal((intptr_t)bad, 0);
    }
    stats after = server_stats(watcher);
    assert_int_equal(after.open, before.open);
    assert_int_equal(after.run_down, before.run_down);
    rs_client_close(watcher);
}

/* How many lines of the server's log contain `what`. */
static int log_count(const char *what)
{
    FILE *f = fopen(log_path, "r");
    char line[512];
    int n = 0;
    while (f != NULL && fgets(line, sizeof line, f) != NULL)
        n += strstr(line, what) != NULL;
    if (f != NULL)
        fclose(f);
    return n;
}

/* The child of test_client_killed_mid_call: opens a counter at 40, then calls Increment until it
 * is killed, so that the kill finds it in a call (or between two calls a few microseconds
 * apart). Never returns. */
static void call_until_killed(void)
{
    rs_client *c = NULL;
    rs_error err = {0};
    if (rs_client_open(binding, NULL, &c, &err) != RS_OK)
        _exit(1);
    counter_IfHandle = c;
    COUNTER h = NULL;
    Open(40, &h);
    if (h == NULL)
        _exit(1);
    for (;;)
        if (Increment(h) == 0)
            _exit(1);
}

/* A client killed while it calls: the kernel closes its connection mid-call, and the server
 * frees what it held for it -- the counter is run down once, with the value the client's calls
 * left, and the connection is closed and logged -- as if the client had closed cleanly. */
static void test_client_killed_mid_call(void **state)
{
    (void)state;
    rs_client *watcher = open_client();
    stats before = server_stats(watcher);
    int closed_before = log_count(", 1 context handle run down)");
    pid_t child = fork();
    assert_true(child >= 0);
    if (child == 0)
        call_until_killed();

    stats now = before;
    int64_t deadline = now_ms() + RUNDOWN_WAIT_MS;
    while (now.open < before.open + 1 && now_ms() < deadline) {
        sleep_ms(5);
        now = server_stats(watcher);
    }
    assert_int_equal(now.open, before.open + 1);
    sleep_ms(200); /* a few thousand Increments */
    kill(child, SIGKILL);
    int status = 0;
    while (waitpid(child, &status, 0) < 0 && errno == EINTR)
        ;
    assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL); /* it was still calling */

    deadline = now_ms() + RUNDOWN_WAIT_MS;
    while (now.run_down < before.run_down + 1 && now_ms() < deadline) {
        sleep_ms(10);
        now = server_stats(watcher);
    }
    assert_int_equal(now.run_down, before.run_down + 1);
    assert_int_equal(now.open, before.open);
    assert_true(now.run_down_sum - before.run_down_sum > 40); /* the value it had reached */
    deadline = now_ms() + RUNDOWN_WAIT_MS;
    while (log_count(", 1 context handle run down)") == closed_before && now_ms() < deadline)
        sleep_ms(10);
    assert_int_equal(log_count(", 1 context handle run down)"), closed_before + 1);
    rs_client_close(watcher);
}

int main(int argc, char **argv)
{
    const char *slash = strrchr(argv[0], '/');
    snprintf(server_path, sizeof server_path, "%.*scounter_server",
             slash != NULL ? (int)(slash - argv[0] + 1) : 0, argv[0]);
    (void)argc;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_open_increment_close),
        cmocka_unit_test(test_open_returns_null),
        cmocka_unit_test(test_in_out),
        cmocka_unit_test(test_unknown_handle_faults),
        cmocka_unit_test(test_two_clients_independent),
        cmocka_unit_test(test_null_in_refused),
        cmocka_unit_test(test_rundown_on_drop),
        cmocka_unit_test(test_destroy_client_side),
        cmocka_unit_test(test_many_clients),
        cmocka_unit_test(test_client_killed_mid_call),
    };
    return cmocka_run_group_tests(tests, start_server, stop_server);
}
