/* client.c -- the pointers lesson's client: a linked list, and two pointers to one variable.
 *
 *     client BINDING               e.g.  client "ncacn_ip_tcp:127.0.0.1[4747]"
 *
 * Two calls, then Shutdown():
 *   Total(list, &count)   list is a [unique] pointer to a linked list of three nodes, built
 *                         here on the stack; the last node's next is NULL. The server adds
 *                         the values up and says how many nodes it got.
 *   Same(&x, &x)          two [ptr] pointers to the same long: the server finds that its two
 *                         pointers are equal too, although no address ever crossed.
 */
#include <stdio.h>

#include "pointers.h"

#define DEFAULT_BINDING "ncacn_ip_tcp:127.0.0.1[4747]"

static rs_status make_calls(void)
{
    /* 10 -> 20 -> 30 -> NULL. Each next holds an address in this process only. */
    node third = {.value = 30, .next = NULL};
    node second = {.value = 20, .next = &third};
    node first = {.value = 10, .next = &second};
    int32_t count = -1;
    int32_t total = Total(&first, &count);
    if (rs_last_call_status() != RS_OK)
        return rs_last_call_status();
    printf("Total: %d in %d nodes\n", total, count);

    int32_t x = 7;
    int32_t same = Same(&x, &x);
    if (rs_last_call_status() != RS_OK)
        return rs_last_call_status();
    printf("Same(&x, &x): the server's two pointers are %s\n", same ? "equal" : "different");
    return RS_OK;
}

int main(int argc, char **argv)
{
    const char *binding = argc > 1 ? argv[1] : DEFAULT_BINDING;
    if (argc > 2) {
        fprintf(stderr, "usage: client BINDING\n");
        return 2;
    }
    rs_client *client;
    rs_error err = {0};
    if (rs_client_open(binding, NULL, &client, &err) != RS_OK) {
        fprintf(stderr, "%s\n", err.message); /* "client: ..." */
        return 1;
    }
    pointers_IfHandle = client; /* the interface's implicit binding handle */

    rs_status st = make_calls();
    if (st == RS_OK) {
        Shutdown();
        st = rs_last_call_status();
    }
    if (st != RS_OK)
        fprintf(stderr, "%s\n", rs_last_call_error()->message);
    rs_client_close(client);
    return st == RS_OK ? 0 : 1;
}
