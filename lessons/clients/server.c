/* server.c -- the clients lesson's server: one guest book shared by every client.
 *
 *     server [BINDING]             e.g.  server "ncacn_ip_tcp:127.0.0.1[0]"   (0: a free port)
 *
 * The runtime serves each connection on one of a pool of worker threads (options.workers), so
 * calls from different clients run at the same time and Visit must be thread-safe: the counter
 * is atomic. Visit prints which thread runs it and takes a little while, so that the calls
 * overlap. Several clients share the server, so none of them stops it: rpcscope sends SIGTERM
 * once the last client has exited, and so does Ctrl-C.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L /* sigaction, nanosleep */
#endif
#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE /* syscall */
#endif

#include <inttypes.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "clients.h"

#define DEFAULT_BINDING "ncacn_ip_tcp:127.0.0.1[4747]"
#define WORKERS 4   /* threads that run calls: up to 4 calls at once */
#define VISIT_MS 50 /* how long a visit takes: long enough for calls to overlap */

static rs_server *server;
static atomic_int visits;

int32_t Visit(unsigned char *who)
{
    int n = atomic_fetch_add(&visits, 1) + 1;
    printf("visit %d: %s, on worker thread %ld\n", n, (const char *)who, (long)syscall(SYS_gettid));
    fflush(stdout);
    struct timespec pause = {0, VISIT_MS * 1000000L};
    nanosleep(&pause, NULL);
    return n;
}

static void on_signal(int sig)
{
    (void)sig;
    rs_server_stop(server); /* safe in a signal handler: an atomic store and a write() */
}

int main(int argc, char **argv)
{
    const char *binding = argc > 1 ? argv[1] : DEFAULT_BINDING;
    rs_error err = {0};
    rs_server_options options = rs_server_default_options();
    options.workers = WORKERS;
    if (rs_server_create(&options, &server) != RS_OK) {
        fprintf(stderr, "server: cannot create the server\n");
        return 1;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);

    if (rs_server_register(server, &clients_server_interface, &err) != RS_OK ||
        rs_server_listen(server, binding, &err) != RS_OK) {
        fprintf(stderr, "server: %s\n", err.message);
        rs_server_destroy(server);
        return 1;
    }
    printf("listening on %s\n", rs_server_binding(server, 0));
    printf("server: %d worker threads\n", WORKERS);
    fflush(stdout); /* a pipe is block-buffered: whoever waits for this line must get it now */

    rs_status st = rs_server_run(server, &err);
    if (st != RS_OK)
        fprintf(stderr, "server: %s\n", err.message);
    printf("server: stopped after %d visits\n", atomic_load(&visits));
    rs_server_destroy(server);
    return st == RS_OK ? 0 : 1;
}
