/* test_buf.c -- the bounds-checked buffer: growth, limits, both byte orders, truncation, views. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "buf.h"

static void test_put_integers_little_endian(void **state)
{
    (void)state;
    static const uint8_t want[] = {
        0xAB,                                           /* u8 */
        0x34, 0x12,                                     /* u16 0x1234 */
        0x78, 0x56, 0x34, 0x12,                         /* u32 0x12345678 */
        0xEF, 0xCD, 0xAB, 0x89, 0x67, 0x45, 0x23, 0x01, /* u64 0x0123456789ABCDEF */
    };
    rs_buf b;
    rs_buf_init(&b, 1024);
    assert_int_equal(rs_buf_put_u8(&b, 0xAB), RS_OK);
    assert_int_equal(rs_buf_put_u16(&b, RS_LE, 0x1234), RS_OK);
    assert_int_equal(rs_buf_put_u32(&b, RS_LE, 0x12345678), RS_OK);
    assert_int_equal(rs_buf_put_u64(&b, RS_LE, 0x0123456789ABCDEFull), RS_OK);
    assert_int_equal(b.len, sizeof want);
    assert_memory_equal(b.data, want, sizeof want);
    rs_buf_free(&b);
}

static void test_put_integers_big_endian(void **state)
{
    (void)state;
    static const uint8_t want[] = {
        0x12, 0x34,                                     /* u16 0x1234 */
        0x12, 0x34, 0x56, 0x78,                         /* u32 0x12345678 */
        0x01, 0x23, 0x45, 0x67, 0x89, 0xAB, 0xCD, 0xEF, /* u64 */
    };
    rs_buf b;
    rs_buf_init(&b, 1024);
    assert_int_equal(rs_buf_put_u16(&b, RS_BE, 0x1234), RS_OK);
    assert_int_equal(rs_buf_put_u32(&b, RS_BE, 0x12345678), RS_OK);
    assert_int_equal(rs_buf_put_u64(&b, RS_BE, 0x0123456789ABCDEFull), RS_OK);
    assert_memory_equal(b.data, want, sizeof want);

    rs_buf in;
    uint16_t v16;
    uint32_t v32;
    uint64_t v64;
    rs_buf_view(&in, want, sizeof want);
    assert_int_equal(rs_buf_get_u16(&in, RS_BE, &v16), RS_OK);
    assert_int_equal(rs_buf_get_u32(&in, RS_BE, &v32), RS_OK);
    assert_int_equal(rs_buf_get_u64(&in, RS_BE, &v64), RS_OK);
    assert_int_equal(v16, 0x1234);
    assert_int_equal(v32, 0x12345678);
    assert_true(v64 == 0x0123456789ABCDEFull);
    assert_int_equal(rs_buf_remaining(&in), 0);
    rs_buf_free(&b);
}

static void test_grows_past_initial_capacity(void **state)
{
    (void)state;
    rs_buf b;
    rs_buf_init(&b, 1 << 20);
    for (uint32_t i = 0; i < 10000; i++)
        assert_int_equal(rs_buf_put_u32(&b, RS_LE, i), RS_OK);
    assert_int_equal(b.len, 40000);
    assert_true(b.cap >= b.len && b.cap <= b.limit);
    rs_buf in;
    rs_buf_view(&in, b.data, b.len);
    for (uint32_t i = 0; i < 10000; i++) {
        uint32_t v;
        assert_int_equal(rs_buf_get_u32(&in, RS_LE, &v), RS_OK);
        assert_int_equal(v, i);
    }
    rs_buf_free(&b);
}

static void test_limit_is_never_exceeded(void **state)
{
    (void)state;
    rs_buf b;
    rs_buf_init(&b, 10);
    assert_int_equal(rs_buf_put_u64(&b, RS_LE, 1), RS_OK);
    assert_int_equal(rs_buf_put_u32(&b, RS_LE, 2), RS_ERR_LIMIT);
    assert_int_equal(b.len, 8); /* the failed put wrote nothing */
    assert_non_null(strstr(rs_buf_error(&b), "limit"));
    assert_int_equal(rs_buf_put_u16(&b, RS_LE, 3), RS_OK); /* exactly to the limit */
    assert_int_equal(b.len, 10);
    assert_true(b.cap <= 10);
    /* A size that would overflow len + n is refused, not wrapped. */
    assert_int_equal(rs_buf_reserve(&b, SIZE_MAX), RS_ERR_LIMIT);
    rs_buf_free(&b);
}

static void test_first_error_is_kept(void **state)
{
    (void)state;
    rs_buf b;
    uint8_t v;
    rs_buf_view(&b, "", 0);
    assert_int_equal(rs_buf_get_u8(&b, &v), RS_ERR_TRUNCATED);
    char first[RS_BUF_ERROR_MAX];
    strcpy(first, rs_buf_error(&b));
    assert_non_null(strstr(first, "needs 1 bytes at offset 0x0"));
    assert_int_equal(rs_buf_fail(&b, RS_ERR_NDR, "something later"), RS_ERR_NDR);
    assert_string_equal(rs_buf_error(&b), first);
    assert_int_equal(b.status, RS_ERR_TRUNCATED);
    rs_buf_reset(&b);
    assert_string_equal(rs_buf_error(&b), "");
    assert_int_equal(b.status, RS_OK);
}

/* Every get on every short input fails, reports truncation, and leaves the cursor alone. */
static void test_truncation_at_every_offset(void **state)
{
    (void)state;
    static const uint8_t src[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    for (size_t len = 0; len < 8; len++) {
        rs_buf in;
        uint16_t v16;
        uint32_t v32;
        uint64_t v64;
        uint8_t raw[8];
        const uint8_t *p;
        rs_buf_view(&in, src, len);
        assert_int_equal(rs_buf_get_u64(&in, RS_LE, &v64), RS_ERR_TRUNCATED);
        assert_int_equal(rs_buf_get_bytes(&in, raw, len + 1), RS_ERR_TRUNCATED);
        assert_int_equal(rs_buf_get_ptr(&in, len + 1, &p), RS_ERR_TRUNCATED);
        assert_int_equal(rs_buf_skip(&in, len + 1), RS_ERR_TRUNCATED);
        if (len < 4)
            assert_int_equal(rs_buf_get_u32(&in, RS_LE, &v32), RS_ERR_TRUNCATED);
        if (len < 2)
            assert_int_equal(rs_buf_get_u16(&in, RS_LE, &v16), RS_ERR_TRUNCATED);
        assert_int_equal(in.pos, 0);
        assert_int_equal(rs_buf_skip(&in, SIZE_MAX), RS_ERR_TRUNCATED);
    }
}

static void test_view_is_read_only(void **state)
{
    (void)state;
    uint8_t bytes[4] = {9, 9, 9, 9};
    rs_buf v;
    rs_buf_view(&v, bytes, sizeof bytes);
    assert_int_equal(rs_buf_put_u8(&v, 1), RS_ERR_INVALID_ARG);
    assert_int_equal(rs_buf_patch_u16(&v, 0, RS_LE, 1), RS_ERR_INVALID_ARG);
    assert_int_equal(bytes[0], 9);
    rs_buf_free(&v); /* frees nothing it does not own */
    assert_int_equal(bytes[0], 9);
}

static void test_patch(void **state)
{
    (void)state;
    rs_buf b;
    rs_buf_init(&b, 64);
    assert_int_equal(rs_buf_put_zeros(&b, 8), RS_OK);
    assert_int_equal(rs_buf_patch_u16(&b, 2, RS_LE, 0x0048), RS_OK);
    assert_int_equal(rs_buf_patch_u32(&b, 4, RS_BE, 0x01020304), RS_OK);
    static const uint8_t want[] = {0, 0, 0x48, 0x00, 1, 2, 3, 4};
    assert_memory_equal(b.data, want, 8);
    assert_int_equal(rs_buf_patch_u32(&b, 5, RS_LE, 0), RS_ERR_INVALID_ARG);
    assert_int_equal(rs_buf_patch_u32(&b, SIZE_MAX, RS_LE, 0), RS_ERR_INVALID_ARG);
    assert_memory_equal(b.data, want, 8);
    rs_buf_free(&b);
}

static void test_sub_buffer_is_bounded_by_its_parent(void **state)
{
    (void)state;
    static const uint8_t src[] = {0x02, 0x00, 0xAA, 0xBB, 0xCC};
    rs_buf in, sub;
    uint16_t n = 0;
    uint8_t x;
    rs_buf_view(&in, src, sizeof src);
    assert_int_equal(rs_buf_get_u16(&in, RS_LE, &n), RS_OK);
    assert_int_equal(rs_buf_sub(&in, n, &sub), RS_OK);
    assert_int_equal(rs_buf_remaining(&sub), 2);
    assert_int_equal(rs_buf_get_u8(&sub, &x), RS_OK);
    assert_int_equal(x, 0xAA);
    assert_int_equal(rs_buf_get_u8(&sub, &x), RS_OK);
    assert_int_equal(rs_buf_get_u8(&sub, &x), RS_ERR_TRUNCATED); /* cannot read the parent's 0xCC */
    assert_int_equal(rs_buf_remaining(&in), 1);
    assert_int_equal(rs_buf_sub(&in, 2, &sub), RS_ERR_TRUNCATED);
    assert_non_null(strstr(rs_buf_error(&in), "parent buffer too short"));
    assert_int_equal(rs_buf_remaining(&in), 1);
}

static void test_extend_and_empty_reads(void **state)
{
    (void)state;
    rs_buf b;
    uint8_t *p;
    const uint8_t *q;
    rs_buf_init(&b, 16);
    assert_int_equal(rs_buf_extend(&b, 3, &p), RS_OK);
    memcpy(p, "abc", 3);
    assert_int_equal(b.len, 3);
    assert_memory_equal(b.data, "abc", 3);
    rs_buf_free(&b);

    rs_buf fresh; /* nothing allocated yet: appending nothing must not compute NULL + 0 */
    rs_buf_init(&fresh, 16);
    assert_int_equal(rs_buf_put_zeros(&fresh, 0), RS_OK);
    assert_int_equal(rs_buf_put_bytes(&fresh, "", 0), RS_OK);
    rs_buf_free(&fresh);

    rs_buf empty;
    rs_buf_view(&empty, NULL, 0);
    assert_int_equal(rs_buf_get_ptr(&empty, 0, &q), RS_OK);
    assert_int_equal(rs_buf_need(&empty, 0), RS_OK);
    assert_int_equal(rs_buf_need(&empty, 1), RS_ERR_TRUNCATED);
}

/* rs_buf_move(): the memory, cursor, limit and status change hands, the error text only with a
 * failure; the source is left owning nothing. */
static void test_move(void **state)
{
    (void)state;
    rs_buf a, b;
    rs_buf_init(&a, 100);
    assert_int_equal(rs_buf_put_u32(&a, RS_LE, 7), RS_OK);
    a.pos = 2;
    uint8_t *mem = a.data;
    rs_buf_move(&b, &a);
    assert_ptr_equal(b.data, mem);
    assert_int_equal(b.len, 4);
    assert_int_equal(b.pos, 2);
    assert_int_equal(b.limit, 100);
    assert_int_equal(b.status, RS_OK);
    assert_string_equal(rs_buf_error(&b), "");
    assert_null(a.data);
    assert_int_equal(a.len + a.cap + a.pos + a.limit, 0);
    rs_buf_free(&a); /* owns nothing: frees nothing */

    uint32_t v;
    b.pos = 4;
    assert_int_equal(rs_buf_get_u32(&b, RS_LE, &v), RS_ERR_TRUNCATED);
    char why[RS_BUF_ERROR_MAX];
    snprintf(why, sizeof why, "%s", rs_buf_error(&b));
    assert_true(strlen(why) > 0);
    rs_buf_move(&a, &b);
    assert_int_equal(a.status, RS_ERR_TRUNCATED);
    assert_string_equal(rs_buf_error(&a), why);
    assert_int_equal(b.status, RS_OK);
    assert_string_equal(rs_buf_error(&b), "");
    rs_buf_free(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_put_integers_little_endian),
        cmocka_unit_test(test_put_integers_big_endian),
        cmocka_unit_test(test_grows_past_initial_capacity),
        cmocka_unit_test(test_limit_is_never_exceeded),
        cmocka_unit_test(test_first_error_is_kept),
        cmocka_unit_test(test_truncation_at_every_offset),
        cmocka_unit_test(test_view_is_read_only),
        cmocka_unit_test(test_patch),
        cmocka_unit_test(test_sub_buffer_is_bounded_by_its_parent),
        cmocka_unit_test(test_extend_and_empty_reads),
        cmocka_unit_test(test_move),
    };
    return cmocka_run_group_tests_name("buf", tests, NULL, NULL);
}
