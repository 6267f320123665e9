/* server.c -- the add lesson's server.
 *
 *     server [BINDING]             e.g.  server "ncacn_ip_tcp:127.0.0.1[0]"   (0: a free port)
 *
 * It defines Add and Shutdown, offers the interface add, listens and prints `listening on
 * BINDING`. Add is an ordinary C function: the server stub in add_s.c unmarshals a and b into
 * this process's memory, gives Add a pointer to a variable of its own for sum, and after Add
 * returns marshals that variable and the return value into the response. Shutdown stops the
 * server, as do SIGTERM and Ctrl-C.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L /* sigaction */
#endif

#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "add.h"

#define DEFAULT_BINDING "ncacn_ip_tcp:127.0.0.1[4747]"
#define ADD_OK 0
#define ADD_OVERFLOW 1

static rs_server *server;

int32_t Add(int32_t a, int32_t b, int32_t *sum)
{
    /* sum points into the server stub's memory, not the client's: the stub sends the value back. */
    int64_t exact = (int64_t)a + b; /* cannot overflow in 64 bits */
    if (exact < INT32_MIN || exact > INT32_MAX) {
        *sum = 0;
        return ADD_OVERFLOW;
    }
    *sum = (int32_t)exact;
    printf("Add(%d, %d): sum = %d\n", a, b, *sum);
    fflush(stdout);
    return ADD_OK;
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

    if (rs_server_register(server, &add_server_interface, &err) != RS_OK ||
        rs_server_listen(server, binding, &err) != RS_OK) {
        fprintf(stderr, "%s\n", err.message); /* "server: ..." */
        rs_server_destroy(server);
        return 1;
    }
    printf("listening on %s\n", rs_server_binding(server, 0));
    fflush(stdout); /* a pipe is block-buffered: whoever waits for this line must get it now */

    rs_status st = rs_server_run(server, &err);
    if (st != RS_OK)
        fprintf(stderr, "%s\n", err.message); /* "server: ..." */
    rs_server_destroy(server);
    return st == RS_OK ? 0 : 1;
}
