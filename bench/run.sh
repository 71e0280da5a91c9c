#!/bin/sh
# run.sh: netc against PyTorch, workload by workload, in one table. Each
# figure comes from its own process (bench/netc_bench for netc,
# bench/torch_bench.py under /usr/bin/python3 for PyTorch): same model, same
# batch, same thread count, random data, warm-up excluded, the median of
# several measurements. Workloads:
#   MNIST CNN training (models/mnist.net, fit, Adam) at batch 32 and 128 and
#     inference at batch 1000, 1 and 2 threads: images/s;
#   VGG16 conv base inference at 224x224 (bench/vgg16_conv_base.net), batch
#     1 and 8, 2 threads: images/s and each process's peak RSS (PyTorch also
#     at 1 thread, shown when that is faster);
#   the CartPole DQN train step (models/cartpole_dqn.net, 4-16-16-2, batch
#     128), 1 and 2 threads: steps/s, i.e. per-call overhead;
#   OpenBLAS sgemm GFLOPS (N x N, 1 and 2 threads), and each convolution's
#     forward GFLOPS (netc's per-op profile) as a fraction of the best
#     2-thread sgemm figure.
# The ratio is netc / PyTorch for rates and PyTorch / netc for memory:
# above 1, netc is better. OPENBLAS_CORETYPE=Haswell throughout, except the
# one sgemm row labelled "auto core" (OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE
# unset). A benchmark, not a test: run it on an idle machine.
# Usage: bench/run.sh [--quick] [--json]   (or `make bench`,
#        `make bench BENCH_FLAGS=--quick`)
#   --quick  2 threads only, one short measurement each, fit epochs of
#            one batch, no MNIST batch 128, VGG16 batch 8 nor 2048 sgemm: a
#            smoke run whose figures mean little
#   --json   the rows as a JSON array instead of the table
# Environment: NETC_BENCH, the netc_bench binary (default: bench/netc_bench
# in the build folder); BENCH_REPEAT (measurements, 5) and BENCH_SECONDS
# (length of each, 0.5) override the defaults.
# PyTorch: apt-get install python3-torch (not in tools/install-deps.sh: CI
# does not need it); without it only netc's figures are shown.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
quick=0
json=0
for arg in "$@"; do
  case $arg in
    --quick) quick=1 ;;
    --json) json=1 ;;
    *) sed -n '2,/^set -eu/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 2 ;;
  esac
done
bench=${NETC_BENCH:-}
for candidate in "$top/bench/netc_bench" "$top/build/bench/netc_bench"; do
  [ -n "$bench" ] || { [ -x "$candidate" ] && bench=$candidate; } || true
done
[ -n "$bench" ] && [ -x "$bench" ] || {
  echo "run.sh: no bench/netc_bench: build it with \`make bench/netc_bench\` (or run \`make bench\`)" >&2
  exit 2
}
if [ "$quick" = 1 ]; then
  repeat=${BENCH_REPEAT:-1} seconds=${BENCH_SECONDS:-0.05} batches=1
  thread_counts=2 train_batches=32 vgg_batches=1 sizes=1024
else
  repeat=${BENCH_REPEAT:-5} seconds=${BENCH_SECONDS:-0.5} batches=4
  thread_counts="1 2" train_batches="32 128" vgg_batches="1 8" sizes="1024 2048"
fi
export OPENBLAS_CORETYPE=Haswell
python=/usr/bin/python3
torch=1
if ! "$python" -c 'import torch' 2>/dev/null; then
  torch=0
  echo "run.sh: PyTorch is missing for $python: install it with" \
       "\`apt-get install python3-torch\`; showing netc's figures only" >&2
fi
models=$top/models
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT INT TERM
rows=$work/rows   # workload|unit|netc|torch|ratio|note
: >"$rows"

# Runs one side's command; sets rate and rss from its `rate`/`rss_kib` lines
# and keeps its whole output in $work/out.
measure() {
  if ! "$@" --repeat "$repeat" --seconds "$seconds" >"$work/out" 2>&1; then
    echo "run.sh: failed: $*" >&2
    cat "$work/out" >&2
    exit 1
  fi
  rate=$(sed -n 's/^rate //p' "$work/out")
  rss=$(sed -n 's/^rss_kib //p' "$work/out")
}

# row WORKLOAD UNIT NETC TORCH NOTE: a table row; ratio NETC / TORCH
# ("-" for a missing figure).
row() {
  ratio=-
  [ "$4" = - ] || ratio=$(awk -v a="$3" -v b="$4" 'BEGIN { printf "%.2f", a / b }')
  printf '%s|%s|%s|%s|%s|%s\n' "$1" "$2" "$3" "$4" "$ratio" "$5" >>"$rows"
  [ "$json" = 1 ] || printf '  %s: %s %s, torch %s\n' "$1" "$3" "$2" "$4" >&2
}

# compare WORKLOAD UNIT NETC_ARGS -- TORCH_ARGS: both sides, one row; the
# 2-thread row notes PyTorch's 1-thread figure of the row before when that
# was faster. Sets netc_rss and torch_rss.
last_torch_1t=
compare() {
  name=$1 unit=$2
  shift 2
  netc_args=
  while [ "$1" != -- ]; do netc_args="$netc_args $1"; shift; done
  shift
  # shellcheck disable=SC2086
  measure "$bench" $netc_args
  netc_rate=$rate netc_rss=$rss torch_rate=- torch_rss=- note=
  if [ "$torch" = 1 ]; then
    measure "$python" "$top/bench/torch_bench.py" "$@"
    torch_rate=$rate torch_rss=$rss
    threads=$4  # of the PyTorch arguments: WORKLOAD MODEL BATCH THREADS
    if [ "$threads" = 1 ]; then
      last_torch_1t=$rate
    elif [ -n "$last_torch_1t" ] &&
         awk -v a="$last_torch_1t" -v b="$rate" 'BEGIN { exit !(a > b) }'; then
      note="torch best at 1 thread: $last_torch_1t"
    fi
  fi
  row "$name" "$unit" "$netc_rate" "$torch_rate" "$note"
}

[ "$json" = 1 ] || echo "measuring (repeat $repeat, ${seconds}s each) ..." >&2
for batch in $train_batches; do
  for threads in $thread_counts; do
    compare "MNIST train b$batch ${threads}T" images/s \
      train "$models/mnist.net" $batch $threads --batches $batches -- \
      train mnist $batch $threads --batches $batches
  done
done
for threads in $thread_counts; do
  compare "MNIST infer b1000 ${threads}T" images/s \
    predict "$models/mnist.net" probs 1000 $threads -- predict mnist 1000 $threads
done
mib() { [ "$1" = - ] && echo - || awk -v k="$1" 'BEGIN { printf "%.0f", k / 1024 }'; }
for batch in $vgg_batches; do
  last_torch_1t=
  if [ "$torch" = 1 ] && [ "$quick" = 0 ]; then
    measure "$python" "$top/bench/torch_bench.py" predict vgg16 "$batch" 1
    last_torch_1t=$rate
  fi
  compare "VGG16 conv base b$batch 2T" images/s \
    predict "$top/bench/vgg16_conv_base.net" conv_base "$batch" 2 -- predict vgg16 "$batch" 2
  netc_mib=$(mib "$netc_rss") torch_mib=$(mib "$torch_rss")
  # for memory the ratio is torch / netc, so above 1 is still netc's way
  ratio=-
  [ "$torch_mib" = - ] || ratio=$(awk -v a="$netc_rss" -v b="$torch_rss" 'BEGIN { printf "%.2f", b / a }')
  printf '%s|%s|%s|%s|%s|%s\n' "VGG16 conv base b$batch peak RSS" MiB "$netc_mib" \
    "$torch_mib" "$ratio" "ratio: torch / netc" >>"$rows"
done
for threads in $thread_counts; do
  compare "DQN MLP train step b128 ${threads}T" steps/s \
    step "$models/cartpole_dqn.net" 128 $threads -- step dqn 128 $threads
done

# OpenBLAS itself, then each convolution against the best 2-thread figure.
best=0
for n in $sizes; do
  for threads in $thread_counts; do
    measure "$bench" sgemm "$n" "$threads"
    row "sgemm ${n}x${n} ${threads}T" GFLOPS "$rate" - ""
    [ "$threads" = 1 ] || best=$(awk -v a="$best" -v b="$rate" 'BEGIN { print (b > a ? b : a) }')
  done
done
measure env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE "$bench" sgemm "$n" 2
row "sgemm ${n}x${n} 2T (auto core)" GFLOPS "$rate" - "OPENBLAS_CORETYPE, OPENBLAS_L2_SIZE unset"
conv_rows() { # MODEL OUTPUT BATCH LABEL
  measure "$bench" predict "$1" "$2" "$3" 2 --profile
  sed -n 's/^conv //p' "$work/out" | while read -r layer conv whole; do
    fraction=$(awk -v a="$conv" -v b="$best" 'BEGIN { printf "%.0f%%", 100 * a / b }')
    printf '%s|%s|%s|%s|%s|%s\n' "$4 $layer fwd 2T" GFLOPS "$conv" - - \
      "$fraction of sgemm; with bias+relu $whole" >>"$rows"
  done
}
conv_rows "$models/mnist.net" probs 1000 "MNIST b1000"
conv_rows "$top/bench/vgg16_conv_base.net" conv_base "${vgg_batches##* }" \
  "VGG16 b${vgg_batches##* }"

if [ "$json" = 1 ]; then
  awk -F'|' '
    function str(s) { gsub(/\\/, "\\\\", s); gsub(/"/, "\\\"", s); return "\"" s "\"" }
    function num(s) { return s == "-" ? "null" : s }
    BEGIN { printf "[" }
    { printf "%s\n  {\"workload\": %s, \"unit\": %s, \"netc\": %s, \"torch\": %s, " \
             "\"ratio\": %s, \"note\": %s}", NR > 1 ? "," : "", str($1), str($2),
             num($3), num($4), num($5), str($6) }
    END { print "\n]" }' "$rows"
else
  printf '\nnetc vs PyTorch %s (CPU), %s; ratio > 1: netc better\n' \
    "$([ "$torch" = 1 ] && "$python" -c 'import torch; print(torch.__version__)' || echo missing)" \
    "$(nproc) cores"
  awk -F'|' '
    function fig(s) { return s == "-" ? s : sprintf(s + 0 >= 100 ? "%.0f" : "%.3g", s) }
    BEGIN { printf "%-34s %-9s %10s %10s %7s  %s\n", "workload", "unit", "netc",
                   "torch", "ratio", "note" }
    { printf "%-34s %-9s %10s %10s %7s  %s\n", $1, $2, fig($3), fig($4), $5, $6 }' "$rows"
fi
