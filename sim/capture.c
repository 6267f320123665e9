/* capture.c -- which connection each PDU went on, and the pcap of them. See capture.h. */
#include "capture.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "binding.h"
#include "pcap.h"
#include "pdu.h"

#define LOOPBACK 0x7f000001u

struct flow {
    sim_endpoint client, server;
    int id; /* pcap's flow number */
};

struct capture {
    sim_pcap *pcap;
    struct flow flows[SIM_PCAP_MAX_FLOWS];
    size_t flow_count;
    size_t *current;   /* per process: its connection (an index into flows), SIZE_MAX: none */
    uint16_t server_port;
    size_t left_out;
};

/* A decimal from 0 to `max` at *s (digits only: no sign, no space) followed by `stop`, which is
 * passed over. Not sscanf(): its %u is undefined for a number that does not fit. */
static bool take_decimal(const char **s, unsigned long max, char stop, unsigned long *out)
{
    const char *p = *s;
    if (*p < '0' || *p > '9')
        return false;
    char *end;
    errno = 0;
    unsigned long v = strtoul(p, &end, 10);
    if (errno != 0 || v > max || *end != stop)
        return false;
    *out = v;
    *s = stop != '\0' ? end + 1 : end;
    return true;
}

/* "A.B.C.D:PORT" -> an endpoint. False for anything else (IPv6, a socket name). */
static bool parse_ipv4(const char *s, sim_endpoint *ep)
{
    unsigned long a, b, c, d, port;
    if (!take_decimal(&s, 255, '.', &a) || !take_decimal(&s, 255, '.', &b) ||
        !take_decimal(&s, 255, '.', &c) || !take_decimal(&s, 255, ':', &d) ||
        !take_decimal(&s, 65535, '\0', &port))
        return false;
    ep->ip = (uint32_t)(a << 24 | b << 16 | c << 8 | d);
    ep->port = (uint16_t)port;
    return true;
}

static uint64_t time_of(size_t index)
{
    return SIM_CAPTURE_EPOCH_NS + (uint64_t)(index + 1) * 1000000u;
}

static size_t flow_get(struct capture *c, const sim_endpoint *client, const sim_endpoint *server,
                       uint64_t t)
{
    for (size_t i = 0; i < c->flow_count; i++)
        if (c->flows[i].client.ip == client->ip && c->flows[i].client.port == client->port &&
            c->flows[i].server.ip == server->ip && c->flows[i].server.port == server->port)
            return i;
    if (c->flow_count == SIM_PCAP_MAX_FLOWS)
        return SIZE_MAX;
    int id = sim_pcap_flow(c->pcap, client, server, t);
    if (id < 0)
        return SIZE_MAX;
    c->flows[c->flow_count] = (struct flow){*client, *server, id};
    return c->flow_count++;
}

/* The event's connection from its "LOCAL -> PEER" text; `client_side` says which end is local. */
static size_t flow_from_text(struct capture *c, const rs_trace_event *e, bool client_side,
                             uint64_t t)
{
    char local[RS_TRACE_ENDPOINT_MAX], peer[RS_TRACE_ENDPOINT_MAX];
    sim_endpoint l, p;
    if (!rs_trace_endpoints(e, local, peer) || !parse_ipv4(local, &l) || !parse_ipv4(peer, &p))
        return SIZE_MAX;
    return client_side ? flow_get(c, &l, &p, t) : flow_get(c, &p, &l, t);
}

/* Loopback, the server's port, and a port per client process. */
static size_t flow_synthetic(struct capture *c, const sim_process *client, uint64_t t)
{
    sim_endpoint cl = {LOOPBACK, (uint16_t)(SIM_CAPTURE_CLIENT_PORT_BASE +
                                            (client != NULL ? client->order : 0))};
    sim_endpoint sv = {LOOPBACK, c->server_port};
    return flow_get(c, &cl, &sv, t);
}

/* Is process p (or, when its role is unknown, this PDU's type) the client side? */
static bool is_client(const sim_process *p, const rs_trace_event *e)
{
    rs_trace_role r = p->role != 0 ? p->role : e->role;
    if (r != 0)
        return r == RS_TRACE_ROLE_CLIENT;
    switch (e->ptype) {
    case RS_PTYPE_REQUEST:
    case RS_PTYPE_BIND:
    case RS_PTYPE_ALTER_CONTEXT:
    case RS_PTYPE_AUTH3:
    case RS_PTYPE_CO_CANCEL:
    case RS_PTYPE_ORPHANED:
        return true;
    default:
        return false;
    }
}

/* The port in a binding text found in s ("... ncacn_ip_tcp:127.0.0.1[4747] ..."), or 0. */
static uint16_t binding_port(const char *s)
{
    if (s == NULL)
        return 0;
    const char *b = strstr(s, "ncacn_ip_tcp:");
    if (b == NULL)
        return 0;
    char text[RS_BINDING_STRLEN];
    size_t n = 0;
    while (b[n] != '\0' && b[n] != ' ' && n + 1 < sizeof text) {
        text[n] = b[n];
        n++;
    }
    text[n] = '\0';
    rs_binding bd;
    unsigned port;
    if (rs_binding_parse(text, &bd) != RS_OK || rs_binding_port(&bd, &port) != RS_OK || port == 0)
        return 0;
    return (uint16_t)port;
}

rs_status sim_capture_write(const sim_timeline *tl, const char *binding, const char *path,
                            size_t *pdus, rs_error *err)
{
    struct capture c = {0};
    size_t procs = sim_timeline_process_count(tl), count = sim_timeline_count(tl), written = 0;
    if (pdus != NULL)
        *pdus = 0;
    c.current = malloc((procs + 1) * sizeof *c.current);
    if (c.current == NULL)
        return rs_error_set(err, RS_ERR_NOMEM, "pcap: out of memory");
    for (size_t p = 0; p < procs; p++)
        c.current[p] = SIZE_MAX;
    c.server_port = binding_port(binding);
    for (size_t i = 0; i < count && c.server_port == 0; i++) {
        const sim_event *e = sim_timeline_at(tl, i);
        if (e->ev.kind == RS_TRACE_LISTEN)
            c.server_port = binding_port(e->ev.text);
    }
    if (c.server_port == 0)
        c.server_port = SIM_CAPTURE_DEFAULT_PORT;
    rs_status st = sim_pcap_open(path, &c.pcap, err);
    if (st != RS_OK) {
        free(c.current);
        return st;
    }
    for (size_t i = 0; i < count; i++) {
        const sim_event *se = sim_timeline_at(tl, i);
        const rs_trace_event *e = &se->ev;
        const sim_process *p = sim_timeline_process(tl, se->process);
        uint64_t t = time_of(i);
        if (e->kind == RS_TRACE_CONNECT || e->kind == RS_TRACE_ACCEPT) {
            size_t f = flow_from_text(&c, e, e->kind == RS_TRACE_CONNECT, t);
            if (f != SIZE_MAX)
                c.current[se->process] = f;
            continue;
        }
        if (e->kind != RS_TRACE_PDU_SENT || e->bytes_len == 0)
            continue;
        bool from_client = is_client(p, e);
        size_t f = flow_from_text(&c, e, from_client, t);
        if (f == SIZE_MAX && from_client)
            f = c.current[se->process];
        if (f == SIZE_MAX && !from_client && se->pair != SIM_NONE)
            f = c.current[sim_timeline_at(tl, se->pair)->process];
        if (f == SIZE_MAX && !from_client)
            f = c.current[se->process];
        if (f == SIZE_MAX) {
            const sim_process *client = from_client ? p
                                        : se->pair != SIM_NONE
                                            ? sim_timeline_process(
                                                  tl, sim_timeline_at(tl, se->pair)->process)
                                            : NULL;
            f = flow_synthetic(&c, client, t);
            if (f != SIZE_MAX && from_client)
                c.current[se->process] = f;
        }
        if (f == SIZE_MAX) {
            c.left_out++;
            continue;
        }
        st = sim_pcap_send(c.pcap, c.flows[f].id, from_client, e->bytes, e->bytes_len, t, err);
        if (st != RS_OK)
            break;
        written++;
    }
    rs_error close_err = {0};
    rs_status cst = sim_pcap_close(c.pcap, &close_err);
    free(c.current);
    if (pdus != NULL)
        *pdus = written;
    if (st != RS_OK)
        return st;
    if (cst != RS_OK)
        return rs_error_set(err, cst, "%s: %s", path, close_err.message);
    if (c.left_out > 0)
        return rs_error_set(err, RS_ERR_LIMIT,
                            "%s: %zu PDUs on connections past the first %d were left out", path,
                            c.left_out, SIM_PCAP_MAX_FLOWS);
    return RS_OK;
}
