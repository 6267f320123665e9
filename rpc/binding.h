/* binding.h -- string bindings: where a server listens and a client connects, as text.
 *
 * The form is DCE's and Microsoft's: [OBJECT_UUID@]PROTSEQ:NETWORK_ADDRESS[ENDPOINT,OPTIONS].
 *
 *     ncacn_ip_tcp:127.0.0.1[4747]      TCP to port 4747 on the loopback address
 *     ncacn_ip_tcp:::1[4747]            the same over IPv6 (the address is everything before '[')
 *     ncacn_ip_tcp:server.example[135]  a host name, resolved when connecting
 *     ncalrpc:[hello]                   a local (Unix) socket named "hello"
 *     6d5a3b1c-8f2e-4c7a-9b0d-1e2f3a4b5c6d@ncacn_ip_tcp:127.0.0.1[4747]   with an object UUID
 *
 *     rs_binding b;
 *     if (rs_binding_parse("ncacn_ip_tcp:127.0.0.1[4747]", &b) != RS_OK)
 *         fprintf(stderr, "%s\n", b.error);         // says what is wrong and where
 *     char text[RS_BINDING_STRLEN];
 *     rs_binding_compose(&b, text, sizeof text);     // back to the canonical text
 *
 * Parsing only splits and checks the text; names are resolved by the transport when it connects.
 */
#ifndef RPCSCOPE_BINDING_H
#define RPCSCOPE_BINDING_H

#include <stdbool.h>
#include <stddef.h>

#include "status.h"
#include "uuid.h"

/* Limits on each part: a DNS name, a Unix socket path (sun_path), the option text. */
#define RS_BINDING_HOST_MAX 256
#define RS_BINDING_ENDPOINT_MAX 108
#define RS_BINDING_OPTIONS_MAX 256
#define RS_BINDING_STRLEN (RS_UUID_STRLEN + 16 + RS_BINDING_HOST_MAX + RS_BINDING_ENDPOINT_MAX + \
                           RS_BINDING_OPTIONS_MAX + 4)
#define RS_BINDING_ERROR_MAX 160

/* The protocol sequences this library speaks. */
typedef enum {
    RS_PROTSEQ_TCP,  /* ncacn_ip_tcp: connection-oriented RPC over TCP/IP */
    RS_PROTSEQ_LRPC, /* ncalrpc: connection-oriented RPC over a local (Unix) socket */
} rs_protseq;

typedef struct rs_binding {
    bool has_object;
    rs_uuid object;                           /* meaningful when has_object */
    rs_protseq protseq;
    char host[RS_BINDING_HOST_MAX];           /* "" for ncalrpc, or for "any/localhost" */
    char endpoint[RS_BINDING_ENDPOINT_MAX];   /* a port number, a socket name, or "" (none) */
    char options[RS_BINDING_OPTIONS_MAX];     /* what followed the endpoint's comma, verbatim */
    char error[RS_BINDING_ERROR_MAX];         /* why the last parse failed, "" otherwise */
} rs_binding;

/* "ncacn_ip_tcp" for RS_PROTSEQ_TCP. */
const char *rs_protseq_name(rs_protseq p);

/* Parses a string binding. On failure returns RS_ERR_INVALID_ARG (or RS_ERR_BAD_UUID, or
 * RS_ERR_LIMIT for an over-long part) and writes why, with the column, into out->error. A TCP
 * endpoint, when present, must be a decimal port 0..65535. */
RS_MUST_CHECK rs_status rs_binding_parse(const char *text, rs_binding *out);

/* Writes the canonical text of `b` into out[size]; RS_ERR_LIMIT if it does not fit. */
RS_MUST_CHECK rs_status rs_binding_compose(const rs_binding *b, char *out, size_t size);

/* The TCP port of a binding with a numeric endpoint; RS_ERR_INVALID_ARG if there is none. */
RS_MUST_CHECK rs_status rs_binding_port(const rs_binding *b, unsigned *port);

#endif
