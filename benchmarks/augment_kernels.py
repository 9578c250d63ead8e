"""Augmentation kernel throughput: random rotation + translation + zoom in one warp per batch.

For each image a random rotation, translation and zoom (Keras's ``RandomRotation(0.1)``,
``RandomTranslation(0.1, 0.1)``, ``RandomZoom(0.1)`` ranges) are composed into ONE
projective transform, and the whole batch is warped by one
``deepgrad.kernels.affine.affine_transform`` call (bilinear, ``fill_mode='reflect'``).
The timed step includes building the transforms.

References, measured in the same process and interleaved with deepgrad:

- SciPy (the NumPy-world reference): ``scipy.ndimage.affine_transform`` image by image
  and channel by channel, ``order=1, mode='reflect'``, the same sampling convention. The
  script also prints the largest difference from deepgrad's output, which should be at
  float32 rounding level.
- PyTorch, when installed: ``F.affine_grid`` + ``F.grid_sample`` on the whole batch
  (``padding_mode='reflection', align_corners=False``), with ``BENCH_THREADS`` threads
  (default 2). deepgrad runs on one thread.

Targets (issue 4): >= 5,000 images/s on 28x28x1 and >= 2,500 images/s on 32x32x3.
The only BLAS call is a tiny ``(2N, 3) @ (3, H*W)`` product, so ``OPENBLAS_CORETYPE``
does not matter here and one run covers both settings.

Run: ``python benchmarks/augment_kernels.py [--batch-sizes 32 128 1024] [--repeats 7]``
"""

from __future__ import annotations

import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import blas_label, interleaved  # noqa: E402

from deepgrad.kernels.affine import (  # noqa: E402
    affine_transform,
    compose,
    rotation_transform,
    translation_transform,
    zoom_transform,
)

TARGETS = {(28, 28, 1): 5_000, (32, 32, 3): 2_500}
ROTATION, TRANSLATION, ZOOM = 0.1, 0.1, 0.1  # Keras factors


def random_transforms(rng: np.random.Generator, n: int, h: int, w: int) -> np.ndarray:
    """One composed transform per image, drawn as Keras's three layers draw theirs."""
    angles = rng.uniform(-ROTATION, ROTATION, n) * 2 * np.pi
    dx = rng.uniform(-TRANSLATION, TRANSLATION, n) * w
    dy = rng.uniform(-TRANSLATION, TRANSLATION, n) * h
    zooms = 1.0 + rng.uniform(-ZOOM, ZOOM, n)
    return compose(
        rotation_transform(angles, h, w),
        translation_transform(dx, dy),
        zoom_transform(zooms, zooms, h, w),
    )


def scipy_reference(ndimage, images: np.ndarray, transforms: np.ndarray) -> np.ndarray:
    """SciPy, image by image: output (row, col) reads input matrix @ (row, col) + offset."""
    out = np.empty_like(images)
    for i, (a0, a1, a2, b0, b1, b2, _, _) in enumerate(transforms):
        matrix = np.array([[b1, b0], [a1, a0]])
        offset = (b2, a2)
        for ch in range(images.shape[-1]):
            ndimage.affine_transform(
                images[i, :, :, ch],
                matrix,
                offset,
                output=out[i, :, :, ch],
                order=1,
                mode="reflect",
            )
    return out


def torch_theta(torch, transforms: np.ndarray, h: int, w: int):
    """Pixel transforms as affine_grid's thetas (normalised coordinates, align_corners=False)."""
    to_norm = np.array([[2 / w, 0, 1 / w - 1], [0, 2 / h, 1 / h - 1], [0, 0, 1]])
    m = np.concatenate([transforms, np.ones((len(transforms), 1))], 1).reshape(-1, 3, 3)
    theta = to_norm @ m @ np.linalg.inv(to_norm)
    return torch.from_numpy(theta[:, :2].astype(np.float32))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[32, 128, 1024])
    parser.add_argument("--repeats", type=int, default=7, help="at least this many")
    args = parser.parse_args()

    try:
        from scipy import ndimage
    except ImportError:
        ndimage = None
        print("SciPy is not installed: the SciPy comparison is skipped (pip install scipy).")
    try:
        import torch
        import torch.nn.functional as functional

        torch.set_num_threads(int(os.environ.get("BENCH_THREADS", "2")))
    except ImportError:
        torch = None
        print("PyTorch is not installed: the PyTorch comparison is skipped.")

    print(f"{blas_label()}; NumPy {np.__version__}; deepgrad on 1 thread", flush=True)
    all_met = True
    for (h, w, c), target in TARGETS.items():
        for n in args.batch_sizes:
            rng = np.random.default_rng(0)
            images = rng.random((n, h, w, c), dtype=np.float32)

            def deepgrad_step(images=images, rng=rng, n=n, h=h, w=w):
                return affine_transform(images, random_transforms(rng, n, h, w), "reflect")

            steps = {"deepgrad": deepgrad_step}
            if ndimage is not None:

                def scipy_step(images=images, rng=rng, n=n, h=h, w=w):
                    return scipy_reference(ndimage, images, random_transforms(rng, n, h, w))

                steps["scipy"] = scipy_step
            if torch is not None:
                batch = torch.from_numpy(images).permute(0, 3, 1, 2).contiguous()

                def torch_step(batch=batch, rng=rng, n=n, h=h, w=w):
                    theta = torch_theta(torch, random_transforms(rng, n, h, w), h, w)
                    grid = functional.affine_grid(theta, list(batch.shape), align_corners=False)
                    return functional.grid_sample(
                        batch, grid, "bilinear", "reflection", align_corners=False
                    )

                steps["torch"] = torch_step
            # Enough repeats for about 20,000 images per function; small batches are noisy.
            times = interleaved(steps, repeats=max(args.repeats, 20_000 // n), warmup=3)
            rates = {name: n / seconds for name, seconds in times.items()}
            met = rates["deepgrad"] >= target
            all_met &= met
            line = f"{h}x{w}x{c} batch {n:>5}: deepgrad {rates['deepgrad']:>10,.0f} img/s"
            line += f" (target {target:,}: {'met' if met else 'MISSED'})"
            for name in ("scipy", "torch"):
                if name in rates:
                    ratio = rates["deepgrad"] / rates[name]
                    line += f" | {name} {rates[name]:>9,.0f} img/s, ratio {ratio:5.1f}x"
            print(line, flush=True)

        # Same transforms through each: the outputs should agree.
        t = random_transforms(np.random.default_rng(1), 16, h, w)
        sample = np.random.default_rng(2).random((16, h, w, c), dtype=np.float32)
        ours = affine_transform(sample, t, "reflect")
        if ndimage is not None:
            diff = np.abs(ours - scipy_reference(ndimage, sample, t)).max()
            print(f"{h}x{w}x{c}: max |deepgrad - scipy| = {diff:.2e}")
        if torch is not None:
            batch = torch.from_numpy(sample).permute(0, 3, 1, 2)
            grid = functional.affine_grid(torch_theta(torch, t, h, w), list(batch.shape), False)
            theirs = functional.grid_sample(batch, grid, "bilinear", "reflection", False)
            diff = np.abs(ours - theirs.permute(0, 2, 3, 1).numpy()).max()
            print(f"{h}x{w}x{c}: max |deepgrad - torch| = {diff:.2e}")
    return 0 if all_met else 1


if __name__ == "__main__":
    sys.exit(main())
