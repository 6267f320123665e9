/* buf.c -- the growable, bounds-checked byte buffer. See buf.h for the contract. */
#include "buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BUF_MIN_CAPACITY 64

/* Field by field, not memset(): the error text is most of the struct, and only its first byte
 * matters until a failure writes it. Buffers are made on every call's path. */
void rs_buf_free(rs_buf *b)
{
    if (!b->readonly)
        free(b->data);
    b->data = NULL;
    b->len = b->cap = b->pos = 0;
}

void rs_buf_reset(rs_buf *b)
{
    if (!b->readonly)
        b->len = 0;
    b->pos = 0;
    b->status = RS_OK;
    b->error[0] = '\0';
}

rs_status rs_buf_fail(rs_buf *b, rs_status st, const char *fmt, ...)
{
    if (b->status == RS_OK) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(b->error, sizeof b->error, fmt, ap);
        va_end(ap);
        b->status = st;
    }
    return st;
}

rs_status rs_buf_reserve(rs_buf *b, size_t extra)
{
    if (b->readonly)
        return rs_buf_fail(b, RS_ERR_INVALID_ARG, "buf: cannot write into a read-only view");
    if (extra > b->limit || b->len > b->limit - extra)
        return rs_buf_fail(b, RS_ERR_LIMIT, "buf: %zu more bytes after %zu exceed the %zu-byte limit",
                           extra, b->len, b->limit);
    size_t want = b->len + extra;
    if (want <= b->cap)
        return RS_OK;
    /* Double until it fits, but never past the limit: the cost of growth stays O(n) overall. */
    size_t cap = b->cap ? b->cap : BUF_MIN_CAPACITY;
    while (cap < want)
        cap = cap > SIZE_MAX / 2 ? want : cap * 2;
    if (cap > b->limit)
        cap = b->limit;
    uint8_t *p = realloc(b->data, cap);
    if (p == NULL)
        return rs_buf_fail(b, RS_ERR_NOMEM, "buf: cannot allocate %zu bytes", cap);
    b->data = p;
    b->cap = cap;
    return RS_OK;
}

rs_status rs_buf_extend_slow(rs_buf *b, size_t n, uint8_t **out)
{
    rs_status st = rs_buf_reserve(b, n);
    if (st != RS_OK)
        return st;
    *out = b->data != NULL ? b->data + b->len : NULL; /* NULL + 0 is undefined in C */
    b->len += n;
    return RS_OK;
}

rs_status rs_buf_put_zeros(rs_buf *b, size_t n)
{
    uint8_t *p;
    rs_status st = rs_buf_extend(b, n, &p);
    if (st == RS_OK && n > 0)
        memset(p, 0, n);
    return st;
}

static rs_status check_patch(rs_buf *b, size_t at, size_t n)
{
    if (b->readonly)
        return rs_buf_fail(b, RS_ERR_INVALID_ARG, "buf: cannot patch a read-only view");
    if (at > b->len || n > b->len - at)
        return rs_buf_fail(b, RS_ERR_INVALID_ARG, "buf: patch of %zu bytes at %zu is past the end (%zu)",
                           n, at, b->len);
    return RS_OK;
}

rs_status rs_buf_patch_u16(rs_buf *b, size_t at, rs_endian e, uint16_t v)
{
    rs_status st = check_patch(b, at, 2);
    if (st == RS_OK)
        rs_store_u16(b->data + at, e, v);
    return st;
}

rs_status rs_buf_patch_u32(rs_buf *b, size_t at, rs_endian e, uint32_t v)
{
    rs_status st = check_patch(b, at, 4);
    if (st == RS_OK)
        rs_store_u32(b->data + at, e, v);
    return st;
}

rs_status rs_buf_need(rs_buf *b, size_t n)
{
    if (n > rs_buf_remaining(b))
        return rs_buf_fail(b, RS_ERR_TRUNCATED, "buf: needs %zu bytes at offset 0x%zx, only %zu left",
                           n, b->pos, rs_buf_remaining(b));
    return RS_OK;
}

rs_status rs_buf_sub(rs_buf *b, size_t n, rs_buf *sub)
{
    if (n > rs_buf_remaining(b))
        return rs_buf_fail(b, RS_ERR_TRUNCATED,
                           "buf: parent buffer too short: %zu bytes wanted at offset 0x%zx, %zu left",
                           n, b->pos, rs_buf_remaining(b));
    rs_buf_view(sub, b->data != NULL ? b->data + b->pos : NULL, n);
    b->pos += n;
    return RS_OK;
}
