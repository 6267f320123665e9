/* layout.c -- the window's geometry. See layout.h. */
#include "layout.h"

#include <math.h>

ui_rect ui_rect_cut_top(ui_rect *r, float size)
{
    if (size > r->h)
        size = r->h;
    ui_rect cut = {r->x, r->y, r->w, size};
    r->y += size;
    r->h -= size;
    return cut;
}

ui_rect ui_rect_cut_bottom(ui_rect *r, float size)
{
    if (size > r->h)
        size = r->h;
    r->h -= size;
    return (ui_rect){r->x, r->y + r->h, r->w, size};
}

ui_rect ui_rect_cut_left(ui_rect *r, float size)
{
    if (size > r->w)
        size = r->w;
    ui_rect cut = {r->x, r->y, size, r->h};
    r->x += size;
    r->w -= size;
    return cut;
}

ui_rect ui_rect_cut_right(ui_rect *r, float size)
{
    if (size > r->w)
        size = r->w;
    r->w -= size;
    return (ui_rect){r->x + r->w, r->y, size, r->h};
}

static float clampf(float v, float lo, float hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

static int font_size(int base, float scale, int least)
{
    int s = (int)lroundf((float)base * scale);
    return s < least ? least : s;
}

static void metrics(ui_metrics *m, const ui_theme *t, int w, int h)
{
    float scale = fminf((float)w / UI_LAYOUT_BASE_W, (float)h / UI_LAYOUT_BASE_H);
    m->scale = clampf(scale, UI_LAYOUT_SCALE_MIN, UI_LAYOUT_SCALE_MAX);
    m->narration = font_size(t->size_narration, m->scale, 16);
    m->title = font_size(t->size_title, m->scale, 14);
    m->body = font_size(t->size_body, m->scale, 12);
    m->small = font_size(t->size_small, m->scale, 11);
    m->mono = font_size(t->size_body - 1, m->scale, 11);
    /* A step or two smaller than full size, and always above body text: still the largest type
     * in the window, and readable from the back of a room in the projector theme. */
    m->narration_min = (int)fmaxf((float)m->body + 2, roundf((float)m->narration * 0.7f));
    if (m->narration_min > m->narration)
        m->narration_min = m->narration;
    m->narration_line = roundf((float)m->narration * UI_NARRATION_LEADING);
    m->title_line = roundf((float)m->title * 1.35f);
    m->line = roundf((float)m->body * 1.4f);
    m->small_line = roundf((float)m->small * 1.4f);
    m->mono_line = roundf((float)m->mono * 1.45f);
    m->mono_advance = (float)m->mono * 0.602f; /* DejaVu Sans Mono: 1233/2048 em */
    m->pad = roundf(t->gap * m->scale);
    m->gap = roundf(t->gap * 0.5f * m->scale);
    m->radius = roundf(t->radius * m->scale);
    m->stroke = fmaxf(1.0f, roundf(1.5f * m->scale));
}

/* The heights of a memory cell in each mode. */
static float cell_height(const ui_metrics *m, ui_cell_mode mode)
{
    switch (mode) {
    case UI_CELL_FULL: return m->line + m->mono_line + m->small_line + m->gap * 1.3f;
    case UI_CELL_MEDIUM: return m->line + m->mono_line + m->gap * 1.0f;
    default: return m->mono_line + m->gap * 0.8f;
    }
}

/* The grid for `slots` cells in a band `w` wide, in one mode: its columns and the height all of
 * its rows take (title included). */
static ui_memory_grid grid_for(const ui_metrics *m, float w, size_t slots, ui_cell_mode mode)
{
    ui_memory_grid g = {0};
    g.mode = mode;
    g.title_h = m->small_line + roundf(m->gap * 0.4f);
    g.gap = mode == UI_CELL_COMPACT ? roundf(m->gap * 0.5f) : m->gap;
    float min_w = mode == UI_CELL_COMPACT ? fmaxf(24 * m->mono_advance, 160 * m->scale)
                                          : fmaxf(30 * m->mono_advance, 200 * m->scale);
    g.cols = (size_t)fmaxf(1, floorf((w + g.gap) / (min_w + g.gap)));
    if (g.cols > slots)
        g.cols = slots ? slots : 1;
    g.rows = (slots + g.cols - 1) / g.cols;
    if (g.rows == 0)
        g.rows = 1;
    g.cell_w = floorf((w - (float)(g.cols - 1) * g.gap) / (float)g.cols);
    g.cell_h = cell_height(m, mode);
    return g;
}

static float grid_height(const ui_memory_grid *g)
{
    return g->title_h + (float)g->rows * (g->cell_h + g->gap) - g->gap;
}

/* One address space: its title, its memory, then its four lanes, each the full width, the call
 * token running down the inner edge (towards the network), so that the call travels down the
 * middle of the window, across, and up. The memory comes first: at least a row of cells, since
 * it shows what a pointer is; the roomiest kind of cell that fits all of them; the lanes take
 * the rest (short lanes put their name and their words on one line). */
static void side(ui_layout *l, int s, ui_rect r, size_t slots)
{
    const ui_metrics *m = &l->m;
    l->side[s] = r;
    ui_rect in = ui_rect_inset(r, m->gap, m->gap);
    l->side_head[s] = ui_rect_cut_top(&in, m->title_line + m->gap * 0.5f);
    float lane_gap = fmaxf(2.0f, roundf(m->gap * 0.5f));
    float lane_min = fmaxf(m->line, m->small_line) + m->gap;
    float lane_comfy = m->small_line + m->line + m->gap;
    float lanes_min = UI_LANES * lane_min + (UI_LANES - 1) * lane_gap;
    float most = fmaxf(0, fminf(in.h * 0.5f, in.h - lanes_min - m->gap));
    float roomy = fmaxf(0, fminf(most, in.h - UI_LANES * (lane_comfy + lane_gap) - m->gap));
    ui_memory_grid g = grid_for(m, in.w, slots, UI_CELL_FULL);
    if (grid_height(&g) > roomy) {
        g = grid_for(m, in.w, slots, UI_CELL_MEDIUM);
        if (grid_height(&g) > roomy)
            g = grid_for(m, in.w, slots, UI_CELL_COMPACT);
    }
    float memory_h = fminf(grid_height(&g), most);
    float memory_px = roundf(memory_h);
    size_t fit = (size_t)fmaxf(0, floorf((memory_px - g.title_h + g.gap + 1) / (g.cell_h + g.gap)));
    if (fit < g.rows)
        g.rows = fit;
    l->grid = g;
    l->memory[s] = ui_rect_cut_top(&in, memory_px);
    ui_rect_cut_top(&in, m->gap);
    l->lanes[s] = in;
    float lane_h = (in.h - lane_gap * (UI_LANES - 1)) / UI_LANES;
    for (int i = 0; i < UI_LANES; i++)
        l->lane[s][i] = (ui_rect){in.x, roundf(in.y + (float)i * (lane_h + lane_gap)), in.w, floorf(lane_h)};
    float token_r = roundf(m->line * 0.45f);
    l->token_x[s] = s == UI_CLIENT ? in.x + in.w - token_r * 2.2f : in.x + token_r * 2.2f;
}

bool ui_layout_lanes_two_rows(const ui_layout *l)
{
    const ui_metrics *m = &l->m;
    return l->lane[UI_CLIENT][0].h - 2 * roundf(m->gap * 0.5f) >= m->small_line + m->line;
}

ui_rect ui_layout_cell(const ui_layout *l, int side, size_t slot)
{
    const ui_memory_grid *g = &l->grid;
    size_t row = slot / g->cols, col = slot % g->cols;
    if (row >= g->rows)
        return (ui_rect){0, 0, 0, 0};
    ui_rect M = l->memory[side];
    return (ui_rect){M.x + (float)col * (g->cell_w + g->gap), M.y + g->title_h + (float)row * (g->cell_h + g->gap),
                     g->cell_w, g->cell_h};
}

/* Everything but the metrics, for a narration band `band` pixels tall. */
static void place(ui_layout *l, float band, float inspector, float timeline, size_t memory_slots)
{
    const ui_metrics *m = &l->m;
    ui_rect all = {0, 0, (float)l->w, (float)l->h};
    float margin = roundf(m->pad * 0.75f);
    l->header = ui_rect_cut_top(&all, 2 * margin + band + m->small_line);
    l->hints = ui_rect_cut_bottom(&all, roundf(m->small_line + m->pad));
    ui_rect head = ui_rect_inset(l->header, m->pad, margin);
    l->status = ui_rect_cut_right(&head, roundf(fmaxf(head.w * 0.22f, 200 * m->scale)));
    ui_rect_cut_right(&head, m->pad);
    l->narration = ui_rect_cut_top(&head, band);
    l->detail = head;

    ui_rect body = ui_rect_inset(all, m->pad, 0);
    ui_rect_cut_bottom(&body, m->gap);
    l->timeline = l->inspector = (ui_rect){0, 0, 0, 0};
    if (timeline > 0) {
        float tw = roundf(clampf(body.w * 0.22f, 220 * m->scale, 420 * m->scale) * timeline);
        l->timeline = ui_rect_cut_right(&body, tw);
        ui_rect_cut_right(&body, roundf(m->pad * timeline));
    }
    if (inspector > 0) {
        float ih = roundf(fmaxf(body.h * 0.42f, 7 * m->mono_line) * inspector);
        l->inspector = ui_rect_cut_bottom(&body, ih);
        ui_rect_cut_bottom(&body, roundf(m->pad * inspector));
    }
    l->stage = body;

    float net_w = roundf(clampf(body.w * 0.18f, 150 * m->scale, 360 * m->scale));
    float side_w = floorf((body.w - net_w) / 2);
    ui_rect stage = body;
    side(l, UI_CLIENT, ui_rect_cut_left(&stage, side_w), memory_slots);
    side(l, UI_SERVER, ui_rect_cut_right(&stage, side_w), memory_slots);
    l->network = stage;
    ui_rect transport = l->lane[UI_CLIENT][RS_TRACE_LAYER_TRANSPORT - 1];
    l->wire_y = roundf(transport.y + transport.h / 2);
}

/* True when the stage of `a` shows as much as that of `b`: memory cells of the same kind, as
 * many rows of them, and lanes as roomy. */
static bool stage_as_roomy(const ui_layout *a, const ui_layout *b)
{
    return a->grid.mode <= b->grid.mode && a->grid.rows >= b->grid.rows &&
           (ui_layout_lanes_two_rows(a) || !ui_layout_lanes_two_rows(b));
}

/* The narration band's height: UI_NARRATION_LINES lines of full-size narration, within the
 * header's share of the window, and never so tall that the stage shows less than with a
 * two-line band (smaller memory cells, fewer rows of them, lanes that lose a row) -- judged with
 * both panels open, so that opening or closing a panel never changes the header. At least two
 * lines. Bisects over whole pixels: about eight layouts of arithmetic, no text measured. */
static float narration_band(const ui_layout *l, size_t memory_slots)
{
    const ui_metrics *m = &l->m;
    float around = 2 * roundf(m->pad * 0.75f) + m->small_line;
    float least = 2 * m->narration_line;
    float most = fminf(UI_NARRATION_LINES * m->narration_line,
                       floorf((float)l->h * UI_HEADER_SHARE_MAX - around));
    if (most <= least)
        return least;
    ui_layout base = *l, probe = *l;
    place(&base, least, 1, 1, memory_slots);
    place(&probe, most, 1, 1, memory_slots);
    if (stage_as_roomy(&probe, &base))
        return most;
    float lo = least, hi = most; /* lo keeps the memory as it is, hi does not */
    while (hi - lo > 1) {
        float mid = floorf((lo + hi) / 2);
        place(&probe, mid, 1, 1, memory_slots);
        if (stage_as_roomy(&probe, &base))
            lo = mid;
        else
            hi = mid;
    }
    return lo;
}

void ui_layout_compute(ui_layout *l, const ui_theme *t, int w, int h, float inspector, float timeline,
                       size_t memory_slots)
{
    *l = (ui_layout){0};
    l->w = w;
    l->h = h;
    metrics(&l->m, t, w, h);
    if (memory_slots == 0)
        memory_slots = 1;
    place(l, narration_band(l, memory_slots), clampf(inspector, 0, 1), clampf(timeline, 0, 1), memory_slots);
}
