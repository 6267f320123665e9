/* server.c -- the pointers lesson's server.
 *
 *     server [BINDING]             e.g.  server "ncacn_ip_tcp:127.0.0.1[0]"   (0: a free port)
 *
 * It defines Total, Same and Shutdown, offers the interface pointers, listens and prints
 * `listening on BINDING`. The server stub in pointers_s.c rebuilds the client's linked list in
 * this process's memory, node by node, from the referent ids and the referents that follow
 * them; the procedures only ever see the server's own addresses. Shutdown stops the server, as
 * do SIGTERM and Ctrl-C.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L /* sigaction */
#endif

#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "pointers.h"

#define DEFAULT_BINDING "ncacn_ip_tcp:127.0.0.1[4747]"

static rs_server *server;

int32_t Total(node *list, int32_t *count)
{
    /* The list ends at a NULL next, as the client's did: NULL is the one pointer value that
     * crosses, as referent id 0. The stub bounds the nodes it builds, so this loop ends. */
    int64_t total = 0;
    int32_t n = 0;
    for (const node *p = list; p != NULL; p = p->next) {
        total += p->value;
        n++;
    }
    *count = n;
    printf("Total: %d nodes\n", n);
    fflush(stdout);
    return (int32_t)total; /* wraps like a C long would; the lesson's totals are small */
}

int32_t Same(int32_t *a, int32_t *b)
{
    /* The client passed one address twice. Those addresses never came here, yet the stub gave
     * a and b one and the same server variable, because both had the same referent id. */
    printf("Same: a = %p, b = %p\n", (void *)a, (void *)b);
    fflush(stdout);
    return a == b;
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

    if (rs_server_register(server, &pointers_server_interface, &err) != RS_OK ||
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
