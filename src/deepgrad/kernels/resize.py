"""Batched image resizing with half-pixel centres, as ``tf.image.resize`` and Keras's ``Resizing``.

Bilinear resizing is separable: one small matrix product along the height and one
along the width, for the whole batch at once. ``crop_to_aspect_ratio`` first cuts the
largest centred window with the target's aspect ratio (Keras's rule), and
``pad_to_aspect_ratio`` instead pads the image evenly to that ratio.

>>> import numpy as np
>>> x = np.array([0.0, 1.0, 2.0, 3.0]).reshape(1, 1, 4, 1)
>>> resize_images(x, (1, 2))[0, 0, :, 0].tolist()
[0.5, 2.5]
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from deepgrad.kernels.image_common import (
    array_module,
    cast_to,
    check_interpolation,
    check_size,
    working_dtype,
)

__all__ = ["resize_images", "aspect_ratio_crop_box", "aspect_ratio_padding"]


def aspect_ratio_crop_box(
    height: int, width: int, target_height: int, target_width: int
) -> tuple[int, int, int, int]:
    """The largest centred window of ``height x width`` with the target's aspect ratio.

    Keras's rule: ``crop_height = int(width * target_height / target_width)``, clipped
    to ``1..height`` (likewise the width), the window centred with ``int`` offsets.

    Args:
        height: the image's height.
        width: the image's width.
        target_height: the target's height.
        target_width: the target's width.

    Returns:
        ``(top, left, crop_height, crop_width)``.

    >>> aspect_ratio_crop_box(4, 8, 2, 2)
    (0, 2, 4, 4)
    """
    crop_height = max(min(height, int(float(width * target_height) / target_width)), 1)
    crop_width = max(min(width, int(float(height * target_width) / target_height)), 1)
    top = int(float(height - crop_height) / 2)
    left = int(float(width - crop_width) / 2)
    return top, left, crop_height, crop_width


def aspect_ratio_padding(
    height: int, width: int, target_height: int, target_width: int
) -> tuple[int, int, int, int]:
    """Padding ``(top, bottom, left, right)`` that gives an image the target's aspect ratio.

    The smallest padding, split evenly (the extra pixel, if any, at the bottom or right).

    Args:
        height: the image's height.
        width: the image's width.
        target_height: the target's height.
        target_width: the target's width.

    Returns:
        ``(top, bottom, left, right)`` in pixels.

    >>> aspect_ratio_padding(2, 4, 4, 4)
    (1, 1, 0, 0)
    """
    padded_height = max(height, int(round(width * target_height / target_width)))
    padded_width = max(width, int(round(height * target_width / target_height)))
    extra_h, extra_w = padded_height - height, padded_width - width
    return extra_h // 2, extra_h - extra_h // 2, extra_w // 2, extra_w - extra_w // 2


def _resize_weights(in_size: int, out_size: int, antialias: bool, dtype) -> np.ndarray:
    """The ``(out_size, in_size)`` matrix of a half-pixel-centre triangle-filter resize."""
    scale = in_size / out_size
    width = max(scale, 1.0) if antialias else 1.0
    centres = (np.arange(out_size) + 0.5) * scale - 0.5
    distance = np.abs(centres[:, None] - np.arange(in_size)[None, :]) / width
    weights = np.maximum(0.0, 1.0 - distance)
    # Rows past an edge lose a neighbour; renormalising them holds the edge pixel,
    # which is what clamping the sample (TensorFlow, PyTorch) does.
    weights /= weights.sum(axis=1, keepdims=True)
    return weights.astype(dtype)


def resize_images(
    images: ArrayLike,
    size: tuple[int, int],
    interpolation: str = "bilinear",
    antialias: bool = False,
    crop_to_aspect_ratio: bool = False,
    pad_to_aspect_ratio: bool = False,
    fill_value: float = 0.0,
) -> np.ndarray:
    """Resize a batch of images with half-pixel centres, as ``tf.image.resize`` does.

    Output pixel ``i`` samples the input at ``(i + 0.5) * in / out - 0.5``. Bilinear
    clamps at the edges (the same values as PyTorch's
    ``F.interpolate(mode='bilinear', align_corners=False)``); ``antialias=True``
    widens the triangle filter when shrinking, as TensorFlow and JAX do. Nearest
    reads pixel ``floor((i + 0.5) * in / out)`` (``antialias`` does not apply).

    Args:
        images: ``(N, H, W, C)`` integer or float images.
        size: ``(height, width)`` of the output, positive ints.
        interpolation: ``'bilinear'`` or ``'nearest'``.
        antialias: low-pass filter when downsampling (bilinear only).
        crop_to_aspect_ratio: first cut the largest centred window with the output's
            aspect ratio (see :func:`aspect_ratio_crop_box`), so nothing is distorted.
        pad_to_aspect_ratio: first pad evenly with ``fill_value`` to the output's
            aspect ratio (see :func:`aspect_ratio_padding`).
        fill_value: the padding's value.

    Returns:
        ``(N, height, width, C)`` images of the input's dtype (integers round half up
        and saturate).

    Raises:
        ValueError: ``images`` is not rank 4, ``size`` is not two positive ints,
            ``interpolation`` is unknown, or both aspect-ratio options are set.

    >>> x = np.arange(8.0).reshape(1, 2, 4, 1)
    >>> resize_images(x, (1, 1), crop_to_aspect_ratio=True)[0, 0, 0, 0].item()
    3.5
    """
    where = "resize"
    check_interpolation(interpolation, where)
    xp = array_module(images)
    images = xp.asarray(images)
    if images.ndim != 4:
        raise ValueError(
            f"{where}: `images` must have rank 4 (batch, height, width, channels). "
            f"Received: images.shape={images.shape}"
        )
    out_h, out_w = check_size(size, where, "size")
    if crop_to_aspect_ratio and pad_to_aspect_ratio:
        raise ValueError(
            f"{where}: only one of `crop_to_aspect_ratio` and `pad_to_aspect_ratio` can be True."
        )
    n, h, w, c = images.shape
    if crop_to_aspect_ratio:
        top, left, h, w = aspect_ratio_crop_box(h, w, out_h, out_w)
        images = images[:, top : top + h, left : left + w]
    elif pad_to_aspect_ratio:
        top, bottom, left, right = aspect_ratio_padding(h, w, out_h, out_w)
        if top + bottom + left + right:
            fill = cast_to(np.asarray(fill_value, np.float64), images.dtype)
            images = xp.pad(
                images, ((0, 0), (top, bottom), (left, right), (0, 0)), constant_values=fill
            )
            h, w = images.shape[1:3]
    if interpolation == "nearest":
        rows = np.minimum(np.floor((np.arange(out_h) + 0.5) * (h / out_h)), h - 1).astype(np.intp)
        cols = np.minimum(np.floor((np.arange(out_w) + 0.5) * (w / out_w)), w - 1).astype(np.intp)
        return images[:, xp.asarray(rows)][:, :, xp.asarray(cols)]
    if (out_h, out_w) == (h, w):
        return xp.ascontiguousarray(images).copy()
    dtype = images.dtype
    compute = working_dtype(dtype)
    x = images.astype(compute, copy=False)
    # Separable: one matrix product along the height, one along the width.
    wh = xp.asarray(_resize_weights(h, out_h, antialias, compute))
    ww = xp.asarray(_resize_weights(w, out_w, antialias, compute))
    x = xp.tensordot(x, wh, axes=([1], [1]))  # (N, W, C, out_h)
    x = xp.tensordot(x, ww, axes=([1], [1]))  # (N, C, out_h, out_w)
    return xp.ascontiguousarray(cast_to(xp.moveaxis(x, 1, -1), dtype))
