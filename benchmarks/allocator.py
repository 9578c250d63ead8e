"""The memory policy (deepgrad.kernels.memory) on and off, in alternating child processes.

Each round starts two children of the same deepgrad, one with
``DEEPGRAD_KEEP_FREED_MEMORY=0`` (glibc's default allocator behaviour) and one with the
policy on, in alternating order; each builds an application model, warms up with two
calls, then times ``--steps`` calls of ``train_on_batch`` or ``predict_on_batch`` in CPU
time (all threads) and reports its peak resident memory above the imported framework.
Printed: the median and range of each side's per-child medians, the peak memory, and the
ratio off / on per round (above 1: the policy is faster).

    python benchmarks/allocator.py --models mobilenet_v2,resnet50 --modes train,predict
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from models import MODELS, _data, _status_kb  # noqa: E402


def child(name: str, mode: str, steps: int) -> None:
    """Time ``steps`` calls of ``mode`` on model ``name``; print CPU seconds and peak MB."""
    import deepgrad as dg

    rss_import = _status_kb("VmRSS")
    builder, size, batch = MODELS[name]
    dg.utils.set_random_seed(0)
    model = getattr(dg.applications, builder)(weights=None, input_shape=(size, size, 3))
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    x, y = _data(size, batch)
    call = (lambda: model.train_on_batch(x, y)) if mode == "train" else (
        lambda: model.predict_on_batch(x))
    call()
    call()
    cpu = []
    for _ in range(steps):
        start = time.process_time()
        call()
        cpu.append(time.process_time() - start)
    print(json.dumps({"cpu": statistics.median(cpu),
                      "peak_mb": (_status_kb("VmHWM") - rss_import) / 1024}))


def _run(name: str, mode: str, steps: int, keep: str) -> dict:
    env = dict(os.environ, DEEPGRAD_KEEP_FREED_MEMORY=keep,
               PYTHONPATH=os.pathsep.join([str(HERE.parent / "src"), str(HERE)]))
    out = subprocess.run([sys.executable, __file__, "--child", name, mode, str(steps)],
                         capture_output=True, text=True, env=env, check=False)
    if out.returncode:
        raise RuntimeError(out.stderr)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="mobilenet_v2", help="comma-separated names")
    parser.add_argument("--modes", default="train,predict")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--steps", type=int, default=4)
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], args.child[1], int(args.child[2]))
        return
    print(f"load average {os.getloadavg()[0]:.1f}; OPENBLAS_CORETYPE="
          f"{os.environ.get('OPENBLAS_CORETYPE', '(unset)')}; CPU ms per call")
    for name in args.models.split(","):
        for mode in args.modes.split(","):
            runs: dict[str, list[dict]] = {"0": [], "1": []}
            for r in range(args.rounds):
                for keep in ("0", "1") if r % 2 == 0 else ("1", "0"):
                    runs[keep].append(_run(name, mode, args.steps, keep))
            line = f"{name:<13} {mode:<8}"
            for keep, label in (("0", "off"), ("1", "on")):
                ms = [1e3 * run["cpu"] for run in runs[keep]]
                peak = statistics.median(run["peak_mb"] for run in runs[keep])
                line += (f"  {label} {statistics.median(ms):7.1f} [{min(ms):.1f}-{max(ms):.1f}]"
                         f" peak {peak:,.0f} MB")
            ratios = [a["cpu"] / b["cpu"] for a, b in zip(runs["0"], runs["1"], strict=True)]
            print(f"{line}  off/on {statistics.median(ratios):.2f}x "
                  f"[{min(ratios):.2f}-{max(ratios):.2f}]", flush=True)


if __name__ == "__main__":
    main()
