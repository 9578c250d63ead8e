"""Calling a layer on KerasTensors: build it from shapes and record the call.

>>> import deepgrad as dg
>>> y = dg.layers.Dense(2)(dg.Input(shape=(3,)))
>>> y.shape
(None, 2)
"""

from __future__ import annotations

from deepgrad.layers.base import _holds_strings
from deepgrad.layers.keras_tensor import KerasTensor, Node

__all__ = ["symbolic_call"]


def _map(structure, fn):
    if isinstance(structure, (list, tuple)):
        return type(structure)(_map(s, fn) for s in structure)
    if isinstance(structure, dict):
        return {k: _map(v, fn) for k, v in structure.items()}
    return fn(structure)


def symbolic_call(layer, inputs, args: tuple, kwargs: dict):
    """Build ``layer`` for the inputs' shapes and return KerasTensor outputs with history."""
    if not layer._accepts_strings and _holds_strings(inputs):
        layer._refuse_strings(inputs)
    shapes = _map(inputs, lambda t: t.shape if isinstance(t, KerasTensor) else t)
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

    node.outputs = _map_shapes(out_shapes, make)
    return node.outputs


def _is_single_shape(shape) -> bool:
    return isinstance(shape, tuple) and all(s is None or isinstance(s, int) for s in shape)


def _map_shapes(shapes, fn):
    if _is_single_shape(shapes):
        return fn(shapes)
    if isinstance(shapes, dict):
        return {k: _map_shapes(v, fn) for k, v in shapes.items()}
    return [_map_shapes(s, fn) for s in shapes]
