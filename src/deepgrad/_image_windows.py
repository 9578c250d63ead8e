"""``sliding_windows``: every window of an image as a strided view (no copy).

Use it as ``dg.image.sliding_windows``; this module is private.

>>> import numpy as np
>>> image = np.arange(16).reshape(4, 4)
>>> sliding_windows(image, 2, stride=2)[1, 0]
array([[ 8,  9],
       [12, 13]])
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import as_strided
from numpy.typing import ArrayLike

__all__ = ["sliding_windows"]


def _pair(value, name: str, where: str) -> tuple[int, int]:
    pair = (value, value) if isinstance(value, (int, np.integer)) else tuple(value)
    if len(pair) != 2 or not all(isinstance(v, (int, np.integer)) and v > 0 for v in pair):
        raise ValueError(f"{where}: `{name}` must be a positive int or a tuple of 2 positive "
                         f"ints. Received: {name}={value!r}")
    return int(pair[0]), int(pair[1])


def sliding_windows(image: ArrayLike, size, stride=1) -> np.ndarray:
    """All ``size`` windows of an image, ``stride`` pixels apart, as a read-only view.

    Window ``(i, j)`` covers rows ``i * stride_y`` to ``i * stride_y + height`` and
    columns ``j * stride_x`` to ``j * stride_x + width``; windows that would run past
    the right or bottom edge are left out. Nothing is copied: the result shares the
    image's memory, so a 1,500 x 1,500 scene's 20,000 windows of 80 x 80 cost no memory
    until a batch of them is taken (``windows.reshape(-1, h, w, c)[start:stop]`` copies
    just that batch).

    Args:
        image: ``(height, width)``, ``(height, width, channels)`` or
            ``(batch, height, width, channels)``.
        size: the window's ``(height, width)``, or one int for a square.
        stride: the step between windows, ``(step_y, step_x)`` or one int.

    Returns:
        A read-only view of shape ``(rows, cols, height, width[, channels])``, with a
        leading batch axis for a batch.

    Raises:
        ValueError: another rank, a size or stride that is not positive, or a window
            larger than the image.

    >>> sliding_windows(np.zeros((1500, 1500, 3)), 80, stride=10).shape
    (143, 143, 80, 80, 3)
    """
    where = "sliding_windows"
    array = np.asarray(image)
    if array.ndim not in (2, 3, 4):
        raise ValueError(f"{where}: `image` must have rank 2 (height, width), 3 (height, "
                         f"width, channels) or 4 (batch, height, width, channels). "
                         f"Received: image.shape={array.shape}")
    height, width = _pair(size, "size", where)
    step_y, step_x = _pair(stride, "stride", where)
    axis = 1 if array.ndim == 4 else 0
    rows_in, cols_in = array.shape[axis], array.shape[axis + 1]
    if height > rows_in or width > cols_in:
        raise ValueError(f"{where}: the window ({height}, {width}) is larger than the image "
                         f"({rows_in}, {cols_in}). Received: size={size!r}, "
                         f"image.shape={array.shape}")
    rows = (rows_in - height) // step_y + 1
    cols = (cols_in - width) // step_x + 1
    s = array.strides
    shape = (*array.shape[:axis], rows, cols, height, width, *array.shape[axis + 2:])
    strides = (*s[:axis], s[axis] * step_y, s[axis + 1] * step_x, s[axis], s[axis + 1],
               *s[axis + 2:])
    return as_strided(array, shape=shape, strides=strides, writeable=False)
