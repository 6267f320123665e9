/* test_sim_launcher.c -- the launcher with tiny test programs (shell scripts): a server that
 * listens and a client that gets the binding in its arguments and environment; a server that crashes, one
 * that never listens, one that cannot start, one that exits early; failing and crashing
 * clients; a server the lesson expects to die; time at a step gate not counted; every child
 * reaped and killed on destroy; when the launcher's own process dies, the server asked to stop
 * and the client left to run on. */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "launcher.h"

static char dir[64];

static void script(const char *name, const char *body)
{
    char path[128];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "#!/bin/sh\n%s\n", body);
    fclose(f);
    chmod(path, 0755);
}

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/test-sim-launcher-%d", (int)getpid());
    mkdir(dir, 0755);
    script("server", "echo starting up\n"
                     "echo \"listening on ncacn_ip_tcp:127.0.0.1[4747]\"\n"
                     "trap 'echo stopping; exit 0' TERM\n"
                     "while :; do sleep 0.05; done");
    script("client", "echo \"got $1 and '$2'\"\n"
                     "echo \"trace=$RPCSCOPE_TRACE step=$RPCSCOPE_STEP extra=$EXTRA\"\n"
                     "echo \"epm=$RPCSCOPE_EPM\"");
    script("crash-server", "echo \"listening on x\"\nsleep 0.1\nkill -SEGV $$");
    script("crash-client", "kill -SEGV $$");
    script("fail-client", "echo nope >&2\nexit 3");
    script("never", "echo starting\nexec sleep 30");
    script("early", "echo cannot\nexit 1");
    script("slow-client", "sleep 0.3");
    script("late-fail-client", "sleep 0.5\nexit 1");
    script("forever", "echo \"listening on y\"\necho $$ > \"$1\"\nexec sleep 30");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    return system(cmd) == 0 ? 0 : -1;
}

typedef struct run {
    char output[8192];
    sim_launch_state state;
    char error[512];
    int started;
    pid_t pids[4];
} run;

static void on_started(void *ctx, const char *name, pid_t pid, bool step)
{
    (void)name;
    (void)step;
    run *r = ctx;
    if (r->started < 4)
        r->pids[r->started] = pid;
    r->started++;
}

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Runs server and client until the launcher is done (or 10 s pass); output in r->output. */
static rs_status launch(run *r, const char *server, const char *client, sim_launch_spec *extra,
                        const sim_gate *gate)
{
    memset(r, 0, sizeof *r);
    char sp[128], cp[128], cpath[128];
    snprintf(sp, sizeof sp, "%s/%s", dir, server);
    snprintf(cp, sizeof cp, "%s/%s", dir, client);
    snprintf(cpath, sizeof cpath, "%s/pid", dir);
    char *sargv[] = {sp, cpath, NULL};
    char *cargv[] = {cp, "{binding}", "a {binding} b", NULL};
    char *env[] = {"EXTRA=yes", "RPCSCOPE_EPM={binding}", NULL};
    FILE *out = tmpfile();
    assert_non_null(out);
    sim_launch_spec spec = {
        .server_argv = sargv,
        .client_argv = cargv,
        .client_env = env,
        .trace = "/tmp/trace.sock",
        .step = true,
        .stop_timeout_ms = 200,
        .listen_timeout_ms = 2000,
        .output = out,
        .started = on_started,
        .started_ctx = r,
    };
    if (extra != NULL) {
        if (extra->listen_timeout_ms)
            spec.listen_timeout_ms = extra->listen_timeout_ms;
        spec.server_may_die = extra->server_may_die;
        spec.clients = extra->clients;
    }
    sim_launcher *l;
    rs_error err = {0};
    rs_status st = sim_launcher_start(&spec, &l, &err);
    if (st != RS_OK) {
        snprintf(r->error, sizeof r->error, "%s", err.message);
        fclose(out);
        return st;
    }
    uint64_t deadline = now_ms() + 10000;
    while (now_ms() < deadline) {
        sim_launcher_poll(l, gate, 10);
        r->state = sim_launcher_state(l);
        if (r->state == SIM_LAUNCH_DONE || r->state == SIM_LAUNCH_FAILED)
            break;
    }
    snprintf(r->error, sizeof r->error, "%s", sim_launcher_error(l));
    sim_launcher_destroy(l);
    rewind(out);
    size_t n = fread(r->output, 1, sizeof r->output - 1, out);
    r->output[n] = '\0';
    fclose(out);
    return RS_OK;
}

static void assert_reaped(const run *r)
{
    for (int i = 0; i < r->started && i < 4; i++) {
        errno = 0;
        assert_int_equal(kill(r->pids[i], 0), -1); /* gone, and not a zombie of ours */
        assert_int_equal(errno, ESRCH);
    }
}

static void test_server_then_client(void **state)
{
    (void)state;
    run r;
    assert_int_equal(launch(&r, "server", "client", NULL, NULL), RS_OK);
    print_message("%s", r.output);
    assert_int_equal(r.state, SIM_LAUNCH_DONE);
    assert_string_equal(r.error, "");
    assert_non_null(strstr(r.output, "server| starting up\n"));
    assert_non_null(strstr(r.output, "server| listening on ncacn_ip_tcp:127.0.0.1[4747]\n"));
    assert_non_null(strstr(r.output, "client| got ncacn_ip_tcp:127.0.0.1[4747] and 'a "
                                     "ncacn_ip_tcp:127.0.0.1[4747] b'\n"));
    assert_non_null(strstr(r.output, "client| trace=/tmp/trace.sock step=1 extra=yes\n"));
    /* an environment value names the server's binding too (endpoint-mapper: server) */
    assert_non_null(strstr(r.output, "client| epm=ncacn_ip_tcp:127.0.0.1[4747]\n"));
    assert_non_null(strstr(r.output, "server| stopping\n")); /* SIGTERM after its client */
    assert_int_equal(r.started, 2);
    assert_reaped(&r);
}

static void test_three_clients(void **state)
{
    (void)state;
    run r;
    sim_launch_spec extra = {.clients = 3};
    assert_int_equal(launch(&r, "server", "client", &extra, NULL), RS_OK);
    assert_int_equal(r.state, SIM_LAUNCH_DONE);
    assert_int_equal(r.started, 4);
    assert_non_null(strstr(r.output, "client#3| got"));
    assert_reaped(&r);
}

static void test_server_crashes(void **state)
{
    (void)state;
    run r;
    assert_int_equal(launch(&r, "crash-server", "slow-client", NULL, NULL), RS_OK);
    assert_int_equal(r.state, SIM_LAUNCH_FAILED);
    assert_string_equal(r.error, "server crashed: signal 11 (Segmentation fault)");
    assert_reaped(&r);
    /* unless the lesson kills it on purpose: then the client runs to its end */
    sim_launch_spec extra = {.server_may_die = true};
    assert_int_equal(launch(&r, "crash-server", "slow-client", &extra, NULL), RS_OK);
    assert_int_equal(r.state, SIM_LAUNCH_DONE);
    assert_non_null(strstr(r.output, "rpcscope: server crashed: signal 11 (Segmentation fault)\n"));
    assert_reaped(&r);
}

/* The window's "Crash the server": the launcher kills it, says so, and a client that then fails
 * is what the lesson shows, not a broken session. */
static void test_crash_server_from_the_window(void **state)
{
    (void)state;
    char sp[128], cp[128];
    snprintf(sp, sizeof sp, "%s/server", dir);
    snprintf(cp, sizeof cp, "%s/late-fail-client", dir);
    char *sargv[] = {sp, NULL};
    char *cargv[] = {cp, NULL};
    FILE *out = tmpfile();
    assert_non_null(out);
    sim_launch_spec spec = {.server_argv = sargv, .client_argv = cargv, .trace = "/tmp/t.sock",
                            .stop_timeout_ms = 200, .listen_timeout_ms = 2000, .output = out};
    sim_launcher *l;
    rs_error err = {0};
    assert_int_equal(sim_launcher_start(&spec, &l, &err), RS_OK);
    assert_null(sim_launcher_server_crash(l));
    uint64_t deadline = now_ms() + 10000;
    while (sim_launcher_state(l) == SIM_LAUNCH_STARTING && now_ms() < deadline)
        sim_launcher_poll(l, NULL, 10);
    pid_t server = sim_launcher_server_pid(l);
    assert_true(server > 0);
    assert_true(sim_launcher_crash_server(l));
    assert_false(sim_launcher_crash_server(l)); /* once */
    while (sim_launcher_state(l) < SIM_LAUNCH_DONE && now_ms() < deadline)
        sim_launcher_poll(l, NULL, 10);
    assert_int_equal(sim_launcher_state(l), SIM_LAUNCH_DONE);
    assert_string_equal(sim_launcher_server_crash(l), "killed from the window (SIGKILL)");
    assert_false(sim_launcher_crash_server(l)); /* nothing left to kill */
    sim_launcher_destroy(l);
    char text[4096];
    rewind(out);
    size_t n = fread(text, 1, sizeof text - 1, out);
    text[n] = '\0';
    fclose(out);
    assert_non_null(strstr(text, "rpcscope: server was killed from the window\n"));
    assert_non_null(strstr(text, "client exited with status 1 after the server was killed"));
    errno = 0;
    assert_int_equal(kill(server, 0), -1);
    assert_int_equal(errno, ESRCH);
}

static void test_clients_that_fail(void **state)
{
    (void)state;
    run r;
    assert_int_equal(launch(&r, "server", "crash-client", NULL, NULL), RS_OK);
    assert_int_equal(r.state, SIM_LAUNCH_FAILED);
    assert_string_equal(r.error, "client crashed: signal 11 (Segmentation fault)");
    assert_reaped(&r);
    assert_int_equal(launch(&r, "server", "fail-client", NULL, NULL), RS_OK);
    assert_int_equal(r.state, SIM_LAUNCH_FAILED);
    assert_string_equal(r.error, "client exited with status 3");
    assert_non_null(strstr(r.output, "client| nope\n")); /* its stderr passes through too */
    assert_reaped(&r);
}

static void test_server_never_listens(void **state)
{
    (void)state;
    run r;
    sim_launch_spec extra = {.listen_timeout_ms = 300};
    uint64_t t0 = now_ms();
    assert_int_equal(launch(&r, "never", "client", &extra, NULL), RS_OK);
    assert_int_equal(r.state, SIM_LAUNCH_FAILED);
    assert_string_equal(r.error, "server did not print `listening on BINDING` within 300 ms");
    assert_true(now_ms() - t0 < 3000);
    assert_int_equal(r.started, 1);
    assert_reaped(&r);
    assert_int_equal(launch(&r, "early", "client", NULL, NULL), RS_OK);
    assert_int_equal(r.state, SIM_LAUNCH_FAILED);
    assert_string_equal(r.error,
                        "server exited with status 1 before it printed `listening on BINDING`");
    assert_reaped(&r);
}

static void test_program_missing(void **state)
{
    (void)state;
    run r;
    assert_int_equal(launch(&r, "no-such-server", "client", NULL, NULL), RS_ERR_IO);
    char want[256];
    snprintf(want, sizeof want,
             "cannot start server (%s/no-such-server): No such file or directory",
             dir);
    assert_string_equal(r.error, want);
    assert_int_equal(r.started, 0);
    /* the client missing: found when the server listens */
    assert_int_equal(launch(&r, "server", "no-such-client", NULL, NULL), RS_OK);
    assert_int_equal(r.state, SIM_LAUNCH_FAILED);
    snprintf(want, sizeof want,
             "cannot start client (%s/no-such-client): No such file or directory",
             dir);
    assert_string_equal(r.error, want);
    assert_reaped(&r);
    sim_launcher *l;
    rs_error err = {0};
    sim_launch_spec empty = {0};
    assert_int_equal(sim_launcher_start(&empty, &l, &err), RS_ERR_INVALID_ARG);
}

static uint64_t always_held(void *ctx, uint32_t pid)
{
    (void)ctx;
    (void)pid;
    return 1;
}

static void never_release(void *ctx, uint32_t pid, uint64_t seq, rs_trace_verdict v)
{
    (void)v;
    (void)ctx;
    (void)pid;
    (void)seq;
}

/* A server held at a step gate has all the time it needs to reach `listening on`. */
static void test_gate_time_does_not_count(void **state)
{
    (void)state;
    char sp[128];
    snprintf(sp, sizeof sp, "%s/never", dir);
    char *sargv[] = {sp, NULL}, *cargv[] = {sp, NULL};
    sim_launch_spec spec = {.server_argv = sargv, .client_argv = cargv, .listen_timeout_ms = 100,
                            .output = stderr};
    sim_gate gate = {.ctx = NULL, .held = always_held, .release = never_release};
    sim_launcher *l;
    rs_error err = {0};
    assert_int_equal(sim_launcher_start(&spec, &l, &err), RS_OK);
    pid_t pid = sim_launcher_server_pid(l);
    assert_true(pid > 0);
    for (int i = 0; i < 40; i++)
        sim_launcher_poll(l, &gate, 10);
    assert_int_equal(sim_launcher_state(l), SIM_LAUNCH_STARTING);
    for (int i = 0; i < 40 && sim_launcher_state(l) == SIM_LAUNCH_STARTING; i++)
        sim_launcher_poll(l, NULL, 10);
    assert_int_equal(sim_launcher_state(l), SIM_LAUNCH_FAILED);
    sim_launcher_destroy(l);
    errno = 0;
    assert_int_equal(kill(pid, 0), -1);
}

/* Ctrl-C: stop() ends everything; destroy() reaps a program that ignores SIGTERM. */
static void test_stop_and_destroy(void **state)
{
    (void)state;
    script("stubborn", "trap '' TERM\necho \"listening on z\"\nwhile :; do sleep 0.05; done");
    char sp[128], cp[128];
    snprintf(sp, sizeof sp, "%s/stubborn", dir);
    snprintf(cp, sizeof cp, "%s/stubborn", dir);
    char *sargv[] = {sp, NULL}, *cargv[] = {cp, NULL};
    FILE *out = tmpfile();
    sim_launch_spec spec = {.server_argv = sargv, .client_argv = cargv, .output = out};
    sim_launcher *l;
    rs_error err = {0};
    assert_int_equal(sim_launcher_start(&spec, &l, &err), RS_OK);
    for (int i = 0; i < 300 && sim_launcher_state(l) != SIM_LAUNCH_RUNNING; i++)
        sim_launcher_poll(l, NULL, 10);
    assert_int_equal(sim_launcher_state(l), SIM_LAUNCH_RUNNING);
    pid_t server = sim_launcher_server_pid(l);
    sim_launcher_stop(l);
    uint64_t t0 = now_ms();
    sim_launcher_destroy(l); /* SIGTERM is ignored: SIGKILL after SIM_LAUNCH_KILL_MS */
    assert_true(now_ms() - t0 < SIM_LAUNCH_KILL_MS + 1000);
    errno = 0;
    assert_int_equal(kill(server, 0), -1);
    fclose(out);
}

/* A pid a program wrote to `path`, waiting up to 3 s for it; 0 if none came. */
static pid_t read_pid(const char *path)
{
    for (int i = 0; i < 300; i++) {
        FILE *f = fopen(path, "r");
        int p = 0;
        if (f != NULL) {
            if (fscanf(f, "%d", &p) != 1)
                p = 0;
            fclose(f);
        }
        if (p > 0)
            return p;
        usleep(10000);
    }
    return 0;
}

static bool gone_within(pid_t pid, int ms)
{
    for (int i = 0; i < ms / 10; i++) {
        if (kill(pid, 0) != 0)
            return true;
        usleep(10000);
    }
    return kill(pid, 0) != 0;
}

/* rpcscope killed with SIGKILL: the server is asked to stop (SIGTERM, which ends `forever`),
 * the client runs on to its own end. */
static void test_launcher_killed(void **state)
{
    (void)state;
    char spid[128], cpid[128];
    snprintf(spid, sizeof spid, "%s/server.pid", dir);
    snprintf(cpid, sizeof cpid, "%s/client.pid", dir);
    unlink(spid);
    unlink(cpid);
    fflush(NULL);
    pid_t helper = fork();
    if (helper == 0) {
        char sp[128];
        snprintf(sp, sizeof sp, "%s/forever", dir);
        char *sargv[] = {sp, spid, NULL}, *cargv[] = {sp, cpid, NULL};
        sim_launch_spec spec = {.server_argv = sargv, .client_argv = cargv, .output = stderr};
        sim_launcher *l;
        rs_error err = {0};
        if (sim_launcher_start(&spec, &l, &err) != RS_OK)
            _exit(1);
        for (;;)
            sim_launcher_poll(l, NULL, 50);
    }
    pid_t server = read_pid(spid), client = read_pid(cpid);
    assert_true(server > 0);
    assert_true(client > 0);
    assert_int_equal(kill(server, 0), 0);
    kill(helper, SIGKILL);
    waitpid(helper, NULL, 0);
    assert_true(gone_within(server, 2000));
    assert_int_equal(kill(client, 0), 0); /* still running its `sleep 30` */
    kill(client, SIGKILL);
    assert_true(gone_within(client, 2000));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_server_then_client),
        cmocka_unit_test(test_three_clients),
        cmocka_unit_test(test_server_crashes),
        cmocka_unit_test(test_crash_server_from_the_window),
        cmocka_unit_test(test_clients_that_fail),
        cmocka_unit_test(test_server_never_listens),
        cmocka_unit_test(test_program_missing),
        cmocka_unit_test(test_gate_time_does_not_count),
        cmocka_unit_test(test_stop_and_destroy),
        cmocka_unit_test(test_launcher_killed),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
