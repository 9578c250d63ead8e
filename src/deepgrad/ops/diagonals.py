"""Diagonals and triangles (``keras.ops`` names): ``diag, diagflat, diagonal, trace, tril,
triu``. Each is a linear map, so its backward is the transposed map.

>>> import deepgrad as dg
>>> x = dg.Tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
>>> dg.ops.trace(x).backward(); x.grad
array([[1., 0.],
       [0., 1.]], dtype=float32)
"""

from __future__ import annotations

import numpy as np

from deepgrad.ops.core import tensor_of
from deepgrad.ops.symbolic import op
from deepgrad.tensor import Tensor, make_result

__all__ = ["diag", "diagflat", "diagonal", "trace", "tril", "triu"]


@op
def diagonal(x, offset: int = 0, axis1: int = 0, axis2: int = 1) -> Tensor:
    """The ``offset``-th diagonal of the planes of ``axis1`` and ``axis2``, as a new last axis.

    >>> diagonal(Tensor([[1.0, 2.0], [3.0, 4.0]]))
    Tensor([1., 4.], dtype=float32)
    """
    x = tensor_of(x)
    out = np.diagonal(x.data, offset=offset, axis1=axis1, axis2=axis2).copy()

    def backward(g):
        full = np.zeros(x.shape, dtype=g.dtype)
        # A view with the two axes last; fancy indices along them reach the diagonal.
        moved = np.moveaxis(full, (axis1 % x.ndim, axis2 % x.ndim), (-2, -1))
        i = np.arange(out.shape[-1])
        moved[..., i + max(-offset, 0), i + max(offset, 0)] = g
        return (full,)

    return make_result(out, (x,), backward)


@op
def diag(x, k: int = 0) -> Tensor:
    """The ``k``-th diagonal of a 2-D tensor, or a 2-D tensor with a 1-D ``x`` on it.

    Raises:
        ValueError: if ``x`` is not 1-D or 2-D.

    >>> diag(Tensor([1.0, 2.0]))
    Tensor([[1., 0.],
            [0., 2.]], dtype=float32)
    """
    x = tensor_of(x)
    if x.ndim == 2:
        return diagonal(x, offset=k)
    if x.ndim != 1:
        raise ValueError(f"diag: `x` must be 1-D or 2-D. Received: shape={x.shape}")
    out = np.diag(x.data, k=k)
    return make_result(out, (x,), lambda g: (np.diagonal(g, offset=k).copy(),))


@op
def diagflat(x, k: int = 0) -> Tensor:
    """A 2-D tensor with the flattened ``x`` on its ``k``-th diagonal.

    >>> diagflat(Tensor([[1.0, 2.0]])).shape
    (2, 2)
    """
    from deepgrad.ops.shaping import reshape

    return diag(reshape(x, (-1,)), k=k)


@op
def trace(x, offset: int = 0, axis1: int = 0, axis2: int = 1) -> Tensor:
    """Sum of the ``offset``-th diagonal (small integer types sum in 32 bits, as Keras).

    >>> trace(Tensor([[1.0, 2.0], [3.0, 4.0]]))
    Tensor(5., dtype=float32)
    """
    from deepgrad.ops.reduce import sum as _sum

    return _sum(diagonal(x, offset=offset, axis1=axis1, axis2=axis2), axis=-1)


def _triangle(x, k: int, lower: bool) -> Tensor:
    x = tensor_of(x)
    rows, cols = x.shape[-2:]
    keep = np.tri(rows, cols, k=k, dtype=bool) if lower else ~np.tri(rows, cols, k=k - 1,
                                                                       dtype=bool)
    out = np.where(keep, x.data, np.zeros((), x.dtype))
    return make_result(out, (x,), lambda g: (np.where(keep, g, 0),))


@op
def tril(x, k: int = 0) -> Tensor:
    """Zero the elements above the ``k``-th diagonal (of the last two axes).

    >>> tril(Tensor([[1.0, 2.0], [3.0, 4.0]]))
    Tensor([[1., 0.],
            [3., 4.]], dtype=float32)
    """
    return _triangle(x, k, lower=True)


@op
def triu(x, k: int = 0) -> Tensor:
    """Zero the elements below the ``k``-th diagonal (of the last two axes).

    >>> triu(Tensor([[1.0, 2.0], [3.0, 4.0]]))
    Tensor([[1., 2.],
            [0., 4.]], dtype=float32)
    """
    return _triangle(x, k, lower=False)
