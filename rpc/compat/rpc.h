/* rpc.h -- Microsoft's RPC API (the part a "hello, world" program uses) on librpcscope, so that a
 * client and server written for Windows build and run here unchanged, talking the same bytes.
 *
 *     RPC_CSTR text = NULL;
 *     RpcStringBindingCompose(NULL, (RPC_CSTR)"ncacn_ip_tcp", (RPC_CSTR)"127.0.0.1",
 *                             (RPC_CSTR)"4747", NULL, &text);
 *     RpcBindingFromStringBinding(text, &hello_IfHandle);   // the ACF's implicit handle
 *     RpcTryExcept { HelloProc((unsigned char *)"hello"); }
 *     RpcExcept(1) { printf("failed: %lu\n", (unsigned long)RpcExceptionCode()); }
 *     RpcEndExcept
 *     RpcStringFree(&text);  RpcBindingFree(&hello_IfHandle);
 *
 * Build: `rpcidl --ms hello.idl` writes stubs whose hello.h includes this file; compile with
 * -I.../rpcscope/compat (in the tree: -Irpc/compat) and link librpcscope. The program defines
 * midl_user_allocate() and midl_user_free() (rpcndr.h), as on Windows.
 *
 * What each name is here:
 *   handle_t, RPC_BINDING_HANDLE  an rs_client * (client.h): the generated stubs' binding type,
 *                                 so hello_IfHandle is one. A server-side binding (from
 *                                 RpcServerInqBindings) is the same type, made from the
 *                                 server's string binding; it can be turned back into text.
 *   RPC_IF_HANDLE                 a const rs_interface * (interface.h): NAME_v1_0_s_ifspec.
 *   RPC_STATUS                    a Win32 error code (RPC_S_OK 0, RPC_S_SERVER_UNAVAILABLE 1722).
 *   The server                    one per process, as on Windows: RpcServerUseProtseqEp() makes
 *                                 it and listens at once; RpcServerListen() runs it.
 *
 * Where behaviour differs from Windows (each a consequence of running on librpcscope):
 *   - Exceptions are setjmp()/longjmp(), not structured exception handling: a local variable
 *     changed inside RpcTryExcept and read in RpcExcept must be `volatile`; do not `return`,
 *     `goto` or `break` out of a Try block (the frame would stay on this thread's stack; Windows
 *     allows it). Only RPC failures and RpcRaiseException() raise: a crash (SIGSEGV, a division
 *     by zero) is not turned into an exception. A failed call with no RpcTryExcept around it
 *     ends the process with a message on stderr, as an unhandled exception ends it on Windows.
 *   - A call failure raises only on a thread that has entered RpcTryExcept/RpcTryFinally or
 *     made a binding with RpcBindingFromStringBinding(); a call made on another thread without
 *     either fails as a native rpcscope call does (zeros; rs_last_call_status() says why).
 *   - No security: RpcServerRegisterIf2/Ex accept a security callback and flags but never call
 *     or apply them (every call is allowed, as with RPC_IF_ALLOW_CALLBACKS_WITH_NO_AUTH and a
 *     callback that returns RPC_S_OK); SecurityDescriptor must be NULL-or-ignored; MaxCalls and
 *     MaxRpcSize are the server's own limits (server.h), not the caller's.
 *   - ncacn_ip_tcp with no network address listens on 127.0.0.1 only (transport.h), not on
 *     every interface. ncacn_np endpoints \pipe\NAME are local (Unix) sockets, not SMB named
 *     pipes: see RpcServerUseProtseqEp().
 *   - After RpcServerListen() returns, the server is gone: a program that wants to serve again
 *     calls RpcServerUseProtseqEp() and RpcServerRegisterIf() again.
 *   - RPC_STATUS, LONG and DWORD are C's long: 64 bits on 64-bit Linux, 32 on Windows.
 * Threads: the server functions share one process-wide server under one lock; the exception
 * frames are per thread.
 */
#ifndef RPCSCOPE_COMPAT_RPC_H
#define RPCSCOPE_COMPAT_RPC_H

#include <setjmp.h>
#include <stddef.h>

#include <rpcscope/client.h>
#include <rpcscope/interface.h>
#include <rpcscope/uuid.h>

#include "windows.h"

/* ---- calling conventions and pointer words of the Windows headers: nothing here ---- */
#define __RPC_FAR
#define __RPC_API
#define __RPC_USER
#define __RPC_STUB
#define RPC_ENTRY
#define RPC_VAR_ENTRY

/* ---- types ---- */
typedef long RPC_STATUS;
typedef unsigned char *RPC_CSTR;
typedef rs_client *RPC_BINDING_HANDLE;
typedef RPC_BINDING_HANDLE handle_t;
typedef const rs_interface *RPC_IF_HANDLE;
typedef void RPC_MGR_EPV;
typedef rs_uuid UUID; /* DCE's field names (time_low ...), not GUID's (Data1 ...) */
typedef RPC_STATUS RPC_IF_CALLBACK_FN(RPC_IF_HANDLE InterfaceUuid, void *Context);

typedef struct RPC_BINDING_VECTOR {
    unsigned long Count;
    RPC_BINDING_HANDLE BindingH[1]; /* Count of them */
} RPC_BINDING_VECTOR;

typedef struct UUID_VECTOR {
    unsigned long Count;
    UUID *Uuid[1]; /* Count of them */
} UUID_VECTOR;

/* ---- constants ---- */
#define RPC_C_LISTEN_MAX_CALLS_DEFAULT 1234 /* Windows' value: "the server's own limit" */
#define RPC_C_PROTSEQ_MAX_REQS_DEFAULT 10
#define RPC_IF_AUTOLISTEN 0x0001
#define RPC_IF_OLE 0x0002
#define RPC_IF_ALLOW_UNKNOWN_AUTHORITY 0x0004
#define RPC_IF_ALLOW_SECURE_ONLY 0x0008
#define RPC_IF_ALLOW_CALLBACKS_WITH_NO_AUTH 0x0010
#define RPC_IF_ALLOW_LOCAL_ONLY 0x0020
#define EXCEPTION_EXECUTE_HANDLER 1
#define EXCEPTION_CONTINUE_SEARCH 0

/* ---- status codes (winerror.h's values) ---- */
#define RPC_S_OK 0L
#define RPC_S_ACCESS_DENIED 5L
#define RPC_S_INVALID_ARG 87L
#define RPC_S_OUT_OF_MEMORY 14L
#define RPC_S_INVALID_STRING_BINDING 1700L
#define RPC_S_WRONG_KIND_OF_BINDING 1701L
#define RPC_S_INVALID_BINDING 1702L
#define RPC_S_PROTSEQ_NOT_SUPPORTED 1703L
#define RPC_S_INVALID_RPC_PROTSEQ 1704L
#define RPC_S_INVALID_STRING_UUID 1705L
#define RPC_S_INVALID_ENDPOINT_FORMAT 1706L
#define RPC_S_INVALID_NET_ADDR 1707L
#define RPC_S_NO_ENDPOINT_FOUND 1708L
#define RPC_S_ALREADY_REGISTERED 1711L
#define RPC_S_ALREADY_LISTENING 1713L
#define RPC_S_NO_PROTSEQS_REGISTERED 1714L
#define RPC_S_NOT_LISTENING 1715L
#define RPC_S_UNKNOWN_IF 1717L
#define RPC_S_NO_BINDINGS 1718L
#define RPC_S_CANT_CREATE_ENDPOINT 1720L
#define RPC_S_OUT_OF_RESOURCES 1721L
#define RPC_S_SERVER_UNAVAILABLE 1722L
#define RPC_S_SERVER_TOO_BUSY 1723L
#define RPC_S_CALL_FAILED 1726L
#define RPC_S_CALL_FAILED_DNE 1727L
#define RPC_S_PROTOCOL_ERROR 1728L
#define RPC_S_UNSUPPORTED_TYPE 1732L
#define RPC_S_INVALID_TAG 1733L
#define RPC_S_INVALID_BOUND 1734L
#define RPC_S_DUPLICATE_ENDPOINT 1740L
#define RPC_S_PROCNUM_OUT_OF_RANGE 1745L
#define EPT_S_INVALID_ENTRY 1751L
#define EPT_S_CANT_PERFORM_OP 1752L
#define EPT_S_NOT_REGISTERED 1753L
#define RPC_S_CANNOT_SUPPORT 1764L
#define RPC_S_INTERNAL_ERROR 1766L
#define RPC_S_ZERO_DIVIDE 1767L
#define RPC_S_ADDRESS_ERROR 1768L
#define RPC_S_FP_DIV_ZERO 1769L
#define RPC_S_FP_UNDERFLOW 1770L
#define RPC_S_FP_OVERFLOW 1771L
#define RPC_X_SS_IN_NULL_CONTEXT 1775L
#define RPC_X_NULL_REF_POINTER 1780L
#define RPC_X_ENUM_VALUE_OUT_OF_RANGE 1781L
#define RPC_X_BAD_STUB_DATA 1783L
#define RPC_S_CALL_CANCELLED 1818L
#define RPC_S_COMM_FAILURE 1820L
#define RPC_S_SERVER_OUT_OF_MEMORY 1130L
#define RPC_S_UNKNOWN_IF_HANDLE ERROR_INVALID_HANDLE

/* ---- string bindings (binding.h's syntax) ---- */

/* Joins the parts ([OBJ@]PROTSEQ:ADDR[EP,OPTIONS]; NULL or "" parts are left out) into a new
 * string the caller frees with RpcStringFree(). Nothing is checked until it is used. */
RPC_STATUS RpcStringBindingCompose(RPC_CSTR ObjUuid, RPC_CSTR ProtSeq, RPC_CSTR NetworkAddr,
                                   RPC_CSTR Endpoint, RPC_CSTR Options, RPC_CSTR *StringBinding);

/* Splits a string binding; each non-NULL out pointer gets a new string ("" for a missing part)
 * to free with RpcStringFree(). RPC_S_INVALID_STRING_BINDING (and every out pointer NULL) for
 * text that does not parse. */
RPC_STATUS RpcStringBindingParse(RPC_CSTR StringBinding, RPC_CSTR *ObjUuid, RPC_CSTR *Protseq,
                                 RPC_CSTR *NetworkAddr, RPC_CSTR *Endpoint,
                                 RPC_CSTR *NetworkOptions);

/* Frees a string this API made and sets *String to NULL. NULL and *NULL are fine. */
RPC_STATUS RpcStringFree(RPC_CSTR *String);

/* ---- binding handles ---- */

/* A client binding handle (rs_client_open()); connects nothing yet. ncacn_np:ADDR[\pipe\NAME]
 * becomes the local socket RpcServerUseProtseqEp() made for it. A binding without an endpoint
 * finds it through the endpoint mapper, on its first call (RpcEpRegister()). RPC_S_INVALID_STRING_BINDING,
 * RPC_S_PROTSEQ_NOT_SUPPORTED, RPC_S_INVALID_ENDPOINT_FORMAT for text that cannot be used. */
RPC_STATUS RpcBindingFromStringBinding(RPC_CSTR StringBinding, RPC_BINDING_HANDLE *Binding);

/* The binding's text, to free with RpcStringFree(). */
RPC_STATUS RpcBindingToStringBinding(RPC_BINDING_HANDLE Binding, RPC_CSTR *StringBinding);

/* Closes the handle's connection, frees it and sets *Binding to NULL. RPC_S_INVALID_BINDING for
 * a NULL handle. */
RPC_STATUS RpcBindingFree(RPC_BINDING_HANDLE *Binding);

RPC_STATUS RpcBindingVectorFree(RPC_BINDING_VECTOR **BindingVector);

/* ---- the server ---- */

/* Listens on PROTSEQ at ENDPOINT now: ncacn_ip_tcp with a port ("0": a free one), ncalrpc with
 * a name, ncacn_np with \pipe\NAME (a Unix socket named np-NAME: the same bytes as over SMB's
 * named pipe, without SMB). MaxCalls and SecurityDescriptor are ignored.
 * RPC_S_PROTSEQ_NOT_SUPPORTED, RPC_S_INVALID_ENDPOINT_FORMAT, RPC_S_DUPLICATE_ENDPOINT (in use),
 * RPC_S_CANT_CREATE_ENDPOINT. */
RPC_STATUS RpcServerUseProtseqEp(RPC_CSTR Protseq, unsigned int MaxCalls, RPC_CSTR Endpoint,
                                 void *SecurityDescriptor);
/* The same with a dynamic endpoint (a free port, a fresh socket name). */
RPC_STATUS RpcServerUseProtseq(RPC_CSTR Protseq, unsigned int MaxCalls, void *SecurityDescriptor);

/* Offers the interface (rs_server_register()); MgrTypeUuid must be NULL (or nil) and MgrEpv NULL:
 * the server stubs call the procedures by name. RPC_S_ALREADY_REGISTERED when it is offered. */
RPC_STATUS RpcServerRegisterIf(RPC_IF_HANDLE IfSpec, UUID *MgrTypeUuid, RPC_MGR_EPV *MgrEpv);
RPC_STATUS RpcServerRegisterIf2(RPC_IF_HANDLE IfSpec, UUID *MgrTypeUuid, RPC_MGR_EPV *MgrEpv,
                                unsigned int Flags, unsigned int MaxCalls, unsigned int MaxRpcSize,
                                RPC_IF_CALLBACK_FN *IfCallbackFn);
RPC_STATUS RpcServerRegisterIfEx(RPC_IF_HANDLE IfSpec, UUID *MgrTypeUuid, RPC_MGR_EPV *MgrEpv,
                                 unsigned int Flags, unsigned int MaxCalls,
                                 RPC_IF_CALLBACK_FN *IfCallback);

/* Withdraws one interface (NULL: every one): new binds to it are refused; connections already
 * bound to it keep calling it, as with WaitForCallsToComplete FALSE. RPC_S_UNKNOWN_IF. */
RPC_STATUS RpcServerUnregisterIf(RPC_IF_HANDLE IfSpec, UUID *MgrTypeUuid,
                                 unsigned int WaitForCallsToComplete);

/* The bindings the server listens on, real ports filled in; free with RpcBindingVectorFree().
 * RPC_S_NO_BINDINGS before RpcServerUseProtseqEp(). */
RPC_STATUS RpcServerInqBindings(RPC_BINDING_VECTOR **BindingVector);

/* Serves calls: until RpcMgmtStopServerListening() when DontWait is 0; with DontWait, on a thread
 * of its own, and RpcMgmtWaitServerListen() waits for it. RPC_S_NO_PROTSEQS_REGISTERED,
 * RPC_S_ALREADY_LISTENING. MinimumCallThreads and MaxCalls are ignored (server.h's workers). */
RPC_STATUS RpcServerListen(unsigned int MinimumCallThreads, unsigned int MaxCalls,
                           unsigned int DontWait);

/* Asks the server to stop (Binding must be NULL: the local server); safe in a procedure, where the
 * running call still gets its reply, and in a signal handler. RPC_S_NOT_LISTENING. */
RPC_STATUS RpcMgmtStopServerListening(RPC_BINDING_HANDLE Binding);
RPC_STATUS RpcMgmtWaitServerListen(void);

/* Registers the interface's bindings (BindingVector; NULL: the server's own, as
 * RpcServerInqBindings() gives them), once per object in UuidVector (NULL: none), with the
 * endpoint mapper of this host (epm.h: RPCSCOPE_EPM, else ncacn_ip_tcp:HOST[135] or
 * ncalrpc:[epmapper]), so that a client whose binding has no endpoint finds the server. Each is
 * an ept_insert call, traced like any other. EPT_S_CANT_PERFORM_OP when the mapper refuses,
 * RPC_S_SERVER_UNAVAILABLE when there is none. */
RPC_STATUS RpcEpRegister(RPC_IF_HANDLE IfSpec, RPC_BINDING_VECTOR *BindingVector,
                         UUID_VECTOR *UuidVector, RPC_CSTR Annotation);
/* The same with ept_delete. */
RPC_STATUS RpcEpUnregister(RPC_IF_HANDLE IfSpec, RPC_BINDING_VECTOR *BindingVector,
                           UUID_VECTOR *UuidVector);

/* ---- exceptions: RpcTryExcept / RpcExcept / RpcEndExcept, RpcTryFinally ... ----
 *
 *     RpcTryExcept {
 *         HelloProc(text);                       // a failure jumps to RpcExcept
 *     }
 *     RpcExcept(RpcExceptionCode() == RPC_S_SERVER_UNAVAILABLE) {
 *         puts("no server");                     // other codes go on to the next frame out
 *     }
 *     RpcEndExcept
 *
 * Each Try pushes a frame (a jmp_buf) on this thread's list; a failed call, or
 * RpcRaiseException(), longjmp()s to the innermost frame with its code. The filter expression
 * decides: non-zero runs the handler; zero raises the code again in the next frame out. In a
 * server procedure with no frame of its own, RpcRaiseException() fails the call with that code
 * as the fault (rs_server_raise()). */
typedef struct rs_ms_frame {
    jmp_buf jump;
    struct rs_ms_frame *outer;
    RPC_STATUS code;   /* what was raised into this frame */
} rs_ms_frame;

void rs_ms_frame_push(rs_ms_frame *f);
void rs_ms_frame_pop(rs_ms_frame *f);
/* Raises `code` into the innermost frame; never returns. */
__attribute__((noreturn)) void RpcRaiseException(RPC_STATUS exception);
/* The code of the exception being handled on this thread (0 outside a handler). */
RPC_STATUS RpcExceptionCode(void);

/* The Win32 code a failed call raises: a fault's code mapped as MS-RPCE 3.1.1.5.5 says
 * (nca_s_op_rng_error -> RPC_S_PROCNUM_OUT_OF_RANGE ...), a transport failure as Windows reports
 * it (no server -> RPC_S_SERVER_UNAVAILABLE). */
RPC_STATUS rs_ms_status_code(rs_status st, unsigned long fault);

/* A Try inside a Try declares its frame again, on purpose: the inner one hides the outer. */
#define RS_MS_SHADOW_OK(decl)                                                                      \
    _Pragma("GCC diagnostic push") _Pragma("GCC diagnostic ignored \"-Wshadow\"") decl           \
        _Pragma("GCC diagnostic pop")

#define RpcTryExcept                                                                               \
    {                                                                                              \
        RS_MS_SHADOW_OK(rs_ms_frame rs_ms_frame_;)                                                 \
        rs_ms_frame_push(&rs_ms_frame_);                                                           \
        if (setjmp(rs_ms_frame_.jump) == 0) {

#define RpcExcept(filter)                                                                          \
            rs_ms_frame_pop(&rs_ms_frame_);                                                        \
        } else if (!(filter)) {                                                                    \
            RpcRaiseException(rs_ms_frame_.code);                                                  \
        } else {

#define RpcEndExcept                                                                               \
        }                                                                                          \
    }

#define RpcTryFinally                                                                              \
    {                                                                                              \
        RS_MS_SHADOW_OK(rs_ms_frame rs_ms_finally_; int rs_ms_abnormal_;)                          \
        rs_ms_frame_push(&rs_ms_finally_);                                                         \
        if (setjmp(rs_ms_finally_.jump) == 0) {

#define RpcFinally                                                                                 \
            rs_ms_frame_pop(&rs_ms_finally_);                                                      \
            rs_ms_abnormal_ = 0;                                                                   \
        } else {                                                                                   \
            rs_ms_abnormal_ = 1;                                                                   \
        }                                                                                          \
        {

#define RpcEndFinally                                                                              \
        }                                                                                          \
        if (rs_ms_abnormal_)                                                                       \
            RpcRaiseException(rs_ms_finally_.code);                                                \
    }

#define RpcAbnormalTermination() (rs_ms_abnormal_)

#endif
