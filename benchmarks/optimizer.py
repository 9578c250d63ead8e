"""An optimizer step on its own: deepgrad's ``Adam.apply`` against PyTorch's ``Adam.step``.

Measures, interleaved in one process, and prints ratios (higher is better for deepgrad):
1. the course CNN's variables (3.27M parameters in 8 variables);
2. 200 small variables (the kernels and biases of 100 ``Dense(32)`` layers);
3. the packing of ``optimizers/flat.py``: 50 variables of one size, all updated in place,
   or all packed into one scratch array, or packed in buckets of ``BUCKET`` elements, for
   sizes around ``PACK_LIMIT`` (CPU microseconds per step).

The gradients cycle through four random sets, as in training (a constant gradient drives
Adam's moments to denormal differences, which measure the CPU's slow path instead).

    python benchmarks/optimizer.py            # both BLAS settings
    python benchmarks/optimizer.py --child    # one run, current environment
"""

from __future__ import annotations

import sys
import time

import numpy as np
from common import blas_label, interleaved, print_row, run_both_blas_settings, torch_or_none

import deepgrad as dg
from deepgrad.optimizers import flat

CNN_SHAPES = [(5, 5, 1, 32), (32,), (5, 5, 32, 64), (64,), (3136, 1024), (1024,),
              (1024, 10), (10,)]
SMALL_SHAPES = [(32, 32), (32,)] * 100


def gradient_sets(shapes, count: int = 4) -> list[list[np.ndarray]]:
    rng = np.random.default_rng(1)
    return [[rng.standard_normal(s, dtype=np.float32) * 1e-2 for s in shapes]
            for _ in range(count)]


def deepgrad_step(shapes):
    """A function running one Adam step over fresh variables of ``shapes``."""
    rng = np.random.default_rng(0)
    variables = [dg.Variable(rng.standard_normal(s, dtype=np.float32)) for s in shapes]
    optimizer = dg.optimizers.Adam(1e-3)
    optimizer.build(variables)  # PACK_LIMIT applies here
    sets = gradient_sets(shapes)
    turn = iter(range(1 << 62))

    def step():
        optimizer.apply(sets[next(turn) % len(sets)], variables)

    return step


def torch_step(torch, shapes, foreach: bool):
    rng = np.random.default_rng(0)
    params = [torch.nn.Parameter(torch.from_numpy(rng.standard_normal(s, dtype=np.float32)))
              for s in shapes]
    optimizer = torch.optim.Adam(params, lr=1e-3, foreach=foreach)
    sets = [[torch.from_numpy(g) for g in grads] for grads in gradient_sets(shapes)]
    turn = iter(range(1 << 62))

    def step():
        for param, grad in zip(params, sets[next(turn) % len(sets)]):
            param.grad = grad
        optimizer.step()

    return step


def steps(fn, count: int):
    def run():
        for _ in range(count):
            fn()
    return run


def child() -> None:
    print(f"[{blas_label()}, deepgrad threads {dg.config.get_num_threads()}]")
    torch = torch_or_none()
    for label, shapes, count in (("course CNN variables (3.27M in 8)", CNN_SHAPES, 10),
                                 ("200 small variables (100 Dense(32))", SMALL_SHAPES, 100)):
        fns = {"deepgrad": steps(deepgrad_step(shapes), count)}
        if torch is not None:
            for foreach in (True, False):
                fns[f"torch foreach={foreach}"] = steps(torch_step(torch, shapes, foreach), count)
        times = interleaved(fns, repeats=9, warmup=1)
        for name, seconds in times.items():
            if name != "deepgrad":
                print_row(f"Adam step, {label}, vs {name} (us/step)",
                          times["deepgrad"] / count * 1e6, seconds / count * 1e6, "us",
                          higher_is_better=False)
    print(f"packing: 50 variables of one size (PACK_LIMIT={flat.PACK_LIMIT}, "
          f"BUCKET={flat.BUCKET}); CPU time per step, as the machine's load affects it least")
    saved = flat.PACK_LIMIT, flat.BUCKET
    huge = 1 << 62
    for size in (1024, 4096, 16384, 65536):
        shapes = [(size,)] * 50
        fns = {}
        for name, limit, bucket in (("in place", 0, huge), ("packed, one bucket", huge, huge),
                                    ("packed, buckets", huge, saved[1])):
            flat.PACK_LIMIT, flat.BUCKET = limit, bucket
            fns[name] = steps(deepgrad_step(shapes), 20)
        flat.PACK_LIMIT, flat.BUCKET = saved
        times = interleaved(fns, repeats=15, pause=0.0, clock=time.process_time)
        for name in ("packed, one bucket", "packed, buckets"):
            print_row(f"  {size:>6} elements: {name} vs in place (us/step)",
                      times[name] / 20 * 1e6, times["in place"] / 20 * 1e6, "us",
                      higher_is_better=False)

if __name__ == "__main__":
    if "--child" in sys.argv:
        child()
    else:
        sys.exit(run_both_blas_settings(__file__, []))
