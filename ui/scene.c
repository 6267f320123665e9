/* scene.c -- replays the first N events into what the window shows. See scene.h. */
#include "scene.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ndr.h"
#include "pdu.h"

/* How the runtime words the kill-server fault just before the process dies (inject.h). */
#define KILLED "injected: kill-server"

ui_scene *ui_scene_create(void)
{
    ui_scene *s = calloc(1, sizeof *s);
    if (s != NULL)
        for (int i = 0; i < UI_SCENE_MAX_BUFFERS; i++)
            s->buffers[i].fields = NULL;
    return s;
}

static void clear(ui_scene *s)
{
    for (size_t i = 0; i < s->buffer_count; i++) {
        free(s->buffers[i].bytes);
        free(s->buffers[i].fields);
    }
    for (size_t i = 0; i < s->pdu_count; i++)
        free(s->pdus[i].bytes);
    ui_link *links = s->links; /* kept: the next build reuses the array */
    size_t link_cap = s->link_cap;
    memset(s, 0, sizeof *s);
    s->links = links;
    s->link_cap = link_cap;
    s->current_buffer = -1;
    s->current_pdu = -1;
    s->step = SIZE_MAX;
    for (int side = 0; side < UI_SIDES; side++)
        for (int l = 0; l <= RS_TRACE_LAYER_TRANSPORT; l++)
            s->lane_last[side][l] = SIZE_MAX;
}

void ui_scene_destroy(ui_scene *s)
{
    if (s == NULL)
        return;
    clear(s);
    free(s->links);
    free(s);
}

static void copy(char *dst, size_t size, const char *src)
{
    snprintf(dst, size, "%s", src != NULL ? src : "");
}

int ui_scene_side(const rs_trace_event *ev)
{
    return ev->role == RS_TRACE_ROLE_SERVER ? UI_SERVER : UI_CLIENT;
}

int ui_scene_param_find(const ui_scene *s, const char *path)
{
    if (path == NULL || path[0] == '\0')
        return -1;
    /* The top-level name ends at the first '.', '-' (of "->") or '['. */
    size_t n = strcspn(path, ".-[");
    if (n == 0)
        return -1;
    for (size_t i = 0; i < s->param_count; i++)
        if (strlen(s->params[i]) == n && memcmp(s->params[i], path, n) == 0)
            return (int)i;
    return -1;
}

int ui_scene_param(ui_scene *s, const char *path)
{
    int found = ui_scene_param_find(s, path);
    if (found >= 0 || path == NULL)
        return found;
    size_t n = strcspn(path, ".-[");
    if (n == 0)
        return -1;
    if (s->param_count == UI_SCENE_MAX_PARAMS)
        return (int)(UI_SCENE_MAX_PARAMS - 1);
    snprintf(s->params[s->param_count], UI_SCENE_NAME_MAX, "%.*s", (int)n, path);
    return (int)s->param_count++;
}

static void add_cell(ui_scene *s, const rs_trace_event *ev, size_t step)
{
    int side = ui_scene_side(ev);
    bool out = (ev->flags & RS_TRACE_FLAG_OUT) != 0;
    ui_cell *c = NULL;
    /* A parameter keeps its cell in its address space: a later event updates it in place, so
     * cells never reflow between steps. */
    for (size_t i = 0; i < s->cell_count; i++)
        if (s->cells[i].side == side && strcmp(s->cells[i].name, ev->name ? ev->name : "") == 0)
            c = &s->cells[i];
    if (c == NULL) {
        if (s->cell_count == UI_SCENE_MAX_CELLS) {
            s->cells_dropped++;
            return;
        }
        c = &s->cells[s->cell_count++];
        memset(c, 0, sizeof *c);
        c->side = side;
        copy(c->name, sizeof c->name, ev->name);
    }
    copy(c->c_type, sizeof c->c_type, ev->c_type);
    c->address = ev->address;
    c->value_len = ev->bytes_len < sizeof c->value ? ev->bytes_len : sizeof c->value;
    if (c->value_len > 0)
        memcpy(c->value, ev->bytes, c->value_len);
    c->size = ev->length;
    c->param = ui_scene_param(s, ev->name);
    c->out = out;
    c->written = ev->kind == RS_TRACE_PARAM_WRITTEN;
    c->step = step;
}

static ui_buffer *buffer_for(ui_scene *s, const rs_trace_event *ev)
{
    int side = ui_scene_side(ev);
    bool out = (ev->flags & RS_TRACE_FLAG_OUT) != 0;
    bool reading = ev->kind == RS_TRACE_NDR_GET;
    /* The newest buffer of this message; a field at offset 0 once it has fields begins the
     * next message (a second call may have the same call id, 0 before the runtime gave one). */
    for (size_t i = s->buffer_count; i-- > 0;) {
        ui_buffer *b = &s->buffers[i];
        if (b->side == side && b->call_id == ev->call_id && b->out == out && b->reading == reading) {
            if (ev->offset == 0 && b->field_count > 0)
                break;
            s->current_buffer = (int)i;
            return b;
        }
    }
    if (s->buffer_count == UI_SCENE_MAX_BUFFERS) {
        /* Drop the oldest: the window shows the recent messages. */
        free(s->buffers[0].bytes);
        free(s->buffers[0].fields);
        memmove(&s->buffers[0], &s->buffers[1], sizeof s->buffers[0] * (UI_SCENE_MAX_BUFFERS - 1));
        s->buffer_count--;
    }
    ui_buffer *b = &s->buffers[s->buffer_count];
    memset(b, 0, sizeof *b);
    b->side = side;
    b->call_id = ev->call_id;
    b->out = out;
    b->reading = reading;
    b->big_endian = (ev->flags & RS_TRACE_FLAG_BIG_ENDIAN) != 0;
    s->current_buffer = (int)s->buffer_count++;
    return b;
}

static void add_field(ui_scene *s, const rs_trace_event *ev, size_t step)
{
    ui_buffer *b = buffer_for(s, ev);
    size_t end = (size_t)ev->offset + ev->length;
    if (end > UI_SCENE_BUFFER_MAX)
        return;
    if (end > b->len) {
        uint8_t *grown = realloc(b->bytes, end);
        if (grown == NULL)
            return;
        memset(grown + b->len, 0, end - b->len);
        b->bytes = grown;
        b->len = end;
    }
    size_t n = ev->bytes_len < ev->length ? ev->bytes_len : ev->length;
    if (n > 0)
        memcpy(b->bytes + ev->offset, ev->bytes, n);
    if (b->field_count % 64 == 0) {
        if (b->field_count == UI_SCENE_MAX_FIELDS)
            return;
        ui_field *grown = realloc(b->fields, (b->field_count + 64) * sizeof *grown);
        if (grown == NULL)
            return;
        b->fields = grown;
    }
    ui_field *f = &b->fields[b->field_count++];
    copy(f->name, sizeof f->name, ev->name);
    copy(f->type, sizeof f->type, ev->ndr_type);
    f->offset = ev->offset;
    f->length = ev->length;
    f->role = ev->ndr_role;
    f->param = ev->ndr_role == RS_NDR_ROLE_PADDING ? -1 : ui_scene_param(s, ev->name);
    f->step = step;
}

static void add_pdu_sent(ui_scene *s, const rs_trace_event *ev, size_t step)
{
    if (s->pdu_count == UI_SCENE_MAX_PDUS) {
        free(s->pdus[0].bytes);
        memmove(&s->pdus[0], &s->pdus[1], sizeof s->pdus[0] * (UI_SCENE_MAX_PDUS - 1));
        s->pdu_count--;
    }
    ui_pdu *p = &s->pdus[s->pdu_count];
    memset(p, 0, sizeof *p);
    p->from = ui_scene_side(ev);
    p->call_id = ev->call_id;
    p->ptype = ev->ptype;
    p->sent_step = step;
    p->received_step = SIZE_MAX;
    char local[RS_TRACE_ENDPOINT_MAX], peer[RS_TRACE_ENDPOINT_MAX];
    if (rs_trace_endpoints(ev, local, peer))
        copy(p->to, sizeof p->to, peer);
    if (ev->bytes_len > 0) {
        p->bytes = malloc(ev->bytes_len);
        if (p->bytes != NULL) {
            memcpy(p->bytes, ev->bytes, ev->bytes_len);
            p->len = ev->bytes_len;
        }
    }
    /* The header says the rest: flags at offset 3; a fault's status at 24. */
    if (p->len >= RS_PDU_HEADER_SIZE) {
        p->ptype = p->bytes[2];
        p->flags = p->bytes[3];
        rs_endian e = (p->bytes[4] >> 4) == 0 ? RS_BE : RS_LE;
        p->call_id = rs_load_u32(p->bytes + 12, e);
        if (p->ptype == RS_PTYPE_FAULT && p->len >= 28)
            p->status = rs_load_u32(p->bytes + 24, e);
    }
    s->current_pdu = (int)s->pdu_count++;
}

static void pdu_received(ui_scene *s, const rs_trace_event *ev, size_t step)
{
    int to = ui_scene_side(ev);
    /* The oldest PDU in flight towards this side with the same bytes. */
    for (size_t i = 0; i < s->pdu_count; i++) {
        ui_pdu *p = &s->pdus[i];
        if (p->from != to && p->received_step == SIZE_MAX && p->len == ev->bytes_len &&
            (p->len == 0 || memcmp(p->bytes, ev->bytes, p->len) == 0)) {
            p->received_step = step;
            s->current_pdu = (int)i;
            return;
        }
    }
}

/* Side `side` closed a connection: what is still in flight towards its end will never be read. */
static void closed_under(ui_scene *s, const rs_trace_event *ev, int side)
{
    char local[RS_TRACE_ENDPOINT_MAX], peer[RS_TRACE_ENDPOINT_MAX];
    if (!rs_trace_endpoints(ev, local, peer) || !rs_trace_endpoint_has_port(local))
        return;
    for (size_t i = 0; i < s->pdu_count; i++) {
        ui_pdu *p = &s->pdus[i];
        if (p->from != side && p->received_step == SIZE_MAX && !p->dropped && p->to[0] != '\0' &&
            strcmp(p->to, local) == 0)
            p->dropped = p->closed = true;
    }
}

static void apply(ui_scene *s, const rs_trace_event *ev, size_t step)
{
    int side = ui_scene_side(ev);
    ui_side *sd = &s->sides[side];
    sd->seen = true;
    sd->pid = ev->pid;
    if (ev->procedure != NULL && ev->procedure[0] != '\0')
        copy(s->procedure, sizeof s->procedure, ev->procedure);
    if (ev->interface != NULL && ev->interface[0] != '\0')
        copy(s->interface, sizeof s->interface, ev->interface);
    switch (ev->kind) {
    case RS_TRACE_PARAM_READ:
    case RS_TRACE_PARAM_WRITTEN:
        add_cell(s, ev, step);
        break;
    case RS_TRACE_NDR_PUT:
    case RS_TRACE_NDR_GET:
        add_field(s, ev, step);
        break;
    case RS_TRACE_PDU_SENT:
        add_pdu_sent(s, ev, step);
        break;
    case RS_TRACE_PDU_RECEIVED:
        pdu_received(s, ev, step);
        break;
    case RS_TRACE_LISTEN:
    case RS_TRACE_CONNECT:
    case RS_TRACE_ACCEPT:
        /* A string binding names the endpoint; anything else is the connection's endpoints. */
        if (ev->text != NULL && strncmp(ev->text, "ncac", 4) == 0)
            copy(sd->binding, sizeof sd->binding, ev->text);
        else if (ev->kind != RS_TRACE_LISTEN)
            copy(sd->connection, sizeof sd->connection, ev->text && ev->text[0] ? ev->text : "connected");
        if (ev->kind == RS_TRACE_CONNECT && sd->connection[0] == '\0')
            copy(sd->connection, sizeof sd->connection, "connected");
        sd->was_connected |= ev->kind != RS_TRACE_LISTEN;
        break;
    case RS_TRACE_CLOSE:
        sd->connection[0] = '\0';
        closed_under(s, ev, side);
        break;
    case RS_TRACE_FAULT:
        s->fault = true;
        break;
    case RS_TRACE_ERROR:
        if (ev->text != NULL && strncmp(ev->text, KILLED, sizeof KILLED - 1) == 0) {
            sd->crashed = true; /* its last words: nothing comes after them */
            sd->connection[0] = '\0'; /* its connections die with it */
            copy(sd->crash_reason, sizeof sd->crash_reason, "killed (SIGKILL) by the lesson's fault");
        }
        if (ev->text != NULL && strncmp(ev->text, "drop", 4) == 0)
            for (size_t i = s->pdu_count; i-- > 0;) {
                ui_pdu *p = &s->pdus[i];
                if (p->from == side && p->received_step == SIZE_MAX && !p->dropped &&
                    (ev->ptype == 0 || p->ptype == ev->ptype)) {
                    p->dropped = true;
                    break;
                }
            }
        break;
    case RS_TRACE_CALL_BEGIN:
        s->fault = false;
        break;
    default:
        break;
    }
}

/* Gives every parameter of the timeline its colour index up front, in order of appearance. */
static void gather_params(ui_scene *s, const rs_trace_event *const *events, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        rs_trace_kind k = events[i]->kind;
        if (k == RS_TRACE_PARAM_READ || k == RS_TRACE_PARAM_WRITTEN ||
            ((k == RS_TRACE_NDR_PUT || k == RS_TRACE_NDR_GET) &&
             events[i]->ndr_role != RS_NDR_ROLE_PADDING))
            (void)ui_scene_param(s, events[i]->name);
    }
}

static bool same_bytes(const rs_trace_event *a, const rs_trace_event *b)
{
    return a->bytes_len == b->bytes_len &&
           (a->bytes_len == 0 || memcmp(a->bytes, b->bytes, a->bytes_len) == 0);
}

/* Pairs each PDU_SENT of the whole timeline with the PDU_RECEIVED of the same bytes on the other
 * side: the oldest unreceived one, as a connection delivers in order. */
static void gather_links(ui_scene *s, const rs_trace_event *const *events, size_t count)
{
    s->link_count = 0;
    for (size_t i = 0; i < count; i++) {
        const rs_trace_event *ev = events[i];
        if (ev->kind == RS_TRACE_PDU_SENT) {
            if (s->link_count == s->link_cap) {
                size_t cap = s->link_cap ? s->link_cap * 2 : 64;
                ui_link *grown = realloc(s->links, cap * sizeof *grown);
                if (grown == NULL)
                    return;
                s->links = grown;
                s->link_cap = cap;
            }
            ui_link *l = &s->links[s->link_count++];
            l->sent = i;
            l->received = SIZE_MAX;
            l->from = ui_scene_side(ev);
            l->ptype = ev->bytes_len > 2 ? ev->bytes[2] : ev->ptype;
            l->call_id = ev->call_id;
        } else if (ev->kind == RS_TRACE_PDU_RECEIVED) {
            int to = ui_scene_side(ev);
            for (size_t j = 0; j < s->link_count; j++) {
                ui_link *l = &s->links[j];
                if (l->from != to && l->received == SIZE_MAX && same_bytes(events[l->sent], ev)) {
                    l->received = i;
                    break;
                }
            }
        }
    }
}

/* Finds, for each request and response fragment, the NDR buffer its stub data came from and
 * where in it, so that the inspector can colour a PDU's stub bytes by parameter. */
static void link_pdus_to_buffers(ui_scene *s)
{
    for (size_t i = 0; i < s->pdu_count; i++) {
        ui_pdu *p = &s->pdus[i];
        p->buffer = -1;
        if (p->ptype != RS_PTYPE_REQUEST && p->ptype != RS_PTYPE_RESPONSE)
            continue;
        rs_buf in;
        rs_pdu d;
        rs_buf_view(&in, p->bytes, p->len);
        if (p->len == 0 || rs_pdu_decode(&in, &d) != RS_OK)
            continue;
        /* A fragment's stub data follows the earlier fragments' of the same message. */
        p->stub_offset = 0;
        if (!(p->flags & RS_PFC_FIRST_FRAG))
            for (size_t j = i; j-- > 0;) {
                const ui_pdu *q = &s->pdus[j];
                if (q->from == p->from && q->call_id == p->call_id && q->ptype == p->ptype) {
                    size_t q_stub = q->len - (p->len - d.stub_len); /* same header size */
                    p->stub_offset = q->stub_offset + q_stub;
                    break;
                }
            }
        bool out = p->ptype == RS_PTYPE_RESPONSE;
        for (int pass = 0; pass < 2 && p->buffer < 0; pass++)
            for (size_t b = 0; b < s->buffer_count; b++) {
                const ui_buffer *buf = &s->buffers[b];
                if (buf->out != out || (pass == 0 && buf->side != p->from))
                    continue;
                if (p->stub_offset >= buf->len || d.stub_len == 0)
                    continue;
                size_t n = buf->len - p->stub_offset;
                if (n > d.stub_len)
                    n = d.stub_len;
                if (memcmp(buf->bytes + p->stub_offset, d.stub, n) == 0) {
                    p->buffer = (int)b;
                    break;
                }
            }
    }
}

void ui_scene_build(ui_scene *s, const rs_trace_event *const *events, size_t count, size_t step)
{
    clear(s);
    s->event_count = count;
    s->events = events;
    if (count == 0)
        return;
    if (step >= count)
        step = count - 1;
    gather_params(s, events, count);
    gather_links(s, events, count);
    s->token_side = s->prev_token_side = UI_CLIENT;
    s->token_layer = s->prev_token_layer = RS_TRACE_LAYER_APPLICATION;
    for (size_t i = 0; i <= step; i++) {
        const rs_trace_event *ev = events[i];
        s->prev_token_side = s->token_side;
        s->prev_token_layer = s->token_layer;
        s->token_side = ui_scene_side(ev);
        s->token_layer = ev->layer ? (int)ev->layer : (int)rs_trace_kind_layer(ev->kind);
        if (s->token_layer < RS_TRACE_LAYER_APPLICATION || s->token_layer > RS_TRACE_LAYER_TRANSPORT)
            s->token_layer = RS_TRACE_LAYER_RUNTIME;
        s->lane_last[s->token_side][s->token_layer] = i;
        apply(s, ev, i);
    }
    s->step = step;
    s->current = events[step];
    for (size_t i = 0; i < s->pdu_count; i++)
        if (s->pdus[i].ptype == RS_PTYPE_FAULT && s->pdus[i].sent_step <= step) {
            s->fault = true;
            s->fault_status = s->pdus[i].status;
        }
    link_pdus_to_buffers(s);
}

int ui_scene_field_at(const ui_buffer *b, size_t offset)
{
    /* The last field that begins at or before offset, by binary search over offsets that only
     * grow; then back over fields that end before it (a later field may cover more). */
    size_t lo = 0, hi = b->field_count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (b->fields[mid].offset <= offset)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (size_t i = lo; i-- > 0;) {
        const ui_field *f = &b->fields[i];
        if (offset >= f->offset && offset < (size_t)f->offset + f->length)
            return (int)i;
        if (lo - i > 8)
            break; /* fields do not overlap: the nearest few are enough */
    }
    return -1;
}

int ui_scene_pdu_by_step(const ui_scene *s, size_t sent_step)
{
    for (size_t i = 0; i < s->pdu_count; i++)
        if (s->pdus[i].sent_step == sent_step)
            return (int)i;
    return -1;
}

int ui_scene_buffer_by_step(const ui_scene *s, size_t step)
{
    for (size_t i = 0; i < s->buffer_count; i++)
        if (s->buffers[i].field_count > 0 && s->buffers[i].fields[0].step == step)
            return (int)i;
    return -1;
}
