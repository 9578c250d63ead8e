"""Image functions, like ``tf.image`` plus the helpers an augmentation course uses.

Every function takes one image ``(height, width, channels)`` or a batch
``(batch, height, width, channels)`` and returns the same rank and the same dtype:
uint8 in, uint8 out (rounded half up and clipped to 0..255), float32 stays float32.
Geometric functions run on the batched kernels of :mod:`deepgrad.kernels.affine`, one
vectorised call per batch, and take an argument per image where that makes sense
(``rotate(batch, angles)`` with one angle per image). For detection there are
``sliding_windows`` (every window of a scene as a strided view) and
``non_max_suppression`` (as ``tf.image``'s).

Conventions:

- angles are in **degrees**, positive counter-clockwise (``rotate(x, 90)`` equals
  ``rot90(x)`` on square images);
- shifts are in pixels, positive ``dx`` to the right and positive ``dy`` down;
- a zoom ``factor`` is a magnification: 2 enlarges the centre twice, 0.5 shrinks the picture;
- fill modes and interpolation are Keras's (``'reflect'``, ``'wrap'``, ``'constant'``,
  ``'nearest'``; ``'bilinear'``, ``'nearest'``), ``'reflect'`` by default as in Keras's
  random-transform layers;
- the brightest value is 255 (the dtype's maximum) for integer images and 1.0 for
  float images, unless a function takes ``max_value``.

>>> import numpy as np
>>> import deepgrad as dg
>>> image = np.arange(9, dtype=np.uint8).reshape(3, 3, 1)
>>> dg.image.rotate(image, 90)[:, :, 0]
array([[2, 5, 8],
       [1, 4, 7],
       [0, 3, 6]], dtype=uint8)
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from deepgrad._image_boxes import non_max_suppression
from deepgrad._image_color import (
    _as_batch,
    _numeric,
    _per_image,
    adjust_brightness,
    adjust_contrast,
    gaussian_noise,
    invert,
    random_salt_and_pepper,
    salt_and_pepper_noise,
)
from deepgrad._image_windows import sliding_windows
from deepgrad.kernels.affine import (
    affine_transform,
    check_fill_mode,
    rotation_transform,
    translation_transform,
    zoom_transform,
)
from deepgrad.kernels.image_common import check_interpolation
from deepgrad.kernels.resize import resize_images

__all__ = [
    "flip_left_right",
    "flip_up_down",
    "rot90",
    "rotate",
    "translate",
    "zoom",
    "resize",
    "crop_to_bounding_box",
    "pad_to_bounding_box",
    "central_crop",
    "adjust_brightness",
    "adjust_contrast",
    "invert",
    "random_salt_and_pepper",
    "salt_and_pepper_noise",
    "gaussian_noise",
    "non_max_suppression",
    "sliding_windows",
]


def _warp(image, transforms, where, fill_mode, interpolation, fill_value) -> np.ndarray:
    check_fill_mode(fill_mode, where)
    check_interpolation(interpolation, where)
    batch, single = _as_batch(image, where)
    _numeric(batch, where)
    out = affine_transform(batch, transforms, fill_mode, interpolation, fill_value)
    return out[0] if single else out


def flip_left_right(image: ArrayLike) -> np.ndarray:
    """Mirror an image or a batch horizontally (reverse the width axis).

    Args:
        image: ``(H, W, C)`` or ``(N, H, W, C)``.

    Returns:
        a new array of the same shape and dtype.

    Raises:
        ValueError: ``image`` is not rank 3 or 4.

    >>> flip_left_right(np.array([[[1], [2], [3]]]))[..., 0]
    array([[3, 2, 1]])
    """
    _as_batch(image, "flip_left_right")
    return np.flip(np.asarray(image), axis=-2).copy()


def flip_up_down(image: ArrayLike) -> np.ndarray:
    """Mirror an image or a batch vertically (reverse the height axis).

    Args:
        image: ``(H, W, C)`` or ``(N, H, W, C)``.

    Returns:
        a new array of the same shape and dtype.

    Raises:
        ValueError: ``image`` is not rank 3 or 4.

    >>> flip_up_down(np.array([[[1]], [[2]]]))[..., 0]
    array([[2],
           [1]])
    """
    _as_batch(image, "flip_up_down")
    return np.flip(np.asarray(image), axis=-3).copy()


def rot90(image: ArrayLike, k: int = 1) -> np.ndarray:
    """Rotate an image or a batch by ``k`` quarter turns counter-clockwise, as ``tf.image.rot90``.

    Args:
        image: ``(H, W, C)`` or ``(N, H, W, C)``.
        k: the number of quarter turns; negative turns clockwise.

    Returns:
        a new array; height and width swap when ``k`` is odd.

    Raises:
        ValueError: ``image`` is not rank 3 or 4.
        TypeError: ``k`` is not an int.

    >>> rot90(np.array([[[1], [2]], [[3], [4]]]))[..., 0]
    array([[2, 4],
           [1, 3]])
    """
    _as_batch(image, "rot90")
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)):
        raise TypeError(f"rot90: `k` must be an int. Received: k={k!r}")
    return np.rot90(np.asarray(image), int(k), axes=(-3, -2)).copy()


def rotate(
    image: ArrayLike,
    angle: ArrayLike,
    fill_mode: str = "reflect",
    interpolation: str = "bilinear",
    fill_value: float = 0.0,
) -> np.ndarray:
    """Rotate an image or a batch about its centre by ``angle`` degrees counter-clockwise.

    The centre is ``((W - 1) / 2, (H - 1) / 2)``, as in Keras's ``RandomRotation``;
    quarter turns of a square image move pixels exactly (equal to :func:`rot90`).

    Args:
        image: ``(H, W, C)`` or ``(N, H, W, C)``, integer or float.
        angle: degrees, a number or one per image ``(N,)``; negative turns clockwise.
        fill_mode: ``'reflect'``, ``'wrap'``, ``'constant'`` or ``'nearest'``.
        interpolation: ``'bilinear'`` or ``'nearest'``.
        fill_value: the value outside the image for ``fill_mode='constant'``.

    Returns:
        the rotated image(s), same shape and dtype.

    Raises:
        ValueError: bad rank, unknown ``fill_mode`` or ``interpolation``, or ``angle``
            with a shape other than one value per image.

    >>> x = np.zeros((5, 5, 1), np.float32); x[2, 4] = 1.0  # a dot right of the centre
    >>> np.argwhere(rotate(x, 90, fill_mode="constant")[..., 0] == 1.0).tolist()
    [[0, 2]]
    """
    where = "rotate"
    batch, _ = _as_batch(image, where)
    radians = np.deg2rad(_per_image(angle, batch.shape[0], "angle", where))
    transforms = rotation_transform(radians, batch.shape[1], batch.shape[2])
    return _warp(image, transforms, where, fill_mode, interpolation, fill_value)


def translate(
    image: ArrayLike,
    dx: ArrayLike,
    dy: ArrayLike,
    fill_mode: str = "reflect",
    interpolation: str = "bilinear",
    fill_value: float = 0.0,
) -> np.ndarray:
    """Shift an image or a batch by ``dx`` pixels right and ``dy`` pixels down.

    Args:
        image: ``(H, W, C)`` or ``(N, H, W, C)``, integer or float.
        dx: horizontal shift in pixels (fractions interpolate), a number or one per image.
        dy: vertical shift in pixels, a number or one per image.
        fill_mode: ``'reflect'``, ``'wrap'``, ``'constant'`` or ``'nearest'``.
        interpolation: ``'bilinear'`` or ``'nearest'``.
        fill_value: the value outside the image for ``fill_mode='constant'``.

    Returns:
        the shifted image(s), same shape and dtype.

    Raises:
        ValueError: bad rank, unknown ``fill_mode`` or ``interpolation``, or a shift
            with a shape other than one value per image.

    >>> row = np.array([[[1.0], [2.0], [3.0], [4.0], [5.0]]])
    >>> translate(row, 2, 0, fill_mode="constant")[0, :, 0].tolist()
    [0.0, 0.0, 1.0, 2.0, 3.0]
    """
    where = "translate"
    batch, _ = _as_batch(image, where)
    n = batch.shape[0]
    transforms = translation_transform(
        _per_image(dx, n, "dx", where), _per_image(dy, n, "dy", where)
    )
    return _warp(image, transforms, where, fill_mode, interpolation, fill_value)


def zoom(
    image: ArrayLike,
    factor: ArrayLike,
    width_factor: ArrayLike | None = None,
    fill_mode: str = "reflect",
    interpolation: str = "bilinear",
    fill_value: float = 0.0,
) -> np.ndarray:
    """Magnify an image or a batch about its centre, keeping its size.

    ``factor=2`` shows the central half of the picture twice as large; ``factor=0.5``
    shrinks the picture to half size and fills the border by ``fill_mode``. (Keras's
    ``RandomZoom`` draws ``1 + f`` with positive ``f`` zooming *out*; that is
    ``factor = 1 / (1 + f)`` here.)

    Args:
        image: ``(H, W, C)`` or ``(N, H, W, C)``, integer or float.
        factor: magnification (> 0) of the height, and of the width unless
            ``width_factor`` is given; a number or one per image.
        width_factor: magnification of the width, if different.
        fill_mode: ``'reflect'``, ``'wrap'``, ``'constant'`` or ``'nearest'``.
        interpolation: ``'bilinear'`` or ``'nearest'``.
        fill_value: the value outside the image for ``fill_mode='constant'``.

    Returns:
        the zoomed image(s), same shape and dtype.

    Raises:
        ValueError: bad rank, a factor that is not positive, unknown ``fill_mode`` or
            ``interpolation``.

    >>> row = np.array([[[0.0], [0.0], [1.0], [0.0], [0.0]]])
    >>> zoom(row, 1.0, width_factor=2.0)[0, :, 0].tolist()
    [0.0, 0.5, 1.0, 0.5, 0.0]
    """
    where = "zoom"
    batch, _ = _as_batch(image, where)
    n = batch.shape[0]
    fy = _per_image(factor, n, "factor", where)
    fx = fy if width_factor is None else _per_image(width_factor, n, "width_factor", where)
    for name, value in (("factor", fy), ("width_factor", fx)):
        if not np.all(value > 0):
            raise ValueError(
                f"{where}: `{name}` must be positive. Received: {name}={value.tolist()}"
            )
    transforms = zoom_transform(1.0 / fx, 1.0 / fy, batch.shape[1], batch.shape[2])
    return _warp(image, transforms, where, fill_mode, interpolation, fill_value)


def resize(
    images: ArrayLike,
    size: tuple[int, int],
    interpolation: str = "bilinear",
    antialias: bool = False,
    crop_to_aspect_ratio: bool = False,
) -> np.ndarray:
    """Resize an image or a batch to ``size``, as ``tf.image.resize`` and Keras's ``Resizing``.

    Half-pixel centres: bilinear without antialiasing equals PyTorch's
    ``F.interpolate(mode='bilinear', align_corners=False)``; ``antialias=True`` widens
    the filter when shrinking (bilinear only). Unlike ``tf.image.resize``, which
    returns float32, the dtype is kept (integers rounded and clipped).

    Args:
        images: ``(H, W, C)`` or ``(N, H, W, C)``, integer or float.
        size: ``(height, width)``, two positive ints.
        interpolation: ``'bilinear'`` or ``'nearest'``.
        antialias: low-pass filter when downsampling.
        crop_to_aspect_ratio: first cut the largest centred window with the aspect
            ratio of ``size``, as Keras's ``Resizing`` does, so nothing is distorted.

    Returns:
        the resized image(s), ``(height, width, C)`` or ``(N, height, width, C)``.

    Raises:
        ValueError: bad rank, ``size`` not two positive ints, unknown ``interpolation``.

    >>> resize(np.array([[[0.0], [1.0]]]), (1, 4))[0, :, 0].tolist()
    [0.0, 0.25, 0.75, 1.0]
    """
    batch, single = _as_batch(images, "resize", "images")
    _numeric(batch, "resize", "images")
    out = resize_images(batch, size, interpolation, antialias, crop_to_aspect_ratio)
    return out[0] if single else out


def _check_box(where: str, **values: int) -> None:
    for name, value in values.items():
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
            raise TypeError(f"{where}: `{name}` must be an int. Received: {name}={value!r}")
        low = 1 if name.startswith("target") else 0
        if value < low:
            raise ValueError(f"{where}: `{name}` must be >= {low}. Received: {name}={value}")


def crop_to_bounding_box(
    image: ArrayLike, offset_height: int, offset_width: int, target_height: int, target_width: int
) -> np.ndarray:
    """Cut a box with top-left corner ``(offset_height, offset_width)`` out of image(s).

    Args:
        image: ``(H, W, C)`` or ``(N, H, W, C)``.
        offset_height: the box's top row.
        offset_width: the box's left column.
        target_height: the box's height (>= 1).
        target_width: the box's width (>= 1).

    Returns:
        a new array ``(target_height, target_width, C)`` (with the batch axis if given).

    Raises:
        ValueError: bad rank, negative offsets, or a box that does not fit the image.
        TypeError: a non-int offset or size.

    >>> crop_to_bounding_box(np.arange(16).reshape(4, 4, 1), 1, 2, 2, 2)[..., 0]
    array([[ 6,  7],
           [10, 11]])
    """
    where = "crop_to_bounding_box"
    batch, _ = _as_batch(image, where)
    _check_box(
        where,
        offset_height=offset_height,
        offset_width=offset_width,
        target_height=target_height,
        target_width=target_width,
    )
    h, w = batch.shape[1:3]
    if offset_height + target_height > h or offset_width + target_width > w:
        raise ValueError(
            f"{where}: the box does not fit in the {h}x{w} image: it needs "
            f"offset_height + target_height <= {h} and offset_width + target_width <= {w}. "
            f"Received: offset_height={offset_height}, target_height={target_height}, "
            f"offset_width={offset_width}, target_width={target_width}"
        )
    rows = slice(offset_height, offset_height + target_height)
    cols = slice(offset_width, offset_width + target_width)
    return np.asarray(image)[..., rows, cols, :].copy()


def pad_to_bounding_box(
    image: ArrayLike, offset_height: int, offset_width: int, target_height: int, target_width: int
) -> np.ndarray:
    """Place image(s) at ``(offset_height, offset_width)`` on a zero canvas of the target size.

    Args:
        image: ``(H, W, C)`` or ``(N, H, W, C)``.
        offset_height: rows of zeros above the image.
        offset_width: columns of zeros left of the image.
        target_height: the canvas height, at least ``offset_height + H``.
        target_width: the canvas width, at least ``offset_width + W``.

    Returns:
        a new array ``(target_height, target_width, C)`` (with the batch axis if given).

    Raises:
        ValueError: bad rank, negative offsets, or a canvas too small for the image.
        TypeError: a non-int offset or size.

    >>> pad_to_bounding_box(np.ones((1, 1, 1), np.uint8), 1, 0, 2, 2)[..., 0]
    array([[0, 0],
           [1, 0]], dtype=uint8)
    """
    where = "pad_to_bounding_box"
    batch, single = _as_batch(image, where)
    _check_box(
        where,
        offset_height=offset_height,
        offset_width=offset_width,
        target_height=target_height,
        target_width=target_width,
    )
    n, h, w, c = batch.shape
    if offset_height + h > target_height or offset_width + w > target_width:
        raise ValueError(
            f"{where}: the {h}x{w} image does not fit on the canvas: it needs "
            f"offset_height + {h} <= target_height and offset_width + {w} <= target_width. "
            f"Received: offset_height={offset_height}, target_height={target_height}, "
            f"offset_width={offset_width}, target_width={target_width}"
        )
    out = np.zeros((n, target_height, target_width, c), dtype=batch.dtype)
    out[:, offset_height : offset_height + h, offset_width : offset_width + w] = batch
    return out[0] if single else out


def central_crop(image: ArrayLike, central_fraction: float) -> np.ndarray:
    """Keep the central ``central_fraction`` of each side, as ``tf.image.central_crop``.

    The crop starts at ``int((H - H * central_fraction) / 2)`` and is symmetric.

    Args:
        image: ``(H, W, C)`` or ``(N, H, W, C)``.
        central_fraction: in ``(0, 1]``; 1 returns a copy of the image.

    Returns:
        the cropped image(s).

    Raises:
        ValueError: bad rank or ``central_fraction`` outside ``(0, 1]``.

    >>> central_crop(np.arange(16).reshape(4, 4, 1), 0.5)[..., 0]
    array([[ 5,  6],
           [ 9, 10]])
    """
    where = "central_crop"
    batch, _ = _as_batch(image, where)
    if not 0.0 < central_fraction <= 1.0:
        raise ValueError(
            f"{where}: `central_fraction` must be in (0, 1]. "
            f"Received: central_fraction={central_fraction!r}"
        )
    h, w = batch.shape[1:3]
    top = int((h - h * central_fraction) / 2)
    left = int((w - w * central_fraction) / 2)
    return np.asarray(image)[..., top : h - top, left : w - left, :].copy()
