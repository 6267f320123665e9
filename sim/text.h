/* text.h -- the text view: one stable, readable line per event, and the lesson's words with it.
 *
 * The window's twin for terminals, screen readers and tests. Each event becomes one line --
 * step number, process, layer, verb, then what the event is about -- and the lesson's narration
 * follows it, indented and wrapped. The same timeline always gives the same text: no addresses
 * or times unless asked, processes named "client" and "server" rather than by pid.
 *
 *     sim_text_options o = sim_text_default_options();
 *     char line[SIM_TEXT_LINE_MAX];
 *     sim_text_event(tl, i, &o, line, sizeof line);
 *     //   13 client    stub        marshal    pszString  max_count  unsigned long  ndr[4..8)  13
 *     sim_text_print(stdout, tl, i, cues, &o);      // the line, then its narration
 *
 * What the columns say, by kind:
 *   call, return, dispatch   INTERFACE.PROCEDURE  opnum N  call N  [text]
 *   read, write              NAME  C-TYPE  N bytes  VALUE  [out]  [at 0xADDRESS with --addresses]
 *   marshal, unmarshal,      NAME  [FIELD]  NDR-TYPE  ndr[FROM..TO)  VALUE  [array summary]
 *   convert                  (FIELD for counts, padding, referent ids, discriminants; the array
 *                            summary "conformant-varying: max 13, offset 0, actual 13" on data;
 *                            a tower_octet_string adds its binding, "tower ncacn_ip_tcp:H[P]")
 *   build, send, receive,    TYPE call N FLAGS LENGTH bytes  [per type: opnum, context, stub,
 *   reassemble               fault name, max_xmit/max_recv, sec_addr, result]  [from step N]
 *   fault                    NAME (0xCODE): sentence  [text]
 *   everything else          [INTERFACE]  text
 */
#ifndef RPCSCOPE_SIM_TEXT_H
#define RPCSCOPE_SIM_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "lesson.h"
#include "timeline.h"

#define SIM_TEXT_LINE_MAX 1024
#define SIM_TEXT_WIDTH 100   /* narration is wrapped to this many columns */
#define SIM_TEXT_INDENT 6    /* and indented this much */
#define SIM_TEXT_PREVIEW 32  /* characters or bytes of a value shown */

typedef struct sim_text_options {
    bool addresses; /* show memory addresses (they differ from run to run) */
    bool times;     /* show each event's process clock (likewise) */
    unsigned width; /* 0: SIM_TEXT_WIDTH */
} sim_text_options;

sim_text_options sim_text_default_options(void);

/* Event i as one line, without a newline, into out[size] (always NUL-terminated when size > 0).
 * Returns the length written. */
size_t sim_text_event(const sim_timeline *tl, size_t i, const sim_text_options *o, char *out,
                      size_t size);

/* Writes event i's line to f: first a note when events of its process were lost just before it,
 * then the line, then the narrations `cues` has for it (cues may be NULL). It does not flush f:
 * a caller printing a batch of events flushes once after it. */
void sim_text_print(FILE *f, const sim_timeline *tl, size_t i, const sim_cues *cues,
                    const sim_text_options *o);

/* Writes a question, its answers lettered a), b), ... and, when `answer`, which one is right. */
void sim_text_question(FILE *f, const sim_question *q, bool answer, const sim_text_options *o);

/* Writes `text` (paragraphs separated by '\n') indented by `indent` and wrapped at the width. */
void sim_text_wrap(FILE *f, const char *text, unsigned indent, const sim_text_options *o);

#endif
