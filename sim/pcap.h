/* pcap.h -- writes PDUs as a pcap capture that Wireshark and tshark dissect as DCE/RPC.
 *
 * A session's PDUs are real bytes, but a recording holds them without their TCP packets. This
 * module frames each PDU as Ethernet / IPv4 / TCP on the connection's real addresses and ports,
 * with a three-way handshake first and correct sequence and acknowledgement numbers, so that the
 * dissector follows the stream as if it had been captured on the wire.
 *
 *     sim_pcap *p;  rs_error err = {0};
 *     if (sim_pcap_open("call.pcap", &p, &err) != RS_OK) die(err.message);
 *     int flow = sim_pcap_flow(p, &client_addr, &server_addr, t0);       // SYN, SYN-ACK, ACK
 *     sim_pcap_send(p, flow, true, bind, bind_len, t1, &err);            // client -> server
 *     sim_pcap_send(p, flow, false, bind_ack, bind_ack_len, t2, &err);   // server -> client
 *     sim_pcap_close(p, &err);
 *
 * The file format is libpcap's classic one (magic 0xa1b2c3d4, version 2.4, link type 1 =
 * Ethernet, microsecond timestamps), written little-endian.
 */
#ifndef RPCSCOPE_SIM_PCAP_H
#define RPCSCOPE_SIM_PCAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "status.h"

/* An IPv4 endpoint, host byte order. ncalrpc sessions have no addresses: give them loopback
 * and the ports you like (DCE/RPC's heuristic dissector does not need a well-known port). */
typedef struct sim_endpoint {
    uint32_t ip;
    uint16_t port;
} sim_endpoint;

#define SIM_PCAP_MAX_FLOWS 64

typedef struct sim_pcap sim_pcap;

RS_MUST_CHECK rs_status sim_pcap_open(const char *path, sim_pcap **out, rs_error *err);

/* Starts a TCP connection from `client` to `server` at `time_ns` (the handshake is written
 * then). Returns the flow's number, or -1 when SIM_PCAP_MAX_FLOWS are open. */
int sim_pcap_flow(sim_pcap *p, const sim_endpoint *client, const sim_endpoint *server, uint64_t time_ns);

/* Writes `len` bytes sent on `flow` by the client (from_client) or the server, as as many TCP
 * segments as the IPv4 length field allows, and the other side's ACK. */
RS_MUST_CHECK rs_status sim_pcap_send(sim_pcap *p, int flow, bool from_client, const uint8_t *data,
                                      size_t len, uint64_t time_ns, rs_error *err);

/* Writes a FIN from each side of every open flow, flushes and closes the file, frees `p`. */
RS_MUST_CHECK rs_status sim_pcap_close(sim_pcap *p, rs_error *err);

#endif
