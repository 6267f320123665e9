/* uuid.c -- UUID text and wire forms. See uuid.h. */
#include "uuid.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

const rs_syntax_id rs_ndr_syntax = {
    .uuid = {0x8a885d04, 0x1ceb, 0x11c9, {0x9f, 0xe8}, {0x08, 0x00, 0x2b, 0x10, 0x48, 0x60}},
    .major = 2,
    .minor = 0,
};

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Reads 2*n hex digits from text into bytes[n]; false on a non-hex character. */
static bool parse_hex(const char *text, uint8_t *bytes, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        int hi = hex_value(text[2 * i]), lo = hex_value(text[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return false;
        bytes[i] = (uint8_t)(hi << 4 | lo);
    }
    return true;
}

rs_status rs_uuid_parse(const char *text, rs_uuid *out)
{
    /* Groups of 8-4-4-4-12 hex digits at these offsets, dashes at 8, 13, 18, 23. */
    uint8_t raw[16];
    if (text == NULL || out == NULL || strlen(text) != 36)
        return RS_ERR_BAD_UUID;
    if (text[8] != '-' || text[13] != '-' || text[18] != '-' || text[23] != '-')
        return RS_ERR_BAD_UUID;
    if (!parse_hex(text, raw, 4) || !parse_hex(text + 9, raw + 4, 2) ||
        !parse_hex(text + 14, raw + 6, 2) || !parse_hex(text + 19, raw + 8, 2) ||
        !parse_hex(text + 24, raw + 10, 6))
        return RS_ERR_BAD_UUID;
    out->time_low = rs_load_u32(raw, RS_BE);
    out->time_mid = rs_load_u16(raw + 4, RS_BE);
    out->time_hi_and_version = rs_load_u16(raw + 6, RS_BE);
    memcpy(out->clock_seq, raw + 8, 2);
    memcpy(out->node, raw + 10, 6);
    return RS_OK;
}

void rs_uuid_format(const rs_uuid *u, char out[RS_UUID_STRLEN])
{
    snprintf(out, RS_UUID_STRLEN, "%08x-%04x-%04x-%02x%02x-%02x%02x%02x%02x%02x%02x",
             (unsigned)u->time_low, (unsigned)u->time_mid, (unsigned)u->time_hi_and_version,
             u->clock_seq[0], u->clock_seq[1], u->node[0], u->node[1], u->node[2], u->node[3],
             u->node[4], u->node[5]);
}

int rs_uuid_compare(const rs_uuid *a, const rs_uuid *b)
{
    if (a->time_low != b->time_low)
        return a->time_low < b->time_low ? -1 : 1;
    if (a->time_mid != b->time_mid)
        return a->time_mid < b->time_mid ? -1 : 1;
    if (a->time_hi_and_version != b->time_hi_and_version)
        return a->time_hi_and_version < b->time_hi_and_version ? -1 : 1;
    int c = memcmp(a->clock_seq, b->clock_seq, sizeof a->clock_seq);
    if (c != 0)
        return c < 0 ? -1 : 1;
    c = memcmp(a->node, b->node, sizeof a->node);
    return c < 0 ? -1 : c > 0 ? 1 : 0;
}

bool rs_uuid_is_nil(const rs_uuid *u)
{
    static const rs_uuid nil;
    return rs_uuid_compare(u, &nil) == 0;
}

rs_status rs_uuid_generate(rs_uuid *u)
{
    uint8_t raw[16];
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return RS_ERR_UNSUPPORTED;
    size_t got = 0;
    while (got < sizeof raw) {
        ssize_t n = read(fd, raw + got, sizeof raw - got);
        if (n <= 0) {
            close(fd);
            return RS_ERR_UNSUPPORTED;
        }
        got += (size_t)n;
    }
    close(fd);
    raw[6] = (uint8_t)((raw[6] & 0x0F) | 0x40); /* version 4: random */
    raw[8] = (uint8_t)((raw[8] & 0x3F) | 0x80); /* variant 10x: RFC 4122 / DCE */
    u->time_low = rs_load_u32(raw, RS_BE);
    u->time_mid = rs_load_u16(raw + 4, RS_BE);
    u->time_hi_and_version = rs_load_u16(raw + 6, RS_BE);
    memcpy(u->clock_seq, raw + 8, 2);
    memcpy(u->node, raw + 10, 6);
    return RS_OK;
}

rs_status rs_uuid_put(rs_buf *b, rs_endian e, const rs_uuid *u)
{
    uint8_t *p;
    rs_status st = rs_buf_extend(b, RS_UUID_WIRE_SIZE, &p);
    if (st != RS_OK)
        return st;
    rs_store_u32(p, e, u->time_low);
    rs_store_u16(p + 4, e, u->time_mid);
    rs_store_u16(p + 6, e, u->time_hi_and_version);
    memcpy(p + 8, u->clock_seq, 2);
    memcpy(p + 10, u->node, 6);
    return RS_OK;
}

rs_status rs_uuid_get(rs_buf *b, rs_endian e, rs_uuid *u)
{
    const uint8_t *p;
    rs_status st = rs_buf_get_ptr(b, RS_UUID_WIRE_SIZE, &p);
    if (st != RS_OK)
        return st;
    u->time_low = rs_load_u32(p, e);
    u->time_mid = rs_load_u16(p + 4, e);
    u->time_hi_and_version = rs_load_u16(p + 6, e);
    memcpy(u->clock_seq, p + 8, 2);
    memcpy(u->node, p + 10, 6);
    return RS_OK;
}

rs_status rs_syntax_put(rs_buf *b, rs_endian e, const rs_syntax_id *s)
{
    rs_status st = rs_uuid_put(b, e, &s->uuid);
    if (st != RS_OK)
        return st;
    return rs_buf_put_u32(b, e, (uint32_t)s->major | (uint32_t)s->minor << 16);
}

rs_status rs_syntax_get(rs_buf *b, rs_endian e, rs_syntax_id *s)
{
    uint32_t version;
    rs_status st = rs_buf_need(b, RS_SYNTAX_WIRE_SIZE);
    if (st == RS_OK)
        st = rs_uuid_get(b, e, &s->uuid);
    if (st == RS_OK)
        st = rs_buf_get_u32(b, e, &version);
    if (st != RS_OK)
        return st;
    s->major = (uint16_t)(version & 0xFFFF);
    s->minor = (uint16_t)(version >> 16);
    return RS_OK;
}

bool rs_syntax_equal(const rs_syntax_id *a, const rs_syntax_id *b)
{
    return rs_uuid_compare(&a->uuid, &b->uuid) == 0 && a->major == b->major && a->minor == b->minor;
}
