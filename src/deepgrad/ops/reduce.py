"""Reductions: sum, mean, max, min, logsumexp, with ``axis`` and ``keepdims``.

>>> import deepgrad as dg
>>> x = dg.Tensor([[1.0, 5.0], [3.0, 2.0]], requires_grad=True)
>>> x.max(axis=1).sum().backward()
>>> x.grad
array([[0., 1.],
       [1., 0.]], dtype=float32)
"""

from __future__ import annotations

import builtins

import numpy as np

from deepgrad.tensor import Tensor, as_tensor, make_result

__all__ = ["sum", "mean", "max", "min", "logsumexp"]


def _axes(axis, ndim: int) -> tuple[int, ...]:
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    return tuple(int(a) % ndim for a in axes) if ndim else ()


def _kept_shape(shape: tuple[int, ...], axes: tuple[int, ...]) -> tuple[int, ...]:
    """The shape of the reduction with ``keepdims=True``: reduced axes become 1."""
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


def _spread(g: np.ndarray, kept: tuple[int, ...], shape: tuple[int, ...]) -> np.ndarray:
    """Broadcast a reduced gradient back to the input's shape (read-only view)."""
    if g.ndim == 0 or g.size == 1:
        out = np.empty(shape, dtype=g.dtype)
        out.fill(g.item() if g.ndim else g)
        return out
    return np.broadcast_to(g.reshape(kept), shape)


def sum(a, axis=None, keepdims: bool = False) -> Tensor:  # noqa: A001
    """Sum over ``axis`` (all axes by default).

    >>> sum(Tensor([[1.0, 2.0], [3.0, 4.0]]), axis=0)
    Tensor([4., 6.], dtype=float32)
    """
    a = as_tensor(a)
    axes = _axes(axis, a.ndim)
    shape = a.shape
    kept = _kept_shape(shape, axes)

    def backward(g):
        return (_spread(g, kept, shape),)

    return make_result(np.add.reduce(a.data, axis=axes, keepdims=keepdims), (a,), backward)


def mean(a, axis=None, keepdims: bool = False) -> Tensor:
    """Mean over ``axis`` (all axes by default), in the input's float type.

    >>> mean(Tensor([[1.0, 2.0], [3.0, 4.0]]), axis=1)
    Tensor([1.5, 3.5], dtype=float32)
    """
    a = as_tensor(a)
    axes = _axes(axis, a.ndim)
    shape = a.shape
    kept = _kept_shape(shape, axes)
    count = 1
    for i in axes:
        count *= shape[i]
    if a.dtype.kind != "f":
        return make_result(np.mean(a.data, axis=axes, keepdims=keepdims), (a,), lambda g: (None,))
    scale = np.asarray(1.0 / builtins.max(count, 1), dtype=a.dtype)

    def backward(g):
        return (_spread(g * scale, kept, shape),)

    out = np.add.reduce(a.data, axis=axes, keepdims=keepdims) * scale
    return make_result(out, (a,), backward)


def _extreme(a, axis, keepdims: bool, fn) -> Tensor:
    a = as_tensor(a)
    axes = _axes(axis, a.ndim)
    out = fn(a.data, axis=axes, keepdims=True)

    def backward(g):
        # Ties share the gradient equally, as in PyTorch's amax/amin.
        mask = a.data == out
        count = mask.sum(axis=axes, keepdims=True)
        return (g.reshape(out.shape) * mask / count.astype(a.dtype),)

    return make_result(out if keepdims else np.squeeze(out, axis=axes), (a,), backward)


def max(a, axis=None, keepdims: bool = False) -> Tensor:  # noqa: A001
    """Maximum over ``axis``; tied maxima share the gradient equally.

    >>> max(Tensor([[1.0, 5.0], [3.0, 2.0]]), axis=0)
    Tensor([3., 5.], dtype=float32)
    """
    return _extreme(a, axis, keepdims, np.max)


def min(a, axis=None, keepdims: bool = False) -> Tensor:  # noqa: A001
    """Minimum over ``axis``; tied minima share the gradient equally.

    >>> min(Tensor([[1.0, 5.0], [3.0, 2.0]]), axis=0)
    Tensor([1., 2.], dtype=float32)
    """
    return _extreme(a, axis, keepdims, np.min)


def logsumexp(a, axis=None, keepdims: bool = False) -> Tensor:
    """``log(sum(exp(a)))`` computed stably (the maximum is subtracted first).

    >>> round(float(logsumexp(Tensor([1000.0, 1000.0]))), 2)
    1000.69
    """
    a = as_tensor(a)
    axes = _axes(axis, a.ndim)
    top = np.max(a.data, axis=axes, keepdims=True)
    shifted = np.exp(a.data - top)
    total = shifted.sum(axis=axes, keepdims=True)
    out = np.log(total) + top

    def backward(g):
        return (g.reshape(total.shape) * (shifted / total),)

    return make_result(out if keepdims else np.squeeze(out, axis=axes), (a,), backward)
