/* client.c -- the unions lesson's client: values whose type is chosen at run time.
 *
 *     client BINDING               e.g.  client "ncacn_ip_tcp:127.0.0.1[4747]"
 *
 * Three calls, then Shutdown():
 *   Area(circle of radius 2)   a shape is an encapsulated union: its kind travels with it and
 *   Area(square of side 3)     says which arm follows, a double radius or a long side;
 *   Scale(2, 0.5, 10.0)        a non-encapsulated union: `how` (another parameter) says that
 *                              the factor is its double arm.
 */
#include <stdio.h>

#include "unions.h"

#define DEFAULT_BINDING "ncacn_ip_tcp:127.0.0.1[4747]"
#define HOW_WHOLE 1 /* the cases of the union number in unions.idl */
#define HOW_REAL 2

static rs_status make_calls(void)
{
    shape circle = {.kind = SHAPE_CIRCLE, .dims.radius = 2.0};
    shape square = {.kind = SHAPE_SQUARE, .dims.side = 3};
    double a = Area(&circle);
    if (rs_last_call_status() != RS_OK)
        return rs_last_call_status();
    printf("area of a circle of radius 2: %.4f\n", a);
    a = Area(&square);
    if (rs_last_call_status() != RS_OK)
        return rs_last_call_status();
    printf("area of a square of side 3: %.4f\n", a);

    number half = {.real = 0.5};
    double x = Scale(HOW_REAL, &half, 10.0);
    if (rs_last_call_status() != RS_OK)
        return rs_last_call_status();
    printf("10 scaled by 0.5: %.4f\n", x);
    return RS_OK;
}

int main(int argc, char **argv)
{
    const char *binding = argc > 1 ? argv[1] : DEFAULT_BINDING;
    if (argc > 2) {
        fprintf(stderr, "usage: client BINDING\n");
        return 2;
    }
    rs_client *client;
    rs_error err = {0};
    if (rs_client_open(binding, NULL, &client, &err) != RS_OK) {
        fprintf(stderr, "%s\n", err.message); /* "client: ..." */
        return 1;
    }
    unions_IfHandle = client; /* the interface's implicit binding handle */

    rs_status st = make_calls();
    if (st == RS_OK) {
        Shutdown();
        st = rs_last_call_status();
    }
    if (st != RS_OK)
        fprintf(stderr, "%s\n", rs_last_call_error()->message);
    rs_client_close(client);
    return st == RS_OK ? 0 : 1;
}
