"""Export rules: the merging layers (Add, Subtract, Multiply, Average, Maximum, Minimum,
Concatenate, Dot).

Elementwise merges stay channels-first when all their inputs are (a residual block's Add
between two convolutions adds no Transpose); ONNX broadcasts as Keras's merging layers do
(trailing axes line up).

>>> import deepgrad as dg
>>> dg.layers.Add in RULES
True
"""

from __future__ import annotations

import numpy as np

from deepgrad import layers as L
from deepgrad.export.graph_builder import GraphBuilder, Value

__all__ = ["RULES"]


def _elementwise(op_type: str, average: bool = False):
    def rule(b: GraphBuilder, layer, inputs) -> Value:
        names, first = b.common(list(inputs))
        if op_type in ("Max", "Min"):
            out = b.node(op_type, names)
        else:
            out = names[0]
            for other in names[1:]:
                out = b.node(op_type, [out, other])
        if average:
            out = b.node("Div", [out, b.const(np.asarray(len(names), b.dtype), "count")])
        return Value({first: out})
    rule.__name__ = f"merge_{op_type}"
    return rule


def concatenate(b: GraphBuilder, layer: L.Concatenate, inputs) -> Value:
    inputs = list(inputs)
    names, first = b.common(inputs)
    axis = b.axis(layer.axis, inputs[0].rank, first)
    return Value({first: b.node("Concat", names, axis=axis)})


def _unit(b: GraphBuilder, name: str, axis: int) -> str:
    """Keras's ``ops.normalize``: ``x / sqrt(max(sum(x * x), 1e-14))`` along ``axis``."""
    squares = b.reduce("ReduceSum", b.node("Mul", [name, name]), [axis], keepdims=True)
    floor = b.const(np.asarray(1e-14, b.dtype), "floor")
    return b.node("Div", [name, b.node("Sqrt", [b.node("Max", [squares, floor])])])


def dot(b: GraphBuilder, layer: L.Dot, inputs) -> Value:
    """Keras's ``batch_dot`` as one Einsum: the batch letter shared, the axes contracted."""
    first_in, second_in = inputs
    shape_a, shape_b = first_in.shape, second_in.shape
    x, y = layer._axes_for(shape_a, shape_b)
    a, c = b.last(first_in), b.last(second_in)
    if layer.normalize:
        a, c = _unit(b, a, x), _unit(b, c, y)
    letters = iter("cdefghijklmnopqrstuvwxy")
    left = ["b"] + [next(letters) for _ in range(1, len(shape_a))]
    left[x] = "z"
    right = ["b"] + [next(letters) for _ in range(1, len(shape_b))]
    right[y] = "z"
    kept = [s for s in left if s != "z"] + [s for s in right[1:] if s != "z"]
    out = b.node("Einsum", [a, c], equation=f"{''.join(left)},{''.join(right)}->{''.join(kept)}")
    if len(kept) == 1:  # Keras gives (batch, 1) for two vectors
        out = b.node("Unsqueeze", [out, b.ints([1], "axes")])
    return Value({False: out})


RULES = {
    L.Add: _elementwise("Add"),
    L.Subtract: _elementwise("Sub"),
    L.Multiply: _elementwise("Mul"),
    L.Average: _elementwise("Add", average=True),
    L.Maximum: _elementwise("Max"),
    L.Minimum: _elementwise("Min"),
    L.Concatenate: concatenate,
    L.Dot: dot,
}
