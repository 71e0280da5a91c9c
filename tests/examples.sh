#!/bin/sh
# examples.sh: the example programs run as users run them. The CartPole DQN,
# with its default recipe, must solve CartPole-v0 (last-100 average above
# 195, exit status 0) for three seeds that solve it in 242, 319 and 356
# episodes (well under a second each), and refuse a bad option with status 2.
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
top_builddir=${top_builddir:-.}
example=$top_builddir/examples/cartpole_dqn
model=$top_srcdir/models/cartpole_dqn.net
failed=0
for seed in 1 2 3; do
  out=$("$example" "$model" --seed "$seed" --quiet 2>&1)
  status=$?
  last=$(printf '%s\n' "$out" | tail -n 1)
  case $status:$last in
    "0:solved CartPole-v0 at episode "*)
      echo "PASS cartpole_dqn seed $seed: $last" ;;
    *)
      echo "FAIL cartpole_dqn seed $seed (exit status $status):"
      printf '%s\n' "$out" | tail -n 5
      failed=1 ;;
  esac
done
"$example" "$model" --minibatch 256 >/dev/null 2>&1
status=$?
if [ "$status" -eq 2 ]; then
  echo "PASS cartpole_dqn --minibatch larger than --sample: usage error"
else
  echo "FAIL cartpole_dqn --minibatch 256: exit status $status, expected 2"
  failed=1
fi
# A solved agent saved to .h5 and replayed greedily by a fresh process.
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
if "$example" "$model" --seed 1 --quiet --save "$tmp/agent.h5" > /dev/null 2>&1 &&
   out=$("$example" --play "$tmp/agent.h5" 2>&1); then
  echo "PASS cartpole_dqn --save / --play: $out"
else
  echo "FAIL cartpole_dqn --save / --play: ${out:-saving failed}"
  failed=1
fi
exit $failed
