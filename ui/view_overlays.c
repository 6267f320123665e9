/* view_overlays.c -- the hint bar, and what is drawn over the panels: the focus ring, the
 * question, the context menu, the tooltip and the help. See view_draw.h. */
#include "view_draw.h"

#include <math.h>
#include <stdio.h>

#include "ndr.h"
#include "pdu.h"

#define TIP_MAX 320

/* ---- the hint bar ------------------------------------------------------------------------------ */

typedef struct hint {
    const char *key, *full, *brief;
} hint;

static const hint hints[] = {
    {"Space", "play / pause", "play"}, {"\xE2\x86\x92", "step", "step"},     {"\xE2\x86\x90", "back", "back"},
    {"\xE2\x86\x91\xE2\x86\x93", "speed", "speed"}, {"I", "inspector", "NDR"}, {"T", "timeline", "time"},
    {"F", "full screen", "full"},  {"P", "projector", "proj"},            {"?", "help", "help"},
    {"R", "restart", "restart"},   {"Q", "quit", "quit"},
};
#define HINT_COUNT (sizeof hints / sizeof hints[0])

static float hints_width(V *v, bool brief, size_t count)
{
    const ui_metrics *m = v->m;
    float w = 0;
    for (size_t i = 0; i < count; i++)
        w += vw_text_width(v, UI_FONT_SANS_BOLD, m->small, hints[i].key) + 2 * m->gap + m->gap +
             vw_text_width(v, UI_FONT_SANS, m->small, brief ? hints[i].brief : hints[i].full) + m->pad;
    return w;
}

void vw_draw_hints(V *v)
{
    const ui_theme *t = v->t;
    const ui_metrics *m = v->m;
    ui_rect r = ui_rect_inset(v->l->hints, m->pad, roundf(m->gap * 0.4f));
    bool brief = false;
    size_t count = HINT_COUNT;
    if (hints_width(v, false, count) > r.w)
        brief = true;
    while (count > 1 && hints_width(v, brief, count) > r.w)
        count--;
    float x = r.x;
    for (size_t i = 0; i < count; i++) {
        float kw = vw_text_width(v, UI_FONT_SANS_BOLD, m->small, hints[i].key) + 2 * m->gap;
        ui_rect key = {x, r.y, kw, r.h};
        ui_draw_rect(v->dl, key, t->panel, roundf(m->radius * 0.5f), UI_ID_NONE);
        ui_draw_frame(v->dl, key, t->panel_edge, roundf(m->radius * 0.5f), 1, UI_ID_NONE);
        ui_draw_text(v->dl, key, UI_FONT_SANS_BOLD, m->small, t->text_strong, UI_ALIGN_CENTER, UI_ID_NONE, "%s",
                     hints[i].key);
        x += kw + m->gap;
        const char *what = brief ? hints[i].brief : hints[i].full;
        float ww = vw_text_width(v, UI_FONT_SANS, m->small, what);
        ui_draw_text(v->dl, (ui_rect){x, r.y, ww + 1, r.h}, UI_FONT_SANS, m->small, t->text_dim, UI_ALIGN_LEFT,
                     UI_ID_NONE, "%s", what);
        x += ww + m->pad;
    }
}

/* ---- overlays ---------------------------------------------------------------------------------- */

static const char *const help_keys[][2] = {
    {"Space", "play or pause the call"},
    {"\xE2\x86\x92  /  \xE2\x86\x90", "one step forward / back (back only looks at history)"},
    {"Home / End", "the first step / the live step"},
    {"\xE2\x86\x91  /  \xE2\x86\x93", "faster / slower (0.25\xC3\x97 to 8\xC3\x97)"},
    {"I", "the NDR inspector: bytes, fields, drep"},
    {"T", "the timeline: every event, PDUs as arrows"},
    {"Tab", "move the focus between panels"},
    {"B  /  N", "pause at every PDU / every NDR step"},
    {"F", "full screen"},
    {"P", "projector theme: large type, high contrast"},
    {"R", "restart the lesson"},
    {"Q  /  Esc", "quit"},
    {"click", "a cell, byte or field: its parameter lights up everywhere"},
    {"click", "the timeline: jump to that step"},
    {"right-click", "a packet: delay or drop it; the server: crash it"},
};
#define HELP_COUNT (sizeof help_keys / sizeof help_keys[0])

void vw_draw_help(V *v)
{
    const ui_theme *t = v->t;
    const ui_metrics *m = v->m;
    ui_draw_rect(v->dl, (ui_rect){0, 0, (float)v->l->w, (float)v->l->h}, t->overlay, 0, UI_ID_NONE);
    float kw = 0, dw = 0;
    for (size_t i = 0; i < HELP_COUNT; i++) {
        kw = fmaxf(kw, vw_text_width(v, UI_FONT_SANS_BOLD, m->body, help_keys[i][0]));
        dw = fmaxf(dw, vw_text_width(v, UI_FONT_SANS, m->body, help_keys[i][1]));
    }
    float w = fminf(kw + dw + 5 * m->pad, (float)v->l->w - 2 * m->pad);
    float h = fminf(m->title_line + (float)HELP_COUNT * m->line + 3 * m->pad, (float)v->l->h - 2 * m->pad);
    ui_rect card = {roundf(((float)v->l->w - w) / 2), roundf(((float)v->l->h - h) / 2), w, h};
    ui_draw_rect(v->dl, card, t->panel, m->radius, UI_ID_NONE);
    ui_draw_frame(v->dl, card, t->panel_edge, m->radius, 1, UI_ID_NONE);
    ui_rect in = ui_rect_inset(card, 1.5f * m->pad, m->pad);
    vw_label(v, ui_rect_cut_top(&in, m->title_line), UI_FONT_SANS_BOLD, m->title, t->text_strong, UI_ALIGN_LEFT,
             UI_ID_NONE, "Keys and mouse");
    ui_rect_cut_top(&in, roundf(m->gap * 0.5f));
    for (size_t i = 0; i < HELP_COUNT && in.h >= m->line; i++) {
        ui_rect row = ui_rect_cut_top(&in, m->line);
        vw_label(v, (ui_rect){row.x, row.y, kw + m->pad, row.h}, UI_FONT_SANS_BOLD, m->body, t->accent, UI_ALIGN_LEFT,
                 UI_ID_NONE, help_keys[i][0]);
        vw_label(v, (ui_rect){row.x + kw + 2 * m->pad, row.y, row.w - kw - 2 * m->pad, row.h}, UI_FONT_SANS, m->body,
                 t->text, UI_ALIGN_LEFT, UI_ID_NONE, help_keys[i][1]);
    }
}

void vw_draw_question(V *v)
{
    const ui_view_state *vs = v->vs;
    const ui_theme *t = v->t;
    const ui_metrics *m = v->m;
    ui_rect st = v->l->stage;
    int n = vs->answer_count < UI_VIEW_ANSWERS_MAX ? vs->answer_count : UI_VIEW_ANSWERS_MAX;
    float w = fminf(st.w * 0.6f, 760 * m->scale);
    float h = m->title_line + 2 * m->line + (float)n * (m->line + m->gap * 1.5f) + 3 * m->pad;
    ui_rect card = {roundf(st.x + (st.w - w) / 2), roundf(st.y + (st.h - h) / 3), w, h};
    ui_draw_rect(v->dl, (ui_rect){card.x + 3, card.y + 5, card.w, card.h}, (ui_color){0, 0, 0, 50}, m->radius, UI_ID_NONE);
    ui_draw_rect(v->dl, card, t->panel, m->radius, UI_ID_NONE);
    ui_draw_frame(v->dl, card, t->accent, m->radius, 2 * m->stroke, UI_ID_NONE);
    ui_rect in = ui_rect_inset(card, m->pad, m->pad);
    vw_label(v, ui_rect_cut_top(&in, m->title_line), UI_FONT_SANS_BOLD, m->title, t->accent, UI_ALIGN_LEFT, UI_ID_NONE,
             "What happens next?");
    vw_paragraph(v, ui_rect_cut_top(&in, 2 * m->line), UI_FONT_SANS, m->body, m->line, t->text_strong, vs->question, 2);
    for (int i = 0; i < n; i++) {
        ui_rect_cut_top(&in, m->gap * 0.5f);
        ui_rect b = ui_rect_cut_top(&in, m->line + m->gap);
        bool chosen = vs->answer_chosen == i, right = vs->answer_right == i;
        bool wrong = chosen && vs->answer_right >= 0 && !right;
        ui_color bg = right && vs->answer_right >= 0 ? ui_mix(t->panel, t->server, 0.3f)
                      : wrong                         ? ui_mix(t->panel, t->fault, 0.25f)
                      : vw_hovered(v, UI_HIT_ANSWER, i) ? ui_mix(t->panel, t->accent, 0.12f)
                                                      : t->lane;
        ui_draw_rect(v->dl, b, bg, roundf(m->radius * 0.6f), ui_view_id(UI_HIT_ANSWER, i));
        ui_draw_frame(v->dl, b, chosen ? t->accent : t->panel_edge, roundf(m->radius * 0.6f), chosen ? 2 * m->stroke : 1,
                      UI_ID_NONE);
        char text[TEXT_MAX];
        snprintf(text, sizeof text, "%c   %s%s", '1' + i, vs->answers[i] ? vs->answers[i] : "", /* its key */
                 right && vs->answer_right >= 0 ? "   \xE2\x9C\x93" : wrong ? "   \xE2\x9C\x97" : "");
        vw_label(v, ui_rect_inset(b, m->pad, 0), UI_FONT_SANS, m->body, t->text_strong, UI_ALIGN_LEFT, UI_ID_NONE, text);
    }
}

void vw_draw_menu(V *v)
{
    const ui_view_state *vs = v->vs;
    const ui_theme *t = v->t;
    const ui_metrics *m = v->m;
    int n = vs->menu_count < UI_VIEW_MENU_MAX ? vs->menu_count : UI_VIEW_MENU_MAX;
    float w = 0;
    for (int i = 0; i < n; i++)
        w = fmaxf(w, vw_text_width(v, UI_FONT_SANS, m->body, vs->menu[i] ? vs->menu[i] : ""));
    w += 2 * m->pad;
    float row = m->line + m->gap;
    float h = (float)n * row + m->gap;
    float x = fminf(vs->menu_x, (float)v->l->w - w - 1), y = fminf(vs->menu_y, (float)v->l->h - h - 1);
    ui_rect r = {fmaxf(0, x), fmaxf(0, y), w, h};
    ui_draw_rect(v->dl, (ui_rect){r.x + 2, r.y + 4, r.w, r.h}, (ui_color){0, 0, 0, 50}, m->radius, UI_ID_NONE);
    ui_draw_rect(v->dl, r, t->panel, m->radius, UI_ID_NONE);
    ui_draw_frame(v->dl, r, t->panel_edge, m->radius, 1, UI_ID_NONE);
    for (int i = 0; i < n; i++) {
        ui_rect it = {r.x + m->gap * 0.5f, r.y + m->gap * 0.5f + (float)i * row, r.w - m->gap, row};
        if (vw_hovered(v, UI_HIT_MENU, i))
            ui_draw_rect(v->dl, it, ui_mix(t->panel, t->accent, 0.16f), roundf(m->radius * 0.5f), UI_ID_NONE);
        vw_hit_area(v, it, ui_view_id(UI_HIT_MENU, i));
        vw_label(v, ui_rect_inset(it, m->pad * 0.5f, 0), UI_FONT_SANS, m->body, t->text_strong, UI_ALIGN_LEFT, UI_ID_NONE,
                 vs->menu[i] ? vs->menu[i] : "");
    }
}

/* The tooltip's lines for what the mouse is over. */
static size_t tip_text(V *v, char lines[3][TIP_MAX])
{
    const ui_scene *s = v->s;
    ui_hit h = v->vs->hover;
    char a[32], b[32];
    switch (h.kind) {
    case UI_HIT_BYTE: {
        seg g = vw_seg_at(v, (size_t)h.index);
        if (g.header >= 0) {
            const ui_pdu_field *f = &v->hdr[g.header];
            snprintf(lines[0], TIP_MAX, "%s = %s", f->name, f->value);
            snprintf(lines[1], TIP_MAX, "PDU bytes %u\xE2\x80\x93%u \xC2\xB7 byte 0x%02x", f->offset,
                     f->offset + f->length - 1, v->bytes[h.index]);
            snprintf(lines[2], TIP_MAX, "built into the PDU at step %zu", v->in.step + 1);
            return 3;
        }
        if (g.field < 0) {
            snprintf(lines[0], TIP_MAX, "byte 0x%02x at offset %d", v->bytes[h.index], h.index);
            return 1;
        }
        const ui_field *f = &v->buf->fields[g.field];
        char val[128];
        size_t avail = (size_t)f->offset + f->length <= v->buf->len ? f->length : 0;
        ui_format_ndr_value(val, sizeof val, f->type, f->role, avail ? v->buf->bytes + f->offset : NULL, avail,
                            v->buf->big_endian);
        if (f->role == RS_NDR_ROLE_DATA)
            snprintf(lines[0], TIP_MAX, "%s = %s", f->name, val);
        else if (f->role == RS_NDR_ROLE_PADDING)
            snprintf(lines[0], TIP_MAX, "padding before %s: zero, ignored on read", f->name);
        else
            snprintf(lines[0], TIP_MAX, "%s \xC2\xB7 %s = %s", f->name, rs_ndr_role_name((rs_ndr_role)f->role), val);
        snprintf(lines[1], TIP_MAX, "NDR offset 0x%02x, %u byte%s \xC2\xB7 %s", f->offset, f->length,
                 f->length == 1 ? "" : "s", f->type);
        const rs_trace_event *ev = vw_event_at(s, f->step);
        snprintf(lines[2], TIP_MAX, "%s by the %s at step %zu", ev && ev->kind == RS_TRACE_NDR_GET ? "read" : "written",
                 ev ? vw_side_word(ui_scene_side(ev)) : "stub", f->step + 1);
        return 3;
    }
    case UI_HIT_CELL: {
        if ((size_t)h.index >= s->cell_count)
            return 0;
        const ui_cell *c = &s->cells[h.index];
        snprintf(lines[0], TIP_MAX, "%s \xC2\xB7 %s \xC2\xB7 in the %s's memory", c->name, c->c_type, vw_side_word(c->side));
        snprintf(lines[1], TIP_MAX, "%zu byte%s at %s", c->size, c->size == 1 ? "" : "s",
                 ui_format_address(a, sizeof a, c->address));
        const ui_cell *o = vw_twin(s, c);
        if (o != NULL && o->address != c->address && c->address != 0 && o->address != 0)
            snprintf(lines[2], TIP_MAX, "%s at step %zu \xC2\xB7 the %s's copy is at %s", c->written ? "written" : "read",
                     c->step + 1, vw_side_word(o->side), ui_format_address(b, sizeof b, o->address));
        else
            snprintf(lines[2], TIP_MAX, "%s by the stub at step %zu", c->written ? "written" : "read", c->step + 1);
        return 3;
    }
    case UI_HIT_PDU: {
        int i = ui_scene_pdu_by_step(s, (size_t)h.index);
        if (i < 0)
            return 0;
        const ui_pdu *p = &s->pdus[i];
        char title[96], flags[RS_PDU_FLAGS_STRLEN];
        snprintf(lines[0], TIP_MAX, "%s", ui_format_pdu_title(title, sizeof title, p->ptype, p->flags, p->call_id, p->status));
        rs_pdu_flags_format(p->ptype, p->flags, flags, sizeof flags);
        snprintf(lines[1], TIP_MAX, "%zu bytes \xC2\xB7 %s", p->len, flags);
        if (p->received_step != SIZE_MAX)
            snprintf(lines[2], TIP_MAX, "sent at step %zu, arrived at step %zu", p->sent_step + 1, p->received_step + 1);
        else
            snprintf(lines[2], TIP_MAX, "sent at step %zu \xC2\xB7 %s", p->sent_step + 1, p->dropped ? "dropped" : "in flight");
        return 3;
    }
    case UI_HIT_EVENT: {
        const rs_trace_event *ev = vw_event_at(s, (size_t)h.index);
        if (ev == NULL)
            return 0;
        snprintf(lines[0], TIP_MAX, "step %d \xC2\xB7 %s \xC2\xB7 %s", h.index + 1, vw_side_word(ui_scene_side(ev)),
                 rs_trace_kind_name(ev->kind));
        ui_format_event(lines[1], TIP_MAX, ev);
        return 2;
    }
    default:
        return 0;
    }
}

void vw_draw_tip(V *v)
{
    const ui_theme *t = v->t;
    const ui_metrics *m = v->m;
    char lines[3][TIP_MAX];
    size_t n = tip_text(v, lines);
    if (n == 0)
        return;
    float w = 0;
    for (size_t i = 0; i < n; i++)
        w = fmaxf(w, vw_text_width(v, i == 0 ? UI_FONT_SANS_BOLD : UI_FONT_SANS, m->small, lines[i]));
    w = fminf(w + 2 * m->pad, (float)v->l->w - 2 * m->gap);
    float h = (float)n * m->small_line + m->gap * 1.2f;
    ui_rect a = v->tip_at;
    float x = a.x + a.w / 2 - w / 2, y = a.y - h - m->gap;
    if (y < m->gap)
        y = a.y + a.h + m->gap;
    x = fmaxf(m->gap, fminf(x, (float)v->l->w - w - m->gap));
    y = fminf(y, (float)v->l->h - h - m->gap);
    ui_rect r = {roundf(x), roundf(y), w, h};
    ui_draw_rect(v->dl, (ui_rect){r.x + 2, r.y + 3, r.w, r.h}, (ui_color){0, 0, 0, 45}, m->radius, UI_ID_NONE);
    ui_draw_rect(v->dl, r, t->text_strong, m->radius, UI_ID_NONE);
    for (size_t i = 0; i < n; i++)
        vw_label(v, (ui_rect){r.x + m->pad, r.y + m->gap * 0.6f + (float)i * m->small_line, r.w - 2 * m->pad, m->small_line},
                 i == 0 ? UI_FONT_SANS_BOLD : UI_FONT_SANS, m->small, t->background, UI_ALIGN_LEFT, UI_ID_NONE, lines[i]);
}

void vw_draw_focus_ring(V *v)
{
    const ui_layout *l = v->l;
    ui_rect r = v->vs->focus == UI_PANEL_INSPECTOR ? l->inspector
                : v->vs->focus == UI_PANEL_TIMELINE ? l->timeline
                                                    : l->stage;
    if (ui_rect_empty(r))
        return;
    ui_draw_frame(v->dl, ui_rect_inset(r, -3, -3), v->t->accent, v->m->radius + 3, 2 * v->m->stroke, UI_ID_NONE);
}
