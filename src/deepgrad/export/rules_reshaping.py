"""Export rules: Flatten, Reshape, Permute, RepeatVector, and the spatial ZeroPadding,
Cropping and UpSampling layers.

Flatten, Reshape and Permute read the model's layout (their element order is Keras's);
padding and cropping work in whichever layout their input has, on the same axes.

>>> import deepgrad as dg
>>> dg.layers.Flatten in RULES
True
"""

from __future__ import annotations

import numpy as np

from deepgrad import layers as L
from deepgrad.export.graph_builder import GraphBuilder, Value, to_last

__all__ = ["RULES"]

_INT64_MAX = np.iinfo(np.int64).max


def flatten(b: GraphBuilder, layer: L.Flatten, x: Value) -> Value:
    name = b.last(x)
    if layer.data_format == "channels_first" and x.rank > 2:  # Keras flattens channels last
        name = b.node("Transpose", [name], perm=to_last(x.rank))
    return Value({False: b.node("Flatten", [name], axis=1)})


def reshape(b: GraphBuilder, layer: L.Reshape, x: Value) -> Value:
    shape = b.ints([0, *layer.target_shape], "target_shape")  # 0: keep the batch size
    return Value({False: b.node("Reshape", [b.last(x), shape])})


def permute(b: GraphBuilder, layer: L.Permute, x: Value) -> Value:
    return Value({False: b.node("Transpose", [b.last(x)], perm=[0, *layer.dims])})


def repeat_vector(b: GraphBuilder, layer: L.RepeatVector, x: Value) -> Value:
    wide = b.node("Unsqueeze", [b.last(x), b.ints([1], "axes")])
    return Value({False: b.node("Expand", [wide, b.ints([1, layer.n, 1], "repeats")])})


def _axes(b: GraphBuilder, layer, x: Value, first: bool) -> list[int]:
    return [b.axis(a, x.rank, first) for a in layer._axes]


def zero_padding(b: GraphBuilder, layer, x: Value) -> Value:
    name, first = b.native(x)
    begins, ends = [0] * x.rank, [0] * x.rank
    for axis, (before, after) in zip(_axes(b, layer, x, first), layer.padding):
        begins[axis], ends[axis] = before, after
    return Value({first: b.node("Pad", [name, b.ints(begins + ends, "pads")], mode="constant")})


def cropping(b: GraphBuilder, layer, x: Value) -> Value:
    name, first = b.native(x)
    axes = _axes(b, layer, x, first)
    starts = [start for start, _ in layer.cropping]
    ends = [-end if end else _INT64_MAX for _, end in layer.cropping]
    out = b.node("Slice", [name, b.ints(starts, "starts"), b.ints(ends, "ends"),
                           b.ints(axes, "axes")])
    return Value({first: out})


def up_sampling(b: GraphBuilder, layer, x: Value) -> Value:
    """Nearest: each value repeated (asymmetric coordinates, floor); bilinear: half-pixel
    centres, as deepgrad's and Keras's."""
    if layer.data_format == "channels_first":
        name, first = b.last(x), False
    else:
        name, first = b.first(x), True
    scales = [1.0] * x.rank
    for axis, size in zip(_axes(b, layer, x, first), layer.size):
        scales[axis] = float(size)
    if getattr(layer, "interpolation", "nearest") == "nearest":
        modes = {"mode": "nearest", "coordinate_transformation_mode": "asymmetric",
                 "nearest_mode": "floor"}
    else:
        modes = {"mode": "linear", "coordinate_transformation_mode": "half_pixel"}
    scales_c = b.const(np.asarray(scales, np.float32), "scales")
    return Value({first: b.node("Resize", [name, "", scales_c], **modes)})


RULES = {
    L.Flatten: flatten, L.Reshape: reshape, L.Permute: permute, L.RepeatVector: repeat_vector,
    L.ZeroPadding1D: zero_padding, L.ZeroPadding2D: zero_padding, L.ZeroPadding3D: zero_padding,
    L.Cropping1D: cropping, L.Cropping2D: cropping, L.Cropping3D: cropping,
    L.UpSampling1D: up_sampling, L.UpSampling2D: up_sampling, L.UpSampling3D: up_sampling,
}
