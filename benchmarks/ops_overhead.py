"""The cost of one op call on a small tensor: deepgrad against PyTorch, side by side.

On small tensors an op's time is the framework's overhead (argument checks, dtype
promotion, the graph record, the symbolic-tensor check of ``ops/symbolic.py``), not
arithmetic. Each row calls one op many times on float32 ``(32, 64)`` tensors that need
gradients, as inside a model, and reports the CPU time per call of each framework and
the ratio (above 1: deepgrad is faster). The last rows run a forward and backward pass of
a short chain and one training step of a small MLP.

CPU time (``time.process_time``) and one BLAS thread: other jobs on a shared machine
disturb it far less than wall time. Rounds alternate between the frameworks.

    python benchmarks/ops_overhead.py
    python benchmarks/ops_overhead.py --rounds 9
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402
from common import print_row, torch_or_none  # noqa: E402

import deepgrad as dg  # noqa: E402
from deepgrad import ops  # noqa: E402


def per_call(fn, calls: int) -> float:
    start = time.process_time()
    for _ in range(calls):
        fn()
    return (time.process_time() - start) / calls * 1e6


def cases(torch):
    rng = np.random.default_rng(0)
    arrays = [rng.normal(size=(32, 64)).astype(np.float32) for _ in range(2)]
    weight = rng.normal(size=(64, 64)).astype(np.float32)
    x, y = (dg.Tensor(a, requires_grad=True) for a in arrays)
    w = dg.Tensor(weight, requires_grad=True)
    tx, ty = (torch.tensor(a, requires_grad=True) for a in arrays)
    tw = torch.tensor(weight, requires_grad=True)
    f = torch.nn.functional

    def ours_chain():
        ops.sum(ops.relu(x @ w + 1.0) * 2.0).backward()

    def theirs_chain():
        (torch.relu(tx @ tw + 1.0) * 2.0).sum().backward()

    return {
        "x + y": (lambda: x + y, lambda: tx + ty),
        "x * 2.0": (lambda: x * 2.0, lambda: tx * 2.0),
        "relu(x)": (lambda: ops.relu(x), lambda: torch.relu(tx)),
        "sum(x, axis=1)": (lambda: ops.sum(x, axis=1), lambda: tx.sum(dim=1)),
        "mean(x)": (lambda: ops.mean(x), lambda: tx.mean()),
        "reshape(x, (64, 32))": (lambda: ops.reshape(x, (64, 32)), lambda: tx.reshape(64, 32)),
        "x @ w": (lambda: x @ w, lambda: tx @ tw),
        "softmax(x)": (lambda: ops.softmax(x), lambda: f.softmax(tx, dim=-1)),
        "forward + backward of sum(relu(x @ w + 1) * 2)": (ours_chain, theirs_chain),
    }


def mlp_step(torch):
    rng = np.random.default_rng(0)
    xb = rng.normal(size=(32, 20)).astype(np.float32)
    yb = rng.integers(0, 3, 32)
    dg.utils.set_random_seed(0)
    model = dg.Sequential([dg.Input((20,)), dg.layers.Dense(64, activation="relu"),
                           dg.layers.Dense(64, activation="relu"),
                           dg.layers.Dense(3, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy")
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(20, 64), torch.nn.ReLU(), torch.nn.Linear(64, 64),
                              torch.nn.ReLU(), torch.nn.Linear(64, 3))
    adam = torch.optim.Adam(net.parameters(), lr=1e-3)
    tx, ty = torch.tensor(xb), torch.tensor(yb)

    def theirs():
        adam.zero_grad()
        torch.nn.functional.cross_entropy(net(tx), ty).backward()
        adam.step()

    return lambda: model.train_on_batch(xb, yb), theirs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    torch = torch_or_none()
    if torch is None:
        raise SystemExit("ops_overhead.py compares with PyTorch: pip install torch")
    torch.set_num_threads(1)
    rows = cases(torch)
    rows["train_on_batch, MLP 20-64-64-3, batch 32"] = mlp_step(torch)
    print(f"CPU time per call (us), median of {args.rounds} alternating rounds, 1 thread")
    for name, (ours, theirs) in rows.items():
        calls = 300 if name.startswith("train") else 3000
        ours(), theirs()
        samples = {"ours": [], "theirs": []}
        for _ in range(args.rounds):
            samples["ours"].append(per_call(ours, calls))
            samples["theirs"].append(per_call(theirs, calls))
        print_row(name, statistics.median(samples["ours"]),
                  statistics.median(samples["theirs"]), "us/call", higher_is_better=False)


if __name__ == "__main__":
    main()
