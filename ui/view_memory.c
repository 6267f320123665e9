/* view_memory.c -- the memory cells of each address space, on the stage. See view_draw.h. */
#include "view_draw.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* The address the other side has for a cell of the same name (0 if it has none). */
const ui_cell *vw_twin(const ui_scene *s, const ui_cell *c)
{
    for (size_t i = 0; i < s->cell_count; i++)
        if (s->cells[i].side != c->side && strcmp(s->cells[i].name, c->name) == 0)
            return &s->cells[i];
    return NULL;
}

/* A pill of text: a rounded box sized to its text. Returns its rect. */
static ui_rect pill(V *v, float x, float y, float h, float max_w, ui_font f, int size, ui_color bg,
                    ui_color fg, ui_color edge, const char *s)
{
    float pad = roundf(v->m->gap * 0.8f);
    float w = fminf(ceilf(vw_text_width(v, f, size, s)) + 2 * pad + 1, max_w);
    ui_rect r = {x, y, w, h};
    ui_draw_rect(v->dl, r, bg, roundf(v->m->radius * 0.6f), UI_ID_NONE);
    if (edge.a > 0)
        ui_draw_frame(v->dl, r, edge, roundf(v->m->radius * 0.6f), 1, UI_ID_NONE);
    vw_label(v, ui_rect_inset(r, pad, 0), f, size, fg, UI_ALIGN_LEFT, UI_ID_NONE, s);
    return r;
}

/* A pointer that points nowhere: a short stem ending in the ground symbol. */
static void ground(V *v, float x, float y, float size, ui_color c)
{
    float st = v->m->stroke;
    ui_draw_line(v->dl, x, y, x + size, y, c, st);
    ui_draw_line(v->dl, x + size, y - size * 0.5f, x + size, y + size * 0.5f, c, st);
    ui_draw_line(v->dl, x + size * 1.25f, y - size * 0.32f, x + size * 1.25f, y + size * 0.32f, c, st);
    ui_draw_line(v->dl, x + size * 1.5f, y - size * 0.14f, x + size * 1.5f, y + size * 0.14f, c, st);
}

static void draw_cell(V *v, size_t index, ui_rect r, ui_cell_mode mode)
{
    const ui_scene *s = v->s;
    const ui_theme *t = v->t;
    const ui_metrics *m = v->m;
    const ui_cell *c = &s->cells[index];
    float a = vw_ease_now(v, c->step);
    bool focused = v->focus_param >= 0 && c->param == v->focus_param;
    if (v->focus_param >= 0 && !focused)
        a *= 0.45f;
    int id = ui_view_id(UI_HIT_CELL, (int)index);
    ui_color pc = c->param >= 0 ? ui_theme_param_color(t, (unsigned)c->param) : t->text_dim;
    ui_color tint = c->param >= 0 ? ui_theme_param_tint(t, (unsigned)c->param) : t->lane_alt;
    ui_color none = {0, 0, 0, 0};

    ui_draw_rect(v->dl, r, vw_fade(t->lane, a), m->radius, id);
    ui_draw_frame(v->dl, r, vw_fade(t->panel_edge, a), m->radius, 1, UI_ID_NONE);
    float stripe = roundf(5 * m->scale);
    ui_draw_rect(v->dl, (ui_rect){r.x, r.y + m->radius * 0.5f, stripe, r.h - m->radius}, vw_fade(pc, a), 0, UI_ID_NONE);
    if (focused)
        ui_draw_frame(v->dl, ui_rect_inset(r, -1, -1), t->text_strong, m->radius, 2 * m->stroke, UI_ID_NONE);
    else if (c->step == s->step)
        ui_draw_frame(v->dl, ui_rect_inset(r, -1, -1), vw_fade(t->accent, a), m->radius, 2 * m->stroke, UI_ID_NONE);
    if (vw_hovered(v, UI_HIT_CELL, (int)index)) {
        v->tip = true;
        v->tip_at = r;
    }

    ui_rect in = ui_rect_inset(r, m->gap, roundf(m->gap * 0.5f));
    in.x += stripe;
    in.w -= stripe;
    bool ptr = ui_format_is_pointer(c->c_type);
    bool null = ptr && c->address == 0;
    char value[160], addr[32], oa[32], note[160];
    ui_format_c_value(value, sizeof value, c->c_type, c->value, c->value_len, c->size);
    ui_format_address(addr, sizeof addr, c->address);
    const ui_cell *other = vw_twin(s, c);
    bool moved = other != NULL && c->written && other->address != c->address && c->address != 0 && other->address != 0;
    ui_color dim = vw_fade(t->text_dim, a), ink = vw_fade(t->on_tint, a), strong = vw_fade(t->text_strong, a);

    char name[UI_SCENE_NAME_MAX + 8];
    snprintf(name, sizeof name, "%s%s", c->name, c->out ? " [out]" : "");
    float h2 = m->mono_line;
    if (mode == UI_CELL_COMPACT) {
        /* One row: name, then its value (or the pointer), then the address when there is room. */
        float nw = vw_label(v, (ui_rect){in.x, in.y, in.w * 0.35f, in.h}, UI_FONT_SANS_BOLD, m->body, strong,
                            UI_ALIGN_LEFT, UI_ID_NONE, name);
        float x = in.x + nw + m->gap;
        float y = in.y + (in.h - h2) / 2;
        ui_rect vb = pill(v, x, y, h2, in.x + in.w - x, UI_FONT_MONO, m->mono,
                          ptr ? vw_fade(t->panel, a) : vw_fade(tint, a), ptr ? strong : ink,
                          ptr ? vw_fade(t->panel_edge, a) : none, null ? "NULL" : ptr ? addr : value);
        x = vb.x + vb.w + m->gap;
        if (ptr && !null && x < in.x + in.w) {
            ui_draw_arrow(v->dl, x, y + h2 / 2, x + m->pad, y + h2 / 2, vw_fade(t->text, a), m->stroke);
            x += m->pad + m->gap * 0.5f;
            if (in.x + in.w - x > 4 * m->mono_advance)
                pill(v, x, y, h2, in.x + in.w - x, UI_FONT_MONO, m->mono, vw_fade(tint, a), ink, none, value);
        }
        return;
    }

    /* Row 1: the name and its C type. */
    float nw = vw_label(v, (ui_rect){in.x, in.y, in.w * 0.6f, m->line}, UI_FONT_SANS_BOLD, m->body, strong, UI_ALIGN_LEFT,
                        UI_ID_NONE, name);
    vw_label(v, (ui_rect){in.x + nw + m->pad, in.y, in.w - nw - m->pad, m->line}, UI_FONT_MONO, m->small, dim,
             UI_ALIGN_RIGHT, UI_ID_NONE, c->c_type);

    /* Row 2: the pointer and an arrow to what it points to; NULL pointing to nothing; or the
     * value itself and where the variable lives. */
    float y2 = in.y + m->line;
    if (null) {
        ui_rect p = pill(v, in.x, y2, h2, in.w * 0.5f, UI_FONT_MONO_BOLD, m->mono, vw_fade(t->lane_alt, a), strong,
                         vw_fade(t->text_dim, a), "NULL");
        ground(v, p.x + p.w + m->gap, y2 + h2 / 2, roundf(h2 * 0.5f), vw_fade(t->text, a));
        snprintf(note, sizeof note, "points to nothing: NDR sends referent id 0, no referent");
    } else if (ptr) {
        ui_rect p = pill(v, in.x, y2, h2, in.w, UI_FONT_MONO, m->mono, vw_fade(t->panel, a), strong,
                         moved ? vw_fade(t->accent, a) : vw_fade(t->panel_edge, a), addr);
        float x = p.x + p.w + m->gap * 0.5f;
        float ax = x + roundf(m->pad * 1.6f);
        if (ax + 4 * m->mono_advance < in.x + in.w) {
            ui_draw_arrow(v->dl, x, y2 + h2 / 2, ax, y2 + h2 / 2, vw_fade(t->text, a), m->stroke);
            pill(v, ax + m->gap * 0.5f, y2, h2, in.x + in.w - ax - m->gap * 0.5f, UI_FONT_MONO, m->mono, vw_fade(tint, a),
                 ink, vw_fade(pc, a), value);
        }
        if (moved)
            snprintf(note, sizeof note, "\xE2\x89\xA0 the %s's %s: this stub made its own copy", vw_side_word(other->side),
                     ui_format_address(oa, sizeof oa, other->address));
        else
            snprintf(note, sizeof note, "%zu byte%s at %s, %s by the stub at step %zu", c->size, c->size == 1 ? "" : "s",
                     addr, c->written ? "written" : "read", c->step + 1);
    } else {
        ui_rect vb = pill(v, in.x, y2, h2, in.w * 0.7f, UI_FONT_MONO, m->mono, vw_fade(tint, a), ink, vw_fade(pc, a), value);
        char where[64];
        snprintf(where, sizeof where, "at %s", addr);
        float x = vb.x + vb.w + m->pad;
        vw_label(v, (ui_rect){x, y2, in.x + in.w - x, h2}, UI_FONT_MONO, m->small, moved ? vw_fade(t->text, a) : dim,
                 UI_ALIGN_LEFT, UI_ID_NONE, where);
        if (moved)
            snprintf(note, sizeof note, "\xE2\x89\xA0 the %s's %s: a new variable, same value", vw_side_word(other->side),
                     ui_format_address(oa, sizeof oa, other->address));
        else
            snprintf(note, sizeof note, "%s by the stub at step %zu", c->written ? "written" : "read", c->step + 1);
    }
    /* Row 3: what to notice. */
    if (mode == UI_CELL_FULL)
        vw_label(v, (ui_rect){in.x, y2 + h2 + roundf(m->gap * 0.3f), in.w, m->small_line}, UI_FONT_SANS, m->small,
                 moved ? vw_fade(t->text, a) : dim, UI_ALIGN_LEFT, UI_ID_NONE, note);
}

/* The memory slots a side needs: one per parameter of the timeline, and one per cell that has
 * no parameter (a name the scene could not place). */
size_t vw_memory_slots(const ui_scene *s)
{
    size_t slots = s->param_count, extra[UI_SIDES] = {0, 0};
    for (size_t i = 0; i < s->cell_count; i++)
        if (s->cells[i].param < 0)
            extra[s->cells[i].side]++;
    slots += extra[0] > extra[1] ? extra[0] : extra[1];
    return slots ? slots : 1;
}

/* The first row of memory slots shown. All rows, when they fit; else the rows that keep in
 * view the parameter in focus, or the current step's, or the newest cell's -- the same rows on
 * both sides, so that the two copies still face each other. */
static size_t memory_first_row(const V *v)
{
    const ui_scene *s = v->s;
    const ui_memory_grid *g = &v->l->grid;
    size_t all_rows = (vw_memory_slots(s) + g->cols - 1) / g->cols;
    if (all_rows <= g->rows || g->rows == 0)
        return 0;
    int target = v->focus_param;
    const rs_trace_event *ev = s->current;
    if (target < 0 && ev != NULL && ev->name != NULL)
        target = ui_scene_param_find(s, ev->name);
    size_t newest = 0;
    for (size_t i = 0; target < 0 && i < s->cell_count; i++)
        if (s->cells[i].step >= newest) {
            newest = s->cells[i].step;
            target = s->cells[i].param;
        }
    if (target < 0)
        return 0;
    size_t row = (size_t)target / g->cols;
    return row >= g->rows ? row - g->rows + 1 : 0;
}

void vw_draw_memory(V *v, int side)
{
    const ui_scene *s = v->s;
    const ui_metrics *m = v->m;
    const ui_memory_grid *g = &v->l->grid;
    ui_rect M = v->l->memory[side];
    if (M.h < m->small_line)
        return;
    /* Each parameter in its own slot: the same place on both sides and at every step, so that
     * the two copies face each other. */
    size_t skip = memory_first_row(v) * g->cols;
    size_t next_free = s->param_count, hidden = 0;
    for (size_t i = 0; i < s->cell_count; i++) {
        const ui_cell *c = &s->cells[i];
        if (c->side != side)
            continue;
        size_t slot = c->param >= 0 ? (size_t)c->param : next_free++;
        ui_rect r = slot >= skip ? ui_layout_cell(v->l, side, slot - skip) : (ui_rect){0, 0, 0, 0};
        if (ui_rect_empty(r)) {
            hidden++;
            continue;
        }
        draw_cell(v, i, r, (ui_cell_mode)g->mode);
    }
    /* A parameter not in this process (yet): its place, faint, so that it will appear there. */
    for (size_t p = 0; p < s->param_count; p++) {
        bool here = false;
        for (size_t i = 0; i < s->cell_count && !here; i++)
            here = s->cells[i].side == side && s->cells[i].param == (int)p;
        ui_rect r = p >= skip ? ui_layout_cell(v->l, side, p - skip) : (ui_rect){0, 0, 0, 0};
        if (here || ui_rect_empty(r))
            continue;
        ui_draw_frame(v->dl, r, vw_fade(v->t->panel_edge, 0.7f), m->radius, 1, UI_ID_NONE);
        char empty[UI_SCENE_NAME_MAX + 32];
        snprintf(empty, sizeof empty, "%s \xC2\xB7 not in this process", s->params[p]);
        vw_label(v, (ui_rect){r.x + m->pad, r.y, r.w - 2 * m->pad, fminf(r.h, m->line + m->gap)}, UI_FONT_SANS, m->small,
                 vw_fade(v->t->text_dim, 0.8f), UI_ALIGN_LEFT, UI_ID_NONE, empty);
    }
    ui_rect title = {M.x, M.y, M.w, m->small_line};
    float more_w = 0;
    if (hidden > 0) {
        char more[48];
        snprintf(more, sizeof more, "+%zu more", hidden);
        more_w = vw_label(v, title, UI_FONT_SANS_BOLD, m->small, v->t->text_dim, UI_ALIGN_RIGHT, UI_ID_NONE, more) + m->pad;
    }
    title.w -= more_w;
    vw_label(v, title, UI_FONT_SANS, m->small, v->t->text_dim, UI_ALIGN_LEFT, UI_ID_NONE,
             "memory \xC2\xB7 addresses are valid only in this process");
}
