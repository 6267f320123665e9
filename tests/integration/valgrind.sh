#!/bin/sh
# valgrind.sh -- `make valgrind`: the integration programs under valgrind's memcheck. Each run
# must end with no memory error and no leak (definite, indirect or possible), no descriptor left
# open but the standard three, and its usual exit status. Prints "N passed, N failed".
#
#   sh tests/integration/valgrind.sh BUILD_DIR
#
#   conform_server   serves conform_client (every operation, TCP and ncalrpc), one round of
#                    build/tests/hostile's malformed input, and 8 clients x 200 mixed calls,
#                    then stops on SIGTERM
#   conform_client   every operation against a server outside valgrind
#   the hello lesson its server and client, by hand
#   rpcscope         the hello lesson in text mode, recorded, then the recording replayed (the
#                    lesson's programs run outside valgrind)
# Not part of `make test`: valgrind makes each program 20 to 50 times slower (about 15 s here).
set -u
build=${1:-build}
tmp=$(mktemp -d)
pids=""
trap 'for p in $pids; do kill -9 $p 2>/dev/null; done; rm -rf "$tmp"' EXIT
passed=0
failed=0
ok() { passed=$((passed + 1)); echo "ok      $*"; }
bad() { failed=$((failed + 1)); echo "FAILED  $*"; }

command -v valgrind >/dev/null 2>&1 || { echo "valgrind: not installed"; echo "0 passed, 1 failed"; exit 1; }

# Memcheck's verdict in a log, and the status: ok when neither says anything is wrong.
VG="valgrind --quiet --leak-check=full --show-leak-kinds=definite,indirect,possible \
--errors-for-leak-kinds=definite,indirect,possible --track-fds=yes --error-exitcode=99"

# judge NAME RC WANT_RC: the log $tmp/NAME.vg must hold no error, leak or open descriptor.
judge() {
    # Descriptors the program opened and left open; those it inherited (a make jobserver's)
    # are not its doing.
    open_fds=$(awk '/Open (file|AF_[A-Z0-9]* socket) descriptor [0-9]*:/ { n = $0; next }
                    n != "" && !/inherited from parent/ { if (n !~ /descriptor [012]:/) c++ }
                    { n = "" } END { print c + 0 }' "$tmp/$1.vg")
    if [ "$2" -eq "$3" ] && ! grep -q '== [A-Z].*\(Invalid\|uninitialised\|definitely\|indirectly\|possibly\)' "$tmp/$1.vg" \
        && [ "$open_fds" -eq 0 ]; then
        ok "$1 under valgrind"
    else
        bad "$1 under valgrind: exit $2 (want $3), $open_fds descriptors left open:"
        grep -v '^==[0-9]*== *$' "$tmp/$1.vg" | head -30
    fi
}

# start_server NAME CMD...: a server (possibly under valgrind); sets spid and binding.
start_server() {
    name=$1
    shift
    : >"$tmp/$name.out" # there before the server is, for the first sed below
    "$@" >"$tmp/$name.out" 2>"$tmp/$name.err" &
    spid=$!
    pids="$pids $spid"
    binding=""
    for _ in $(seq 300); do
        binding=$(sed -n 's/^listening on \(ncacn_ip_tcp.*\)/\1/p' "$tmp/$name.out")
        [ -n "$binding" ] && break
        sleep 0.1
    done
    [ -n "$binding" ] || bad "$name did not start: $(head -5 "$tmp/$name.err")"
}

# ---- conform_server ------------------------------------------------------------------------------
start_server conform_server $VG --log-file="$tmp/conform_server.vg" "$build/conform_server" \
    --io-timeout 2000 'ncacn_ip_tcp:127.0.0.1[0]' "ncalrpc:[valgrind-$$]"
"$build/conform_client" "$binding" >"$tmp/client.txt" 2>&1 && ok "conform_client (TCP) against it" \
    || bad "conform_client (TCP) against the server under valgrind: $(grep -i fail "$tmp/client.txt" | head -3)"
"$build/conform_client" "ncalrpc:[valgrind-$$]" >"$tmp/client.txt" 2>&1 && ok "conform_client (ncalrpc) against it" \
    || bad "conform_client (ncalrpc): $(grep -i fail "$tmp/client.txt" | head -3)"
"$build/tests/hostile" "$binding" "$spid" 1 >"$tmp/hostile.txt" 2>&1 \
    && ok "hostile input ($(sed -n 's/^hostile: \([0-9]*\) inputs in.*/\1/p' "$tmp/hostile.txt") inputs) against it" \
    || bad "hostile input against the server under valgrind: $(grep FAILED "$tmp/hostile.txt" | head -3)"
"$build/tests/load" "$binding" 8 200 >"$tmp/load.txt" 2>&1 && ok "8 clients x 200 calls against it" \
    || bad "load against the server under valgrind: $(grep FAILED "$tmp/load.txt" | head -3)"
kill -TERM "$spid"
wait "$spid"
judge conform_server $? 0

# ---- conform_client ------------------------------------------------------------------------------
start_server plain "$build/conform_server" 'ncacn_ip_tcp:127.0.0.1[0]'
$VG --log-file="$tmp/conform_client.vg" "$build/conform_client" "$binding" >"$tmp/client.txt" 2>&1
judge conform_client $? 0
kill -TERM "$spid"
wait "$spid"

# ---- the hello lesson's programs -----------------------------------------------------------------
hello="$build/lessons/hello"
start_server hello_server $VG --log-file="$tmp/hello_server.vg" "$hello/server" 'ncacn_ip_tcp:127.0.0.1[0]'
$VG --log-file="$tmp/hello_client.vg" "$hello/client" "$binding" "hello, valgrind" >"$tmp/hello.txt" 2>&1
judge hello_client $? 0
wait "$spid" # the client's Shutdown stops it
judge hello_server $? 0

# ---- rpcscope --------------------------------------------------------------------------------------
$VG --log-file="$tmp/rpcscope.vg" "$build/rpcscope" hello --text --record "$tmp/hello.rstrace" \
    >"$tmp/rpcscope.txt" 2>&1
judge rpcscope $? 0
$VG --log-file="$tmp/replay.vg" "$build/rpcscope" "$tmp/hello.rstrace" --text --lesson hello \
    >"$tmp/replay.txt" 2>&1
judge replay $? 0

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
