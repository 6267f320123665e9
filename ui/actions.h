/* actions.h -- acting on the thing itself: what a right click offers, and what each item does.
 *
 * Right-click a packet in flight to delay or drop it, the server's title to crash it. The menu
 * depends only on what is on screen (the scene) and whether live processes stand behind it, so
 * it is decided here, without SDL, and tested like the view; the window carries out the chosen
 * item: a delay or a drop becomes the verdict on the release of the packet's PDU_SENT (the sender
 * waits there while the packet is drawn in flight, its bytes not yet written; stepper.h,
 * trace.h), a crash is the launcher's SIGKILL.
 *
 *     ui_menu m;
 *     ui_actions_menu(scene, hit, live_and_at_frontier, &m);
 *     if (m.count > 0) { show m.items; on pick k: carry out m.actions[k] on m.target }
 */
#ifndef RPCSCOPE_UI_ACTIONS_H
#define RPCSCOPE_UI_ACTIONS_H

#include <stdbool.h>
#include <stddef.h>

#include "scene.h"
#include "trace.h"
#include "view.h"

#define UI_ACTION_DELAY_MS 2000 /* "Delay this packet 2 s" */

typedef enum ui_action {
    UI_ACTION_NONE,
    UI_ACTION_DELAY,        /* hold the packet UI_ACTION_DELAY_MS before it goes out */
    UI_ACTION_DROP,         /* the network loses it */
    UI_ACTION_CRASH_SERVER, /* SIGKILL the server process */
} ui_action;

typedef struct ui_menu {
    int count;              /* 0: nothing to offer there */
    const char *items[UI_VIEW_MENU_MAX];
    ui_action actions[UI_VIEW_MENU_MAX];
    size_t target;          /* DELAY/DROP: the step that sent the packet (its PDU_SENT event) */
} ui_menu;

/* The menu for a right click on `hit`. `live` says the scene is the live frontier of running
 * processes (not a replay, not reviewing history): only then can anything be done. A packet
 * offers delay and drop while it is in flight and not already dropped; the server's title offers
 * a crash while it runs. */
void ui_actions_menu(const ui_scene *s, ui_hit hit, bool live, ui_menu *out);

/* The trace verdict for a delay or a drop (RS_TRACE_GO for the others). */
rs_trace_verdict ui_action_verdict(ui_action a);

#endif
