#!/bin/sh
# build.sh: builds the libFuzzer targets of tests/fuzz with clang, AddressSanitizer
# and UndefinedBehaviorSanitizer, in $top_builddir/tests/fuzz/bin: fuzz_net,
# fuzz_h5, fuzz_idx, fuzz_image, fuzz_keras (see README.md). Run by `make fuzz`, which passes
#   CLANG, top_srcdir, top_builddir, FUZZ_CPPFLAGS, FUZZ_LIBS
# in the environment and the library's sources as arguments; the grammar's
# generated C (grammar/parser.c, grammar/lexer.c) is taken from the build
# folder, so `make` must have run. An object is rebuilt when its source or
# any header is newer than it.
# FUZZ_SANITIZE=undefined (or another -fsanitize list) builds a campaign
# variant in tests/fuzz/bin-undefined instead: an input costs 2 to 4 times
# less CPU without ASan (memory errors then show only when they crash).
set -eu
if [ -z "${CLANG-}" ]; then
  echo "make fuzz: no clang with libFuzzer was found by configure: install the" \
    "Debian packages clang and libclang-rt-14-dev, then run configure again" >&2
  exit 2
fi
: "${top_srcdir:=.}"
: "${top_builddir:=.}"
sanitize=${FUZZ_SANITIZE:-address,undefined}
out=$top_builddir/tests/fuzz/bin
[ "$sanitize" = address,undefined ] || out=$out-$(echo "$sanitize" | tr ',' '-')
obj=$out/obj
mkdir -p "$obj"
# -O1 and no -Werror: clang warns differently from the compiler the project
# is checked with, and a fuzz build must not fail on that.
cflags="-std=c11 -g -O1 -fno-omit-frame-pointer -fsanitize=fuzzer-no-link,$sanitize
  -fno-sanitize-recover=undefined"
targets="fuzz_net fuzz_h5 fuzz_idx fuzz_image fuzz_keras"

# The newest header: a changed struct must rebuild every object using it.
# shellcheck disable=SC2046 # the file list is split on purpose
newest_header=$(ls -t $(find "$top_srcdir/common" "$top_srcdir/compiler" "$top_srcdir/grammar" \
  "$top_srcdir/runtime" "$top_srcdir/include" "$top_srcdir/tests/fuzz" \
  -name '*.h' -o -name '*.def') "$top_builddir/config.h" | head -n 1)

# compile SOURCE: prints the object it made (or found up to date).
compile() {
  o=$obj/$(echo "$1" | sed -e "s|^$top_srcdir/||" -e "s|^$top_builddir/||" -e 's|/|_|g').o
  if [ ! -f "$o" ] || [ "$1" -nt "$o" ] || [ "$newest_header" -nt "$o" ]; then
    # shellcheck disable=SC2086 # flag lists are split on purpose
    "$CLANG" $cflags -DHAVE_CONFIG_H $FUZZ_CPPFLAGS -c "$1" -o "$o" >&2
  fi
  echo "$o"
}

objects=
for source in "$@"; do
  case $source in
    *.c) file=$top_srcdir/$source ;;
    *.y | *.l)
      # generated in the build folder, or shipped in the source tree (tarballs)
      file=$top_builddir/${source%.?}.c
      [ -f "$file" ] || file=$top_srcdir/${source%.?}.c ;;
    *) continue ;;
  esac
  objects="$objects $(compile "$file")"
done
support=$(compile "$top_srcdir/tests/fuzz/fuzz_support.c")
for t in $targets; do
  target=$(compile "$top_srcdir/tests/fuzz/$t.c")
  echo "  FUZZ     $out/$t"
  # shellcheck disable=SC2086
  "$CLANG" $cflags -fsanitize=fuzzer -o "$out/$t" "$target" "$support" $objects $FUZZ_LIBS
done
