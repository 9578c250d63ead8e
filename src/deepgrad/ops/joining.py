"""Splitting and joining tensors (``keras.ops`` names): ``split, array_split, hsplit,
vsplit, dsplit, unstack`` and ``hstack, vstack, dstack, append``. Composites of slicing,
reshaping and :func:`concatenate`, so gradients come from those.

>>> import deepgrad as dg
>>> [p.shape for p in dg.ops.split(dg.Tensor(np.zeros((4, 2))), 2)]
[(2, 2), (2, 2)]
"""

from __future__ import annotations

import numpy as np

from deepgrad.ops.core import tensor_of
from deepgrad.ops.shaping import concatenate, getitem, reshape
from deepgrad.ops.symbolic import op
from deepgrad.tensor import Tensor

__all__ = [
    "split", "array_split", "hsplit", "vsplit", "dsplit", "unstack", "hstack", "vstack",
    "dstack", "append",
]


def _pieces(x: Tensor, bounds, axis: int) -> list[Tensor]:
    axis = axis % x.ndim
    edges = [0, *bounds, x.shape[axis]]
    lead = (slice(None),) * axis
    return [getitem(x, lead + (slice(a, b),)) for a, b in zip(edges[:-1], edges[1:])]


def _sections(x: Tensor, indices_or_sections, axis: int, even: bool) -> list[Tensor]:
    n = x.shape[axis]
    if np.ndim(indices_or_sections) == 0:
        sections = int(indices_or_sections)
        if even and n % sections:
            raise ValueError(
                f"split: an axis of length {n} cannot be split into {sections} equal parts. "
                "To fix, use array_split or give split indices."
            )
        size, extra = divmod(n, sections)
        sizes = [size + 1] * extra + [size] * (sections - extra)
        bounds = np.cumsum(sizes)[:-1].tolist()
    else:
        bounds = [int(i) for i in indices_or_sections]
    return _pieces(x, bounds, axis)


@op
def split(x, indices_or_sections, axis: int = 0) -> list[Tensor]:
    """Split into equal sections (an int) or at the given indices (a list).

    Raises:
        ValueError: if an int does not divide the axis evenly.

    >>> [p.data.tolist() for p in split(Tensor([1.0, 2.0, 3.0]), [1])]
    [[1.0], [2.0, 3.0]]
    """
    return _sections(tensor_of(x), indices_or_sections, axis, even=True)


@op
def array_split(x, indices_or_sections, axis: int = 0) -> list[Tensor]:
    """Like :func:`split`, but an int may leave the first sections one longer.

    >>> [p.shape for p in array_split(Tensor(np.zeros(5)), 2)]
    [(3,), (2,)]
    """
    return _sections(tensor_of(x), indices_or_sections, axis, even=False)


@op
def hsplit(x, indices_or_sections) -> list[Tensor]:
    """Split along axis 1 (axis 0 for 1-D tensors).

    >>> [p.shape for p in hsplit(Tensor(np.zeros((2, 4))), 2)]
    [(2, 2), (2, 2)]
    """
    x = tensor_of(x)
    return _sections(x, indices_or_sections, 1 if x.ndim > 1 else 0, even=True)


@op
def vsplit(x, indices_or_sections) -> list[Tensor]:
    """Split along axis 0.

    >>> [p.shape for p in vsplit(Tensor(np.zeros((4, 2))), 2)]
    [(2, 2), (2, 2)]
    """
    return _sections(tensor_of(x), indices_or_sections, 0, even=True)


@op
def dsplit(x, indices_or_sections) -> list[Tensor]:
    """Split along axis 2 (of a tensor with at least 3 dimensions).

    >>> [p.shape for p in dsplit(Tensor(np.zeros((1, 1, 4))), 2)]
    [(1, 1, 2), (1, 1, 2)]
    """
    x = tensor_of(x)
    if x.ndim < 3:
        raise ValueError(f"dsplit: `x` needs at least 3 dimensions. Received: shape={x.shape}")
    return _sections(x, indices_or_sections, 2, even=True)


@op
def unstack(x, num: int | None = None, axis: int = 0) -> list[Tensor]:
    """The slices of ``x`` along ``axis``, as a list.

    Raises:
        ValueError: if ``num`` is given and differs from the axis's length.

    >>> [t.data.tolist() for t in unstack(Tensor([[1.0, 2.0], [3.0, 4.0]]), axis=1)]
    [[1.0, 3.0], [2.0, 4.0]]
    """
    x = tensor_of(x)
    axis = axis % x.ndim
    n = x.shape[axis]
    if num is not None and num != n:
        raise ValueError(f"unstack: `num` must be {n}, the length of axis {axis}. Received: {num}")
    lead = (slice(None),) * axis
    return [getitem(x, lead + (i,)) for i in range(n)]


def _at_least(x: Tensor, ndim: int) -> Tensor:
    if x.ndim >= ndim:
        return x
    if ndim == 2:
        return reshape(x, (1,) + x.shape) if x.ndim == 1 else reshape(x, (1, 1))
    shape = {0: (1, 1, 1), 1: (1,) + x.shape + (1,), 2: x.shape + (1,)}[x.ndim]
    return reshape(x, shape)


@op
def hstack(xs) -> Tensor:
    """Join horizontally: along axis 1 (axis 0 for 1-D tensors).

    >>> hstack([Tensor([1.0]), Tensor([2.0, 3.0])])
    Tensor([1., 2., 3.], dtype=float32)
    """
    tensors = [tensor_of(x) for x in xs]
    axis = 0 if all(t.ndim == 1 for t in tensors) else 1
    return concatenate([_at_least(t, 1) if t.ndim == 0 else t for t in tensors], axis=axis)


@op
def vstack(xs) -> Tensor:
    """Join vertically: along axis 0, 1-D tensors becoming rows.

    >>> vstack([Tensor([1.0, 2.0]), Tensor([3.0, 4.0])]).shape
    (2, 2)
    """
    return concatenate([_at_least(tensor_of(x), 2) for x in xs], axis=0)


@op
def dstack(xs) -> Tensor:
    """Join along axis 2, 1-D and 2-D tensors first made 3-D.

    >>> dstack([Tensor([1.0, 2.0]), Tensor([3.0, 4.0])]).shape
    (1, 2, 2)
    """
    return concatenate([_at_least(tensor_of(x), 3) for x in xs], axis=2)


@op
def append(x1, x2, axis: int | None = None) -> Tensor:
    """``x2`` appended to ``x1`` along ``axis`` (both flattened when ``axis`` is None).

    >>> append(Tensor([[1.0]]), Tensor([2.0, 3.0]))
    Tensor([1., 2., 3.], dtype=float32)
    """
    if axis is None:
        return concatenate([reshape(x1, (-1,)), reshape(x2, (-1,))], axis=0)
    return concatenate([x1, x2], axis=axis)
