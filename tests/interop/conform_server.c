/* conform_server.c -- serves the conformance interface (conform.idl) with exactly the semantics
 * the tests, the benchmarks and other DCE/RPC implementations rely on.
 *
 *     build/conform_server ncacn_ip_tcp:127.0.0.1[0] ncalrpc:[conform]
 *     build/conform_server --max-connections 16 --io-timeout 1000 ncacn_ip_tcp:127.0.0.1[0]
 *
 * The options set rs_server_options' limits of the same names (max_connections, io_timeout_ms,
 * idle_timeout_ms; 0 or none keeps the library's default), so the reliability tests can reach
 * each limit in seconds.
 * Prints "listening on BINDING" (with the real port) for each binding once it accepts calls, logs
 * one line per connection to stderr ("conform_server: accepted 127.0.0.1:53122", "... closed
 * 127.0.0.1:53122 (3 calls)", and connections refused), and exits 0 on SIGTERM or SIGINT after
 * finishing the calls in progress.
 */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "conform.h"
#include "hello.h"

#define SLEEP_MAX_MS 10000

static rs_server *server;

static void on_signal(int sig)
{
    (void)sig;
    rs_server_stop(server); /* async-signal-safe */
}

/* The server's log (rs_server_options.log): the library never prints, the program chooses where. */
static void log_line(void *ctx, const char *line)
{
    (void)ctx;
    fprintf(stderr, "conform_server: %s\n", line);
}

/* ---- the procedures ---------------------------------------------------------------------------- */

int32_t Add(int32_t a, int32_t b)
{
    return (int32_t)((uint32_t)a + (uint32_t)b); /* wraps modulo 2^32, never undefined */
}

int32_t Div(int32_t a, int32_t b)
{
    if (b == 0)
        rs_server_raise(RS_nca_s_fault_int_div_by_zero);
    if (a == INT32_MIN && b == -1)
        return INT32_MIN; /* the one quotient that does not fit */
    return a / b;
}

int32_t StrLen(char *s)
{
    return (int32_t)strlen(s);
}

int32_t WStrLen(uint16_t *s)
{
    if (s == NULL)
        return -1;
    int32_t n = 0;
    while (s[n] != 0)
        n++;
    return n;
}

void Reverse(int32_t n, int32_t *v)
{
    for (int32_t i = 0, j = n - 1; i < j; i++, j--) {
        int32_t t = v[i];
        v[i] = v[j];
        v[j] = t;
    }
}

int64_t SumMixed(mixed *m)
{
    uint64_t sum = (uint64_t)(int64_t)m->s + (uint64_t)(unsigned char)m->c + (uint64_t)(int64_t)m->l1 +
                   (uint64_t)(int64_t)m->l2 + (uint64_t)m->h;
    return (int64_t)sum; /* wrapping signed 64-bit sum */
}

int64_t SumPtrs(with_ptrs *p)
{
    if (p == NULL)
        return -1;
    int64_t sum = (uint32_t)p->l1;
    if (p->pl1 != NULL)
        sum += (uint32_t)*p->pl1;
    if (p->pc1 != NULL)
        sum += (uint8_t)*p->pc1;
    return sum;
}

void GetMixed(mixed *m)
{
    m->s = 0x1234;
    m->c = (char)0xa5;
    m->l1 = (int32_t)0xdeadbeef;
    m->l2 = (int32_t)0xcafebabe;
    m->h = (int64_t)0xbadefeed2468ace0ull;
}

int32_t UStrSum(ustring *u)
{
    int32_t sum = 0;
    for (unsigned i = 0; i < u->Length / 2u; i++)
        sum += u->Buffer[i];
    return sum;
}

void GetName(ustring *u)
{
    static const char name[] = "admin";
    u->Length = 10;
    u->MaximumLength = 12;
    u->Buffer = malloc(6 * sizeof *u->Buffer); /* the stub frees it once marshalled */
    if (u->Buffer == NULL)
        rs_server_raise(RS_nca_s_fault_remote_no_memory);
    for (size_t i = 0; i < sizeof name; i++)
        u->Buffer[i] = (uint16_t)name[i];
}

double NumValue(int16_t tag, num *n)
{
    switch (tag) {
    case 1:
        return (double)n->l;
    case 2:
        return n->d;
    case 3:
        return (double)(n->u.Length / 2);
    default:
        return 0.0;
    }
}

color NextColor(color c)
{
    switch (c) {
    case red:
        return green;
    case green:
        return blue;
    default:
        return red;
    }
}

void Echo(int32_t n, uint8_t *in, uint8_t *out)
{
    if (n > 0)
        memcpy(out, in, (size_t)n);
}

int32_t Sleep(int32_t ms)
{
    int32_t t = ms < 0 ? 0 : ms > SLEEP_MAX_MS ? SLEEP_MAX_MS : ms;
    struct timespec ts = {t / 1000, (long)(t % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0)
        ;
    return ms;
}

/* The hello lesson's interface, served alongside: a second interface on the same server. */
void HelloProc(unsigned char *pszString)
{
    (void)pszString;
}

void Shutdown(void)
{
    rs_server_stop(server);
}

/* ---- the program ------------------------------------------------------------------------------- */

static const char usage[] =
    "usage: conform_server [--max-connections N] [--io-timeout MS] [--idle-timeout MS] BINDING...\n"
    "  e.g. conform_server ncacn_ip_tcp:127.0.0.1[0] ncalrpc:[conform]\n";

/* A decimal from 0 to `max`, the whole text; false for anything else. */
static bool parse_limit(const char *text, long max, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || v < 0 || v > max)
        return false;
    *out = v;
    return true;
}

/* Reads the options in front of the bindings into `o`; returns the index of the first binding,
 * or 0 after saying what is wrong. */
static int parse_options(int argc, char **argv, rs_server_options *o)
{
    int i = 1;
    for (; i < argc && strncmp(argv[i], "--", 2) == 0; i += 2) {
        long v;
        if (i + 1 >= argc || !parse_limit(argv[i + 1], INT_MAX, &v)) {
            fprintf(stderr, "conform_server: %s needs a number from 0 to %d\n", argv[i], INT_MAX);
            return 0;
        }
        if (strcmp(argv[i], "--max-connections") == 0)
            o->max_connections = (unsigned)v;
        else if (strcmp(argv[i], "--io-timeout") == 0)
            o->io_timeout_ms = (int)v;
        else if (strcmp(argv[i], "--idle-timeout") == 0)
            o->idle_timeout_ms = (int)v;
        else {
            fprintf(stderr, "conform_server: unknown option '%s'\n%s", argv[i], usage);
            return 0;
        }
    }
    if (i >= argc) {
        fprintf(stderr, "%s", usage);
        return 0;
    }
    return i;
}

int main(int argc, char **argv)
{
    rs_error err = {0};
    if (argc == 2 && strcmp(argv[1], "--help") == 0) {
        printf("%s", usage);
        return 0;
    }
    rs_server_options options = {.log = log_line};
    int first = parse_options(argc, argv, &options);
    if (first == 0)
        return 2;
    if (rs_server_create(&options, &server) != RS_OK) {
        fprintf(stderr, "conform_server: cannot create the server\n");
        return 1;
    }
    if (rs_server_register(server, &conform_server_interface, &err) != RS_OK ||
        rs_server_register(server, &hello_server_interface, &err) != RS_OK)
        goto fail;
    for (int i = first; i < argc; i++)
        if (rs_server_listen(server, argv[i], &err) != RS_OK)
            goto fail;

    struct sigaction sa = {.sa_handler = on_signal};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    for (size_t i = 0; i < rs_server_binding_count(server); i++)
        printf("listening on %s\n", rs_server_binding(server, i));
    fflush(stdout);
    if (rs_server_run(server, &err) != RS_OK)
        goto fail;
    rs_server_destroy(server);
    return 0;
fail:
    fprintf(stderr, "conform_server: %s\n", err.message);
    rs_server_destroy(server);
    return 1;
}
