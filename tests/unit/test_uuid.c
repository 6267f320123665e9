/* test_uuid.c -- UUID text form, ordering, and the 16-byte wire form in both byte orders. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "uuid.h"

static const char ndr_text[] = "8a885d04-1ceb-11c9-9fe8-08002b104860";

/* The NDR transfer syntax as it appears in every bind (C706 Appendix I / C.2), little-endian. */
static const uint8_t ndr_syntax_le[20] = {
    0x04, 0x5d, 0x88, 0x8a, /* time_low 0x8a885d04, little-endian */
    0xeb, 0x1c,             /* time_mid 0x1ceb */
    0xc9, 0x11,             /* time_hi_and_version 0x11c9 */
    0x9f, 0xe8,             /* clock_seq_hi_and_reserved, clock_seq_low */
    0x08, 0x00, 0x2b, 0x10, 0x48, 0x60, /* node */
    0x02, 0x00, 0x00, 0x00, /* version: major 2 (low 16 bits), minor 0 (high 16) */
};

static void test_parse_and_format(void **state)
{
    (void)state;
    rs_uuid u;
    char text[RS_UUID_STRLEN];
    assert_int_equal(rs_uuid_parse(ndr_text, &u), RS_OK);
    assert_int_equal(u.time_low, 0x8a885d04);
    assert_int_equal(u.time_mid, 0x1ceb);
    assert_int_equal(u.time_hi_and_version, 0x11c9);
    assert_int_equal(u.clock_seq[0], 0x9f);
    assert_int_equal(u.node[5], 0x60);
    rs_uuid_format(&u, text);
    assert_string_equal(text, ndr_text);
    assert_int_equal(rs_uuid_compare(&u, &rs_ndr_syntax.uuid), 0);

    assert_int_equal(rs_uuid_parse("E1AF8308-5D1F-11C9-91A4-08002B14A0FA", &u), RS_OK);
    rs_uuid_format(&u, text);
    assert_string_equal(text, "e1af8308-5d1f-11c9-91a4-08002b14a0fa");
}

static void test_parse_rejects_bad_text(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "",
        "8a885d04-1ceb-11c9-9fe8-08002b10486",    /* one digit short */
        "8a885d04-1ceb-11c9-9fe8-08002b1048600",  /* one digit long */
        "8a885d04-1ceb-11c9-9fe8_08002b104860",   /* wrong separator */
        "8a885d041-ceb-11c9-9fe8-08002b104860",   /* dash in the wrong place */
        "8a885d04-1ceb-11c9-9fe8-08002b10486g",   /* not hex */
        "{8a885d04-1ceb-11c9-9fe8-08002b10486}",  /* braces */
        " 8a885d04-1ceb-11c9-9fe8-08002b10486",   /* leading space */
    };
    rs_uuid u;
    memset(&u, 0xAB, sizeof u);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(rs_uuid_parse(bad[i], &u), RS_ERR_BAD_UUID);
    assert_int_equal(rs_uuid_parse(NULL, &u), RS_ERR_BAD_UUID);
    assert_int_equal(u.time_low, 0xABABABAB); /* untouched on failure */
}

static void test_compare_orders_field_by_field(void **state)
{
    (void)state;
    rs_uuid a, b;
    assert_int_equal(rs_uuid_parse("00000001-0000-0000-0000-000000000000", &a), RS_OK);
    assert_int_equal(rs_uuid_parse("00000000-ffff-ffff-ffff-ffffffffffff", &b), RS_OK);
    assert_true(rs_uuid_compare(&a, &b) > 0);
    assert_true(rs_uuid_compare(&b, &a) < 0);
    assert_int_equal(rs_uuid_parse("00000000-0000-0000-0000-000000000001", &a), RS_OK);
    assert_int_equal(rs_uuid_parse("00000000-0000-0000-0000-000000000000", &b), RS_OK);
    assert_true(rs_uuid_compare(&a, &b) > 0);
    assert_true(rs_uuid_is_nil(&b));
    assert_false(rs_uuid_is_nil(&a));
}

static void test_wire_form_little_endian(void **state)
{
    (void)state;
    rs_buf b;
    rs_buf_init(&b, 64);
    assert_int_equal(rs_syntax_put(&b, RS_LE, &rs_ndr_syntax), RS_OK);
    assert_int_equal(b.len, 20);
    assert_memory_equal(b.data, ndr_syntax_le, 20);

    rs_buf in;
    rs_syntax_id back;
    rs_buf_view(&in, ndr_syntax_le, sizeof ndr_syntax_le);
    assert_int_equal(rs_syntax_get(&in, RS_LE, &back), RS_OK);
    assert_true(rs_syntax_equal(&back, &rs_ndr_syntax));
    assert_int_equal(rs_buf_remaining(&in), 0);
    rs_buf_free(&b);
}

static void test_wire_form_big_endian(void **state)
{
    (void)state;
    static const uint8_t be[16] = {
        0x8a, 0x88, 0x5d, 0x04, /* time_low, big-endian */
        0x1c, 0xeb,             /* time_mid */
        0x11, 0xc9,             /* time_hi_and_version */
        0x9f, 0xe8, 0x08, 0x00, 0x2b, 0x10, 0x48, 0x60, /* clock_seq and node: bytes, no order */
    };
    rs_buf b;
    rs_buf_init(&b, 64);
    assert_int_equal(rs_uuid_put(&b, RS_BE, &rs_ndr_syntax.uuid), RS_OK);
    assert_memory_equal(b.data, be, 16);
    rs_buf in;
    rs_uuid u;
    rs_buf_view(&in, be, sizeof be);
    assert_int_equal(rs_uuid_get(&in, RS_BE, &u), RS_OK);
    assert_int_equal(rs_uuid_compare(&u, &rs_ndr_syntax.uuid), 0);
    rs_buf_free(&b);
}

static void test_truncated_wire_form(void **state)
{
    (void)state;
    for (size_t cut = 0; cut < sizeof ndr_syntax_le; cut++) {
        rs_buf in;
        rs_syntax_id s;
        rs_buf_view(&in, ndr_syntax_le, cut);
        assert_int_equal(rs_syntax_get(&in, RS_LE, &s), RS_ERR_TRUNCATED);
        assert_int_equal(in.pos, 0); /* nothing consumed */
    }
}

static void test_generate_is_random_version_4(void **state)
{
    (void)state;
    rs_uuid a, b;
    assert_int_equal(rs_uuid_generate(&a), RS_OK);
    assert_int_equal(rs_uuid_generate(&b), RS_OK);
    assert_true(rs_uuid_compare(&a, &b) != 0);
    assert_int_equal(a.time_hi_and_version >> 12, 4);
    assert_int_equal(a.clock_seq[0] & 0xC0, 0x80);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_and_format),
        cmocka_unit_test(test_parse_rejects_bad_text),
        cmocka_unit_test(test_compare_orders_field_by_field),
        cmocka_unit_test(test_wire_form_little_endian),
        cmocka_unit_test(test_wire_form_big_endian),
        cmocka_unit_test(test_truncated_wire_form),
        cmocka_unit_test(test_generate_is_random_version_4),
    };
    return cmocka_run_group_tests_name("uuid", tests, NULL, NULL);
}
