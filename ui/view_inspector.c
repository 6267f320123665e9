/* view_inspector.c -- the NDR inspector: the hex dump and the field tree. See view_draw.h. */
#include "view_draw.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "ndr.h"
#include "pdu.h"

#define BYTES_PER_ROW 16

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
            seg sg = vw_seg_at(v, b);
            size_t e = sg.end < b1 ? sg.end : b1;
            if (e <= b)
                e = b + 1;
            float x0 = byte_x(g, b - b0) - pad_x, x1 = byte_x(g, e - 1 - b0) + 2 * g->adv + pad_x;
            ui_rect run = {x0, y + 1, x1 - x0, g->line - 2};
            float a = sg.step != SIZE_MAX ? vw_ease_now(v, sg.step) : 1;
            bool other = v->focus_param >= 0 && sg.param != v->focus_param && v->fe > v->fb &&
                         !(b < v->fe && e > v->fb);
            ui_color fill = seg_fill(v, &sg);
            if (other)
                fill = ui_mix(t->panel, fill, 0.45f);
            if (fill.a > 0)
                ui_draw_rect(v->dl, run, vw_fade(fill, a), roundf(m->radius * 0.4f), UI_ID_NONE);
            if (sg.role == RS_NDR_ROLE_PADDING)
                hatch(v, run, vw_fade(t->text_dim, 0.55f * a));
            if (sg.step == v->s->step && v->s->step != SIZE_MAX && sg.header < 0)
                ui_draw_frame(v->dl, run, vw_fade(t->accent, a), roundf(m->radius * 0.4f), m->stroke, UI_ID_NONE);
            if (fill.a > 0 || sg.field >= 0) {
                ui_color mark = seg_mark(v, &sg);
                ui_draw_rect(v->dl, (ui_rect){x0 + 1, y + g->line, run.w - 2, fmaxf(2, roundf(2 * m->scale))},
                             vw_fade(other ? ui_mix(t->panel, mark, 0.4f) : mark, a), 0, UI_ID_NONE);
                if (sg.begin >= b0 || b == b0) {
                    /* Its name under it when it fits, else a short one, else none (hover names it). */
                    char nb[UI_SCENE_NAME_MAX];
                    const char *name = seg_label(v, &sg, nb, sizeof nb);
                    float room_w = run.w - pad_x; /* a little air before the next name */
                    if (vw_text_width(v, UI_FONT_SANS, m->small, name) > room_w)
                        name = short_label(name);
                    if (name[0] && vw_text_width(v, UI_FONT_SANS, m->small, name) <= room_w)
                        ui_draw_text(v->dl, (ui_rect){x0, y + g->line + 1, run.w, annot - 1}, UI_FONT_SANS, m->small,
                                     vw_fade(t->text_dim, a), UI_ALIGN_LEFT, UI_ID_NONE, "%s", name);
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
            seg sg = vw_seg_at(v, b);
            float a = sg.step != SIZE_MAX ? vw_ease_now(v, sg.step) : 1;
            ui_color fill = seg_fill(v, &sg);
            ui_color ink = fill.a > 0 ? vw_ink_on(t, fill) : t->text;
            if (sg.role == RS_NDR_ROLE_PADDING)
                ink = t->text_dim;
            int id = ui_view_id(UI_HIT_BYTE, (int)b);
            ui_rect cell = {x - pad_x, y, 2 * g->adv + 2 * pad_x, g->line};
            ui_draw_text(v->dl, cell, UI_FONT_MONO, g->size, vw_fade(ink, 0.15f + 0.85f * a), UI_ALIGN_CENTER, id,
                         "%02x", v->bytes[b]);
            if (vw_hovered(v, UI_HIT_BYTE, (int)b) && vw_same_inspect(v->vs->hover.in, v->in)) {
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
        if (!vw_field_range(v, (int)j, &b, &e))
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
        vw_label(v, in, UI_FONT_SANS_BOLD, m->body, t->text_strong, UI_ALIGN_LEFT, ui_view_id(UI_HIT_HEADER, row.header),
                 text);
        return;
    }
    if (row.group >= 0) { /* a parameter's heading */
        ui_draw_rect(v->dl, (ui_rect){in.x, r.y + (r.h - chip) / 2, chip, chip}, ui_theme_param_color(t, (unsigned)row.group),
                     roundf(chip * 0.25f), UI_ID_NONE);
        const char *name = v->s->params[row.group];
        bool lit = v->focus_param == row.group;
        vw_label(v, (ui_rect){in.x + chip + m->gap, r.y, in.w - chip - m->gap, r.h}, UI_FONT_SANS_BOLD, m->body,
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
        vw_field_range(v, row.field, &b, &e);
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
    vw_hit_area(v, r, id);
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
    float ow = vw_text_width(v, UI_FONT_MONO, m->small, wide ? "000000" : "0000") + m->gap;
    vw_label(v, (ui_rect){x, r.y, ow, r.h}, UI_FONT_MONO, m->small, t->text_dim, UI_ALIGN_LEFT, UI_ID_NONE, off);
    x += ow;
    float rest = in.x + in.w - x;
    vw_label(v, (ui_rect){x, r.y, rest * 0.45f, r.h}, UI_FONT_SANS, m->body,
             role == RS_NDR_ROLE_PADDING ? t->text_dim : t->text, UI_ALIGN_LEFT, UI_ID_NONE, what);
    x += rest * 0.45f + m->gap;
    vw_label(v, (ui_rect){x, r.y, in.x + in.w - x, r.h}, UI_FONT_MONO, m->mono, focus ? t->text_strong : t->text,
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
        seg g = vw_seg_at(v, first_byte);
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
                 vw_side_word(v->buf->side), v->buf->reading ? "unmarshals" : "marshals",
                 v->buf->out ? "response" : "request", v->len);
        break;
    case UI_INSPECT_PDU: {
        const rs_trace_event *ev = vw_event_at(v->s, v->in.step);
        const char *verb = ev->kind == RS_TRACE_PDU_BUILT ? "built by" : ev->kind == RS_TRACE_PDU_SENT ? "sent by"
                                                                                                        : "received by";
        snprintf(title, sizeof title, "PDU \xC2\xB7 %s \xC2\xB7 %s the %s \xC2\xB7 %zu bytes",
                 rs_pdu_type_name(v->len > 2 ? v->bytes[2] : 0), verb, vw_side_word(ui_scene_side(ev)), v->len);
        break;
    }
    case UI_INSPECT_STUB:
        snprintf(title, sizeof title, "stub data \xC2\xB7 reassembled by the %s runtime \xC2\xB7 %zu bytes",
                 vw_side_word(ui_scene_side(vw_event_at(v->s, v->in.step))), v->len);
        break;
    default:
        snprintf(title, sizeof title, "NDR inspector");
        drep[0] = '\0';
    }
    float dw = drep[0] ? fminf(vw_text_width(v, UI_FONT_SANS, m->small, drep), r.w * 0.45f) : 0;
    vw_label(v, (ui_rect){r.x, r.y, r.w - dw - m->pad, r.h}, UI_FONT_SANS_BOLD, m->body, t->text_strong, UI_ALIGN_LEFT,
             UI_ID_NONE, title);
    if (drep[0])
        vw_label(v, (ui_rect){r.x + r.w - dw, r.y, dw, r.h}, UI_FONT_SANS, m->small, t->text_dim, UI_ALIGN_RIGHT,
                 UI_ID_NONE, drep);
}

void vw_draw_inspector(V *v)
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
        vw_label(v, in, UI_FONT_SANS, m->body, t->text_dim, UI_ALIGN_CENTER, UI_ID_NONE,
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
