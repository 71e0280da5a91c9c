#!/bin/sh
# valgrind.sh: the CLI workflows under Valgrind's memcheck, which must report
# nothing (invalid reads or writes, uninitialised values, definite or
# indirect leaks): check and summary of the reference models, compile to an
# .h5 file, a short training run on Fashion-MNIST saved with checkpoints,
# resumed from the file, eval, predict, inspect, and a damaged file refused.
# Training uses tests/fuzz/models/tiny_mnist.net (a pooling and a dense
# layer): the conv model takes minutes under Valgrind. Skipped (77) without
# valgrind or without the dataset-fashion-mnist package. No suppressions
# are needed (OpenBLAS, HDF5, libpng and libjpeg report nothing here); add
# a valgrind.supp with a reason per entry if a library ever does.
: "${top_srcdir:=.}"
: "${top_builddir:=.}"
command -v valgrind >/dev/null 2>&1 || { echo "valgrind.sh: no valgrind, skipped"; exit 77; }
data=/usr/share/datasets/fashion-mnist
[ -f "$data/train-images-idx3-ubyte.gz" ] || { echo "valgrind.sh: no $data, skipped"; exit 77; }
# Valgrind cannot run a binary built with AddressSanitizer (tools/check.sh's
# second build); that build has the sanitizers watching instead.
for f in "$top_builddir/.libs/netc" "$top_builddir/netc"; do
  if [ -f "$f" ] && grep -q __asan_init "$f"; then
    echo "valgrind.sh: an ASan build, skipped"
    exit 77
  fi
done
models=$top_srcdir/models
tiny=$top_srcdir/tests/fuzz/models/tiny_mnist.net
tmp=$(mktemp -d "${TMPDIR:-/tmp}/netc-valgrind.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM
failures=0

# netc is a libtool wrapper script in the build tree: run the real binary.
run="$top_builddir/libtool --mode=execute valgrind -q --error-exitcode=99
  --leak-check=full --show-leak-kinds=definite,indirect
  --errors-for-leak-kinds=definite,indirect $top_builddir/netc"

# vg STATUS ARGS...: netc ARGS under memcheck must exit with STATUS (99 is
# memcheck's own status: it found an error).
vg() {
  want=$1
  shift
  # shellcheck disable=SC2086 # $run is a command line
  $run "$@" >"$tmp/out" 2>"$tmp/err"
  got=$?
  if [ "$got" -ne "$want" ]; then
    echo "FAIL: netc $*: exit status $got, expected $want (99: memcheck errors)"
    sed 's/^/    | /' "$tmp/err"
    failures=$((failures + 1))
  else
    echo "ok: netc $*"
  fi
}

vg 0 check "$models/mnist.net"
vg 0 check "$models/cartpole_dqn.net"
vg 0 summary "$models/vgg16.net"
vg 1 check "$top_srcdir/tests/golden/multi_mnist_mistakes.net"
vg 0 compile "$models/cartpole_dqn.net" -o "$tmp/dqn.h5"
vg 0 summary "$tmp/dqn.h5"
vg 0 train "$tiny" --data "$data" --limit 96 --test-limit 16 --epochs 1 --threads 2 \
  -o "$tmp/tiny.h5" --checkpoint-every 2
vg 0 train "$tmp/tiny.h5" --data "$data" --limit 96 --test-limit 16 --epochs 2 --threads 2 \
  -o "$tmp/resumed.h5"
vg 0 eval "$tmp/resumed.h5" --data "$data" --test-limit 16
vg 0 predict "$tmp/resumed.h5" --data "$data" --index 3
vg 0 predict "$tmp/resumed.h5" "$top_srcdir/tests/fuzz/corpus/image/png-rgb8.png" \
  "$top_srcdir/tests/fuzz/corpus/image/jpeg-progressive.jpg"
vg 0 inspect "$tmp/resumed.h5"
head -c 4000 "$tmp/resumed.h5" >"$tmp/truncated.h5"
vg 1 inspect "$tmp/truncated.h5"
if [ "$failures" -gt 0 ]; then
  echo "valgrind.sh: $failures failure(s)"
  exit 1
fi
echo "valgrind.sh: memcheck found nothing"
