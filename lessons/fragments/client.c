/* client.c -- the fragments lesson's client: one call with a large array.
 *
 *     client BINDING [N]           e.g.  client "ncacn_ip_tcp:127.0.0.1[4747]" 100
 *
 * Sum(n, values) sends n longs. The lesson's script offers small fragments (max-frag), so the
 * runtime cuts the request's stub data into several request PDUs and the server's runtime joins
 * them again before its stub reads a single value. Neither program does anything about it: the
 * call looks the same with one fragment or fifty.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "fragments.h"

#define DEFAULT_BINDING "ncacn_ip_tcp:127.0.0.1[4747]"
#define MAX_VALUES 10000

int main(int argc, char **argv)
{
    const char *binding = argc > 1 ? argv[1] : DEFAULT_BINDING;
    long n = argc > 2 ? strtol(argv[2], NULL, 10) : 100;
    if (n < 1 || n > MAX_VALUES) {
        fprintf(stderr, "client: N must be 1..%d\n", MAX_VALUES);
        return 2;
    }
    static int32_t values[MAX_VALUES];
    int64_t expected = 0;
    for (long i = 0; i < n; i++) {
        values[i] = (int32_t)(i + 1); /* 1, 2, ..., n: the sum is n(n+1)/2 */
        expected += values[i];
    }

    rs_client *client;
    rs_error err = {0};
    if (rs_client_open(binding, NULL, &client, &err) != RS_OK) {
        fprintf(stderr, "client: %s\n", err.message);
        return 1;
    }
    fragments_IfHandle = client;
    printf("client: %ld values, %ld bytes of NDR, fragments of at most %u bytes\n", n,
           4 + 4 + 4 * n, (unsigned)rs_client_get_options(client).max_frag);

    int64_t sum = Sum((int32_t)n, values);
    rs_status st = rs_last_call_status();
    if (st == RS_OK) {
        printf("client: Sum returned %" PRId64 " (%s)\n", sum,
               sum == expected ? "every value arrived" : "NOT the sum of the values sent");
        if (sum != expected)
            st = RS_ERR_PROTOCOL;
        else {
            Shutdown();
            st = rs_last_call_status();
        }
    }
    if (st != RS_OK && rs_last_call_status() != RS_OK)
        fprintf(stderr, "client: %s\n", rs_last_call_error()->message);
    rs_client_close(client);
    return st == RS_OK ? 0 : 1;
}
