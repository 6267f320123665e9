/* lesson.c -- reads, validates and applies lesson scripts. See lesson.h for the format.
 *
 * The parser works line by line and never stops at the first error: a header line opens a block
 * (a key, a narration, a question), indented lines add to it, and the block is checked when the
 * next header or the end of the file closes it. A line it cannot use (a NUL, bad UTF-8, a header
 * it does not understand) is reported and the block it would have opened is skipped, so one
 * mistake gives one message rather than a cascade.
 */
#include "lesson.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ndr.h"
#include "pdu.h"

/* The smallest fragment the runtime accepts: a request header with an object UUID and 8 bytes of
 * stub data (client.h's RS_CLIENT_MIN_FRAG). */
#define MIN_FRAG (RS_PDU_REQUEST_HEADER_SIZE + RS_PDU_OBJECT_SIZE + RS_PDU_FRAG_STUB_ALIGN)
#define MAX_FRAG 65535
#define ORDER_MAX 999
#define CALL_TIMEOUT_MAX 600000
#define DELAY_MAX 60000
#define TEXT_CAP ((size_t)64 << 10) /* a block's text stops growing here (it is an error anyway) */

/* ---- diagnostics ----------------------------------------------------------------------------- */

void sim_diag_free(sim_diag *d)
{
    if (d == NULL)
        return;
    for (size_t i = 0; i < d->count; i++)
        free(d->lines[i]);
    free(d->lines);
    memset(d, 0, sizeof *d);
}

static void diag_add(sim_diag *d, const char *line)
{
    if (d->count >= SIM_LESSON_ERRORS_MAX) {
        d->dropped++;
        return;
    }
    if (d->count == d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 8;
        char **lines = realloc(d->lines, cap * sizeof *lines);
        if (lines == NULL) {
            d->dropped++;
            return;
        }
        d->lines = lines;
        d->cap = cap;
    }
    char *copy = strdup(line);
    if (copy == NULL) {
        d->dropped++;
        return;
    }
    d->lines[d->count++] = copy;
}

/* ---- growable text --------------------------------------------------------------------------- */

typedef struct text {
    char *s;
    size_t len, cap;
} text;

static void text_add(text *t, const char *s, size_t n)
{
    if (t->len + n + 1 > TEXT_CAP)
        n = t->len + 1 < TEXT_CAP ? TEXT_CAP - t->len - 1 : 0;
    if (t->len + n + 1 > t->cap) {
        size_t cap = t->cap ? t->cap : 128;
        while (cap < t->len + n + 1)
            cap *= 2;
        char *s2 = realloc(t->s, cap);
        if (s2 == NULL)
            return;
        t->s = s2;
        t->cap = cap;
    }
    memcpy(t->s + t->len, s, n);
    t->len += n;
    t->s[t->len] = '\0';
}

static void text_reset(text *t)
{
    t->len = 0;
    if (t->s != NULL)
        t->s[0] = '\0';
}

static char *text_take(text *t)
{
    char *s = strdup(t->s != NULL ? t->s : "");
    text_reset(t);
    return s;
}

/* Characters (UTF-8 code points) in s. */
static size_t utf8_chars(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        if (((unsigned char)*s & 0xC0) != 0x80)
            n++;
    return n;
}

/* The offset of the first byte that is not valid UTF-8 (overlong forms, surrogates and code
 * points past U+10FFFF included), or len when all of it is. */
static size_t utf8_invalid_at(const unsigned char *s, size_t len)
{
    size_t i = 0;
    while (i < len) {
        unsigned c = s[i];
        size_t n;
        unsigned min;
        if (c < 0x80) {
            i++;
            continue;
        } else if ((c & 0xE0) == 0xC0) {
            n = 1;
            min = 0x80;
            c &= 0x1F;
        } else if ((c & 0xF0) == 0xE0) {
            n = 2;
            min = 0x800;
            c &= 0x0F;
        } else if ((c & 0xF8) == 0xF0) {
            n = 3;
            min = 0x10000;
            c &= 0x07;
        } else {
            return i;
        }
        if (len - i - 1 < n)
            return i;
        for (size_t k = 1; k <= n; k++) {
            if ((s[i + k] & 0xC0) != 0x80)
                return i;
            c = c << 6 | (s[i + k] & 0x3F);
        }
        if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
            return i;
        i += n + 1;
    }
    return len;
}

/* ---- the parser ------------------------------------------------------------------------------ */

#define KEY_TABLE(XX)                                                                              \
    XX(TITLE, "title")                                                                             \
    XX(SUMMARY, "summary")                                                                         \
    XX(ORDER, "order")                                                                             \
    XX(IDL, "idl")                                                                                 \
    XX(SERVER, "server")                                                                           \
    XX(CLIENT, "client")                                                                           \
    XX(CLIENTS, "clients")                                                                         \
    XX(TRANSPORT, "transport")                                                                     \
    XX(ENDIAN, "endian")                                                                           \
    XX(MAX_FRAG, "max-frag")                                                                       \
    XX(CALL_TIMEOUT, "call-timeout")                                                               \
    XX(ENDPOINT_MAPPER, "endpoint-mapper")                                                         \
    XX(FAULT, "fault")

enum key {
#define KEY_ENUM(name, word) KEY_##name,
    KEY_TABLE(KEY_ENUM)
#undef KEY_ENUM
        KEY_COUNT
};

static const char *const key_words[KEY_COUNT] = {
#define KEY_WORD(name, word) word,
    KEY_TABLE(KEY_WORD)
#undef KEY_WORD
};

static const char *const fault_words[SIM_FAULT_KIND_COUNT] = {
#define FAULT_WORD(name, word) word,
    SIM_FAULT_TABLE(FAULT_WORD)
#undef FAULT_WORD
};

typedef enum { BLOCK_NONE, BLOCK_IGNORE, BLOCK_KEY, BLOCK_WHEN, BLOCK_ASK } block_kind;

typedef struct parser {
    const char *path;
    char *dir;
    sim_diag *d;
    sim_lesson *l;
    bool failed;
    bool oom;

    block_kind block;
    unsigned block_line;
    enum key key;
    text value;          /* a key's value, a narration's or question's text */
    bool paragraph;      /* a blank line came: the next text starts a paragraph */
    sim_trigger trigger;
    text answers[SIM_LESSON_ANSWERS_MAX];
    bool right[SIM_LESSON_ANSWERS_MAX];
    size_t answer_count;
    bool too_many_answers;
    unsigned key_line[KEY_COUNT];
} parser;

static void error_at(parser *p, unsigned line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void error_at(parser *p, unsigned line, const char *fmt, ...)
{
    char msg[768], out[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (line > 0)
        snprintf(out, sizeof out, "%s:%u: %s", p->path, line, msg);
    else
        snprintf(out, sizeof out, "%s: %s", p->path, msg);
    diag_add(p->d, out);
    p->failed = true;
}

static bool is_blank(char c)
{
    return c == ' ' || c == '\t';
}

/* Trims spaces and tabs at both ends of [*s, *s + *n). */
static void trim(const char **s, size_t *n)
{
    while (*n > 0 && is_blank(**s)) {
        (*s)++;
        (*n)--;
    }
    while (*n > 0 && is_blank((*s)[*n - 1]))
        (*n)--;
}

/* Splits `s` at blanks into at most `max` words (pointers into s, which is modified). Returns
 * the number of words, or max + 1 when there are more. */
static size_t split_words(char *s, char **words, size_t max)
{
    size_t n = 0;
    char *save = NULL;
    for (char *w = strtok_r(s, " \t", &save); w != NULL; w = strtok_r(NULL, " \t", &save)) {
        if (n == max)
            return max + 1;
        words[n++] = w;
    }
    return n;
}

/* A decimal number lo..hi, nothing else. */
static bool parse_uint(const char *s, unsigned long lo, unsigned long hi, unsigned long *out)
{
    if (*s == '\0' || strlen(s) > 10)
        return false;
    unsigned long v = 0;
    for (const char *c = s; *c; c++) {
        if (*c < '0' || *c > '9')
            return false;
        v = v * 10 + (unsigned long)(*c - '0');
    }
    if (v < lo || v > hi)
        return false;
    *out = v;
    return true;
}

/* A C identifier, like the procedures and parameters of an IDL file. */
static bool is_identifier(const char *s)
{
    if (!isalpha((unsigned char)*s) && *s != '_')
        return false;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && *s != '_')
            return false;
    return true;
}

/* ---- keys ------------------------------------------------------------------------------------ */

static void free_argv(char **argv)
{
    for (size_t i = 0; argv[i] != NULL; i++) {
        free(argv[i]);
        argv[i] = NULL;
    }
}

/* Splits a program line into arguments: blanks separate them; "double quotes" keep blanks, with
 * \" and \\ inside. Checks the program's name and the placeholders. */
static void key_program(parser *p, char **argv, const char *value, bool client)
{
    const char *who = client ? "client" : "server";
    size_t argc = 0;
    const char *s = value;
    char arg[SIM_LESSON_LINE_MAX * 4];
    for (;;) {
        while (is_blank(*s))
            s++;
        if (*s == '\0')
            break;
        size_t n = 0;
        while (*s != '\0' && !is_blank(*s)) {
            if (*s == '"') {
                s++;
                while (*s != '"' && *s != '\0') {
                    if (*s == '\\' && (s[1] == '"' || s[1] == '\\'))
                        s++;
                    if (n + 1 < sizeof arg)
                        arg[n++] = *s;
                    s++;
                }
                if (*s != '"') {
                    error_at(p, p->block_line, "%s: a double quote is not closed", who);
                    free_argv(argv);
                    return;
                }
                s++;
            } else {
                if (n + 1 < sizeof arg)
                    arg[n++] = *s;
                s++;
            }
        }
        arg[n] = '\0';
        if (argc == SIM_LESSON_ARGS_MAX) {
            error_at(p, p->block_line, "%s: more than %d arguments", who, SIM_LESSON_ARGS_MAX);
            free_argv(argv);
            return;
        }
        argv[argc] = strdup(arg);
        if (argv[argc] == NULL) {
            p->oom = true;
            free_argv(argv);
            return;
        }
        argc++;
    }
    if (argc == 0) {
        error_at(p, p->block_line, "%s: no program named (e.g. `%s: %s`)", who, who,
                 client ? "client {binding}" : "server {listen}");
        return;
    }
    const char *prog = argv[0];
    bool plain = *prog != '\0' && *prog != '.';
    for (const char *c = prog; *c; c++)
        if (!isalnum((unsigned char)*c) && *c != '_' && *c != '-' && *c != '.')
            plain = false;
    if (!plain)
        error_at(p, p->block_line,
                 "%s: program '%s' must be a plain file name (letters, digits, _ - .), found in "
                 "the lesson's build folder or the lesson folder",
                 who, prog);
    for (size_t i = 1; i < argc; i++) {
        for (const char *c = strchr(argv[i], '{'); c != NULL; c = strchr(c + 1, '{')) {
            const char *mine = client ? "{binding}" : "{listen}";
            if (strncmp(c, mine, strlen(mine)) == 0)
                continue;
            const char *end = strchr(c, '}');
            int len = end != NULL ? (int)(end - c + 1) : (int)strlen(c);
            error_at(p, p->block_line,
                     "%s: unknown placeholder '%.*s' (the server's arguments may use {listen}, "
                     "the client's {binding})",
                     who, len, c);
        }
    }
}

static void key_fault(parser *p, const char *value)
{
    static const char kinds[] = "delay, close-before-execute, close-after-execute, kill-server, "
                                "raise, unknown-opnum, unknown-interface";
    char buf[SIM_LESSON_LINE_MAX * 4];
    snprintf(buf, sizeof buf, "%s", value);
    char *w[6];
    size_t n = split_words(buf, w, 6);
    if (n > 6) {
        error_at(p, p->block_line, "fault: too many words (e.g. `fault: delay response 1500 on "
                                   "HelloProc`)");
        return;
    }
    if (p->l->fault_count == SIM_LESSON_FAULTS_MAX) {
        error_at(p, p->block_line, "fault: more than %d faults", SIM_LESSON_FAULTS_MAX);
        return;
    }
    sim_fault f = {0};
    int kind = -1;
    for (int k = 0; k < SIM_FAULT_KIND_COUNT; k++)
        if (n > 0 && strcmp(w[0], fault_words[k]) == 0)
            kind = k;
    if (kind < 0) {
        error_at(p, p->block_line, "fault: unknown fault '%s' (one of: %s)", n > 0 ? w[0] : "",
                 kinds);
        return;
    }
    f.kind = (sim_fault_kind)kind;
    size_t at = 1;
    if (f.kind == SIM_FAULT_DELAY) {
        int ptype = -1;
        for (int t = 0; at < n && t <= RS_PTYPE_RTS; t++)
            if (rs_pdu_type_is_connection_oriented((uint8_t)t) &&
                strcmp(w[at], rs_pdu_type_name((uint8_t)t)) == 0)
                ptype = t;
        unsigned long ms = 0;
        if (ptype < 0 || at + 1 >= n || !parse_uint(w[at + 1], 1, DELAY_MAX, &ms)) {
            error_at(p, p->block_line,
                     "fault: delay needs a PDU type and milliseconds 1..%d, e.g. `fault: delay "
                     "response 1500`",
                     DELAY_MAX);
            return;
        }
        f.ptype = (uint8_t)ptype;
        f.value = (uint32_t)ms;
        at += 2;
    } else if (f.kind == SIM_FAULT_RAISE) {
        uint32_t code = 0;
        if (at >= n || rs_fault_from_name(w[at], &code) != RS_OK) {
            error_at(p, p->block_line,
                     "fault: raise needs a DCE fault name, e.g. `fault: raise "
                     "nca_s_fault_int_div_by_zero`%s%s%s",
                     at < n ? " ('" : "", at < n ? w[at] : "", at < n ? "' is not one)" : "");
            return;
        }
        f.value = code;
        at++;
    }
    if (at < n && strcmp(w[at], "on") == 0) {
        if (at + 1 >= n || !is_identifier(w[at + 1]) || strlen(w[at + 1]) >= sizeof f.procedure) {
            error_at(p, p->block_line, "fault: `on` needs the name of a procedure");
            return;
        }
        snprintf(f.procedure, sizeof f.procedure, "%s", w[at + 1]);
        at += 2;
    }
    if (at != n) {
        error_at(p, p->block_line, "fault: unexpected '%s' after '%s'", w[at],
                 fault_words[f.kind]);
        return;
    }
    size_t len = 0;
    for (size_t i = 0; i < n && len < sizeof f.text; i++)
        len += (size_t)snprintf(f.text + len, sizeof f.text - len, "%s%s", i ? " " : "", w[i]);
    sim_fault *faults = realloc(p->l->faults, (p->l->fault_count + 1) * sizeof *faults);
    if (faults == NULL) {
        p->oom = true;
        return;
    }
    p->l->faults = faults;
    faults[p->l->fault_count++] = f;
}

static void apply_key(parser *p)
{
    sim_lesson *l = p->l;
    const char *v = p->value.s != NULL ? p->value.s : "";
    const char *k = key_words[p->key];
    unsigned long n;
    if (*v == '\0') {
        error_at(p, p->block_line, "%s: no value", k);
        return;
    }
    switch (p->key) {
    case KEY_TITLE:
        if (utf8_chars(v) > SIM_LESSON_TITLE_MAX)
            error_at(p, p->block_line, "title: %zu characters; at most %d", utf8_chars(v),
                     SIM_LESSON_TITLE_MAX);
        else if ((l->title = strdup(v)) == NULL)
            p->oom = true;
        break;
    case KEY_SUMMARY:
        if (utf8_chars(v) > SIM_LESSON_TEXT_MAX)
            error_at(p, p->block_line, "summary: %zu characters; at most %d", utf8_chars(v),
                     SIM_LESSON_TEXT_MAX);
        else if ((l->summary = strdup(v)) == NULL)
            p->oom = true;
        break;
    case KEY_ORDER:
        if (!parse_uint(v, 1, ORDER_MAX, &n))
            error_at(p, p->block_line, "order: '%s' is not a number 1..%d", v, ORDER_MAX);
        else
            l->order = (unsigned)n;
        break;
    case KEY_IDL: {
        if (strchr(v, '/') != NULL || strchr(v, ' ') != NULL || v[0] == '.') {
            error_at(p, p->block_line, "idl: '%s' must be a file name in the lesson folder", v);
            break;
        }
        char full[PATH_MAX];
        struct stat sb;
        snprintf(full, sizeof full, "%s/%s", p->dir, v);
        if (stat(full, &sb) != 0 || !S_ISREG(sb.st_mode))
            error_at(p, p->block_line, "idl: %s is not in the lesson folder %s", v, p->dir);
        else if ((l->idl = strdup(v)) == NULL)
            p->oom = true;
        break;
    }
    case KEY_SERVER:
        key_program(p, l->server_argv, v, false);
        break;
    case KEY_CLIENT:
        key_program(p, l->client_argv, v, true);
        break;
    case KEY_CLIENTS:
        if (!parse_uint(v, 1, SIM_LESSON_CLIENTS_MAX, &n))
            error_at(p, p->block_line, "clients: '%s' is not a number 1..%d", v,
                     SIM_LESSON_CLIENTS_MAX);
        else
            l->clients = (unsigned)n;
        break;
    case KEY_TRANSPORT:
        if (strcmp(v, "ncacn_ip_tcp") == 0)
            l->transport = SIM_TRANSPORT_TCP;
        else if (strcmp(v, "ncalrpc") == 0)
            l->transport = SIM_TRANSPORT_LRPC;
        else
            error_at(p, p->block_line, "transport: '%s' is not ncacn_ip_tcp or ncalrpc", v);
        break;
    case KEY_ENDIAN:
        if (strcmp(v, "little") == 0)
            l->big_endian = false;
        else if (strcmp(v, "big") == 0)
            l->big_endian = true;
        else
            error_at(p, p->block_line, "endian: '%s' is not little or big", v);
        break;
    case KEY_MAX_FRAG:
        if (!parse_uint(v, MIN_FRAG, MAX_FRAG, &n))
            error_at(p, p->block_line, "max-frag: '%s' is not a number %d..%d", v, MIN_FRAG,
                     MAX_FRAG);
        else
            l->max_frag = (uint16_t)n;
        break;
    case KEY_CALL_TIMEOUT:
        if (!parse_uint(v, 1, CALL_TIMEOUT_MAX, &n))
            error_at(p, p->block_line, "call-timeout: '%s' is not a number of milliseconds 1..%d",
                     v, CALL_TIMEOUT_MAX);
        else
            l->call_timeout_ms = (uint32_t)n;
        break;
    case KEY_ENDPOINT_MAPPER:
        if (strcmp(v, "server") == 0)
            l->epm_server = true;
        else if (strcmp(v, "none") == 0)
            l->epm_server = false;
        else
            error_at(p, p->block_line,
                     "endpoint-mapper: '%s' is not server (the server program serves the mapper "
                     "too) or none",
                     v);
        break;
    case KEY_FAULT:
        key_fault(p, v);
        break;
    case KEY_COUNT:
        break;
    }
}

/* ---- narrations and questions ---------------------------------------------------------------- */

static const char *const field_words[RS_NDR_ROLE_COUNT] = {
    [RS_NDR_ROLE_DATA] = "data",
    [RS_NDR_ROLE_PADDING] = "padding",
    [RS_NDR_ROLE_MAX_COUNT] = "max_count",
    [RS_NDR_ROLE_OFFSET] = "offset",
    [RS_NDR_ROLE_ACTUAL_COUNT] = "actual_count",
    [RS_NDR_ROLE_REFERENT_ID] = "referent_id",
    [RS_NDR_ROLE_DISCRIMINANT] = "discriminant",
};

static bool is_ndr_kind(rs_trace_kind k)
{
    return k == RS_TRACE_NDR_PUT || k == RS_TRACE_NDR_GET || k == RS_TRACE_NDR_CONVERT;
}

static bool is_pdu_kind(rs_trace_kind k)
{
    return k == RS_TRACE_PDU_BUILT || k == RS_TRACE_PDU_SENT || k == RS_TRACE_PDU_RECEIVED ||
           k == RS_TRACE_PDU_REASSEMBLED;
}

void sim_trigger_format(const sim_trigger *t, char *out, size_t size)
{
    const char *role = t->role == RS_TRACE_ROLE_CLIENT   ? "client"
                       : t->role == RS_TRACE_ROLE_SERVER ? "server"
                                                         : "any";
    snprintf(out, size, "%s %s%s%s%s%s%s", role, sim_kind_verb(t->kind), t->name[0] ? " " : "",
             t->name, t->ndr_role >= 0 ? " " : "",
             t->ndr_role >= 0 && t->ndr_role < RS_NDR_ROLE_COUNT ? field_words[t->ndr_role] : "",
             t->every ? " every" : "");
}

bool sim_trigger_matches(const sim_trigger *t, const rs_trace_event *e, rs_trace_role process_role)
{
    rs_trace_role role = e->role != 0 ? e->role : process_role;
    if (t->role != 0 && role != t->role)
        return false;
    if (e->kind != t->kind)
        return false;
    if (t->ndr_role >= 0 && (!is_ndr_kind(e->kind) || e->ndr_role != (unsigned)t->ndr_role))
        return false;
    if (t->name[0] == '\0' || strcmp(t->name, "*") == 0)
        return true;
    if ((e->name != NULL && strcmp(e->name, t->name) == 0) ||
        (e->procedure != NULL && strcmp(e->procedure, t->name) == 0))
        return true;
    return is_pdu_kind(e->kind) && strcmp(rs_pdu_type_name(e->ptype), t->name) == 0;
}

/* "when ROLE STEP [NAME [FIELD]] [every]:" or "ask before ROLE STEP [NAME [FIELD]]:" -- the
 * words after `when` or `before`. */
static bool parse_trigger(parser *p, unsigned line, char **w, size_t n, bool ask, sim_trigger *t)
{
    const char *what = ask ? "question" : "narration";
    memset(t, 0, sizeof *t);
    t->ndr_role = -1;
    if (!ask && n > 0 && strcmp(w[n - 1], "every") == 0) {
        t->every = true;
        n--;
    }
    if (n < 2) {
        error_at(p, line, "%s: expected `%s ROLE STEP [NAME [FIELD]]:`, e.g. `%s client marshal "
                          "pszString:`",
                 what, ask ? "ask before" : "when", ask ? "ask before" : "when");
        return false;
    }
    if (n > 4) {
        error_at(p, line, "%s: unexpected '%s' after the field", what, w[4]);
        return false;
    }
    if (strcmp(w[0], "client") == 0)
        t->role = RS_TRACE_ROLE_CLIENT;
    else if (strcmp(w[0], "server") == 0)
        t->role = RS_TRACE_ROLE_SERVER;
    else if (strcmp(w[0], "any") != 0) {
        error_at(p, line, "%s: unknown role '%s' (client, server or any)", what, w[0]);
        return false;
    }
    t->kind = sim_kind_parse(w[1], strlen(w[1]));
    if (t->kind == RS_TRACE_KIND_NONE) {
        error_at(p, line,
                 "%s: unknown step '%s' (call, return, read, write, marshal, unmarshal, convert, "
                 "build, send, receive, reassemble, dispatch, enter, exit, fault, error, timeout, "
                 "connect, accept, listen, bind, bind_ack, bind_nak, close)",
                 what, w[1]);
        return false;
    }
    if (n >= 3) {
        if (strlen(w[2]) >= sizeof t->name) {
            error_at(p, line, "%s: the name '%.40s...' is longer than %zu bytes", what, w[2],
                     sizeof t->name - 1);
            return false;
        }
        snprintf(t->name, sizeof t->name, "%s", w[2]);
    }
    if (n == 4) {
        if (!is_ndr_kind(t->kind)) {
            error_at(p, line, "%s: a field ('%s') can follow only marshal, unmarshal or convert",
                     what, w[3]);
            return false;
        }
        for (int r = 0; r < RS_NDR_ROLE_COUNT; r++)
            if (strcmp(w[3], field_words[r]) == 0)
                t->ndr_role = r;
        if (t->ndr_role < 0) {
            error_at(p, line,
                     "%s: unknown field '%s' (data, padding, max_count, offset, actual_count, "
                     "referent_id or discriminant)",
                     what, w[3]);
            return false;
        }
    }
    return true;
}

static void finish_narration(parser *p)
{
    sim_lesson *l = p->l;
    char trig[SIM_LESSON_NAME_MAX + 64];
    sim_trigger_format(&p->trigger, trig, sizeof trig);
    const char *v = p->value.s != NULL ? p->value.s : "";
    if (*v == '\0') {
        error_at(p, p->block_line, "narration `when %s:` has no text (indent it below the line)",
                 trig);
        return;
    }
    if (utf8_chars(v) > SIM_LESSON_TEXT_MAX) {
        error_at(p, p->block_line,
                 "narration `when %s:` is %zu characters long; at most %d fit the window's "
                 "narration area",
                 trig, utf8_chars(v), SIM_LESSON_TEXT_MAX);
        return;
    }
    for (size_t i = 0; i < l->narration_count; i++) {
        char other[SIM_LESSON_NAME_MAX + 64];
        sim_trigger_format(&l->narrations[i].when, other, sizeof other);
        if (strcmp(other, trig) == 0) {
            error_at(p, p->block_line, "duplicate narration `when %s:` (first at line %u)", trig,
                     l->narrations[i].line);
            return;
        }
    }
    sim_narration *ns = realloc(l->narrations, (l->narration_count + 1) * sizeof *ns);
    if (ns == NULL) {
        p->oom = true;
        return;
    }
    l->narrations = ns;
    sim_narration *nn = &ns[l->narration_count];
    nn->when = p->trigger;
    nn->line = p->block_line;
    nn->text = text_take(&p->value);
    if (nn->text == NULL) {
        p->oom = true;
        return;
    }
    l->narration_count++;
}

static void finish_question(parser *p)
{
    sim_lesson *l = p->l;
    char trig[SIM_LESSON_NAME_MAX + 64];
    sim_trigger_format(&p->trigger, trig, sizeof trig);
    const char *v = p->value.s != NULL ? p->value.s : "";
    size_t right = 0, right_at = 0;
    for (size_t i = 0; i < p->answer_count; i++)
        if (p->right[i]) {
            right++;
            right_at = i;
        }
    bool ok = true;
    if (*v == '\0') {
        error_at(p, p->block_line, "question `ask before %s:` has no question text", trig);
        ok = false;
    } else if (utf8_chars(v) > SIM_LESSON_TEXT_MAX) {
        error_at(p, p->block_line, "question `ask before %s:` is %zu characters long; at most %d",
                 trig, utf8_chars(v), SIM_LESSON_TEXT_MAX);
        ok = false;
    }
    if (p->too_many_answers) {
        error_at(p, p->block_line, "question `ask before %s:` has more than %d answers", trig,
                 SIM_LESSON_ANSWERS_MAX);
        ok = false;
    } else if (p->answer_count < 2) {
        error_at(p, p->block_line,
                 "question `ask before %s:` needs at least 2 answers (`- wrong`, `* right`)", trig);
        ok = false;
    } else if (right == 0) {
        error_at(p, p->block_line,
                 "question `ask before %s:` has no right answer (mark it with `* `)", trig);
        ok = false;
    } else if (right > 1) {
        error_at(p, p->block_line,
                 "question `ask before %s:` has %zu right answers; mark exactly one", trig, right);
        ok = false;
    }
    for (size_t i = 0; i < l->question_count && ok; i++) {
        char other[SIM_LESSON_NAME_MAX + 64];
        sim_trigger_format(&l->questions[i].before, other, sizeof other);
        if (strcmp(other, trig) == 0) {
            error_at(p, p->block_line, "duplicate question `ask before %s:` (first at line %u)",
                     trig, l->questions[i].line);
            ok = false;
        }
    }
    if (!ok)
        return;
    sim_question *qs = realloc(l->questions, (l->question_count + 1) * sizeof *qs);
    if (qs == NULL) {
        p->oom = true;
        return;
    }
    l->questions = qs;
    sim_question *q = &qs[l->question_count];
    memset(q, 0, sizeof *q);
    q->before = p->trigger;
    q->line = p->block_line;
    q->right = right_at;
    q->text = text_take(&p->value);
    bool failed = q->text == NULL;
    for (size_t i = 0; i < p->answer_count; i++) {
        q->answers[i] = text_take(&p->answers[i]);
        failed = failed || q->answers[i] == NULL;
    }
    q->answer_count = p->answer_count;
    l->question_count++;
    if (failed)
        p->oom = true;
}

/* ---- blocks and lines ------------------------------------------------------------------------ */

static void finish_block(parser *p)
{
    switch (p->block) {
    case BLOCK_KEY:
        apply_key(p);
        break;
    case BLOCK_WHEN:
        finish_narration(p);
        break;
    case BLOCK_ASK:
        finish_question(p);
        break;
    case BLOCK_NONE:
    case BLOCK_IGNORE:
        break;
    }
    p->block = BLOCK_NONE;
    p->paragraph = false;
    text_reset(&p->value);
    for (size_t i = 0; i < SIM_LESSON_ANSWERS_MAX; i++)
        text_reset(&p->answers[i]);
    p->answer_count = 0;
    p->too_many_answers = false;
    memset(p->right, 0, sizeof p->right);
}

/* Adds words to a text: a space between lines, a newline between paragraphs. */
static void add_words(text *t, const char *s, size_t n, bool paragraph)
{
    if (t->len > 0)
        text_add(t, paragraph ? "\n" : " ", 1);
    text_add(t, s, n);
}

static void continuation(parser *p, unsigned line, const char *s, size_t n)
{
    switch (p->block) {
    case BLOCK_NONE:
        error_at(p, line, "indented text belongs to no key, narration or question above it");
        p->block = BLOCK_IGNORE;
        return;
    case BLOCK_IGNORE:
        return;
    case BLOCK_KEY:
    case BLOCK_WHEN:
        add_words(&p->value, s, n, p->paragraph);
        p->paragraph = false;
        return;
    case BLOCK_ASK:
        if (n >= 2 && (s[0] == '-' || s[0] == '*') && is_blank(s[1])) {
            if (p->answer_count == SIM_LESSON_ANSWERS_MAX) {
                p->too_many_answers = true;
                return;
            }
            size_t k = p->answer_count++;
            p->right[k] = s[0] == '*';
            const char *a = s + 2;
            size_t an = n - 2;
            trim(&a, &an);
            text_add(&p->answers[k], a, an);
        } else if (p->answer_count > 0) {
            add_words(&p->answers[p->answer_count - 1], s, n, false);
        } else {
            add_words(&p->value, s, n, p->paragraph);
            p->paragraph = false;
        }
        return;
    }
}

static void header(parser *p, unsigned line, const char *s, size_t n)
{
    p->block_line = line;
    char buf[SIM_LESSON_LINE_MAX * 4 + 1];
    if (n >= sizeof buf)
        n = sizeof buf - 1;
    memcpy(buf, s, n);
    buf[n] = '\0';

    bool when =
        strncmp(buf, "when", 4) == 0 && (is_blank(buf[4]) || buf[4] == ':' || buf[4] == '\0');
    bool ask = strncmp(buf, "ask", 3) == 0 && (is_blank(buf[3]) || buf[3] == ':' || buf[3] == '\0');
    if (when || ask) {
        p->block = BLOCK_IGNORE;
        if (n == 0 || buf[n - 1] != ':') {
            error_at(p, line, "`%s` line must end with ':'", when ? "when ..." : "ask before ...");
            return;
        }
        buf[n - 1] = '\0';
        char *w[8];
        size_t wn = split_words(buf, w, 7);
        char **rest = w + 1;
        size_t rn = wn > 7 ? 7 : wn - 1;
        if (ask) {
            if (wn < 2 || strcmp(w[1], "before") != 0) {
                error_at(p, line, "question: expected `ask before ROLE STEP [NAME [FIELD]]:`");
                return;
            }
            rest++;
            rn--;
        }
        if (wn > 7) {
            error_at(p, line, "%s: too many words", ask ? "question" : "narration");
            return;
        }
        if (parse_trigger(p, line, rest, rn, ask, &p->trigger))
            p->block = ask ? BLOCK_ASK : BLOCK_WHEN;
        return;
    }

    const char *colon = memchr(buf, ':', n);
    size_t klen = colon != NULL ? (size_t)(colon - buf) : 0;
    bool key_ok = colon != NULL && klen > 0;
    for (size_t i = 0; i < klen; i++)
        if (!islower((unsigned char)buf[i]) && !isdigit((unsigned char)buf[i]) && buf[i] != '-' &&
            buf[i] != '_')
            key_ok = false;
    if (!key_ok) {
        error_at(p, line, "expected `key: value`, `when ...:` or `ask before ...:`");
        p->block = BLOCK_IGNORE;
        return;
    }
    int key = -1;
    for (int k = 0; k < KEY_COUNT; k++)
        if (strlen(key_words[k]) == klen && memcmp(buf, key_words[k], klen) == 0)
            key = k;
    if (key < 0) {
        error_at(p, line,
                 "unknown key '%.*s' (title, summary, order, idl, server, client, clients, "
                 "transport, endian, max-frag, call-timeout, endpoint-mapper, fault)",
                 (int)klen, buf);
        p->block = BLOCK_IGNORE;
        return;
    }
    if (key != KEY_FAULT && p->key_line[key] != 0) {
        error_at(p, line, "duplicate key '%s' (first at line %u)", key_words[key],
                 p->key_line[key]);
        p->block = BLOCK_IGNORE;
        return;
    }
    p->key_line[key] = line;
    p->key = (enum key)key;
    p->block = BLOCK_KEY;
    const char *v = colon + 1;
    size_t vn = n - klen - 1;
    trim(&v, &vn);
    text_add(&p->value, v, vn);
}

static void one_line(parser *p, unsigned line, const char *s, size_t n)
{
    if (n > 0 && s[n - 1] == '\r')
        n--;
    const char *nul = memchr(s, '\0', n);
    if (nul != NULL) {
        error_at(p, line, "contains a NUL byte at column %zu", (size_t)(nul - s) + 1);
        if (n > 0 && !is_blank(s[0]))
            p->block = BLOCK_IGNORE;
        return;
    }
    size_t bad = utf8_invalid_at((const unsigned char *)s, n);
    if (bad < n) {
        error_at(p, line, "is not UTF-8 (byte 0x%02x at column %zu)", (unsigned char)s[bad],
                 bad + 1);
        if (!is_blank(s[0]))
            p->block = BLOCK_IGNORE;
        return;
    }
    if (n > SIM_LESSON_LINE_MAX)
        error_at(p, line, "line is %zu bytes long; at most %d (continue on an indented line)", n,
                 SIM_LESSON_LINE_MAX);
    if (n > 0 && s[0] == '#')
        return;
    const char *t = s;
    size_t tn = n;
    trim(&t, &tn);
    if (tn == 0) {
        if ((p->block == BLOCK_WHEN || p->block == BLOCK_ASK) && p->value.len > 0)
            p->paragraph = true;
        return;
    }
    if (is_blank(s[0])) {
        continuation(p, line, t, tn);
        return;
    }
    finish_block(p);
    header(p, line, t, tn);
}

/* ---- loading --------------------------------------------------------------------------------- */

void sim_lesson_free(sim_lesson *l)
{
    if (l == NULL)
        return;
    free(l->name);
    free(l->dir);
    free(l->path);
    free(l->title);
    free(l->summary);
    free(l->idl);
    free_argv(l->server_argv);
    free_argv(l->client_argv);
    free(l->faults);
    for (size_t i = 0; i < l->narration_count; i++)
        free(l->narrations[i].text);
    free(l->narrations);
    for (size_t i = 0; i < l->question_count; i++) {
        free(l->questions[i].text);
        for (size_t k = 0; k < l->questions[i].answer_count; k++)
            free(l->questions[i].answers[k]);
    }
    free(l->questions);
    free(l);
}

/* The folder of `path` ("." for a bare file name) and that folder's own name. */
static void folder_of(const char *path, char **dir, char **name)
{
    const char *slash = strrchr(path, '/');
    if (slash == NULL)
        *dir = strdup(".");
    else if (slash == path)
        *dir = strdup("/");
    else
        *dir = strndup(path, (size_t)(slash - path));
    *name = NULL;
    if (*dir == NULL)
        return;
    char real[PATH_MAX];
    const char *full = realpath(*dir, real) != NULL ? real : *dir;
    const char *base = strrchr(full, '/');
    base = base != NULL && base[1] != '\0' ? base + 1 : full;
    *name = strdup(base);
}

rs_status sim_lesson_parse(const char *path, const char *textp, size_t len, sim_lesson **out,
                           sim_diag *d)
{
    *out = NULL;
    parser p = {.path = path, .d = d};
    p.l = calloc(1, sizeof *p.l);
    if (p.l == NULL)
        return RS_ERR_NOMEM;
    p.l->clients = 1;
    p.l->path = strdup(path);
    folder_of(path, &p.l->dir, &p.l->name);
    p.dir = p.l->dir;
    if (p.l->path == NULL || p.l->dir == NULL || p.l->name == NULL) {
        sim_lesson_free(p.l);
        return RS_ERR_NOMEM;
    }

    if (len > SIM_LESSON_FILE_MAX) {
        error_at(&p, 0, "the script is %zu bytes; at most %zu", len, SIM_LESSON_FILE_MAX);
    } else {
        unsigned line = 0;
        size_t at = 0;
        while (at < len) {
            const char *nl = memchr(textp + at, '\n', len - at);
            size_t n = nl != NULL ? (size_t)(nl - (textp + at)) : len - at;
            one_line(&p, ++line, textp + at, n);
            at += n + (nl != NULL ? 1 : 0);
        }
        finish_block(&p);
        static const enum key required[] = {KEY_TITLE, KEY_SUMMARY, KEY_SERVER, KEY_CLIENT};
        for (size_t i = 0; i < sizeof required / sizeof required[0]; i++)
            if (p.key_line[required[i]] == 0)
                error_at(&p, line > 0 ? line : 1, "missing key '%s:'", key_words[required[i]]);
    }
    if (d->dropped > 0) {
        /* The last line says how many more there were: it takes the place of one. */
        size_t keep = d->count < SIM_LESSON_ERRORS_MAX ? d->count : SIM_LESSON_ERRORS_MAX - 1;
        size_t more_count = d->dropped + (d->count - keep);
        for (size_t i = keep; i < d->count; i++)
            free(d->lines[i]);
        d->count = keep;
        d->dropped = 0;
        char more[PATH_MAX + 64];
        snprintf(more, sizeof more, "%s: ... and %zu more errors", path, more_count);
        diag_add(d, more);
    }
    free(p.value.s);
    for (size_t i = 0; i < SIM_LESSON_ANSWERS_MAX; i++)
        free(p.answers[i].s);
    if (p.oom) {
        sim_lesson_free(p.l);
        return RS_ERR_NOMEM;
    }
    if (p.failed) {
        sim_lesson_free(p.l);
        return RS_ERR_INVALID_ARG;
    }
    *out = p.l;
    return RS_OK;
}

rs_status sim_lesson_load(const char *path, sim_lesson **out, sim_diag *d)
{
    *out = NULL;
    char msg[PATH_MAX + 128];
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        snprintf(msg, sizeof msg, "%s: cannot read the lesson script: %s", path, strerror(errno));
        diag_add(d, msg);
        return RS_ERR_IO;
    }
    char *buf = malloc(SIM_LESSON_FILE_MAX + 1);
    if (buf == NULL) {
        fclose(f);
        return RS_ERR_NOMEM;
    }
    size_t len = fread(buf, 1, SIM_LESSON_FILE_MAX + 1, f);
    bool failed = ferror(f);
    fclose(f);
    rs_status st;
    if (failed) {
        snprintf(msg, sizeof msg, "%s: cannot read the lesson script", path);
        diag_add(d, msg);
        st = RS_ERR_IO;
    } else {
        st = sim_lesson_parse(path, buf, len, out, d);
    }
    free(buf);
    return st;
}

/* ---- the scenario ---------------------------------------------------------------------------- */

size_t sim_lesson_env(const sim_lesson *l, bool for_client, char env[][SIM_ENV_MAX], size_t max)
{
    size_t n = 0;
#define ENV(...)                                                                                   \
    do {                                                                                           \
        if (n < max)                                                                               \
            snprintf(env[n++], SIM_ENV_MAX, __VA_ARGS__);                                          \
    } while (0)
    ENV("RPCSCOPE_LESSON=%s", l->name);
    ENV("RPCSCOPE_TRANSPORT=%s", l->transport == SIM_TRANSPORT_LRPC ? "ncalrpc" : "ncacn_ip_tcp");
    if (for_client && l->big_endian)
        ENV("RPCSCOPE_ENDIAN=big");
    if (l->max_frag != 0)
        ENV("RPCSCOPE_MAX_FRAG=%u", (unsigned)l->max_frag);
    if (for_client && l->call_timeout_ms != 0)
        ENV("RPCSCOPE_CALL_TIMEOUT_MS=%u", (unsigned)l->call_timeout_ms);
    /* The server's binding is known only once it listens: the launcher fills it in. */
    if (for_client && l->epm_server)
        ENV("RPCSCOPE_EPM={binding}");
    if (l->fault_count > 0 && n < max) {
        size_t at = (size_t)snprintf(env[n], SIM_ENV_MAX, "RPCSCOPE_FAULT=");
        for (size_t i = 0; i < l->fault_count && at < SIM_ENV_MAX; i++)
            at += (size_t)snprintf(env[n] + at, SIM_ENV_MAX - at, "%s%s", i ? "; " : "",
                                   l->faults[i].text);
        n++;
    }
#undef ENV
    return n;
}

void sim_lesson_listen_binding(const sim_lesson *l, char *out, size_t size)
{
    if (l->transport == SIM_TRANSPORT_LRPC)
        snprintf(out, size, "ncalrpc:[rpcscope-%ld-%.40s]", (long)getpid(), l->name);
    else
        snprintf(out, size, "ncacn_ip_tcp:127.0.0.1[0]");
}

/* ---- cues ------------------------------------------------------------------------------------ */

struct cue {
    size_t event;
    size_t item;      /* a narration's or question's index in the lesson */
    bool question;
};

struct sim_cues {
    const sim_lesson *lesson;
    size_t examined;
    bool *fired;      /* per narration, then per question */
    struct cue *cues; /* in event order */
    size_t count, cap;
};

rs_status sim_cues_create(const sim_lesson *l, sim_cues **out)
{
    *out = NULL;
    sim_cues *c = calloc(1, sizeof *c);
    if (c == NULL)
        return RS_ERR_NOMEM;
    c->lesson = l;
    size_t items = l != NULL ? l->narration_count + l->question_count : 0;
    c->fired = calloc(items + 1, sizeof *c->fired);
    if (c->fired == NULL) {
        free(c);
        return RS_ERR_NOMEM;
    }
    *out = c;
    return RS_OK;
}

void sim_cues_destroy(sim_cues *c)
{
    if (c == NULL)
        return;
    free(c->fired);
    free(c->cues);
    free(c);
}

static rs_status cue_add(sim_cues *c, size_t event, size_t item, bool question)
{
    if (c->count == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 32;
        struct cue *cues = realloc(c->cues, cap * sizeof *cues);
        if (cues == NULL)
            return RS_ERR_NOMEM;
        c->cues = cues;
        c->cap = cap;
    }
    c->cues[c->count++] = (struct cue){event, item, question};
    return RS_OK;
}

rs_status sim_cues_update(sim_cues *c, const sim_timeline *tl)
{
    const sim_lesson *l = c->lesson;
    size_t count = sim_timeline_count(tl);
    if (l == NULL) {
        c->examined = count;
        return RS_OK;
    }
    for (; c->examined < count; c->examined++) {
        const sim_event *e = sim_timeline_at(tl, c->examined);
        rs_trace_role prole = sim_timeline_process(tl, e->process)->role;
        for (size_t q = 0; q < l->question_count; q++) {
            bool *fired = &c->fired[l->narration_count + q];
            if (!*fired && sim_trigger_matches(&l->questions[q].before, &e->ev, prole)) {
                if (cue_add(c, c->examined, q, true) != RS_OK)
                    return RS_ERR_NOMEM;
                *fired = true;
            }
        }
        for (size_t k = 0; k < l->narration_count; k++) {
            const sim_trigger *t = &l->narrations[k].when;
            if ((!c->fired[k] || t->every) && sim_trigger_matches(t, &e->ev, prole)) {
                if (cue_add(c, c->examined, k, false) != RS_OK)
                    return RS_ERR_NOMEM;
                c->fired[k] = true;
            }
        }
    }
    return RS_OK;
}

/* The first cue of event i. */
static size_t cue_first(const sim_cues *c, size_t i)
{
    size_t lo = 0, hi = c->count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (c->cues[mid].event < i)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

size_t sim_cues_narrations(const sim_cues *c, size_t i, const sim_narration **out, size_t max)
{
    size_t n = 0;
    for (size_t k = cue_first(c, i); k < c->count && c->cues[k].event == i; k++) {
        if (c->cues[k].question)
            continue;
        if (n < max)
            out[n] = &c->lesson->narrations[c->cues[k].item];
        n++;
    }
    return n;
}

const sim_question *sim_cues_question(const sim_cues *c, size_t i)
{
    for (size_t k = cue_first(c, i); k < c->count && c->cues[k].event == i; k++)
        if (c->cues[k].question)
            return &c->lesson->questions[c->cues[k].item];
    return NULL;
}
