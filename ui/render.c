/* render.c -- draw lists drawn with SDL2's software renderer and SDL2_ttf. See render.h. */
#include "render.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <SDL.h>
#include <SDL_image.h>
#include <SDL_ttf.h>

#define FONT_SIZE_MAX 128
#define TEXT_CACHE_SLOTS 4096             /* a power of two */
#define TEXT_CACHE_HIGH (TEXT_CACHE_SLOTS * 3 / 4)
#define TEXT_CACHE_IDLE_FRAMES 120        /* unused this long: evicted when the cache is full */
#define TEXT_MAX 1024
#define CORNER_SEGMENTS 6
#define PATH_MAX_POINTS (4 * (CORNER_SEGMENTS + 1))

static const char *const font_files[UI_FONT_COUNT] = {
    [UI_FONT_SANS] = "DejaVuSans.ttf",
    [UI_FONT_SANS_BOLD] = "DejaVuSans-Bold.ttf",
    [UI_FONT_MONO] = "DejaVuSansMono.ttf",
    [UI_FONT_MONO_BOLD] = "DejaVuSansMono-Bold.ttf",
};

/* A string rendered once in one colour, opaque: its alpha is applied when it is drawn (texture
 * alpha modulation), so a fade costs no rasterising, and opaque text takes the fast blit. */
struct text_entry {
    uint64_t hash;          /* 0: empty slot */
    ui_font font;
    int size;
    ui_color color;         /* alpha always 255 */
    char *text;
    SDL_Texture *texture;
    int w, h;
    uint64_t used;          /* the frame it was last drawn in */
};

struct ui_render {
    SDL_Window *window;
    SDL_Renderer *renderer;
    char font_dir[512];
    TTF_Font *fonts[UI_FONT_COUNT][FONT_SIZE_MAX + 1];
    struct text_entry cache[TEXT_CACHE_SLOTS];
    size_t cached;
    uint64_t frame;
};

static void say(char *why, size_t size, const char *what)
{
    snprintf(why, size, "%s: %s", what, SDL_GetError());
}

static bool has_fonts(const char *dir)
{
    char path[600];
    snprintf(path, sizeof path, "%s/%s", dir, font_files[UI_FONT_SANS]);
    return access(path, R_OK) == 0;
}

const char *ui_render_find_fonts(void)
{
    static char found[512];
    const char *env = getenv("RPCSCOPE_ASSETS");
    if (env != NULL) {
        snprintf(found, sizeof found, "%s/fonts", env);
        if (has_fonts(found))
            return found;
    }
    char *base = SDL_GetBasePath(); /* the program's folder, with a trailing '/' */
    static const char *const above[] = {"../assets/fonts", "../../assets/fonts", "../share/rpcscope/fonts"};
    for (size_t i = 0; base != NULL && i < sizeof above / sizeof above[0]; i++) {
        snprintf(found, sizeof found, "%s%s", base, above[i]);
        if (has_fonts(found)) {
            SDL_free(base);
            return found;
        }
    }
    SDL_free(base);
    return NULL;
}

static TTF_Font *font_at(ui_render *r, ui_font f, int size)
{
    if (size < 4)
        size = 4;
    if (size > FONT_SIZE_MAX)
        size = FONT_SIZE_MAX;
    if (r->fonts[f][size] == NULL) {
        char path[600];
        snprintf(path, sizeof path, "%s/%s", r->font_dir, font_files[f]);
        r->fonts[f][size] = TTF_OpenFont(path, size);
        if (r->fonts[f][size] == NULL)
            SDL_Log("rpcscope: cannot open %s: %s", path, TTF_GetError());
        else
            TTF_SetFontHinting(r->fonts[f][size], TTF_HINTING_LIGHT);
    }
    return r->fonts[f][size];
}

bool ui_render_open(const ui_render_options *o, ui_render **out, char *why, size_t why_size)
{
    *out = NULL;
    ui_render *r = calloc(1, sizeof *r);
    if (r == NULL) {
        snprintf(why, why_size, "out of memory");
        return false;
    }
    const char *dir = o->font_dir != NULL ? o->font_dir : ui_render_find_fonts();
    if (dir == NULL || !has_fonts(dir)) {
        snprintf(why, why_size, "cannot find the fonts (assets/fonts/%s); set RPCSCOPE_ASSETS",
                 font_files[UI_FONT_SANS]);
        free(r);
        return false;
    }
    snprintf(r->font_dir, sizeof r->font_dir, "%s", dir);
    /* The software renderer draws into the window's own surface; without this hint some
     * drivers (the offscreen one among them) show that surface through a GL renderer, which
     * costs more than all the drawing. */
    SDL_SetHint(SDL_HINT_FRAMEBUFFER_ACCELERATION, "0");
    if (SDL_Init(SDL_INIT_VIDEO) != 0) {
        say(why, why_size, "SDL_Init");
        free(r);
        return false;
    }
    if (TTF_Init() != 0) {
        snprintf(why, why_size, "TTF_Init: %s", TTF_GetError());
        goto fail;
    }
    if ((IMG_Init(IMG_INIT_PNG) & IMG_INIT_PNG) == 0) {
        snprintf(why, why_size, "IMG_Init: %s", IMG_GetError());
        goto fail;
    }
    Uint32 flags = SDL_WINDOW_RESIZABLE | (o->fullscreen ? SDL_WINDOW_FULLSCREEN_DESKTOP : 0);
    r->window = SDL_CreateWindow(o->title ? o->title : "rpcscope", SDL_WINDOWPOS_CENTERED,
                                 SDL_WINDOWPOS_CENTERED, o->width, o->height, flags);
    if (r->window == NULL) {
        say(why, why_size, "SDL_CreateWindow");
        goto fail;
    }
    SDL_SetWindowMinimumSize(r->window, 1024, 640);
    r->renderer = SDL_CreateRenderer(r->window, -1, SDL_RENDERER_SOFTWARE);
    if (r->renderer == NULL) {
        say(why, why_size, "SDL_CreateRenderer");
        goto fail;
    }
    SDL_SetRenderDrawBlendMode(r->renderer, SDL_BLENDMODE_BLEND);
    *out = r;
    return true;
fail:
    ui_render_close(r);
    return false;
}

static void cache_clear(ui_render *r, bool all)
{
    size_t kept = 0;
    struct text_entry *old = malloc(sizeof r->cache);
    if (old == NULL)
        all = true;
    else
        memcpy(old, r->cache, sizeof r->cache);
    memset(r->cache, 0, sizeof r->cache);
    r->cached = 0;
    for (size_t i = 0; old != NULL && i < TEXT_CACHE_SLOTS; i++) {
        struct text_entry *e = &old[i];
        if (e->hash == 0)
            continue;
        if (all || r->frame - e->used > TEXT_CACHE_IDLE_FRAMES) {
            SDL_DestroyTexture(e->texture);
            free(e->text);
            continue;
        }
        size_t j = e->hash & (TEXT_CACHE_SLOTS - 1);
        while (r->cache[j].hash != 0)
            j = (j + 1) & (TEXT_CACHE_SLOTS - 1);
        r->cache[j] = *e;
        kept++;
    }
    r->cached = kept;
    free(old);
}

void ui_render_close(ui_render *r)
{
    if (r == NULL)
        return;
    for (size_t i = 0; i < TEXT_CACHE_SLOTS; i++) {
        if (r->cache[i].hash != 0) {
            SDL_DestroyTexture(r->cache[i].texture);
            free(r->cache[i].text);
        }
    }
    for (int f = 0; f < UI_FONT_COUNT; f++)
        for (int s = 0; s <= FONT_SIZE_MAX; s++)
            if (r->fonts[f][s] != NULL)
                TTF_CloseFont(r->fonts[f][s]);
    if (r->renderer != NULL)
        SDL_DestroyRenderer(r->renderer);
    if (r->window != NULL)
        SDL_DestroyWindow(r->window);
    IMG_Quit();
    if (TTF_WasInit())
        TTF_Quit();
    SDL_Quit();
    free(r);
}

float ui_render_measure(void *ctx, ui_font font, int size, const char *text, size_t len)
{
    ui_render *r = ctx;
    char buf[TEXT_MAX];
    if (len >= sizeof buf)
        len = sizeof buf - 1;
    memcpy(buf, text, len);
    buf[len] = '\0';
    int w = 0, h = 0;
    TTF_Font *f = font_at(r, font, size);
    if (f == NULL || TTF_SizeUTF8(f, buf, &w, &h) != 0)
        return (float)len * (float)size * 0.6f;
    return (float)w;
}

void ui_render_size(const ui_render *r, int *w, int *h)
{
    if (SDL_GetRendererOutputSize(r->renderer, w, h) != 0)
        SDL_GetWindowSize(r->window, w, h);
}

static uint64_t hash_text(ui_font font, int size, ui_color c, const char *text, size_t len)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (size_t i = 0; i < len; i++)
        h = (h ^ (uint8_t)text[i]) * 1099511628211ull;
    h = (h ^ (uint64_t)font) * 1099511628211ull;
    h = (h ^ (uint64_t)size) * 1099511628211ull;
    h = (h ^ ((uint64_t)c.r << 16 | (uint64_t)c.g << 8 | (uint64_t)c.b)) * 1099511628211ull;
    return h ? h : 1;
}

/* The texture of a string, rendered once and kept while it is in use. */
static struct text_entry *text_texture(ui_render *r, ui_font font, int size, ui_color c, const char *text,
                                       size_t len)
{
    if (len == 0)
        return NULL;
    if (len >= TEXT_MAX)
        len = TEXT_MAX - 1;
    c.a = 255;
    uint64_t h = hash_text(font, size, c, text, len);
    size_t j = h & (TEXT_CACHE_SLOTS - 1);
    while (r->cache[j].hash != 0) {
        struct text_entry *e = &r->cache[j];
        if (e->hash == h && e->font == font && e->size == size && memcmp(&e->color, &c, sizeof c) == 0 &&
            strlen(e->text) == len && memcmp(e->text, text, len) == 0) {
            e->used = r->frame;
            return e;
        }
        j = (j + 1) & (TEXT_CACHE_SLOTS - 1);
    }
    if (r->cached >= TEXT_CACHE_HIGH) {
        cache_clear(r, false);
        if (r->cached >= TEXT_CACHE_HIGH)
            cache_clear(r, true);
        return text_texture(r, font, size, c, text, len);
    }
    TTF_Font *f = font_at(r, font, size);
    if (f == NULL)
        return NULL;
    char buf[TEXT_MAX];
    memcpy(buf, text, len);
    buf[len] = '\0';
    SDL_Surface *s = TTF_RenderUTF8_Blended(f, buf, (SDL_Color){c.r, c.g, c.b, 255});
    if (s == NULL) {
        SDL_Log("rpcscope: TTF_RenderUTF8_Blended: %s", TTF_GetError());
        return NULL;
    }
    SDL_Texture *t = SDL_CreateTextureFromSurface(r->renderer, s);
    int w = s->w, hgt = s->h;
    SDL_FreeSurface(s);
    if (t == NULL) {
        SDL_Log("rpcscope: SDL_CreateTextureFromSurface: %s", SDL_GetError());
        return NULL;
    }
    char *copy = malloc(len + 1);
    if (copy == NULL) {
        SDL_DestroyTexture(t);
        return NULL;
    }
    memcpy(copy, buf, len + 1);
    struct text_entry *e = &r->cache[j];
    *e = (struct text_entry){h, font, size, c, copy, t, w, hgt, r->frame};
    r->cached++;
    return e;
}

/* The outline of a rounded rectangle as points, clockwise. */
static int rounded_path(ui_rect b, float radius, SDL_FPoint *pts)
{
    float rad = radius;
    if (rad > b.w / 2)
        rad = b.w / 2;
    if (rad > b.h / 2)
        rad = b.h / 2;
    if (rad < 0.5f) {
        pts[0] = (SDL_FPoint){b.x, b.y};
        pts[1] = (SDL_FPoint){b.x + b.w, b.y};
        pts[2] = (SDL_FPoint){b.x + b.w, b.y + b.h};
        pts[3] = (SDL_FPoint){b.x, b.y + b.h};
        return 4;
    }
    const float cx[4] = {b.x + b.w - rad, b.x + b.w - rad, b.x + rad, b.x + rad};
    const float cy[4] = {b.y + rad, b.y + b.h - rad, b.y + b.h - rad, b.y + rad};
    const float start[4] = {-90, 0, 90, 180};
    int n = 0;
    for (int c = 0; c < 4; c++) {
        for (int s = 0; s <= CORNER_SEGMENTS; s++) {
            float a = (start[c] + 90.0f * (float)s / CORNER_SEGMENTS) * (float)M_PI / 180.0f;
            pts[n++] = (SDL_FPoint){cx[c] + rad * cosf(a), cy[c] + rad * sinf(a)};
        }
    }
    return n;
}

static SDL_Color sdl_color(ui_color c)
{
    return (SDL_Color){c.r, c.g, c.b, c.a};
}

/* Triangles in one colour each vertex, blended (the draw blend mode applies to them). */
static void geometry(ui_render *r, const SDL_Vertex *v, int nv, const int *idx, int ni)
{
    SDL_SetRenderDrawBlendMode(r->renderer, SDL_BLENDMODE_BLEND);
    SDL_RenderGeometry(r->renderer, NULL, v, nv, idx, ni);
}

/* A plain rectangle through the renderer's rectangle fill: for an opaque colour that is a
 * straight fill (no blending per pixel), many times faster in software than triangles. */
static void fill_rect(ui_render *r, float x, float y, float w, float h, ui_color c)
{
    if (w <= 0 || h <= 0)
        return;
    SDL_SetRenderDrawBlendMode(r->renderer, c.a == 255 ? SDL_BLENDMODE_NONE : SDL_BLENDMODE_BLEND);
    SDL_SetRenderDrawColor(r->renderer, c.r, c.g, c.b, c.a);
    SDL_FRect rect = {x, y, w, h};
    SDL_RenderFillRectF(r->renderer, &rect);
}

/* A rounded rectangle as three rectangles (a cross) and four quarter discs in the corners, so
 * that only the small corners are rasterised as triangles. The pieces do not overlap, so a
 * translucent colour blends once everywhere. */
/* A small or round shape (a dot, a pill) as one fan of triangles around its centre. */
static void fill_fan(ui_render *r, ui_rect b, float radius, ui_color c)
{
    SDL_FPoint pts[PATH_MAX_POINTS];
    int n = rounded_path(b, radius, pts);
    SDL_Vertex v[PATH_MAX_POINTS + 1];
    int idx[3 * PATH_MAX_POINTS];
    SDL_Color col = sdl_color(c);
    v[0] = (SDL_Vertex){{b.x + b.w / 2, b.y + b.h / 2}, col, {0, 0}};
    for (int i = 0; i < n; i++)
        v[i + 1] = (SDL_Vertex){pts[i], col, {0, 0}};
    for (int i = 0; i < n; i++) {
        idx[3 * i] = 0;
        idx[3 * i + 1] = 1 + i;
        idx[3 * i + 2] = 1 + (i + 1) % n;
    }
    geometry(r, v, n + 1, idx, 3 * n);
}

static void fill_rounded(ui_render *r, ui_rect b, float radius, ui_color c)
{
    if (radius < 0.5f) {
        fill_rect(r, b.x, b.y, b.w, b.h, c);
        return;
    }
    if (radius >= fminf(b.w, b.h) / 2 - 1 || b.w * b.h < 2500) {
        fill_fan(r, b, radius, c);
        return;
    }
    /* Whole pixels, so that the pieces meet without seams. */
    float x0 = roundf(b.x), y0 = roundf(b.y), x1 = roundf(b.x + b.w), y1 = roundf(b.y + b.h);
    b = (ui_rect){x0, y0, x1 - x0, y1 - y0};
    float rad = roundf(radius);
    fill_rect(r, b.x + rad, b.y, b.w - 2 * rad, rad, c);
    fill_rect(r, b.x, b.y + rad, b.w, b.h - 2 * rad, c);
    fill_rect(r, b.x + rad, b.y + b.h - rad, b.w - 2 * rad, rad, c);
    const float cx[4] = {b.x + b.w - rad, b.x + b.w - rad, b.x + rad, b.x + rad};
    const float cy[4] = {b.y + rad, b.y + b.h - rad, b.y + b.h - rad, b.y + rad};
    const float start[4] = {-90, 0, 90, 180};
    SDL_Color col = sdl_color(c);
    SDL_Vertex v[4 * (CORNER_SEGMENTS + 2)];
    int idx[4 * 3 * CORNER_SEGMENTS];
    int nv = 0, ni = 0;
    for (int k = 0; k < 4; k++) {
        int centre = nv;
        v[nv++] = (SDL_Vertex){{cx[k], cy[k]}, col, {0, 0}};
        for (int i = 0; i <= CORNER_SEGMENTS; i++) {
            float a = (start[k] + 90.0f * (float)i / CORNER_SEGMENTS) * (float)M_PI / 180.0f;
            v[nv++] = (SDL_Vertex){{cx[k] + rad * cosf(a), cy[k] + rad * sinf(a)}, col, {0, 0}};
            if (i > 0) {
                idx[ni++] = centre;
                idx[ni++] = nv - 2;
                idx[ni++] = nv - 1;
            }
        }
    }
    geometry(r, v, nv, idx, ni);
}

static void quad(ui_render *r, SDL_FPoint a, SDL_FPoint b, SDL_FPoint c, SDL_FPoint d, ui_color col)
{
    SDL_Color sc = sdl_color(col);
    SDL_Vertex v[4] = {{a, sc, {0, 0}}, {b, sc, {0, 0}}, {c, sc, {0, 0}}, {d, sc, {0, 0}}};
    static const int idx[6] = {0, 1, 2, 0, 2, 3};
    geometry(r, v, 4, idx, 6);
}

static void thick_line(ui_render *r, float x0, float y0, float x1, float y1, float t, ui_color c)
{
    float dx = x1 - x0, dy = y1 - y0, len = sqrtf(dx * dx + dy * dy);
    if (len < 0.01f)
        return;
    if (dy == 0) { /* level or upright: a rectangle */
        fill_rect(r, fminf(x0, x1), y0 - t / 2, fabsf(dx), t, c);
        return;
    }
    if (dx == 0) {
        fill_rect(r, x0 - t / 2, fminf(y0, y1), t, fabsf(dy), c);
        return;
    }
    float nx = -dy / len * t / 2, ny = dx / len * t / 2;
    quad(r, (SDL_FPoint){x0 + nx, y0 + ny}, (SDL_FPoint){x1 + nx, y1 + ny}, (SDL_FPoint){x1 - nx, y1 - ny},
         (SDL_FPoint){x0 - nx, y0 - ny}, c);
}

static void frame_rounded(ui_render *r, ui_rect b, float radius, float t, ui_color c)
{
    if (radius < 0.5f) {
        fill_rect(r, b.x - t / 2, b.y - t / 2, b.w + t, t, c);
        fill_rect(r, b.x - t / 2, b.y + b.h - t / 2, b.w + t, t, c);
        fill_rect(r, b.x - t / 2, b.y + t / 2, t, b.h - t, c);
        fill_rect(r, b.x + b.w - t / 2, b.y + t / 2, t, b.h - t, c);
        return;
    }
    SDL_FPoint pts[PATH_MAX_POINTS];
    int n = rounded_path(b, radius, pts);
    for (int i = 0; i < n; i++)
        thick_line(r, pts[i].x, pts[i].y, pts[(i + 1) % n].x, pts[(i + 1) % n].y, t, c);
}

static void arrow(ui_render *r, const ui_command *cmd)
{
    float x0 = cmd->r.x, y0 = cmd->r.y, x1 = cmd->r.x + cmd->r.w, y1 = cmd->r.y + cmd->r.h;
    float dx = x1 - x0, dy = y1 - y0, len = sqrtf(dx * dx + dy * dy);
    if (len < 0.01f)
        return;
    float head = 4 + cmd->thickness * 3;
    float ux = dx / len, uy = dy / len;
    float bx = x1 - ux * head, by = y1 - uy * head;
    thick_line(r, x0, y0, bx, by, cmd->thickness, cmd->color);
    SDL_Color sc = sdl_color(cmd->color);
    SDL_Vertex v[3] = {{{x1, y1}, sc, {0, 0}},
                       {{bx - uy * head * 0.55f, by + ux * head * 0.55f}, sc, {0, 0}},
                       {{bx + uy * head * 0.55f, by - ux * head * 0.55f}, sc, {0, 0}}};
    geometry(r, v, 3, NULL, 0);
}

static void text(ui_render *r, const ui_draw_list *dl, const ui_command *cmd)
{
    struct text_entry *e = text_texture(r, cmd->font, cmd->size, cmd->color, ui_command_text(dl, cmd),
                                        cmd->text_len);
    if (e == NULL)
        return;
    float x = cmd->r.x;
    if (cmd->align == UI_ALIGN_CENTER)
        x = cmd->r.x + (cmd->r.w - (float)e->w) / 2;
    else if (cmd->align == UI_ALIGN_RIGHT)
        x = cmd->r.x + cmd->r.w - (float)e->w;
    float y = cmd->r.y + (cmd->r.h - (float)e->h) / 2;
    SDL_FRect dst = {roundf(x), roundf(y), (float)e->w, (float)e->h};
    SDL_SetTextureAlphaMod(e->texture, cmd->color.a);
    SDL_RenderCopyF(r->renderer, e->texture, NULL, &dst);
}

void ui_render_frame(ui_render *r, const ui_draw_list *dl, ui_color bg)
{
    r->frame++;
    SDL_RenderSetClipRect(r->renderer, NULL);
    SDL_SetRenderDrawColor(r->renderer, bg.r, bg.g, bg.b, 255);
    SDL_RenderClear(r->renderer);
    for (size_t i = 0; i < dl->count; i++) {
        const ui_command *cmd = &dl->commands[i];
        if (cmd->color.a == 0 && cmd->kind != UI_CMD_CLIP)
            continue; /* an invisible area that is there only for hit testing */
        switch (cmd->kind) {
        case UI_CMD_RECT:
            fill_rounded(r, cmd->r, cmd->radius, cmd->color);
            break;
        case UI_CMD_FRAME:
            frame_rounded(r, cmd->r, cmd->radius, cmd->thickness, cmd->color);
            break;
        case UI_CMD_LINE:
            thick_line(r, cmd->r.x, cmd->r.y, cmd->r.x + cmd->r.w, cmd->r.y + cmd->r.h, cmd->thickness,
                       cmd->color);
            break;
        case UI_CMD_ARROW:
            arrow(r, cmd);
            break;
        case UI_CMD_TEXT:
            text(r, dl, cmd);
            break;
        case UI_CMD_CLIP:
            if (cmd->r.w <= 0 || cmd->r.h <= 0) {
                SDL_RenderSetClipRect(r->renderer, NULL);
            } else {
                SDL_Rect clip = {(int)cmd->r.x, (int)cmd->r.y, (int)cmd->r.w, (int)cmd->r.h};
                SDL_RenderSetClipRect(r->renderer, &clip);
            }
            break;
        }
    }
}

void ui_render_present(ui_render *r)
{
    SDL_RenderPresent(r->renderer);
}

bool ui_render_screenshot(ui_render *r, const char *path, char *why, size_t why_size)
{
    int w, h;
    ui_render_size(r, &w, &h);
    SDL_Surface *s = SDL_CreateRGBSurfaceWithFormat(0, w, h, 32, SDL_PIXELFORMAT_ARGB8888);
    if (s == NULL) {
        say(why, why_size, "SDL_CreateRGBSurfaceWithFormat");
        return false;
    }
    bool ok = SDL_RenderReadPixels(r->renderer, NULL, SDL_PIXELFORMAT_ARGB8888, s->pixels, s->pitch) == 0;
    if (!ok)
        say(why, why_size, "SDL_RenderReadPixels");
    else if (IMG_SavePNG(s, path) != 0) {
        snprintf(why, why_size, "IMG_SavePNG %s: %s", path, IMG_GetError());
        ok = false;
    }
    SDL_FreeSurface(s);
    return ok;
}

void ui_render_set_fullscreen(ui_render *r, bool on)
{
    if (SDL_SetWindowFullscreen(r->window, on ? SDL_WINDOW_FULLSCREEN_DESKTOP : 0) != 0)
        SDL_Log("rpcscope: SDL_SetWindowFullscreen: %s", SDL_GetError());
}
