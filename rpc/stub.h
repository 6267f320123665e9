/* stub.h -- what the stubs rpcidl generates are written against: one include for NAME.h.
 *
 * Generated code includes <rpcscope/stub.h> and checks RS_STUB_VERSION, so that stubs made by
 * one rpcidl refuse to compile against a runtime that expects another (as nanopb's do):
 *
 *     #include <rpcscope/stub.h>
 *     #if RS_STUB_VERSION != 1
 *     #error "regenerate hello.h with this rpcscope's rpcidl"
 *     #endif
 *
 * The stubs use the NDR engine (ndr.h) to marshal, the client and server runtimes (client.h,
 * server.h) to move the call, and the hook (trace.h) to report each parameter.
 */
#ifndef RPCSCOPE_STUB_H
#define RPCSCOPE_STUB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "interface.h"
#include "ndr.h"
#include "server.h"
#include "status.h"
#include "trace.h"
#include "uuid.h"

/* The version of the contract between generated stubs and this runtime. */
#define RS_STUB_VERSION 1

/* ---- small helpers the generated stubs call ---------------------------------------------------
 * The same few lines would otherwise be repeated in every generated file. None returns behind the
 * stub's back: each reports through its result, and the stub tests it like any NDR call. */

/* The value of a size or length expression of the IDL (size_is(n), length_is(Length / 2)) as an
 * NDR count. RS_OK and *count when 0 <= value <= UINT32_MAX; otherwise the stream fails, with a
 * sentence naming `what`: RS_ERR_INVALID_ARG while encoding (the caller's values are wrong),
 * RS_ERR_NDR while decoding (the values came from the wire). */
RS_MUST_CHECK static inline rs_status rs_stub_count(rs_ndr *ndr, const char *what, int64_t value,
                                                    uint32_t *count)
{
    if (rs_ndr_status(ndr) != RS_OK)
        return rs_ndr_status(ndr);
    if (value < 0 || value > (int64_t)UINT32_MAX)
        return rs_ndr_fail(ndr, ndr->dir == RS_NDR_ENCODE ? RS_ERR_INVALID_ARG : RS_ERR_NDR,
                           "ndr: %s is %lld: an NDR count is 0..4294967295", what,
                           (long long)value);
    *count = (uint32_t)value;
    return RS_OK;
}

/* The elements a [string] in an array of `capacity` characters sends, its terminator counted:
 * strlen + 1, or capacity + 1 when no terminator is within capacity (the NDR call then refuses
 * it as more than the array holds). Never reads past capacity. */
static inline uint32_t rs_stub_string_count(const void *s, uint32_t capacity)
{
    const char *nul = s != NULL ? memchr(s, '\0', capacity) : NULL;
    return nul != NULL ? (uint32_t)(nul - (const char *)s) + 1 : capacity + (capacity < UINT32_MAX);
}

static inline uint32_t rs_stub_wstring_count(const uint16_t *s, uint32_t capacity)
{
    for (uint32_t i = 0; s != NULL && i < capacity; i++)
        if (s[i] == 0)
            return i + 1;
    return capacity + (capacity < UINT32_MAX);
}

/* The length of a [string] wchar_t in code units, its terminator not counted (wcslen() for
 * IDL's 16-bit wchar_t). */
static inline size_t rs_stub_wcslen(const uint16_t *s)
{
    size_t n = 0;
    while (s[n] != 0)
        n++;
    return n;
}

/* rs_ndr_get_unique() for a referent whose size only the wire tells (RS_NDR_SIZE_FROM_WIRE), which
 * also says whether the pointer arrived NULL: the slot stays NULL either way until rs_ndr_flush()
 * decodes the referent, but a stub must check now that a NULL pointer comes with counts of 0
 * (ustring.Buffer NULL with a non-zero Length is a lie the procedure would trust). A pointer that
 * is not NULL is exactly one more referent in the stream's work list. */
RS_MUST_CHECK static inline rs_status rs_stub_get_unique(rs_ndr *ndr, const char *name, void *slot,
                                                         rs_ndr_get_fn fn, bool *is_null)
{
    size_t queued = ndr->item_count;
    rs_status st = rs_ndr_get_unique(ndr, name, slot, RS_NDR_SIZE_FROM_WIRE, fn);
    *is_null = st == RS_OK && ndr->item_count == queued;
    return st;
}

/* One zeroed block of `head` bytes followed by `count` elements of `elem` bytes, owned by the
 * stream like everything it decodes: a conformant structure with room for its array, or the
 * storage of an [out] array. RS_ERR_LIMIT when the size does not fit a size_t or passes the
 * stream's allocation limit. *out is NULL when the size is 0. */
RS_MUST_CHECK static inline rs_status rs_stub_alloc(rs_ndr *ndr, const char *name, size_t head,
                                                    uint32_t count, size_t elem, void **out)
{
    if (elem != 0 && count > (SIZE_MAX - head) / elem)
        return rs_ndr_fail(ndr, RS_ERR_LIMIT, "ndr: %s: %lu elements of %zu bytes do not fit in "
                           "memory", name, (unsigned long)count, elem);
    return rs_ndr_alloc(ndr, name, head + (size_t)count * elem, out);
}

#endif
