/* test_ui_scene.c -- the scene as a pure function of the first N events: the HelloProc call
 * replayed step by step (cells at two addresses, buffers, PDUs and their stub data, the
 * timeline's PDU pairs), stable parameter colours, and the conventions read from events. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "demo.h"
#include "ndr.h"
#include "pdu.h"
#include "scene.h"

static ui_demo *hello;
static ui_scene *scene;

static int setup(void **state)
{
    (void)state;
    hello = ui_demo_create(UI_DEMO_HELLO);
    scene = ui_scene_create();
    return hello && scene ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    ui_scene_destroy(scene);
    ui_demo_destroy(hello);
    return 0;
}

static void build(size_t step)
{
    ui_scene_build(scene, ui_demo_events(hello), ui_demo_count(hello), step);
}

static void test_hello_step_by_step(void **state)
{
    (void)state;
    size_t n = ui_demo_count(hello);
    size_t read = ui_demo_find(hello, 0, RS_TRACE_PARAM_READ, "pszString");
    size_t written = ui_demo_find(hello, 0, RS_TRACE_PARAM_WRITTEN, "pszString");
    size_t sent = ui_demo_find(hello, 0, RS_TRACE_PDU_SENT, NULL);
    assert_true(read < written && written < n && sent < n);

    /* Before the stub reads it, no cell; after, the client's; after unmarshalling, both. */
    build(read - 1);
    assert_int_equal(scene->cell_count, 0);
    build(read);
    assert_int_equal(scene->cell_count, 1);
    assert_int_equal(scene->cells[0].side, UI_CLIENT);
    assert_string_equal(scene->cells[0].c_type, "unsigned char *");
    assert_memory_equal(scene->cells[0].value, "hello, world", 13);
    build(written);
    assert_int_equal(scene->cell_count, 2);
    assert_int_equal(scene->cells[1].side, UI_SERVER);
    assert_true(scene->cells[1].written);
    assert_int_not_equal(scene->cells[0].address, scene->cells[1].address); /* a pointer cannot cross */
    assert_int_equal(scene->cells[0].param, scene->cells[1].param);       /* one colour for both */

    /* The client's buffer fills field by field: max_count, offset, actual_count, the chars. */
    build(read + 4);
    assert_int_equal(scene->buffer_count, 1);
    const ui_buffer *b = &scene->buffers[0];
    assert_int_equal(b->len, 25);
    assert_int_equal(b->field_count, 4);
    assert_int_equal(b->fields[0].role, RS_NDR_ROLE_MAX_COUNT);
    assert_int_equal(b->fields[3].offset, 12);
    assert_int_equal(b->fields[3].step, read + 4);
    assert_int_equal(ui_scene_field_at(b, 0), 0);
    assert_int_equal(ui_scene_field_at(b, 11), 2);
    assert_int_equal(ui_scene_field_at(b, 24), 3);
    assert_int_equal(ui_scene_field_at(b, 25), -1);

    /* The whole call: four PDUs, each received; the request's stub data is the client's buffer. */
    build(n - 1);
    assert_int_equal(scene->pdu_count, 4);
    for (size_t i = 0; i < scene->pdu_count; i++)
        assert_true(scene->pdus[i].received_step != SIZE_MAX);
    assert_int_equal(scene->pdus[2].ptype, RS_PTYPE_REQUEST);
    assert_int_equal(scene->pdus[2].buffer, 0);
    assert_int_equal(scene->pdus[2].stub_offset, 0);
    assert_int_equal(scene->pdus[0].buffer, -1); /* bind: no stub data */
    assert_int_equal(ui_scene_pdu_by_step(scene, scene->pdus[2].sent_step), 2);
    assert_int_equal(ui_scene_buffer_by_step(scene, scene->buffers[1].fields[0].step), 1);
    assert_int_equal(scene->link_count, 4);
    assert_string_equal(scene->sides[UI_SERVER].binding, "ncacn_ip_tcp:127.0.0.1[4747]");
    assert_false(scene->fault);
}

static void test_parameters_keep_their_colour(void **state)
{
    (void)state;
    /* The colours come from the whole timeline: known at step 0 already. */
    build(0);
    assert_int_equal(scene->param_count, 1);
    assert_string_equal(scene->params[0], "pszString");
    assert_int_equal(ui_scene_param_find(scene, "pszString"), 0);
    assert_int_equal(ui_scene_param_find(scene, "nothing"), -1);
    assert_int_equal(ui_scene_param(scene, "s.count"), 1);
    assert_int_equal(ui_scene_param(scene, "s->next"), 1); /* the same top-level name */
}

static void test_token_moves_from_lane_to_lane(void **state)
{
    (void)state;
    size_t sent = ui_demo_find(hello, 0, RS_TRACE_PDU_SENT, NULL);
    build(sent + 1); /* the server receives the bind */
    assert_int_equal(scene->prev_token_side, UI_CLIENT);
    assert_int_equal(scene->prev_token_layer, RS_TRACE_LAYER_TRANSPORT);
    assert_int_equal(scene->token_side, UI_SERVER);
    assert_int_equal(scene->token_layer, RS_TRACE_LAYER_TRANSPORT);
    assert_int_equal(scene->lane_last[UI_SERVER][RS_TRACE_LAYER_TRANSPORT], sent + 1);
}

static void test_conventions(void **state)
{
    (void)state;
    /* A PDU in flight, then the fault injection's "dropped" error. */
    const uint8_t pdu[16] = {5, 0, 0, 3, 0x10, 0, 0, 0, 16, 0, 0, 0, 9, 0, 0, 0};
    rs_trace_event sent = {.kind = RS_TRACE_PDU_SENT, .role = RS_TRACE_ROLE_CLIENT, .bytes = pdu, .bytes_len = 16};
    rs_trace_event drop = {.kind = RS_TRACE_ERROR, .role = RS_TRACE_ROLE_CLIENT, .text = "dropped by fault injection"};
    /* Two messages of the same call id: a field at offset 0 begins the second. */
    const uint8_t one[4] = {1, 0, 0, 0};
    rs_trace_event put1 = {.kind = RS_TRACE_NDR_PUT, .role = RS_TRACE_ROLE_CLIENT, .name = "a", .ndr_type = "long",
                           .length = 4, .bytes = one, .bytes_len = 4};
    rs_trace_event put2 = put1;
    const rs_trace_event *events[] = {&sent, &drop, &put1, &put2};
    ui_scene_build(scene, events, 4, 3);
    assert_int_equal(scene->pdu_count, 1);
    assert_true(scene->pdus[0].dropped);
    assert_int_equal(scene->pdus[0].call_id, 9);
    assert_int_equal(scene->buffer_count, 2);
    assert_int_equal(scene->current_buffer, 1);
    /* The lesson's kill-server fault: the server's last words mark it crashed, from that step. */
    rs_trace_event listen = {.kind = RS_TRACE_LISTEN, .role = RS_TRACE_ROLE_SERVER, .pid = 77,
                             .text = "ncacn_ip_tcp:127.0.0.1[4747]"};
    rs_trace_event killed = {.kind = RS_TRACE_ERROR, .role = RS_TRACE_ROLE_SERVER, .pid = 77,
                             .text = "injected: kill-server on HelloProc: the server process is killed"};
    rs_trace_event other = {.kind = RS_TRACE_ERROR, .role = RS_TRACE_ROLE_SERVER, .pid = 77,
                            .text = "injected: raise nca_s_fault_int_div_by_zero on Divide"};
    const rs_trace_event *crash[] = {&listen, &other, &killed};
    ui_scene_build(scene, crash, 3, 1);
    assert_false(scene->sides[UI_SERVER].crashed); /* another fault is not a crash */
    ui_scene_build(scene, crash, 3, 2);
    assert_true(scene->sides[UI_SERVER].crashed);
    assert_non_null(strstr(scene->sides[UI_SERVER].crash_reason, "SIGKILL"));
    assert_false(scene->sides[UI_CLIENT].crashed);
    ui_scene_build(scene, crash, 3, 1); /* stepping back: not yet */
    assert_false(scene->sides[UI_SERVER].crashed);

    /* A late response: the client closed the connection (its timeout) while the response was
     * on its way; nobody will read it. The close of another connection changes nothing. */
    rs_trace_event late = {.kind = RS_TRACE_PDU_SENT, .role = RS_TRACE_ROLE_SERVER, .bytes = pdu,
                           .bytes_len = 16, .text = "response  127.0.0.1:4747 -> 127.0.0.1:50312"};
    rs_trace_event other_close = {.kind = RS_TRACE_CLOSE, .role = RS_TRACE_ROLE_CLIENT,
                                  .text = "127.0.0.1:50999 -> 127.0.0.1:4747"};
    rs_trace_event client_close = {.kind = RS_TRACE_CLOSE, .role = RS_TRACE_ROLE_CLIENT,
                                   .text = "127.0.0.1:50312 -> 127.0.0.1:4747"};
    const rs_trace_event *gone[] = {&late, &other_close, &client_close};
    ui_scene_build(scene, gone, 3, 1);
    assert_false(scene->pdus[0].dropped);
    assert_string_equal(scene->pdus[0].to, "127.0.0.1:50312");
    ui_scene_build(scene, gone, 3, 2);
    assert_true(scene->pdus[0].dropped);
    assert_true(scene->pdus[0].closed);
    /* ncalrpc: every client end is "local"; one client closing loses nobody else's packets. */
    rs_trace_event lrpc = late, lrpc_close = client_close;
    lrpc.text = "response  ncalrpc:[hello] -> local";
    lrpc_close.text = "local -> ncalrpc:[hello]";
    const rs_trace_event *shared[] = {&lrpc, &lrpc_close};
    ui_scene_build(scene, shared, 2, 1);
    assert_false(scene->pdus[0].dropped);

    /* An empty timeline is an empty scene. */
    ui_scene_build(scene, events, 0, 0);
    assert_int_equal(scene->step, SIZE_MAX);
    assert_null(scene->current);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hello_step_by_step),
        cmocka_unit_test(test_parameters_keep_their_colour),
        cmocka_unit_test(test_token_moves_from_lane_to_lane),
        cmocka_unit_test(test_conventions),
    };
    return cmocka_run_group_tests_name("ui_scene", tests, setup, teardown);
}
