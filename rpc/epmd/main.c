/* main.c -- rpcscope-epmd, the endpoint mapper as a program: serves e1af8308-5d1f-11c9-91a4-
 * 08002b14a0fa v3.0 (epm.h) so that servers register where they listen and clients find them.
 *
 *     rpcscope-epmd                          ncacn_ip_tcp:127.0.0.1[135] and ncalrpc:[epmapper]
 *     rpcscope-epmd "ncacn_ip_tcp:127.0.0.1[0]"     anywhere else (0: a free port; no root)
 *     rpcscope-epmd --list [MAPPER]          what a mapper knows (ept_lookup), one line each:
 *                                            BINDING UUID vMAJOR.MINOR ANNOTATION
 *
 * It prints `listening on BINDING` for each binding (the real port), lists itself in its map, as
 * Windows' mapper does, and serves until SIGTERM or SIGINT. Port 135 needs root (or
 * CAP_NET_BIND_SERVICE); point servers and clients at another with RPCSCOPE_EPM=BINDING.
 * Exit status: 0 after a signal (or a listing), 1 when it cannot listen (or ask), 2 for a command
 * line it does not take.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L /* sigaction */
#endif

#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "epm.h"
#include "server.h"

static rs_server *server;

static void on_signal(int sig)
{
    (void)sig;
    rs_server_stop(server);
}

static int usage(void)
{
    fputs("usage: rpcscope-epmd [BINDING...]\n"
          "  Serves the DCE/RPC endpoint mapper (e1af8308-5d1f-11c9-91a4-08002b14a0fa v3.0) on\n"
          "  each BINDING; by default ncacn_ip_tcp:127.0.0.1[135] and ncalrpc:[epmapper].\n"
          "  Servers register with RpcEpRegister or rs_epm_register(); clients whose binding has\n"
          "  no endpoint ask it. Set RPCSCOPE_EPM=BINDING in both when it is not on port 135.\n"
          "usage: rpcscope-epmd --list [MAPPER]\n"
          "  Prints what the mapper at MAPPER (default: $RPCSCOPE_EPM, or port 135 here) knows.\n",
          stderr);
    return 2;
}

/* --list: ept_lookup of everything, printed as rpcdump prints it. */
static int list(const char *where)
{
    char text[RS_BINDING_STRLEN];
    if (where == NULL) {
        rs_binding here;
        if (rs_binding_parse("ncacn_ip_tcp:127.0.0.1", &here) != RS_OK ||
            rs_epm_mapper_binding(&here, text, sizeof text) != RS_OK)
            return 1;
        where = text;
    }
    rs_client *mapper = NULL;
    rs_error err = {0};
    static rs_epm_entry entries[RS_EPM_MAX_ENTRIES];
    uint32_t n = 0;
    rs_status st = rs_client_open(where, NULL, &mapper, &err);
    if (st == RS_OK)
        st = rs_epm_lookup(mapper, entries, RS_EPM_MAX_ENTRIES, &n, &err);
    rs_client_close(mapper);
    if (st != RS_OK) {
        fprintf(stderr, "rpcscope-epmd: %s\n", err.message);
        return 1;
    }
    for (uint32_t i = 0; i < n; i++) {
        char binding[RS_BINDING_STRLEN], uuid[RS_UUID_STRLEN];
        if (rs_tower_binding(&entries[i].tower, binding, sizeof binding) != RS_OK)
            continue;
        rs_uuid_format(&entries[i].tower.iface.uuid, uuid);
        printf("%s %s v%u.%u %s\n", binding, uuid, entries[i].tower.iface.major,
               entries[i].tower.iface.minor, entries[i].annotation);
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--list") == 0)
        return argc > 3 ? usage() : list(argc > 2 ? argv[2] : NULL);
    static const char *const defaults[] = {"ncacn_ip_tcp:127.0.0.1[135]", "ncalrpc:[" RS_EPM_LRPC "]"};
    const char *const *bindings = defaults;
    int count = 2;
    if (argc > 1) {
        if (argv[1][0] == '-')
            return usage();
        bindings = (const char *const *)argv + 1;
        count = argc - 1;
    }
    rs_error err = {0};
    if (rs_server_create(NULL, &server) != RS_OK) {
        fprintf(stderr, "rpcscope-epmd: cannot create the server\n");
        return 1;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);

    rs_status st = rs_server_register(server, &rs_epm_server_interface, &err);
    for (int i = 0; i < count && st == RS_OK; i++)
        st = rs_server_listen(server, bindings[i], &err);
    for (size_t i = 0; i < rs_server_binding_count(server) && st == RS_OK; i++) {
        rs_epm_entry self;
        st = rs_epm_entry_from_binding(&self, rs_server_binding(server, i), &rs_epm_syntax,
                                       "rpcscope endpoint mapper", &err);
        if (st == RS_OK)
            st = rs_epm_map_add(&self, &err);
    }
    if (st != RS_OK) {
        fprintf(stderr, "rpcscope-epmd: %s\n", err.message);
        rs_server_destroy(server);
        return 1;
    }
    for (size_t i = 0; i < rs_server_binding_count(server); i++)
        printf("listening on %s\n", rs_server_binding(server, i));
    fflush(stdout);
    st = rs_server_run(server, &err);
    if (st != RS_OK)
        fprintf(stderr, "rpcscope-epmd: %s\n", err.message);
    rs_server_destroy(server);
    rs_epm_map_clear();
    return st == RS_OK ? 0 : 1;
}
