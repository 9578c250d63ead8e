"""The graph plan's fusions, on and off, on the application models of ``models.py``.

A model's plan runs chains of calls as one op where a layer can (``Layer.fuse``): a
convolution with a batch normalization folded in and a ReLU/ReLU6 in inference, a batch
normalization with its ReLU, a convolution with its max pool. This times the same model
with the plan it makes and with a plan made without fusion (``Plan(graph, fuse=False)``),
alternating in one process, and prints the median time of each and the ratio unfused /
fused (above 1: fusion is faster). ``--cpu-time`` (one thread, CPU time) is the figure to
read on a machine shared with other jobs.

A caution: the two plans allocate different arrays, and alternating them in one process
can charge one plan for fresh memory (page faults) the other would not pay alone. The
unfused plan's times spread widely (ResNet50 predict: 782-1,363 ms against 561-598 ms
fused), and ``models.py``, one process per framework, moved far less (ResNet50
``predict_on_batch`` 581 -> 591 ms of CPU time in runs an hour apart): read this as an
upper bound of what fusion saves.

    python benchmarks/fusion.py --cpu-time
    python benchmarks/fusion.py --models mobilenet_v2 --modes predict --repeats 9
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
from common import blas_label, interleaved_samples
from models import CLASSES, MODELS, SEED

import deepgrad as dg
from deepgrad.models.functional import Plan


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default=",".join(MODELS), help="comma-separated names")
    parser.add_argument("--modes", default="predict,train", help="predict, train or both")
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--cpu-time", action="store_true",
                        help="one thread, CPU time (a machine shared with other jobs)")
    args = parser.parse_args()
    clock = time.perf_counter
    if args.cpu_time:
        dg.config.set_num_threads(1)
        clock = time.process_time
    print(f"[{blas_label()}, threads {dg.config.get_num_threads()}, "
          f"{'CPU' if args.cpu_time else 'wall'} time] median [range] of {args.repeats} "
          "alternating calls; x = unfused / fused")
    for name in args.models.split(","):
        builder, size, batch = MODELS[name]
        dg.utils.set_random_seed(SEED)
        model = getattr(dg.applications, builder)(weights=None, input_shape=(size, size, 3))
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
        rng = np.random.default_rng(SEED)
        x = rng.uniform(-1.0, 1.0, (batch, size, size, 3)).astype(np.float32)
        y = rng.integers(0, CLASSES, batch)
        graph = model._graph
        plans = {"fused": graph.plan, "unfused": Plan(graph, fuse=False)}
        fused_steps = sum(type(s.call).__name__ == "FusedCall" for s in plans["fused"].steps)
        print(f"\n{builder} {size}x{size}, batch {batch}: {fused_steps} fused steps")
        for mode in args.modes.split(","):
            def with_plan(plan, mode=mode, model=model, graph=graph, x=x, y=y):
                def run():
                    graph._plan = plan
                    if mode == "predict":
                        model.predict_on_batch(x)
                    else:
                        model.train_on_batch(x, y)
                return run

            samples = interleaved_samples({k: with_plan(p) for k, p in plans.items()},
                                          repeats=args.repeats, warmup=1, pause=0.2,
                                          clock=clock)
            graph._plan = plans["fused"]
            med = {k: statistics.median(v) for k, v in samples.items()}
            line = "  ".join(f"{k} {1e3 * med[k]:7.1f} ms [{1e3 * min(v):.1f}-{1e3 * max(v):.1f}]"
                             for k, v in samples.items())
            print(f"  {mode:<8} {line}  x {med['unfused'] / med['fused']:.2f}", flush=True)


if __name__ == "__main__":
    main()
