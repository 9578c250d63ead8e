"""Winograd convolution: stride-1 convolutions with fewer multiplications.

A row of ``m`` outputs of a ``r``-wide kernel needs ``m * r`` multiplications done
directly, but only ``a = m + r - 1`` done Winograd's way (Lavin and Gray, 2015): the
input window and the kernel are each taken to ``a`` points by a small matrix, multiplied
point by point, and the ``m`` outputs recovered by a third matrix::

    y = AT @ ((G @ kernel) * (BT @ window))

Here it runs along both axes, ``F(4x4, kh x kw)``: a tile of 4x4 outputs takes
``(4 + kh - 1) * (4 + kw - 1)`` points, and at each point the input channels meet the
kernel in one ordinary GEMM (``K = cin``). For a 5x5 kernel that is 64 products per
16 outputs instead of 400, for a 3x3 kernel 36 instead of 144. A kernel one row high
(``Conv1D``) is transformed along the width only. The kernel's gradient runs the same
transforms (``U.T @ dP`` at each point, then ``G.T``), and the input's gradient is a
stride-1 convolution itself, so all three products of a stride-1 layer get the saving.

What it costs: the transforms are passes over memory (small matrix products), and the
kernel's transform is redone on every call, so it pays only with enough channels for
the multiplications saved to outweigh transforming the data, and enough output tiles
over the batch to outweigh transforming the kernel (:func:`applies`). Its speed against
im2col and against PyTorch, layer by layer, is measured by ``benchmarks/conv_ops.py``
and ``benchmarks/kernel_choices.py winograd_or_im2col``; the figures are in the README.

The matrices come from the interpolation points 0, 1, -1, 2, -2, 1/2, -1/2 and
infinity, computed exactly with fractions. In float32 the results differ from a direct
convolution by a few millionths of their largest value; tests/kernels/test_winograd.py
bounds it at 1e-5 on the course CNN's 5x5 layer. As in
:mod:`deepgrad.kernels.conv_gemm`, the batch goes through in chunks small enough for
the CPU cache.

>>> from deepgrad.kernels.geometry import conv_geometry
>>> x = np.arange(36.0).reshape(1, 6, 6, 1).repeat(8, axis=3)
>>> geo = conv_geometry(x.shape, (3, 3, 8, 1))
>>> y = forward(x, np.ones((3, 3, 8, 1)), geo)
>>> y[0, 0, :, 0]
array([504., 576., 648., 720.])
"""

from __future__ import annotations

import functools
from fractions import Fraction
from typing import NamedTuple

import numpy as np
from numpy.lib.stride_tricks import as_strided

from deepgrad.kernels import parallel
from deepgrad.kernels.activation import relu_clip
from deepgrad.kernels.geometry import ConvGeometry
from deepgrad.kernels.pool import max_of
from deepgrad.kernels.scratch import scratch_buffer

__all__ = [
    "OUTPUTS", "MIN_CHANNELS", "Plan", "applies", "plan", "pools_in_tiles", "matrices", "forward",
    "weight_grad",
]

# Outputs per tile along each axis. m = 4 with a 5-long kernel takes 8 points; m = 6
# would need 3 and -3 too, and loses float32 accuracy for no speed gained
# (``benchmarks/kernel_choices.py winograd_tile`` prints both).
OUTPUTS = 4
POINTS = (0, 1, -1, 2, -2, Fraction(1, 2), Fraction(-1, 2))
# With fewer input channels the GEMMs (K = cin) are too thin to gain, and im2col is
# faster (``benchmarks/kernel_choices.py winograd_or_im2col``: 4 and 8 channels).
MIN_CHANNELS = 8
# A 2-D kernel goes the Winograd way where h * s >= GAIN, h = cin * cout / (cin + cout)
# (the channels a data transform serves) and s the multiplications saved per one left
# (3 for 3x3 kernels, 5.25 for 5x5): 3x3 from h = 10 (16 -> 32), 5x5 from h = 5.7
# (8 -> 32); and where the batch has at least TILES_PER_CHANNEL * max(cin, cout) output
# tiles, which pay for transforming the kernel: ResNet50's 7x7x512 layers at batch 8
# went 1.6x slower on Winograd (``benchmarks/kernel_choices_apps.py winograd_gain``).
GAIN = 30
TILES_PER_CHANNEL = 0.5
# Bytes of a chunk's transformed input and products together: the best of the sizes
# tried on two 5x5 layers and a 3x3 one, forward and kernel gradient, on deepgrad's two
# threads (``benchmarks/kernel_choices.py winograd_chunk``). Smaller chunks cost more on
# two threads than on one: each chunk is some thirty NumPy calls, and the threads' turns
# at the interpreter between them add up.
CHUNK_BYTES = 3 << 20


def applies(geo: ConvGeometry, dtype) -> bool:
    """Whether this convolution goes the Winograd way: stride 1, no dilation, a kernel
    2 to 5 wide and 1 or 2 to 5 high, enough channels (and, for a 2-D kernel, enough
    channels and tiles to gain: :data:`GAIN`, :data:`TILES_PER_CHANNEL`), at least one
    full tile of outputs, a float dtype.

    >>> from deepgrad.kernels.geometry import conv_geometry
    >>> [applies(conv_geometry((8, 7, 7, 512), (3, 3, 512, 512), padding="same"), np.float32),
    ...  applies(conv_geometry((8, 28, 28, 128), (3, 3, 128, 128), padding="same"), np.float32)]
    [False, True]
    """
    return (
        (geo.sh, geo.sw, geo.dh, geo.dw) == (1, 1, 1, 1)
        and 2 <= geo.kw <= len(POINTS) + 2 - OUTPUTS
        and (geo.kh == 1 or 2 <= geo.kh <= len(POINTS) + 2 - OUTPUTS)
        and geo.in_c >= MIN_CHANNELS
        and geo.out_w >= OUTPUTS
        and (geo.kh == 1 or geo.out_h >= OUTPUTS)
        and np.dtype(dtype) in (np.float32, np.float64)
        and (geo.kh == 1 or _gains(geo))
    )


def _gains(geo: ConvGeometry) -> bool:
    """The rule of :data:`GAIN` and :data:`TILES_PER_CHANNEL` for a 2-D kernel."""
    points = (OUTPUTS + geo.kh - 1) * (OUTPUTS + geo.kw - 1)
    saved = (OUTPUTS * OUTPUTS * geo.kh * geo.kw - points) / points
    per_transform = geo.in_c * geo.out_c / (geo.in_c + geo.out_c)
    tiles = geo.batch * -(-geo.out_h // OUTPUTS) * -(-geo.out_w // OUTPUTS)
    return per_transform * saved >= GAIN and tiles >= TILES_PER_CHANNEL * max(geo.in_c, geo.out_c)


@functools.lru_cache(maxsize=16)
def matrices(m: int, r: int, dtype=np.float64) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(AT, G, BT)`` of ``F(m, r)``: shapes ``(m, a)``, ``(a, r)`` and ``(a, a)``.

    ``G`` and ``A = AT.T`` evaluate polynomials of degree ``r - 1`` and ``m - 1`` at the
    ``a - 1`` points and at infinity (the leading coefficient); ``BT`` is the transposed
    inverse of the same evaluation for degree ``a - 1``. Correlating a window ``d`` with
    a kernel ``g`` is then ``AT @ ((G @ g) * (BT @ d))``.

    >>> at, g, bt = matrices(2, 3)
    >>> d, k = np.array([1.0, 2.0, 3.0, 4.0]), np.array([1.0, 0.0, -1.0])
    >>> at @ ((g @ k) * (bt @ d))  # d[0] - d[2], d[1] - d[3]
    array([-2., -2.])
    """
    a = m + r - 1
    points = [Fraction(p) for p in POINTS[: a - 1]]

    def evaluation(degree_plus_one: int) -> list[list[Fraction]]:
        rows = [[p**k for k in range(degree_plus_one)] for p in points]
        return rows + [[Fraction(int(k == degree_plus_one - 1)) for k in range(degree_plus_one)]]

    inverse = _inverse(evaluation(a))
    result = tuple(
        np.ascontiguousarray(rows, dtype=dtype)
        for rows in (np.array(evaluation(m)).T, evaluation(r), np.array(inverse).T)
    )
    for array in result:
        array.flags.writeable = False
    return result


def _inverse(rows: list[list[Fraction]]) -> list[list[Fraction]]:
    """Exact inverse of a square matrix of fractions (Gauss-Jordan)."""
    n = len(rows)
    work = [row[:] + [Fraction(int(i == j)) for j in range(n)] for i, row in enumerate(rows)]
    for col in range(n):
        pivot = next(i for i in range(col, n) if work[i][col] != 0)
        work[col], work[pivot] = work[pivot], work[col]
        work[col] = [v / work[col][col] for v in work[col]]
        for i in range(n):
            if i != col and work[i][col] != 0:
                factor = work[i][col]
                work[i] = [vi - factor * vc for vi, vc in zip(work[i], work[col])]
    return [row[n:] for row in work]


class Plan(NamedTuple):
    """How one convolution is tiled: ``m`` outputs per tile and ``a = m + k - 1`` points
    along the height and the width, the number of tiles along each, and the matrices."""

    mh: int
    mw: int
    ah: int
    aw: int
    th: int
    tw: int
    h: tuple[np.ndarray, np.ndarray, np.ndarray]
    w: tuple[np.ndarray, np.ndarray, np.ndarray]

    @property
    def points(self) -> int:
        return self.ah * self.aw


def plan(geo: ConvGeometry, dtype) -> Plan:
    """The tiling of ``geo``: ``F(4, k)`` along each axis whose kernel is 2 to 5 long,
    ``F(1, 1)`` (no transform) along a height of 1.

    >>> from deepgrad.kernels.geometry import conv_geometry
    >>> p = plan(conv_geometry((1, 14, 14, 8), (5, 5, 8, 4), padding="same"), np.float32)
    >>> p.mh, p.ah, p.th, p.points
    (4, 8, 4, 64)
    """
    mh = 1 if geo.kh == 1 else OUTPUTS
    th, tw = -(-geo.out_h // mh), -(-geo.out_w // OUTPUTS)
    h, w = matrices(mh, geo.kh, dtype), matrices(OUTPUTS, geo.kw, dtype)
    return Plan(mh, OUTPUTS, mh + geo.kh - 1, OUTPUTS + geo.kw - 1, th, tw, h, w)


def _both(first: np.ndarray, second: np.ndarray, a: np.ndarray, out: np.ndarray) -> np.ndarray:
    """``a`` (p, q, rest) taken to ``first @ . @ second.T`` over its two leading axes:
    ``out`` (first.shape[0], second.shape[0], rest). A matrix of one row and column
    that is 1 (``F(1, 1)``) is skipped.

    The first axis takes one product over all the data, the second one product per row
    of the first; the one wide product goes where the data is smaller, last when the
    transform shrinks it, first when it grows it
    (``benchmarks/kernel_choices.py winograd_transform_order``).
    """
    p, q = first.shape[1], second.shape[1]
    if first.shape == (1, 1) and first[0, 0] == 1:
        return np.matmul(second, a.reshape(q, -1), out=out.reshape(second.shape[0], -1))
    rest = a.size // (p * q)
    if first.shape[0] < p:  # shrinks: the second axis first, then the wide product
        inner = scratch_buffer("wino_inner", (p, second.shape[0], rest), a.dtype)
        np.matmul(second, a.reshape(p, q, rest), out=inner)
        return np.matmul(first, inner.reshape(p, -1), out=out.reshape(first.shape[0], -1))
    inner = scratch_buffer("wino_inner", (first.shape[0], q, rest), a.dtype)
    np.matmul(first, a.reshape(p, -1), out=inner.reshape(first.shape[0], -1))
    return np.matmul(second, inner, out=out.reshape(first.shape[0], second.shape[0], -1))


def _chunk_images(geo: ConvGeometry, p: Plan, itemsize: int) -> int:
    per_image = p.points * p.th * p.tw * (geo.in_c + geo.out_c) * itemsize
    return parallel.chunk_size(geo.batch, CHUNK_BYTES // per_image)


def _padded_input(geo: ConvGeometry, p: Plan, images: int, dtype) -> np.ndarray:
    """A zeroed buffer for a chunk of padded input, large enough for whole tiles, laid out
    ``(height, width, image, channel)``."""
    return np.zeros((p.mh * p.th + geo.kh - 1, p.mw * p.tw + geo.kw - 1, images, geo.in_c), dtype)


def _transformed(x: np.ndarray, padded: np.ndarray, geo: ConvGeometry, p: Plan) -> np.ndarray:
    """The input of a chunk at the points: ``(ah * aw, th * tw * images, cin)``.

    Row ``(ty, tx, image)`` of point ``(i, j)`` holds ``(BT_h @ tile @ BT_w.T)[i, j]`` for
    every channel, where the tile is the ``ah x aw`` padded input at ``(mh*ty, mw*tx)``.
    The chunk is copied into ``padded`` (see :func:`_padded_input`), where a window of
    ``aw`` columns is a matrix of ``aw`` rows of ``images * cin`` numbers: the width's
    transform is one small product per padded row and tile column, written through a
    transposed view into the layout where a window of ``ah`` rows is again such a
    matrix for the height's. That reads the input once, where gathering the
    overlapping tiles first copies it ``(ah / mh) * (aw / mw)`` times
    (``benchmarks/kernel_choices.py winograd_input_transform`` times both).
    """
    n, c = x.shape[0], geo.in_c
    (top, _), (left, _) = geo.pad
    height = padded.shape[0]
    padded[top : top + geo.in_h, left : left + geo.in_w] = x.transpose(1, 2, 0, 3)
    s0, s1, _, s3 = padded.strides
    windows = as_strided(padded, (height, p.tw, p.aw, n * c), (s0, p.mw * s1, s1, s3))
    v = scratch_buffer("wino_v", (p.aw, height, p.tw, n * c), x.dtype)
    np.matmul(p.w[2], windows, out=v.transpose(1, 2, 0, 3))
    if p.ah == 1:  # a kernel one row high: no transform along the height
        return v.reshape(p.points, p.th * p.tw * n, c)
    v0, v1, _, v3 = v.strides
    windows = as_strided(v, (p.aw, p.th, p.ah, p.tw * n * c), (v0, p.mh * v1, v1, v3))
    u = scratch_buffer("wino_u", (p.ah, p.aw, p.th, p.tw * n * c), x.dtype)
    np.matmul(p.h[2], windows, out=u.transpose(1, 2, 0, 3))
    return u.reshape(p.points, p.th * p.tw * n, c)


def _transformed_chunks(x: np.ndarray, group: list[slice], geo: ConvGeometry, p: Plan, dtype):
    """``(images, n, u)`` for each chunk of ``group``: its slice of the batch, its number
    of images and its input at the points (see :func:`_transformed`)."""
    padded = {}  # zeroed buffers by chunk size: the padding stays zero
    for images in group:
        n = images.stop - images.start
        if n not in padded:
            padded[n] = _padded_input(geo, p, n, dtype)
        yield images, n, _transformed(x[images], padded[n], geo, p)


def _spans(out: int, m: int) -> list[tuple[slice, int, slice]]:
    """Whole tiles, then the last partial one: ``(tiles, outputs per tile, output slice)``."""
    full, rest = divmod(out, m)
    spans = [(slice(0, full), m, slice(0, full * m))] if full else []
    return spans + ([(slice(full, full + 1), rest, slice(full * m, out))] if rest else [])


def pools_in_tiles(geo: ConvGeometry, pool: tuple[int, int]) -> bool:
    """Whether a max pool of ``pool`` (strides equal to the window, ``'valid'``) after
    this convolution can be taken inside :func:`forward`'s tiles: each window axis
    divides that axis's outputs per tile (1, 2 or 4; 1 along the height of a kernel one
    row high).

    >>> from deepgrad.kernels.geometry import conv_geometry
    >>> geo = conv_geometry((1, 14, 14, 8), (5, 5, 8, 4), padding="same")
    >>> pools_in_tiles(geo, (2, 2)), pools_in_tiles(geo, (3, 3))
    (True, False)
    """
    mh = 1 if geo.kh == 1 else OUTPUTS
    return mh % pool[0] == 0 and OUTPUTS % pool[1] == 0


def forward(
    x: np.ndarray,
    kernel: np.ndarray,
    geo: ConvGeometry,
    bias: np.ndarray | None = None,
    relu: bool = False,
    pool: tuple[int, int] = (1, 1),
    argmax: np.ndarray | None = None,
    ceiling: float | None = None,
) -> np.ndarray:
    """Stride-1 convolution of NHWC ``x`` with a Keras ``kernel`` (kh, kw, cin, cout)
    (ReLU capped at ``ceiling`` when given).

    The bias is added at the point (1, 1), where the output transform is all ones (one
    product in ``ah * aw``), and ReLU while each chunk's outputs are stored, so neither
    takes a pass of its own. With ``pool`` (see :func:`pools_in_tiles`) the output is
    max-pooled inside each tile before it is stored, and ``(N, out_h // ph, out_w // pw,
    cout)`` is returned: the same numbers as pooling the output after, bit for bit, with a
    quarter of the stores for 2x2 windows. ``argmax``, a uint8 array of that shape, then
    receives each window's winning cell (see :func:`~deepgrad.kernels.pool.max_of`).
    """
    if not pools_in_tiles(geo, pool):
        raise ValueError(f"winograd.forward: pool {pool} does not divide the tiles of {geo}")
    dtype = np.result_type(x.dtype, kernel.dtype)
    p = plan(geo, dtype)
    kh, kw, cin, cout = kernel.shape
    kt = np.empty((p.ah, p.aw, cin * cout), dtype)
    _both(p.h[1], p.w[1], kernel.astype(dtype, copy=False), kt)
    kt = kt.reshape(p.points, cin, cout)
    ones = _ones_column(p.mh, geo.kh) * p.aw + _ones_column(p.mw, geo.kw)
    (ph, pw), qh, qw = pool, p.mh // pool[0], p.mw // pool[1]  # pooled outputs per tile
    y = np.empty((geo.batch, geo.out_h // ph, geo.out_w // pw, cout), dtype)
    nb = _chunk_images(geo, p, dtype.itemsize)
    spans = [(a, b) for a in _spans(y.shape[1], qh) for b in _spans(y.shape[2], qw)]

    def run(group: list[slice]) -> None:
        for images, n, u in _transformed_chunks(x, group, geo, p, dtype):
            products = scratch_buffer("wino_products", (p.points, u.shape[1], cout), dtype)
            np.matmul(u, kt, out=products)
            if bias is not None:
                products[ones] += bias
            out = scratch_buffer("wino_out", (p.mh, p.mw, p.th, p.tw, n, cout), dtype)
            _both(p.h[0], p.w[0], products, out)
            # out[i, j, ty, tx, image] is output (mh * ty + i, mw * tx + j).
            won = None
            if pool != (1, 1):  # now pooled output (qh * ty + i, qw * tx + j):
                out, won = _pool_tiles(out, pool, argmax is not None)
            for (tiles_h, ch, rows), (tiles_w, cw, columns) in spans:
                source = out[:ch, :cw, tiles_h, tiles_w].transpose(4, 2, 0, 3, 1, 5)
                target = y[images, rows, columns].reshape(source.shape)  # splits axes: a view
                if relu:
                    relu_clip(source, out=target, high=ceiling)
                else:
                    np.copyto(target, source)
                if won is not None:
                    cells = won[:ch, :cw, tiles_h, tiles_w].transpose(4, 2, 0, 3, 1, 5)
                    np.copyto(argmax[images, rows, columns].reshape(cells.shape), cells)

    parallel.run_groups(run, parallel.chunks(geo.batch, nb))
    return y


def _pool_tiles(
    out: np.ndarray, pool: tuple[int, int], with_argmax: bool
) -> tuple[np.ndarray, np.ndarray | None]:
    """Max over each ``pool`` window of a chunk's outputs in tile layout ``(mh, mw, ...)``:
    a running max over the windows' cells, each a strided view of ``out``; and the
    winning cells when asked."""
    ph, pw = pool
    cells = [out[i::ph, j::pw] for i in range(ph) for j in range(pw)]
    won = scratch_buffer("wino_won", cells[0].shape, np.uint8) if with_argmax else None
    return max_of(cells, scratch_buffer("wino_pooled", cells[0].shape, out.dtype), won), won


@functools.lru_cache(maxsize=16)
def _ones_column(m: int, r: int) -> int:
    """The column of ``F(m, r)``'s output transform that is all ones (the point 1, or
    F(1, 1)'s)."""
    return int(np.flatnonzero((matrices(m, r)[0] == 1).all(axis=0))[0])


def weight_grad(
    x: np.ndarray, grad: np.ndarray, geo: ConvGeometry, out: np.ndarray | None = None
) -> np.ndarray:
    """Kernel gradient ``(kh, kw, cin, cout)`` of :func:`forward` for ``grad`` (N, oh, ow,
    cout), written into ``out`` (C-contiguous, that shape) when given.

    The forward's products are ``U @ kt`` at each point, so the gradient at the points is
    ``U.T @ dP``, with ``dP = A_h @ grad tile @ A_w.T`` (the output transform run
    backwards), and the kernel's is ``G_h.T @ . @ G_w`` of that.
    """
    dtype = np.result_type(x.dtype, grad.dtype)
    p = plan(geo, dtype)
    cin, cout = geo.in_c, geo.out_c
    nb = _chunk_images(geo, p, dtype.itemsize)
    backwards = (np.ascontiguousarray(p.h[0].T), np.ascontiguousarray(p.w[0].T))

    def run(group: list[slice]) -> np.ndarray:
        # The output gradient, zero beyond the last row and column: every tile is whole.
        grad_tiles = scratch_buffer("wino_grad", (nb, p.mh * p.th, p.mw * p.tw, cout), dtype)
        grad_tiles.fill(0)
        products = None
        for images, n, u in _transformed_chunks(x, group, geo, p, dtype):
            gp = grad_tiles[:n]
            gp[:, : geo.out_h, : geo.out_w] = grad[images]
            s0, s1, s2, s3 = gp.strides
            shape = (p.mh, p.mw, p.th, p.tw, n, cout)
            gathered = scratch_buffer("wino_gathered", shape, dtype)
            np.copyto(gathered, as_strided(gp, shape, (s1, s2, p.mh * s1, p.mw * s2, s0, s3)))
            points = scratch_buffer("wino_products", (p.points, u.shape[1], cout), dtype)
            _both(*backwards, gathered, points)
            ut = u.transpose(0, 2, 1)
            if products is None:
                products = np.matmul(ut, points)
            else:
                # Point by point: one (cin, cout) temporary, not a second (points, cin,
                # cout) array (VGG16's 512-channel layers: 38 MB each, at the training
                # peak of benchmarks/models.py).
                for i in range(p.points):
                    products[i] += ut[i] @ points[i]
        return np.zeros((p.points, cin, cout), dtype) if products is None else products

    # The threads' sums are added into the first one's, in place.
    products, *others = parallel.run_groups(run, parallel.chunks(geo.batch, nb))
    for other in others:
        products += other
    dw = np.empty((geo.kh, geo.kw, cin * cout), dtype) if out is None else out.reshape(
        geo.kh, geo.kw, cin * cout)
    return _both(p.h[1].T, p.w[1].T, products, dw).reshape(geo.kh, geo.kw, cin, cout)
