#!/bin/sh
# install.sh: `make install` gives what an application needs: netc.h, the
# library and netc.pc, so that pkg-config builds the embedding example
# against the installed copy (into a scratch DESTDIR).
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
top_builddir=${top_builddir:-.}
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
make -s -C "$top_builddir" install DESTDIR="$tmp/root" > "$tmp/install.log" 2>&1 ||
  { echo "FAIL make install"; cat "$tmp/install.log"; exit 1; }
pc=$(find "$tmp/root" -name netc.pc | head -n 1)
[ -n "$pc" ] || { echo "FAIL no netc.pc installed"; exit 1; }
export PKG_CONFIG_PATH=$(dirname "$pc") PKG_CONFIG_SYSROOT_DIR="$tmp/root"
flags=$(pkg-config --cflags --libs netc) || { echo "FAIL pkg-config netc"; exit 1; }
libdir=$(dirname "$(find "$tmp/root" -name 'libnetc.so' | head -n 1)")
# A sanitizer build's library needs the sanitizer runtime in the program too.
sanitize=""
nm -D "$libdir/libnetc.so" 2>/dev/null | grep -q __asan && sanitize="-fsanitize=address,undefined"
${CC:-cc} $sanitize -o "$tmp/mnist_app" "$top_srcdir/examples/mnist_app.c" $flags \
  -Wl,-rpath,"$libdir" || { echo "FAIL building examples/mnist_app.c with: $flags"; exit 1; }
"$tmp/mnist_app" > /dev/null 2>&1
[ $? -eq 2 ] || { echo "FAIL the installed-library build does not run"; exit 1; }
echo "PASS install: netc.h, libnetc and netc.pc ($flags)"
