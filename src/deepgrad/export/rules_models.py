"""Export rules for layers around layers: a model used as a layer (transfer learning), its
graph written inline, and TimeDistributed.

>>> import deepgrad as dg
>>> is_graph_model(dg.Sequential([dg.Input(shape=(2,)), dg.layers.Dense(1)]))
True
"""

from __future__ import annotations

from deepgrad import tree
from deepgrad.export.graph_builder import GraphBuilder, Value
from deepgrad.layers import TimeDistributed
from deepgrad.models import Model, Sequential

__all__ = ["RULES", "is_graph_model"]


def is_graph_model(layer) -> bool:
    """Whether ``layer`` is a Sequential or functional model (a graph of layers)."""
    return isinstance(layer, Model) and getattr(layer, "_graph", None) is not None


def nested_model(b: GraphBuilder, model: Model, inputs):
    from deepgrad.export.walk import export_graph, graph_of

    graph = graph_of(model)
    return export_graph(b, graph, tree.flatten(inputs))


def traced_model(b: GraphBuilder, model, inputs):
    """A subclassed model used as a layer: its ``call`` traced (see ``trace``), written inline."""
    from deepgrad.export.trace import traced
    from deepgrad.export.walk import check_exportable, export_graph

    with traced(model) as graph:
        check_exportable(graph)
        return export_graph(b, graph, tree.flatten(inputs))


def time_distributed(b: GraphBuilder, layer, x: Value) -> Value:
    """The inner layer on ``(batch * steps, ...)``, then the steps split out again."""
    from deepgrad.export.registry import ExportError, require_rules

    inner = layer.layer
    rule = require_rules([inner])[id(inner)]
    inner_shape = (None, *x.shape[2:])
    if any(s is None for s in inner_shape[1:]):
        raise ExportError(
            f"export: layer '{layer.name}' of class TimeDistributed needs known sizes after "
            f"the steps axis; its input shape is {x.shape}."
        )
    name = b.last(x)
    merged = Value({False: b.node("Reshape", [name, b.ints([-1, *inner_shape[1:]], "merged")])},
                   inner_shape, x.dtype)
    out = rule(b, inner, merged)
    out_shape = inner.compute_output_shape(inner_shape)
    out.describe(out_shape, None)
    leading = b.node("Slice", [b.node("Shape", [name]), b.ints([0], "starts"),
                               b.ints([2], "ends")])
    shape = b.node("Concat", [leading, b.ints(list(out_shape[1:]), "rest")], axis=0)
    return Value({False: b.node("Reshape", [b.last(out), shape])})


RULES = {Model: nested_model, Sequential: nested_model, TimeDistributed: time_distributed}
