/* test_sim_stepper.c -- step control against a fake gate: a step reveals the next event in causal
 * order; with everything revealed it releases the process waiting on the earliest event; a
 * released process that stays silent lets the next one go after the grace time; playing paces
 * the steps by the speed; questions stop the play; history is a view only. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "stepper.h"

#define MS 1000000ull

/* A fake of the collector's gates: which seq each pid waits on, and the releases it got. */
typedef struct fake_gate {
    uint32_t pid[4];
    uint64_t held[4];
    uint32_t released_pid[16];
    uint64_t released_seq[16];
    rs_trace_verdict released_verdict[16];
    int releases;
} fake_gate;

static uint64_t fake_held(void *ctx, uint32_t pid)
{
    fake_gate *g = ctx;
    for (int i = 0; i < 4; i++)
        if (g->pid[i] == pid)
            return g->held[i];
    return 0;
}

static void fake_release(void *ctx, uint32_t pid, uint64_t seq, rs_trace_verdict v)
{
    fake_gate *g = ctx;
    for (int i = 0; i < 4; i++)
        if (g->pid[i] == pid && g->held[i] == seq)
            g->held[i] = 0;
    if (g->releases < 16) {
        g->released_pid[g->releases] = pid;
        g->released_seq[g->releases] = seq;
        g->released_verdict[g->releases] = v;
    }
    g->releases++;
}

/* A process reports event `seq` and waits at its gate. */
static void report(sim_timeline *tl, fake_gate *g, uint32_t pid, uint64_t seq, rs_trace_kind kind)
{
    rs_trace_event e = {.kind = kind, .role = RS_TRACE_ROLE_CLIENT, .pid = pid, .seq = seq};
    rs_error err = {0};
    assert_int_equal(sim_timeline_add(tl, &e, 0, &err), RS_OK);
    for (int i = 0; i < 4; i++)
        if (g != NULL && g->pid[i] == pid)
            g->held[i] = seq;
}

static void test_replay_steps(void **state)
{
    (void)state;
    sim_timeline *tl;
    assert_int_equal(sim_timeline_create(NULL, &tl), RS_OK);
    for (uint64_t s = 1; s <= 5; s++)
        report(tl, NULL, 1, s, RS_TRACE_NDR_PUT);
    sim_stepper *st;
    assert_int_equal(sim_stepper_create(tl, NULL, &st), RS_OK);
    char buf[96];
    sim_stepper_tick(st, 0);
    assert_int_equal(sim_stepper_revealed(st), 0); /* paused: nothing without a step */
    assert_string_equal(sim_stepper_status(st, buf, sizeof buf), "paused at step 0");
    sim_stepper_step(st);
    sim_stepper_step(st);
    sim_stepper_tick(st, 0);
    assert_int_equal(sim_stepper_revealed(st), 2);
    assert_int_equal(sim_stepper_view(st), 2);
    /* history: the view moves, the frontier does not */
    sim_stepper_back(st);
    sim_stepper_back(st);
    sim_stepper_back(st);
    assert_int_equal(sim_stepper_view(st), 0);
    assert_true(sim_stepper_reviewing(st));
    assert_string_equal(sim_stepper_status(st, buf, sizeof buf),
                        "reviewing step 0 \u2014 live at 2");
    sim_stepper_step(st); /* forward in history, not a real step */
    sim_stepper_tick(st, 0);
    assert_int_equal(sim_stepper_view(st), 1);
    assert_int_equal(sim_stepper_revealed(st), 2);
    sim_stepper_live(st);
    assert_false(sim_stepper_reviewing(st));
    /* a new step while reviewing history would only move the view; from live it reveals, and
     * the view follows the frontier */
    sim_stepper_step(st);
    sim_stepper_tick(st, 0);
    assert_int_equal(sim_stepper_view(st), 3);
    /* asking for more steps than there are events: they wait */
    for (int i = 0; i < 3; i++)
        sim_stepper_step(st);
    sim_stepper_tick(st, 0);
    assert_int_equal(sim_stepper_revealed(st), 5);
    assert_true(sim_stepper_waiting(st));
    assert_string_equal(sim_stepper_status(st, buf, sizeof buf),
                        "paused at step 5 (waiting for the next event)");
    report(tl, NULL, 1, 6, RS_TRACE_CALL_END);
    sim_stepper_tick(st, 0);
    assert_int_equal(sim_stepper_revealed(st), 6);
    assert_false(sim_stepper_waiting(st));
    sim_stepper_free(st);
    report(tl, NULL, 1, 7, RS_TRACE_CLOSE);
    sim_stepper_tick(st, 0);
    assert_int_equal(sim_stepper_revealed(st), 7);
    assert_string_equal(sim_stepper_status(st, buf, sizeof buf), "running \u2014 step 7");
    sim_stepper_destroy(st);
    sim_timeline_destroy(tl);
}

/* Two processes wait at their gates. Steps reveal first; then each step releases the process
 * whose waiting event comes first in the timeline, and completes when an event arrives. */
static void test_release_order(void **state)
{
    (void)state;
    sim_timeline *tl;
    assert_int_equal(sim_timeline_create(NULL, &tl), RS_OK);
    fake_gate g = {.pid = {10, 20}};
    sim_gate gate = {.ctx = &g, .held = fake_held, .release = fake_release};
    sim_stepper *st;
    assert_int_equal(sim_stepper_create(tl, &gate, &st), RS_OK);
    report(tl, &g, 20, 1, RS_TRACE_LISTEN);     /* index 0: the server waits here */
    report(tl, &g, 10, 1, RS_TRACE_CALL_BEGIN); /* index 1: the client waits here */
    sim_stepper_step(st);
    sim_stepper_tick(st, 0);
    assert_int_equal(sim_stepper_revealed(st), 1);
    assert_int_equal(g.releases, 0); /* revealing releases nobody: the view shows where they wait */
    sim_stepper_step(st);
    sim_stepper_tick(st, 0);
    assert_int_equal(sim_stepper_revealed(st), 2);
    assert_int_equal(g.releases, 0);
    /* Everything is revealed: the next step lets the server (index 0) go. */
    sim_stepper_step(st);
    sim_stepper_tick(st, 1 * MS);
    assert_int_equal(g.releases, 1);
    assert_int_equal(g.released_pid[0], 20);
    assert_int_equal(g.released_seq[0], 1);
    /* The server stays silent (it waits for a connection): within the grace time nobody else
     * goes; after it, the client is released too. */
    sim_stepper_tick(st, 100 * MS);
    assert_int_equal(g.releases, 1);
    sim_stepper_tick(st, 1 * MS + SIM_STEPPER_GRACE_NS);
    assert_int_equal(g.releases, 2);
    assert_int_equal(g.released_pid[1], 10);
    /* The client reports: the pending step reveals it, and asks for nothing more. */
    report(tl, &g, 10, 2, RS_TRACE_PARAM_READ);
    sim_stepper_tick(st, 200 * MS);
    assert_int_equal(sim_stepper_revealed(st), 3);
    assert_false(sim_stepper_waiting(st));
    sim_stepper_tick(st, 900 * MS);
    assert_int_equal(g.releases, 2);
    sim_stepper_destroy(st);
    sim_timeline_destroy(tl);
}

/* Acting on the thing itself: the verdict rides on the release of the event it was given for,
 * once, and only while the process still waits there; too late is refused. */
static void test_act(void **state)
{
    (void)state;
    sim_timeline *tl;
    assert_int_equal(sim_timeline_create(NULL, &tl), RS_OK);
    fake_gate g = {.pid = {10}};
    sim_gate gate = {.ctx = &g, .held = fake_held, .release = fake_release};
    sim_stepper *st;
    assert_int_equal(sim_stepper_create(tl, &gate, &st), RS_OK);
    report(tl, &g, 10, 1, RS_TRACE_PDU_BUILT); /* index 0 */
    sim_stepper_step(st);
    sim_stepper_tick(st, 0);
    sim_stepper_step(st); /* released from index 0 with no verdict */
    sim_stepper_tick(st, 1 * MS);
    assert_int_equal(g.releases, 1);
    assert_int_equal(g.released_verdict[0].kind, RS_TRACE_GO);
    report(tl, &g, 10, 2, RS_TRACE_PDU_SENT); /* index 1: the packet in flight */
    sim_stepper_tick(st, 2 * MS);
    assert_int_equal(sim_stepper_revealed(st), 2);

    rs_trace_verdict drop = {.kind = RS_TRACE_DROP};
    assert_int_equal(sim_stepper_act(st, 0, drop), RS_ERR_INVALID_ARG); /* it has moved on */
    assert_int_equal(sim_stepper_act(st, 7, drop), RS_ERR_INVALID_ARG); /* no such event */
    assert_int_equal(sim_stepper_act(st, 1, drop), RS_OK);
    assert_int_equal(g.releases, 1); /* acting releases nothing by itself */
    sim_stepper_step(st);
    sim_stepper_tick(st, 3 * MS);
    assert_int_equal(g.releases, 2);
    assert_int_equal(g.released_seq[1], 2);
    assert_int_equal(g.released_verdict[1].kind, RS_TRACE_DROP);

    report(tl, &g, 10, 3, RS_TRACE_ERROR); /* index 2: the next release says GO again */
    sim_stepper_tick(st, 4 * MS);
    sim_stepper_step(st);
    sim_stepper_tick(st, 5 * MS);
    assert_int_equal(g.releases, 3);
    assert_int_equal(g.released_verdict[2].kind, RS_TRACE_GO);
    sim_stepper_destroy(st);

    /* A replay has no processes to act on. */
    assert_int_equal(sim_stepper_create(tl, NULL, &st), RS_OK);
    assert_int_equal(sim_stepper_act(st, 2, drop), RS_ERR_INVALID_ARG);
    sim_stepper_destroy(st);
    sim_timeline_destroy(tl);
}

/* A process whose latest event has arrived but waits to be placed (a receive whose send is on
 * its way) comes next: nobody else is released meanwhile. */
static void test_waits_for_an_arriving_event(void **state)
{
    (void)state;
    sim_timeline *tl;
    assert_int_equal(sim_timeline_create(NULL, &tl), RS_OK);
    fake_gate g = {.pid = {10, 20}};
    sim_gate gate = {.ctx = &g, .held = fake_held, .release = fake_release};
    sim_stepper *st;
    assert_int_equal(sim_stepper_create(tl, &gate, &st), RS_OK);
    report(tl, &g, 10, 1, RS_TRACE_CALL_BEGIN);
    static const uint8_t bytes[4] = {1, 2, 3, 4};
    rs_trace_event recv = {.kind = RS_TRACE_PDU_RECEIVED, .role = RS_TRACE_ROLE_SERVER,
                           .pid = 20, .seq = 1, .bytes = bytes, .bytes_len = 4};
    rs_error err = {0};
    assert_int_equal(sim_timeline_add(tl, &recv, 0, &err), RS_OK);
    g.held[1] = 1; /* the server waits on its receive, which the timeline holds back */
    sim_stepper_step(st);
    sim_stepper_step(st);
    sim_stepper_tick(st, 0);
    assert_int_equal(sim_stepper_revealed(st), 1);
    assert_int_equal(g.releases, 0);
    sim_stepper_destroy(st);
    sim_timeline_destroy(tl);
}

static void test_play_speed(void **state)
{
    (void)state;
    sim_timeline *tl;
    assert_int_equal(sim_timeline_create(NULL, &tl), RS_OK);
    for (uint64_t s = 1; s <= 10; s++)
        report(tl, NULL, 1, s, RS_TRACE_NDR_PUT);
    sim_stepper *st;
    assert_int_equal(sim_stepper_create(tl, NULL, &st), RS_OK);
    assert_int_equal(sim_stepper_set_speed(st, 2.0), RS_OK); /* 4 events per second */
    sim_stepper_play(st);
    assert_int_equal(sim_stepper_mode(st), SIM_PLAY_PLAYING);
    sim_stepper_tick(st, 1000 * MS);
    assert_int_equal(sim_stepper_revealed(st), 1);
    sim_stepper_tick(st, 1100 * MS);
    assert_int_equal(sim_stepper_revealed(st), 1);
    sim_stepper_tick(st, 1250 * MS);
    assert_int_equal(sim_stepper_revealed(st), 2);
    char buf[96];
    assert_string_equal(sim_stepper_status(st, buf, sizeof buf), "playing at 2x \u2014 step 2");
    sim_stepper_toggle(st); /* Space */
    sim_stepper_tick(st, 5000 * MS);
    assert_int_equal(sim_stepper_revealed(st), 2);
    /* speed bounds */
    assert_int_equal(sim_stepper_set_speed(st, 0.1), RS_ERR_INVALID_ARG);
    assert_int_equal(sim_stepper_set_speed(st, 9), RS_ERR_INVALID_ARG);
    assert_true(sim_stepper_speed(st) == 2.0);
    for (int i = 0; i < 10; i++)
        sim_stepper_faster(st);
    assert_true(sim_stepper_speed(st) == SIM_STEPPER_SPEED_MAX);
    for (int i = 0; i < 10; i++)
        sim_stepper_slower(st);
    assert_true(sim_stepper_speed(st) == SIM_STEPPER_SPEED_MIN);
    /* Right while playing pauses, then steps */
    sim_stepper_play(st);
    sim_stepper_step(st);
    assert_int_equal(sim_stepper_mode(st), SIM_PLAY_PAUSED);
    sim_stepper_tick(st, 6000 * MS);
    assert_int_equal(sim_stepper_revealed(st), 3);
    sim_stepper_destroy(st);
    sim_timeline_destroy(tl);
}

static bool ask_before_three(void *ctx, size_t i)
{
    (void)ctx;
    return i == 3;
}

/* A question is shown before its event: playing pauses there; the next step reveals the event. */
static void test_questions(void **state)
{
    (void)state;
    sim_timeline *tl;
    assert_int_equal(sim_timeline_create(NULL, &tl), RS_OK);
    for (uint64_t s = 1; s <= 6; s++)
        report(tl, NULL, 1, s, RS_TRACE_NDR_PUT);
    sim_stepper *st;
    assert_int_equal(sim_stepper_create(tl, NULL, &st), RS_OK);
    sim_stepper_set_questions(st, ask_before_three, NULL);
    assert_int_equal(sim_stepper_set_speed(st, 8), RS_OK);
    sim_stepper_play(st);
    for (uint64_t t = 1; t < 40; t++)
        sim_stepper_tick(st, t * 100 * MS);
    assert_int_equal(sim_stepper_revealed(st), 3);
    assert_int_equal(sim_stepper_question(st), 3);
    assert_int_equal(sim_stepper_mode(st), SIM_PLAY_PAUSED);
    char buf[96];
    assert_string_equal(sim_stepper_status(st, buf, sizeof buf), "question before step 4");
    sim_stepper_step(st);
    sim_stepper_tick(st, 5000 * MS);
    assert_int_equal(sim_stepper_revealed(st), 4);
    assert_int_equal(sim_stepper_question(st), SIM_NONE);
    /* in step mode the question takes a step of its own; it is asked once */
    sim_stepper_back(st);
    sim_stepper_live(st);
    sim_stepper_step(st);
    sim_stepper_step(st);
    sim_stepper_tick(st, 6000 * MS);
    assert_int_equal(sim_stepper_revealed(st), 6);
    /* free mode never stops for questions */
    sim_stepper_free(st);
    assert_int_equal(sim_stepper_mode(st), SIM_PLAY_FREE);
    sim_stepper_destroy(st);
    sim_timeline_destroy(tl);
}

/* Free: everything revealed and every waiting process released, at once. */
static void test_free_releases_all(void **state)
{
    (void)state;
    sim_timeline *tl;
    assert_int_equal(sim_timeline_create(NULL, &tl), RS_OK);
    fake_gate g = {.pid = {10, 20}};
    sim_gate gate = {.ctx = &g, .held = fake_held, .release = fake_release};
    sim_stepper *st;
    assert_int_equal(sim_stepper_create(tl, &gate, &st), RS_OK);
    report(tl, &g, 10, 1, RS_TRACE_CALL_BEGIN);
    report(tl, &g, 20, 1, RS_TRACE_LISTEN);
    sim_stepper_free(st);
    sim_stepper_tick(st, 0);
    assert_int_equal(sim_stepper_revealed(st), 2);
    assert_int_equal(g.releases, 2);
    assert_int_equal(g.held[0], 0);
    assert_int_equal(g.held[1], 0);
    sim_stepper_destroy(st);
    sim_timeline_destroy(tl);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_replay_steps),
        cmocka_unit_test(test_release_order),
        cmocka_unit_test(test_act),
        cmocka_unit_test(test_waits_for_an_arriving_event),
        cmocka_unit_test(test_play_speed),
        cmocka_unit_test(test_questions),
        cmocka_unit_test(test_free_releases_all),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
