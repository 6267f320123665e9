/* test_sim_collector.c -- the collector with fake traced processes (threads and a forked child
 * using the real hook, rs_trace_open()): the step gate holds a process until its release; a
 * collector that closes lets it run on; a process not in step mode is never held; bad preambles
 * and records close only their connection; records arriving a byte at a time; --listen
 * addresses, and an address in use. */
#include <errno.h>
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
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "collector.h"
#include "trace.h"

static const rs_trace_verdict GO = {.kind = RS_TRACE_GO};

static char notices[8][512];
static int notice_count;

static void on_notice(void *ctx, const char *sentence)
{
    (void)ctx;
    if (notice_count < 8)
        snprintf(notices[notice_count], sizeof notices[0], "%s", sentence);
    notice_count++;
}

typedef struct fixture {
    sim_timeline *tl;
    sim_collector *c;
} fixture;

static void make(fixture *f, const char *listen)
{
    notice_count = 0;
    assert_int_equal(sim_timeline_create(NULL, &f->tl), RS_OK);
    sim_collector_options o = {.listen = listen, .notice = on_notice};
    rs_error err = {0};
    rs_status st = sim_collector_create(&o, f->tl, &f->c, &err);
    if (st != RS_OK)
        print_message("%s\n", err.message);
    assert_int_equal(st, RS_OK);
}

static void unmake(fixture *f)
{
    sim_collector_destroy(f->c);
    sim_timeline_destroy(f->tl);
}

/* Polls until the timeline holds `n` events (or 5 s pass). */
static void poll_until(fixture *f, size_t n)
{
    for (int i = 0; i < 500 && sim_timeline_count(f->tl) < n; i++) {
        rs_error err = {0};
        assert_int_equal(sim_collector_poll(f->c, 10, &err), RS_OK);
    }
    assert_int_equal(sim_timeline_count(f->tl), n);
}

static void poll_for(fixture *f, int ms)
{
    for (int i = 0; i < ms / 10; i++) {
        rs_error err = {0};
        assert_int_equal(sim_collector_poll(f->c, 10, &err), RS_OK);
    }
}

/* ---- a traced thread ------------------------------------------------------------------------- */

typedef struct tracee {
    const char *spec;
    bool step;
    int events;
    atomic_int reported; /* events whose rs_trace_emit() has returned */
    char last_error[256];
} tracee;

static void *tracee_run(void *arg)
{
    tracee *t = arg;
    rs_error err = {0};
    if (rs_trace_open(t->spec, t->step, &err) != RS_OK) {
        snprintf(t->last_error, sizeof t->last_error, "%s", err.message);
        return NULL;
    }
    for (int i = 0; i < t->events; i++) {
        rs_trace_event ev = {.kind = RS_TRACE_NDR_PUT, .role = RS_TRACE_ROLE_CLIENT,
                             .name = "pszString", .offset = (uint32_t)i};
        rs_trace_emit(&ev);
        atomic_fetch_add(&t->reported, 1);
    }
    snprintf(t->last_error, sizeof t->last_error, "%s", rs_trace_last_error());
    rs_trace_close();
    return NULL;
}

/* The gate holds the thread after each event until the collector writes its release. */
static void test_gate_holds_until_release(void **state)
{
    (void)state;
    fixture f;
    make(&f, NULL);
    uint32_t pid = (uint32_t)getpid();
    sim_collector_expect(f.c, pid, true);
    tracee t = {.spec = sim_collector_path(f.c), .step = true, .events = 2};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, tracee_run, &t), 0);
    poll_until(&f, 1);
    uint64_t seq = sim_timeline_at(f.tl, 0)->ev.seq;
    poll_for(&f, 150);
    assert_int_equal(atomic_load(&t.reported), 0); /* still at the gate */
    assert_int_equal(sim_collector_held(f.c, pid), seq);
    assert_int_equal(sim_timeline_count(f.tl), 1);
    sim_collector_release(f.c, pid, seq + 7, GO); /* not what it waits on: nothing happens */
    assert_int_equal(sim_collector_held(f.c, pid), seq);
    sim_gate g = sim_collector_gate(f.c);
    g.release(g.ctx, pid, seq, GO);
    assert_int_equal(sim_collector_held(f.c, pid), 0);
    poll_until(&f, 2);
    assert_int_equal(atomic_load(&t.reported), 1);
    assert_int_equal(g.held(g.ctx, pid), seq + 1);
    sim_collector_release(f.c, pid, seq + 1, GO);
    pthread_join(th, NULL);
    assert_int_equal(atomic_load(&t.reported), 2);
    assert_string_equal(t.last_error, "");
    poll_for(&f, 50);
    assert_int_equal(sim_collector_open_count(f.c), 0); /* rs_trace_close() hung up */
    assert_int_equal(sim_collector_accepted(f.c), 1);
    assert_true(sim_timeline_process(f.tl, 0)->ended);
    unmake(&f);
}

/* The trace socket lives in a folder of its own that only the user can open (mkdtemp's 0700):
 * another user on a shared classroom machine can neither connect to the collector (and feed it
 * events or hold its gates) nor replace the socket. */
static void test_socket_folder_is_private(void **state)
{
    (void)state;
    fixture f;
    make(&f, NULL);
    char dir[256];
    snprintf(dir, sizeof dir, "%s", sim_collector_path(f.c));
    char *slash = strrchr(dir, '/');
    assert_non_null(slash);
    *slash = '\0';
    struct stat st;
    assert_int_equal(stat(dir, &st), 0);
    assert_true(S_ISDIR(st.st_mode));
    assert_int_equal(st.st_mode & 07777, 0700);
    assert_int_equal(st.st_uid, getuid());
    unmake(&f);
}

/* The collector goes away while the process waits: its gate opens and it runs on untraced. */
static void test_close_lets_it_run_on(void **state)
{
    (void)state;
    fixture f;
    make(&f, NULL);
    sim_collector_expect(f.c, (uint32_t)getpid(), true);
    tracee t = {.spec = sim_collector_path(f.c), .step = true, .events = 3};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, tracee_run, &t), 0);
    poll_until(&f, 1);
    sim_collector_close_all(f.c);
    pthread_join(th, NULL);
    assert_int_equal(atomic_load(&t.reported), 3);
    assert_non_null(strstr(t.last_error, "closed the connection"));
    assert_int_equal(sim_timeline_count(f.tl), 1);
    unmake(&f);
}

/* A process started without RPCSCOPE_STEP never reads releases: it is never held, whether the
 * launcher said so or the collector worked it out from a second record arriving unreleased. */
static void test_process_not_in_step_mode(void **state)
{
    (void)state;
    for (int told = 0; told < 2; told++) {
        fixture f;
        make(&f, NULL);
        if (told)
            sim_collector_expect(f.c, (uint32_t)getpid(), false);
        tracee t = {.spec = sim_collector_path(f.c), .step = false, .events = 5};
        pthread_t th;
        assert_int_equal(pthread_create(&th, NULL, tracee_run, &t), 0);
        pthread_join(th, NULL);
        poll_until(&f, 5);
        assert_int_equal(sim_collector_held(f.c, (uint32_t)getpid()), 0);
        assert_int_equal(notice_count, 0);
        unmake(&f);
    }
}

/* ---- raw connections ------------------------------------------------------------------------- */

static int raw_connect(const char *path)
{
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
    assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    return fd;
}

static void raw_write(int fd, const void *p, size_t n)
{
    assert_int_equal(write(fd, p, n), (ssize_t)n);
}

static void encode(rs_buf *b, uint32_t pid, uint64_t seq)
{
    rs_trace_event ev = {.kind = RS_TRACE_CALL_BEGIN, .role = RS_TRACE_ROLE_CLIENT, .pid = pid,
                         .seq = seq, .procedure = "HelloProc", .text = "hello"};
    assert_int_equal(rs_trace_encode(&ev, b), RS_OK);
}

static void test_bad_streams_close_their_connection(void **state)
{
    (void)state;
    fixture f;
    make(&f, NULL);
    int bad = raw_connect(sim_collector_path(f.c));
    raw_write(bad, "GIF89a..", 8);
    poll_for(&f, 50);
    assert_int_equal(notice_count, 1);
    assert_string_equal(notices[0], "a process on the Unix socket: trace: the stream begins with "
                                    "47 49 46 38, not \"RSTR\": it is not an rpcscope trace; "
                                    "closing its trace connection");
    assert_int_equal(sim_collector_open_count(f.c), 0);
    char x;
    assert_int_equal(read(bad, &x, 1), 0); /* closed on our side: its gate would open */
    close(bad);

    /* a good preamble, then a record whose length is a lie */
    int liar = raw_connect(sim_collector_path(f.c));
    rs_buf b;
    rs_buf_init(&b, 4096);
    assert_int_equal(rs_trace_put_preamble(&b), RS_OK);
    encode(&b, 77, 1);
    raw_write(liar, b.data, b.len);
    static const uint8_t lie[4] = {10, 0, 0, 0};
    raw_write(liar, lie, 4);
    poll_for(&f, 50);
    assert_int_equal(sim_timeline_count(f.tl), 1); /* the good record before it is kept */
    assert_int_equal(notice_count, 2);
    assert_string_equal(notices[1], "pid 77: trace: the record at offset 0x0 has length 10, "
                                    "outside 65..16777216; closing its trace connection");
    close(liar);

    /* the same pid sends a seq it already sent: refused, connection closed */
    int dup = raw_connect(sim_collector_path(f.c));
    raw_write(dup, b.data, b.len); /* preamble + pid 77 seq 1 again */
    poll_for(&f, 50);
    assert_int_equal(notice_count, 3);
    assert_string_equal(notices[2], "pid 77: timeline: pid 77 sent seq 1 after seq 1: a duplicate "
                                    "or out-of-order event; closing its trace connection");
    close(dup);

    /* a connection that changes pid mid-stream */
    int two = raw_connect(sim_collector_path(f.c));
    rs_buf_reset(&b);
    assert_int_equal(rs_trace_put_preamble(&b), RS_OK);
    encode(&b, 90, 1);
    encode(&b, 91, 1);
    raw_write(two, b.data, b.len);
    poll_for(&f, 50);
    assert_int_equal(notice_count, 4);
    assert_string_equal(notices[3], "pid 90: a record from pid 91 on its connection; closing it");
    close(two);
    rs_buf_free(&b);
    unmake(&f);
}

/* A record that arrives a byte at a time is taken once, when it is whole. */
static void test_records_a_byte_at_a_time(void **state)
{
    (void)state;
    fixture f;
    make(&f, NULL);
    int fd = raw_connect(sim_collector_path(f.c));
    rs_buf b;
    rs_buf_init(&b, 4096);
    assert_int_equal(rs_trace_put_preamble(&b), RS_OK);
    encode(&b, 5, 1);
    encode(&b, 5, 2);
    for (size_t i = 0; i < b.len; i++) {
        raw_write(fd, b.data + i, 1);
        rs_error err = {0};
        assert_int_equal(sim_collector_poll(f.c, 0, &err), RS_OK);
        if (i + 1 < b.len / 2)
            assert_int_equal(sim_timeline_count(f.tl), 0);
    }
    poll_until(&f, 2);
    assert_string_equal(sim_timeline_at(f.tl, 1)->ev.text, "hello");
    /* it is held (unknown mode, one record at a time) until a release or a second record */
    assert_int_equal(sim_collector_held(f.c, 5), 0); /* two records arrived unreleased */
    close(fd);
    poll_for(&f, 30);
    assert_int_equal(notice_count, 0);
    /* closing in the middle of a record is reported */
    fd = raw_connect(sim_collector_path(f.c));
    rs_buf_reset(&b);
    assert_int_equal(rs_trace_put_preamble(&b), RS_OK);
    encode(&b, 6, 1);
    raw_write(fd, b.data, b.len - 3);
    poll_for(&f, 30);
    close(fd);
    poll_for(&f, 30);
    assert_int_equal(notice_count, 1);
    assert_non_null(strstr(notices[0], "closed its trace connection in the middle of a record"));
    rs_buf_free(&b);
    unmake(&f);
}

/* --listen tcp: a program started elsewhere reports over TCP; the address can be in use. */
static void test_listen_tcp(void **state)
{
    (void)state;
    fixture f;
    make(&f, "tcp:127.0.0.1:0");
    const char *addr = sim_collector_listen_address(f.c);
    assert_non_null(addr);
    assert_int_equal(strncmp(addr, "tcp:127.0.0.1:", 14), 0);
    tracee t = {.spec = addr, .step = false, .events = 3};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, tracee_run, &t), 0);
    pthread_join(th, NULL);
    poll_until(&f, 3);

    fixture g;
    assert_int_equal(sim_timeline_create(NULL, &g.tl), RS_OK);
    sim_collector_options o = {.listen = addr};
    rs_error err = {0};
    assert_int_equal(sim_collector_create(&o, g.tl, &g.c, &err), RS_ERR_ADDRESS);
    char want[128];
    snprintf(want, sizeof want, "collector: cannot listen on %s: address already in use", addr);
    assert_string_equal(err.message, want);
    assert_null(g.c);

    static const char *const bad[] = {"tcp:nohostport", "tcp::80", "tcp:127.0.0.1:99999",
                                      "tcp:127.0.0.1:x"};
    for (size_t i = 0; i < 4; i++) {
        rs_error_clear(&err);
        o.listen = bad[i];
        assert_int_equal(sim_collector_create(&o, g.tl, &g.c, &err), RS_ERR_INVALID_ARG);
    }
    sim_timeline_destroy(g.tl);
    unmake(&f);
}

/* --listen PATH: a Unix socket path; a live collector's path is in use, a stale one is reused. */
static void test_listen_path(void **state)
{
    (void)state;
    char path[64];
    snprintf(path, sizeof path, "/tmp/test-sim-collector-%d.sock", (int)getpid());
    fixture f;
    make(&f, path);
    assert_string_equal(sim_collector_listen_address(f.c), path);
    fixture g;
    assert_int_equal(sim_timeline_create(NULL, &g.tl), RS_OK);
    sim_collector_options o = {.listen = path};
    rs_error err = {0};
    assert_int_equal(sim_collector_create(&o, g.tl, &g.c, &err), RS_ERR_ADDRESS);
    assert_non_null(strstr(err.message, "address already in use"));
    unmake(&f);
    assert_int_equal(access(path, F_OK), -1); /* removed */
    /* a stale socket file (its collector crashed) is taken over */
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    close(fd);
    rs_error_clear(&err);
    assert_int_equal(sim_collector_create(&o, g.tl, &g.c, &err), RS_OK);
    sim_collector_destroy(g.c);
    sim_timeline_destroy(g.tl);
}

/* A forked child in step mode, as the launcher starts one: held at each event, released by pid. */
static void test_forked_child(void **state)
{
    (void)state;
    fixture f;
    make(&f, NULL);
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        rs_error err = {0};
        if (rs_trace_open(sim_collector_path(f.c), true, &err) != RS_OK)
            _exit(2);
        for (int i = 0; i < 2; i++) {
            rs_trace_event ev = {.kind = RS_TRACE_LISTEN, .role = RS_TRACE_ROLE_SERVER,
                                 .text = "ncacn_ip_tcp:127.0.0.1[4747]"};
            rs_trace_emit(&ev);
        }
        _exit(rs_trace_last_error()[0] == '\0' ? 0 : 3);
    }
    assert_true(pid > 0);
    sim_collector_expect(f.c, (uint32_t)pid, true);
    poll_until(&f, 1);
    poll_for(&f, 100);
    int status;
    assert_int_equal(waitpid(pid, &status, WNOHANG), 0); /* held */
    sim_collector_release(f.c, (uint32_t)pid, sim_collector_held(f.c, (uint32_t)pid), GO);
    poll_until(&f, 2);
    sim_collector_release(f.c, (uint32_t)pid, sim_collector_held(f.c, (uint32_t)pid), GO);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    assert_int_equal(sim_timeline_at(f.tl, 1)->ev.pid, (uint32_t)pid);
    unmake(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_socket_folder_is_private),
        cmocka_unit_test(test_gate_holds_until_release),
        cmocka_unit_test(test_close_lets_it_run_on),
        cmocka_unit_test(test_process_not_in_step_mode),
        cmocka_unit_test(test_bad_streams_close_their_connection),
        cmocka_unit_test(test_records_a_byte_at_a_time),
        cmocka_unit_test(test_listen_tcp),
        cmocka_unit_test(test_listen_path),
        cmocka_unit_test(test_forked_child),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
