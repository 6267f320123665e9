/* scene.h -- what the window shows after step N: the two address spaces, the memory cells, the
 * NDR buffers byte by byte, the PDUs on the wire, and where the call is.
 *
 * A scene is a pure function of the first N events of the timeline: ui_scene_build() replays them
 * into plain arrays that the view draws. Stepping back is building an earlier scene; nothing in
 * it depends on time or on the previous frame, so every byte on screen traces back to the step
 * that wrote it (each cell, field and PDU records that step).
 *
 *     ui_scene *s = ui_scene_create();
 *     ui_scene_build(s, events, n_events, step);      // events[0..step] applied
 *     for (size_t i = 0; i < s->cell_count; i++) draw_cell(&s->cells[i]);
 *     ui_scene_destroy(s);
 */
#ifndef RPCSCOPE_UI_SCENE_H
#define RPCSCOPE_UI_SCENE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "trace.h"

#define UI_SCENE_NAME_MAX 96
#define UI_SCENE_TYPE_MAX 48
#define UI_SCENE_MAX_CELLS 64        /* per scene; later cells are dropped (and counted) */
#define UI_SCENE_MAX_FIELDS 4096     /* per NDR buffer */
#define UI_SCENE_MAX_BUFFERS 16
#define UI_SCENE_MAX_PDUS 256
#define UI_SCENE_MAX_PARAMS 16       /* distinct top-level parameter names: one colour each */
#define UI_SCENE_BUFFER_MAX (1u << 20) /* bytes shown of one NDR buffer */

/* The two sides. Index 0 is the client, 1 the server, everywhere in the window. */
enum { UI_CLIENT = 0, UI_SERVER = 1, UI_SIDES = 2 };

/* A parameter's copy in one address space: what the stub read or wrote there. */
typedef struct ui_cell {
    int side;
    char name[UI_SCENE_NAME_MAX];
    char c_type[UI_SCENE_TYPE_MAX];
    uint64_t address;
    uint8_t value[64];       /* the first bytes of the memory it describes */
    size_t value_len;        /* how many of them are in value[] */
    size_t size;             /* the whole size the stub reported */
    int param;               /* colour index of its top-level parameter */
    bool out;                /* on the way back ([out] data) */
    bool written;            /* the stub wrote it (unmarshalled into this process) */
    size_t step;             /* the event that made it */
} ui_cell;

/* One field of an NDR buffer: the layout record's entry, with the step that wrote or read it. */
typedef struct ui_field {
    char name[UI_SCENE_NAME_MAX];
    char type[UI_SCENE_TYPE_MAX];
    uint32_t offset, length;
    uint8_t role;            /* rs_ndr_role */
    int param;               /* colour index, or -1 for padding */
    size_t step;
} ui_field;

/* The stub data of one message as one process built (marshalled) or read (unmarshalled) it. */
typedef struct ui_buffer {
    int side;
    uint32_t call_id;
    bool out;                /* the response's stub data */
    bool reading;            /* unmarshalling (NDR_GET) rather than marshalling (NDR_PUT) */
    bool big_endian;
    uint8_t *bytes;          /* `len` bytes: the highest offset+length reached so far */
    size_t len;
    ui_field *fields;        /* in the order they were written or read */
    size_t field_count;
} ui_buffer;

/* A PDU: sent by `from`, received (or not yet) by the other side. Its sent_step names it: that
 * stays the same in every scene built from the same timeline. */
typedef struct ui_pdu {
    int from;
    uint8_t ptype;
    uint8_t flags;           /* pfc_flags */
    uint32_t call_id;
    uint32_t status;         /* for a fault: its status */
    uint8_t *bytes;
    size_t len;
    size_t sent_step;        /* the PDU_SENT event */
    size_t received_step;    /* the PDU_RECEIVED event, or SIZE_MAX while in flight */
    bool dropped;            /* fault injection dropped it (an ERROR event "drop...", see below),
                                or its receiver closed the connection it was on (`closed`) */
    bool closed;             /* dropped because the receiver had closed that connection */
    char to[RS_TRACE_ENDPOINT_MAX]; /* the receiver's end of its connection ("127.0.0.1:50312") */
    int buffer;              /* the NDR buffer its stub data came from, or -1 */
    size_t stub_offset;      /* where its stub data starts in that buffer (fragments: > 0) */
} ui_pdu;

/* A PDU on the timeline: found over the whole timeline, not only up to the scene's step. */
typedef struct ui_link {
    size_t sent, received;   /* event indexes; received is SIZE_MAX if it never arrived */
    int from;
    uint8_t ptype;
    uint32_t call_id;
} ui_link;

typedef struct ui_side {
    bool seen;               /* any event from it yet */
    uint32_t pid;
    char binding[UI_SCENE_NAME_MAX]; /* the string binding it listens on or connected to */
    char connection[UI_SCENE_NAME_MAX]; /* its open connection's endpoints, "" when none */
    bool was_connected;      /* it connected or accepted a connection at some step so far */
    bool crashed;
    char crash_reason[UI_SCENE_NAME_MAX];
} ui_side;

typedef struct ui_scene {
    size_t step;             /* the last event applied; SIZE_MAX for none */
    size_t event_count;      /* events in the timeline (the live frontier) */
    const rs_trace_event *const *events; /* the timeline itself, borrowed from the caller */
    const rs_trace_event *current; /* events[step], or NULL */
    int token_side;          /* where the call is: the side and lane of the current event */
    int token_layer;         /* rs_trace_layer */
    int prev_token_side, prev_token_layer; /* where it was one step earlier, for the motion */
    ui_side sides[UI_SIDES];
    /* Top-level parameter names by colour index, gathered from the whole timeline (not only up to
     * `step`), so that a parameter keeps its colour and its place at every step. */
    char params[UI_SCENE_MAX_PARAMS][UI_SCENE_NAME_MAX];
    size_t param_count;
    ui_cell cells[UI_SCENE_MAX_CELLS];
    size_t cell_count, cells_dropped;
    ui_buffer buffers[UI_SCENE_MAX_BUFFERS];
    size_t buffer_count;
    int current_buffer;      /* the buffer the latest NDR event touched, or -1 */
    ui_pdu pdus[UI_SCENE_MAX_PDUS];
    size_t pdu_count;
    int current_pdu;         /* the PDU the latest PDU event was about, or -1 */
    bool fault;              /* a fault happened by this step */
    uint32_t fault_status;
    char procedure[UI_SCENE_NAME_MAX]; /* the call's procedure and interface */
    char interface[UI_SCENE_NAME_MAX];
    /* The last step that happened in each lane of each side (indexed by rs_trace_layer), or
     * SIZE_MAX: what each lane says it did last. */
    size_t lane_last[UI_SIDES][RS_TRACE_LAYER_TRANSPORT + 1];
    /* Every PDU of the timeline with its send and receive steps, for the space-time diagram.
     * The array is kept from one build to the next (it grows, it is not freed per build). */
    ui_link *links;
    size_t link_count, link_cap;
} ui_scene;

ui_scene *ui_scene_create(void);
void ui_scene_destroy(ui_scene *s);

/* Rebuilds `s` from events[0..step] (step < count; with count 0, an empty scene). The scene
 * borrows `events` (s->events): keep them alive and unchanged while it is drawn. O(count) for
 * the parameter names and the timeline's PDUs, plus O(step) for the rest.
 *
 * Conventions read from the events beyond their kinds: an RS_TRACE_ERROR whose text begins with
 * "drop" marks the newest PDU in flight from that side (of its ptype, if the event names one)
 * as dropped; an RS_TRACE_ERROR beginning "injected: kill-server" (the lesson's fault, the
 * process's last event) marks its side crashed; LISTEN and CONNECT carry a string binding ("ncacn_ip_tcp:...") or, for CONNECT
 * and ACCEPT, the connection's endpoints in their text; CLOSE ends the side's connection, and
 * every PDU still in flight towards that end of it is marked dropped and closed: nobody will
 * read it (a late response after the client's timeout). */
void ui_scene_build(ui_scene *s, const rs_trace_event *const *events, size_t count, size_t step);

/* The colour index of the top-level parameter of a name path ("m.pl1->*" -> "m"), adding it to
 * the scene's list when it is new; -1 for an empty name. */
int ui_scene_param(ui_scene *s, const char *path);

/* The same without adding: -1 for a name the scene has not seen. */
int ui_scene_param_find(const ui_scene *s, const char *path);

/* The field of buffer b that holds byte `offset` (the last one written there), or -1. O(log n)
 * for fields in offset order, which is how NDR writes and reads them. */
int ui_scene_field_at(const ui_buffer *b, size_t offset);

/* The index of the PDU sent at `sent_step`, or -1. */
int ui_scene_pdu_by_step(const ui_scene *s, size_t sent_step);

/* The index of the buffer whose first field was made at `step`, or -1. */
int ui_scene_buffer_by_step(const ui_scene *s, size_t step);

/* The side an event belongs to (UI_CLIENT or UI_SERVER). */
int ui_scene_side(const rs_trace_event *ev);

#endif
