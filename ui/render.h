/* render.h -- the thin SDL2 backend: a window (or an offscreen one), fonts, and a draw list drawn.
 *
 * Everything on screen goes through ui_render_frame(), which draws a ui_draw_list with SDL's
 * software renderer (so it runs everywhere, headless included: SDL_VIDEODRIVER=offscreen).
 * Rendered strings are cached as textures, so a steady scene costs no font rasterising.
 *
 *     ui_render *r;  char why[256];
 *     ui_render_options o = {.width = 1600, .height = 900, .title = "rpcscope"};
 *     if (!ui_render_open(&o, &r, why, sizeof why)) { fprintf(stderr, "%s\n", why); exit(1); }
 *     ui_render_frame(r, &dl, theme->background);
 *     ui_render_present(r);                                  // or ui_render_screenshot(r, "x.png", ...)
 *     ui_render_close(r);
 *
 * Every SDL failure is reported with SDL_GetError() in the `why` text of the call that met it.
 */
#ifndef RPCSCOPE_UI_RENDER_H
#define RPCSCOPE_UI_RENDER_H

#include <stdbool.h>
#include <stddef.h>

#include "draw.h"

typedef struct ui_render ui_render;

typedef struct ui_render_options {
    int width, height;      /* the window's size in pixels */
    bool fullscreen;
    const char *title;
    const char *font_dir;   /* where DejaVuSans.ttf and friends are; NULL: look beside the program */
} ui_render_options;

bool ui_render_open(const ui_render_options *o, ui_render **out, char *why, size_t why_size);
void ui_render_close(ui_render *r);

/* The measure function for draw.h (ctx is the ui_render). */
float ui_render_measure(void *ctx, ui_font font, int size, const char *text, size_t len);

/* The drawable size in pixels (it changes when the window is resized). */
void ui_render_size(const ui_render *r, int *w, int *h);

/* Clears to `background` and draws the list. */
void ui_render_frame(ui_render *r, const ui_draw_list *dl, ui_color background);
void ui_render_present(ui_render *r);

/* Writes what the last ui_render_frame() drew to a PNG (with SDL2_image's IMG_SavePNG). */
bool ui_render_screenshot(ui_render *r, const char *path, char *why, size_t why_size);

void ui_render_set_fullscreen(ui_render *r, bool on);

/* The font folder ui_render_open() would use when o->font_dir is NULL, or NULL if none has the
 * fonts: $RPCSCOPE_ASSETS/fonts, then assets/fonts above the program's folder, then the
 * installed share/rpcscope/fonts. */
const char *ui_render_find_fonts(void);

#endif
