/* recording.c -- writes a timeline as a trace stream and reads one back. See recording.h. */
#include "recording.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "buf.h"
#include "trace.h"

struct sim_recording {
    FILE *f;
    char *path;
    size_t written; /* events of the timeline already in the file */
    bool failed;
};

rs_status sim_recording_create(const char *path, sim_recording **out, rs_error *err)
{
    *out = NULL;
    sim_recording *r = calloc(1, sizeof *r);
    if (r == NULL || (r->path = strdup(path)) == NULL) {
        free(r);
        return rs_error_set(err, RS_ERR_NOMEM, "recording: out of memory");
    }
    r->f = fopen(path, "wb");
    if (r->f == NULL) {
        rs_status st = rs_error_set(err, RS_ERR_IO, "%s: cannot write the recording: %s", path,
                                    strerror(errno));
        free(r->path);
        free(r);
        return st;
    }
    uint8_t pre[RS_TRACE_PREAMBLE_SIZE];
    rs_buf b;
    rs_buf_init(&b, sizeof pre);
    if (rs_trace_put_preamble(&b) != RS_OK || fwrite(b.data, 1, b.len, r->f) != b.len ||
        fflush(r->f) != 0) {
        rs_buf_free(&b);
        fclose(r->f);
        free(r->path);
        free(r);
        return rs_error_set(err, RS_ERR_IO, "%s: cannot write the recording: %s", path,
                            strerror(errno));
    }
    rs_buf_free(&b);
    *out = r;
    return RS_OK;
}

rs_status sim_recording_sync(sim_recording *r, const sim_timeline *tl, rs_error *err)
{
    size_t count = sim_timeline_count(tl);
    if (r->written >= count)
        return RS_OK;
    rs_buf b;
    rs_buf_init(&b, (size_t)RS_TRACE_LENGTH_SIZE + RS_TRACE_RECORD_MAX);
    for (; r->written < count && !r->failed; r->written++) {
        rs_buf_reset(&b);
        const sim_event *e = sim_timeline_at(tl, r->written);
        if (rs_trace_encode(&e->ev, &b) != RS_OK) {
            rs_status st = rs_error_set(err, RS_ERR_IO, "%s: cannot encode event %zu: %s", r->path,
                                        r->written + 1, rs_buf_error(&b));
            rs_buf_free(&b);
            return st;
        }
        if (fwrite(b.data, 1, b.len, r->f) != b.len)
            r->failed = true;
    }
    rs_buf_free(&b);
    if (fflush(r->f) != 0)
        r->failed = true;
    if (r->failed)
        return rs_error_set(err, RS_ERR_IO, "%s: cannot write the recording: %s", r->path,
                            strerror(errno));
    return RS_OK;
}

rs_status sim_recording_close(sim_recording *r, rs_error *err)
{
    if (r == NULL)
        return RS_OK;
    bool failed = r->failed;
    if (fclose(r->f) != 0)
        failed = true;
    rs_status st = RS_OK;
    if (failed)
        st = rs_error_set(err, RS_ERR_IO, "%s: writing the recording failed", r->path);
    free(r->path);
    free(r);
    return st;
}

rs_status sim_recording_read(const uint8_t *data, size_t len, const char *name, sim_timeline *tl,
                             rs_error *err)
{
    rs_buf in;
    rs_buf_view(&in, data, len);
    if (len == 0)
        return rs_error_set(err, RS_ERR_TRUNCATED, "%s: the file is empty: not a recording", name);
    rs_status st = rs_trace_get_preamble(&in);
    if (st == RS_ERR_TRUNCATED)
        return rs_error_set(err, st, "%s: the recording is cut short at byte offset 0: %s", name,
                            rs_buf_error(&in));
    if (st != RS_OK)
        return rs_error_set(err, st, "%s: not a recording (byte offset 0): %s", name,
                            rs_buf_error(&in));
    char strings[RS_TRACE_STRINGS_SIZE]; /* decode scratch, about 6 KiB */
    size_t events = 0;
    while (rs_buf_remaining(&in) > 0) {
        size_t at = in.pos;
        rs_trace_event ev;
        rs_buf view;
        rs_buf_view(&view, data, len);
        view.pos = at;
        st = rs_trace_decode(&view, &ev, strings);
        if (st == RS_ERR_TRUNCATED) {
            sim_timeline_flush(tl); /* what came before the cut is whole: keep it placed */
            return rs_error_set(err, st,
                                "%s: the recording is cut short at byte offset %zu, in the "
                                "record of event %zu: %s",
                                name, at, events + 1, rs_buf_error(&view));
        }
        if (st != RS_OK)
            return rs_error_set(err, st,
                                "%s: the recording is corrupt at byte offset %zu, in the record "
                                "of event %zu: %s",
                                name, at, events + 1, rs_buf_error(&view));
        rs_error e = {0};
        st = sim_timeline_add(tl, &ev, 0, &e);
        if (st != RS_OK)
            return rs_error_set(err, st, "%s: event %zu at byte offset %zu: %s", name, events + 1,
                                at, e.message);
        in.pos = view.pos;
        events++;
    }
    sim_timeline_flush(tl);
    return RS_OK;
}

rs_status sim_recording_load(const char *path, sim_timeline *tl, rs_error *err)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return rs_error_set(err, RS_ERR_IO, "%s: cannot read the recording: %s", path,
                            strerror(errno));
    struct stat sb;
    if (fstat(fileno(f), &sb) != 0 || !S_ISREG(sb.st_mode)) {
        fclose(f);
        return rs_error_set(err, RS_ERR_IO, "%s: not a regular file", path);
    }
    if ((uint64_t)sb.st_size > SIM_RECORDING_MAX) {
        fclose(f);
        return rs_error_set(err, RS_ERR_LIMIT, "%s: the recording is larger than %zu bytes", path,
                            SIM_RECORDING_MAX);
    }
    size_t len = (size_t)sb.st_size;
    uint8_t *data = malloc(len > 0 ? len : 1);
    if (data == NULL) {
        fclose(f);
        return rs_error_set(err, RS_ERR_NOMEM, "%s: out of memory for %zu bytes", path, len);
    }
    size_t got = fread(data, 1, len, f);
    bool bad = ferror(f);
    fclose(f);
    rs_status st;
    if (bad)
        st = rs_error_set(err, RS_ERR_IO, "%s: cannot read the recording", path);
    else
        st = sim_recording_read(data, got, path, tl, err);
    free(data);
    return st;
}
