/* pcap.c -- PDUs framed as Ethernet / IPv4 / TCP in a classic pcap file. See pcap.h. */
#include "pcap.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

/* libpcap's classic file header and per-packet header (all fields in the writer's byte order,
 * which the magic number reveals; we write little-endian). */
#define PCAP_MAGIC 0xa1b2c3d4u
#define PCAP_VERSION_MAJOR 2
#define PCAP_VERSION_MINOR 4
#define PCAP_SNAPLEN 262144u
#define PCAP_LINKTYPE_ETHERNET 1u

#define ETH_HEADER 14
#define ETH_TYPE_IPV4 0x0800
#define IPV4_HEADER 20
#define IPV4_MAX_TOTAL 65535
#define IPV4_PROTO_TCP 6
#define IPV4_FLAG_DF 0x4000
#define TCP_HEADER 20
#define TCP_MAX_PAYLOAD (IPV4_MAX_TOTAL - IPV4_HEADER - TCP_HEADER)
#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_PSH 0x08
#define TCP_ACK 0x10
#define TCP_WINDOW 65535

/* Initial sequence numbers: arbitrary, distinct so a reader can tell the directions apart. */
#define CLIENT_ISN 0x10000000u
#define SERVER_ISN 0x20000000u

struct flow {
    sim_endpoint side[2]; /* 0 client, 1 server */
    uint32_t next_seq[2]; /* the sequence number of the next byte each side sends */
    bool open;
};

struct sim_pcap {
    FILE *f;
    uint16_t ip_id;
    uint64_t last_ns;
    bool write_failed;
    int flow_count;
    struct flow flows[SIM_PCAP_MAX_FLOWS];
};

static void put16be(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void put32be(uint8_t *p, uint32_t v)
{
    put16be(p, (uint16_t)(v >> 16));
    put16be(p + 2, (uint16_t)v);
}

static void put32le(uint8_t *p, uint32_t v)
{
    rs_store_u32(p, RS_LE, v);
}

/* The Internet checksum (RFC 1071) over `len` bytes, starting from a partial sum. */
static uint32_t sum16(uint32_t sum, const uint8_t *p, size_t len)
{
    for (size_t i = 0; i + 1 < len; i += 2)
        sum += (uint32_t)(p[i] << 8 | p[i + 1]);
    if (len % 2)
        sum += (uint32_t)(p[len - 1] << 8);
    return sum;
}

static uint16_t fold(uint32_t sum)
{
    while (sum >> 16)
        sum = (sum & 0xFFFF) + (sum >> 16);
    return (uint16_t)~sum;
}

static void write_bytes(sim_pcap *p, const void *data, size_t len)
{
    if (!p->write_failed && fwrite(data, 1, len, p->f) != len)
        p->write_failed = true;
}

/* One Ethernet frame carrying one TCP segment from side `from` of `fl`. */
static void write_segment(sim_pcap *p, struct flow *fl, int from, uint8_t flags, const uint8_t *data,
                          size_t len, uint64_t time_ns)
{
    uint8_t hdr[ETH_HEADER + IPV4_HEADER + TCP_HEADER];
    const sim_endpoint *src = &fl->side[from], *dst = &fl->side[!from];
    uint8_t *eth = hdr, *ip = hdr + ETH_HEADER, *tcp = ip + IPV4_HEADER;
    uint16_t total = (uint16_t)(IPV4_HEADER + TCP_HEADER + len);

    /* Ethernet: made-up MAC addresses 02:00:00:00:00:01 (client) and :02 (server). */
    memset(eth, 0, 12);
    eth[0] = eth[6] = 0x02;
    eth[5] = (uint8_t)(2 - from);
    eth[11] = (uint8_t)(1 + from);
    put16be(eth + 12, ETH_TYPE_IPV4);

    ip[0] = 0x45; /* version 4, header length 5 words */
    ip[1] = 0;
    put16be(ip + 2, total);
    put16be(ip + 4, p->ip_id++);
    put16be(ip + 6, IPV4_FLAG_DF);
    ip[8] = 64; /* TTL */
    ip[9] = IPV4_PROTO_TCP;
    put16be(ip + 10, 0);
    put32be(ip + 12, src->ip);
    put32be(ip + 16, dst->ip);
    put16be(ip + 10, fold(sum16(0, ip, IPV4_HEADER)));

    uint32_t seq = fl->next_seq[from];
    uint32_t ack = (flags & TCP_ACK) ? fl->next_seq[!from] : 0;
    put16be(tcp, src->port);
    put16be(tcp + 2, dst->port);
    put32be(tcp + 4, seq);
    put32be(tcp + 8, ack);
    tcp[12] = (TCP_HEADER / 4) << 4;
    tcp[13] = flags;
    put16be(tcp + 14, TCP_WINDOW);
    put16be(tcp + 16, 0);
    put16be(tcp + 18, 0);
    /* TCP checksum: pseudo-header (addresses, protocol, TCP length), header, data. */
    uint8_t pseudo[12];
    put32be(pseudo, src->ip);
    put32be(pseudo + 4, dst->ip);
    pseudo[8] = 0;
    pseudo[9] = IPV4_PROTO_TCP;
    put16be(pseudo + 10, (uint16_t)(TCP_HEADER + len));
    uint32_t sum = sum16(0, pseudo, sizeof pseudo);
    sum = sum16(sum, tcp, TCP_HEADER);
    sum = sum16(sum, data, len);
    put16be(tcp + 16, fold(sum));

    /* Timestamps never go backwards in the file, whatever the caller's clocks did. */
    if (time_ns < p->last_ns)
        time_ns = p->last_ns;
    p->last_ns = time_ns;
    uint8_t rec[16];
    uint32_t frame = (uint32_t)(sizeof hdr + len);
    put32le(rec, (uint32_t)(time_ns / 1000000000u));
    put32le(rec + 4, (uint32_t)(time_ns % 1000000000u / 1000u));
    put32le(rec + 8, frame);
    put32le(rec + 12, frame);
    write_bytes(p, rec, sizeof rec);
    write_bytes(p, hdr, sizeof hdr);
    if (len > 0)
        write_bytes(p, data, len);

    fl->next_seq[from] += (uint32_t)len + ((flags & (TCP_SYN | TCP_FIN)) ? 1u : 0u);
}

rs_status sim_pcap_open(const char *path, sim_pcap **out, rs_error *err)
{
    *out = NULL;
    sim_pcap *p = calloc(1, sizeof *p);
    if (p == NULL)
        return rs_error_set(err, RS_ERR_NOMEM, "pcap: out of memory");
    p->f = fopen(path, "wb");
    if (p->f == NULL) {
        rs_status st = rs_error_set(err, RS_ERR_IO, "pcap: cannot write %s: %s", path, strerror(errno));
        free(p);
        return st;
    }
    uint8_t h[24];
    put32le(h, PCAP_MAGIC);
    rs_store_u16(h + 4, RS_LE, PCAP_VERSION_MAJOR);
    rs_store_u16(h + 6, RS_LE, PCAP_VERSION_MINOR);
    put32le(h + 8, 0);  /* thiszone: timestamps are UTC */
    put32le(h + 12, 0); /* sigfigs */
    put32le(h + 16, PCAP_SNAPLEN);
    put32le(h + 20, PCAP_LINKTYPE_ETHERNET);
    write_bytes(p, h, sizeof h);
    *out = p;
    return RS_OK;
}

int sim_pcap_flow(sim_pcap *p, const sim_endpoint *client, const sim_endpoint *server, uint64_t time_ns)
{
    if (p->flow_count == SIM_PCAP_MAX_FLOWS)
        return -1;
    int n = p->flow_count++;
    struct flow *fl = &p->flows[n];
    fl->side[0] = *client;
    fl->side[1] = *server;
    fl->next_seq[0] = CLIENT_ISN + (uint32_t)n * 0x100000u;
    fl->next_seq[1] = SERVER_ISN + (uint32_t)n * 0x100000u;
    fl->open = true;
    write_segment(p, fl, 0, TCP_SYN, NULL, 0, time_ns); /* a SYN counts as one byte of sequence */
    write_segment(p, fl, 1, TCP_SYN | TCP_ACK, NULL, 0, time_ns);
    write_segment(p, fl, 0, TCP_ACK, NULL, 0, time_ns);
    return n;
}

rs_status sim_pcap_send(sim_pcap *p, int flow, bool from_client, const uint8_t *data, size_t len,
                        uint64_t time_ns, rs_error *err)
{
    if (flow < 0 || flow >= p->flow_count || !p->flows[flow].open)
        return rs_error_set(err, RS_ERR_INVALID_ARG, "pcap: no open flow %d", flow);
    struct flow *fl = &p->flows[flow];
    int from = from_client ? 0 : 1;
    while (len > 0) {
        size_t n = len > TCP_MAX_PAYLOAD ? TCP_MAX_PAYLOAD : len;
        write_segment(p, fl, from, TCP_ACK | TCP_PSH, data, n, time_ns);
        data += n;
        len -= n;
    }
    write_segment(p, fl, !from, TCP_ACK, NULL, 0, time_ns);
    if (p->write_failed)
        return rs_error_set(err, RS_ERR_IO, "pcap: write failed: %s", strerror(errno));
    return RS_OK;
}

rs_status sim_pcap_close(sim_pcap *p, rs_error *err)
{
    if (p == NULL)
        return RS_OK;
    for (int i = 0; i < p->flow_count; i++) {
        struct flow *fl = &p->flows[i];
        if (!fl->open)
            continue;
        write_segment(p, fl, 0, TCP_FIN | TCP_ACK, NULL, 0, p->last_ns);
        write_segment(p, fl, 1, TCP_FIN | TCP_ACK, NULL, 0, p->last_ns);
        write_segment(p, fl, 0, TCP_ACK, NULL, 0, p->last_ns);
        fl->open = false;
    }
    bool failed = p->write_failed;
    if (fclose(p->f) != 0)
        failed = true;
    free(p);
    if (failed)
        return rs_error_set(err, RS_ERR_IO, "pcap: writing the capture failed");
    return RS_OK;
}
