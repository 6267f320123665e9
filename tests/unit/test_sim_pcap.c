/* test_sim_pcap.c -- the pcap writer: file structure, checksums, sequence numbers, and (where
 * tshark is installed) Wireshark's own verdict that every frame is DCE/RPC and none is malformed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "pcap.h"

/* The 72-byte bind of the endpoint mapper (C706 / MS-RPCE), call id 1. */
static const uint8_t epm_bind[72] = {
    0x05, 0x00, 0x0b, 0x03, 0x10, 0x00, 0x00, 0x00, 0x48, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,
    0xb8, 0x10, 0xb8, 0x10, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00,
    0x08, 0x83, 0xaf, 0xe1, 0x1f, 0x5d, 0xc9, 0x11, 0x91, 0xa4, 0x08, 0x00, 0x2b, 0x14, 0xa0, 0xfa,
    0x03, 0x00, 0x00, 0x00, 0x04, 0x5d, 0x88, 0x8a, 0xeb, 0x1c, 0xc9, 0x11, 0x9f, 0xe8, 0x08, 0x00,
    0x2b, 0x10, 0x48, 0x60, 0x02, 0x00, 0x00, 0x00,
};

/* Its bind_ack: max frags 4280, assoc group 0x12345, sec_addr "135" (4 bytes with the NUL, then
 * 2 pad bytes to offset 32), one result: acceptance of NDR v2. 60 bytes. */
static const uint8_t epm_bind_ack[60] = {
    0x05, 0x00, 0x0c, 0x03, 0x10, 0x00, 0x00, 0x00, 0x3c, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,
    0xb8, 0x10, 0xb8, 0x10, 0x45, 0x23, 0x01, 0x00, 0x04, 0x00, 0x31, 0x33, 0x35, 0x00, 0x00, 0x00,
    0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x5d, 0x88, 0x8a, 0xeb, 0x1c, 0xc9, 0x11,
    0x9f, 0xe8, 0x08, 0x00, 0x2b, 0x10, 0x48, 0x60, 0x02, 0x00, 0x00, 0x00,
};

#define LOOPBACK 0x7f000001u

static void write_capture(const char *path)
{
    sim_pcap *p;
    rs_error err = {0};
    sim_endpoint client = {LOOPBACK, 53122}, server = {LOOPBACK, 4747};
    assert_int_equal(sim_pcap_open(path, &p, &err), RS_OK);
    int flow = sim_pcap_flow(p, &client, &server, 1700000000000000000ull);
    assert_int_equal(flow, 0);
    assert_int_equal(sim_pcap_send(p, flow, true, epm_bind, sizeof epm_bind, 1700000000001000000ull, &err), RS_OK);
    assert_int_equal(sim_pcap_send(p, flow, false, epm_bind_ack, sizeof epm_bind_ack, 1700000000002000000ull, &err),
                     RS_OK);
    assert_int_equal(sim_pcap_close(p, &err), RS_OK);
}

static uint8_t *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    uint8_t *data = malloc(1 << 16);
    assert_non_null(data);
    *len = fread(data, 1, 1 << 16, f);
    fclose(f);
    return data;
}

static uint16_t be16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static uint32_t be32(const uint8_t *p) { return (uint32_t)be16(p) << 16 | be16(p + 2); }
static uint32_t le32(const uint8_t *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24; }

static uint16_t checksum(const uint8_t *p, size_t len, uint32_t sum)
{
    for (size_t i = 0; i + 1 < len; i += 2)
        sum += be16(p + i);
    if (len % 2)
        sum += (uint32_t)p[len - 1] << 8;
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)sum;
}

/* Walks every record: IPv4 and TCP checksums verify (a correct sum folds to 0xffff), the
 * payloads in order are the two PDUs, and each side's sequence numbers advance by what it sent. */
static void test_structure_and_checksums(void **state)
{
    (void)state;
    char path[64];
    snprintf(path, sizeof path, "/tmp/test-sim-pcap-%d.pcap", (int)getpid());
    write_capture(path);
    size_t len;
    uint8_t *d = slurp(path, &len);
    assert_true(len > 24);
    assert_int_equal(le32(d), 0xa1b2c3d4);  /* magic, little-endian file */
    assert_int_equal(le32(d + 20), 1);      /* link type: Ethernet */

    size_t at = 24, frames = 0, payload_at = 0;
    uint8_t payload[200];
    uint32_t next_seq[2] = {0, 0};
    while (at < len) {
        uint32_t incl = le32(d + at + 8);
        const uint8_t *eth = d + at + 16, *ip = eth + 14, *tcp = ip + 20;
        assert_int_equal(be16(eth + 12), 0x0800);
        assert_int_equal(checksum(ip, 20, 0), 0xffff);
        size_t tcp_len = be16(ip + 2) - 20;
        uint32_t pseudo = (be32(ip + 12) >> 16) + (be32(ip + 12) & 0xffff) + (be32(ip + 16) >> 16) +
                          (be32(ip + 16) & 0xffff) + 6 + (uint32_t)tcp_len;
        assert_int_equal(checksum(tcp, tcp_len, pseudo), 0xffff);
        int from = be16(tcp) == 4747; /* 0: client, 1: server */
        uint32_t seq = be32(tcp + 4);
        if (next_seq[from] != 0)
            assert_int_equal(seq, next_seq[from]);
        size_t data = tcp_len - 20;
        uint8_t flags = tcp[13];
        next_seq[from] = seq + (uint32_t)data + ((flags & 0x03) ? 1 : 0);
        assert_true(payload_at + data <= sizeof payload);
        memcpy(payload + payload_at, tcp + 20, data);
        payload_at += data;
        at += 16 + incl;
        frames++;
    }
    assert_int_equal(at, len);
    assert_int_equal(frames, 3 + 2 + 2 + 3); /* handshake, two PDUs each ACKed, FIN/FIN/ACK */
    assert_int_equal(payload_at, sizeof epm_bind + sizeof epm_bind_ack);
    assert_memory_equal(payload, epm_bind, sizeof epm_bind);
    assert_memory_equal(payload + sizeof epm_bind, epm_bind_ack, sizeof epm_bind_ack);
    free(d);
    unlink(path);
}

/* Wireshark is the judge: both PDUs dissect as DCE/RPC and no frame is marked malformed. */
static void test_tshark_decodes_dcerpc(void **state)
{
    (void)state;
    if (system("command -v tshark >/dev/null 2>&1") != 0) {
        print_message("tshark is not installed: skipping its verdict\n");
        skip();
    }
    char path[64], cmd[256], line[256];
    snprintf(path, sizeof path, "/tmp/test-sim-pcap-ts-%d.pcap", (int)getpid());
    write_capture(path);
    snprintf(cmd, sizeof cmd, "tshark -r %s -T fields -e dcerpc.pkt_type -e _ws.malformed 2>/dev/null", path);
    FILE *out = popen(cmd, "r");
    assert_non_null(out);
    int dcerpc = 0, malformed = 0;
    while (fgets(line, sizeof line, out) != NULL) {
        int type;
        if (sscanf(line, "%d", &type) == 1)
            dcerpc++;
        if (strchr(line, '\t') != NULL && strchr(line, '\t')[1] != '\n' && strchr(line, '\t')[1] != '\0')
            malformed++;
    }
    assert_int_equal(pclose(out), 0);
    unlink(path);
    assert_int_equal(dcerpc, 2);
    assert_int_equal(malformed, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_structure_and_checksums),
        cmocka_unit_test(test_tshark_decodes_dcerpc),
    };
    return cmocka_run_group_tests_name("sim_pcap", tests, NULL, NULL);
}
