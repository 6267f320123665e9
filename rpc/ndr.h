/* ndr.h -- NDR 2.0 (C706 chapter 14, MS-RPCE 2.2.5): turns C values into stub data and back.
 *
 * An rs_ndr stream marshals into (or unmarshals from) one rs_buf that holds only stub data; call
 * rs_ndr_init_encode() or rs_ndr_init_decode(), one put or get per field, rs_ndr_flush() after each
 * top-level parameter (that writes the referents its pointers deferred), then rs_ndr_free().
 *
 *     rs_buf out;  rs_ndr ndr;
 *     rs_buf_init(&out, 65536);
 *     rs_ndr_init_encode(&ndr, &out, RS_LE);
 *     rs_status st = rs_ndr_put_string(&ndr, "pszString", "hello, world");    // [in, string]
 *     if (st == RS_OK) st = rs_ndr_flush(&ndr);
 *     if (st != RS_OK) puts(rs_ndr_error(&ndr));
 *     rs_ndr_free(&ndr);             // out now holds 0d 00 00 00 00 00 00 00 0d 00 00 00 68 ...
 *
 * What is trusted and what is not:
 *   - Trusted: the calls themselves (they come from generated stubs, which know the types: sizes,
 *     alignments, callbacks) and the caller's memory when encoding.
 *   - Not trusted: every byte of stub data being decoded. No count, offset or referent id read
 *     from the wire is believed before it is checked against the bytes that are left and against
 *     the limits in rs_ndr_limits.
 *
 * What holds for hostile input (decoding):
 *   - Every read goes through rs_buf, which never reads at or past the end of the data.
 *   - A conformant max_count is checked against the bytes left before anything is allocated;
 *     offset and actual_count are checked against max_count (overflow-safe) and against the bytes
 *     left; every allocation, a conformant-varying array's max_count elements included, is
 *     counted against limits.max_alloc before it is made.
 *   - Pointers are followed with an explicit work list on the heap, never by C recursion, so a
 *     linked list of any length costs constant stack; the list is bounded by limits.max_pending.
 *   - A full-pointer referent id that repeats must name a referent of the same type and size, so
 *     an alias can never make an object of one type be filled as another.
 *   - The first failure is kept on the stream (rs_ndr_status(), rs_ndr_error()); every later call
 *     returns it again and does nothing, and rs_ndr_free() releases everything the decode
 *     allocated. There is no input for which memory leaks or the rules below change.
 *
 * Memory ownership when decoding -- one rule, the same for every input:
 *   The stream owns everything it allocates while decoding (strings, arrays, referents), and
 *   rs_ndr_free() releases all of it. To keep decoded values after rs_ndr_free(), call
 *   rs_ndr_take() after a successful decode: the memory then belongs to an rs_ndr_mem that you
 *   release, all at once, with rs_ndr_mem_free(). After a failure, rs_ndr_take() moves nothing,
 *   and the values the decode filled in must not be read: their pointers lead into that memory.
 *
 * Name paths (what the layout record and error messages call each field):
 *   Every put and get takes `name`, the field's name relative to where the stream is; the stream
 *   joins it to the path of the enclosing structures and pointers, C-style:
 *     "pszString"          a top-level parameter
 *     "s.count"            member `count` of structure `s` (rs_ndr_enter(ndr, "s") ... leave)
 *     "arr[3]"             element 3 of `arr` (a block of primitives is one entry, "arr")
 *     "pl1->*"             the referent of pointer `pl1` (a callback is called with name "*")
 *     "list->next->value"  member `value` of the structure `list->next` points to ("->*." is "->")
 *   Paths longer than RS_NDR_REFERENT_PATH_MAX keep their root and their tail: "list...->next->*".
 */
#ifndef RPCSCOPE_NDR_H
#define RPCSCOPE_NDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "status.h"
#include "uuid.h"

/* ---- constants named after C706 / MS-RPCE ---------------------------------------------------- */

/* Referent ids as Windows numbers them: the first referent of a message is 0x00020000, each new
 * one 4 more. With this our stub data equals Windows' byte for byte. 0 is the NULL pointer. */
#define RS_NDR_REFERENT_ID_FIRST 0x00020000u
#define RS_NDR_REFERENT_ID_STEP 4u
#define RS_NDR_REFERENT_ID_NULL 0u

/* The packed drep (C706 12.6.3.1 / 14.1): four bytes in every PDU header.
 *
 *   byte 0: +---------------+---------------+   byte 1: floating-point representation
 *           | integer (hi 4)| character(lo4)|           0 = IEEE (1 VAX, 2 Cray, 3 IBM)
 *           +---------------+---------------+   bytes 2, 3: reserved, 0
 *            0 = big-endian    0 = ASCII
 *            1 = little-endian 1 = EBCDIC
 *
 * Little-endian ASCII IEEE is 10 00 00 00; big-endian ASCII IEEE is 00 00 00 00. */
#define RS_NDR_DREP_SIZE 4
#define RS_NDR_DREP_INT_BIG_ENDIAN 0x0
#define RS_NDR_DREP_INT_LITTLE_ENDIAN 0x1
#define RS_NDR_DREP_CHAR_ASCII 0x0
#define RS_NDR_DREP_CHAR_EBCDIC 0x1
#define RS_NDR_DREP_FLOAT_IEEE 0x0

/* A 16-bit NDR enum holds 0..0x7FFF (MIDL raises RPC_X_ENUM_VALUE_OUT_OF_RANGE beyond that). */
#define RS_NDR_ENUM16_MAX 0x7FFF

/* A context handle on the wire: u32 attributes + the 16-byte UUID, aligned to 4. */
#define RS_NDR_CONTEXT_HANDLE_SIZE 20

/* Hard bounds of the stream's own fixed arrays. */
#define RS_NDR_DEPTH_MAX 256          /* limits.max_depth is clamped to this */
#define RS_NDR_PATH_MAX 512           /* the longest name path kept; longer ones are cut */
#define RS_NDR_REFERENT_PATH_MAX 120  /* a deferred referent's path is shortened past this */
#define RS_NDR_ERROR_MAX 256
/* Referents one message may carry when encoding. A receiver with the default 4 MiB stub limit
 * takes no more 4-byte referent ids than this anyway; the bound turns a cycle of [unique]
 * pointers (which C706 forbids: only [ptr] pointers may reach a referent twice) into an
 * RS_ERR_LIMIT at once, instead of marshalling until gigabytes of memory run out. */
#define RS_NDR_REFERENTS_MAX ((size_t)1 << 20)

/* Default limits (see rs_ndr_limits). */
#define RS_NDR_DEFAULT_MAX_DEPTH 64
#define RS_NDR_DEFAULT_MAX_ALLOC ((size_t)64 << 20)   /* 64 MiB of decoded values per message */
#define RS_NDR_DEFAULT_MAX_PENDING ((size_t)1 << 20)  /* referents waiting to be marshalled */

/* Default bounds of a layout record. */
#define RS_NDR_LAYOUT_DEFAULT_ENTRIES 4096
#define RS_NDR_LAYOUT_DEFAULT_NAME_BYTES 65536

/* Pass as `size` to a get_* pointer call when the referent's size is known only from the wire
 * (a string, a conformant array or structure): the callback then receives the slot itself and
 * allocates the referent with rs_ndr_alloc() (or rs_ndr_get_string() etc. do it). */
#define RS_NDR_SIZE_FROM_WIRE 0

/* ---- primitive types ------------------------------------------------------------------------- */

/* The NDR primitive types, for element blocks and discriminants. In memory: boolean, byte,
 * usmall are uint8_t, char is char, small int8_t, short int16_t, ushort and wchar_t uint16_t,
 * long int32_t, ulong and error_status_t uint32_t, hyper int64_t, uhyper uint64_t, float and
 * double themselves, and both enums int. */
typedef enum rs_ndr_prim {
    RS_NDR_BOOLEAN,
    RS_NDR_BYTE,
    RS_NDR_CHAR,
    RS_NDR_SMALL,
    RS_NDR_USMALL,
    RS_NDR_SHORT,
    RS_NDR_USHORT,
    RS_NDR_LONG,
    RS_NDR_ULONG,
    RS_NDR_HYPER,
    RS_NDR_UHYPER,
    RS_NDR_FLOAT,
    RS_NDR_DOUBLE,
    RS_NDR_WCHAR,        /* a UTF-16 code unit: uint16_t, never the platform's wchar_t */
    RS_NDR_ERROR_STATUS, /* error_status_t: an unsigned long */
    RS_NDR_ENUM,         /* 16 bits on the wire, 0..0x7FFF */
    RS_NDR_V1_ENUM,      /* [v1_enum]: 32 bits on the wire */
    RS_NDR_PRIM_COUNT
} rs_ndr_prim;

/* The IDL spelling, as the layout shows it: "long", "unsigned short", "[v1_enum] enum", ... */
const char *rs_ndr_prim_name(rs_ndr_prim t);

/* Bytes one value takes on the wire (also its NDR alignment); 0 for a value outside the enum. */
size_t rs_ndr_prim_wire_size(rs_ndr_prim t);

/* Bytes one value takes in memory (sizeof of its C type). */
size_t rs_ndr_prim_mem_size(rs_ndr_prim t);

/* ---- drep ------------------------------------------------------------------------------------ */

/* Reads a drep: *e gets the integer byte order. Only ASCII characters and IEEE floats are
 * supported: anything else is RS_ERR_UNSUPPORTED_DREP, and *why (if why is not NULL) gets a
 * sentence saying which field and value. Reserved bytes 2 and 3 are ignored, as C706 asks. */
RS_MUST_CHECK rs_status rs_ndr_drep_parse(const uint8_t drep[RS_NDR_DREP_SIZE], rs_endian *e,
                                          const char **why);

/* The drep for byte order `e`, ASCII and IEEE: 10 00 00 00 (RS_LE) or 00 00 00 00 (RS_BE). */
void rs_ndr_drep_make(rs_endian e, uint8_t drep[RS_NDR_DREP_SIZE]);

/* ---- the layout record: what was written or read where --------------------------------------- */

/* What a range of stub data is. Three counts, because an inspector must tell them apart:
 *
 *   conformant-varying array:  +-----------+--------+--------------+----------------------+
 *                              | max_count | offset | actual_count | elements ...         |
 *                              +-----------+--------+--------------+----------------------+
 *                                 u32         u32      u32           actual_count of them
 */
typedef enum rs_ndr_role {
    RS_NDR_ROLE_DATA,         /* a value, or one block of array elements */
    RS_NDR_ROLE_PADDING,      /* zero bytes that align what follows; type says "align 4" */
    RS_NDR_ROLE_MAX_COUNT,    /* conformance: how many elements the array has room for */
    RS_NDR_ROLE_OFFSET,       /* variance: the first element transmitted */
    RS_NDR_ROLE_ACTUAL_COUNT, /* variance: how many elements are transmitted */
    RS_NDR_ROLE_REFERENT_ID,  /* a [unique], [ptr] or embedded [ref] pointer; 0 is NULL */
    RS_NDR_ROLE_DISCRIMINANT, /* a union's switch value */
    RS_NDR_ROLE_COUNT
} rs_ndr_role;

/* "data", "padding", "max_count", "offset", "actual_count", "referent id", "discriminant". */
const char *rs_ndr_role_name(rs_ndr_role r);

/* One entry of a layout, as rs_ndr_layout_at() hands it out. */
typedef struct rs_ndr_field {
    const char *name;  /* the name path; valid until the layout is written to or freed */
    const char *type;  /* "long", "[string] char", "unsigned long" for counts, ...; static */
    size_t offset;     /* from the start of the stub data */
    size_t length;     /* in bytes; never 0 */
    uint32_t count;    /* values in the range: 1, or the elements of an element block */
    rs_ndr_role role;
} rs_ndr_field;

struct rs_ndr_entry {
    size_t name; /* offset of the name in the layout's name pool */
    const char *type;
    size_t offset;
    size_t length;
    uint32_t count;
    rs_ndr_role role;
};

/* A bounded record of entries and the pool their names are copied into. Encoding records the
 * entries in offset order; so does decoding, since it reads front to back. */
typedef struct rs_ndr_layout {
    struct rs_ndr_entry *entries;
    size_t count;
    size_t cap;
    size_t max_entries;
    char *names;
    size_t names_len;
    size_t names_cap;
    size_t max_name_bytes;
} rs_ndr_layout;

/* An empty layout that will hold at most `max_entries` entries and `max_name_bytes` bytes of
 * names (with their NULs). Allocates nothing yet. A stream that would exceed either fails with
 * RS_ERR_LIMIT. */
void rs_ndr_layout_init(rs_ndr_layout *l, size_t max_entries, size_t max_name_bytes);
void rs_ndr_layout_free(rs_ndr_layout *l);

/* Forgets the entries, keeping the memory for the next message. */
void rs_ndr_layout_reset(rs_ndr_layout *l);

static inline size_t rs_ndr_layout_count(const rs_ndr_layout *l) { return l->count; }

/* Entry i (i < rs_ndr_layout_count()).
 *
 *     for (size_t i = 0; i < rs_ndr_layout_count(&lay); i++) {
 *         rs_ndr_field f = rs_ndr_layout_at(&lay, i);
 *         printf("%04zx %3zu %-12s %-16s %s\n", f.offset, f.length, rs_ndr_role_name(f.role),
 *                f.type, f.name);
 *     }
 */
rs_ndr_field rs_ndr_layout_at(const rs_ndr_layout *l, size_t i);

/* ---- decoded memory -------------------------------------------------------------------------- */

struct rs_ndr_block;

/* Everything one decode allocated, released at once by rs_ndr_mem_free(). Normally arena blocks;
 * in separate-blocks mode (rs_ndr_set_separate_blocks()) one malloc() per value instead. */
typedef struct rs_ndr_mem {
    struct rs_ndr_block *blocks;
    size_t bytes;    /* bytes handed out (what counts against limits.max_alloc) */
    bool separate;   /* each value is its own malloc() block, listed in `singles` */
    void **singles;
    size_t single_count, single_cap;
} rs_ndr_mem;

void rs_ndr_mem_free(rs_ndr_mem *m);

/* ---- the stream ------------------------------------------------------------------------------ */

typedef enum { RS_NDR_ENCODE, RS_NDR_DECODE } rs_ndr_dir;

/* Depth here is structures and unions nested by value: a chain of pointers adds none, because
 * referents wait in a work list on the heap. That list is bounded by max_pending instead; each
 * waiting pointer costs about 50 bytes and its path, and when decoding each one took at least its
 * 4-byte referent id from the input, so the input bounds it too. */
typedef struct rs_ndr_limits {
    unsigned max_depth;  /* rs_ndr_enter() levels open at once */
    size_t max_alloc;    /* bytes a decode may allocate, all values together */
    size_t max_pending;  /* pointers whose referents wait in the work list at once */
} rs_ndr_limits;

typedef struct rs_ndr rs_ndr;

/* Marshals one referent: `obj` is what the pointer points to, `name` is "*" (see name paths). */
typedef rs_status (*rs_ndr_put_fn)(rs_ndr *ndr, const char *name, const void *obj);

/* Unmarshals one referent into `obj`: the zeroed object the stream allocated, or, for
 * RS_NDR_SIZE_FROM_WIRE, the slot (the address of the T * to set). */
typedef rs_status (*rs_ndr_get_fn)(rs_ndr *ndr, const char *name, void *obj);

/* Told about one field as the stream writes or reads it (see rs_ndr_set_observer()). */
typedef void (*rs_ndr_observer)(const rs_ndr *ndr, const rs_ndr_field *field, const uint8_t *bytes,
                                void *ctx);

struct rs_ndr_item;
struct rs_ndr_run;
struct rs_ndr_fullptr;

/* Arrays an encode may leave where they are (rs_ndr_set_by_reference()): at least this many
 * bytes each, at most this many per stream. */
#define RS_NDR_REF_MIN 2048
#define RS_NDR_REFS_MAX 8

struct rs_ndr {
    rs_buf *buf;           /* the stub data: offset 0 is its first byte */
    rs_endian endian;      /* the byte order written, or the one the drep announced */
    rs_ndr_dir dir;
    rs_ndr_limits limits;
    rs_ndr_layout *layout; /* NULL: nothing is recorded */
    rs_ndr_observer observer; /* NULL: nobody is told */
    void *observer_ctx;
    bool recording;        /* layout or observer set: the one branch taken per field when not */
    bool in_place;         /* rs_ndr_set_in_place() */
    bool by_reference;     /* rs_ndr_set_by_reference() */
    size_t ref_count;      /* refs[0..ref_count): arrays left where they are, in stream order */
    void *user;            /* for the generated stubs' callbacks; the stream never touches it */

    uint32_t next_referent_id; /* the id the next new referent gets */

    /* The deferral work list: pointers whose referents are still to be marshalled, as a stack
     * of runs; each run holds, in order, the pointers one object deferred. */
    struct rs_ndr_item *items;
    size_t item_count, item_cap;
    struct rs_ndr_run *runs;
    size_t run_count, run_cap;
    char *item_paths; /* the item's name paths, a stack like the runs */
    size_t item_paths_len, item_paths_cap;
    bool flushing;

    /* Full pointers: address (encode) or referent id (decode) -> referent. */
    struct rs_ndr_fullptr *full;
    size_t full_count, full_cap;

    rs_ndr_mem mem; /* what the decode allocated */

    /* The name path of where the stream is, and the path length at each open rs_ndr_enter(). */
    char path[RS_NDR_PATH_MAX];
    size_t path_len;
    unsigned depth;
    uint16_t marks[RS_NDR_DEPTH_MAX];

    rs_status status;              /* the first failure, RS_OK until there is one */
    char error[RS_NDR_ERROR_MAX];  /* its context, "" until there is one */

    rs_buf_ref refs[RS_NDR_REFS_MAX]; /* after the error text: init() never clears them */
};

/* A stream that appends stub data to `out` in byte order `e`. `out` must be empty: NDR alignment
 * counts from its first byte. Allocates nothing. Default limits, no layout. */
void rs_ndr_init_encode(rs_ndr *ndr, rs_buf *out, rs_endian e);

/* A stream that reads stub data from `in` (usually a view) in byte order `e`, as the drep said.
 * `in` must be positioned at its first byte (pos 0). */
void rs_ndr_init_decode(rs_ndr *ndr, rs_buf *in, rs_endian e);

/* Releases the work list, the full-pointer table and, unless rs_ndr_take() moved it, all
 * memory the decode allocated. Leaves the buffer and the layout to their owners. */
void rs_ndr_free(rs_ndr *ndr);

/* The defaults: max_depth 64, max_alloc 64 MiB, max_pending 1 Mi referents. */
rs_ndr_limits rs_ndr_default_limits(void);

/* Replaces the limits; max_depth is clamped to RS_NDR_DEPTH_MAX. Call before the first put/get. */
void rs_ndr_set_limits(rs_ndr *ndr, const rs_ndr_limits *limits);

/* Records every field into `l` from now on (NULL stops recording). */
void rs_ndr_set_layout(rs_ndr *ndr, rs_ndr_layout *l);

/* From now on, calls fn(ndr, field, bytes, ctx) for every field the stream writes or reads --
 * the same entries a layout records, padding included, in the same order -- with or without a
 * layout (NULL stops it). `bytes` points at the field's field->length bytes in the stub data.
 * The field's name and `bytes` are valid only during the call (an encode buffer may grow after
 * it), and fn must not use the stream. A put or get that fails reports nothing for its field.
 * The runtime uses it to turn each field into a trace event, without ndr knowing about tracing:
 *
 *     static void on_field(const rs_ndr *ndr, const rs_ndr_field *f, const uint8_t *bytes,
 *                          void *ctx)
 *     {   // an NDR_PUT event when ndr->dir is RS_NDR_ENCODE, NDR_GET otherwise
 *         printf("%s %s at %zu: %zu bytes\n", rs_ndr_role_name(f->role), f->name, f->offset,
 *                f->length);
 *     }
 *     rs_ndr_set_observer(&ndr, on_field, NULL);                                             */
void rs_ndr_set_observer(rs_ndr *ndr, rs_ndr_observer fn, void *ctx);

/* The first failure, or RS_OK. */
static inline rs_status rs_ndr_status(const rs_ndr *ndr) { return ndr->status; }

/* Its context ("ndr: max_count 1000000 for pszString exceeds the 12 bytes left at offset 0x1c"),
 * or "" if nothing failed. */
static inline const char *rs_ndr_error(const rs_ndr *ndr) { return ndr->error; }

/* Records `st` with a printf-style context if the stream has no failure yet, returns `st`.
 * For the stubs' own checks: a [size_is] that disagrees, a discriminant that selects no arm. */
RS_MUST_CHECK rs_status rs_ndr_fail(rs_ndr *ndr, rs_status st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Where the next byte goes (encode) or comes from (decode), from the start of the stub data. */
size_t rs_ndr_offset(const rs_ndr *ndr);

/* Bytes still to be read (decode); 0 when encoding. */
size_t rs_ndr_remaining(const rs_ndr *ndr);

/* Moves everything a successful decode allocated into *mem (see the ownership rule above).
 * RS_ERR_INVALID_ARG if referents are still waiting for rs_ndr_flush(); the stream's failure if
 * it failed. On any error *mem is left empty. */
RS_MUST_CHECK rs_status rs_ndr_take(rs_ndr *ndr, rs_ndr_mem *mem);

/* Makes every value this decode allocates its own malloc() block, so that rs_ndr_release() can
 * hand them to the caller one by one. For client stubs: the [out] data a call returns belongs to
 * the caller, who frees each pointer with free() (MIDL's midl_user_free). Call before the first get;
 * until rs_ndr_release() the stream still owns everything and rs_ndr_free() frees it all. */
void rs_ndr_set_separate_blocks(rs_ndr *ndr);

/* Lets a decode leave a conformant array where it lies in the stub data instead of copying it
 * out, when its wire form is its memory form: bytes and chars, and wider numbers in this
 * machine's byte order whose place in memory is aligned for them. The array is then valid, and
 * writable, as long as the stub data is. For a server's [in] parameters, which live until the
 * reply is sent; never for data handed over to a caller (separate blocks). */
void rs_ndr_set_in_place(rs_ndr *ndr);

/* Lets an encode leave a large array where it is instead of copying it into the stub data, when
 * its wire form is its memory form (bytes, chars, booleans; wider numbers written in this
 * machine's byte order): the buffer reserves the room, leaves it unwritten, and the stream notes
 * where the bytes are in refs[]. The sender gathers them from there (rs_conn_send_fragments()):
 * a 64 KiB [in] array is not copied before the kernel copies it. At least RS_NDR_REF_MIN bytes
 * per array, at most RS_NDR_REFS_MAX arrays (the others are copied); never while a layout or an
 * observer records (they show the bytes). The promise the caller makes: every array it puts
 * stays alive and unchanged until the stub data has been sent, or until rs_ndr_fill_refs().
 * Generated stubs make it -- the client's [in] arguments are the caller's for the whole call,
 * the server's [out] storage lives until the reply is sent -- and fill the refs before they free
 * what a procedure allocated. Until then the buffer alone is not the stub data: whoever reads it
 * (a trace, a fragment at a time) calls rs_ndr_fill_refs() first. */
void rs_ndr_set_by_reference(rs_ndr *ndr);

/* Copies the arrays left where they were into the room the buffer kept for them, and forgets
 * them: the buffer then holds the whole stub data. Nothing to do when there are none. */
void rs_ndr_fill_refs(rs_ndr *ndr);

/* After a successful decode in separate-blocks mode: the caller now owns every value the decode
 * allocated (free() each one), and the stream forgets them. RS_ERR_INVALID_ARG if the stream is
 * not in that mode or referents still wait for rs_ndr_flush(); the stream's failure if it failed
 * (and then the stream keeps everything, to free it in rs_ndr_free()). */
RS_MUST_CHECK rs_status rs_ndr_release(rs_ndr *ndr);

/* `size` zeroed bytes, aligned for any C type, owned by the stream like everything it decodes
 * (*out is NULL for size 0). RS_ERR_LIMIT past limits.max_alloc; `name` is for that message.
 * For a referent whose size only the wire tells, such as a conformant structure. */
RS_MUST_CHECK rs_status rs_ndr_alloc(rs_ndr *ndr, const char *name, size_t size, void **out);

/* ---- structure, alignment and the name path -------------------------------------------------- */

/* Opens a named scope -- a structure, a union, an array of structures -- so that names inside
 * it are recorded as "name.member". Counts against limits.max_depth. Writes nothing: a stub
 * follows it with rs_ndr_align() for the structure's alignment (the largest of its members'),
 * except that a conformant structure first writes its hoisted max_count:
 *
 *     rs_ndr_enter(ndr, "sid");                                  // struct RPC_SID
 *     rs_ndr_put_conformance(ndr, "SubAuthority", n);            // max_count, hoisted
 *     rs_ndr_align(ndr, 4);                                      // the structure's alignment
 *     rs_ndr_put_usmall(ndr, "Revision", sid->Revision); ...
 *     rs_ndr_put_array(ndr, "SubAuthority", RS_NDR_ULONG, sid->SubAuthority, n);
 *     rs_ndr_leave(ndr);
 */
RS_MUST_CHECK rs_status rs_ndr_enter(rs_ndr *ndr, const char *name);
RS_MUST_CHECK rs_status rs_ndr_leave(rs_ndr *ndr);

/* Aligns to `n` (1, 2, 4 or 8) from the start of the stub data: writes zero pad bytes, or skips
 * pad bytes without looking at them. Recorded as one padding entry when there is any. */
RS_MUST_CHECK rs_status rs_ndr_align(rs_ndr *ndr, unsigned n);

/* ---- primitives: each aligned to its own size, in the stream's byte order -------------------- */

RS_MUST_CHECK rs_status rs_ndr_put_boolean(rs_ndr *ndr, const char *name, uint8_t v);
RS_MUST_CHECK rs_status rs_ndr_put_byte(rs_ndr *ndr, const char *name, uint8_t v);
RS_MUST_CHECK rs_status rs_ndr_put_char(rs_ndr *ndr, const char *name, char v);
RS_MUST_CHECK rs_status rs_ndr_put_small(rs_ndr *ndr, const char *name, int8_t v);
RS_MUST_CHECK rs_status rs_ndr_put_usmall(rs_ndr *ndr, const char *name, uint8_t v);
RS_MUST_CHECK rs_status rs_ndr_put_short(rs_ndr *ndr, const char *name, int16_t v);
RS_MUST_CHECK rs_status rs_ndr_put_ushort(rs_ndr *ndr, const char *name, uint16_t v);
RS_MUST_CHECK rs_status rs_ndr_put_long(rs_ndr *ndr, const char *name, int32_t v);
RS_MUST_CHECK rs_status rs_ndr_put_ulong(rs_ndr *ndr, const char *name, uint32_t v);
RS_MUST_CHECK rs_status rs_ndr_put_hyper(rs_ndr *ndr, const char *name, int64_t v);
RS_MUST_CHECK rs_status rs_ndr_put_uhyper(rs_ndr *ndr, const char *name, uint64_t v);
RS_MUST_CHECK rs_status rs_ndr_put_float(rs_ndr *ndr, const char *name, float v);
RS_MUST_CHECK rs_status rs_ndr_put_double(rs_ndr *ndr, const char *name, double v);
RS_MUST_CHECK rs_status rs_ndr_put_wchar(rs_ndr *ndr, const char *name, uint16_t v);
RS_MUST_CHECK rs_status rs_ndr_put_error_status(rs_ndr *ndr, const char *name, uint32_t v);
/* 16 bits; RS_ERR_ENUM_RANGE for a value outside 0..0x7FFF, before anything is written. */
RS_MUST_CHECK rs_status rs_ndr_put_enum(rs_ndr *ndr, const char *name, int v);
/* [v1_enum]: 32 bits, any int. */
RS_MUST_CHECK rs_status rs_ndr_put_v1_enum(rs_ndr *ndr, const char *name, int v);

/* Booleans keep the byte as sent: C706 calls any non-zero octet TRUE. */
RS_MUST_CHECK rs_status rs_ndr_get_boolean(rs_ndr *ndr, const char *name, uint8_t *v);
RS_MUST_CHECK rs_status rs_ndr_get_byte(rs_ndr *ndr, const char *name, uint8_t *v);
RS_MUST_CHECK rs_status rs_ndr_get_char(rs_ndr *ndr, const char *name, char *v);
RS_MUST_CHECK rs_status rs_ndr_get_small(rs_ndr *ndr, const char *name, int8_t *v);
RS_MUST_CHECK rs_status rs_ndr_get_usmall(rs_ndr *ndr, const char *name, uint8_t *v);
RS_MUST_CHECK rs_status rs_ndr_get_short(rs_ndr *ndr, const char *name, int16_t *v);
RS_MUST_CHECK rs_status rs_ndr_get_ushort(rs_ndr *ndr, const char *name, uint16_t *v);
RS_MUST_CHECK rs_status rs_ndr_get_long(rs_ndr *ndr, const char *name, int32_t *v);
RS_MUST_CHECK rs_status rs_ndr_get_ulong(rs_ndr *ndr, const char *name, uint32_t *v);
RS_MUST_CHECK rs_status rs_ndr_get_hyper(rs_ndr *ndr, const char *name, int64_t *v);
RS_MUST_CHECK rs_status rs_ndr_get_uhyper(rs_ndr *ndr, const char *name, uint64_t *v);
RS_MUST_CHECK rs_status rs_ndr_get_float(rs_ndr *ndr, const char *name, float *v);
RS_MUST_CHECK rs_status rs_ndr_get_double(rs_ndr *ndr, const char *name, double *v);
RS_MUST_CHECK rs_status rs_ndr_get_wchar(rs_ndr *ndr, const char *name, uint16_t *v);
RS_MUST_CHECK rs_status rs_ndr_get_error_status(rs_ndr *ndr, const char *name, uint32_t *v);
/* RS_ERR_ENUM_RANGE for a wire value above 0x7FFF; *v is untouched then. */
RS_MUST_CHECK rs_status rs_ndr_get_enum(rs_ndr *ndr, const char *name, int *v);
RS_MUST_CHECK rs_status rs_ndr_get_v1_enum(rs_ndr *ndr, const char *name, int *v);

/* ---- arrays ---------------------------------------------------------------------------------- */

/* The elements alone, `n` values of type `t` from `elems` (C layout, see rs_ndr_prim), aligned
 * to the element: a fixed array, or the element block after counts written separately (as in a
 * conformant structure). One layout entry for the whole block. One memcpy when the byte order
 * matches the host's, a swap loop otherwise; enums are range-checked before anything is written. */
RS_MUST_CHECK rs_status rs_ndr_put_array(rs_ndr *ndr, const char *name, rs_ndr_prim t,
                                         const void *elems, uint32_t n);
RS_MUST_CHECK rs_status rs_ndr_get_array(rs_ndr *ndr, const char *name, rs_ndr_prim t,
                                         void *elems, uint32_t n);

/* A conformance: one u32 max_count, aligned to 4.
 * Decoding, `elem_wire_size` is the fewest bytes one element takes on the wire: max_count must
 * fit in the bytes left (max_count * elem_wire_size <= remaining, overflow-checked) or it is
 * RS_ERR_NDR. Pass 0 for a conformant-varying array, whose elements are counted by the
 * actual_count that rs_ndr_get_variance() checks instead. */
RS_MUST_CHECK rs_status rs_ndr_put_conformance(rs_ndr *ndr, const char *name, uint32_t max_count);
RS_MUST_CHECK rs_status rs_ndr_get_conformance(rs_ndr *ndr, const char *name, size_t elem_wire_size,
                                               uint32_t *max_count);

/* A variance: u32 offset, u32 actual_count, aligned to 4.
 * Decoding checks offset + actual_count <= max_count (overflow-safe) and that actual_count
 * elements of `elem_wire_size` bytes fit in the bytes left; RS_ERR_NDR otherwise. */
RS_MUST_CHECK rs_status rs_ndr_put_variance(rs_ndr *ndr, const char *name, uint32_t offset,
                                            uint32_t actual_count);
RS_MUST_CHECK rs_status rs_ndr_get_variance(rs_ndr *ndr, const char *name, size_t elem_wire_size,
                                            uint32_t max_count, uint32_t *offset,
                                            uint32_t *actual_count);

/* Conformant array [size_is(n)]:  max_count=n | elements[n]
 * Decoding allocates the n elements (*elems_slot = NULL when n is 0) and sets *n. */
RS_MUST_CHECK rs_status rs_ndr_put_conformant_array(rs_ndr *ndr, const char *name, rs_ndr_prim t,
                                                    const void *elems, uint32_t n);
RS_MUST_CHECK rs_status rs_ndr_get_conformant_array(rs_ndr *ndr, const char *name, rs_ndr_prim t,
                                                    void *elems_slot, uint32_t *n);

/* Varying array [length_is, first_is] of a fixed array of `capacity` elements:
 *   offset | actual_count | elems[offset .. offset+actual_count)
 * Decoding writes those elements into elems[] (capacity elements, caller-owned) and leaves the
 * rest alone; offset + actual_count must not exceed capacity. */
RS_MUST_CHECK rs_status rs_ndr_put_varying_array(rs_ndr *ndr, const char *name, rs_ndr_prim t,
                                                 const void *elems, uint32_t capacity,
                                                 uint32_t offset, uint32_t actual_count);
RS_MUST_CHECK rs_status rs_ndr_get_varying_array(rs_ndr *ndr, const char *name, rs_ndr_prim t,
                                                 void *elems, uint32_t capacity, uint32_t *offset,
                                                 uint32_t *actual_count);

/* Conformant-varying array [size_is, length_is, first_is]:
 *   max_count | offset | actual_count | elems[offset .. offset+actual_count)
 * `elems` has max_count elements. Decoding allocates max_count zeroed elements (counted against
 * limits.max_alloc, so a huge max_count with few elements is RS_ERR_LIMIT, not an allocation),
 * fills the transmitted ones, and sets *elems_slot (NULL when max_count is 0). */
RS_MUST_CHECK rs_status rs_ndr_put_cv_array(rs_ndr *ndr, const char *name, rs_ndr_prim t,
                                            const void *elems, uint32_t max_count, uint32_t offset,
                                            uint32_t actual_count);
RS_MUST_CHECK rs_status rs_ndr_get_cv_array(rs_ndr *ndr, const char *name, rs_ndr_prim t,
                                            void *elems_slot, uint32_t *max_count,
                                            uint32_t *offset, uint32_t *actual_count);

/* An array of constructed elements (structures, unions): fn is called for each element with the
 * name "[i]", so members are recorded as "name[i].member". Counts (if any) are written first by
 * the stub with rs_ndr_put_conformance()/rs_ndr_put_variance(). Embedded pointers in the
 * elements are deferred in element order, as NDR wants. */
RS_MUST_CHECK rs_status rs_ndr_put_elements(rs_ndr *ndr, const char *name, const void *elems,
                                            size_t elem_size, uint32_t n, rs_ndr_put_fn fn);
RS_MUST_CHECK rs_status rs_ndr_get_elements(rs_ndr *ndr, const char *name, void *elems,
                                            size_t elem_size, uint32_t n, rs_ndr_get_fn fn);

/* ---- strings --------------------------------------------------------------------------------- */

/* [string] char * and [string] wchar_t *: a conformant-varying array with the terminator
 * counted (max_count = actual_count = length + 1, offset 0).
 *
 *   "hello, world":  0d 00 00 00 | 00 00 00 00 | 0d 00 00 00 | 68 65 6c ... 64 00
 *                    max_count     offset        actual_count   13 chars, the NUL included
 *
 * Decoding checks, each an RS_ERR_NDR: offset is 0; 1 <= actual_count <= max_count; the
 * actual_count elements fit in the bytes left; the last one is the terminator and no earlier one
 * is (a C string could not hold it: we are stricter than Windows here). It allocates
 * actual_count elements and sets *out. */
RS_MUST_CHECK rs_status rs_ndr_put_string(rs_ndr *ndr, const char *name, const char *s);
RS_MUST_CHECK rs_status rs_ndr_get_string(rs_ndr *ndr, const char *name, char **out);
RS_MUST_CHECK rs_status rs_ndr_put_wstring(rs_ndr *ndr, const char *name, const uint16_t *s);
RS_MUST_CHECK rs_status rs_ndr_get_wstring(rs_ndr *ndr, const char *name, uint16_t **out);

/* The same as pointer callbacks, for [unique, string] and friends:
 *     rs_ndr_put_unique(ndr, "name", s->name, rs_ndr_put_string_fn);
 *     rs_ndr_get_unique(ndr, "name", &s->name, RS_NDR_SIZE_FROM_WIRE, rs_ndr_get_string_fn); */
RS_MUST_CHECK rs_status rs_ndr_put_string_fn(rs_ndr *ndr, const char *name, const void *obj);
RS_MUST_CHECK rs_status rs_ndr_get_string_fn(rs_ndr *ndr, const char *name, void *slot);
RS_MUST_CHECK rs_status rs_ndr_put_wstring_fn(rs_ndr *ndr, const char *name, const void *obj);
RS_MUST_CHECK rs_status rs_ndr_get_wstring_fn(rs_ndr *ndr, const char *name, void *slot);

/* ---- pointers -------------------------------------------------------------------------------- */
/*
 * A pointer call writes the pointer's wire form now and queues its referent; rs_ndr_flush()
 * marshals what is queued. The stub calls rs_ndr_flush() after each top-level parameter, which
 * gives NDR's order: an embedded pointer's referent comes after the whole top-level parameter
 * that contains it; the referents of one object come in member order, each complete with its own
 * referents before the next; a structure embedded by value defers its pointers to after the
 * outermost structure's scalars. A top-level pointer's referent follows its id at once.
 *
 *   struct node { long value; [unique] struct node *next; }, [in, unique] node *list = 1 -> 2:
 *   00 00 02 00 | 01 00 00 00  04 00 02 00 | 02 00 00 00  00 00 00 00
 *   list          list->value  list->next    list->next->  list->next->next (NULL)
 *                                              value
 *
 * Encoding, `p` is the pointer and fn marshals *p. Decoding, `slot` is the address of the T *
 * to set (&s->next) and `size` is sizeof(T): the stream allocates the referent (zeroed) when it
 * reads the id, stores its address in the slot and fn fills it at the flush. With
 * RS_NDR_SIZE_FROM_WIRE, fn receives the slot instead and allocates the referent itself.
 * Slots are written with memcpy of a void *, so any object pointer type works.
 */

/* Top-level [ref]: no wire form; NULL is RS_ERR_NULL_REF. Decoding allocates the referent. */
RS_MUST_CHECK rs_status rs_ndr_put_ref(rs_ndr *ndr, const char *name, const void *p,
                                       rs_ndr_put_fn fn);
RS_MUST_CHECK rs_status rs_ndr_get_ref(rs_ndr *ndr, const char *name, void *slot, size_t size,
                                       rs_ndr_get_fn fn);

/* An embedded [ref] (in a structure or array): a non-NULL referent id in place, the referent
 * deferred. NULL is RS_ERR_NULL_REF when encoding; the id's value is not checked when decoding
 * (Samba sends 0xAEF1AEF1, MIDL a counted id). */
RS_MUST_CHECK rs_status rs_ndr_put_embedded_ref(rs_ndr *ndr, const char *name, const void *p,
                                                rs_ndr_put_fn fn);
RS_MUST_CHECK rs_status rs_ndr_get_embedded_ref(rs_ndr *ndr, const char *name, void *slot,
                                                size_t size, rs_ndr_get_fn fn);

/* [unique]: a 4-byte referent id (0 for NULL), the referent queued. */
RS_MUST_CHECK rs_status rs_ndr_put_unique(rs_ndr *ndr, const char *name, const void *p,
                                          rs_ndr_put_fn fn);
RS_MUST_CHECK rs_status rs_ndr_get_unique(rs_ndr *ndr, const char *name, void *slot, size_t size,
                                          rs_ndr_get_fn fn);

/* [ptr] (full): like [unique], but a pointer to an address already sent (with the same fn)
 * reuses its id and the referent is not sent again; decoding, an id seen before yields the same
 * object -- and must come with the same fn and size, or it is RS_ERR_NDR. Cycles are fine.
 * `size` must not be RS_NDR_SIZE_FROM_WIRE. */
RS_MUST_CHECK rs_status rs_ndr_put_full(rs_ndr *ndr, const char *name, const void *p,
                                        rs_ndr_put_fn fn);
RS_MUST_CHECK rs_status rs_ndr_get_full(rs_ndr *ndr, const char *name, void *slot, size_t size,
                                        rs_ndr_get_fn fn);

/* Marshals every queued referent, depth first, with an explicit work list on the heap: constant
 * C stack for any chain of pointers. Called outside any rs_ndr_enter(); a call made while a
 * flush is already running (from inside a callback) does nothing. */
RS_MUST_CHECK rs_status rs_ndr_flush(rs_ndr *ndr);

/* ---- unions ---------------------------------------------------------------------------------- */
/*
 * A union's discriminant, aligned to its own type and recorded as a discriminant; then the stub
 * marshals the arm the value selects, aligned to the arm's own type (C706 and MIDL's default,
 * not [ms_union]). A non-encapsulated union ([switch_is]) is exactly that; an encapsulated one is
 * a structure { discriminant; union }, so its stub first aligns to the largest of the
 * discriminant's and the arms' alignments:
 *
 *   union switch (short type) u { case 1: hyper h; }  at offset 0, type = 1:
 *   01 00 | 00 00 00 00 00 00 | 88 77 66 55 44 33 22 11
 *   type    pad to 8            u.h
 *
 * `t` is an integer type (boolean, byte, char, small, short, long, their unsigned forms, enum,
 * v1_enum); `v` must fit in it (RS_ERR_INVALID_ARG, or RS_ERR_ENUM_RANGE for an enum). Decoding
 * sign-extends signed types. An unknown value is the stub's to reject, with rs_ndr_fail().
 */
RS_MUST_CHECK rs_status rs_ndr_put_discriminant(rs_ndr *ndr, const char *name, rs_ndr_prim t,
                                                int64_t v);
RS_MUST_CHECK rs_status rs_ndr_get_discriminant(rs_ndr *ndr, const char *name, rs_ndr_prim t,
                                                int64_t *v);

/* ---- context handles ------------------------------------------------------------------------- */

/* A context handle as it travels (MS-RPCE 2.2.5.1): 20 bytes, aligned to 4.
 *   +------------+--------------------------------------+
 *   | attributes | uuid (u32, u16, u16, 8 bytes)        |
 *   +------------+--------------------------------------+
 * A NULL handle is attributes 0 and the nil UUID. */
typedef struct rs_ndr_context_handle {
    uint32_t attributes;
    rs_uuid uuid;
} rs_ndr_context_handle;

RS_MUST_CHECK rs_status rs_ndr_put_context_handle(rs_ndr *ndr, const char *name,
                                                  const rs_ndr_context_handle *h);
RS_MUST_CHECK rs_status rs_ndr_get_context_handle(rs_ndr *ndr, const char *name,
                                                  rs_ndr_context_handle *h);

#endif
