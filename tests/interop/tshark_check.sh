#!/bin/sh
# tshark_check.sh -- Wireshark is the judge: captures the conformance traffic on loopback with
# `tshark -i lo` and fails if any TCP payload is not dissected as DCE/RPC or any frame is marked
# malformed. Skipped, with the reason printed, only where capturing is impossible (not root, no
# tshark, no capture permission). Prints "N passed, N failed".
#   sh tests/interop/tshark_check.sh BUILD_DIR
set -u
build=${1:-build}
dir=$(mktemp -d)
spid=
tpid=
cleanup() {
    [ -n "$tpid" ] && kill "$tpid" 2>/dev/null
    [ -n "$spid" ] && kill -9 "$spid" 2>/dev/null
    rm -rf "$dir"
}
trap cleanup EXIT
skip() { echo "tshark_check: skipped: $*"; echo "0 passed, 0 failed"; exit 0; }
fail() { echo "tshark_check: $*"; echo "0 passed, 1 failed"; exit 1; }

command -v tshark >/dev/null 2>&1 || skip "tshark is not installed"
[ "$(id -u)" = 0 ] || skip "capturing on lo needs root"

"$build/conform_server" 'ncacn_ip_tcp:127.0.0.1[0]' >"$dir/server.out" 2>"$dir/server.err" &
spid=$!
binding=
for _ in $(seq 1 200); do
    binding=$(sed -n 's/^listening on //p' "$dir/server.out")
    [ -n "$binding" ] && break
    sleep 0.05
done
[ -n "$binding" ] || fail "the server did not start"
port=$(echo "$binding" | sed 's/.*\[\([0-9]*\)\]/\1/')

# One capture of a full conformance run (little- and big-endian clients), judged by tshark.
# Prints a summary and returns 0 when every payload is DCE/RPC and nothing is malformed. A capture
# on a loaded machine can drop packets, after which Wireshark cannot dissect the stream: such a
# capture is retried (up to 3 times); a real encoding error fails every time.
attempt() {
    rm -f "$dir/cap.pcapng"
    tshark -i lo -B 64 -f "tcp port $port" -w "$dir/cap.pcapng" >"$dir/tshark.out" 2>&1 &
    tpid=$!
    for _ in $(seq 1 100); do
        grep -q "Capturing on" "$dir/tshark.out" && break
        kill -0 "$tpid" 2>/dev/null || skip "tshark cannot capture here: $(tail -1 "$dir/tshark.out")"
        sleep 0.1
    done
    grep -q "Capturing on" "$dir/tshark.out" || skip "tshark never started capturing"
    sleep 1 # "Capturing on" comes before the capture really starts

    "$build/conform_client" "$binding" >/dev/null 2>&1 || fail "conform_client failed"
    "$build/conform_client" --big-endian "$binding" >/dev/null 2>&1 || fail "conform_client --big-endian failed"
    sleep 0.5
    kill -INT "$tpid"
    wait "$tpid"
    tpid=

    pdus=$(read_cap -Y dcerpc -T fields -e frame.number | wc -l)
    # A segment that carries part of a PDU reassembled later names that frame in tcp.reassembled_in.
    not_dcerpc=$(read_cap -Y "$other" -T fields -e frame.number | wc -l)
    malformed=$(read_cap -Y "$bad" -T fields -e frame.number | wc -l)
    types=$(read_cap -Y dcerpc -T fields -e dcerpc.pkt_type | tr ', ' '\n\n' | sort -un | tr '\n' ' ')
    echo "tshark_check: $pdus DCE/RPC frames (packet types: $types), $not_dcerpc other payloads, $malformed malformed"
    [ "$not_dcerpc" -eq 0 ] && [ "$malformed" -eq 0 ] && [ "$pdus" -gt 100 ]
}

# Dissect with the DCE/RPC dissector bound to the server's port (as Wireshark's heuristics would),
# in two passes (-2): in one pass a segment in the middle of a PDU that spans three or more
# segments is printed before the PDU is whole, so its tcp.reassembled_in is still empty (seen on
# the 1 MB echo when the receive window cut a 1,077-byte segment between two large ones).
read_cap() { tshark -2 -r "$dir/cap.pcapng" -d "tcp.port==$port,dcerpc" "$@" 2>/dev/null; }
other='tcp.len > 0 && !dcerpc && !tcp.reassembled_in'
bad='_ws.malformed || _ws.expert.severity >= error'
for try in 1 2 3; do
    attempt && break
    echo "tshark_check: capture $try was not clean: $(read_cap -Y "$other || $bad" | head -3 | tr '\n' ';')"
    if [ "$try" -eq 3 ]; then
        cp "$dir/cap.pcapng" "$build/tshark_check.pcapng" 2>/dev/null
        fail "every capture had undissected or malformed frames (the last kept in $build/tshark_check.pcapng)"
    fi
done
echo "1 passed, 0 failed"
