/* test_sim_recording.c -- recordings: a round trip keeps every event, field, pair and text line;
 * every truncation of the file is either a clear error naming the byte offset or, cut exactly
 * between records, the events before the cut; corrupt files are refused, never guessed at. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "recording.h"
#include "text.h"

static const uint8_t pdu[20] = {5, 0, 0, 3, 0x10, 0, 0, 0, 20, 0, 0, 0, 1, 0, 0, 0, 9, 9, 9, 9};

static sim_timeline *live(void)
{
    sim_timeline *tl;
    assert_int_equal(sim_timeline_create(NULL, &tl), RS_OK);
    rs_trace_event evs[] = {
        {.kind = RS_TRACE_CALL_BEGIN, .role = RS_TRACE_ROLE_CLIENT, .pid = 10, .seq = 1,
         .time_ns = 111, .interface = "hello", .procedure = "HelloProc", .call_id = 1,
         .text = "caf\xc3\xa9"},
        /* the receive arrives before its send: the timeline puts it after */
        {.kind = RS_TRACE_PDU_RECEIVED, .role = RS_TRACE_ROLE_SERVER, .pid = 20, .seq = 5,
         .bytes = pdu, .bytes_len = sizeof pdu, .ptype = 0, .call_id = 1},
        {.kind = RS_TRACE_PDU_SENT, .role = RS_TRACE_ROLE_CLIENT, .pid = 10, .seq = 2,
         .bytes = pdu, .bytes_len = sizeof pdu, .ptype = 0, .call_id = 1,
         .flags = RS_TRACE_FLAG_OUT, .address = 0xdeadbeef, .offset = 7, .length = 20},
        {.kind = RS_TRACE_NDR_GET, .role = RS_TRACE_ROLE_SERVER, .pid = 20, .seq = 6,
         .name = "pszString", .ndr_type = "unsigned long", .ndr_role = 2, .opnum = 3},
        {.kind = RS_TRACE_CALL_END, .role = RS_TRACE_ROLE_CLIENT, .pid = 10, .seq = 9,
         .text = "ok"}, /* seq 3..8 lost */
    };
    for (size_t i = 0; i < sizeof evs / sizeof evs[0]; i++) {
        rs_error err = {0};
        assert_int_equal(sim_timeline_add(tl, &evs[i], 0, &err), RS_OK);
    }
    assert_int_equal(sim_timeline_count(tl), 5);
    return tl;
}

static char path[64];

static int setup(void **state)
{
    (void)state;
    snprintf(path, sizeof path, "/tmp/test-sim-recording-%d.rstrace", (int)getpid());
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    unlink(path);
    return 0;
}

static void write_recording(sim_timeline *tl)
{
    sim_recording *r;
    rs_error err = {0};
    assert_int_equal(sim_recording_create(path, &r, &err), RS_OK);
    assert_int_equal(sim_recording_sync(r, tl, &err), RS_OK);
    assert_int_equal(sim_recording_sync(r, tl, &err), RS_OK); /* nothing new: nothing written */
    assert_int_equal(sim_recording_close(r, &err), RS_OK);
}

static uint8_t *slurp(size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    uint8_t *d = malloc(1 << 16);
    assert_non_null(d);
    *len = fread(d, 1, 1 << 16, f);
    fclose(f);
    return d;
}

static void test_round_trip(void **state)
{
    (void)state;
    sim_timeline *tl = live();
    write_recording(tl);
    sim_timeline_options o = {.ordered = true};
    sim_timeline *back;
    assert_int_equal(sim_timeline_create(&o, &back), RS_OK);
    rs_error err = {0};
    assert_int_equal(sim_recording_load(path, back, &err), RS_OK);
    assert_int_equal(sim_timeline_count(back), sim_timeline_count(tl));
    for (size_t i = 0; i < sim_timeline_count(tl); i++) {
        const sim_event *a = sim_timeline_at(tl, i), *b = sim_timeline_at(back, i);
        assert_int_equal(a->ev.kind, b->ev.kind);
        assert_int_equal(a->ev.pid, b->ev.pid);
        assert_int_equal(a->ev.seq, b->ev.seq);
        assert_int_equal(a->ev.time_ns, b->ev.time_ns);
        assert_int_equal(a->ev.flags, b->ev.flags);
        assert_int_equal(a->ev.address, b->ev.address);
        assert_int_equal(a->ev.offset, b->ev.offset);
        assert_int_equal(a->ev.opnum, b->ev.opnum);
        assert_int_equal(a->ev.ndr_role, b->ev.ndr_role);
        assert_string_equal(a->ev.text, b->ev.text);
        assert_string_equal(a->ev.name, b->ev.name);
        assert_int_equal(a->ev.bytes_len, b->ev.bytes_len);
        if (a->ev.bytes_len > 0)
            assert_memory_equal(a->ev.bytes, b->ev.bytes, a->ev.bytes_len);
        assert_int_equal(a->pair, b->pair);
        assert_int_equal(a->missing, b->missing);
        char la[SIM_TEXT_LINE_MAX], lb[SIM_TEXT_LINE_MAX];
        sim_text_event(tl, i, NULL, la, sizeof la);
        sim_text_event(back, i, NULL, lb, sizeof lb);
        assert_string_equal(la, lb);
    }
    assert_int_equal(sim_timeline_at(back, 2)->pair, 1); /* the receive, after its send */
    sim_timeline_destroy(back);
    sim_timeline_destroy(tl);
}

/* The file is the trace stream format: a preamble, then records any trace reader decodes. */
static void test_same_format_as_the_stream(void **state)
{
    (void)state;
    sim_timeline *tl = live();
    write_recording(tl);
    size_t len;
    uint8_t *d = slurp(&len);
    rs_buf in;
    rs_buf_view(&in, d, len);
    assert_int_equal(rs_trace_get_preamble(&in), RS_OK);
    char strings[RS_TRACE_STRINGS_SIZE];
    size_t n = 0;
    while (rs_buf_remaining(&in) > 0) {
        rs_trace_event ev;
        assert_int_equal(rs_trace_decode(&in, &ev, strings), RS_OK);
        assert_int_equal(ev.seq, sim_timeline_at(tl, n)->ev.seq);
        n++;
    }
    assert_int_equal(n, 5);
    free(d);
    sim_timeline_destroy(tl);
}

/* Every cut of the file: an error naming the offset of the record it cuts, or -- exactly between
 * two records -- a valid recording of the events before the cut. */
static void test_every_truncation(void **state)
{
    (void)state;
    sim_timeline *tl = live();
    write_recording(tl);
    size_t len;
    uint8_t *d = slurp(&len);
    size_t boundaries[8], nb = 0, at = RS_TRACE_PREAMBLE_SIZE;
    boundaries[nb++] = at;
    while (at < len) {
        at += RS_TRACE_LENGTH_SIZE + rs_load_u32(d + at, RS_LE);
        boundaries[nb++] = at;
    }
    assert_int_equal(at, len);
    for (size_t cut = 0; cut < len; cut++) {
        sim_timeline_options o = {.ordered = true};
        sim_timeline *t;
        assert_int_equal(sim_timeline_create(&o, &t), RS_OK);
        uint8_t *copy = malloc(cut + 1); /* exactly `cut` bytes, so ASan sees any overread */
        memcpy(copy, d, cut);
        rs_error err = {0};
        rs_status st = sim_recording_read(copy, cut, "cut.rstrace", t, &err);
        size_t k = 0;
        while (k < nb && boundaries[k] != cut)
            k++;
        if (k < nb) {
            assert_int_equal(st, RS_OK);
            assert_int_equal(sim_timeline_count(t), k);
        } else {
            assert_int_equal(st, RS_ERR_TRUNCATED);
            char want[96];
            if (cut == 0) {
                assert_string_equal(err.message, "cut.rstrace: the file is empty: not a recording");
            } else if (cut < RS_TRACE_PREAMBLE_SIZE) {
                assert_non_null(strstr(err.message, "cut short at byte offset 0"));
            } else {
                size_t rec = 0;
                while (boundaries[rec + 1] < cut)
                    rec++;
                snprintf(want, sizeof want, "cut.rstrace: the recording is cut short at byte "
                                            "offset %zu, in the record of event %zu: ",
                         boundaries[rec], rec + 1);
                assert_int_equal(strncmp(err.message, want, strlen(want)), 0);
                assert_int_equal(sim_timeline_count(t), rec);
            }
        }
        free(copy);
        sim_timeline_destroy(t);
    }
    free(d);
    sim_timeline_destroy(tl);
}

static void test_corrupt_files(void **state)
{
    (void)state;
    sim_timeline *tl = live();
    write_recording(tl);
    size_t len;
    uint8_t *d = slurp(&len);
    sim_timeline_options o = {.ordered = true};
    sim_timeline *t;
    rs_error err = {0};

    d[0] = 'X';
    assert_int_equal(sim_timeline_create(&o, &t), RS_OK);
    assert_int_equal(sim_recording_read(d, len, "a", t, &err), RS_ERR_PROTOCOL);
    assert_string_equal(err.message, "a: not a recording (byte offset 0): trace: the stream begins "
                                     "with 58 53 54 52, not \"RSTR\": it is not an rpcscope trace");
    sim_timeline_destroy(t);
    d[0] = 'R';

    uint8_t was = d[4];
    d[4] = RS_TRACE_VERSION + 1; /* a version from the future */
    rs_error_clear(&err);
    assert_int_equal(sim_timeline_create(&o, &t), RS_OK);
    assert_int_equal(sim_recording_read(d, len, "b", t, &err), RS_ERR_VERSION);
    sim_timeline_destroy(t);
    d[4] = 1; /* version 1 has the same records: a recording made before the verdict reads */
    rs_error_clear(&err);
    assert_int_equal(sim_timeline_create(&o, &t), RS_OK);
    assert_int_equal(sim_recording_read(d, len, "b", t, &err), RS_OK);
    sim_timeline_destroy(t);
    d[4] = was;

    size_t second = RS_TRACE_PREAMBLE_SIZE + RS_TRACE_LENGTH_SIZE + rs_load_u32(d + 8, RS_LE);
    d[second + 4] = 0xEE; /* the second record's kind */
    rs_error_clear(&err);
    assert_int_equal(sim_timeline_create(&o, &t), RS_OK);
    assert_int_equal(sim_recording_read(d, len, "c", t, &err), RS_ERR_PROTOCOL);
    char want[256];
    snprintf(want, sizeof want, "c: the recording is corrupt at byte offset %zu, in the record of "
                                "event 2: trace: the record at offset 0x%zx has kind 238",
             second, second);
    assert_int_equal(strncmp(err.message, want, strlen(want)), 0);
    assert_int_equal(sim_timeline_count(t), 1);
    sim_timeline_destroy(t);
    d[second + 4] = (uint8_t)sim_timeline_at(tl, 1)->ev.kind;

    /* a record repeated: the seq check refuses it */
    uint8_t *twice = malloc(len + (len - RS_TRACE_PREAMBLE_SIZE));
    memcpy(twice, d, len);
    memcpy(twice + len, d + RS_TRACE_PREAMBLE_SIZE, len - RS_TRACE_PREAMBLE_SIZE);
    rs_error_clear(&err);
    assert_int_equal(sim_timeline_create(&o, &t), RS_OK);
    assert_int_equal(sim_recording_read(twice, 2 * len - RS_TRACE_PREAMBLE_SIZE, "d", t, &err),
                     RS_ERR_PROTOCOL);
    snprintf(want, sizeof want, "d: event 6 at byte offset %zu: timeline: pid 10 sent seq 1 after "
                                "seq 9",
             len);
    assert_int_equal(strncmp(err.message, want, strlen(want)), 0);
    sim_timeline_destroy(t);
    free(twice);

    rs_error_clear(&err);
    assert_int_equal(sim_timeline_create(&o, &t), RS_OK);
    assert_int_equal(sim_recording_load("/nonexistent.rstrace", t, &err), RS_ERR_IO);
    assert_string_equal(err.message, "/nonexistent.rstrace: cannot read the recording: No such "
                                     "file or directory");
    rs_error_clear(&err);
    assert_int_equal(sim_recording_load("/tmp", t, &err), RS_ERR_IO);
    assert_string_equal(err.message, "/tmp: not a regular file");
    sim_timeline_destroy(t);

    sim_recording *r;
    rs_error_clear(&err);
    assert_int_equal(sim_recording_create("/nonexistent/dir/x.rstrace", &r, &err), RS_ERR_IO);
    assert_null(r);
    free(d);
    sim_timeline_destroy(tl);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_same_format_as_the_stream),
        cmocka_unit_test(test_every_truncation),
        cmocka_unit_test(test_corrupt_files),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
