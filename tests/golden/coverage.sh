#!/bin/sh
# coverage.sh: fails when a diagnostic the compiler can emit has no golden
# case (tests/golden/coverage.py lists them); skipped without python3.
: "${top_srcdir:=.}"
command -v python3 >/dev/null 2>&1 || { echo "coverage.sh: no python3, skipped"; exit 77; }
exec python3 "$top_srcdir/tests/golden/coverage.py" "$top_srcdir"
