#!/bin/sh
# keras_cli.sh: `netc import-keras` end to end on VGG16 files written by
# tests/make_keras_vgg16 (random weights in Keras's layout): the report and
# exit status 0 for the _notop file into models/catsdogs.net and, in both
# namings, into a small model; the saved weights equal the Keras file's
# values when h5py reads both (skipped without python3-h5py); exit status 1
# with a message for a text file, a missing file, a mis-shaped model and a
# crafted global heap (and no output written); exit status 2 for usage
# errors. Run by `make check`, which sets top_srcdir and top_builddir.

: "${top_srcdir:=.}"
: "${top_builddir:=.}"
netc=$top_builddir/netc
make_keras=$top_builddir/tests/make_keras_vgg16
models=$top_srcdir/models

name=keras_cli
. "$top_srcdir/tests/check_lib.sh"


# expect STATUS COMMAND ARGS...: see run_expect in tests/check_lib.sh.
expect() { run_expect "$@"; }

# ------------------------------------------------------------ fixtures

expect 0 "$make_keras" --notop --naming released "$tmp/notop.h5"
contains out "conv base, released naming"
expect 0 "$make_keras" --notop --naming keras2 --seed 5 "$tmp/notop2.h5"
expect 2 "$make_keras" --naming keras3 "$tmp/x.h5"
contains err "--naming is released or keras2"
expect 2 "$make_keras"

# --------------------------------------------------------- the real model

expect 0 "$netc" import-keras "$tmp/notop.h5" --model "$models/catsdogs.net" \
  -o "$tmp/catsdogs.h5" --seed 3
contains out "into model catsdogs: 13 layers filled, 14,714,688 of 21,137,986 parameters"
contains out "filled: block1_conv1, block1_conv2"
contains out "block5_conv3"
contains out "not filled (weights kept): dense, logits"
contains out "wrote $tmp/catsdogs.h5"
expect 0 "$netc" inspect "$tmp/catsdogs.h5"

# ----------------------------------------------- a small model, both namings

cat >"$tmp/small.net" <<'NET'
model small
input image : f32[batch, 16, 16, 3]
x = conv2d(image, 64, 3, padding=same, act=relu, name="block1_conv1")
x = conv2d(x, 64, 3, padding=same, act=relu, name="block1_conv2")
output y = dense(flatten(maxpool(x, 2)), 10)
NET
for keras in notop notop2; do
  expect 0 "$netc" import-keras "$tmp/$keras.h5" --model "$tmp/small.net" -o "$tmp/small-$keras.h5"
  contains out "2 layers filled, 38,720 of 79,690 parameters"
  contains out "skipped (not in the model): block2_conv1"
  contains out "not filled (weights kept): dense"
done

python=
for p in python3 /usr/bin/python3; do
  if "$p" -c 'import h5py' >/dev/null 2>&1; then python=$p; break; fi
done
if [ -n "$python" ]; then
  expect 0 "$python" - "$tmp/notop.h5" "$tmp/small-notop.h5" "$tmp/notop2.h5" \
    "$tmp/small-notop2.h5" <<'PY'
import sys
import h5py
import numpy

checked = 0
for keras, saved in ((sys.argv[1], sys.argv[2]), (sys.argv[3], sys.argv[4])):
    with h5py.File(keras, "r") as k, h5py.File(saved, "r") as n:
        names = [x.decode() if isinstance(x, bytes) else x for x in k.attrs["layer_names"]]
        assert names[1] == "block1_conv1" and names[-1] == "block5_pool", names
        for layer in ("block1_conv1", "block1_conv2"):
            weights = k[layer].attrs["weight_names"]
            kernel, bias = (w.decode() if isinstance(w, bytes) else w for w in weights)
            assert numpy.array_equal(k[layer][kernel][()], n["params"][layer]["kernel"][()])
            assert numpy.array_equal(k[layer][bias][()], n["params"][layer]["bias"][()])
            checked += 1
print("h5py: %d layers equal" % checked)
PY
  contains out "h5py: 4 layers equal"
else
  echo "SKIP: h5py checks (no python3 with h5py)"
fi

# ---------------------------------------------------------------- failures

sed 's/conv2d(image, 64,/conv2d(image, 32,/' "$tmp/small.net" >"$tmp/narrow.net"
expect 1 "$netc" import-keras "$tmp/notop.h5" --model "$tmp/narrow.net" -o "$tmp/narrow.h5"
contains err "netc: $tmp/notop.h5: block1_conv1/kernel: file has f32[3,3,3,64]"
contains err "model expects f32[3,3,3,32]"
[ ! -e "$tmp/narrow.h5" ] || fail "import-keras wrote $tmp/narrow.h5 after an error"
echo "not hdf5" >"$tmp/text.h5"
expect 1 "$netc" import-keras "$tmp/text.h5" --model "$tmp/small.net" -o "$tmp/x.h5"
contains err "netc: $tmp/text.h5: not an HDF5 file, so not a Keras weight file"
expect 1 "$netc" import-keras "$tmp/small-notop.h5" --model "$tmp/small.net" -o "$tmp/x.h5"
contains err "an HDF5 file but not a Keras weight file"
# a crafted global heap (HDF5 1.10 itself would crash on it): refused first
bad=$top_srcdir/tests/fuzz/corpus/keras/regress-vlen-heap-object-overflow.h5
expect 1 "$netc" import-keras "$bad" --model "$tmp/small.net" -o "$tmp/x.h5"
contains err "netc: $bad: damaged HDF5 file: in the global heap collection at byte 2048, an object at byte 2176"
[ ! -e "$tmp/x.h5" ] || fail "import-keras wrote $tmp/x.h5 after an error"
expect 1 "$netc" import-keras "$tmp/missing.h5" --model "$tmp/small.net" -o "$tmp/x.h5"
contains err "netc: $tmp/missing.h5: cannot open"

expect 2 "$netc" import-keras --model "$tmp/small.net" -o "$tmp/x.h5"
contains err "import-keras needs one Keras .h5 file"
expect 2 "$netc" import-keras "$tmp/notop.h5" -o "$tmp/x.h5"
contains err "import-keras needs --model FILE"
expect 2 "$netc" import-keras "$tmp/notop.h5" --model "$tmp/small.net"
contains err "import-keras needs -o FILE"
expect 0 "$netc" --help
contains out "import-keras"
expect 0 "$netc" import-keras --help
contains out "usage: netc import-keras KERAS.h5 --model FILE.net -o OUT.h5"

finish
