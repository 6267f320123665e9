/* ms_client.c -- the hello lesson's client again, written against Microsoft's RPC API (rpc.h)
 * instead of rpcscope's own: the program a Windows tutorial would have you write.
 *
 *     ms_client BINDING [TEXT]     e.g.  ms_client "ncacn_ip_tcp:127.0.0.1[4747]" "hello, world"
 *
 * It takes the binding apart and composes it again from its parts (RpcStringBindingParse,
 * RpcStringBindingCompose: a tutorial composes it from constants), makes the implicit binding
 * handle from it (RpcBindingFromStringBinding into hello_IfHandle, the ACF's), and calls
 * HelloProc(TEXT) and Shutdown() inside RpcTryExcept: a failed call raises an exception with a
 * Win32 code, which the RpcExcept block prints.
 */
#include <stdio.h>
#include <stdlib.h>

#include "hello.h"

#define DEFAULT_BINDING "ncacn_ip_tcp:127.0.0.1[4747]"

void __RPC_FAR *__RPC_USER midl_user_allocate(size_t len)
{
    return malloc(len);
}

void __RPC_USER midl_user_free(void __RPC_FAR *ptr)
{
    free(ptr);
}

/* The string binding for the parts of `given`; NULL when it does not parse. */
static RPC_CSTR recompose(const char *given)
{
    RPC_CSTR uuid = NULL, protseq = NULL, address = NULL, endpoint = NULL, options = NULL;
    RPC_CSTR text = NULL;
    RPC_STATUS status = RpcStringBindingParse((RPC_CSTR)given, &uuid, &protseq, &address,
                                              &endpoint, &options);
    if (status == RPC_S_OK)
        status = RpcStringBindingCompose(uuid, protseq, address, endpoint, options, &text);
    if (status != RPC_S_OK)
        fprintf(stderr, "ms_client: %s: not a string binding (%ld)\n", given, (long)status);
    RpcStringFree(&uuid);
    RpcStringFree(&protseq);
    RpcStringFree(&address);
    RpcStringFree(&endpoint);
    RpcStringFree(&options);
    return text;
}

int main(int argc, char **argv)
{
    /* The string lives in the client's memory; the stub sends its characters, never its address. */
    unsigned char *message = (unsigned char *)(argc > 2 ? argv[2] : "hello, world");
    RPC_CSTR binding = recompose(argc > 1 ? argv[1] : DEFAULT_BINDING);
    if (binding == NULL)
        return 1;
    RPC_STATUS status = RpcBindingFromStringBinding(binding, &hello_IfHandle);
    RpcStringFree(&binding);
    if (status != RPC_S_OK) {
        fprintf(stderr, "ms_client: RpcBindingFromStringBinding failed with %ld\n", (long)status);
        return 1;
    }

    volatile unsigned long failure = 0; /* set in RpcExcept, read after it: volatile (rpc.h) */
    RpcTryExcept
    {
        HelloProc(message);
        Shutdown();
    }
    RpcExcept(1)
    {
        failure = (unsigned long)RpcExceptionCode();
        fprintf(stderr, "ms_client: the runtime raised exception %lu (0x%lx)\n", failure, failure);
    }
    RpcEndExcept

    RpcBindingFree(&hello_IfHandle);
    return failure == 0 ? 0 : 1;
}
