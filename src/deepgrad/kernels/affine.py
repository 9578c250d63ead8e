"""Batched geometric image transforms: projective warps and the transforms' builders.

(Resizing lives in :mod:`deepgrad.kernels.resize`.)

Everything here works on a whole batch ``(N, H, W, C)`` (channels_last) at once: the
sample positions of every output pixel of every image are computed as arrays, and
the image values are gathered with integer indices and blended with weights. There
are no Python loops over images or pixels.

How a sample is read (the convention of Keras 3 and ``tf.raw_ops.ImageProjectiveTransformV3``):
pixel centres sit on integer coordinates, ``x`` is the column and ``y`` the row. A
transform ``[a0, a1, a2, b0, b1, b2, c0, c1]`` sends the output point ``(x, y)`` to
the input point ``((a0 x + a1 y + a2) / k, (b0 x + b1 y + b2) / k)`` with
``k = c0 x + c1 y + 1``. ``'nearest'`` interpolation reads the pixel at
``floor(coordinate + 0.5)``; ``'bilinear'`` blends the four surrounding pixels.
Points outside the image read the image extended by ``fill_mode``:

- ``'reflect'``:  ``(d c b a | a b c d | d c b a)``, reflected about the edge of the last pixel;
- ``'wrap'``:     ``(a b c d | a b c d | a b c d)``;
- ``'constant'``: ``(k k k k | a b c d | k k k k)`` with ``k = fill_value``;
- ``'nearest'``:  ``(a a a a | a b c d | d d d d)``.

Interpolation blends neighbours of this extended image, which is what Keras 3's NumPy
backend computes (padding by the fill mode, then SciPy's ``map_coordinates``): the
tests check agreement to float tolerance. (Keras's TensorFlow backend folds the
coordinate into the image before interpolating, which can differ within a pixel of
the border in ``'wrap'`` mode.)

How it is fast: the image is padded by a pixel or two once, and each coordinate is
folded into the range that padding covers (clipped for ``'nearest'`` and
``'constant'``; taken modulo the period, and mirrored, for ``'wrap'`` and
``'reflect'``), so the pixel at ``floor(coordinate)`` and the one after it are always
in the padded array. All coordinates come from one small matrix product; each output
pixel then costs a few elementwise passes and four gathers. Large batches go in
blocks that stay in cache, through scratch buffers reused between calls.

>>> import numpy as np
>>> images = np.arange(25, dtype=np.float32).reshape(1, 5, 5, 1)
>>> out = affine_transform(images, rotation_transform(np.pi / 2, 5, 5))
>>> np.array_equal(out[0, :, :, 0], np.rot90(images[0, :, :, 0]))
True
"""

from __future__ import annotations

import functools
import math

import numpy as np
from numpy.typing import ArrayLike

from deepgrad.kernels.image_common import (
    array_module,
    cast_to,
    check_choice,
    check_interpolation,
    check_size,
    working_dtype,
)
from deepgrad.kernels.scratch import scratch_buffer
from deepgrad.kernels.transforms import (
    compose,
    rotation_transform,
    translation_transform,
    zoom_transform,
)

__all__ = [
    "FILL_MODES",
    "affine_transform",
    "rotation_transform",
    "translation_transform",
    "zoom_transform",
    "compose",
    "check_fill_mode",
]

FILL_MODES = ("reflect", "wrap", "constant", "nearest")

# Coordinates are clamped to +-_COORD_LIMIT before the modulo of 'wrap'/'reflect': past
# it float32 can no longer hold whole pixel positions exactly and the folded index
# could leave the padded array. Only absurd transforms reach it.
_COORD_LIMIT = float(2**20)
# Output values per block of images in affine_transform (see the comment there).
_BLOCK_VALUES = 2**16
# Scratch arrays larger than this (one huge image) are allocated per call, not kept.
_WORKSPACE_BYTES = 2**23


def check_fill_mode(fill_mode: str, where: str) -> str:
    """Return ``fill_mode`` if it is one of :data:`FILL_MODES`, else raise a ``ValueError``.

    Args:
        fill_mode: the value to check.
        where: the caller's name, the first words of the error message.

    Returns:
        ``fill_mode`` unchanged.

    Raises:
        ValueError: ``fill_mode`` is not a known mode; the message lists the valid ones.

    >>> check_fill_mode("wrap", "rotate")
    'wrap'
    """
    return check_choice(fill_mode, FILL_MODES, "fill_mode", where)


def _as_transforms(transforms: ArrayLike, where: str) -> np.ndarray:
    t = np.asarray(transforms, dtype=np.float64)
    if t.ndim not in (1, 2) or t.shape[-1] != 8:
        raise ValueError(
            f"{where}: `transforms` must have shape (8,) or (batch, 8). "
            f"Received: transforms.shape={t.shape}"
        )
    return t.reshape(-1, 8)


def _buffer(name: str, shape: tuple[int, ...], dtype, xp):
    """A scratch array kept between calls (:func:`~deepgrad.kernels.scratch.scratch_buffer`).

    A fresh multi-megabyte temporary costs a page fault per 4 KiB on first touch, which
    for these memory-bound passes costs as much as the arithmetic (several times more in
    virtual machines), so the warp writes into buffers reused across calls. Blocks are
    capped at ``_BLOCK_VALUES`` output values, so they hold a few MiB; anything over
    ``_WORKSPACE_BYTES`` (a single huge image) is allocated for the call only.
    """
    if math.prod(shape) * np.dtype(dtype).itemsize > _WORKSPACE_BYTES:
        return xp.empty(shape, dtype=dtype)
    return scratch_buffer("affine_" + name, shape, dtype, xp)


@functools.lru_cache(maxsize=8)
def _grid(out_h: int, out_w: int, dtype: np.dtype, xp):
    """The ``(3, out_h * out_w)`` rows ``x, y, 1`` of the output pixels (read-only)."""
    ys, xs = np.divmod(np.arange(out_h * out_w), out_w)
    grid = np.stack([xs, ys, np.ones_like(xs)]).astype(dtype)
    grid.flags.writeable = False
    return xp.asarray(grid)


def _sample_coordinates(t: np.ndarray, out_h: int, out_w: int, dtype, half: float, xp):
    """Input coordinates ``(x, y)`` of every output pixel, each ``(N, out_h * out_w)``.

    One matrix product with the grid ``[x; y; 1]`` of output pixels gives all of them.
    ``half`` (0.5 for nearest interpolation, which reads ``floor(coordinate + 0.5)``)
    is added to every coordinate.
    """
    n, size = t.shape[0], out_h * out_w
    grid = _grid(out_h, out_w, np.dtype(dtype), xp)
    if not np.any(t[:, 6:]):
        rows = np.concatenate([t[:, 0:3], t[:, 3:6]]) + [0.0, 0.0, half]
        xy = _buffer("coordinates", (2 * n, size), dtype, xp)
        xp.matmul(xp.asarray(rows.astype(dtype)), grid, out=xy)
        return xy[:n], xy[n:]
    rows = np.concatenate([t[:, 0:3], t[:, 3:6], np.concatenate([t[:, 6:8], np.ones((n, 1))], 1)])
    xyk = _buffer("coordinates", (3 * n, size), dtype, xp)
    xp.matmul(xp.asarray(rows.astype(dtype)), grid, out=xyk)
    x, y, k = xyk[:n], xyk[n : 2 * n], xyk[2 * n :]
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        x /= k
        y /= k
    # Points with k = 0 lie at infinity; send them far outside the image.
    for c in (x, y):
        xp.nan_to_num(c, copy=False, nan=-_COORD_LIMIT, posinf=_COORD_LIMIT, neginf=-_COORD_LIMIT)
        xp.clip(c, -_COORD_LIMIT, _COORD_LIMIT, out=c)
        c += dtype.type(half)
    return x, y


def _coordinate_bound(t: np.ndarray, out_h: int, out_w: int) -> float:
    """The largest |coordinate| an affine transform produces (reached at a corner)."""
    cx = np.array([0.0, out_w - 1.0])[:, None, None]
    cy = np.array([0.0, out_h - 1.0])[None, :, None]
    x = t[:, 0] * cx + t[:, 1] * cy + t[:, 2]
    y = t[:, 3] * cx + t[:, 4] * cy + t[:, 5]
    return float(max(np.abs(x).max(), np.abs(y).max()))


def _fold(coords, size: int, fill_mode: str, half: float, scratch, xp) -> None:
    """Fold coordinates in place into ``[-1, size]``, which the padded image covers.

    'nearest' and 'constant' clip (everything past one pixel outside reads the same);
    'wrap' takes the coordinate modulo ``size``; 'reflect' takes it modulo ``2 * size``
    and then reflects the second half back, since the extended image is symmetric
    about ``size - 0.5`` (``size`` for nearest interpolation's shifted coordinates).
    """
    kind = coords.dtype.type
    if fill_mode == "nearest":
        xp.clip(coords, 0, size - 1, out=coords)
    elif fill_mode == "constant":
        xp.clip(coords, -1, size, out=coords)
    else:
        period = 2 * size if fill_mode == "reflect" else size
        xp.multiply(coords, kind(1.0 / period), out=scratch)
        xp.floor(scratch, out=scratch)
        scratch *= kind(period)
        coords -= scratch
        if fill_mode == "reflect":
            xp.subtract(kind(2 * size - 1 + 2 * half), coords, out=scratch)
            xp.minimum(coords, scratch, out=coords)


def _border_sources(size: int, fill_mode: str) -> list[int]:
    """Which pixels the padded positions -1, size and size + 1 copy, for ``fill_mode``."""
    if fill_mode == "wrap":
        return [size - 1, 0, 1 % size]
    if fill_mode == "reflect":
        return [0, size - 1, max(size - 2, 0)]
    return [0, size - 1, size - 1]


def _pad(images, fill_mode: str, fill_value, dtype, xp):
    """``(N, H, W, C)`` as planar ``(C, N, H + 3, W + 3)`` of ``dtype``, padded by ``fill_mode``.

    One pixel goes before and two after along H and W: enough for the pixel at
    ``floor`` of a folded coordinate and the one after it.
    """
    n, h, w, c = images.shape
    padded = _buffer("padded", (c, n, h + 3, w + 3), dtype, xp)
    padded[:, :, 1 : h + 1, 1 : w + 1] = xp.moveaxis(images, -1, 0)
    if fill_mode == "constant":
        padded[:, :, [0, h + 1, h + 2], :] = fill_value
        padded[:, :, :, [0, w + 1, w + 2]] = fill_value
        return padded
    # Rows first (interior columns), then whole columns, so the corners extend both ways.
    rows = [1 + s for s in _border_sources(h, fill_mode)]
    padded[:, :, [0, h + 1, h + 2], 1 : w + 1] = padded[:, :, rows, 1 : w + 1]
    cols = [1 + s for s in _border_sources(w, fill_mode)]
    padded[:, :, :, [0, w + 1, w + 2]] = padded[:, :, :, cols]
    return padded


def affine_transform(
    images: ArrayLike,
    transforms: ArrayLike,
    fill_mode: str = "reflect",
    interpolation: str = "bilinear",
    fill_value: float = 0.0,
    output_shape: tuple[int, int] | None = None,
) -> np.ndarray:
    """Warp each image of a batch by its own projective transform.

    Args:
        images: ``(N, H, W, C)`` integer or float images.
        transforms: ``(8,)`` for one transform for all images, or ``(N, 8)``, each
            ``[a0, a1, a2, b0, b1, b2, c0, c1]`` mapping output points to input points
            (see the module docstring; build them with :func:`rotation_transform`,
            :func:`translation_transform`, :func:`zoom_transform` and :func:`compose`).
        fill_mode: how points outside the input are filled: ``'reflect'``, ``'wrap'``,
            ``'constant'`` or ``'nearest'``.
        interpolation: ``'bilinear'`` or ``'nearest'``.
        fill_value: the value outside the input when ``fill_mode='constant'``.
        output_shape: ``(height, width)`` of the output; the input's by default.

    Returns:
        ``(N, height, width, C)`` images of the input's dtype. Float32 and float64
        compute in themselves, other types in :func:`working_dtype`; integer results
        round half up and saturate. Nearest interpolation copies values exactly.

    Raises:
        ValueError: ``images`` is not rank 4, ``transforms`` has the wrong shape,
            ``fill_mode`` or ``interpolation`` is unknown, or ``output_shape`` is not
            two positive ints.

    >>> row = np.array([1.0, 2.0, 3.0, 4.0, 5.0]).reshape(1, 1, 5, 1)
    >>> shift_right_2 = translation_transform(2, 0)
    >>> [affine_transform(row, shift_right_2, mode)[0, 0, :, 0].tolist()
    ...  for mode in ("reflect", "wrap", "nearest")]
    [[2.0, 1.0, 1.0, 2.0, 3.0], [4.0, 5.0, 1.0, 2.0, 3.0], [1.0, 1.0, 1.0, 2.0, 3.0]]
    """
    where = "affine_transform"
    check_fill_mode(fill_mode, where)
    check_interpolation(interpolation, where)
    xp = array_module(images)
    images = xp.asarray(images)
    if images.ndim != 4:
        raise ValueError(
            f"{where}: `images` must have rank 4 (batch, height, width, channels). "
            f"Received: images.shape={images.shape}"
        )
    dtype = images.dtype
    if dtype.kind not in "iuf":
        raise TypeError(
            f"{where}: `images` must have an integer or float dtype. Received: dtype={dtype}"
        )
    n, h, w, c = images.shape
    t = _as_transforms(transforms, where)
    if t.shape[0] not in (1, n):
        raise ValueError(
            f"{where}: `transforms` must hold 1 or {n} transforms (one per image). "
            f"Received: transforms.shape={t.shape}"
        )
    t = np.broadcast_to(t, (n, 8))
    out_h, out_w = (h, w) if output_shape is None else check_size(output_shape, where)
    if images.size == 0:
        return xp.zeros((n, out_h, out_w, c), dtype=dtype)

    # Blocks of about _BLOCK_VALUES output values, each fully vectorised: every step
    # is a memory-bound NumPy pass, faster when its operands stay in the CPU cache, and
    # the coordinate product stays small enough that BLAS runs it on one thread
    # (``benchmarks/kernel_choices.py affine_block`` times other block sizes).
    out = xp.empty((n, out_h, out_w, c), dtype=dtype)
    block = max(1, _BLOCK_VALUES // (out_h * out_w * c))
    for start in range(0, n, block):
        chunk = slice(start, min(start + block, n))
        _warp(images[chunk], t[chunk], out[chunk], fill_mode, interpolation, fill_value, xp)
    return out


def _warp(images, t, out, fill_mode, interpolation, fill_value, xp) -> None:
    """The body of :func:`affine_transform` for one block of images, written into ``out``."""
    dtype = images.dtype
    compute = working_dtype(dtype)
    n, h, w, c = images.shape
    out_h, out_w = out.shape[1:3]
    size = n * out_h * out_w
    nearest = interpolation == "nearest"
    half = 0.5 if nearest else 0.0
    x, y = _sample_coordinates(t, out_h, out_w, compute, half, xp)
    if fill_mode in ("reflect", "wrap") and not np.any(t[:, 6:]):
        if _coordinate_bound(t, out_h, out_w) >= _COORD_LIMIT:
            xp.clip(x, -_COORD_LIMIT, _COORD_LIMIT, out=x)
            xp.clip(y, -_COORD_LIMIT, _COORD_LIMIT, out=y)
    x0 = _buffer("x0", x.shape, compute, xp)
    y0 = _buffer("y0", y.shape, compute, xp)
    _fold(x, w, fill_mode, half, x0, xp)
    _fold(y, h, fill_mode, half, y0, xp)

    # Planar, so that every gather reads single numbers; nearest interpolation
    # gathers from the original dtype and so copies values exactly.
    source_dtype = dtype if nearest else compute
    fill = cast_to(np.asarray(fill_value, dtype=np.float64), source_dtype)
    padded = _pad(images, fill_mode, fill, source_dtype, xp)
    hp, wp = h + 3, w + 3
    flat = padded.reshape(c, -1)

    # Flat index of pixel (floor(x), floor(y)) of image i: i*hp*wp + (y + 1)*wp + (x + 1).
    # Whole numbers below 2**24 are exact in float32, so the index is built in the
    # compute type and cast once.
    xp.floor(x, out=x0)
    xp.floor(y, out=y0)
    index_type = compute if flat.shape[1] < 2**24 else np.dtype(np.float64)
    float_index = _buffer("float_index", x.shape, index_type, xp)
    xp.multiply(y0, index_type.type(wp), out=float_index)
    float_index += x0
    float_index += xp.arange(wp + 1, n * hp * wp, hp * wp, dtype=index_type)[:, None]
    index = _buffer("index", (size,), np.intp, xp)
    index[...] = float_index.reshape(-1)

    # mode="clip" only to skip take's buffered bounds check: the index is in range
    # by construction.
    planar_out = out.transpose(3, 0, 1, 2)  # (C, n, out_h, out_w), a view
    if nearest:
        gathered = _buffer("top", (c, size), dtype, xp)
        xp.take(flat, index, axis=1, out=gathered, mode="clip")
        planar_out[...] = gathered.reshape(planar_out.shape)
        return
    x -= x0
    y -= y0
    fx = x.reshape(-1)
    fy = y.reshape(-1)
    corners = []
    for name, offset in (("top", 0), ("top_right", 1), ("bottom", wp), ("bottom_right", wp + 1)):
        corners.append(_buffer(name, (c, size), compute, xp))
        xp.take(flat[:, offset:], index, axis=1, out=corners[-1], mode="clip")
    top, top_right, bottom, bottom_right = corners
    # Linear blends written in place: a + f * (b - a).
    top_right -= top
    top_right *= fx
    top_right += top
    bottom_right -= bottom
    bottom_right *= fx
    bottom_right += bottom
    bottom_right -= top_right
    bottom_right *= fy
    bottom_right += top_right
    if dtype.kind in "iu":
        bottom_right += compute.type(0.5)
        xp.floor(bottom_right, out=bottom_right)
        info = np.iinfo(dtype)
        xp.clip(bottom_right, info.min, info.max, out=bottom_right)
    planar_out[...] = bottom_right.reshape(planar_out.shape)
