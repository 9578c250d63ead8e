"""Export rules: Dense, activations, the layers that are the identity at inference, Embedding.

Elementwise layers keep the layout their input has (see
:mod:`deepgrad.export.graph_builder`), so an activation after a convolution stays
channels-first.

>>> import deepgrad as dg
>>> dg.layers.Dropout in RULES and dg.layers.Dense in RULES
True
"""

from __future__ import annotations

import math

import numpy as np

from deepgrad import activations
from deepgrad import layers as L
from deepgrad.export.graph_builder import GraphBuilder, Value
from deepgrad.export.registry import ExportError

__all__ = ["RULES", "apply_activation", "activation_name"]


def _scalar(b: GraphBuilder, value: float, hint: str) -> str:
    return b.const(np.asarray(value, dtype=b.dtype), hint)


def _silu(b: GraphBuilder, x: str, axis: int) -> str:
    return b.node("Mul", [x, b.node("Sigmoid", [x])])


def _gelu(b: GraphBuilder, x: str, axis: int) -> str:
    # Keras's activation is the exact form: x * Phi(x) = 0.5 * x * (1 + erf(x / sqrt(2))).
    erf = b.node("Erf", [b.node("Mul", [x, _scalar(b, 1 / math.sqrt(2), "inv_sqrt2")])])
    half_x = b.node("Mul", [x, _scalar(b, 0.5, "half")])
    return b.node("Mul", [half_x, b.node("Add", [erf, _scalar(b, 1.0, "one")])])


def _mish(b: GraphBuilder, x: str, axis: int) -> str:
    return b.node("Mul", [x, b.node("Tanh", [b.node("Softplus", [x])])])


def _relu6(b: GraphBuilder, x: str, axis: int) -> str:
    return b.node("Clip", [x, _scalar(b, 0.0, "zero"), _scalar(b, 6.0, "six")])


def _simple(op_type: str, **attributes):
    return lambda b, x, axis: b.node(op_type, [x], **attributes)


def _clip(low: float, high: float):
    return lambda b, x, axis: b.node("Clip", [x, _scalar(b, low, "low"), _scalar(b, high, "high")])


def _log_sigmoid(b: GraphBuilder, x: str, axis: int) -> str:
    # -softplus(-x): ONNX Runtime's Softplus is stable for large inputs, as deepgrad's op is.
    return b.node("Neg", [b.node("Softplus", [b.node("Neg", [x])])])


def _tanh_shrink(b: GraphBuilder, x: str, axis: int) -> str:
    return b.node("Sub", [x, b.node("Tanh", [x])])


def _squareplus(b: GraphBuilder, x: str, axis: int) -> str:
    root = b.node("Sqrt", [b.node("Add", [b.node("Mul", [x, x]), _scalar(b, 4.0, "b")])])
    return b.node("Mul", [b.node("Add", [x, root]), _scalar(b, 0.5, "half")])


def _sparse_plus(b: GraphBuilder, x: str, axis: int) -> str:
    # (clip(x, -1, 1) + 1)^2 / 4 inside, plus the part of x above 1 (relu(x - 1)).
    inside = b.node("Add", [_clip(-1.0, 1.0)(b, x, axis), _scalar(b, 1.0, "one")])
    square = b.node("Mul", [b.node("Mul", [inside, inside]), _scalar(b, 0.25, "quarter")])
    above = b.node("Relu", [b.node("Sub", [x, _scalar(b, 1.0, "one")])])
    return b.node("Add", [square, above])


def _sparse_sigmoid(b: GraphBuilder, x: str, axis: int) -> str:
    half = b.node("Mul", [b.node("Add", [x, _scalar(b, 1.0, "one")]), _scalar(b, 0.5, "half")])
    return _clip(0.0, 1.0)(b, half, axis)


def _glu(b: GraphBuilder, x: str, axis: int) -> str:
    first, second = b.node("Split", [x], outputs=2, axis=axis, num_outputs=2) \
        if b.opset >= 18 else b.node("Split", [x], outputs=2, axis=axis)
    return b.node("Mul", [first, b.node("Sigmoid", [second])])


def _sparsemax(b: GraphBuilder, x: str, axis: int, size: int) -> str:
    # The projection onto the simplex, as ops.sparsemax computes it: sort descending, keep
    # the prefix where 1 + k z_k > cumsum_k, threshold tau = (sum of the prefix - 1) / k.
    ordered = b.node("TopK", [x, b.ints([size], "k")], outputs=2, axis=axis)[0]
    running = b.node("CumSum", [ordered, b.ints(axis, "axis")])
    shape = [1] * (axis + 1)
    shape[axis] = size
    k = b.const(np.arange(1, size + 1).reshape(shape), "k_range", dtype=b.dtype)
    one = _scalar(b, 1.0, "one")
    support = b.node("Greater", [b.node("Add", [one, b.node("Mul", [k, ordered])]), running])
    kept = b.node("Cast", [support], to=b.onnx_type(b.dtype))
    count = b.reduce("ReduceSum", kept, [axis], keepdims=True)
    total = b.reduce("ReduceSum", b.node("Mul", [kept, ordered]), [axis], keepdims=True)
    tau = b.node("Div", [b.node("Sub", [total, one]), count])
    return b.node("Relu", [b.node("Sub", [x, tau])])


# activation function -> how to write it: emit(builder, name, axis) -> name; ``axis`` is
# where the model's last axis is in the tensor as the graph holds it (softmax's axis).
_ACTIVATIONS = {
    activations.linear: lambda b, x, axis: x,
    activations.relu: _simple("Relu"),
    activations.relu6: _relu6,
    activations.leaky_relu: _simple("LeakyRelu", alpha=0.2),
    activations.elu: _simple("Elu", alpha=1.0),
    activations.selu: _simple("Selu", alpha=1.6732632423543772, gamma=1.0507009873554805),
    activations.softplus: _simple("Softplus"),
    activations.softsign: _simple("Softsign"),
    activations.silu: _silu,
    activations.gelu: _gelu,
    activations.tanh: _simple("Tanh"),
    activations.sigmoid: _simple("Sigmoid"),
    activations.exponential: _simple("Exp"),
    activations.hard_sigmoid: _simple("HardSigmoid", alpha=1 / 6, beta=0.5),
    activations.hard_silu: _simple("HardSwish"),
    activations.mish: _mish,
    activations.softmax: lambda b, x, axis: b.node("Softmax", [x], axis=axis),
    activations.log_softmax: lambda b, x, axis: b.node("LogSoftmax", [x], axis=axis),
    activations.celu: _simple("Celu", alpha=1.0),
    activations.hard_shrink: _simple("Shrink", lambd=0.5, bias=0.0),
    activations.soft_shrink: _simple("Shrink", lambd=0.5, bias=0.5),
    activations.hard_tanh: _clip(-1.0, 1.0),
    activations.log_sigmoid: _log_sigmoid,
    activations.tanh_shrink: _tanh_shrink,
    activations.squareplus: _squareplus,
    activations.sparse_plus: _sparse_plus,
    activations.sparse_sigmoid: _sparse_sigmoid,
}
# Activations over the model's last axis that need its layout and size (glu halves it).
_LAST_AXIS = {activations.glu, activations.sparsemax}


def activation_name(fn) -> str:
    """The Keras name of a built-in activation (for messages)."""
    return getattr(fn, "__name__", repr(fn))


def apply_activation(b: GraphBuilder, layer, fn, x: Value) -> Value:
    """``fn(x)`` for one of Keras's activation functions, in the layout ``x`` has.

    Raises:
        ExportError: for a custom activation function.
    """
    emit = _ACTIVATIONS.get(fn)
    if emit is None and fn not in _LAST_AXIS:
        raise ExportError(
            f"export: layer '{layer.name}' of class {type(layer).__name__} uses the activation "
            f"{activation_name(fn)!r}, which has no ONNX export rule. To fix, use one of "
            "Keras's built-in activations, or register a rule for the layer."
        )
    if fn is activations.linear:
        return x
    if fn in _LAST_AXIS:
        return _last_axis_activation(b, layer, fn, x)
    name, first = b.native(x)
    out = emit(b, name, b.axis(-1, x.rank, first))
    return Value({first: out}, x.shape)


def _last_axis_activation(b: GraphBuilder, layer, fn, x: Value) -> Value:
    name, axis, size = b.last(x), x.rank - 1, x.shape[-1] if x.shape else None
    if size is None:
        raise ExportError(
            f"export: layer '{layer.name}' applies {activation_name(fn)!r} over an axis of "
            "unknown size; the rule needs the size of the model's last axis.")
    if fn is activations.sparsemax:
        return Value({False: _sparsemax(b, name, axis, size)}, x.shape)
    return Value({False: _glu(b, name, axis)}, x.shape[:-1] + (size // 2,))


# -- layers --------------------------------------------------------------------------------
def dense(b: GraphBuilder, layer: L.Dense, x: Value) -> Value:
    kernel = b.const(layer.kernel.numpy(), "kernel")
    name = b.last(x)
    if x.rank == 2:
        inputs = [name, kernel] + ([b.const(layer.bias.numpy(), "bias")] if layer.use_bias else [])
        out = b.node("Gemm", inputs)
    else:
        out = b.node("MatMul", [name, kernel])
        if layer.use_bias:
            out = b.node("Add", [out, b.const(layer.bias.numpy(), "bias")])
    shape = x.shape[:-1] + (layer.units,)
    return apply_activation(b, layer, layer.activation, Value({False: out}, shape))


def activation_layer(b: GraphBuilder, layer: L.Activation, x: Value) -> Value:
    return apply_activation(b, layer, layer.activation, x)


def relu_layer(b: GraphBuilder, layer: L.ReLU, x: Value) -> Value:
    """Keras's ReLU(max_value, negative_slope, threshold), as ``activations.relu``."""
    name, first = b.native(x)
    slope, ceiling, threshold = layer.negative_slope, layer.max_value, layer.threshold
    if slope == 0 and threshold == 0:
        out = b.node("Relu", [name]) if ceiling is None else b.node(
            "Clip", [name, _scalar(b, 0.0, "zero"), _scalar(b, ceiling, "max_value")])
        return Value({first: out})
    t = _scalar(b, threshold, "threshold")
    out = b.node("Where", [b.node("Greater", [name, t]), name, _scalar(b, 0.0, "zero")])
    if ceiling is not None:
        out = b.node("Clip", [out, _scalar(b, 0.0, "zero"), _scalar(b, ceiling, "max_value")])
    if slope != 0:
        below = b.node("Relu", [b.node("Sub", [t, name])])
        out = b.node("Sub", [out, b.node("Mul", [below, _scalar(b, slope, "slope")])])
    return Value({first: out})


def leaky_relu_layer(b: GraphBuilder, layer: L.LeakyReLU, x: Value) -> Value:
    name, first = b.native(x)
    return Value({first: b.node("LeakyRelu", [name], alpha=float(layer.negative_slope))})


def elu_layer(b: GraphBuilder, layer: L.ELU, x: Value) -> Value:
    name, first = b.native(x)
    return Value({first: b.node("Elu", [name], alpha=float(layer.alpha))})


def softmax_layer(b: GraphBuilder, layer: L.Softmax, x: Value) -> Value:
    name, first = b.native(x)
    return Value({first: b.node("Softmax", [name], axis=b.axis(layer.axis, x.rank, first))})


def prelu_layer(b: GraphBuilder, layer: L.PReLU, x: Value) -> Value:
    name, first = b.native(x)
    alpha = layer.alpha.numpy()
    if first:  # alpha has the input's shape without the batch axis: move its channels too
        alpha = np.moveaxis(alpha, -1, 0)
    return Value({first: b.node("PRelu", [name, b.const(alpha, "alpha")])})


def identity(b: GraphBuilder, layer, x: Value) -> Value:
    """Dropout, noise, activity regularization and augmentation: nothing at inference."""
    return x


def embedding(b: GraphBuilder, layer: L.Embedding, x: Value) -> Value:
    name = b.last(x)
    if np.dtype(x.dtype or "float32") != np.int64:
        name = b.node("Cast", [name], to=7)  # 7: INT64
    table = b.const(layer.embeddings.numpy(), "embeddings")
    out = Value({False: b.node("Gather", [table, name], axis=0)})
    if layer.mask_zero:
        zero = b.const(np.asarray(0, np.int64), "zero")
        out.mask = b.node("Not", [b.node("Equal", [name, zero])])
    return out


def masking(b: GraphBuilder, layer: L.Masking, x: Value) -> Value:
    """Zero the steps whose features all equal ``mask_value`` (the mask itself is not
    carried: see the recurrent rules)."""
    name = b.last(x)
    equal = b.node("Equal", [name, _scalar(b, layer.mask_value, "mask_value")])
    kept = b.node("Cast", [b.node("Not", [equal])], to=b.onnx_type(b.dtype))
    keep = b.reduce("ReduceMax", kept, [-1], keepdims=True)
    out = Value({False: b.node("Mul", [name, keep])})
    out.mask = b.node("Cast", [b.node("Squeeze", [keep, b.ints([-1], "axes")])], to=9)  # BOOL
    return out


_IDENTITY = (L.Dropout, L.SpatialDropout1D, L.SpatialDropout2D, L.SpatialDropout3D,
             L.GaussianNoise, L.GaussianDropout, L.ActivityRegularization, L.Identity,
             L.RandomBrightness, L.RandomContrast, L.RandomFlip, L.RandomRotation,
             L.RandomTranslation, L.RandomZoom)

RULES = {
    L.Dense: dense,
    L.Activation: activation_layer,
    L.ReLU: relu_layer,
    L.LeakyReLU: leaky_relu_layer,
    L.ELU: elu_layer,
    L.Softmax: softmax_layer,
    L.PReLU: prelu_layer,
    L.Embedding: embedding,
    L.Masking: masking,
    **{cls: identity for cls in _IDENTITY},
}
