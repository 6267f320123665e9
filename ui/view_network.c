/* view_network.c -- the network between the address spaces, and the packets on it. See view_draw.h. */
#include "view_draw.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "pdu.h"
#include "status.h"

/* Where a packet starts and ends: over the token's place in each transport lane, so that it
 * visibly leaves one process and enters the other. In flight it waits mid-wire. */
static float dock_x(const V *v, int side)
{
    return v->l->token_x[side];
}

typedef struct flight {
    size_t pdu;
    float progress;
    float slot_from, slot_to;
} flight;

static void draw_packet(V *v, const ui_pdu *p, ui_rect r, float progress, float alpha)
{
    const ui_theme *t = v->t;
    const ui_metrics *m = v->m;
    bool fault = p->ptype == RS_PTYPE_FAULT || p->ptype == RS_PTYPE_BIND_NAK;
    bool dim = v->vs->call_filter != 0 && p->call_id != v->vs->call_filter;
    float a = alpha * (dim ? 0.35f : 1) * (p->dropped ? 0.6f : 1);
    int id = ui_view_id(UI_HIT_PDU, (int)p->sent_step);
    bool hot = vw_hovered(v, UI_HIT_PDU, (int)p->sent_step) ||
               (v->vs->selected.kind == UI_HIT_PDU && v->vs->selected.index == (int)p->sent_step);
    ui_color bg = fault ? t->fault : t->packet;
    ui_color ink = vw_ink_on(t, bg);
    ui_draw_rect(v->dl, (ui_rect){r.x + 2, r.y + 3, r.w, r.h}, vw_fade((ui_color){0, 0, 0, 40}, a), m->radius, UI_ID_NONE);
    ui_draw_rect(v->dl, r, vw_fade(bg, a), m->radius, id);
    ui_draw_frame(v->dl, r, vw_fade(hot ? t->text_strong : t->network, a), m->radius, hot ? 2 * m->stroke : m->stroke,
                  UI_ID_NONE);
    /* The direction it travels, as a small head on its leading edge. */
    bool right = p->from == UI_CLIENT;
    float hx = right ? r.x + r.w : r.x, hy = r.y + r.h / 2, hs = roundf(m->gap * 1.1f);
    ui_draw_arrow(v->dl, hx - (right ? hs : -hs), hy, hx + (right ? hs * 0.6f : -hs * 0.6f), hy,
                  vw_fade(fault ? t->fault : t->network, a), 2 * m->stroke);

    ui_rect in = ui_rect_inset(r, m->gap, roundf(m->gap * 0.3f));
    char title[96];
    float lh = in.h / 2;
    snprintf(title, sizeof title, "%s", rs_pdu_type_name(p->ptype));
    vw_label(v, (ui_rect){in.x, in.y, in.w, lh}, UI_FONT_SANS_BOLD, m->small, vw_fade(ink, a), UI_ALIGN_CENTER,
             UI_ID_NONE, title);
    char sub[96];
    if (fault) {
        const char *name = p->ptype == RS_PTYPE_FAULT ? rs_fault_name(p->status) : "bind rejected";
        snprintf(sub, sizeof sub, "%s", name ? name : "unknown fault");
    } else {
        char full[96];
        ui_format_pdu_title(full, sizeof full, p->ptype, p->flags, p->call_id, p->status);
        const char *dot = strstr(full, "\xC2\xB7 ");
        snprintf(sub, sizeof sub, "%s", dot ? dot + 3 : full); /* without the type, said above */
    }
    vw_label(v, (ui_rect){in.x, in.y + lh, in.w, lh}, UI_FONT_SANS, m->small, vw_fade(ink, a), UI_ALIGN_CENTER,
             UI_ID_NONE, sub);
    if (p->dropped) {
        ui_draw_line(v->dl, r.x, r.y, r.x + r.w, r.y + r.h, t->fault, 3 * m->stroke);
        ui_draw_line(v->dl, r.x, r.y + r.h, r.x + r.w, r.y, t->fault, 3 * m->stroke);
    }
    if (vw_hovered(v, UI_HIT_PDU, (int)p->sent_step)) {
        v->tip = true;
        v->tip_at = r;
    }
    ui_view_frame *out = v->out;
    if (out->packet_count < UI_VIEW_PACKETS_MAX)
        out->packets[out->packet_count++] = (ui_view_packet){p->sent_step, r, progress};
}

static void draw_packets(V *v, float top)
{
    const ui_scene *s = v->s;
    const ui_metrics *m = v->m;
    ui_rect n = v->l->network;
    float card_w = roundf(n.w - 2 * m->gap);
    float card_h = 2 * m->small_line + roundf(m->gap * 0.6f);
    float step_h = card_h + m->gap;
    size_t cap = (size_t)fmaxf(1, floorf((v->l->wire_y + card_h / 2 - top) / step_h));

    /* Packets on the wire: in flight, dropped, or moving at this step. The queue's order is the
     * order they were sent; the oldest sits on the wire, later ones wait above it. */
    static flight at[UI_SCENE_MAX_PDUS];
    size_t count = 0;
    size_t before = 0, after = 0; /* queue positions before and after this step */
    for (size_t i = 0; i < s->pdu_count; i++) {
        const ui_pdu *p = &s->pdus[i];
        bool sent_now = p->sent_step == s->step;
        bool received_now = p->received_step == s->step;
        bool flying = p->received_step == SIZE_MAX || received_now;
        if (!flying)
            continue;
        flight *f = &at[count++];
        f->pdu = i;
        f->progress = sent_now ? 0.5f * v->e : received_now ? 0.5f + 0.5f * v->e : 0.5f;
        f->slot_from = sent_now ? 0 : (float)before; /* a new packet rises from the wire */
        f->slot_to = (float)(received_now ? before : after);
        if (!sent_now)
            before++;
        if (!received_now)
            after++;
    }
    /* More than fit: the oldest wait in their places, the top place shows the packet moving at
     * this step (or the next in the queue), and a count says how many more there are. */
    size_t hidden = count > cap ? count - cap : 0;
    size_t shown_top = count;
    if (hidden > 0) {
        shown_top = cap - 1;
        for (size_t k = cap - 1; k < count; k++)
            if (s->pdus[at[k].pdu].sent_step == s->step)
                shown_top = k;
    }
    for (size_t k = 0; k < count; k++) {
        const flight *f = &at[k];
        float slot = f->slot_from + (f->slot_to - f->slot_from) * v->e;
        if (hidden > 0) {
            if (k >= cap - 1 && k != shown_top)
                continue;
            float to_slot = k == shown_top ? (float)(cap - 1) : f->slot_to;
            slot = s->pdus[f->pdu].sent_step == s->step ? to_slot * v->e : to_slot;
        }
        const ui_pdu *p = &s->pdus[f->pdu];
        int to = 1 - p->from;
        float x0 = dock_x(v, p->from), x1 = dock_x(v, to);
        float cx = x0 + (x1 - x0) * f->progress;
        float cy = v->l->wire_y - slot * step_h;
        ui_rect r = {roundf(cx - card_w / 2), roundf(cy - card_h / 2), card_w, card_h};
        float alpha = 1;
        if (p->sent_step == s->step)
            alpha = fminf(1, 0.25f + v->e * 1.5f);
        draw_packet(v, p, r, f->progress, alpha);
    }
    if (hidden > 0) {
        char more[64];
        snprintf(more, sizeof more, "+%zu more in flight", hidden);
        float y = v->l->wire_y - (float)cap * step_h + card_h / 2 - m->small_line;
        vw_label(v, (ui_rect){n.x, fmaxf(top, y), n.w, m->small_line}, UI_FONT_SANS, m->small, v->t->text_dim,
                 UI_ALIGN_CENTER, UI_ID_NONE, more);
    }
}

void vw_draw_network(V *v)
{
    const ui_scene *s = v->s;
    const ui_theme *t = v->t;
    const ui_metrics *m = v->m;
    ui_rect n = v->l->network;
    float y = n.y + m->gap;
    vw_label(v, (ui_rect){n.x, y, n.w, m->small_line}, UI_FONT_SANS_BOLD, m->small, t->text_dim, UI_ALIGN_CENTER,
             UI_ID_NONE, "network");
    y += m->small_line;
    const char *binding = s->sides[UI_SERVER].binding[0] ? s->sides[UI_SERVER].binding : s->sides[UI_CLIENT].binding;
    if (binding[0] != '\0') {
        /* ncacn_ip_tcp:127.0.0.1[4747] on two lines when it does not fit on one. */
        const char *colon = strchr(binding, ':');
        if (vw_text_width(v, UI_FONT_MONO, m->small, binding) <= n.w - m->gap || colon == NULL) {
            vw_label(v, (ui_rect){n.x, y, n.w, m->small_line}, UI_FONT_MONO, m->small, t->text, UI_ALIGN_CENTER,
                     UI_ID_NONE, binding);
            y += m->small_line;
        } else {
            char first[UI_SCENE_NAME_MAX];
            snprintf(first, sizeof first, "%.*s", (int)(colon - binding + 1), binding);
            vw_label(v, (ui_rect){n.x, y, n.w, m->small_line}, UI_FONT_MONO, m->small, t->text, UI_ALIGN_CENTER,
                     UI_ID_NONE, first);
            vw_label(v, (ui_rect){n.x, y + m->small_line, n.w, m->small_line}, UI_FONT_MONO, m->small, t->text,
                     UI_ALIGN_CENTER, UI_ID_NONE, colon + 1);
            y += 2 * m->small_line;
        }
    }
    /* The connection: its endpoints when they fit, else just that it is open. */
    const char *conn = s->sides[UI_CLIENT].connection[0] ? s->sides[UI_CLIENT].connection : s->sides[UI_SERVER].connection;
    bool connected = conn[0] != '\0';
    bool ever = s->sides[UI_CLIENT].was_connected || s->sides[UI_SERVER].was_connected;
    const char *state = connected ? "connected" : ever ? "connection closed" : "not connected yet";
    vw_label(v, (ui_rect){n.x, y, n.w, m->small_line}, UI_FONT_SANS, m->small, t->text_dim, UI_ALIGN_CENTER,
             UI_ID_NONE, state);
    y += m->small_line;
    if (connected && strcmp(conn, "connected") != 0 && vw_text_width(v, UI_FONT_MONO, m->small, conn) <= n.w - m->gap) {
        vw_label(v, (ui_rect){n.x, y, n.w, m->small_line}, UI_FONT_MONO, m->small, t->text_dim, UI_ALIGN_CENTER,
                 UI_ID_NONE, conn);
        y += m->small_line;
    }
    y += m->gap;

    /* A fault is unmistakable: a red banner with its DCE name and what it means. */
    if (s->fault && s->fault_status != 0) {
        const char *name = rs_fault_name(s->fault_status);
        char text[160];
        snprintf(text, sizeof text, "%s", name ? name : "unknown fault");
        float bw = n.w - m->gap;
        float iw = bw - 2 * m->gap;
        /* The DCE name on one line, or split at an underscore near its middle. */
        char first[160] = "", second[160] = "";
        if (vw_text_width(v, UI_FONT_MONO_BOLD, m->small, text) <= iw) {
            snprintf(first, sizeof first, "%s", text);
        } else {
            size_t len = strlen(text), cut = len;
            for (size_t i = len / 2, k = 0; k < len / 2; k++) {
                if (i + k < len && text[i + k] == '_') { cut = i + k + 1; break; }
                if (i >= k && text[i - k] == '_') { cut = i - k + 1; break; }
            }
            snprintf(first, sizeof first, "%.*s", (int)cut, text);
            snprintf(second, sizeof second, "%s", text + cut);
        }
        wrapped msg = {0};
        ui_wrap(rs_fault_message(s->fault_status), iw, v->measure, v->mctx, UI_FONT_SANS, m->small, vw_collect_line, &msg);
        size_t msg_lines = msg.n < 2 ? msg.n : 2;
        float lines = 1 + (second[0] ? 2 : 1) + (float)msg_lines;
        ui_rect b = {n.x + m->gap * 0.5f, y, bw, lines * m->small_line + m->gap};
        ui_draw_rect(v->dl, b, t->fault, m->radius, UI_ID_NONE);
        ui_color ink = vw_ink_on(t, t->fault);
        ui_rect in = ui_rect_inset(b, m->gap, roundf(m->gap * 0.5f));
        float ly = in.y;
        vw_label(v, (ui_rect){in.x, ly, in.w, m->small_line}, UI_FONT_SANS_BOLD, m->small, ink, UI_ALIGN_CENTER,
                 UI_ID_NONE, "FAULT");
        ly += m->small_line;
        vw_label(v, (ui_rect){in.x, ly, in.w, m->small_line}, UI_FONT_MONO_BOLD, m->small, ink, UI_ALIGN_CENTER,
                 UI_ID_NONE, first);
        ly += m->small_line;
        if (second[0]) {
            vw_label(v, (ui_rect){in.x, ly, in.w, m->small_line}, UI_FONT_MONO_BOLD, m->small, ink, UI_ALIGN_CENTER,
                     UI_ID_NONE, second);
            ly += m->small_line;
        }
        vw_paragraph(v, (ui_rect){in.x, ly, in.w, (float)msg_lines * m->small_line}, UI_FONT_SANS, m->small, m->small_line,
                     ink, rs_fault_message(s->fault_status), 2);
        y += b.h + m->gap;
    }

    /* The wire, from one transport lane to the other. */
    ui_rect lc = v->l->lane[UI_CLIENT][UI_LANES - 1], ls = v->l->lane[UI_SERVER][UI_LANES - 1];
    float wy = v->l->wire_y;
    ui_color wc = connected ? t->network : vw_fade(t->network, 0.35f);
    ui_draw_line(v->dl, lc.x + lc.w, wy, ls.x, wy, wc, roundf(3 * m->scale));
    float dot = roundf(4 * m->scale);
    ui_draw_rect(v->dl, (ui_rect){lc.x + lc.w - dot, wy - dot, 2 * dot, 2 * dot}, wc, dot, UI_ID_NONE);
    ui_draw_rect(v->dl, (ui_rect){ls.x - dot, wy - dot, 2 * dot, 2 * dot}, wc, dot, UI_ID_NONE);
    draw_packets(v, y);
}
