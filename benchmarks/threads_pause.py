"""deepgrad's two threads back to back and after a pause: the course CNN's inference.

A model split over deepgrad's threads (kernels/parallel.py) runs its parts on two cores when
calls come back to back. After the process has slept (``benchmarks/models.py`` pauses a
second before each turn; an interactive user pauses too), the two threads were seen to
move between the cores within a call and mostly take turns, wall time close to CPU time.
This prints, for pauses of 0, 0.3 and 1 s before each call, the median wall and CPU time
of ``predict_on_batch`` on a batch of 128, and on which CPUs each thread ran its parts
(Linux's ``sched_getcpu``) in the last call. With ``--settle S``, untimed calls run for
S seconds after each pause, as the other benchmarks do (``common.SETTLE``): on this
benchmark's VM the threads share one virtual CPU for the first 40-150 ms of work after a
pause (README, "Threads after a pause").

    python benchmarks/threads_pause.py
    python benchmarks/threads_pause.py --calls 9 --pauses 0,1
    python benchmarks/threads_pause.py --pauses 0,1 --settle 0.3
"""

from __future__ import annotations

import argparse
import ctypes
import statistics
import threading
import time

import numpy as np
from common import settle
from course_cnn import deepgrad_cnn

from deepgrad.kernels import parallel


def _cpu_reader():
    """``sched_getcpu`` from the C library, or a function returning -1 where there is none."""
    try:
        return ctypes.CDLL(None).sched_getcpu
    except (OSError, AttributeError):
        return lambda: -1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=7, help="timed calls per pause")
    parser.add_argument("--pauses", default="0,0.3,1", help="seconds of sleep before each call")
    parser.add_argument("--settle", type=float, default=0.0,
                        help="seconds of untimed calls after each pause (common.settle)")
    args = parser.parse_args()
    model = deepgrad_cnn()
    x = np.random.default_rng(0).random((128, 28, 28, 1), dtype=np.float32)
    for _ in range(3):
        model.predict_on_batch(x)
    getcpu, seen = _cpu_reader(), {}
    run_parts = parallel.run_parts

    def traced(fn, items):
        def part(item):
            seen.setdefault(threading.current_thread().name, set()).add(getcpu())
            return fn(item)
        return run_parts(part, items)

    parallel.run_parts = traced
    try:
        for pause in (float(p) for p in args.pauses.split(",")):
            wall, cpu = [], []
            for _ in range(args.calls):
                time.sleep(pause)
                if args.settle:
                    settle(lambda: model.predict_on_batch(x), args.settle)
                seen.clear()
                w0, c0 = time.perf_counter(), time.process_time()
                model.predict_on_batch(x)
                cpu.append((time.process_time() - c0) * 1e3)
                wall.append((time.perf_counter() - w0) * 1e3)
            where = ", ".join(f"{name} on CPU {sorted(cpus)}" for name, cpus in seen.items())
            print(f"pause {pause:3.1f} s: wall {statistics.median(wall):6.1f} ms, "
                  f"CPU {statistics.median(cpu):6.1f} ms (medians of {args.calls}); "
                  f"last call: {where}")
    finally:
        parallel.run_parts = run_parts


if __name__ == "__main__":
    main()
