#!/bin/sh
# tests/fuzz/run.sh -- runs every libFuzzer target built in DIR: first each file kept under
# tests/fuzz/regressions/TARGET/ once, then the fuzzer for SECONDS (and at most RUNS inputs; -1
# for no bound) on DIR/corpus/TARGET/, a copy of the seed corpus tests/fuzz/corpus/TARGET/ to
# which the fuzzer adds what it finds. A crash, leak, timeout or sanitizer report fails the target
# and leaves the reproducer in DIR/artifacts/TARGET/ and the log in DIR/logs/TARGET.log.
#
#   sh tests/fuzz/run.sh build/fuzz 60 -1      # make fuzz
#   sh tests/fuzz/run.sh build/fuzz 3 20000    # the smoke test (smoke.sh)
#
# Ends with "N passed, N failed" (a target's regressions and its fuzzing run count one each) and
# exits non-zero if anything failed.

dir=${1:?usage: run.sh DIR SECONDS RUNS}
seconds=${2:-60}
runs=${3:--1}
src=$(cd "$(dirname "$0")" && pwd)

passed=0
failed=0
mkdir -p "$dir/logs"

# Per-target options. The IDL parser takes time linear in its input; inputs are bounded at 64 KiB
# (the target skips larger ones, and the fuzzer makes none).
options() {
    case "$1" in
    fuzz_idl) echo "-max_len=65536" ;;
    *) echo "" ;;
    esac
}

for bin in "$dir"/fuzz_*; do
    [ -x "$bin" ] || continue
    t=$(basename "$bin")
    log="$dir/logs/$t.log"
    art="$dir/artifacts/$t/"
    mkdir -p "$dir/corpus/$t" "$art"
    [ -d "$src/corpus/$t" ] && cp -R "$src/corpus/$t/." "$dir/corpus/$t/"
    # An allocation above 128 MiB is a finding: the NDR decoder may take up to its 64 MiB
    # per-message limit (RS_NDR_DEFAULT_MAX_ALLOC), and nothing in the library needs more.
    common="-timeout=10 -malloc_limit_mb=128 -rss_limit_mb=2048 $(options "$t")"

    if [ -d "$src/regressions/$t" ] && [ -n "$(ls -A "$src/regressions/$t")" ]; then
        # shellcheck disable=SC2086
        if "$bin" $common "$src/regressions/$t"/* >"$log.regressions" 2>&1; then
            echo "$t: $(ls "$src/regressions/$t" | wc -l) regression input(s) pass"
            passed=$((passed + 1))
        else
            echo "$t: a regression input fails:"
            grep -E 'ERROR|SUMMARY|Running:' "$log.regressions" | tail -5
            failed=$((failed + 1))
        fi
    fi

    # shellcheck disable=SC2086
    if "$bin" $common -max_total_time="$seconds" -runs="$runs" -print_final_stats=1 \
        -artifact_prefix="$art" "$dir/corpus/$t" >"$log" 2>&1; then
        execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
        rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
        cov=$(grep -E '^#[0-9]+' "$log" | tail -1 | sed -n 's/.*cov: \([0-9]*\).*/\1/p')
        [ "$rate" = 0 ] && rate="all in under 1 s" || rate="$rate/s"
        echo "$t: ok, $execs inputs ($rate), coverage $cov"
        passed=$((passed + 1))
    else
        echo "$t: FAILED; log $log, reproducer in $art:"
        grep -E '^(==[0-9]+==ERROR|SUMMARY|.*runtime error)' "$log" | head -5
        ls "$art"
        failed=$((failed + 1))
    fi
done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
