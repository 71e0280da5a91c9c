#!/bin/sh
# run.sh: golden diagnostics. For every tests/golden/NAME.net, runs
# `netc check NAME.net` inside tests/golden and requires
#   - stderr to equal NAME.err byte for byte (a unified diff on mismatch),
#   - exit status 1 when NAME.err holds an error, 0 otherwise (warnings only),
#   - no crash: any other status, or death by a signal, fails the case.
# Run by `make check`, which sets top_srcdir and top_builddir; by hand,
#   top_srcdir=. top_builddir=. sh tests/golden/run.sh [NAME...]
# runs every case, or just the NAMEs given. Works from a VPATH build: the
# binary is $top_builddir/netc, the cases are read from $top_srcdir, and
# nothing is written there. After an intended change of a message,
#   sh tests/golden/run.sh --update NAME...
# rewrites those NAME.err files in the source tree (see README.md).

here=$(dirname "$0")
: "${top_srcdir:=$here/../..}"
: "${top_builddir:=.}"
# Absolute paths: each case runs from inside the golden folder.
top_srcdir=$(cd "$top_srcdir" && pwd) || exit 1
top_builddir=$(cd "$top_builddir" && pwd) || exit 1
netc=$top_builddir/netc
golden=$top_srcdir/tests/golden
LC_ALL=C
export LC_ALL

update=0
if [ "${1-}" = "--update" ]; then
  update=1
  shift
  if [ $# -eq 0 ]; then
    echo "run.sh: --update needs the names of the cases to rewrite" >&2
    exit 2
  fi
fi

if [ ! -x "$netc" ]; then
  echo "run.sh: no netc binary at $netc (build it first)" >&2
  exit 1
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/netc-golden.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM

# A hung compiler fails its case instead of stalling `make check`.
limit=
if command -v timeout >/dev/null 2>&1; then limit="timeout 60"; fi

passed=0
failed=0
failures=

# run_case NAME: one case; prints PASS or FAIL with the reasons.
run_case() {
  name=$1
  if [ ! -f "$golden/$name.net" ]; then
    echo "FAIL $name"
    echo "    no $name.net in $golden"
    return 1
  fi
  (cd "$golden" && $limit "$netc" check "$name.net" >"$tmp/out" 2>"$tmp/err")
  status=$?
  if [ "$update" -eq 1 ]; then
    if [ "$status" -gt 1 ]; then
      echo "FAIL $name"
      echo "    netc exited with status $status; $name.err left as it was"
      return 1
    fi
    cp "$tmp/err" "$golden/$name.err" || return 1
    echo "UPDATED $name"
    return 0
  fi
  why=
  if [ ! -f "$golden/$name.err" ]; then
    why="no $name.err; create it with: sh tests/golden/run.sh --update $name"
  else
    # An error line is a diagnostic header ("FILE:L:C: error: ..."), never an
    # excerpt line (those start with the line-number gutter).
    if grep -E '^[^ ]' "$golden/$name.err" | grep -Eq '(^|: )error: '; then
      want=1
    else
      want=0
    fi
    if [ "$status" -gt 128 ]; then
      why="netc crashed (status $status: signal $((status - 128)))"
    elif [ "$status" -eq 124 ] && [ -n "$limit" ]; then
      why="netc did not finish within 60 seconds"
    elif [ "$status" -ne "$want" ]; then
      why="exit status $status, expected $want"
    fi
    if ! cmp -s "$golden/$name.err" "$tmp/err"; then
      why="${why:+$why; }stderr differs from $name.err"
    fi
  fi
  if [ -z "$why" ]; then
    echo "PASS $name"
    return 0
  fi
  echo "FAIL $name"
  echo "    $why"
  if [ -f "$golden/$name.err" ] && ! cmp -s "$golden/$name.err" "$tmp/err"; then
    (cd "$golden" && diff -u "$name.err" "$tmp/err" |
      sed -e "s|^+++ $tmp/err|+++ actual stderr|" -e 's/^/    /')
  fi
  return 1
}

if [ $# -gt 0 ]; then
  names=
  for arg in "$@"; do
    arg=$(basename "$arg" .net)
    names="$names $(basename "$arg" .err)"
  done
else
  names=
  for f in "$golden"/*.net; do
    [ -f "$f" ] || continue
    names="$names $(basename "$f" .net)"
  done
fi

if [ -z "$names" ]; then
  echo "run.sh: no cases found in $golden" >&2
  exit 1
fi

for name in $names; do
  if run_case "$name"; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    failures="$failures $name"
  fi
done

total=$((passed + failed))
if [ "$update" -eq 1 ]; then
  echo "golden: $passed of $total updated"
else
  echo "golden: $passed of $total passed, $failed failed"
fi
if [ "$failed" -gt 0 ]; then
  echo "failed:$failures"
  exit 1
fi
exit 0
