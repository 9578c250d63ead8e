"""Pooling along one axis of an array: the windows of 1-D pooling, and the passes that
2-D pooling (:mod:`deepgrad.kernels.pool`) is separated into.

No autograd here; ``deepgrad.ops.pool`` wraps these with gradients. An axis's windows
are a :class:`~deepgrad.kernels.geometry.Window` (TensorFlow's rule, which Keras follows):
with ``'valid'`` padding a window never leaves the input and ``out = (length - size) //
stride + 1``; with ``'same'`` padding ``out = ceil(length / stride)`` and the missing
``(out - 1) * stride + size - length`` cells are added, half before and the extra one
after. Padded cells are never picked as a maximum and add nothing to a sum.

How it is fast: window position ``j`` of every output along the axis is one strided view
(for stride equal to size, the reshape ``(out, size)`` of the axis), copied out once,
because NumPy's ufuncs are several times slower on strided views than copies are; a
max is ``size - 1`` passes over them. The winner's index in its window (``uint8``) is
found in the same passes; the backward pass routes the gradient with it (for stride
equal to size: one broadcast copy, one mask multiply).

>>> from deepgrad.kernels.geometry import window
>>> max_along(np.array([[1.0, 6.0, 2.0, 8.0, 3.0]]), 1, window(5, 2, 2, "valid"))
(array([[6., 8.]]), array([[1, 1]], dtype=uint8))
"""

from __future__ import annotations

import numpy as np

from deepgrad.kernels.geometry import Window

__all__ = [
    "window_views",
    "pad_axis",
    "lowest",
    "max_along",
    "max_along_backward",
    "sum_along",
    "sum_along_backward",
]


def _index(ndim: int, axis: int, item) -> tuple:
    index = [slice(None)] * ndim
    index[axis] = item
    return tuple(index)


def window_views(a: np.ndarray, axis: int, w: Window) -> list[np.ndarray]:
    """View ``j`` holds the ``j``-th cell of every window along ``axis`` of ``a`` (padded)."""
    span = w.stride * (w.out - 1) + 1
    return [a[_index(a.ndim, axis, slice(j, j + span, w.stride))] for j in range(w.size)]


def pad_axis(x: np.ndarray, axis: int, w: Window, value) -> np.ndarray:
    """``x`` with ``w``'s padding added along ``axis``, filled with ``value``."""
    if not (w.before or w.after):
        return x
    shape = list(x.shape)
    shape[axis] = w.padded
    out = np.empty(shape, dtype=x.dtype)
    out[_index(x.ndim, axis, slice(0, w.before))] = value
    out[_index(x.ndim, axis, slice(w.before + w.length, None))] = value
    out[_index(x.ndim, axis, slice(w.before, w.before + w.length))] = x
    return out


def _cropped(dx: np.ndarray, axis: int, w: Window) -> np.ndarray:
    if not (w.before or w.after):
        return dx
    return np.ascontiguousarray(dx[_index(dx.ndim, axis, slice(w.before, w.before + w.length))])


def lowest(dtype: np.dtype):
    """The value a padded cell holds for a max: below every value of ``dtype``."""
    return -np.inf if dtype.kind == "f" else np.iinfo(dtype).min


def _deliver(result: np.ndarray, out: np.ndarray | None) -> np.ndarray:
    if out is None:
        return result
    np.copyto(out, result)
    return out


def max_along(
    x: np.ndarray, axis: int, w: Window, with_argmax: bool = True, out: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray | None]:
    """Max over windows along ``axis``; also the winner's index in its window if asked.

    Ties go to the first cell of the window. Returns ``(out, argmax)``; ``argmax`` is a
    ``uint8`` array shaped like ``out`` (None when not asked for). The maxima go into
    ``out`` when it is given (a contiguous array).

    >>> from deepgrad.kernels.geometry import window
    >>> out, arg = max_along(np.array([[3.0, 1.0, 2.0, 5.0, 4.0]]), 1, window(5, 2, 2, "same"))
    >>> out, arg
    (array([[3., 5., 4.]]), array([[0, 1, 0]], dtype=uint8))
    """
    views = window_views(pad_axis(x, axis, w, lowest(x.dtype)), axis, w)
    if out is None:
        out = views[0].copy()
    else:
        np.copyto(out, views[0])
    argmax = None
    for j in range(1, w.size):
        view = np.ascontiguousarray(views[j])
        if with_argmax:
            if argmax is None:
                second = np.greater(view, out)
                argmax = second.view(np.uint8) if w.size <= 256 else second.astype(np.int32)
            else:
                np.copyto(argmax, j, where=np.greater(view, out))
        np.maximum(out, view, out=out)
    if with_argmax and argmax is None:
        argmax = np.zeros(out.shape, np.uint8)
    return out, argmax


def max_along_backward(
    g: np.ndarray, argmax: np.ndarray, axis: int, w: Window, out: np.ndarray | None = None
) -> np.ndarray:
    """Send each output's gradient to the cell that won its window (the input's shape).

    The result goes into ``out`` when it is given (a contiguous array).

    >>> from deepgrad.kernels.geometry import window
    >>> x = np.array([[3.0, 1.0, 2.0, 5.0, 4.0]])
    >>> w = window(5, 2, 2, "same")
    >>> _, arg = max_along(x, 1, w)
    >>> max_along_backward(np.array([[10.0, 20.0, 30.0]]), arg, 1, w)
    array([[10.,  0.,  0., 20., 30.]])
    """
    shape = list(g.shape)
    shape[axis] = w.padded
    if w.exact:
        # The axis is (out, size): spread g over each window with one broadcast copy
        # (contiguous output), then keep only the winners.
        split = shape[:axis] + [w.out, w.size] + shape[axis + 1:]
        in_place = out is not None and out.flags.c_contiguous and not (w.before or w.after)
        dx = out.reshape(split) if in_place else np.empty(split, g.dtype)
        np.copyto(dx, np.expand_dims(g, axis + 1))
        if w.size == 2:
            second = argmax.view(np.bool_)
            dx *= np.stack([~second, second], axis=axis + 1)
        elif w.size > 2:
            trailing = (1,) * (g.ndim - axis - 1)
            cells = np.arange(w.size, dtype=argmax.dtype).reshape((-1,) + trailing)
            dx *= np.equal(np.expand_dims(argmax, axis + 1), cells)
        return out if in_place else _deliver(_cropped(dx.reshape(shape), axis, w), out)
    # Cells outside every window (valid padding's remainder, stride > size) stay zero.
    dx = np.zeros(shape, g.dtype)
    views = window_views(dx, axis, w)
    if w.size == 1:
        views[0][...] = g
        return _deliver(_cropped(dx, axis, w), out)
    overlapping = w.stride < w.size
    for j, view in enumerate(views):
        chosen = argmax.view(np.bool_) if j == 1 and w.size == 2 else np.equal(argmax, j)
        routed = np.multiply(g, chosen)  # contiguous, then one fast copy into the view
        if overlapping:
            view += routed
        else:
            np.copyto(view, routed)
    return _deliver(_cropped(dx, axis, w), out)


def sum_along(x: np.ndarray, axis: int, w: Window, out: np.ndarray | None = None) -> np.ndarray:
    """Sum over windows along ``axis`` (padding adds nothing), into ``out`` if given.

    >>> from deepgrad.kernels.geometry import window
    >>> sum_along(np.array([[3.0, 1.0, 2.0, 5.0, 4.0]]), 1, window(5, 2, 2, "same"))
    array([[4., 7., 4.]])
    """
    views = window_views(pad_axis(x, axis, w, 0), axis, w)
    if w.size == 1:
        return views[0].copy() if out is None else _deliver(views[0], out)
    out = np.add(views[0], views[1], out=out)
    for view in views[2:]:
        out += view
    return out


def sum_along_backward(
    g: np.ndarray, axis: int, w: Window, out: np.ndarray | None = None
) -> np.ndarray:
    """The transpose of :func:`sum_along`: each cell gets the sum of its windows' gradients
    (into ``out`` if given).

    >>> from deepgrad.kernels.geometry import window
    >>> sum_along_backward(np.array([[1.0, 2.0, 3.0]]), 1, window(5, 2, 2, "same"))
    array([[1., 2., 2., 3., 3.]])
    """
    shape = list(g.shape)
    shape[axis] = w.padded
    if w.exact:
        dx = np.empty(shape, g.dtype)
        split = shape[:axis] + [w.out, w.size] + shape[axis + 1:]
        np.copyto(dx.reshape(split), np.expand_dims(g, axis + 1))
        return _deliver(_cropped(dx, axis, w), out)
    dx = np.zeros(shape, g.dtype)
    for view in window_views(dx, axis, w):
        if w.stride < w.size:
            view += g
        else:
            view[...] = g
    return _deliver(_cropped(dx, axis, w), out)

