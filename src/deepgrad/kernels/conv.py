"""2-D convolution on raw arrays: which path computes it.

How a convolution works is in :mod:`deepgrad.kernels.reference`, a few dozen plain
lines; read that first. This module only chooses, for one convolution, the fastest of
the paths that compute the same thing, each in its own module and each tested against
the reference:

- :mod:`~deepgrad.kernels.winograd`: stride 1, no dilation, kernels up to 5x5, at least
  8 input channels. Fewer multiplications, a few millionths of relative error in float32.
- :mod:`~deepgrad.kernels.pointwise`: a 1x1 kernel, stride 1, no padding, is one
  matrix product.
- :mod:`~deepgrad.kernels.conv_gemm`: everything else, im2col and matrix products a
  chunk of images at a time.

The input gradient of a stride-1 convolution is itself a convolution (of the padded
output gradient with the flipped kernel), so it goes through this same choice and gets
Winograd where that applies; only where the batch has too few positions for its rows
(:data:`FLIP_MIN_ROWS`) is it im2col's col2im. A max pool right after a convolution
(``ops.conv2d_max_pool``) is taken inside each chunk where the path can
(:func:`pools_in_chunks`), so the full output is never written out. Which path is
faster where is measured by ``benchmarks/conv_ops.py`` (each layer of the course CNN)
and ``benchmarks/kernel_choices.py`` (the thresholds).

>>> from deepgrad.kernels.geometry import conv_geometry
>>> x = np.arange(16, dtype=np.float32).reshape(1, 4, 4, 1)
>>> geo = conv_geometry(x.shape, (2, 2, 1, 1), strides=(2, 2), padding="valid")
>>> conv_forward(x, np.ones((4, 1), np.float32), geo)[0, :, :, 0]
array([[10., 18.],
       [42., 50.]], dtype=float32)
"""

from __future__ import annotations

import numpy as np

from deepgrad.kernels import conv_gemm, pointwise, winograd
from deepgrad.kernels.activation import relu_clip
from deepgrad.kernels.geometry import ConvGeometry, conv_geometry, pooled_output
from deepgrad.kernels.pool import max_pool2d, max_pool_into

__all__ = [
    "FLIP_MIN_ROWS", "pools_in_chunks", "conv_forward", "conv_backward", "conv_input_grad",
    "flipped_geometry",
]

# A stride-1 input gradient is a convolution with the flipped kernel where the batch
# has at least FLIP_MIN_ROWS times as many input positions as the flipped kernel
# matrix has rows (kh * kw * cout), else col2im: the flip took 0.3-0.7x col2im's time
# from 4 input channels on, with or without Winograd, and 1.22x on ResNet50's 7x7x512
# layers at batch 8 (``benchmarks/kernel_choices.py flipped_input_grad``).
FLIP_MIN_ROWS = 1.0


def pools_in_chunks(geo: ConvGeometry, pool: tuple[int, int], dtype) -> bool:
    """Whether :func:`conv_forward` with ``pool`` pools each chunk while it is in the
    cache, and so can report the winners: on the im2col path always, on the Winograd
    path where the window divides the tiles (:func:`winograd.pools_in_tiles`); a 1x1
    kernel's output is pooled whole.

    >>> pools_in_chunks(conv_geometry((32, 16, 16, 32), (3, 3, 32, 32)), (3, 3), np.float32)
    False
    """
    if winograd.applies(geo, dtype):
        return winograd.pools_in_tiles(geo, pool)
    return not geo.is_pointwise


def conv_forward(
    x: np.ndarray,
    w2: np.ndarray,
    geo: ConvGeometry,
    bias: np.ndarray | None = None,
    relu: bool = False,
    pool: tuple[int, int] | None = None,
    argmax: np.ndarray | None = None,
    ceiling: float | None = None,
    residual: np.ndarray | None = None,
) -> np.ndarray:
    """Convolve ``x`` (N, H, W, Cin) with the kernel matrix ``w2`` (kh*kw*Cin, Cout).

    Returns the output ``(N, out_h, out_w, Cout)``, bias and ReLU applied in place (with
    ``ceiling``, ReLU also caps at it: ReLU6). ``residual``, an array of the output's
    shape, is added before the ReLU (a residual block's sum): on the 1x1 path to each
    block of rows while it is in the cache, on the others as one pass (no pool then).
    With ``pool=(ph, pw)`` the output is also max-pooled (strides equal to the window,
    ``'valid'``) and the pooled ``(N, out_h // ph, out_w // pw, Cout)`` is returned.
    Where :func:`pools_in_chunks` holds, ``argmax`` (uint8, the pooled shape) receives
    each window's winning cell, for :func:`~deepgrad.kernels.pool.max_unpool` (training).

    >>> x = np.ones((1, 3, 3, 1), np.float32)
    >>> geo = conv_geometry(x.shape, (2, 2, 1, 1), padding="same")
    >>> conv_forward(x, np.ones((4, 1), np.float32), geo)[0, :, :, 0]
    array([[4., 4., 2.],
           [4., 4., 2.],
           [2., 2., 1.]], dtype=float32)
    """
    dtype = np.result_type(x.dtype, w2.dtype)
    if argmax is not None and (pool is None or not pools_in_chunks(geo, pool, dtype)):
        raise ValueError(f"conv_forward: no winners of pool {pool} after {geo}")
    if residual is not None:
        shape = (geo.batch, geo.out_h, geo.out_w, geo.out_c)
        if pool is not None or residual.shape != shape:
            raise ValueError(f"conv_forward: a residual of shape {residual.shape} after {geo} "
                             f"(expected {shape}, and no pool)")
        if geo.is_pointwise:  # (Winograd never takes a 1x1 kernel)
            return pointwise.forward(x, w2, geo, bias, relu, ceiling, residual)
        y = conv_forward(x, w2, geo, bias)
        y += residual
        return relu_clip(y, high=ceiling) if relu else y
    if winograd.applies(geo, dtype):
        kernel = w2.reshape(geo.kh, geo.kw, geo.in_c, geo.out_c)
        if pool is None or winograd.pools_in_tiles(geo, pool):
            return winograd.forward(x, kernel, geo, bias, relu, pool or (1, 1), argmax, ceiling)
        y = winograd.forward(x, kernel, geo, bias, relu, ceiling=ceiling)
        return max_pool2d(y, pool, pool, "valid", False)[0]
    if geo.is_pointwise:
        y = pointwise.forward(x, w2, geo, bias, relu, ceiling)
        return y if pool is None else max_pool_into(y, pool, pooled_output(geo, pool, dtype))
    return conv_gemm.forward(x, w2, geo, bias, relu, pool, argmax, ceiling)


def conv_backward(
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
    """Gradients of a convolution for its input, its kernel matrix and its bias.

    Args:
        x: the forward input (N, H, W, Cin); only read for the kernel gradient.
        w2: the kernel matrix (kh*kw*Cin, Cout).
        grad: the output gradient (N, out_h, out_w, Cout); never modified.
        geo: the geometry of the forward convolution.
        need_input, need_weight, need_bias: which gradients to compute. Skipping the
            input gradient (a first layer) saves a product and the col2im.
        relu_output: the forward output when ReLU was fused; the gradient is masked
            where it is zero.
        dw_out: an array of ``w2``'s shape and the result's dtype, C-contiguous, that
            receives the kernel matrix's gradient (and is returned as it).

    Returns:
        ``(dx, dw2, db)``, each None when not requested.

    >>> geo = conv_geometry((1, 3, 3, 1), (2, 2, 1, 1))
    >>> dx, dw, db = conv_backward(np.ones((1, 3, 3, 1)), np.ones((4, 1)), np.ones((1, 2, 2, 1)),
    ...                            geo, need_bias=True)
    >>> dx[0, :, :, 0], dw.ravel(), db
    (array([[1., 2., 1.],
           [2., 4., 2.],
           [1., 2., 1.]]), array([4., 4., 4., 4.]), array([4.]))
    """
    dtype = np.result_type(grad.dtype, w2.dtype)
    if need_weight and winograd.applies(geo, dtype):
        g2 = grad.reshape(-1, geo.out_c)
        if relu_output is not None:
            g2 = np.multiply(g2, relu_output.reshape(g2.shape) > 0)
        masked = g2.reshape(grad.shape)
        dw = winograd.weight_grad(x, masked, geo, dw_out).reshape(w2.shape)
        db = np.add.reduce(g2, axis=0) if need_bias else None
        return (conv_input_grad(masked, w2, geo) if need_input else None), dw, db
    needs = (need_input, need_weight, need_bias, relu_output)
    if geo.is_pointwise:
        return pointwise.backward(x, w2, grad, geo, *needs, dw_out=dw_out)
    if not (need_input and flipped_geometry(geo, grad.shape) is not None):
        return conv_gemm.backward(x, w2, grad, geo, *needs, dw_out=dw_out)
    # The input gradient comes after, as a convolution that reads the masked gradient whole.
    masked = None if relu_output is None else np.empty((grad.size // geo.out_c, geo.out_c), dtype)
    _, dw, db = conv_gemm.backward(x, w2, grad, geo, False, *needs[1:], masked_out=masked,
                                   dw_out=dw_out)
    return conv_input_grad(grad if masked is None else masked.reshape(grad.shape), w2, geo), dw, db


def conv_input_grad(grad: np.ndarray, w2: np.ndarray, geo: ConvGeometry) -> np.ndarray:
    """Gradient of a convolution for its input: the transposed convolution of ``grad``.

    Args:
        grad: the output gradient (N, out_h, out_w, Cout).
        w2: the kernel matrix (kh*kw*Cin, Cout).
        geo: the geometry of the forward convolution.

    Returns:
        ``(N, H, W, Cin)``.

    >>> geo = conv_geometry((1, 3, 3, 1), (2, 2, 1, 1))
    >>> conv_input_grad(np.ones((1, 2, 2, 1)), np.ones((4, 1)), geo)[0, :, :, 0]
    array([[1., 2., 1.],
           [2., 4., 2.],
           [1., 2., 1.]])
    """
    flip = flipped_geometry(geo, grad.shape)
    if flip is not None:
        kernel = w2.reshape(geo.kh, geo.kw, geo.in_c, geo.out_c)
        flipped = kernel[::-1, ::-1].transpose(0, 1, 3, 2).reshape(-1, geo.in_c)
        return conv_forward(grad, np.ascontiguousarray(flipped), flip)
    dx, _, _ = conv_backward(None, w2, grad, geo, need_input=True, need_weight=False)
    return dx


def flipped_geometry(geo: ConvGeometry, grad_shape) -> ConvGeometry | None:
    """The geometry of the input gradient of ``geo`` as a convolution of the output
    gradient with the flipped kernel, where that is the faster way (else None).

    >>> flipped_geometry(conv_geometry((1, 9, 9, 8), (3, 3, 8, 4)), (1, 7, 7, 4)).pad
    ((2, 2), (2, 2))
    """
    if (geo.sh, geo.sw) != (1, 1) or geo.is_pointwise:
        return None
    if geo.batch * geo.in_h * geo.in_w < FLIP_MIN_ROWS * geo.kh * geo.kw * geo.out_c:
        return None
    pads = []
    for (top, _), size, out, k, d in (
        (geo.pad[0], geo.in_h, geo.out_h, geo.kh, geo.dh),
        (geo.pad[1], geo.in_w, geo.out_w, geo.kw, geo.dw),
    ):
        before, after = (k - 1) * d - top, size - out + top
        if before < 0 or after < 0:
            return None
        pads.append((before, after))
    shape = (geo.kh, geo.kw, geo.out_c, geo.in_c)
    return conv_geometry(grad_shape, shape, (1, 1), tuple(pads), (geo.dh, geo.dw))
