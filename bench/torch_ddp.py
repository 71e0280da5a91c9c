#!/usr/bin/python3
"""torch_ddp.py: the PyTorch peer of `netc_bench dp` in bench/distributed.sh:
models/mnist.net (torch_bench.py's mnist_model) trained with
DistributedDataParallel over the gloo backend, RANKS processes on this
machine with THREADS threads each, every one computing BATCH / RANKS rows
of each global batch of random data (Adam, the loss and accuracy read back
each step, as netc's fit does).

  torch_ddp.py mnist BATCH RANKS THREADS [--batches N] [--repeat N]

Rank 0 prints `rate R`: the job's images per second, the median of --repeat
epochs of --batches steps after a warm-up epoch. Exits 77 without torch.
"""
import argparse
import os
import statistics
import sys
import tempfile
import time

try:
    import torch
    import torch.distributed as dist
    import torch.multiprocessing as mp
except ImportError:
    print("SKIP: no PyTorch for this python (apt-get install python3-torch)",
          file=sys.stderr)
    sys.exit(77)

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_bench import mnist_model, train_step  # noqa: E402  (after the torch check)


def train(rank, a, rendezvous, results):
    torch.set_num_threads(a.threads)
    dist.init_process_group("gloo", init_method="file://" + rendezvous,
                            rank=rank, world_size=a.ranks)
    torch.manual_seed(1)
    model = torch.nn.parallel.DistributedDataParallel(mnist_model().train())
    opt = torch.optim.Adam(model.parameters(), lr=0.001, eps=1e-7)
    local = a.batch // a.ranks
    images = torch.rand(local * a.batches, 1, 28, 28)
    labels = torch.randint(0, 10, (local * a.batches,))

    def epoch():
        for first in range(0, local * a.batches, local):
            train_step(model, opt, images[first:first + local], labels[first:first + local])

    epoch()  # warm-up
    seconds = []
    for _ in range(a.repeat):
        dist.barrier()
        start = time.perf_counter()
        epoch()
        seconds.append(time.perf_counter() - start)
    if rank == 0:
        results.put(a.batch * a.batches / statistics.median(seconds))
    dist.destroy_process_group()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("model", choices=["mnist"])
    parser.add_argument("batch", type=int)
    parser.add_argument("ranks", type=int)
    parser.add_argument("threads", type=int)
    parser.add_argument("--batches", type=int, default=8)
    parser.add_argument("--repeat", type=int, default=3)
    a = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        results = mp.get_context("spawn").SimpleQueue()
        mp.spawn(train, args=(a, os.path.join(work, "rendezvous"), results),
                 nprocs=a.ranks, join=True)
        print(f"rate {results.get():.6g}")


if __name__ == "__main__":
    main()
