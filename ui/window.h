/* window.h -- the window's main loop: SDL events in, simulator commands out, one frame drawn.
 *
 * The window owns no processes and no sockets: the command (sim/main.c) runs the session and
 * lends it through a ui_window_sim -- the timeline, the stepper, the lesson's cues, and a poll
 * callback that reads what the programs sent. Each frame, as in microui and SDL's test programs:
 * poll events -> simulator commands -> step -> build the view -> draw -> present.
 *
 *     ui_window_sim sim = {.tl = tl, .stepper = st, .cues = cues, .title = lesson->title,
 *                          .live = true, .ctx = session, .poll = poll_session,
 *                          .restart = restart_session};
 *     ui_window_options o = ui_window_default_options();
 *     if (!ui_window_available(why, sizeof why)) run_text_view();
 *     else rc = ui_window_run(&o, &sim);       // returns when the window is closed
 *
 * Three ways to run (ui_window_options): the interactive window; a screenshot (o.screenshot
 * and o.at: the session is stepped as fast as it goes until step `at` is revealed, that state is
 * drawn with its motion finished, t = 1, and written as a PNG); and a frame-time benchmark
 * (o.bench_frames: the whole session, then that many busy frames, timed). The last two need no
 * display: SDL's offscreen driver does.
 *
 * Keys: Space play/pause, Right step, Left step back, Home/End, Up/Down speed, Tab focus,
 * I inspector, T timeline, F full screen, P projector theme, ? help, R restart, Q/Esc quit,
 * 1..6 answer the lesson's question, B / N pause at every PDU / NDR step. Mouse: hover and
 * click anything (ui_view_hit); a click on the timeline jumps there; a right click on a packet in
 * flight or on the server's title opens what can be done to it (actions.h), and pauses.
 *
 * Costs: nothing is allocated per frame once warm. The scene is rebuilt only when the shown
 * step or the frontier moves, from an array of event pointers that grows with the timeline.
 */
#ifndef RPCSCOPE_UI_WINDOW_H
#define RPCSCOPE_UI_WINDOW_H

#include <stdbool.h>
#include <stddef.h>

#include "lesson.h"
#include "stepper.h"
#include "theme.h"
#include "timeline.h"

#define UI_WINDOW_WIDTH 1600      /* the default size of the window and of screenshots */
#define UI_WINDOW_HEIGHT 900
#define UI_WINDOW_BENCH_WIDTH 1920 /* the default size of --bench-frames: the target's */
#define UI_WINDOW_BENCH_HEIGHT 1080
#define UI_WINDOW_MIN_WIDTH 1024  /* the window never gets smaller than this */
#define UI_WINDOW_MIN_HEIGHT 640
#define UI_WINDOW_MAX_SIDE 8192
#define UI_WINDOW_FRAME_MS 16     /* about 60 frames per second */
#define UI_WINDOW_STEP_TIMEOUT_MS 60000 /* a screenshot waits at most this long for its step */

/* Where the session stands, as the poll callback reports it. */
typedef enum ui_window_poll {
    UI_WINDOW_RUNNING, /* the programs run (or their last records are on their way) */
    UI_WINDOW_ENDED,   /* everything is in the timeline; nothing more will come */
    UI_WINDOW_QUIT,    /* the user asked rpcscope to stop (Ctrl-C) */
} ui_window_poll;

/* The session, lent by its owner. The window reads the timeline and cues, commands the stepper,
 * and calls back for everything that touches processes. */
typedef struct ui_window_sim {
    sim_timeline *tl;
    sim_stepper *stepper;
    const sim_cues *cues;    /* NULL: no lesson script, events speak for themselves */
    const char *title;       /* the lesson's title, or NULL */
    bool live;               /* programs run behind the stepper (not a replay) */
    void *ctx;
    /* Reads what arrived without waiting (collector, launcher, cues). Required. */
    ui_window_poll (*poll)(void *ctx);
    /* Stops the programs, empties the session and starts the lesson again; tl, stepper and cues
     * may change. False if it could not (the owner said why). NULL: R goes back to step 1. */
    bool (*restart)(void *ctx);
    /* Kills the server (the right-click "Crash the server"). False, with a sentence in why, when
     * it could not. NULL: the menu does not offer it. */
    bool (*crash_server)(void *ctx, char *why, size_t why_size);
    /* How the process on `side` (UI_CLIENT, UI_SERVER) died, or NULL while it runs or when it
     * ended on its own: the window greys that address space out with the reason. NULL: never. */
    const char *(*crashed)(void *ctx, int side);
} ui_window_sim;

typedef struct ui_window_options {
    int width, height;       /* 0: UI_WINDOW_WIDTH x UI_WINDOW_HEIGHT (bench: 1920x1080) */
    ui_theme_id theme;
    bool inspector, timeline; /* open those panels at the start (closed by default) */
    bool fullscreen;
    bool paused;             /* start paused (--step); otherwise playing at `speed` */
    double speed;            /* 0: 1x */
    const char *screenshot;  /* write the state after step `at` to this PNG and return */
    size_t at;               /* counted from 1, as on screen */
    int bench_frames;        /* > 0: time that many frames and print the figures */
} ui_window_options;

ui_window_options ui_window_default_options(void);

/* Is there a display to open an interactive window on? DISPLAY or WAYLAND_DISPLAY must be set
 * and SDL must initialise its video with a real driver (not offscreen or dummy). When not,
 * `why` says what is missing. */
bool ui_window_available(char *why, size_t why_size);

/* Runs the window (or the screenshot, or the benchmark) until it is closed. Returns the exit
 * status: 0, 1 when SDL or the PNG failed (said on stderr with SDL's words), 2 when the
 * session never reached step `at`. */
int ui_window_run(const ui_window_options *o, ui_window_sim *sim);

#endif
