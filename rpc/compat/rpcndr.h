/* rpcndr.h -- what MIDL-generated code and its programs expect beside rpc.h: the NDR base type
 * names and the two memory functions every Microsoft RPC program defines.
 *
 *     void __RPC_FAR *__RPC_USER midl_user_allocate(size_t len) { return malloc(len); }
 *     void __RPC_USER midl_user_free(void __RPC_FAR *ptr) { free(ptr); }
 *
 * As with MIDL, the program (client and server alike) defines both; rpcidl --ms stubs call
 * midl_user_free() for what a server procedure allocated for its [out] data, once it is
 * marshalled. Where this differs from Windows: what a client stub returns through [out] pointers
 * is allocated by librpcscope with malloc(), not midl_user_allocate(); so midl_user_free() must
 * accept malloc()'s memory (free() it), which every tutorial-style definition does.
 */
#ifndef RPCSCOPE_COMPAT_RPCNDR_H
#define RPCSCOPE_COMPAT_RPCNDR_H

#include <stddef.h>

#include "rpc.h"

/* The IDL base types by their IDL names, for programs that use them (MIDL's rpcndr.h has
 * them too). rpcidl's own code uses <stdint.h> types of the same widths. */
typedef unsigned char byte;
typedef unsigned char boolean;

void __RPC_FAR *__RPC_USER MIDL_user_allocate(size_t len);
void __RPC_USER MIDL_user_free(void __RPC_FAR *ptr);
#define midl_user_allocate MIDL_user_allocate
#define midl_user_free MIDL_user_free

#endif
