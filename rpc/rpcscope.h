/* rpcscope.h -- librpcscope in one include: a DCE/RPC (Microsoft RPC) runtime with NDR 2.0.
 *
 *     #include <rpcscope/rpcscope.h>      // cc prog.c $(pkg-config --cflags --libs rpcscope)
 *
 * status.h  rs_status and DCE fault codes      uuid.h  UUIDs and syntax identifiers
 * buf.h     the bounds-checked byte buffer     ndr.h   NDR 2.0 marshalling and its layout record
 * pdu.h     connection-oriented PDUs: encode, decode, fragment, reassemble
 * binding.h string bindings                     transport.h  sockets that carry whole PDUs
 * trace.h   the instrumentation hook: events, sinks, the step gate, the record format
 * client.h  binding handles and calls           server.h     interfaces, listening, dispatch
 * interface.h  an interface's UUID, version, operations     inject.h  lesson scenarios' faults
 * (Generated stubs include stub.h instead, which brings what they need.)
 */
#ifndef RPCSCOPE_H
#define RPCSCOPE_H

#include "status.h"
#include "buf.h"
#include "uuid.h"
#include "ndr.h"
#include "pdu.h"
#include "binding.h"
#include "transport.h"
#include "trace.h"
#include "interface.h"
#include "client.h"
#include "server.h"
#include "inject.h"

#endif
