#!/bin/sh
# cli.sh: end-to-end checks of the netc command line: exit codes (0 ok,
# 1 failure, 2 usage), the summary figures of the reference models, and DOT
# output that Graphviz accepts. Run by `make check`, which sets top_srcdir
# and top_builddir; to add a check, call `expect` and then `contains`.

: "${top_srcdir:=.}"
: "${top_builddir:=.}"
netc=$top_builddir/netc
models=$top_srcdir/models

tmp=$(mktemp -d "${TMPDIR:-/tmp}/netc-cli.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM
failures=0

fail() {
  echo "FAIL: $*"
  failures=$((failures + 1))
}

# expect STATUS ARGS...: runs netc with ARGS; stdout and stderr are kept in
# $tmp/out and $tmp/err for the checks that follow.
expect() {
  want=$1
  shift
  what="netc $*"
  "$netc" "$@" >"$tmp/out" 2>"$tmp/err"
  got=$?
  if [ "$got" -ne "$want" ]; then
    fail "$what: exit status $got, expected $want"
    sed 's/^/    | /' "$tmp/err"
  fi
}

# contains out|err TEXT: the last command's stdout or stderr holds TEXT.
contains() {
  grep -F -e "$2" "$tmp/$1" >/dev/null ||
    fail "$what: no '$2' on std$1"
}

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

if [ "$failures" -ne 0 ]; then
  echo "cli.sh: $failures check(s) failed"
  exit 1
fi
echo "cli.sh: all checks passed"
