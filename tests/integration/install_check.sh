#!/bin/sh
# install_check.sh -- installs the library into a temporary prefix and builds the README's example
# against it with pkg-config alone, as a C programmer would. Prints "N passed, N failed".
#   sh tests/integration/install_check.sh BUILD_DIR [EXTRA_FLAGS]
# EXTRA_FLAGS are the sanitizer flags when BUILD_DIR holds the `make asan` library.
set -u
build=${1:-build}
extra=${2:-}
prefix=$(mktemp -d)
trap 'rm -rf "$prefix"' EXIT
fail() { echo "install_check: $*"; echo "0 passed, 1 failed"; exit 1; }

make --no-print-directory -s install PREFIX="$prefix" BUILD="$build" >/dev/null || fail "make install failed"
for f in lib/librpcscope.a lib/pkgconfig/rpcscope.pc include/rpcscope/rpcscope.h include/rpcscope/ndr.h; do
    [ -f "$prefix/$f" ] || fail "missing $f after make install"
done

# The example from the README, extracted between its markers, so the README cannot rot.
sed -n '/<!-- example:start -->/,/<!-- example:end -->/p' README.md | sed '1,2d;$d' | sed '$d' >"$prefix/example.c"
[ -s "$prefix/example.c" ] || fail "no example found in README.md"
export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
${CC:-cc} -std=c11 -Wall -Wextra -Werror "$prefix/example.c" $(pkg-config --cflags --libs rpcscope) \
    $extra -o "$prefix/example" || fail "the README example does not compile against the installed library"
out=$("$prefix/example") || fail "the README example exited with an error"
echo "$out"
echo "$out" | grep -q '^06 00 00 00 00 00 00 00 06 00 00 00 68 65 6c 6c 6f 00$' \
    || fail "the README example printed unexpected bytes"
echo "$out" | grep -q '\[12\.\.18) data *\[string\] char *pszString' \
    || fail "the README example printed an unexpected layout"
echo "1 passed, 0 failed"
