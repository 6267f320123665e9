/* rpcbench.c -- times calls to a running conform_server through the generated client stubs.
 *
 *     build/rpcbench BINDING --op add|echo [--size BYTES] [--calls N] [--clients N]
 *     build/rpcbench --wire --op add|echo [--size BYTES]     bytes one call puts on the wire
 *     build/rpcbench BINDING --hold N                        N idle associations, until stdin ends
 *
 * A run prints, one per line:
 *
 *     calls: N          calls timed (all clients together; warm-up calls not counted)
 *     mean_us: X        mean latency of one call, microseconds
 *     p50_us: X         median latency
 *     p99_us: X         99th percentile latency
 *     calls_per_s: X    calls timed / wall time from the start of the first to the end of the last
 *
 * Each client is a process with an rs_client of its own (the stubs' implicit handle is one global).
 * Before the clock starts each makes WARMUP_CALLS calls: the first connects and binds, so the
 * figures are those of a bound association. --calls is the total, shared evenly among clients.
 * Every answer is checked (Add's sum; Echo's bytes: all of them on warm-up calls, a byte that
 * changes per call and the last byte on timed ones, outside the timed interval); a wrong or
 * failed call stops the run with exit 1, so a figure is never that of calls that failed.
 *
 * --wire prints `request_bytes: N` and `response_bytes: N`: the stub data encoded as the
 * generated stub encodes it, cut into PDUs by the runtime's fragmenter at the fragment size the
 * runtime negotiates with itself (RS_PDU_DEFAULT_MAX_FRAG), headers included. The raw socket
 * baselines carry exactly these bytes.
 *
 * --hold opens N clients, makes one Add on each (a connection and a bind each), prints
 * `holding: N` and waits until its standard input ends: the benchmark measures the server's
 * resident memory meanwhile.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "conform.h"

#define WARMUP_CALLS 50
#define DEFAULT_CALLS 10000
#define MAX_CLIENTS 256
#define MAX_HOLD 4096

typedef enum { OP_ADD, OP_ECHO } bench_op;

typedef struct bench_client {
    pid_t pid;
    const char *binding;
    bench_op op;
    size_t size;
    size_t calls;
    int64_t *lat_ns;    /* `calls` latencies */
    int64_t end_ns;     /* when its last call returned */
    char failure[512];  /* "" when every call was right */
} bench_client;

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* One call: true when it succeeded with the right answer, else false and a sentence in `why`.
 * `full` checks every byte of an Echo. The latency excludes the check. */
static bool one_call(bench_client *b, int32_t i, uint8_t *in, uint8_t *out, bool full,
                     int64_t *lat_ns, char *why, size_t why_size)
{
    int64_t t0, t1;
    bool right;
    if (b->op == OP_ADD) {
        t0 = now_ns();
        int32_t r = Add(i, 7);
        t1 = now_ns();
        right = r == (int32_t)((uint32_t)i + 7u);
    } else {
        if (b->size > 0)
            in[0] = (uint8_t)i;
        t0 = now_ns();
        Echo((int32_t)b->size, in, out);
        t1 = now_ns();
        right = b->size == 0 ||
                (full ? memcmp(in, out, b->size) == 0
                      : out[0] == in[0] && out[b->size - 1] == in[b->size - 1]);
    }
    if (rs_last_call_status() != RS_OK) {
        snprintf(why, why_size, "call %ld: %s: %s", (long)i, rs_status_name(rs_last_call_status()),
                 rs_last_call_error()->message);
        return false;
    }
    if (!right) {
        snprintf(why, why_size, "call %ld: the answer is wrong", (long)i);
        return false;
    }
    *lat_ns = t1 - t0;
    return true;
}

/* A client process: warm up, say so on `ready`, wait for `go` to close, time its calls. */
static void client_main(bench_client *b, int ready_fd, int go_fd)
{
    rs_error err = {0};
    rs_client *c = NULL;
    uint8_t *in = malloc(b->size + 1), *out = malloc(b->size + 1);
    bool ok = in != NULL && out != NULL;
    if (!ok)
        snprintf(b->failure, sizeof b->failure, "out of memory");
    else if (rs_client_open(b->binding, NULL, &c, &err) != RS_OK) {
        snprintf(b->failure, sizeof b->failure, "%s", err.message);
        ok = false;
    }
    for (size_t k = 0; ok && k < b->size; k++)
        in[k] = (uint8_t)(k * 7 + 1);
    conform_IfHandle = c;
    int64_t lat;
    for (int32_t i = 0; ok && i < WARMUP_CALLS; i++)
        ok = one_call(b, i, in, out, true, &lat, b->failure, sizeof b->failure);
    char byte = ok ? 1 : 0;
    if (write(ready_fd, &byte, 1) != 1)
        ok = false;
    while (read(go_fd, &byte, 1) > 0) /* the parent closes `go`: everyone starts */
        ;
    for (size_t i = 0; ok && i < b->calls; i++)
        ok = one_call(b, (int32_t)i, in, out, false, &b->lat_ns[i], b->failure, sizeof b->failure);
    b->end_ns = now_ns();
    rs_client_close(c);
    free(in);
    free(out);
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* ---- --wire: the bytes of one call's PDUs ------------------------------------------------------ */

/* The stub data of the request or response as conform_c.c / conform_s.c encode it. */
static rs_status encode_stub(bench_op op, bool request, const uint8_t *bytes, size_t size,
                             rs_buf *out)
{
    rs_ndr ndr;
    rs_ndr_init_encode(&ndr, out, RS_LE);
    rs_status st = RS_OK;
    if (op == OP_ADD && request) {
        st = rs_ndr_put_long(&ndr, "a", 1);
        if (st == RS_OK)
            st = rs_ndr_put_long(&ndr, "b", 2);
    } else if (op == OP_ADD) {
        st = rs_ndr_put_long(&ndr, "return", 3);
    } else {
        if (request)
            st = rs_ndr_put_long(&ndr, "n", (int32_t)size);
        if (st == RS_OK)
            st = rs_ndr_put_conformant_array(&ndr, request ? "in" : "out", RS_NDR_BYTE, bytes,
                                             (uint32_t)size);
    }
    if (st == RS_OK)
        st = rs_ndr_flush(&ndr);
    rs_ndr_free(&ndr);
    return st;
}

/* Sum of frag_length over the fragments of a request (or response) carrying `stub`. */
static rs_status wire_bytes(bool request, const rs_buf *stub, size_t *total)
{
    rs_pdu pdu;
    rs_pdu_init(&pdu, request ? RS_PTYPE_REQUEST : RS_PTYPE_RESPONSE, 1);
    if (request)
        pdu.request.alloc_hint = (uint32_t)stub->len;
    else
        pdu.response.alloc_hint = (uint32_t)stub->len;
    pdu.stub = stub->data;
    pdu.stub_len = stub->len;
    rs_pdu_fragmenter f;
    rs_pdu_fragmenter_init(&f, &pdu, RS_LE, RS_PDU_DEFAULT_MAX_FRAG);
    rs_buf frag;
    rs_buf_init(&frag, RS_BUF_NO_LIMIT);
    rs_status st = RS_OK;
    *total = 0;
    while (st == RS_OK && !rs_pdu_fragmenter_done(&f)) {
        rs_buf_reset(&frag);
        st = rs_pdu_fragmenter_next(&f, &frag);
        *total += frag.len;
    }
    rs_buf_free(&frag);
    return st;
}

static int print_wire(bench_op op, size_t size)
{
    uint8_t *bytes = calloc(size + 1, 1);
    rs_buf req, resp;
    rs_buf_init(&req, RS_BUF_NO_LIMIT);
    rs_buf_init(&resp, RS_BUF_NO_LIMIT);
    size_t req_total = 0, resp_total = 0;
    rs_status st = bytes == NULL ? RS_ERR_NOMEM : encode_stub(op, true, bytes, size, &req);
    if (st == RS_OK)
        st = encode_stub(op, false, bytes, size, &resp);
    if (st == RS_OK)
        st = wire_bytes(true, &req, &req_total);
    if (st == RS_OK)
        st = wire_bytes(false, &resp, &resp_total);
    if (st == RS_OK)
        printf("request_bytes: %zu\nresponse_bytes: %zu\n", req_total, resp_total);
    else
        fprintf(stderr, "rpcbench: --wire: %s\n", rs_status_name(st));
    rs_buf_free(&req);
    rs_buf_free(&resp);
    free(bytes);
    return st == RS_OK ? 0 : 1;
}

/* ---- --hold: idle associations ----------------------------------------------------------------- */

static int hold(const char *binding, size_t n)
{
    rs_client **cs = calloc(n, sizeof *cs);
    int rc = cs == NULL;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        rs_error err = {0};
        if (rs_client_open(binding, NULL, &cs[i], &err) != RS_OK) {
            fprintf(stderr, "rpcbench: --hold: %s\n", err.message);
            rc = 1;
            break;
        }
        conform_IfHandle = cs[i];
        if (Add(1, 2) != 3 || rs_last_call_status() != RS_OK) {
            fprintf(stderr, "rpcbench: --hold: client %zu: %s\n", i, rs_last_call_error()->message);
            rc = 1;
        }
    }
    if (rc == 0) {
        printf("holding: %zu\n", n);
        fflush(stdout);
        while (getchar() != EOF)
            ;
    }
    for (size_t i = 0; cs != NULL && i < n; i++)
        rs_client_close(cs[i]);
    free(cs);
    return rc;
}

/* ---- the program ------------------------------------------------------------------------------- */

static int usage(void)
{
    fprintf(stderr, "usage: rpcbench BINDING --op add|echo [--size BYTES] [--calls N] [--clients N]\n"
                    "       rpcbench --wire --op add|echo [--size BYTES]\n"
                    "       rpcbench BINDING --hold N\n");
    return 2;
}

int main(int argc, char **argv)
{
    const char *binding = NULL;
    bench_op op = OP_ADD;
    bool have_op = false, wire = false;
    long size = 0, calls = DEFAULT_CALLS, clients = 1, held = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        bool value = i + 1 < argc;
        if (strcmp(a, "--op") == 0 && value) {
            const char *v = argv[++i];
            have_op = true;
            if (strcmp(v, "add") == 0)
                op = OP_ADD;
            else if (strcmp(v, "echo") == 0)
                op = OP_ECHO;
            else
                return usage();
        } else if (strcmp(a, "--size") == 0 && value)
            size = atol(argv[++i]);
        else if (strcmp(a, "--calls") == 0 && value)
            calls = atol(argv[++i]);
        else if (strcmp(a, "--clients") == 0 && value)
            clients = atol(argv[++i]);
        else if (strcmp(a, "--hold") == 0 && value)
            held = atol(argv[++i]);
        else if (strcmp(a, "--wire") == 0)
            wire = true;
        else if (a[0] != '-' && binding == NULL)
            binding = a;
        else
            return usage();
    }
    if (size < 0 || size > (1L << 20) || calls < 1 || clients < 1 || clients > MAX_CLIENTS ||
        held < 0 || held > MAX_HOLD)
        return usage();
    if (wire)
        return have_op ? print_wire(op, (size_t)size) : usage();
    if (binding == NULL)
        return usage();
    if (held > 0)
        return hold(binding, (size_t)held);
    if (!have_op)
        return usage();

    /* Each client is a process of its own (the stubs' implicit handle is one global per
     * process); what they measure comes back through shared memory. */
    size_t n = (size_t)clients, total = (size_t)calls;
    bench_client *bs = mmap(NULL, n * sizeof *bs, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
                            -1, 0);
    int64_t *lat = mmap(NULL, total * sizeof *lat, PROT_READ | PROT_WRITE,
                        MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    int ready[2], go[2];
    if (bs == MAP_FAILED || lat == MAP_FAILED || pipe(ready) != 0 || pipe(go) != 0) {
        fprintf(stderr, "rpcbench: out of memory\n");
        return 1;
    }
    fflush(stdout);
    size_t given = 0;
    for (size_t i = 0; i < n; i++) {
        bs[i] = (bench_client){.binding = binding, .op = op, .size = (size_t)size,
                               .calls = total / n + (i < total % n), .lat_ns = lat + given};
        given += bs[i].calls;
        bs[i].pid = fork();
        if (bs[i].pid < 0) {
            fprintf(stderr, "rpcbench: cannot start client %zu\n", i);
            return 1;
        }
        if (bs[i].pid == 0) {
            close(ready[0]);
            close(go[1]);
            client_main(&bs[i], ready[1], go[0]);
            _exit(bs[i].failure[0] == '\0' ? 0 : 1);
        }
    }
    close(ready[1]);
    close(go[0]);
    char byte;
    for (size_t i = 0; i < n && read(ready[0], &byte, 1) == 1; i++)
        ;
    int64_t t0 = now_ns(), t1 = t0;
    close(go[1]);
    int rc = 0;
    for (size_t i = 0; i < n; i++) {
        int wst;
        waitpid(bs[i].pid, &wst, 0);
        if (bs[i].failure[0] != '\0' || !WIFEXITED(wst) || WEXITSTATUS(wst) != 0) {
            fprintf(stderr, "rpcbench: client %zu: %s\n", i,
                    bs[i].failure[0] ? bs[i].failure : "exited abnormally");
            rc = 1;
        }
        if (bs[i].end_ns > t1)
            t1 = bs[i].end_ns;
    }
    if (rc == 0) {
        double sum = 0;
        for (size_t i = 0; i < total; i++)
            sum += (double)lat[i];
        qsort(lat, total, sizeof *lat, cmp_i64);
        printf("calls: %zu\n", total);
        printf("mean_us: %.2f\n", sum / (double)total / 1e3);
        printf("p50_us: %.2f\n", (double)lat[(total - 1) / 2] / 1e3);
        printf("p99_us: %.2f\n", (double)lat[(total * 99 - 1) / 100] / 1e3);
        printf("calls_per_s: %.0f\n", (double)total * 1e9 / (double)(t1 - t0));
    }
    munmap(lat, total * sizeof *lat);
    munmap(bs, n * sizeof *bs);
    return rc;
}
