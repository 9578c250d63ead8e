"""Inference: a deepgrad model exported to ONNX and run in ONNX Runtime, against deepgrad's
own ``predict``, for the course CNN and MobileNetV2, batch 1 and batch 128.

What deploying buys: the ratio ``deepgrad predict time / ONNX Runtime time`` (above 1: ONNX
Runtime is faster). Both run in this process on the same inputs and the same threads (ONNX
Runtime's intra-op threads = the CPU count, as deepgrad's), timed round-robin; medians
of wall time and of CPU time (all threads), the latter being what other jobs on a loaded
machine disturb least. The outputs are checked equal (1e-4 of the largest value) first.

    python benchmarks/onnx_runtime.py [--repeats 5] [--size 224] [--quick]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from common import interleaved_samples  # noqa: E402
from course_cnn import deepgrad_cnn  # noqa: E402

import deepgrad as dg  # noqa: E402


def session(model, threads: int):
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    proto = dg.export.onnx_model(model)
    return ort.InferenceSession(proto.SerializeToString(), options,
                                providers=["CPUExecutionProvider"])


def models(size: int) -> dict:
    dg.utils.set_random_seed(0)
    return {
        "course CNN (28x28x1)": deepgrad_cnn(),
        f"MobileNetV2 ({size}x{size}x3)": dg.applications.MobileNetV2(
            weights=None, input_shape=(size, size, 3)),
    }


def measure(name: str, model, batch: int, repeats: int, threads: int) -> dict:
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 1, (batch, *model.input_shape[1:])).astype("float32")
    runtime = session(model, threads)
    feed = {runtime.get_inputs()[0].name: x}
    ours = model.predict(x, batch_size=batch, verbose=0)
    (theirs,) = runtime.run(None, feed)
    error = float(np.abs(ours - theirs).max())
    if error > 1e-4 * float(np.abs(ours).max()):
        raise SystemExit(f"{name}: outputs differ by {error} (largest {np.abs(ours).max()})")
    fns = {"deepgrad": lambda: model.predict(x, batch_size=batch, verbose=0),
           "onnxruntime": lambda: runtime.run(None, feed)}
    # ONNX Runtime's threads spin for a while after a run; the pause keeps that spinning
    # from slowing the deepgrad call that follows (on 2 cores: 25x at batch 1 without it).
    pause = 0.3
    wall = interleaved_samples(fns, repeats=repeats, warmup=1, pause=pause)
    cpu = interleaved_samples(fns, repeats=repeats, warmup=0, pause=pause,
                              clock=time.process_time)
    row = {"model": name, "batch": batch}
    for clock, samples in (("wall", wall), ("cpu", cpu)):
        ours_t, theirs_t = (statistics.median(samples[k]) for k in ("deepgrad", "onnxruntime"))
        ratios = [a / b for a, b in zip(samples["deepgrad"], samples["onnxruntime"])]
        row[clock] = (ours_t, theirs_t, ours_t / theirs_t, min(ratios), max(ratios))
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--size", type=int, default=224, help="MobileNetV2's image size")
    parser.add_argument("--quick", action="store_true", help="2 repeats, batch 128 -> 16")
    args = parser.parse_args()
    import onnxruntime

    threads = os.cpu_count() or 1
    repeats = 2 if args.quick else args.repeats
    big = 16 if args.quick else 128
    print(f"deepgrad {dg.__version__}, onnxruntime {onnxruntime.__version__}, {threads} "
          f"threads, {repeats} repeats (median, [min-max] of per-round ratios)")
    print(f"{'model':<28} {'batch':>5} {'clock':>5} {'deepgrad ms':>12} {'onnxrt ms':>10} "
          f"{'deepgrad/onnxrt':>16}")
    for name, model in models(args.size).items():
        for batch in (1, big):
            row = measure(name, model, batch, repeats, threads)
            for clock in ("wall", "cpu"):
                ours_t, theirs_t, ratio, low, high = row[clock]
                print(f"{name:<28} {batch:>5} {clock:>5} {ours_t * 1e3:>12.2f} "
                      f"{theirs_t * 1e3:>10.2f} {ratio:>7.2f} [{low:.2f}-{high:.2f}]",
                      flush=True)


if __name__ == "__main__":
    main()
