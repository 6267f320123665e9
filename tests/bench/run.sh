#!/bin/sh
# run.sh -- `make bench`: rpcscope's calls beside the physical limit and beside ONC RPC, in one run.
#
#   sh tests/bench/run.sh BUILD_DIR [NOTRACE_DIR]   BENCH_REPS=N repetitions of each figure (default 5)
#
# NOTRACE_DIR holds conform_server and rpcbench built with the trace hook compiled out
# (`make NOTRACE=1`); without it the *_notrace figures are not measured.
# Twice: pinned (every process of a measurement on CPU 0 with `taskset -c 0`: the steady figure
# on a 2-core machine, and the one the targets are judged on) and unpinned. Each time:
#   raw_tcp_*, raw_unix_*   a bare socket ping-pong carrying exactly the bytes of the rpcscope call
#                           of the same name (`rpcbench --wire`: its PDUs, fragment headers included)
#   onc_null, onc_echo*     libtirpc + rpcgen over TCP, no rpcbind
#   rs_tcp_*, rs_lrpc_*     rpcbench against conform_server over ncacn_ip_tcp / ncalrpc
#   *_traced                the same with RPCSCOPE_TRACE set for client and server, to a collecting
#                           `rpcscope --listen` (no step gate; it prints its --text to /dev/null)
#   *_x16                   16 client processes at once: total calls/s
#   *_hook, *_notrace       the hook compiled in but off, and compiled out (NOTRACE_DIR): two
#                           servers side by side, their runs interleaved so that drift on a
#                           shared machine hits both alike
# Operations: add (Add), echo64 / echo4k / echo64k (Echo of 64 B, 4 KiB, 64 KiB).
# Then NDR against memcpy (ndrbench), heap allocations per call (valgrind), and the server's
# resident memory holding 1,000 idle associations.
#
# Each latency figure is the median over the repetitions of each run's median (p50) latency, in
# us; each rate figure the median of calls/s. Ratio lines `name_vs_BASE: R` are ours / base:
# for times lower is better; for the _x16 rates (x16 calls/s over one client's) higher is better.
set -u
build=${1:-build}
notrace=${2:-}
reps=${BENCH_REPS:-5}
dir=$(mktemp -d)
pids=
cleanup() {
    for p in $pids; do kill "$p" 2>/dev/null; done
    sleep 0.2
    for p in $pids; do kill -9 "$p" 2>/dev/null; done
    rm -rf "$dir"
}
trap cleanup EXIT

ops="add echo64 echo4k echo64k"
size_of() { case $1 in add) echo 0 ;; echo64) echo 64 ;; echo4k) echo 4096 ;; echo64k) echo 65536 ;; esac; }
op_args() { if [ "$1" = add ]; then echo "--op add"; else echo "--op echo --size $(size_of "$1")"; fi; }
calls_of() { if [ "$1" = echo64k ]; then echo $((BENCH_CALLS / 10)); else echo "$BENCH_CALLS"; fi; }
BENCH_CALLS=${BENCH_CALLS:-10000}

# median of numbers on stdin
median() { sort -g | awk '{v[NR] = $1} END {if (NR == 0) print "nan"; else print v[int((NR + 1) / 2)]}'; }

# measure_once NAME CMD...: runs CMD once; appends its p50 (us) and calls/s to NAME's lists.
measure_once() {
    name=$1
    shift
    if ! "$@" >"$dir/out" 2>"$dir/err"; then
        echo "bench: $name failed: $(head -3 "$dir/err")" >&2
        return
    fi
    sed -n 's/^p50_us: //p' "$dir/out" >>"$dir/p50.$name"
    sed -n 's/^calls_per_s: //p' "$dir/out" >>"$dir/rate.$name"
}
# settle NAME: NAME's figures are the medians of its lists.
settle() {
    median <"$dir/p50.$1" >"$dir/fig.$1.us"
    median <"$dir/rate.$1" >"$dir/fig.$1.rate"
}
# measure NAME CMD...: runs CMD $reps times; keeps NAME's median p50 (us) and calls/s.
measure() {
    name=$1
    shift
    : >"$dir/p50.$name" && : >"$dir/rate.$name"
    for _ in $(seq 1 "$reps"); do measure_once "$name" "$@"; done
    settle "$name"
}
fig() { cat "$dir/fig.$1.$2"; }
say_us() { echo "$1: $(fig "$1" us) us"; }
say_rate() { echo "$1: $(fig "$1" rate) calls/s"; }
ratio() { # NAME BASE KIND
    awk -v a="$(fig "$1" "$3")" -v b="$(fig "$2" "$3")" -v n="$1_vs_$2" \
        'BEGIN {if (a + 0 > 0 && b + 0 > 0) printf "%s: %.2f\n", n, a / b; else print n ": nan"}'
}

# start_server PIN [ENV...]: a conform_server ($server_dir's) on TCP and ncalrpc; sets $spid,
# $tcp, $lrpc.
server_dir=$build
start_server() {
    pin=$1
    shift
    : >"$dir/server.out"
    env "$@" $pin "$server_dir/conform_server" 'ncacn_ip_tcp:127.0.0.1[0]' \
        "ncalrpc:[bench-$$-$(basename "$server_dir")]" \
        >"$dir/server.out" 2>/dev/null &
    spid=$!
    pids="$pids $spid"
    for _ in $(seq 1 200); do
        tcp=$(sed -n 's/^listening on \(ncacn_ip_tcp:.*\)/\1/p' "$dir/server.out")
        lrpc=$(sed -n 's/^listening on \(ncalrpc:.*\)/\1/p' "$dir/server.out")
        [ -n "$tcp" ] && [ -n "$lrpc" ] && return 0
        sleep 0.05
    done
    echo "bench: the server did not start" >&2
    exit 1
}
stop() { kill "$1" 2>/dev/null; wait "$1" 2>/dev/null; }

# traced_run PIN TRANSPORT OP CALLS: a collector, a server tracing to it, one rpcbench run
# tracing to it; fails if the collector stopped collecting before the end.
traced_run() {
    sock="$dir/trace.sock"
    rm -f "$sock"
    $1 "$build/rpcscope" --listen "$sock" --text --max-events 100000000 >/dev/null \
        2>"$dir/collector.err" &
    cpid=$!
    pids="$pids $cpid"
    for _ in $(seq 1 100); do [ -S "$sock" ] && break; sleep 0.05; done
    start_server "$1" RPCSCOPE_TRACE="$sock"
    eval "b=\$$2"
    RPCSCOPE_TRACE="$sock" $1 "$build/rpcbench" "$b" $(op_args "$3") --calls "$4"
    rc=$?
    stop "$spid"
    stop "$cpid"
    if grep -q 'untraced' "$dir/collector.err"; then
        cat "$dir/collector.err" >&2
        return 1
    fi
    return $rc
}

# one_mode LABEL PIN: every measurement, with PIN ("taskset -c 0" or "") before each process.
one_mode() {
    label=$1
    pin=$2
    echo "# $label"
    for op in $ops; do
        req=$("$build/rpcbench" --wire $(op_args "$op") | sed -n 's/^request_bytes: //p')
        resp=$("$build/rpcbench" --wire $(op_args "$op") | sed -n 's/^response_bytes: //p')
        for t in tcp unix; do
            measure "raw_${t}_$op" $pin "$build/rawping" $t --req "$req" --resp "$resp" --calls "$(calls_of "$op")"
            say_us "raw_${t}_$op"
        done
    done
    measure onc_null $pin "$build/oncbench" null --calls "$BENCH_CALLS"
    say_us onc_null
    for op in echo64 echo4k echo64k; do
        measure "onc_$op" $pin "$build/oncbench" echo --size "$(size_of "$op")" --calls "$(calls_of "$op")"
        say_us "onc_$op"
    done

    start_server "$pin"
    for op in $ops; do
        for t in tcp lrpc; do
            eval "b=\$$t"
            measure "rs_${t}_$op" $pin "$build/rpcbench" "$b" $(op_args "$op") --calls "$(calls_of "$op")"
            say_us "rs_${t}_$op"
            measure "rs_${t}_${op}_x16" $pin "$build/rpcbench" "$b" $(op_args "$op") \
                --calls "$(($(calls_of "$op") * 4))" --clients 16
            say_rate "rs_${t}_${op}_x16"
        done
    done
    stop "$spid"

    # The hook compiled in but off, against compiled out: both servers up, runs interleaved.
    if [ -n "$notrace" ]; then
        start_server "$pin"
        on_pid=$spid on_tcp=$tcp on_lrpc=$lrpc
        server_dir=$notrace
        start_server "$pin"
        server_dir=$build
        for op in add echo64; do
            for t in tcp lrpc; do
                eval "b_on=\$on_$t b_off=\$$t"
                : >"$dir/p50.rs_${t}_${op}_hook" && : >"$dir/rate.rs_${t}_${op}_hook"
                : >"$dir/p50.rs_${t}_${op}_notrace" && : >"$dir/rate.rs_${t}_${op}_notrace"
                for _ in $(seq 1 "$reps"); do
                    measure_once "rs_${t}_${op}_hook" $pin "$build/rpcbench" "$b_on" \
                        $(op_args "$op") --calls "$BENCH_CALLS"
                    measure_once "rs_${t}_${op}_notrace" $pin "$notrace/rpcbench" "$b_off" \
                        $(op_args "$op") --calls "$BENCH_CALLS"
                done
                settle "rs_${t}_${op}_hook"
                settle "rs_${t}_${op}_notrace"
                say_us "rs_${t}_${op}_hook"
                say_us "rs_${t}_${op}_notrace"
            done
        done
        stop "$spid"
        stop "$on_pid"
    fi

    # Traced: each repetition in a fresh collector session (one holds at most 512 MiB of events,
    # after which it lets the programs run on untraced: such a run fails, and is not counted).
    for op in $ops; do
        for t in tcp lrpc; do
            n=$(($(calls_of "$op") / 10))
            [ "$op" = echo64k ] && n=$((n / 2))
            measure "rs_${t}_${op}_traced" traced_run "$pin" "$t" "$op" "$n"
            say_us "rs_${t}_${op}_traced"
        done
    done

    echo "# $label: ratios (ours / base)"
    for op in $ops; do
        ratio "rs_tcp_$op" "raw_tcp_$op" us
        ratio "rs_lrpc_$op" "raw_unix_$op" us
    done
    ratio rs_tcp_add onc_null us
    for op in echo64 echo4k echo64k; do ratio "rs_tcp_$op" "onc_$op" us; done
    ratio onc_null raw_tcp_add us
    ratio onc_echo64k raw_tcp_echo64k us
    for op in $ops; do
        for t in tcp lrpc; do ratio "rs_${t}_${op}_traced" "rs_${t}_$op" us; done
    done
    if [ -n "$notrace" ]; then
        for op in add echo64; do
            for t in tcp lrpc; do ratio "rs_${t}_${op}_hook" "rs_${t}_${op}_notrace" us; done
        done
    fi
    for op in $ops; do
        for t in tcp lrpc; do ratio "rs_${t}_${op}_x16" "rs_${t}_$op" rate; done
    done
}

one_mode "pinned (taskset -c 0)" "taskset -c 0"
one_mode "unpinned" ""

echo "# NDR against memcpy (pinned; us for the whole workload)"
taskset -c 0 "$build/ndrbench" | tee "$dir/ndr"
for w in long mixed; do
    for d in encode decode; do
        sed -n "s/^ndr_${w}_$d: \([0-9.]*\) us/\1/p" "$dir/ndr" >"$dir/fig.ndr_${w}_$d.us"
    done
    sed -n "s/^memcpy_$w: \([0-9.]*\) us/\1/p" "$dir/ndr" >"$dir/fig.memcpy_$w.us"
    ratio "ndr_${w}_encode" "memcpy_$w" us
    ratio "ndr_${w}_decode" "memcpy_$w" us
done

# Heap allocations per call: valgrind's count for 1,100 calls less that for 100, over 1,000;
# the client's (rpcbench's client process) and the server's (conform_server, stopped by SIGTERM).
echo "# heap allocations per call (valgrind)"
allocs() { # the largest "total heap usage: N allocs" among the log files $1.*
    cat "$1".* | sed -n 's/.*total heap usage: \([0-9,]*\) allocs.*/\1/p' | tr -d , | sort -n | tail -1
}
for op in add echo64k; do
    for n in 100 1100; do
        start_server "" 
        valgrind --log-file="$dir/vgc.$op.$n.%p" "$build/rpcbench" "$tcp" $(op_args "$op") --calls "$n" \
            >/dev/null 2>&1
        stop "$spid"
        # Emptied here, not only by the redirection below (which happens in the child, maybe after
        # the loop below read the stopped server's "listening" line and used its port).
        : >"$dir/server.out"
        valgrind --log-file="$dir/vgs.$op.$n.%p" "$build/conform_server" 'ncacn_ip_tcp:127.0.0.1[0]' \
            >"$dir/server.out" 2>/dev/null &
        vpid=$!
        pids="$pids $vpid"
        for _ in $(seq 1 400); do grep -q '^listening' "$dir/server.out" && break; sleep 0.05; done
        vtcp=$(sed -n 's/^listening on \(ncacn_ip_tcp:.*\)/\1/p' "$dir/server.out")
        "$build/rpcbench" "$vtcp" $(op_args "$op") --calls "$n" >/dev/null 2>&1
        stop "$vpid"
    done
    for side in c s; do
        a=$(allocs "$dir/vg$side.$op.100")
        b=$(allocs "$dir/vg$side.$op.1100")
        what=client
        [ "$side" = s ] && what=server
        awk -v a="$a" -v b="$b" -v n="${what}_allocs_per_call_$op" \
            'BEGIN {if (a == "" || b == "") print n ": nan"; else printf "%s: %.2f allocs\n", n, (b - a) / 1000}'
    done
done

# The server's resident memory: started fresh, then holding 1,000 bound, idle associations.
echo "# server memory"
start_server ""
rss() { sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$1/status"; }
echo "server_rss_idle: $(rss "$spid") KiB"
mkfifo "$dir/hold.in"
"$build/rpcbench" "$tcp" --hold 1000 <"$dir/hold.in" >"$dir/hold.out" 2>&1 &
hpid=$!
exec 3>"$dir/hold.in"
for _ in $(seq 1 400); do grep -q '^holding' "$dir/hold.out" && break; sleep 0.05; done
if grep -q '^holding: 1000' "$dir/hold.out"; then
    echo "server_rss_1000_idle: $(rss "$spid") KiB"
else
    echo "server_rss_1000_idle: nan ($(head -1 "$dir/hold.out"))"
fi
exec 3>&-
wait "$hpid"
stop "$spid"
[ -n "$notrace" ] || echo "# not measured: tracing compiled out (run.sh was given no NOTRACE_DIR)"
