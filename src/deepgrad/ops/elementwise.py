"""Elementwise operations with NumPy broadcasting; each backward sits beside its forward.

Gradients of broadcast inputs are summed back to the input's shape (:func:`unbroadcast`).

>>> import deepgrad as dg
>>> a = dg.Tensor([[1.0], [2.0]], requires_grad=True)
>>> b = dg.Tensor([10.0, 20.0, 30.0], requires_grad=True)
>>> (a * b).sum().backward()
>>> a.grad.ravel(), b.grad
(array([60., 60.], dtype=float32), array([3., 3., 3.], dtype=float32))
"""

from __future__ import annotations

import numpy as np

from deepgrad.kernels.activation import relu_clip
from deepgrad.ops.core import float_tensor, tensor_of
from deepgrad.ops.dtypes import dtype_of, result_type
from deepgrad.ops.logits import remember
from deepgrad.ops.symbolic import op
from deepgrad.tensor import Tensor, make_result, unbroadcast

__all__ = [
    "add",
    "subtract",
    "multiply",
    "divide",
    "power",
    "negative",
    "square",
    "exp",
    "log",
    "sqrt",
    "abs",
    "tanh",
    "sigmoid",
    "relu",
    "clip",
    "where",
    "maximum",
    "minimum",
]


def _pair(a, b) -> tuple[Tensor, Tensor]:
    """Both operands as Tensors of their promoted dtype (Keras's rules: a Python number is
    weak, ``int32 tensor * 0.5`` is float32); the common cases (same dtypes, a float
    tensor and a Python number) cost a few type checks (benchmarks/ops_overhead.py)."""
    if isinstance(a, Tensor):
        if isinstance(b, Tensor):
            if a.dtype == b.dtype:
                return a, b
        elif (type(b) is float or type(b) is int) and a.dtype.kind == "f":
            return a, Tensor(np.asarray(b, a.dtype))  # a weak number takes the float's type
    elif (type(a) is float or type(a) is int) and isinstance(b, Tensor) and b.dtype.kind == "f":
        return Tensor(np.asarray(a, b.dtype)), b
    dtype = result_type(dtype_of(a), dtype_of(b))
    return tensor_of(a, dtype), tensor_of(b, dtype)


@op
def add(x1, x2) -> Tensor:
    """Return ``x1 + x2`` with broadcasting.

    >>> add(Tensor([1.0, 2.0]), 1.0)
    Tensor([2., 3.], dtype=float32)
    """
    a, b = _pair(x1, x2)
    sa, sb = a.shape, b.shape

    def backward(g):
        return unbroadcast(g, sa), unbroadcast(g, sb)

    return make_result(a.data + b.data, (a, b), backward)


@op
def subtract(x1, x2) -> Tensor:
    """Return ``x1 - x2`` with broadcasting.

    >>> subtract(Tensor([1.0, 2.0]), 1.0)
    Tensor([0., 1.], dtype=float32)
    """
    a, b = _pair(x1, x2)
    sa, sb = a.shape, b.shape

    def backward(g):
        return unbroadcast(g, sa), (unbroadcast(-g, sb) if b.requires_grad else None)

    return make_result(a.data - b.data, (a, b), backward)


@op
def multiply(x1, x2) -> Tensor:
    """Return ``x1 * x2`` with broadcasting.

    >>> multiply(Tensor([1.0, 2.0]), 3.0)
    Tensor([3., 6.], dtype=float32)
    """
    a, b = _pair(x1, x2)

    def backward(g):
        ga = unbroadcast(g * b.data, a.shape) if a.requires_grad else None
        gb = unbroadcast(g * a.data, b.shape) if b.requires_grad else None
        return ga, gb

    return make_result(a.data * b.data, (a, b), backward)


@op
def divide(x1, x2) -> Tensor:
    """Return ``x1 / x2`` with broadcasting, in a float type (ints divide to floatx).

    >>> divide(Tensor([1.0, 2.0]), 2.0)
    Tensor([0.5, 1. ], dtype=float32)
    """
    a, b = _pair(x1, x2)
    if a.dtype.kind != "f":
        a, b = float_tensor(a), tensor_of(b, result_type(a.dtype.name, float))
    out = a.data / b.data

    def backward(g):
        ga = unbroadcast(g / b.data, a.shape) if a.requires_grad else None
        gb = unbroadcast(-g * out / b.data, b.shape) if b.requires_grad else None
        return ga, gb

    return make_result(out, (a, b), backward)


@op
def power(x1, x2) -> Tensor:
    """Return ``x1 ** x2`` with broadcasting (the gradient for ``x2`` needs ``x1 > 0``).

    >>> power(Tensor([2.0, 3.0]), 2)
    Tensor([4., 9.], dtype=float32)
    """
    a, b = _pair(x1, x2)
    out = a.data**b.data

    def backward(g):
        ga = gb = None
        if a.requires_grad:
            ga = unbroadcast(g * b.data * a.data ** (b.data - 1), a.shape)
        if b.requires_grad:
            with np.errstate(divide="ignore", invalid="ignore"):
                log_a = np.where(a.data > 0, np.log(np.where(a.data > 0, a.data, 1)), 0)
            gb = unbroadcast(g * out * log_a, b.shape)
        return ga, gb

    return make_result(out, (a, b), backward)


@op
def negative(x) -> Tensor:
    """Return ``-x``.

    >>> negative(Tensor([1.0]))
    Tensor([-1.], dtype=float32)
    """
    x = tensor_of(x)
    return make_result(-x.data, (x,), lambda g: (-g,))


@op
def square(x) -> Tensor:
    """Return ``x * x`` (bools become int32, as Keras).

    >>> square(Tensor([3.0]))
    Tensor([9.], dtype=float32)
    """
    x = tensor_of(x)
    if x.dtype == np.bool_:
        x = tensor_of(x, "int32")
    return make_result(x.data * x.data, (x,), lambda g: (2 * g * x.data,))


@op
def exp(x) -> Tensor:
    """Return ``e ** x`` (ints become floatx).

    >>> exp(Tensor([0.0]))
    Tensor([1.], dtype=float32)
    """
    x = float_tensor(x)
    out = np.exp(x.data)
    return make_result(out, (x,), lambda g: (g * out,))


@op
def log(x) -> Tensor:
    """Return the natural logarithm (ints become floatx).

    >>> log(Tensor([1.0]))
    Tensor([0.], dtype=float32)
    """
    x = float_tensor(x)
    return make_result(np.log(x.data), (x,), lambda g: (g / x.data,))


@op
def sqrt(x) -> Tensor:
    """Return the square root (ints become floatx).

    >>> sqrt(Tensor([4.0]))
    Tensor([2.], dtype=float32)
    """
    x = float_tensor(x)
    out = np.sqrt(x.data)
    return make_result(out, (x,), lambda g: (g / (2 * out),))


@op
def abs(x) -> Tensor:  # noqa: A001 - mirrors numpy/keras naming
    """Return ``|x|`` (gradient 0 at 0, as in PyTorch).

    >>> abs(Tensor([-2.0]))
    Tensor([2.], dtype=float32)
    """
    x = tensor_of(x)
    return make_result(np.abs(x.data), (x,), lambda g: (g * np.sign(x.data),))


@op
def tanh(x) -> Tensor:
    """Return the hyperbolic tangent (ints become floatx).

    >>> tanh(Tensor([0.0]))
    Tensor([0.], dtype=float32)
    """
    x = float_tensor(x)
    out = np.tanh(x.data)
    return make_result(out, (x,), lambda g: (g * (1 - out * out),))


def sigmoid_array(x: np.ndarray) -> np.ndarray:
    """Numerically stable logistic function on an array (no overflow warnings).

    >>> sigmoid_array(np.array([-1000.0, 0.0, 1000.0]))
    array([0. , 0.5, 1. ])
    """
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))


@op
def sigmoid(x) -> Tensor:
    """Return the logistic sigmoid ``1 / (1 + e**-x)``.

    >>> sigmoid(Tensor([0.0]))
    Tensor([0.5], dtype=float32)
    """
    x = float_tensor(x)
    out = sigmoid_array(x.data)
    result = make_result(out, (x,), lambda g: (g * out * (1 - out),))
    return remember(result, x, "sigmoid")


@op
def relu(x) -> Tensor:
    """Return ``max(x, 0)``.

    >>> relu(Tensor([-1.0, 2.0]))
    Tensor([0., 2.], dtype=float32)
    """
    x = tensor_of(x)
    if x.dtype.kind == "f":
        out = relu_clip(x.data, np.empty_like(x.data))
    else:
        out = np.maximum(x.data, 0)
    return make_result(out, (x,), lambda g: (g * (out > 0),))


@op
def clip(x, x_min, x_max) -> Tensor:
    """Clip values to ``[x_min, x_max]``; the gradient is zero where clipped (bools become
    int32, as Keras).

    >>> clip(Tensor([-2.0, 0.5, 2.0]), -1.0, 1.0)
    Tensor([-1. ,  0.5,  1. ], dtype=float32)
    """
    x = tensor_of(x)
    if x.dtype == np.bool_:
        x = tensor_of(x, "int32")
    lo = getattr(x_min, "data", x_min)
    hi = getattr(x_max, "data", x_max)
    out = np.clip(x.data, lo, hi).astype(x.dtype, copy=False)
    lo = -np.inf if lo is None else lo
    hi = np.inf if hi is None else hi
    return make_result(out, (x,), lambda g: (g * ((x.data >= lo) & (x.data <= hi)),))


@op
def where(condition, x1=None, x2=None) -> Tensor | tuple:
    """Pick from ``x1`` where ``condition`` holds, else from ``x2`` (no gradient to the
    condition); with only ``condition``, the indices where it holds (as ``np.nonzero``).

    >>> where(Tensor([True, False]), Tensor([1.0, 2.0]), 0.0)
    Tensor([1., 0.], dtype=float32)
    """
    cond = condition.data if isinstance(condition, Tensor) else np.asarray(condition)
    if x1 is None and x2 is None:
        return tuple(Tensor(i.astype(np.int32)) for i in np.nonzero(cond))
    if x1 is None or x2 is None:
        raise ValueError("where: give both `x1` and `x2`, or neither.")
    a, b = _pair(x1, x2)

    def backward(g):
        ga = unbroadcast(np.where(cond, g, 0), a.shape) if a.requires_grad else None
        gb = unbroadcast(np.where(cond, 0, g), b.shape) if b.requires_grad else None
        return ga, gb

    return make_result(np.where(cond, a.data, b.data), (a, b), backward)


def _extreme(a: Tensor, b: Tensor, out: np.ndarray, pick_a: np.ndarray) -> Tensor:
    def backward(g):
        ga = unbroadcast(np.where(pick_a, g, 0), a.shape) if a.requires_grad else None
        gb = unbroadcast(np.where(pick_a, 0, g), b.shape) if b.requires_grad else None
        return ga, gb

    return make_result(out, (a, b), backward)


@op
def maximum(x1, x2) -> Tensor:
    """Elementwise maximum (NaN wins, as NumPy); ties send the gradient to ``x1``.

    >>> maximum(Tensor([1.0, 3.0]), 2.0)
    Tensor([2., 3.], dtype=float32)
    """
    a, b = _pair(x1, x2)
    with np.errstate(invalid="ignore"):
        pick_a = ~(a.data < b.data)
    return _extreme(a, b, np.maximum(a.data, b.data), pick_a)


@op
def minimum(x1, x2) -> Tensor:
    """Elementwise minimum (NaN wins, as NumPy); ties send the gradient to ``x1``.

    >>> minimum(Tensor([1.0, 3.0]), 2.0)
    Tensor([1., 2.], dtype=float32)
    """
    a, b = _pair(x1, x2)
    with np.errstate(invalid="ignore"):
        pick_a = ~(a.data > b.data)
    return _extreme(a, b, np.minimum(a.data, b.data), pick_a)
