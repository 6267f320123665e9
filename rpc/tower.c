/* tower.c -- protocol towers as the endpoint mapper sends them (tower.h draws the bytes). */
#include "tower.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Floors 1 and 2: 0x0d, a UUID and the major version on the left; the minor version on the
 * right (C706 L.2: both sides little-endian). */
static rs_status put_syntax_floor(rs_buf *out, const rs_syntax_id *s)
{
    rs_status st = rs_buf_put_u16(out, RS_LE, 1 + 16 + 2);
    if (st == RS_OK)
        st = rs_buf_put_u8(out, RS_TOWER_UUID);
    if (st == RS_OK)
        st = rs_uuid_put(out, RS_LE, &s->uuid);
    if (st == RS_OK)
        st = rs_buf_put_u16(out, RS_LE, s->major);
    if (st == RS_OK)
        st = rs_buf_put_u16(out, RS_LE, 2);
    if (st == RS_OK)
        st = rs_buf_put_u16(out, RS_LE, s->minor);
    return st;
}

/* A floor whose left side is one protocol byte: its right side, `n` bytes, as they are. */
static rs_status put_floor(rs_buf *out, uint8_t protocol, const void *rhs, uint16_t n)
{
    rs_status st = rs_buf_put_u16(out, RS_LE, 1);
    if (st == RS_OK)
        st = rs_buf_put_u8(out, protocol);
    if (st == RS_OK)
        st = rs_buf_put_u16(out, RS_LE, n);
    if (st == RS_OK)
        st = rs_buf_put_bytes(out, rhs, n);
    return st;
}

rs_status rs_tower_encode(const rs_tower *t, rs_buf *out)
{
    bool tcp = t->protseq == RS_PROTSEQ_TCP;
    uint8_t port_be[2], ip_be[4];
    if (tcp) {
        char *end = NULL;
        unsigned long port = strtoul(t->endpoint, &end, 10);
        if (t->endpoint[0] == '\0' || *end != '\0' || port > 65535)
            return rs_buf_fail(out, RS_ERR_INVALID_ARG, "tower: TCP endpoint '%s' is not a port",
                               t->endpoint);
        port_be[0] = (uint8_t)(port >> 8);
        port_be[1] = (uint8_t)port;
        struct in_addr a;
        if (inet_pton(AF_INET, t->host[0] ? t->host : "0.0.0.0", &a) != 1)
            return rs_buf_fail(out, RS_ERR_INVALID_ARG,
                               "tower: host '%s' is not a dotted IPv4 address", t->host);
        memcpy(ip_be, &a.s_addr, 4); /* s_addr is in network order already */
    }
    size_t name_len = strlen(t->endpoint) + 1;
    if (!tcp && name_len > RS_BINDING_ENDPOINT_MAX)
        return rs_buf_fail(out, RS_ERR_INVALID_ARG, "tower: endpoint name too long");
    static const uint16_t ncacn_minor = 0; /* the floor carries the protocol's minor version */
    const uint8_t minor[2] = {(uint8_t)ncacn_minor, (uint8_t)(ncacn_minor >> 8)};
    rs_status st = rs_buf_put_u16(out, RS_LE, tcp ? 5 : 4);
    if (st == RS_OK)
        st = put_syntax_floor(out, &t->iface);
    if (st == RS_OK)
        st = put_syntax_floor(out, &t->transfer);
    if (st == RS_OK)
        st = put_floor(out, RS_TOWER_NCACN, minor, 2);
    if (st == RS_OK && tcp)
        st = put_floor(out, RS_TOWER_TCP, port_be, 2);
    if (st == RS_OK && tcp)
        st = put_floor(out, RS_TOWER_IP, ip_be, 4);
    if (st == RS_OK && !tcp)
        st = put_floor(out, RS_TOWER_NCALRPC, t->endpoint, (uint16_t)name_len);
    return st;
}

/* ---- decoding ---------------------------------------------------------------------------------- */

typedef struct floor {
    const uint8_t *lhs, *rhs;
    uint16_t lhs_len, rhs_len;
} floor;

static rs_status get_floor(rs_buf *in, floor *f)
{
    rs_status st = rs_buf_get_u16(in, RS_LE, &f->lhs_len);
    if (st == RS_OK)
        st = rs_buf_get_ptr(in, f->lhs_len, &f->lhs);
    if (st == RS_OK)
        st = rs_buf_get_u16(in, RS_LE, &f->rhs_len);
    if (st == RS_OK)
        st = rs_buf_get_ptr(in, f->rhs_len, &f->rhs);
    return st;
}

static rs_status get_syntax(const floor *f, rs_syntax_id *s, rs_error *err, int n)
{
    if (f->lhs_len != 19 || f->lhs[0] != RS_TOWER_UUID || f->rhs_len != 2)
        return rs_error_set(err, RS_ERR_PROTOCOL,
                            "tower: floor %d is not a syntax (0x0d, UUID, version)", n);
    rs_buf u;
    rs_buf_view(&u, f->lhs + 1, 16);
    if (rs_uuid_get(&u, RS_LE, &s->uuid) != RS_OK)
        return rs_error_set(err, RS_ERR_PROTOCOL, "tower: floor %d: bad UUID", n);
    s->major = (uint16_t)(f->lhs[17] | f->lhs[18] << 8);
    s->minor = (uint16_t)(f->rhs[0] | f->rhs[1] << 8);
    return RS_OK;
}

/* A character a string binding's endpoint can carry: printable, and none of the characters that
 * delimit the binding's parts. */
static bool endpoint_char(uint8_t c)
{
    return c > ' ' && c < 0x7f && strchr("[],@:\\\"", c) == NULL;
}

/* A right side that is a name: NUL-terminated, no NUL before, fits `size`, and usable as an
 * endpoint (a name that is not cannot be connected to here, and could not be written back). */
static rs_status get_name(const floor *f, char *out, size_t size, rs_error *err)
{
    if (f->rhs_len == 0 || f->rhs_len > size || f->rhs[f->rhs_len - 1] != '\0' ||
        memchr(f->rhs, '\0', f->rhs_len) != f->rhs + f->rhs_len - 1)
        return rs_error_set(err, RS_ERR_PROTOCOL, "tower: a name of %u bytes is not one string",
                            f->rhs_len);
    for (uint16_t i = 0; i + 1 < f->rhs_len; i++)
        if (!endpoint_char(f->rhs[i]))
            return rs_error_set(err, RS_ERR_PROTOCOL,
                                "tower: byte 0x%02x at %u of a local name is not one an endpoint "
                                "can have", f->rhs[i], i);
    memcpy(out, f->rhs, f->rhs_len);
    return RS_OK;
}

static bool is_protocol(const floor *f, uint8_t id)
{
    return f->lhs_len == 1 && f->lhs[0] == id;
}

rs_status rs_tower_decode(const uint8_t *data, size_t len, rs_tower *t, rs_error *err)
{
    memset(t, 0, sizeof *t);
    if (len > RS_TOWER_MAX)
        return rs_error_set(err, RS_ERR_PROTOCOL, "tower: %zu bytes, more than %d", len,
                            RS_TOWER_MAX);
    rs_buf in;
    rs_buf_view(&in, data, len);
    uint16_t count = 0;
    floor f[RS_TOWER_MAX_FLOORS];
    if (rs_buf_get_u16(&in, RS_LE, &count) != RS_OK)
        return rs_error_set(err, RS_ERR_PROTOCOL, "tower: no floor count");
    if (count < 4 || count > RS_TOWER_MAX_FLOORS)
        return rs_error_set(err, RS_ERR_PROTOCOL, "tower: %u floors; a tower here has 4 or 5",
                            count);
    for (uint16_t i = 0; i < count; i++)
        if (get_floor(&in, &f[i]) != RS_OK)
            return rs_error_set(err, RS_ERR_PROTOCOL, "tower: floor %u passes the end (%s)",
                                i + 1u, rs_buf_error(&in));
    rs_status st = get_syntax(&f[0], &t->iface, err, 1);
    if (st == RS_OK)
        st = get_syntax(&f[1], &t->transfer, err, 2);
    if (st != RS_OK)
        return st;
    if (!is_protocol(&f[2], RS_TOWER_NCACN))
        return rs_error_set(err, RS_ERR_PROTOCOL,
                            "tower: floor 3 is not ncacn (connection-oriented RPC)");
    if (is_protocol(&f[3], RS_TOWER_TCP) && count == 5 && is_protocol(&f[4], RS_TOWER_IP) &&
        f[3].rhs_len == 2 && f[4].rhs_len == 4) {
        t->protseq = RS_PROTSEQ_TCP;
        snprintf(t->endpoint, sizeof t->endpoint, "%u", (unsigned)(f[3].rhs[0] << 8 | f[3].rhs[1]));
        snprintf(t->host, sizeof t->host, "%u.%u.%u.%u", f[4].rhs[0], f[4].rhs[1], f[4].rhs[2],
                 f[4].rhs[3]);
        return RS_OK;
    }
    if (is_protocol(&f[3], RS_TOWER_NCALRPC) && count == 4) {
        t->protseq = RS_PROTSEQ_LRPC;
        return get_name(&f[3], t->endpoint, sizeof t->endpoint, err);
    }
    return rs_error_set(err, RS_ERR_PROTOCOL,
                        "tower: floors 4-5 are neither TCP/IP nor ncalrpc (protocol 0x%02x)",
                        f[3].lhs_len > 0 ? f[3].lhs[0] : 0);
}

rs_status rs_tower_binding(const rs_tower *t, char *out, size_t size)
{
    int n = t->protseq == RS_PROTSEQ_TCP
                ? snprintf(out, size, "ncacn_ip_tcp:%s[%s]", t->host, t->endpoint)
                : snprintf(out, size, "ncalrpc:[%s]", t->endpoint);
    return n >= 0 && (size_t)n < size ? RS_OK : RS_ERR_LIMIT;
}

rs_status rs_tower_from_binding(const rs_binding *b, const rs_syntax_id *iface, rs_tower *t,
                                rs_error *err)
{
    memset(t, 0, sizeof *t);
    t->iface = *iface;
    t->transfer = rs_ndr_syntax;
    t->protseq = b->protseq;
    snprintf(t->endpoint, sizeof t->endpoint, "%s", b->endpoint);
    if (b->protseq == RS_PROTSEQ_TCP) {
        const char *h = b->host[0] == '\0' || strcmp(b->host, "localhost") == 0 ? "127.0.0.1"
                                                                                  : b->host;
        struct in_addr a;
        if (inet_pton(AF_INET, h, &a) != 1)
            return rs_error_set(err, RS_ERR_INVALID_ARG,
                                "tower: host '%s' is not a dotted IPv4 address", b->host);
        snprintf(t->host, sizeof t->host, "%s", h);
    }
    return RS_OK;
}
