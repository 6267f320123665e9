/* bench_view.c -- how long a busy frame takes: building the view, and drawing it with the
 * software renderer. Run by hand (never a timed test):
 *
 *     SDL_VIDEODRIVER=offscreen RPCSCOPE_ASSETS=$PWD/assets build/bench_view [frames] [WxH]
 *
 * The busy demo (64 KiB of data, 500 points, 17 fragments, about 3000 events) with the
 * inspector and the timeline open, in three places: the 64 KiB block in the hex dump, fragments
 * in flight, and a point being unmarshalled; t moves every frame as while playing, and the
 * mouse hovers a byte, so the focus links are computed too; the header shows a long narration (one
 * that is set smaller than full size to fit, the costliest case). Prints the median and the 99th
 * percentile per frame in milliseconds.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "demo.h"
#include "render.h"
#include "scene.h"
#include "theme.h"
#include "view.h"

static ui_draw_list dl;

/* As long as the longest narration of the hello lesson. */
static const char narration[] =
    "The stub reads the parameter from the client's memory. pszString is a pointer: an address that means "
    "something only inside this process. The server has its own address space, where that number points to "
    "nothing, or to something else. So the stub does not send the pointer: it follows it and reads the 13 "
    "bytes it points to, \"hello, world\" and its terminating zero.";

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void report(const char *what, double *ms, int n)
{
    qsort(ms, (size_t)n, sizeof *ms, cmp);
    printf("%-34s median %6.2f ms   p99 %6.2f ms   max %6.2f ms\n", what, ms[n / 2], ms[(n * 99) / 100], ms[n - 1]);
}

int main(int argc, char **argv)
{
    int frames = argc > 1 ? atoi(argv[1]) : 300;
    int w = 1920, h = 1080;
    if (argc > 2 && sscanf(argv[2], "%dx%d", &w, &h) != 2)
        return 2;
    ui_demo *d = ui_demo_create(UI_DEMO_BUSY);
    ui_scene *s = ui_scene_create();
    ui_render *r;
    char why[256];
    ui_render_options o = {.width = w, .height = h, .title = "bench"};
    if (d == NULL || s == NULL || !ui_render_open(&o, &r, why, sizeof why)) {
        fprintf(stderr, "bench_view: %s\n", d && s ? why : "out of memory");
        return 1;
    }
    size_t n = ui_demo_count(d);
    size_t data = ui_demo_find(d, 0, RS_TRACE_NDR_PUT, "data");
    data = ui_demo_find(d, data + 1, RS_TRACE_NDR_PUT, "data");
    size_t flight = ui_demo_find(d, ui_demo_find(d, data, RS_TRACE_PDU_SENT, NULL) + 40, RS_TRACE_PDU_RECEIVED, NULL);
    size_t reading = ui_demo_find(d, 0, RS_TRACE_NDR_GET, "points[250].y");
    const struct {
        const char *name;
        size_t step;
    } places[] = {{"64 KiB block in the hex dump", data}, {"fragments in flight", flight},
                  {"server unmarshals points", reading}};
    printf("busy demo: %zu events, %dx%d, software renderer, %d frames each\n", n, w, h, frames);
    double *build_ms = malloc(sizeof(double) * (size_t)frames);
    double *frame_ms = malloc(sizeof(double) * (size_t)frames);
    double scene_ms = 0;
    const ui_theme *t = ui_theme_get(UI_THEME_NORMAL);
    for (size_t p = 0; p < sizeof places / sizeof places[0]; p++) {
        double t0 = now_ms();
        ui_scene_build(s, ui_demo_events(d), n, places[p].step);
        scene_ms = now_ms() - t0;
        ui_view_state vs;
        ui_view_state_init(&vs);
        vs.inspector = vs.timeline = 1;
        vs.playing = true;
        vs.narration = narration;
        ui_view_frame frame;
        ui_view_build(&dl, s, &vs, t, w, h, ui_render_measure, r, &frame);
        vs.hover = (ui_hit){UI_HIT_BYTE, (int)(frame.hex_first_row * 16 + 5), frame.inspected};
        for (int i = 0; i < frames; i++) {
            vs.t = (float)(i % 60) / 59.0f;
            double a = now_ms();
            ui_view_build(&dl, s, &vs, t, w, h, ui_render_measure, r, &frame);
            double b = now_ms();
            ui_render_frame(r, &dl, t->background);
            ui_render_present(r);
            double c = now_ms();
            build_ms[i] = b - a;
            frame_ms[i] = c - a;
        }
        printf("-- %s (step %zu; scene built once in %.2f ms; %zu commands)\n", places[p].name, places[p].step + 1,
               scene_ms, dl.count);
        report("   view build", build_ms, frames);
        report("   view build + draw", frame_ms, frames);
    }
    free(build_ms);
    free(frame_ms);
    ui_render_close(r);
    ui_scene_destroy(s);
    ui_demo_destroy(d);
    return 0;
}
