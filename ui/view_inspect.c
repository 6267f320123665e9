/* view_inspect.c -- what the inspector shows, and what is in focus. See view_draw.h. */
#include "view_draw.h"

#include <string.h>

#include "ndr.h"
#include "pdu.h"

#define EVENT_WALK_MAX 100000   /* how far back the inspector looks for something to show */

static bool is_pdu_kind(rs_trace_kind k)
{
    return k == RS_TRACE_PDU_BUILT || k == RS_TRACE_PDU_SENT || k == RS_TRACE_PDU_RECEIVED;
}

/* The buffer that holds the field event `i` made, found by the step in its fields (they are in
 * step order), or -1. */
static int buffer_of_step(const ui_scene *s, size_t i)
{
    for (size_t b = 0; b < s->buffer_count; b++) {
        const ui_buffer *buf = &s->buffers[b];
        if (buf->field_count == 0 || buf->fields[0].step > i || buf->fields[buf->field_count - 1].step < i)
            continue;
        size_t lo = 0, hi = buf->field_count;
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            if (buf->fields[mid].step < i)
                lo = mid + 1;
            else
                hi = mid;
        }
        if (lo < buf->field_count && buf->fields[lo].step == i)
            return (int)b;
    }
    return -1;
}

static ui_inspect inspect_of_event(const ui_scene *s, size_t i)
{
    const rs_trace_event *ev = vw_event_at(s, i);
    ui_inspect none = {UI_INSPECT_NONE, 0};
    if (ev == NULL)
        return none;
    if (ev->kind == RS_TRACE_NDR_PUT || ev->kind == RS_TRACE_NDR_GET) {
        int b = buffer_of_step(s, i);
        if (b >= 0)
            return (ui_inspect){UI_INSPECT_BUFFER, s->buffers[b].fields[0].step};
    } else if (is_pdu_kind(ev->kind) && ev->bytes_len >= RS_PDU_HEADER_SIZE) {
        return (ui_inspect){UI_INSPECT_PDU, i};
    } else if (ev->kind == RS_TRACE_PDU_REASSEMBLED && ev->bytes_len > 0) {
        return (ui_inspect){UI_INSPECT_STUB, i};
    }
    return none;
}

static bool inspect_valid(const ui_scene *s, ui_inspect in)
{
    switch (in.kind) {
    case UI_INSPECT_BUFFER:
        return ui_scene_buffer_by_step(s, in.step) >= 0;
    case UI_INSPECT_PDU:
    case UI_INSPECT_STUB:
        return in.step <= s->step && inspect_of_event(s, in.step).kind == in.kind;
    default:
        return false;
    }
}

ui_inspect ui_view_inspected(const ui_scene *s, const ui_view_state *vs)
{
    ui_inspect none = {UI_INSPECT_NONE, 0};
    if (s == NULL || s->step == SIZE_MAX)
        return none;
    const ui_hit *sel = &vs->selected;
    switch (sel->kind) {
    case UI_HIT_BYTE:
    case UI_HIT_FIELD:
    case UI_HIT_HEADER:
        if (inspect_valid(s, sel->in))
            return sel->in;
        break;
    case UI_HIT_PDU:
    case UI_HIT_EVENT:
        if ((size_t)sel->index <= s->step) {
            ui_inspect in = inspect_of_event(s, (size_t)sel->index);
            if (in.kind != UI_INSPECT_NONE)
                return in;
        }
        break;
    case UI_HIT_CELL:
        if ((size_t)sel->index < s->cell_count) {
            int p = s->cells[sel->index].param;
            /* The buffer of that parameter's side, the newest; else any with the parameter. */
            for (int pass = 0; pass < 2; pass++)
                for (size_t b = s->buffer_count; b-- > 0;) {
                    const ui_buffer *buf = &s->buffers[b];
                    if (pass == 0 && buf->side != s->cells[sel->index].side)
                        continue;
                    for (size_t f = 0; f < buf->field_count; f++)
                        if (buf->fields[f].param == p)
                            return (ui_inspect){UI_INSPECT_BUFFER, buf->fields[0].step};
                }
        }
        break;
    default:
        break;
    }
    /* The most recent thing with bytes, up to the current step. */
    for (size_t i = s->step + 1, walked = 0; i-- > 0 && walked < EVENT_WALK_MAX; walked++) {
        ui_inspect in = inspect_of_event(s, i);
        if (in.kind != UI_INSPECT_NONE)
            return in;
    }
    return none;
}

/* The buffer whose bytes at some fragment offset equal `stub` (the scene's PDU knows which). */
static void match_stub(V *v, const uint8_t *pdu, size_t pdu_len, const uint8_t *stub, size_t n, int side)
{
    const ui_scene *s = v->s;
    v->buf = NULL;
    v->stub_offset = 0;
    for (size_t i = 0; pdu != NULL && i < s->pdu_count; i++) {
        const ui_pdu *p = &s->pdus[i];
        if (p->len == pdu_len && p->buffer >= 0 && memcmp(p->bytes, pdu, pdu_len) == 0) {
            v->buf = &s->buffers[p->buffer];
            v->stub_offset = p->stub_offset;
            return;
        }
    }
    for (int pass = 0; pass < 2 && n > 0; pass++)
        for (size_t b = 0; b < s->buffer_count; b++) {
            const ui_buffer *buf = &s->buffers[b];
            if (pass == 0 && buf->side != side)
                continue;
            size_t k = buf->len < n ? buf->len : n;
            if (k > 0 && memcmp(buf->bytes, stub, k) == 0) {
                v->buf = buf;
                return;
            }
        }
}

void vw_resolve_inspected(V *v)
{
    const ui_scene *s = v->s;
    v->in = ui_view_inspected(s, v->vs);
    v->bytes = NULL;
    v->len = v->stub_start = v->stub_len = v->stub_offset = 0;
    v->buf = NULL;
    v->hdr_count = 0;
    v->big_endian = false;
    if (v->in.kind == UI_INSPECT_BUFFER) {
        int b = ui_scene_buffer_by_step(s, v->in.step);
        v->buf = &s->buffers[b];
        v->bytes = v->buf->bytes;
        v->len = v->stub_len = v->buf->len;
        v->big_endian = v->buf->big_endian;
    } else if (v->in.kind == UI_INSPECT_PDU || v->in.kind == UI_INSPECT_STUB) {
        const rs_trace_event *ev = vw_event_at(s, v->in.step);
        v->bytes = ev->bytes;
        v->len = ev->bytes_len;
        v->big_endian = (ev->flags & RS_TRACE_FLAG_BIG_ENDIAN) != 0;
        int side = ui_scene_side(ev);
        if (v->in.kind == UI_INSPECT_PDU) {
            v->big_endian = v->len > 4 && (v->bytes[4] >> 4) == RS_NDR_DREP_INT_BIG_ENDIAN;
            v->hdr_count = ui_format_pdu_fields(v->bytes, v->len, v->hdr, UI_PDU_FIELDS_MAX);
            for (size_t i = 0; i < v->hdr_count; i++)
                if (v->hdr[i].stub) {
                    v->stub_start = v->hdr[i].offset;
                    v->stub_len = v->hdr[i].length;
                }
            int sender = ev->kind == RS_TRACE_PDU_RECEIVED ? 1 - side : side;
            match_stub(v, v->bytes, v->len, v->bytes + v->stub_start, v->stub_len, sender);
        } else {
            v->stub_len = v->len;
            match_stub(v, NULL, 0, v->bytes, v->len, 1 - side);
        }
    }
    v->out->inspected = v->in;
    v->out->inspected_len = v->len;
}

static bool in_stub(const V *v, size_t b)
{
    return b >= v->stub_start && b < v->stub_start + v->stub_len;
}

/* The run of bytes around byte b that one field covers (clipped to the shown stub data). */
seg vw_seg_at(const V *v, size_t b)
{
    seg g = {b, b + 1, -1, -1, -1, -1, SIZE_MAX};
    if (v->in.kind == UI_INSPECT_PDU && !in_stub(v, b)) {
        for (size_t i = 0; i < v->hdr_count; i++) {
            const ui_pdu_field *h = &v->hdr[i];
            if (!h->stub && b >= h->offset && b < (size_t)h->offset + h->length) {
                g.begin = h->offset;
                g.end = (size_t)h->offset + h->length;
                g.header = (int)i;
                g.step = v->in.step;
                return g;
            }
        }
        return g;
    }
    if (v->buf == NULL)
        return g;
    size_t off = v->stub_offset + (b - v->stub_start);
    int j = ui_scene_field_at(v->buf, off);
    if (j < 0)
        return g;
    const ui_field *f = &v->buf->fields[j];
    size_t lo = v->stub_offset, hi = v->stub_offset + v->stub_len;
    size_t fb = f->offset > lo ? f->offset : lo;
    size_t fe = (size_t)f->offset + f->length < hi ? (size_t)f->offset + f->length : hi;
    g.begin = v->stub_start + (fb - v->stub_offset);
    g.end = v->stub_start + (fe - v->stub_offset);
    g.field = j;
    g.param = f->param;
    g.role = f->role;
    g.step = f->step;
    return g;
}

/* Field j of v->buf as a range of the inspected bytes; false if it is not among them. */
bool vw_field_range(const V *v, int j, size_t *b, size_t *e)
{
    if (v->buf == NULL || j < 0 || (size_t)j >= v->buf->field_count)
        return false;
    const ui_field *f = &v->buf->fields[j];
    size_t lo = v->stub_offset, hi = v->stub_offset + v->stub_len;
    if ((size_t)f->offset + f->length <= lo || f->offset >= hi)
        return false;
    size_t fb = f->offset > lo ? f->offset : lo;
    size_t fe = (size_t)f->offset + f->length < hi ? (size_t)f->offset + f->length : hi;
    *b = v->stub_start + (fb - lo);
    *e = v->stub_start + (fe - lo);
    return true;
}

bool vw_same_inspect(ui_inspect a, ui_inspect b)
{
    return a.kind == b.kind && a.step == b.step;
}

void vw_resolve_focus(V *v)
{
    const ui_scene *s = v->s;
    const ui_view_state *vs = v->vs;
    ui_hit h = vs->hover;
    switch (h.kind) {
    case UI_HIT_CELL: case UI_HIT_BYTE: case UI_HIT_FIELD: case UI_HIT_HEADER:
    case UI_HIT_PDU: case UI_HIT_EVENT:
        break;
    default:
        h = vs->selected;
    }
    v->focus = h;
    v->focus_param = v->focus_field = v->focus_header = -1;
    v->fb = v->fe = 0;
    switch (h.kind) {
    case UI_HIT_CELL:
        if ((size_t)h.index < s->cell_count)
            v->focus_param = s->cells[h.index].param;
        break;
    case UI_HIT_BYTE:
        if (vw_same_inspect(h.in, v->in) && (size_t)h.index < v->len) {
            seg g = vw_seg_at(v, (size_t)h.index);
            v->focus_param = g.param;
            v->focus_field = g.field;
            v->focus_header = g.header;
            v->fb = g.begin;
            v->fe = g.end;
        }
        break;
    case UI_HIT_FIELD:
        if (vw_same_inspect(h.in, v->in) && vw_field_range(v, h.index, &v->fb, &v->fe)) {
            v->focus_field = h.index;
            v->focus_param = v->buf->fields[h.index].param;
        }
        break;
    case UI_HIT_HEADER:
        if (vw_same_inspect(h.in, v->in) && (size_t)h.index < v->hdr_count) {
            v->focus_header = h.index;
            v->fb = v->hdr[h.index].offset;
            v->fe = v->fb + v->hdr[h.index].length;
        }
        break;
    case UI_HIT_EVENT: {
        const rs_trace_event *ev = vw_event_at(s, (size_t)h.index);
        if (ev != NULL && (ev->kind == RS_TRACE_NDR_PUT || ev->kind == RS_TRACE_NDR_GET ||
                           ev->kind == RS_TRACE_PARAM_READ || ev->kind == RS_TRACE_PARAM_WRITTEN) &&
            ev->ndr_role != RS_NDR_ROLE_PADDING)
            v->focus_param = ui_scene_param_find(s, ev->name);
        break;
    }
    default:
        break;
    }
    /* A parameter in focus lights up all of its bytes. */
    if (v->focus_param >= 0 && v->focus_field < 0 && v->buf != NULL) {
        size_t lo = SIZE_MAX, hi = 0;
        for (size_t j = 0; j < v->buf->field_count; j++) {
            size_t b, e;
            if (v->buf->fields[j].param == v->focus_param && vw_field_range(v, (int)j, &b, &e)) {
                if (b < lo)
                    lo = b;
                if (e > hi)
                    hi = e;
            }
        }
        if (lo < hi) {
            v->fb = lo;
            v->fe = hi;
        }
    }
    v->out->focus_param = v->focus_param;
    v->out->focus_begin = (uint32_t)v->fb;
    v->out->focus_end = (uint32_t)v->fe;
}
