/* fuzz_epm.c -- libFuzzer target: the endpoint mapper's server stubs (rpc/epm.c), which read
 * what any client on the network sends a mapper.
 *
 * Input: byte 0 picks the operation ((byte & 0x7f) % 5 is the opnum: insert, delete, lookup,
 * map, lookup_handle_free) and the byte order (bit 7: big-endian); the rest is the request's stub
 * data. Each input gets a fresh rs_server_call, as the server runtime builds one, and a map of two
 * entries (so lookups and maps have something to answer), cleared after it; everything is freed,
 * so LeakSanitizer sees a leak of one call. A stub that fails must not have touched the map
 * unless it says it ran (`executed`); one that succeeds must have run. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "epm.h"
#include "server.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fill_map(void)
{
    static const char *const bindings[] = {"ncacn_ip_tcp:127.0.0.1[4747]", "ncalrpc:[hello]"};
    static const rs_syntax_id hello = {
        {0x7a98c250, 0x6808, 0x11cf, {0xb7, 0x3b}, {0x00, 0xaa, 0x00, 0xb6, 0x77, 0xa7}}, 1, 0};
    for (size_t i = 0; i < 2; i++) {
        rs_epm_entry e;
        rs_error err = {0};
        if (rs_epm_entry_from_binding(&e, bindings[i], &hello, "hello", &err) != RS_OK ||
            rs_epm_map_add(&e, &err) != RS_OK)
            abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    uint16_t opnum = (uint16_t)((data[0] & 0x7f) % rs_epm_server_interface.operation_count);
    rs_endian order = (data[0] & 0x80) != 0 ? RS_BE : RS_LE;
    size_t len = size - 1;
    uint8_t *request = malloc(len > 0 ? len : 1); /* exact size: a read past it is an ASan error */
    if (request == NULL)
        return 0;
    memcpy(request, data + 1, len);
    fill_map();

    rs_server_call call;
    memset(&call, 0, sizeof call);
    call.iface = &rs_epm_server_interface;
    call.opnum = opnum;
    rs_buf_view(&call.request, request, len);
    rs_buf_init(&call.response, 1 << 20);
    rs_ndr_init_decode(&call.in, &call.request, order);
    rs_ndr_init_encode(&call.out, &call.response, RS_LE);

    rs_status st = rs_epm_server_interface.operations[opnum].stub(&call);
    if (st == RS_OK && !call.executed)
        abort();
    if (!call.executed && rs_epm_map_count() != 2)
        abort(); /* the map changed although the stub says it did not run */

    rs_ndr_free(&call.in);
    rs_ndr_free(&call.out);
    rs_buf_free(&call.response);
    free(request);
    rs_epm_map_clear();
    return 0;
}
