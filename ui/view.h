/* view.h -- the whole window as one draw list: a pure function of the scene, the view state
 * (panels, hover, selection, animation progress), the theme and the window's size.
 *
 * Immediate mode: every frame the window builds the list from scratch and the SDL backend draws
 * it. Nothing here allocates, reads a clock or remembers the previous frame, so the same inputs
 * give the same pixels (screenshots and tests are deterministic), and layout is tested from the
 * list without pixels. The window's loop:
 *
 *     ui_view_state vs;  ui_view_frame frame;
 *     ui_view_state_init(&vs);
 *     for (;;) {
 *         ... poll events: keys change vs (vs.inspector = 1, vs.playing = !vs.playing, ...);
 *             mouse motion sets vs.hover = ui_view_hit(dl, &frame, x, y);
 *             a click sets vs.selected (or jumps to hit.index for UI_HIT_EVENT) ...
 *         ... step the simulator; rebuild the scene when the step changes; advance vs.t ...
 *         ui_view_build(dl, scene, &vs, theme, w, h, ui_render_measure, r, &frame);
 *         ui_render_frame(r, dl, theme->background);
 *         ui_render_present(r);
 *     }
 *
 * Everything that can be pointed at carries an id in the list (ui_view_id()), and
 * ui_view_hit() turns the id under the mouse into a ui_hit: a memory cell, a byte of the
 * inspected buffer or PDU, a field row, a packet, a timeline event, an address space, an answer,
 * a menu item. Selecting one links it everywhere: its parameter's colour is highlighted in
 * memory, in the hex dump, in the field tree and on the timeline.
 *
 * What the window does with the state:
 *   - t: advance it from 0 to 1 over the step's duration at the playback speed; set it to 1 when
 *     paused on a step, and when stepping back (history is shown where it ended, not replayed).
 *   - A selection pins the inspector to its buffer or PDU at later steps (UI_HIT_PDU, a byte, a
 *     field); a click on empty space (UI_HIT_PANEL) should clear vs.selected.
 *   - Scrolling: on the wheel over the inspector set vs.inspector_scroll = frame.hex_first_row
 *     plus or minus some rows (the view clamps it); -1 follows the current field again. The same
 *     for the timeline with vs.timeline_scroll and frame.timeline_first.
 *   - Right click: fill vs.menu for the thing hit from ui_actions_menu() (actions.h: a packet in
 *     flight can be delayed or dropped, the server's title crashed) and act on UI_HIT_MENU; put
 *     what came of it in vs.notice for a few seconds.
 *   - Steps are counted from 1 on screen: scene step i is "Step i + 1", and live_step likewise.
 *
 * Cost: O(visible rows) for the hex dump and the timeline, O(fields of the inspected buffer) for
 * the field tree, whatever the size of the buffer or the timeline; about half a millisecond for
 * a busy 1920x1080 frame (tests/ui/bench_view.c).
 */
#ifndef RPCSCOPE_UI_VIEW_H
#define RPCSCOPE_UI_VIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "draw.h"
#include "layout.h"
#include "scene.h"
#include "theme.h"

#define UI_VIEW_ANSWERS_MAX 6      /* as many as a lesson may give (SIM_LESSON_ANSWERS_MAX) */
#define UI_VIEW_MENU_MAX 8
#define UI_VIEW_PACKETS_MAX 32       /* packets drawn on the wire at once; more are counted */
#define UI_VIEW_SPEED_MIN 0.25f
#define UI_VIEW_SPEED_MAX 8.0f

/* What is under the mouse. */
typedef enum ui_hit_kind {
    UI_HIT_NONE = 0,
    UI_HIT_CELL,   /* index: the memory cell, scene->cells[index] */
    UI_HIT_BYTE,   /* index: the offset of a byte in the inspected buffer or PDU (`in`) */
    UI_HIT_FIELD,  /* index: a field of the NDR buffer the inspected thing shows (`in`) */
    UI_HIT_HEADER, /* index: a header field of the inspected PDU, ui_format_pdu_fields() order */
    UI_HIT_PDU,    /* index: a packet on the wire, by the step that sent it */
    UI_HIT_EVENT,  /* index: a step on the timeline (a click jumps there) */
    UI_HIT_SIDE,   /* index: UI_CLIENT or UI_SERVER, an address space's title (right-click: crash) */
    UI_HIT_LANE,   /* index: side * UI_LANES + lane */
    UI_HIT_ANSWER, /* index: an answer to the lesson's question */
    UI_HIT_MENU,   /* index: an item of the context menu */
    UI_HIT_PANEL,  /* index: a ui_panel, hit in its empty space (focus it) */
    UI_HIT_KIND_COUNT
} ui_hit_kind;

/* What the inspector shows: an NDR buffer of the scene, or the bytes an event carries (a PDU,
 * or the reassembled stub data of a call). Named by steps, so it stays the same thing when the
 * scene is rebuilt at another step. */
typedef enum ui_inspect_kind {
    UI_INSPECT_NONE,
    UI_INSPECT_BUFFER, /* step: the step of the buffer's first field */
    UI_INSPECT_PDU,    /* step: a PDU_BUILT, PDU_SENT or PDU_RECEIVED event */
    UI_INSPECT_STUB,   /* step: a PDU_REASSEMBLED event */
} ui_inspect_kind;

typedef struct ui_inspect {
    ui_inspect_kind kind;
    size_t step;
} ui_inspect;

typedef struct ui_hit {
    ui_hit_kind kind;
    int index;
    ui_inspect in; /* for BYTE, FIELD and HEADER: what the inspector showed */
} ui_hit;

typedef enum ui_panel { UI_PANEL_STAGE, UI_PANEL_INSPECTOR, UI_PANEL_TIMELINE, UI_PANEL_COUNT } ui_panel;

/* Everything the window decides; the view only reads it. */
typedef struct ui_view_state {
    /* The step's motion: 0 shows things where the previous step left them, 1 where this step
     * puts them (the window advances it at the playback speed; 1 when paused or stepping back). */
    float t;
    /* The step the live processes have reached. When the scene's step is earlier, the window says
     * "reviewing step N -- live at M". SIZE_MAX: no live processes (a replay). */
    size_t live_step;
    bool playing;
    float speed;                 /* 0.25 to 8 */
    const char *narration;       /* the lesson's text for this step, or NULL: the event's own */
    size_t narration_step;       /* the step the narration was written for, when earlier than the
                                    scene's (it is set apart, "since step N"); SIZE_MAX: this one */
    const char *lesson;          /* the lesson's title, or NULL */
    float inspector, timeline;   /* how open each panel is: 0 closed .. 1 open (ease for a slide) */
    bool help;                   /* the help overlay */
    ui_panel focus;              /* the panel Tab moved to */
    bool show_focus;             /* draw the focus ring (after Tab was used) */
    ui_hit hover, selected;      /* what the mouse is over; what was clicked (links it everywhere) */
    int inspector_scroll;        /* the first hex row shown; -1 follows the current field */
    int timeline_scroll;         /* the first event shown; -1 follows the current step */
    uint32_t call_filter;        /* dim every other call's packets and events; 0 shows all */
    bool break_pdu, break_ndr;   /* "pause at every PDU", "pause at every NDR step" */
    const char *process_gone[UI_SIDES]; /* why a process ended ("killed by SIGSEGV"), or NULL */
    /* Ask before revealing: the lesson's question for the next step. */
    const char *question;        /* NULL: none */
    const char *answers[UI_VIEW_ANSWERS_MAX];
    int answer_count;
    int answer_chosen;           /* -1 until the student picks one */
    int answer_right;            /* the right one, -1 until the next event has shown it */
    /* A sentence about what the last action did ("Too late: the packet has left"), shown in
     * the status column while set. */
    const char *notice;
    /* A context menu (right click): items drawn at (menu_x, menu_y). */
    const char *menu[UI_VIEW_MENU_MAX];
    int menu_count;              /* 0: no menu */
    float menu_x, menu_y;
} ui_view_state;

/* What the view made of the frame: for hit testing, scroll limits and tests. */
typedef struct ui_view_packet {
    size_t sent_step;
    ui_rect r;
    float progress;              /* 0 at the sender, 0.5 in flight, 1 at the receiver */
} ui_view_packet;

typedef struct ui_view_frame {
    ui_layout layout;
    ui_inspect inspected;        /* what the inspector shows (also when it is closed) */
    size_t inspected_len;        /* its bytes */
    int hex_rows, hex_first_row, hex_visible_rows; /* the hex dump: rows in all, as drawn */
    int timeline_first, timeline_visible;          /* the timeline: events as drawn */
    int focus_param;             /* the parameter highlighted everywhere, or -1 */
    uint32_t focus_begin, focus_end; /* the highlighted bytes of the inspected thing, [begin, end) */
    ui_rect token;               /* the call token as drawn */
    size_t packet_count;         /* packets drawn on the wire */
    ui_view_packet packets[UI_VIEW_PACKETS_MAX];
} ui_view_frame;

/* Defaults: paused at t = 1, speed 1, no panels, nothing hovered or selected, following. */
void ui_view_state_init(ui_view_state *vs);

/* Builds the frame into dl (reset first). `out` may be NULL. */
void ui_view_build(ui_draw_list *dl, const ui_scene *s, const ui_view_state *vs, const ui_theme *t,
                   int w, int h, ui_measure measure, void *mctx, ui_view_frame *out);

/* What the inspector shows for this scene and state (what ui_view_build() puts in
 * out->inspected): the selection's buffer or PDU if there is one, else the most recent thing
 * with bytes up to the scene's step. */
ui_inspect ui_view_inspected(const ui_scene *s, const ui_view_state *vs);

/* The thing under (x, y) in the frame last built into dl. */
ui_hit ui_view_hit(const ui_draw_list *dl, const ui_view_frame *frame, float x, float y);

bool ui_hit_equal(ui_hit a, ui_hit b);

/* The id a draw command carries for a thing: the kind in the top bits, index < 2^24. */
#define UI_VIEW_INDEX_BITS 24
static inline int ui_view_id(ui_hit_kind kind, int index)
{
    return (int)((unsigned)kind << UI_VIEW_INDEX_BITS | ((unsigned)index & ((1u << UI_VIEW_INDEX_BITS) - 1)));
}

#endif
