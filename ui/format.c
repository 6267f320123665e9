/* format.c -- values, fields and events as text. See format.h. */
#include "format.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "ndr.h"
#include "pdu.h"
#include "status.h"
#include "uuid.h"

#define ELLIPSIS "\xE2\x80\xA6" /* U+2026 */
#define ELLIPSIS_LEN 3
#define ARRAY_SHOWN 6           /* elements of an array shown before "..." */
#define HEX_SHOWN 8             /* bytes of an unknown value shown before "..." */

/* ---- a bounded writer ---------------------------------------------------------------------- */

typedef struct writer {
    char *out;
    size_t size, len;
    bool cut;
} writer;

static writer writer_make(char *out, size_t size)
{
    if (size > 0)
        out[0] = '\0';
    return (writer){out, size, 0, false};
}

/* Appends, or marks the writer cut when it would not fit (keeping room for the ellipsis). */
static void put(writer *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(writer *w, const char *fmt, ...)
{
    if (w->cut || w->size == 0)
        return;
    char tmp[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n >= sizeof tmp)
        n = (int)sizeof tmp - 1;
    if (w->len + (size_t)n + ELLIPSIS_LEN + 1 > w->size) {
        w->cut = true;
        return;
    }
    memcpy(w->out + w->len, tmp, (size_t)n + 1);
    w->len += (size_t)n;
}

static const char *finish(writer *w, bool more)
{
    if (w->size == 0)
        return w->out;
    if ((w->cut || more) && w->len + ELLIPSIS_LEN + 1 <= w->size) {
        memcpy(w->out + w->len, ELLIPSIS, ELLIPSIS_LEN + 1);
        w->len += ELLIPSIS_LEN;
    }
    return w->out;
}

const char *ui_format_cut(char *out, size_t size, const char *text, size_t max)
{
    if (size == 0)
        return out;
    size_t n = strlen(text);
    if (max >= size)
        max = size - 1;
    if (n <= max) {
        memcpy(out, text, n + 1);
        return out;
    }
    if (max < ELLIPSIS_LEN) {
        out[0] = '\0';
        return out;
    }
    size_t keep = max - ELLIPSIS_LEN;
    while (keep > 0 && ((unsigned char)text[keep] & 0xC0) == 0x80)
        keep--; /* not inside a UTF-8 sequence */
    memcpy(out, text, keep);
    memcpy(out + keep, ELLIPSIS, ELLIPSIS_LEN + 1);
    return out;
}

/* ---- C values ------------------------------------------------------------------------------ */

typedef enum { K_UNKNOWN, K_CHAR, K_WCHAR, K_INT, K_UINT, K_FLOAT, K_BOOL, K_BYTE } value_kind;

typedef struct type_info {
    const char *name;
    value_kind kind;
    unsigned size;
} type_info;

/* The C spellings rpcidl generates and the IDL spellings the NDR layout uses. */
static const type_info types[] = {
    {"char", K_CHAR, 1},          {"unsigned char", K_CHAR, 1}, {"signed char", K_CHAR, 1},
    {"[string] char", K_CHAR, 1}, {"wchar_t", K_WCHAR, 2},      {"[string] wchar_t", K_WCHAR, 2},
    {"byte", K_BYTE, 1},          {"uint8_t", K_BYTE, 1},       {"boolean", K_BOOL, 1},
    {"bool", K_BOOL, 1},          {"small", K_INT, 1},          {"int8_t", K_INT, 1},
    {"unsigned small", K_UINT, 1}, {"short", K_INT, 2},         {"int16_t", K_INT, 2},
    {"unsigned short", K_UINT, 2}, {"uint16_t", K_UINT, 2},     {"long", K_INT, 4},
    {"int", K_INT, 4},            {"int32_t", K_INT, 4},        {"unsigned long", K_UINT, 4},
    {"unsigned int", K_UINT, 4},  {"unsigned", K_UINT, 4},      {"uint32_t", K_UINT, 4},
    {"error_status_t", K_UINT, 4}, {"[v1_enum] enum", K_INT, 4}, {"enum", K_UINT, 2},
    {"hyper", K_INT, 8},          {"int64_t", K_INT, 8},        {"long long", K_INT, 8},
    {"unsigned hyper", K_UINT, 8}, {"uint64_t", K_UINT, 8},     {"float", K_FLOAT, 4},
    {"double", K_FLOAT, 8},
};

/* `text` without leading "const ", trailing spaces and (when strip_ptr) one trailing '*'. */
static void base_type(const char *text, bool strip_ptr, char *out, size_t size)
{
    while (*text == ' ')
        text++;
    if (strncmp(text, "const ", 6) == 0)
        text += 6;
    snprintf(out, size, "%s", text);
    size_t n = strlen(out);
    while (n > 0 && out[n - 1] == ' ')
        out[--n] = '\0';
    if (strip_ptr && n > 0 && out[n - 1] == '*') {
        out[--n] = '\0';
        while (n > 0 && out[n - 1] == ' ')
            out[--n] = '\0';
    }
}

static const type_info *find_type(const char *name)
{
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        if (strcmp(types[i].name, name) == 0)
            return &types[i];
    return NULL;
}

bool ui_format_is_pointer(const char *c_type)
{
    if (c_type == NULL)
        return false;
    size_t n = strlen(c_type);
    while (n > 0 && c_type[n - 1] == ' ')
        n--;
    return n > 0 && c_type[n - 1] == '*';
}

const char *ui_format_address(char *out, size_t size, uint64_t address)
{
    if (address == 0)
        snprintf(out, size, "NULL");
    else
        snprintf(out, size, "0x%" PRIx64, address);
    return out;
}

static uint64_t load(const uint8_t *p, unsigned size, bool big_endian)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < size; i++)
        v |= (uint64_t)p[big_endian ? size - 1 - i : i] << (8 * i);
    return v;
}

static void put_char(writer *w, unsigned c)
{
    switch (c) {
    case '\0': put(w, "\\0"); break;
    case '\n': put(w, "\\n"); break;
    case '\t': put(w, "\\t"); break;
    case '"': put(w, "\\\""); break;
    case '\\': put(w, "\\\\"); break;
    default:
        if (c >= 0x20 && c < 0x7F)
            put(w, "%c", (char)c);
        else
            put(w, "\\x%02x", c);
    }
}

/* A string of 1- or 2-byte units: up to the terminator, which is shown when `show_nul`. */
static void put_string(writer *w, const uint8_t *p, size_t len, unsigned unit, bool big_endian,
                       bool show_nul, bool more)
{
    put(w, unit == 2 ? "L\"" : "\"");
    bool reserved = w->size > 0;
    if (reserved)
        w->size--; /* room for the closing quote, whatever happens */
    bool ended = false;
    for (size_t i = 0; i + unit <= len && !w->cut; i += unit) {
        unsigned c = (unsigned)load(p + i, unit, big_endian);
        if (c == 0) {
            if (show_nul)
                put(w, "\\0");
            ended = true;
            if (!show_nul || i + unit >= len)
                break;
            continue;
        }
        put_char(w, c);
    }
    if (reserved)
        w->size++;
    if (w->cut || (!ended && more)) {
        w->cut = false; /* the ellipsis goes inside the quotes */
        if (w->len + ELLIPSIS_LEN + 2 <= w->size) {
            memcpy(w->out + w->len, ELLIPSIS, ELLIPSIS_LEN + 1);
            w->len += ELLIPSIS_LEN;
        }
    }
    if (w->len + 2 <= w->size) {
        w->out[w->len++] = '"';
        w->out[w->len] = '\0';
    }
}

static void put_number(writer *w, const type_info *t, const uint8_t *p, bool big_endian)
{
    uint64_t v = load(p, t->size, big_endian);
    switch (t->kind) {
    case K_INT: {
        int64_t s = t->size == 8 ? (int64_t)v : (int64_t)(v ^ (1ull << (8 * t->size - 1))) - (int64_t)(1ull << (8 * t->size - 1));
        put(w, "%" PRId64, s);
        break;
    }
    case K_FLOAT:
        if (t->size == 4) {
            uint32_t u = (uint32_t)v;
            float f;
            memcpy(&f, &u, sizeof f);
            put(w, "%g", (double)f);
        } else {
            double d;
            memcpy(&d, &v, sizeof d);
            put(w, "%g", d);
        }
        break;
    case K_BOOL:
        put(w, "%s", v ? "TRUE" : "FALSE");
        break;
    case K_BYTE:
        put(w, "0x%02" PRIx64, v);
        break;
    case K_CHAR:
        put(w, "'");
        put_char(w, (unsigned)v);
        put(w, "'");
        break;
    default:
        put(w, "%" PRIu64, v);
    }
}

static void put_hex(writer *w, const uint8_t *p, size_t len, bool more)
{
    size_t n = len < HEX_SHOWN ? len : HEX_SHOWN;
    for (size_t i = 0; i < n; i++)
        put(w, i ? " %02x" : "%02x", p[i]);
    if (n < len || more)
        w->cut = true;
}

/* A value of type t: one, an array of them, or a string of characters. */
static void put_typed(writer *w, const type_info *t, const uint8_t *p, size_t len, size_t full,
                      bool big_endian, bool show_nul)
{
    bool more = full > len;
    if (t == NULL) {
        put_hex(w, p, len, more);
        return;
    }
    if ((t->kind == K_CHAR || t->kind == K_WCHAR) && (full > t->size || show_nul)) {
        put_string(w, p, len, t->size, big_endian, show_nul, more);
        return;
    }
    if (len < t->size) {
        put_hex(w, p, len, more);
        return;
    }
    size_t count = full / t->size;
    if (count <= 1) {
        put_number(w, t, p, big_endian);
        return;
    }
    put(w, "{");
    size_t shown = 0;
    for (size_t i = 0; i + t->size <= len && shown < ARRAY_SHOWN && !w->cut; i += t->size, shown++) {
        if (shown)
            put(w, ", ");
        put_number(w, t, p + i, big_endian);
    }
    if (shown < count)
        put(w, ", " ELLIPSIS);
    put(w, "}");
}

const char *ui_format_c_value(char *out, size_t size, const char *c_type, const uint8_t *bytes,
                              size_t len, size_t full)
{
    writer w = writer_make(out, size);
    if (full < len)
        full = len;
    if (len == 0) {
        put(&w, full ? "?" : "(nothing)");
        return finish(&w, false);
    }
    char base[64];
    bool ptr = ui_format_is_pointer(c_type);
    base_type(c_type ? c_type : "", ptr, base, sizeof base);
    const type_info *t = find_type(base);
    /* A pointer to characters is a string; to 16-bit units, a string when it ends in 0. */
    if (ptr && t != NULL && t->kind == K_UINT && t->size == 2 && len >= 2 && len == full &&
        bytes[len - 1] == 0 && bytes[len - 2] == 0)
        t = &types[4]; /* wchar_t */
    if (t != NULL && (t->kind == K_CHAR || t->kind == K_WCHAR) && ptr) {
        put_string(&w, bytes, len, t->size, false, false, full > len);
        return finish(&w, false);
    }
    put_typed(&w, t, bytes, len, full, false, false);
    return finish(&w, false);
}

const char *ui_format_ndr_value(char *out, size_t size, const char *ndr_type, int role,
                                const uint8_t *bytes, size_t len, bool big_endian)
{
    writer w = writer_make(out, size);
    switch (role) {
    case RS_NDR_ROLE_PADDING:
        put(&w, "pad");
        return finish(&w, false);
    case RS_NDR_ROLE_MAX_COUNT:
    case RS_NDR_ROLE_OFFSET:
    case RS_NDR_ROLE_ACTUAL_COUNT:
        if (len >= 4)
            put(&w, "%" PRIu64, load(bytes, 4, big_endian));
        return finish(&w, false);
    case RS_NDR_ROLE_REFERENT_ID:
        if (len >= 4) {
            uint32_t id = (uint32_t)load(bytes, 4, big_endian);
            if (id == RS_NDR_REFERENT_ID_NULL)
                put(&w, "NULL");
            else
                put(&w, "0x%08" PRIx32, id);
        }
        return finish(&w, false);
    default:
        break;
    }
    const type_info *t = ndr_type != NULL ? find_type(ndr_type) : NULL;
    bool is_string = ndr_type != NULL && strncmp(ndr_type, "[string]", 8) == 0;
    put_typed(&w, t, bytes, len, len, big_endian, is_string);
    return finish(&w, false);
}

/* ---- PDUs ---------------------------------------------------------------------------------- */

typedef struct fields {
    ui_pdu_field *at;
    size_t n, max;
    const uint8_t *p;
    size_t len;
    rs_endian e;
} fields;

static ui_pdu_field *field(fields *f, const char *name, size_t offset, size_t length)
{
    if (f->n == f->max || offset + length > f->len || length == 0)
        return NULL;
    ui_pdu_field *x = &f->at[f->n++];
    x->name = name;
    x->offset = (uint32_t)offset;
    x->length = (uint32_t)length;
    x->value[0] = '\0';
    x->stub = false;
    return x;
}

static void field_uint(fields *f, const char *name, size_t offset, unsigned size)
{
    ui_pdu_field *x = field(f, name, offset, size);
    if (x != NULL)
        snprintf(x->value, sizeof x->value, "%" PRIu64, load(f->p + offset, size, f->e == RS_BE));
}

static void field_text(fields *f, const char *name, size_t offset, size_t length, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static void field_text(fields *f, const char *name, size_t offset, size_t length, const char *fmt, ...)
{
    ui_pdu_field *x = field(f, name, offset, length);
    if (x == NULL)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(x->value, sizeof x->value, fmt, ap);
    va_end(ap);
}

static void field_syntax(fields *f, const char *name, size_t offset)
{
    if (offset + RS_SYNTAX_WIRE_SIZE > f->len)
        return;
    rs_buf in;
    rs_syntax_id id;
    rs_buf_view(&in, f->p + offset, RS_SYNTAX_WIRE_SIZE);
    if (rs_syntax_get(&in, f->e, &id) != RS_OK)
        return;
    char u[RS_UUID_STRLEN];
    rs_uuid_format(&id.uuid, u);
    field_text(f, name, offset, RS_SYNTAX_WIRE_SIZE, "%s v%u.%u%s", u, id.major, id.minor,
               rs_syntax_equal(&id, &rs_ndr_syntax) ? " (NDR)" : "");
}

static void common_header(fields *f)
{
    field_uint(f, "rpc_vers", 0, 1);
    field_uint(f, "rpc_vers_minor", 1, 1);
    if (f->len < 3)
        return;
    uint8_t ptype = f->p[2];
    field_text(f, "PTYPE", 2, 1, "%u %s", ptype, rs_pdu_type_name(ptype));
    if (f->len < 4)
        return;
    char flags[RS_PDU_FLAGS_STRLEN];
    rs_pdu_flags_format(ptype, f->p[3], flags, sizeof flags);
    field_text(f, "pfc_flags", 3, 1, "0x%02x %s", f->p[3], flags);
    if (f->len < 8)
        return;
    char drep[RS_PDU_DREP_STRLEN];
    rs_pdu_drep_format(f->p + 4, drep, sizeof drep);
    field_text(f, "drep", 4, 4, "%02x %02x %02x %02x %s", f->p[4], f->p[5], f->p[6], f->p[7], drep);
    field_uint(f, "frag_length", 8, 2);
    field_uint(f, "auth_length", 10, 2);
    field_uint(f, "call_id", 12, 4);
}

static void stub_field(fields *f, const rs_pdu *d)
{
    if (d->stub_len == 0)
        return;
    ui_pdu_field *x = field(f, "stub data", (size_t)(d->stub - f->p), d->stub_len);
    if (x != NULL) {
        snprintf(x->value, sizeof x->value, "%zu bytes of NDR", d->stub_len);
        x->stub = true;
    }
}

static void body(fields *f, const rs_pdu *d)
{
    switch (d->hdr.ptype) {
    case RS_PTYPE_REQUEST:
        field_uint(f, "alloc_hint", 16, 4);
        field_uint(f, "p_cont_id", 20, 2);
        field_uint(f, "opnum", 22, 2);
        if (d->hdr.pfc_flags & RS_PFC_OBJECT_UUID) {
            char u[RS_UUID_STRLEN];
            rs_uuid_format(&d->request.object, u);
            field_text(f, "object", 24, RS_UUID_WIRE_SIZE, "%s", u);
        }
        stub_field(f, d);
        break;
    case RS_PTYPE_RESPONSE:
        field_uint(f, "alloc_hint", 16, 4);
        field_uint(f, "p_cont_id", 20, 2);
        field_uint(f, "cancel_count", 22, 1);
        field_uint(f, "reserved", 23, 1);
        stub_field(f, d);
        break;
    case RS_PTYPE_FAULT: {
        field_uint(f, "alloc_hint", 16, 4);
        field_uint(f, "p_cont_id", 20, 2);
        field_uint(f, "cancel_count", 22, 1);
        field_uint(f, "reserved", 23, 1);
        const char *name = rs_fault_name(d->fault.status);
        field_text(f, "status", 24, 4, "0x%08" PRIx32 " %s", d->fault.status, name ? name : "");
        field_uint(f, "reserved", 28, 4);
        stub_field(f, d);
        break;
    }
    case RS_PTYPE_BIND:
    case RS_PTYPE_ALTER_CONTEXT: {
        field_uint(f, "max_xmit_frag", 16, 2);
        field_uint(f, "max_recv_frag", 18, 2);
        field_uint(f, "assoc_group_id", 20, 4);
        field_uint(f, "n_context_elem", 24, 1);
        field_uint(f, "reserved", 25, 3);
        size_t at = 28;
        for (unsigned c = 0; c < d->bind.n_context_elem; c++) {
            const rs_pdu_context *ctx = &d->bind.contexts[c];
            field_uint(f, "p_cont_id", at, 2);
            field_uint(f, "n_transfer_syn", at + 2, 1);
            field_uint(f, "reserved", at + 3, 1);
            field_syntax(f, "abstract_syntax", at + 4);
            at += 4 + RS_SYNTAX_WIRE_SIZE;
            for (unsigned t = 0; t < ctx->n_transfer_syn; t++, at += RS_SYNTAX_WIRE_SIZE)
                field_syntax(f, "transfer_syntax", at);
        }
        break;
    }
    case RS_PTYPE_BIND_ACK:
    case RS_PTYPE_ALTER_CONTEXT_RESP: {
        field_uint(f, "max_xmit_frag", 16, 2);
        field_uint(f, "max_recv_frag", 18, 2);
        field_uint(f, "assoc_group_id", 20, 4);
        field_uint(f, "sec_addr.length", 24, 2);
        size_t n = f->len >= 26 ? load(f->p + 24, 2, f->e == RS_BE) : 0;
        if (n > 0)
            field_text(f, "sec_addr", 26, n, "\"%s\"", d->bind_ack.sec_addr ? d->bind_ack.sec_addr : "");
        size_t at = 26 + n;
        size_t pad = (4 - at % 4) % 4;
        if (pad > 0)
            field_text(f, "pad", at, pad, "align 4");
        at += pad;
        field_uint(f, "n_results", at, 1);
        field_uint(f, "reserved", at + 1, 3);
        at += 4;
        for (unsigned r = 0; r < d->bind_ack.n_results; r++, at += 24) {
            const rs_pdu_result *res = &d->bind_ack.results[r];
            field_text(f, "result", at, 2, "%u %s", res->result, rs_pdu_result_name(res->result));
            field_text(f, "reason", at + 2, 2, "%u %s", res->reason,
                       rs_pdu_provider_reason_name(res->reason));
            field_syntax(f, "transfer_syntax", at + 4);
        }
        break;
    }
    case RS_PTYPE_BIND_NAK:
        field_text(f, "provider_reject_reason", 16, 2, "%u %s", d->bind_nak.provider_reject_reason,
                   rs_pdu_reject_reason_name(d->bind_nak.provider_reject_reason));
        field_uint(f, "n_protocols", 18, 1);
        for (unsigned v = 0; v < d->bind_nak.n_protocols; v++)
            field_text(f, "version", 19 + 2 * v, 2, "%u.%u", d->bind_nak.protocols[v].major,
                       d->bind_nak.protocols[v].minor);
        break;
    default:
        break;
    }
    if (d->hdr.auth_length > 0) {
        size_t at = f->len - d->hdr.auth_length - RS_PDU_SEC_TRAILER_SIZE;
        field_uint(f, "auth_type", at, 1);
        field_uint(f, "auth_level", at + 1, 1);
        field_uint(f, "auth_pad_length", at + 2, 1);
        field_uint(f, "auth_reserved", at + 3, 1);
        field_uint(f, "auth_context_id", at + 4, 4);
        field_text(f, "auth_value", at + 8, d->hdr.auth_length, "%u bytes", d->hdr.auth_length);
    }
}

size_t ui_format_pdu_fields(const uint8_t *pdu, size_t len, ui_pdu_field *out, size_t max)
{
    fields f = {out, 0, max, pdu, len, RS_LE};
    if (pdu == NULL || len == 0)
        return 0;
    if (len >= 5 && (pdu[4] >> 4) == RS_NDR_DREP_INT_BIG_ENDIAN)
        f.e = RS_BE;
    common_header(&f);
    rs_buf in;
    rs_pdu d;
    rs_buf_view(&in, pdu, len);
    if (rs_pdu_decode(&in, &d) != RS_OK) {
        size_t at = len < RS_PDU_HEADER_SIZE ? len : RS_PDU_HEADER_SIZE;
        if (at < len)
            field_text(&f, "(undecodable)", at, len - at, "%s", rs_buf_error(&in));
        return f.n;
    }
    body(&f, &d);
    return f.n;
}

const char *ui_format_pdu_title(char *out, size_t size, uint8_t ptype, uint8_t flags,
                                uint32_t call_id, uint32_t status)
{
    writer w = writer_make(out, size);
    put(&w, "%s", rs_pdu_type_name(ptype));
    if (ptype == RS_PTYPE_FAULT) {
        const char *name = rs_fault_name(status);
        put(&w, " \xC2\xB7 %s", name ? name : "unknown fault");
        return finish(&w, false);
    }
    put(&w, " \xC2\xB7 call %" PRIu32, call_id);
    if (ptype == RS_PTYPE_REQUEST || ptype == RS_PTYPE_RESPONSE) {
        bool first = flags & RS_PFC_FIRST_FRAG, last = flags & RS_PFC_LAST_FRAG;
        if (first && last)
            put(&w, " \xC2\xB7 FIRST LAST");
        else if (first)
            put(&w, " \xC2\xB7 FIRST");
        else if (last)
            put(&w, " \xC2\xB7 LAST");
        else
            put(&w, " \xC2\xB7 middle");
    }
    return finish(&w, false);
}

/* ---- events -------------------------------------------------------------------------------- */

static const char *side_name(const rs_trace_event *ev)
{
    return ev->role == RS_TRACE_ROLE_SERVER ? "server" : "client";
}

static const char *role_word(int role)
{
    switch (role) {
    case RS_NDR_ROLE_PADDING: return "padding";
    case RS_NDR_ROLE_MAX_COUNT: return "max_count";
    case RS_NDR_ROLE_OFFSET: return "offset";
    case RS_NDR_ROLE_ACTUAL_COUNT: return "actual_count";
    case RS_NDR_ROLE_REFERENT_ID: return "referent id";
    case RS_NDR_ROLE_DISCRIMINANT: return "discriminant";
    default: return "data";
    }
}

static uint8_t event_ptype(const rs_trace_event *ev)
{
    return ev->bytes_len > 2 ? ev->bytes[2] : ev->ptype;
}

static void put_ndr_detail(writer *w, const rs_trace_event *ev)
{
    char v[64];
    ui_format_ndr_value(v, sizeof v, ev->ndr_type, ev->ndr_role, ev->bytes, ev->bytes_len,
                        (ev->flags & RS_TRACE_FLAG_BIG_ENDIAN) != 0);
    if (ev->ndr_role == RS_NDR_ROLE_PADDING)
        put(w, "%" PRIu32 " zero bytes before %s (%s)", ev->length, ev->name ? ev->name : "",
            ev->ndr_type ? ev->ndr_type : "");
    else if (ev->ndr_role == RS_NDR_ROLE_DATA)
        put(w, "%s = %s", ev->name ? ev->name : "", v);
    else
        put(w, "%s, its %s = %s", ev->name ? ev->name : "", role_word(ev->ndr_role), v);
}

const char *ui_format_event(char *out, size_t size, const rs_trace_event *ev)
{
    writer w = writer_make(out, size);
    const char *text = rs_trace_kind_text(ev->kind);
    /* "the stub marshals..." becomes "The client stub marshals..."; a sentence that names its
     * side already ("the server listens") or none ("a PDU arrives") is only capitalised. */
    if (strncmp(text, "the stub ", 9) == 0 || strncmp(text, "the runtime ", 12) == 0 ||
        strncmp(text, "the application ", 16) == 0)
        put(&w, "The %s %s", side_name(ev), text + 4);
    else
        put(&w, "%c%s", toupper((unsigned char)text[0]), text + 1);
    switch (ev->kind) {
    case RS_TRACE_CALL_BEGIN:
    case RS_TRACE_CALL_END:
    case RS_TRACE_PROCEDURE_ENTER:
    case RS_TRACE_PROCEDURE_RETURN:
    case RS_TRACE_DISPATCH:
        if (ev->procedure && ev->procedure[0])
            put(&w, ": %s", ev->procedure);
        break;
    case RS_TRACE_PARAM_READ:
    case RS_TRACE_PARAM_WRITTEN: {
        char a[24];
        put(&w, ": %s at %s", ev->name ? ev->name : "", ui_format_address(a, sizeof a, ev->address));
        break;
    }
    case RS_TRACE_NDR_PUT:
    case RS_TRACE_NDR_GET:
    case RS_TRACE_NDR_CONVERT:
        put(&w, ": ");
        put_ndr_detail(&w, ev);
        break;
    case RS_TRACE_PDU_BUILT:
    case RS_TRACE_PDU_SENT:
    case RS_TRACE_PDU_RECEIVED:
    case RS_TRACE_PDU_REASSEMBLED:
        put(&w, ": %s, %zu bytes", rs_pdu_type_name(event_ptype(ev)), ev->bytes_len);
        break;
    default:
        if (ev->text && ev->text[0])
            put(&w, ": %s", ev->text);
        break;
    }
    put(&w, ".");
    return finish(&w, false);
}

const char *ui_format_event_short(char *out, size_t size, const rs_trace_event *ev)
{
    writer w = writer_make(out, size);
    const char *name = ev->name ? ev->name : "";
    const char *proc = ev->procedure && ev->procedure[0] ? ev->procedure : "the procedure";
    switch (ev->kind) {
    case RS_TRACE_CALL_BEGIN: put(&w, "calls %s", proc); break;
    case RS_TRACE_CALL_END: put(&w, "%s returns", proc); break;
    case RS_TRACE_PARAM_READ: put(&w, "reads %s", name); break;
    case RS_TRACE_PARAM_WRITTEN: put(&w, "writes %s", name); break;
    case RS_TRACE_NDR_PUT:
    case RS_TRACE_NDR_GET:
        put(&w, "%s %s", ev->kind == RS_TRACE_NDR_PUT ? "marshals" : "unmarshals", name);
        if (ev->ndr_role != RS_NDR_ROLE_DATA)
            put(&w, " \xC2\xB7 %s", role_word(ev->ndr_role));
        break;
    case RS_TRACE_NDR_CONVERT: put(&w, "converts %s", name); break;
    case RS_TRACE_PDU_BUILT: put(&w, "builds %s", rs_pdu_type_name(event_ptype(ev))); break;
    case RS_TRACE_PDU_SENT: put(&w, "sends %s", rs_pdu_type_name(event_ptype(ev))); break;
    case RS_TRACE_PDU_RECEIVED: put(&w, "receives %s", rs_pdu_type_name(event_ptype(ev))); break;
    case RS_TRACE_PDU_REASSEMBLED: put(&w, "has the whole stub data"); break;
    case RS_TRACE_DISPATCH: put(&w, "dispatches opnum %u", ev->opnum); break;
    case RS_TRACE_PROCEDURE_ENTER: put(&w, "%s runs", proc); break;
    case RS_TRACE_PROCEDURE_RETURN: put(&w, "%s returns", proc); break;
    case RS_TRACE_FAULT: put(&w, "fault%s%s", ev->text && ev->text[0] ? ": " : "", ev->text ? ev->text : ""); break;
    case RS_TRACE_ERROR: put(&w, "error: %s", ev->text ? ev->text : ""); break;
    case RS_TRACE_TIMEOUT: put(&w, "timeout"); break;
    case RS_TRACE_CONNECT: put(&w, "connects"); break;
    case RS_TRACE_ACCEPT: put(&w, "accepts a connection"); break;
    case RS_TRACE_LISTEN: put(&w, "listens"); break;
    case RS_TRACE_BIND: put(&w, "asks to bind"); break;
    case RS_TRACE_BIND_ACK: put(&w, "accepts the bind"); break;
    case RS_TRACE_BIND_NAK: put(&w, "rejects the bind"); break;
    case RS_TRACE_CLOSE: put(&w, "closes"); break;
    default: put(&w, "%s", rs_trace_kind_name(ev->kind)); break;
    }
    return finish(&w, false);
}
