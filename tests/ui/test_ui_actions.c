/* test_ui_actions.c -- what a right click offers: a packet in flight can be delayed or dropped,
 * the running server crashed; nothing once the packet has arrived or was dropped, nothing in a
 * replay or while reviewing history, nothing on other things. And the verdict each item sends. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "actions.h"
#include "scene.h"

/* A bind from the client (step 1), in flight at step 1, received at step 2; the server listens
 * at step 0. */
static const uint8_t bind_pdu[16] = {5, 0, 11, 3, 0x10, 0, 0, 0, 16, 0, 0, 0, 2, 0, 0, 0};
static const rs_trace_event listen_ev = {.kind = RS_TRACE_LISTEN, .role = RS_TRACE_ROLE_SERVER,
                                         .pid = 200, .text = "ncacn_ip_tcp:127.0.0.1[4747]"};
static const rs_trace_event sent_ev = {.kind = RS_TRACE_PDU_SENT, .role = RS_TRACE_ROLE_CLIENT,
                                       .pid = 100, .ptype = 11, .bytes = bind_pdu, .bytes_len = 16};
static const rs_trace_event received_ev = {.kind = RS_TRACE_PDU_RECEIVED,
                                           .role = RS_TRACE_ROLE_SERVER, .pid = 200, .ptype = 11,
                                           .bytes = bind_pdu, .bytes_len = 16};
static const rs_trace_event dropped_ev = {.kind = RS_TRACE_ERROR, .role = RS_TRACE_ROLE_CLIENT,
                                          .pid = 100, .ptype = 11,
                                          .text = "dropped by the window: the network loses this PDU"};

static ui_hit pdu_hit(size_t step)
{
    return (ui_hit){.kind = UI_HIT_PDU, .index = (int)step};
}

static void test_packet_in_flight(void **state)
{
    (void)state;
    ui_scene *s = ui_scene_create();
    assert_non_null(s);
    const rs_trace_event *events[] = {&listen_ev, &sent_ev, &received_ev};
    ui_menu m;

    ui_scene_build(s, events, 3, 1); /* the bind is on the wire */
    ui_actions_menu(s, pdu_hit(1), true, &m);
    assert_int_equal(m.count, 2);
    assert_int_equal(m.target, 1);
    assert_int_equal(m.actions[0], UI_ACTION_DELAY);
    assert_int_equal(m.actions[1], UI_ACTION_DROP);
    assert_non_null(strstr(m.items[1], "Drop"));

    ui_actions_menu(s, pdu_hit(1), false, &m); /* a replay, or reviewing history */
    assert_int_equal(m.count, 0);
    ui_actions_menu(s, pdu_hit(0), true, &m); /* no packet was sent at step 0 */
    assert_int_equal(m.count, 0);
    ui_actions_menu(s, (ui_hit){.kind = UI_HIT_CELL, .index = 0}, true, &m);
    assert_int_equal(m.count, 0);
    ui_actions_menu(s, (ui_hit){.kind = UI_HIT_SIDE, .index = UI_CLIENT}, true, &m);
    assert_int_equal(m.count, 0); /* the client is not offered */

    ui_scene_build(s, events, 3, 2); /* it has arrived: too late */
    ui_actions_menu(s, pdu_hit(1), true, &m);
    assert_int_equal(m.count, 0);

    const rs_trace_event *lost[] = {&listen_ev, &sent_ev, &dropped_ev};
    ui_scene_build(s, lost, 3, 2); /* dropped: it stays on the wire, crossed out, and done */
    assert_true(s->pdus[0].dropped);
    ui_actions_menu(s, pdu_hit(1), true, &m);
    assert_int_equal(m.count, 0);
    ui_scene_destroy(s);
}

static void test_crash_server(void **state)
{
    (void)state;
    ui_scene *s = ui_scene_create();
    const rs_trace_event *events[] = {&listen_ev, &sent_ev};
    ui_menu m;
    ui_hit server = {.kind = UI_HIT_SIDE, .index = UI_SERVER};

    ui_scene_build(s, events, 0, 0); /* no server yet */
    ui_actions_menu(s, server, true, &m);
    assert_int_equal(m.count, 0);
    ui_scene_build(s, events, 2, 0);
    ui_actions_menu(s, server, true, &m);
    assert_int_equal(m.count, 1);
    assert_int_equal(m.actions[0], UI_ACTION_CRASH_SERVER);
    assert_non_null(strstr(m.items[0], "Crash the server"));

    rs_trace_event killed = {.kind = RS_TRACE_ERROR, .role = RS_TRACE_ROLE_SERVER, .pid = 200,
                             .text = "injected: kill-server on HelloProc: ..."};
    const rs_trace_event *dead[] = {&listen_ev, &killed};
    ui_scene_build(s, dead, 2, 1); /* already dead: nothing to crash */
    ui_actions_menu(s, server, true, &m);
    assert_int_equal(m.count, 0);
    ui_scene_destroy(s);
}

static void test_verdicts(void **state)
{
    (void)state;
    rs_trace_verdict v = ui_action_verdict(UI_ACTION_DELAY);
    assert_int_equal(v.kind, RS_TRACE_DELAY);
    assert_int_equal(v.ms, UI_ACTION_DELAY_MS);
    assert_true(v.ms <= RS_TRACE_DELAY_MAX_MS);
    assert_int_equal(ui_action_verdict(UI_ACTION_DROP).kind, RS_TRACE_DROP);
    assert_int_equal(ui_action_verdict(UI_ACTION_CRASH_SERVER).kind, RS_TRACE_GO);
    assert_int_equal(ui_action_verdict(UI_ACTION_NONE).kind, RS_TRACE_GO);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_packet_in_flight),
        cmocka_unit_test(test_crash_server),
        cmocka_unit_test(test_verdicts),
    };
    return cmocka_run_group_tests_name("ui_actions", tests, NULL, NULL);
}
