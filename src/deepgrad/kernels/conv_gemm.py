"""Convolution as matrix products: im2col, col2im, and the chunked forward and backward.

No autograd here, and no choice of path: :mod:`deepgrad.kernels.conv` decides when this
path runs (it is the general one: any stride, dilation and padding), and
:mod:`deepgrad.kernels.reference` is the plain version the tests hold it to.

How a convolution runs. The input is padded, and an ``as_strided`` view lays every
receptive field out as one row of ``kh * kw * cin`` numbers, in ``(kh, kw, cin)``
order, so that the Keras kernel ``(kh, kw, cin, cout)`` reshapes for free to a
``(kh * kw * cin, cout)`` matrix. Copying that view into a buffer (im2col) and one
matrix product give the output; bias and ReLU are applied in place. The backward
pass is two more products, ``dW = cols.T @ dY`` and ``dcols = dY @ W.T``, and a col2im
that adds ``kh * kw`` strided slices of ``dcols`` into the padded input gradient.

Why in chunks. The column matrix is ``kh * kw`` times larger than the input (80 MB for
the second layer of the course CNN at batch 128), so writing it out and reading it back
would cost more than the arithmetic. The batch is processed a few images at a time,
with a column buffer small enough to stay in the CPU cache, and the backward pass
rebuilds each chunk's columns instead of keeping them all from the forward pass.

Few input channels (a first layer on grey or RGB images): the columns are built
transposed, ``(kh * kw * cin, rows)``, so each copied run is an image row rather than
``kw * cin`` numbers; BLAS reads the transposed matrix at no cost.

>>> from deepgrad.kernels.geometry import conv_geometry
>>> x = np.arange(16, dtype=np.float32).reshape(1, 4, 4, 1)
>>> geo = conv_geometry(x.shape, (2, 2, 1, 1), strides=(2, 2), padding="valid")
>>> forward(x, np.ones((4, 1), np.float32), geo)[0, :, :, 0]
array([[10., 18.],
       [42., 50.]], dtype=float32)
"""

from __future__ import annotations

import functools
import math

import numpy as np
from numpy.lib.stride_tricks import as_strided

from deepgrad.kernels import parallel
from deepgrad.kernels.activation import relu_clip
from deepgrad.kernels.geometry import ConvGeometry, pooled_output
from deepgrad.kernels.parallel import chunks, run_groups
from deepgrad.kernels.pool import max_of
from deepgrad.kernels.scratch import scratch_buffer

__all__ = ["CHUNK_BYTES", "chunk_images", "im2col", "col2im", "forward", "backward"]

# Bytes of im2col columns and output rows handled at a time: small enough to stay in
# the CPU's last-level cache, large enough that BLAS runs at full speed and its threads
# synchronise rarely (whole course-CNN steps against 2 and 8 MB:
# ``benchmarks/kernel_choices.py gemm_chunk``).
CHUNK_BYTES = 4 << 20
# Up to this many input channels the columns are built transposed (see above;
# ``benchmarks/kernel_choices.py transposed_columns``).
FEW_CHANNELS = 4


def summed(arrays: list[np.ndarray], out: np.ndarray | None = None) -> np.ndarray:
    """The sum of ``arrays`` (the groups' partial sums), first to last, into ``out`` when
    given (a training step's gradient buffer: no second kernel-sized array).

    >>> summed([np.ones(2), np.ones(2), np.ones(2)], out=np.empty(2))
    array([3., 3.])
    """
    if out is None:
        return functools.reduce(np.add, arrays)
    if len(arrays) == 1:
        np.copyto(out, arrays[0])
        return out
    np.add(arrays[0], arrays[1], out=out)
    for a in arrays[2:]:
        out += a
    return out


def chunk_images(geo: ConvGeometry, itemsize: int) -> int:
    """Images per chunk: a chunk's columns and its output rows should both fit
    :data:`CHUNK_BYTES`."""
    per_image = geo.out_h * geo.out_w * (geo.patch + geo.out_c) * itemsize
    return parallel.chunk_size(geo.batch, CHUNK_BYTES // max(per_image, 1))


def _transposed(geo: ConvGeometry) -> bool:
    return geo.in_c <= FEW_CHANNELS


def _has_padding(geo: ConvGeometry) -> bool:
    return any(map(any, geo.pad))


def _padded_buffer(geo: ConvGeometry, images: int, dtype, slot: str = "padded") -> np.ndarray:
    buffer = scratch_buffer(slot, (images, geo.padded_h, geo.padded_w, geo.in_c), dtype)
    buffer.fill(0)
    return buffer


def _pad_into(buffer: np.ndarray | None, x: np.ndarray, geo: ConvGeometry) -> np.ndarray:
    """``x`` placed inside ``buffer``'s zero border (``x`` itself when there is no padding)."""
    if buffer is None:
        return x
    (top, _), (left, _) = geo.pad
    b = x.shape[0]
    buffer[:b, top : top + geo.in_h, left : left + geo.in_w] = x
    return buffer[:b]


def im2col(
    xp: np.ndarray,
    geo: ConvGeometry,
    out: np.ndarray | None = None,
    transposed: bool = False,
    pool: tuple[int, int] = (1, 1),
) -> np.ndarray:
    """Columns of a padded NHWC batch: ``(b * out_h * out_w, kh * kw * in_c)``.

    With ``transposed=True`` the same matrix is built transposed, ``(patch, rows)``. With
    ``pool=(ph, pw)`` the rows are the outputs that a ``'valid'`` max pool of that window
    (strides equal to it) reads, ordered by the cell of the window first: ``(i, j,
    image, oy, ox)`` for output ``(ph * oy + i, pw * ox + j)``. Each cell's rows are then
    one block, and the pool is a running max over ``ph * pw`` blocks.

    >>> from deepgrad.kernels.geometry import conv_geometry
    >>> xp = np.arange(9.0).reshape(1, 3, 3, 1)
    >>> im2col(xp, conv_geometry(xp.shape, (2, 2, 1, 1)))
    array([[0., 1., 3., 4.],
           [1., 2., 4., 5.],
           [3., 4., 6., 7.],
           [4., 5., 7., 8.]])
    >>> im2col(xp, conv_geometry(xp.shape, (2, 2, 1, 1)), pool=(1, 2))  # columns 0, 1
    array([[0., 1., 3., 4.],
           [3., 4., 6., 7.],
           [1., 2., 4., 5.],
           [4., 5., 7., 8.]])
    """
    b = xp.shape[0]
    (ph, pw), s0, (s1, s2, s3) = pool, xp.strides[0], xp.strides[1:]
    oh, ow = geo.out_h // ph, geo.out_w // pw
    shape = (ph, pw, b, oh, ow, geo.kh, geo.kw, geo.in_c)
    strides = (s1 * geo.sh, s2 * geo.sw, s0, s1 * geo.sh * ph, s2 * geo.sw * pw,
               s1 * geo.dh, s2 * geo.dw, s3)
    rows = ph * pw * b * oh * ow
    if out is None:
        out = np.empty((geo.patch, rows) if transposed else (rows, geo.patch), xp.dtype)
    # The destination as the same eight axes, whatever the strides of ``out``.
    row_stride, patch_stride = out.strides[::-1] if transposed else out.strides
    dest_strides = tuple(row_stride * math.prod(shape[i + 1 : 5]) for i in range(5)) + (
        geo.kw * geo.in_c * patch_stride, geo.in_c * patch_stride, patch_stride,
    )
    if transposed:
        shape, strides, dest_strides = shape[5:] + shape[:5], strides[5:] + strides[:5], (
            dest_strides[5:] + dest_strides[:5]
        )
    dest = as_strided(out, shape, dest_strides)
    np.copyto(dest, as_strided(xp, shape, strides, writeable=False))
    return out


def col2im(
    cols: np.ndarray, geo: ConvGeometry, out: np.ndarray, transposed: bool = False
) -> np.ndarray:
    """Add column gradients onto a zeroed padded input gradient ``out`` (b, Hp, Wp, C).

    Overlapping receptive fields accumulate, as ``np.add.at`` would, without its cost:
    one strided slice per kernel tap or, with ``dilation 1`` along the width, one slice
    per kernel row and output column, whose ``kw * in_c`` numbers are contiguous.

    >>> from deepgrad.kernels.geometry import conv_geometry
    >>> geo = conv_geometry((1, 3, 3, 1), (2, 2, 1, 1))
    >>> col2im(np.ones((4, 4)), geo, np.zeros((1, 3, 3, 1)))[0, :, :, 0]
    array([[1., 2., 1.],
           [2., 4., 2.],
           [1., 2., 1.]])
    """
    b = out.shape[0]
    h_span, w_span = geo.sh * (geo.out_h - 1) + 1, geo.sw * (geo.out_w - 1) + 1
    if transposed:
        taps = cols.reshape(geo.kh, geo.kw, geo.in_c, b, geo.out_h, geo.out_w)
        taps = taps.transpose(0, 1, 3, 4, 5, 2)
    else:
        taps = cols.reshape(b, geo.out_h, geo.out_w, geo.kh, geo.kw, geo.in_c)
    for i in range(geo.kh):
        rows = slice(i * geo.dh, i * geo.dh + h_span, geo.sh)
        if geo.dw == 1 and not transposed and geo.out_w < 4 * geo.kw:
            for c in range(geo.out_w):
                start = c * geo.sw
                out[:, rows, start : start + geo.kw] += taps[:, :, c, i]
            continue
        for j in range(geo.kw):
            columns = slice(j * geo.dw, j * geo.dw + w_span, geo.sw)
            out[:, rows, columns] += taps[i, j] if transposed else taps[:, :, :, i, j]
    return out


def forward(
    x: np.ndarray,
    w2: np.ndarray,
    geo: ConvGeometry,
    bias: np.ndarray | None = None,
    relu: bool = False,
    pool: tuple[int, int] | None = None,
    argmax: np.ndarray | None = None,
    ceiling: float | None = None,
) -> np.ndarray:
    """Convolve ``x`` (N, H, W, Cin) with the kernel matrix ``w2`` (kh*kw*Cin, Cout) by im2col.

    Returns the output ``(N, out_h, out_w, Cout)``, bias and ReLU (capped at ``ceiling``
    when given) applied in place. With
    ``pool=(ph, pw)`` each chunk's output is max-pooled (strides equal to the window,
    ``'valid'``) while it is in the cache, and the pooled ``(N, out_h // ph, out_w // pw,
    Cout)`` is returned; ``argmax`` (uint8, the pooled shape), when given, receives each
    window's winning cell (:func:`~deepgrad.kernels.pool.max_of`).

    >>> from deepgrad.kernels.geometry import conv_geometry
    >>> x = np.ones((1, 3, 3, 1), np.float32)
    >>> geo = conv_geometry(x.shape, (2, 2, 1, 1), padding="same")
    >>> forward(x, np.ones((4, 1), np.float32), geo)[0, :, :, 0]
    array([[4., 4., 2.],
           [4., 4., 2.],
           [2., 2., 1.]], dtype=float32)
    """
    dtype = np.result_type(x.dtype, w2.dtype)
    cout = w2.shape[1]
    per_image = geo.out_h * geo.out_w
    y = np.empty((geo.batch * per_image, cout), dtype) if pool is None else None
    pooled = None if pool is None else pooled_output(geo, pool, dtype)
    window = pool or (1, 1)  # the rows of a pooled chunk come window cell by cell (im2col)
    if pool is not None:  # rows per image: the outputs the pool reads
        per_image = math.prod(window) * pooled.shape[1] * pooled.shape[2]
    nb = chunk_images(geo, dtype.itemsize)
    transposed = _transposed(geo)
    bias_row = transposed and bias is not None
    if bias_row:
        # A row of ones under the transposed columns adds the bias inside the product.
        w2 = np.concatenate([w2, bias.reshape(1, cout).astype(w2.dtype)])
        bias = None

    def run(group: list[slice]) -> None:
        padded = _padded_buffer(geo, nb, x.dtype) if _has_padding(geo) else None
        if transposed:
            cols = scratch_buffer("cols", (geo.patch + bias_row, nb * per_image), dtype)
            if bias_row:
                cols[-1] = 1
        else:
            cols = scratch_buffer("cols", (nb * per_image, geo.patch), dtype)
        unpooled = None
        if pool is not None:
            unpooled = scratch_buffer("unpooled", (nb * per_image, cout), dtype)
        for images in group:
            n = images.stop - images.start
            rows = n * per_image
            if pool is None:
                yc = y[images.start * per_image : images.start * per_image + rows]
            else:
                yc = unpooled[:rows]
            xp = _pad_into(padded, x[images], geo)
            if transposed:
                im2col(xp, geo, cols[: geo.patch, :rows], transposed=True, pool=window)
                np.matmul(cols[:, :rows].T, w2, out=yc)
            else:
                np.matmul(im2col(xp, geo, cols[:rows], pool=window), w2, out=yc)
            if pool is not None:
                # max(a + b) = max(a) + b and max(relu) = relu(max), exactly: both after.
                won = None if argmax is None else argmax[images].reshape(-1, cout)
                cells = list(yc.reshape(math.prod(window), -1, cout))
                yc = max_of(cells, pooled[images].reshape(-1, cout), won)
            if bias is not None:
                yc += bias
            if relu:
                relu_clip(yc, high=ceiling)

    run_groups(run, chunks(geo.batch, nb))
    return pooled if pool is not None else y.reshape(geo.batch, geo.out_h, geo.out_w, cout)


def backward(
    x: np.ndarray | None,
    w2: np.ndarray,
    grad: np.ndarray,
    geo: ConvGeometry,
    need_input: bool = True,
    need_weight: bool = True,
    need_bias: bool = False,
    relu_output: np.ndarray | None = None,
    masked_out: np.ndarray | None = None,
    dw_out: np.ndarray | None = None,
) -> tuple[np.ndarray | None, ...]:
    """Gradients of :func:`forward` for its input (by col2im), its kernel matrix and its bias:
    arguments and results as :func:`deepgrad.kernels.conv.conv_backward` (a ReLU output
    masks the gradient a chunk at a time, ``dw_out`` receives the kernel matrix's), and
    ``masked_out``, an ``(N * out_h * out_w, Cout)`` array that receives the whole masked
    gradient (for an input gradient computed after, another way).

    >>> from deepgrad.kernels.geometry import conv_geometry
    >>> geo = conv_geometry((1, 3, 3, 1), (2, 2, 1, 1))
    >>> dx, dw, db = backward(np.ones((1, 3, 3, 1)), np.ones((4, 1)), np.ones((1, 2, 2, 1)),
    ...                       geo, need_bias=True)
    >>> dx[0, :, :, 0], dw.ravel(), db
    (array([[1., 2., 1.],
           [2., 4., 2.],
           [1., 2., 1.]]), array([4., 4., 4., 4.]), array([4.]))
    """
    dtype = np.result_type(grad.dtype, w2.dtype)
    cout = w2.shape[1]
    per_image = geo.out_h * geo.out_w
    g2 = grad.reshape(-1, cout)
    y2 = None if relu_output is None else relu_output.reshape(-1, cout)
    nb = chunk_images(geo, dtype.itemsize)
    transposed = _transposed(geo)
    # Transposed columns get a row of ones, so that the kernel-gradient product also sums
    # the bias gradient (as the forward adds the bias), where a separate column sum over
    # that many rows would cost about as much as the product
    # (``benchmarks/kernel_choices.py bias_in_the_product``).
    bias_row = transposed and need_bias and need_weight
    dx = np.empty((geo.batch, geo.in_h, geo.in_w, geo.in_c), dtype) if need_input else None
    padded = _has_padding(geo)
    if y2 is None:
        masked_out = None
    (top, _), (left, _) = geo.pad

    def run(group: list[slice]) -> tuple:
        shape = (geo.patch + bias_row, nb * per_image) if transposed else (nb * per_image,
                                                                           geo.patch)
        cols = scratch_buffer("cols", shape, dtype)
        if bias_row:
            cols[-1] = 1
        x_buffer = _padded_buffer(geo, nb, x.dtype) if padded and need_weight else None
        dx_buffer = _padded_buffer(geo, nb, dtype, "dx_padded") if padded and need_input else None
        masked = None
        if y2 is not None and masked_out is None:
            masked = scratch_buffer("masked", (nb * per_image, cout), dtype)
        dw = np.zeros(w2.shape, dtype) if need_weight else None
        db = np.zeros(cout, dtype) if need_bias else None
        for images in group:
            start, stop = images.start, images.stop
            lo, rows = start * per_image, (stop - start) * per_image
            gc = g2[lo : lo + rows]
            if y2 is not None:
                target = masked_out[lo : lo + rows] if masked_out is not None else masked[:rows]
                gc = np.multiply(gc, y2[lo : lo + rows] > 0, out=target)
            if need_bias and not bias_row:
                db += np.add.reduce(gc, axis=0)
            if need_weight:
                xp = _pad_into(x_buffer, x[images], geo)
                c = cols[: geo.patch, :rows] if transposed else cols[:rows]
                c = im2col(xp, geo, c, transposed)
                if bias_row:
                    product = cols[:, :rows] @ gc
                    dw += product[:-1]
                    db += product[-1]
                else:
                    dw += (c if transposed else c.T) @ gc
            if need_input:
                if transposed:
                    dc = np.matmul(w2, gc.T, out=cols[: geo.patch, :rows])
                else:
                    dc = np.matmul(gc, w2.T, out=cols[:rows])
                target = dx_buffer[: stop - start] if padded else dx[images]
                target.fill(0)
                col2im(dc, geo, target, transposed)
                if padded:
                    dx[images] = target[:, top : top + geo.in_h, left : left + geo.in_w]
        return dw, db

    parts = run_groups(run, chunks(geo.batch, nb))
    dw = summed([p[0] for p in parts], dw_out) if need_weight else None
    db = summed([p[1] for p in parts]) if need_bias else None
    return dx, dw, db

