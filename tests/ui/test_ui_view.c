/* test_ui_view.c -- the window without pixels: the draw list and the frame facts of
 * ui_view_build(), measured with a fixed-width stand-in for the fonts.
 *
 * Layout at 1024x640, 1920x1080 and 3840x2160 in both themes (everything inside the window, no
 * panels overlapping, type that grows with the window); the inspector's highlighted bytes for a
 * selected parameter, byte and field; the packet and the token at mid-animation; the review
 * banner; NULL pointers, faults, a crashed process; hit testing; a 64 KiB buffer drawn by its
 * visible rows only; and the same inputs giving the same list. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "demo.h"
#include "format.h"
#include "layout.h"
#include "pdu.h"
#include "scene.h"
#include "theme.h"
#include "view.h"

static ui_draw_list dl, dl2; /* large: keep them off the stack */
static ui_view_frame frame;
static ui_demo *hello;
static ui_scene *scene;

/* Every byte is 0.6 of the size wide, about what DejaVu Sans Mono is. */
static float fixed_measure(void *ctx, ui_font font, int size, const char *text, size_t len)
{
    (void)ctx;
    (void)font;
    size_t chars = 0;
    for (size_t i = 0; i < len; i++)
        if (((unsigned char)text[i] & 0xC0) != 0x80)
            chars++;
    return (float)chars * (float)size * 0.6f;
}

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

static void at_step(const ui_demo *d, size_t step)
{
    ui_scene_build(scene, ui_demo_events(d), ui_demo_count(d), step);
}

static void build(const ui_view_state *vs, ui_theme_id theme, int w, int h)
{
    ui_view_build(&dl, scene, vs, ui_theme_get(theme), w, h, fixed_measure, NULL, &frame);
    assert_false(dl.overflow);
}

/* The first text command containing `needle`, or NULL. */
static const ui_command *find_text(const ui_draw_list *list, const char *needle)
{
    for (size_t i = 0; i < list->count; i++) {
        const ui_command *c = &list->commands[i];
        if (c->kind != UI_CMD_TEXT)
            continue;
        const char *t = ui_command_text(list, c);
        size_t n = strlen(needle);
        for (size_t k = 0; k + n <= c->text_len; k++)
            if (memcmp(t + k, needle, n) == 0)
                return c;
    }
    return NULL;
}

/* The first text inside rect r containing `needle`, or NULL. */
static const ui_command *find_text_in(ui_rect r, const char *needle)
{
    size_t n = strlen(needle);
    for (size_t i = 0; i < dl.count; i++) {
        const ui_command *c = &dl.commands[i];
        if (c->kind != UI_CMD_TEXT || c->r.x < r.x || c->r.y < r.y || c->r.x >= r.x + r.w || c->r.y >= r.y + r.h)
            continue;
        const char *t = ui_command_text(&dl, c);
        for (size_t k = 0; k + n <= c->text_len; k++)
            if (memcmp(t + k, needle, n) == 0)
                return c;
    }
    return NULL;
}

static const ui_command *find_id(int id, ui_command_kind kind)
{
    for (size_t i = 0; i < dl.count; i++)
        if (dl.commands[i].id == id && dl.commands[i].kind == kind)
            return &dl.commands[i];
    return NULL;
}

static bool inside(ui_rect inner, ui_rect outer)
{
    const float slack = 0.5f;
    return inner.x >= outer.x - slack && inner.y >= outer.y - slack && inner.x + inner.w <= outer.x + outer.w + slack &&
           inner.y + inner.h <= outer.y + outer.h + slack;
}

static float centre_x(ui_rect r)
{
    return r.x + r.w / 2;
}

/* ---- layout ------------------------------------------------------------------------------------ */

static void check_layout(ui_theme_id theme, int w, int h, float inspector, float timeline)
{
    const ui_layout *l = &frame.layout;
    ui_rect window = {0, 0, (float)w, (float)h};
    ui_rect panels[] = {l->header, l->stage, l->inspector, l->timeline, l->hints};
    for (size_t i = 0; i < 5; i++) {
        if (ui_rect_empty(panels[i]))
            continue;
        assert_true(inside(panels[i], window));
        for (size_t j = i + 1; j < 5; j++)
            if (!ui_rect_empty(panels[j]))
                assert_false(ui_rect_overlaps(panels[i], panels[j], 0.5f));
    }
    assert_true(ui_rect_empty(l->inspector) == (inspector == 0));
    assert_true(ui_rect_empty(l->timeline) == (timeline == 0));
    /* The stage: two sides and the network between them, lanes and memory inside each side. */
    assert_true(inside(l->side[UI_CLIENT], l->stage) && inside(l->side[UI_SERVER], l->stage));
    assert_true(inside(l->network, l->stage));
    assert_false(ui_rect_overlaps(l->side[UI_CLIENT], l->network, 0.5f));
    assert_false(ui_rect_overlaps(l->side[UI_SERVER], l->network, 0.5f));
    assert_true(l->side[UI_CLIENT].x < l->network.x && l->network.x < l->side[UI_SERVER].x);
    for (int s = 0; s < UI_SIDES; s++) {
        assert_true(inside(l->memory[s], l->side[s]));
        assert_false(ui_rect_overlaps(l->memory[s], l->lanes[s], 0.5f));
        assert_true(l->grid.rows >= 1); /* at least one row of memory cells, always */
        for (int i = 0; i < UI_LANES; i++) {
            assert_true(inside(l->lane[s][i], l->lanes[s]));
            assert_true(l->lane[s][i].h >= l->m.line);
            if (i > 0)
                assert_true(l->lane[s][i].y >= l->lane[s][i - 1].y + l->lane[s][i - 1].h);
        }
    }
    assert_true(l->wire_y > l->lane[UI_CLIENT][UI_LANES - 1].y);
    /* Nothing drawn outside the window, and every text inside the window too. */
    for (size_t i = 0; i < dl.count; i++) {
        const ui_command *c = &dl.commands[i];
        if (c->kind == UI_CMD_LINE || c->kind == UI_CMD_ARROW || c->kind == UI_CMD_CLIP)
            continue;
        if (!inside(c->r, window)) {
            fprintf(stderr, "%s %dx%d: command %zu (kind %d) at %.1f,%.1f %.1fx%.1f\n", ui_theme_get(theme)->name, w, h,
                    i, c->kind, c->r.x, c->r.y, c->r.w, c->r.h);
            fail();
        }
    }
}

static void test_layout_at_every_size(void **state)
{
    (void)state;
    static const int sizes[][2] = {{1024, 640}, {1920, 1080}, {3840, 2160}};
    at_step(hello, ui_demo_find(hello, 0, RS_TRACE_PARAM_WRITTEN, "pszString"));
    ui_view_state vs;
    ui_view_state_init(&vs);
    for (int theme = 0; theme < UI_THEME_COUNT; theme++) {
        int previous_narration = 0, previous_body = 0;
        for (size_t i = 0; i < 3; i++) {
            for (int panels = 0; panels < 4; panels++) {
                vs.inspector = panels & 1 ? 1.0f : 0.0f;
                vs.timeline = panels & 2 ? 1.0f : 0.0f;
                build(&vs, (ui_theme_id)theme, sizes[i][0], sizes[i][1]);
                check_layout((ui_theme_id)theme, sizes[i][0], sizes[i][1], vs.inspector, vs.timeline);
            }
            /* Type grows with the window. */
            const ui_metrics *m = &frame.layout.m;
            assert_true(m->narration > previous_narration && m->body > previous_body);
            assert_true(m->narration > m->title && m->title > m->body && m->body >= m->small);
            previous_narration = m->narration;
            previous_body = m->body;
        }
    }
    /* The projector's type is bigger than the normal theme's at the same size. */
    vs.inspector = vs.timeline = 0;
    build(&vs, UI_THEME_NORMAL, 1920, 1080);
    int normal = frame.layout.m.body;
    build(&vs, UI_THEME_PROJECTOR, 1920, 1080);
    assert_true(frame.layout.m.body > normal);
    /* A half-open panel is a smaller panel, not a different layout. */
    vs.inspector = 0.5f;
    build(&vs, UI_THEME_NORMAL, 1920, 1080);
    float half = frame.layout.inspector.h;
    vs.inspector = 1;
    build(&vs, UI_THEME_NORMAL, 1920, 1080);
    assert_true(half > 0 && fabsf(half * 2 - frame.layout.inspector.h) < 2);
}

static bool same_rect(ui_rect a, ui_rect b)
{
    return a.x == b.x && a.y == b.y && a.w == b.w && a.h == b.h;
}

/* Field by field: a structure's padding bytes are not part of its value. */
static bool same_layout(const ui_layout *a, const ui_layout *b)
{
    bool same = same_rect(a->header, b->header) && same_rect(a->stage, b->stage) &&
                same_rect(a->network, b->network) && same_rect(a->inspector, b->inspector) &&
                same_rect(a->timeline, b->timeline) && same_rect(a->hints, b->hints) && a->wire_y == b->wire_y &&
                a->grid.mode == b->grid.mode && a->grid.cols == b->grid.cols && a->grid.rows == b->grid.rows &&
                a->grid.cell_w == b->grid.cell_w && a->grid.cell_h == b->grid.cell_h;
    for (int s = 0; s < UI_SIDES && same; s++) {
        same = same_rect(a->side[s], b->side[s]) && same_rect(a->memory[s], b->memory[s]) &&
               same_rect(a->lanes[s], b->lanes[s]) && a->token_x[s] == b->token_x[s];
        for (int i = 0; i < UI_LANES && same; i++)
            same = same_rect(a->lane[s][i], b->lane[s][i]);
    }
    return same;
}

static void test_positions_are_stable_across_steps(void **state)
{
    (void)state;
    ui_view_state vs;
    ui_view_state_init(&vs);
    vs.inspector = 1;
    at_step(hello, 2);
    build(&vs, UI_THEME_NORMAL, 1280, 800);
    ui_layout before = frame.layout;
    at_step(hello, ui_demo_count(hello) - 1);
    build(&vs, UI_THEME_NORMAL, 1280, 800);
    assert_true(same_layout(&before, &frame.layout));
    /* The client's cell is where it was. */
    at_step(hello, ui_demo_find(hello, 0, RS_TRACE_PARAM_READ, "pszString"));
    build(&vs, UI_THEME_NORMAL, 1280, 800);
    ui_rect early = find_id(ui_view_id(UI_HIT_CELL, 0), UI_CMD_RECT)->r;
    at_step(hello, ui_demo_count(hello) - 1);
    build(&vs, UI_THEME_NORMAL, 1280, 800);
    ui_rect late = find_id(ui_view_id(UI_HIT_CELL, 0), UI_CMD_RECT)->r;
    assert_memory_equal(&early, &late, sizeof early);
    /* The server's copy faces it, at the same height. */
    ui_rect server = find_id(ui_view_id(UI_HIT_CELL, 1), UI_CMD_RECT)->r;
    assert_true(server.y == late.y && server.x > late.x);
}

/* ---- the inspector ------------------------------------------------------------------------------ */

static void test_selected_parameter_lights_its_bytes(void **state)
{
    (void)state;
    size_t last_put = ui_demo_find(hello, 0, RS_TRACE_CONNECT, NULL) - 1; /* the chars, marshalled */
    at_step(hello, last_put);
    ui_view_state vs;
    ui_view_state_init(&vs);
    vs.inspector = 1;
    build(&vs, UI_THEME_NORMAL, 1280, 800);
    assert_int_equal(frame.inspected.kind, UI_INSPECT_BUFFER);
    assert_int_equal(frame.inspected_len, 25);
    assert_int_equal(frame.focus_param, -1);

    /* Select the client's memory cell: all of its bytes, counts and chars, 0 to 25. */
    vs.selected = (ui_hit){UI_HIT_CELL, 0, {0}};
    build(&vs, UI_THEME_NORMAL, 1280, 800);
    assert_int_equal(frame.focus_param, 0);
    assert_int_equal(frame.focus_begin, 0);
    assert_int_equal(frame.focus_end, 25);

    /* Hover a byte of the offset field (4..8): that field alone; hovering wins over selecting. */
    build(&vs, UI_THEME_NORMAL, 1280, 800);
    const ui_command *byte = find_id(ui_view_id(UI_HIT_BYTE, 5), UI_CMD_TEXT);
    assert_non_null(byte);
    assert_memory_equal(ui_command_text(&dl, byte), "00", 2);
    ui_hit h = ui_view_hit(&dl, &frame, byte->r.x + byte->r.w / 2, byte->r.y + byte->r.h / 2);
    assert_int_equal(h.kind, UI_HIT_BYTE);
    assert_int_equal(h.index, 5);
    assert_int_equal(h.in.kind, UI_INSPECT_BUFFER);
    vs.hover = h;
    build(&vs, UI_THEME_NORMAL, 1280, 800);
    assert_int_equal(frame.focus_begin, 4);
    assert_int_equal(frame.focus_end, 8);
    assert_non_null(find_text(&dl, "pszString \xC2\xB7 offset = 0")); /* the tooltip names it */
    assert_non_null(find_text(&dl, "written by the client at step"));

    /* A field row of the tree: the chars, 12 to 25. */
    vs.hover = (ui_hit){UI_HIT_FIELD, 3, frame.inspected};
    build(&vs, UI_THEME_NORMAL, 1280, 800);
    assert_int_equal(frame.focus_begin, 12);
    assert_int_equal(frame.focus_end, 25);
    assert_non_null(find_id(ui_view_id(UI_HIT_FIELD, 3), UI_CMD_RECT));

    /* The bytes are 16 to a row. */
    const ui_command *b0 = find_id(ui_view_id(UI_HIT_BYTE, 0), UI_CMD_TEXT);
    const ui_command *b15 = find_id(ui_view_id(UI_HIT_BYTE, 15), UI_CMD_TEXT);
    const ui_command *b16 = find_id(ui_view_id(UI_HIT_BYTE, 16), UI_CMD_TEXT);
    assert_true(b0->r.y == b15->r.y && b16->r.y > b0->r.y && b16->r.x == b0->r.x);
}

static void test_pdu_header_decoded(void **state)
{
    (void)state;
    size_t sent = ui_demo_find(hello, 0, RS_TRACE_PDU_SENT, NULL);
    sent = ui_demo_find(hello, sent + 1, RS_TRACE_PDU_SENT, NULL);
    sent = ui_demo_find(hello, sent + 1, RS_TRACE_PDU_SENT, NULL); /* the request */
    at_step(hello, sent);
    ui_view_state vs;
    ui_view_state_init(&vs);
    vs.inspector = 1;
    build(&vs, UI_THEME_NORMAL, 1920, 1080);
    assert_int_equal(frame.inspected.kind, UI_INSPECT_PDU);
    assert_int_equal(frame.inspected.step, sent);
    assert_non_null(find_text(&dl, "PDU \xC2\xB7 request"));
    assert_non_null(find_text(&dl, "drep 10 00 00 00 = little-endian, ASCII, IEEE"));
    assert_non_null(find_text(&dl, "PFC_FIRST_FRAG"));
    assert_non_null(find_text(&dl, "frag_length"));
    /* The stub bytes in the PDU belong to pszString: byte 24 + 12 is the first char. */
    vs.hover = (ui_hit){UI_HIT_BYTE, 24 + 12, frame.inspected};
    build(&vs, UI_THEME_NORMAL, 1920, 1080);
    assert_int_equal(frame.focus_param, 0);
    assert_int_equal(frame.focus_begin, 24 + 12);
    assert_int_equal(frame.focus_end, 24 + 25);
    /* A header byte: its header field. */
    vs.hover = (ui_hit){UI_HIT_BYTE, 9, frame.inspected};
    build(&vs, UI_THEME_NORMAL, 1920, 1080);
    assert_int_equal(frame.focus_begin, 8);
    assert_int_equal(frame.focus_end, 10); /* frag_length */
    assert_non_null(find_text(&dl, "frag_length = 49"));
    /* Selecting a PDU pins the inspector to it at later steps. */
    vs.hover = (ui_hit){0};
    vs.selected = (ui_hit){UI_HIT_PDU, (int)sent, {0}};
    at_step(hello, ui_demo_count(hello) - 1);
    build(&vs, UI_THEME_NORMAL, 1920, 1080);
    assert_int_equal(frame.inspected.kind, UI_INSPECT_PDU);
    assert_int_equal(frame.inspected.step, sent);
}

static void test_big_buffer_draws_visible_rows_only(void **state)
{
    (void)state;
    ui_demo *busy = ui_demo_create(UI_DEMO_BUSY);
    assert_non_null(busy);
    size_t data = ui_demo_find(busy, 0, RS_TRACE_NDR_PUT, "data");
    data = ui_demo_find(busy, data + 1, RS_TRACE_NDR_PUT, "data"); /* the 64 KiB block */
    ui_scene_build(scene, ui_demo_events(busy), ui_demo_count(busy), data);
    ui_view_state vs;
    ui_view_state_init(&vs);
    vs.inspector = 1;
    vs.timeline = 1;
    build(&vs, UI_THEME_NORMAL, 1920, 1080);
    assert_true(frame.inspected_len > 65536);
    assert_int_equal(frame.hex_rows, (int)((frame.inspected_len + 15) / 16));
    assert_true(frame.hex_visible_rows > 3 && frame.hex_visible_rows < 40);
    size_t bytes = 0;
    for (size_t i = 0; i < dl.count; i++)
        if (dl.commands[i].id >> UI_VIEW_INDEX_BITS == UI_HIT_BYTE && dl.commands[i].kind == UI_CMD_TEXT)
            bytes++;
    assert_true(bytes <= (size_t)frame.hex_visible_rows * 16 * 2); /* hex and its character */
    /* It follows the field written last: the end of the block is in view. */
    assert_true(frame.hex_first_row + frame.hex_visible_rows >= (int)((8 + 65536) / 16));
    /* Scrolled by hand, it shows the rows asked for, clamped. */
    vs.inspector_scroll = 100;
    build(&vs, UI_THEME_NORMAL, 1920, 1080);
    assert_int_equal(frame.hex_first_row, 100);
    vs.inspector_scroll = 1 << 20;
    build(&vs, UI_THEME_NORMAL, 1920, 1080);
    assert_int_equal(frame.hex_first_row + frame.hex_visible_rows, frame.hex_rows);
    /* The timeline shows a window of its 3000 events around the current one. */
    assert_true(frame.timeline_visible > 10 && frame.timeline_visible < (int)ui_demo_count(busy));
    assert_true((size_t)frame.timeline_first <= data && data < (size_t)(frame.timeline_first + frame.timeline_visible));
    ui_demo_destroy(busy);
}

/* ---- motion ------------------------------------------------------------------------------------- */

static const ui_view_packet *packet_sent_at(size_t step)
{
    for (size_t i = 0; i < frame.packet_count; i++)
        if (frame.packets[i].sent_step == step)
            return &frame.packets[i];
    return NULL;
}

static void test_packet_crosses_at_mid_animation(void **state)
{
    (void)state;
    size_t sent = ui_demo_find(hello, 0, RS_TRACE_PDU_SENT, NULL); /* the bind, client to server */
    at_step(hello, sent);
    ui_view_state vs;
    ui_view_state_init(&vs);
    float client = 0, server = 0, xs[3];
    const float ts[3] = {0, 0.5f, 1};
    for (int i = 0; i < 3; i++) {
        vs.t = ts[i];
        build(&vs, UI_THEME_NORMAL, 1280, 800);
        client = frame.layout.token_x[UI_CLIENT];
        server = frame.layout.token_x[UI_SERVER];
        const ui_view_packet *p = packet_sent_at(sent);
        assert_non_null(p);
        xs[i] = centre_x(p->r);
        /* The draw list has the packet where the frame says, with its id for clicking. */
        const ui_command *c = find_id(ui_view_id(UI_HIT_PDU, (int)sent), UI_CMD_RECT);
        assert_non_null(c);
        assert_true(fabsf(centre_x(c->r) - xs[i]) < 1);
    }
    /* Sending: from the sender to the middle of the wire, eased; t = 0.5 is between. */
    assert_true(fabsf(xs[0] - client) < 1);
    assert_true(xs[1] > client && xs[1] < server);
    assert_true(xs[0] < xs[1] && xs[1] < xs[2]);
    assert_true(fabsf(xs[2] - (client + server) / 2) < 1);
    assert_non_null(find_text(&dl, "bind"));

    /* Receiving: from the middle to the receiver. */
    at_step(hello, sent + 1);
    vs.t = 0.5f;
    build(&vs, UI_THEME_NORMAL, 1280, 800);
    const ui_view_packet *p = packet_sent_at(sent);
    assert_non_null(p);
    assert_true(centre_x(p->r) > (client + server) / 2 && centre_x(p->r) < server);
    assert_true(p->progress > 0.5f && p->progress < 1);
    /* And the token crosses with it, from the client's transport lane to the server's. */
    assert_true(centre_x(frame.token) > client && centre_x(frame.token) < server);
    /* Once received, the packet is gone from the wire. */
    at_step(hello, sent + 2);
    build(&vs, UI_THEME_NORMAL, 1280, 800);
    assert_null(packet_sent_at(sent));
}

static void test_token_moves_between_lanes(void **state)
{
    (void)state;
    size_t call = ui_demo_find(hello, 0, RS_TRACE_CALL_BEGIN, NULL);
    at_step(hello, call + 1); /* application -> stub, on the client */
    ui_view_state vs;
    ui_view_state_init(&vs);
    vs.t = 0;
    build(&vs, UI_THEME_NORMAL, 1280, 800);
    ui_rect app = frame.layout.lane[UI_CLIENT][0], stub = frame.layout.lane[UI_CLIENT][1];
    float y0 = frame.token.y + frame.token.h / 2;
    assert_true(fabsf(y0 - (app.y + app.h / 2)) < 1);
    vs.t = 0.5f;
    build(&vs, UI_THEME_NORMAL, 1280, 800);
    float y1 = frame.token.y + frame.token.h / 2;
    assert_true(y1 > app.y + app.h / 2 && y1 < stub.y + stub.h / 2);
    vs.t = 1;
    build(&vs, UI_THEME_NORMAL, 1280, 800);
    assert_true(fabsf(frame.token.y + frame.token.h / 2 - (stub.y + stub.h / 2)) < 1);
}

/* ---- words on screen ---------------------------------------------------------------------------- */

static void test_narration_counter_and_review_banner(void **state)
{
    (void)state;
    at_step(hello, 13);
    ui_view_state vs;
    ui_view_state_init(&vs);
    vs.live_step = 29;
    build(&vs, UI_THEME_NORMAL, 1024, 640);
    assert_non_null(find_text(&dl, "Step 14 of 34"));
    assert_non_null(find_text(&dl, "reviewing step 14 \xE2\x80\x94 live at 30"));
    /* At the live step: no banner. In a replay (no live step): none either. */
    vs.live_step = 13;
    build(&vs, UI_THEME_NORMAL, 1024, 640);
    assert_null(find_text(&dl, "reviewing"));
    vs.live_step = SIZE_MAX;
    build(&vs, UI_THEME_NORMAL, 1024, 640);
    assert_null(find_text(&dl, "reviewing"));
    /* The event's own sentence, until the lesson has words for the step. */
    char sentence[256];
    ui_format_event(sentence, sizeof sentence, ui_demo_events(hello)[13]);
    assert_non_null(find_text(&dl, "The server accepts the bind"));
    vs.narration = "The server agrees to speak the interface: the call can go ahead.";
    build(&vs, UI_THEME_PROJECTOR, 1024, 640);
    assert_non_null(find_text(&dl, "The server agrees"));
    /* Play state and speed. */
    vs.playing = true;
    vs.speed = 2;
    build(&vs, UI_THEME_NORMAL, 1024, 640);
    assert_non_null(find_text(&dl, "playing \xC2\xB7 2\xC3\x97"));
}

/* About DejaVu Sans's average advance in English text: half the size. */
static float sans_measure(void *ctx, ui_font font, int size, const char *text, size_t len)
{
    return fixed_measure(ctx, font, size, text, len) * (0.5f / 0.6f);
}

/* The narration as drawn: its text commands in the narration's column of the header, joined by
 * spaces into `out`; their size in *size (0 if they differ) and whether one ends cut. */
static size_t narration_drawn(char *out, size_t cap, int *size, bool *cut)
{
    const ui_layout *l = &frame.layout;
    size_t n = 0, lines = 0;
    *size = -1;
    *cut = false;
    out[0] = '\0';
    for (size_t i = 0; i < dl.count; i++) {
        const ui_command *c = &dl.commands[i];
        if (c->kind != UI_CMD_TEXT || c->size <= l->m.body || c->r.x >= l->status.x ||
            c->r.y + c->r.h > l->header.y + l->header.h)
            continue;
        const char *t = ui_command_text(&dl, c);
        *size = *size == -1 || *size == c->size ? c->size : 0;
        if (c->text_len >= 3 && memcmp(t + c->text_len - 3, "\xE2\x80\xA6", 3) == 0)
            *cut = true;
        n += (size_t)snprintf(out + n, cap - n, "%s%.*s", lines ? " " : "", (int)c->text_len, t);
        assert_true(n < cap);
        lines++;
    }
    return lines;
}

static void test_long_narration_is_read_in_full(void **state)
{
    (void)state;
    /* The longest narration of the hello lesson (step 3). */
    static const char longest[] =
        "The stub reads the parameter from the client's memory. pszString is a pointer: an address that means "
        "something only inside this process. The server has its own address space, where that number points to "
        "nothing, or to something else. So the stub does not send the pointer: it follows it and reads the 13 "
        "bytes it points to, \"hello, world\" and its terminating zero.";
    static const char shorter[] = "The request goes out.";
    static const int sizes[][2] = {{1280, 800}, {1600, 900}, {1920, 1080}};
    static char drawn[4096], endless[2400];
    for (size_t i = 0; i + 1 < sizeof endless; i++)
        endless[i] = "word "[i % 5];
    at_step(hello, 2);
    ui_view_state vs;
    ui_view_state_init(&vs);
    vs.inspector = vs.timeline = 1;
    for (int theme = 0; theme < UI_THEME_COUNT; theme++) {
        for (size_t i = 0; i < 3; i++) {
            int w = sizes[i][0], h = sizes[i][1], size;
            bool cut;
            const ui_theme *t = ui_theme_get((ui_theme_id)theme);
            /* A short narration: full size, and the event's own sentence under it. */
            vs.narration = shorter;
            ui_view_build(&dl, scene, &vs, t, w, h, sans_measure, NULL, &frame);
            ui_layout before = frame.layout;
            assert_int_equal(narration_drawn(drawn, sizeof drawn, &size, &cut), 1);
            assert_int_equal(size, frame.layout.m.narration);
            assert_false(cut);
            const ui_command *detail = find_text_in(frame.layout.header, "The client stub reads");
            assert_non_null(detail); /* right under the narration's line */
            assert_true(fabsf(detail->r.y - (frame.layout.narration.y + frame.layout.m.narration_line)) < 1);
            /* The longest: every word of it, smaller but larger than body text, not cut, and
             * nothing else in the window moved. */
            vs.narration = longest;
            ui_view_build(&dl, scene, &vs, t, w, h, sans_measure, NULL, &frame);
            assert_false(dl.overflow);
            assert_true(narration_drawn(drawn, sizeof drawn, &size, &cut) >= 3);
            assert_false(cut);
            assert_string_equal(drawn, longest);
            assert_true(size >= frame.layout.m.narration_min && size > frame.layout.m.body);
            assert_true(same_layout(&before, &frame.layout));
            check_layout((ui_theme_id)theme, w, h, 1, 1);
            /* Past any sensible length: the smallest size, cut with an ellipsis, in the header. */
            vs.narration = endless;
            ui_view_build(&dl, scene, &vs, t, w, h, sans_measure, NULL, &frame);
            narration_drawn(drawn, sizeof drawn, &size, &cut);
            assert_true(cut);
            assert_int_equal(size, frame.layout.m.narration_min);
            assert_true(same_layout(&before, &frame.layout));
            check_layout((ui_theme_id)theme, w, h, 1, 1);
        }
    }
}

static void test_memory_shows_why_a_pointer_cannot_cross(void **state)
{
    (void)state;
    at_step(hello, ui_demo_find(hello, 0, RS_TRACE_PARAM_WRITTEN, "pszString"));
    ui_view_state vs;
    ui_view_state_init(&vs);
    build(&vs, UI_THEME_NORMAL, 1280, 800);
    /* Each address in its own cell: the client's on the left, the server's on the right. */
    ui_rect client_cell = find_id(ui_view_id(UI_HIT_CELL, 0), UI_CMD_RECT)->r;
    ui_rect server_cell = find_id(ui_view_id(UI_HIT_CELL, 1), UI_CMD_RECT)->r;
    const ui_command *client = find_text_in(client_cell, "0x55d0c3a1f2a0");
    const ui_command *server = find_text_in(server_cell, "0x7f3a1c000b70");
    assert_non_null(client);
    assert_non_null(server);
    assert_int_equal(client->text_len, 14); /* whole, not cut */
    assert_int_equal(server->text_len, 14);
    assert_true(client->r.x < frame.layout.network.x && server->r.x > frame.layout.network.x);
    assert_null(find_text_in(client_cell, "0x7f3a1c000b70"));
    assert_non_null(find_text(&dl, "\xE2\x89\xA0 the client's 0x55d0c3a1f2a0"));
    assert_non_null(find_text(&dl, "\"hello, world\""));
    assert_non_null(find_text(&dl, "unsigned char *"));
}

static void test_null_pointer_is_visibly_null(void **state)
{
    (void)state;
    ui_demo *d = ui_demo_create(UI_DEMO_POINTERS);
    assert_non_null(d);
    ui_scene_build(scene, ui_demo_events(d), ui_demo_count(d), ui_demo_find(d, 0, RS_TRACE_PARAM_READ, "flags"));
    ui_view_state vs;
    ui_view_state_init(&vs);
    build(&vs, UI_THEME_NORMAL, 1920, 1080);
    int age = -1;
    for (size_t i = 0; i < scene->cell_count; i++)
        if (strcmp(scene->cells[i].name, "pAge") == 0)
            age = (int)i;
    assert_true(age >= 0);
    ui_rect cell = find_id(ui_view_id(UI_HIT_CELL, age), UI_CMD_RECT)->r;
    const ui_command *null = find_text(&dl, "NULL");
    assert_non_null(null);
    assert_true(inside(null->r, cell));
    assert_non_null(find_text(&dl, "points to nothing"));
    ui_view_state_init(&vs);
    vs.inspector = 1;
    ui_scene_build(scene, ui_demo_events(d), ui_demo_count(d), ui_demo_find(d, 0, RS_TRACE_CONNECT, NULL) - 1);
    build(&vs, UI_THEME_NORMAL, 1920, 1080);
    assert_non_null(find_text(&dl, "referent id")); /* labelled in the dump and the tree */
    assert_non_null(find_text(&dl, "0x00020000"));
    ui_demo_destroy(d);
}

static void test_fault_and_crash_are_unmistakable(void **state)
{
    (void)state;
    ui_demo *d = ui_demo_create(UI_DEMO_FAULT);
    assert_non_null(d);
    size_t fault = ui_demo_find(d, 0, RS_TRACE_FAULT, NULL);
    size_t sent = ui_demo_find(d, fault, RS_TRACE_PDU_SENT, NULL);
    ui_scene_build(scene, ui_demo_events(d), ui_demo_count(d), sent);
    ui_view_state vs;
    ui_view_state_init(&vs);
    const ui_theme *t = ui_theme_get(UI_THEME_NORMAL);
    build(&vs, UI_THEME_NORMAL, 1280, 800);
    const ui_command *card = find_id(ui_view_id(UI_HIT_PDU, (int)sent), UI_CMD_RECT);
    assert_non_null(card);
    assert_memory_equal(&card->color, &t->fault, sizeof t->fault);
    assert_non_null(find_text(&dl, "FAULT"));
    assert_non_null(find_text(&dl, "nca_s_fault_int_"));
    ui_scene_build(scene, ui_demo_events(d), ui_demo_count(d), ui_demo_count(d) - 1);
    build(&vs, UI_THEME_NORMAL, 1280, 800);
    assert_non_null(find_text(&dl, "the call failed: nca_s_fault_int_div_by_zero"));
    vs.process_gone[UI_SERVER] = "killed by SIGSEGV";
    build(&vs, UI_THEME_NORMAL, 1280, 800);
    assert_non_null(find_text(&dl, "the server process is gone"));
    assert_non_null(find_text(&dl, "killed by SIGSEGV"));
    ui_demo_destroy(d);
}

/* ---- hit testing and the rest of the state ------------------------------------------------------ */

static void test_hits_name_what_is_under_the_mouse(void **state)
{
    (void)state;
    at_step(hello, 20);
    ui_view_state vs;
    ui_view_state_init(&vs);
    vs.inspector = vs.timeline = 1;
    build(&vs, UI_THEME_NORMAL, 1600, 900);
    /* A timeline event: a click there jumps to its step. */
    const ui_command *ev = find_id(ui_view_id(UI_HIT_EVENT, 7), UI_CMD_RECT);
    assert_non_null(ev);
    ui_hit h = ui_view_hit(&dl, &frame, ev->r.x + 2, ev->r.y + ev->r.h / 2);
    assert_int_equal(h.kind, UI_HIT_EVENT);
    assert_int_equal(h.index, 7);
    /* An address space's title, for a right click on the server. */
    ui_rect head = frame.layout.side_head[UI_SERVER];
    h = ui_view_hit(&dl, &frame, head.x + 5, head.y + 5);
    assert_int_equal(h.kind, UI_HIT_SIDE);
    assert_int_equal(h.index, UI_SERVER);
    /* A lane, an empty panel, and outside of everything. */
    ui_rect lane = frame.layout.lane[UI_CLIENT][2];
    h = ui_view_hit(&dl, &frame, lane.x + lane.w / 2, lane.y + 2);
    assert_int_equal(h.kind, UI_HIT_LANE);
    assert_int_equal(h.index, UI_CLIENT * UI_LANES + 2);
    h = ui_view_hit(&dl, &frame, 1, 1);
    assert_int_equal(h.kind, UI_HIT_NONE);
    assert_true(ui_hit_equal(h, (ui_hit){0}));
    /* The menu and the question's answers carry theirs. */
    vs.menu[0] = "Delay this packet";
    vs.menu[1] = "Drop this packet";
    vs.menu_count = 2;
    vs.menu_x = 400;
    vs.menu_y = 300;
    vs.question = "Where will the string be in the server's memory?";
    vs.answers[0] = "At the same address";
    vs.answers[1] = "At a new address";
    vs.answer_count = 2;
    build(&vs, UI_THEME_NORMAL, 1600, 900);
    const ui_command *item = find_id(ui_view_id(UI_HIT_MENU, 1), UI_CMD_RECT);
    assert_non_null(item);
    h = ui_view_hit(&dl, &frame, item->r.x + 3, item->r.y + 3);
    assert_int_equal(h.kind, UI_HIT_MENU);
    assert_int_equal(h.index, 1);
    assert_non_null(find_id(ui_view_id(UI_HIT_ANSWER, 1), UI_CMD_RECT));
    vs.answer_chosen = 0;
    vs.answer_right = 1;
    build(&vs, UI_THEME_NORMAL, 1600, 900);
    assert_non_null(find_text(&dl, "\xE2\x9C\x97"));
    assert_non_null(find_text(&dl, "\xE2\x9C\x93"));
}

static void test_help_hints_and_determinism(void **state)
{
    (void)state;
    at_step(hello, 17);
    ui_view_state vs;
    ui_view_state_init(&vs);
    vs.inspector = vs.timeline = 1;
    vs.t = 0.37f;
    build(&vs, UI_THEME_PROJECTOR, 1024, 640);
    assert_non_null(find_text(&dl, "Space"));
    assert_non_null(find_text(&dl, "quit")); /* the hint bar fits, briefer, at the smallest size */
    assert_null(find_text(&dl, "Keys and mouse"));
    /* The same inputs, the same list. */
    ui_view_build(&dl2, scene, &vs, ui_theme_get(UI_THEME_PROJECTOR), 1024, 640, fixed_measure, NULL, NULL);
    assert_int_equal(dl.count, dl2.count);
    assert_memory_equal(dl.commands, dl2.commands, dl.count * sizeof dl.commands[0]);
    assert_memory_equal(dl.text, dl2.text, dl.text_len);
    vs.help = true;
    build(&vs, UI_THEME_NORMAL, 1024, 640);
    assert_non_null(find_text(&dl, "Keys and mouse"));
    assert_non_null(find_text(&dl, "right-click"));
    /* An empty timeline is a calm, empty window. */
    ui_scene_build(scene, ui_demo_events(hello), 0, 0);
    ui_view_state_init(&vs);
    vs.inspector = vs.timeline = 1;
    build(&vs, UI_THEME_NORMAL, 1024, 640);
    assert_non_null(find_text(&dl, "Waiting for the first event"));
    assert_non_null(find_text(&dl, "No events yet"));
}

/* Any state at any step, with hits that name things that are not there (an old hover, a
 * stale selection), builds a frame: nothing out of bounds, the list never overflows. */
static void test_any_state_is_safe(void **state)
{
    (void)state;
    static const int sizes[][2] = {{1024, 640}, {1600, 900}};
    static const int indexes[] = {0, 1, 5, 24, 25, 100, 65535, 1 << 23};
    for (int id = UI_DEMO_HELLO; id <= UI_DEMO_BUSY; id++) {
        ui_demo *d = ui_demo_create((ui_demo_id)id);
        assert_non_null(d);
        size_t n = ui_demo_count(d);
        size_t stride = n > 200 ? n / 40 : 1;
        unsigned seed = 1;
        for (size_t step = 0; step < n; step += stride) {
            ui_scene_build(scene, ui_demo_events(d), n, step);
            ui_view_state vs;
            ui_view_state_init(&vs);
            seed = seed * 1103515245u + 12345u;
            vs.inspector = (seed >> 8) & 1 ? 1.0f : 0.5f;
            vs.timeline = (seed >> 9) & 1 ? 1.0f : 0.0f;
            vs.t = (float)((seed >> 10) % 3) / 2;
            vs.live_step = step + (seed >> 12) % 3;
            vs.hover.kind = (ui_hit_kind)((seed >> 14) % UI_HIT_KIND_COUNT);
            vs.hover.index = indexes[(seed >> 18) % 8];
            vs.selected.kind = (ui_hit_kind)((seed >> 21) % UI_HIT_KIND_COUNT);
            vs.selected.index = indexes[(seed >> 25) % 8];
            vs.selected.in = (ui_inspect){(ui_inspect_kind)((seed >> 28) % 4), (size_t)indexes[(seed >> 3) % 8]};
            vs.hover.in = vs.selected.in;
            vs.inspector_scroll = (seed >> 5) & 1 ? -1 : indexes[(seed >> 6) % 8];
            vs.timeline_scroll = (seed >> 7) & 1 ? -1 : indexes[(seed >> 11) % 8];
            vs.call_filter = (seed >> 13) & 1 ? 2 : 0;
            const int *size = sizes[(seed >> 16) & 1];
            build(&vs, (ui_theme_id)((seed >> 17) & 1), size[0], size[1]);
            assert_true(frame.hex_first_row >= 0);
            assert_true(frame.focus_begin <= frame.focus_end);
            assert_true(frame.focus_end <= frame.inspected_len);
        }
        ui_demo_destroy(d);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_layout_at_every_size),
        cmocka_unit_test(test_positions_are_stable_across_steps),
        cmocka_unit_test(test_selected_parameter_lights_its_bytes),
        cmocka_unit_test(test_pdu_header_decoded),
        cmocka_unit_test(test_big_buffer_draws_visible_rows_only),
        cmocka_unit_test(test_packet_crosses_at_mid_animation),
        cmocka_unit_test(test_token_moves_between_lanes),
        cmocka_unit_test(test_narration_counter_and_review_banner),
        cmocka_unit_test(test_long_narration_is_read_in_full),
        cmocka_unit_test(test_memory_shows_why_a_pointer_cannot_cross),
        cmocka_unit_test(test_null_pointer_is_visibly_null),
        cmocka_unit_test(test_fault_and_crash_are_unmistakable),
        cmocka_unit_test(test_hits_name_what_is_under_the_mouse),
        cmocka_unit_test(test_help_hints_and_determinism),
        cmocka_unit_test(test_any_state_is_safe),
    };
    return cmocka_run_group_tests_name("ui_view", tests, setup, teardown);
}
