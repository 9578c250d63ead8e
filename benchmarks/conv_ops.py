"""Convolution ops against PyTorch, per layer of the course CNN.

The course CNN: Conv2D(32, 5, same, relu) on 28x28x1 -> MaxPool 2 -> Conv2D(64, 5, same,
relu) on 14x14x32 -> MaxPool 2 -> Flatten -> Dense(1024) -> Dense(10), float32. For each
of its two conv layers this times, on the same data and weights, interleaved in one
process:

- forward at batch 128 and at batch 1 (inference, no graph recorded);
- forward + backward at batch 128, as in training: the first layer's input is data and
  needs no gradient, the second layer's input does.

deepgrad runs ``ops.conv2d(..., activation='relu')`` on NHWC tensors and ``backward``;
PyTorch runs ``F.relu(F.conv2d(...))`` on NCHW tensors with ``torch.set_num_threads(2)``
(``BENCH_THREADS`` changes it). Ratios are deepgrad's speed over PyTorch's (higher is
better for deepgrad). Runs twice: as the environment is and with OPENBLAS_CORETYPE unset.

    python benchmarks/conv_ops.py            # both BLAS settings
    python benchmarks/conv_ops.py --child    # one run, current environment
"""

from __future__ import annotations

import statistics
import sys
import time

import numpy as np
from common import blas_label, print_row, run_both_blas_settings, torch_or_none

import deepgrad as dg
from deepgrad import ops

LAYERS = [
    # (name, height/width, input channels, filters, input needs a gradient)
    ("conv1 5x5 1->32 on 28x28", 28, 1, 32, False),
    ("conv2 5x5 32->64 on 14x14", 14, 32, 64, True),
]


def timings(fns: dict, repeats: int) -> tuple[dict, dict]:
    """Round-robin timing like ``common.interleaved``; returns (median, best) per function.

    The best time is printed too: on a shared machine other jobs only ever add time,
    so the minimum is the cleaner estimate of what the code itself costs.
    """
    for fn in fns.values():
        fn()
    samples = {name: [] for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            start = time.perf_counter()
            fn()
            samples[name].append(time.perf_counter() - start)
    return ({k: statistics.median(v) for k, v in samples.items()},
            {k: min(v) for k, v in samples.items()})


def report(label: str, ours: str, theirs: str, times: tuple[dict, dict], scale: float,
           unit: str) -> None:
    median, best = times
    print_row(label, median[ours] * scale, median[theirs] * scale, unit, False)
    print(f"{'':<58} best-of: deepgrad {best[ours] * scale:>10,.1f} {unit}, reference "
          f"{best[theirs] * scale:>10,.1f} {unit}, ratio {best[theirs] / best[ours]:5.2f}x")


def make_pair(torch, size, cin, cout, batch, needs_grad, rng):
    x = rng.random((batch, size, size, cin), dtype=np.float32)
    kernel = (rng.normal(size=(5, 5, cin, cout)) * np.sqrt(2 / (25 * cin))).astype(np.float32)
    bias = (rng.normal(size=cout) * 0.1).astype(np.float32)
    grad = rng.normal(size=(batch, size, size, cout)).astype(np.float32)
    ours = dict(
        x=dg.Tensor(x, requires_grad=needs_grad), kernel=dg.Tensor(kernel, requires_grad=True),
        bias=dg.Tensor(bias, requires_grad=True), grad=grad,
    )
    if torch is None:
        return ours, None
    theirs = dict(
        x=torch.tensor(x.transpose(0, 3, 1, 2).copy(), requires_grad=needs_grad),
        kernel=torch.tensor(kernel.transpose(3, 2, 0, 1).copy(), requires_grad=True),
        bias=torch.tensor(bias, requires_grad=True),
        grad=torch.tensor(grad.transpose(0, 3, 1, 2).copy()),
    )
    return ours, theirs


def deepgrad_fns(t):
    def forward():
        with dg.no_grad():
            ops.conv2d(t["x"], t["kernel"], t["bias"], padding="same", activation="relu")

    def train():
        for v in (t["x"], t["kernel"], t["bias"]):
            v.grad = None
        y = ops.conv2d(t["x"], t["kernel"], t["bias"], padding="same", activation="relu")
        y.backward(t["grad"])

    return forward, train


def torch_fns(torch, t):
    F = torch.nn.functional

    def forward():
        with torch.no_grad():
            F.relu(F.conv2d(t["x"], t["kernel"], t["bias"], padding=2))

    def train():
        for v in (t["x"], t["kernel"], t["bias"]):
            v.grad = None
        F.relu(F.conv2d(t["x"], t["kernel"], t["bias"], padding=2)).backward(t["grad"])

    return forward, train


def check_agreement(ours, theirs, torch) -> float:
    """Largest difference of the outputs, so a fast wrong answer cannot pass unseen."""
    F = torch.nn.functional
    with dg.no_grad():
        a = ops.conv2d(ours["x"], ours["kernel"], ours["bias"], padding="same",
                       activation="relu").data
    with torch.no_grad():
        b = F.relu(F.conv2d(theirs["x"], theirs["kernel"], theirs["bias"], padding=2))
    return float(np.abs(a - b.numpy().transpose(0, 2, 3, 1)).max())


def child(repeats: int) -> None:
    print(f"[{blas_label()}, BLAS threads {dg.config.get_num_threads()}]")
    torch = torch_or_none()
    if torch is None:
        return
    rng = np.random.default_rng(0)
    for name, size, cin, cout, needs_grad in LAYERS:
        ours, theirs = make_pair(torch, size, cin, cout, 128, needs_grad, rng)
        one, one_t = make_pair(torch, size, cin, cout, 1, needs_grad, rng)
        print(f"{name}: max |deepgrad - torch| = {check_agreement(ours, theirs, torch):.2e}")
        f, tr = deepgrad_fns(ours)
        tf, ttr = torch_fns(torch, theirs)
        f1, _ = deepgrad_fns(one)
        tf1, _ = torch_fns(torch, one_t)
        t = timings({"f": f, "tf": tf, "tr": tr, "ttr": ttr}, repeats)
        report(f"{name} forward, batch 128", "f", "tf", t, 1e3, "ms")
        label = "fwd+bwd" + (" (no input grad)" if not needs_grad else "")
        report(f"{name} {label}, batch 128", "tr", "ttr", t, 1e3, "ms")
        t1 = timings({"f1": f1, "tf1": tf1}, repeats * 20)
        report(f"{name} forward, batch 1", "f1", "tf1", t1, 1e6, "us")


if __name__ == "__main__":
    repeats = 15
    if "--quick" in sys.argv:
        repeats = 3
    if "--child" in sys.argv:
        child(repeats)
    else:
        sys.exit(run_both_blas_settings(__file__, [a for a in sys.argv[1:] if a == "--quick"]))
