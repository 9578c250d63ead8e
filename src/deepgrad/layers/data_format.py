"""``data_format``: Keras's two image layouts, and moving between them at a layer's edge.

deepgrad's kernels compute on ``channels_last`` arrays, ``(batch, *spatial, channels)``.
A layer given ``data_format='channels_first'`` (``(batch, channels, *spatial)``, PyTorch's
layout) transposes its input to channels last, computes, and transposes the result
back: two copies of the data per call (and two more in the backward pass), the whole
cost of the option. Layers that only index spatial axes (padding, cropping, upsampling,
adaptive and global pooling) work in place instead and pay nothing.

>>> import deepgrad as dg
>>> x = dg.Tensor(np.zeros((2, 3, 5, 7)))
>>> to_channels_last(x).shape, to_channels_first(to_channels_last(x)).shape
((2, 5, 7, 3), (2, 3, 5, 7))
"""

from __future__ import annotations

import numpy as np

from deepgrad import config, ops
from deepgrad.tensor import Tensor

__all__ = [
    "DATA_FORMATS",
    "standardize_data_format",
    "to_channels_last",
    "to_channels_first",
    "spatial_axes",
    "last_shape",
    "shape_in",
]

DATA_FORMATS = ("channels_last", "channels_first")


def standardize_data_format(who: str, value) -> str:
    """:func:`deepgrad.config.image_data_format` for None (``'channels_last'`` unless set,
    as Keras), the value lower-cased if valid, else a ValueError naming ``who``.

    >>> standardize_data_format("Conv2D", None)
    'channels_last'
    """
    return config.standardize_data_format(value, who)


def spatial_axes(ndim: int, data_format: str) -> tuple[int, ...]:
    """The spatial axes of a batch of rank ``ndim`` in ``data_format``.

    >>> spatial_axes(4, "channels_first"), spatial_axes(4, "channels_last")
    ((2, 3), (1, 2))
    """
    first = 2 if data_format == "channels_first" else 1
    return tuple(range(first, first + ndim - 2))


def to_channels_last(x: Tensor | np.ndarray):
    """``(batch, channels, *spatial)`` to ``(batch, *spatial, channels)``: a differentiable
    transpose for a Tensor, ``np.moveaxis`` for an array."""
    if isinstance(x, Tensor):
        return ops.transpose(x, (0, *range(2, x.ndim), 1))
    return np.moveaxis(x, 1, -1)


def to_channels_first(x: Tensor | np.ndarray):
    """``(batch, *spatial, channels)`` to ``(batch, channels, *spatial)`` (see
    :func:`to_channels_last`)."""
    if isinstance(x, Tensor):
        return ops.transpose(x, (0, x.ndim - 1, *range(1, x.ndim - 1)))
    return np.moveaxis(x, -1, 1)


def last_shape(shape, data_format: str) -> tuple:
    """``shape`` in ``data_format`` as the channels_last shape (same for channels_last).

    >>> last_shape((None, 3, 28, 28), "channels_first")
    (None, 28, 28, 3)
    """
    shape = tuple(shape)
    if data_format != "channels_first" or len(shape) < 3:
        return shape
    return (shape[0], *shape[2:], shape[1])


def shape_in(shape, data_format: str) -> tuple:
    """A channels_last ``shape`` in ``data_format`` (the inverse of :func:`last_shape`).

    >>> shape_in((None, 14, 14, 8), "channels_first")
    (None, 8, 14, 14)
    """
    shape = tuple(shape)
    if data_format != "channels_first" or len(shape) < 3:
        return shape
    return (shape[0], shape[-1], *shape[1:-1])
