/* client.c -- the alignment lesson's client: a structure with members of four sizes.
 *
 *     client BINDING               e.g.  client "ncacn_ip_tcp:127.0.0.1[4747]"
 *
 * It asks the server for one year's interest on an account, a structure of a char, a short,
 * a char, a long and a hyper, then calls Shutdown() to stop the server. The client stub in
 * alignment_c.c lays the structure out in NDR, padding each member to its own alignment.
 */
#include <inttypes.h>
#include <stdio.h>

#include "alignment.h"

#define DEFAULT_BINDING "ncacn_ip_tcp:127.0.0.1[4747]"
#define PERCENT 3

int main(int argc, char **argv)
{
    const char *binding = argc > 1 ? argv[1] : DEFAULT_BINDING;
    if (argc > 2) {
        fprintf(stderr, "usage: client BINDING\n");
        return 2;
    }
    /* In this process's memory the C compiler pads the structure too, by the machine's rules.
     * The NDR bytes follow NDR's rules instead, the same on every machine. */
    account acct = {.kind = 's', .branch = 12, .status = 'o', .number = 40017, .cents = 123456};

    rs_client *client;
    rs_error err = {0};
    if (rs_client_open(binding, NULL, &client, &err) != RS_OK) {
        fprintf(stderr, "%s\n", err.message); /* "client: ..." */
        return 1;
    }
    alignment_IfHandle = client; /* the interface's implicit binding handle */

    int16_t remainder = -1;
    int64_t interest = Interest(PERCENT, &acct, &remainder);
    rs_status st = rs_last_call_status();
    if (st == RS_OK) {
        printf("interest at %d%% on %" PRId64 " cents: %" PRId64 " cents and %d hundredths\n",
               PERCENT, acct.cents, interest, remainder);
        Shutdown();
        st = rs_last_call_status();
    }
    if (st != RS_OK)
        fprintf(stderr, "%s\n", rs_last_call_error()->message);
    rs_client_close(client);
    return st == RS_OK ? 0 : 1;
}
