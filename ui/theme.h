/* theme.h -- the window's colours and type sizes: calm for a screen, bold for a projector.
 *
 *     const ui_theme *t = ui_theme_get(UI_THEME_PROJECTOR);
 *     ui_draw_rect(&dl, r, t->panel, t->radius, UI_ID_NONE);
 *     ui_color c = ui_theme_param_color(t, 2);     // the third parameter's colour, everywhere
 *
 * One colour per parameter, everywhere: its memory cell, its bytes in the hex dump, its row in
 * the field tree and its events on the timeline. The parameter palette is Okabe and Ito's, which
 * stays distinguishable for the common forms of colour blindness.
 */
#ifndef RPCSCOPE_UI_THEME_H
#define RPCSCOPE_UI_THEME_H

#include "draw.h"

typedef enum ui_theme_id { UI_THEME_NORMAL, UI_THEME_PROJECTOR, UI_THEME_COUNT } ui_theme_id;

#define UI_PARAM_COLORS 7

typedef struct ui_theme {
    const char *name;
    ui_color background, panel, panel_edge, lane, lane_alt;
    ui_color text, text_dim, text_strong, accent;
    ui_color client, server, network;   /* the two address spaces and the wire between them */
    ui_color packet, fault, padding, count, referent;
    ui_color param[UI_PARAM_COLORS];
    ui_color on_tint;       /* text on a parameter's tint: dark in both themes, for contrast */
    ui_color review;        /* the "reviewing the past" banner */
    ui_color overlay;       /* dims the window under the help overlay and a crashed process */
    float tint;             /* how much of a parameter's colour its tint has (ui_theme_param_tint) */
    int size_small, size_body, size_title, size_narration;
    float radius, gap;
} ui_theme;

const ui_theme *ui_theme_get(ui_theme_id id);

/* "normal" or "projector" to an id; false for another name. */
bool ui_theme_from_name(const char *name, ui_theme_id *id);

/* The colour of parameter number i (0 for the first), repeating after UI_PARAM_COLORS. */
ui_color ui_theme_param_color(const ui_theme *t, unsigned i);

/* The background for parameter i's bytes and values: its colour mixed into the panel, light
 * enough that t->on_tint text on it stays readable (never coloured text on the panel). */
ui_color ui_theme_param_tint(const ui_theme *t, unsigned i);

#endif
