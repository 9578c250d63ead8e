"""Export rule for a model used as a layer (transfer learning): its graph is written inline.

>>> import deepgrad as dg
>>> is_graph_model(dg.Sequential([dg.Input(shape=(2,)), dg.layers.Dense(1)]))
True
"""

from __future__ import annotations

from deepgrad import tree
from deepgrad.export.graph_builder import GraphBuilder
from deepgrad.models import Model, Sequential

__all__ = ["RULES", "is_graph_model"]


def is_graph_model(layer) -> bool:
    """Whether ``layer`` is a Sequential or functional model (a graph of layers)."""
    return isinstance(layer, Model) and getattr(layer, "_graph", None) is not None


def nested_model(b: GraphBuilder, model: Model, inputs):
    from deepgrad.export.walk import export_graph, graph_of

    graph = graph_of(model)
    return export_graph(b, graph, tree.flatten(inputs))


RULES = {Model: nested_model, Sequential: nested_model}
