"""Pooling kernels on raw arrays: max and sum windows along one axis, and 2-D pooling from two.

No autograd here; ``deepgrad.ops.pool`` wraps these with gradients.

How windows are laid out (TensorFlow's rule, which Keras follows): with ``'valid'``
padding a window never leaves the input and ``out = (length - size) // stride + 1``;
with ``'same'`` padding ``out = ceil(length / stride)`` and the missing
``(out - 1) * stride + size - length`` cells are added, half before and the extra one
after (at the bottom/right). Padded cells are never picked as a maximum and are not
counted in an average.

How it is fast: a 2-D window is separable, a max (or sum) along the width with window
``kw`` and then along the height with ``kh``: ``kw + kh - 2`` passes, not ``kh * kw - 1``.
Window position ``j`` of every output along an axis is one strided view (for stride equal
to size, the reshape ``(out, size)`` of the axis), copied out once, because NumPy's ufuncs
are several times slower on strided views than copies are. Width first, then height,
picks the first maximum in row-major order, as TensorFlow and PyTorch do. Without an
argmax (inference), a small window (2x2) is instead a running maximum over its cells'
strided views, one pass each into the output, which is faster there. The winner's
index in its window (``uint8``) is found once in the forward pass; the backward pass
routes the gradient with it (for stride equal to size: one broadcast copy, one mask
multiply). Large batches are split between a few threads, as NumPy releases the GIL;
the results are the same bit for bit.

>>> x = np.array([[1, 6, 2, 8], [3, 4, 7, 5], [9, 0, 1, 2], [3, 4, 6, 5]], dtype=np.float32)
>>> out, _ = max_pool2d(x.reshape(1, 4, 4, 1), (2, 2), (2, 2), "valid")
>>> out[0, :, :, 0]
array([[6., 8.],
       [9., 6.]], dtype=float32)
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from deepgrad.kernels import parallel
from deepgrad.kernels.parallel import run_parts

__all__ = [
    "Window",
    "window",
    "output_length",
    "max_along",
    "max_along_backward",
    "sum_along",
    "sum_along_backward",
    "window_counts",
    "max_pool2d",
    "max_pool_into",
    "max_pool2d_backward",
    "avg_pool2d",
    "avg_pool2d_backward",
    "batch_parts",
    "max_of",
    "max_unpool",
    "run_parts",
]


class Window(NamedTuple):
    """How one axis is pooled: window ``size``, ``stride``, input ``length``, output
    length ``out``, and the padding added ``before`` and ``after`` the input."""

    size: int
    stride: int
    length: int
    out: int
    before: int
    after: int

    @property
    def padded(self) -> int:
        return self.length + self.before + self.after

    @property
    def exact(self) -> bool:
        """Every (padded) cell lies in exactly one window: a reshape of the axis."""
        return self.stride == self.size and self.size * self.out == self.padded


def output_length(length: int, size: int, stride: int, padding: str) -> int:
    """Output length of pooling an axis of ``length`` (TensorFlow's rule).

    >>> output_length(28, 2, 2, "valid"), output_length(5, 2, 2, "valid")
    (14, 2)
    >>> output_length(5, 2, 2, "same"), output_length(5, 3, 1, "same")
    (3, 5)
    """
    if padding == "same":
        return -(-length // stride)
    return (length - size) // stride + 1 if length >= size else 0


def window(length: int, size: int, stride: int, padding: str) -> Window:
    """The :class:`Window` for one axis; ``padding`` is ``'valid'`` or ``'same'``.

    >>> window(5, 3, 2, "same")
    Window(size=3, stride=2, length=5, out=3, before=1, after=1)
    >>> window(4, 2, 1, "same")
    Window(size=2, stride=1, length=4, out=4, before=0, after=1)
    """
    out = output_length(length, size, stride, padding)
    if padding != "same":
        return Window(size, stride, length, out, 0, 0)
    total = max((out - 1) * stride + size - length, 0)
    return Window(size, stride, length, out, total // 2, total - total // 2)


def _index(ndim: int, axis: int, item) -> tuple:
    index = [slice(None)] * ndim
    index[axis] = item
    return tuple(index)


def _views(a: np.ndarray, axis: int, w: Window) -> list[np.ndarray]:
    """View ``j`` holds the ``j``-th cell of every window along ``axis`` of ``a`` (padded)."""
    span = w.stride * (w.out - 1) + 1
    return [a[_index(a.ndim, axis, slice(j, j + span, w.stride))] for j in range(w.size)]


def _padded(x: np.ndarray, axis: int, w: Window, value) -> np.ndarray:
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


def _lowest(dtype: np.dtype):
    return -np.inf if dtype.kind == "f" else np.iinfo(dtype).min


def _deliver(result: np.ndarray, out: np.ndarray | None) -> np.ndarray:
    if out is None:
        return result
    np.copyto(out, result)
    return out


# Below this many input elements one thread is faster than handing work to others.
_PARALLEL_MIN_SIZE = 1 << 18


def _thread_count() -> int:
    return parallel.thread_count()


def batch_parts(batch: int, size: int) -> list[slice]:
    """Split the batch axis into one slice per thread (one slice for small inputs).

    >>> batch_parts(3, 10)
    [slice(0, 3, None)]
    """
    parts = max(1, min(_thread_count(), batch)) if size >= _PARALLEL_MIN_SIZE else 1
    return [slice(batch * i // parts, batch * (i + 1) // parts) for i in range(parts)]


def max_along(
    x: np.ndarray, axis: int, w: Window, with_argmax: bool = True, out: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray | None]:
    """Max over windows along ``axis``; also the winner's index in its window if asked.

    Ties go to the first cell of the window. Returns ``(out, argmax)``; ``argmax`` is a
    ``uint8`` array shaped like ``out`` (None when not asked for). The maxima go into
    ``out`` when it is given (a contiguous array).

    >>> out, arg = max_along(np.array([[3.0, 1.0, 2.0, 5.0, 4.0]]), 1, window(5, 2, 2, "same"))
    >>> out, arg
    (array([[3., 5., 4.]]), array([[0, 1, 0]], dtype=uint8))
    """
    views = _views(_padded(x, axis, w, _lowest(x.dtype)), axis, w)
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
    views = _views(dx, axis, w)
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

    >>> sum_along(np.array([[3.0, 1.0, 2.0, 5.0, 4.0]]), 1, window(5, 2, 2, "same"))
    array([[4., 7., 4.]])
    """
    views = _views(_padded(x, axis, w, 0), axis, w)
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
    for view in _views(dx, axis, w):
        if w.stride < w.size:
            view += g
        else:
            view[...] = g
    return _deliver(_cropped(dx, axis, w), out)


def window_counts(w: Window) -> np.ndarray:
    """How many real (unpadded) cells each output window covers along one axis.

    >>> window_counts(window(5, 3, 2, "same"))
    array([2, 3, 2])
    """
    start = np.arange(w.out) * w.stride - w.before
    return np.minimum(start + w.size, w.length) - np.maximum(start, 0)


def max_pool2d(
    x: np.ndarray,
    pool_size: tuple[int, int],
    strides: tuple[int, int],
    padding: str,
    with_argmax: bool = True,
) -> tuple[np.ndarray, tuple | None]:
    """Max pooling of NHWC ``x``; returns ``(out, state)``, the state for the backward pass.

    >>> out, state = max_pool2d(np.arange(16.0).reshape(1, 4, 4, 1), (2, 2), (2, 2), "valid")
    >>> out[0, :, :, 0]
    array([[ 5.,  7.],
           [13., 15.]])
    """
    wh = window(x.shape[1], pool_size[0], strides[0], padding)
    ww = window(x.shape[2], pool_size[1], strides[1], padding)
    out = np.empty((x.shape[0], wh.out, ww.out, x.shape[3]), x.dtype)
    parts = batch_parts(x.shape[0], x.size)

    def run(part: slice) -> tuple:
        if not with_argmax and wh.size * ww.size <= _DIRECT_MAX_CELLS:
            return _max_cells(x[part], wh, ww, out[part])
        columns, arg_w = max_along(x[part], 2, ww, with_argmax)
        _, arg_h = max_along(columns, 1, wh, with_argmax, out=out[part])
        return arg_h, arg_w

    argmaxes = run_parts(run, parts)
    return out, ((wh, ww, parts, argmaxes) if with_argmax else None)


# Inference pooling with at most this many cells per window reads every cell's strided
# view directly, without the separable passes' intermediate and copies: the course CNN's
# first pool (128x28x28x32, 2x2) 1.1 ms against 1.8-3.3 ms (/tmp/pooltest.py, lead,
# 2026-11-23); 2x2 pools of 1 and 64 channels were also faster.
_DIRECT_MAX_CELLS = 4


def _max_cells(x: np.ndarray, wh: Window, ww: Window, out: np.ndarray) -> tuple[None, None]:
    """Max over 2-D windows into ``out``, one pass per window cell (no argmax)."""
    padded = _padded(_padded(x, 1, wh, _lowest(x.dtype)), 2, ww, _lowest(x.dtype))
    rows = _views(padded, 1, wh)
    max_of([view for row in rows for view in _views(row, 2, ww)], out)
    return None, None


def max_of(
    cells: list[np.ndarray], out: np.ndarray, argmax: np.ndarray | None = None
) -> np.ndarray:
    """The elementwise max of ``cells`` (arrays of ``out``'s shape) into ``out``, one pass
    per cell: max pooling without the separable passes, once each window cell is a view.
    With ``argmax`` (an integer array of ``out``'s shape) the index of the first cell
    holding each maximum goes there too.

    >>> arg = np.empty(2, np.uint8)
    >>> max_of([np.array([1, 5]), np.array([4, 2]), np.array([4, 3])], np.empty(2, int), arg)
    array([4, 5])
    >>> arg
    array([1, 0], dtype=uint8)
    """
    np.copyto(out, cells[0])
    if argmax is not None:
        argmax.fill(0)
    for k, cell in enumerate(cells[1:], start=1):
        if argmax is not None:
            # A later winner has a larger index: the max of the indices is the winner's.
            # (A masked copy measured 12x slower: 1.26 ms against 0.105 for four cells of
            # 100,352 numbers.)
            won = np.greater(cell, out).view(np.uint8)
            np.maximum(argmax, np.multiply(won, k, out=won), out=argmax)
        np.maximum(out, cell, out=out)
    return out


def max_unpool(g: np.ndarray, argmax: np.ndarray, pool: tuple[int, int], shape) -> np.ndarray:
    """The gradient of a ``'valid'`` max pool of NHWC input ``shape`` with strides equal to
    the window, whose winners are ``argmax`` (cell ``i * pw + j`` of each window, as
    :func:`max_of` numbers them): ``g`` at each winner, zero elsewhere.

    >>> max_unpool(np.array([[[[7.0]]]]), np.array([[[[2]]]], np.uint8), (2, 2),
    ...            (1, 3, 2, 1))[0, :, :, 0]
    array([[0., 0.],
           [7., 0.],
           [0., 0.]])
    """
    (ph, pw), (n, oh, ow, c) = pool, g.shape
    whole = shape[1] == oh * ph and shape[2] == ow * pw
    dx = np.empty(shape, g.dtype) if whole else np.zeros(shape, g.dtype)
    cells = dx[:, : oh * ph, : ow * pw].reshape(n, oh, ph, ow, pw, c)

    def run(part: slice) -> None:
        for i in range(ph):
            for j in range(pw):
                won = np.equal(argmax[part], i * pw + j)
                np.multiply(g[part], won, out=cells[part, :, i, :, j])

    run_parts(run, batch_parts(n, g.size * ph * pw))
    return dx


def max_pool_into(x: np.ndarray, pool_size: tuple[int, int], out: np.ndarray) -> np.ndarray:
    """Max pooling of NHWC ``x`` with strides equal to ``pool_size`` and ``'valid'``
    padding, into ``out``, in this thread and without an argmax: what a convolution
    fused with the pooling after it (inference) does with each chunk of its output.

    >>> out = np.empty((1, 1, 2, 1))
    >>> max_pool_into(np.arange(12.0).reshape(1, 2, 6, 1), (2, 3), out)[0, :, :, 0]
    array([[ 8., 11.]])
    """
    wh = window(x.shape[1], pool_size[0], pool_size[0], "valid")
    ww = window(x.shape[2], pool_size[1], pool_size[1], "valid")
    _max_cells(x, wh, ww, out)
    return out


def max_pool2d_backward(g: np.ndarray, state: tuple) -> np.ndarray:
    """Gradient of :func:`max_pool2d` with respect to its input, from ``state``.

    >>> x = np.arange(16.0).reshape(1, 4, 4, 1)
    >>> out, state = max_pool2d(x, (2, 2), (2, 2), "valid")
    >>> max_pool2d_backward(np.ones_like(out), state)[0, :, :, 0]
    array([[0., 0., 0., 0.],
           [0., 1., 0., 1.],
           [0., 0., 0., 0.],
           [0., 1., 0., 1.]])
    """
    wh, ww, parts, argmaxes = state
    dx = np.empty((g.shape[0], wh.length, ww.length, g.shape[3]), g.dtype)
    tiled = wh.exact and ww.exact and not (wh.before or wh.after or ww.before or ww.after)

    def run(i: int) -> None:
        arg_h, arg_w = argmaxes[i]
        if tiled:
            _tiled_backward(g[parts[i]], arg_h, arg_w, wh.size, ww.size, dx[parts[i]])
            return
        rows = max_along_backward(g[parts[i]], arg_h, 1, wh)
        max_along_backward(rows, arg_w, 2, ww, out=dx[parts[i]])

    run_parts(run, range(len(parts)))
    return dx


def _winner(argmax: np.ndarray, cell: int, size: int) -> np.ndarray:
    if size == 2:  # argmax is 0 or 1: read it as booleans
        return argmax.view(np.bool_) if cell else ~argmax.view(np.bool_)
    return np.equal(argmax, cell)


def _tiled_backward(g, arg_h, arg_w, kh: int, kw: int, dx: np.ndarray) -> None:
    """Max-pool backward where the windows tile the input: each of the ``kh * kw`` cells
    of every window is one strided view of ``dx``, written once with the gradient where
    it won and zero elsewhere (the same numbers as the two passes of
    :func:`max_along_backward`, with a third of the memory traffic)."""
    n, ho, wo, c = g.shape
    cells = dx.reshape(n, ho, kh, wo, kw, c)
    arg_w = arg_w.reshape(n, ho, kh, wo, c)
    row = np.empty_like(g)
    for i in range(kh):
        np.multiply(g, _winner(arg_h, i, kh), out=row)
        for j in range(kw):
            np.multiply(row, _winner(arg_w[:, :, i], j, kw), out=cells[:, :, i, :, j])


def avg_pool2d(
    x: np.ndarray, pool_size: tuple[int, int], strides: tuple[int, int], padding: str
) -> tuple[np.ndarray, tuple]:
    """Average pooling of NHWC ``x``, padded cells not counted; returns ``(out, state)``.

    >>> out, _ = avg_pool2d(np.arange(9.0).reshape(1, 3, 3, 1), (2, 2), (2, 2), "same")
    >>> out[0, :, :, 0]
    array([[2. , 3.5],
           [6.5, 8. ]])
    """
    wh = window(x.shape[1], pool_size[0], strides[0], padding)
    ww = window(x.shape[2], pool_size[1], strides[1], padding)
    out = np.empty((x.shape[0], wh.out, ww.out, x.shape[3]), x.dtype)
    if wh.before or wh.after or ww.before or ww.after:
        counts = np.multiply.outer(window_counts(wh), window_counts(ww))
        scale = (1.0 / counts).astype(out.dtype)[:, :, None]
    else:
        scale = 1.0 / (wh.size * ww.size)  # a Python float keeps float32 float32
    parts = batch_parts(x.shape[0], x.size)

    def run(part: slice) -> None:
        sum_along(sum_along(x[part], 2, ww), 1, wh, out=out[part])
        out[part] *= scale

    run_parts(run, parts)
    return out, (wh, ww, scale, parts)


def avg_pool2d_backward(g: np.ndarray, state: tuple) -> np.ndarray:
    """Gradient of :func:`avg_pool2d` with respect to its input, from ``state``.

    >>> out, state = avg_pool2d(np.zeros((1, 2, 2, 1)), (2, 2), (2, 2), "valid")
    >>> avg_pool2d_backward(np.ones_like(out), state)[0, :, :, 0]
    array([[0.25, 0.25],
           [0.25, 0.25]])
    """
    wh, ww, scale, parts = state
    n, ho, wo, c = g.shape
    dx = np.empty((n, wh.length, ww.length, c), g.dtype)
    unpadded = not (wh.before or wh.after or ww.before or ww.after)

    def run(part: slice) -> None:
        scaled = g[part] * scale
        if wh.exact and ww.exact and unpadded:
            # One broadcast copy into the (N, Ho, kh, Wo, kw, C) view of the input.
            windows = dx[part].reshape(-1, ho, wh.size, wo, ww.size, c)
            np.copyto(windows, scaled[:, :, None, :, None, :])
        else:
            rows = sum_along_backward(scaled, 1, wh)
            sum_along_backward(rows, 2, ww, out=dx[part])

    run_parts(run, parts)
    return dx
