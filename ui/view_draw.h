/* view_draw.h -- what the files of the view share while they build one frame: its state (V),
 * the limits, and the helpers. Private to ui/view*.c: not installed, not included elsewhere;
 * the window's interface is view.h.
 *
 * ui_view_build() (view.c) fills a V, resolves what the inspector shows and what is in focus,
 * then draws the parts back to front, each from its own file:
 *
 *     view_inspect.c    what the inspector shows (selection or newest bytes), what is in focus
 *     view_header.c     the narration, set to fit, and the step counter
 *     view_stage.c      the two address spaces, their lanes, the call token
 *     view_memory.c     the memory cells of each address space
 *     view_network.c    the network column, its fault banner, the packets on the wire
 *     view_inspector.c  the hex dump and the field tree
 *     view_timeline.c   the space-time diagram
 *     view_overlays.c   the hint bar, focus ring, question, context menu, tooltip, help
 *
 * A part is a function of V that draws into v->dl and reports what tests and hit testing need
 * in v->out:
 *
 *     void vw_draw_thing(V *v)
 *     {
 *         const ui_metrics *m = v->m;
 *         vw_label(v, v->l->thing, UI_FONT_SANS, m->body, vw_fade(v->t->text, v->e), UI_ALIGN_LEFT,
 *                  UI_ID_NONE, "words");
 *     }
 *
 * What is shared is named vw_*, so that it cannot collide with the rest of the library;
 * everything else is static in its file. Steps are shown to people counted from 1: step index i
 * is "step i + 1".
 */
#ifndef RPCSCOPE_UI_VIEW_DRAW_H
#define RPCSCOPE_UI_VIEW_DRAW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "format.h"
#include "view.h"

#define TEXT_MAX 1024           /* the longest string drawn in one command */
#define NARRATION_LINES_MAX 12   /* lines of narration at its smallest in the tallest band */

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

/* Wrapped lines of text: where each starts in the text and how long it is. `n` counts every
 * line; only the first NARRATION_LINES_MAX + 1 are kept (one more tells that some are cut). */
typedef struct wrapped {
    const char *at[NARRATION_LINES_MAX + 1];
    size_t len[NARRATION_LINES_MAX + 1];
    size_t n;
} wrapped;

/* ---- helpers (view.c) ---------------------------------------------------------------------- */

ui_color vw_fade(ui_color c, float a);                /* c with its alpha times a (0..1) */
ui_color vw_ink_on(const ui_theme *t, ui_color bg);   /* text colour that reads on bg */
float vw_text_width(V *v, ui_font f, int size, const char *s);
/* Draws s in r, cut with an ellipsis to fit r.w; returns the width drawn. */
float vw_label(V *v, ui_rect r, ui_font f, int size, ui_color c, ui_align a, int id, const char *s);
float vw_ease_now(const V *v, size_t step);           /* v->e for the current step, else 1 */
const rs_trace_event *vw_event_at(const ui_scene *s, size_t i); /* NULL past the end */
const char *vw_side_word(int side);                   /* "client" or "server" */
void vw_hit_area(V *v, ui_rect r, int id);            /* an invisible target for the mouse */
bool vw_hovered(const V *v, ui_hit_kind kind, int index);

/* Word wrap for text set every frame: vw_wrap_words() calls fn for each line (vw_collect_line
 * fills a `wrapped`); vw_draw_lines() draws up to `max` of them, the last cut if there are more;
 * vw_paragraph() does both. */
void vw_collect_line(const char *line, size_t len, void *ctx);
size_t vw_wrap_words(V *v, const char *text, float width, ui_font f, int size,
                     void (*fn)(const char *line, size_t len, void *ctx), void *ctx);
void vw_draw_lines(V *v, ui_rect r, ui_font f, int size, float line_h, ui_color c, const wrapped *ls,
                   size_t max);
void vw_paragraph(V *v, ui_rect r, ui_font f, int size, float line_h, ui_color c, const char *text,
                  size_t max);

/* ---- what the inspector shows, what is in focus (view_inspect.c) -------------------------- */

/* Sets v->in, its bytes, buffer and header fields (and out->inspected); then v->focus and the
 * focused parameter, field and bytes (and out->focus_*). In this order, before drawing. */
void vw_resolve_inspected(V *v);
void vw_resolve_focus(V *v);
seg vw_seg_at(const V *v, size_t b);                   /* the field's run around byte b */
bool vw_field_range(const V *v, int j, size_t *b, size_t *e); /* field j in the inspected bytes */
bool vw_same_inspect(ui_inspect a, ui_inspect b);

/* ---- the parts of the frame, back to front ------------------------------------------------- */

void vw_draw_header(V *v);                          /* view_header.c */
void vw_draw_stage(V *v);                           /* view_stage.c */
void vw_draw_memory(V *v, int side);                /* view_memory.c */
size_t vw_memory_slots(const ui_scene *s);          /* view_memory.c: for the layout */
const ui_cell *vw_twin(const ui_scene *s, const ui_cell *c); /* the other side's cell, or NULL */
void vw_draw_network(V *v);                         /* view_network.c */
void vw_draw_inspector(V *v);                       /* view_inspector.c */
void vw_draw_timeline(V *v);                        /* view_timeline.c */
void vw_draw_hints(V *v);                           /* view_overlays.c */
void vw_draw_focus_ring(V *v);
void vw_draw_question(V *v);
void vw_draw_menu(V *v);
void vw_draw_tip(V *v);                             /* what v->tip_at points to */
void vw_draw_help(V *v);

#endif
