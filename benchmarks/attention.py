"""Multi-head self-attention on a CPU: deepgrad against PyTorch (nn.MultiheadAttention).

Measures, side by side in one process and interleaved, and prints ratios (above 1 means
deepgrad is faster): ``MultiHeadAttention(8 heads, key_dim 16)`` self-attention over
batch 32 x 64 steps x 128 features, then the mean over steps and ``Dense(1)``:
1. a training step (``model.train_on_batch`` with Adam and MSE against zero_grad,
   forward, MSE, backward, ``Adam.step``);
2. inference (``predict_on_batch`` against the modules under ``torch.no_grad()``);
3. the same two with ``use_causal_mask=True`` (PyTorch: ``is_causal`` with the mask).

Runs twice: as the environment is, and with OPENBLAS_CORETYPE unset (see README). On a
machine shared with other jobs, ``--cpu-time`` measures the CPU time of one thread per
framework instead of the wall time (what waiting for a core adds drops out).

    python benchmarks/attention.py            # both BLAS settings
    python benchmarks/attention.py --child    # one run, current environment
    python benchmarks/attention.py --cpu-time
"""

from __future__ import annotations

import os
import statistics
import sys
import time

import numpy as np
from common import (
    blas_label,
    interleaved_samples,
    print_row,
    run_both_blas_settings,
    torch_or_none,
)

import deepgrad as dg

BATCH, STEPS, DIM, HEADS = 32, 64, 128, 8


def deepgrad_model(causal: bool):
    inputs = dg.Input(shape=(STEPS, DIM))
    attended = dg.layers.MultiHeadAttention(HEADS, DIM // HEADS)(inputs, inputs,
                                                                 use_causal_mask=causal)
    pooled = dg.layers.GlobalAveragePooling1D()(attended)
    model = dg.Model(inputs, dg.layers.Dense(1)(pooled))
    model.compile(optimizer=dg.optimizers.Adam(1e-3), loss="mse")
    return model


def torch_model(torch, causal: bool):
    attention = torch.nn.MultiheadAttention(DIM, HEADS, batch_first=True)
    head = torch.nn.Linear(DIM, 1)
    optimizer = torch.optim.Adam(list(attention.parameters()) + list(head.parameters()),
                                 lr=1e-3)
    mask = torch.nn.Transformer.generate_square_subsequent_mask(STEPS) if causal else None

    def forward(x):
        out, _ = attention(x, x, x, attn_mask=mask, is_causal=causal, need_weights=False)
        return head(out.mean(dim=1))

    def train(x, y):
        optimizer.zero_grad()
        torch.nn.functional.mse_loss(forward(x), y).backward()
        optimizer.step()

    def infer(x):
        with torch.no_grad():
            forward(x)

    return train, infer


def rows(torch, clock) -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(BATCH, STEPS, DIM)).astype(np.float32)
    y = rng.normal(size=(BATCH, 1)).astype(np.float32)
    for causal in (False, True):
        model = deepgrad_model(causal)
        train = {"deepgrad": lambda m=model: m.train_on_batch(x, y)}
        infer = {"deepgrad": lambda m=model: m.predict_on_batch(x)}
        if torch is not None:
            t_train, t_infer = torch_model(torch, causal)
            tx, ty = torch.from_numpy(x), torch.from_numpy(y)
            train["torch"] = lambda f=t_train, a=tx, b=ty: f(a, b)
            infer["torch"] = lambda f=t_infer, a=tx: f(a)
        for what, calls in (("training step", train), ("inference", infer)):
            samples = interleaved_samples(calls, repeats=15, warmup=2, clock=clock)
            label = (f"  MHA({HEADS}x{DIM // HEADS}){' causal' if causal else ''} {what}, "
                     f"{BATCH}x{STEPS}x{DIM} (ms)")
            ours = [t * 1e3 for t in samples["deepgrad"]]
            print(f"{label}: deepgrad {statistics.median(ours):.1f} ms (range "
                  f"{min(ours):.1f}-{max(ours):.1f})", end="")
            if torch is None:
                print()
                continue
            theirs = [t * 1e3 for t in samples["torch"]]
            print(f", torch {statistics.median(theirs):.1f} ms (range {min(theirs):.1f}-"
                  f"{max(theirs):.1f})")
            print_row(label, statistics.median(ours), statistics.median(theirs), "ms",
                      higher_is_better=False)


def child() -> None:
    clock = time.perf_counter
    if "--cpu-time" in sys.argv:
        os.environ["BENCH_THREADS"] = "1"
        dg.config.set_num_threads(1)
        clock = time.process_time
    print(f"[{blas_label()}, BLAS threads {dg.config.get_num_threads()}, "
          f"{'CPU' if clock is time.process_time else 'wall'} time]")
    rows(torch_or_none(), clock)


if __name__ == "__main__":
    if "--child" in sys.argv:
        child()
    else:
        sys.exit(run_both_blas_settings(__file__, [a for a in sys.argv[1:] if a != "--child"]))
