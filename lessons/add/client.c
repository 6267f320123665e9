/* client.c -- the add lesson's client: one call with two [in] values, an [out] value and a return
 * value.
 *
 *     client BINDING [A B]         e.g.  client "ncacn_ip_tcp:127.0.0.1[4747]" 2 3
 *
 * It calls Add(A, B, &sum) -- a local-looking call to the client stub in add_c.c -- prints what
 * came back, and calls Shutdown() to stop the server. The variable sum lives in this process;
 * the server never sees its address: the client stub writes the value that comes back into it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "add.h"

#define DEFAULT_BINDING "ncacn_ip_tcp:127.0.0.1[4747]"

/* Reads a decimal long (an IDL long is 32 bits); says which argument is wrong and why. */
static int parse_long(const char *what, const char *text, int32_t *out)
{
    char *end;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (end == text || *end != '\0' || errno == ERANGE || v < INT32_MIN || v > INT32_MAX) {
        fprintf(stderr, "client: %s must be a whole number from %ld to %ld, not \"%s\"\n", what,
                (long)INT32_MIN, (long)INT32_MAX, text);
        return 0;
    }
    *out = (int32_t)v;
    return 1;
}

int main(int argc, char **argv)
{
    const char *binding = argc > 1 ? argv[1] : DEFAULT_BINDING;
    int32_t a = 2, b = 3;
    if (argc > 4 || argc == 3) {
        fprintf(stderr, "usage: client BINDING [A B]\n");
        return 2;
    }
    if (argc == 4 && (!parse_long("A", argv[2], &a) || !parse_long("B", argv[3], &b)))
        return 2;

    rs_client *client;
    rs_error err = {0};
    if (rs_client_open(binding, NULL, &client, &err) != RS_OK) {
        fprintf(stderr, "%s\n", err.message); /* "client: ..." */
        return 1;
    }
    add_IfHandle = client; /* the interface's implicit binding handle: every call below uses it */

    /* sum is [out] only: its value before the call is never sent. -1 makes it easy to see that
     * the stub overwrote it with what the server computed. */
    int32_t sum = -1;
    int32_t status = Add(a, b, &sum);
    rs_status st = rs_last_call_status();
    if (st == RS_OK) {
        printf("Add(%d, %d) returned %d; sum = %d\n", a, b, status, sum);
        Shutdown();
        st = rs_last_call_status();
    }
    if (st != RS_OK)
        fprintf(stderr, "%s\n", rs_last_call_error()->message);
    rs_client_close(client);
    return st == RS_OK ? 0 : 1;
}
