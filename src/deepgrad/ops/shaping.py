"""Shape operations: reshape, transpose, indexing, concatenate, stack, pad, repeat, tile,
broadcast, flips and rolls (Keras 3's signatures).

>>> import deepgrad as dg
>>> x = dg.Tensor([[1.0, 2.0, 3.0]], requires_grad=True)
>>> x[:, 1:].sum().backward()
>>> x.grad
array([[0., 1., 1.]], dtype=float32)
"""

from __future__ import annotations

import numpy as np

from deepgrad.ops.core import promote, tensor_of
from deepgrad.ops.symbolic import op
from deepgrad.tensor import Tensor, make_result, unbroadcast

__all__ = [
    "reshape", "transpose", "getitem", "get_item", "concatenate", "stack", "expand_dims",
    "squeeze", "pad", "repeat", "tile", "broadcast_to", "moveaxis", "swapaxes", "ravel",
    "flip", "fliplr", "flipud", "rot90", "roll",
]


@op
def reshape(x, newshape) -> Tensor:
    """Return ``x`` with a new shape (one dimension may be -1).

    >>> reshape(Tensor([1.0, 2.0, 3.0, 4.0]), (2, 2)).shape
    (2, 2)
    """
    x = tensor_of(x)
    source = x.shape
    newshape = (newshape,) if isinstance(newshape, (int, np.integer)) else tuple(newshape)
    return make_result(x.data.reshape(newshape), (x,), lambda g: (g.reshape(source),))


@op
def transpose(x, axes=None) -> Tensor:
    """Permute axes (reverse them by default).

    >>> transpose(Tensor([[1.0, 2.0]])).shape
    (2, 1)
    """
    x = tensor_of(x)
    if axes is None:
        axes = tuple(reversed(range(x.ndim)))
    axes = tuple(int(ax) % x.ndim for ax in axes)
    inverse = tuple(np.argsort(axes))
    return make_result(np.transpose(x.data, axes), (x,), lambda g: (np.transpose(g, inverse),))


def _index_arrays(index):
    if isinstance(index, Tensor):
        return index.data
    if isinstance(index, tuple):
        return tuple(i.data if isinstance(i, Tensor) else i for i in index)
    return index


@op
def getitem(x, index) -> Tensor:
    """Index or slice like NumPy; repeated indices accumulate their gradients.

    >>> getitem(Tensor([1.0, 2.0, 3.0]), [0, 0]).data
    array([1., 1.], dtype=float32)
    """
    x = tensor_of(x)
    index = _index_arrays(index)
    out = x.data[index]
    basic = _is_basic(index)

    def backward(g):
        full = np.zeros(x.shape, dtype=g.dtype)
        if basic:
            full[index] = g
        else:
            np.add.at(full, index, g)
        return (full,)

    return make_result(out, (x,), backward)


@op
def get_item(x, key) -> Tensor:
    """``x[key]`` (Keras's name for indexing).

    >>> get_item(Tensor([[1.0, 2.0], [3.0, 4.0]]), (1, 0))
    Tensor(3., dtype=float32)
    """
    return getitem(x, key)


def _is_basic(index) -> bool:
    """True when ``index`` uses only ints, slices, None and Ellipsis (no duplicates possible)."""
    items = index if isinstance(index, tuple) else (index,)
    return all(isinstance(i, (int, np.integer, slice)) or i is None or i is Ellipsis for i in items)


@op
def concatenate(xs, axis: int | None = 0) -> Tensor:
    """Join tensors along an existing axis (of the flattened tensors for ``axis=None``);
    mixed dtypes are promoted.

    >>> concatenate([Tensor([1.0]), Tensor([2.0, 3.0])]).data
    array([1., 2., 3.], dtype=float32)
    """
    tensors = promote(*xs)
    if axis is None:
        tensors = tuple(reshape(t, (-1,)) for t in tensors)
        axis = 0
    out = np.concatenate([t.data for t in tensors], axis=axis)
    bounds = np.cumsum([t.shape[axis] for t in tensors])[:-1]

    def backward(g):
        return tuple(np.split(g, bounds, axis=axis))

    return make_result(out, tensors, backward)


@op
def stack(x, axis: int = 0) -> Tensor:
    """Join tensors of equal shape along a new axis.

    >>> stack([Tensor([1.0, 2.0]), Tensor([3.0, 4.0])], axis=1).shape
    (2, 2)
    """
    tensors = promote(*x)
    out = np.stack([t.data for t in tensors], axis=axis)

    def backward(g):
        return tuple(np.moveaxis(g, axis, 0))

    return make_result(out, tensors, backward)


@op
def expand_dims(x, axis) -> Tensor:
    """Insert axes of size 1 at ``axis`` (an int or a tuple).

    >>> expand_dims(Tensor([1.0, 2.0]), (0, 2)).shape
    (1, 2, 1)
    """
    x = tensor_of(x)
    return reshape(x, np.expand_dims(np.empty(x.shape, np.bool_), axis).shape)


@op
def squeeze(x, axis=None) -> Tensor:
    """Remove axes of size 1 (all of them, or those in ``axis``).

    >>> squeeze(Tensor([[1.0, 2.0]])).shape
    (2,)
    """
    x = tensor_of(x)
    axis = tuple(axis) if isinstance(axis, list) else axis
    return reshape(x, np.squeeze(np.empty(x.shape, np.bool_), axis).shape)


_COPY_MODES = ("edge", "reflect", "symmetric", "wrap")


@op
def pad(x, pad_width, mode: str = "constant", constant_values=None) -> Tensor:
    """Pad as ``np.pad``: ``'constant'`` (``constant_values``, 0 by default), ``'edge'``,
    ``'reflect'``, ``'symmetric'``, ``'wrap'`` carry gradients; the statistic modes
    (``'maximum'``, ``'mean'``, ...) are forward only.

    Raises:
        ValueError: for ``constant_values`` with a mode other than ``'constant'``.

    >>> pad(Tensor([[1.0]]), ((1, 1), (0, 2))).shape
    (3, 3)
    """
    x = tensor_of(x)
    widths = np.broadcast_to(np.asarray(pad_width, dtype=int), (x.ndim, 2))
    if mode == "constant":
        value = 0 if constant_values is None else constant_values
        out = np.pad(x.data, widths, constant_values=value)
        region = tuple(slice(lo, lo + n) for (lo, _), n in zip(widths, x.shape))
        return make_result(out, (x,), lambda g: (g[region],))
    if constant_values is not None:
        raise ValueError(
            "pad: `constant_values` can only be given with mode='constant'. "
            f"Received: mode={mode!r}"
        )
    out = np.pad(x.data, widths, mode=mode)
    if mode not in _COPY_MODES:
        def backward(g):
            raise NotImplementedError(f"pad: mode={mode!r} has no gradient in deepgrad.")
        return make_result(out, (x,), backward)
    sources = [np.pad(np.arange(n), w, mode=mode) for n, w in zip(x.shape, widths)]

    def backward(g):
        for axis, (index, n) in enumerate(zip(sources, x.shape)):
            moved = np.moveaxis(g, axis, 0)
            folded = np.zeros((n,) + moved.shape[1:], dtype=g.dtype)
            np.add.at(folded, index, moved)
            g = np.moveaxis(folded, 0, axis)
        return (g,)

    return make_result(out, (x,), backward)


@op
def repeat(x, repeats, axis: int | None = None) -> Tensor:
    """Repeat each element ``repeats`` times (an int or one count per element) along
    ``axis`` (of the flattened tensor by default), like ``np.repeat``.

    >>> repeat(Tensor([1.0, 2.0]), 2, axis=0).data
    array([1., 1., 2., 2.], dtype=float32)
    """
    x = tensor_of(x)
    if axis is None:
        x, axis = reshape(x, (-1,)), 0
    axis = axis % x.ndim
    repeats = tensor_of(repeats).data if not isinstance(repeats, int) else repeats
    out = np.repeat(x.data, repeats, axis=axis)

    def backward(g):
        if isinstance(repeats, int):
            shape = x.shape[:axis] + (x.shape[axis], repeats) + x.shape[axis + 1 :]
            return (g.reshape(shape).sum(axis=axis + 1),)
        index = np.repeat(np.arange(x.shape[axis]), repeats)
        folded = np.zeros((x.shape[axis],) + np.moveaxis(g, axis, 0).shape[1:], g.dtype)
        np.add.at(folded, index, np.moveaxis(g, axis, 0))
        return (np.moveaxis(folded, 0, axis),)

    return make_result(out, (x,), backward)


@op
def tile(x, repeats) -> Tensor:
    """Tile ``x`` ``repeats`` times per axis (``np.tile``'s rules for unequal lengths).

    >>> tile(Tensor([[1.0, 2.0]]), (2, 1)).shape
    (2, 2)
    """
    x = tensor_of(x)
    reps = (int(repeats),) if np.ndim(repeats) == 0 else tuple(int(r) for r in repeats)
    if len(reps) > x.ndim:
        x = reshape(x, (1,) * (len(reps) - x.ndim) + x.shape)
    reps = (1,) * (x.ndim - len(reps)) + reps
    out = np.tile(x.data, reps)

    def backward(g):
        split = []
        for r, n in zip(reps, x.shape):
            split += [r, n]
        return (g.reshape(split).sum(axis=tuple(range(0, 2 * x.ndim, 2))),)

    return make_result(out, (x,), backward)


@op
def broadcast_to(x, shape) -> Tensor:
    """Broadcast ``x`` to ``shape`` (NumPy's rules); the gradient sums back.

    >>> broadcast_to(Tensor([1.0, 2.0]), (2, 2)).shape
    (2, 2)
    """
    x = tensor_of(x)
    source = x.shape
    out = np.broadcast_to(x.data, tuple(shape))
    return make_result(out, (x,), lambda g: (unbroadcast(g, source),))


@op
def moveaxis(x, source, destination) -> Tensor:
    """Move axes ``source`` to positions ``destination``.

    >>> moveaxis(Tensor(np.zeros((2, 3, 4))), 0, -1).shape
    (3, 4, 2)
    """
    x = tensor_of(x)
    source = [int(s) % x.ndim for s in np.atleast_1d(source)]
    destination = [int(d) % x.ndim for d in np.atleast_1d(destination)]
    if len(source) != len(destination):
        raise ValueError(
            "moveaxis: `source` and `destination` must have the same number of axes. "
            f"Received: source={source}, destination={destination}"
        )
    order = [n for n in range(x.ndim) if n not in source]
    for dest, src in sorted(zip(destination, source)):
        order.insert(dest, src)
    return transpose(x, order)


@op
def swapaxes(x, axis1: int, axis2: int) -> Tensor:
    """Exchange two axes.

    >>> swapaxes(Tensor(np.zeros((2, 3, 4))), 0, 2).shape
    (4, 3, 2)
    """
    x = tensor_of(x)
    order = list(range(x.ndim))
    order[axis1], order[axis2] = order[axis2], order[axis1]
    return transpose(x, order)


@op
def ravel(x) -> Tensor:
    """The elements as a 1-D tensor.

    >>> ravel(Tensor([[1.0, 2.0], [3.0, 4.0]])).shape
    (4,)
    """
    return reshape(x, (-1,))


@op
def flip(x, axis=None) -> Tensor:
    """Reverse the order of elements along ``axis`` (all axes by default).

    >>> flip(Tensor([1.0, 2.0, 3.0]))
    Tensor([3., 2., 1.], dtype=float32)
    """
    x = tensor_of(x)
    axis = tuple(axis) if isinstance(axis, list) else axis
    return make_result(np.flip(x.data, axis), (x,), lambda g: (np.flip(g, axis),))


@op
def fliplr(x) -> Tensor:
    """Reverse the columns (axis 1).

    >>> fliplr(Tensor([[1.0, 2.0]]))
    Tensor([[2., 1.]], dtype=float32)
    """
    return flip(x, 1)


@op
def flipud(x) -> Tensor:
    """Reverse the rows (axis 0).

    >>> flipud(Tensor([[1.0], [2.0]]))
    Tensor([[2.],
            [1.]], dtype=float32)
    """
    return flip(x, 0)


@op
def rot90(array, k: int = 1, axes=(0, 1)) -> Tensor:
    """Rotate by 90 degrees ``k`` times in the plane of ``axes`` (from the first toward the
    second, as ``np.rot90``).

    Raises:
        ValueError: for fewer than 2 dimensions or ``axes`` not two different axes.

    >>> rot90(Tensor([[1.0, 2.0], [3.0, 4.0]]))
    Tensor([[2., 4.],
            [1., 3.]], dtype=float32)
    """
    x = tensor_of(array)
    if x.ndim < 2:
        raise ValueError(f"rot90: the input needs at least 2 dimensions. Received: ndim={x.ndim}")
    axes = tuple(axes)
    if len(axes) != 2 or axes[0] % x.ndim == axes[1] % x.ndim:
        raise ValueError(f"rot90: `axes` must be two different axes. Received: axes={axes}")
    k %= 4
    if k == 0:
        return x
    if k == 2:
        return flip(x, axes)
    a, b = axes
    if k == 1:
        return swapaxes(flip(x, b), a, b)
    return flip(swapaxes(x, a, b), b)


@op
def roll(x, shift, axis=None) -> Tensor:
    """Shift elements cyclically by ``shift`` along ``axis`` (of the flattened tensor by
    default).

    >>> roll(Tensor([1.0, 2.0, 3.0]), 1)
    Tensor([3., 1., 2.], dtype=float32)
    """
    x = tensor_of(x)
    axis = tuple(axis) if isinstance(axis, list) else axis
    shift = tuple(shift) if isinstance(shift, list) else shift
    back = tuple(-s for s in shift) if isinstance(shift, tuple) else -shift
    return make_result(np.roll(x.data, shift, axis), (x,), lambda g: (np.roll(g, back, axis),))
