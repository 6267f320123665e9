/* status.h -- the one error type of librpcscope, and the DCE/RPC fault codes.
 *
 * Every fallible function returns an rs_status; RS_OK is 0, everything else names what went wrong
 * and has a message a person understands. Objects that fail also keep a sentence of context (see
 * rs_buf_error()). DCE faults travel on the wire as 32-bit codes; rs_fault_name() turns one into
 * its name from C706 Appendix E (or Microsoft's additions) and rs_fault_from_name() back.
 *
 *     rs_status st = rs_buf_get_u32(&b, RS_LE, &v);
 *     if (st != RS_OK)
 *         fprintf(stderr, "%s: %s\n", rs_status_name(st), rs_status_message(st));
 *     printf("%s\n", rs_fault_name(0x1C010002));   // "nca_s_op_rng_error"
 */
#ifndef RPCSCOPE_STATUS_H
#define RPCSCOPE_STATUS_H

#include <stdbool.h>
#include <stdint.h>

#define RS_MUST_CHECK __attribute__((warn_unused_result))

/* XX(NAME, message) -- the order is the numbering; append new codes at the end. */
#define RS_STATUS_TABLE(XX)                                                                        \
    XX(OK, "success")                                                                              \
    XX(ERR_NOMEM, "out of memory")                                                                 \
    XX(ERR_INVALID_ARG, "invalid argument")                                                        \
    XX(ERR_TRUNCATED, "the data ends before what it announces")                                    \
    XX(ERR_LIMIT, "a size or count exceeds a configured limit")                                    \
    XX(ERR_BAD_UUID, "not a UUID of the form xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx")                \
    XX(ERR_NDR, "the stub data does not decode as NDR")                                            \
    XX(ERR_ENUM_RANGE, "an enum value does not fit the 16-bit NDR enum range 0..0x7FFF")           \
    XX(ERR_NULL_REF, "a [ref] pointer is NULL")                                                    \
    XX(ERR_UNSUPPORTED_DREP, "the data representation (drep) is not supported")                    \
    XX(ERR_PROTOCOL, "the bytes break the protocol or format they claim to follow")                  \
    XX(ERR_VERSION, "an unsupported protocol or format version")                   \
    XX(ERR_REASSEMBLY, "the fragments of a call do not fit together")                              \
    XX(ERR_UNSUPPORTED, "not supported by this implementation")                                    \
    XX(ERR_TIMEOUT, "the operation timed out")                                                     \
    XX(ERR_CLOSED, "the peer closed the connection")                                               \
    XX(ERR_CONNECT, "cannot connect to the server")                                                \
    XX(ERR_ADDRESS, "cannot use the address (unknown host, address in use, or no permission)")     \
    XX(ERR_IO, "a socket operation failed")                                                        \
    XX(ERR_FAULT, "the server answered the call with a fault")                                     \
    XX(ERR_BIND_REJECTED, "the server rejected the bind (unknown interface or transfer syntax)")    \
    XX(ERR_NULL_CONTEXT, "a context handle passed [in] is NULL")                                   \
    XX(ERR_CONTEXT_MISMATCH, "the context handle is not one the server holds for this connection")

typedef enum {
#define RS_STATUS_ENUM(name, msg) RS_##name,
    RS_STATUS_TABLE(RS_STATUS_ENUM)
#undef RS_STATUS_ENUM
        RS_STATUS_COUNT
} rs_status;

/* A status with the sentence that explains it, for objects and calls that have no buffer to keep
 * their context on (connect, listen, a client's call). Set once by the first failure. */
#define RS_ERROR_MAX 256
typedef struct rs_error {
    rs_status status;
    char message[RS_ERROR_MAX];
} rs_error;

/* Records `st` and a printf-style sentence in `e` (if `e` is not NULL and holds no failure yet)
 * and returns `st`, so a failing path reads `return rs_error_set(e, RS_ERR_IO, "...", ...);`. */
rs_status rs_error_set(rs_error *e, rs_status st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Forgets a recorded failure. */
void rs_error_clear(rs_error *e);

/* "RS_ERR_NDR" for RS_ERR_NDR; "RS_UNKNOWN_STATUS" for a value outside the table. */
const char *rs_status_name(rs_status st);

/* The sentence for a status; never NULL. */
const char *rs_status_message(rs_status st);

/* XX(name, code, message): DCE/RPC fault and reject status codes (C706 Appendix E), then the
 * Win32 codes Microsoft's runtime puts in fault PDUs ([MS-ERREF]; 0x6F7 is "nca_s_fault_ndr" in
 * Wireshark and Samba). */
#define RS_FAULT_TABLE(XX)                                                                         \
    XX(nca_s_fault_int_div_by_zero, 0x1C000001, "integer division by zero in the server")          \
    XX(nca_s_fault_addr_error, 0x1C000002, "the server procedure touched an invalid address")      \
    XX(nca_s_fault_fp_div_zero, 0x1C000003, "floating-point division by zero in the server")       \
    XX(nca_s_fault_fp_underflow, 0x1C000004, "floating-point underflow in the server")             \
    XX(nca_s_fault_fp_overflow, 0x1C000005, "floating-point overflow in the server")               \
    XX(nca_s_fault_invalid_tag, 0x1C000006, "a union discriminant selects no arm")                 \
    XX(nca_s_fault_invalid_bound, 0x1C000007, "an array bound is invalid")                         \
    XX(nca_s_rpc_version_mismatch, 0x1C000008, "the RPC protocol versions do not match")           \
    XX(nca_s_unspec_reject, 0x1C000009, "the call was rejected for an unspecified reason")         \
    XX(nca_s_bad_actid, 0x1C00000A, "bad activity id")                                             \
    XX(nca_s_who_are_you_failed, 0x1C00000B, "the who-are-you callback failed")                    \
    XX(nca_s_manager_not_entered, 0x1C00000C, "the server procedure was not entered")              \
    XX(nca_s_fault_cancel, 0x1C00000D, "the call was cancelled")                                   \
    XX(nca_s_fault_ill_inst, 0x1C00000E, "illegal instruction in the server")                      \
    XX(nca_s_fault_fp_error, 0x1C00000F, "floating-point error in the server")                     \
    XX(nca_s_fault_int_overflow, 0x1C000010, "integer overflow in the server")                     \
    XX(nca_s_fault_unspec, 0x1C000012, "unspecified fault in the server")                          \
    XX(nca_s_fault_remote_comm_failure, 0x1C000013, "the server could not reach a remote node")    \
    XX(nca_s_fault_pipe_empty, 0x1C000014, "pipe empty")                                           \
    XX(nca_s_fault_pipe_closed, 0x1C000015, "pipe closed")                                         \
    XX(nca_s_fault_pipe_order, 0x1C000016, "pipes used out of order")                              \
    XX(nca_s_fault_pipe_discipline, 0x1C000017, "pipe discipline error")                           \
    XX(nca_s_fault_pipe_comm_error, 0x1C000018, "pipe communication error")                        \
    XX(nca_s_fault_pipe_memory, 0x1C000019, "pipe memory error")                                   \
    XX(nca_s_fault_context_mismatch, 0x1C00001A, "the context handle does not match the server's") \
    XX(nca_s_fault_remote_no_memory, 0x1C00001B, "the server ran out of memory")                   \
    XX(nca_s_invalid_pres_context_id, 0x1C00001C, "the presentation context id is not bound")      \
    XX(nca_s_unsupported_authn_level, 0x1C00001D, "the authentication level is not supported")     \
    XX(nca_s_invalid_checksum, 0x1C00001F, "invalid checksum")                                     \
    XX(nca_s_invalid_crc, 0x1C000020, "invalid CRC")                                               \
    XX(nca_s_fault_user_defined, 0x1C000021, "user-defined fault")                                 \
    XX(nca_s_fault_tx_open_failed, 0x1C000022, "transaction open failed")                          \
    XX(nca_s_fault_codeset_conv_error, 0x1C000023, "character code set conversion failed")         \
    XX(nca_s_fault_object_not_found, 0x1C000024, "the object was not found")                       \
    XX(nca_s_fault_no_client_stub, 0x1C000025, "no client stub")                                   \
    XX(nca_s_comm_failure, 0x1C010001, "communication failure")                                    \
    XX(nca_s_op_rng_error, 0x1C010002, "the operation number is out of range for the interface")   \
    XX(nca_s_unk_if, 0x1C010003, "the server does not offer this interface")                       \
    XX(nca_s_wrong_boot_time, 0x1C010006, "wrong server boot time")                                \
    XX(nca_s_you_crashed, 0x1C010009, "the server believes the client restarted")                  \
    XX(nca_s_proto_error, 0x1C01000B, "protocol error")                                            \
    XX(nca_s_out_args_too_big, 0x1C010013, "the out arguments are too big")                        \
    XX(nca_s_server_too_busy, 0x1C010014, "the server is too busy")                                \
    XX(nca_s_fault_string_too_long, 0x1C010015, "a string is too long")                            \
    XX(nca_s_unsupported_type, 0x1C010017, "unsupported type")                                     \
    XX(rpc_s_access_denied, 0x00000005, "access denied")                                           \
    XX(rpc_s_unknown_if, 0x000006B5, "unknown interface")                                          \
    XX(rpc_s_call_failed, 0x000006BE, "the remote procedure call failed")                          \
    XX(rpc_s_call_failed_dne, 0x000006BF, "the call failed and did not execute")                   \
    XX(rpc_s_protocol_error, 0x000006C0, "RPC protocol error")                                     \
    XX(rpc_s_procnum_out_of_range, 0x000006D1, "the procedure number is out of range")             \
    XX(rpc_x_ss_in_null_context, 0x000006EF, "a context handle passed [in] is NULL")               \
    XX(rpc_x_null_ref_pointer, 0x000006F4, "a null reference pointer was passed to the stub")      \
    XX(rpc_x_enum_value_out_of_range, 0x000006F5, "the enumeration value is out of range")         \
    XX(rpc_x_byte_count_too_small, 0x000006F6, "the byte count is too small")                      \
    XX(nca_s_fault_ndr, 0x000006F7, "the stub received bad data (RPC_X_BAD_STUB_DATA)")            \
    XX(rpc_s_call_cancelled, 0x0000071A, "the remote procedure call was cancelled")

enum {
#define RS_FAULT_ENUM(name, code, msg) RS_##name = code,
    RS_FAULT_TABLE(RS_FAULT_ENUM)
#undef RS_FAULT_ENUM
};

/* "nca_s_op_rng_error" for 0x1C010002; NULL for a code outside the table. */
const char *rs_fault_name(uint32_t code);

/* The sentence for a fault code; "unknown fault" for a code outside the table. Never NULL. */
const char *rs_fault_message(uint32_t code);

/* Looks up a name exactly as rs_fault_name() spells it. RS_ERR_INVALID_ARG if there is none. */
RS_MUST_CHECK rs_status rs_fault_from_name(const char *name, uint32_t *code);

#endif
