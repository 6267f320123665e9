/* server.c -- the fragments lesson's server.
 *
 *     server [BINDING]             e.g.  server "ncacn_ip_tcp:127.0.0.1[0]"   (0: a free port)
 *
 * Nothing in this file knows about fragments. The server runtime collects a call's request PDUs
 * by call id until the one marked LAST_FRAG, joins their stub data, and only then hands the
 * whole to the stub in fragments_s.c. Sum adds the values; Shutdown stops the server, as does
 * SIGTERM or Ctrl-C.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L /* sigaction */
#endif

#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "fragments.h"

#define DEFAULT_BINDING "ncacn_ip_tcp:127.0.0.1[4747]"

static rs_server *server;

int64_t Sum(int32_t n, int32_t *values)
{
    /* values is the server's own copy, made by the stub from the reassembled stub data: by now
     * the fragments are gone, and the procedure sees one ordinary array. */
    int64_t sum = 0;
    for (int32_t i = 0; i < n; i++)
        sum += values[i];
    printf("Sum of %" PRId32 " values: %" PRId64 "\n", n, sum);
    fflush(stdout);
    return sum;
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

    if (rs_server_register(server, &fragments_server_interface, &err) != RS_OK ||
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
