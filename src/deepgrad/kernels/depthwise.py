"""Depthwise convolution kernels on NHWC arrays: each input channel has its own filters.

A depthwise convolution is a sum over the ``kh * kw`` kernel taps of an elementwise
product: the tap's strided slice of the padded input times that tap's weights, one
per channel and depth multiplier. Output channel ``c * depth_multiplier + m`` comes
from input channel ``c`` and filter ``m``, as in TF and Keras. The backward pass runs
the same taps: each adds its share into the padded input gradient and reduces its
weight gradient over batch and positions. The tests hold both to
:func:`deepgrad.kernels.reference.depthwise_conv2d` and its backward.

>>> from deepgrad.kernels.geometry import conv_geometry
>>> x = np.ones((1, 3, 3, 2))
>>> geo = conv_geometry(x.shape, (2, 2, 2, 2))
>>> depthwise_forward(x, np.ones((2, 2, 2, 1)), geo)[0, :, :, 1]
array([[4., 4.],
       [4., 4.]])
"""

from __future__ import annotations

import numpy as np

from deepgrad.kernels.geometry import ConvGeometry

__all__ = ["depthwise_forward", "depthwise_backward"]


def _padded(x: np.ndarray, geo: ConvGeometry) -> np.ndarray:
    if not any(map(any, geo.pad)):
        return x
    return np.pad(x, ((0, 0), geo.pad[0], geo.pad[1], (0, 0)))


def _tap(i: int, j: int, geo: ConvGeometry) -> tuple[slice, slice, slice]:
    """The slice of the padded input that kernel tap ``(i, j)`` reads for every output."""
    rows = slice(i * geo.dh, i * geo.dh + geo.sh * (geo.out_h - 1) + 1, geo.sh)
    cols = slice(j * geo.dw, j * geo.dw + geo.sw * (geo.out_w - 1) + 1, geo.sw)
    return slice(None), rows, cols


def depthwise_forward(x: np.ndarray, kernel: np.ndarray, geo: ConvGeometry) -> np.ndarray:
    """Depthwise convolution of ``x`` (N, H, W, C) with ``kernel`` (kh, kw, C, multiplier).

    ``geo`` is the geometry of ``x`` with a ``(kh, kw, C, C * multiplier)`` kernel.
    Returns ``(N, out_h, out_w, C * multiplier)``.

    >>> from deepgrad.kernels.geometry import conv_geometry
    >>> x = np.arange(4.0).reshape(1, 1, 4, 1)
    >>> depthwise_forward(x, np.array([[[[1.0, 10.0]], [[1.0, 0.0]]]]),
    ...                   conv_geometry(x.shape, (1, 2, 1, 2)))[0, 0]
    array([[ 1.,  0.],
           [ 3., 10.],
           [ 5., 20.]])
    """
    dtype = np.result_type(x.dtype, kernel.dtype)
    n, c, m = geo.batch, geo.in_c, kernel.shape[3]
    xp = _padded(x, geo)
    y = np.zeros((n, geo.out_h, geo.out_w, c, m), dtype)
    tmp = np.empty_like(y)
    for i in range(geo.kh):
        for j in range(geo.kw):
            np.multiply(xp[_tap(i, j, geo)][..., None], kernel[i, j], out=tmp)
            y += tmp
    return y.reshape(n, geo.out_h, geo.out_w, c * m)


def depthwise_backward(
    x: np.ndarray,
    kernel: np.ndarray,
    grad: np.ndarray,
    geo: ConvGeometry,
    need_input: bool = True,
    need_weight: bool = True,
) -> tuple[np.ndarray | None, np.ndarray | None]:
    """Gradients of a depthwise convolution for its input and its kernel.

    Returns ``(dx, dkernel)``, each None when not requested.

    >>> from deepgrad.kernels.geometry import conv_geometry
    >>> x = np.ones((1, 3, 3, 1))
    >>> dx, dk = depthwise_backward(x, np.ones((2, 2, 1, 1)), np.ones((1, 2, 2, 1)),
    ...                             conv_geometry(x.shape, (2, 2, 1, 1)))
    >>> dx[0, :, :, 0], dk.ravel()
    (array([[1., 2., 1.],
           [2., 4., 2.],
           [1., 2., 1.]]), array([4., 4., 4., 4.]))
    """
    dtype = np.result_type(x.dtype, kernel.dtype, grad.dtype)
    c, m = geo.in_c, kernel.shape[3]
    g5 = grad.reshape(geo.batch, geo.out_h, geo.out_w, c, m)
    xp = _padded(x, geo) if need_weight else None
    dk = np.empty(kernel.shape, dtype) if need_weight else None
    dxp = None
    if need_input:
        dxp = np.zeros((geo.batch, geo.padded_h, geo.padded_w, c), dtype)
    for i in range(geo.kh):
        for j in range(geo.kw):
            tap = _tap(i, j, geo)
            if need_weight:
                dk[i, j] = np.einsum("nhwc,nhwcm->cm", xp[tap], g5)
            if need_input:
                if m == 1:
                    dxp[tap] += g5[..., 0] * kernel[i, j, :, 0]
                else:
                    dxp[tap] += np.einsum("nhwcm,cm->nhwc", g5, kernel[i, j])
    dx = None
    if need_input:
        (top, _), (left, _) = geo.pad
        dx = np.ascontiguousarray(dxp[:, top : top + geo.in_h, left : left + geo.in_w])
    return dx, dk
