"""Gathers and scatters (``keras.ops`` names): ``take, take_along_axis, slice,
slice_update, scatter, scatter_update, select, nonzero, unravel_index`` and the segment
reductions. A gather's backward scatters-adds (repeated indices accumulate); a scatter's
backward gathers.

>>> import deepgrad as dg
>>> x = dg.Tensor([1.0, 2.0, 3.0], requires_grad=True)
>>> dg.ops.take(x, [0, 0, 2]).sum().backward(); x.grad
array([2., 0., 1.], dtype=float32)
"""

from __future__ import annotations

import builtins

import numpy as np

from deepgrad.ops.core import promote, tensor_of
from deepgrad.ops.symbolic import op
from deepgrad.tensor import Tensor, make_result

__all__ = [
    "take", "take_along_axis", "slice", "slice_update", "scatter", "scatter_update", "select",
    "nonzero", "unravel_index", "segment_sum", "segment_max", "segment_min", "segment_prod",
]


def _indices(indices) -> np.ndarray:
    return tensor_of(indices).data if not isinstance(indices, np.ndarray) else indices


@op
def take(x, indices, axis: int | None = None) -> Tensor:
    """Elements at ``indices`` along ``axis`` (of the flattened tensor by default).

    >>> take(Tensor([[1.0, 2.0], [3.0, 4.0]]), [1, 0], axis=1)
    Tensor([[2., 1.],
            [4., 3.]], dtype=float32)
    """
    from deepgrad.ops.shaping import reshape

    x = tensor_of(x)
    idx = _indices(indices)
    if axis is None:
        x, axis = reshape(x, (-1,)), 0
    axis = axis % x.ndim
    out = np.take(x.data, idx, axis=axis)

    def backward(g):
        full = np.zeros((x.shape[axis],) + x.shape[:axis] + x.shape[axis + 1 :], g.dtype)
        moved = np.moveaxis(g, list(range(axis, axis + idx.ndim)), list(range(idx.ndim)))
        np.add.at(full, idx % x.shape[axis], moved)
        return (np.moveaxis(full, 0, axis),)

    return make_result(out, (x,), backward)


def along_axis_index(indices: np.ndarray, axis: int) -> tuple:
    """The fancy index that ``np.take_along_axis(a, indices, axis)`` reads with."""
    index = []
    for dim in range(indices.ndim):
        if dim == axis:
            index.append(indices)
        else:
            shape = [1] * indices.ndim
            shape[dim] = indices.shape[dim]
            index.append(np.arange(indices.shape[dim]).reshape(shape))
    return tuple(index)


@op
def take_along_axis(x, indices, axis: int | None = None) -> Tensor:
    """Elements picked along ``axis`` by ``indices`` of the same rank (broadcasting the
    other axes), as ``np.take_along_axis``; of the flattened tensor for ``axis=None``.

    >>> take_along_axis(Tensor([[10.0, 30.0, 20.0]]), np.array([[1, 2]]), axis=1)
    Tensor([[30., 20.]], dtype=float32)
    """
    from deepgrad.ops.shaping import broadcast_to, reshape

    x = tensor_of(x)
    idx = _indices(indices)
    if axis is None:
        x, axis, idx = reshape(x, (-1,)), 0, idx.reshape(-1)
    axis = axis % x.ndim
    shape = list(np.broadcast_shapes(x.shape[:axis] + (1,) + x.shape[axis + 1 :],
                                     idx.shape[:axis] + (1,) + idx.shape[axis + 1 :]))
    x = broadcast_to(x, shape[:axis] + [x.shape[axis]] + shape[axis + 1 :])
    idx = np.broadcast_to(idx, tuple(shape[:axis] + [idx.shape[axis]] + shape[axis + 1 :]))
    index = along_axis_index(idx % x.shape[axis], axis)
    out = x.data[index]

    def backward(g):
        full = np.zeros(x.shape, g.dtype)
        np.add.at(full, index, g)
        return (full,)

    return make_result(out, (x,), backward)


@op
def slice(inputs, start_indices, shape) -> Tensor:  # noqa: A001 - Keras's name
    """The block of ``shape`` starting at ``start_indices`` (one of each per axis).

    Raises:
        ValueError: if ``start_indices`` and ``shape`` differ in length.

    >>> slice(Tensor(np.arange(9.0).reshape(3, 3)), (1, 0), (2, 2))
    Tensor([[3., 4.],
            [6., 7.]], dtype=float64)
    """
    from deepgrad.ops.shaping import getitem

    start = [int(s) for s in _values(start_indices)]
    shape = [int(n) for n in _values(shape)]
    if len(start) != len(shape):
        raise ValueError(
            "slice: `start_indices` and `shape` must have the same length. "
            f"Received: start_indices={start}, shape={shape}"
        )
    x = tensor_of(inputs)
    ends = [x.shape[i] if n == -1 else s + n for i, (s, n) in enumerate(zip(start, shape))]
    return getitem(x, tuple(builtins.slice(s, e) for s, e in zip(start, ends)))


def _values(v):
    return v.data.tolist() if isinstance(v, Tensor) else (
        v.tolist() if isinstance(v, np.ndarray) else v)


@op
def slice_update(inputs, start_indices, updates) -> Tensor:
    """A copy of ``inputs`` with the block at ``start_indices`` replaced by ``updates``.

    >>> slice_update(Tensor(np.zeros((2, 3))), (0, 1), Tensor(np.ones((1, 2))))
    Tensor([[0., 1., 1.],
            [0., 0., 0.]], dtype=float64)
    """
    x, u = promote(inputs, updates, dtype=tensor_of(inputs).dtype)
    start = [int(s) for s in _values(start_indices)]
    region = tuple(builtins.slice(s, s + n) for s, n in zip(start, u.shape))
    out = x.data.copy()
    out[region] = u.data

    def backward(g):
        gx = g.copy()
        gx[region] = 0
        return gx, g[region]

    return make_result(out, (x, u), backward)


def _scatter_index(indices) -> tuple:
    idx = np.asarray(_indices(indices))
    return tuple(np.moveaxis(idx, -1, 0))


@op
def scatter(indices, values, shape) -> Tensor:
    """Zeros of ``shape`` with ``values`` added at ``indices`` (an ``(..., k)`` array of
    index tuples; repeated indices add up).

    >>> scatter([[0, 1], [1, 0]], Tensor([5.0, 6.0]), (2, 2))
    Tensor([[0., 5.],
            [6., 0.]], dtype=float32)
    """
    values = tensor_of(values)
    index = _scatter_index(indices)
    out = np.zeros(tuple(int(n) for n in _values(shape)), values.dtype)
    np.add.at(out, index, values.data)
    return make_result(out, (values,), lambda g: (g[index],))


@op
def scatter_update(inputs, indices, updates, reduction: str | None = None) -> Tensor:
    """A copy of ``inputs`` with ``updates`` written at ``indices`` (or combined by
    ``reduction``: ``'add'``, ``'mul'``, ``'max'``, ``'min'``). Gradients for the plain
    update and ``'add'``.

    Raises:
        ValueError: for an unknown ``reduction``.

    >>> scatter_update(Tensor(np.zeros(3)), [[1]], Tensor([7.0]))
    Tensor([0., 7., 0.], dtype=float64)
    """
    if reduction not in (None, "add", "mul", "max", "min"):
        raise ValueError(
            "scatter_update: `reduction` must be None, 'add', 'mul', 'max' or 'min'. "
            f"Received: reduction={reduction!r}"
        )
    x, u = promote(inputs, updates, dtype=tensor_of(inputs).dtype)
    index = _scatter_index(indices)
    out = x.data.copy()
    if reduction is None:
        out[index] = u.data
    else:
        {"add": np.add, "mul": np.multiply, "max": np.maximum, "min": np.minimum}[
            reduction].at(out, index, u.data)

    def backward(g):
        if reduction is None:
            gx = g.copy()
            gx[index] = 0
            return gx, g[index]
        if reduction == "add":
            return g, g[index]
        raise NotImplementedError(
            f"scatter_update: reduction={reduction!r} has no gradient in deepgrad."
        )

    return make_result(out, (x, u), backward)


@op
def select(condlist, choicelist, default=0) -> Tensor:
    """For each element, the value from the first ``choicelist`` entry whose condition
    holds, else ``default`` (``np.select``); composed of :func:`where`.

    >>> select([Tensor([True, False]), Tensor([True, True])], [Tensor([1.0, 2.0]), 9.0])
    Tensor([1., 9.], dtype=float32)
    """
    from deepgrad.ops.elementwise import where

    if len(condlist) != len(choicelist):
        raise ValueError(
            "select: `condlist` and `choicelist` must have the same length. Received: "
            f"{len(condlist)} and {len(choicelist)}"
        )
    out = default
    for cond, choice in zip(reversed(condlist), reversed(choicelist)):
        out = where(tensor_of(cond).data.astype(bool), choice, out)
    return tensor_of(out)


@op
def nonzero(x) -> tuple:
    """The indices of the non-zero elements, one int32 tensor per axis.

    >>> nonzero(Tensor([[0, 1], [2, 0]]))
    (Tensor([0, 1], dtype=int32), Tensor([1, 0], dtype=int32))
    """
    return tuple(Tensor(i.astype(np.int32)) for i in np.nonzero(tensor_of(x).data))


@op
def unravel_index(indices, shape) -> tuple:
    """Flat indices into a tensor of ``shape`` as one index tensor per axis.

    >>> unravel_index(Tensor(np.array([5], "int32")), (2, 3))
    (Tensor([1], dtype=int32), Tensor([2], dtype=int32))
    """
    idx = tensor_of(indices).data
    return tuple(Tensor(i.astype(idx.dtype)) for i in np.unravel_index(idx, tuple(shape)))


def _segment(data, segment_ids, num_segments, reduce: str) -> Tensor:
    data = tensor_of(data)
    ids = np.asarray(_indices(segment_ids))
    n = int(ids.max()) + 1 if num_segments is None else int(num_segments)
    valid = ids >= 0
    shape = (n,) + data.shape[1:]
    if reduce == "sum":
        out = np.zeros(shape, data.dtype)
        np.add.at(out, ids[valid], data.data[valid])

        def backward(g):
            gd = np.zeros(data.shape, g.dtype)
            gd[valid] = g[ids[valid]]
            return (gd,)

        return make_result(out, (data,), backward)
    fill = {"max": -np.inf, "min": np.inf, "prod": 1}[reduce]
    if data.dtype.kind in "iub" and reduce != "prod":
        info = np.iinfo(data.dtype) if data.dtype.kind != "b" else None
        fill = (info.min if reduce == "max" else info.max) if info else (reduce == "min")
    out = np.full(shape, fill, data.dtype)
    ufunc = {"max": np.maximum, "min": np.minimum, "prod": np.multiply}[reduce]
    ufunc.at(out, ids[valid], data.data[valid])

    def backward(g):
        gd = np.zeros(data.shape, g.dtype)
        picked = out[ids[valid]]
        if reduce == "prod":
            # d(prod)/d(x_i) is the product of the others in the segment.
            others = _segment_others(data.data[valid], ids[valid], n)
            gd[valid] = g[ids[valid]] * others
        else:
            hit = data.data[valid] == picked
            counts = np.zeros(shape, g.dtype)
            np.add.at(counts, ids[valid], hit.astype(g.dtype))
            gd[valid] = g[ids[valid]] * hit / np.maximum(counts[ids[valid]], 1)
        return (gd,)

    return make_result(out, (data,), backward)


def _segment_others(values: np.ndarray, ids: np.ndarray, n: int) -> np.ndarray:
    """For each row, the product of the other rows of its segment (exact with zeros)."""
    others = np.empty_like(values)
    for s in range(n):
        rows = np.flatnonzero(ids == s)
        for j, r in enumerate(rows):
            rest = np.delete(values[rows], j, axis=0)
            others[r] = rest.prod(axis=0) if len(rest) else 1
    return others


@op
def segment_sum(data, segment_ids, num_segments: int | None = None, sorted: bool = False):  # noqa: A002
    """Sums of the rows of ``data`` grouped by ``segment_ids`` (ids < 0 are dropped).

    >>> segment_sum(Tensor([1.0, 2.0, 3.0]), np.array([0, 0, 1]))
    Tensor([3., 3.], dtype=float32)
    """
    return _segment(data, segment_ids, num_segments, "sum")


@op
def segment_max(data, segment_ids, num_segments: int | None = None, sorted: bool = False):  # noqa: A002
    """Maxima of the rows of ``data`` grouped by ``segment_ids`` (empty segments: -inf).

    >>> segment_max(Tensor([1.0, 2.0, 3.0]), np.array([0, 0, 1]))
    Tensor([2., 3.], dtype=float32)
    """
    return _segment(data, segment_ids, num_segments, "max")


@op
def segment_min(data, segment_ids, num_segments: int | None = None, sorted: bool = False):  # noqa: A002
    """Minima of the rows of ``data`` grouped by ``segment_ids`` (empty segments: inf).

    >>> segment_min(Tensor([1.0, 2.0, 3.0]), np.array([0, 0, 1]))
    Tensor([1., 3.], dtype=float32)
    """
    return _segment(data, segment_ids, num_segments, "min")


@op
def segment_prod(data, segment_ids, num_segments: int | None = None, sorted: bool = False):  # noqa: A002
    """Products of the rows of ``data`` grouped by ``segment_ids`` (empty segments: 1).

    >>> segment_prod(Tensor([1.0, 2.0, 3.0]), np.array([0, 0, 1]))
    Tensor([2., 3.], dtype=float32)
    """
    return _segment(data, segment_ids, num_segments, "prod")
