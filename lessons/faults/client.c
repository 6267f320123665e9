/* client.c -- the faults lesson's client: five calls, four of which are meant to fail.
 *
 *     client BINDING               e.g.  client "ncacn_ip_tcp:127.0.0.1[4747]"
 *
 * A stub's C signature has no room for an error, so after each call the program asks the runtime
 * how it went: rs_last_call_status() (RS_OK, RS_ERR_FAULT for a fault PDU, RS_ERR_BIND_REJECTED,
 * ...), rs_last_call_fault() (the fault's DCE status code) and rs_last_call_error() (a sentence).
 * It prints each outcome and exits 0 when every call ended as the lesson plans it: Lookup, Probe
 * and Ping fail only because the lesson's script (lesson.txt, `fault:`) makes them fail.
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>

#include "faults.h"

#define DEFAULT_BINDING "ncacn_ip_tcp:127.0.0.1[4747]"

/* Prints how the last call ended and says whether that is what the lesson expects: `want` a
 * status and, for RS_ERR_FAULT, `want_fault` the fault code. */
static bool outcome(const char *call, rs_status want, uint32_t want_fault)
{
    rs_status st = rs_last_call_status();
    uint32_t fault = rs_last_call_fault();
    if (st == RS_OK)
        printf("client: %s: ok\n", call);
    else if (st == RS_ERR_FAULT)
        printf("client: %s: fault %s (0x%08" PRIx32 "): %s\n", call,
               rs_fault_name(fault) != NULL ? rs_fault_name(fault) : "?", fault,
               rs_fault_message(fault));
    else
        printf("client: %s: %s: %s\n", call, rs_status_name(st), rs_last_call_error()->message);
    bool planned = st == want && (st != RS_ERR_FAULT || fault == want_fault);
    if (!planned)
        printf("client: %s: that is not what the lesson expects\n", call);
    return planned;
}

int main(int argc, char **argv)
{
    const char *binding = argc > 1 ? argv[1] : DEFAULT_BINDING;
    rs_client *client;
    rs_error err = {0};
    if (rs_client_open(binding, NULL, &client, &err) != RS_OK) {
        fprintf(stderr, "client: %s\n", err.message);
        return 1;
    }
    faults_IfHandle = client;
    bool ok = true;

    int32_t q = Divide(10, 2);
    ok &= outcome("Divide(10, 2)", RS_OK, 0) && q == 5;

    /* The procedure itself raises the fault; q is 0, as after any failed call. */
    q = Divide(1, 0);
    ok &= outcome("Divide(1, 0)", RS_ERR_FAULT, RS_nca_s_fault_int_div_by_zero) && q == 0;

    /* lesson.txt: raise nca_s_fault_object_not_found on Lookup */
    Lookup(7);
    ok &= outcome("Lookup(7)", RS_ERR_FAULT, RS_nca_s_fault_object_not_found);

    /* lesson.txt: unknown-opnum on Probe */
    Probe();
    ok &= outcome("Probe()", RS_ERR_FAULT, RS_nca_s_op_rng_error);

    /* lesson.txt: unknown-interface on Ping */
    Ping();
    ok &= outcome("Ping()", RS_ERR_BIND_REJECTED, 0);

    /* A fault ends one call, not the connection: the same connection still serves. */
    Shutdown();
    ok &= outcome("Shutdown()", RS_OK, 0);

    rs_client_close(client);
    return ok ? 0 : 1;
}
