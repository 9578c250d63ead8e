"""Shared helpers for the benchmarks: timing, the OPENBLAS_CORETYPE re-run, ratio tables.

Every benchmark measures deepgrad and its reference (PyTorch, scikit-learn) in the same
process, alternating, and reports ratios; absolute times on a shared machine are noise.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time


def best_time(fn, repeats: int = 5, warmup: int = 1) -> float:
    """Median wall time of ``fn()`` over ``repeats`` runs after ``warmup`` runs."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


# Seconds of untimed calls after a pause (:func:`settle`). This machine's kernel is booted
# with ``sched_vcpu_pack=15``, a setting of its sandbox that stock Linux lacks: after the
# process has slept 0.3-1 s, its threads share one virtual CPU for the next 40-150 ms of
# work (the course CNN's predict: 17-30 ms a call, then 12-13.5; README, "Threads after
# a pause", ``benchmarks/threads_pause.py``).
SETTLE = 0.3


def settle(fn, seconds: float = SETTLE) -> None:
    """Call ``fn`` untimed until ``seconds`` have passed (at least once): after a pause,
    so that the timed calls measure the framework, not the threads finding their cores."""
    end = time.perf_counter() + seconds
    fn()
    while time.perf_counter() < end:
        fn()


def interleaved_samples(
    fns: dict, repeats: int = 5, warmup: int = 1, pause: float = 0.3, clock=time.perf_counter,
    settle_for: float = 0.0,
) -> dict[str, list[float]]:
    """Wall times of each function, timed round-robin so that machine noise hits them alike.

    ``clock=time.process_time`` measures CPU time (all threads) instead, which other jobs
    on a loaded machine disturb far less (for code that does not wait on other threads).

    ``pause`` seconds pass before each timed call: PyTorch's OpenMP threads and OpenBLAS's
    threads keep spinning for a while after they finish, and on a two-core machine the
    next call (the other framework's) would otherwise pay for that (measured: deepgrad's
    CNN step 148 ms right after a PyTorch step, 132 ms after a pause, 135 ms alone).
    With ``settle_for``, the function then runs untimed that long (:data:`SETTLE`).
    """
    for fn in fns.values():
        for _ in range(warmup):
            fn()
    samples = {name: [] for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            time.sleep(pause)
            if settle_for > 0:
                settle(fn, settle_for)
            start = clock()
            fn()
            samples[name].append(clock() - start)
    return samples


def interleaved(
    fns: dict, repeats: int = 5, warmup: int = 1, pause: float = 0.3, clock=time.perf_counter,
    settle_for: float = 0.0,
) -> dict:
    """Median time of each function, from :func:`interleaved_samples`."""
    samples = interleaved_samples(fns, repeats, warmup, pause, clock, settle_for)
    return {name: statistics.median(t) for name, t in samples.items()}


def blas_label() -> str:
    value = os.environ.get("OPENBLAS_CORETYPE")
    return f"OPENBLAS_CORETYPE={value}" if value else "OPENBLAS_CORETYPE unset"


def run_both_blas_settings(script: str, args: list[str]) -> int:
    """Run ``script --child`` as the environment is, then with OPENBLAS_CORETYPE unset.

    Where the variable is not set at all, the second run is skipped (it would repeat the first).
    """
    runs = [("as the environment is", dict(os.environ))]
    if "OPENBLAS_CORETYPE" in os.environ:
        env = dict(os.environ)
        env.pop("OPENBLAS_CORETYPE")
        runs.append(("with OPENBLAS_CORETYPE unset", env))
    else:
        print("(OPENBLAS_CORETYPE is not set here, so one run covers both settings)")
    code = 0
    for label, env in runs:
        print(f"\n=== {label} ===", flush=True)
        code |= subprocess.call([sys.executable, script, "--child", *args], env=env)
    return code


def torch_or_none():
    try:
        import torch
    except ImportError:
        print("PyTorch is not installed: pip install torch==2.13.0 (the test extra) to compare.")
        return None
    torch.set_num_threads(int(os.environ.get("BENCH_THREADS", "2")))
    return torch


def print_row(name: str, ours: float, theirs: float, unit: str, higher_is_better: bool) -> None:
    ratio = ours / theirs if higher_is_better else theirs / ours
    print(f"{name:<58} deepgrad {ours:>12,.1f} {unit:<10} reference {theirs:>12,.1f} "
          f"{unit:<10} ratio {ratio:5.2f}x", flush=True)
