/* rpc.c -- Microsoft's RPC API (rpc.h) on the rpcscope client and server runtimes.
 *
 * Three parts: string bindings (text in, text out, all malloc()ed for RpcStringFree()); the one
 * process-wide server behind RpcServer*; and the exception frames behind RpcTryExcept, fed by the
 * client runtime's per-thread error handler (client.h), which it calls after a failed call has
 * freed everything, so a longjmp() from it leaks nothing.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include "rpc.h"

#include <ctype.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <rpcscope/binding.h>
#include <rpcscope/epm.h>
#include <rpcscope/server.h>
#include <rpcscope/status.h>

/* ncacn_np endpoints become ncalrpc sockets with this prefix: \pipe\hello -> np-hello. */
#define NP_PREFIX "np-"
#define NP_PIPE "\\pipe\\"

/* ---- strings ----------------------------------------------------------------------------------- */

static RPC_CSTR dup_text(const char *s, size_t n)
{
    char *d = malloc(n + 1);
    if (d != NULL) {
        memcpy(d, s, n);
        d[n] = '\0';
    }
    return (RPC_CSTR)d;
}

static const char *text_or_empty(RPC_CSTR s)
{
    return s != NULL ? (const char *)s : "";
}

RPC_STATUS RpcStringFree(RPC_CSTR *String)
{
    if (String != NULL) {
        free(*String);
        *String = NULL;
    }
    return RPC_S_OK;
}

RPC_STATUS RpcStringBindingCompose(RPC_CSTR ObjUuid, RPC_CSTR ProtSeq, RPC_CSTR NetworkAddr,
                                   RPC_CSTR Endpoint, RPC_CSTR Options, RPC_CSTR *StringBinding)
{
    if (StringBinding == NULL)
        return RPC_S_INVALID_ARG;
    *StringBinding = NULL;
    const char *obj = text_or_empty(ObjUuid), *ps = text_or_empty(ProtSeq);
    const char *addr = text_or_empty(NetworkAddr), *ep = text_or_empty(Endpoint);
    const char *opt = text_or_empty(Options);
    bool brackets = ep[0] != '\0' || opt[0] != '\0';
    size_t n = strlen(obj) + strlen(ps) + strlen(addr) + strlen(ep) + strlen(opt) + 8;
    char *s = malloc(n);
    if (s == NULL)
        return RPC_S_OUT_OF_MEMORY;
    snprintf(s, n, "%s%s%s:%s%s%s%s%s%s", obj, obj[0] ? "@" : "", ps, addr, brackets ? "[" : "",
             ep, opt[0] ? "," : "", opt, brackets ? "]" : "");
    *StringBinding = (RPC_CSTR)s;
    return RPC_S_OK;
}

/* The five parts of a string binding as spans of its text: [OBJ@]PROTSEQ:ADDR[EP,OPTIONS]. */
typedef struct parts {
    const char *at[5];
    size_t len[5];
} parts;
enum { P_OBJ, P_PROTSEQ, P_ADDR, P_EP, P_OPT };

/* Splits without judging the parts (binding.c judges them when a handle is made); false for text
 * whose shape is wrong: no ':', a '[' without its ']', or text after the ']'. */
static bool split(const char *s, parts *p)
{
    memset(p, 0, sizeof *p);
    const char *colon = strchr(s, ':');
    if (colon == NULL)
        return false;
    const char *at = memchr(s, '@', (size_t)(colon - s));
    if (at != NULL) {
        p->at[P_OBJ] = s;
        p->len[P_OBJ] = (size_t)(at - s);
        s = at + 1;
    }
    p->at[P_PROTSEQ] = s;
    p->len[P_PROTSEQ] = (size_t)(colon - s);
    if (p->len[P_PROTSEQ] == 0)
        return false;
    const char *addr = colon + 1, *open = strchr(addr, '[');
    p->at[P_ADDR] = addr;
    p->len[P_ADDR] = open != NULL ? (size_t)(open - addr) : strlen(addr);
    if (open == NULL)
        return true;
    const char *close = strchr(open, ']');
    if (close == NULL || close[1] != '\0')
        return false;
    const char *comma = memchr(open + 1, ',', (size_t)(close - open - 1));
    p->at[P_EP] = open + 1;
    p->len[P_EP] = (size_t)((comma != NULL ? comma : close) - (open + 1));
    if (comma != NULL) {
        p->at[P_OPT] = comma + 1;
        p->len[P_OPT] = (size_t)(close - comma - 1);
    }
    return true;
}

RPC_STATUS RpcStringBindingParse(RPC_CSTR StringBinding, RPC_CSTR *ObjUuid, RPC_CSTR *Protseq,
                                 RPC_CSTR *NetworkAddr, RPC_CSTR *Endpoint,
                                 RPC_CSTR *NetworkOptions)
{
    RPC_CSTR *out[5] = {ObjUuid, Protseq, NetworkAddr, Endpoint, NetworkOptions};
    for (int i = 0; i < 5; i++)
        if (out[i] != NULL)
            *out[i] = NULL;
    parts p;
    if (StringBinding == NULL || !split((const char *)StringBinding, &p))
        return RPC_S_INVALID_STRING_BINDING;
    for (int i = 0; i < 5; i++) {
        if (out[i] == NULL)
            continue;
        *out[i] = dup_text(p.at[i] != NULL ? p.at[i] : "", p.len[i]);
        if (*out[i] == NULL) {
            for (int j = 0; j <= i; j++)
                if (out[j] != NULL)
                    RpcStringFree(out[j]);
            return RPC_S_OUT_OF_MEMORY;
        }
    }
    return RPC_S_OK;
}

/* ---- from Microsoft's protocol sequences to rpcscope's bindings ------------------------------- */

static bool span_is(const parts *p, int i, const char *word)
{
    return p->len[i] == strlen(word) && strncasecmp(p->at[i], word, p->len[i]) == 0;
}

/* \pipe\NAME -> np-NAME, the local socket an ncacn_np endpoint stands for. The NAME's characters
 * are the ones an ncalrpc name may have (transport.h). */
static RPC_STATUS pipe_to_socket(const char *ep, size_t len, char *out, size_t size)
{
    size_t pre = strlen(NP_PIPE);
    if (len <= pre || strncasecmp(ep, NP_PIPE, pre) != 0)
        return RPC_S_INVALID_ENDPOINT_FORMAT;
    for (size_t i = pre; i < len; i++)
        if (!(isalnum((unsigned char)ep[i]) || ep[i] == '.' || ep[i] == '_' || ep[i] == '-'))
            return RPC_S_INVALID_ENDPOINT_FORMAT;
    int n = snprintf(out, size, NP_PREFIX "%.*s", (int)(len - pre), ep + pre);
    return n > 0 && (size_t)n < size ? RPC_S_OK : RPC_S_INVALID_ENDPOINT_FORMAT;
}

/* A named pipe is on this host: no address, or one that names it. */
static bool local_host(const char *addr, size_t len)
{
    static const char *const local[] = {"", ".", "localhost", "127.0.0.1", "::1"};
    for (size_t i = 0; i < sizeof local / sizeof local[0]; i++)
        if (len == strlen(local[i]) && strncasecmp(addr, local[i], len) == 0)
            return true;
    char host[256];
    return gethostname(host, sizeof host) == 0 && len == strlen(host) &&
           strncasecmp(addr, host, len) == 0;
}

/* The rpcscope string binding for a Microsoft one: ncacn_np becomes ncalrpc (a local socket),
 * the others stay as they are. Says which RPC_S_* code text that cannot be used earns. */
static RPC_STATUS to_native(const char *text, char *out, size_t size)
{
    parts p;
    if (!split(text, &p))
        return RPC_S_INVALID_STRING_BINDING;
    static const char *const unsupported[] = {"ncacn_http", "ncadg_ip_udp", "ncacn_nb_tcp",
                                              "ncacn_spx", "ncadg_ipx", "ncacn_dnet_nsp",
                                              "ncacn_at_dsp", "ncacn_vns_spp", "ncacn_nb_nb",
                                              "ncacn_nb_ipx", "ncadg_mq", "ncacn_hvsocket"};
    for (size_t i = 0; i < sizeof unsupported / sizeof unsupported[0]; i++)
        if (span_is(&p, P_PROTSEQ, unsupported[i]))
            return RPC_S_PROTSEQ_NOT_SUPPORTED;
    int n;
    if (span_is(&p, P_PROTSEQ, "ncacn_np")) {
        if (!local_host(p.at[P_ADDR], p.len[P_ADDR]))
            return RPC_S_INVALID_NET_ADDR; /* no SMB: a pipe is a local socket */
        char name[RS_BINDING_ENDPOINT_MAX];
        RPC_STATUS st = p.len[P_EP] == 0 ? RPC_S_OK
                                         : pipe_to_socket(p.at[P_EP], p.len[P_EP], name, sizeof name);
        if (st != RPC_S_OK)
            return st;
        n = snprintf(out, size, "%.*s%sncalrpc:[%s]", (int)p.len[P_OBJ],
                     p.at[P_OBJ] ? p.at[P_OBJ] : "", p.len[P_OBJ] ? "@" : "",
                     p.len[P_EP] ? name : "");
    } else if (span_is(&p, P_PROTSEQ, "ncacn_ip_tcp") || span_is(&p, P_PROTSEQ, "ncalrpc")) {
        n = snprintf(out, size, "%s", text);
    } else {
        return RPC_S_INVALID_RPC_PROTSEQ;
    }
    if (n < 0 || (size_t)n >= size)
        return RPC_S_INVALID_STRING_BINDING;
    rs_binding b;
    switch (rs_binding_parse(out, &b)) {
    case RS_OK: return RPC_S_OK;
    case RS_ERR_BAD_UUID: return RPC_S_INVALID_STRING_UUID;
    default:
        /* b.protseq is not set when parsing failed: the text's own protocol sequence says */
        return span_is(&p, P_PROTSEQ, "ncacn_ip_tcp") && strstr(b.error, "port") != NULL
                   ? RPC_S_INVALID_ENDPOINT_FORMAT
                   : RPC_S_INVALID_STRING_BINDING;
    }
}

/* ---- exceptions -------------------------------------------------------------------------------- */

static void on_call_error(const rs_error *error, uint32_t fault, void *ctx);

static _Thread_local rs_ms_frame *innermost;
static _Thread_local RPC_STATUS raised_code;

void rs_ms_frame_push(rs_ms_frame *f)
{
    rs_set_call_error_handler(on_call_error, NULL); /* calls in a Try raise (rpc.h) */
    f->outer = innermost;
    f->code = 0;
    innermost = f;
}

void rs_ms_frame_pop(rs_ms_frame *f)
{
    innermost = f->outer;
}

RPC_STATUS RpcExceptionCode(void)
{
    return raised_code;
}

/* What Windows does with an exception nobody handles: the process ends. The one message this
 * layer writes, just before the end it explains. */
__attribute__((noreturn)) static void unhandled(RPC_STATUS code)
{
    char msg[160];
    int n = snprintf(msg, sizeof msg,
                     "rpcscope: unhandled RPC exception %ld (0x%lx) with no RpcTryExcept around "
                     "it; the process ends, as on Windows\n",
                     code, (unsigned long)code);
    if (n > 0) {
        ssize_t w = write(STDERR_FILENO, msg, (size_t)n < sizeof msg ? (size_t)n : sizeof msg - 1);
        (void)w;
    }
    abort();
}

void RpcRaiseException(RPC_STATUS exception)
{
    raised_code = exception;
    rs_ms_frame *f = innermost;
    if (f != NULL) {
        innermost = f->outer; /* the handler runs outside its own Try */
        f->code = exception;
        longjmp(f->jump, 1);
    }
    if (rs_server_in_call())
        rs_server_raise((uint32_t)exception); /* the client gets it as the call's fault */
    unhandled(exception);
}

/* MS-RPCE 3.1.1.5.5: the Win32 code a client returns for a status in a fault PDU; any other code
 * (a Win32 code the server raised itself) is returned as it came. */
static const struct {
    uint32_t nca;
    RPC_STATUS win32;
} fault_map[] = {
    {RS_nca_s_comm_failure, RPC_S_COMM_FAILURE},
    {RS_nca_s_op_rng_error, RPC_S_PROCNUM_OUT_OF_RANGE},
    {RS_nca_s_unk_if, RPC_S_UNKNOWN_IF},
    {RS_nca_s_you_crashed, RPC_S_CALL_FAILED},
    {RS_nca_s_proto_error, RPC_S_PROTOCOL_ERROR},
    {RS_nca_s_out_args_too_big, RPC_S_SERVER_OUT_OF_MEMORY},
    {RS_nca_s_server_too_busy, RPC_S_SERVER_TOO_BUSY},
    {RS_nca_s_unsupported_type, RPC_S_UNSUPPORTED_TYPE},
    {RS_nca_s_fault_int_div_by_zero, RPC_S_ZERO_DIVIDE},
    {RS_nca_s_fault_addr_error, RPC_S_ADDRESS_ERROR},
    {RS_nca_s_fault_fp_div_zero, RPC_S_FP_DIV_ZERO},
    {RS_nca_s_fault_fp_underflow, RPC_S_FP_UNDERFLOW},
    {RS_nca_s_fault_fp_overflow, RPC_S_FP_OVERFLOW},
    {RS_nca_s_fault_invalid_tag, RPC_S_INVALID_TAG},
    {RS_nca_s_fault_invalid_bound, RPC_S_INVALID_BOUND},
    {RS_nca_s_rpc_version_mismatch, RPC_S_PROTOCOL_ERROR},
    {RS_nca_s_unspec_reject, RPC_S_CALL_FAILED},
    {RS_nca_s_bad_actid, RPC_S_CALL_FAILED_DNE},
    {RS_nca_s_who_are_you_failed, RPC_S_CALL_FAILED},
};

RPC_STATUS rs_ms_status_code(rs_status st, unsigned long fault)
{
    switch (st) {
    case RS_OK: return RPC_S_OK;
    case RS_ERR_FAULT:
        for (size_t i = 0; i < sizeof fault_map / sizeof fault_map[0]; i++)
            if (fault_map[i].nca == fault)
                return fault_map[i].win32;
        return (RPC_STATUS)fault;
    case RS_ERR_CONNECT:
    case RS_ERR_ADDRESS: return RPC_S_SERVER_UNAVAILABLE;
    case RS_ERR_TIMEOUT: return RPC_S_CALL_CANCELLED; /* "or the call timed out" */
    case RS_ERR_CLOSED:
    case RS_ERR_TRUNCATED: return RPC_S_CALL_FAILED;
    case RS_ERR_BIND_REJECTED: return RPC_S_UNKNOWN_IF;
    case RS_ERR_PROTOCOL:
    case RS_ERR_VERSION:
    case RS_ERR_REASSEMBLY:
    case RS_ERR_UNSUPPORTED_DREP: return RPC_S_PROTOCOL_ERROR;
    case RS_ERR_NDR: return RPC_X_BAD_STUB_DATA;
    case RS_ERR_ENUM_RANGE: return RPC_X_ENUM_VALUE_OUT_OF_RANGE;
    case RS_ERR_NULL_REF: return RPC_X_NULL_REF_POINTER;
    case RS_ERR_NULL_CONTEXT: return RPC_X_SS_IN_NULL_CONTEXT;
    case RS_ERR_CONTEXT_MISMATCH: return ERROR_INVALID_HANDLE;
    case RS_ERR_NOMEM: return RPC_S_OUT_OF_MEMORY;
    case RS_ERR_LIMIT: return RPC_S_OUT_OF_RESOURCES;
    case RS_ERR_INVALID_ARG: return RPC_S_INVALID_BINDING; /* a stub's NULL binding handle */
    case RS_ERR_IO: return RPC_S_COMM_FAILURE;
    default: return RPC_S_CALL_FAILED;
    }
}

/* The client runtime calls this on the thread of a call that failed, once the call is over. */
static void on_call_error(const rs_error *error, uint32_t fault, void *ctx)
{
    (void)ctx;
    RpcRaiseException(rs_ms_status_code(error->status, fault));
}

static void catch_call_errors(void)
{
    rs_set_call_error_handler(on_call_error, NULL);
}

/* ---- client binding handles -------------------------------------------------------------------- */

RPC_STATUS RpcBindingFromStringBinding(RPC_CSTR StringBinding, RPC_BINDING_HANDLE *Binding)
{
    if (Binding == NULL || StringBinding == NULL)
        return RPC_S_INVALID_ARG;
    *Binding = NULL;
    char native[RS_BINDING_STRLEN];
    RPC_STATUS code = to_native((const char *)StringBinding, native, sizeof native);
    if (code != RPC_S_OK)
        return code;
    rs_error err = {0};
    switch (rs_client_open(native, NULL, Binding, &err)) {
    case RS_OK: break;
    case RS_ERR_NOMEM: return RPC_S_OUT_OF_MEMORY;
    default: return RPC_S_INVALID_STRING_BINDING;
    }
    catch_call_errors();
    return RPC_S_OK;
}

RPC_STATUS RpcBindingToStringBinding(RPC_BINDING_HANDLE Binding, RPC_CSTR *StringBinding)
{
    if (StringBinding == NULL)
        return RPC_S_INVALID_ARG;
    *StringBinding = NULL;
    if (Binding == NULL)
        return RPC_S_INVALID_BINDING;
    const char *text = rs_client_binding(Binding);
    *StringBinding = dup_text(text, strlen(text));
    return *StringBinding != NULL ? RPC_S_OK : RPC_S_OUT_OF_MEMORY;
}

RPC_STATUS RpcBindingFree(RPC_BINDING_HANDLE *Binding)
{
    if (Binding == NULL || *Binding == NULL)
        return RPC_S_INVALID_BINDING;
    rs_client_close(*Binding);
    *Binding = NULL;
    return RPC_S_OK;
}

RPC_STATUS RpcBindingVectorFree(RPC_BINDING_VECTOR **BindingVector)
{
    if (BindingVector == NULL || *BindingVector == NULL)
        return RPC_S_INVALID_ARG;
    for (unsigned long i = 0; i < (*BindingVector)->Count; i++)
        rs_client_close((*BindingVector)->BindingH[i]);
    free(*BindingVector);
    *BindingVector = NULL;
    return RPC_S_OK;
}

/* ---- the process's server ---------------------------------------------------------------------- */

/* One server per process, as on Windows. `server` is made by the first RpcServerUseProtseq* or
 * RpcServerRegisterIf*, run by RpcServerListen, and destroyed when that run ends. */
static pthread_mutex_t server_lock = PTHREAD_MUTEX_INITIALIZER;
static rs_server *server;
static bool listening;          /* RpcServerListen is running it */
/* The server RpcServerListen runs, for RpcMgmtStopServerListening, which takes no lock (it may
 * run in a signal handler). Cleared before the server is destroyed. */
static _Atomic(rs_server *) running;
static bool listen_thread_live; /* RpcServerListen(DontWait) started listen_thread */
static pthread_t listen_thread;
static RPC_STATUS listen_result;

/* Under server_lock. */
static RPC_STATUS need_server(void)
{
    if (server != NULL)
        return RPC_S_OK;
    return rs_server_create(NULL, &server) == RS_OK ? RPC_S_OK : RPC_S_OUT_OF_RESOURCES;
}

RPC_STATUS RpcServerUseProtseqEp(RPC_CSTR Protseq, unsigned int MaxCalls, RPC_CSTR Endpoint,
                                 void *SecurityDescriptor)
{
    (void)MaxCalls;
    (void)SecurityDescriptor;
    if (Protseq == NULL)
        return RPC_S_INVALID_RPC_PROTSEQ;
    const char *ep = text_or_empty(Endpoint);
    char ms[RS_BINDING_STRLEN], native[RS_BINDING_STRLEN];
    int n = snprintf(ms, sizeof ms, "%s:[%s]", (const char *)Protseq, ep);
    if (n < 0 || (size_t)n >= sizeof ms)
        return RPC_S_INVALID_ENDPOINT_FORMAT;
    RPC_STATUS code = to_native(ms, native, sizeof native);
    if (code != RPC_S_OK)
        return code == RPC_S_INVALID_STRING_BINDING ? RPC_S_INVALID_ENDPOINT_FORMAT : code;
    pthread_mutex_lock(&server_lock);
    code = listening ? RPC_S_ALREADY_LISTENING : need_server();
    if (code == RPC_S_OK) {
        rs_error err = {0};
        switch (rs_server_listen(server, native, &err)) {
        case RS_OK: break;
        case RS_ERR_ADDRESS:
            code = strstr(err.message, "in use") != NULL ? RPC_S_DUPLICATE_ENDPOINT
                                                          : RPC_S_CANT_CREATE_ENDPOINT;
            break;
        case RS_ERR_NOMEM: code = RPC_S_OUT_OF_MEMORY; break;
        default: code = RPC_S_CANT_CREATE_ENDPOINT; break;
        }
    }
    pthread_mutex_unlock(&server_lock);
    return code;
}

RPC_STATUS RpcServerUseProtseq(RPC_CSTR Protseq, unsigned int MaxCalls, void *SecurityDescriptor)
{
    if (Protseq != NULL && strcasecmp((const char *)Protseq, "ncacn_ip_tcp") == 0)
        return RpcServerUseProtseqEp(Protseq, MaxCalls, (RPC_CSTR) "0", SecurityDescriptor);
    /* a fresh local socket name: this process's id keeps it apart from others' */
    char ep[64];
    bool np = Protseq != NULL && strcasecmp((const char *)Protseq, "ncacn_np") == 0;
    snprintf(ep, sizeof ep, "%sdynamic-%ld", np ? NP_PIPE : "", (long)getpid());
    return RpcServerUseProtseqEp(Protseq, MaxCalls, (RPC_CSTR)ep, SecurityDescriptor);
}

RPC_STATUS RpcServerRegisterIf(RPC_IF_HANDLE IfSpec, UUID *MgrTypeUuid, RPC_MGR_EPV *MgrEpv)
{
    if (IfSpec == NULL)
        return RPC_S_INVALID_ARG;
    if ((MgrTypeUuid != NULL && !rs_uuid_is_nil(MgrTypeUuid)) || MgrEpv != NULL)
        return RPC_S_CANNOT_SUPPORT; /* one manager per interface: the stubs call by name */
    pthread_mutex_lock(&server_lock);
    RPC_STATUS code = need_server();
    if (code == RPC_S_OK) {
        rs_error err = {0};
        rs_status st = rs_server_register(server, IfSpec, &err);
        code = st == RS_OK ? RPC_S_OK
               : st == RS_ERR_NOMEM ? RPC_S_OUT_OF_MEMORY
                                    : RPC_S_ALREADY_REGISTERED;
    }
    pthread_mutex_unlock(&server_lock);
    return code;
}

RPC_STATUS RpcServerRegisterIf2(RPC_IF_HANDLE IfSpec, UUID *MgrTypeUuid, RPC_MGR_EPV *MgrEpv,
                                unsigned int Flags, unsigned int MaxCalls, unsigned int MaxRpcSize,
                                RPC_IF_CALLBACK_FN *IfCallbackFn)
{
    (void)Flags, (void)MaxCalls, (void)MaxRpcSize, (void)IfCallbackFn; /* rpc.h: no security */
    return RpcServerRegisterIf(IfSpec, MgrTypeUuid, MgrEpv);
}

RPC_STATUS RpcServerRegisterIfEx(RPC_IF_HANDLE IfSpec, UUID *MgrTypeUuid, RPC_MGR_EPV *MgrEpv,
                                 unsigned int Flags, unsigned int MaxCalls,
                                 RPC_IF_CALLBACK_FN *IfCallback)
{
    (void)Flags, (void)MaxCalls, (void)IfCallback;
    return RpcServerRegisterIf(IfSpec, MgrTypeUuid, MgrEpv);
}

RPC_STATUS RpcServerUnregisterIf(RPC_IF_HANDLE IfSpec, UUID *MgrTypeUuid,
                                 unsigned int WaitForCallsToComplete)
{
    (void)MgrTypeUuid, (void)WaitForCallsToComplete;
    pthread_mutex_lock(&server_lock);
    RPC_STATUS code = RPC_S_UNKNOWN_IF;
    if (server != NULL)
        code = rs_server_unregister(server, IfSpec, NULL) == RS_OK ? RPC_S_OK : RPC_S_UNKNOWN_IF;
    else if (IfSpec == NULL)
        code = RPC_S_OK; /* nothing registered, nothing to withdraw: what Windows answers */
    pthread_mutex_unlock(&server_lock);
    return code;
}

RPC_STATUS RpcServerInqBindings(RPC_BINDING_VECTOR **BindingVector)
{
    if (BindingVector == NULL)
        return RPC_S_INVALID_ARG;
    *BindingVector = NULL;
    pthread_mutex_lock(&server_lock);
    size_t n = server != NULL ? rs_server_binding_count(server) : 0;
    RPC_STATUS code = n == 0 ? RPC_S_NO_BINDINGS : RPC_S_OK;
    RPC_BINDING_VECTOR *v = NULL;
    if (code == RPC_S_OK) {
        v = calloc(1, sizeof *v + n * sizeof v->BindingH[0]);
        code = v != NULL ? RPC_S_OK : RPC_S_OUT_OF_MEMORY;
    }
    for (size_t i = 0; code == RPC_S_OK && i < n; i++) {
        rs_error err = {0};
        if (rs_client_open(rs_server_binding(server, i), NULL, &v->BindingH[i], &err) != RS_OK)
            code = RPC_S_OUT_OF_MEMORY;
        else
            v->Count++;
    }
    pthread_mutex_unlock(&server_lock);
    if (code != RPC_S_OK && v != NULL)
        RpcBindingVectorFree(&v);
    *BindingVector = v;
    return code;
}

/* Runs the server to its end and destroys it; the listen's result. */
static RPC_STATUS run_server(rs_server *s)
{
    rs_error err = {0};
    RPC_STATUS code = rs_server_run(s, &err) == RS_OK ? RPC_S_OK : RPC_S_OUT_OF_RESOURCES;
    pthread_mutex_lock(&server_lock);
    if (server == s)
        server = NULL;
    listening = false;
    running = NULL;
    pthread_mutex_unlock(&server_lock);
    rs_server_destroy(s);
    return code;
}

static void *listen_main(void *arg)
{
    listen_result = run_server(arg);
    return NULL;
}

RPC_STATUS RpcServerListen(unsigned int MinimumCallThreads, unsigned int MaxCalls,
                           unsigned int DontWait)
{
    (void)MinimumCallThreads, (void)MaxCalls;
    pthread_mutex_lock(&server_lock);
    RPC_STATUS code = RPC_S_OK;
    if (listening || listen_thread_live)
        code = RPC_S_ALREADY_LISTENING;
    else if (server == NULL || rs_server_binding_count(server) == 0)
        code = RPC_S_NO_PROTSEQS_REGISTERED;
    rs_server *s = server;
    if (code == RPC_S_OK) {
        listening = true;
        running = s;
        if (DontWait) {
            if (pthread_create(&listen_thread, NULL, listen_main, s) == 0) {
                listen_thread_live = true;
            } else {
                listening = false;
                running = NULL;
                code = RPC_S_OUT_OF_RESOURCES;
            }
        }
    }
    pthread_mutex_unlock(&server_lock);
    if (code != RPC_S_OK || DontWait)
        return code;
    return run_server(s);
}

RPC_STATUS RpcMgmtStopServerListening(RPC_BINDING_HANDLE Binding)
{
    if (Binding != NULL)
        return RPC_S_CANNOT_SUPPORT; /* stopping another process's server: not offered */
    /* No lock: this may run in a signal handler; rs_server_stop() is an atomic store and a
     * write(). (A stop racing the very end of the run may find the server just destroyed: call
     * it while the server runs, from a procedure, a signal or another thread.) */
    rs_server *s = running;
    if (s == NULL)
        return RPC_S_NOT_LISTENING;
    rs_server_stop(s);
    return RPC_S_OK;
}

RPC_STATUS RpcMgmtWaitServerListen(void)
{
    pthread_mutex_lock(&server_lock);
    bool live = listen_thread_live;
    listen_thread_live = false;
    pthread_mutex_unlock(&server_lock);
    if (!live)
        return RPC_S_NOT_LISTENING;
    pthread_join(listen_thread, NULL);
    return listen_result;
}

/* ---- the endpoint mapper ----------------------------------------------------------------------- */

/* ept_insert (or ept_delete) of one entry: `binding` for `iface` with `object`. */
static RPC_STATUS ep_one(const char *binding, RPC_IF_HANDLE iface, const UUID *object,
                         const char *annotation, bool insert)
{
    rs_epm_entry e;
    rs_error err = {0};
    rs_binding b;
    char where[RS_BINDING_STRLEN];
    if (rs_epm_entry_from_binding(&e, binding, &iface->syntax, annotation, &err) != RS_OK ||
        rs_binding_parse(binding, &b) != RS_OK ||
        rs_epm_mapper_binding(&b, where, sizeof where) != RS_OK)
        return RPC_S_INVALID_BINDING;
    if (object != NULL)
        e.object = *object;
    rs_client *mapper = NULL;
    if (rs_client_open(where, NULL, &mapper, &err) != RS_OK)
        return RPC_S_INVALID_BINDING; /* RPCSCOPE_EPM does not parse */
    rs_status st = insert ? rs_epm_insert(mapper, &e, 1, &err) : rs_epm_delete(mapper, &e, 1, &err);
    rs_client_close(mapper);
    if (st == RS_ERR_PROTOCOL)
        return EPT_S_CANT_PERFORM_OP;
    if (st == RS_ERR_CONNECT && !insert)
        return EPT_S_NOT_REGISTERED; /* the mapper answered ept_s_not_registered */
    return rs_ms_status_code(st, rs_last_call_fault());
}

static RPC_STATUS ep_all(RPC_IF_HANDLE IfSpec, RPC_BINDING_VECTOR *BindingVector,
                         UUID_VECTOR *UuidVector, RPC_CSTR Annotation, bool insert)
{
    if (IfSpec == NULL)
        return RPC_S_INVALID_ARG;
    RPC_BINDING_VECTOR *own = NULL;
    RPC_BINDING_VECTOR *v = BindingVector;
    if (v == NULL) {
        RPC_STATUS code = RpcServerInqBindings(&own);
        if (code != RPC_S_OK)
            return code;
        v = own;
    }
    RPC_STATUS code = RPC_S_OK;
    unsigned long objects = UuidVector != NULL ? UuidVector->Count : 0;
    for (unsigned long i = 0; i < v->Count && code == RPC_S_OK; i++) {
        const char *binding = v->BindingH[i] != NULL ? rs_client_binding(v->BindingH[i]) : NULL;
        if (binding == NULL) {
            code = RPC_S_INVALID_BINDING;
            break;
        }
        for (unsigned long j = 0; j < (objects ? objects : 1) && code == RPC_S_OK; j++)
            code = ep_one(binding, IfSpec, objects ? UuidVector->Uuid[j] : NULL,
                          (const char *)Annotation, insert);
    }
    if (own != NULL)
        RpcBindingVectorFree(&own);
    return code;
}

RPC_STATUS RpcEpRegister(RPC_IF_HANDLE IfSpec, RPC_BINDING_VECTOR *BindingVector,
                         UUID_VECTOR *UuidVector, RPC_CSTR Annotation)
{
    return ep_all(IfSpec, BindingVector, UuidVector, Annotation, true);
}

RPC_STATUS RpcEpUnregister(RPC_IF_HANDLE IfSpec, RPC_BINDING_VECTOR *BindingVector,
                           UUID_VECTOR *UuidVector)
{
    return ep_all(IfSpec, BindingVector, UuidVector, NULL, false);
}
