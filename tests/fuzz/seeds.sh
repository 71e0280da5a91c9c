#!/bin/sh
# seeds.sh OUT: assembles the seed corpus of every fuzz target in OUT/<target>:
#   net    models/*.net, tests/golden/*.net and imports, tests/fuzz/corpus/net
#   h5     tests/fuzz/corpus/h5, plus the bodies (the bytes after the 512-byte
#          seal, see fuzz_h5.c) of models/cartpole_dqn.net and
#          tests/fuzz/models/*.net compiled by netc, and of tiny_mnist.net
#          trained a few steps when Fashion-MNIST is installed
#   idx, image  tests/fuzz/corpus/idx and image (written by make_seeds.c)
#   keras  tests/fuzz/corpus/keras (written by make_keras_seeds.c)
# Needs the netc binary: $top_builddir/netc.
set -eu
: "${top_srcdir:=.}"
: "${top_builddir:=.}"
out=$1
netc=$top_builddir/netc
fuzz=$top_srcdir/tests/fuzz
mkdir -p "$out/net" "$out/h5" "$out/idx" "$out/image" "$out/keras"
for t in net h5 idx image keras; do
  cp "$fuzz/corpus/$t"/* "$out/$t/"
done
cp "$top_srcdir"/models/*.net "$top_srcdir"/tests/golden/*.net \
  "$top_srcdir"/tests/golden/imports/*.net "$out/net/"

work=$(mktemp -d "${TMPDIR:-/tmp}/netc-seeds.XXXXXX")
trap 'rm -rf "$work"' EXIT
# body NAME.h5: the file without its seal, as fuzz_h5.c takes it.
body() {
  tail -c +513 "$work/$1.h5" >"$out/h5/$1"
}
for model in "$top_srcdir/models/cartpole_dqn.net" "$fuzz"/models/*.net; do
  name=$(basename "$model" .net)
  "$netc" compile "$model" -o "$work/$name.h5" >/dev/null
  body "$name"
done
data=/usr/share/datasets/fashion-mnist
if [ -f "$data/train-images-idx3-ubyte.gz" ]; then
  "$netc" train "$fuzz/models/tiny_mnist.net" --data "$data" --limit 64 \
    --test-limit 16 --threads 1 -o "$work/trained.h5" >/dev/null
  body trained
fi
