/* stepper.h -- step control: which events the view shows, and when the real processes may move.
 *
 * The stepper keeps the frontier -- how many of the timeline's events have been revealed -- and
 * decides, each tick, whether to reveal one more and which traced process to let go through its
 * step gate. The window (or the text view) sends it commands and calls sim_stepper_tick() once
 * per frame; it never touches sockets itself: a sim_gate (the collector's) does the releasing.
 *
 *     sim_stepper *s;
 *     sim_gate gate = sim_collector_gate(collector);        // or NULL for a replay
 *     if (sim_stepper_create(tl, &gate, &s) != RS_OK) die();
 *     sim_stepper_pause(s);  sim_stepper_step(s);            // Right arrow, Enter
 *     sim_stepper_tick(s, now_ns);                           // every frame
 *     printf("%s\n", sim_stepper_status(s, buf, sizeof buf));  // "paused at step 12"
 *     sim_stepper_destroy(s);
 *
 * What a step is. A traced process in step mode waits at its gate after every event it reports;
 * the stepper keeps it there while the view shows that event, so a paused window holds each
 * process exactly at the step on screen (the server's procedure has not run while "enter
 * HelloProc" is the last thing shown). A step reveals the next event of the timeline, which is
 * the causal order. When every arrived event is revealed, a step releases one waiting process --
 * the one whose waiting event comes first in the timeline -- and is complete when the next event
 * arrives and is revealed (whichever process it comes from). A released process that stays
 * silent for SIM_STEPPER_GRACE_NS is taken to be blocked on the other process (a server waiting
 * for a connection, a client for its response), and the next waiting process is released too.
 * Releasing only ever lets a process run to its next event, where it waits again.
 *
 * Modes: paused (steps only on command), playing (one step every 1/rate seconds; the rate is
 * SIM_STEPPER_BASE_RATE events per second times the speed, 0.25x..8x), and free (everything is
 * revealed and released at once: the text view without --step, a replay printed whole).
 * Playing stops at a question (sim_stepper_set_questions()): it is shown before its event, and
 * the next step reveals the event. Stepping back moves a history cursor (the view) over what was
 * revealed; the live processes stay at the frontier.
 */
#ifndef RPCSCOPE_SIM_STEPPER_H
#define RPCSCOPE_SIM_STEPPER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "status.h"
#include "timeline.h"

#define SIM_STEPPER_BASE_RATE 2.0                        /* events per second at 1x */
#define SIM_STEPPER_SPEED_MIN 0.25
#define SIM_STEPPER_SPEED_MAX 8.0
#define SIM_STEPPER_GRACE_NS ((uint64_t)150 * 1000000)   /* a released process's time to answer */
#define SIM_STEPPER_PENDING_MAX 1000                      /* step commands queued at most */

/* The step gates of the traced processes: what the collector offers, or a test's fake. */
typedef struct sim_gate {
    void *ctx;
    /* The seq process `pid` waits on at its gate, or 0 when it does not wait. */
    uint64_t (*held)(void *ctx, uint32_t pid);
    /* Lets process `pid` go on from the event `seq`, with a verdict about it (trace.h). */
    void (*release)(void *ctx, uint32_t pid, uint64_t seq, rs_trace_verdict v);
} sim_gate;

typedef enum sim_play {
    SIM_PLAY_PAUSED,
    SIM_PLAY_PLAYING,
    SIM_PLAY_FREE,
} sim_play;

typedef struct sim_stepper sim_stepper;

/* A stepper over `tl`, paused at step 0. `gate` is copied; NULL when no process is live (a
 * replay). RS_ERR_NOMEM. */
RS_MUST_CHECK rs_status sim_stepper_create(const sim_timeline *tl, const sim_gate *gate,
                                           sim_stepper **out);
void sim_stepper_destroy(sim_stepper *s);

/* ---- commands (the window's keys) ------------------------------------------------------------ */

void sim_stepper_play(sim_stepper *s);   /* also returns the view to live */
void sim_stepper_pause(sim_stepper *s);
void sim_stepper_toggle(sim_stepper *s); /* Space */
void sim_stepper_free(sim_stepper *s);   /* reveal and release everything from now on */

/* Right: when reviewing, the view moves one step forward; when live, one more step is taken
 * (pausing first if playing). */
void sim_stepper_step(sim_stepper *s);

/* Left: the view moves one step back in history (never below 0). The processes do not move. */
void sim_stepper_back(sim_stepper *s);

/* The view returns to the frontier. */
void sim_stepper_live(sim_stepper *s);

/* Speed factor 0.25..8 (RS_ERR_INVALID_ARG outside, leaving it as it was); faster doubles and
 * slower halves within those bounds (Up, Down). */
RS_MUST_CHECK rs_status sim_stepper_set_speed(sim_stepper *s, double factor);
void sim_stepper_faster(sim_stepper *s);
void sim_stepper_slower(sim_stepper *s);

/* Questions: `asks(ctx, i)` says whether a question is to be shown before event i is revealed
 * (sim_cues_question() != NULL). NULL asks nothing. */
void sim_stepper_set_questions(sim_stepper *s, bool (*asks)(void *ctx, size_t i), void *ctx);

/* Acting on the thing itself: the release of event i (a placed event whose process still waits
 * at it: for a PDU_SENT, the packet drawn in flight, whose bytes have not been written) will
 * carry verdict v (trace.h), e.g. RS_TRACE_DROP: the sender's runtime never writes the packet.
 * RS_OK when it will; RS_ERR_INVALID_ARG when i is not such an event (its process has moved on:
 * "too late, the packet has left"), or without a gate (a replay). A later act on the same
 * process replaces it. */
RS_MUST_CHECK rs_status sim_stepper_act(sim_stepper *s, size_t i, rs_trace_verdict v);

/* ---- the work -------------------------------------------------------------------------------- */

/* Reveals and releases what the mode and the commands allow at `now_ns` (monotonic). Cheap;
 * call it every frame, after the collector has read what arrived. */
void sim_stepper_tick(sim_stepper *s, uint64_t now_ns);

/* ---- state (what the window draws) ----------------------------------------------------------- */

sim_play sim_stepper_mode(const sim_stepper *s);
double sim_stepper_speed(const sim_stepper *s);

/* Events revealed: the frontier. Events [0, revealed) are shown live. */
size_t sim_stepper_revealed(const sim_stepper *s);

/* Events the view shows: revealed when live, fewer when reviewing history. */
size_t sim_stepper_view(const sim_stepper *s);
bool sim_stepper_reviewing(const sim_stepper *s);

/* The event whose question is being shown (its event not yet revealed), or SIM_NONE. */
size_t sim_stepper_question(const sim_stepper *s);

/* A step was asked for and waits for an event to arrive. */
bool sim_stepper_waiting(const sim_stepper *s);

/* "paused at step 12", "playing at 2x — step 14", "reviewing step 8 — live at 12", "running —
 * step 30"; with " (waiting for the next event)" while a step waits. Returns out. */
const char *sim_stepper_status(const sim_stepper *s, char *out, size_t size);

#endif
