/* test_status.c -- rs_status names and messages; DCE fault codes both ways. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "status.h"

static void test_ok_is_zero(void **state)
{
    (void)state;
    assert_int_equal(RS_OK, 0);
    assert_string_equal(rs_status_name(RS_OK), "RS_OK");
    assert_string_equal(rs_status_message(RS_OK), "success");
}

static void test_every_status_has_a_name_and_message(void **state)
{
    (void)state;
    for (int st = 0; st < RS_STATUS_COUNT; st++) {
        const char *name = rs_status_name((rs_status)st);
        assert_non_null(name);
        assert_memory_equal(name, "RS_", 3);
        assert_true(strlen(rs_status_message((rs_status)st)) > 3);
    }
    assert_string_equal(rs_status_name(RS_ERR_NDR), "RS_ERR_NDR");
}

static void test_status_out_of_range(void **state)
{
    (void)state;
    assert_string_equal(rs_status_name((rs_status)RS_STATUS_COUNT), "RS_UNKNOWN_STATUS");
    assert_string_equal(rs_status_name((rs_status)-1), "RS_UNKNOWN_STATUS");
    assert_string_equal(rs_status_message((rs_status)9999), "unknown status");
}

/* Codes from C706 Appendix E and Microsoft's nca_s_fault_ndr (RPC_X_BAD_STUB_DATA). */
static void test_fault_names_from_the_spec(void **state)
{
    (void)state;
    assert_string_equal(rs_fault_name(0x1C010002), "nca_s_op_rng_error");
    assert_string_equal(rs_fault_name(0x1C010003), "nca_s_unk_if");
    assert_string_equal(rs_fault_name(0x1C01000B), "nca_s_proto_error");
    assert_string_equal(rs_fault_name(0x1C000001), "nca_s_fault_int_div_by_zero");
    assert_string_equal(rs_fault_name(0x000006F7), "nca_s_fault_ndr");
    assert_string_equal(rs_fault_name(0x1C00001C), "nca_s_invalid_pres_context_id");
    assert_int_equal(RS_nca_s_fault_ndr, 0x6F7);
    assert_null(rs_fault_name(0x12345678));
    assert_string_equal(rs_fault_message(0x12345678), "unknown fault");
}

static void test_fault_names_both_ways(void **state)
{
    (void)state;
    static const uint32_t codes[] = {0x1C000001, 0x1C000012, 0x1C000025, 0x1C010001,
                                     0x1C010017, 0x000006F7, 0x000006F5, 0x0000071A};
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
        uint32_t back = 0;
        assert_int_equal(rs_fault_from_name(rs_fault_name(codes[i]), &back), RS_OK);
        assert_int_equal(back, codes[i]);
    }
    uint32_t code = 7;
    assert_int_equal(rs_fault_from_name("nca_s_no_such_thing", &code), RS_ERR_INVALID_ARG);
    assert_int_equal(code, 7);
    assert_int_equal(rs_fault_from_name(NULL, &code), RS_ERR_INVALID_ARG);
    assert_int_equal(rs_fault_from_name("NCA_S_OP_RNG_ERROR", &code), RS_ERR_INVALID_ARG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ok_is_zero),
        cmocka_unit_test(test_every_status_has_a_name_and_message),
        cmocka_unit_test(test_status_out_of_range),
        cmocka_unit_test(test_fault_names_from_the_spec),
        cmocka_unit_test(test_fault_names_both_ways),
    };
    return cmocka_run_group_tests_name("status", tests, NULL, NULL);
}
