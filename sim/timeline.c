/* timeline.c -- events of several processes merged into one causal order. See timeline.h.
 *
 * Each event is one heap block: a node (the placed sim_event and the links it needs while it
 * waits) followed by its strings and bytes. A process keeps the events that wait in a FIFO; the
 * placed ones are in `events`. Placed PDU_SENT events that no receive has claimed yet sit in hash
 * buckets keyed by their bytes, oldest first, where a receive looks for its send.
 */
#include "timeline.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SEND_BUCKETS 256

struct node {
    struct node *next;      /* its process's waiting FIFO */
    struct node *next_send; /* an unpaired-send bucket, oldest first */
    uint64_t arrived_ns;
    uint64_t arrival;       /* global arrival number: flushes place in this order */
    uint32_t hash;          /* of the bytes, for PDU_SENT and PDU_RECEIVED */
    size_t size;            /* what it counts against max_bytes */
    sim_event e;
    /* then the six strings, NUL-terminated, and the bytes */
};

struct proc {
    sim_process pub;
    char anon[SIM_PROCESS_NAME_MAX]; /* "process#N": its name before the role is known */
    struct node *head, *tail;        /* events waiting to be placed */
    bool arrived;                    /* pub.last_seq is meaningful */
};

struct sim_timeline {
    sim_timeline_options opt;
    struct node **events;
    size_t count, cap;
    struct proc *procs;
    size_t proc_count, proc_cap;
    size_t waiting;
    size_t bytes;
    uint64_t arrivals;
    unsigned orders;                 /* processes placed so far */
    unsigned role_counts[3];         /* processes per role so far, for "client#2" */
    struct node *send_head[SEND_BUCKETS], *send_tail[SEND_BUCKETS];
};

/* ---- names ----------------------------------------------------------------------------------- */

static const char *const verbs[RS_TRACE_KIND_COUNT] = {
    [RS_TRACE_CALL_BEGIN] = "call",
    [RS_TRACE_CALL_END] = "return",
    [RS_TRACE_PARAM_READ] = "read",
    [RS_TRACE_PARAM_WRITTEN] = "write",
    [RS_TRACE_NDR_PUT] = "marshal",
    [RS_TRACE_NDR_GET] = "unmarshal",
    [RS_TRACE_NDR_CONVERT] = "convert",
    [RS_TRACE_PDU_BUILT] = "build",
    [RS_TRACE_PDU_SENT] = "send",
    [RS_TRACE_PDU_RECEIVED] = "receive",
    [RS_TRACE_PDU_REASSEMBLED] = "reassemble",
    [RS_TRACE_DISPATCH] = "dispatch",
    [RS_TRACE_PROCEDURE_ENTER] = "enter",
    [RS_TRACE_PROCEDURE_RETURN] = "exit",
    [RS_TRACE_FAULT] = "fault",
    [RS_TRACE_ERROR] = "error",
    [RS_TRACE_TIMEOUT] = "timeout",
    [RS_TRACE_CONNECT] = "connect",
    [RS_TRACE_ACCEPT] = "accept",
    [RS_TRACE_LISTEN] = "listen",
    [RS_TRACE_BIND] = "bind",
    [RS_TRACE_BIND_ACK] = "bind_ack",
    [RS_TRACE_BIND_NAK] = "bind_nak",
    [RS_TRACE_CLOSE] = "close",
};

const char *sim_kind_verb(rs_trace_kind k)
{
    if ((unsigned)k <= RS_TRACE_KIND_NONE || (unsigned)k >= RS_TRACE_KIND_COUNT)
        return "?";
    return verbs[k];
}

static bool word_equal(const char *word, size_t len, const char *name)
{
    if (strlen(name) != len)
        return false;
    for (size_t i = 0; i < len; i++)
        if (tolower((unsigned char)word[i]) != tolower((unsigned char)name[i]))
            return false;
    return true;
}

rs_trace_kind sim_kind_parse(const char *word, size_t len)
{
    for (unsigned k = RS_TRACE_KIND_NONE + 1; k < RS_TRACE_KIND_COUNT; k++)
        if (word_equal(word, len, verbs[k]) || word_equal(word, len, rs_trace_kind_name(k)))
            return (rs_trace_kind)k;
    return RS_TRACE_KIND_NONE;
}

/* ---- create and destroy ---------------------------------------------------------------------- */

sim_timeline_options sim_timeline_default_options(void)
{
    return (sim_timeline_options){
        .max_events = SIM_TIMELINE_DEFAULT_MAX_EVENTS,
        .max_bytes = SIM_TIMELINE_DEFAULT_MAX_BYTES,
        .hold_ns = SIM_TIMELINE_DEFAULT_HOLD_NS,
        .ordered = false,
    };
}

rs_status sim_timeline_create(const sim_timeline_options *options, sim_timeline **out)
{
    *out = NULL;
    sim_timeline *tl = calloc(1, sizeof *tl);
    if (tl == NULL)
        return RS_ERR_NOMEM;
    tl->opt = sim_timeline_default_options();
    if (options != NULL) {
        if (options->max_events != 0)
            tl->opt.max_events = options->max_events;
        if (options->max_bytes != 0)
            tl->opt.max_bytes = options->max_bytes;
        if (options->hold_ns != 0)
            tl->opt.hold_ns = options->hold_ns;
        tl->opt.ordered = options->ordered;
    }
    *out = tl;
    return RS_OK;
}

void sim_timeline_destroy(sim_timeline *tl)
{
    if (tl == NULL)
        return;
    for (size_t i = 0; i < tl->count; i++)
        free(tl->events[i]);
    for (size_t p = 0; p < tl->proc_count; p++) {
        struct node *n = tl->procs[p].head;
        while (n != NULL) {
            struct node *next = n->next;
            free(n);
            n = next;
        }
    }
    free(tl->events);
    free(tl->procs);
    free(tl);
}

/* ---- the process table ----------------------------------------------------------------------- */

size_t sim_timeline_find_process(const sim_timeline *tl, uint32_t pid)
{
    for (size_t i = 0; i < tl->proc_count; i++)
        if (tl->procs[i].pub.pid == pid)
            return i;
    return SIM_NONE;
}

/* The process with this pid, made if it is new. NULL when out of memory. */
static struct proc *proc_get(sim_timeline *tl, uint32_t pid, size_t *index)
{
    size_t i = sim_timeline_find_process(tl, pid);
    if (i == SIM_NONE) {
        if (tl->proc_count == tl->proc_cap) {
            size_t cap = tl->proc_cap ? tl->proc_cap * 2 : 8;
            struct proc *p = realloc(tl->procs, cap * sizeof *p);
            if (p == NULL)
                return NULL;
            tl->procs = p;
            tl->proc_cap = cap;
        }
        i = tl->proc_count++;
        struct proc *p = &tl->procs[i];
        memset(p, 0, sizeof *p);
        p->pub.pid = pid;
        p->pub.role_index = p->pub.first_index = p->pub.last_index = SIM_NONE;
        snprintf(p->anon, sizeof p->anon, "process");
        snprintf(p->pub.name, sizeof p->pub.name, "process");
    }
    if (index != NULL)
        *index = i;
    return &tl->procs[i];
}

rs_status sim_timeline_set_program(sim_timeline *tl, uint32_t pid, const char *program)
{
    struct proc *p = proc_get(tl, pid, NULL);
    if (p == NULL)
        return RS_ERR_NOMEM;
    snprintf(p->pub.program, sizeof p->pub.program, "%s", program != NULL ? program : "");
    return RS_OK;
}

void sim_timeline_end_process(sim_timeline *tl, uint32_t pid)
{
    size_t i = sim_timeline_find_process(tl, pid);
    if (i != SIM_NONE)
        tl->procs[i].pub.ended = true;
}

size_t sim_timeline_process_count(const sim_timeline *tl)
{
    return tl->proc_count;
}

const sim_process *sim_timeline_process(const sim_timeline *tl, size_t i)
{
    return i < tl->proc_count ? &tl->procs[i].pub : NULL;
}

const char *sim_timeline_process_name(const sim_timeline *tl, size_t i)
{
    if (i >= tl->count)
        return "?";
    const struct proc *p = &tl->procs[tl->events[i]->e.process];
    if (p->pub.role_index != SIM_NONE && p->pub.role_index <= i)
        return p->pub.name;
    return p->anon;
}

/* ---- queries --------------------------------------------------------------------------------- */

size_t sim_timeline_count(const sim_timeline *tl)
{
    return tl->count;
}

const sim_event *sim_timeline_at(const sim_timeline *tl, size_t i)
{
    return i < tl->count ? &tl->events[i]->e : NULL;
}

size_t sim_timeline_waiting(const sim_timeline *tl)
{
    return tl->waiting;
}

size_t sim_timeline_bytes(const sim_timeline *tl)
{
    return tl->bytes;
}

/* ---- placing --------------------------------------------------------------------------------- */

/* The hash that sorts PDU moves into buckets: FNV-1a of the length and of the first
 * HASH_PREFIX bytes. A send and its receive carry the same bytes, so they hash alike; two
 * different PDUs almost always differ in their headers (PTYPE, flags, call id, alloc_hint), and
 * send_matches() compares the whole bytes anyway. Hashing all of a 4 KiB PDU byte by byte cost
 * more than everything else the collector does with it. */
#define HASH_PREFIX 64

static uint32_t pdu_hash(const uint8_t *p, size_t n)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < sizeof n; i++) {
        h ^= (uint8_t)(n >> (8 * i));
        h *= 16777619u;
    }
    for (size_t i = 0; i < n && i < HASH_PREFIX; i++) {
        h ^= p[i];
        h *= 16777619u;
    }
    return h;
}

static bool is_pdu_move(const struct node *n)
{
    return n->e.ev.kind == RS_TRACE_PDU_SENT || n->e.ev.kind == RS_TRACE_PDU_RECEIVED;
}

/* Could this send be the one this receive got? The same bytes from another process, and, when
 * both say their endpoints, the send's local and peer are the receive's peer and local. */
static bool send_matches(const sim_timeline *tl, const struct node *send, const struct node *recv)
{
    const rs_trace_event *s = &send->e.ev, *r = &recv->e.ev;
    if (send->hash != recv->hash || s->bytes_len != r->bytes_len ||
        tl->procs[send->e.process].pub.pid == r->pid)
        return false;
    if (s->bytes_len > 0 && memcmp(s->bytes, r->bytes, s->bytes_len) != 0)
        return false;
    char s_local[RS_TRACE_ENDPOINT_MAX], s_peer[RS_TRACE_ENDPOINT_MAX];
    char r_local[RS_TRACE_ENDPOINT_MAX], r_peer[RS_TRACE_ENDPOINT_MAX];
    /* TCP endpoints tell connections apart, so a receive pairs only with a send on its own
     * connection; anything else (a Unix socket's "local") cannot, and does not exclude. */
    if (rs_trace_endpoints(s, s_local, s_peer) && rs_trace_endpoints(r, r_local, r_peer) &&
        rs_trace_endpoint_has_port(s_local) && rs_trace_endpoint_has_port(s_peer) && rs_trace_endpoint_has_port(r_local) && rs_trace_endpoint_has_port(r_peer))
        return strcmp(s_local, r_peer) == 0 && strcmp(s_peer, r_local) == 0;
    return true;
}

/* The oldest placed, unpaired send this receive can pair with; *prev gets its predecessor in
 * the bucket (NULL when it is first). */
static struct node *find_send(const sim_timeline *tl, const struct node *recv, struct node **prev)
{
    struct node *before = NULL;
    for (struct node *s = tl->send_head[recv->hash % SEND_BUCKETS]; s != NULL;
         before = s, s = s->next_send) {
        if (send_matches(tl, s, recv)) {
            *prev = before;
            return s;
        }
    }
    return NULL;
}

static void unlink_send(sim_timeline *tl, struct node *s, struct node *prev)
{
    unsigned b = s->hash % SEND_BUCKETS;
    if (prev == NULL)
        tl->send_head[b] = s->next_send;
    else
        prev->next_send = s->next_send;
    if (tl->send_tail[b] == s)
        tl->send_tail[b] = prev;
    s->next_send = NULL;
}

/* Can the head of a waiting FIFO be placed now? Only a receive ever waits for something. */
static bool ready(const sim_timeline *tl, const struct node *n)
{
    struct node *prev;
    return n->e.ev.kind != RS_TRACE_PDU_RECEIVED || find_send(tl, n, &prev) != NULL;
}

static void name_process(sim_timeline *tl, struct proc *p, const rs_trace_event *ev, size_t index)
{
    if (p->pub.order == 0) {
        p->pub.order = ++tl->orders;
        snprintf(p->anon, sizeof p->anon, "process#%u", p->pub.order);
        snprintf(p->pub.name, sizeof p->pub.name, "%s", p->anon);
    }
    bool known = ev->role == RS_TRACE_ROLE_CLIENT || ev->role == RS_TRACE_ROLE_SERVER;
    if (p->pub.role == 0 && known) {
        p->pub.role = ev->role;
        p->pub.role_index = index;
        p->pub.ordinal = ++tl->role_counts[ev->role];
        if (p->pub.ordinal == 1)
            snprintf(p->pub.name, sizeof p->pub.name, "%s", rs_trace_role_name(ev->role));
        else
            snprintf(p->pub.name, sizeof p->pub.name, "%s#%u", rs_trace_role_name(ev->role),
                     p->pub.ordinal);
    }
}

/* Appends `n` to the placed events (room was made when it was added), pairing a receive with
 * its send unless `unpaired`. */
static void place(sim_timeline *tl, struct node *n, bool unpaired)
{
    size_t index = tl->count++;
    tl->events[index] = n;
    n->e.index = index;
    n->e.pair = SIM_NONE;
    struct proc *p = &tl->procs[n->e.process];
    name_process(tl, p, &n->e.ev, index);
    if (p->pub.first_index == SIM_NONE)
        p->pub.first_index = index;
    p->pub.last_index = index;
    p->pub.placed++;

    if (n->e.ev.kind == RS_TRACE_PDU_RECEIVED && !unpaired) {
        struct node *prev = NULL, *s = find_send(tl, n, &prev);
        if (s != NULL) {
            unlink_send(tl, s, prev);
            s->e.pair = index;
            n->e.pair = s->e.index;
        }
    } else if (n->e.ev.kind == RS_TRACE_PDU_SENT) {
        unsigned b = n->hash % SEND_BUCKETS;
        n->next_send = NULL;
        if (tl->send_tail[b] == NULL)
            tl->send_head[b] = n;
        else
            tl->send_tail[b]->next_send = n;
        tl->send_tail[b] = n;
    }
}

static struct node *pop_head(sim_timeline *tl, struct proc *p)
{
    struct node *n = p->head;
    p->head = n->next;
    if (p->head == NULL)
        p->tail = NULL;
    n->next = NULL;
    p->pub.waiting--;
    tl->waiting--;
    return n;
}

/* Places every waiting event that causal order allows, until nothing more moves. */
static size_t drain(sim_timeline *tl)
{
    size_t placed = 0;
    bool progress = true;
    while (progress) {
        progress = false;
        for (size_t i = 0; i < tl->proc_count; i++) {
            struct proc *p = &tl->procs[i];
            while (p->head != NULL && ready(tl, p->head)) {
                place(tl, pop_head(tl, p), false);
                placed++;
                progress = true;
            }
        }
    }
    return placed;
}

/* The blocked receive that arrived first, among those that arrived before `before_ns` (or any,
 * with UINT64_MAX). */
static struct proc *oldest_blocked(sim_timeline *tl, uint64_t before_ns)
{
    struct proc *best = NULL;
    for (size_t i = 0; i < tl->proc_count; i++) {
        struct proc *p = &tl->procs[i];
        if (p->head != NULL && p->head->arrived_ns < before_ns &&
            (best == NULL || p->head->arrival < best->head->arrival))
            best = p;
    }
    return best;
}

size_t sim_timeline_expire(sim_timeline *tl, uint64_t now_ns)
{
    if (now_ns < tl->opt.hold_ns)
        return 0;
    size_t placed = drain(tl);
    struct proc *p;
    while ((p = oldest_blocked(tl, now_ns - tl->opt.hold_ns + 1)) != NULL) {
        place(tl, pop_head(tl, p), true);
        placed += 1 + drain(tl);
    }
    return placed;
}

size_t sim_timeline_flush(sim_timeline *tl)
{
    size_t placed = drain(tl);
    struct proc *p;
    while ((p = oldest_blocked(tl, UINT64_MAX)) != NULL) {
        place(tl, pop_head(tl, p), true);
        placed += 1 + drain(tl);
    }
    return placed;
}

/* ---- adding ---------------------------------------------------------------------------------- */

static size_t str_size(const char *s)
{
    return (s != NULL ? strlen(s) : 0) + 1;
}

static char *str_copy(char **at, const char *s)
{
    size_t n = str_size(s) - 1;
    char *dst = *at;
    if (n > 0)
        memcpy(dst, s, n);
    dst[n] = '\0';
    *at += n + 1;
    return dst;
}

rs_status sim_timeline_add(sim_timeline *tl, const rs_trace_event *ev, uint64_t now_ns,
                           rs_error *err)
{
    const char *strs[RS_TRACE_STRING_COUNT] = {ev->interface, ev->procedure, ev->name,
                                               ev->ndr_type, ev->c_type, ev->text};
    size_t extra = 0;
    for (int i = 0; i < RS_TRACE_STRING_COUNT; i++)
        extra += str_size(strs[i]);
    if (ev->bytes_len > 0 && ev->bytes == NULL)
        return rs_error_set(err, RS_ERR_INVALID_ARG, "timeline: %zu bytes at NULL", ev->bytes_len);
    if (ev->bytes_len > SIZE_MAX - sizeof(struct node) - extra)
        return rs_error_set(err, RS_ERR_LIMIT, "timeline: an event of %zu bytes", ev->bytes_len);
    size_t size = sizeof(struct node) + extra + ev->bytes_len;

    size_t held = tl->count + tl->waiting;
    if (held >= tl->opt.max_events)
        return rs_error_set(err, RS_ERR_LIMIT,
                            "timeline: the session already holds %zu events, the limit "
                            "(--max-events)",
                            held);
    if (size > tl->opt.max_bytes || tl->bytes > tl->opt.max_bytes - size)
        return rs_error_set(err, RS_ERR_LIMIT,
                            "timeline: the session's events would take more than %zu MiB, the "
                            "limit of one session: record a shorter session",
                            tl->opt.max_bytes >> 20);

    size_t pi;
    struct proc *p = proc_get(tl, ev->pid, &pi);
    if (p == NULL)
        return rs_error_set(err, RS_ERR_NOMEM, "timeline: out of memory");
    uint64_t missing = 0;
    if (p->arrived) {
        if (ev->seq <= p->pub.last_seq)
            return rs_error_set(err, RS_ERR_PROTOCOL,
                                "timeline: pid %" PRIu32 " sent seq %" PRIu64
                                " after seq %" PRIu64 ": a duplicate or out-of-order event",
                                ev->pid, ev->seq, p->pub.last_seq);
        missing = ev->seq - p->pub.last_seq - 1;
    }
    if (tl->count + tl->waiting == tl->cap) {
        size_t cap = tl->cap ? tl->cap * 2 : 256;
        if (cap > tl->opt.max_events)
            cap = tl->opt.max_events;
        struct node **events = realloc(tl->events, cap * sizeof *events);
        if (events == NULL)
            return rs_error_set(err, RS_ERR_NOMEM, "timeline: out of memory");
        tl->events = events;
        tl->cap = cap;
    }
    struct node *n = malloc(size);
    if (n == NULL)
        return rs_error_set(err, RS_ERR_NOMEM, "timeline: out of memory for an event of %zu bytes",
                            size);
    memset(n, 0, sizeof *n);
    n->size = size;
    n->arrived_ns = now_ns;
    n->arrival = ++tl->arrivals;
    n->e.ev = *ev;
    n->e.process = pi;
    n->e.pair = SIM_NONE;
    n->e.index = SIM_NONE;
    n->e.missing = missing;
    char *at = (char *)(n + 1);
    n->e.ev.interface = str_copy(&at, ev->interface);
    n->e.ev.procedure = str_copy(&at, ev->procedure);
    n->e.ev.name = str_copy(&at, ev->name);
    n->e.ev.ndr_type = str_copy(&at, ev->ndr_type);
    n->e.ev.c_type = str_copy(&at, ev->c_type);
    n->e.ev.text = str_copy(&at, ev->text);
    if (ev->bytes_len > 0) {
        memcpy(at, ev->bytes, ev->bytes_len);
        n->e.ev.bytes = (const uint8_t *)at;
    } else {
        n->e.ev.bytes = NULL;
    }
    if (is_pdu_move(n))
        n->hash = pdu_hash(n->e.ev.bytes, n->e.ev.bytes_len);

    p->arrived = true;
    p->pub.last_seq = ev->seq;
    tl->bytes += size;
    if (tl->opt.ordered) {
        place(tl, n, false);
        return RS_OK;
    }
    if (p->tail == NULL)
        p->head = n;
    else
        p->tail->next = n;
    p->tail = n;
    p->pub.waiting++;
    tl->waiting++;
    drain(tl);
    return RS_OK;
}
