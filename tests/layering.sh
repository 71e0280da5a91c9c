#!/bin/sh
# layering.sh: the include rule of STYLE.md section 5 and the library's
# promise never to print, exit or abort, checked by grep.
#   common/   -> include/ and common/ only
#   grammar/  -> common/, include/
#   compiler/ -> grammar/, common/, include/ (never runtime/)
#   runtime/  -> compiler/ir.h, compiler/ops.def, common/, include/
#   tools/, examples/ -> netc.h and their own headers only
set -u
top=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
# flex's output, checked for printing and exiting too (Makefile.am cuts
# flex's own fatal-error handler from it)
scanner=$(cd "${top_builddir:-$top}" && pwd)/grammar/lexer.c
cd "$top" || exit 1
failed=0
violation() { echo "FAIL $*"; failed=1; }

# Hand-written sources of some folders (bison and flex outputs left out).
sources() {
  find "$@" -name '*.[chly]' 2>/dev/null |
    grep -vE '^grammar/(lexer|parser)\.[ch]$'
}
# Project headers a folder's files include ("dir/file.h" form).
includes() { grep -Hn '#include "' $(sources "$@") 2>/dev/null; }

for line in $(includes common | sed 's/ //g'); do
  case $line in *'"common/'*|*'"netc.h"'*|*'"config.h"'*) ;; *) violation "$line";; esac
done
for line in $(includes grammar | sed 's/ //g'); do
  case $line in *'"compiler/'*|*'"runtime/'*) violation "$line";; esac
done
for line in $(includes compiler | sed 's/ //g'); do
  case $line in *'"runtime/'*) violation "$line";; esac
done
for line in $(includes runtime | sed 's/ //g'); do
  case $line in
    *'"compiler/ir.h"'*|*'"compiler/ops.def"'*) ;;
    *'"compiler/'*|*'"grammar/'*|*'parser.h"'*) violation "$line";;
  esac
done
# Their own headers (no folder in the name) are theirs to include.
for line in $(includes tools examples | sed 's/ //g'); do
  case $line in
    *'"netc.h"'*|*'"config.h"'*) ;;
    *'#include"'*/*) violation "$line";;
  esac
done

# The library returns statuses; only tools/ may print or exit.
[ -f "$scanner" ] || violation "no generated scanner at $scanner"
lib_files="$(sources common grammar compiler runtime) $scanner"
hits=$(grep -HnE '(^|[^_a-z])(exit|abort|printf|fprintf|puts|perror|assert)[[:space:]]*\(' $lib_files 2>/dev/null |
       grep -vE 'snprintf|vsnprintf|//|^\S+:[0-9]+:\s*(\*|/\*)')
[ -n "$hits" ] && violation "library code prints, exits or asserts:
$hits"

[ $failed -eq 0 ] && echo "PASS layering"
exit $failed
