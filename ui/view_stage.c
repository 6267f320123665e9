/* view_stage.c -- the stage: the two address spaces, their lanes, and the call token. See view_draw.h. */
#include "view_draw.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>

#include "status.h"

#define LANE_LOG_MAX 4          /* events a lane lists, newest first */
#define LANE_WALK_MAX 2048      /* how far back a lane looks for them */

static const char *const lane_names[UI_LANES] = {"application", "stub", "RPC runtime", "transport"};
static const char *const lane_notes[UI_LANES] = {"the program", "generated: marshals", "PDUs, dispatch",
                                                 "the socket"};

static ui_color side_color(const ui_theme *t, int side)
{
    return side == UI_SERVER ? t->server : t->client;
}

static ui_rect lane_rect(const V *v, int side, int layer)
{
    if (layer < RS_TRACE_LAYER_APPLICATION || layer > RS_TRACE_LAYER_TRANSPORT)
        layer = RS_TRACE_LAYER_RUNTIME;
    return v->l->lane[side][layer - 1];
}

static void draw_lanes(V *v, int side)
{
    const ui_scene *s = v->s;
    const ui_theme *t = v->t;
    const ui_metrics *m = v->m;
    float token_col = roundf(v->m->line * 0.45f) * 4.4f;
    for (int i = 0; i < UI_LANES; i++) {
        ui_rect r = v->l->lane[side][i];
        bool here = s->step != SIZE_MAX && s->token_side == side && s->token_layer == i + 1;
        ui_draw_rect(v->dl, r, i % 2 ? t->lane_alt : t->lane, roundf(m->radius * 0.6f),
                     ui_view_id(UI_HIT_LANE, side * UI_LANES + i));
        if (here) {
            ui_draw_rect(v->dl, r, vw_fade(t->accent, 0.10f * v->e), roundf(m->radius * 0.6f), UI_ID_NONE);
            ui_draw_frame(v->dl, r, vw_fade(t->accent, 0.8f * v->e), roundf(m->radius * 0.6f), m->stroke, UI_ID_NONE);
        }
        ui_rect in = ui_rect_inset(r, m->gap, roundf(m->gap * 0.5f));
        if (side == UI_CLIENT)
            ui_rect_cut_right(&in, token_col);
        else
            ui_rect_cut_left(&in, token_col);
        /* The lane's name, and what it is; in a short lane, the name beside its words. */
        bool one_row = !ui_layout_lanes_two_rows(v->l);
        float lh = one_row ? in.h : m->small_line;
        float nw = vw_label(v, (ui_rect){in.x, in.y, in.w, lh}, UI_FONT_SANS_BOLD, m->small,
                            here ? t->text_strong : t->text_dim, UI_ALIGN_LEFT, UI_ID_NONE, lane_names[i]);
        if (!one_row && nw > 0 && nw + m->gap + vw_text_width(v, UI_FONT_SANS, m->small, lane_notes[i]) <= in.w)
            vw_label(v, (ui_rect){in.x + nw + m->gap, in.y, in.w - nw - m->gap, lh}, UI_FONT_SANS, m->small,
                     t->text_dim, UI_ALIGN_LEFT, UI_ID_NONE, lane_notes[i]);
        if (one_row) {
            float name_w = vw_text_width(v, UI_FONT_SANS_BOLD, m->small, "RPC runtime") + m->pad;
            in.x += name_w;
            in.w -= name_w;
            lh = 0;
        }
        /* What it did last, and before that as far as there is room: a short log of the
         * lane, newest first; the current step's words strong. */
        ui_rect cr = {in.x, in.y + lh, in.w, in.h - lh};
        int rows = (int)fmaxf(1, floorf(cr.h / m->line));
        if (rows > LANE_LOG_MAX)
            rows = LANE_LOG_MAX;
        size_t shown[LANE_LOG_MAX];
        int count = 0;
        size_t last = s->lane_last[side][i + 1];
        for (size_t k = last, walked = 0; k != SIZE_MAX && count < rows && walked < LANE_WALK_MAX; k--, walked++) {
            const rs_trace_event *ev = vw_event_at(s, k);
            int layer = ev->layer ? (int)ev->layer : (int)rs_trace_kind_layer(ev->kind);
            if (ui_scene_side(ev) == side && layer == i + 1)
                shown[count++] = k;
            if (k == 0)
                break;
        }
        float y = cr.y;
        for (int k = 0; k < count; k++, y += m->line) {
            const rs_trace_event *ev = vw_event_at(s, shown[k]);
            char words[160], step[24];
            ui_format_event_short(words, sizeof words, ev);
            snprintf(step, sizeof step, "%zu", shown[k] + 1);
            ui_rect row = {cr.x, y, cr.w, rows == 1 ? cr.h : m->line};
            float sw = vw_text_width(v, UI_FONT_MONO, m->small, step) + m->gap;
            float age = k == 0 ? 1 : fmaxf(0.35f, 0.8f - 0.15f * (float)k);
            bool fresh = shown[k] == s->step;
            ui_color ink = fresh ? vw_fade(t->text_strong, 0.35f + 0.65f * v->e) : vw_fade(t->text, age);
            if (ev->kind == RS_TRACE_CALL_END && s->fault && shown[k] == last) {
                const char *name = rs_fault_name(s->fault_status);
                snprintf(words, sizeof words, "the call failed: %s", name ? name : "fault");
                ink = t->fault;
            } else if (ev->kind == RS_TRACE_FAULT || ev->kind == RS_TRACE_ERROR) {
                ink = vw_fade(t->fault, age);
            }
            vw_label(v, (ui_rect){row.x + row.w - sw + m->gap, row.y, sw - m->gap, row.h}, UI_FONT_MONO, m->small,
                     vw_fade(t->text_dim, age), UI_ALIGN_RIGHT, UI_ID_NONE, step);
            vw_label(v, (ui_rect){row.x, row.y, row.w - sw, row.h}, fresh ? UI_FONT_SANS_BOLD : UI_FONT_SANS,
                     k == 0 ? m->body : m->small, ink, UI_ALIGN_LEFT, UI_ID_NONE, words);
        }
    }
}

static void draw_side(V *v, int side)
{
    const ui_scene *s = v->s;
    const ui_theme *t = v->t;
    const ui_metrics *m = v->m;
    ui_rect r = v->l->side[side];
    const ui_side *sd = &s->sides[side];
    ui_color role = side_color(t, side);
    ui_draw_rect(v->dl, r, t->panel, m->radius, ui_view_id(UI_HIT_PANEL, UI_PANEL_STAGE));
    ui_draw_frame(v->dl, r, t->panel_edge, m->radius, 1, UI_ID_NONE);
    ui_draw_rect(v->dl, (ui_rect){r.x + m->radius, r.y, r.w - 2 * m->radius, roundf(4 * m->scale)}, role, 0,
                 UI_ID_NONE);

    ui_rect head = v->l->side_head[side];
    vw_hit_area(v, head, ui_view_id(UI_HIT_SIDE, side));
    const char *title = side == UI_CLIENT ? "client" : "server";
    float tw = vw_label(v, head, UI_FONT_SANS_BOLD, m->title, role, UI_ALIGN_LEFT, UI_ID_NONE, title);
    char sub[160];
    if (sd->seen)
        snprintf(sub, sizeof sub, "process %" PRIu32, sd->pid);
    else
        snprintf(sub, sizeof sub, "not started yet");
    vw_label(v, (ui_rect){head.x + tw + m->pad, head.y, head.w - tw - m->pad, m->title_line}, UI_FONT_SANS, m->small,
             t->text_dim, UI_ALIGN_LEFT, UI_ID_NONE, sub);

    draw_lanes(v, side);
    vw_draw_memory(v, side);

    bool gone = sd->crashed || v->vs->process_gone[side] != NULL;
    if (gone) {
        ui_draw_rect(v->dl, r, t->overlay, m->radius, UI_ID_NONE);
        const char *why = v->vs->process_gone[side] ? v->vs->process_gone[side] : sd->crash_reason;
        char msg[160];
        snprintf(msg, sizeof msg, "the %s process is gone", title);
        int size = vw_text_width(v, UI_FONT_SANS_BOLD, m->title, msg) <= r.w - 2 * m->pad ? m->title : m->body;
        float lh = size == m->title ? m->title_line : m->line;
        ui_rect c = {r.x + m->pad, r.y + r.h / 2 - lh, r.w - 2 * m->pad, lh};
        vw_label(v, c, UI_FONT_SANS_BOLD, size, t->fault, UI_ALIGN_CENTER, UI_ID_NONE, msg);
        if (why != NULL && why[0])
            vw_label(v, (ui_rect){c.x, c.y + c.h, c.w, m->line}, UI_FONT_SANS, m->body, t->text, UI_ALIGN_CENTER,
                     UI_ID_NONE, why);
    }
}

/* The call token: where the current step happened, moving from where the last one did. */
static void draw_token(V *v)
{
    const ui_scene *s = v->s;
    const ui_theme *t = v->t;
    if (s->step == SIZE_MAX)
        return;
    ui_rect a = lane_rect(v, s->prev_token_side, s->prev_token_layer);
    ui_rect b = lane_rect(v, s->token_side, s->token_layer);
    float x0 = v->l->token_x[s->prev_token_side], y0 = a.y + a.h / 2;
    float x1 = v->l->token_x[s->token_side], y1 = b.y + b.h / 2;
    float x = x0 + (x1 - x0) * v->e, y = y0 + (y1 - y0) * v->e;
    float r = roundf(v->m->line * 0.45f);
    bool failed = s->current != NULL && (s->current->kind == RS_TRACE_FAULT || s->current->kind == RS_TRACE_ERROR);
    ui_color c = failed ? t->fault : t->accent;
    if (x0 != x1 || y0 != y1) /* the way it came */
        ui_draw_line(v->dl, x0, y0, x, y, vw_fade(c, 0.35f), roundf(r * 0.5f));
    ui_draw_rect(v->dl, (ui_rect){x - r * 1.9f, y - r * 1.9f, r * 3.8f, r * 3.8f}, vw_fade(c, 0.18f), r * 1.9f, UI_ID_NONE);
    ui_draw_rect(v->dl, (ui_rect){x - r, y - r, 2 * r, 2 * r}, c, r, UI_ID_NONE);
    ui_draw_rect(v->dl, (ui_rect){x - r * 0.4f, y - r * 0.4f, r * 0.8f, r * 0.8f}, t->panel, r * 0.4f, UI_ID_NONE);
    v->out->token = (ui_rect){x - r, y - r, 2 * r, 2 * r};
}

void vw_draw_stage(V *v)
{
    draw_side(v, UI_CLIENT);
    draw_side(v, UI_SERVER);
    draw_token(v); /* under the packets: crossing the wire, the packet is the call */
    vw_draw_network(v);
}
