/* trace_format.c -- the trace's event names and its stream format (trace.h draws it): the
 * preamble, the records, the release a simulator sends back. Pure functions of their buffers,
 * shared by the runtimes that write the stream and the simulator that reads it. */
#include "trace.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

_Static_assert(RS_TRACE_RECORD_MIN == 65, "trace.h documents the smallest record as 65 bytes");
_Static_assert(RS_TRACE_FIXED_SIZE - RS_TRACE_LENGTH_SIZE +
                       RS_TRACE_STRING_COUNT * (2 + RS_TRACE_STRING_MAX) + 1 + 4 +
                       RS_TRACE_BYTES_MAX <= RS_TRACE_RECORD_MAX,
               "the largest record an encoder writes is one every reader accepts");

#define PREAMBLE_MAGIC "RSTR"
#define PREAMBLE_MAGIC_SIZE 4

/* ---- names ----------------------------------------------------------------------------------- */

struct kind_info {
    const char *name;
    rs_trace_layer layer;
    const char *text;
};

static const struct kind_info kinds[RS_TRACE_KIND_COUNT] = {
#define RS_TRACE_KIND_INFO(name, layer, text)                                                       \
    [RS_TRACE_##name] = {#name, RS_TRACE_LAYER_##layer, text},
    RS_TRACE_KIND_TABLE(RS_TRACE_KIND_INFO)
#undef RS_TRACE_KIND_INFO
};

static const char *const layer_names[] = {
    [RS_TRACE_LAYER_APPLICATION] = "application",
    [RS_TRACE_LAYER_STUB] = "stub",
    [RS_TRACE_LAYER_RUNTIME] = "runtime",
    [RS_TRACE_LAYER_TRANSPORT] = "transport",
};
#define LAYER_LAST RS_TRACE_LAYER_TRANSPORT

static const char *const role_names[] = {
    [RS_TRACE_ROLE_CLIENT] = "client",
    [RS_TRACE_ROLE_SERVER] = "server",
};
#define ROLE_LAST RS_TRACE_ROLE_SERVER

static bool kind_valid(unsigned k)
{
    return k > RS_TRACE_KIND_NONE && k < RS_TRACE_KIND_COUNT;
}

static bool layer_valid(unsigned l)
{
    return l >= RS_TRACE_LAYER_APPLICATION && l <= LAYER_LAST;
}

/* 0 is allowed: an event reported outside any call, by a thread that set no role. */
static bool role_valid(unsigned r)
{
    return r <= ROLE_LAST;
}

const char *rs_trace_kind_name(rs_trace_kind k)
{
    return kind_valid((unsigned)k) ? kinds[k].name : "?";
}

const char *rs_trace_kind_text(rs_trace_kind k)
{
    return kind_valid((unsigned)k) ? kinds[k].text : "?";
}

rs_trace_layer rs_trace_kind_layer(rs_trace_kind k)
{
    return kind_valid((unsigned)k) ? kinds[k].layer : (rs_trace_layer)0;
}

const char *rs_trace_layer_name(rs_trace_layer l)
{
    return layer_valid((unsigned)l) ? layer_names[l] : "?";
}

const char *rs_trace_role_name(rs_trace_role r)
{
    return (unsigned)r >= RS_TRACE_ROLE_CLIENT && (unsigned)r <= ROLE_LAST ? role_names[r] : "?";
}

/* ---- the stream format ----------------------------------------------------------------------- */

rs_status rs_trace_put_preamble(rs_buf *out)
{
    uint8_t *p;
    rs_status st = rs_buf_extend(out, RS_TRACE_PREAMBLE_SIZE, &p);
    if (st != RS_OK)
        return st;
    /* 4 bytes of a binary header, never a C string. NOLINTNEXTLINE(bugprone-not-null-terminated-result) */
    memcpy(p, PREAMBLE_MAGIC, PREAMBLE_MAGIC_SIZE);
    rs_store_u16(p + 4, RS_LE, RS_TRACE_VERSION);
    rs_store_u16(p + 6, RS_LE, 0); /* reserved */
    return RS_OK;
}

rs_status rs_trace_read_preamble(rs_buf *in, unsigned *version)
{
    size_t left = rs_buf_remaining(in);
    if (left < RS_TRACE_PREAMBLE_SIZE)
        return rs_buf_fail(in, RS_ERR_TRUNCATED,
                           "trace: a stream begins with an %d-byte preamble; only %zu bytes at "
                           "offset 0x%zx",
                           RS_TRACE_PREAMBLE_SIZE, left, in->pos);
    const uint8_t *p = in->data + in->pos;
    if (memcmp(p, PREAMBLE_MAGIC, PREAMBLE_MAGIC_SIZE) != 0)
        return rs_buf_fail(in, RS_ERR_PROTOCOL,
                           "trace: the stream begins with %02x %02x %02x %02x, not \"RSTR\": it "
                           "is not an rpcscope trace",
                           p[0], p[1], p[2], p[3]);
    unsigned v = rs_load_u16(p + 4, RS_LE), reserved = rs_load_u16(p + 6, RS_LE);
    if (v < RS_TRACE_VERSION_MIN || v > RS_TRACE_VERSION)
        return rs_buf_fail(in, RS_ERR_VERSION,
                           "trace: the stream is in format version %u; this reader knows "
                           "versions %d to %d",
                           v, RS_TRACE_VERSION_MIN, RS_TRACE_VERSION);
    if (reserved != 0)
        return rs_buf_fail(in, RS_ERR_PROTOCOL,
                           "trace: the preamble's reserved field is 0x%04x; version %u has 0 there",
                           reserved, v);
    in->pos += RS_TRACE_PREAMBLE_SIZE;
    *version = v;
    return RS_OK;
}

rs_status rs_trace_get_preamble(rs_buf *in)
{
    unsigned version;
    return rs_trace_read_preamble(in, &version);
}

void rs_trace_put_release(uint8_t out[RS_TRACE_RELEASE_SIZE], uint64_t seq, rs_trace_verdict v)
{
    rs_store_u64(out, RS_LE, seq);
    rs_store_u16(out + 8, RS_LE, (uint16_t)v.kind);
    rs_store_u16(out + 10, RS_LE, 0); /* reserved */
    rs_store_u32(out + 12, RS_LE, v.kind == RS_TRACE_DELAY ? v.ms : 0);
}

rs_status rs_trace_get_release(const uint8_t in[RS_TRACE_RELEASE_SIZE], uint64_t *seq,
                               rs_trace_verdict *v, char *why, size_t why_size)
{
    *seq = rs_load_u64(in, RS_LE);
    unsigned kind = rs_load_u16(in + 8, RS_LE), reserved = rs_load_u16(in + 10, RS_LE);
    uint32_t arg = rs_load_u32(in + 12, RS_LE);
    const char *bad = NULL;
    if (kind > RS_TRACE_VERDICT_LAST)
        bad = "an unknown verdict";
    else if (reserved != 0)
        bad = "a nonzero reserved field";
    else if (kind == RS_TRACE_DELAY ? arg == 0 || arg > RS_TRACE_DELAY_MAX_MS : arg != 0)
        bad = "an argument out of range for its verdict";
    if (bad != NULL) {
        snprintf(why, why_size, "the release of seq %" PRIu64 " has %s (verdict %u, arg %" PRIu32
                 ")", *seq, bad, kind, arg);
        return RS_ERR_PROTOCOL;
    }
    *v = (rs_trace_verdict){.kind = (rs_trace_verdict_kind)kind, .ms = arg};
    return RS_OK;
}

static void copy_word(char *dst, const char *from, const char *to)
{
    size_t n = (size_t)(to - from);
    if (n >= RS_TRACE_ENDPOINT_MAX)
        n = RS_TRACE_ENDPOINT_MAX - 1;
    memcpy(dst, from, n);
    dst[n] = '\0';
}

bool rs_trace_endpoints(const rs_trace_event *ev, char local[RS_TRACE_ENDPOINT_MAX],
                        char peer[RS_TRACE_ENDPOINT_MAX])
{
    local[0] = peer[0] = '\0';
    const char *text = ev->text != NULL ? ev->text : "";
    const char *arrow = strstr(text, " -> ");
    if (arrow == NULL)
        arrow = strstr(text, " <- ");
    if (arrow == NULL)
        return false;
    const char *a = arrow;
    while (a > text && a[-1] != ' ')
        a--;
    const char *b = arrow + 4, *b_end = b;
    while (*b_end != '\0' && *b_end != ' ' && *b_end != ',' && *b_end != ';')
        b_end++;
    if (a == arrow || b == b_end)
        return false;
    copy_word(local, a, arrow);
    copy_word(peer, b, b_end);
    return true;
}

bool rs_trace_endpoint_has_port(const char *end)
{
    const char *colon = strrchr(end, ':');
    if (colon == NULL || colon[1] == '\0')
        return false;
    for (const char *c = colon + 1; *c != '\0'; c++)
        if (*c < '0' || *c > '9')
            return false;
    return true;
}

/* The bytes of `s` an encoder writes: all of it, or the first RS_TRACE_STRING_MAX cut back to the
 * start of a UTF-8 character, so that a cut never leaves half a character behind. */
static size_t string_cut(const char *s)
{
    if (s == NULL)
        return 0;
    size_t n = strnlen(s, RS_TRACE_STRING_MAX + 1);
    if (n <= RS_TRACE_STRING_MAX)
        return n;
    n = RS_TRACE_STRING_MAX;
    while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80) /* s[n] continues a character */
        n--;
    return n;
}

rs_status rs_trace_encode(const rs_trace_event *ev, rs_buf *out)
{
    unsigned layer = ev->layer != 0 ? (unsigned)ev->layer : (unsigned)rs_trace_kind_layer(ev->kind);
    if (!kind_valid((unsigned)ev->kind))
        return rs_buf_fail(out, RS_ERR_INVALID_ARG,
                           "trace: cannot encode kind %u: it is not in the table",
                           (unsigned)ev->kind);
    if (!layer_valid(layer))
        return rs_buf_fail(out, RS_ERR_INVALID_ARG, "trace: cannot encode layer %u", layer);
    if (!role_valid((unsigned)ev->role))
        return rs_buf_fail(out, RS_ERR_INVALID_ARG, "trace: cannot encode role %u",
                           (unsigned)ev->role);
    if (ev->flags & ~RS_TRACE_FLAGS_KNOWN)
        return rs_buf_fail(out, RS_ERR_INVALID_ARG, "trace: cannot encode flags 0x%02x",
                           (unsigned)ev->flags);
    if (ev->bytes_len > 0 && ev->bytes == NULL)
        return rs_buf_fail(out, RS_ERR_INVALID_ARG, "trace: %zu bytes at NULL", ev->bytes_len);

    const char *strs[RS_TRACE_STRING_COUNT] = {ev->interface, ev->procedure, ev->name,
                                               ev->ndr_type, ev->c_type, ev->text};
    size_t lens[RS_TRACE_STRING_COUNT];
    size_t length = RS_TRACE_FIXED_SIZE - RS_TRACE_LENGTH_SIZE;
    for (int i = 0; i < RS_TRACE_STRING_COUNT; i++) {
        lens[i] = string_cut(strs[i]);
        length += 2 + lens[i];
    }
    uint8_t flags = ev->flags;
    size_t n = ev->bytes_len;
    if (n > RS_TRACE_BYTES_MAX) {
        n = RS_TRACE_BYTES_MAX;
        flags |= RS_TRACE_FLAG_TRUNCATED;
    }
    length += 1 + 4 + n; /* at most RS_TRACE_RECORD_MAX: see the _Static_assert above */

    uint8_t *p;
    rs_status st = rs_buf_extend(out, RS_TRACE_LENGTH_SIZE + length, &p);
    if (st != RS_OK)
        return st;
    rs_store_u32(p + 0, RS_LE, (uint32_t)length);
    rs_store_u16(p + 4, RS_LE, (uint16_t)ev->kind);
    p[6] = (uint8_t)layer;
    p[7] = (uint8_t)ev->role;
    rs_store_u32(p + 8, RS_LE, ev->pid);
    rs_store_u64(p + 12, RS_LE, ev->seq);
    rs_store_u64(p + 20, RS_LE, ev->time_ns);
    rs_store_u32(p + 28, RS_LE, ev->call_id);
    rs_store_u16(p + 32, RS_LE, ev->opnum);
    p[34] = ev->ndr_role;
    p[35] = ev->ptype;
    rs_store_u32(p + 36, RS_LE, ev->offset);
    rs_store_u32(p + 40, RS_LE, ev->length);
    rs_store_u64(p + 44, RS_LE, ev->address);
    p += RS_TRACE_FIXED_SIZE;
    for (int i = 0; i < RS_TRACE_STRING_COUNT; i++) {
        rs_store_u16(p, RS_LE, (uint16_t)lens[i]);
        if (lens[i] > 0)
            memcpy(p + 2, strs[i], lens[i]);
        p += 2 + lens[i];
    }
    p[0] = flags;
    rs_store_u32(p + 1, RS_LE, (uint32_t)n);
    if (n > 0)
        memcpy(p + 5, ev->bytes, n);
    return RS_OK;
}

static const char *const string_fields[RS_TRACE_STRING_COUNT] = {
    "interface", "procedure", "name", "ndr_type", "c_type", "text",
};

rs_status rs_trace_decode(rs_buf *in, rs_trace_event *ev, char *strings)
{
    if (ev == NULL || strings == NULL)
        return rs_buf_fail(in, RS_ERR_INVALID_ARG, "trace: decode needs an event and a scratch");
    size_t at = in->pos, left = rs_buf_remaining(in);
    if (left < RS_TRACE_LENGTH_SIZE)
        return rs_buf_fail(in, RS_ERR_TRUNCATED,
                           "trace: a record begins with its %d-byte length; only %zu bytes at "
                           "offset 0x%zx",
                           RS_TRACE_LENGTH_SIZE, left, at);
    const uint8_t *p = in->data + at;
    uint32_t length = rs_load_u32(p, RS_LE);
    /* Judged before waiting for the bytes: a lying length never makes a reader wait or allocate. */
    if (length < RS_TRACE_RECORD_MIN || length > RS_TRACE_RECORD_MAX)
        return rs_buf_fail(in, RS_ERR_PROTOCOL,
                           "trace: the record at offset 0x%zx has length %" PRIu32
                           ", outside %d..%u",
                           at, length, RS_TRACE_RECORD_MIN, RS_TRACE_RECORD_MAX);
    if (left - RS_TRACE_LENGTH_SIZE < length)
        return rs_buf_fail(in, RS_ERR_TRUNCATED,
                           "trace: the record at offset 0x%zx needs %" PRIu32
                           " bytes after its length; only %zu are here",
                           at, length, left - RS_TRACE_LENGTH_SIZE);

    rs_trace_event e = {
        .kind = (rs_trace_kind)rs_load_u16(p + 4, RS_LE),
        .layer = (rs_trace_layer)p[6],
        .role = (rs_trace_role)p[7],
        .pid = rs_load_u32(p + 8, RS_LE),
        .seq = rs_load_u64(p + 12, RS_LE),
        .time_ns = rs_load_u64(p + 20, RS_LE),
        .call_id = rs_load_u32(p + 28, RS_LE),
        .opnum = rs_load_u16(p + 32, RS_LE),
        .ndr_role = p[34],
        .ptype = p[35],
        .offset = rs_load_u32(p + 36, RS_LE),
        .length = rs_load_u32(p + 40, RS_LE),
        .address = rs_load_u64(p + 44, RS_LE),
    };
    if (!kind_valid((unsigned)e.kind))
        return rs_buf_fail(in, RS_ERR_PROTOCOL,
                           "trace: the record at offset 0x%zx has kind %u, which this reader does "
                           "not know",
                           at, (unsigned)e.kind);
    if (!layer_valid((unsigned)e.layer))
        return rs_buf_fail(in, RS_ERR_PROTOCOL,
                           "trace: the record at offset 0x%zx has layer %u, not 1..%d", at,
                           (unsigned)e.layer, LAYER_LAST);
    if (!role_valid((unsigned)e.role))
        return rs_buf_fail(in, RS_ERR_PROTOCOL,
                           "trace: the record at offset 0x%zx has role %u, not 0..%d", at,
                           (unsigned)e.role, ROLE_LAST);

    /* The variable part, read through a view bounded by the record: nothing can run past it. */
    rs_buf rec;
    rs_buf_view(&rec, p + RS_TRACE_LENGTH_SIZE, length);
    rec.pos = RS_TRACE_FIXED_SIZE - RS_TRACE_LENGTH_SIZE;
    const char **dst[RS_TRACE_STRING_COUNT] = {&e.interface, &e.procedure, &e.name,
                                               &e.ndr_type, &e.c_type, &e.text};
    for (int i = 0; i < RS_TRACE_STRING_COUNT; i++) {
        uint16_t n;
        const uint8_t *s;
        size_t field_at = at + RS_TRACE_LENGTH_SIZE + rec.pos;
        if (rs_buf_get_u16(&rec, RS_LE, &n) != RS_OK)
            return rs_buf_fail(in, RS_ERR_PROTOCOL,
                               "trace: the length of string %s at offset 0x%zx runs past the "
                               "record",
                               string_fields[i], field_at);
        if (n > RS_TRACE_STRING_MAX)
            return rs_buf_fail(in, RS_ERR_PROTOCOL,
                               "trace: string %s at offset 0x%zx is %u bytes long; at most %d "
                               "are allowed",
                               string_fields[i], field_at, (unsigned)n, RS_TRACE_STRING_MAX);
        if (rs_buf_get_ptr(&rec, n, &s) != RS_OK)
            return rs_buf_fail(in, RS_ERR_PROTOCOL,
                               "trace: string %s at offset 0x%zx announces %u bytes, but only %zu "
                               "are left in the record",
                               string_fields[i], field_at, (unsigned)n, rs_buf_remaining(&rec));
        if (n > 0 && memchr(s, '\0', n) != NULL)
            return rs_buf_fail(in, RS_ERR_PROTOCOL,
                               "trace: string %s at offset 0x%zx contains a NUL byte",
                               string_fields[i], field_at);
        char *copy = strings + (size_t)i * (RS_TRACE_STRING_MAX + 1);
        if (n > 0)
            memcpy(copy, s, n);
        copy[n] = '\0';
        *dst[i] = copy;
    }
    uint32_t n = 0;
    size_t flags_at = at + RS_TRACE_LENGTH_SIZE + rec.pos;
    if (rs_buf_get_u8(&rec, &e.flags) != RS_OK || rs_buf_get_u32(&rec, RS_LE, &n) != RS_OK)
        return rs_buf_fail(in, RS_ERR_PROTOCOL,
                           "trace: the flags and byte count at offset 0x%zx run past the record",
                           flags_at);
    if (e.flags & ~RS_TRACE_FLAGS_KNOWN)
        return rs_buf_fail(in, RS_ERR_PROTOCOL,
                           "trace: the record at offset 0x%zx has flags 0x%02x; this reader knows "
                           "only 0x%02x",
                           at, (unsigned)e.flags, RS_TRACE_FLAGS_KNOWN);
    if (n > RS_TRACE_BYTES_MAX)
        return rs_buf_fail(in, RS_ERR_PROTOCOL,
                           "trace: the record at offset 0x%zx carries %" PRIu32
                           " bytes; at most %u are allowed",
                           at, n, RS_TRACE_BYTES_MAX);
    if (rs_buf_get_ptr(&rec, n, &e.bytes) != RS_OK)
        return rs_buf_fail(in, RS_ERR_PROTOCOL,
                           "trace: the record at offset 0x%zx announces %" PRIu32
                           " bytes, but only %zu are left in it",
                           at, n, rs_buf_remaining(&rec));
    if (rs_buf_remaining(&rec) != 0)
        return rs_buf_fail(in, RS_ERR_PROTOCOL,
                           "trace: the record at offset 0x%zx has %zu bytes after its last field",
                           at, rs_buf_remaining(&rec));
    if (n == 0)
        e.bytes = NULL;
    e.bytes_len = n;
    *ev = e;
    in->pos = at + RS_TRACE_LENGTH_SIZE + length;
    return RS_OK;
}
