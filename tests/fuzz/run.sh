#!/bin/sh
# run.sh: runs the libFuzzer targets built by build.sh (`make fuzz`).
#   run.sh --smoke             every target over its seeds, 5 seconds each
#   run.sh TARGET SECONDS      a campaign on one target (net, h5, idx, image, keras)
# The seeds are assembled afresh by seeds.sh in $top_builddir/tests/fuzz/seeds;
# what the fuzzer finds is kept in tests/fuzz/work/TARGET (it grows from run
# to run) and crashes in tests/fuzz/artifacts/TARGET. One process, one job:
# the machine is shared. Prints the executions run and their rate; exits
# non-zero when a target crashed, leaked or tripped a sanitizer.
# FUZZ_SANITIZE=undefined runs the faster campaign build of that name
# (build.sh) instead of the ASan one; the work and artifacts are shared.
set -eu
: "${top_srcdir:=.}"
: "${top_builddir:=.}"
top_srcdir=$(cd "$top_srcdir" && pwd)
top_builddir=$(cd "$top_builddir" && pwd)
export top_srcdir top_builddir
dir=$top_builddir/tests/fuzz
bin=$dir/bin
sanitize=${FUZZ_SANITIZE:-address,undefined}
[ "$sanitize" = address,undefined ] || bin=$bin-$(echo "$sanitize" | tr ',' '-')
if [ "${1-}" = "--smoke" ]; then
  targets="net h5 idx image keras"
  seconds=5
elif [ $# -eq 2 ]; then
  targets=$1
  seconds=$2
else
  echo "usage: run.sh --smoke | run.sh net|h5|idx|image|keras SECONDS" >&2
  exit 2
fi
rm -rf "$dir/seeds"
sh "$top_srcdir/tests/fuzz/seeds.sh" "$dir/seeds"
export ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export LSAN_OPTIONS=suppressions=$top_srcdir/tests/fuzz/lsan.supp:print_suppressions=0
for t in $targets; do
  [ -x "$bin/fuzz_$t" ] || { echo "run.sh: no $bin/fuzz_$t: run make fuzz" >&2; exit 2; }
  mkdir -p "$dir/work/$t" "$dir/artifacts/$t" "$dir/scratch"
  # The .net target resolves imports in the current folder: give it the
  # golden imports there, and nothing that could block a read.
  rm -rf "$dir/scratch/imports"
  cp -r "$top_srcdir/tests/golden/imports" "$dir/scratch/imports"
  # Inputs stay near the seeds' sizes: a few huge seeds (the import and
  # nesting limits of the golden cases) would otherwise slow every run.
  case $t in
    h5 | keras) max_len=65536 ;;
    *) max_len=8192 ;;
  esac
  # HDF5's own faults on crafted files (README.md: its object headers; its
  # global heap before netc checked it) would end a keras run early: it goes
  # on past them in a child process, keeping each in artifacts/keras/.
  fork=
  [ "$t" = keras ] && fork="-fork=1 -ignore_crashes=1 -ignore_timeouts=1"
  log=$dir/artifacts/$t/last-run.log
  status=0
  # shellcheck disable=SC2086 # $fork is a list of flags
  (cd "$dir/scratch" && "$bin/fuzz_$t" "$dir/work/$t" "$dir/seeds/$t" \
    -max_total_time="$seconds" -max_len="$max_len" -timeout=20 -rss_limit_mb=4096 \
    -print_final_stats=1 $fork \
    -artifact_prefix="$dir/artifacts/$t/" </dev/null >"$log" 2>&1) || status=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
  # a forked run prints no stats: its last progress line says how many
  [ -n "$execs" ] || execs=$(sed -n 's/^#\([0-9]*\): cov.*/\1/p' "$log" | tail -n 1)
  [ -n "$rate" ] || [ -z "$execs" ] || rate=$((execs / seconds))
  # ... and its status is its last child's: what it kept is counted instead
  if [ -n "$fork" ]; then
    status=0
    sed -n 's/^#.*\(oom\/timeout\/crash: [0-9/]*\).*/fuzz_'"$t"': \1 (kept in artifacts)/p' \
      "$log" | tail -n 1
  fi
  echo "fuzz_$t: ${execs:-?} executions in ${seconds}s, ${rate:-?}/s, status $status"
  if [ "$status" -ne 0 ]; then
    grep -E 'ERROR|SUMMARY|==[0-9]+==|runtime error' "$log" | head -n 20
    echo "fuzz_$t: see $log and $dir/artifacts/$t/" >&2
    exit 1
  fi
done
