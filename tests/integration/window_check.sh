#!/bin/sh
# window_check.sh -- rpcscope's window, headless: screenshots of the real hello lesson (both
# themes) and of a replayed recording are PNGs of the asked size, bad window options are refused
# with exit 2, a session shorter than --at says so, --bench-frames prints its figures, and without
# a display `rpcscope hello` falls back to the terminal. Prints "N passed, N failed".
#
#   SDL_VIDEODRIVER=offscreen RPCSCOPE_ASSETS=$PWD/assets sh tests/integration/window_check.sh build
set -u
build=${1:-build}
rpcscope="$build/rpcscope"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0
failed=0
: "${SDL_VIDEODRIVER:=offscreen}"
export SDL_VIDEODRIVER

ok() { passed=$((passed + 1)); }
bad() { failed=$((failed + 1)); echo "window_check: FAILED: $*"; }

# expect STATUS TEXT -- CMD...: runs CMD, checks its exit status and that TEXT is in its output.
expect() {
    want=$1 text=$2
    shift 3
    "$@" >"$tmp/out" 2>&1
    rc=$?
    if [ "$rc" -ne "$want" ]; then
        bad "$* exited $rc, not $want: $(head -5 "$tmp/out")"
    elif [ -n "$text" ] && ! grep -qF -- "$text" "$tmp/out"; then
        bad "$* did not say \"$text\": $(head -5 "$tmp/out")"
    else
        ok
    fi
}

# png_size FILE: "WIDTHxHEIGHT" from the IHDR chunk (bytes 16..23, big-endian), "" if not a PNG.
png_size() {
    [ "$(od -An -tx1 -N8 "$1" 2>/dev/null | tr -d ' \n')" = "89504e470d0a1a0a" ] || return 0
    set -- $(od -An -tu1 -j16 -N8 "$1")
    echo "$(($1 * 16777216 + $2 * 65536 + $3 * 256 + $4))x$(($5 * 16777216 + $6 * 65536 + $7 * 256 + $8))"
}

# shot NAME SIZE ARGS...: a screenshot must exit 0 and be a SIZE PNG.
shot() {
    name=$1 size=$2
    shift 2
    rm -f "$tmp/$name.png"
    expect 0 "" -- "$rpcscope" "$@" --screenshot "$tmp/$name.png"
    got=$(png_size "$tmp/$name.png")
    if [ "$got" = "$size" ]; then ok; else bad "$name: the PNG is '${got:-not a PNG}', not $size"; fi
}

[ -x "$rpcscope" ] || { echo "window_check: $rpcscope is not built"; echo "0 passed, 1 failed"; exit 1; }

# ---- options ------------------------------------------------------------------------------------
expect 2 "--at 0: a step number from 1" -- "$rpcscope" hello --screenshot "$tmp/x.png" --at 0
expect 2 "--at x: a step number from 1" -- "$rpcscope" hello --screenshot "$tmp/x.png" --at x
expect 2 "--screenshot needs --at N" -- "$rpcscope" hello --screenshot "$tmp/x.png"
expect 2 "--at goes with --screenshot" -- "$rpcscope" hello --at 3
expect 2 "--size 10x10: WIDTHxHEIGHT in pixels" -- "$rpcscope" hello --size 10x10
expect 2 "--size big: WIDTHxHEIGHT in pixels" -- "$rpcscope" hello --size big
expect 2 "--size 1600x900x2: WIDTHxHEIGHT" -- "$rpcscope" hello --size 1600x900x2
expect 2 "--theme dark: the themes are normal and projector" -- "$rpcscope" hello --theme dark
expect 2 "--bench-frames 0: a number of frames" -- "$rpcscope" hello --bench-frames 0
expect 2 "do not go with --text" -- "$rpcscope" hello --text --screenshot "$tmp/x.png" --at 3
[ -e "$tmp/x.png" ] && bad "a refused screenshot wrote a file" || ok

if [ ! -x "$build/lessons/hello/server" ] || [ ! -x "$build/lessons/hello/client" ]; then
    echo "window_check: the hello lesson is not built; skipping the sessions"
    echo "$passed passed, $failed failed"
    [ "$failed" -eq 0 ]
    exit
fi

# ---- screenshots of the real lesson -------------------------------------------------------------
shot normal 1600x900 hello --at 29
shot projector 1600x900 hello --at 33 --theme projector --inspector --timeline
shot small 1024x640 hello --at 5 --size 1024x640 --inspector
shot first 1280x720 hello --at 1 --size 1280x720
expect 2 "--at 5000: the session has only" -- "$rpcscope" hello --screenshot "$tmp/long.png" --at 5000
[ -e "$tmp/long.png" ] && bad "--at beyond the session wrote a file" || ok

# ---- a replayed recording -----------------------------------------------------------------------
expect 0 "" -- "$rpcscope" hello --text --record "$tmp/call.rstrace"
shot replay 1600x900 "$tmp/call.rstrace" --lesson hello --at 29 --inspector
shot replay_bare 1920x1080 "$tmp/call.rstrace" --at 20 --size 1920x1080 --timeline
expect 2 "--at 999: the session has only" -- "$rpcscope" "$tmp/call.rstrace" --screenshot "$tmp/r.png" --at 999

# ---- the frame-time benchmark -------------------------------------------------------------------
expect 0 "frame_ms_median: " -- "$rpcscope" --bench-frames 30 hello
if grep -Eq '^frame_ms_p99: [0-9]+\.[0-9]+$' "$tmp/out" && grep -Eq '^frame_ms_median: [0-9]+\.[0-9]+$' "$tmp/out"; then
    ok
else
    bad "--bench-frames did not print both figures: $(cat "$tmp/out")"
fi

# ---- no display: the terminal -------------------------------------------------------------------
expect 0 "no display: showing the lesson in the terminal" -- \
    env -u DISPLAY -u WAYLAND_DISPLAY -u SDL_VIDEODRIVER "$rpcscope" hello
if grep -q "server    stub        unmarshal  pszString" "$tmp/out" &&
    grep -q "client    application return     hello.HelloProc" "$tmp/out"; then
    ok
else
    bad "the terminal fallback did not show the call: $(head -5 "$tmp/out")"
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
