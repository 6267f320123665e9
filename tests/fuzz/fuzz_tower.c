/* fuzz_tower.c -- libFuzzer target: rs_tower_decode() on any bytes, as an endpoint mapper reads
 * the towers clients send it.
 *
 * A tower that decodes must encode again to bytes that decode to the same tower (the decoder
 * accepts nothing the encoder could not have written, up to the fields it ignores), and its
 * string binding must parse -- unless it names no local endpoint, as the tower of an ept_map
 * request does ("ncalrpc:[]" is no binding). Every failure must come with a sentence. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tower.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    rs_tower t;
    rs_error err = {0};
    if (rs_tower_decode(data, size, &t, &err) != RS_OK) {
        if (err.message[0] == '\0')
            abort();
        return 0;
    }
    char text[RS_BINDING_STRLEN];
    rs_binding b;
    bool query = t.protseq == RS_PROTSEQ_LRPC && t.endpoint[0] == '\0';
    if (rs_tower_binding(&t, text, sizeof text) != RS_OK ||
        (!query && rs_binding_parse(text, &b) != RS_OK))
        abort();
    rs_buf again;
    rs_buf_init(&again, RS_TOWER_MAX);
    if (rs_tower_encode(&t, &again) != RS_OK)
        abort();
    rs_tower back;
    rs_error err2 = {0};
    if (rs_tower_decode(again.data, again.len, &back, &err2) != RS_OK ||
        !rs_syntax_equal(&back.iface, &t.iface) || !rs_syntax_equal(&back.transfer, &t.transfer) ||
        back.protseq != t.protseq || strcmp(back.endpoint, t.endpoint) != 0 ||
        strcmp(back.host, t.host) != 0)
        abort();
    rs_buf_free(&again);
    return 0;
}
