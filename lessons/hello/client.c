/* client.c -- the hello lesson's client: Microsoft's RPC tutorial client, on librpcscope.
 *
 *     client BINDING [TEXT]        e.g.  client "ncacn_ip_tcp:127.0.0.1[4747]" "hello, world"
 *
 * It opens a binding handle on the server's string binding and makes two remote calls that look
 * exactly like local ones: HelloProc(TEXT), which the server prints, and Shutdown(), which asks
 * the server to stop. The work of a remote call is in the client stub, hello_c.c, which rpcidl
 * generated from hello.idl.
 */
#include <stdio.h>

#include "hello.h"

#define DEFAULT_BINDING "ncacn_ip_tcp:127.0.0.1[4747]"

int main(int argc, char **argv)
{
    const char *binding = argc > 1 ? argv[1] : DEFAULT_BINDING;
    /* The string lives here, in the client's memory. Its address means nothing to the server:
     * the stub sends the characters, and the server's stub builds its own copy. */
    unsigned char message[256];
    snprintf((char *)message, sizeof message, "%s", argc > 2 ? argv[2] : "hello, world");

    rs_client *client;
    rs_error err = {0};
    if (rs_client_open(binding, NULL, &client, &err) != RS_OK) {
        fprintf(stderr, "client: %s\n", err.message);
        return 1;
    }
    hello_IfHandle = client; /* the ACF's implicit handle: every call below goes through it */

    HelloProc(message);
    rs_status st = rs_last_call_status();
    if (st == RS_OK) {
        Shutdown();
        st = rs_last_call_status();
    }
    if (st != RS_OK)
        fprintf(stderr, "client: %s\n", rs_last_call_error()->message);
    rs_client_close(client);
    return st == RS_OK ? 0 : 1;
}
