"""More activations of ``keras.ops.nn``: ``celu, glu, hard_shrink, hard_silu, hard_tanh,
log_sigmoid, soft_shrink, sparse_plus, sparse_sigmoid, sparsemax, squareplus, swish,
tanh_shrink, threshold``.

Light ones are composites of primitives (their gradients come from those); the
piecewise ones and ``sparsemax`` are primitives with their derivative beside them.

>>> import deepgrad as dg
>>> dg.ops.hard_tanh(dg.Tensor([-2.0, 0.5, 3.0]))
Tensor([-1. ,  0.5,  1. ], dtype=float32)
"""

from __future__ import annotations

import numpy as np

from deepgrad.ops import elementwise as ew
from deepgrad.ops.activation import hard_sigmoid, silu, softplus
from deepgrad.ops.core import float_tensor, tensor_of
from deepgrad.ops.symbolic import op
from deepgrad.tensor import Tensor, make_result

__all__ = [
    "celu", "glu", "hard_shrink", "hard_silu", "hard_swish", "hard_tanh", "log_sigmoid",
    "soft_shrink", "sparse_plus", "sparse_sigmoid", "sparsemax", "squareplus", "swish",
    "tanh_shrink", "threshold",
]


def _piecewise(x: Tensor, out: np.ndarray, slope: np.ndarray) -> Tensor:
    """Record an elementwise op whose derivative is the array ``slope``."""
    return make_result(out.astype(x.dtype, copy=False), (x,),
                       lambda g: (g * slope.astype(x.dtype, copy=False),))


@op
def celu(x, alpha: float = 1.0) -> Tensor:
    """Continuously differentiable ELU: ``max(x, 0) + alpha * expm1(min(x, 0) / alpha)``.

    >>> celu(Tensor([-1.0, 2.0])).data.round(4)
    array([-0.6321,  2.    ], dtype=float32)
    """
    x = float_tensor(x)
    negative = np.minimum(x.data, 0) / alpha
    out = np.maximum(x.data, 0) + alpha * np.expm1(negative)
    return _piecewise(x, out, np.where(x.data > 0, 1, np.exp(negative)))


@op
def glu(x, axis: int = -1) -> Tensor:
    """Gated linear unit: the first half of ``axis`` times the sigmoid of the second.

    Raises:
        ValueError: if the axis has odd length.

    >>> glu(Tensor([[1.0, 2.0, 0.0, 0.0]]))
    Tensor([[0.5, 1. ]], dtype=float32)
    """
    from deepgrad.ops.joining import split

    x = float_tensor(x)
    if x.shape[axis] % 2:
        raise ValueError(
            f"glu: the length of axis {axis} must be even. Received: x.shape={x.shape}"
        )
    first, second = split(x, 2, axis=axis)
    return ew.multiply(first, ew.sigmoid(second))


@op
def hard_shrink(x, threshold: float = 0.5) -> Tensor:
    """``x`` where ``|x| > threshold``, else 0.

    >>> hard_shrink(Tensor([-1.0, 0.2, 0.8]))
    Tensor([-1. ,  0. ,  0.8], dtype=float32)
    """
    x = tensor_of(x)  # integers stay integers, as in Keras (the values are the input's)
    keep = np.abs(x.data) > threshold
    if x.dtype.kind != "f":
        return Tensor(np.where(keep, x.data, 0).astype(x.dtype))
    return _piecewise(x, np.where(keep, x.data, 0), keep)


@op
def hard_silu(x) -> Tensor:
    """``x * hard_sigmoid(x)`` (also called hard swish).

    >>> hard_silu(Tensor([-4.0, 0.0, 4.0]))
    Tensor([-0.,  0.,  4.], dtype=float32)
    """
    x = float_tensor(x)
    return ew.multiply(x, hard_sigmoid(x))


@op
def hard_swish(x) -> Tensor:
    """Alias of :func:`hard_silu`.

    >>> hard_swish(Tensor([1.0])).data.round(4)
    array([0.6667], dtype=float32)
    """
    return hard_silu(x)


@op
def hard_tanh(x) -> Tensor:
    """``x`` clipped to [-1, 1].

    >>> hard_tanh(Tensor([2.0]))
    Tensor([1.], dtype=float32)
    """
    x = float_tensor(x)
    inside = (x.data > -1) & (x.data < 1)
    return _piecewise(x, np.clip(x.data, -1, 1), inside)


@op
def log_sigmoid(x) -> Tensor:
    """``log(sigmoid(x)) = -softplus(-x)``, computed stably.

    >>> log_sigmoid(Tensor([0.0])).data.round(4)
    array([-0.6931], dtype=float32)
    """
    return ew.negative(softplus(ew.negative(float_tensor(x))))


@op
def soft_shrink(x, threshold: float = 0.5) -> Tensor:
    """``x - threshold`` above ``threshold``, ``x + threshold`` below ``-threshold``, else 0.

    >>> soft_shrink(Tensor([-1.0, 0.2, 0.8]))
    Tensor([-0.5,  0. ,  0.3], dtype=float32)
    """
    x = float_tensor(x)
    d = x.data
    out = np.where(d > threshold, d - threshold, np.where(d < -threshold, d + threshold, 0))
    return _piecewise(x, out, np.abs(d) > threshold)


@op
def sparse_plus(x) -> Tensor:
    """0 for ``x <= -1``, ``(x + 1)**2 / 4`` on (-1, 1), ``x`` for ``x >= 1``.

    >>> sparse_plus(Tensor([-2.0, 0.0, 2.0]))
    Tensor([0.  , 0.25, 2.  ], dtype=float32)
    """
    x = float_tensor(x)
    d = x.data
    out = np.where(d <= -1, 0, np.where(d < 1, 0.25 * (d + 1) ** 2, d))
    return _piecewise(x, out, np.where(d <= -1, 0, np.where(d < 1, 0.5 * (d + 1), 1)))


@op
def sparse_sigmoid(x) -> Tensor:
    """0 for ``x <= -1``, ``(x + 1) / 2`` on (-1, 1), 1 for ``x >= 1``.

    >>> sparse_sigmoid(Tensor([-2.0, 0.0, 2.0]))
    Tensor([0. , 0.5, 1. ], dtype=float32)
    """
    x = float_tensor(x)
    d = x.data
    inside = (d > -1) & (d < 1)
    return _piecewise(x, np.clip(0.5 * (d + 1), 0, 1), 0.5 * inside)


@op
def sparsemax(x, axis: int = -1) -> Tensor:
    """Sparsemax (Martins & Astudillo 2016): the Euclidean projection onto the simplex, a
    softmax whose small entries are exactly zero; each output sums to 1.

    deepgrad differs from Keras 3.15 here: Keras's threshold adds up the cumulative sums at
    every position of the support instead of taking the last one, so its outputs do not
    sum to 1 once two or more entries are kept (``[0.7, 0.5, -0.3, 0.1]`` gives Keras
    ``[0.25, 0.05, 0, 0]``; the projection is ``[0.6, 0.4, 0, 0]``).

    >>> sparsemax(Tensor([[1.0, 2.0, 5.0]]))
    Tensor([[0., 0., 1.]], dtype=float32)
    """
    x = float_tensor(x)
    z = np.moveaxis(x.data, axis, -1)
    ordered = -np.sort(-z, axis=-1)
    k = np.arange(1, z.shape[-1] + 1, dtype=z.dtype)
    running = np.cumsum(ordered, axis=-1)
    support = 1 + k * ordered > running
    size = support.sum(axis=-1, keepdims=True)
    count = size.astype(z.dtype)
    tau = (np.take_along_axis(running, size - 1, axis=-1) - 1) / count
    out = np.maximum(z - tau, 0)
    active = out > 0

    def backward(g):
        gm = np.moveaxis(g, axis, -1)
        mean = (gm * active).sum(-1, keepdims=True) / active.sum(-1, keepdims=True)
        return (np.moveaxis(active * (gm - mean), -1, axis),)

    return make_result(np.moveaxis(out, -1, axis), (x,), backward)


@op
def squareplus(x, b: float = 4) -> Tensor:
    """``(x + sqrt(x**2 + b)) / 2``, a smooth ReLU.

    >>> squareplus(Tensor([0.0]))
    Tensor([1.], dtype=float32)
    """
    x = float_tensor(x)
    root = ew.sqrt(ew.add(ew.square(x), np.asarray(b, x.dtype)))
    return ew.multiply(ew.add(x, root), 0.5)


@op
def swish(x) -> Tensor:
    """``x * sigmoid(x)`` (alias of ``silu``).

    >>> swish(Tensor([0.0]))
    Tensor([0.], dtype=float32)
    """
    return silu(x)


@op
def tanh_shrink(x) -> Tensor:
    """``x - tanh(x)``.

    >>> tanh_shrink(Tensor([0.0]))
    Tensor([0.], dtype=float32)
    """
    x = float_tensor(x)
    return ew.subtract(x, ew.tanh(x))


@op
def threshold(x, threshold: float, default_value: float) -> Tensor:
    """``x`` where ``x > threshold``, else ``default_value``.

    >>> threshold(Tensor([1.0, 3.0]), 2.0, -1.0)
    Tensor([-1.,  3.], dtype=float32)
    """
    x = float_tensor(x)
    return ew.where(x.data > threshold, x, np.asarray(default_value, x.dtype))
