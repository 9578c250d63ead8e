"""Neural-network ops: activations, dropout, and fused, numerically stable cross-entropies.

The cross-entropies are single ops with hand-written backward passes. From logits they
use log-sum-exp; from probabilities they follow Keras: normalise, clip to
``[epsilon, 1 - epsilon]`` (``dg.config.epsilon()``, 1e-7 unless set), then take the log.
When the probabilities come straight from :func:`softmax` (or ``sigmoid`` for the binary
loss), the loss works from the logits that op saw (noted in ``ops/logits.py``), as Keras's
TensorFlow backend does: the value is exact instead of clipped, and the gradient skips the softmax.

>>> import deepgrad as dg
>>> logits = dg.Tensor([[2.0, 1.0, 0.1]], requires_grad=True)
>>> loss = sparse_categorical_crossentropy(np.array([0]), logits, from_logits=True)
>>> round(float(loss.data[0]), 4)
0.417
"""

from __future__ import annotations

import math

import numpy as np

from deepgrad import config
from deepgrad.kernels import activation as activation_kernels
from deepgrad.ops.core import float_tensor
from deepgrad.ops.elementwise import sigmoid_array
from deepgrad.ops.logits import logits_of, remember
from deepgrad.ops.symbolic import op
from deepgrad.tensor import Tensor, as_tensor, make_result

__all__ = [
    "softmax",
    "log_softmax",
    "elu",
    "selu",
    "leaky_relu",
    "gelu",
    "softplus",
    "softsign",
    "silu",
    "relu6",
    "hard_sigmoid",
    "exponential",
    "dropout",
    "sparse_categorical_crossentropy",
    "categorical_crossentropy",
    "binary_crossentropy",
]


def _unary(x, out: np.ndarray, derivative) -> Tensor:
    """Record an elementwise op whose gradient is ``g * derivative()``."""
    return make_result(out, (x,), lambda g: (g * derivative(),))


@op
def softmax(x, axis: int = -1) -> Tensor:
    """Softmax along ``axis``, computed with the maximum subtracted.

    >>> softmax(Tensor([[0.0, 0.0]])).data
    array([[0.5, 0.5]], dtype=float32)
    """
    x = as_tensor(x)
    e = np.exp(x.data - x.data.max(axis=axis, keepdims=True))
    e /= e.sum(axis=axis, keepdims=True)

    def backward(g):
        gs = g * e
        return (gs - e * gs.sum(axis=axis, keepdims=True),)

    out = make_result(e, (x,), backward)
    if axis in (-1, x.ndim - 1):
        remember(out, x, "softmax")
    return out


@op
def log_softmax(x, axis: int = -1) -> Tensor:
    """``x - logsumexp(x)`` along ``axis``.

    >>> np.exp(log_softmax(Tensor([[0.0, 0.0]])).data)
    array([[0.5, 0.5]], dtype=float32)
    """
    x = as_tensor(x)
    shifted = x.data - x.data.max(axis=axis, keepdims=True)
    out = shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))

    def backward(g):
        return (g - np.exp(out) * g.sum(axis=axis, keepdims=True),)

    return make_result(out, (x,), backward)


@op
def elu(x, alpha: float = 1.0) -> Tensor:
    """``x`` if ``x > 0`` else ``alpha * (exp(x) - 1)``.

    >>> elu(Tensor([-1.0, 1.0])).data.round(4)
    array([-0.6321,  1.    ], dtype=float32)
    """
    x = as_tensor(x)
    neg = alpha * np.expm1(np.minimum(x.data, 0))
    out = np.where(x.data > 0, x.data, neg)
    return _unary(x, out, lambda: np.where(x.data > 0, 1, neg + alpha).astype(x.dtype))


_SELU_ALPHA = 1.6732632423543772
_SELU_SCALE = 1.0507009873554805


@op
def selu(x) -> Tensor:
    """Scaled ELU with the self-normalising constants.

    >>> selu(Tensor([1.0])).data
    array([1.050701], dtype=float32)
    """
    x = as_tensor(x)
    neg = _SELU_SCALE * _SELU_ALPHA * np.expm1(np.minimum(x.data, 0))
    out = np.where(x.data > 0, _SELU_SCALE * x.data, neg).astype(x.dtype)
    derivative = lambda: np.where(x.data > 0, _SELU_SCALE, neg + _SELU_SCALE * _SELU_ALPHA)  # noqa: E731
    return _unary(x, out, lambda: derivative().astype(x.dtype))


@op
def leaky_relu(x, negative_slope: float = 0.2) -> Tensor:
    """``x`` if ``x > 0`` else ``negative_slope * x`` (Keras's default slope 0.2).

    >>> leaky_relu(Tensor([-1.0, 2.0])).data
    array([-0.2,  2. ], dtype=float32)
    """
    x = float_tensor(x)  # Keras: integer inputs give floatx
    slope = np.asarray(negative_slope, dtype=x.dtype)
    out = np.where(x.data > 0, x.data, x.data * slope)
    return _unary(x, out, lambda: np.where(x.data > 0, 1, slope).astype(x.dtype))


def _erf(x: np.ndarray) -> np.ndarray:
    if x.dtype == np.float64:
        return np.vectorize(math.erf, otypes=[np.float64])(x)
    # Abramowitz & Stegun 7.1.26: |error| < 1.5e-7, below float32 resolution.
    sign = np.sign(x)
    a = np.abs(x)
    t = 1 / (1 + 0.3275911 * a)
    poly = t * (
        0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429)))
    )
    return (sign * (1 - poly * np.exp(-a * a))).astype(x.dtype)


@op
def gelu(x, approximate: bool = True) -> Tensor:
    """Gaussian error linear unit: the tanh approximation by default (``keras.ops.gelu``'s
    default; the ``gelu`` activation and layer default to the exact erf form).

    >>> gelu(Tensor([1.0]), approximate=False).data.round(4)
    array([0.8413], dtype=float32)
    """
    x = as_tensor(x)
    d = x.data
    if approximate:
        c = math.sqrt(2 / math.pi)
        inner = c * (d + 0.044715 * d**3)
        t = np.tanh(inner)
        out = 0.5 * d * (1 + t)
        derivative = lambda: 0.5 * (1 + t) + 0.5 * d * (1 - t * t) * c * (1 + 3 * 0.044715 * d * d)  # noqa: E731
    else:
        cdf = 0.5 * (1 + _erf(d / math.sqrt(2)))
        out = d * cdf
        derivative = lambda: cdf + d * np.exp(-0.5 * d * d) / math.sqrt(2 * math.pi)  # noqa: E731
    return _unary(x, out.astype(x.dtype), lambda: derivative().astype(x.dtype))


@op
def softplus(x) -> Tensor:
    """``log(1 + exp(x))`` computed without overflow.

    >>> softplus(Tensor([0.0])).data.round(4)
    array([0.6931], dtype=float32)
    """
    x = as_tensor(x)
    out = np.logaddexp(x.data, 0).astype(x.dtype)
    return _unary(x, out, lambda: sigmoid_array(x.data))


@op
def softsign(x) -> Tensor:
    """``x / (1 + |x|)``.

    >>> softsign(Tensor([1.0])).data
    array([0.5], dtype=float32)
    """
    x = as_tensor(x)
    denom = 1 + np.abs(x.data)
    return _unary(x, x.data / denom, lambda: 1 / (denom * denom))


@op
def silu(x) -> Tensor:
    """``x * sigmoid(x)`` (also called swish).

    >>> silu(Tensor([0.0])).data
    array([0.], dtype=float32)
    """
    x = as_tensor(x)
    s = sigmoid_array(x.data)
    return _unary(x, x.data * s, lambda: s * (1 + x.data * (1 - s)))


@op
def relu6(x) -> Tensor:
    """``min(max(x, 0), 6)``.

    >>> relu6(Tensor([-1.0, 3.0, 9.0])).data
    array([0., 3., 6.], dtype=float32)
    """
    x = as_tensor(x)
    if x.dtype.kind != "f":
        out = np.clip(x.data, 0, 6)
        return _unary(x, out, lambda: ((x.data > 0) & (x.data < 6)).astype(x.dtype))
    out = activation_kernels.clip(x.data, 0.0, 6.0)  # in cached chunks, in threads
    return make_result(out, (x,), lambda g: (activation_kernels.clip_grad(g, out, 0.0, 6.0),))


@op
def hard_sigmoid(x) -> Tensor:
    """Keras 3's ``relu6(x + 3) / 6``.

    >>> hard_sigmoid(Tensor([0.0])).data
    array([0.5], dtype=float32)
    """
    x = as_tensor(x)
    out = (np.clip(x.data + 3, 0, 6) / 6).astype(x.dtype)
    return _unary(x, out, lambda: (((x.data > -3) & (x.data < 3)) / 6).astype(x.dtype))


@op
def exponential(x) -> Tensor:
    """``exp(x)`` as an activation.

    >>> exponential(Tensor([0.0])).data
    array([1.], dtype=float32)
    """
    x = as_tensor(x)
    out = np.exp(x.data)
    return _unary(x, out, lambda: out)


@op
def dropout(x, rate: float, generator: np.random.Generator, noise_shape=None) -> Tensor:
    """Zero each element with probability ``rate`` and scale the rest by ``1 / (1 - rate)``.

    Args:
        x: input tensor.
        rate: drop probability in ``[0, 1)``.
        generator: the NumPy generator that draws the mask.
        noise_shape: optional shape broadcastable to ``x.shape`` (e.g. one mask per channel).

    >>> out = dropout(Tensor(np.ones((2, 4))), 0.5, np.random.default_rng(0))
    >>> sorted(set(out.data.ravel().tolist())) in ([0.0, 2.0], [2.0], [0.0])
    True
    """
    x = as_tensor(x)
    if not 0 <= rate < 1:
        raise ValueError(f"dropout: `rate` must be in [0, 1). Received: rate={rate}")
    if rate == 0:
        return x
    shape = (
        x.shape
        if noise_shape is None
        else tuple(n if n is not None else s for n, s in zip(noise_shape, x.shape))
    )
    dtype = x.dtype if x.dtype.kind == "f" else np.float32
    keep = generator.random(shape, dtype=np.float32 if dtype == np.float16 else dtype) >= rate
    mask = keep.astype(dtype) * np.asarray(1 / (1 - rate), dtype=dtype)
    return make_result(x.data * mask, (x,), lambda g: (g * mask,))


def _labels_array(labels, n_classes: int, name: str) -> np.ndarray:
    y = labels.data if isinstance(labels, Tensor) else np.asarray(labels)
    if y.dtype.kind == "f":
        if not np.all(np.mod(y, 1) == 0):
            raise ValueError(
                f"{name}: expected integer class labels, got non-integer values such as "
                f"{y[np.mod(y, 1) != 0].ravel()[:3].tolist()}. One-hot labels need the "
                "non-sparse loss (categorical_crossentropy)."
            )
        y = y.astype(np.int64)
    elif y.dtype.kind == "b":  # True/False as classes 1/0, as Keras casts them
        y = y.astype(np.int64)
    elif y.dtype.kind not in "iu":
        raise TypeError(f"{name}: expected integer class labels. Received dtype {y.dtype}")
    if y.size and (y.min() < 0 or y.max() >= n_classes):
        bad = y[(y < 0) | (y >= n_classes)].ravel()[:3].tolist()
        raise ValueError(
            f"{name}: labels must be in [0, {n_classes - 1}] for {n_classes} classes. "
            f"Received labels such as {bad}. To fix, check the label encoding or give the "
            f"output layer more units."
        )
    return y


def _from_softmax(output: Tensor) -> tuple[Tensor, bool]:
    """``(its logits, True)`` for a softmax output, else ``(output, False)``."""
    source = logits_of(output, "softmax")
    return (output, False) if source is None else (source, True)


@op
def sparse_categorical_crossentropy(
    target, output, from_logits: bool = False, axis: int = -1
) -> Tensor:
    """Per-sample cross-entropy with integer labels; one fused op.

    Args:
        target: integer class ids of shape ``output.shape[:-1]`` (a trailing 1 is allowed).
        output: logits or probabilities, classes on the last axis.
        from_logits: whether ``output`` are logits.

    Returns:
        A tensor of shape ``output.shape[:-1]``.

    Raises:
        ValueError: for labels out of range or non-integer labels.

    >>> p = Tensor([[0.9, 0.1]])
    >>> sparse_categorical_crossentropy([0], p).data.round(4)
    array([0.1054], dtype=float32)
    """
    output = as_tensor(output)
    if not from_logits and axis in (-1, output.ndim - 1):
        output, from_logits = _from_softmax(output)
    if axis not in (-1, output.ndim - 1):
        output_moved = np.moveaxis(output.data, axis, -1)
    else:
        output_moved = output.data
    n_classes = output_moved.shape[-1]
    y = _labels_array(target, n_classes, "sparse_categorical_crossentropy")
    if y.ndim == output_moved.ndim and y.shape[-1] == 1:
        y = y[..., 0]
    if y.shape != output_moved.shape[:-1]:
        raise ValueError(
            "sparse_categorical_crossentropy: labels must have shape "
            f"{output_moved.shape[:-1]} for outputs of shape {output_moved.shape}. Received "
            f"labels of shape {y.shape}."
        )
    flat = output_moved.reshape(-1, n_classes)
    rows = np.arange(flat.shape[0])
    cols = y.reshape(-1)
    if from_logits:
        shifted = flat - flat.max(axis=1, keepdims=True)
        exp = np.exp(shifted)
        total = exp.sum(axis=1)
        loss = np.log(total) - shifted[rows, cols]

        def flat_grad(g):
            grad = exp / total[:, None]
            grad[rows, cols] -= 1
            return grad * g[:, None]
    else:
        total = flat.sum(axis=1)
        p = flat[rows, cols] / total
        eps = config.epsilon()
        q = np.clip(p, eps, 1 - eps)
        loss = -np.log(q)

        def flat_grad(g):
            # d(-log q_y)/d o_j = -(1/q_y) * [q unclipped] * (delta_yj - p_y) / total
            coef = -g * ((p > eps) & (p < 1 - eps)) / (q * total)
            grad = np.broadcast_to((-coef * p)[:, None], flat.shape).copy()
            grad[rows, cols] += coef
            return grad

    def backward(g):
        grad = flat_grad(g.reshape(-1)).reshape(output_moved.shape)
        if output_moved is not output.data:
            grad = np.moveaxis(grad, -1, axis)
        return (grad.astype(output.dtype, copy=False),)

    return make_result(loss.reshape(y.shape).astype(output.dtype, copy=False), (output,), backward)


@op
def categorical_crossentropy(target, output, from_logits: bool = False, axis: int = -1) -> Tensor:
    """Per-sample cross-entropy with one-hot (or soft) targets; one fused op.

    >>> categorical_crossentropy([[1.0, 0.0]], Tensor([[0.9, 0.1]])).data.round(4)
    array([0.1054], dtype=float32)
    """
    output = as_tensor(output)
    if not from_logits and axis in (-1, output.ndim - 1):
        output, from_logits = _from_softmax(output)
    target = as_tensor(target, dtype=output.dtype)
    if target.shape != output.shape:
        raise ValueError(
            f"categorical_crossentropy: target and output must have the same shape. Received "
            f"target shape {target.shape} and output shape {output.shape}. Integer labels need "
            "sparse_categorical_crossentropy."
        )
    t, o = target.data, output.data
    if from_logits:
        shifted = o - o.max(axis=axis, keepdims=True)
        log_p = shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))
        loss = -(t * log_p).sum(axis=axis)

        def backward(g):
            gk = np.expand_dims(g, axis)
            go = (np.exp(log_p) * t.sum(axis=axis, keepdims=True) - t) * gk
            gt = -log_p * gk if target.requires_grad else None
            return gt, go
    else:
        total = o.sum(axis=axis, keepdims=True)
        p = o / total
        eps = config.epsilon()
        q = np.clip(p, eps, 1 - eps)
        log_q = np.log(q)
        loss = -(t * log_q).sum(axis=axis)

        def backward(g):
            gk = np.expand_dims(g, axis)
            dp = -gk * t * ((p > eps) & (p < 1 - eps)) / q
            go = (dp - (dp * p).sum(axis=axis, keepdims=True)) / total
            gt = -log_q * gk if target.requires_grad else None
            return gt, go

    return make_result(loss, (target, output), backward)


@op
def binary_crossentropy(target, output, from_logits: bool = False) -> Tensor:
    """Elementwise binary cross-entropy (average it over the last axis for Keras's loss).

    >>> binary_crossentropy([1.0], Tensor([0.9])).data.round(4)
    array([0.1054], dtype=float32)
    """
    output = as_tensor(output)
    if not from_logits:
        source = logits_of(output, "sigmoid")
        if source is not None:
            output, from_logits = source, True
    target = as_tensor(target, dtype=output.dtype)
    if target.shape != output.shape:
        raise ValueError(
            f"binary_crossentropy: target and output must have the same shape. Received "
            f"target shape {target.shape} and output shape {output.shape}."
        )
    t, o = target.data, output.data
    if from_logits:
        loss = np.maximum(o, 0) - o * t + np.log1p(np.exp(-np.abs(o)))

        def backward(g):
            gt = -o * g if target.requires_grad else None
            return gt, (sigmoid_array(o) - t) * g
    else:
        eps = config.epsilon()
        q = np.clip(o, eps, 1 - eps)
        log_q, log_1q = np.log(q), np.log(1 - q)
        loss = -(t * log_q + (1 - t) * log_1q)

        def backward(g):
            inside = (o > eps) & (o < 1 - eps)
            go = g * inside * ((1 - t) / (1 - q) - t / q)
            gt = -(log_q - log_1q) * g if target.requires_grad else None
            return gt, go

    return make_result(loss.astype(output.dtype, copy=False), (target, output), backward)
