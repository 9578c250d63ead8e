"""What the image kernels share: the interpolation names and the check of an output size,
the float type images are computed in and the cast back to theirs, and the array module
of the input (NumPy, or CuPy for CuPy arrays).

Used by :mod:`deepgrad.kernels.affine` (warps) and :mod:`deepgrad.kernels.resize`, and by
the layers and ``deepgrad.image`` functions that check their arguments the same way.

>>> working_dtype(np.uint8), cast_to(np.array([254.6, 300.0]), np.uint8)
(dtype('float32'), array([255, 255], dtype=uint8))
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike

__all__ = [
    "INTERPOLATIONS",
    "array_module",
    "check_choice",
    "check_interpolation",
    "check_size",
    "working_dtype",
    "cast_to",
]

INTERPOLATIONS = ("bilinear", "nearest")


def array_module(x):
    """The array module of ``x``: CuPy for CuPy arrays, NumPy otherwise.

    >>> array_module(np.zeros(2)).__name__
    'numpy'
    """
    if type(x).__module__.split(".")[0] == "cupy":
        import cupy

        return cupy
    return np


def check_choice(value, options: Sequence[str], argument: str, where: str):
    """``value`` if it is one of ``options``, else a ``ValueError`` that names ``where`` and
    ``argument`` and lists the options.

    >>> check_choice("wrap", ("wrap", "nearest"), "fill_mode", "rotate")
    'wrap'
    """
    if value not in options:
        listed = ", ".join(f"'{o}'" for o in options)
        raise ValueError(
            f"{where}: `{argument}` must be one of {listed}. Received: {argument}={value!r}"
        )
    return value


def check_interpolation(interpolation: str, where: str) -> str:
    """Return ``interpolation`` if it is one of :data:`INTERPOLATIONS`, else raise a ``ValueError``.

    Args:
        interpolation: the value to check.
        where: the caller's name, the first words of the error message.

    Returns:
        ``interpolation`` unchanged.

    Raises:
        ValueError: ``interpolation`` is unknown; the message lists the valid ones.

    >>> check_interpolation("nearest", "resize")
    'nearest'
    """
    return check_choice(interpolation, INTERPOLATIONS, "interpolation", where)


def working_dtype(dtype: np.dtype | type) -> np.dtype:
    """Return the float type to compute in for images of ``dtype``.

    float32 and float64 compute in themselves; float16 and 8- or 16-bit integers in
    float32; wider integers in float64 (float32 cannot hold them exactly).

    Args:
        dtype: the images' dtype.

    Returns:
        ``np.float32`` or ``np.float64`` as a dtype.

    Raises:
        TypeError: ``dtype`` is not an integer or float type.

    >>> working_dtype(np.uint8)
    dtype('float32')
    """
    dtype = np.dtype(dtype)
    if dtype == np.float64 or (dtype.kind in "iu" and dtype.itemsize >= 4):
        return np.dtype(np.float64)
    if dtype.kind in "fiu":
        return np.dtype(np.float32)
    raise TypeError(f"images must have an integer or float dtype. Received: dtype={dtype}")


def cast_to(values: np.ndarray, dtype: np.dtype | type) -> np.ndarray:
    """Convert float ``values`` to ``dtype``: integers round half up and saturate, floats cast.

    Args:
        values: a float array.
        dtype: the target dtype.

    Returns:
        an array of ``dtype`` (``values`` itself when it already has that dtype).

    >>> cast_to(np.array([-3.0, 1.5, 2.49, 300.0]), np.uint8)
    array([  0,   2,   2, 255], dtype=uint8)
    """
    xp = array_module(values)
    dtype = np.dtype(dtype)
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        values = xp.floor(values + values.dtype.type(0.5))
        return xp.clip(values, info.min, info.max).astype(dtype)
    return values.astype(dtype, copy=False)


def check_size(size: ArrayLike, where: str, name: str = "output_shape") -> tuple[int, int]:
    """``size`` as ``(height, width)``, two positive ints, or a ValueError naming ``where``.

    >>> check_size((28, 14), "resize", "size")
    (28, 14)
    """
    ok = isinstance(size, (tuple, list)) and len(size) == 2
    ok = ok and all(isinstance(s, (int, np.integer)) and not isinstance(s, bool) for s in size)
    if not ok or min(size) < 1:
        raise ValueError(
            f"{where}: `{name}` must be a tuple of 2 positive ints (height, width). "
            f"Received: {name}={size!r}"
        )
    return int(size[0]), int(size[1])
