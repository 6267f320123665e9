/* server.c -- the binding lesson's server: one server, two protocol sequences.
 *
 *     server [BINDING]             e.g.  server "ncacn_ip_tcp:127.0.0.1[0]"   (0: a free port)
 *
 * It listens on BINDING and, when that is TCP, also on a local socket named after the TCP port
 * it got: ncalrpc:[binding-lesson-PORT]. That naming rule is all the client needs to find the
 * second endpoint; real deployments ask the endpoint mapper instead. A log callback prints each
 * connection, so the two kinds of peer show. Greet prints how the client reached it; Shutdown
 * stops the server, as does SIGTERM or Ctrl-C.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L /* sigaction */
#endif

#include <signal.h>
#include <stdio.h>
#include <string.h>

#include <rpcscope/binding.h>

#include "binding.h"

#define DEFAULT_BINDING "ncacn_ip_tcp:127.0.0.1[4747]"
#define LRPC_PREFIX "binding-lesson-" /* ncalrpc:[binding-lesson-PORT] */

static rs_server *server;

void Greet(unsigned char *how)
{
    printf("Greet: reached through %s\n", (const char *)how);
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

/* The runtime's connection log: "accepted 127.0.0.1:53122", "closed ...". */
static void log_line(void *ctx, const char *line)
{
    (void)ctx;
    printf("server: %s\n", line);
    fflush(stdout);
}

/* The local endpoint that goes with a TCP binding: ncalrpc:[binding-lesson-PORT]. */
static rs_status local_binding_for(const char *tcp, char *out, size_t size)
{
    rs_binding b;
    unsigned port;
    if (rs_binding_parse(tcp, &b) != RS_OK || b.protseq != RS_PROTSEQ_TCP ||
        rs_binding_port(&b, &port) != RS_OK)
        return RS_ERR_INVALID_ARG;
    rs_binding local = {.protseq = RS_PROTSEQ_LRPC};
    snprintf(local.endpoint, sizeof local.endpoint, LRPC_PREFIX "%u", port);
    return rs_binding_compose(&local, out, size);
}

int main(int argc, char **argv)
{
    const char *binding = argc > 1 ? argv[1] : DEFAULT_BINDING;
    rs_error err = {0};
    rs_server_options options = rs_server_default_options();
    options.log = log_line;
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

    if (rs_server_register(server, &binding_server_interface, &err) != RS_OK ||
        rs_server_listen(server, binding, &err) != RS_OK) {
        fprintf(stderr, "server: %s\n", err.message);
        rs_server_destroy(server);
        return 1;
    }
    /* The TCP port is known only now (port 0 asked for any free one). */
    char local[RS_BINDING_STRLEN];
    if (local_binding_for(rs_server_binding(server, 0), local, sizeof local) == RS_OK &&
        rs_server_listen(server, local, &err) != RS_OK) {
        fprintf(stderr, "server: %s\n", err.message);
        rs_server_destroy(server);
        return 1;
    }
    printf("listening on %s\n", rs_server_binding(server, 0));
    for (size_t i = 1; i < rs_server_binding_count(server); i++)
        printf("server: also listening on %s\n", rs_server_binding(server, i));
    fflush(stdout); /* a pipe is block-buffered: whoever waits for this line must get it now */

    rs_status st = rs_server_run(server, &err);
    if (st != RS_OK)
        fprintf(stderr, "server: %s\n", err.message);
    rs_server_destroy(server);
    return st == RS_OK ? 0 : 1;
}
