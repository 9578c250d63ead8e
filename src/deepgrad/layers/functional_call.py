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
from deepgrad.layers.base import (
    _holds_strings,
    _overrides_compute_mask,
    output_masks,
    shapes_of,
)
from deepgrad.layers.keras_tensor import KerasTensor, Node
from deepgrad.ops.masks import set_keras_mask
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
    _note_symbolic_masks(layer, inputs, kwargs, node.outputs)
    return node.outputs


def _symbolic_mask(inputs, kwargs):
    """The mask the call gets: ``mask=`` if given, else its inputs' (a list for a list)."""
    if kwargs.get("mask") is not None:
        return kwargs["mask"]
    if isinstance(inputs, KerasTensor):
        return inputs._keras_mask
    if isinstance(inputs, (list, tuple)):
        masks = [t._keras_mask if isinstance(t, KerasTensor) else None for t in inputs]
        return masks if any(m is not None for m in masks) else None
    return None


def _note_symbolic_masks(layer, inputs, kwargs, outputs) -> None:
    """Give the outputs the boolean KerasTensor masks that the call will give its real
    outputs, as Keras 3 does: found by running ``compute_mask`` on stand-ins (zeros for the
    inputs, all-True masks) and keeping the masks' ranks."""
    previous = _symbolic_mask(inputs, kwargs)
    if not layer.supports_masking or (
        previous is None and not _overrides_compute_mask(type(layer))
    ):
        return
    name = f"{type(layer).__name__} '{layer.name}'"
    masks = layer.compute_mask(
        tree.map_structure(lambda t: _stand_in(t, name), inputs),
        tree.map_structure(
            lambda m: None if m is None else _stand_in(m, name).data.astype(bool), previous
        ),
    )
    for out, mask in output_masks(outputs, masks):
        if mask is not None and isinstance(out, KerasTensor):
            rank = np.ndim(mask.data if isinstance(mask, Tensor) else mask)
            out._keras_mask = KerasTensor(out.shape[:rank], "bool")


def _stand_in(value, name: str, unknown: int = 1):
    """Zeros of a KerasTensor's shape (the batch axis 1, another unknown axis ``unknown``
    long) and dtype, carrying an all-True mask where it has one; anything else as it is."""
    if not isinstance(value, KerasTensor):
        return value
    shape = tuple(
        (1 if i == 0 else unknown) if s is None else s for i, s in enumerate(value.shape)
    )
    dtype = np.dtype(str) if value.dtype == "string" else np.dtype(value.dtype)
    check_scratch(shape, dtype, name)
    tensor = Tensor(np.zeros(shape, dtype))
    if value._keras_mask is not None:
        set_keras_mask(tensor, np.ones(shape[: value._keras_mask.ndim], bool))
    return tensor


def traced_output_spec(layer, inputs, args: tuple, kwargs: dict):
    """The outputs' KerasTensors found by running ``layer`` on zeros of the inputs' shapes
    (an unknown axis as 1) and declared dtypes, gradients off; the batch axis stays the
    inputs' (``None``). Where an input has an unknown axis besides the batch (a sequence of
    any length), a second run with that axis 2 long finds the output axes that follow it:
    they stay unknown (``None``), as Keras's symbolic shapes do."""
    name = f"{type(layer).__name__} '{layer.name}'"
    tensors = [t for t in tree.flatten((inputs, args, kwargs)) if isinstance(t, KerasTensor)]
    batch = next((t.shape[0] for t in tensors if t.shape), None)

    def run(unknown: int):
        def zeros(value):
            return _stand_in(value, name, unknown)

        with no_grad():
            return layer(*tree.map_structure(zeros, (inputs, *args)), **tree.map_structure(
                zeros, kwargs))

    outputs = run(1)
    others = None
    if any(s is None for t in tensors for s in t.shape[1:]):
        others = tree.flatten(run(2))

    flat = []

    def spec(out):
        array = out.data if isinstance(out, Tensor) else np.asarray(out)
        shape = (batch,) + array.shape[1:] if array.ndim else ()
        if others is not None and shape:
            other = np.shape(others[len(flat)])
            if len(other) == len(shape):
                shape = shape[:1] + tuple(
                    s if s == o else None for s, o in zip(shape[1:], other[1:])
                )
        flat.append(out)
        return KerasTensor(shape, array.dtype)

    return tree.map_structure(spec, outputs)
