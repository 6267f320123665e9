/* client.c -- the binding lesson's client: string bindings taken apart and put together.
 *
 *     client BINDING               e.g.  client "ncacn_ip_tcp:127.0.0.1[4747]"
 *
 * A string binding is [OBJECT_UUID@]PROTSEQ:NETWORK_ADDRESS[ENDPOINT]. The client parses the one
 * it was given (rs_binding_parse), then composes two others from its parts (rs_binding_compose):
 * the same server with an object UUID, and the same server over a local socket, whose name the
 * server derives from its TCP port (ncalrpc:[binding-lesson-PORT]). It calls Greet through each,
 * shows what a binding without an endpoint and a malformed one give, and calls Shutdown.
 */
#include <stdbool.h>
#include <stdio.h>

#include <rpcscope/binding.h>

#include "binding.h"

#define DEFAULT_BINDING "ncacn_ip_tcp:127.0.0.1[4747]"
#define OBJECT_UUID "6d5a3b1c-8f2e-4c7a-9b0d-1e2f3a4b5c6d" /* names one object the server offers */

static void show(const char *label, const rs_binding *b)
{
    char object[RS_UUID_STRLEN] = "none";
    if (b->has_object)
        rs_uuid_format(&b->object, object);
    printf("client: %s: protocol sequence %s, host \"%s\", endpoint \"%s\", object %s\n", label,
           rs_protseq_name(b->protseq), b->host, b->endpoint, object);
    fflush(stdout); /* shown before the calls that follow, not when the pipe's buffer fills */
}

/* Opens a client on `text`, calls Greet(text) and, if `last`, Shutdown; true when all worked. */
static bool greet_through(const char *text, bool last)
{
    rs_client *client;
    rs_error err = {0};
    if (rs_client_open(text, NULL, &client, &err) != RS_OK) {
        printf("client: %s: %s\n", text, err.message);
        return false;
    }
    binding_IfHandle = client;
    Greet((unsigned char *)text);
    if (last && rs_last_call_status() == RS_OK)
        Shutdown();
    bool ok = rs_last_call_status() == RS_OK;
    printf("client: through %s: %s\n", text, ok ? "ok" : rs_last_call_error()->message);
    rs_client_close(client);
    return ok;
}

int main(int argc, char **argv)
{
    const char *given = argc > 1 ? argv[1] : DEFAULT_BINDING;
    rs_binding tcp;
    if (rs_binding_parse(given, &tcp) != RS_OK || tcp.protseq != RS_PROTSEQ_TCP) {
        fprintf(stderr, "client: %s: %s\n", given, tcp.error[0] ? tcp.error : "not ncacn_ip_tcp");
        return 1;
    }
    show("given", &tcp);
    unsigned port;
    if (rs_binding_port(&tcp, &port) != RS_OK) {
        fprintf(stderr, "client: %s has no port\n", given);
        return 1;
    }

    /* 1. The same server and port, with an object UUID in front. */
    rs_binding with_object = tcp;
    with_object.has_object = rs_uuid_parse(OBJECT_UUID, &with_object.object) == RS_OK;
    char text1[RS_BINDING_STRLEN];
    if (rs_binding_compose(&with_object, text1, sizeof text1) != RS_OK)
        return 1;
    show("composed", &with_object);

    /* 2. The same server over a local socket: no host, the endpoint is a name. */
    rs_binding local = {.protseq = RS_PROTSEQ_LRPC};
    snprintf(local.endpoint, sizeof local.endpoint, "binding-lesson-%u", port);
    char text2[RS_BINDING_STRLEN];
    if (rs_binding_compose(&local, text2, sizeof text2) != RS_OK)
        return 1;
    show("composed", &local);

    /* 3. A binding without an endpoint parses; a runtime with an endpoint mapper would ask it
     * for the port. And a malformed one is refused with the reason and its column. */
    rs_binding partial, bad;
    if (rs_binding_parse("ncacn_ip_tcp:127.0.0.1", &partial) == RS_OK)
        show("no endpoint", &partial);
    if (rs_binding_parse("ncacn_ip_tcp:127.0.0.1[http]", &bad) != RS_OK)
        printf("client: ncacn_ip_tcp:127.0.0.1[http] is refused: %s\n", bad.error);
    fflush(stdout);

    bool ok = greet_through(text1, false);
    ok = greet_through(text2, true) && ok;
    return ok ? 0 : 1;
}
