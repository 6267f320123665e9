/* client.c -- the failures lesson's client: calls that the network lets down.
 *
 *     client BINDING               e.g.  client "ncacn_ip_tcp:127.0.0.1[4747]"
 *
 * Each call that changes the account meets a different failure, arranged by the lesson's script
 * (lesson.txt, `fault:`). After each, the program asks the runtime what happened
 * (rs_last_call_status()) and reads the balance again to learn what the server really did: the
 * failed call itself cannot tell it. A failed call is never sent again by the runtime (at most
 * once); the next call simply connects and binds again. The program exits 0 when every call
 * ended as the lesson plans it.
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>

#include "failures.h"

#define DEFAULT_BINDING "ncacn_ip_tcp:127.0.0.1[4747]"

/* Prints how the last call ended; true when its status is one of want1, want2. */
static bool ended(const char *call, rs_status want1, rs_status want2)
{
    rs_status st = rs_last_call_status();
    if (st == RS_OK)
        printf("client: %s: ok\n", call);
    else
        printf("client: %s: %s: %s\n", call, rs_status_name(st), rs_last_call_error()->message);
    if (st == want1 || st == want2)
        return true;
    printf("client: %s: that is not what the lesson expects\n", call);
    return false;
}

/* Reads the balance; true when the call worked and it is `want`. */
static bool balance_is(int32_t want)
{
    int32_t cents = Balance();
    if (!ended("Balance()", RS_OK, RS_OK))
        return false;
    printf("client: the balance is %" PRId32 " cents\n", cents);
    return cents == want;
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
    failures_IfHandle = client;
    bool ok = balance_is(0);

    /* close-after-execute on Deposit: the money arrives, the answer does not. */
    Deposit(10000);
    ok &= ended("Deposit(10000)", RS_ERR_CLOSED, RS_ERR_TRUNCATED);
    ok &= balance_is(10000); /* it ran: sending it again would deposit twice */

    /* close-before-execute on Withdraw: the same symptom, but nothing ran. */
    Withdraw(3000);
    ok &= ended("Withdraw(3000)", RS_ERR_CLOSED, RS_ERR_TRUNCATED);
    ok &= balance_is(10000);

    /* delay response on AddInterest, longer than the call timeout: the client gives up first. */
    AddInterest(5);
    ok &= ended("AddInterest(5)", RS_ERR_TIMEOUT, RS_ERR_TIMEOUT);
    ok &= balance_is(10500); /* it ran anyway */

    /* kill-server on Audit: the server process dies in the middle of the call. */
    Audit();
    ok &= ended("Audit()", RS_ERR_CLOSED, RS_ERR_TRUNCATED);
    /* Nobody listens any more: connection refused. Or, if the dying process's listening socket
     * still took the connection in its last instant, the connection closes before the bind is
     * answered. */
    Balance();
    bool gone = ended("Balance()", RS_ERR_CONNECT, RS_ERR_CLOSED);
    if (!gone && rs_last_call_status() == RS_OK)
        Shutdown(); /* the server survived: leave nothing running */
    ok &= gone;

    rs_client_close(client);
    return ok ? 0 : 1;
}
