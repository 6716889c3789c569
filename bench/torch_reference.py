#!/usr/bin/env python3
"""PyTorch (CPU) counterparts of the workloads of `npm run bench` (bench/workloads.ts).

Benchmark reference only: it runs with Debian's PyTorch (apt-get install python3-torch,
/usr/bin/python3) and is never a dependency of the project. Each workload builds the same
network as the tfjs side (same layers, batch, optimizer and inputs of the same shape), times
training steps (forward, softmax cross-entropy, backward, update) after one warm-up step, and
prints one JSON object per line, in the format bench/harness.ts parses:

  {"workload": ..., "engine": "pytorch", "threads": N, "unit": ..., "value": ...}

plus a "<workload>:peak-rss" row (MB, the process's peak resident set: run one workload per
process, as `npm run bench -- --compare` does, for a per-workload figure).

With --conv-shapes JSON it instead times single convolutions (forward, input gradient, filter
gradient: the three products of a training step) on the shapes `npm run bench -- --ceiling` gives
(bench/ceiling.ts), one row per shape and product in GFLOP/s.

Usage: torch_reference.py [--threads N] [--seconds S] [--only NAME[,NAME...]] [--list]
       torch_reference.py --conv-shapes JSON [--threads N] [--seconds S]
"""
import argparse
import json
import resource
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


# --- networks (the tfjs definitions are in src/models) -----------------------------------


def fmnist_cnn():
    """src/models/small.ts fmnistCnn: 225,034 parameters."""
    return nn.Sequential(
        nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(5 * 5 * 64, 128), nn.ReLU(), nn.Linear(128, 10))


class Block(nn.Module):
    """BasicBlock; on a change of shape a 1x1 conv + BN projection or the option-A shortcut."""

    def __init__(self, cin, cout, stride, shortcut):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.stride, self.pad = stride, (cout - cin) // 2
        self.project = None
        if (stride != 1 or cin != cout) and shortcut == "projection":
            self.project = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def skip(self, x):
        if self.project is not None:
            return self.project(x)
        if self.stride == 1 and self.pad == 0:
            return x
        # option A: every stride-th pixel, channels zero-padded on both sides
        return F.pad(x[:, :, ::self.stride, ::self.stride], (0, 0, 0, 0, self.pad, self.pad))

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        return F.relu(self.bn2(self.conv2(y)) + self.skip(x))


def cifar_resnet(widths, blocks, shortcut):
    """Stem conv3x3 + BN + ReLU, stages of BasicBlocks (strides 1, 2, 2, ...), global pool, dense 10."""
    layers, cin = [nn.Conv2d(3, widths[0], 3, 1, 1, bias=False), nn.BatchNorm2d(widths[0]), nn.ReLU()], widths[0]
    for i, cout in enumerate(widths):
        for j in range(blocks):
            layers.append(Block(cin, cout, 2 if i > 0 and j == 0 else 1, shortcut))
            cin = cout
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(cin, 10)]
    return nn.Sequential(*layers)


def resnet18():
    """src/models/resnet.ts cifarResNet18 (the paper's network): 11,173,962 parameters."""
    return cifar_resnet([64, 128, 256, 512], 2, "projection")


def resnet20():
    """src/models/resnet.ts resnet20 (the CPU tier's CIFAR network): 269,722 parameters."""
    return cifar_resnet([16, 32, 64], 3, "zero-pad")


class LstmLm(nn.Module):
    """src/models/lstm_lm.ts preset ptb-lstm-small: embedding 10000x200, 2 x LSTM(200), dense 10000."""

    def __init__(self, vocab=10000, size=200, layers=2):
        super().__init__()
        self.embed = nn.Embedding(vocab, size)
        self.lstm = nn.LSTM(size, size, layers, batch_first=True)
        self.decode = nn.Linear(size, vocab)

    def forward(self, x):
        return self.decode(self.lstm(self.embed(x))[0])


# --- timing --------------------------------------------------------------------------------


def steps_per_second(step, seconds):
    """One warm-up step, then steps until `seconds` have passed and at least 3 ran (as bench/harness.ts)."""
    step()
    n, start = 0, time.perf_counter()
    while True:
        step()
        n += 1
        elapsed = time.perf_counter() - start
        if elapsed >= seconds and n >= 3:
            return n / elapsed


def training(model, optimizer, x, y, classes):
    def step():
        optimizer.zero_grad()
        F.cross_entropy(model(x).reshape(-1, classes), y.reshape(-1)).backward()
        optimizer.step()
    return step


def image_workload(model, optimizer_of, shape, batch):
    x, y = torch.randn(batch, *shape), torch.randint(0, 10, (batch,))
    return training(model, optimizer_of(model.parameters()), x, y, 10), batch, "samples/s"


def amsgrad(params):
    return torch.optim.Adam(params, 1e-3, amsgrad=True)


def sgd_momentum(params):
    return torch.optim.SGD(params, 0.1, momentum=0.9)


def lstm_workload():
    model, (b, t) = LstmLm(), (20, 35)
    x, y = torch.randint(0, 10000, (b, t)), torch.randint(0, 10000, (b, t))
    return training(model, torch.optim.SGD(model.parameters(), 1.0), x, y, 10000), b * t, "tokens/s"


def optimizer_workload(**options):
    """One update over ResNet-18's parameter set (11.2M values) with fixed random gradients."""
    params = list(resnet18().parameters())
    for p in params:
        p.grad = torch.randn_like(p)
    return torch.optim.Adam(params, 1e-3, **options).step, 1, "steps/s"


WORKLOADS = {
    "fmnist-cnn": lambda: image_workload(fmnist_cnn(), amsgrad, (1, 28, 28), 64),
    "cifar-resnet20": lambda: image_workload(resnet20(), sgd_momentum, (3, 32, 32), 128),
    "ptb-lstm-small": lstm_workload,
    "cifar-resnet18": lambda: image_workload(resnet18(), sgd_momentum, (3, 32, 32), 32),
    "optimizer-step": lambda: optimizer_workload(amsgrad=True),
    "optimizer-step:adam": lambda: optimizer_workload(amsgrad=False),
}


# --- single convolutions, for the arithmetic-ceiling comparison (bench/ceiling.ts) ---------


def conv_products(shape):
    """The three products of a training step for one convolution shape (keys as bench/ceiling.ts's).

    `shape` is {"batch", "height", "width", "inC", "outC", "kernel", "pad"}; stride 1, no bias.
    The gradients go through aten's convolution_backward, the call autograd makes.
    """
    n, h, w = shape["batch"], shape["height"], shape["width"]
    ci, co, k, pad = shape["inC"], shape["outC"], shape["kernel"], shape["pad"]
    x, f = torch.randn(n, ci, h, w), torch.randn(co, ci, k, k)
    dy = torch.randn_like(F.conv2d(x, f, padding=pad))

    def backward(mask):
        return lambda: torch.ops.aten.convolution_backward(dy, x, f, None, [1, 1], [pad, pad], [1, 1], False, [0, 0], 1, mask)

    return {
        "forward": lambda: F.conv2d(x, f, padding=pad),
        "input-grad": backward([True, False, False]),
        "filter-grad": backward([False, True, False]),
    }


def conv_flops(shape):
    """2·N·Ho·Wo·Cout·k²·Cin: multiply-adds of one product, counted as two operations."""
    k, pad = shape["kernel"], shape["pad"]
    ho, wo = shape["height"] + 2 * pad - k + 1, shape["width"] + 2 * pad - k + 1
    return 2 * shape["batch"] * ho * wo * shape["outC"] * k * k * shape["inC"]


def conv_ceiling(shapes, seconds, emit):
    with torch.no_grad():
        for shape in shapes:
            for op, fn in conv_products(shape).items():
                emit(f"ceiling:{shape['name']}:{op}", "GFLOP/s", round(steps_per_second(fn, seconds) * conv_flops(shape) / 1e9, 2))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--threads", type=int, default=torch.get_num_threads())
    ap.add_argument("--seconds", type=float, default=3.0)
    ap.add_argument("--only", default="", help="comma-separated workloads (default: all)")
    ap.add_argument("--list", action="store_true", help="print the workload names and exit")
    ap.add_argument("--conv-shapes", help="JSON list of convolution shapes: time single convolutions instead")
    a = ap.parse_args()
    if a.list:
        print("\n".join(WORKLOADS))
        return
    only = [w for w in a.only.split(",") if w]
    unknown = [w for w in only if w not in WORKLOADS and not any(k.startswith(w + ":") for k in WORKLOADS)]
    if unknown:
        ap.error(f"--only: unknown workload(s) {unknown}; allowed: {', '.join(WORKLOADS)}")
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)

    def emit(workload, unit, value):
        print(json.dumps({"workload": workload, "engine": "pytorch", "threads": a.threads, "unit": unit, "value": value}), flush=True)

    if a.conv_shapes is not None:
        conv_ceiling(json.loads(a.conv_shapes), a.seconds, emit)
        return
    for name, build in WORKLOADS.items():
        # --only optimizer-step also runs its variants (optimizer-step:adam), as the tfjs side does
        if only and name not in only and name.split(":")[0] not in only:
            continue
        step, per_step, unit = build()
        emit(name, unit, round(steps_per_second(step, a.seconds) * per_step, 2))
        if ":" not in name:
            emit(f"{name}:peak-rss", "MB", round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024))


if __name__ == "__main__":
    main()
