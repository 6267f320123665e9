#!/bin/sh
# reliability.sh -- real servers under hostile input, load, connection limits and faults. Each
# part starts its own build/conform_server on a free loopback port and reads its log (stderr).
# Prints "N passed, N failed".
#
#   sh tests/integration/reliability.sh BUILD_DIR        (e.g. build, or build/asan)
#
#   hostile      build/tests/hostile: 561 malformed inputs, 3 rounds, each on a fresh connection,
#                answered within 5 s, a good call after each, the server's VmRSS flat after
#                round 1 (the server runs with --io-timeout 1000 so that stalls end in 1 s).
#   load         build/tests/load: 64 clients x 2000 mixed calls at once, every answer checked;
#                the server's log must count exactly 128000 calls: none lost, none duplicated.
#   limits       1000 idle associations held on a server with the default limit (VmRSS under
#                64 MiB, a good call still served); then up to the default max_connections 1024,
#                where one more connection is closed at once (a clean refusal, logged), and a
#                connection is accepted again once one closes.
#   faults       build/tests/faultcall mid-call while its server is SIGKILLed (the call ends with
#                a clear error at once) or SIGSTOPped (RS_ERR_TIMEOUT at the call timeout), and
#                the same client calls a server restarted on the same port.
set -u
build=${1:-build}
tmp=$(mktemp -d)
pids=""
trap 'for p in $pids; do kill -9 $p 2>/dev/null; done; rm -rf "$tmp"' EXIT
passed=0
failed=0
ok() { passed=$((passed + 1)); }
bad() { failed=$((failed + 1)); echo "reliability: FAILED: $*"; }

# 1024 connections and the server's own descriptors need more than the usual soft limit of 1024.
ulimit -n 4096 2>/dev/null || { echo "reliability: cannot raise the open-file limit to 4096 (hard limit $(ulimit -Hn))"; echo "0 passed, 1 failed"; exit 1; }

for p in conform_server rpcbench tests/hostile tests/load tests/faultcall; do
    [ -x "$build/$p" ] || { echo "reliability: $build/$p is not built"; echo "0 passed, 1 failed"; exit 1; }
done

# start NAME [OPTIONS] -- starts conform_server on a free port (or BINDING); sets srv (pid) and
# binding, its log in $tmp/NAME.log.
start() {
    name=$1
    shift
    : >"$tmp/$name.out" # there before the server is, for the first sed below
    "$build/conform_server" "$@" >"$tmp/$name.out" 2>"$tmp/$name.log" &
    srv=$!
    pids="$pids $srv"
    binding=""
    for _ in $(seq 50); do
        binding=$(sed -n 's/^listening on //p' "$tmp/$name.out")
        [ -n "$binding" ] && break
        sleep 0.1
    done
    [ -n "$binding" ] || bad "$name: conform_server did not start: $(cat "$tmp/$name.log")"
}

# stop: SIGTERM, and the server must exit 0.
stop() {
    kill -TERM "$srv" 2>/dev/null
    wait "$srv"
    rc=$?
    [ "$rc" -eq 0 ] || bad "conform_server exited $rc on SIGTERM"
}

rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }

# ---- loopback by default -----------------------------------------------------------------------
# A TCP binding without an address listens on 127.0.0.1 only: a classroom server is not on the
# network unless its binding says so.
start loopback 'ncacn_ip_tcp:[0]'
case "$binding" in
ncacn_ip_tcp:127.0.0.1\[*\]) ok ;;
*) bad "ncacn_ip_tcp:[0] listens on $binding, not on 127.0.0.1" ;;
esac
stop

# ---- hostile input ------------------------------------------------------------------------------
start hostile --io-timeout 1000 'ncacn_ip_tcp:127.0.0.1[0]'
# Under AddressSanitizer (make asan) the allocator keeps freed memory in quarantine, so resident
# memory grows whatever the code does: there the server's exit status on SIGTERM, which
# LeakSanitizer makes non-zero for a leak, is the memory check instead.
watch=$srv
grep -q __asan_init "$build/conform_server" && watch=0
"$build/tests/hostile" "$binding" "$watch" 3 >"$tmp/hostile.txt" 2>&1
rc=$?
grep -v '^[0-9]* passed' "$tmp/hostile.txt"
p=$(sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed/\1/p' "$tmp/hostile.txt")
f=$(sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed/\2/p' "$tmp/hostile.txt")
passed=$((passed + ${p:-0}))
failed=$((failed + ${f:-0}))
[ "$rc" -eq 0 ] || [ "${f:-0}" -gt 0 ] || bad "hostile exited $rc"
kill -0 "$srv" 2>/dev/null && ok || bad "the server died under hostile input"
stop

# ---- load ---------------------------------------------------------------------------------------
start load 'ncacn_ip_tcp:127.0.0.1[0]'
"$build/tests/load" "$binding" 64 2000 >"$tmp/load.txt" 2>&1 && ok || bad "load: $(grep FAILED "$tmp/load.txt" | head -3)"
grep '^load: [0-9]* clients' "$tmp/load.txt"
stop
counted=$(sed -n 's/.*: closed .* (\([0-9]*\) calls*.*/\1/p' "$tmp/load.log" | awk '{s += $1} END {print s + 0}')
conns=$(grep -c ': closed ' "$tmp/load.log")
[ "$counted" -eq 128000 ] && [ "$conns" -eq 64 ] && ok \
    || bad "load: the server counted $counted calls on $conns connections, not 128000 on 64"

# ---- connection limits --------------------------------------------------------------------------
start limits 'ncacn_ip_tcp:127.0.0.1[0]'
port=$(echo "$binding" | sed 's/.*\[\([0-9]*\)\]/\1/')
mkfifo "$tmp/hold1" "$tmp/hold2"
"$build/rpcbench" "$binding" --hold 1000 <"$tmp/hold1" >"$tmp/hold1.out" 2>&1 &
h1=$!
exec 7>"$tmp/hold1"
for _ in $(seq 200); do grep -q holding "$tmp/hold1.out" && break; sleep 0.1; done
if grep -q 'holding: 1000' "$tmp/hold1.out"; then
    rss=$(rss_kib "$srv")
    echo "limits: 1000 idle associations held; server VmRSS $rss KiB"
    [ "$rss" -lt 65536 ] && ok || bad "limits: the server's VmRSS is $rss KiB with 1000 idle connections"
    echo add | "$build/tests/faultcall" "$binding" 5000 | grep -q '^ok' && ok \
        || bad "limits: no good call with 1000 connections held"
else
    bad "limits: 1000 idle associations not held: $(tail -2 "$tmp/hold1.out")"
fi
"$build/rpcbench" "$binding" --hold 24 <"$tmp/hold2" >"$tmp/hold2.out" 2>&1 &
h2=$!
exec 8>"$tmp/hold2"
for _ in $(seq 100); do grep -q holding "$tmp/hold2.out" && break; sleep 0.1; done
grep -q 'holding: 24' "$tmp/hold2.out" && ok || bad "limits: 1024 associations not held: $(tail -2 "$tmp/hold2.out")"
# The 1025th: accepted and closed at once, so the client reads the end of the stream, not a hang.
python3 - "$port" >"$tmp/refused.out" 2>&1 <<'EOF'
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
t0 = time.time()
try:
    data = s.recv(16)
except ConnectionResetError:
    data = b""
print("closed" if data == b"" else "answered", round(time.time() - t0, 3))
EOF
grep -q '^closed' "$tmp/refused.out" && ok || bad "limits: the 1025th connection was not closed: $(cat "$tmp/refused.out")"
grep -q 'refused 127.0.0.1:[0-9]*: already 1024 connections (max_connections)' "$tmp/limits.log" && ok \
    || bad "limits: the server did not log the refusal"
exec 8>&-
wait "$h2"
sleep 0.3
echo add | "$build/tests/faultcall" "$binding" 5000 | grep -q '^ok' && ok \
    || bad "limits: no new connection accepted after 24 closed"
exec 7>&-
wait "$h1"
stop

# ---- a configured limit -------------------------------------------------------------------------
start small --max-connections 2 'ncacn_ip_tcp:127.0.0.1[0]'
mkfifo "$tmp/hold3"
"$build/rpcbench" "$binding" --hold 2 <"$tmp/hold3" >"$tmp/hold3.out" 2>&1 &
h3=$!
exec 9>"$tmp/hold3"
for _ in $(seq 50); do grep -q holding "$tmp/hold3.out" && break; sleep 0.1; done
out=$(echo add | "$build/tests/faultcall" "$binding" 2000)
case "$out" in
error*RS_ERR_CLOSED*|error*RS_ERR_TRUNCATED*) ok ;;
*) bad "limits: a third client of --max-connections 2 got: $out" ;;
esac
echo "limits: a client beyond --max-connections 2: $out"
exec 9>&-
wait "$h3"
stop

# ---- faults: the server killed or stopped mid-call ----------------------------------------------
python3 - "$build" "$tmp" >"$tmp/faults.out" 2>&1 <<'EOF'
import os, re, signal, subprocess, sys, time
build, tmp = sys.argv[1], sys.argv[2]
fails = 0

def server(binding):
    p = subprocess.Popen([build + "/conform_server", binding], stdout=subprocess.PIPE,
                         stderr=open(tmp + "/faults.log", "a"))
    line = p.stdout.readline().decode()
    return p, line.split("listening on ")[1].strip()

def check(what, cond, detail):
    global fails
    print(("ok: " if cond else "FAILED: ") + what + ": " + detail)
    fails += 0 if cond else 1

def call(c, cmd):
    c.stdin.write((cmd + "\n").encode()); c.stdin.flush()
    return c.stdout.readline().decode().strip()

TIMEOUT_MS = 2000
for sig, name in ((signal.SIGKILL, "SIGKILL"), (signal.SIGSTOP, "SIGSTOP")):
    s, binding = server("ncacn_ip_tcp:127.0.0.1[0]")
    c = subprocess.Popen([build + "/tests/faultcall", binding, str(TIMEOUT_MS)],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    check(name + ": a first call", call(c, "add").startswith("ok"), binding)
    c.stdin.write(b"sleep 1500\n"); c.stdin.flush()
    time.sleep(0.3)                      # the call is in the server's procedure now
    s.send_signal(sig)
    line = c.stdout.readline().decode().strip()
    m = re.match(r"error (\d+) (\S+)", line)
    took = int(m.group(1)) if m else -1
    if sig == signal.SIGKILL:
        good = m is not None and m.group(2) in ("RS_ERR_CLOSED:", "RS_ERR_TRUNCATED:") and took < 1000
    else:
        good = m is not None and m.group(2) == "RS_ERR_TIMEOUT:" and TIMEOUT_MS <= took < TIMEOUT_MS + 1000
    check(name + " mid-call: the call ends with a clear error in time", good, line)
    s.kill(); s.wait()                   # a stopped process dies of SIGKILL too
    s2, b2 = server(binding)             # the same port
    check(name + ": the client calls the restarted server", call(c, "add").startswith("ok"), b2)
    c.stdin.close(); c.wait()
    s2.terminate(); s2.wait()
print("faults: %d failed" % fails)
sys.exit(1 if fails else 0)
EOF
rc=$?
cat "$tmp/faults.out"
p=$(grep -c '^ok: ' "$tmp/faults.out")
passed=$((passed + p))
f=$(grep -c '^FAILED: ' "$tmp/faults.out")
failed=$((failed + f))
[ "$rc" -eq 0 ] || [ "$f" -gt 0 ] || bad "the fault script failed: $(tail -3 "$tmp/faults.out")"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
