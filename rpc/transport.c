/* transport.c -- TCP and Unix sockets for the runtime, with deadlines. See transport.h.
 *
 * It also reports the transport lane of the trace (trace.h): CONNECT, LISTEN, ACCEPT, CLOSE, and
 * every PDU as it goes out (PDU_SENT, before the bytes are written, so that a step gate holds the
 * PDU on this side until the simulator releases it) and as it arrives (PDU_RECEIVED). Each event
 * names its connection as "LOCAL -> PEER", the way a packet capture tells connections apart.
 * rs_conn_send_held() adds an injected hold (inject.h) between PDU_SENT and the first byte, and
 * carries out the simulator's verdict on a PDU_SENT (trace.h): DELAY holds the PDU, DROP never
 * writes it (an ERROR event "dropped by the window: ..." says so). */
#include "transport.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

#include "pdu.h"
#include "trace.h"
#include "watchdog.h"

#define LISTEN_BACKLOG 128
#define PEER_MAX 80
/* An end of a connection in trace text: "127.0.0.1:53122", or "ncalrpc:[NAME]" with a socket
 * path as the name at worst. */
#define END_MAX (sizeof "ncalrpc:[]" + sizeof(((struct sockaddr_un *)0)->sun_path))

/* Where the fields the trace reads sit in the common header (pdu.h draws it). */
#define HDR_PTYPE_OFFSET 2
#define HDR_DREP_OFFSET 4
#define HDR_CALL_ID_OFFSET 12

/* The bytes read from the socket and not yet returned as PDUs. It holds the largest PDU
 * (frag_length is 16 bits), so that every PDU is returned where recv() put it, without a copy,
 * and one recv() brings a whole small PDU, or many fragments of a large call. Once a recv()
 * fills it, the peer is sending more than that at a time (a large call's fragments): it grows to
 * READ_AHEAD_MAX, so that a 64 KiB call with its headers comes in one recv() rather than two
 * (measured: 1.5-2 us less per 64 KiB echo on loopback). Allocated with the first read;
 * rs_conn_trim() frees it while a connection is idle, and it starts small again. */
#define READ_AHEAD_MIN ((size_t)RS_PDU_MAX_FRAG_LENGTH + 1)
#define READ_AHEAD_MAX ((size_t)256 * 1024)

struct rs_conn {
    int fd;
    rs_protseq protseq;
    uint8_t *ahead;      /* ahead_size bytes, NULL until the first read */
    size_t ahead_size;   /* READ_AHEAD_MIN, or READ_AHEAD_MAX once a recv() filled it */
    size_t ahead_start;  /* bytes [ahead_start, ahead_end) are read and not yet consumed */
    size_t ahead_end;
    bool ahead_filled;   /* the last recv() filled all the room it had */
    bool await_set;      /* rs_conn_set_await(): the socket has a receive timeout */
    char peer[PEER_MAX];
    /* For the trace: this end and the other one, and which side this process is on. */
    char local[END_MAX];
    char remote[END_MAX];
    rs_trace_role role; /* CLIENT for a connection we made, SERVER for one we accepted */
};

struct rs_listener {
    int fd;
    rs_protseq protseq;
    char path[sizeof(((struct sockaddr_un *)0)->sun_path)]; /* ncalrpc: removed on close */
    char binding[RS_BINDING_STRLEN];
};

/* The trace hook's clock: monotonic, minus the time this process has waited at step gates, so
 * that a class discussing one step does not make the call time out. */
int64_t rs_clock_ns(void)
{
    return rs_trace_clock_ns();
}

/* Waits for `events` on fd until the deadline: RS_OK when ready, RS_ERR_TIMEOUT when not. */
static rs_status wait_fd(int fd, short events, int64_t deadline, rs_error *err)
{
    for (;;) {
        int timeout_ms = -1;
        if (deadline != RS_DEADLINE_NONE) {
            int64_t left = deadline - rs_clock_ns();
            if (left <= 0)
                return rs_error_set(err, RS_ERR_TIMEOUT, "transport: timed out");
            int64_t ms = (left + RS_NS_PER_MS - 1) / RS_NS_PER_MS;
            timeout_ms = ms > INT_MAX ? INT_MAX : (int)ms;
        }
        struct pollfd p = {.fd = fd, .events = events};
        int n = poll(&p, 1, timeout_ms);
        if (n > 0)
            return RS_OK;
        if (n < 0 && errno != EINTR)
            return rs_error_set(err, RS_ERR_IO, "transport: poll: %s", strerror(errno));
        /* n == 0 or EINTR: loop and recompute what is left of the deadline */
    }
}

/* Listeners and connects in progress never block; a connection does (set_blocking()). */
static rs_status set_nonblocking(int fd, rs_error *err)
{
    int flags = fcntl(fd, F_GETFL);
    if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0 ||
        fcntl(fd, F_SETFD, FD_CLOEXEC) < 0)
        return rs_error_set(err, RS_ERR_IO, "transport: fcntl: %s", strerror(errno));
    return RS_OK;
}

/* A connection's socket blocks: a read waits inside recv(), cut off at its deadline by the
 * watchdog, and every call that must not wait says MSG_DONTWAIT (all sends, rs_conn_ready()). */
static rs_status set_blocking(int fd, rs_error *err)
{
    int flags = fcntl(fd, F_GETFL);
    if (flags < 0 || fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) < 0 ||
        fcntl(fd, F_SETFD, FD_CLOEXEC) < 0)
        return rs_error_set(err, RS_ERR_IO, "transport: fcntl: %s", strerror(errno));
    return RS_OK;
}

/* A request and its response are each written at once; without this Nagle's algorithm would hold
 * the second segment of a PDU back for a delayed ACK. */
static void set_nodelay(int fd)
{
    int one = 1;
    (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

static bool is_simple_name(const char *s)
{
    if (*s == '\0' || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
        return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              *s == '.' || *s == '_' || *s == '-'))
            return false;
    return true;
}

/* The Unix socket path of an ncalrpc endpoint; creates its folder when `create` is set. */
static rs_status lrpc_path(const char *endpoint, bool create, char *path, size_t size, rs_error *err)
{
    int n;
    if (strchr(endpoint, '/') != NULL) {
        if (endpoint[0] != '/')
            return rs_error_set(err, RS_ERR_ADDRESS,
                                "transport: ncalrpc endpoint '%s' must be a plain name or an absolute path",
                                endpoint);
        n = snprintf(path, size, "%s", endpoint);
    } else {
        if (!is_simple_name(endpoint))
            return rs_error_set(err, RS_ERR_ADDRESS,
                                "transport: ncalrpc endpoint '%s' must be letters, digits, '.', '_' or '-'",
                                endpoint);
        const char *tmp = getenv("TMPDIR");
        if (tmp == NULL || tmp[0] != '/')
            tmp = "/tmp";
        char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
        n = snprintf(dir, sizeof dir, "%s/rpcscope-%u", tmp, (unsigned)getuid());
        if (n < 0 || (size_t)n >= sizeof dir)
            return rs_error_set(err, RS_ERR_ADDRESS, "transport: TMPDIR is too long for a socket path");
        if (create && mkdir(dir, 0700) != 0 && errno != EEXIST)
            return rs_error_set(err, RS_ERR_ADDRESS, "transport: cannot create %s: %s", dir, strerror(errno));
        n = snprintf(path, size, "%s/%s", dir, endpoint);
    }
    if (n < 0 || (size_t)n >= size)
        return rs_error_set(err, RS_ERR_ADDRESS, "transport: socket path for '%s' is too long", endpoint);
    return RS_OK;
}

static void format_peer(const struct sockaddr *sa, char *out, size_t size);

/* `local` and `remote` name the two ends in trace events; NULL: the socket's own address (TCP)
 * and the peer. One getsockname() per connection, whether tracing is on or not, so that a sink
 * opened later still names connections made before it. */
static rs_status new_conn(int fd, rs_protseq protseq, const char *peer, const char *local,
                          const char *remote, rs_trace_role role, rs_conn **out, rs_error *err)
{
    rs_conn *c = calloc(1, sizeof *c);
    if (c == NULL) {
        close(fd);
        return rs_error_set(err, RS_ERR_NOMEM, "transport: out of memory");
    }
    c->fd = fd;
    c->protseq = protseq;
    c->role = role;
    snprintf(c->peer, sizeof c->peer, "%s", peer);
    if (local != NULL) {
        snprintf(c->local, sizeof c->local, "%s", local);
    } else {
        struct sockaddr_storage ss;
        socklen_t len = sizeof ss;
        if (getsockname(fd, (struct sockaddr *)&ss, &len) == 0)
            format_peer((struct sockaddr *)&ss, c->local, sizeof c->local);
        else
            snprintf(c->local, sizeof c->local, "?");
    }
    snprintf(c->remote, sizeof c->remote, "%s", remote != NULL ? remote : peer);
    *out = c;
    return RS_OK;
}

/* ---- trace events ---------------------------------------------------------------------------- */
/* Each is called only when rs_trace_enabled(): with tracing off an event site costs one branch. */

/* The PTYPEs a server sends: the way back of a call or a bind. */
static bool is_answer(uint8_t ptype)
{
    switch (ptype) {
    case RS_PTYPE_RESPONSE:
    case RS_PTYPE_FAULT:
    case RS_PTYPE_BIND_ACK:
    case RS_PTYPE_BIND_NAK:
    case RS_PTYPE_ALTER_CONTEXT_RESP:
    case RS_PTYPE_SHUTDOWN:
        return true;
    default:
        return false;
    }
}

/* CONNECT, ACCEPT, CLOSE: "LOCAL -> PEER" for a connection this process made, "LOCAL <- PEER"
 * for one it accepted. */
static void emit_conn(rs_trace_kind kind, const rs_conn *c)
{
    char text[2 * END_MAX + 4];
    snprintf(text, sizeof text, "%s %s %s", c->local, c->role == RS_TRACE_ROLE_SERVER ? "<-" : "->",
             c->remote);
    rs_trace_event ev = {.kind = kind, .role = c->role, .text = text};
    rs_trace_emit(&ev);
}

/* PDU_SENT ("LOCAL -> PEER") or PDU_RECEIVED ("LOCAL <- PEER"): the bytes, and what their header
 * says -- PTYPE, call id, byte order. Bytes too short for a header are reported as they are. */
static void emit_pdu(rs_trace_kind kind, const rs_conn *c, const uint8_t *pdu, size_t len)
{
    char text[2 * END_MAX + 4];
    snprintf(text, sizeof text, "%s %s %s", c->local, kind == RS_TRACE_PDU_SENT ? "->" : "<-",
             c->remote);
    rs_trace_event ev = {.kind = kind, .role = c->role, .text = text, .bytes = pdu,
                         .bytes_len = len, .length = len > UINT32_MAX ? UINT32_MAX : (uint32_t)len};
    if (len >= RS_PDU_HEADER_SIZE) {
        /* drep[0]'s high nibble is the integer representation: 0 big-endian, 1 little-endian */
        rs_endian e = (pdu[HDR_DREP_OFFSET] & 0xF0) == RS_DREP_INT_BIG_ENDIAN ? RS_BE : RS_LE;
        ev.ptype = pdu[HDR_PTYPE_OFFSET];
        ev.call_id = rs_load_u32(pdu + HDR_CALL_ID_OFFSET, e);
        ev.flags = (uint8_t)((e == RS_BE ? RS_TRACE_FLAG_BIG_ENDIAN : 0) |
                             (is_answer(ev.ptype) ? RS_TRACE_FLAG_OUT : 0));
    }
    rs_trace_emit(&ev);
}

static void format_peer(const struct sockaddr *sa, char *out, size_t size)
{
    char host[INET6_ADDRSTRLEN] = "?";
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)(const void *)sa;
        inet_ntop(AF_INET, &in->sin_addr, host, sizeof host);
        snprintf(out, size, "%s:%u", host, (unsigned)ntohs(in->sin_port));
    } else if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)(const void *)sa;
        inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof host);
        snprintf(out, size, "[%s]:%u", host, (unsigned)ntohs(in6->sin6_port));
    } else {
        snprintf(out, size, "local");
    }
}

/* Starts a non-blocking connect and waits for it to finish by the deadline. Closes fd on failure. */
static rs_status connect_fd(int fd, const struct sockaddr *sa, socklen_t len, int64_t deadline,
                            const char *what, rs_error *err)
{
    rs_status st = set_nonblocking(fd, err);
    if (st != RS_OK)
        goto fail;
    if (connect(fd, sa, len) != 0) {
        if (errno != EINPROGRESS && errno != EAGAIN) {
            st = rs_error_set(err, RS_ERR_CONNECT, "transport: cannot connect to %s: %s", what, strerror(errno));
            goto fail;
        }
        st = wait_fd(fd, POLLOUT, deadline, NULL);
        if (st == RS_ERR_TIMEOUT) {
            st = rs_error_set(err, RS_ERR_TIMEOUT, "transport: connecting to %s timed out", what);
            goto fail;
        }
        int so_error = 0;
        socklen_t so_len = sizeof so_error;
        if (st != RS_OK || getsockopt(fd, SOL_SOCKET, SO_ERROR, &so_error, &so_len) != 0 || so_error != 0) {
            st = rs_error_set(err, RS_ERR_CONNECT, "transport: cannot connect to %s: %s", what,
                              strerror(so_error ? so_error : errno));
            goto fail;
        }
    }
    st = set_blocking(fd, err);
    if (st == RS_OK)
        return RS_OK;
fail:
    close(fd);
    return st;
}

static rs_status connect_tcp(const rs_binding *b, int64_t deadline, rs_conn **out, rs_error *err)
{
    if (b->endpoint[0] == '\0')
        return rs_error_set(err, RS_ERR_ADDRESS,
                            "transport: the binding names no port (ncacn_ip_tcp:HOST[PORT])");
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV};
    struct addrinfo *list = NULL;
    const char *host = b->host[0] ? b->host : NULL; /* NULL: the loopback address */
    int gai = getaddrinfo(host, b->endpoint, &hints, &list);
    if (gai != 0)
        return rs_error_set(err, RS_ERR_ADDRESS, "transport: cannot resolve '%s': %s",
                            b->host[0] ? b->host : "localhost", gai_strerror(gai));
    rs_status st = RS_ERR_CONNECT;
    for (struct addrinfo *ai = list; ai != NULL; ai = ai->ai_next) {
        char what[PEER_MAX];
        format_peer(ai->ai_addr, what, sizeof what);
        int fd = socket(ai->ai_family, SOCK_STREAM, 0);
        if (fd < 0) {
            st = rs_error_set(err, RS_ERR_IO, "transport: socket: %s", strerror(errno));
            continue;
        }
        st = connect_fd(fd, ai->ai_addr, ai->ai_addrlen, deadline, what, err);
        if (st == RS_OK) {
            rs_error_clear(err); /* an earlier address may have failed */
            set_nodelay(fd);
            st = new_conn(fd, RS_PROTSEQ_TCP, what, NULL, NULL, RS_TRACE_ROLE_CLIENT, out, err);
            break;
        }
        if (st == RS_ERR_TIMEOUT)
            break;
    }
    freeaddrinfo(list);
    return st;
}

static rs_status connect_lrpc(const rs_binding *b, int64_t deadline, rs_conn **out, rs_error *err)
{
    struct sockaddr_un sun = {.sun_family = AF_UNIX};
    rs_status st = lrpc_path(b->endpoint, false, sun.sun_path, sizeof sun.sun_path, err);
    if (st != RS_OK)
        return st;
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    if (fd < 0)
        return rs_error_set(err, RS_ERR_IO, "transport: socket: %s", strerror(errno));
    st = connect_fd(fd, (struct sockaddr *)&sun, sizeof sun, deadline, sun.sun_path, err);
    if (st != RS_OK)
        return st;
    char remote[END_MAX];
    snprintf(remote, sizeof remote, "ncalrpc:[%s]", b->endpoint);
    return new_conn(fd, RS_PROTSEQ_LRPC, "local", "local", remote, RS_TRACE_ROLE_CLIENT, out, err);
}

rs_status rs_conn_connect(const rs_binding *b, int64_t deadline, rs_conn **out, rs_error *err)
{
    *out = NULL;
    rs_status st = b->protseq == RS_PROTSEQ_LRPC ? connect_lrpc(b, deadline, out, err)
                                                 : connect_tcp(b, deadline, out, err);
    if (st == RS_OK && rs_trace_enabled())
        emit_conn(RS_TRACE_CONNECT, *out);
    return st;
}

/* The note that explains an injected hold: an ERROR event about the PDU about to be held. */
static void emit_hold_note(const rs_conn *c, const uint8_t *pdu, size_t len, const char *note)
{
    rs_trace_event ev = {.kind = RS_TRACE_ERROR, .layer = RS_TRACE_LAYER_TRANSPORT,
                         .role = c->role, .text = note}; /* the socket's lane: it is held there */
    if (len >= RS_PDU_HEADER_SIZE) {
        rs_endian e = (pdu[HDR_DREP_OFFSET] & 0xF0) == RS_DREP_INT_BIG_ENDIAN ? RS_BE : RS_LE;
        ev.ptype = pdu[HDR_PTYPE_OFFSET];
        ev.call_id = rs_load_u32(pdu + HDR_CALL_ID_OFFSET, e);
    }
    rs_trace_emit(&ev);
}

/* Sleeps hold_ms of real time (CLOCK_MONOTONIC, not the gate-adjusted clock), or until the
 * deadline, whichever is first. */
static void hold(uint32_t hold_ms, int64_t deadline)
{
    int64_t ns = (int64_t)hold_ms * RS_NS_PER_MS;
    if (deadline != RS_DEADLINE_NONE) {
        int64_t left = deadline - rs_clock_ns();
        if (left < ns)
            ns = left;
    }
    if (ns <= 0)
        return;
    struct timespec end;
    clock_gettime(CLOCK_MONOTONIC, &end);
    end.tv_sec += (time_t)(ns / RS_NS_PER_S);
    end.tv_nsec += (long)(ns % RS_NS_PER_S);
    if (end.tv_nsec >= RS_NS_PER_S) {
        end.tv_sec++;
        end.tv_nsec -= RS_NS_PER_S;
    }
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &end, NULL) == EINTR)
        ; /* a signal: sleep on to the same end */
}

static rs_status send_flat(rs_conn *c, const uint8_t *p, size_t len, int64_t deadline,
                           rs_error *err);

/* A call whose stub data is at most this many bytes, in one fragment, is sent flat
 * (rs_conn_send_fragments()). */
#define SMALL_PDU_STUB 1024

rs_status rs_conn_send(rs_conn *c, const void *data, size_t len, int64_t deadline, rs_error *err)
{
    return rs_conn_send_held(c, data, len, 0, NULL, deadline, err);
}

rs_status rs_conn_send_held(rs_conn *c, const void *data, size_t len, uint32_t hold_ms,
                            const char *note, int64_t deadline, rs_error *err)
{
    const uint8_t *p = data;
    if (rs_trace_enabled()) { /* before the first byte leaves: a step gate holds the PDU here */
        emit_pdu(RS_TRACE_PDU_SENT, c, p, len);
        /* The simulator may act on the packet it draws in flight (trace.h, the verdict). */
        rs_trace_verdict v = rs_trace_take_verdict();
        if (v.kind == RS_TRACE_DROP) {
            emit_hold_note(c, p, len,
                           "dropped by the window: the network loses this PDU; the peer never "
                           "receives it");
            return RS_OK; /* as for a lost packet, the sender does not know */
        }
        if (v.kind == RS_TRACE_DELAY) {
            char late[96];
            snprintf(late, sizeof late, "delayed by the window: this PDU is held %" PRIu32
                     " ms before it goes out", v.ms);
            emit_hold_note(c, p, len, late);
            hold(v.ms, deadline);
        }
    }
    if (hold_ms > 0) {
        if (note != NULL && rs_trace_enabled())
            emit_hold_note(c, p, len, note);
        hold(hold_ms, deadline);
    }
    return send_flat(c, p, len, deadline, err);
}

/* After a send() or sendmsg() that failed, errno says why: RS_OK to try again (a signal, or room
 * in the socket came by the deadline), or the failure, with a peer that went away as
 * RS_ERR_CLOSED (MSG_NOSIGNAL: never a SIGPIPE). */
static rs_status after_failed_send(rs_conn *c, int64_t deadline, rs_error *err)
{
    if (errno == EINTR)
        return RS_OK;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
        rs_status st = wait_fd(c->fd, POLLOUT, deadline, NULL);
        if (st == RS_ERR_TIMEOUT)
            return rs_error_set(err, st, "transport: sending to %s timed out", c->peer);
        if (st != RS_OK)
            return rs_error_set(err, st, "transport: waiting to send to %s failed", c->peer);
        return RS_OK;
    }
    if (errno == EPIPE || errno == ECONNRESET)
        return rs_error_set(err, RS_ERR_CLOSED, "transport: %s closed the connection", c->peer);
    return rs_error_set(err, RS_ERR_IO, "transport: send to %s: %s", c->peer, strerror(errno));
}

/* Writes all `len` bytes by the deadline. */
static rs_status send_flat(rs_conn *c, const uint8_t *p, size_t len, int64_t deadline,
                           rs_error *err)
{
    while (len > 0) {
        ssize_t n = send(c->fd, p, len, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n > 0) {
            p += n;
            len -= (size_t)n;
            continue;
        }
        rs_status st = after_failed_send(c, deadline, err);
        if (st != RS_OK)
            return st;
    }
    return RS_OK;
}

/* Writes all of iov[0..n) (consumed as it goes) by the deadline: sendmsg() with MSG_NOSIGNAL, a
 * peer that went away is an error here and never a SIGPIPE. Every send says MSG_DONTWAIT: the
 * socket blocks (for its reads), but a send never waits past its deadline. */
static rs_status send_iov(rs_conn *c, struct iovec *iov, size_t n, int64_t deadline, rs_error *err)
{
    while (n > 0) {
        struct msghdr msg = {.msg_iov = iov, .msg_iovlen = n};
        ssize_t w = sendmsg(c->fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (w >= 0) {
            size_t done = (size_t)w;
            while (n > 0 && done >= iov->iov_len) {
                done -= iov->iov_len;
                iov++;
                n--;
            }
            if (n > 0) {
                iov->iov_base = (uint8_t *)iov->iov_base + done;
                iov->iov_len -= done;
            }
            continue;
        }
        rs_status st = after_failed_send(c, deadline, err);
        if (st != RS_OK)
            return st;
    }
    return RS_OK;
}

/* Appends to iov the pieces of the stub bytes [from, from + len): from the stub itself, except
 * where a ref says they are elsewhere. *next is the first ref that may still matter (refs come in
 * stream order and do not overlap); it only moves on. Returns the pieces appended. */
static size_t stub_pieces(const uint8_t *stub, size_t from, size_t len, const rs_buf_ref *refs,
                          size_t ref_count, size_t *next, struct iovec *iov)
{
    size_t n = 0, end = from + len;
    while (from < end) {
        while (*next < ref_count && refs[*next].at + refs[*next].len <= from)
            (*next)++;
        const rs_buf_ref *r = *next < ref_count ? &refs[*next] : NULL;
        const uint8_t *p;
        size_t upto;
        if (r != NULL && r->at <= from) { /* inside the ref */
            p = r->data + (from - r->at);
            upto = r->at + r->len < end ? r->at + r->len : end;
        } else { /* the stub's own bytes, up to the next ref */
            p = stub + from;
            upto = r != NULL && r->at < end ? r->at : end;
        }
        iov[n++] = (struct iovec){.iov_base = (void *)(uintptr_t)p, .iov_len = upto - from};
        from = upto;
    }
    return n;
}

rs_status rs_conn_send_fragments(rs_conn *c, rs_pdu_fragmenter *f, rs_buf *headers,
                                 const rs_buf_ref *refs, size_t ref_count, int64_t deadline,
                                 size_t *sends, rs_error *err)
{
    *sends = 0;
    if (ref_count > RS_CONN_MAX_REFS)
        return rs_error_set(err, RS_ERR_INVALID_ARG,
                            "transport: %zu arrays left in place; at most %d can be sent",
                            ref_count, RS_CONN_MAX_REFS);
    size_t next_ref = 0;
    while (!rs_pdu_fragmenter_done(f)) {
        size_t at[RS_CONN_GATHER_FRAGMENTS], len[RS_CONN_GATHER_FRAGMENTS];
        const uint8_t *stub[RS_CONN_GATHER_FRAGMENTS];
        size_t stub_len[RS_CONN_GATHER_FRAGMENTS];
        size_t k = 0;
        rs_buf_reset(headers);
        while (k < RS_CONN_GATHER_FRAGMENTS && !rs_pdu_fragmenter_done(f)) {
            at[k] = headers->len;
            rs_status st = rs_pdu_fragmenter_next_header(f, headers, &stub[k], &stub_len[k]);
            if (st != RS_OK)
                return rs_error_set(err, st, "transport: %s", rs_buf_error(headers));
            len[k] = headers->len - at[k];
            k++;
        }
        /* A call in one small fragment goes out in one flat send(): copying a few hundred bytes
         * after the header costs less than the kernel's walk over a gather list. */
        if (k == 1 && *sends == 0 && stub_len[0] <= SMALL_PDU_STUB && ref_count == 0) {
            rs_status st = stub_len[0] > 0 ? rs_buf_put_bytes(headers, stub[0], stub_len[0]) : RS_OK;
            if (st != RS_OK)
                return rs_error_set(err, st, "transport: %s", rs_buf_error(headers));
            st = send_flat(c, headers->data, headers->len, deadline, err);
            if (st == RS_OK)
                (*sends)++;
            return st;
        }
        /* Pointers only now: `headers` may have moved while it grew. Each ref splits the
         * stub's pieces at most twice (where it starts and where it ends). */
        struct iovec iov[2 * RS_CONN_GATHER_FRAGMENTS + 2 * RS_CONN_MAX_REFS];
        size_t n = 0;
        for (size_t i = 0; i < k; i++) {
            iov[n++] = (struct iovec){.iov_base = headers->data + at[i], .iov_len = len[i]};
            if (stub_len[i] > 0)
                n += stub_pieces(f->stub, (size_t)(stub[i] - f->stub), stub_len[i], refs,
                                 ref_count, &next_ref, iov + n);
        }
        rs_status st = send_iov(c, iov, n, deadline, err);
        if (st != RS_OK)
            return st;
        (*sends)++;
    }
    return RS_OK;
}

static rs_status ensure_ahead(rs_conn *c, rs_error *err)
{
    if (c->ahead == NULL) {
        if ((c->ahead = malloc(READ_AHEAD_MIN)) == NULL)
            return rs_error_set(err, RS_ERR_NOMEM, "transport: out of memory");
        c->ahead_size = READ_AHEAD_MIN;
        c->ahead_filled = false;
    }
    return RS_OK;
}

/* One recv() into the room after the bytes read ahead, noting whether it filled that room. */
static ssize_t recv_ahead(rs_conn *c, int flags)
{
    size_t room = c->ahead_size - c->ahead_end;
    ssize_t r = recv(c->fd, c->ahead + c->ahead_end, room, flags);
    c->ahead_filled = r > 0 && (size_t)r == room;
    return r;
}

/* Reads what the socket has (at least one byte) after the bytes buffered, waiting by the
 * deadline when it has nothing. What is buffered is less than one PDU (a whole one would have
 * been returned); it moves to the front first, so that the rest of the largest PDU fits after
 * it. RS_ERR_CLOSED at end of stream (or a reset); the caller tells "between PDUs" from "inside
 * one". `got` of `want` bytes have come, for the timeout's message. */
/* RS_ERR_TIMEOUT for a read that ended at its deadline with `got` of the `want` bytes. */
static rs_status timed_out(const rs_conn *c, size_t got, size_t want, rs_error *err)
{
    return rs_error_set(err, RS_ERR_TIMEOUT,
                        "transport: no data from %s before the deadline (%zu of %zu bytes)",
                        c->peer, got, want);
}

static rs_status read_more(rs_conn *c, int64_t deadline, size_t got, size_t want, rs_error *err)
{
    size_t have = c->ahead_end - c->ahead_start;
    if (c->ahead_start > 0) {
        memmove(c->ahead, c->ahead + c->ahead_start, have);
        c->ahead_start = 0;
        c->ahead_end = have;
    }
    if (c->ahead_filled && c->ahead_size < READ_AHEAD_MAX) {
        uint8_t *bigger = realloc(c->ahead, READ_AHEAD_MAX);
        if (bigger != NULL) { /* otherwise the small buffer still holds any PDU */
            c->ahead = bigger;
            c->ahead_size = READ_AHEAD_MAX;
        }
    }
    for (;;) {
        /* The wait is inside recv(), cut off at the deadline by the watchdog (watchdog.h): no
         * kernel timer per wait. A deadline already past, a clock a step gate may stop, or no
         * watchdog: the wait is in poll(), which looks at the clock again each time. */
        rs_watch w;
        int64_t left = deadline == RS_DEADLINE_NONE ? 0 : deadline - rs_clock_ns();
        /* Past the deadline nothing more is read, even what may have come: the caller's time is
         * up (a client's call times out even if a quick server answered a request that a hold
         * sent at the deadline), the same however fast the peer is. */
        if (deadline != RS_DEADLINE_NONE && left <= 0)
            return timed_out(c, got, want, err);
        bool watched = deadline == RS_DEADLINE_NONE ||
                       (left > 0 && !rs_trace_may_pause() &&
                        rs_watch_begin(&w, RS_WATCH_SHUTDOWN, c->fd, rs_watch_now() + left));
        ssize_t r = recv_ahead(c, watched ? 0 : MSG_DONTWAIT);
        int recv_errno = errno;
        if (watched && deadline != RS_DEADLINE_NONE && rs_watch_end(&w))
            return timed_out(c, got, want, err);
        errno = recv_errno;
        if (r > 0) {
            c->ahead_end += (size_t)r;
            return RS_OK;
        }
        if (r == 0)
            return RS_ERR_CLOSED;
        if (errno == EINTR || (watched && (errno == EAGAIN || errno == EWOULDBLOCK)))
            continue; /* a signal, or the socket's own receive timeout (rs_conn_set_await()) */
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            rs_status st = wait_fd(c->fd, POLLIN, deadline, NULL);
            if (st == RS_ERR_TIMEOUT)
                return timed_out(c, got, want, err);
            if (st != RS_OK)
                return rs_error_set(err, st, "transport: waiting for %s failed", c->peer);
            continue;
        }
        if (errno == ECONNRESET)
            return RS_ERR_CLOSED;
        return rs_error_set(err, RS_ERR_IO, "transport: recv from %s: %s", c->peer, strerror(errno));
    }
}

rs_status rs_conn_recv_pdu(rs_conn *c, size_t max_pdu, int64_t deadline, rs_buf *pdu, rs_error *err)
{
    rs_buf_view(pdu, NULL, 0);
    rs_status st = ensure_ahead(c, err);
    size_t frag_length = 0; /* 0 until the header is here */
    while (st == RS_OK) {
        size_t have = c->ahead_end - c->ahead_start;
        if (frag_length == 0 && have >= RS_PDU_HEADER_SIZE) {
            rs_buf hdr;
            rs_buf_view(&hdr, c->ahead + c->ahead_start, RS_PDU_HEADER_SIZE);
            st = rs_pdu_peek_length(&hdr, max_pdu, &frag_length);
            if (st != RS_OK)
                return rs_error_set(err, st, "transport: from %s: %s", c->peer, rs_buf_error(&hdr));
        }
        if (frag_length != 0 && have >= frag_length)
            break;
        st = read_more(c, deadline, have, frag_length != 0 ? frag_length : RS_PDU_HEADER_SIZE, err);
        if (st == RS_ERR_CLOSED && have == 0)
            return rs_error_set(err, st, "transport: %s closed the connection", c->peer);
        if (st == RS_ERR_CLOSED && frag_length == 0)
            return rs_error_set(err, RS_ERR_TRUNCATED, "transport: %s closed the connection inside a PDU header "
                                "(%zu of 16 bytes)", c->peer, have);
        if (st == RS_ERR_CLOSED)
            return rs_error_set(err, RS_ERR_TRUNCATED, "transport: %s closed the connection inside a PDU "
                                "(%zu of %zu bytes)", c->peer, have, frag_length);
    }
    if (st != RS_OK)
        return st;
    rs_buf_view(pdu, c->ahead + c->ahead_start, frag_length);
    c->ahead_start += frag_length;
    if (rs_trace_enabled())
        emit_pdu(RS_TRACE_PDU_RECEIVED, c, pdu->data, pdu->len);
    return RS_OK;
}

size_t rs_conn_buffered(const rs_conn *c)
{
    return c->ahead_end - c->ahead_start;
}

rs_status rs_conn_reassemble(const rs_conn *c, rs_pdu_reassembler *r, const rs_pdu *frag,
                             bool *complete)
{
    bool in_place = r->fragments == 0
                        ? (frag->hdr.pfc_flags & RS_PFC_LAST_FRAG) != 0 || rs_conn_pdu_buffered(c)
                        : r->in_place;
    /* The fragment's bytes are consumed bytes of the read-ahead buffer: the reader's to change. */
    return in_place ? rs_pdu_reassembler_add_in_place(r, frag, (uint8_t *)(uintptr_t)frag->stub,
                                                      complete)
                    : rs_pdu_reassembler_add(r, frag, complete);
}

rs_status rs_conn_before_read(const rs_conn *c, rs_pdu_reassembler *r)
{
    return r->in_place && !rs_conn_pdu_buffered(c) ? rs_pdu_reassembler_settle(r) : RS_OK;
}

bool rs_conn_pdu_buffered(const rs_conn *c)
{
    size_t have = rs_conn_buffered(c);
    if (have < RS_PDU_HEADER_SIZE)
        return false;
    rs_buf hdr;
    rs_buf_view(&hdr, c->ahead + c->ahead_start, RS_PDU_HEADER_SIZE);
    size_t frag_length;
    /* A header rs_conn_recv_pdu() refuses is refused before it reads on; under any limit, the
     * length it checks against is at most RS_PDU_MAX_FRAG_LENGTH. */
    if (rs_pdu_peek_length(&hdr, RS_PDU_MAX_FRAG_LENGTH, &frag_length) != RS_OK)
        return true;
    return have >= frag_length;
}

/* One recv() with `flags` into the empty read-ahead buffer: true when bytes came, or the peer
 * closed or broke the connection (the next read reports it). */
static bool read_first(rs_conn *c, int flags)
{
    if (rs_conn_buffered(c) > 0)
        return true;
    if (ensure_ahead(c, NULL) != RS_OK)
        return false; /* no memory now: the caller waits and the read reports it */
    c->ahead_start = c->ahead_end = 0;
    for (;;) {
        ssize_t r = recv_ahead(c, flags);
        if (r > 0) {
            c->ahead_end = (size_t)r;
            return true;
        }
        if (r < 0 && errno == EINTR)
            continue;
        /* End of stream and errors stay where the next read finds them: it reports them. */
        return !(r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK));
    }
}

bool rs_conn_ready(rs_conn *c)
{
    return read_first(c, MSG_DONTWAIT);
}

rs_status rs_conn_set_await(rs_conn *c, int ms, rs_error *err)
{
    struct timeval tv = {.tv_sec = ms / 1000, .tv_usec = (suseconds_t)(ms % 1000) * 1000};
    if (ms <= 0 || setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) != 0)
        return rs_error_set(err, RS_ERR_IO, "transport: cannot set a receive timeout of %d ms: %s",
                            ms, ms <= 0 ? "not positive" : strerror(errno));
    c->await_set = true;
    return RS_OK;
}

bool rs_conn_await(rs_conn *c)
{
    return read_first(c, c->await_set ? 0 : MSG_DONTWAIT);
}

rs_status rs_conn_clear_await(rs_conn *c, rs_error *err)
{
    struct timeval none = {0};
    if (setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &none, sizeof none) != 0)
        return rs_error_set(err, RS_ERR_IO, "transport: cannot clear the receive timeout: %s",
                            strerror(errno));
    c->await_set = false;
    return RS_OK;
}

bool rs_conn_awaits(const rs_conn *c)
{
    return c->await_set;
}

bool rs_conn_wait(rs_conn *c)
{
    return read_first(c, 0);
}

void rs_conn_trim(rs_conn *c)
{
    if (rs_conn_buffered(c) == 0) {
        free(c->ahead);
        c->ahead = NULL;
        c->ahead_start = c->ahead_end = 0;
    }
}

const char *rs_conn_peer(const rs_conn *c) { return c->peer; }
int rs_conn_fd(const rs_conn *c) { return c->fd; }
rs_protseq rs_conn_protseq(const rs_conn *c) { return c->protseq; }

void rs_conn_close(rs_conn *c)
{
    if (c == NULL)
        return;
    if (rs_trace_enabled())
        emit_conn(RS_TRACE_CLOSE, c);
    close(c->fd);
    free(c->ahead);
    free(c);
}

static rs_status listen_tcp(const rs_binding *b, rs_listener *l, rs_error *err)
{
    /* Loopback only unless the binding names an address: a class's demo server is not public. */
    const char *host = b->host[0] ? b->host : "127.0.0.1";
    const char *port = (b->endpoint[0] && strcmp(b->endpoint, "0") != 0) ? b->endpoint : "0";
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
    struct addrinfo *list = NULL;
    int gai = getaddrinfo(host, port, &hints, &list);
    if (gai != 0)
        return rs_error_set(err, RS_ERR_ADDRESS, "transport: cannot resolve '%s': %s", host, gai_strerror(gai));
    rs_status st = RS_ERR_ADDRESS;
    for (struct addrinfo *ai = list; ai != NULL; ai = ai->ai_next) {
        int fd = socket(ai->ai_family, SOCK_STREAM, 0);
        if (fd < 0)
            continue;
        int one = 1;
        (void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (ai->ai_family == AF_INET6)
            (void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
        if (bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, LISTEN_BACKLOG) != 0) {
            st = rs_error_set(err, RS_ERR_ADDRESS, "transport: cannot listen on %s port %s: %s", host, port,
                              strerror(errno));
            close(fd);
            continue;
        }
        struct sockaddr_storage ss;
        socklen_t len = sizeof ss;
        char where[PEER_MAX];
        getsockname(fd, (struct sockaddr *)&ss, &len);
        format_peer((struct sockaddr *)&ss, where, sizeof where);
        /* where is "127.0.0.1:41234" or "[::1]:41234": the port follows the last ':' */
        const char *colon = strrchr(where, ':');
        const char *addr_end = colon;
        const char *addr = where;
        if (where[0] == '[') {
            addr = where + 1;
            addr_end = colon - 1;
        }
        snprintf(l->binding, sizeof l->binding, "ncacn_ip_tcp:%.*s[%s]", (int)(addr_end - addr), addr, colon + 1);
        l->fd = fd;
        rs_error_clear(err);
        st = set_nonblocking(fd, err);
        break;
    }
    freeaddrinfo(list);
    return st;
}

/* A socket file left by a server that died is removed; one that still answers is in use. */
static rs_status clear_stale_socket(const char *path, rs_error *err)
{
    struct stat sb;
    if (lstat(path, &sb) != 0)
        return RS_OK;
    if (!S_ISSOCK(sb.st_mode))
        return rs_error_set(err, RS_ERR_ADDRESS, "transport: %s exists and is not a socket", path);
    struct sockaddr_un sun = {.sun_family = AF_UNIX};
    snprintf(sun.sun_path, sizeof sun.sun_path, "%s", path);
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    if (fd < 0)
        return rs_error_set(err, RS_ERR_IO, "transport: socket: %s", strerror(errno));
    int alive = connect(fd, (struct sockaddr *)&sun, sizeof sun) == 0;
    close(fd);
    if (alive)
        return rs_error_set(err, RS_ERR_ADDRESS, "transport: address in use: a server already listens on %s", path);
    unlink(path);
    return RS_OK;
}

static rs_status listen_lrpc(const rs_binding *b, rs_listener *l, rs_error *err)
{
    struct sockaddr_un sun = {.sun_family = AF_UNIX};
    rs_status st = lrpc_path(b->endpoint, true, sun.sun_path, sizeof sun.sun_path, err);
    if (st == RS_OK)
        st = clear_stale_socket(sun.sun_path, err);
    if (st != RS_OK)
        return st;
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    if (fd < 0)
        return rs_error_set(err, RS_ERR_IO, "transport: socket: %s", strerror(errno));
    if (bind(fd, (struct sockaddr *)&sun, sizeof sun) != 0 || listen(fd, LISTEN_BACKLOG) != 0) {
        st = rs_error_set(err, RS_ERR_ADDRESS, "transport: cannot listen on %s: %s", sun.sun_path, strerror(errno));
        close(fd);
        return st;
    }
    snprintf(l->path, sizeof l->path, "%s", sun.sun_path);
    snprintf(l->binding, sizeof l->binding, "ncalrpc:[%s]", b->endpoint);
    l->fd = fd;
    return set_nonblocking(fd, err);
}

rs_status rs_listener_open(const rs_binding *b, rs_listener **out, rs_error *err)
{
    *out = NULL;
    rs_listener *l = calloc(1, sizeof *l);
    if (l == NULL)
        return rs_error_set(err, RS_ERR_NOMEM, "transport: out of memory");
    l->fd = -1;
    l->protseq = b->protseq;
    rs_status st = b->protseq == RS_PROTSEQ_LRPC ? listen_lrpc(b, l, err) : listen_tcp(b, l, err);
    if (st != RS_OK) {
        rs_listener_close(l);
        return st;
    }
    if (rs_trace_enabled()) {
        rs_trace_event ev = {.kind = RS_TRACE_LISTEN, .role = RS_TRACE_ROLE_SERVER,
                             .text = l->binding};
        rs_trace_emit(&ev);
    }
    *out = l;
    return RS_OK;
}

rs_status rs_listener_accept(rs_listener *l, int64_t deadline, rs_conn **out, rs_error *err)
{
    *out = NULL;
    for (;;) {
        struct sockaddr_storage ss;
        socklen_t len = sizeof ss;
        int fd = accept(l->fd, (struct sockaddr *)&ss, &len);
        if (fd >= 0) {
            char peer[PEER_MAX];
            rs_status st = set_blocking(fd, err);
            if (st != RS_OK) {
                close(fd);
                return st;
            }
            format_peer((struct sockaddr *)&ss, peer, sizeof peer);
            bool tcp = l->protseq == RS_PROTSEQ_TCP;
            if (tcp)
                set_nodelay(fd);
            st = new_conn(fd, l->protseq, peer, tcp ? NULL : l->binding, NULL,
                          RS_TRACE_ROLE_SERVER, out, err);
            if (st == RS_OK && rs_trace_enabled())
                emit_conn(RS_TRACE_ACCEPT, *out);
            return st;
        }
        if (errno == EINTR || errno == ECONNABORTED)
            continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK)
            return rs_error_set(err, RS_ERR_IO, "transport: accept: %s", strerror(errno));
        rs_status st = wait_fd(l->fd, POLLIN, deadline, err);
        if (st != RS_OK)
            return st;
    }
}

const char *rs_listener_binding(const rs_listener *l) { return l->binding; }
int rs_listener_fd(const rs_listener *l) { return l->fd; }

void rs_listener_close(rs_listener *l)
{
    if (l == NULL)
        return;
    if (l->fd >= 0)
        close(l->fd);
    if (l->path[0] != '\0')
        unlink(l->path);
    free(l);
}
