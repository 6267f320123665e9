/* conform_client.c -- calls every operation of the conformance interface and checks each answer:
 * the project's own interop test, and a client other DCE/RPC servers can be checked with.
 *
 *     build/conform_client [--big-endian] [--max-frag N] BINDING
 *     build/conform_client --sleep MS [--timeout MS] BINDING
 *
 * Prints one line per check and ends with "N passed, N failed"; exits non-zero on any failure.
 * With --sleep it makes one Sleep(MS) call and prints its outcome's status name (RS_OK,
 * RS_ERR_CLOSED, ...) and the time it took: the tests kill a server or a client mid-call with it.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rpcscope/transport.h>

#include "conform.h"
#include "hello.h"

static int passed, failed;

static void check(bool ok, const char *what)
{
    if (ok) {
        passed++;
        printf("ok      %s\n", what);
    } else {
        failed++;
        const rs_error *e = rs_last_call_error();
        printf("FAILED  %s (%s%s%s)\n", what, rs_status_name(rs_last_call_status()),
               e->message[0] ? ": " : "", e->message);
    }
}

static bool call_ok(void)
{
    return rs_last_call_status() == RS_OK;
}

static bool faulted_with(uint32_t code)
{
    return rs_last_call_status() == RS_ERR_FAULT && rs_last_call_fault() == code;
}

static void scalars(void)
{
    check(Add(2, 3) == 5 && call_ok(), "Add(2, 3) = 5");
    check(Add(INT32_MAX, 1) == INT32_MIN && call_ok(), "Add wraps modulo 2^32");
    check(Div(7, -2) == -3 && call_ok(), "Div(7, -2) = -3 (truncating)");
    check(Div(INT32_MIN, -1) == INT32_MIN && call_ok(), "Div(INT_MIN, -1) = INT_MIN");
    (void)Div(1, 0);
    check(faulted_with(RS_nca_s_fault_int_div_by_zero), "Div(1, 0) faults nca_s_fault_int_div_by_zero");
    check(Add(40, 2) == 42 && call_ok(), "the connection serves calls after a fault");
    check(NextColor(red) == green && NextColor(green) == blue && NextColor(blue) == red && call_ok(),
          "NextColor: red -> green -> blue -> red");
    check(Sleep(-5) == -5 && call_ok(), "Sleep(-5) returns at once");
}

static void strings(void)
{
    char s[] = "hello, world";
    check(StrLen(s) == 12 && call_ok(), "StrLen(\"hello, world\") = 12");
    uint16_t w[] = {'R', 'P', 'C', 0};
    check(WStrLen(w) == 3 && call_ok(), "WStrLen(L\"RPC\") = 3");
    check(WStrLen(NULL) == -1 && call_ok(), "WStrLen(NULL) = -1 (a NULL [unique] string)");
    uint16_t buf[] = {1, 2, 3, 400};
    ustring u = {.Length = 6, .MaximumLength = 8, .Buffer = buf};
    check(UStrSum(&u) == 6 && call_ok(), "UStrSum sums Buffer[0 .. Length/2)");
    ustring name = {0};
    GetName(&name);
    bool ok = call_ok() && name.Length == 10 && name.MaximumLength == 12 && name.Buffer != NULL &&
              name.Buffer[0] == 'a' && name.Buffer[4] == 'n';
    check(ok, "GetName returns \"admin\", Length 10, MaximumLength 12");
    conform_free_ustring(&name);
}

static void structures(void)
{
    mixed m = {.s = -2, .c = (char)200, .l1 = 100000, .l2 = -7, .h = INT64_C(1) << 40};
    check(SumMixed(&m) == -2 + 200 + 100000 - 7 + (INT64_C(1) << 40) && call_ok(),
          "SumMixed adds every member (c taken as 0..255)");
    mixed got = {0};
    GetMixed(&got);
    check(call_ok() && got.s == 0x1234 && (unsigned char)got.c == 0xa5 && got.l1 == (int32_t)0xdeadbeef &&
              got.l2 == (int32_t)0xcafebabe && got.h == (int64_t)0xbadefeed2468ace0ull,
          "GetMixed fills every member");
    int32_t l = 5;
    char c = 'A';
    with_ptrs p = {.l1 = 10, .pl1 = &l, .pc1 = &c};
    check(SumPtrs(&p) == 10 + 5 + 65 && call_ok(), "SumPtrs follows both embedded pointers");
    p.pl1 = NULL;
    check(SumPtrs(&p) == 10 + 65 && call_ok(), "SumPtrs with a NULL embedded pointer");
    check(SumPtrs(NULL) == -1 && call_ok(), "SumPtrs(NULL) = -1 (a NULL [unique] parameter)");
}

static void unions(void)
{
    num n = {.l = -9};
    check(NumValue(1, &n) == -9.0 && call_ok(), "NumValue arm 1: long");
    n.d = 2.5;
    check(NumValue(2, &n) == 2.5 && call_ok(), "NumValue arm 2: double");
    uint16_t b[] = {'x', 'y'};
    n.u = (ustring){.Length = 4, .MaximumLength = 4, .Buffer = b};
    check(NumValue(3, &n) == 2.0 && call_ok(), "NumValue arm 3: ustring");
    check(NumValue(7, &n) == 0.0 && call_ok(), "NumValue default arm");
}

static void arrays(void)
{
    int32_t v[] = {1, 2, 3, 4, 5};
    Reverse(5, v);
    check(call_ok() && v[0] == 5 && v[4] == 1 && v[2] == 3, "Reverse reverses in place ([in, out, size_is])");
    size_t sizes[] = {0, 1, 64, 4096, 1 << 20};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        size_t n = sizes[i];
        uint8_t *in = malloc(n + 1), *out = calloc(n + 1, 1);
        if (in == NULL || out == NULL)
            abort();
        for (size_t k = 0; k < n; k++)
            in[k] = (uint8_t)(k * 7 + 1);
        Echo((int32_t)n, in, out);
        char what[64];
        snprintf(what, sizeof what, "Echo of %zu bytes comes back equal", n);
        check(call_ok() && memcmp(in, out, n) == 0, what);
        free(in);
        free(out);
    }
}

/* One Sleep(ms) call: prints "RS_OK 1003 ms" or "RS_ERR_CLOSED 12 ms: sentence". */
static int sleep_once(int32_t ms)
{
    int64_t start = rs_clock_ns();
    (void)Sleep(ms);
    int64_t took = (rs_clock_ns() - start) / RS_NS_PER_MS;
    printf("%s %lld ms%s%s\n", rs_status_name(rs_last_call_status()), (long long)took,
           rs_last_call_status() != RS_OK ? ": " : "", rs_last_call_error()->message);
    return rs_last_call_status() == RS_OK ? 0 : 1;
}

/* A second interface on the same connection: the runtime sends an alter_context for it. */
static void second_interface(void)
{
    hello_IfHandle = conform_IfHandle;
    HelloProc((unsigned char *)"hello, world");
    check(call_ok(), "HelloProc of the hello interface on the same connection (alter_context)");
    check(Add(1, 1) == 2 && call_ok(), "conform still answers after the alter_context");
}

/* A whole decimal argument from 0 to `max`; exits with a usage message otherwise (atoi() would
 * take "abc" for 0 and is undefined past INT_MAX). */
static int32_t number_arg(const char *option, const char *text, long max)
{
    char *end;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || v < 0 || v > max) {
        fprintf(stderr, "conform_client: %s %s: a number from 0 to %ld\n", option, text, max);
        exit(2);
    }
    return (int32_t)v;
}

int main(int argc, char **argv)
{
    rs_client_options o = rs_client_default_options();
    const char *binding = NULL;
    int32_t sleep_ms = -1;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--sleep") == 0 && i + 1 < argc)
            sleep_ms = number_arg("--sleep", argv[++i], INT32_MAX);
        else if (strcmp(argv[i], "--timeout") == 0 && i + 1 < argc)
            o.call_timeout_ms = number_arg("--timeout", argv[++i], INT32_MAX);
        else if (strcmp(argv[i], "--big-endian") == 0)
            o.endian = RS_BE;
        else if (strcmp(argv[i], "--max-frag") == 0 && i + 1 < argc)
            o.max_frag = (uint16_t)number_arg("--max-frag", argv[++i], UINT16_MAX);
        else if (argv[i][0] != '-' && binding == NULL)
            binding = argv[i];
        else {
            fprintf(stderr, "usage: conform_client [--big-endian] [--max-frag N] [--sleep MS [--timeout MS]] BINDING\n");
            return 2;
        }
    }
    if (binding == NULL) {
        fprintf(stderr, "usage: conform_client [--big-endian] [--max-frag N] BINDING\n");
        return 2;
    }
    rs_error err = {0};
    rs_client *c;
    if (rs_client_open(binding, &o, &c, &err) != RS_OK) {
        fprintf(stderr, "conform_client: %s\n", err.message);
        return 1;
    }
    conform_IfHandle = c;
    if (sleep_ms >= 0) {
        int rc = sleep_once(sleep_ms);
        rs_client_close(c);
        return rc;
    }
    scalars();
    strings();
    structures();
    unions();
    arrays();
    second_interface();
    rs_client_close(c);
    printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
