/* client.c -- the clients lesson's client; the lesson runs three copies of it at once.
 *
 *     client BINDING [VISITS]      e.g.  client "ncacn_ip_tcp:127.0.0.1[4747]" 2
 *
 * Each copy is its own process with its own binding handle, so its own connection and its own
 * association with the server. It signs the server's guest book VISITS times and prints the
 * visit numbers the server gave it: shared by all clients, they show how the calls interleaved.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "clients.h"

#define DEFAULT_BINDING "ncacn_ip_tcp:127.0.0.1[4747]"
#define MAX_VISITS 100

int main(int argc, char **argv)
{
    const char *binding = argc > 1 ? argv[1] : DEFAULT_BINDING;
    long visits = argc > 2 ? strtol(argv[2], NULL, 10) : 2;
    if (visits < 1 || visits > MAX_VISITS) {
        fprintf(stderr, "client: VISITS must be 1..%d\n", MAX_VISITS);
        return 2;
    }
    unsigned char who[32];
    snprintf((char *)who, sizeof who, "client %ld", (long)getpid());

    rs_client *client;
    rs_error err = {0};
    if (rs_client_open(binding, NULL, &client, &err) != RS_OK) {
        fprintf(stderr, "client: %s\n", err.message);
        return 1;
    }
    clients_IfHandle = client;
    for (long i = 0; i < visits; i++) {
        int32_t n = Visit(who);
        if (rs_last_call_status() != RS_OK) {
            fprintf(stderr, "%s: %s\n", (const char *)who, rs_last_call_error()->message);
            rs_client_close(client);
            return 1;
        }
        printf("%s: I was visitor %" PRId32 "\n", (const char *)who, n);
    }
    rs_client_close(client);
    return 0;
}
