/* chrome_trace.c -- the timeline as trace-event JSON. See chrome_trace.h. */
#include "chrome_trace.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "pdu.h"
#include "text.h"

#define SLICE_US 4 /* a PDU's slice; its flow arrow starts and ends inside it */

void sim_json_string(FILE *f, const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    fputc('"', f);
    while (*p) {
        unsigned c = *p;
        if (c == '"' || c == '\\') {
            fprintf(f, "\\%c", c);
            p++;
        } else if (c < 0x20) {
            fprintf(f, "\\u%04x", c);
            p++;
        } else if (c < 0x80) {
            fputc((int)c, f);
            p++;
        } else {
            /* A whole, valid UTF-8 sequence passes through; anything else is U+FFFD. */
            size_t n = (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
            unsigned cp = n == 2 ? c & 0x1F : n == 3 ? c & 0x0F : c & 0x07;
            bool ok = n > 0;
            for (size_t k = 1; ok && k < n; k++) {
                ok = (p[k] & 0xC0) == 0x80;
                cp = cp << 6 | (p[k] & 0x3F);
            }
            unsigned min = n == 2 ? 0x80 : n == 3 ? 0x800 : 0x10000;
            ok = ok && cp >= min && cp <= 0x10FFFF && !(cp >= 0xD800 && cp <= 0xDFFF);
            if (ok) {
                fwrite(p, 1, n, f);
                p += n;
            } else {
                fputs("\\ufffd", f);
                p++;
            }
        }
    }
    fputc('"', f);
}

static uint64_t ts_of(size_t index)
{
    return (uint64_t)(index + 1) * SIM_CHROME_STEP_US;
}

static unsigned lane_of(const rs_trace_event *e)
{
    unsigned l = e->layer != 0 ? (unsigned)e->layer : (unsigned)rs_trace_kind_layer(e->kind);
    return l >= 1 && l <= 4 ? l : 3;
}

static void comma(FILE *f, bool *first)
{
    fputs(*first ? "\n" : ",\n", f);
    *first = false;
}

/* The short name of an event: "marshal pszString", "send request". */
static void event_name(const rs_trace_event *e, char *out, size_t size)
{
    const char *what = e->name[0] ? e->name : e->procedure[0] ? e->procedure : "";
    if (e->kind == RS_TRACE_PDU_BUILT || e->kind == RS_TRACE_PDU_SENT ||
        e->kind == RS_TRACE_PDU_RECEIVED || e->kind == RS_TRACE_PDU_REASSEMBLED)
        what = rs_pdu_type_name(e->ptype);
    snprintf(out, size, "%s%s%s", sim_kind_verb(e->kind), what[0] ? " " : "", what);
}

static void common(FILE *f, const sim_timeline *tl, const sim_event *se, const char *ph,
                   uint64_t ts)
{
    const rs_trace_event *e = &se->ev;
    char name[256];
    event_name(e, name, sizeof name);
    fprintf(f, "{\"ph\":\"%s\",\"name\":", ph);
    sim_json_string(f, name);
    fprintf(f, ",\"cat\":\"%s\",\"pid\":%u,\"tid\":%u,\"ts\":%" PRIu64,
            rs_trace_layer_name((rs_trace_layer)lane_of(e)),
            sim_timeline_process(tl, se->process)->order, lane_of(e), ts);
}

static void args(FILE *f, const sim_timeline *tl, const sim_event *se)
{
    char line[SIM_TEXT_LINE_MAX];
    sim_text_options o = sim_text_default_options();
    sim_text_event(tl, se->index, &o, line, sizeof line);
    fprintf(f, ",\"args\":{\"step\":%zu,\"seq\":%" PRIu64 ",\"process_time_ns\":%" PRIu64
               ",\"line\":",
            se->index + 1, se->ev.seq, se->ev.time_ns);
    sim_json_string(f, line);
    fputs("}}", f);
}

/* The end of the span that event `begin` opens: the matching end kind later in the same process
 * (same procedure, and same call id when both have one), or the process's last event. */
static size_t span_end(const sim_timeline *tl, size_t begin, rs_trace_kind end_kind)
{
    const sim_event *b = sim_timeline_at(tl, begin);
    const sim_process *p = sim_timeline_process(tl, b->process);
    int depth = 0;
    for (size_t i = begin + 1; i < sim_timeline_count(tl); i++) {
        const sim_event *e = sim_timeline_at(tl, i);
        if (e->process != b->process || strcmp(e->ev.procedure, b->ev.procedure) != 0)
            continue;
        if (e->ev.call_id != 0 && b->ev.call_id != 0 && e->ev.call_id != b->ev.call_id &&
            e->ev.kind == end_kind)
            continue;
        if (e->ev.kind == b->ev.kind)
            depth++;
        else if (e->ev.kind == end_kind && depth-- == 0)
            return i;
    }
    return p->last_index;
}

void sim_chrome_trace_print(FILE *f, const sim_timeline *tl)
{
    static const char *const lanes[] = {"", "application", "stub", "runtime", "transport"};
    bool first = true;
    fputs("{\"displayTimeUnit\":\"ms\",\"otherData\":{\"generator\":\"rpcscope\",\"clock\":"
          "\"logical: step N is at N * 10 us\"},\"traceEvents\":[",
          f);
    for (size_t p = 0; p < sim_timeline_process_count(tl); p++) {
        const sim_process *pr = sim_timeline_process(tl, p);
        if (pr->order == 0)
            continue;
        comma(f, &first);
        fprintf(f, "{\"ph\":\"M\",\"name\":\"process_name\",\"pid\":%u,\"tid\":0,\"args\":{"
                   "\"name\":",
                pr->order);
        sim_json_string(f, pr->name);
        fputs("}}", f);
        comma(f, &first);
        fprintf(f, "{\"ph\":\"M\",\"name\":\"process_sort_index\",\"pid\":%u,\"tid\":0,"
                   "\"args\":{\"sort_index\":%u}}",
                pr->order, pr->order);
        for (unsigned l = 1; l <= 4; l++) {
            comma(f, &first);
            fprintf(f, "{\"ph\":\"M\",\"name\":\"thread_name\",\"pid\":%u,\"tid\":%u,\"args\":{"
                       "\"name\":\"%s\"}}",
                    pr->order, l, lanes[l]);
            comma(f, &first);
            fprintf(f, "{\"ph\":\"M\",\"name\":\"thread_sort_index\",\"pid\":%u,\"tid\":%u,"
                       "\"args\":{\"sort_index\":%u}}",
                    pr->order, l, l);
        }
    }
    for (size_t i = 0; i < sim_timeline_count(tl); i++) {
        const sim_event *se = sim_timeline_at(tl, i);
        const rs_trace_event *e = &se->ev;
        uint64_t ts = ts_of(i);
        comma(f, &first);
        if (e->kind == RS_TRACE_CALL_BEGIN || e->kind == RS_TRACE_PROCEDURE_ENTER) {
            rs_trace_kind end_kind = e->kind == RS_TRACE_CALL_BEGIN ? RS_TRACE_CALL_END
                                                                    : RS_TRACE_PROCEDURE_RETURN;
            size_t end = span_end(tl, i, end_kind);
            common(f, tl, se, "X", ts);
            fprintf(f, ",\"dur\":%" PRIu64, ts_of(end) - ts + SLICE_US);
            args(f, tl, se);
        } else if (e->kind == RS_TRACE_PDU_SENT || e->kind == RS_TRACE_PDU_RECEIVED) {
            common(f, tl, se, "X", ts);
            fprintf(f, ",\"dur\":%d", SLICE_US);
            args(f, tl, se);
            if (se->pair != SIM_NONE) {
                /* The arrow: id = the send's step, so each pair has its own. */
                size_t send = e->kind == RS_TRACE_PDU_SENT ? i : se->pair;
                comma(f, &first);
                common(f, tl, se, e->kind == RS_TRACE_PDU_SENT ? "s" : "f", ts + 1);
                fprintf(f, ",\"id\":%zu%s}", send + 1,
                        e->kind == RS_TRACE_PDU_SENT ? "" : ",\"bp\":\"e\"");
            }
        } else {
            common(f, tl, se, "i", ts);
            fputs(",\"s\":\"t\"", f);
            args(f, tl, se);
        }
    }
    fputs("\n]}\n", f);
}

rs_status sim_chrome_trace_write(const sim_timeline *tl, const char *path, rs_error *err)
{
    FILE *f = fopen(path, "w");
    if (f == NULL)
        return rs_error_set(err, RS_ERR_IO, "%s: cannot write the Chrome trace: %s", path,
                            strerror(errno));
    sim_chrome_trace_print(f, tl);
    bool bad = ferror(f);
    if (fclose(f) != 0 || bad)
        return rs_error_set(err, RS_ERR_IO, "%s: writing the Chrome trace failed", path);
    return RS_OK;
}
