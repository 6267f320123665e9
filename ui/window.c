/* window.c -- the window's main loop: poll events -> simulator commands -> step -> build the
 * view -> draw -> present. See window.h.
 *
 * Sections: the window's state and its one cleanup path, the scene (the incremental array of
 * event pointers, narration, questions), commands (keys and mouse), the interactive loop, the
 * screenshot, the benchmark.
 */
#include "window.h"

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <SDL.h>

#include "actions.h"
#include "draw.h"
#include "render.h"
#include "scene.h"
#include "view.h"

#define NARRATIONS_MAX 4                     /* narrations joined for one step */
#define NARRATION_BYTES (NARRATIONS_MAX * (SIM_LESSON_TEXT_MAX + 2))
#define PANEL_SLIDE_PER_S 8.0f               /* how fast a panel opens: 1/8 s */
#define WHEEL_ROWS 3                         /* rows (or events) per wheel notch */
#define NOTICE_NS ((uint64_t)5 * 1000000000u) /* how long a notice stays */

/* ---- the window's state and its one cleanup path ---------------------------------------------- */

typedef struct win {
    const ui_window_options *o;
    ui_window_sim *sim;
    ui_render *r;
    ui_draw_list *dl;                    /* about 1.5 MiB: allocated once */
    ui_scene *scene;
    ui_view_state vs;
    ui_view_frame frame;
    ui_theme_id theme;
    bool fullscreen;
    float inspector_to, timeline_to;     /* where the panels slide to */
    /* The timeline as the scene wants it: pointers to each placed event, appended as events
     * arrive (the timeline's events never move), never re-allocated per frame. */
    const rs_trace_event **events;
    size_t event_count, event_cap;
    size_t shown_view, shown_revealed;   /* what the scene was built from; SIZE_MAX: rebuild */
    char narration[NARRATION_BYTES];
    size_t asked;                        /* the event whose question is on screen, or SIM_NONE */
    ui_menu menu;                        /* the open context menu's actions (vs.menu: its items) */
    char notice[160];                    /* vs.notice, until notice_until */
    uint64_t notice_until;
    int w, h;
} win;

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void say(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("rpcscope: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* The one cleanup path: everything win holds, whatever was made of it. Returns rc. */
static int quit(win *w, int rc)
{
    ui_render_close(w->r);
    ui_scene_destroy(w->scene);
    free(w->dl);
    free(w->events);
    return rc;
}

ui_window_options ui_window_default_options(void)
{
    ui_window_options o;
    memset(&o, 0, sizeof o);
    o.theme = UI_THEME_NORMAL;
    return o;
}

bool ui_window_available(char *why, size_t why_size)
{
    const char *x = getenv("DISPLAY"), *wl = getenv("WAYLAND_DISPLAY");
    if ((x == NULL || x[0] == '\0') && (wl == NULL || wl[0] == '\0')) {
        snprintf(why, why_size, "neither DISPLAY nor WAYLAND_DISPLAY is set");
        return false;
    }
    if (SDL_Init(SDL_INIT_VIDEO) != 0) {
        snprintf(why, why_size, "SDL_Init: %s", SDL_GetError());
        return false;
    }
    const char *driver = SDL_GetCurrentVideoDriver();
    bool real = driver != NULL && strcmp(driver, "offscreen") != 0 && strcmp(driver, "dummy") != 0;
    if (!real)
        snprintf(why, why_size, "SDL's video driver is '%s', which shows nothing",
                 driver != NULL ? driver : "none");
    SDL_Quit();
    return real;
}

/* Opens the renderer and the buffers; false (said) on failure. */
static bool open_window(win *w, const char *title, int width, int height)
{
    w->dl = malloc(sizeof *w->dl);
    w->scene = ui_scene_create();
    if (w->dl == NULL || w->scene == NULL) {
        say("out of memory");
        return false;
    }
    char why[512];
    ui_render_options ro = {.width = width, .height = height, .fullscreen = w->fullscreen,
                            .title = title};
    if (!ui_render_open(&ro, &w->r, why, sizeof why)) {
        say("cannot open the window: %s", why);
        return false;
    }
    ui_render_size(w->r, &w->w, &w->h);
    return true;
}

/* ---- the scene ----------------------------------------------------------------------------- */

/* Appends the events placed since the last call (amortised: the array doubles). */
static bool sync_events(win *w)
{
    size_t n = sim_timeline_count(w->sim->tl);
    if (n > w->event_cap) {
        size_t cap = w->event_cap ? w->event_cap : 256;
        while (cap < n)
            cap *= 2;
        const rs_trace_event **more = realloc(w->events, cap * sizeof *more);
        if (more == NULL)
            return false;
        w->events = more;
        w->event_cap = cap;
    }
    for (; w->event_count < n; w->event_count++)
        w->events[w->event_count] = &sim_timeline_at(w->sim->tl, w->event_count)->ev;
    return true;
}

/* The lesson's words for step i: the narrations of the latest event at or before it that has
 * some (a narration stays up until the next one), joined by blank lines. NULL: none. */
static const char *narration_for(win *w, size_t i)
{
    w->vs.narration_step = SIZE_MAX;
    if (w->sim->cues == NULL || i == SIM_NONE)
        return NULL;
    const sim_narration *say_[NARRATIONS_MAX];
    for (size_t k = i + 1; k-- > 0;) {
        size_t n = sim_cues_narrations(w->sim->cues, k, say_, NARRATIONS_MAX);
        if (n == 0)
            continue;
        if (n > NARRATIONS_MAX)
            n = NARRATIONS_MAX;
        size_t len = 0;
        w->narration[0] = '\0';
        for (size_t j = 0; j < n && len < sizeof w->narration; j++) {
            int m = snprintf(w->narration + len, sizeof w->narration - len, "%s%s",
                             j ? "\n" : "", say_[j]->text);
            if (m < 0)
                break;
            len += (size_t)m;
        }
        w->vs.narration_step = k;
        return w->narration;
    }
    return NULL;
}

/* Builds the scene for `view` events shown of `revealed` (the frontier). */
static void build_scene(win *w, size_t view, size_t revealed)
{
    if (revealed > w->event_count)
        revealed = w->event_count;
    if (view > revealed)
        view = revealed;
    if (view == 0)
        ui_scene_build(w->scene, w->events, 0, 0);
    else
        ui_scene_build(w->scene, w->events, revealed, view - 1);
    w->vs.narration = narration_for(w, view == 0 ? SIM_NONE : view - 1);
    w->shown_view = view;
    w->shown_revealed = revealed;
}

/* The question before the next event, while it is asked, and with its right answer once the
 * event has been revealed (until the view moves on). */
static void update_question(win *w)
{
    ui_view_state *vs = &w->vs;
    size_t qi = sim_stepper_question(w->sim->stepper);
    size_t view = sim_stepper_view(w->sim->stepper);
    if (qi != SIM_NONE && qi != w->asked) {
        w->asked = qi;
        vs->answer_chosen = -1;
    }
    const sim_question *q = w->asked != SIM_NONE && w->sim->cues != NULL
                                ? sim_cues_question(w->sim->cues, w->asked)
                                : NULL;
    if (q == NULL || (qi == SIM_NONE && view != w->asked + 1)) {
        w->asked = SIM_NONE;
        vs->question = NULL;
        vs->answer_count = 0;
        vs->answer_chosen = vs->answer_right = -1;
        return;
    }
    vs->question = q->text;
    size_t n = q->answer_count < UI_VIEW_ANSWERS_MAX ? q->answer_count : UI_VIEW_ANSWERS_MAX;
    for (size_t k = 0; k < n; k++)
        vs->answers[k] = q->answers[k];
    vs->answer_count = (int)n;
    vs->answer_right = qi == SIM_NONE ? (int)q->right : -1; /* the event is out: say which */
}

/* ---- commands ------------------------------------------------------------------------------ */

/* The view shows the first `count` events: back or forward through history, never beyond the
 * frontier (a jump never takes a live step). */
static void jump_to(win *w, size_t count)
{
    sim_stepper *st = w->sim->stepper;
    if (count > sim_stepper_revealed(st))
        count = sim_stepper_revealed(st);
    if (count == sim_stepper_revealed(st)) {
        sim_stepper_live(st);
        return;
    }
    if (sim_stepper_mode(st) == SIM_PLAY_PLAYING)
        sim_stepper_pause(st);
    while (sim_stepper_view(st) > count && sim_stepper_view(st) > 0)
        sim_stepper_back(st);
    while (sim_stepper_view(st) < count && sim_stepper_reviewing(st))
        sim_stepper_step(st);
}

static void answer(win *w, int k)
{
    if (w->vs.question == NULL || k < 0 || k >= w->vs.answer_count || w->vs.answer_chosen >= 0)
        return;
    w->vs.answer_chosen = k;
    if (sim_stepper_question(w->sim->stepper) != SIM_NONE)
        sim_stepper_step(w->sim->stepper); /* the real next event shows whether it was right */
}

static void start_mode(win *w)
{
    sim_stepper *st = w->sim->stepper;
    if (w->o->speed > 0 && sim_stepper_set_speed(st, w->o->speed) != RS_OK)
        say("the speed is 0.25 to 8");
    if (w->o->paused)
        sim_stepper_pause(st);
    else
        sim_stepper_play(st);
}

static void restart(win *w)
{
    double speed = sim_stepper_speed(w->sim->stepper);
    bool playing = sim_stepper_mode(w->sim->stepper) != SIM_PLAY_PAUSED;
    if (w->sim->restart == NULL) {
        jump_to(w, 0);
    } else if (w->sim->restart(w->sim->ctx)) {
        w->event_count = 0; /* a new timeline: its events are appended again */
        w->asked = SIM_NONE;
        w->vs.selected = w->vs.hover = (ui_hit){0};
        w->vs.menu_count = 0;
        w->vs.notice = NULL;
        w->vs.call_filter = 0;
    } else {
        return;
    }
    sim_stepper *st = w->sim->stepper;
    if (sim_stepper_set_speed(st, speed) != RS_OK)
        say("the speed is 0.25 to 8");
    if (playing)
        sim_stepper_play(st);
    else
        sim_stepper_pause(st);
    w->shown_view = w->shown_revealed = SIZE_MAX;
}

static void toggle_panel(float *to, float *now)
{
    *to = *now > 0.5f ? 0 : 1;
}

/* Returns false to quit. */
static bool on_key(win *w, const SDL_KeyboardEvent *k)
{
    sim_stepper *st = w->sim->stepper;
    ui_view_state *vs = &w->vs;
    SDL_Keycode key = k->keysym.sym;
    bool shift = (k->keysym.mod & KMOD_SHIFT) != 0;
    if (vs->menu_count > 0 && key != SDLK_q) {
        vs->menu_count = 0; /* any key closes a context menu */
        return true;
    }
    switch (key) {
    case SDLK_q:
        return false;
    case SDLK_ESCAPE:
        if (vs->help) {
            vs->help = false;
            return true;
        }
        return false;
    case SDLK_SPACE:
        sim_stepper_toggle(st);
        break;
    case SDLK_RIGHT:
        sim_stepper_step(st);
        break;
    case SDLK_LEFT:
        sim_stepper_back(st);
        break;
    case SDLK_HOME:
        jump_to(w, 1);
        break;
    case SDLK_END:
        sim_stepper_live(st);
        break;
    case SDLK_UP:
        sim_stepper_faster(st);
        break;
    case SDLK_DOWN:
        sim_stepper_slower(st);
        break;
    case SDLK_TAB:
        vs->focus = (ui_panel)(((int)vs->focus + (shift ? UI_PANEL_COUNT - 1 : 1)) % UI_PANEL_COUNT);
        vs->show_focus = true;
        if (vs->focus == UI_PANEL_INSPECTOR && w->inspector_to == 0)
            w->inspector_to = 1;
        if (vs->focus == UI_PANEL_TIMELINE && w->timeline_to == 0)
            w->timeline_to = 1;
        break;
    case SDLK_i:
        toggle_panel(&w->inspector_to, &vs->inspector);
        break;
    case SDLK_t:
        toggle_panel(&w->timeline_to, &vs->timeline);
        break;
    case SDLK_f:
    case SDLK_F11:
        w->fullscreen = !w->fullscreen;
        ui_render_set_fullscreen(w->r, w->fullscreen);
        break;
    case SDLK_p:
        w->theme = w->theme == UI_THEME_NORMAL ? UI_THEME_PROJECTOR : UI_THEME_NORMAL;
        break;
    case SDLK_QUESTION:
    case SDLK_F1:
    case SDLK_h:
        vs->help = !vs->help;
        break;
    case SDLK_SLASH:
        if (shift)
            vs->help = !vs->help;
        break;
    case SDLK_r:
        restart(w);
        break;
    case SDLK_b:
        vs->break_pdu = !vs->break_pdu;
        break;
    case SDLK_n:
        vs->break_ndr = !vs->break_ndr;
        break;
    case SDLK_1: case SDLK_2: case SDLK_3: case SDLK_4: case SDLK_5: case SDLK_6:
        answer(w, (int)(key - SDLK_1));
        break;
    case SDLK_KP_1: case SDLK_KP_2: case SDLK_KP_3: case SDLK_KP_4: case SDLK_KP_5: case SDLK_KP_6:
        answer(w, (int)(key - SDLK_KP_1));
        break;
    default:
        break;
    }
    return true;
}

static void notify(win *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Shows a sentence in the status column for NOTICE_NS. */
static void notify(win *w, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(w->notice, sizeof w->notice, fmt, ap);
    va_end(ap);
    w->vs.notice = w->notice;
    w->notice_until = now_ns() + NOTICE_NS;
}

/* The scene on screen is the live frontier of running processes: only then can one act. */
static bool acting_live(const win *w)
{
    return w->sim->live && !sim_stepper_reviewing(w->sim->stepper) &&
           sim_stepper_question(w->sim->stepper) == SIM_NONE;
}

/* A right click: the menu of what can be done to the thing under the mouse. Opening it pauses,
 * so that the packet stays where it was clicked. */
static void on_right_click(win *w, float x, float y)
{
    ui_view_state *vs = &w->vs;
    ui_hit hit = ui_view_hit(w->dl, &w->frame, x, y);
    vs->menu_count = 0;
    ui_actions_menu(w->scene, hit, acting_live(w), &w->menu);
    if (w->menu.count == 0) {
        if (hit.kind == UI_HIT_PDU || (hit.kind == UI_HIT_SIDE && hit.index == UI_SERVER))
            notify(w, "%s", !w->sim->live   ? "A replay: no programs to act on"
                            : acting_live(w) ? "Too late: it has arrived"
                                             : "Go live (End) to act");
        return;
    }
    for (int i = 0; i < w->menu.count; i++)
        vs->menu[i] = w->menu.items[i];
    vs->menu_count = w->menu.count;
    vs->menu_x = x;
    vs->menu_y = y;
    sim_stepper_pause(w->sim->stepper);
}

/* Carries out the menu's item k. */
static void act(win *w, int k)
{
    if (k < 0 || k >= w->menu.count)
        return;
    ui_action a = w->menu.actions[k];
    if (a == UI_ACTION_CRASH_SERVER) {
        char why[160] = "";
        if (w->sim->crash_server == NULL)
            notify(w, "This session cannot crash its server");
        else if (!w->sim->crash_server(w->sim->ctx, why, sizeof why))
            notify(w, "%s", why[0] ? why : "The server is not running");
        else
            notify(w, "The server was killed (SIGKILL)");
        return;
    }
    if (sim_stepper_act(w->sim->stepper, w->menu.target, ui_action_verdict(a)) != RS_OK) {
        notify(w, "Too late: that packet has left its sender");
        return;
    }
    notify(w, a == UI_ACTION_DROP ? "This packet will be lost" : "This packet will be 2 s late");
}

static void on_click(win *w, float x, float y)
{
    ui_view_state *vs = &w->vs;
    ui_hit hit = ui_view_hit(w->dl, &w->frame, x, y);
    if (vs->menu_count > 0) {
        vs->menu_count = 0;
        if (hit.kind == UI_HIT_MENU) {
            act(w, hit.index);
            return;
        }
    }
    switch (hit.kind) {
    case UI_HIT_EVENT:
        jump_to(w, (size_t)hit.index + 1);
        break;
    case UI_HIT_ANSWER:
        answer(w, hit.index);
        break;
    case UI_HIT_PANEL:
        vs->selected = (ui_hit){0};
        vs->focus = (ui_panel)hit.index;
        break;
    case UI_HIT_CELL:
    case UI_HIT_BYTE:
    case UI_HIT_FIELD:
    case UI_HIT_HEADER:
    case UI_HIT_PDU:
        vs->selected = ui_hit_equal(vs->selected, hit) ? (ui_hit){0} : hit;
        break;
    case UI_HIT_NONE:
        vs->selected = (ui_hit){0};
        break;
    default:
        break;
    }
    /* One call at a time: a selected packet selects its call, and every other call dims. */
    vs->call_filter = 0;
    if (vs->selected.kind == UI_HIT_PDU) {
        int k = ui_scene_pdu_by_step(w->scene, (size_t)vs->selected.index);
        if (k >= 0)
            vs->call_filter = w->scene->pdus[k].call_id;
        if (vs->call_filter != 0)
            notify(w, "Only call %" PRIu32 " is shown", vs->call_filter);
    }
}

static void on_wheel(win *w, int dy)
{
    ui_view_state *vs = &w->vs;
    ui_hit h = vs->hover;
    bool inspector = h.kind == UI_HIT_BYTE || h.kind == UI_HIT_FIELD || h.kind == UI_HIT_HEADER ||
                     (h.kind == UI_HIT_PANEL && h.index == UI_PANEL_INSPECTOR);
    bool timeline = h.kind == UI_HIT_EVENT || (h.kind == UI_HIT_PANEL && h.index == UI_PANEL_TIMELINE);
    if (inspector) {
        int row = w->frame.hex_first_row - dy * WHEEL_ROWS;
        vs->inspector_scroll = row < 0 ? 0 : row;
    } else if (timeline) {
        int first = w->frame.timeline_first - dy * WHEEL_ROWS;
        vs->timeline_scroll = first < 0 ? 0 : first;
    }
}

/* Returns false to quit. */
static bool poll_events(win *w)
{
    SDL_Event e;
    while (SDL_PollEvent(&e)) {
        switch (e.type) {
        case SDL_QUIT:
            return false;
        case SDL_WINDOWEVENT:
            if (e.window.event == SDL_WINDOWEVENT_CLOSE)
                return false;
            break;
        case SDL_KEYDOWN:
            if (!on_key(w, &e.key))
                return false;
            break;
        case SDL_MOUSEMOTION:
            w->vs.hover = ui_view_hit(w->dl, &w->frame, (float)e.motion.x, (float)e.motion.y);
            break;
        case SDL_MOUSEBUTTONDOWN:
            if (e.button.button == SDL_BUTTON_LEFT)
                on_click(w, (float)e.button.x, (float)e.button.y);
            else if (e.button.button == SDL_BUTTON_RIGHT)
                on_right_click(w, (float)e.button.x, (float)e.button.y);
            break;
        case SDL_MOUSEWHEEL:
            on_wheel(w, e.wheel.y);
            break;
        default:
            break;
        }
    }
    return true;
}

/* ---- the interactive loop ------------------------------------------------------------------ */

static float approach(float now, float to, float dt)
{
    float step = PANEL_SLIDE_PER_S * dt;
    if (fabsf(to - now) <= step)
        return to;
    return now + (to > now ? step : -step);
}

/* Breakpoints: a step that has just been revealed while playing pauses on a PDU or NDR event. */
static void apply_breaks(win *w, size_t view)
{
    if (view == 0 || (!w->vs.break_pdu && !w->vs.break_ndr))
        return;
    sim_stepper *st = w->sim->stepper;
    if (sim_stepper_mode(st) != SIM_PLAY_PLAYING)
        return;
    rs_trace_kind k = w->events[view - 1]->kind;
    bool pdu = k == RS_TRACE_PDU_BUILT || k == RS_TRACE_PDU_SENT || k == RS_TRACE_PDU_RECEIVED;
    bool ndr = k == RS_TRACE_NDR_PUT || k == RS_TRACE_NDR_GET;
    if ((pdu && w->vs.break_pdu) || (ndr && w->vs.break_ndr))
        sim_stepper_pause(st);
}

static void draw(win *w)
{
    ui_render_size(w->r, &w->w, &w->h);
    const ui_theme *t = ui_theme_get(w->theme);
    ui_view_build(w->dl, w->scene, &w->vs, t, w->w, w->h, ui_render_measure, w->r, &w->frame);
    ui_render_frame(w->r, w->dl, t->background);
}

static int run_interactive(win *w)
{
    ui_window_sim *sim = w->sim;
    start_mode(w);
    uint64_t last = now_ns();
    for (;;) {
        uint64_t frame_start = now_ns();
        float dt = (float)(frame_start - last) / 1e9f;
        last = frame_start;
        if (!poll_events(w))
            break;
        if (sim->poll(sim->ctx) == UI_WINDOW_QUIT)
            break;
        sim_stepper *st = sim->stepper;
        sim_stepper_tick(st, now_ns());
        if (!sync_events(w)) {
            say("out of memory");
            return 1;
        }
        size_t view = sim_stepper_view(st), revealed = sim_stepper_revealed(st);
        if (view != w->shown_view || revealed != w->shown_revealed) {
            /* One step forward moves; anything else (back, a jump) shows where it ended. */
            bool forward = w->shown_view != SIZE_MAX && view == w->shown_view + 1;
            w->vs.t = forward ? 0 : 1;
            if (forward)
                apply_breaks(w, view);
            build_scene(w, view, revealed);
        }
        update_question(w);

        double speed = sim_stepper_speed(st);
        w->vs.speed = (float)speed;
        w->vs.t += dt * (float)(SIM_STEPPER_BASE_RATE * speed);
        if (w->vs.t > 1)
            w->vs.t = 1;
        w->vs.playing = sim_stepper_mode(st) != SIM_PLAY_PAUSED;
        w->vs.live_step = sim->live && revealed > 0 ? revealed - 1 : SIZE_MAX;
        if (!sim->live && sim_stepper_reviewing(st))
            w->vs.live_step = revealed - 1; /* a replay reviews too: say where the frontier is */
        if (w->vs.notice != NULL && frame_start > w->notice_until)
            w->vs.notice = NULL;
        for (int side = 0; side < UI_SIDES; side++) /* the present, not the past under review */
            w->vs.process_gone[side] = sim->crashed != NULL && !sim_stepper_reviewing(st)
                                           ? sim->crashed(sim->ctx, side)
                                           : NULL;
        w->vs.inspector = approach(w->vs.inspector, w->inspector_to, dt);
        w->vs.timeline = approach(w->vs.timeline, w->timeline_to, dt);

        draw(w);
        ui_render_present(w->r);
        uint64_t spent_ms = (now_ns() - frame_start) / 1000000u;
        if (spent_ms < UI_WINDOW_FRAME_MS)
            SDL_Delay((Uint32)(UI_WINDOW_FRAME_MS - spent_ms));
    }
    return 0;
}

/* ---- the screenshot ------------------------------------------------------------------------ */

/* Steps the session as fast as it goes until `at` events are revealed. 0, or 2 (said) when the
 * session ended before, 1 when it took too long or was interrupted. */
static int reach_step(win *w, size_t at)
{
    ui_window_sim *sim = w->sim;
    sim_stepper_pause(sim->stepper);
    uint64_t deadline = now_ns() + (uint64_t)UI_WINDOW_STEP_TIMEOUT_MS * 1000000u;
    for (;;) {
        ui_window_poll p = sim->poll(sim->ctx);
        if (p == UI_WINDOW_QUIT)
            return 1;
        sim_stepper *st = sim->stepper;
        if (sim_stepper_revealed(st) < at && !sim_stepper_waiting(st))
            sim_stepper_step(st);
        sim_stepper_tick(st, now_ns());
        size_t revealed = sim_stepper_revealed(st);
        if (revealed >= at)
            return 0;
        if (p == UI_WINDOW_ENDED && revealed >= sim_timeline_count(sim->tl) &&
            sim_stepper_question(st) == SIM_NONE) {
            say("--at %zu: the session has only %zu steps", at, revealed);
            return 2;
        }
        if (now_ns() > deadline) {
            say("--at %zu: step %zu was not reached in %d s", at, revealed + 1,
                UI_WINDOW_STEP_TIMEOUT_MS / 1000);
            return 1;
        }
        if (p == UI_WINDOW_RUNNING)
            SDL_Delay(1);
    }
}

static int run_screenshot(win *w)
{
    const ui_window_options *o = w->o;
    int rc = reach_step(w, o->at);
    if (rc != 0)
        return rc;
    if (!sync_events(w)) {
        say("out of memory");
        return 1;
    }
    /* The state after step `at`, live (no review banner), its motion finished. */
    build_scene(w, o->at, o->at);
    w->vs.t = 1;
    w->vs.playing = false;
    w->vs.speed = (float)sim_stepper_speed(w->sim->stepper);
    w->vs.live_step = w->sim->live ? o->at - 1 : SIZE_MAX;
    draw(w);
    if (w->dl->overflow)
        say("the draw list overflowed: the picture is incomplete");
    char why[512];
    if (!ui_render_screenshot(w->r, o->screenshot, why, sizeof why)) {
        say("%s", why);
        return 1;
    }
    return 0;
}

/* ---- the benchmark ------------------------------------------------------------------------- */

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* The whole session at once, then o->bench_frames frames of it with both panels open, t moving
 * as while playing and the mouse over a byte. */
static int run_bench(win *w)
{
    ui_window_sim *sim = w->sim;
    sim_stepper_free(sim->stepper);
    uint64_t deadline = now_ns() + (uint64_t)UI_WINDOW_STEP_TIMEOUT_MS * 1000000u;
    ui_window_poll p;
    while ((p = sim->poll(sim->ctx)) == UI_WINDOW_RUNNING && now_ns() < deadline) {
        sim_stepper_tick(sim->stepper, now_ns());
        SDL_Delay(1);
    }
    if (p == UI_WINDOW_QUIT)
        return 1;
    sim_stepper_tick(sim->stepper, now_ns());
    if (!sync_events(w)) {
        say("out of memory");
        return 1;
    }
    size_t n = w->event_count;
    if (n == 0) {
        say("--bench-frames: the session has no events");
        return 1;
    }
    /* The busiest moment of a call: the server unmarshalling (the last NDR_GET), with every
     * earlier buffer and PDU in the scene and the whole timeline in the diagram. */
    size_t step = n - 1;
    for (size_t i = n; i-- > 0;)
        if (w->events[i]->kind == RS_TRACE_NDR_GET) {
            step = i;
            break;
        }
    build_scene(w, step + 1, n);
    w->vs.inspector = w->vs.timeline = 1;
    w->vs.playing = true;
    w->vs.live_step = step;
    draw(w);
    w->vs.hover = (ui_hit){UI_HIT_BYTE, w->frame.hex_first_row * 16 + 5, w->frame.inspected};
    int frames = w->o->bench_frames;
    double *ms = malloc(sizeof *ms * (size_t)frames);
    if (ms == NULL) {
        say("out of memory");
        return 1;
    }
    for (int i = 0; i < frames; i++) {
        w->vs.t = (float)(i % 60) / 59.0f;
        uint64_t a = now_ns();
        draw(w);
        ui_render_present(w->r);
        ms[i] = (double)(now_ns() - a) / 1e6;
    }
    qsort(ms, (size_t)frames, sizeof *ms, cmp_double);
    printf("frames: %d at %dx%d, %zu events, step %zu, %zu draw commands\n", frames, w->w, w->h, n,
           step + 1, w->dl->count);
    printf("frame_ms_median: %.2f\n", ms[frames / 2]);
    printf("frame_ms_p99: %.2f\n", ms[(size_t)frames * 99 / 100]);
    free(ms);
    return 0;
}

/* ---- running ------------------------------------------------------------------------------- */

int ui_window_run(const ui_window_options *o, ui_window_sim *sim)
{
    win w;
    memset(&w, 0, sizeof w);
    w.o = o;
    w.sim = sim;
    w.theme = o->theme;
    w.fullscreen = o->fullscreen && o->screenshot == NULL && o->bench_frames <= 0;
    w.asked = SIM_NONE;
    w.shown_view = w.shown_revealed = SIZE_MAX;
    ui_view_state_init(&w.vs);
    w.vs.lesson = sim->title;
    w.vs.inspector = w.inspector_to = o->inspector ? 1 : 0;
    w.vs.timeline = w.timeline_to = o->timeline ? 1 : 0;

    bool bench = o->bench_frames > 0;
    int width = o->width > 0 ? o->width : bench ? UI_WINDOW_BENCH_WIDTH : UI_WINDOW_WIDTH;
    int height = o->height > 0 ? o->height : bench ? UI_WINDOW_BENCH_HEIGHT : UI_WINDOW_HEIGHT;
    char title[160];
    snprintf(title, sizeof title, "rpcscope%s%s", sim->title ? " \xE2\x80\x94 " : "",
             sim->title ? sim->title : "");
    if (!open_window(&w, title, width, height))
        return quit(&w, 1);
    if (o->screenshot != NULL)
        return quit(&w, run_screenshot(&w));
    if (bench)
        return quit(&w, run_bench(&w));
    return quit(&w, run_interactive(&w));
}
