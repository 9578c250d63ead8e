"""Matrix products: ``matmul`` and the fused ``dense`` op (``x @ kernel + bias``, then relu).

``dense`` is one op with a hand-written backward: two GEMMs and a column sum, with the
relu mask applied in place, and the input gradient skipped when nothing needs it.

>>> import deepgrad as dg
>>> x = dg.Tensor([[1.0, 2.0]])
>>> w = dg.Tensor([[1.0], [-1.0]], requires_grad=True)
>>> b = dg.Tensor([0.5], requires_grad=True)
>>> y = dense(x, w, b)
>>> y.data
array([[-0.5]], dtype=float32)
>>> y.sum().backward(); w.grad.ravel(), b.grad
(array([1., 2.], dtype=float32), array([1.], dtype=float32))
"""

from __future__ import annotations

import numpy as np

from deepgrad.kernels import parallel
from deepgrad.kernels.activation import relu_clip
from deepgrad.ops.symbolic import op
from deepgrad.tensor import Tensor, as_tensor, gradient_destination, make_result, unbroadcast

__all__ = ["matmul", "dense"]


@op
def matmul(a, b) -> Tensor:
    """Matrix product with NumPy's ``@`` rules (batched, broadcast, 1-D promotion).

    >>> matmul(Tensor([[1.0, 2.0]]), Tensor([[3.0], [4.0]]))
    Tensor([[11.]], dtype=float32)
    """
    a, b = as_tensor(a), as_tensor(b)
    out = a.data @ b.data

    def backward(g):
        ad, bd = a.data, b.data
        # Promote 1-D operands to matrices as NumPy does, then undo at the end.
        a2 = ad[None, :] if ad.ndim == 1 else ad
        b2 = bd[:, None] if bd.ndim == 1 else bd
        if ad.ndim == 1 and bd.ndim == 1:
            g2 = np.reshape(g, (1, 1))
        elif ad.ndim == 1:
            g2 = np.expand_dims(g, -2)
        elif bd.ndim == 1:
            g2 = np.expand_dims(g, -1)
        else:
            g2 = g
        ga = gb = None
        if a.requires_grad:
            ga = g2 @ np.swapaxes(b2, -1, -2)
            ga = unbroadcast(ga, a2.shape).reshape(ad.shape)
        if b.requires_grad:
            gb = np.swapaxes(a2, -1, -2) @ g2
            gb = unbroadcast(gb, b2.shape).reshape(bd.shape)
        return ga, gb

    return make_result(out, (a, b), backward)


@op
def dense(x, kernel, bias=None, activation: str | None = None) -> Tensor:
    """Fused ``activation(x @ kernel + bias)`` over the last axis of ``x``.

    Args:
        x: input of shape ``(..., in)``.
        kernel: weights of shape ``(in, out)``.
        bias: optional ``(out,)``.
        activation: ``None`` or ``'relu'`` (other activations are separate ops).

    Returns:
        A tensor of shape ``(..., out)``.

    >>> dense(Tensor([[1.0, -3.0]]), Tensor([[1.0], [1.0]]), activation="relu")
    Tensor([[0.]], dtype=float32)
    """
    x, kernel = as_tensor(x), as_tensor(kernel)
    parents = (x, kernel) if bias is None else (x, kernel, as_tensor(bias))
    x2 = x.data if x.ndim == 2 else x.data.reshape(-1, x.shape[-1])
    w = kernel.data
    z = parallel.matmul(x2, w)
    if bias is not None:
        z += parents[2].data
    if activation == "relu":
        relu_clip(z)
    elif activation is not None:
        raise ValueError(f"dense: `activation` must be None or 'relu'. Received: {activation!r}")
    out_shape = x.shape[:-1] + (w.shape[1],)

    def backward(g):
        g2 = g if g.ndim == 2 else g.reshape(-1, w.shape[1])
        if activation == "relu":
            g2 = g2 * (z > 0)
        gx = parallel.matmul(g2, w.T).reshape(x.shape) if x.requires_grad else None
        # The weights' gradients go straight into the training step's buffers where it
        # offers them (VGG16's 411 MB first kernel: no second copy at the peak).
        gw = None
        if kernel.requires_grad:
            gw = parallel.matmul(x2.T, g2, out=gradient_destination(kernel))
        if bias is None:
            return gx, gw
        return gx, gw, np.add.reduce(g2, axis=0, out=gradient_destination(parents[2]))

    return make_result(z.reshape(out_shape), parents, backward)
