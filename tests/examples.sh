#!/bin/sh
# examples.sh: the example programs run as users run them. The CartPole DQN
# must solve CartPole-v0 (last-100 average above 195) for three seeds.
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
top_builddir=${top_builddir:-.}
failed=0
for seed in 1 2 3; do
  if out=$("$top_builddir/examples/cartpole_dqn" "$top_srcdir/models/cartpole_dqn.net" \
           --seed "$seed" --quiet 2>&1); then
    echo "PASS cartpole_dqn seed $seed: $(printf '%s\n' "$out" | tail -n 1)"
  else
    echo "FAIL cartpole_dqn seed $seed:"
    printf '%s\n' "$out" | tail -n 5
    failed=1
  fi
done
exit $failed
