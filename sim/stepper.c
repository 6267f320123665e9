/* stepper.c -- the frontier, the history cursor, and which process goes next. See stepper.h. */
#include "stepper.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NS_PER_S 1e9

/* What the stepper remembers about a process it released. */
struct released {
    uint64_t seq;   /* the event it was released from, 0 if never */
    uint64_t at_ns; /* when */
    uint64_t act_seq;         /* the event whose release carries `act`, 0 for none */
    rs_trace_verdict act;
};

struct sim_stepper {
    const sim_timeline *tl;
    sim_gate gate;
    bool has_gate;
    sim_play mode;
    double speed;
    size_t revealed;
    size_t view;
    size_t want;         /* steps asked for and not yet taken (paused) */
    bool due;            /* playing: a step is due */
    uint64_t next_due_ns;
    size_t question_at;  /* SIM_NONE, or the event whose question shows */
    size_t asked_upto;   /* questions before events < this were shown */
    bool (*asks)(void *ctx, size_t i);
    void *asks_ctx;
    struct released *rel; /* per process table index */
    size_t rel_count;
};

rs_status sim_stepper_create(const sim_timeline *tl, const sim_gate *gate, sim_stepper **out)
{
    *out = NULL;
    sim_stepper *s = calloc(1, sizeof *s);
    if (s == NULL)
        return RS_ERR_NOMEM;
    s->tl = tl;
    if (gate != NULL) {
        s->gate = *gate;
        s->has_gate = true;
    }
    s->mode = SIM_PLAY_PAUSED;
    s->speed = 1.0;
    s->question_at = SIM_NONE;
    *out = s;
    return RS_OK;
}

void sim_stepper_destroy(sim_stepper *s)
{
    if (s == NULL)
        return;
    free(s->rel);
    free(s);
}

/* ---- commands -------------------------------------------------------------------------------- */

void sim_stepper_play(sim_stepper *s)
{
    s->mode = SIM_PLAY_PLAYING;
    s->view = s->revealed;
    s->want = 0;
    s->due = true;
}

void sim_stepper_pause(sim_stepper *s)
{
    s->mode = SIM_PLAY_PAUSED;
    s->due = false;
}

void sim_stepper_toggle(sim_stepper *s)
{
    if (s->mode == SIM_PLAY_PLAYING)
        sim_stepper_pause(s);
    else
        sim_stepper_play(s);
}

void sim_stepper_free(sim_stepper *s)
{
    s->mode = SIM_PLAY_FREE;
    s->view = s->revealed;
    s->question_at = SIM_NONE;
}

void sim_stepper_step(sim_stepper *s)
{
    if (s->view < s->revealed) {
        s->view++;
        return;
    }
    if (s->mode == SIM_PLAY_FREE)
        return;
    if (s->mode == SIM_PLAY_PLAYING)
        sim_stepper_pause(s);
    if (s->want < SIM_STEPPER_PENDING_MAX)
        s->want++;
}

void sim_stepper_back(sim_stepper *s)
{
    if (s->view > 0)
        s->view--;
}

void sim_stepper_live(sim_stepper *s)
{
    s->view = s->revealed;
}

rs_status sim_stepper_set_speed(sim_stepper *s, double factor)
{
    if (!(factor >= SIM_STEPPER_SPEED_MIN && factor <= SIM_STEPPER_SPEED_MAX))
        return RS_ERR_INVALID_ARG;
    s->speed = factor;
    return RS_OK;
}

void sim_stepper_faster(sim_stepper *s)
{
    s->speed = s->speed * 2 > SIM_STEPPER_SPEED_MAX ? SIM_STEPPER_SPEED_MAX : s->speed * 2;
}

void sim_stepper_slower(sim_stepper *s)
{
    s->speed = s->speed / 2 < SIM_STEPPER_SPEED_MIN ? SIM_STEPPER_SPEED_MIN : s->speed / 2;
}

void sim_stepper_set_questions(sim_stepper *s, bool (*asks)(void *ctx, size_t i), void *ctx)
{
    s->asks = asks;
    s->asks_ctx = ctx;
}

/* ---- state ----------------------------------------------------------------------------------- */

sim_play sim_stepper_mode(const sim_stepper *s)
{
    return s->mode;
}

double sim_stepper_speed(const sim_stepper *s)
{
    return s->speed;
}

size_t sim_stepper_revealed(const sim_stepper *s)
{
    return s->revealed;
}

size_t sim_stepper_view(const sim_stepper *s)
{
    return s->view;
}

bool sim_stepper_reviewing(const sim_stepper *s)
{
    return s->view < s->revealed;
}

size_t sim_stepper_question(const sim_stepper *s)
{
    return s->question_at;
}

bool sim_stepper_waiting(const sim_stepper *s)
{
    return s->mode == SIM_PLAY_PAUSED ? s->want > 0 : s->mode == SIM_PLAY_PLAYING && s->due;
}

const char *sim_stepper_status(const sim_stepper *s, char *out, size_t size)
{
    const char *wait = sim_stepper_waiting(s) && s->question_at == SIM_NONE
                           ? " (waiting for the next event)"
                           : "";
    if (s->view < s->revealed)
        snprintf(out, size, "reviewing step %zu \u2014 live at %zu", s->view, s->revealed);
    else if (s->question_at != SIM_NONE)
        snprintf(out, size, "question before step %zu", s->revealed + 1);
    else if (s->mode == SIM_PLAY_PLAYING)
        snprintf(out, size, "playing at %gx \u2014 step %zu%s", s->speed, s->revealed, wait);
    else if (s->mode == SIM_PLAY_FREE)
        snprintf(out, size, "running \u2014 step %zu", s->revealed);
    else
        snprintf(out, size, "paused at step %zu%s", s->revealed, wait);
    return out;
}

/* ---- the work -------------------------------------------------------------------------------- */

static bool grow_released(sim_stepper *s, size_t n)
{
    if (n <= s->rel_count)
        return true;
    struct released *r = realloc(s->rel, n * sizeof *r);
    if (r == NULL)
        return false;
    memset(r + s->rel_count, 0, (n - s->rel_count) * sizeof *r);
    s->rel = r;
    s->rel_count = n;
    return true;
}

static void release(sim_stepper *s, size_t proc, uint32_t pid, uint64_t seq, uint64_t now_ns)
{
    rs_trace_verdict v = {.kind = RS_TRACE_GO};
    if (proc < s->rel_count && s->rel[proc].act_seq == seq) {
        v = s->rel[proc].act;
        s->rel[proc].act_seq = 0;
    }
    s->gate.release(s->gate.ctx, pid, seq, v);
    if (proc < s->rel_count) {
        s->rel[proc].seq = seq;
        s->rel[proc].at_ns = now_ns;
    }
}

rs_status sim_stepper_act(sim_stepper *s, size_t i, rs_trace_verdict v)
{
    if (!s->has_gate || i >= sim_timeline_count(s->tl))
        return RS_ERR_INVALID_ARG;
    const sim_event *e = sim_timeline_at(s->tl, i);
    const sim_process *p = sim_timeline_process(s->tl, e->process);
    if (s->gate.held(s->gate.ctx, p->pid) != e->ev.seq)
        return RS_ERR_INVALID_ARG; /* it has moved on: what it did there is done */
    if (!grow_released(s, sim_timeline_process_count(s->tl)))
        return RS_ERR_NOMEM;
    s->rel[e->process].act_seq = e->ev.seq;
    s->rel[e->process].act = v;
    return RS_OK;
}

/* The seq of process p's last placed event, 0 if none. */
static uint64_t last_placed_seq(const sim_timeline *tl, const sim_process *p)
{
    return p->last_index == SIM_NONE ? 0 : sim_timeline_at(tl, p->last_index)->ev.seq;
}

/* Everything is revealed and a step wants an event: lets one process go, unless one that was
 * released (or whose event is on its way) is expected to report first. */
static void release_next(sim_stepper *s, uint64_t now_ns)
{
    if (!s->has_gate)
        return;
    size_t procs = sim_timeline_process_count(s->tl);
    if (!grow_released(s, procs))
        return;
    size_t best = SIM_NONE, best_index = SIM_NONE;
    uint64_t best_seq = 0;
    for (size_t i = 0; i < procs; i++) {
        const sim_process *p = sim_timeline_process(s->tl, i);
        uint64_t held = s->gate.held(s->gate.ctx, p->pid);
        if (held != 0 && held != last_placed_seq(s->tl, p))
            return; /* its event arrived and waits to be placed: it comes next */
        if (held == 0 && s->rel[i].seq != 0 && p->last_seq == s->rel[i].seq &&
            now_ns - s->rel[i].at_ns < SIM_STEPPER_GRACE_NS)
            return; /* released a moment ago and not heard from yet */
        if (held != 0 && (best == SIM_NONE || p->last_index < best_index)) {
            best = i;
            best_index = p->last_index;
            best_seq = held;
        }
    }
    if (best != SIM_NONE)
        release(s, best, sim_timeline_process(s->tl, best)->pid, best_seq, now_ns);
}

/* Reveals event `revealed` if it is there, unless its question is to be shown first. True when
 * the step was used (revealed, or the question shown). */
static bool reveal_one(sim_stepper *s)
{
    if (s->revealed >= sim_timeline_count(s->tl))
        return false;
    size_t i = s->revealed;
    if (s->question_at == i) {
        s->question_at = SIM_NONE; /* the question was shown: this step reveals its event */
    } else if (s->asks != NULL && s->asked_upto <= i && s->mode != SIM_PLAY_FREE &&
               s->asks(s->asks_ctx, i)) {
        s->asked_upto = i + 1;
        s->question_at = i;
        if (s->mode == SIM_PLAY_PLAYING)
            sim_stepper_pause(s);
        return true;
    }
    bool live = s->view == s->revealed;
    s->revealed++;
    if (live)
        s->view = s->revealed;
    return true;
}

void sim_stepper_tick(sim_stepper *s, uint64_t now_ns)
{
    size_t count = sim_timeline_count(s->tl);
    if (s->mode == SIM_PLAY_FREE) {
        bool live = s->view == s->revealed;
        s->revealed = count;
        if (live)
            s->view = count;
        if (!s->has_gate)
            return;
        size_t procs = sim_timeline_process_count(s->tl);
        if (!grow_released(s, procs))
            return;
        for (size_t i = 0; i < procs; i++) {
            const sim_process *p = sim_timeline_process(s->tl, i);
            uint64_t held = s->gate.held(s->gate.ctx, p->pid);
            if (held != 0)
                release(s, i, p->pid, held, now_ns);
        }
        return;
    }
    if (s->mode == SIM_PLAY_PLAYING && !s->due && now_ns >= s->next_due_ns)
        s->due = true;
    if (s->mode == SIM_PLAY_PLAYING && s->due) {
        if (reveal_one(s)) {
            s->due = false;
            double interval = NS_PER_S / (SIM_STEPPER_BASE_RATE * s->speed);
            s->next_due_ns = now_ns + (uint64_t)interval;
        } else {
            release_next(s, now_ns);
        }
        return;
    }
    while (s->mode == SIM_PLAY_PAUSED && s->want > 0) {
        if (!reveal_one(s)) {
            release_next(s, now_ns);
            return;
        }
        s->want--;
    }
}
