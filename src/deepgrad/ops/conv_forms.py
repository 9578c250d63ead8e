"""Keras 3's ``keras.ops.nn`` convolution and pooling functions over 1, 2 or 3 spatial
axes: ``conv, conv_transpose, depthwise_conv, separable_conv, average_pool, max_pool``.

They take Keras's arguments (``data_format``, ``strides`` and ``dilation_rate`` as an int
or a tuple) and run on the fused ops of ``ops/convolution.py`` and ``ops/pool.py``. Keras's
kernel layout ``(*kernel_size, in, out)`` holds for both data formats; channels-first
inputs are transposed at the boundary (two copies of the input and output). A 3-D
convolution is a sum of 2-D convolutions over the kernel's depth, a 3-D pool a 2-D pool
per depth slice followed by a pool over depth windows; ``conv`` with a kernel of fewer
input channels than the input convolves in groups, as Keras.

>>> import deepgrad as dg
>>> x = dg.Tensor(np.ones((1, 4, 4, 1)))
>>> dg.ops.conv(x, dg.Tensor(np.ones((3, 3, 1, 2))), padding="same").shape
(1, 4, 4, 2)
"""

from __future__ import annotations

import numpy as np

from deepgrad import config
from deepgrad.ops import convolution as cv
from deepgrad.ops import elementwise as ew
from deepgrad.ops import pool as pl
from deepgrad.ops import reduce as rd
from deepgrad.ops.core import float_tensor, tensor_of
from deepgrad.ops.grouped_conv import grouped_conv
from deepgrad.ops.shaping import concatenate, getitem, moveaxis, pad, reshape
from deepgrad.ops.symbolic import op
from deepgrad.tensor import Tensor

__all__ = ["conv", "conv_transpose", "depthwise_conv", "separable_conv", "average_pool",
           "max_pool"]


def _channels_last(x: Tensor, data_format, name: str) -> tuple[Tensor, bool]:
    data_format = config.standardize_data_format(data_format, name)
    if x.ndim not in (3, 4, 5):
        raise ValueError(
            f"{name}: expected a 3-D, 4-D or 5-D input (batch, *spatial, channels). "
            f"Received: shape={x.shape}"
        )
    first = data_format == "channels_first"
    return (moveaxis(x, 1, -1) if first else x), first


def config_data_format(data_format) -> str:
    """``data_format``, or :func:`deepgrad.config.image_data_format` for None (Keras)."""
    return config.standardize_data_format(data_format)


def _restore(y: Tensor, first: bool) -> Tensor:
    return moveaxis(y, -1, 1) if first else y


def _tuple(value, n: int) -> tuple[int, ...]:
    return (int(value),) * n if np.ndim(value) == 0 else tuple(int(v) for v in value)


def _padding(padding: str, name: str) -> str:
    mode = padding.lower() if isinstance(padding, str) else padding
    if mode not in ("valid", "same"):
        raise ValueError(f"{name}: `padding` must be 'valid' or 'same'. Received: {padding!r}")
    return mode


def _same_pad(length: int, size: int, stride: int, dilation: int) -> tuple[int, int]:
    out = -(-length // stride)
    total = max((out - 1) * stride + (size - 1) * dilation + 1 - length, 0)
    return total // 2, total - total // 2


def _depth_windows(x: Tensor, size: int, stride: int, dilation: int, mode: str):
    """Pad depth (axis 1) for ``mode`` and give, per kernel tap, the depth slab it reads
    with the output depths folded into the batch: ``(N * out_d, ...)``."""
    if mode == "same":
        x = pad(x, [(0, 0), _same_pad(x.shape[1], size, stride, dilation)]
                + [(0, 0)] * (x.ndim - 2))
    out_d = (x.shape[1] - (size - 1) * dilation - 1) // stride + 1
    slabs = []
    for i in range(size):
        start = i * dilation
        slab = getitem(x, (slice(None), slice(start, start + (out_d - 1) * stride + 1, stride)))
        slabs.append(reshape(slab, (-1,) + x.shape[2:]))
    return slabs, out_d


@op
def conv(inputs, kernel, strides=1, padding: str = "valid", data_format=None,
         dilation_rate=1) -> Tensor:
    """N-D convolution (cross-correlation) with a kernel ``(*kernel_size, in, out)``.

    >>> conv(Tensor(np.ones((1, 5, 1))), Tensor(np.ones((3, 1, 1)))).data.ravel()
    array([3., 3., 3.])
    """
    x, first = _channels_last(float_tensor(inputs), data_format, "conv")
    kernel = tensor_of(kernel)
    mode = _padding(padding, "conv")
    n = x.ndim - 2
    strides, dilation = _tuple(strides, n), _tuple(dilation_rate, n)
    groups = x.shape[-1] // kernel.shape[-2]
    if n == 3:
        slabs, out_d = _depth_windows(x, kernel.shape[0], strides[0], dilation[0], mode)
        total = None
        for i, slab in enumerate(slabs):
            part = _conv_2d_or_grouped(slab, getitem(kernel, i), strides[1:], mode,
                                       dilation[1:], groups)
            total = part if total is None else ew.add(total, part)
        y = reshape(total, (x.shape[0], out_d) + total.shape[1:])
    else:
        y = _conv_2d_or_grouped(x, kernel, strides, mode, dilation, groups)
    return _restore(y, first)


def _conv_2d_or_grouped(x, kernel, strides, mode, dilation, groups) -> Tensor:
    strides = strides[0] if len(strides) == 1 else strides
    dilation = dilation[0] if len(dilation) == 1 else dilation
    if groups > 1:
        return grouped_conv(x, kernel, groups=groups, strides=strides, padding=mode,
                            dilation_rate=dilation)
    fn = cv.conv1d if x.ndim == 3 else cv.conv2d
    return fn(x, kernel, None, strides, mode, dilation)


@op
def depthwise_conv(inputs, kernel, strides=1, padding: str = "valid", data_format=None,
                   dilation_rate=1) -> Tensor:
    """Depthwise 1-D or 2-D convolution, kernel ``(*kernel_size, in, depth_multiplier)``.

    >>> depthwise_conv(Tensor(np.ones((1, 3, 3, 2))), Tensor(np.ones((3, 3, 2, 1)))).shape
    (1, 1, 1, 2)
    """
    x, first = _channels_last(float_tensor(inputs), data_format, "depthwise_conv")
    kernel = tensor_of(kernel)
    mode = _padding(padding, "depthwise_conv")
    if x.ndim == 3:
        y = cv.depthwise_conv2d(reshape(x, (x.shape[0], 1) + x.shape[1:]),
                                reshape(kernel, (1,) + kernel.shape), None,
                                (1, _tuple(strides, 1)[0]), mode,
                                (1, _tuple(dilation_rate, 1)[0]))
        y = reshape(y, (y.shape[0],) + y.shape[2:])
    elif x.ndim == 4:
        y = cv.depthwise_conv2d(x, kernel, None, _tuple(strides, 2), mode,
                                _tuple(dilation_rate, 2))
    else:
        raise ValueError(f"depthwise_conv: expected a 3-D or 4-D input. Received: {x.shape}")
    return _restore(y, first)


@op
def separable_conv(inputs, depthwise_kernel, pointwise_kernel, strides=1,
                   padding: str = "valid", data_format=None, dilation_rate=1) -> Tensor:
    """Depthwise convolution, then a pointwise (1x1) convolution mixing the channels.

    >>> separable_conv(Tensor(np.ones((1, 3, 3, 2))), Tensor(np.ones((3, 3, 2, 1))),
    ...                Tensor(np.ones((1, 1, 2, 4)))).shape
    (1, 1, 1, 4)
    """
    fmt = config_data_format(data_format)
    mid = depthwise_conv(inputs, depthwise_kernel, strides, padding, fmt, dilation_rate)
    return conv(mid, pointwise_kernel, 1, "valid", fmt, 1)


@op
def conv_transpose(inputs, kernel, strides=1, padding: str = "valid", output_padding=None,
                   data_format=None, dilation_rate=1) -> Tensor:
    """Transposed 1-D or 2-D convolution, kernel ``(*kernel_size, out, in)``.

    >>> conv_transpose(Tensor(np.ones((1, 2, 2, 1))), Tensor(np.ones((2, 2, 3, 1))),
    ...                strides=2).shape
    (1, 4, 4, 3)
    """
    x, first = _channels_last(float_tensor(inputs), data_format, "conv_transpose")
    kernel = tensor_of(kernel)
    mode = _padding(padding, "conv_transpose")
    if x.ndim == 3:
        extra = None if output_padding is None else (0, _tuple(output_padding, 1)[0])
        y = cv.conv2d_transpose(reshape(x, (x.shape[0], 1) + x.shape[1:]),
                                reshape(kernel, (1,) + kernel.shape), None,
                                (1, _tuple(strides, 1)[0]), mode, extra,
                                (1, _tuple(dilation_rate, 1)[0]))
        y = reshape(y, (y.shape[0],) + y.shape[2:])
    elif x.ndim == 4:
        extra = None if output_padding is None else _tuple(output_padding, 2)
        y = cv.conv2d_transpose(x, kernel, None, _tuple(strides, 2), mode, extra,
                                _tuple(dilation_rate, 2))
    else:
        raise NotImplementedError("conv_transpose: 3-D transposed convolutions are not in "
                                  "deepgrad yet; 1-D and 2-D are.")
    return _restore(y, first)


def _pool(inputs, pool_size, strides, padding, data_format, name: str, reduce: str) -> Tensor:
    x, first = _channels_last(float_tensor(inputs), data_format, name)
    mode = _padding(padding, name)
    n = x.ndim - 2
    size = _tuple(pool_size, n)
    stride = size if strides is None else _tuple(strides, n)
    two_d = pl.max_pool2d if reduce == "max" else pl.avg_pool2d
    if n == 1:
        one_d = pl.max_pool1d if reduce == "max" else pl.avg_pool1d
        y = one_d(x, size[0], stride[0], mode)
    elif n == 2:
        y = two_d(x, size, stride, mode)
    else:
        per_slice = two_d(reshape(x, (-1,) + x.shape[2:]), size[1:], stride[1:], mode)
        per_slice = reshape(per_slice, x.shape[:2] + per_slice.shape[1:])
        y = _pool_depth(per_slice, size[0], stride[0], mode, reduce)
    return _restore(y, first)


def _pool_depth(x: Tensor, size: int, stride: int, mode: str, reduce: str) -> Tensor:
    """Pool axis 1 with windows clipped to the real steps (padding never counts)."""
    length = x.shape[1]
    if mode == "same":
        out = -(-length // stride)
        before = max((out - 1) * stride + size - length, 0) // 2
    else:
        out, before = (length - size) // stride + 1, 0
    pick = rd.max if reduce == "max" else rd.mean
    steps = []
    for o in range(out):
        lo, hi = max(o * stride - before, 0), min(o * stride - before + size, length)
        steps.append(pick(getitem(x, (slice(None), slice(lo, hi))), axis=1, keepdims=True))
    return concatenate(steps, axis=1)


@op
def max_pool(inputs, pool_size, strides=None, padding: str = "valid",
             data_format=None) -> Tensor:
    """Max pooling over 1, 2 or 3 spatial axes (``strides`` default to ``pool_size``).

    >>> max_pool(Tensor(np.arange(16.0).reshape(1, 4, 4, 1)), 2).data[0, :, :, 0]
    array([[ 5.,  7.],
           [13., 15.]])
    """
    return _pool(inputs, pool_size, strides, padding, data_format, "max_pool", "max")


@op
def average_pool(inputs, pool_size, strides=None, padding: str = "valid",
                 data_format=None) -> Tensor:
    """Average pooling over 1, 2 or 3 spatial axes; with ``'same'`` padding the windows
    average only real cells, as Keras.

    >>> average_pool(Tensor(np.arange(4.0).reshape(1, 4, 1)), 2).data.ravel()
    array([0.5, 2.5])
    """
    return _pool(inputs, pool_size, strides, padding, data_format, "average_pool", "avg")
