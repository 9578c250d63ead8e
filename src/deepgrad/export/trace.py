"""A subclassed model's graph, found by running its ``call`` on symbolic inputs.

Each layer that ``call`` uses records its call on the KerasTensors it is given, as when a
functional model is built, so the recorded calls from the inputs to the outputs are the
model's graph (Keras's exporters trace a subclassed model the same way). What ``call``
computes outside layers (``x + y``, an op, a NumPy function) cannot be recorded: tracing
then fails with an error that says so. Python control flow runs once, for the shapes
given; the calls recorded are removed from the layers afterwards.

>>> import deepgrad as dg
>>> class Net(dg.Model):
...     def __init__(self):
...         super().__init__()
...         self.hidden, self.out = dg.layers.Dense(4), dg.layers.Dense(2)
...     def call(self, x):
...         return self.out(self.hidden(x))
>>> net = Net()
>>> _ = net(np.zeros((1, 3), "float32"))
>>> with traced(net) as graph:
...     [node.layer.name for node in graph.nodes]
['dense', 'dense_1']
"""

from __future__ import annotations

import contextlib
import inspect

import numpy as np  # noqa: F401  (the docstring's example uses it)

from deepgrad import tree
from deepgrad.export.registry import ExportError
from deepgrad.layers.base import all_layers
from deepgrad.layers.input_layer import Input
from deepgrad.layers.keras_tensor import KerasTensor

__all__ = ["traced", "is_subclassed"]


def is_subclassed(model) -> bool:
    """Whether ``model`` is a built Model subclass with its own ``call`` (no graph).

    >>> import deepgrad as dg
    >>> is_subclassed(dg.Sequential([dg.Input(shape=(2,)), dg.layers.Dense(1)]))
    False
    """
    from deepgrad.models import Model

    return (isinstance(model, Model) and getattr(model, "_graph", None) is None
            and getattr(model, "built", False) and type(model).call is not Model.call)


def _input_shapes(model, input_signature):
    if input_signature is not None:
        return input_signature
    shapes = getattr(model, "_build_shapes", None)
    if shapes is None:
        raise ValueError(
            f"export: model '{model.name}' has not been built, so its inputs are unknown. To "
            "fix, call it on data first, or pass input_signature=."
        )
    return shapes


def _is_shape(value) -> bool:
    return isinstance(value, (list, tuple)) and all(
        v is None or isinstance(v, (int, np.integer)) for v in value)


def _symbolic_inputs(model, input_signature):
    shapes = _input_shapes(model, input_signature)
    one = _is_shape(shapes) or hasattr(shapes, "shape")
    specs = [shapes] if one else list(shapes)
    inputs = []
    for i, spec in enumerate(specs):
        shape = tuple(spec) if _is_shape(spec) else tuple(spec.shape)
        dtype = getattr(spec, "dtype", None) or "float32"
        name = "input_layer" if one else f"input_layer_{i}"
        inputs.append(Input(batch_shape=(None, *shape[1:]), dtype=str(dtype), name=name))
    return inputs[0] if one else inputs


@contextlib.contextmanager
def traced(model, input_signature=None):
    """Trace ``model.call`` on KerasTensors; yield its :class:`Graph` (the calls recorded on
    the layers are removed when the block ends).

    Raises:
        ExportError: when ``call`` does something other than calling layers.
    """
    from deepgrad.models.functional import Graph

    layers = all_layers(model)
    counts = {id(layer): len(layer.__dict__.get("_inbound_nodes", [])) for layer in layers}
    inputs = _symbolic_inputs(model, input_signature)
    kwargs = {"training": False} if "training" in inspect.signature(model.call).parameters else {}
    try:
        try:
            outputs = model.call(inputs, **kwargs)
        except Exception as error:
            raise ExportError(
                f"export: subclassed model '{model.name}' of class {type(model).__name__}: its "
                f"call() could not run on symbolic inputs ({type(error).__name__}: {error}). "
                "Export reads the layers call() calls; work done outside layers (ops, "
                "arithmetic on tensors) cannot be recorded. To fix, do that work in layers, "
                "or build the network as a functional model."
            ) from error
        if not all(isinstance(t, KerasTensor) for t in tree.flatten(outputs)):
            raise ExportError(
                f"export: subclassed model '{model.name}' of class {type(model).__name__}: "
                "call() returned something that no layer produced."
            )
        yield Graph(inputs, outputs, model.name)
    finally:
        for layer in layers:
            nodes = layer.__dict__.get("_inbound_nodes")
            if nodes is not None:
                del nodes[counts[id(layer)]:]
