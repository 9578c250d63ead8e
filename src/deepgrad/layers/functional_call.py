"""Calling a layer on KerasTensors: build it from shapes and record the call.

>>> import deepgrad as dg
>>> y = dg.layers.Dense(2)(dg.Input(shape=(3,)))
>>> y.shape
(None, 2)
"""

from __future__ import annotations

import numpy as np

from deepgrad import tree
from deepgrad.formats.budget import check_scratch
from deepgrad.layers.base import _holds_strings, shapes_of
from deepgrad.layers.keras_tensor import KerasTensor, Node
from deepgrad.tensor import Tensor, no_grad

__all__ = ["symbolic_call", "traced_output_spec"]


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
    specs = layer.compute_output_spec(inputs, *args, **kwargs)
    node = Node(layer, inputs, args, kwargs)
    flat = []

    def make(spec):
        tensor = KerasTensor(spec.shape, spec.dtype, history=(node, len(flat)))
        flat.append(tensor)
        return tensor

    node.outputs = tree.map_structure(make, specs)
    return node.outputs


def traced_output_spec(layer, inputs, args: tuple, kwargs: dict):
    """The outputs' KerasTensors found by running ``layer`` on zeros of the inputs' shapes
    (an unknown axis as 1) and declared dtypes, gradients off; the batch axis stays the
    inputs' (``None``)."""
    name = f"{type(layer).__name__} '{layer.name}'"
    batch = next((t.shape[0] for t in tree.flatten((inputs, args, kwargs))
                  if isinstance(t, KerasTensor) and t.shape), None)

    def zeros(value):
        if not isinstance(value, KerasTensor):
            return value
        shape = tuple(1 if s is None else s for s in value.shape)
        dtype = np.dtype(str) if value.dtype == "string" else np.dtype(value.dtype)
        check_scratch(shape, dtype, name)
        return Tensor(np.zeros(shape, dtype))

    with no_grad():
        outputs = layer(*tree.map_structure(zeros, (inputs, *args)), **tree.map_structure(
            zeros, kwargs))

    def spec(out):
        array = out.data if isinstance(out, Tensor) else np.asarray(out)
        shape = (batch,) + array.shape[1:] if array.ndim else ()
        return KerasTensor(shape, array.dtype)

    return tree.map_structure(spec, outputs)
