/* view.c -- the whole window as a draw list. See view.h.
 *
 * Sections: text helpers, what the inspector shows and what is in focus, the header (narration,
 * step counter), the stage (address spaces, lanes, memory, network, packets, token), the
 * inspector (hex dump, field tree), the timeline, the hint bar, and the overlays (question,
 * menu, help, tooltip). Steps are shown to people counted from 1: step index i is "step i + 1".
 */
#include "view.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "format.h"
#include "ndr.h"
#include "pdu.h"
#include "status.h"

#define BYTES_PER_ROW 16
#define TEXT_MAX 1024           /* the longest string drawn in one command */
#define NARRATION_LINES_MAX 12   /* lines of narration at its smallest in the tallest band */
#define TIP_MAX 320
#define EVENT_WALK_MAX 100000   /* how far back the inspector looks for something to show */
#define LANE_LOG_MAX 4          /* events a lane lists, newest first */
#define LANE_WALK_MAX 2048      /* how far back a lane looks for them */

static const char *const lane_names[UI_LANES] = {"application", "stub", "RPC runtime", "transport"};
static const char *const lane_notes[UI_LANES] = {"the program", "generated: marshals", "PDUs, dispatch",
                                                 "the socket"};


/* A run of inspected bytes that one field (or header field) covers. */
typedef struct seg {
    size_t begin, end;  /* in the inspected bytes */
    int field;          /* index into v->buf->fields, or -1 */
    int header;         /* index into v->hdr, or -1 */
    int param;          /* colour index, or -1 */
    int role;           /* rs_ndr_role, or -1 for a header field or unknown bytes */
    size_t step;        /* the step that wrote it, SIZE_MAX if unknown */
} seg;

typedef struct V {
    ui_draw_list *dl;
    const ui_scene *s;
    const ui_view_state *vs;
    const ui_theme *t;
    const ui_layout *l;
    const ui_metrics *m;
    ui_measure measure;
    void *mctx;
    ui_view_frame *out;
    float e;                    /* the eased progress of this step's motion */
    /* What the inspector shows. */
    ui_inspect in;
    const uint8_t *bytes;
    size_t len;
    const ui_buffer *buf;       /* the NDR buffer whose fields describe the stub bytes, or NULL */
    size_t stub_start, stub_len; /* the stub data within the bytes */
    size_t stub_offset;         /* where that stub data starts in buf (a later fragment: > 0) */
    bool big_endian;
    ui_pdu_field hdr[UI_PDU_FIELDS_MAX];
    size_t hdr_count;
    /* What is in focus: hovered, else selected. */
    ui_hit focus;
    int focus_param;
    int focus_field, focus_header;
    size_t fb, fe;              /* focused bytes of the inspected thing */
    /* The tooltip, found while drawing the hovered thing. */
    bool tip;
    ui_rect tip_at;
} V;

/* ---- helpers ------------------------------------------------------------------------------- */

static ui_color fade(ui_color c, float a)
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
static ui_color ink_on(const ui_theme *t, ui_color bg)
{
    float l = 0.2126f * (float)bg.r + 0.7152f * (float)bg.g + 0.0722f * (float)bg.b;
    ui_color light = t->text_strong.r >= 128 ? t->text_strong : (ui_color){255, 255, 255, 255};
    return l > 140 ? t->on_tint : light;
}

static float text_width(V *v, ui_font f, int size, const char *s)
{
    return v->measure(v->mctx, f, size, s, strlen(s));
}

/* Draws `s` in r, cut with an ellipsis to fit r.w; returns the width drawn. */
static float label(V *v, ui_rect r, ui_font f, int size, ui_color c, ui_align a, int id, const char *s)
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

static float ease_now(const V *v, size_t step)
{
    return step == v->s->step ? v->e : 1;
}

static const rs_trace_event *event_at(const ui_scene *s, size_t i)
{
    return s->events != NULL && i < s->event_count ? s->events[i] : NULL;
}

static ui_color side_color(const ui_theme *t, int side)
{
    return side == UI_SERVER ? t->server : t->client;
}

static const char *side_word(int side)
{
    return side == UI_SERVER ? "server" : "client";
}

static void hit_area(V *v, ui_rect r, int id)
{
    ui_draw_rect(v->dl, r, (ui_color){0, 0, 0, 0}, 0, id);
}

static bool is_pdu_kind(rs_trace_kind k)
{
    return k == RS_TRACE_PDU_BUILT || k == RS_TRACE_PDU_SENT || k == RS_TRACE_PDU_RECEIVED;
}

static bool hovered(const V *v, ui_hit_kind kind, int index)
{
    return v->vs->hover.kind == kind && v->vs->hover.index == index;
}

/* A name path as C would say it: "pCount->*" is "*pCount", "list->next->*" is "*list->next". */
static const char *pretty_path(const char *path, char *out, size_t size)
{
    size_t n = strlen(path);
    if (n > 3 && strcmp(path + n - 3, "->*") == 0)
        snprintf(out, size, "*%.*s", (int)(n - 3), path);
    else
        snprintf(out, size, "%s", path);
    return out;
}

/* ---- what the inspector shows ---------------------------------------------------------------- */

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
    const rs_trace_event *ev = event_at(s, i);
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

static void resolve_inspected(V *v)
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
        const rs_trace_event *ev = event_at(s, v->in.step);
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
static seg seg_at(const V *v, size_t b)
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
static bool field_range(const V *v, int j, size_t *b, size_t *e)
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

static bool same_inspect(ui_inspect a, ui_inspect b)
{
    return a.kind == b.kind && a.step == b.step;
}

static void resolve_focus(V *v)
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
        if (same_inspect(h.in, v->in) && (size_t)h.index < v->len) {
            seg g = seg_at(v, (size_t)h.index);
            v->focus_param = g.param;
            v->focus_field = g.field;
            v->focus_header = g.header;
            v->fb = g.begin;
            v->fe = g.end;
        }
        break;
    case UI_HIT_FIELD:
        if (same_inspect(h.in, v->in) && field_range(v, h.index, &v->fb, &v->fe)) {
            v->focus_field = h.index;
            v->focus_param = v->buf->fields[h.index].param;
        }
        break;
    case UI_HIT_HEADER:
        if (same_inspect(h.in, v->in) && (size_t)h.index < v->hdr_count) {
            v->focus_header = h.index;
            v->fb = v->hdr[h.index].offset;
            v->fe = v->fb + v->hdr[h.index].length;
        }
        break;
    case UI_HIT_EVENT: {
        const rs_trace_event *ev = event_at(s, (size_t)h.index);
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
            if (v->buf->fields[j].param == v->focus_param && field_range(v, (int)j, &b, &e)) {
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

/* ---- the header: narration and step counter --------------------------------------------------- */

typedef struct wrapped {
    const char *at[NARRATION_LINES_MAX + 1];
    size_t len[NARRATION_LINES_MAX + 1];
    size_t n;
} wrapped;

static void collect_line(const char *line, size_t len, void *ctx)
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
static size_t wrap_words(V *v, const char *text, float width, ui_font f, int size,
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
static void draw_lines(V *v, ui_rect r, ui_font f, int size, float line_h, ui_color c, const wrapped *ls,
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
        label(v, (ui_rect){r.x, r.y + (float)i * line_h, r.w, line_h}, f, size, c, UI_ALIGN_LEFT,
              UI_ID_NONE, buf);
    }
}

/* Wraps text into up to `max` lines of r (max <= NARRATION_LINES_MAX), the last one cut if more. */
static void paragraph(V *v, ui_rect r, ui_font f, int size, float line_h, ui_color c, const char *text,
                      size_t max)
{
    wrapped ls = {0};
    wrap_words(v, text, r.w, f, size, collect_line, &ls);
    draw_lines(v, r, f, size, line_h, c, &ls, max);
}

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
    wrap_words(v, text, w, UI_FONT_SANS, size, collect_line, &f->ls);
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
    wrap_words(v, text, l->narration.w, UI_FONT_SANS, f->size, collect_line, &f->ls);
}

static bool reviewing(const V *v)
{
    return v->vs->live_step != SIZE_MAX && v->s->step != SIZE_MAX && v->s->step < v->vs->live_step;
}

static void draw_header(V *v)
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
        ui_draw_rect(v->dl, l->header, fade(t->review, 0.12f), 0, UI_ID_NONE);
        ui_draw_rect(v->dl, (ui_rect){0, l->header.y, roundf(6 * m->scale), l->header.h}, t->review, 0,
                     UI_ID_NONE);
    }

    char text[TEXT_MAX];
    if (v->vs->narration != NULL && v->vs->narration[0] != '\0')
        snprintf(text, sizeof text, "%s", v->vs->narration);
    else if (ev != NULL)
        ui_format_event(text, sizeof text, ev);
    else
        snprintf(text, sizeof text, "Waiting for the first event of the call\xE2\x80\xA6");
    narration_fit fit;
    fit_narration(v, text, &fit);
    ui_rect nr = l->narration;
    draw_lines(v, (ui_rect){nr.x, nr.y, nr.w, fit.line_h * (float)fit.lines}, UI_FONT_SANS, fit.size,
               fit.line_h, t->text_strong, &fit.ls, fit.lines);

    /* Under it, in small type, what exactly happened: the event itself. */
    if (ev != NULL && !fit.over_detail) {
        char detail[TEXT_MAX];
        int layer = ev->layer ? (int)ev->layer : (int)rs_trace_kind_layer(ev->kind);
        if (v->vs->narration != NULL && v->vs->narration[0] != '\0') {
            char sentence[TEXT_MAX];
            snprintf(detail, sizeof detail, "%s", ui_format_event(sentence, sizeof sentence, ev));
        } else {
            int n = snprintf(detail, sizeof detail, "%s \xC2\xB7 %s \xC2\xB7 %s", side_word(ui_scene_side(ev)),
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
        label(v, (ui_rect){dr.x, y, dr.w, m->small_line}, UI_FONT_SANS, m->small, t->text_dim, UI_ALIGN_LEFT,
              UI_ID_NONE, detail);
    }

    /* The status column: the step counter, play state and speed, and the review banner. */
    ui_rect st = l->status;
    char line[160];
    if (s->event_count == 0 || s->step == SIZE_MAX)
        snprintf(line, sizeof line, "No events yet");
    else
        snprintf(line, sizeof line, "Step %zu of %zu", s->step + 1, s->event_count);
    label(v, (ui_rect){st.x, st.y, st.w, m->title_line}, UI_FONT_SANS_BOLD, m->title, t->text_strong,
          UI_ALIGN_RIGHT, UI_ID_NONE, line);
    float speed = v->vs->speed > 0 ? v->vs->speed : 1;
    int n = snprintf(line, sizeof line, "%s \xC2\xB7 %g\xC3\x97",
                     v->vs->playing ? "\xE2\x96\xB6 playing" : "\xE2\x9D\x9A\xE2\x9D\x9A paused", (double)speed);
    if (n > 0 && (v->vs->break_pdu || v->vs->break_ndr) && (size_t)n < sizeof line)
        snprintf(line + n, sizeof line - (size_t)n, " \xC2\xB7 stops at %s%s%s", v->vs->break_pdu ? "PDUs" : "",
                 v->vs->break_pdu && v->vs->break_ndr ? ", " : "", v->vs->break_ndr ? "NDR" : "");
    label(v, (ui_rect){st.x, st.y + m->title_line, st.w, m->small_line}, UI_FONT_SANS, m->small, t->text,
          UI_ALIGN_RIGHT, UI_ID_NONE, line);
    float y3 = st.y + m->title_line + m->small_line + roundf(m->gap * 0.5f);
    if (review) {
        snprintf(line, sizeof line, "reviewing step %zu \xE2\x80\x94 live at %zu", s->step + 1,
                 v->vs->live_step + 1);
        float w = fminf(text_width(v, UI_FONT_SANS_BOLD, m->small, line) + 2 * m->pad, st.w);
        ui_rect pill = {st.x + st.w - w, y3, w, m->small_line + m->gap};
        ui_draw_rect(v->dl, pill, t->review, pill.h / 2, UI_ID_NONE);
        label(v, ui_rect_inset(pill, m->pad, 0), UI_FONT_SANS_BOLD, m->small, t->on_tint, UI_ALIGN_CENTER,
              UI_ID_NONE, line);
    } else if (v->vs->notice != NULL) {
        float w = fminf(text_width(v, UI_FONT_SANS_BOLD, m->small, v->vs->notice) + 2 * m->pad, st.w);
        ui_rect pill = {st.x + st.w - w, y3, w, m->small_line + m->gap};
        ui_draw_rect(v->dl, pill, t->accent, pill.h / 2, UI_ID_NONE);
        label(v, ui_rect_inset(pill, m->pad, 0), UI_FONT_SANS_BOLD, m->small, t->on_tint, UI_ALIGN_CENTER,
              UI_ID_NONE, v->vs->notice);
    } else if (v->vs->lesson != NULL) {
        snprintf(line, sizeof line, "lesson: %s", v->vs->lesson);
        label(v, (ui_rect){st.x, y3, st.w, m->small_line}, UI_FONT_SANS, m->small, t->text_dim,
              UI_ALIGN_RIGHT, UI_ID_NONE, line);
    }
}

/* ---- the stage: memory cells ------------------------------------------------------------------ */

/* The address the other side has for a cell of the same name (0 if it has none). */
static const ui_cell *twin(const ui_scene *s, const ui_cell *c)
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
    float w = fminf(ceilf(text_width(v, f, size, s)) + 2 * pad + 1, max_w);
    ui_rect r = {x, y, w, h};
    ui_draw_rect(v->dl, r, bg, roundf(v->m->radius * 0.6f), UI_ID_NONE);
    if (edge.a > 0)
        ui_draw_frame(v->dl, r, edge, roundf(v->m->radius * 0.6f), 1, UI_ID_NONE);
    label(v, ui_rect_inset(r, pad, 0), f, size, fg, UI_ALIGN_LEFT, UI_ID_NONE, s);
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
    float a = ease_now(v, c->step);
    bool focused = v->focus_param >= 0 && c->param == v->focus_param;
    if (v->focus_param >= 0 && !focused)
        a *= 0.45f;
    int id = ui_view_id(UI_HIT_CELL, (int)index);
    ui_color pc = c->param >= 0 ? ui_theme_param_color(t, (unsigned)c->param) : t->text_dim;
    ui_color tint = c->param >= 0 ? ui_theme_param_tint(t, (unsigned)c->param) : t->lane_alt;
    ui_color none = {0, 0, 0, 0};

    ui_draw_rect(v->dl, r, fade(t->lane, a), m->radius, id);
    ui_draw_frame(v->dl, r, fade(t->panel_edge, a), m->radius, 1, UI_ID_NONE);
    float stripe = roundf(5 * m->scale);
    ui_draw_rect(v->dl, (ui_rect){r.x, r.y + m->radius * 0.5f, stripe, r.h - m->radius}, fade(pc, a), 0, UI_ID_NONE);
    if (focused)
        ui_draw_frame(v->dl, ui_rect_inset(r, -1, -1), t->text_strong, m->radius, 2 * m->stroke, UI_ID_NONE);
    else if (c->step == s->step)
        ui_draw_frame(v->dl, ui_rect_inset(r, -1, -1), fade(t->accent, a), m->radius, 2 * m->stroke, UI_ID_NONE);
    if (hovered(v, UI_HIT_CELL, (int)index)) {
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
    const ui_cell *other = twin(s, c);
    bool moved = other != NULL && c->written && other->address != c->address && c->address != 0 && other->address != 0;
    ui_color dim = fade(t->text_dim, a), ink = fade(t->on_tint, a), strong = fade(t->text_strong, a);

    char name[UI_SCENE_NAME_MAX + 8];
    snprintf(name, sizeof name, "%s%s", c->name, c->out ? " [out]" : "");
    float h2 = m->mono_line;
    if (mode == UI_CELL_COMPACT) {
        /* One row: name, then its value (or the pointer), then the address when there is room. */
        float nw = label(v, (ui_rect){in.x, in.y, in.w * 0.35f, in.h}, UI_FONT_SANS_BOLD, m->body, strong,
                         UI_ALIGN_LEFT, UI_ID_NONE, name);
        float x = in.x + nw + m->gap;
        float y = in.y + (in.h - h2) / 2;
        ui_rect vb = pill(v, x, y, h2, in.x + in.w - x, UI_FONT_MONO, m->mono,
                          ptr ? fade(t->panel, a) : fade(tint, a), ptr ? strong : ink,
                          ptr ? fade(t->panel_edge, a) : none, null ? "NULL" : ptr ? addr : value);
        x = vb.x + vb.w + m->gap;
        if (ptr && !null && x < in.x + in.w) {
            ui_draw_arrow(v->dl, x, y + h2 / 2, x + m->pad, y + h2 / 2, fade(t->text, a), m->stroke);
            x += m->pad + m->gap * 0.5f;
            if (in.x + in.w - x > 4 * m->mono_advance)
                pill(v, x, y, h2, in.x + in.w - x, UI_FONT_MONO, m->mono, fade(tint, a), ink, none, value);
        }
        return;
    }

    /* Row 1: the name and its C type. */
    float nw = label(v, (ui_rect){in.x, in.y, in.w * 0.6f, m->line}, UI_FONT_SANS_BOLD, m->body, strong, UI_ALIGN_LEFT,
                     UI_ID_NONE, name);
    label(v, (ui_rect){in.x + nw + m->pad, in.y, in.w - nw - m->pad, m->line}, UI_FONT_MONO, m->small, dim,
          UI_ALIGN_RIGHT, UI_ID_NONE, c->c_type);

    /* Row 2: the pointer and an arrow to what it points to; NULL pointing to nothing; or the
     * value itself and where the variable lives. */
    float y2 = in.y + m->line;
    if (null) {
        ui_rect p = pill(v, in.x, y2, h2, in.w * 0.5f, UI_FONT_MONO_BOLD, m->mono, fade(t->lane_alt, a), strong,
                         fade(t->text_dim, a), "NULL");
        ground(v, p.x + p.w + m->gap, y2 + h2 / 2, roundf(h2 * 0.5f), fade(t->text, a));
        snprintf(note, sizeof note, "points to nothing: NDR sends referent id 0, no referent");
    } else if (ptr) {
        ui_rect p = pill(v, in.x, y2, h2, in.w, UI_FONT_MONO, m->mono, fade(t->panel, a), strong,
                         moved ? fade(t->accent, a) : fade(t->panel_edge, a), addr);
        float x = p.x + p.w + m->gap * 0.5f;
        float ax = x + roundf(m->pad * 1.6f);
        if (ax + 4 * m->mono_advance < in.x + in.w) {
            ui_draw_arrow(v->dl, x, y2 + h2 / 2, ax, y2 + h2 / 2, fade(t->text, a), m->stroke);
            pill(v, ax + m->gap * 0.5f, y2, h2, in.x + in.w - ax - m->gap * 0.5f, UI_FONT_MONO, m->mono, fade(tint, a),
                 ink, fade(pc, a), value);
        }
        if (moved)
            snprintf(note, sizeof note, "\xE2\x89\xA0 the %s's %s: this stub made its own copy", side_word(other->side),
                     ui_format_address(oa, sizeof oa, other->address));
        else
            snprintf(note, sizeof note, "%zu byte%s at %s, %s by the stub at step %zu", c->size, c->size == 1 ? "" : "s",
                     addr, c->written ? "written" : "read", c->step + 1);
    } else {
        ui_rect vb = pill(v, in.x, y2, h2, in.w * 0.7f, UI_FONT_MONO, m->mono, fade(tint, a), ink, fade(pc, a), value);
        char where[64];
        snprintf(where, sizeof where, "at %s", addr);
        float x = vb.x + vb.w + m->pad;
        label(v, (ui_rect){x, y2, in.x + in.w - x, h2}, UI_FONT_MONO, m->small, moved ? fade(t->text, a) : dim,
              UI_ALIGN_LEFT, UI_ID_NONE, where);
        if (moved)
            snprintf(note, sizeof note, "\xE2\x89\xA0 the %s's %s: a new variable, same value", side_word(other->side),
                     ui_format_address(oa, sizeof oa, other->address));
        else
            snprintf(note, sizeof note, "%s by the stub at step %zu", c->written ? "written" : "read", c->step + 1);
    }
    /* Row 3: what to notice. */
    if (mode == UI_CELL_FULL)
        label(v, (ui_rect){in.x, y2 + h2 + roundf(m->gap * 0.3f), in.w, m->small_line}, UI_FONT_SANS, m->small,
              moved ? fade(t->text, a) : dim, UI_ALIGN_LEFT, UI_ID_NONE, note);
}

/* The memory slots a side needs: one per parameter of the timeline, and one per cell that has
 * no parameter (a name the scene could not place). */
static size_t memory_slots(const ui_scene *s)
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
    size_t all_rows = (memory_slots(s) + g->cols - 1) / g->cols;
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

static void draw_memory(V *v, int side)
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
        ui_draw_frame(v->dl, r, fade(v->t->panel_edge, 0.7f), m->radius, 1, UI_ID_NONE);
        char empty[UI_SCENE_NAME_MAX + 32];
        snprintf(empty, sizeof empty, "%s \xC2\xB7 not in this process", s->params[p]);
        label(v, (ui_rect){r.x + m->pad, r.y, r.w - 2 * m->pad, fminf(r.h, m->line + m->gap)}, UI_FONT_SANS, m->small,
              fade(v->t->text_dim, 0.8f), UI_ALIGN_LEFT, UI_ID_NONE, empty);
    }
    ui_rect title = {M.x, M.y, M.w, m->small_line};
    float more_w = 0;
    if (hidden > 0) {
        char more[48];
        snprintf(more, sizeof more, "+%zu more", hidden);
        more_w = label(v, title, UI_FONT_SANS_BOLD, m->small, v->t->text_dim, UI_ALIGN_RIGHT, UI_ID_NONE, more) + m->pad;
    }
    title.w -= more_w;
    label(v, title, UI_FONT_SANS, m->small, v->t->text_dim, UI_ALIGN_LEFT, UI_ID_NONE,
          "memory \xC2\xB7 addresses are valid only in this process");
}

/* ---- the stage: address spaces and lanes ------------------------------------------------------- */

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
            ui_draw_rect(v->dl, r, fade(t->accent, 0.10f * v->e), roundf(m->radius * 0.6f), UI_ID_NONE);
            ui_draw_frame(v->dl, r, fade(t->accent, 0.8f * v->e), roundf(m->radius * 0.6f), m->stroke, UI_ID_NONE);
        }
        ui_rect in = ui_rect_inset(r, m->gap, roundf(m->gap * 0.5f));
        if (side == UI_CLIENT)
            ui_rect_cut_right(&in, token_col);
        else
            ui_rect_cut_left(&in, token_col);
        /* The lane's name, and what it is; in a short lane, the name beside its words. */
        bool one_row = !ui_layout_lanes_two_rows(v->l);
        float lh = one_row ? in.h : m->small_line;
        float nw = label(v, (ui_rect){in.x, in.y, in.w, lh}, UI_FONT_SANS_BOLD, m->small,
                         here ? t->text_strong : t->text_dim, UI_ALIGN_LEFT, UI_ID_NONE, lane_names[i]);
        if (!one_row && nw > 0 && nw + m->gap + text_width(v, UI_FONT_SANS, m->small, lane_notes[i]) <= in.w)
            label(v, (ui_rect){in.x + nw + m->gap, in.y, in.w - nw - m->gap, lh}, UI_FONT_SANS, m->small,
                  t->text_dim, UI_ALIGN_LEFT, UI_ID_NONE, lane_notes[i]);
        if (one_row) {
            float name_w = text_width(v, UI_FONT_SANS_BOLD, m->small, "RPC runtime") + m->pad;
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
            const rs_trace_event *ev = event_at(s, k);
            int layer = ev->layer ? (int)ev->layer : (int)rs_trace_kind_layer(ev->kind);
            if (ui_scene_side(ev) == side && layer == i + 1)
                shown[count++] = k;
            if (k == 0)
                break;
        }
        float y = cr.y;
        for (int k = 0; k < count; k++, y += m->line) {
            const rs_trace_event *ev = event_at(s, shown[k]);
            char words[160], step[24];
            ui_format_event_short(words, sizeof words, ev);
            snprintf(step, sizeof step, "%zu", shown[k] + 1);
            ui_rect row = {cr.x, y, cr.w, rows == 1 ? cr.h : m->line};
            float sw = text_width(v, UI_FONT_MONO, m->small, step) + m->gap;
            float age = k == 0 ? 1 : fmaxf(0.35f, 0.8f - 0.15f * (float)k);
            bool fresh = shown[k] == s->step;
            ui_color ink = fresh ? fade(t->text_strong, 0.35f + 0.65f * v->e) : fade(t->text, age);
            if (ev->kind == RS_TRACE_CALL_END && s->fault && shown[k] == last) {
                const char *name = rs_fault_name(s->fault_status);
                snprintf(words, sizeof words, "the call failed: %s", name ? name : "fault");
                ink = t->fault;
            } else if (ev->kind == RS_TRACE_FAULT || ev->kind == RS_TRACE_ERROR) {
                ink = fade(t->fault, age);
            }
            label(v, (ui_rect){row.x + row.w - sw + m->gap, row.y, sw - m->gap, row.h}, UI_FONT_MONO, m->small,
                  fade(t->text_dim, age), UI_ALIGN_RIGHT, UI_ID_NONE, step);
            label(v, (ui_rect){row.x, row.y, row.w - sw, row.h}, fresh ? UI_FONT_SANS_BOLD : UI_FONT_SANS,
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
    hit_area(v, head, ui_view_id(UI_HIT_SIDE, side));
    const char *title = side == UI_CLIENT ? "client" : "server";
    float tw = label(v, head, UI_FONT_SANS_BOLD, m->title, role, UI_ALIGN_LEFT, UI_ID_NONE, title);
    char sub[160];
    if (sd->seen)
        snprintf(sub, sizeof sub, "process %" PRIu32, sd->pid);
    else
        snprintf(sub, sizeof sub, "not started yet");
    label(v, (ui_rect){head.x + tw + m->pad, head.y, head.w - tw - m->pad, m->title_line}, UI_FONT_SANS, m->small,
          t->text_dim, UI_ALIGN_LEFT, UI_ID_NONE, sub);

    draw_lanes(v, side);
    draw_memory(v, side);

    bool gone = sd->crashed || v->vs->process_gone[side] != NULL;
    if (gone) {
        ui_draw_rect(v->dl, r, t->overlay, m->radius, UI_ID_NONE);
        const char *why = v->vs->process_gone[side] ? v->vs->process_gone[side] : sd->crash_reason;
        char msg[160];
        snprintf(msg, sizeof msg, "the %s process is gone", title);
        int size = text_width(v, UI_FONT_SANS_BOLD, m->title, msg) <= r.w - 2 * m->pad ? m->title : m->body;
        float lh = size == m->title ? m->title_line : m->line;
        ui_rect c = {r.x + m->pad, r.y + r.h / 2 - lh, r.w - 2 * m->pad, lh};
        label(v, c, UI_FONT_SANS_BOLD, size, t->fault, UI_ALIGN_CENTER, UI_ID_NONE, msg);
        if (why != NULL && why[0])
            label(v, (ui_rect){c.x, c.y + c.h, c.w, m->line}, UI_FONT_SANS, m->body, t->text, UI_ALIGN_CENTER,
                  UI_ID_NONE, why);
    }
}

/* ---- the stage: the network and the packets on it ------------------------------------------ */

/* Where a packet starts and ends: over the token's place in each transport lane, so that it
 * visibly leaves one process and enters the other. In flight it waits mid-wire. */
static float dock_x(const V *v, int side)
{
    return v->l->token_x[side];
}

typedef struct flight {
    size_t pdu;
    float progress;
    float slot_from, slot_to;
} flight;

static void draw_packet(V *v, const ui_pdu *p, ui_rect r, float progress, float alpha)
{
    const ui_theme *t = v->t;
    const ui_metrics *m = v->m;
    bool fault = p->ptype == RS_PTYPE_FAULT || p->ptype == RS_PTYPE_BIND_NAK;
    bool dim = v->vs->call_filter != 0 && p->call_id != v->vs->call_filter;
    float a = alpha * (dim ? 0.35f : 1) * (p->dropped ? 0.6f : 1);
    int id = ui_view_id(UI_HIT_PDU, (int)p->sent_step);
    bool hot = hovered(v, UI_HIT_PDU, (int)p->sent_step) ||
               (v->vs->selected.kind == UI_HIT_PDU && v->vs->selected.index == (int)p->sent_step);
    ui_color bg = fault ? t->fault : t->packet;
    ui_color ink = ink_on(t, bg);
    ui_draw_rect(v->dl, (ui_rect){r.x + 2, r.y + 3, r.w, r.h}, fade((ui_color){0, 0, 0, 40}, a), m->radius, UI_ID_NONE);
    ui_draw_rect(v->dl, r, fade(bg, a), m->radius, id);
    ui_draw_frame(v->dl, r, fade(hot ? t->text_strong : t->network, a), m->radius, hot ? 2 * m->stroke : m->stroke,
                  UI_ID_NONE);
    /* The direction it travels, as a small head on its leading edge. */
    bool right = p->from == UI_CLIENT;
    float hx = right ? r.x + r.w : r.x, hy = r.y + r.h / 2, hs = roundf(m->gap * 1.1f);
    ui_draw_arrow(v->dl, hx - (right ? hs : -hs), hy, hx + (right ? hs * 0.6f : -hs * 0.6f), hy,
                  fade(fault ? t->fault : t->network, a), 2 * m->stroke);

    ui_rect in = ui_rect_inset(r, m->gap, roundf(m->gap * 0.3f));
    char title[96];
    float lh = in.h / 2;
    snprintf(title, sizeof title, "%s", rs_pdu_type_name(p->ptype));
    label(v, (ui_rect){in.x, in.y, in.w, lh}, UI_FONT_SANS_BOLD, m->small, fade(ink, a), UI_ALIGN_CENTER,
          UI_ID_NONE, title);
    char sub[96];
    if (fault) {
        const char *name = p->ptype == RS_PTYPE_FAULT ? rs_fault_name(p->status) : "bind rejected";
        snprintf(sub, sizeof sub, "%s", name ? name : "unknown fault");
    } else {
        char full[96];
        ui_format_pdu_title(full, sizeof full, p->ptype, p->flags, p->call_id, p->status);
        const char *dot = strstr(full, "\xC2\xB7 ");
        snprintf(sub, sizeof sub, "%s", dot ? dot + 3 : full); /* without the type, said above */
    }
    label(v, (ui_rect){in.x, in.y + lh, in.w, lh}, UI_FONT_SANS, m->small, fade(ink, a), UI_ALIGN_CENTER,
          UI_ID_NONE, sub);
    if (p->dropped) {
        ui_draw_line(v->dl, r.x, r.y, r.x + r.w, r.y + r.h, t->fault, 3 * m->stroke);
        ui_draw_line(v->dl, r.x, r.y + r.h, r.x + r.w, r.y, t->fault, 3 * m->stroke);
    }
    if (hovered(v, UI_HIT_PDU, (int)p->sent_step)) {
        v->tip = true;
        v->tip_at = r;
    }
    ui_view_frame *out = v->out;
    if (out->packet_count < UI_VIEW_PACKETS_MAX)
        out->packets[out->packet_count++] = (ui_view_packet){p->sent_step, r, progress};
}

static void draw_packets(V *v, float top)
{
    const ui_scene *s = v->s;
    const ui_metrics *m = v->m;
    ui_rect n = v->l->network;
    float card_w = roundf(n.w - 2 * m->gap);
    float card_h = 2 * m->small_line + roundf(m->gap * 0.6f);
    float step_h = card_h + m->gap;
    size_t cap = (size_t)fmaxf(1, floorf((v->l->wire_y + card_h / 2 - top) / step_h));

    /* Packets on the wire: in flight, dropped, or moving at this step. The queue's order is the
     * order they were sent; the oldest sits on the wire, later ones wait above it. */
    static flight at[UI_SCENE_MAX_PDUS];
    size_t count = 0;
    size_t before = 0, after = 0; /* queue positions before and after this step */
    for (size_t i = 0; i < s->pdu_count; i++) {
        const ui_pdu *p = &s->pdus[i];
        bool sent_now = p->sent_step == s->step;
        bool received_now = p->received_step == s->step;
        bool flying = p->received_step == SIZE_MAX || received_now;
        if (!flying)
            continue;
        flight *f = &at[count++];
        f->pdu = i;
        f->progress = sent_now ? 0.5f * v->e : received_now ? 0.5f + 0.5f * v->e : 0.5f;
        f->slot_from = sent_now ? 0 : (float)before; /* a new packet rises from the wire */
        f->slot_to = (float)(received_now ? before : after);
        if (!sent_now)
            before++;
        if (!received_now)
            after++;
    }
    /* More than fit: the oldest wait in their places, the top place shows the packet moving at
     * this step (or the next in the queue), and a count says how many more there are. */
    size_t hidden = count > cap ? count - cap : 0;
    size_t shown_top = count;
    if (hidden > 0) {
        shown_top = cap - 1;
        for (size_t k = cap - 1; k < count; k++)
            if (s->pdus[at[k].pdu].sent_step == s->step)
                shown_top = k;
    }
    for (size_t k = 0; k < count; k++) {
        const flight *f = &at[k];
        float slot = f->slot_from + (f->slot_to - f->slot_from) * v->e;
        if (hidden > 0) {
            if (k >= cap - 1 && k != shown_top)
                continue;
            float to_slot = k == shown_top ? (float)(cap - 1) : f->slot_to;
            slot = s->pdus[f->pdu].sent_step == s->step ? to_slot * v->e : to_slot;
        }
        const ui_pdu *p = &s->pdus[f->pdu];
        int to = 1 - p->from;
        float x0 = dock_x(v, p->from), x1 = dock_x(v, to);
        float cx = x0 + (x1 - x0) * f->progress;
        float cy = v->l->wire_y - slot * step_h;
        ui_rect r = {roundf(cx - card_w / 2), roundf(cy - card_h / 2), card_w, card_h};
        float alpha = 1;
        if (p->sent_step == s->step)
            alpha = fminf(1, 0.25f + v->e * 1.5f);
        draw_packet(v, p, r, f->progress, alpha);
    }
    if (hidden > 0) {
        char more[64];
        snprintf(more, sizeof more, "+%zu more in flight", hidden);
        float y = v->l->wire_y - (float)cap * step_h + card_h / 2 - m->small_line;
        label(v, (ui_rect){n.x, fmaxf(top, y), n.w, m->small_line}, UI_FONT_SANS, m->small, v->t->text_dim,
              UI_ALIGN_CENTER, UI_ID_NONE, more);
    }
}

static void draw_network(V *v)
{
    const ui_scene *s = v->s;
    const ui_theme *t = v->t;
    const ui_metrics *m = v->m;
    ui_rect n = v->l->network;
    float y = n.y + m->gap;
    label(v, (ui_rect){n.x, y, n.w, m->small_line}, UI_FONT_SANS_BOLD, m->small, t->text_dim, UI_ALIGN_CENTER,
          UI_ID_NONE, "network");
    y += m->small_line;
    const char *binding = s->sides[UI_SERVER].binding[0] ? s->sides[UI_SERVER].binding : s->sides[UI_CLIENT].binding;
    if (binding[0] != '\0') {
        /* ncacn_ip_tcp:127.0.0.1[4747] on two lines when it does not fit on one. */
        const char *colon = strchr(binding, ':');
        if (text_width(v, UI_FONT_MONO, m->small, binding) <= n.w - m->gap || colon == NULL) {
            label(v, (ui_rect){n.x, y, n.w, m->small_line}, UI_FONT_MONO, m->small, t->text, UI_ALIGN_CENTER,
                  UI_ID_NONE, binding);
            y += m->small_line;
        } else {
            char first[UI_SCENE_NAME_MAX];
            snprintf(first, sizeof first, "%.*s", (int)(colon - binding + 1), binding);
            label(v, (ui_rect){n.x, y, n.w, m->small_line}, UI_FONT_MONO, m->small, t->text, UI_ALIGN_CENTER,
                  UI_ID_NONE, first);
            label(v, (ui_rect){n.x, y + m->small_line, n.w, m->small_line}, UI_FONT_MONO, m->small, t->text,
                  UI_ALIGN_CENTER, UI_ID_NONE, colon + 1);
            y += 2 * m->small_line;
        }
    }
    /* The connection: its endpoints when they fit, else just that it is open. */
    const char *conn = s->sides[UI_CLIENT].connection[0] ? s->sides[UI_CLIENT].connection : s->sides[UI_SERVER].connection;
    bool connected = conn[0] != '\0';
    bool ever = s->sides[UI_CLIENT].was_connected || s->sides[UI_SERVER].was_connected;
    const char *state = connected ? "connected" : ever ? "connection closed" : "not connected yet";
    label(v, (ui_rect){n.x, y, n.w, m->small_line}, UI_FONT_SANS, m->small, t->text_dim, UI_ALIGN_CENTER,
          UI_ID_NONE, state);
    y += m->small_line;
    if (connected && strcmp(conn, "connected") != 0 && text_width(v, UI_FONT_MONO, m->small, conn) <= n.w - m->gap) {
        label(v, (ui_rect){n.x, y, n.w, m->small_line}, UI_FONT_MONO, m->small, t->text_dim, UI_ALIGN_CENTER,
              UI_ID_NONE, conn);
        y += m->small_line;
    }
    y += m->gap;

    /* A fault is unmistakable: a red banner with its DCE name and what it means. */
    if (s->fault && s->fault_status != 0) {
        const char *name = rs_fault_name(s->fault_status);
        char text[160];
        snprintf(text, sizeof text, "%s", name ? name : "unknown fault");
        float bw = n.w - m->gap;
        float iw = bw - 2 * m->gap;
        /* The DCE name on one line, or split at an underscore near its middle. */
        char first[160] = "", second[160] = "";
        if (text_width(v, UI_FONT_MONO_BOLD, m->small, text) <= iw) {
            snprintf(first, sizeof first, "%s", text);
        } else {
            size_t len = strlen(text), cut = len;
            for (size_t i = len / 2, k = 0; k < len / 2; k++) {
                if (i + k < len && text[i + k] == '_') { cut = i + k + 1; break; }
                if (i >= k && text[i - k] == '_') { cut = i - k + 1; break; }
            }
            snprintf(first, sizeof first, "%.*s", (int)cut, text);
            snprintf(second, sizeof second, "%s", text + cut);
        }
        wrapped msg = {0};
        ui_wrap(rs_fault_message(s->fault_status), iw, v->measure, v->mctx, UI_FONT_SANS, m->small, collect_line, &msg);
        size_t msg_lines = msg.n < 2 ? msg.n : 2;
        float lines = 1 + (second[0] ? 2 : 1) + (float)msg_lines;
        ui_rect b = {n.x + m->gap * 0.5f, y, bw, lines * m->small_line + m->gap};
        ui_draw_rect(v->dl, b, t->fault, m->radius, UI_ID_NONE);
        ui_color ink = ink_on(t, t->fault);
        ui_rect in = ui_rect_inset(b, m->gap, roundf(m->gap * 0.5f));
        float ly = in.y;
        label(v, (ui_rect){in.x, ly, in.w, m->small_line}, UI_FONT_SANS_BOLD, m->small, ink, UI_ALIGN_CENTER,
              UI_ID_NONE, "FAULT");
        ly += m->small_line;
        label(v, (ui_rect){in.x, ly, in.w, m->small_line}, UI_FONT_MONO_BOLD, m->small, ink, UI_ALIGN_CENTER,
              UI_ID_NONE, first);
        ly += m->small_line;
        if (second[0]) {
            label(v, (ui_rect){in.x, ly, in.w, m->small_line}, UI_FONT_MONO_BOLD, m->small, ink, UI_ALIGN_CENTER,
                  UI_ID_NONE, second);
            ly += m->small_line;
        }
        paragraph(v, (ui_rect){in.x, ly, in.w, (float)msg_lines * m->small_line}, UI_FONT_SANS, m->small, m->small_line,
                  ink, rs_fault_message(s->fault_status), 2);
        y += b.h + m->gap;
    }

    /* The wire, from one transport lane to the other. */
    ui_rect lc = v->l->lane[UI_CLIENT][UI_LANES - 1], ls = v->l->lane[UI_SERVER][UI_LANES - 1];
    float wy = v->l->wire_y;
    ui_color wc = connected ? t->network : fade(t->network, 0.35f);
    ui_draw_line(v->dl, lc.x + lc.w, wy, ls.x, wy, wc, roundf(3 * m->scale));
    float dot = roundf(4 * m->scale);
    ui_draw_rect(v->dl, (ui_rect){lc.x + lc.w - dot, wy - dot, 2 * dot, 2 * dot}, wc, dot, UI_ID_NONE);
    ui_draw_rect(v->dl, (ui_rect){ls.x - dot, wy - dot, 2 * dot, 2 * dot}, wc, dot, UI_ID_NONE);
    draw_packets(v, y);
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
        ui_draw_line(v->dl, x0, y0, x, y, fade(c, 0.35f), roundf(r * 0.5f));
    ui_draw_rect(v->dl, (ui_rect){x - r * 1.9f, y - r * 1.9f, r * 3.8f, r * 3.8f}, fade(c, 0.18f), r * 1.9f, UI_ID_NONE);
    ui_draw_rect(v->dl, (ui_rect){x - r, y - r, 2 * r, 2 * r}, c, r, UI_ID_NONE);
    ui_draw_rect(v->dl, (ui_rect){x - r * 0.4f, y - r * 0.4f, r * 0.8f, r * 0.8f}, t->panel, r * 0.4f, UI_ID_NONE);
    v->out->token = (ui_rect){x - r, y - r, 2 * r, 2 * r};
}

static void draw_stage(V *v)
{
    draw_side(v, UI_CLIENT);
    draw_side(v, UI_SERVER);
    draw_token(v); /* under the packets: crossing the wire, the packet is the call */
    draw_network(v);
}

/* ---- the inspector: hex dump and field tree ----------------------------------------------------- */

static ui_color seg_fill(const V *v, const seg *g)
{
    const ui_theme *t = v->t;
    if (g->header >= 0) {
        /* Header fields alternate two quiet shades, so that their edges show. */
        ui_color base = ui_mix(t->panel, t->network, g->header % 2 ? 0.22f : 0.38f);
        return base;
    }
    if (g->role == RS_NDR_ROLE_PADDING)
        return t->padding;
    if (g->param >= 0)
        return ui_theme_param_tint(t, (unsigned)g->param);
    return (ui_color){0, 0, 0, 0};
}

static ui_color seg_mark(const V *v, const seg *g)
{
    const ui_theme *t = v->t;
    switch (g->role) {
    case RS_NDR_ROLE_MAX_COUNT:
    case RS_NDR_ROLE_OFFSET:
    case RS_NDR_ROLE_ACTUAL_COUNT:
        return t->count;
    case RS_NDR_ROLE_REFERENT_ID:
        return t->referent;
    case RS_NDR_ROLE_PADDING:
        return t->text_dim;
    default:
        return g->param >= 0 ? ui_theme_param_color(t, (unsigned)g->param) : t->text_dim;
    }
}

static const char *seg_label(const V *v, const seg *g, char *buf, size_t size)
{
    if (g->header >= 0)
        return v->hdr[g->header].name;
    switch (g->role) {
    case RS_NDR_ROLE_PADDING: return "pad";
    case RS_NDR_ROLE_MAX_COUNT: return "max_count";
    case RS_NDR_ROLE_OFFSET: return "offset";
    case RS_NDR_ROLE_ACTUAL_COUNT: return "actual_count";
    case RS_NDR_ROLE_REFERENT_ID: return "referent id";
    case RS_NDR_ROLE_DISCRIMINANT: return "switch";
    default:
        break;
    }
    if (g->field >= 0)
        return pretty_path(v->buf->fields[g->field].name, buf, size);
    return "";
}

/* The short form of a label under a narrow run of bytes. */
static const char *short_label(const char *name)
{
    static const char *const forms[][2] = {
        {"max_count", "max"},     {"actual_count", "actual"}, {"offset", "off"},
        {"referent id", "ref"},   {"frag_length", "len"},     {"alloc_hint", "hint"},
        {"p_cont_id", "ctx"},     {"auth_length", "auth"},    {"call_id", "call"},
        {"rpc_vers_minor", ""},   {"pfc_flags", "flags"},     {"PTYPE", "type"},
    };
    for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++)
        if (strcmp(name, forms[i][0]) == 0)
            return forms[i][1];
    return "";
}

/* Diagonal hatching inside r: padding, bytes that carry nothing. */
static void hatch(V *v, ui_rect r, ui_color c)
{
    float step = roundf(fmaxf(5, r.h * 0.4f));
    for (float d = step * 0.5f; d < r.w + r.h; d += step) {
        /* The line x + y = d (from r's corner), clipped to r. */
        float xa = fmaxf(0, d - r.h), xb = fminf(r.w, d);
        if (xb - xa < 1)
            continue;
        ui_draw_line(v->dl, r.x + xa, r.y + (d - xa), r.x + xb, r.y + (d - xb), c, 1);
    }
}

typedef struct hexgeo {
    ui_rect area;
    int size;                 /* the monospace size of the dump: smaller when the panel is narrow */
    float line;               /* its line height */
    float adv, row_h, off_w, hex_x, ascii_x;
    bool ascii;
    int rows, first, visible;
} hexgeo;

static float byte_x(const hexgeo *g, size_t col)
{
    return g->hex_x + (float)col * 3 * g->adv + (col >= 8 ? g->adv : 0);
}

static void draw_hex(V *v, hexgeo *g)
{
    const ui_theme *t = v->t;
    const ui_metrics *m = v->m;
    ui_rect A = g->area;
    float pad_x = roundf(g->adv * 0.45f);
    float annot = g->row_h - g->line;
    ui_draw_clip(v->dl, A);
    for (int row = g->first; row < g->first + g->visible && row < g->rows; row++) {
        float y = A.y + (float)(row - g->first) * g->row_h;
        size_t b0 = (size_t)row * BYTES_PER_ROW, b1 = b0 + BYTES_PER_ROW;
        if (b1 > v->len)
            b1 = v->len;
        char off[16];
        snprintf(off, sizeof off, v->len > 0xFFFF ? "%06zx" : "%04zx", b0);
        ui_draw_text(v->dl, (ui_rect){A.x, y, g->off_w, g->line}, UI_FONT_MONO, g->size, t->text_dim,
                     UI_ALIGN_LEFT, UI_ID_NONE, "%s", off);
        /* The runs of bytes each field covers: a tint, a mark under it, its name if it fits. */
        for (size_t b = b0; b < b1;) {
            seg sg = seg_at(v, b);
            size_t e = sg.end < b1 ? sg.end : b1;
            if (e <= b)
                e = b + 1;
            float x0 = byte_x(g, b - b0) - pad_x, x1 = byte_x(g, e - 1 - b0) + 2 * g->adv + pad_x;
            ui_rect run = {x0, y + 1, x1 - x0, g->line - 2};
            float a = sg.step != SIZE_MAX ? ease_now(v, sg.step) : 1;
            bool other = v->focus_param >= 0 && sg.param != v->focus_param && v->fe > v->fb &&
                         !(b < v->fe && e > v->fb);
            ui_color fill = seg_fill(v, &sg);
            if (other)
                fill = ui_mix(t->panel, fill, 0.45f);
            if (fill.a > 0)
                ui_draw_rect(v->dl, run, fade(fill, a), roundf(m->radius * 0.4f), UI_ID_NONE);
            if (sg.role == RS_NDR_ROLE_PADDING)
                hatch(v, run, fade(t->text_dim, 0.55f * a));
            if (sg.step == v->s->step && v->s->step != SIZE_MAX && sg.header < 0)
                ui_draw_frame(v->dl, run, fade(t->accent, a), roundf(m->radius * 0.4f), m->stroke, UI_ID_NONE);
            if (fill.a > 0 || sg.field >= 0) {
                ui_color mark = seg_mark(v, &sg);
                ui_draw_rect(v->dl, (ui_rect){x0 + 1, y + g->line, run.w - 2, fmaxf(2, roundf(2 * m->scale))},
                             fade(other ? ui_mix(t->panel, mark, 0.4f) : mark, a), 0, UI_ID_NONE);
                if (sg.begin >= b0 || b == b0) {
                    /* Its name under it when it fits, else a short one, else none (hover names it). */
                    char nb[UI_SCENE_NAME_MAX];
                    const char *name = seg_label(v, &sg, nb, sizeof nb);
                    float room_w = run.w - pad_x; /* a little air before the next name */
                    if (text_width(v, UI_FONT_SANS, m->small, name) > room_w)
                        name = short_label(name);
                    if (name[0] && text_width(v, UI_FONT_SANS, m->small, name) <= room_w)
                        ui_draw_text(v->dl, (ui_rect){x0, y + g->line + 1, run.w, annot - 1}, UI_FONT_SANS, m->small,
                                     fade(t->text_dim, a), UI_ALIGN_LEFT, UI_ID_NONE, "%s", name);
                }
            }
            b = e;
        }
        /* The focused bytes, outlined. */
        if (v->fe > v->fb && v->fb < b1 && v->fe > b0) {
            size_t fb = v->fb > b0 ? v->fb : b0, fe = v->fe < b1 ? v->fe : b1;
            float x0 = byte_x(g, fb - b0) - pad_x - 1, x1 = byte_x(g, fe - 1 - b0) + 2 * g->adv + pad_x + 1;
            ui_draw_frame(v->dl, (ui_rect){x0, y, x1 - x0, g->line}, t->text_strong, roundf(m->radius * 0.4f),
                          2 * m->stroke, UI_ID_NONE);
        }
        /* The bytes themselves, each its own target; the text dark on a tint, as everywhere. */
        for (size_t b = b0; b < b1; b++) {
            float x = byte_x(g, b - b0);
            seg sg = seg_at(v, b);
            float a = sg.step != SIZE_MAX ? ease_now(v, sg.step) : 1;
            ui_color fill = seg_fill(v, &sg);
            ui_color ink = fill.a > 0 ? ink_on(t, fill) : t->text;
            if (sg.role == RS_NDR_ROLE_PADDING)
                ink = t->text_dim;
            int id = ui_view_id(UI_HIT_BYTE, (int)b);
            ui_rect cell = {x - pad_x, y, 2 * g->adv + 2 * pad_x, g->line};
            ui_draw_text(v->dl, cell, UI_FONT_MONO, g->size, fade(ink, 0.15f + 0.85f * a), UI_ALIGN_CENTER, id,
                         "%02x", v->bytes[b]);
            if (hovered(v, UI_HIT_BYTE, (int)b) && same_inspect(v->vs->hover.in, v->in)) {
                ui_draw_frame(v->dl, cell, t->accent, roundf(m->radius * 0.4f), 2 * m->stroke, UI_ID_NONE);
                v->tip = true;
                v->tip_at = cell;
            }
            if (g->ascii) {
                unsigned char ch = v->bytes[b];
                bool lit = b >= v->fb && b < v->fe;
                ui_draw_text(v->dl, (ui_rect){g->ascii_x + (float)(b - b0) * g->adv, y, g->adv, g->line},
                             lit ? UI_FONT_MONO_BOLD : UI_FONT_MONO, g->size, lit ? t->text_strong : t->text_dim,
                             UI_ALIGN_CENTER, id, "%c", ch >= 0x20 && ch < 0x7F ? ch : '.');
            }
        }
    }
    ui_draw_clip(v->dl, (ui_rect){0, 0, 0, 0});
    /* A scroll bar when not every row is shown. */
    if (g->rows > g->visible && g->visible > 0) {
        float bw = roundf(4 * m->scale);
        float h = fmaxf(m->line, A.h * (float)g->visible / (float)g->rows);
        float y = A.y + (A.h - h) * (float)g->first / (float)(g->rows - g->visible);
        ui_draw_rect(v->dl, (ui_rect){A.x + A.w - bw, A.y, bw, A.h}, t->lane_alt, bw / 2, UI_ID_NONE);
        ui_draw_rect(v->dl, (ui_rect){A.x + A.w - bw, y, bw, h}, t->panel_edge, bw / 2, UI_ID_NONE);
    }
}

/* The byte the hex dump keeps in view: the focus, else the newest field of the current step. */
static size_t hex_target(const V *v)
{
    if (v->fe > v->fb)
        return v->fb;
    if (v->buf != NULL && v->in.kind == UI_INSPECT_BUFFER && v->buf->field_count > 0) {
        const ui_field *f = &v->buf->fields[v->buf->field_count - 1];
        return (size_t)f->offset + (f->length ? f->length - 1 : 0);
    }
    return 0;
}

/* One row of the field tree. */
typedef struct tree_row {
    int field;   /* index into v->buf->fields, or -1 */
    int header;  /* index into v->hdr, or -1 */
    int group;   /* a heading: the parameter's colour index, -2 for "stub data", or -1 */
} tree_row;

/* Calls fn for every row of the tree, in order; returns how many there are. */
typedef void (*row_fn)(V *v, int n, tree_row row, void *ctx);

static int tree_rows(V *v, row_fn fn, void *ctx)
{
    int n = 0;
    for (size_t i = 0; i < v->hdr_count; i++) {
        if (v->hdr[i].stub) {
            if (fn)
                fn(v, n, (tree_row){-1, (int)i, -2}, ctx);
            n++;
            continue;
        }
        if (fn)
            fn(v, n, (tree_row){-1, (int)i, -1}, ctx);
        n++;
    }
    if (v->buf == NULL)
        return n;
    int last_param = -3;
    for (size_t j = 0; j < v->buf->field_count; j++) {
        size_t b, e;
        if (!field_range(v, (int)j, &b, &e))
            continue;
        const ui_field *f = &v->buf->fields[j];
        int p = f->param;
        if (p >= 0 && p != last_param) {
            if (fn)
                fn(v, n, (tree_row){(int)j, -1, p}, ctx);
            n++;
            last_param = p;
        }
        if (fn)
            fn(v, n, (tree_row){(int)j, -1, -1}, ctx);
        n++;
    }
    return n;
}

typedef struct tree_ctx {
    ui_rect area;
    float row_h;
    int first, visible;
    int target, target_row; /* finding: the field (or header) to keep in view, and its row */
    bool target_header;
} tree_ctx;

static void find_row(V *v, int n, tree_row row, void *ctx)
{
    (void)v;
    tree_ctx *c = ctx;
    if (row.group != -1)
        return;
    if ((c->target_header && row.header == c->target) || (!c->target_header && row.field == c->target))
        c->target_row = n;
}

static void draw_row(V *v, int n, tree_row row, void *ctx)
{
    tree_ctx *c = ctx;
    if (n < c->first || n >= c->first + c->visible)
        return;
    const ui_theme *t = v->t;
    const ui_metrics *m = v->m;
    ui_rect r = {c->area.x, c->area.y + (float)(n - c->first) * c->row_h, c->area.w, c->row_h};
    ui_rect in = ui_rect_inset(r, m->gap, 0);
    float chip = roundf(m->small * 0.8f);
    if (row.group == -2) { /* the stub data heading of a PDU */
        const ui_pdu_field *h = &v->hdr[row.header];
        char text[160];
        snprintf(text, sizeof text, "stub data \xC2\xB7 %s", h->value);
        label(v, in, UI_FONT_SANS_BOLD, m->body, t->text_strong, UI_ALIGN_LEFT, ui_view_id(UI_HIT_HEADER, row.header),
              text);
        return;
    }
    if (row.group >= 0) { /* a parameter's heading */
        ui_draw_rect(v->dl, (ui_rect){in.x, r.y + (r.h - chip) / 2, chip, chip}, ui_theme_param_color(t, (unsigned)row.group),
                     roundf(chip * 0.25f), UI_ID_NONE);
        const char *name = v->s->params[row.group];
        bool lit = v->focus_param == row.group;
        label(v, (ui_rect){in.x + chip + m->gap, r.y, in.w - chip - m->gap, r.h}, UI_FONT_SANS_BOLD, m->body,
              lit ? t->text_strong : t->text, UI_ALIGN_LEFT, ui_view_id(UI_HIT_FIELD, row.field), name);
        return;
    }
    /* A field: offset, what it is, its value. */
    const char *what;
    char valbuf[160], whatbuf[UI_SCENE_NAME_MAX + 16];
    size_t b = 0, e = 0;
    int id;
    bool focus, fresh = false;
    int role = -1;
    if (row.header >= 0) {
        const ui_pdu_field *h = &v->hdr[row.header];
        what = h->name;
        snprintf(valbuf, sizeof valbuf, "%s", h->value);
        b = h->offset;
        e = b + h->length;
        id = ui_view_id(UI_HIT_HEADER, row.header);
        focus = v->focus_header == row.header;
    } else {
        const ui_field *f = &v->buf->fields[row.field];
        field_range(v, row.field, &b, &e);
        role = f->role;
        const char *top = f->param >= 0 ? v->s->params[f->param] : "";
        size_t tl = strlen(top);
        if (f->role == RS_NDR_ROLE_DATA) {
            /* The path below its parameter ("[3].y", "->*"), or "value" for the parameter itself. */
            const char *rest = strncmp(f->name, top, tl) == 0 ? f->name + tl : f->name;
            if (rest[0] == '.')
                rest++;
            if (strcmp(rest, "->*") == 0)
                pretty_path(f->name, whatbuf, sizeof whatbuf);
            else
                snprintf(whatbuf, sizeof whatbuf, "%s", rest[0] ? rest : "value");
            what = whatbuf;
        } else if (f->role == RS_NDR_ROLE_PADDING) {
            snprintf(whatbuf, sizeof whatbuf, "padding (%s)", f->type);
            what = whatbuf;
        } else {
            what = rs_ndr_role_name((rs_ndr_role)f->role);
        }
        size_t off = f->offset;
        size_t avail = off + f->length <= v->buf->len ? f->length : 0;
        ui_format_ndr_value(valbuf, sizeof valbuf, f->type, f->role, avail ? v->buf->bytes + off : NULL, avail,
                            v->buf->big_endian);
        id = ui_view_id(UI_HIT_FIELD, row.field);
        focus = v->focus_field == row.field || (v->focus_field < 0 && v->focus_param >= 0 && f->param == v->focus_param);
        fresh = f->step == v->s->step;
    }
    if (focus)
        ui_draw_rect(v->dl, r, ui_mix(t->panel, t->accent, 0.16f), roundf(m->radius * 0.5f), UI_ID_NONE);
    hit_area(v, r, id);
    if (fresh)
        ui_draw_rect(v->dl, (ui_rect){r.x, r.y + 2, roundf(3 * m->scale), r.h - 4}, t->accent, 0, UI_ID_NONE);
    float x = in.x + (row.header >= 0 ? 0 : chip + m->gap);
    if (row.header < 0) {
        ui_color cc = role == RS_NDR_ROLE_PADDING ? t->padding : seg_mark(v, &(seg){0, 0, row.field, -1,
                                                   v->buf->fields[row.field].param, role, 0});
        ui_draw_rect(v->dl, (ui_rect){in.x + chip * 0.25f, r.y + (r.h - chip * 0.5f) / 2, chip * 0.5f, chip * 0.5f}, cc,
                     chip * 0.25f, UI_ID_NONE);
    }
    char off[16];
    bool wide = v->len > 0xFFFF;
    snprintf(off, sizeof off, wide ? "%06zx" : "%04zx", b);
    float ow = text_width(v, UI_FONT_MONO, m->small, wide ? "000000" : "0000") + m->gap;
    label(v, (ui_rect){x, r.y, ow, r.h}, UI_FONT_MONO, m->small, t->text_dim, UI_ALIGN_LEFT, UI_ID_NONE, off);
    x += ow;
    float rest = in.x + in.w - x;
    label(v, (ui_rect){x, r.y, rest * 0.45f, r.h}, UI_FONT_SANS, m->body,
          role == RS_NDR_ROLE_PADDING ? t->text_dim : t->text, UI_ALIGN_LEFT, UI_ID_NONE, what);
    x += rest * 0.45f + m->gap;
    label(v, (ui_rect){x, r.y, in.x + in.w - x, r.h}, UI_FONT_MONO, m->mono, focus ? t->text_strong : t->text,
          UI_ALIGN_LEFT, UI_ID_NONE, valbuf);
}

static void draw_tree(V *v, ui_rect area, size_t first_byte)
{
    const ui_metrics *m = v->m;
    tree_ctx c = {area, m->line, 0, 0, -1, -1, false};
    c.visible = (int)floorf(area.h / c.row_h);
    /* Keep the focused field in view; else, when the dump was scrolled by hand, the field at the
     * top of the dump; else the newest. */
    if (v->focus_field >= 0) {
        c.target = v->focus_field;
    } else if (v->focus_header >= 0) {
        c.target = v->focus_header;
        c.target_header = true;
    } else if (v->vs->inspector_scroll >= 0) {
        seg g = seg_at(v, first_byte);
        c.target = g.field >= 0 ? g.field : g.header;
        c.target_header = g.field < 0;
    } else if (v->buf != NULL && v->buf->field_count > 0 && v->in.kind == UI_INSPECT_BUFFER) {
        c.target = (int)v->buf->field_count - 1;
    }
    int rows = tree_rows(v, c.target >= 0 ? find_row : NULL, &c);
    if (c.target_row >= 0 && rows > c.visible) {
        c.first = c.target_row - c.visible / 2;
        if (c.first > rows - c.visible)
            c.first = rows - c.visible;
        if (c.first < 0)
            c.first = 0;
    }
    ui_draw_clip(v->dl, area);
    tree_rows(v, draw_row, &c);
    ui_draw_clip(v->dl, (ui_rect){0, 0, 0, 0});
}

static void inspector_title(V *v, ui_rect r)
{
    const ui_theme *t = v->t;
    const ui_metrics *m = v->m;
    char title[256], drep[160];
    drep[0] = '\0';
    uint8_t dr[4] = {v->big_endian ? 0x00 : 0x10, 0, 0, 0};
    if (v->in.kind == UI_INSPECT_PDU && v->len >= 8)
        memcpy(dr, v->bytes + 4, 4);
    char meaning[RS_PDU_DREP_STRLEN];
    rs_pdu_drep_format(dr, meaning, sizeof meaning);
    snprintf(drep, sizeof drep, "drep %02x %02x %02x %02x = %s", dr[0], dr[1], dr[2], dr[3], meaning);
    switch (v->in.kind) {
    case UI_INSPECT_BUFFER:
        snprintf(title, sizeof title, "NDR buffer \xC2\xB7 the %s stub %s the %s \xC2\xB7 %zu bytes",
                 side_word(v->buf->side), v->buf->reading ? "unmarshals" : "marshals",
                 v->buf->out ? "response" : "request", v->len);
        break;
    case UI_INSPECT_PDU: {
        const rs_trace_event *ev = event_at(v->s, v->in.step);
        const char *verb = ev->kind == RS_TRACE_PDU_BUILT ? "built by" : ev->kind == RS_TRACE_PDU_SENT ? "sent by"
                                                                                                        : "received by";
        snprintf(title, sizeof title, "PDU \xC2\xB7 %s \xC2\xB7 %s the %s \xC2\xB7 %zu bytes",
                 rs_pdu_type_name(v->len > 2 ? v->bytes[2] : 0), verb, side_word(ui_scene_side(ev)), v->len);
        break;
    }
    case UI_INSPECT_STUB:
        snprintf(title, sizeof title, "stub data \xC2\xB7 reassembled by the %s runtime \xC2\xB7 %zu bytes",
                 side_word(ui_scene_side(event_at(v->s, v->in.step))), v->len);
        break;
    default:
        snprintf(title, sizeof title, "NDR inspector");
        drep[0] = '\0';
    }
    float dw = drep[0] ? fminf(text_width(v, UI_FONT_SANS, m->small, drep), r.w * 0.45f) : 0;
    label(v, (ui_rect){r.x, r.y, r.w - dw - m->pad, r.h}, UI_FONT_SANS_BOLD, m->body, t->text_strong, UI_ALIGN_LEFT,
          UI_ID_NONE, title);
    if (drep[0])
        label(v, (ui_rect){r.x + r.w - dw, r.y, dw, r.h}, UI_FONT_SANS, m->small, t->text_dim, UI_ALIGN_RIGHT,
              UI_ID_NONE, drep);
}

static void draw_inspector(V *v)
{
    const ui_theme *t = v->t;
    const ui_metrics *m = v->m;
    ui_rect P = v->l->inspector;
    if (ui_rect_empty(P))
        return;
    ui_draw_rect(v->dl, P, t->panel, m->radius, ui_view_id(UI_HIT_PANEL, UI_PANEL_INSPECTOR));
    ui_draw_frame(v->dl, P, t->panel_edge, m->radius, 1, UI_ID_NONE);
    ui_rect in = ui_rect_inset(P, m->pad, roundf(m->gap * 0.8f));
    if (in.h < m->line * 2)
        return; /* still sliding open */
    inspector_title(v, ui_rect_cut_top(&in, m->line));
    ui_rect_cut_top(&in, roundf(m->gap * 0.5f));
    if (v->in.kind == UI_INSPECT_NONE || v->len == 0) {
        label(v, in, UI_FONT_SANS, m->body, t->text_dim, UI_ALIGN_CENTER, UI_ID_NONE,
              "The NDR buffer appears here as the stub marshals the first parameter.");
        return;
    }
    /* The dump wants 16 bytes a row, with their characters beside them when there is room; in
     * a narrow panel it drops the characters, then takes a smaller size, never fewer bytes. */
    hexgeo g;
    g.size = m->mono;
    g.line = m->mono_line;
    g.adv = v->measure(v->mctx, UI_FONT_MONO, g.size, "0", 1);
    float chars_off = v->len > 0xFFFF ? 7 : 5;
    float chars_hex = 16 * 3 + 1, chars_ascii = 18;
    float room = in.w * 0.64f;
    g.ascii = (chars_off + chars_hex + chars_ascii) * g.adv + m->gap <= room;
    while (!g.ascii && (chars_off + chars_hex) * g.adv + m->gap > room && g.size > 9) {
        /* The advance of a hinted font is whole pixels: measure again at each size. */
        float scale = (room - m->gap) / ((chars_off + chars_hex) * g.adv);
        int smaller = (int)floorf((float)g.size * scale);
        g.size = smaller < g.size ? (smaller > 9 ? smaller : 9) : g.size - 1;
        g.line = roundf((float)g.size * 1.45f);
        g.adv = v->measure(v->mctx, UI_FONT_MONO, g.size, "0", 1);
    }
    g.row_h = g.line + m->small_line;
    g.off_w = g.adv * chars_off;
    float hex_w = 16 * 3 * g.adv + g.adv;
    float want = (chars_off + chars_hex + (g.ascii ? chars_ascii : 0)) * g.adv + m->gap;
    ui_rect hex = ui_rect_cut_left(&in, fminf(want, room));
    ui_rect_cut_left(&in, m->pad);
    g.area = hex;
    g.hex_x = hex.x + g.off_w;
    g.ascii_x = g.hex_x + hex_w + g.adv;
    g.rows = (int)((v->len + BYTES_PER_ROW - 1) / BYTES_PER_ROW);
    g.visible = (int)floorf(hex.h / g.row_h);
    if (g.visible < 1)
        g.visible = 1;
    int first;
    if (v->vs->inspector_scroll >= 0) {
        first = v->vs->inspector_scroll;
    } else {
        int target = (int)(hex_target(v) / BYTES_PER_ROW);
        first = target < g.visible ? 0 : target - g.visible + 2;
        if (v->fe > v->fb)
            first = target - g.visible / 3;
    }
    if (first > g.rows - g.visible)
        first = g.rows - g.visible;
    if (first < 0)
        first = 0;
    g.first = first;
    v->out->hex_rows = g.rows;
    v->out->hex_first_row = g.first;
    v->out->hex_visible_rows = g.visible < g.rows - g.first ? g.visible : g.rows - g.first;
    draw_hex(v, &g);
    ui_draw_line(v->dl, in.x - m->pad * 0.5f, in.y, in.x - m->pad * 0.5f, in.y + in.h, t->panel_edge, 1);
    draw_tree(v, in, (size_t)g.first * BYTES_PER_ROW);
}

/* ---- the timeline: a space-time diagram ------------------------------------------------------- */

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

static void draw_timeline(V *v)
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
    label(v, ui_rect_cut_top(&in, m->line), UI_FONT_SANS_BOLD, m->body, t->text_strong, UI_ALIGN_LEFT, UI_ID_NONE,
          "timeline");
    ui_rect heads = ui_rect_cut_top(&in, m->small_line);
    float xc = roundf(in.x + in.w * 0.36f), xs = roundf(in.x + in.w * 0.64f);
    label(v, (ui_rect){xc - in.w * 0.2f, heads.y, in.w * 0.4f, heads.h}, UI_FONT_SANS_BOLD, m->small, t->client,
          UI_ALIGN_CENTER, UI_ID_NONE, "client");
    label(v, (ui_rect){xs - in.w * 0.2f, heads.y, in.w * 0.4f, heads.h}, UI_FONT_SANS_BOLD, m->small, t->server,
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
    ui_draw_line(v->dl, xc, y_top, xc, y_bottom, fade(t->client, 0.6f), roundf(2 * m->scale));
    ui_draw_line(v->dl, xs, y_top, xs, y_bottom, fade(t->server, 0.6f), roundf(2 * m->scale));
    ui_draw_clip(v->dl, in);
    /* The current step: a band across, with its number. */
    if (s->step != SIZE_MAX && s->step >= (size_t)first && s->step < last) {
        float y = in.y + (float)(s->step - (size_t)first) * row;
        ui_draw_rect(v->dl, (ui_rect){in.x, y, in.w, row}, fade(t->accent, 0.16f), 0, UI_ID_NONE);
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
        ui_draw_arrow(v->dl, x0, y0, x1, y1, fade(c, future || dim ? 0.3f : 1), roundf(2 * m->scale));
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
        hit_area(v, rowr, id);
        bool hot = hovered(v, UI_HIT_EVENT, (int)i);
        bool lit = v->focus_param >= 0 && ui_scene_param_find(s, ev->name) == v->focus_param &&
                   ev->kind != RS_TRACE_PDU_SENT;
        if (hot) {
            ui_draw_rect(v->dl, rowr, fade(t->text, 0.08f), 0, UI_ID_NONE);
            v->tip = true;
            v->tip_at = (ui_rect){x - r, y - r, 2 * r, 2 * r};
        }
        float rr = lit || i == s->step ? r * 1.4f : r;
        ui_draw_rect(v->dl, (ui_rect){x - rr, y - rr, 2 * rr, 2 * rr}, fade(event_color(v, ev), a), rr, UI_ID_NONE);
        if (lit)
            ui_draw_frame(v->dl, (ui_rect){x - rr - 1, y - rr - 1, 2 * rr + 2, 2 * rr + 2}, t->text_strong, rr + 1,
                          m->stroke, UI_ID_NONE);
        if (labels || i == s->step) {
            char words[96];
            tiny_label(words, sizeof words, ev);
            float lw = side == UI_CLIENT ? x - in.x - 2 * r - m->gap : in.x + in.w - x - 2 * r - m->gap;
            ui_rect lr = side == UI_CLIENT ? (ui_rect){in.x, y - m->small_line / 2, lw, m->small_line}
                                           : (ui_rect){x + 2 * r + m->gap, y - m->small_line / 2, lw, m->small_line};
            label(v, lr, i == s->step ? UI_FONT_SANS_BOLD : UI_FONT_SANS, m->small,
                  fade(i == s->step ? t->text_strong : t->text, a), side == UI_CLIENT ? UI_ALIGN_RIGHT : UI_ALIGN_LEFT,
                  UI_ID_NONE, words);
        }
    }
    ui_draw_clip(v->dl, (ui_rect){0, 0, 0, 0});
    if ((size_t)visible < count) {
        char range[64];
        snprintf(range, sizeof range, "%d\xE2\x80\x93%zu of %zu", first + 1, last < count ? last : count, count);
        label(v, (ui_rect){in.x, y_bottom, in.w, m->small_line}, UI_FONT_SANS, m->small, t->text_dim,
              UI_ALIGN_RIGHT, UI_ID_NONE, range);
    }
}

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
        w += text_width(v, UI_FONT_SANS_BOLD, m->small, hints[i].key) + 2 * m->gap + m->gap +
             text_width(v, UI_FONT_SANS, m->small, brief ? hints[i].brief : hints[i].full) + m->pad;
    return w;
}

static void draw_hints(V *v)
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
        float kw = text_width(v, UI_FONT_SANS_BOLD, m->small, hints[i].key) + 2 * m->gap;
        ui_rect key = {x, r.y, kw, r.h};
        ui_draw_rect(v->dl, key, t->panel, roundf(m->radius * 0.5f), UI_ID_NONE);
        ui_draw_frame(v->dl, key, t->panel_edge, roundf(m->radius * 0.5f), 1, UI_ID_NONE);
        ui_draw_text(v->dl, key, UI_FONT_SANS_BOLD, m->small, t->text_strong, UI_ALIGN_CENTER, UI_ID_NONE, "%s",
                     hints[i].key);
        x += kw + m->gap;
        const char *what = brief ? hints[i].brief : hints[i].full;
        float ww = text_width(v, UI_FONT_SANS, m->small, what);
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

static void draw_help(V *v)
{
    const ui_theme *t = v->t;
    const ui_metrics *m = v->m;
    ui_draw_rect(v->dl, (ui_rect){0, 0, (float)v->l->w, (float)v->l->h}, t->overlay, 0, UI_ID_NONE);
    float kw = 0, dw = 0;
    for (size_t i = 0; i < HELP_COUNT; i++) {
        kw = fmaxf(kw, text_width(v, UI_FONT_SANS_BOLD, m->body, help_keys[i][0]));
        dw = fmaxf(dw, text_width(v, UI_FONT_SANS, m->body, help_keys[i][1]));
    }
    float w = fminf(kw + dw + 5 * m->pad, (float)v->l->w - 2 * m->pad);
    float h = fminf(m->title_line + (float)HELP_COUNT * m->line + 3 * m->pad, (float)v->l->h - 2 * m->pad);
    ui_rect card = {roundf(((float)v->l->w - w) / 2), roundf(((float)v->l->h - h) / 2), w, h};
    ui_draw_rect(v->dl, card, t->panel, m->radius, UI_ID_NONE);
    ui_draw_frame(v->dl, card, t->panel_edge, m->radius, 1, UI_ID_NONE);
    ui_rect in = ui_rect_inset(card, 1.5f * m->pad, m->pad);
    label(v, ui_rect_cut_top(&in, m->title_line), UI_FONT_SANS_BOLD, m->title, t->text_strong, UI_ALIGN_LEFT,
          UI_ID_NONE, "Keys and mouse");
    ui_rect_cut_top(&in, roundf(m->gap * 0.5f));
    for (size_t i = 0; i < HELP_COUNT && in.h >= m->line; i++) {
        ui_rect row = ui_rect_cut_top(&in, m->line);
        label(v, (ui_rect){row.x, row.y, kw + m->pad, row.h}, UI_FONT_SANS_BOLD, m->body, t->accent, UI_ALIGN_LEFT,
              UI_ID_NONE, help_keys[i][0]);
        label(v, (ui_rect){row.x + kw + 2 * m->pad, row.y, row.w - kw - 2 * m->pad, row.h}, UI_FONT_SANS, m->body,
              t->text, UI_ALIGN_LEFT, UI_ID_NONE, help_keys[i][1]);
    }
}

static void draw_question(V *v)
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
    label(v, ui_rect_cut_top(&in, m->title_line), UI_FONT_SANS_BOLD, m->title, t->accent, UI_ALIGN_LEFT, UI_ID_NONE,
          "What happens next?");
    paragraph(v, ui_rect_cut_top(&in, 2 * m->line), UI_FONT_SANS, m->body, m->line, t->text_strong, vs->question, 2);
    for (int i = 0; i < n; i++) {
        ui_rect_cut_top(&in, m->gap * 0.5f);
        ui_rect b = ui_rect_cut_top(&in, m->line + m->gap);
        bool chosen = vs->answer_chosen == i, right = vs->answer_right == i;
        bool wrong = chosen && vs->answer_right >= 0 && !right;
        ui_color bg = right && vs->answer_right >= 0 ? ui_mix(t->panel, t->server, 0.3f)
                      : wrong                         ? ui_mix(t->panel, t->fault, 0.25f)
                      : hovered(v, UI_HIT_ANSWER, i) ? ui_mix(t->panel, t->accent, 0.12f)
                                                      : t->lane;
        ui_draw_rect(v->dl, b, bg, roundf(m->radius * 0.6f), ui_view_id(UI_HIT_ANSWER, i));
        ui_draw_frame(v->dl, b, chosen ? t->accent : t->panel_edge, roundf(m->radius * 0.6f), chosen ? 2 * m->stroke : 1,
                      UI_ID_NONE);
        char text[TEXT_MAX];
        snprintf(text, sizeof text, "%c   %s%s", '1' + i, vs->answers[i] ? vs->answers[i] : "", /* its key */
                 right && vs->answer_right >= 0 ? "   \xE2\x9C\x93" : wrong ? "   \xE2\x9C\x97" : "");
        label(v, ui_rect_inset(b, m->pad, 0), UI_FONT_SANS, m->body, t->text_strong, UI_ALIGN_LEFT, UI_ID_NONE, text);
    }
}

static void draw_menu(V *v)
{
    const ui_view_state *vs = v->vs;
    const ui_theme *t = v->t;
    const ui_metrics *m = v->m;
    int n = vs->menu_count < UI_VIEW_MENU_MAX ? vs->menu_count : UI_VIEW_MENU_MAX;
    float w = 0;
    for (int i = 0; i < n; i++)
        w = fmaxf(w, text_width(v, UI_FONT_SANS, m->body, vs->menu[i] ? vs->menu[i] : ""));
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
        if (hovered(v, UI_HIT_MENU, i))
            ui_draw_rect(v->dl, it, ui_mix(t->panel, t->accent, 0.16f), roundf(m->radius * 0.5f), UI_ID_NONE);
        hit_area(v, it, ui_view_id(UI_HIT_MENU, i));
        label(v, ui_rect_inset(it, m->pad * 0.5f, 0), UI_FONT_SANS, m->body, t->text_strong, UI_ALIGN_LEFT, UI_ID_NONE,
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
        seg g = seg_at(v, (size_t)h.index);
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
        const rs_trace_event *ev = event_at(s, f->step);
        snprintf(lines[2], TIP_MAX, "%s by the %s at step %zu", ev && ev->kind == RS_TRACE_NDR_GET ? "read" : "written",
                 ev ? side_word(ui_scene_side(ev)) : "stub", f->step + 1);
        return 3;
    }
    case UI_HIT_CELL: {
        if ((size_t)h.index >= s->cell_count)
            return 0;
        const ui_cell *c = &s->cells[h.index];
        snprintf(lines[0], TIP_MAX, "%s \xC2\xB7 %s \xC2\xB7 in the %s's memory", c->name, c->c_type, side_word(c->side));
        snprintf(lines[1], TIP_MAX, "%zu byte%s at %s", c->size, c->size == 1 ? "" : "s",
                 ui_format_address(a, sizeof a, c->address));
        const ui_cell *o = twin(s, c);
        if (o != NULL && o->address != c->address && c->address != 0 && o->address != 0)
            snprintf(lines[2], TIP_MAX, "%s at step %zu \xC2\xB7 the %s's copy is at %s", c->written ? "written" : "read",
                     c->step + 1, side_word(o->side), ui_format_address(b, sizeof b, o->address));
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
        const rs_trace_event *ev = event_at(s, (size_t)h.index);
        if (ev == NULL)
            return 0;
        snprintf(lines[0], TIP_MAX, "step %d \xC2\xB7 %s \xC2\xB7 %s", h.index + 1, side_word(ui_scene_side(ev)),
                 rs_trace_kind_name(ev->kind));
        ui_format_event(lines[1], TIP_MAX, ev);
        return 2;
    }
    default:
        return 0;
    }
}

static void draw_tip(V *v)
{
    const ui_theme *t = v->t;
    const ui_metrics *m = v->m;
    char lines[3][TIP_MAX];
    size_t n = tip_text(v, lines);
    if (n == 0)
        return;
    float w = 0;
    for (size_t i = 0; i < n; i++)
        w = fmaxf(w, text_width(v, i == 0 ? UI_FONT_SANS_BOLD : UI_FONT_SANS, m->small, lines[i]));
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
        label(v, (ui_rect){r.x + m->pad, r.y + m->gap * 0.6f + (float)i * m->small_line, r.w - 2 * m->pad, m->small_line},
              i == 0 ? UI_FONT_SANS_BOLD : UI_FONT_SANS, m->small, t->background, UI_ALIGN_LEFT, UI_ID_NONE, lines[i]);
}

static void draw_focus_ring(V *v)
{
    const ui_layout *l = v->l;
    ui_rect r = v->vs->focus == UI_PANEL_INSPECTOR ? l->inspector
                : v->vs->focus == UI_PANEL_TIMELINE ? l->timeline
                                                    : l->stage;
    if (ui_rect_empty(r))
        return;
    ui_draw_frame(v->dl, ui_rect_inset(r, -3, -3), v->t->accent, v->m->radius + 3, 2 * v->m->stroke, UI_ID_NONE);
}

/* ---- the frame ----------------------------------------------------------------------------------- */

void ui_view_state_init(ui_view_state *vs)
{
    memset(vs, 0, sizeof *vs);
    vs->t = 1;
    vs->live_step = SIZE_MAX;
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
    ui_layout_compute(&out->layout, t, w, h, vs->inspector, vs->timeline, memory_slots(s));
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
    resolve_inspected(&v);
    resolve_focus(&v);
    draw_header(&v);
    draw_stage(&v);
    draw_inspector(&v);
    draw_timeline(&v);
    draw_hints(&v);
    if (vs->show_focus)
        draw_focus_ring(&v);
    if (vs->question != NULL)
        draw_question(&v);
    if (vs->menu_count > 0)
        draw_menu(&v);
    if (v.tip && vs->menu_count == 0 && !vs->help)
        draw_tip(&v);
    if (vs->help)
        draw_help(&v);
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
    return a.kind == b.kind && a.index == b.index && (a.kind == UI_HIT_NONE || same_inspect(a.in, b.in));
}
