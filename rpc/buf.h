/* buf.h -- a growable byte buffer with a read cursor: the one place that bounds-checks reads.
 *
 * Writers append at the end (len); readers consume from the cursor (pos). Every get checks that
 * the bytes are there before touching them, and a buffer never grows past its limit. The first
 * failure is kept on the buffer with a sentence of context, like nanopb's stream errmsg.
 *
 *     rs_buf b;
 *     rs_buf_init(&b, 4096);                       // grows up to 4096 bytes
 *     if (rs_buf_put_u32(&b, RS_LE, 0x12345678) != RS_OK) ...
 *     rs_buf in;
 *     rs_buf_view(&in, b.data, b.len);             // read back, without copying
 *     uint32_t v;
 *     if (rs_buf_get_u32(&in, RS_LE, &v) != RS_OK) puts(rs_buf_error(&in));
 *     rs_buf_free(&b);
 *
 * What holds for hostile input: a get never reads at or past len, and it fails before it moves
 * the cursor; a put never makes len exceed limit, and every size is checked for overflow first.
 */
#ifndef RPCSCOPE_BUF_H
#define RPCSCOPE_BUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "status.h"

/* Byte order of an integer on the wire. NDR's drep says which one the sender used. */
typedef enum { RS_LE = 0, RS_BE = 1 } rs_endian;

#define RS_BUF_NO_LIMIT SIZE_MAX
#define RS_BUF_ERROR_MAX 200

typedef struct rs_buf {
    uint8_t *data;       /* bytes [0, len) are valid */
    size_t len;          /* bytes written, or the bytes a view covers */
    size_t cap;          /* bytes allocated; 0 for a view */
    size_t pos;          /* read cursor: never greater than len */
    size_t limit;        /* len never grows past this */
    bool readonly;       /* a view over bytes the buffer does not own */
    rs_status status;    /* the first failure, RS_OK until there is one */
    char error[RS_BUF_ERROR_MAX]; /* its context, "" until there is one */
} rs_buf;

/* Bytes that belong at [at, at + len) of a buffer's content but were left where they are, at
 * `data`: the buffer reserved the room and never wrote it. An NDR stream that marshals a large
 * array by reference makes these (ndr.h, rs_ndr_set_by_reference()); whoever sends the buffer
 * sends them in that room (rs_conn_send_fragments()). */
typedef struct rs_buf_ref {
    size_t at;
    const uint8_t *data;
    size_t len;
} rs_buf_ref;

/* --- byte order by shifts, never by pointer casts --- */

static inline uint16_t rs_load_u16(const uint8_t *p, rs_endian e)
{
    return e == RS_LE ? (uint16_t)(p[0] | p[1] << 8) : (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t rs_load_u32(const uint8_t *p, rs_endian e)
{
    if (e == RS_LE)
        return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static inline uint64_t rs_load_u64(const uint8_t *p, rs_endian e)
{
    uint64_t lo = rs_load_u32(p, e), hi = rs_load_u32(p + 4, e);
    return e == RS_LE ? (hi << 32 | lo) : (lo << 32 | hi);
}

static inline void rs_store_u16(uint8_t *p, rs_endian e, uint16_t v)
{
    if (e == RS_LE) {
        p[0] = (uint8_t)v;
        p[1] = (uint8_t)(v >> 8);
    } else {
        p[0] = (uint8_t)(v >> 8);
        p[1] = (uint8_t)v;
    }
}

static inline void rs_store_u32(uint8_t *p, rs_endian e, uint32_t v)
{
    if (e == RS_LE) {
        p[0] = (uint8_t)v;
        p[1] = (uint8_t)(v >> 8);
        p[2] = (uint8_t)(v >> 16);
        p[3] = (uint8_t)(v >> 24);
    } else {
        p[0] = (uint8_t)(v >> 24);
        p[1] = (uint8_t)(v >> 16);
        p[2] = (uint8_t)(v >> 8);
        p[3] = (uint8_t)v;
    }
}

static inline void rs_store_u64(uint8_t *p, rs_endian e, uint64_t v)
{
    if (e == RS_LE) {
        rs_store_u32(p, e, (uint32_t)v);
        rs_store_u32(p + 4, e, (uint32_t)(v >> 32));
    } else {
        rs_store_u32(p, e, (uint32_t)(v >> 32));
        rs_store_u32(p + 4, e, (uint32_t)v);
    }
}

/* An empty growable buffer that will hold at most `limit` bytes. Allocates nothing yet. (Inline,
 * as rs_buf_view(): a call makes several; neither clears the 200 bytes of error text.) */
static inline void rs_buf_init(rs_buf *b, size_t limit)
{
    b->data = NULL;
    b->len = b->cap = b->pos = 0;
    b->limit = limit;
    b->readonly = false;
    b->status = RS_OK;
    b->error[0] = '\0';
}

/* A read-only view of `len` bytes owned by the caller, cursor at 0. Puts fail on a view. */
static inline void rs_buf_view(rs_buf *b, const void *data, size_t len)
{
    /* The cast is safe: readonly makes every put fail before it could write. */
    b->data = (uint8_t *)(uintptr_t)data;
    b->len = b->limit = len;
    b->cap = b->pos = 0;
    b->readonly = true;
    b->status = RS_OK;
    b->error[0] = '\0';
}

/* Moves *src into *dst (whose own memory, if any, the caller freed or moved first) and leaves
 * *src empty, owning nothing, with limit 0. Field by field: the error text, most of an rs_buf,
 * is copied only when there is a failure to tell (buffers change hands on every call). */
static inline void rs_buf_move(rs_buf *dst, rs_buf *src)
{
    dst->data = src->data;
    dst->len = src->len;
    dst->cap = src->cap;
    dst->pos = src->pos;
    dst->limit = src->limit;
    dst->readonly = src->readonly;
    dst->status = src->status;
    if (src->status != RS_OK)
        memcpy(dst->error, src->error, sizeof dst->error);
    else
        dst->error[0] = '\0';
    src->data = NULL;
    src->len = src->cap = src->pos = src->limit = 0;
    src->readonly = false;
    src->status = RS_OK;
    src->error[0] = '\0';
}

/* Frees what the buffer owns and leaves it empty (a view just forgets its bytes). */
void rs_buf_free(rs_buf *b);

/* Empties the buffer and clears its error, keeping the memory for reuse. */
void rs_buf_reset(rs_buf *b);

/* Makes room for `extra` more bytes without writing them. */
RS_MUST_CHECK rs_status rs_buf_reserve(rs_buf *b, size_t extra);

/* --- writing: each put appends at len --- */

/* Appends `n` bytes and points *out at them, for the caller to fill (a bulk copy, a byte swap).
 * The pointer is valid until the next call that may grow the buffer. Inline when the bytes fit
 * in what is allocated (every put on a call's path, once the buffer has grown);
 * rs_buf_extend_slow() grows, or fails with the reason. */
RS_MUST_CHECK rs_status rs_buf_extend_slow(rs_buf *b, size_t n, uint8_t **out);
RS_MUST_CHECK static inline rs_status rs_buf_extend(rs_buf *b, size_t n, uint8_t **out)
{
    /* A view has cap 0 and never fits; n <= cap - len keeps len + n from overflowing. */
    if (!b->readonly && b->len <= b->cap && n <= b->cap - b->len && b->len + n <= b->limit &&
        b->data != NULL) {
        *out = b->data + b->len;
        b->len += n;
        return RS_OK;
    }
    *out = NULL;
    return rs_buf_extend_slow(b, n, out);
}

RS_MUST_CHECK static inline rs_status rs_buf_put_bytes(rs_buf *b, const void *src, size_t n)
{
    uint8_t *p;
    rs_status st = rs_buf_extend(b, n, &p);
    if (st == RS_OK && n > 0)
        memcpy(p, src, n);
    return st;
}

RS_MUST_CHECK rs_status rs_buf_put_zeros(rs_buf *b, size_t n);

RS_MUST_CHECK static inline rs_status rs_buf_put_u8(rs_buf *b, uint8_t v)
{
    uint8_t *p;
    rs_status st = rs_buf_extend(b, 1, &p);
    if (st == RS_OK)
        *p = v;
    return st;
}

RS_MUST_CHECK static inline rs_status rs_buf_put_u16(rs_buf *b, rs_endian e, uint16_t v)
{
    uint8_t *p;
    rs_status st = rs_buf_extend(b, 2, &p);
    if (st == RS_OK)
        rs_store_u16(p, e, v);
    return st;
}

RS_MUST_CHECK static inline rs_status rs_buf_put_u32(rs_buf *b, rs_endian e, uint32_t v)
{
    uint8_t *p;
    rs_status st = rs_buf_extend(b, 4, &p);
    if (st == RS_OK)
        rs_store_u32(p, e, v);
    return st;
}

RS_MUST_CHECK static inline rs_status rs_buf_put_u64(rs_buf *b, rs_endian e, uint64_t v)
{
    uint8_t *p;
    rs_status st = rs_buf_extend(b, 8, &p);
    if (st == RS_OK)
        rs_store_u64(p, e, v);
    return st;
}

/* Overwrites bytes already written at offset `at` (a frag_length known only at the end). */
RS_MUST_CHECK rs_status rs_buf_patch_u16(rs_buf *b, size_t at, rs_endian e, uint16_t v);
RS_MUST_CHECK rs_status rs_buf_patch_u32(rs_buf *b, size_t at, rs_endian e, uint32_t v);

/* --- reading: each get consumes from pos, or fails and leaves pos where it was --- */

/* Bytes left to read: len - pos. */
static inline size_t rs_buf_remaining(const rs_buf *b) { return b->len - b->pos; }

/* RS_OK if `n` more bytes can be read; RS_ERR_TRUNCATED (and the error context) if not. */
RS_MUST_CHECK rs_status rs_buf_need(rs_buf *b, size_t n);

/* Consumes `n` bytes and points *out at them, without copying. Valid while the buffer is. */
RS_MUST_CHECK static inline rs_status rs_buf_get_ptr(rs_buf *b, size_t n, const uint8_t **out)
{
    if (n > rs_buf_remaining(b)) {
        *out = NULL;
        return rs_buf_need(b, n); /* the failure, with its story */
    }
    *out = b->data != NULL ? b->data + b->pos : NULL; /* NULL + 0 is undefined in C */
    b->pos += n;
    return RS_OK;
}

RS_MUST_CHECK static inline rs_status rs_buf_get_bytes(rs_buf *b, void *dst, size_t n)
{
    const uint8_t *p;
    rs_status st = rs_buf_get_ptr(b, n, &p);
    if (st == RS_OK && n > 0)
        memcpy(dst, p, n);
    return st;
}

RS_MUST_CHECK static inline rs_status rs_buf_skip(rs_buf *b, size_t n)
{
    const uint8_t *p;
    return rs_buf_get_ptr(b, n, &p);
}

RS_MUST_CHECK static inline rs_status rs_buf_get_u8(rs_buf *b, uint8_t *v)
{
    const uint8_t *p;
    rs_status st = rs_buf_get_ptr(b, 1, &p);
    if (st == RS_OK)
        *v = *p;
    return st;
}

RS_MUST_CHECK static inline rs_status rs_buf_get_u16(rs_buf *b, rs_endian e, uint16_t *v)
{
    const uint8_t *p;
    rs_status st = rs_buf_get_ptr(b, 2, &p);
    if (st == RS_OK)
        *v = rs_load_u16(p, e);
    return st;
}

RS_MUST_CHECK static inline rs_status rs_buf_get_u32(rs_buf *b, rs_endian e, uint32_t *v)
{
    const uint8_t *p;
    rs_status st = rs_buf_get_ptr(b, 4, &p);
    if (st == RS_OK)
        *v = rs_load_u32(p, e);
    return st;
}

RS_MUST_CHECK static inline rs_status rs_buf_get_u64(rs_buf *b, rs_endian e, uint64_t *v)
{
    const uint8_t *p;
    rs_status st = rs_buf_get_ptr(b, 8, &p);
    if (st == RS_OK)
        *v = rs_load_u64(p, e);
    return st;
}

/* Makes `sub` a read-only view of the next `n` bytes of `b` and consumes them from `b`. The
 * sub-buffer is bounded by its parent before anything is read: RS_ERR_TRUNCATED
 * ("parent buffer too short") if the parent does not hold `n` more bytes. */
RS_MUST_CHECK rs_status rs_buf_sub(rs_buf *b, size_t n, rs_buf *sub);

/* --- errors --- */

/* Records `st` and a printf-style context on the buffer if it has no error yet, and returns `st`.
 * Used by every layer that reads through the buffer, so the first failure's story is kept. */
RS_MUST_CHECK rs_status rs_buf_fail(rs_buf *b, rs_status st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The first failure's context, or "" if there was none. */
static inline const char *rs_buf_error(const rs_buf *b) { return b->error; }

#endif
