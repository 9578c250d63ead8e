"""Batch normalisation on raw arrays with the channels last: statistics, the scale and
shift, and the backward pass, each in one or two passes over memory.

``ops.batch_norm_train`` and ``ops.batch_normalization`` are the autograd ops (and the
readable formulas); this module is how they run when the channels are the last axis.
The array is seen as rows of channels, and the work goes a chunk of rows at a time
(:data:`CHUNK_BYTES`), in deepgrad's threads, so that every step on a chunk after the
first reads it from the cache:

- statistics (:func:`moments`): one pass. Each chunk's column sums and sum of squared
  deviations from the chunk's own mean; the chunks are then combined exactly (the
  total sum of squares is the chunks' sums plus each chunk's count times its mean's
  squared distance to the overall mean), in float64, so float32 inputs with a large
  mean lose nothing to cancellation.
- normalisation (:func:`scale_shift`): ``y = x * scale + shift`` with the per-channel
  ``scale = gamma / sqrt(var + eps)`` and ``shift = beta - mean * scale`` (TF's form),
  and a fused ReLU or ReLU6: one pass. In inference this is the whole layer.
- backward (:func:`backward`): one pass for the two per-channel sums (of the gradient,
  and of the gradient times the input), one for the input gradient. Nothing from the
  forward pass is kept but its input (and its output, for a fused activation).

Column sums are a product with a vector of ones (BLAS reads the chunk once), and rows
are read "wide": ``k`` rows of ``C`` channels as one row of ``k * C`` numbers, with the
per-channel vectors tiled ``k`` times, so that NumPy's inner loops run over a thousand
numbers rather than ``C`` (``benchmarks/kernel_choices.py norm_wide_rows``).

>>> x = np.array([[1.0, 10.0], [3.0, 30.0]])
>>> mean, var = moments(x)
>>> mean, var
(array([ 2., 20.]), array([  1., 100.]))
>>> scale_shift(x, 1 / np.sqrt(var), -mean / np.sqrt(var))
array([[-1., -1.],
       [ 1.,  1.]])
"""

from __future__ import annotations

import numpy as np

from deepgrad.kernels import activation as act
from deepgrad.kernels.parallel import chunks, run_groups
from deepgrad.kernels.scratch import scratch_buffer

__all__ = ["CHUNK_BYTES", "WIDE_ROW", "wide", "moments", "scale_shift", "backward"]

# Bytes of one chunk: the chunk, a temporary of its size and the output chunk stay in a
# core's level-2 cache (``benchmarks/kernel_choices.py norm_chunk``).
CHUNK_BYTES = 1 << 20
# Numbers per wide row, at most (``benchmarks/kernel_choices.py norm_wide_rows``).
WIDE_ROW = 1024


def wide(x: np.ndarray) -> tuple[np.ndarray, int]:
    """``x`` (..., C), contiguous, as ``(rows / k, k * C)`` and ``k``: the largest ``k``
    that divides the row count with ``k * C`` at most :data:`WIDE_ROW` (or 1).

    >>> w, k = wide(np.zeros((6, 4, 100)))
    >>> w.shape, k
    ((3, 800), 8)
    """
    channels = x.shape[-1]
    rows = x.size // max(channels, 1)
    k = max(1, min(rows, WIDE_ROW // max(channels, 1)))
    while rows % k:
        k -= 1
    return np.ascontiguousarray(x).reshape(rows // k, k * channels), k


def _parts(x2: np.ndarray) -> list[slice]:
    return chunks(len(x2), max(1, CHUNK_BYTES // max(x2.shape[1] * x2.itemsize, 1)))


def _column_sums(a: np.ndarray, ones: np.ndarray) -> np.ndarray:
    return ones[: len(a)] @ a


def moments(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-channel mean and biased variance of ``x`` (..., C) over every other axis.

    Returned in ``x``'s float dtype (the combination itself runs in float64).

    >>> moments(np.arange(6.0).reshape(3, 2))
    (array([2., 3.]), array([2.66666667, 2.66666667]))
    """
    channels = x.shape[-1]
    if x.size == 0:
        nan = np.full(channels, np.nan, x.dtype)
        return nan, nan.copy()
    x2, k = wide(x)
    parts = _parts(x2)

    def run(group: list[slice]) -> list[tuple]:
        ones = np.ones(max((p.stop - p.start for p in group), default=1), x2.dtype)
        found = []
        for part in group:
            chunk = x2[part]
            mean = _column_sums(chunk, ones) * (1.0 / len(chunk))
            dev = np.subtract(chunk, mean, out=scratch_buffer("norm", chunk.shape, x2.dtype))
            found.append((len(chunk), mean, np.einsum("ij,ij->j", dev, dev)))
        return found

    stats = [s for group in run_groups(run, parts) for s in group]
    counts = np.repeat([float(n) for n, _, _ in stats], k)[:, None]  # per (chunk, k) group
    means = np.stack([m for _, m, _ in stats]).astype(np.float64).reshape(-1, channels)
    squares = np.stack([s for _, _, s in stats]).astype(np.float64).reshape(-1, channels)
    total = counts.sum()
    mean = (counts * means).sum(axis=0) / total
    var = (squares.sum(axis=0) + (counts * (means - mean) ** 2).sum(axis=0)) / total
    return mean.astype(x.dtype), var.astype(x.dtype)


def scale_shift(
    x: np.ndarray,
    scale: np.ndarray,
    shift: np.ndarray,
    activation: str | None = None,
) -> np.ndarray:
    """``x * scale + shift`` per channel (the last axis), with ``activation`` (None,
    ``'relu'`` or ``'relu6'``) applied; a new array of ``x``'s shape.

    >>> scale_shift(np.array([[1.0, -2.0]]), np.array([2.0, 1.0]), np.array([0.0, 1.0]),
    ...             "relu")
    array([[2., 0.]])
    """
    limits = act.bounds(activation, "scale_shift")
    x2, k = wide(x)
    scale_row = np.tile(scale.astype(x2.dtype, copy=False), k)
    shift_row = np.tile(shift.astype(x2.dtype, copy=False), k)
    y2 = np.empty_like(x2)

    def run(group: list[slice]) -> None:
        for part in group:
            out = y2[part]
            np.multiply(x2[part], scale_row, out=out)
            out += shift_row
            if limits is not None:
                act.apply(out, limits)

    run_groups(run, _parts(x2))
    return y2.reshape(x.shape)


def backward(
    x: np.ndarray,
    grad: np.ndarray,
    mean: np.ndarray,
    inv: np.ndarray,
    gamma: np.ndarray | None,
    need_input: bool = True,
    activation: str | None = None,
    output: np.ndarray | None = None,
) -> tuple[np.ndarray | None, np.ndarray, np.ndarray]:
    """Gradients of training-mode batch norm for ``x``, ``gamma`` and ``beta``.

    ``y = act(gamma * (x - mean) * inv + beta)`` with the batch's ``mean`` and
    ``inv = 1 / sqrt(var + eps)``; ``grad`` is the gradient of ``y``, masked where the
    activation (given ``output``, the forward ``y``) was flat. With ``x_hat = (x - mean) *
    inv``, ``n`` the count and sums over every axis but the channels:

        dbeta = sum(g),  dgamma = sum(g * x_hat) = (sum(g * x) - mean * dbeta) * inv,
        dx = gamma * inv * (g - dbeta / n - x_hat * dgamma / n)
           = a * g + b * x + c, per channel

    The first pass takes the two sums (a product with ones, and one einsum); the second
    writes ``dx`` in four passes over a chunk in the cache. Returns ``(dx, dgamma,
    dbeta)`` (``dx`` None unless ``need_input``), the sums in ``x``'s dtype.

    >>> x, g = np.array([[1.0], [3.0]]), np.array([[1.0], [0.0]])
    >>> backward(x, g, np.array([2.0]), np.array([1.0]), None)
    (array([[0.],
           [0.]]), array([-1.]), array([1.]))
    """
    limits = act.bounds(activation, "batch norm backward")
    if limits is not None and output is None:
        raise ValueError(f"batch norm backward: activation={activation!r} needs `output`.")
    channels = x.shape[-1]
    dtype = np.result_type(x.dtype, grad.dtype)
    x2, k = wide(x)
    g2 = np.ascontiguousarray(grad).reshape(x2.shape)
    y2 = None if limits is None else np.ascontiguousarray(output).reshape(x2.shape)
    parts = _parts(x2)
    # With an activation, the masked gradient is written where dx goes, and read back.
    dx2 = np.empty(x2.shape, dtype) if need_input or limits is not None else None

    def sums(group: list[slice]) -> tuple:
        ones = np.ones(max((p.stop - p.start for p in group), default=1), dtype)
        sum_g, sum_gx = np.zeros(x2.shape[1]), np.zeros(x2.shape[1])
        for part in group:
            g = g2[part] if y2 is None else act.masked(g2[part], y2[part], limits, dx2[part])
            sum_g += _column_sums(g, ones)
            sum_gx += np.einsum("ij,ij->j", g, x2[part])
        return sum_g, sum_gx

    found = run_groups(sums, parts)
    sum_g = sum(f[0] for f in found).reshape(k, channels).sum(axis=0)
    sum_gx = sum(f[1] for f in found).reshape(k, channels).sum(axis=0)
    inv64, mean64 = inv.astype(np.float64), mean.astype(np.float64)
    dbeta, dgamma = sum_g, (sum_gx - mean64 * sum_g) * inv64
    if not need_input:
        return None, dgamma.astype(dtype), dbeta.astype(dtype)
    count = x2.size // max(channels, 1)
    a = inv64 if gamma is None else gamma.astype(np.float64) * inv64
    b = -a * inv64 * dgamma / count
    c = -a * dbeta / count - b * mean64
    a_row, b_row, c_row = (np.tile(v.astype(dtype), k) for v in (a, b, c))

    def input_grad(group: list[slice]) -> None:
        for part in group:
            out = dx2[part]
            np.multiply(g2[part] if y2 is None else out, a_row, out=out)
            term = np.multiply(x2[part], b_row, out=scratch_buffer("norm", out.shape, dtype))
            out += term
            out += c_row

    run_groups(input_grad, parts)
    return dx2.reshape(x.shape), dgamma.astype(dtype), dbeta.astype(dtype)
