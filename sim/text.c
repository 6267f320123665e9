/* text.c -- events as lines of text. See text.h. */
#include "text.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "ndr.h"
#include "pdu.h"
#include "status.h"
#include "tower.h"

/* A bounded string builder: appends never overflow, the result is always terminated. */
typedef struct sb {
    char *p;
    size_t size, len;
} sb;

static void add(sb *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void add(sb *b, const char *fmt, ...)
{
    if (b->size == 0 || b->len >= b->size - 1)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(b->p + b->len, b->size - b->len, fmt, ap);
    va_end(ap);
    if (n > 0)
        b->len = b->len + (size_t)n < b->size ? b->len + (size_t)n : b->size - 1;
}

/* One character, or two hex digits: the per-byte appends of a preview, without a vsnprintf for
 * each (a collector printing every event spent most of its time there). */
static void add_char(sb *b, char c)
{
    if (b->size == 0 || b->len >= b->size - 1)
        return;
    b->p[b->len++] = c;
    b->p[b->len] = '\0';
}

static void add_byte_hex(sb *b, uint8_t v)
{
    static const char digits[] = "0123456789abcdef";
    add_char(b, digits[v >> 4]);
    add_char(b, digits[v & 0x0f]);
}

sim_text_options sim_text_default_options(void)
{
    return (sim_text_options){.addresses = false, .times = false, .width = SIM_TEXT_WIDTH};
}

/* ---- values ---------------------------------------------------------------------------------- */

/* The bytes of the range [offset, offset + length) the event is about: the event carries either
 * just those bytes or the whole buffer. NULL when it carries neither. */
static const uint8_t *range_bytes(const rs_trace_event *e, size_t *len)
{
    if (e->bytes_len == 0)
        return NULL;
    if (e->bytes_len == e->length) {
        *len = e->bytes_len;
        return e->bytes;
    }
    if ((size_t)e->offset + e->length <= e->bytes_len) {
        *len = e->length;
        return e->bytes + e->offset;
    }
    *len = e->bytes_len;
    return e->bytes;
}

/* "hello, world\0" with C escapes, cut after SIM_TEXT_PREVIEW characters. */
static void add_quoted(sb *b, const uint8_t *p, size_t n)
{
    add(b, "\"");
    size_t shown = n < SIM_TEXT_PREVIEW ? n : SIM_TEXT_PREVIEW;
    for (size_t i = 0; i < shown; i++) {
        uint8_t c = p[i];
        if (c == 0) {
            add_char(b, '\\');
            add_char(b, '0');
        } else if (c == '\n') {
            add_char(b, '\\');
            add_char(b, 'n');
        } else if (c == '"' || c == '\\') {
            add_char(b, '\\');
            add_char(b, (char)c);
        } else if (c >= 0x20 && c < 0x7f) {
            add_char(b, (char)c);
        } else {
            add_char(b, '\\');
            add_char(b, 'x');
            add_byte_hex(b, c);
        }
    }
    add(b, "\"%s", n > shown ? "..." : "");
}

static void add_hex(sb *b, const uint8_t *p, size_t n)
{
    size_t shown = n < SIM_TEXT_PREVIEW / 2 ? n : SIM_TEXT_PREVIEW / 2;
    for (size_t i = 0; i < shown; i++) {
        if (i > 0)
            add_char(b, ' ');
        add_byte_hex(b, p[i]);
    }
    if (n > shown)
        add(b, " ...");
}

static bool looks_like_text(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != 0 && (p[i] < 0x20 || p[i] >= 0x7f) && p[i] != '\n' && p[i] != '\t')
            return false;
    return n > 0;
}

/* An NDR primitive's value, decoded by its IDL type name, when the bytes are exactly one. */
static bool add_number(sb *b, const char *type, const uint8_t *p, size_t n, rs_endian e)
{
    static const struct {
        const char *name;
        size_t size;
        bool is_signed;
    } prims[] = {
        {"boolean", 1, false}, {"byte", 1, false},          {"unsigned small", 1, false},
        {"small", 1, true},    {"short", 2, true},          {"unsigned short", 2, false},
        {"wchar_t", 2, false}, {"enum", 2, false},          {"long", 4, true},
        {"unsigned long", 4, false}, {"error_status_t", 4, false}, {"[v1_enum] enum", 4, false},
        {"hyper", 8, true},    {"unsigned hyper", 8, false},
    };
    for (size_t i = 0; i < sizeof prims / sizeof prims[0]; i++) {
        if (strcmp(type, prims[i].name) != 0 || n != prims[i].size)
            continue;
        uint64_t v = n == 1 ? p[0] : n == 2 ? rs_load_u16(p, e) : n == 4 ? rs_load_u32(p, e)
                                                                          : rs_load_u64(p, e);
        if (prims[i].is_signed) {
            int64_t s = n == 1 ? (int8_t)v : n == 2 ? (int16_t)v : n == 4 ? (int32_t)v : (int64_t)v;
            add(b, "%" PRId64, s);
        } else {
            add(b, "%" PRIu64, v);
        }
        return true;
    }
    return false;
}

static void add_value(sb *b, const char *type, const uint8_t *p, size_t n, rs_endian e)
{
    if (p == NULL || n == 0)
        return;
    add(b, "  ");
    if (add_number(b, type, p, n, e))
        return;
    if (strstr(type, "char") != NULL && looks_like_text(p, n))
        add_quoted(b, p, n);
    else
        add_hex(b, p, n);
}

static uint32_t field_u32(const rs_trace_event *e, bool *ok)
{
    size_t n = 0;
    const uint8_t *p = range_bytes(e, &n);
    rs_endian en = (e->flags & RS_TRACE_FLAG_BIG_ENDIAN) ? RS_BE : RS_LE;
    *ok = p != NULL && n == 4;
    return *ok ? rs_load_u32(p, en) : 0;
}

/* ---- the kinds ------------------------------------------------------------------------------- */

static const char *role_word(unsigned role)
{
    switch (role) {
    case RS_NDR_ROLE_PADDING:
        return "padding";
    case RS_NDR_ROLE_MAX_COUNT:
        return "max_count";
    case RS_NDR_ROLE_OFFSET:
        return "offset";
    case RS_NDR_ROLE_ACTUAL_COUNT:
        return "actual_count";
    case RS_NDR_ROLE_REFERENT_ID:
        return "referent_id";
    case RS_NDR_ROLE_DISCRIMINANT:
        return "discriminant";
    default:
        return NULL;
    }
}

/* The counts the stub wrote just before this array's data: "conformant-varying: max 13,
 * offset 0, actual 13". Looks back over the same process's events about the same name. */
static void add_array_summary(sb *b, const sim_timeline *tl, size_t i)
{
    const sim_event *me = sim_timeline_at(tl, i);
    bool has[3] = {false, false, false};
    uint32_t v[3] = {0, 0, 0};
    size_t looked = 0;
    for (size_t k = i; k-- > 0 && looked < 16;) {
        const sim_event *o = sim_timeline_at(tl, k);
        if (o->process != me->process)
            continue;
        looked++;
        if (o->ev.kind != me->ev.kind || strcmp(o->ev.name, me->ev.name) != 0)
            break;
        int slot = o->ev.ndr_role == RS_NDR_ROLE_MAX_COUNT      ? 0
                   : o->ev.ndr_role == RS_NDR_ROLE_OFFSET       ? 1
                   : o->ev.ndr_role == RS_NDR_ROLE_ACTUAL_COUNT ? 2
                   : o->ev.ndr_role == RS_NDR_ROLE_PADDING      ? -1
                                                                : -2;
        if (slot == -2)
            break;
        if (slot >= 0 && !has[slot]) {
            bool ok;
            v[slot] = field_u32(&o->ev, &ok);
            has[slot] = ok;
        }
    }
    if (has[0] && has[1] && has[2])
        add(b, "  conformant-varying: max %" PRIu32 ", offset %" PRIu32 ", actual %" PRIu32, v[0],
            v[1], v[2]);
    else if (has[0])
        add(b, "  conformant: max %" PRIu32, v[0]);
    else if (has[1] && has[2])
        add(b, "  varying: offset %" PRIu32 ", actual %" PRIu32, v[1], v[2]);
}

/* A protocol tower's octet string (the endpoint mapper's twr_t, C706 appendix L) read back into
 * the binding it stands for: "tower ncacn_ip_tcp:127.0.0.1[40619]", port and host decoded from
 * floors 4 and 5. The bytes are only hex otherwise, and the port is what the client came for.
 * Recognised by the field's name, which is C706's; bytes that are no tower add nothing. */
static void add_tower(sb *b, const rs_trace_event *e, const uint8_t *p, size_t n)
{
    if (strcmp(e->name, "tower_octet_string") != 0 || (e->flags & RS_TRACE_FLAG_TRUNCATED))
        return;
    rs_tower t;
    rs_error err = {0};
    char text[RS_BINDING_STRLEN];
    if (rs_tower_decode(p, n, &t, &err) == RS_OK &&
        rs_tower_binding(&t, text, sizeof text) == RS_OK)
        add(b, "  tower %s", text);
}

static void add_ndr(sb *b, const sim_timeline *tl, size_t i)
{
    const rs_trace_event *e = &sim_timeline_at(tl, i)->ev;
    const char *field = role_word(e->ndr_role);
    add(b, "%s", e->name[0] ? e->name : "-");
    if (field != NULL)
        add(b, "  %s", field);
    add(b, "  %s  ndr[%" PRIu32 "..%" PRIu64 ")", e->ndr_type[0] ? e->ndr_type : "?", e->offset,
        (uint64_t)e->offset + e->length);
    size_t n = 0;
    const uint8_t *p = range_bytes(e, &n);
    rs_endian en = (e->flags & RS_TRACE_FLAG_BIG_ENDIAN) ? RS_BE : RS_LE;
    switch (e->ndr_role) {
    case RS_NDR_ROLE_PADDING:
        break;
    case RS_NDR_ROLE_REFERENT_ID:
        if (p != NULL && n == 4) {
            uint32_t id = rs_load_u32(p, en);
            if (id == 0)
                add(b, "  0 (NULL)");
            else
                add(b, "  0x%08" PRIx32, id);
        }
        break;
    case RS_NDR_ROLE_MAX_COUNT:
    case RS_NDR_ROLE_OFFSET:
    case RS_NDR_ROLE_ACTUAL_COUNT:
    case RS_NDR_ROLE_DISCRIMINANT:
        if (p != NULL && (n == 4 || n == 2 || n == 1))
            add(b, "  %" PRIu32, n == 4 ? rs_load_u32(p, en) : n == 2 ? rs_load_u16(p, en) : p[0]);
        break;
    default:
        add_value(b, e->ndr_type, p, n, en);
        add_array_summary(b, tl, i);
        if (p != NULL)
            add_tower(b, e, p, n);
        break;
    }
    if (e->flags & RS_TRACE_FLAG_BIG_ENDIAN)
        add(b, "  big-endian");
    if (e->text[0]) /* "converted from big-endian": receiver makes right */
        add(b, "  %s", e->text);
}

static void add_param(sb *b, const rs_trace_event *e, const sim_text_options *o)
{
    add(b, "%s  %s  %" PRIu32 " bytes", e->name[0] ? e->name : "-", e->c_type[0] ? e->c_type : "?",
        e->length);
    if (e->bytes_len > 0) {
        add(b, "  ");
        if (strstr(e->c_type, "char") != NULL && looks_like_text(e->bytes, e->bytes_len))
            add_quoted(b, e->bytes, e->bytes_len);
        else
            add_hex(b, e->bytes, e->bytes_len);
        if (e->flags & RS_TRACE_FLAG_TRUNCATED)
            add(b, " (cut)");
    }
    if (e->flags & RS_TRACE_FLAG_OUT)
        add(b, "  [out]");
    if (o->addresses && e->address != 0)
        add(b, "  at 0x%" PRIx64, e->address);
}

/* "bind_ack call 1 FIRST|LAST 60 bytes" and what the type adds. */
static void add_pdu(sb *b, const sim_timeline *tl, const sim_event *se)
{
    const rs_trace_event *e = &se->ev;
    rs_buf in;
    rs_pdu pdu;
    rs_buf_view(&in, e->bytes, e->bytes_len);
    if (e->bytes_len == 0 || rs_pdu_decode(&in, &pdu) != RS_OK) {
        add(b, "%s", rs_pdu_type_name(e->ptype));
        if (e->call_id != 0)
            add(b, " call %" PRIu32, e->call_id);
        add(b, " %zu bytes", e->bytes_len);
        if (e->bytes_len > 0 && e->kind != RS_TRACE_PDU_REASSEMBLED)
            add(b, " (%s)", rs_buf_error(&in));
    } else {
        char flags[RS_PDU_FLAGS_STRLEN], shortf[RS_PDU_FLAGS_STRLEN];
        rs_pdu_flags_format(pdu.hdr.ptype, pdu.hdr.pfc_flags, flags, sizeof flags);
        /* PFC_FIRST_FRAG|PFC_LAST_FRAG -> FIRST|LAST */
        sb f = {shortf, sizeof shortf, 0};
        shortf[0] = '\0';
        /* A fragment between the first and the last has neither flag: say "middle", as the
         * window's packet does, rather than a bare "0". */
        bool fragmented = pdu.hdr.ptype == RS_PTYPE_REQUEST || pdu.hdr.ptype == RS_PTYPE_RESPONSE;
        if (fragmented && !(pdu.hdr.pfc_flags & (RS_PFC_FIRST_FRAG | RS_PFC_LAST_FRAG)))
            add(&f, "middle");
        char *save = NULL;
        for (char *t = strtok_r(flags, "|", &save); t != NULL; t = strtok_r(NULL, "|", &save)) {
            if (strncmp(t, "PFC_", 4) == 0)
                t += 4;
            size_t tl_ = strlen(t);
            if (tl_ > 5 && strcmp(t + tl_ - 5, "_FRAG") == 0)
                t[tl_ - 5] = '\0';
            if (strcmp(t, "0") != 0 || f.len == 0)
                add(&f, "%s%s", f.len ? "|" : "", t);
        }
        add(b, "%s call %" PRIu32 " %s %zu bytes", rs_pdu_type_name(pdu.hdr.ptype), pdu.hdr.call_id,
            shortf, e->bytes_len);
        switch (pdu.hdr.ptype) {
        case RS_PTYPE_REQUEST:
            add(b, "  opnum %u context %u stub %zu", pdu.request.opnum, pdu.request.p_cont_id,
                pdu.stub_len);
            break;
        case RS_PTYPE_RESPONSE:
            add(b, "  context %u stub %zu", pdu.response.p_cont_id, pdu.stub_len);
            break;
        case RS_PTYPE_FAULT: {
            const char *name = rs_fault_name(pdu.fault.status);
            add(b, "  %s (0x%08" PRIx32 ")", name != NULL ? name : "unknown fault",
                pdu.fault.status);
            break;
        }
        case RS_PTYPE_BIND:
        case RS_PTYPE_ALTER_CONTEXT:
            add(b, "  max_xmit %u max_recv %u contexts %u", pdu.bind.max_xmit_frag,
                pdu.bind.max_recv_frag, pdu.bind.n_context_elem);
            break;
        case RS_PTYPE_BIND_ACK:
        case RS_PTYPE_ALTER_CONTEXT_RESP:
            add(b, "  max_xmit %u max_recv %u", pdu.bind_ack.max_xmit_frag,
                pdu.bind_ack.max_recv_frag);
            if (pdu.bind_ack.sec_addr != NULL && pdu.bind_ack.sec_addr[0])
                add(b, " sec_addr %s", pdu.bind_ack.sec_addr);
            for (unsigned r = 0; r < pdu.bind_ack.n_results; r++)
                add(b, " %s", rs_pdu_result_name(pdu.bind_ack.results[r].result));
            break;
        case RS_PTYPE_BIND_NAK:
            add(b, "  %s", rs_pdu_reject_reason_name(pdu.bind_nak.provider_reject_reason));
            break;
        default:
            break;
        }
        /* Only the order that is not the usual one is named, with the label's bytes, so that a
         * byte-order lesson can point at the drep that makes the receiver convert. */
        if (pdu.endian == RS_BE)
            add(b, "  big-endian (drep %02x %02x %02x %02x)", pdu.hdr.drep[0], pdu.hdr.drep[1],
                pdu.hdr.drep[2], pdu.hdr.drep[3]);
    }
    if (e->kind == RS_TRACE_PDU_RECEIVED && se->pair != SIM_NONE)
        add(b, "  from step %zu", se->pair + 1);
    (void)tl;
}

/* A fault's code: from its PDU when it carries one, else the first 0x... in its text. */
static bool fault_code(const rs_trace_event *e, uint32_t *code)
{
    rs_buf in;
    rs_pdu pdu;
    rs_buf_view(&in, e->bytes, e->bytes_len);
    if (e->bytes_len > 0 && rs_pdu_decode(&in, &pdu) == RS_OK && pdu.hdr.ptype == RS_PTYPE_FAULT) {
        *code = pdu.fault.status;
        return true;
    }
    const char *hex = strstr(e->text, "0x");
    if (hex == NULL)
        return false;
    char *end;
    unsigned long v = strtoul(hex + 2, &end, 16);
    if (end == hex + 2 || v > UINT32_MAX)
        return false;
    *code = (uint32_t)v;
    return true;
}

static void add_call(sb *b, const rs_trace_event *e)
{
    if (e->interface[0] || e->procedure[0])
        add(b, "%s%s%s", e->interface, e->interface[0] && e->procedure[0] ? "." : "",
            e->procedure);
    else
        add(b, "-");
    if (e->kind != RS_TRACE_PROCEDURE_ENTER && e->kind != RS_TRACE_PROCEDURE_RETURN)
        add(b, "  opnum %u", e->opnum);
    if (e->call_id != 0)
        add(b, "  call %" PRIu32, e->call_id);
}

size_t sim_text_event(const sim_timeline *tl, size_t i, const sim_text_options *o, char *out,
                      size_t size)
{
    sim_text_options def = sim_text_default_options();
    if (o == NULL)
        o = &def;
    sb b = {out, size, 0};
    if (size > 0)
        out[0] = '\0';
    const sim_event *se = sim_timeline_at(tl, i);
    if (se == NULL)
        return 0;
    const rs_trace_event *e = &se->ev;
    rs_trace_layer layer = e->layer != 0 ? e->layer : rs_trace_kind_layer(e->kind);
    add(&b, "%4zu %-9s %-11s %-10s ", i + 1, sim_timeline_process_name(tl, i),
        rs_trace_layer_name(layer), sim_kind_verb(e->kind));
    if (o->times)
        add(&b, "@%" PRIu64 ".%09" PRIu64 "s  ", e->time_ns / 1000000000u,
            e->time_ns % 1000000000u);
    switch (e->kind) {
    case RS_TRACE_CALL_BEGIN:
    case RS_TRACE_CALL_END:
    case RS_TRACE_DISPATCH:
    case RS_TRACE_PROCEDURE_ENTER:
    case RS_TRACE_PROCEDURE_RETURN:
        add_call(&b, e);
        if (e->text[0])
            add(&b, "  %s", e->text);
        break;
    case RS_TRACE_PARAM_READ:
    case RS_TRACE_PARAM_WRITTEN:
        add_param(&b, e, o);
        break;
    case RS_TRACE_NDR_PUT:
    case RS_TRACE_NDR_GET:
    case RS_TRACE_NDR_CONVERT:
        add_ndr(&b, tl, i);
        break;
    case RS_TRACE_PDU_BUILT:
    case RS_TRACE_PDU_SENT:
    case RS_TRACE_PDU_RECEIVED:
    case RS_TRACE_PDU_REASSEMBLED:
        add_pdu(&b, tl, se);
        if (e->text[0])
            add(&b, "  %s", e->text);
        break;
    case RS_TRACE_FAULT: {
        uint32_t code;
        if (fault_code(e, &code)) {
            const char *name = rs_fault_name(code);
            add(&b, "%s (0x%08" PRIx32 "): %s", name != NULL ? name : "unknown fault", code,
                rs_fault_message(code));
            if (e->text[0])
                add(&b, "  %s", e->text);
        } else {
            add(&b, "%s", e->text[0] ? e->text : "-");
        }
        break;
    }
    default:
        if (e->interface[0])
            add(&b, "%s  ", e->interface);
        add(&b, "%s", e->text[0] ? e->text : "-");
        break;
    }
    if (o->addresses && e->address != 0 && e->kind != RS_TRACE_PARAM_READ &&
        e->kind != RS_TRACE_PARAM_WRITTEN)
        add(&b, "  at 0x%" PRIx64, e->address);
    /* Trailing blanks never: the columns above pad with spaces only before more text. */
    while (b.len > 0 && out[b.len - 1] == ' ')
        out[--b.len] = '\0';
    return b.len;
}

/* ---- narration ------------------------------------------------------------------------------- */

static size_t utf8_width(const char *s, size_t n)
{
    size_t w = 0;
    for (size_t i = 0; i < n; i++)
        if (((unsigned char)s[i] & 0xC0) != 0x80)
            w++;
    return w;
}

/* One paragraph [s, s + n), wrapped: its first line indented by first_indent and started with
 * first_prefix (if any), the others indented by indent. */
static void wrap_paragraph(FILE *f, const char *s, size_t n, unsigned first_indent, unsigned indent,
                           unsigned width, const char *first_prefix)
{
    size_t room = width > indent + 20 ? width - indent : 20;
    size_t col = 0;
    bool line_open = false;
    size_t i = 0;
    while (i < n) {
        while (i < n && s[i] == ' ')
            i++;
        size_t start = i;
        while (i < n && s[i] != ' ')
            i++;
        if (start == i)
            break;
        size_t w = utf8_width(s + start, i - start);
        if (line_open && col + 1 + w > room) {
            fputc('\n', f);
            line_open = false;
        }
        if (!line_open) {
            fprintf(f, "%*s", (int)(first_prefix != NULL ? first_indent : indent), "");
            if (first_prefix != NULL) {
                fputs(first_prefix, f);
                first_prefix = NULL;
            }
            col = 0;
            line_open = true;
        } else {
            fputc(' ', f);
            col++;
        }
        fwrite(s + start, 1, i - start, f);
        col += w;
    }
    if (line_open)
        fputc('\n', f);
}

void sim_text_wrap(FILE *f, const char *text, unsigned indent, const sim_text_options *o)
{
    unsigned width = o != NULL && o->width != 0 ? o->width : SIM_TEXT_WIDTH;
    const char *s = text;
    bool first = true;
    while (*s) {
        const char *nl = strchr(s, '\n');
        size_t n = nl != NULL ? (size_t)(nl - s) : strlen(s);
        if (!first)
            fputc('\n', f);
        wrap_paragraph(f, s, n, indent, indent, width, NULL);
        first = false;
        s += n + (nl != NULL ? 1 : 0);
    }
}

void sim_text_question(FILE *f, const sim_question *q, bool answer, const sim_text_options *o)
{
    unsigned width = o != NULL && o->width != 0 ? o->width : SIM_TEXT_WIDTH;
    /* the question's first line follows "? "; the rest is wrapped under it */
    char *copy = strdup(q->text);
    if (copy == NULL)
        return;
    for (char *c = copy; *c; c++)
        if (*c == '\n')
            *c = ' ';
    wrap_paragraph(f, copy, strlen(copy), SIM_TEXT_INDENT, SIM_TEXT_INDENT + 2, width, "? ");
    free(copy);
    for (size_t a = 0; a < q->answer_count; a++) {
        char prefix[8];
        snprintf(prefix, sizeof prefix, "%c) ", (char)('a' + a));
        wrap_paragraph(f, q->answers[a], strlen(q->answers[a]), SIM_TEXT_INDENT + 4,
                       SIM_TEXT_INDENT + 7, width, prefix);
    }
    if (answer)
        fprintf(f, "%*sanswer: %c) %s\n", SIM_TEXT_INDENT, "", (char)('a' + q->right),
                q->answers[q->right]);
    fflush(f);
}

void sim_text_print(FILE *f, const sim_timeline *tl, size_t i, const sim_cues *cues,
                    const sim_text_options *o)
{
    const sim_event *se = sim_timeline_at(tl, i);
    if (se == NULL)
        return;
    if (se->missing > 0)
        fprintf(f, "     -- %s: %" PRIu64 " event%s lost here (seq %" PRIu64 "..%" PRIu64 ")\n",
                sim_timeline_process_name(tl, i), se->missing, se->missing == 1 ? "" : "s",
                se->ev.seq - se->missing, se->ev.seq - 1);
    char line[SIM_TEXT_LINE_MAX];
    sim_text_event(tl, i, o, line, sizeof line);
    fprintf(f, "%s\n", line);
    if (cues != NULL) {
        const sim_narration *say[8];
        size_t n = sim_cues_narrations(cues, i, say, 8);
        for (size_t k = 0; k < n && k < 8; k++)
            sim_text_wrap(f, say[k]->text, SIM_TEXT_INDENT, o);
    }
}
