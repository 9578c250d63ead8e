"""2-D pooling on raw NHWC arrays: max and average, forward and backward.

No autograd here; ``deepgrad.ops.pool`` wraps these with gradients. The plain version,
a maximum or mean over every window's cells, is :mod:`deepgrad.kernels.reference`; the
tests hold these to it. Windows, padding and output sizes follow TensorFlow's rule
(:func:`~deepgrad.kernels.geometry.window`); padded cells are never picked as a maximum
and are not counted in an average.

How it is fast: a 2-D window is separable, a max (or sum) along the width with window
``kw`` and then along the height with ``kh`` (:mod:`deepgrad.kernels.pool_axis`):
``kw + kh - 2`` passes, not ``kh * kw - 1``. Width first, then height, picks the first
maximum in row-major order, as TensorFlow and PyTorch do. Without an argmax (inference),
a small window (2x2) is instead a running maximum over its cells' strided views, one
pass each into the output (:func:`max_of`, which the fused convolution and pooling of
:mod:`deepgrad.kernels.conv` use too). The winner's index in its window (``uint8``) is
found once in the forward pass; the backward pass routes the gradient with it. Large
batches are split between a few threads, as NumPy releases the GIL; the results are the
same bit for bit.

>>> x = np.array([[1, 6, 2, 8], [3, 4, 7, 5], [9, 0, 1, 2], [3, 4, 6, 5]], dtype=np.float32)
>>> out, _ = max_pool2d(x.reshape(1, 4, 4, 1), (2, 2), (2, 2), "valid")
>>> out[0, :, :, 0]
array([[6., 8.],
       [9., 6.]], dtype=float32)
"""

from __future__ import annotations

import numpy as np

from deepgrad.kernels import parallel
from deepgrad.kernels.geometry import Window, window, window_counts
from deepgrad.kernels.parallel import run_parts
from deepgrad.kernels.pool_axis import (
    lowest,
    max_along,
    max_along_backward,
    pad_axis,
    sum_along,
    sum_along_backward,
    window_views,
)

__all__ = [
    "max_pool2d",
    "max_pool2d_backward",
    "avg_pool2d",
    "avg_pool2d_backward",
    "max_pool_into",
    "max_of",
    "max_unpool",
    "batch_parts",
]


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
# view directly, without the separable passes' intermediate and copies
# (``benchmarks/kernel_choices.py pool_direct``: the course CNN's 2x2 pools 1.08-1.20x,
# the toy ResNet's 3x3 one 1.19x, ResNet50's 3x3 stride-2 one 1.44x faster than separable).
_DIRECT_MAX_CELLS = 9


def _max_cells(x: np.ndarray, wh: Window, ww: Window, out: np.ndarray) -> tuple[None, None]:
    """Max over 2-D windows into ``out``, one pass per window cell (no argmax)."""
    padded = pad_axis(pad_axis(x, 1, wh, lowest(x.dtype)), 2, ww, lowest(x.dtype))
    rows = window_views(padded, 1, wh)
    max_of([view for row in rows for view in window_views(row, 2, ww)], out)
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
            # A later winner has a larger index: the max of the indices is the winner's,
            # which is faster than a masked copy of the index
            # (``benchmarks/kernel_choices.py winners_by_maximum``).
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
