#!/bin/sh
# finetune.sh: the VGG16 finetune workflow of the README at the command
# line, on a small generated image folder (tools/make_shapes) and
# tests/finetune.net (models/catsdogs.net at 32x32): `netc train` on the
# folder with augmentation and a validation split (the loss of the last
# epoch is below the first's, the frozen base's weights keep every byte,
# the new top's change, the class names are saved), resuming from the
# file, `netc samples`, `netc predict` with class names, --grid and
# --fetch/--save-outputs (checked with h5dump, and h5py when installed),
# unreadable images (--skip-bad) and the usage errors. The same helpers as
# tests/cli.sh: `expect` a status, then `contains` what it printed.

: "${top_srcdir:=.}"
: "${top_builddir:=.}"
netc=$top_builddir/netc
shapes=$top_builddir/tools/make_shapes
model=$top_srcdir/tests/finetune.net

name=finetune
. "$top_srcdir/tests/check_lib.sh"


# expect STATUS ARGS...: see run_expect in tests/check_lib.sh.
expect() { _status=$1; shift; run_expect "$_status" "$netc" "$@"; }

# is_png FILE: the file starts with the PNG signature.
is_png() {
  signature=$(od -An -tx1 -N8 "$1" 2>/dev/null | tr -d ' \n')
  [ "$signature" = 89504e470d0a1a0a ] || fail "$1 is not a PNG (starts $signature)"
}

# dataset FILE.h5 PATH: the data of one dataset as h5dump prints it.
dataset() { h5dump -d "$2" "$1" 2>&1 | sed -n '/DATA {/,$p'; }

# xent N: the training loss of epoch N in the last output.
xent() {
  grep -F ' - xent: ' "$tmp/out" | sed -n "${1}p" | sed 's/.* - xent: \([0-9.]*\).*/\1/'
}

"$shapes" --count 16 --size 40 --seed 3 "$tmp/shapes" >/dev/null ||
  { echo "FAIL: make_shapes"; exit 1; }
[ "$(ls "$tmp/shapes/circle" | wc -l)" -eq 16 ] && [ -f "$tmp/shapes/square/0001.jpg" ] ||
  fail "make_shapes did not write 16 images per class, PNG and JPEG"
"$shapes" --count 16 --size 40 --seed 3 "$tmp/again" >/dev/null
cmp -s "$tmp/shapes/square/0001.jpg" "$tmp/again/square/0001.jpg" ||
  fail "make_shapes: the same seed gave other images"

# ---------------------------------------------------------------- train

expect 0 compile "$model" -o "$tmp/base.h5"
expect 0 train "$tmp/base.h5" --data "$tmp/shapes" --epochs 6 --validation-split 0.25 \
  --flip -o "$tmp/tuned.h5"
contains out "train on 24 images of $tmp/shapes (32x32), validate on 8"
contains out "classes: 0 circle, 1 square"
contains out "val_acc: "
contains out "saved $tmp/tuned.h5 (step 18)"
first=$(xent 1)
last=$(xent 6)
if [ -z "$first" ] || [ -z "$last" ] ||
   ! awk -v a="$first" -v b="$last" 'BEGIN { exit !(b < a) }'; then
  fail "$what: the loss did not decrease (epoch 1: '$first', epoch 6: '$last')"
fi

# The frozen base keeps its bytes; the new top is trained.
for param in block1_conv1/kernel block3_conv2/bias block5_conv3/kernel block5_conv3/bias; do
  dataset "$tmp/base.h5" "/params/$param" >"$tmp/before"
  dataset "$tmp/tuned.h5" "/params/$param" >"$tmp/after"
  [ -s "$tmp/before" ] && cmp -s "$tmp/before" "$tmp/after" ||
    fail "frozen weight $param changed in training"
done
for param in dense/kernel logits/bias; do
  dataset "$tmp/base.h5" "/params/$param" >"$tmp/before"
  dataset "$tmp/tuned.h5" "/params/$param" >"$tmp/after"
  cmp -s "$tmp/before" "$tmp/after" && fail "trainable weight $param did not change"
done
h5dump -d /classes "$tmp/tuned.h5" >"$tmp/classes" 2>&1
grep -q '"circle"' "$tmp/classes" && grep -q '"square"' "$tmp/classes" &&
  grep -q pixel_scale "$tmp/classes" || fail "/classes is not in the saved file"
expect 0 inspect "$tmp/tuned.h5"
contains out "classes: 0 circle, 1 square"

# Resuming goes on from the file; another folder's classes are refused.
expect 0 train "$tmp/tuned.h5" --data "$tmp/shapes" --epochs 1 -o "$tmp/more.h5"
contains out "resuming at step 18"
mkdir -p "$tmp/other/cat" "$tmp/other/dog"
cp "$tmp/shapes/circle/0000.png" "$tmp/other/cat/"
cp "$tmp/shapes/square/0000.png" "$tmp/other/dog/"
expect 1 train "$tmp/tuned.h5" --data "$tmp/other" --epochs 1
contains err "trained on the classes circle square, the folder has cat dog"

# A model without a 3-channel image input cannot take an image folder.
expect 1 train "$top_srcdir/models/mnist.net" --data "$tmp/shapes" --epochs 1
contains err "needs an input 'image' f32[batch,H,W,3]"

# ------------------------------------------------------- unreadable images

cp -r "$tmp/shapes" "$tmp/bad"
printf 'not an image' >"$tmp/bad/circle/broken.jpg"
expect 1 train "$tmp/base.h5" --data "$tmp/bad" --epochs 1
contains err "broken.jpg"
contains err "hint: --skip-bad"
expect 0 train "$tmp/base.h5" --data "$tmp/bad" --epochs 1 --skip-bad
contains err "skipped $tmp/bad/circle/broken.jpg"
contains out "train on 32 images"

# -------------------------------------------------------------- samples

expect 0 samples --data "$tmp/shapes" --count 6 --flip --rotation 20 -o "$tmp/samples.png"
contains out "wrote $tmp/samples.png: 6 of the 32 training images"
contains out "circle, circle, circle, square, square, square"
is_png "$tmp/samples.png"
expect 0 samples --data "$tmp/shapes" --count 6 --flip --rotation 20 --seed 1 -o "$tmp/other.png"
cmp -s "$tmp/samples.png" "$tmp/other.png" && fail "samples: another seed drew the same images"
mkdir "$tmp/empty"
expect 2 samples --data "$tmp/empty" --flip
contains err "is not an image folder"

# -------------------------------------------------------------- predict

images="$tmp/shapes/circle/0000.png $tmp/shapes/square/0001.jpg $tmp/shapes/square/0002.png"
# shellcheck disable=SC2086 # the list is split on purpose
expect 0 predict "$tmp/tuned.h5" $images --top 2 --grid "$tmp/preds.png" \
  --fetch block5_pool,logits,probs --save-outputs "$tmp/outs.h5"
contains out "0000.png:"
contains out "0001.jpg:"
contains out "1. circle"
contains out "2. square"
contains out "wrote $tmp/preds.png"
contains out "wrote $tmp/outs.h5: block5_pool (3, 1, 1, 512), logits (3, 2), probs (3, 2)"
is_png "$tmp/preds.png"
h5dump -H "$tmp/outs.h5" >"$tmp/header" 2>&1
for line in 'DATASET "block5_pool"' 'SIMPLE { ( 3, 1, 1, 512 )' 'DATASET "logits"' \
            'SIMPLE { ( 3, 2 )' 'H5T_IEEE_F32LE'; do
  grep -qF "$line" "$tmp/header" || fail "outs.h5 has no '$line'"
done
# One image alone gives the same probabilities as in the batch of three.
expect 0 predict "$tmp/tuned.h5" "$tmp/shapes/square/0002.png" --fetch probs \
  --save-outputs "$tmp/one.h5"
python=
for p in python3 /usr/bin/python3; do
  if "$p" -c 'import h5py' >/dev/null 2>&1; then python=$p; break; fi
done
if [ -n "$python" ]; then
  "$python" - "$tmp/outs.h5" "$tmp/one.h5" <<'EOF' || fail "h5py check of --save-outputs"
import sys, h5py, numpy as np
with h5py.File(sys.argv[1], "r") as f, h5py.File(sys.argv[2], "r") as g:
    assert sorted(f) == ["block5_pool", "logits", "probs"], list(f)
    assert f["block5_pool"].shape == (3, 1, 1, 512) and f["block5_pool"].dtype == np.float32
    probs = f["probs"][:]
    assert np.allclose(probs.sum(axis=1), 1, atol=1e-5), probs
    logits = f["logits"][:]
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    assert np.allclose(e / e.sum(axis=1, keepdims=True), probs, atol=1e-5)
    assert np.array_equal(g["probs"][0], probs[2])
EOF
else
  echo "SKIP: no python3 with h5py, --save-outputs checked with h5dump only"
fi

expect 2 predict "$tmp/tuned.h5" "$tmp/shapes/circle/0000.png" --fetch probs
contains err "--fetch and --save-outputs go together"
expect 2 predict "$tmp/tuned.h5" --data "$tmp" --index 0 --grid "$tmp/x.png"
contains err "--grid and --fetch need image files"
expect 1 predict "$tmp/tuned.h5" "$tmp/shapes/circle/0000.png" --fetch no_such_node \
  --save-outputs "$tmp/x.h5"
contains err "cannot fetch 'no_such_node'"

# ---------------------------------------------------------- pixel scale
# A model takes 0..255 pixels when its image goes into caffe_preprocess
# (VGG16, as Keras's "caffe" mode), else [0, 1]: predict and train follow
# the model, --rescale overrides it in training, a trained model keeps it.
cat >"$tmp/plain.net" <<'EOF'
model plain
input image : f32[batch, 32, 32, 3]
input label : i32[batch]
logits = dense(flatten(image), 2)
output probs = softmax(logits)
loss xent = sparse_cross_entropy(logits, label)
metric pixel = reduce_mean(image)
train sgd(lr=0.001) minimizes xent with batch=8, epochs=1
EOF
sed 's/^model plain/model raw/; s/flatten(image)/flatten(caffe_preprocess(image))/' \
  "$tmp/plain.net" >"$tmp/raw.net"

# pixels FILE.h5: the values of its dataset /image, one per line.
pixels() {
  h5dump -d /image -y -w 0 "$1" 2>&1 | sed -n '/DATA {/,$p' | tr -cs '0-9.e+-' '\n' |
    grep -E '^[0-9]'
}
# figure NAME: NAME's value on the last progress line.
figure() { sed -n "s/.* - $1: \([0-9.]*\).*/\1/p" "$tmp/out" | tail -n 1; }
# scaled A B F: A is B times F (to 1e-4).
scaled() {
  awk -v a="$1" -v b="$2" -v f="$3" \
    'BEGIN { d = a - b * f; exit !(a != "" && b > 0 && d * d <= 1e-8 * a * a) }'
}

# base.h5 (tests/finetune.net as compiled or imported: no /classes) is fed
# the raw pixels; a [0, 1] model the same pixels divided by 255.
image=$tmp/shapes/square/0001.jpg
expect 0 compile "$tmp/plain.net" -o "$tmp/plain.h5"
expect 0 predict "$tmp/base.h5" "$image" --fetch image --save-outputs "$tmp/raw_pixels.h5"
expect 0 predict "$tmp/plain.h5" "$image" --fetch image --save-outputs "$tmp/unit_pixels.h5"
pixels "$tmp/raw_pixels.h5" >"$tmp/raw_pixels"
pixels "$tmp/unit_pixels.h5" >"$tmp/unit_pixels"
[ "$(wc -l <"$tmp/raw_pixels")" -eq 3072 ] && [ "$(wc -l <"$tmp/unit_pixels")" -eq 3072 ] ||
  fail "predict --fetch image did not save 32x32x3 pixels"
paste "$tmp/raw_pixels" "$tmp/unit_pixels" | awk '
  $1 != int($1) || $1 < 0 || $1 > 255 { bad = 1 }
  { d = $2 * 255 - $1; if (d * d > 1e-6) bad = 1; if ($1 > 1) big = 1 }
  END { exit bad || !big }' ||
  fail "predict: the caffe_preprocess model is not fed 0..255 pixels, or plain.net not [0, 1]"

# Training and validation batches: [0, 1] for plain.net, 0..255 for
# raw.net, 0..255 times --rescale when given; a resumed run keeps it.
expect 0 train "$tmp/plain.net" --data "$tmp/shapes" --validation-split 0.25 -o "$tmp/plain.h5"
plain=$(figure pixel) plain_val=$(figure val_pixel)
awk -v a="$plain" -v b="$plain_val" 'BEGIN { exit !(a > 0.01 && a < 1 && b > 0.01 && b < 1) }' ||
  fail "train plain.net: mean pixel $plain, validation $plain_val: not in [0, 1]"
expect 0 inspect "$tmp/plain.h5"
contains out "pixel scale: 0.00392157"
expect 0 train "$tmp/raw.net" --data "$tmp/shapes" --validation-split 0.25
scaled "$(figure pixel)" "$plain" 255 && scaled "$(figure val_pixel)" "$plain_val" 255 ||
  fail "train raw.net: mean pixel $(figure pixel), validation $(figure val_pixel): not 255 times plain.net's"
expect 0 train "$tmp/raw.net" --data "$tmp/shapes" --validation-split 0.25 --rescale 0.5 \
  -o "$tmp/half.h5"
scaled "$(figure pixel)" "$plain" 127.5 && scaled "$(figure val_pixel)" "$plain_val" 127.5 ||
  fail "train --rescale 0.5: mean pixel $(figure pixel), validation $(figure val_pixel)"
expect 0 train "$tmp/half.h5" --data "$tmp/shapes" --validation-split 0.25
scaled "$(figure val_pixel)" "$plain_val" 127.5 ||
  fail "resumed training: validation mean pixel $(figure val_pixel), not --rescale 0.5's"
expect 1 train "$tmp/half.h5" --data "$tmp/shapes" --rescale 0.25
contains err "trained with --rescale 0.5, not 0.25"

# ------------------------------------------------- classes without names

# A model of 12 classes without names: predict shows their numbers.
sed 's/^model plain/model wide/; s/dense(flatten(image), 2)/dense(flatten(image), 12)/' \
  "$tmp/plain.net" >"$tmp/wide.net"
expect 0 compile "$tmp/wide.net" -o "$tmp/wide.h5"
expect 0 predict "$tmp/wide.h5" "$image" --top 12
contains out "12. "
for k in 0 9 10 11; do contains out " ($k) "; done
grep -q '?' "$tmp/out" && fail "$what: a class without a name is shown as '?'"

finish
