/* uuid.h -- UUIDs and syntax identifiers: parse, format, compare, and their NDR wire form.
 *
 * A UUID on the wire is a structure (C706 Appendix A): time_low (u32), time_mid (u16),
 * time_hi_and_version (u16) in the sender's byte order, then clock_seq and node as 8 plain bytes.
 * An interface or transfer syntax is a UUID plus a version sent as one u32: major in the low
 * 16 bits, minor in the high 16.
 *
 *     rs_uuid u;
 *     if (rs_uuid_parse("8a885d04-1ceb-11c9-9fe8-08002b104860", &u) != RS_OK) ...
 *     char text[RS_UUID_STRLEN];
 *     rs_uuid_format(&u, text);
 *     rs_status st = rs_uuid_put(&buf, RS_LE, &u);   // 16 bytes: 04 5d 88 8a eb 1c c9 11 9f e8 ...
 */
#ifndef RPCSCOPE_UUID_H
#define RPCSCOPE_UUID_H

#include <stdbool.h>
#include <stdint.h>

#include "buf.h"
#include "status.h"

/* 36 characters and the terminating NUL. */
#define RS_UUID_STRLEN 37
#define RS_UUID_WIRE_SIZE 16
#define RS_SYNTAX_WIRE_SIZE 20

typedef struct rs_uuid {
    uint32_t time_low;
    uint16_t time_mid;
    uint16_t time_hi_and_version;
    uint8_t clock_seq[2]; /* clock_seq_hi_and_reserved, clock_seq_low */
    uint8_t node[6];
} rs_uuid;

typedef struct rs_syntax_id {
    rs_uuid uuid;
    uint16_t major;
    uint16_t minor;
} rs_syntax_id;

/* The NDR 2.0 transfer syntax, 8a885d04-1ceb-11c9-9fe8-08002b104860 version 2.0. */
extern const rs_syntax_id rs_ndr_syntax;

/* Parses exactly 36 characters "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" (either case), nothing more.
 * RS_ERR_BAD_UUID for anything else; *out is untouched then. */
RS_MUST_CHECK rs_status rs_uuid_parse(const char *text, rs_uuid *out);

/* Writes the lower-case form and a NUL into out[RS_UUID_STRLEN]. */
void rs_uuid_format(const rs_uuid *u, char out[RS_UUID_STRLEN]);

/* <0, 0 or >0, ordering field by field as C706's uuid_compare does. */
int rs_uuid_compare(const rs_uuid *a, const rs_uuid *b);

bool rs_uuid_is_nil(const rs_uuid *u);

/* Fills `u` with a random (version 4) UUID from the system's random source. */
RS_MUST_CHECK rs_status rs_uuid_generate(rs_uuid *u);

/* 16 bytes in the wire form, the three integer fields in byte order `e`. */
RS_MUST_CHECK rs_status rs_uuid_put(rs_buf *b, rs_endian e, const rs_uuid *u);
RS_MUST_CHECK rs_status rs_uuid_get(rs_buf *b, rs_endian e, rs_uuid *u);

/* 20 bytes: the UUID, then the version as one u32 (major | minor << 16). */
RS_MUST_CHECK rs_status rs_syntax_put(rs_buf *b, rs_endian e, const rs_syntax_id *s);
RS_MUST_CHECK rs_status rs_syntax_get(rs_buf *b, rs_endian e, rs_syntax_id *s);

bool rs_syntax_equal(const rs_syntax_id *a, const rs_syntax_id *b);

#endif
