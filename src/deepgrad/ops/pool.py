"""Pooling ops: max and average pooling over NHWC images and (N, T, C) sequences.

Each is one fused op with a hand-written backward (the kernels live in
``deepgrad.kernels.pool`` and, along one axis, ``deepgrad.kernels.pool_axis``; the plain
version is ``deepgrad.kernels.reference``). ``strides`` default to ``pool_size``;
``padding`` is ``'valid'`` or ``'same'`` (any case) with TensorFlow's rule: ``'same'``
gives ``ceil(length / stride)`` outputs and puts the odd padding cell at the
bottom/right; padded cells are never the maximum and are not counted in an average.
Max pooling sends each output's gradient to the first maximum of its window
(row-major), as TensorFlow and PyTorch do; the winner is found once, in the forward
pass, and only when a gradient will be needed.

>>> import deepgrad as dg
>>> x = dg.Tensor(np.arange(16.0, dtype=np.float32).reshape(1, 4, 4, 1), requires_grad=True)
>>> y = max_pool2d(x)
>>> y.data[0, :, :, 0]
array([[ 5.,  7.],
       [13., 15.]], dtype=float32)
>>> y.sum().backward()
>>> x.grad[0, :, :, 0]
array([[0., 0., 0., 0.],
       [0., 1., 0., 1.],
       [0., 0., 0., 0.],
       [0., 1., 0., 1.]], dtype=float32)
"""

from __future__ import annotations

import numpy as np

from deepgrad import config
from deepgrad.kernels import pool as kernels
from deepgrad.kernels.geometry import window, window_counts
from deepgrad.kernels.pool_axis import max_along, max_along_backward, sum_along, sum_along_backward
from deepgrad.ops.symbolic import op
from deepgrad.tensor import Tensor, as_tensor, is_grad_enabled, make_result

__all__ = [
    "max_pool2d",
    "avg_pool2d",
    "max_pool1d",
    "avg_pool1d",
    "normalize_tuple",
    "normalize_padding",
]

_LAYOUTS = {
    1: "a 3-D input (batch, steps, channels)",
    2: "a 4-D input (batch, height, width, channels)",
}


def normalize_tuple(value, n: int, arg: str, who: str) -> tuple[int, ...]:
    """An int or a sequence of ``n`` positive ints, as a tuple of ``n`` ints.

    Raises:
        ValueError: naming ``who`` and ``arg`` when ``value`` is anything else.

    >>> normalize_tuple(2, 2, "pool_size", "max_pool2d"), normalize_tuple([3, 1], 2, "strides", "")
    ((2, 2), (3, 1))
    """
    items = (value,) * n if isinstance(value, (int, np.integer)) else value
    try:
        items = tuple(items)
    except TypeError:
        items = ()
    if len(items) != n or any(
        isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v <= 0 for v in items
    ):
        kind = "a positive int" if n == 1 else f"a positive int or a tuple of {n} positive ints"
        raise ValueError(f"{who}: `{arg}` must be {kind}. Received: {arg}={value!r}")
    return tuple(int(v) for v in items)


def normalize_padding(padding, who: str) -> str:
    """``'valid'`` or ``'same'``, from any case.

    >>> normalize_padding("SAME", "max_pool2d")
    'same'
    """
    mode = padding.lower() if isinstance(padding, str) else padding
    if mode not in ("valid", "same"):
        raise ValueError(
            f"{who}: `padding` must be 'valid' or 'same'. Received: padding={padding!r}"
        )
    return mode


def _prepare(x, n: int, pool_size, strides, padding, who: str):
    x = as_tensor(x)
    if x.ndim != n + 2:
        hint = " — missing batch dimension? Add one with x[None]." if x.ndim == n + 1 else "."
        raise ValueError(f"{who}: expected {_LAYOUTS[n]}, got shape {x.shape}{hint}")
    size = normalize_tuple(pool_size, n, "pool_size", who)
    stride = size if strides is None else normalize_tuple(strides, n, "strides", who)
    mode = normalize_padding(padding, who)
    spatial = x.shape[1:-1]
    if mode == "valid" and any(s < k for s, k in zip(spatial, size)):
        raise ValueError(
            f"{who}: the pool size {size} is larger than the input's spatial size {spatial} "
            f"(input shape {x.shape}) with padding='valid'. To fix, use a smaller pool_size "
            "or padding='same'."
        )
    return x, size, stride, mode


@op
def max_pool2d(x, pool_size=(2, 2), strides=None, padding: str = "valid") -> Tensor:
    """Max pooling over the height and width of an NHWC tensor.

    Args:
        x: input of shape ``(batch, height, width, channels)``.
        pool_size: int or ``(pool_height, pool_width)``.
        strides: int or pair; None means ``pool_size``.
        padding: ``'valid'`` or ``'same'`` (case-insensitive).

    Returns:
        A tensor ``(batch, out_height, out_width, channels)`` of ``x``'s dtype.

    Raises:
        ValueError: on a wrong rank, bad sizes, or a window larger than a valid input.

    >>> max_pool2d(Tensor(np.arange(9.0).reshape(1, 3, 3, 1)), 2, 1).data[0, :, :, 0]
    array([[4., 5.],
           [7., 8.]])
    """
    x, size, stride, mode = _prepare(x, 2, pool_size, strides, padding, "max_pool2d")
    needs_grad = x.requires_grad and is_grad_enabled()
    out, state = kernels.max_pool2d(x.data, size, stride, mode, with_argmax=needs_grad)
    return make_result(out, (x,), lambda g: (kernels.max_pool2d_backward(g, state),))


@op
def avg_pool2d(x, pool_size=(2, 2), strides=None, padding: str = "valid") -> Tensor:
    """Average pooling over the height and width of an NHWC tensor (padding not counted).

    Arguments, output and errors as :func:`max_pool2d`. Integer inputs are averaged in
    the default float type.

    >>> avg_pool2d(Tensor(np.arange(9.0).reshape(1, 3, 3, 1)), 2, padding="same").data[0, :, :, 0]
    array([[2. , 3.5],
           [6.5, 8. ]])
    """
    x, size, stride, mode = _prepare(x, 2, pool_size, strides, padding, "avg_pool2d")
    data = x.data if x.dtype.kind == "f" else x.data.astype(config.floatx())
    out, state = kernels.avg_pool2d(data, size, stride, mode)
    return make_result(out, (x,), lambda g: (kernels.avg_pool2d_backward(g, state),))


@op
def max_pool1d(x, pool_size=2, strides=None, padding: str = "valid") -> Tensor:
    """Max pooling over the steps of a ``(batch, steps, channels)`` tensor.

    Args:
        x: input of shape ``(batch, steps, channels)``.
        pool_size: int (or a tuple of one int).
        strides: int; None means ``pool_size``.
        padding: ``'valid'`` or ``'same'`` (case-insensitive).

    Returns:
        A tensor ``(batch, out_steps, channels)`` of ``x``'s dtype.

    >>> max_pool1d(Tensor([[[1.0], [3.0], [2.0], [0.0], [5.0]]]), padding="same").data[0, :, 0]
    array([3., 2., 5.], dtype=float32)
    """
    x, size, stride, mode = _prepare(x, 1, pool_size, strides, padding, "max_pool1d")
    w = window(x.shape[1], size[0], stride[0], mode)
    needs_grad = x.requires_grad and is_grad_enabled()
    out, argmax = max_along(x.data, 1, w, with_argmax=needs_grad)
    return make_result(out, (x,), lambda g: (max_along_backward(g, argmax, 1, w),))


@op
def avg_pool1d(x, pool_size=2, strides=None, padding: str = "valid") -> Tensor:
    """Average pooling over the steps of a ``(batch, steps, channels)`` tensor.

    Arguments, output and errors as :func:`max_pool1d`; padding is not counted.

    >>> avg_pool1d(Tensor([[[1.0], [3.0], [2.0], [0.0], [5.0]]]), padding="same").data[0, :, 0]
    array([2., 1., 5.], dtype=float32)
    """
    x, size, stride, mode = _prepare(x, 1, pool_size, strides, padding, "avg_pool1d")
    w = window(x.shape[1], size[0], stride[0], mode)
    data = x.data if x.dtype.kind == "f" else x.data.astype(config.floatx())
    total = sum_along(data, 1, w)
    if w.before or w.after:
        scale = (1.0 / window_counts(w)).astype(total.dtype)[:, None]
    else:
        scale = 1.0 / w.size
    total *= scale
    return make_result(
        total, (x,), lambda g: (sum_along_backward(g * scale, 1, w),)
    )
