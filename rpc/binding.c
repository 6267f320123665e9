/* binding.c -- parse and compose string bindings. See binding.h for the grammar. */
#include "binding.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const struct {
    rs_protseq protseq;
    const char *name;
} protseqs[] = {
    {RS_PROTSEQ_TCP, "ncacn_ip_tcp"},
    {RS_PROTSEQ_LRPC, "ncalrpc"},
};

const char *rs_protseq_name(rs_protseq p)
{
    for (size_t i = 0; i < sizeof protseqs / sizeof protseqs[0]; i++)
        if (protseqs[i].protseq == p)
            return protseqs[i].name;
    return "unknown";
}

static rs_status fail(rs_binding *b, rs_status st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static rs_status fail(rs_binding *b, rs_status st, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    /* Writes b->error, never reads it: callers may pass a binding not yet initialised. */
    /* cppcheck-suppress ctuuninitvar */
    vsnprintf(b->error, sizeof b->error, fmt, ap);
    va_end(ap);
    return st;
}

/* Copies text[0, n) into dst[size] with a NUL; false if it does not fit. */
static bool copy_part(char *dst, size_t size, const char *text, size_t n)
{
    if (n >= size)
        return false;
    memcpy(dst, text, n);
    dst[n] = '\0';
    return true;
}

static bool parse_port(const char *s, unsigned *port)
{
    unsigned v = 0;
    if (*s == '\0')
        return false;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return false;
        v = v * 10 + (unsigned)(*s - '0');
        if (v > 65535)
            return false;
    }
    *port = v;
    return true;
}

rs_status rs_binding_parse(const char *text, rs_binding *out)
{
    rs_binding b;
    memset(&b, 0, sizeof b);
    if (text == NULL)
        return fail(out, RS_ERR_INVALID_ARG, "binding: no text");
    const char *p = text;

    /* [OBJECT_UUID@] -- a UUID is exactly 36 characters, so '@' can only be at 36. */
    const char *at = strchr(p, '@');
    if (at != NULL) {
        char uuid_text[RS_UUID_STRLEN];
        if (!copy_part(uuid_text, sizeof uuid_text, p, (size_t)(at - p)) ||
            rs_uuid_parse(uuid_text, &b.object) != RS_OK)
            return fail(out, RS_ERR_BAD_UUID, "binding: '%.*s' before '@' is not an object UUID",
                        (int)(at - p), p);
        b.has_object = true;
        p = at + 1;
    }

    /* PROTSEQ: */
    const char *colon = strchr(p, ':');
    if (colon == NULL)
        return fail(out, RS_ERR_INVALID_ARG,
                    "binding: '%s' has no ':' after the protocol sequence (e.g. ncacn_ip_tcp:HOST[PORT])",
                    text);
    size_t n = (size_t)(colon - p);
    bool known = false;
    for (size_t i = 0; i < sizeof protseqs / sizeof protseqs[0]; i++) {
        if (strlen(protseqs[i].name) == n && memcmp(protseqs[i].name, p, n) == 0) {
            b.protseq = protseqs[i].protseq;
            known = true;
        }
    }
    if (!known)
        return fail(out, RS_ERR_INVALID_ARG,
                    "binding: unknown protocol sequence '%.*s' (use ncacn_ip_tcp or ncalrpc)", (int)n, p);
    p = colon + 1;

    /* NETWORK_ADDRESS -- everything up to '[' (an IPv6 address keeps its colons). */
    const char *open = strchr(p, '[');
    n = open ? (size_t)(open - p) : strlen(p);
    if (!copy_part(b.host, sizeof b.host, p, n))
        return fail(out, RS_ERR_LIMIT, "binding: network address longer than %d characters",
                    RS_BINDING_HOST_MAX - 1);
    if (strpbrk(b.host, "]@, \t\r\n") != NULL)
        return fail(out, RS_ERR_INVALID_ARG, "binding: bad character in network address '%s'", b.host);
    if (b.protseq == RS_PROTSEQ_LRPC && b.host[0] != '\0')
        return fail(out, RS_ERR_INVALID_ARG,
                    "binding: ncalrpc takes no network address, only an endpoint: ncalrpc:[NAME]");

    /* [ENDPOINT,OPTIONS] */
    if (open != NULL) {
        const char *close = strchr(open, ']');
        if (close == NULL)
            return fail(out, RS_ERR_INVALID_ARG, "binding: '[' at column %zu is never closed",
                        (size_t)(open - text) + 1);
        if (memchr(open + 1, '[', (size_t)(close - open - 1)) != NULL)
            return fail(out, RS_ERR_INVALID_ARG, "binding: '[' inside the endpoint at column %zu",
                        (size_t)(open - text) + 2);
        if (close[1] != '\0')
            return fail(out, RS_ERR_INVALID_ARG, "binding: unexpected text after ']': '%s'", close + 1);
        const char *body = open + 1;
        const char *comma = memchr(body, ',', (size_t)(close - body));
        const char *ep_end = comma ? comma : close;
        if (!copy_part(b.endpoint, sizeof b.endpoint, body, (size_t)(ep_end - body)))
            return fail(out, RS_ERR_LIMIT, "binding: endpoint longer than %d characters",
                        RS_BINDING_ENDPOINT_MAX - 1);
        if (comma != NULL && !copy_part(b.options, sizeof b.options, comma + 1, (size_t)(close - comma - 1)))
            return fail(out, RS_ERR_LIMIT, "binding: options longer than %d characters",
                        RS_BINDING_OPTIONS_MAX - 1);
    }

    unsigned port;
    if (b.protseq == RS_PROTSEQ_TCP && b.endpoint[0] != '\0' && !parse_port(b.endpoint, &port))
        return fail(out, RS_ERR_INVALID_ARG, "binding: TCP endpoint '%s' is not a port number 0..65535",
                    b.endpoint);
    if (b.protseq == RS_PROTSEQ_LRPC && b.endpoint[0] == '\0')
        return fail(out, RS_ERR_INVALID_ARG, "binding: ncalrpc needs an endpoint name: ncalrpc:[NAME]");

    *out = b;
    return RS_OK;
}

rs_status rs_binding_compose(const rs_binding *b, char *out, size_t size)
{
    char object[RS_UUID_STRLEN + 1] = "";
    if (b->has_object) {
        rs_uuid_format(&b->object, object);
        strcat(object, "@");
    }
    int n;
    if (b->endpoint[0] == '\0' && b->options[0] == '\0')
        n = snprintf(out, size, "%s%s:%s", object, rs_protseq_name(b->protseq), b->host);
    else if (b->options[0] == '\0')
        n = snprintf(out, size, "%s%s:%s[%s]", object, rs_protseq_name(b->protseq), b->host, b->endpoint);
    else
        n = snprintf(out, size, "%s%s:%s[%s,%s]", object, rs_protseq_name(b->protseq), b->host,
                     b->endpoint, b->options);
    if (n < 0 || (size_t)n >= size)
        return RS_ERR_LIMIT;
    return RS_OK;
}

rs_status rs_binding_port(const rs_binding *b, unsigned *port)
{
    if (b->protseq != RS_PROTSEQ_TCP || !parse_port(b->endpoint, port))
        return RS_ERR_INVALID_ARG;
    return RS_OK;
}
