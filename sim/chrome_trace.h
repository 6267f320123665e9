/* chrome_trace.h -- a session as Chrome trace-event JSON, for Perfetto and chrome://tracing.
 *
 * Each traced process is a process of the trace ("client", "server") and each of its layers a
 * thread (application, stub, runtime, transport), so the lanes match the window's. Calls (client
 * CALL_BEGIN..CALL_END) and procedures (server PROCEDURE_ENTER..PROCEDURE_RETURN) are spans on
 * the application lane; each sent PDU is a short slice with a flow arrow ("s" to "f") to the
 * slice of its receive in the other process; every other event is an instant event carrying its
 * text-view line.
 *
 *     rs_error err = {0};
 *     if (sim_chrome_trace_write(tl, "call.json", &err) != RS_OK) die(err.message);
 *
 * Time is logical: step N of the timeline is at N * SIM_CHROME_STEP_US microseconds, because the
 * processes' clocks cannot be compared (other hosts; time stood still at step gates) while the
 * causal order can. Each event's own clock is in its args as "process_time_ns". The same
 * timeline always gives the same file. Strings are escaped as JSON requires; bytes that are not
 * UTF-8 become U+FFFD.
 */
#ifndef RPCSCOPE_SIM_CHROME_TRACE_H
#define RPCSCOPE_SIM_CHROME_TRACE_H

#include <stdio.h>

#include "status.h"
#include "timeline.h"

#define SIM_CHROME_STEP_US 10

/* Writes the JSON document to f. */
void sim_chrome_trace_print(FILE *f, const sim_timeline *tl);

/* Writes it to a file. RS_ERR_IO with the reason. */
RS_MUST_CHECK rs_status sim_chrome_trace_write(const sim_timeline *tl, const char *path,
                                               rs_error *err);

/* Writes s as a JSON string, quotes included. */
void sim_json_string(FILE *f, const char *s);

#endif
