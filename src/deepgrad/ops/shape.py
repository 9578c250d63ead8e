"""Shape operations: reshape, transpose, indexing, concatenate, stack, pad, and friends.

>>> import deepgrad as dg
>>> x = dg.Tensor([[1.0, 2.0, 3.0]], requires_grad=True)
>>> x[:, 1:].sum().backward()
>>> x.grad
array([[0., 1., 1.]], dtype=float32)
"""

from __future__ import annotations

import numpy as np

from deepgrad.tensor import Tensor, as_tensor, make_result

__all__ = [
    "reshape",
    "transpose",
    "getitem",
    "concatenate",
    "stack",
    "expand_dims",
    "squeeze",
    "pad",
    "repeat",
    "tile",
]


def reshape(a, shape) -> Tensor:
    """Return ``a`` with a new shape (one dimension may be -1).

    >>> reshape(Tensor([1.0, 2.0, 3.0, 4.0]), (2, 2)).shape
    (2, 2)
    """
    a = as_tensor(a)
    source = a.shape
    shape = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
    return make_result(a.data.reshape(shape), (a,), lambda g: (g.reshape(source),))


def transpose(a, axes=None) -> Tensor:
    """Permute axes (reverse them by default).

    >>> transpose(Tensor([[1.0, 2.0]])).shape
    (2, 1)
    """
    a = as_tensor(a)
    if axes is None:
        axes = tuple(reversed(range(a.ndim)))
    axes = tuple(int(ax) % a.ndim for ax in axes)
    inverse = tuple(np.argsort(axes))
    return make_result(np.transpose(a.data, axes), (a,), lambda g: (np.transpose(g, inverse),))


def getitem(a, index) -> Tensor:
    """Index or slice like NumPy; repeated indices accumulate their gradients.

    >>> getitem(Tensor([1.0, 2.0, 3.0]), [0, 0]).data
    array([1., 1.], dtype=float32)
    """
    a = as_tensor(a)
    if isinstance(index, Tensor):
        index = index.data
    elif isinstance(index, tuple):
        index = tuple(i.data if isinstance(i, Tensor) else i for i in index)
    out = a.data[index]
    basic = _is_basic(index)

    def backward(g):
        full = np.zeros(a.shape, dtype=g.dtype)
        if basic:
            full[index] = g
        else:
            np.add.at(full, index, g)
        return (full,)

    return make_result(out, (a,), backward)


def _is_basic(index) -> bool:
    """True when ``index`` uses only ints, slices, None and Ellipsis (no duplicates possible)."""
    items = index if isinstance(index, tuple) else (index,)
    return all(isinstance(i, (int, np.integer, slice)) or i is None or i is Ellipsis for i in items)


def concatenate(tensors, axis: int = 0) -> Tensor:
    """Join tensors along an existing axis.

    >>> concatenate([Tensor([1.0]), Tensor([2.0, 3.0])]).data
    array([1., 2., 3.], dtype=float32)
    """
    tensors = tuple(as_tensor(t) for t in tensors)
    out = np.concatenate([t.data for t in tensors], axis=axis)
    bounds = np.cumsum([t.shape[axis] for t in tensors])[:-1]

    def backward(g):
        return tuple(np.split(g, bounds, axis=axis))

    return make_result(out, tensors, backward)


def stack(tensors, axis: int = 0) -> Tensor:
    """Join tensors of equal shape along a new axis.

    >>> stack([Tensor([1.0, 2.0]), Tensor([3.0, 4.0])], axis=1).shape
    (2, 2)
    """
    tensors = tuple(as_tensor(t) for t in tensors)
    out = np.stack([t.data for t in tensors], axis=axis)

    def backward(g):
        return tuple(np.moveaxis(g, axis, 0))

    return make_result(out, tensors, backward)


def expand_dims(a, axis: int) -> Tensor:
    """Insert an axis of size 1.

    >>> expand_dims(Tensor([1.0, 2.0]), 0).shape
    (1, 2)
    """
    a = as_tensor(a)
    return reshape(a, np.expand_dims(a.data, axis).shape)


def squeeze(a, axis=None) -> Tensor:
    """Remove axes of size 1 (all of them, or those in ``axis``).

    >>> squeeze(Tensor([[1.0, 2.0]])).shape
    (2,)
    """
    a = as_tensor(a)
    return reshape(a, np.squeeze(a.data, axis).shape)


def pad(a, pad_width, constant_value: float = 0.0) -> Tensor:
    """Pad with a constant, ``pad_width`` as in ``np.pad``.

    >>> pad(Tensor([[1.0]]), ((1, 1), (0, 2))).shape
    (3, 3)
    """
    a = as_tensor(a)
    pad_width = np.broadcast_to(np.asarray(pad_width, dtype=int), (a.ndim, 2))
    out = np.pad(a.data, pad_width, constant_values=constant_value)
    region = tuple(slice(lo, lo + n) for (lo, _), n in zip(pad_width, a.shape))
    return make_result(out, (a,), lambda g: (g[region],))


def repeat(a, repeats: int, axis: int) -> Tensor:
    """Repeat each element ``repeats`` times along ``axis`` (like ``np.repeat``).

    >>> repeat(Tensor([1.0, 2.0]), 2, axis=0).data
    array([1., 1., 2., 2.], dtype=float32)
    """
    a = as_tensor(a)
    axis = axis % a.ndim
    out = np.repeat(a.data, repeats, axis=axis)

    def backward(g):
        shape = a.shape[:axis] + (a.shape[axis], repeats) + a.shape[axis + 1 :]
        return (g.reshape(shape).sum(axis=axis + 1),)

    return make_result(out, (a,), backward)


def tile(a, reps) -> Tensor:
    """Tile the tensor ``reps`` times per axis (like ``np.tile``, same rank).

    >>> tile(Tensor([[1.0, 2.0]]), (2, 1)).shape
    (2, 2)
    """
    a = as_tensor(a)
    reps = tuple(reps)
    if len(reps) != a.ndim:
        raise ValueError(f"tile: `reps` must have one entry per axis ({a.ndim}). Received: {reps}")
    out = np.tile(a.data, reps)

    def backward(g):
        split = []
        for r, n in zip(reps, a.shape):
            split += [r, n]
        return (g.reshape(split).sum(axis=tuple(range(0, 2 * a.ndim, 2))),)

    return make_result(out, (a,), backward)
