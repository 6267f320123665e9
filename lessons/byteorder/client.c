/* client.c -- the byteorder lesson's client: it sends its values big-endian.
 *
 *     client BINDING               e.g.  client "ncacn_ip_tcp:127.0.0.1[4747]"
 *
 * The lesson's script sets `endian: big`, so the runtime builds this client's PDUs and NDR
 * big-endian, as a SPARC or a PowerPC machine would; a program can ask for the same with
 * rs_client_options.endian = RS_BE. The program itself is unchanged: it calls Mirror with plain C
 * values and checks that the little-endian server saw the same numbers.
 */
#include <inttypes.h>
#include <stdio.h>

#include "byteorder.h"

#define DEFAULT_BINDING "ncacn_ip_tcp:127.0.0.1[4747]"

int main(int argc, char **argv)
{
    const char *binding = argc > 1 ? argv[1] : DEFAULT_BINDING;
    /* Values whose bytes are easy to follow: 0x01020304 is 01 02 03 04 big-endian and 04 03 02 01
     * little-endian. */
    const int32_t value = 0x01020304;
    const uint16_t port = 0x1234;
    const int64_t big = 0x0102030405060708;
    const double ratio = 1.5;
    unsigned char label[] = "bytes";

    rs_client *client;
    rs_error err = {0};
    if (rs_client_open(binding, NULL, &client, &err) != RS_OK) {
        fprintf(stderr, "client: %s\n", err.message);
        return 1;
    }
    byteorder_IfHandle = client;
    printf("client: sending %s NDR\n",
           rs_client_get_options(client).endian == RS_BE ? "big-endian" : "little-endian");

    int32_t back = Mirror(value, port, big, ratio, label);
    rs_status st = rs_last_call_status();
    if (st == RS_OK) {
        printf("client: Mirror returned 0x%08" PRIx32 " (%s)\n", (uint32_t)back,
               back == value ? "the server saw the same number" : "NOT the number sent");
        if (back != value)
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
