/* epm.c -- the endpoint mapper's map, its server stubs and its client calls (epm.h).
 *
 * The NDR of the five operations, as C706 appendix O declares them (MS-RPCE 2.2.1.2 adds nothing
 * on the wire). Every top-level [ptr] referent follows its pointer at once; the towers that
 * entries point to are deferred to the end of the array that holds them. Every pointer here is a
 * full pointer ([ptr]), and a full pointer's referent id names one object for the whole call, in
 * and out: so ids are numbered 1, 2, 3 ... as Windows' full-pointer tables number them, and a
 * response's towers take ids after the request's (a reused id would say "the same tower as the
 * request's", and Wireshark reads it so). Unique pointers elsewhere in this library take
 * Windows' 0x00020000 + 4n instead.
 *
 *   twr_t            max_count u32 | tower_length u32 | tower_octet_string[tower_length]
 *   ept_entry_t      object uuid (16) | tower referent u32 | annotation: offset u32,
 *                    actual_count u32, chars[actual_count] (a [string] char[64], NUL counted)
 *   ept_lookup_handle_t   20 bytes: attributes u32 | uuid
 */
#include "epm.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ndr.h"
#include "server.h"

/* e1af8308-5d1f-11c9-91a4-08002b14a0fa v3.0 */
#define EPM_SYNTAX                                                                                 \
    {{0xe1af8308, 0x5d1f, 0x11c9, {0x91, 0xa4}, {0x08, 0x00, 0x2b, 0x14, 0xa0, 0xfa}}, 3, 0}
const rs_syntax_id rs_epm_syntax = EPM_SYNTAX;

#define EPT_S_CANT_PERFORM_OP 1752u /* Windows' code (winerror.h) for a map that cannot take more */
#define OP_INSERT 0
#define OP_DELETE 1
#define OP_LOOKUP 2
#define OP_MAP 3
#define OP_LOOKUP_HANDLE_FREE 4

/* ept_lookup's inquiry_type and vers_option (C706 appendix O, rpc_c_ep_* and rpc_c_vers_*). */
enum { EP_ALL_ELTS = 0, EP_MATCH_BY_IF = 1, EP_MATCH_BY_OBJ = 2, EP_MATCH_BY_BOTH = 3 };
enum { VERS_ALL = 1, VERS_COMPATIBLE = 2, VERS_EXACT = 3, VERS_MAJOR_ONLY = 4, VERS_UPTO = 5 };

/* A lookup handle this mapper hands out: the position to resume from in time_low, and this
 * node to know its own ("rpcsc" + 'e'). */
static const uint8_t handle_node[6] = {'r', 'p', 'c', 's', 'c', 'e'};

/* ==== the map ================================================================================= */

static pthread_mutex_t map_lock = PTHREAD_MUTEX_INITIALIZER;
static rs_epm_entry *map;
static size_t map_count, map_cap;

/* The same registration: interface (UUID and version), object, protocol and endpoint. */
static bool same_entry(const rs_epm_entry *a, const rs_epm_entry *b)
{
    return rs_syntax_equal(&a->tower.iface, &b->tower.iface) &&
           rs_uuid_compare(&a->object, &b->object) == 0 && a->tower.protseq == b->tower.protseq &&
           strcmp(a->tower.endpoint, b->tower.endpoint) == 0;
}

rs_status rs_epm_map_add(const rs_epm_entry *e, rs_error *err)
{
    rs_status st = RS_OK;
    pthread_mutex_lock(&map_lock);
    size_t i = 0;
    while (i < map_count && !same_entry(&map[i], e))
        i++;
    if (i == map_count && map_count == RS_EPM_MAX_ENTRIES) {
        st = rs_error_set(err, RS_ERR_LIMIT, "epm: the map holds %d entries already",
                          RS_EPM_MAX_ENTRIES);
    } else if (i == map_count && map_count == map_cap) {
        size_t cap = map_cap ? 2 * map_cap : 16;
        rs_epm_entry *grown = realloc(map, cap * sizeof *grown);
        if (grown == NULL)
            st = rs_error_set(err, RS_ERR_NOMEM, "epm: out of memory");
        else
            map = grown, map_cap = cap;
    }
    if (st == RS_OK) {
        map[i] = *e;
        if (i == map_count)
            map_count++;
    }
    pthread_mutex_unlock(&map_lock);
    return st;
}

size_t rs_epm_map_remove(const rs_epm_entry *e)
{
    size_t gone = 0;
    pthread_mutex_lock(&map_lock);
    for (size_t i = 0; i < map_count; i++) {
        if (same_entry(&map[i], e)) {
            memmove(&map[i], &map[i + 1], (map_count - i - 1) * sizeof *map); /* keep the order */
            map_count--, i--, gone++;
        }
    }
    pthread_mutex_unlock(&map_lock);
    return gone;
}

size_t rs_epm_map_count(void)
{
    pthread_mutex_lock(&map_lock);
    size_t n = map_count;
    pthread_mutex_unlock(&map_lock);
    return n;
}

void rs_epm_map_clear(void)
{
    pthread_mutex_lock(&map_lock);
    free(map);
    map = NULL;
    map_count = map_cap = 0;
    pthread_mutex_unlock(&map_lock);
}

rs_status rs_epm_entry_from_binding(rs_epm_entry *e, const char *binding,
                                    const rs_syntax_id *iface, const char *annotation,
                                    rs_error *err)
{
    memset(e, 0, sizeof *e);
    rs_binding b;
    if (rs_binding_parse(binding, &b) != RS_OK)
        return rs_error_set(err, RS_ERR_INVALID_ARG, "epm: %s", b.error);
    if (b.endpoint[0] == '\0')
        return rs_error_set(err, RS_ERR_INVALID_ARG, "epm: %s has no endpoint to register",
                            binding);
    if (b.has_object)
        e->object = b.object;
    snprintf(e->annotation, sizeof e->annotation, "%s", annotation != NULL ? annotation : "");
    return rs_tower_from_binding(&b, iface, &e->tower, err);
}

/* ==== NDR of the mapper's types ================================================================ */

static rs_status put_uuid(rs_ndr *ndr, const char *name, const rs_uuid *u)
{
    uint8_t tail[8];
    memcpy(tail, u->clock_seq, 2);
    memcpy(tail + 2, u->node, 6);
    rs_status st = rs_ndr_put_ulong(ndr, name, u->time_low);
    if (st == RS_OK)
        st = rs_ndr_put_ushort(ndr, name, u->time_mid);
    if (st == RS_OK)
        st = rs_ndr_put_ushort(ndr, name, u->time_hi_and_version);
    if (st == RS_OK)
        st = rs_ndr_put_array(ndr, name, RS_NDR_BYTE, tail, 8);
    return st;
}

static rs_status get_uuid(rs_ndr *ndr, const char *name, rs_uuid *u)
{
    uint8_t tail[8];
    rs_status st = rs_ndr_get_ulong(ndr, name, &u->time_low);
    if (st == RS_OK)
        st = rs_ndr_get_ushort(ndr, name, &u->time_mid);
    if (st == RS_OK)
        st = rs_ndr_get_ushort(ndr, name, &u->time_hi_and_version);
    if (st == RS_OK)
        st = rs_ndr_get_array(ndr, name, RS_NDR_BYTE, tail, 8);
    if (st == RS_OK) {
        memcpy(u->clock_seq, tail, 2);
        memcpy(u->node, tail + 2, 6);
    }
    return st;
}

/* twr_t: a conformant structure, its max_count first. */
static rs_status put_twr(rs_ndr *ndr, const char *name, const rs_tower *t)
{
    rs_buf octets;
    rs_buf_init(&octets, RS_TOWER_MAX);
    rs_status st = rs_tower_encode(t, &octets);
    if (st != RS_OK) {
        st = rs_ndr_fail(ndr, st, "epm: %s", rs_buf_error(&octets));
    } else {
        st = rs_ndr_put_conformance(ndr, name, (uint32_t)octets.len);
        if (st == RS_OK)
            st = rs_ndr_put_ulong(ndr, "tower_length", (uint32_t)octets.len);
        if (st == RS_OK)
            st = rs_ndr_put_array(ndr, "tower_octet_string", RS_NDR_BYTE, octets.data,
                                  (uint32_t)octets.len);
    }
    rs_buf_free(&octets);
    return st;
}

/* A tower we cannot read is not an error of the stream: *ok says whether it was one of ours. */
static rs_status get_twr(rs_ndr *ndr, const char *name, rs_tower *t, bool *ok)
{
    uint32_t max = 0, len = 0;
    uint8_t octets[RS_TOWER_MAX];
    rs_status st = rs_ndr_get_conformance(ndr, name, 1, &max);
    if (st == RS_OK)
        st = rs_ndr_get_ulong(ndr, "tower_length", &len);
    if (st == RS_OK && (len != max || len > RS_TOWER_MAX))
        st = rs_ndr_fail(ndr, RS_ERR_NDR, "epm: tower_length %lu with max_count %lu (at most %d)",
                         (unsigned long)len, (unsigned long)max, RS_TOWER_MAX);
    if (st == RS_OK)
        st = rs_ndr_get_array(ndr, "tower_octet_string", RS_NDR_BYTE, octets, len);
    if (st == RS_OK) {
        rs_error err = {0};
        *ok = rs_tower_decode(octets, len, t, &err) == RS_OK;
    }
    return st;
}

/* ept_entry_t without its tower (deferred): object, the tower's referent id, annotation. */
static rs_status put_entry_head(rs_ndr *ndr, const rs_epm_entry *e, uint32_t referent)
{
    uint32_t n = (uint32_t)strnlen(e->annotation, RS_EPM_ANNOTATION_MAX - 1) + 1;
    rs_status st = put_uuid(ndr, "object", &e->object);
    if (st == RS_OK)
        st = rs_ndr_put_ulong(ndr, "tower", referent);
    if (st == RS_OK)
        st = rs_ndr_put_variance(ndr, "annotation", 0, n);
    if (st == RS_OK)
        st = rs_ndr_put_array(ndr, "annotation", RS_NDR_CHAR, e->annotation, n);
    return st;
}

static rs_status get_entry_head(rs_ndr *ndr, rs_epm_entry *e, uint32_t *referent)
{
    uint32_t offset = 0, n = 0;
    rs_status st = get_uuid(ndr, "object", &e->object);
    if (st == RS_OK)
        st = rs_ndr_get_ulong(ndr, "tower", referent);
    if (st == RS_OK)
        st = rs_ndr_get_variance(ndr, "annotation", 1, RS_EPM_ANNOTATION_MAX, &offset, &n);
    if (st == RS_OK)
        st = rs_ndr_get_array(ndr, "annotation", RS_NDR_CHAR, e->annotation + offset, n);
    e->annotation[RS_EPM_ANNOTATION_MAX - 1] = '\0'; /* whatever came, it ends */
    return st;
}

/* entries[]: the heads (towers numbered from `first_id`), then the towers. */
static rs_status put_entries(rs_ndr *ndr, const rs_epm_entry *e, uint32_t n, uint32_t first_id)
{
    rs_status st = RS_OK;
    for (uint32_t i = 0; i < n && st == RS_OK; i++)
        st = put_entry_head(ndr, &e[i], first_id + i);
    for (uint32_t i = 0; i < n && st == RS_OK; i++)
        st = put_twr(ndr, "tower", &e[i].tower);
    return st;
}

/* Entries whose tower we cannot read are dropped (*kept counts the others): a mapper may hold
 * protocols this library does not speak. */
static rs_status get_entries(rs_ndr *ndr, rs_epm_entry *e, uint32_t n, uint32_t *kept)
{
    uint32_t referent[RS_EPM_MAX_BATCH];
    rs_status st = RS_OK;
    for (uint32_t i = 0; i < n && st == RS_OK; i++)
        st = get_entry_head(ndr, &e[i], &referent[i]);
    *kept = 0;
    for (uint32_t i = 0; i < n && st == RS_OK; i++) {
        bool ok = false;
        if (referent[i] != 0)
            st = get_twr(ndr, "tower", &e[i].tower, &ok);
        if (st == RS_OK && ok)
            e[(*kept)++] = e[i];
    }
    return st;
}

/* [ptr] uuid_t *: a referent id, then the UUID when it is not 0. */
static rs_status get_ptr_uuid(rs_ndr *ndr, const char *name, rs_uuid *u, uint32_t *referent)
{
    rs_status st = rs_ndr_get_ulong(ndr, name, referent);
    memset(u, 0, sizeof *u);
    if (st == RS_OK && *referent != 0)
        st = get_uuid(ndr, name, u);
    return st;
}

/* The first full-pointer id a response may use: past the request's (see the top). A request
 * whose ids leave no room past them gets ids from 1 (a hostile one: the bytes stay valid). */
static uint32_t ids_after(uint32_t a, uint32_t b)
{
    uint32_t max = a > b ? a : b;
    return max < UINT32_MAX - RS_EPM_MAX_BATCH ? max + 1 : 1;
}

/* ==== the server stubs ========================================================================= */

/* num_ents, then the conformant array of entries: how ept_insert and ept_delete take them. The
 * array is the call's (freed with its [in] data). */
static rs_status get_entry_list(rs_server_call *call, rs_epm_entry **out, uint32_t *n)
{
    uint32_t num = 0, max = 0, kept = 0;
    rs_status st = rs_ndr_get_ulong(&call->in, "num_ents", &num);
    if (st == RS_OK)
        st = rs_ndr_get_conformance(&call->in, "entries", 28, &max);
    if (st == RS_OK && (max != num || num > RS_EPM_MAX_BATCH))
        st = rs_ndr_fail(&call->in, RS_ERR_NDR, "epm: %lu entries with max_count %lu (at most %d)",
                         (unsigned long)num, (unsigned long)max, RS_EPM_MAX_BATCH);
    void *mem = NULL;
    if (st == RS_OK)
        st = rs_ndr_alloc(&call->in, "entries", (size_t)num * sizeof(rs_epm_entry) + 1, &mem);
    if (st == RS_OK)
        st = get_entries(&call->in, mem, num, &kept);
    *out = mem;
    *n = kept;
    return st;
}

/* opnum 0: ept_insert(num_ents, entries[], replace, [out] status) */
static rs_status ept_insert_stub(rs_server_call *call)
{
    rs_epm_entry *entries = NULL;
    uint32_t n = 0, replace = 0, status = 0;
    rs_status st = get_entry_list(call, &entries, &n);
    if (st == RS_OK)
        st = rs_ndr_get_ulong(&call->in, "replace", &replace);
    if (st != RS_OK)
        return st;
    call->executed = true;
    for (uint32_t i = 0; i < n && status == 0; i++) {
        rs_error err = {0};
        if (rs_epm_map_add(&entries[i], &err) != RS_OK)
            status = EPT_S_CANT_PERFORM_OP; /* the map is full */
    }
    return rs_ndr_put_ulong(&call->out, "status", status);
}

/* opnum 1: ept_delete(num_ents, entries[], [out] status) */
static rs_status ept_delete_stub(rs_server_call *call)
{
    rs_epm_entry *entries = NULL;
    uint32_t n = 0, status = 0;
    rs_status st = get_entry_list(call, &entries, &n);
    if (st != RS_OK)
        return st;
    call->executed = true;
    for (uint32_t i = 0; i < n; i++)
        if (rs_epm_map_remove(&entries[i]) == 0)
            status = RS_ept_s_not_registered;
    return rs_ndr_put_ulong(&call->out, "status", status);
}

/* What ept_lookup asks for. */
typedef struct query {
    uint32_t inquiry, vers_option;
    bool by_object, by_if, by_tower;
    rs_uuid object;
    rs_syntax_id iface;
    rs_protseq protseq;
} query;

static bool version_matches(const query *q, const rs_syntax_id *have)
{
    const rs_syntax_id *want = &q->iface;
    switch (q->vers_option) {
    case VERS_ALL: return true;
    case VERS_EXACT: return have->major == want->major && have->minor == want->minor;
    case VERS_MAJOR_ONLY: return have->major == want->major;
    case VERS_UPTO:
        return have->major < want->major || (have->major == want->major && have->minor <= want->minor);
    default: /* VERS_COMPATIBLE, and what ept_map asks: C706's compatibility rule */
        return have->major == want->major && have->minor >= want->minor;
    }
}

static bool entry_matches(const query *q, const rs_epm_entry *e)
{
    if (q->by_object && rs_uuid_compare(&q->object, &e->object) != 0)
        return false;
    if (q->by_if && (rs_uuid_compare(&q->iface.uuid, &e->tower.iface.uuid) != 0 ||
                     !version_matches(q, &e->tower.iface)))
        return false;
    return !q->by_tower || q->protseq == e->tower.protseq;
}

/* Up to `max` matches from position *pos on, into out[]; *pos moves past them, and becomes 0
 * when none are left. */
static uint32_t find(const query *q, uint32_t *pos, uint32_t max, rs_epm_entry *out)
{
    uint32_t n = 0;
    pthread_mutex_lock(&map_lock);
    size_t i = *pos;
    for (; i < map_count && n < max; i++)
        if (entry_matches(q, &map[i]))
            out[n++] = map[i];
    while (i < map_count && !entry_matches(q, &map[i]))
        i++;
    *pos = i < map_count ? (uint32_t)i : 0;
    pthread_mutex_unlock(&map_lock);
    return n;
}

static uint32_t handle_position(const rs_ndr_context_handle *h)
{
    return memcmp(h->uuid.node, handle_node, sizeof handle_node) == 0 ? h->uuid.time_low : 0;
}

static rs_ndr_context_handle handle_at(uint32_t pos)
{
    rs_ndr_context_handle h = {0};
    if (pos != 0) {
        h.uuid.time_low = pos;
        memcpy(h.uuid.node, handle_node, sizeof handle_node);
    }
    return h;
}

/* A batch of matches for a handle: at most max_ents and RS_EPM_MAX_BATCH, in a malloc()ed array
 * the stub frees. */
static rs_status find_batch(const query *q, rs_ndr_context_handle *h, uint32_t max_ents,
                            rs_epm_entry **out, uint32_t *n)
{
    uint32_t want = max_ents < RS_EPM_MAX_BATCH ? max_ents : RS_EPM_MAX_BATCH;
    *out = malloc((size_t)want * sizeof(rs_epm_entry) + 1);
    if (*out == NULL)
        return RS_ERR_NOMEM;
    uint32_t pos = handle_position(h);
    *n = find(q, &pos, want, *out);
    *h = handle_at(pos);
    return RS_OK;
}

/* opnum 2: ept_lookup(inquiry_type, [ptr] object, [ptr] interface_id, vers_option,
 *                     [in, out] entry_handle, max_ents, [out] num_ents, [out] entries[], status) */
static rs_status ept_lookup_stub(rs_server_call *call)
{
    query q = {0};
    rs_ndr_context_handle h;
    uint32_t max_ents = 0, if_referent = 0, object_referent = 0;
    rs_ndr *in = &call->in;
    rs_status st = rs_ndr_get_ulong(in, "inquiry_type", &q.inquiry);
    if (st == RS_OK)
        st = get_ptr_uuid(in, "object", &q.object, &object_referent);
    if (st == RS_OK)
        st = rs_ndr_get_ulong(in, "interface_id", &if_referent);
    if (st == RS_OK && if_referent != 0) {
        st = get_uuid(in, "interface_id", &q.iface.uuid);
        if (st == RS_OK)
            st = rs_ndr_get_ushort(in, "vers_major", &q.iface.major);
        if (st == RS_OK)
            st = rs_ndr_get_ushort(in, "vers_minor", &q.iface.minor);
    }
    if (st == RS_OK)
        st = rs_ndr_get_ulong(in, "vers_option", &q.vers_option);
    if (st == RS_OK)
        st = rs_ndr_get_context_handle(in, "entry_handle", &h);
    if (st == RS_OK)
        st = rs_ndr_get_ulong(in, "max_ents", &max_ents);
    if (st != RS_OK)
        return st;
    call->executed = true;
    q.by_if = (q.inquiry == EP_MATCH_BY_IF || q.inquiry == EP_MATCH_BY_BOTH) && if_referent != 0;
    q.by_object = (q.inquiry == EP_MATCH_BY_OBJ || q.inquiry == EP_MATCH_BY_BOTH) &&
                  object_referent != 0;

    rs_epm_entry *found = NULL;
    uint32_t n = 0;
    st = find_batch(&q, &h, max_ents, &found, &n);
    rs_ndr *out = &call->out;
    if (st == RS_OK)
        st = rs_ndr_put_context_handle(out, "entry_handle", &h);
    if (st == RS_OK)
        st = rs_ndr_put_ulong(out, "num_ents", n);
    if (st == RS_OK)
        st = rs_ndr_put_conformance(out, "entries", max_ents);
    if (st == RS_OK)
        st = rs_ndr_put_variance(out, "entries", 0, n);
    if (st == RS_OK)
        st = put_entries(out, found, n, ids_after(object_referent, if_referent));
    if (st == RS_OK)
        st = rs_ndr_put_ulong(out, "status", n == 0 ? RS_ept_s_not_registered : 0);
    free(found);
    return st;
}

/* opnum 3: ept_map([ptr] object, [ptr] map_tower, [in, out] entry_handle, max_towers,
 *                  [out] num_towers, [out] towers[] (pointers), [out] status) */
static rs_status ept_map_stub(rs_server_call *call)
{
    query q = {.vers_option = VERS_COMPATIBLE, .by_if = true, .by_tower = true};
    rs_ndr_context_handle h;
    rs_tower asked;
    uint32_t tower_referent = 0, max_towers = 0, object_referent = 0;
    bool readable = false;
    rs_ndr *in = &call->in;
    rs_status st = get_ptr_uuid(in, "object", &q.object, &object_referent);
    if (st == RS_OK)
        st = rs_ndr_get_ulong(in, "map_tower", &tower_referent);
    if (st == RS_OK && tower_referent != 0)
        st = get_twr(in, "map_tower", &asked, &readable);
    if (st == RS_OK)
        st = rs_ndr_get_context_handle(in, "entry_handle", &h);
    if (st == RS_OK)
        st = rs_ndr_get_ulong(in, "max_towers", &max_towers);
    if (st != RS_OK)
        return st;
    call->executed = true;
    q.iface = asked.iface;
    q.protseq = asked.protseq;
    q.by_object = object_referent != 0 && !rs_uuid_is_nil(&q.object);

    rs_epm_entry *found = NULL;
    uint32_t n = 0;
    if (readable) /* a tower of a protocol we do not speak matches nothing */
        st = find_batch(&q, &h, max_towers, &found, &n);
    else
        h = handle_at(0);
    rs_ndr *out = &call->out;
    if (st == RS_OK)
        st = rs_ndr_put_context_handle(out, "entry_handle", &h);
    if (st == RS_OK)
        st = rs_ndr_put_ulong(out, "num_towers", n);
    if (st == RS_OK)
        st = rs_ndr_put_conformance(out, "towers", max_towers);
    if (st == RS_OK)
        st = rs_ndr_put_variance(out, "towers", 0, n);
    uint32_t first_id = ids_after(object_referent, tower_referent);
    for (uint32_t i = 0; i < n && st == RS_OK; i++)
        st = rs_ndr_put_ulong(out, "towers", first_id + i);
    for (uint32_t i = 0; i < n && st == RS_OK; i++)
        st = put_twr(out, "tower", &found[i].tower);
    if (st == RS_OK)
        st = rs_ndr_put_ulong(out, "status", n == 0 ? RS_ept_s_not_registered : 0);
    free(found);
    return st;
}

/* opnum 4: ept_lookup_handle_free([in, out] entry_handle, [out] status): nothing is kept for a
 * handle here, so it only comes back NULL. */
static rs_status ept_lookup_handle_free_stub(rs_server_call *call)
{
    rs_ndr_context_handle h;
    rs_status st = rs_ndr_get_context_handle(&call->in, "entry_handle", &h);
    if (st != RS_OK)
        return st;
    call->executed = true;
    rs_ndr_context_handle none = {0};
    st = rs_ndr_put_context_handle(&call->out, "entry_handle", &none);
    if (st == RS_OK)
        st = rs_ndr_put_ulong(&call->out, "status", 0);
    return st;
}

static const rs_operation server_ops[] = {
    {"ept_insert", ept_insert_stub},
    {"ept_delete", ept_delete_stub},
    {"ept_lookup", ept_lookup_stub},
    {"ept_map", ept_map_stub},
    {"ept_lookup_handle_free", ept_lookup_handle_free_stub},
};
const rs_interface rs_epm_server_interface = {"epmapper", EPM_SYNTAX, server_ops, 5};

static const rs_operation client_ops[] = {
    {"ept_insert", NULL}, {"ept_delete", NULL}, {"ept_lookup", NULL}, {"ept_map", NULL},
    {"ept_lookup_handle_free", NULL},
};
const rs_interface rs_epm_client_interface = {"epmapper", EPM_SYNTAX, client_ops, 5};

/* ==== calls to a mapper ======================================================================== */

/* Ends a call to the mapper without the thread's error handler (rpc.h's exceptions): these
 * calls report through their status, and may run inside another call of this thread. */
static rs_status end_quietly(rs_client_call *call, rs_status st, rs_error *err)
{
    void *ctx = NULL;
    rs_call_error_handler handler = rs_get_call_error_handler(&ctx);
    rs_set_call_error_handler(NULL, NULL);
    st = rs_client_call_end(call, st);
    rs_set_call_error_handler(handler, ctx);
    if (st != RS_OK)
        rs_error_set(err, st, "epm: %s", rs_last_call_error()->message);
    return st;
}

static rs_status status_of(rs_ndr *ndr, const char *what, rs_error *err)
{
    uint32_t status = 0;
    rs_status st = rs_ndr_get_ulong(ndr, "status", &status);
    if (st == RS_OK && status != 0)
        return rs_error_set(err, status == RS_ept_s_not_registered ? RS_ERR_CONNECT : RS_ERR_PROTOCOL,
                            "epm: %s: the mapper answered status 0x%08lx%s", what,
                            (unsigned long)status,
                            status == RS_ept_s_not_registered ? " (ept_s_not_registered)" : "");
    return st;
}

static rs_status insert_or_delete(rs_client *mapper, uint16_t opnum, const rs_epm_entry *e,
                                  uint32_t n, rs_error *err)
{
    rs_client_call call;
    rs_error serr = {0};
    rs_status st = rs_client_call_begin(&call, mapper, &rs_epm_client_interface, opnum);
    if (st == RS_OK && n > RS_EPM_MAX_BATCH)
        st = rs_ndr_fail(&call.ndr, RS_ERR_LIMIT, "epm: %lu entries at once; at most %d",
                         (unsigned long)n, RS_EPM_MAX_BATCH);
    if (st == RS_OK)
        st = rs_ndr_put_ulong(&call.ndr, "num_ents", n);
    if (st == RS_OK)
        st = rs_ndr_put_conformance(&call.ndr, "entries", n);
    if (st == RS_OK)
        st = put_entries(&call.ndr, e, n, 1);
    if (st == RS_OK && opnum == OP_INSERT)
        st = rs_ndr_put_ulong(&call.ndr, "replace", 1);
    if (st == RS_OK)
        st = rs_client_call_invoke(&call);
    rs_status answered = RS_OK;
    if (st == RS_OK)
        answered = status_of(&call.ndr, opnum == OP_INSERT ? "ept_insert" : "ept_delete", &serr);
    st = end_quietly(&call, st, err);
    if (st == RS_OK && answered != RS_OK)
        return rs_error_set(err, answered, "%s", serr.message);
    return st;
}

rs_status rs_epm_insert(rs_client *mapper, const rs_epm_entry *e, uint32_t n, rs_error *err)
{
    return insert_or_delete(mapper, OP_INSERT, e, n, err);
}

rs_status rs_epm_delete(rs_client *mapper, const rs_epm_entry *e, uint32_t n, rs_error *err)
{
    return insert_or_delete(mapper, OP_DELETE, e, n, err);
}

rs_status rs_epm_map(rs_client *mapper, const rs_syntax_id *iface, rs_protseq protseq,
                     rs_tower *found, rs_error *err)
{
    /* The tower asked about: the interface over NDR on the protocol, with no endpoint (port 0,
     * host 0.0.0.0, or an empty name), as Windows' clients ask. */
    rs_tower asked = {.iface = *iface, .transfer = rs_ndr_syntax, .protseq = protseq};
    if (protseq == RS_PROTSEQ_TCP) {
        strcpy(asked.endpoint, "0");
        strcpy(asked.host, "0.0.0.0");
    }
    rs_ndr_context_handle none = {0}, h;
    uint32_t n = 0, max = 0, offset = 0, count = 0, referent = 0;
    bool ok = false;
    rs_error serr = {0};
    rs_client_call call;
    rs_status st = rs_client_call_begin(&call, mapper, &rs_epm_client_interface, OP_MAP);
    if (st == RS_OK)
        st = rs_ndr_put_ulong(&call.ndr, "object", 0); /* [ptr] NULL */
    if (st == RS_OK)
        st = rs_ndr_put_ulong(&call.ndr, "map_tower", 1); /* the call's first full pointer */
    if (st == RS_OK)
        st = put_twr(&call.ndr, "map_tower", &asked);
    if (st == RS_OK)
        st = rs_ndr_put_context_handle(&call.ndr, "entry_handle", &none);
    if (st == RS_OK)
        st = rs_ndr_put_ulong(&call.ndr, "max_towers", 1);
    if (st == RS_OK)
        st = rs_client_call_invoke(&call);
    if (st == RS_OK)
        st = rs_ndr_get_context_handle(&call.ndr, "entry_handle", &h);
    if (st == RS_OK)
        st = rs_ndr_get_ulong(&call.ndr, "num_towers", &n);
    if (st == RS_OK)
        st = rs_ndr_get_conformance(&call.ndr, "towers", 0, &max);
    if (st == RS_OK)
        st = rs_ndr_get_variance(&call.ndr, "towers", 4, max, &offset, &count);
    if (st == RS_OK && (count != n || count > 1))
        st = rs_ndr_fail(&call.ndr, RS_ERR_NDR, "epm: %lu towers for max_towers 1",
                         (unsigned long)count);
    if (st == RS_OK && count == 1)
        st = rs_ndr_get_ulong(&call.ndr, "towers", &referent);
    if (st == RS_OK && referent != 0)
        st = get_twr(&call.ndr, "tower", found, &ok);
    rs_status answered = RS_OK;
    if (st == RS_OK)
        answered = status_of(&call.ndr, "ept_map", &serr);
    st = end_quietly(&call, st, err);
    if (st != RS_OK)
        return st;
    if (answered != RS_OK)
        return rs_error_set(err, answered, "%s", serr.message);
    if (!ok)
        return rs_error_set(err, RS_ERR_CONNECT, "epm: ept_map: the mapper's tower is not one "
                            "this library can use");
    return RS_OK;
}

rs_status rs_epm_lookup(rs_client *mapper, rs_epm_entry *out, uint32_t max, uint32_t *n,
                        rs_error *err)
{
    *n = 0;
    rs_ndr_context_handle h = {0};
    do {
        uint32_t want = max - *n < RS_EPM_MAX_BATCH ? max - *n : RS_EPM_MAX_BATCH;
        uint32_t num = 0, cmax = 0, offset = 0, count = 0, kept = 0;
        rs_error serr = {0};
        rs_client_call call;
        rs_status st = rs_client_call_begin(&call, mapper, &rs_epm_client_interface, OP_LOOKUP);
        if (st == RS_OK)
            st = rs_ndr_put_ulong(&call.ndr, "inquiry_type", EP_ALL_ELTS);
        if (st == RS_OK)
            st = rs_ndr_put_ulong(&call.ndr, "object", 0);
        if (st == RS_OK)
            st = rs_ndr_put_ulong(&call.ndr, "interface_id", 0);
        if (st == RS_OK)
            st = rs_ndr_put_ulong(&call.ndr, "vers_option", VERS_ALL);
        if (st == RS_OK)
            st = rs_ndr_put_context_handle(&call.ndr, "entry_handle", &h);
        if (st == RS_OK)
            st = rs_ndr_put_ulong(&call.ndr, "max_ents", want);
        if (st == RS_OK)
            st = rs_client_call_invoke(&call);
        if (st == RS_OK)
            st = rs_ndr_get_context_handle(&call.ndr, "entry_handle", &h);
        if (st == RS_OK)
            st = rs_ndr_get_ulong(&call.ndr, "num_ents", &num);
        if (st == RS_OK)
            st = rs_ndr_get_conformance(&call.ndr, "entries", 0, &cmax);
        if (st == RS_OK)
            st = rs_ndr_get_variance(&call.ndr, "entries", 28, cmax, &offset, &count);
        if (st == RS_OK && (count != num || count > want))
            st = rs_ndr_fail(&call.ndr, RS_ERR_NDR, "epm: %lu entries for max_ents %lu",
                             (unsigned long)count, (unsigned long)want);
        if (st == RS_OK)
            st = get_entries(&call.ndr, out + *n, count, &kept);
        rs_status answered = RS_OK;
        if (st == RS_OK)
            answered = status_of(&call.ndr, "ept_lookup", &serr);
        st = end_quietly(&call, st, err);
        if (st != RS_OK)
            return st;
        if (answered == RS_ERR_CONNECT) /* no (more) entries */
            return RS_OK;
        if (answered != RS_OK)
            return rs_error_set(err, answered, "%s", serr.message);
        *n += kept;
    } while (!rs_uuid_is_nil(&h.uuid) && *n < max);
    return RS_OK;
}

/* ==== resolving a binding without an endpoint ================================================== */

rs_status rs_epm_mapper_binding(const rs_binding *b, char *out, size_t size)
{
    const char *env = getenv("RPCSCOPE_EPM");
    int n;
    if (env != NULL && env[0] != '\0')
        n = snprintf(out, size, "%s", env);
    else if (b->protseq == RS_PROTSEQ_TCP)
        n = snprintf(out, size, "ncacn_ip_tcp:%s[%d]", b->host[0] ? b->host : "127.0.0.1",
                     RS_EPM_PORT);
    else
        n = snprintf(out, size, "ncalrpc:[%s]", RS_EPM_LRPC);
    return n >= 0 && (size_t)n < size ? RS_OK : RS_ERR_LIMIT;
}

rs_status rs_epm_resolve(rs_binding *b, const rs_interface *iface, rs_error *err)
{
    char where[RS_BINDING_STRLEN];
    if (rs_epm_mapper_binding(b, where, sizeof where) != RS_OK)
        return rs_error_set(err, RS_ERR_LIMIT, "epm: the mapper's binding is too long");
    rs_client *mapper = NULL;
    rs_error oerr = {0};
    if (rs_client_open(where, NULL, &mapper, &oerr) != RS_OK)
        return rs_error_set(err, RS_ERR_INVALID_ARG, "epm: RPCSCOPE_EPM: %s", oerr.message);
    rs_tower found;
    rs_status st = rs_epm_map(mapper, &iface->syntax, b->protseq, &found, err);
    rs_client_close(mapper);
    if (st != RS_OK)
        return st;
    snprintf(b->endpoint, sizeof b->endpoint, "%s", found.endpoint);
    return RS_OK;
}

/* ==== registering a server's bindings =========================================================== */

/* ept_insert or ept_delete of the entry for each binding of `s`, each with the mapper for its
 * protocol sequence. */
static rs_status register_each(const rs_server *s, const rs_interface *iface,
                               const char *annotation, uint16_t opnum, rs_error *err)
{
    size_t count = rs_server_binding_count(s);
    if (count == 0)
        return rs_error_set(err, RS_ERR_INVALID_ARG, "epm: the server listens nowhere yet");
    for (size_t i = 0; i < count; i++) {
        rs_epm_entry e;
        rs_binding b;
        char where[RS_BINDING_STRLEN];
        rs_status st = rs_epm_entry_from_binding(&e, rs_server_binding(s, i), &iface->syntax,
                                                 annotation, err);
        if (st == RS_OK && rs_binding_parse(rs_server_binding(s, i), &b) == RS_OK &&
            rs_epm_mapper_binding(&b, where, sizeof where) != RS_OK)
            st = rs_error_set(err, RS_ERR_LIMIT, "epm: the mapper's binding is too long");
        rs_client *mapper = NULL;
        rs_error oerr = {0};
        if (st == RS_OK && rs_client_open(where, NULL, &mapper, &oerr) != RS_OK)
            st = rs_error_set(err, RS_ERR_INVALID_ARG, "epm: RPCSCOPE_EPM: %s", oerr.message);
        if (st == RS_OK)
            st = insert_or_delete(mapper, opnum, &e, 1, err);
        rs_client_close(mapper);
        if (st != RS_OK)
            return st;
    }
    return RS_OK;
}

rs_status rs_epm_register(const rs_server *s, const rs_interface *iface, const char *annotation,
                          rs_error *err)
{
    return register_each(s, iface, annotation, OP_INSERT, err);
}

rs_status rs_epm_unregister(const rs_server *s, const rs_interface *iface, rs_error *err)
{
    return register_each(s, iface, NULL, OP_DELETE, err);
}
