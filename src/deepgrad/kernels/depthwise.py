"""Depthwise convolution kernels on NHWC arrays: each input channel has its own filters.

A depthwise convolution is a sum over the ``kh * kw`` kernel taps of an elementwise
product: the tap's strided slice of the input times that tap's weights, one per channel.
Output channel ``c * depth_multiplier + m`` comes from input channel ``c`` and filter
``m``, as in TF and Keras. The plain version, with a padded copy of the input and one
einsum, is :func:`deepgrad.kernels.reference.depthwise_conv2d`; the tests hold this one
to it.

What makes this one faster (``benchmarks/kernel_choices.py depthwise_*``, and MobileNetV2
in ``benchmarks/models.py``):

- No padded copy. A tap reads only the input it reaches: with padding, the output
  rows and columns whose window cell falls on the padding are left out of that tap's
  product (:func:`taps`), and a tap that reaches every output (the centre one, with
  ``'same'`` padding) writes the output first, so nothing is zeroed either. With a
  stride, each tap reads the strided slice it needs, so no discarded output is computed;
  the forward pass then runs as one ``einsum`` over each output's window of a padded
  chunk instead (:data:`WINDOWS_MIN_STRIDE`).
- A few images at a time (:data:`CHUNK_BYTES`), so that the output, the product being
  added and the input stay in the core's cache across the ``kh * kw`` passes; the chunks
  run in deepgrad's threads (:func:`~deepgrad.kernels.parallel.run_groups`).
- Each tap's weights are laid out along a whole output row, ``(out_w, C)``, so that the
  multiply's inner loop runs along a row rather than ``C`` numbers at a time.
- Bias and ReLU or ReLU6 are applied to each chunk while it is in the cache; the backward
  pass masks each chunk of the gradient the same way.

A depth multiplier ``m > 1`` repeats each input channel ``m`` times and convolves the
``C * m`` channels with one filter each (the gradient sums the repeats back).

>>> from deepgrad.kernels.geometry import conv_geometry
>>> x = np.ones((1, 3, 3, 2))
>>> geo = conv_geometry(x.shape, (2, 2, 2, 2))
>>> depthwise_forward(x, np.ones((2, 2, 2, 1)), geo)[0, :, :, 1]
array([[4., 4.],
       [4., 4.]])
"""

from __future__ import annotations

import functools
from typing import NamedTuple

import numpy as np

from deepgrad.kernels import activation as act
from deepgrad.kernels.geometry import ConvGeometry
from deepgrad.kernels.parallel import chunks, run_groups
from deepgrad.kernels.scratch import scratch_buffer

__all__ = [
    "CHUNK_BYTES", "WINDOWS_MIN_STRIDE", "Tap", "taps", "depthwise_forward", "depthwise_backward",
]

# Output bytes of one chunk of images. Smaller chunks keep the output, the product and
# the input in a core's level-2 cache, but each chunk costs ``2 * kh * kw`` NumPy calls,
# and on two threads each call is also a turn at the interpreter for the other thread:
# 256 KB chunks were as fast on one thread and 1.6-2.9x slower than these on two, on
# MobileNetV2's layers (``benchmarks/kernel_choices_apps.py depthwise_chunk``).
CHUNK_BYTES = 1 << 20

# Convolutions with a stride at least this run as one ``einsum`` over each output's window
# (:func:`_windows`) rather than tap by tap: with a stride, the taps' strided reads cut
# NumPy's inner loops to ``C`` numbers, and the einsum was 1.4-1.6x faster on
# MobileNetV2's stride-2 layers; at stride 1 it was 0.65-1.0x as fast
# (``benchmarks/kernel_choices_apps.py depthwise_strided``).
WINDOWS_MIN_STRIDE = 2


class Tap(NamedTuple):
    """Kernel cell ``(i, j)``: the output block it reaches and the input it reads there."""

    i: int
    j: int
    out_rows: slice
    out_cols: slice
    in_rows: slice
    in_cols: slice
    covers: bool  # reaches every output position


def _reach(index: int, dilation: int, stride: int, pad: int, size: int, out: int):
    """Output positions ``first..last`` whose window cell ``index`` lies in ``0..size-1``,
    and the input positions read there; None when no output reaches the input."""
    offset = index * dilation - pad  # the input position read by output 0
    first, last = max(0, -(offset // stride)), min(out - 1, (size - 1 - offset) // stride)
    if last < first:
        return None
    return (slice(first, last + 1),
            slice(first * stride + offset, last * stride + offset + 1, stride),
            first == 0 and last == out - 1)


@functools.lru_cache(maxsize=256)
def taps(geo: ConvGeometry) -> tuple[Tap, ...]:
    """The kernel cells that reach the input, in row-major order.

    >>> from deepgrad.kernels.geometry import conv_geometry
    >>> t = taps(conv_geometry((1, 4, 4, 1), (3, 3, 1, 1), padding="same"))
    >>> len(t), t[0].out_rows, t[0].in_rows, [tap.covers for tap in t].index(True)
    (9, slice(1, 4, None), slice(0, 3, 1), 4)
    """
    found = []
    (top, _), (left, _) = geo.pad
    for i in range(geo.kh):
        rows = _reach(i, geo.dh, geo.sh, top, geo.in_h, geo.out_h)
        for j in range(geo.kw):
            cols = _reach(j, geo.dw, geo.sw, left, geo.in_w, geo.out_w)
            if rows is not None and cols is not None:
                found.append(Tap(i, j, rows[0], cols[0], rows[1], cols[1], rows[2] and cols[2]))
    return tuple(found)


def _first(all_taps: tuple[Tap, ...], writes_all) -> tuple[Tap | None, tuple[Tap, ...]]:
    """The first tap for which ``writes_all`` holds (it writes the whole result, so nothing
    is zeroed), and the taps in the order to run them: that one first."""
    first = next((t for t in all_taps if writes_all(t)), None)
    if first is None:
        return None, all_taps
    return first, (first,) + tuple(t for t in all_taps if t is not first)


def _chunk(geo: ConvGeometry, channels: int, itemsize: int) -> int:
    per_image = geo.out_h * geo.out_w * channels * itemsize
    return max(1, CHUNK_BYTES // max(per_image, 1))


def _repeated(x: np.ndarray, m: int) -> np.ndarray:
    """Each channel ``m`` times in a row: a depth multiplier as ``C * m`` single filters."""
    return x if m == 1 else np.repeat(x, m, axis=3)


def _rows_of(weights: np.ndarray, width: int) -> np.ndarray:
    """``weights`` (kh, kw, C) laid along an output row: (kh, kw, width, C), contiguous."""
    kh, kw, c = weights.shape
    return np.ascontiguousarray(np.broadcast_to(weights[:, :, None], (kh, kw, width, c)))


def _windows(x: np.ndarray, geo: ConvGeometry) -> np.ndarray:
    """Every output position's window of ``x`` (n, H, W, C), zero-padded as ``geo`` says:
    a (n, out_h, out_w, C, kh, kw) view of a padded copy in this thread's scratch memory
    (see :data:`WINDOWS_MIN_STRIDE`)."""
    (top, bottom), (left, right) = geo.pad
    n, h, w, c = x.shape
    padded = scratch_buffer("depthwise_pad", (n, h + top + bottom, w + left + right, c), x.dtype)
    for border in (padded[:, :top], padded[:, top + h:], padded[:, top:top + h, :left],
                   padded[:, top:top + h, left + w:]):
        border.fill(0)
    padded[:, top:top + h, left:left + w] = x
    span = ((geo.kh - 1) * geo.dh + 1, (geo.kw - 1) * geo.dw + 1)
    windows = np.lib.stride_tricks.sliding_window_view(padded, span, axis=(1, 2))
    return windows[:, : geo.out_h * geo.sh : geo.sh, : geo.out_w * geo.sw : geo.sw,
                   :, :: geo.dh, :: geo.dw]


def depthwise_forward(
    x: np.ndarray,
    kernel: np.ndarray,
    geo: ConvGeometry,
    bias: np.ndarray | None = None,
    activation: str | None = None,
) -> np.ndarray:
    """Depthwise convolution of ``x`` (N, H, W, C) with ``kernel`` (kh, kw, C, multiplier).

    ``geo`` is the geometry of ``x`` with a ``(kh, kw, C, C * multiplier)`` kernel.
    ``bias`` (C * multiplier,) is added and ``activation`` (None, ``'relu'`` or
    ``'relu6'``) applied in place. Returns ``(N, out_h, out_w, C * multiplier)``.

    >>> from deepgrad.kernels.geometry import conv_geometry
    >>> x = np.arange(4.0).reshape(1, 1, 4, 1)
    >>> depthwise_forward(x, np.array([[[[1.0, 10.0]], [[1.0, 0.0]]]]),
    ...                   conv_geometry(x.shape, (1, 2, 1, 2)))[0, 0]
    array([[ 1.,  0.],
           [ 3., 10.],
           [ 5., 20.]])
    """
    bounds = act.bounds(activation, "depthwise_forward")
    dtype = np.result_type(x.dtype, kernel.dtype)
    kh, kw, c, m = kernel.shape
    x = _repeated(x.astype(dtype, copy=False), m)
    channels = c * m
    rows = _rows_of(kernel.reshape(kh, kw, channels).astype(dtype, copy=False), geo.out_w)
    bias_row = None if bias is None else np.broadcast_to(bias.astype(dtype, copy=False),
                                                         (geo.out_w, channels))
    y = np.empty((geo.batch, geo.out_h, geo.out_w, channels), dtype)
    first, ordered = _first(taps(geo), lambda t: t.covers)
    nb = _chunk(geo, channels, dtype.itemsize)

    def tap_by_tap(xs: np.ndarray, ys: np.ndarray, tmp: np.ndarray) -> None:
        if first is None:
            ys.fill(0)
        for tap in ordered:
            src = xs[:, tap.in_rows, tap.in_cols]
            weights = rows[tap.i, tap.j, : src.shape[2]]
            if tap is first:
                np.multiply(src, weights, out=ys)
                continue
            product = tmp[: len(src), : src.shape[1], : src.shape[2]]
            np.multiply(src, weights, out=product)
            ys[:, tap.out_rows, tap.out_cols] += product

    def run(group: list[slice]) -> None:
        tmp = scratch_buffer("depthwise", (nb, geo.out_h, geo.out_w, channels), dtype)
        for images in group:
            xs, ys = x[images], y[images]
            if max(geo.sh, geo.sw) >= WINDOWS_MIN_STRIDE:
                np.einsum("nhwcij,ijwc->nhwc", _windows(xs, geo), rows, out=ys)
            else:
                tap_by_tap(xs, ys, tmp)
            if bias_row is not None:
                ys += bias_row
            if bounds is not None:
                act.apply(ys, bounds)

    run_groups(run, chunks(geo.batch, nb))
    return y


def depthwise_backward(
    x: np.ndarray,
    kernel: np.ndarray,
    grad: np.ndarray,
    geo: ConvGeometry,
    need_input: bool = True,
    need_weight: bool = True,
    need_bias: bool = False,
    activation: str | None = None,
    output: np.ndarray | None = None,
) -> tuple[np.ndarray | None, np.ndarray | None, np.ndarray | None]:
    """Gradients of a depthwise convolution for its input, its kernel and its bias.

    ``grad`` is the gradient of the output; with ``activation`` (fused in the forward
    pass), ``output`` is the forward output and the gradient is masked where the
    activation was flat. Returns ``(dx, dkernel, dbias)``, each None when not requested.

    >>> from deepgrad.kernels.geometry import conv_geometry
    >>> x = np.ones((1, 3, 3, 1))
    >>> dx, dk, _ = depthwise_backward(x, np.ones((2, 2, 1, 1)), np.ones((1, 2, 2, 1)),
    ...                                conv_geometry(x.shape, (2, 2, 1, 1)))
    >>> dx[0, :, :, 0], dk.ravel()
    (array([[1., 2., 1.],
           [2., 4., 2.],
           [1., 2., 1.]]), array([4., 4., 4., 4.]))
    """
    bounds = act.bounds(activation, "depthwise_backward")
    if bounds is not None and output is None:
        raise ValueError(f"depthwise_backward: activation={activation!r} needs `output`.")
    dtype = np.result_type(x.dtype, kernel.dtype, grad.dtype)
    kh, kw, c, m = kernel.shape
    channels = c * m
    xr = _repeated(x.astype(dtype, copy=False), m) if need_weight else None
    rows = _rows_of(kernel.reshape(kh, kw, channels).astype(dtype, copy=False), geo.out_w)
    dxr = np.empty((geo.batch, geo.in_h, geo.in_w, channels), dtype) if need_input else None
    whole = (slice(0, geo.in_h, 1), slice(0, geo.in_w, 1))
    first, ordered = _first(taps(geo), lambda t: (t.in_rows, t.in_cols) == whole)
    nb = _chunk(geo, channels, dtype.itemsize)

    def run(group: list[slice]) -> tuple:
        shape = (nb, geo.out_h, geo.out_w, channels)
        tmp = scratch_buffer("depthwise", shape, dtype)
        masked = scratch_buffer("depthwise_mask", shape, dtype) if bounds is not None else None
        dk = np.zeros((len(ordered), channels), dtype) if need_weight else None
        db = np.zeros(channels, dtype) if need_bias else None
        for images in group:
            g = grad[images]
            if masked is not None:
                g = np.multiply(g, act.passed(output[images], bounds, masked[: len(g)]),
                                out=masked[: len(g)])
            if need_bias:
                db += np.add.reduce(g.reshape(-1, channels), axis=0)
            if need_input:
                dxs = dxr[images]
                if first is None:
                    dxs.fill(0)
            for t, tap in enumerate(ordered):
                gs = g[:, tap.out_rows, tap.out_cols]
                if need_weight:
                    dk[t] += np.einsum("nhwc,nhwc->c", xr[images][:, tap.in_rows, tap.in_cols], gs)
                if need_input:
                    weights = rows[tap.i, tap.j, : gs.shape[2]]
                    dst = dxs[:, tap.in_rows, tap.in_cols]
                    if tap is first:
                        np.multiply(gs, weights, out=dst)
                        continue
                    product = tmp[: len(gs), : gs.shape[1], : gs.shape[2]]
                    np.multiply(gs, weights, out=product)
                    dst += product
        return dk, db

    parts = run_groups(run, chunks(geo.batch, nb))
    dx = dk = db = None
    if need_input:
        dx = dxr if m == 1 else dxr.reshape(geo.batch, geo.in_h, geo.in_w, c, m).sum(axis=4)
    if need_weight:
        per_tap = functools.reduce(np.add, [p[0] for p in parts])
        dk = np.zeros((kh, kw, channels), dtype)
        for t, tap in enumerate(ordered):
            dk[tap.i, tap.j] = per_tap[t]
        dk = dk.reshape(kernel.shape)
    if need_bias:
        db = functools.reduce(np.add, [p[1] for p in parts])
    return dx, dk, db
