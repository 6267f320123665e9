/* test_trace_ndr.c -- the NDR stream's observer, which the runtime turns into NDR_PUT and NDR_GET
 * trace events: every field the layout would record (padding, counts, data), with its name path,
 * type, offset, length, count, role and bytes, with or without a layout, in both directions. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ndr.h"

#define SEEN_MAX 16

typedef struct seen_field {
    char name[64];
    const char *type; /* static in ndr.c */
    size_t offset, length;
    uint32_t count;
    rs_ndr_role role;
    uint8_t bytes[16];
    rs_ndr_dir dir;
} seen_field;

typedef struct seen {
    int count;
    seen_field at[SEEN_MAX];
} seen;

static void observe(const rs_ndr *ndr, const rs_ndr_field *f, const uint8_t *bytes, void *ctx)
{
    seen *s = ctx;
    if (s->count < SEEN_MAX) {
        seen_field *e = &s->at[s->count];
        snprintf(e->name, sizeof e->name, "%s", f->name);
        e->type = f->type;
        e->offset = f->offset;
        e->length = f->length;
        e->count = f->count;
        e->role = f->role;
        memcpy(e->bytes, bytes, f->length < 16 ? f->length : 16);
        e->dir = ndr->dir;
    }
    s->count++;
}

/* byte b = 7, then [string] char *pszString = "hello, world":
 *   07 | 00 00 00 | 0d 00 00 00 | 00 00 00 00 | 0d 00 00 00 | 68 65 6c 6c 6f 2c 20 77 6f 72 6c 64 00
 *   b    pad        max_count     offset        actual_count  13 chars, the NUL included        */
static const uint8_t wire[29] = {
    0x07,                   /* b */
    0x00, 0x00, 0x00,       /* padding to 4 */
    0x0d, 0x00, 0x00, 0x00, /* max_count 13 */
    0x00, 0x00, 0x00, 0x00, /* offset 0 */
    0x0d, 0x00, 0x00, 0x00, /* actual_count 13 */
    'h', 'e', 'l', 'l', 'o', ',', ' ', 'w', 'o', 'r', 'l', 'd', 0x00,
};

static void check_fields(const seen *s, rs_ndr_dir dir)
{
    static const struct {
        const char *name, *type;
        size_t offset, length;
        uint32_t count;
        rs_ndr_role role;
    } want[] = {
        {"b", "byte", 0, 1, 1, RS_NDR_ROLE_DATA},
        {"pszString", "align 4", 1, 3, 3, RS_NDR_ROLE_PADDING},
        {"pszString", "unsigned long", 4, 4, 1, RS_NDR_ROLE_MAX_COUNT},
        {"pszString", "unsigned long", 8, 4, 1, RS_NDR_ROLE_OFFSET},
        {"pszString", "unsigned long", 12, 4, 1, RS_NDR_ROLE_ACTUAL_COUNT},
        {"pszString", "[string] char", 16, 13, 13, RS_NDR_ROLE_DATA},
    };
    assert_int_equal(s->count, 6);
    for (int i = 0; i < 6; i++) {
        const seen_field *f = &s->at[i];
        assert_string_equal(f->name, want[i].name);
        assert_string_equal(f->type, want[i].type);
        assert_int_equal(f->offset, want[i].offset);
        assert_int_equal(f->length, want[i].length);
        assert_int_equal(f->count, want[i].count);
        assert_int_equal(f->role, want[i].role);
        assert_memory_equal(f->bytes, wire + want[i].offset,
                            want[i].length < 16 ? want[i].length : 16);
        assert_int_equal(f->dir, dir);
    }
}

static void test_observer_encode(void **state)
{
    (void)state;
    seen s = {0};
    rs_buf out;
    rs_ndr ndr;
    rs_buf_init(&out, 4096);
    rs_ndr_init_encode(&ndr, &out, RS_LE);
    rs_ndr_set_observer(&ndr, observe, &s); /* no layout */
    assert_int_equal(rs_ndr_put_byte(&ndr, "b", 7), RS_OK);
    assert_int_equal(rs_ndr_put_string(&ndr, "pszString", "hello, world"), RS_OK);
    assert_int_equal(rs_ndr_flush(&ndr), RS_OK);
    assert_int_equal(out.len, sizeof wire);
    assert_memory_equal(out.data, wire, sizeof wire);
    check_fields(&s, RS_NDR_ENCODE);

    /* Removed: nobody is told any more. */
    rs_ndr_set_observer(&ndr, NULL, NULL);
    assert_int_equal(rs_ndr_put_long(&ndr, "after", 1), RS_OK);
    assert_int_equal(s.count, 6);
    rs_ndr_free(&ndr);
    rs_buf_free(&out);
}

static void test_observer_decode_with_layout(void **state)
{
    (void)state;
    seen s = {0};
    rs_buf in;
    rs_ndr ndr;
    rs_ndr_layout lay;
    rs_ndr_layout_init(&lay, 64, 4096);
    rs_buf_view(&in, wire, sizeof wire);
    rs_ndr_init_decode(&ndr, &in, RS_LE);
    rs_ndr_set_observer(&ndr, observe, &s);
    rs_ndr_set_layout(&ndr, &lay);
    uint8_t b = 0;
    char *str = NULL;
    assert_int_equal(rs_ndr_get_byte(&ndr, "b", &b), RS_OK);
    assert_int_equal(rs_ndr_get_string(&ndr, "pszString", &str), RS_OK);
    assert_int_equal(b, 7);
    assert_string_equal(str, "hello, world");
    check_fields(&s, RS_NDR_DECODE);

    /* The layout records the same entries. */
    assert_int_equal(rs_ndr_layout_count(&lay), 6);
    for (size_t i = 0; i < 6; i++) {
        rs_ndr_field f = rs_ndr_layout_at(&lay, i);
        assert_string_equal(f.name, s.at[i].name);
        assert_int_equal(f.offset, s.at[i].offset);
        assert_int_equal(f.length, s.at[i].length);
        assert_int_equal(f.role, s.at[i].role);
    }
    /* The layout goes, the observer stays. */
    rs_ndr_set_layout(&ndr, NULL);
    rs_ndr_free(&ndr);
    rs_ndr_layout_free(&lay);

    /* Nested names; a field that fails to decode reports nothing. */
    static const uint8_t two[6] = {0x2a, 0x00, 0x00, 0x00, 0x01, 0x02};
    seen s2 = {0};
    rs_buf_view(&in, two, sizeof two);
    rs_ndr_init_decode(&ndr, &in, RS_LE);
    rs_ndr_set_observer(&ndr, observe, &s2);
    int32_t x = 0, y = 0;
    assert_int_equal(rs_ndr_enter(&ndr, "s"), RS_OK);
    assert_int_equal(rs_ndr_get_long(&ndr, "x", &x), RS_OK);
    assert_int_equal(rs_ndr_get_long(&ndr, "y", &y), RS_ERR_TRUNCATED);
    assert_int_equal(s2.count, 1);
    assert_string_equal(s2.at[0].name, "s.x");
    assert_int_equal(s2.at[0].bytes[0], 0x2a);
    rs_ndr_free(&ndr);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_observer_encode),
        cmocka_unit_test(test_observer_decode_with_layout),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
