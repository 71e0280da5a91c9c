#!/bin/sh
# mnist_train.sh: one epoch of models/mnist.net on the 60,000 Fashion-MNIST
# training images at batch 32, with 1 and 2 threads; prints the epoch time
# and images per second. A benchmark, not a test: run it on an idle machine.
# Usage: bench/mnist_train.sh [path/to/netc]
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
netc=${1:-$top/build/netc}
data=${NETC_DATA:-/usr/share/datasets/fashion-mnist}
export OPENBLAS_CORETYPE=Haswell
[ -x "$netc" ] || { echo "mnist_train.sh: no netc at $netc (run tools/build.sh)" >&2; exit 2; }
[ -d "$data" ] || { echo "mnist_train.sh: no data at $data (install dataset-fashion-mnist)" >&2; exit 2; }
printf '%-8s %12s %12s\n' threads "epoch (s)" "images/s"
for threads in 1 2; do
  out=$("$netc" train "$top/models/mnist.net" --data "$data" --epochs 1 --batch 32 \
        --threads "$threads" --test-limit 1000 2>&1) || { echo "$out" >&2; exit 1; }
  line=$(printf '%s\n' "$out" | grep '^time:')
  seconds=$(printf '%s\n' "$line" | sed -n 's/^time: \([0-9.]*\)s per epoch.*/\1/p')
  rate=$(printf '%s\n' "$line" | sed -n 's/.*, \([0-9.]*\) images\/s.*/\1/p')
  printf '%-8s %12s %12s\n' "$threads" "$seconds" "$rate"
done
