"""The definitions, as loops over output positions, that tests/kernels/test_reference.py
holds ``deepgrad.kernels.reference`` to. Every fast kernel is tested against
``kernels.reference`` (STYLE, practice 11); these loops test that reference itself, so
that an error shared by its im2col and the fast paths' (a cell order, a padding rule)
cannot pass unseen. (``pythonpath = ["tests"]`` in pyproject.toml makes this importable
as ``numpy_reference``.)

>>> naive_conv2d(np.ones((1, 3, 3, 1)), np.ones((2, 2, 1, 1)), ((0, 0), (0, 0)), (1, 1),
...              (1, 1))[0, :, :, 0]
array([[4., 4.],
       [4., 4.]])
"""

from __future__ import annotations

import numpy as np


def naive_conv2d(x, w, pad, strides, dilation):
    """Cross-correlation of NHWC ``x`` with a Keras kernel ``w`` by a loop over output
    positions (the definition); ``pad`` is ``((top, bottom), (left, right))``."""
    (sh, sw), (dh, dw) = strides, dilation
    xp = np.pad(x, ((0, 0), pad[0], pad[1], (0, 0)))
    kh, kw = w.shape[:2]
    out_h = (xp.shape[1] - (kh - 1) * dh - 1) // sh + 1
    out_w = (xp.shape[2] - (kw - 1) * dw - 1) // sw + 1
    y = np.zeros((x.shape[0], out_h, out_w, w.shape[3]))
    for i in range(out_h):
        for j in range(out_w):
            patch = xp[:, i * sh : i * sh + (kh - 1) * dh + 1 : dh,
                       j * sw : j * sw + (kw - 1) * dw + 1 : dw]
            y[:, i, j] = np.tensordot(patch, w, axes=3)
    return y


def naive_depthwise(x, k, pad, strides, dilation):
    """Depthwise convolution as one :func:`naive_conv2d` per input channel; output
    channel ``c * multiplier + m`` as TF."""
    out = [naive_conv2d(x[..., c : c + 1], k[:, :, c : c + 1, :], pad, strides, dilation)
           for c in range(k.shape[2])]
    return np.concatenate(out, axis=-1)


def _window_bounds(length, size, stride, padding):
    if padding == "same":
        out = -(-length // stride)
        before = max((out - 1) * stride + size - length, 0) // 2
    else:
        out, before = (length - size) // stride + 1, 0
    return [(max(o * stride - before, 0), min(o * stride - before + size, length))
            for o in range(out)]


def naive_pool(x, pool_size, strides, padding, reduce):
    """Pooling by a loop over output positions, each window clipped to the real (unpadded)
    cells, ``reduce`` (``np.max``, ``np.mean``) over them; 1-D ``(N, T, C)`` or 2-D."""
    strides = strides or pool_size
    bounds = [_window_bounds(n, k, s, padding)
              for n, k, s in zip(x.shape[1:-1], pool_size, strides)]
    if len(bounds) == 1:
        return np.stack([reduce(x[:, a:b], axis=1) for a, b in bounds[0]], axis=1)
    rows = []
    for r0, r1 in bounds[0]:
        rows.append(np.stack([reduce(x[:, r0:r1, c0:c1], axis=(1, 2))
                              for c0, c1 in bounds[1]], axis=1))
    return np.stack(rows, axis=1)
