/* diag.c -- collects rpcidl's errors, warnings and notes, each rendered with its source line. */
#include "idl.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A source line longer than this is shown as a window around the column. */
#define LINE_WINDOW 160
#define LINE_LEAD 60

static void *xrealloc(void *p, size_t size)
{
    void *q = realloc(p, size);
    if (q == NULL) {
        fputs("rpcidl: out of memory\n", stderr);
        abort();
    }
    return q;
}

static char *xstrdup(const char *s)
{
    size_t n = strlen(s) + 1;
    return memcpy(xrealloc(NULL, n), s, n);
}

void idl_diags_init(idl_diags *d)
{
    memset(d, 0, sizeof *d);
}

void idl_diags_free(idl_diags *d)
{
    for (size_t i = 0; i < d->count; i++) {
        free(d->items[i].file);
        free(d->items[i].message);
    }
    free(d->items);
    free(d->text);
    memset(d, 0, sizeof *d);
}

const char *idl_diags_text(const idl_diags *d)
{
    return d->text != NULL ? d->text : "";
}

static void put_bytes(idl_diags *d, const char *s, size_t n)
{
    if (d->text_len + n + 1 > d->text_cap) {
        size_t cap = d->text_cap ? d->text_cap : 256;
        while (cap < d->text_len + n + 1)
            cap *= 2;
        d->text = xrealloc(d->text, cap);
        d->text_cap = cap;
    }
    memcpy(d->text + d->text_len, s, n);
    d->text_len += n;
    d->text[d->text_len] = '\0';
}

static void put_str(idl_diags *d, const char *s)
{
    put_bytes(d, s, strlen(s));
}

static void put_char(idl_diags *d, char c)
{
    put_bytes(d, &c, 1);
}

/* A byte that continues a UTF-8 sequence takes no column of its own on a terminal. */
static bool is_continuation(unsigned char c)
{
    return (c & 0xC0) == 0x80;
}

/* The source line of `at`, then spaces (tabs where the line has tabs, so the caret lines up)
 * and ^~~~ under the span. Control bytes are shown as '?'. */
static void put_source_line(idl_diags *d, idl_loc at)
{
    const char *text = at.src->text;
    size_t len = at.src->len;
    size_t off = at.offset <= len ? at.offset : len;
    size_t start = off, end = off;
    while (start > 0 && text[start - 1] != '\n')
        start--;
    while (end < len && text[end] != '\n')
        end++;

    size_t from = start, to = end;
    if (to - from > LINE_WINDOW) {
        if (off - from > LINE_LEAD)
            from = off - LINE_LEAD;
        if (to - from > LINE_WINDOW)
            to = from + LINE_WINDOW;
    }
    const char *lead = from > start ? "..." : "";
    put_str(d, lead);
    for (size_t i = from; i < to; i++) {
        unsigned char c = (unsigned char)text[i];
        put_char(d, (c < 0x20 && c != '\t') || c == 0x7F ? '?' : (char)c);
    }
    if (to < end)
        put_str(d, "...");
    put_char(d, '\n');

    for (size_t i = 0; i < strlen(lead); i++)
        put_char(d, ' ');
    for (size_t i = from; i < off; i++) {
        unsigned char c = (unsigned char)text[i];
        if (c == '\t')
            put_char(d, '\t');
        else if (!is_continuation(c))
            put_char(d, ' ');
    }
    put_char(d, '^');
    size_t span_end = off + at.len < to ? off + at.len : to;
    for (size_t i = off + 1; i < span_end; i++)
        if (!is_continuation((unsigned char)text[i]))
            put_char(d, '~');
    put_char(d, '\n');
}

static const char *severity_name(idl_severity s)
{
    switch (s) {
    case IDL_SEV_ERROR:
        return "error";
    case IDL_SEV_WARNING:
        return "warning";
    case IDL_SEV_NOTE:
        return "note";
    }
    return "error";
}

static void record(idl_diags *d, idl_severity sev, idl_loc at, const char *message)
{
    if (d->count == d->cap) {
        d->cap = d->cap ? d->cap * 2 : 16;
        d->items = xrealloc(d->items, d->cap * sizeof *d->items);
    }
    idl_diag *it = &d->items[d->count++];
    it->severity = sev;
    it->file = xstrdup(at.src != NULL ? at.src->path : "");
    it->line = at.line;
    it->col = at.col;
    it->message = xstrdup(message);

    char head[64];
    if (at.src != NULL) {
        put_str(d, at.src->path);
        snprintf(head, sizeof head, ":%u:%u: %s: ", (unsigned)at.line, (unsigned)at.col,
                 severity_name(sev));
    } else {
        snprintf(head, sizeof head, "rpcidl: %s: ", severity_name(sev));
    }
    put_str(d, head);
    put_str(d, message);
    put_char(d, '\n');
    if (at.src != NULL && at.line > 0)
        put_source_line(d, at);
}

/* Past IDL_MAX_ERRORS errors only the count goes on; the notes of a dropped message go too. */
static bool keep(idl_diags *d, idl_severity sev)
{
    static const char stop[] = "rpcidl: error: too many errors; stopping here\n";
    if (!d->stopped && sev == IDL_SEV_ERROR && d->errors >= IDL_MAX_ERRORS) {
        d->stopped = true;
        put_str(d, stop);
    }
    if (sev == IDL_SEV_ERROR)
        d->errors++;
    else if (sev == IDL_SEV_WARNING)
        d->warnings++;
    return !d->stopped;
}

static void report(idl_diags *d, idl_severity sev, idl_loc at, const char *fmt, va_list ap)
{
    if (!keep(d, sev))
        return;
    char buf[512];
    vsnprintf(buf, sizeof buf, fmt, ap);
    record(d, sev, at, buf);
}

void idl_error(idl_diags *d, idl_loc at, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    report(d, IDL_SEV_ERROR, at, fmt, ap);
    va_end(ap);
}

void idl_warning(idl_diags *d, idl_loc at, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    report(d, IDL_SEV_WARNING, at, fmt, ap);
    va_end(ap);
}

void idl_note(idl_diags *d, idl_loc at, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    report(d, IDL_SEV_NOTE, at, fmt, ap);
    va_end(ap);
}
