"""Export rules: BatchNormalization, LayerNormalization, GroupNormalization,
UnitNormalization and RMSNormalization.

Batch normalisation over the channels of a channels-first tensor is ONNX's
``BatchNormalization`` (which runtimes fold into the convolution before it); on any other
axis it is one multiply and one add with the folded constants
``scale = gamma / sqrt(var + eps)`` and ``shift = beta - mean * scale``. Layer
normalisation over trailing axes is ONNX's ``LayerNormalization``; other axes, and Keras's
``rms_scaling``, are written out with reductions.

>>> import deepgrad as dg
>>> dg.layers.BatchNormalization in RULES
True
"""

from __future__ import annotations

import numpy as np

from deepgrad import layers as L
from deepgrad.export.graph_builder import GraphBuilder, Value

__all__ = ["RULES"]


def _weight(layer, name: str, size_like: np.ndarray, fill: float) -> np.ndarray:
    weight = getattr(layer, name, None)
    return np.full_like(size_like, fill) if weight is None else weight.numpy()


def batch_norm(b: GraphBuilder, layer: L.BatchNormalization, x: Value) -> Value:
    mean = layer.moving_mean.numpy()
    variance = layer.moving_variance.numpy()
    gamma = _weight(layer, "gamma", mean, 1.0)
    beta = _weight(layer, "beta", mean, 0.0)
    on_channels = x.rank >= 3 and (
        (layer.axis == x.rank - 1 and True in x.names) or layer.axis == 1)
    if on_channels:  # ONNX's op normalises axis 1: the graph's channels-first form, or a
        # channels_first model's own tensor
        key = layer.axis != 1
        out = b.node("BatchNormalization",
                     [b.first(x) if key else b.last(x), b.const(gamma, "gamma"),
                      b.const(beta, "beta"), b.const(mean, "moving_mean"),
                      b.const(variance, "moving_variance")],
                     epsilon=float(layer.epsilon))
        return Value({key: out})
    scale = gamma.astype(np.float64) / np.sqrt(variance.astype(np.float64) + layer.epsilon)
    shift = beta.astype(np.float64) - mean.astype(np.float64) * scale
    shape = [1] * x.rank
    shape[layer.axis] = -1
    name, first = b.native(x)
    if layer.axis != x.rank - 1:
        name, first = b.last(x), False
    scale_c = b.broadcast_const(scale.reshape(shape[1:]), x.rank, first, "scale", b.dtype)
    shift_c = b.broadcast_const(shift.reshape(shape[1:]), x.rank, first, "shift", b.dtype)
    out = b.node("Add", [b.node("Mul", [name, scale_c]), shift_c])
    return Value({first: out})


def _reduced_standardize(b: GraphBuilder, name: str, axes: list[int], epsilon: float,
                         centre: bool) -> str:
    mean = b.reduce("ReduceMean", name, axes, keepdims=True)
    diff = b.node("Sub", [name, mean])
    variance = b.reduce("ReduceMean", b.node("Mul", [diff, diff]), axes, keepdims=True)
    root = b.node("Sqrt", [b.node("Add", [variance, b.const(np.asarray(epsilon, b.dtype),
                                                            "epsilon")])])
    return b.node("Div", [diff if centre else name, root])


def layer_norm(b: GraphBuilder, layer: L.LayerNormalization, x: Value) -> Value:
    axes = list(layer._axes)
    name = b.last(x)
    gamma = None if layer.gamma is None else layer.gamma.numpy()
    beta = None if layer.beta is None else layer.beta.numpy()
    suffix = axes == list(range(axes[0], x.rank))
    if suffix and not layer.rms_scaling:
        scale = gamma if gamma is not None else np.ones(x.shape[axes[0]:], b.dtype)
        inputs = [name, b.const(scale, "gamma")]
        if beta is not None:
            inputs.append(b.const(beta, "beta"))
        out = b.node("LayerNormalization", inputs, axis=axes[0], epsilon=float(layer.epsilon))
        return Value({False: out})
    out = _reduced_standardize(b, name, axes, layer.epsilon, centre=not layer.rms_scaling)
    shape = [x.shape[i] if i in axes else 1 for i in range(1, x.rank)]
    if gamma is not None:
        out = b.node("Mul", [out, b.const(gamma.reshape(shape), "gamma")])
    if beta is not None:
        out = b.node("Add", [out, b.const(beta.reshape(shape), "beta")])
    return Value({False: out})


def unit_norm(b: GraphBuilder, layer: L.UnitNormalization, x: Value) -> Value:
    """``x / sqrt(max(sum(x ** 2), 1e-24))`` over the axes, in the layout ``x`` has."""
    name, first = b.native(x)
    axes = axes_of(b, layer.axis, x.rank, first)
    squares = b.reduce("ReduceSum", b.node("Mul", [name, name]), axes, keepdims=True)
    floor = b.const(np.asarray(1e-24, b.dtype), "floor")
    return Value({first: b.node("Div", [name, b.node("Sqrt", [b.node("Max", [squares, floor])])])})


def rms_norm(b: GraphBuilder, layer: L.RMSNormalization, x: Value) -> Value:
    """``scale * x / sqrt(mean(x ** 2) + epsilon)``."""
    name = b.last(x)
    axes = [a % x.rank for a in layer._axes]  # counted from the end for the default axis
    mean_square = b.reduce("ReduceMean", b.node("Mul", [name, name]), axes, keepdims=True)
    epsilon = b.const(np.asarray(layer.epsilon, b.dtype), "epsilon")
    out = b.node("Div", [name, b.node("Sqrt", [b.node("Add", [mean_square, epsilon])])])
    shape = [x.shape[i] if i in axes else 1 for i in range(1, x.rank)]
    return Value({False: b.node("Mul", [out, b.const(layer.scale.numpy().reshape(shape),
                                                     "scale")])})


def group_norm(b: GraphBuilder, layer: L.GroupNormalization, x: Value) -> Value:
    """Channels moved to axis 1 (for the usual last-axis channels that is the graph's
    channels-first form), split into ``(groups, rest)``, standardised per group."""
    axis, rank = layer._axis, x.rank
    channels_last = axis == rank - 1
    if channels_last:
        name = b.first(x)
    else:
        name = b.node("Transpose", [b.last(x)], perm=_to_axis_1(axis, rank))
    grouped = b.node("Reshape", [name, b.ints([0, layer.groups, -1], "grouped")])
    out = _reduced_standardize(b, grouped, [2], layer.epsilon, centre=True)
    out = b.node("Reshape", [out, b.node("Shape", [name])])
    per_channel = (-1,) + (1,) * (rank - 2)
    if layer.gamma is not None:
        out = b.node("Mul", [out, b.const(layer.gamma.numpy().reshape(per_channel), "gamma")])
    if layer.beta is not None:
        out = b.node("Add", [out, b.const(layer.beta.numpy().reshape(per_channel), "beta")])
    if channels_last:
        return Value({True: out})
    back = np.argsort(_to_axis_1(axis, rank)).tolist()
    return Value({False: b.node("Transpose", [out], perm=back)})


def _to_axis_1(axis: int, rank: int) -> list[int]:
    return [0, axis] + [i for i in range(1, rank) if i != axis]


def axes_of(b: GraphBuilder, axis, rank: int, first: bool) -> list[int]:
    """The model's ``axis`` (an int or a list) in a tensor of the given layout."""
    axes = [axis] if isinstance(axis, int) else list(axis)
    return sorted(b.axis(a, rank, first) for a in axes)


RULES = {L.BatchNormalization: batch_norm, L.LayerNormalization: layer_norm,
         L.UnitNormalization: unit_norm, L.RMSNormalization: rms_norm,
         L.GroupNormalization: group_norm}
