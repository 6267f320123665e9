/* launcher.h -- runs a lesson's programs: the server, then its client(s), and cleans up after them.
 *
 * The launcher starts the server with the trace sink (and the step gate) pointed at the
 * collector, reads its output through a pipe until it prints `listening on BINDING`, then starts
 * the client(s) with {binding} in their arguments and in the values of their environment
 * (RPCSCOPE_EPM={binding}: the server is the mapper) replaced by that binding. Every other line the
 * programs print is passed through, prefixed with their name ("server| hello, world"). Each
 * program runs in its own process group and is reaped by sim_launcher_poll();
 * sim_launcher_destroy() ends whatever still runs.
 *
 * If rpcscope itself dies (SIGKILL, a crash), the lesson is not cut in half: the step gates
 * open (trace.h), the server gets SIGTERM (PR_SET_PDEATHSIG on Linux), on which an rs_server
 * program answers the calls that have arrived and exits, and the clients run on: the call in
 * progress ends, a later call fails cleanly on the stopped server, and they exit. SIGPIPE is
 * ignored in the programs so that printing to the output pipe nobody reads no longer kills them.
 * A client that never ends would outlive rpcscope, as it would keep a live lesson going forever.
 *
 *     sim_launch_spec spec = {.server_argv = sargv, .client_argv = cargv, .clients = 1,
 *                             .trace = sim_collector_path(col), .step = true};
 *     sim_launcher *l;  rs_error err = {0};
 *     if (sim_launcher_start(&spec, &l, &err) != RS_OK) die(err.message);   // the server runs
 *     while (sim_launcher_state(l) < SIM_LAUNCH_DONE)
 *         sim_launcher_poll(l, &gate, 20);                  // output, listening, exits, timeouts
 *     int rc = sim_launcher_state(l) == SIM_LAUNCH_DONE ? 0 : 1;  // sim_launcher_error() says why
 *     sim_launcher_destroy(l);
 *
 * Time at a gate does not count: the 10 s the server has to start listening, and the time it has
 * to exit after its last client did, run only while the program is not held at a step gate (the
 * gate is asked), so a class can pause on the server's "listen" step as long as it likes.
 *
 * When the last client has exited, the server gets SIM_LAUNCH_STOP_MS to exit on its own (the
 * hello client calls Shutdown), then SIGTERM, then SIGKILL after SIM_LAUNCH_KILL_MS. A program
 * that dies by a signal is reported ("server crashed: signal 11 (Segmentation fault)") and, unless
 * the lesson expects the server to die (spec.server_may_die), ends the session with a failure:
 * every other program is stopped.
 *
 * Not thread-safe; it forks, so call it from the thread that owns the children. It installs no
 * signal handlers: the caller's SIGINT handler sets a flag and calls sim_launcher_stop().
 */
#ifndef RPCSCOPE_SIM_LAUNCHER_H
#define RPCSCOPE_SIM_LAUNCHER_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "status.h"
#include "stepper.h"

#define SIM_LAUNCH_LISTEN_MS 10000 /* the server's time to print `listening on` */
#define SIM_LAUNCH_STOP_MS 3000    /* the server's time to exit after its last client */
#define SIM_LAUNCH_KILL_MS 1000    /* from SIGTERM to SIGKILL */
#define SIM_LAUNCH_MAX_CHILDREN 9  /* the server and up to 8 clients */
#define SIM_LAUNCH_LINE_MAX 4096   /* longer output lines are passed through in pieces */
#define SIM_LAUNCH_ENV_MAX 16

typedef struct sim_launch_spec {
    char *const *server_argv;   /* argv[0] is the program's path; NULL-terminated */
    char *const *client_argv;   /* "{binding}" anywhere in an argument becomes the binding */
    unsigned clients;           /* 1 when 0 */
    char *const *server_env;    /* NAME=VALUE added to (or replacing in) the environment */
    char *const *client_env;    /* "{binding}" in a value becomes the binding, as in client_argv */
    const char *trace;          /* RPCSCOPE_TRACE for every program; NULL: none */
    bool step;                  /* and RPCSCOPE_STEP=1 */
    bool server_may_die;        /* a server killed by a signal is part of the lesson */
    int listen_timeout_ms;      /* 0: SIM_LAUNCH_LISTEN_MS */
    int stop_timeout_ms;        /* 0: SIM_LAUNCH_STOP_MS */
    FILE *output;               /* where output and news go; NULL: stderr */
    /* Told about each program as it starts, before it can report anything (so the collector
     * can expect it). NULL: nobody. */
    void (*started)(void *ctx, const char *name, pid_t pid, bool step);
    void *started_ctx;
} sim_launch_spec;

typedef enum sim_launch_state {
    SIM_LAUNCH_STARTING, /* the server runs; waiting for `listening on` */
    SIM_LAUNCH_RUNNING,  /* the clients run */
    SIM_LAUNCH_STOPPING, /* the clients are done; the server is asked to finish */
    SIM_LAUNCH_DONE,     /* everything exited, as it should */
    SIM_LAUNCH_FAILED,   /* something did not start, listen, or exit well: sim_launcher_error() */
} sim_launch_state;

typedef struct sim_launcher sim_launcher;

/* Starts the server. RS_ERR_INVALID_ARG (no program), RS_ERR_IO (it cannot be run: the sentence
 * says which program and why, e.g. "cannot start server (build/lessons/hello/server): No such
 * file or directory"). Nothing is left running on failure. The spec's strings are copied. */
RS_MUST_CHECK rs_status sim_launcher_start(const sim_launch_spec *spec, sim_launcher **out,
                                           rs_error *err);

/* Waits up to timeout_ms for output, passes it through, notices `listening on` and starts the
 * clients, reaps programs that exited, and applies the timeouts. `gate` (may be NULL) says
 * which programs wait at a step gate. */
void sim_launcher_poll(sim_launcher *l, const sim_gate *gate, int timeout_ms);

sim_launch_state sim_launcher_state(const sim_launcher *l);

/* Why the session failed, "" if it did not. */
const char *sim_launcher_error(const sim_launcher *l);

/* The binding the server printed, "" before. */
const char *sim_launcher_binding(const sim_launcher *l);

/* The server's pid, 0 once it is reaped. */
pid_t sim_launcher_server_pid(const sim_launcher *l);

/* Kills the server (SIGKILL to its process group), as the window's "Crash the server" does: a
 * crash is then part of the lesson, not a failure of the session. False when there is no server
 * running. */
bool sim_launcher_crash_server(sim_launcher *l);

/* How the server ended when it died by a signal ("crashed: signal 9 (Killed)"; "killed from the
 * window (SIGKILL)" after sim_launcher_crash_server()), or NULL while it runs or when it exited
 * on its own. */
const char *sim_launcher_server_crash(const sim_launcher *l);

/* Asks every program to end now (SIGTERM, SIGKILL after SIM_LAUNCH_KILL_MS); keep polling until
 * the state is DONE or FAILED. For Ctrl-C and the window's Quit. */
void sim_launcher_stop(sim_launcher *l);

/* Ends every program still running (SIGTERM, then SIGKILL), reaps them all, closes the pipes,
 * frees. Waits at most about SIM_LAUNCH_KILL_MS. NULL is fine. */
void sim_launcher_destroy(sim_launcher *l);

#endif
