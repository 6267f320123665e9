/* test_watchdog.c -- the thread that ends blocking waits at their deadlines.
 *
 * What is checked: a watch ended in time does nothing; one past its deadline shuts its socket
 * down (a blocked recv() returns) or rings its pipe, not before the deadline and soon after; a
 * later watch begun first does not hold up an earlier one; a deadline already past fires at
 * once; many watches at once each fire; a child process after fork() has a watchdog of its own;
 * exit() is prompt with a watch pending and while the watchdog is inside a watch's function.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "transport.h"
#include "watchdog.h"

#define MS RS_NS_PER_MS

/* Generous upper bounds: the machine may be loaded; the lower bounds are exact. */
#define LATE_OK (400 * MS)

static void nonblocking_pipe(int fd[2])
{
    assert_int_equal(pipe(fd), 0);
    for (int i = 0; i < 2; i++)
        assert_int_equal(fcntl(fd[i], F_SETFL, O_NONBLOCK), 0);
}

/* Milliseconds until fd is readable, at most `max_ms`; -1 if it never was. */
static int64_t readable_after(int fd, int max_ms)
{
    int64_t start = rs_clock_ns();
    struct pollfd p = {.fd = fd, .events = POLLIN};
    if (poll(&p, 1, max_ms) != 1)
        return -1;
    return rs_clock_ns() - start;
}

static void test_ended_in_time_does_nothing(void **state)
{
    (void)state;
    int fd[2];
    nonblocking_pipe(fd);
    rs_watch w;
    assert_true(rs_watch_begin(&w, RS_WATCH_RING, fd[1], rs_clock_ns() + 50 * MS));
    assert_false(rs_watch_end(&w));
    assert_int_equal(readable_after(fd[0], 150), -1); /* the deadline passed: nothing rang */
    close(fd[0]);
    close(fd[1]);
}

static void test_ring_at_the_deadline(void **state)
{
    (void)state;
    int fd[2];
    nonblocking_pipe(fd);
    rs_watch w;
    int64_t start = rs_clock_ns();
    assert_true(rs_watch_begin(&w, RS_WATCH_RING, fd[1], start + 100 * MS));
    int64_t waited = readable_after(fd[0], 2000);
    int64_t at = rs_clock_ns() - start;
    assert_true(waited >= 0);
    assert_true(at >= 100 * MS);
    assert_true(at < 100 * MS + LATE_OK);
    assert_true(rs_watch_end(&w));
    close(fd[0]);
    close(fd[1]);
}

static void test_shutdown_ends_a_blocked_recv(void **state)
{
    (void)state;
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    rs_watch w;
    int64_t start = rs_clock_ns();
    assert_true(rs_watch_begin(&w, RS_WATCH_SHUTDOWN, sv[0], start + 80 * MS));
    char byte;
    ssize_t n = recv(sv[0], &byte, 1, 0); /* nothing comes: only the watchdog ends this */
    int64_t at = rs_clock_ns() - start;
    assert_true(rs_watch_end(&w));
    assert_int_equal(n, 0);
    assert_true(at >= 80 * MS);
    assert_true(at < 80 * MS + LATE_OK);
    close(sv[0]);
    close(sv[1]);
}

static void test_later_watch_does_not_hold_up_an_earlier(void **state)
{
    (void)state;
    int late[2], early[2];
    nonblocking_pipe(late);
    nonblocking_pipe(early);
    rs_watch wl, we;
    int64_t start = rs_clock_ns();
    assert_true(rs_watch_begin(&wl, RS_WATCH_RING, late[1], start + 5000 * MS));
    assert_true(rs_watch_begin(&we, RS_WATCH_RING, early[1], start + 60 * MS));
    assert_true(readable_after(early[0], 2000) >= 0);
    int64_t at = rs_clock_ns() - start;
    assert_true(at >= 60 * MS && at < 60 * MS + LATE_OK);
    assert_true(rs_watch_end(&we));
    assert_false(rs_watch_end(&wl));
    assert_int_equal(readable_after(late[0], 0), -1);
    close(late[0]);
    close(late[1]);
    close(early[0]);
    close(early[1]);
}

static void test_past_deadline_fires_at_once(void **state)
{
    (void)state;
    int fd[2];
    nonblocking_pipe(fd);
    rs_watch w;
    assert_true(rs_watch_begin(&w, RS_WATCH_RING, fd[1], rs_clock_ns() - 10 * MS));
    int64_t waited = readable_after(fd[0], 2000);
    assert_true(waited >= 0 && waited < LATE_OK);
    assert_true(rs_watch_end(&w));
    close(fd[0]);
    close(fd[1]);
}

#define MANY 64

static void test_many_at_once(void **state)
{
    (void)state;
    int fd[MANY][2];
    rs_watch w[MANY];
    int64_t start = rs_clock_ns();
    for (int i = 0; i < MANY; i++) {
        nonblocking_pipe(fd[i]);
        /* deadlines from 20 to 83 ms, begun in the reverse order */
        assert_true(rs_watch_begin(&w[i], RS_WATCH_RING, fd[i][1], start + (83 - i) * MS));
    }
    for (int i = MANY - 1; i >= 0; i--) {
        assert_true(readable_after(fd[i][0], 2000) >= 0);
        assert_true(rs_clock_ns() - start >= (83 - i) * MS);
    }
    for (int i = 0; i < MANY; i++) {
        assert_true(rs_watch_end(&w[i]));
        close(fd[i][0]);
        close(fd[i][1]);
    }
}

static void test_after_fork(void **state)
{
    (void)state;
    int fd[2];
    nonblocking_pipe(fd);
    rs_watch w; /* the parent's watchdog runs already: it has been used above */
    assert_true(rs_watch_begin(&w, RS_WATCH_RING, fd[1], rs_clock_ns() + 5000 * MS));
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int c[2];
        if (pipe(c) != 0)
            _exit(2);
        fcntl(c[1], F_SETFL, O_NONBLOCK);
        rs_watch cw;
        if (!rs_watch_begin(&cw, RS_WATCH_RING, c[1], rs_clock_ns() + 30 * MS))
            _exit(3);
        struct pollfd p = {.fd = c[0], .events = POLLIN};
        _exit(poll(&p, 1, 2000) == 1 && rs_watch_end(&cw) ? 0 : 4);
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    assert_false(rs_watch_end(&w));
    close(fd[0]);
    close(fd[1]);
}

/* exit() stops the watchdog and ends at once: with a watch far in the future, and while the
 * watchdog is inside a watch's function (which must not be waited for: it may want a lock the
 * exiting program holds). Each in a child, which must end within 3 s. */
static int started_fd = -1;

static void slow_call(void)
{
    char byte = 1;
    ssize_t n = write(started_fd, &byte, 1);
    (void)n;
    usleep(300 * 1000);
}

static int child_exits(int how)
{
    int ready[2];
    if (pipe(ready) != 0)
        return 10;
    started_fd = ready[1];
    rs_watch w;
    if (how == 0) {
        if (!rs_watch_begin(&w, RS_WATCH_RING, ready[1], rs_watch_now() + 10000 * MS))
            return 11;
    } else {
        if (!rs_watch_call(&w, slow_call, rs_watch_now() + 10 * MS))
            return 12;
        char byte;
        if (read(ready[0], &byte, 1) != 1) /* the watchdog is in slow_call() now */
            return 13;
    }
    exit(0); /* atexit: the watchdog stops */
}

static void expect_prompt_exit(int how)
{
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0)
        _exit(child_exits(how));
    int status = 0;
    int64_t start = rs_watch_now();
    pid_t got = 0;
    while ((got = waitpid(pid, &status, WNOHANG)) == 0 && rs_watch_now() - start < 3000 * MS)
        usleep(10 * 1000);
    if (got == 0) {
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
        fail_msg("the child did not end within 3 s of exit() (how %d)", how);
    }
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}

static void test_exit_is_prompt(void **state)
{
    (void)state;
    expect_prompt_exit(0);
    expect_prompt_exit(1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ended_in_time_does_nothing),
        cmocka_unit_test(test_ring_at_the_deadline),
        cmocka_unit_test(test_shutdown_ends_a_blocked_recv),
        cmocka_unit_test(test_later_watch_does_not_hold_up_an_earlier),
        cmocka_unit_test(test_past_deadline_fires_at_once),
        cmocka_unit_test(test_many_at_once),
        cmocka_unit_test(test_after_fork),
        cmocka_unit_test(test_exit_is_prompt),
    };
    return cmocka_run_group_tests_name("watchdog", tests, NULL, NULL);
}
