#!/bin/sh
# replay.sh: replays every fuzz target's seed corpus (tests/fuzz/seeds.sh:
# the models, the golden cases, netc-written .h5 files, images and IDX
# files) through the targets built without libFuzzer (replay_main.c). A
# crash or, in the ASan build, a sanitizer report fails the test; each
# target's committed corpus is replayed by its own test besides.
set -eu
: "${top_srcdir:=.}"
: "${top_builddir:=.}"
top_srcdir=$(cd "$top_srcdir" && pwd)
top_builddir=$(cd "$top_builddir" && pwd)
export top_srcdir top_builddir
tmp=$(mktemp -d "${TMPDIR:-/tmp}/netc-replay.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
sh "$top_srcdir/tests/fuzz/seeds.sh" "$tmp/seeds"
mkdir "$tmp/cwd"
cp -r "$top_srcdir/tests/golden/imports" "$tmp/cwd/imports"
for t in net h5 idx image keras; do
  printf 'replay_%s: ' "$t"
  (cd "$tmp/cwd" && "$top_builddir/tests/fuzz/replay_$t" "$tmp/seeds/$t" </dev/null)
done
