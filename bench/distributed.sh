#!/bin/sh
# distributed.sh: data-parallel training on this machine against PyTorch,
# and what it predicts for a cluster (docs/distributed.md). Rows:
#   MNIST CNN training (models/mnist.net, Adam) at global batch 128 and 32:
#     1 process x 1 thread, 1 process x 2 threads, and 2 ranks x 1 thread
#     (netc under mpirun, PyTorch's DistributedDataParallel over gloo,
#     bench/torch_ddp.py): images/s, netc / PyTorch;
#   netc's gradient all-reduce with 2 ranks: ms per step and its share of
#     the step, against MPI_Allreduce of as many floats right after a
#     barrier, and the wait for the slower rank before it;
#   the VGG16 finetune top (models/catsdogs.net: frozen VGG16 base at
#     224x224, 6.4 M trainable weights) at batch 8, the same three ways
#     (netc only);
# then a projection for N machines like this one, one rank of 2 threads
# each, the per-machine batch fixed: step = the 1 x 2 step time + a ring
# all-reduce of the gradient, 2(N-1)/N x bytes / bandwidth + 2(N-1) x
# latency, on 10 Gb/s (latency 20 us) and 100 Gb/s (3 us) links.
# A benchmark, not a test: run it on an idle machine. OPENBLAS_CORETYPE=
# Haswell throughout. Needs netc built with MPI (bench/netc_bench) and
# mpirun; PyTorch (apt-get install python3-torch) for its columns.
# Usage: bench/distributed.sh [--quick]   (or `make bench-distributed`)
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
quick=0
[ "${1:-}" = --quick ] && quick=1
bench=${NETC_BENCH:-}
for candidate in "$top/bench/netc_bench" "$top/build/bench/netc_bench"; do
  [ -n "$bench" ] || { [ -x "$candidate" ] && bench=$candidate; } || true
done
[ -n "$bench" ] && [ -x "$bench" ] || {
  echo "distributed.sh: no bench/netc_bench: run \`make bench/netc_bench\`" >&2
  exit 2
}
command -v mpirun >/dev/null || { echo "distributed.sh: no mpirun (openmpi-bin)" >&2; exit 2; }
export OPENBLAS_CORETYPE=Haswell
python=/usr/bin/python3
torch=1
"$python" -c 'import torch.distributed' 2>/dev/null || torch=0
if [ "$quick" = 1 ]; then repeat=1 batches=2 vgg_batches=1; else repeat=5 batches=16 vgg_batches=3; fi
mpi() { mpirun --allow-run-as-root --oversubscribe --bind-to none "$@"; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT INT TERM

# netc RANKS MODEL BATCH THREADS STEPS: one `netc_bench dp` run; its
# `key value` lines go to $work/netc.
netc() {
  ranks=$1
  shift
  if [ "$ranks" = 1 ]; then set -- "$bench" dp "$@"; else set -- mpi -np "$ranks" "$bench" dp "$@"; fi
  "$@" --repeat "$repeat" >"$work/netc" 2>&1 || { cat "$work/netc" >&2; exit 1; }
}
value() { sed -n "s/^$1 //p" "$work/netc"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b == "-") print "-"; else printf "%.2f", a / b }'; }
torch_rate() { # ARGS of torch_bench.py train or torch_ddp.py
  [ "$torch" = 1 ] || { echo -; return; }
  "$python" "$@" 2>/dev/null | sed -n 's/^rate //p'
}

printf '%-44s %10s %10s %6s\n' "MNIST train, images/s" netc torch ratio
for batch in 128 32; do
  netc 1 "$top/models/mnist.net" "$batch" 1 --batches "$batches"
  one=$(value rate)
  peer=$(torch_rate "$top/bench/torch_bench.py" train mnist "$batch" 1 --batches "$batches" --repeat "$repeat")
  printf '%-44s %10.0f %10s %6s\n' "b$batch 1 process x 1 thread" "$one" "$peer" "$(ratio "$one" "$peer")"
  netc 1 "$top/models/mnist.net" "$batch" 2 --batches "$batches"
  two=$(value rate) step_alone=$(value step_ms)
  peer=$(torch_rate "$top/bench/torch_bench.py" train mnist "$batch" 2 --batches "$batches" --repeat "$repeat")
  printf '%-44s %10.0f %10s %6s\n' "b$batch 1 process x 2 threads" "$two" "$peer" "$(ratio "$two" "$peer")"
  netc 2 "$top/models/mnist.net" "$batch" 1 --batches "$batches"
  ranks=$(value rate)
  peer=$(torch_rate "$top/bench/torch_ddp.py" mnist "$batch" 2 1 --batches "$batches" --repeat "$repeat")
  printf '%-44s %10.0f %10s %6s\n' "b$batch 2 ranks x 1 thread" "$ranks" "$peer" "$(ratio "$ranks" "$peer")"
  printf '  all-reduce of %s MiB: %s ms per step of %s ms (%.1f%%); MPI_Allreduce after a barrier: %s ms; waiting for the other rank before it: %s ms\n' \
    "$(value gradient_mib)" "$(value allreduce_ms)" "$(value step_ms)" \
    "$(awk -v s="$(value allreduce_share)" 'BEGIN { print 100 * s }')" "$(value mpi_allreduce_ms)" \
    "$(value wait_ms)"
  [ "$batch" = 128 ] && mnist_step=$step_alone mnist_mib=$(value gradient_mib)
done

echo "VGG16 finetune top (catsdogs.net, 224x224) b8, images/s (netc)"
netc 1 "$top/models/catsdogs.net" 8 2 --batches "$vgg_batches"
vgg_two=$(value rate) vgg_step=$(value step_ms)
netc 2 "$top/models/catsdogs.net" 8 1 --batches "$vgg_batches"
printf '  1 process x 2 threads %.2f, 2 ranks x 1 thread %.2f; all-reduce of %s MiB: %s ms per step of %s ms (%.1f%%); MPI_Allreduce: %s ms; waiting before it: %s ms\n' \
  "$vgg_two" "$(value rate)" "$(value gradient_mib)" "$(value allreduce_ms)" "$(value step_ms)" \
  "$(awk -v s="$(value allreduce_share)" 'BEGIN { print 100 * s }')" "$(value mpi_allreduce_ms)" \
  "$(value wait_ms)"
vgg_mib=$(value gradient_mib)

echo "Projection: N machines like this one (1 rank x 2 threads each, batch per machine fixed)"
printf '%-30s %6s %22s %22s\n' "" N "10 Gb/s img/s (eff.)" "100 Gb/s img/s (eff.)"
for model in "MNIST b128|$mnist_step|$mnist_mib|128" "VGG16 top b8|$vgg_step|$vgg_mib|8"; do
  echo "$model" | awk -F'|' '{
    step = $2 / 1000; bytes = $3 * 1048576; batch = $4
    for (n = 2; n <= 64; n *= 2) {
      line = sprintf("%-30s %6d", $1 " (step " $2 " ms)", n)
      split("1.25e9 20e-6 12.5e9 3e-6", link, " ")
      for (l = 0; l < 2; l++) {
        bw = link[2 * l + 1]; lat = link[2 * l + 2]
        comm = 2 * (n - 1) / n * bytes / bw + 2 * (n - 1) * lat
        line = line sprintf(" %14.0f (%3.0f%%)", n * batch / (step + comm), 100 * step / (step + comm))
      }
      print line
    }
  }'
done
