/* counter_server.c -- serves tests/unit/counter.idl from rpcidl's server stubs, for
 * test_context_handle (which holds the client stubs: one program cannot hold both, since a client
 * stub has the name of the procedure the server stub calls).
 *
 *     build/tests/counter_server 'ncacn_ip_tcp:127.0.0.1[0]'
 *
 * Prints "listening on BINDING" (with the real port) once it accepts calls, writes the server's
 * log (one line per connection) to stderr, and exits 0 on SIGTERM after running down every
 * counter still open. Each COUNTER is a malloc()ed struct counter; Stats() tells the test what the
 * server holds, so that it can see a rundown happen.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "counter.h"

typedef struct counter {
    int32_t value;
} counter;

static rs_server *server;

/* Procedures run on the server's workers, rundowns on its event loop: the totals need a lock. */
static pthread_mutex_t stats_lock = PTHREAD_MUTEX_INITIALIZER;
static int32_t open_count, run_down_count, run_down_sum;

static void count(int32_t opened, int32_t run_down, int32_t value)
{
    pthread_mutex_lock(&stats_lock);
    open_count += opened;
    run_down_count += run_down;
    run_down_sum += run_down != 0 ? value : 0;
    pthread_mutex_unlock(&stats_lock);
}

/* ---- the procedures ---------------------------------------------------------------------------- */

void Open(int32_t start, COUNTER *c)
{
    if (start < 0) {
        *c = NULL; /* no counter: the client gets a NULL handle */
        return;
    }
    counter *k = malloc(sizeof *k);
    if (k == NULL)
        rs_server_raise(RS_nca_s_fault_remote_no_memory);
    k->value = start;
    count(1, 0, 0);
    *c = k;
}

int32_t Increment(COUNTER c)
{
    counter *k = c; /* the stub found it by the handle's UUID: never NULL, always ours */
    k->value++;
    return k->value;
}

void Close(COUNTER *c)
{
    if (*c != NULL) {
        free(*c);
        count(-1, 0, 0);
    }
    *c = NULL; /* the handle is closed: zeros go back, and no rundown follows */
}

void Set(int32_t value, COUNTER *c)
{
    counter *k = *c;
    if (k == NULL) {
        k = malloc(sizeof *k);
        if (k == NULL)
            rs_server_raise(RS_nca_s_fault_remote_no_memory);
        count(1, 0, 0);
        *c = k; /* a new handle */
    }
    k->value = value;
}

void Stats(int32_t *open, int32_t *run_down, int32_t *run_down_sum_out)
{
    pthread_mutex_lock(&stats_lock);
    *open = open_count;
    *run_down = run_down_count;
    *run_down_sum_out = run_down_sum;
    pthread_mutex_unlock(&stats_lock);
}

void Label(char *text, LABEL *l)
{
    *l = strdup(text);
    if (*l == NULL)
        rs_server_raise(RS_nca_s_fault_remote_no_memory);
}

void LABEL_rundown(LABEL l)
{
    free(l);
}

/* The client holding c went away without closing it. */
void COUNTER_rundown(COUNTER c)
{
    counter *k = c;
    count(-1, 1, k->value);
    free(k);
}

/* ---- the program ------------------------------------------------------------------------------- */

static void on_signal(int sig)
{
    (void)sig;
    rs_server_stop(server); /* async-signal-safe */
}

static void log_to_stderr(void *ctx, const char *line)
{
    (void)ctx;
    fprintf(stderr, "counter_server: %s\n", line);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: counter_server BINDING\n");
        return 2;
    }
    rs_server_options options = {.log = log_to_stderr, .idle_timeout_ms = -1};
    rs_error err = {0};
    if (rs_server_create(&options, &server) != RS_OK) {
        fprintf(stderr, "counter_server: cannot create the server\n");
        return 1;
    }
    int rc = 1;
    if (rs_server_register(server, &counter_server_interface, &err) != RS_OK ||
        rs_server_listen(server, argv[1], &err) != RS_OK) {
        fprintf(stderr, "counter_server: %s\n", err.message);
        goto out;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    printf("listening on %s\n", rs_server_binding(server, 0));
    fflush(stdout);
    if (rs_server_run(server, &err) != RS_OK)
        fprintf(stderr, "counter_server: %s\n", err.message);
    else if (open_count != 0)
        fprintf(stderr, "counter_server: %d counters left after the rundowns\n", (int)open_count);
    else
        rc = 0;
out:
    rs_server_destroy(server);
    return rc;
}
