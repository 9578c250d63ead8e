"""The course CNN on a CPU: deepgrad against PyTorch (default NCHW model, 2 threads).

Measures, side by side in one process and interleaved, and prints ratios (above 1 means
deepgrad is faster):
1. training throughput at batch 128 (images/s): ``model.train_on_batch`` against a plain
   PyTorch step (zero_grad, forward, loss, backward, Adam step);
2. inference throughput at batch 128: ``model.predict_on_batch`` against ``net(x)`` under
   ``torch.no_grad()`` in eval mode;
3. single-image latency: ``model.predict(x[:1], verbose=0)`` against torch's eager call,
   median of four alternating turns each (measured back to back, the first turn paid
   for the other framework's spinning threads);
and the fraction of the measured float32 matmul peak the training step reaches.

Runs twice: as the environment is, and with OPENBLAS_CORETYPE unset (see README).

    python benchmarks/cnn.py            # both BLAS settings
    python benchmarks/cnn.py --child    # one run, current environment
"""

from __future__ import annotations

import sys
import time

import numpy as np
from common import blas_label, print_row, run_both_blas_settings, settle, torch_or_none
from course_cnn import (
    deepgrad_cnn,
    matmul_peak_gflops,
    torch_cnn,
    torch_train_step,
    training_flops_per_image,
)

import deepgrad as dg

BATCH = 128


def latencies(calls: dict, rounds: int = 4, seconds: float = 0.3, pause: float = 0.3) -> dict:
    """Median seconds per call of each framework's call, round-robin over ``rounds``.

    Each turn: a pause (neither pays for the other's spinning threads, as in
    :func:`steady_rates`), untimed calls (``common.settle``), then calls for about
    ``seconds``.
    """
    times = {name: [] for name in calls}
    for _ in range(rounds):
        for name, fn in calls.items():
            time.sleep(pause)
            settle(fn)
            end = time.perf_counter() + seconds
            while time.perf_counter() < end:
                start = time.perf_counter()
                fn()
                times[name].append(time.perf_counter() - start)
    return {name: float(np.median(t)) for name, t in times.items()}


def steady_rates(steps: dict, repeats: int = 7, per_sample: int = 5, pause: float = 0.3) -> dict:
    """Median images/s of each framework's step, in steady state.

    Round-robin over the frameworks, ``repeats`` times: pause (so that neither pays for the
    other's spinning threads, see common.interleaved_samples), untimed steps for
    ``common.SETTLE`` seconds (waking the thread pools, see ``common.settle``), then
    ``per_sample`` timed steps.
    """
    rates = {name: [] for name in steps}
    for fn in steps.values():
        fn()
    for _ in range(repeats):
        for name, fn in steps.items():
            time.sleep(pause)
            settle(fn)
            start = time.perf_counter()
            for _ in range(per_sample):
                fn()
            rates[name].append(per_sample * BATCH / (time.perf_counter() - start))
    return {name: float(np.median(r)) for name, r in rates.items()}


def child() -> None:
    print(f"[{blas_label()}, BLAS threads {dg.config.get_num_threads()}]")
    torch = torch_or_none()
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 1, (BATCH, 28, 28, 1)).astype(np.float32)
    y = rng.integers(0, 10, BATCH)
    model = deepgrad_cnn()
    train = {"deepgrad": lambda: model.train_on_batch(x, y)}
    infer = {"deepgrad": lambda: model.predict_on_batch(x)}
    one = x[:1]
    if torch is not None:
        net, optimizer, loss_fn = torch_cnn(torch)
        step = torch_train_step(torch, net, optimizer, loss_fn)
        tx = torch.from_numpy(np.ascontiguousarray(x.transpose(0, 3, 1, 2)))
        ty = torch.from_numpy(y.astype(np.int64))
        t1 = tx[:1].clone()

        def torch_infer():
            net.eval()
            with torch.no_grad():
                net(tx)
            net.train()

        def torch_one():
            net.eval()
            with torch.no_grad():
                net(t1)

        train["torch"] = lambda: step(tx, ty)
        infer["torch"] = torch_infer

    rate_train = steady_rates(train)
    rate_infer = steady_rates(infer)
    single = {"deepgrad": lambda: model.predict(one, verbose=0)}
    if torch is not None:
        single["torch"] = torch_one
    lat = latencies(single)

    print(f"course CNN, batch {BATCH}, 28x28x1, float32:")
    print(f"  deepgrad training {rate_train['deepgrad']:,.0f} images/s, "
          f"inference {rate_infer['deepgrad']:,.0f} images/s, "
          f"single-image predict {lat['deepgrad'] * 1e3:.3f} ms")
    if torch is not None:
        print_row("  training throughput (images/s)", rate_train["deepgrad"],
                  rate_train["torch"], "images/s", higher_is_better=True)
        print_row("  inference throughput (images/s)", rate_infer["deepgrad"],
                  rate_infer["torch"], "images/s", higher_is_better=True)
        print_row("  single-image predict latency (ms)", lat["deepgrad"] * 1e3,
                  lat["torch"] * 1e3, "ms", higher_is_better=False)
    peak = matmul_peak_gflops()
    achieved = training_flops_per_image(model) * rate_train["deepgrad"] / 1e9
    print(f"  training step: {achieved:,.0f} GFLOP/s of a measured float32 matmul peak of "
          f"{peak:,.0f} GFLOP/s ({achieved / peak:.0%})")


if __name__ == "__main__":
    if "--child" in sys.argv:
        child()
    else:
        sys.exit(run_both_blas_settings(__file__, []))
