/* format.h -- the window's words: a C value by its type, an NDR field's value, a PDU header field
 * by field, and a trace event as a sentence.
 *
 * Pure text functions, no drawing and no allocation, so that what the window says can be tested
 * on its own:
 *
 *     char v[64];
 *     ui_format_c_value(v, sizeof v, "unsigned char *", bytes, 13, 13);   // "\"hello, world\""
 *     ui_pdu_field f[UI_PDU_FIELDS_MAX];
 *     size_t n = ui_format_pdu_fields(pdu_bytes, pdu_len, f, UI_PDU_FIELDS_MAX);
 *     printf("%s = %s\n", f[2].name, f[2].value);                          // "PTYPE = 0 request"
 *
 * Every function writes a NUL-terminated string into out[size] (cut to fit, at a UTF-8 character
 * boundary) and returns it, so calls can be used inside printf arguments.
 *
 * Memory values (C values, from PARAM_READ and PARAM_WRITTEN) are read little-endian, the byte
 * order of the machines this runs on; NDR values in the byte order the buffer's drep states.
 */
#ifndef RPCSCOPE_UI_FORMAT_H
#define RPCSCOPE_UI_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "trace.h"

#define UI_PDU_FIELDS_MAX 64
#define UI_PDU_VALUE_MAX 96

/* A value in memory of C type `c_type`: for a pointer type ("unsigned char *", "int32_t *") the
 * bytes are what it points to, shown by the pointee's type. Strings are quoted (and end in "..."
 * when cut), integers decimal, floats %g, arrays of numbers "{1, 2, 3, ...}", anything else as hex
 * bytes. `len` bytes are known out of the value's `full` size. */
const char *ui_format_c_value(char *out, size_t size, const char *c_type, const uint8_t *bytes,
                              size_t len, size_t full);

/* True for a C pointer type ("char *", "mixed *"). */
bool ui_format_is_pointer(const char *c_type);

/* An address as the window shows it: "0x55d0c3a1f2a0" (no leading zeros), "NULL" for 0. */
const char *ui_format_address(char *out, size_t size, uint64_t address);

/* An NDR field's value from its type and role ("13", "NULL", "0x00020000", "\"hello\"",
 * "{1, 2, 3}", "pad"), reading `len` bytes in the given byte order. */
const char *ui_format_ndr_value(char *out, size_t size, const char *ndr_type, int role,
                                const uint8_t *bytes, size_t len, bool big_endian);

/* One field of a PDU's header or body. */
typedef struct ui_pdu_field {
    const char *name;        /* "frag_length", "p_cont_id", ...; static */
    uint32_t offset, length; /* in the PDU */
    char value[UI_PDU_VALUE_MAX]; /* "0x03 PFC_FIRST_FRAG|PFC_LAST_FRAG", "10 00 00 00 little-endian, ASCII, IEEE" */
    bool stub;               /* the stub data (the NDR buffer), not a header field */
} ui_pdu_field;

/* Splits one PDU into its fields, C706 12.6 and [MS-RPCE] 2.2.2 (see pdu.h for the layouts), at
 * most `max`; returns how many. A PDU that does not decode gives the common header fields that
 * are there and one field "(undecodable)" naming the problem. */
size_t ui_format_pdu_fields(const uint8_t *pdu, size_t len, ui_pdu_field *out, size_t max);

/* A PDU in a few words: "request · call 2 · FIRST LAST" (flags FIRST/LAST only, "" if neither is
 * set: a middle fragment says "middle"); for a fault the DCE name: "fault · nca_s_op_rng_error". */
const char *ui_format_pdu_title(char *out, size_t size, uint8_t ptype, uint8_t flags,
                                uint32_t call_id, uint32_t status);

/* The event as the narration says it when the lesson has no text: "The client stub marshals one
 * field into the NDR buffer: pszString, its max_count." */
const char *ui_format_event(char *out, size_t size, const rs_trace_event *ev);

/* The event in a lane's few words: "marshals pszString · max_count", "sends request". */
const char *ui_format_event_short(char *out, size_t size, const rs_trace_event *ev);

/* Cuts a string to at most `max` bytes at a UTF-8 boundary, ending in "…" when cut. */
const char *ui_format_cut(char *out, size_t size, const char *text, size_t max);

#endif
