/* test_trace_sink.c -- the hook's sinks and step gate, with a test thread (or the test itself)
 * acting as the simulator on a real Unix or TCP socket.
 *
 * What is checked: the preamble arrives on connect; records from 4 threads arrive whole and in
 * seq order; in step mode the emitting thread really waits until released, and the clock stands
 * still meanwhile; a simulator that closes, or releases the wrong seq, opens the gate and turns
 * tracing off without troubling the caller; a socket nobody listens on leaves tracing off with a
 * reason; file sinks append (one preamble) and refuse files that are not traces; callbacks get
 * the documented PARAM and PROCEDURE events with the current call's fields; the environment is
 * read once; a forked child lets go of its parent's connection.
 *
 * The environment tests come first: the environment is only read before the program itself
 * chooses a sink, and only once per process (the failure case runs in a forked child). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

#include "trace.h"
#include "transport.h"

#define WAIT_MS 5000 /* the longest any read in these tests waits: only a failing test waits */

/* ---- helpers --------------------------------------------------------------------------------- */

static int64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

/* A private folder for socket and trace files; removed with what is in it by tmp_remove(). */
typedef struct tmp {
    char dir[64];
    char path[128];
} tmp;

static void tmp_make(tmp *t, const char *file)
{
    snprintf(t->dir, sizeof t->dir, "/tmp/rstrace-XXXXXX");
    assert_non_null(mkdtemp(t->dir));
    snprintf(t->path, sizeof t->path, "%s/%s", t->dir, file);
}

static void tmp_remove(tmp *t)
{
    unlink(t->path);
    assert_int_equal(rmdir(t->dir), 0);
}

static void set_sun_path(struct sockaddr_un *sa, const char *path)
{
    size_t n = strlen(path);
    assert_true(n < sizeof sa->sun_path);
    memcpy(sa->sun_path, path, n + 1);
}

/* The simulator's end: a listener, the accepted connection, and the bytes read so far. */
typedef struct sim {
    tmp t;
    int listen_fd;
    int fd;
    uint8_t *data;
    size_t len, cap, used;
    char strings[RS_TRACE_STRINGS_SIZE];
} sim;

static void sim_listen_unix(sim *s)
{
    memset(s, 0, sizeof *s);
    s->fd = -1;
    tmp_make(&s->t, "sim.sock");
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    set_sun_path(&sa, s->t.path);
    s->listen_fd = socket(AF_UNIX, SOCK_STREAM, 0);
    assert_true(s->listen_fd >= 0);
    assert_int_equal(bind(s->listen_fd, (struct sockaddr *)&sa, sizeof sa), 0);
    assert_int_equal(listen(s->listen_fd, 8), 0);
}

/* A listener on 127.0.0.1 and a free port; *port gets it. */
static void sim_listen_tcp(sim *s, unsigned *port)
{
    memset(s, 0, sizeof *s);
    s->fd = -1;
    s->listen_fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(s->listen_fd >= 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(bind(s->listen_fd, (struct sockaddr *)&sa, sizeof sa), 0);
    assert_int_equal(listen(s->listen_fd, 8), 0);
    socklen_t sl = sizeof sa;
    assert_int_equal(getsockname(s->listen_fd, (struct sockaddr *)&sa, &sl), 0);
    *port = ntohs(sa.sin_port);
}

static void sim_accept(sim *s)
{
    struct pollfd p = {.fd = s->listen_fd, .events = POLLIN};
    assert_int_equal(poll(&p, 1, WAIT_MS), 1);
    s->fd = accept(s->listen_fd, NULL, NULL);
    assert_true(s->fd >= 0);
}

/* Reads what is there within `ms`: true if bytes came, false at EOF, an error or the timeout. */
static bool sim_read_more(sim *s, int ms)
{
    struct pollfd p = {.fd = s->fd, .events = POLLIN};
    if (poll(&p, 1, ms) != 1)
        return false;
    if (s->cap - s->len < 4096) {
        s->cap = s->cap ? s->cap * 2 : 65536;
        s->data = realloc(s->data, s->cap);
        assert_non_null(s->data);
    }
    ssize_t n = recv(s->fd, s->data + s->len, s->cap - s->len, 0);
    if (n <= 0)
        return false;
    s->len += (size_t)n;
    return true;
}

static void sim_preamble(sim *s)
{
    while (s->len - s->used < RS_TRACE_PREAMBLE_SIZE)
        assert_true(sim_read_more(s, WAIT_MS));
    rs_buf in;
    rs_buf_view(&in, s->data + s->used, s->len - s->used);
    assert_int_equal(rs_trace_get_preamble(&in), RS_OK);
    s->used += in.pos;
}

/* The next record, reading more as long as it is incomplete. Its strings live in s->strings and
 * its bytes in s->data, until the next call. */
static void sim_next(sim *s, rs_trace_event *ev)
{
    for (;;) {
        rs_buf in;
        rs_buf_view(&in, s->data + s->used, s->len - s->used);
        rs_status st = rs_trace_decode(&in, ev, s->strings);
        if (st == RS_OK) {
            s->used += in.pos;
            return;
        }
        assert_int_equal(st, RS_ERR_TRUNCATED);
        assert_true(sim_read_more(s, WAIT_MS));
    }
}

static void sim_release(sim *s, uint64_t seq)
{
    uint8_t r[RS_TRACE_RELEASE_SIZE];
    rs_trace_put_release(r, seq, (rs_trace_verdict){.kind = RS_TRACE_GO});
    assert_int_equal(send(s->fd, r, sizeof r, MSG_NOSIGNAL), (ssize_t)sizeof r);
}

/* Nothing more arrives within `ms`. */
static void sim_quiet(sim *s, int ms)
{
    struct pollfd p = {.fd = s->fd, .events = POLLIN};
    assert_int_equal(poll(&p, 1, ms), 0);
}

static void sim_close(sim *s)
{
    if (s->fd >= 0)
        close(s->fd);
    if (s->listen_fd >= 0)
        close(s->listen_fd);
    if (s->t.dir[0] != '\0')
        tmp_remove(&s->t);
    free(s->data);
    s->fd = s->listen_fd = -1;
    s->data = NULL;
}

/* Opens a Unix socket sink on a fresh simulator and reads the preamble. */
static void sim_start_unix(sim *s, bool step)
{
    rs_error err = {0};
    sim_listen_unix(s);
    assert_int_equal(rs_trace_open(s->t.path, step, &err), RS_OK);
    assert_true(rs_trace_enabled());
    assert_string_equal(rs_trace_last_error(), "");
    sim_accept(s);
    sim_preamble(s);
}

static uint8_t *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    uint8_t *data = malloc(1 << 20);
    assert_non_null(data);
    *len = fread(data, 1, 1 << 20, f);
    fclose(f);
    return data;
}

static void write_file(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    fclose(f);
}

static void emit_simple(rs_trace_kind kind, const char *name, uint32_t offset)
{
    rs_trace_event ev = {.kind = kind, .name = name, .offset = offset};
    rs_trace_emit(&ev);
}

/* ---- the environment ------------------------------------------------------------------------- */

static void *init_env_thread(void *arg)
{
    (void)arg;
    rs_trace_init_from_env();
    return NULL;
}

/* Four threads race to read the environment: one sink, one preamble. Later calls do nothing,
 * even after the program closed the sink. */
static void test_init_from_env_once(void **state)
{
    (void)state;
    tmp t;
    tmp_make(&t, "env.rstrace");
    char spec[160];
    snprintf(spec, sizeof spec, "file:%s", t.path);
    assert_int_equal(setenv("RPCSCOPE_TRACE", spec, 1), 0);
    assert_int_equal(setenv("RPCSCOPE_STEP", "1", 1), 0); /* nobody releases a file: ignored */
    assert_false(rs_trace_enabled());

    pthread_t th[4];
    for (int i = 0; i < 4; i++)
        assert_int_equal(pthread_create(&th[i], NULL, init_env_thread, NULL), 0);
    for (int i = 0; i < 4; i++)
        assert_int_equal(pthread_join(th[i], NULL), 0);
    assert_true(rs_trace_enabled());
    emit_simple(RS_TRACE_LISTEN, "env", 1); /* returns at once: no gate on a file */
    rs_trace_init_from_env();
    emit_simple(RS_TRACE_LISTEN, "env", 2);
    rs_trace_close();
    assert_false(rs_trace_enabled());
    rs_trace_init_from_env();
    assert_false(rs_trace_enabled());

    size_t len;
    uint8_t *data = read_file(t.path, &len);
    rs_buf in;
    rs_buf_view(&in, data, len);
    assert_int_equal(rs_trace_get_preamble(&in), RS_OK);
    char *strings = malloc(RS_TRACE_STRINGS_SIZE);
    assert_non_null(strings);
    for (uint32_t i = 1; i <= 2; i++) {
        rs_trace_event ev;
        assert_int_equal(rs_trace_decode(&in, &ev, strings), RS_OK);
        assert_int_equal(ev.kind, RS_TRACE_LISTEN);
        assert_int_equal(ev.offset, i);
        assert_int_equal(ev.pid, (uint32_t)getpid());
    }
    assert_int_equal(rs_buf_remaining(&in), 0);
    free(strings);
    free(data);
    tmp_remove(&t);
    unsetenv("RPCSCOPE_TRACE");
    unsetenv("RPCSCOPE_STEP");
}

/* In a child process (the environment is read once per process): a sink that cannot be opened
 * leaves tracing off, with the reason. */
static void test_init_from_env_failure(void **state)
{
    (void)state;
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int rc = 0;
        if (setenv("RPCSCOPE_TRACE", "/nonexistent-rpcscope-dir/sim.sock", 1) != 0)
            _exit(10);
        rs_trace_init_from_env();
        if (rs_trace_enabled())
            rc = 11;
        else if (strstr(rs_trace_last_error(), "RPCSCOPE_TRACE=/nonexistent") == NULL)
            rc = 12;
        else if (strstr(rs_trace_last_error(), "cannot connect") == NULL)
            rc = 13;
        _exit(rc);
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}

/* ---- socket sinks ---------------------------------------------------------------------------- */

static void test_unix_sink(void **state)
{
    (void)state;
    sim s;
    sim_start_unix(&s, false);
    static const uint8_t ndr[4] = {0x0d, 0, 0, 0};
    rs_trace_set_call(RS_TRACE_ROLE_CLIENT, "hello", "HelloProc", 3, 0);
    rs_trace_event ev = {
        .kind = RS_TRACE_NDR_PUT,
        .name = "pszString",
        .ndr_type = "unsigned long",
        .ndr_role = 2,
        .length = 4,
        .bytes = ndr,
        .bytes_len = 4,
    };
    int64_t before = rs_trace_clock_ns();
    rs_trace_emit(&ev);
    rs_trace_clear_call();
    assert_true(ev.seq > 0); /* filled in for the caller too */

    /* An NDR_PUT is held back, and written without being asked within 2 ms (trace.h). */
    rs_trace_event got;
    sim_next(&s, &got);
    assert_int_equal(got.kind, RS_TRACE_NDR_PUT);
    assert_int_equal(got.layer, RS_TRACE_LAYER_STUB);
    assert_int_equal(got.role, RS_TRACE_ROLE_CLIENT);
    assert_int_equal(got.pid, (uint32_t)getpid());
    assert_true(got.seq == ev.seq);
    assert_true((int64_t)got.time_ns >= before && (int64_t)got.time_ns <= rs_trace_clock_ns());
    assert_int_equal(got.call_id, 3);
    assert_string_equal(got.interface, "hello");
    assert_string_equal(got.procedure, "HelloProc");
    assert_string_equal(got.name, "pszString");
    assert_int_equal(got.ndr_role, 2);
    assert_int_equal(got.bytes_len, 4);
    assert_memory_equal(got.bytes, ndr, 4);

    rs_trace_close();
    assert_false(rs_trace_enabled());
    assert_false(sim_read_more(&s, WAIT_MS)); /* the connection closed */
    sim_close(&s);
}

#define EMITTERS 4
#define EACH 250

static void *emitter(void *arg)
{
    int id = (int)(intptr_t)arg;
    static const char *const names[EMITTERS] = {"t0", "t1", "t2", "t3"};
    rs_trace_set_call(RS_TRACE_ROLE_SERVER, "iface", "Proc", (uint32_t)id + 100, (uint16_t)id);
    for (uint32_t i = 0; i < EACH; i++) {
        uint8_t bytes[64];
        memset(bytes, id, sizeof bytes);
        rs_trace_event ev = {
            .kind = RS_TRACE_NDR_GET, .name = names[id], .offset = i,
            .bytes = bytes, .bytes_len = sizeof bytes,
        };
        rs_trace_emit(&ev);
    }
    rs_trace_flush(); /* as the runtime does before it waits */
    rs_trace_clear_call();
    return NULL;
}

/* Records from 4 threads arrive whole, in seq order, each thread's in its own order, each with
 * its own thread's call. */
static void test_concurrent_emitters(void **state)
{
    (void)state;
    sim s;
    sim_start_unix(&s, false);
    pthread_t th[EMITTERS];
    for (int i = 0; i < EMITTERS; i++)
        assert_int_equal(pthread_create(&th[i], NULL, emitter, (void *)(intptr_t)i), 0);
    uint32_t next[EMITTERS] = {0};
    uint64_t last_seq = 0;
    for (int n = 0; n < EMITTERS * EACH; n++) {
        rs_trace_event ev;
        sim_next(&s, &ev);
        if (n > 0)
            assert_true(ev.seq == last_seq + 1);
        last_seq = ev.seq;
        assert_true(ev.name[0] == 't' && ev.name[1] >= '0' && ev.name[1] < '0' + EMITTERS);
        int id = ev.name[1] - '0';
        assert_int_equal(ev.offset, next[id]++);
        assert_int_equal(ev.call_id, 100 + id);
        assert_int_equal(ev.opnum, id);
        assert_int_equal(ev.bytes_len, 64);
        for (int b = 0; b < 64; b++)
            assert_int_equal(ev.bytes[b], id);
    }
    for (int i = 0; i < EMITTERS; i++)
        assert_int_equal(pthread_join(th[i], NULL), 0);
    rs_trace_close();
    sim_close(&s);
}

typedef struct gated {
    atomic_bool done;
    int64_t clock_before, clock_after; /* rs_trace_clock_ns() around the emit */
    int64_t real_before, real_after;   /* the monotonic clock around it */
    uint64_t seq;
} gated;

static void *gated_emitter(void *arg)
{
    gated *g = arg;
    rs_trace_event ev = {.kind = RS_TRACE_PROCEDURE_ENTER, .procedure = "HelloProc"};
    g->real_before = mono_ns();
    g->clock_before = rs_trace_clock_ns();
    rs_trace_emit(&ev);
    g->clock_after = rs_trace_clock_ns();
    g->real_after = mono_ns();
    g->seq = ev.seq;
    atomic_store(&g->done, true);
    return NULL;
}

/* The emitting thread waits until the simulator releases its record; the clock stands still
 * meanwhile, for every thread; the runtime's rs_clock_ns() is that clock. */
static void test_step_gate_holds(void **state)
{
    (void)state;
    sim s;
    sim_start_unix(&s, true);
    gated g = {.done = false};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, gated_emitter, &g), 0);
    rs_trace_event ev;
    sim_next(&s, &ev);
    assert_int_equal(ev.kind, RS_TRACE_PROCEDURE_ENTER);
    assert_string_equal(ev.procedure, "HelloProc");

    sleep_ms(200);
    assert_false(atomic_load(&g.done)); /* really waiting */
    int64_t c0 = rs_trace_clock_ns(), t0 = rs_clock_ns();
    sleep_ms(150);
    int64_t c1 = rs_trace_clock_ns(), t1 = rs_clock_ns();
    assert_true(c1 - c0 < 50 * 1000000); /* stood still (exactly, once the wait has begun) */
    assert_true(t1 - t0 < 50 * 1000000);
    assert_false(atomic_load(&g.done));

    sim_release(&s, ev.seq);
    assert_int_equal(pthread_join(th, NULL), 0);
    assert_true(atomic_load(&g.done));
    assert_true(g.seq == ev.seq);
    assert_true(g.real_after - g.real_before >= 350 * 1000000);
    assert_true(g.clock_after - g.clock_before < 150 * 1000000); /* generous: sanitizers */
    assert_true(mono_ns() - rs_clock_ns() >= 300 * 1000000);      /* the pause is excluded */
    assert_true(rs_trace_enabled());
    assert_string_equal(rs_trace_last_error(), "");

    /* The clock never goes back. */
    int64_t prev = rs_trace_clock_ns();
    for (int i = 0; i < 1000; i++) {
        int64_t now = rs_trace_clock_ns();
        assert_true(now >= prev);
        prev = now;
    }
    rs_trace_close();
    sim_close(&s);
}

#define STEPPERS 4
#define STEPS 10

static void *stepper(void *arg)
{
    (void)arg;
    for (int i = 0; i < STEPS; i++)
        emit_simple(RS_TRACE_PDU_SENT, "step", (uint32_t)i);
    return NULL;
}

/* With 4 threads in step mode, one record is out at a time: nothing more arrives until it is
 * released. */
static void test_step_one_at_a_time(void **state)
{
    (void)state;
    sim s;
    sim_start_unix(&s, true);
    pthread_t th[STEPPERS];
    for (int i = 0; i < STEPPERS; i++)
        assert_int_equal(pthread_create(&th[i], NULL, stepper, NULL), 0);
    uint64_t last = 0;
    for (int n = 0; n < STEPPERS * STEPS; n++) {
        rs_trace_event ev;
        sim_next(&s, &ev);
        if (n > 0)
            assert_true(ev.seq == last + 1);
        last = ev.seq;
        if (n < 3)
            sim_quiet(&s, 30);
        assert_int_equal(s.used, s.len); /* and nothing came with it */
        sim_release(&s, ev.seq);
    }
    for (int i = 0; i < STEPPERS; i++)
        assert_int_equal(pthread_join(th[i], NULL), 0);
    assert_true(rs_trace_enabled());
    rs_trace_close();
    sim_close(&s);
}

/* The simulator goes away while a thread waits at the gate: the gate opens, tracing turns off,
 * and the caller notices nothing. */
static void test_step_simulator_closes(void **state)
{
    (void)state;
    sim s;
    sim_start_unix(&s, true);
    gated g = {.done = false};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, gated_emitter, &g), 0);
    rs_trace_event ev;
    sim_next(&s, &ev);
    sleep_ms(50);
    assert_false(atomic_load(&g.done));
    close(s.fd);
    s.fd = -1;
    assert_int_equal(pthread_join(th, NULL), 0);
    assert_true(atomic_load(&g.done));
    assert_false(rs_trace_enabled());
    assert_non_null(strstr(rs_trace_last_error(), "closed the connection"));
    assert_non_null(strstr(rs_trace_last_error(), "tracing is off"));
    /* Reporting on is harmless and cheap. */
    int x = 5;
    rs_trace_param(RS_TRACE_PARAM_READ, "x", "long", &x, sizeof x, false);
    rs_trace_event late = {.kind = RS_TRACE_CLOSE};
    rs_trace_emit(&late);
    assert_true(late.seq == 0);
    sim_close(&s);
}

/* A release for another record: the stream is out of step, so the sink is dropped. */
static void test_step_wrong_release(void **state)
{
    (void)state;
    sim s;
    sim_start_unix(&s, true);
    gated g = {.done = false};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, gated_emitter, &g), 0);
    rs_trace_event ev;
    sim_next(&s, &ev);
    sim_release(&s, ev.seq + 5);
    assert_int_equal(pthread_join(th, NULL), 0);
    assert_false(rs_trace_enabled());
    assert_non_null(strstr(rs_trace_last_error(), "out of step"));
    assert_false(sim_read_more(&s, WAIT_MS)); /* the process closed its end */
    sim_close(&s);
}

/* The simulator is gone before anything is written: writes fail with EPIPE, never SIGPIPE (which
 * would kill this test), and tracing turns off. */
static void test_simulator_gone_before_write(void **state)
{
    (void)state;
    sim s;
    sim_start_unix(&s, false);
    close(s.fd);
    s.fd = -1;
    for (int i = 0; i < 100 && rs_trace_enabled(); i++)
        emit_simple(RS_TRACE_ERROR, "x", (uint32_t)i);
    assert_false(rs_trace_enabled());
    assert_non_null(strstr(rs_trace_last_error(), "cannot write"));
    sim_close(&s);
}

/* Nobody listens: RS_ERR_CONNECT at once, tracing stays off, and the reason is kept. A path that
 * does not fit a socket name is refused before anything is tried. */
static void test_nobody_listens(void **state)
{
    (void)state;
    tmp t;
    tmp_make(&t, "nobody.sock");
    rs_error err = {0};
    assert_int_equal(rs_trace_open(t.path, true, &err), RS_ERR_CONNECT);
    assert_false(rs_trace_enabled());
    assert_non_null(strstr(err.message, t.path));
    assert_string_equal(rs_trace_last_error(), err.message);

    /* A stale socket file: the simulator crashed without removing it. */
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    set_sun_path(&sa, t.path);
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    close(fd);
    rs_error_clear(&err);
    assert_int_equal(rs_trace_open(t.path, false, &err), RS_ERR_CONNECT);
    assert_false(rs_trace_enabled());
    assert_non_null(strstr(err.message, "refused"));

    char long_path[300];
    memset(long_path, 'p', sizeof long_path - 1);
    long_path[sizeof long_path - 1] = '\0';
    rs_error_clear(&err);
    assert_int_equal(rs_trace_open(long_path, false, &err), RS_ERR_INVALID_ARG);
    rs_error_clear(&err);
    assert_int_equal(rs_trace_open("", false, &err), RS_ERR_INVALID_ARG);
    assert_int_equal(rs_trace_open(NULL, false, NULL), RS_ERR_INVALID_ARG);
    assert_false(rs_trace_enabled());
    tmp_remove(&t);
}

static void test_tcp_sink(void **state)
{
    (void)state;
    sim s;
    unsigned port;
    sim_listen_tcp(&s, &port);
    char spec[64];
    snprintf(spec, sizeof spec, "tcp:127.0.0.1:%u", port);
    rs_error err = {0};
    assert_int_equal(rs_trace_open(spec, false, &err), RS_OK);
    sim_accept(&s);
    sim_preamble(&s);
    emit_simple(RS_TRACE_CONNECT, "tcp", 7);
    rs_trace_event ev;
    sim_next(&s, &ev);
    assert_int_equal(ev.kind, RS_TRACE_CONNECT);
    assert_int_equal(ev.layer, RS_TRACE_LAYER_TRANSPORT);
    assert_int_equal(ev.offset, 7);
    rs_trace_close();
    sim_close(&s);

    /* The port is free again: refused. */
    rs_error_clear(&err);
    assert_int_equal(rs_trace_open(spec, false, &err), RS_ERR_CONNECT);
    assert_false(rs_trace_enabled());
    assert_true(rs_trace_last_error()[0] != '\0');

    static const char *const bad[] = {
        "tcp:", "tcp:127.0.0.1", "tcp:127.0.0.1:", "tcp:127.0.0.1:0", "tcp:127.0.0.1:65536",
        "tcp::4800", "tcp:127.0.0.1:48x", "tcp:127.0.0.1:+80", "tcp:[]:4800",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        rs_error_clear(&err);
        assert_int_equal(rs_trace_open(bad[i], false, &err), RS_ERR_INVALID_ARG);
        assert_non_null(strstr(err.message, "tcp:HOST:PORT"));
    }
    assert_false(rs_trace_enabled());
}

/* ---- file sinks ------------------------------------------------------------------------------ */

static void test_file_sink(void **state)
{
    (void)state;
    tmp t;
    tmp_make(&t, "call.rstrace");
    char spec[160];
    snprintf(spec, sizeof spec, "file:%s", t.path);
    rs_error err = {0};
    for (int round = 0; round < 2; round++) { /* the second appends: no second preamble */
        assert_int_equal(rs_trace_open(spec, true, &err), RS_OK);
        for (uint32_t i = 0; i < 3; i++)
            emit_simple(RS_TRACE_PDU_BUILT, "file", (uint32_t)round * 3 + i);
        rs_trace_close();
    }
    size_t len;
    uint8_t *data = read_file(t.path, &len);
    rs_buf in;
    rs_buf_view(&in, data, len);
    assert_int_equal(rs_trace_get_preamble(&in), RS_OK);
    char *strings = malloc(RS_TRACE_STRINGS_SIZE);
    assert_non_null(strings);
    uint64_t last = 0;
    for (uint32_t i = 0; i < 6; i++) {
        rs_trace_event ev;
        assert_int_equal(rs_trace_decode(&in, &ev, strings), RS_OK);
        assert_int_equal(ev.offset, i);
        assert_string_equal(ev.name, "file");
        if (i > 0)
            assert_true(ev.seq == last + 1);
        last = ev.seq;
    }
    assert_int_equal(rs_buf_remaining(&in), 0);
    free(data);

    /* A file that is not a trace is not touched. */
    write_file(t.path, "hello, world", 12);
    rs_error_clear(&err);
    assert_int_equal(rs_trace_open(spec, false, &err), RS_ERR_PROTOCOL);
    assert_non_null(strstr(err.message, "not appending"));
    assert_false(rs_trace_enabled());
    data = read_file(t.path, &len);
    assert_int_equal(len, 12);
    free(data);
    static const uint8_t v2[8] = {'R', 'S', 'T', 'R', 3, 0, 0, 0}; /* a version from the future */
    write_file(t.path, v2, sizeof v2);
    rs_error_clear(&err);
    assert_int_equal(rs_trace_open(spec, false, &err), RS_ERR_VERSION);
    write_file(t.path, v2, 3); /* shorter than a preamble */
    rs_error_clear(&err);
    assert_int_equal(rs_trace_open(spec, false, &err), RS_ERR_PROTOCOL);
    tmp_remove(&t);

    /* A folder is not a file; "file:" names nothing; /dev/null swallows everything. */
    snprintf(spec, sizeof spec, "file:%s", t.dir);
    assert_int_equal(mkdir(t.dir, 0700), 0);
    rs_error_clear(&err);
    assert_true(rs_trace_open(spec, false, &err) != RS_OK);
    assert_int_equal(rmdir(t.dir), 0);
    rs_error_clear(&err);
    assert_int_equal(rs_trace_open("file:", false, &err), RS_ERR_INVALID_ARG);
    assert_int_equal(rs_trace_open("file:/dev/null", false, &err), RS_OK);
    emit_simple(RS_TRACE_PDU_BUILT, "null", 0);
    assert_true(rs_trace_enabled());
    rs_trace_close();
    free(strings);
}

/* ---- callbacks, parameters, procedures ------------------------------------------------------- */

#define SEEN_MAX 8

typedef struct seen_event {
    rs_trace_event ev;   /* strings and bytes copied below */
    char interface[32], procedure[32], name[32], c_type[32];
    uint8_t bytes[16];
} seen_event;

typedef struct seen {
    int count;
    seen_event at[SEEN_MAX];
    bool report_inside; /* the callback reports an event itself: it must be dropped */
} seen;

static void copy_str(char *dst, size_t n, const char *s)
{
    snprintf(dst, n, "%s", s != NULL ? s : "(null)");
}

static void record_event(const rs_trace_event *ev, void *ctx)
{
    seen *s = ctx;
    if (s->count < SEEN_MAX) {
        seen_event *e = &s->at[s->count];
        e->ev = *ev;
        copy_str(e->interface, sizeof e->interface, ev->interface);
        copy_str(e->procedure, sizeof e->procedure, ev->procedure);
        copy_str(e->name, sizeof e->name, ev->name);
        copy_str(e->c_type, sizeof e->c_type, ev->c_type);
        if (ev->bytes != NULL)
            memcpy(e->bytes, ev->bytes, ev->bytes_len < 16 ? ev->bytes_len : 16);
    }
    s->count++;
    if (s->report_inside)
        rs_trace_procedure(RS_TRACE_PROCEDURE_RETURN, "inside");
}

static void test_param_and_procedure(void **state)
{
    (void)state;
    seen s = {0};

    /* Off: nothing is reported, the callback is not called. */
    rs_trace_set_callback(record_event, &s);
    rs_trace_close();
    int32_t x = 0x11223344;
    rs_trace_param(RS_TRACE_PARAM_READ, "x", "long", &x, sizeof x, false);
    rs_trace_procedure(RS_TRACE_PROCEDURE_ENTER, "HelloProc");
    assert_int_equal(s.count, 0);

    rs_trace_set_callback(record_event, &s);
    assert_true(rs_trace_enabled());
    rs_trace_set_call(RS_TRACE_ROLE_SERVER, "hello", "HelloProc", 7, 1);
    int64_t before = rs_trace_clock_ns();
    rs_trace_param(RS_TRACE_PARAM_READ, "x", "long", &x, sizeof x, false);
    assert_int_equal(s.count, 1);
    const rs_trace_event *ev = &s.at[0].ev;
    assert_int_equal(ev->kind, RS_TRACE_PARAM_READ);
    assert_int_equal(ev->layer, RS_TRACE_LAYER_STUB);
    assert_int_equal(ev->role, RS_TRACE_ROLE_SERVER);
    assert_int_equal(ev->pid, (uint32_t)getpid());
    assert_true(ev->seq > 0);
    assert_true((int64_t)ev->time_ns >= before);
    assert_int_equal(ev->call_id, 7);
    assert_int_equal(ev->opnum, 1);
    assert_string_equal(s.at[0].interface, "hello");
    assert_string_equal(s.at[0].procedure, "HelloProc");
    assert_string_equal(s.at[0].name, "x");
    assert_string_equal(s.at[0].c_type, "long");
    assert_true(ev->address == (uint64_t)(uintptr_t)&x);
    assert_int_equal(ev->offset, 0);
    assert_int_equal(ev->length, 4);
    assert_int_equal(ev->flags, 0);
    assert_int_equal(ev->bytes_len, 4);
    assert_memory_equal(s.at[0].bytes, &x, 4);

    /* The way back; a NULL pointer has no bytes. */
    rs_trace_param(RS_TRACE_PARAM_WRITTEN, "x", "long", &x, sizeof x, true);
    rs_trace_param(RS_TRACE_PARAM_READ, "p", "char *", NULL, 8, false);
    assert_int_equal(s.count, 3);
    assert_int_equal(s.at[1].ev.kind, RS_TRACE_PARAM_WRITTEN);
    assert_int_equal(s.at[1].ev.flags, RS_TRACE_FLAG_OUT);
    assert_true(s.at[1].ev.seq == s.at[0].ev.seq + 1);
    assert_true(s.at[2].ev.address == 0);
    assert_null(s.at[2].ev.bytes);
    assert_int_equal(s.at[2].ev.bytes_len, 0);

    /* More than RS_TRACE_BYTES_MAX: the start, flagged. */
    uint8_t *big = calloc(RS_TRACE_BYTES_MAX + 100, 1);
    assert_non_null(big);
    big[0] = 0x42;
    rs_trace_param(RS_TRACE_PARAM_READ, "big", "byte[]", big, RS_TRACE_BYTES_MAX + 100, true);
    assert_int_equal(s.at[3].ev.bytes_len, RS_TRACE_BYTES_MAX);
    assert_int_equal(s.at[3].ev.flags, RS_TRACE_FLAG_TRUNCATED | RS_TRACE_FLAG_OUT);
    assert_int_equal(s.at[3].ev.length, RS_TRACE_BYTES_MAX + 100);
    assert_int_equal(s.at[3].bytes[0], 0x42);
    free(big);

    /* The procedure's events; one about another call keeps its own fields. */
    rs_trace_procedure(RS_TRACE_PROCEDURE_ENTER, "HelloProc");
    assert_int_equal(s.at[4].ev.kind, RS_TRACE_PROCEDURE_ENTER);
    assert_int_equal(s.at[4].ev.layer, RS_TRACE_LAYER_APPLICATION);
    assert_string_equal(s.at[4].procedure, "HelloProc");
    assert_int_equal(s.at[4].ev.call_id, 7);
    rs_trace_event other = {.kind = RS_TRACE_PDU_RECEIVED, .call_id = 99};
    rs_trace_emit(&other);
    assert_int_equal(s.at[5].ev.call_id, 99);
    assert_int_equal(s.at[5].ev.opnum, 0);
    assert_string_equal(s.at[5].interface, "(null)");
    assert_int_equal(s.at[5].ev.role, RS_TRACE_ROLE_SERVER);

    /* Cleared: no call attached. An event the callback reports itself is dropped. */
    rs_trace_clear_call();
    s.report_inside = true;
    rs_trace_procedure(RS_TRACE_PROCEDURE_RETURN, "HelloProc");
    assert_int_equal(s.count, 7);
    assert_int_equal(s.at[6].ev.role, 0);
    assert_int_equal(s.at[6].ev.call_id, 0);
    assert_string_equal(s.at[6].interface, "(null)");
    assert_true(s.at[6].ev.seq == s.at[4].ev.seq + 2);

    /* An event outside the kind table is not reported. */
    rs_trace_event bogus = {.kind = RS_TRACE_KIND_COUNT};
    rs_trace_emit(&bogus);
    assert_int_equal(s.count, 7);

    /* A failed open leaves the callback in place. */
    rs_error err = {0};
    assert_int_equal(rs_trace_open("tcp:bad", false, &err), RS_ERR_INVALID_ARG);
    assert_true(rs_trace_enabled());
    s.report_inside = false;
    rs_trace_procedure(RS_TRACE_PROCEDURE_RETURN, "HelloProc");
    assert_int_equal(s.count, 8);

    rs_trace_set_callback(NULL, NULL); /* is rs_trace_close() */
    assert_false(rs_trace_enabled());
    rs_trace_procedure(RS_TRACE_PROCEDURE_RETURN, "HelloProc");
    assert_int_equal(s.count, 8);
}

typedef struct counter {
    uint64_t last_seq;
    int count;
    bool in_order;
} counter;

static void count_event(const rs_trace_event *ev, void *ctx)
{
    counter *c = ctx; /* called under the hook's lock: no other thread is here */
    if (c->count > 0 && ev->seq != c->last_seq + 1)
        c->in_order = false;
    c->last_seq = ev->seq;
    c->count++;
}

static void *callback_emitter(void *arg)
{
    (void)arg;
    for (int i = 0; i < 1000; i++)
        rs_trace_param(RS_TRACE_PARAM_READ, "i", "int", &i, sizeof i, false);
    return NULL;
}

static void test_callback_from_many_threads(void **state)
{
    (void)state;
    counter c = {.in_order = true};
    rs_trace_set_callback(count_event, &c);
    pthread_t th[8];
    for (int i = 0; i < 8; i++)
        assert_int_equal(pthread_create(&th[i], NULL, callback_emitter, NULL), 0);
    for (int i = 0; i < 8; i++)
        assert_int_equal(pthread_join(th[i], NULL), 0);
    rs_trace_close();
    assert_int_equal(c.count, 8000);
    assert_true(c.in_order);
}

/* A sink replaced by another: the old connection is closed, the new one gets the events. */
static void test_replace_sink(void **state)
{
    (void)state;
    sim a, b;
    sim_start_unix(&a, false);
    sim_listen_unix(&b);
    rs_error err = {0};
    assert_int_equal(rs_trace_open(b.t.path, false, &err), RS_OK);
    assert_false(sim_read_more(&a, WAIT_MS)); /* closed */
    sim_accept(&b);
    sim_preamble(&b);
    emit_simple(RS_TRACE_BIND, "b", 1);
    rs_trace_flush();
    rs_trace_event ev;
    sim_next(&b, &ev);
    assert_string_equal(ev.name, "b");
    rs_trace_close();
    sim_close(&a);
    sim_close(&b);
}

/* The steps of calls are held back and go out together, in order, PENDING_LAG (2 ms) after the
 * first of them, with nobody asking; a failure goes out at once, after what was held; a held one
 * is also written when the sink closes. In step mode nothing is held (test_step_gate_*). */
#define PENDING_LAG_NS INT64_C(2000000) /* trace.c's */

static void test_held_back_then_written_within_the_lag(void **state)
{
    (void)state;
    sim s;
    sim_start_unix(&s, false);
    int64_t first = rs_trace_clock_ns();
    emit_simple(RS_TRACE_CALL_BEGIN, "begin", 1);
    emit_simple(RS_TRACE_NDR_PUT, "a", 2);
    emit_simple(RS_TRACE_PDU_BUILT, "pdu", 3);
    emit_simple(RS_TRACE_PDU_SENT, "sent", 4);
    static const char *const names[] = {"begin", "a", "pdu", "sent"};
    rs_trace_event ev;
    uint64_t seq = 0;
    for (uint32_t i = 0; i < 4; i++) {
        sim_next(&s, &ev); /* no rs_trace_flush(): the watchdog writes them */
        if (i == 0) /* never before the lag: they were held */
            assert_true(rs_trace_clock_ns() - first >= PENDING_LAG_NS);
        assert_string_equal(ev.name, names[i]);
        assert_int_equal(ev.offset, i + 1);
        assert_true(ev.seq > seq);
        seq = ev.seq;
    }
    emit_simple(RS_TRACE_NDR_GET, "held", 5);
    emit_simple(RS_TRACE_ERROR, "now", 6);
    sim_next(&s, &ev);
    assert_string_equal(ev.name, "held");
    sim_next(&s, &ev);
    assert_string_equal(ev.name, "now");
    emit_simple(RS_TRACE_NDR_GET, "last", 7);
    rs_trace_close();
    sim_next(&s, &ev);
    assert_string_equal(ev.name, "last");
    assert_false(sim_read_more(&s, WAIT_MS)); /* and then the connection closed */
    sim_close(&s);
}

/* A forked child lets go of its parent's connection; the parent keeps it. */
static void test_fork_child_drops_socket(void **state)
{
    (void)state;
    sim s;
    sim_start_unix(&s, false);
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int rc = 0;
        if (rs_trace_enabled())
            rc = 1;
        else if (strstr(rs_trace_last_error(), "forked child") == NULL)
            rc = 2;
        emit_simple(RS_TRACE_ERROR, "child", 0); /* goes nowhere */
        _exit(rc);
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    assert_true(rs_trace_enabled());
    emit_simple(RS_TRACE_ERROR, "parent", 0);
    rs_trace_event ev;
    sim_next(&s, &ev);
    assert_string_equal(ev.name, "parent");
    assert_int_equal(ev.pid, (uint32_t)getpid());
    assert_int_equal(s.used, s.len); /* nothing from the child */
    rs_trace_close();
    sim_close(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        /* First: the environment is read once per process, and not after the program (or a
         * parent it forked from) chose a sink. */
        cmocka_unit_test(test_init_from_env_failure),
        cmocka_unit_test(test_init_from_env_once),
        cmocka_unit_test(test_unix_sink),
        cmocka_unit_test(test_concurrent_emitters),
        cmocka_unit_test(test_step_gate_holds),
        cmocka_unit_test(test_step_one_at_a_time),
        cmocka_unit_test(test_step_simulator_closes),
        cmocka_unit_test(test_step_wrong_release),
        cmocka_unit_test(test_simulator_gone_before_write),
        cmocka_unit_test(test_nobody_listens),
        cmocka_unit_test(test_tcp_sink),
        cmocka_unit_test(test_file_sink),
        cmocka_unit_test(test_param_and_procedure),
        cmocka_unit_test(test_callback_from_many_threads),
        cmocka_unit_test(test_replace_sink),
        cmocka_unit_test(test_held_back_then_written_within_the_lag),
        cmocka_unit_test(test_fork_child_drops_socket),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
