/* pdu.c -- DCE/RPC connection-oriented PDUs: the layouts drawn in pdu.h, as code. */
#include "pdu.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Fixed sizes inside bodies (C706 12.6). */
#define CONTEXT_MIN_SIZE 24 /* p_cont_elem_t without transfer syntaxes: 2 + 1 + 1 + 20 */
#define RESULT_SIZE 24      /* p_result_t: 2 + 2 + 20 */
#define VERSION_SIZE 2      /* version_t: major, minor */
#define AUTH3_PAD_SIZE 4    /* [MS-RPCE] 2.2.2.10 */

/* ---- a reader and a writer with a sticky status ---------------------------------------------- */

/* A run of field reads is written one call per line and checked once: after the first failure
 * every further get does nothing and leaves its output alone (zero, as rs_pdu_decode() starts
 * from a zeroed rs_pdu). Bounds are checked by rs_buf alone; a failure's sentence is on r->b.
 *
 * Counts above this library's limits are not failures of the read: the first one is noted here
 * and reported only once the whole PDU is known to be well formed. */
typedef struct reader {
    rs_buf *b;
    rs_endian e;
    rs_status st;
    bool over_limit;
    char limit_error[RS_BUF_ERROR_MAX];
} reader;

static void get_u8(reader *r, uint8_t *v)
{
    if (r->st == RS_OK)
        r->st = rs_buf_get_u8(r->b, v);
}

static void get_u16(reader *r, uint16_t *v)
{
    if (r->st == RS_OK)
        r->st = rs_buf_get_u16(r->b, r->e, v);
}

static void get_u32(reader *r, uint32_t *v)
{
    if (r->st == RS_OK)
        r->st = rs_buf_get_u32(r->b, r->e, v);
}

static void get_uuid(reader *r, rs_uuid *u)
{
    if (r->st == RS_OK)
        r->st = rs_uuid_get(r->b, r->e, u);
}

static void get_syntax(reader *r, rs_syntax_id *s)
{
    if (r->st == RS_OK)
        r->st = rs_syntax_get(r->b, r->e, s);
}

static void get_ptr(reader *r, size_t n, const uint8_t **p)
{
    if (r->st == RS_OK)
        r->st = rs_buf_get_ptr(r->b, n, p);
}

/* Reserved and pad bytes: C706 says the receiver ignores their value. */
static void skip(reader *r, size_t n)
{
    if (r->st == RS_OK)
        r->st = rs_buf_skip(r->b, n);
}

/* Records a protocol violation found by looking at values (not by running out of bytes). */
static void reject(reader *r, rs_status st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void reject(reader *r, rs_status st, const char *fmt, ...)
{
    if (r->st != RS_OK)
        return;
    char text[RS_BUF_ERROR_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    r->st = rs_buf_fail(r->b, st, "%s", text);
}

/* Checks that `count` items of at least `each` bytes can still be there, before any is read. */
static void need_items(reader *r, size_t count, size_t each, const char *what)
{
    if (r->st == RS_OK && count * each > rs_buf_remaining(r->b))
        reject(r, RS_ERR_TRUNCATED, "%s %zu needs at least %zu bytes at offset 0x%zx, %zu remain",
               what, count, count * each, r->b->pos, rs_buf_remaining(r->b));
}

static void note_limit(reader *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note_limit(reader *r, const char *fmt, ...)
{
    if (r->over_limit)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->limit_error, sizeof r->limit_error, fmt, ap);
    va_end(ap);
    r->over_limit = true;
}

typedef struct writer {
    rs_buf *b;
    rs_endian e;
    rs_status st;
} writer;

static void put_u8(writer *w, uint8_t v)
{
    if (w->st == RS_OK)
        w->st = rs_buf_put_u8(w->b, v);
}

static void put_u16(writer *w, uint16_t v)
{
    if (w->st == RS_OK)
        w->st = rs_buf_put_u16(w->b, w->e, v);
}

static void put_u32(writer *w, uint32_t v)
{
    if (w->st == RS_OK)
        w->st = rs_buf_put_u32(w->b, w->e, v);
}

static void put_uuid(writer *w, const rs_uuid *u)
{
    if (w->st == RS_OK)
        w->st = rs_uuid_put(w->b, w->e, u);
}

static void put_syntax(writer *w, const rs_syntax_id *s)
{
    if (w->st == RS_OK)
        w->st = rs_syntax_put(w->b, w->e, s);
}

static void put_bytes(writer *w, const void *p, size_t n)
{
    if (w->st == RS_OK)
        w->st = rs_buf_put_bytes(w->b, p, n);
}

static void put_zeros(writer *w, size_t n)
{
    if (w->st == RS_OK)
        w->st = rs_buf_put_zeros(w->b, n);
}

/* ---- PTYPE classes --------------------------------------------------------------------------- */

bool rs_pdu_type_is_connection_oriented(uint8_t ptype)
{
    switch (ptype) {
    case RS_PTYPE_REQUEST:
    case RS_PTYPE_RESPONSE:
    case RS_PTYPE_FAULT:
    case RS_PTYPE_BIND:
    case RS_PTYPE_BIND_ACK:
    case RS_PTYPE_BIND_NAK:
    case RS_PTYPE_ALTER_CONTEXT:
    case RS_PTYPE_ALTER_CONTEXT_RESP:
    case RS_PTYPE_AUTH3:
    case RS_PTYPE_SHUTDOWN:
    case RS_PTYPE_CO_CANCEL:
    case RS_PTYPE_ORPHANED:
        return true;
    default:
        return false;
    }
}

/* C706: bind_nak and shutdown are the two connection-oriented PDUs without an auth verifier. */
static bool carries_auth(uint8_t ptype)
{
    return ptype != RS_PTYPE_BIND_NAK && ptype != RS_PTYPE_SHUTDOWN;
}

static bool carries_stub(uint8_t ptype)
{
    return ptype == RS_PTYPE_REQUEST || ptype == RS_PTYPE_RESPONSE || ptype == RS_PTYPE_FAULT;
}

static size_t pad4(size_t offset)
{
    return (4 - offset % 4) % 4;
}

/* ---- the common header ----------------------------------------------------------------------- */

/* The body a PTYPE selects in the union is all that is zeroed of it, with everything outside
 * it: a request or response is a few bytes, but the union is 3 KiB (a bind's 16 contexts of 9
 * syntaxes), and this runs for every PDU a call sends and receives. */
static void zero_pdu(rs_pdu *pdu, uint8_t ptype)
{
    pdu->hdr = (rs_pdu_header){0};
    pdu->endian = RS_LE;
    pdu->stub = NULL;
    pdu->stub_len = 0;
    pdu->auth = (rs_pdu_auth){0};
    switch (ptype) {
    case RS_PTYPE_REQUEST:
        pdu->request = (rs_pdu_request){0};
        break;
    case RS_PTYPE_RESPONSE:
        pdu->response = (rs_pdu_response){0};
        break;
    case RS_PTYPE_FAULT:
        pdu->fault = (rs_pdu_fault){0};
        break;
    default:
        memset(&pdu->bind, 0, sizeof *pdu - offsetof(rs_pdu, bind));
        break;
    }
}

void rs_pdu_copy(rs_pdu *dst, const rs_pdu *src)
{
    dst->hdr = src->hdr;
    dst->endian = src->endian;
    dst->stub = src->stub;
    dst->stub_len = src->stub_len;
    dst->auth = src->auth;
    switch (src->hdr.ptype) {
    case RS_PTYPE_REQUEST:
        dst->request = src->request;
        break;
    case RS_PTYPE_RESPONSE:
        dst->response = src->response;
        break;
    case RS_PTYPE_FAULT:
        dst->fault = src->fault;
        break;
    default:
        *dst = *src;
        break;
    }
}

void rs_pdu_init(rs_pdu *pdu, uint8_t ptype, uint32_t call_id)
{
    zero_pdu(pdu, ptype);
    pdu->hdr.rpc_vers = RS_PDU_VERSION;
    pdu->hdr.rpc_vers_minor = 0;
    pdu->hdr.ptype = ptype;
    pdu->hdr.pfc_flags = RS_PFC_FIRST_FRAG | RS_PFC_LAST_FRAG;
    pdu->hdr.drep[0] = RS_DREP_INT_LITTLE_ENDIAN | RS_DREP_CHAR_ASCII;
    pdu->hdr.call_id = call_id;
    pdu->endian = RS_LE;
}

/* drep[0]'s high nibble: the byte order of every integer in the PDU. */
static bool drep_endian(uint8_t drep0, rs_endian *e)
{
    switch (drep0 >> 4) {
    case RS_DREP_INT_LITTLE_ENDIAN >> 4:
        *e = RS_LE;
        return true;
    case RS_DREP_INT_BIG_ENDIAN >> 4:
        *e = RS_BE;
        return true;
    default:
        return false;
    }
}

/* Reads the 16-byte common header at in's cursor without consuming it. The integers are read
 * only when drep names a byte order (*known_order); otherwise they stay as they were (zero). */
static rs_status read_header(rs_buf *in, rs_pdu_header *h, rs_endian *e, bool *known_order)
{
    if (rs_buf_remaining(in) < RS_PDU_HEADER_SIZE)
        return rs_buf_fail(in, RS_ERR_TRUNCATED,
                           "pdu: %zu bytes arrived, fewer than the 16-byte common header",
                           rs_buf_remaining(in));
    const uint8_t *p = in->data + in->pos; /* the 16 bytes pdu.h draws, all there */
    h->rpc_vers = p[0];
    h->rpc_vers_minor = p[1];
    h->ptype = p[2];
    h->pfc_flags = p[3];
    memcpy(h->drep, p + 4, sizeof h->drep);
    *known_order = drep_endian(h->drep[0], e);
    if (*known_order) {
        h->frag_length = rs_load_u16(p + 8, *e);
        h->auth_length = rs_load_u16(p + 10, *e);
        h->call_id = rs_load_u32(p + 12, *e);
    }
    return RS_OK;
}

/* What framing needs: the layout (version 5), the byte order of frag_length (drep's integer
 * nibble), and a frag_length that can hold its own header. */
static rs_status check_framing(rs_buf *in, const rs_pdu_header *h, bool known_order,
                               size_t max_frag)
{
    if (h->rpc_vers != RS_PDU_VERSION)
        return rs_buf_fail(in, RS_ERR_VERSION,
                           "pdu: rpc_vers %u where 5 was expected: not a connection-oriented "
                           "DCE/RPC PDU",
                           h->rpc_vers);
    if (!known_order)
        return rs_buf_fail(in, RS_ERR_UNSUPPORTED_DREP,
                           "pdu: drep integer representation %u is neither 0 (big-endian) nor 1 "
                           "(little-endian)",
                           h->drep[0] >> 4);
    if (h->frag_length < RS_PDU_HEADER_SIZE)
        return rs_buf_fail(in, RS_ERR_PROTOCOL,
                           "pdu: frag_length %u is shorter than the 16-byte common header",
                           h->frag_length);
    if (h->frag_length > max_frag)
        return rs_buf_fail(in, RS_ERR_PROTOCOL,
                           "pdu: frag_length %u exceeds the %zu-byte maximum fragment size",
                           h->frag_length, max_frag);
    return RS_OK;
}

rs_status rs_pdu_peek_length(rs_buf *in, size_t max_frag, size_t *frag_length)
{
    rs_pdu_header h;
    rs_endian e;
    bool known_order;
    memset(&h, 0, sizeof h);
    rs_status st = read_header(in, &h, &e, &known_order);
    if (st == RS_OK)
        st = check_framing(in, &h, known_order, max_frag);
    if (st == RS_OK)
        *frag_length = h.frag_length;
    return st;
}

/* Everything in the header that decides whether the rest can be read at all. hdr is filled. */
static rs_status check_header(rs_buf *in, const rs_pdu_header *h, size_t avail)
{
    if (h->rpc_vers_minor > RS_PDU_VERSION_MINOR_MAX)
        return rs_buf_fail(in, RS_ERR_VERSION,
                           "pdu: rpc_vers_minor %u; only versions 5.0 and 5.1 exist",
                           h->rpc_vers_minor);
    if ((h->drep[0] & 0x0F) != RS_DREP_CHAR_ASCII)
        return rs_buf_fail(in, RS_ERR_UNSUPPORTED_DREP,
                           "pdu: drep character representation %u (%s) is not supported, only "
                           "ASCII (0)",
                           h->drep[0] & 0x0F,
                           (h->drep[0] & 0x0F) == RS_DREP_CHAR_EBCDIC ? "EBCDIC" : "unknown");
    if (h->drep[1] != RS_DREP_FLOAT_IEEE)
        return rs_buf_fail(in, RS_ERR_UNSUPPORTED_DREP,
                           "pdu: drep floating-point representation %u is not supported, only "
                           "IEEE (0)",
                           h->drep[1]);
    if (h->ptype == RS_PTYPE_RTS)
        return rs_buf_fail(in, RS_ERR_UNSUPPORTED,
                           "pdu: PTYPE 20 (rts) belongs to RPC over HTTP [MS-RPCH], not supported");
    if (!rs_pdu_type_is_connection_oriented(h->ptype)) {
        if (h->ptype < RS_PTYPE_RTS)
            return rs_buf_fail(in, RS_ERR_PROTOCOL,
                               "pdu: PTYPE %u (%s) is a connectionless PDU, not a "
                               "connection-oriented one",
                               h->ptype, rs_pdu_type_name(h->ptype));
        return rs_buf_fail(in, RS_ERR_PROTOCOL, "pdu: unknown PTYPE %u", h->ptype);
    }
    if (h->frag_length > avail)
        return rs_buf_fail(in, RS_ERR_TRUNCATED, "pdu: frag_length %u but %zu bytes arrived",
                           h->frag_length, avail);
    if (h->frag_length < avail)
        return rs_buf_fail(in, RS_ERR_PROTOCOL,
                           "pdu: frag_length %u but %zu bytes were given; decode one PDU at a time",
                           h->frag_length, avail);
    if (h->auth_length == 0) {
        if (h->ptype == RS_PTYPE_AUTH3)
            return rs_buf_fail(in, RS_ERR_PROTOCOL,
                               "pdu: rpc_auth_3 with auth_length 0; it exists to carry one");
        return RS_OK;
    }
    if (!carries_auth(h->ptype))
        return rs_buf_fail(in, RS_ERR_PROTOCOL,
                           "pdu: %s with auth_length %u; it has no auth verifier",
                           rs_pdu_type_name(h->ptype), h->auth_length);
    if ((size_t)h->auth_length + RS_PDU_SEC_TRAILER_SIZE >
        (size_t)h->frag_length - RS_PDU_HEADER_SIZE)
        return rs_buf_fail(in, RS_ERR_PROTOCOL,
                           "pdu: auth_length %u and the 8-byte sec_trailer do not fit in "
                           "frag_length %u after the 16-byte header",
                           h->auth_length, h->frag_length);
    size_t trailer = (size_t)h->frag_length - h->auth_length - RS_PDU_SEC_TRAILER_SIZE;
    if (trailer % 4 != 0)
        return rs_buf_fail(in, RS_ERR_PROTOCOL,
                           "pdu: the sec_trailer at offset %zu (frag_length %u - auth_length %u - "
                           "8) is not 4-byte aligned",
                           trailer, h->frag_length, h->auth_length);
    return RS_OK;
}

/* ---- decoding bodies ------------------------------------------------------------------------- */

static void decode_request(reader *r, uint8_t pfc_flags, rs_pdu_request *q)
{
    get_u32(r, &q->alloc_hint);
    get_u16(r, &q->p_cont_id);
    get_u16(r, &q->opnum);
    if (pfc_flags & RS_PFC_OBJECT_UUID)
        get_uuid(r, &q->object);
}

static void decode_response(reader *r, rs_pdu_response *s)
{
    get_u32(r, &s->alloc_hint);
    get_u16(r, &s->p_cont_id);
    get_u8(r, &s->cancel_count);
    skip(r, 1); /* reserved */
}

static void decode_fault(reader *r, rs_pdu_fault *f)
{
    get_u32(r, &f->alloc_hint);
    get_u16(r, &f->p_cont_id);
    get_u8(r, &f->cancel_count);
    get_u8(r, &f->flags);
    get_u32(r, &f->status);
    skip(r, 4); /* reserved */
}

/* p_cont_elem_t. Transfer syntaxes beyond the limit are read (to validate and skip them) and
 * dropped. */
static void decode_context(reader *r, unsigned index, rs_pdu_context *c)
{
    uint8_t n = 0;
    get_u16(r, &c->p_cont_id);
    get_u8(r, &n); /* n_transfer_syn */
    skip(r, 1);    /* reserved */
    get_syntax(r, &c->abstract_syntax);
    need_items(r, n, RS_SYNTAX_WIRE_SIZE, "n_transfer_syn");
    if (r->st != RS_OK)
        return;
    if (n > RS_PDU_MAX_TRANSFER_SYNTAXES)
        note_limit(r, "context %u offers %u transfer syntaxes, more than the %d this library keeps",
                   index, n, RS_PDU_MAX_TRANSFER_SYNTAXES);
    c->n_transfer_syn = n < RS_PDU_MAX_TRANSFER_SYNTAXES ? n : RS_PDU_MAX_TRANSFER_SYNTAXES;
    for (unsigned j = 0; j < n && r->st == RS_OK; j++) {
        rs_syntax_id dropped;
        get_syntax(r, j < RS_PDU_MAX_TRANSFER_SYNTAXES ? &c->transfer_syntaxes[j] : &dropped);
    }
}

/* bind and alter_context. */
static void decode_bind(reader *r, rs_pdu_bind *b)
{
    uint8_t n = 0;
    get_u16(r, &b->max_xmit_frag);
    get_u16(r, &b->max_recv_frag);
    get_u32(r, &b->assoc_group_id);
    get_u8(r, &n); /* n_context_elem */
    skip(r, 3);    /* reserved, reserved2 */
    need_items(r, n, CONTEXT_MIN_SIZE, "n_context_elem");
    if (r->st != RS_OK)
        return;
    if (n > RS_PDU_MAX_CONTEXTS)
        note_limit(r, "%u presentation contexts offered, more than the %d this library keeps", n,
                   RS_PDU_MAX_CONTEXTS);
    b->n_context_elem = n < RS_PDU_MAX_CONTEXTS ? n : RS_PDU_MAX_CONTEXTS;
    for (unsigned i = 0; i < n && r->st == RS_OK; i++) {
        rs_pdu_context dropped;
        decode_context(r, i, i < RS_PDU_MAX_CONTEXTS ? &b->contexts[i] : &dropped);
    }
}

/* bind_ack and alter_context_resp. */
static void decode_bind_ack(reader *r, rs_pdu_bind_ack *b)
{
    uint16_t sec_len = 0;
    uint8_t n = 0;
    const uint8_t *sec = NULL;
    get_u16(r, &b->max_xmit_frag);
    get_u16(r, &b->max_recv_frag);
    get_u32(r, &b->assoc_group_id);
    get_u16(r, &sec_len);
    if (r->st == RS_OK && sec_len > rs_buf_remaining(r->b))
        reject(r, RS_ERR_TRUNCATED,
               "sec_addr length %u runs past the end of the body (%zu bytes remain)", sec_len,
               rs_buf_remaining(r->b));
    get_ptr(r, sec_len, &sec);
    if (r->st == RS_OK && sec_len > 0) {
        /* port_any_t is a NUL-terminated string whose length counts the NUL. */
        if (sec[sec_len - 1] != '\0' || memchr(sec, '\0', sec_len - 1u) != NULL)
            reject(r, RS_ERR_PROTOCOL, "sec_addr of %u bytes is not one NUL-terminated string",
                   sec_len);
        b->sec_addr = (const char *)sec;
    }
    /* The view starts at the PDU's first byte, so pos is the offset C706 aligns. */
    if (r->st == RS_OK)
        skip(r, pad4(r->b->pos));
    get_u8(r, &n); /* n_results */
    skip(r, 3);    /* reserved, reserved2 */
    need_items(r, n, RESULT_SIZE, "n_results");
    if (r->st != RS_OK)
        return;
    if (n > RS_PDU_MAX_RESULTS)
        note_limit(r, "%u results, more than the %d this library keeps", n, RS_PDU_MAX_RESULTS);
    b->n_results = n < RS_PDU_MAX_RESULTS ? n : RS_PDU_MAX_RESULTS;
    for (unsigned i = 0; i < n && r->st == RS_OK; i++) {
        rs_pdu_result dropped = {0}; /* where entries beyond the limit are read to, unkept */
        rs_pdu_result *res = i < RS_PDU_MAX_RESULTS ? &b->results[i] : &dropped;
        get_u16(r, &res->result);
        get_u16(r, &res->reason);
        get_syntax(r, &res->transfer_syntax);
    }
}

/* bind_nak. C706 always has the versions list; Wireshark and Samba also accept a bind_nak that
 * ends right after the reason, so this does too (n_protocols 0). */
static void decode_bind_nak(reader *r, rs_pdu_bind_nak *b)
{
    uint8_t n = 0;
    get_u16(r, &b->provider_reject_reason);
    if (r->st != RS_OK || rs_buf_remaining(r->b) == 0)
        return;
    get_u8(r, &n); /* n_protocols */
    need_items(r, n, VERSION_SIZE, "n_protocols");
    if (r->st != RS_OK)
        return;
    if (n > RS_PDU_MAX_PROTOCOLS)
        note_limit(r, "%u protocol versions listed, more than the %d this library keeps", n,
                   RS_PDU_MAX_PROTOCOLS);
    b->n_protocols = n < RS_PDU_MAX_PROTOCOLS ? n : RS_PDU_MAX_PROTOCOLS;
    for (unsigned i = 0; i < n && r->st == RS_OK; i++) {
        rs_pdu_version dropped = {0}; /* where entries beyond the limit are read to, unkept */
        rs_pdu_version *v = i < RS_PDU_MAX_PROTOCOLS ? &b->protocols[i] : &dropped;
        get_u8(r, &v->major);
        get_u8(r, &v->minor);
    }
    if (r->st == RS_OK && rs_buf_remaining(r->b) > 0) {
        b->extra_len = rs_buf_remaining(r->b);
        get_ptr(r, b->extra_len, &b->extra);
    }
}

/* The sec_trailer and auth_value at the end of the PDU; check_header() placed them. */
static void decode_auth(reader *r, size_t trailer, uint16_t auth_length, rs_pdu_auth *a)
{
    r->b->pos = trailer;
    get_u8(r, &a->auth_type);
    get_u8(r, &a->auth_level);
    get_u8(r, &a->auth_pad_length);
    get_u8(r, &a->auth_reserved);
    get_u32(r, &a->auth_context_id);
    get_ptr(r, auth_length, &a->auth_value);
    a->auth_value_length = auth_length;
}

/* What follows a body up to the sec_trailer: the stub data and its auth padding, or for PDUs
 * without stub data exactly the auth padding. */
static void decode_tail(reader *r, rs_pdu *pdu)
{
    if (r->st != RS_OK)
        return;
    size_t left = rs_buf_remaining(r->b);
    size_t pad = pdu->auth.auth_pad_length;
    if (carries_stub(pdu->hdr.ptype)) {
        if (pad > left) {
            reject(r, RS_ERR_PROTOCOL,
                   "auth_pad_length %zu is more than the %zu bytes between the body and the "
                   "sec_trailer",
                   pad, left);
            return;
        }
        pdu->stub_len = left - pad;
        get_ptr(r, pdu->stub_len, &pdu->stub);
        skip(r, pad);
    } else if (left != pad) {
        if (pdu->hdr.auth_length == 0)
            reject(r, RS_ERR_PROTOCOL, "%zu unexpected bytes after the body at offset 0x%zx", left,
                   r->b->pos);
        else
            reject(r, RS_ERR_PROTOCOL,
                   "%zu bytes between the body and the sec_trailer, but auth_pad_length is %zu",
                   left, pad);
    } else {
        skip(r, pad);
    }
}

/* The common case of rs_pdu_decode(), every fragment of every call: a request without an object
 * UUID or a response, with no auth verifier, whose header checked out. Its 8 bytes of body are
 * loaded at once (put_fragment_header() draws them) and the rest is its stub data; consumed,
 * and true. False for anything else: the general decoder reads it. */
static bool read_fragment(rs_buf *in, rs_pdu *pdu)
{
    const rs_pdu_header *h = &pdu->hdr;
    bool request = h->ptype == RS_PTYPE_REQUEST && !(h->pfc_flags & RS_PFC_OBJECT_UUID);
    if (!(request || h->ptype == RS_PTYPE_RESPONSE) || h->auth_length != 0 ||
        h->frag_length < RS_PDU_REQUEST_HEADER_SIZE)
        return false;
    const uint8_t *p = in->data + in->pos;
    rs_endian e = pdu->endian;
    if (request) {
        pdu->request.alloc_hint = rs_load_u32(p + 16, e);
        pdu->request.p_cont_id = rs_load_u16(p + 20, e);
        pdu->request.opnum = rs_load_u16(p + 22, e);
    } else {
        pdu->response.alloc_hint = rs_load_u32(p + 16, e);
        pdu->response.p_cont_id = rs_load_u16(p + 20, e);
        pdu->response.cancel_count = p[22]; /* p[23] is reserved: any value, ignored */
    }
    pdu->stub = p + RS_PDU_REQUEST_HEADER_SIZE; /* as the general decoder: even when empty */
    pdu->stub_len = (size_t)h->frag_length - RS_PDU_REQUEST_HEADER_SIZE;
    in->pos += h->frag_length;
    return true;
}

rs_status rs_pdu_decode(rs_buf *in, rs_pdu *pdu)
{
    /* The header is filled as far as its bytes can be read before it is judged: whoever answers
     * a bad PDU (with a bind_nak or a fault) needs its call_id. The body its PTYPE selects is
     * zeroed once that is known (zero_pdu()); everything, when the header cannot be read. */
    rs_pdu_header *h = &pdu->hdr;
    size_t avail = rs_buf_remaining(in);
    bool known_order;
    if (avail >= RS_PDU_HEADER_SIZE) {
        uint8_t ptype = in->data[in->pos + 2]; /* the common header's PTYPE (pdu.h draws it) */
        zero_pdu(pdu, ptype);
    } else {
        memset(pdu, 0, sizeof *pdu);
    }
    rs_status st = read_header(in, h, &pdu->endian, &known_order);
    if (st == RS_OK)
        st = check_framing(in, h, known_order, RS_PDU_MAX_FRAG_LENGTH);
    if (st == RS_OK)
        st = check_header(in, h, avail);
    if (st != RS_OK)
        return st;
    size_t frag_length = h->frag_length;
    if (read_fragment(in, pdu))
        return RS_OK;

    /* A view of this one PDU, so that offsets in messages and C706's alignment of sec_addr count
     * from its first byte; the body ends where the sec_trailer starts. */
    rs_buf view;
    rs_buf_view(&view, in->data + in->pos, frag_length);
    reader r = {.b = &view, .e = pdu->endian, .st = RS_OK};
    size_t body_end = frag_length;
    if (h->auth_length > 0) {
        body_end = frag_length - h->auth_length - RS_PDU_SEC_TRAILER_SIZE;
        decode_auth(&r, body_end, h->auth_length, &pdu->auth);
    }
    view.pos = RS_PDU_HEADER_SIZE;
    view.len = body_end;

    switch (h->ptype) {
    case RS_PTYPE_REQUEST:
        decode_request(&r, h->pfc_flags, &pdu->request);
        break;
    case RS_PTYPE_RESPONSE:
        decode_response(&r, &pdu->response);
        break;
    case RS_PTYPE_FAULT:
        decode_fault(&r, &pdu->fault);
        break;
    case RS_PTYPE_BIND:
    case RS_PTYPE_ALTER_CONTEXT:
        decode_bind(&r, &pdu->bind);
        break;
    case RS_PTYPE_BIND_ACK:
    case RS_PTYPE_ALTER_CONTEXT_RESP:
        decode_bind_ack(&r, &pdu->bind_ack);
        break;
    case RS_PTYPE_BIND_NAK:
        decode_bind_nak(&r, &pdu->bind_nak);
        break;
    case RS_PTYPE_AUTH3:
        skip(&r, AUTH3_PAD_SIZE); /* any value, ignored */
        break;
    default: /* shutdown, co_cancel, orphaned: the header is the whole body */
        break;
    }
    decode_tail(&r, pdu);

    if (r.st != RS_OK)
        return rs_buf_fail(in, r.st, "pdu: %s: %s", rs_pdu_type_name(h->ptype),
                           rs_buf_error(&view));
    if (r.over_limit)
        return rs_buf_fail(in, RS_ERR_LIMIT, "pdu: %s: %s", rs_pdu_type_name(h->ptype),
                           r.limit_error);
    in->pos += frag_length;
    return RS_OK;
}

/* ---- encoding -------------------------------------------------------------------------------- */

/* Validates *pdu and computes its frag_length, before a single byte is written. Every variable
 * part is checked against RS_PDU_MAX_FRAG_LENGTH before it is added, so the sum cannot wrap. */
static rs_status encoded_size(const rs_pdu *pdu, rs_buf *out, size_t *size)
{
    const char *name = rs_pdu_type_name(pdu->hdr.ptype);
    size_t n = RS_PDU_HEADER_SIZE;
    if (!rs_pdu_type_is_connection_oriented(pdu->hdr.ptype))
        return rs_buf_fail(out, RS_ERR_INVALID_ARG,
                           "pdu: cannot encode PTYPE %u (%s): not a connection-oriented PDU",
                           pdu->hdr.ptype, name);
    if (pdu->hdr.rpc_vers_minor > RS_PDU_VERSION_MINOR_MAX)
        return rs_buf_fail(out, RS_ERR_INVALID_ARG,
                           "pdu: rpc_vers_minor %u; only 5.0 and 5.1 exist",
                           pdu->hdr.rpc_vers_minor);
    if (carries_stub(pdu->hdr.ptype)) {
        if (pdu->stub == NULL && pdu->stub_len > 0)
            return rs_buf_fail(out, RS_ERR_INVALID_ARG, "pdu: %s: stub is NULL but stub_len is %zu",
                               name, pdu->stub_len);
        if (pdu->stub_len > RS_PDU_MAX_FRAG_LENGTH)
            return rs_buf_fail(
                out, RS_ERR_LIMIT,
                "pdu: %s: %zu bytes of stub data cannot fit one fragment (frag_length "
                "is 16 bits); use rs_pdu_fragmenter",
                name, pdu->stub_len);
    }

    switch (pdu->hdr.ptype) {
    case RS_PTYPE_REQUEST:
        n += RS_PDU_REQUEST_HEADER_SIZE - RS_PDU_HEADER_SIZE + pdu->stub_len;
        if (pdu->hdr.pfc_flags & RS_PFC_OBJECT_UUID)
            n += RS_PDU_OBJECT_SIZE;
        break;
    case RS_PTYPE_RESPONSE:
        n += RS_PDU_RESPONSE_HEADER_SIZE - RS_PDU_HEADER_SIZE + pdu->stub_len;
        break;
    case RS_PTYPE_FAULT:
        n += RS_PDU_FAULT_HEADER_SIZE - RS_PDU_HEADER_SIZE + pdu->stub_len;
        break;
    case RS_PTYPE_BIND:
    case RS_PTYPE_ALTER_CONTEXT: {
        const rs_pdu_bind *b = &pdu->bind;
        if (b->n_context_elem > RS_PDU_MAX_CONTEXTS)
            return rs_buf_fail(out, RS_ERR_INVALID_ARG,
                               "pdu: %s: n_context_elem %u exceeds RS_PDU_MAX_CONTEXTS (%d)", name,
                               b->n_context_elem, RS_PDU_MAX_CONTEXTS);
        n += 12; /* max_xmit_frag .. reserved2 */
        for (unsigned i = 0; i < b->n_context_elem; i++) {
            if (b->contexts[i].n_transfer_syn > RS_PDU_MAX_TRANSFER_SYNTAXES)
                return rs_buf_fail(out, RS_ERR_INVALID_ARG,
                                   "pdu: %s: context %u: n_transfer_syn %u exceeds "
                                   "RS_PDU_MAX_TRANSFER_SYNTAXES (%d)",
                                   name, i, b->contexts[i].n_transfer_syn,
                                   RS_PDU_MAX_TRANSFER_SYNTAXES);
            n += CONTEXT_MIN_SIZE + (size_t)b->contexts[i].n_transfer_syn * RS_SYNTAX_WIRE_SIZE;
        }
        break;
    }
    case RS_PTYPE_BIND_ACK:
    case RS_PTYPE_ALTER_CONTEXT_RESP: {
        const rs_pdu_bind_ack *b = &pdu->bind_ack;
        size_t sec_len = b->sec_addr != NULL ? strlen(b->sec_addr) + 1 : 0;
        if (sec_len > RS_PDU_MAX_FRAG_LENGTH)
            return rs_buf_fail(out, RS_ERR_LIMIT, "pdu: %s: a sec_addr of %zu bytes cannot fit",
                               name, sec_len);
        if (b->n_results > RS_PDU_MAX_RESULTS)
            return rs_buf_fail(out, RS_ERR_INVALID_ARG,
                               "pdu: %s: n_results %u exceeds RS_PDU_MAX_RESULTS (%d)", name,
                               b->n_results, RS_PDU_MAX_RESULTS);
        n += 10 + sec_len; /* max_xmit_frag .. sec_addr */
        n += pad4(n);
        n += 4 + (size_t)b->n_results * RESULT_SIZE;
        break;
    }
    case RS_PTYPE_BIND_NAK: {
        const rs_pdu_bind_nak *b = &pdu->bind_nak;
        if (b->n_protocols > RS_PDU_MAX_PROTOCOLS)
            return rs_buf_fail(out, RS_ERR_INVALID_ARG,
                               "pdu: bind_nak: n_protocols %u exceeds RS_PDU_MAX_PROTOCOLS (%d)",
                               b->n_protocols, RS_PDU_MAX_PROTOCOLS);
        if (b->extra == NULL && b->extra_len > 0)
            return rs_buf_fail(out, RS_ERR_INVALID_ARG,
                               "pdu: bind_nak: extra is NULL but extra_len is %zu", b->extra_len);
        if (b->extra_len > RS_PDU_MAX_FRAG_LENGTH)
            return rs_buf_fail(out, RS_ERR_LIMIT, "pdu: bind_nak: %zu extra bytes cannot fit",
                               b->extra_len);
        n += 3 + (size_t)b->n_protocols * VERSION_SIZE + b->extra_len;
        break;
    }
    case RS_PTYPE_AUTH3:
        n += AUTH3_PAD_SIZE;
        break;
    default: /* shutdown, co_cancel, orphaned */
        break;
    }

    const rs_pdu_auth *a = &pdu->auth;
    if (a->auth_value_length > 0) {
        if (!carries_auth(pdu->hdr.ptype))
            return rs_buf_fail(out, RS_ERR_INVALID_ARG, "pdu: %s has no auth verifier", name);
        if (a->auth_value == NULL)
            return rs_buf_fail(out, RS_ERR_INVALID_ARG, "pdu: %s: auth_value is NULL", name);
        n += a->auth_pad_length;
        if (n % 4 != 0)
            return rs_buf_fail(out, RS_ERR_INVALID_ARG,
                               "pdu: %s: the sec_trailer would start at offset %zu, not 4-byte "
                               "aligned; adjust auth_pad_length (%u)",
                               name, n, a->auth_pad_length);
        n += RS_PDU_SEC_TRAILER_SIZE + a->auth_value_length;
    } else if (pdu->hdr.ptype == RS_PTYPE_AUTH3) {
        return rs_buf_fail(out, RS_ERR_INVALID_ARG, "pdu: rpc_auth_3 needs an auth verifier");
    }
    if (n > RS_PDU_MAX_FRAG_LENGTH)
        return rs_buf_fail(out, RS_ERR_LIMIT,
                           "pdu: a %s of %zu bytes does not fit the 16-bit frag_length", name, n);
    *size = n;
    return RS_OK;
}

static void encode_bind(writer *w, const rs_pdu_bind *b)
{
    put_u16(w, b->max_xmit_frag);
    put_u16(w, b->max_recv_frag);
    put_u32(w, b->assoc_group_id);
    put_u8(w, b->n_context_elem);
    put_zeros(w, 3); /* reserved, reserved2 */
    for (unsigned i = 0; i < b->n_context_elem; i++) {
        const rs_pdu_context *c = &b->contexts[i];
        put_u16(w, c->p_cont_id);
        put_u8(w, c->n_transfer_syn);
        put_zeros(w, 1); /* reserved */
        put_syntax(w, &c->abstract_syntax);
        for (unsigned j = 0; j < c->n_transfer_syn; j++)
            put_syntax(w, &c->transfer_syntaxes[j]);
    }
}

static void encode_bind_ack(writer *w, size_t start, const rs_pdu_bind_ack *b)
{
    size_t sec_len = b->sec_addr != NULL ? strlen(b->sec_addr) + 1 : 0;
    put_u16(w, b->max_xmit_frag);
    put_u16(w, b->max_recv_frag);
    put_u32(w, b->assoc_group_id);
    put_u16(w, (uint16_t)sec_len);
    put_bytes(w, b->sec_addr, sec_len);
    put_zeros(w, pad4(w->b->len - start)); /* aligned from the PDU's first byte */
    put_u8(w, b->n_results);
    put_zeros(w, 3); /* reserved, reserved2 */
    for (unsigned i = 0; i < b->n_results; i++) {
        put_u16(w, b->results[i].result);
        put_u16(w, b->results[i].reason);
        put_syntax(w, &b->results[i].transfer_syntax);
    }
}

static void encode_bind_nak(writer *w, const rs_pdu_bind_nak *b)
{
    put_u16(w, b->provider_reject_reason);
    put_u8(w, b->n_protocols);
    for (unsigned i = 0; i < b->n_protocols; i++) {
        put_u8(w, b->protocols[i].major);
        put_u8(w, b->protocols[i].minor);
    }
    put_bytes(w, b->extra, b->extra_len);
}

/* rs_pdu_encode(), or without the stub data's bytes (`with_stub` false: frag_length still counts
 * them) for a fragmenter whose caller gathers the stub from where it is. */
static rs_status encode(const rs_pdu *pdu, rs_endian e, rs_buf *out, bool with_stub)
{
    size_t size = 0;
    rs_status st = encoded_size(pdu, out, &size);
    size_t skipped = with_stub || !carries_stub(pdu->hdr.ptype) ? 0 : pdu->stub_len;
    if (st == RS_OK)
        st = rs_buf_reserve(out, size - skipped);
    if (st != RS_OK)
        return st;

    size_t start = out->len;
    writer w = {.b = out, .e = e, .st = RS_OK};
    const rs_pdu_header *h = &pdu->hdr;
    put_u8(&w, RS_PDU_VERSION);
    put_u8(&w, h->rpc_vers_minor);
    put_u8(&w, h->ptype);
    put_u8(&w, h->pfc_flags);
    put_u8(&w,
           (e == RS_LE ? RS_DREP_INT_LITTLE_ENDIAN : RS_DREP_INT_BIG_ENDIAN) | RS_DREP_CHAR_ASCII);
    put_u8(&w, RS_DREP_FLOAT_IEEE);
    put_zeros(&w, 2); /* drep[2], drep[3]: reserved */
    put_u16(&w, (uint16_t)size);
    put_u16(&w, pdu->auth.auth_value_length);
    put_u32(&w, h->call_id);

    switch (h->ptype) {
    case RS_PTYPE_REQUEST:
        put_u32(&w, pdu->request.alloc_hint);
        put_u16(&w, pdu->request.p_cont_id);
        put_u16(&w, pdu->request.opnum);
        if (h->pfc_flags & RS_PFC_OBJECT_UUID)
            put_uuid(&w, &pdu->request.object);
        break;
    case RS_PTYPE_RESPONSE:
        put_u32(&w, pdu->response.alloc_hint);
        put_u16(&w, pdu->response.p_cont_id);
        put_u8(&w, pdu->response.cancel_count);
        put_zeros(&w, 1); /* reserved */
        break;
    case RS_PTYPE_FAULT:
        put_u32(&w, pdu->fault.alloc_hint);
        put_u16(&w, pdu->fault.p_cont_id);
        put_u8(&w, pdu->fault.cancel_count);
        put_u8(&w, pdu->fault.flags);
        put_u32(&w, pdu->fault.status);
        put_zeros(&w, 4); /* reserved */
        break;
    case RS_PTYPE_BIND:
    case RS_PTYPE_ALTER_CONTEXT:
        encode_bind(&w, &pdu->bind);
        break;
    case RS_PTYPE_BIND_ACK:
    case RS_PTYPE_ALTER_CONTEXT_RESP:
        encode_bind_ack(&w, start, &pdu->bind_ack);
        break;
    case RS_PTYPE_BIND_NAK:
        encode_bind_nak(&w, &pdu->bind_nak);
        break;
    case RS_PTYPE_AUTH3:
        put_zeros(&w, AUTH3_PAD_SIZE);
        break;
    default: /* shutdown, co_cancel, orphaned */
        break;
    }
    if (carries_stub(h->ptype) && with_stub)
        put_bytes(&w, pdu->stub, pdu->stub_len);

    const rs_pdu_auth *a = &pdu->auth;
    if (a->auth_value_length > 0) {
        put_zeros(&w, a->auth_pad_length);
        put_u8(&w, a->auth_type);
        put_u8(&w, a->auth_level);
        put_u8(&w, a->auth_pad_length);
        put_u8(&w, a->auth_reserved);
        put_u32(&w, a->auth_context_id);
        put_bytes(&w, a->auth_value, a->auth_value_length);
    }

    if (w.st == RS_OK && out->len - start + skipped != size)
        w.st =
            rs_buf_fail(out, RS_ERR_INVALID_ARG,
                        "pdu: internal error: %zu bytes written for a computed frag_length of %zu",
                        out->len - start + skipped, size);
    if (w.st != RS_OK)
        out->len = start; /* a failure appends nothing */
    return w.st;
}

rs_status rs_pdu_encode(const rs_pdu *pdu, rs_endian e, rs_buf *out)
{
    return encode(pdu, e, out, true);
}

rs_status rs_pdu_encode_head(const rs_pdu *pdu, rs_endian e, rs_buf *out)
{
    return encode(pdu, e, out, false);
}

/* ---- names ----------------------------------------------------------------------------------- */

const char *rs_pdu_type_name(uint8_t ptype)
{
    switch (ptype) {
#define XX(name, value, text)                                                                      \
    case value:                                                                                    \
        return text;
        RS_PTYPE_TABLE(XX)
#undef XX
    }
    return "unknown";
}

static const char *const flag_names[8] = {
    "PFC_FIRST_FRAG", "PFC_LAST_FRAG",       "PFC_PENDING_CANCEL", "PFC_RESERVED_1",
    "PFC_CONC_MPX",   "PFC_DID_NOT_EXECUTE", "PFC_MAYBE",          "PFC_OBJECT_UUID",
};

const char *rs_pdu_flag_name(uint8_t ptype, uint8_t flag)
{
    if (flag == 0 || (flag & (flag - 1)) != 0)
        return NULL;
    if (flag == RS_PFC_SUPPORT_HEADER_SIGN &&
        (ptype == RS_PTYPE_BIND || ptype == RS_PTYPE_BIND_ACK || ptype == RS_PTYPE_ALTER_CONTEXT ||
         ptype == RS_PTYPE_ALTER_CONTEXT_RESP || ptype == RS_PTYPE_AUTH3))
        return "PFC_SUPPORT_HEADER_SIGN";
    unsigned bit = 0;
    while ((flag >> bit) != 1)
        bit++;
    return flag_names[bit];
}

/* Appends `text` to out[size] at *len, truncating, always leaving out NUL-terminated. */
static void append(char *out, size_t size, size_t *len, const char *text)
{
    size_t n = strlen(text);
    if (*len + 1 < size) {
        size_t room = size - 1 - *len;
        memcpy(out + *len, text, n < room ? n : room);
    }
    *len += n;
    if (size > 0)
        out[*len < size ? *len : size - 1] = '\0';
}

size_t rs_pdu_flags_format(uint8_t ptype, uint8_t flags, char *out, size_t size)
{
    size_t len = 0;
    if (size > 0)
        out[0] = '\0';
    if (flags == 0) {
        append(out, size, &len, "0");
        return len;
    }
    for (unsigned bit = 0; bit < 8; bit++) {
        uint8_t flag = (uint8_t)(1u << bit);
        if (!(flags & flag))
            continue;
        if (len > 0)
            append(out, size, &len, "|");
        append(out, size, &len, rs_pdu_flag_name(ptype, flag));
    }
    return len;
}

size_t rs_pdu_drep_format(const uint8_t drep[4], char *out, size_t size)
{
    static const char *const floats[] = {"IEEE", "VAX", "Cray", "IBM"};
    unsigned ints = drep[0] >> 4, chars = drep[0] & 0x0F;
    const char *i = ints == 1 ? "little-endian" : ints == 0 ? "big-endian" : "?";
    const char *c = chars == 0 ? "ASCII" : chars == 1 ? "EBCDIC" : "?";
    const char *f = drep[1] < 4 ? floats[drep[1]] : "?";
    int n = snprintf(out, size, "%s, %s, %s", i, c, f);
    return n < 0 ? 0 : (size_t)n;
}

const char *rs_pdu_result_name(uint16_t result)
{
    switch (result) {
#define XX(name, value, text)                                                                      \
    case value:                                                                                    \
        return text;
        RS_CONT_RESULT_TABLE(XX)
#undef XX
    }
    return "unknown";
}

const char *rs_pdu_provider_reason_name(uint16_t reason)
{
    switch (reason) {
#define XX(name, value, text)                                                                      \
    case value:                                                                                    \
        return text;
        RS_PROVIDER_REASON_TABLE(XX)
#undef XX
    }
    return "unknown";
}

const char *rs_pdu_reject_reason_name(uint16_t reason)
{
    switch (reason) {
#define XX(name, value, text)                                                                      \
    case value:                                                                                    \
        return text;
        RS_REJECT_REASON_TABLE(XX)
#undef XX
    }
    return "unknown";
}
