/* conform_vectors.h -- the stub data of every operation of tests/interop/conform.idl, derived by
 * hand from C706 chapter 14: what test_stubs.c feeds the generated server stubs and expects back,
 * and what test_stubs_client.c expects the generated client stubs to send and to understand.
 * Include it after <cmocka.h>. */
#ifndef CONFORM_VECTORS_H
#define CONFORM_VECTORS_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* ==== the stub data, derived by hand ============================================================
 * NDR 2.0, little-endian. Each primitive is aligned to its size from the start of the stub data;
 * pad bytes are zero. A top-level [ref] pointer has no wire form; [unique] is a referent id,
 * 0x00020000 for the first non-NULL one of a message and 4 more for each next one; an embedded
 * pointer's referent follows the whole top-level parameter. */

/* long Add([in] long a, [in] long b): Add(3, 4) */
static const uint8_t add_request[] = {
    0x03, 0x00, 0x00, 0x00, /* @0  a = 3 */
    0x04, 0x00, 0x00, 0x00, /* @4  b = 4 */
};
static const uint8_t add_response[] = {
    0x07, 0x00, 0x00, 0x00, /* @0  return = 7 */
};

/* long Div([in] long a, [in] long b): Div(7, 2) */
static const uint8_t div_request[] = {
    0x07, 0x00, 0x00, 0x00, /* @0  a = 7 */
    0x02, 0x00, 0x00, 0x00, /* @4  b = 2 */
};
static const uint8_t div_response[] = {
    0x03, 0x00, 0x00, 0x00, /* @0  return = 3 */
};

/* long StrLen([in, string] char *s): StrLen("hello") -- a [string] is conformant-varying, its
 * terminator counted */
static const uint8_t strlen_request[] = {
    0x06, 0x00, 0x00, 0x00,             /* @0  s: max_count = 6 */
    0x00, 0x00, 0x00, 0x00,             /* @4  s: offset = 0 */
    0x06, 0x00, 0x00, 0x00,             /* @8  s: actual_count = 6 */
    'h', 'e', 'l', 'l', 'o', 0x00,      /* @12 s: the characters and the terminator */
};
static const uint8_t strlen_response[] = {
    0x05, 0x00, 0x00, 0x00, /* @0  return = 5 */
};

/* long WStrLen([in, unique, string] wchar_t *s): WStrLen(NULL) */
static const uint8_t wstrlen_null_request[] = {
    0x00, 0x00, 0x00, 0x00, /* @0  s: referent id 0, a NULL [unique] pointer: nothing follows */
};
static const uint8_t wstrlen_null_response[] = {
    0xff, 0xff, 0xff, 0xff, /* @0  return = -1 */
};

/* WStrLen(u"hi") */
static const uint8_t wstrlen_request[] = {
    0x00, 0x00, 0x02, 0x00, /* @0  s: referent id 0x00020000; the string follows at once */
    0x03, 0x00, 0x00, 0x00, /* @4  s: max_count = 3 */
    0x00, 0x00, 0x00, 0x00, /* @8  s: offset = 0 */
    0x03, 0x00, 0x00, 0x00, /* @12 s: actual_count = 3 */
    'h', 0x00,              /* @16 s[0], a 16-bit unit */
    'i', 0x00,              /* @18 s[1] */
    0x00, 0x00,             /* @20 s[2], the terminator */
};
static const uint8_t wstrlen_response[] = {
    0x02, 0x00, 0x00, 0x00, /* @0  return = 2 */
};

/* void Reverse([in] long n, [in, out, size_is(n)] long *v): Reverse(3, {1, 2, 3}) */
static const uint8_t reverse_request[] = {
    0x03, 0x00, 0x00, 0x00, /* @0  n = 3 */
    0x03, 0x00, 0x00, 0x00, /* @4  v: max_count = 3, size_is(n): a conformant array */
    0x01, 0x00, 0x00, 0x00, /* @8  v[0] = 1 */
    0x02, 0x00, 0x00, 0x00, /* @12 v[1] = 2 */
    0x03, 0x00, 0x00, 0x00, /* @16 v[2] = 3 */
};
static const uint8_t reverse_response[] = {
    0x03, 0x00, 0x00, 0x00, /* @0  v: max_count = 3 */
    0x03, 0x00, 0x00, 0x00, /* @4  v[0] = 3 */
    0x02, 0x00, 0x00, 0x00, /* @8  v[1] = 2 */
    0x01, 0x00, 0x00, 0x00, /* @12 v[2] = 1 */
};

/* hyper SumMixed([in] mixed *m): m = {s 1, c 'A', l1 2, l2 3, h 4}; the structure is aligned to
 * 8, its hyper's alignment, and each member to its own size */
static const uint8_t summixed_request[] = {
    0x01, 0x00,                                     /* @0  m.s = 1 */
    'A',                                            /* @2  m.c = 'A' */
    0x00,                                           /* @3  pad to 4 */
    0x02, 0x00, 0x00, 0x00,                         /* @4  m.l1 = 2 */
    0x03, 0x00, 0x00, 0x00,                         /* @8  m.l2 = 3 */
    0x00, 0x00, 0x00, 0x00,                         /* @12 pad to 8 */
    0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* @16 m.h = 4 */
};
static const uint8_t summixed_response[] = {
    0x4b, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* @0  return = 1 + 65 + 2 + 3 + 4 = 75 */
};

/* hyper SumPtrs([in, unique] with_ptrs *p): p = {l1 10, pl1 -> 20, pc1 -> 'x'} */
static const uint8_t sumptrs_request[] = {
    0x00, 0x00, 0x02, 0x00, /* @0  p: referent id 0x00020000 */
    0x0a, 0x00, 0x00, 0x00, /* @4  p->l1 = 10 */
    0x04, 0x00, 0x02, 0x00, /* @8  p->pl1: referent id 0x00020004 (embedded: deferred) */
    0x08, 0x00, 0x02, 0x00, /* @12 p->pc1: referent id 0x00020008 */
    0x14, 0x00, 0x00, 0x00, /* @16 *p->pl1 = 20, after the whole structure */
    'x',                    /* @20 *p->pc1 = 'x' */
};
static const uint8_t sumptrs_response[] = {
    0x96, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* @0  return = 10 + 20 + 120 = 150 */
};

/* SumPtrs with pl1 NULL: a NULL pointer takes no referent id, so pc1 gets the next one */
static const uint8_t sumptrs_nullpl1_request[] = {
    0x00, 0x00, 0x02, 0x00, /* @0  p: referent id 0x00020000 */
    0x0a, 0x00, 0x00, 0x00, /* @4  p->l1 = 10 */
    0x00, 0x00, 0x00, 0x00, /* @8  p->pl1: 0, NULL */
    0x04, 0x00, 0x02, 0x00, /* @12 p->pc1: referent id 0x00020004 */
    'x',                    /* @16 *p->pc1 = 'x' */
};
static const uint8_t sumptrs_nullpl1_response[] = {
    0x82, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* @0  return = 10 + 120 = 130 */
};

/* SumPtrs(NULL) */
static const uint8_t sumptrs_null_request[] = {
    0x00, 0x00, 0x00, 0x00, /* @0  p: 0, NULL */
};
static const uint8_t sumptrs_null_response[] = {
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, /* @0  return = -1 */
};

/* void GetMixed([out] mixed *m): nothing to send; GetMixed() fills {-2, 'z', 0x11223344, -1,
 * 0x0102030405060708} */
static const uint8_t getmixed_response[] = {
    0xfe, 0xff,                                     /* @0  m.s = -2 */
    'z',                                            /* @2  m.c = 'z' */
    0x00,                                           /* @3  pad to 4 */
    0x44, 0x33, 0x22, 0x11,                         /* @4  m.l1 = 0x11223344 */
    0xff, 0xff, 0xff, 0xff,                         /* @8  m.l2 = -1 */
    0x00, 0x00, 0x00, 0x00,                         /* @12 pad to 8 */
    0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01, /* @16 m.h */
};

/* long UStrSum([in] ustring *u): u = {Length 4, MaximumLength 6, Buffer "abc"}: room for 3
 * units, 2 of them in use -- a conformant-varying array sends only those */
static const uint8_t ustrsum_request[] = {
    0x04, 0x00,             /* @0  u.Length = 4 (bytes) */
    0x06, 0x00,             /* @2  u.MaximumLength = 6 */
    0x00, 0x00, 0x02, 0x00, /* @4  u.Buffer: referent id 0x00020000 (embedded: deferred) */
    0x03, 0x00, 0x00, 0x00, /* @8  u.Buffer->*: max_count = 3 = size_is(MaximumLength / 2) */
    0x00, 0x00, 0x00, 0x00, /* @12 u.Buffer->*: offset = 0 */
    0x02, 0x00, 0x00, 0x00, /* @16 u.Buffer->*: actual_count = 2 = length_is(Length / 2) */
    'a', 0x00,              /* @20 Buffer[0] */
    'b', 0x00,              /* @22 Buffer[1] */
};
static const uint8_t ustrsum_response[] = {
    0xc3, 0x00, 0x00, 0x00, /* @0  return = 97 + 98 = 195 */
};

/* void GetName([out] ustring *u): GetName() fills {4, 4, "Hi"}; the server's response stream
 * numbers its referents from 0x00020000 too */
static const uint8_t getname_response[] = {
    0x04, 0x00,             /* @0  u.Length = 4 */
    0x04, 0x00,             /* @2  u.MaximumLength = 4 */
    0x00, 0x00, 0x02, 0x00, /* @4  u.Buffer: referent id 0x00020000 */
    0x02, 0x00, 0x00, 0x00, /* @8  max_count = 2 */
    0x00, 0x00, 0x00, 0x00, /* @12 offset = 0 */
    0x02, 0x00, 0x00, 0x00, /* @16 actual_count = 2 */
    'H', 0x00,              /* @20 Buffer[0] */
    'i', 0x00,              /* @22 Buffer[1] */
};

/* double NumValue([in] short tag, [in, switch_is(tag)] num *n): tag 2, n->d = 1.5. A union:
 * the discriminant aligned to itself, then the arm aligned to its own type */
static const uint8_t numvalue_d_request[] = {
    0x02, 0x00,                                     /* @0  tag = 2 */
    0x02, 0x00,                                     /* @2  n: discriminant = 2, a short */
    0x00, 0x00, 0x00, 0x00,                         /* @4  pad to 8, for the double */
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xf8, 0x3f, /* @8  n.d = 1.5 */
};
static const uint8_t numvalue_d_response[] = {
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xf8, 0x3f, /* @0  return = 1.5 */
};

/* NumValue(1, {l 7}) */
static const uint8_t numvalue_l_request[] = {
    0x01, 0x00,             /* @0  tag = 1 */
    0x01, 0x00,             /* @2  n: discriminant = 1 */
    0x07, 0x00, 0x00, 0x00, /* @4  n.l = 7, already aligned to 4 */
};
static const uint8_t numvalue_l_response[] = {
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x1c, 0x40, /* @0  return = 7.0 */
};

/* NumValue(3, {u {2, 2, "z"}}): the arm is a structure with an embedded pointer, whose referent
 * follows the whole parameter n */
static const uint8_t numvalue_u_request[] = {
    0x03, 0x00,             /* @0  tag = 3 */
    0x03, 0x00,             /* @2  n: discriminant = 3 */
    0x02, 0x00,             /* @4  n.u.Length = 2 (ustring aligned to 4) */
    0x02, 0x00,             /* @6  n.u.MaximumLength = 2 */
    0x00, 0x00, 0x02, 0x00, /* @8  n.u.Buffer: referent id 0x00020000 */
    0x01, 0x00, 0x00, 0x00, /* @12 n.u.Buffer->*: max_count = 1 */
    0x00, 0x00, 0x00, 0x00, /* @16 offset = 0 */
    0x01, 0x00, 0x00, 0x00, /* @20 actual_count = 1 */
    'z', 0x00,              /* @24 Buffer[0] */
};
static const uint8_t numvalue_u_response[] = {
    0x00, 0x00, 0x00, 0x00, 0x00, 0x80, 0x5e, 0x40, /* @0  return = 122.0 */
};

/* NumValue(9, ...): the empty [default] arm sends nothing after the discriminant */
static const uint8_t numvalue_default_request[] = {
    0x09, 0x00, /* @0  tag = 9 */
    0x09, 0x00, /* @2  n: discriminant = 9, the [default] arm: empty */
};
static const uint8_t numvalue_default_response[] = {
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xf0, 0xbf, /* @0  return = -1.0 */
};

/* color NextColor([in] color c): an enum is 16 bits unless [v1_enum]; green (2) -> blue (300) */
static const uint8_t nextcolor_request[] = {
    0x02, 0x00, /* @0  c = green */
};
static const uint8_t nextcolor_response[] = {
    0x2c, 0x01, /* @0  return = blue, 300 */
};

/* void Echo([in] long n, [in, size_is(n)] byte *in, [out, size_is(n)] byte *out): n 3 */
static const uint8_t echo_request[] = {
    0x03, 0x00, 0x00, 0x00, /* @0  n = 3 */
    0x03, 0x00, 0x00, 0x00, /* @4  in: max_count = 3 */
    0x01, 0x02, 0x03,       /* @8  in[0..2], bytes need no alignment */
};
static const uint8_t echo_response[] = {
    0x03, 0x00, 0x00, 0x00, /* @0  out: max_count = 3 */
    0x01, 0x02, 0x03,       /* @4  out[0..2] */
};

/* long Sleep([in] long ms): Sleep(5) */
static const uint8_t sleep_request[] = {
    0x05, 0x00, 0x00, 0x00, /* @0  ms = 5 */
};
static const uint8_t sleep_response[] = {
    0x05, 0x00, 0x00, 0x00, /* @0  return = 5 */
};

typedef struct vector {
    const char *what;
    uint16_t opnum;
    const uint8_t *request;
    size_t request_len;
    const uint8_t *response;
    size_t response_len;
} vector;

#define VEC(what, op, req, resp) {what, op, req, sizeof req, resp, sizeof resp}
#define VEC_OUT(what, op, resp) {what, op, NULL, 0, resp, sizeof resp}

static const vector vectors[] = {
    VEC("Add", 0, add_request, add_response),
    VEC("Div", 1, div_request, div_response),
    VEC("StrLen", 2, strlen_request, strlen_response),
    VEC("WStrLen NULL", 3, wstrlen_null_request, wstrlen_null_response),
    VEC("WStrLen", 3, wstrlen_request, wstrlen_response),
    VEC("Reverse", 4, reverse_request, reverse_response),
    VEC("SumMixed", 5, summixed_request, summixed_response),
    VEC("SumPtrs", 6, sumptrs_request, sumptrs_response),
    VEC("SumPtrs pl1 NULL", 6, sumptrs_nullpl1_request, sumptrs_nullpl1_response),
    VEC("SumPtrs NULL", 6, sumptrs_null_request, sumptrs_null_response),
    VEC_OUT("GetMixed", 7, getmixed_response),
    VEC("UStrSum", 8, ustrsum_request, ustrsum_response),
    VEC_OUT("GetName", 9, getname_response),
    VEC("NumValue d", 10, numvalue_d_request, numvalue_d_response),
    VEC("NumValue l", 10, numvalue_l_request, numvalue_l_response),
    VEC("NumValue u", 10, numvalue_u_request, numvalue_u_response),
    VEC("NumValue default", 10, numvalue_default_request, numvalue_default_response),
    VEC("NextColor", 11, nextcolor_request, nextcolor_response),
    VEC("Echo", 12, echo_request, echo_response),
    VEC("Sleep", 13, sleep_request, sleep_response),
};
#define NVECTORS (sizeof vectors / sizeof vectors[0])

static const vector *find_vector(const char *what)
{
    for (size_t i = 0; i < NVECTORS; i++)
        if (strcmp(vectors[i].what, what) == 0)
            return &vectors[i];
    fail_msg("no vector %s", what);
    return NULL;
}

#endif
