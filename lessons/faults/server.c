/* server.c -- the faults lesson's server.
 *
 *     server [BINDING]             e.g.  server "ncacn_ip_tcp:127.0.0.1[0]"   (0: a free port)
 *
 * Divide fails its call when asked to divide by zero: it calls rs_server_raise(), the runtime's
 * RpcRaiseException, which abandons the procedure and answers the client with a fault PDU
 * carrying nca_s_fault_int_div_by_zero. Lookup, Probe and Ping are ordinary; the lesson's script
 * makes their calls fail before they run. Shutdown stops the server, as does SIGTERM or Ctrl-C.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L /* sigaction */
#endif

#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "faults.h"

#define DEFAULT_BINDING "ncacn_ip_tcp:127.0.0.1[4747]"

static rs_server *server;

int32_t Divide(int32_t a, int32_t b)
{
    /* Dividing by zero here would crash the whole server (SIGFPE) and every client with it. A
     * DCE server turns it into a fault for this one call instead. */
    if (b == 0)
        rs_server_raise(RS_nca_s_fault_int_div_by_zero); /* does not return */
    printf("Divide(%" PRId32 ", %" PRId32 ") = %" PRId32 "\n", a, b, a / b);
    fflush(stdout);
    return a / b;
}

int32_t Lookup(int32_t key)
{
    printf("Lookup(%" PRId32 ")\n", key);
    fflush(stdout);
    return key * 10;
}

void Probe(void)
{
    printf("Probe\n");
    fflush(stdout);
}

void Ping(void)
{
    printf("Ping\n");
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

    if (rs_server_register(server, &faults_server_interface, &err) != RS_OK ||
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
