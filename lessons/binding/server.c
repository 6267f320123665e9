/* server.c -- the binding lesson's server: one server, found through the endpoint mapper.
 *
 *     server [BINDING]             e.g.  server "ncacn_ip_tcp:127.0.0.1[0]"   (0: a free port)
 *
 * It serves two interfaces: the endpoint mapper (epm.h) and binding.idl's. The mapper listens on
 * BINDING, the stand-in for the well-known port 135 (which needs root); that is the binding it
 * prints as `listening on`. The binding interface gets endpoints nobody is told about: a second
 * TCP port the system picks, and a local socket named after this process. The server writes both
 * into its own map (rs_epm_map_add: a mapper in the same process needs no ept_insert call), so a
 * client that knows only the host asks the mapper with ept_map and gets them back as towers.
 * A log callback prints each connection. Greet prints how the client reached it; Shutdown stops
 * the server, as does SIGTERM or Ctrl-C.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L /* sigaction */
#endif

#include <signal.h>
#include <stdio.h>
#include <string.h>

#include <unistd.h>

#include <rpcscope/binding.h>
#include <rpcscope/epm.h>

#include "binding.h"

#define DEFAULT_BINDING "ncacn_ip_tcp:127.0.0.1[4747]" /* the mapper: 135 needs root */
#define DYNAMIC_TCP "ncacn_ip_tcp:127.0.0.1[0]" /* any free port: the mapper tells which */
#define ANNOTATION "binding lesson"              /* what ept_lookup lists beside the entry */

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

/* Listens on `binding` for Greet's interface and writes the endpoint it got into the map. */
static rs_status listen_and_map(const char *binding, rs_error *err)
{
    rs_status st = rs_server_listen(server, binding, err);
    if (st != RS_OK)
        return st;
    rs_epm_entry e;
    const char *got = rs_server_binding(server, rs_server_binding_count(server) - 1);
    st = rs_epm_entry_from_binding(&e, got, &binding_server_interface.syntax, ANNOTATION, err);
    if (st == RS_OK)
        st = rs_epm_map_add(&e, err);
    return st;
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

    /* A local socket's name has no "any free one": this process's id makes it one nobody
     * can guess, so only the mapper can tell it. */
    char local[RS_BINDING_STRLEN];
    snprintf(local, sizeof local, "ncalrpc:[binding-lesson-%ld]", (long)getpid());
    /* Every interface is served on every endpoint; the map says which endpoint to use for
     * which interface, and lists Greet's two. The mapper's own endpoint is known to all. */
    if (rs_server_register(server, &rs_epm_server_interface, &err) != RS_OK ||
        rs_server_register(server, &binding_server_interface, &err) != RS_OK ||
        rs_server_listen(server, binding, &err) != RS_OK ||
        listen_and_map(DYNAMIC_TCP, &err) != RS_OK || listen_and_map(local, &err) != RS_OK) {
        fprintf(stderr, "server: %s\n", err.message);
        rs_server_destroy(server);
        return 1;
    }
    for (size_t i = 1; i < rs_server_binding_count(server); i++)
        printf("server: Greet's interface is mapped to %s\n", rs_server_binding(server, i));
    printf("listening on %s\n", rs_server_binding(server, 0));
    fflush(stdout); /* a pipe is block-buffered: whoever waits for this line must get it now */

    rs_status st = rs_server_run(server, &err);
    if (st != RS_OK)
        fprintf(stderr, "server: %s\n", err.message);
    rs_server_destroy(server);
    return st == RS_OK ? 0 : 1;
}
