#!/usr/bin/python3
"""torch_bench.py: the PyTorch side of bench/run.sh, the same workloads as
bench/netc_bench.c on the same models written with torch.nn (Keras-equivalent
layers: valid or same padding as in the .net file, relu; PyTorch's default
initializers, which do not change the timing), random data of the same shapes in
PyTorch's own NCHW layout, the same batch and thread count.

  torch_bench.py train mnist BATCH THREADS    a fit loop over a dataset of
      --batches batches (shuffled index, gather, forward, backward, Adam):
      images/s
  torch_bench.py predict mnist|vgg16 BATCH THREADS    inference (eval mode,
      inference_mode): images/s
  torch_bench.py step dqn BATCH THREADS    one DQN train step (online and
      target 4-16-16-2 networks, TD target, MSE on the picked Q, Adam): steps/s

Prints `rate R` (median over --repeat measurements after a warm-up that also
sizes each to about --seconds) and `rss_kib K` (peak resident set).
Exits 77 when /usr/bin/python3 has no torch (apt-get install python3-torch).
"""
import argparse
import resource
import statistics
import sys
import time

try:
    import torch
    import torch.nn.functional as F
except ImportError:
    print("SKIP: no PyTorch for this python (apt-get install python3-torch)",
          file=sys.stderr)
    sys.exit(77)

def mnist_model():
    """models/mnist.net: conv32-conv64-maxpool-dropout-dense128-dropout-dense10."""
    return torch.nn.Sequential(
        torch.nn.Conv2d(1, 32, 3), torch.nn.ReLU(),
        torch.nn.Conv2d(32, 64, 3), torch.nn.ReLU(),
        torch.nn.MaxPool2d(2), torch.nn.Dropout(0.25), torch.nn.Flatten(),
        torch.nn.Linear(9216, 128), torch.nn.ReLU(), torch.nn.Dropout(0.5),
        torch.nn.Linear(128, 10))


class Vgg16ConvBase(torch.nn.Module):
    """models/vgg16.net's features: caffe preprocessing (RGB to BGR, ImageNet
    mean subtracted), 13 3x3 same-padded relu convolutions, 5 max pools."""

    PLAN = [64, 64, "M", 128, 128, "M", 256, 256, 256, "M",
            512, 512, 512, "M", 512, 512, 512, "M"]

    def __init__(self):
        super().__init__()
        layers, channels = [], 3
        for item in self.PLAN:
            if item == "M":
                layers.append(torch.nn.MaxPool2d(2))
            else:
                layers += [torch.nn.Conv2d(channels, item, 3, padding=1),
                           torch.nn.ReLU()]
                channels = item
        self.features = torch.nn.Sequential(*layers)
        self.register_buffer("mean", torch.tensor([103.939, 116.779, 123.68]).view(1, 3, 1, 1))

    def forward(self, x):
        return self.features(x[:, [2, 1, 0]] - self.mean)


def q_network():
    """models/cartpole_dqn.net's qnet block: 4-16-16-2, relu."""
    return torch.nn.Sequential(torch.nn.Linear(4, 16), torch.nn.ReLU(),
                               torch.nn.Linear(16, 16), torch.nn.ReLU(),
                               torch.nn.Linear(16, 2))


def train_step(model, opt, x, y):
    """Forward, backward and Adam on one batch; the loss and accuracy are
    read back, as netc's fit reads those of every batch."""
    logits = model(x)
    loss = F.cross_entropy(logits, y)
    opt.zero_grad()
    loss.backward()
    opt.step()
    loss.item()
    (logits.argmax(1) == y).float().mean().item()


def fit_workload(batch, batches):
    """An epoch of `batches` batches: what netc_session_fit does."""
    model = mnist_model().train()
    opt = torch.optim.Adam(model.parameters(), lr=0.001, eps=1e-7)
    rows = batch * batches
    images = torch.rand(rows, 1, 28, 28)
    labels = torch.randint(0, 10, (rows,))

    def epochs(count):
        for _ in range(count):
            order = torch.randperm(rows)
            for first in range(0, rows, batch):
                index = order[first:first + batch]
                train_step(model, opt, images[index], labels[index])
    return epochs, rows


def predict_workload(name, batch):
    model = (mnist_model() if name == "mnist" else Vgg16ConvBase()).eval()
    shape = (batch, 1, 28, 28) if name == "mnist" else (batch, 3, 224, 224)
    scale = 1.0 if name == "mnist" else 255.0
    x = torch.rand(*shape) * scale

    def run(count):
        with torch.inference_mode():
            for _ in range(count):
                y = model(x)
                if name == "mnist":
                    F.softmax(y, dim=1)
    return run, batch


def dqn_step_workload(batch):
    online, target = q_network(), q_network()
    target.load_state_dict(online.state_dict())
    opt = torch.optim.Adam(online.parameters(), lr=0.01, eps=1e-7)
    state, next_state = torch.rand(batch, 4), torch.rand(batch, 4)
    action = torch.randint(0, 2, (batch, 1))
    reward, done = torch.rand(batch), torch.randint(0, 2, (batch,)).float()

    def run(count):
        for _ in range(count):
            q = online(state)
            with torch.no_grad():
                y = reward + 0.99 * (1 - done) * target(next_state).max(1).values
            loss = F.mse_loss(q.gather(1, action).squeeze(1), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
    return run, 1


def measure(run, items, repeat, seconds):
    run(1)  # warm-up
    start = time.perf_counter()
    run(1)
    once = time.perf_counter() - start
    iterations = max(1, int(-(-seconds // once))) if once > 0 else 1
    rates = []
    for _ in range(repeat):
        start = time.perf_counter()
        run(iterations)
        rates.append(items * iterations / (time.perf_counter() - start))
    return statistics.median(rates)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("workload", choices=["train", "predict", "step"])
    parser.add_argument("model", choices=["mnist", "vgg16", "dqn"])
    parser.add_argument("batch", type=int)
    parser.add_argument("threads", type=int)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=0.5)
    parser.add_argument("--batches", type=int, default=4,
                        help="batches in one fit epoch")
    a = parser.parse_args()
    torch.manual_seed(1)
    torch.set_num_threads(a.threads)
    if a.workload == "train" and a.model == "mnist":
        run, items = fit_workload(a.batch, a.batches)
    elif a.workload == "predict" and a.model in ("mnist", "vgg16"):
        run, items = predict_workload(a.model, a.batch)
    elif a.workload == "step" and a.model == "dqn":
        run, items = dqn_step_workload(a.batch)
    else:
        parser.error(f"no {a.workload} workload for {a.model}")
    rate = measure(run, items, a.repeat, a.seconds)
    print(f"rate {rate:.6g}")
    print(f"rss_kib {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}")


if __name__ == "__main__":
    main()
