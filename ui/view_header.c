/* view_header.c -- the header: the narration, set to fit, and the step counter. See view_draw.h. */
#include "view_draw.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

/* How the narration is set in the header: at the largest size from full size down to
 * m->narration_min at which all of it fits in the narration band; failing that, the same over
 * the band and the detail line under it (the narration matters more than the event's own
 * sentence); failing that too, at the smallest size over both, cut with an ellipsis. The band
 * never changes size, only the type does: nothing below the header moves. */
typedef struct narration_fit {
    int size;
    float line_h;
    size_t lines;     /* the lines there is room for */
    bool over_detail; /* the narration takes the detail line's room */
    wrapped ls;       /* the text wrapped at `size` */
} narration_fit;

static float narration_leading(int size)
{
    return roundf((float)size * UI_NARRATION_LEADING);
}

/* Sets f for `size` in `room`; true when the text fits. The width of the text on one line at
 * full size, `one_line`, gives a lower bound on the lines it needs at any size, which spares
 * most sizes the wrap (type is about proportional to its size; 5% of slack for hinting). */
static bool narration_try(V *v, const char *text, float one_line, float room, int size, narration_fit *f)
{
    const ui_metrics *m = v->m;
    float w = v->l->narration.w;
    size_t have = (size_t)floorf((room + 0.5f) / narration_leading(size));
    if (have > NARRATION_LINES_MAX)
        have = NARRATION_LINES_MAX;
    float least = ceilf(one_line * 0.95f * (float)size / (float)m->narration / w);
    if (least > (float)have)
        return false;
    f->size = size;
    f->line_h = narration_leading(size);
    f->lines = have;
    f->ls = (wrapped){0};
    vw_wrap_words(v, text, w, UI_FONT_SANS, size, vw_collect_line, &f->ls);
    return f->ls.n <= have;
}

/* About two wraps for a long narration, one for a short one. */
static void fit_narration(V *v, const char *text, narration_fit *f)
{
    const ui_metrics *m = v->m;
    const ui_layout *l = v->l;
    float one_line = v->measure(v->mctx, UI_FONT_SANS, m->narration, text, strlen(text));
    float rooms[2] = {l->narration.h, l->detail.y + l->detail.h - l->narration.y};
    for (int r = 0; r < 2; r++) {
        f->over_detail = r == 1;
        for (int size = m->narration; size >= m->narration_min; size--)
            if (narration_try(v, text, one_line, rooms[r], size, f))
                return;
    }
    /* The last resort: cut. */
    f->over_detail = true;
    f->size = m->narration_min;
    f->line_h = narration_leading(f->size);
    f->lines = (size_t)floorf((rooms[1] + 0.5f) / f->line_h);
    if (f->lines > NARRATION_LINES_MAX)
        f->lines = NARRATION_LINES_MAX;
    f->ls = (wrapped){0};
    vw_wrap_words(v, text, l->narration.w, UI_FONT_SANS, f->size, vw_collect_line, &f->ls);
}

static bool reviewing(const V *v)
{
    return v->vs->live_step != SIZE_MAX && v->s->step != SIZE_MAX && v->s->step < v->vs->live_step;
}

void vw_draw_header(V *v)
{
    const ui_theme *t = v->t;
    const ui_metrics *m = v->m;
    const ui_layout *l = v->l;
    const ui_scene *s = v->s;
    const rs_trace_event *ev = s->current;
    bool review = reviewing(v);

    ui_draw_rect(v->dl, l->header, t->panel, 0, UI_ID_NONE);
    ui_draw_line(v->dl, 0, l->header.y + l->header.h - 0.5f, l->header.w, l->header.y + l->header.h - 0.5f,
                 t->panel_edge, 1);
    if (review) {
        ui_draw_rect(v->dl, l->header, vw_fade(t->review, 0.12f), 0, UI_ID_NONE);
        ui_draw_rect(v->dl, (ui_rect){0, l->header.y, roundf(6 * m->scale), l->header.h}, t->review, 0,
                     UI_ID_NONE);
    }

    char text[TEXT_MAX];
    /* A narration written for an earlier step stays up, set apart so that nobody reads it as this
     * step's: the detail line under it says what this step did. */
    bool earlier = v->vs->narration_step != SIZE_MAX && s->step != SIZE_MAX &&
                   v->vs->narration_step < s->step;
    if (v->vs->narration != NULL && v->vs->narration[0] != '\0' && earlier)
        snprintf(text, sizeof text, "(since step %zu) %s", v->vs->narration_step + 1, v->vs->narration);
    else if (v->vs->narration != NULL && v->vs->narration[0] != '\0')
        snprintf(text, sizeof text, "%s", v->vs->narration);
    else if (ev != NULL)
        ui_format_event(text, sizeof text, ev);
    else
        snprintf(text, sizeof text, "Waiting for the first event of the call\xE2\x80\xA6");
    narration_fit fit;
    fit_narration(v, text, &fit);
    ui_rect nr = l->narration;
    vw_draw_lines(v, (ui_rect){nr.x, nr.y, nr.w, fit.line_h * (float)fit.lines}, UI_FONT_SANS, fit.size,
                  fit.line_h, earlier ? t->text_dim : t->text_strong, &fit.ls, fit.lines);

    /* Under it, in small type, what exactly happened: the event itself. */
    if (ev != NULL && !fit.over_detail) {
        char detail[TEXT_MAX];
        int layer = ev->layer ? (int)ev->layer : (int)rs_trace_kind_layer(ev->kind);
        if (v->vs->narration != NULL && v->vs->narration[0] != '\0') {
            char sentence[TEXT_MAX];
            snprintf(detail, sizeof detail, "%s", ui_format_event(sentence, sizeof sentence, ev));
        } else {
            int n = snprintf(detail, sizeof detail, "%s \xC2\xB7 %s \xC2\xB7 %s", vw_side_word(ui_scene_side(ev)),
                             rs_trace_layer_name((rs_trace_layer)layer), rs_trace_kind_name(ev->kind));
            if (n > 0 && ev->procedure && ev->procedure[0] && (size_t)n < sizeof detail)
                n += snprintf(detail + n, sizeof detail - (size_t)n, " \xC2\xB7 %s", ev->procedure);
            if (n > 0 && ev->call_id && (size_t)n < sizeof detail)
                snprintf(detail + n, sizeof detail - (size_t)n, " \xC2\xB7 call %" PRIu32, ev->call_id);
        }
        /* Right under the narration's last line, so that the two read together (the header keeps
         * its size: nothing else moves). */
        ui_rect dr = l->detail;
        size_t lines = fit.ls.n < fit.lines ? fit.ls.n : fit.lines;
        float y = fminf(nr.y + (float)lines * fit.line_h, dr.y + dr.h - m->small_line);
        vw_label(v, (ui_rect){dr.x, y, dr.w, m->small_line}, UI_FONT_SANS, m->small, t->text_dim, UI_ALIGN_LEFT,
                 UI_ID_NONE, detail);
    }

    /* The status column: the step counter, play state and speed, and the review banner. */
    ui_rect st = l->status;
    char line[160];
    if (s->event_count == 0 || s->step == SIZE_MAX)
        snprintf(line, sizeof line, "No events yet");
    else
        snprintf(line, sizeof line, "Step %zu of %zu", s->step + 1, s->event_count);
    vw_label(v, (ui_rect){st.x, st.y, st.w, m->title_line}, UI_FONT_SANS_BOLD, m->title, t->text_strong,
             UI_ALIGN_RIGHT, UI_ID_NONE, line);
    float speed = v->vs->speed > 0 ? v->vs->speed : 1;
    int n = snprintf(line, sizeof line, "%s \xC2\xB7 %g\xC3\x97",
                     v->vs->playing ? "\xE2\x96\xB6 playing" : "\xE2\x9D\x9A\xE2\x9D\x9A paused", (double)speed);
    if (n > 0 && (v->vs->break_pdu || v->vs->break_ndr) && (size_t)n < sizeof line)
        snprintf(line + n, sizeof line - (size_t)n, " \xC2\xB7 stops at %s%s%s", v->vs->break_pdu ? "PDUs" : "",
                 v->vs->break_pdu && v->vs->break_ndr ? ", " : "", v->vs->break_ndr ? "NDR" : "");
    vw_label(v, (ui_rect){st.x, st.y + m->title_line, st.w, m->small_line}, UI_FONT_SANS, m->small, t->text,
             UI_ALIGN_RIGHT, UI_ID_NONE, line);
    float y3 = st.y + m->title_line + m->small_line + roundf(m->gap * 0.5f);
    if (review) {
        snprintf(line, sizeof line, "reviewing step %zu \xE2\x80\x94 live at %zu", s->step + 1,
                 v->vs->live_step + 1);
        float w = fminf(vw_text_width(v, UI_FONT_SANS_BOLD, m->small, line) + 2 * m->pad, st.w);
        ui_rect pill = {st.x + st.w - w, y3, w, m->small_line + m->gap};
        ui_draw_rect(v->dl, pill, t->review, pill.h / 2, UI_ID_NONE);
        vw_label(v, ui_rect_inset(pill, m->pad, 0), UI_FONT_SANS_BOLD, m->small, t->on_tint, UI_ALIGN_CENTER,
                 UI_ID_NONE, line);
    } else if (v->vs->notice != NULL) {
        float w = fminf(vw_text_width(v, UI_FONT_SANS_BOLD, m->small, v->vs->notice) + 2 * m->pad, st.w);
        ui_rect pill = {st.x + st.w - w, y3, w, m->small_line + m->gap};
        ui_draw_rect(v->dl, pill, t->accent, pill.h / 2, UI_ID_NONE);
        vw_label(v, ui_rect_inset(pill, m->pad, 0), UI_FONT_SANS_BOLD, m->small, t->on_tint, UI_ALIGN_CENTER,
                 UI_ID_NONE, v->vs->notice);
    } else if (v->vs->lesson != NULL) {
        snprintf(line, sizeof line, "lesson: %s", v->vs->lesson);
        vw_label(v, (ui_rect){st.x, y3, st.w, m->small_line}, UI_FONT_SANS, m->small, t->text_dim,
                 UI_ALIGN_RIGHT, UI_ID_NONE, line);
    }
}
