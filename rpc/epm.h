/* epm.h -- the endpoint mapper: interface e1af8308-5d1f-11c9-91a4-08002b14a0fa v3.0, which tells a
 * client on which endpoint of a host a server of some interface listens (C706 appendix O,
 * MS-RPCE 2.2.1.2 and 3.1.1.5.5).
 *
 *     // a mapper: build/rpcscope-epmd, or any server that also offers it
 *     rs_server_register(s, &rs_epm_server_interface, &err);   // serves this process's map
 *
 *     // a server says where it listens (RpcEpRegister does this)
 *     rs_epm_entry e;  rs_epm_entry_from_binding(&e, "ncacn_ip_tcp:127.0.0.1[4747]",
 *                                                &hello_server_interface.syntax, "hello", &err);
 *     rs_epm_insert(mapper, &e, 1, &err);                       // ept_insert, a traced call
 *
 *     // a client asks where (rs_client does this for a binding with no endpoint)
 *     rs_tower where;  rs_epm_map(mapper, &hello_client_interface.syntax, RS_PROTSEQ_TCP, &where, &err);
 *
 * Operations served: ept_insert (0), ept_delete (1), ept_lookup (2), ept_map (3),
 * ept_lookup_handle_free (4); the others fault nca_s_op_rng_error. The stubs are written by hand
 * (the library cannot depend on rpcidl, which is built from it) in the style rpcidl writes, each
 * field named for the trace. The map itself is one per process, under a lock, at most
 * RS_EPM_MAX_ENTRIES entries; an entry is (object UUID, tower, annotation), and ept_insert of an
 * entry already there (same interface, protocol and endpoint) replaces it.
 *
 * Lookup handles: ept_lookup and ept_map answer as many entries as max_ents allows and, when more
 * remain, an entry_handle whose UUID carries the position to resume from (this mapper keeps no
 * state per client, so the server runtime's context handle registry is not involved; a handle
 * that does not come from here reads as "from the start"). The last batch returns a NULL handle.
 * No match: status ept_s_not_registered (0x16c9a0d6) and no entries, as Windows answers.
 *
 * Who may insert: anyone who reaches the mapper. rpcscope-epmd listens on 127.0.0.1 (and a local
 * socket) only, so that is this host's users.
 */
#ifndef RPCSCOPE_EPM_H
#define RPCSCOPE_EPM_H

#include <stdbool.h>
#include <stdint.h>

#include "binding.h"
#include "client.h"
#include "interface.h"
#include "server.h"
#include "status.h"
#include "tower.h"
#include "uuid.h"

#define RS_EPM_PORT 135                  /* where a host's mapper listens (needs root) */
#define RS_EPM_LRPC "epmapper"           /* and its local socket, as on Windows */
#define RS_EPM_MAX_ENTRIES 4096
#define RS_EPM_ANNOTATION_MAX 64         /* characters with the NUL (ept_max_annotation_size) */
#define RS_EPM_MAX_BATCH 1024            /* entries one ept_lookup or ept_map answers at most */

#define RS_ept_s_not_registered 0x16c9a0d6u /* "no more entries" / "no such entry" */

extern const rs_syntax_id rs_epm_syntax;
extern const rs_interface rs_epm_server_interface;
extern const rs_interface rs_epm_client_interface;

typedef struct rs_epm_entry {
    rs_uuid object;                           /* nil for none */
    rs_tower tower;                           /* interface, NDR, protocol, endpoint, host */
    char annotation[RS_EPM_ANNOTATION_MAX];
} rs_epm_entry;

/* An entry for a server's string binding. RS_ERR_INVALID_ARG for a binding that has no endpoint
 * or no tower (a host name instead of an IPv4 address). */
RS_MUST_CHECK rs_status rs_epm_entry_from_binding(rs_epm_entry *e, const char *binding,
                                                  const rs_syntax_id *iface,
                                                  const char *annotation, rs_error *err);

/* ---- this process's map (what rs_epm_server_interface serves) ---- */

/* Adds (or replaces) entries directly, without a call: for a server that embeds the mapper.
 * RS_ERR_LIMIT past RS_EPM_MAX_ENTRIES. */
RS_MUST_CHECK rs_status rs_epm_map_add(const rs_epm_entry *e, rs_error *err);
/* Removes the entries of this interface on this endpoint; how many went. */
size_t rs_epm_map_remove(const rs_epm_entry *e);
size_t rs_epm_map_count(void);
void rs_epm_map_clear(void);

/* ---- calls to a mapper (each a real, traced RPC on `mapper`) ---- */

/* ept_insert of n entries (replace = TRUE). RS_ERR_FAULT or the call's failure; a non-zero
 * status from the mapper is RS_ERR_PROTOCOL with the code in the sentence. */
RS_MUST_CHECK rs_status rs_epm_insert(rs_client *mapper, const rs_epm_entry *e, uint32_t n,
                                      rs_error *err);
/* ept_delete of n entries. */
RS_MUST_CHECK rs_status rs_epm_delete(rs_client *mapper, const rs_epm_entry *e, uint32_t n,
                                      rs_error *err);
/* ept_map: the first registered tower of `iface` (same UUID and major version, minor at least
 * ours) on `protseq`. RS_ERR_CONNECT ("not registered") when the mapper knows none. */
RS_MUST_CHECK rs_status rs_epm_map(rs_client *mapper, const rs_syntax_id *iface, rs_protseq protseq,
                                   rs_tower *found, rs_error *err);
/* ept_lookup of every entry, up to `max` of them into out[]; *n says how many. */
RS_MUST_CHECK rs_status rs_epm_lookup(rs_client *mapper, rs_epm_entry *out, uint32_t max,
                                      uint32_t *n, rs_error *err);

/* The native registration: tells the mapper of this host (rs_epm_mapper_binding()) every binding
 * `s` listens on, for `iface`, with `annotation` (ept_insert; what RpcEpRegister does). Call it
 * after rs_server_listen(). A server that serves the mapper itself needs no call: it adds its
 * entries with rs_epm_map_add(). */
RS_MUST_CHECK rs_status rs_epm_register(const rs_server *s, const rs_interface *iface,
                                        const char *annotation, rs_error *err);
/* The same with ept_delete: the entries go. */
RS_MUST_CHECK rs_status rs_epm_unregister(const rs_server *s, const rs_interface *iface,
                                          rs_error *err);

/* The binding of the mapper to ask about `b`: $RPCSCOPE_EPM when set (a string binding; tests
 * and unprivileged mappers use it), else ncacn_ip_tcp:HOST[135] for TCP and ncalrpc:[epmapper]
 * for a local binding. */
RS_MUST_CHECK rs_status rs_epm_mapper_binding(const rs_binding *b, char *out, size_t size);

/* Fills in the endpoint of `b` (which has none) by asking the mapper: ept_map on a client of its
 * own, traced as its own calls. What rs_client does before connecting such a binding. */
RS_MUST_CHECK rs_status rs_epm_resolve(rs_binding *b, const rs_interface *iface, rs_error *err);

#endif
