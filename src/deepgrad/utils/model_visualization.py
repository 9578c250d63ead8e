"""``plot_model`` and ``model_to_dot``: a model's layers as a Graphviz drawing, as in Keras.

Each layer is a box (its class, and optionally its name, activation, input and output
shapes, output dtype and whether it trains); arrows follow the model's graph. Nested
models are one box, or with ``expand_nested=True`` a dashed cluster of their own layers.

This needs the optional packages ``pydot`` (``pip install 'deepgrad[plot]'``) and, to
render, Graphviz's ``dot`` program (``sudo apt-get install graphviz``); without them the
error says which to install. The graph is read from the symbolic calls recorded in each
layer (:class:`deepgrad.layers.keras_tensor.Node`), so any built ``Sequential`` or
functional ``Model`` can be drawn.

Example (it needs pydot, so it is shown, not run by the doctests; the tests draw models)::

    dg.utils.plot_model(model, "model.png", show_shapes=True, show_layer_names=True)
"""

from __future__ import annotations

import html
import os

from deepgrad import tree
from deepgrad.layers.keras_tensor import first_call_tensors

__all__ = ["model_to_dot", "plot_model"]

_INSTALL_PYDOT = ("{who} needs the pydot package. To fix, run: pip install 'deepgrad[plot]' "
                  "(or: pip install pydot), and install Graphviz (sudo apt-get install graphviz).")
_INSTALL_GRAPHVIZ = ("{who} needs Graphviz's `dot` program to render ({error}). To fix, run: "
                     "sudo apt-get install graphviz (or see https://graphviz.org/download/).")


def _pydot(who: str):
    try:
        import pydot
    except ImportError:
        raise ImportError(_INSTALL_PYDOT.format(who=who)) from None
    return pydot


def _is_model(layer) -> bool:
    """A nested model: a layer holding layers, wired as a graph (Sequential or functional)."""
    return isinstance(getattr(layer, "layers", None), list) and hasattr(layer, "outputs")


def _tensors(structure) -> list:
    return [t for t in tree.flatten(structure) if t is not None]


def _check_call(model, kwargs: dict) -> None:
    """Keras's checks: no unknown keyword (``layer_range`` is gone), a built model."""
    if kwargs.pop("layer_range", None) is not None:
        raise ValueError("Argument `layer_range` is no longer supported.")
    if kwargs:
        raise ValueError(f"Unrecognized keyword arguments: {kwargs}")
    if not getattr(model, "built", False):
        raise ValueError("This model has not yet been built. Build the model first by calling "
                         "`build()` or by calling the model on a batch of data.")


def _model_nodes(model) -> list:
    """The layer calls (Nodes) of ``model``'s graph, found from its outputs back."""
    seen, order = set(), []
    pending = [t for t in _tensors(getattr(model, "outputs", None)) if t.history]
    while pending:
        node = pending.pop().history[0]
        if id(node) in seen:
            continue
        seen.add(id(node))
        order.append(node)
        pending.extend(t for t in node.input_tensors() if t.history)
    return order


def _describe(value, attribute: str) -> str:
    values = [getattr(t, attribute) for t in _tensors(value)]
    if not values:
        return "?"
    return str(values[0]) if len(values) == 1 else ", ".join(str(v) for v in values)


def _first_call(layer, which: str):
    """The tensors of the layer's first symbolic call, or None (never called symbolically)."""
    try:
        return first_call_tensors(layer, which)
    except (AttributeError, ValueError):
        return None


def _activation_name(layer) -> str | None:
    activation = getattr(layer, "activation", None)
    if activation is None:
        return None
    return getattr(activation, "name", None) or getattr(activation, "__name__", str(activation))


def _label(layer, show_shapes, show_dtype, show_layer_names, show_layer_activations,
           show_trainable) -> str:
    """The box of one layer, as a Graphviz HTML-like table (Keras's layout)."""
    class_name = type(layer).__name__
    rows = []
    title = f"<b>{html.escape(layer.name)}</b> ({class_name})" if show_layer_names \
        else f"<b>{class_name}</b>"
    activation = _activation_name(layer) if show_layer_activations else None
    cells = []
    if show_shapes:
        if class_name != "InputLayer":
            shape = _describe(_first_call(layer, "input"), "shape")
            cells.append(f"Input shape: <b>{html.escape(shape)}</b>")
        shape = _describe(_first_call(layer, "output"), "shape")
        cells.append(f"Output shape: <b>{html.escape(shape)}</b>")
    if show_dtype:
        cells.append(f"Output dtype: <b>{_describe(_first_call(layer, 'output'), 'dtype')}</b>")
    trainable = None
    if show_trainable and getattr(layer, "weights", None):
        trainable = bool(getattr(layer, "trainable", True))
    span = max(1, len(cells) + (trainable is not None))
    rows.append(f'<tr><td colspan="{span}" bgcolor="black"><font point-size="16" '
                f'color="white">{title}</font></td></tr>')
    if activation is not None:
        rows.append(f'<tr><td colspan="{span}" bgcolor="white"><font point-size="14">'
                    f"Activation: <b>{html.escape(activation)}</b></font></td></tr>")
    row = "".join(f'<td bgcolor="white"><font point-size="14">{c}</font></td>' for c in cells)
    if trainable is not None:
        color, text = ("forestgreen", "Trainable") if trainable else ("firebrick",
                                                                     "Non-trainable")
        row += f'<td bgcolor="{color}"><font point-size="14" color="white"><b>{text}</b>' \
               "</font></td>"
    if row:
        rows.append(f"<tr>{row}</tr>")
    return ('<<table border="0" cellborder="1" bgcolor="black" cellpadding="10">'
            + "".join(rows) + "</table>>")


def model_to_dot(
    model,
    show_shapes: bool = False,
    show_dtype: bool = False,
    show_layer_names: bool = True,
    rankdir: str = "TB",
    expand_nested: bool = False,
    dpi: int = 200,
    subgraph: bool = False,
    show_layer_activations: bool = False,
    show_trainable: bool = False,
    splines: str = "ortho",
    **kwargs,
):
    """Convert a built model to a ``pydot.Dot`` graph (Keras's ``model_to_dot``).

    Args:
        model: a built ``Sequential`` or functional ``Model``.
        show_shapes: show each layer's input and output shapes.
        show_dtype: show each layer's output dtype.
        show_layer_names: show each layer's name next to its class.
        rankdir: ``"TB"`` (top to bottom) or ``"LR"`` (left to right), Graphviz's.
        expand_nested: draw nested models as clusters of their layers.
        dpi: the resolution of the rendered image.
        subgraph: return a ``pydot.Cluster`` (used for nested models).
        show_layer_activations: show the activation of layers that have one.
        show_trainable: show whether each layer with weights trains.
        splines: how edges are drawn (Graphviz's ``splines``).

    Returns:
        A ``pydot.Dot`` (or ``pydot.Cluster`` with ``subgraph=True``).

    Raises:
        ValueError: for a model that is not built, or an unknown keyword argument.
        ImportError: without pydot; the message says what to install.

    >>> model = dg.Sequential([dg.layers.Dense(4, input_shape=(3,)), dg.layers.Dense(1)])
    >>> dot = model_to_dot(model, show_shapes=True)
    >>> len(dot.get_nodes()) - 1, len(dot.get_edges())  # the first node sets defaults
    (2, 1)
    """
    _check_call(model, kwargs)
    pydot = _pydot("model_to_dot")
    options = dict(show_shapes=show_shapes, show_dtype=show_dtype,
                   show_layer_names=show_layer_names,
                   show_layer_activations=show_layer_activations, show_trainable=show_trainable)
    if subgraph:
        dot = pydot.Cluster(style="dashed", graph_name=model.name)
        dot.set("label", model.name)
        dot.set("labeljust", "l")
    else:
        dot = pydot.Dot()
        dot.set("rankdir", rankdir)
        dot.set("concentrate", True)
        dot.set("dpi", dpi)
        dot.set("splines", splines)
        dot.set_node_defaults(shape="record")
    nodes = _model_nodes(model)
    if not nodes:  # a subclassed model without a graph: one box
        dot.add_node(_box(pydot, model, options))
        return dot
    drawn: set[int] = set()
    for layer in model.layers:
        if expand_nested and _is_model(layer):
            inner = model_to_dot(layer, rankdir=rankdir, expand_nested=True, subgraph=True,
                                 **options)
            dot.add_subgraph(inner)
            drawn.update(int(n.get_name().strip('"')) for n in _all_nodes(inner))
        else:
            dot.add_node(_box(pydot, layer, options))
            drawn.add(id(layer))
    for node in reversed(nodes):
        if node.layer is None or all(node.layer is not layer for layer in model.layers):
            continue
        for index, tensor in enumerate(node.input_tensors()):
            source_node, output_index = tensor.history
            source = source_node.layer
            destination = node.layer
            if expand_nested:
                source = _last_layer(source, output_index)
                destination = _first_layer(destination, index)
            if id(source) in drawn and id(destination) in drawn:
                _edge(pydot, dot, source, destination)
    return dot


def _box(pydot, layer, options):
    node = pydot.Node(str(id(layer)), label=_label(layer, **options))
    node.set("fontname", "Helvetica")
    node.set("border", "0")
    node.set("margin", "0")
    return node


def _all_nodes(graph) -> list:
    found = list(graph.get_nodes())
    for inner in graph.get_subgraphs():
        found.extend(_all_nodes(inner))
    return found


def _edge(pydot, dot, source, destination) -> None:
    source_id, destination_id = str(id(source)), str(id(destination))
    if not dot.get_edge(source_id, destination_id):
        edge = pydot.Edge(source_id, destination_id)
        edge.set("penwidth", "2")
        dot.add_edge(edge)


def _last_layer(layer, output_index: int):
    """The layer inside nested models that makes their output ``output_index``."""
    while _is_model(layer):
        tensor = _tensors(layer.outputs)[output_index]
        layer, output_index = tensor.history[0].layer, tensor.history[1]
    return layer


def _first_layer(layer, input_index: int):
    """The first drawn layer inside nested models that takes their input ``input_index``."""
    while _is_model(layer):
        tensor = _tensors(layer.inputs)[min(input_index, len(_tensors(layer.inputs)) - 1)]
        entry = tensor.history[0].layer if tensor.history else None
        # A Sequential hides its input layer: its first drawn layer takes the input.
        layer = entry if any(entry is inner for inner in layer.layers) else layer.layers[0]
        input_index = 0
    return layer


def plot_model(
    model,
    to_file: str | os.PathLike = "model.png",
    show_shapes: bool = False,
    show_dtype: bool = False,
    show_layer_names: bool = False,
    rankdir: str = "TB",
    expand_nested: bool = False,
    dpi: int = 200,
    show_layer_activations: bool = False,
    show_trainable: bool = False,
    splines: str = "ortho",
    **kwargs,
):
    """Draw a model's graph into an image file (Keras's ``plot_model``).

    The format is the file's extension (``.png``, ``.svg``, ``.pdf``, ...; none: PNG).

    Args:
        model: a built ``Sequential`` or functional ``Model``.
        to_file: the image file to write.
        show_shapes, show_dtype, show_layer_names, rankdir, expand_nested, dpi,
            show_layer_activations, show_trainable, splines: as in :func:`model_to_dot`
            (note that ``show_layer_names`` defaults to False here, as in Keras 3).

    Returns:
        An ``IPython.display.Image`` (``SVG`` for ``.svg``) of the file when IPython is
        installed, so that a notebook shows it; else None. (Keras returns an ``Image``
        for every format but PDF, which fails for SVG.)

    Raises:
        ValueError: for a model that is not built.
        ImportError: without pydot or Graphviz; the message says what to install.
    """
    _check_call(model, kwargs)
    pydot = _pydot("plot_model")
    try:
        pydot.Dot.create(pydot.Dot())
    except (OSError, getattr(pydot, "PydotException", OSError)) as error:
        raise ImportError(_INSTALL_GRAPHVIZ.format(who="plot_model", error=error)) from None
    dot = model_to_dot(model, show_shapes=show_shapes, show_dtype=show_dtype,
                       show_layer_names=show_layer_names, rankdir=rankdir,
                       expand_nested=expand_nested, dpi=dpi,
                       show_layer_activations=show_layer_activations,
                       show_trainable=show_trainable, splines=splines)
    to_file = os.fspath(to_file)
    extension = os.path.splitext(to_file)[1][1:] or "png"
    dot.write(to_file, format=extension)
    try:
        from IPython import display
    except ImportError:
        return None
    if extension == "svg":
        return display.SVG(filename=to_file)
    return display.Image(filename=to_file) if extension in ("png", "jpg", "jpeg") else None
