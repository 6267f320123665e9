/* trace.c -- the instrumentation hook: the sinks, the step gate and the clock that stands still
 * while the process waits at it (the event names and the stream format are trace_format.c's).
 * See trace.h.
 *
 * One mutex (sink.lock) orders everything a sink sees: it is held while a seq is given out, the
 * record is written, and -- in step mode -- while the process waits for the release. So records
 * never interleave, a stream is in seq order, and only one thread waits at the gate while the
 * others queue behind it. The clock has its own small lock, so that reading the time never waits
 * for the gate, and so does the last error. Lock order: sink.lock, then clock_lock or error_lock.
 */
#include "trace.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "watchdog.h"

#define NS_PER_S INT64_C(1000000000)

_Atomic bool rs_trace_active = false;

/* ---- the clock ------------------------------------------------------------------------------- */

/* Time at the gate, subtracted from the monotonic clock. `gate_used` lets the clock skip the lock
 * in every process that never waited at a gate; once true it stays true. */
static pthread_mutex_t clock_lock = PTHREAD_MUTEX_INITIALIZER;
static _Atomic bool gate_used = false;
static int64_t paused_ns;    /* total time spent at gates, excluding the current wait */
static bool pausing;         /* a thread waits at the gate now ... */
static int64_t pause_began;  /* ... since this monotonic time */

static int64_t monotonic_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * NS_PER_S + ts.tv_nsec;
}

/* True once a step-mode sink was opened: sink_install() sets it, nothing clears it. */
static _Atomic bool step_sink_opened = false;

bool rs_trace_may_pause(void)
{
    return atomic_load_explicit(&gate_used, memory_order_acquire) ||
           atomic_load_explicit(&step_sink_opened, memory_order_acquire);
}

int64_t rs_trace_clock_ns(void)
{
    int64_t now = monotonic_ns();
    if (!atomic_load_explicit(&gate_used, memory_order_acquire))
        return now;
    pthread_mutex_lock(&clock_lock);
    if (pausing)
        now = pause_began; /* stands still for every thread while one waits */
    now -= paused_ns;
    pthread_mutex_unlock(&clock_lock);
    return now;
}

/* Set before the first pause's start is read: a reader that still sees false read the
 * monotonic clock before the pause began, so the clock never goes back. */
static void pause_begin(void)
{
    atomic_store_explicit(&gate_used, true, memory_order_release);
    pthread_mutex_lock(&clock_lock);
    pausing = true;
    pause_began = monotonic_ns();
    pthread_mutex_unlock(&clock_lock);
}

static void pause_end(void)
{
    pthread_mutex_lock(&clock_lock);
    paused_ns += monotonic_ns() - pause_began;
    pausing = false;
    pthread_mutex_unlock(&clock_lock);
}

/* ---- the sink -------------------------------------------------------------------------------- */

typedef enum { SINK_NONE, SINK_SOCKET, SINK_FILE, SINK_CALLBACK } sink_kind;

/* Records waiting in the sink's buffer are written once they pass this many bytes, or once the
 * oldest has waited PENDING_LAG_NS, or sooner (see deferrable()). The buffer is kept between
 * writes up to PENDING_KEEP_BYTES. */
#define PENDING_FLUSH_BYTES (64 * 1024)
#define PENDING_LAG_NS (2 * 1000 * 1000)
#define PENDING_KEEP_BYTES (256 * 1024)

static struct {
    pthread_mutex_t lock; /* guards the fields below; held while writing and at the gate */
    sink_kind kind;
    int fd;               /* SINK_SOCKET, SINK_FILE */
    bool step;            /* SINK_SOCKET only */
    rs_trace_callback fn; /* SINK_CALLBACK */
    void *ctx;
    bool api_chose;       /* the program set or removed a sink: the environment is not read */
    uint64_t seq;         /* the last seq given out */
    uint32_t pid;         /* getpid(), cached; 0 again in a forked child */
    rs_buf pending;       /* SINK_SOCKET, SINK_FILE: encoded records not yet written */
    rs_watch lag;         /* the watchdog writes them PENDING_LAG_NS after the first ... */
    bool lag_set;         /* ... while this is true */
} sink = {.lock = PTHREAD_MUTEX_INITIALIZER, .fd = -1};

static pthread_mutex_t error_lock = PTHREAD_MUTEX_INITIALIZER;
static char last_error[RS_ERROR_MAX]; /* under error_lock */

/* The reporting thread's call (rs_trace_set_call), and whether it is inside rs_trace_emit(): a
 * callback that reports an event would otherwise wait for the lock it holds. */
static _Thread_local struct {
    rs_trace_role role;
    const char *interface;
    const char *procedure;
    uint32_t call_id;
    uint16_t opnum;
} current;
static _Thread_local bool reporting;
/* The verdict of this thread's last release, until rs_trace_take_verdict() takes it. */
static _Thread_local rs_trace_verdict verdict;

static void set_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void set_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    pthread_mutex_lock(&error_lock);
    vsnprintf(last_error, sizeof last_error, fmt, ap);
    pthread_mutex_unlock(&error_lock);
    va_end(ap);
}

const char *rs_trace_last_error(void)
{
    static _Thread_local char copy[RS_ERROR_MAX];
    pthread_mutex_lock(&error_lock);
    memcpy(copy, last_error, sizeof copy);
    pthread_mutex_unlock(&error_lock);
    return copy;
}

static int write_all(int fd, bool is_socket, const uint8_t *p, size_t len);

/* Writes the records waiting in sink.pending. 0, or the errno of the failure (the records are
 * gone either way: the stream stays whole or the sink is dropped). sink.lock held. */
static int write_pending(void)
{
    if (sink.lag_set) {
        (void)rs_watch_end(&sink.lag); /* nothing waits now (a call begun already finds that) */
        sink.lag_set = false;
    }
    int e = 0;
    if (sink.pending.len > 0 && sink.fd >= 0)
        e = write_all(sink.fd, sink.kind == SINK_SOCKET, sink.pending.data, sink.pending.len);
    if (sink.pending.cap > PENDING_KEEP_BYTES)
        rs_buf_free(&sink.pending); /* a 4 MiB PDU's record must not stay resident */
    rs_buf_reset(&sink.pending);
    return e;
}

/* Forgets the sink, after writing what it still holds (a failure there changes nothing now).
 * sink.lock held. */
static void sink_clear(void)
{
    atomic_store_explicit(&rs_trace_active, false, memory_order_relaxed);
    (void)write_pending();
    if (sink.fd >= 0)
        close(sink.fd);
    sink.kind = SINK_NONE;
    sink.fd = -1;
    sink.step = false;
    sink.fn = NULL;
    sink.ctx = NULL;
}

/* The sink broke while reporting: tracing stops, the process carries on. sink.lock held. */
static void sink_drop(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void sink_drop(const char *fmt, ...)
{
    char why[RS_ERROR_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    rs_buf_reset(&sink.pending); /* the sink is broken: what waits for it is lost with it */
    sink_clear(); /* (which ends the lag's watch) */
    set_error("%s; tracing is off", why);
}

/* Replaces the sink. sink.lock held. */
static void sink_install(sink_kind kind, int fd, bool step, rs_trace_callback fn, void *ctx)
{
    sink_clear();
    sink.kind = kind;
    sink.fd = fd;
    sink.step = step && kind == SINK_SOCKET;
    if (sink.step)
        atomic_store_explicit(&step_sink_opened, true, memory_order_release);
    sink.fn = fn;
    sink.ctx = ctx;
    set_error("%s", "");
    atomic_store_explicit(&rs_trace_active, true, memory_order_relaxed);
}

/* fork() while another thread holds the lock would leave the child a lock nobody releases: take
 * both locks around fork, and in the child let go of the parent's connection, whose releases are
 * meant for the parent (the child's events would answer them out of step). */
static void fork_prepare(void)
{
    pthread_mutex_lock(&sink.lock);
    pthread_mutex_lock(&clock_lock);
    pthread_mutex_lock(&error_lock);
}

static void fork_parent(void)
{
    pthread_mutex_unlock(&error_lock);
    pthread_mutex_unlock(&clock_lock);
    pthread_mutex_unlock(&sink.lock);
}

static void fork_child(void)
{
    pthread_mutex_unlock(&error_lock);
    pthread_mutex_unlock(&clock_lock);
    sink.pid = 0;
    rs_buf_reset(&sink.pending); /* the parent's records, which the parent writes */
    sink.lag_set = false;        /* the parent's watch, in the parent's watchdog */
    if (sink.kind == SINK_SOCKET)
        sink_drop("trace: a forked child does not share its parent's trace connection");
    pthread_mutex_unlock(&sink.lock);
}

static pthread_once_t setup_once = PTHREAD_ONCE_INIT;

/* At exit, records still waiting are written -- unless another thread holds the lock (it may
 * wait at the gate): exit must not hang on a trace. */
static void flush_at_exit(void)
{
    if (pthread_mutex_trylock(&sink.lock) != 0)
        return;
    if (sink.kind == SINK_SOCKET || sink.kind == SINK_FILE)
        (void)write_pending();
    pthread_mutex_unlock(&sink.lock);
}

static void setup(void)
{
    rs_buf_init(&sink.pending, RS_BUF_NO_LIMIT);
    pthread_atfork(fork_prepare, fork_parent, fork_child);
    atexit(flush_at_exit);
}

/* ---- writing to a descriptor ----------------------------------------------------------------- */

/* Writes all `len` bytes: send() with MSG_NOSIGNAL on a socket, so a simulator that went away is
 * an EPIPE here and never a SIGPIPE for the program. 0, or the errno of the failure. */
static int write_all(int fd, bool is_socket, const uint8_t *p, size_t len)
{
    while (len > 0) {
        ssize_t n = is_socket ? send(fd, p, len, MSG_NOSIGNAL) : write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return errno;
        if (n == 0)
            return EIO;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

static int write_preamble(int fd, bool is_socket)
{
    rs_buf p;
    rs_buf_init(&p, RS_TRACE_PREAMBLE_SIZE);
    int e = rs_trace_put_preamble(&p) == RS_OK ? write_all(fd, is_socket, p.data, p.len) : ENOMEM;
    rs_buf_free(&p);
    return e;
}

/* ---- opening sinks --------------------------------------------------------------------------- */

static rs_status set_blocking(int fd, bool blocking, const char *what, rs_error *err)
{
    int flags = fcntl(fd, F_GETFL);
    if (flags < 0 || fcntl(fd, F_SETFL, blocking ? flags & ~O_NONBLOCK : flags | O_NONBLOCK) < 0)
        return rs_error_set(err, RS_ERR_IO, "trace: %s: fcntl: %s", what, strerror(errno));
    return RS_OK;
}

/* Connects a non-blocking socket by `deadline` (monotonic ns), then makes it blocking: the gate
 * and the writes wait as long as the simulator makes them. */
static rs_status connect_by(int fd, const struct sockaddr *sa, socklen_t len, int64_t deadline,
                            const char *what, rs_error *err)
{
    if (connect(fd, sa, len) != 0) {
        if (errno == EAGAIN) /* a Unix socket whose listener's queue is full */
            return rs_error_set(err, RS_ERR_CONNECT,
                                "trace: %s is not accepting connections (its queue is full)",
                                what);
        if (errno != EINPROGRESS && errno != EINTR)
            return rs_error_set(err, RS_ERR_CONNECT, "trace: cannot connect to %s: %s", what,
                                strerror(errno));
        for (;;) {
            int64_t left = deadline - monotonic_ns();
            if (left <= 0)
                return rs_error_set(err, RS_ERR_TIMEOUT,
                                    "trace: %s did not answer within %d ms", what,
                                    RS_TRACE_CONNECT_TIMEOUT_MS);
            struct pollfd pfd = {.fd = fd, .events = POLLOUT};
            int n = poll(&pfd, 1, (int)((left + 999999) / 1000000));
            if (n > 0)
                break;
            if (n < 0 && errno != EINTR)
                return rs_error_set(err, RS_ERR_IO, "trace: %s: poll: %s", what, strerror(errno));
        }
        int so_error = 0;
        socklen_t sl = sizeof so_error;
        if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &so_error, &sl) != 0)
            so_error = errno;
        if (so_error != 0)
            return rs_error_set(err, RS_ERR_CONNECT, "trace: cannot connect to %s: %s", what,
                                strerror(so_error));
    }
    return set_blocking(fd, true, what, err);
}

static rs_status open_unix(const char *path, int *out, rs_error *err)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    size_t n = strlen(path);
    if (n >= sizeof sa.sun_path)
        return rs_error_set(err, RS_ERR_INVALID_ARG,
                            "trace: the socket path \"%s\" is longer than the %zu bytes a Unix "
                            "socket name can have",
                            path, sizeof sa.sun_path - 1);
    memcpy(sa.sun_path, path, n + 1);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return rs_error_set(err, RS_ERR_IO, "trace: socket: %s", strerror(errno));
    int64_t deadline = monotonic_ns() + (int64_t)RS_TRACE_CONNECT_TIMEOUT_MS * 1000000;
    rs_status st = connect_by(fd, (const struct sockaddr *)&sa, sizeof sa, deadline, path, err);
    if (st != RS_OK) {
        close(fd);
        return st;
    }
    *out = fd;
    return RS_OK;
}

/* "HOST:PORT" or "[V6]:PORT": every address the host resolves to is tried until the deadline. */
static rs_status open_tcp(const char *spec, int *out, rs_error *err)
{
    char host[256];
    const char *colon = strrchr(spec, ':');
    const char *port = colon != NULL ? colon + 1 : NULL;
    size_t host_len = colon != NULL ? (size_t)(colon - spec) : 0;
    const char *host_start = spec;
    if (host_len >= 2 && spec[0] == '[' && spec[host_len - 1] == ']') {
        host_start++;
        host_len -= 2;
    }
    char *end = NULL;
    unsigned long port_num = port != NULL && *port != '\0' ? strtoul(port, &end, 10) : 0;
    if (host_len == 0 || host_len >= sizeof host || port_num == 0 || port_num > 65535 ||
        *end != '\0' || port[0] < '0' || port[0] > '9')
        return rs_error_set(err, RS_ERR_INVALID_ARG,
                            "trace: \"tcp:%s\" is not tcp:HOST:PORT with a port 1..65535", spec);
    memcpy(host, host_start, host_len);
    host[host_len] = '\0';

    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_NUMERICSERV};
    struct addrinfo *list = NULL;
    int gai = getaddrinfo(host, port, &hints, &list);
    if (gai != 0)
        return rs_error_set(err, RS_ERR_ADDRESS, "trace: cannot resolve %s: %s", host,
                            gai_strerror(gai));
    int64_t deadline = monotonic_ns() + (int64_t)RS_TRACE_CONNECT_TIMEOUT_MS * 1000000;
    rs_error last = {0};
    rs_status st = RS_ERR_CONNECT;
    for (struct addrinfo *a = list; a != NULL; a = a->ai_next) {
        int fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK,
                        a->ai_protocol);
        if (fd < 0) {
            st = rs_error_set(&last, RS_ERR_IO, "trace: socket: %s", strerror(errno));
            continue;
        }
        rs_error_clear(&last);
        st = connect_by(fd, a->ai_addr, a->ai_addrlen, deadline, spec, &last);
        if (st == RS_OK) {
            /* One record, then the release: Nagle would hold each small record back. */
            int one = 1;
            setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
            *out = fd;
            break;
        }
        close(fd);
    }
    freeaddrinfo(list);
    if (st != RS_OK)
        return rs_error_set(err, st, "%s", last.message[0] ? last.message : "trace: no address");
    return RS_OK;
}

/* Appends to a regular file (or a character device such as /dev/null): one write() per record
 * with O_APPEND, so processes sharing a file do not cut into each other's records. */
static rs_status open_file(const char *path, int *out, rs_error *err)
{
    int fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0)
        return rs_error_set(err, RS_ERR_IO, "trace: cannot open %s: %s", path, strerror(errno));
    struct stat sb;
    rs_status st = RS_OK;
    if (fstat(fd, &sb) != 0) {
        st = rs_error_set(err, RS_ERR_IO, "trace: %s: fstat: %s", path, strerror(errno));
        goto fail;
    }
    if (!S_ISREG(sb.st_mode) && !S_ISCHR(sb.st_mode)) {
        st = rs_error_set(err, RS_ERR_INVALID_ARG,
                          "trace: %s is not a regular file (use a socket path for a reader)",
                          path);
        goto fail;
    }
    if (S_ISREG(sb.st_mode) && sb.st_size > 0) {
        uint8_t head[RS_TRACE_PREAMBLE_SIZE];
        ssize_t n = pread(fd, head, sizeof head, 0);
        rs_buf in;
        rs_buf_view(&in, head, n > 0 ? (size_t)n : 0);
        st = rs_trace_get_preamble(&in);
        if (st != RS_OK) {
            st = rs_error_set(err, st == RS_ERR_VERSION ? RS_ERR_VERSION : RS_ERR_PROTOCOL,
                              "trace: not appending to %s, which is not an rpcscope trace of "
                              "version %d (%s)",
                              path, RS_TRACE_VERSION, rs_buf_error(&in));
            goto fail;
        }
    } else {
        int e = write_preamble(fd, false);
        if (e != 0) {
            st = rs_error_set(err, RS_ERR_IO, "trace: cannot write to %s: %s", path, strerror(e));
            goto fail;
        }
    }
    *out = fd;
    return RS_OK;
fail:
    close(fd);
    return st;
}

/* Opens what `spec` names; socket sinks get their preamble here. */
static rs_status open_spec(const char *spec, int *fd, sink_kind *kind, rs_error *err)
{
    if (spec == NULL || spec[0] == '\0')
        return rs_error_set(err, RS_ERR_INVALID_ARG, "trace: no sink named");
    if (strncmp(spec, "file:", 5) == 0) {
        if (spec[5] == '\0')
            return rs_error_set(err, RS_ERR_INVALID_ARG, "trace: \"file:\" names no file");
        *kind = SINK_FILE;
        return open_file(spec + 5, fd, err);
    }
    rs_status st = strncmp(spec, "tcp:", 4) == 0 ? open_tcp(spec + 4, fd, err)
                                                 : open_unix(spec, fd, err);
    if (st != RS_OK)
        return st;
    int e = write_preamble(*fd, true);
    if (e != 0) {
        close(*fd);
        return rs_error_set(err, RS_ERR_IO, "trace: cannot write to %s: %s", spec, strerror(e));
    }
    *kind = SINK_SOCKET;
    return RS_OK;
}

rs_status rs_trace_open(const char *spec, bool step, rs_error *err)
{
    pthread_once(&setup_once, setup);
    rs_error e = {0};
    int fd = -1;
    sink_kind kind = SINK_NONE;
    rs_status st = open_spec(spec, &fd, &kind, &e); /* without the lock: connecting takes time */
    pthread_mutex_lock(&sink.lock);
    sink.api_chose = true;
    if (st == RS_OK)
        sink_install(kind, fd, step, NULL, NULL);
    else
        set_error("%s", e.message);
    pthread_mutex_unlock(&sink.lock);
    if (st != RS_OK)
        rs_error_set(err, st, "%s", e.message);
    return st;
}

void rs_trace_set_callback(rs_trace_callback fn, void *ctx)
{
    if (fn == NULL) {
        rs_trace_close();
        return;
    }
    pthread_once(&setup_once, setup);
    pthread_mutex_lock(&sink.lock);
    sink.api_chose = true;
    sink_install(SINK_CALLBACK, -1, false, fn, ctx);
    pthread_mutex_unlock(&sink.lock);
}

void rs_trace_close(void)
{
    atomic_store_explicit(&rs_trace_active, false, memory_order_relaxed);
    pthread_mutex_lock(&sink.lock);
    sink.api_chose = true;
    sink_clear();
    pthread_mutex_unlock(&sink.lock);
}

static pthread_once_t env_once = PTHREAD_ONCE_INIT;

static void init_from_env(void)
{
    pthread_once(&setup_once, setup);
    const char *spec = getenv("RPCSCOPE_TRACE");
    const char *step = getenv("RPCSCOPE_STEP");
    if (spec == NULL || spec[0] == '\0')
        return;
    pthread_mutex_lock(&sink.lock);
    bool chosen = sink.api_chose;
    pthread_mutex_unlock(&sink.lock);
    if (chosen)
        return;
    rs_error e = {0};
    int fd = -1;
    sink_kind kind = SINK_NONE;
    rs_status st = open_spec(spec, &fd, &kind, &e);
    pthread_mutex_lock(&sink.lock);
    if (sink.api_chose) { /* the program chose while we connected */
        if (fd >= 0)
            close(fd);
    } else if (st == RS_OK) {
        sink_install(kind, fd, step != NULL && strcmp(step, "1") == 0, NULL, NULL);
    } else {
        set_error("RPCSCOPE_TRACE=%s: %s", spec, e.message);
    }
    pthread_mutex_unlock(&sink.lock);
}

void rs_trace_init_from_env(void)
{
    pthread_once(&env_once, init_from_env);
}

/* ---- reporting ------------------------------------------------------------------------------- */

#ifndef RS_TRACE_COMPILED_OUT /* else trace.h's empty inline versions */
void rs_trace_set_call(rs_trace_role role, const char *interface, const char *procedure,
                       uint32_t call_id, uint16_t opnum)
{
    current.role = role;
    current.interface = interface;
    current.procedure = procedure;
    current.call_id = call_id;
    current.opnum = opnum;
}

void rs_trace_clear_call(void)
{
    rs_trace_set_call((rs_trace_role)0, NULL, NULL, 0, 0);
}
#endif

/* The current call's fields where the event leaves them unset (see rs_trace_emit()). */
static void fill_from_call(rs_trace_event *ev)
{
    if (ev->layer == 0)
        ev->layer = rs_trace_kind_layer(ev->kind);
    if (ev->role == 0)
        ev->role = current.role;
    if (ev->call_id != 0 && ev->call_id != current.call_id)
        return; /* about another call: its own fields only */
    ev->call_id = current.call_id;
    if (ev->interface == NULL)
        ev->interface = current.interface;
    if (ev->procedure == NULL)
        ev->procedure = current.procedure;
    if (ev->opnum == 0)
        ev->opnum = current.opnum;
}

/* Waits for the release of record `seq`, the clock standing still meanwhile, and keeps its
 * verdict for rs_trace_take_verdict(). sink.lock held. */
static void gate(uint64_t seq)
{
    uint8_t release[RS_TRACE_RELEASE_SIZE];
    size_t got = 0;
    int error = 0;
    pause_begin();
    while (got < sizeof release) {
        ssize_t n = recv(sink.fd, release + got, sizeof release - got, 0);
        if (n > 0)
            got += (size_t)n;
        else if (n == 0)
            break;
        else if (errno != EINTR) {
            error = errno;
            break;
        }
    }
    pause_end();
    if (error != 0) {
        sink_drop("trace: waiting at the step gate for seq %" PRIu64 ": %s", seq, strerror(error));
        return;
    }
    if (got < sizeof release) {
        sink_drop("trace: the simulator closed the connection while seq %" PRIu64
                  " waited at the step gate",
                  seq);
        return;
    }
    uint64_t released;
    rs_trace_verdict v;
    char why[160];
    if (rs_trace_get_release(release, &released, &v, why, sizeof why) != RS_OK) {
        sink_drop("trace: %s", why);
        return;
    }
    if (released != seq) {
        sink_drop("trace: the simulator released seq %" PRIu64 " while seq %" PRIu64
                  " waited at the step gate: the trace stream is out of step",
                  released, seq);
        return;
    }
    verdict = v;
}

rs_trace_verdict rs_trace_take_verdict(void)
{
    rs_trace_verdict v = verdict;
    verdict = (rs_trace_verdict){.kind = RS_TRACE_GO};
    return v;
}

/* Events that may wait in the sink's buffer, outside step mode: every step of a call. They go
 * out together, in order, when the buffer passes PENDING_FLUSH_BYTES or PENDING_LAG_NS after the
 * first of them (the watchdog writes them then, watchdog.h) -- one write() for the events of
 * many calls instead of one or more per call, each of which woke the reader. So a reader sees
 * every event at most 2 ms after it happened, even when the process then waits for a long time.
 * Failures and the life of connections are written at once: a process may die right after. */
static bool deferrable(rs_trace_kind kind)
{
    switch (kind) {
    case RS_TRACE_FAULT:
    case RS_TRACE_ERROR:
    case RS_TRACE_TIMEOUT:
    case RS_TRACE_CONNECT:
    case RS_TRACE_ACCEPT:
    case RS_TRACE_LISTEN:
    case RS_TRACE_CLOSE:
        return false;
    default:
        return true;
    }
}

/* The watchdog's call, PENDING_LAG_NS after the first record began to wait. */
static void write_lagging(void)
{
    rs_trace_flush();
}

/* Encodes the event into the sink's buffer and writes what waits there, unless the event may
 * wait too (never in step mode: the simulator must have each record before its gate); then the
 * gate. sink.lock held. */
static void report(rs_trace_event *ev)
{
    verdict = (rs_trace_verdict){.kind = RS_TRACE_GO}; /* a verdict belongs to one event */
    size_t before = sink.pending.len;
    sink.pending.limit = before + (size_t)RS_TRACE_LENGTH_SIZE + RS_TRACE_RECORD_MAX;
    if (rs_trace_encode(ev, &sink.pending) != RS_OK) {
        sink.pending.len = before; /* no memory for it: the event is lost, the stream stays whole */
        sink.pending.status = RS_OK;
        return;
    }
    sink.seq = ev->seq;
    if (!sink.step && deferrable(ev->kind) && sink.pending.len < PENDING_FLUSH_BYTES) {
        if (sink.lag_set)
            return;
        sink.lag_set = rs_watch_call(&sink.lag, write_lagging, rs_watch_now() + PENDING_LAG_NS);
        if (sink.lag_set)
            return; /* without a watchdog, nobody would write it later: now */
    }
    int e = write_pending();
    if (e != 0) {
        sink_drop("trace: cannot write an event: %s", strerror(e));
        return;
    }
    if (sink.step)
        gate(ev->seq);
}

void rs_trace_flush(void)
{
    pthread_mutex_lock(&sink.lock);
    if ((sink.kind == SINK_SOCKET || sink.kind == SINK_FILE) && sink.pending.len > 0) {
        int e = write_pending();
        if (e != 0)
            sink_drop("trace: cannot write an event: %s", strerror(e));
    }
    pthread_mutex_unlock(&sink.lock);
}

void rs_trace_emit(rs_trace_event *ev)
{
    if (ev == NULL || reporting || (unsigned)ev->kind >= RS_TRACE_KIND_COUNT)
        return;
    fill_from_call(ev);
    reporting = true;
    pthread_mutex_lock(&sink.lock);
    if (sink.kind != SINK_NONE) {
        if (sink.pid == 0)
            sink.pid = (uint32_t)getpid();
        ev->pid = sink.pid;
        ev->seq = sink.seq + 1;
        ev->time_ns = (uint64_t)rs_trace_clock_ns();
        if (sink.kind == SINK_CALLBACK) {
            sink.seq = ev->seq;
            sink.fn(ev, sink.ctx);
        } else {
            report(ev);
        }
    }
    pthread_mutex_unlock(&sink.lock);
    reporting = false;
}

void rs_trace_param_slow(rs_trace_kind kind, const char *name, const char *c_type,
                         const void *address, size_t size, bool out)
{
    rs_trace_event ev = {
        .kind = kind,
        .name = name,
        .c_type = c_type,
        .address = (uint64_t)(uintptr_t)address,
        .length = size > UINT32_MAX ? UINT32_MAX : (uint32_t)size,
        .flags = out ? RS_TRACE_FLAG_OUT : 0,
    };
    if (address != NULL && size > 0) {
        ev.bytes = address;
        ev.bytes_len = size;
        if (size > RS_TRACE_BYTES_MAX) {
            ev.bytes_len = RS_TRACE_BYTES_MAX;
            ev.flags |= RS_TRACE_FLAG_TRUNCATED;
        }
    }
    rs_trace_emit(&ev);
}

void rs_trace_procedure_slow(rs_trace_kind kind, const char *procedure)
{
    rs_trace_event ev = {.kind = kind, .procedure = procedure};
    rs_trace_emit(&ev);
}

/* ---- NDR fields, for the client and server runtimes' stream observers ----------------------- */

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define HOST_ENDIAN RS_BE
#else
#define HOST_ENDIAN RS_LE
#endif

/* rs_ndr_role's padding value: the trace does not include ndr.h (it calls no other layer). */
#define NDR_ROLE_PADDING 1

void rs_trace_ndr_field(rs_trace_role role, bool decoding, rs_endian endian, const char *name,
                        const char *ndr_type, size_t offset, size_t length, uint32_t count,
                        uint8_t ndr_role, const uint8_t *bytes, bool out)
{
    bool converted = decoding && endian != HOST_ENDIAN && ndr_role != NDR_ROLE_PADDING && count > 0 &&
                     length / count > 1;
    rs_trace_event ev = {
        .kind = decoding ? RS_TRACE_NDR_GET : RS_TRACE_NDR_PUT,
        .role = role,
        .ndr_role = ndr_role,
        .offset = offset > UINT32_MAX ? UINT32_MAX : (uint32_t)offset,
        .length = length > UINT32_MAX ? UINT32_MAX : (uint32_t)length,
        .name = name,
        .ndr_type = ndr_type,
        .text = !converted ? NULL
                : endian == RS_BE ? "converted from big-endian"
                                  : "converted from little-endian",
        .flags = (uint8_t)((out ? RS_TRACE_FLAG_OUT : 0) | (endian == RS_BE ? RS_TRACE_FLAG_BIG_ENDIAN : 0)),
        .bytes = bytes,
        .bytes_len = length,
    };
    rs_trace_emit(&ev);
}
