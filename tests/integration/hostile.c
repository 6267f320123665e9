/* hostile.c -- a hostile client: malformed DCE/RPC input at a running conform_server, each on a
 * fresh connection, and a good call after every one.
 *
 *     build/tests/hostile 'ncacn_ip_tcp:127.0.0.1[41234]' SERVER_PID [ROUNDS]
 *
 * Each input is bytes written on a new TCP connection (after a good bind when the input needs a
 * bound association), then one of: wait for the answer; shut the write side (the server sees the
 * end of the stream mid-PDU); close at once (a connection closed mid-PDU); stall without closing
 * (the server must give up at its io timeout: run it with --io-timeout 1000). The answer must be
 * a fault, a bind_nak or the connection closing, within ANSWER_MS; the few inputs that may be
 * valid after all (random byte flips, a hint that is only a hint, a union tag the [default] arm
 * takes) may also get a response, never silence. After each input a good call (Add) on a client
 * of its own must return the right sum.
 *
 * The inputs: headers and PDUs cut at every offset; frag_length larger or smaller than what
 * arrives; wrong rpc_vers and rpc_vers_minor; every PTYPE a client never sends; requests before
 * bind and on unbound contexts; binds with 0, 17 and 255 contexts; absurd alloc_hints; strings
 * and arrays whose max_count, offset and actual_count lie; union discriminants that differ from
 * switch_is; fragments with inconsistent call ids or without FIRST_FRAG; random byte flips of a
 * valid bind and of valid requests; half a header and a stall.
 *
 * All of them are sent ROUNDS times (default 3). The server's resident memory (VmRSS of
 * SERVER_PID) is read after the first round and after the last: growth beyond RSS_GROWTH_KIB is
 * a failure, since the rounds after the first send exactly the same inputs again. SERVER_PID 0
 * skips that comparison: for a server built with AddressSanitizer, whose allocator keeps freed
 * memory in quarantine (its LeakSanitizer checks for leaks when the server exits). Prints one line
 * per failure, the figures, and "N passed, N failed" (one per input and round, one for memory).
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>

#include "conform.h"

#define ANSWER_MS 5000      /* every input is answered (or its connection closed) within this */
#define RSS_GROWTH_KIB 1024 /* what the server may grow by from round 1 to the last round */
#define MAX_INPUT 16384     /* the largest input built */

/* ---- building PDUs by hand: the wire as a hostile client writes it ----------------------------- */

typedef struct wbuf {
    uint8_t b[MAX_INPUT];
    size_t n;
} wbuf;

static void put8(wbuf *w, unsigned v)
{
    if (w->n < sizeof w->b)
        w->b[w->n++] = (uint8_t)v;
}

static void put16(wbuf *w, unsigned v)
{
    put8(w, v & 0xff);
    put8(w, (v >> 8) & 0xff);
}

static void put32(wbuf *w, uint32_t v)
{
    put16(w, v & 0xffff);
    put16(w, v >> 16);
}

static void set16(wbuf *w, size_t at, unsigned v)
{
    w->b[at] = (uint8_t)(v & 0xff);
    w->b[at + 1] = (uint8_t)((v >> 8) & 0xff);
}

/* A UUID in its little-endian wire form. */
static void put_uuid(wbuf *w, uint32_t a, uint16_t b, uint16_t c, const uint8_t d[8])
{
    put32(w, a);
    put16(w, b);
    put16(w, c);
    for (int i = 0; i < 8; i++)
        put8(w, d[i]);
}

static const uint8_t CONFORM_NODE[8] = {0x9b, 0x0d, 0x1e, 0x2f, 0x3a, 0x4b, 0x5c, 0x6d};
static const uint8_t NDR_NODE[8] = {0x9f, 0xe8, 0x08, 0x00, 0x2b, 0x10, 0x48, 0x60};

/* The common header; frag_length is patched by finish() unless the input lies about it. */
static void header(wbuf *w, unsigned vers, unsigned minor, unsigned ptype, unsigned flags,
                   uint32_t call_id)
{
    put8(w, vers);
    put8(w, minor);
    put8(w, ptype);
    put8(w, flags);
    put32(w, 0x00000010); /* drep: little-endian, ASCII, IEEE */
    put16(w, 0);          /* frag_length, below */
    put16(w, 0);          /* auth_length */
    put32(w, call_id);
}

static void finish(wbuf *w, size_t start) { set16(w, start + 8, (unsigned)(w->n - start)); }

/* One presentation context: conform 1.0 over NDR 2.0. */
static void put_context(wbuf *w, unsigned id)
{
    put16(w, id);
    put8(w, 1); /* one transfer syntax */
    put8(w, 0);
    put_uuid(w, 0x6d5a3b1c, 0x8f2e, 0x4c7a, CONFORM_NODE);
    put32(w, 1); /* version 1.0: major in the low 16 bits */
    put_uuid(w, 0x8a885d04, 0x1ceb, 0x11c9, NDR_NODE);
    put32(w, 2);
}

/* A bind of `contexts` contexts (the count byte says `claimed`), version vers.minor. */
static void bind_pdu(wbuf *w, unsigned vers, unsigned minor, unsigned claimed, unsigned contexts)
{
    size_t start = w->n;
    header(w, vers, minor, 11, 0x03, 1);
    put16(w, 4280);
    put16(w, 4280);
    put32(w, 0);
    put8(w, claimed);
    put8(w, 0);
    put16(w, 0);
    for (unsigned i = 0; i < contexts; i++)
        put_context(w, i);
    finish(w, start);
}

static void good_bind(wbuf *w) { bind_pdu(w, 5, 0, 1, 1); }

/* The request header up to the stub data; finish() after the stub. */
static size_t request_head(wbuf *w, unsigned flags, uint32_t call_id, uint32_t alloc_hint,
                           unsigned ctx, unsigned opnum)
{
    size_t start = w->n;
    header(w, 5, 0, 0, flags, call_id);
    put32(w, alloc_hint);
    put16(w, ctx);
    put16(w, opnum);
    return start;
}

/* A whole request of opnum with `stub` as its stub data. */
static void request(wbuf *w, unsigned ctx, unsigned opnum, const wbuf *stub)
{
    size_t start = request_head(w, 0x03, 2, (uint32_t)stub->n, ctx, opnum);
    for (size_t i = 0; i < stub->n; i++)
        put8(w, stub->b[i]);
    finish(w, start);
}

/* Add(a, b)'s stub data. */
static void add_stub(wbuf *s, int32_t a, int32_t b)
{
    put32(s, (uint32_t)a);
    put32(s, (uint32_t)b);
}

/* ---- the connection ---------------------------------------------------------------------------- */

static struct sockaddr_in server_addr;

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int dial(void)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(fd, (const struct sockaddr *)&server_addr, sizeof server_addr) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Writes everything; false when the server has closed already (EPIPE, ECONNRESET). */
static bool send_all(int fd, const uint8_t *p, size_t n)
{
    while (n > 0) {
        ssize_t k = send(fd, p, n, MSG_NOSIGNAL);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return false;
        p += k;
        n -= (size_t)k;
    }
    return true;
}

/* Reads exactly n bytes by `deadline`: 1 done, 0 the stream ended or was reset, -1 time ran out. */
static int recv_all(int fd, uint8_t *p, size_t n, int64_t deadline)
{
    while (n > 0) {
        int64_t left = deadline - now_ms();
        if (left <= 0)
            return -1;
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        int r = poll(&pfd, 1, (int)left);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        ssize_t k = recv(fd, p, n, 0);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return 0;
        p += k;
        n -= (size_t)k;
    }
    return 1;
}

enum {
    ANS_FAULT = 1,
    ANS_NAK = 2,
    ANS_CLOSE = 4,
    ANS_RESPONSE = 8,
    ANS_ACK = 16,
    ANS_OTHER = 32,
    ANS_SILENCE = 64,
};

static const char *answer_name(unsigned a)
{
    switch (a) {
    case ANS_FAULT: return "a fault";
    case ANS_NAK: return "a bind_nak";
    case ANS_CLOSE: return "a close";
    case ANS_RESPONSE: return "a response";
    case ANS_ACK: return "a bind_ack";
    case ANS_SILENCE: return "silence";
    default: return "a PDU of another type";
    }
}

/* The server's first answer on fd: one whole PDU (its type), or the connection closing. */
static unsigned read_answer(int fd, int64_t deadline)
{
    uint8_t hdr[16];
    int r = recv_all(fd, hdr, sizeof hdr, deadline);
    if (r <= 0)
        return r == 0 ? ANS_CLOSE : ANS_SILENCE;
    size_t len = (size_t)hdr[8] | (size_t)hdr[9] << 8;
    static uint8_t rest[65536];
    if (len < sizeof hdr || recv_all(fd, rest, len - sizeof hdr, deadline) != 1)
        return ANS_OTHER; /* an answer that is not a whole PDU */
    switch (hdr[2]) {
    case 2: return ANS_RESPONSE;
    case 3: return ANS_FAULT;
    case 12: return ANS_ACK;
    case 13: return ANS_NAK;
    default: return ANS_OTHER;
    }
}

/* ---- one input --------------------------------------------------------------------------------- */

typedef enum { END_WAIT, END_SHUT, END_CLOSE, END_STALL } ending;

static int passed, failed, inputs;
static int32_t good_calls;
static const char *kind = "";

/* One failure of input `name`: "hostile: FAILED: KIND: NAME: what happened". */
__attribute__((format(printf, 2, 3))) static void fail(const char *name, const char *fmt, ...)
{
    failed++;
    printf("hostile: FAILED: %s: %s: ", kind, name);
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
}

/* A good call on the good client: the server still serves. */
static bool good_call(const char *name)
{
    good_calls++;
    int32_t got = Add(good_calls, 7);
    if (rs_last_call_status() == RS_OK && got == good_calls + 7)
        return true;
    fail(name, "the good call after it failed: %s",
         rs_last_call_status() != RS_OK ? rs_last_call_error()->message : "a wrong sum");
    return false;
}

/* Sends `in` on a fresh connection (after a good bind when `bound`), ends as `end` says, and
 * checks the answer is one of `allowed` (a fault, a bind_nak or a close unless said otherwise)
 * within ANSWER_MS; then the good call. */
static void try_input(const char *name, bool bound, const wbuf *in, ending end, unsigned allowed)
{
    inputs++;
    if (allowed == 0)
        allowed = ANS_FAULT | ANS_NAK | ANS_CLOSE;
    int fd = dial();
    if (fd < 0) {
        fail(name, "cannot connect: %s", strerror(errno));
        return;
    }
    int64_t t0 = now_ms(), deadline = t0 + ANSWER_MS;
    if (bound) {
        wbuf b = {.n = 0};
        good_bind(&b);
        unsigned a = ANS_CLOSE;
        if (send_all(fd, b.b, b.n))
            a = read_answer(fd, deadline);
        if (a != ANS_ACK) {
            fail(name, "the good bind before it got %s", answer_name(a));
            close(fd);
            return;
        }
    }
    bool sent = send_all(fd, in->b, in->n);
    unsigned answer = ANS_CLOSE; /* a write that failed: the server had closed already */
    if (end == END_CLOSE) {
        close(fd);
        fd = -1;
    } else if (sent) {
        if (end == END_SHUT)
            shutdown(fd, SHUT_WR);
        answer = read_answer(fd, deadline);
    }
    int64_t took = now_ms() - t0;
    if (fd >= 0)
        close(fd);
    bool ok = (answer & allowed) != 0;
    if (!ok)
        fail(name, "it got %s", answer_name(answer));
    else if (took > ANSWER_MS) {
        ok = false;
        fail(name, "the answer took over 5 s");
    }
    bool served = good_call(name); /* a failure is counted once, by whichever saw it */
    if (ok && served)
        passed++;
}

/* ---- the inputs, by kind ----------------------------------------------------------------------- */

static void cut_headers_and_pdus(void)
{
    kind = "cut short";
    char name[128];
    wbuf bind = {.n = 0}, req = {.n = 0}, stub = {.n = 0};
    good_bind(&bind);
    add_stub(&stub, 1, 2);
    request(&req, 0, 0, &stub);
    /* A header cut at every offset, then the connection closed: the server sees a close
     * mid-PDU. */
    for (size_t cut = 1; cut < 16; cut++) {
        wbuf w = bind;
        w.n = cut;
        snprintf(name, sizeof name, "a header cut at byte %zu, then closed", cut);
        try_input(name, false, &w, END_CLOSE, 0);
    }
    /* A bind cut at every offset, the write side shut: the server sees the stream end. */
    for (size_t cut = 1; cut < bind.n; cut++) {
        wbuf w = bind;
        w.n = cut;
        snprintf(name, sizeof name, "a bind cut at byte %zu of %zu", cut, bind.n);
        try_input(name, false, &w, END_SHUT, 0);
    }
    for (size_t cut = 1; cut < req.n; cut++) {
        wbuf w = req;
        w.n = cut;
        snprintf(name, sizeof name, "a request cut at byte %zu of %zu", cut, req.n);
        try_input(name, true, &w, END_SHUT, 0);
    }
}

static void frag_lengths(void)
{
    kind = "frag_length";
    char name[128];
    static const unsigned more[] = {1, 8, 100, 1000};
    wbuf stub = {.n = 0};
    add_stub(&stub, 3, 4);
    for (size_t i = 0; i < sizeof more / sizeof more[0]; i++) {
        wbuf w = {.n = 0};
        good_bind(&w);
        set16(&w, 8, (unsigned)w.n + more[i]);
        snprintf(name, sizeof name, "a bind whose frag_length is %u beyond what arrives", more[i]);
        try_input(name, false, &w, END_SHUT, 0);
        wbuf r = {.n = 0};
        request(&r, 0, 0, &stub);
        set16(&r, 8, (unsigned)r.n + more[i]);
        snprintf(name, sizeof name, "a request whose frag_length is %u beyond what arrives", more[i]);
        try_input(name, true, &r, END_SHUT, 0);
    }
    /* The rest never arrives and the client stays: the io timeout ends it. */
    wbuf w = {.n = 0};
    good_bind(&w);
    set16(&w, 8, 65535);
    try_input("a bind whose frag_length is 65535, then a stall", false, &w, END_STALL, 0);
    wbuf r = {.n = 0};
    request(&r, 0, 0, &stub);
    set16(&r, 8, (unsigned)r.n + 1);
    try_input("a request one byte short, then a stall", true, &r, END_STALL, 0);

    static const unsigned less[] = {0, 1, 15, 16, 20, 24, 28, 40, 71};
    for (size_t i = 0; i < sizeof less / sizeof less[0]; i++) {
        wbuf b = {.n = 0};
        good_bind(&b);
        set16(&b, 8, less[i]);
        snprintf(name, sizeof name, "a bind whose frag_length is %u, less than what arrives",
                 less[i]);
        try_input(name, false, &b, END_WAIT, 0);
    }
    static const unsigned less_req[] = {16, 20, 23, 24, 31};
    for (size_t i = 0; i < sizeof less_req / sizeof less_req[0]; i++) {
        wbuf q = {.n = 0};
        request(&q, 0, 0, &stub);
        set16(&q, 8, less_req[i]);
        snprintf(name, sizeof name, "a request whose frag_length is %u, less than what arrives",
                 less_req[i]);
        /* 24 .. 31 leave a whole request with stub data too short for Add: fault_ndr. */
        try_input(name, true, &q, END_WAIT, 0);
    }
}

static void versions(void)
{
    kind = "version";
    char name[128];
    static const unsigned vers[] = {0, 1, 2, 3, 4, 6, 7, 255};
    for (size_t i = 0; i < sizeof vers / sizeof vers[0]; i++) {
        wbuf w = {.n = 0};
        bind_pdu(&w, vers[i], 0, 1, 1);
        snprintf(name, sizeof name, "a bind of rpc_vers %u", vers[i]);
        try_input(name, false, &w, END_WAIT, 0);
    }
    static const unsigned minors[] = {2, 3, 128, 255};
    for (size_t i = 0; i < sizeof minors / sizeof minors[0]; i++) {
        wbuf w = {.n = 0};
        bind_pdu(&w, 5, minors[i], 1, 1);
        snprintf(name, sizeof name, "a bind of rpc_vers 5.%u", minors[i]);
        try_input(name, false, &w, END_WAIT, 0);
    }
    static const unsigned req_vers[][2] = {{4, 0}, {6, 0}, {255, 0}, {5, 2}, {5, 255}};
    for (size_t i = 0; i < sizeof req_vers / sizeof req_vers[0]; i++) {
        wbuf stub = {.n = 0}, w = {.n = 0};
        add_stub(&stub, 1, 1);
        request(&w, 0, 0, &stub);
        w.b[0] = (uint8_t)req_vers[i][0];
        w.b[1] = (uint8_t)req_vers[i][1];
        snprintf(name, sizeof name, "a request of rpc_vers %u.%u", req_vers[i][0], req_vers[i][1]);
        try_input(name, true, &w, END_WAIT, 0);
    }
}

/* Every PTYPE but those a client sends (request, bind, alter_context, co_cancel, orphaned), as a
 * bare header: before a bind, and (a few) on a bound association. */
static void ptypes(void)
{
    kind = "PTYPE";
    char name[128];
    for (unsigned t = 0; t < 256; t++) {
        if (t == 0 || t == 11 || t == 14 || t == 18 || t == 19)
            continue;
        wbuf w = {.n = 0};
        header(&w, 5, 0, t, 0x03, 9);
        finish(&w, 0);
        bool bound = t % 16 == 1; /* a sample on a bound association too */
        snprintf(name, sizeof name, "a PDU of PTYPE %u%s", t, bound ? " after a bind" : "");
        try_input(name, bound, &w, END_WAIT, 0);
    }
}

static void requests_out_of_place(void)
{
    kind = "request out of place";
    char name[128];
    static const unsigned opnums[] = {0, 1, 13, 14, 0xffff};
    for (size_t i = 0; i < sizeof opnums / sizeof opnums[0]; i++) {
        wbuf stub = {.n = 0}, w = {.n = 0};
        add_stub(&stub, 1, 1);
        request(&w, 0, opnums[i], &stub);
        snprintf(name, sizeof name, "a request for opnum %u before any bind", opnums[i]);
        try_input(name, false, &w, END_WAIT, 0);
    }
    static const unsigned contexts[] = {1, 2, 16, 255, 0xffff};
    for (size_t i = 0; i < sizeof contexts / sizeof contexts[0]; i++) {
        wbuf stub = {.n = 0}, w = {.n = 0};
        add_stub(&stub, 1, 1);
        request(&w, contexts[i], 0, &stub);
        snprintf(name, sizeof name, "a request on unbound context %u", contexts[i]);
        try_input(name, true, &w, END_WAIT, ANS_FAULT);
    }
    static const unsigned opnums_bound[] = {14, 100, 0xffff};
    for (size_t i = 0; i < sizeof opnums_bound / sizeof opnums_bound[0]; i++) {
        wbuf stub = {.n = 0}, w = {.n = 0};
        request(&w, 0, opnums_bound[i], &stub);
        snprintf(name, sizeof name, "a request for opnum %u, which conform lacks", opnums_bound[i]);
        try_input(name, true, &w, END_WAIT, ANS_FAULT);
    }
}

static void binds(void)
{
    kind = "bind";
    wbuf w = {.n = 0};
    bind_pdu(&w, 5, 0, 0, 0);
    try_input("a bind with no contexts", false, &w, END_WAIT, 0);
    w.n = 0;
    bind_pdu(&w, 5, 0, 17, 17);
    try_input("a bind with 17 contexts", false, &w, END_WAIT, 0);
    w.n = 0;
    bind_pdu(&w, 5, 0, 255, 255); /* 11248 bytes: beyond what a server takes before a bind */
    try_input("a bind with 255 contexts", false, &w, END_WAIT, 0);
    w.n = 0;
    bind_pdu(&w, 5, 0, 255, 1);
    try_input("a bind that says 255 contexts and holds 1", false, &w, END_WAIT, 0);
    w.n = 0;
    bind_pdu(&w, 5, 0, 1, 1);
    w.b[28 + 2] = 0; /* the context offers no transfer syntax at all: its syntaxes are cut */
    try_input("a bind whose context has 0 transfer syntaxes but carries one", false, &w, END_WAIT,
              ANS_FAULT | ANS_NAK | ANS_CLOSE | ANS_ACK);
    w.n = 0;
    bind_pdu(&w, 5, 0, 1, 1);
    w.b[28 + 2] = 255;
    try_input("a bind whose context claims 255 transfer syntaxes", false, &w, END_WAIT, 0);
}

static void alloc_hints(void)
{
    kind = "alloc_hint";
    char name[128];
    static const uint32_t hints[] = {0xffffffffu, 0x7fffffffu, 0x40000001u, 0x00400001u};
    for (size_t i = 0; i < sizeof hints / sizeof hints[0]; i++) {
        /* A first fragment that promises much, then the stream ends. */
        wbuf w = {.n = 0};
        size_t start = request_head(&w, 0x01, 2, hints[i], 0, 0);
        add_stub(&w, 1, 2);
        finish(&w, start);
        snprintf(name, sizeof name, "a first fragment with alloc_hint 0x%08x, then the end",
                 (unsigned)hints[i]);
        try_input(name, true, &w, END_SHUT, 0);
        /* A whole request with that hint: the hint is only a hint, a response is right too. */
        w.n = 0;
        start = request_head(&w, 0x03, 2, hints[i], 0, 0);
        add_stub(&w, 1, 2);
        finish(&w, start);
        snprintf(name, sizeof name, "a whole request with alloc_hint 0x%08x", (unsigned)hints[i]);
        try_input(name, true, &w, END_WAIT, ANS_FAULT | ANS_CLOSE | ANS_RESPONSE);
    }
}

/* Stub data whose counts lie, for StrLen (2), WStrLen (3), Reverse (4), UStrSum (8), Echo (12). */
static void ndr_counts(void)
{
    kind = "NDR counts";
    typedef struct {
        const char *name;
        unsigned opnum;
        uint32_t words[8];
        size_t count;
    } lie;
    static const lie lies[] = {
        {"StrLen: max_count 0xffffffff with 4 bytes", 2, {0xffffffffu, 0, 4, 0x00636261}, 4},
        {"StrLen: max_count and actual_count 0xffffffff", 2, {0xffffffffu, 0, 0xffffffffu, 0x61}, 4},
        {"StrLen: actual_count 8 > max_count 4", 2, {4, 0, 8, 0x64636261, 0x00676665}, 5},
        {"StrLen: offset 5 > max_count 4", 2, {4, 5, 1, 0}, 4},
        {"StrLen: offset 0xfffffffe", 2, {8, 0xfffffffeu, 4, 0x00636261}, 4},
        {"StrLen: a string with no terminator", 2, {4, 0, 4, 0x64636261}, 4},
        {"StrLen: actual_count 0", 2, {4, 0, 0}, 3},
        {"WStrLen: max_count 0x80000000 wide chars", 3, {0x20000, 0x80000000u, 0, 2, 0x00000061}, 5},
        {"WStrLen: actual_count 3 > max_count 2", 3, {0x20000, 2, 0, 3, 0x00620061, 0x00000063}, 6},
        {"Reverse: n and max_count 0x7fffffff with 8 bytes", 4, {0x7fffffff, 0x7fffffff, 1, 2}, 4},
        {"Reverse: n -1, max_count 0xffffffff", 4, {0xffffffffu, 0xffffffffu, 1}, 3},
        {"Reverse: n 2, max_count 3", 4, {2, 3, 1, 2, 3}, 5},
        {"Reverse: max_count 0x40000000 (4 GiB of longs)", 4, {0x40000000, 0x40000000, 1}, 3},
        {"UStrSum: length_is 5 > size_is 2", 8, {0x0004000a, 0x20000, 2, 0, 5, 0x00620061, 0x00640063, 0x65}, 8},
        {"UStrSum: size_is 0x7fff, little data", 8, {0xfffe000a, 0x20000, 0x7fff, 0, 5, 0x61}, 6},
        {"Echo: n and max_count 0x40000000, 4 bytes", 12, {0x40000000, 0x40000000, 0x01020304}, 3},
        {"Echo: n -5", 12, {0xfffffffbu, 0xfffffffbu, 0}, 3},
        {"Echo: n 4, max_count 8", 12, {4, 8, 0x01020304, 0x05060708}, 4},
    };
    for (size_t i = 0; i < sizeof lies / sizeof lies[0]; i++) {
        wbuf stub = {.n = 0}, w = {.n = 0};
        for (size_t k = 0; k < lies[i].count; k++)
            put32(&stub, lies[i].words[k]);
        request(&w, 0, lies[i].opnum, &stub);
        /* A [string] without size_is has no size to match: a huge max_count only bounds
         * actual_count, so the two whose actual_count and terminator are right are answered
         * (StrLen 3, WStrLen 1) -- without allocating max_count, which the memory check sees. */
        unsigned allowed = i == 0 || i == 7 ? ANS_RESPONSE : 0;
        try_input(lies[i].name, true, &w, END_WAIT, allowed);
    }
}

/* NumValue(short tag, [switch_is(tag)] num *n): the union's discriminant travels too. */
static void union_tags(void)
{
    kind = "union tag";
    char name[128];
    static const int16_t tags[][2] = {{1, 2}, {2, 1}, {3, 1}, {1, 7}, {7, 1}, {5, 0x7fff}, {-1, 1}};
    for (size_t i = 0; i < sizeof tags / sizeof tags[0]; i++) {
        wbuf stub = {.n = 0}, w = {.n = 0};
        put16(&stub, (uint16_t)tags[i][0]);
        put16(&stub, (uint16_t)tags[i][1]);
        put32(&stub, 42);
        put32(&stub, 0);
        request(&w, 0, 10, &stub);
        snprintf(name, sizeof name, "NumValue: switch_is %d, discriminant %d", tags[i][0],
                 tags[i][1]);
        try_input(name, true, &w, END_WAIT, 0);
    }
    /* A tag no case names, agreed by both: num's [default] arm takes it, so a response (0.0) is
     * the right answer here, not a fault. */
    wbuf stub = {.n = 0}, w = {.n = 0};
    put16(&stub, 7);
    put16(&stub, 7);
    request(&w, 0, 10, &stub);
    try_input("NumValue: tag 7 for the [default] arm", true, &w, END_WAIT, ANS_RESPONSE);
}

static void fragments(void)
{
    kind = "fragments";
    wbuf w = {.n = 0};
    size_t s = request_head(&w, 0x01, 5, 8, 0, 0);
    put32(&w, 1);
    finish(&w, s);
    s = request_head(&w, 0x02, 6, 4, 0, 0);
    put32(&w, 2);
    finish(&w, s);
    try_input("fragments of one call with call ids 5 then 6", true, &w, END_WAIT, 0);

    w.n = 0;
    s = request_head(&w, 0x02, 5, 8, 0, 0);
    add_stub(&w, 1, 2);
    finish(&w, s);
    try_input("a last fragment without FIRST_FRAG", true, &w, END_WAIT, 0);

    w.n = 0;
    s = request_head(&w, 0x00, 5, 8, 0, 0);
    add_stub(&w, 1, 2);
    finish(&w, s);
    try_input("a middle fragment without FIRST_FRAG", true, &w, END_WAIT, 0);

    w.n = 0;
    s = request_head(&w, 0x01, 5, 8, 0, 0);
    put32(&w, 1);
    finish(&w, s);
    s = request_head(&w, 0x01, 5, 8, 0, 0);
    put32(&w, 1);
    finish(&w, s);
    try_input("two first fragments of one call", true, &w, END_WAIT, 0);

    w.n = 0;
    s = request_head(&w, 0x01, 5, 8, 0, 0);
    put32(&w, 1);
    finish(&w, s);
    s = request_head(&w, 0x02, 5, 4, 0, 12);
    put32(&w, 2);
    finish(&w, s);
    try_input("a call's fragments with opnums 0 then 12", true, &w, END_WAIT, 0);

    w.n = 0;
    s = request_head(&w, 0x01, 5, 8, 0, 0);
    put32(&w, 1);
    finish(&w, s);
    s = request_head(&w, 0x02, 5, 4, 1, 0);
    put32(&w, 2);
    finish(&w, s);
    try_input("a call's fragments on contexts 0 then 1", true, &w, END_WAIT, 0);

    w.n = 0;
    s = request_head(&w, 0x01, 5, 8, 0, 0);
    put32(&w, 1);
    finish(&w, s);
    good_bind(&w);
    try_input("a bind between a call's fragments", true, &w, END_WAIT, 0);
}

/* xorshift32: the same flips every round, so rounds compare. */
static uint32_t rng_state;
static uint32_t rng(void)
{
    uint32_t x = rng_state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return rng_state = x;
}

static void flip_some(wbuf *w, size_t from)
{
    unsigned flips = 1 + rng() % 4;
    for (unsigned f = 0; f < flips; f++) {
        size_t at = from + rng() % (w->n - from);
        uint8_t mask = (uint8_t)(1u << (rng() % 8));
        if (rng() % 4 == 0)
            mask = (uint8_t)(1 + rng() % 255);
        w->b[at] ^= mask;
    }
}

/* Random flips: a flipped PDU may still be valid (a flipped Add operand is just another sum), so
 * any answer but silence is right; what matters is no hang, no crash, and the good call. */
static void flips(void)
{
    kind = "byte flips";
    char name[128];
    rng_state = 0x2545f491u;
    const unsigned any = ANS_FAULT | ANS_NAK | ANS_CLOSE | ANS_RESPONSE | ANS_ACK | ANS_OTHER;
    for (int i = 0; i < 30; i++) {
        wbuf w = {.n = 0};
        good_bind(&w);
        flip_some(&w, 0);
        snprintf(name, sizeof name, "a bind with random flips (#%d)", i + 1);
        try_input(name, false, &w, END_SHUT, any);
    }
    for (int i = 0; i < 60; i++) {
        wbuf stub = {.n = 0}, w = {.n = 0};
        unsigned op = i % 3 == 0 ? 0 : i % 3 == 1 ? 2 : 12;
        if (op == 0)
            add_stub(&stub, i, 7);
        else if (op == 2) {
            static const uint32_t s[] = {6, 0, 6, 0x6c6c6568, 0x006f};
            for (size_t k = 0; k < 5; k++)
                put32(&stub, s[k]);
        } else {
            static const uint32_t e[] = {8, 8, 0x04030201, 0x08070605};
            for (size_t k = 0; k < 4; k++)
                put32(&stub, e[k]);
        }
        request(&w, 0, op, &stub);
        flip_some(&w, 0);
        snprintf(name, sizeof name, "a request for opnum %u with random flips (#%d)", op, i + 1);
        /* The write side is shut: a flip that grows frag_length ends at once, not by timeout. */
        try_input(name, true, &w, END_SHUT, any);
    }
}

static void stalls(void)
{
    kind = "stall";
    wbuf w = {.n = 0};
    good_bind(&w);
    w.n = 8;
    try_input("half a header, then a stall (before a bind)", false, &w, END_STALL, ANS_CLOSE);
    wbuf stub = {.n = 0}, r = {.n = 0};
    add_stub(&stub, 1, 1);
    request(&r, 0, 0, &stub);
    r.n = 8;
    try_input("half a header, then a stall (after a bind)", true, &r, END_STALL, ANS_CLOSE);
}

/* ---- the run ----------------------------------------------------------------------------------- */

static long rss_kib(long pid)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%ld/status", pid);
    FILE *f = fopen(path, "r");
    long kib = -1;
    while (kib < 0 && f != NULL && fgets(line, sizeof line, f) != NULL)
        if (strncmp(line, "VmRSS:", 6) == 0)
            kib = strtol(line + 6, NULL, 10);
    if (f != NULL)
        fclose(f);
    return kib;
}

static void one_round(void)
{
    cut_headers_and_pdus();
    frag_lengths();
    versions();
    ptypes();
    requests_out_of_place();
    binds();
    alloc_hints();
    ndr_counts();
    union_tags();
    fragments();
    flips();
    stalls();
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: hostile 'ncacn_ip_tcp:127.0.0.1[PORT]' SERVER_PID [ROUNDS]\n");
        return 2;
    }
    static const char prefix[] = "ncacn_ip_tcp:127.0.0.1[";
    char *end = NULL;
    unsigned long port = 0;
    if (strncmp(argv[1], prefix, sizeof prefix - 1) == 0)
        port = strtoul(argv[1] + sizeof prefix - 1, &end, 10);
    if (end == NULL || strcmp(end, "]") != 0 || port == 0 || port > 65535) {
        fprintf(stderr, "hostile: '%s': a TCP binding on 127.0.0.1 with its port, please\n",
                argv[1]);
        return 2;
    }
    long pid = strtol(argv[2], NULL, 10);
    long rounds = argc > 3 ? strtol(argv[3], NULL, 10) : 3;
    if (rounds < 1 || rounds > 100) {
        fprintf(stderr, "hostile: ROUNDS from 1 to 100\n");
        return 2;
    }
    server_addr.sin_family = AF_INET;
    server_addr.sin_port = htons((uint16_t)port);
    server_addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);

    rs_error err = {0};
    rs_client_options o = {.call_timeout_ms = ANSWER_MS};
    if (rs_client_open(argv[1], &o, &conform_IfHandle, &err) != RS_OK) {
        fprintf(stderr, "hostile: %s\n", err.message);
        return 1;
    }
    long rss_first = 0, rss_last = 0;
    int64_t t0 = now_ms();
    for (long r = 0; r < rounds; r++) {
        one_round();
        if (r == 0 && pid != 0)
            rss_first = rss_kib(pid);
        if (r == 0)
            printf("hostile: %d inputs a round (%.1f s)\n", inputs,
                   (double)(now_ms() - t0) / 1000.0);
    }
    if (pid != 0)
        rss_last = rss_kib(pid);
    printf("hostile: %d inputs in %ld rounds in %.1f s", inputs, rounds,
           (double)(now_ms() - t0) / 1000.0);
    if (pid != 0)
        printf("; server VmRSS after round 1: %ld KiB, after round %ld: %ld KiB", rss_first,
               rounds, rss_last);
    printf("\n");
    if (pid == 0)
        printf("hostile: the server's memory is not compared (SERVER_PID 0)\n");
    else if (rss_first <= 0 || rss_last <= 0) {
        failed++;
        printf("hostile: FAILED: cannot read the server's VmRSS (pid %ld)\n", pid);
    } else if (rss_last - rss_first > RSS_GROWTH_KIB) {
        failed++;
        printf("hostile: FAILED: the server grew by %ld KiB from round 1 to round %ld\n",
               rss_last - rss_first, rounds);
    } else
        passed++;
    rs_client_close(conform_IfHandle);
    printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
