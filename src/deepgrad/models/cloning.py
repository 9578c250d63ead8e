"""Copies of a model's graph: sub-models between any tensors, and ``clone_model``.

``clone_graph_nodes`` lets ``dg.Model(some_layer.output, head.output)`` build a model from
intermediate tensors, as Keras does: each such input becomes a new ``dg.Input`` of the same
shape and dtype, and the calls between it and the outputs are recorded again on it (the
layers, and so their weights, are shared). ``clone_model`` makes new layers (new weights)
with the same architecture.

>>> import deepgrad as dg
>>> x = dg.Input(shape=(4,))
>>> hidden, head = dg.layers.Dense(3), dg.layers.Dense(2)
>>> y = head(hidden(x))
>>> dg.Model(hidden.output, head.output).input_shape
(None, 3)
>>> copy = clone_model(dg.Model(x, y))
>>> copy.output_shape, copy.layers[1] is hidden
((None, 2), False)
"""

from __future__ import annotations

from collections.abc import Callable

from deepgrad import tree
from deepgrad.layers.base import Layer
from deepgrad.layers.input_layer import Input, InputLayer
from deepgrad.layers.keras_tensor import KerasTensor, Node

__all__ = ["clone_graph_nodes", "clone_model", "is_input_tensor"]


def is_input_tensor(tensor) -> bool:
    """Whether ``tensor`` is a model input made by ``dg.Input``.

    >>> import deepgrad as dg
    >>> is_input_tensor(dg.Input(shape=(2,)))
    True
    """
    return (isinstance(tensor, KerasTensor) and tensor.history is not None
            and isinstance(tensor.history[0].layer, InputLayer))


def _nodes_between(inputs: list, outputs: list) -> list[Node]:
    """The calls from ``inputs`` to ``outputs``, producers first (an iterative walk)."""
    stop = {id(t) for t in inputs}
    order: list[Node] = []
    done: set[int] = set()
    for output in outputs:
        stack = [(output, False)]
        while stack:
            tensor, ready = stack.pop()
            if id(tensor) in stop or not tensor.history:
                continue
            node = tensor.history[0]
            if ready:
                if id(node) not in done:
                    done.add(id(node))
                    order.append(node)
                continue
            if id(node) in done or isinstance(node.layer, InputLayer):
                continue
            stack.append((tensor, True))
            stack.extend((parent, False) for parent in reversed(node.input_tensors()))
    return order


def clone_graph_nodes(inputs, outputs):
    """``(inputs, outputs)`` where every input that is not a ``dg.Input`` tensor is replaced
    by a new ``dg.Input`` of its shape and dtype, and the calls up to the outputs are
    recorded again on the new tensors (Keras's function of this name).

    The layers are the same objects: a sub-model shares their weights. A tensor that the
    outputs need but that is not among the inputs is left as it is (the model then reports
    it as unreachable).

    >>> import deepgrad as dg
    >>> dense = dg.layers.Dense(2)
    >>> mid = dense(dg.Input(shape=(3,)))
    >>> new_inputs, new_outputs = clone_graph_nodes(mid, dg.layers.Dense(1)(mid))
    >>> new_inputs.shape, new_outputs.shape
    ((None, 2), (None, 1))
    """
    flat_inputs, flat_outputs = tree.flatten(inputs), tree.flatten(outputs)
    mapping: dict[int, KerasTensor] = {}
    new_inputs = []
    for tensor in flat_inputs:
        if is_input_tensor(tensor):
            new = tensor
        else:
            producer = tensor.history[0].layer.name if tensor.history else "tensor"
            new = Input(batch_shape=tensor.shape, dtype=tensor.dtype,
                        name=f"{tensor.name or producer}_clone")
        mapping[id(tensor)] = new
        new_inputs.append(new)

    def swap(value):
        return mapping.get(id(value), value) if isinstance(value, KerasTensor) else value

    for node in _nodes_between(flat_inputs, flat_outputs):
        copy = Node(node.layer, tree.map_structure(swap, node.inputs),
                    tree.map_structure(swap, node.args), tree.map_structure(swap, node.kwargs))
        made: list[KerasTensor] = []

        def clone(tensor, copy=copy, made=made):
            new = KerasTensor(tensor.shape, tensor.dtype, name=tensor.name,
                              history=(copy, len(made)))
            made.append(new)
            mapping[id(tensor)] = new
            return new

        copy.outputs = tree.map_structure(clone, node.outputs)
    return (tree.pack_sequence_as(inputs, new_inputs),
            tree.map_structure(swap, outputs))


def _default_clone(layer: Layer) -> Layer:
    return type(layer).from_config(layer.get_config())


def clone_model(model, input_tensors=None, clone_function: Callable | None = None):
    """A new model with the architecture of ``model`` and new weights, as Keras's.

    Works for Sequential and functional models. Each layer is copied once by
    ``clone_function`` (by default ``type(layer).from_config(layer.get_config())``, new
    weights; return the layer itself to share it), so a layer used twice stays shared in
    the copy. A compiled model's copy is compiled with the same settings (a fresh
    optimizer). Subclassed models are rebuilt with ``from_config(get_config())``.

    Args:
        model: the model to copy.
        input_tensors: ``dg.Input`` tensor(s) to build the copy on, in the structure of
            ``model.input`` (a Sequential takes one); by default new ones of the same shapes.
        clone_function: a function from each layer to its copy.

    Raises:
        ValueError: for ``input_tensors`` of the wrong structure, or ``clone_function`` /
            ``input_tensors`` with a subclassed model.

    >>> import deepgrad as dg
    >>> model = dg.Sequential([dg.Input(shape=(3,)), dg.layers.Dense(2)])
    >>> copy = clone_model(model, input_tensors=dg.Input(shape=(3,), name="new_x"))
    >>> copy.input.name, copy.weights[0] is model.weights[0]
    ('new_x', False)
    """
    from deepgrad.models.model import Model
    from deepgrad.models.sequential import Sequential

    if not isinstance(model, Model):
        raise TypeError(f"clone_model: expected a Model. Received: {model!r}")
    if clone_function is not None and not callable(clone_function):
        raise ValueError(f"clone_model: `clone_function` must be callable. Received: "
                         f"{clone_function!r}")
    copies: dict[int, Layer] = {}
    make = clone_function or _default_clone

    def copy_of(layer: Layer) -> Layer:
        if id(layer) not in copies:
            copies[id(layer)] = make(layer)
        return copies[id(layer)]

    if isinstance(model, Sequential):
        new = _clone_sequential(model, input_tensors, copy_of)
    elif model._graph is not None:
        new = _clone_functional(model, input_tensors, copy_of)
    else:
        if clone_function is not None or input_tensors is not None:
            raise ValueError(
                f"clone_model: `clone_function` and `input_tensors` work for Sequential and "
                f"functional models only; '{model.name}' is a subclassed "
                f"{type(model).__name__}. To copy it, give it get_config() (and from_config) "
                "and call clone_model(model) alone."
            )
        new = type(model).from_config(model.get_config())
    if getattr(model, "compiled", False):
        from deepgrad.saving.compile_config import compile_from_config, serialize_compile

        compile_from_config(new, serialize_compile(model))
    return new


def _clone_sequential(model, input_tensors, copy_of):
    from deepgrad.models.sequential import Sequential

    layers = [copy_of(layer) for layer in model.layers]
    if input_tensors is not None:
        if isinstance(input_tensors, (list, tuple)):
            if len(input_tensors) != 1:
                raise ValueError(
                    f"clone_model: a Sequential model takes one input tensor. Received "
                    f"{len(input_tensors)}."
                )
            input_tensors = input_tensors[0]
        if not is_input_tensor(input_tensors):
            raise ValueError(
                "clone_model: `input_tensors` for a Sequential model must be a dg.Input "
                f"tensor. Received: {input_tensors!r}. To build on another tensor, call the "
                "copy on it: clone_model(model)(tensor)."
            )
        layers = [input_tensors] + layers
    elif model._input_tensor is not None:
        source = model._input_tensor
        layers = [Input(batch_shape=source.shape, dtype=source.dtype,
                        name=source.history[0].layer.name)] + layers
    elif model._input_batch_shape is not None:
        layers = [Input(batch_shape=model._input_batch_shape, dtype=model._input_dtype)] + layers
    return Sequential(layers, name=model.name, trainable=model.trainable)


def _clone_functional(model, input_tensors, copy_of):
    from deepgrad.models.model import Model

    graph = model._graph
    if input_tensors is None:
        input_tensors = tree.map_structure(
            lambda t: Input(batch_shape=t.shape, dtype=t.dtype, name=t.name),
            graph.input_structure)
    else:
        if (isinstance(input_tensors, (list, tuple)) and len(input_tensors) == 1
                and isinstance(graph.input_structure, KerasTensor)):
            input_tensors = input_tensors[0]  # a list of one for the one input
        if not all(isinstance(t, KerasTensor) for t in tree.flatten(input_tensors)):
            raise ValueError(f"clone_model: every entry of `input_tensors` must be a "
                             f"KerasTensor. Received: {input_tensors!r}")
        try:
            tree.assert_same_structure(_listed(input_tensors), _listed(graph.input_structure))
        except (TypeError, ValueError):
            raise ValueError(
                f"clone_model: `input_tensors` must have the structure of model.input "
                f"({graph.input_structure!r}). Received: {input_tensors!r}"
            ) from None
    mapping = {id(old): new for old, new in zip(
        graph.inputs, tree.flatten(input_tensors), strict=True)}

    def swap(value):
        return mapping.get(id(value), value) if isinstance(value, KerasTensor) else value

    for node in graph.nodes:
        layer = copy_of(node.layer)
        out = layer(tree.map_structure(swap, node.inputs), *tree.map_structure(swap, node.args),
                    **tree.map_structure(swap, node.kwargs))
        for old, new in zip(tree.flatten(node.outputs), tree.flatten(out), strict=True):
            mapping[id(old)] = new
    outputs = tree.map_structure(swap, graph.output_structure)
    return Model(input_tensors, outputs, name=model.name, trainable=model.trainable)


def _listed(structure):
    """Tuples as lists, so a tuple of inputs matches a list of them."""
    return tree.traverse(lambda s: list(s) if isinstance(s, tuple) else None, structure,
                         top_down=False)
