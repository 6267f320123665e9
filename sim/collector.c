/* collector.c -- trace connections: accept, read, decode, hold and release. See collector.h.
 *
 * Every socket is non-blocking; one poll() per call covers the listeners and the connections.
 * A connection's bytes accumulate in its buffer and are decoded from a fresh view each time, as
 * trace.h asks: rs_trace_decode() says RS_ERR_TRUNCATED until a record is all there.
 */
#include "collector.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "trace.h"

#define LISTEN_BACKLOG 64
#define READ_CHUNK ((size_t)64 << 10)
#define OUT_MAX (RS_TRACE_RELEASE_SIZE * 16) /* releases queued for one connection at most */
#define EXPECT_MAX 256

typedef enum { STEP_UNKNOWN, STEP_YES, STEP_NO } step_state;

struct conn {
    int fd;
    bool preamble;        /* read and accepted */
    unsigned version;     /* the format the process announced: its releases' size */
    uint8_t *in;          /* bytes read and not yet decoded: [0, in_len) */
    size_t in_len, in_cap;
    bool have_pid;
    uint32_t pid;
    step_state step;
    uint64_t held;        /* the seq it waits on, 0 for none */
    uint8_t out[OUT_MAX]; /* releases not yet written */
    size_t out_len;
    char from[96];        /* "the Unix socket", "tcp 127.0.0.1:51234" */
};

struct expectation {
    uint32_t pid;
    bool step;
};

struct sim_collector {
    sim_timeline *tl;
    sim_collector_options opt;
    char dir[64];           /* the temporary folder */
    char path[128];         /* the temporary socket */
    char listen_addr[300];  /* as bound, "" for none */
    char listen_path[108];  /* a --listen socket path this collector made, "" otherwise */
    int listeners[2];
    bool listener_is_tcp[2];
    size_t listener_count;
    struct conn *conns;
    size_t conn_count;
    size_t accepted;
    struct expectation expect[EXPECT_MAX];
    size_t expect_count;
    char strings[RS_TRACE_STRINGS_SIZE]; /* decode scratch */
};

static uint64_t monotonic_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void notice(sim_collector *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void notice(sim_collector *c, const char *fmt, ...)
{
    if (c->opt.notice == NULL)
        return;
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    c->opt.notice(c->opt.notice_ctx, msg);
}

/* "pid 123" or "a process on tcp 127.0.0.1:5000", for sentences about a connection. */
static const char *who(const struct conn *k, char *buf, size_t size)
{
    if (k->have_pid)
        snprintf(buf, size, "pid %" PRIu32, k->pid);
    else
        snprintf(buf, size, "a process on %s", k->from);
    return buf;
}

/* ---- listening ------------------------------------------------------------------------------- */

/* accept4() is a GNU extension; this is the portable pair of calls. */
static int set_nonblocking_cloexec(int fd)
{
    int flags = fcntl(fd, F_GETFL);
    if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0)
        return -1;
    return fcntl(fd, F_SETFD, FD_CLOEXEC);
}

/* Listens on a Unix socket path. A leftover socket nobody answers on is replaced; one that
 * answers is "address in use". */
static rs_status listen_unix(const char *path, int *out, rs_error *err)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof sa.sun_path)
        return rs_error_set(err, RS_ERR_INVALID_ARG,
                            "collector: the socket path %s is longer than the %zu bytes a Unix "
                            "socket name can have",
                            path, sizeof sa.sun_path - 1);
    memcpy(sa.sun_path, path, strlen(path) + 1);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return rs_error_set(err, RS_ERR_IO, "collector: socket: %s", strerror(errno));
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        int e = errno;
        bool alive = false;
        if (e == EADDRINUSE) {
            int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
            alive = probe >= 0 && connect(probe, (struct sockaddr *)&sa, sizeof sa) == 0;
            if (probe >= 0)
                close(probe);
            struct stat sb;
            if (!alive && lstat(path, &sb) == 0 && S_ISSOCK(sb.st_mode) && unlink(path) == 0)
                e = bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0 ? 0 : errno;
        }
        if (e != 0) {
            close(fd);
            return rs_error_set(err, RS_ERR_ADDRESS, "collector: cannot listen on %s: %s", path,
                                alive ? "address already in use (another collector listens there)"
                                      : strerror(e));
        }
    }
    if (listen(fd, LISTEN_BACKLOG) != 0) {
        int e = errno;
        close(fd);
        return rs_error_set(err, RS_ERR_IO, "collector: listen on %s: %s", path, strerror(e));
    }
    *out = fd;
    return RS_OK;
}

/* "HOST:PORT" or "[V6]:PORT". */
static rs_status listen_tcp(const char *spec, int *out, char *bound, size_t bound_size,
                            rs_error *err)
{
    char host[256];
    const char *colon = strrchr(spec, ':');
    size_t host_len = colon != NULL ? (size_t)(colon - spec) : 0;
    const char *h = spec;
    if (host_len >= 2 && spec[0] == '[' && spec[host_len - 1] == ']') {
        h++;
        host_len -= 2;
    }
    char *end = NULL;
    unsigned long port = colon != NULL && colon[1] >= '0' && colon[1] <= '9'
                             ? strtoul(colon + 1, &end, 10)
                             : 70000;
    if (host_len == 0 || host_len >= sizeof host || port > 65535 || end == NULL || *end != '\0')
        return rs_error_set(err, RS_ERR_INVALID_ARG,
                            "collector: \"tcp:%s\" is not tcp:HOST:PORT with a port 0..65535",
                            spec);
    memcpy(host, h, host_len);
    host[host_len] = '\0';
    char port_text[8];
    snprintf(port_text, sizeof port_text, "%lu", port);
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
    struct addrinfo *list = NULL;
    int gai = getaddrinfo(host, port_text, &hints, &list);
    if (gai != 0)
        return rs_error_set(err, RS_ERR_ADDRESS, "collector: cannot resolve %s: %s", host,
                            gai_strerror(gai));
    int fd = -1, e = 0;
    for (struct addrinfo *a = list; a != NULL && fd < 0; a = a->ai_next) {
        fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, a->ai_protocol);
        if (fd < 0) {
            e = errno;
            continue;
        }
        int one = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (bind(fd, a->ai_addr, a->ai_addrlen) != 0 || listen(fd, LISTEN_BACKLOG) != 0) {
            e = errno;
            close(fd);
            fd = -1;
        }
    }
    freeaddrinfo(list);
    if (fd < 0)
        return rs_error_set(err, RS_ERR_ADDRESS, "collector: cannot listen on tcp:%s: %s", spec,
                            e == EADDRINUSE ? "address already in use" : strerror(e));
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    unsigned real_port = (unsigned)port;
    if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0)
        real_port = ss.ss_family == AF_INET6 ? ntohs(((struct sockaddr_in6 *)&ss)->sin6_port)
                                             : ntohs(((struct sockaddr_in *)&ss)->sin_port);
    bool v6 = strchr(host, ':') != NULL;
    snprintf(bound, bound_size, "tcp:%s%s%s:%u", v6 ? "[" : "", host, v6 ? "]" : "", real_port);
    *out = fd;
    return RS_OK;
}

rs_status sim_collector_create(const sim_collector_options *options, sim_timeline *tl,
                               sim_collector **out, rs_error *err)
{
    *out = NULL;
    sim_collector *c = calloc(1, sizeof *c);
    if (c == NULL)
        return rs_error_set(err, RS_ERR_NOMEM, "collector: out of memory");
    c->tl = tl;
    if (options != NULL)
        c->opt = *options;
    if (c->opt.max_connections == 0 || c->opt.max_connections > SIM_COLLECTOR_MAX_CONNECTIONS)
        c->opt.max_connections = SIM_COLLECTOR_MAX_CONNECTIONS;
    c->conns = calloc(c->opt.max_connections, sizeof *c->conns);
    rs_status st = RS_OK;
    if (c->conns == NULL) {
        st = rs_error_set(err, RS_ERR_NOMEM, "collector: out of memory");
        goto fail;
    }
    const char *tmp = getenv("TMPDIR");
    if (tmp == NULL || tmp[0] == '\0' || strlen(tmp) > 40)
        tmp = "/tmp";
    snprintf(c->dir, sizeof c->dir, "%s/rpcscope-XXXXXX", tmp);
    if (mkdtemp(c->dir) == NULL) {
        st = rs_error_set(err, RS_ERR_IO, "collector: cannot make a folder in %s: %s", tmp,
                          strerror(errno));
        c->dir[0] = '\0';
        goto fail;
    }
    snprintf(c->path, sizeof c->path, "%s/%s", c->dir, SIM_COLLECTOR_SOCKET_NAME);
    st = listen_unix(c->path, &c->listeners[0], err);
    if (st != RS_OK)
        goto fail;
    c->listener_count = 1;
    if (c->opt.listen != NULL && c->opt.listen[0] != '\0') {
        const char *spec = c->opt.listen;
        if (strncmp(spec, "tcp:", 4) == 0) {
            st = listen_tcp(spec + 4, &c->listeners[1], c->listen_addr, sizeof c->listen_addr, err);
            c->listener_is_tcp[1] = true;
        } else {
            st = listen_unix(spec, &c->listeners[1], err);
            if (st == RS_OK) {
                snprintf(c->listen_addr, sizeof c->listen_addr, "%s", spec);
                snprintf(c->listen_path, sizeof c->listen_path, "%s", spec);
            }
        }
        if (st != RS_OK)
            goto fail;
        c->listener_count = 2;
    }
    c->opt.listen = NULL; /* the caller's string is not kept */
    *out = c;
    return RS_OK;
fail:
    sim_collector_destroy(c);
    return st;
}

static void conn_close(sim_collector *c, size_t i)
{
    struct conn *k = &c->conns[i];
    if (k->have_pid)
        sim_timeline_end_process(c->tl, k->pid);
    close(k->fd);
    free(k->in);
    c->conns[i] = c->conns[--c->conn_count];
    memset(&c->conns[c->conn_count], 0, sizeof c->conns[c->conn_count]);
}

void sim_collector_close_all(sim_collector *c)
{
    while (c->conn_count > 0)
        conn_close(c, c->conn_count - 1);
}

void sim_collector_destroy(sim_collector *c)
{
    if (c == NULL)
        return;
    if (c->conns != NULL)
        sim_collector_close_all(c);
    for (size_t i = 0; i < c->listener_count; i++)
        close(c->listeners[i]);
    if (c->listener_count > 0)
        unlink(c->path);
    if (c->listen_path[0] != '\0')
        unlink(c->listen_path);
    if (c->dir[0] != '\0')
        rmdir(c->dir);
    free(c->conns);
    free(c);
}

const char *sim_collector_path(const sim_collector *c)
{
    return c->path;
}

const char *sim_collector_listen_address(const sim_collector *c)
{
    return c->listen_addr[0] != '\0' ? c->listen_addr : NULL;
}

size_t sim_collector_open_count(const sim_collector *c)
{
    return c->conn_count;
}

size_t sim_collector_accepted(const sim_collector *c)
{
    return c->accepted;
}

/* ---- the gate -------------------------------------------------------------------------------- */

static step_state expected(const sim_collector *c, uint32_t pid)
{
    for (size_t i = 0; i < c->expect_count; i++)
        if (c->expect[i].pid == pid)
            return c->expect[i].step ? STEP_YES : STEP_NO;
    return STEP_UNKNOWN;
}

void sim_collector_expect(sim_collector *c, uint32_t pid, bool step)
{
    size_t i = 0;
    while (i < c->expect_count && c->expect[i].pid != pid)
        i++;
    if (i == c->expect_count) {
        if (c->expect_count == EXPECT_MAX)
            memmove(c->expect, c->expect + 1, --c->expect_count * sizeof c->expect[0]);
        i = c->expect_count++;
    }
    c->expect[i] = (struct expectation){pid, step};
    for (size_t k = 0; k < c->conn_count; k++)
        if (c->conns[k].have_pid && c->conns[k].pid == pid) {
            c->conns[k].step = step ? STEP_YES : STEP_NO;
            if (!step)
                c->conns[k].held = 0;
        }
}

uint64_t sim_collector_held(const sim_collector *c, uint32_t pid)
{
    for (size_t i = 0; i < c->conn_count; i++)
        if (c->conns[i].have_pid && c->conns[i].pid == pid && c->conns[i].held != 0)
            return c->conns[i].held;
    return 0;
}

/* Writes what is queued; false when the connection failed. */
static bool flush_out(struct conn *k)
{
    while (k->out_len > 0) {
        ssize_t n = send(k->fd, k->out, k->out_len, MSG_NOSIGNAL);
        if (n > 0) {
            memmove(k->out, k->out + n, k->out_len - (size_t)n);
            k->out_len -= (size_t)n;
        } else if (n < 0 && errno == EINTR) {
            continue;
        } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            return true;
        } else {
            return false;
        }
    }
    return true;
}

void sim_collector_release(sim_collector *c, uint32_t pid, uint64_t seq, rs_trace_verdict v)
{
    for (size_t i = 0; i < c->conn_count; i++) {
        struct conn *k = &c->conns[i];
        if (!k->have_pid || k->pid != pid || k->held != seq || seq == 0)
            continue;
        k->held = 0;
        /* A version-1 process reads the seq alone, and knows no verdicts. */
        size_t size = k->version >= 2 ? RS_TRACE_RELEASE_SIZE : RS_TRACE_RELEASE_V1_SIZE;
        if (k->out_len + size > sizeof k->out) {
            /* Releases pile up unread: it does not wait at its gate after all. */
            k->step = STEP_NO;
            k->out_len = 0;
            return;
        }
        uint8_t release[RS_TRACE_RELEASE_SIZE];
        rs_trace_put_release(release, seq, v);
        memcpy(k->out + k->out_len, release, size);
        k->out_len += size;
        if (!flush_out(k)) {
            char w[128];
            notice(c, "%s: cannot write to its trace connection: %s", who(k, w, sizeof w),
                   strerror(errno));
            conn_close(c, i);
        }
        return;
    }
}

static uint64_t gate_held(void *ctx, uint32_t pid)
{
    return sim_collector_held(ctx, pid);
}

static void gate_release(void *ctx, uint32_t pid, uint64_t seq, rs_trace_verdict v)
{
    sim_collector_release(ctx, pid, seq, v);
}

sim_gate sim_collector_gate(sim_collector *c)
{
    return (sim_gate){.ctx = c, .held = gate_held, .release = gate_release};
}

/* ---- reading --------------------------------------------------------------------------------- */

static void accept_all(sim_collector *c, size_t l)
{
    for (;;) {
        struct sockaddr_storage ss;
        socklen_t sl = sizeof ss;
        int fd = accept(c->listeners[l], (struct sockaddr *)&ss, &sl);
        if (fd < 0)
            return; /* EAGAIN, or a connection that went away before we took it */
        if (set_nonblocking_cloexec(fd) != 0) {
            close(fd);
            continue;
        }
        if (c->conn_count == c->opt.max_connections) {
            notice(c, "collector: more than %zu traced processes at once; refusing one",
                   c->opt.max_connections);
            close(fd); /* its gate opens: the process runs on untraced */
            continue;
        }
        struct conn *k = &c->conns[c->conn_count++];
        memset(k, 0, sizeof *k);
        k->fd = fd;
        c->accepted++;
        if (c->listener_is_tcp[l]) {
            int one = 1;
            setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
            char host[64] = "?", port[16] = "?";
            getnameinfo((struct sockaddr *)&ss, sl, host, sizeof host, port, sizeof port,
                        NI_NUMERICHOST | NI_NUMERICSERV);
            snprintf(k->from, sizeof k->from, "tcp %s:%s", host, port);
        } else {
            snprintf(k->from, sizeof k->from, "the Unix socket");
        }
    }
}

/* One decoded record of connection k. False (with a notice) when k must be closed. */
static bool take_record(sim_collector *c, struct conn *k, const rs_trace_event *ev,
                        rs_status *fatal, rs_error *err)
{
    char w[128];
    if (!k->have_pid) {
        k->have_pid = true;
        k->pid = ev->pid;
        k->step = expected(c, ev->pid);
    } else if (ev->pid != k->pid) {
        notice(c, "%s: a record from pid %" PRIu32 " on its connection; closing it",
               who(k, w, sizeof w), ev->pid);
        return false;
    }
    rs_error e = {0};
    rs_status st = sim_timeline_add(c->tl, ev, monotonic_ns(), &e);
    if (st == RS_ERR_LIMIT || st == RS_ERR_NOMEM) {
        *fatal = rs_error_set(err, st, "%s", e.message);
        return false;
    }
    if (st != RS_OK) {
        notice(c, "%s: %s; closing its trace connection", who(k, w, sizeof w), e.message);
        return false;
    }
    if (k->held != 0) {
        /* A second record while the first is held: this process does not wait at the gate. */
        if (k->step == STEP_YES)
            notice(c, "%s reports without waiting at the step gate (it was not started with "
                      "RPCSCOPE_STEP=1)",
                   who(k, w, sizeof w));
        k->step = STEP_NO;
        k->held = 0;
    }
    if (k->step != STEP_NO)
        k->held = ev->seq;
    return true;
}

/* Decodes what conn k has buffered. False when k must be closed. */
static bool decode(sim_collector *c, struct conn *k, rs_status *fatal, rs_error *err)
{
    size_t used = 0;
    bool ok = true;
    char w[128];
    if (!k->preamble) {
        rs_buf in;
        rs_buf_view(&in, k->in, k->in_len);
        rs_status st = rs_trace_read_preamble(&in, &k->version);
        if (st == RS_ERR_TRUNCATED)
            return true;
        if (st != RS_OK) {
            notice(c, "%s: %s; closing its trace connection", who(k, w, sizeof w),
                   rs_buf_error(&in));
            return false;
        }
        k->preamble = true;
        used = in.pos;
    }
    while (ok && used < k->in_len) {
        rs_buf in;
        rs_trace_event ev;
        rs_buf_view(&in, k->in + used, k->in_len - used);
        rs_status st = rs_trace_decode(&in, &ev, c->strings);
        if (st == RS_ERR_TRUNCATED)
            break;
        if (st != RS_OK) {
            notice(c, "%s: %s; closing its trace connection", who(k, w, sizeof w),
                   rs_buf_error(&in));
            return false;
        }
        used += in.pos;
        ok = take_record(c, k, &ev, fatal, err);
    }
    memmove(k->in, k->in + used, k->in_len - used);
    k->in_len -= used;
    return ok;
}

/* Reads what conn k has for us. False when k is finished (closed, broken). */
static bool read_conn(sim_collector *c, struct conn *k, rs_status *fatal, rs_error *err)
{
    size_t total = 0;
    while (total < SIM_COLLECTOR_READ_MAX) {
        size_t limit = RS_TRACE_PREAMBLE_SIZE + RS_TRACE_LENGTH_SIZE + RS_TRACE_RECORD_MAX;
        if (k->in_cap - k->in_len < READ_CHUNK && k->in_cap < limit + READ_CHUNK) {
            size_t cap = k->in_cap ? k->in_cap * 2 : READ_CHUNK * 2;
            if (cap > limit + READ_CHUNK)
                cap = limit + READ_CHUNK;
            uint8_t *in = realloc(k->in, cap);
            if (in == NULL) {
                *fatal = rs_error_set(err, RS_ERR_NOMEM, "collector: out of memory");
                return false;
            }
            k->in = in;
            k->in_cap = cap;
        }
        if (k->in_len == k->in_cap) {
            /* Cannot happen with a decoder that refuses lengths past RS_TRACE_RECORD_MAX, but a
             * full buffer must never turn into a busy loop. */
            char w[128];
            notice(c, "%s: a record larger than the collector can hold", who(k, w, sizeof w));
            return false;
        }
        ssize_t n = recv(k->fd, k->in + k->in_len, k->in_cap - k->in_len, 0);
        if (n > 0) {
            k->in_len += (size_t)n;
            total += (size_t)n;
            if (!decode(c, k, fatal, err))
                return false;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return true;
        if (n == 0 && k->in_len > 0) {
            char w[128];
            if (!k->preamble)
                notice(c, "%s closed its trace connection in the middle of the preamble",
                       who(k, w, sizeof w));
            else
                notice(c, "%s closed its trace connection in the middle of a record (%zu bytes "
                          "of it arrived)",
                       who(k, w, sizeof w), k->in_len);
        }
        return false; /* end of stream, or an error: the process is gone */
    }
    return true;
}

rs_status sim_collector_poll(sim_collector *c, int timeout_ms, rs_error *err)
{
    struct pollfd fds[2 + SIM_COLLECTOR_MAX_CONNECTIONS];
    size_t n = 0;
    for (size_t i = 0; i < c->listener_count; i++)
        fds[n++] = (struct pollfd){.fd = c->listeners[i], .events = POLLIN};
    size_t conns = c->conn_count;
    for (size_t i = 0; i < conns; i++)
        fds[n++] = (struct pollfd){.fd = c->conns[i].fd,
                                   .events = (short)(POLLIN | (c->conns[i].out_len ? POLLOUT : 0))};
    int ready = poll(fds, (nfds_t)n, timeout_ms);
    if (ready < 0 && errno != EINTR)
        return rs_error_set(err, RS_ERR_IO, "collector: poll: %s", strerror(errno));
    rs_status fatal = RS_OK;
    if (ready > 0) {
        /* Connections first, from the last (closing one moves the last into its slot), then the
         * listeners, so that fds[] and conns[] stay in step while we walk them. */
        for (size_t i = conns; i-- > 0;) {
            short re = fds[c->listener_count + i].revents;
            struct conn *k = &c->conns[i];
            bool keep = true;
            if (re & POLLOUT)
                keep = flush_out(k);
            if (keep && (re & (POLLIN | POLLHUP | POLLERR)))
                keep = read_conn(c, k, &fatal, err);
            if (!keep)
                conn_close(c, i);
            if (fatal != RS_OK)
                break;
        }
        for (size_t i = 0; i < c->listener_count && fatal == RS_OK; i++)
            if (fds[i].revents & POLLIN)
                accept_all(c, i);
    }
    if (fatal != RS_OK) {
        sim_collector_close_all(c);
        return fatal;
    }
    sim_timeline_expire(c->tl, monotonic_ns());
    return RS_OK;
}
