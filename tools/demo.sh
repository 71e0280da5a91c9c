#!/bin/sh
# demo.sh: the main job, on the build from tools/build.sh: check the MNIST
# model and print its summary.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
netc="$top/build/netc"
export OPENBLAS_CORETYPE=Haswell
"$netc" check "$top/models/mnist.net"
"$netc" summary "$top/models/mnist.net"
