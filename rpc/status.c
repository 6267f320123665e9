/* status.c -- names and messages for rs_status and the DCE fault codes, from the tables in status.h. */
#include "status.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char *const status_names[] = {
#define XX(name, msg) "RS_" #name,
    RS_STATUS_TABLE(XX)
#undef XX
};

static const char *const status_messages[] = {
#define XX(name, msg) msg,
    RS_STATUS_TABLE(XX)
#undef XX
};

const char *rs_status_name(rs_status st)
{
    if ((unsigned)st >= RS_STATUS_COUNT)
        return "RS_UNKNOWN_STATUS";
    return status_names[st];
}

const char *rs_status_message(rs_status st)
{
    if ((unsigned)st >= RS_STATUS_COUNT)
        return "unknown status";
    return status_messages[st];
}

struct fault_entry {
    const char *name;
    uint32_t code;
    const char *message;
};

static const struct fault_entry faults[] = {
#define XX(name, code, msg) {#name, code, msg},
    RS_FAULT_TABLE(XX)
#undef XX
};

#define FAULT_COUNT (sizeof faults / sizeof faults[0])

static const struct fault_entry *fault_find(uint32_t code)
{
    for (size_t i = 0; i < FAULT_COUNT; i++)
        if (faults[i].code == code)
            return &faults[i];
    return NULL;
}

const char *rs_fault_name(uint32_t code)
{
    const struct fault_entry *f = fault_find(code);
    return f ? f->name : NULL;
}

const char *rs_fault_message(uint32_t code)
{
    const struct fault_entry *f = fault_find(code);
    return f ? f->message : "unknown fault";
}

rs_status rs_fault_from_name(const char *name, uint32_t *code)
{
    if (name == NULL || code == NULL)
        return RS_ERR_INVALID_ARG;
    for (size_t i = 0; i < FAULT_COUNT; i++) {
        if (strcmp(faults[i].name, name) == 0) {
            *code = faults[i].code;
            return RS_OK;
        }
    }
    return RS_ERR_INVALID_ARG;
}

rs_status rs_error_set(rs_error *e, rs_status st, const char *fmt, ...)
{
    if (e != NULL && e->status == RS_OK) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(e->message, sizeof e->message, fmt, ap);
        va_end(ap);
        e->status = st;
    }
    return st;
}

void rs_error_clear(rs_error *e)
{
    if (e != NULL) {
        e->status = RS_OK;
        e->message[0] = '\0';
    }
}
