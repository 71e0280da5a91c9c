#!/bin/sh
# demo.sh: the main job, on the build from tools/build.sh: the MNIST CNN
# workflow on Fashion-MNIST. It shows samples of the data (a PNG grid),
# checks and summarizes models/mnist.net, then trains it for 6 epochs with
# a progress bar, with predictions before and after training and the test
# accuracy at the end, and saves it to build/mnist.h5. A fresh process then
# loads that file, shows its training state and predicts test image 0,
# which must give the very probability the trained session gave. The
# training takes a while on a small machine.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
netc="$top/build/netc"
data=/usr/share/datasets/fashion-mnist
model="$top/build/mnist.h5"
log="$top/build/train.log"
export OPENBLAS_CORETYPE=Haswell
"$netc" samples --data "$data" -o "$top/build/samples.png"
"$netc" check "$top/models/mnist.net"
"$netc" summary "$top/models/mnist.net"
# tee keeps a copy for the comparison below (on a pipe the progress bar is
# printed once per epoch instead of being redrawn)
"$netc" train "$top/models/mnist.net" --data "$data" --epochs 6 --batch 32 \
  -o "$model" | tee "$log"
grep -q "^saved $model " "$log" || { echo "demo.sh: training failed" >&2; exit 1; }
trained=$(grep '^test image 0:' "$log")

echo
echo "a fresh process loads $model:"
"$netc" inspect "$model"
loaded=$("$netc" predict "$model" --data "$data" --index 0)
echo "$loaded"
if [ "$loaded" != "$trained" ]; then
  echo "demo.sh: the loaded model predicts differently: $trained" >&2
  exit 1
fi
echo "the loaded model gives test image 0 the same class and probability as the trained session"
