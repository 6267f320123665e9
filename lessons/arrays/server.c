/* server.c -- the arrays lesson's server.
 *
 *     server [BINDING]             e.g.  server "ncacn_ip_tcp:127.0.0.1[0]"   (0: a free port)
 *
 * It defines Sum, Average, Greet and Shutdown, offers the interface arrays, listens and prints
 * `listening on BINDING`. Before each procedure runs, the server stub in arrays_s.c has checked
 * every count that arrived against the IDL (max_count against size_is, actual_count against
 * length_is, ...) and built the arrays in this process's memory. Shutdown stops the server, as
 * do SIGTERM and Ctrl-C.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L /* sigaction */
#endif

#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "arrays.h"

#define DEFAULT_BINDING "ncacn_ip_tcp:127.0.0.1[4747]"

static rs_server *server;

int32_t Sum(int32_t n, int32_t *values)
{
    int64_t sum = 0; /* n longs cannot overflow 64 bits */
    for (int32_t i = 0; i < n; i++)
        sum += values[i];
    printf("Sum of %d values: %lld\n", n, (long long)sum);
    fflush(stdout);
    return (int32_t)sum; /* wraps like a C long would; the lesson's sums are small */
}

int32_t Average(int32_t hours, int32_t first, int32_t count, int32_t *temps)
{
    /* Only temps[first] .. temps[first + count - 1] crossed the network; the stub has checked
     * that they fit in the `hours` elements. The others hold nothing the client sent. */
    (void)hours;
    if (count <= 0)
        return 0;
    int64_t total = 0;
    for (int32_t i = first; i < first + count; i++)
        total += temps[i];
    printf("Average of temps[%d..%d]\n", first, first + count - 1);
    fflush(stdout);
    return (int32_t)(total / count);
}

void Greet(char *name, int32_t size, char *greeting)
{
    /* greeting is the server stub's buffer of `size` characters; it sends back only the
     * characters up to the terminator. */
    if (size > 0)
        snprintf(greeting, (size_t)size, "Hello, %s!", name);
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

    if (rs_server_register(server, &arrays_server_interface, &err) != RS_OK ||
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
