"""``model.summary()``: Keras's table of layers, output shapes and parameter counts.

With ``show_flops=True`` two more columns give each layer's multiply-accumulate count
and activation memory for one sample.

>>> import deepgrad as dg
>>> dg.layers.clear_session()
>>> model = dg.Sequential([dg.layers.Dense(10, input_shape=(4,))], name="demo")
>>> model.summary(line_length=60)  # doctest: +NORMALIZE_WHITESPACE
Model: "demo"
┏━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━┓
┃ Layer (type)           ┃ Output Shape     ┃          Param # ┃
┡━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━┩
│ dense (Dense)          │ (None, 10)       │               50 │
└────────────────────────┴──────────────────┴──────────────────┘
 Total params: 50 (200.00 B)
 Trainable params: 50 (200.00 B)
 Non-trainable params: 0 (0.00 B)
"""

from __future__ import annotations

import math

import numpy as np

from deepgrad import tree
from deepgrad.layers.base import shape_str

__all__ = ["print_summary", "format_bytes", "layer_rows"]


def format_bytes(n: float) -> str:
    """Keras's byte format: ``'772.00 B'``, ``'1.52 KB'``, ``'3.21 MB'``.

    >>> format_bytes(1560)
    '1.52 KB'
    """
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.2f} {unit}"
        n /= 1024
    return f"{n:.2f} GB"  # pragma: no cover


def _weights_bytes(variables) -> int:
    return int(sum(v.size * v.dtype.itemsize for v in variables))


def _shape_text(shape) -> str:
    if isinstance(shape, (list, dict)):
        items = shape.values() if isinstance(shape, dict) else shape
        return ", ".join(_shape_text(s) for s in items)
    return shape if shape == "?" else shape_str(shape)


def layer_rows(model) -> list[tuple]:
    """``(layer, input_shape, output_shape)`` for each layer, in order."""
    from deepgrad.models.sequential import Sequential

    if isinstance(model, Sequential):
        shapes = getattr(model, "_shapes", None) if model.built else None
        rows, previous = [], model.input_shape
        for i, layer in enumerate(model.layers):
            out = shapes[i] if shapes else "?"
            rows.append((layer, previous, out))
            previous = out
        return rows
    if model._graph is not None:
        rows = []
        for layer in model.layers:
            node = _first_node(model, layer)
            ins = [t.shape for t in node.input_tensors()] if node else [layer.batch_shape]
            outs = node.outputs if node else layer.output
            out_shapes = [t.shape for t in tree.flatten(outs)]
            rows.append(
                (
                    layer,
                    ins[0] if len(ins) == 1 else ins,
                    out_shapes[0] if len(out_shapes) == 1 else out_shapes,
                )
            )
        return rows
    return [(layer, *_built_shapes(layer)) for layer in model.layers]


def _built_shapes(layer) -> tuple:
    """Input and output shape of a layer built by a call (subclassed models), batch as None."""
    shape = getattr(layer, "_build_shapes", None)
    if not layer.built or not isinstance(shape, tuple):
        return "?", "?"
    shape = (None,) + tuple(shape[1:])
    return shape, tuple(layer.compute_output_shape(shape))


def _type_name(layer) -> str:
    """Keras's label: ``Functional`` for ``dg.Model(inputs, outputs)``, else the class name."""
    from deepgrad.models.model import Model

    if type(layer) is Model and layer._graph is not None:
        return "Functional"
    return type(layer).__name__


def _first_node(model, layer):
    for node in model._graph.nodes:
        if node.layer is layer:
            return node
    return None


def _macs(layer, in_shape, out_shape) -> int | None:
    fn = getattr(layer, "count_macs", None)
    if fn is not None:
        return int(fn(in_shape, out_shape))
    kernel = getattr(layer, "kernel", None)
    if kernel is not None and isinstance(out_shape, tuple) and len(kernel.shape) >= 2:
        # Dense and convolutions: one multiply-accumulate per kernel entry per output position.
        rows = math.prod(s for s in out_shape[1:-1] if s is not None) if len(out_shape) > 2 else 1
        return int(rows * math.prod(kernel.shape))
    return 0 if not layer.weights else None


def _sequential_like(model) -> bool:
    """Keras's test for leaving out the "Connected to" column: a Sequential or subclassed
    model, or a graph that is one chain of calls, each layer called once."""
    from deepgrad.models.sequential import Sequential

    graph = getattr(model, "_graph", None)
    if graph is None or isinstance(model, Sequential):
        return True
    if len(graph.inputs) != 1 or len(graph.outputs) != 1:
        return False
    previous, seen = graph.inputs[0], set()
    for node in graph.nodes:
        tensors, outputs = node.input_tensors(), tree.flatten(node.outputs)
        if len(tensors) != 1 or tensors[0] is not previous or id(node.layer) in seen:
            return False
        if len(outputs) != 1:
            return False
        seen.add(id(node.layer))
        previous = outputs[0]
    return True


def _connections(mine: set[int], layer) -> str:
    """Keras's "Connected to" cell: ``name[node][tensor]`` for each tensor the layer's calls
    in this model (``mine``: the ids of its graph's nodes) read, one per line; ``-`` for an
    input."""
    found = []
    for node in layer.__dict__.get("_inbound_nodes", ()):
        if id(node) not in mine:
            continue
        for tensor in node.input_tensors():
            source, index = tensor.history
            calls = source.layer.__dict__.get("_inbound_nodes", [source])
            found.append(f"{source.layer.name}[{calls.index(source)}][{index}]")
    return ",\n".join(found) or "-"


def print_summary(
    model, line_length=None, print_fn=None, show_trainable=False, show_flops=False
) -> None:
    """Print the summary table (see :meth:`deepgrad.Model.summary`). As in Keras, a graph
    that is not one chain of calls gets a "Connected to" column (each cell one input per
    line, where Keras wraps them)."""
    emit = print_fn or print
    connected = not _sequential_like(model)
    mine = {id(node) for node in model._graph.nodes} if connected else set()
    headers = ["Layer (type)", "Output Shape", "Param #"]
    if connected:
        headers.append("Connected to")
    if show_flops:
        headers += ["MACs / sample", "Activations"]
    if show_trainable:
        headers.append("Trainable")
    rows = []
    for layer, in_shape, out_shape in layer_rows(model):
        params = f"{layer.count_params():,}" if layer.built else "0 (unbuilt)"
        row = [f"{layer.name} ({_type_name(layer)})", _shape_text(out_shape), params]
        if connected:
            row.append(_connections(mine, layer))
        if show_flops:
            macs = _macs(layer, in_shape, out_shape)
            size = out_shape[1:] if isinstance(out_shape, tuple) else None
            act = (
                math.prod(s for s in size if s is not None) * np.dtype(layer.dtype).itemsize
                if size is not None
                else None
            )
            row += ["?" if macs is None else f"{macs:,}", "?" if act is None else format_bytes(act)]
        if show_trainable:
            row.append("Y" if layer.trainable else "N")
        rows.append(row)
    total = line_length or (108 if connected else 78) + (20 if show_flops else 0)
    # Columns grow to fit their longest cell: a summary never cuts a name or a shape short.
    longest = [max([len(h) + 2] + [len(text) for row in rows for text in row[i].split("\n")])
               + 2 for i, h in enumerate(headers)]
    widths = [max(w, int(total * f)) for w, f in zip(longest, _fractions(len(headers)))]
    right = {i for i, h in enumerate(headers) if h in ("Param #", "MACs / sample", "Activations")}

    def line(cells, left, mid, end, pad=" "):
        parts = []
        for i, (text, width) in enumerate(zip(cells, widths)):
            parts.append(
                pad + (text.rjust(width - 2) if i in right else text.ljust(width - 2)) + pad
            )
        return left + mid.join(parts) + end

    def lines(cells, left, mid, end):
        """A row whose cells may hold several lines (the connections)."""
        split = [cell.split("\n") for cell in cells]
        for k in range(max(len(parts) for parts in split)):
            emit(line([parts[k] if k < len(parts) else "" for parts in split], left, mid, end))

    emit(f'Model: "{model.name}"')
    emit("┏" + "┳".join("━" * w for w in widths) + "┓")
    emit(line(headers, "┃", "┃", "┃"))
    emit("┡" + "╇".join("━" * w for w in widths) + "┩")
    for i, row in enumerate(rows):
        lines(row, "│", "│", "│")
        if i < len(rows) - 1:
            emit("├" + "┼".join("─" * w for w in widths) + "┤")
    emit("└" + "┴".join("─" * w for w in widths) + "┘")
    trainable = model.trainable_weights
    non_trainable = model.non_trainable_weights
    n_train = int(sum(v.size for v in trainable))
    n_non = int(sum(v.size for v in non_trainable))
    total_bytes = _weights_bytes(trainable) + _weights_bytes(non_trainable)
    emit(f" Total params: {n_train + n_non:,} ({format_bytes(total_bytes)})")
    emit(f" Trainable params: {n_train:,} ({format_bytes(_weights_bytes(trainable))})")
    emit(f" Non-trainable params: {n_non:,} ({format_bytes(_weights_bytes(non_trainable))})")
    optimizer = getattr(model, "optimizer", None)
    state = (
        optimizer.get_state()
        if optimizer is not None and getattr(optimizer, "built", False)
        else None
    )
    if state:
        arrays = [a for k, a in state.items() if isinstance(a, np.ndarray) and a.ndim > 0]
        count = int(sum(a.size for a in arrays))
        emit(f" Optimizer params: {count:,} ({format_bytes(sum(a.nbytes for a in arrays))})")


def _fractions(n: int) -> list[float]:
    return {
        3: [0.4, 0.3, 0.3],
        4: [0.35, 0.25, 0.2, 0.2],
        5: [0.3, 0.2, 0.15, 0.2, 0.15],
        6: [0.28, 0.18, 0.12, 0.18, 0.14, 0.1],
        7: [0.24, 0.16, 0.1, 0.16, 0.14, 0.1, 0.1],
    }[n]
