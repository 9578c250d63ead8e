"""The colour and noise functions of :mod:`deepgrad.image`, and the input checks they share.

Use them as ``dg.image.adjust_brightness`` and so on; this module is private.

>>> import numpy as np
>>> invert(np.array([[[0.25]]], np.float32))[..., 0].tolist()
[[0.75]]
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from deepgrad.kernels.image_common import cast_to, working_dtype
from deepgrad.random import make_generator

__all__ = [
    "adjust_brightness",
    "adjust_contrast",
    "invert",
    "random_salt_and_pepper",
    "salt_and_pepper_noise",
    "gaussian_noise",
]


def _as_batch(image: ArrayLike, where: str, name: str = "image") -> tuple[np.ndarray, bool]:
    """The input as a rank-4 batch, and whether it was a single image."""
    array = np.asarray(image)
    if array.ndim not in (3, 4):
        hint = " To fix, add a channel axis: image[..., None]." if array.ndim == 2 else ""
        raise ValueError(
            f"{where}: `{name}` must have rank 3 (height, width, channels) or 4 "
            f"(batch, height, width, channels). Received: {name}.shape={array.shape}.{hint}"
        )
    return (array[None], True) if array.ndim == 3 else (array, False)


def _numeric(array: np.ndarray, where: str, name: str = "image") -> None:
    if array.dtype.kind not in "iuf":
        raise TypeError(
            f"{where}: `{name}` must have an integer or float dtype. "
            f"Received: {name}.dtype={array.dtype}"
        )


def _per_image(value: ArrayLike, n: int, name: str, where: str) -> np.ndarray:
    """``value`` as float64 of shape ``(n,)``: a scalar, or one value per image."""
    array = np.asarray(value, dtype=np.float64)
    if array.ndim == 0 or array.shape == (1,):
        return np.full(n, array.reshape(()))
    if array.shape != (n,):
        raise ValueError(
            f"{where}: `{name}` must be a number or hold one value per image, shape ({n},). "
            f"Received: {name}.shape={array.shape}"
        )
    return array


def _brightest(dtype: np.dtype, max_value: float | None, where: str) -> float:
    if max_value is not None:
        if dtype.kind in "iu" and not 0 <= max_value <= np.iinfo(dtype).max:
            raise ValueError(
                f"{where}: `max_value` must lie in 0..{np.iinfo(dtype).max} for {dtype} images. "
                f"Received: max_value={max_value!r}"
            )
        return float(max_value)
    return float(np.iinfo(dtype).max) if dtype.kind in "iu" else 1.0


def adjust_brightness(image: ArrayLike, delta: float) -> np.ndarray:
    """Add ``delta`` to every pixel, as ``tf.image.adjust_brightness``.

    As in TensorFlow, ``delta`` is on the [0, 1] scale: for integer images it is a
    fraction of the dtype's maximum (0.1 adds 25.5 to uint8, then rounds and clips).
    Float images are not clipped.

    Args:
        image: ``(H, W, C)`` or ``(N, H, W, C)``, integer or float.
        delta: the amount to add.

    Returns:
        the brightened image(s), same shape and dtype.

    Raises:
        ValueError: bad rank.

    >>> adjust_brightness(np.array([[[10], [250]]], np.uint8), 0.1)[..., 0]
    array([[ 36, 255]], dtype=uint8)
    """
    where = "adjust_brightness"
    batch, _ = _as_batch(image, where)
    _numeric(batch, where)
    image = np.asarray(image)
    if image.dtype.kind == "f":
        return image + image.dtype.type(delta)
    compute = working_dtype(image.dtype)
    shift = compute.type(delta * np.iinfo(image.dtype).max)
    return cast_to(image.astype(compute) + shift, image.dtype)


def adjust_contrast(image: ArrayLike, contrast_factor: float) -> np.ndarray:
    """Scale each channel's distance from its mean, as ``tf.image.adjust_contrast``.

    Each image and channel: ``(x - mean) * contrast_factor + mean``, the mean taken
    over height and width. Integer results are rounded and clipped.

    Args:
        image: ``(H, W, C)`` or ``(N, H, W, C)``, integer or float.
        contrast_factor: 1 leaves the image, 0 makes it flat, above 1 adds contrast.

    Returns:
        the adjusted image(s), same shape and dtype.

    Raises:
        ValueError: bad rank.

    >>> adjust_contrast(np.array([[[0.25], [0.75]]], np.float32), 2.0)[..., 0]
    array([[0., 1.]], dtype=float32)
    """
    where = "adjust_contrast"
    batch, _ = _as_batch(image, where)
    _numeric(batch, where)
    image = np.asarray(image)
    x = image.astype(working_dtype(image.dtype))
    mean = x.mean(axis=(-3, -2), keepdims=True)
    x -= mean
    x *= x.dtype.type(contrast_factor)
    x += mean
    return cast_to(x, image.dtype)


def invert(image: ArrayLike, max_value: float | None = None) -> np.ndarray:
    """Invert the colours: ``max_value - image``.

    ``max_value`` defaults to the dtype's maximum for integers (255 for uint8) and to
    1.0 for floats (images scaled to [0, 1]); pass 255.0 for float images in [0, 255].
    Inverting twice gives the image back (exactly for integers).

    Args:
        image: ``(H, W, C)`` or ``(N, H, W, C)``, integer or float.
        max_value: the brightest value.

    Returns:
        the inverted image(s), same shape and dtype.

    Raises:
        ValueError: bad rank, or ``max_value`` outside an integer dtype's range.

    >>> invert(np.array([[[0], [55], [255]]], np.uint8))[..., 0]
    array([[255, 200,   0]], dtype=uint8)
    """
    where = "invert"
    batch, _ = _as_batch(image, where)
    _numeric(batch, where)
    image = np.asarray(image)
    top = _brightest(image.dtype, max_value, where)
    if image.dtype.kind == "f":
        return image.dtype.type(top) - image
    info = np.iinfo(image.dtype)
    return np.clip(int(top) - image.astype(np.int64), info.min, info.max).astype(image.dtype)


def random_salt_and_pepper(
    image: ArrayLike,
    amount: float = 0.05,
    salt_vs_pepper: float = 0.5,
    max_value: float | None = None,
    seed: int | None = None,
) -> np.ndarray:
    """Set a random ``amount`` of each image's pixels to white (salt) or black (pepper).

    Exactly ``round(amount * H * W)`` pixel positions per image change (all channels
    of a pixel together); ``round(that * salt_vs_pepper)`` of them become
    ``max_value`` and the rest 0. The same ``seed`` gives the same noise.

    Args:
        image: ``(H, W, C)`` or ``(N, H, W, C)``, integer or float.
        amount: the fraction of pixels to change, in [0, 1].
        salt_vs_pepper: the fraction of changed pixels that become salt, in [0, 1].
        max_value: the salt value: the dtype's maximum for integers, 1.0 for floats.
        seed: an int for reproducible noise; None draws from deepgrad's global
            generator (seeded by ``dg.utils.set_random_seed``).

    Returns:
        a noisy copy, same shape and dtype.

    Raises:
        ValueError: bad rank, or ``amount`` or ``salt_vs_pepper`` outside [0, 1].

    >>> noisy = random_salt_and_pepper(np.full((10, 10, 1), 128, np.uint8), 0.2, seed=0)
    >>> int((noisy == 255).sum()), int((noisy == 0).sum())
    (10, 10)
    """
    where = "random_salt_and_pepper"
    batch, single = _as_batch(image, where)
    _numeric(batch, where)
    for name, value in (("amount", amount), ("salt_vs_pepper", salt_vs_pepper)):
        if not 0.0 <= value <= 1.0:
            raise ValueError(f"{where}: `{name}` must be in [0, 1]. Received: {name}={value!r}")
    salt = cast_to(np.asarray(_brightest(batch.dtype, max_value, where)), batch.dtype)
    n, h, w, c = batch.shape
    pixels = h * w
    count = int(round(amount * pixels))
    salt_count = int(round(count * salt_vs_pepper))
    out = batch.copy()
    if count:
        # The `count` smallest of one random key per pixel: a uniform random subset.
        keys = make_generator(seed).random((n, pixels), dtype=np.float32)
        chosen = (
            np.argpartition(keys, count - 1, axis=1)[:, :count]
            if count < pixels
            else (np.broadcast_to(np.arange(pixels), (n, pixels)))
        )
        flat = out.reshape(n, pixels, c)
        images = np.arange(n)[:, None]
        flat[images, chosen[:, :salt_count]] = salt
        flat[images, chosen[:, salt_count:]] = 0
    return out[0] if single else out


salt_and_pepper_noise = random_salt_and_pepper


def gaussian_noise(
    image: ArrayLike, stddev: float, mean: float = 0.0, seed: int | None = None
) -> np.ndarray:
    """Add normal noise ``N(mean, stddev**2)`` to every value, in the image's own units.

    Integer images are rounded and clipped to their range (``stddev=10`` on uint8 is
    10 grey levels); float images are not clipped, as Keras's ``GaussianNoise``.

    Args:
        image: ``(H, W, C)`` or ``(N, H, W, C)``, integer or float.
        stddev: the noise's standard deviation, >= 0.
        mean: the noise's mean.
        seed: an int for reproducible noise; None draws from deepgrad's global generator.

    Returns:
        a noisy copy, same shape and dtype.

    Raises:
        ValueError: bad rank or a negative ``stddev``.

    >>> noisy = gaussian_noise(np.zeros((100, 100, 1), np.float32), 0.1, seed=0)
    >>> noisy.dtype, round(float(noisy.std()), 2)
    (dtype('float32'), 0.1)
    """
    where = "gaussian_noise"
    batch, _ = _as_batch(image, where)
    _numeric(batch, where)
    if not stddev >= 0:
        raise ValueError(f"{where}: `stddev` must be >= 0. Received: stddev={stddev!r}")
    image = np.asarray(image)
    compute = working_dtype(image.dtype)
    noise = make_generator(seed).standard_normal(image.shape, dtype=compute)
    noise *= compute.type(stddev)
    noise += compute.type(mean)
    noise += image
    return cast_to(noise, image.dtype)
