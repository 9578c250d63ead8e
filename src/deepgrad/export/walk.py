"""Walk a model's graph and let each layer's rule write its nodes.

>>> import deepgrad as dg
>>> from deepgrad.export.graph_builder import GraphBuilder, Value
>>> model = dg.Sequential([dg.Input(shape=(3,)), dg.layers.Dense(2)])
>>> b = GraphBuilder(opset=17)
>>> out = export_graph(b, model._graph, [Value({False: "x"}, (None, 3), "float32")])
>>> out.shape, [n.op_type for n in b.nodes]
((None, 2), ['Gemm'])
"""

from __future__ import annotations

import numpy as np

from deepgrad import tree
from deepgrad.export.graph_builder import GraphBuilder, Value
from deepgrad.export.registry import ExportError, require_rules
from deepgrad.layers.input_layer import InputLayer
from deepgrad.layers.keras_tensor import KerasTensor

__all__ = ["export_graph", "check_exportable", "graph_of"]


def graph_of(model):
    """The functional graph of a model (Sequential or functional), or a clear error."""
    graph = getattr(model, "_graph", None)
    if graph is None:
        name = getattr(model, "name", "?")
        if not getattr(model, "built", False):
            raise ValueError(
                f"export: model '{name}' has not been built, so its inputs are unknown. To "
                "fix, start it with dg.Input(shape=...), call it on data, or pass "
                "input_signature=."
            )
        raise ExportError(
            f"export: model '{name}' of class {type(model).__name__} has no graph of layers "
            "to export. To fix, build the same network as a functional or Sequential model."
        )
    return graph


def _layers(graph) -> list:
    found = []
    for node in graph.nodes:
        if not isinstance(node.layer, InputLayer):
            found.append(node.layer)
    return found


def check_exportable(graph) -> None:
    """Fail, before anything is built, on the first layer (nested models included) that
    has no export rule."""
    from deepgrad.export.rules_models import is_graph_model

    stack = [graph]
    while stack:
        layers = _layers(stack.pop())
        require_rules(layers)
        stack.extend(graph_of(layer) for layer in layers if is_graph_model(layer))


def export_graph(b: GraphBuilder, graph, inputs: list[Value]):
    """Write ``graph``'s layer calls; ``inputs`` are the Values of ``graph.inputs``.

    Returns:
        The Values of the graph's outputs, in its output structure.
    """
    values: dict[int, Value] = {id(t): v for t, v in zip(graph.inputs, inputs)}
    rules = require_rules(_layers(graph))
    as_value = lambda t: values[id(t)] if isinstance(t, KerasTensor) else t  # noqa: E731
    outer_scope, outer_dtype = b.scope, b.dtype
    for node in graph.nodes:
        layer = node.layer
        if isinstance(layer, InputLayer):
            continue
        x = tree.map_structure(as_value, node.inputs)
        args = tree.map_structure(as_value, node.args)
        kwargs = {k: tree.map_structure(as_value, v) for k, v in node.kwargs.items()
                  if k != "training"}
        masks = [v.mask for v in tree.flatten(x) if isinstance(v, Value) and v.mask]
        rule = rules[id(layer)]
        if masks and layer._accepts_mask and getattr(rule, "takes_mask", False):
            kwargs["mask"] = masks[0]
        elif masks and layer._accepts_mask:
            raise ExportError(
                f"export: layer '{layer.name}' of class {type(layer).__name__} receives a mask "
                "(from Embedding(mask_zero=True) or Masking before it), which its ONNX export "
                "rule does not take. To fix, export a model without the mask (mask_zero=False)."
            )
        b.scope = layer.name if outer_scope == "graph" else f"{outer_scope}/{layer.name}"
        dtype = np.dtype(layer.dtype) if layer.dtype else np.dtype("float32")
        b.dtype = dtype if dtype.kind == "f" else np.dtype("float32")
        try:
            out = rule(b, layer, x, *args, **kwargs)
        except TypeError as error:
            if not (args or kwargs):
                raise
            raise ExportError(
                f"export: layer '{layer.name}' of class {type(layer).__name__} was called with "
                f"arguments its export rule does not take ({error}). Call arguments: "
                f"{sorted(kwargs) or len(args)}."
            ) from error
        produced = tree.flatten(node.outputs)
        written = tree.flatten(out)
        if len(written) != len(produced):
            raise ExportError(
                f"export: the rule for layer '{layer.name}' of class {type(layer).__name__} "
                f"returned {len(written)} outputs; the layer has {len(produced)}."
            )
        for tensor, value in zip(produced, written):
            value.describe(tensor.shape, tensor.dtype)
            if masks and layer.supports_masking and not getattr(rule, "takes_mask", False):
                value.mask = value.mask or masks[0]  # passed through, as Keras's layers do
            values[id(tensor)] = value
    b.scope, b.dtype = outer_scope, outer_dtype
    return tree.map_structure(as_value, graph.output_structure)
