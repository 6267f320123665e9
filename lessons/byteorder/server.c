/* server.c -- the byteorder lesson's server: an ordinary little-endian server.
 *
 *     server [BINDING]             e.g.  server "ncacn_ip_tcp:127.0.0.1[0]"   (0: a free port)
 *
 * Nothing in this file knows about byte order. The client sends big-endian NDR; the server stub
 * in byteorder_s.c reads the drep of the request and converts each multi-byte value while it
 * unmarshals it ("receiver makes right"), so Mirror gets ordinary native integers. Mirror prints
 * what it received; Shutdown stops the server, as does SIGTERM or Ctrl-C.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L /* sigaction */
#endif

#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "byteorder.h"

#define DEFAULT_BINDING "ncacn_ip_tcp:127.0.0.1[4747]"

static rs_server *server;

int32_t Mirror(int32_t value, uint16_t port, int64_t big, double ratio, unsigned char *label)
{
    /* The first byte of `value` in this process's memory: 0x04 on a little-endian machine. */
    const unsigned char *first = (const unsigned char *)&value;
    printf("%s: value 0x%08" PRIx32 " (first byte in memory 0x%02x), port %u, big %" PRId64
           ", ratio %g\n",
           (const char *)label, (uint32_t)value, first[0], port, big, ratio);
    fflush(stdout);
    return value;
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

    if (rs_server_register(server, &byteorder_server_interface, &err) != RS_OK ||
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
