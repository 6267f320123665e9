/* inject.c -- the scenario from the environment, parsed strictly, and the runtime's questions
 * about it. See inject.h for the grammar and the contract. */
#include "inject.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pdu.h"

/* Words of one fault: "delay response 1500 on HelloProc" is the longest, 5; one more is room to
 * see what is left over. */
#define WORDS_MAX 6
/* A value quoted in a sentence is cut here, so a long variable still leaves room for the why. */
#define QUOTE_MAX 40

static const char *const kind_words[RS_INJECT_KIND_COUNT] = {
#define KIND_WORD(name, word) word,
    RS_INJECT_KIND_TABLE(KIND_WORD)
#undef KIND_WORD
};

const char *rs_inject_kind_name(rs_inject_kind k)
{
    return (unsigned)k < RS_INJECT_KIND_COUNT ? kind_words[k] : "?";
}

/* ---- small parsers ----------------------------------------------------------------------------- */

/* A whole number in lo..hi, decimal digits only: no sign, no space, no suffix. */
static bool parse_decimal(const char *s, unsigned long lo, unsigned long hi, unsigned long *out)
{
    unsigned long v = 0;
    if (*s == '\0')
        return false;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return false;
        unsigned d = (unsigned)(*s - '0');
        /* Would v * 10 + d pass hi? Asked before computing it, so it never wraps. */
        if (d > hi || v > (hi - d) / 10)
            return false;
        v = v * 10 + d;
    }
    if (v < lo)
        return false;
    *out = v;
    return true;
}

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* A fault code: a name rs_fault_from_name() knows, or 1..0xFFFFFFFF in decimal or 0x hex (0 is
 * "no fault" on the wire, so it cannot be raised). */
static bool parse_fault_code(const char *s, uint32_t *code)
{
    if (rs_fault_from_name(s, code) == RS_OK)
        return true;
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        const char *p = s + 2;
        if (*p == '\0' || strlen(p) > 8)
            return false;
        uint32_t v = 0;
        for (; *p; p++) {
            int d = hex_digit(*p);
            if (d < 0)
                return false;
            v = (v << 4) | (uint32_t)d;
        }
        if (v == 0)
            return false;
        *code = v;
        return true;
    }
    unsigned long v;
    if (!parse_decimal(s, 1, UINT32_MAX, &v))
        return false;
    *code = (uint32_t)v;
    return true;
}

/* The PDU types of the connection-oriented protocol, by the names rs_pdu_type_name() gives. */
static int parse_ptype(const char *s)
{
    for (int t = 0; t <= RS_PTYPE_RTS; t++)
        if (rs_pdu_type_is_connection_oriented((uint8_t)t) &&
            strcmp(s, rs_pdu_type_name((uint8_t)t)) == 0)
            return t;
    return -1;
}

/* A procedure name as the IDL spells it: a C identifier of at most 63 characters. */
static bool is_procedure_name(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n >= RS_INJECT_PROCEDURE_MAX)
        return false;
    if (!((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z') || s[0] == '_'))
        return false;
    for (size_t i = 1; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
              (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
            return false;
    return true;
}

/* `s` for a sentence, cut to QUOTE_MAX characters with "..." when longer. */
static void quote(const char *s, char *out, size_t size)
{
    size_t n = strlen(s);
    if (n > QUOTE_MAX)
        snprintf(out, size, "%.*s...", QUOTE_MAX, s);
    else
        snprintf(out, size, "%s", s);
}

/* Splits `item` (which it modifies) at spaces and tabs; returns the number of words, which may
 * exceed max (only max are stored). */
static size_t split_words(char *item, char **w, size_t max)
{
    size_t n = 0;
    char *p = item;
    for (;;) {
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p == '\0')
            return n;
        if (n < max)
            w[n] = p;
        n++;
        while (*p != '\0' && *p != ' ' && *p != '\t')
            p++;
        if (*p != '\0')
            *p++ = '\0';
    }
}

/* ---- the fault list ---------------------------------------------------------------------------- */

/*   fault := delay PTYPE MS [on NAME] | raise FAULT [on NAME] | WORD [on NAME]
 * One fault, its words in w[0..n). `which` numbers it in sentences ("fault 2"). */
static rs_status parse_fault(char **w, size_t n, size_t which, rs_inject_fault *f, rs_error *err)
{
    char q[QUOTE_MAX + 4];
    memset(f, 0, sizeof *f);
    int kind = -1;
    for (int k = 0; k < RS_INJECT_KIND_COUNT; k++)
        if (strcmp(w[0], kind_words[k]) == 0)
            kind = k;
    if (kind < 0) {
        quote(w[0], q, sizeof q);
        return rs_error_set(err, RS_ERR_INVALID_ARG,
                            "fault %zu: unknown fault '%s' (one of: delay, close-before-execute, "
                            "close-after-execute, kill-server, raise, unknown-opnum, "
                            "unknown-interface)",
                            which, q);
    }
    f->kind = (rs_inject_kind)kind;
    size_t at = 1;
    if (f->kind == RS_INJECT_DELAY) {
        if (n < 3)
            return rs_error_set(err, RS_ERR_INVALID_ARG,
                                "fault %zu: delay needs a PDU type and milliseconds, e.g. 'delay "
                                "response 1500'",
                                which);
        int ptype = parse_ptype(w[1]);
        if (ptype < 0) {
            quote(w[1], q, sizeof q);
            return rs_error_set(err, RS_ERR_INVALID_ARG,
                                "fault %zu: delay: '%s' is not a PDU type (request, response, "
                                "fault, bind, bind_ack, bind_nak, alter_context, "
                                "alter_context_resp, ...)",
                                which, q);
        }
        unsigned long ms;
        if (!parse_decimal(w[2], 1, RS_INJECT_DELAY_MAX_MS, &ms)) {
            quote(w[2], q, sizeof q);
            return rs_error_set(err, RS_ERR_INVALID_ARG,
                                "fault %zu: delay %s: milliseconds must be a whole number "
                                "1..%d, not '%s'",
                                which, w[1], RS_INJECT_DELAY_MAX_MS, q);
        }
        f->ptype = (uint8_t)ptype;
        f->value = (uint32_t)ms;
        at = 3;
    } else if (f->kind == RS_INJECT_RAISE) {
        if (n < 2)
            return rs_error_set(err, RS_ERR_INVALID_ARG,
                                "fault %zu: raise needs a fault, a name such as "
                                "nca_s_fault_int_div_by_zero or a number",
                                which);
        if (!parse_fault_code(w[1], &f->value)) {
            quote(w[1], q, sizeof q);
            return rs_error_set(err, RS_ERR_INVALID_ARG,
                                "fault %zu: raise: '%s' is neither a DCE fault name (such as "
                                "nca_s_fault_int_div_by_zero) nor a number 1..0xFFFFFFFF",
                                which, q);
        }
        at = 2;
    }
    if (at < n && strcmp(w[at], "on") == 0) {
        if (at + 1 >= n)
            return rs_error_set(err, RS_ERR_INVALID_ARG,
                                "fault %zu: 'on' needs the name of a procedure", which);
        if (!is_procedure_name(w[at + 1])) {
            quote(w[at + 1], q, sizeof q);
            return rs_error_set(err, RS_ERR_INVALID_ARG,
                                "fault %zu: on: '%s' is not a procedure name (a letter or '_', "
                                "then letters, digits or '_'; at most %d)",
                                which, q, RS_INJECT_PROCEDURE_MAX - 1);
        }
        snprintf(f->procedure, sizeof f->procedure, "%s", w[at + 1]);
        at += 2;
    }
    if (at < n) {
        quote(at < WORDS_MAX ? w[at] : "...", q, sizeof q);
        return rs_error_set(err, RS_ERR_INVALID_ARG, "fault %zu: unexpected '%s' after %s%s%s",
                            which, q, kind_words[f->kind], f->procedure[0] ? " on " : "",
                            f->procedure);
    }
    return RS_OK;
}

rs_status rs_inject_parse(const char *text, rs_inject *out, rs_error *err)
{
    memset(out, 0, sizeof *out);
    if (text == NULL)
        return RS_OK;
    size_t len = strnlen(text, RS_INJECT_TEXT_MAX + 1);
    if (len > RS_INJECT_TEXT_MAX)
        return rs_error_set(err, RS_ERR_INVALID_ARG, "more than %d bytes long",
                            RS_INJECT_TEXT_MAX);
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)text[i];
        if ((c < 0x20 && c != '\t') || c > 0x7e)
            return rs_error_set(err, RS_ERR_INVALID_ARG,
                                "byte 0x%02x at offset %zu is not printable ASCII", c, i);
    }
    if (len == 0)
        return RS_OK;

    char copy[RS_INJECT_TEXT_MAX + 1];
    memcpy(copy, text, len + 1);
    rs_inject parsed;
    memset(&parsed, 0, sizeof parsed);
    char *item = copy;
    for (size_t which = 1;; which++) {
        char *semi = strchr(item, ';');
        if (semi != NULL)
            *semi = '\0';
        char *w[WORDS_MAX];
        size_t n = split_words(item, w, WORDS_MAX);
        if (n == 0)
            return rs_error_set(err, RS_ERR_INVALID_ARG,
                                "fault %zu is empty (faults are separated by '; ')", which);
        if (parsed.count == RS_INJECT_FAULTS_MAX)
            return rs_error_set(err, RS_ERR_INVALID_ARG, "more than %d faults",
                                RS_INJECT_FAULTS_MAX);
        rs_status st = parse_fault(w, n, which, &parsed.faults[parsed.count], err);
        if (st != RS_OK)
            return st;
        parsed.count++;
        if (semi == NULL)
            break;
        item = semi + 1;
    }
    *out = parsed;
    return RS_OK;
}

/* ---- the environment --------------------------------------------------------------------------- */

enum { VAR_ENDIAN, VAR_MAX_FRAG, VAR_CALL_TIMEOUT, VAR_FAULT, VAR_COUNT };

static const char *const var_names[VAR_COUNT] = {
    "RPCSCOPE_ENDIAN", "RPCSCOPE_MAX_FRAG", "RPCSCOPE_CALL_TIMEOUT_MS", "RPCSCOPE_FAULT"};

/* What was reported, so each reason goes to the trace once, and the last read's reasons for
 * rs_inject_error(). */
static pthread_mutex_t env_lock = PTHREAD_MUTEX_INITIALIZER;
static char reported[VAR_COUNT][RS_ERROR_MAX];
static char last_errors[VAR_COUNT * RS_ERROR_MAX];
static _Thread_local char error_copy[VAR_COUNT * RS_ERROR_MAX];

/* Parses variable `v`'s value into *out. */
static rs_status parse_var(int v, const char *value, rs_inject_env *out, rs_error *err)
{
    unsigned long n;
    switch (v) {
    case VAR_ENDIAN:
        if (strcmp(value, "big") == 0 || strcmp(value, "little") == 0) {
            out->has_endian = true;
            out->endian = value[0] == 'b' ? RS_BE : RS_LE;
            return RS_OK;
        }
        return rs_error_set(err, RS_ERR_INVALID_ARG, "must be big or little");
    case VAR_MAX_FRAG:
        if (!parse_decimal(value, RS_INJECT_MIN_FRAG, RS_INJECT_MAX_FRAG, &n))
            return rs_error_set(err, RS_ERR_INVALID_ARG, "must be a whole number %d..%d",
                                RS_INJECT_MIN_FRAG, RS_INJECT_MAX_FRAG);
        out->max_frag = (uint16_t)n;
        return RS_OK;
    case VAR_CALL_TIMEOUT:
        if (!parse_decimal(value, 1, RS_INJECT_CALL_TIMEOUT_MAX_MS, &n))
            return rs_error_set(err, RS_ERR_INVALID_ARG, "must be a whole number 1..%d",
                                RS_INJECT_CALL_TIMEOUT_MAX_MS);
        out->call_timeout_ms = (int)n;
        return RS_OK;
    default:
        return rs_inject_parse(value, &out->faults, err);
    }
}

/* "RPCSCOPE_FAULT='delay request abc' is ignored: fault 1: ..." -- the value printable, cut. */
static void var_sentence(int v, const char *value, const char *why, char *out, size_t size)
{
    char q[QUOTE_MAX + 4];
    size_t i = 0;
    for (; i < QUOTE_MAX && value[i] != '\0'; i++) {
        unsigned char c = (unsigned char)value[i];
        q[i] = (c < 0x20 || c > 0x7e) ? '?' : (char)c;
    }
    snprintf(q + i, sizeof q - i, "%s", value[i] != '\0' ? "..." : "");
    /* Cut to size when it must be: the reason comes last, and its start says the most. */
    if (snprintf(out, size, "%s='%s' is ignored: %s", var_names[v], q, why) < 0)
        out[0] = '\0';
}

void rs_inject_read_env(rs_trace_role role, rs_inject_env *out)
{
    memset(out, 0, sizeof *out);
    bool client = role == RS_TRACE_ROLE_CLIENT;
    char errors[VAR_COUNT][RS_ERROR_MAX];
    bool report[VAR_COUNT] = {false};
    pthread_mutex_lock(&env_lock);
    last_errors[0] = '\0';
    for (int v = 0; v < VAR_COUNT; v++) {
        errors[v][0] = '\0';
        if (!client && (v == VAR_ENDIAN || v == VAR_CALL_TIMEOUT))
            continue; /* the client's alone: a server does not read them */
        const char *value = getenv(var_names[v]);
        if (value == NULL || value[0] == '\0')
            continue;
        rs_error err = {0};
        if (parse_var(v, value, out, &err) == RS_OK)
            continue;
        var_sentence(v, value, err.message, errors[v], sizeof errors[v]);
        size_t used = strlen(last_errors);
        if (snprintf(last_errors + used, sizeof last_errors - used, "%s%s", used > 0 ? "; " : "",
                     errors[v]) < 0)
            last_errors[used] = '\0';
        if (strcmp(reported[v], errors[v]) != 0) {
            memcpy(reported[v], errors[v], sizeof reported[v]); /* both RS_ERROR_MAX */
            report[v] = true;
        }
    }
    pthread_mutex_unlock(&env_lock);
    /* Outside the lock: in step mode an event waits at the gate. */
    for (int v = 0; v < VAR_COUNT; v++) {
        if (report[v] && rs_trace_enabled()) {
            char text[RS_ERROR_MAX + 16];
            if (snprintf(text, sizeof text, "scenario: %s", errors[v]) < 0)
                continue;
            rs_trace_event ev = {.kind = RS_TRACE_ERROR, .role = role, .text = text};
            rs_trace_emit(&ev);
        }
    }
}

const char *rs_inject_error(void)
{
    pthread_mutex_lock(&env_lock);
    memcpy(error_copy, last_errors, sizeof error_copy);
    pthread_mutex_unlock(&env_lock);
    return error_copy;
}

/* ---- the runtime's questions ------------------------------------------------------------------- */

const rs_inject_fault *rs_inject_find(const rs_inject *in, rs_inject_kind kind, uint8_t ptype,
                                      const char *procedure)
{
    for (size_t i = 0; i < in->count; i++) {
        const rs_inject_fault *f = &in->faults[i];
        if (f->kind != kind || (kind == RS_INJECT_DELAY && f->ptype != ptype))
            continue;
        if (f->procedure[0] != '\0' &&
            (procedure == NULL || strcmp(f->procedure, procedure) != 0))
            continue;
        return f;
    }
    return NULL;
}

/* The fault's words without `on`: "delay response 1500", "raise nca_s_fault_ndr". */
static size_t format_words(const rs_inject_fault *f, char *out, size_t size)
{
    int n;
    if (f->kind == RS_INJECT_DELAY) {
        n = snprintf(out, size, "delay %s %u", rs_pdu_type_name(f->ptype), (unsigned)f->value);
    } else if (f->kind == RS_INJECT_RAISE) {
        const char *name = rs_fault_name(f->value);
        if (name != NULL)
            n = snprintf(out, size, "raise %s", name);
        else
            n = snprintf(out, size, "raise 0x%08x", (unsigned)f->value);
    } else {
        n = snprintf(out, size, "%s", rs_inject_kind_name(f->kind));
    }
    return n < 0 ? 0 : (size_t)n;
}

size_t rs_inject_fault_format(const rs_inject_fault *f, char *out, size_t size)
{
    char words[96];
    format_words(f, words, sizeof words);
    int n = snprintf(out, size, "%s%s%s", words, f->procedure[0] ? " on " : "", f->procedure);
    return n < 0 ? 0 : (size_t)n;
}

size_t rs_inject_describe(const rs_inject_fault *f, const char *procedure, const char *what,
                          char *out, size_t size)
{
    char words[96];
    format_words(f, words, sizeof words);
    bool on = procedure != NULL && procedure[0] != '\0';
    int n = snprintf(out, size, "injected: %s%s%s%s%s", words, on ? " on " : "",
                     on ? procedure : "", what != NULL ? ": " : "", what != NULL ? what : "");
    return n < 0 ? 0 : (size_t)n;
}

void rs_inject_report(rs_trace_role role, const rs_inject_fault *f, const char *procedure,
                      const char *what)
{
    if (!rs_trace_enabled())
        return;
    char text[512];
    rs_inject_describe(f, procedure, what, text, sizeof text);
    rs_trace_event ev = {.kind = RS_TRACE_ERROR, .role = role, .text = text};
    rs_trace_emit(&ev);
}
