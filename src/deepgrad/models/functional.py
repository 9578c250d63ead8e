"""The functional graph: replay the layer calls recorded between inputs and outputs.

>>> import deepgrad as dg
>>> a = dg.Input(shape=(3,), name="a")
>>> b = dg.Input(shape=(3,), name="b")
>>> shared = dg.layers.Dense(2, name="shared")
>>> out = dg.layers.Add()([shared(a), shared(b)])
>>> model = dg.Model([a, b], out)
>>> model([np.ones((1, 3)), np.ones((1, 3))]).shape
(1, 2)
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

from deepgrad import ops
from deepgrad.layers.conv import Conv2D, conv_then_pool
from deepgrad.layers.input_layer import InputLayer
from deepgrad.layers.keras_tensor import KerasTensor, Node
from deepgrad.layers.pooling import MaxPooling2D

__all__ = ["Graph"]


def _flatten(structure) -> list:
    if isinstance(structure, (list, tuple)):
        return [t for s in structure for t in _flatten(s)]
    if isinstance(structure, dict):
        return [t for s in structure.values() for t in _flatten(s)]
    return [structure]


def _rebuild(structure, values: dict):
    if isinstance(structure, KerasTensor):
        return values[id(structure)]
    if isinstance(structure, (list, tuple)):
        return type(structure)(_rebuild(s, values) for s in structure)
    if isinstance(structure, dict):
        return {k: _rebuild(v, values) for k, v in structure.items()}
    return structure


def _describe(tensor: KerasTensor) -> str:
    node = tensor.history[0] if tensor.history else None
    layer = node.layer if node is not None else None
    origin = f" produced by layer '{layer.name}'" if layer is not None else ""
    return f"tensor {tensor.name or ''}{tensor.shape}{origin}"


def _layer_depths(order: list[Node], input_nodes: list[Node]) -> dict[int, int]:
    """Keras's ``map_graph`` depths: a node's depth is the longest path from it to an output
    (outputs are at 0); a layer called several times takes the largest depth of its calls,
    and that depth is passed on to the calls that feed it.
    """
    node_depth: dict[int, int] = {}
    layer_depth: dict[int, int] = {}
    # Consumers come before producers in the reversed walk; inputs come last.
    for node in reversed(input_nodes + order):
        depth = max(node_depth.get(id(node), 0), layer_depth.get(id(node.layer), 0))
        layer_depth[id(node.layer)] = node_depth[id(node)] = depth
        for tensor in node.input_tensors():
            parent = tensor.history[0]
            node_depth[id(parent)] = max(depth + 1, node_depth.get(id(parent), 0))
    return layer_depth


class Graph:
    """The recorded calls from ``inputs`` to ``outputs``, in an order that can be run.

    Raises:
        ValueError: for outputs that need a tensor that is not among the inputs, inputs not
            used by any output, or two different layers with the same name.
    """

    def __init__(self, inputs, outputs, model_name: str):
        self.model_name = model_name
        self.input_structure = inputs
        self.output_structure = outputs
        self.inputs = _flatten(inputs)
        self.outputs = _flatten(outputs)
        for tensor in self.inputs + self.outputs:
            if not isinstance(tensor, KerasTensor):
                raise TypeError(
                    f"Model '{model_name}': inputs and outputs must be KerasTensors made with "
                    f"dg.Input and layer calls. Received: {tensor!r}"
                )
        for tensor in self.inputs:
            if not isinstance(tensor.history[0].layer, InputLayer):
                raise ValueError(
                    f"Model '{model_name}': every input must come from dg.Input(); got "
                    f"{_describe(tensor)}."
                )
        self._layers = None
        self.nodes = self._order_nodes()
        self._check_names()
        self._pools_after = self._conv_pool_pairs()

    def _order_nodes(self) -> list[Node]:
        """Walk back from the outputs (Keras's ``_build_map``): nodes in an order that runs.

        Also records, for :attr:`layers`, each layer's first-visit (pre-order) index.
        """
        input_ids = {id(t) for t in self.inputs}
        order: list[Node] = []
        done: set[int] = set()
        used_inputs: set[int] = set()
        self._visit_index: dict[int, int] = {}
        input_nodes: list[Node] = []

        def visit(tensor: KerasTensor, path: KerasTensor):
            node = tensor.history[0] if tensor.history else None
            if id(tensor) in input_ids:
                used_inputs.add(id(tensor))
                if id(node) not in done:
                    self._visit_index.setdefault(id(node.layer), len(self._visit_index))
                    done.add(id(node))
                    input_nodes.append(node)
                return
            if node is None or isinstance(node.layer, InputLayer):
                raise ValueError(
                    f"Model '{self.model_name}': the output {_describe(path)} is not reachable "
                    f"from the given inputs: it needs {_describe(tensor)}, which is not among "
                    "the model's inputs. To fix, add that dg.Input to `inputs`."
                )
            if id(node) in done:
                return
            self._visit_index.setdefault(id(node.layer), len(self._visit_index))
            for parent in node.input_tensors():
                visit(parent, path)
            done.add(id(node))
            order.append(node)

        for output in self.outputs:
            visit(output, output)
        unused = [t for t in self.inputs if id(t) not in used_inputs]
        if unused:
            raise ValueError(
                f"Model '{self.model_name}': input {_describe(unused[0])} is disconnected: no "
                "output depends on it. Remove it from `inputs` or connect it."
            )
        self._layer_depths = _layer_depths(order, input_nodes)
        return order

    def _conv_pool_pairs(self) -> dict[int, Node]:
        """Each ``MaxPooling2D`` call that reads nothing but a ``Conv2D`` call's output (read
        by nothing else, not an output), by the convolution's node: the pair runs as one op
        where it can (:func:`~deepgrad.layers.conv.conv_then_pool`), as in Sequential."""
        readers = Counter(id(t) for node in self.nodes for t in node.input_tensors())
        readers.update(id(t) for t in self.outputs)
        pairs = {}
        for node in self.nodes:
            tensors = node.input_tensors()
            if type(node.layer) is not MaxPooling2D or len(tensors) != 1 or node.args:
                continue
            conv = tensors[0].history[0]
            plain = not (node.kwargs or conv.args or conv.kwargs)
            if plain and type(conv.layer) is Conv2D and readers[id(tensors[0])] == 1:
                pairs[id(conv)] = node
        return pairs

    def _check_names(self) -> None:
        seen: dict[str, object] = {}
        for layer in self.layers:
            other = seen.setdefault(layer.name, layer)
            if other is not layer:
                raise ValueError(
                    f"Model '{self.model_name}': two different layers are named '{layer.name}'. "
                    "Layer names must be unique within a model; pass distinct `name=` values."
                )

    @property
    def layers(self) -> list:
        """The layers in Keras's order: deepest first (farthest from the outputs), layers
        at the same depth in the order a depth-first walk from the outputs first meets them.
        """
        if self._layers is None:
            by_id = {id(node.layer): node.layer for node in self.nodes}
            by_id.update({id(t.history[0].layer): t.history[0].layer for t in self.inputs})
            depths, visit = self._layer_depths, self._visit_index
            order = sorted(by_id, key=lambda i: (-depths[i], visit[i]))
            self._layers = [by_id[i] for i in order]
        return list(self._layers)

    @property
    def output_names(self) -> list[str]:
        return [t.history[0].layer.name for t in self.outputs]

    def output_shapes(self):
        def shape_of(structure):
            if isinstance(structure, KerasTensor):
                return structure.shape
            if isinstance(structure, dict):
                return {k: shape_of(v) for k, v in structure.items()}
            return [shape_of(s) for s in structure]

        return shape_of(self.output_structure)

    def _bind_inputs(self, data) -> dict:
        structure = self.input_structure
        if isinstance(structure, dict):
            if not isinstance(data, dict):
                raise ValueError(
                    f"Model '{self.model_name}': expected a dict of inputs with keys "
                    f"{sorted(structure)}. Received: {type(data).__name__}"
                )
            missing = sorted(set(structure) - set(data))
            if missing:
                raise ValueError(f"Model '{self.model_name}': missing inputs {missing}.")
            return {id(t): data[k] for k, t in structure.items()}
        if isinstance(data, dict):
            names = [t.name for t in self.inputs]
            missing = sorted(set(names) - set(data))
            if missing:
                raise ValueError(
                    f"Model '{self.model_name}': missing inputs {missing}; inputs are {names}."
                )
            return {id(t): data[t.name] for t in self.inputs}
        values = data if isinstance(data, (list, tuple)) and len(self.inputs) > 1 else [data]
        if len(values) != len(self.inputs):
            raise ValueError(
                f"Model '{self.model_name}': expected {len(self.inputs)} inputs "
                f"({', '.join(t.name or '?' for t in self.inputs)}), received {len(values)}."
            )
        return {id(t): v for t, v in zip(self.inputs, values)}

    def run(self, data, training=None):
        """Run the recorded calls on real data; return outputs in the outputs' structure."""
        values = self._bind_inputs(data)
        for tensor in self.inputs:
            layer = tensor.history[0].layer
            value = layer._convert_inputs(values[id(tensor)])
            shape, expected = value.shape, tensor.shape
            # Keras's rank adjustment: a trailing axis of size 1 is added or dropped, so
            # that Input(shape=(1,), dtype="string") takes a 1-D array of texts.
            if len(shape) == len(expected) - 1 and expected[-1] == 1:
                value = ops.expand_dims(value, -1)
            elif len(shape) == len(expected) + 1 and shape[-1] == 1:
                value = ops.squeeze(value, -1)
            values[id(tensor)] = value
            shape = value.shape
            if len(shape) != len(expected) or any(
                e is not None and e != s for e, s in zip(expected, shape)
            ):
                hint = (
                    " Missing batch dimension? Add a batch axis: x[None]."
                    if len(shape) == len(expected) - 1
                    else ""
                )
                raise ValueError(
                    f"Model '{self.model_name}': input '{layer.name}' expects shape "
                    f"{expected}, got {tuple(shape)}.{hint}"
                )
        fused = set()
        for node in self.nodes:
            if id(node) in fused:
                continue
            args = _rebuild(node.inputs, values)
            pool = self._pools_after.get(id(node))
            out = None if pool is None else conv_then_pool(node.layer, pool.layer, args)
            if out is not None:
                fused.add(id(pool))
                values[id(_flatten(pool.outputs)[0])] = out
                continue
            out = node.layer(args, *node.args, training=training, **node.kwargs)
            flat_out = _flatten(out)
            for symbolic, real in zip(_flatten(node.outputs), flat_out):
                values[id(symbolic)] = real
        return _rebuild(self.output_structure, values)


# -- rebuilding a graph from a saved config (deepgrad.saving.serialization writes it) -------
# The class_name that marks a tensor among a saved layer call's arguments, as in Keras.
KERAS_TENSOR = "__keras_tensor__"


def _is_history(value) -> bool:
    return (isinstance(value, list) and len(value) == 3 and isinstance(value[0], str)
            and all(isinstance(v, int) for v in value[1:]))


def functional_from_config(cls: type, config: dict, make_layer: Callable[[dict], object]):
    """Rebuild a functional model from its saved config (the inverse of the graph part of
    :func:`deepgrad.saving.serialization.serialize_model`), as Keras's function of this
    name does.

    Each layer is created by ``make_layer(spec)``, then its saved calls are replayed in
    an order where every call's inputs already exist (a layer shared at several depths
    is called once per saved node).

    Args:
        cls: the model class: ``Model`` itself, or a subclass created through its
            ``from_config`` with the rebuilt ``inputs`` and ``outputs`` added to the config.
        config: the saved config: ``name``, ``trainable``, ``layers`` (each with its
            ``inbound_nodes``), ``input_layers`` and ``output_layers``.
        make_layer: creates a layer from its saved spec (the model-file tier passes its
            deserializer, which knows about custom objects).

    Raises:
        ValueError: for a config whose layer calls or outputs refer to tensors that no
            layer produces.
    """
    from deepgrad.models.model import Model

    tensors: dict[tuple, KerasTensor] = {}
    queue = []
    for spec in config["layers"]:
        layer = make_layer(spec)
        if isinstance(layer, InputLayer):
            tensors[(layer.name, 0, 0)] = layer.output
        queue.append([layer, list(spec.get("inbound_nodes") or []), 0])

    def decode(value):
        if isinstance(value, dict) and value.get("class_name") == KERAS_TENSOR:
            key = tuple(value["config"]["keras_history"])
            if key not in tensors:
                raise LookupError(key)
            return tensors[key]
        if isinstance(value, list):
            return [decode(v) for v in value]
        if isinstance(value, dict):
            return {k: decode(v) for k, v in value.items()}
        return value

    progress = True
    while progress:
        progress = False
        for item in queue:
            layer, pending = item[0], item[1]
            while pending:
                try:
                    args, kwargs = decode(pending[0]["args"]), decode(pending[0]["kwargs"])
                except LookupError:
                    break
                out = layer(args[0], *args[1:], **kwargs)
                node_index = item[2]
                item[2] += 1
                flat = out if isinstance(out, list) else (
                    list(out.values()) if isinstance(out, dict) else [out])
                for position, tensor in enumerate(flat):
                    tensors[(layer.name, node_index, position)] = tensor
                pending.pop(0)
                progress = True
    stuck = [item[0].name for item in queue if item[1]]
    if stuck:
        raise ValueError(
            f"load_model: the graph of model '{config.get('name')}' could not be rebuilt: "
            f"the inputs of layers {stuck} are never produced (the file is inconsistent)."
        )

    def find(value):
        if _is_history(value):
            key = tuple(value)
            if key not in tensors:
                raise ValueError(f"load_model: unknown tensor {value} in the model's config.")
            return tensors[key]
        if isinstance(value, dict):
            return {k: find(v) for k, v in value.items()}
        return [find(v) for v in value]

    inputs, outputs = find(config["input_layers"]), find(config["output_layers"])
    if cls is Model:
        model = Model(inputs, outputs, name=config.get("name"))
    else:
        model = cls.from_config({**config, "inputs": inputs, "outputs": outputs})
    if config.get("trainable") is False:
        model.trainable = False
    return model
