"""Pooling ops against PyTorch: the course CNN's two 2x2 max pools at batch 128.

Shapes: ``(128, 28, 28, 32)`` and ``(128, 14, 14, 64)`` (NHWC for deepgrad; the same
data in NCHW for ``torch.nn.functional.max_pool2d``, PyTorch's default layout; extra
rows give PyTorch the same data in its ``channels_last`` memory format),
pool 2x2, stride 2. Measures the forward pass alone (no gradient recording) and the
forward plus backward pass (with an upstream gradient), interleaved in one process, and
prints ratios (above 1: deepgrad is faster). Average pooling is measured the same way.
Pooling uses no BLAS, so one run covers both OPENBLAS_CORETYPE settings.

Each timed call is preceded by a short pause: PyTorch's worker threads keep spinning
for a while after an op, and on two cores the call that follows (ours) would pay for
it, which it never does in a real training loop.

    python benchmarks/pool_ops.py            # default 25 timed repeats per row
    python benchmarks/pool_ops.py --repeats 50
"""

from __future__ import annotations

import argparse
import statistics

import numpy as np
from common import blas_label, interleaved_samples, print_row, torch_or_none

import deepgrad as dg
from deepgrad import ops

SHAPES = [(128, 28, 28, 32), (128, 14, 14, 64)]


def rows(torch, shape, kind: str, channels_last: bool = False):
    """(label, deepgrad function, torch function) for one shape and pool kind."""
    F = torch.nn.functional
    rng = np.random.default_rng(0)
    x = rng.normal(size=shape).astype(np.float32)
    out_shape = (shape[0], shape[1] // 2, shape[2] // 2, shape[3])
    g = rng.normal(size=out_shape).astype(np.float32)
    x_t = torch.from_numpy(np.ascontiguousarray(x.transpose(0, 3, 1, 2)))
    g_t = torch.from_numpy(np.ascontiguousarray(g.transpose(0, 3, 1, 2)))
    if channels_last:  # NCHW shape, NHWC memory: PyTorch's layout for fast CPU pooling
        x_t = x_t.contiguous(memory_format=torch.channels_last)
        g_t = g_t.contiguous(memory_format=torch.channels_last)
    ours_op = ops.max_pool2d if kind == "max" else ops.avg_pool2d
    torch_op = F.max_pool2d if kind == "max" else F.avg_pool2d
    x_dg = dg.Tensor(x)
    x_dg_grad = dg.Tensor(x, requires_grad=True)
    x_t_grad = x_t.clone().requires_grad_(True)

    def ours_forward():
        with dg.no_grad():
            ours_op(x_dg, (2, 2))

    def torch_forward():
        with torch.no_grad():
            torch_op(x_t, 2)

    def ours_both():
        x_dg_grad.grad = None
        ours_op(x_dg_grad, (2, 2)).backward(g)

    def torch_both():
        x_t_grad.grad = None
        torch_op(x_t_grad, 2).backward(g_t)

    label = f"{kind}_pool2d 2x2 {'x'.join(map(str, shape))}"
    if channels_last:
        label += " [torch NHWC]"
    return [(f"{label} forward", ours_forward, torch_forward),
            (f"{label} forward+backward", ours_both, torch_both)]


def settled_interleaved(fns: dict, repeats: int, warmup: int = 3, pause: float = 0.02) -> dict:
    """(median, best) time of each function, round-robin, with a pause before every call."""
    samples = interleaved_samples(fns, repeats, warmup, pause)
    return {name: (statistics.median(t), min(t)) for name, t in samples.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=25)
    args = parser.parse_args()
    torch = torch_or_none()
    if torch is None:
        return
    print(f"pooling, batch 128, {blas_label()}, torch threads {torch.get_num_threads()}; "
          "median ms, ratio = torch / deepgrad (then the ratio of the best times)")
    cases = [(kind, shape, False) for kind in ("max", "avg") for shape in SHAPES]
    cases += [("max", shape, True) for shape in SHAPES]
    for kind, shape, channels_last in cases:
        for label, ours, theirs in rows(torch, shape, kind, channels_last):
            times = settled_interleaved({"ours": ours, "torch": theirs}, args.repeats)
            print_row(label, times["ours"][0] * 1e3, times["torch"][0] * 1e3, "ms",
                      higher_is_better=False)
            print(f"{'':<58} best: deepgrad {times['ours'][1] * 1e3:.1f} ms, torch "
                  f"{times['torch'][1] * 1e3:.1f} ms, ratio "
                  f"{times['torch'][1] / times['ours'][1]:.2f}x", flush=True)


if __name__ == "__main__":
    main()
