"""Winograd convolution along the width: stride-1 convolutions with fewer multiplications.

A row of ``m`` outputs of a ``r``-wide kernel needs ``m * r`` multiplications done
directly, but only ``a = m + r - 1`` done Winograd's way (Lavin and Gray, 2015): the
input window and the kernel are each taken to ``a`` points by a small matrix, multiplied
point by point, and the ``m`` outputs recovered by a third matrix::

    y = AT @ ((G @ kernel) * (BT @ window))

Here the transform runs along the width only, with ``m = 4``. The kernel rows and the
input channels stay inside the matrix products, so each of the ``a`` products is an
ordinary GEMM with ``kh * cin`` terms: for the course CNN's 5x5 layer, 8 GEMMs of
``K = 160`` instead of one of ``K = 800`` over 4/5 as many rows, 0.46x the arithmetic
(0.5x for a 3x3 kernel). The kernel's gradient is the same algorithm with the roles of
kernel and output swapped (``F(r, m)`` uses the same ``BT``, and ``A`` and ``G`` trade
places), and the input's gradient is a stride-1 convolution itself, so all three
products of a stride-1 layer get the saving.

The matrices come from the interpolation points 0, 1, -1, 2, -2, 1/2, -1/2 and
infinity, computed exactly with fractions. In float32 the outputs differ from a direct
convolution by about 1e-6 of their largest value (5e-6 for the input gradient); the
tests bound it. As in :mod:`deepgrad.kernels.conv_gemm`, the batch goes through in
chunks small enough for the CPU cache.

>>> from deepgrad.kernels.conv import conv_geometry
>>> x = np.arange(36.0).reshape(1, 6, 6, 1).repeat(8, axis=3)
>>> geo = conv_geometry(x.shape, (3, 3, 8, 1))
>>> y = forward(x, np.ones((3, 3, 8, 1)), geo)
>>> y[0, 0, :, 0]
array([504., 576., 648., 720.])
"""

from __future__ import annotations

import functools
from fractions import Fraction

import numpy as np
from numpy.lib.stride_tricks import as_strided

from deepgrad.kernels import parallel
from deepgrad.kernels.conv import ConvGeometry
from deepgrad.kernels.scratch import scratch_buffer

__all__ = ["OUTPUTS", "MIN_CHANNELS", "applies", "matrices", "forward", "weight_grad"]

# Outputs per tile along the width. m = 4 with a 5-wide kernel takes 7 points; more
# points (m = 6: 3 and -3) measured 10x the float32 error for no speed gained.
OUTPUTS = 4
POINTS = (0, 1, -1, 2, -2, Fraction(1, 2), Fraction(-1, 2))
# With fewer input channels the GEMMs (K = kh * cin) are too thin to gain.
MIN_CHANNELS = 8
# Bytes of the transformed columns of one chunk: sized like conv_gemm.CHUNK_BYTES's
# working set. The course CNN's 5x5 layer, batch 128: 13 ms with 2 MB, 15 ms with 4 MB,
# 20 ms with 8 MB (direct im2col: 20 ms); /tmp sweep, lead, 2026-11-23.
CHUNK_BYTES = 3 << 19


def applies(geo: ConvGeometry, dtype) -> bool:
    """Whether this convolution goes the Winograd way (stride 1, no dilation, a kernel
    2 to 5 wide, enough channels, at least one full tile of outputs, a float dtype)."""
    return (
        (geo.sh, geo.sw, geo.dh, geo.dw) == (1, 1, 1, 1)
        and 2 <= geo.kw <= len(POINTS) + 2 - OUTPUTS
        and geo.in_c >= MIN_CHANNELS
        and geo.out_w >= OUTPUTS
        and np.dtype(dtype) in (np.float32, np.float64)
    )


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


def _tiles(geo: ConvGeometry) -> int:
    return -(-geo.out_w // OUTPUTS)


def _chunk_images(geo: ConvGeometry, itemsize: int) -> int:
    a = OUTPUTS + geo.kw - 1
    per_image = a * _tiles(geo) * geo.out_h * geo.kh * geo.in_c * itemsize
    return int(max(1, min(geo.batch, CHUNK_BYTES // per_image)))


def _padded_input(geo: ConvGeometry, images: int, dtype) -> np.ndarray:
    """A zeroed buffer for a chunk of padded input, wide enough for whole tiles."""
    width = OUTPUTS * _tiles(geo) + geo.kw - 1
    buffer = scratch_buffer("wino_padded", (images, geo.padded_h, width, geo.in_c), dtype)
    buffer.fill(0)
    return buffer


def _columns(x: np.ndarray, padded: np.ndarray, geo: ConvGeometry, bt: np.ndarray):
    """The transformed input of a chunk as ``a`` column matrices ``(a, rows, kh * cin)``.

    Row ``(image, tile, out_row)`` of matrix ``xi`` holds, for each kernel row ``i``
    and channel, ``BT[xi] @ window``: the window is the ``a`` padded pixels of input row
    ``out_row + i`` starting at column ``m * tile``.
    """
    a, n, t = bt.shape[0], x.shape[0], _tiles(geo)
    (top, _), (left, _) = geo.pad
    xp = padded[:n]
    xp[:, top : top + geo.in_h, left : left + geo.in_w] = x
    s0, s1, s2, s3 = xp.strides
    hp, c = geo.padded_h, geo.in_c
    windows = scratch_buffer("wino_windows", (a, n, t, hp, c), x.dtype)
    np.copyto(windows, as_strided(xp, (a, n, t, hp, c), (s2, s0, OUTPUTS * s2, s1, s3)))
    u = scratch_buffer("wino_u", (a, n, t, hp, c), x.dtype)
    np.matmul(bt, windows.reshape(a, -1), out=u.reshape(a, -1))
    u0, u1, u2, u3, u4 = u.strides
    rows = n * t * geo.out_h
    cols = scratch_buffer("wino_cols", (a, rows, geo.kh * c), x.dtype)
    shape = (a, n, t, geo.out_h, geo.kh, c)
    np.copyto(cols.reshape(shape), as_strided(u, shape, (u0, u1, u2, u3, u3, u4)))
    return cols


def forward(
    x: np.ndarray,
    kernel: np.ndarray,
    geo: ConvGeometry,
    bias: np.ndarray | None = None,
    relu: bool = False,
) -> np.ndarray:
    """Stride-1 convolution of NHWC ``x`` with a Keras ``kernel`` (kh, kw, cin, cout).

    Bias and ReLU are applied to each chunk while it is in the cache.
    """
    dtype = np.result_type(x.dtype, kernel.dtype)
    m, r, kh, cin, cout = OUTPUTS, geo.kw, geo.kh, geo.in_c, geo.out_c
    at, g, bt = matrices(m, r, dtype)
    a, t = m + r - 1, _tiles(geo)
    # (kw, kh * cin * cout) -> the kernel at the a points, one (kh * cin, cout) per point.
    kt = (g @ kernel.astype(dtype, copy=False).transpose(1, 0, 2, 3).reshape(r, -1)).reshape(
        a, kh * cin, cout
    )
    y = np.empty((geo.batch, geo.out_h, geo.out_w, cout), dtype)
    nb = _chunk_images(geo, dtype.itemsize)
    chunks = parallel.chunks(geo.batch, nb)
    full = geo.out_w // m

    def run(group: list[slice]) -> None:
        padded = _padded_input(geo, nb, dtype)
        for images in group:
            n = images.stop - images.start
            cols = _columns(x[images].astype(dtype, copy=False), padded, geo, bt)
            products = scratch_buffer("wino_products", (a, cols.shape[1], cout), dtype)
            np.matmul(cols, kt, out=products)
            out = scratch_buffer("wino_out", (m, n, t, geo.out_h, cout), dtype)
            np.matmul(at, products.reshape(a, -1), out=out.reshape(m, -1))
            if bias is not None:
                out += bias
            if relu:
                np.maximum(out, 0, out=out)
            # out[o, image, tile, row] is output column m * tile + o.
            target = y[images]
            tiled = target[:, :, : full * m].reshape(n, geo.out_h, full, m, cout)
            np.copyto(tiled, out[:, :, :full].transpose(1, 3, 2, 0, 4))
            rest = geo.out_w - full * m
            if rest:
                np.copyto(target[:, :, full * m :], out[:rest, :, full].transpose(1, 2, 0, 3))

    parallel.run_groups(run, chunks)
    return y


def weight_grad(x: np.ndarray, grad: np.ndarray, geo: ConvGeometry) -> np.ndarray:
    """Kernel gradient ``(kh, kw, cin, cout)`` of :func:`forward` for ``grad`` (N, oh, ow, cout).

    ``dW[i, j] = sum over images, rows, tiles of G[:, j] . (BT window_i) * (A g_tile)``:
    the forward's columns meet the output gradient taken to the same ``a`` points.
    """
    dtype = np.result_type(x.dtype, grad.dtype)
    m, r, kh, cin, cout = OUTPUTS, geo.kw, geo.kh, geo.in_c, geo.out_c
    at, g, bt = matrices(m, r, dtype)
    a, t = m + r - 1, _tiles(geo)
    nb = _chunk_images(geo, dtype.itemsize)
    chunks = parallel.chunks(geo.batch, nb)

    def run(group: list[slice]) -> np.ndarray:
        padded = _padded_input(geo, nb, dtype)
        # The output gradient, zero beyond the last column so that every tile is whole.
        grad_tiles = scratch_buffer("wino_grad", (nb, geo.out_h, m * t, cout), dtype)
        grad_tiles[:, :, geo.out_w :] = 0
        products = np.zeros((a, kh * cin, cout), dtype)
        for images in group:
            n = images.stop - images.start
            cols = _columns(x[images].astype(dtype, copy=False), padded, geo, bt)
            gp = grad_tiles[:n]
            gp[:, :, : geo.out_w] = grad[images]
            s0, s1, s2, s3 = gp.strides
            gathered = scratch_buffer("wino_gathered", (m, n, t, geo.out_h, cout), dtype)
            np.copyto(gathered, as_strided(gp, gathered.shape, (s2, s0, m * s2, s1, s3)))
            points = scratch_buffer("wino_products", (a, cols.shape[1], cout), dtype)
            np.matmul(at.T, gathered.reshape(m, -1), out=points.reshape(a, -1))
            products += np.matmul(cols.transpose(0, 2, 1), points)
        return products

    products = functools.reduce(np.add, parallel.run_groups(run, chunks))
    dw = (g.T @ products.reshape(a, -1)).reshape(r, kh, cin, cout)
    return dw.transpose(1, 0, 2, 3)
