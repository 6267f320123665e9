#!/bin/sh
# tests/fuzz/smoke.sh -- the fuzz smoke test of `make test`: each libFuzzer target in DIR (make
# builds them in build/fuzz/) runs its kept regression inputs once and then fuzzes for a few
# seconds (at most 3 s and 20000 inputs each). `make fuzz` is the long run.
#
#   sh tests/fuzz/smoke.sh build/fuzz

dir=${1:-build/fuzz}
if ! ls "$dir"/fuzz_* >/dev/null 2>&1; then
    echo "fuzz smoke skipped: no fuzz targets in $dir (clang's libFuzzer is needed: make fuzz)"
    echo "0 passed, 0 failed"
    exit 0
fi
exec sh "$(dirname "$0")/run.sh" "$dir" 3 20000
