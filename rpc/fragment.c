/* fragment.c -- a call's stub data cut into fragments of the negotiated size, and the fragments
 * of a call put back together (pdu.h draws both). */
#include "pdu.h"

#include <stdint.h>
#include <string.h>

/* ---- fragmentation --------------------------------------------------------------------------- */

void rs_pdu_fragmenter_init(rs_pdu_fragmenter *f, const rs_pdu *pdu, rs_endian e, uint16_t max_frag)
{
    /* Field by field, not memset and copy: the template is 3 KiB (a bind's context arrays), and
     * this runs for every call. */
    f->offset = 0;
    f->fragments = 0;
    f->done = false;
    rs_pdu_copy(&f->pdu, pdu);
    f->endian = e;
    f->max_frag = max_frag;
    f->stub = pdu->stub;
    f->stub_len = pdu->stub_len;
}

static rs_status next_fragment(rs_pdu_fragmenter *f, rs_buf *out, bool with_stub);

rs_status rs_pdu_fragmenter_next(rs_pdu_fragmenter *f, rs_buf *out)
{
    return next_fragment(f, out, true);
}

rs_status rs_pdu_fragmenter_next_header(rs_pdu_fragmenter *f, rs_buf *out, const uint8_t **stub,
                                        size_t *stub_len)
{
    *stub = NULL;
    *stub_len = 0;
    rs_status st = next_fragment(f, out, false);
    if (st == RS_OK) {
        *stub = f->pdu.stub;
        *stub_len = f->pdu.stub_len;
    }
    return st;
}

/* The 24 bytes before a request's or a response's stub data, written at once: what
 * rs_pdu_encode() writes for them, for the fragmenter, which has checked everything it would
 * (the PTYPE, no auth verifier, no object UUID, the sizes).
 *
 *      0  rpc_vers 5      rpc_vers_minor  PTYPE           pfc_flags
 *      4  drep[0..3]: integer order | ASCII, IEEE, 0, 0
 *      8  frag_length (u16)               auth_length 0 (u16)
 *     12  call_id (u32)
 *     16  alloc_hint (u32)
 *     20  p_cont_id (u16)                 request:  opnum (u16)
 *                                         response: cancel_count (u8), reserved 0 (u8)
 */
static rs_status put_fragment_header(const rs_pdu *t, rs_endian e, uint16_t frag_length,
                                     rs_buf *out)
{
    uint8_t *p;
    rs_status st = rs_buf_extend(out, RS_PDU_REQUEST_HEADER_SIZE, &p);
    if (st != RS_OK)
        return st;
    p[0] = RS_PDU_VERSION;
    p[1] = t->hdr.rpc_vers_minor;
    p[2] = t->hdr.ptype;
    p[3] = t->hdr.pfc_flags;
    p[4] = (e == RS_LE ? RS_DREP_INT_LITTLE_ENDIAN : RS_DREP_INT_BIG_ENDIAN) | RS_DREP_CHAR_ASCII;
    p[5] = RS_DREP_FLOAT_IEEE;
    p[6] = p[7] = 0;
    rs_store_u16(p + 8, e, frag_length);
    rs_store_u16(p + 10, e, 0);
    rs_store_u32(p + 12, e, t->hdr.call_id);
    if (t->hdr.ptype == RS_PTYPE_REQUEST) {
        rs_store_u32(p + 16, e, t->request.alloc_hint);
        rs_store_u16(p + 20, e, t->request.p_cont_id);
        rs_store_u16(p + 22, e, t->request.opnum);
    } else {
        rs_store_u32(p + 16, e, t->response.alloc_hint);
        rs_store_u16(p + 20, e, t->response.p_cont_id);
        p[22] = t->response.cancel_count;
        p[23] = 0;
    }
    return RS_OK;
}

static rs_status next_fragment(rs_pdu_fragmenter *f, rs_buf *out, bool with_stub)
{
    rs_pdu *t = &f->pdu;
    size_t overhead;
    if (f->done)
        return rs_buf_fail(out, RS_ERR_INVALID_ARG,
                           "pdu: fragmenter: all %zu fragments were already produced",
                           f->fragments);
    if (t->hdr.ptype == RS_PTYPE_REQUEST)
        overhead = RS_PDU_REQUEST_HEADER_SIZE +
                   (t->hdr.pfc_flags & RS_PFC_OBJECT_UUID ? RS_PDU_OBJECT_SIZE : 0);
    else if (t->hdr.ptype == RS_PTYPE_RESPONSE)
        overhead = RS_PDU_RESPONSE_HEADER_SIZE;
    else
        return rs_buf_fail(out, RS_ERR_INVALID_ARG,
                           "pdu: fragmenter: only requests and responses are fragmented, not %s",
                           rs_pdu_type_name(t->hdr.ptype));
    if (t->auth.auth_value_length > 0)
        return rs_buf_fail(out, RS_ERR_INVALID_ARG,
                           "pdu: fragmenter: fragments with an auth verifier are not supported");
    if (f->stub == NULL && f->stub_len > 0)
        return rs_buf_fail(out, RS_ERR_INVALID_ARG,
                           "pdu: fragmenter: stub is NULL but stub_len is %zu", f->stub_len);
    if (f->stub_len > UINT32_MAX)
        return rs_buf_fail(
            out, RS_ERR_INVALID_ARG,
            "pdu: fragmenter: %zu bytes of stub data do not fit the 32-bit alloc_hint",
            f->stub_len);
    if (f->max_frag < overhead + RS_PDU_FRAG_STUB_ALIGN)
        return rs_buf_fail(out, RS_ERR_INVALID_ARG,
                           "pdu: fragmenter: max_frag %u leaves no room for 8 bytes of stub data "
                           "after the %zu bytes of %s header",
                           f->max_frag, overhead, rs_pdu_type_name(t->hdr.ptype));

    size_t per_fragment =
        (f->max_frag - overhead) / RS_PDU_FRAG_STUB_ALIGN * RS_PDU_FRAG_STUB_ALIGN;
    size_t left = f->stub_len - f->offset;
    size_t chunk = left < per_fragment ? left : per_fragment;
    bool first = f->offset == 0, last = chunk == left;
    t->hdr.pfc_flags &= (uint8_t) ~(RS_PFC_FIRST_FRAG | RS_PFC_LAST_FRAG);
    t->hdr.pfc_flags |= (first ? RS_PFC_FIRST_FRAG : 0) | (last ? RS_PFC_LAST_FRAG : 0);
    if (t->hdr.ptype == RS_PTYPE_REQUEST)
        t->request.alloc_hint = (uint32_t)left;
    else
        t->response.alloc_hint = (uint32_t)left;
    t->stub = f->stub_len > 0 ? f->stub + f->offset : f->stub; /* never NULL + 0 */
    t->stub_len = chunk;

    rs_status st;
    if (t->hdr.pfc_flags & RS_PFC_OBJECT_UUID) {
        st = with_stub ? rs_pdu_encode(t, f->endian, out)
                       : rs_pdu_encode_head(t, f->endian, out);
    } else {
        size_t start = out->len;
        st = put_fragment_header(t, f->endian, (uint16_t)(overhead + chunk), out);
        if (st == RS_OK && with_stub && chunk > 0)
            st = rs_buf_put_bytes(out, t->stub, chunk);
        if (st != RS_OK && !out->readonly)
            out->len = start; /* a failure appends nothing, as rs_pdu_encode()'s */
    }
    if (st != RS_OK)
        return st;
    f->offset += chunk;
    f->fragments++;
    f->done = last;
    return RS_OK;
}

/* ---- reassembly ------------------------------------------------------------------------------ */

void rs_pdu_reassembler_init(rs_pdu_reassembler *r, size_t max_stub)
{
    memset(r, 0, sizeof *r);
    rs_buf_init(&r->stub, max_stub);
}

static uint32_t alloc_hint_of(const rs_pdu *p)
{
    return p->hdr.ptype == RS_PTYPE_REQUEST ? p->request.alloc_hint : p->response.alloc_hint;
}

static uint16_t p_cont_id_of(const rs_pdu *p)
{
    return p->hdr.ptype == RS_PTYPE_REQUEST ? p->request.p_cont_id : p->response.p_cont_id;
}

/* A later fragment against the first: RS_OK, or the first difference found. */
static rs_status check_same_call(rs_pdu_reassembler *r, const rs_pdu *frag)
{
    const rs_pdu *first = &r->result;
    uint32_t call = first->hdr.call_id;
    size_t k = r->fragments + 1; /* 1-based number of this fragment, for people */
    if (frag->hdr.call_id != call)
        return rs_buf_fail(&r->stub, RS_ERR_REASSEMBLY,
                           "pdu: fragment %zu has call_id %u in the middle of call %u", k,
                           frag->hdr.call_id, call);
    if (frag->hdr.ptype != first->hdr.ptype)
        return rs_buf_fail(&r->stub, RS_ERR_REASSEMBLY,
                           "pdu: call %u: fragment %zu is a %s, the first was a %s", call, k,
                           rs_pdu_type_name(frag->hdr.ptype), rs_pdu_type_name(first->hdr.ptype));
    if (frag->hdr.pfc_flags & RS_PFC_FIRST_FRAG)
        return rs_buf_fail(&r->stub, RS_ERR_REASSEMBLY,
                           "pdu: call %u: fragment %zu has PFC_FIRST_FRAG again", call, k);
    if (memcmp(frag->hdr.drep, first->hdr.drep, sizeof frag->hdr.drep) != 0)
        return rs_buf_fail(&r->stub, RS_ERR_REASSEMBLY,
                           "pdu: call %u: fragment %zu changes the data representation (drep)",
                           call, k);
    if (p_cont_id_of(frag) != p_cont_id_of(first))
        return rs_buf_fail(&r->stub, RS_ERR_REASSEMBLY,
                           "pdu: call %u: fragment %zu has p_cont_id %u, the first had %u", call, k,
                           p_cont_id_of(frag), p_cont_id_of(first));
    if (frag->hdr.ptype != RS_PTYPE_REQUEST)
        return RS_OK;
    if (frag->request.opnum != first->request.opnum)
        return rs_buf_fail(&r->stub, RS_ERR_REASSEMBLY,
                           "pdu: call %u: fragment %zu has opnum %u, the first had %u", call, k,
                           frag->request.opnum, first->request.opnum);
    bool has_object = frag->hdr.pfc_flags & RS_PFC_OBJECT_UUID;
    bool had_object = first->hdr.pfc_flags & RS_PFC_OBJECT_UUID;
    if (has_object != had_object ||
        (has_object && rs_uuid_compare(&frag->request.object, &first->request.object) != 0))
        return rs_buf_fail(&r->stub, RS_ERR_REASSEMBLY,
                           "pdu: call %u: fragment %zu names a different object UUID", call, k);
    return RS_OK;
}

/* Everything rs_pdu_reassembler_add() checks before it takes a fragment's stub data: RS_OK,
 * or the failure (sticky, on r->stub). The first fragment's header and body become the result. */
static rs_status accept_fragment(rs_pdu_reassembler *r, const rs_pdu *frag)
{
    if (r->stub.status != RS_OK)
        return r->stub.status; /* sticky until reset */
    if (r->complete)
        return rs_buf_fail(&r->stub, RS_ERR_REASSEMBLY,
                           "pdu: call %u is already complete; reset the reassembler for the next",
                           r->result.hdr.call_id);
    if (frag->hdr.ptype != RS_PTYPE_REQUEST && frag->hdr.ptype != RS_PTYPE_RESPONSE)
        return rs_buf_fail(&r->stub, RS_ERR_REASSEMBLY,
                           "pdu: call %u: a %s is not a fragment of a request or response",
                           frag->hdr.call_id, rs_pdu_type_name(frag->hdr.ptype));
    if (r->fragments == 0) {
        if (!(frag->hdr.pfc_flags & RS_PFC_FIRST_FRAG))
            return rs_buf_fail(&r->stub, RS_ERR_REASSEMBLY,
                               "pdu: call %u: the first fragment has no PFC_FIRST_FRAG",
                               frag->hdr.call_id);
        rs_pdu_copy(&r->result, frag);
        r->result.stub = NULL;
        r->result.stub_len = 0;
        memset(&r->result.auth, 0, sizeof r->result.auth);
        r->result.hdr.auth_length = 0;
    } else {
        rs_status st = check_same_call(r, frag);
        if (st != RS_OK)
            return st;
    }
    bool last = frag->hdr.pfc_flags & RS_PFC_LAST_FRAG;
    if (!last && frag->stub_len == 0)
        return rs_buf_fail(&r->stub, RS_ERR_REASSEMBLY,
                           "pdu: call %u: fragment %zu carries no stub data and is not the last",
                           r->result.hdr.call_id, r->fragments + 1);
    size_t so_far = r->in_place ? r->joined_len : r->stub.len;
    if (frag->stub_len > r->stub.limit - so_far)
        return rs_buf_fail(&r->stub, RS_ERR_LIMIT,
                           "pdu: call %u: %zu more stub bytes after %zu exceed the %zu-byte "
                           "reassembly limit",
                           r->result.hdr.call_id, frag->stub_len, so_far, r->stub.limit);
    return RS_OK;
}

/* The fragment just taken was the last: the result's stub data is complete. */
static void complete_call(rs_pdu_reassembler *r, const rs_pdu *frag, bool *complete)
{
    r->fragments++;
    if (!(frag->hdr.pfc_flags & RS_PFC_LAST_FRAG))
        return;
    r->complete = true;
    r->result.hdr.pfc_flags |= RS_PFC_FIRST_FRAG | RS_PFC_LAST_FRAG;
    r->result.stub = r->in_place ? r->joined : r->stub.data;
    r->result.stub_len = r->in_place ? r->joined_len : r->stub.len;
    *complete = true;
}

/* Reserves what the first fragment's alloc_hint announces: the peer's word, trusted for
 * pre-sizing only up to the limit. */
static rs_status reserve_hint(rs_pdu_reassembler *r, const rs_pdu *first)
{
    size_t hint = alloc_hint_of(first);
    return rs_buf_reserve(&r->stub, hint < r->stub.limit ? hint : r->stub.limit);
}

/* Takes an accepted fragment by copying its stub data after what the reassembler holds (what
 * was joined in place first, if anything). */
static rs_status copy_fragment(rs_pdu_reassembler *r, const rs_pdu *frag, bool *complete)
{
    rs_status st = r->in_place ? rs_pdu_reassembler_settle(r)
                   : r->fragments == 0 ? reserve_hint(r, frag)
                                       : RS_OK;
    if (st == RS_OK && frag->stub_len > 0) /* an empty call never allocates, nor sees NULL + 0 */
        st = rs_buf_put_bytes(&r->stub, frag->stub, frag->stub_len);
    if (st == RS_OK)
        complete_call(r, frag, complete);
    return st;
}

rs_status rs_pdu_reassembler_add(rs_pdu_reassembler *r, const rs_pdu *frag, bool *complete)
{
    *complete = false;
    rs_status st = accept_fragment(r, frag);
    return st == RS_OK ? copy_fragment(r, frag, complete) : st;
}

rs_status rs_pdu_reassembler_add_in_place(rs_pdu_reassembler *r, const rs_pdu *frag,
                                          uint8_t *stub, bool *complete)
{
    *complete = false;
    rs_status st = accept_fragment(r, frag);
    if (st != RS_OK)
        return st;
    if (r->fragments == 0) {
        r->in_place = true;
        r->joined = stub;
        r->joined_len = frag->stub_len;
    } else if (r->in_place && r->joined != NULL &&
               (uintptr_t)stub >= (uintptr_t)r->joined + r->joined_len) {
        /* Moved down onto what lies between (the fragment's own header, at least). */
        if (frag->stub_len > 0)
            memmove(r->joined + r->joined_len, stub, frag->stub_len);
        r->joined_len += frag->stub_len;
    } else { /* not after the stub data so far: copied from here on */
        return copy_fragment(r, frag, complete);
    }
    complete_call(r, frag, complete);
    return RS_OK;
}

rs_status rs_pdu_reassembler_settle(rs_pdu_reassembler *r)
{
    if (!r->in_place)
        return RS_OK;
    r->in_place = false;
    if (r->stub.status != RS_OK)
        return r->stub.status;
    rs_status st = reserve_hint(r, &r->result); /* pre-sized as a copy from the start would be */
    if (st == RS_OK && r->joined_len > 0)
        st = rs_buf_put_bytes(&r->stub, r->joined, r->joined_len);
    if (st == RS_OK && r->complete)
        r->result.stub = r->stub.data;
    return st;
}

const rs_pdu *rs_pdu_reassembler_result(const rs_pdu_reassembler *r)
{
    return r->complete ? &r->result : NULL;
}

void rs_pdu_reassembler_reset(rs_pdu_reassembler *r)
{
    /* `result` is not cleared: it is read only once complete, and the first fragment of the next
     * call overwrites it whole. (It is 3 KiB, and this runs for every call.) */
    rs_buf_reset(&r->stub);
    r->fragments = 0;
    r->complete = false;
    r->in_place = false;
    r->joined = NULL;
    r->joined_len = 0;
}

void rs_pdu_reassembler_free(rs_pdu_reassembler *r)
{
    rs_buf_free(&r->stub);
    rs_pdu_reassembler_reset(r);
}
