"""A 1x1 convolution with no padding: a plain matrix product of the images' rows
(``N * H * W`` rows of ``Cin`` numbers) with the kernel matrix ``(Cin, Cout)``. With a
stride, the rows are every ``stride``-th pixel (a strided view, copied once into rows),
and the input gradient goes back to those pixels, zero elsewhere (ResNet50's strided
1x1 layers: ``benchmarks/kernel_choices_apps.py strided_pointwise``).

No columns to build, so none of :mod:`deepgrad.kernels.conv_gemm`'s im2col; the
backward pass goes a chunk of images at a time, as that path does (the same
:func:`~deepgrad.kernels.conv_gemm.chunk_images`), so that a ReLU-masked gradient chunk
stays in the cache for its two products. :mod:`deepgrad.kernels.conv` decides when this
path runs.

>>> from deepgrad.kernels.geometry import conv_geometry
>>> x = np.arange(4.0).reshape(1, 2, 2, 1)
>>> forward(x, np.array([[2.0]]), conv_geometry(x.shape, (1, 1, 1, 1)))[0, :, :, 0]
array([[0., 2.],
       [4., 6.]])
"""

from __future__ import annotations

import numpy as np

from deepgrad.kernels import parallel
from deepgrad.kernels.activation import relu_clip
from deepgrad.kernels.conv_gemm import chunk_images, summed
from deepgrad.kernels.geometry import ConvGeometry
from deepgrad.kernels.parallel import MAX_THREADS, chunks, run_groups
from deepgrad.kernels.scratch import scratch_buffer

__all__ = ["ROWS_BYTES", "forward", "backward"]

# Bytes of input and output rows a block of the forward product holds: its bias and ReLU
# run on the block while it is in the cache instead of in passes over the whole output
# (ResNet50's 1x1 layers: ``benchmarks/kernel_choices_apps.py pointwise_blocks``).
ROWS_BYTES = 2 << 20


def forward(
    x: np.ndarray,
    w2: np.ndarray,
    geo: ConvGeometry,
    bias: np.ndarray | None = None,
    relu: bool = False,
    ceiling: float | None = None,
    residual: np.ndarray | None = None,
) -> np.ndarray:
    """A 1x1 unpadded convolution (``geo.is_pointwise``): the images' rows (every
    stride-th pixel) times ``w2`` (Cin, Cout), bias, ``residual`` (an array of the
    output's shape) and ReLU (capped at ``ceiling`` when given) in place, each block of
    rows while it is in the cache.

    >>> from deepgrad.kernels.geometry import conv_geometry
    >>> x = np.ones((1, 2, 2, 1))
    >>> forward(x, np.array([[2.0]]), conv_geometry(x.shape, (1, 1, 1, 1)),
    ...         bias=np.array([-3.0]), relu=True)[0, :, :, 0]
    array([[0., 0.],
           [0., 0.]])
    """
    rows = _rows(x, geo)
    m, cout = rows.shape[0], w2.shape[1]
    dtype = np.result_type(rows.dtype, w2.dtype)
    step = parallel.chunk_size(m, max(1, ROWS_BYTES // ((geo.in_c + cout) * dtype.itemsize)))

    extra = None if residual is None else residual.reshape(m, cout)

    def finish(y: np.ndarray, part: slice = slice(None)) -> None:
        if bias is not None:
            y += bias
        if extra is not None:
            y += extra[part]
        if relu:
            relu_clip(y, high=ceiling)

    if (bias is None and not relu and extra is None) or step * MAX_THREADS >= m:
        y = parallel.matmul(rows, w2)  # the output fits the caches: one product, then
        finish(y)
    else:  # bias, residual and ReLU on each block of rows while it is in the cache
        y = np.empty((m, cout), dtype)

        def run(group: list[slice]) -> None:
            for part in group:
                finish(np.matmul(rows[part], w2, out=y[part]), part)

        run_groups(run, chunks(m, step))
    return y.reshape(geo.batch, geo.out_h, geo.out_w, cout)


def _rows(x: np.ndarray, geo: ConvGeometry) -> np.ndarray:
    """The pixels a 1x1 convolution reads, as rows of channels (a copy when strided)."""
    if (geo.sh, geo.sw) != (1, 1):
        x = x[:, :: geo.sh, :: geo.sw]
    return x.reshape(-1, geo.in_c)


def backward(
    x: np.ndarray | None,
    w2: np.ndarray,
    grad: np.ndarray,
    geo: ConvGeometry,
    need_input: bool = True,
    need_weight: bool = True,
    need_bias: bool = False,
    relu_output: np.ndarray | None = None,
    dw_out: np.ndarray | None = None,
) -> tuple[np.ndarray | None, ...]:
    """Gradients of :func:`forward`, a chunk of images at a time; arguments and results as
    :func:`deepgrad.kernels.conv.conv_backward`.

    >>> from deepgrad.kernels.geometry import conv_geometry
    >>> geo = conv_geometry((1, 2, 2, 1), (1, 1, 1, 1))
    >>> dx, dw, _ = backward(np.ones((1, 2, 2, 1)), np.array([[3.0]]), np.ones((1, 2, 2, 1)), geo)
    >>> dx[0, :, :, 0], dw
    (array([[3., 3.],
           [3., 3.]]), array([[4.]]))
    """
    dtype = np.result_type(grad.dtype, w2.dtype)
    cout = w2.shape[1]
    per_image = geo.out_h * geo.out_w
    g2 = grad.reshape(-1, cout)
    y2 = None if relu_output is None else relu_output.reshape(-1, cout)
    nb = chunk_images(geo, dtype.itemsize)
    strided = (geo.sh, geo.sw) != (1, 1)
    dx = None
    if need_input:
        dx = (np.zeros if strided else np.empty)((geo.batch, geo.in_h, geo.in_w, geo.in_c), dtype)

    def run(group: list[slice]) -> tuple:
        masked = None if y2 is None else scratch_buffer("masked", (nb * per_image, cout), dtype)
        dw = np.zeros(w2.shape, dtype) if need_weight else None
        db = np.zeros(cout, dtype) if need_bias else None
        for images in group:
            start, stop = images.start, images.stop
            lo, rows = start * per_image, (stop - start) * per_image
            gc = g2[lo : lo + rows]
            if y2 is not None:
                gc = np.multiply(gc, y2[lo : lo + rows] > 0, out=masked[:rows])
            if need_bias:
                db += np.add.reduce(gc, axis=0)
            if need_weight:
                dw += _rows(x[images], geo).T @ gc
            if need_input:
                rows = (gc @ w2.T).reshape(stop - start, geo.out_h, geo.out_w, geo.in_c)
                if strided:
                    dx[images, :: geo.sh, :: geo.sw] = rows
                else:
                    dx[images] = rows
        return dw, db

    parts = run_groups(run, chunks(geo.batch, nb))
    dw = summed([p[0] for p in parts], dw_out) if need_weight else None
    db = summed([p[1] for p in parts]) if need_bias else None
    return dx, dw, db
