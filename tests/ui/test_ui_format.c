/* test_ui_format.c -- the window's words: C values by type, NDR values by role, a PDU field by
 * field, events as sentences, and cutting text at a character boundary. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "buf.h"
#include "format.h"
#include "ndr.h"
#include "pdu.h"

static void test_c_values_by_type(void **state)
{
    (void)state;
    char out[96];
    static const char hello[] = "hello, world";
    assert_string_equal(ui_format_c_value(out, sizeof out, "unsigned char *", (const uint8_t *)hello, sizeof hello,
                                          sizeof hello),
                        "\"hello, world\"");
    const uint8_t minus_two[4] = {0xfe, 0xff, 0xff, 0xff};
    assert_string_equal(ui_format_c_value(out, sizeof out, "int32_t", minus_two, 4, 4), "-2");
    assert_string_equal(ui_format_c_value(out, sizeof out, "uint32_t", minus_two, 4, 4), "4294967294");
    const uint8_t seven[2] = {7, 0};
    assert_string_equal(ui_format_c_value(out, sizeof out, "int16_t", seven, 2, 2), "7");
    assert_string_equal(ui_format_c_value(out, sizeof out, "const int16_t *", seven, 2, 2), "7"); /* the pointee */
    const uint8_t bytes[10] = {0, 7, 14, 21, 28, 35, 42, 49, 56, 63};
    assert_string_equal(ui_format_c_value(out, sizeof out, "uint8_t *", bytes, 10, 10),
                        "{0x00, 0x07, 0x0e, 0x15, 0x1c, 0x23, \xE2\x80\xA6}");
    double d = 2.5;
    uint8_t db[8];
    memcpy(db, &d, sizeof db);
    assert_string_equal(ui_format_c_value(out, sizeof out, "double", db, 8, 8), "2.5");
    const uint8_t wide[6] = {'h', 0, 'i', 0, 0, 0};
    assert_string_equal(ui_format_c_value(out, sizeof out, "uint16_t *", wide, 6, 6), "L\"hi\"");
    const uint8_t blob[3] = {0xde, 0xad, 0x01};
    assert_string_equal(ui_format_c_value(out, sizeof out, "struct thing", blob, 3, 3), "de ad 01");
    assert_string_equal(ui_format_c_value(out, sizeof out, "int32_t *", NULL, 0, 0), "(nothing)");
    /* Cut to fit, the quote kept. */
    char small[12];
    ui_format_c_value(small, sizeof small, "char *", (const uint8_t *)hello, sizeof hello, sizeof hello);
    assert_true(strlen(small) < sizeof small);
    assert_int_equal(small[strlen(small) - 1], '"');
    assert_non_null(strstr(small, "\xE2\x80\xA6"));

    assert_true(ui_format_is_pointer("mixed *"));
    assert_true(ui_format_is_pointer("char * "));
    assert_false(ui_format_is_pointer("int32_t"));
    assert_string_equal(ui_format_address(out, sizeof out, 0x55d0c3a1f2a0), "0x55d0c3a1f2a0");
    assert_string_equal(ui_format_address(out, sizeof out, 0), "NULL");
}

static void test_ndr_values_by_role(void **state)
{
    (void)state;
    char out[64];
    const uint8_t thirteen_le[4] = {0x0d, 0, 0, 0}, thirteen_be[4] = {0, 0, 0, 0x0d};
    assert_string_equal(ui_format_ndr_value(out, sizeof out, "unsigned long", RS_NDR_ROLE_MAX_COUNT, thirteen_le, 4, false), "13");
    assert_string_equal(ui_format_ndr_value(out, sizeof out, "unsigned long", RS_NDR_ROLE_ACTUAL_COUNT, thirteen_be, 4, true), "13");
    const uint8_t null_id[4] = {0, 0, 0, 0}, first_id[4] = {0, 0, 2, 0};
    assert_string_equal(ui_format_ndr_value(out, sizeof out, "[unique] pointer", RS_NDR_ROLE_REFERENT_ID, null_id, 4, false), "NULL");
    assert_string_equal(ui_format_ndr_value(out, sizeof out, "[unique] pointer", RS_NDR_ROLE_REFERENT_ID, first_id, 4, false),
                        "0x00020000");
    assert_string_equal(ui_format_ndr_value(out, sizeof out, "[string] char", RS_NDR_ROLE_DATA, (const uint8_t *)"hi", 3, false),
                        "\"hi\\0\"");
    const uint8_t longs[8] = {1, 0, 0, 0, 0xff, 0xff, 0xff, 0xff};
    assert_string_equal(ui_format_ndr_value(out, sizeof out, "long", RS_NDR_ROLE_DATA, longs, 8, false), "{1, -1}");
    assert_string_equal(ui_format_ndr_value(out, sizeof out, "long", RS_NDR_ROLE_DATA, longs + 4, 4, false), "-1");
    assert_string_equal(ui_format_ndr_value(out, sizeof out, "align 4", RS_NDR_ROLE_PADDING, null_id, 3, false), "pad");
}

static void test_pdu_fields(void **state)
{
    (void)state;
    /* A request of call 2, opnum 1, with 4 stub bytes. */
    static const uint8_t stub[4] = {0x2a, 0, 0, 0};
    rs_pdu p;
    rs_pdu_init(&p, RS_PTYPE_REQUEST, 2);
    p.request.opnum = 1;
    p.stub = stub;
    p.stub_len = sizeof stub;
    rs_buf b;
    rs_buf_init(&b, 1024);
    assert_int_equal(rs_pdu_encode(&p, RS_LE, &b), RS_OK);
    ui_pdu_field f[UI_PDU_FIELDS_MAX];
    size_t n = ui_format_pdu_fields(b.data, b.len, f, UI_PDU_FIELDS_MAX);
    assert_int_equal(n, 12); /* 8 common, alloc_hint, p_cont_id, opnum, stub data */
    assert_string_equal(f[2].name, "PTYPE");
    assert_string_equal(f[2].value, "0 request");
    assert_string_equal(f[3].name, "pfc_flags");
    assert_string_equal(f[3].value, "0x03 PFC_FIRST_FRAG|PFC_LAST_FRAG");
    assert_string_equal(f[4].name, "drep");
    assert_string_equal(f[4].value, "10 00 00 00 little-endian, ASCII, IEEE");
    assert_int_equal(f[4].offset, 4);
    assert_int_equal(f[4].length, 4);
    assert_string_equal(f[7].name, "call_id");
    assert_string_equal(f[7].value, "2");
    assert_string_equal(f[10].name, "opnum");
    assert_string_equal(f[10].value, "1");
    assert_true(f[11].stub);
    assert_int_equal(f[11].offset, 24);
    assert_int_equal(f[11].length, 4);
    /* Every byte belongs to exactly one field. */
    size_t covered = 0;
    for (size_t i = 0; i < n; i++)
        covered += f[i].length;
    assert_int_equal(covered, b.len);

    /* Cut anywhere, it still names what is there and never reads past the end. */
    for (size_t len = 0; len < b.len; len++) {
        size_t k = ui_format_pdu_fields(b.data, len, f, UI_PDU_FIELDS_MAX);
        for (size_t i = 0; i < k; i++)
            assert_true(f[i].offset + f[i].length <= len);
    }
    rs_buf_free(&b);

    char t[96];
    assert_string_equal(ui_format_pdu_title(t, sizeof t, RS_PTYPE_REQUEST, RS_PFC_FIRST_FRAG, 7, 0),
                        "request \xC2\xB7 call 7 \xC2\xB7 FIRST");
    assert_string_equal(ui_format_pdu_title(t, sizeof t, RS_PTYPE_RESPONSE, 0, 7, 0),
                        "response \xC2\xB7 call 7 \xC2\xB7 middle");
    assert_string_equal(ui_format_pdu_title(t, sizeof t, RS_PTYPE_FAULT, 3, 7, 0x1C010002),
                        "fault \xC2\xB7 nca_s_op_rng_error");
}

static void test_events_as_sentences(void **state)
{
    (void)state;
    const uint8_t count[4] = {13, 0, 0, 0};
    rs_trace_event ev = {.kind = RS_TRACE_NDR_PUT, .role = RS_TRACE_ROLE_CLIENT, .name = "pszString",
                         .ndr_type = "unsigned long", .ndr_role = RS_NDR_ROLE_MAX_COUNT, .length = 4,
                         .bytes = count, .bytes_len = 4};
    char out[256];
    assert_string_equal(ui_format_event(out, sizeof out, &ev),
                        "The client stub marshals one field into the NDR buffer: pszString, its max_count = 13.");
    assert_string_equal(ui_format_event_short(out, sizeof out, &ev), "marshals pszString \xC2\xB7 max_count");
    rs_trace_event listen = {.kind = RS_TRACE_LISTEN, .role = RS_TRACE_ROLE_SERVER, .text = "ncacn_ip_tcp:127.0.0.1[4747]"};
    assert_string_equal(ui_format_event(out, sizeof out, &listen),
                        "The server listens on a binding: ncacn_ip_tcp:127.0.0.1[4747].");
}

static void test_cut_keeps_characters_whole(void **state)
{
    (void)state;
    char out[32];
    assert_string_equal(ui_format_cut(out, sizeof out, "short", 10), "short");
    /* "ab" then a 2-byte character: cutting to 5 bytes leaves "ab" and the ellipsis. */
    assert_string_equal(ui_format_cut(out, sizeof out, "ab\xC3\xA9\xC3\xA9\xC3\xA9", 5), "ab\xE2\x80\xA6");
    assert_string_equal(ui_format_cut(out, sizeof out, "abcdefgh", 6), "abc\xE2\x80\xA6");
    assert_string_equal(ui_format_cut(out, sizeof out, "abcdefgh", 2), "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_c_values_by_type),
        cmocka_unit_test(test_ndr_values_by_role),
        cmocka_unit_test(test_pdu_fields),
        cmocka_unit_test(test_events_as_sentences),
        cmocka_unit_test(test_cut_keeps_characters_whole),
    };
    return cmocka_run_group_tests_name("ui_format", tests, NULL, NULL);
}
