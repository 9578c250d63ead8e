"""Recurrent layers on a CPU: deepgrad against PyTorch (nn.LSTM, nn.GRU, 2 threads).

Measures, side by side in one process and interleaved, and prints ratios (above 1 means
deepgrad is faster):
1. ``LSTM(128)`` on batch 64 x 100 steps x 32 features, then ``Dense(1)``: a training
   step (forward, backward, Adam; ``model.train_on_batch`` against zero_grad, forward,
   MSE, backward, ``Adam.step``) and inference (``predict_on_batch`` against the module
   under ``torch.no_grad()``);
2. the same for ``GRU(128)`` (Keras's ``reset_after=True`` is PyTorch's formulation);
3. the floors of LSTM inference against PyTorch's whole inference (:func:`floor_calls`):
   one thread, the 100 recurrent products alone (``[h; x; 1]`` times the stacked weights,
   the product each step of deepgrad's LSTM loop runs), then with the two tanh passes
   every step needs, then the whole loop; two threads, the products split as deepgrad
   splits them (half the batch per thread) and on BLAS's threads, alone and with the tanh
   passes. 1.0x needs a floor's ratio above 1 with room to spare for what it leaves out;
4. the text classifier of ``examples/text_classification.py`` (``Embedding(mask_zero=True)
   -> Bidirectional(LSTM(64)) -> Dense``) for one epoch of ``fit`` on the five largest
   fortune categories, against a PyTorch loop (``nn.Embedding`` + bidirectional
   ``nn.LSTM`` over packed sequences + ``nn.Linear``, Adam), both on the same padded ids.

Runs twice: as the environment is, and with OPENBLAS_CORETYPE unset (see README).

    python benchmarks/rnn.py            # both BLAS settings
    python benchmarks/rnn.py --child    # one run, current environment
    python benchmarks/rnn.py --child --no-text   # the LSTM and GRU rows only
    BENCH_THREADS=1 python benchmarks/rnn.py     # both frameworks on one thread
    BENCH_THREADS=1 python benchmarks/rnn.py --cpu-time  # CPU time: for a loaded machine

On a shared machine, time two threads at real-time priority (``timeout 900 chrt -r 10
python benchmarks/rnn.py --no-text``): other processes then wait instead of taking a core
from one of the two loops. After a product on BLAS's own threads, OpenBLAS's workers spin
for 100-300 ms (measured), and a loop split over deepgrad's two threads started meanwhile
runs at one-thread speed; each sample here waits 0.3 s first.

``--cpu-time`` times the LSTM and GRU rows in CPU seconds of the whole process
(``time.process_time``): on a shared machine other processes' load then costs neither side,
and on one thread it is the work done (with more threads it also counts spinning).
"""

from __future__ import annotations

import os
import sys
import time

import numpy as np
from common import blas_label, print_row, run_both_blas_settings, settle, torch_or_none

import deepgrad as dg

BATCH, STEPS, FEATURES, UNITS = 64, 100, 32, 128
CLOCK = time.process_time if "--cpu-time" in sys.argv else time.perf_counter


def steady_times(calls: dict, repeats: int = 9, per_sample: int = 3, pause: float = 0.3) -> dict:
    """Median seconds per call of each function, round-robin: pause (neither pays for the
    other's spinning threads), untimed calls (``common.settle``), then ``per_sample``
    timed calls."""
    times = {name: [] for name in calls}
    for fn in calls.values():
        fn()
    for _ in range(repeats):
        for name, fn in calls.items():
            time.sleep(pause)
            settle(fn)
            start = CLOCK()
            for _ in range(per_sample):
                fn()
            times[name].append((CLOCK() - start) / per_sample)
    return {name: (float(np.median(t)), min(t), max(t)) for name, t in times.items()}


def deepgrad_model(kind: str):
    layer = {"lstm": dg.layers.LSTM, "gru": dg.layers.GRU}[kind]
    model = dg.Sequential([dg.Input(shape=(STEPS, FEATURES)), layer(UNITS), dg.layers.Dense(1)])
    model.compile(optimizer=dg.optimizers.Adam(1e-3), loss="mse")
    return model


def torch_model(torch, kind: str):
    rnn = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[kind](FEATURES, UNITS, batch_first=True)
    head = torch.nn.Linear(UNITS, 1)
    optimizer = torch.optim.Adam(list(rnn.parameters()) + list(head.parameters()), lr=1e-3)

    def forward(x):
        out, _ = rnn(x)
        return head(out[:, -1])

    def train(x, y):
        optimizer.zero_grad()
        loss = torch.nn.functional.mse_loss(forward(x), y)
        loss.backward()
        optimizer.step()

    def infer(x):
        with torch.no_grad():
            forward(x)

    return train, infer


def recurrent_rows(torch) -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(BATCH, STEPS, FEATURES)).astype(np.float32)
    y = rng.normal(size=(BATCH, 1)).astype(np.float32)
    for kind in ("lstm", "gru"):
        model = deepgrad_model(kind)
        train = {"deepgrad": lambda m=model: m.train_on_batch(x, y)}
        infer = {"deepgrad": lambda m=model: m.predict_on_batch(x)}
        if torch is not None:
            t_train, t_infer = torch_model(torch, kind)
            tx, ty = torch.from_numpy(x), torch.from_numpy(y)
            train["torch"] = lambda f=t_train, a=tx, b=ty: f(a, b)
            infer["torch"] = lambda f=t_infer, a=tx: f(a)
        for what, calls in (("training step", train), ("inference", infer)):
            t = steady_times(calls)
            label = f"  {kind.upper()}({UNITS}) {what}, {BATCH}x{STEPS}x{FEATURES} (ms)"
            ours = t["deepgrad"]
            print(f"{label}: deepgrad {ours[0] * 1e3:.1f} ms (range {ours[1] * 1e3:.1f}-"
                  f"{ours[2] * 1e3:.1f})", end="")
            if torch is None:
                print()
                continue
            theirs = t["torch"]
            print(f", torch {theirs[0] * 1e3:.1f} ms (range {theirs[1] * 1e3:.1f}-"
                  f"{theirs[2] * 1e3:.1f})")
            print_row(label, ours[0] * 1e3, theirs[0] * 1e3, "ms", higher_is_better=False)


def floor_calls() -> dict:
    """What LSTM inference cannot go below, on this run's threads: ``[h; x; 1]`` times the
    stacked weights (``kernels/recurrent_infer.py``'s step product) 100 times, alone and
    with the two tanh passes no formulation skips (all gates, and the cell state), then
    the whole loop of ``lstm_infer``; on two threads the products of each half of the
    batch in deepgrad's two threads, and all products on BLAS's two threads, each alone
    and with the tanh passes."""
    from deepgrad.kernels import parallel
    from deepgrad.kernels import recurrent_infer as infer

    rng = np.random.default_rng(0)
    x = rng.normal(size=(BATCH, STEPS, FEATURES)).astype(np.float32)
    k, rk = (rng.normal(size=(n, 4 * UNITS)).astype(np.float32) * 0.1 for n in (FEATURES, UNITS))
    weights = infer.lstm_weights(k, rk, np.zeros(4 * UNITS, np.float32))
    # Every step's [h; x; 1] (random: the products' speed does not depend on the values).
    stacks = [rng.normal(size=(STEPS, weights.shape[1], n)).astype(np.float32)
              for n in (BATCH, BATCH // 2, BATCH // 2)]
    zeros = np.zeros((UNITS, BATCH), np.float32)

    def products(stack, tanh=False):
        gates = np.empty((4 * UNITS, stack.shape[2]), np.float32)
        for t in range(STEPS):
            np.matmul(weights, stack[t], gates)
            if tanh:
                np.tanh(gates, gates)
                np.tanh(gates[:UNITS], gates[UNITS : 2 * UNITS])

    def loop():
        infer.lstm_infer(x, weights, zeros, zeros)

    if dg.config.get_num_threads() == 1:
        return {
            "100 recurrent products alone": lambda: products(stacks[0]),
            "products + tanh of the gates and of c": lambda: products(stacks[0], True),
            "the whole loop (kernels/recurrent_infer.py)": loop,
        }
    return {
        "products of half the batch on each of deepgrad's 2 threads":
            lambda: parallel.run_parts(products, stacks[1:]),
        "the same + tanh of the gates and of c":
            lambda: parallel.run_parts(lambda stack: products(stack, True), stacks[1:]),
        "100 products on BLAS's 2 threads": lambda: products(stacks[0]),
        "the same + tanh of the gates and of c (one thread)":
            lambda: products(stacks[0], True),
    }


def floor_rows(torch) -> None:
    """Each floor of :func:`floor_calls` against PyTorch's whole inference, interleaved."""
    calls = floor_calls()
    if torch is not None:
        infer = torch_model(torch, "lstm")[1]
        tx = torch.from_numpy(np.random.default_rng(0).normal(
            size=(BATCH, STEPS, FEATURES)).astype(np.float32))
        calls["torch"] = lambda: infer(tx)
    t = steady_times(calls)
    for name in calls:
        if name == "torch":
            continue
        label = f"  LSTM({UNITS}) inference floor: {name} (ms)"
        print(f"{label}: {t[name][0] * 1e3:.1f} ms", end="")
        if torch is None:
            print()
            continue
        print(f", torch's whole inference {t['torch'][0] * 1e3:.1f} ms")
        print_row(label, t[name][0] * 1e3, t["torch"][0] * 1e3, "ms", higher_is_better=False)


def child() -> None:
    if os.environ.get("BENCH_THREADS"):  # both frameworks on that many threads
        dg.config.set_num_threads(int(os.environ["BENCH_THREADS"]))
    clock = "CPU time" if CLOCK is time.process_time else "wall time"
    print(f"[{blas_label()}, BLAS threads {dg.config.get_num_threads()}, {clock}]")
    torch = torch_or_none()
    recurrent_rows(torch)
    floor_rows(torch)
    if "--no-text" not in sys.argv:
        from rnn_text import text_classifier_row

        text_classifier_row(torch)


if __name__ == "__main__":
    if "--child" in sys.argv:
        child()
    else:
        sys.exit(run_both_blas_settings(__file__, [a for a in sys.argv[1:] if a != "--child"]))
