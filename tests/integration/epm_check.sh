#!/bin/sh
# epm_check.sh -- the endpoint mapper end to end, every process real and traced: rpcscope-epmd on
# a free port (135 needs root), hello's ms_server with no endpoint (a dynamic port, registered with
# RpcEpRegister), an independent DCE/RPC client's ept_lookup (impacket's, as rpcdump makes it)
# listing what is registered, hello's ms_client with no endpoint finding the server through
# ept_map, the server leaving the map on Shutdown, and tshark dissecting the mapper's PDUs (the
# session exported as a pcap) with no malformed frame. Prints "N passed, N failed".
#   sh tests/integration/epm_check.sh BUILD_DIR
set -u
build=${1:-build}
dir=$(mktemp -d)
epid=
spid=
cleanup() {
    [ -n "$spid" ] && kill "$spid" 2>/dev/null
    [ -n "$epid" ] && kill "$epid" 2>/dev/null
    [ -n "${EPM_CHECK_KEEP:-}" ] && cp -r "$dir" "$EPM_CHECK_KEEP"
    rm -rf "$dir"
}
trap cleanup EXIT
passed=0
failed=0
ok() { passed=$((passed + 1)); }
bad() { failed=$((failed + 1)); echo "epm_check: FAILED: $*"; }
finish() { echo "$passed passed, $failed failed"; [ "$failed" -eq 0 ]; exit $?; }

# wait_line FILE: the binding in the file's `listening on` line, once it is there
wait_line() {
    for _ in $(seq 1 200); do
        b=$(sed -n 's/^listening on //p' "$1" | head -1)
        [ -n "$b" ] && { echo "$b"; return 0; }
        sleep 0.05
    done
    return 1
}

trace="file:$dir/session.rstrace"
RPCSCOPE_TRACE=$trace "$build/rpcscope-epmd" 'ncacn_ip_tcp:127.0.0.1[0]' >"$dir/epmd.out" 2>&1 &
epid=$!
mapper=$(wait_line "$dir/epmd.out") || { bad "rpcscope-epmd did not start: $(cat "$dir/epmd.out")"; finish; }
port=$(echo "$mapper" | sed 's/.*\[\([0-9]*\)\]/\1/')
export RPCSCOPE_EPM="$mapper"

RPCSCOPE_TRACE=$trace "$build/lessons/hello/ms_server" 'ncacn_ip_tcp:127.0.0.1' >"$dir/server.out" 2>&1 &
spid=$!
server=$(wait_line "$dir/server.out") || { bad "ms_server did not start: $(cat "$dir/server.out")"; finish; }
sport=$(echo "$server" | sed 's/.*\[\([0-9]*\)\]/\1/')

# An independent client: impacket's ept_lookup (Debian's python3-impacket), when it is there.
py=/usr/bin/python3
if [ -x "$py" ] && "$py" -c 'import impacket' 2>/dev/null; then
    cat >"$dir/lookup.py" <<'PY'
import sys
from impacket.dcerpc.v5 import transport, epm
port = int(sys.argv[1])
t = transport.DCERPCTransportFactory('ncacn_ip_tcp:127.0.0.1[%d]' % port)
t.set_dport(port)
dce = t.get_dce_rpc()
dce.connect()
for e in epm.hept_lookup(None, dce=dce):
    floors = e['tower']['Floors']
    print(epm.PrintStringBinding(floors), floors[0], e['annotation'].rstrip(b'\0').decode())
dce.disconnect()
PY
    if timeout 20 "$py" "$dir/lookup.py" "$port" >"$dir/lookup.out" 2>&1; then ok; else bad "impacket's ept_lookup failed: $(tail -3 "$dir/lookup.out")"; fi
    if grep -q "^ncacn_ip_tcp:127.0.0.1\[$sport\] 7A98C250-6808-11CF-B73B-00AA00B677A7 v1.0 hello, world server$" "$dir/lookup.out"; then
        ok
    else
        bad "impacket's ept_lookup does not list hello on port $sport: $(cat "$dir/lookup.out")"
    fi
    if grep -q "^ncacn_ip_tcp:127.0.0.1\[$port\] E1AF8308-5D1F-11C9-91A4-08002B14A0FA v3.0 " "$dir/lookup.out"; then
        ok
    else
        bad "impacket's ept_lookup does not list the mapper itself"
    fi
else
    echo "epm_check: skipped the independent client: python3-impacket is not installed"
fi

# Our own ept_lookup, traced (so that tshark judges the lookup's bytes too).
if RPCSCOPE_TRACE=$trace "$build/rpcscope-epmd" --list >"$dir/list.out" 2>&1 &&
   grep -q "^ncacn_ip_tcp:127.0.0.1\[$sport\] 7a98c250-6808-11cf-b73b-00aa00b677a7 v1.0 hello, world server$" "$dir/list.out"; then
    ok
else
    bad "rpcscope-epmd --list: $(cat "$dir/list.out")"
fi

# The client knows the host, not the port.
if RPCSCOPE_TRACE=$trace timeout 20 "$build/lessons/hello/ms_client" 'ncacn_ip_tcp:127.0.0.1' 'found through the mapper' \
        >"$dir/client.out" 2>&1; then
    ok
else
    bad "ms_client without an endpoint: $(cat "$dir/client.out")"
fi
for _ in $(seq 1 100); do kill -0 "$spid" 2>/dev/null || break; sleep 0.05; done
if grep -q '^found through the mapper$' "$dir/server.out"; then ok; else bad "the server did not print the text: $(cat "$dir/server.out")"; fi
spid=

# Gone from the map: a second client finds nothing, and says so.
if timeout 20 "$build/lessons/hello/ms_client" 'ncacn_ip_tcp:127.0.0.1' x >"$dir/client2.out" 2>&1; then
    bad "a client found a server that unregistered"
elif grep -q 'exception' "$dir/client2.out"; then ok; else bad "no exception: $(cat "$dir/client2.out")"; fi
kill "$epid" 2>/dev/null
wait "$epid" 2>/dev/null
epid=

# The session as the window would show it, and as Wireshark reads it.
if "$build/rpcscope" "$dir/session.rstrace" --text --pcap "$dir/session.pcap" >"$dir/text.out" 2>&1; then ok; else bad "rpcscope could not replay the session: $(tail -3 "$dir/text.out")"; fi
for re in 'client(#[0-9]+)? +application +call +epmapper\.ept_map' 'server(#[0-9]+)? +application +call +epmapper\.ept_insert' \
          'client(#[0-9]+)? +application +call +hello\.HelloProc'; do
    if grep -Eq -- "$re" "$dir/text.out"; then ok; else bad "the session shows no line matching /$re/"; fi
done
if command -v tshark >/dev/null 2>&1; then
    tshark -r "$dir/session.pcap" -V >"$dir/tshark.out" 2>/dev/null
    for what in 'Operation: Insert (0)' 'Operation: Map (3)' 'Operation: Delete (1)' 'Operation: Lookup (2)'; do
        if grep -qF "$what" "$dir/tshark.out"; then ok; else bad "tshark shows no '$what'"; fi
    done
    # the tower of the map response, floor by floor
    if grep -q 'TCP Port: '"$sport" "$dir/tshark.out"; then ok; else bad "tshark did not read the server's port in a tower"; fi
    if grep -Eqi 'malformed|long frame|short frame' "$dir/tshark.out"; then
        bad "tshark: $(grep -Ei 'malformed|long frame|short frame' "$dir/tshark.out" | sort | uniq -c | head -3)"
    else
        ok
    fi
else
    echo "epm_check: skipped tshark: it is not installed"
fi
finish
