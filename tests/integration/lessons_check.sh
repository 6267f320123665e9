#!/bin/sh
# lessons_check.sh -- every lesson, proved: `rpcscope --check` accepts its script, `rpcscope --list`
# lists it, and `rpcscope --text` runs it to the end, with its injected faults, and shows the events
# that teach its point. Those events are written beside the lesson, in lessons/NAME/expect.txt:
#
#     # a comment
#     match  REGEX          some line of the --text output matches REGEX (grep -E)
#     no     REGEX          no line matches REGEX
#     count  N REGEX        at least N lines match REGEX
#     exit   N              `rpcscope --text` exits N (default 0)
#
# A lesson without an expect.txt, or with no `match`/`count` line in it, fails: a lesson must say
# what it shows. Prints "N passed, N failed".
#
#   sh tests/integration/lessons_check.sh BUILD_DIR [LESSON...]     (e.g. build, or build/asan)
set -u
build=${1:-build}
shift 2>/dev/null || true
rpcscope="$build/rpcscope"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0
failed=0

ok() { passed=$((passed + 1)); }
bad() { failed=$((failed + 1)); echo "lessons_check: FAILED: $*"; }

[ -x "$rpcscope" ] || { echo "lessons_check: $rpcscope is not built"; echo "0 passed, 1 failed"; exit 1; }

if [ $# -gt 0 ]; then
    lessons="$*"
else
    lessons=$(for f in lessons/*/lesson.txt; do basename "$(dirname "$f")"; done)
fi
[ -n "$lessons" ] || { bad "no lessons found"; }

"$rpcscope" --list >"$tmp/list" 2>&1 || bad "rpcscope --list exited $?"

# run_and_check NAME LABEL [RPCSCOPE OPTIONS]: runs the lesson with --text (and the options) and
# holds its output to lessons/NAME/expect.txt; failures are reported under LABEL.
run_and_check() {
    name=$1
    label=$2
    shift 2
    expect=lessons/$name/expect.txt
    want_rc=$(sed -n 's/^exit[ \t]\{1,\}\([0-9]\{1,\}\)[ \t]*$/\1/p' "$expect" | tail -1)
    want_rc=${want_rc:-0}
    # A lesson ends on its own; 120 s is far more than any lesson's timeouts and delays.
    timeout -k 5 120 "$rpcscope" --text "$name" "$@" </dev/null >"$tmp/out" 2>&1
    rc=$?
    if [ "$rc" -eq "$want_rc" ]; then
        ok
    else
        bad "$label: rpcscope --text exited $rc, not $want_rc; its last lines:"
        tail -15 "$tmp/out" | sed 's/^/    /'
    fi
    proofs=0
    while IFS= read -r line || [ -n "$line" ]; do
        line=$(printf '%s' "$line" | sed 's/^[ \t]*//; s/[ \t]*$//')
        case $line in
        '' | '#'*) continue ;;
        exit*) continue ;;
        match*)
            re=$(printf '%s' "$line" | sed 's/^match[ \t]*//')
            proofs=$((proofs + 1))
            if grep -Eq -- "$re" "$tmp/out"; then ok; else bad "$label: no line matches /$re/"; fi
            ;;
        no*)
            re=$(printf '%s' "$line" | sed 's/^no[ \t]*//')
            if grep -Eq -- "$re" "$tmp/out"; then
                bad "$label: a line matches /$re/: $(grep -E -- "$re" "$tmp/out" | head -1)"
            else
                ok
            fi
            ;;
        count*)
            n=$(printf '%s' "$line" | sed 's/^count[ \t]*\([0-9]*\).*/\1/')
            re=$(printf '%s' "$line" | sed 's/^count[ \t]*[0-9]*[ \t]*//')
            proofs=$((proofs + 1))
            got=$(grep -Ec -- "$re" "$tmp/out")
            if [ -n "$n" ] && [ "$got" -ge "$n" ]; then
                ok
            else
                bad "$label: $got lines match /$re/, not at least ${n:-?}"
            fi
            ;;
        *) bad "$label: $expect: cannot read '$line'" ;;
        esac
    done <"$expect"
    [ "$proofs" -gt 0 ] || bad "$label: $expect has no match or count line"
}

for name in $lessons; do
    dir=lessons/$name
    if "$rpcscope" --check "$name" >"$tmp/check" 2>&1 && grep -qF "$name: ok" "$tmp/check"; then
        ok
    else
        bad "$name: rpcscope --check: $(head -5 "$tmp/check")"
    fi
    if grep -q "^$name " "$tmp/list"; then ok; else bad "$name: not in rpcscope --list"; fi

    expect=$dir/expect.txt
    if [ ! -f "$expect" ]; then
        bad "$name: no $expect says what the lesson shows"
        continue
    fi
    run_and_check "$name" "$name"
    # A lesson whose programs also exist written against Microsoft's RPC API (ms_server.c,
    # ms_client.c) must show the same with them: same wire, same stubs, same narration.
    if [ -f "$dir/ms_server.c" ] && [ -f "$dir/ms_client.c" ]; then
        run_and_check "$name" "$name (ms_server, ms_client)" --server ms_server --client ms_client
    fi
done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
