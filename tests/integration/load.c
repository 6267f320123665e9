/* load.c -- many clients' mixed calls at once against a running conform_server, every answer
 * checked.
 *
 *     build/tests/load 'ncacn_ip_tcp:127.0.0.1[41234]' [CLIENTS [CALLS]]     (64 and 2000)
 *
 * Each client is a process of its own (the stubs' implicit handle is one global) with one
 * rs_client, so CLIENTS associations run at once. All start together (they wait on a pipe the
 * parent closes), then each makes CALLS calls cycling through six operations whose answers depend
 * on the client and the call number: Add, Echo (64 bytes), Reverse (8 longs), StrLen, NumValue,
 * and Div by zero, whose right answer is the fault nca_s_fault_int_div_by_zero. A call whose
 * answer belongs to another call (one lost, duplicated or crossed) therefore fails the check.
 *
 * Prints "load: CLIENTS clients x CALLS calls: N right in S s (R calls/s)", one line per client
 * that failed, and "N passed, N failed" (one per client). The server's own count of calls (its
 * log's "closed ... (N calls)" lines) is checked by reliability.sh: exactly CLIENTS * CALLS.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "conform.h"

#define ECHO_SIZE 64
#define REVERSE_N 8

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Call number `i` of client `k`: true when the answer is right. */
static bool one_call(int32_t k, int32_t i, char *why, size_t size)
{
    int32_t tag = k * 100000 + i; /* unique to this call */
    bool right = false;
    switch (i % 6) {
    case 0: {
        int32_t r = Add(tag, k);
        right = rs_last_call_status() == RS_OK && r == tag + k;
        break;
    }
    case 1: {
        uint8_t in[ECHO_SIZE], out[ECHO_SIZE] = {0};
        for (int j = 0; j < ECHO_SIZE; j++)
            in[j] = (uint8_t)(tag >> (8 * (j % 4))) ^ (uint8_t)j;
        Echo(ECHO_SIZE, in, out);
        right = rs_last_call_status() == RS_OK && memcmp(in, out, sizeof in) == 0;
        break;
    }
    case 2: {
        int32_t v[REVERSE_N];
        for (int j = 0; j < REVERSE_N; j++)
            v[j] = tag + j;
        Reverse(REVERSE_N, v);
        right = rs_last_call_status() == RS_OK;
        for (int j = 0; right && j < REVERSE_N; j++)
            right = v[j] == tag + REVERSE_N - 1 - j;
        break;
    }
    case 3: {
        char s[40];
        int n = snprintf(s, sizeof s, "client %d call %d", k, i);
        right = StrLen(s) == n && rs_last_call_status() == RS_OK;
        break;
    }
    case 4: {
        num n = {.l = tag};
        right = NumValue(1, &n) == (double)tag && rs_last_call_status() == RS_OK;
        break;
    }
    default:
        Div(tag, 0);
        right = rs_last_call_status() == RS_ERR_FAULT &&
                rs_last_call_fault() == RS_nca_s_fault_int_div_by_zero;
        break;
    }
    if (!right)
        snprintf(why, size, "client %d, call %d (opnum kind %d): %s: %s", k, i, i % 6,
                 rs_status_name(rs_last_call_status()),
                 rs_last_call_status() == RS_OK ? "a wrong answer" : rs_last_call_error()->message);
    return right;
}

/* A client process: writes how many calls were right, then a sentence if one was not. */
static int client_main(const char *binding, int32_t k, int32_t calls, int go_fd, int out_fd)
{
    rs_error err = {0};
    rs_client_options o = {.call_timeout_ms = 30000};
    char why[512] = "";
    int32_t right = 0;
    if (rs_client_open(binding, &o, &conform_IfHandle, &err) != RS_OK)
        snprintf(why, sizeof why, "client %d: %s", k, err.message);
    char byte;
    while (read(go_fd, &byte, 1) > 0) /* the parent closes it: everyone starts at once */
        ;
    for (int32_t i = 0; why[0] == '\0' && i < calls; i++)
        if (one_call(k, i, why, sizeof why))
            right++;
    rs_client_close(conform_IfHandle);
    char line[600];
    int n = snprintf(line, sizeof line, "%d %s\n", right, why);
    return write(out_fd, line, (size_t)n) == n ? 0 : 1;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: load BINDING [CLIENTS [CALLS]]\n");
        return 2;
    }
    long clients = argc > 2 ? strtol(argv[2], NULL, 10) : 64;
    long calls = argc > 3 ? strtol(argv[3], NULL, 10) : 2000;
    if (clients < 1 || clients > 1024 || calls < 1 || calls > 1000000) {
        fprintf(stderr, "load: 1 to 1024 clients, 1 to 1000000 calls each\n");
        return 2;
    }
    int go[2];
    if (pipe(go) != 0)
        return 1;
    int *out = calloc((size_t)clients, sizeof *out);
    pid_t *pids = calloc((size_t)clients, sizeof *pids);
    if (out == NULL || pids == NULL) {
        free(out);
        free(pids);
        return 1;
    }
    for (int32_t k = 0; k < clients; k++) {
        int p[2];
        if (pipe(p) != 0) {
            perror("load: pipe"); /* the clients already started run on alone and exit */
            free(out);
            free(pids);
            return 1;
        }
        pids[k] = fork();
        if (pids[k] == 0) {
            close(go[1]);
            close(p[0]);
            _exit(client_main(argv[1], k, (int32_t)calls, go[0], p[1]));
        }
        close(p[1]);
        out[k] = p[0];
    }
    close(go[0]);
    double t0 = now_s();
    close(go[1]);
    int passed = 0, failed = 0;
    long right_total = 0;
    for (int32_t k = 0; k < (int32_t)clients; k++) {
        char line[600] = "";
        ssize_t n = read(out[k], line, sizeof line - 1);
        line[n > 0 ? n : 0] = '\0';
        close(out[k]);
        int status = 0;
        waitpid(pids[k], &status, 0);
        long right = strtol(line, NULL, 10);
        right_total += right;
        if (right == calls && WIFEXITED(status) && WEXITSTATUS(status) == 0)
            passed++;
        else {
            failed++;
            line[strcspn(line, "\n")] = '\0';
            printf("load: FAILED: client %d: %ld of %ld calls right, exit status %d: %s\n", k,
                   right, calls, status, strchr(line, ' ') != NULL ? strchr(line, ' ') + 1 : "");
        }
    }
    double took = now_s() - t0;
    printf("load: %ld clients x %ld calls: %ld right in %.1f s (%.0f calls/s)\n", clients, calls,
           right_total, took, (double)right_total / took);
    printf("%d passed, %d failed\n", passed, failed);
    free(out);
    free(pids);
    return failed == 0 ? 0 : 1;
}
