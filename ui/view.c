/* view.c -- the frame: ui_view_build() puts its parts in order, ui_view_hit() reads ids back;
 * and the helpers every part uses (text cut to fit, word wrap, fades). See view.h, and
 * view_draw.h for which file draws which part.
 */
#include "view_draw.h"

#include <string.h>

/* ---- helpers ------------------------------------------------------------------------------- */

ui_color vw_fade(ui_color c, float a)
{
    if (a < 0)
        a = 0;
    if (a > 1)
        a = 1;
    c.a = (uint8_t)((float)c.a * a + 0.5f);
    return c;
}

/* Text that reads on `bg`: the theme's dark ink on a light colour, its light text on a dark
 * one (relative luminance, WCAG's weights). */
ui_color vw_ink_on(const ui_theme *t, ui_color bg)
{
    float l = 0.2126f * (float)bg.r + 0.7152f * (float)bg.g + 0.0722f * (float)bg.b;
    ui_color light = t->text_strong.r >= 128 ? t->text_strong : (ui_color){255, 255, 255, 255};
    return l > 140 ? t->on_tint : light;
}

float vw_text_width(V *v, ui_font f, int size, const char *s)
{
    return v->measure(v->mctx, f, size, s, strlen(s));
}

/* Draws `s` in r, cut with an ellipsis to fit r.w; returns the width drawn. */
float vw_label(V *v, ui_rect r, ui_font f, int size, ui_color c, ui_align a, int id, const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || r.w <= 0)
        return 0;
    float w = v->measure(v->mctx, f, size, s, n);
    if (w <= r.w) {
        ui_draw_text(v->dl, r, f, size, c, a, id, "%s", s);
        return w;
    }
    char buf[TEXT_MAX];
    if (n > TEXT_MAX - 4)
        n = TEXT_MAX - 4;
    size_t lo = 0, hi = n;
    while (lo < hi) { /* the longest prefix that fits with its ellipsis */
        size_t mid = (lo + hi + 1) / 2;
        while (mid > 0 && ((unsigned char)s[mid] & 0xC0) == 0x80)
            mid--;
        memcpy(buf, s, mid);
        memcpy(buf + mid, "\xE2\x80\xA6", 4);
        if (mid > lo && v->measure(v->mctx, f, size, buf, mid + 3) <= r.w)
            lo = mid;
        else
            hi = mid > lo ? mid - 1 : lo;
    }
    if (lo == 0)
        return 0;
    memcpy(buf, s, lo);
    memcpy(buf + lo, "\xE2\x80\xA6", 4);
    ui_draw_text(v->dl, r, f, size, c, a, id, "%s", buf);
    return v->measure(v->mctx, f, size, buf, lo + 3);
}

float vw_ease_now(const V *v, size_t step)
{
    return step == v->s->step ? v->e : 1;
}

const rs_trace_event *vw_event_at(const ui_scene *s, size_t i)
{
    return s->events != NULL && i < s->event_count ? s->events[i] : NULL;
}

const char *vw_side_word(int side)
{
    return side == UI_SERVER ? "server" : "client";
}

void vw_hit_area(V *v, ui_rect r, int id)
{
    ui_draw_rect(v->dl, r, (ui_color){0, 0, 0, 0}, 0, id);
}

bool vw_hovered(const V *v, ui_hit_kind kind, int index)
{
    return v->vs->hover.kind == kind && v->vs->hover.index == index;
}

/* ---- text wrapping ------------------------------------------------------------------------- */

void vw_collect_line(const char *line, size_t len, void *ctx)
{
    wrapped *l = ctx;
    if (l->n < NARRATION_LINES_MAX + 1) {
        l->at[l->n] = line;
        l->len[l->n] = len;
    }
    l->n++;
}

static size_t utf8_back(const char *s, size_t i)
{
    while (i > 0 && ((unsigned char)s[i] & 0xC0) == 0x80)
        i--;
    return i;
}

/* Word wrap as ui_wrap() does it -- a line is the longest run of whole words that fits, a word
 * wider than the line is cut where it fits, a newline always ends a line -- but measuring at
 * word ends only (a line's worth of words, not of characters), which matters for the narration,
 * wrapped at several sizes every frame to find the one that fits. The spaces at a break belong
 * to neither line. Returns the lines. */
size_t vw_wrap_words(V *v, const char *text, float width, ui_font f, int size,
                     void (*fn)(const char *line, size_t len, void *ctx), void *ctx)
{
    size_t lines = 0;
    const char *p = text;
    while (*p != '\0') {
        const char *nl = strchr(p, '\n');
        size_t avail = nl ? (size_t)(nl - p) : strlen(p);
        size_t take = 0; /* the end of the last word that fits */
        while (take < avail) {
            size_t end = take;
            while (end < avail && p[end] == ' ')
                end++;
            while (end < avail && p[end] != ' ')
                end++;
            if (v->measure(v->mctx, f, size, p, end) > width)
                break;
            take = end;
        }
        if (take == 0 && avail > 0) { /* one word wider than the line: the most of it that fits */
            size_t lo = 1, hi = 0;
            while (lo < avail && ((unsigned char)p[lo] & 0xC0) == 0x80)
                lo++; /* at least its first character */
            while (hi < avail && p[hi] == ' ')
                hi++;
            while (hi < avail && p[hi] != ' ')
                hi++;
            while (hi > lo) { /* lo fits (or is one character), hi may not */
                size_t mid = utf8_back(p, lo + (hi - lo + 1) / 2);
                if (mid > lo && v->measure(v->mctx, f, size, p, mid) <= width)
                    lo = mid;
                else
                    hi = mid > lo ? mid - 1 : lo;
            }
            take = lo;
        }
        size_t shown = take;
        while (shown > 0 && p[shown - 1] == ' ')
            shown--;
        fn(p, shown, ctx);
        lines++;
        p += take;
        while (*p == ' ')
            p++;
        if (*p == '\n')
            p++;
    }
    return lines;
}

/* Draws wrapped lines from r's top, at most `max` (max <= NARRATION_LINES_MAX), the last one cut
 * with an ellipsis if there are more. */
void vw_draw_lines(V *v, ui_rect r, ui_font f, int size, float line_h, ui_color c, const wrapped *ls,
                   size_t max)
{
    if (max > NARRATION_LINES_MAX)
        max = NARRATION_LINES_MAX;
    size_t shown = ls->n < max ? ls->n : max;
    for (size_t i = 0; i < shown; i++) {
        char buf[TEXT_MAX];
        size_t n = ls->len[i] < TEXT_MAX - 8 ? ls->len[i] : TEXT_MAX - 8;
        memcpy(buf, ls->at[i], n);
        buf[n] = '\0';
        if (i + 1 == shown && ls->n > shown) {
            /* The rest does not fit: end the last line with an ellipsis. */
            memcpy(buf + n, " \xE2\x80\xA6", 5);
        }
        vw_label(v, (ui_rect){r.x, r.y + (float)i * line_h, r.w, line_h}, f, size, c, UI_ALIGN_LEFT,
                 UI_ID_NONE, buf);
    }
}

/* Wraps text into up to `max` lines of r (max <= NARRATION_LINES_MAX), the last one cut if more. */
void vw_paragraph(V *v, ui_rect r, ui_font f, int size, float line_h, ui_color c, const char *text,
                  size_t max)
{
    wrapped ls = {0};
    vw_wrap_words(v, text, r.w, f, size, vw_collect_line, &ls);
    vw_draw_lines(v, r, f, size, line_h, c, &ls, max);
}

/* ---- the frame ----------------------------------------------------------------------------------- */

void ui_view_state_init(ui_view_state *vs)
{
    memset(vs, 0, sizeof *vs);
    vs->t = 1;
    vs->live_step = SIZE_MAX;
    vs->narration_step = SIZE_MAX;
    vs->speed = 1;
    vs->inspector_scroll = -1;
    vs->timeline_scroll = -1;
    vs->answer_chosen = -1;
    vs->answer_right = -1;
}

void ui_view_build(ui_draw_list *dl, const ui_scene *s, const ui_view_state *vs, const ui_theme *t, int w, int h,
                   ui_measure measure, void *mctx, ui_view_frame *out)
{
    static ui_view_frame scratch;
    if (out == NULL)
        out = &scratch;
    memset(out, 0, sizeof *out);
    ui_layout_compute(&out->layout, t, w, h, vs->inspector, vs->timeline, vw_memory_slots(s));
    V v = {0};
    v.dl = dl;
    v.s = s;
    v.vs = vs;
    v.t = t;
    v.l = &out->layout;
    v.m = &out->layout.m;
    v.measure = measure;
    v.mctx = mctx;
    v.out = out;
    v.e = ui_ease(vs->t);
    out->focus_param = -1;
    ui_draw_reset(dl); /* the backdrop is the renderer's: ui_render_frame() clears to t->background */
    vw_resolve_inspected(&v);
    vw_resolve_focus(&v);
    vw_draw_header(&v);
    vw_draw_stage(&v);
    vw_draw_inspector(&v);
    vw_draw_timeline(&v);
    vw_draw_hints(&v);
    if (vs->show_focus)
        vw_draw_focus_ring(&v);
    if (vs->question != NULL)
        vw_draw_question(&v);
    if (vs->menu_count > 0)
        vw_draw_menu(&v);
    if (v.tip && vs->menu_count == 0 && !vs->help)
        vw_draw_tip(&v);
    if (vs->help)
        vw_draw_help(&v);
}

ui_hit ui_view_hit(const ui_draw_list *dl, const ui_view_frame *frame, float x, float y)
{
    ui_hit h = {UI_HIT_NONE, 0, {UI_INSPECT_NONE, 0}};
    int id = ui_draw_hit(dl, x, y);
    if (id == UI_ID_NONE)
        return h;
    unsigned kind = (unsigned)id >> UI_VIEW_INDEX_BITS;
    if (kind == UI_HIT_NONE || kind >= UI_HIT_KIND_COUNT)
        return h;
    h.kind = (ui_hit_kind)kind;
    h.index = (int)((unsigned)id & ((1u << UI_VIEW_INDEX_BITS) - 1));
    if (h.kind == UI_HIT_BYTE || h.kind == UI_HIT_FIELD || h.kind == UI_HIT_HEADER)
        h.in = frame->inspected;
    return h;
}

bool ui_hit_equal(ui_hit a, ui_hit b)
{
    return a.kind == b.kind && a.index == b.index && (a.kind == UI_HIT_NONE || vw_same_inspect(a.in, b.in));
}
