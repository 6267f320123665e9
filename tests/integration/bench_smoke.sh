#!/bin/sh
# bench_smoke.sh -- the benchmark harness runs (`make bench` itself never runs in `make test`):
# rpcbench on a few calls against a real conform_server prints its five lines, over TCP and
# ncalrpc, with one client and with several; `--wire` gives Add's PDU sizes (24-byte request
# header + 8 bytes of stub; 24-byte response header + 4).
# Prints "N passed, N failed".
#   sh tests/integration/bench_smoke.sh BUILD_DIR
set -u
build=${1:-build}
dir=$(mktemp -d)
spid=
passed=0
failed=0
cleanup() {
    [ -n "$spid" ] && kill -9 "$spid" 2>/dev/null
    rm -rf "$dir"
}
trap cleanup EXIT
ok() { passed=$((passed + 1)); echo "ok      $*"; }
bad() { failed=$((failed + 1)); echo "FAILED  $*"; }

: >"$dir/server.out"
"$build/conform_server" 'ncacn_ip_tcp:127.0.0.1[0]' "ncalrpc:[bench-smoke-$$]" >"$dir/server.out" 2>/dev/null &
spid=$!
tcp=
lrpc=
for _ in $(seq 1 200); do
    tcp=$(sed -n 's/^listening on \(ncacn_ip_tcp:.*\)/\1/p' "$dir/server.out")
    lrpc=$(sed -n 's/^listening on \(ncalrpc:.*\)/\1/p' "$dir/server.out")
    [ -n "$tcp" ] && [ -n "$lrpc" ] && break
    sleep 0.05
done

run() { # label, expected calls, then rpcbench's arguments
    label=$1
    n=$2
    shift 2
    if "$build/rpcbench" "$@" >"$dir/out" 2>&1 &&
        grep -qx "calls: $n" "$dir/out" &&
        grep -Eqx 'mean_us: [0-9]+\.[0-9]+' "$dir/out" &&
        grep -Eqx 'p50_us: [0-9]+\.[0-9]+' "$dir/out" &&
        grep -Eqx 'p99_us: [0-9]+\.[0-9]+' "$dir/out" &&
        grep -Eqx 'calls_per_s: [0-9]+' "$dir/out" && [ "$(wc -l <"$dir/out")" -eq 5 ]; then
        ok "$label"
    else
        bad "$label: $(head -5 "$dir/out")"
    fi
}
run "rpcbench Add over TCP prints its five lines" 10 "$tcp" --op add --calls 10
run "rpcbench Echo over ncalrpc" 10 "$lrpc" --op echo --size 4096 --calls 10
run "rpcbench with 3 clients at once" 12 "$tcp" --op echo --size 64 --calls 12 --clients 3

if [ "$("$build/rpcbench" --wire --op add | tr '\n' ' ')" = "request_bytes: 32 response_bytes: 28 " ]; then
    ok "rpcbench --wire: Add is 32 bytes out, 28 back"
else
    bad "rpcbench --wire: $("$build/rpcbench" --wire --op add | tr '\n' ' ')"
fi
if "$build/rpcbench" 'ncacn_ip_tcp:127.0.0.1[1]' --op add --calls 5 >"$dir/out" 2>&1; then
    bad "rpcbench against no server should fail"
else
    ok "rpcbench against no server fails ($(head -1 "$dir/out" | cut -c1-60))"
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
