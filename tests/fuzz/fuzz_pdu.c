/* fuzz_pdu.c -- libFuzzer target: rs_pdu_decode() and rs_pdu_reassembler on hostile bytes.
 *
 * The input is a byte stream as a connection delivers it: PDUs one after another, each framed by
 * its own frag_length (rs_pdu_peek_length(), as transport.c reads them). The whole input is also
 * decoded as one PDU. Every request and response fragment that decodes goes to a reassembler
 * with a small limit, so that limits, call-id changes and missing FIRST_FRAG are all reached; a
 * finished or failed call resets it, as a server connection does.
 *
 * What must hold (pdu.h): no read outside the bytes given, no allocation beyond the limit, a
 * decoded stub inside the PDU's bytes, and a reassembled call never longer than the limit. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pdu.h"

#define REASSEMBLY_LIMIT 512 /* small, so a few fragments reach it */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The stub and auth value a decode reports must lie inside the PDU it decoded. */
static void check_inside(const rs_pdu *pdu, const uint8_t *bytes, size_t len)
{
    if (pdu->stub_len > 0 && (pdu->stub < bytes || pdu->stub + pdu->stub_len > bytes + len))
        abort();
    if (pdu->auth.auth_value_length > 0 &&
        (pdu->auth.auth_value < bytes || pdu->auth.auth_value + pdu->auth.auth_value_length >
                                             bytes + len))
        abort();
}

static void decode_one(const uint8_t *bytes, size_t len, rs_pdu_reassembler *r)
{
    /* A heap copy of exactly the PDU's bytes, so that a read past them is an ASan error. */
    uint8_t *copy = malloc(len > 0 ? len : 1);
    if (copy == NULL)
        return;
    memcpy(copy, bytes, len);
    rs_buf in;
    rs_buf_view(&in, copy, len);
    rs_pdu pdu;
    if (rs_pdu_decode(&in, &pdu) == RS_OK) {
        check_inside(&pdu, copy, len);
        if (r != NULL &&
            (pdu.hdr.ptype == RS_PTYPE_REQUEST || pdu.hdr.ptype == RS_PTYPE_RESPONSE)) {
            bool complete = false;
            rs_status st = rs_pdu_reassembler_add(r, &pdu, &complete);
            if (st == RS_OK && complete) {
                const rs_pdu *call = rs_pdu_reassembler_result(r);
                if (call == NULL || call->stub_len > REASSEMBLY_LIMIT)
                    abort();
                if (call->stub_len > 0 && call->stub[call->stub_len - 1] == 0x5a)
                    (void)call->stub[0]; /* touch both ends: ASan checks them */
            }
            if (st != RS_OK || complete)
                rs_pdu_reassembler_reset(r);
        }
    }
    free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    decode_one(data, size, NULL);

    rs_pdu_reassembler r;
    rs_pdu_reassembler_init(&r, REASSEMBLY_LIMIT);
    size_t pos = 0;
    while (pos < size) {
        rs_buf peek;
        rs_buf_view(&peek, data + pos, size - pos);
        size_t frag_length = 0;
        if (rs_pdu_peek_length(&peek, RS_PDU_MAX_FRAG_LENGTH, &frag_length) != RS_OK)
            break;
        if (frag_length < RS_PDU_HEADER_SIZE)
            abort(); /* peek promises at least a header */
        if (frag_length > size - pos)
            frag_length = size - pos; /* the connection closed mid-PDU: decode what came */
        decode_one(data + pos, frag_length, &r);
        pos += frag_length;
    }
    rs_pdu_reassembler_free(&r);
    return 0;
}
