"""A/B of two deepgrad source trees on the models of cnn.py, mlp.py and models.py.

Refactors must not lose speed; this measures that: the same calls (the course CNN's
training step and inference on a batch of 128 and its single-image ``predict_on_batch``;
the iris network's and the 784-128-10 MLP's training steps; and, asked for by name,
``<model>_train`` / ``<model>_predict`` for a model of ``models.py``, e.g.
``resnet50_predict`` or ``toy_resnet_train``, at its batch size) run in child processes that
alternate between the two trees, round after round, each child timing many calls after a
warm-up. It prints, per call, the median CPU time and wall time of each tree with their
ranges over the rounds, and the ratio old / new (above 1: the new tree is faster). CPU time
is what to read on a shared machine; wall time when it is quiet.

    git worktree add /tmp/old <old commit>
    python benchmarks/ab_commits.py /tmp/old/src src --rounds 6
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
CASES = ("cnn_train", "cnn_predict", "cnn_single", "iris_step", "mlp_step")


def _case(name: str):
    """The call to time for ``name`` in the deepgrad on ``sys.path``."""
    import models
    import numpy as np
    from course_cnn import deepgrad_cnn

    import deepgrad as dg

    rng = np.random.default_rng(0)
    model_name, _, mode = name.rpartition("_")
    if mode in ("train", "predict") and model_name in models.MODELS:
        builder, size, batch = models.MODELS[model_name]
        _, train, predict = models._build("deepgrad", builder, size, batch)
        x, y = models._data(model_name)
        return (lambda: train(x, y)) if mode == "train" else (lambda: predict(x))
    if name.startswith("cnn"):
        model = deepgrad_cnn()
        x = rng.random((128, 28, 28, 1), dtype=np.float32)
        y = rng.integers(0, 10, 128)
        if name == "cnn_train":
            return lambda: model.train_on_batch(x, y)
        if name == "cnn_predict":
            return lambda: model.predict_on_batch(x)
        return lambda: model.predict_on_batch(x[:1])
    sizes, batch = ((4, 10, 10, 3), 32) if name == "iris_step" else ((784, 128, 10), 128)
    dg.utils.set_random_seed(0)
    layers = [dg.layers.Input((sizes[0],))]
    layers += [dg.layers.Dense(units, activation="relu") for units in sizes[1:-1]]
    model = dg.Sequential([*layers, dg.layers.Dense(sizes[-1])])
    model.compile(optimizer=dg.optimizers.Adam(1e-3),
                  loss=dg.losses.SparseCategoricalCrossentropy(from_logits=True))
    x = rng.random((batch, sizes[0]), dtype=np.float32)
    y = rng.integers(0, sizes[-1], batch)
    return lambda: model.train_on_batch(x, y)


def child(name: str, calls: int) -> None:
    """Time ``calls`` calls of case ``name`` after a warm-up; print CPU and wall medians."""
    sys.path.insert(0, str(HERE))
    run = _case(name)
    for _ in range(max(3, calls // 5)):
        run()
    cpu, wall = [], []
    for _ in range(calls):
        c0, w0 = time.process_time(), time.perf_counter()
        run()
        cpu.append(time.process_time() - c0)
        wall.append(time.perf_counter() - w0)
    print(statistics.median(cpu), statistics.median(wall))


def _run_child(src: str, name: str, calls: int) -> tuple[float, float]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([src, str(HERE)])}
    out = subprocess.run([sys.executable, __file__, "--child", name, str(calls)], env=env,
                         capture_output=True, text=True, check=True).stdout
    cpu, wall = out.split()[-2:]
    return float(cpu), float(wall)


def _fmt(values: list[float]) -> str:
    ms = [v * 1e3 for v in values]
    return f"{statistics.median(ms):8.3f} [{min(ms):.3f}-{max(ms):.3f}]"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("old", help="the old tree's src folder")
    parser.add_argument("new", help="the new tree's src folder")
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--cases", default=",".join(CASES))
    args = parser.parse_args()
    calls = {"cnn_train": 10, "cnn_predict": 20, "cnn_single": 200, "iris_step": 2000,
             "mlp_step": 300}
    for name in args.cases.split(","):
        calls.setdefault(name, 5 if name.endswith("_train") else 10)  # a models.py model
        times = {"old": [], "new": []}
        for round_ in range(args.rounds):
            order = ("old", "new") if round_ % 2 == 0 else ("new", "old")
            for label in order:
                src = args.old if label == "old" else args.new
                times[label].append(_run_child(src, name, calls[name]))
                time.sleep(0.5)
        print(f"{name}: ms per call, median [range] over {args.rounds} rounds")
        for kind, index in (("CPU", 0), ("wall", 1)):
            old = [t[index] for t in times["old"]]
            new = [t[index] for t in times["new"]]
            ratios = [o / n for o, n in zip(old, new, strict=True)]
            print(f"  {kind:4s} old {_fmt(old)}  new {_fmt(new)}  old/new "
                  f"{statistics.median(ratios):.2f} [{min(ratios):.2f}-{max(ratios):.2f}]")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        child(sys.argv[2], int(sys.argv[3]))
    else:
        main()
