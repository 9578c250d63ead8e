"""Adaptive pooling: pool to a given output size, whatever the input size (Keras 3's
``keras.ops.adaptive_average_pool`` / ``adaptive_max_pool``, PyTorch's
``adaptive_avg_pool*d`` / ``adaptive_max_pool*d``).

Output cell ``i`` of an axis of length ``L`` pooled to ``n`` covers the input cells
``floor(i * L / n)`` to ``ceil((i + 1) * L / n) - 1``, so neighbouring windows may
overlap by one cell. Both poolings are separable, so an N-D pool is one 1-D pool per
spatial axis, each an op with its own backward: an average along an axis is a product
with an ``(n, L)`` matrix of window weights (backward: its transpose); a maximum gathers
the windows, keeps each one's first largest cell, and sends the gradient back there.

>>> import deepgrad as dg
>>> x = dg.Tensor(np.arange(5.0, dtype=np.float32).reshape(1, 5, 1))
>>> adaptive_average_pool(x, 2).data.ravel()  # windows [0, 1, 2] and [2, 3, 4]
array([1., 3.], dtype=float32)
>>> adaptive_max_pool(x, 3).data.ravel()  # windows [0, 1], [1, 2, 3], [3, 4]
array([1., 3., 4.], dtype=float32)
"""

from __future__ import annotations

import numpy as np

from deepgrad import config
from deepgrad.ops.symbolic import op
from deepgrad.tensor import Tensor, as_tensor, make_result

__all__ = ["adaptive_average_pool", "adaptive_max_pool", "adaptive_windows"]


def adaptive_windows(length: int, size: int) -> tuple[np.ndarray, np.ndarray]:
    """``(start, end)`` of the ``size`` windows over ``length`` cells (end exclusive).

    >>> adaptive_windows(5, 3)
    (array([0, 1, 3]), array([2, 4, 5]))
    """
    i = np.arange(size)
    return (i * length) // size, -((-(i + 1) * length) // size)


def _average_along(x: Tensor, axis: int, size: int) -> Tensor:
    start, end = adaptive_windows(x.shape[axis], size)
    cells = np.arange(x.shape[axis])
    inside = (cells >= start[:, None]) & (cells < end[:, None])
    weights = (inside / (end - start)[:, None]).astype(x.dtype)
    out = np.moveaxis(np.tensordot(x.data, weights, axes=([axis], [1])), -1, axis)

    def backward(g):
        return (np.moveaxis(np.tensordot(g, weights, axes=([axis], [0])), -1, axis),)

    return make_result(out, (x,), backward)


def _max_along(x: Tensor, axis: int, size: int) -> Tensor:
    length = x.shape[axis]
    start, end = adaptive_windows(length, size)
    width = int((end - start).max())
    # Each window's cells, the last one repeated to fill a common width (harmless for a max).
    cells = np.minimum(start[:, None] + np.arange(width), (end - 1)[:, None])
    windows = np.take(x.data, cells, axis=axis)  # (..., size, width, ...)
    first = windows.argmax(axis=axis + 1)
    out = np.take_along_axis(windows, np.expand_dims(first, axis + 1), axis + 1).squeeze(axis + 1)

    def backward(g):
        # The input cell each output took its value from, then the gradients added there.
        window = np.arange(size).reshape((size,) + (1,) * (x.ndim - axis - 1))
        picked = cells[window, first]
        moved_g, moved_p = np.moveaxis(g, axis, -1), np.moveaxis(picked, axis, -1)
        rows = np.arange(moved_g.size // size).repeat(size) * length
        full = np.bincount(rows + moved_p.reshape(-1), weights=moved_g.reshape(-1),
                           minlength=moved_g.size // size * length)
        full = full.reshape(moved_g.shape[:-1] + (length,)).astype(x.dtype, copy=False)
        return (np.moveaxis(full, -1, axis),)

    return make_result(out, (x,), backward)


def _pool(inputs, output_size, data_format, along, name: str) -> Tensor:
    x = as_tensor(inputs)
    if x.ndim not in (3, 4, 5):
        raise ValueError(
            f"{name}: expected a 3-D, 4-D or 5-D input (batch, *spatial, channels) or "
            f"(batch, channels, *spatial). Received shape {x.shape}."
        )
    rank = x.ndim - 2
    sizes = (output_size,) * rank if isinstance(output_size, (int, np.integer)) else tuple(
        output_size)
    if len(sizes) != rank or any(isinstance(s, bool) or not isinstance(s, (int, np.integer))
                                 or s < 1 for s in sizes):
        raise ValueError(
            f"{name}: `output_size` must be a positive int or a tuple of {rank} of them for "
            f"a {x.ndim}-D input. Received: output_size={output_size!r}"
        )
    data_format = config.standardize_data_format(data_format, name)
    first_axis = 2 if data_format == "channels_first" else 1
    for offset, size in enumerate(sizes):
        x = along(x, first_axis + offset, int(size))
    return x


@op
def adaptive_average_pool(inputs, output_size, data_format: str | None = None) -> Tensor:
    """Average-pool the spatial axes of ``inputs`` to ``output_size``.

    Args:
        inputs: ``(batch, *spatial, channels)`` (or channels first), 1 to 3 spatial axes.
        output_size: an int (every spatial axis) or a tuple, one per spatial axis.
        data_format: ``'channels_last'`` (default) or ``'channels_first'``.

    >>> adaptive_average_pool(np.ones((2, 7, 9, 3)), (2, 4)).shape
    (2, 2, 4, 3)
    """
    return _pool(inputs, output_size, data_format, _average_along, "adaptive_average_pool")


@op
def adaptive_max_pool(inputs, output_size, data_format: str | None = None) -> Tensor:
    """Max-pool the spatial axes of ``inputs`` to ``output_size`` (arguments as
    :func:`adaptive_average_pool`).

    >>> adaptive_max_pool(np.ones((2, 3, 7, 9)), 1, data_format="channels_first").shape
    (2, 3, 1, 1)
    """
    return _pool(inputs, output_size, data_format, _max_along, "adaptive_max_pool")
