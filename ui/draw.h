/* draw.h -- one frame as a list of draw commands: the view fills it, the SDL backend draws it.
 *
 * Immediate mode, as in microui: every frame the view rebuilds the list from the simulator's
 * state, so what is on screen is always a function of that state, and layout can be tested
 * without pixels by reading the list. Nothing here allocates: the list and its text pool are
 * fixed arrays, and a frame that would overflow them sets `overflow` and drops the rest.
 *
 *     ui_draw_reset(&dl);
 *     ui_draw_rect(&dl, (ui_rect){10, 10, 200, 40}, theme->panel, 8, UI_ID_NONE);
 *     ui_draw_text(&dl, (ui_rect){20, 10, 180, 40}, UI_FONT_SANS, 18, theme->text,
 *                  UI_ALIGN_LEFT, UI_ID_NONE, "pszString = \"%s\"", s);
 *     ui_render_frame(r, &dl);     // the SDL backend (render.h)
 *
 * Text is measured through a ui_measure function, so the view can wrap and centre text the same
 * way against the real fonts and, in tests, against a fixed-width stand-in.
 */
#ifndef RPCSCOPE_UI_DRAW_H
#define RPCSCOPE_UI_DRAW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define UI_MAX_COMMANDS 16384
#define UI_TEXT_POOL_BYTES (512 * 1024)
#define UI_ID_NONE 0

typedef struct ui_color {
    uint8_t r, g, b, a;
} ui_color;

typedef struct ui_rect {
    float x, y, w, h;
} ui_rect;

typedef enum ui_font {
    UI_FONT_SANS,
    UI_FONT_SANS_BOLD,
    UI_FONT_MONO,
    UI_FONT_MONO_BOLD,
    UI_FONT_COUNT
} ui_font;

typedef enum ui_align { UI_ALIGN_LEFT, UI_ALIGN_CENTER, UI_ALIGN_RIGHT } ui_align;

typedef enum ui_command_kind {
    UI_CMD_RECT,  /* a filled rectangle with rounded corners (radius 0: square) */
    UI_CMD_FRAME, /* the outline of one, `thickness` wide */
    UI_CMD_LINE,  /* from (x, y) to (x + w, y + h), `thickness` wide */
    UI_CMD_ARROW, /* a line with an arrow head at its end */
    UI_CMD_TEXT,  /* one line of text inside the rect, vertically centred */
    UI_CMD_CLIP,  /* later commands are clipped to the rect (w or h 0: no clip) */
} ui_command_kind;

typedef struct ui_command {
    ui_command_kind kind;
    ui_rect r;
    ui_color color;
    float radius;     /* RECT, FRAME */
    float thickness;  /* FRAME, LINE, ARROW */
    ui_font font;     /* TEXT */
    int size;         /* TEXT: pixel height of the font */
    ui_align align;   /* TEXT */
    uint32_t text;    /* TEXT: offset into the pool */
    uint32_t text_len;
    int id;           /* what the command shows, for hovering and clicking; UI_ID_NONE if nothing */
} ui_command;

typedef struct ui_draw_list {
    ui_command commands[UI_MAX_COMMANDS];
    size_t count;
    char text[UI_TEXT_POOL_BYTES];
    size_t text_len;
    bool overflow; /* something did not fit this frame */
} ui_draw_list;

/* Width in pixels of `len` bytes of UTF-8 `text` in `font` at `size`. */
typedef float (*ui_measure)(void *ctx, ui_font font, int size, const char *text, size_t len);

void ui_draw_reset(ui_draw_list *dl);
void ui_draw_rect(ui_draw_list *dl, ui_rect r, ui_color c, float radius, int id);
void ui_draw_frame(ui_draw_list *dl, ui_rect r, ui_color c, float radius, float thickness, int id);
void ui_draw_line(ui_draw_list *dl, float x0, float y0, float x1, float y1, ui_color c, float thickness);
void ui_draw_arrow(ui_draw_list *dl, float x0, float y0, float x1, float y1, ui_color c, float thickness);
void ui_draw_clip(ui_draw_list *dl, ui_rect r);
void ui_draw_text(ui_draw_list *dl, ui_rect r, ui_font font, int size, ui_color c, ui_align align, int id,
                  const char *fmt, ...) __attribute__((format(printf, 8, 9)));

/* The text of a TEXT command (not NUL-terminated: use cmd->text_len). */
static inline const char *ui_command_text(const ui_draw_list *dl, const ui_command *cmd)
{
    return dl->text + cmd->text;
}

/* The topmost command with an id under the point, or UI_ID_NONE. */
int ui_draw_hit(const ui_draw_list *dl, float x, float y);

/* Cuts `text` into lines no wider than `width`, at spaces where it can (a word longer than a
 * line is cut inside). Calls fn(line, len, ctx) for each; returns the number of lines. */
size_t ui_wrap(const char *text, float width, ui_measure measure, void *mctx, ui_font font, int size,
               void (*fn)(const char *line, size_t len, void *ctx), void *ctx);

/* Colours: `c` with alpha `a` (0..255); a mix of two (t = 0 gives a, 1 gives b). */
ui_color ui_alpha(ui_color c, uint8_t a);
ui_color ui_mix(ui_color a, ui_color b, float t);

/* Easing for motion that explains: slow in, slow out. t in [0, 1]. */
float ui_ease(float t);

#endif
