/* lesson.h -- lesson scripts: the plain-text file a teacher edits to make a lesson, without C.
 *
 * A lesson is a folder lessons/NAME/ with the interface (NAME.idl, an optional .acf), the client
 * and server programs (client.c, server.c) and this script, lesson.txt. sim_lesson_load() reads
 * and validates a script, reporting every error as FILE:LINE: message; `rpcscope --check LESSON`
 * prints them. sim_cues then ties the script's narration and questions to a session's events.
 *
 *     sim_lesson *l;  sim_diag d = {0};
 *     if (sim_lesson_load("lessons/hello/lesson.txt", &l, &d) != RS_OK)
 *         for (size_t i = 0; i < d.count; i++) puts(d.lines[i]);   // "…/lesson.txt:12: ..."
 *     sim_cues *c;  sim_cues_create(l, &c);  sim_cues_update(c, tl);
 *     const char *say[4];  size_t n = sim_cues_narrations(c, i, say, 4);   // for event i
 *     sim_cues_destroy(c);  sim_lesson_free(l);  sim_diag_free(&d);
 *
 * ---- The format, with a complete example --------------------------------------------------------
 *
 *     # lessons/hello/lesson.txt -- a line starting with # is a comment.
 *     title:    Hello, remote procedure call
 *     summary:  The client calls HelloProc("hello, world") as if it were a local function;
 *               the procedure runs in another process.      <- indented lines continue a value
 *     order:    1                          (position in `rpcscope --list`; optional)
 *     idl:      hello.idl                  (shown to students; must exist in the folder)
 *
 *     server:   server {listen}            (program, then its arguments)
 *     client:   client {binding} "hello, world"
 *     clients:  1                          (how many copies of the client run, 1..8)
 *
 *     transport:    ncacn_ip_tcp           (or ncalrpc)
 *     endian:       little                 (the client's byte order: little or big)
 *     max-frag:     4280                   (fragment size both sides offer, 48..65535;
 *                                           65535 if absent)
 *     call-timeout: 30000                  (the client's call timeout in ms, 1..600000)
 *     endpoint-mapper: server              (the client's runtime asks the server's first binding,
 *                                           its `listening on` line, where an interface listens;
 *                                           or none, the default)
 *     fault:        kill-server on HelloProc     (repeat the key for several faults)
 *
 *     when client call HelloProc:
 *         The application calls HelloProc. It looks like a local call, but the function it
 *         calls is the client stub, which rpcidl generated from hello.idl.
 *
 *         A blank line inside the text starts a new paragraph.
 *
 *     when client marshal pszString max_count:
 *         The stub writes how many characters the string has room for: 13.
 *
 *     when any send every:
 *         A PDU goes out on the connection.
 *
 *     ask before server enter HelloProc:
 *         What has the server stub done before HelloProc runs?
 *         - Nothing yet: the procedure runs first
 *         * It unmarshalled pszString into the server's own memory
 *         - It sent the response
 *
 * Rules:
 *   - UTF-8 text, lines of at most SIM_LESSON_LINE_MAX bytes, no NUL bytes; `\r\n` is fine.
 *   - `key: value` at the start of a line; indented lines continue it. Each key at most once,
 *     except `fault` (at most SIM_LESSON_FAULTS_MAX). Required: title, summary, server, client.
 *   - Programs are found in build/lessons/NAME/ (next to the rpcscope binary), then in the lesson
 *     folder. Arguments are split at spaces; "double quotes" keep spaces (\" and \\ inside).
 *     {listen} (server only) becomes the binding to listen on, made from `transport` (TCP on
 *     127.0.0.1 with a free port, or a fresh ncalrpc name); {binding} (client only) becomes what
 *     the server printed in its `listening on BINDING` line.
 *   - `when ROLE STEP [NAME [FIELD]] [every]:` then indented narration (at most
 *     SIM_LESSON_TEXT_MAX characters), shown with the first matching event (with `every`, with
 *     each one). ROLE is client, server or any. STEP is a verb of the text view -- call, return,
 *     read, write, marshal, unmarshal, convert, build, send, receive, reassemble, dispatch,
 *     enter, exit, fault, error, timeout, connect, accept, listen, bind, bind_ack, bind_nak,
 *     close -- or an event kind's own name (NDR_PUT). NAME matches the event's parameter (name
 *     path, "pszString", "s.count"), its procedure ("HelloProc"), or for PDU steps the PDU type
 *     ("request", "bind_ack"); * matches anything. FIELD, for marshal/unmarshal/convert only, is
 *     data, padding, max_count, offset, actual_count, referent_id or discriminant.
 *   - `ask before ROLE STEP [NAME [FIELD]]:` then the question's indented lines, then its answers,
 *     one per line: `- wrong` or `* right` (2..SIM_LESSON_ANSWERS_MAX answers, exactly one right).
 *     It is asked once, before the first matching event is revealed.
 *   - Faults (carried out by the runtime; see below): `delay PDU MS` (hold each PDU of that type,
 *     e.g. request, 1..60000 ms, before sending it), `close-before-execute` (the server closes the
 *     connection when a request arrives), `close-after-execute` (after the procedure ran, before
 *     the response), `kill-server` (the server process dies as the procedure is entered),
 *     `raise FAULT` (the procedure raises a DCE fault, e.g. nca_s_fault_int_div_by_zero),
 *     `unknown-opnum` (the client asks for an opnum the interface lacks), `unknown-interface`
 *     (the client binds to an interface the server does not offer). Each may end with
 *     `on PROCEDURE` to apply only to calls of that procedure.
 *
 * The programs learn the scenario from their environment (read by the runtime when a client or
 * server is made, as RPCSCOPE_TRACE is):
 *     RPCSCOPE_LESSON=hello                     both: the lesson's name
 *     RPCSCOPE_TRANSPORT=ncacn_ip_tcp           both: the transport (also in {listen})
 *     RPCSCOPE_ENDIAN=big                       client: send big-endian PDUs and NDR
 *     RPCSCOPE_MAX_FRAG=64                      both: max_xmit_frag / max_recv_frag to offer
 *     RPCSCOPE_CALL_TIMEOUT_MS=2000             client: the call timeout
 *     RPCSCOPE_EPM={binding}                    client: the endpoint mapper to ask for a binding
 *                                               with no endpoint (epm.h); the launcher puts the
 *                                               server's binding in place of {binding}
 *     RPCSCOPE_FAULT=kill-server on HelloProc; delay response 1500
 *                                               both: the faults, as written in the script,
 *                                               separated by "; "
 * A variable is set only when the script sets its key (RPCSCOPE_LESSON and RPCSCOPE_TRANSPORT
 * always are).
 */
#ifndef RPCSCOPE_SIM_LESSON_H
#define RPCSCOPE_SIM_LESSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "status.h"
#include "timeline.h"
#include "trace.h"

#define SIM_LESSON_FILE "lesson.txt"
#define SIM_LESSON_FILE_MAX ((size_t)1 << 20) /* a script larger than 1 MiB is refused */
#define SIM_LESSON_LINE_MAX 200               /* bytes per line */
#define SIM_LESSON_TEXT_MAX 600               /* characters of one narration or question */
#define SIM_LESSON_TITLE_MAX 80
#define SIM_LESSON_ARGS_MAX 16                /* a program and its arguments */
#define SIM_LESSON_ANSWERS_MAX 6
#define SIM_LESSON_CLIENTS_MAX 8
#define SIM_LESSON_ERRORS_MAX 100             /* errors reported before "... and N more" */
#define SIM_LESSON_NAME_MAX 128               /* a trigger's NAME */
#define SIM_LESSON_FAULTS_MAX 16              /* as many as the runtime reads (inject.h) */
#define SIM_ENV_MAX 2100                      /* one NAME=VALUE: 16 faults fit */
#define SIM_LESSON_ENV_MAX 8

/* ---- diagnostics ----------------------------------------------------------------------------- */

/* A list of error lines, "FILE:LINE: message". */
typedef struct sim_diag {
    char **lines;
    size_t count, cap;
    size_t dropped; /* errors past SIM_LESSON_ERRORS_MAX, counted only */
} sim_diag;

void sim_diag_free(sim_diag *d);

/* ---- the script, parsed ---------------------------------------------------------------------- */

typedef enum sim_transport { SIM_TRANSPORT_TCP, SIM_TRANSPORT_LRPC } sim_transport;

#define SIM_FAULT_TABLE(XX)                                                                        \
    XX(DELAY, "delay")                                                                             \
    XX(CLOSE_BEFORE_EXECUTE, "close-before-execute")                                               \
    XX(CLOSE_AFTER_EXECUTE, "close-after-execute")                                                 \
    XX(KILL_SERVER, "kill-server")                                                                 \
    XX(RAISE, "raise")                                                                             \
    XX(UNKNOWN_OPNUM, "unknown-opnum")                                                             \
    XX(UNKNOWN_INTERFACE, "unknown-interface")

typedef enum sim_fault_kind {
#define SIM_FAULT_ENUM(name, word) SIM_FAULT_##name,
    SIM_FAULT_TABLE(SIM_FAULT_ENUM)
#undef SIM_FAULT_ENUM
        SIM_FAULT_KIND_COUNT
} sim_fault_kind;

typedef struct sim_fault {
    sim_fault_kind kind;
    uint8_t ptype;       /* delay: the PDU type */
    uint32_t value;      /* delay: milliseconds; raise: the fault code */
    char procedure[64];  /* "on PROCEDURE", "" for every call */
    char text[160];      /* normalised, as it goes into RPCSCOPE_FAULT */
} sim_fault;

/* What an event must be for a narration or a question to belong to it. */
typedef struct sim_trigger {
    rs_trace_role role;  /* 0: any */
    rs_trace_kind kind;
    char name[SIM_LESSON_NAME_MAX]; /* "" or "*": any */
    int ndr_role;        /* an rs_ndr_role, or -1: any */
    bool every;          /* every match, not only the first */
} sim_trigger;

typedef struct sim_narration {
    sim_trigger when;
    char *text;          /* paragraphs separated by '\n' */
    unsigned line;
} sim_narration;

typedef struct sim_question {
    sim_trigger before;
    char *text;
    char *answers[SIM_LESSON_ANSWERS_MAX];
    size_t answer_count;
    size_t right;        /* index of the right answer */
    unsigned line;
} sim_question;

typedef struct sim_lesson {
    char *name;          /* the folder's name: "hello" */
    char *dir;           /* the folder */
    char *path;          /* the script */
    char *title, *summary, *idl;
    unsigned order;      /* 0 when not given */
    char *server_argv[SIM_LESSON_ARGS_MAX + 1]; /* NULL-terminated; placeholders unreplaced */
    char *client_argv[SIM_LESSON_ARGS_MAX + 1];
    unsigned clients;
    sim_transport transport;
    bool big_endian;
    uint16_t max_frag;   /* 0: the runtime's default */
    uint32_t call_timeout_ms; /* 0: the runtime's default */
    bool epm_server;     /* endpoint-mapper: server -- the server also serves the mapper */
    sim_fault *faults;
    size_t fault_count;
    sim_narration *narrations;
    size_t narration_count;
    sim_question *questions;
    size_t question_count;
} sim_lesson;

/* Reads and validates the script at `path`. On success *out is the lesson and d is untouched;
 * otherwise *out is NULL, every error is appended to d ("PATH:LINE: message") and the status is
 * RS_ERR_INVALID_ARG (or RS_ERR_IO when the file cannot be read, RS_ERR_NOMEM). The lesson's
 * name is its folder's name. Never crashes, whatever the bytes. */
RS_MUST_CHECK rs_status sim_lesson_load(const char *path, sim_lesson **out, sim_diag *d);

/* The same, for a script already in memory (`path` only names it in messages; the folder is
 * the path's directory, where `idl:` is looked for). */
RS_MUST_CHECK rs_status sim_lesson_parse(const char *path, const char *text, size_t len,
                                         sim_lesson **out, sim_diag *d);

void sim_lesson_free(sim_lesson *l);

/* The environment the scenario gives the client (for_client) or the server: up to `max`
 * NAME=VALUE strings into env; returns how many. */
size_t sim_lesson_env(const sim_lesson *l, bool for_client, char env[][SIM_ENV_MAX], size_t max);

/* The binding {listen} stands for: "ncacn_ip_tcp:127.0.0.1[0]" (the server picks a free port), or
 * "ncalrpc:[rpcscope-PID-NAME]". */
void sim_lesson_listen_binding(const sim_lesson *l, char *out, size_t size);

/* Does event e (of process role `process_role`) match trigger t? */
bool sim_trigger_matches(const sim_trigger *t, const rs_trace_event *e, rs_trace_role process_role);

/* "client marshal pszString max_count" -- the trigger as a script writes it. */
void sim_trigger_format(const sim_trigger *t, char *out, size_t size);

/* ---- cues: which narration and question belong to which event -------------------------------- */

/* Walks a timeline in order and remembers, for each event, the narrations that fire there and
 * the question asked before it. The same timeline always gives the same cues. */
typedef struct sim_cues sim_cues;

RS_MUST_CHECK rs_status sim_cues_create(const sim_lesson *l, sim_cues **out);
void sim_cues_destroy(sim_cues *c);

/* Examines the events placed since the last update. RS_ERR_NOMEM. */
RS_MUST_CHECK rs_status sim_cues_update(sim_cues *c, const sim_timeline *tl);

/* The narrations for event i (up to max of them into out, in script order); returns how many
 * there are. Only events examined by an update have cues. */
size_t sim_cues_narrations(const sim_cues *c, size_t i, const sim_narration **out, size_t max);

/* The question to ask before event i is revealed, or NULL. */
const sim_question *sim_cues_question(const sim_cues *c, size_t i);

#endif
