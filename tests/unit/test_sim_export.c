/* test_sim_export.c -- what a session exports: Chrome trace-event JSON (valid JSON, as Python's
 * parser judges it when there is one; strings escaped; calls as spans; a flow arrow per paired
 * PDU) and the pcap (each PDU on the connection its CONNECT/ACCEPT events name, or on loopback
 * with the binding's port; and, where tshark is installed, dissected as DCE/RPC). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "capture.h"
#include "chrome_trace.h"

/* The endpoint mapper's bind and bind_ack (as in test_sim_pcap.c), call id 1. */
static const uint8_t bind_pdu[72] = {
    0x05, 0x00, 0x0b, 0x03, 0x10, 0x00, 0x00, 0x00, 0x48, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,
    0xb8, 0x10, 0xb8, 0x10, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00,
    0x08, 0x83, 0xaf, 0xe1, 0x1f, 0x5d, 0xc9, 0x11, 0x91, 0xa4, 0x08, 0x00, 0x2b, 0x14, 0xa0, 0xfa,
    0x03, 0x00, 0x00, 0x00, 0x04, 0x5d, 0x88, 0x8a, 0xeb, 0x1c, 0xc9, 0x11, 0x9f, 0xe8, 0x08, 0x00,
    0x2b, 0x10, 0x48, 0x60, 0x02, 0x00, 0x00, 0x00,
};
static const uint8_t ack_pdu[60] = {
    0x05, 0x00, 0x0c, 0x03, 0x10, 0x00, 0x00, 0x00, 0x3c, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,
    0xb8, 0x10, 0xb8, 0x10, 0x45, 0x23, 0x01, 0x00, 0x04, 0x00, 0x31, 0x33, 0x35, 0x00, 0x00, 0x00,
    0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x5d, 0x88, 0x8a, 0xeb, 0x1c, 0xc9, 0x11,
    0x9f, 0xe8, 0x08, 0x00, 0x2b, 0x10, 0x48, 0x60, 0x02, 0x00, 0x00, 0x00,
};

#define CLIENT 10
#define SERVER 20

static uint64_t seqs[2];

static void add(sim_timeline *tl, rs_trace_event e)
{
    e.seq = ++seqs[e.pid == SERVER];
    rs_error err = {0};
    assert_int_equal(sim_timeline_add(tl, &e, 0, &err), RS_OK);
}

/* A call: connect, bind, bind_ack, the procedure; `with_addresses` says whether the transport
 * events name their endpoints. */
static sim_timeline *session(bool with_addresses)
{
    seqs[0] = seqs[1] = 0;
    sim_timeline *tl;
    assert_int_equal(sim_timeline_create(NULL, &tl), RS_OK);
    const rs_trace_role C = RS_TRACE_ROLE_CLIENT, S = RS_TRACE_ROLE_SERVER;
    add(tl, (rs_trace_event){.kind = RS_TRACE_LISTEN, .role = S, .pid = SERVER,
                             .text = "ncacn_ip_tcp:127.0.0.1[4747]"});
    add(tl, (rs_trace_event){.kind = RS_TRACE_CALL_BEGIN, .role = C, .pid = CLIENT,
                             .procedure = "HelloProc",
                             .text = "a \"quoted\" \\ text\twith\ncontrols \xff and \xc3\xa9"});
    add(tl, (rs_trace_event){.kind = RS_TRACE_CONNECT, .role = C, .pid = CLIENT,
                             .text = with_addresses ? "10.0.0.1:50001 -> 10.0.0.2:4747" : "x"});
    add(tl, (rs_trace_event){.kind = RS_TRACE_ACCEPT, .role = S, .pid = SERVER,
                             .text = with_addresses ? "10.0.0.2:4747 <- 10.0.0.1:50001" : "y"});
    add(tl, (rs_trace_event){.kind = RS_TRACE_PDU_SENT, .role = C, .pid = CLIENT, .ptype = 11,
                             .bytes = bind_pdu, .bytes_len = sizeof bind_pdu});
    add(tl, (rs_trace_event){.kind = RS_TRACE_PDU_RECEIVED, .role = S, .pid = SERVER, .ptype = 11,
                             .bytes = bind_pdu, .bytes_len = sizeof bind_pdu});
    add(tl, (rs_trace_event){.kind = RS_TRACE_PROCEDURE_ENTER, .role = S, .pid = SERVER,
                             .procedure = "HelloProc"});
    add(tl, (rs_trace_event){.kind = RS_TRACE_PROCEDURE_RETURN, .role = S, .pid = SERVER,
                             .procedure = "HelloProc"});
    add(tl, (rs_trace_event){.kind = RS_TRACE_PDU_SENT, .role = S, .pid = SERVER, .ptype = 12,
                             .bytes = ack_pdu, .bytes_len = sizeof ack_pdu});
    add(tl, (rs_trace_event){.kind = RS_TRACE_PDU_RECEIVED, .role = C, .pid = CLIENT, .ptype = 12,
                             .bytes = ack_pdu, .bytes_len = sizeof ack_pdu});
    add(tl, (rs_trace_event){.kind = RS_TRACE_CALL_END, .role = C, .pid = CLIENT,
                             .procedure = "HelloProc", .text = "ok"});
    return tl;
}

static char *json_of(void (*fn)(FILE *, const void *), const void *arg)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    fn(f, arg);
    fclose(f);
    return buf;
}

static void print_string(FILE *f, const void *s)
{
    sim_json_string(f, s);
}

static void test_json_escaping(void **state)
{
    (void)state;
    char *s = json_of(print_string, "a\"b\\c\n\t\x01 \xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \xff "
                                    "\xc3 \xed\xa0\x80 \xc0\xaf");
    assert_string_equal(s, "\"a\\\"b\\\\c\\u000a\\u0009\\u0001 \xc3\xa9 \xe2\x82\xac "
                           "\xf0\x9f\x98\x80 \\ufffd \\ufffd \\ufffd\\ufffd\\ufffd "
                           "\\ufffd\\ufffd\"");
    free(s);
}

static void print_trace(FILE *f, const void *tl)
{
    sim_chrome_trace_print(f, tl);
}

static bool have_python(void)
{
    return system("command -v python3 >/dev/null 2>&1") == 0;
}

static void test_chrome_trace(void **state)
{
    (void)state;
    sim_timeline *tl = session(true);
    char *json = json_of(print_trace, tl);
    /* calls and procedures are spans; the paired PDUs have arrows with one id per pair */
    assert_non_null(strstr(json, "{\"ph\":\"X\",\"name\":\"call HelloProc\","
                                 "\"cat\":\"application\","
                                 "\"pid\":2,\"tid\":1,\"ts\":20,\"dur\":94,"));
    assert_non_null(strstr(json, "{\"ph\":\"X\",\"name\":\"enter HelloProc\","
                                 "\"cat\":\"application\","
                                 "\"pid\":1,\"tid\":1,\"ts\":70,\"dur\":14,"));
    assert_non_null(strstr(json, "{\"ph\":\"s\",\"name\":\"send bind\",\"cat\":\"transport\","
                                 "\"pid\":2,\"tid\":4,\"ts\":51,\"id\":5}"));
    assert_non_null(strstr(json, "{\"ph\":\"f\",\"name\":\"receive bind\",\"cat\":\"transport\","
                                 "\"pid\":1,\"tid\":4,\"ts\":61,\"id\":5,\"bp\":\"e\"}"));
    assert_non_null(strstr(json, "\"args\":{\"name\":\"client\"}"));
    assert_non_null(strstr(json, "\\\"quoted\\\" \\\\ text\\u0009with\\u000acontrols \\ufffd"));
    /* Python's JSON parser is the judge, where there is one. */
    if (have_python()) {
        char path[64], cmd[160];
        snprintf(path, sizeof path, "/tmp/test-sim-export-%d.json", (int)getpid());
        rs_error err = {0};
        assert_int_equal(sim_chrome_trace_write(tl, path, &err), RS_OK);
        snprintf(cmd, sizeof cmd, "python3 -m json.tool %s >/dev/null", path);
        assert_int_equal(system(cmd), 0);
        unlink(path);
    } else {
        /* a structural check: brackets balance outside strings */
        int depth = 0;
        bool in_string = false;
        for (const char *c = json; *c; c++) {
            if (in_string) {
                if (*c == '\\')
                    c++;
                else if (*c == '"')
                    in_string = false;
            } else if (*c == '"') {
                in_string = true;
            } else if (*c == '{' || *c == '[') {
                depth++;
            } else if (*c == '}' || *c == ']') {
                depth--;
                assert_true(depth >= 0);
            }
        }
        assert_int_equal(depth, 0);
    }
    rs_error err = {0};
    assert_int_equal(sim_chrome_trace_write(tl, "/nonexistent/x.json", &err), RS_ERR_IO);
    free(json);
    sim_timeline_destroy(tl);
}

/* Reads a pcap back: each TCP payload's (source port, destination port, first byte). */
typedef struct segment {
    uint32_t src_ip, dst_ip;
    uint16_t src, dst;
    size_t len;
} segment;

static size_t read_pcap(const char *path, segment *out, size_t max)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    uint8_t *d = malloc(1 << 16);
    size_t len = fread(d, 1, 1 << 16, f);
    fclose(f);
    size_t at = 24, n = 0;
    while (at + 16 <= len) {
        uint32_t incl = rs_load_u32(d + at + 8, RS_LE);
        const uint8_t *ip = d + at + 16 + 14, *tcp = ip + 20;
        size_t payload = rs_load_u16(ip + 2, RS_BE) - 40;
        if (payload > 0 && n < max)
            out[n++] = (segment){rs_load_u32(ip + 12, RS_BE), rs_load_u32(ip + 16, RS_BE),
                                 rs_load_u16(tcp, RS_BE), rs_load_u16(tcp + 2, RS_BE), payload};
        at += 16 + incl;
    }
    free(d);
    return n;
}

static void test_pcap_on_the_real_connection(void **state)
{
    (void)state;
    char path[64];
    snprintf(path, sizeof path, "/tmp/test-sim-export-%d.pcap", (int)getpid());
    sim_timeline *tl = session(true);
    rs_error err = {0};
    size_t pdus = 0;
    assert_int_equal(sim_capture_write(tl, NULL, path, &pdus, &err), RS_OK);
    assert_int_equal(pdus, 2);
    segment s[8];
    assert_int_equal(read_pcap(path, s, 8), 2);
    assert_int_equal(s[0].src_ip, 0x0a000001);
    assert_int_equal(s[0].dst_ip, 0x0a000002);
    assert_int_equal(s[0].src, 50001);
    assert_int_equal(s[0].dst, 4747);
    assert_int_equal(s[0].len, sizeof bind_pdu);
    assert_int_equal(s[1].src, 4747);
    assert_int_equal(s[1].dst, 50001);
    assert_int_equal(s[1].len, sizeof ack_pdu);
    if (system("command -v tshark >/dev/null 2>&1") == 0) {
        char cmd[256], line[256];
        snprintf(cmd, sizeof cmd, "tshark -r %s -T fields -e dcerpc.pkt_type -e _ws.malformed "
                                  "2>/dev/null",
                 path);
        FILE *out = popen(cmd, "r");
        int dcerpc = 0, malformed = 0;
        while (fgets(line, sizeof line, out) != NULL) {
            if (line[0] >= '0' && line[0] <= '9')
                dcerpc++;
            if (strchr(line, '\t') != NULL && strchr(line, '\t')[1] != '\n')
                malformed++;
        }
        pclose(out);
        assert_int_equal(dcerpc, 2);
        assert_int_equal(malformed, 0);
    }
    unlink(path);
    sim_timeline_destroy(tl);
}

/* Without endpoints in the events: loopback, the LISTEN binding's port, a port per client. */
static void test_pcap_fallback(void **state)
{
    (void)state;
    char path[64];
    snprintf(path, sizeof path, "/tmp/test-sim-export-fb-%d.pcap", (int)getpid());
    sim_timeline *tl = session(false);
    rs_error err = {0};
    assert_int_equal(sim_capture_write(tl, NULL, path, NULL, &err), RS_OK);
    segment s[8];
    assert_int_equal(read_pcap(path, s, 8), 2);
    assert_int_equal(s[0].src_ip, 0x7f000001);
    assert_int_equal(s[0].dst, 4747);
    assert_int_equal(s[0].src, SIM_CAPTURE_CLIENT_PORT_BASE + 2); /* the client is process 2 */
    assert_int_equal(s[1].src, 4747);
    assert_int_equal(s[1].dst, SIM_CAPTURE_CLIENT_PORT_BASE + 2);
    /* a binding given wins over the default when the events say nothing */
    sim_timeline *empty;
    assert_int_equal(sim_timeline_create(NULL, &empty), RS_OK);
    assert_int_equal(sim_capture_write(empty, "ncacn_ip_tcp:127.0.0.1[9999]", path, NULL, &err),
                     RS_OK);
    sim_timeline_destroy(empty);
    assert_int_equal(sim_capture_write(tl, NULL, "/nonexistent/x.pcap", NULL, &err), RS_ERR_IO);
    unlink(path);
    sim_timeline_destroy(tl);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_json_escaping),
        cmocka_unit_test(test_chrome_trace),
        cmocka_unit_test(test_pcap_on_the_real_connection),
        cmocka_unit_test(test_pcap_fallback),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
