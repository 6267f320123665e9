/* server.c -- the hello lesson's server: Microsoft's RPC tutorial server, on librpcscope.
 *
 *     server [BINDING]             e.g.  server "ncacn_ip_tcp:127.0.0.1[0]"   (0: a free port)
 *
 * It defines the two procedures of hello.idl, offers the interface, listens, and prints
 * `listening on BINDING` (the binding with its real port: what a client needs, and the line
 * rpcscope waits for). HelloProc prints the string it is given; Shutdown stops the server, as
 * does SIGTERM or Ctrl-C. The server stub in hello_s.c unmarshals the string and calls
 * HelloProc as if the client had called it directly.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L /* sigaction */
#endif

#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "hello.h"

#define DEFAULT_BINDING "ncacn_ip_tcp:127.0.0.1[4747]"

static rs_server *server;

void HelloProc(unsigned char *pszString)
{
    printf("%s\n", (const char *)pszString);
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

    if (rs_server_register(server, &hello_server_interface, &err) != RS_OK ||
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
