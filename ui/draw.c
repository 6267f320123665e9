/* draw.c -- the draw command list, text wrapping, colours and easing. See draw.h. */
#include "draw.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void ui_draw_reset(ui_draw_list *dl)
{
    dl->count = 0;
    dl->text_len = 0;
    dl->overflow = false;
}

static ui_command *push(ui_draw_list *dl, ui_command_kind kind)
{
    if (dl->count == UI_MAX_COMMANDS) {
        dl->overflow = true;
        return NULL;
    }
    ui_command *c = &dl->commands[dl->count++];
    memset(c, 0, sizeof *c);
    c->kind = kind;
    return c;
}

void ui_draw_rect(ui_draw_list *dl, ui_rect r, ui_color c, float radius, int id)
{
    ui_command *cmd = push(dl, UI_CMD_RECT);
    if (cmd != NULL) {
        cmd->r = r;
        cmd->color = c;
        cmd->radius = radius;
        cmd->id = id;
    }
}

void ui_draw_frame(ui_draw_list *dl, ui_rect r, ui_color c, float radius, float thickness, int id)
{
    ui_command *cmd = push(dl, UI_CMD_FRAME);
    if (cmd != NULL) {
        cmd->r = r;
        cmd->color = c;
        cmd->radius = radius;
        cmd->thickness = thickness;
        cmd->id = id;
    }
}

static void segment(ui_draw_list *dl, ui_command_kind kind, float x0, float y0, float x1, float y1,
                    ui_color c, float thickness)
{
    ui_command *cmd = push(dl, kind);
    if (cmd != NULL) {
        cmd->r = (ui_rect){x0, y0, x1 - x0, y1 - y0};
        cmd->color = c;
        cmd->thickness = thickness;
    }
}

void ui_draw_line(ui_draw_list *dl, float x0, float y0, float x1, float y1, ui_color c, float thickness)
{
    segment(dl, UI_CMD_LINE, x0, y0, x1, y1, c, thickness);
}

void ui_draw_arrow(ui_draw_list *dl, float x0, float y0, float x1, float y1, ui_color c, float thickness)
{
    segment(dl, UI_CMD_ARROW, x0, y0, x1, y1, c, thickness);
}

void ui_draw_clip(ui_draw_list *dl, ui_rect r)
{
    ui_command *cmd = push(dl, UI_CMD_CLIP);
    if (cmd != NULL)
        cmd->r = r;
}

void ui_draw_text(ui_draw_list *dl, ui_rect r, ui_font font, int size, ui_color c, ui_align align, int id,
                  const char *fmt, ...)
{
    size_t room = UI_TEXT_POOL_BYTES - dl->text_len;
    if (room < 2) {
        dl->overflow = true;
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(dl->text + dl->text_len, room, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n >= room) {
        dl->overflow = true;
        n = (int)room - 1;
    }
    ui_command *cmd = push(dl, UI_CMD_TEXT);
    if (cmd == NULL)
        return;
    cmd->r = r;
    cmd->color = c;
    cmd->font = font;
    cmd->size = size;
    cmd->align = align;
    cmd->id = id;
    cmd->text = (uint32_t)dl->text_len;
    cmd->text_len = (uint32_t)n;
    dl->text_len += (size_t)n + 1;
}

int ui_draw_hit(const ui_draw_list *dl, float x, float y)
{
    for (size_t i = dl->count; i-- > 0;) {
        const ui_command *c = &dl->commands[i];
        if (c->id != UI_ID_NONE && x >= c->r.x && x < c->r.x + c->r.w && y >= c->r.y &&
            y < c->r.y + c->r.h)
            return c->id;
    }
    return UI_ID_NONE;
}

/* The length of the UTF-8 sequence starting with byte b (1 for a stray continuation byte). */
static size_t utf8_len(unsigned char b)
{
    return b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : b >= 0xC0 ? 2 : 1;
}

size_t ui_wrap(const char *text, float width, ui_measure measure, void *mctx, ui_font font, int size,
               void (*fn)(const char *line, size_t len, void *ctx), void *ctx)
{
    size_t lines = 0;
    const char *p = text;
    while (*p != '\0') {
        /* An explicit newline always ends a line. */
        const char *nl = strchr(p, '\n');
        size_t avail = nl ? (size_t)(nl - p) : strlen(p);
        size_t fit = 0, last_space = 0;
        while (fit < avail) {
            size_t step = utf8_len((unsigned char)p[fit]);
            if (fit + step > avail)
                step = avail - fit;
            if (measure(mctx, font, size, p, fit + step) > width && fit > 0)
                break;
            fit += step;
            if (p[fit - 1] == ' ')
                last_space = fit;
        }
        size_t take = fit;
        if (fit < avail && p[fit] != ' ' && last_space > 0)
            take = last_space; /* break after the last space that fits, not inside a word */
        size_t shown = take;
        while (shown > 0 && p[shown - 1] == ' ')
            shown--;
        fn(p, shown, ctx);
        lines++;
        p += take;
        if (take == avail && nl != NULL)
            p++; /* past the newline */
        else
            while (*p == ' ')
                p++;
    }
    return lines;
}

ui_color ui_alpha(ui_color c, uint8_t a)
{
    c.a = a;
    return c;
}

ui_color ui_mix(ui_color a, ui_color b, float t)
{
    if (t < 0)
        t = 0;
    if (t > 1)
        t = 1;
    ui_color c = {
        (uint8_t)(a.r + (b.r - a.r) * t + 0.5f),
        (uint8_t)(a.g + (b.g - a.g) * t + 0.5f),
        (uint8_t)(a.b + (b.b - a.b) * t + 0.5f),
        (uint8_t)(a.a + (b.a - a.a) * t + 0.5f),
    };
    return c;
}

float ui_ease(float t)
{
    if (t <= 0)
        return 0;
    if (t >= 1)
        return 1;
    return t * t * (3 - 2 * t); /* smoothstep: zero speed at both ends */
}
