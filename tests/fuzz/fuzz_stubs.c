/* fuzz_stubs.c -- libFuzzer target: the server stubs rpcidl generates for
 * tests/interop/conform.idl, unmarshalling hostile stub data.
 *
 * Input: byte 0 picks the operation ((byte & 0x7f) % 14 is the opnum) and the byte order (bit 7:
 * big-endian, as a client's drep would say); the rest is the request's stub data. Each input gets
 * a fresh rs_server_call, as the server runtime builds one (test_stubs.c does the same), and
 * everything is freed after it: the call's arena (call->in), the response, and what the
 * procedures malloc() for [out] data, so LeakSanitizer sees any leak of one call.
 *
 * The procedures below are the server program's: trivial and safe, but each reads every element
 * the IDL says its parameters have, so a stub that hands over less memory than size_is,
 * length_is or [string] promise is an AddressSanitizer error. A trace callback reads every byte
 * range the stubs report. A stub that fails must not have run its procedure unless it says so. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "conform.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int procedure_calls; /* procedures run for the current input */
static volatile uint64_t sink; /* what the procedures read goes here: never optimized away */

/* ==== the server program's procedures ========================================================== */

int32_t Add(int32_t a, int32_t b)
{
    procedure_calls++;
    return (int32_t)((uint32_t)a + (uint32_t)b);
}

int32_t Div(int32_t a, int32_t b)
{
    procedure_calls++;
    if (b == 0 || (a == INT32_MIN && b == -1))
        return 0; /* no rs_server_raise(): no server runtime is running this call */
    return a / b;
}

int32_t StrLen(char *s)
{
    procedure_calls++;
    return (int32_t)strlen(s); /* [string]: the stub promises the terminator */
}

int32_t WStrLen(uint16_t *s)
{
    procedure_calls++;
    if (s == NULL)
        return -1;
    int32_t n = 0;
    while (s[n] != 0)
        n++;
    return n;
}

void Reverse(int32_t n, int32_t *v)
{
    procedure_calls++;
    for (int32_t i = 0; i < n / 2; i++) {
        int32_t t = v[i];
        v[i] = v[n - 1 - i];
        v[n - 1 - i] = t;
    }
}

int64_t SumMixed(mixed *m)
{
    procedure_calls++;
    return (int64_t)((uint64_t)m->s + (uint64_t)m->c + (uint64_t)m->l1 + (uint64_t)m->l2 +
                     (uint64_t)m->h);
}

int64_t SumPtrs(with_ptrs *p)
{
    procedure_calls++;
    if (p == NULL)
        return -1;
    uint64_t sum = (uint64_t)p->l1;
    if (p->pl1 != NULL)
        sum += (uint64_t)*p->pl1;
    if (p->pc1 != NULL)
        sum += (uint64_t)*p->pc1;
    return (int64_t)sum;
}

void GetMixed(mixed *m)
{
    procedure_calls++;
    *m = (mixed){.s = -2, .c = 'z', .l1 = 0x11223344, .l2 = -1, .h = 0x0102030405060708};
}

/* Every unit length_is sends, and the last of the size_is the buffer has room for. */
static uint64_t ustring_sum(const ustring *u)
{
    uint64_t sum = 0;
    if (u->Buffer == NULL)
        return 0;
    for (uint32_t i = 0; i < u->Length / 2u; i++)
        sum += u->Buffer[i];
    if (u->MaximumLength / 2u > 0)
        sink = u->Buffer[u->MaximumLength / 2u - 1];
    return sum;
}

int32_t UStrSum(ustring *u)
{
    procedure_calls++;
    return (int32_t)ustring_sum(u);
}

void GetName(ustring *u)
{
    procedure_calls++;
    u->Buffer = malloc(2 * sizeof *u->Buffer); /* [out] memory the stub frees once sent */
    if (u->Buffer == NULL)
        return;
    u->Buffer[0] = 'H';
    u->Buffer[1] = 'i';
    u->Length = 4;
    u->MaximumLength = 4;
}

double NumValue(int16_t tag, num *n)
{
    procedure_calls++;
    switch (tag) {
    case 1: return n->l;
    case 2: return n->d;
    case 3: return (double)ustring_sum(&n->u);
    default: return -1;
    }
}

color NextColor(color c)
{
    procedure_calls++;
    return c == red ? green : c == green ? blue : red;
}

void Echo(int32_t n, uint8_t *in, uint8_t *out)
{
    procedure_calls++;
    if (n > 0)
        memcpy(out, in, (size_t)n);
}

int32_t Sleep(int32_t ms)
{
    procedure_calls++;
    return ms; /* no sleeping: the fuzzer wants speed */
}

/* ==== the trace: every byte range a stub reports is read =========================================*/

static void on_event(const rs_trace_event *ev, void *ctx)
{
    (void)ctx;
    uint64_t h = 0;
    for (size_t i = 0; i < ev->bytes_len; i++)
        h += ev->bytes[i];
    sink = h;
}

/* ==== one call ================================================================================== */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static bool traced;
    if (!traced) {
        rs_trace_set_callback(on_event, NULL);
        traced = true;
    }
    if (size < 1)
        return 0;
    uint16_t opnum = (uint16_t)((data[0] & 0x7f) % conform_server_interface.operation_count);
    rs_endian order = (data[0] & 0x80) != 0 ? RS_BE : RS_LE;
    size_t len = size - 1;

    /* An exact-size heap copy, so that a read past the stub data is an ASan error. */
    uint8_t *request = malloc(len > 0 ? len : 1);
    if (request == NULL)
        return 0;
    memcpy(request, data + 1, len);

    rs_server_call call;
    memset(&call, 0, sizeof call);
    call.iface = &conform_server_interface;
    call.opnum = opnum;
    rs_buf_view(&call.request, request, len);
    rs_buf_init(&call.response, 1 << 20);
    rs_ndr_init_decode(&call.in, &call.request, order);
    rs_ndr_init_encode(&call.out, &call.response, RS_LE);

    procedure_calls = 0;
    rs_status st = conform_server_interface.operations[opnum].stub(&call);
    if (procedure_calls != (call.executed ? 1 : 0))
        abort(); /* `executed` says exactly whether the procedure ran */
    if (st == RS_OK && !call.executed)
        abort();

    rs_ndr_free(&call.in); /* the call's arena: every [in] value the stub decoded */
    rs_ndr_free(&call.out);
    rs_buf_free(&call.response);
    free(request);
    return 0;
}
