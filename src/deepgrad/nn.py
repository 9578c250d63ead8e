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

import numpy as np

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
    "batch_normalization", "moments", "conv1d", "conv2d", "conv2d_transpose",
    "depthwise_conv2d", "max_pool1d", "max_pool2d", "avg_pool1d", "avg_pool2d", "max_pool",
    "avg_pool",
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
    return ops.normalization.batch_normalization(x, mean, variance, offset, scale,
                                                 variance_epsilon)


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


# -- convolution and pooling, TF argument forms ------------------------------------------


def _spatial(value, n: int, name: str, where: str) -> tuple[int, ...]:
    """TF's int / n-list / (n+2)-list forms ([1, s, s, 1]) of strides, sizes and dilations."""
    if value is None:
        return (1,) * n
    if isinstance(value, (int, np.integer)):
        return (int(value),) * n
    value = tuple(int(v) for v in value)
    if len(value) == n:
        return value
    if len(value) == n + 2:
        if value[0] != 1 or value[-1] != 1:
            raise ValueError(
                f"{where}: `{name}` in the {n + 2}-element form must be 1 for the batch and "
                f"channel dimensions, like [1, s, s, 1]. Received {list(value)}."
            )
        return value[1:-1]
    if len(value) == 1:
        return value * n
    raise ValueError(
        f"{where}: `{name}` must be an int, {n} ints, or {n + 2} ints (NHWC form). "
        f"Received {list(value)}."
    )


def _padding(padding, n: int, where: str):
    """'SAME' / 'VALID' (any case), or explicit TF pairs including the batch and channel ones."""
    if isinstance(padding, str):
        return padding.lower()
    pairs = [tuple(int(v) for v in p) for p in padding]
    if len(pairs) == n + 2:
        if pairs[0] != (0, 0) or pairs[-1] != (0, 0):
            raise ValueError(f"{where}: explicit padding of the batch and channel dimensions "
                             f"must be (0, 0). Received {padding}.")
        pairs = pairs[1:-1]
    if len(pairs) != n:
        raise ValueError(f"{where}: explicit padding needs {n} (before, after) pairs. "
                         f"Received {padding}.")
    return tuple(pairs)


def _nhwc(data_format: str, allowed: tuple[str, ...], where: str) -> None:
    if data_format not in allowed:
        raise ValueError(f"{where}: only channels-last data is supported ({' or '.join(allowed)})"
                         f". Received data_format={data_format!r}.")


def conv2d(input, filters, strides=1, padding="VALID", data_format="NHWC", dilations=None):
    """2-D cross-correlation of NHWC ``input`` with ``filters`` of shape
    ``(kh, kw, in_channels, out_channels)``, as ``tf.nn.conv2d``.

    ``strides`` and ``dilations`` take an int, a pair, or TF's ``[1, s, s, 1]``;
    ``padding`` takes ``'SAME'``/``'VALID'`` (any case) or explicit pairs.

    >>> x = Tensor(np.arange(16.0).reshape(1, 4, 4, 1))
    >>> conv2d(x, Tensor(np.ones((2, 2, 1, 1))), strides=[1, 2, 2, 1], padding="SAME").shape
    (1, 2, 2, 1)
    """
    _nhwc(data_format, ("NHWC",), "conv2d")
    return ops.conv2d(input, filters, strides=_spatial(strides, 2, "strides", "conv2d"),
                      padding=_padding(padding, 2, "conv2d"),
                      dilation_rate=_spatial(dilations, 2, "dilations", "conv2d"))


def conv1d(input, filters, stride=1, padding="VALID", data_format="NWC", dilations=None):
    """1-D cross-correlation of ``(batch, width, channels)`` input with ``filters`` of shape
    ``(k, in_channels, out_channels)``, as ``tf.nn.conv1d``.

    >>> y = conv1d(Tensor(np.array([5., 3, 7, 5, 9, 7]).reshape(1, 6, 1)),
    ...            Tensor(np.array([1., 2, 3]).reshape(3, 1, 1)))
    >>> y.data.ravel()
    array([32., 32., 44., 44.])
    """
    _nhwc(data_format, ("NWC",), "conv1d")
    stride = _spatial(stride, 1, "stride", "conv1d")[0]
    dilation = _spatial(dilations, 1, "dilations", "conv1d")[0]
    pad = _padding(padding, 1, "conv1d")
    return ops.conv1d(input, filters, strides=stride,
                      padding=pad if isinstance(pad, str) else pad[0], dilation_rate=dilation)


def conv2d_transpose(input, filters, output_shape=None, strides=1, padding="SAME",
                     data_format="NHWC", dilations=None):
    """The transpose (gradient) of :func:`conv2d`, as ``tf.nn.conv2d_transpose``: ``filters``
    have shape ``(kh, kw, out_channels, in_channels)``. ``output_shape``, when given, must be
    the shape the convolution produces (checked, not used to pick among candidates).

    >>> conv2d_transpose(Tensor(np.ones((1, 2, 2, 1))), Tensor(np.ones((2, 2, 1, 1))),
    ...                  strides=2).shape
    (1, 4, 4, 1)
    """
    _nhwc(data_format, ("NHWC",), "conv2d_transpose")
    out = ops.conv2d_transpose(input, filters,
                               strides=_spatial(strides, 2, "strides", "conv2d_transpose"),
                               padding=_padding(padding, 2, "conv2d_transpose"),
                               dilation_rate=_spatial(dilations, 2, "dilations",
                                                      "conv2d_transpose"))
    if output_shape is not None and tuple(int(s) for s in output_shape) != out.shape:
        raise ValueError(f"conv2d_transpose: output_shape {tuple(output_shape)} does not match "
                         f"the shape these strides and padding give, {out.shape}.")
    return out


def depthwise_conv2d(input, filter, strides=1, padding="VALID", data_format="NHWC",
                     dilations=None):
    """Depthwise 2-D convolution, as ``tf.nn.depthwise_conv2d``: ``filter`` has shape
    ``(kh, kw, in_channels, channel_multiplier)``.

    >>> depthwise_conv2d(Tensor(np.ones((1, 3, 3, 2))), Tensor(np.ones((3, 3, 2, 2)))).shape
    (1, 1, 1, 4)
    """
    _nhwc(data_format, ("NHWC",), "depthwise_conv2d")
    return ops.depthwise_conv2d(input, filter,
                                strides=_spatial(strides, 2, "strides", "depthwise_conv2d"),
                                padding=_padding(padding, 2, "depthwise_conv2d"),
                                dilation_rate=_spatial(dilations, 2, "dilations",
                                                       "depthwise_conv2d"))


def _pool(op, name, input, ksize, strides, padding, data_format, n):
    where = name
    _nhwc(data_format, ("NHWC",) if n == 2 else ("NWC",), where)
    size = _spatial(ksize, n, "ksize", where)
    stride = _spatial(strides if strides is not None else size, n, "strides", where)
    pad = _padding(padding, n, where)
    if not isinstance(pad, str):
        raise ValueError(f"{where}: padding must be 'SAME' or 'VALID'. Received {padding!r}.")
    if n == 1:
        return op(input, pool_size=size[0], strides=stride[0], padding=pad)
    return op(input, pool_size=size, strides=stride, padding=pad)


def max_pool2d(input, ksize, strides=None, padding="VALID", data_format="NHWC"):
    """Max pooling over NHWC ``input``, as ``tf.nn.max_pool2d`` (``strides`` default to
    ``ksize`` here; TF requires them).

    >>> x = Tensor(np.arange(16.0).reshape(1, 4, 4, 1))
    >>> max_pool2d(x, 2, 2).data[0, :, :, 0]
    array([[ 5.,  7.],
           [13., 15.]])
    """
    return _pool(ops.max_pool2d, "max_pool2d", input, ksize, strides, padding, data_format, 2)


def avg_pool2d(input, ksize, strides=None, padding="VALID", data_format="NHWC"):
    """Average pooling over NHWC ``input``, as ``tf.nn.avg_pool2d``; with ``'SAME'`` padding
    the padded cells are left out of each average, as in TensorFlow.

    >>> avg_pool2d(Tensor(np.arange(16.0).reshape(1, 4, 4, 1)), 2).data[0, :, :, 0]
    array([[ 2.5,  4.5],
           [10.5, 12.5]])
    """
    return _pool(ops.avg_pool2d, "avg_pool2d", input, ksize, strides, padding, data_format, 2)


def max_pool1d(input, ksize, strides=None, padding="VALID", data_format="NWC"):
    """Max pooling over ``(batch, width, channels)``, as ``tf.nn.max_pool1d``.

    >>> max_pool1d(Tensor(np.array([1., 5, 2, 4]).reshape(1, 4, 1)), 2).data.ravel()
    array([5., 4.])
    """
    return _pool(ops.max_pool1d, "max_pool1d", input, ksize, strides, padding, data_format, 1)


def avg_pool1d(input, ksize, strides=None, padding="VALID", data_format="NWC"):
    """Average pooling over ``(batch, width, channels)``, as ``tf.nn.avg_pool1d``.

    >>> avg_pool1d(Tensor(np.array([1., 5, 2, 4]).reshape(1, 4, 1)), 2).data.ravel()
    array([3., 3.])
    """
    return _pool(ops.avg_pool1d, "avg_pool1d", input, ksize, strides, padding, data_format, 1)


max_pool = max_pool2d
avg_pool = avg_pool2d
