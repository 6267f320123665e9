/* ndr.c -- NDR 2.0 marshalling: primitives, alignment, arrays, strings, pointers with their
 * deferred referents, unions, context handles, and the layout record. See ndr.h for the contract.
 *
 * Layering: every byte goes through rs_buf (the one place that bounds-checks reads); this file
 * decides what the bytes are, checks counts from the wire before believing them, and records
 * what it did. The three helpers everything else is built on are put_value() / get_value() for
 * one aligned value and put_block() / get_block() for a block of primitive elements.
 */
#include "ndr.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

_Static_assert(sizeof(int) == 4, "NDR enums are int in memory; [v1_enum] is 4 bytes on the wire");
_Static_assert(sizeof(float) == 4 && sizeof(double) == 8, "NDR float and double are IEEE 754");
_Static_assert(RS_NDR_PATH_MAX <= UINT16_MAX, "path marks are 16 bits");

/* ---- the primitive types --------------------------------------------------------------------- */

struct prim_info {
    const char *name; /* the IDL spelling */
    uint8_t wire;     /* bytes on the wire, which is also the NDR alignment */
    uint8_t mem;      /* bytes in memory */
    bool is_signed;
    bool switchable;  /* may be a union discriminant (C706 14.3.8) */
};

static const struct prim_info prims[RS_NDR_PRIM_COUNT] = {
    [RS_NDR_BOOLEAN] = {"boolean", 1, 1, false, true},
    [RS_NDR_BYTE] = {"byte", 1, 1, false, true},
    [RS_NDR_CHAR] = {"char", 1, 1, false, true},
    [RS_NDR_SMALL] = {"small", 1, 1, true, true},
    [RS_NDR_USMALL] = {"unsigned small", 1, 1, false, true},
    [RS_NDR_SHORT] = {"short", 2, 2, true, true},
    [RS_NDR_USHORT] = {"unsigned short", 2, 2, false, true},
    [RS_NDR_LONG] = {"long", 4, 4, true, true},
    [RS_NDR_ULONG] = {"unsigned long", 4, 4, false, true},
    [RS_NDR_HYPER] = {"hyper", 8, 8, true, false},
    [RS_NDR_UHYPER] = {"unsigned hyper", 8, 8, false, false},
    [RS_NDR_FLOAT] = {"float", 4, 4, false, false},
    [RS_NDR_DOUBLE] = {"double", 8, 8, false, false},
    [RS_NDR_WCHAR] = {"wchar_t", 2, 2, false, false},
    [RS_NDR_ERROR_STATUS] = {"error_status_t", 4, 4, false, false},
    [RS_NDR_ENUM] = {"enum", 2, sizeof(int), false, true},
    [RS_NDR_V1_ENUM] = {"[v1_enum] enum", 4, sizeof(int), true, true},
};

#define TYPE_COUNT "unsigned long" /* max_count, offset and actual_count are u32 */
#define TYPE_STRING "[string] char"
#define TYPE_WSTRING "[string] wchar_t"
#define TYPE_REF "[ref] pointer"
#define TYPE_UNIQUE "[unique] pointer"
#define TYPE_FULL "[ptr] pointer"
#define COUNT_SIZE 4
#define REFERENT_ID_SIZE 4

static bool prim_valid(rs_ndr_prim t)
{
    return (unsigned)t < RS_NDR_PRIM_COUNT;
}

const char *rs_ndr_prim_name(rs_ndr_prim t)
{
    return prim_valid(t) ? prims[t].name : "(not an NDR primitive)";
}

size_t rs_ndr_prim_wire_size(rs_ndr_prim t)
{
    return prim_valid(t) ? prims[t].wire : 0;
}

size_t rs_ndr_prim_mem_size(rs_ndr_prim t)
{
    return prim_valid(t) ? prims[t].mem : 0;
}

static const char *const role_names[RS_NDR_ROLE_COUNT] = {
    [RS_NDR_ROLE_DATA] = "data",
    [RS_NDR_ROLE_PADDING] = "padding",
    [RS_NDR_ROLE_MAX_COUNT] = "max_count",
    [RS_NDR_ROLE_OFFSET] = "offset",
    [RS_NDR_ROLE_ACTUAL_COUNT] = "actual_count",
    [RS_NDR_ROLE_REFERENT_ID] = "referent id",
    [RS_NDR_ROLE_DISCRIMINANT] = "discriminant",
};

const char *rs_ndr_role_name(rs_ndr_role r)
{
    return (unsigned)r < RS_NDR_ROLE_COUNT ? role_names[r] : "unknown role";
}

/* The padding entry's type says what the pad bytes achieve. */
static const char *align_type(size_t n)
{
    switch (n) {
    case 2: return "align 2";
    case 4: return "align 4";
    default: return "align 8";
    }
}

static rs_endian host_endian(void)
{
    const uint16_t probe = 0x0102;
    uint8_t first;
    memcpy(&first, &probe, 1);
    return first == 0x02 ? RS_LE : RS_BE;
}

/* Pad bytes that bring `at` to a multiple of `n` (a power of two): natural alignment, counted
 * from the start of the stub data. */
static size_t pad_for(size_t at, size_t n)
{
    return (n - (at & (n - 1))) & (n - 1);
}

/* Two's complement reading of the low `size` bytes of `bits`, without implementation-defined
 * conversions. */
static int64_t to_signed(uint64_t bits, size_t size)
{
    if (size == 8)
        return (bits >> 63) ? -(int64_t)~bits - 1 : (int64_t)bits;
    uint64_t sign = (uint64_t)1 << (size * 8 - 1);
    bits &= (sign << 1) - 1;
    return (int64_t)(bits ^ sign) - (int64_t)sign;
}

/* ---- drep ------------------------------------------------------------------------------------ */

static const char *const float_rep_problems[] = {
    NULL,
    "drep: floating-point representation 1 (VAX) is not supported, only 0 (IEEE)",
    "drep: floating-point representation 2 (Cray) is not supported, only 0 (IEEE)",
    "drep: floating-point representation 3 (IBM) is not supported, only 0 (IEEE)",
};

rs_status rs_ndr_drep_parse(const uint8_t drep[RS_NDR_DREP_SIZE], rs_endian *e, const char **why)
{
    unsigned integer = drep[0] >> 4, character = drep[0] & 0x0F, floating = drep[1];
    const char *problem = NULL;

    if (character == RS_NDR_DREP_CHAR_EBCDIC)
        problem = "drep: character representation 1 (EBCDIC) is not supported, only 0 (ASCII)";
    else if (character != RS_NDR_DREP_CHAR_ASCII)
        problem = "drep: character representation is neither 0 (ASCII) nor 1 (EBCDIC)";
    else if (integer != RS_NDR_DREP_INT_BIG_ENDIAN && integer != RS_NDR_DREP_INT_LITTLE_ENDIAN)
        problem = "drep: integer representation is neither 0 (big-endian) nor 1 (little-endian)";
    else if (floating < sizeof float_rep_problems / sizeof float_rep_problems[0])
        problem = float_rep_problems[floating];
    else
        problem = "drep: floating-point representation is none of 0 (IEEE), 1, 2, 3";

    if (problem != NULL) {
        if (why != NULL)
            *why = problem;
        return RS_ERR_UNSUPPORTED_DREP;
    }
    *e = integer == RS_NDR_DREP_INT_LITTLE_ENDIAN ? RS_LE : RS_BE;
    if (why != NULL)
        *why = NULL;
    return RS_OK;
}

void rs_ndr_drep_make(rs_endian e, uint8_t drep[RS_NDR_DREP_SIZE])
{
    unsigned integer = e == RS_LE ? RS_NDR_DREP_INT_LITTLE_ENDIAN : RS_NDR_DREP_INT_BIG_ENDIAN;
    drep[0] = (uint8_t)(integer << 4 | RS_NDR_DREP_CHAR_ASCII);
    drep[1] = RS_NDR_DREP_FLOAT_IEEE;
    drep[2] = 0;
    drep[3] = 0;
}

/* ---- name paths ------------------------------------------------------------------------------ */

/* Appends n bytes of s to the path in buf (len bytes used, cap bytes of room, NUL kept), cutting
 * what does not fit. Returns the new length, never more than cap - 1. */
static size_t path_put(char *buf, size_t len, size_t cap, const char *s, size_t n)
{
    size_t room = cap - 1 - len;
    if (n > room)
        n = room;
    memcpy(buf + len, s, n);
    buf[len + n] = '\0';
    return len + n;
}

/* Joins `name` to the path in buf by the rules in ndr.h:
 *   ""   + "x"     -> "x"          "s"    + "[3]"   -> "s[3]"
 *   "p"  + "*"     -> "p->*"       "p->*" + "value" -> "p->value"
 *   "s"  + "x"     -> "s.x"        anything + ""    -> unchanged          */
static size_t path_join(char *buf, size_t len, size_t cap, const char *name)
{
    if (name == NULL || name[0] == '\0')
        return len;
    if (len > 0) {
        if (name[0] == '[')
            ; /* an index follows its array directly */
        else if (name[0] == '*' && name[1] == '\0')
            len = path_put(buf, len, cap, "->", 2);
        else if (len >= 3 && memcmp(buf + len - 3, "->*", 3) == 0)
            len -= 1; /* "p->*" + "value" is C's "p->value" */
        else
            len = path_put(buf, len, cap, ".", 1);
    }
    return path_put(buf, len, cap, name, strlen(name));
}

/* The full path of `name` where the stream is, into out[RS_NDR_PATH_MAX]. */
static const char *full_name(const rs_ndr *ndr, const char *name, char *out)
{
    memcpy(out, ndr->path, ndr->path_len + 1);
    path_join(out, ndr->path_len, RS_NDR_PATH_MAX, name);
    return out;
}

/* A deferred referent's path grows with every pointer followed (list->next->next->...). Past
 * RS_NDR_REFERENT_PATH_MAX it keeps its root, "...", and the tail that fits, starting at a
 * separator so that no name is cut in half: "list...->next->next". Returns the new length. */
static size_t path_shorten(char *s, size_t len)
{
    if (len <= RS_NDR_REFERENT_PATH_MAX)
        return len;
    size_t root = strcspn(s, ".-[");
    if (root > RS_NDR_REFERENT_PATH_MAX / 4)
        root = RS_NDR_REFERENT_PATH_MAX / 4;
    size_t from = len - (RS_NDR_REFERENT_PATH_MAX - root - 3);
    for (size_t i = from; i < len; i++) {
        if (s[i] == '.' || s[i] == '[' || (s[i] == '-' && s[i + 1] == '>')) {
            from = i;
            break;
        }
    }
    memmove(s + root + 3, s + from, len - from);
    memcpy(s + root, "...", 3);
    len = root + 3 + (len - from);
    s[len] = '\0';
    return len;
}

/* ---- failures -------------------------------------------------------------------------------- */

static rs_status vfail(rs_ndr *ndr, rs_status st, const char *fmt, va_list ap)
{
    if (ndr->status == RS_OK && st != RS_OK) {
        vsnprintf(ndr->error, sizeof ndr->error, fmt, ap);
        ndr->status = st;
    }
    return st;
}

rs_status rs_ndr_fail(rs_ndr *ndr, rs_status st, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    st = vfail(ndr, st, fmt, ap);
    va_end(ap);
    return st;
}

/* For init, which returns nothing: the failure waits on the stream for the first call. */
static void fail_at_init(rs_ndr *ndr, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void fail_at_init(rs_ndr *ndr, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfail(ndr, RS_ERR_INVALID_ARG, fmt, ap);
    va_end(ap);
}

/* A failure about the field `name`: the message gets the field's full path as its first %s. */
static rs_status fail_at(rs_ndr *ndr, rs_status st, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static rs_status fail_at(rs_ndr *ndr, rs_status st, const char *name, const char *fmt, ...)
{
    if (ndr->status != RS_OK)
        return st;
    char full[RS_NDR_PATH_MAX];
    char what[RS_NDR_ERROR_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    return rs_ndr_fail(ndr, st, "ndr: %s: %s", full_name(ndr, name, full), what);
}

/* The buffer refused a read or a write: its message says what it had. */
static rs_status buf_failed(rs_ndr *ndr, rs_status st, const char *name, const char *type)
{
    return fail_at(ndr, st, name, "cannot %s %s: %s",
                   ndr->dir == RS_NDR_ENCODE ? "write" : "read", type, rs_buf_error(ndr->buf));
}

/* RS_OK if the stream can take a call in direction `dir`: it has not failed and goes that way. */
static rs_status usable(rs_ndr *ndr, rs_ndr_dir dir)
{
    if (ndr->status != RS_OK)
        return ndr->status;
    if (ndr->dir != dir)
        return rs_ndr_fail(ndr, RS_ERR_INVALID_ARG, "ndr: %s call on a stream that %s",
                           dir == RS_NDR_ENCODE ? "a put" : "a get",
                           ndr->dir == RS_NDR_ENCODE ? "encodes" : "decodes");
    return RS_OK;
}

/* ---- the layout record ----------------------------------------------------------------------- */

void rs_ndr_layout_init(rs_ndr_layout *l, size_t max_entries, size_t max_name_bytes)
{
    memset(l, 0, sizeof *l);
    l->max_entries = max_entries;
    l->max_name_bytes = max_name_bytes;
}

void rs_ndr_layout_free(rs_ndr_layout *l)
{
    free(l->entries);
    free(l->names);
    rs_ndr_layout_init(l, l->max_entries, l->max_name_bytes);
}

void rs_ndr_layout_reset(rs_ndr_layout *l)
{
    l->count = 0;
    l->names_len = 0;
}

rs_ndr_field rs_ndr_layout_at(const rs_ndr_layout *l, size_t i)
{
    const struct rs_ndr_entry *e = &l->entries[i];
    rs_ndr_field f = {
        .name = l->names + e->name,
        .type = e->type,
        .offset = e->offset,
        .length = e->length,
        .count = e->count,
        .role = e->role,
    };
    return f;
}

/* Doubles *cap (from `first`) until it holds `want`, never past `max`. False if it cannot. */
static bool grow_cap(size_t *cap, size_t want, size_t first, size_t max)
{
    if (want > max)
        return false;
    size_t c = *cap ? *cap : first;
    while (c < want)
        c = c > max / 2 ? max : c * 2;
    if (c > max)
        c = max;
    *cap = c;
    return true;
}

/* Tells the observer (if any) about one entry, then appends it to the layout (if any);
 * RS_ERR_LIMIT when the layout's bounds are reached. Callers test ndr->recording first. */
static rs_status record(rs_ndr *ndr, const char *name, const char *type, rs_ndr_role role,
                        size_t offset, size_t length, uint32_t count)
{
    rs_ndr_layout *l = ndr->layout;
    char full[RS_NDR_PATH_MAX];
    size_t name_len = strlen(full_name(ndr, name, full)) + 1;

    if (ndr->observer != NULL) {
        rs_ndr_field f = {
            .name = full,
            .type = type,
            .offset = offset,
            .length = length,
            .count = count,
            .role = role,
        };
        ndr->observer(ndr, &f, ndr->buf->data + offset, ndr->observer_ctx);
    }
    if (l == NULL)
        return RS_OK;
    if (l->count >= l->max_entries)
        return fail_at(ndr, RS_ERR_LIMIT, name, "the layout is full: it holds at most %zu entries",
                       l->max_entries);
    if (name_len > l->max_name_bytes - l->names_len) /* names_len never passes the maximum */
        return fail_at(ndr, RS_ERR_LIMIT, name,
                       "the layout's names are full: they take at most %zu bytes",
                       l->max_name_bytes);
    if (l->count == l->cap) {
        size_t cap = l->cap;
        if (!grow_cap(&cap, l->count + 1, 64, SIZE_MAX / sizeof *l->entries))
            return fail_at(ndr, RS_ERR_NOMEM, name, "cannot grow the layout");
        struct rs_ndr_entry *p = realloc(l->entries, cap * sizeof *p);
        if (p == NULL)
            return fail_at(ndr, RS_ERR_NOMEM, name, "cannot grow the layout to %zu entries", cap);
        l->entries = p;
        l->cap = cap;
    }
    if (l->names_len + name_len > l->names_cap) {
        size_t cap = l->names_cap;
        if (!grow_cap(&cap, l->names_len + name_len, 1024, SIZE_MAX))
            return fail_at(ndr, RS_ERR_NOMEM, name, "cannot grow the layout's names");
        char *p = realloc(l->names, cap);
        if (p == NULL)
            return fail_at(ndr, RS_ERR_NOMEM, name, "cannot grow the layout's names to %zu bytes",
                           cap);
        l->names = p;
        l->names_cap = cap;
    }
    memcpy(l->names + l->names_len, full, name_len);
    l->entries[l->count++] = (struct rs_ndr_entry){
        .name = l->names_len,
        .type = type,
        .offset = offset,
        .length = length,
        .count = count,
        .role = role,
    };
    l->names_len += name_len;
    return RS_OK;
}

/* Records `pad` bytes of padding at `at` (if any), then `length` bytes of `type` after them. */
static rs_status record_aligned(rs_ndr *ndr, const char *name, const char *type, rs_ndr_role role,
                                size_t at, size_t pad, size_t align, size_t length, uint32_t count)
{
    rs_status st = RS_OK;
    if (pad > 0)
        st = record(ndr, name, align_type(align), RS_NDR_ROLE_PADDING, at, pad, (uint32_t)pad);
    if (st == RS_OK && length > 0)
        st = record(ndr, name, type, role, at + pad, length, count);
    return st;
}

/* ---- decoded memory: a list of blocks, bump-allocated, freed all at once --------------------- */

struct rs_ndr_block {
    struct rs_ndr_block *next;
    size_t size; /* usable bytes after the header */
    size_t used;
};

#define MEM_ALIGN _Alignof(max_align_t)
#define BLOCK_HEADER ((sizeof(struct rs_ndr_block) + MEM_ALIGN - 1) / MEM_ALIGN * MEM_ALIGN)
#define BLOCK_SIZE ((size_t)64 * 1024)
#define BLOCK_OWN (BLOCK_SIZE / 4) /* an object this big gets a block of its own */

static uint8_t *block_data(struct rs_ndr_block *b)
{
    return (uint8_t *)b + BLOCK_HEADER;
}

static struct rs_ndr_block *block_new(size_t size)
{
    struct rs_ndr_block *b = malloc(BLOCK_HEADER + size);
    if (b != NULL) {
        b->next = NULL;
        b->size = size;
        b->used = 0;
    }
    return b;
}

/* Separate-blocks mode: one malloc() per value, remembered so it can be freed or handed over. */
static void *mem_alloc_separate(rs_ndr_mem *m, size_t size)
{
    if (m->single_count == m->single_cap) {
        size_t cap = m->single_cap ? m->single_cap * 2 : 16;
        void **grown = realloc(m->singles, cap * sizeof *grown);
        if (grown == NULL)
            return NULL;
        m->singles = grown;
        m->single_cap = cap;
    }
    void *p = malloc(size);
    if (p != NULL) {
        m->singles[m->single_count++] = p;
        m->bytes += size;
    }
    return p;
}

/* `size` bytes aligned for any type, or NULL when malloc fails. The head block is the one being
 * filled; a big object gets its own block behind the head so the head's room is not wasted. */
static void *mem_alloc(rs_ndr_mem *m, size_t size)
{
    if (m->separate)
        return mem_alloc_separate(m, size);
    size_t rounded = (size + MEM_ALIGN - 1) / MEM_ALIGN * MEM_ALIGN; /* size <= SIZE_MAX / 2 */
    struct rs_ndr_block *head = m->blocks;

    if (head != NULL && head->size - head->used >= rounded) {
        void *p = block_data(head) + head->used;
        head->used += rounded;
        m->bytes += size;
        return p;
    }
    struct rs_ndr_block *b = block_new(rounded > BLOCK_OWN ? rounded : BLOCK_SIZE);
    if (b == NULL)
        return NULL;
    b->used = rounded;
    if (rounded > BLOCK_OWN && head != NULL) {
        b->next = head->next;
        head->next = b;
    } else {
        b->next = head;
        m->blocks = b;
    }
    m->bytes += size;
    return block_data(b);
}

void rs_ndr_mem_free(rs_ndr_mem *m)
{
    struct rs_ndr_block *b = m->blocks;
    while (b != NULL) {
        struct rs_ndr_block *next = b->next;
        free(b);
        b = next;
    }
    m->blocks = NULL;
    for (size_t i = 0; i < m->single_count; i++)
        free(m->singles[i]);
    free(m->singles);
    m->singles = NULL;
    m->single_count = m->single_cap = 0;
    m->bytes = 0;
}

/* Allocation for the decoder, counted against limits.max_alloc; zeroed on request. */
static rs_status ndr_alloc(rs_ndr *ndr, const char *name, size_t size, bool zero, void **out)
{
    *out = NULL;
    if (size == 0)
        return RS_OK;
    size_t used = ndr->mem.bytes;
    if (size > SIZE_MAX / 2) /* so that rounding it up and adding a block header cannot wrap */
        return fail_at(ndr, RS_ERR_LIMIT, name, "%zu bytes do not fit in memory", size);
    if (size > ndr->limits.max_alloc || used > ndr->limits.max_alloc - size)
        return fail_at(ndr, RS_ERR_LIMIT, name,
                       "allocating %zu bytes would pass the %zu-byte allocation limit (%zu used)",
                       size, ndr->limits.max_alloc, used);
    void *p = mem_alloc(&ndr->mem, size);
    if (p == NULL)
        return fail_at(ndr, RS_ERR_NOMEM, name, "cannot allocate %zu bytes", size);
    if (zero)
        memset(p, 0, size);
    *out = p;
    return RS_OK;
}

rs_status rs_ndr_alloc(rs_ndr *ndr, const char *name, size_t size, void **out)
{
    *out = NULL;
    rs_status st = usable(ndr, RS_NDR_DECODE);
    if (st != RS_OK)
        return st;
    return ndr_alloc(ndr, name, size, true, out);
}

void rs_ndr_set_separate_blocks(rs_ndr *ndr)
{
    ndr->mem.separate = true;
}

void rs_ndr_set_in_place(rs_ndr *ndr)
{
    ndr->in_place = true;
}

void rs_ndr_set_by_reference(rs_ndr *ndr)
{
    ndr->by_reference = true;
}

void rs_ndr_fill_refs(rs_ndr *ndr)
{
    for (size_t i = 0; i < ndr->ref_count; i++) {
        const rs_buf_ref *r = &ndr->refs[i];
        memcpy(ndr->buf->data + r->at, r->data, r->len);
    }
    ndr->ref_count = 0;
}

rs_status rs_ndr_release(rs_ndr *ndr)
{
    rs_status st = usable(ndr, RS_NDR_DECODE);
    if (st != RS_OK)
        return st;
    if (!ndr->mem.separate)
        return rs_ndr_fail(ndr, RS_ERR_INVALID_ARG,
                           "ndr: rs_ndr_release() needs rs_ndr_set_separate_blocks() before decoding");
    if (ndr->item_count != 0)
        return rs_ndr_fail(ndr, RS_ERR_INVALID_ARG,
                           "ndr: %zu referents are still queued: call rs_ndr_flush() first",
                           ndr->item_count);
    free(ndr->mem.singles); /* the values themselves now belong to the caller */
    ndr->mem.singles = NULL;
    ndr->mem.single_count = ndr->mem.single_cap = 0;
    ndr->mem.bytes = 0;
    return RS_OK;
}

rs_status rs_ndr_take(rs_ndr *ndr, rs_ndr_mem *mem)
{
    memset(mem, 0, sizeof *mem);
    rs_status st = usable(ndr, RS_NDR_DECODE);
    if (st != RS_OK)
        return st;
    if (ndr->item_count != 0)
        return rs_ndr_fail(ndr, RS_ERR_INVALID_ARG,
                           "ndr: %zu referents are still queued: call rs_ndr_flush() first",
                           ndr->item_count);
    *mem = ndr->mem;
    bool separate = ndr->mem.separate;
    memset(&ndr->mem, 0, sizeof ndr->mem);
    ndr->mem.separate = separate;
    return RS_OK;
}

/* ---- the stream ------------------------------------------------------------------------------ */

/* One pointer whose referent waits to be marshalled. */
struct rs_ndr_item {
    const void *cobj;  /* encoding: the referent */
    void *obj;         /* decoding: the referent, or the slot for RS_NDR_SIZE_FROM_WIRE */
    rs_ndr_put_fn put;
    rs_ndr_get_fn get;
    size_t path;       /* offset of the pointer's path in item_paths */
    size_t path_len;
};

/* The items [begin, end) one object deferred, in order; `next` is the first not yet done. The end
 * is where the run above begins, or item_count for the top run. */
struct rs_ndr_run {
    size_t begin;
    size_t next;
    size_t paths_begin; /* item_paths_len when the run began */
};

/* A full pointer already seen. */
struct rs_ndr_fullptr {
    uintptr_t key;     /* encoding: the referent's address; decoding: the referent id */
    rs_ndr_put_fn put; /* encoding: with the address, what identifies the referent */
    rs_ndr_get_fn get; /* decoding: what the first use said the referent is ... */
    size_t size;       /* ... and its size */
    void *obj;         /* decoding: the object */
    uint32_t id;       /* encoding: the id it was sent with */
    bool used;
};

rs_ndr_limits rs_ndr_default_limits(void)
{
    rs_ndr_limits l = {
        .max_depth = RS_NDR_DEFAULT_MAX_DEPTH,
        .max_alloc = RS_NDR_DEFAULT_MAX_ALLOC,
        .max_pending = RS_NDR_DEFAULT_MAX_PENDING,
    };
    return l;
}

static void init(rs_ndr *ndr, rs_buf *buf, rs_endian e, rs_ndr_dir dir)
{
    /* Every field before the name path is zeroed; of the path and the error text, only their
     * first bytes (they are most of the struct, and each call's stubs make two streams). The
     * marks are written before they are read. */
    memset(ndr, 0, offsetof(rs_ndr, path));
    ndr->path[0] = '\0';
    ndr->path_len = 0;
    ndr->depth = 0;
    ndr->status = RS_OK;
    ndr->error[0] = '\0';
    ndr->buf = buf;
    ndr->endian = e;
    ndr->dir = dir;
    ndr->limits = rs_ndr_default_limits();
    ndr->next_referent_id = RS_NDR_REFERENT_ID_FIRST;
}

void rs_ndr_init_encode(rs_ndr *ndr, rs_buf *out, rs_endian e)
{
    init(ndr, out, e, RS_NDR_ENCODE);
    if (out == NULL)
        fail_at_init(ndr, "ndr: no output buffer");
    else if (out->len != 0)
        fail_at_init(ndr,
                     "ndr: the output buffer holds %zu bytes; it must be empty, since NDR "
                     "alignment counts from the first byte of the stub data",
                     out->len);
}

void rs_ndr_init_decode(rs_ndr *ndr, rs_buf *in, rs_endian e)
{
    init(ndr, in, e, RS_NDR_DECODE);
    if (in == NULL)
        fail_at_init(ndr, "ndr: no input buffer");
    else if (in->pos != 0)
        fail_at_init(ndr,
                     "ndr: the input buffer is read up to offset 0x%zx; it must start at the "
                     "stub data's first byte, since NDR alignment counts from there",
                     in->pos);
}

void rs_ndr_free(rs_ndr *ndr)
{
    /* Most streams of a call (two scalars, no pointers) never allocated any of these: then no
     * free() of nothing, four times, and no walk of an empty arena. */
    if (ndr->items != NULL || ndr->runs != NULL || ndr->item_paths != NULL || ndr->full != NULL ||
        ndr->mem.blocks != NULL || ndr->mem.singles != NULL) {
        free(ndr->items);
        free(ndr->runs);
        free(ndr->item_paths);
        free(ndr->full);
        rs_ndr_mem_free(&ndr->mem);
        ndr->items = NULL;
        ndr->runs = NULL;
        ndr->item_paths = NULL;
        ndr->full = NULL;
    }
    ndr->mem.bytes = 0;
    ndr->mem.single_count = ndr->mem.single_cap = 0;
    ndr->item_count = ndr->item_cap = ndr->run_count = ndr->run_cap = 0;
    ndr->item_paths_len = ndr->item_paths_cap = ndr->full_count = ndr->full_cap = 0;
}

void rs_ndr_set_limits(rs_ndr *ndr, const rs_ndr_limits *limits)
{
    ndr->limits = *limits;
    if (ndr->limits.max_depth > RS_NDR_DEPTH_MAX)
        ndr->limits.max_depth = RS_NDR_DEPTH_MAX;
}

void rs_ndr_set_layout(rs_ndr *ndr, rs_ndr_layout *l)
{
    ndr->layout = l;
    ndr->recording = ndr->layout != NULL || ndr->observer != NULL;
}

void rs_ndr_set_observer(rs_ndr *ndr, rs_ndr_observer fn, void *ctx)
{
    ndr->observer = fn;
    ndr->observer_ctx = ctx;
    ndr->recording = ndr->layout != NULL || ndr->observer != NULL;
}

size_t rs_ndr_offset(const rs_ndr *ndr)
{
    if (ndr->buf == NULL)
        return 0;
    return ndr->dir == RS_NDR_ENCODE ? ndr->buf->len : ndr->buf->pos;
}

size_t rs_ndr_remaining(const rs_ndr *ndr)
{
    return ndr->buf != NULL && ndr->dir == RS_NDR_DECODE ? rs_buf_remaining(ndr->buf) : 0;
}

/* ---- scopes and alignment -------------------------------------------------------------------- */

rs_status rs_ndr_enter(rs_ndr *ndr, const char *name)
{
    if (ndr->status != RS_OK)
        return ndr->status;
    if (ndr->depth >= ndr->limits.max_depth)
        return fail_at(ndr, RS_ERR_LIMIT, name, "nested deeper than the limit of %u levels",
                       ndr->limits.max_depth);
    ndr->marks[ndr->depth++] = (uint16_t)ndr->path_len;
    ndr->path_len = path_join(ndr->path, ndr->path_len, RS_NDR_PATH_MAX, name);
    return RS_OK;
}

rs_status rs_ndr_leave(rs_ndr *ndr)
{
    if (ndr->status != RS_OK)
        return ndr->status;
    if (ndr->depth == 0)
        return rs_ndr_fail(ndr, RS_ERR_INVALID_ARG, "ndr: rs_ndr_leave() without rs_ndr_enter()");
    ndr->path_len = ndr->marks[--ndr->depth];
    ndr->path[ndr->path_len] = '\0';
    return RS_OK;
}

rs_status rs_ndr_align(rs_ndr *ndr, unsigned n)
{
    if (ndr->status != RS_OK)
        return ndr->status;
    if (n != 1 && n != 2 && n != 4 && n != 8)
        return rs_ndr_fail(ndr, RS_ERR_INVALID_ARG, "ndr: alignment %u is not 1, 2, 4 or 8", n);
    size_t at = rs_ndr_offset(ndr);
    size_t pad = pad_for(at, n);
    if (pad == 0)
        return RS_OK;
    rs_status st = ndr->dir == RS_NDR_ENCODE ? rs_buf_put_zeros(ndr->buf, pad)
                                             : rs_buf_skip(ndr->buf, pad);
    if (st != RS_OK)
        return buf_failed(ndr, st, "", align_type(n));
    if (ndr->recording)
        return record(ndr, "", align_type(n), RS_NDR_ROLE_PADDING, at, pad, (uint32_t)pad);
    return RS_OK;
}

/* ---- one value ------------------------------------------------------------------------------- */

static void store_bits(uint8_t *p, size_t size, rs_endian e, uint64_t v)
{
    switch (size) {
    case 1: p[0] = (uint8_t)v; break;
    case 2: rs_store_u16(p, e, (uint16_t)v); break;
    case 4: rs_store_u32(p, e, (uint32_t)v); break;
    default: rs_store_u64(p, e, v); break;
    }
}

static uint64_t load_bits(const uint8_t *p, size_t size, rs_endian e)
{
    switch (size) {
    case 1: return p[0];
    case 2: return rs_load_u16(p, e);
    case 4: return rs_load_u32(p, e);
    default: return rs_load_u64(p, e);
    }
}

/* Writes the low `size` bytes of `bits` (1, 2, 4 or 8), aligned to `size`: the pad bytes and the
 * value in one extension of the buffer. */
static rs_status put_value(rs_ndr *ndr, const char *name, size_t size, const char *type,
                           rs_ndr_role role, uint64_t bits)
{
    rs_status st = usable(ndr, RS_NDR_ENCODE);
    if (st != RS_OK)
        return st;
    size_t at = ndr->buf->len;
    size_t pad = pad_for(at, size);
    uint8_t *p;
    st = rs_buf_extend(ndr->buf, pad + size, &p);
    if (st != RS_OK)
        return buf_failed(ndr, st, name, type);
    for (size_t i = 0; i < pad; i++) /* 0 to 7 bytes: no call to memset() */
        p[i] = 0;
    store_bits(p + pad, size, ndr->endian, bits);
    if (ndr->recording)
        return record_aligned(ndr, name, type, role, at, pad, size, size, 1);
    return RS_OK;
}

/* Reads `size` bytes (1, 2, 4 or 8) after skipping the pad that aligns them. */
static rs_status get_value(rs_ndr *ndr, const char *name, size_t size, const char *type,
                           rs_ndr_role role, uint64_t *bits)
{
    rs_status st = usable(ndr, RS_NDR_DECODE);
    if (st != RS_OK)
        return st;
    size_t at = ndr->buf->pos;
    size_t pad = pad_for(at, size);
    const uint8_t *p;
    st = rs_buf_get_ptr(ndr->buf, pad + size, &p);
    if (st != RS_OK)
        return buf_failed(ndr, st, name, type);
    *bits = load_bits(p + pad, size, ndr->endian);
    if (ndr->recording)
        return record_aligned(ndr, name, type, role, at, pad, size, size, 1);
    return RS_OK;
}

static rs_status put_prim(rs_ndr *ndr, const char *name, rs_ndr_prim t, uint64_t bits)
{
    return put_value(ndr, name, prims[t].wire, prims[t].name, RS_NDR_ROLE_DATA, bits);
}

static rs_status get_prim(rs_ndr *ndr, const char *name, rs_ndr_prim t, uint64_t *bits)
{
    return get_value(ndr, name, prims[t].wire, prims[t].name, RS_NDR_ROLE_DATA, bits);
}

rs_status rs_ndr_put_boolean(rs_ndr *ndr, const char *name, uint8_t v)
{
    return put_prim(ndr, name, RS_NDR_BOOLEAN, v);
}

rs_status rs_ndr_put_byte(rs_ndr *ndr, const char *name, uint8_t v)
{
    return put_prim(ndr, name, RS_NDR_BYTE, v);
}

rs_status rs_ndr_put_char(rs_ndr *ndr, const char *name, char v)
{
    return put_prim(ndr, name, RS_NDR_CHAR, (unsigned char)v);
}

rs_status rs_ndr_put_small(rs_ndr *ndr, const char *name, int8_t v)
{
    return put_prim(ndr, name, RS_NDR_SMALL, (uint64_t)(int64_t)v);
}

rs_status rs_ndr_put_usmall(rs_ndr *ndr, const char *name, uint8_t v)
{
    return put_prim(ndr, name, RS_NDR_USMALL, v);
}

rs_status rs_ndr_put_short(rs_ndr *ndr, const char *name, int16_t v)
{
    return put_prim(ndr, name, RS_NDR_SHORT, (uint64_t)(int64_t)v);
}

rs_status rs_ndr_put_ushort(rs_ndr *ndr, const char *name, uint16_t v)
{
    return put_prim(ndr, name, RS_NDR_USHORT, v);
}

rs_status rs_ndr_put_long(rs_ndr *ndr, const char *name, int32_t v)
{
    return put_prim(ndr, name, RS_NDR_LONG, (uint64_t)(int64_t)v);
}

rs_status rs_ndr_put_ulong(rs_ndr *ndr, const char *name, uint32_t v)
{
    return put_prim(ndr, name, RS_NDR_ULONG, v);
}

rs_status rs_ndr_put_hyper(rs_ndr *ndr, const char *name, int64_t v)
{
    return put_prim(ndr, name, RS_NDR_HYPER, (uint64_t)v);
}

rs_status rs_ndr_put_uhyper(rs_ndr *ndr, const char *name, uint64_t v)
{
    return put_prim(ndr, name, RS_NDR_UHYPER, v);
}

/* Floats travel as their IEEE bit pattern in the stream's byte order; memcpy, never a cast. */
rs_status rs_ndr_put_float(rs_ndr *ndr, const char *name, float v)
{
    uint32_t bits;
    memcpy(&bits, &v, sizeof bits);
    return put_prim(ndr, name, RS_NDR_FLOAT, bits);
}

rs_status rs_ndr_put_double(rs_ndr *ndr, const char *name, double v)
{
    uint64_t bits;
    memcpy(&bits, &v, sizeof bits);
    return put_prim(ndr, name, RS_NDR_DOUBLE, bits);
}

rs_status rs_ndr_put_wchar(rs_ndr *ndr, const char *name, uint16_t v)
{
    return put_prim(ndr, name, RS_NDR_WCHAR, v);
}

rs_status rs_ndr_put_error_status(rs_ndr *ndr, const char *name, uint32_t v)
{
    return put_prim(ndr, name, RS_NDR_ERROR_STATUS, v);
}

static bool enum16_ok(int v)
{
    return v >= 0 && v <= RS_NDR_ENUM16_MAX;
}

rs_status rs_ndr_put_enum(rs_ndr *ndr, const char *name, int v)
{
    if (ndr->status == RS_OK && !enum16_ok(v))
        return fail_at(ndr, RS_ERR_ENUM_RANGE, name,
                       "enum value %d is outside the 16-bit NDR range 0..0x7FFF", v);
    return put_prim(ndr, name, RS_NDR_ENUM, (uint64_t)v);
}

rs_status rs_ndr_put_v1_enum(rs_ndr *ndr, const char *name, int v)
{
    return put_prim(ndr, name, RS_NDR_V1_ENUM, (uint64_t)(int64_t)v);
}

rs_status rs_ndr_get_boolean(rs_ndr *ndr, const char *name, uint8_t *v)
{
    uint64_t bits;
    rs_status st = get_prim(ndr, name, RS_NDR_BOOLEAN, &bits);
    if (st == RS_OK)
        *v = (uint8_t)bits;
    return st;
}

rs_status rs_ndr_get_byte(rs_ndr *ndr, const char *name, uint8_t *v)
{
    uint64_t bits;
    rs_status st = get_prim(ndr, name, RS_NDR_BYTE, &bits);
    if (st == RS_OK)
        *v = (uint8_t)bits;
    return st;
}

rs_status rs_ndr_get_char(rs_ndr *ndr, const char *name, char *v)
{
    uint64_t bits;
    rs_status st = get_prim(ndr, name, RS_NDR_CHAR, &bits);
    if (st == RS_OK) {
        unsigned char c = (unsigned char)bits;
        memcpy(v, &c, 1); /* char may be signed: keep the bits, not the value */
    }
    return st;
}

rs_status rs_ndr_get_small(rs_ndr *ndr, const char *name, int8_t *v)
{
    uint64_t bits;
    rs_status st = get_prim(ndr, name, RS_NDR_SMALL, &bits);
    if (st == RS_OK)
        *v = (int8_t)to_signed(bits, 1);
    return st;
}

rs_status rs_ndr_get_usmall(rs_ndr *ndr, const char *name, uint8_t *v)
{
    uint64_t bits;
    rs_status st = get_prim(ndr, name, RS_NDR_USMALL, &bits);
    if (st == RS_OK)
        *v = (uint8_t)bits;
    return st;
}

rs_status rs_ndr_get_short(rs_ndr *ndr, const char *name, int16_t *v)
{
    uint64_t bits;
    rs_status st = get_prim(ndr, name, RS_NDR_SHORT, &bits);
    if (st == RS_OK)
        *v = (int16_t)to_signed(bits, 2);
    return st;
}

rs_status rs_ndr_get_ushort(rs_ndr *ndr, const char *name, uint16_t *v)
{
    uint64_t bits;
    rs_status st = get_prim(ndr, name, RS_NDR_USHORT, &bits);
    if (st == RS_OK)
        *v = (uint16_t)bits;
    return st;
}

rs_status rs_ndr_get_long(rs_ndr *ndr, const char *name, int32_t *v)
{
    uint64_t bits;
    rs_status st = get_prim(ndr, name, RS_NDR_LONG, &bits);
    if (st == RS_OK)
        *v = (int32_t)to_signed(bits, 4);
    return st;
}

rs_status rs_ndr_get_ulong(rs_ndr *ndr, const char *name, uint32_t *v)
{
    uint64_t bits;
    rs_status st = get_prim(ndr, name, RS_NDR_ULONG, &bits);
    if (st == RS_OK)
        *v = (uint32_t)bits;
    return st;
}

rs_status rs_ndr_get_hyper(rs_ndr *ndr, const char *name, int64_t *v)
{
    uint64_t bits;
    rs_status st = get_prim(ndr, name, RS_NDR_HYPER, &bits);
    if (st == RS_OK)
        *v = to_signed(bits, 8);
    return st;
}

rs_status rs_ndr_get_uhyper(rs_ndr *ndr, const char *name, uint64_t *v)
{
    return get_prim(ndr, name, RS_NDR_UHYPER, v);
}

rs_status rs_ndr_get_float(rs_ndr *ndr, const char *name, float *v)
{
    uint64_t bits;
    rs_status st = get_prim(ndr, name, RS_NDR_FLOAT, &bits);
    if (st == RS_OK) {
        uint32_t b32 = (uint32_t)bits;
        memcpy(v, &b32, sizeof *v);
    }
    return st;
}

rs_status rs_ndr_get_double(rs_ndr *ndr, const char *name, double *v)
{
    uint64_t bits;
    rs_status st = get_prim(ndr, name, RS_NDR_DOUBLE, &bits);
    if (st == RS_OK)
        memcpy(v, &bits, sizeof *v);
    return st;
}

rs_status rs_ndr_get_wchar(rs_ndr *ndr, const char *name, uint16_t *v)
{
    uint64_t bits;
    rs_status st = get_prim(ndr, name, RS_NDR_WCHAR, &bits);
    if (st == RS_OK)
        *v = (uint16_t)bits;
    return st;
}

rs_status rs_ndr_get_error_status(rs_ndr *ndr, const char *name, uint32_t *v)
{
    uint64_t bits;
    rs_status st = get_prim(ndr, name, RS_NDR_ERROR_STATUS, &bits);
    if (st == RS_OK)
        *v = (uint32_t)bits;
    return st;
}

rs_status rs_ndr_get_enum(rs_ndr *ndr, const char *name, int *v)
{
    uint64_t bits;
    rs_status st = get_prim(ndr, name, RS_NDR_ENUM, &bits);
    if (st != RS_OK)
        return st;
    if (bits > RS_NDR_ENUM16_MAX)
        return fail_at(ndr, RS_ERR_ENUM_RANGE, name,
                       "enum value 0x%04" PRIx64 " at offset 0x%zx is outside 0..0x7FFF", bits,
                       ndr->buf->pos - 2);
    *v = (int)bits;
    return RS_OK;
}

rs_status rs_ndr_get_v1_enum(rs_ndr *ndr, const char *name, int *v)
{
    uint64_t bits;
    rs_status st = get_prim(ndr, name, RS_NDR_V1_ENUM, &bits);
    if (st == RS_OK)
        *v = (int)to_signed(bits, 4);
    return st;
}

/* ---- blocks of primitive elements: the bulk path --------------------------------------------- */

/* n elements from C memory into wire bytes: one memcpy when the byte orders agree (or the
 * elements are bytes), otherwise one tight loop per element size. Enums are range-checked by
 * the caller before this writes anything. */
static void encode_elems(uint8_t *dst, const void *src, size_t n, rs_ndr_prim t, rs_endian e)
{
    const uint8_t *s = src;
    size_t ws = prims[t].wire;

    if (t == RS_NDR_ENUM) {
        for (size_t i = 0; i < n; i++) {
            int v;
            memcpy(&v, s + i * sizeof v, sizeof v);
            rs_store_u16(dst + 2 * i, e, (uint16_t)v);
        }
        return;
    }
    if (ws == 1 || e == host_endian()) {
        memcpy(dst, s, n * ws);
        return;
    }
    switch (ws) {
    case 2:
        for (size_t i = 0; i < n; i++) {
            uint16_t v;
            memcpy(&v, s + 2 * i, 2);
            rs_store_u16(dst + 2 * i, e, v);
        }
        break;
    case 4:
        for (size_t i = 0; i < n; i++) {
            uint32_t v;
            memcpy(&v, s + 4 * i, 4);
            rs_store_u32(dst + 4 * i, e, v);
        }
        break;
    default:
        for (size_t i = 0; i < n; i++) {
            uint64_t v;
            memcpy(&v, s + 8 * i, 8);
            rs_store_u64(dst + 8 * i, e, v);
        }
        break;
    }
}

/* The reverse; 16-bit enums were checked to be in range before this is called. */
static void decode_elems(void *dst, const uint8_t *src, size_t n, rs_ndr_prim t, rs_endian e)
{
    uint8_t *d = dst;
    size_t ws = prims[t].wire;

    if (t == RS_NDR_ENUM) {
        for (size_t i = 0; i < n; i++) {
            int v = rs_load_u16(src + 2 * i, e);
            memcpy(d + i * sizeof v, &v, sizeof v);
        }
        return;
    }
    if (t == RS_NDR_BOOLEAN) { /* any nonzero byte is TRUE; a C bool may hold only 0 or 1 */
        for (size_t i = 0; i < n; i++)
            d[i] = src[i] != 0;
        return;
    }
    if (ws == 1 || e == host_endian()) {
        memcpy(d, src, n * ws);
        return;
    }
    switch (ws) {
    case 2:
        for (size_t i = 0; i < n; i++) {
            uint16_t v = rs_load_u16(src + 2 * i, e);
            memcpy(d + 2 * i, &v, 2);
        }
        break;
    case 4:
        for (size_t i = 0; i < n; i++) {
            uint32_t v = rs_load_u32(src + 4 * i, e);
            memcpy(d + 4 * i, &v, 4);
        }
        break;
    default:
        for (size_t i = 0; i < n; i++) {
            uint64_t v = rs_load_u64(src + 8 * i, e);
            memcpy(d + 8 * i, &v, 8);
        }
        break;
    }
}

static rs_status check_prim(rs_ndr *ndr, const char *name, rs_ndr_prim t)
{
    if (!prim_valid(t))
        return fail_at(ndr, RS_ERR_INVALID_ARG, name, "%d is not an NDR primitive type", (int)t);
    return RS_OK;
}

/* The elements of an array, aligned to the element, recorded as one entry. */
/* Whether `bytes` bytes of elements of t may stay where they are (rs_ndr_set_by_reference()):
 * encode_elems() would copy them as they are, and the array is worth a piece of its own. */
static bool stays_by_reference(const rs_ndr *ndr, rs_ndr_prim t, size_t bytes)
{
    return ndr->by_reference && !ndr->recording && bytes >= RS_NDR_REF_MIN &&
           ndr->ref_count < RS_NDR_REFS_MAX && t != RS_NDR_ENUM &&
           (prims[t].wire == 1 || ndr->endian == host_endian());
}

static rs_status put_block(rs_ndr *ndr, const char *name, rs_ndr_prim t, const char *type,
                           const void *elems, uint32_t n)
{
    rs_status st = usable(ndr, RS_NDR_ENCODE);
    if (st == RS_OK)
        st = check_prim(ndr, name, t);
    if (st != RS_OK)
        return st;
    if (n == 0)
        return RS_OK;
    if (elems == NULL)
        return fail_at(ndr, RS_ERR_INVALID_ARG, name, "%" PRIu32 " elements at NULL", n);
    size_t ws = prims[t].wire;
    if (n > (SIZE_MAX - 8) / ws)
        return fail_at(ndr, RS_ERR_LIMIT, name, "%" PRIu32 " elements do not fit in memory", n);
    if (t == RS_NDR_ENUM) {
        for (uint32_t i = 0; i < n; i++) {
            int v;
            memcpy(&v, (const uint8_t *)elems + (size_t)i * sizeof v, sizeof v);
            if (!enum16_ok(v))
                return fail_at(ndr, RS_ERR_ENUM_RANGE, name,
                               "element %" PRIu32 ": enum value %d is outside 0..0x7FFF", i, v);
        }
    }
    size_t at = ndr->buf->len;
    size_t pad = pad_for(at, ws);
    size_t bytes = (size_t)n * ws;
    uint8_t *p;
    st = rs_buf_extend(ndr->buf, pad + bytes, &p);
    if (st != RS_OK)
        return buf_failed(ndr, st, name, type);
    memset(p, 0, pad);
    if (stays_by_reference(ndr, t, bytes))
        ndr->refs[ndr->ref_count++] = (rs_buf_ref){.at = at + pad, .data = elems, .len = bytes};
    else
        encode_elems(p + pad, elems, n, t, ndr->endian);
    if (ndr->recording)
        return record_aligned(ndr, name, type, RS_NDR_ROLE_DATA, at, pad, ws, bytes, n);
    return RS_OK;
}

static rs_status get_block(rs_ndr *ndr, const char *name, rs_ndr_prim t, const char *type,
                           void *elems, uint32_t n)
{
    rs_status st = usable(ndr, RS_NDR_DECODE);
    if (st == RS_OK)
        st = check_prim(ndr, name, t);
    if (st != RS_OK)
        return st;
    if (n == 0)
        return RS_OK;
    if (elems == NULL)
        return fail_at(ndr, RS_ERR_INVALID_ARG, name, "%" PRIu32 " elements into NULL", n);
    size_t ws = prims[t].wire;
    if (n > (SIZE_MAX - 8) / ws)
        return fail_at(ndr, RS_ERR_LIMIT, name, "%" PRIu32 " elements do not fit in memory", n);
    size_t at = ndr->buf->pos;
    size_t pad = pad_for(at, ws);
    size_t bytes = (size_t)n * ws;
    const uint8_t *p;
    st = rs_buf_get_ptr(ndr->buf, pad + bytes, &p);
    if (st != RS_OK)
        return buf_failed(ndr, st, name, type);
    p += pad;
    if (t == RS_NDR_ENUM) {
        for (uint32_t i = 0; i < n; i++) {
            uint16_t v = rs_load_u16(p + 2 * (size_t)i, ndr->endian);
            if (v > RS_NDR_ENUM16_MAX)
                return fail_at(ndr, RS_ERR_ENUM_RANGE, name,
                               "element %" PRIu32 ": enum value 0x%04x is outside 0..0x7FFF", i,
                               (unsigned)v);
        }
    }
    decode_elems(elems, p, n, t, ndr->endian);
    if (ndr->recording)
        return record_aligned(ndr, name, type, RS_NDR_ROLE_DATA, at, pad, ws, bytes, n);
    return RS_OK;
}

rs_status rs_ndr_put_array(rs_ndr *ndr, const char *name, rs_ndr_prim t, const void *elems,
                           uint32_t n)
{
    return put_block(ndr, name, t, rs_ndr_prim_name(t), elems, n);
}

rs_status rs_ndr_get_array(rs_ndr *ndr, const char *name, rs_ndr_prim t, void *elems, uint32_t n)
{
    return get_block(ndr, name, t, rs_ndr_prim_name(t), elems, n);
}

/* ---- counts ---------------------------------------------------------------------------------- */

rs_status rs_ndr_put_conformance(rs_ndr *ndr, const char *name, uint32_t max_count)
{
    return put_value(ndr, name, COUNT_SIZE, TYPE_COUNT, RS_NDR_ROLE_MAX_COUNT, max_count);
}

/* True when n elements of `size` wire bytes fit in what is left to read. */
static bool fits_left(const rs_ndr *ndr, uint32_t n, size_t size)
{
    size_t left = rs_buf_remaining(ndr->buf);
    return size == 0 || n <= left / size;
}

rs_status rs_ndr_get_conformance(rs_ndr *ndr, const char *name, size_t elem_wire_size,
                                 uint32_t *max_count)
{
    uint64_t bits;
    rs_status st = get_value(ndr, name, COUNT_SIZE, TYPE_COUNT, RS_NDR_ROLE_MAX_COUNT, &bits);
    if (st != RS_OK)
        return st;
    uint32_t n = (uint32_t)bits;
    if (!fits_left(ndr, n, elem_wire_size))
        return fail_at(ndr, RS_ERR_NDR, name,
                       "max_count %" PRIu32 " exceeds the %zu bytes left at offset 0x%zx", n,
                       rs_buf_remaining(ndr->buf), ndr->buf->pos - COUNT_SIZE);
    *max_count = n;
    return RS_OK;
}

rs_status rs_ndr_put_variance(rs_ndr *ndr, const char *name, uint32_t offset, uint32_t actual_count)
{
    rs_status st = put_value(ndr, name, COUNT_SIZE, TYPE_COUNT, RS_NDR_ROLE_OFFSET, offset);
    if (st == RS_OK)
        st = put_value(ndr, name, COUNT_SIZE, TYPE_COUNT, RS_NDR_ROLE_ACTUAL_COUNT, actual_count);
    return st;
}

rs_status rs_ndr_get_variance(rs_ndr *ndr, const char *name, size_t elem_wire_size,
                              uint32_t max_count, uint32_t *offset, uint32_t *actual_count)
{
    uint64_t off, act;
    rs_status st = get_value(ndr, name, COUNT_SIZE, TYPE_COUNT, RS_NDR_ROLE_OFFSET, &off);
    if (st == RS_OK)
        st = get_value(ndr, name, COUNT_SIZE, TYPE_COUNT, RS_NDR_ROLE_ACTUAL_COUNT, &act);
    if (st != RS_OK)
        return st;
    size_t at = ndr->buf->pos - 2 * COUNT_SIZE;
    /* offset + actual_count <= max_count, written so that it cannot wrap */
    if (off > max_count || act > max_count - off)
        return fail_at(ndr, RS_ERR_NDR, name,
                       "offset %" PRIu64 " + actual_count %" PRIu64
                       " exceed max_count %" PRIu32 " at offset 0x%zx",
                       off, act, max_count, at);
    if (!fits_left(ndr, (uint32_t)act, elem_wire_size))
        return fail_at(ndr, RS_ERR_NDR, name,
                       "actual_count %" PRIu64 " exceeds the %zu bytes left at offset 0x%zx", act,
                       rs_buf_remaining(ndr->buf), at + COUNT_SIZE);
    *offset = (uint32_t)off;
    *actual_count = (uint32_t)act;
    return RS_OK;
}

/* ---- arrays ---------------------------------------------------------------------------------- */

static void store_slot(void *slot, void *value)
{
    memcpy(slot, &value, sizeof value);
}

rs_status rs_ndr_put_conformant_array(rs_ndr *ndr, const char *name, rs_ndr_prim t,
                                      const void *elems, uint32_t n)
{
    rs_status st = rs_ndr_put_conformance(ndr, name, n);
    if (st == RS_OK)
        st = put_block(ndr, name, t, rs_ndr_prim_name(t), elems, n);
    return st;
}

/* Whether n elements of t may stay where they lie at `p` in the stub data
 * (rs_ndr_set_in_place()): the same bytes in memory as on the wire, and aligned for them. */
static bool fits_in_place(const rs_ndr *ndr, rs_ndr_prim t, const uint8_t *p, uint32_t n)
{
    if (!ndr->in_place || ndr->mem.separate || n == 0)
        return false;
    switch (t) {
    case RS_NDR_BYTE:
    case RS_NDR_CHAR:
    case RS_NDR_SMALL:
    case RS_NDR_USMALL:
        return true;
    case RS_NDR_BOOLEAN: /* any nonzero byte is TRUE on the wire; a C bool holds only 0 or 1 */
    case RS_NDR_ENUM:
    case RS_NDR_V1_ENUM: /* checked and widened one by one */
        return false;
    default:
        return prims[t].mem == prims[t].wire && ndr->endian == host_endian() &&
               (uintptr_t)p % prims[t].wire == 0;
    }
}

/* get_block() for an array that stays where it lies: *elems points into the stub data, or is
 * NULL (and nothing is read) when the array does not fit in place. */
static rs_status get_block_in_place(rs_ndr *ndr, const char *name, rs_ndr_prim t, uint32_t n,
                                    void **elems)
{
    *elems = NULL;
    size_t ws = prims[t].wire;
    size_t at = ndr->buf->pos;
    size_t pad = pad_for(at, ws);
    if (n > (SIZE_MAX - 8) / ws || pad + (size_t)n * ws > rs_buf_remaining(ndr->buf))
        return RS_OK; /* get_block() says what is wrong */
    const uint8_t *p = ndr->buf->data + at + pad;
    if (!fits_in_place(ndr, t, p, n))
        return RS_OK;
    const uint8_t *taken;
    rs_status st = rs_buf_get_ptr(ndr->buf, pad + (size_t)n * ws, &taken);
    if (st != RS_OK)
        return buf_failed(ndr, st, name, rs_ndr_prim_name(t));
    *elems = (void *)(uintptr_t)p; /* the stub data's owner lets it be written (see ndr.h) */
    if (ndr->recording)
        return record_aligned(ndr, name, rs_ndr_prim_name(t), RS_NDR_ROLE_DATA, at, pad, ws,
                              (size_t)n * ws, n);
    return RS_OK;
}

rs_status rs_ndr_get_conformant_array(rs_ndr *ndr, const char *name, rs_ndr_prim t,
                                      void *elems_slot, uint32_t *n)
{
    uint32_t count = 0;
    void *elems = NULL;
    rs_status st = check_prim(ndr, name, t);
    if (st == RS_OK)
        st = rs_ndr_get_conformance(ndr, name, prims[t].wire, &count);
    if (st == RS_OK && ndr->in_place)
        st = get_block_in_place(ndr, name, t, count, &elems);
    if (st == RS_OK && elems == NULL) { /* copied out */
        /* count * mem size cannot overflow: count * wire size fits in the bytes left */
        st = ndr_alloc(ndr, name, (size_t)count * prims[t].mem, false, &elems);
        if (st == RS_OK)
            st = get_block(ndr, name, t, rs_ndr_prim_name(t), elems, count);
    }
    if (st != RS_OK)
        return st;
    store_slot(elems_slot, elems);
    *n = count;
    return RS_OK;
}

/* Caller-side bounds of a variance: trusted memory, but a wrong call must not read past it. */
static rs_status check_window(rs_ndr *ndr, const char *name, uint32_t capacity, uint32_t offset,
                              uint32_t actual_count)
{
    if (ndr->status != RS_OK)
        return ndr->status;
    if (offset > capacity || actual_count > capacity - offset)
        return fail_at(ndr, RS_ERR_INVALID_ARG, name,
                       "offset %" PRIu32 " + actual_count %" PRIu32 " exceed %" PRIu32 " elements",
                       offset, actual_count, capacity);
    return RS_OK;
}

static const void *elem_at(const void *elems, rs_ndr_prim t, uint32_t i)
{
    return elems == NULL ? NULL : (const uint8_t *)elems + (size_t)i * prims[t].mem;
}

rs_status rs_ndr_put_varying_array(rs_ndr *ndr, const char *name, rs_ndr_prim t, const void *elems,
                                   uint32_t capacity, uint32_t offset, uint32_t actual_count)
{
    rs_status st = check_prim(ndr, name, t);
    if (st == RS_OK)
        st = check_window(ndr, name, capacity, offset, actual_count);
    if (st == RS_OK)
        st = rs_ndr_put_variance(ndr, name, offset, actual_count);
    if (st == RS_OK)
        st = put_block(ndr, name, t, prims[t].name, elem_at(elems, t, offset), actual_count);
    return st;
}

rs_status rs_ndr_get_varying_array(rs_ndr *ndr, const char *name, rs_ndr_prim t, void *elems,
                                   uint32_t capacity, uint32_t *offset, uint32_t *actual_count)
{
    uint32_t off = 0, act = 0;
    rs_status st = check_prim(ndr, name, t);
    if (st == RS_OK)
        st = rs_ndr_get_variance(ndr, name, prims[t].wire, capacity, &off, &act);
    if (st == RS_OK)
        st = get_block(ndr, name, t, prims[t].name, (void *)(uintptr_t)elem_at(elems, t, off), act);
    if (st != RS_OK)
        return st;
    *offset = off;
    *actual_count = act;
    return RS_OK;
}

rs_status rs_ndr_put_cv_array(rs_ndr *ndr, const char *name, rs_ndr_prim t, const void *elems,
                              uint32_t max_count, uint32_t offset, uint32_t actual_count)
{
    rs_status st = check_prim(ndr, name, t);
    if (st == RS_OK)
        st = check_window(ndr, name, max_count, offset, actual_count);
    if (st == RS_OK)
        st = rs_ndr_put_conformance(ndr, name, max_count);
    if (st == RS_OK)
        st = rs_ndr_put_variance(ndr, name, offset, actual_count);
    if (st == RS_OK)
        st = put_block(ndr, name, t, prims[t].name, elem_at(elems, t, offset), actual_count);
    return st;
}

rs_status rs_ndr_get_cv_array(rs_ndr *ndr, const char *name, rs_ndr_prim t, void *elems_slot,
                              uint32_t *max_count, uint32_t *offset, uint32_t *actual_count)
{
    uint32_t max = 0, off = 0, act = 0;
    void *elems = NULL;
    rs_status st = check_prim(ndr, name, t);
    if (st == RS_OK)
        st = rs_ndr_get_conformance(ndr, name, 0, &max);
    if (st == RS_OK)
        st = rs_ndr_get_variance(ndr, name, prims[t].wire, max, &off, &act);
    /* max_count is not bounded by the bytes left (only actual_count is): the allocation limit
     * is what stops a huge one, before anything is allocated. */
    if (st == RS_OK && (size_t)max > SIZE_MAX / prims[t].mem)
        st = fail_at(ndr, RS_ERR_LIMIT, name, "max_count %" PRIu32 " does not fit in memory", max);
    if (st == RS_OK)
        st = ndr_alloc(ndr, name, (size_t)max * prims[t].mem, true, &elems);
    if (st == RS_OK)
        st = get_block(ndr, name, t, prims[t].name, (void *)(uintptr_t)elem_at(elems, t, off), act);
    if (st != RS_OK)
        return st;
    store_slot(elems_slot, elems);
    *max_count = max;
    *offset = off;
    *actual_count = act;
    return RS_OK;
}

rs_status rs_ndr_put_elements(rs_ndr *ndr, const char *name, const void *elems, size_t elem_size,
                              uint32_t n, rs_ndr_put_fn fn)
{
    rs_status st = usable(ndr, RS_NDR_ENCODE);
    if (st == RS_OK && (fn == NULL || (n > 0 && elems == NULL)))
        st = fail_at(ndr, RS_ERR_INVALID_ARG, name, "no callback or no elements");
    if (st == RS_OK)
        st = rs_ndr_enter(ndr, name);
    for (uint32_t i = 0; st == RS_OK && i < n; i++) {
        char index[16];
        snprintf(index, sizeof index, "[%" PRIu32 "]", i);
        st = fn(ndr, index, (const uint8_t *)elems + (size_t)i * elem_size);
    }
    if (st == RS_OK)
        st = rs_ndr_leave(ndr);
    return st;
}

rs_status rs_ndr_get_elements(rs_ndr *ndr, const char *name, void *elems, size_t elem_size,
                              uint32_t n, rs_ndr_get_fn fn)
{
    rs_status st = usable(ndr, RS_NDR_DECODE);
    if (st == RS_OK && (fn == NULL || (n > 0 && elems == NULL)))
        st = fail_at(ndr, RS_ERR_INVALID_ARG, name, "no callback or no elements");
    if (st == RS_OK)
        st = rs_ndr_enter(ndr, name);
    for (uint32_t i = 0; st == RS_OK && i < n; i++) {
        char index[16];
        snprintf(index, sizeof index, "[%" PRIu32 "]", i);
        st = fn(ndr, index, (uint8_t *)elems + (size_t)i * elem_size);
    }
    if (st == RS_OK)
        st = rs_ndr_leave(ndr);
    return st;
}

/* ---- strings --------------------------------------------------------------------------------- */

/* Both string kinds share the wire form; `t` is RS_NDR_CHAR or RS_NDR_WCHAR, len counts the
 * terminator. */
static rs_status put_string(rs_ndr *ndr, const char *name, rs_ndr_prim t, const char *type,
                            const void *s, size_t len)
{
    if (len > UINT32_MAX)
        return fail_at(ndr, RS_ERR_LIMIT, name, "a string of %zu elements does not fit a u32 count",
                       len);
    uint32_t n = (uint32_t)len;
    rs_status st = rs_ndr_put_conformance(ndr, name, n);
    if (st == RS_OK)
        st = rs_ndr_put_variance(ndr, name, 0, n);
    if (st == RS_OK)
        st = put_block(ndr, name, t, type, s, n);
    return st;
}

/* Reads the counts of a string and checks them before anything is allocated. */
static rs_status get_string_counts(rs_ndr *ndr, const char *name, rs_ndr_prim t, uint32_t *n)
{
    uint32_t max = 0, off = 0, act = 0;
    rs_status st = rs_ndr_get_conformance(ndr, name, 0, &max);
    if (st == RS_OK)
        st = rs_ndr_get_variance(ndr, name, prims[t].wire, max, &off, &act);
    if (st != RS_OK)
        return st;
    if (off != 0)
        return fail_at(ndr, RS_ERR_NDR, name, "a [string] has offset %" PRIu32 "; it must be 0",
                       off);
    if (act == 0)
        return fail_at(ndr, RS_ERR_NDR, name,
                       "a [string] has actual_count 0; it must count at least its terminator");
    *n = act;
    return RS_OK;
}

rs_status rs_ndr_put_string(rs_ndr *ndr, const char *name, const char *s)
{
    if (ndr->status == RS_OK && s == NULL)
        return fail_at(ndr, RS_ERR_NULL_REF, name, "a [string] pointer is NULL");
    return put_string(ndr, name, RS_NDR_CHAR, TYPE_STRING, s, s == NULL ? 0 : strlen(s) + 1);
}

rs_status rs_ndr_get_string(rs_ndr *ndr, const char *name, char **out)
{
    uint32_t n = 0;
    void *mem = NULL;
    rs_status st = usable(ndr, RS_NDR_DECODE);
    if (st == RS_OK)
        st = get_string_counts(ndr, name, RS_NDR_CHAR, &n);
    if (st == RS_OK)
        st = ndr_alloc(ndr, name, n, false, &mem);
    if (st == RS_OK)
        st = get_block(ndr, name, RS_NDR_CHAR, TYPE_STRING, mem, n);
    if (st != RS_OK)
        return st;
    char *s = mem;
    if (s[n - 1] != '\0')
        return fail_at(ndr, RS_ERR_NDR, name,
                       "a [string] of %" PRIu32 " chars does not end with its terminator", n);
    const char *nul = memchr(s, '\0', n - 1);
    if (nul != NULL)
        return fail_at(ndr, RS_ERR_NDR, name,
                       "a [string] of %" PRIu32 " chars has a terminator at %td, before its end",
                       n, nul - s);
    *out = s;
    return RS_OK;
}

rs_status rs_ndr_put_wstring(rs_ndr *ndr, const char *name, const uint16_t *s)
{
    if (ndr->status == RS_OK && s == NULL)
        return fail_at(ndr, RS_ERR_NULL_REF, name, "a [string] pointer is NULL");
    size_t len = 0;
    if (s != NULL)
        while (s[len] != 0)
            len++;
    return put_string(ndr, name, RS_NDR_WCHAR, TYPE_WSTRING, s, s == NULL ? 0 : len + 1);
}

rs_status rs_ndr_get_wstring(rs_ndr *ndr, const char *name, uint16_t **out)
{
    uint32_t n = 0;
    void *mem = NULL;
    rs_status st = usable(ndr, RS_NDR_DECODE);
    if (st == RS_OK)
        st = get_string_counts(ndr, name, RS_NDR_WCHAR, &n);
    if (st == RS_OK)
        st = ndr_alloc(ndr, name, (size_t)n * sizeof(uint16_t), false, &mem);
    if (st == RS_OK)
        st = get_block(ndr, name, RS_NDR_WCHAR, TYPE_WSTRING, mem, n);
    if (st != RS_OK)
        return st;
    uint16_t *s = mem;
    if (s[n - 1] != 0)
        return fail_at(ndr, RS_ERR_NDR, name,
                       "a [string] of %" PRIu32 " wchar_t does not end with its terminator", n);
    for (uint32_t i = 0; i + 1 < n; i++)
        if (s[i] == 0)
            return fail_at(ndr, RS_ERR_NDR, name,
                           "a [string] of %" PRIu32 " wchar_t has a terminator at %" PRIu32
                           ", before its end",
                           n, i);
    *out = s;
    return RS_OK;
}

rs_status rs_ndr_put_string_fn(rs_ndr *ndr, const char *name, const void *obj)
{
    return rs_ndr_put_string(ndr, name, obj);
}

rs_status rs_ndr_get_string_fn(rs_ndr *ndr, const char *name, void *slot)
{
    return rs_ndr_get_string(ndr, name, slot);
}

rs_status rs_ndr_put_wstring_fn(rs_ndr *ndr, const char *name, const void *obj)
{
    return rs_ndr_put_wstring(ndr, name, obj);
}

rs_status rs_ndr_get_wstring_fn(rs_ndr *ndr, const char *name, void *slot)
{
    return rs_ndr_get_wstring(ndr, name, slot);
}

/* ---- the deferral work list ------------------------------------------------------------------ */
/*
 * NDR sends an embedded pointer's referent after the top-level parameter that holds the pointer,
 * depth first: the referents one object deferred, in member order, each complete (with the
 * referents it deferred in turn) before the next. Following pointers by C recursion would put a
 * linked list's length on the C stack. Instead the referents wait in a stack of runs on the heap:
 *
 *     items: [ a  b  c | a1 a2 | a1x ]          runs: { a b c }  next -> b
 *              run 0     run 1   run 2                { a1 a2 }  next -> a2
 *                                                     { a1x }    next -> a1x   <- top
 *
 * rs_ndr_flush() takes the next item of the top run and marshals its referent; whatever that
 * defers becomes a new run on top, so it is done before the rest of the run below. A run whose
 * last item is taken is popped at once, before that item runs, so a linked list of any length
 * needs one run and one item at a time.
 */

static rs_status enqueue(rs_ndr *ndr, const char *name, const void *cobj, void *obj,
                         rs_ndr_put_fn put, rs_ndr_get_fn get)
{
    if (ndr->item_count >= ndr->limits.max_pending)
        return fail_at(ndr, RS_ERR_LIMIT, name,
                       "more than %zu referents wait to be marshalled at once",
                       ndr->limits.max_pending);
    if (ndr->item_count == ndr->item_cap) {
        size_t cap = ndr->item_cap;
        if (!grow_cap(&cap, ndr->item_count + 1, 16, SIZE_MAX / sizeof *ndr->items))
            return fail_at(ndr, RS_ERR_NOMEM, name, "cannot grow the referent list");
        struct rs_ndr_item *p = realloc(ndr->items, cap * sizeof *p);
        if (p == NULL)
            return fail_at(ndr, RS_ERR_NOMEM, name, "cannot grow the referent list to %zu", cap);
        ndr->items = p;
        ndr->item_cap = cap;
    }
    char path[RS_NDR_PATH_MAX];
    memcpy(path, ndr->path, ndr->path_len + 1);
    size_t len = path_shorten(path, path_join(path, ndr->path_len, sizeof path, name));
    if (ndr->item_paths_len + len > ndr->item_paths_cap) {
        size_t cap = ndr->item_paths_cap;
        if (!grow_cap(&cap, ndr->item_paths_len + len, 256, SIZE_MAX))
            return fail_at(ndr, RS_ERR_NOMEM, name, "cannot grow the referent paths");
        char *p = realloc(ndr->item_paths, cap);
        if (p == NULL)
            return fail_at(ndr, RS_ERR_NOMEM, name, "cannot grow the referent paths to %zu", cap);
        ndr->item_paths = p;
        ndr->item_paths_cap = cap;
    }
    memcpy(ndr->item_paths + ndr->item_paths_len, path, len);
    ndr->items[ndr->item_count++] = (struct rs_ndr_item){
        .cobj = cobj,
        .obj = obj,
        .put = put,
        .get = get,
        .path = ndr->item_paths_len,
        .path_len = len,
    };
    ndr->item_paths_len += len;
    return RS_OK;
}

static rs_status push_run(rs_ndr *ndr)
{
    if (ndr->run_count == ndr->run_cap) {
        size_t cap = ndr->run_cap;
        if (!grow_cap(&cap, ndr->run_count + 1, 16, SIZE_MAX / sizeof *ndr->runs))
            return rs_ndr_fail(ndr, RS_ERR_NOMEM, "ndr: cannot grow the referent runs");
        struct rs_ndr_run *p = realloc(ndr->runs, cap * sizeof *p);
        if (p == NULL)
            return rs_ndr_fail(ndr, RS_ERR_NOMEM, "ndr: cannot grow the referent runs to %zu", cap);
        ndr->runs = p;
        ndr->run_cap = cap;
    }
    ndr->runs[ndr->run_count++] = (struct rs_ndr_run){
        .begin = ndr->item_count,
        .next = ndr->item_count,
        .paths_begin = ndr->item_paths_len,
    };
    return RS_OK;
}

/* Drops the top run with its items and their paths. */
static void pop_run(rs_ndr *ndr)
{
    struct rs_ndr_run *r = &ndr->runs[--ndr->run_count];
    ndr->item_count = r->begin;
    ndr->item_paths_len = r->paths_begin;
}

rs_status rs_ndr_flush(rs_ndr *ndr)
{
    if (ndr->status != RS_OK)
        return ndr->status;
    if (ndr->flushing)
        return RS_OK; /* the flush that is running will get to what was just queued */
    if (ndr->depth != 0)
        return rs_ndr_fail(ndr, RS_ERR_INVALID_ARG,
                           "ndr: rs_ndr_flush() inside %s: referents follow a whole top-level "
                           "parameter",
                           ndr->path);
    if (ndr->item_count == 0)
        return RS_OK;

    ndr->flushing = true;
    rs_status st = push_run(ndr);
    if (st == RS_OK) /* what the top-level parameter deferred, all of it, is the first run */
        ndr->runs[0] = (struct rs_ndr_run){.begin = 0, .next = 0, .paths_begin = 0};
    while (st == RS_OK && ndr->run_count > 0) {
        struct rs_ndr_run *r = &ndr->runs[ndr->run_count - 1];
        if (r->next == ndr->item_count) {
            pop_run(ndr);
            continue;
        }
        struct rs_ndr_item it = ndr->items[r->next++];
        memcpy(ndr->path, ndr->item_paths + it.path, it.path_len);
        ndr->path[it.path_len] = '\0';
        ndr->path_len = it.path_len;
        if (r->next == ndr->item_count)
            pop_run(ndr); /* done with this run: its room serves the referents `it` defers */
        st = push_run(ndr);
        if (st != RS_OK)
            break;
        st = ndr->dir == RS_NDR_ENCODE ? it.put(ndr, "*", it.cobj) : it.get(ndr, "*", it.obj);
        if (st == RS_OK && ndr->depth != 0)
            st = rs_ndr_fail(ndr, RS_ERR_INVALID_ARG,
                             "ndr: the callback for %s left %u rs_ndr_enter() levels open",
                             ndr->path, ndr->depth);
    }
    ndr->flushing = false;
    ndr->path_len = 0;
    ndr->path[0] = '\0';
    return st;
}

/* ---- pointers -------------------------------------------------------------------------------- */

enum ptr_kind { PTR_REF, PTR_EMBEDDED_REF, PTR_UNIQUE, PTR_FULL };

static const char *const ptr_types[] = {
    [PTR_REF] = TYPE_REF,
    [PTR_EMBEDDED_REF] = TYPE_REF,
    [PTR_UNIQUE] = TYPE_UNIQUE,
    [PTR_FULL] = TYPE_FULL,
};

static rs_status new_referent_id(rs_ndr *ndr, const char *name, uint32_t *id)
{
    size_t sent = (ndr->next_referent_id - RS_NDR_REFERENT_ID_FIRST) / RS_NDR_REFERENT_ID_STEP;
    if (sent >= RS_NDR_REFERENTS_MAX)
        return fail_at(ndr, RS_ERR_LIMIT, name,
                       "more than %zu referents in one message: a cycle of [unique] pointers? "
                       "Only [ptr] pointers may reach the same memory twice",
                       RS_NDR_REFERENTS_MAX);
    if (ndr->next_referent_id > UINT32_MAX - RS_NDR_REFERENT_ID_STEP)
        return fail_at(ndr, RS_ERR_LIMIT, name, "the message has run out of referent ids");
    *id = ndr->next_referent_id;
    ndr->next_referent_id += RS_NDR_REFERENT_ID_STEP;
    return RS_OK;
}

/* The full-pointer table: open addressing, at most half full, so a probe always ends. */
static size_t full_slot(uintptr_t key, size_t cap)
{
    uint64_t h = (uint64_t)key * UINT64_C(0x9E3779B97F4A7C15);
    return (size_t)(h >> 32) & (cap - 1);
}

/* The entry for `key` -- and, encoding, for `put` too: the same address marshalled as another
 * type (a structure and its first member) is another referent. NULL if there is none. */
static struct rs_ndr_fullptr *full_find(rs_ndr *ndr, uintptr_t key, rs_ndr_put_fn put)
{
    if (ndr->full_cap == 0)
        return NULL;
    for (size_t i = full_slot(key, ndr->full_cap);; i = (i + 1) & (ndr->full_cap - 1)) {
        struct rs_ndr_fullptr *f = &ndr->full[i];
        if (!f->used)
            return NULL;
        if (f->key == key && (ndr->dir == RS_NDR_DECODE || f->put == put))
            return f;
    }
}

static void full_place(struct rs_ndr_fullptr *table, size_t cap, const struct rs_ndr_fullptr *e)
{
    size_t i = full_slot(e->key, cap);
    while (table[i].used)
        i = (i + 1) & (cap - 1);
    table[i] = *e;
    table[i].used = true;
}

static rs_status full_insert(rs_ndr *ndr, const char *name, struct rs_ndr_fullptr e)
{
    if ((ndr->full_count + 1) * 2 > ndr->full_cap) {
        if (ndr->full_cap > SIZE_MAX / 2 / sizeof *ndr->full)
            return fail_at(ndr, RS_ERR_NOMEM, name, "the full-pointer table cannot grow");
        size_t cap = ndr->full_cap ? ndr->full_cap * 2 : 64;
        struct rs_ndr_fullptr *table = calloc(cap, sizeof *table);
        if (table == NULL)
            return fail_at(ndr, RS_ERR_NOMEM, name, "cannot grow the full-pointer table to %zu",
                           cap);
        for (size_t i = 0; i < ndr->full_cap; i++)
            if (ndr->full[i].used)
                full_place(table, cap, &ndr->full[i]);
        free(ndr->full);
        ndr->full = table;
        ndr->full_cap = cap;
    }
    full_place(ndr->full, ndr->full_cap, &e);
    ndr->full_count++;
    return RS_OK;
}

static rs_status put_pointer(rs_ndr *ndr, const char *name, const void *p, rs_ndr_put_fn fn,
                             enum ptr_kind kind)
{
    rs_status st = usable(ndr, RS_NDR_ENCODE);
    if (st != RS_OK)
        return st;
    if (fn == NULL)
        return fail_at(ndr, RS_ERR_INVALID_ARG, name, "no callback for the referent");
    if (p == NULL && (kind == PTR_REF || kind == PTR_EMBEDDED_REF))
        return fail_at(ndr, RS_ERR_NULL_REF, name, "a [ref] pointer is NULL");
    if (kind == PTR_REF)
        return enqueue(ndr, name, p, NULL, fn, NULL); /* a top-level [ref] has no wire form */

    uint32_t id = RS_NDR_REFERENT_ID_NULL;
    bool send = false;
    if (p != NULL) {
        const struct rs_ndr_fullptr *seen =
            kind == PTR_FULL ? full_find(ndr, (uintptr_t)p, fn) : NULL;
        if (seen != NULL) {
            id = seen->id; /* an alias: the same id, and the referent is not sent again */
        } else {
            st = new_referent_id(ndr, name, &id);
            if (st == RS_OK && kind == PTR_FULL)
                st = full_insert(ndr, name,
                                 (struct rs_ndr_fullptr){.key = (uintptr_t)p, .put = fn, .id = id});
            if (st != RS_OK)
                return st;
            send = true;
        }
    }
    st = put_value(ndr, name, REFERENT_ID_SIZE, ptr_types[kind], RS_NDR_ROLE_REFERENT_ID, id);
    if (st == RS_OK && send)
        st = enqueue(ndr, name, p, NULL, fn, NULL);
    return st;
}

static rs_status get_pointer(rs_ndr *ndr, const char *name, void *slot, size_t size,
                             rs_ndr_get_fn fn, enum ptr_kind kind)
{
    rs_status st = usable(ndr, RS_NDR_DECODE);
    if (st != RS_OK)
        return st;
    if (fn == NULL || slot == NULL)
        return fail_at(ndr, RS_ERR_INVALID_ARG, name, "no callback or no slot for the referent");
    if (kind == PTR_FULL && size == RS_NDR_SIZE_FROM_WIRE)
        return fail_at(ndr, RS_ERR_INVALID_ARG, name,
                       "a [ptr] referent needs its size to be known before it is read");

    uint32_t id = 0;
    if (kind != PTR_REF) {
        uint64_t bits;
        st = get_value(ndr, name, REFERENT_ID_SIZE, ptr_types[kind], RS_NDR_ROLE_REFERENT_ID,
                       &bits);
        if (st != RS_OK)
            return st;
        id = (uint32_t)bits;
        if (id == RS_NDR_REFERENT_ID_NULL && kind != PTR_EMBEDDED_REF) {
            store_slot(slot, NULL);
            return RS_OK;
        }
    }
    if (kind == PTR_FULL) {
        const struct rs_ndr_fullptr *seen = full_find(ndr, id, NULL);
        if (seen != NULL) {
            /* Only the same type may be aliased: else one object would be filled as another. */
            if (seen->get != fn || seen->size != size)
                return fail_at(ndr, RS_ERR_NDR, name,
                               "referent id 0x%08" PRIx32 " was first sent for a referent of "
                               "another type (%zu bytes, not %zu)",
                               id, seen->size, size);
            store_slot(slot, seen->obj);
            return RS_OK;
        }
    }
    if (size == RS_NDR_SIZE_FROM_WIRE) {
        store_slot(slot, NULL);
        return enqueue(ndr, name, NULL, slot, NULL, fn);
    }
    void *obj;
    st = ndr_alloc(ndr, name, size, true, &obj);
    if (st == RS_OK && kind == PTR_FULL)
        st = full_insert(ndr, name,
                         (struct rs_ndr_fullptr){.key = id, .get = fn, .size = size, .obj = obj});
    if (st == RS_OK)
        st = enqueue(ndr, name, NULL, obj, NULL, fn);
    if (st == RS_OK)
        store_slot(slot, obj);
    return st;
}

rs_status rs_ndr_put_ref(rs_ndr *ndr, const char *name, const void *p, rs_ndr_put_fn fn)
{
    return put_pointer(ndr, name, p, fn, PTR_REF);
}

rs_status rs_ndr_get_ref(rs_ndr *ndr, const char *name, void *slot, size_t size, rs_ndr_get_fn fn)
{
    return get_pointer(ndr, name, slot, size, fn, PTR_REF);
}

rs_status rs_ndr_put_embedded_ref(rs_ndr *ndr, const char *name, const void *p, rs_ndr_put_fn fn)
{
    return put_pointer(ndr, name, p, fn, PTR_EMBEDDED_REF);
}

rs_status rs_ndr_get_embedded_ref(rs_ndr *ndr, const char *name, void *slot, size_t size,
                                  rs_ndr_get_fn fn)
{
    return get_pointer(ndr, name, slot, size, fn, PTR_EMBEDDED_REF);
}

rs_status rs_ndr_put_unique(rs_ndr *ndr, const char *name, const void *p, rs_ndr_put_fn fn)
{
    return put_pointer(ndr, name, p, fn, PTR_UNIQUE);
}

rs_status rs_ndr_get_unique(rs_ndr *ndr, const char *name, void *slot, size_t size,
                            rs_ndr_get_fn fn)
{
    return get_pointer(ndr, name, slot, size, fn, PTR_UNIQUE);
}

rs_status rs_ndr_put_full(rs_ndr *ndr, const char *name, const void *p, rs_ndr_put_fn fn)
{
    return put_pointer(ndr, name, p, fn, PTR_FULL);
}

rs_status rs_ndr_get_full(rs_ndr *ndr, const char *name, void *slot, size_t size, rs_ndr_get_fn fn)
{
    return get_pointer(ndr, name, slot, size, fn, PTR_FULL);
}

/* ---- unions ---------------------------------------------------------------------------------- */

static rs_status check_discriminant(rs_ndr *ndr, const char *name, rs_ndr_prim t)
{
    if (ndr->status != RS_OK)
        return ndr->status;
    if (!prim_valid(t) || !prims[t].switchable)
        return fail_at(ndr, RS_ERR_INVALID_ARG, name, "%s cannot be a union discriminant",
                       rs_ndr_prim_name(t));
    return RS_OK;
}

rs_status rs_ndr_put_discriminant(rs_ndr *ndr, const char *name, rs_ndr_prim t, int64_t v)
{
    rs_status st = check_discriminant(ndr, name, t);
    if (st != RS_OK)
        return st;
    unsigned bits = prims[t].wire * 8u;
    bool fits;
    if (t == RS_NDR_ENUM) {
        if (v < 0 || v > RS_NDR_ENUM16_MAX)
            return fail_at(ndr, RS_ERR_ENUM_RANGE, name,
                           "enum discriminant %" PRId64 " is outside 0..0x7FFF", v);
        fits = true;
    } else if (prims[t].is_signed) {
        int64_t limit = (int64_t)1 << (bits - 1);
        fits = v >= -limit && v < limit;
    } else {
        fits = v >= 0 && ((uint64_t)v >> bits) == 0;
    }
    if (!fits)
        return fail_at(ndr, RS_ERR_INVALID_ARG, name, "discriminant %" PRId64 " does not fit %s",
                       v, prims[t].name);
    return put_value(ndr, name, prims[t].wire, prims[t].name, RS_NDR_ROLE_DISCRIMINANT,
                     (uint64_t)v);
}

rs_status rs_ndr_get_discriminant(rs_ndr *ndr, const char *name, rs_ndr_prim t, int64_t *v)
{
    uint64_t bits;
    rs_status st = check_discriminant(ndr, name, t);
    if (st == RS_OK)
        st = get_value(ndr, name, prims[t].wire, prims[t].name, RS_NDR_ROLE_DISCRIMINANT, &bits);
    if (st != RS_OK)
        return st;
    if (t == RS_NDR_ENUM && bits > RS_NDR_ENUM16_MAX)
        return fail_at(ndr, RS_ERR_ENUM_RANGE, name,
                       "enum discriminant 0x%04" PRIx64 " is outside 0..0x7FFF", bits);
    *v = prims[t].is_signed ? to_signed(bits, prims[t].wire) : (int64_t)bits;
    return RS_OK;
}

/* ---- context handles ------------------------------------------------------------------------- */

rs_status rs_ndr_put_context_handle(rs_ndr *ndr, const char *name, const rs_ndr_context_handle *h)
{
    rs_status st = usable(ndr, RS_NDR_ENCODE);
    if (st == RS_OK && h == NULL)
        st = fail_at(ndr, RS_ERR_INVALID_ARG, name, "no context handle");
    if (st == RS_OK)
        st = rs_ndr_enter(ndr, name);
    if (st == RS_OK)
        st = put_value(ndr, "attributes", 4, TYPE_COUNT, RS_NDR_ROLE_DATA, h->attributes);
    size_t at = ndr->buf->len; /* 4-aligned after the attributes, as the UUID wants */
    if (st == RS_OK) {
        st = rs_uuid_put(ndr->buf, ndr->endian, &h->uuid);
        if (st != RS_OK)
            st = buf_failed(ndr, st, "uuid", "uuid");
    }
    if (st == RS_OK && ndr->recording)
        st = record(ndr, "uuid", "uuid", RS_NDR_ROLE_DATA, at, RS_UUID_WIRE_SIZE, 1);
    if (st == RS_OK)
        st = rs_ndr_leave(ndr);
    return st;
}

rs_status rs_ndr_get_context_handle(rs_ndr *ndr, const char *name, rs_ndr_context_handle *h)
{
    uint64_t attributes = 0;
    rs_uuid uuid;
    rs_status st = usable(ndr, RS_NDR_DECODE);
    if (st == RS_OK && h == NULL)
        st = fail_at(ndr, RS_ERR_INVALID_ARG, name, "no context handle");
    if (st == RS_OK)
        st = rs_ndr_enter(ndr, name);
    if (st == RS_OK)
        st = get_value(ndr, "attributes", 4, TYPE_COUNT, RS_NDR_ROLE_DATA, &attributes);
    size_t at = ndr->buf->pos;
    if (st == RS_OK) {
        st = rs_uuid_get(ndr->buf, ndr->endian, &uuid);
        if (st != RS_OK)
            st = buf_failed(ndr, st, "uuid", "uuid");
    }
    if (st == RS_OK && ndr->recording)
        st = record(ndr, "uuid", "uuid", RS_NDR_ROLE_DATA, at, RS_UUID_WIRE_SIZE, 1);
    if (st == RS_OK)
        st = rs_ndr_leave(ndr);
    if (st != RS_OK)
        return st;
    h->attributes = (uint32_t)attributes;
    h->uuid = uuid;
    return RS_OK;
}
