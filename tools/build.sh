#!/bin/sh
# build.sh: configures and builds netc out of tree in build/ (warnings are
# errors). Usage: tools/build.sh [configure options...]
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
if [ -f config.status ]; then
  echo "build.sh: the source tree is configured in place; run 'make distclean' first" >&2
  exit 2
fi
[ -x configure ] || autoreconf -fi
mkdir -p build
cd build
[ -f Makefile ] || ../configure --enable-werror "$@"
make -j"$(nproc)"
