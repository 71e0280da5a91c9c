#!/bin/sh
# check.sh: the whole test suite, twice: on the build from tools/build.sh,
# then on a second build in build-asan/ with AddressSanitizer, UBSan and
# LeakSanitizer, and the debug checks of session handles (--enable-debug).
# Any failure or sanitizer report fails the script.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
export OPENBLAS_CORETYPE=Haswell
make -C "$top/build" -j"$(nproc)" check || {
  cat "$top"/build/tests/*.log "$top"/build/tests/*/*.log "$top"/build/tests/unit/*/*.log 2>/dev/null | tail -n 200
  exit 1
}
mkdir -p "$top/build-asan"
cd "$top/build-asan"
[ -f Makefile ] || ../configure --enable-werror --enable-asan --enable-debug
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
make -j"$(nproc)" check || {
  cat tests/*.log tests/*/*.log tests/unit/*/*.log 2>/dev/null | tail -n 200
  exit 1
}
echo "check.sh: all tests passed, also under ASan+UBSan"
