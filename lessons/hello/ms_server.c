/* ms_server.c -- the hello lesson's server again, written against Microsoft's RPC API (rpc.h)
 * instead of rpcscope's own: the program a Windows tutorial would have you write, unchanged
 * here but for the two lines that print where it listens.
 *
 *     ms_server [BINDING]          e.g.  ms_server "ncacn_ip_tcp:127.0.0.1[0]"   (0: a free port)
 *                                        ms_server "ncacn_np:[\pipe\hello]"
 *                                        ms_server "ncacn_ip_tcp:127.0.0.1"  (no endpoint: a
 *                                        dynamic one, registered with the endpoint mapper)
 *
 * It splits the binding into protocol sequence and endpoint (RpcStringBindingParse), listens
 * there (RpcServerUseProtseqEp), offers the interface (RpcServerRegisterIf2), prints
 * `listening on BINDING` with the real endpoint (RpcServerInqBindings: the line rpcscope waits
 * for) and serves until Shutdown() stops it (RpcMgmtStopServerListening). Given no endpoint, it
 * takes a dynamic one (RpcServerUseProtseq) and tells the host's endpoint mapper
 * (RpcEpRegister), where a client whose binding has no endpoint finds it. The stubs come from
 * `rpcidl --ms hello.idl`; their hello.h includes rpc.h and rpcndr.h.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hello.h"

#define DEFAULT_BINDING "ncacn_ip_tcp:127.0.0.1[4747]"

void HelloProc(unsigned char *pszString)
{
    printf("%s\n", (const char *)pszString);
    fflush(stdout);
}

static int registered; /* with the endpoint mapper: withdrawn on the way out */

void Shutdown(void)
{
    /* Leave the endpoint mapper's map while the bindings still exist, stop taking calls (this
     * one still gets its reply), then withdraw the interface. */
    if (registered)
        RpcEpUnregister(hello_v1_0_s_ifspec, NULL, NULL);
    RpcMgmtStopServerListening(NULL);
    RpcServerUnregisterIf(NULL, NULL, FALSE);
}

/* Every Microsoft RPC program provides the stubs' allocator. */
void __RPC_FAR *__RPC_USER midl_user_allocate(size_t len)
{
    return malloc(len);
}

void __RPC_USER midl_user_free(void __RPC_FAR *ptr)
{
    free(ptr);
}

/* The interface is open to every caller: no authentication here (rpc.h says so). */
static RPC_STATUS allow_everyone(RPC_IF_HANDLE iface, void *context)
{
    (void)iface;
    (void)context;
    return RPC_S_OK;
}

static void on_signal(int sig)
{
    (void)sig;
    RpcMgmtStopServerListening(NULL);
}

static int fail(const char *what, RPC_STATUS status)
{
    fprintf(stderr, "ms_server: %s failed with %ld\n", what, (long)status);
    return 1;
}

int main(int argc, char **argv)
{
    const char *binding = argc > 1 ? argv[1] : DEFAULT_BINDING;
    RPC_CSTR protseq = NULL, endpoint = NULL;
    RPC_STATUS status = RpcStringBindingParse((RPC_CSTR)binding, NULL, &protseq, NULL, &endpoint,
                                              NULL);
    if (status != RPC_S_OK)
        return fail("RpcStringBindingParse", status);
    int dynamic = endpoint[0] == '\0'; /* where it listens is for the endpoint mapper to tell */
    if (dynamic)
        status = RpcServerUseProtseq(protseq, RPC_C_PROTSEQ_MAX_REQS_DEFAULT, NULL);
    else
        status = RpcServerUseProtseqEp(protseq, RPC_C_PROTSEQ_MAX_REQS_DEFAULT, endpoint, NULL);
    RpcStringFree(&protseq);
    RpcStringFree(&endpoint);
    if (status != RPC_S_OK)
        return fail("RpcServerUseProtseqEp", status);

    status = RpcServerRegisterIf2(hello_v1_0_s_ifspec, NULL, NULL,
                                  RPC_IF_ALLOW_CALLBACKS_WITH_NO_AUTH,
                                  RPC_C_LISTEN_MAX_CALLS_DEFAULT, (unsigned)-1, allow_everyone);
    if (status != RPC_S_OK)
        return fail("RpcServerRegisterIf2", status);
    if (dynamic) {
        status = RpcEpRegister(hello_v1_0_s_ifspec, NULL, NULL, (RPC_CSTR) "hello, world server");
        if (status != RPC_S_OK)
            return fail("RpcEpRegister", status);
        registered = 1;
    }

    RPC_BINDING_VECTOR *bindings = NULL;
    RPC_CSTR text = NULL;
    status = RpcServerInqBindings(&bindings);
    if (status == RPC_S_OK)
        status = RpcBindingToStringBinding(bindings->BindingH[0], &text);
    if (status != RPC_S_OK)
        return fail("RpcServerInqBindings", status);
    printf("listening on %s\n", (const char *)text);
    fflush(stdout); /* a pipe is block-buffered: whoever waits for this line must get it now */
    RpcStringFree(&text);
    RpcBindingVectorFree(&bindings);

    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);
    status = RpcServerListen(1, RPC_C_LISTEN_MAX_CALLS_DEFAULT, FALSE); /* until Shutdown() */
    if (status != RPC_S_OK)
        return fail("RpcServerListen", status);
    return 0;
}
