"""Plain NumPy definitions the tests compare deepgrad's kernels and ops against, shared
by several test files (``pythonpath = ["tests"]`` in pyproject.toml makes this importable
as ``numpy_reference``).

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
