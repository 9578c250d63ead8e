"""Builders of the 8-number projective transforms that ``affine_transform`` applies.

A transform ``[a0, a1, a2, b0, b1, b2, c0, c1]`` maps an *output* point ``(x, y)``
(column, row; pixel centres on integers) to the *input* point it reads, as Keras 3
and ``tf.raw_ops.ImageProjectiveTransformV3`` do. Every builder takes arrays and
returns one transform per element, so a whole batch's transforms come from one call.

>>> import numpy as np
>>> compose(rotation_transform(0.0, 3, 3), translation_transform(1, 0)).tolist()
[1.0, 0.0, -1.0, 0.0, 1.0, 0.0, 0.0, 0.0]
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

__all__ = ["rotation_transform", "translation_transform", "zoom_transform", "compose"]


def _stack(columns: list, shape: tuple[int, ...]) -> np.ndarray:
    return np.stack([np.broadcast_to(np.asarray(col, np.float64), shape) for col in columns], -1)


def rotation_transform(angles: ArrayLike, height: int, width: int) -> np.ndarray:
    """Transforms that rotate ``height x width`` images about their centre by ``angles`` radians.

    Positive angles turn the picture counter-clockwise, as Keras's ``RandomRotation``
    and ``np.rot90`` do; the centre is ``((width - 1) / 2, (height - 1) / 2)``.

    Args:
        angles: a scalar or an array of angles in radians.
        height: the images' height in pixels.
        width: the images' width in pixels.

    Returns:
        float64 transforms of shape ``angles.shape + (8,)``.

    >>> rotation_transform(np.pi / 2, 3, 3).tolist()
    [0.0, -1.0, 2.0, 1.0, 0.0, 0.0, 0.0, 0.0]
    """
    a = np.asarray(angles, dtype=np.float64)
    cos, sin = np.cos(a), np.sin(a)
    # cos(np.pi / 2) is 6e-17, not 0: snap such residues so that right angles move
    # pixels exactly onto pixels (a change far below float32 resolution).
    cos = np.where(np.abs(cos) < 1e-15, 0.0, cos)
    sin = np.where(np.abs(sin) < 1e-15, 0.0, sin)
    x_offset = ((width - 1) - (cos * (width - 1) - sin * (height - 1))) / 2.0
    y_offset = ((height - 1) - (sin * (width - 1) + cos * (height - 1))) / 2.0
    return _stack([cos, -sin, x_offset, sin, cos, y_offset, 0.0, 0.0], a.shape)


def translation_transform(dx: ArrayLike, dy: ArrayLike) -> np.ndarray:
    """Transforms that move the picture ``dx`` pixels right and ``dy`` pixels down.

    Args:
        dx: a scalar or an array of horizontal shifts in pixels (may be fractional).
        dy: vertical shifts, broadcastable with ``dx``.

    Returns:
        float64 transforms of shape ``broadcast(dx, dy).shape + (8,)``.

    >>> translation_transform(2, -1).tolist()
    [1.0, 0.0, -2.0, 0.0, 1.0, 1.0, 0.0, 0.0]
    """
    dx = np.asarray(dx, dtype=np.float64)
    dy = np.asarray(dy, dtype=np.float64)
    shape = np.broadcast_shapes(dx.shape, dy.shape)
    return _stack([1.0, 0.0, -dx, 0.0, 1.0, -dy, 0.0, 0.0], shape)


def zoom_transform(zx: ArrayLike, zy: ArrayLike, height: int, width: int) -> np.ndarray:
    """Transforms that scale ``height x width`` images about their centre, as ``RandomZoom`` does.

    ``zx`` and ``zy`` are input pixels per output pixel: above 1 zooms out (the
    picture shrinks and more of it shows), below 1 zooms in. Keras's ``RandomZoom``
    uses ``1 + factor``; a magnification ``m`` is ``1 / m``.

    Args:
        zx: a scalar or an array of horizontal scales (positive).
        zy: vertical scales, broadcastable with ``zx``.
        height: the images' height in pixels.
        width: the images' width in pixels.

    Returns:
        float64 transforms of shape ``broadcast(zx, zy).shape + (8,)``.

    >>> zoom_transform(0.5, 0.5, 5, 5).tolist()
    [0.5, 0.0, 1.0, 0.0, 0.5, 1.0, 0.0, 0.0]
    """
    zx = np.asarray(zx, dtype=np.float64)
    zy = np.asarray(zy, dtype=np.float64)
    shape = np.broadcast_shapes(zx.shape, zy.shape)
    x_offset = (width - 1) / 2.0 * (1.0 - zx)
    y_offset = (height - 1) / 2.0 * (1.0 - zy)
    return _stack([zx, 0.0, x_offset, 0.0, zy, y_offset, 0.0, 0.0], shape)


def compose(*transforms: ArrayLike) -> np.ndarray:
    """One transform that applies ``transforms`` in the order given (the first acts first).

    Warping by ``compose(a, b)`` gives the image warped by ``a`` and then by ``b``,
    up to the interpolation and fill of the intermediate step. Batches broadcast:
    ``(8,)`` with ``(N, 8)`` gives ``(N, 8)``.

    Args:
        *transforms: one or more transforms of shape ``(..., 8)``.

    Returns:
        float64 transforms of the broadcast shape, normalised so the implicit last
        entry is 1.

    Raises:
        ValueError: no transform is given or one does not end in 8 numbers.

    >>> compose(translation_transform(1, 0), translation_transform(2, 3)).tolist()
    [1.0, 0.0, -3.0, 0.0, 1.0, -3.0, 0.0, 0.0]
    """
    if not transforms:
        raise ValueError("compose: expected at least one transform. Received none.")
    matrices = []
    for t in transforms:
        t = np.asarray(t, dtype=np.float64)
        if t.ndim == 0 or t.shape[-1] != 8:
            raise ValueError(
                f"compose: each transform must have shape (..., 8). Received: shape={t.shape}"
            )
        ones = np.ones(t.shape[:-1] + (1,))
        matrices.append(np.concatenate([t, ones], axis=-1).reshape(t.shape[:-1] + (3, 3)))
    # Transforms map output points to input points, so the first one applied is the
    # leftmost factor: out(p) = image(T1 T2 ... p).
    product = matrices[0]
    for m in matrices[1:]:
        product = product @ m
    product = product / product[..., 2:3, 2:3]
    return product.reshape(product.shape[:-2] + (9,))[..., :8]
