/* test_transport.c -- real sockets on loopback: whole PDUs, peers that close or stall, ncalrpc.
 *
 * PDUs are returned as views into the connection's read-ahead buffer: checked byte for byte for
 * PDUs of every size up to the largest (65,535 bytes) arriving in pieces of every size, cut at
 * every place, several in one read, and one PDU straddling two reads.
 *
 * Bad input tried: a peer that closes between PDUs, inside a header, inside a body; half a header
 * and silence; frag_length below 16 and above the limit; a header of another protocol version; a
 * refused connection; a socket name already in use and a stale socket file.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

#include "transport.h"

/* A shutdown PDU (PTYPE 17) of 20 bytes: header and 4 bytes of body, call id 7. */
static const uint8_t pdu20[20] = {
    0x05, 0x00,             /* rpc_vers 5, rpc_vers_minor 0 */
    0x11,                   /* PTYPE shutdown */
    0x03,                   /* pfc_flags FIRST_FRAG | LAST_FRAG */
    0x10, 0x00, 0x00, 0x00, /* drep: little-endian, ASCII, IEEE */
    0x14, 0x00,             /* frag_length 20 */
    0x00, 0x00,             /* auth_length 0 */
    0x07, 0x00, 0x00, 0x00, /* call_id 7 */
    0xde, 0xad, 0xbe, 0xef, /* body */
};

static int64_t in_ms(int ms) { return rs_clock_ns() + ms * RS_NS_PER_MS; }

/* A listener on a free loopback port and a connected pair: *client and *server. */
static void tcp_pair(rs_listener **l, rs_conn **client, rs_conn **server)
{
    rs_binding b;
    rs_error err = {0};
    assert_int_equal(rs_binding_parse("ncacn_ip_tcp:127.0.0.1[0]", &b), RS_OK);
    assert_int_equal(rs_listener_open(&b, l, &err), RS_OK);
    assert_int_equal(rs_binding_parse(rs_listener_binding(*l), &b), RS_OK);
    assert_int_equal(rs_conn_connect(&b, in_ms(2000), client, &err), RS_OK);
    assert_int_equal(rs_listener_accept(*l, in_ms(2000), server, &err), RS_OK);
}

static void test_tcp_whole_pdus(void **state)
{
    (void)state;
    rs_listener *l;
    rs_conn *c, *s;
    rs_error err = {0};
    rs_buf in;
    tcp_pair(&l, &c, &s);
    unsigned port;
    rs_binding b;
    assert_int_equal(rs_binding_parse(rs_listener_binding(l), &b), RS_OK);
    assert_int_equal(rs_binding_port(&b, &port), RS_OK);
    assert_true(port > 0);
    assert_memory_equal(rs_conn_peer(s), "127.0.0.1:", 10);

    /* Two PDUs in one write come out as two PDUs. */
    uint8_t two[40];
    memcpy(two, pdu20, 20);
    memcpy(two + 20, pdu20, 20);
    two[36] = 0x99; /* first body byte of the second PDU */
    assert_int_equal(rs_conn_send(c, two, sizeof two, in_ms(2000), &err), RS_OK);
    rs_buf_init(&in, 65536);
    assert_int_equal(rs_conn_recv_pdu(s, 4280, in_ms(2000), &in, &err), RS_OK);
    assert_int_equal(in.len, 20);
    assert_memory_equal(in.data, pdu20, 20);
    assert_int_equal(rs_conn_recv_pdu(s, 4280, in_ms(2000), &in, &err), RS_OK);
    assert_int_equal(in.len, 20);
    assert_int_equal(in.data[16], 0x99);

    /* The client closes between PDUs: a clean close. */
    rs_conn_close(c);
    assert_int_equal(rs_conn_recv_pdu(s, 4280, in_ms(2000), &in, &err), RS_ERR_CLOSED);
    assert_non_null(strstr(err.message, "closed the connection"));
    rs_buf_free(&in);
    rs_conn_close(s);
    rs_listener_close(l);
}

/* rs_conn_ready(): false with nothing sent; true once a PDU is there, which it reads ahead
 * (rs_conn_buffered()) and the next rs_conn_recv_pdu() returns whole; two PDUs sent at once are
 * both read ahead; true after the peer closed, whose close the read then reports. */
static void test_ready_reads_ahead(void **state)
{
    (void)state;
    rs_listener *l;
    rs_conn *c, *s;
    rs_error err = {0};
    rs_buf in;
    rs_buf_init(&in, 65536);
    tcp_pair(&l, &c, &s);
    assert_false(rs_conn_ready(s));
    assert_int_equal(rs_conn_buffered(s), 0);

    uint8_t two[40];
    memcpy(two, pdu20, 20);
    memcpy(two + 20, pdu20, 20);
    assert_int_equal(rs_conn_send(c, two, sizeof two, in_ms(2000), &err), RS_OK);
    bool ready = false;
    for (int i = 0; i < 200 && !ready; i++) { /* loopback delivers at once, but do not bet on it */
        ready = rs_conn_ready(s);
        if (!ready)
            usleep(5000);
    }
    assert_true(ready);
    assert_int_equal(rs_conn_buffered(s), 40);
    assert_int_equal(rs_conn_recv_pdu(s, 4280, in_ms(2000), &in, &err), RS_OK);
    assert_memory_equal(in.data, pdu20, 20);
    assert_int_equal(rs_conn_buffered(s), 20);
    assert_true(rs_conn_ready(s)); /* the second, already here */
    assert_int_equal(rs_conn_recv_pdu(s, 4280, in_ms(2000), &in, &err), RS_OK);
    assert_int_equal(rs_conn_buffered(s), 0);
    assert_false(rs_conn_ready(s));

    rs_conn_close(c);
    ready = false;
    for (int i = 0; i < 200 && !ready; i++) {
        ready = rs_conn_ready(s);
        if (!ready)
            usleep(5000);
    }
    assert_true(ready);
    assert_int_equal(rs_conn_recv_pdu(s, 4280, in_ms(2000), &in, &err), RS_ERR_CLOSED);
    rs_buf_free(&in);
    rs_conn_close(s);
    rs_listener_close(l);
}

/* Sends `n` bytes of `bytes` then (optionally) closes; returns what the server's recv says. */
static rs_status server_reads(const uint8_t *bytes, size_t n, bool then_close, size_t max_pdu,
                              int deadline_ms, rs_error *err)
{
    rs_listener *l;
    rs_conn *c, *s;
    rs_buf in;
    tcp_pair(&l, &c, &s);
    assert_int_equal(rs_conn_send(c, bytes, n, in_ms(2000), err), RS_OK);
    if (then_close) {
        rs_conn_close(c);
        c = NULL;
    }
    rs_buf_init(&in, 65536);
    rs_status st = rs_conn_recv_pdu(s, max_pdu, in_ms(deadline_ms), &in, err);
    rs_buf_free(&in);
    rs_conn_close(c);
    rs_conn_close(s);
    rs_listener_close(l);
    return st;
}

static void test_peer_closes_inside_a_pdu(void **state)
{
    (void)state;
    for (size_t cut = 1; cut < sizeof pdu20; cut++) {
        rs_error err = {0};
        assert_int_equal(server_reads(pdu20, cut, true, 4280, 2000, &err), RS_ERR_TRUNCATED);
        assert_non_null(strstr(err.message, "inside a PDU"));
    }
}

static void test_half_a_header_and_silence_times_out(void **state)
{
    (void)state;
    rs_error err = {0};
    int64_t start = rs_clock_ns();
    assert_int_equal(server_reads(pdu20, 8, false, 4280, 200, &err), RS_ERR_TIMEOUT);
    assert_true(rs_clock_ns() - start >= 200 * RS_NS_PER_MS);
    assert_non_null(strstr(err.message, "8 of 16 bytes"));
}

static void test_bad_headers_are_refused_before_reading_on(void **state)
{
    (void)state;
    uint8_t bad[20];
    rs_error err = {0};

    memcpy(bad, pdu20, sizeof bad);
    bad[8] = 8; /* frag_length 8: shorter than its own header */
    assert_int_equal(server_reads(bad, sizeof bad, false, 4280, 2000, &err), RS_ERR_PROTOCOL);

    memset(&err, 0, sizeof err);
    memcpy(bad, pdu20, sizeof bad);
    bad[8] = 0xff; /* frag_length 0x10ff = 4351, above a 4280-byte limit */
    bad[9] = 0x10;
    assert_int_equal(server_reads(bad, sizeof bad, false, 4280, 2000, &err), RS_ERR_PROTOCOL);
    assert_non_null(strstr(err.message, "4280"));

    memset(&err, 0, sizeof err);
    memcpy(bad, pdu20, sizeof bad);
    bad[0] = 4; /* rpc_vers 4 is the connectionless protocol's era, not ours */
    assert_int_not_equal(server_reads(bad, sizeof bad, false, 4280, 2000, &err), RS_OK);
}

static void test_big_endian_length(void **state)
{
    (void)state;
    uint8_t be[20];
    memcpy(be, pdu20, sizeof be);
    be[4] = 0x00; /* drep: big-endian integers */
    be[8] = 0x00; /* frag_length 20, big-endian */
    be[9] = 0x14;
    rs_error err = {0};
    assert_int_equal(server_reads(be, sizeof be, false, 4280, 2000, &err), RS_OK);
}

static void test_refused_and_accept_timeout(void **state)
{
    (void)state;
    rs_listener *l;
    rs_conn *c = NULL;
    rs_binding b;
    rs_error err = {0};
    char text[RS_BINDING_STRLEN];
    assert_int_equal(rs_binding_parse("ncacn_ip_tcp:127.0.0.1[0]", &b), RS_OK);
    assert_int_equal(rs_listener_open(&b, &l, &err), RS_OK);
    snprintf(text, sizeof text, "%s", rs_listener_binding(l));
    assert_int_equal(rs_listener_accept(l, in_ms(50), &c, &err), RS_ERR_TIMEOUT);
    assert_null(c);
    rs_listener_close(l); /* nobody listens on that port any more */

    memset(&err, 0, sizeof err);
    assert_int_equal(rs_binding_parse(text, &b), RS_OK);
    assert_int_equal(rs_conn_connect(&b, in_ms(2000), &c, &err), RS_ERR_CONNECT);
    assert_null(c);
    assert_non_null(strstr(err.message, "Connection refused"));

    memset(&err, 0, sizeof err);
    assert_int_equal(rs_binding_parse("ncacn_ip_tcp:127.0.0.1", &b), RS_OK);
    assert_int_equal(rs_conn_connect(&b, in_ms(2000), &c, &err), RS_ERR_ADDRESS);
    assert_non_null(strstr(err.message, "no port"));
}

static void test_lrpc(void **state)
{
    (void)state;
    char text[128];
    rs_binding b;
    rs_listener *l, *l2;
    rs_conn *c, *s;
    rs_error err = {0};
    rs_buf in;
    snprintf(text, sizeof text, "ncalrpc:[test-transport-%d]", (int)getpid());
    assert_int_equal(rs_binding_parse(text, &b), RS_OK);
    assert_int_equal(rs_listener_open(&b, &l, &err), RS_OK);
    assert_string_equal(rs_listener_binding(l), text);

    assert_int_equal(rs_conn_connect(&b, in_ms(2000), &c, &err), RS_OK);
    assert_int_equal(rs_listener_accept(l, in_ms(2000), &s, &err), RS_OK);
    assert_int_equal(rs_conn_protseq(s), RS_PROTSEQ_LRPC);
    assert_int_equal(rs_conn_send(c, pdu20, sizeof pdu20, in_ms(2000), &err), RS_OK);
    rs_buf_init(&in, 4280);
    assert_int_equal(rs_conn_recv_pdu(s, 4280, in_ms(2000), &in, &err), RS_OK);
    assert_memory_equal(in.data, pdu20, sizeof pdu20);
    rs_buf_free(&in);
    rs_conn_close(c);
    rs_conn_close(s);

    /* A second server on the same name is refused: the first still answers. */
    assert_int_equal(rs_listener_open(&b, &l2, &err), RS_ERR_ADDRESS);
    assert_non_null(strstr(err.message, "address in use"));
    rs_listener_close(l);
    memset(&err, 0, sizeof err);

    /* A socket file left behind by a dead server is taken over. */
    char path[64];
    snprintf(path, sizeof path, "/tmp/test-transport-stale-%d.sock", (int)getpid());
    snprintf(text, sizeof text, "ncalrpc:[%s]", path);
    assert_int_equal(rs_binding_parse(text, &b), RS_OK);
    struct sockaddr_un sun = {.sun_family = AF_UNIX};
    snprintf(sun.sun_path, sizeof sun.sun_path, "%s", path);
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    assert_int_equal(bind(fd, (struct sockaddr *)&sun, sizeof sun), 0);
    close(fd); /* the file stays, and nobody answers on it */
    assert_int_equal(rs_listener_open(&b, &l, &err), RS_OK);
    rs_listener_close(l);
    struct stat sb;
    assert_int_not_equal(stat(path, &sb), 0); /* close removed it */

    memset(&err, 0, sizeof err);
    assert_int_equal(rs_binding_parse("ncalrpc:[../escape]", &b), RS_OK);
    assert_int_equal(rs_listener_open(&b, &l, &err), RS_ERR_ADDRESS);
}


/* A stream of PDUs of many sizes, each filled with its own pattern. */
#define STREAM_PDUS 12
static const size_t stream_sizes[STREAM_PDUS] = {16, 20, 4280, 17, 65535, 24, 4096, 65535,
                                                 33, 1000, 16, 40000};

static size_t build_stream(uint8_t *out)
{
    size_t at = 0;
    for (size_t i = 0; i < STREAM_PDUS; i++) {
        size_t n = stream_sizes[i];
        memcpy(out + at, pdu20, 16);
        out[at + 8] = (uint8_t)n;
        out[at + 9] = (uint8_t)(n >> 8);
        out[at + 12] = (uint8_t)i; /* call id: which PDU */
        for (size_t k = 16; k < n; k++)
            out[at + k] = (uint8_t)(k * 7 + i);
        at += n;
    }
    return at;
}

typedef struct {
    rs_conn *c;
    const uint8_t *bytes;
    size_t len;
    size_t piece; /* bytes per send; 0: all at once */
} writer;

static void *write_in_pieces(void *arg)
{
    writer *w = arg;
    size_t since_pause = 0;
    for (size_t at = 0; at < w->len;) {
        size_t n = w->piece == 0 || w->piece > w->len - at ? w->len - at : w->piece;
        if (rs_conn_send(w->c, w->bytes + at, n, in_ms(20000), NULL) != RS_OK)
            break;
        at += n;
        since_pause += n;
        if (w->piece != 0 && since_pause >= 3000) {
            since_pause = 0;
            usleep(200); /* let the reader catch up now and then: reads end mid-PDU */
        }
    }
    return NULL;
}

static void test_pdus_in_pieces(void **state)
{
    (void)state;
    static const size_t pieces[] = {0, 1, 7, 16, 1000, 4281, 65536};
    uint8_t *stream = malloc(300000);
    assert_non_null(stream);
    size_t len = build_stream(stream);
    for (size_t p = 0; p < sizeof pieces / sizeof pieces[0]; p++) {
        rs_listener *l;
        rs_conn *c, *s;
        tcp_pair(&l, &c, &s);
        writer w = {.c = c, .bytes = stream, .len = len, .piece = pieces[p]};
        /* Twice: the read-ahead grows when a recv() fills it (a piece of 0 or 65,536 bytes
         * does), and starts small again after rs_conn_trim(). */
        for (int round = 0; round < 2; round++) {
            pthread_t t;
            assert_int_equal(pthread_create(&t, NULL, write_in_pieces, &w), 0);
            size_t at = 0;
            for (size_t i = 0; i < STREAM_PDUS; i++) {
                rs_buf pdu;
                rs_error err = {0};
                assert_int_equal(rs_conn_recv_pdu(s, 65535, in_ms(20000), &pdu, &err), RS_OK);
                assert_int_equal(pdu.len, stream_sizes[i]);
                assert_memory_equal(pdu.data, stream + at, pdu.len);
                at += pdu.len;
            }
            pthread_join(t, NULL);
            assert_int_equal(rs_conn_buffered(s), 0);
            rs_conn_trim(s);
        }
        rs_conn_close(c);
        rs_conn_close(s);
        rs_listener_close(l);
    }
    free(stream);
}

/* The largest PDU is refused by a smaller limit before its body is read; within the limit, a
 * PDU whose frag_length needs all 16 bits arrives whole. */
static void test_largest_pdu_and_the_limit(void **state)
{
    (void)state;
    uint8_t *stream = malloc(300000);
    assert_non_null(stream);
    build_stream(stream);
    size_t first_big = 16 + 20 + 4280 + 17; /* offset of the first 65,535-byte PDU */
    rs_error err = {0};
    assert_int_equal(server_reads(stream + first_big, 65535, false, 65534, 2000, &err),
                     RS_ERR_PROTOCOL);
    assert_non_null(strstr(err.message, "65535"));
    free(stream);
}

/* rs_conn_send_fragments() with refs: stub bytes that stay elsewhere (an NDR stream's arrays sent
 * by reference) go out in their place. The buffer handed to the fragmenter holds 0xEE where the
 * refs are, so a piece taken from the wrong place shows in the reassembled stub. Refs inside one
 * fragment, across many, at the stub's ends, next to each other, on a fragment boundary, eight
 * at once; fragment sizes from 48 to 65535. More refs than the transport takes are refused. */
#define REF_STUB 20000

typedef struct {
    size_t n;
    size_t at[RS_CONN_MAX_REFS], len[RS_CONN_MAX_REFS];
} ref_layout;

/* A request of call 9 with `len` bytes of stub data, cut into fragments of max_frag. */
static void request_fragments(rs_pdu_fragmenter *f, const uint8_t *stub, size_t len,
                              uint16_t max_frag)
{
    rs_pdu tmpl;
    rs_pdu_init(&tmpl, RS_PTYPE_REQUEST, 9);
    tmpl.stub = stub;
    tmpl.stub_len = len;
    rs_pdu_fragmenter_init(f, &tmpl, RS_LE, max_frag);
}

static void send_with_refs(uint16_t max_frag, const ref_layout *lay, const uint8_t *expected)
{
    static uint8_t stub[REF_STUB];
    memcpy(stub, expected, REF_STUB);
    rs_buf_ref refs[RS_CONN_MAX_REFS];
    for (size_t i = 0; i < lay->n; i++) {
        memset(stub + lay->at[i], 0xEE, lay->len[i]);
        refs[i] = (rs_buf_ref){.at = lay->at[i], .data = expected + lay->at[i], .len = lay->len[i]};
    }
    rs_listener *l;
    rs_conn *c, *s;
    tcp_pair(&l, &c, &s);
    rs_pdu_fragmenter f;
    request_fragments(&f, stub, REF_STUB, max_frag);
    rs_buf headers;
    rs_buf_init(&headers, RS_PDU_MAX_FRAG_LENGTH);
    rs_error err = {0};
    size_t sends;
    assert_int_equal(rs_conn_send_fragments(c, &f, &headers, refs, lay->n, in_ms(5000), &sends,
                                            &err), RS_OK);
    rs_pdu_reassembler r;
    rs_pdu_reassembler_init(&r, REF_STUB);
    bool complete = false;
    while (!complete) {
        rs_buf view;
        assert_int_equal(rs_conn_recv_pdu(s, max_frag, in_ms(5000), &view, &err), RS_OK);
        rs_pdu pdu;
        assert_int_equal(rs_pdu_decode(&view, &pdu), RS_OK);
        assert_int_equal(rs_pdu_reassembler_add(&r, &pdu, &complete), RS_OK);
    }
    const rs_pdu *whole = rs_pdu_reassembler_result(&r);
    assert_int_equal(whole->stub_len, REF_STUB);
    assert_memory_equal(whole->stub, expected, REF_STUB);
    rs_pdu_reassembler_free(&r);
    rs_buf_free(&headers);
    rs_conn_close(c);
    rs_conn_close(s);
    rs_listener_close(l);
}

static void test_send_with_refs(void **state)
{
    (void)state;
    static uint8_t expected[REF_STUB];
    for (size_t i = 0; i < REF_STUB; i++)
        expected[i] = (uint8_t)(i * 7 + i / 256);
    static const uint16_t frags[] = {48, 100, 1432, 4280, 65535};
    for (size_t k = 0; k < sizeof frags / sizeof frags[0]; k++) {
        size_t per = (size_t)(frags[k] - RS_PDU_REQUEST_HEADER_SIZE) / 8 * 8; /* stub/fragment */
        ref_layout lays[] = {
            {1, {100}, {100}},                           /* inside one fragment (or a few) */
            {1, {50}, {15000}},                          /* across many */
            {2, {0, 17000}, {3000, 3000}},               /* at both ends */
            {2, {5000, 6000}, {1000, 1000}},             /* next to each other */
            {1, {per < REF_STUB ? per : 0}, {per < REF_STUB ? REF_STUB - per : 10}},
            {8, {10, 2000, 4100, 4200, 8000, 12000, 12001, 19990}, {1000, 100, 100, 3000,
                                                                      2000, 1, 9, 10}},
        };
        for (size_t i = 0; i < sizeof lays / sizeof lays[0]; i++)
            send_with_refs(frags[k], &lays[i], expected);
    }
    /* One more than the transport takes: refused before anything is sent. */
    rs_buf_ref many[RS_CONN_MAX_REFS + 1];
    for (size_t i = 0; i < RS_CONN_MAX_REFS + 1; i++)
        many[i] = (rs_buf_ref){.at = i * 10, .data = expected, .len = 5};
    rs_listener *l;
    rs_conn *c, *s;
    tcp_pair(&l, &c, &s);
    rs_pdu_fragmenter f;
    request_fragments(&f, expected, 100, 4280);
    rs_buf headers;
    rs_buf_init(&headers, RS_PDU_MAX_FRAG_LENGTH);
    rs_error err = {0};
    size_t sends = 1;
    assert_int_equal(rs_conn_send_fragments(c, &f, &headers, many, RS_CONN_MAX_REFS + 1,
                                            in_ms(1000), &sends, &err), RS_ERR_INVALID_ARG);
    assert_int_equal(sends, 0);
    assert_int_equal(rs_conn_buffered(s), 0);
    rs_buf_free(&headers);
    rs_conn_close(c);
    rs_conn_close(s);
    rs_listener_close(l);
}

/* rs_conn_await(): without rs_conn_set_await() it does not wait; with it, it waits that long in
 * one recv() and says whether bytes came. A read whose deadline is further away waits on across
 * the socket's timeouts (here 20 ms each) for a PDU that comes after 100 ms. */
typedef struct {
    rs_conn *c;
    int delay_ms;
} late_writer;

static void *write_late(void *arg)
{
    late_writer *w = arg;
    usleep((useconds_t)w->delay_ms * 1000);
    rs_status st = rs_conn_send(w->c, pdu20, sizeof pdu20, in_ms(2000), NULL);
    (void)st; /* a failure shows as the reader's timeout */
    return NULL;
}

static void test_await(void **state)
{
    (void)state;
    rs_listener *l;
    rs_conn *c, *s;
    rs_error err = {0};
    tcp_pair(&l, &c, &s);
    int64_t start = rs_clock_ns();
    assert_false(rs_conn_await(s)); /* no timeout set: a look, no wait */
    assert_true(rs_clock_ns() - start < 15 * RS_NS_PER_MS);
    assert_int_equal(rs_conn_set_await(s, 20, &err), RS_OK);
    start = rs_clock_ns();
    assert_false(rs_conn_await(s));
    assert_true(rs_clock_ns() - start >= 19 * RS_NS_PER_MS);

    late_writer w = {.c = c, .delay_ms = 100};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, write_late, &w), 0);
    rs_buf pdu;
    assert_int_equal(rs_conn_recv_pdu(s, 4280, in_ms(3000), &pdu, &err), RS_OK);
    assert_int_equal(pdu.len, sizeof pdu20);
    pthread_join(t, NULL);

    assert_int_equal(rs_conn_send(c, pdu20, sizeof pdu20, in_ms(2000), &err), RS_OK);
    assert_true(rs_conn_await(s)); /* the bytes are there: at once */
    assert_int_equal(rs_conn_recv_pdu(s, 4280, in_ms(2000), &pdu, &err), RS_OK);
    assert_int_equal(rs_conn_set_await(s, 0, &err), RS_ERR_IO); /* a wait of 0 ms is refused */
    rs_conn_close(c);
    rs_conn_close(s);
    rs_listener_close(l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tcp_whole_pdus),
        cmocka_unit_test(test_ready_reads_ahead),
        cmocka_unit_test(test_peer_closes_inside_a_pdu),
        cmocka_unit_test(test_half_a_header_and_silence_times_out),
        cmocka_unit_test(test_bad_headers_are_refused_before_reading_on),
        cmocka_unit_test(test_big_endian_length),
        cmocka_unit_test(test_refused_and_accept_timeout),
        cmocka_unit_test(test_lrpc),
        cmocka_unit_test(test_pdus_in_pieces),
        cmocka_unit_test(test_largest_pdu_and_the_limit),
        cmocka_unit_test(test_await),
        cmocka_unit_test(test_send_with_refs),
    };
    return cmocka_run_group_tests_name("transport", tests, NULL, NULL);
}
