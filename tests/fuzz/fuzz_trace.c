/* fuzz_trace.c -- libFuzzer target: the trace stream reader (rs_trace_get_preamble(),
 * rs_trace_decode()) on any bytes, whole and incrementally.
 *
 * Input: byte 0 picks a split point, the rest is a stream (the preamble, then records; a stream
 * without a valid preamble is read as bare records from its first byte). The stream is read
 * twice: once with all of it present, and once as a socket reader sees it -- first only the
 * bytes before the split, retrying after RS_ERR_TRUNCATED once the rest has arrived. Both reads
 * must give the same events and end with the same status: a record cut anywhere never decodes
 * differently. Every decoded event's bytes must lie inside the stream and every string must be
 * NUL-terminated inside the caller's scratch. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "trace.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct outcome {
    rs_status final; /* the status that ended the read */
    size_t events;
    uint64_t hash; /* over every field of every event */
} outcome;

static uint64_t mix(uint64_t h, const void *p, size_t n)
{
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 0x100000001b3u;
    return h;
}

static uint64_t mix_string(uint64_t h, const char *s, const char *scratch)
{
    if (s == NULL || s < scratch || s >= scratch + RS_TRACE_STRINGS_SIZE)
        abort(); /* never NULL; always in the scratch */
    const char *end = memchr(s, 0, (size_t)(scratch + RS_TRACE_STRINGS_SIZE - s));
    if (end == NULL || end - s > RS_TRACE_STRING_MAX)
        abort();
    return mix(h, s, (size_t)(end - s) + 1);
}

static uint64_t mix_event(uint64_t h, const rs_trace_event *ev, const char *scratch)
{
    uint64_t fields[] = {ev->kind,    ev->layer,    ev->role,     ev->pid,   ev->seq,
                         ev->time_ns, ev->call_id,  ev->opnum,    ev->ndr_role, ev->ptype,
                         ev->offset,  ev->length,   ev->address,  ev->flags, ev->bytes_len};
    h = mix(h, fields, sizeof fields);
    h = mix_string(h, ev->interface, scratch);
    h = mix_string(h, ev->procedure, scratch);
    h = mix_string(h, ev->name, scratch);
    h = mix_string(h, ev->ndr_type, scratch);
    h = mix_string(h, ev->c_type, scratch);
    h = mix_string(h, ev->text, scratch);
    if (ev->bytes_len > 0)
        h = mix(h, ev->bytes, ev->bytes_len);
    (void)rs_trace_kind_name(ev->kind);
    (void)rs_trace_layer_name(ev->layer);
    (void)rs_trace_role_name(ev->role);
    return h;
}

/* Reads `stream` as a reader that first has `split` bytes and later all `len`. */
static outcome read_stream(const uint8_t *stream, size_t len, size_t split, char *scratch)
{
    outcome o = {RS_OK, 0, 0xcbf29ce484222325u};
    size_t have = split, used = 0;

    /* The preamble; a stream without one is read as bare records from offset 0. */
    for (;;) {
        rs_buf in;
        rs_buf_view(&in, stream, have);
        rs_status st = rs_trace_get_preamble(&in);
        if (st == RS_OK) {
            used = in.pos;
            break;
        }
        if (in.pos != 0)
            abort(); /* a failure leaves the cursor */
        if (st == RS_ERR_TRUNCATED && have < len) {
            have = len;
            continue;
        }
        break;
    }

    for (;;) {
        rs_buf in;
        rs_buf_view(&in, stream + used, have - used);
        rs_trace_event ev;
        rs_status st = rs_trace_decode(&in, &ev, scratch);
        if (st == RS_OK) {
            if (in.pos == 0 || in.pos > have - used)
                abort(); /* a record is never empty, never past the bytes */
            if (ev.bytes_len > 0 &&
                (ev.bytes < stream + used || ev.bytes + ev.bytes_len > stream + used + in.pos))
                abort(); /* the bytes lie inside the record */
            o.hash = mix_event(o.hash, &ev, scratch);
            o.events++;
            used += in.pos;
            continue;
        }
        if (in.pos != 0)
            abort();
        if (st == RS_ERR_TRUNCATED && have < len) {
            have = len; /* the rest arrived */
            continue;
        }
        o.final = st;
        return o;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const uint8_t *stream_in = data + 1;
    size_t len = size - 1;
    size_t split = len <= 255 ? (size_t)data[0] % (len + 1) : (size_t)data[0] * len / 255;

    /* Exact-size heap copies, so that a read past the stream or the scratch is an ASan error. */
    uint8_t *stream = malloc(len > 0 ? len : 1);
    char *scratch = malloc(RS_TRACE_STRINGS_SIZE);
    if (stream == NULL || scratch == NULL)
        abort();
    memcpy(stream, stream_in, len);

    outcome whole = read_stream(stream, len, len, scratch);
    outcome cut = read_stream(stream, len, split, scratch);
    if (whole.events != cut.events || whole.hash != cut.hash || whole.final != cut.final)
        abort(); /* where the bytes were cut changed what they say */

    free(scratch);
    free(stream);
    return 0;
}
