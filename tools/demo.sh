#!/bin/sh
# demo.sh: the main job, on the build from tools/build.sh: the MNIST CNN
# workflow on Fashion-MNIST. It shows samples of the data (a PNG grid),
# checks and summarizes models/mnist.net, then trains it for 6 epochs with
# a progress bar, with predictions before and after training and the test
# accuracy at the end. The training takes a while on a small machine.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
netc="$top/build/netc"
data=/usr/share/datasets/fashion-mnist
export OPENBLAS_CORETYPE=Haswell
"$netc" samples --data "$data" -o "$top/build/samples.png"
"$netc" check "$top/models/mnist.net"
"$netc" summary "$top/models/mnist.net"
"$netc" train "$top/models/mnist.net" --data "$data" --epochs 6 --batch 32
