/* recording.h -- a session on disk, and back: `--record FILE` and `rpcscope FILE.rstrace`.
 *
 * Crashes and full disks: each sync appends whole records and flushes them to the kernel, so a
 * recording whose writer was killed, or whose disk filled, is a run of whole records and at most
 * one cut short at the end; sim_recording_load() keeps the whole ones (RS_ERR_TRUNCATED says
 * where the cut is) and `rpcscope FILE` replays them. A failed write is reported once and the
 * recording stops there; the session it records goes on.
 *
 * A recording is the trace stream format itself (trace.h): the 8-byte preamble, then every
 * event's record in timeline order -- the causal order, not the order the bytes arrived in. So a
 * recording is also what `RPCSCOPE_TRACE=file:PATH` writes (for one process), any trace reader
 * reads it, and a replay puts the events back at the same indices with the same pairs, which is
 * why `--text` prints the same lines for the replay as for the live session.
 *
 *     sim_recording *r;  rs_error err = {0};
 *     if (sim_recording_create("call.rstrace", &r, &err) != RS_OK) die(err.message);
 *     while (live) { ...; sim_recording_sync(r, tl, &err); }   // appends what was placed since
 *     sim_recording_close(r, &err);
 *
 *     sim_timeline_options o = {.ordered = true};               // a replay
 *     sim_timeline_create(&o, &tl);
 *     if (sim_recording_load("call.rstrace", tl, &err) != RS_OK) die(err.message);
 *     //  "call.rstrace: the recording is cut short at byte offset 1234: trace: the record at ..."
 */
#ifndef RPCSCOPE_SIM_RECORDING_H
#define RPCSCOPE_SIM_RECORDING_H

#include <stddef.h>
#include <stdint.h>

#include "status.h"
#include "timeline.h"

#define SIM_RECORDING_MAX ((size_t)1 << 30) /* a recording larger than 1 GiB is refused */

typedef struct sim_recording sim_recording;

/* Creates (or truncates) the file and writes the preamble. RS_ERR_IO with the reason. */
RS_MUST_CHECK rs_status sim_recording_create(const char *path, sim_recording **out, rs_error *err);

/* Appends the events placed in `tl` since the last sync, and flushes. RS_ERR_IO. */
RS_MUST_CHECK rs_status sim_recording_sync(sim_recording *r, const sim_timeline *tl, rs_error *err);

/* Closes the file and frees. RS_ERR_IO when the last writes failed. NULL is fine. */
RS_MUST_CHECK rs_status sim_recording_close(sim_recording *r, rs_error *err);

/* Reads a recording into `tl` (made with options.ordered). A file that is not a recording, is
 * corrupt or is cut short is an error whose sentence names the file and the byte offset;
 * RS_ERR_PROTOCOL, RS_ERR_VERSION, RS_ERR_TRUNCATED, RS_ERR_IO, or the timeline's RS_ERR_LIMIT.
 * The events before the bad one stay in `tl`, placed. */
RS_MUST_CHECK rs_status sim_recording_load(const char *path, sim_timeline *tl, rs_error *err);

/* The same over bytes in memory; `name` names them in sentences. */
RS_MUST_CHECK rs_status sim_recording_read(const uint8_t *data, size_t len, const char *name,
                                           sim_timeline *tl, rs_error *err);

#endif
