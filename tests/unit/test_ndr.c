/* test_ndr.c -- NDR 2.0 on the wire: drep, primitives in both byte orders, alignment, arrays,
 * strings, a conformant structure, unions, context handles, the layout record, and what the
 * decoder does with counts that lie. Pointers and deferral are in test_ndr_pointers.c.
 *
 * Every decoder is also fed its input cut at every offset (in a heap copy of exactly that many
 * bytes, so that AddressSanitizer sees any read past the end) and must fail without leaking. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ndr.h"

/* ---- helpers --------------------------------------------------------------------------------- */

typedef struct enc {
    rs_buf out;
    rs_ndr ndr;
} enc;

static void enc_begin(enc *e, rs_endian order)
{
    rs_buf_init(&e->out, (size_t)16 << 20);
    rs_ndr_init_encode(&e->ndr, &e->out, order);
}

static void enc_end(enc *e)
{
    rs_ndr_free(&e->ndr);
    rs_buf_free(&e->out);
}

/* The encoder wrote exactly `want`, nothing more. */
static void assert_wrote(const enc *e, const uint8_t *want, size_t n)
{
    assert_int_equal(e->out.len, n);
    if (n > 0)
        assert_memory_equal(e->out.data, want, n);
}

typedef struct dec {
    uint8_t *copy; /* exactly the bytes given: a read past them is a sanitizer error */
    rs_buf in;
    rs_ndr ndr;
} dec;

static void dec_begin(dec *d, const uint8_t *wire, size_t n, rs_endian order)
{
    d->copy = malloc(n > 0 ? n : 1);
    assert_non_null(d->copy);
    if (n > 0)
        memcpy(d->copy, wire, n);
    rs_buf_view(&d->in, d->copy, n);
    rs_ndr_init_decode(&d->ndr, &d->in, order);
}

static void dec_end(dec *d)
{
    rs_ndr_free(&d->ndr);
    free(d->copy);
}

/* Decodes one whole message; whatever it allocates belongs to the stream. */
typedef rs_status (*decode_fn)(rs_ndr *ndr);

/* The message decodes whole and consumes every byte; cut short anywhere, it fails with a
 * message and leaks nothing. */
static void check_cuts(const uint8_t *wire, size_t n, rs_endian order, decode_fn fn)
{
    dec d;
    dec_begin(&d, wire, n, order);
    assert_int_equal(fn(&d.ndr), RS_OK);
    assert_int_equal(rs_ndr_remaining(&d.ndr), 0);
    dec_end(&d);
    for (size_t cut = 0; cut < n; cut++) {
        dec_begin(&d, wire, cut, order);
        rs_status st = fn(&d.ndr);
        if (st == RS_OK)
            fail_msg("decoding succeeded on the first %zu of %zu bytes", cut, n);
        assert_int_equal(rs_ndr_status(&d.ndr), st);
        assert_true(rs_ndr_error(&d.ndr)[0] != '\0');
        dec_end(&d);
    }
}

/* Decodes `wire` with fn and expects `want`, with a message. */
static void check_rejects(const uint8_t *wire, size_t n, rs_endian order, decode_fn fn,
                          rs_status want)
{
    dec d;
    dec_begin(&d, wire, n, order);
    assert_int_equal(fn(&d.ndr), want);
    assert_true(rs_ndr_error(&d.ndr)[0] != '\0');
    dec_end(&d);
}

typedef struct want_field {
    const char *name;
    const char *type;
    size_t offset;
    size_t length;
    uint32_t count;
    rs_ndr_role role;
} want_field;

static void assert_layout(const rs_ndr_layout *l, const want_field *want, size_t n)
{
    assert_int_equal(rs_ndr_layout_count(l), n);
    for (size_t i = 0; i < n; i++) {
        rs_ndr_field f = rs_ndr_layout_at(l, i);
        if (strcmp(f.name, want[i].name) != 0 || strcmp(f.type, want[i].type) != 0 ||
            f.offset != want[i].offset || f.length != want[i].length ||
            f.count != want[i].count || f.role != want[i].role)
            fail_msg("entry %zu is {%s, %s, %zu, %zu, %u, %s}, want {%s, %s, %zu, %zu, %u, %s}", i,
                     f.name, f.type, f.offset, f.length, f.count, rs_ndr_role_name(f.role),
                     want[i].name, want[i].type, want[i].offset, want[i].length, want[i].count,
                     rs_ndr_role_name(want[i].role));
    }
}

/* Every byte of the stub data is in exactly one entry, in offset order. */
static void assert_layout_tiles(const rs_ndr_layout *l, size_t total)
{
    size_t at = 0;
    for (size_t i = 0; i < rs_ndr_layout_count(l); i++) {
        rs_ndr_field f = rs_ndr_layout_at(l, i);
        assert_int_equal(f.offset, at);
        assert_true(f.length > 0);
        at += f.length;
    }
    assert_int_equal(at, total);
}

/* ---- drep ------------------------------------------------------------------------------------ */

static void test_drep(void **state)
{
    (void)state;
    static const uint8_t le[4] = {0x10, 0x00, 0x00, 0x00}; /* little-endian, ASCII, IEEE */
    static const uint8_t be[4] = {0x00, 0x00, 0x00, 0x00}; /* big-endian, ASCII, IEEE */
    static const uint8_t reserved[4] = {0x10, 0x00, 0xff, 0xff}; /* reserved bytes are ignored */
    static const uint8_t ebcdic[4] = {0x11, 0x00, 0x00, 0x00};
    static const uint8_t vax[4] = {0x10, 0x01, 0x00, 0x00};
    static const uint8_t ibm[4] = {0x00, 0x03, 0x00, 0x00};
    static const uint8_t bad_int[4] = {0x20, 0x00, 0x00, 0x00};
    static const uint8_t bad_float[4] = {0x10, 0x09, 0x00, 0x00};
    rs_endian e = RS_BE;
    const char *why = "unset";

    assert_int_equal(rs_ndr_drep_parse(le, &e, &why), RS_OK);
    assert_int_equal(e, RS_LE);
    assert_null(why);
    assert_int_equal(rs_ndr_drep_parse(be, &e, NULL), RS_OK);
    assert_int_equal(e, RS_BE);
    assert_int_equal(rs_ndr_drep_parse(reserved, &e, NULL), RS_OK);
    assert_int_equal(e, RS_LE);

    assert_int_equal(rs_ndr_drep_parse(ebcdic, &e, &why), RS_ERR_UNSUPPORTED_DREP);
    assert_non_null(strstr(why, "EBCDIC"));
    assert_int_equal(rs_ndr_drep_parse(vax, &e, &why), RS_ERR_UNSUPPORTED_DREP);
    assert_non_null(strstr(why, "VAX"));
    assert_int_equal(rs_ndr_drep_parse(ibm, &e, &why), RS_ERR_UNSUPPORTED_DREP);
    assert_non_null(strstr(why, "IBM"));
    assert_int_equal(rs_ndr_drep_parse(bad_int, &e, &why), RS_ERR_UNSUPPORTED_DREP);
    assert_non_null(strstr(why, "integer"));
    assert_int_equal(rs_ndr_drep_parse(bad_float, &e, NULL), RS_ERR_UNSUPPORTED_DREP);

    uint8_t made[4] = {0xAA, 0xAA, 0xAA, 0xAA};
    rs_ndr_drep_make(RS_LE, made);
    assert_memory_equal(made, le, 4);
    rs_ndr_drep_make(RS_BE, made);
    assert_memory_equal(made, be, 4);
}

/* ---- primitives ------------------------------------------------------------------------------ */

typedef struct all_prims {
    uint8_t boolean;
    uint8_t byte;
    char ch;
    int8_t small;
    uint8_t usmall;
    int16_t sh;
    uint16_t ush;
    int32_t lo;
    uint32_t ulo;
    int64_t hy;
    uint64_t uhy;
    float fl;
    double db;
    uint16_t wc;
    uint32_t es;
    int en;
    int v1;
} all_prims;

static const all_prims sample = {
    .boolean = 1,
    .byte = 0xAB,
    .ch = 'A',
    .small = -2,
    .usmall = 0x7F,
    .sh = -2,
    .ush = 0xBEEF,
    .lo = -2,
    .ulo = 0xDEADBEEF,
    .hy = -2,
    .uhy = 0x0102030405060708,
    .fl = 1.0f,
    .db = -2.5,
    .wc = 0x20AC, /* EURO SIGN */
    .es = 0x1C010002, /* nca_s_op_rng_error */
    .en = 3,
    .v1 = -1,
};

/* Each value aligned to its own size from offset 0. */
static const uint8_t prims_le[72] = {
    0x01,                   /*  0 boolean TRUE */
    0xAB,                   /*  1 byte */
    0x41,                   /*  2 char 'A' */
    0xFE,                   /*  3 small -2 */
    0x7F,                   /*  4 unsigned small 127 */
    0x00,                   /*  5 pad to 2 */
    0xFE, 0xFF,             /*  6 short -2 */
    0xEF, 0xBE,             /*  8 unsigned short 0xBEEF */
    0x00, 0x00,             /* 10 pad to 4 */
    0xFE, 0xFF, 0xFF, 0xFF, /* 12 long -2 */
    0xEF, 0xBE, 0xAD, 0xDE, /* 16 unsigned long 0xDEADBEEF */
    0x00, 0x00, 0x00, 0x00, /* 20 pad to 8 */
    0xFE, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, /* 24 hyper -2 */
    0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01, /* 32 unsigned hyper 0x0102030405060708 */
    0x00, 0x00, 0x80, 0x3F, /* 40 float 1.0 = 0x3F800000 */
    0x00, 0x00, 0x00, 0x00, /* 44 pad to 8 */
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0xC0, /* 48 double -2.5 = 0xC004000000000000 */
    0xAC, 0x20,             /* 56 wchar_t U+20AC */
    0x00, 0x00,             /* 58 pad to 4 */
    0x02, 0x00, 0x01, 0x1C, /* 60 error_status_t 0x1C010002 */
    0x03, 0x00,             /* 64 enum 3, 16 bits */
    0x00, 0x00,             /* 66 pad to 4 */
    0xFF, 0xFF, 0xFF, 0xFF, /* 68 [v1_enum] -1, 32 bits */
};

/* The same values written by hand in big-endian order: same offsets, bytes reversed per value. */
static const uint8_t prims_be[72] = {
    0x01,                   /*  0 boolean TRUE */
    0xAB,                   /*  1 byte */
    0x41,                   /*  2 char 'A' */
    0xFE,                   /*  3 small -2 */
    0x7F,                   /*  4 unsigned small 127 */
    0x00,                   /*  5 pad to 2 */
    0xFF, 0xFE,             /*  6 short -2 */
    0xBE, 0xEF,             /*  8 unsigned short 0xBEEF */
    0x00, 0x00,             /* 10 pad to 4 */
    0xFF, 0xFF, 0xFF, 0xFE, /* 12 long -2 */
    0xDE, 0xAD, 0xBE, 0xEF, /* 16 unsigned long 0xDEADBEEF */
    0x00, 0x00, 0x00, 0x00, /* 20 pad to 8 */
    0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFE, /* 24 hyper -2 */
    0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, /* 32 unsigned hyper */
    0x3F, 0x80, 0x00, 0x00, /* 40 float 1.0 */
    0x00, 0x00, 0x00, 0x00, /* 44 pad to 8 */
    0xC0, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* 48 double -2.5 */
    0x20, 0xAC,             /* 56 wchar_t U+20AC */
    0x00, 0x00,             /* 58 pad to 4 */
    0x1C, 0x01, 0x00, 0x02, /* 60 error_status_t */
    0x00, 0x03,             /* 64 enum 3 */
    0x00, 0x00,             /* 66 pad to 4 */
    0xFF, 0xFF, 0xFF, 0xFF, /* 68 [v1_enum] -1 */
};

static rs_status put_all(rs_ndr *ndr, const all_prims *p)
{
    rs_status st = rs_ndr_put_boolean(ndr, "boolean", p->boolean);
    if (st == RS_OK) st = rs_ndr_put_byte(ndr, "byte", p->byte);
    if (st == RS_OK) st = rs_ndr_put_char(ndr, "ch", p->ch);
    if (st == RS_OK) st = rs_ndr_put_small(ndr, "small", p->small);
    if (st == RS_OK) st = rs_ndr_put_usmall(ndr, "usmall", p->usmall);
    if (st == RS_OK) st = rs_ndr_put_short(ndr, "sh", p->sh);
    if (st == RS_OK) st = rs_ndr_put_ushort(ndr, "ush", p->ush);
    if (st == RS_OK) st = rs_ndr_put_long(ndr, "lo", p->lo);
    if (st == RS_OK) st = rs_ndr_put_ulong(ndr, "ulo", p->ulo);
    if (st == RS_OK) st = rs_ndr_put_hyper(ndr, "hy", p->hy);
    if (st == RS_OK) st = rs_ndr_put_uhyper(ndr, "uhy", p->uhy);
    if (st == RS_OK) st = rs_ndr_put_float(ndr, "fl", p->fl);
    if (st == RS_OK) st = rs_ndr_put_double(ndr, "db", p->db);
    if (st == RS_OK) st = rs_ndr_put_wchar(ndr, "wc", p->wc);
    if (st == RS_OK) st = rs_ndr_put_error_status(ndr, "es", p->es);
    if (st == RS_OK) st = rs_ndr_put_enum(ndr, "en", p->en);
    if (st == RS_OK) st = rs_ndr_put_v1_enum(ndr, "v1", p->v1);
    return st;
}

static rs_status get_all(rs_ndr *ndr, all_prims *p)
{
    rs_status st = rs_ndr_get_boolean(ndr, "boolean", &p->boolean);
    if (st == RS_OK) st = rs_ndr_get_byte(ndr, "byte", &p->byte);
    if (st == RS_OK) st = rs_ndr_get_char(ndr, "ch", &p->ch);
    if (st == RS_OK) st = rs_ndr_get_small(ndr, "small", &p->small);
    if (st == RS_OK) st = rs_ndr_get_usmall(ndr, "usmall", &p->usmall);
    if (st == RS_OK) st = rs_ndr_get_short(ndr, "sh", &p->sh);
    if (st == RS_OK) st = rs_ndr_get_ushort(ndr, "ush", &p->ush);
    if (st == RS_OK) st = rs_ndr_get_long(ndr, "lo", &p->lo);
    if (st == RS_OK) st = rs_ndr_get_ulong(ndr, "ulo", &p->ulo);
    if (st == RS_OK) st = rs_ndr_get_hyper(ndr, "hy", &p->hy);
    if (st == RS_OK) st = rs_ndr_get_uhyper(ndr, "uhy", &p->uhy);
    if (st == RS_OK) st = rs_ndr_get_float(ndr, "fl", &p->fl);
    if (st == RS_OK) st = rs_ndr_get_double(ndr, "db", &p->db);
    if (st == RS_OK) st = rs_ndr_get_wchar(ndr, "wc", &p->wc);
    if (st == RS_OK) st = rs_ndr_get_error_status(ndr, "es", &p->es);
    if (st == RS_OK) st = rs_ndr_get_enum(ndr, "en", &p->en);
    if (st == RS_OK) st = rs_ndr_get_v1_enum(ndr, "v1", &p->v1);
    return st;
}

static void assert_prims_equal(const all_prims *a, const all_prims *b)
{
    assert_int_equal(a->boolean, b->boolean);
    assert_int_equal(a->byte, b->byte);
    assert_int_equal(a->ch, b->ch);
    assert_int_equal(a->small, b->small);
    assert_int_equal(a->usmall, b->usmall);
    assert_int_equal(a->sh, b->sh);
    assert_int_equal(a->ush, b->ush);
    assert_int_equal(a->lo, b->lo);
    assert_int_equal(a->ulo, b->ulo);
    assert_true(a->hy == b->hy);
    assert_true(a->uhy == b->uhy);
    assert_memory_equal(&a->fl, &b->fl, sizeof a->fl);
    assert_memory_equal(&a->db, &b->db, sizeof a->db);
    assert_int_equal(a->wc, b->wc);
    assert_int_equal(a->es, b->es);
    assert_int_equal(a->en, b->en);
    assert_int_equal(a->v1, b->v1);
}

static void check_prims(rs_endian order, const uint8_t *wire, size_t n)
{
    enc e;
    enc_begin(&e, order);
    assert_int_equal(put_all(&e.ndr, &sample), RS_OK);
    assert_wrote(&e, wire, n);
    enc_end(&e);

    /* Decode the hand-written bytes, not our own output. */
    dec d;
    all_prims got;
    memset(&got, 0x5A, sizeof got);
    dec_begin(&d, wire, n, order);
    assert_int_equal(get_all(&d.ndr, &got), RS_OK);
    assert_int_equal(rs_ndr_remaining(&d.ndr), 0);
    assert_prims_equal(&got, &sample);
    dec_end(&d);
}

static void test_primitives_little_endian(void **state)
{
    (void)state;
    check_prims(RS_LE, prims_le, sizeof prims_le);
}

static void test_primitives_big_endian(void **state)
{
    (void)state;
    check_prims(RS_BE, prims_be, sizeof prims_be);
}

static rs_status decode_prims(rs_ndr *ndr)
{
    all_prims p;
    return get_all(ndr, &p);
}

static void test_primitives_cut_everywhere(void **state)
{
    (void)state;
    check_cuts(prims_le, sizeof prims_le, RS_LE, decode_prims);
    check_cuts(prims_be, sizeof prims_be, RS_BE, decode_prims);
}

/* A decoded value never spills: the neighbours of the output are untouched. */
static void test_primitive_outputs_stay_in_bounds(void **state)
{
    (void)state;
    static const uint8_t wire[] = {
        0x34, 0x12,             /* 0 unsigned short 0x1234 */
        0x00, 0x00,             /* 2 pad to 4 */
        0x78, 0x56, 0x34, 0x12, /* 4 unsigned long 0x12345678 */
    };
    struct {
        uint16_t before, v, after;
    } s16 = {0xAAAA, 0, 0xBBBB};
    struct {
        uint32_t before, v, after;
    } s32 = {0xAAAAAAAA, 0, 0xBBBBBBBB};
    dec d;
    dec_begin(&d, wire, sizeof wire, RS_LE);
    assert_int_equal(rs_ndr_get_ushort(&d.ndr, "a", &s16.v), RS_OK);
    assert_int_equal(rs_ndr_get_ulong(&d.ndr, "b", &s32.v), RS_OK);
    dec_end(&d);
    assert_int_equal(s16.v, 0x1234);
    assert_int_equal(s16.before, 0xAAAA);
    assert_int_equal(s16.after, 0xBBBB);
    assert_int_equal(s32.v, 0x12345678);
    assert_int_equal(s32.before, 0xAAAAAAAA);
    assert_int_equal(s32.after, 0xBBBBBBBB);
}

/* Special float bit patterns travel untouched in both orders. */
static void test_float_bit_patterns(void **state)
{
    (void)state;
    static const uint32_t fbits[] = {0x00000000, 0x80000000, 0x7F800000, 0x7FC00001, 0x00000001};
    static const uint64_t dbits[] = {UINT64_C(0x8000000000000000), UINT64_C(0x7FF0000000000000),
                                     UINT64_C(0x7FF8000000000001), UINT64_C(0x3FF0000000000000)};
    for (int order = RS_LE; order <= RS_BE; order++) {
        enc e;
        enc_begin(&e, (rs_endian)order);
        for (size_t i = 0; i < sizeof fbits / sizeof fbits[0]; i++) {
            float f;
            memcpy(&f, &fbits[i], sizeof f);
            assert_int_equal(rs_ndr_put_float(&e.ndr, "f", f), RS_OK);
        }
        for (size_t i = 0; i < sizeof dbits / sizeof dbits[0]; i++) {
            double v;
            memcpy(&v, &dbits[i], sizeof v);
            assert_int_equal(rs_ndr_put_double(&e.ndr, "d", v), RS_OK);
        }
        /* 0x7F800000 (+infinity) is the third float, at offset 8 */
        static const uint8_t inf_le[4] = {0x00, 0x00, 0x80, 0x7F};
        static const uint8_t inf_be[4] = {0x7F, 0x80, 0x00, 0x00};
        assert_memory_equal(e.out.data + 8, order == RS_LE ? inf_le : inf_be, 4);

        dec d;
        dec_begin(&d, e.out.data, e.out.len, (rs_endian)order);
        for (size_t i = 0; i < sizeof fbits / sizeof fbits[0]; i++) {
            float f;
            uint32_t bits;
            assert_int_equal(rs_ndr_get_float(&d.ndr, "f", &f), RS_OK);
            memcpy(&bits, &f, sizeof bits);
            assert_int_equal(bits, fbits[i]);
        }
        for (size_t i = 0; i < sizeof dbits / sizeof dbits[0]; i++) {
            double v;
            uint64_t bits;
            assert_int_equal(rs_ndr_get_double(&d.ndr, "d", &v), RS_OK);
            memcpy(&bits, &v, sizeof bits);
            assert_true(bits == dbits[i]);
        }
        dec_end(&d);
        enc_end(&e);
    }
}

/* ---- enums ----------------------------------------------------------------------------------- */

static void test_enum_range(void **state)
{
    (void)state;
    enc e;
    enc_begin(&e, RS_LE);
    assert_int_equal(rs_ndr_put_enum(&e.ndr, "color", 0x8000), RS_ERR_ENUM_RANGE);
    assert_int_equal(e.out.len, 0); /* checked before anything is written */
    assert_non_null(strstr(rs_ndr_error(&e.ndr), "color"));
    /* the failure sticks: nothing more is written */
    assert_int_equal(rs_ndr_put_long(&e.ndr, "x", 1), RS_ERR_ENUM_RANGE);
    assert_int_equal(e.out.len, 0);
    enc_end(&e);

    enc_begin(&e, RS_LE);
    assert_int_equal(rs_ndr_put_enum(&e.ndr, "color", -1), RS_ERR_ENUM_RANGE);
    enc_end(&e);

    static const uint8_t max_le[2] = {0xFF, 0x7F}; /* enum 0x7FFF, the largest */
    enc_begin(&e, RS_LE);
    assert_int_equal(rs_ndr_put_enum(&e.ndr, "color", 0x7FFF), RS_OK);
    assert_wrote(&e, max_le, sizeof max_le);
    enc_end(&e);

    /* an array of enums is checked whole before any of it is written */
    static const int colors[3] = {1, 0x8000, 2};
    enc_begin(&e, RS_LE);
    assert_int_equal(rs_ndr_put_array(&e.ndr, "colors", RS_NDR_ENUM, colors, 3),
                     RS_ERR_ENUM_RANGE);
    assert_int_equal(e.out.len, 0);
    enc_end(&e);

    /* decoding: 0x8000 in either byte order */
    static const uint8_t over_le[2] = {0x00, 0x80};
    static const uint8_t over_be[2] = {0x80, 0x00};
    int v = 42;
    dec d;
    dec_begin(&d, over_le, 2, RS_LE);
    assert_int_equal(rs_ndr_get_enum(&d.ndr, "color", &v), RS_ERR_ENUM_RANGE);
    assert_int_equal(v, 42);
    assert_non_null(strstr(rs_ndr_error(&d.ndr), "0x8000"));
    dec_end(&d);
    dec_begin(&d, over_be, 2, RS_BE);
    assert_int_equal(rs_ndr_get_enum(&d.ndr, "color", &v), RS_ERR_ENUM_RANGE);
    dec_end(&d);

    static const uint8_t arr_le[6] = {
        0x01, 0x00, /* colors[0] = 1 */
        0xFF, 0xFF, /* colors[1] = 0xFFFF: out of range */
        0x02, 0x00, /* colors[2] = 2 */
    };
    int got[3] = {7, 7, 7};
    dec_begin(&d, arr_le, sizeof arr_le, RS_LE);
    assert_int_equal(rs_ndr_get_array(&d.ndr, "colors", RS_NDR_ENUM, got, 3), RS_ERR_ENUM_RANGE);
    assert_int_equal(got[0], 7); /* nothing was written */
    dec_end(&d);
}

/* ---- alignment ------------------------------------------------------------------------------- */

static void test_alignment(void **state)
{
    (void)state;
    /* Pad bytes are skipped, whatever they hold. */
    static const uint8_t dirty[] = {
        0x01,             /* 0 small 1 */
        0xAA, 0xBB, 0xCC, /* 1 pad to 4: not zero, and ignored */
        0x04, 0x00, 0x00, 0x00, /* 4 long 4 */
    };
    dec d;
    int8_t s;
    int32_t l;
    dec_begin(&d, dirty, sizeof dirty, RS_LE);
    assert_int_equal(rs_ndr_get_small(&d.ndr, "s", &s), RS_OK);
    assert_int_equal(rs_ndr_get_long(&d.ndr, "l", &l), RS_OK);
    assert_int_equal(s, 1);
    assert_int_equal(l, 4);
    dec_end(&d);

    /* An explicit alignment writes zeros and records one padding entry. */
    static const uint8_t aligned[] = {
        0x01,                                     /* 0 byte */
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* 1 pad to 8 */
        0x02,                                     /* 8 byte */
    };
    rs_ndr_layout lay;
    rs_ndr_layout_init(&lay, 16, 256);
    enc e;
    enc_begin(&e, RS_LE);
    rs_ndr_set_layout(&e.ndr, &lay);
    assert_int_equal(rs_ndr_put_byte(&e.ndr, "a", 1), RS_OK);
    assert_int_equal(rs_ndr_align(&e.ndr, 8), RS_OK);
    assert_int_equal(rs_ndr_align(&e.ndr, 8), RS_OK); /* already aligned: nothing */
    assert_int_equal(rs_ndr_put_byte(&e.ndr, "b", 2), RS_OK);
    assert_wrote(&e, aligned, sizeof aligned);
    static const want_field want[] = {
        {"a", "byte", 0, 1, 1, RS_NDR_ROLE_DATA},
        {"", "align 8", 1, 7, 7, RS_NDR_ROLE_PADDING},
        {"b", "byte", 8, 1, 1, RS_NDR_ROLE_DATA},
    };
    assert_layout(&lay, want, 3);
    assert_int_equal(rs_ndr_align(&e.ndr, 3), RS_ERR_INVALID_ARG);
    enc_end(&e);
    rs_ndr_layout_free(&lay);
}

/* Alignment counts from the first byte of the stub data, so the stream insists on it. */
static void test_stream_starts_at_stub_data(void **state)
{
    (void)state;
    rs_buf out;
    rs_ndr ndr;
    rs_buf_init(&out, 64);
    assert_int_equal(rs_buf_put_u8(&out, 5), RS_OK);
    rs_ndr_init_encode(&ndr, &out, RS_LE);
    assert_int_equal(rs_ndr_put_long(&ndr, "x", 1), RS_ERR_INVALID_ARG);
    assert_non_null(strstr(rs_ndr_error(&ndr), "empty"));
    rs_ndr_free(&ndr);
    rs_buf_free(&out);

    static const uint8_t wire[8] = {0};
    rs_buf in;
    uint8_t b;
    rs_buf_view(&in, wire, sizeof wire);
    assert_int_equal(rs_buf_get_u8(&in, &b), RS_OK);
    rs_ndr_init_decode(&ndr, &in, RS_LE);
    assert_int_equal(rs_ndr_get_byte(&ndr, "x", &b), RS_ERR_INVALID_ARG);
    rs_ndr_free(&ndr);
}

static void test_wrong_direction_and_sticky_failure(void **state)
{
    (void)state;
    enc e;
    int32_t v;
    enc_begin(&e, RS_LE);
    assert_int_equal(rs_ndr_get_long(&e.ndr, "x", &v), RS_ERR_INVALID_ARG);
    assert_int_equal(rs_ndr_put_long(&e.ndr, "x", 1), RS_ERR_INVALID_ARG);
    assert_int_equal(e.out.len, 0);
    enc_end(&e);

    dec d;
    static const uint8_t wire[4] = {0x01, 0x00, 0x00, 0x00};
    dec_begin(&d, wire, sizeof wire, RS_LE);
    assert_int_equal(rs_ndr_put_long(&d.ndr, "x", 1), RS_ERR_INVALID_ARG);
    assert_int_equal(rs_ndr_get_long(&d.ndr, "x", &v), RS_ERR_INVALID_ARG);
    assert_int_equal(rs_ndr_offset(&d.ndr), 0);
    dec_end(&d);
}

/* ---- strings --------------------------------------------------------------------------------- */

/* Microsoft's "Hello" tutorial: HelloProc([in, string] unsigned char *pszString) called with
 * "hello, world". The top-level pointer is [ref], so it has no referent id. */
static const uint8_t hello_wire[] = {
    0x0d, 0x00, 0x00, 0x00, /*  0 max_count 13: 12 chars and the terminator */
    0x00, 0x00, 0x00, 0x00, /*  4 offset 0 */
    0x0d, 0x00, 0x00, 0x00, /*  8 actual_count 13 */
    'h', 'e', 'l', 'l', 'o', ',', ' ', 'w', 'o', 'r', 'l', 'd', /* 12 the chars */
    0x00,                   /* 24 the terminator, counted */
};

static rs_status decode_hello(rs_ndr *ndr)
{
    char *s = NULL;
    return rs_ndr_get_string(ndr, "pszString", &s);
}

static void test_string_hello_world(void **state)
{
    (void)state;
    rs_ndr_layout lay;
    rs_ndr_layout_init(&lay, RS_NDR_LAYOUT_DEFAULT_ENTRIES, RS_NDR_LAYOUT_DEFAULT_NAME_BYTES);
    enc e;
    enc_begin(&e, RS_LE);
    rs_ndr_set_layout(&e.ndr, &lay);
    assert_int_equal(rs_ndr_put_string(&e.ndr, "pszString", "hello, world"), RS_OK);
    assert_int_equal(rs_ndr_flush(&e.ndr), RS_OK);
    assert_wrote(&e, hello_wire, sizeof hello_wire);
    static const want_field want[] = {
        {"pszString", "unsigned long", 0, 4, 1, RS_NDR_ROLE_MAX_COUNT},
        {"pszString", "unsigned long", 4, 4, 1, RS_NDR_ROLE_OFFSET},
        {"pszString", "unsigned long", 8, 4, 1, RS_NDR_ROLE_ACTUAL_COUNT},
        {"pszString", "[string] char", 12, 13, 13, RS_NDR_ROLE_DATA},
    };
    assert_layout(&lay, want, 4);
    assert_layout_tiles(&lay, sizeof hello_wire);
    enc_end(&e);

    /* decoding records the same layout */
    rs_ndr_layout_reset(&lay);
    dec d;
    char *s = NULL;
    dec_begin(&d, hello_wire, sizeof hello_wire, RS_LE);
    rs_ndr_set_layout(&d.ndr, &lay);
    assert_int_equal(rs_ndr_get_string(&d.ndr, "pszString", &s), RS_OK);
    assert_string_equal(s, "hello, world");
    assert_layout(&lay, want, 4);
    dec_end(&d);
    rs_ndr_layout_free(&lay);

    check_cuts(hello_wire, sizeof hello_wire, RS_LE, decode_hello);
}

/* Separate-blocks mode (client stubs): after rs_ndr_release() each value is the caller's, freed
 * with free(); before it, or after a failure, the stream frees everything (ASan checks both). */
static void test_separate_blocks_belong_to_the_caller(void **state)
{
    (void)state;
    dec d;
    char *s = NULL, *t = NULL;
    uint8_t two[2 * sizeof hello_wire];
    memcpy(two, hello_wire, sizeof hello_wire);
    memcpy(two + sizeof hello_wire, hello_wire, sizeof hello_wire); /* misaligned: never valid */
    dec_begin(&d, two, sizeof two, RS_LE);
    rs_ndr_set_separate_blocks(&d.ndr);
    assert_int_equal(rs_ndr_get_string(&d.ndr, "a", &s), RS_OK);
    assert_int_equal(rs_ndr_release(&d.ndr), RS_OK);
    dec_end(&d);
    assert_string_equal(s, "hello, world"); /* still valid after the stream is gone */
    free(s);

    /* A failure part-way: the first string was allocated, the second does not decode. */
    dec_begin(&d, two, sizeof two - 3, RS_LE);
    rs_ndr_set_separate_blocks(&d.ndr);
    s = NULL;
    assert_int_equal(rs_ndr_get_string(&d.ndr, "a", &s), RS_OK);
    assert_int_not_equal(rs_ndr_get_string(&d.ndr, "b", &t), RS_OK);
    assert_int_not_equal(rs_ndr_release(&d.ndr), RS_OK); /* nothing is handed over */
    dec_end(&d);                                         /* ... and everything is freed */

    /* release without the mode is refused */
    dec_begin(&d, hello_wire, sizeof hello_wire, RS_LE);
    assert_int_equal(rs_ndr_get_string(&d.ndr, "a", &s), RS_OK);
    assert_int_equal(rs_ndr_release(&d.ndr), RS_ERR_INVALID_ARG);
    dec_end(&d);
}

static void test_string_empty_and_big_endian(void **state)
{
    (void)state;
    static const uint8_t empty_be[] = {
        0x00, 0x00, 0x00, 0x01, /*  0 max_count 1, big-endian */
        0x00, 0x00, 0x00, 0x00, /*  4 offset 0 */
        0x00, 0x00, 0x00, 0x01, /*  8 actual_count 1 */
        0x00,                   /* 12 the terminator alone */
    };
    enc e;
    enc_begin(&e, RS_BE);
    assert_int_equal(rs_ndr_put_string(&e.ndr, "s", ""), RS_OK);
    assert_wrote(&e, empty_be, sizeof empty_be);
    enc_end(&e);

    dec d;
    char *s = NULL;
    dec_begin(&d, empty_be, sizeof empty_be, RS_BE);
    assert_int_equal(rs_ndr_get_string(&d.ndr, "s", &s), RS_OK);
    assert_string_equal(s, "");
    dec_end(&d);
    check_cuts(empty_be, sizeof empty_be, RS_BE, decode_hello);

    enc_begin(&e, RS_LE);
    assert_int_equal(rs_ndr_put_string(&e.ndr, "s", NULL), RS_ERR_NULL_REF);
    assert_int_equal(e.out.len, 0);
    enc_end(&e);
}

static const uint16_t hi_euro[] = {'h', 'i', 0x20AC, 0};

static const uint8_t wstring_le[] = {
    0x04, 0x00, 0x00, 0x00, /*  0 max_count 4: 3 code units and the terminator */
    0x00, 0x00, 0x00, 0x00, /*  4 offset 0 */
    0x04, 0x00, 0x00, 0x00, /*  8 actual_count 4 */
    0x68, 0x00,             /* 12 'h' */
    0x69, 0x00,             /* 14 'i' */
    0xAC, 0x20,             /* 16 U+20AC */
    0x00, 0x00,             /* 18 the terminator */
};

static const uint8_t wstring_be[] = {
    0x00, 0x00, 0x00, 0x04, /*  0 max_count 4 */
    0x00, 0x00, 0x00, 0x00, /*  4 offset 0 */
    0x00, 0x00, 0x00, 0x04, /*  8 actual_count 4 */
    0x00, 0x68,             /* 12 'h' */
    0x00, 0x69,             /* 14 'i' */
    0x20, 0xAC,             /* 16 U+20AC */
    0x00, 0x00,             /* 18 the terminator */
};

static rs_status decode_wstring(rs_ndr *ndr)
{
    uint16_t *s = NULL;
    return rs_ndr_get_wstring(ndr, "w", &s);
}

static void test_wstring(void **state)
{
    (void)state;
    for (int order = RS_LE; order <= RS_BE; order++) {
        const uint8_t *wire = order == RS_LE ? wstring_le : wstring_be;
        enc e;
        enc_begin(&e, (rs_endian)order);
        assert_int_equal(rs_ndr_put_wstring(&e.ndr, "w", hi_euro), RS_OK);
        assert_wrote(&e, wire, sizeof wstring_le);
        enc_end(&e);

        dec d;
        uint16_t *s = NULL;
        dec_begin(&d, wire, sizeof wstring_le, (rs_endian)order);
        assert_int_equal(rs_ndr_get_wstring(&d.ndr, "w", &s), RS_OK);
        assert_memory_equal(s, hi_euro, sizeof hi_euro);
        dec_end(&d);
        check_cuts(wire, sizeof wstring_le, (rs_endian)order, decode_wstring);
    }
}

static void test_string_lies(void **state)
{
    (void)state;
    static const uint8_t actual_over_max[] = {
        0x02, 0x00, 0x00, 0x00, /* max_count 2 */
        0x00, 0x00, 0x00, 0x00, /* offset 0 */
        0x03, 0x00, 0x00, 0x00, /* actual_count 3 > max_count */
        'a', 'b', 0x00,
    };
    static const uint8_t offset_not_zero[] = {
        0x03, 0x00, 0x00, 0x00, /* max_count 3 */
        0x01, 0x00, 0x00, 0x00, /* offset 1: a [string] always starts at 0 */
        0x02, 0x00, 0x00, 0x00, /* actual_count 2 */
        'b', 0x00,
    };
    static const uint8_t actual_zero[] = {
        0x01, 0x00, 0x00, 0x00, /* max_count 1 */
        0x00, 0x00, 0x00, 0x00, /* offset 0 */
        0x00, 0x00, 0x00, 0x00, /* actual_count 0: not even a terminator */
    };
    static const uint8_t no_terminator[] = {
        0x03, 0x00, 0x00, 0x00, /* max_count 3 */
        0x00, 0x00, 0x00, 0x00, /* offset 0 */
        0x03, 0x00, 0x00, 0x00, /* actual_count 3 */
        'a', 'b', 'c',          /* no NUL */
    };
    static const uint8_t early_terminator[] = {
        0x04, 0x00, 0x00, 0x00, /* max_count 4 */
        0x00, 0x00, 0x00, 0x00, /* offset 0 */
        0x04, 0x00, 0x00, 0x00, /* actual_count 4 */
        'a', 0x00, 'b', 0x00,   /* a NUL inside */
    };
    static const uint8_t actual_past_end[] = {
        0x10, 0x00, 0x00, 0x00, /* max_count 16 */
        0x00, 0x00, 0x00, 0x00, /* offset 0 */
        0x10, 0x00, 0x00, 0x00, /* actual_count 16, but 3 bytes follow */
        'a', 'b', 0x00,
    };
    static const uint8_t offset_wraps[] = {
        0x0a, 0x00, 0x00, 0x00, /* max_count 10 */
        0xff, 0xff, 0xff, 0xff, /* offset 0xffffffff: + 2 wraps to 1 in 32 bits */
        0x02, 0x00, 0x00, 0x00, /* actual_count 2 */
        'a', 0x00,
    };
    check_rejects(actual_over_max, sizeof actual_over_max, RS_LE, decode_hello, RS_ERR_NDR);
    check_rejects(offset_not_zero, sizeof offset_not_zero, RS_LE, decode_hello, RS_ERR_NDR);
    check_rejects(actual_zero, sizeof actual_zero, RS_LE, decode_hello, RS_ERR_NDR);
    check_rejects(no_terminator, sizeof no_terminator, RS_LE, decode_hello, RS_ERR_NDR);
    check_rejects(early_terminator, sizeof early_terminator, RS_LE, decode_hello, RS_ERR_NDR);
    check_rejects(actual_past_end, sizeof actual_past_end, RS_LE, decode_hello, RS_ERR_NDR);
    check_rejects(offset_wraps, sizeof offset_wraps, RS_LE, decode_hello, RS_ERR_NDR);

    static const uint8_t wide_no_terminator[] = {
        0x02, 0x00, 0x00, 0x00, /* max_count 2 */
        0x00, 0x00, 0x00, 0x00, /* offset 0 */
        0x02, 0x00, 0x00, 0x00, /* actual_count 2 */
        0x41, 0x00, 0x42, 0x00, /* "AB", no terminator */
    };
    static const uint8_t wide_early_terminator[] = {
        0x03, 0x00, 0x00, 0x00, /* max_count 3 */
        0x00, 0x00, 0x00, 0x00, /* offset 0 */
        0x03, 0x00, 0x00, 0x00, /* actual_count 3 */
        0x00, 0x00, 0x42, 0x00, 0x00, 0x00, /* NUL, 'B', NUL */
    };
    check_rejects(wide_no_terminator, sizeof wide_no_terminator, RS_LE, decode_wstring, RS_ERR_NDR);
    check_rejects(wide_early_terminator, sizeof wide_early_terminator, RS_LE, decode_wstring,
                  RS_ERR_NDR);

    /* The message names the string and the counts. */
    dec d;
    char *s = NULL;
    dec_begin(&d, actual_past_end, sizeof actual_past_end, RS_LE);
    assert_int_equal(rs_ndr_get_string(&d.ndr, "pszString", &s), RS_ERR_NDR);
    assert_null(s);
    assert_string_equal(rs_ndr_error(&d.ndr),
                        "ndr: pszString: actual_count 16 exceeds the 3 bytes left at offset 0x8");
    dec_end(&d);
}

/* ---- arrays ---------------------------------------------------------------------------------- */

static void test_conformant_array(void **state)
{
    (void)state;
    static const int32_t longs[3] = {1, -1, 0x01020304};
    static const uint8_t longs_le[] = {
        0x03, 0x00, 0x00, 0x00, /*  0 max_count 3 */
        0x01, 0x00, 0x00, 0x00, /*  4 [0] 1 */
        0xff, 0xff, 0xff, 0xff, /*  8 [1] -1 */
        0x04, 0x03, 0x02, 0x01, /* 12 [2] 0x01020304 */
    };
    static const uint8_t longs_be[] = {
        0x00, 0x00, 0x00, 0x03, /*  0 max_count 3 */
        0x00, 0x00, 0x00, 0x01, /*  4 [0] */
        0xff, 0xff, 0xff, 0xff, /*  8 [1] */
        0x01, 0x02, 0x03, 0x04, /* 12 [2] */
    };
    for (int order = RS_LE; order <= RS_BE; order++) {
        const uint8_t *wire = order == RS_LE ? longs_le : longs_be;
        enc e;
        enc_begin(&e, (rs_endian)order);
        assert_int_equal(rs_ndr_put_conformant_array(&e.ndr, "a", RS_NDR_LONG, longs, 3), RS_OK);
        assert_wrote(&e, wire, sizeof longs_le);
        enc_end(&e);

        dec d;
        int32_t *got = NULL;
        uint32_t n = 0;
        dec_begin(&d, wire, sizeof longs_le, (rs_endian)order);
        assert_int_equal(rs_ndr_get_conformant_array(&d.ndr, "a", RS_NDR_LONG, &got, &n), RS_OK);
        assert_int_equal(n, 3);
        assert_memory_equal(got, longs, sizeof longs);
        dec_end(&d);
    }

    /* Hyper elements align to 8 after the 4-byte max_count. */
    static const int64_t hypers[2] = {1, -2};
    static const uint8_t hypers_le[] = {
        0x02, 0x00, 0x00, 0x00, /*  0 max_count 2 */
        0x00, 0x00, 0x00, 0x00, /*  4 pad to 8 */
        0x01, 0, 0, 0, 0, 0, 0, 0, /*  8 [0] 1 */
        0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, /* 16 [1] -2 */
    };
    enc e;
    enc_begin(&e, RS_LE);
    assert_int_equal(rs_ndr_put_conformant_array(&e.ndr, "h", RS_NDR_HYPER, hypers, 2), RS_OK);
    assert_wrote(&e, hypers_le, sizeof hypers_le);
    enc_end(&e);

    /* An empty array is its max_count alone and decodes to NULL. */
    static const uint8_t empty[4] = {0x00, 0x00, 0x00, 0x00}; /* max_count 0 */
    dec d;
    int32_t *got = (int32_t *)1;
    uint32_t n = 7;
    dec_begin(&d, empty, sizeof empty, RS_LE);
    assert_int_equal(rs_ndr_get_conformant_array(&d.ndr, "a", RS_NDR_LONG, &got, &n), RS_OK);
    assert_null(got);
    assert_int_equal(n, 0);
    dec_end(&d);
}

static rs_status decode_conformant_longs(rs_ndr *ndr)
{
    int32_t *a = NULL;
    uint32_t n;
    return rs_ndr_get_conformant_array(ndr, "a", RS_NDR_LONG, &a, &n);
}

static void test_conformant_array_lies(void **state)
{
    (void)state;
    static const uint8_t huge[] = {
        0xff, 0xff, 0xff, 0xff, /* max_count 0xffffffff */
        0x01, 0x00, 0x00, 0x00, /* ... and one element's worth of bytes */
    };
    dec d;
    int32_t *a = NULL;
    uint32_t n = 0;
    dec_begin(&d, huge, sizeof huge, RS_LE);
    assert_int_equal(rs_ndr_get_conformant_array(&d.ndr, "pszString", RS_NDR_LONG, &a, &n),
                     RS_ERR_NDR);
    assert_int_equal(d.ndr.mem.bytes, 0); /* rejected before any allocation */
    assert_null(a);
    assert_string_equal(
        rs_ndr_error(&d.ndr),
        "ndr: pszString: max_count 4294967295 exceeds the 4 bytes left at offset 0x0");
    dec_end(&d);

    static const uint8_t valid[] = {
        0x02, 0x00, 0x00, 0x00, /* max_count 2 */
        0x05, 0x00, 0x00, 0x00, /* [0] */
        0x06, 0x00, 0x00, 0x00, /* [1] */
    };
    check_cuts(valid, sizeof valid, RS_LE, decode_conformant_longs);
}

static void test_varying_array(void **state)
{
    (void)state;
    /* long a[5] with [first_is(1), length_is(2)] */
    static const int32_t a[5] = {10, 11, 12, 13, 14};
    static const uint8_t wire[] = {
        0x01, 0x00, 0x00, 0x00, /*  0 offset 1 */
        0x02, 0x00, 0x00, 0x00, /*  4 actual_count 2 */
        0x0b, 0x00, 0x00, 0x00, /*  8 a[1] 11 */
        0x0c, 0x00, 0x00, 0x00, /* 12 a[2] 12 */
    };
    enc e;
    enc_begin(&e, RS_LE);
    assert_int_equal(rs_ndr_put_varying_array(&e.ndr, "a", RS_NDR_LONG, a, 5, 1, 2), RS_OK);
    assert_wrote(&e, wire, sizeof wire);
    assert_int_equal(rs_ndr_put_varying_array(&e.ndr, "a", RS_NDR_LONG, a, 5, 4, 2),
                     RS_ERR_INVALID_ARG); /* past the caller's own array */
    enc_end(&e);

    dec d;
    int32_t got[6] = {-1, -1, -1, -1, -1, -1}; /* 5 elements and a sentinel */
    uint32_t off = 0, act = 0;
    dec_begin(&d, wire, sizeof wire, RS_LE);
    assert_int_equal(rs_ndr_get_varying_array(&d.ndr, "a", RS_NDR_LONG, got, 5, &off, &act), RS_OK);
    assert_int_equal(off, 1);
    assert_int_equal(act, 2);
    static const int32_t want[6] = {-1, 11, 12, -1, -1, -1}; /* only what was sent changed */
    assert_memory_equal(got, want, sizeof want);
    dec_end(&d);

    static const uint8_t past_capacity[] = {
        0x04, 0x00, 0x00, 0x00, /* offset 4 */
        0x02, 0x00, 0x00, 0x00, /* actual_count 2: elements 4 and 5 of a 5-element array */
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    };
    static const uint8_t wraps[] = {
        0xff, 0xff, 0xff, 0xff, /* offset 0xffffffff */
        0x02, 0x00, 0x00, 0x00, /* actual_count 2: the sum wraps to 1 */
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    };
    dec_begin(&d, past_capacity, sizeof past_capacity, RS_LE);
    assert_int_equal(rs_ndr_get_varying_array(&d.ndr, "a", RS_NDR_LONG, got, 5, &off, &act),
                     RS_ERR_NDR);
    assert_memory_equal(got, want, sizeof want);
    dec_end(&d);
    dec_begin(&d, wraps, sizeof wraps, RS_LE);
    assert_int_equal(rs_ndr_get_varying_array(&d.ndr, "a", RS_NDR_LONG, got, 5, &off, &act),
                     RS_ERR_NDR);
    dec_end(&d);
}

static rs_status decode_cv_shorts(rs_ndr *ndr)
{
    int16_t *s = NULL;
    uint32_t max, off, act;
    return rs_ndr_get_cv_array(ndr, "s", RS_NDR_SHORT, &s, &max, &off, &act);
}

static void test_conformant_varying_array(void **state)
{
    (void)state;
    static const int16_t s[4] = {100, 101, 102, 103};
    static const uint8_t wire_be[] = {
        0x00, 0x00, 0x00, 0x04, /*  0 max_count 4 */
        0x00, 0x00, 0x00, 0x01, /*  4 offset 1 */
        0x00, 0x00, 0x00, 0x02, /*  8 actual_count 2 */
        0x00, 0x65,             /* 12 s[1] 101 */
        0x00, 0x66,             /* 14 s[2] 102 */
    };
    enc e;
    enc_begin(&e, RS_BE);
    assert_int_equal(rs_ndr_put_cv_array(&e.ndr, "s", RS_NDR_SHORT, s, 4, 1, 2), RS_OK);
    assert_wrote(&e, wire_be, sizeof wire_be);
    enc_end(&e);

    dec d;
    int16_t *got = NULL;
    uint32_t max = 0, off = 0, act = 0;
    dec_begin(&d, wire_be, sizeof wire_be, RS_BE);
    assert_int_equal(rs_ndr_get_cv_array(&d.ndr, "s", RS_NDR_SHORT, &got, &max, &off, &act), RS_OK);
    assert_int_equal(max, 4);
    assert_int_equal(off, 1);
    assert_int_equal(act, 2);
    static const int16_t want[4] = {0, 101, 102, 0}; /* room for max_count, zero where not sent */
    assert_memory_equal(got, want, sizeof want);
    dec_end(&d);
    check_cuts(wire_be, sizeof wire_be, RS_BE, decode_cv_shorts);

    static const uint8_t actual_over_max[] = {
        0x01, 0x00, 0x00, 0x00, /* max_count 1 */
        0x00, 0x00, 0x00, 0x00, /* offset 0 */
        0x02, 0x00, 0x00, 0x00, /* actual_count 2 > max_count */
        0x01, 0x00, 0x02, 0x00,
    };
    static const uint8_t offset_over_max[] = {
        0x02, 0x00, 0x00, 0x00, /* max_count 2 */
        0x03, 0x00, 0x00, 0x00, /* offset 3 > max_count */
        0x00, 0x00, 0x00, 0x00, /* actual_count 0 */
    };
    static const uint8_t sum_wraps[] = {
        0x0a, 0x00, 0x00, 0x00, /* max_count 10 */
        0xfe, 0xff, 0xff, 0xff, /* offset 0xfffffffe */
        0x04, 0x00, 0x00, 0x00, /* actual_count 4: offset + actual_count wraps to 2 */
        0x01, 0x00, 0x02, 0x00, 0x03, 0x00, 0x04, 0x00,
    };
    static const uint8_t huge_max_count[] = {
        0xff, 0xff, 0xff, 0xff, /* max_count 0xffffffff: 8 GiB of shorts */
        0x00, 0x00, 0x00, 0x00, /* offset 0 */
        0x00, 0x00, 0x00, 0x00, /* actual_count 0: legal, but the allocation is not */
    };
    check_rejects(actual_over_max, sizeof actual_over_max, RS_LE, decode_cv_shorts, RS_ERR_NDR);
    check_rejects(offset_over_max, sizeof offset_over_max, RS_LE, decode_cv_shorts, RS_ERR_NDR);
    check_rejects(sum_wraps, sizeof sum_wraps, RS_LE, decode_cv_shorts, RS_ERR_NDR);
    check_rejects(huge_max_count, sizeof huge_max_count, RS_LE, decode_cv_shorts, RS_ERR_LIMIT);

    dec_begin(&d, huge_max_count, sizeof huge_max_count, RS_LE);
    assert_int_equal(decode_cv_shorts(&d.ndr), RS_ERR_LIMIT);
    assert_int_equal(d.ndr.mem.bytes, 0);
    assert_non_null(strstr(rs_ndr_error(&d.ndr), "allocation limit"));
    dec_end(&d);
}

/* One value of type t from memory, through the scalar call for that type. */
static rs_status put_one(rs_ndr *ndr, rs_ndr_prim t, const void *p)
{
    switch (t) {
    case RS_NDR_BOOLEAN: return rs_ndr_put_boolean(ndr, "e", *(const uint8_t *)p);
    case RS_NDR_BYTE: return rs_ndr_put_byte(ndr, "e", *(const uint8_t *)p);
    case RS_NDR_CHAR: return rs_ndr_put_char(ndr, "e", *(const char *)p);
    case RS_NDR_SMALL: return rs_ndr_put_small(ndr, "e", *(const int8_t *)p);
    case RS_NDR_USMALL: return rs_ndr_put_usmall(ndr, "e", *(const uint8_t *)p);
    case RS_NDR_SHORT: return rs_ndr_put_short(ndr, "e", *(const int16_t *)p);
    case RS_NDR_USHORT: return rs_ndr_put_ushort(ndr, "e", *(const uint16_t *)p);
    case RS_NDR_LONG: return rs_ndr_put_long(ndr, "e", *(const int32_t *)p);
    case RS_NDR_ULONG: return rs_ndr_put_ulong(ndr, "e", *(const uint32_t *)p);
    case RS_NDR_HYPER: return rs_ndr_put_hyper(ndr, "e", *(const int64_t *)p);
    case RS_NDR_UHYPER: return rs_ndr_put_uhyper(ndr, "e", *(const uint64_t *)p);
    case RS_NDR_FLOAT: return rs_ndr_put_float(ndr, "e", *(const float *)p);
    case RS_NDR_DOUBLE: return rs_ndr_put_double(ndr, "e", *(const double *)p);
    case RS_NDR_WCHAR: return rs_ndr_put_wchar(ndr, "e", *(const uint16_t *)p);
    case RS_NDR_ERROR_STATUS: return rs_ndr_put_error_status(ndr, "e", *(const uint32_t *)p);
    case RS_NDR_ENUM: return rs_ndr_put_enum(ndr, "e", *(const int *)p);
    case RS_NDR_V1_ENUM: return rs_ndr_put_v1_enum(ndr, "e", *(const int *)p);
    default: return RS_ERR_INVALID_ARG;
    }
}

/* Five values of type t in memory: arbitrary bytes, but enums in range and booleans 0 or 1 (what
 * a C bool may hold). */
static void fill_elems(rs_ndr_prim t, void *mem, size_t size)
{
    uint8_t *p = mem;
    for (size_t i = 0; i < size; i++)
        p[i] = (uint8_t)(i * 37 + 11);
    if (t == RS_NDR_BOOLEAN) {
        static const uint8_t b[5] = {0, 1, 1, 0, 1};
        memcpy(mem, b, sizeof b);
    } else if (t == RS_NDR_ENUM) {
        static const int e[5] = {0, 1, 0x7FFF, 300, 2};
        memcpy(mem, e, sizeof e);
    } else if (t == RS_NDR_V1_ENUM) {
        static const int e[5] = {0, -1, 0x7FFFFFFF, -300, 2};
        memcpy(mem, e, sizeof e);
    }
}

/* For every primitive type and both byte orders: the bulk block has exactly the bytes of the
 * element-by-element scalar calls, and decodes back to the same memory without spilling. */
static void test_arrays_of_every_type(void **state)
{
    (void)state;
    for (int t = 0; t < RS_NDR_PRIM_COUNT; t++) {
        size_t mem = rs_ndr_prim_mem_size((rs_ndr_prim)t);
        uint8_t src[5 * 8];
        fill_elems((rs_ndr_prim)t, src, 5 * mem);
        for (int order = RS_LE; order <= RS_BE; order++) {
            enc bulk, one;
            enc_begin(&bulk, (rs_endian)order);
            enc_begin(&one, (rs_endian)order);
            assert_int_equal(rs_ndr_put_array(&bulk.ndr, "a", (rs_ndr_prim)t, src, 5), RS_OK);
            for (size_t i = 0; i < 5; i++)
                assert_int_equal(put_one(&one.ndr, (rs_ndr_prim)t, src + i * mem), RS_OK);
            assert_int_equal(bulk.out.len, 5 * rs_ndr_prim_wire_size((rs_ndr_prim)t));
            assert_wrote(&bulk, one.out.data, one.out.len);

            uint8_t got[6 * 8];
            memset(got, 0xEE, sizeof got);
            dec d;
            dec_begin(&d, bulk.out.data, bulk.out.len, (rs_endian)order);
            assert_int_equal(rs_ndr_get_array(&d.ndr, "a", (rs_ndr_prim)t, got, 5), RS_OK);
            assert_memory_equal(got, src, 5 * mem);
            for (size_t i = 5 * mem; i < sizeof got; i++)
                assert_int_equal(got[i], 0xEE); /* the bytes after the output are untouched */
            dec_end(&d);
            enc_end(&bulk);
            enc_end(&one);
        }
    }
}

/* A block of primitives is one layout entry, however long. */
static void test_bulk_block_is_one_entry(void **state)
{
    (void)state;
    enum { N = 100000 };
    int32_t *big = malloc(N * sizeof *big);
    assert_non_null(big);
    for (int32_t i = 0; i < N; i++)
        big[i] = i * 7;
    rs_ndr_layout lay;
    rs_ndr_layout_init(&lay, 8, 256);
    for (int order = RS_LE; order <= RS_BE; order++) {
        enc e;
        rs_ndr_layout_reset(&lay);
        enc_begin(&e, (rs_endian)order);
        rs_ndr_set_layout(&e.ndr, &lay);
        assert_int_equal(rs_ndr_put_conformant_array(&e.ndr, "big", RS_NDR_LONG, big, N), RS_OK);
        static const want_field want[] = {
            {"big", "unsigned long", 0, 4, 1, RS_NDR_ROLE_MAX_COUNT},
            {"big", "long", 4, 4 * N, N, RS_NDR_ROLE_DATA},
        };
        assert_layout(&lay, want, 2);

        dec d;
        int32_t *got = NULL;
        uint32_t n = 0;
        dec_begin(&d, e.out.data, e.out.len, (rs_endian)order);
        assert_int_equal(rs_ndr_get_conformant_array(&d.ndr, "big", RS_NDR_LONG, &got, &n), RS_OK);
        assert_int_equal(n, N);
        assert_memory_equal(got, big, N * sizeof *big);
        dec_end(&d);
        enc_end(&e);
    }
    rs_ndr_layout_free(&lay);
    free(big);
}

/* ---- a conformant structure ------------------------------------------------------------------ */

/* MS-DTYP 2.4.2.3 RPC_SID:
 *   typedef struct _RPC_SID {
 *       unsigned char Revision;
 *       unsigned char SubAuthorityCount;
 *       RPC_SID_IDENTIFIER_AUTHORITY IdentifierAuthority;       -- 6 bytes
 *       [size_is(SubAuthorityCount)] unsigned long SubAuthority[];
 *   } RPC_SID;
 * The last member is conformant, so its max_count moves to the front of the structure. */
typedef struct rpc_sid {
    uint8_t revision;
    uint8_t sub_authority_count;
    uint8_t identifier_authority[6];
    uint32_t sub_authority[];
} rpc_sid;

/* S-1-5-32-544, BUILTIN\Administrators, as LSA and SAMR send it. */
static const uint8_t sid_wire[] = {
    0x02, 0x00, 0x00, 0x00,             /*  0 max_count 2 of SubAuthority, hoisted */
    0x01,                               /*  4 Revision 1 */
    0x02,                               /*  5 SubAuthorityCount 2 */
    0x00, 0x00, 0x00, 0x00, 0x00, 0x05, /*  6 IdentifierAuthority {0,0,0,0,0,5}: NT authority */
    0x20, 0x00, 0x00, 0x00,             /* 12 SubAuthority[0] 32: BUILTIN */
    0x20, 0x02, 0x00, 0x00,             /* 16 SubAuthority[1] 544: Administrators */
};

static rs_status put_sid(rs_ndr *ndr, const char *name, const void *obj)
{
    const rpc_sid *sid = obj;
    rs_status st = rs_ndr_enter(ndr, name);
    if (st == RS_OK) st = rs_ndr_put_conformance(ndr, "SubAuthority", sid->sub_authority_count);
    if (st == RS_OK) st = rs_ndr_align(ndr, 4); /* the structure's alignment, after max_count */
    if (st == RS_OK) st = rs_ndr_put_usmall(ndr, "Revision", sid->revision);
    if (st == RS_OK) st = rs_ndr_put_usmall(ndr, "SubAuthorityCount", sid->sub_authority_count);
    if (st == RS_OK)
        st = rs_ndr_put_array(ndr, "IdentifierAuthority", RS_NDR_BYTE,
                              sid->identifier_authority, 6);
    if (st == RS_OK)
        st = rs_ndr_put_array(ndr, "SubAuthority", RS_NDR_ULONG, sid->sub_authority,
                              sid->sub_authority_count);
    if (st == RS_OK) st = rs_ndr_leave(ndr);
    return st;
}

/* The size is known only from the hoisted max_count, so this allocates the referent itself. */
static rs_status get_sid(rs_ndr *ndr, const char *name, void *slot)
{
    uint32_t n = 0;
    void *mem = NULL;
    rpc_sid *sid = NULL;
    rs_status st = rs_ndr_enter(ndr, name);
    if (st == RS_OK) st = rs_ndr_get_conformance(ndr, "SubAuthority", 4, &n);
    if (st == RS_OK) st = rs_ndr_align(ndr, 4);
    if (st == RS_OK) st = rs_ndr_alloc(ndr, name, sizeof *sid + (size_t)n * sizeof(uint32_t), &mem);
    if (st == RS_OK) {
        sid = mem;
        st = rs_ndr_get_usmall(ndr, "Revision", &sid->revision);
    }
    if (st == RS_OK) st = rs_ndr_get_usmall(ndr, "SubAuthorityCount", &sid->sub_authority_count);
    if (st == RS_OK && sid->sub_authority_count != n)
        st = rs_ndr_fail(ndr, RS_ERR_NDR, "ndr: SubAuthorityCount %u disagrees with max_count %u",
                         (unsigned)sid->sub_authority_count, (unsigned)n);
    if (st == RS_OK)
        st = rs_ndr_get_array(ndr, "IdentifierAuthority", RS_NDR_BYTE,
                              sid->identifier_authority, 6);
    if (st == RS_OK)
        st = rs_ndr_get_array(ndr, "SubAuthority", RS_NDR_ULONG, sid->sub_authority, n);
    if (st == RS_OK) st = rs_ndr_leave(ndr);
    if (st == RS_OK)
        memcpy(slot, &sid, sizeof sid);
    return st;
}

static rs_status decode_sid(rs_ndr *ndr)
{
    rpc_sid *sid = NULL;
    rs_status st = rs_ndr_get_ref(ndr, "sid", &sid, RS_NDR_SIZE_FROM_WIRE, get_sid);
    if (st == RS_OK)
        st = rs_ndr_flush(ndr);
    return st;
}

static void test_conformant_structure_rpc_sid(void **state)
{
    (void)state;
    rpc_sid *sid = malloc(sizeof *sid + 2 * sizeof(uint32_t));
    assert_non_null(sid);
    sid->revision = 1;
    sid->sub_authority_count = 2;
    memcpy(sid->identifier_authority, "\0\0\0\0\0\5", 6);
    sid->sub_authority[0] = 32;
    sid->sub_authority[1] = 544;

    rs_ndr_layout lay;
    rs_ndr_layout_init(&lay, 64, 1024);
    enc e;
    enc_begin(&e, RS_LE);
    rs_ndr_set_layout(&e.ndr, &lay);
    /* [in] PRPC_SID Sid: a top-level [ref] pointer, so no referent id */
    assert_int_equal(rs_ndr_put_ref(&e.ndr, "sid", sid, put_sid), RS_OK);
    assert_int_equal(rs_ndr_flush(&e.ndr), RS_OK);
    assert_wrote(&e, sid_wire, sizeof sid_wire);
    static const want_field want[] = {
        {"sid->SubAuthority", "unsigned long", 0, 4, 1, RS_NDR_ROLE_MAX_COUNT},
        {"sid->Revision", "unsigned small", 4, 1, 1, RS_NDR_ROLE_DATA},
        {"sid->SubAuthorityCount", "unsigned small", 5, 1, 1, RS_NDR_ROLE_DATA},
        {"sid->IdentifierAuthority", "byte", 6, 6, 6, RS_NDR_ROLE_DATA},
        {"sid->SubAuthority", "unsigned long", 12, 8, 2, RS_NDR_ROLE_DATA},
    };
    assert_layout(&lay, want, 5);
    enc_end(&e);
    rs_ndr_layout_free(&lay);

    dec d;
    rpc_sid *got = NULL;
    dec_begin(&d, sid_wire, sizeof sid_wire, RS_LE);
    assert_int_equal(rs_ndr_get_ref(&d.ndr, "sid", &got, RS_NDR_SIZE_FROM_WIRE, get_sid), RS_OK);
    assert_int_equal(rs_ndr_flush(&d.ndr), RS_OK);
    assert_non_null(got);
    assert_int_equal(got->revision, 1);
    assert_int_equal(got->sub_authority_count, 2);
    assert_memory_equal(got->identifier_authority, sid->identifier_authority, 6);
    assert_int_equal(got->sub_authority[0], 32);
    assert_int_equal(got->sub_authority[1], 544);
    dec_end(&d);
    free(sid);

    check_cuts(sid_wire, sizeof sid_wire, RS_LE, decode_sid);

    /* A SubAuthorityCount that disagrees with the hoisted max_count is the stub's to reject. */
    uint8_t lying[sizeof sid_wire];
    memcpy(lying, sid_wire, sizeof lying);
    lying[5] = 3;
    check_rejects(lying, sizeof lying, RS_LE, decode_sid, RS_ERR_NDR);
    /* A max_count that the bytes left cannot hold is rejected before the allocation. */
    memcpy(lying, sid_wire, sizeof lying);
    lying[0] = 0xff;
    lying[1] = 0xff;
    check_rejects(lying, sizeof lying, RS_LE, decode_sid, RS_ERR_NDR);
}

/* A conformant structure aligned to 8: max_count first, then the pad to the structure's
 * alignment -- not the other way round. */
static void test_conformant_structure_aligned_to_8(void **state)
{
    (void)state;
    /* struct { hyper h; [size_is(2)] short a[]; } */
    static const int16_t a[2] = {7, 8};
    static const uint8_t wire[] = {
        0x02, 0x00, 0x00, 0x00, /*  0 max_count 2 of a, hoisted */
        0x00, 0x00, 0x00, 0x00, /*  4 pad to 8, the structure's alignment */
        0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /*  8 h 1 */
        0x07, 0x00,             /* 16 a[0] */
        0x08, 0x00,             /* 18 a[1] */
    };
    enc e;
    enc_begin(&e, RS_LE);
    assert_int_equal(rs_ndr_enter(&e.ndr, "s"), RS_OK);
    assert_int_equal(rs_ndr_put_conformance(&e.ndr, "a", 2), RS_OK);
    assert_int_equal(rs_ndr_align(&e.ndr, 8), RS_OK);
    assert_int_equal(rs_ndr_put_hyper(&e.ndr, "h", 1), RS_OK);
    assert_int_equal(rs_ndr_put_array(&e.ndr, "a", RS_NDR_SHORT, a, 2), RS_OK);
    assert_int_equal(rs_ndr_leave(&e.ndr), RS_OK);
    assert_wrote(&e, wire, sizeof wire);
    enc_end(&e);

    dec d;
    uint32_t n = 0;
    int64_t h = 0;
    int16_t got[2] = {0, 0};
    dec_begin(&d, wire, sizeof wire, RS_LE);
    assert_int_equal(rs_ndr_enter(&d.ndr, "s"), RS_OK);
    assert_int_equal(rs_ndr_get_conformance(&d.ndr, "a", 2, &n), RS_OK);
    assert_int_equal(rs_ndr_align(&d.ndr, 8), RS_OK);
    assert_int_equal(rs_ndr_get_hyper(&d.ndr, "h", &h), RS_OK);
    assert_int_equal(n, 2);
    assert_int_equal(rs_ndr_get_array(&d.ndr, "a", RS_NDR_SHORT, got, n), RS_OK);
    assert_int_equal(rs_ndr_leave(&d.ndr), RS_OK);
    assert_int_equal(h, 1);
    assert_memory_equal(got, a, sizeof a);
    dec_end(&d);
}

/* ---- unions ---------------------------------------------------------------------------------- */

/* long l = 7; then a union whose arm 1 is hyper h = 0x1122334455667788. */
static const int64_t arm = 0x1122334455667788;

/* Non-encapsulated, [switch_is(type)] union { [case(1)] hyper h; } u: the discriminant right
 * where it falls, aligned to a short; the arm aligned to 8. */
static const uint8_t nonencap_wire[] = {
    0x07, 0x00, 0x00, 0x00, /*  0 l 7 */
    0x01, 0x00,             /*  4 discriminant 1, a short */
    0x00, 0x00,             /*  6 pad to 8 for the arm */
    0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11, /* 8 u.h */
};

/* Encapsulated, union switch (short type) u { case 1: hyper h; }: a structure, aligned to its
 * largest member (the hyper arm) before the discriminant. */
static const uint8_t encap_wire[] = {
    0x07, 0x00, 0x00, 0x00, /*  0 l 7 */
    0x00, 0x00, 0x00, 0x00, /*  4 pad to 8, the encapsulated union's alignment */
    0x01, 0x00,             /*  8 u.type 1 */
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* 10 pad to 8 for the arm */
    0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11, /* 16 u.h */
};

static rs_status put_nonencap(rs_ndr *ndr, int64_t type)
{
    rs_status st = rs_ndr_put_long(ndr, "l", 7);
    if (st == RS_OK) st = rs_ndr_put_discriminant(ndr, "u", RS_NDR_SHORT, type);
    if (st == RS_OK) st = rs_ndr_enter(ndr, "u");
    if (st == RS_OK) st = rs_ndr_put_hyper(ndr, "h", arm);
    if (st == RS_OK) st = rs_ndr_leave(ndr);
    return st;
}

static rs_status get_nonencap(rs_ndr *ndr)
{
    int32_t l;
    int64_t type = 0, h = 0;
    rs_status st = rs_ndr_get_long(ndr, "l", &l);
    if (st == RS_OK) st = rs_ndr_get_discriminant(ndr, "u", RS_NDR_SHORT, &type);
    if (st == RS_OK && type != 1)
        st = rs_ndr_fail(ndr, RS_ERR_NDR, "ndr: u: discriminant %lld selects no arm",
                         (long long)type);
    if (st == RS_OK) st = rs_ndr_enter(ndr, "u");
    if (st == RS_OK) st = rs_ndr_get_hyper(ndr, "h", &h);
    if (st == RS_OK) st = rs_ndr_leave(ndr);
    if (st == RS_OK && (l != 7 || h != arm))
        st = RS_ERR_INVALID_ARG; /* not expected: the test fails on it */
    return st;
}

static rs_status put_encap(rs_ndr *ndr)
{
    rs_status st = rs_ndr_put_long(ndr, "l", 7);
    if (st == RS_OK) st = rs_ndr_enter(ndr, "u");
    if (st == RS_OK) st = rs_ndr_align(ndr, 8);
    if (st == RS_OK) st = rs_ndr_put_discriminant(ndr, "type", RS_NDR_SHORT, 1);
    if (st == RS_OK) st = rs_ndr_put_hyper(ndr, "h", arm);
    if (st == RS_OK) st = rs_ndr_leave(ndr);
    return st;
}

static rs_status get_encap(rs_ndr *ndr)
{
    int32_t l;
    int64_t type = 0, h = 0;
    rs_status st = rs_ndr_get_long(ndr, "l", &l);
    if (st == RS_OK) st = rs_ndr_enter(ndr, "u");
    if (st == RS_OK) st = rs_ndr_align(ndr, 8);
    if (st == RS_OK) st = rs_ndr_get_discriminant(ndr, "type", RS_NDR_SHORT, &type);
    if (st == RS_OK && type != 1)
        st = rs_ndr_fail(ndr, RS_ERR_NDR, "ndr: u: discriminant %lld selects no arm",
                         (long long)type);
    if (st == RS_OK) st = rs_ndr_get_hyper(ndr, "h", &h);
    if (st == RS_OK) st = rs_ndr_leave(ndr);
    if (st == RS_OK && (l != 7 || h != arm))
        st = RS_ERR_INVALID_ARG;
    return st;
}

static void test_union_non_encapsulated(void **state)
{
    (void)state;
    rs_ndr_layout lay;
    rs_ndr_layout_init(&lay, 64, 1024);
    enc e;
    enc_begin(&e, RS_LE);
    rs_ndr_set_layout(&e.ndr, &lay);
    assert_int_equal(put_nonencap(&e.ndr, 1), RS_OK);
    assert_wrote(&e, nonencap_wire, sizeof nonencap_wire);
    static const want_field want[] = {
        {"l", "long", 0, 4, 1, RS_NDR_ROLE_DATA},
        {"u", "short", 4, 2, 1, RS_NDR_ROLE_DISCRIMINANT},
        {"u.h", "align 8", 6, 2, 2, RS_NDR_ROLE_PADDING},
        {"u.h", "hyper", 8, 8, 1, RS_NDR_ROLE_DATA},
    };
    assert_layout(&lay, want, 4);
    enc_end(&e);
    rs_ndr_layout_free(&lay);

    check_cuts(nonencap_wire, sizeof nonencap_wire, RS_LE, get_nonencap);

    uint8_t other[sizeof nonencap_wire];
    memcpy(other, nonencap_wire, sizeof other);
    other[4] = 2; /* a discriminant with no arm */
    dec d;
    dec_begin(&d, other, sizeof other, RS_LE);
    assert_int_equal(get_nonencap(&d.ndr), RS_ERR_NDR);
    assert_string_equal(rs_ndr_error(&d.ndr), "ndr: u: discriminant 2 selects no arm");
    dec_end(&d);
}

static void test_union_encapsulated(void **state)
{
    (void)state;
    rs_ndr_layout lay;
    rs_ndr_layout_init(&lay, 64, 1024);
    enc e;
    enc_begin(&e, RS_LE);
    rs_ndr_set_layout(&e.ndr, &lay);
    assert_int_equal(put_encap(&e.ndr), RS_OK);
    assert_wrote(&e, encap_wire, sizeof encap_wire);
    static const want_field want[] = {
        {"l", "long", 0, 4, 1, RS_NDR_ROLE_DATA},
        {"u", "align 8", 4, 4, 4, RS_NDR_ROLE_PADDING},
        {"u.type", "short", 8, 2, 1, RS_NDR_ROLE_DISCRIMINANT},
        {"u.h", "align 8", 10, 6, 6, RS_NDR_ROLE_PADDING},
        {"u.h", "hyper", 16, 8, 1, RS_NDR_ROLE_DATA},
    };
    assert_layout(&lay, want, 5);
    assert_layout_tiles(&lay, sizeof encap_wire);
    enc_end(&e);
    rs_ndr_layout_free(&lay);
    check_cuts(encap_wire, sizeof encap_wire, RS_LE, get_encap);

    /* At offset 0: the discriminant's 2 bytes, 6 pad bytes, the 8-byte arm. */
    static const uint8_t at_zero[] = {
        0x01, 0x00,                         /* 0 type 1 */
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* 2 pad to 8 */
        0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11, /* 8 h */
    };
    enc_begin(&e, RS_LE);
    assert_int_equal(rs_ndr_enter(&e.ndr, "u"), RS_OK);
    assert_int_equal(rs_ndr_align(&e.ndr, 8), RS_OK);
    assert_int_equal(rs_ndr_put_discriminant(&e.ndr, "type", RS_NDR_SHORT, 1), RS_OK);
    assert_int_equal(rs_ndr_put_hyper(&e.ndr, "h", arm), RS_OK);
    assert_int_equal(rs_ndr_leave(&e.ndr), RS_OK);
    assert_wrote(&e, at_zero, sizeof at_zero);
    enc_end(&e);
}

static void test_discriminant_types(void **state)
{
    (void)state;
    enc e;
    enc_begin(&e, RS_LE);
    assert_int_equal(rs_ndr_put_discriminant(&e.ndr, "u", RS_NDR_SHORT, 40000), RS_ERR_INVALID_ARG);
    enc_end(&e);
    enc_begin(&e, RS_LE);
    assert_int_equal(rs_ndr_put_discriminant(&e.ndr, "u", RS_NDR_USHORT, -1), RS_ERR_INVALID_ARG);
    enc_end(&e);
    enc_begin(&e, RS_LE);
    assert_int_equal(rs_ndr_put_discriminant(&e.ndr, "u", RS_NDR_ENUM, 0x8000), RS_ERR_ENUM_RANGE);
    enc_end(&e);
    enc_begin(&e, RS_LE);
    assert_int_equal(rs_ndr_put_discriminant(&e.ndr, "u", RS_NDR_HYPER, 1), RS_ERR_INVALID_ARG);
    enc_end(&e);

    static const uint8_t wire_be[] = {
        0xFF, 0xFF,             /* 0 short -1 */
        0xFF, 0xFF,             /* 2 unsigned short 65535 */
        0x80, 0x00, 0x00, 0x00, /* 4 long INT32_MIN */
        0xFF, 0xFF, 0xFF, 0xFF, /* 8 unsigned long 0xFFFFFFFF */
        0x7F, 0xFF,             /* 12 enum 0x7FFF */
        0x80, 0x00,             /* 14 enum 0x8000: out of range */
    };
    enc_begin(&e, RS_BE);
    assert_int_equal(rs_ndr_put_discriminant(&e.ndr, "a", RS_NDR_SHORT, -1), RS_OK);
    assert_int_equal(rs_ndr_put_discriminant(&e.ndr, "b", RS_NDR_USHORT, 65535), RS_OK);
    assert_int_equal(rs_ndr_put_discriminant(&e.ndr, "c", RS_NDR_LONG, INT32_MIN), RS_OK);
    assert_int_equal(rs_ndr_put_discriminant(&e.ndr, "d", RS_NDR_ULONG, 0xFFFFFFFF), RS_OK);
    assert_int_equal(rs_ndr_put_discriminant(&e.ndr, "e", RS_NDR_ENUM, 0x7FFF), RS_OK);
    assert_wrote(&e, wire_be, 14);
    enc_end(&e);

    dec d;
    int64_t v = 0;
    dec_begin(&d, wire_be, sizeof wire_be, RS_BE);
    assert_int_equal(rs_ndr_get_discriminant(&d.ndr, "a", RS_NDR_SHORT, &v), RS_OK);
    assert_int_equal(v, -1);
    assert_int_equal(rs_ndr_get_discriminant(&d.ndr, "b", RS_NDR_USHORT, &v), RS_OK);
    assert_int_equal(v, 65535);
    assert_int_equal(rs_ndr_get_discriminant(&d.ndr, "c", RS_NDR_LONG, &v), RS_OK);
    assert_true(v == INT32_MIN);
    assert_int_equal(rs_ndr_get_discriminant(&d.ndr, "d", RS_NDR_ULONG, &v), RS_OK);
    assert_true(v == 0xFFFFFFFF);
    assert_int_equal(rs_ndr_get_discriminant(&d.ndr, "e", RS_NDR_ENUM, &v), RS_OK);
    assert_int_equal(v, 0x7FFF);
    assert_int_equal(rs_ndr_get_discriminant(&d.ndr, "f", RS_NDR_ENUM, &v), RS_ERR_ENUM_RANGE);
    dec_end(&d);
}

/* ---- context handles ------------------------------------------------------------------------- */

static const uint8_t handle_le[] = {
    0x01,                   /*  0 byte 1 */
    0x00, 0x00, 0x00,       /*  1 pad to 4 */
    0x00, 0x00, 0x00, 0x00, /*  4 h.attributes 0 */
    0x78, 0x56, 0x34, 0x12, /*  8 h.uuid time_low 0x12345678 */
    0xbc, 0x9a,             /* 12 time_mid 0x9abc */
    0xf0, 0xde,             /* 14 time_hi_and_version 0xdef0 */
    0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0, /* 16 clock_seq and node, as they are */
};

static const uint8_t handle_be[] = {
    0x01,                   /*  0 byte 1 */
    0x00, 0x00, 0x00,       /*  1 pad to 4 */
    0x00, 0x00, 0x00, 0x00, /*  4 h.attributes 0 */
    0x12, 0x34, 0x56, 0x78, /*  8 time_low */
    0x9a, 0xbc,             /* 12 time_mid */
    0xde, 0xf0,             /* 14 time_hi_and_version */
    0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0, /* 16 clock_seq and node */
};

static rs_status decode_handle(rs_ndr *ndr)
{
    uint8_t b;
    rs_ndr_context_handle h;
    rs_status st = rs_ndr_get_byte(ndr, "b", &b);
    if (st == RS_OK)
        st = rs_ndr_get_context_handle(ndr, "h", &h);
    return st;
}

static void test_context_handle(void **state)
{
    (void)state;
    rs_ndr_context_handle h = {.attributes = 0};
    assert_int_equal(rs_uuid_parse("12345678-9abc-def0-1234-56789abcdef0", &h.uuid), RS_OK);
    for (int order = RS_LE; order <= RS_BE; order++) {
        const uint8_t *wire = order == RS_LE ? handle_le : handle_be;
        rs_ndr_layout lay;
        rs_ndr_layout_init(&lay, 64, 1024);
        enc e;
        enc_begin(&e, (rs_endian)order);
        rs_ndr_set_layout(&e.ndr, &lay);
        assert_int_equal(rs_ndr_put_byte(&e.ndr, "b", 1), RS_OK);
        assert_int_equal(rs_ndr_put_context_handle(&e.ndr, "h", &h), RS_OK);
        assert_wrote(&e, wire, sizeof handle_le);
        static const want_field want[] = {
            {"b", "byte", 0, 1, 1, RS_NDR_ROLE_DATA},
            {"h.attributes", "align 4", 1, 3, 3, RS_NDR_ROLE_PADDING},
            {"h.attributes", "unsigned long", 4, 4, 1, RS_NDR_ROLE_DATA},
            {"h.uuid", "uuid", 8, 16, 1, RS_NDR_ROLE_DATA},
        };
        assert_layout(&lay, want, 4);
        enc_end(&e);
        rs_ndr_layout_free(&lay);

        struct {
            rs_ndr_context_handle h;
            uint32_t after;
        } got = {.after = 0xCAFEF00D};
        uint8_t b = 0;
        dec d;
        dec_begin(&d, wire, sizeof handle_le, (rs_endian)order);
        assert_int_equal(rs_ndr_get_byte(&d.ndr, "b", &b), RS_OK);
        assert_int_equal(rs_ndr_get_context_handle(&d.ndr, "h", &got.h), RS_OK);
        assert_int_equal(got.h.attributes, 0);
        assert_int_equal(rs_uuid_compare(&got.h.uuid, &h.uuid), 0);
        assert_int_equal(got.after, 0xCAFEF00D);
        dec_end(&d);
        check_cuts(wire, sizeof handle_le, (rs_endian)order, decode_handle);
    }
}

/* ---- the layout record ----------------------------------------------------------------------- */

/* short x; struct s { small a; long b; hyper c; } -- the structure aligns to 8. */
static const uint8_t padded_wire[] = {
    0x01, 0x00,                         /*  0 x 1 */
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /*  2 pad to 8: s's alignment */
    0x02,                               /*  8 s.a 2 */
    0x00, 0x00, 0x00,                   /*  9 pad to 4 */
    0x03, 0x00, 0x00, 0x00,             /* 12 s.b 3 */
    0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* 16 s.c 4 */
};

static const want_field padded_layout[] = {
    {"x", "short", 0, 2, 1, RS_NDR_ROLE_DATA},
    {"s", "align 8", 2, 6, 6, RS_NDR_ROLE_PADDING},
    {"s.a", "small", 8, 1, 1, RS_NDR_ROLE_DATA},
    {"s.b", "align 4", 9, 3, 3, RS_NDR_ROLE_PADDING},
    {"s.b", "long", 12, 4, 1, RS_NDR_ROLE_DATA},
    {"s.c", "hyper", 16, 8, 1, RS_NDR_ROLE_DATA},
};

static rs_status decode_padded(rs_ndr *ndr)
{
    int16_t x;
    int8_t a;
    int32_t b;
    int64_t c;
    rs_status st = rs_ndr_get_short(ndr, "x", &x);
    if (st == RS_OK) st = rs_ndr_enter(ndr, "s");
    if (st == RS_OK) st = rs_ndr_align(ndr, 8);
    if (st == RS_OK) st = rs_ndr_get_small(ndr, "a", &a);
    if (st == RS_OK) st = rs_ndr_get_long(ndr, "b", &b);
    if (st == RS_OK) st = rs_ndr_get_hyper(ndr, "c", &c);
    if (st == RS_OK) st = rs_ndr_leave(ndr);
    return st;
}

static void test_layout_struct_with_padding(void **state)
{
    (void)state;
    rs_ndr_layout lay;
    rs_ndr_layout_init(&lay, RS_NDR_LAYOUT_DEFAULT_ENTRIES, RS_NDR_LAYOUT_DEFAULT_NAME_BYTES);
    enc e;
    enc_begin(&e, RS_LE);
    rs_ndr_set_layout(&e.ndr, &lay);
    assert_int_equal(rs_ndr_put_short(&e.ndr, "x", 1), RS_OK);
    assert_int_equal(rs_ndr_enter(&e.ndr, "s"), RS_OK);
    assert_int_equal(rs_ndr_align(&e.ndr, 8), RS_OK);
    assert_int_equal(rs_ndr_put_small(&e.ndr, "a", 2), RS_OK);
    assert_int_equal(rs_ndr_put_long(&e.ndr, "b", 3), RS_OK);
    assert_int_equal(rs_ndr_put_hyper(&e.ndr, "c", 4), RS_OK);
    assert_int_equal(rs_ndr_leave(&e.ndr), RS_OK);
    assert_wrote(&e, padded_wire, sizeof padded_wire);
    assert_layout(&lay, padded_layout, sizeof padded_layout / sizeof padded_layout[0]);
    assert_layout_tiles(&lay, sizeof padded_wire);
    enc_end(&e);

    rs_ndr_layout_reset(&lay);
    dec d;
    dec_begin(&d, padded_wire, sizeof padded_wire, RS_LE);
    rs_ndr_set_layout(&d.ndr, &lay);
    assert_int_equal(decode_padded(&d.ndr), RS_OK);
    assert_layout(&lay, padded_layout, sizeof padded_layout / sizeof padded_layout[0]);
    dec_end(&d);
    rs_ndr_layout_free(&lay);

    check_cuts(padded_wire, sizeof padded_wire, RS_LE, decode_padded);

    assert_string_equal(rs_ndr_role_name(RS_NDR_ROLE_REFERENT_ID), "referent id");
    assert_string_equal(rs_ndr_role_name(RS_NDR_ROLE_ACTUAL_COUNT), "actual_count");
    assert_string_equal(rs_ndr_role_name((rs_ndr_role)99), "unknown role");
}

static void test_layout_limits(void **state)
{
    (void)state;
    rs_ndr_layout lay;
    rs_ndr_layout_init(&lay, 2, 1024);
    enc e;
    enc_begin(&e, RS_LE);
    rs_ndr_set_layout(&e.ndr, &lay);
    assert_int_equal(rs_ndr_put_long(&e.ndr, "a", 1), RS_OK);
    assert_int_equal(rs_ndr_put_long(&e.ndr, "b", 2), RS_OK);
    assert_int_equal(rs_ndr_put_long(&e.ndr, "c", 3), RS_ERR_LIMIT);
    assert_string_equal(rs_ndr_error(&e.ndr),
                        "ndr: c: the layout is full: it holds at most 2 entries");
    assert_int_equal(rs_ndr_put_long(&e.ndr, "d", 4), RS_ERR_LIMIT); /* and stays failed */
    assert_int_equal(rs_ndr_layout_count(&lay), 2);
    enc_end(&e);
    rs_ndr_layout_free(&lay);

    /* Names: "ab" and its NUL take 3 of the 5 bytes; "cd" does not fit. */
    rs_ndr_layout_init(&lay, 100, 5);
    enc_begin(&e, RS_LE);
    rs_ndr_set_layout(&e.ndr, &lay);
    assert_int_equal(rs_ndr_put_long(&e.ndr, "ab", 1), RS_OK);
    assert_int_equal(rs_ndr_put_long(&e.ndr, "cd", 2), RS_ERR_LIMIT);
    assert_non_null(strstr(rs_ndr_error(&e.ndr), "names"));
    assert_int_equal(rs_ndr_layout_count(&lay), 1);
    assert_string_equal(rs_ndr_layout_at(&lay, 0).name, "ab");
    enc_end(&e);
    rs_ndr_layout_free(&lay);

    /* Decoding fails the same way. */
    rs_ndr_layout_init(&lay, 1, 1024);
    dec d;
    dec_begin(&d, padded_wire, sizeof padded_wire, RS_LE);
    rs_ndr_set_layout(&d.ndr, &lay);
    assert_int_equal(decode_padded(&d.ndr), RS_ERR_LIMIT);
    dec_end(&d);
    rs_ndr_layout_free(&lay);
}

static void test_nesting_limit(void **state)
{
    (void)state;
    enc e;
    enc_begin(&e, RS_LE);
    rs_ndr_limits lim = rs_ndr_default_limits();
    lim.max_depth = 3;
    rs_ndr_set_limits(&e.ndr, &lim);
    assert_int_equal(rs_ndr_enter(&e.ndr, "a"), RS_OK);
    assert_int_equal(rs_ndr_enter(&e.ndr, "b"), RS_OK);
    assert_int_equal(rs_ndr_enter(&e.ndr, "c"), RS_OK);
    assert_int_equal(rs_ndr_enter(&e.ndr, "d"), RS_ERR_LIMIT);
    assert_string_equal(rs_ndr_error(&e.ndr),
                        "ndr: a.b.c.d: nested deeper than the limit of 3 levels");
    enc_end(&e);

    enc_begin(&e, RS_LE);
    assert_int_equal(rs_ndr_leave(&e.ndr), RS_ERR_INVALID_ARG);
    enc_end(&e);

    /* A huge limit is clamped to what the stream can hold. */
    enc_begin(&e, RS_LE);
    lim.max_depth = 1000000;
    rs_ndr_set_limits(&e.ndr, &lim);
    assert_int_equal(e.ndr.limits.max_depth, RS_NDR_DEPTH_MAX);
    enc_end(&e);
}


/* rs_ndr_set_in_place(): a conformant array whose wire form is its memory form is left where it
 * lies in the stub data; every other one is copied out, and both decode the same values. */
static bool points_into(const void *p, const rs_buf *b)
{
    return (const uint8_t *)p >= b->data && (const uint8_t *)p < b->data + b->len;
}

/* Encodes a conformant array of `count` elements of t (each element's bytes 0x01, 0x02, ...)
 * in byte order `e` after `lead` bytes, then decodes it in place from a copy of the stub placed
 * `shift` bytes past an aligned address; *inside says whether the result points into it. */
static void decode_in_place(rs_ndr_prim t, rs_endian e, size_t lead, size_t shift, bool separate,
                            bool *inside)
{
    enc en;
    enc_begin(&en, e);
    for (size_t i = 0; i < lead; i++)
        assert_int_equal(rs_ndr_put_small(&en.ndr, "lead", 7), RS_OK);
    uint8_t elems[64];
    for (size_t i = 0; i < sizeof elems; i++)
        elems[i] = (uint8_t)(i + 1);
    size_t width = t == RS_NDR_LONG ? 4 : t == RS_NDR_HYPER ? 8 : 1;
    uint32_t count = (uint32_t)(sizeof elems / width);
    assert_int_equal(rs_ndr_put_conformant_array(&en.ndr, "a", t, elems, count), RS_OK);

    uint8_t *mem = aligned_alloc(16, (en.out.len + 31) / 16 * 16); /* a multiple of 16 */
    assert_non_null(mem);
    memcpy(mem + shift, en.out.data, en.out.len);
    rs_buf in;
    rs_buf_view(&in, mem + shift, en.out.len);
    rs_ndr d;
    rs_ndr_init_decode(&d, &in, e);
    rs_ndr_set_in_place(&d);
    if (separate)
        rs_ndr_set_separate_blocks(&d);
    for (size_t i = 0; i < lead; i++) {
        int8_t v;
        assert_int_equal(rs_ndr_get_small(&d, "lead", &v), RS_OK);
    }
    void *got = NULL;
    uint32_t n = 0;
    assert_int_equal(rs_ndr_get_conformant_array(&d, "a", t, &got, &n), RS_OK);
    assert_int_equal(n, count);
    assert_int_equal(rs_buf_remaining(&in), 0);
    *inside = points_into(got, &in);
    /* The same values either way, in this machine's representation. */
    for (uint32_t i = 0; i < count; i++) {
        uint64_t want = 0, have = 0;
        if (width == 1) {
            want = elems[i];
            have = ((uint8_t *)got)[i];
        } else if (width == 4) {
            int32_t w;
            memcpy(&w, elems + 4 * i, 4);
            want = (uint32_t)w;
            have = (uint32_t)((int32_t *)got)[i];
        } else {
            int64_t w;
            memcpy(&w, elems + 8 * i, 8);
            want = (uint64_t)w;
            have = (uint64_t)((int64_t *)got)[i];
        }
        assert_int_equal(have, want);
    }
    if (separate && !*inside)
        assert_int_equal(rs_ndr_release(&d), RS_OK);
    if (separate && !*inside)
        free(got);
    rs_ndr_free(&d);
    free(mem);
    enc_end(&en);
}

static void test_in_place_arrays(void **state)
{
    (void)state;
    bool inside;
    decode_in_place(RS_NDR_BYTE, RS_LE, 0, 0, false, &inside);
    assert_true(inside);
    decode_in_place(RS_NDR_BYTE, RS_BE, 3, 1, false, &inside); /* bytes: any order, any place */
    assert_true(inside);
    decode_in_place(RS_NDR_LONG, RS_LE, 0, 0, false, &inside);
    assert_true(inside);
    decode_in_place(RS_NDR_HYPER, RS_LE, 1, 0, false, &inside);
    assert_true(inside);
    decode_in_place(RS_NDR_LONG, RS_BE, 0, 0, false, &inside); /* the other byte order: copied */
    assert_false(inside);
    decode_in_place(RS_NDR_LONG, RS_LE, 0, 2, false, &inside); /* misaligned in memory: copied */
    assert_false(inside);
    decode_in_place(RS_NDR_BYTE, RS_LE, 0, 0, true, &inside); /* handed to a caller: copied */
    assert_false(inside);
}

/* rs_ndr_set_by_reference(): the same stream encoded twice, once copying everything and once
 * leaving large arrays where they are; after rs_ndr_fill_refs() the bytes are the same. Which
 * arrays stay: bytes, chars and booleans; wider numbers in this machine's byte order; at least
 * RS_NDR_REF_MIN bytes; at most RS_NDR_REFS_MAX of them; never an enum (2 bytes from an int),
 * never while a layout records. The room left for them is not written before the fill. */
typedef struct {
    rs_ndr_prim t;
    uint32_t n;
} ref_case;

static rs_endian host_order(void)
{
    const uint16_t one = 1;
    return *(const uint8_t *)&one == 1 ? RS_LE : RS_BE;
}

static size_t encode_cases(rs_buf *out, rs_endian e, bool by_reference, bool layout,
                           const ref_case *cases, size_t ncases, void *const *data)
{
    rs_ndr_layout l;
    rs_ndr_layout_init(&l, 4096, 65536);
    rs_ndr s;
    rs_ndr_init_encode(&s, out, e);
    if (layout)
        rs_ndr_set_layout(&s, &l);
    if (by_reference)
        rs_ndr_set_by_reference(&s);
    assert_int_equal(rs_ndr_put_long(&s, "lead", 7), RS_OK);
    for (size_t i = 0; i < ncases; i++) {
        assert_int_equal(rs_ndr_put_small(&s, "unaligning", 1), RS_OK);
        assert_int_equal(rs_ndr_put_conformant_array(&s, "a", cases[i].t, data[i], cases[i].n),
                         RS_OK);
    }
    size_t refs = s.ref_count;
    for (size_t i = 0; i < refs; i++) { /* the room is there, and the stream did not write it */
        assert_true(s.refs[i].at + s.refs[i].len <= out->len);
        for (size_t k = 0; k < s.refs[i].len; k++)
            assert_int_equal(out->data[s.refs[i].at + k], 0xEE);
    }
    rs_ndr_fill_refs(&s);
    assert_int_equal(s.ref_count, 0);
    rs_ndr_free(&s);
    rs_ndr_layout_free(&l);
    return refs;
}

static size_t refs_for(rs_endian e, bool layout, const ref_case *cases, size_t ncases)
{
    void *data[16];
    assert_true(ncases <= 16);
    for (size_t i = 0; i < ncases; i++) {
        size_t bytes = (size_t)cases[i].n * rs_ndr_prim_mem_size(cases[i].t);
        uint8_t *p = malloc(bytes);
        assert_non_null(p);
        for (size_t k = 0; k < bytes; k++)
            p[k] = cases[i].t == RS_NDR_BOOLEAN ? (uint8_t)(k % 2)
                   : cases[i].t == RS_NDR_ENUM  ? (uint8_t)(k % 4 == 0 ? k / 4 % 100 : 0)
                                                : (uint8_t)(k * 31 + i);
        data[i] = p;
    }
    rs_buf copied, kept;
    rs_buf_init(&copied, RS_BUF_NO_LIMIT);
    rs_buf_init(&kept, RS_BUF_NO_LIMIT);
    /* Poison what the buffer will hand out, so that a byte the stream left unwritten shows. */
    assert_int_equal(rs_buf_reserve(&kept, 1 << 20), RS_OK);
    memset(kept.data, 0xEE, 1 << 20);
    assert_int_equal(encode_cases(&copied, e, false, false, cases, ncases, data), 0);
    size_t refs = encode_cases(&kept, e, true, layout, cases, ncases, data);
    assert_int_equal(kept.len, copied.len);
    assert_memory_equal(kept.data, copied.data, copied.len);
    rs_buf_free(&copied);
    rs_buf_free(&kept);
    for (size_t i = 0; i < ncases; i++)
        free(data[i]);
    return refs;
}

static void test_by_reference(void **state)
{
    (void)state;
    rs_endian other = host_order() == RS_LE ? RS_BE : RS_LE;
    const ref_case bytes[] = {{RS_NDR_BYTE, 5000}, {RS_NDR_CHAR, 2048}, {RS_NDR_BOOLEAN, 3000}};
    assert_int_equal(refs_for(RS_LE, false, bytes, 3), 3);
    assert_int_equal(refs_for(other, false, bytes, 3), 3); /* bytes: either order */
    const ref_case small[] = {{RS_NDR_BYTE, 2047}, {RS_NDR_LONG, 100}};
    assert_int_equal(refs_for(RS_LE, false, small, 2), 0); /* below RS_NDR_REF_MIN: copied */
    const ref_case wide[] = {{RS_NDR_LONG, 1000}, {RS_NDR_HYPER, 300}, {RS_NDR_WCHAR, 1500},
                             {RS_NDR_DOUBLE, 512}};
    assert_int_equal(refs_for(host_order(), false, wide, 4), 4);
    assert_int_equal(refs_for(other, false, wide, 4), 0); /* swapped: copied */
    const ref_case enums[] = {{RS_NDR_ENUM, 4000}};
    assert_int_equal(refs_for(RS_LE, false, enums, 1), 0);
    assert_int_equal(refs_for(RS_LE, true, bytes, 3), 0); /* a layout shows the bytes */
    ref_case many[RS_NDR_REFS_MAX + 3];
    for (size_t i = 0; i < RS_NDR_REFS_MAX + 3; i++)
        many[i] = (ref_case){RS_NDR_BYTE, (uint32_t)(RS_NDR_REF_MIN + i)};
    assert_int_equal(refs_for(RS_LE, false, many, RS_NDR_REFS_MAX + 3), RS_NDR_REFS_MAX);
}

/* A boolean array is never left in place: a C bool holds 0 or 1, the wire any byte. */
static void test_in_place_never_for_booleans(void **state)
{
    (void)state;
    static const uint8_t wire[] = {3, 0, 0, 0, 0x00, 0x01, 0x7f};
    rs_buf in;
    rs_buf_view(&in, wire, sizeof wire);
    rs_ndr d;
    rs_ndr_init_decode(&d, &in, RS_LE);
    rs_ndr_set_in_place(&d);
    bool *got = NULL;
    uint32_t n = 0;
    assert_int_equal(rs_ndr_get_conformant_array(&d, "b", RS_NDR_BOOLEAN, &got, &n), RS_OK);
    assert_int_equal(n, 3);
    assert_false(points_into(got, &in));
    assert_memory_equal(got, "\x00\x01\x01", 3); /* 0x7f becomes a C true: 1 */
    rs_ndr_free(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_drep),
        cmocka_unit_test(test_primitives_little_endian),
        cmocka_unit_test(test_primitives_big_endian),
        cmocka_unit_test(test_primitives_cut_everywhere),
        cmocka_unit_test(test_primitive_outputs_stay_in_bounds),
        cmocka_unit_test(test_float_bit_patterns),
        cmocka_unit_test(test_enum_range),
        cmocka_unit_test(test_alignment),
        cmocka_unit_test(test_stream_starts_at_stub_data),
        cmocka_unit_test(test_wrong_direction_and_sticky_failure),
        cmocka_unit_test(test_string_hello_world),
        cmocka_unit_test(test_separate_blocks_belong_to_the_caller),
        cmocka_unit_test(test_string_empty_and_big_endian),
        cmocka_unit_test(test_wstring),
        cmocka_unit_test(test_string_lies),
        cmocka_unit_test(test_conformant_array),
        cmocka_unit_test(test_conformant_array_lies),
        cmocka_unit_test(test_varying_array),
        cmocka_unit_test(test_conformant_varying_array),
        cmocka_unit_test(test_arrays_of_every_type),
        cmocka_unit_test(test_bulk_block_is_one_entry),
        cmocka_unit_test(test_conformant_structure_rpc_sid),
        cmocka_unit_test(test_conformant_structure_aligned_to_8),
        cmocka_unit_test(test_union_non_encapsulated),
        cmocka_unit_test(test_union_encapsulated),
        cmocka_unit_test(test_discriminant_types),
        cmocka_unit_test(test_context_handle),
        cmocka_unit_test(test_layout_struct_with_padding),
        cmocka_unit_test(test_layout_limits),
        cmocka_unit_test(test_nesting_limit),
        cmocka_unit_test(test_in_place_arrays),
        cmocka_unit_test(test_in_place_never_for_booleans),
        cmocka_unit_test(test_by_reference),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
