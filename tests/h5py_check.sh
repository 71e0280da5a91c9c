#!/bin/sh
# h5py_check.sh: h5py (Debian's python3-h5py) reads a model saved by netc:
# models/mnist.net trained for a few steps on Fashion-MNIST (or compiled
# only, step 0, when the dataset is not installed), then checked by
# tests/h5py_check.py. Skipped (exit 77) when no python3 has h5py.
: "${top_srcdir:=.}"
: "${top_builddir:=.}"
python=
for p in python3 /usr/bin/python3; do
  if "$p" -c 'import h5py' >/dev/null 2>&1; then python=$p; break; fi
done
if [ -z "$python" ]; then
  echo "SKIP: no python3 with h5py (install python3-h5py)"
  exit 77
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/netc-h5py.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
netc=$top_builddir/netc
data=/usr/share/datasets/fashion-mnist
if [ -d "$data" ]; then
  # 64 images in batches of 32: 2 steps
  "$netc" train "$top_srcdir/models/mnist.net" --data "$data" --limit 64 \
    --test-limit 8 --epochs 1 --batch 32 -o "$tmp/mnist.h5" >/dev/null || exit 1
  steps=2
else
  "$netc" compile "$top_srcdir/models/mnist.net" -o "$tmp/mnist.h5" >/dev/null || exit 1
  steps=0
fi
"$python" "$top_srcdir/tests/h5py_check.py" "$tmp/mnist.h5" "$steps"
