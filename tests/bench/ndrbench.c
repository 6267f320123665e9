/* ndrbench.c -- NDR encode and decode against memcpy of the same bytes.
 *
 *     build/ndrbench [--reps N]
 *
 * Two workloads, each as the generated stubs marshal it:
 *   long array   1,000,000 `long`s: rs_ndr_put_array / rs_ndr_get_array, as conform's Reverse
 *                marshals its [size_is(n)] long *v after the max_count (one call for the block)
 *   mixed        100,000 `mixed` structs, one straight-line call per member, as conform_c.c's
 *                conform_put_mixed / conform_get_mixed (static there, so repeated here verbatim)
 * against memcpy of the wire bytes (4,000,000 and 2,400,000). The stream encodes into a buffer
 * grown by an earlier repetition and decodes from a view, in the host's byte order (little-endian
 * here: the fast path, as when both ends are x86). Each figure is the median of N repetitions
 * (default 21), in microseconds for the whole workload:
 *
 *     ndr_long_encode: X us   ndr_long_decode: X us   memcpy_long: X us
 *     ndr_mixed_encode: X us  ndr_mixed_decode: X us  memcpy_mixed: X us
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "conform.h"

#define LONG_COUNT 1000000u
#define MIXED_COUNT 100000u
#define MIXED_WIRE_SIZE 24 /* s(2) c(1) pad(1) l1(4) l2(4) pad(4) h(8), aligned to 8 */

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static void die(const char *what, rs_status st)
{
    fprintf(stderr, "ndrbench: %s: %s\n", what, rs_status_name(st));
    exit(1);
}

/* conform_put_mixed, as rpcidl writes it. */
static rs_status put_mixed(rs_ndr *ndr, const char *name, const mixed *v)
{
    rs_status st = rs_ndr_enter(ndr, name);
    if (st == RS_OK)
        st = rs_ndr_align(ndr, 8);
    if (st == RS_OK)
        st = rs_ndr_put_short(ndr, "s", v->s);
    if (st == RS_OK)
        st = rs_ndr_put_char(ndr, "c", v->c);
    if (st == RS_OK)
        st = rs_ndr_put_long(ndr, "l1", v->l1);
    if (st == RS_OK)
        st = rs_ndr_put_long(ndr, "l2", v->l2);
    if (st == RS_OK)
        st = rs_ndr_put_hyper(ndr, "h", v->h);
    if (st == RS_OK)
        st = rs_ndr_leave(ndr);
    return st;
}

/* conform_get_mixed, as rpcidl writes it. */
static rs_status get_mixed(rs_ndr *ndr, const char *name, mixed *v)
{
    rs_status st = rs_ndr_enter(ndr, name);
    if (st == RS_OK)
        st = rs_ndr_align(ndr, 8);
    if (st == RS_OK)
        st = rs_ndr_get_short(ndr, "s", &v->s);
    if (st == RS_OK)
        st = rs_ndr_get_char(ndr, "c", &v->c);
    if (st == RS_OK)
        st = rs_ndr_get_long(ndr, "l1", &v->l1);
    if (st == RS_OK)
        st = rs_ndr_get_long(ndr, "l2", &v->l2);
    if (st == RS_OK)
        st = rs_ndr_get_hyper(ndr, "h", &v->h);
    if (st == RS_OK)
        st = rs_ndr_leave(ndr);
    return st;
}

typedef enum { LONG_ENCODE, LONG_DECODE, MIXED_ENCODE, MIXED_DECODE } workload;

static int32_t *longs, *longs_out;
static mixed *mixeds, *mixeds_out;
static rs_buf wire_long, wire_mixed;

/* One run of a workload, in ns. */
static int64_t run(workload w)
{
    rs_ndr ndr;
    rs_buf view;
    rs_status st = RS_OK;
    int64_t t0 = now_ns();
    switch (w) {
    case LONG_ENCODE:
        rs_buf_reset(&wire_long);
        rs_ndr_init_encode(&ndr, &wire_long, RS_LE);
        st = rs_ndr_put_array(&ndr, "v", RS_NDR_LONG, longs, LONG_COUNT);
        break;
    case LONG_DECODE:
        rs_buf_view(&view, wire_long.data, wire_long.len);
        rs_ndr_init_decode(&ndr, &view, RS_LE);
        st = rs_ndr_get_array(&ndr, "v", RS_NDR_LONG, longs_out, LONG_COUNT);
        break;
    case MIXED_ENCODE:
        rs_buf_reset(&wire_mixed);
        rs_ndr_init_encode(&ndr, &wire_mixed, RS_LE);
        for (size_t i = 0; st == RS_OK && i < MIXED_COUNT; i++)
            st = put_mixed(&ndr, "m", &mixeds[i]);
        break;
    case MIXED_DECODE:
        rs_buf_view(&view, wire_mixed.data, wire_mixed.len);
        rs_ndr_init_decode(&ndr, &view, RS_LE);
        for (size_t i = 0; st == RS_OK && i < MIXED_COUNT; i++)
            st = get_mixed(&ndr, "m", &mixeds_out[i]);
        break;
    }
    if (st == RS_OK)
        st = rs_ndr_flush(&ndr);
    int64_t t = now_ns() - t0;
    rs_ndr_free(&ndr);
    if (st != RS_OK)
        die("ndr", st);
    return t;
}

static int64_t run_memcpy(void *dst, const void *src, size_t n)
{
    int64_t t0 = now_ns();
    memcpy(dst, src, n);
    __asm__ volatile("" : : "r"(dst) : "memory"); /* the copy must happen */
    return now_ns() - t0;
}

static double median_us(int64_t *t, int reps)
{
    qsort(t, (size_t)reps, sizeof *t, cmp_i64);
    return (double)t[reps / 2] / 1e3;
}

int main(int argc, char **argv)
{
    int reps = 21;
    if (argc == 3 && strcmp(argv[1], "--reps") == 0)
        reps = atoi(argv[2]);
    else if (argc != 1) {
        fprintf(stderr, "usage: ndrbench [--reps N]\n");
        return 2;
    }
    if (reps < 1)
        reps = 1;
    longs = malloc(LONG_COUNT * sizeof *longs);
    longs_out = malloc(LONG_COUNT * sizeof *longs_out);
    mixeds = malloc(MIXED_COUNT * sizeof *mixeds);
    mixeds_out = malloc(MIXED_COUNT * sizeof *mixeds_out);
    uint8_t *copy = malloc(LONG_COUNT * 4);
    int64_t *t = malloc((size_t)reps * sizeof *t);
    if (!longs || !longs_out || !mixeds || !mixeds_out || !copy || !t)
        die("memory", RS_ERR_NOMEM);
    for (uint32_t i = 0; i < LONG_COUNT; i++)
        longs[i] = (int32_t)(i * 2654435761u);
    for (uint32_t i = 0; i < MIXED_COUNT; i++)
        mixeds[i] = (mixed){.s = (int16_t)i, .c = (char)i, .l1 = (int32_t)i, .l2 = -(int32_t)i,
                            .h = (int64_t)i << 33};
    memset(longs_out, 0, LONG_COUNT * sizeof *longs_out);
    memset(mixeds_out, 0, MIXED_COUNT * sizeof *mixeds_out);
    memset(copy, 0, LONG_COUNT * 4);
    rs_buf_init(&wire_long, RS_BUF_NO_LIMIT);
    rs_buf_init(&wire_mixed, RS_BUF_NO_LIMIT);

    static const struct {
        workload w;
        const char *name;
    } ws[] = {{LONG_ENCODE, "ndr_long_encode"}, {LONG_DECODE, "ndr_long_decode"},
              {MIXED_ENCODE, "ndr_mixed_encode"}, {MIXED_DECODE, "ndr_mixed_decode"}};
    for (size_t k = 0; k < sizeof ws / sizeof ws[0]; k++) {
        (void)run(ws[k].w); /* grows the buffer, faults the pages in */
        for (int r = 0; r < reps; r++)
            t[r] = run(ws[k].w);
        printf("%s: %.1f us\n", ws[k].name, median_us(t, reps));
        if (ws[k].w == LONG_DECODE || ws[k].w == MIXED_DECODE) {
            bool same = ws[k].w == LONG_DECODE
                            ? memcmp(longs, longs_out, LONG_COUNT * sizeof *longs) == 0
                            : true;
            for (uint32_t i = 0; ws[k].w == MIXED_DECODE && i < MIXED_COUNT; i++)
                same = same && mixeds[i].s == mixeds_out[i].s && mixeds[i].c == mixeds_out[i].c &&
                       mixeds[i].l1 == mixeds_out[i].l1 && mixeds[i].l2 == mixeds_out[i].l2 &&
                       mixeds[i].h == mixeds_out[i].h;
            if (!same)
                die("the decode does not give back what was encoded", RS_ERR_NDR);
        }
    }
    if (wire_long.len != LONG_COUNT * 4 || wire_mixed.len != MIXED_COUNT * MIXED_WIRE_SIZE)
        die("unexpected wire size", RS_ERR_NDR);
    (void)run_memcpy(copy, wire_long.data, wire_long.len);
    for (int r = 0; r < reps; r++)
        t[r] = run_memcpy(copy, wire_long.data, wire_long.len);
    printf("memcpy_long: %.1f us\n", median_us(t, reps));
    for (int r = 0; r < reps; r++)
        t[r] = run_memcpy(copy, wire_mixed.data, wire_mixed.len);
    printf("memcpy_mixed: %.1f us\n", median_us(t, reps));

    rs_buf_free(&wire_long);
    rs_buf_free(&wire_mixed);
    free(longs);
    free(longs_out);
    free(mixeds);
    free(mixeds_out);
    free(copy);
    free(t);
    return 0;
}
