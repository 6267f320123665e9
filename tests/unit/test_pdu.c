/* test_pdu.c -- connection-oriented PDUs: known answers written out by hand from C706 chapter 12
 * and [MS-RPCE] 2.2.2 (never produced by our encoder), round trips of every PDU type in both byte
 * orders, the auth verifier, encode errors, peeking at frag_length, and the display names.
 *
 * Then hostile input: every cut, random flips, lying lengths and counts, limits. Fragmentation and
 * reassembly are in test_pdu_frag.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "pdu.h"

/* ---- known answers --------------------------------------------------------------------------- */

/* The bind every endpoint-mapper client sends first: interface e1af8308-5d1f-11c9-91a4-08002b14a0fa
 * v3.0 on context 0 with NDR 2.0, max frags 4280, call id 1 (as Windows sends it to port 135). */
static const uint8_t bind_epm_le[72] = {
    /* common header */
    0x05,                   /*  0 rpc_vers 5 */
    0x00,                   /*  1 rpc_vers_minor 0 */
    0x0b,                   /*  2 PTYPE 11: bind */
    0x03,                   /*  3 pfc_flags: PFC_FIRST_FRAG | PFC_LAST_FRAG */
    0x10, 0x00, 0x00, 0x00, /*  4 drep: integers little-endian (1), ASCII (0); IEEE; 2 reserved */
    0x48, 0x00,             /*  8 frag_length 72 */
    0x00, 0x00,             /* 10 auth_length 0: no auth verifier */
    0x01, 0x00, 0x00, 0x00, /* 12 call_id 1 */
    /* bind body */
    0xb8, 0x10,             /* 16 max_xmit_frag 4280 */
    0xb8, 0x10,             /* 18 max_recv_frag 4280 */
    0x00, 0x00, 0x00, 0x00, /* 20 assoc_group_id 0: start a new association group */
    0x01,                   /* 24 n_context_elem 1 */
    0x00, 0x00, 0x00,       /* 25 reserved, reserved2 */
    /* p_cont_elem[0] */
    0x00, 0x00,             /* 28 p_cont_id 0 */
    0x01,                   /* 30 n_transfer_syn 1 */
    0x00,                   /* 31 reserved */
    0x08, 0x83, 0xaf, 0xe1, /* 32 abstract_syntax: time_low e1af8308 */
    0x1f, 0x5d,             /* 36   time_mid 5d1f */
    0xc9, 0x11,             /* 38   time_hi_and_version 11c9 */
    0x91, 0xa4,             /* 40   clock_seq 91a4 */
    0x08, 0x00, 0x2b, 0x14, 0xa0, 0xfa, /* 42   node 08002b14a0fa */
    0x03, 0x00, 0x00, 0x00, /* 48   version: major 3 (low 16 bits), minor 0 (high 16) */
    0x04, 0x5d, 0x88, 0x8a, /* 52 transfer_syntaxes[0]: time_low 8a885d04 (NDR) */
    0xeb, 0x1c,             /* 56   time_mid 1ceb */
    0xc9, 0x11,             /* 58   time_hi_and_version 11c9 */
    0x9f, 0xe8,             /* 60   clock_seq 9fe8 */
    0x08, 0x00, 0x2b, 0x10, 0x48, 0x60, /* 62   node 08002b104860 */
    0x02, 0x00, 0x00, 0x00, /* 68   version 2.0 */
};

/* The same bind from a big-endian client: the integers turn around, the UUIDs' first three
 * fields too (uuid.h), their last eight bytes stay as they are. */
static const uint8_t bind_epm_be[72] = {
    0x05,                   /*  0 rpc_vers 5 */
    0x00,                   /*  1 rpc_vers_minor 0 */
    0x0b,                   /*  2 PTYPE 11: bind */
    0x03,                   /*  3 pfc_flags: FIRST_FRAG | LAST_FRAG */
    0x00, 0x00, 0x00, 0x00, /*  4 drep: integers big-endian (0), ASCII; IEEE; reserved */
    0x00, 0x48,             /*  8 frag_length 72 */
    0x00, 0x00,             /* 10 auth_length 0 */
    0x00, 0x00, 0x00, 0x01, /* 12 call_id 1 */
    0x10, 0xb8,             /* 16 max_xmit_frag 4280 */
    0x10, 0xb8,             /* 18 max_recv_frag 4280 */
    0x00, 0x00, 0x00, 0x00, /* 20 assoc_group_id 0 */
    0x01,                   /* 24 n_context_elem 1 */
    0x00, 0x00, 0x00,       /* 25 reserved */
    0x00, 0x00,             /* 28 p_cont_id 0 */
    0x01,                   /* 30 n_transfer_syn 1 */
    0x00,                   /* 31 reserved */
    0xe1, 0xaf, 0x83, 0x08, /* 32 abstract_syntax: time_low e1af8308 */
    0x5d, 0x1f,             /* 36   time_mid */
    0x11, 0xc9,             /* 38   time_hi_and_version */
    0x91, 0xa4,             /* 40   clock_seq */
    0x08, 0x00, 0x2b, 0x14, 0xa0, 0xfa, /* 42   node */
    0x00, 0x00, 0x00, 0x03, /* 48   version u32 3: major 3, minor 0 */
    0x8a, 0x88, 0x5d, 0x04, /* 52 transfer_syntaxes[0]: time_low 8a885d04 */
    0x1c, 0xeb,             /* 56   time_mid */
    0x11, 0xc9,             /* 58   time_hi_and_version */
    0x9f, 0xe8,             /* 60   clock_seq */
    0x08, 0x00, 0x2b, 0x10, 0x48, 0x60, /* 62   node */
    0x00, 0x00, 0x00, 0x02, /* 68   version 2.0 */
};

/* The server's answer: accepted, secondary address "135" (the endpoint mapper's port). */
static const uint8_t bind_ack_le[60] = {
    0x05, 0x00,             /*  0 rpc_vers 5.0 */
    0x0c,                   /*  2 PTYPE 12: bind_ack */
    0x03,                   /*  3 pfc_flags: FIRST_FRAG | LAST_FRAG */
    0x10, 0x00, 0x00, 0x00, /*  4 drep: little-endian, ASCII, IEEE */
    0x3c, 0x00,             /*  8 frag_length 60 */
    0x00, 0x00,             /* 10 auth_length 0 */
    0x01, 0x00, 0x00, 0x00, /* 12 call_id 1: answers the bind's call id */
    0xb8, 0x10,             /* 16 max_xmit_frag 4280 */
    0xb8, 0x10,             /* 18 max_recv_frag 4280 */
    0xf3, 0xe2, 0x01, 0x00, /* 20 assoc_group_id 0x0001e2f3, chosen by the server */
    0x04, 0x00,             /* 24 sec_addr length 4: "135" and its NUL */
    0x31, 0x33, 0x35, 0x00, /* 26 sec_addr "135\0" */
    0x00, 0x00,             /* 30 pad: 30 rounded up to a multiple of 4 is 32 */
    0x01,                   /* 32 n_results 1 */
    0x00, 0x00, 0x00,       /* 33 reserved, reserved2 */
    0x00, 0x00,             /* 36 results[0].result 0: acceptance */
    0x00, 0x00,             /* 38 results[0].reason 0: reason_not_specified */
    0x04, 0x5d, 0x88, 0x8a, /* 40 results[0].transfer_syntax: NDR 8a885d04 */
    0xeb, 0x1c, 0xc9, 0x11, /* 44   -1ceb-11c9 */
    0x9f, 0xe8,             /* 48   -9fe8 */
    0x08, 0x00, 0x2b, 0x10, 0x48, 0x60, /* 50   -08002b104860 */
    0x02, 0x00, 0x00, 0x00, /* 56   version 2.0 */
};

/* An alter_context_resp with no secondary address: the length alone, then 2 pad bytes. */
static const uint8_t alter_resp_le[56] = {
    0x05, 0x00,             /*  0 rpc_vers 5.0 */
    0x0f,                   /*  2 PTYPE 15: alter_context_resp */
    0x03,                   /*  3 pfc_flags: FIRST_FRAG | LAST_FRAG */
    0x10, 0x00, 0x00, 0x00, /*  4 drep: little-endian, ASCII, IEEE */
    0x38, 0x00,             /*  8 frag_length 56 */
    0x00, 0x00,             /* 10 auth_length 0 */
    0x02, 0x00, 0x00, 0x00, /* 12 call_id 2 */
    0xb8, 0x10,             /* 16 max_xmit_frag 4280 */
    0xb8, 0x10,             /* 18 max_recv_frag 4280 */
    0xf3, 0xe2, 0x01, 0x00, /* 20 assoc_group_id 0x0001e2f3 */
    0x00, 0x00,             /* 24 sec_addr length 0: no address, no characters */
    0x00, 0x00,             /* 26 pad to 28 */
    0x01,                   /* 28 n_results 1 */
    0x00, 0x00, 0x00,       /* 29 reserved */
    0x00, 0x00,             /* 32 result 0: acceptance */
    0x00, 0x00,             /* 34 reason 0 */
    0x04, 0x5d, 0x88, 0x8a, 0xeb, 0x1c, 0xc9, 0x11, /* 36 transfer_syntax NDR ... */
    0x9f, 0xe8, 0x08, 0x00, 0x2b, 0x10, 0x48, 0x60, /* 44   ... 08002b104860 */
    0x02, 0x00, 0x00, 0x00, /* 52   version 2.0 */
};

/* A request: opnum 3 on context 0, 8 bytes of stub data (two NDR longs, 1 and 2). */
static const uint8_t request_le[32] = {
    0x05, 0x00,             /*  0 rpc_vers 5.0 */
    0x00,                   /*  2 PTYPE 0: request */
    0x03,                   /*  3 pfc_flags: FIRST_FRAG | LAST_FRAG */
    0x10, 0x00, 0x00, 0x00, /*  4 drep: little-endian, ASCII, IEEE */
    0x20, 0x00,             /*  8 frag_length 32 */
    0x00, 0x00,             /* 10 auth_length 0 */
    0x02, 0x00, 0x00, 0x00, /* 12 call_id 2 */
    0x08, 0x00, 0x00, 0x00, /* 16 alloc_hint 8: the whole stub data */
    0x00, 0x00,             /* 20 p_cont_id 0 */
    0x03, 0x00,             /* 22 opnum 3 */
    0x01, 0x00, 0x00, 0x00, /* 24 stub data: NDR long 1 */
    0x02, 0x00, 0x00, 0x00, /* 28           NDR long 2 */
};

/* The same call from a big-endian client (its stub data is big-endian NDR, opaque here). */
static const uint8_t request_be[32] = {
    0x05, 0x00,             /*  0 rpc_vers 5.0 */
    0x00,                   /*  2 PTYPE 0: request */
    0x03,                   /*  3 pfc_flags: FIRST_FRAG | LAST_FRAG */
    0x00, 0x00, 0x00, 0x00, /*  4 drep: big-endian, ASCII, IEEE */
    0x00, 0x20,             /*  8 frag_length 32 */
    0x00, 0x00,             /* 10 auth_length 0 */
    0x00, 0x00, 0x00, 0x02, /* 12 call_id 2 */
    0x00, 0x00, 0x00, 0x08, /* 16 alloc_hint 8 */
    0x00, 0x00,             /* 20 p_cont_id 0 */
    0x00, 0x03,             /* 22 opnum 3 */
    0x00, 0x00, 0x00, 0x01, /* 24 stub data: NDR long 1, big-endian */
    0x00, 0x00, 0x00, 0x02, /* 28           NDR long 2 */
};

/* A request to object 12345678-9abc-def0-1122-334455667788: PFC_OBJECT_UUID puts 16 bytes between
 * opnum and the stub data. */
static const uint8_t request_object_le[48] = {
    0x05, 0x00,             /*  0 rpc_vers 5.0 */
    0x00,                   /*  2 PTYPE 0: request */
    0x83,                   /*  3 pfc_flags: OBJECT_UUID | FIRST_FRAG | LAST_FRAG */
    0x10, 0x00, 0x00, 0x00, /*  4 drep: little-endian, ASCII, IEEE */
    0x30, 0x00,             /*  8 frag_length 48 */
    0x00, 0x00,             /* 10 auth_length 0 */
    0x02, 0x00, 0x00, 0x00, /* 12 call_id 2 */
    0x08, 0x00, 0x00, 0x00, /* 16 alloc_hint 8 */
    0x00, 0x00,             /* 20 p_cont_id 0 */
    0x03, 0x00,             /* 22 opnum 3 */
    0x78, 0x56, 0x34, 0x12, /* 24 object: time_low 12345678 */
    0xbc, 0x9a,             /* 28   time_mid 9abc */
    0xf0, 0xde,             /* 30   time_hi_and_version def0 */
    0x11, 0x22,             /* 32   clock_seq 1122 */
    0x33, 0x44, 0x55, 0x66, 0x77, 0x88, /* 34   node 334455667788 */
    0x01, 0x00, 0x00, 0x00, /* 40 stub data: NDR long 1 */
    0x02, 0x00, 0x00, 0x00, /* 44           NDR long 2 */
};

/* The server's fault for an opnum the interface does not have. */
static const uint8_t fault_op_rng_le[32] = {
    0x05, 0x00,             /*  0 rpc_vers 5.0 */
    0x03,                   /*  2 PTYPE 3: fault */
    0x23,                   /*  3 pfc_flags: DID_NOT_EXECUTE | FIRST_FRAG | LAST_FRAG */
    0x10, 0x00, 0x00, 0x00, /*  4 drep: little-endian, ASCII, IEEE */
    0x20, 0x00,             /*  8 frag_length 32 */
    0x00, 0x00,             /* 10 auth_length 0 */
    0x02, 0x00, 0x00, 0x00, /* 12 call_id 2: the request's */
    0x00, 0x00, 0x00, 0x00, /* 16 alloc_hint 0: no stub data */
    0x00, 0x00,             /* 20 p_cont_id 0 */
    0x00,                   /* 22 cancel_count 0 */
    0x00,                   /* 23 reserved ([MS-RPCE]: no extended error information) */
    0x02, 0x00, 0x01, 0x1c, /* 24 status 0x1c010002: nca_s_op_rng_error */
    0x00, 0x00, 0x00, 0x00, /* 28 reserved */
};

/* The server refuses a bind from a 5.1-only client it cannot talk to, listing 5.0. */
static const uint8_t bind_nak_le[21] = {
    0x05, 0x00,             /*  0 rpc_vers 5.0 */
    0x0d,                   /*  2 PTYPE 13: bind_nak */
    0x03,                   /*  3 pfc_flags: FIRST_FRAG | LAST_FRAG */
    0x10, 0x00, 0x00, 0x00, /*  4 drep: little-endian, ASCII, IEEE */
    0x15, 0x00,             /*  8 frag_length 21 */
    0x00, 0x00,             /* 10 auth_length 0: a bind_nak never has a verifier */
    0x01, 0x00, 0x00, 0x00, /* 12 call_id 1 */
    0x04, 0x00,             /* 16 provider_reject_reason 4: protocol_version_not_supported */
    0x01,                   /* 18 n_protocols 1 */
    0x05, 0x00,             /* 19 protocols[0]: 5.0 */
};

/* [MS-RPCE] 2.2.2.9: a Windows bind_nak may end in the extended-error Signature. */
static const uint8_t bind_nak_signature_le[37] = {
    0x05, 0x00, 0x0d, 0x03, /*  0 rpc_vers 5.0, PTYPE 13 bind_nak, FIRST_FRAG | LAST_FRAG */
    0x10, 0x00, 0x00, 0x00, /*  4 drep: little-endian, ASCII, IEEE */
    0x25, 0x00,             /*  8 frag_length 37 */
    0x00, 0x00,             /* 10 auth_length 0 */
    0x07, 0x00, 0x00, 0x00, /* 12 call_id 7 */
    0x02, 0x00,             /* 16 provider_reject_reason 2: local_limit_exceeded */
    0x01,                   /* 18 n_protocols 1 */
    0x05, 0x00,             /* 19 protocols[0]: 5.0 */
    0x20, 0x03, 0x74, 0x90, /* 21 Signature 90740320-fad0-11d3-82d7-009027b130ab: time_low */
    0xd0, 0xfa, 0xd3, 0x11, /* 25   time_mid fad0, time_hi_and_version 11d3 */
    0x82, 0xd7,             /* 29   clock_seq */
    0x00, 0x90, 0x27, 0xb1, 0x30, 0xab, /* 31   node */
};

/* A server asking the client to close: the common header is the whole PDU. */
static const uint8_t shutdown_le[16] = {
    0x05, 0x00,             /*  0 rpc_vers 5.0 */
    0x11,                   /*  2 PTYPE 17: shutdown */
    0x03,                   /*  3 pfc_flags: FIRST_FRAG | LAST_FRAG */
    0x10, 0x00, 0x00, 0x00, /*  4 drep: little-endian, ASCII, IEEE */
    0x10, 0x00,             /*  8 frag_length 16 */
    0x00, 0x00,             /* 10 auth_length 0 */
    0x00, 0x00, 0x00, 0x00, /* 12 call_id 0 */
};

/* An authenticated request: 5 stub bytes, 3 pad bytes so that the sec_trailer starts 4-byte
 * aligned at 32, then a 16-byte NTLMSSP signature (auth_type 10, level 6 privacy). */
static const uint8_t request_auth_le[56] = {
    0x05, 0x00, 0x00, 0x03, /*  0 rpc_vers 5.0, PTYPE 0 request, FIRST_FRAG | LAST_FRAG */
    0x10, 0x00, 0x00, 0x00, /*  4 drep: little-endian, ASCII, IEEE */
    0x38, 0x00,             /*  8 frag_length 56 */
    0x10, 0x00,             /* 10 auth_length 16 */
    0x09, 0x00, 0x00, 0x00, /* 12 call_id 9 */
    0x05, 0x00, 0x00, 0x00, /* 16 alloc_hint 5 */
    0x01, 0x00,             /* 20 p_cont_id 1 */
    0x00, 0x00,             /* 22 opnum 0 */
    0xaa, 0xbb, 0xcc, 0xdd, 0xee, /* 24 stub data, 5 bytes */
    0x00, 0x00, 0x00,       /* 29 auth padding, 3 bytes */
    0x0a,                   /* 32 = 56 - 16 - 8: auth_type 10 (NTLMSSP) */
    0x06,                   /* 33 auth_level 6 (packet privacy) */
    0x03,                   /* 34 auth_pad_length 3 */
    0x00,                   /* 35 auth_reserved */
    0x00, 0x00, 0x00, 0x00, /* 36 auth_context_id 0 */
    0x01, 0x00, 0x00, 0x00, /* 40 auth_value: NTLMSSP signature version 1 */
    0x10, 0x32, 0x54, 0x76, 0x98, 0xba, 0xdc, 0xfe, /* 44   checksum */
    0x00, 0x00, 0x00, 0x00, /* 52   sequence number 0 */
};

/* ---- helpers --------------------------------------------------------------------------------- */

static rs_uuid uuid_of(const char *text)
{
    rs_uuid u;
    assert_int_equal(rs_uuid_parse(text, &u), RS_OK);
    return u;
}

static rs_syntax_id syntax_of(const char *text, uint16_t major, uint16_t minor)
{
    rs_syntax_id s = {.uuid = uuid_of(text), .major = major, .minor = minor};
    return s;
}

static const char epm_uuid[] = "e1af8308-5d1f-11c9-91a4-08002b14a0fa";

/* Encodes into a buffer whose spare capacity is filled with 0xEE, checks the exact bytes and that
 * the byte after them was not touched. */
static void assert_encodes_to(const rs_pdu *pdu, rs_endian e, const uint8_t *want, size_t n)
{
    rs_buf out;
    rs_buf_init(&out, RS_BUF_NO_LIMIT);
    assert_int_equal(rs_buf_reserve(&out, n + 64), RS_OK);
    memset(out.data, 0xEE, out.cap);
    rs_status st = rs_pdu_encode(pdu, e, &out);
    if (st != RS_OK)
        fail_msg("%s", rs_buf_error(&out));
    assert_int_equal(out.len, n);
    assert_memory_equal(out.data, want, n);
    assert_int_equal(out.data[n], 0xEE);
    rs_buf_free(&out);
}

static void decode_ok(const uint8_t *bytes, size_t n, rs_pdu *pdu)
{
    rs_buf in;
    rs_buf_view(&in, bytes, n);
    rs_status st = rs_pdu_decode(&in, pdu);
    if (st != RS_OK)
        fail_msg("%s", rs_buf_error(&in));
    assert_int_equal(in.pos, n);
}

static void assert_syntax(const rs_syntax_id *s, const char *uuid, uint16_t major, uint16_t minor)
{
    char text[RS_UUID_STRLEN];
    rs_uuid_format(&s->uuid, text);
    assert_string_equal(text, uuid);
    assert_int_equal(s->major, major);
    assert_int_equal(s->minor, minor);
}

static void assert_header(const rs_pdu *p, uint8_t ptype, uint8_t flags, uint16_t frag_length,
                          uint32_t call_id)
{
    assert_int_equal(p->hdr.rpc_vers, 5);
    assert_int_equal(p->hdr.rpc_vers_minor, 0);
    assert_int_equal(p->hdr.ptype, ptype);
    assert_int_equal(p->hdr.pfc_flags, flags);
    assert_int_equal(p->hdr.frag_length, frag_length);
    assert_int_equal(p->hdr.call_id, call_id);
}

static void make_epm_bind(rs_pdu *p)
{
    rs_pdu_init(p, RS_PTYPE_BIND, 1);
    p->bind.max_xmit_frag = 4280;
    p->bind.max_recv_frag = 4280;
    p->bind.n_context_elem = 1;
    p->bind.contexts[0].p_cont_id = 0;
    p->bind.contexts[0].n_transfer_syn = 1;
    p->bind.contexts[0].abstract_syntax = syntax_of(epm_uuid, 3, 0);
    p->bind.contexts[0].transfer_syntaxes[0] = rs_ndr_syntax;
}

/* ---- known-answer tests ---------------------------------------------------------------------- */

static void test_bind_epm_encodes_to_the_published_bytes(void **state)
{
    (void)state;
    rs_pdu p;
    make_epm_bind(&p);
    assert_encodes_to(&p, RS_LE, bind_epm_le, sizeof bind_epm_le);
    assert_encodes_to(&p, RS_BE, bind_epm_be, sizeof bind_epm_be);
}

static void test_bind_epm_decodes_field_by_field(void **state)
{
    (void)state;
    const uint8_t *forms[2] = {bind_epm_le, bind_epm_be};
    for (int i = 0; i < 2; i++) {
        rs_pdu p;
        decode_ok(forms[i], 72, &p);
        assert_header(&p, RS_PTYPE_BIND, RS_PFC_FIRST_FRAG | RS_PFC_LAST_FRAG, 72, 1);
        assert_int_equal(p.endian, i == 0 ? RS_LE : RS_BE);
        assert_int_equal(p.hdr.drep[0], i == 0 ? 0x10 : 0x00);
        assert_int_equal(p.hdr.auth_length, 0);
        assert_int_equal(p.bind.max_xmit_frag, 4280);
        assert_int_equal(p.bind.max_recv_frag, 4280);
        assert_int_equal(p.bind.assoc_group_id, 0);
        assert_int_equal(p.bind.n_context_elem, 1);
        assert_int_equal(p.bind.contexts[0].p_cont_id, 0);
        assert_int_equal(p.bind.contexts[0].n_transfer_syn, 1);
        assert_syntax(&p.bind.contexts[0].abstract_syntax, epm_uuid, 3, 0);
        assert_true(rs_syntax_equal(&p.bind.contexts[0].transfer_syntaxes[0], &rs_ndr_syntax));
        assert_null(p.stub);
        assert_int_equal(p.stub_len, 0);
        assert_int_equal(p.auth.auth_value_length, 0);
    }
}

static void test_bind_ack_with_sec_addr(void **state)
{
    (void)state;
    rs_pdu p;
    rs_pdu_init(&p, RS_PTYPE_BIND_ACK, 1);
    p.bind_ack.max_xmit_frag = 4280;
    p.bind_ack.max_recv_frag = 4280;
    p.bind_ack.assoc_group_id = 0x0001e2f3;
    p.bind_ack.sec_addr = "135";
    p.bind_ack.n_results = 1;
    p.bind_ack.results[0].result = RS_CONT_ACCEPTANCE;
    p.bind_ack.results[0].reason = RS_PROVIDER_REASON_NOT_SPECIFIED;
    p.bind_ack.results[0].transfer_syntax = rs_ndr_syntax;
    assert_encodes_to(&p, RS_LE, bind_ack_le, sizeof bind_ack_le);

    rs_pdu d;
    decode_ok(bind_ack_le, sizeof bind_ack_le, &d);
    assert_header(&d, RS_PTYPE_BIND_ACK, 0x03, 60, 1);
    assert_int_equal(d.bind_ack.max_xmit_frag, 4280);
    assert_int_equal(d.bind_ack.max_recv_frag, 4280);
    assert_int_equal(d.bind_ack.assoc_group_id, 0x0001e2f3);
    assert_string_equal(d.bind_ack.sec_addr, "135");
    assert_ptr_equal(d.bind_ack.sec_addr, (const char *)bind_ack_le + 26); /* zero copy */
    assert_int_equal(d.bind_ack.n_results, 1);
    assert_int_equal(d.bind_ack.results[0].result, RS_CONT_ACCEPTANCE);
    assert_int_equal(d.bind_ack.results[0].reason, 0);
    assert_true(rs_syntax_equal(&d.bind_ack.results[0].transfer_syntax, &rs_ndr_syntax));
}

static void test_alter_context_resp_without_sec_addr(void **state)
{
    (void)state;
    rs_pdu p;
    rs_pdu_init(&p, RS_PTYPE_ALTER_CONTEXT_RESP, 2);
    p.alter_context_resp.max_xmit_frag = 4280;
    p.alter_context_resp.max_recv_frag = 4280;
    p.alter_context_resp.assoc_group_id = 0x0001e2f3;
    p.alter_context_resp.sec_addr = NULL;
    p.alter_context_resp.n_results = 1;
    p.alter_context_resp.results[0].transfer_syntax = rs_ndr_syntax;
    assert_encodes_to(&p, RS_LE, alter_resp_le, sizeof alter_resp_le);

    rs_pdu d;
    decode_ok(alter_resp_le, sizeof alter_resp_le, &d);
    assert_header(&d, RS_PTYPE_ALTER_CONTEXT_RESP, 0x03, 56, 2);
    assert_null(d.alter_context_resp.sec_addr);
    assert_int_equal(d.alter_context_resp.n_results, 1);
    assert_true(rs_syntax_equal(&d.alter_context_resp.results[0].transfer_syntax, &rs_ndr_syntax));
}

/* C706 counts the sec_addr padding from the start of the PDU, not of the buffer it sits in. */
static void test_bind_ack_padding_counts_from_the_pdu(void **state)
{
    (void)state;
    rs_pdu p;
    decode_ok(bind_ack_le, sizeof bind_ack_le, &p);
    for (size_t prefix = 0; prefix < 4; prefix++) {
        rs_buf out;
        rs_buf_init(&out, RS_BUF_NO_LIMIT);
        if (prefix > 0) /* rs_buf_extend() computes NULL + 0 for 0 bytes into a fresh buffer */
            assert_int_equal(rs_buf_put_zeros(&out, prefix), RS_OK);
        assert_int_equal(rs_pdu_encode(&p, RS_LE, &out), RS_OK);
        assert_int_equal(out.len, prefix + sizeof bind_ack_le);
        assert_memory_equal(out.data + prefix, bind_ack_le, sizeof bind_ack_le);

        rs_buf in;
        rs_buf_view(&in, out.data, out.len);
        in.pos = prefix; /* the PDU starts at the cursor */
        rs_pdu d;
        assert_int_equal(rs_pdu_decode(&in, &d), RS_OK);
        assert_int_equal(in.pos, out.len);
        assert_string_equal(d.bind_ack.sec_addr, "135");
        rs_buf_free(&out);
    }
    /* Lengths 1..8 put the end of sec_addr at every residue mod 4. */
    static const char *const addrs[] = {"",     "1",           "13",
                                        "135",  "4747",        "\\PIPE\\lsass",
                                        "\\PIPE\\epmapper"};
    for (size_t i = 0; i < sizeof addrs / sizeof addrs[0]; i++) {
        p.bind_ack.sec_addr = addrs[i];
        rs_buf out;
        rs_buf_init(&out, RS_BUF_NO_LIMIT);
        assert_int_equal(rs_pdu_encode(&p, RS_BE, &out), RS_OK);
        size_t sec_end = 26 + strlen(addrs[i]) + 1;
        size_t results = sec_end + (4 - sec_end % 4) % 4;
        assert_int_equal(out.len, results + 4 + 24);
        assert_int_equal(out.data[results], 1); /* n_results */
        rs_pdu d;
        decode_ok(out.data, out.len, &d);
        assert_string_equal(d.bind_ack.sec_addr, addrs[i]);
        rs_buf_free(&out);
    }
}

static void test_request_with_and_without_object(void **state)
{
    (void)state;
    static const uint8_t stub_le[8] = {1, 0, 0, 0, 2, 0, 0, 0};
    static const uint8_t stub_be[8] = {0, 0, 0, 1, 0, 0, 0, 2};
    rs_pdu p;
    rs_pdu_init(&p, RS_PTYPE_REQUEST, 2);
    p.request.alloc_hint = 8;
    p.request.p_cont_id = 0;
    p.request.opnum = 3;
    p.stub = stub_le;
    p.stub_len = sizeof stub_le;
    assert_encodes_to(&p, RS_LE, request_le, sizeof request_le);
    p.stub = stub_be;
    assert_encodes_to(&p, RS_BE, request_be, sizeof request_be);

    p.stub = stub_le;
    p.hdr.pfc_flags |= RS_PFC_OBJECT_UUID;
    p.request.object = uuid_of("12345678-9abc-def0-1122-334455667788");
    assert_encodes_to(&p, RS_LE, request_object_le, sizeof request_object_le);

    rs_pdu d;
    decode_ok(request_le, sizeof request_le, &d);
    assert_header(&d, RS_PTYPE_REQUEST, 0x03, 32, 2);
    assert_int_equal(d.request.alloc_hint, 8);
    assert_int_equal(d.request.p_cont_id, 0);
    assert_int_equal(d.request.opnum, 3);
    assert_true(rs_uuid_is_nil(&d.request.object));
    assert_ptr_equal(d.stub, request_le + 24); /* zero copy */
    assert_int_equal(d.stub_len, 8);

    decode_ok(request_be, sizeof request_be, &d);
    assert_int_equal(d.endian, RS_BE);
    assert_int_equal(d.request.alloc_hint, 8);
    assert_int_equal(d.request.opnum, 3);
    assert_int_equal(d.hdr.call_id, 2);
    assert_memory_equal(d.stub, stub_be, 8);

    decode_ok(request_object_le, sizeof request_object_le, &d);
    assert_header(&d, RS_PTYPE_REQUEST, 0x83, 48, 2);
    char text[RS_UUID_STRLEN];
    rs_uuid_format(&d.request.object, text);
    assert_string_equal(text, "12345678-9abc-def0-1122-334455667788");
    assert_ptr_equal(d.stub, request_object_le + 40);
    assert_int_equal(d.stub_len, 8);
}

/* A response with an empty stub and a cancel count, its reserved byte set (ignored), in both
 * byte orders; and a request of exactly its 24-byte header. */
static void test_response_fields_and_empty_stubs(void **state)
{
    (void)state;
    static const uint8_t response_le[24] = {
        0x05, 0x00, 0x02, 0x03, 0x10, 0x00, 0x00, 0x00, 24, 0, 0, 0, 9, 0, 0, 0, /* header */
        0x00, 0x01, 0x00, 0x00, /* alloc_hint 256 */
        0x07, 0x00,             /* p_cont_id 7 */
        0x02,                   /* cancel_count 2 */
        0xee,                   /* reserved: any value */
    };
    static const uint8_t response_be[24] = {
        0x05, 0x00, 0x02, 0x03, 0x00, 0x00, 0x00, 0x00, 0, 24, 0, 0, 0, 0, 0, 9,
        0x00, 0x00, 0x01, 0x00, 0x00, 0x07, 0x02, 0x00,
    };
    const uint8_t *const each[2] = {response_le, response_be};
    for (int i = 0; i < 2; i++) {
        rs_pdu d;
        decode_ok(each[i], 24, &d);
        assert_header(&d, RS_PTYPE_RESPONSE, 0x03, 24, 9);
        assert_int_equal(d.response.alloc_hint, 256);
        assert_int_equal(d.response.p_cont_id, 7);
        assert_int_equal(d.response.cancel_count, 2);
        assert_ptr_equal(d.stub, each[i] + 24);
        assert_int_equal(d.stub_len, 0);
    }
    uint8_t request[24];
    memcpy(request, request_le, 24);
    request[8] = 24; /* frag_length 24: no stub data */
    rs_pdu d;
    decode_ok(request, sizeof request, &d);
    assert_int_equal(d.request.opnum, 3);
    assert_int_equal(d.stub_len, 0);
}

static void test_fault_op_rng_error(void **state)
{
    (void)state;
    rs_pdu p;
    rs_pdu_init(&p, RS_PTYPE_FAULT, 2);
    p.hdr.pfc_flags |= RS_PFC_DID_NOT_EXECUTE;
    p.fault.status = RS_nca_s_op_rng_error;
    assert_encodes_to(&p, RS_LE, fault_op_rng_le, sizeof fault_op_rng_le);

    rs_pdu d;
    decode_ok(fault_op_rng_le, sizeof fault_op_rng_le, &d);
    assert_header(&d, RS_PTYPE_FAULT, 0x23, 32, 2);
    assert_int_equal(d.fault.alloc_hint, 0);
    assert_int_equal(d.fault.p_cont_id, 0);
    assert_int_equal(d.fault.cancel_count, 0);
    assert_int_equal(d.fault.flags, 0);
    assert_int_equal(d.fault.status, 0x1C010002);
    assert_string_equal(rs_fault_name(d.fault.status), "nca_s_op_rng_error");
    assert_int_equal(d.stub_len, 0);
}

static void test_bind_nak(void **state)
{
    (void)state;
    rs_pdu p;
    rs_pdu_init(&p, RS_PTYPE_BIND_NAK, 1);
    p.bind_nak.provider_reject_reason = RS_REJECT_PROTOCOL_VERSION_NOT_SUPPORTED;
    p.bind_nak.n_protocols = 1;
    p.bind_nak.protocols[0].major = 5;
    p.bind_nak.protocols[0].minor = 0;
    assert_encodes_to(&p, RS_LE, bind_nak_le, sizeof bind_nak_le);

    rs_pdu d;
    decode_ok(bind_nak_le, sizeof bind_nak_le, &d);
    assert_header(&d, RS_PTYPE_BIND_NAK, 0x03, 21, 1);
    assert_int_equal(d.bind_nak.provider_reject_reason, 4);
    assert_string_equal(rs_pdu_reject_reason_name(d.bind_nak.provider_reject_reason),
                        "protocol_version_not_supported");
    assert_int_equal(d.bind_nak.n_protocols, 1);
    assert_int_equal(d.bind_nak.protocols[0].major, 5);
    assert_int_equal(d.bind_nak.protocols[0].minor, 0);
    assert_null(d.bind_nak.extra);
    assert_int_equal(d.bind_nak.extra_len, 0);

    /* [MS-RPCE]'s Signature is kept as uninterpreted bytes, and sent back as they are. */
    decode_ok(bind_nak_signature_le, sizeof bind_nak_signature_le, &d);
    assert_int_equal(d.hdr.call_id, 7);
    assert_int_equal(d.bind_nak.provider_reject_reason, RS_REJECT_LOCAL_LIMIT_EXCEEDED);
    assert_int_equal(d.bind_nak.n_protocols, 1);
    assert_int_equal(d.bind_nak.extra_len, 16);
    assert_ptr_equal(d.bind_nak.extra, bind_nak_signature_le + 21);
    assert_encodes_to(&d, RS_LE, bind_nak_signature_le, sizeof bind_nak_signature_le);

    /* A bind_nak that ends after its reason (accepted by Wireshark and Samba) has no versions. */
    uint8_t shorter[18];
    memcpy(shorter, bind_nak_le, sizeof shorter);
    shorter[8] = sizeof shorter; /* frag_length 18 */
    decode_ok(shorter, sizeof shorter, &d);
    assert_int_equal(d.bind_nak.provider_reject_reason, 4);
    assert_int_equal(d.bind_nak.n_protocols, 0);
}

static void test_header_only_pdus(void **state)
{
    (void)state;
    rs_pdu p;
    rs_pdu_init(&p, RS_PTYPE_SHUTDOWN, 0);
    assert_encodes_to(&p, RS_LE, shutdown_le, sizeof shutdown_le);
    rs_pdu d;
    decode_ok(shutdown_le, sizeof shutdown_le, &d);
    assert_header(&d, RS_PTYPE_SHUTDOWN, 0x03, 16, 0);

    /* co_cancel and orphaned: the same 16 bytes with their PTYPE. */
    static const uint8_t types[] = {RS_PTYPE_CO_CANCEL, RS_PTYPE_ORPHANED};
    for (size_t i = 0; i < sizeof types; i++) {
        uint8_t want[16];
        memcpy(want, shutdown_le, sizeof want);
        want[2] = types[i];
        want[12] = 5; /* call_id 5 */
        rs_pdu_init(&p, types[i], 5);
        assert_encodes_to(&p, RS_LE, want, sizeof want);
        decode_ok(want, sizeof want, &d);
        assert_header(&d, types[i], 0x03, 16, 5);
    }
}

/* The stub data sits between the body and the auth padding; the sec_trailer at
 * frag_length - auth_length - 8. */
static void test_auth_verifier_locates_the_stub_data(void **state)
{
    (void)state;
    rs_pdu d;
    decode_ok(request_auth_le, sizeof request_auth_le, &d);
    assert_int_equal(d.hdr.frag_length, 56);
    assert_int_equal(d.hdr.auth_length, 16);
    assert_int_equal(d.request.p_cont_id, 1);
    assert_int_equal(d.stub_len, 5);
    assert_ptr_equal(d.stub, request_auth_le + 24);
    assert_int_equal(d.auth.auth_type, 10);
    assert_int_equal(d.auth.auth_level, 6);
    assert_int_equal(d.auth.auth_pad_length, 3);
    assert_int_equal(d.auth.auth_reserved, 0);
    assert_int_equal(d.auth.auth_context_id, 0);
    assert_int_equal(d.auth.auth_value_length, 16);
    assert_ptr_equal(d.auth.auth_value, request_auth_le + 40);
    /* Encoding the decoded PDU gives back the same bytes (its pad bytes were zero). */
    assert_encodes_to(&d, RS_LE, request_auth_le, sizeof request_auth_le);
}

/* ---- round trips ----------------------------------------------------------------------------- */

static const uint8_t some_stub[100] = {
    0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10,
    0xf0, 0xe1, 0xd2, 0xc3, 0xb4, 0xa5, 0x96, 0x87, 0x78, 0x69, 0x5a, 0x4b, 0x3c, 0x2d, 0x1e, 0x0f,
};
static const uint8_t some_auth[24] = {0x4e, 0x54, 0x4c, 0x4d, 0x53, 0x53, 0x50, 0x00, 0x01, 0x02};
static const uint8_t some_extra[7] = {0x00, 0x00, 0x00, 0xde, 0xad, 0xbe, 0xef};

/* Bind time feature negotiation ([MS-RPCE]): 6cb71c2c-9812-4540-0300-000000000000 v1.0 offers
 * security context multiplexing and keeping the connection on orphan. */
static const char btfn_uuid[] = "6cb71c2c-9812-4540-0300-000000000000";
static const char ndr64_uuid[] = "71710533-beba-4937-8319-b5dbef9ccc36";

static void set_auth(rs_pdu *p, uint8_t pad, uint16_t len)
{
    p->auth.auth_type = 10;
    p->auth.auth_level = 2;
    p->auth.auth_pad_length = pad;
    p->auth.auth_reserved = 0;
    p->auth.auth_context_id = 0x01020304;
    p->auth.auth_value = some_auth;
    p->auth.auth_value_length = len;
}

/* One PDU of every connection-oriented type, with its fields set to values that differ from
 * zero and from each other. */
static size_t make_sample(size_t which, rs_pdu *p)
{
    switch (which) {
    case 0: /* bind: two contexts, NDR and NDR64 + feature negotiation, 5.1, header signing */
        make_epm_bind(p);
        p->hdr.rpc_vers_minor = 1;
        p->hdr.pfc_flags |= RS_PFC_SUPPORT_HEADER_SIGN | RS_PFC_CONC_MPX;
        p->hdr.call_id = 0x01020304;
        p->bind.assoc_group_id = 0xa1b2c3d4;
        p->bind.max_recv_frag = 5840;
        p->bind.n_context_elem = 2;
        p->bind.contexts[1].p_cont_id = 1;
        p->bind.contexts[1].n_transfer_syn = 2;
        p->bind.contexts[1].abstract_syntax = syntax_of(epm_uuid, 3, 1);
        p->bind.contexts[1].transfer_syntaxes[0] = syntax_of(ndr64_uuid, 1, 0);
        p->bind.contexts[1].transfer_syntaxes[1] = syntax_of(btfn_uuid, 1, 0);
        return 1;
    case 1: /* alter_context with an auth verifier (the body ends 4-aligned: no padding) */
        make_epm_bind(p);
        p->hdr.ptype = RS_PTYPE_ALTER_CONTEXT;
        p->alter_context.contexts[0].p_cont_id = 7;
        set_auth(p, 0, 24);
        return 1;
    case 2: /* bind offering nothing: decodes, the server naks it */
        rs_pdu_init(p, RS_PTYPE_BIND, 3);
        p->bind.max_xmit_frag = RS_PDU_MUST_RECV_FRAG_SIZE;
        p->bind.max_recv_frag = RS_PDU_MUST_RECV_FRAG_SIZE;
        return 1;
    case 3: /* bind_ack with three different results */
        rs_pdu_init(p, RS_PTYPE_BIND_ACK, 0xfffffffe);
        p->bind_ack.max_xmit_frag = 4280;
        p->bind_ack.max_recv_frag = 1432;
        p->bind_ack.assoc_group_id = 0x5a5a;
        p->bind_ack.sec_addr = "\\PIPE\\epmapper";
        p->bind_ack.n_results = 3;
        p->bind_ack.results[0].transfer_syntax = rs_ndr_syntax;
        p->bind_ack.results[1].result = RS_CONT_PROVIDER_REJECTION;
        p->bind_ack.results[1].reason = RS_PROVIDER_PROPOSED_TRANSFER_SYNTAXES_NOT_SUPPORTED;
        p->bind_ack.results[2].result = RS_CONT_NEGOTIATE_ACK;
        p->bind_ack.results[2].reason =
            RS_BTFN_SECURITY_CONTEXT_MULTIPLEXING | RS_BTFN_KEEP_CONNECTION_ON_ORPHAN;
        return 1;
    case 4: /* alter_context_resp with an auth verifier */
        rs_pdu_init(p, RS_PTYPE_ALTER_CONTEXT_RESP, 4);
        p->alter_context_resp.sec_addr = "1";
        p->alter_context_resp.n_results = 1;
        p->alter_context_resp.results[0].transfer_syntax = rs_ndr_syntax;
        set_auth(p, 0, 9);
        return 1;
    case 5: /* bind_nak listing two versions, with trailing bytes */
        rs_pdu_init(p, RS_PTYPE_BIND_NAK, 5);
        p->bind_nak.provider_reject_reason = RS_REJECT_INVALID_CHECKSUM;
        p->bind_nak.n_protocols = 2;
        p->bind_nak.protocols[0].major = 5;
        p->bind_nak.protocols[1].major = 5;
        p->bind_nak.protocols[1].minor = 1;
        p->bind_nak.extra = some_extra;
        p->bind_nak.extra_len = sizeof some_extra;
        return 1;
    case 6: /* request to an object, 13 stub bytes, a middle fragment */
        rs_pdu_init(p, RS_PTYPE_REQUEST, 6);
        p->hdr.pfc_flags = RS_PFC_OBJECT_UUID | RS_PFC_MAYBE;
        p->request.alloc_hint = 1000;
        p->request.p_cont_id = 2;
        p->request.opnum = 0xfffe;
        p->request.object = uuid_of("00112233-4455-6677-8899-aabbccddeeff");
        p->stub = some_stub;
        p->stub_len = 13;
        return 1;
    case 7: /* request with an auth verifier after 3 pad bytes */
        rs_pdu_init(p, RS_PTYPE_REQUEST, 7);
        p->request.alloc_hint = 5;
        p->request.opnum = 1;
        p->stub = some_stub;
        p->stub_len = 5;
        set_auth(p, 3, 16);
        return 1;
    case 8: /* response without stub data */
        rs_pdu_init(p, RS_PTYPE_RESPONSE, 8);
        return 1;
    case 9: /* response, cancel pending, 100 stub bytes */
        rs_pdu_init(p, RS_PTYPE_RESPONSE, 9);
        p->hdr.pfc_flags |= RS_PFC_PENDING_CANCEL;
        p->response.alloc_hint = 100;
        p->response.p_cont_id = 3;
        p->response.cancel_count = 1;
        p->stub = some_stub;
        p->stub_len = sizeof some_stub;
        return 1;
    case 10: /* fault with extended error info flagged and 4 stub bytes */
        rs_pdu_init(p, RS_PTYPE_FAULT, 10);
        p->fault.alloc_hint = 4;
        p->fault.p_cont_id = 1;
        p->fault.cancel_count = 2;
        p->fault.flags = 0x01;
        p->fault.status = RS_nca_s_fault_ndr;
        p->stub = some_stub;
        p->stub_len = 4;
        return 1;
    case 11: /* rpc_auth_3 */
        rs_pdu_init(p, RS_PTYPE_AUTH3, 11);
        p->hdr.pfc_flags |= RS_PFC_SUPPORT_HEADER_SIGN;
        set_auth(p, 0, 20);
        return 1;
    case 12:
        rs_pdu_init(p, RS_PTYPE_SHUTDOWN, 12);
        return 1;
    case 13: /* co_cancel with an auth verifier */
        rs_pdu_init(p, RS_PTYPE_CO_CANCEL, 13);
        set_auth(p, 0, 1);
        return 1;
    case 14:
        rs_pdu_init(p, RS_PTYPE_ORPHANED, 14);
        return 1;
    default:
        return 0;
    }
}

static void assert_syntax_equal(const rs_syntax_id *a, const rs_syntax_id *b)
{
    assert_true(rs_syntax_equal(a, b));
}

static void assert_bytes_equal(const uint8_t *a, size_t a_len, const uint8_t *b, size_t b_len)
{
    assert_int_equal(a_len, b_len);
    if (a_len > 0)
        assert_memory_equal(a, b, a_len);
}

/* Every field that travels, compared; frag_length and drep are the encoder's to fill. */
static void assert_pdu_equal(const rs_pdu *want, const rs_pdu *got)
{
    assert_int_equal(got->hdr.rpc_vers, 5);
    assert_int_equal(got->hdr.rpc_vers_minor, want->hdr.rpc_vers_minor);
    assert_int_equal(got->hdr.ptype, want->hdr.ptype);
    assert_int_equal(got->hdr.pfc_flags, want->hdr.pfc_flags);
    assert_int_equal(got->hdr.call_id, want->hdr.call_id);
    assert_int_equal(got->hdr.auth_length, want->auth.auth_value_length);
    switch (want->hdr.ptype) {
    case RS_PTYPE_REQUEST:
        assert_int_equal(got->request.alloc_hint, want->request.alloc_hint);
        assert_int_equal(got->request.p_cont_id, want->request.p_cont_id);
        assert_int_equal(got->request.opnum, want->request.opnum);
        assert_int_equal(rs_uuid_compare(&got->request.object, &want->request.object), 0);
        break;
    case RS_PTYPE_RESPONSE:
        assert_int_equal(got->response.alloc_hint, want->response.alloc_hint);
        assert_int_equal(got->response.p_cont_id, want->response.p_cont_id);
        assert_int_equal(got->response.cancel_count, want->response.cancel_count);
        break;
    case RS_PTYPE_FAULT:
        assert_int_equal(got->fault.alloc_hint, want->fault.alloc_hint);
        assert_int_equal(got->fault.p_cont_id, want->fault.p_cont_id);
        assert_int_equal(got->fault.cancel_count, want->fault.cancel_count);
        assert_int_equal(got->fault.flags, want->fault.flags);
        assert_int_equal(got->fault.status, want->fault.status);
        break;
    case RS_PTYPE_BIND:
    case RS_PTYPE_ALTER_CONTEXT:
        assert_int_equal(got->bind.max_xmit_frag, want->bind.max_xmit_frag);
        assert_int_equal(got->bind.max_recv_frag, want->bind.max_recv_frag);
        assert_int_equal(got->bind.assoc_group_id, want->bind.assoc_group_id);
        assert_int_equal(got->bind.n_context_elem, want->bind.n_context_elem);
        for (unsigned i = 0; i < want->bind.n_context_elem; i++) {
            const rs_pdu_context *a = &want->bind.contexts[i], *b = &got->bind.contexts[i];
            assert_int_equal(b->p_cont_id, a->p_cont_id);
            assert_int_equal(b->n_transfer_syn, a->n_transfer_syn);
            assert_syntax_equal(&b->abstract_syntax, &a->abstract_syntax);
            for (unsigned j = 0; j < a->n_transfer_syn; j++)
                assert_syntax_equal(&b->transfer_syntaxes[j], &a->transfer_syntaxes[j]);
        }
        break;
    case RS_PTYPE_BIND_ACK:
    case RS_PTYPE_ALTER_CONTEXT_RESP:
        assert_int_equal(got->bind_ack.max_xmit_frag, want->bind_ack.max_xmit_frag);
        assert_int_equal(got->bind_ack.max_recv_frag, want->bind_ack.max_recv_frag);
        assert_int_equal(got->bind_ack.assoc_group_id, want->bind_ack.assoc_group_id);
        if (want->bind_ack.sec_addr == NULL)
            assert_null(got->bind_ack.sec_addr);
        else
            assert_string_equal(got->bind_ack.sec_addr, want->bind_ack.sec_addr);
        assert_int_equal(got->bind_ack.n_results, want->bind_ack.n_results);
        for (unsigned i = 0; i < want->bind_ack.n_results; i++) {
            assert_int_equal(got->bind_ack.results[i].result, want->bind_ack.results[i].result);
            assert_int_equal(got->bind_ack.results[i].reason, want->bind_ack.results[i].reason);
            assert_syntax_equal(&got->bind_ack.results[i].transfer_syntax,
                                &want->bind_ack.results[i].transfer_syntax);
        }
        break;
    case RS_PTYPE_BIND_NAK:
        assert_int_equal(got->bind_nak.provider_reject_reason, want->bind_nak.provider_reject_reason);
        assert_int_equal(got->bind_nak.n_protocols, want->bind_nak.n_protocols);
        for (unsigned i = 0; i < want->bind_nak.n_protocols; i++) {
            assert_int_equal(got->bind_nak.protocols[i].major, want->bind_nak.protocols[i].major);
            assert_int_equal(got->bind_nak.protocols[i].minor, want->bind_nak.protocols[i].minor);
        }
        assert_bytes_equal(got->bind_nak.extra, got->bind_nak.extra_len, want->bind_nak.extra,
                           want->bind_nak.extra_len);
        break;
    default:
        break;
    }
    assert_bytes_equal(got->stub, got->stub_len, want->stub, want->stub_len);
    assert_int_equal(got->auth.auth_value_length, want->auth.auth_value_length);
    if (want->auth.auth_value_length > 0) {
        assert_int_equal(got->auth.auth_type, want->auth.auth_type);
        assert_int_equal(got->auth.auth_level, want->auth.auth_level);
        assert_int_equal(got->auth.auth_pad_length, want->auth.auth_pad_length);
        assert_int_equal(got->auth.auth_reserved, want->auth.auth_reserved);
        assert_int_equal(got->auth.auth_context_id, want->auth.auth_context_id);
        assert_bytes_equal(got->auth.auth_value, got->auth.auth_value_length, want->auth.auth_value,
                           want->auth.auth_value_length);
    }
}

static void test_round_trip_every_type_in_both_byte_orders(void **state)
{
    (void)state;
    size_t types_seen = 0;
    for (size_t which = 0;; which++) {
        rs_pdu p;
        if (make_sample(which, &p) == 0)
            break;
        for (int e = RS_LE; e <= RS_BE; e++) {
            rs_buf out, again;
            rs_buf_init(&out, RS_BUF_NO_LIMIT);
            rs_buf_init(&again, RS_BUF_NO_LIMIT);
            rs_status st = rs_pdu_encode(&p, (rs_endian)e, &out);
            if (st != RS_OK)
                fail_msg("sample %zu: %s", which, rs_buf_error(&out));
            assert_int_equal(out.data[4], e == RS_LE ? 0x10 : 0x00);
            assert_int_equal(rs_load_u16(out.data + 8, (rs_endian)e), out.len);

            rs_pdu d;
            decode_ok(out.data, out.len, &d);
            assert_int_equal(d.endian, e);
            assert_int_equal(d.hdr.frag_length, out.len);
            assert_pdu_equal(&p, &d);

            /* and the decoded PDU encodes to the same bytes again */
            assert_int_equal(rs_pdu_encode(&d, (rs_endian)e, &again), RS_OK);
            assert_int_equal(again.len, out.len);
            assert_memory_equal(again.data, out.data, out.len);
            rs_buf_free(&out);
            rs_buf_free(&again);
        }
        types_seen |= (size_t)1 << p.hdr.ptype;
    }
    /* every connection-oriented PTYPE was among the samples */
    for (unsigned t = 0; t < 32; t++)
        assert_int_equal((types_seen >> t) & 1, rs_pdu_type_is_connection_oriented((uint8_t)t));
}

/* ---- encode errors --------------------------------------------------------------------------- */

static void assert_encode_fails(const rs_pdu *p, rs_status want, const char *words)
{
    rs_buf out;
    rs_buf_init(&out, RS_BUF_NO_LIMIT);
    assert_int_equal(rs_buf_put_u8(&out, 0x77), RS_OK); /* something before: must stay alone */
    assert_int_equal(rs_pdu_encode(p, RS_LE, &out), want);
    assert_int_equal(out.len, 1);
    assert_int_equal(out.data[0], 0x77);
    if (strstr(rs_buf_error(&out), words) == NULL)
        fail_msg("\"%s\" does not mention \"%s\"", rs_buf_error(&out), words);
    rs_buf_free(&out);
}

static void test_encode_refuses_what_cannot_be_sent(void **state)
{
    (void)state;
    rs_pdu p;
    rs_pdu_init(&p, RS_PTYPE_PING, 1);
    assert_encode_fails(&p, RS_ERR_INVALID_ARG, "not a connection-oriented");
    rs_pdu_init(&p, 99, 1);
    assert_encode_fails(&p, RS_ERR_INVALID_ARG, "PTYPE 99");
    rs_pdu_init(&p, RS_PTYPE_RTS, 1);
    assert_encode_fails(&p, RS_ERR_INVALID_ARG, "rts");

    make_epm_bind(&p);
    p.hdr.rpc_vers_minor = 2;
    assert_encode_fails(&p, RS_ERR_INVALID_ARG, "rpc_vers_minor 2");
    make_epm_bind(&p);
    p.bind.n_context_elem = RS_PDU_MAX_CONTEXTS + 1;
    assert_encode_fails(&p, RS_ERR_INVALID_ARG, "n_context_elem 17");
    make_epm_bind(&p);
    p.bind.contexts[0].n_transfer_syn = RS_PDU_MAX_TRANSFER_SYNTAXES + 1;
    assert_encode_fails(&p, RS_ERR_INVALID_ARG, "n_transfer_syn 9");

    rs_pdu_init(&p, RS_PTYPE_BIND_ACK, 1);
    p.bind_ack.n_results = RS_PDU_MAX_RESULTS + 1;
    assert_encode_fails(&p, RS_ERR_INVALID_ARG, "n_results 17");
    rs_pdu_init(&p, RS_PTYPE_BIND_NAK, 1);
    p.bind_nak.n_protocols = RS_PDU_MAX_PROTOCOLS + 1;
    assert_encode_fails(&p, RS_ERR_INVALID_ARG, "n_protocols 9");

    rs_pdu_init(&p, RS_PTYPE_REQUEST, 1);
    p.stub_len = 4;
    assert_encode_fails(&p, RS_ERR_INVALID_ARG, "stub is NULL");

    /* Too much for one fragment: frag_length is 16 bits. */
    static uint8_t big[RS_PDU_MAX_FRAG_LENGTH];
    rs_pdu_init(&p, RS_PTYPE_RESPONSE, 1);
    p.stub = big;
    p.stub_len = RS_PDU_MAX_FRAG_LENGTH - RS_PDU_RESPONSE_HEADER_SIZE + 1;
    assert_encode_fails(&p, RS_ERR_LIMIT, "16-bit frag_length");
    p.stub_len = RS_PDU_MAX_FRAG_LENGTH - RS_PDU_RESPONSE_HEADER_SIZE; /* exactly fits */
    rs_buf out;
    rs_buf_init(&out, RS_BUF_NO_LIMIT);
    assert_int_equal(rs_pdu_encode(&p, RS_LE, &out), RS_OK);
    assert_int_equal(out.len, RS_PDU_MAX_FRAG_LENGTH);
    assert_int_equal(rs_load_u16(out.data + 8, RS_LE), 65535);
    rs_buf_free(&out);

    /* Auth verifiers: not on a bind_nak or shutdown, always 4-aligned, needed by rpc_auth_3. */
    rs_pdu_init(&p, RS_PTYPE_SHUTDOWN, 1);
    set_auth(&p, 0, 8);
    assert_encode_fails(&p, RS_ERR_INVALID_ARG, "no auth verifier");
    rs_pdu_init(&p, RS_PTYPE_REQUEST, 1);
    p.stub = some_stub;
    p.stub_len = 5;
    set_auth(&p, 0, 8);
    assert_encode_fails(&p, RS_ERR_INVALID_ARG, "not 4-byte aligned");
    rs_pdu_init(&p, RS_PTYPE_AUTH3, 1);
    assert_encode_fails(&p, RS_ERR_INVALID_ARG, "needs an auth verifier");
}

static void test_encode_respects_the_buffer(void **state)
{
    (void)state;
    rs_pdu p;
    make_epm_bind(&p);
    rs_buf out;
    rs_buf_init(&out, 71); /* one byte short of the bind */
    assert_int_equal(rs_pdu_encode(&p, RS_LE, &out), RS_ERR_LIMIT);
    assert_int_equal(out.len, 0);
    rs_buf_free(&out);

    rs_buf_init(&out, 72);
    assert_int_equal(rs_pdu_encode(&p, RS_LE, &out), RS_OK);
    assert_memory_equal(out.data, bind_epm_le, 72);
    rs_buf_free(&out);

    uint8_t bytes[80];
    rs_buf view;
    rs_buf_view(&view, bytes, sizeof bytes);
    assert_int_equal(rs_pdu_encode(&p, RS_LE, &view), RS_ERR_INVALID_ARG);
}

/* ---- peeking at frag_length ------------------------------------------------------------------ */

static void test_peek_length(void **state)
{
    (void)state;
    size_t n = 0;
    rs_buf in;
    rs_buf_view(&in, bind_epm_le, 16); /* the header alone is enough */
    assert_int_equal(rs_pdu_peek_length(&in, 4280, &n), RS_OK);
    assert_int_equal(n, 72);
    assert_int_equal(in.pos, 0);
    rs_buf_view(&in, bind_epm_be, sizeof bind_epm_be);
    assert_int_equal(rs_pdu_peek_length(&in, 72, &n), RS_OK);
    assert_int_equal(n, 72);

    rs_buf_view(&in, bind_epm_le, 15);
    assert_int_equal(rs_pdu_peek_length(&in, 4280, &n), RS_ERR_TRUNCATED);
    rs_buf_view(&in, bind_epm_le, 16);
    assert_int_equal(rs_pdu_peek_length(&in, 71, &n), RS_ERR_PROTOCOL);
    assert_non_null(strstr(rs_buf_error(&in), "frag_length 72 exceeds the 71-byte"));

    uint8_t h[16];
    memcpy(h, bind_epm_le, 16);
    h[8] = 15; /* frag_length 15: cannot even hold its header */
    rs_buf_view(&in, h, 16);
    assert_int_equal(rs_pdu_peek_length(&in, 4280, &n), RS_ERR_PROTOCOL);
    h[8] = 72;
    h[0] = 4; /* a connectionless (version 4) PDU */
    rs_buf_view(&in, h, 16);
    assert_int_equal(rs_pdu_peek_length(&in, 4280, &n), RS_ERR_VERSION);
    h[0] = 5;
    h[4] = 0x20; /* integer representation 2 */
    rs_buf_view(&in, h, 16);
    assert_int_equal(rs_pdu_peek_length(&in, 4280, &n), RS_ERR_UNSUPPORTED_DREP);
    assert_int_equal(in.pos, 0);
}

/* ---- names ----------------------------------------------------------------------------------- */

static void test_names_for_display(void **state)
{
    (void)state;
    assert_string_equal(rs_pdu_type_name(RS_PTYPE_BIND_ACK), "bind_ack");
    assert_string_equal(rs_pdu_type_name(0), "request");
    assert_string_equal(rs_pdu_type_name(1), "ping");
    assert_string_equal(rs_pdu_type_name(4), "working");
    assert_string_equal(rs_pdu_type_name(15), "alter_context_resp");
    assert_string_equal(rs_pdu_type_name(16), "rpc_auth_3");
    assert_string_equal(rs_pdu_type_name(19), "orphaned");
    assert_string_equal(rs_pdu_type_name(21), "unknown");
    assert_string_equal(rs_pdu_type_name(255), "unknown");

    assert_string_equal(rs_pdu_flag_name(RS_PTYPE_REQUEST, RS_PFC_FIRST_FRAG), "PFC_FIRST_FRAG");
    assert_string_equal(rs_pdu_flag_name(RS_PTYPE_REQUEST, 0x04), "PFC_PENDING_CANCEL");
    assert_string_equal(rs_pdu_flag_name(RS_PTYPE_BIND, 0x04), "PFC_SUPPORT_HEADER_SIGN");
    assert_string_equal(rs_pdu_flag_name(RS_PTYPE_ALTER_CONTEXT_RESP, 0x04),
                        "PFC_SUPPORT_HEADER_SIGN");
    assert_string_equal(rs_pdu_flag_name(RS_PTYPE_FAULT, 0x20), "PFC_DID_NOT_EXECUTE");
    assert_string_equal(rs_pdu_flag_name(RS_PTYPE_REQUEST, 0x80), "PFC_OBJECT_UUID");
    assert_null(rs_pdu_flag_name(RS_PTYPE_REQUEST, 0));
    assert_null(rs_pdu_flag_name(RS_PTYPE_REQUEST, 0x03));

    char text[RS_PDU_FLAGS_STRLEN];
    assert_int_equal(rs_pdu_flags_format(RS_PTYPE_REQUEST, 0x83, text, sizeof text),
                     strlen("PFC_FIRST_FRAG|PFC_LAST_FRAG|PFC_OBJECT_UUID"));
    assert_string_equal(text, "PFC_FIRST_FRAG|PFC_LAST_FRAG|PFC_OBJECT_UUID");
    rs_pdu_flags_format(RS_PTYPE_BIND, 0x07, text, sizeof text);
    assert_string_equal(text, "PFC_FIRST_FRAG|PFC_LAST_FRAG|PFC_SUPPORT_HEADER_SIGN");
    rs_pdu_flags_format(RS_PTYPE_BIND, 0, text, sizeof text);
    assert_string_equal(text, "0");
    size_t all = rs_pdu_flags_format(RS_PTYPE_REQUEST, 0xff, text, sizeof text);
    assert_true(all < RS_PDU_FLAGS_STRLEN);
    assert_int_equal(strlen(text), all);
    /* a short buffer truncates, stays terminated, and reports what the whole text needs */
    char small[8];
    memset(small, 'x', sizeof small);
    assert_int_equal(rs_pdu_flags_format(RS_PTYPE_REQUEST, 0x03, small, sizeof small),
                     strlen("PFC_FIRST_FRAG|PFC_LAST_FRAG"));
    assert_string_equal(small, "PFC_FIR");

    char drep[RS_PDU_DREP_STRLEN];
    rs_pdu_drep_format(bind_epm_le + 4, drep, sizeof drep);
    assert_string_equal(drep, "little-endian, ASCII, IEEE");
    static const uint8_t odd[4] = {0x01, 0x01, 0, 0};
    rs_pdu_drep_format(odd, drep, sizeof drep);
    assert_string_equal(drep, "big-endian, EBCDIC, VAX");

    assert_string_equal(rs_pdu_result_name(RS_CONT_ACCEPTANCE), "acceptance");
    assert_string_equal(rs_pdu_result_name(RS_CONT_NEGOTIATE_ACK), "negotiate_ack");
    assert_string_equal(rs_pdu_result_name(4), "unknown");
    assert_string_equal(rs_pdu_provider_reason_name(RS_PROVIDER_ABSTRACT_SYNTAX_NOT_SUPPORTED),
                        "abstract_syntax_not_supported");
    assert_string_equal(rs_pdu_provider_reason_name(9), "unknown");
    assert_string_equal(rs_pdu_reject_reason_name(RS_REJECT_REASON_NOT_SPECIFIED),
                        "reason_not_specified");
    assert_string_equal(rs_pdu_reject_reason_name(RS_REJECT_LOCAL_LIMIT_EXCEEDED),
                        "local_limit_exceeded");
    assert_string_equal(rs_pdu_reject_reason_name(RS_REJECT_AUTHENTICATION_TYPE_NOT_RECOGNIZED),
                        "authentication_type_not_recognized");
    assert_string_equal(rs_pdu_reject_reason_name(RS_REJECT_INVALID_CHECKSUM), "invalid_checksum");
    assert_string_equal(rs_pdu_reject_reason_name(10), "unknown");
}

/* ---- hostile input --------------------------------------------------------------------------- */

/* Decodes n bytes from an allocation of exactly n bytes, so that AddressSanitizer sees any read
 * past them. The cursor must not move on failure and must reach the end on success; a failure
 * must say something. Returns the status, with the sentence in error[]. */
static rs_status decode_exact(const uint8_t *bytes, size_t n, rs_pdu *pdu,
                              char error[RS_BUF_ERROR_MAX])
{
    uint8_t *copy = malloc(n > 0 ? n : 1);
    assert_non_null(copy);
    if (n > 0)
        memcpy(copy, bytes, n);
    rs_buf in;
    rs_buf_view(&in, copy, n);
    rs_status st = rs_pdu_decode(&in, pdu);
    if (st == RS_OK) {
        assert_int_equal(in.pos, n);
    } else {
        assert_int_equal(in.pos, 0);
        assert_true(strlen(rs_buf_error(&in)) > 0);
    }
    strcpy(error, rs_buf_error(&in));
    free(copy);
    return st;
}

/* Decoding must fail with `want`, and say `words`. */
static void assert_decode_fails(const uint8_t *bytes, size_t n, rs_status want, const char *words)
{
    rs_pdu p;
    char error[RS_BUF_ERROR_MAX];
    rs_status st = decode_exact(bytes, n, &p, error);
    if (st != want)
        fail_msg("got %s (\"%s\"), wanted %s", rs_status_name(st), error, rs_status_name(want));
    if (strstr(error, words) == NULL)
        fail_msg("\"%s\" does not mention \"%s\"", error, words);
}

/* What must hold for any PDU that decoded, whatever the bytes were. */
static void assert_sane(const rs_pdu *p, const uint8_t *bytes, size_t n)
{
    const uint8_t *end = bytes + n;
    assert_int_equal(p->hdr.frag_length, n);
    assert_true(p->stub_len <= n);
    if (p->stub != NULL)
        assert_true(p->stub >= bytes && p->stub + p->stub_len <= end);
    if (p->auth.auth_value_length > 0)
        assert_true(p->auth.auth_value >= bytes &&
                    p->auth.auth_value + p->auth.auth_value_length == end);
    switch (p->hdr.ptype) {
    case RS_PTYPE_BIND:
    case RS_PTYPE_ALTER_CONTEXT:
        assert_true(p->bind.n_context_elem <= RS_PDU_MAX_CONTEXTS);
        for (unsigned i = 0; i < p->bind.n_context_elem; i++)
            assert_true(p->bind.contexts[i].n_transfer_syn <= RS_PDU_MAX_TRANSFER_SYNTAXES);
        break;
    case RS_PTYPE_BIND_ACK:
    case RS_PTYPE_ALTER_CONTEXT_RESP:
        assert_true(p->bind_ack.n_results <= RS_PDU_MAX_RESULTS);
        if (p->bind_ack.sec_addr != NULL) {
            const uint8_t *s = (const uint8_t *)p->bind_ack.sec_addr;
            assert_true(s >= bytes && s + strlen(p->bind_ack.sec_addr) < end);
        }
        break;
    case RS_PTYPE_BIND_NAK:
        assert_true(p->bind_nak.n_protocols <= RS_PDU_MAX_PROTOCOLS);
        if (p->bind_nak.extra_len > 0)
            assert_true(p->bind_nak.extra >= bytes &&
                        p->bind_nak.extra + p->bind_nak.extra_len == end);
        break;
    default:
        break;
    }
}

/* Every sample of every type in both byte orders, plus hand-written ones, as wire bytes. */
#define MAX_WIRE 40
typedef struct wire {
    size_t count;
    rs_buf bufs[MAX_WIRE];
} wire;

static void wire_add(wire *w, const uint8_t *bytes, size_t n)
{
    assert_true(w->count < MAX_WIRE);
    rs_buf_init(&w->bufs[w->count], RS_BUF_NO_LIMIT);
    assert_int_equal(rs_buf_put_bytes(&w->bufs[w->count], bytes, n), RS_OK);
    w->count++;
}

static void wire_build(wire *w)
{
    memset(w, 0, sizeof *w);
    for (size_t which = 0;; which++) {
        rs_pdu p;
        if (make_sample(which, &p) == 0)
            break;
        for (int e = RS_LE; e <= RS_BE; e++) {
            assert_true(w->count < MAX_WIRE);
            rs_buf_init(&w->bufs[w->count], RS_BUF_NO_LIMIT);
            assert_int_equal(rs_pdu_encode(&p, (rs_endian)e, &w->bufs[w->count]), RS_OK);
            w->count++;
        }
    }
    wire_add(w, bind_epm_be, sizeof bind_epm_be);
    wire_add(w, bind_ack_le, sizeof bind_ack_le);
    wire_add(w, request_object_le, sizeof request_object_le);
    wire_add(w, bind_nak_signature_le, sizeof bind_nak_signature_le);
    wire_add(w, request_auth_le, sizeof request_auth_le);
}

static void wire_free(wire *w)
{
    for (size_t i = 0; i < w->count; i++)
        rs_buf_free(&w->bufs[i]);
}

static void test_every_cut_is_truncated(void **state)
{
    (void)state;
    wire w;
    wire_build(&w);
    for (size_t i = 0; i < w.count; i++) {
        const rs_buf *b = &w.bufs[i];
        rs_pdu p;
        char error[RS_BUF_ERROR_MAX];
        assert_int_equal(decode_exact(b->data, b->len, &p, error), RS_OK);
        for (size_t cut = 0; cut < b->len; cut++) {
            rs_status st = decode_exact(b->data, cut, &p, error);
            if (st != RS_ERR_TRUNCATED)
                fail_msg("sample %zu cut at %zu: %s \"%s\"", i, cut, rs_status_name(st), error);
        }
    }
    wire_free(&w);
}

/* xorshift64*: the same "random" flips on every run. */
static uint64_t next_random(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 0x2545F4914F6CDD1DULL;
}

static void test_random_flips_never_crash(void **state)
{
    (void)state;
    wire w;
    wire_build(&w);
    uint64_t seed = 0x9E3779B97F4A7C15ULL;
    size_t decoded = 0, rejected = 0;
    for (size_t i = 0; i < w.count; i++) {
        const rs_buf *b = &w.bufs[i];
        uint8_t *bytes = malloc(b->len);
        assert_non_null(bytes);
        for (int round = 0; round < 3000; round++) {
            memcpy(bytes, b->data, b->len);
            int flips = 1 + (int)(next_random(&seed) % 4);
            for (int k = 0; k < flips; k++) {
                uint64_t r = next_random(&seed);
                /* Half the flips land in the header, where the lengths and counts are. */
                size_t at = (r & 1) ? (r >> 8) % 16 : (r >> 8) % b->len;
                bytes[at] ^= (uint8_t)(1 + (r >> 40) % 255);
            }
            rs_pdu p;
            rs_buf in;
            rs_buf_view(&in, bytes, b->len);
            if (rs_pdu_decode(&in, &p) != RS_OK) {
                assert_int_equal(in.pos, 0);
                assert_true(strlen(rs_buf_error(&in)) > 0);
                rejected++;
                continue;
            }
            decoded++;
            assert_sane(&p, bytes, b->len);
            /* Whatever decoded encodes again to the same length and decodes to the same PDU. */
            rs_buf out;
            rs_buf_init(&out, RS_BUF_NO_LIMIT);
            if (rs_pdu_encode(&p, p.endian, &out) != RS_OK)
                fail_msg("sample %zu: decoded but does not encode: %s", i, rs_buf_error(&out));
            assert_int_equal(out.len, b->len);
            rs_pdu again;
            rs_buf_view(&in, out.data, out.len);
            assert_int_equal(rs_pdu_decode(&in, &again), RS_OK);
            assert_pdu_equal(&p, &again);
            rs_buf_free(&out);
        }
        free(bytes);
    }
    assert_true(decoded > 0 && rejected > 0); /* both paths were exercised */
    wire_free(&w);
}

static void test_lying_frag_length(void **state)
{
    (void)state;
    uint8_t b[76];
    memcpy(b, bind_epm_le, 72);
    memset(b + 72, 0, 4);

    b[8] = 73; /* announces one byte more than arrived */
    assert_decode_fails(b, 72, RS_ERR_TRUNCATED, "frag_length 73 but 72 bytes arrived");
    b[8] = 0xff;
    b[9] = 0xff;
    assert_decode_fails(b, 72, RS_ERR_TRUNCATED, "frag_length 65535 but 72 bytes arrived");
    b[9] = 0;
    b[8] = 71; /* announces one byte less than was given */
    assert_decode_fails(b, 72, RS_ERR_PROTOCOL, "frag_length 71 but 72 bytes were given");
    assert_decode_fails(b, 71, RS_ERR_TRUNCATED, "pdu: bind:"); /* the transfer syntax is cut */
    b[8] = 15;
    assert_decode_fails(b, 72, RS_ERR_PROTOCOL, "shorter than the 16-byte common header");
    b[8] = 76; /* 4 bytes the bind does not account for */
    assert_decode_fails(b, 76, RS_ERR_PROTOCOL, "4 unexpected bytes after the body");
    b[8] = 70;
    b[1] = 1; /* and with a lying length, still nothing read past the bytes */
    assert_decode_fails(b, 70, RS_ERR_TRUNCATED, "pdu: bind:");

    uint8_t s[20];
    memcpy(s, shutdown_le, 16);
    memset(s + 16, 0, 4);
    s[8] = 20;
    assert_decode_fails(s, 20, RS_ERR_PROTOCOL, "unexpected bytes after the body");
    assert_decode_fails(NULL, 0, RS_ERR_TRUNCATED, "fewer than the 16-byte common header");

    /* Two PDUs back to back are two decodes, not one. */
    uint8_t two[32];
    memcpy(two, shutdown_le, 16);
    memcpy(two + 16, shutdown_le, 16);
    assert_decode_fails(two, 32, RS_ERR_PROTOCOL, "decode one PDU at a time");
}

static void test_lying_auth_length(void **state)
{
    (void)state;
    uint8_t b[sizeof request_auth_le];
    memcpy(b, request_auth_le, sizeof b);
    b[10] = 0xff; /* auth_length 0x00ff > frag_length 56 */
    assert_decode_fails(b, sizeof b, RS_ERR_PROTOCOL, "do not fit in frag_length 56");
    b[11] = 0xff; /* 0xffff */
    assert_decode_fails(b, sizeof b, RS_ERR_PROTOCOL, "auth_length 65535");
    b[11] = 0;
    b[10] = 29; /* 29 + 8 fits in the 40 bytes after the header, but the trailer would be at 19 */
    assert_decode_fails(b, sizeof b, RS_ERR_PROTOCOL, "not 4-byte aligned");
    b[10] = 32; /* the trailer at 16, inside the request's own fields */
    assert_decode_fails(b, sizeof b, RS_ERR_TRUNCATED, "pdu: request:");
    b[10] = 15; /* the trailer at 33: misaligned */
    assert_decode_fails(b, sizeof b, RS_ERR_PROTOCOL, "not 4-byte aligned");
    memcpy(b, request_auth_le, sizeof b);
    b[34] = 9; /* auth_pad_length 9 > the 8 bytes of stub data and padding */
    assert_decode_fails(b, sizeof b, RS_ERR_PROTOCOL, "auth_pad_length 9 is more than the 8 bytes");
    b[34] = 8; /* all 8 bytes are padding: no stub data, still well formed */
    rs_pdu p;
    char error[RS_BUF_ERROR_MAX];
    assert_int_equal(decode_exact(b, sizeof b, &p, error), RS_OK);
    assert_int_equal(p.stub_len, 0);

    /* Verifiers where C706 has none, and rpc_auth_3 without one. */
    uint8_t nak[29];
    memcpy(nak, bind_nak_le, 21);
    memset(nak + 21, 0, 8);
    nak[8] = 29;
    nak[10] = 1;
    assert_decode_fails(nak, 24, RS_ERR_TRUNCATED, "frag_length 29"); /* framing first */
    uint8_t sd[16];
    memcpy(sd, shutdown_le, 16);
    sd[10] = 4;
    assert_decode_fails(sd, 16, RS_ERR_PROTOCOL, "shutdown with auth_length 4");
    uint8_t a3[20];
    memcpy(a3, shutdown_le, 16);
    memset(a3 + 16, 0, 4);
    a3[2] = RS_PTYPE_AUTH3;
    a3[8] = 20;
    assert_decode_fails(a3, 20, RS_ERR_PROTOCOL, "rpc_auth_3 with auth_length 0");

    /* An alter_context whose trailer claims padding that is not there. */
    rs_pdu alter;
    make_sample(1, &alter);
    rs_buf out;
    rs_buf_init(&out, RS_BUF_NO_LIMIT);
    assert_int_equal(rs_pdu_encode(&alter, RS_LE, &out), RS_OK);
    out.data[out.len - 24 - 8 + 2] = 4; /* auth_pad_length 4 */
    assert_decode_fails(out.data, out.len, RS_ERR_PROTOCOL, "but auth_pad_length is 4");
    rs_buf_free(&out);
}

static void test_bind_nak_carries_no_verifier(void **state)
{
    (void)state;
    uint8_t nak[32];
    memcpy(nak, bind_nak_le, 21);
    memset(nak + 21, 0, 11);
    nak[8] = 32;
    nak[10] = 8;
    assert_decode_fails(nak, 32, RS_ERR_PROTOCOL, "bind_nak with auth_length 8");
}

static void test_counts_beyond_the_bytes(void **state)
{
    (void)state;
    uint8_t b[72];
    memcpy(b, bind_epm_le, 72);
    b[24] = 255; /* n_context_elem */
    assert_decode_fails(b, 72, RS_ERR_TRUNCATED, "n_context_elem 255 needs at least 6120 bytes");
    b[24] = 2;
    assert_decode_fails(b, 72, RS_ERR_TRUNCATED, "n_context_elem 2 needs at least 48 bytes");
    b[24] = 1;
    b[30] = 255; /* n_transfer_syn */
    assert_decode_fails(b, 72, RS_ERR_TRUNCATED, "n_transfer_syn 255 needs at least 5100 bytes");
    b[30] = 2;
    assert_decode_fails(b, 72, RS_ERR_TRUNCATED, "n_transfer_syn 2");
    b[30] = 0; /* no transfer syntax: the 20 bytes left over are not accounted for */
    assert_decode_fails(b, 72, RS_ERR_PROTOCOL, "20 unexpected bytes");

    uint8_t a[60];
    memcpy(a, bind_ack_le, 60);
    a[32] = 255; /* n_results */
    assert_decode_fails(a, 60, RS_ERR_TRUNCATED, "n_results 255 needs at least 6120 bytes");
    memcpy(a, bind_ack_le, 60);
    a[24] = 0xff; /* sec_addr length 0xffff */
    a[25] = 0xff;
    assert_decode_fails(a, 60, RS_ERR_TRUNCATED, "sec_addr length 65535 runs past the end");
    a[24] = 35; /* the 34 bytes after its length field, plus one */
    a[25] = 0;
    assert_decode_fails(a, 60, RS_ERR_TRUNCATED, "sec_addr length 35 runs past the end");
    a[24] = 34; /* exactly to the end: nothing left for n_results */
    assert_decode_fails(a, 60, RS_ERR_PROTOCOL, "not one NUL-terminated string");

    uint8_t n[21];
    memcpy(n, bind_nak_le, 21);
    n[18] = 200; /* n_protocols */
    assert_decode_fails(n, 21, RS_ERR_TRUNCATED, "n_protocols 200 needs at least 400 bytes");
}

static void test_sec_addr_must_be_one_string(void **state)
{
    (void)state;
    uint8_t a[60];
    memcpy(a, bind_ack_le, 60);
    a[29] = '5'; /* "1355": no NUL */
    assert_decode_fails(a, 60, RS_ERR_PROTOCOL,
                        "sec_addr of 4 bytes is not one NUL-terminated string");
    memcpy(a, bind_ack_le, 60);
    a[27] = 0; /* "1\05\0": a NUL inside */
    assert_decode_fails(a, 60, RS_ERR_PROTOCOL, "not one NUL-terminated string");
}

static void test_ptypes_that_are_not_ours(void **state)
{
    (void)state;
    uint8_t b[16];
    memcpy(b, shutdown_le, 16);
    b[12] = 42; /* call_id 42 */
    rs_pdu p;
    char error[RS_BUF_ERROR_MAX];
    static const uint8_t connectionless[] = {1, 4, 5, 6, 7, 8, 9, 10};
    for (size_t i = 0; i < sizeof connectionless; i++) {
        b[2] = connectionless[i];
        assert_decode_fails(b, 16, RS_ERR_PROTOCOL, "is a connectionless PDU");
    }
    b[2] = 1;
    assert_decode_fails(b, 16, RS_ERR_PROTOCOL, "PTYPE 1 (ping)");
    b[2] = 42;
    assert_decode_fails(b, 16, RS_ERR_PROTOCOL, "unknown PTYPE 42");
    b[2] = 255;
    assert_decode_fails(b, 16, RS_ERR_PROTOCOL, "unknown PTYPE 255");
    b[2] = RS_PTYPE_RTS;
    assert_int_equal(decode_exact(b, 16, &p, error), RS_ERR_UNSUPPORTED);
    /* the header is there for whoever answers */
    assert_int_equal(p.hdr.call_id, 42);
    assert_int_equal(p.hdr.ptype, RS_PTYPE_RTS);
}

static void test_versions_and_dreps(void **state)
{
    (void)state;
    uint8_t b[72];
    rs_pdu p;
    char error[RS_BUF_ERROR_MAX];
    memcpy(b, bind_epm_le, 72);
    b[0] = 4;
    assert_decode_fails(b, 72, RS_ERR_VERSION, "rpc_vers 4");
    assert_int_equal(decode_exact(b, 72, &p, error), RS_ERR_VERSION);
    assert_int_equal(p.hdr.rpc_vers, 4);
    assert_int_equal(p.hdr.call_id, 1); /* read as far as the bytes allow */
    b[0] = 6;
    assert_decode_fails(b, 72, RS_ERR_VERSION, "rpc_vers 6");
    b[0] = 5;
    b[1] = 1; /* 5.1 is fine */
    assert_int_equal(decode_exact(b, 72, &p, error), RS_OK);
    assert_int_equal(p.hdr.rpc_vers_minor, 1);
    b[1] = 2;
    assert_int_equal(decode_exact(b, 72, &p, error), RS_ERR_VERSION);
    assert_non_null(strstr(error, "rpc_vers_minor 2"));
    assert_int_equal(p.hdr.call_id, 1); /* so a server can bind_nak call 1 */
    assert_int_equal(p.hdr.ptype, RS_PTYPE_BIND);
    b[1] = 0;

    b[4] = 0x11; /* little-endian, EBCDIC */
    assert_decode_fails(b, 72, RS_ERR_UNSUPPORTED_DREP, "EBCDIC");
    b[4] = 0x10;
    b[5] = RS_DREP_FLOAT_VAX;
    assert_decode_fails(b, 72, RS_ERR_UNSUPPORTED_DREP, "floating-point representation 1");
    b[5] = 0;
    b[4] = 0x20; /* integer representation 2 */
    assert_decode_fails(b, 72, RS_ERR_UNSUPPORTED_DREP, "integer representation 2");
    b[4] = 0x10;
    b[6] = 0xaa; /* the reserved drep bytes are ignored */
    b[7] = 0x55;
    assert_int_equal(decode_exact(b, 72, &p, error), RS_OK);
}

/* Writes a bind header and body by hand (the encoder refuses what is over the limits). */
static void put_bind(rs_buf *b, unsigned n_ctx, unsigned n_ts_of_first, unsigned n_ts_of_rest)
{
    assert_int_equal(rs_buf_put_bytes(b, bind_epm_le, 24), RS_OK); /* header + frag sizes + group */
    assert_int_equal(rs_buf_put_u8(b, (uint8_t)n_ctx), RS_OK);
    assert_int_equal(rs_buf_put_zeros(b, 3), RS_OK);
    for (unsigned i = 0; i < n_ctx; i++) {
        unsigned n_ts = i == 0 ? n_ts_of_first : n_ts_of_rest;
        assert_int_equal(rs_buf_put_u16(b, RS_LE, (uint16_t)(100 + i)), RS_OK);
        assert_int_equal(rs_buf_put_u8(b, (uint8_t)n_ts), RS_OK);
        assert_int_equal(rs_buf_put_u8(b, 0), RS_OK);
        rs_syntax_id abstract = syntax_of(epm_uuid, 3, (uint16_t)i);
        assert_int_equal(rs_syntax_put(b, RS_LE, &abstract), RS_OK);
        for (unsigned j = 0; j < n_ts; j++) {
            rs_syntax_id ts = rs_ndr_syntax;
            ts.minor = (uint16_t)j;
            assert_int_equal(rs_syntax_put(b, RS_LE, &ts), RS_OK);
        }
    }
    assert_int_equal(rs_buf_patch_u16(b, 8, RS_LE, (uint16_t)b->len), RS_OK);
}

static void test_limits_are_named_and_clamped(void **state)
{
    (void)state;
    rs_pdu p;
    char error[RS_BUF_ERROR_MAX];
    rs_buf b;

    rs_buf_init(&b, RS_BUF_NO_LIMIT);
    put_bind(&b, RS_PDU_MAX_CONTEXTS, 1, RS_PDU_MAX_TRANSFER_SYNTAXES); /* at the limits: fine */
    assert_int_equal(decode_exact(b.data, b.len, &p, error), RS_OK);
    assert_int_equal(p.bind.n_context_elem, RS_PDU_MAX_CONTEXTS);
    assert_int_equal(p.bind.contexts[15].p_cont_id, 115);
    assert_int_equal(p.bind.contexts[15].n_transfer_syn, RS_PDU_MAX_TRANSFER_SYNTAXES);
    assert_int_equal(p.bind.contexts[15].transfer_syntaxes[7].minor, 7);
    rs_buf_free(&b);

    rs_buf_init(&b, RS_BUF_NO_LIMIT);
    put_bind(&b, RS_PDU_MAX_CONTEXTS + 1, 1, 1);
    assert_int_equal(decode_exact(b.data, b.len, &p, error), RS_ERR_LIMIT);
    assert_non_null(strstr(error, "pdu: bind: 17 presentation contexts offered, more than the 16"));
    assert_int_equal(p.hdr.call_id, 1); /* a server answers with bind_nak local_limit_exceeded */
    assert_int_equal(p.bind.n_context_elem, RS_PDU_MAX_CONTEXTS); /* clamped to the array */
    assert_int_equal(p.bind.contexts[15].p_cont_id, 115);
    /* The same bind cut short is first of all truncated. */
    assert_int_equal(rs_buf_patch_u16(&b, 8, RS_LE, (uint16_t)(b.len - 1)), RS_OK);
    assert_int_equal(decode_exact(b.data, b.len - 1, &p, error), RS_ERR_TRUNCATED);
    rs_buf_free(&b);

    rs_buf_init(&b, RS_BUF_NO_LIMIT);
    put_bind(&b, 2, RS_PDU_MAX_TRANSFER_SYNTAXES + 1, 1);
    assert_int_equal(decode_exact(b.data, b.len, &p, error), RS_ERR_LIMIT);
    assert_non_null(strstr(error, "context 0 offers 9 transfer syntaxes, more than the 8"));
    assert_int_equal(p.bind.contexts[0].n_transfer_syn, RS_PDU_MAX_TRANSFER_SYNTAXES);
    assert_int_equal(p.bind.contexts[1].p_cont_id, 101); /* the ninth was skipped, not misread */
    assert_int_equal(p.bind.contexts[1].n_transfer_syn, 1);
    assert_true(rs_syntax_equal(&p.bind.contexts[1].transfer_syntaxes[0], &rs_ndr_syntax));
    rs_buf_free(&b);

    /* bind_ack with 17 results */
    rs_buf_init(&b, RS_BUF_NO_LIMIT);
    assert_int_equal(rs_buf_put_bytes(&b, bind_ack_le, 32), RS_OK);
    assert_int_equal(rs_buf_put_u8(&b, RS_PDU_MAX_RESULTS + 1), RS_OK);
    assert_int_equal(rs_buf_put_zeros(&b, 3), RS_OK);
    for (unsigned i = 0; i <= RS_PDU_MAX_RESULTS; i++) {
        assert_int_equal(rs_buf_put_u16(&b, RS_LE, RS_CONT_PROVIDER_REJECTION), RS_OK);
        assert_int_equal(rs_buf_put_u16(&b, RS_LE, (uint16_t)i), RS_OK);
        assert_int_equal(rs_syntax_put(&b, RS_LE, &rs_ndr_syntax), RS_OK);
    }
    assert_int_equal(rs_buf_patch_u16(&b, 8, RS_LE, (uint16_t)b.len), RS_OK);
    assert_int_equal(decode_exact(b.data, b.len, &p, error), RS_ERR_LIMIT);
    assert_non_null(strstr(error, "17 results"));
    assert_int_equal(p.bind_ack.n_results, RS_PDU_MAX_RESULTS);
    assert_int_equal(p.bind_ack.results[15].reason, 15);
    rs_buf_free(&b);

    /* bind_nak listing 9 versions */
    uint8_t nak[16 + 3 + 18];
    memcpy(nak, bind_nak_le, 18);
    nak[8] = sizeof nak;
    nak[18] = 9;
    for (int i = 0; i < 9; i++) {
        nak[19 + 2 * i] = 5;
        nak[20 + 2 * i] = (uint8_t)i;
    }
    assert_int_equal(decode_exact(nak, sizeof nak, &p, error), RS_ERR_LIMIT);
    assert_non_null(strstr(error, "9 protocol versions"));
    assert_int_equal(p.bind_nak.n_protocols, RS_PDU_MAX_PROTOCOLS);
    assert_int_equal(p.bind_nak.protocols[7].minor, 7);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bind_epm_encodes_to_the_published_bytes),
        cmocka_unit_test(test_bind_epm_decodes_field_by_field),
        cmocka_unit_test(test_bind_ack_with_sec_addr),
        cmocka_unit_test(test_alter_context_resp_without_sec_addr),
        cmocka_unit_test(test_bind_ack_padding_counts_from_the_pdu),
        cmocka_unit_test(test_request_with_and_without_object),
        cmocka_unit_test(test_response_fields_and_empty_stubs),
        cmocka_unit_test(test_fault_op_rng_error),
        cmocka_unit_test(test_bind_nak),
        cmocka_unit_test(test_header_only_pdus),
        cmocka_unit_test(test_auth_verifier_locates_the_stub_data),
        cmocka_unit_test(test_round_trip_every_type_in_both_byte_orders),
        cmocka_unit_test(test_encode_refuses_what_cannot_be_sent),
        cmocka_unit_test(test_encode_respects_the_buffer),
        cmocka_unit_test(test_peek_length),
        cmocka_unit_test(test_names_for_display),
        cmocka_unit_test(test_every_cut_is_truncated),
        cmocka_unit_test(test_random_flips_never_crash),
        cmocka_unit_test(test_lying_frag_length),
        cmocka_unit_test(test_lying_auth_length),
        cmocka_unit_test(test_bind_nak_carries_no_verifier),
        cmocka_unit_test(test_counts_beyond_the_bytes),
        cmocka_unit_test(test_sec_addr_must_be_one_string),
        cmocka_unit_test(test_ptypes_that_are_not_ours),
        cmocka_unit_test(test_versions_and_dreps),
        cmocka_unit_test(test_limits_are_named_and_clamped),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
