#!/bin/sh
# finetune-demo.sh: the README's "Finetune VGG16 on your images" workflow
# end to end on generated data, on the build from tools/build.sh (or the
# build folder in $NETC_BUILD). Instead of the user's photos it draws a
# two-class folder (tools/make_shapes: circle/ and square/), and instead of
# Keras's vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5 it writes a
# file of that layout with random weights (tests/make_keras_vgg16 --notop).
# To finish in a few minutes on two cores, models/catsdogs.net runs at
# 64x64 instead of 224x224 (the imported conv weights do not depend on the
# size). Steps: import the Keras weights, show augmented samples, train
# with a validation split, inspect the saved file, predict a few images
# with a PNG grid and save the block5_pool features. Everything goes to
# $NETC_BUILD/finetune-demo/.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=${NETC_BUILD:-$top/build}
netc="$build/netc"
out="$build/finetune-demo"
export OPENBLAS_CORETYPE=Haswell
rm -rf "$out"
mkdir -p "$out/model"

echo "== a two-class image folder: 40 circles and 40 squares"
"$build/tools/make_shapes" --count 40 --size 64 --seed 1 "$out/photos"

echo "== the finetune model at 64x64 (models/catsdogs.net, smaller input)"
cp "$top/models/vgg16.net" "$out/model/"
sed 's/f32\[batch, 224, 224, 3\]/f32[batch, 64, 64, 3]/' "$top/models/catsdogs.net" \
  >"$out/model/catsdogs.net"
grep -q 'f32\[batch, 64, 64, 3\]' "$out/model/catsdogs.net" ||
  { echo "finetune-demo.sh: models/catsdogs.net has no 224x224 input to shrink" >&2; exit 1; }
"$netc" summary "$out/model/catsdogs.net" | tail -n 8

echo "== Keras's VGG16 conv base (random weights in its file layout), imported"
keras="$out/vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5"
"$build/tests/make_keras_vgg16" --notop "$keras"
"$netc" import-keras "$keras" --model "$out/model/catsdogs.net" -o "$out/catsdogs.h5"

echo "== augmented training samples"
augment="--flip --rotation 20 --shift 0.1 --zoom 0.2"
# shellcheck disable=SC2086 # the options are split on purpose
"$netc" samples --data "$out/photos" --size 64 $augment --count 16 -o "$out/samples.png"

echo "== training the new top (the VGG base is frozen)"
# shellcheck disable=SC2086
"$netc" train "$out/catsdogs.h5" --data "$out/photos" --validation-split 0.2 \
  $augment --epochs 3 -o "$out/catsdogs.h5"
"$netc" inspect "$out/catsdogs.h5" | tail -n 6

echo "== predictions of the saved model"
"$netc" predict "$out/catsdogs.h5" "$out/photos/circle/0000.png" \
  "$out/photos/circle/0001.jpg" "$out/photos/square/0000.png" "$out/photos/square/0001.jpg" \
  --grid "$out/preds.png" --fetch block5_pool,probs --save-outputs "$out/features.h5"
echo "finetune-demo.sh: done; see $out/samples.png and $out/preds.png"
echo "(the base's weights are random here, so the figures mean little: with"
echo "Keras's real ImageNet weights the same steps learn to tell the classes apart)"
