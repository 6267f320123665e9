/* server.c -- the server runtime: an event loop, a worker pool, binds and dispatch by opnum.
 * See server.h for the contract and the answers it gives; the wire is C706 chapter 12 and
 * [MS-RPCE] 2.2.2 and 3.3.1.5.
 *
 * Every step is also reported to the trace hook (trace.h); transport.c reports the ones in
 * brackets. [LISTEN] from rs_server_listen(); on the event loop's thread [ACCEPT], and TIMEOUT
 * [CLOSE] for an idle connection; on a worker, for what arrives on a connection:
 *
 *   [PDU_RECEIVED] BIND BIND_ACK|BIND_NAK PDU_BUILT [PDU_SENT]    a bind or alter_context
 *   [PDU_RECEIVED] ... PDU_REASSEMBLED DISPATCH                   a request; the call is the
 *   NDR_GET ... (the stub's PARAM_WRITTEN, PROCEDURE_ENTER,       thread's (rs_trace_set_call())
 *   PROCEDURE_RETURN, PARAM_READ) NDR_PUT ...                     from DISPATCH to its answer
 *   PDU_BUILT [PDU_SENT] ...                                      the response's fragments
 *   ERROR FAULT PDU_BUILT [PDU_SENT]                              or a call that fails
 *   TIMEOUT or ERROR, then [CLOSE]                                a connection that breaks
 *
 * A fault of the lesson's scenario (inject.h) is reported where it strikes, as an ERROR whose
 * text begins "injected: ": after PDU_REASSEMBLED (close-before-execute), after DISPATCH
 * (kill-server, raise), after the procedure (close-after-execute), or between [PDU_SENT] and
 * the bytes of a held PDU (delay).
 */
#include "server.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "binding.h"
#include "inject.h"
#include "pdu.h"
#include "trace.h"
#include "transport.h"
#include "watchdog.h"

#define DEFAULT_WORKERS 32
#define DEFAULT_MAX_CONNECTIONS 1024
#define DEFAULT_IDLE_TIMEOUT_MS 120000
#define DEFAULT_IO_TIMEOUT_MS 30000

/* A response's stub data must fit alloc_hint, a u32. */
#define RESPONSE_STUB_MAX ((size_t)UINT32_MAX)

/* Connections accepted per listener per loop turn, so one busy listener cannot starve the rest. */
#define ACCEPT_BATCH 64

/* After accept() fails (out of file descriptors, most likely) its listener rests this long, or
 * the loop would spin on a listener that stays readable. */
#define ACCEPT_PAUSE_MS 100

/* After answering, a worker keeps its connection this long waiting for the client's next PDU
 * (linger()), so that a client making call after call is served without a trip through the event
 * loop: no self-pipe write, no loop wake-up, no hand-over between threads per call. It gives the
 * connection back sooner when other connections wait for a worker. */
#define LINGER_MS 20

/* A connection's reassembly and response buffers are kept between calls, so that a call of a
 * size made before allocates nothing; when the connection goes idle (back to the event loop)
 * each is freed beyond this size: a single 4 MiB call must not make an idle connection hold
 * 4 MiB. */
#define IDLE_KEEP_BYTES (64 * 1024)

/* [MS-RPCE] 3.3.1.5.3: a transfer syntax 6cb71c2c-9812-4540-XXXX-XXXXXXXXXXXX version 1.0 in a
 * bind is not a transfer syntax but bind time feature negotiation; its last 8 bytes are the
 * bitmask of features the client supports, little-endian. */
#define BTFN_TIME_LOW 0x6cb71c2cu
#define BTFN_TIME_MID 0x9812u
#define BTFN_TIME_HI_AND_VERSION 0x4540u
/* What this server supports of them: it keeps the connection after an orphaned PDU. */
#define BTFN_SUPPORTED RS_BTFN_KEEP_CONNECTION_ON_ORPHAN

typedef struct srv_listener {
    rs_listener *listener; /* NULL once closed */
    char binding[RS_BINDING_STRLEN];
    char sec_addr[RS_BINDING_ENDPOINT_MAX]; /* bind_ack's secondary address: port or name */
    int64_t paused_until;
} srv_listener;

/* A presentation context the connection's client bound. */
typedef struct srv_context {
    uint16_t p_cont_id;
    const rs_interface *iface;
} srv_context;

typedef struct srv_handle srv_handle;

/* One client connection. Exactly one thread touches it at a time: the event loop while it is
 * idle, one worker while it is busy; the hand-over goes through the server's lock. (Its name is
 * server.h's, where a call points to it; the fields are this file's.) */
typedef struct rs_server_conn {
    rs_conn *conn; /* NULL once a worker closed it */
    size_t listener;
    struct rs_server_conn *prev, *next; /* every connection (the loop's list) */
    struct rs_server_conn *queue_next;  /* in the work queue, or the list handed back */
    char peer[RS_BINDING_STRLEN];        /* "127.0.0.1:53122", for the log after conn is gone */
    unsigned long calls;                 /* requests dispatched, for the log */
    srv_handle *handles;                 /* the context handles it owns (under handles_lock) */
    int64_t last_active;
    bool busy; /* with a worker (the loop's to read and write) */
    bool dead; /* the worker closed it; the loop frees it */
    bool idled;     /* its worker waited alone past idle_timeout_ms (wait_alone()): closed */

    /* The association (C706 12.4). */
    bool bound;
    uint16_t max_xmit_frag; /* what we send */
    uint16_t max_recv_frag; /* what we told the client to send */
    uint32_t assoc_group_id;
    srv_context contexts[RS_SERVER_MAX_CONTEXTS];
    size_t context_count;

    rs_buf in;  /* the PDU just received: a view of it in the connection's buffer */
    rs_buf out; /* the PDU being sent */
    rs_buf response; /* the last call's response stub memory, lent to the next call */
    rs_pdu_reassembler reasm;
    const char *call_procedure; /* the call being answered, for a fault's `on`; NULL outside */
} srv_conn;

/* A context handle the server holds (server.h): in its UUID's bucket of the registry, and in the
 * list of the connection that owns it. */
struct srv_handle {
    rs_uuid uuid;
    void *context;               /* the procedure's pointer */
    const rs_context_type *type;
    const rs_interface *iface;   /* of the call that opened it */
    srv_conn *owner;
    srv_handle *bucket_next;
    srv_handle *owner_prev, *owner_next;
};

struct rs_server {
    rs_server_options options;
    pthread_mutex_t lock; /* the registry, the queue, the hand-back list, stopping, groups, and
                             a busy connection's `conn` when it is closed */
    pthread_cond_t work;  /* a worker waits here for the queue */

    const rs_interface **ifaces;
    size_t iface_count, iface_cap;
    srv_listener *listeners;
    size_t listener_count;

    int wake[2];                /* the self-pipe: the loop polls wake[0] */
    atomic_int stop_requested;  /* set by rs_server_stop(), from anywhere */
    bool ran;

    srv_conn *queue_head, *queue_tail; /* readable connections for the workers */
    /* How many wait in the queue, how many workers wait for it, how many linger (each holding a
     * connection), and how many lingering workers are asked to give theirs back. Changed under
     * `lock` (lingering and yields_wanted also without it), read without it: atomics, so that a
     * worker's linger takes no lock per call. */
    atomic_size_t queue_len;
    atomic_uint idle_workers;
    atomic_uint lingering;
    atomic_uint yields_wanted;
    int nudge[2];                      /* a lingering worker polls nudge[0]: work waits */
    srv_conn *handed_back;             /* connections the workers are done with */
    bool stopping;                     /* workers drain the queue, then exit */
    uint32_t next_assoc_group;

    /* The event loop's own. */
    srv_conn *conns;
    size_t conn_count;
    atomic_size_t open_conns; /* conn_count, for the workers to read (wait_alone()) */
    pthread_t *threads;
    unsigned thread_count;

    /* The faults of the lesson's scenario (inject.h), read by rs_server_create(); count 0
     * without one. Read-only afterwards, so the workers share it without the lock. */
    rs_inject inject;

    /* The context handle registry (server.h): a hash table by UUID, `bucket_count` chains (a
     * power of two, 0 until the first handle), and every connection's list of its own. */
    pthread_mutex_t handles_lock;
    srv_handle **buckets;
    size_t bucket_count, handle_count;
};

/* The call the calling worker is serving, for rs_server_raise(). */
static _Thread_local rs_server_call *current_call;

/* ---- create, options, destroy ---------------------------------------------------------------- */

rs_server_options rs_server_default_options(void)
{
    rs_server_options o = {
        .workers = DEFAULT_WORKERS,
        .max_connections = DEFAULT_MAX_CONNECTIONS,
        .idle_timeout_ms = DEFAULT_IDLE_TIMEOUT_MS,
        .io_timeout_ms = DEFAULT_IO_TIMEOUT_MS,
        .max_frag = RS_PDU_DEFAULT_MAX_FRAG,
        .max_stub = RS_PDU_DEFAULT_MAX_STUB,
    };
    return o;
}

static rs_status complete_options(const rs_server_options *given, rs_server_options *o)
{
    rs_server_options d = rs_server_default_options();
    *o = given != NULL ? *given : d;
    if (o->workers == 0)
        o->workers = d.workers;
    if (o->max_connections == 0)
        o->max_connections = d.max_connections;
    if (o->idle_timeout_ms == 0)
        o->idle_timeout_ms = d.idle_timeout_ms;
    if (o->io_timeout_ms == 0)
        o->io_timeout_ms = d.io_timeout_ms;
    if (o->max_frag == 0)
        o->max_frag = d.max_frag;
    if (o->max_stub == 0)
        o->max_stub = d.max_stub;
    if (o->io_timeout_ms < 0 || o->max_frag < RS_SERVER_MIN_FRAG || o->workers > 4096)
        return RS_ERR_INVALID_ARG;
    return RS_OK;
}

static rs_status set_pipe_flags(int fd)
{
    int flags = fcntl(fd, F_GETFL);
    if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0 ||
        fcntl(fd, F_SETFD, FD_CLOEXEC) < 0)
        return RS_ERR_IO;
    return RS_OK;
}

rs_status rs_server_create(const rs_server_options *options, rs_server **out)
{
    *out = NULL;
    rs_trace_init_from_env(); /* any program is traceable by its environment alone */
    rs_server *s = calloc(1, sizeof *s);
    if (s == NULL)
        return RS_ERR_NOMEM;
    s->wake[0] = s->wake[1] = -1;
    s->nudge[0] = s->nudge[1] = -1;
    rs_status st = complete_options(options, &s->options);
    if (st != RS_OK)
        goto fail;
    /* A lesson's scenario overrides what the program chose: the script wins (server.h). */
    rs_inject_env env;
    rs_inject_read_env(RS_TRACE_ROLE_SERVER, &env);
    if (env.max_frag != 0)
        s->options.max_frag = env.max_frag;
    s->inject = env.faults;
    if (pipe(s->wake) != 0) {
        s->wake[0] = s->wake[1] = -1;
        st = RS_ERR_IO;
        goto fail;
    }
    if (pipe(s->nudge) != 0) {
        s->nudge[0] = s->nudge[1] = -1;
        st = RS_ERR_IO;
        goto fail;
    }
    st = set_pipe_flags(s->wake[0]);
    if (st == RS_OK)
        st = set_pipe_flags(s->wake[1]);
    if (st == RS_OK)
        st = set_pipe_flags(s->nudge[0]);
    if (st == RS_OK)
        st = set_pipe_flags(s->nudge[1]);
    if (st != RS_OK)
        goto fail;
    if (pthread_mutex_init(&s->lock, NULL) != 0) {
        st = RS_ERR_NOMEM;
        goto fail;
    }
    if (pthread_cond_init(&s->work, NULL) != 0) {
        pthread_mutex_destroy(&s->lock);
        st = RS_ERR_NOMEM;
        goto fail;
    }
    if (pthread_mutex_init(&s->handles_lock, NULL) != 0) {
        pthread_cond_destroy(&s->work);
        pthread_mutex_destroy(&s->lock);
        st = RS_ERR_NOMEM;
        goto fail;
    }
    atomic_init(&s->stop_requested, 0);
    atomic_init(&s->open_conns, 0);
    s->next_assoc_group = 1;
    *out = s;
    return RS_OK;
fail:
    if (s->wake[0] >= 0) {
        close(s->wake[0]);
        close(s->wake[1]);
    }
    if (s->nudge[0] >= 0) {
        close(s->nudge[0]);
        close(s->nudge[1]);
    }
    free(s);
    return st;
}

rs_server_options rs_server_get_options(const rs_server *s) { return s->options; }

static void close_listeners(rs_server *s)
{
    for (size_t i = 0; i < s->listener_count; i++) {
        rs_listener_close(s->listeners[i].listener);
        s->listeners[i].listener = NULL;
    }
}

void rs_server_destroy(rs_server *s)
{
    if (s == NULL)
        return;
    close_listeners(s);
    free(s->listeners);
    free(s->ifaces);
    close(s->wake[0]);
    close(s->wake[1]);
    close(s->nudge[0]);
    close(s->nudge[1]);
    free(s->buckets); /* empty: every handle went with its connection */
    pthread_mutex_destroy(&s->handles_lock);
    pthread_cond_destroy(&s->work);
    pthread_mutex_destroy(&s->lock);
    free(s);
}

/* ---- the registry ---------------------------------------------------------------------------- */

rs_status rs_server_register(rs_server *s, const rs_interface *iface, rs_error *err)
{
    if (iface == NULL || (iface->operation_count > 0 && iface->operations == NULL))
        return rs_error_set(err, RS_ERR_INVALID_ARG, "server: an interface needs its operations");
    char uuid[RS_UUID_STRLEN];
    rs_uuid_format(&iface->syntax.uuid, uuid);
    rs_status st = RS_OK;
    pthread_mutex_lock(&s->lock);
    for (size_t i = 0; i < s->iface_count; i++) {
        if (rs_syntax_equal(&s->ifaces[i]->syntax, &iface->syntax)) {
            st = rs_error_set(err, RS_ERR_INVALID_ARG,
                              "server: interface %s version %u.%u is already registered", uuid,
                              iface->syntax.major, iface->syntax.minor);
            goto out;
        }
    }
    if (s->iface_count == s->iface_cap) {
        size_t cap = s->iface_cap ? 2 * s->iface_cap : 8;
        const rs_interface **grown = realloc(s->ifaces, cap * sizeof *grown);
        if (grown == NULL) {
            st = rs_error_set(err, RS_ERR_NOMEM, "server: out of memory");
            goto out;
        }
        s->ifaces = grown;
        s->iface_cap = cap;
    }
    s->ifaces[s->iface_count++] = iface;
out:
    pthread_mutex_unlock(&s->lock);
    return st;
}

rs_status rs_server_unregister(rs_server *s, const rs_interface *iface, rs_error *err)
{
    bool found = false;
    pthread_mutex_lock(&s->lock);
    for (size_t i = 0; i < s->iface_count; i++) {
        if (iface == NULL || s->ifaces[i] == iface) {
            /* order does not matter to find_interface(): the last one fills the gap */
            s->ifaces[i--] = s->ifaces[--s->iface_count];
            found = true;
        }
    }
    pthread_mutex_unlock(&s->lock);
    if (!found)
        return rs_error_set(err, RS_ERR_INVALID_ARG, "server: that interface is not registered");
    return RS_OK;
}

/* C706 (12.6.3.1 "Syntax ... Compatibility"): the same UUID and major version, and a client
 * minor version no greater than the server's. An exact minor is preferred, then the highest. */
static const rs_interface *find_interface(rs_server *s, const rs_syntax_id *wanted)
{
    const rs_interface *best = NULL;
    pthread_mutex_lock(&s->lock);
    for (size_t i = 0; i < s->iface_count; i++) {
        const rs_syntax_id *have = &s->ifaces[i]->syntax;
        if (rs_uuid_compare(&have->uuid, &wanted->uuid) != 0 || have->major != wanted->major ||
            have->minor < wanted->minor)
            continue;
        if (have->minor == wanted->minor) {
            best = s->ifaces[i];
            break;
        }
        if (best == NULL || have->minor > best->syntax.minor)
            best = s->ifaces[i];
    }
    pthread_mutex_unlock(&s->lock);
    return best;
}

/* ---- context handles: the registry (server.h) --------------------------------------------------
 * Entries are found by UUID in a hash table and listed per owning connection, both under
 * handles_lock. The UUIDs are ours (rs_uuid_generate(): random), so a client cannot crowd one
 * chain: a look-up of a UUID it made up walks a chain of the usual length and finds nothing. */

/* The table grows (doubling) once it holds this many handles per chain on average. */
#define HANDLE_LOAD 2
#define HANDLE_BUCKETS_MIN 64

static size_t uuid_hash(const rs_uuid *u)
{
    uint32_t h = u->time_low ^ ((uint32_t)u->time_mid << 16) ^ u->time_hi_and_version;
    for (size_t i = 0; i < sizeof u->clock_seq; i++)
        h = h * 31 + u->clock_seq[i];
    for (size_t i = 0; i < sizeof u->node; i++)
        h = h * 31 + u->node[i];
    return h;
}

/* Under handles_lock. */
static srv_handle *handle_find(const rs_server *s, const rs_uuid *uuid)
{
    if (s->bucket_count == 0)
        return NULL;
    srv_handle *h = s->buckets[uuid_hash(uuid) & (s->bucket_count - 1)];
    while (h != NULL && rs_uuid_compare(&h->uuid, uuid) != 0)
        h = h->bucket_next;
    return h;
}

/* Doubles the table (from HANDLE_BUCKETS_MIN) when one more handle would pass HANDLE_LOAD.
 * Under handles_lock. False only when there is no table and none can be made: a table that
 * cannot grow still works, with longer chains. */
static bool handles_make_room(rs_server *s)
{
    if (s->bucket_count != 0 && s->handle_count + 1 <= s->bucket_count * HANDLE_LOAD)
        return true;
    size_t n = s->bucket_count != 0 ? s->bucket_count * 2 : HANDLE_BUCKETS_MIN;
    srv_handle **grown = calloc(n, sizeof *grown);
    if (grown == NULL)
        return s->bucket_count != 0;
    for (size_t i = 0; i < s->bucket_count; i++) {
        srv_handle *next;
        for (srv_handle *h = s->buckets[i]; h != NULL; h = next) {
            next = h->bucket_next;
            size_t b = uuid_hash(&h->uuid) & (n - 1);
            h->bucket_next = grown[b];
            grown[b] = h;
        }
    }
    free(s->buckets);
    s->buckets = grown;
    s->bucket_count = n;
    return true;
}

/* Enters h in the table and in its owner's list. Under handles_lock, after handles_make_room(). */
static void handle_insert(rs_server *s, srv_handle *h)
{
    size_t b = uuid_hash(&h->uuid) & (s->bucket_count - 1);
    h->bucket_next = s->buckets[b];
    s->buckets[b] = h;
    h->owner_prev = NULL;
    h->owner_next = h->owner->handles;
    if (h->owner->handles != NULL)
        h->owner->handles->owner_prev = h;
    h->owner->handles = h;
    s->handle_count++;
}

/* Takes h out of the table and out of its owner's list. Under handles_lock. */
static void handle_remove(rs_server *s, srv_handle *h)
{
    srv_handle **p = &s->buckets[uuid_hash(&h->uuid) & (s->bucket_count - 1)];
    while (*p != h)
        p = &(*p)->bucket_next;
    *p = h->bucket_next;
    if (h->owner_prev != NULL)
        h->owner_prev->owner_next = h->owner_next;
    else
        h->owner->handles = h->owner_next;
    if (h->owner_next != NULL)
        h->owner_next->owner_prev = h->owner_prev;
    s->handle_count--;
}

/* The connection closed: every handle it still owns leaves the registry, then (outside the lock:
 * a rundown is the program's code, and may take its time or call into the server) its type's
 * rundown gets the procedure's pointer. Returns how many were run down. */
static size_t run_down_handles(rs_server *s, srv_conn *sc)
{
    srv_handle *list = NULL; /* linked through owner_next, once out of the registry */
    pthread_mutex_lock(&s->handles_lock);
    while (sc->handles != NULL) {
        srv_handle *h = sc->handles;
        handle_remove(s, h);
        h->owner_next = list;
        list = h;
    }
    pthread_mutex_unlock(&s->handles_lock);
    size_t n = 0;
    srv_handle *next;
    for (srv_handle *h = list; h != NULL; h = next, n++) {
        next = h->owner_next;
        if (h->type->rundown != NULL)
            h->type->rundown(h->context);
        free(h);
    }
    return n;
}

rs_status rs_server_get_context_handle(rs_server_call *call, const char *name,
                                       const rs_context_type *type, bool null_ok,
                                       rs_ndr_context_handle *wire, void **context)
{
    *context = NULL;
    rs_status st = rs_ndr_get_context_handle(&call->in, name, wire);
    if (st != RS_OK)
        return st;
    if (rs_uuid_is_nil(&wire->uuid)) {
        if (null_ok)
            return RS_OK; /* an [in, out] handle the procedure may open */
        return rs_ndr_fail(&call->in, RS_ERR_NULL_CONTEXT,
                           "ndr: %s: a context handle passed [in] is NULL (all zeros)", name);
    }
    rs_server *s = call->server;
    const char *why = NULL;
    const char *other = NULL, *other_iface = NULL; /* names in the registry: static strings */
    pthread_mutex_lock(&s->handles_lock);
    const srv_handle *h = handle_find(s, &wire->uuid);
    if (h == NULL) {
        why = "the server holds no such handle (never opened, closed, or run down)";
    } else if (h->owner != call->conn) {
        why = "another connection opened it";
    } else if (strcmp(h->type->name, type->name) != 0) {
        other = h->type->name;
        other_iface = h->iface->name;
    } else {
        *context = h->context;
    }
    pthread_mutex_unlock(&s->handles_lock);
    if (why == NULL && other == NULL)
        return RS_OK;
    char uuid[RS_UUID_STRLEN];
    rs_uuid_format(&wire->uuid, uuid);
    if (other != NULL)
        return rs_ndr_fail(&call->in, RS_ERR_CONTEXT_MISMATCH,
                           "ndr: %s: context handle %s is a %s (opened by a call of %s), not a %s",
                           name, uuid, other, other_iface, type->name);
    return rs_ndr_fail(&call->in, RS_ERR_CONTEXT_MISMATCH, "ndr: %s: context handle %s: %s", name,
                       uuid, why);
}

rs_status rs_server_put_context_handle(rs_server_call *call, const char *name,
                                       const rs_context_type *type, rs_ndr_context_handle *wire,
                                       void *context)
{
    /* Called even when the response already failed: the registry must still learn what the
     * procedure did (closed a handle, changed one, or opened one nobody will hear of). */
    rs_status st = rs_ndr_status(&call->out);
    rs_server *s = call->server;
    srv_handle *closed = NULL;
    bool kept = false;
    pthread_mutex_lock(&s->handles_lock);
    srv_handle *h = rs_uuid_is_nil(&wire->uuid) ? NULL : handle_find(s, &wire->uuid);
    if (h != NULL && h->owner != call->conn)
        h = NULL; /* never this call's to change (its get would have failed) */
    if (h != NULL && context == NULL) {
        handle_remove(s, h); /* the procedure closed it: no rundown */
        closed = h;
    } else if (h != NULL) {
        h->context = context; /* the same handle, maybe new state */
        kept = true;
    }
    pthread_mutex_unlock(&s->handles_lock);
    free(closed);
    if (kept)
        return rs_ndr_put_context_handle(&call->out, name, wire);
    memset(wire, 0, sizeof *wire);
    if (context == NULL)
        return rs_ndr_put_context_handle(&call->out, name, wire); /* zeros: NULL */
    if (st != RS_OK) {
        /* New state, but the call faults: no client will ever name it. */
        if (type->rundown != NULL)
            type->rundown(context);
        return st;
    }

    /* New state: a new entry under a new UUID. */
    srv_handle *fresh = calloc(1, sizeof *fresh);
    st = fresh != NULL ? RS_OK : RS_ERR_NOMEM;
    pthread_mutex_lock(&s->handles_lock);
    if (st == RS_OK && !handles_make_room(s))
        st = RS_ERR_NOMEM;
    for (int tries = 0; st == RS_OK; tries++) {
        st = rs_uuid_generate(&fresh->uuid);
        if (st == RS_OK && handle_find(s, &fresh->uuid) == NULL)
            break;
        if (st == RS_OK && tries == 3) /* four random UUIDs taken: the random source is broken */
            st = RS_ERR_UNSUPPORTED;
    }
    if (st == RS_OK) {
        fresh->context = context;
        fresh->type = type;
        fresh->iface = call->iface;
        fresh->owner = call->conn;
        handle_insert(s, fresh);
        wire->uuid = fresh->uuid;
    }
    pthread_mutex_unlock(&s->handles_lock);
    if (st != RS_OK) {
        free(fresh);
        if (type->rundown != NULL)
            type->rundown(context); /* nobody could ever name this state again */
        return rs_ndr_fail(&call->out, st, "ndr: %s: cannot open a context handle (%s)", name,
                           rs_status_message(st));
    }
    return rs_ndr_put_context_handle(&call->out, name, wire);
}

size_t rs_server_context_count(rs_server *s)
{
    pthread_mutex_lock(&s->handles_lock);
    size_t n = s->handle_count;
    pthread_mutex_unlock(&s->handles_lock);
    return n;
}

/* ---- listeners ------------------------------------------------------------------------------- */

rs_status rs_server_listen(rs_server *s, const char *binding, rs_error *err)
{
    if (s->ran)
        return rs_error_set(err, RS_ERR_INVALID_ARG,
                            "server: rs_server_listen() must come before rs_server_run()");
    rs_binding b;
    rs_status st = rs_binding_parse(binding != NULL ? binding : "", &b);
    if (st != RS_OK)
        return rs_error_set(err, st, "server: %s", b.error);
    srv_listener *grown = realloc(s->listeners, (s->listener_count + 1) * sizeof *grown);
    if (grown == NULL)
        return rs_error_set(err, RS_ERR_NOMEM, "server: out of memory");
    s->listeners = grown;
    srv_listener *l = &s->listeners[s->listener_count];
    memset(l, 0, sizeof *l);
    st = rs_listener_open(&b, &l->listener, err);
    if (st != RS_OK)
        return st;
    snprintf(l->binding, sizeof l->binding, "%s", rs_listener_binding(l->listener));
    /* The secondary address: Windows sends the TCP port as decimal text, and for ncalrpc the
     * endpoint name. Both are the endpoint of the binding we really listen on. */
    rs_binding real;
    if (rs_binding_parse(l->binding, &real) == RS_OK)
        snprintf(l->sec_addr, sizeof l->sec_addr, "%s", real.endpoint);
    s->listener_count++;
    return RS_OK;
}

size_t rs_server_binding_count(const rs_server *s) { return s->listener_count; }

const char *rs_server_binding(const rs_server *s, size_t i)
{
    return i < s->listener_count ? s->listeners[i].binding : NULL;
}

/* ---- stopping -------------------------------------------------------------------------------- */

/* One byte into the self-pipe. A full pipe already holds a wake-up, so a failure is harmless. */
static void wake_loop(rs_server *s)
{
    char byte = 1;
    ssize_t n = write(s->wake[1], &byte, 1);
    (void)n;
}

void rs_server_stop(rs_server *s)
{
    atomic_store(&s->stop_requested, 1);
    wake_loop(s);
}

static void drain_wake(rs_server *s)
{
    char buf[64];
    while (read(s->wake[0], buf, sizeof buf) > 0)
        ;
}

/* ---- trace events ----------------------------------------------------------------------------
 * Each helper is called only when rs_trace_enabled(), so that with tracing off an event site is
 * one branch and builds nothing. Events name their call id themselves: a worker has a current
 * call (rs_trace_set_call()) only from DISPATCH to the answer, and a bind is no call at all. */


static uint8_t endian_flag(rs_endian e) { return e == RS_BE ? RS_TRACE_FLAG_BIG_ENDIAN : 0; }

static void emit_text(rs_trace_kind kind, uint32_t call_id, const char *text)
{
    rs_trace_event ev = {.kind = kind, .role = RS_TRACE_ROLE_SERVER, .call_id = call_id,
                         .text = text};
    rs_trace_emit(&ev);
}

/* An event about the PDU bytes in `pdu`: the runtime's view of it (BIND, BIND_ACK, BIND_NAK,
 * FAULT, PDU_REASSEMBLED's stub data) or PDU_BUILT. `iface` names the interface when the thread
 * has no call that does. */
static void emit_pdu(rs_trace_kind kind, const uint8_t *bytes, size_t len, uint8_t ptype,
                     uint32_t call_id, uint8_t flags, const char *iface, const char *text)
{
    rs_trace_event ev = {
        .kind = kind,
        .role = RS_TRACE_ROLE_SERVER,
        .call_id = call_id,
        .ptype = ptype,
        .length = len > UINT32_MAX ? UINT32_MAX : (uint32_t)len,
        .interface = iface,
        .text = text,
        .flags = flags,
        .bytes = bytes,
        .bytes_len = len,
    };
    rs_trace_emit(&ev);
}

/* "nca_s_op_rng_error (0x1c010002)", or "fault 0x12345678" for a code without a name. */
static void fault_text(uint32_t code, char *out, size_t size)
{
    const char *name = rs_fault_name(code);
    if (name != NULL)
        snprintf(out, size, "%s (0x%08x)", name, code);
    else
        snprintf(out, size, "fault 0x%08x", code);
}

/* "max_xmit_frag 4280, max_recv_frag 4280, assoc_group 0x00000001: acceptance", one result per
 * offered context, a rejection with its reason. */
static void ack_text(const rs_pdu_bind_ack *ack, char *out, size_t size)
{
    int n = snprintf(out, size, "max_xmit_frag %u, max_recv_frag %u, assoc_group 0x%08x:",
                     ack->max_xmit_frag, ack->max_recv_frag, ack->assoc_group_id);
    for (unsigned i = 0; i < ack->n_results && n >= 0 && (size_t)n < size; i++) {
        const rs_pdu_result *r = &ack->results[i];
        const char *sep = i > 0 ? "," : "";
        if (r->result == RS_CONT_PROVIDER_REJECTION || r->result == RS_CONT_USER_REJECTION)
            n += snprintf(out + n, size - (size_t)n, "%s %s (%s)", sep,
                          rs_pdu_result_name(r->result), rs_pdu_provider_reason_name(r->reason));
        else
            n += snprintf(out + n, size - (size_t)n, "%s %s", sep, rs_pdu_result_name(r->result));
    }
}

/* A bind or alter_context as it arrived in sc->in: "bind calc 1.0 context 0", each offered
 * context by the name of the interface registered for it (or its UUID). Returns that name for
 * the first context, for the answer's events. */
static const char *trace_bind(rs_server *s, const srv_conn *sc, const rs_pdu *pdu)
{
    const rs_pdu_bind *b = &pdu->bind;
    const char *first = NULL;
    char text[512];
    int n = snprintf(text, sizeof text, "%s", rs_pdu_type_name(pdu->hdr.ptype));
    if (b->n_context_elem == 0)
        n += snprintf(text + n, sizeof text - (size_t)n, " with no contexts");
    for (unsigned i = 0; i < b->n_context_elem && n >= 0 && (size_t)n < sizeof text; i++) {
        const rs_pdu_context *ctx = &b->contexts[i];
        const rs_interface *iface = find_interface(s, &ctx->abstract_syntax);
        char uuid[RS_UUID_STRLEN];
        if (iface == NULL)
            rs_uuid_format(&ctx->abstract_syntax.uuid, uuid);
        if (i == 0 && iface != NULL)
            first = iface->name;
        n += snprintf(text + n, sizeof text - (size_t)n, "%s %s %u.%u context %u",
                      i > 0 ? "," : "", iface != NULL ? iface->name : uuid,
                      ctx->abstract_syntax.major, ctx->abstract_syntax.minor, ctx->p_cont_id);
    }
    emit_pdu(RS_TRACE_BIND, sc->in.data, sc->in.len, pdu->hdr.ptype, pdu->hdr.call_id,
             endian_flag(pdu->endian), first, text);
    return first;
}

/* The runtime's answer in sc->out, just built: BIND_ACK, BIND_NAK or FAULT first, then
 * PDU_BUILT. */
static void trace_answer(const srv_conn *sc, const rs_pdu *pdu, const char *iface)
{
    char text[256];
    rs_trace_kind kind = RS_TRACE_KIND_NONE;
    switch (pdu->hdr.ptype) {
    case RS_PTYPE_BIND_ACK:
    case RS_PTYPE_ALTER_CONTEXT_RESP:
        kind = RS_TRACE_BIND_ACK;
        ack_text(&pdu->bind_ack, text, sizeof text);
        break;
    case RS_PTYPE_BIND_NAK:
        kind = RS_TRACE_BIND_NAK;
        snprintf(text, sizeof text, "%s",
                 rs_pdu_reject_reason_name(pdu->bind_nak.provider_reject_reason));
        break;
    case RS_PTYPE_FAULT:
        kind = RS_TRACE_FAULT;
        fault_text(pdu->fault.status, text, sizeof text);
        break;
    default:
        break;
    }
    uint8_t ptype = pdu->hdr.ptype;
    uint32_t call_id = pdu->hdr.call_id;
    if (kind != RS_TRACE_KIND_NONE)
        emit_pdu(kind, sc->out.data, sc->out.len, ptype, call_id, RS_TRACE_FLAG_OUT, iface, text);
    emit_pdu(RS_TRACE_PDU_BUILT, sc->out.data, sc->out.len, ptype, call_id, RS_TRACE_FLAG_OUT,
             iface, NULL);
}

/* A request's fragments, joined: the stub data, "3 fragments, 9000 bytes". */
static void trace_reassembled(const srv_conn *sc, const rs_pdu *req, size_t fragments)
{
    const srv_context *ctx = NULL;
    for (size_t i = 0; i < sc->context_count && ctx == NULL; i++)
        if (sc->contexts[i].p_cont_id == req->request.p_cont_id)
            ctx = &sc->contexts[i];
    char text[64];
    snprintf(text, sizeof text, "%zu fragment%s, %zu bytes", fragments, fragments == 1 ? "" : "s",
             req->stub_len);
    rs_trace_event ev = {
        .kind = RS_TRACE_PDU_REASSEMBLED,
        .role = RS_TRACE_ROLE_SERVER,
        .call_id = req->hdr.call_id,
        .opnum = req->request.opnum,
        .ptype = RS_PTYPE_REQUEST,
        .length = req->stub_len > UINT32_MAX ? UINT32_MAX : (uint32_t)req->stub_len,
        .interface = ctx != NULL ? ctx->iface->name : NULL,
        .procedure = ctx != NULL ? rs_interface_operation_name(ctx->iface, req->request.opnum)
                                 : NULL,
        .text = text,
        .flags = endian_flag(req->endian),
        .bytes = req->stub,
        .bytes_len = req->stub_len,
    };
    rs_trace_emit(&ev);
}

/* One field of stub data, from the NDR stream's observer: NDR_GET for an [in] parameter the stub
 * unmarshals, NDR_PUT for an [out] one it marshals. A decoded multi-byte value in the other byte
 * order than this machine's is where the stub converts it (receiver makes right): the event says
 * so. */
static void emit_field(const rs_ndr *ndr, const rs_ndr_field *f, const uint8_t *bytes, bool out)
{
    rs_trace_ndr_field(RS_TRACE_ROLE_SERVER, ndr->dir == RS_NDR_DECODE, ndr->endian, f->name, f->type, f->offset,
                       f->length, f->count, (uint8_t)f->role, bytes, out);
}

/* The observers of the request's decoding stream and the response's encoding stream. */
static void observe_request(const rs_ndr *ndr, const rs_ndr_field *f, const uint8_t *bytes,
                            void *ctx)
{
    (void)ctx;
    emit_field(ndr, f, bytes, false);
}

static void observe_response(const rs_ndr *ndr, const rs_ndr_field *f, const uint8_t *bytes,
                             void *ctx)
{
    (void)ctx;
    emit_field(ndr, f, bytes, true);
}

/* ---- sending --------------------------------------------------------------------------------- */

static int64_t io_deadline(const rs_server *s)
{
    return rs_clock_ns() + (int64_t)s->options.io_timeout_ms * RS_NS_PER_MS;
}

/* Sends the PDU in sc->out; held first when the scenario delays its type (inject.h). False when
 * the connection is unusable. */
static bool send_out(rs_server *s, srv_conn *sc, uint8_t ptype)
{
    rs_error err = {0};
    uint32_t hold_ms = 0;
    char note[256];
    const rs_inject_fault *f = rs_inject_match(&s->inject, RS_INJECT_DELAY, ptype,
                                               sc->call_procedure);
    if (f != NULL) {
        hold_ms = f->value;
        rs_inject_describe(f, sc->call_procedure,
                           "the server holds it before it goes on the wire, a slow network",
                           note, sizeof note);
    }
    rs_status st = rs_conn_send_held(sc->conn, sc->out.data, sc->out.len, hold_ms,
                                     f != NULL ? note : NULL, io_deadline(s), &err);
    if (st != RS_OK && rs_trace_enabled()) {
        char text[RS_ERROR_MAX + 64];
        snprintf(text, sizeof text, "server: sending the %s failed: %s", rs_pdu_type_name(ptype),
                 err.message);
        emit_text(st == RS_ERR_TIMEOUT ? RS_TRACE_TIMEOUT : RS_TRACE_ERROR, 0, text);
    }
    return st == RS_OK;
}

/* Encodes one whole PDU, little-endian, and sends it. False when the connection is unusable.
 * `iface` names the interface in the trace where the thread's call does not (a bind's answer). */
static bool send_pdu(rs_server *s, srv_conn *sc, const rs_pdu *pdu, const char *iface)
{
    rs_buf_reset(&sc->out);
    if (rs_pdu_encode(pdu, RS_LE, &sc->out) != RS_OK)
        return false;
    if (rs_trace_enabled())
        trace_answer(sc, pdu, iface);
    return send_out(s, sc, pdu->hdr.ptype);
}

/* A fault PDU (C706 12.6.4.7) answering call_id. */
static bool send_fault(rs_server *s, srv_conn *sc, uint32_t call_id, uint16_t p_cont_id,
                       uint32_t code, bool did_not_execute)
{
    rs_pdu f;
    rs_pdu_init(&f, RS_PTYPE_FAULT, call_id);
    if (did_not_execute)
        f.hdr.pfc_flags |= RS_PFC_DID_NOT_EXECUTE;
    f.fault.p_cont_id = p_cont_id;
    f.fault.status = code;
    return send_pdu(s, sc, &f, NULL);
}

/* A bind_nak (C706 12.6.4.5): the reason, the one protocol version we speak (5.0, as Windows
 * lists it), and 3 pad bytes so the PDU is 24 bytes long, as Windows and Samba send it. */
static void send_bind_nak(rs_server *s, srv_conn *sc, uint32_t call_id, uint16_t reason)
{
    static const uint8_t pad[3] = {0, 0, 0};
    rs_pdu n;
    rs_pdu_init(&n, RS_PTYPE_BIND_NAK, call_id);
    n.bind_nak.provider_reject_reason = reason;
    n.bind_nak.n_protocols = 1;
    n.bind_nak.protocols[0].major = RS_PDU_VERSION;
    n.bind_nak.protocols[0].minor = 0;
    n.bind_nak.extra = pad;
    n.bind_nak.extra_len = sizeof pad;
    (void)send_pdu(s, sc, &n, NULL);
}

/* ---- receiving ------------------------------------------------------------------------------- */

typedef enum { READ_OK, READ_GONE, READ_BAD } read_result;

/* Fragments up to C706's MUST_RECV_FRAG_SIZE are always accepted (a bind comes before any
 * negotiation), and up to max_frag when that is larger. */
static size_t recv_limit(const rs_server *s)
{
    return s->options.max_frag > RS_PDU_MUST_RECV_FRAG_SIZE ? s->options.max_frag
                                                             : RS_PDU_MUST_RECV_FRAG_SIZE;
}

/* Reads and decodes one PDU. READ_GONE: the peer closed, stalled or sent an impossible
 * frag_length; READ_BAD: it arrived but does not decode (*why says how; pdu->hdr is filled,
 * since the transport checked the 16-byte header already). */
static read_result read_pdu(rs_server *s, srv_conn *sc, rs_pdu *pdu, rs_status *why)
{
    rs_error err = {0};
    rs_status st = rs_conn_recv_pdu(sc->conn, recv_limit(s), io_deadline(s), &sc->in, &err);
    if (st != RS_OK) {
        /* A close between PDUs is how a client says goodbye: the CLOSE event tells it. */
        if (st != RS_ERR_CLOSED && rs_trace_enabled()) {
            char text[RS_ERROR_MAX + 64];
            if (st == RS_ERR_TIMEOUT)
                snprintf(text, sizeof text, "server: a PDU stalled for io_timeout_ms %d: %s",
                         s->options.io_timeout_ms, err.message);
            else
                snprintf(text, sizeof text, "server: %s", err.message);
            emit_text(st == RS_ERR_TIMEOUT ? RS_TRACE_TIMEOUT : RS_TRACE_ERROR, 0, text);
        }
        return READ_GONE;
    }
    rs_buf view;
    rs_buf_view(&view, sc->in.data, sc->in.len);
    *why = rs_pdu_decode(&view, pdu);
    if (*why != RS_OK && rs_trace_enabled()) {
        char text[RS_BUF_ERROR_MAX + 96];
        snprintf(text, sizeof text, "server: a PDU from %s does not decode: %s",
                 rs_conn_peer(sc->conn), rs_buf_error(&view));
        emit_text(RS_TRACE_ERROR, pdu->hdr.call_id, text);
    }
    return *why == RS_OK ? READ_OK : READ_BAD;
}

/* ---- bind and alter_context ------------------------------------------------------------------ */

static bool is_feature_negotiation(const rs_syntax_id *s, uint64_t *features)
{
    const rs_uuid *u = &s->uuid;
    if (u->time_low != BTFN_TIME_LOW || u->time_mid != BTFN_TIME_MID ||
        u->time_hi_and_version != BTFN_TIME_HI_AND_VERSION || s->major != 1 || s->minor != 0)
        return false;
    uint8_t bytes[8] = {u->clock_seq[0], u->clock_seq[1], u->node[0], u->node[1],
                        u->node[2],      u->node[3],      u->node[4], u->node[5]};
    *features = rs_load_u64(bytes, RS_LE);
    return true;
}

static const srv_context *find_context(const srv_conn *sc, uint16_t p_cont_id)
{
    for (size_t i = 0; i < sc->context_count; i++)
        if (sc->contexts[i].p_cont_id == p_cont_id)
            return &sc->contexts[i];
    return NULL;
}

/* The answer to one offered presentation context, recording it when accepted. */
static rs_pdu_result answer_context(rs_server *s, srv_conn *sc, const rs_pdu_context *ctx,
                                    bool *features_seen)
{
    rs_pdu_result r;
    memset(&r, 0, sizeof r); /* a rejection names no transfer syntax: all zero, as Windows */
    r.result = RS_CONT_PROVIDER_REJECTION;
    uint64_t features;
    if (ctx->n_transfer_syn > 0 && !*features_seen &&
        is_feature_negotiation(&ctx->transfer_syntaxes[0], &features)) {
        *features_seen = true;
        r.result = RS_CONT_NEGOTIATE_ACK;
        r.reason = (uint16_t)(features & BTFN_SUPPORTED);
        return r;
    }
    const rs_interface *iface = find_interface(s, &ctx->abstract_syntax);
    if (iface == NULL) {
        r.reason = RS_PROVIDER_ABSTRACT_SYNTAX_NOT_SUPPORTED;
        return r;
    }
    bool ndr = false;
    for (unsigned i = 0; i < ctx->n_transfer_syn; i++)
        ndr = ndr || rs_syntax_equal(&ctx->transfer_syntaxes[i], &rs_ndr_syntax);
    if (!ndr) {
        r.reason = RS_PROVIDER_PROPOSED_TRANSFER_SYNTAXES_NOT_SUPPORTED;
        return r;
    }
    const srv_context *bound = find_context(sc, ctx->p_cont_id);
    if (bound != NULL && bound->iface != iface) {
        r.reason = RS_PROVIDER_REASON_NOT_SPECIFIED; /* a context id is not rebound */
        return r;
    }
    if (bound == NULL) {
        if (sc->context_count == RS_SERVER_MAX_CONTEXTS) {
            r.reason = RS_PROVIDER_LOCAL_LIMIT_EXCEEDED;
            return r;
        }
        sc->contexts[sc->context_count].p_cont_id = ctx->p_cont_id;
        sc->contexts[sc->context_count].iface = iface;
        sc->context_count++;
    }
    r.result = RS_CONT_ACCEPTANCE;
    r.reason = 0;
    r.transfer_syntax = rs_ndr_syntax;
    return r;
}

static uint16_t negotiated_frag(uint16_t theirs, uint16_t ours)
{
    uint16_t v = theirs < ours ? theirs : ours;
    return v < RS_SERVER_MIN_FRAG ? RS_SERVER_MIN_FRAG : v;
}

/* bind (once per connection) and alter_context (after it). False: close the connection. */
static bool on_bind(rs_server *s, srv_conn *sc, const rs_pdu *pdu)
{
    bool is_bind = pdu->hdr.ptype == RS_PTYPE_BIND;
    uint32_t call_id = pdu->hdr.call_id;
    const rs_pdu_bind *b = &pdu->bind;
    const char *iface_name = NULL; /* for the trace */
    if (rs_trace_enabled())
        iface_name = trace_bind(s, sc, pdu);
    if (is_bind && sc->bound) {
        send_bind_nak(s, sc, call_id, RS_REJECT_REASON_NOT_SPECIFIED);
        return false;
    }
    if (!is_bind && (!sc->bound || b->n_context_elem == 0)) {
        (void)send_fault(s, sc, call_id, 0, RS_nca_s_proto_error, true);
        return false;
    }
    if (b->n_context_elem == 0) { /* what Windows answers, as Samba's tests record */
        send_bind_nak(s, sc, call_id, RS_REJECT_PROTOCOL_VERSION_NOT_SUPPORTED);
        return false;
    }
    if (is_bind) {
        sc->max_xmit_frag = negotiated_frag(b->max_recv_frag, s->options.max_frag);
        sc->max_recv_frag = negotiated_frag(b->max_xmit_frag, s->options.max_frag);
        if (b->assoc_group_id != 0) {
            sc->assoc_group_id = b->assoc_group_id;
        } else {
            pthread_mutex_lock(&s->lock);
            sc->assoc_group_id = s->next_assoc_group++;
            if (s->next_assoc_group == 0)
                s->next_assoc_group = 1;
            pthread_mutex_unlock(&s->lock);
        }
        sc->bound = true;
    }
    rs_pdu ack;
    rs_pdu_init(&ack, is_bind ? RS_PTYPE_BIND_ACK : RS_PTYPE_ALTER_CONTEXT_RESP, call_id);
    ack.bind_ack.max_xmit_frag = sc->max_xmit_frag;
    ack.bind_ack.max_recv_frag = sc->max_recv_frag;
    ack.bind_ack.assoc_group_id = sc->assoc_group_id;
    /* alter_context_resp carries no secondary address (length 0), as Windows sends it. */
    ack.bind_ack.sec_addr = is_bind ? s->listeners[sc->listener].sec_addr : NULL;
    ack.bind_ack.n_results = b->n_context_elem;
    bool features_seen = false;
    for (unsigned i = 0; i < b->n_context_elem; i++)
        ack.bind_ack.results[i] = answer_context(s, sc, &b->contexts[i], &features_seen);
    return send_pdu(s, sc, &ack, iface_name);
}

/* ---- requests -------------------------------------------------------------------------------- */

/* Runs the stub; rs_server_raise() comes back here. Nothing local lives across the setjmp. */
static rs_status run_stub(rs_server_stub stub, rs_server_call *call)
{
    if (setjmp(call->raised) != 0)
        return RS_ERR_FAULT;
    return stub(call);
}

/* The fault a finished call answers with, 0 for a response. */
static uint32_t fault_for(const rs_server_call *call, rs_status st, bool *did_not_execute)
{
    *did_not_execute = false;
    if (call->fault != 0)
        return call->fault; /* rs_server_raise(): the procedure ran */
    if (st == RS_OK)
        return 0;
    rs_status out = rs_ndr_status(&call->out);
    if (rs_ndr_status(&call->in) == RS_OK && out != RS_OK) {
        /* The procedure ran; its [out] values cannot be marshalled. */
        switch (out) {
        case RS_ERR_NULL_REF:
            return RS_rpc_x_null_ref_pointer;
        case RS_ERR_ENUM_RANGE:
            return RS_rpc_x_enum_value_out_of_range;
        case RS_ERR_LIMIT:
            return RS_nca_s_out_args_too_big;
        case RS_ERR_NOMEM:
            return RS_nca_s_fault_remote_no_memory;
        default:
            return RS_nca_s_fault_unspec;
        }
    }
    *did_not_execute = !call->executed;
    switch (st) {
    case RS_ERR_NDR:
    case RS_ERR_TRUNCATED:
    case RS_ERR_ENUM_RANGE:
    case RS_ERR_NULL_REF:
    case RS_ERR_LIMIT:
        return RS_nca_s_fault_ndr;
    case RS_ERR_NOMEM:
        return RS_nca_s_fault_remote_no_memory;
    case RS_ERR_CONTEXT_MISMATCH:
        return RS_nca_s_fault_context_mismatch;
    case RS_ERR_NULL_CONTEXT:
        return RS_rpc_x_ss_in_null_context;
    default:
        return RS_nca_s_fault_unspec;
    }
}

/* The response's stub data in fragments of the negotiated size: gathered, without a copy of the
 * stub (rs_conn_send_fragments()), unless the trace or an injected delay must see each one alone
 * (as the client's requests, client.c). */
static bool send_response(rs_server *s, srv_conn *sc, rs_server_call *call, uint16_t p_cont_id)
{
    rs_pdu tmpl;
    rs_pdu_init(&tmpl, RS_PTYPE_RESPONSE, call->call_id);
    tmpl.response.p_cont_id = p_cont_id;
    tmpl.stub = call->response.data;
    tmpl.stub_len = call->response.len;
    rs_pdu_fragmenter f;
    rs_pdu_fragmenter_init(&f, &tmpl, RS_LE, sc->max_xmit_frag);
    if (!rs_trace_enabled() && rs_inject_match(&s->inject, RS_INJECT_DELAY, RS_PTYPE_RESPONSE,
                                               sc->call_procedure) == NULL) {
        rs_error err = {0};
        size_t sends;
        return rs_conn_send_fragments(sc->conn, &f, &sc->out, call->out.refs, call->out.ref_count,
                                      io_deadline(s), &sends, &err) == RS_OK;
    }
    rs_ndr_fill_refs(&call->out); /* each fragment is built whole, from the buffer */
    while (!rs_pdu_fragmenter_done(&f)) {
        rs_buf_reset(&sc->out);
        if (rs_pdu_fragmenter_next(&f, &sc->out) != RS_OK)
            return false;
        if (rs_trace_enabled())
            emit_pdu(RS_TRACE_PDU_BUILT, sc->out.data, sc->out.len, RS_PTYPE_RESPONSE,
                     call->call_id, RS_TRACE_FLAG_OUT, NULL, NULL);
        if (!send_out(s, sc, RS_PTYPE_RESPONSE))
            return false;
    }
    return true;
}

/* DISPATCH: "calc 1.0 opnum 0 -> Add". */
static void trace_dispatch(const rs_interface *iface, uint16_t opnum)
{
    char text[160];
    snprintf(text, sizeof text, "%s %u.%u opnum %u -> %s", iface->name, iface->syntax.major,
             iface->syntax.minor, opnum, iface->operations[opnum].name);
    emit_text(RS_TRACE_DISPATCH, 0, text);
}

/* The stub failed on its own (not rs_server_raise()): the sentence NDR kept, before the fault. */
static void trace_stub_failure(const rs_server_call *call, rs_status st)
{
    const char *why = rs_ndr_status(&call->in) != RS_OK    ? rs_ndr_error(&call->in)
                      : rs_ndr_status(&call->out) != RS_OK ? rs_ndr_error(&call->out)
                                                           : rs_status_message(st);
    char text[RS_NDR_ERROR_MAX + 96];
    snprintf(text, sizeof text, "server: the stub of %s failed: %s",
             call->iface->operations[call->opnum].name, why);
    emit_text(RS_TRACE_ERROR, 0, text);
}

/* The scenario's faults that take the place of the procedure, after DISPATCH: kill-server (the
 * process dies here, so the window shows where) and raise (the fault answers the call as if the
 * procedure had raised it: PFC_DID_NOT_EXECUTE clear). True when one did; *keep then says
 * whether the connection stays. */
static bool inject_instead(rs_server *s, srv_conn *sc, const rs_pdu *req, const char *procedure,
                           bool *keep)
{
    const rs_inject_fault *f = rs_inject_find(&s->inject, RS_INJECT_KILL_SERVER, 0, procedure);
    if (f != NULL) {
        char what[160];
        snprintf(what, sizeof what,
                 "the server process is killed (SIGKILL) as %s would be entered; no answer "
                 "will come",
                 procedure);
        rs_inject_report(RS_TRACE_ROLE_SERVER, f, procedure, what);
        (void)raise(SIGKILL); /* cannot be caught: the process ends here */
        _exit(128 + SIGKILL);
    }
    f = rs_inject_find(&s->inject, RS_INJECT_RAISE, 0, procedure);
    if (f != NULL) {
        char what[192];
        snprintf(what, sizeof what,
                 "%s does not run; the server answers the fault as if it had raised it",
                 procedure);
        rs_inject_report(RS_TRACE_ROLE_SERVER, f, procedure, what);
        *keep = send_fault(s, sc, req->hdr.call_id, req->request.p_cont_id, f->value, false);
        return true;
    }
    return false;
}

/* Runs the stub of a request whose interface and operation exist, and answers it. */
static bool run_call(rs_server *s, srv_conn *sc, const rs_pdu *req, const rs_interface *iface)
{
    uint32_t call_id = req->hdr.call_id;
    uint16_t p_cont_id = req->request.p_cont_id;
    uint16_t opnum = req->request.opnum;
    const char *procedure = iface->operations[opnum].name;
    if (rs_trace_enabled())
        trace_dispatch(iface, opnum);
    bool keep;
    if (rs_inject_active(&s->inject) && inject_instead(s, sc, req, procedure, &keep))
        return keep;

    /* The object UUID, if the request has one, is accepted and not looked at: this runtime has
     * one implementation per interface. */
    rs_server_call call; /* field by field: its streams and buffers are kilobytes, mostly text */
    call.server = s;
    call.conn = sc;
    call.iface = iface;
    call.opnum = opnum;
    call.call_id = call_id;
    rs_buf_view(&call.request, req->stub, req->stub_len);
    rs_ndr_init_decode(&call.in, &call.request, req->endian);
    rs_ndr_set_in_place(&call.in); /* [in] arrays may stay in the request: it outlives the call */
    call.response = sc->response; /* the connection's memory, given back below */
    rs_buf_reset(&call.response);
    call.response.limit = RESPONSE_STUB_MAX;
    rs_ndr_init_encode(&call.out, &call.response, RS_LE);
    call.fault = 0;
    call.executed = false;
    if (rs_trace_enabled()) {
        rs_ndr_set_observer(&call.in, observe_request, NULL);
        rs_ndr_set_observer(&call.out, observe_response, NULL);
    }

    current_call = &call;
    rs_status st = run_stub(iface->operations[opnum].stub, &call);
    current_call = NULL;
    if (st != RS_OK && call.fault == 0 && rs_trace_enabled())
        trace_stub_failure(&call, st);

    bool did_not_execute;
    uint32_t code = fault_for(&call, st, &did_not_execute);
    const rs_inject_fault *f = rs_inject_match(&s->inject, RS_INJECT_CLOSE_AFTER_EXECUTE, 0,
                                               procedure);
    bool ok;
    if (f != NULL) {
        char what[192];
        snprintf(what, sizeof what,
                 "%s ran; the server closes the connection instead of sending the %s", procedure,
                 code != 0 ? "fault" : "response");
        rs_inject_report(RS_TRACE_ROLE_SERVER, f, procedure, what);
        ok = false;
    } else {
        ok = code != 0 ? send_fault(s, sc, call_id, p_cont_id, code, did_not_execute)
                       : send_response(s, sc, &call, p_cont_id);
    }
    rs_ndr_free(&call.in); /* the [in] parameters, all at once */
    rs_ndr_free(&call.out);
    sc->response = call.response;
    return ok;
}

/* One whole request: find its interface and operation, run the stub, answer. The call is the
 * thread's for the trace from here to its answer. */
static bool dispatch(rs_server *s, srv_conn *sc, const rs_pdu *req)
{
    uint32_t call_id = req->hdr.call_id;
    uint16_t p_cont_id = req->request.p_cont_id;
    uint16_t opnum = req->request.opnum;
    const srv_context *ctx = find_context(sc, p_cont_id);
    const rs_interface *iface = ctx != NULL ? ctx->iface : NULL;
    const char *procedure = iface != NULL ? rs_interface_operation_name(iface, opnum) : NULL;
    rs_trace_set_call(RS_TRACE_ROLE_SERVER, iface != NULL ? iface->name : NULL, procedure, call_id,
                      opnum);
    const rs_inject_fault *f = rs_inject_match(&s->inject, RS_INJECT_CLOSE_BEFORE_EXECUTE, 0,
                                               procedure);
    if (f != NULL) {
        rs_inject_report(RS_TRACE_ROLE_SERVER, f, procedure,
                         "the whole request has arrived; the server closes the connection "
                         "without running the procedure or answering");
        rs_trace_clear_call();
        return false;
    }
    sc->call_procedure = procedure; /* a delayed answer's `on` */
    sc->calls++;
    bool ok;
    if (iface == NULL)
        ok = send_fault(s, sc, call_id, p_cont_id, RS_nca_s_unk_if, true);
    else if (opnum >= iface->operation_count || iface->operations[opnum].stub == NULL)
        ok = send_fault(s, sc, call_id, p_cont_id, RS_nca_s_op_rng_error, true);
    else
        ok = run_call(s, sc, req, iface);
    sc->call_procedure = NULL;
    rs_trace_clear_call();
    return ok;
}

/* Forgets the reassembled call, keeping its memory for the next one (trim_idle() frees it when
 * the connection goes idle). */
static void finish_request(rs_server *s, srv_conn *sc)
{
    (void)s;
    rs_pdu_reassembler_reset(&sc->reasm);
}

/* A request's first fragment arrived: read the rest, then dispatch. Beyond max_stub the rest is
 * read and dropped, and the call answered with a fault, so the connection stays in step. */
static bool on_request(rs_server *s, srv_conn *sc, const rs_pdu *first)
{
    uint32_t call_id = first->hdr.call_id;
    uint16_t p_cont_id = first->request.p_cont_id;
    if (!sc->bound) { /* C706: a request needs an association; a protocol error ends it */
        (void)send_fault(s, sc, call_id, p_cont_id, RS_nca_s_proto_error, true);
        return false;
    }
    /* The fragments are joined where the transport read them, without a copy, while the next one
     * is read ahead whole; a read from the socket could move them, so before one they are copied
     * out (rs_conn_reassemble(), rs_conn_before_read()). A call in one fragment is never copied:
     * nothing reads this connection until the call is answered, and its [in] arrays may stay in
     * the request (run_call()). */
    rs_pdu_reassembler *r = &sc->reasm;
    bool complete = false;
    bool last = first->hdr.pfc_flags & RS_PFC_LAST_FRAG;
    rs_status st = rs_conn_reassemble(sc->conn, r, first, &complete);
    rs_pdu pdu;
    rs_status why;
    while (!last && (st == RS_OK || st == RS_ERR_LIMIT)) {
        rs_status settled = rs_conn_before_read(sc->conn, r);
        st = st == RS_OK ? settled : st;
        read_result rr = read_pdu(s, sc, &pdu, &why);
        if (rr == READ_GONE) {
            finish_request(s, sc);
            return false;
        }
        if (rr == READ_BAD) {
            st = RS_ERR_PROTOCOL;
            break;
        }
        uint8_t ptype = pdu.hdr.ptype;
        if (ptype == RS_PTYPE_CO_CANCEL)
            continue; /* ignored: the call will run to its end anyway */
        if (ptype == RS_PTYPE_ORPHANED && pdu.hdr.call_id == call_id) {
            finish_request(s, sc); /* the client abandoned the call: no answer is due */
            return true;
        }
        if (ptype != RS_PTYPE_REQUEST || pdu.hdr.call_id != call_id) {
            st = RS_ERR_PROTOCOL;
            break;
        }
        last = pdu.hdr.pfc_flags & RS_PFC_LAST_FRAG;
        if (st == RS_OK)
            st = rs_conn_reassemble(sc->conn, r, &pdu, &complete);
    }
    bool keep;
    if (st == RS_ERR_LIMIT) {
        keep = send_fault(s, sc, call_id, p_cont_id, RS_nca_s_fault_remote_no_memory, true);
    } else if (st != RS_OK || !complete) {
        (void)send_fault(s, sc, call_id, p_cont_id, RS_nca_s_proto_error, true);
        keep = false;
    } else {
        if (rs_trace_enabled())
            trace_reassembled(sc, rs_pdu_reassembler_result(r), r->fragments);
        keep = dispatch(s, sc, rs_pdu_reassembler_result(r));
    }
    finish_request(s, sc);
    return keep;
}

/* A PDU that arrived whole but does not decode. A bind gets a bind_nak with the closest reason
 * (C706 12.6.4.5), a request or alter_context a fault naming the protocol error; then the
 * connection closes, whatever came. */
static bool on_malformed(rs_server *s, srv_conn *sc, const rs_pdu *pdu, rs_status why)
{
    uint32_t call_id = pdu->hdr.call_id;
    switch (pdu->hdr.ptype) {
    case RS_PTYPE_BIND:
        send_bind_nak(s, sc, call_id,
                      sc->bound              ? RS_REJECT_REASON_NOT_SPECIFIED
                      : why == RS_ERR_VERSION ? RS_REJECT_PROTOCOL_VERSION_NOT_SUPPORTED
                      : why == RS_ERR_LIMIT   ? RS_REJECT_LOCAL_LIMIT_EXCEEDED
                                              : RS_REJECT_REASON_NOT_SPECIFIED);
        break;
    case RS_PTYPE_REQUEST:
    case RS_PTYPE_ALTER_CONTEXT:
        (void)send_fault(s, sc, call_id, 0, RS_nca_s_proto_error, true);
        break;
    default:
        break;
    }
    return false;
}

/* Reads what arrived on a connection and answers it: one bind, alter_context or whole request.
 * False: the connection is to be closed. */
static bool serve_once(rs_server *s, srv_conn *sc)
{
    rs_pdu pdu;
    rs_status why = RS_OK;
    read_result rr = read_pdu(s, sc, &pdu, &why);
    if (rr == READ_GONE)
        return false;
    if (rr == READ_BAD)
        return on_malformed(s, sc, &pdu, why);
    switch (pdu.hdr.ptype) {
    case RS_PTYPE_BIND:
    case RS_PTYPE_ALTER_CONTEXT:
        return on_bind(s, sc, &pdu);
    case RS_PTYPE_REQUEST:
        return on_request(s, sc, &pdu);
    case RS_PTYPE_CO_CANCEL:
    case RS_PTYPE_ORPHANED:
        return true; /* no call is in progress between PDUs: nothing to cancel */
    case RS_PTYPE_AUTH3:
        /* No authentication was negotiated (this runtime offers none): a protocol error. */
        (void)send_fault(s, sc, pdu.hdr.call_id, 0, RS_nca_s_proto_error, true);
        return false;
    default:
        return false; /* shutdown and the server-to-client PTYPEs have no business here */
    }
}

/* ---- workers --------------------------------------------------------------------------------- */

/* A worker's bell: a pipe the watchdog rings (watchdog.h) when the worker's linger is over, so
 * that the linger waits in poll() without a timeout, which would arm a kernel timer on every
 * call. fd -1 when the pipe could not be made: then poll() times out as before. */
typedef struct {
    int fd[2];
} bell;

static void bell_open(bell *b)
{
    if (pipe(b->fd) != 0) {
        b->fd[0] = b->fd[1] = -1;
        return;
    }
    if (set_pipe_flags(b->fd[0]) != RS_OK || set_pipe_flags(b->fd[1]) != RS_OK) {
        close(b->fd[0]);
        close(b->fd[1]);
        b->fd[0] = b->fd[1] = -1;
    }
}

static void bell_close(bell *b)
{
    if (b->fd[0] >= 0) {
        close(b->fd[0]);
        close(b->fd[1]);
    }
}

static void drain(int fd)
{
    char buf[64];
    while (read(fd, buf, sizeof buf) > 0)
        ;
}

/* While there are at least twice as many workers as connections, every connection can have a
 * worker of its own with as many again to spare, and this worker waits for its connection's
 * next PDU as a thread-per-connection server would: in one recv() with no timeout, which arms
 * no kernel timer (measured: an Add over Unix sockets 10.0 -> 9.8 us, TCP 14.9 -> 14.6). What
 * ends the wait: the next PDU, or the client's close; the idle timeout, at which the watchdog
 * shuts the socket (the loop would close the connection then anyway); rs_server_stop(), whose
 * cut_reads() shuts its read side. Connections that come meanwhile are served by the workers
 * to spare; a worker waiting alone holds its connection until it speaks or idles out. Not
 * while a step gate may stop the clocks (no watch then), nor without a watchdog: false, and
 * the connection goes back to the loop. */
static bool wait_alone_allowed(rs_server *s)
{
    return !rs_trace_may_pause() && atomic_load(&s->open_conns) * 2 <= s->options.workers;
}

static bool wait_alone(rs_server *s, srv_conn *sc)
{
    if (rs_conn_awaits(sc->conn) && rs_conn_clear_await(sc->conn, NULL) != RS_OK)
        return false;
    rs_watch w;
    bool watched = false;
    if (s->options.idle_timeout_ms >= 0) {
        watched = rs_watch_begin(&w, RS_WATCH_SHUTDOWN, rs_conn_fd(sc->conn),
                                 rs_watch_now() +
                                     (int64_t)s->options.idle_timeout_ms * RS_NS_PER_MS);
        if (!watched)
            return false;
    }
    bool ready = !atomic_load(&s->stop_requested) && rs_conn_wait(sc->conn);
    if (watched && rs_watch_end(&w)) {
        sc->idled = true; /* the loop closes it and says why (close_idle_conn()) */
        return false;
    }
    return ready && !atomic_load(&s->stop_requested);
}

/* Waits up to LINGER_MS for the next PDU on the connection this worker just answered. True: it
 * has arrived, and this worker serves it. False: give the connection back to the event loop --
 * the client was quiet, the server stops, or other connections wait for a worker. Fairness: an
 * enqueue that finds more connections waiting than idle workers asks one lingering worker per
 * connection to yield (yields_wanted) and wakes them with a nudge; the first to claim the
 * request gives its connection back, the others linger on. Lock-free on the way (atomics in
 * Dekker's order with enqueue(): lingering is raised before the queue is read, the queue raised
 * before lingering is read, so one of the two always sees the other). The end of the linger is
 * the worker's bell, rung by the watchdog; without one, poll() times out. */
static bool linger(rs_server *s, srv_conn *sc, bell *b)
{
    if (atomic_load(&s->queue_len) > atomic_load(&s->idle_workers))
        return false; /* others wait already: give way, even with a request at hand */
    if (wait_alone_allowed(s))
        return wait_alone(s, sc);
    /* A worker is idle: whatever else comes meanwhile has one, so nobody will need this one to
     * give way, and it can wait where a plain socket server would, inside recv() (the socket
     * times out after LINGER_MS: one kernel timer, but no poll(), which measured dearer). If the
     * idle worker is taken meanwhile, a connection that comes next waits LINGER_MS at most. */
    if (atomic_load(&s->idle_workers) > 0 &&
        (rs_conn_awaits(sc->conn) || rs_conn_set_await(sc->conn, LINGER_MS, NULL) == RS_OK))
        return rs_conn_await(sc->conn) && !atomic_load(&s->stop_requested);
    atomic_fetch_add(&s->lingering, 1);
    bool ready = false;
    int64_t until = rs_clock_ns() + LINGER_MS * RS_NS_PER_MS;
    rs_watch w;
    bool rung_at_end = b->fd[1] >= 0 && !rs_trace_may_pause() &&
                       rs_watch_begin(&w, RS_WATCH_RING, b->fd[1],
                                      rs_watch_now() + LINGER_MS * RS_NS_PER_MS);
    /* Others wait already: no linger at all. */
    bool others_wait = atomic_load(&s->queue_len) > atomic_load(&s->idle_workers);
    while (!others_wait) {
        int64_t left = until - rs_clock_ns();
        if (!rung_at_end && left <= 0)
            break;
        struct pollfd p[3] = {{.fd = rs_conn_fd(sc->conn), .events = POLLIN},
                              {.fd = s->nudge[0], .events = POLLIN},
                              {.fd = b->fd[0], .events = POLLIN}};
        int n = rung_at_end ? poll(p, 3, -1)
                            : poll(p, 2, (int)((left + RS_NS_PER_MS - 1) / RS_NS_PER_MS));
        if (n > 0 && p[0].revents != 0) {
            ready = true;
            break;
        }
        if (n > 0 && rung_at_end && p[2].revents != 0)
            break; /* the bell: LINGER_MS are over */
        if (n > 0 && p[1].revents != 0) {
            drain(s->nudge[0]);
            unsigned want = atomic_load(&s->yields_wanted);
            while (want > 0 && !atomic_compare_exchange_weak(&s->yields_wanted, &want, want - 1))
                ;
            if (want > 0) {
                if (want > 1) { /* more are wanted: pass the nudge this worker drained on */
                    char byte = 1;
                    ssize_t written = write(s->nudge[1], &byte, 1);
                    (void)written;
                }
                break; /* this worker's turn to give its connection back */
            }
        }
    }
    if (rung_at_end && rs_watch_end(&w))
        drain(b->fd[0]); /* rung, maybe after the wait ended: silent for the next linger */
    atomic_fetch_sub(&s->lingering, 1);
    return ready && !atomic_load(&s->stop_requested);
}

/* Frees what a connection going back to the event loop keeps beyond IDLE_KEEP_BYTES. */
static void trim_idle(rs_server *s, srv_conn *sc)
{
    rs_conn_trim(sc->conn); /* the read-ahead buffer, 64 KiB, when it holds nothing */
    if (sc->reasm.stub.cap > IDLE_KEEP_BYTES) {
        rs_pdu_reassembler_free(&sc->reasm);
        rs_pdu_reassembler_init(&sc->reasm, s->options.max_stub);
    }
    if (sc->response.cap > IDLE_KEEP_BYTES)
        rs_buf_free(&sc->response);
}

static void *worker_main(void *arg)
{
    rs_server *s = arg;
    bell b;
    bell_open(&b);
    for (;;) {
        pthread_mutex_lock(&s->lock);
        atomic_fetch_add(&s->idle_workers, 1);
        while (s->queue_head == NULL && !s->stopping)
            pthread_cond_wait(&s->work, &s->lock);
        atomic_fetch_sub(&s->idle_workers, 1);
        srv_conn *sc = s->queue_head;
        if (sc == NULL) { /* stopping, and the queue is drained */
            pthread_mutex_unlock(&s->lock);
            bell_close(&b);
            return NULL;
        }
        s->queue_head = sc->queue_next;
        if (s->queue_head == NULL) {
            s->queue_tail = NULL;
            atomic_store(&s->yields_wanted, 0); /* nobody waits: a late nudge asks nothing */
        }
        atomic_fetch_sub(&s->queue_len, 1);
        pthread_mutex_unlock(&s->lock);

        bool keep = serve_once(s, sc);
        while (keep && linger(s, sc, &b))
            keep = serve_once(s, sc);
        if (sc->idled)
            keep = false; /* its socket is shut down: closed, and the loop says why */
        trim_idle(s, sc);

        pthread_mutex_lock(&s->lock);
        if (!keep) {
            rs_conn_close(sc->conn); /* now, so the client sees the close at once */
            sc->conn = NULL;
            sc->dead = true;
        }
        sc->queue_next = s->handed_back;
        s->handed_back = sc;
        pthread_mutex_unlock(&s->lock);
        wake_loop(s);
    }
}

/* Queues a readable connection for the workers. When more wait than workers are free, and some
 * linger on connections of their own, one of those is asked to give its connection back. */
static void enqueue(rs_server *s, srv_conn *sc)
{
    sc->busy = true;
    sc->queue_next = NULL;
    pthread_mutex_lock(&s->lock);
    if (s->queue_tail != NULL)
        s->queue_tail->queue_next = sc;
    else
        s->queue_head = sc;
    s->queue_tail = sc;
    bool nudge = atomic_fetch_add(&s->queue_len, 1) + 1 > atomic_load(&s->idle_workers) &&
                 atomic_load(&s->lingering) > 0;
    if (nudge)
        atomic_fetch_add(&s->yields_wanted, 1);
    pthread_cond_signal(&s->work);
    pthread_mutex_unlock(&s->lock);
    if (nudge) {
        char byte = 1;
        ssize_t n = write(s->nudge[1], &byte, 1); /* a full pipe holds a nudge already */
        (void)n;
    }
}

static rs_status start_workers(rs_server *s, rs_error *err)
{
    s->threads = calloc(s->options.workers, sizeof *s->threads);
    if (s->threads == NULL)
        return rs_error_set(err, RS_ERR_NOMEM, "server: out of memory");
    for (unsigned i = 0; i < s->options.workers; i++) {
        int rc = pthread_create(&s->threads[i], NULL, worker_main, s);
        if (rc != 0)
            return rs_error_set(err, RS_ERR_IO, "server: cannot start worker %u: %s", i + 1,
                                strerror(rc));
        s->thread_count++;
    }
    return RS_OK;
}

/* At stop, a worker waiting for the rest of a PDU would wait up to io_timeout_ms. Shutting the
 * read side of every busy connection ends such waits at once (the bytes already received can
 * still be read); a call whose request has arrived is not affected, and its response is still
 * written. Under the lock, so that no worker closes the descriptor meanwhile. */
static void cut_reads(rs_server *s)
{
    pthread_mutex_lock(&s->lock);
    for (srv_conn *sc = s->conns; sc != NULL; sc = sc->next)
        if (sc->busy && sc->conn != NULL)
            (void)shutdown(rs_conn_fd(sc->conn), SHUT_RD);
    pthread_mutex_unlock(&s->lock);
}

static void join_workers(rs_server *s)
{
    pthread_mutex_lock(&s->lock);
    s->stopping = true;
    pthread_cond_broadcast(&s->work);
    pthread_mutex_unlock(&s->lock);
    for (unsigned i = 0; i < s->thread_count; i++)
        pthread_join(s->threads[i], NULL);
    free(s->threads);
    s->threads = NULL;
    s->thread_count = 0;
}

/* ---- the event loop -------------------------------------------------------------------------- */

/* One line to the program's log callback, if it passed one (server.h). */
__attribute__((format(printf, 2, 3))) static void log_line(const rs_server *s, const char *fmt,
                                                           ...)
{
    if (s->options.log == NULL)
        return;
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    s->options.log(s->options.log_ctx, line);
}

/* Closes and frees a connection, runs down the context handles it still owns, and logs it.
 * `why` is the server's reason ("idle for 120000 ms"), NULL when the client or an error ended
 * it. */
static void close_conn(rs_server *s, srv_conn *sc, const char *why)
{
    if (sc->prev != NULL)
        sc->prev->next = sc->next;
    else
        s->conns = sc->next;
    if (sc->next != NULL)
        sc->next->prev = sc->prev;
    s->conn_count--;
    atomic_store(&s->open_conns, s->conn_count);
    rs_conn_close(sc->conn); /* first: the client sees the close before any rundown runs */
    size_t run_down = run_down_handles(s, sc);
    if (s->options.log != NULL) {
        char handles[64] = "";
        if (run_down > 0)
            snprintf(handles, sizeof handles, ", %zu context handle%s run down", run_down,
                     run_down == 1 ? "" : "s");
        log_line(s, "closed %s (%lu call%s%s%s%s)", sc->peer, sc->calls, sc->calls == 1 ? "" : "s",
                 handles, why != NULL ? ", " : "", why != NULL ? why : "");
    }
    rs_buf_free(&sc->in);
    rs_buf_free(&sc->out);
    rs_buf_free(&sc->response);
    rs_pdu_reassembler_free(&sc->reasm);
    free(sc);
}

/* Closes a connection that was silent for idle_timeout_ms: found so by the loop, or by its
 * worker's watch while it waited alone (wait_alone()). */
static void close_idle_conn(rs_server *s, srv_conn *sc)
{
    if (rs_trace_enabled()) {
        char text[RS_BINDING_STRLEN + 96];
        snprintf(text, sizeof text, "server: %s was idle for idle_timeout_ms %d; closing it",
                 sc->peer, s->options.idle_timeout_ms);
        emit_text(RS_TRACE_TIMEOUT, 0, text);
    }
    char why[64];
    snprintf(why, sizeof why, "idle for %d ms", s->options.idle_timeout_ms);
    close_conn(s, sc, why);
}

/* Takes back the connections the workers are done with. */
static void take_back(rs_server *s, int64_t now)
{
    pthread_mutex_lock(&s->lock);
    srv_conn *list = s->handed_back;
    s->handed_back = NULL;
    pthread_mutex_unlock(&s->lock);
    while (list != NULL) {
        srv_conn *sc = list;
        list = sc->queue_next;
        sc->busy = false;
        if (sc->dead && sc->idled)
            close_idle_conn(s, sc);
        else if (sc->dead)
            close_conn(s, sc, NULL);
        else
            sc->last_active = now;
    }
}

/* Accepts what waits on listener i. Beyond max_connections a connection is accepted and closed
 * at once: a clean refusal the client sees now, rather than a wait in the listen backlog. */
static void accept_some(rs_server *s, size_t i, int64_t now)
{
    srv_listener *l = &s->listeners[i];
    for (int k = 0; k < ACCEPT_BATCH; k++) {
        rs_conn *conn;
        rs_error e = {0};
        rs_status st = rs_listener_accept(l->listener, 0 /* already past: never wait */, &conn, &e);
        if (st == RS_ERR_TIMEOUT)
            return;
        if (st != RS_OK) {
            l->paused_until = now + ACCEPT_PAUSE_MS * RS_NS_PER_MS;
            return;
        }
        if (s->conn_count >= s->options.max_connections) {
            log_line(s, "refused %s: already %zu connection%s (max_connections)",
                     rs_conn_peer(conn), s->conn_count, s->conn_count == 1 ? "" : "s");
            if (rs_trace_enabled()) {
                char text[160];
                snprintf(text, sizeof text,
                         "server: already %zu connections (max_connections); closing %s",
                         s->conn_count, rs_conn_peer(conn));
                emit_text(RS_TRACE_ERROR, 0, text);
            }
            rs_conn_close(conn);
            continue;
        }
        srv_conn *sc = calloc(1, sizeof *sc);
        if (sc == NULL) {
            rs_conn_close(conn);
            continue;
        }
        sc->conn = conn;
        snprintf(sc->peer, sizeof sc->peer, "%s", rs_conn_peer(conn));
        log_line(s, "accepted %s", sc->peer);
        sc->listener = i;
        sc->last_active = now;
        sc->max_xmit_frag = sc->max_recv_frag = RS_PDU_MUST_RECV_FRAG_SIZE;
        rs_buf_view(&sc->in, NULL, 0);
        rs_buf_init(&sc->out, RS_PDU_MAX_FRAG_LENGTH); /* one PDU, or gathered ones' headers */
        rs_pdu_reassembler_init(&sc->reasm, s->options.max_stub);
        sc->next = s->conns;
        if (s->conns != NULL)
            s->conns->prev = sc;
        s->conns = sc;
        s->conn_count++;
        atomic_store(&s->open_conns, s->conn_count);
    }
}

static void close_idle(rs_server *s, int64_t now)
{
    if (s->options.idle_timeout_ms < 0)
        return;
    int64_t idle = (int64_t)s->options.idle_timeout_ms * RS_NS_PER_MS;
    srv_conn *next;
    for (srv_conn *sc = s->conns; sc != NULL; sc = next) {
        next = sc->next;
        if (!sc->busy && now - sc->last_active >= idle)
            close_idle_conn(s, sc);
    }
}

static int poll_timeout_ms(int64_t wake_at, int64_t now)
{
    if (wake_at == RS_DEADLINE_NONE)
        return -1;
    if (wake_at <= now)
        return 0;
    int64_t ms = (wake_at - now + RS_NS_PER_MS - 1) / RS_NS_PER_MS;
    return ms > INT_MAX ? INT_MAX : (int)ms;
}

/* Polls the self-pipe, the listeners and every idle connection until rs_server_stop().
 * Each turn is O(connections): poll() takes the whole set. */
static rs_status event_loop(rs_server *s, struct pollfd *pfds, srv_conn **slot,
                            size_t *slot_listener, rs_error *err)
{
    int64_t idle_ns = (int64_t)s->options.idle_timeout_ms * RS_NS_PER_MS;
    for (;;) {
        if (atomic_load(&s->stop_requested))
            return RS_OK;
        int64_t now = rs_clock_ns();
        int64_t wake_at = RS_DEADLINE_NONE;
        nfds_t n = 0;
        pfds[n] = (struct pollfd){.fd = s->wake[0], .events = POLLIN};
        slot[n++] = NULL;
        for (size_t i = 0; i < s->listener_count; i++) {
            srv_listener *l = &s->listeners[i];
            if (l->paused_until > now) {
                wake_at = l->paused_until < wake_at ? l->paused_until : wake_at;
                continue;
            }
            pfds[n] = (struct pollfd){.fd = rs_listener_fd(l->listener), .events = POLLIN};
            slot_listener[n] = i;
            slot[n++] = NULL;
        }
        for (srv_conn *sc = s->conns; sc != NULL; sc = sc->next) {
            if (sc->busy)
                continue;
            if (rs_conn_buffered(sc->conn) > 0) { /* a PDU already read ahead: poll cannot see it */
                enqueue(s, sc);
                continue;
            }
            pfds[n] = (struct pollfd){.fd = rs_conn_fd(sc->conn), .events = POLLIN};
            slot[n++] = sc;
            if (s->options.idle_timeout_ms >= 0 && sc->last_active + idle_ns < wake_at)
                wake_at = sc->last_active + idle_ns;
        }
        int ready = poll(pfds, n, poll_timeout_ms(wake_at, now));
        if (ready < 0 && errno != EINTR)
            return rs_error_set(err, RS_ERR_IO, "server: poll: %s", strerror(errno));
        if (atomic_load(&s->stop_requested))
            return RS_OK;
        now = rs_clock_ns();
        if (ready > 0 && pfds[0].revents != 0)
            drain_wake(s);
        take_back(s, now);
        for (nfds_t k = 1; ready > 0 && k < n; k++) {
            if (pfds[k].revents == 0)
                continue;
            if (slot[k] != NULL)
                enqueue(s, slot[k]);
            else
                accept_some(s, slot_listener[k], now);
        }
        close_idle(s, now);
    }
}

rs_status rs_server_run(rs_server *s, rs_error *err)
{
    if (s->ran)
        return rs_error_set(err, RS_ERR_INVALID_ARG, "server: a server runs once");
    if (s->listener_count == 0)
        return rs_error_set(err, RS_ERR_INVALID_ARG,
                            "server: it listens on nothing; call rs_server_listen() first");
    s->ran = true;
    /* Every descriptor the loop can poll at once: the self-pipe, the listeners, and
     * max_connections connections (accept_some() never lets more in). */
    size_t cap = 1 + s->listener_count + s->options.max_connections;
    struct pollfd *pfds = calloc(cap, sizeof *pfds);
    srv_conn **slot = calloc(cap, sizeof *slot);
    size_t *slot_listener = calloc(cap, sizeof *slot_listener);
    rs_status st;
    if (pfds == NULL || slot == NULL || slot_listener == NULL)
        st = rs_error_set(err, RS_ERR_NOMEM, "server: out of memory");
    else
        st = start_workers(s, err);
    if (st == RS_OK)
        st = event_loop(s, pfds, slot, slot_listener, err);

    /* Stop accepting, let the workers answer what they have, then close everything. */
    close_listeners(s);
    cut_reads(s);
    join_workers(s);
    take_back(s, rs_clock_ns());
    while (s->conns != NULL)
        close_conn(s, s->conns, "the server stops");
    drain_wake(s);
    free(pfds);
    free(slot);
    free(slot_listener);
    return st;
}

/* ---- raising a fault from a procedure -------------------------------------------------------- */

bool rs_server_in_call(void)
{
    return current_call != NULL;
}

void rs_server_raise(uint32_t code)
{
    rs_server_call *call = current_call;
    if (call == NULL) {
        static const char msg[] =
            "rpcscope: rs_server_raise() was called outside a procedure that a server stub "
            "called; aborting\n";
        ssize_t n = write(STDERR_FILENO, msg, sizeof msg - 1);
        (void)n;
        abort();
    }
    call->fault = code != 0 ? code : RS_nca_s_fault_unspec;
    longjmp(call->raised, 1);
}
