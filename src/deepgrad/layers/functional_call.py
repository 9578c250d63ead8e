"""Calling a layer on KerasTensors: build it from shapes and record the call.

>>> import deepgrad as dg
>>> y = dg.layers.Dense(2)(dg.Input(shape=(3,)))
>>> y.shape
(None, 2)
"""

from __future__ import annotations

from deepgrad import tree
from deepgrad.layers.base import _holds_strings, shapes_of
from deepgrad.layers.keras_tensor import KerasTensor, Node

__all__ = ["symbolic_call"]


def symbolic_call(layer, inputs, args: tuple, kwargs: dict):
    """Build ``layer`` for the inputs' shapes and return KerasTensor outputs with history."""
    if not layer._accepts_strings and _holds_strings(inputs):
        layer._refuse_strings(inputs)
    shapes = shapes_of(inputs)
    if not layer.built:
        layer._check_build_rank(shapes)
        layer.build(shapes)
        layer._build_shapes = shapes
        layer.built = True
    elif layer.input_spec is not None and isinstance(inputs, KerasTensor):
        layer._check_shape(inputs.shape)
    out_shapes = layer.compute_output_shape(shapes)
    dtype = layer.dtype
    node = Node(layer, inputs, args, kwargs)
    flat = []

    def make(shape):
        tensor = KerasTensor(shape, dtype, history=(node, len(flat)))
        flat.append(tensor)
        return tensor

    node.outputs = tree.map_shape_structure(make, out_shapes)
    return node.outputs
