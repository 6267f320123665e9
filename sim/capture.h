/* capture.h -- the session's PDUs as a packet capture (`--pcap FILE`), on the real connections.
 *
 * Every PDU_SENT event carries the PDU's bytes; this module works out which connection each one
 * went on and in which direction, and writes them through pcap.h as Ethernet/IPv4/TCP frames,
 * one TCP flow per connection, so that Wireshark follows each stream and dissects it as DCE/RPC.
 *
 *     rs_error err = {0};
 *     if (sim_capture_write(tl, "ncacn_ip_tcp:127.0.0.1[4747]", "call.pcap", &err) != RS_OK)
 *         fprintf(stderr, "%s\n", err.message);
 *
 * Where the addresses come from, best first:
 *   1. the event's own text "LOCAL -> PEER" (rs_trace_endpoints()), when it is IPv4
 *      "A.B.C.D:PORT";
 *   2. the process's last CONNECT (client: "LOCAL -> PEER") or ACCEPT (server: "LOCAL -> PEER");
 *      a server's send goes on the connection of the client that received it (the pair);
 *   3. otherwise loopback: the server on the binding's port (the LISTEN event's binding, or the
 *      one given), each client process on port 49152 + its number. ncalrpc sessions always end
 *      up here: a Unix socket has no addresses.
 * Timestamps are logical, like the Chrome trace's: step N is N milliseconds after a fixed epoch,
 * so the same timeline always gives the same file.
 */
#ifndef RPCSCOPE_SIM_CAPTURE_H
#define RPCSCOPE_SIM_CAPTURE_H

#include <stddef.h>

#include "status.h"
#include "timeline.h"

#define SIM_CAPTURE_EPOCH_NS ((uint64_t)1704067200 * 1000000000u) /* 2024-01-01 00:00 UTC */
#define SIM_CAPTURE_CLIENT_PORT_BASE 49152
#define SIM_CAPTURE_DEFAULT_PORT 135 /* the endpoint mapper's, when nothing says better */

/* Writes every PDU_SENT of `tl` to a pcap file. `binding` (may be NULL) is the server's binding,
 * for its port when the events do not say. RS_ERR_IO (cannot write), RS_ERR_LIMIT (more than
 * SIM_PCAP_MAX_FLOWS connections: the file has the first ones, the sentence says how many PDUs
 * were left out). *pdus (may be NULL) gets the number of PDUs written. */
RS_MUST_CHECK rs_status sim_capture_write(const sim_timeline *tl, const char *binding,
                                          const char *path, size_t *pdus, rs_error *err);

#endif
