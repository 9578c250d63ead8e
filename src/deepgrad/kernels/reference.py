"""Convolution and pooling, written plainly: how they work, and what the fast paths must equal.

Read this first. The fast kernels (:mod:`deepgrad.kernels.conv` and the paths it picks,
:mod:`deepgrad.kernels.pool`, :mod:`deepgrad.kernels.depthwise`) compute the same numbers
with less memory traffic, and the tests hold every one of them to the functions here.
Arrays are NHWC, kernels have Keras's shapes, padding follows Keras (``'same'`` puts the
odd cell after; :func:`~deepgrad.kernels.geometry.resolve_padding`).

A window of ``kh x kw`` cells slides over the padded image with a stride; with dilation
``d`` its cells are ``d`` pixels apart. Cell ``(i, j)`` of every window, for all output
positions at once, is one strided slice of the padded image (:func:`window_cells`).

- **Convolution** (Keras's, which is a cross-correlation): stack the cells of each
  window into one row of ``kh * kw * cin`` numbers (im2col: the columns of the image);
  the Keras kernel ``(kh, kw, cin, cout)`` reshaped to ``(kh * kw * cin, cout)`` then
  gives every output in one matrix product. Backward: the kernel gradient is
  ``columns.T @ grad``, and the input gradient ``grad @ kernel.T`` put back cell by
  cell where the columns came from (col2im, :func:`add_cells`): windows overlap, so
  their contributions add up.
- **Max pooling**: the maximum over each window's cells; padding never wins. Backward:
  each output's gradient goes to the first cell (row-major) holding the maximum.
- **Average pooling**: the mean over each window's real cells (padding is not
  counted). Backward: each cell gets its windows' gradients divided by their counts.

>>> x = np.arange(16.0).reshape(1, 4, 4, 1)
>>> conv2d(x, np.ones((2, 2, 1, 1)), strides=(2, 2))[0, :, :, 0]
array([[10., 18.],
       [42., 50.]])
>>> max_pool2d(x, (2, 2))[0, :, :, 0]
array([[ 5.,  7.],
       [13., 15.]])
"""

from __future__ import annotations

import numpy as np

from deepgrad.kernels.geometry import resolve_padding

__all__ = [
    "window_cells", "add_cells", "conv2d", "conv2d_backward", "depthwise_conv2d",
    "depthwise_conv2d_backward", "max_pool2d", "max_pool2d_backward", "avg_pool2d",
    "avg_pool2d_backward", "volume_cells", "conv3d", "conv3d_backward",
]


def window_cells(xp: np.ndarray, size, strides, dilation=(1, 1)) -> list[np.ndarray]:
    """Cell ``(i, j)`` of every window of the padded ``xp``, in row-major order: each a
    strided view ``(N, out_h, out_w, C)``.

    >>> [cell[0, :, :, 0].tolist() for cell in window_cells(np.arange(9.0).reshape(1, 3, 3, 1),
    ...                                                     (1, 2), (2, 1))]
    [[[0.0, 1.0], [6.0, 7.0]], [[1.0, 2.0], [7.0, 8.0]]]
    """
    (kh, kw), (sh, sw), (dh, dw) = size, strides, dilation
    out_h = (xp.shape[1] - (kh - 1) * dh - 1) // sh + 1
    out_w = (xp.shape[2] - (kw - 1) * dw - 1) // sw + 1
    rows = [slice(i * dh, i * dh + (out_h - 1) * sh + 1, sh) for i in range(kh)]
    columns = [slice(j * dw, j * dw + (out_w - 1) * sw + 1, sw) for j in range(kw)]
    return [xp[:, r, c] for r in rows for c in columns]


def add_cells(cells, padded_shape, size, strides, dilation=(1, 1)) -> np.ndarray:
    """The way back from :func:`window_cells` (col2im): each cell's values added into a
    zero array of ``padded_shape`` where that cell was read.

    >>> add_cells([np.ones((1, 2, 2, 1))] * 4, (1, 3, 3, 1), (2, 2), (1, 1))[0, :, :, 0]
    array([[1., 2., 1.],
           [2., 4., 2.],
           [1., 2., 1.]])
    """
    out = np.zeros(padded_shape, np.result_type(*cells))
    for view, cell in zip(window_cells(out, size, strides, dilation), cells):
        view += cell  # a view of ``out``: overlapping windows add up
    return out


def _pad(x: np.ndarray, pads, value=0) -> np.ndarray:
    return np.pad(x, ((0, 0), *pads, (0, 0)), constant_values=value)


def _crop(xp: np.ndarray, pads, shape) -> np.ndarray:
    (top, _), (left, _) = pads
    return xp[:, top : top + shape[1], left : left + shape[2]]


def _pads(padding, x_shape, size, strides, dilation):
    return resolve_padding(padding, x_shape[1:3], size, strides, dilation)


def conv2d(x, kernel, bias=None, strides=(1, 1), padding="valid", dilation=(1, 1)) -> np.ndarray:
    """2-D convolution of ``x`` (N, H, W, Cin) with ``kernel`` (kh, kw, Cin, Cout), by im2col.

    >>> conv2d(np.ones((1, 3, 3, 1)), np.ones((2, 2, 1, 1)), padding="same")[0, :, :, 0]
    array([[4., 4., 2.],
           [4., 4., 2.],
           [2., 2., 1.]])
    """
    size, cout = kernel.shape[:2], kernel.shape[3]
    xp = _pad(x, _pads(padding, x.shape, size, strides, dilation))
    columns = np.stack(window_cells(xp, size, strides, dilation), axis=3)  # (N, oh, ow, kh*kw, C)
    y = columns.reshape(columns.shape[:3] + (-1,)) @ kernel.reshape(-1, cout)
    return y if bias is None else y + bias


def conv2d_backward(x, kernel, grad, strides=(1, 1), padding="valid", dilation=(1, 1)):
    """Gradients ``(dx, dkernel, dbias)`` of :func:`conv2d` for the output gradient ``grad``.

    >>> dx, dk, db = conv2d_backward(np.ones((1, 3, 3, 1)), np.ones((2, 2, 1, 1)),
    ...                              np.ones((1, 2, 2, 1)))
    >>> dx[0, :, :, 0], dk.ravel(), db
    (array([[1., 2., 1.],
           [2., 4., 2.],
           [1., 2., 1.]]), array([4., 4., 4., 4.]), array([4.]))
    """
    size, cout = kernel.shape[:2], kernel.shape[3]
    pads = _pads(padding, x.shape, size, strides, dilation)
    xp = _pad(x, pads)
    columns = np.stack(window_cells(xp, size, strides, dilation), axis=3)
    g = grad.reshape(-1, cout)
    dkernel = (columns.reshape(len(g), -1).T @ g).reshape(kernel.shape)
    dcolumns = (g @ kernel.reshape(-1, cout).T).reshape(columns.shape)
    cells = [dcolumns[:, :, :, t] for t in range(dcolumns.shape[3])]
    dx = _crop(add_cells(cells, xp.shape, size, strides, dilation), pads, x.shape)
    return dx, dkernel, g.sum(axis=0)


def depthwise_conv2d(x, kernel, strides=(1, 1), padding="valid", dilation=(1, 1)) -> np.ndarray:
    """Depthwise convolution: input channel ``c`` through its own filters ``kernel[:, :, c]``
    (kh, kw, C, M); output channel ``c * M + m`` (TF's order).

    >>> depthwise_conv2d(np.ones((1, 2, 2, 2)), np.ones((2, 2, 2, 1)) * [[1.0], [2.0]]).ravel()
    array([4., 8.])
    """
    size, (c, m) = kernel.shape[:2], kernel.shape[2:]
    xp = _pad(x, _pads(padding, x.shape, size, strides, dilation))
    columns = np.stack(window_cells(xp, size, strides, dilation), axis=3)  # (N, oh, ow, T, C)
    y = np.einsum("nhwtc,tcm->nhwcm", columns, kernel.reshape(-1, c, m))
    return y.reshape(y.shape[:3] + (c * m,))


def depthwise_conv2d_backward(x, kernel, grad, strides=(1, 1), padding="valid", dilation=(1, 1)):
    """Gradients ``(dx, dkernel)`` of :func:`depthwise_conv2d` for the output gradient ``grad``.

    >>> dx, dk = depthwise_conv2d_backward(np.ones((1, 2, 2, 1)), np.ones((2, 2, 1, 1)),
    ...                                    np.ones((1, 1, 1, 1)))
    >>> dx.ravel(), dk.ravel()
    (array([1., 1., 1., 1.]), array([1., 1., 1., 1.]))
    """
    size, (c, m) = kernel.shape[:2], kernel.shape[2:]
    pads = _pads(padding, x.shape, size, strides, dilation)
    xp = _pad(x, pads)
    columns = np.stack(window_cells(xp, size, strides, dilation), axis=3)
    g = grad.reshape(grad.shape[:3] + (c, m))
    dkernel = np.einsum("nhwtc,nhwcm->tcm", columns, g).reshape(kernel.shape)
    dcolumns = np.einsum("nhwcm,tcm->nhwtc", g, kernel.reshape(-1, c, m))
    cells = [dcolumns[:, :, :, t] for t in range(dcolumns.shape[3])]
    return _crop(add_cells(cells, xp.shape, size, strides, dilation), pads, x.shape), dkernel


def _lowest(dtype):
    return -np.inf if np.dtype(dtype).kind == "f" else np.iinfo(dtype).min


def _pool_cells(x, pool_size, strides, padding, value):
    strides = pool_size if strides is None else strides
    pads = _pads(padding, x.shape, pool_size, strides, (1, 1))
    xp = _pad(x, pads, value)
    return np.stack(window_cells(xp, pool_size, strides), axis=3), xp.shape, pads, strides


def max_pool2d(x, pool_size, strides=None, padding="valid") -> np.ndarray:
    """Max pooling of ``x`` (N, H, W, C); ``strides`` default to ``pool_size``.

    >>> max_pool2d(np.arange(9.0).reshape(1, 3, 3, 1), (2, 2), padding="same")[0, :, :, 0]
    array([[4., 5.],
           [7., 8.]])
    """
    cells, _, _, _ = _pool_cells(x, pool_size, strides, padding, _lowest(x.dtype))
    return cells.max(axis=3)


def max_pool2d_backward(x, grad, pool_size, strides=None, padding="valid") -> np.ndarray:
    """Gradient of :func:`max_pool2d` for ``x``: each output's gradient to the first cell of
    its window that holds the maximum.

    >>> max_pool2d_backward(np.array([[[[1.0], [3.0]], [[3.0], [2.0]]]]), np.ones((1, 1, 1, 1)),
    ...                     (2, 2))[0, :, :, 0]
    array([[0., 1.],
           [0., 0.]])
    """
    cells, padded_shape, pads, strides = _pool_cells(x, pool_size, strides, padding,
                                                     _lowest(x.dtype))
    winner = cells.argmax(axis=3)  # the first maximum
    routed = [grad * (winner == t) for t in range(cells.shape[3])]
    return _crop(add_cells(routed, padded_shape, pool_size, strides), pads, x.shape)


def avg_pool2d(x, pool_size, strides=None, padding="valid") -> np.ndarray:
    """Average pooling of ``x`` (N, H, W, C) over each window's real (unpadded) cells.

    >>> avg_pool2d(np.arange(9.0).reshape(1, 3, 3, 1), (2, 2), padding="same")[0, :, :, 0]
    array([[2. , 3.5],
           [6.5, 8. ]])
    """
    cells, _, _, _ = _pool_cells(x, pool_size, strides, padding, 0)
    return cells.sum(axis=3) / _counts(x, pool_size, strides, padding)


def avg_pool2d_backward(x, grad, pool_size, strides=None, padding="valid") -> np.ndarray:
    """Gradient of :func:`avg_pool2d` for ``x``: each cell gets the gradients of its windows,
    each divided by that window's count of real cells.

    >>> avg_pool2d_backward(np.zeros((1, 2, 3, 1)), np.ones((1, 1, 2, 1)), (2, 2),
    ...                     padding="same")[0, :, :, 0]
    array([[0.25, 0.25, 0.5 ],
           [0.25, 0.25, 0.5 ]])
    """
    cells, padded_shape, pads, strides = _pool_cells(x, pool_size, strides, padding, 0)
    share = grad / _counts(x, pool_size, strides, padding)
    dx = add_cells([share] * cells.shape[3], padded_shape, pool_size, strides)
    return _crop(dx, pads, x.shape)


def _counts(x, pool_size, strides, padding) -> np.ndarray:
    """Real cells per window: the windows' sums over an image of ones, padded with zeros."""
    ones = np.ones((1,) + x.shape[1:3] + (1,), x.dtype if x.dtype.kind == "f" else np.float64)
    return _pool_cells(ones, pool_size, strides, padding, 0)[0].sum(axis=3)


# -- volumes (N, D, H, W, C): the same, with one more spatial axis -------------------------
def volume_cells(xp: np.ndarray, size, strides, dilation=(1, 1, 1)) -> list[np.ndarray]:
    """Cell ``(i, j, k)`` of every window of the padded volume ``xp``, as
    :func:`window_cells` for images: strided views ``(N, out_d, out_h, out_w, C)``.

    >>> len(volume_cells(np.zeros((1, 3, 3, 3, 1)), (2, 2, 2), (1, 1, 1)))
    8
    """
    axes = []
    for n, k, s, d in zip(xp.shape[1:4], size, strides, dilation):
        out = (n - (k - 1) * d - 1) // s + 1
        axes.append([slice(i * d, i * d + (out - 1) * s + 1, s) for i in range(k)])
    return [xp[:, a, b, c] for a in axes[0] for b in axes[1] for c in axes[2]]


def _volume_pads(padding, x_shape, size, strides, dilation):
    return resolve_padding(padding, x_shape[1:4], size, strides, dilation)


def conv3d(x, kernel, bias=None, strides=(1, 1, 1), padding="valid", dilation=(1, 1, 1)):
    """3-D convolution of ``x`` (N, D, H, W, Cin) with ``kernel`` (kd, kh, kw, Cin, Cout),
    by im2col.

    >>> conv3d(np.ones((1, 2, 2, 2, 1)), np.ones((2, 2, 2, 1, 1))).ravel()
    array([8.])
    """
    size, cout = kernel.shape[:3], kernel.shape[4]
    xp = _pad(x, _volume_pads(padding, x.shape, size, strides, dilation))
    columns = np.stack(volume_cells(xp, size, strides, dilation), axis=4)
    y = columns.reshape(columns.shape[:4] + (-1,)) @ kernel.reshape(-1, cout)
    return y if bias is None else y + bias


def conv3d_backward(x, kernel, grad, strides=(1, 1, 1), padding="valid", dilation=(1, 1, 1)):
    """Gradients ``(dx, dkernel, dbias)`` of :func:`conv3d` for the output gradient ``grad``.

    >>> dx, dk, db = conv3d_backward(np.ones((1, 2, 2, 2, 1)), np.ones((2, 2, 2, 1, 1)),
    ...                              np.ones((1, 1, 1, 1, 1)))
    >>> dx.ravel().tolist() == [1.0] * 8, dk.ravel().tolist() == [1.0] * 8, db
    (True, True, array([1.]))
    """
    size, cout = kernel.shape[:3], kernel.shape[4]
    pads = _volume_pads(padding, x.shape, size, strides, dilation)
    xp = _pad(x, pads)
    columns = np.stack(volume_cells(xp, size, strides, dilation), axis=4)
    g = grad.reshape(-1, cout)
    dkernel = (columns.reshape(len(g), -1).T @ g).reshape(kernel.shape)
    dcolumns = (g @ kernel.reshape(-1, cout).T).reshape(columns.shape)
    dxp = np.zeros(xp.shape, dcolumns.dtype)
    for t, view in enumerate(volume_cells(dxp, size, strides, dilation)):
        view += dcolumns[:, :, :, :, t]  # overlapping windows add up (col2im)
    (front, _), (top, _), (left, _) = pads
    dx = dxp[:, front: front + x.shape[1], top: top + x.shape[2], left: left + x.shape[3]]
    return dx, dkernel, g.sum(axis=0)
