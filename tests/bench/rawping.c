/* rawping.c -- the physical limit: a ping-pong over a bare TCP or Unix stream socket carrying
 * exactly the bytes of one RPC's request and response, with nothing done to them.
 *
 *     build/rawping tcp|unix --req BYTES --resp BYTES [--calls N]
 *
 * Forks a server that, per connection, reads `req` bytes and writes `resp` bytes back, forever;
 * the client writes `req` bytes with one write(), reads the `resp` bytes, and times each round
 * trip. TCP on 127.0.0.1 with TCP_NODELAY on both ends, as the runtime sets it. Prints the lines
 * rpcbench prints (calls, mean_us, p50_us, p99_us, calls_per_s) after WARMUP_CALLS untimed ones.
 * The server is killed when the client is done.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define WARMUP_CALLS 50

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static bool read_all(int fd, uint8_t *p, size_t n)
{
    while (n > 0) {
        ssize_t r = read(fd, p, n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return false;
        p += r;
        n -= (size_t)r;
    }
    return true;
}

static bool write_all(int fd, const uint8_t *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return false;
        p += w;
        n -= (size_t)w;
    }
    return true;
}

/* Writes a pattern over bytes to be sent, as a program sends data it has written. A buffer that
 * calloc() took fresh from the system and nobody wrote is mapped to the kernel's one zero page:
 * sending it copies the same 4 KiB over and over, always in cache, which no real sender does. */
static void fill(uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)(i * 7 + 1);
}

static void nodelay(int fd, bool tcp)
{
    int one = 1;
    if (tcp)
        (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Serves connections on `lfd` until killed: one child process per connection. */
static void serve(int lfd, bool tcp, size_t req, size_t resp)
{
    uint8_t *in = calloc(req + 1, 1), *out = calloc(resp + 1, 1);
    if (in == NULL || out == NULL)
        _exit(1);
    fill(out, resp);
    signal(SIGCHLD, SIG_IGN);
    for (;;) {
        int fd = accept(lfd, NULL, NULL);
        if (fd < 0)
            continue;
        if (fork() == 0) {
            nodelay(fd, tcp);
            while (read_all(fd, in, req) && write_all(fd, out, resp))
                ;
            _exit(0);
        }
        close(fd);
    }
}

int main(int argc, char **argv)
{
    long req = -1, resp = -1, calls = 10000;
    bool tcp;
    if (argc < 2 || (strcmp(argv[1], "tcp") != 0 && strcmp(argv[1], "unix") != 0))
        goto usage;
    tcp = strcmp(argv[1], "tcp") == 0;
    for (int i = 2; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--req") == 0)
            req = atol(argv[i + 1]);
        else if (strcmp(argv[i], "--resp") == 0)
            resp = atol(argv[i + 1]);
        else if (strcmp(argv[i], "--calls") == 0)
            calls = atol(argv[i + 1]);
        else
            goto usage;
    }
    if (argc % 2 != 0 || req < 1 || resp < 1 || calls < 1)
        goto usage;

    struct sockaddr_storage ss = {0};
    socklen_t len;
    int lfd = socket(tcp ? AF_INET : AF_UNIX, SOCK_STREAM, 0);
    if (tcp) {
        struct sockaddr_in *a = (struct sockaddr_in *)&ss;
        a->sin_family = AF_INET;
        a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        len = sizeof *a;
    } else {
        struct sockaddr_un *a = (struct sockaddr_un *)&ss;
        a->sun_family = AF_UNIX;
        /* An abstract name: nothing to clean up. */
        snprintf(a->sun_path + 1, sizeof a->sun_path - 1, "rawping-%ld", (long)getpid());
        len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + strlen(a->sun_path + 1));
    }
    if (lfd < 0 || bind(lfd, (struct sockaddr *)&ss, len) != 0 || listen(lfd, 16) != 0 ||
        getsockname(lfd, (struct sockaddr *)&ss, &len) != 0) {
        perror("rawping: listen");
        return 1;
    }
    pid_t server = fork();
    if (server < 0) {
        perror("rawping: fork");
        return 1;
    }
    if (server == 0)
        serve(lfd, tcp, (size_t)req, (size_t)resp);
    close(lfd);

    int rc = 1;
    size_t n = (size_t)calls;
    int64_t *lat = malloc(n * sizeof *lat);
    uint8_t *out = calloc((size_t)req, 1), *in = calloc((size_t)resp, 1);
    int fd = socket(tcp ? AF_INET : AF_UNIX, SOCK_STREAM, 0);
    if (lat == NULL || out == NULL || in == NULL || fd < 0 ||
        connect(fd, (struct sockaddr *)&ss, len) != 0) {
        perror("rawping: connect");
        goto done;
    }
    fill(out, (size_t)req);
    nodelay(fd, tcp);
    for (int i = 0; i < WARMUP_CALLS; i++)
        if (!write_all(fd, out, (size_t)req) || !read_all(fd, in, (size_t)resp))
            goto broken;
    int64_t start = now_ns();
    for (size_t i = 0; i < n; i++) {
        int64_t t0 = now_ns();
        if (!write_all(fd, out, (size_t)req) || !read_all(fd, in, (size_t)resp))
            goto broken;
        lat[i] = now_ns() - t0;
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
broken:
    fprintf(stderr, "rawping: the connection broke\n");
done:
    if (fd >= 0)
        close(fd);
    kill(server, SIGKILL);
    waitpid(server, NULL, 0);
    free(lat);
    free(out);
    free(in);
    return rc;
usage:
    fprintf(stderr, "usage: rawping tcp|unix --req BYTES --resp BYTES [--calls N]\n");
    return 2;
}
