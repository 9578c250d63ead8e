"""Sorting, ranking and counting (``keras.ops`` names): ``sort, argsort, argpartition,
top_k, in_top_k, searchsorted, digitize, unique, bincount, histogram``.

``sort`` and ``top_k`` are gathers of their arguments, so the gradient reaches the
elements they picked. Index results are int32, as Keras.

>>> import deepgrad as dg
>>> values, indices = dg.ops.top_k(dg.Tensor([1.0, 3.0, 2.0]), 2)
>>> values, indices
(Tensor([3., 2.], dtype=float32), Tensor([1, 2], dtype=int32))
"""

from __future__ import annotations

import numpy as np

from deepgrad.ops.core import tensor_of
from deepgrad.ops.dtypes import dtype_of, result_type
from deepgrad.ops.indexing import take_along_axis
from deepgrad.ops.symbolic import op
from deepgrad.tensor import Tensor

__all__ = [
    "sort", "argsort", "argpartition", "top_k", "in_top_k", "searchsorted", "digitize",
    "unique", "bincount", "histogram",
]


@op
def argsort(x, axis: int | None = -1) -> Tensor:
    """Indices that sort ``x`` along ``axis`` (stable; of the flattened tensor for None).

    >>> argsort(Tensor([3.0, 1.0, 2.0]))
    Tensor([1, 2, 0], dtype=int32)
    """
    return Tensor(np.argsort(tensor_of(x).data, axis=axis, kind="stable").astype(np.int32))


@op
def sort(x, axis: int | None = -1) -> Tensor:
    """``x`` sorted along ``axis``; the gradient follows each element to its place.

    >>> sort(Tensor([[3.0, 1.0, 2.0]]))
    Tensor([[1., 2., 3.]], dtype=float32)
    """
    from deepgrad.ops.shaping import reshape

    x = tensor_of(x)
    if axis is None:
        x, axis = reshape(x, (-1,)), 0
    order = np.argsort(x.data, axis=axis, kind="stable")
    return take_along_axis(x, order, axis=axis)


@op
def argpartition(x, kth, axis: int = -1) -> Tensor:
    """Indices that partition ``x`` around its ``kth`` element (``np.argpartition``).

    >>> int(argpartition(Tensor([3.0, 1.0, 2.0]), 0)[0])
    1
    """
    return Tensor(np.argpartition(tensor_of(x).data, kth, axis=axis).astype(np.int32))


def _descending(data: np.ndarray) -> np.ndarray:
    """Indices sorting the last axis from largest to smallest; ties keep index order."""
    flipped = np.flip(data, axis=-1)
    order = np.argsort(flipped, axis=-1, kind="stable")[..., ::-1]
    return data.shape[-1] - 1 - order


@op
def top_k(x, k: int, sorted: bool = True) -> tuple[Tensor, Tensor]:  # noqa: A002
    """The ``k`` largest values along the last axis and their indices (ties: lower index
    first, as Keras); the gradient reaches the picked values.

    >>> top_k(Tensor([[1.0, 4.0, 4.0, 2.0]]), 2)[1]
    Tensor([[1, 2]], dtype=int32)
    """
    x = tensor_of(x)
    if not 0 <= k <= x.shape[-1]:
        raise ValueError(f"top_k: `k` must be in [0, {x.shape[-1]}]. Received: k={k}")
    indices = _descending(x.data)[..., :k]
    return take_along_axis(x, indices, axis=-1), Tensor(indices.astype(np.int32))


@op
def in_top_k(targets, predictions, k: int) -> Tensor:
    """Whether each target class is among the ``k`` highest predictions of its row (a
    class tied with the k-th value counts as in, as TensorFlow).

    >>> in_top_k(np.array([1, 0]), Tensor([[0.1, 0.9], [0.8, 0.2]]), 1)
    Tensor([ True,  True], dtype=bool)
    """
    p = tensor_of(predictions).data
    t = tensor_of(targets).data.astype(np.int64)
    kth = np.sort(p, axis=-1)[..., p.shape[-1] - k] if k > 0 else np.full(p.shape[:-1], np.inf)
    chosen = np.take_along_axis(p, t[..., None], axis=-1)[..., 0]
    return Tensor(chosen >= kth)


@op
def searchsorted(sorted_sequence, values, side: str = "left") -> Tensor:
    """Indices where ``values`` would be inserted to keep a 1-D sequence sorted.

    Raises:
        ValueError: if ``sorted_sequence`` is not 1-D.

    >>> searchsorted(Tensor([1.0, 2.0, 3.0]), Tensor([2.5]))
    Tensor([2], dtype=int32)
    """
    seq = tensor_of(sorted_sequence).data
    if seq.ndim != 1:
        raise ValueError(
            "searchsorted: `sorted_sequence` must be 1-D (use vectorized_map for more). "
            f"Received: shape={seq.shape}"
        )
    return Tensor(np.searchsorted(seq, tensor_of(values).data, side=side).astype(np.int32))


@op
def digitize(x, bins) -> Tensor:
    """The index of the bin each value falls in (``np.digitize``), as int32.

    >>> digitize(Tensor([0.5, 1.5, 2.5]), [1.0, 2.0])
    Tensor([0, 1, 2], dtype=int32)
    """
    return Tensor(np.digitize(tensor_of(x).data, tensor_of(bins).data).astype(np.int32))


@op
def unique(x, sorted: bool = True, return_index: bool = False,  # noqa: A002
           return_inverse: bool = False, return_counts: bool = False, axis: int | None = None,
           size: int | None = None, fill_value=None):
    """The sorted unique values (and, on request, first indices, inverse and counts);
    ``size`` truncates or pads the values with ``fill_value`` (0) to a fixed length.

    >>> unique(Tensor([3, 1, 3, 2]), return_counts=True)
    (Tensor([1, 2, 3], dtype=int64), Tensor([1, 1, 2], dtype=int64))
    """
    data = tensor_of(x).data
    found = np.unique(data, return_index=return_index, return_inverse=return_inverse,
                      return_counts=return_counts, axis=axis)
    parts = list(found) if isinstance(found, tuple) else [found]
    if size is not None:
        dim = 0 if axis is None else axis % data.ndim
        n = parts[0].shape[dim]
        if n > size:
            keep = [np.s_[:]] * parts[0].ndim
            keep[dim] = np.s_[:size]
            parts[0] = parts[0][tuple(keep)]
        elif n < size:
            widths = [(0, 0)] * parts[0].ndim
            widths[dim] = (0, size - n)
            fill = 0 if fill_value is None else fill_value
            parts[0] = np.pad(parts[0], widths, constant_values=fill)
        position = 1
        if return_index:
            parts[position] = _fit(parts[position], size, 1)
            position += 1
        if return_inverse:
            position += 1
        if return_counts:
            parts[position] = _fit(parts[position], size, 0)
    tensors = tuple(Tensor(p) for p in parts)
    return tensors[0] if len(tensors) == 1 else tensors


def _fit(values: np.ndarray, size: int, fill: int) -> np.ndarray:
    if len(values) >= size:
        return values[:size]
    return np.pad(values, (0, size - len(values)), constant_values=fill)


@op
def bincount(x, weights=None, minlength: int = 0, sparse: bool = False) -> Tensor:
    """Count the occurrences of each non-negative int (summing ``weights`` instead, when
    given); a 2-D ``x`` counts each row.

    >>> bincount(Tensor([0, 1, 1, 3]))
    Tensor([1, 2, 0, 1], dtype=int32)
    """
    if sparse:
        raise ValueError("bincount: deepgrad has dense tensors only. Received: sparse=True")
    data = tensor_of(x).data
    w = None if weights is None else tensor_of(weights).data
    dtype = "int32" if w is None else result_type(data.dtype.name, dtype_of(w))
    if data.ndim == 2:
        length = max(minlength, int(data.max()) + 1 if data.size else 0)
        rows = [np.bincount(r, None if w is None else wr, minlength=length)
                for r, wr in zip(data, w if w is not None else [None] * len(data))]
        return Tensor(np.stack(rows).astype(dtype))
    return Tensor(np.bincount(data, w, minlength).astype(dtype))


@op
def histogram(x, bins: int = 10, range=None) -> tuple[Tensor, Tensor]:  # noqa: A002
    """Counts of a 1-D ``x`` in ``bins`` equal bins over ``range`` (its min and max by
    default), and the bin edges.

    >>> histogram(Tensor([0.0, 1.0, 1.0, 2.0]), bins=2)[0]
    Tensor([1, 3], dtype=int64)
    """
    data = tensor_of(x).data
    if data.ndim != 1:
        raise ValueError(f"histogram: `x` must be 1-D. Received: shape={data.shape}")
    counts, edges = np.histogram(data, bins=bins, range=range)
    return Tensor(counts), Tensor(edges.astype(data.dtype if data.dtype.kind == "f"
                                                else "float32"))
