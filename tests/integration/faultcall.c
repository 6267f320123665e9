/* faultcall.c -- a client that reliability.sh drives while it kills, stops and restarts servers.
 *
 *     build/tests/faultcall BINDING CALL_TIMEOUT_MS
 *
 * Reads one command a line from standard input and makes that call on one rs_client (so a later
 * call reuses, or reopens, the association of an earlier one):
 *
 *     add          Add(2, 3), right when it returns 5
 *     sleep MS     Sleep(MS): the server holds the call MS ms, right when it returns MS
 *
 * and answers each with one line, flushed: "ok MS" or "error MS STATUS_NAME: MESSAGE", MS the
 * call's wall time in milliseconds. A test starts a call, then makes the server vanish under it.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "conform.h"

static long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: faultcall BINDING CALL_TIMEOUT_MS\n");
        return 2;
    }
    rs_error err = {0};
    char *end;
    long timeout = strtol(argv[2], &end, 10);
    if (end == argv[2] || *end != '\0' || timeout < 1 || timeout > 600000) {
        fprintf(stderr, "faultcall: CALL_TIMEOUT_MS from 1 to 600000, not '%s'\n", argv[2]);
        return 2;
    }
    rs_client_options o = {.call_timeout_ms = (int)timeout, .connect_timeout_ms = 2000};
    if (rs_client_open(argv[1], &o, &conform_IfHandle, &err) != RS_OK) {
        fprintf(stderr, "faultcall: %s\n", err.message);
        return 1;
    }
    char line[128];
    while (fgets(line, sizeof line, stdin) != NULL) {
        long t0 = now_ms();
        bool right;
        if (strncmp(line, "add", 3) == 0)
            right = Add(2, 3) == 5;
        else if (strncmp(line, "sleep ", 6) == 0 && line[6] >= '0' && line[6] <= '9') {
            int32_t ms = (int32_t)strtol(line + 6, NULL, 10) % 60000; /* a minute at most */
            right = Sleep(ms) == ms;
        } else {
            printf("error 0 usage: add or sleep MS\n");
            fflush(stdout);
            continue;
        }
        long took = now_ms() - t0;
        rs_status st = rs_last_call_status();
        if (st == RS_OK && right)
            printf("ok %ld\n", took);
        else
            printf("error %ld %s: %s\n", took, rs_status_name(st),
                   st == RS_OK ? "a wrong answer" : rs_last_call_error()->message);
        fflush(stdout);
    }
    rs_client_close(conform_IfHandle);
    return 0;
}
