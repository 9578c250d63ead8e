"""Low-level neural-network functions on Tensors, named as in ``tf.nn``.

These are thin, stateless wrappers over ``deepgrad.ops``, for code written with
GradientTape in the TF2 style.

>>> import deepgrad as dg
>>> logits = dg.Tensor([[2.0, 1.0, 0.1]])
>>> loss = dg.nn.sparse_softmax_cross_entropy_with_logits(labels=[0], logits=logits)
>>> round(float(loss.data[0]), 4)
0.417
"""

from __future__ import annotations

import numpy as np  # noqa: F401 - the examples use it

from deepgrad import ops
from deepgrad import random as dg_random
from deepgrad.ops import (
    elu,
    gelu,
    log_softmax,
    relu,
    relu6,
    selu,
    sigmoid,
    silu,
    softmax,
    softplus,
    softsign,
    tanh,
)
from deepgrad.tensor import Tensor, as_tensor

__all__ = [
    "relu", "relu6", "sigmoid", "tanh", "softmax", "log_softmax", "elu", "selu", "leaky_relu",
    "gelu", "softplus", "softsign", "silu", "swish", "dropout",
    "softmax_cross_entropy_with_logits", "sparse_softmax_cross_entropy_with_logits",
    "sigmoid_cross_entropy_with_logits", "l2_loss", "bias_add",
    "batch_normalization", "moments",
]

swish = silu


def leaky_relu(features, alpha: float = 0.2) -> Tensor:
    """``features`` where positive, else ``alpha * features`` (TF's default alpha 0.2).

    >>> leaky_relu(Tensor([-1.0, 1.0])).data
    array([-0.2,  1. ], dtype=float32)
    """
    return ops.leaky_relu(features, negative_slope=alpha)


def dropout(x, rate: float, noise_shape=None, seed: int | None = None) -> Tensor:
    """Drop a fraction ``rate`` of the elements and scale the rest by ``1 / (1 - rate)``.

    >>> out = dropout(Tensor(np.ones((2, 2))), 0.5, seed=0)
    >>> set(out.data.ravel().tolist()) <= {0.0, 2.0}
    True
    """
    return ops.dropout(x, rate, dg_random.make_generator(seed), noise_shape)


def softmax_cross_entropy_with_logits(labels, logits, axis: int = -1) -> Tensor:
    """Per-example cross-entropy between a distribution ``labels`` and ``logits``.

    >>> softmax_cross_entropy_with_logits([[1.0, 0.0]], Tensor([[0.0, 0.0]])).data.round(4)
    array([0.6931], dtype=float32)
    """
    return ops.categorical_crossentropy(labels, logits, from_logits=True, axis=axis)


def sparse_softmax_cross_entropy_with_logits(labels, logits) -> Tensor:
    """Per-example cross-entropy between integer ``labels`` and ``logits``.

    >>> sparse_softmax_cross_entropy_with_logits([1], Tensor([[0.0, 0.0]])).data.round(4)
    array([0.6931], dtype=float32)
    """
    return ops.sparse_categorical_crossentropy(labels, logits, from_logits=True)


def sigmoid_cross_entropy_with_logits(labels, logits) -> Tensor:
    """Elementwise logistic loss between ``labels`` in [0, 1] and ``logits``.

    >>> sigmoid_cross_entropy_with_logits([1.0], Tensor([0.0])).data.round(4)
    array([0.6931], dtype=float32)
    """
    return ops.binary_crossentropy(labels, logits, from_logits=True)


def l2_loss(t) -> Tensor:
    """``sum(t ** 2) / 2``, as ``tf.nn.l2_loss``.

    >>> float(l2_loss(Tensor([3.0, 4.0])).data)
    12.5
    """
    t = as_tensor(t)
    return ops.sum(t * t) * 0.5


def bias_add(value, bias) -> Tensor:
    """Add a 1-D ``bias`` along the last axis; its length must match exactly.

    >>> bias_add(Tensor(np.zeros((2, 3))), Tensor([1.0, 2.0, 3.0])).data[0]
    array([1., 2., 3.])
    """
    value, bias = as_tensor(value), as_tensor(bias)
    if bias.ndim != 1 or bias.shape[0] != value.shape[-1]:
        raise ValueError(
            f"bias_add: `bias` must be 1-D with length {value.shape[-1]} (the last dimension of "
            f"`value`, shape {value.shape}). Received bias of shape {bias.shape}."
        )
    return value + bias


def batch_normalization(x, mean, variance, offset, scale, variance_epsilon: float) -> Tensor:
    """``(x - mean) * scale / sqrt(variance + variance_epsilon) + offset``, as in ``tf.nn``.

    ``offset`` and ``scale`` may be None; all arguments broadcast against ``x``.

    >>> batch_normalization(Tensor([[1.0, 4.0]]), Tensor([1.0, 2.0]), Tensor([4.0, 1.0]),
    ...                     None, None, 0.0).data
    array([[0., 2.]], dtype=float32)
    """
    return ops.batch_normalization(x, mean, variance, offset, scale, variance_epsilon)


def moments(x, axes, shift=None, keepdims: bool = False) -> tuple[Tensor, Tensor]:
    """Mean and (biased) variance of ``x`` over ``axes``, as ``tf.nn.moments``.

    ``shift`` is accepted for compatibility and unused, as in TensorFlow 2. Both results
    are differentiable.

    >>> mean, variance = moments(Tensor([[1.0, 3.0], [5.0, 7.0]]), axes=[0])
    >>> mean.data, variance.data
    (array([3., 5.], dtype=float32), array([4., 4.], dtype=float32))
    """
    x = as_tensor(x)
    axes = tuple(axes) if isinstance(axes, (list, tuple)) else (axes,)
    mean = ops.mean(x, axis=axes, keepdims=True)
    variance = ops.mean(ops.square(x - mean), axis=axes, keepdims=keepdims)
    return (mean if keepdims else ops.squeeze(mean, axes)), variance
