/* demo.h -- hand-made timelines of whole calls, for screenshots, tests and benchmarks without
 * processes.
 *
 * Each demo is the sequence of trace events a real client and server would report for one call,
 * with real bytes: the NDR comes from the NDR engine (ndr.h, with its observer, as the runtime
 * does), the PDUs from the PDU encoder (pdu.h).
 *
 *     ui_demo *d = ui_demo_create(UI_DEMO_HELLO);
 *     ui_scene_build(scene, ui_demo_events(d), ui_demo_count(d), 12);
 *     ...
 *     ui_demo_destroy(d);
 *
 * UI_DEMO_HELLO   HelloProc([in, string] unsigned char *pszString = "hello, world") over
 *                 ncacn_ip_tcp:127.0.0.1[4747]: bind, request, response (32 events).
 * UI_DEMO_POINTERS Greet([in, string] char *pszName, [in, unique] int32_t *pAge = NULL,
 *                 [in, unique] int32_t *pCount -> 3, [in] int16_t flags, [out] int32_t *pResult):
 *                 a NULL unique pointer, a referent id, padding, and an [out] value coming back.
 * UI_DEMO_FAULT   Divide(7, 0): the server answers with the fault nca_s_fault_int_div_by_zero.
 * UI_DEMO_BUSY    Upload(n, [size_is(n)] byte *data, count, [size_is(count)] POINT *points) with
 *                 64 KiB of data and 500 points: 17 request fragments, about 3200 events.
 */
#ifndef RPCSCOPE_UI_DEMO_H
#define RPCSCOPE_UI_DEMO_H

#include <stdbool.h>
#include <stddef.h>

#include "trace.h"

typedef enum ui_demo_id { UI_DEMO_HELLO, UI_DEMO_POINTERS, UI_DEMO_FAULT, UI_DEMO_BUSY } ui_demo_id;

typedef struct ui_demo ui_demo;

/* NULL when out of memory. */
ui_demo *ui_demo_create(ui_demo_id id);
void ui_demo_destroy(ui_demo *d);

const rs_trace_event *const *ui_demo_events(const ui_demo *d);
size_t ui_demo_count(const ui_demo *d);

/* The first step whose event has this kind (and, if name is not NULL, this name), searching
 * from `from`; ui_demo_count() if none. For tests and screenshots: "the step where the server
 * writes pszString". */
size_t ui_demo_find(const ui_demo *d, size_t from, rs_trace_kind kind, const char *name);

/* "hello", "pointers", "fault", "busy" to an id; false for another name. */
bool ui_demo_from_name(const char *name, ui_demo_id *id);

#endif
