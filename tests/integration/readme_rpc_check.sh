#!/bin/sh
# readme_rpc_check.sh -- builds the README's interface, server and client exactly as the README
# says, against an installed copy of rpcscope, runs them over TCP and checks the answers.
# Prints "N passed, N failed".
#   sh tests/integration/readme_rpc_check.sh BUILD_DIR [EXTRA_FLAGS]
set -u
build=${1:-build}
extra=${2:-}
dir=$(mktemp -d)
server_pid=
cleanup() {
    [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null
    rm -rf "$dir"
}
trap cleanup EXIT
fail() { echo "readme_rpc_check: $*"; echo "0 passed, 1 failed"; exit 1; }

make --no-print-directory -s install PREFIX="$dir/prefix" BUILD="$build" >/dev/null || fail "make install failed"
export PKG_CONFIG_PATH="$dir/prefix/lib/pkgconfig"
[ -x "$dir/prefix/bin/rpcidl" ] || fail "make install did not install bin/rpcidl"

# Each file is in the README between <!-- NAME:start --> and <!-- NAME:end --> around a fence.
for f in calc.idl server.c client.c; do
    sed -n "/<!-- $f:start -->/,/<!-- $f:end -->/p" README.md | sed '1,2d;$d' | sed '$d' >"$dir/$f"
    [ -s "$dir/$f" ] || fail "no $f in README.md"
done

cd "$dir" || fail "cannot enter $dir"
"$dir/prefix/bin/rpcidl" calc.idl || fail "rpcidl calc.idl failed"
for f in calc.h calc_c.c calc_s.c; do [ -f "$f" ] || fail "rpcidl did not write $f"; done
${CC:-cc} -std=c11 -Wall -Wextra -Werror server.c calc_s.c $(pkg-config --cflags --libs rpcscope) $extra -o server \
    || fail "the README server does not compile"
${CC:-cc} -std=c11 -Wall -Wextra -Werror client.c calc_c.c $(pkg-config --cflags --libs rpcscope) $extra -o client \
    || fail "the README client does not compile"

./server 'ncacn_ip_tcp:127.0.0.1[0]' >server.out 2>server.err &
server_pid=$!
binding=
for _ in $(seq 1 100); do
    binding=$(sed -n 's/^listening on //p' server.out)
    [ -n "$binding" ] && break
    sleep 0.05
done
[ -n "$binding" ] || fail "the README server never printed 'listening on BINDING' ($(cat server.err))"
out=$(./client "$binding" 2>&1) || fail "the README client failed: $out"
echo "$out"
echo "$out" | grep -q '^Add(2, 3) = 5$' || fail "unexpected Add result"
echo "$out" | grep -q '^Sum(1, 2, 3, 4) = 10$' || fail "unexpected Sum result"
kill "$server_pid"
wait "$server_pid"
rc=$?
server_pid=
[ "$rc" -eq 0 ] || fail "the README server did not exit 0 on SIGTERM (exit $rc)"
echo "1 passed, 0 failed"
