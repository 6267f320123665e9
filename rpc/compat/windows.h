/* windows.h -- the few Win32 names a Microsoft RPC program needs, so that one written for
 * Windows compiles here unchanged. Not Win32: only base types, calling-convention words that mean
 * nothing on Linux, and the error codes the RPC API shares with Win32; then rpc.h, as the real
 * windows.h includes it.
 *
 *     #include <windows.h>          // with -I.../rpcscope/compat (see rpc.h)
 *     DWORD code = RpcExceptionCode();
 *     BOOL done = FALSE;
 *
 * Widths: LONG, ULONG and DWORD are C's long and unsigned long, as on Windows, so that a
 * program's printf("%lu") stays right; on 64-bit Linux they are 64 bits wide where Windows has
 * 32. Every value the RPC API gives fits 32 bits.
 */
#ifndef RPCSCOPE_COMPAT_WINDOWS_H
#define RPCSCOPE_COMPAT_WINDOWS_H

#include <stddef.h>

typedef int BOOL;
typedef unsigned char BYTE, UCHAR;
typedef char CHAR;
typedef unsigned short WORD, USHORT;
typedef short SHORT;
typedef int INT;
typedef unsigned int UINT;
typedef long LONG;
typedef unsigned long ULONG, DWORD;
typedef void *PVOID, *LPVOID, *HANDLE;
typedef char *LPSTR;
typedef const char *LPCSTR;

#ifndef TRUE
#define TRUE 1
#endif
#ifndef FALSE
#define FALSE 0
#endif
#ifndef VOID
#define VOID void
#endif

/* Calling conventions and linkage of the Win32 headers: nothing on Linux. */
#define WINAPI
#define CALLBACK
#define APIENTRY
#define __stdcall
#define __cdecl

/* The Win32 errors the RPC API returns as RPC_STATUS values (winerror.h). */
#define ERROR_SUCCESS 0L
#define ERROR_INVALID_HANDLE 6L
#define ERROR_NOT_ENOUGH_MEMORY 8L
#define ERROR_OUTOFMEMORY 14L
#define ERROR_INVALID_PARAMETER 87L
#define ERROR_NOT_ENOUGH_SERVER_MEMORY 1130L

#include "rpc.h"

#endif
