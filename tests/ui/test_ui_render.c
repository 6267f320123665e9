/* test_ui_render.c -- the window rendered headless (SDL's offscreen driver, the software
 * renderer): the HelloProc call drawn at every step to PNG, and two golden images compared with
 * a small tolerance.
 *
 * Fonts come from $RPCSCOPE_ASSETS/fonts, from assets/fonts beside the program, or from
 * assets/fonts under the current folder; without them the tests are skipped. Goldens live in
 * tests/ui/golden/ (or $RPCSCOPE_GOLDEN_DIR); RPCSCOPE_UPDATE_GOLDENS=1 rewrites them instead of
 * comparing -- then look at them before committing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <SDL.h>
#include <SDL_image.h>

#include "demo.h"
#include "render.h"
#include "scene.h"
#include "theme.h"
#include "view.h"

#define W 1024
#define H 640
#define CHANNEL_TOLERANCE 40     /* a pixel differs when a channel moves more than this */
#define DIFFERING_MAX 0.004      /* at most this share of the pixels may differ */

static ui_draw_list dl;
static ui_render *r;
static ui_demo *hello;
static ui_scene *scene;
static char tmp[64];

static const char *font_dir(void)
{
    const char *dir = ui_render_find_fonts();
    if (dir == NULL && access("assets/fonts/DejaVuSans.ttf", R_OK) == 0)
        dir = "assets/fonts";
    return dir;
}

static int setup(void **state)
{
    (void)state;
    setenv("SDL_VIDEODRIVER", "offscreen", 1);
    hello = ui_demo_create(UI_DEMO_HELLO);
    scene = ui_scene_create();
    snprintf(tmp, sizeof tmp, "/tmp/rpcscope-ui-XXXXXX");
    if (hello == NULL || scene == NULL || mkdtemp(tmp) == NULL)
        return -1;
    const char *fonts = font_dir();
    if (fonts == NULL)
        return 0; /* the tests skip */
    char why[256];
    ui_render_options o = {.width = W, .height = H, .title = "rpcscope test", .font_dir = fonts};
    if (!ui_render_open(&o, &r, why, sizeof why)) {
        fprintf(stderr, "test_ui_render: %s\n", why);
        return -1;
    }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    ui_render_close(r);
    ui_scene_destroy(scene);
    ui_demo_destroy(hello);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
    return system(cmd) == 0 ? 0 : -1;
}

static void draw(size_t step, const ui_view_state *vs, ui_theme_id theme)
{
    ui_scene_build(scene, ui_demo_events(hello), ui_demo_count(hello), step);
    const ui_theme *t = ui_theme_get(theme);
    int w, h;
    ui_render_size(r, &w, &h);
    assert_int_equal(w, W);
    assert_int_equal(h, H);
    ui_view_build(&dl, scene, vs, t, w, h, ui_render_measure, r, NULL);
    assert_false(dl.overflow);
    ui_render_frame(r, &dl, t->background);
}

static SDL_Surface *load(const char *path)
{
    SDL_Surface *s = IMG_Load(path);
    if (s == NULL)
        return NULL;
    SDL_Surface *c = SDL_ConvertSurfaceFormat(s, SDL_PIXELFORMAT_ARGB8888, 0);
    SDL_FreeSurface(s);
    return c;
}

static void test_every_step_renders(void **state)
{
    (void)state;
    if (r == NULL)
        skip();
    ui_view_state vs;
    ui_view_state_init(&vs);
    vs.inspector = vs.timeline = 1;
    size_t n = ui_demo_count(hello);
    for (size_t step = 0; step < n; step++) {
        for (int half = 0; half < 2; half++) {
            vs.t = half ? 0.5f : 1.0f;
            draw(step, &vs, step % 2 ? UI_THEME_PROJECTOR : UI_THEME_NORMAL);
        }
        if (step % 8 != 3)
            continue;
        char path[128], why[256];
        snprintf(path, sizeof path, "%s/hello-%02zu.png", tmp, step + 1);
        assert_true(ui_render_screenshot(r, path, why, sizeof why));
        SDL_Surface *s = load(path);
        assert_non_null(s);
        assert_int_equal(s->w, W);
        assert_int_equal(s->h, H);
        /* Something was drawn: not one colour. */
        const uint32_t *px = s->pixels;
        size_t other = 0;
        for (int i = 0; i < W * H; i += 97)
            other += px[i] != px[0];
        assert_true(other > 100);
        SDL_FreeSurface(s);
    }
}

/* Renders, writes the frame to tmp, and compares it with the golden `name` (or rewrites it). */
static void golden(const char *name)
{
    char fresh[160], gold[512], why[256];
    snprintf(fresh, sizeof fresh, "%s/%s", tmp, name);
    assert_true(ui_render_screenshot(r, fresh, why, sizeof why));
    const char *dir = getenv("RPCSCOPE_GOLDEN_DIR");
    if (dir != NULL)
        snprintf(gold, sizeof gold, "%s/%s", dir, name);
    else {
        const char *me = __FILE__; /* tests/ui/test_ui_render.c, from the top of the tree */
        const char *slash = strrchr(me, '/');
        snprintf(gold, sizeof gold, "%.*s/golden/%s", slash ? (int)(slash - me) : 1, slash ? me : ".", name);
    }
    const char *update = getenv("RPCSCOPE_UPDATE_GOLDENS");
    if (update != NULL && strcmp(update, "1") == 0) {
        assert_true(ui_render_screenshot(r, gold, why, sizeof why));
        fprintf(stderr, "test_ui_render: wrote %s\n", gold);
        return;
    }
    SDL_Surface *a = load(fresh), *b = load(gold);
    if (b == NULL)
        fprintf(stderr, "test_ui_render: no golden %s (RPCSCOPE_UPDATE_GOLDENS=1 writes it)\n", gold);
    assert_non_null(a);
    assert_non_null(b);
    assert_int_equal(a->w, b->w);
    assert_int_equal(a->h, b->h);
    size_t differing = 0;
    for (int y = 0; y < a->h; y++) {
        const uint8_t *pa = (const uint8_t *)a->pixels + y * a->pitch;
        const uint8_t *pb = (const uint8_t *)b->pixels + y * b->pitch;
        for (int x = 0; x < a->w * 4; x += 4)
            for (int c = 0; c < 3; c++)
                if (abs(pa[x + c] - pb[x + c]) > CHANNEL_TOLERANCE) {
                    differing++;
                    break;
                }
    }
    double share = (double)differing / ((double)a->w * a->h);
    if (share > DIFFERING_MAX)
        fprintf(stderr, "test_ui_render: %s differs from %s in %.2f%% of its pixels\n", fresh, gold, share * 100);
    assert_true(share <= DIFFERING_MAX);
    SDL_FreeSurface(a);
    SDL_FreeSurface(b);
}

static void test_golden_server_copy(void **state)
{
    (void)state;
    if (r == NULL)
        skip();
    /* The server stub has written its copy of pszString: two addresses, the buffer it read. */
    ui_view_state vs;
    ui_view_state_init(&vs);
    vs.inspector = 1;
    draw(ui_demo_find(hello, 0, RS_TRACE_PARAM_WRITTEN, "pszString"), &vs, UI_THEME_NORMAL);
    golden("hello-server-copy-1024x640.png");
}

static void test_golden_request_in_flight_projector(void **state)
{
    (void)state;
    if (r == NULL)
        skip();
    /* The request half way to the middle of the wire, its header in the inspector. */
    size_t sent = ui_demo_find(hello, 0, RS_TRACE_PDU_SENT, NULL);
    sent = ui_demo_find(hello, sent + 1, RS_TRACE_PDU_SENT, NULL);
    sent = ui_demo_find(hello, sent + 1, RS_TRACE_PDU_SENT, NULL);
    ui_view_state vs;
    ui_view_state_init(&vs);
    vs.inspector = vs.timeline = 1;
    vs.t = 0.5f;
    draw(sent, &vs, UI_THEME_PROJECTOR);
    golden("hello-request-projector-1024x640.png");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_step_renders),
        cmocka_unit_test(test_golden_server_copy),
        cmocka_unit_test(test_golden_request_in_flight_projector),
    };
    return cmocka_run_group_tests_name("ui_render", tests, setup, teardown);
}
