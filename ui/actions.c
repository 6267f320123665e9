/* actions.c -- what a right click offers. See actions.h. */
#include "actions.h"

static void add(ui_menu *m, const char *item, ui_action a)
{
    if (m->count < UI_VIEW_MENU_MAX) {
        m->items[m->count] = item;
        m->actions[m->count] = a;
        m->count++;
    }
}

/* The packet sent at `sent_step`, if it is on the wire at the scene's step: sent, not yet
 * received, not dropped. */
static const ui_pdu *in_flight(const ui_scene *s, size_t sent_step)
{
    for (size_t i = 0; i < s->pdu_count; i++) {
        const ui_pdu *p = &s->pdus[i];
        if (p->sent_step == sent_step)
            return p->received_step == SIZE_MAX && !p->dropped ? p : NULL;
    }
    return NULL;
}

void ui_actions_menu(const ui_scene *s, ui_hit hit, bool live, ui_menu *out)
{
    *out = (ui_menu){0};
    if (!live || s == NULL)
        return;
    if (hit.kind == UI_HIT_PDU && hit.index >= 0 && in_flight(s, (size_t)hit.index) != NULL) {
        out->target = (size_t)hit.index;
        add(out, "Delay this packet 2 s", UI_ACTION_DELAY);
        add(out, "Drop this packet (the network loses it)", UI_ACTION_DROP);
    } else if (hit.kind == UI_HIT_SIDE && hit.index == UI_SERVER && s->sides[UI_SERVER].pid != 0 &&
               !s->sides[UI_SERVER].crashed) {
        add(out, "Crash the server (SIGKILL)", UI_ACTION_CRASH_SERVER);
    }
}

rs_trace_verdict ui_action_verdict(ui_action a)
{
    switch (a) {
    case UI_ACTION_DELAY:
        return (rs_trace_verdict){.kind = RS_TRACE_DELAY, .ms = UI_ACTION_DELAY_MS};
    case UI_ACTION_DROP:
        return (rs_trace_verdict){.kind = RS_TRACE_DROP};
    default:
        return (rs_trace_verdict){.kind = RS_TRACE_GO};
    }
}
