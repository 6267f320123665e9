/* tower.h -- protocol towers: how the endpoint mapper writes "interface X over NDR, on TCP port P
 * of host H" as bytes (C706 appendix L; MS-RPCE 2.2.1.1.x, 2.2.1.2).
 *
 *     rs_tower t = {.iface = hello_syntax, .transfer = rs_ndr_syntax, .protseq = RS_PROTSEQ_TCP,
 *                   .endpoint = "4747", .host = "127.0.0.1"};
 *     rs_buf b;  rs_buf_init(&b, RS_TOWER_MAX);
 *     if (rs_tower_encode(&t, &b) != RS_OK) ...          // the 75-byte octet string below
 *     rs_tower back;  rs_error err = {0};
 *     if (rs_tower_decode(b.data, b.len, &back, &err) != RS_OK) puts(err.message);
 *
 * The octet string (every count little-endian; the contents of floors 4 and 5 big-endian, as
 * they are in the network's own headers):
 *
 *   floor_count u16 = 5
 *   floor 1  lhs_len u16 = 19 | 0x0d | interface UUID (16, LE fields) | major u16 | rhs_len u16 = 2 | minor u16
 *   floor 2  lhs_len u16 = 19 | 0x0d | NDR UUID 8a885d04-...          | 2     u16 | rhs_len u16 = 2 | 0     u16
 *   floor 3  lhs_len u16 = 1  | 0x0b (ncacn, connection-oriented)         | rhs_len u16 = 2 | 0 (minor) u16
 *   floor 4  lhs_len u16 = 1  | 0x07 (TCP)      | rhs_len u16 = 2 | port u16 BIG-endian
 *            or           1  | 0x10 (ncalrpc) | rhs_len = strlen+1 | "NAME" NUL
 *   floor 5  lhs_len u16 = 1  | 0x09 (IP)       | rhs_len u16 = 4 | IPv4 address BIG-endian
 *   (ncalrpc has four floors: no host. ncacn_np's towers, SMB 0x0f and NetBIOS 0x11, are not
 *   made: rpc.h's ncacn_np is a local socket, and registers as ncalrpc.)
 *
 * What holds for hostile input: decoding reads through rs_buf only, refuses a floor count above
 * RS_TOWER_MAX_FLOORS, lengths that pass the end, a tower longer than RS_TOWER_MAX, and names
 * without their NUL or longer than the fields here; it allocates nothing.
 */
#ifndef RPCSCOPE_TOWER_H
#define RPCSCOPE_TOWER_H

#include <stddef.h>
#include <stdint.h>

#include "binding.h"
#include "buf.h"
#include "status.h"
#include "uuid.h"

#define RS_TOWER_MAX 1024       /* bytes: far above any tower a binding here can make */
#define RS_TOWER_MAX_FLOORS 8

/* Protocol identifiers of the floors' left-hand sides (C706 appendix I, MS-RPCE 2.2.1.1.x). */
#define RS_TOWER_UUID 0x0d
#define RS_TOWER_NCACN 0x0b
#define RS_TOWER_TCP 0x07
#define RS_TOWER_IP 0x09
/* ncalrpc: 0x10, the identifier Windows' mapper gives its local endpoints and which independent
 * clients (impacket's rpcdump) print as ncalrpc; Wireshark calls it "named pipes 2". (Samba's
 * IDL says 0x20.) */
#define RS_TOWER_NCALRPC 0x10

typedef struct rs_tower {
    rs_syntax_id iface;                     /* floor 1 */
    rs_syntax_id transfer;                  /* floor 2: NDR 2.0 */
    rs_protseq protseq;                     /* floors 3 and 4: TCP or local */
    char endpoint[RS_BINDING_ENDPOINT_MAX]; /* "4747", or a local socket's name */
    char host[RS_BINDING_HOST_MAX];         /* dotted IPv4 for TCP ("0.0.0.0": any); "" else */
} rs_tower;

/* Appends the tower's octet string to `out`. RS_ERR_INVALID_ARG (with a sentence on `out`) for a
 * TCP endpoint that is not a port, or a host that is not a dotted IPv4 address. */
RS_MUST_CHECK rs_status rs_tower_encode(const rs_tower *t, rs_buf *out);

/* Reads one octet string of `len` bytes. RS_ERR_PROTOCOL with a sentence in `err` for bytes that
 * are not a tower this library speaks (another protocol, too few floors, a bad length). */
RS_MUST_CHECK rs_status rs_tower_decode(const uint8_t *data, size_t len, rs_tower *t, rs_error *err);

/* The tower's string binding, "ncacn_ip_tcp:127.0.0.1[4747]". RS_ERR_LIMIT if it does not fit. */
RS_MUST_CHECK rs_status rs_tower_binding(const rs_tower *t, char *out, size_t size);

/* The tower for a binding (host names are not resolved: TCP needs a dotted IPv4 address
 * or none, or localhost, which become 127.0.0.1: where a server here listens without one). */
RS_MUST_CHECK rs_status rs_tower_from_binding(const rs_binding *b, const rs_syntax_id *iface,
                                              rs_tower *t, rs_error *err);

#endif
