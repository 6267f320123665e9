/* oncbench.c -- what a C programmer on Linux would otherwise use: ONC RPC (libtirpc) over TCP,
 * with rpcgen's XDR routines, client stub (echo_1) and dispatcher (oncbench_prog_1) for
 * oncbench.x, and no rpcbind: the server is registered with protocol 0 on a socket of its own,
 * and the client is given the port.
 *
 *     build/oncbench null|echo [--size BYTES] [--calls N]
 *
 * Forks the server (svctcp_create on 127.0.0.1, an ephemeral port; svc_run), then times NULL
 * calls (procedure 0) or ECHO calls of `size` bytes, checking every answer, and prints the lines
 * rpcbench prints (calls, mean_us, p50_us, p99_us, calls_per_s) after WARMUP_CALLS untimed ones.
 * Sockets as libtirpc makes them (no TCP_NODELAY: what its users get).
 */
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "oncbench.h"

#define WARMUP_CALLS 50

/* rpcgen -m's dispatcher (oncbench_svc.c); its header does not declare it. */
void oncbench_prog_1(struct svc_req *rqstp, SVCXPRT *transp);

/* The server procedure: the answer is the argument itself. The dispatcher sends the reply before
 * it frees the argument, so pointing at its bytes is safe. */
opaque_buf *echo_1_svc(opaque_buf *argp, struct svc_req *rq)
{
    static opaque_buf result;
    (void)rq;
    result = *argp;
    return &result;
}

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* One call; 0 when it succeeded with the right answer. */
static int one_call(CLIENT *cl, int echo, opaque_buf *arg)
{
    if (!echo) {
        struct timeval tmo = {25, 0};
        return clnt_call(cl, NULLPROC, (xdrproc_t)xdr_void, NULL, (xdrproc_t)xdr_void, NULL, tmo) ==
                       RPC_SUCCESS
                   ? 0
                   : 1;
    }
    opaque_buf *res = echo_1(arg, cl);
    if (res == NULL)
        return 1;
    int bad = res->opaque_buf_len != arg->opaque_buf_len ||
              (arg->opaque_buf_len > 0 &&
               (res->opaque_buf_val[0] != arg->opaque_buf_val[0] ||
                res->opaque_buf_val[arg->opaque_buf_len - 1] !=
                    arg->opaque_buf_val[arg->opaque_buf_len - 1]));
    clnt_freeres(cl, (xdrproc_t)xdr_opaque_buf, (caddr_t)res);
    return bad;
}

int main(int argc, char **argv)
{
    long size = 0, calls = 10000;
    if (argc < 2 || (strcmp(argv[1], "null") != 0 && strcmp(argv[1], "echo") != 0) || argc % 2 != 0)
        goto usage;
    int echo = strcmp(argv[1], "echo") == 0;
    for (int i = 2; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--size") == 0)
            size = atol(argv[i + 1]);
        else if (strcmp(argv[i], "--calls") == 0)
            calls = atol(argv[i + 1]);
        else
            goto usage;
    }
    if (size < 0 || calls < 1)
        goto usage;

    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof addr;
    int lfd = socket(AF_INET, SOCK_STREAM, 0);
    if (lfd < 0 || bind(lfd, (struct sockaddr *)&addr, len) != 0 || listen(lfd, 16) != 0 ||
        getsockname(lfd, (struct sockaddr *)&addr, &len) != 0) {
        perror("oncbench: listen");
        return 1;
    }
    pid_t server = fork();
    if (server == 0) {
        SVCXPRT *x = svctcp_create(lfd, 0, 0);
        /* protocol 0: registered with the dispatcher only, never with rpcbind */
        if (x == NULL || !svc_register(x, ONCBENCH_PROG, ONCBENCH_VERS, oncbench_prog_1, 0)) {
            fprintf(stderr, "oncbench: cannot start the server\n");
            _exit(1);
        }
        svc_run();
        _exit(1);
    }
    close(lfd);

    int rc = 1, sock = RPC_ANYSOCK;
    size_t n = (size_t)calls;
    int64_t *lat = malloc(n * sizeof *lat);
    opaque_buf arg = {(u_int)size, malloc((size_t)size + 1)};
    /* a port given: clnttcp_create does not ask the portmapper */
    CLIENT *cl = clnttcp_create(&addr, ONCBENCH_PROG, ONCBENCH_VERS, &sock, 0, 0);
    if (cl == NULL || lat == NULL || arg.opaque_buf_val == NULL) {
        clnt_pcreateerror("oncbench");
        goto done;
    }
    for (long k = 0; k < size; k++)
        arg.opaque_buf_val[k] = (char)(k * 7 + 1);
    for (int i = 0; i < WARMUP_CALLS; i++)
        if (one_call(cl, echo, &arg) != 0)
            goto failed;
    int64_t start = now_ns();
    for (size_t i = 0; i < n; i++) {
        if (size > 0)
            arg.opaque_buf_val[0] = (char)i;
        int64_t t0 = now_ns();
        int bad = one_call(cl, echo, &arg);
        lat[i] = now_ns() - t0;
        if (bad)
            goto failed;
    }
    int64_t wall = now_ns() - start;
    double sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += (double)lat[i];
    qsort(lat, n, sizeof *lat, cmp_i64);
    printf("calls: %zu\n", n);
    printf("mean_us: %.2f\n", sum / (double)n / 1e3);
    printf("p50_us: %.2f\n", (double)lat[(n - 1) / 2] / 1e3);
    printf("p99_us: %.2f\n", (double)lat[(n * 99 - 1) / 100] / 1e3);
    printf("calls_per_s: %.0f\n", (double)n * 1e9 / (double)wall);
    rc = 0;
    goto done;
failed:
    clnt_perror(cl, "oncbench: call failed");
done:
    if (cl != NULL)
        clnt_destroy(cl);
    kill(server, SIGKILL);
    waitpid(server, NULL, 0);
    free(lat);
    free(arg.opaque_buf_val);
    return rc;
usage:
    fprintf(stderr, "usage: oncbench null|echo [--size BYTES] [--calls N]\n");
    return 2;
}
