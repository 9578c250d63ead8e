"""Export rules: max and average pooling (1-D, 2-D, 3-D), global and adaptive pooling.

Keras's ``'same'`` pooling pads like its convolutions (the odd pixel after) and leaves the
padding out of averages: ONNX's explicit pads with ``count_include_pad=0``. Global pooling
reads whichever layout its input has: ``GlobalAveragePool`` channels-first, a mean over
the spatial axes channels-last.

>>> import deepgrad as dg
>>> dg.layers.MaxPooling2D in RULES
True
"""

from __future__ import annotations

import numpy as np

from deepgrad import layers as L
from deepgrad.export.graph_builder import GraphBuilder, Value
from deepgrad.export.rules_conv import channels_first_input, conv_pads

__all__ = ["RULES"]


def _pool(op_type: str):
    def rule(b: GraphBuilder, layer, x: Value) -> Value:
        name, key, sizes = channels_first_input(b, layer, x)
        pads = conv_pads(layer, sizes, layer.pool_size, layer.strides,
                         (1,) * len(layer.pool_size), layer.padding)
        extra = {"count_include_pad": 0} if op_type == "AveragePool" else {}
        out = b.node(op_type, [name], kernel_shape=list(layer.pool_size),
                     strides=list(layer.strides), pads=pads, **extra)
        return Value({key: out})
    rule.__name__ = f"pool_{op_type}"
    return rule


def _global(op_type: str, reduce_type: str):
    def rule(b: GraphBuilder, layer, x: Value) -> Value:
        if layer.data_format == "channels_first":
            name, first, key = b.last(x), True, False
        else:
            name, first = b.native(x)
            key = True
        if first:
            out = b.node(op_type, [name])  # (N, C, 1, ...)
            if layer.keepdims:
                return Value({key: out})
            return Value({False: b.node("Flatten", [out], axis=1)})
        out = b.reduce(reduce_type, name, list(range(1, x.rank - 1)), layer.keepdims)
        return Value({False: out})
    rule.__name__ = f"global_{op_type}"
    return rule


def _masked_1d(reduce_type: str, fallback):
    """Global pooling over the real steps of a mask (deepgrad's rule: a sequence without
    any gives zeros)."""
    def rule(b: GraphBuilder, layer, x: Value, mask=None) -> Value:
        if mask is None:
            return fallback(b, layer, x)
        name = b.last(x)
        keep = b.node("Unsqueeze", [mask, b.ints([-1], "axes")])  # (N, T, 1)
        keep_f = b.node("Cast", [keep], to=b.onnx_type(b.dtype))
        if reduce_type == "ReduceMean":
            total = b.reduce("ReduceSum", b.node("Mul", [name, keep_f]), [1], layer.keepdims)
            count = b.reduce("ReduceSum", keep_f, [1], layer.keepdims)
            one = b.const(np.asarray(1.0, b.dtype), "one")
            return Value({False: b.node("Div", [total, b.node("Max", [count, one])])})
        lowest = b.const(np.asarray(np.finfo(b.dtype).min, b.dtype), "lowest")
        best = b.reduce("ReduceMax", b.node("Where", [keep, name, lowest]), [1], layer.keepdims)
        any_real = b.reduce("ReduceMax", keep_f, [1], layer.keepdims)
        return Value({False: b.node("Mul", [best, any_real])})
    rule.takes_mask = True
    return rule


def _adaptive(kind: str):
    """PyTorch's windows (``floor(i L / n)`` to ``ceil((i + 1) L / n)``), one spatial axis
    at a time (exact for both the mean and the max): the mean as an Einsum with an
    averaging matrix, the max as one ReduceMax per window."""
    def rule(b: GraphBuilder, layer, x: Value) -> Value:
        from deepgrad.export.rules_conv import _spatial
        from deepgrad.ops.adaptive_pool import adaptive_windows

        first_axis = 2 if layer.data_format == "channels_first" else 1
        axes = list(range(first_axis, first_axis + layer.rank))
        sizes = _spatial(layer, [x.shape[a] for a in axes])
        name = b.last(x)
        letters = "abcdefgh"[:x.rank]
        for axis, length, size in zip(axes, sizes, layer.output_size):
            starts, ends = adaptive_windows(length, size)
            if kind == "average":
                matrix = np.zeros((size, length))
                for i, (s, e) in enumerate(zip(starts, ends)):
                    matrix[i, s:e] = 1.0 / (e - s)
                out = letters[:axis] + "z" + letters[axis + 1:]
                name = b.node("Einsum", [name, b.const(matrix, "window_means", b.dtype)],
                              equation=f"{letters},z{letters[axis]}->{out}")
            else:
                parts = [b.reduce("ReduceMax", b.node("Slice", [
                    name, b.ints([int(s)], "starts"), b.ints([int(e)], "ends"),
                    b.ints([axis], "axes")]), [axis], keepdims=True)
                    for s, e in zip(starts, ends)]
                name = b.node("Concat", parts, axis=axis)
        return Value({False: name})
    return rule


_max, _average = _pool("MaxPool"), _pool("AveragePool")
_global_max = _global("GlobalMaxPool", "ReduceMax")
_global_average = _global("GlobalAveragePool", "ReduceMean")

_adaptive_average, _adaptive_max = _adaptive("average"), _adaptive("max")

RULES = {
    L.AdaptiveAveragePooling1D: _adaptive_average, L.AdaptiveAveragePooling2D: _adaptive_average,
    L.AdaptiveAveragePooling3D: _adaptive_average,
    L.AdaptiveMaxPooling1D: _adaptive_max, L.AdaptiveMaxPooling2D: _adaptive_max,
    L.AdaptiveMaxPooling3D: _adaptive_max,
    L.MaxPooling1D: _max, L.MaxPooling2D: _max, L.MaxPooling3D: _max,
    L.AveragePooling1D: _average, L.AveragePooling2D: _average, L.AveragePooling3D: _average,
    L.GlobalMaxPooling1D: _masked_1d("ReduceMax", _global_max),
    L.GlobalMaxPooling2D: _global_max,
    L.GlobalMaxPooling3D: _global_max,
    L.GlobalAveragePooling1D: _masked_1d("ReduceMean", _global_average),
    L.GlobalAveragePooling2D: _global_average,
    L.GlobalAveragePooling3D: _global_average,
}
