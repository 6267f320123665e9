/* server.c -- the alignment lesson's server.
 *
 *     server [BINDING]             e.g.  server "ncacn_ip_tcp:127.0.0.1[0]"   (0: a free port)
 *
 * It defines Interest and Shutdown, offers the interface alignment, listens and prints
 * `listening on BINDING`. The server stub in alignment_s.c skips the pad bytes as it
 * unmarshals the account into a structure of its own, laid out by this machine's C rules.
 * Shutdown stops the server, as do SIGTERM and Ctrl-C.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L /* sigaction */
#endif

#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "alignment.h"

#define DEFAULT_BINDING "ncacn_ip_tcp:127.0.0.1[4747]"
#define MAX_CENTS ((int64_t)1 << 55) /* percent * cents stays far inside an int64_t */

static rs_server *server;

int64_t Interest(char percent, account *acct, int16_t *remainder)
{
    if (percent < 0 || acct->cents < 0 || acct->cents > MAX_CENTS) {
        *remainder = 0;
        return 0; /* no interest on debts, nor on sums this lesson has no use for */
    }
    int64_t hundredths = acct->cents * percent;
    *remainder = (int16_t)(hundredths % 100);
    printf("account %c%d-%" PRId32 " (%c): %" PRId64 " cents at %d%%\n", acct->kind,
           acct->branch, acct->number, acct->status, acct->cents, percent);
    fflush(stdout);
    return hundredths / 100;
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

    if (rs_server_register(server, &alignment_server_interface, &err) != RS_OK ||
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
