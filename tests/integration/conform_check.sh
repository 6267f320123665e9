#!/bin/sh
# conform_check.sh -- the conformance server and client as real processes on loopback: every
# operation over TCP and ncalrpc, a big-endian client, small fragments, 32 clients at once, a
# server killed mid-call, a client killed mid-call, and a clean stop on SIGTERM.
# Prints "N passed, N failed".
#   sh tests/integration/conform_check.sh BUILD_DIR
set -u
build=${1:-build}
server=$build/conform_server
client=$build/conform_client
dir=$(mktemp -d)
name="conform-check-$$"
pids=
passed=0
failed=0
cleanup() {
    for p in $pids; do kill -9 "$p" 2>/dev/null; done
    rm -rf "$dir"
}
trap cleanup EXIT

ok() { passed=$((passed + 1)); echo "ok      $*"; }
bad() { failed=$((failed + 1)); echo "FAILED  $*"; }

# Starts a server on TCP (free port) and ncalrpc; sets $spid, $tcp and $lrpc.
start_server() {
    : >"$dir/server.out"
    "$server" 'ncacn_ip_tcp:127.0.0.1[0]' "ncalrpc:[$name]" >"$dir/server.out" 2>"$dir/server.err" &
    spid=$!
    pids="$pids $spid"
    tcp=
    lrpc=
    for _ in $(seq 1 200); do
        tcp=$(sed -n 's/^listening on \(ncacn_ip_tcp:.*\)/\1/p' "$dir/server.out")
        lrpc=$(sed -n 's/^listening on \(ncalrpc:.*\)/\1/p' "$dir/server.out")
        [ -n "$tcp" ] && [ -n "$lrpc" ] && return 0
        sleep 0.05
    done
    echo "conform_check: the server did not start: $(cat "$dir/server.err")"
    return 1
}

start_server || { echo "0 passed, 1 failed"; exit 1; }

run_client() { # label, then the client's arguments
    label=$1
    shift
    if "$client" "$@" >"$dir/client.out" 2>&1; then
        ok "$label ($(tail -1 "$dir/client.out"))"
    else
        bad "$label"
        grep -v '^ok' "$dir/client.out" | head -20
    fi
}

run_client "every operation over TCP" "$tcp"
run_client "every operation over ncalrpc" "$lrpc"
run_client "a big-endian client" --big-endian "$tcp"
run_client "256-byte fragments both ways" --max-frag 256 "$lrpc"

# 32 clients at once, each running every operation.
cpids=
for i in $(seq 1 32); do
    "$client" "$tcp" >"$dir/many.$i" 2>&1 &
    cpids="$cpids $!"
done
many_failed=0
for p in $cpids; do wait "$p" || many_failed=$((many_failed + 1)); done
if [ "$many_failed" -eq 0 ]; then ok "32 concurrent clients"; else bad "32 concurrent clients: $many_failed failed"; fi

# A client killed mid-call: the server frees it and serves the next client.
"$client" --sleep 3000 "$tcp" >/dev/null 2>&1 &
victim=$!
sleep 0.3
kill -9 "$victim" 2>/dev/null
wait "$victim" 2>/dev/null
run_client "the server serves on after a client was killed mid-call" "$lrpc"

# A server killed mid-call: the client's call ends with a clear error well within its timeout.
"$client" --sleep 5000 --timeout 20000 "$tcp" >"$dir/sleep.out" 2>&1 &
sleeper=$!
sleep 0.3
kill -9 "$spid"
wait "$sleeper"
rc=$?
took=$(sed -n 's/^RS_[A-Z_]* \([0-9]*\) ms.*/\1/p' "$dir/sleep.out")
if [ "$rc" -ne 0 ] && [ -n "$took" ] && [ "$took" -lt 5000 ] && ! grep -q '^RS_OK' "$dir/sleep.out"; then
    ok "a server killed mid-call: $(cut -c1-60 "$dir/sleep.out")"
else
    bad "a server killed mid-call: $(cat "$dir/sleep.out")"
fi

# A restarted server on the same ncalrpc name serves again; SIGTERM stops it with exit 0.
start_server || bad "restart the server"
run_client "a restarted server on the same name" "$lrpc"
kill -TERM "$spid"
wait "$spid"
rc=$?
if [ "$rc" -eq 0 ]; then ok "SIGTERM stops the server with exit 0"; else bad "SIGTERM: exit $rc"; fi
pids=

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
