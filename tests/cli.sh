#!/bin/sh
# cli.sh: end-to-end checks of the netc command line: exit codes (0 ok,
# 1 failure, 2 usage), the summary figures of the reference models, DOT
# output that Graphviz accepts, saved .h5 models (compile, summary, inspect,
# damaged files), and on Fashion-MNIST a short training run, save, resume
# (bit-exact), eval, predict and a samples PNG (skipped when the
# dataset-fashion-mnist package is not installed). Run by `make check`,
# which sets top_srcdir and top_builddir; to add a check, call `expect` and
# then `contains`.

: "${top_srcdir:=.}"
: "${top_builddir:=.}"
netc=$top_builddir/netc
models=$top_srcdir/models

name=cli
. "$top_srcdir/tests/check_lib.sh"


# expect STATUS ARGS...: see run_expect in tests/check_lib.sh.
expect() { _status=$1; shift; run_expect "$_status" "$netc" "$@"; }

# empty out|err: the last command wrote nothing there.
empty() {
  [ ! -s "$tmp/$1" ] || fail "$what: unexpected output on std$1"
}

# ------------------------------------------------------------ usage

expect 0 --help
contains out "usage: netc"
contains out "summary"
expect 0 -h
contains out "usage: netc"
expect 0 --version
contains out "netc "
expect 0 dot --help
contains out "usage: netc dot"
expect 2
contains err "usage: netc"
expect 2 chek "$models/mnist.net"
contains err "did you mean 'check'?"
expect 2 --bogus
contains err "unknown option '--bogus'"
expect 2 check
contains err "usage: netc check"
expect 2 summary --bogus "$models/mnist.net"
contains err "unknown option '--bogus'"
expect 2 check -o "$tmp/x" "$models/mnist.net"
expect 2 check "$models/mnist.net" "$models/mnist.net"
expect 2 dot "$models/mnist.net" -o
# the one diagnostic without a .net file to show (tests/golden/coverage.py)
expect 1 check "$tmp/nope.net"
contains err "error: cannot read '$tmp/nope.net': No such file or directory"

# ----------------------------------------------------- good models

expect 0 check "$models/mnist.net"
contains out "mnist.net: ok (model mnist, 1,199,882 parameters)"
empty err
expect 0 check "$models/cartpole_dqn.net"
contains out ": ok (model cartpole_dqn, "
expect 0 check "$models/vgg16.net"
contains out ": ok (model vgg16, 138,357,544 parameters)"

expect 0 summary "$models/mnist.net"
contains out 'Model: "mnist"'
contains out "Layer (type)"
contains out "image (input)"
contains out "Total params: 1,199,882"
contains out "FLOPs per example: "
contains out "Activation memory per example: "
contains out "Memory planned at batch 128:"
contains out "training step: weights + slots + train arena"
expect 0 summary --batch 1 "$models/mnist.net"
contains out "Memory planned at batch 1:"
expect 0 summary "$models/vgg16.net"
contains out "14,714,688"
contains out "138,357,544"
expect 0 summary "$models/cartpole_dqn.net"
contains out "Total params: "

# ------------------------------------------------------------- DOT

for model in mnist cartpole_dqn vgg16; do
  expect 0 dot -o "$tmp/$model.dot" "$models/$model.net"
  empty out
  if ! head -n 1 "$tmp/$model.dot" 2>/dev/null | grep -q '^digraph '; then
    fail "$what: $model.dot does not start a digraph"
  elif command -v dot >/dev/null 2>&1; then
    dot -Tsvg "$tmp/$model.dot" >"$tmp/$model.svg" 2>"$tmp/dot.err" ||
      fail "dot -Tsvg rejects the DOT of $model: $(head -n 3 "$tmp/dot.err")"
  fi
done
command -v dot >/dev/null 2>&1 ||
  echo "SKIP: Graphviz dot not found, DOT output not rendered"
expect 0 dot "$models/mnist.net"
cmp -s "$tmp/out" "$tmp/mnist.dot" ||
  fail "$what: standard output differs from the -o file"
expect 1 dot -o "$tmp/no/such/dir/x.dot" "$models/mnist.net"
contains err "cannot open"

# ------------------------------------------------------ bad models

printf 'model bad\ninput x : f32[batch, 4]\noutput y = relu(undefined_name)\n' \
  >"$tmp/bad.net"
expect 1 check "$tmp/bad.net"
contains err "bad.net:3:"
contains err "error"
contains err "netc: 1 error"
empty out
printf 'model bad\ninput x : f32[batch, 4]\n)))\n' >"$tmp/syntax.net"
expect 1 summary "$tmp/syntax.net"
contains err "syntax.net:3:"
empty out
expect 1 check "$tmp/no_such_file.net"
contains err "no_such_file.net"

# ------------------------------------------------- train, samples

expect 0 train --help
contains out "usage: netc train"
contains out "--validation-split F"
expect 0 samples --help
contains out "usage: netc samples"
expect 2 train "$models/mnist.net"
contains err "train needs --data DIR"
expect 2 samples
contains err "samples needs --data DIR"
expect 2 train "$models/mnist.net" --data "$tmp" --bogus
contains err "unknown option '--bogus'"
expect 2 train "$models/mnist.net" --data "$tmp" --epochs two
contains err "--epochs needs a whole number, got 'two'"
expect 2 train "$models/mnist.net" --data "$tmp" --batch 0
contains err "--batch must be from 1"
expect 2 train "$models/mnist.net" --data "$tmp" --validation-split 1
expect 2 train --data "$tmp"
contains err "train needs a model file"
expect 2 samples --data "$tmp" "$models/mnist.net"
contains err "unexpected argument"
expect 2 samples --data "$tmp" --count=0
expect 1 train "$models/mnist.net" --data "$tmp/no/such/dir"
contains err "$tmp/no/such/dir"
empty out
expect 1 samples --data "$tmp/no/such/dir"
contains err "$tmp/no/such/dir"
expect 1 train "$models/mnist.net" --data "$tmp"
contains err "$tmp/train-images-idx3-ubyte"
# dims whose product overflows 64 bits (found by tests/fuzz/fuzz_idx)
mkdir "$tmp/huge"
printf '\0\0\10\3\1\0\0\0\1\0\0\0\1\0\0\0' >"$tmp/huge/train-images-idx3-ubyte"
expect 1 samples --data "$tmp/huge"
contains err "$tmp/huge/train-images-idx3-ubyte: the dims announce more than"
# a 16-byte file announcing 10^12 bytes: read as it comes, not allocated
printf '\0\0\10\3\0\17\102\100\0\0\3\350\0\0\3\350' >"$tmp/huge/train-images-idx3-ubyte"
expect 1 train "$models/mnist.net" --data "$tmp/huge"
contains err "train-images-idx3-ubyte: truncated: the header announces 1000000 records"

# ------------------------------------------------ saved models (.h5)

expect 0 compile --help
contains out "usage: netc compile FILE.net -o FILE.h5"
expect 0 compile "$models/mnist.net" -o "$tmp/mnist.h5"
contains out "wrote $tmp/mnist.h5: model mnist, 1,199,882 parameters initialized with seed 0"
expect 0 summary "$models/mnist.net"
mv "$tmp/out" "$tmp/summary.net.txt"
expect 0 summary "$tmp/mnist.h5"
cmp -s "$tmp/out" "$tmp/summary.net.txt" ||
  fail "$what: the summary of the saved model differs from the .net file's"
expect 0 check "$tmp/mnist.h5"
contains out "mnist.h5: ok (model mnist, 1,199,882 parameters)"
expect 0 dot -o "$tmp/saved.dot" "$tmp/mnist.h5"
cmp -s "$tmp/saved.dot" "$tmp/mnist.dot" ||
  fail "$what: the DOT of the saved model differs from the .net file's"
expect 0 inspect "$tmp/mnist.h5"
contains out "step: 0"
contains out "optimizer: adam, minimizing xent"
contains out "history: none"
expect 0 compile "$models/mnist.net" -o "$tmp/again.h5"
cmp -s "$tmp/mnist.h5" "$tmp/again.h5" ||
  fail "$what: one model saved twice gives different files"
expect 2 compile "$models/mnist.net"
contains err "compile needs -o FILE"
expect 2 compile "$tmp/mnist.h5" -o "$tmp/x.h5"
contains err "compile takes a .net file"
expect 1 compile "$models/mnist.net" -o "$tmp/no/such/dir/x.h5"
contains err "cannot save $tmp/no/such/dir/x.h5"
expect 2 predict "$tmp/mnist.h5"
contains err "predict needs --index K (with --data) or image files"
expect 2 predict "$tmp/mnist.h5" --index 0
contains err "--index needs --data DIR"
expect 2 train "$tmp/mnist.h5" --data "$tmp" --seed 1
contains err "--seed is for .net files"
expect 2 train "$models/mnist.net" --data "$tmp" --checkpoint-every 2
contains err "--checkpoint-every needs -o OUT.h5"
expect 1 inspect "$tmp/missing.h5"
contains err "missing.h5: cannot open: No such file or directory"
printf 'not a model\n' >"$tmp/text.h5"
expect 1 summary "$tmp/text.h5"
contains err "text.h5: not an HDF5 file, so not a netc model file"
head -c 4000 "$tmp/mnist.h5" >"$tmp/cut.h5"
expect 1 eval "$tmp/cut.h5" --data "$tmp"
contains err "cut.h5: truncated: 4000 of its "
empty out

fashion=/usr/share/datasets/fashion-mnist
if [ -d "$fashion" ]; then
  expect 0 train "$models/mnist.net" --data "$fashion" --epochs 1 \
    --limit 640 --test-limit 200 --batch 32
  contains out "train on 640 images, test on 200"
  contains out "predictions before training (first 5 test images):"
  contains out "Epoch 1/1"
  contains out "20/20 [==============================]"
  contains out "test xent: "
  contains out " - test acc: "
  contains out "images/s"
  contains out "predictions after training (first 5 test images):"
  contains out "true: Ankle boot"
  # not a terminal: the epoch's last line only, no redrawing
  [ "$(grep -c '^20/20 ' "$tmp/out")" -eq 1 ] ||
    fail "$what: expected one progress line per epoch"
  ! grep -q "$(printf '\r')" "$tmp/out" ||
    fail "$what: carriage returns on standard output, which is no terminal"

  expect 0 train "$models/mnist.net" --data "$fashion" --epochs 1 \
    --limit 128 --test-limit 16 --batch 32 --validation-split 0.25
  contains out "train on 96 images, validate on 32, test on 16"
  contains out " - val_acc: "
  expect 1 train "$models/cartpole_dqn.net" --data "$fashion" --limit 32 \
    --test-limit 8
  contains err "no column 'state' for input 'state'"
  contains err "hint: netc train feeds"

  # save, resume, evaluate, predict; 128 images in batches of 32: 4 steps
  # an epoch. Resuming is bit-exact: 1 + 1 epochs give the very file 2 do.
  small="--data $fashion --limit 128 --test-limit 16 --batch 32"
  expect 0 train "$tmp/mnist.h5" $small --epochs 1 -o "$tmp/one.h5" \
    --checkpoint-every 3
  contains out "saved $tmp/one.h5 (step 4)"
  grep '^test image 0: ' "$tmp/out" >"$tmp/trained.txt" ||
    fail "$what: no prediction of test image 0 after saving"
  expect 0 predict "$tmp/one.h5" --data "$fashion" --index 0
  cmp -s "$tmp/out" "$tmp/trained.txt" ||
    fail "$what: the saved model predicts test image 0 differently: $(cat "$tmp/out")"
  expect 0 predict "$tmp/one.h5" --data "$fashion" --index 1 --top 3
  contains out "test image 1 (true: Pullover):"
  contains out "  3. "
  expect 0 inspect "$tmp/one.h5"
  contains out "step: 4"
  contains out "epoch: 1 finished"
  contains out "epoch 1: xent: "
  expect 0 eval "$tmp/one.h5" --data "$fashion" --test-limit 16
  contains out "test xent: "
  expect 0 train "$tmp/one.h5" $small --epochs 1 -o "$tmp/resumed.h5"
  contains out "resuming at step 4"
  contains out "saved $tmp/resumed.h5 (step 8)"
  expect 0 train "$tmp/mnist.h5" $small --epochs 2 -o "$tmp/whole.h5"
  cmp -s "$tmp/whole.h5" "$tmp/resumed.h5" ||
    fail "$what: 1 + 1 epochs with a save between differ from 2 epochs"
  expect 0 samples --data "$fashion" --test --count 1 -o "$tmp/one.png"
  expect 0 predict "$tmp/one.h5" "$tmp/one.png" --top 2
  contains out "one.png:"
  contains out "  2. "
  expect 1 predict "$tmp/one.h5" "$tmp/missing.png"
  contains err "missing.png: cannot open"

  expect 0 samples --data "$fashion" -o "$tmp/samples.png"
  contains out "wrote $tmp/samples.png: the first 32 training images"
  contains out "Ankle boot"
  signature=$(od -An -tx1 -N8 "$tmp/samples.png" | tr -d ' \n')
  [ "$signature" = 89504e470d0a1a0a ] ||
    fail "$what: no PNG signature in samples.png (got '$signature')"
  if command -v file >/dev/null 2>&1; then
    file "$tmp/samples.png" | grep -q 'PNG image data' ||
      fail "$what: file(1) says: $(file "$tmp/samples.png")"
  else
    echo "SKIP: file(1) not found, samples.png checked by signature only"
  fi
  expect 1 samples --data "$fashion" -o "$tmp/no/such/dir/samples.png"
  contains err "cannot write $tmp/no/such/dir/samples.png"
else
  echo "SKIP: $fashion not found, train and samples not run on data"
fi

finish
