/* shot.c -- renders one frame of a demo call to a PNG, headless: for looking at the window's
 * design, and for the screenshots in assets/screenshots/.
 *
 *     SDL_VIDEODRIVER=offscreen RPCSCOPE_ASSETS=$PWD/assets build/shot --demo hello --at 19 \
 *         --size 1600x900 --theme projector --inspector --timeline --t 0.5 --out /tmp/x.png
 *
 * --at N         the step (counted from 1, as the window shows it); default: the last
 * --at-kind K    the first step of kind K (PDU_SENT, NDR_GET, ...), optionally with --name P
 * --t X          the step's motion, 0..1 (default 1)
 * --live N       the live processes' step (shows "reviewing" when --at is earlier)
 * --hover KIND:I / --select KIND:I   cell, byte, field, header, pdu, event
 * --help-overlay, --question, --menu, --gone "reason"   the overlays
 * --narration "words"   the lesson's text for the step (how a long one is set)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "demo.h"
#include "draw.h"
#include "render.h"
#include "scene.h"
#include "theme.h"
#include "view.h"

static ui_draw_list dl;

static bool parse_hit(const char *text, ui_hit *h)
{
    static const struct {
        const char *name;
        ui_hit_kind kind;
    } kinds[] = {{"cell", UI_HIT_CELL},   {"byte", UI_HIT_BYTE}, {"field", UI_HIT_FIELD},
                 {"header", UI_HIT_HEADER}, {"pdu", UI_HIT_PDU}, {"event", UI_HIT_EVENT}};
    const char *colon = strchr(text, ':');
    if (colon == NULL)
        return false;
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        if (strncmp(text, kinds[i].name, (size_t)(colon - text)) == 0) {
            h->kind = kinds[i].kind;
            h->index = atoi(colon + 1);
            return true;
        }
    return false;
}

static rs_trace_kind kind_named(const char *name)
{
    for (int k = 1; k < RS_TRACE_KIND_COUNT; k++)
        if (strcmp(rs_trace_kind_name((rs_trace_kind)k), name) == 0)
            return (rs_trace_kind)k;
    return RS_TRACE_KIND_NONE;
}

static int usage(void)
{
    fprintf(stderr, "usage: shot [--demo hello|pointers|fault|busy] [--at N | --at-kind KIND [--name P]] [--t X]\n"
                    "            [--size WxH] [--theme normal|projector] [--inspector] [--timeline] [--live N]\n"
                    "            [--hover KIND:I] [--select KIND:I] [--help-overlay] [--question] [--menu]\n"
                    "            [--gone REASON] [--playing] [--narration TEXT] --out FILE.png\n");
    return 2;
}

int main(int argc, char **argv)
{
    ui_demo_id demo = UI_DEMO_HELLO;
    ui_theme_id theme = UI_THEME_NORMAL;
    int w = 1024, h = 640;
    long at = -1;
    const char *at_kind = NULL, *at_name = NULL, *out = NULL;
    bool hover_set = false, select_set = false;
    ui_view_state vs;
    ui_view_state_init(&vs);
    ui_hit hover = {0}, select = {0};
    long live = -1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *next = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--demo") == 0 && next) {
            if (!ui_demo_from_name(next, &demo))
                return usage();
            i++;
        } else if (strcmp(a, "--theme") == 0 && next) {
            if (!ui_theme_from_name(next, &theme))
                return usage();
            i++;
        } else if (strcmp(a, "--size") == 0 && next) {
            if (sscanf(next, "%dx%d", &w, &h) != 2)
                return usage();
            i++;
        } else if (strcmp(a, "--at") == 0 && next) {
            at = atol(next) - 1;
            i++;
        } else if (strcmp(a, "--at-kind") == 0 && next) {
            at_kind = next;
            i++;
        } else if (strcmp(a, "--name") == 0 && next) {
            at_name = next;
            i++;
        } else if (strcmp(a, "--t") == 0 && next) {
            vs.t = (float)atof(next);
            i++;
        } else if (strcmp(a, "--live") == 0 && next) {
            live = atol(next) - 1;
            i++;
        } else if (strcmp(a, "--hover") == 0 && next) {
            if (!parse_hit(next, &hover))
                return usage();
            hover_set = true;
            i++;
        } else if (strcmp(a, "--select") == 0 && next) {
            if (!parse_hit(next, &select))
                return usage();
            select_set = true;
            i++;
        } else if (strcmp(a, "--gone") == 0 && next) {
            vs.process_gone[UI_SERVER] = next;
            i++;
        } else if (strcmp(a, "--narration") == 0 && next) {
            vs.narration = next;
            i++;
        } else if (strcmp(a, "--out") == 0 && next) {
            out = next;
            i++;
        } else if (strcmp(a, "--inspector") == 0) {
            vs.inspector = 1;
        } else if (strcmp(a, "--timeline") == 0) {
            vs.timeline = 1;
        } else if (strcmp(a, "--help-overlay") == 0) {
            vs.help = true;
        } else if (strcmp(a, "--playing") == 0) {
            vs.playing = true;
        } else if (strcmp(a, "--question") == 0) {
            vs.question = "The server stub now reads pszString. Where will the string be in the server's memory?";
            vs.answers[0] = "At the same address as in the client";
            vs.answers[1] = "At a new address the server stub allocates";
            vs.answers[2] = "Nowhere: the server reads it from the client";
            vs.answer_count = 3;
        } else if (strcmp(a, "--menu") == 0) {
            vs.menu[0] = "Delay this packet";
            vs.menu[1] = "Drop this packet";
            vs.menu_count = 2;
            vs.menu_x = (float)w / 2;
            vs.menu_y = (float)h * 0.6f;
        } else {
            return usage();
        }
    }
    if (out == NULL)
        return usage();

    ui_demo *d = ui_demo_create(demo);
    ui_scene *s = ui_scene_create();
    if (d == NULL || s == NULL) {
        fprintf(stderr, "shot: out of memory\n");
        return 1;
    }
    size_t n = ui_demo_count(d);
    size_t step = at >= 0 && (size_t)at < n ? (size_t)at : n - 1;
    if (at_kind != NULL) {
        rs_trace_kind k = kind_named(at_kind);
        step = ui_demo_find(d, 0, k, at_name);
        if (k == RS_TRACE_KIND_NONE || step >= n) {
            fprintf(stderr, "shot: no %s%s%s in the demo\n", at_kind, at_name ? " " : "", at_name ? at_name : "");
            return 1;
        }
    }
    ui_scene_build(s, ui_demo_events(d), n, step);
    vs.live_step = live >= 0 ? (size_t)live : SIZE_MAX;
    ui_view_frame frame;
    ui_render *r;
    char why[256];
    ui_render_options o = {.width = w, .height = h, .title = "rpcscope shot"};
    if (!ui_render_open(&o, &r, why, sizeof why)) {
        fprintf(stderr, "shot: %s\n", why);
        return 1;
    }
    const ui_theme *t = ui_theme_get(theme);
    /* A first build tells what the inspector shows, which a byte or field hit refers to. */
    ui_view_build(&dl, s, &vs, t, w, h, ui_render_measure, r, &frame);
    if (select_set) {
        select.in = frame.inspected;
        vs.selected = select;
    }
    if (hover_set) {
        ui_view_build(&dl, s, &vs, t, w, h, ui_render_measure, r, &frame);
        hover.in = frame.inspected;
        vs.hover = hover;
    }
    ui_view_build(&dl, s, &vs, t, w, h, ui_render_measure, r, &frame);
    if (dl.overflow)
        fprintf(stderr, "shot: the draw list overflowed\n");
    ui_render_frame(r, &dl, t->background);
    bool ok = ui_render_screenshot(r, out, why, sizeof why);
    if (!ok)
        fprintf(stderr, "shot: %s\n", why);
    else
        printf("%s: step %zu of %zu, %zu commands, %zu bytes of text\n", out, step + 1, n, dl.count, dl.text_len);
    ui_render_close(r);
    ui_scene_destroy(s);
    ui_demo_destroy(d);
    return ok ? 0 : 1;
}
