"""Scaled dot-product attention, one fused op with a hand-written backward.

``attend`` computes ``softmax(scale * q @ k^T + bias, masked) @ v`` with the heads
first (``(..., T, H)`` queries against ``(..., S, H)`` keys); ``dot_product_attention``
is Keras's ``keras.ops.dot_product_attention`` around it, in Keras's ``(B, T, N, H)``
layout. The forward keeps the probabilities ``P``; the backward is four batched
products and the softmax's Jacobian-vector product:

    dV = P^T dO,  dP = dO V^T,  dS = P * (dP - rowsum(dP * P)),
    dQ = scale * dS K,  dK = scale * dS^T Q

Masked scores are set to a large negative number before the softmax (Keras's rule), so
they get no probability and no gradient. A query whose scores are all masked attends
uniformly (Keras's ``dot_product_attention``), or gets zeros with
``zero_masked_rows=True`` (Keras's ``Softmax`` layer with a mask, which
``MultiHeadAttention`` uses when it returns the scores or applies dropout).

>>> import deepgrad as dg
>>> q = dg.Tensor(np.ones((1, 2, 4), np.float32), requires_grad=True)
>>> v = dg.Tensor(np.arange(8.0, dtype=np.float32).reshape(1, 2, 4))
>>> out = attend(q, q, v, scale=0.5, mask=np.tril(np.ones((2, 2), bool)))
>>> out.data
array([[[0., 1., 2., 3.],
        [2., 3., 4., 5.]]], dtype=float32)
>>> out.sum().backward(); q.grad.shape
(1, 2, 4)
"""

from __future__ import annotations

import math

import numpy as np

from deepgrad.ops.recurrent import multi_result
from deepgrad.ops.shaping import transpose
from deepgrad.ops.symbolic import op
from deepgrad.tensor import Tensor, as_tensor, make_result, unbroadcast

__all__ = ["attend", "dot_product_attention", "causal_mask"]

# Keras's fill for masked scores (backend ``_get_large_negative``): far below any real
# score, yet finite, so a row with every score masked still has a defined softmax.
_MASKED_SCORE = -0.7 * 3.38953e38


def causal_mask(query_length: int, key_length: int) -> np.ndarray:
    """``(T, S)`` booleans, True where query ``i`` may see key ``j`` (``j <= i``), as Keras.

    >>> causal_mask(2, 3)
    array([[ True, False, False],
           [ True,  True, False]])
    """
    return np.tri(query_length, key_length, dtype=bool)


def _swap(a: np.ndarray) -> np.ndarray:
    return np.swapaxes(a, -1, -2)


def attend(
    query,
    key,
    value,
    *,
    scale: float,
    mask=None,
    bias=None,
    dropout_rate: float = 0.0,
    generator: np.random.Generator | None = None,
    return_scores: bool = False,
    zero_masked_rows: bool = False,
):
    """``softmax(scale * query @ key^T + bias)`` over the keys, then times ``value``.

    Args:
        query: ``(..., T, H)``; key: ``(..., S, H)``; value: ``(..., S, Hv)``, with the
            same leading (batch and head) axes.
        scale: the factor on the scores, e.g. ``1 / sqrt(H)``.
        mask: optional booleans broadcastable to ``(..., T, S)``; False hides a key
            from a query.
        bias: optional tensor or array added to the scores (broadcastable to them);
            a tensor gets its gradient.
        dropout_rate: fraction of the probabilities dropped (the rest scaled by
            ``1 / (1 - rate)``); needs ``generator``.
        return_scores: also return the probabilities ``(..., T, S)`` (before dropout),
            as a second differentiable output.
        zero_masked_rows: give masked probabilities 0 even where a whole row is
            masked (Keras's ``Softmax(mask=...)``), instead of a uniform row.

    Returns:
        The output ``(..., T, Hv)``, and with ``return_scores`` the probabilities.

    Raises:
        ValueError: if the shapes do not fit together.
    """
    q, k, v = as_tensor(query), as_tensor(key), as_tensor(value)
    if (q.ndim < 2 or k.shape[:-2] != q.shape[:-2] or v.shape[:-1] != k.shape[:-1]
            or q.shape[-1] != k.shape[-1]):
        raise ValueError(
            "attend: expected query (..., T, H), key (..., S, H) and value (..., S, Hv) "
            f"with the same leading axes. Received: query {q.shape}, key {k.shape}, "
            f"value {v.shape}."
        )
    b = None if bias is None else as_tensor(bias)
    # The scores are kept key-major, (..., S, T): the softmax's reductions then run over
    # the second-to-last axis, which NumPy vectorises along the contiguous last one (a
    # reduction over a short last axis runs row by row, about four times slower:
    # benchmarks/attention.py).
    scaled_q = q.data * np.asarray(scale, q.dtype)  # smaller than the scores when H < S
    scores_t = k.data @ _swap(scaled_q)
    full = scores_t.shape[:-2] + scores_t.shape[:-3:-1]  # (..., T, S)
    if b is not None:
        scores_t += _swap(np.broadcast_to(b.data, full))
    keep_t = None
    if mask is not None:
        keep = np.asarray(mask.data if isinstance(mask, Tensor) else mask).astype(bool)
        keep_t = _swap(np.broadcast_to(keep, full))
        hidden_t = _swap(np.broadcast_to(~keep, full))  # negated before it is broadcast
        np.copyto(scores_t, np.asarray(_MASKED_SCORE, scores_t.dtype), where=hidden_t)
    scores_t -= scores_t.max(axis=-2, keepdims=True)
    probs_t = np.exp(scores_t, out=scores_t)
    probs_t *= 1.0 / probs_t.sum(axis=-2, keepdims=True)
    if keep_t is not None and zero_masked_rows:
        probs_t *= keep_t
    factor_t = None
    used_t = probs_t
    if dropout_rate > 0:
        kept = generator.random(probs_t.shape, dtype=probs_t.dtype) >= dropout_rate
        factor_t = kept.astype(probs_t.dtype) * np.asarray(1 / (1 - dropout_rate),
                                                           probs_t.dtype)
        used_t = probs_t * factor_t
    out = _swap(used_t) @ v.data
    parents = (q, k, v) if b is None else (q, k, v, b)

    def backward(grads):
        g_out, g_probs = grads
        d_t = np.zeros_like(probs_t) if g_out is None else v.data @ _swap(g_out)
        if factor_t is not None:
            d_t *= factor_t
        if g_probs is not None:
            d_t += _swap(g_probs)
        if keep_t is not None and zero_masked_rows:
            d_t *= keep_t
        d_t *= probs_t  # the softmax's Jacobian-vector product, key-major
        d_t -= probs_t * d_t.sum(axis=-2, keepdims=True)
        if keep_t is not None:
            d_t *= keep_t  # a masked score is a constant: no gradient
        dq = (_swap(d_t) @ k.data) * scale if q.requires_grad else None
        dk = d_t @ scaled_q if k.requires_grad else None
        dv = None
        if v.requires_grad:
            dv = np.zeros_like(v.data) if g_out is None else used_t @ g_out
        found = [dq, dk, dv]
        if b is not None:
            found.append(unbroadcast(_swap(d_t), b.shape) if b.requires_grad else None)
        return tuple(found)

    if return_scores:
        return tuple(multi_result([out, _swap(probs_t)], parents, backward))
    return make_result(out, parents, lambda g: backward((g, None)))


@op
def dot_product_attention(
    query,
    key,
    value,
    bias=None,
    mask=None,
    scale: float | None = None,
    is_causal: bool = False,
    flash_attention: bool | None = None,
    attn_logits_soft_cap: float | None = None,
) -> Tensor:
    """Keras's ``keras.ops.dot_product_attention`` on ``(B, T, N, H)`` tensors.

    Args:
        query: ``(B, T, N, H)``; key: ``(B, S, N, H)``; value: ``(B, S, N, Hv)``.
        bias: optional addition to the scores, broadcastable to ``(B, N, T, S)``.
        mask: optional booleans broadcastable to ``(B, N, T, S)``; False hides a key.
        scale: the factor on the scores; ``1 / sqrt(H)`` by default.
        is_causal: hide the keys after each query (``j > i``).
        flash_attention: False or None (a GPU kernel in Keras; deepgrad has one path).
        attn_logits_soft_cap: not supported (a JAX/flash feature in Keras); None only.

    Returns:
        ``(B, T, N, Hv)``.

    Raises:
        ValueError: for inputs that are not 4-D, flash attention or a soft cap.

    >>> x = np.ones((2, 3, 4, 5), np.float32)
    >>> dot_product_attention(x, x, x).shape
    (2, 3, 4, 5)
    """
    q, k, v = as_tensor(query), as_tensor(key), as_tensor(value)
    if q.ndim != 4 or k.ndim != 4 or v.ndim != 4:
        raise ValueError(
            "dot_product_attention: expected 4-D query, key and value (batch, steps, "
            f"heads, features). Received: query {q.shape}, key {k.shape}, value {v.shape}."
        )
    if flash_attention:
        raise ValueError(
            "dot_product_attention: flash_attention=True is not supported (a GPU kernel in "
            "Keras). Received: flash_attention=True"
        )
    if attn_logits_soft_cap is not None:
        raise ValueError(
            "dot_product_attention: `attn_logits_soft_cap` is not supported (a JAX flash "
            f"attention feature in Keras). Received: attn_logits_soft_cap={attn_logits_soft_cap}"
        )
    if scale is None:
        scale = 1.0 / math.sqrt(q.shape[-1])
    if is_causal:
        causal = causal_mask(q.shape[1], k.shape[1])
        mask = causal if mask is None else np.logical_and(
            np.asarray(mask.data if isinstance(mask, Tensor) else mask, bool), causal)
    heads_first = (0, 2, 1, 3)
    out = attend(transpose(q, heads_first), transpose(k, heads_first),
                 transpose(v, heads_first), scale=float(scale), mask=mask, bias=bias)
    return transpose(out, heads_first)
