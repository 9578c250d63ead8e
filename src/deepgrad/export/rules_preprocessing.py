"""Export rules: Rescaling, Normalization, Resizing, CenterCrop, and RandomCrop at inference.

Resizing is ONNX's ``Resize`` on channels-first images with half-pixel centres, as
``tf.image.resize`` and deepgrad: bilinear clamps at the edges, nearest reads pixel
``floor((i + 0.5) * in / out)`` (``round_prefer_ceil`` of the half-pixel coordinate).
The aspect-ratio crop and pad need the image size, fixed by the model's Input.

>>> import deepgrad as dg
>>> dg.layers.Resizing in RULES
True
"""

from __future__ import annotations

import numpy as np

from deepgrad import config
from deepgrad import layers as L
from deepgrad.export.graph_builder import GraphBuilder, Value
from deepgrad.export.registry import ExportError
from deepgrad.export.rules_conv import _spatial
from deepgrad.kernels.resize import aspect_ratio_crop_box, aspect_ratio_padding

__all__ = ["RULES"]


def rescaling(b: GraphBuilder, layer: L.Rescaling, x: Value) -> Value:
    name, first = b.native(x)
    out = b.node("Mul", [name, b.broadcast_const(layer.scale, x.rank, first, "scale", b.dtype)])
    if np.any(np.asarray(layer.offset)):
        offset = b.broadcast_const(layer.offset, x.rank, first, "offset", b.dtype)
        out = b.node("Add", [out, offset])
    return Value({first: out})


def normalization(b: GraphBuilder, layer: L.Normalization, x: Value) -> Value:
    name, first = b.native(x)
    mean = layer.mean.numpy().reshape(layer._broadcast).astype(np.float64)
    std = np.maximum(np.sqrt(layer.variance.numpy().reshape(layer._broadcast)
                             .astype(np.float64)), config.epsilon())  # as the layer
    mean_c = b.broadcast_const(mean, x.rank, first, "mean", b.dtype)
    if layer.invert:
        std_c = b.broadcast_const(std, x.rank, first, "std", b.dtype)
        return Value({first: b.node("Add", [b.node("Mul", [name, std_c]), mean_c])})
    inverse = b.broadcast_const(1.0 / std, x.rank, first, "inverse_std", b.dtype)
    return Value({first: b.node("Mul", [b.node("Sub", [name, mean_c]), inverse])})


def _images(b: GraphBuilder, layer, x: Value) -> tuple[str, bool]:
    """The images channels-first, and whether that is the graph's channels-first form of
    the model's tensor (True) or the model's own layout (a channels_first layer)."""
    if x.rank != 4:
        raise ExportError(
            f"export: layer '{layer.name}' of class {type(layer).__name__} is exported for "
            f"batches of images (rank 4); its input shape is {x.shape}."
        )
    if getattr(layer, "data_format", "channels_last") == "channels_first":
        return b.last(x), False
    return b.first(x), True


def _hw(layer, x: Value) -> tuple[int | None, int | None]:
    if getattr(layer, "data_format", "channels_last") == "channels_first":
        return x.shape[2], x.shape[3]
    return x.shape[1], x.shape[2]


def _slice_hw(b: GraphBuilder, name: str, top: int, left: int, height: int, width: int) -> str:
    return b.node("Slice", [name, b.ints([top, left], "starts"),
                            b.ints([top + height, left + width], "ends"),
                            b.ints([2, 3], "axes")])


def _resize(b: GraphBuilder, layer, name: str, size_in, size_out, interpolation: str,
            antialias: bool = False) -> str:
    shrinks = any(i is None or i > o for i, o in zip(size_in, size_out))
    if tuple(size_in) == tuple(size_out):
        return name
    if interpolation not in ("bilinear", "nearest"):
        raise ExportError(
            f"export: layer '{layer.name}' of class {type(layer).__name__}: interpolation "
            f"{interpolation!r} has no export rule (bilinear and nearest do)."
        )
    attributes = {"coordinate_transformation_mode": "half_pixel"}
    if interpolation == "nearest":
        attributes.update(mode="nearest", nearest_mode="round_prefer_ceil")
    else:
        attributes["mode"] = "linear"
        if antialias and shrinks:  # ONNX's antialias filter is not TensorFlow's: the numbers differ
            raise ExportError(
                f"export: layer '{layer.name}' of class {type(layer).__name__} uses "
                "antialias=True, which ONNX's Resize computes differently. To fix, export "
                "with antialias=False (the same when enlarging)."
            )
    batch_channels = b.node("Slice", [b.node("Shape", [name]), b.ints([0], "starts"),
                                      b.ints([2], "ends")])
    sizes = b.node("Concat", [batch_channels, b.ints(list(size_out), "size")], axis=0)
    return b.node("Resize", [name, "", "", sizes], **attributes)


def _resized(b: GraphBuilder, layer, x: Value, crop: bool, pad: bool, interpolation: str,
             antialias: bool = False, fill_value: float = 0.0) -> Value:
    name, first = _images(b, layer, x)
    target = (layer.height, layer.width)
    h, w = _hw(layer, x)
    if crop or pad:
        h, w = _spatial(layer, (h, w))
    if crop:
        top, left, h, w = aspect_ratio_crop_box(h, w, *target)
        name = _slice_hw(b, name, top, left, h, w)
    elif pad:
        top, bottom, left, right = aspect_ratio_padding(h, w, *target)
        if top + bottom + left + right:
            pads = b.ints([0, 0, top, left, 0, 0, bottom, right], "pads")
            fill = b.const(np.asarray(fill_value, b.dtype), "fill_value")
            name = b.node("Pad", [name, pads, fill], mode="constant")
            h, w = h + top + bottom, w + left + right
    return Value({first: _resize(b, layer, name, (h, w), target, interpolation, antialias)})


def resizing(b: GraphBuilder, layer: L.Resizing, x: Value) -> Value:
    return _resized(b, layer, x, layer.crop_to_aspect_ratio, layer.pad_to_aspect_ratio,
                    layer.interpolation, layer.antialias, layer.fill_value)


def center_crop(b: GraphBuilder, layer: L.CenterCrop, x: Value) -> Value:
    """Keras's rule: a centred window, or for a smaller image the aspect-ratio crop resized."""
    h, w = _spatial(layer, _hw(layer, x))
    if h < layer.height or w < layer.width:
        return _resized(b, layer, x, True, False, "bilinear")
    name, first = _images(b, layer, x)
    top, left = (h - layer.height) // 2, (w - layer.width) // 2
    return Value({first: _slice_hw(b, name, top, left, layer.height, layer.width)})


def random_crop(b: GraphBuilder, layer: L.RandomCrop, x: Value) -> Value:
    """At inference Keras's RandomCrop is the aspect-ratio crop, resized (bilinear)."""
    return _resized(b, layer, x, True, False, "bilinear")


RULES = {
    L.Rescaling: rescaling, L.Normalization: normalization, L.Resizing: resizing,
    L.CenterCrop: center_crop, L.RandomCrop: random_crop,
}
