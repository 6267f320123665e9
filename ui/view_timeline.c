/* view_timeline.c -- the timeline: every event as a space-time diagram. See view_draw.h. */
#include "view_draw.h"

#include <math.h>
#include <stdio.h>

#include "ndr.h"
#include "pdu.h"

static ui_color event_color(const V *v, const rs_trace_event *ev)
{
    const ui_theme *t = v->t;
    switch (ev->kind) {
    case RS_TRACE_FAULT:
    case RS_TRACE_ERROR:
    case RS_TRACE_TIMEOUT:
    case RS_TRACE_BIND_NAK:
        return t->fault;
    case RS_TRACE_PARAM_READ:
    case RS_TRACE_PARAM_WRITTEN:
    case RS_TRACE_NDR_PUT:
    case RS_TRACE_NDR_GET: {
        if (ev->ndr_role == RS_NDR_ROLE_PADDING && (ev->kind == RS_TRACE_NDR_PUT || ev->kind == RS_TRACE_NDR_GET))
            return t->padding;
        int p = ui_scene_param_find(v->s, ev->name);
        return p >= 0 ? ui_theme_param_color(t, (unsigned)p) : t->text_dim;
    }
    case RS_TRACE_PDU_BUILT:
    case RS_TRACE_PDU_SENT:
    case RS_TRACE_PDU_RECEIVED:
    case RS_TRACE_PDU_REASSEMBLED:
        return t->network;
    default:
        return t->text_dim;
    }
}

/* An event in a word or two, for the narrow timeline: "max_count", "send request". */
static void tiny_label(char *out, size_t size, const rs_trace_event *ev)
{
    const char *name = ev->name ? ev->name : "";
    const char *ptype = rs_pdu_type_name(ev->bytes_len > 2 ? ev->bytes[2] : ev->ptype);
    switch (ev->kind) {
    case RS_TRACE_CALL_BEGIN: snprintf(out, size, "call"); break;
    case RS_TRACE_CALL_END: snprintf(out, size, "return"); break;
    case RS_TRACE_PARAM_READ: snprintf(out, size, "read %s", name); break;
    case RS_TRACE_PARAM_WRITTEN: snprintf(out, size, "write %s", name); break;
    case RS_TRACE_NDR_PUT:
    case RS_TRACE_NDR_GET:
        if (ev->ndr_role == RS_NDR_ROLE_DATA)
            snprintf(out, size, "%s", name);
        else
            snprintf(out, size, "%s", ev->ndr_role == RS_NDR_ROLE_PADDING ? "pad"
                                      : rs_ndr_role_name((rs_ndr_role)ev->ndr_role));
        break;
    case RS_TRACE_PDU_BUILT: snprintf(out, size, "build %s", ptype); break;
    case RS_TRACE_PDU_SENT: snprintf(out, size, "send %s", ptype); break;
    case RS_TRACE_PDU_RECEIVED: snprintf(out, size, "recv %s", ptype); break;
    case RS_TRACE_PDU_REASSEMBLED: snprintf(out, size, "stub ready"); break;
    case RS_TRACE_DISPATCH: snprintf(out, size, "dispatch"); break;
    case RS_TRACE_PROCEDURE_ENTER: snprintf(out, size, "run"); break;
    case RS_TRACE_PROCEDURE_RETURN: snprintf(out, size, "done"); break;
    default: {
        /* "BIND_ACK" as "bind_ack" */
        const char *k = rs_trace_kind_name(ev->kind);
        size_t i = 0;
        for (; k[i] && i + 1 < size; i++)
            out[i] = (char)(k[i] >= 'A' && k[i] <= 'Z' ? k[i] - 'A' + 'a' : k[i]);
        out[i] = '\0';
    }
    }
}

void vw_draw_timeline(V *v)
{
    const ui_scene *s = v->s;
    const ui_theme *t = v->t;
    const ui_metrics *m = v->m;
    ui_rect P = v->l->timeline;
    if (ui_rect_empty(P))
        return;
    ui_draw_rect(v->dl, P, t->panel, m->radius, ui_view_id(UI_HIT_PANEL, UI_PANEL_TIMELINE));
    ui_draw_frame(v->dl, P, t->panel_edge, m->radius, 1, UI_ID_NONE);
    ui_rect in = ui_rect_inset(P, m->gap, roundf(m->gap * 0.8f));
    if (in.w < 60 * m->scale)
        return; /* still sliding open */
    vw_label(v, ui_rect_cut_top(&in, m->line), UI_FONT_SANS_BOLD, m->body, t->text_strong, UI_ALIGN_LEFT, UI_ID_NONE,
             "timeline");
    ui_rect heads = ui_rect_cut_top(&in, m->small_line);
    float xc = roundf(in.x + in.w * 0.36f), xs = roundf(in.x + in.w * 0.64f);
    vw_label(v, (ui_rect){xc - in.w * 0.2f, heads.y, in.w * 0.4f, heads.h}, UI_FONT_SANS_BOLD, m->small, t->client,
             UI_ALIGN_CENTER, UI_ID_NONE, "client");
    vw_label(v, (ui_rect){xs - in.w * 0.2f, heads.y, in.w * 0.4f, heads.h}, UI_FONT_SANS_BOLD, m->small, t->server,
             UI_ALIGN_CENTER, UI_ID_NONE, "server");
    ui_rect_cut_top(&in, roundf(m->gap * 0.5f));
    size_t count = s->event_count;
    if (count == 0)
        return;
    /* Rows tall enough for their words: the diagram scrolls (following the current step)
     * rather than squeezing a long session into dots. */
    float min_row = roundf(m->small_line * 0.95f), max_row = m->line;
    float row = fminf(max_row, fmaxf(min_row, in.h / (float)count));
    int visible = (int)floorf(in.h / row);
    int first = 0;
    if ((size_t)visible < count) {
        visible = (int)fmaxf(1, floorf((in.h - m->small_line) / row)); /* room for "12-45 of 51" */
        if (v->vs->timeline_scroll >= 0)
            first = v->vs->timeline_scroll;
        else
            first = (int)(s->step == SIZE_MAX ? 0 : s->step) - visible / 2;
        if (first > (int)count - visible)
            first = (int)count - visible;
        if (first < 0)
            first = 0;
    } else {
        visible = (int)count;
    }
    v->out->timeline_first = first;
    v->out->timeline_visible = visible;
    size_t last = (size_t)first + (size_t)visible;

    /* The two processes' lines; what has not happened yet (in this view) is faint. */
    float y_top = in.y, y_bottom = in.y + (float)visible * row;
    ui_draw_line(v->dl, xc, y_top, xc, y_bottom, vw_fade(t->client, 0.6f), roundf(2 * m->scale));
    ui_draw_line(v->dl, xs, y_top, xs, y_bottom, vw_fade(t->server, 0.6f), roundf(2 * m->scale));
    ui_draw_clip(v->dl, in);
    /* The current step: a band across, with its number. */
    if (s->step != SIZE_MAX && s->step >= (size_t)first && s->step < last) {
        float y = in.y + (float)(s->step - (size_t)first) * row;
        ui_draw_rect(v->dl, (ui_rect){in.x, y, in.w, row}, vw_fade(t->accent, 0.16f), 0, UI_ID_NONE);
        ui_draw_rect(v->dl, (ui_rect){in.x, y, roundf(3 * m->scale), row}, t->accent, 0, UI_ID_NONE);
    }
    /* PDUs: arrows from the sender's line at its send to the receiver's at its arrival. */
    for (size_t i = 0; i < s->link_count; i++) {
        const ui_link *k = &s->links[i];
        size_t end = k->received != SIZE_MAX ? k->received : k->sent + 1;
        if (end < (size_t)first || k->sent >= last)
            continue;
        float y0 = in.y + ((float)k->sent - (float)first + 0.5f) * row;
        float y1 = in.y + ((float)end - (float)first + 0.5f) * row;
        float x0 = k->from == UI_CLIENT ? xc : xs, x1 = k->from == UI_CLIENT ? xs : xc;
        bool future = s->step == SIZE_MAX || end > s->step;
        bool dim = v->vs->call_filter != 0 && k->call_id != v->vs->call_filter;
        ui_color c = k->ptype == RS_PTYPE_FAULT || k->ptype == RS_PTYPE_BIND_NAK ? t->fault : t->network;
        if (k->received == SIZE_MAX)
            x1 = (x0 + x1) / 2; /* never arrived */
        ui_draw_arrow(v->dl, x0, y0, x1, y1, vw_fade(c, future || dim ? 0.3f : 1), roundf(2 * m->scale));
    }
    /* The events: one mark each on its process's line, and a label when there is room. */
    float r = fmaxf(2, fminf(row * 0.32f, 6 * m->scale));
    bool labels = row >= m->small_line * 0.95f;
    for (size_t i = (size_t)first; i < last && i < count; i++) {
        const rs_trace_event *ev = s->events[i];
        int side = ui_scene_side(ev);
        float x = side == UI_CLIENT ? xc : xs;
        float y = in.y + ((float)i - (float)first + 0.5f) * row;
        bool future = s->step == SIZE_MAX || i > s->step;
        bool dim = v->vs->call_filter != 0 && ev->call_id != v->vs->call_filter && ev->call_id != 0;
        float a = future ? 0.3f : dim ? 0.35f : 1;
        int id = ui_view_id(UI_HIT_EVENT, (int)i);
        ui_rect rowr = {in.x, y - row / 2, in.w, row};
        vw_hit_area(v, rowr, id);
        bool hot = vw_hovered(v, UI_HIT_EVENT, (int)i);
        bool lit = v->focus_param >= 0 && ui_scene_param_find(s, ev->name) == v->focus_param &&
                   ev->kind != RS_TRACE_PDU_SENT;
        if (hot) {
            ui_draw_rect(v->dl, rowr, vw_fade(t->text, 0.08f), 0, UI_ID_NONE);
            v->tip = true;
            v->tip_at = (ui_rect){x - r, y - r, 2 * r, 2 * r};
        }
        float rr = lit || i == s->step ? r * 1.4f : r;
        ui_draw_rect(v->dl, (ui_rect){x - rr, y - rr, 2 * rr, 2 * rr}, vw_fade(event_color(v, ev), a), rr, UI_ID_NONE);
        if (lit)
            ui_draw_frame(v->dl, (ui_rect){x - rr - 1, y - rr - 1, 2 * rr + 2, 2 * rr + 2}, t->text_strong, rr + 1,
                          m->stroke, UI_ID_NONE);
        if (labels || i == s->step) {
            char words[96];
            tiny_label(words, sizeof words, ev);
            float lw = side == UI_CLIENT ? x - in.x - 2 * r - m->gap : in.x + in.w - x - 2 * r - m->gap;
            ui_rect lr = side == UI_CLIENT ? (ui_rect){in.x, y - m->small_line / 2, lw, m->small_line}
                                           : (ui_rect){x + 2 * r + m->gap, y - m->small_line / 2, lw, m->small_line};
            vw_label(v, lr, i == s->step ? UI_FONT_SANS_BOLD : UI_FONT_SANS, m->small,
                     vw_fade(i == s->step ? t->text_strong : t->text, a), side == UI_CLIENT ? UI_ALIGN_RIGHT : UI_ALIGN_LEFT,
                     UI_ID_NONE, words);
        }
    }
    ui_draw_clip(v->dl, (ui_rect){0, 0, 0, 0});
    if ((size_t)visible < count) {
        char range[64];
        snprintf(range, sizeof range, "%d\xE2\x80\x93%zu of %zu", first + 1, last < count ? last : count, count);
        vw_label(v, (ui_rect){in.x, y_bottom, in.w, m->small_line}, UI_FONT_SANS, m->small, t->text_dim,
                 UI_ALIGN_RIGHT, UI_ID_NONE, range);
    }
}
