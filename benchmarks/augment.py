"""Augmentation layers' throughput: RandomRotation + RandomTranslation + RandomZoom in training.

The stack is the course's ``data_augmentation`` model::

    dg.Sequential([RandomRotation(0.1), RandomTranslation(0.1, 0.1), RandomZoom(0.1)])

called on batches with ``training=True`` (as ``fit`` calls it): three layers, each
drawing its random values and warping the batch with one batched call (bilinear,
``fill_mode='reflect'``), so three warps per batch as in Keras.

The reference, measured in the same process and interleaved with deepgrad, is
PyTorch doing the equivalent random augmentation the way a PyTorch user would on a
batch: one composed random affine per image (the same ranges), ``F.affine_grid`` +
``F.grid_sample`` (bilinear, reflection padding) with ``BENCH_THREADS`` threads
(default 2). It warps once, not three times, so it does less work than the stack;
a second reference, "torch x3", warps three times like the stack (rotation, then
translation, then zoom), for a like-for-like ratio.

Targets: >= 5,000 images/s at 28x28x1 and >= 2,500 images/s at 32x32x3 (batch 128).

Run: ``python benchmarks/augment.py [--batch-size 128] [--repeats 30]``
"""

from __future__ import annotations

import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from augment_kernels import (  # noqa: E402
    ROTATION,
    TRANSLATION,
    ZOOM,
    random_transforms,
    torch_theta,
)
from common import blas_label, interleaved, torch_or_none  # noqa: E402

import deepgrad as dg  # noqa: E402
from deepgrad.kernels.affine import (  # noqa: E402
    rotation_transform,
    translation_transform,
    zoom_transform,
)

TARGETS = {(28, 28, 1): 5_000, (32, 32, 3): 2_500}


def make_stack() -> dg.Sequential:
    return dg.Sequential(
        [
            dg.layers.RandomRotation(0.1),
            dg.layers.RandomTranslation(0.1, 0.1),
            dg.layers.RandomZoom(0.1),
        ]
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--repeats", type=int, default=30)
    args = parser.parse_args()
    torch = torch_or_none()
    if torch is not None:
        import torch.nn.functional as functional
    n = args.batch_size
    dg.utils.set_random_seed(0)
    print(f"{blas_label()}; NumPy {np.__version__}; batch {n}; deepgrad on 1 thread", flush=True)
    all_met = True
    for (h, w, c), target in TARGETS.items():
        images = np.random.default_rng(0).random((n, h, w, c), dtype=np.float32)
        stack = make_stack()
        stack(images, training=True)  # build

        def deepgrad_step(images=images, stack=stack):
            return stack(images, training=True)

        steps = {"deepgrad": deepgrad_step}
        if torch is not None:
            rng = np.random.default_rng(1)
            batch = torch.from_numpy(images).permute(0, 3, 1, 2).contiguous()

            def torch_step(batch=batch, rng=rng, h=h, w=w):
                theta = torch_theta(torch, random_transforms(rng, n, h, w), h, w)
                grid = functional.affine_grid(theta, list(batch.shape), align_corners=False)
                return functional.grid_sample(
                    batch, grid, "bilinear", "reflection", align_corners=False
                )

            steps["torch"] = torch_step

            def torch_three_step(batch=batch, rng=rng, h=h, w=w):
                angles = rng.uniform(-ROTATION, ROTATION, n) * 2 * np.pi
                shifts = rng.uniform(-TRANSLATION, TRANSLATION, (2, n)) * [[w], [h]]
                zooms = 1.0 + rng.uniform(-ZOOM, ZOOM, n)
                out = batch
                for t in (
                    rotation_transform(angles, h, w),
                    translation_transform(shifts[0], shifts[1]),
                    zoom_transform(zooms, zooms, h, w),
                ):
                    theta = torch_theta(torch, t, h, w)
                    grid = functional.affine_grid(theta, list(out.shape), align_corners=False)
                    out = functional.grid_sample(
                        out, grid, "bilinear", "reflection", align_corners=False
                    )
                return out

            steps["torch x3"] = torch_three_step
        times = interleaved(steps, repeats=args.repeats, warmup=3)
        rates = {name: n / seconds for name, seconds in times.items()}
        met = rates["deepgrad"] >= target
        all_met &= met
        line = (
            f"{h}x{w}x{c}: deepgrad stack {rates['deepgrad']:>9,.0f} img/s "
            f"(target {target:,}: {'met' if met else 'MISSED'})"
        )
        for name in ("torch", "torch x3"):
            if name in rates:
                ratio = rates["deepgrad"] / rates[name]
                line += f" | {name} {rates[name]:>8,.0f} img/s, ratio {ratio:.2f}x"
        print(line, flush=True)
    return 0 if all_met else 1


if __name__ == "__main__":
    sys.exit(main())
