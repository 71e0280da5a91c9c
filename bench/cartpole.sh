#!/bin/sh
# cartpole.sh: the CartPole DQN loop of examples/cartpole_dqn against its
# PyTorch port (bench/cartpole_torch.py: same environment, recipe and
# network), same seed and episode budget, no early stop. Prints, for each,
# environment steps/s and train steps/s over the whole loop (acting,
# stepping, storing, fitting) and its wall time, then the speed ratio in
# environment steps/s. The two learn from different random streams, so
# their episodes differ in length: the rates compare, the step counts need
# not. PyTorch runs with 1 and 2 threads; the ratio uses the faster. Each
# loop runs REPEAT times and keeps its fastest run, so a busy machine
# skews the figures less; still, run it on an idle one.
# Usage: bench/cartpole.sh [path/to/examples/cartpole_dqn]
#        (environment: SEED, default 1; EPISODES, default 500; REPEAT, 3)
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
example=${1:-$top/build/examples/cartpole_dqn}
[ -x "$example" ] || example=$top/examples/cartpole_dqn
seed=${SEED:-1}
episodes=${EPISODES:-500}
repeat=${REPEAT:-3}
export OPENBLAS_CORETYPE=Haswell
[ -x "$example" ] || {
  echo "cartpole.sh: no examples/cartpole_dqn (run tools/build.sh)" >&2
  exit 2
}

# Runs NAME COMMAND... REPEAT times; prints the fastest run's "NAME
# ENV_STEPS ENV_RATE TRAIN_STEPS TRAIN_RATE SECONDS", from the summary
# line both programs end with (exit status 1 may just mean "not solved"),
# or shows a run's output when it has no such line.
fastest() {
  name=$1
  shift
  runs=$repeat
  while [ "$runs" -gt 0 ]; do
    out=$("$@" 2>&1) || true
    row=$(printf '%s\n' "$out" | sed -n "s|.* \([0-9]*\) env steps (\([0-9]*\)/s), \
\([0-9]*\) train steps (\([0-9]*\)/s) in \([0-9.]*\) s.*|$name \1 \2 \3 \4 \5|p")
    [ -n "$row" ] || { printf '%s\n' "$out" >&2; return 1; }
    echo "$row"
    runs=$((runs - 1))
  done | sort -k3,3n | tail -n 1
}

printf 'CartPole-v0, seed %s, %s episodes each (no early stop), fastest of %s\n' \
  "$seed" "$episodes" "$repeat"
rows=$(fastest netc "$example" "$top/models/cartpole_dqn.net" --seed "$seed" \
       --episodes "$episodes" --no-stop --quiet)
if ! /usr/bin/python3 -c 'import torch' 2>/dev/null; then
  echo "SKIP PyTorch: /usr/bin/python3 has no torch (apt-get install python3-torch)"
else
  for threads in 1 2; do
    rows="$rows
$(fastest "torch-$threads" /usr/bin/python3 "$top/bench/cartpole_torch.py" \
      --seed "$seed" --episodes "$episodes" --no-stop --threads "$threads")"
  done
fi
printf '%s\n' "$rows" | awk '
  NF != 6 { print "cartpole.sh: no summary line from a run" > "/dev/stderr"
            bad = 1; exit }
  NR == 1 { printf "%-10s %10s %12s %12s %14s %9s\n", "loop", "env steps",
            "env steps/s", "train steps", "train steps/s", "wall (s)" }
  { printf "%-10s %10d %12d %12d %14d %9.2f\n", $1, $2, $3, $4, $5, $6 }
  $1 == "netc" { c = $3 }
  $1 != "netc" && $3 > t { t = $3; best = $1 }
  END { if (bad) exit 1
        if (t) printf "speed ratio netc / %s (env steps/s, whole loop): %.1fx (goal: 10x)\n",
                      best, c / t }'
