/* server.c -- the unions lesson's server.
 *
 *     server [BINDING]             e.g.  server "ncacn_ip_tcp:127.0.0.1[0]"   (0: a free port)
 *
 * It defines Area, Scale and Shutdown, offers the interface unions, listens and prints
 * `listening on BINDING`. The server stub in unions_s.c reads each union's discriminant first
 * and unmarshals only the arm it selects; a discriminant that selects no arm is refused before
 * a procedure runs. Shutdown stops the server, as do SIGTERM and Ctrl-C.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L /* sigaction */
#endif

#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "unions.h"

#define DEFAULT_BINDING "ncacn_ip_tcp:127.0.0.1[4747]"
#define HOW_WHOLE 1 /* the cases of the union number in unions.idl */
#define HOW_REAL 2
#define PI 3.14159265358979323846

static rs_server *server;

double Area(shape *s)
{
    /* Only the arm that s->kind names holds what the client sent. */
    switch (s->kind) {
    case SHAPE_CIRCLE:
        return PI * s->dims.radius * s->dims.radius;
    case SHAPE_SQUARE:
        return (double)s->dims.side * s->dims.side;
    case SHAPE_NONE:
    default:
        return 0.0;
    }
}

double Scale(int16_t how, number *factor, double x)
{
    switch (how) {
    case HOW_WHOLE:
        return x * factor->whole;
    case HOW_REAL:
        return x * factor->real;
    default: /* the [default] arm: no factor at all */
        return x;
    }
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

    if (rs_server_register(server, &unions_server_interface, &err) != RS_OK ||
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
