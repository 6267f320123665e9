/* layout.h -- where everything goes in a window of a given size: pure geometry, no drawing.
 *
 * One function computes every panel's rectangle and the type sizes from the window's size, the
 * theme, how open the two optional panels are and how many memory cells a side needs; the view
 * draws into those rectangles. The same inputs always give the same layout, and none of them
 * changes from one step to the next, so lanes and memory cells keep their places while a call
 * runs (only opening a panel moves things, and the window can ease that with the open amounts).
 *
 *     ui_layout l;
 *     ui_layout_compute(&l, theme, 1920, 1080, 1.0f, 0.0f, 3);  // inspector open, 3 parameters
 *     ui_rect lane = l.lane[UI_SERVER][RS_TRACE_LAYER_STUB - 1];
 *
 *   +------------------------------------------------------------------------------+
 *   | narration (large type, 3 lines; a longer one smaller,      | step / status   |
 *   |   never down to body size)                                 |                 |
 *   | the event itself (small type)                              |                 |
 *   +---------------------------------------------------------------+--------------+
 *   | client  process 4242  |           | server  process 4243  |   timeline   |
 *   | memory (cells)        |  network  | memory (cells)        |  (space-time |
 *   | application lane    o |  binding  | o application lane    |   diagram)   |
 *   | stub lane           o |           | o stub lane           |              |
 *   | RPC runtime lane    o |           | o RPC runtime lane    |              |
 *   | transport lane      o |===wire====| o transport lane      |              |
 *   +---------------------------------------------------------------+              |
 *   | NDR inspector: hex dump          | field tree                 |              |
 *   +---------------------------------------------------------------+--------------+
 *   | controls hint bar                                                            |
 *   +------------------------------------------------------------------------------+
 *
 * Sizes scale with the window: 1280x800 is scale 1 (the theme's sizes as they are), 4K about
 * 2.7; never below 0.85, so 1024x640 stays readable.
 */
#ifndef RPCSCOPE_UI_LAYOUT_H
#define RPCSCOPE_UI_LAYOUT_H

#include <stdbool.h>

#include "draw.h"
#include "scene.h"
#include "theme.h"

#define UI_LANES 4                 /* lane i shows rs_trace_layer i + 1 */
#define UI_LAYOUT_BASE_W 1280.0f   /* the window size at which the theme's sizes apply as is */
#define UI_LAYOUT_BASE_H 800.0f
#define UI_LAYOUT_SCALE_MIN 0.85f
#define UI_LAYOUT_SCALE_MAX 4.0f
/* The narration band: room for this many lines of full-size narration, so that most of a
 * lesson's words show at full size; a longer narration is set smaller (ui_metrics
 * narration_min at the least) in the same band. The header around it never takes more than
 * UI_HEADER_SHARE_MAX of the window's height, nor so much that the stage shows less than with a
 * two-line band (smaller memory cells, lanes that lose a row); two lines at the least. The
 * band depends on the window, the theme and the lesson's parameter count, never on the words,
 * so nothing below it moves from one step to the next. */
#define UI_NARRATION_LINES 3
#define UI_HEADER_SHARE_MAX 0.22f
/* The line height of type of a given pixel size, for the narration at any of its sizes. */
#define UI_NARRATION_LEADING 1.25f

/* Type sizes and spacing, already scaled. */
typedef struct ui_metrics {
    float scale;
    int narration, title, body, small, mono; /* font pixel sizes */
    int narration_min;       /* the smallest a long narration is set: always larger than body */
    float narration_line, title_line, line, small_line, mono_line; /* line heights */
    float mono_advance;      /* the width of one monospace character, estimated (0.6 em) */
    float pad, gap, radius, stroke;
} ui_metrics;

/* How memory cells are drawn: three lines (name and type; value or pointer and referent; a
 * note), two (without the note), or one. */
typedef enum ui_cell_mode { UI_CELL_FULL, UI_CELL_MEDIUM, UI_CELL_COMPACT } ui_cell_mode;

/* The memory band as a grid: one slot per parameter, the same slot on both sides. */
typedef struct ui_memory_grid {
    ui_cell_mode mode;
    size_t cols, rows;       /* rows: as many as fit in the band (slots past them are hidden) */
    float cell_w, cell_h, gap;
    float title_h;           /* the band's title line above the cells */
} ui_memory_grid;

typedef struct ui_layout {
    int w, h;
    ui_metrics m;
    ui_rect header, narration, status;     /* status: step counter, play state, speed */
    ui_rect detail;                         /* room for a line under the narration band: the
                                               event itself, small, drawn right under the
                                               narration's last line; a long narration may
                                               take it */
    ui_rect stage;                          /* the two address spaces and the network */
    ui_rect side[UI_SIDES];                 /* a whole address space */
    ui_rect side_head[UI_SIDES];            /* its title: role and pid */
    ui_rect memory[UI_SIDES];               /* its memory cells, under a title line */
    ui_memory_grid grid;                    /* how the cells sit in it (both sides alike) */
    ui_rect lanes[UI_SIDES];                /* its four lanes together */
    ui_rect lane[UI_SIDES][UI_LANES];
    float token_x[UI_SIDES];                /* where the call token runs down each side */
    ui_rect network;                        /* between the two address spaces */
    float wire_y;                           /* the wire: level with the transport lanes */
    ui_rect inspector;                      /* zero size when closed */
    ui_rect timeline;                       /* zero size when closed */
    ui_rect hints;                          /* the controls hint bar */
} ui_layout;

/* inspector and timeline: how open each panel is, 0 (closed) to 1 (open). memory_slots: the
 * memory cells each side needs room for -- the scene's parameter count, which is gathered from
 * the whole timeline, so it stays the same from step to step and nothing moves. */
void ui_layout_compute(ui_layout *l, const ui_theme *t, int w, int h, float inspector, float timeline,
                       size_t memory_slots);

/* True when the lanes are tall enough to show their name over their words; short lanes put the
 * name beside the words (and leave out what the layer is). */
bool ui_layout_lanes_two_rows(const ui_layout *l);

/* The rectangle of memory slot `slot` of one side (zero size past the rows that fit). */
ui_rect ui_layout_cell(const ui_layout *l, int side, size_t slot);

/* ---- rectangle helpers --------------------------------------------------------------------- */

static inline ui_rect ui_rect_inset(ui_rect r, float dx, float dy)
{
    return (ui_rect){r.x + dx, r.y + dy, r.w - 2 * dx, r.h - 2 * dy};
}

static inline bool ui_rect_contains(ui_rect r, float x, float y)
{
    return x >= r.x && x < r.x + r.w && y >= r.y && y < r.y + r.h;
}

/* True when the two rectangles share more than `slack` pixels in both directions. */
static inline bool ui_rect_overlaps(ui_rect a, ui_rect b, float slack)
{
    return a.x + slack < b.x + b.w && b.x + slack < a.x + a.w && a.y + slack < b.y + b.h &&
           b.y + slack < a.y + a.h;
}

static inline bool ui_rect_empty(ui_rect r)
{
    return r.w <= 0 || r.h <= 0;
}

/* Cuts a band of `size` off one edge of *r and returns it (r keeps the rest). */
ui_rect ui_rect_cut_top(ui_rect *r, float size);
ui_rect ui_rect_cut_bottom(ui_rect *r, float size);
ui_rect ui_rect_cut_left(ui_rect *r, float size);
ui_rect ui_rect_cut_right(ui_rect *r, float size);

#endif
