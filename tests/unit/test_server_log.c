/* test_server_log.c -- the server's log callback (rs_server_options.log): one line per connection
 * accepted, refused and closed, with its calls, the context handles run down, and why when the
 * server closed it.
 *
 * A server in a thread serves two operations, written by hand in the shape rpcidl generates:
 *
 *   [uuid(6a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d), version(1.0)]
 *   interface ping {
 *       typedef [context_handle] void *TOKEN;
 *       long Ping([in] long x);                                                         // 0
 *       void Take([in] long x, [out] TOKEN *t);                                         // 1
 *   }
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "client.h"
#include "server.h"

#define PING_UUID {0x6a1b2c3d, 0x4e5f, 0x4a6b, {0x8c, 0x7d}, {0x9e, 0x0f, 0x1a, 0x2b, 0x3c, 0x4d}}

/* How long a line may take to appear: the server logs a close once it has seen it. */
#define LOG_WAIT_MS 5000

static rs_status ping_stub(rs_server_call *call)
{
    int32_t x = 0;
    rs_status st = rs_ndr_get_long(&call->in, "x", &x);
    if (st != RS_OK)
        return st;
    call->executed = true;
    return rs_ndr_put_long(&call->out, "return", x + 1);
}

/* A TOKEN is a malloc()ed long; its rundown adds what it held to run_down_sum. */
static pthread_mutex_t token_lock = PTHREAD_MUTEX_INITIALIZER;
static int32_t run_down_sum;

static void TOKEN_rundown(void *token)
{
    pthread_mutex_lock(&token_lock);
    run_down_sum += *(int32_t *)token;
    pthread_mutex_unlock(&token_lock);
    free(token);
}

static const rs_context_type token_type = {"ping.TOKEN", TOKEN_rundown};

static rs_status take_stub(rs_server_call *call)
{
    int32_t x = 0;
    rs_ndr_context_handle t_wire = {0};
    rs_status st = rs_ndr_get_long(&call->in, "x", &x);
    if (st != RS_OK)
        return st;
    call->executed = true;
    int32_t *token = malloc(sizeof *token); /* the procedure */
    if (token != NULL)
        *token = x;
    return rs_server_put_context_handle(call, "t", &token_type, &t_wire, token);
}

static const rs_operation ping_server_ops[] = {{"Ping", ping_stub}, {"Take", take_stub}};
static const rs_interface ping_server = {"ping", {PING_UUID, 1, 0}, ping_server_ops, 2};
static const rs_operation ping_client_ops[] = {{"Ping", NULL}, {"Take", NULL}};
static const rs_interface ping_client = {"ping", {PING_UUID, 1, 0}, ping_client_ops, 2};

/* ---- the log, as the callback collects it ---------------------------------------------------- */

#define LOG_MAX 64

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static char log_lines[LOG_MAX][256];
static int log_count;
static pthread_t log_thread;
static bool log_thread_seen, log_other_thread;

static void collect(void *ctx, const char *line)
{
    (void)ctx;
    pthread_mutex_lock(&log_lock);
    if (!log_thread_seen)
        log_thread = pthread_self();
    log_other_thread |= log_thread_seen && !pthread_equal(log_thread, pthread_self());
    log_thread_seen = true;
    if (log_count < LOG_MAX)
        snprintf(log_lines[log_count++], sizeof log_lines[0], "%s", line);
    pthread_mutex_unlock(&log_lock);
}

static void log_reset(void)
{
    pthread_mutex_lock(&log_lock);
    log_count = 0;
    log_thread_seen = log_other_thread = false;
    pthread_mutex_unlock(&log_lock);
}

static void copy(char *out, size_t size, const char *s)
{
    size_t n = strnlen(s, size - 1);
    memcpy(out, s, n);
    out[n] = '\0';
}

/* The first line that starts with `prefix` and contains `part` (NULL: anything), copied. */
static bool log_find(const char *prefix, const char *part, char *out, size_t size)
{
    bool found = false;
    pthread_mutex_lock(&log_lock);
    for (int i = 0; i < log_count && !found; i++) {
        if (strncmp(log_lines[i], prefix, strlen(prefix)) == 0 &&
            (part == NULL || strstr(log_lines[i], part) != NULL)) {
            copy(out, size, log_lines[i]);
            found = true;
        }
    }
    pthread_mutex_unlock(&log_lock);
    return found;
}

static bool log_wait(const char *prefix, const char *part, char *out, size_t size)
{
    for (int waited = 0; waited < LOG_WAIT_MS; waited += 10) {
        if (log_find(prefix, part, out, size))
            return true;
        struct timespec ts = {0, 10 * 1000000L};
        nanosleep(&ts, NULL);
    }
    return false;
}

/* ---- the server ------------------------------------------------------------------------------ */

typedef struct running {
    rs_server *server;
    pthread_t thread;
    char binding[128];
} running;

static void *serve(void *arg)
{
    running *r = arg;
    rs_error err = {0};
    rs_status st = rs_server_run(r->server, &err);
    return (void *)(intptr_t)st;
}

static void start(running *r, rs_server_options o)
{
    rs_error err = {0};
    log_reset();
    o.log = collect;
    assert_int_equal(rs_server_create(&o, &r->server), RS_OK);
    assert_int_equal(rs_server_register(r->server, &ping_server, &err), RS_OK);
    assert_int_equal(rs_server_listen(r->server, "ncacn_ip_tcp:127.0.0.1[0]", &err), RS_OK);
    snprintf(r->binding, sizeof r->binding, "%s", rs_server_binding(r->server, 0));
    assert_int_equal(pthread_create(&r->thread, NULL, serve, r), 0);
}

static void stop(running *r)
{
    void *st = NULL;
    rs_server_stop(r->server);
    pthread_join(r->thread, &st);
    assert_int_equal((intptr_t)st, RS_OK);
    rs_server_destroy(r->server);
}

static rs_status ping(rs_client *c, int32_t x, int32_t *result)
{
    rs_client_call call;
    rs_status st = rs_client_call_begin(&call, c, &ping_client, 0);
    if (st == RS_OK)
        st = rs_ndr_put_long(&call.ndr, "x", x);
    if (st == RS_OK)
        st = rs_client_call_invoke(&call);
    if (st == RS_OK)
        st = rs_ndr_get_long(&call.ndr, "return", result);
    return rs_client_call_end(&call, st);
}

/* Take(x) by hand: the handle's 20 bytes come back. */
static rs_status take(rs_client *c, int32_t x, rs_ndr_context_handle *t)
{
    rs_client_call call;
    rs_status st = rs_client_call_begin(&call, c, &ping_client, 1);
    if (st == RS_OK)
        st = rs_ndr_put_long(&call.ndr, "x", x);
    if (st == RS_OK)
        st = rs_client_call_invoke(&call);
    if (st == RS_OK)
        st = rs_ndr_get_context_handle(&call.ndr, "t", t);
    return rs_client_call_end(&call, st);
}

static rs_client *client_for(const running *r)
{
    rs_client *c = NULL;
    rs_error err = {0};
    assert_int_equal(rs_client_open(r->binding, NULL, &c, &err), RS_OK);
    return c;
}

/* ---- the tests ------------------------------------------------------------------------------- */

/* "accepted PEER" when a client connects; "closed PEER (N calls)" when it leaves; both from the
 * thread running the server, one at a time. */
static void test_accepted_and_closed(void **state)
{
    (void)state;
    running r;
    start(&r, (rs_server_options){0});
    rs_client *c = client_for(&r);
    int32_t v = 0;
    assert_int_equal(ping(c, 1, &v), RS_OK);
    assert_int_equal(ping(c, 2, &v), RS_OK);
    assert_int_equal(ping(c, 3, &v), RS_OK);
    assert_int_equal(v, 4);
    char line[256], peer[256];
    assert_true(log_wait("accepted 127.0.0.1:", NULL, line, sizeof line));
    copy(peer, sizeof peer, line + strlen("accepted "));
    rs_client_close(c);
    assert_true(log_wait("closed ", peer, line, sizeof line));
    char want[300];
    snprintf(want, sizeof want, "closed %s (3 calls)", peer);
    assert_string_equal(line, want);
    stop(&r);
    assert_false(log_other_thread);
}

/* Beyond max_connections: "refused PEER: already 1 connection (max_connections)". */
static void test_refused(void **state)
{
    (void)state;
    running r;
    start(&r, (rs_server_options){.max_connections = 1});
    rs_client *first = client_for(&r), *second = client_for(&r);
    int32_t v = 0;
    assert_int_equal(ping(first, 1, &v), RS_OK);
    assert_int_not_equal(ping(second, 1, &v), RS_OK); /* accepted and closed at once */
    char line[256];
    assert_true(log_wait("refused 127.0.0.1:", ": already 1 connection (max_connections)", line,
                         sizeof line));
    rs_client_close(second);
    rs_client_close(first);
    stop(&r);
}

/* The server's own reasons: the idle timeout, and stopping. */
static void test_closed_by_the_server(void **state)
{
    (void)state;
    running r;
    start(&r, (rs_server_options){.idle_timeout_ms = 100});
    rs_client *c = client_for(&r);
    int32_t v = 0;
    assert_int_equal(ping(c, 1, &v), RS_OK);
    char line[256];
    assert_true(log_wait("closed ", "(1 call, idle for 100 ms)", line, sizeof line));
    rs_client_close(c);
    stop(&r);

    start(&r, (rs_server_options){0});
    c = client_for(&r);
    assert_int_equal(ping(c, 1, &v), RS_OK);
    assert_true(log_wait("accepted ", NULL, line, sizeof line));
    stop(&r);
    assert_true(log_find("closed ", "(1 call, the server stops)", line, sizeof line));
    rs_client_close(c);
}

/* A connection that closes with context handles open: each is run down (its rundown gets the
 * procedure's pointer), the registry forgets it, and the log line counts them. */
static void test_closed_with_handles(void **state)
{
    (void)state;
    running r;
    start(&r, (rs_server_options){0});
    rs_client *c = client_for(&r);
    rs_ndr_context_handle t1, t2;
    assert_int_equal(take(c, 20, &t1), RS_OK);
    assert_int_equal(take(c, 22, &t2), RS_OK);
    assert_false(rs_uuid_is_nil(&t1.uuid));
    assert_int_not_equal(rs_uuid_compare(&t1.uuid, &t2.uuid), 0);
    assert_int_equal(rs_server_context_count(r.server), 2);
    pthread_mutex_lock(&token_lock);
    run_down_sum = 0;
    pthread_mutex_unlock(&token_lock);
    rs_client_close(c);
    char line[256];
    assert_true(log_wait("closed ", "(2 calls, 2 context handles run down)", line, sizeof line));
    assert_int_equal(rs_server_context_count(r.server), 0);
    pthread_mutex_lock(&token_lock);
    assert_int_equal(run_down_sum, 42);
    pthread_mutex_unlock(&token_lock);
    stop(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_accepted_and_closed),
        cmocka_unit_test(test_refused),
        cmocka_unit_test(test_closed_by_the_server),
        cmocka_unit_test(test_closed_with_handles),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
