/* client.c -- the binding lesson's client: string bindings taken apart and put together, and the
 * endpoint mapper filling in what they leave out.
 *
 *     client BINDING               e.g.  RPCSCOPE_EPM="ncacn_ip_tcp:127.0.0.1[4747]" \
 *                                            client "ncacn_ip_tcp:127.0.0.1"
 *
 * A string binding is [OBJECT_UUID@]PROTSEQ:NETWORK_ADDRESS[ENDPOINT]. The client is given one
 * that names a host and no endpoint: it knows where the server runs, not where it listens. It
 * parses it (rs_binding_parse) and composes from its parts (rs_binding_compose) the same host
 * with an object UUID in front. That binding has no endpoint, so before its first call the
 * runtime asks the endpoint mapper (ept_map, a call of its own; RPCSCOPE_EPM says where the
 * mapper listens, port 135 being out of reach) and connects where the answer's tower says. Then
 * the client asks the mapper itself for the server's local socket (ncalrpc), whose name only the
 * mapper knows. It calls Greet through both, shows what a malformed binding gives, and calls
 * Shutdown.
 */
#include <stdbool.h>
#include <stdio.h>

#include <rpcscope/binding.h>
#include <rpcscope/epm.h>

#include "binding.h"

#define DEFAULT_BINDING "ncacn_ip_tcp:127.0.0.1"
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

    /* 1. The same host, with an object UUID in front. */
    rs_binding with_object = tcp;
    with_object.has_object = rs_uuid_parse(OBJECT_UUID, &with_object.object) == RS_OK;
    char text1[RS_BINDING_STRLEN];
    if (rs_binding_compose(&with_object, text1, sizeof text1) != RS_OK)
        return 1;
    show("composed", &with_object);

    /* 2. A malformed binding is refused with the reason and its column. */
    rs_binding bad;
    if (rs_binding_parse("ncacn_ip_tcp:127.0.0.1[http]", &bad) != RS_OK)
        printf("client: ncacn_ip_tcp:127.0.0.1[http] is refused: %s\n", bad.error);
    fflush(stdout);

    if (!greet_through(text1, false))
        return 1;

    /* 3. This machine over a local socket: no host, and an endpoint that is a name. Only the
     * mapper knows it, and a text binding here must name it, so the client asks the mapper
     * itself (rs_epm_resolve: the same ept_map the runtime makes for a TCP binding without a
     * port; RpcEpResolveBinding in Microsoft's API) and composes the answer. */
    rs_binding local = {.protseq = RS_PROTSEQ_LRPC};
    rs_error err = {0};
    if (rs_epm_resolve(&local, &binding_client_interface, &err) != RS_OK) {
        fprintf(stderr, "client: the mapper does not say where ncalrpc is: %s\n", err.message);
        return 1;
    }
    char text2[RS_BINDING_STRLEN];
    if (rs_binding_compose(&local, text2, sizeof text2) != RS_OK)
        return 1;
    show("resolved", &local);
    return greet_through(text2, true) ? 0 : 1;
}
