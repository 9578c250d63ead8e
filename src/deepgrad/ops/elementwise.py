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
from deepgrad.ops.logits import remember
from deepgrad.tensor import Tensor, as_tensor, make_result, unbroadcast

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
    "cast",
]


def _pair(a, b) -> tuple[Tensor, Tensor]:
    """Make both operands Tensors; a plain number takes the other operand's dtype."""
    if isinstance(a, Tensor) and not isinstance(b, Tensor):
        return a, Tensor(np.asarray(b, dtype=a.dtype) if np.ndim(b) == 0 else b)
    if isinstance(b, Tensor) and not isinstance(a, Tensor):
        return Tensor(np.asarray(a, dtype=b.dtype) if np.ndim(a) == 0 else a), b
    return as_tensor(a), as_tensor(b)


def add(a, b) -> Tensor:
    """Return ``a + b`` with broadcasting.

    >>> add(Tensor([1.0, 2.0]), 1.0)
    Tensor([2., 3.], dtype=float32)
    """
    a, b = _pair(a, b)
    sa, sb = a.shape, b.shape

    def backward(g):
        return unbroadcast(g, sa), unbroadcast(g, sb)

    return make_result(a.data + b.data, (a, b), backward)


def subtract(a, b) -> Tensor:
    """Return ``a - b`` with broadcasting.

    >>> subtract(Tensor([1.0, 2.0]), 1.0)
    Tensor([0., 1.], dtype=float32)
    """
    a, b = _pair(a, b)
    sa, sb = a.shape, b.shape

    def backward(g):
        return unbroadcast(g, sa), (unbroadcast(-g, sb) if b.requires_grad else None)

    return make_result(a.data - b.data, (a, b), backward)


def multiply(a, b) -> Tensor:
    """Return ``a * b`` with broadcasting.

    >>> multiply(Tensor([1.0, 2.0]), 3.0)
    Tensor([3., 6.], dtype=float32)
    """
    a, b = _pair(a, b)

    def backward(g):
        ga = unbroadcast(g * b.data, a.shape) if a.requires_grad else None
        gb = unbroadcast(g * a.data, b.shape) if b.requires_grad else None
        return ga, gb

    return make_result(a.data * b.data, (a, b), backward)


def divide(a, b) -> Tensor:
    """Return ``a / b`` with broadcasting.

    >>> divide(Tensor([1.0, 2.0]), 2.0)
    Tensor([0.5, 1. ], dtype=float32)
    """
    a, b = _pair(a, b)
    out = a.data / b.data

    def backward(g):
        ga = unbroadcast(g / b.data, a.shape) if a.requires_grad else None
        gb = unbroadcast(-g * out / b.data, b.shape) if b.requires_grad else None
        return ga, gb

    return make_result(out, (a, b), backward)


def power(a, b) -> Tensor:
    """Return ``a ** b`` with broadcasting (gradient for ``b`` needs ``a > 0``).

    >>> power(Tensor([2.0, 3.0]), 2)
    Tensor([4., 9.], dtype=float32)
    """
    a, b = _pair(a, b)
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


def negative(a) -> Tensor:
    """Return ``-a``.

    >>> negative(Tensor([1.0]))
    Tensor([-1.], dtype=float32)
    """
    a = as_tensor(a)
    return make_result(-a.data, (a,), lambda g: (-g,))


def square(a) -> Tensor:
    """Return ``a * a``.

    >>> square(Tensor([3.0]))
    Tensor([9.], dtype=float32)
    """
    a = as_tensor(a)
    return make_result(a.data * a.data, (a,), lambda g: (2 * g * a.data,))


def exp(a) -> Tensor:
    """Return ``e ** a``.

    >>> exp(Tensor([0.0]))
    Tensor([1.], dtype=float32)
    """
    a = as_tensor(a)
    out = np.exp(a.data)
    return make_result(out, (a,), lambda g: (g * out,))


def log(a) -> Tensor:
    """Return the natural logarithm.

    >>> log(Tensor([1.0]))
    Tensor([0.], dtype=float32)
    """
    a = as_tensor(a)
    return make_result(np.log(a.data), (a,), lambda g: (g / a.data,))


def sqrt(a) -> Tensor:
    """Return the square root.

    >>> sqrt(Tensor([4.0]))
    Tensor([2.], dtype=float32)
    """
    a = as_tensor(a)
    out = np.sqrt(a.data)
    return make_result(out, (a,), lambda g: (g / (2 * out),))


def abs(a) -> Tensor:  # noqa: A001 - mirrors numpy/keras naming
    """Return ``|a|`` (gradient 0 at 0, as in PyTorch).

    >>> abs(Tensor([-2.0]))
    Tensor([2.], dtype=float32)
    """
    a = as_tensor(a)
    return make_result(np.abs(a.data), (a,), lambda g: (g * np.sign(a.data),))


def tanh(a) -> Tensor:
    """Return the hyperbolic tangent.

    >>> tanh(Tensor([0.0]))
    Tensor([0.], dtype=float32)
    """
    a = as_tensor(a)
    out = np.tanh(a.data)
    return make_result(out, (a,), lambda g: (g * (1 - out * out),))


def sigmoid_array(x: np.ndarray) -> np.ndarray:
    """Numerically stable logistic function on an array (no overflow warnings).

    >>> sigmoid_array(np.array([-1000.0, 0.0, 1000.0]))
    array([0. , 0.5, 1. ])
    """
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))


def sigmoid(a) -> Tensor:
    """Return the logistic sigmoid ``1 / (1 + e**-a)``.

    >>> sigmoid(Tensor([0.0]))
    Tensor([0.5], dtype=float32)
    """
    a = as_tensor(a)
    out = sigmoid_array(a.data)
    result = make_result(out, (a,), lambda g: (g * out * (1 - out),))
    return remember(result, a, "sigmoid")


def relu(a) -> Tensor:
    """Return ``max(a, 0)``.

    >>> relu(Tensor([-1.0, 2.0]))
    Tensor([0., 2.], dtype=float32)
    """
    a = as_tensor(a)
    if a.dtype.kind == "f":
        out = relu_clip(a.data, np.empty_like(a.data))
    else:
        out = np.maximum(a.data, 0)
    return make_result(out, (a,), lambda g: (g * (out > 0),))


def clip(a, min_value, max_value) -> Tensor:
    """Clip values to ``[min_value, max_value]``; the gradient is zero where clipped.

    >>> clip(Tensor([-2.0, 0.5, 2.0]), -1.0, 1.0)
    Tensor([-1. ,  0.5,  1. ], dtype=float32)
    """
    a = as_tensor(a)
    out = np.clip(a.data, min_value, max_value)
    lo = -np.inf if min_value is None else min_value
    hi = np.inf if max_value is None else max_value
    return make_result(out, (a,), lambda g: (g * ((a.data >= lo) & (a.data <= hi)),))


def where(condition, a, b) -> Tensor:
    """Pick from ``a`` where ``condition`` holds, else from ``b`` (no gradient to condition).

    >>> where(Tensor([True, False]), Tensor([1.0, 2.0]), 0.0)
    Tensor([1., 0.], dtype=float32)
    """
    cond = condition.data if isinstance(condition, Tensor) else np.asarray(condition)
    a, b = _pair(a, b)

    def backward(g):
        ga = unbroadcast(np.where(cond, g, 0), a.shape) if a.requires_grad else None
        gb = unbroadcast(np.where(cond, 0, g), b.shape) if b.requires_grad else None
        return ga, gb

    return make_result(np.where(cond, a.data, b.data), (a, b), backward)


def maximum(a, b) -> Tensor:
    """Elementwise maximum; ties send the gradient to ``a``.

    >>> maximum(Tensor([1.0, 3.0]), 2.0)
    Tensor([2., 3.], dtype=float32)
    """
    a, b = _pair(a, b)
    return where(a.data >= b.data, a, b)


def minimum(a, b) -> Tensor:
    """Elementwise minimum; ties send the gradient to ``a``.

    >>> minimum(Tensor([1.0, 3.0]), 2.0)
    Tensor([1., 2.], dtype=float32)
    """
    a, b = _pair(a, b)
    return where(a.data <= b.data, a, b)


def cast(a, dtype) -> Tensor:
    """Convert to ``dtype``; the gradient is cast back to the input's dtype.

    >>> cast(Tensor([1.5]), "float64").dtype
    dtype('float64')
    """
    a = as_tensor(a)
    source = a.dtype
    return make_result(a.data.astype(dtype), (a,), lambda g: (g.astype(source),))
