# check_lib.sh: the helpers the shell tests share, sourced after they set
# `name` (for the temporary folder and the summary line):
#   run_expect STATUS COMMAND ARGS...  runs it, keeps stdout and stderr in
#                                      $tmp/out and $tmp/err for the checks
#   contains out|err TEXT              the last command printed TEXT there
#   fail MESSAGE                       counts a failed check
#   finish                             exits 1 when any check failed
# Each script wraps run_expect in its own `expect` (netc, netc env, ...).

tmp=$(mktemp -d "${TMPDIR:-/tmp}/netc-$name.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM
failures=0

fail() {
  echo "FAIL: $*"
  failures=$((failures + 1))
}

run_expect() {
  want=$1
  shift
  what="$*"
  "$@" >"$tmp/out" 2>"$tmp/err"
  got=$?
  if [ "$got" -ne "$want" ]; then
    fail "$what: exit status $got, expected $want"
    sed 's/^/    | /' "$tmp/err"
  fi
}

contains() {
  grep -F -e "$2" "$tmp/$1" >/dev/null ||
    fail "$what: no '$2' on std$1"
}

finish() {
  if [ "$failures" -ne 0 ]; then
    echo "$name.sh: $failures check(s) failed"
    exit 1
  fi
  exit 0
}
