"""3-D pooling ops: ``max_pool3d`` and ``avg_pool3d`` over volumes ``(N, D, H, W, C)``.

A box window is separable: the maximum over ``pd x ph x pw`` cells is the maximum over
``pd`` depths of the ``ph x pw`` maxima of each depth slice, and the mean over a
window's real (unpadded) cells is the mean over its real depths of the slices' means
over their real cells (the real cells of a window are a box too). So each op is the
2-D pool of every depth slice (the slices as a batch of ``N * D`` images), then the
1-D pool along the depth (the other axes flattened into channels), two fused ops with
their own backward passes and nothing copied in between. Max pooling's gradient goes to
the first maximum of the window in ``(d, h, w)`` order, as TensorFlow's and PyTorch's.

>>> import deepgrad as dg
>>> x = dg.Tensor(np.arange(8.0).reshape(1, 2, 2, 2, 1))
>>> max_pool3d(x, 2).data.ravel(), avg_pool3d(x, 2).data.ravel()
(array([7.]), array([3.5]))
"""

from __future__ import annotations

from deepgrad.ops.pool import (
    avg_pool1d,
    avg_pool2d,
    max_pool1d,
    max_pool2d,
    normalize_padding,
    normalize_tuple,
)
from deepgrad.ops.shaping import reshape
from deepgrad.tensor import Tensor, as_tensor

__all__ = ["max_pool3d", "avg_pool3d"]


def _pool3d(x, pool_size, strides, padding, planes, depths, who: str) -> Tensor:
    x = as_tensor(x)
    if x.ndim != 5:
        hint = " — missing batch dimension? Add one with x[None]." if x.ndim == 4 else "."
        raise ValueError(
            f"{who}: expected a 5-D input (batch, depth, height, width, channels), got shape "
            f"{x.shape}{hint}"
        )
    size = normalize_tuple(pool_size, 3, "pool_size", who)
    stride = size if strides is None else normalize_tuple(strides, 3, "strides", who)
    n, d, h, w, c = x.shape
    if normalize_padding(padding, who) == "valid" and any(
            s < k for s, k in zip((d, h, w), size)):
        raise ValueError(
            f"{who}: the pool size {size} is larger than the input's spatial size {(d, h, w)} "
            f"(input shape {x.shape}) with padding='valid'. To fix, use a smaller pool_size "
            "or padding='same'."
        )
    flat = planes(reshape(x, (n * d, h, w, c)), size[1:], stride[1:], padding)
    _, out_h, out_w, _ = flat.shape
    pooled = depths(reshape(flat, (n, d, out_h * out_w * c)), size[0], stride[0], padding)
    return reshape(pooled, (n, pooled.shape[1], out_h, out_w, c))


def max_pool3d(x, pool_size=(2, 2, 2), strides=None, padding: str = "valid") -> Tensor:
    """Max pooling over the depth, height and width of ``(N, D, H, W, C)``.

    Args:
        pool_size: an int or three ints; strides: likewise, None for ``pool_size``.
        padding: ``'valid'`` or ``'same'`` (TensorFlow's rule; padding never wins).

    >>> max_pool3d(np.zeros((2, 5, 4, 4, 3)), 2, padding="same").shape
    (2, 3, 2, 2, 3)
    """
    return _pool3d(x, pool_size, strides, padding, max_pool2d, max_pool1d, "max_pool3d")


def avg_pool3d(x, pool_size=(2, 2, 2), strides=None, padding: str = "valid") -> Tensor:
    """Average pooling over the depth, height and width of ``(N, D, H, W, C)``; padding
    is not counted. Arguments as :func:`max_pool3d`.

    >>> avg_pool3d(np.ones((1, 3, 3, 3, 1)), 2, padding="same").data.ravel().tolist()
    [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0]
    """
    return _pool3d(x, pool_size, strides, padding, avg_pool2d, avg_pool1d, "avg_pool3d")
