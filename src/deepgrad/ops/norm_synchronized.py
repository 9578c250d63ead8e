"""Batch normalization with the statistics of the global batch, over several processes.

``BatchNormalization(synchronized=True)`` under data-parallel training: every process
holds a slice of the global batch, and normalises it with the mean and variance of the
whole batch. The forward pass sums, per channel, the count, ``sum(x)`` and ``sum(x*x)``
(float64) over the processes; the backward pass sums ``sum(g)`` and ``sum(g * x_hat)``,
the two terms through which the statistics couple the samples:

    dx = gamma / sqrt(var + eps) * (g - G / M - x_hat * GX / M)

with ``M`` the global count and ``G``, ``GX`` the global sums. Each process's loss is the
mean over its own slice, weighted by its share ``w`` of the batch when the gradients are
summed; the backward sums are weighted the same way (``w * sum`` summed, divided by
``w``), so the result is the single-process gradient of the global batch. A process
with weight 0 (a stand-in row, see ``deepgrad.distribution.sharding``) adds nothing.

The summing function is passed in (``all_reduce``: float64 array -> its sum over the
processes): this op knows nothing of MPI. With ``all_reduce`` the identity and weight 1,
it is ``batch_norm_train``.

>>> from deepgrad.tensor import Tensor
>>> x = Tensor(np.array([[0.0], [2.0]], np.float32))
>>> y, mean, var = batch_norm_train_synchronized(x, epsilon=0.0, all_reduce=lambda a: a)
>>> y.data.ravel(), mean, var
(array([-1.,  1.], dtype=float32), array([1.], dtype=float32), array([1.], dtype=float32))
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from deepgrad.ops.normalization import _check_params, _normalize_axes, _param, _param_grads
from deepgrad.tensor import Tensor, as_tensor, make_result

__all__ = ["batch_norm_train_synchronized"]


def batch_norm_train_synchronized(
    x, gamma=None, beta=None, axis: int = -1, epsilon: float = 1e-3, *,
    all_reduce: Callable[[np.ndarray], np.ndarray], weight: float = 1.0,
) -> tuple[Tensor, np.ndarray, np.ndarray]:
    """Training batch norm with statistics summed over processes by ``all_reduce``.

    Args:
        x: this process's slice, channels on ``axis``.
        gamma, beta: optional scale and offset, shape ``(channels,)``.
        axis: the channel axis.
        epsilon: added to the variance.
        all_reduce: sums a float64 array over the processes (returns the sum).
        weight: this process's share of the global batch (its loss's weight).

    Returns:
        ``(y, mean, var)``: the output, and the global per-channel mean and biased
        variance (NumPy, for the moving averages), as ``batch_norm_train``.
    """
    x = as_tensor(x)
    name = "batch_norm_train_synchronized"
    (ax,) = _normalize_axes(axis, x.ndim, name)
    channels = x.shape[ax]
    gamma, beta = _param(gamma, x.dtype), _param(beta, x.dtype)
    _check_params(name, gamma, beta, (channels,), f"dimension {ax}", x)
    dtype = x.dtype if x.dtype.kind == "f" else np.dtype(np.float32)
    data = x.data if x.dtype == dtype else x.data.astype(dtype)
    axes = tuple(i for i in range(data.ndim) if i != ax)
    shape = tuple(channels if i == ax else 1 for i in range(data.ndim))
    present = 1.0 if weight > 0 else 0.0  # a stand-in row adds nothing to the statistics
    wide = data.astype(np.float64)
    local = np.concatenate([[data.size / max(channels, 1)], wide.sum(axis=axes),
                            np.square(wide).sum(axis=axes)]) * present
    total = all_reduce(local)
    count = total[0]
    mean = total[1 : 1 + channels] / count
    var = np.maximum(total[1 + channels :] / count - mean * mean, 0.0)
    inv = 1.0 / np.sqrt(var + epsilon)
    x_hat = ((wide - mean.reshape(shape)) * inv.reshape(shape)).astype(dtype)
    g_scale = np.ones(channels) if gamma is None else gamma.data.astype(np.float64)
    y = x_hat * g_scale.reshape(shape).astype(dtype)
    if beta is not None:
        y += beta.data.astype(dtype).reshape(shape)
    parents = tuple(t for t in (x, gamma, beta) if t is not None)

    def backward(g):
        g64 = g.astype(np.float64)
        sum_g = g64.sum(axis=axes)
        sum_gx = (g64 * x_hat).sum(axis=axes)
        dx = None
        if x.requires_grad:
            sums = all_reduce(np.concatenate([sum_g, sum_gx]) * weight)
            if weight > 0:
                sums /= weight
            big_g, big_gx = sums[:channels], sums[channels:]
            a = (g_scale * inv).reshape(shape)
            dx = (a * (g64 - (big_g / count).reshape(shape)
                       - x_hat * (big_gx / count).reshape(shape))).astype(dtype)
        return (dx,) + _param_grads(gamma, beta, sum_gx.astype(dtype), sum_g.astype(dtype))

    return (make_result(y, parents, backward), mean.astype(dtype), var.astype(dtype))
