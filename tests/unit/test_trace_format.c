/* test_trace_format.c -- the trace stream format: names from the kind table, the preamble, one
 * record byte for byte, a round trip of every field, the cuts an encoder makes, and what the
 * decoder does with hostile input.
 *
 * Bad input tried: every cut of a valid record and of the preamble; a wrong magic, version 2, a
 * nonzero reserved field; record lengths 0, 64, RECORD_MAX + 1 and 0xFFFFFFFF; string and byte
 * lengths past the record or past their maxima; a NUL inside a string; a trailing byte; an
 * unknown kind, layer, role and flag; and 20000 random corruptions of a valid stream. Every
 * decoder input is a heap copy of exactly the bytes given, so AddressSanitizer sees any read past
 * them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "trace.h"

/* ---- helpers --------------------------------------------------------------------------------- */

static uint8_t *heap_copy(const uint8_t *p, size_t n)
{
    uint8_t *c = malloc(n > 0 ? n : 1);
    assert_non_null(c);
    if (n > 0)
        memcpy(c, p, n);
    return c;
}

/* Decodes `n` bytes (from a heap copy of exactly that many) and returns the status; on failure
 * the cursor must not have moved and the buffer must say why. */
static rs_status decode_bytes(const uint8_t *p, size_t n, char *why, size_t why_size)
{
    uint8_t *copy = heap_copy(p, n);
    rs_buf in;
    rs_buf_view(&in, copy, n);
    rs_trace_event ev;
    char *strings = malloc(RS_TRACE_STRINGS_SIZE);
    assert_non_null(strings);
    rs_status st = rs_trace_decode(&in, &ev, strings);
    if (st != RS_OK) {
        assert_int_equal(in.pos, 0);
        assert_true(rs_buf_error(&in)[0] != '\0');
        if (why != NULL)
            snprintf(why, why_size, "%s", rs_buf_error(&in));
    } else {
        assert_int_equal(in.pos, n);
    }
    free(strings);
    free(copy);
    return st;
}

/* The record of the known-answer test, written out by hand from the format in trace.h. */
static const uint8_t small_record[74] = {
    0x46, 0x00, 0x00, 0x00,                         /*  0 length 70: bytes after this field */
    0x01, 0x00,                                     /*  4 kind 1, CALL_BEGIN */
    0x01,                                           /*  6 layer 1, application */
    0x01,                                           /*  7 role 1, client */
    0x04, 0x03, 0x02, 0x01,                         /*  8 pid 0x01020304 */
    0x05, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* 12 seq 5 */
    0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01, /* 20 time_ns 0x0102030405060708 */
    0x07, 0x00, 0x00, 0x00,                         /* 28 call_id 7 */
    0x02, 0x00,                                     /* 32 opnum 2 */
    0x00,                                           /* 34 ndr_role 0 */
    0x00,                                           /* 35 ptype 0 */
    0x10, 0x00, 0x00, 0x00,                         /* 36 offset 0x10 */
    0x04, 0x00, 0x00, 0x00,                         /* 40 length 4 */
    0x78, 0x56, 0x34, 0x12, 0xff, 0x7f, 0x00, 0x00, /* 44 address 0x7fff12345678 */
    0x02, 0x00, 'i', 'f',                           /* 52 interface "if" */
    0x00, 0x00,                                     /* 56 procedure "" */
    0x00, 0x00,                                     /* 58 name "" */
    0x00, 0x00,                                     /* 60 ndr_type "" */
    0x00, 0x00,                                     /* 62 c_type "" */
    0x01, 0x00, 'x',                                /* 64 text "x" */
    0x04,                                           /* 67 flags: OUT */
    0x02, 0x00, 0x00, 0x00,                         /* 68 n 2 */
    0xaa, 0xbb,                                     /* 72 the bytes */
};

static const uint8_t small_bytes[2] = {0xaa, 0xbb};

static rs_trace_event small_event(void)
{
    rs_trace_event ev = {
        .kind = RS_TRACE_CALL_BEGIN,
        .layer = RS_TRACE_LAYER_APPLICATION,
        .role = RS_TRACE_ROLE_CLIENT,
        .pid = 0x01020304,
        .seq = 5,
        .time_ns = UINT64_C(0x0102030405060708),
        .call_id = 7,
        .opnum = 2,
        .offset = 0x10,
        .length = 4,
        .address = UINT64_C(0x7fff12345678),
        .interface = "if",
        .text = "x",
        .flags = RS_TRACE_FLAG_OUT,
        .bytes = small_bytes,
        .bytes_len = 2,
    };
    return ev;
}

/* ---- names ----------------------------------------------------------------------------------- */

static void test_names(void **state)
{
    (void)state;
    assert_string_equal(rs_trace_kind_name(RS_TRACE_PARAM_READ), "PARAM_READ");
    assert_string_equal(rs_trace_kind_name(RS_TRACE_CALL_BEGIN), "CALL_BEGIN");
    assert_string_equal(rs_trace_kind_name(RS_TRACE_CLOSE), "CLOSE");
    assert_string_equal(rs_trace_kind_text(RS_TRACE_NDR_PUT),
                        "the stub marshals one field into the NDR buffer");
    assert_int_equal(rs_trace_kind_layer(RS_TRACE_PARAM_READ), RS_TRACE_LAYER_STUB);
    assert_int_equal(rs_trace_kind_layer(RS_TRACE_PDU_SENT), RS_TRACE_LAYER_TRANSPORT);
    assert_int_equal(rs_trace_kind_layer(RS_TRACE_DISPATCH), RS_TRACE_LAYER_RUNTIME);
    assert_int_equal(rs_trace_kind_layer(RS_TRACE_PROCEDURE_ENTER), RS_TRACE_LAYER_APPLICATION);
    assert_string_equal(rs_trace_kind_name(RS_TRACE_KIND_NONE), "?");
    assert_string_equal(rs_trace_kind_name(RS_TRACE_KIND_COUNT), "?");
    assert_string_equal(rs_trace_kind_text((rs_trace_kind)-1), "?");
    assert_int_equal(rs_trace_kind_layer(RS_TRACE_KIND_COUNT), 0);
    for (int k = 1; k < RS_TRACE_KIND_COUNT; k++) {
        assert_string_not_equal(rs_trace_kind_name((rs_trace_kind)k), "?");
        assert_string_not_equal(rs_trace_layer_name(rs_trace_kind_layer((rs_trace_kind)k)), "?");
    }
    assert_string_equal(rs_trace_layer_name(RS_TRACE_LAYER_APPLICATION), "application");
    assert_string_equal(rs_trace_layer_name(RS_TRACE_LAYER_STUB), "stub");
    assert_string_equal(rs_trace_layer_name(RS_TRACE_LAYER_RUNTIME), "runtime");
    assert_string_equal(rs_trace_layer_name(RS_TRACE_LAYER_TRANSPORT), "transport");
    assert_string_equal(rs_trace_layer_name((rs_trace_layer)0), "?");
    assert_string_equal(rs_trace_layer_name((rs_trace_layer)5), "?");
    assert_string_equal(rs_trace_role_name(RS_TRACE_ROLE_CLIENT), "client");
    assert_string_equal(rs_trace_role_name(RS_TRACE_ROLE_SERVER), "server");
    assert_string_equal(rs_trace_role_name((rs_trace_role)0), "?");
    assert_string_equal(rs_trace_role_name((rs_trace_role)3), "?");
}

/* ---- the preamble ---------------------------------------------------------------------------- */

static void test_preamble(void **state)
{
    (void)state;
    static const uint8_t want[8] = {
        'R', 'S', 'T', 'R', /* magic */
        0x02, 0x00,         /* version 2 */
        0x00, 0x00,         /* reserved */
    };
    rs_buf out;
    rs_buf_init(&out, 1024);
    assert_int_equal(rs_buf_put_u8(&out, 0xEE), RS_OK); /* what was there stays */
    assert_int_equal(rs_trace_put_preamble(&out), RS_OK);
    assert_int_equal(out.len, 9);
    assert_int_equal(out.data[0], 0xEE);
    assert_memory_equal(out.data + 1, want, 8);
    rs_buf_free(&out);

    rs_buf in;
    rs_buf_view(&in, want, sizeof want);
    assert_int_equal(rs_trace_get_preamble(&in), RS_OK);
    assert_int_equal(in.pos, 8);

    for (size_t cut = 0; cut < sizeof want; cut++) {
        uint8_t *c = heap_copy(want, cut);
        rs_buf_view(&in, c, cut);
        assert_int_equal(rs_trace_get_preamble(&in), RS_ERR_TRUNCATED);
        assert_int_equal(in.pos, 0);
        assert_non_null(strstr(rs_buf_error(&in), "preamble"));
        free(c);
    }

    uint8_t bad[8];
    memcpy(bad, want, 8);
    bad[3] = 'X';
    rs_buf_view(&in, bad, 8);
    assert_int_equal(rs_trace_get_preamble(&in), RS_ERR_PROTOCOL);
    assert_int_equal(in.pos, 0);
    assert_non_null(strstr(rs_buf_error(&in), "not an rpcscope trace"));

    memcpy(bad, want, 8);
    bad[4] = 3; /* version 3 */
    rs_buf_view(&in, bad, 8);
    assert_int_equal(rs_trace_get_preamble(&in), RS_ERR_VERSION);
    assert_int_equal(in.pos, 0);
    assert_non_null(strstr(rs_buf_error(&in), "version 3"));
    bad[4] = 0; /* version 0 */
    rs_buf_view(&in, bad, 8);
    assert_int_equal(rs_trace_get_preamble(&in), RS_ERR_VERSION);

    /* Version 1 has the same records: recordings made before the verdict still read. */
    memcpy(bad, want, 8);
    bad[4] = 1;
    unsigned version = 0;
    rs_buf_view(&in, bad, 8);
    assert_int_equal(rs_trace_read_preamble(&in, &version), RS_OK);
    assert_int_equal(version, 1);
    rs_buf_view(&in, want, 8);
    assert_int_equal(rs_trace_read_preamble(&in, &version), RS_OK);
    assert_int_equal(version, 2);

    memcpy(bad, want, 8);
    bad[7] = 1; /* reserved */
    rs_buf_view(&in, bad, 8);
    assert_int_equal(rs_trace_get_preamble(&in), RS_ERR_PROTOCOL);
    assert_non_null(strstr(rs_buf_error(&in), "reserved"));
}

/* The release, byte for byte, and what a process refuses in one. */
static void test_release(void **state)
{
    (void)state;
    static const uint8_t want[RS_TRACE_RELEASE_SIZE] = {
        0x2a, 0, 0, 0, 0, 0, 0, 0, /* seq 42 */
        0x01, 0x00,                /* verdict: RS_TRACE_DELAY */
        0x00, 0x00,                /* reserved */
        0xd0, 0x07, 0x00, 0x00,    /* 2000 ms */
    };
    uint8_t r[RS_TRACE_RELEASE_SIZE];
    rs_trace_put_release(r, 42, (rs_trace_verdict){.kind = RS_TRACE_DELAY, .ms = 2000});
    assert_memory_equal(r, want, sizeof want);
    uint64_t seq = 0;
    rs_trace_verdict v = {.kind = RS_TRACE_GO};
    char why[160] = "";
    assert_int_equal(rs_trace_get_release(r, &seq, &v, why, sizeof why), RS_OK);
    assert_true(seq == 42);
    assert_int_equal(v.kind, RS_TRACE_DELAY);
    assert_int_equal(v.ms, 2000);

    /* A drop carries no argument; a GO's argument is written 0 whatever the caller left. */
    rs_trace_put_release(r, 7, (rs_trace_verdict){.kind = RS_TRACE_GO, .ms = 99});
    assert_int_equal(rs_load_u32(r + 12, RS_LE), 0);
    assert_int_equal(rs_trace_get_release(r, &seq, &v, why, sizeof why), RS_OK);
    assert_int_equal(v.kind, RS_TRACE_GO);

    struct { size_t at; uint8_t byte; const char *says; } bad[] = {
        {8, 3, "unknown verdict"},       /* verdict 3 */
        {9, 1, "unknown verdict"},       /* verdict 0x100 */
        {10, 1, "reserved"},
        {12, 1, "out of range"},         /* GO with an argument */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        rs_trace_put_release(r, 7, (rs_trace_verdict){.kind = RS_TRACE_GO});
        r[bad[i].at] = bad[i].byte;
        assert_int_equal(rs_trace_get_release(r, &seq, &v, why, sizeof why), RS_ERR_PROTOCOL);
        assert_non_null(strstr(why, bad[i].says));
    }
    /* A delay of 0 ms, or longer than RS_TRACE_DELAY_MAX_MS, is refused. */
    rs_trace_put_release(r, 7, (rs_trace_verdict){.kind = RS_TRACE_DELAY, .ms = 0});
    assert_int_equal(rs_trace_get_release(r, &seq, &v, why, sizeof why), RS_ERR_PROTOCOL);
    rs_trace_put_release(r, 7, (rs_trace_verdict){.kind = RS_TRACE_DELAY, .ms = RS_TRACE_DELAY_MAX_MS + 1});
    assert_int_equal(rs_trace_get_release(r, &seq, &v, why, sizeof why), RS_ERR_PROTOCOL);
}

/* ---- one record, byte for byte --------------------------------------------------------------- */

static void test_known_answer(void **state)
{
    (void)state;
    rs_trace_event ev = small_event();
    rs_buf out;
    rs_buf_init(&out, 1024);
    assert_int_equal(rs_buf_put_u8(&out, 0xEE), RS_OK); /* encode appends after it */
    assert_int_equal(rs_trace_encode(&ev, &out), RS_OK);
    assert_int_equal(out.len, 1 + sizeof small_record);
    assert_int_equal(out.data[0], 0xEE);
    assert_memory_equal(out.data + 1, small_record, sizeof small_record);
    rs_buf_free(&out);

    /* And the hand-written bytes decode to the event. */
    rs_buf in;
    rs_buf_view(&in, small_record, sizeof small_record);
    rs_trace_event got;
    char *strings = malloc(RS_TRACE_STRINGS_SIZE);
    assert_non_null(strings);
    assert_int_equal(rs_trace_decode(&in, &got, strings), RS_OK);
    assert_int_equal(in.pos, sizeof small_record);
    assert_int_equal(got.kind, RS_TRACE_CALL_BEGIN);
    assert_string_equal(got.interface, "if");
    assert_string_equal(got.procedure, "");
    assert_string_equal(got.text, "x");
    assert_int_equal(got.bytes_len, 2);
    assert_ptr_equal(got.bytes, small_record + 72); /* points into the input */
    free(strings);
}

static void test_smallest_record(void **state)
{
    (void)state;
    rs_trace_event ev = {.kind = RS_TRACE_ERROR}; /* layer 0: the kind's own */
    rs_buf out;
    rs_buf_init(&out, 1024);
    assert_int_equal(rs_trace_encode(&ev, &out), RS_OK);
    assert_int_equal(out.len, 4 + RS_TRACE_RECORD_MIN);
    assert_int_equal(rs_load_u32(out.data, RS_LE), 65);
    assert_int_equal(out.data[6], RS_TRACE_LAYER_RUNTIME);

    rs_buf in;
    rs_buf_view(&in, out.data, out.len);
    rs_trace_event got;
    char *strings = malloc(RS_TRACE_STRINGS_SIZE);
    assert_non_null(strings);
    assert_int_equal(rs_trace_decode(&in, &got, strings), RS_OK);
    assert_int_equal(got.layer, RS_TRACE_LAYER_RUNTIME);
    assert_null(got.bytes);
    assert_int_equal(got.bytes_len, 0);
    assert_string_equal(got.interface, "");
    assert_string_equal(got.c_type, "");
    free(strings);
    rs_buf_free(&out);
}

/* ---- round trip ------------------------------------------------------------------------------ */

static void test_round_trip_every_field(void **state)
{
    (void)state;
    static const uint8_t pdu[] = {5, 0, 0, 3, 0x10, 0, 0, 0, 24, 0, 0, 0, 9, 0, 0, 0};
    rs_trace_event ev = {
        .kind = RS_TRACE_PDU_SENT,
        .layer = RS_TRACE_LAYER_RUNTIME, /* not the kind's own: kept */
        .role = RS_TRACE_ROLE_SERVER,
        .pid = 0xFEDCBA98,
        .seq = UINT64_C(0x1122334455667788),
        .time_ns = UINT64_C(0x8877665544332211),
        .call_id = 0xA1B2C3D4,
        .opnum = 0xBEEF,
        .ndr_role = 5,
        .ptype = 2,
        .offset = 0xCAFEBABE,
        .length = 0x0BADF00D,
        .address = UINT64_C(0xFFFFFFFFFFFFFFFF),
        .interface = "hello",
        .procedure = "HelloProc",
        .name = "list->next->value",
        .ndr_type = "[string] char",
        .c_type = "unsigned char *",
        .text = "ncacn_ip_tcp:127.0.0.1[4747]",
        .flags = RS_TRACE_FLAG_BIG_ENDIAN | RS_TRACE_FLAG_OUT | RS_TRACE_FLAG_TRUNCATED,
        .bytes = pdu,
        .bytes_len = sizeof pdu,
    };
    rs_buf out;
    rs_buf_init(&out, 4096);
    assert_int_equal(rs_trace_put_preamble(&out), RS_OK);
    assert_int_equal(rs_trace_encode(&ev, &out), RS_OK);
    assert_int_equal(rs_trace_encode(&ev, &out), RS_OK); /* two records back to back */

    rs_buf in;
    rs_buf_view(&in, out.data, out.len);
    assert_int_equal(rs_trace_get_preamble(&in), RS_OK);
    char *strings = malloc(RS_TRACE_STRINGS_SIZE);
    assert_non_null(strings);
    for (int i = 0; i < 2; i++) {
        rs_trace_event got;
        memset(&got, 0x5A, sizeof got);
        assert_int_equal(rs_trace_decode(&in, &got, strings), RS_OK);
        assert_int_equal(got.kind, ev.kind);
        assert_int_equal(got.layer, ev.layer);
        assert_int_equal(got.role, ev.role);
        assert_int_equal(got.pid, ev.pid);
        assert_true(got.seq == ev.seq);
        assert_true(got.time_ns == ev.time_ns);
        assert_int_equal(got.call_id, ev.call_id);
        assert_int_equal(got.opnum, ev.opnum);
        assert_int_equal(got.ndr_role, ev.ndr_role);
        assert_int_equal(got.ptype, ev.ptype);
        assert_int_equal(got.offset, ev.offset);
        assert_int_equal(got.length, ev.length);
        assert_true(got.address == ev.address);
        assert_string_equal(got.interface, ev.interface);
        assert_string_equal(got.procedure, ev.procedure);
        assert_string_equal(got.name, ev.name);
        assert_string_equal(got.ndr_type, ev.ndr_type);
        assert_string_equal(got.c_type, ev.c_type);
        assert_string_equal(got.text, ev.text);
        assert_int_equal(got.flags, ev.flags);
        assert_int_equal(got.bytes_len, sizeof pdu);
        assert_memory_equal(got.bytes, pdu, sizeof pdu);
    }
    assert_int_equal(rs_buf_remaining(&in), 0);
    free(strings);
    rs_buf_free(&out);
}

/* Strings past RS_TRACE_STRING_MAX are cut, never inside a UTF-8 character; bytes past
 * RS_TRACE_BYTES_MAX are cut with the TRUNCATED flag. */
static void test_encoder_cuts(void **state)
{
    (void)state;
    char *long_name = malloc(2001);
    char *accented = malloc(RS_TRACE_STRING_MAX + 2);
    uint8_t *big = calloc(RS_TRACE_BYTES_MAX + 1, 1);
    char *strings = malloc(RS_TRACE_STRINGS_SIZE);
    assert_non_null(long_name);
    assert_non_null(accented);
    assert_non_null(big);
    assert_non_null(strings);
    memset(long_name, 'a', 2000);
    long_name[2000] = '\0';
    /* 1023 ASCII bytes then "é" (c3 a9): a cut at 1024 would split it, so it goes whole. */
    memset(accented, 'b', RS_TRACE_STRING_MAX - 1);
    accented[RS_TRACE_STRING_MAX - 1] = (char)0xC3;
    accented[RS_TRACE_STRING_MAX] = (char)0xA9;
    accented[RS_TRACE_STRING_MAX + 1] = '\0';
    big[RS_TRACE_BYTES_MAX - 1] = 0x77;

    rs_trace_event ev = {
        .kind = RS_TRACE_NDR_PUT,
        .name = long_name,
        .text = accented,
        .bytes = big,
        .bytes_len = RS_TRACE_BYTES_MAX + 1,
    };
    rs_buf out;
    rs_buf_init(&out, (size_t)RS_TRACE_RECORD_MAX + 4);
    assert_int_equal(rs_trace_encode(&ev, &out), RS_OK);
    rs_buf in;
    rs_buf_view(&in, out.data, out.len);
    rs_trace_event got;
    assert_int_equal(rs_trace_decode(&in, &got, strings), RS_OK);
    assert_int_equal(strlen(got.name), RS_TRACE_STRING_MAX);
    assert_memory_equal(got.name, long_name, RS_TRACE_STRING_MAX);
    assert_int_equal(strlen(got.text), RS_TRACE_STRING_MAX - 1);
    assert_int_equal(got.bytes_len, RS_TRACE_BYTES_MAX);
    assert_int_equal(got.bytes[RS_TRACE_BYTES_MAX - 1], 0x77);
    assert_int_equal(got.flags, RS_TRACE_FLAG_TRUNCATED);
    rs_buf_free(&out);
    free(long_name);
    free(accented);
    free(big);
    free(strings);
}

/* What no reader would accept is not written; a full buffer takes nothing. */
static void test_encoder_refuses(void **state)
{
    (void)state;
    rs_trace_event bad[] = {
        {.kind = RS_TRACE_KIND_NONE},
        {.kind = RS_TRACE_KIND_COUNT},
        {.kind = RS_TRACE_CALL_BEGIN, .layer = (rs_trace_layer)5},
        {.kind = RS_TRACE_CALL_BEGIN, .role = (rs_trace_role)3},
        {.kind = RS_TRACE_CALL_BEGIN, .flags = 0x08},
        {.kind = RS_TRACE_CALL_BEGIN, .bytes = NULL, .bytes_len = 3},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        rs_buf out;
        rs_buf_init(&out, 1024);
        assert_int_equal(rs_buf_put_u8(&out, 1), RS_OK);
        assert_int_equal(rs_trace_encode(&bad[i], &out), RS_ERR_INVALID_ARG);
        assert_int_equal(out.len, 1);
        assert_non_null(strstr(rs_buf_error(&out), "trace: "));
        rs_buf_free(&out);
    }
    rs_trace_event ev = small_event();
    rs_buf out;
    rs_buf_init(&out, sizeof small_record - 1);
    assert_int_equal(rs_trace_encode(&ev, &out), RS_ERR_LIMIT);
    assert_int_equal(out.len, 0);
    rs_buf_free(&out);
}

/* ---- hostile input --------------------------------------------------------------------------- */

static void test_decode_every_cut(void **state)
{
    (void)state;
    char why[RS_BUF_ERROR_MAX];
    for (size_t cut = 0; cut < sizeof small_record; cut++)
        assert_int_equal(decode_bytes(small_record, cut, why, sizeof why), RS_ERR_TRUNCATED);
    assert_int_equal(decode_bytes(small_record, sizeof small_record, NULL, 0), RS_OK);
    decode_bytes(small_record, 10, why, sizeof why);
    assert_non_null(strstr(why, "needs 70 bytes"));
}

/* A copy of the small record with one change; `grow` adds bytes at the end. */
static rs_status decode_changed(size_t at, const uint8_t *with, size_t n, size_t grow, char *why)
{
    uint8_t rec[sizeof small_record + 8];
    memcpy(rec, small_record, sizeof small_record);
    memset(rec + sizeof small_record, 0, sizeof rec - sizeof small_record);
    memcpy(rec + at, with, n);
    return decode_bytes(rec, sizeof small_record + grow, why, RS_BUF_ERROR_MAX);
}

static void test_decode_lying_lengths(void **state)
{
    (void)state;
    char why[RS_BUF_ERROR_MAX];

    /* Record lengths out of range are judged from the length alone, even with nothing after it:
     * a reader never waits for (or allocates) what a lying length announces. */
    static const uint8_t len0[4] = {0, 0, 0, 0};
    static const uint8_t len64[4] = {64, 0, 0, 0};
    static const uint8_t len_huge[4] = {0xff, 0xff, 0xff, 0xff};
    static const uint8_t len_max1[4] = {0x01, 0x00, 0x00, 0x01}; /* 16 MiB + 1 */
    assert_int_equal(decode_bytes(len0, 4, why, sizeof why), RS_ERR_PROTOCOL);
    assert_non_null(strstr(why, "length 0"));
    assert_int_equal(decode_bytes(len64, 4, why, sizeof why), RS_ERR_PROTOCOL);
    assert_int_equal(decode_bytes(len_huge, 4, why, sizeof why), RS_ERR_PROTOCOL);
    assert_non_null(strstr(why, "4294967295"));
    assert_int_equal(decode_bytes(len_max1, 4, why, sizeof why), RS_ERR_PROTOCOL);
    assert_int_equal(decode_changed(0, len0, 4, 0, why), RS_ERR_PROTOCOL);

    /* interface says 1024 bytes (allowed) but the record has 18 left: past the record. */
    static const uint8_t s1024[2] = {0x00, 0x04};
    assert_int_equal(decode_changed(52, s1024, 2, 0, why), RS_ERR_PROTOCOL);
    assert_non_null(strstr(why, "string interface"));
    assert_non_null(strstr(why, "1024 bytes"));
    /* text says 3 bytes: it eats flags and n, and then the rest does not fit. */
    static const uint8_t s3[2] = {0x03, 0x00};
    assert_int_equal(decode_changed(64, s3, 2, 0, why), RS_ERR_PROTOCOL);
    /* interface says 0xffff: more than any string may have. */
    static const uint8_t sffff[2] = {0xff, 0xff};
    assert_int_equal(decode_changed(52, sffff, 2, 0, why), RS_ERR_PROTOCOL);
    assert_non_null(strstr(why, "at most 1024"));

    /* n says 3 bytes, the record holds 2; n says 0xffffffff; n says 0 (2 bytes trail). */
    static const uint8_t n3[4] = {3, 0, 0, 0};
    static const uint8_t nhuge[4] = {0xff, 0xff, 0xff, 0xff};
    static const uint8_t nzero[4] = {0, 0, 0, 0};
    assert_int_equal(decode_changed(68, n3, 4, 0, why), RS_ERR_PROTOCOL);
    assert_non_null(strstr(why, "announces 3 bytes"));
    assert_int_equal(decode_changed(68, nhuge, 4, 0, why), RS_ERR_PROTOCOL);
    assert_int_equal(decode_changed(68, nzero, 4, 0, why), RS_ERR_PROTOCOL);
    assert_non_null(strstr(why, "2 bytes after its last field"));

    /* A trailing byte inside the record: length 71 with one more byte there. */
    static const uint8_t len71[4] = {71, 0, 0, 0};
    assert_int_equal(decode_changed(0, len71, 4, 1, why), RS_ERR_PROTOCOL);
    assert_non_null(strstr(why, "1 bytes after its last field"));

    /* The length of the last strings runs past a record cut short by its own length field. */
    static const uint8_t len65[4] = {RS_TRACE_RECORD_MIN, 0, 0, 0};
    assert_int_equal(decode_changed(0, len65, 4, 0, why), RS_ERR_PROTOCOL);
}

static void test_decode_unknown_values(void **state)
{
    (void)state;
    char why[RS_BUF_ERROR_MAX];
    uint8_t k[2];
    rs_store_u16(k, RS_LE, RS_TRACE_KIND_COUNT);
    assert_int_equal(decode_changed(4, k, 2, 0, why), RS_ERR_PROTOCOL);
    assert_non_null(strstr(why, "kind"));
    rs_store_u16(k, RS_LE, 0);
    assert_int_equal(decode_changed(4, k, 2, 0, why), RS_ERR_PROTOCOL);
    rs_store_u16(k, RS_LE, 0xFFFF);
    assert_int_equal(decode_changed(4, k, 2, 0, why), RS_ERR_PROTOCOL);
    assert_non_null(strstr(why, "65535"));

    static const uint8_t layer0 = 0, layer5 = 5, role3 = 3, flag8 = 0x0C;
    assert_int_equal(decode_changed(6, &layer0, 1, 0, why), RS_ERR_PROTOCOL);
    assert_non_null(strstr(why, "layer 0"));
    assert_int_equal(decode_changed(6, &layer5, 1, 0, why), RS_ERR_PROTOCOL);
    assert_int_equal(decode_changed(7, &role3, 1, 0, why), RS_ERR_PROTOCOL);
    assert_non_null(strstr(why, "role 3"));
    assert_int_equal(decode_changed(67, &flag8, 1, 0, why), RS_ERR_PROTOCOL);
    assert_non_null(strstr(why, "flags 0x0c"));
    static const uint8_t nul = 0;
    assert_int_equal(decode_changed(55, &nul, 1, 0, why), RS_ERR_PROTOCOL); /* "i\0" */
    assert_non_null(strstr(why, "NUL"));
}

static uint32_t xorshift(uint32_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 17;
    *s ^= *s << 5;
    return *s;
}

/* Random corruption of a valid stream never crashes, never reads past it, and a decode that
 * succeeds consumes exactly one record. */
static void test_decode_random_flips(void **state)
{
    (void)state;
    rs_buf stream;
    rs_buf_init(&stream, 4096);
    rs_trace_event ev = small_event();
    assert_int_equal(rs_trace_put_preamble(&stream), RS_OK);
    assert_int_equal(rs_trace_encode(&ev, &stream), RS_OK);
    ev.kind = RS_TRACE_NDR_PUT;
    ev.name = "pszString";
    ev.ndr_type = "[string] char";
    assert_int_equal(rs_trace_encode(&ev, &stream), RS_OK);
    char *strings = malloc(RS_TRACE_STRINGS_SIZE);
    assert_non_null(strings);
    uint32_t seed = 0x2545F491;
    int decoded = 0;
    for (int round = 0; round < 20000; round++) {
        uint8_t *copy = heap_copy(stream.data, stream.len);
        int flips = 1 + (int)(xorshift(&seed) % 3);
        for (int f = 0; f < flips; f++)
            copy[xorshift(&seed) % stream.len] ^= (uint8_t)(1 + xorshift(&seed) % 255);
        size_t len = stream.len - (xorshift(&seed) % 4 == 0 ? xorshift(&seed) % stream.len : 0);
        rs_buf in;
        rs_buf_view(&in, copy, len);
        if (rs_trace_get_preamble(&in) == RS_OK) {
            for (;;) {
                size_t before = in.pos;
                rs_trace_event got;
                rs_status st = rs_trace_decode(&in, &got, strings);
                if (st != RS_OK) {
                    assert_int_equal(in.pos, before);
                    assert_true(rs_buf_error(&in)[0] != '\0');
                    break;
                }
                decoded++;
                assert_true(in.pos - before >= 4 + RS_TRACE_RECORD_MIN);
                assert_true(strlen(got.name) <= RS_TRACE_STRING_MAX);
            }
        }
        free(copy);
    }
    assert_true(decoded > 0); /* flips in address or seq leave a record valid */
    free(strings);
    rs_buf_free(&stream);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_preamble),
        cmocka_unit_test(test_release),
        cmocka_unit_test(test_known_answer),
        cmocka_unit_test(test_smallest_record),
        cmocka_unit_test(test_round_trip_every_field),
        cmocka_unit_test(test_encoder_cuts),
        cmocka_unit_test(test_encoder_refuses),
        cmocka_unit_test(test_decode_every_cut),
        cmocka_unit_test(test_decode_lying_lengths),
        cmocka_unit_test(test_decode_unknown_values),
        cmocka_unit_test(test_decode_random_flips),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
