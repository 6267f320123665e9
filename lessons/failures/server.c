/* server.c -- the failures lesson's server: one bank account, kept in this process's memory.
 *
 *     server [BINDING]             e.g.  server "ncacn_ip_tcp:127.0.0.1[0]"   (0: a free port)
 *
 * The procedures are ordinary and never fail. The lesson's script (lesson.txt, `fault:`) makes
 * the server runtime close a connection before or after a procedure runs, hold a response back,
 * or kill this process, so that the client sees what a real network and a real crash do.
 * Shutdown stops the server, as does SIGTERM or Ctrl-C.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L /* sigaction */
#endif

#include <inttypes.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "failures.h"

#define DEFAULT_BINDING "ncacn_ip_tcp:127.0.0.1[4747]"

static rs_server *server;
/* Worker threads run calls, possibly at once: the balance is atomic. */
static _Atomic int32_t balance;

int32_t Balance(void)
{
    return atomic_load(&balance);
}

void Deposit(int32_t cents)
{
    printf("Deposit(%" PRId32 "): balance now %" PRId32 "\n", cents,
           atomic_fetch_add(&balance, cents) + cents);
    fflush(stdout);
}

void Withdraw(int32_t cents)
{
    printf("Withdraw(%" PRId32 "): balance now %" PRId32 "\n", cents,
           atomic_fetch_sub(&balance, cents) - cents);
    fflush(stdout);
}

void AddInterest(int32_t percent)
{
    int32_t old = atomic_load(&balance);
    while (!atomic_compare_exchange_weak(&balance, &old, old + old * percent / 100))
        ;
    printf("AddInterest(%" PRId32 "%%): balance now %" PRId32 "\n", percent,
           atomic_load(&balance));
    fflush(stdout);
}

void Audit(void)
{
    printf("Audit: balance %" PRId32 "\n", atomic_load(&balance));
    fflush(stdout);
}

void Shutdown(void)
{
    rs_server_stop(server); /* the reply to this call is still sent */
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
    if (rs_server_create(NULL, &server) != RS_OK) {
        fprintf(stderr, "server: cannot create the server\n");
        return 1;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);

    if (rs_server_register(server, &failures_server_interface, &err) != RS_OK ||
        rs_server_listen(server, binding, &err) != RS_OK) {
        fprintf(stderr, "server: %s\n", err.message);
        rs_server_destroy(server);
        return 1;
    }
    printf("listening on %s\n", rs_server_binding(server, 0));
    fflush(stdout); /* a pipe is block-buffered: whoever waits for this line must get it now */

    rs_status st = rs_server_run(server, &err);
    if (st != RS_OK)
        fprintf(stderr, "server: %s\n", err.message);
    rs_server_destroy(server);
    return st == RS_OK ? 0 : 1;
}
