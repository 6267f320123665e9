#!/bin/sh
# rpcidl_cli.sh -- runs the built rpcidl as a programmer would: its exit status, its FILE:LINE:COL
# messages, the files it writes (and does not write). Prints "N passed, N failed".
#   sh tests/integration/rpcidl_cli.sh BUILD_DIR
set -u
build=${1:-build}
rpcidl="$build/rpcidl"
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
passed=0
failed=0

ok() { passed=$((passed + 1)); }
bad() { failed=$((failed + 1)); echo "rpcidl_cli: $*"; }

# expect STATUS DESCRIPTION -- command...: runs it, stdout and stderr into $dir/out
expect() {
    want=$1 what=$2
    shift 2
    "$@" >"$dir/out" 2>&1
    rc=$?
    if [ "$rc" -eq "$want" ]; then ok; else bad "$what: exit status $rc, not $want"; cat "$dir/out"; fi
}

# has PATTERN DESCRIPTION: the last output holds a line matching PATTERN (grep -E)
has() {
    if grep -Eq -- "$1" "$dir/out"; then ok; else bad "$2: no line matches '$1'"; cat "$dir/out"; fi
}

[ -x "$rpcidl" ] || { echo "rpcidl_cli: $rpcidl is not built"; echo "0 passed, 1 failed"; exit 1; }

# ---- the command line ----
expect 0 "--version" "$rpcidl" --version
has '^rpcidl [0-9]+\.[0-9]+\.[0-9]+$' "--version prints the version"
expect 0 "--help" "$rpcidl" --help
has '^usage: rpcidl \[--ms\] NAME\.idl \[NAME\.acf\] \[-o DIR\]' "--help prints the usage"
expect 2 "no arguments" "$rpcidl"
has 'no IDL file given' "no arguments say why"
expect 2 "an unknown option" "$rpcidl" --frobnicate x.idl
has 'unknown option --frobnicate' "an unknown option is named"
expect 2 "three files" "$rpcidl" a.idl a.acf b.idl
expect 1 "a missing output directory" "$rpcidl" x.idl -o "$dir/nowhere"

# ---- --ms: Microsoft's names, and the compat headers included ----
mkdir "$dir/ms"
expect 0 "--ms" "$rpcidl" --ms lessons/hello/hello.idl -o "$dir/ms"
cp "$dir/ms/hello.h" "$dir/out"
has '^#include "rpc\.h"$' "--ms: hello.h includes rpc.h"
has '^#include "rpcndr\.h"$' "--ms: and rpcndr.h"
has '^#define hello_ClientIfHandle hello_v1_0_c_ifspec$' "--ms: NAME_ClientIfHandle"
has '^#define hello_ServerIfHandle hello_v1_0_s_ifspec$' "--ms: NAME_ServerIfHandle"
has '^extern handle_t hello_IfHandle;$' "--ms: the ACF's implicit handle is a handle_t"
# every construct of the conformance interface, in --ms form, compiles against the compat headers
# (and the server stubs free a procedure's [out] memory with midl_user_free())
mkdir "$dir/msconf"
expect 0 "--ms conform.idl" "$rpcidl" --ms tests/interop/conform.idl -o "$dir/msconf"
for f in conform_c conform_s; do
    expect 0 "--ms $f.c compiles" ${CC:-cc} -std=c11 -Wall -Wextra -Werror -I"$build/include" \
        -Irpc/compat -I"$dir/msconf" -c "$dir/msconf/$f.c" -o "$dir/msconf/$f.o"
done
cp "$dir/msconf/conform_s.c" "$dir/out"
has 'midl_user_free\(' "--ms: server stubs free [out] memory with midl_user_free()"
expect 0 "without --ms" "$rpcidl" lessons/hello/hello.idl -o "$dir/ms"
if grep -q 'rpc\.h\|ClientIfHandle' "$dir/ms/hello.h"; then bad "without --ms, hello.h names the compat API"; else ok; fi

# ---- a file with errors: every one reported, with its place, and no file written ----
mkdir "$dir/bad"
cat >"$dir/bad/broken.idl" <<'EOF'
[uuid(11111111-2222-3333-4444-555555555555)]
interface broken
{
    long F([in] nosuchtype x);
    long G([in, size_is(n)] long *v);
}
EOF
expect 1 "an IDL with errors" "$rpcidl" "$dir/bad/broken.idl" -o "$dir/bad"
has "broken\.idl:4:17: error: .*nosuchtype" "the first error at FILE:LINE:COL"
has "broken\.idl:5:25: error: " "the second error too"
has '^ +\^~*$' "a caret under the offending text"
has 'no files written' "it says nothing was written"
if [ -z "$(ls -A "$dir/bad" | grep -v '^broken\.idl$')" ]; then ok; else bad "files left behind: $(ls -A "$dir/bad")"; fi

# ---- what the generator refuses: an error with its place, no file ----
cat >"$dir/bad/sized.idl" <<'EOF'
[uuid(11111111-2222-3333-4444-555555555556)]
interface sized
{
    void Put([in] long n, [in, unique, size_is(n)] long *v);
}
EOF
expect 1 "a top-level [unique] sized pointer" "$rpcidl" "$dir/bad/sized.idl" -o "$dir/bad"
has "sized\.idl:4:58: error: rpcidl cannot marshal a top-level \\[unique\\] sized pointer yet" "what the generator cannot write is refused"
if [ ! -e "$dir/bad/sized.h" ]; then ok; else bad "sized.h was written"; fi

# ---- a good file: three files, the ACF beside it found ----
mkdir "$dir/good" "$dir/out_dir"
cat >"$dir/good/hello.idl" <<'EOF'
[uuid(7a98c250-6808-11cf-b73b-00aa00b677a7), version(1.0)]
interface hello
{
    void HelloProc([in, string] unsigned char * pszString);
    void Shutdown(void);
}
EOF
cat >"$dir/good/hello.acf" <<'EOF'
[implicit_handle(handle_t my_binding)]
interface hello
{
}
EOF
expect 0 "a good IDL" "$rpcidl" "$dir/good/hello.idl" -o "$dir/out_dir"
for f in hello.h hello_c.c hello_s.c; do
    if [ -s "$dir/out_dir/$f" ]; then ok; else bad "$f was not written"; fi
done
if grep -q 'extern rs_client \*my_binding;' "$dir/out_dir/hello.h"; then ok; else bad "hello.acf beside hello.idl was not read"; fi
if [ -z "$(ls -A "$dir/out_dir" | grep -v '^hello\(\.h\|_c\.c\|_s\.c\)$')" ]; then ok; else bad "temporary files left: $(ls -A "$dir/out_dir")"; fi

# an ACF given on the command line wins over the one beside
cat >"$dir/other.acf" <<'EOF'
[implicit_handle(handle_t other_binding)]
interface hello
{
}
EOF
expect 0 "an explicit ACF" "$rpcidl" "$dir/good/hello.idl" "$dir/other.acf" -o "$dir/out_dir"
if grep -q 'extern rs_client \*other_binding;' "$dir/out_dir/hello.h"; then ok; else bad "the ACF given was not used"; fi

# a second run over the old files replaces them whole, byte for byte the same as a first run
cp "$dir/out_dir/hello_c.c" "$dir/first_c.c"
expect 0 "a second run" "$rpcidl" "$dir/good/hello.idl" "$dir/other.acf" -o"$dir/out_dir"
if cmp -s "$dir/first_c.c" "$dir/out_dir/hello_c.c"; then ok; else bad "a second run wrote something else"; fi

# a failed run leaves the files of the last good run alone
cp "$dir/bad/broken.idl" "$dir/good/hello.idl"
expect 1 "a run that fails" "$rpcidl" "$dir/good/hello.idl" "$dir/other.acf" -o "$dir/out_dir"
if cmp -s "$dir/first_c.c" "$dir/out_dir/hello_c.c"; then ok; else bad "a failed run changed hello_c.c"; fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
