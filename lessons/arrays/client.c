/* client.c -- the arrays lesson's client: arrays whose size is known only at run time.
 *
 *     client BINDING [NAME]        e.g.  client "ncacn_ip_tcp:127.0.0.1[4747]" Ada
 *
 * Three calls, one kind of array each, then Shutdown():
 *   Sum(5, values)                 a conformant array: max_count, then all 5 elements;
 *   Average(24, 8, 10, temps)      a conformant-varying array: room for 24 hourly temperatures,
 *                                  of which only 10, from hour 8, cross the network;
 *   Greet(NAME, 32, greeting)      [string]s: NAME goes in, a greeting of at most 32 characters
 *                                  comes back.
 */
#include <stdio.h>
#include <string.h>

#include "arrays.h"

#define DEFAULT_BINDING "ncacn_ip_tcp:127.0.0.1[4747]"
#define HOURS 24
#define FIRST_HOUR 8 /* the working day: hours 8 to 17 */
#define WORK_HOURS 10
#define GREETING_MAX 32
#define NAME_MAX 64

/* One call of each kind; returns the first call's status that is not RS_OK. */
static rs_status make_calls(const char *name)
{
    int32_t values[] = {1, 2, 3, 4, 5};
    int32_t sum = Sum(5, values);
    if (rs_last_call_status() != RS_OK)
        return rs_last_call_status();
    printf("Sum(1..5) = %d\n", sum);

    /* 24 temperatures in tenths of a degree; the server needs the working day only. */
    int32_t temps[HOURS];
    for (int32_t h = 0; h < HOURS; h++)
        temps[h] = 100 + 10 * (h < 14 ? h : 28 - h); /* 10.0 at midnight, 24.0 at 14:00 */
    int32_t average = Average(HOURS, FIRST_HOUR, WORK_HOURS, temps);
    if (rs_last_call_status() != RS_OK)
        return rs_last_call_status();
    printf("average from %d:00 to %d:00: %d.%d degrees\n", FIRST_HOUR,
           FIRST_HOUR + WORK_HOURS - 1, average / 10, average % 10);

    char who[NAME_MAX];
    snprintf(who, sizeof who, "%s", name);
    char greeting[GREETING_MAX] = "";
    Greet(who, GREETING_MAX, greeting);
    if (rs_last_call_status() != RS_OK)
        return rs_last_call_status();
    printf("%s\n", greeting);
    return RS_OK;
}

int main(int argc, char **argv)
{
    const char *binding = argc > 1 ? argv[1] : DEFAULT_BINDING;
    const char *name = argc > 2 ? argv[2] : "Ada";
    if (argc > 3 || strlen(name) >= NAME_MAX) {
        fprintf(stderr, "usage: client BINDING [NAME]  (NAME: fewer than %d characters)\n",
                NAME_MAX);
        return 2;
    }

    rs_client *client;
    rs_error err = {0};
    if (rs_client_open(binding, NULL, &client, &err) != RS_OK) {
        fprintf(stderr, "%s\n", err.message); /* "client: ..." */
        return 1;
    }
    arrays_IfHandle = client; /* the interface's implicit binding handle */

    rs_status st = make_calls(name);
    if (st == RS_OK) {
        Shutdown();
        st = rs_last_call_status();
    }
    if (st != RS_OK)
        fprintf(stderr, "%s\n", rs_last_call_error()->message);
    rs_client_close(client);
    return st == RS_OK ? 0 : 1;
}
