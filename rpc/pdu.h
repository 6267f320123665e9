/* pdu.h -- DCE/RPC connection-oriented PDUs, version 5.0/5.1: encode, decode and validate one
 * PDU, split a call's stub data into fragments, and put a call's fragments back together.
 *
 * Call rs_pdu_decode() on the bytes of exactly one PDU (rs_pdu_peek_length() tells a stream
 * reader how many that is), rs_pdu_encode() to build one, rs_pdu_fragmenter to send a request or
 * response of any size, rs_pdu_reassembler to receive one.
 *
 *     rs_buf in;
 *     rs_buf_view(&in, bytes, n);                 // n == frag_length: one whole PDU
 *     rs_pdu pdu, reply;
 *     if (rs_pdu_decode(&in, &pdu) != RS_OK) puts(rs_buf_error(&in));
 *     else if (pdu.hdr.ptype == RS_PTYPE_REQUEST) run(pdu.request.opnum, pdu.stub, pdu.stub_len);
 *     rs_pdu_init(&reply, RS_PTYPE_RESPONSE, pdu.hdr.call_id);  // then rs_pdu_encode(&reply, ...)
 *
 * The wire: Open Group C706 chapter 12 ("RPC PDU Encodings") and [MS-RPCE] 2.2.2 for Microsoft's
 * additions. Every integer is in the byte order that the sender's drep states; offsets below
 * are from the first byte of the PDU.
 *
 * The common header (C706 12.6), 16 bytes, first in every PDU:
 *
 *     offset  size  field
 *     ------  ----  -------------------------------------------------------------------------
 *          0     1  rpc_vers          5
 *          1     1  rpc_vers_minor    0 or 1
 *          2     1  PTYPE             RS_PTYPE_*
 *          3     1  pfc_flags         RS_PFC_*
 *          4     4  drep              [0] high nibble integers (1 little-endian, 0 big-endian),
 *                                         low nibble characters (0 ASCII, 1 EBCDIC)
 *                                     [1] floating point (0 IEEE, 1 VAX, 2 Cray, 3 IBM)
 *                                     [2], [3] reserved, 0
 *          8     2  frag_length       bytes in this PDU, header and auth verifier included
 *         10     2  auth_length       bytes of auth_value in the auth verifier (0: none)
 *         12     4  call_id           pairs a response with its request
 *
 * request (0):                           response (2):
 *     16  4  alloc_hint                      16  4  alloc_hint
 *     20  2  p_cont_id                       20  2  p_cont_id
 *     22  2  opnum                           22  1  cancel_count
 *     24 16  object UUID, only if            23  1  reserved
 *            pfc_flags has OBJECT_UUID       24  .  stub data
 *  24|40  .  stub data
 *
 * fault (3):                             bind (11), alter_context (14):
 *     16  4  alloc_hint                      16  2  max_xmit_frag
 *     20  2  p_cont_id                       18  2  max_recv_frag
 *     22  1  cancel_count                    20  4  assoc_group_id
 *     23  1  reserved ([MS-RPCE] 2.2.2.8:    24  1  n_context_elem
 *            bit 0 = extended error info)    25  3  reserved
 *     24  4  status (nca_s_*, Win32)         28  .  n_context_elem times p_cont_elem_t:
 *     28  4  reserved                                +0  2  p_cont_id
 *     32  .  stub data (optional)                    +2  1  n_transfer_syn
 *                                                     +3  1  reserved
 *                                                     +4 20  abstract_syntax
 *                                                    +24 20  transfer_syntaxes[n_transfer_syn]
 *
 * bind_ack (12), alter_context_resp (15):       A syntax (p_syntax_id_t) is 20 bytes: the
 *     16  2  max_xmit_frag                      16-byte UUID (uuid.h), then its version as one
 *     18  2  max_recv_frag                      u32 -- major in the low 16 bits, minor in the
 *     20  4  assoc_group_id                     high 16.
 *     24  2  sec_addr length, counting its NUL (port_any_t; 0 = no address)
 *     26  .  sec_addr characters, then pad to a multiple of 4 counted from offset 0
 *      a  1  n_results
 *    a+1  3  reserved
 *    a+4  .  n_results times p_result_t: +0 2 result, +2 2 reason, +4 20 transfer_syntax
 *
 * bind_nak (13):                         rpc_auth_3 (16, [MS-RPCE] 2.2.2.10):
 *     16  2  provider_reject_reason          16  4  pad, any value
 *     18  1  n_protocols                     20  .  auth verifier (auth_length > 0)
 *     19  .  n_protocols times {u8 major, u8 minor}
 *      .  .  [MS-RPCE] 2.2.2.9: optional Signature and extended error information
 *
 * shutdown (17): the header alone.       co_cancel (18), orphaned (19): the header, then an
 *                                        optional auth verifier.
 *
 * The auth verifier (C706 12.6 auth_verifier_co_t; [MS-RPCE] 2.2.2.11 sec_trailer), present
 * when auth_length > 0, always at the very end:
 *
 *     frag_length - auth_length - 8   1  auth_type
 *                                   +1  1  auth_level
 *                                   +2  1  auth_pad_length: pad bytes just before this trailer
 *                                   +3  1  auth_reserved
 *                                   +4  4  auth_context_id
 *                                   +8  .  auth_value, auth_length bytes
 *
 * This library never computes authentication; it decodes the verifier so that it finds the stub
 * data in authenticated traffic (and shows it), and encodes one it is given.
 *
 * What holds for hostile input: rs_pdu_decode() reads only inside the bytes it is given (all
 * reads go through rs_buf), allocates nothing, and checks every length and count against the
 * bytes present before it uses it. Counts above this library's limits fail with RS_ERR_LIMIT and
 * never index past an array. The reassembler never allocates more than its configured limit,
 * whatever alloc_hint says.
 */
#ifndef RPCSCOPE_PDU_H
#define RPCSCOPE_PDU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "status.h"
#include "uuid.h"

/* ---- sizes and limits ------------------------------------------------------------------------ */

#define RS_PDU_VERSION 5               /* rpc_vers */
#define RS_PDU_VERSION_MINOR_MAX 1     /* rpc_vers_minor is 0 or 1 */
#define RS_PDU_HEADER_SIZE 16          /* the common header */
#define RS_PDU_REQUEST_HEADER_SIZE 24  /* common header + alloc_hint, p_cont_id, opnum */
#define RS_PDU_OBJECT_SIZE 16          /* the optional object UUID of a request */
#define RS_PDU_RESPONSE_HEADER_SIZE 24 /* common header + alloc_hint, p_cont_id, cancel_count */
#define RS_PDU_FAULT_HEADER_SIZE 32    /* response's fields + status + reserved */
#define RS_PDU_SEC_TRAILER_SIZE 8      /* auth_type .. auth_context_id */
#define RS_PDU_MAX_FRAG_LENGTH 65535   /* frag_length is 16 bits */

/* C706 12.6: every implementation must accept fragments of this size before negotiation. */
#define RS_PDU_MUST_RECV_FRAG_SIZE 1432
/* What we offer in bind, max_xmit_frag = max_recv_frag: the most frag_length can say. Each side
 * sends PDUs no larger than the other accepts, so a peer that offers less (Samba and impacket
 * offer 4280, Windows 5840) gets fragments of its size; two rpcscope processes cut a 64 KiB call
 * into 2 fragments rather than 16 (measured: an Echo of 64 KiB over loopback TCP 49 -> 44 us,
 * the headers, decodes and gathered pieces of 28 fragments less). */
#define RS_PDU_DEFAULT_MAX_FRAG RS_PDU_MAX_FRAG_LENGTH

/* Each fragment but the last carries a multiple of this many stub bytes, so that no fragment
 * boundary falls inside an 8-byte NDR primitive's alignment (a hyper is never split across a
 * boundary). With 4280 that is the whole room (4280 - 24 = 4256 = 532 * 8); with the default
 * 65535, 65504 of the 65511 bytes after a request header. */
#define RS_PDU_FRAG_STUB_ALIGN 8

/* Presentation contexts kept from one bind or alter_context. C706 allows 255; a client offers
 * one or two (MS-RPCE bind time feature negotiation adds one). A bind offering more decodes to
 * RS_ERR_LIMIT, and a server answers it with bind_nak RS_REJECT_LOCAL_LIMIT_EXCEEDED. */
#define RS_PDU_MAX_CONTEXTS 16
/* Transfer syntaxes kept per context: NDR, NDR64, the feature-negotiation syntax, and room. */
#define RS_PDU_MAX_TRANSFER_SYNTAXES 8
/* Results kept from one bind_ack: one per offered context, so the same limit. */
#define RS_PDU_MAX_RESULTS RS_PDU_MAX_CONTEXTS
/* Protocol versions kept from one bind_nak (a server lists 5.0 and maybe 5.1). */
#define RS_PDU_MAX_PROTOCOLS 8

/* The default bound on one call's reassembled stub data. [MS-RPCE], on the server: "The combined
 * length of the stub data for all fragments of a request SHOULD not exceed 4 megabytes". */
#define RS_PDU_DEFAULT_MAX_STUB (4u * 1024 * 1024)

/* ---- PTYPE (C706 12.6; 16 from [MS-RPCE] 2.2.2.10, 20 from [MS-RPCH]) ------------------------ */

/* XX(NAME, value, name shown to people): the connectionless types are named for display only. */
#define RS_PTYPE_TABLE(XX)                                                                         \
    XX(REQUEST, 0, "request")                                                                      \
    XX(PING, 1, "ping")                                                                            \
    XX(RESPONSE, 2, "response")                                                                    \
    XX(FAULT, 3, "fault")                                                                          \
    XX(WORKING, 4, "working")                                                                      \
    XX(NOCALL, 5, "nocall")                                                                        \
    XX(REJECT, 6, "reject")                                                                        \
    XX(ACK, 7, "ack")                                                                              \
    XX(CL_CANCEL, 8, "cl_cancel")                                                                  \
    XX(FACK, 9, "fack")                                                                            \
    XX(CANCEL_ACK, 10, "cancel_ack")                                                               \
    XX(BIND, 11, "bind")                                                                           \
    XX(BIND_ACK, 12, "bind_ack")                                                                   \
    XX(BIND_NAK, 13, "bind_nak")                                                                   \
    XX(ALTER_CONTEXT, 14, "alter_context")                                                         \
    XX(ALTER_CONTEXT_RESP, 15, "alter_context_resp")                                               \
    XX(AUTH3, 16, "rpc_auth_3")                                                                    \
    XX(SHUTDOWN, 17, "shutdown")                                                                   \
    XX(CO_CANCEL, 18, "co_cancel")                                                                 \
    XX(ORPHANED, 19, "orphaned")                                                                   \
    XX(RTS, 20, "rts")

enum {
#define RS_PTYPE_ENUM(name, value, text) RS_PTYPE_##name = value,
    RS_PTYPE_TABLE(RS_PTYPE_ENUM)
#undef RS_PTYPE_ENUM
};

/* ---- pfc_flags (C706 12.6) ------------------------------------------------------------------- */

#define RS_PFC_FIRST_FRAG 0x01     /* first fragment of a call's request or response */
#define RS_PFC_LAST_FRAG 0x02      /* last fragment; a whole PDU has both */
#define RS_PFC_PENDING_CANCEL 0x04 /* a cancel was pending at the sender */
/* [MS-RPCE] 2.2.2.3: the same bit on bind, bind_ack, alter_context, alter_context_resp and
 * rpc_auth_3 means "supports header signing"; rs_pdu_flag_name() names it by PTYPE. */
#define RS_PFC_SUPPORT_HEADER_SIGN 0x04
#define RS_PFC_RESERVED_1 0x08
#define RS_PFC_CONC_MPX 0x10        /* the connection multiplexes concurrent calls */
#define RS_PFC_DID_NOT_EXECUTE 0x20 /* on a fault: the call certainly did not run */
#define RS_PFC_MAYBE 0x40           /* "maybe" call semantics */
#define RS_PFC_OBJECT_UUID 0x80     /* a request carries the 16-byte object UUID */

/* ---- drep (C706 chapter 14) ------------------------------------------------------------------ */

#define RS_DREP_INT_BIG_ENDIAN 0x00 /* drep[0] high nibble */
#define RS_DREP_INT_LITTLE_ENDIAN 0x10
#define RS_DREP_CHAR_ASCII 0x00 /* drep[0] low nibble */
#define RS_DREP_CHAR_EBCDIC 0x01
#define RS_DREP_FLOAT_IEEE 0x00 /* drep[1] */
#define RS_DREP_FLOAT_VAX 0x01
#define RS_DREP_FLOAT_CRAY 0x02
#define RS_DREP_FLOAT_IBM 0x03

/* ---- bind_ack results (C706 p_cont_def_result_t, p_provider_reason_t; [MS-RPCE] 2.2.2.4) ----- */

#define RS_CONT_RESULT_TABLE(XX)                                                                   \
    XX(ACCEPTANCE, 0, "acceptance")                                                                \
    XX(USER_REJECTION, 1, "user_rejection")                                                        \
    XX(PROVIDER_REJECTION, 2, "provider_rejection")                                                \
    XX(NEGOTIATE_ACK, 3, "negotiate_ack")

enum {
#define RS_CONT_ENUM(name, value, text) RS_CONT_##name = value,
    RS_CONT_RESULT_TABLE(RS_CONT_ENUM)
#undef RS_CONT_ENUM
};

#define RS_PROVIDER_REASON_TABLE(XX)                                                               \
    XX(REASON_NOT_SPECIFIED, 0, "reason_not_specified")                                            \
    XX(ABSTRACT_SYNTAX_NOT_SUPPORTED, 1, "abstract_syntax_not_supported")                          \
    XX(PROPOSED_TRANSFER_SYNTAXES_NOT_SUPPORTED, 2, "proposed_transfer_syntaxes_not_supported")    \
    XX(LOCAL_LIMIT_EXCEEDED, 3, "local_limit_exceeded")

enum {
#define RS_PROVIDER_ENUM(name, value, text) RS_PROVIDER_##name = value,
    RS_PROVIDER_REASON_TABLE(RS_PROVIDER_ENUM)
#undef RS_PROVIDER_ENUM
};

/* With result RS_CONT_NEGOTIATE_ACK the reason field carries these bits ([MS-RPCE] bind time
 * feature negotiation, offered as transfer syntax 6cb71c2c-9812-4540-xxxx-xxxxxxxxxxxx). */
#define RS_BTFN_SECURITY_CONTEXT_MULTIPLEXING 0x0001
#define RS_BTFN_KEEP_CONNECTION_ON_ORPHAN 0x0002

/* ---- bind_nak reasons (C706 p_reject_reason_t; 8 and 9 from [MS-RPCE] 2.2.2.5) --------------- */

#define RS_REJECT_REASON_TABLE(XX)                                                                 \
    XX(REASON_NOT_SPECIFIED, 0, "reason_not_specified")                                            \
    XX(TEMPORARY_CONGESTION, 1, "temporary_congestion")                                            \
    XX(LOCAL_LIMIT_EXCEEDED, 2, "local_limit_exceeded")                                            \
    XX(CALLED_PADDR_UNKNOWN, 3, "called_paddr_unknown")                                            \
    XX(PROTOCOL_VERSION_NOT_SUPPORTED, 4, "protocol_version_not_supported")                        \
    XX(DEFAULT_CONTEXT_NOT_SUPPORTED, 5, "default_context_not_supported")                          \
    XX(USER_DATA_NOT_READABLE, 6, "user_data_not_readable")                                        \
    XX(NO_PSAP_AVAILABLE, 7, "no_psap_available")                                                  \
    XX(AUTHENTICATION_TYPE_NOT_RECOGNIZED, 8, "authentication_type_not_recognized")                \
    XX(INVALID_CHECKSUM, 9, "invalid_checksum")

enum {
#define RS_REJECT_ENUM(name, value, text) RS_REJECT_##name = value,
    RS_REJECT_REASON_TABLE(RS_REJECT_ENUM)
#undef RS_REJECT_ENUM
};

/* ---- the in-memory PDU ----------------------------------------------------------------------- */

typedef struct rs_pdu_header {
    uint8_t rpc_vers;       /* 5 */
    uint8_t rpc_vers_minor; /* 0 or 1 */
    uint8_t ptype;          /* RS_PTYPE_* */
    uint8_t pfc_flags;      /* RS_PFC_* */
    uint8_t drep[4];        /* as received; encode writes it from its byte-order argument */
    uint16_t frag_length;   /* as received; encode computes it */
    uint16_t auth_length;   /* as received; encode takes it from auth.auth_value_length */
    uint32_t call_id;
} rs_pdu_header;

/* p_cont_elem_t: one presentation context offered in a bind or alter_context. */
typedef struct rs_pdu_context {
    uint16_t p_cont_id;
    uint8_t n_transfer_syn; /* never more than RS_PDU_MAX_TRANSFER_SYNTAXES; may be 0 */
    rs_syntax_id abstract_syntax;
    rs_syntax_id transfer_syntaxes[RS_PDU_MAX_TRANSFER_SYNTAXES];
} rs_pdu_context;

/* bind and alter_context. n_context_elem may be 0: that decodes, and the server naks it. */
typedef struct rs_pdu_bind {
    uint16_t max_xmit_frag;
    uint16_t max_recv_frag;
    uint32_t assoc_group_id;
    uint8_t n_context_elem; /* never more than RS_PDU_MAX_CONTEXTS */
    rs_pdu_context contexts[RS_PDU_MAX_CONTEXTS];
} rs_pdu_bind;

/* p_result_t: the answer to one offered context, in the order they were offered. */
typedef struct rs_pdu_result {
    uint16_t result; /* RS_CONT_* */
    uint16_t reason; /* RS_PROVIDER_*, or RS_BTFN_* bits with RS_CONT_NEGOTIATE_ACK */
    rs_syntax_id transfer_syntax;
} rs_pdu_result;

/* bind_ack and alter_context_resp. */
typedef struct rs_pdu_bind_ack {
    uint16_t max_xmit_frag;
    uint16_t max_recv_frag;
    uint32_t assoc_group_id;
    /* The secondary address (port_any_t), e.g. "135"; NULL when its length on the wire is 0
     * (usual in alter_context_resp). Decoded, it points into the PDU's bytes and is
     * NUL-terminated there; encode sends strlen + 1 bytes. */
    const char *sec_addr;
    uint8_t n_results; /* never more than RS_PDU_MAX_RESULTS */
    rs_pdu_result results[RS_PDU_MAX_RESULTS];
} rs_pdu_bind_ack;

typedef struct rs_pdu_version {
    uint8_t major;
    uint8_t minor;
} rs_pdu_version;

typedef struct rs_pdu_bind_nak {
    uint16_t provider_reject_reason; /* RS_REJECT_* */
    uint8_t n_protocols;             /* never more than RS_PDU_MAX_PROTOCOLS */
    rs_pdu_version protocols[RS_PDU_MAX_PROTOCOLS];
    /* Bytes after the versions, uninterpreted: [MS-RPCE] 2.2.2.9's optional Signature
     * 90740320-fad0-11d3-82d7-009027b130ab and extended error information, or padding. Decoded,
     * they point into the PDU's bytes; encode sends them as they are. */
    const uint8_t *extra;
    size_t extra_len;
} rs_pdu_bind_nak;

typedef struct rs_pdu_request {
    uint32_t alloc_hint; /* stub bytes of the whole call from this fragment on; a hint only */
    uint16_t p_cont_id;
    uint16_t opnum;
    rs_uuid object; /* on the wire only when hdr.pfc_flags has RS_PFC_OBJECT_UUID */
} rs_pdu_request;

typedef struct rs_pdu_response {
    uint32_t alloc_hint;
    uint16_t p_cont_id;
    uint8_t cancel_count;
} rs_pdu_response;

typedef struct rs_pdu_fault {
    uint32_t alloc_hint;
    uint16_t p_cont_id;
    uint8_t cancel_count;
    uint8_t flags;   /* C706's reserved byte; [MS-RPCE] 2.2.2.8: 0x01 = extended error info */
    uint32_t status; /* nca_s_* or a Win32 code, status.h's RS_FAULT_TABLE */
} rs_pdu_fault;

/* The auth verifier: present on the wire when auth_value_length > 0. */
typedef struct rs_pdu_auth {
    uint8_t auth_type;
    uint8_t auth_level;
    uint8_t auth_pad_length; /* zero bytes written before the trailer; encode uses it as given */
    uint8_t auth_reserved;
    uint32_t auth_context_id;
    const uint8_t *auth_value; /* decoded: points into the PDU's bytes */
    uint16_t auth_value_length;
} rs_pdu_auth;

/* One PDU. Decoded, the pointers (stub, auth.auth_value, bind_ack.sec_addr, bind_nak.extra)
 * point into the buffer given to rs_pdu_decode(): they live as long as those bytes do, and the
 * rs_pdu owns nothing, so there is nothing to free. Counts never exceed their arrays. */
typedef struct rs_pdu {
    rs_pdu_header hdr;
    rs_endian endian; /* decoded from drep[0]; rs_pdu_encode() takes its byte order as argument */
    union {           /* selected by hdr.ptype */
        rs_pdu_request request;
        rs_pdu_response response;
        rs_pdu_fault fault;
        rs_pdu_bind bind;                   /* bind */
        rs_pdu_bind alter_context;          /* the same layout as bind */
        rs_pdu_bind_ack bind_ack;           /* bind_ack */
        rs_pdu_bind_ack alter_context_resp; /* the same layout as bind_ack */
        rs_pdu_bind_nak bind_nak;
    };
    /* The stub data of a request, response or fault: the bytes after the body's fixed fields and
     * before the auth padding. NULL with stub_len 0 for other PTYPEs. */
    const uint8_t *stub;
    size_t stub_len;
    rs_pdu_auth auth;
} rs_pdu;

/* ---- one PDU --------------------------------------------------------------------------------- */

/* Zeroes *pdu -- the header, stub, auth and the body the PTYPE selects in the union (a request's
 * few bytes are not worth clearing a bind's 3 KiB for) -- and sets rpc_vers 5.0, the PTYPE,
 * pfc_flags FIRST_FRAG | LAST_FRAG and the call id: a whole PDU, ready for its body fields. */
void rs_pdu_init(rs_pdu *pdu, uint8_t ptype, uint32_t call_id);

/* Reads frag_length from the 16-byte common header at in's cursor, without consuming anything,
 * so that a stream reader can read exactly one PDU. Checks only what framing needs: rpc_vers 5
 * (RS_ERR_VERSION), an integer representation of 0 or 1 (RS_ERR_UNSUPPORTED_DREP), and
 * 16 <= frag_length <= max_frag (RS_ERR_PROTOCOL). RS_ERR_TRUNCATED if fewer than 16 bytes are
 * there. Failures leave their sentence on `in`. */
RS_MUST_CHECK rs_status rs_pdu_peek_length(rs_buf *in, size_t max_frag, size_t *frag_length);

/* Decodes the bytes from in's cursor to its end, which must be exactly one PDU, into *pdu
 * (zeroed first, as rs_pdu_init() zeroes it) and moves the cursor to the end. Validates:
 * rpc_vers 5 and minor 0 or 1 (RS_ERR_VERSION); drep little- or big-endian, ASCII, IEEE
 * (RS_ERR_UNSUPPORTED_DREP); a connection-oriented PTYPE (RS_ERR_PROTOCOL; rts is RS_ERR_UNSUPPORTED); frag_length equal to
 * the bytes given (RS_ERR_TRUNCATED if more were announced, RS_ERR_PROTOCOL if fewer); the auth
 * verifier inside the PDU, 4-byte aligned, its padding inside the body, only on PTYPEs that carry
 * one; every count and length against the bytes present; no bytes left over after a body.
 * Counts above this library's limits give RS_ERR_LIMIT, only once the PDU is otherwise known to
 * be well formed: the first one hit is named on `in`, the counts are clamped to the arrays.
 *
 * On any failure the cursor stays, `in` holds the sentence ("pdu: frag_length 72 but 70 bytes
 * arrived"), and pdu->hdr and pdu->endian are filled as far as the bytes allow (all of it once
 * 16 bytes arrived with an integer representation of 0 or 1), so that a server can answer with
 * the right call_id (a bind_nak, a fault); the body fields are zero or partly filled. */
RS_MUST_CHECK rs_status rs_pdu_decode(rs_buf *in, rs_pdu *pdu);

/* Appends the wire form of *pdu to `out` in byte order `e`: rpc_vers 5, hdr.rpc_vers_minor,
 * hdr.ptype, hdr.pfc_flags, drep from `e` (ASCII, IEEE), frag_length computed, auth_length from
 * auth.auth_value_length, hdr.call_id, then the body for hdr.ptype. Reserved fields and pad bytes
 * are written as zero. RS_ERR_INVALID_ARG for a PDU that cannot be encoded (unknown or
 * connectionless PTYPE, minor above 1, a count above its array, an auth verifier on a PTYPE
 * without one or misaligned); RS_ERR_LIMIT if it would exceed RS_PDU_MAX_FRAG_LENGTH or out's
 * limit. On failure nothing is appended and `out` holds the sentence. */
RS_MUST_CHECK rs_status rs_pdu_encode(const rs_pdu *pdu, rs_endian e, rs_buf *out);

/* rs_pdu_encode() without the stub data's bytes: frag_length still counts them, for a sender
 * that writes them from where they are after what this appends (a gathered send). */
RS_MUST_CHECK rs_status rs_pdu_encode_head(const rs_pdu *pdu, rs_endian e, rs_buf *out);

/* *dst = *src, copying of the union only the body the PTYPE selects (a request's few bytes, not a
 * bind's 3 KiB of context arrays): the fragmenter and the reassembler copy a request or response
 * per call. */
void rs_pdu_copy(rs_pdu *dst, const rs_pdu *src);

/* ---- fragmentation --------------------------------------------------------------------------- */

/* Splits a request or response's stub data into fragments of at most max_frag bytes each,
 * encoding one per call so that the transport can send (and the trace report) each as it is
 * built:
 *
 *     rs_pdu_fragmenter f;
 *     rs_pdu_fragmenter_init(&f, &request, RS_LE, negotiated_max_xmit_frag);
 *     while (st == RS_OK && !rs_pdu_fragmenter_done(&f)) {
 *         rs_buf_reset(&out);
 *         st = rs_pdu_fragmenter_next(&f, &out);   // appends one fragment to out
 *         ... send out.data, out.len ...
 *     }
 *
 * Every fragment repeats the template's header and body (call_id, p_cont_id, opnum, object
 * UUID); FIRST_FRAG is set on the first, LAST_FRAG on the last (both when there is one);
 * alloc_hint is the stub bytes left from this fragment on. Each fragment but the last carries the
 * largest multiple of RS_PDU_FRAG_STUB_ALIGN stub bytes that fits, so max_frag must leave room
 * for at least 8: header + body + 8 <= max_frag (32 for a request, 48 with an object UUID).
 * That is far below C706's RS_PDU_MUST_RECV_FRAG_SIZE on purpose: a lesson can show a call
 * split into many small fragments. Stub data of 0 bytes gives one fragment. No auth verifier. */
typedef struct rs_pdu_fragmenter {
    rs_pdu pdu; /* the template; its flags, alloc_hint and stub change per fragment */
    rs_endian endian;
    uint16_t max_frag;
    const uint8_t *stub; /* the whole stub data, borrowed until done */
    size_t stub_len;
    size_t offset;    /* stub bytes already sent */
    size_t fragments; /* fragments produced so far */
    bool done;
} rs_pdu_fragmenter;

/* Borrows pdu->stub (the caller keeps it alive until done) and copies the rest. Validation
 * happens in the first rs_pdu_fragmenter_next(), which reports on its buffer. */
void rs_pdu_fragmenter_init(rs_pdu_fragmenter *f, const rs_pdu *pdu, rs_endian e,
                            uint16_t max_frag);

/* Appends the next fragment to `out`. RS_ERR_INVALID_ARG if the template is not a request or
 * response, has an auth verifier or more than UINT32_MAX stub bytes, if max_frag leaves no room
 * for 8 stub bytes, or if all fragments were already produced. */
RS_MUST_CHECK rs_status rs_pdu_fragmenter_next(rs_pdu_fragmenter *f, rs_buf *out);

/* The same, without copying the stub data: appends the next fragment's header and body only,
 * and points *stub at the *stub_len bytes of the template's stub data that follow them on the
 * wire (frag_length counts them). For a sender that gathers the two from where they are
 * (writev, rs_conn_send_fragments()). */
RS_MUST_CHECK rs_status rs_pdu_fragmenter_next_header(rs_pdu_fragmenter *f, rs_buf *out,
                                                      const uint8_t **stub, size_t *stub_len);

static inline bool rs_pdu_fragmenter_done(const rs_pdu_fragmenter *f)
{
    return f->done;
}

/* ---- reassembly ------------------------------------------------------------------------------ */

/* Collects the fragments of one call (a request on the server, a response on the client) into
 * contiguous stub data, on which NDR alignment is then counted. A connection with concurrent
 * calls (RS_PFC_CONC_MPX) keeps one reassembler per call_id.
 *
 *     rs_pdu_reassembler r;
 *     rs_pdu_reassembler_init(&r, RS_PDU_DEFAULT_MAX_STUB);
 *     bool complete = false;
 *     while (!complete && st == RS_OK) {              // decode each fragment into frag first
 *         st = rs_pdu_reassembler_add(&r, &frag, &complete);
 *     }
 *     const rs_pdu *call = rs_pdu_reassembler_result(&r);   // call->stub, call->stub_len
 *     rs_pdu_reassembler_free(&r);
 *
 * Rules: the first fragment has FIRST_FRAG; later ones have no FIRST_FRAG and the same call_id,
 * PTYPE, drep, p_cont_id, and for requests the same opnum and object UUID; a fragment other than
 * the last carries stub data (so the number of fragments is bounded too); LAST_FRAG completes.
 * Violations give RS_ERR_REASSEMBLY; stub data beyond the limit gives RS_ERR_LIMIT. Errors are
 * sticky until rs_pdu_reassembler_reset().
 *
 * Memory: rs_pdu_reassembler_add() copies the stub data (O(total) bytes), also for a single
 * fragment, so the result never depends on the lifetime of the fragments' buffers. The first
 * fragment's alloc_hint pre-sizes the buffer, but never beyond the limit: a peer can make one call
 * cost up to the limit, and no more. rs_pdu_reassembler_add_in_place() copies nothing while it
 * can: for a reader whose fragments stay where they are until the call is done. */
typedef struct rs_pdu_reassembler {
    rs_buf stub;      /* the stub data so far; its limit is the reassembly limit */
    rs_pdu result;    /* the first fragment's header and body; stub set when complete */
    size_t fragments; /* fragments accepted */
    bool complete;
    bool in_place;     /* the stub data so far is joined[0..joined_len), in the caller's memory */
    uint8_t *joined;
    size_t joined_len;
} rs_pdu_reassembler;

/* Ready for a call whose stub data may total max_stub bytes. Allocates nothing yet. */
void rs_pdu_reassembler_init(rs_pdu_reassembler *r, size_t max_stub);

/* Takes one decoded fragment (request or response) and copies its stub data. *complete is set
 * true when LAST_FRAG arrived. */
RS_MUST_CHECK rs_status rs_pdu_reassembler_add(rs_pdu_reassembler *r, const rs_pdu *frag,
                                               bool *complete);

/* rs_pdu_reassembler_add(), leaving the stub data where it is: `stub` is frag->stub, which the
 * caller lets the reassembler write. The first fragment's stub data stays in place (a call in one
 * fragment costs no copy at all), and each later fragment's is moved down to follow it -- over
 * the headers between them, a move of that fragment's bytes only -- as long as it lies after the
 * stub data so far (fragments read one after another into one buffer do); otherwise everything
 * is copied from there on, as rs_pdu_reassembler_add() would. The caller keeps all of it alive
 * and unchanged until the call is done, or calls rs_pdu_reassembler_settle() first: before the
 * next read that may move or reuse that memory. Same checks, same failures. */
RS_MUST_CHECK rs_status rs_pdu_reassembler_add_in_place(rs_pdu_reassembler *r, const rs_pdu *frag,
                                                        uint8_t *stub, bool *complete);

/* Copies the stub data joined in place so far into the reassembler's own buffer, which holds it
 * from then on (a complete result's stub follows). Nothing to do when nothing is in place. */
RS_MUST_CHECK rs_status rs_pdu_reassembler_settle(rs_pdu_reassembler *r);

/* The reassembled call once complete, NULL before: the first fragment's header (pfc_flags with
 * FIRST_FRAG | LAST_FRAG) and body, stub and stub_len over the reassembled bytes (valid until
 * reset or free), no auth verifier. */
const rs_pdu *rs_pdu_reassembler_result(const rs_pdu_reassembler *r);

/* Forgets the call and any error, keeping the memory for the next call. */
void rs_pdu_reassembler_reset(rs_pdu_reassembler *r);

void rs_pdu_reassembler_free(rs_pdu_reassembler *r);

/* The first failure's sentence, "" if none. */
static inline const char *rs_pdu_reassembler_error(const rs_pdu_reassembler *r)
{
    return rs_buf_error(&r->stub);
}

/* ---- names for display ----------------------------------------------------------------------- */

/* "bind_ack" for 12; "unknown" for a value outside C706 and [MS-RPCE]. Never NULL. */
const char *rs_pdu_type_name(uint8_t ptype);

/* True for the PTYPEs rs_pdu_decode() accepts. */
bool rs_pdu_type_is_connection_oriented(uint8_t ptype);

/* The name of one flag bit as C706/[MS-RPCE] spell it ("PFC_FIRST_FRAG"); 0x04 is
 * "PFC_SUPPORT_HEADER_SIGN" on bind, bind_ack, alter_context, alter_context_resp and rpc_auth_3,
 * "PFC_PENDING_CANCEL" otherwise. NULL unless `flag` has exactly one bit set. */
const char *rs_pdu_flag_name(uint8_t ptype, uint8_t flag);

/* Writes the set flags as "PFC_FIRST_FRAG|PFC_LAST_FRAG" ("0" for none) into out[size], always
 * NUL-terminated when size > 0. Returns the length the whole text needs, like snprintf. */
#define RS_PDU_FLAGS_STRLEN 192
size_t rs_pdu_flags_format(uint8_t ptype, uint8_t flags, char *out, size_t size);

/* Writes "little-endian, ASCII, IEEE" (or "big-endian", "EBCDIC", "VAX", "Cray", "IBM", "?")
 * into out[size]. Returns the length the whole text needs, like snprintf. */
#define RS_PDU_DREP_STRLEN 48
size_t rs_pdu_drep_format(const uint8_t drep[4], char *out, size_t size);

/* C706's names: "acceptance", "abstract_syntax_not_supported", "protocol_version_not_supported";
 * "unknown" outside the tables. Never NULL. */
const char *rs_pdu_result_name(uint16_t result);
const char *rs_pdu_provider_reason_name(uint16_t reason);
const char *rs_pdu_reject_reason_name(uint16_t reason);

#endif
