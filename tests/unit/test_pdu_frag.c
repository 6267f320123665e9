/* test_pdu_frag.c -- splitting a call's stub data into fragments by max_xmit_frag, and putting the
 * fragments of one call back together, with the reassembler's rules and limits. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "pdu.h"

/* ---- helpers --------------------------------------------------------------------------------- */

static uint8_t *pattern(size_t n)
{
    uint8_t *p = malloc(n > 0 ? n : 1);
    assert_non_null(p);
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)(i * 7 + i / 251 + 3);
    return p;
}

enum template_kind { T_REQUEST, T_REQUEST_OBJECT, T_RESPONSE, T_KINDS };

/* The header and body every fragment repeats. */
static void make_template(enum template_kind kind, rs_pdu *p, const uint8_t *stub, size_t len)
{
    if (kind == T_RESPONSE) {
        rs_pdu_init(p, RS_PTYPE_RESPONSE, 77);
        p->response.p_cont_id = 2;
        p->response.cancel_count = 0;
    } else {
        rs_pdu_init(p, RS_PTYPE_REQUEST, 77);
        p->request.p_cont_id = 1;
        p->request.opnum = 5;
        if (kind == T_REQUEST_OBJECT) {
            p->hdr.pfc_flags |= RS_PFC_OBJECT_UUID;
            const char *object = "00112233-4455-6677-8899-aabbccddeeff";
            assert_int_equal(rs_uuid_parse(object, &p->request.object), RS_OK);
        }
    }
    p->hdr.pfc_flags |= RS_PFC_CONC_MPX; /* a flag that is not about fragments stays on each */
    p->stub = stub;
    p->stub_len = len;
}

static size_t overhead_of(enum template_kind kind)
{
    return kind == T_REQUEST_OBJECT ? 40 : 24;
}

static uint32_t alloc_hint_of(const rs_pdu *p)
{
    return p->hdr.ptype == RS_PTYPE_REQUEST ? p->request.alloc_hint : p->response.alloc_hint;
}

/* A fragment made by hand, for the reassembler's rules. */
static void make_fragment(rs_pdu *p, uint8_t ptype, uint32_t call_id, uint8_t frag_flags,
                          const uint8_t *stub, size_t len)
{
    rs_pdu_init(p, ptype, call_id);
    p->hdr.pfc_flags = frag_flags;
    if (ptype == RS_PTYPE_REQUEST) {
        p->request.opnum = 4;
        p->request.alloc_hint = (uint32_t)len;
    } else if (ptype == RS_PTYPE_RESPONSE) {
        p->response.alloc_hint = (uint32_t)len;
    }
    p->stub = stub;
    p->stub_len = len;
}

/* ---- fragment, then reassemble --------------------------------------------------------------- */

/* Splits, checks every fragment on the wire, feeds each to a reassembler, and compares. */
static void round_trip(enum template_kind kind, size_t len, uint16_t max_frag, rs_endian e)
{
    uint8_t *stub = pattern(len);
    rs_pdu t;
    make_template(kind, &t, stub, len);
    size_t per = (max_frag - overhead_of(kind)) / 8 * 8;
    size_t expected = len == 0 ? 1 : (len + per - 1) / per;

    rs_pdu_fragmenter f;
    rs_pdu_fragmenter_init(&f, &t, e, max_frag);
    rs_pdu_reassembler r;
    rs_pdu_reassembler_init(&r, RS_PDU_DEFAULT_MAX_STUB);
    rs_buf out;
    rs_buf_init(&out, RS_BUF_NO_LIMIT);
    size_t sent = 0, count = 0;
    bool complete = false;
    while (!rs_pdu_fragmenter_done(&f)) {
        rs_buf_reset(&out);
        rs_status st = rs_pdu_fragmenter_next(&f, &out);
        if (st != RS_OK)
            fail_msg("%s", rs_buf_error(&out));
        assert_true(out.len <= max_frag);

        rs_buf in;
        rs_buf_view(&in, out.data, out.len);
        rs_pdu frag;
        assert_int_equal(rs_pdu_decode(&in, &frag), RS_OK);
        bool first = count == 0, last = count == expected - 1;
        assert_int_equal(frag.endian, e);
        assert_int_equal(frag.hdr.ptype, t.hdr.ptype);
        assert_int_equal(frag.hdr.call_id, 77);
        assert_int_equal(frag.hdr.pfc_flags,
                         (t.hdr.pfc_flags & ~(RS_PFC_FIRST_FRAG | RS_PFC_LAST_FRAG)) |
                             (first ? RS_PFC_FIRST_FRAG : 0) | (last ? RS_PFC_LAST_FRAG : 0));
        assert_int_equal(alloc_hint_of(&frag), len - sent); /* what remains, this one included */
        if (!last) {
            assert_int_equal(frag.stub_len, per);
            assert_int_equal(frag.stub_len % RS_PDU_FRAG_STUB_ALIGN, 0);
        } else {
            assert_int_equal(frag.stub_len, len - sent);
        }
        if (kind == T_REQUEST_OBJECT)
            assert_int_equal(rs_uuid_compare(&frag.request.object, &t.request.object), 0);

        assert_false(complete);
        st = rs_pdu_reassembler_add(&r, &frag, &complete);
        if (st != RS_OK)
            fail_msg("%s", rs_pdu_reassembler_error(&r));
        assert_int_equal(complete, last);
        assert_int_equal(f.fragments, count + 1);
        sent += frag.stub_len;
        count++;
    }
    assert_int_equal(count, expected);
    assert_true(complete);

    const rs_pdu *call = rs_pdu_reassembler_result(&r);
    assert_non_null(call);
    assert_int_equal(call->hdr.ptype, t.hdr.ptype);
    assert_int_equal(call->hdr.call_id, 77);
    assert_int_equal(call->hdr.pfc_flags & (RS_PFC_FIRST_FRAG | RS_PFC_LAST_FRAG),
                     RS_PFC_FIRST_FRAG | RS_PFC_LAST_FRAG);
    if (kind == T_RESPONSE) {
        assert_int_equal(call->response.p_cont_id, 2);
    } else {
        assert_int_equal(call->request.p_cont_id, 1);
        assert_int_equal(call->request.opnum, 5);
    }
    assert_int_equal(call->stub_len, len);
    if (len > 0)
        assert_memory_equal(call->stub, stub, len);
    assert_int_equal(r.fragments, expected);

    /* once done, the fragmenter refuses to go on */
    rs_buf_reset(&out);
    assert_int_equal(rs_pdu_fragmenter_next(&f, &out), RS_ERR_INVALID_ARG);
    assert_int_equal(out.len, 0);

    rs_buf_free(&out);
    rs_pdu_reassembler_free(&r);
    free(stub);
}

static void test_round_trips_over_sizes_and_fragment_limits(void **state)
{
    (void)state;
    static const uint16_t max_frags[] = {48, 49, 100, 1432, 4280, 5840, 65535};
    for (size_t m = 0; m < sizeof max_frags / sizeof max_frags[0]; m++) {
        for (int kind = 0; kind < T_KINDS; kind++) {
            size_t per = (max_frags[m] - overhead_of((enum template_kind)kind)) / 8 * 8;
            const size_t sizes[] = {0,       1,   7,       8,           per - 1,
                                    per,     per + 1, 2 * per, 3 * per - 1, 100 * 1024};
            for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
                round_trip((enum template_kind)kind, sizes[s], max_frags[m], RS_LE);
                round_trip((enum template_kind)kind, sizes[s], max_frags[m], RS_BE);
            }
        }
    }
}

/* The smallest fragments a lesson can ask for: 8 bytes of stub data each. */
/* rs_pdu_fragmenter_next_header() gives each fragment's header and body, and points at its
 * stub slice: the two together are byte for byte what rs_pdu_fragmenter_next() appends, in both
 * byte orders, for every template, and the stub slice is the template's own memory (no copy). */
static void test_header_and_stub_slice_equal_the_whole_fragment(void **state)
{
    (void)state;
    const size_t len = 10000;
    uint8_t *stub = pattern(len);
    for (int kind = 0; kind < T_KINDS; kind++) {
        for (int e = RS_LE; e <= RS_BE; e++) {
            rs_pdu t;
            make_template((enum template_kind)kind, &t, stub, len);
            rs_pdu_fragmenter whole, parts;
            rs_pdu_fragmenter_init(&whole, &t, (rs_endian)e, 1000);
            rs_pdu_fragmenter_init(&parts, &t, (rs_endian)e, 1000);
            rs_buf a, b;
            rs_buf_init(&a, 65536);
            rs_buf_init(&b, 65536);
            size_t covered = 0;
            while (!rs_pdu_fragmenter_done(&whole)) {
                assert_false(rs_pdu_fragmenter_done(&parts));
                rs_buf_reset(&a);
                rs_buf_reset(&b);
                assert_int_equal(rs_pdu_fragmenter_next(&whole, &a), RS_OK);
                const uint8_t *slice = NULL;
                size_t slice_len = 0;
                assert_int_equal(rs_pdu_fragmenter_next_header(&parts, &b, &slice, &slice_len),
                                 RS_OK);
                assert_int_equal(b.len, overhead_of((enum template_kind)kind));
                assert_int_equal(b.len + slice_len, a.len);
                assert_memory_equal(a.data, b.data, b.len);
                assert_ptr_equal(slice, stub + covered); /* borrowed, not copied */
                assert_memory_equal(a.data + b.len, slice, slice_len);
                covered += slice_len;
            }
            assert_true(rs_pdu_fragmenter_done(&parts));
            assert_int_equal(covered, len);
            rs_buf_free(&a);
            rs_buf_free(&b);
        }
    }
    free(stub);
}

/* Each fragment is byte for byte what rs_pdu_encode() makes of the same PDU: the fragmenter
 * writes a request's and a response's header itself (put_fragment_header()), and must not drift
 * from encode(). Both byte orders, first, middle and last fragments, a cancel count. */
static void test_fragments_equal_encoded_pdus(void **state)
{
    (void)state;
    const size_t len = 2500;
    uint8_t *stub = pattern(len);
    for (int kind = 0; kind < T_KINDS; kind++) {
        for (int e = RS_LE; e <= RS_BE; e++) {
            rs_pdu t;
            make_template((enum template_kind)kind, &t, stub, len);
            t.hdr.rpc_vers_minor = 1;
            if (kind == T_RESPONSE)
                t.response.cancel_count = 3;
            rs_pdu_fragmenter f;
            rs_pdu_fragmenter_init(&f, &t, (rs_endian)e, 1000);
            rs_buf a, b;
            rs_buf_init(&a, 65536);
            rs_buf_init(&b, 65536);
            size_t offset = 0;
            while (!rs_pdu_fragmenter_done(&f)) {
                rs_buf_reset(&a);
                rs_buf_reset(&b);
                assert_int_equal(rs_pdu_fragmenter_next(&f, &a), RS_OK);
                size_t chunk = a.len - overhead_of((enum template_kind)kind);
                rs_pdu same = t;
                same.hdr.pfc_flags &= (uint8_t) ~(RS_PFC_FIRST_FRAG | RS_PFC_LAST_FRAG);
                same.hdr.pfc_flags |= (offset == 0 ? RS_PFC_FIRST_FRAG : 0) |
                                      (offset + chunk == len ? RS_PFC_LAST_FRAG : 0);
                if (kind == T_RESPONSE)
                    same.response.alloc_hint = (uint32_t)(len - offset);
                else
                    same.request.alloc_hint = (uint32_t)(len - offset);
                same.stub = stub + offset;
                same.stub_len = chunk;
                assert_int_equal(rs_pdu_encode(&same, (rs_endian)e, &b), RS_OK);
                assert_int_equal(a.len, b.len);
                assert_memory_equal(a.data, b.data, a.len);
                offset += chunk;
            }
            assert_int_equal(offset, len);
            rs_buf_free(&a);
            rs_buf_free(&b);
        }
    }
    free(stub);
}

static void test_smallest_fragments(void **state)
{
    (void)state;
    round_trip(T_REQUEST, 100, 32, RS_LE);
    round_trip(T_RESPONSE, 100, 32, RS_BE);
    round_trip(T_REQUEST, 1000, 39, RS_LE); /* 39 - 24 = 15, rounded down to 8 */
    round_trip(T_REQUEST_OBJECT, 17, 48, RS_LE);
}

/* With 4280 (what Samba offers): 4256 stub bytes make exactly one full fragment, one more makes
 * two. With the default 65535, which leaves 65511 bytes after the header, a full fragment
 * carries 65504 (a multiple of 8) and is 65528 bytes long. */
static void test_exactly_one_fragment_and_one_byte_over(void **state)
{
    (void)state;
    uint8_t *stub = pattern(4257);
    rs_pdu t;
    rs_buf out;
    rs_buf_init(&out, RS_BUF_NO_LIMIT);
    rs_pdu_fragmenter f;

    make_template(T_REQUEST, &t, stub, 4256);
    rs_pdu_fragmenter_init(&f, &t, RS_LE, 4280);
    assert_int_equal(rs_pdu_fragmenter_next(&f, &out), RS_OK);
    assert_int_equal(out.len, 4280);
    assert_int_equal(out.data[3] & 0x03, 0x03); /* FIRST_FRAG | LAST_FRAG */
    assert_true(rs_pdu_fragmenter_done(&f));

    make_template(T_REQUEST, &t, stub, 4257);
    rs_pdu_fragmenter_init(&f, &t, RS_LE, 4280);
    rs_buf_reset(&out);
    assert_int_equal(rs_pdu_fragmenter_next(&f, &out), RS_OK);
    assert_int_equal(out.len, 4280);
    assert_int_equal(out.data[3] & 0x03, RS_PFC_FIRST_FRAG);
    assert_int_equal(rs_load_u32(out.data + 16, RS_LE), 4257); /* alloc_hint: all of it */
    assert_false(rs_pdu_fragmenter_done(&f));
    rs_buf_reset(&out);
    assert_int_equal(rs_pdu_fragmenter_next(&f, &out), RS_OK);
    assert_int_equal(out.len, 25);
    assert_int_equal(out.data[3] & 0x03, RS_PFC_LAST_FRAG);
    assert_int_equal(rs_load_u32(out.data + 16, RS_LE), 1); /* alloc_hint: the last byte */
    assert_int_equal(out.data[24], stub[4256]);
    assert_true(rs_pdu_fragmenter_done(&f));

    uint8_t *big = pattern(65505);
    for (size_t len = 65504; len <= 65505; len++) { /* a full fragment; one byte more */
        make_template(T_REQUEST, &t, big, len);
        rs_pdu_fragmenter_init(&f, &t, RS_LE, RS_PDU_DEFAULT_MAX_FRAG);
        rs_buf_reset(&out);
        assert_int_equal(rs_pdu_fragmenter_next(&f, &out), RS_OK);
        assert_int_equal(out.len, 65528);
        assert_int_equal(rs_pdu_fragmenter_done(&f), len == 65504);
    }
    rs_buf_reset(&out);
    assert_int_equal(rs_pdu_fragmenter_next(&f, &out), RS_OK);
    assert_int_equal(out.len, 25);
    assert_int_equal(out.data[24], big[65504]);
    assert_true(rs_pdu_fragmenter_done(&f));
    free(big);

    rs_buf_free(&out);
    free(stub);
}

static void assert_next_fails(rs_pdu_fragmenter *f, const char *words)
{
    rs_buf out;
    rs_buf_init(&out, RS_BUF_NO_LIMIT);
    assert_int_equal(rs_pdu_fragmenter_next(f, &out), RS_ERR_INVALID_ARG);
    assert_int_equal(out.len, 0);
    if (strstr(rs_buf_error(&out), words) == NULL)
        fail_msg("\"%s\" does not mention \"%s\"", rs_buf_error(&out), words);
    rs_buf_free(&out);
}

static void test_fragmenter_refuses_what_it_cannot_split(void **state)
{
    (void)state;
    static const uint8_t stub[16];
    rs_pdu t;
    rs_pdu_fragmenter f;

    make_template(T_REQUEST, &t, stub, sizeof stub);
    rs_pdu_fragmenter_init(&f, &t, RS_LE, 31); /* 24 + 8 = 32 is the least */
    assert_next_fails(&f, "max_frag 31 leaves no room for 8 bytes of stub data after the 24 bytes");
    make_template(T_REQUEST_OBJECT, &t, stub, sizeof stub);
    rs_pdu_fragmenter_init(&f, &t, RS_LE, 47);
    assert_next_fails(&f, "after the 40 bytes");
    make_template(T_RESPONSE, &t, stub, sizeof stub);
    rs_pdu_fragmenter_init(&f, &t, RS_LE, 0);
    assert_next_fails(&f, "max_frag 0");

    rs_pdu_init(&t, RS_PTYPE_FAULT, 1);
    rs_pdu_fragmenter_init(&f, &t, RS_LE, 4280);
    assert_next_fails(&f, "only requests and responses are fragmented, not fault");
    rs_pdu_init(&t, RS_PTYPE_BIND, 1);
    rs_pdu_fragmenter_init(&f, &t, RS_LE, 4280);
    assert_next_fails(&f, "not bind");

    make_template(T_REQUEST, &t, stub, sizeof stub);
    t.auth.auth_value = stub;
    t.auth.auth_value_length = 16;
    rs_pdu_fragmenter_init(&f, &t, RS_LE, 4280);
    assert_next_fails(&f, "auth verifier");

    make_template(T_REQUEST, &t, NULL, 5);
    rs_pdu_fragmenter_init(&f, &t, RS_LE, 4280);
    assert_next_fails(&f, "stub is NULL");
}

/* ---- reassembly rules ------------------------------------------------------------------------ */

static const uint8_t eight[8] = {1, 2, 3, 4, 5, 6, 7, 8};

/* Adds `frags` in order; all but the last must succeed; returns the last one's status. */
static rs_status add_all(rs_pdu_reassembler *r, rs_pdu *frags, size_t n)
{
    bool complete = false;
    for (size_t i = 0; i + 1 < n; i++) {
        rs_status st = rs_pdu_reassembler_add(r, &frags[i], &complete);
        if (st != RS_OK)
            fail_msg("fragment %zu: %s", i, rs_pdu_reassembler_error(r));
        assert_false(complete);
    }
    rs_status st = rs_pdu_reassembler_add(r, &frags[n - 1], &complete);
    assert_int_equal(complete, st == RS_OK && (frags[n - 1].hdr.pfc_flags & RS_PFC_LAST_FRAG));
    return st;
}

static void assert_reassembly_fails(rs_pdu *frags, size_t n, rs_status want, const char *words)
{
    rs_pdu_reassembler r;
    rs_pdu_reassembler_init(&r, RS_PDU_DEFAULT_MAX_STUB);
    rs_status st = add_all(&r, frags, n);
    if (st != want)
        fail_msg("got %s (\"%s\"), wanted %s", rs_status_name(st), rs_pdu_reassembler_error(&r),
                 rs_status_name(want));
    if (strstr(rs_pdu_reassembler_error(&r), words) == NULL)
        fail_msg("\"%s\" does not mention \"%s\"", rs_pdu_reassembler_error(&r), words);
    assert_null(rs_pdu_reassembler_result(&r));
    /* sticky: the next fragment gets the same answer */
    bool complete = true;
    assert_int_equal(rs_pdu_reassembler_add(&r, &frags[0], &complete), want);
    assert_false(complete);
    rs_pdu_reassembler_free(&r);
}

static void test_reassembly_rules(void **state)
{
    (void)state;
    rs_pdu f[3];

    /* missing FIRST_FRAG */
    make_fragment(&f[0], RS_PTYPE_REQUEST, 3, RS_PFC_LAST_FRAG, eight, 8);
    assert_reassembly_fails(f, 1, RS_ERR_REASSEMBLY,
                            "call 3: the first fragment has no PFC_FIRST_FRAG");
    make_fragment(&f[0], RS_PTYPE_REQUEST, 3, 0, eight, 8);
    assert_reassembly_fails(f, 1, RS_ERR_REASSEMBLY, "no PFC_FIRST_FRAG");

    /* call id changes */
    make_fragment(&f[0], RS_PTYPE_REQUEST, 3, RS_PFC_FIRST_FRAG, eight, 8);
    make_fragment(&f[1], RS_PTYPE_REQUEST, 4, RS_PFC_LAST_FRAG, eight, 8);
    assert_reassembly_fails(f, 2, RS_ERR_REASSEMBLY,
                            "fragment 2 has call_id 4 in the middle of call 3");

    /* a second FIRST_FRAG */
    make_fragment(&f[1], RS_PTYPE_REQUEST, 3, RS_PFC_FIRST_FRAG, eight, 8);
    assert_reassembly_fails(f, 2, RS_ERR_REASSEMBLY, "call 3: fragment 2 has PFC_FIRST_FRAG again");

    /* PTYPE, opnum, context, byte order, object change in the middle */
    make_fragment(&f[1], RS_PTYPE_RESPONSE, 3, RS_PFC_LAST_FRAG, eight, 8);
    assert_reassembly_fails(f, 2, RS_ERR_REASSEMBLY,
                            "fragment 2 is a response, the first was a request");
    make_fragment(&f[1], RS_PTYPE_REQUEST, 3, RS_PFC_LAST_FRAG, eight, 8);
    f[1].request.opnum = 9;
    assert_reassembly_fails(f, 2, RS_ERR_REASSEMBLY, "opnum 9, the first had 4");
    f[1].request.opnum = 4;
    f[1].request.p_cont_id = 1;
    assert_reassembly_fails(f, 2, RS_ERR_REASSEMBLY, "p_cont_id 1, the first had 0");
    f[1].request.p_cont_id = 0;
    f[1].hdr.drep[0] = RS_DREP_INT_BIG_ENDIAN;
    assert_reassembly_fails(f, 2, RS_ERR_REASSEMBLY, "changes the data representation");
    f[1].hdr.drep[0] = RS_DREP_INT_LITTLE_ENDIAN;
    f[1].hdr.pfc_flags |= RS_PFC_OBJECT_UUID;
    assert_reassembly_fails(f, 2, RS_ERR_REASSEMBLY, "different object UUID");

    /* a middle fragment without stub data (would let fragments go on for ever) */
    make_fragment(&f[1], RS_PTYPE_REQUEST, 3, 0, eight, 0);
    assert_reassembly_fails(f, 2, RS_ERR_REASSEMBLY,
                            "fragment 2 carries no stub data and is not the last");

    /* only requests and responses */
    make_fragment(&f[0], RS_PTYPE_FAULT, 3, RS_PFC_FIRST_FRAG | RS_PFC_LAST_FRAG, eight, 0);
    assert_reassembly_fails(f, 1, RS_ERR_REASSEMBLY, "a fault is not a fragment");

    /* a fragment after the last */
    make_fragment(&f[0], RS_PTYPE_RESPONSE, 3, RS_PFC_FIRST_FRAG, eight, 8);
    make_fragment(&f[1], RS_PTYPE_RESPONSE, 3, RS_PFC_LAST_FRAG, eight, 8);
    make_fragment(&f[2], RS_PTYPE_RESPONSE, 3, RS_PFC_LAST_FRAG, eight, 8);
    rs_pdu_reassembler r;
    rs_pdu_reassembler_init(&r, RS_PDU_DEFAULT_MAX_STUB);
    assert_int_equal(add_all(&r, f, 2), RS_OK);
    assert_non_null(rs_pdu_reassembler_result(&r));
    bool complete;
    assert_int_equal(rs_pdu_reassembler_add(&r, &f[2], &complete), RS_ERR_REASSEMBLY);
    assert_non_null(strstr(rs_pdu_reassembler_error(&r), "call 3 is already complete"));

    /* reset forgets the call and the error; the memory is reused */
    rs_pdu_reassembler_reset(&r);
    assert_string_equal(rs_pdu_reassembler_error(&r), "");
    assert_null(rs_pdu_reassembler_result(&r));
    make_fragment(&f[0], RS_PTYPE_RESPONSE, 4, RS_PFC_FIRST_FRAG | RS_PFC_LAST_FRAG, eight, 8);
    assert_int_equal(add_all(&r, f, 1), RS_OK);
    assert_int_equal(rs_pdu_reassembler_result(&r)->hdr.call_id, 4);
    assert_int_equal(rs_pdu_reassembler_result(&r)->stub_len, 8);
    rs_pdu_reassembler_free(&r);
}

static void test_reassembly_limit(void **state)
{
    (void)state;
    uint8_t *stub = pattern(64);
    rs_pdu f[3];
    make_fragment(&f[0], RS_PTYPE_REQUEST, 8, RS_PFC_FIRST_FRAG, stub, 64);
    make_fragment(&f[1], RS_PTYPE_REQUEST, 8, 0, stub, 64);
    make_fragment(&f[2], RS_PTYPE_REQUEST, 8, RS_PFC_LAST_FRAG, stub, 1);

    rs_pdu_reassembler r;
    rs_pdu_reassembler_init(&r, 128); /* exactly the first two */
    rs_status st = add_all(&r, f, 3);
    assert_int_equal(st, RS_ERR_LIMIT);
    assert_non_null(strstr(rs_pdu_reassembler_error(&r), "call 8: 1 more stub bytes after 128 "
                                                         "exceed the 128-byte reassembly limit"));
    assert_true(r.stub.cap <= 128);
    rs_pdu_reassembler_free(&r);

    rs_pdu_reassembler_init(&r, 129); /* one more byte and it fits */
    assert_int_equal(add_all(&r, f, 3), RS_OK);
    assert_int_equal(rs_pdu_reassembler_result(&r)->stub_len, 129);
    rs_pdu_reassembler_free(&r);
    free(stub);
}

/* rs_pdu_reassembler_add_in_place(): fragments encoded one after another into one buffer, as a
 * connection reads them, then decoded there and joined where they lie. A call in one fragment
 * is its own stub data; several are joined over their headers; nothing is allocated. */
static size_t encode_call(uint8_t *wire, size_t cap, const uint8_t *stub, size_t len,
                          uint16_t max_frag)
{
    rs_pdu t;
    make_template(T_REQUEST, &t, stub, len);
    rs_pdu_fragmenter f;
    rs_pdu_fragmenter_init(&f, &t, RS_LE, max_frag);
    rs_buf out;
    rs_buf_init(&out, RS_BUF_NO_LIMIT);
    while (!rs_pdu_fragmenter_done(&f))
        assert_int_equal(rs_pdu_fragmenter_next(&f, &out), RS_OK);
    assert_true(out.len <= cap);
    memcpy(wire, out.data, out.len);
    size_t n = out.len;
    rs_buf_free(&out);
    return n;
}

/* Decodes the PDUs in wire[0..n) and adds each in place; settles before the fragment numbered
 * `settle_before` (0: never). Returns the last status. */
static rs_status join_in_place(rs_pdu_reassembler *r, uint8_t *wire, size_t n,
                               size_t settle_before, bool *complete)
{
    rs_status st = RS_OK;
    size_t at = 0;
    for (size_t k = 1; st == RS_OK && at < n; k++) {
        rs_buf in;
        rs_buf_view(&in, wire + at, n - at);
        size_t len;
        assert_int_equal(rs_pdu_peek_length(&in, 65535, &len), RS_OK);
        rs_buf_view(&in, wire + at, len); /* one PDU at a time, as a connection returns them */
        rs_pdu pdu;
        assert_int_equal(rs_pdu_decode(&in, &pdu), RS_OK);
        at += len;
        if (k == settle_before) {
            assert_int_equal(rs_pdu_reassembler_settle(r), RS_OK);
            assert_false(r->in_place);
            memset(wire, 0xEE, (size_t)(pdu.stub - wire)); /* what was read before is reused */
        }
        if (r->in_place || r->fragments == 0)
            st = rs_pdu_reassembler_add_in_place(r, &pdu, (uint8_t *)(uintptr_t)pdu.stub,
                                                 complete);
        else
            st = rs_pdu_reassembler_add(r, &pdu, complete);
    }
    return st;
}

static void test_reassembly_in_place(void **state)
{
    (void)state;
    enum { LEN = 1000, CAP = 4096 };
    uint8_t *stub = pattern(LEN);
    uint8_t *wire = malloc(CAP);
    assert_non_null(wire);
    rs_pdu_reassembler r;
    rs_pdu_reassembler_init(&r, 1 << 20);
    bool complete = false;

    /* One fragment: the result is the fragment's own stub data. */
    encode_call(wire, CAP, stub, LEN, 4280);
    assert_int_equal(join_in_place(&r, wire, 24 + LEN, 0, &complete), RS_OK);
    assert_true(complete);
    const rs_pdu *call = rs_pdu_reassembler_result(&r);
    assert_ptr_equal(call->stub, wire + 24);
    assert_int_equal(call->stub_len, LEN);
    assert_int_equal(call->hdr.pfc_flags & 3, 3);
    assert_int_equal(r.stub.cap, 0); /* nothing allocated */

    /* Eleven fragments of 96 stub bytes and one of 40: joined over their headers, in place. */
    for (size_t settle = 0; settle <= 5; settle += 5) {
        rs_pdu_reassembler_reset(&r);
        size_t n = encode_call(wire, CAP, stub, LEN, 120);
        assert_int_equal(join_in_place(&r, wire, n, settle, &complete), RS_OK);
        assert_true(complete);
        call = rs_pdu_reassembler_result(&r);
        assert_int_equal(r.fragments, 11);
        assert_int_equal(call->stub_len, LEN);
        assert_memory_equal(call->stub, stub, LEN);
        if (settle == 0) {
            assert_ptr_equal(call->stub, wire + 24);
            assert_int_equal(r.stub.cap, 0);
        } else { /* copied out before the 5th, and everything after appended to the copy */
            assert_ptr_equal(call->stub, r.stub.data);
        }
    }

    /* A complete result settled: its stub data is the reassembler's from then on. */
    rs_pdu_reassembler_reset(&r);
    size_t n = encode_call(wire, CAP, stub, LEN, 120);
    assert_int_equal(join_in_place(&r, wire, n, 0, &complete), RS_OK);
    assert_int_equal(rs_pdu_reassembler_settle(&r), RS_OK);
    memset(wire, 0xEE, CAP);
    call = rs_pdu_reassembler_result(&r);
    assert_ptr_equal(call->stub, r.stub.data);
    assert_memory_equal(call->stub, stub, LEN);

    /* A later fragment that lies before the stub data so far is copied, with all before it. */
    rs_pdu_reassembler_reset(&r);
    uint8_t *first = wire + 2048, *second = wire;
    rs_pdu f[2];
    make_fragment(&f[0], RS_PTYPE_REQUEST, 4, RS_PFC_FIRST_FRAG, stub, 64);
    make_fragment(&f[1], RS_PTYPE_REQUEST, 4, RS_PFC_LAST_FRAG, stub + 64, 64);
    memcpy(first, stub, 64);
    memcpy(second, stub + 64, 64);
    f[0].stub = first;
    f[1].stub = second;
    assert_int_equal(rs_pdu_reassembler_add_in_place(&r, &f[0], first, &complete), RS_OK);
    assert_int_equal(rs_pdu_reassembler_add_in_place(&r, &f[1], second, &complete), RS_OK);
    assert_true(complete);
    call = rs_pdu_reassembler_result(&r);
    assert_ptr_equal(call->stub, r.stub.data);
    assert_memory_equal(call->stub, stub, 128);

    /* The same rules and limits as a copy: the third fragment passes a limit of 128. */
    rs_pdu_reassembler_free(&r);
    rs_pdu_reassembler_init(&r, 128);
    n = encode_call(wire, CAP, stub, 200, 88); /* 64 stub bytes per fragment */
    assert_int_equal(join_in_place(&r, wire, n, 0, &complete), RS_ERR_LIMIT);
    assert_false(complete);
    assert_non_null(strstr(rs_pdu_reassembler_error(&r), "exceed the 128-byte reassembly limit"));
    rs_pdu_reassembler_reset(&r);
    make_fragment(&f[0], RS_PTYPE_REQUEST, 4, 0, stub, 64); /* no PFC_FIRST_FRAG */
    assert_int_equal(rs_pdu_reassembler_add_in_place(&r, &f[0], wire, &complete),
                     RS_ERR_REASSEMBLY);
    rs_pdu_reassembler_free(&r);
    free(wire);
    free(stub);
}

/* alloc_hint is the peer's word: it pre-sizes the buffer up to the limit and never beyond. */
static void test_alloc_hint_is_not_trusted(void **state)
{
    (void)state;
    rs_pdu f;
    bool complete;
    rs_pdu_reassembler r;
    make_fragment(&f, RS_PTYPE_REQUEST, 1, RS_PFC_FIRST_FRAG, eight, 8);
    f.request.alloc_hint = 0xffffffff;
    rs_pdu_reassembler_init(&r, 1000);
    assert_int_equal(rs_pdu_reassembler_add(&r, &f, &complete), RS_OK);
    assert_true(r.stub.cap <= 1000);
    rs_pdu_reassembler_free(&r);

    f.request.alloc_hint = 600; /* a truthful hint is used */
    rs_pdu_reassembler_init(&r, 1000);
    assert_int_equal(rs_pdu_reassembler_add(&r, &f, &complete), RS_OK);
    assert_true(r.stub.cap >= 600 && r.stub.cap <= 1000);
    rs_pdu_reassembler_free(&r);

    f.request.alloc_hint = 0; /* a hint of 0 (allowed by C706) works too */
    rs_pdu_reassembler_init(&r, 1000);
    assert_int_equal(rs_pdu_reassembler_add(&r, &f, &complete), RS_OK);
    rs_pdu_reassembler_free(&r);
}

/* The result is a copy: it outlives the buffers its fragments were decoded from. */
static void test_result_outlives_the_fragments(void **state)
{
    (void)state;
    uint8_t *stub = pattern(3000);
    rs_pdu t;
    make_template(T_RESPONSE, &t, stub, 3000);
    rs_pdu_fragmenter f;
    rs_pdu_fragmenter_init(&f, &t, RS_BE, 1432);
    rs_pdu_reassembler r;
    rs_pdu_reassembler_init(&r, RS_PDU_DEFAULT_MAX_STUB);
    bool complete = false;
    while (!rs_pdu_fragmenter_done(&f)) {
        rs_buf out;
        rs_buf_init(&out, RS_BUF_NO_LIMIT);
        assert_int_equal(rs_pdu_fragmenter_next(&f, &out), RS_OK);
        rs_buf in;
        rs_buf_view(&in, out.data, out.len);
        rs_pdu frag;
        assert_int_equal(rs_pdu_decode(&in, &frag), RS_OK);
        assert_int_equal(rs_pdu_reassembler_add(&r, &frag, &complete), RS_OK);
        rs_buf_free(&out); /* the fragment's bytes are gone */
    }
    assert_true(complete);
    assert_int_equal(r.fragments, 3); /* 1408 + 1408 + 184 */
    const rs_pdu *call = rs_pdu_reassembler_result(&r);
    assert_int_equal(call->stub_len, 3000);
    assert_memory_equal(call->stub, stub, 3000);
    assert_int_equal(call->hdr.auth_length, 0);
    rs_pdu_reassembler_free(&r);
    free(stub);
}

/* A call of one fragment with no stub data at all is complete at once, with stub_len 0. */
static void test_empty_call(void **state)
{
    (void)state;
    rs_pdu f;
    make_fragment(&f, RS_PTYPE_RESPONSE, 2, RS_PFC_FIRST_FRAG | RS_PFC_LAST_FRAG, NULL, 0);
    rs_pdu_reassembler r;
    rs_pdu_reassembler_init(&r, RS_PDU_DEFAULT_MAX_STUB);
    bool complete = false;
    assert_int_equal(rs_pdu_reassembler_add(&r, &f, &complete), RS_OK);
    assert_true(complete);
    assert_int_equal(rs_pdu_reassembler_result(&r)->stub_len, 0);
    rs_pdu_reassembler_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trips_over_sizes_and_fragment_limits),
        cmocka_unit_test(test_header_and_stub_slice_equal_the_whole_fragment),
        cmocka_unit_test(test_fragments_equal_encoded_pdus),
        cmocka_unit_test(test_smallest_fragments),
        cmocka_unit_test(test_exactly_one_fragment_and_one_byte_over),
        cmocka_unit_test(test_fragmenter_refuses_what_it_cannot_split),
        cmocka_unit_test(test_reassembly_rules),
        cmocka_unit_test(test_reassembly_limit),
        cmocka_unit_test(test_reassembly_in_place),
        cmocka_unit_test(test_alloc_hint_is_not_trusted),
        cmocka_unit_test(test_result_outlives_the_fragments),
        cmocka_unit_test(test_empty_call),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
