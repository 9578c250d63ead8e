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

from collections.abc import Callable

from deepgrad import ops, tree
from deepgrad.layers.base import FusedCall, InputFusedCall, fuse_chain, shapes_of
from deepgrad.layers.input_layer import InputLayer
from deepgrad.layers.keras_tensor import KerasTensor, Node

__all__ = ["Graph"]


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


class _Slot:
    """Where a step finds a tensor computed earlier: an index into the run's values."""

    __slots__ = ("index",)

    def __init__(self, index: int) -> None:
        self.index = index


class _Step:
    """One step of a plan: a layer call, or two layers fused into one op (``FusedCall``).

    ``source`` is the slot of the single input tensor, or None when the call takes a
    structure (``template``, with ``_Slot`` s where tensors go); ``target`` is the slot of
    the single output, or None when the outputs are several (``targets``, in flatten order).
    Tensors among the other arguments (``LSTM(...)(x, initial_state=[h, c])``) are filled
    in the same way when ``tensor_arguments`` is set.
    """

    __slots__ = ("call", "source", "template", "args", "kwargs", "target", "targets",
                 "tensor_arguments", "last_reads")

    def __init__(self, call, node: Node, output_node: Node, slots: dict[int, int]) -> None:
        self.call = call
        slot = lambda t: _Slot(slots[id(t)]) if isinstance(t, KerasTensor) else t  # noqa: E731
        self.tensor_arguments = any(
            isinstance(t, KerasTensor) for t in tree.flatten([node.args, node.kwargs]))
        if self.tensor_arguments:
            self.args = tree.map_structure(slot, node.args)
            self.kwargs = tree.map_structure(slot, node.kwargs)
        else:
            self.args, self.kwargs = node.args, node.kwargs
        inputs = node.inputs
        self.source = slots[id(inputs)] if isinstance(inputs, KerasTensor) else None
        self.template = tree.map_structure(
            lambda t: _Slot(slots[id(t)]) if isinstance(t, KerasTensor) else t, inputs)
        outputs = tree.flatten(output_node.outputs)
        for tensor in outputs:
            slots[id(tensor)] = len(slots)
        single = isinstance(output_node.outputs, KerasTensor)
        self.target = slots[id(outputs[0])] if single else None
        self.targets = [slots[id(t)] for t in outputs]
        self.last_reads: tuple[int, ...] = ()

    def reads(self) -> set[int]:
        """The slots this step reads."""
        found = {item.index for item in tree.flatten([self.template, self.args, self.kwargs])
                 if type(item) is _Slot}
        return found if self.source is None else found | {self.source}


def _fetch(values: list):
    return lambda item: values[item.index] if type(item) is _Slot else item


class Plan:
    """How a graph runs: its steps in order, found once by one pass over the nodes.

    A step is a layer call, or a chain fused into one op: a node whose single output only
    the next call reads (not a model output, no extra arguments on either call) asks its
    layer ``layer.fuse(next_layer, after_that, after_that_again)``, each call the only
    reader of the one before, then the same with the last left off, down to
    ``layer.fuse(next_layer)``; a layer that can run the chain as one op returns how (see
    :meth:`deepgrad.layers.Layer.fuse`). No layer class is named here.
    """

    def __init__(self, graph: Graph, fuse: bool = True) -> None:
        slots = {id(t): i for i, t in enumerate(graph.inputs)}
        nodes = graph.nodes
        readers: dict[int, list[Node]] = {}
        for node in nodes:
            for tensor in node.input_tensors():
                readers.setdefault(id(tensor), []).append(node)
        outputs = {id(t) for t in graph.outputs}
        fused: set[int] = set()
        self.steps: list[_Step] = []
        for node in nodes:
            if id(node) in fused:
                continue
            chain = _chain(node, readers, outputs) if fuse else []
            run = None
            while chain and run is None:  # the longest chain the layer can fuse
                run = fuse_chain(node.layer, [n.layer for n in chain])
                if run is None:
                    chain.pop()
            if run is None:
                self.steps.append(_Step(node.layer, node, node, slots))
            else:
                fused.update(id(n) for n in chain)
                call = FusedCall(node.layer, chain[0].layer, run, [n.layer for n in chain[1:]])
                self.steps.append(_Step(call, node, chain[-1], slots))
        self.size = len(slots)
        structure = graph.output_structure
        self.output = slots[id(structure)] if isinstance(structure, KerasTensor) else None
        self.output_template = tree.map_structure(
            lambda t: _Slot(slots[id(t)]) if isinstance(t, KerasTensor) else t, structure)
        if fuse:
            self._fuse_inputs()
        # Each step lets go of the tensors it was the last to read (not the outputs), so an
        # activation that no backward function saved is freed during the forward pass, as
        # in a plain chain (the peak training memory of benchmarks/models.py's ResNet50).
        kept = {item.index for item in tree.flatten(self.output_template) if type(item) is _Slot}
        last: dict[int, _Step] = {}
        for step in self.steps:
            for index in step.reads() - kept:
                last[index] = step
        for index, step in last.items():
            step.last_reads += (index,)
        # A chain (each step reads the one tensor the step before made, a Sequential's
        # shape) runs as a plain loop over its calls: the per-call cost of a small model.
        self.chain = None
        previous = 0
        for step in self.steps:
            if step.source != previous or step.target is None or step.args or step.kwargs:
                break
            previous = step.target
        else:
            if len(graph.inputs) == 1 and self.output == previous:
                self.chain = [step.call for step in self.steps]

    def _fuse_inputs(self) -> None:
        """A merging step takes the step that makes one of its inputs into its own op,
        where the merging layer can (``layer.fuse_input(producer, index, following)``: a
        residual ``Add`` after a convolution and batch norm) and that input is read by
        nothing else: the producer then runs at the merging step, from its own input."""
        producers = {step.target: step for step in self.steps if step.target is not None}
        readers: dict[int, int] = {}  # each read counts (``Add()([x, x])`` reads x twice)
        for item in tree.flatten([[(s.template, s.args, s.kwargs) for s in self.steps],
                                  self.output_template]):
            if type(item) is _Slot:
                readers[item.index] = readers.get(item.index, 0) + 1
        taken: set[int] = set()
        for step in self.steps:
            fused = isinstance(step.call, FusedCall)
            merge = step.call.first if fused else step.call
            fuse_input = getattr(merge, "fuse_input", None)
            if (fuse_input is None or step.source is not None or step.tensor_arguments
                    or step.args or step.kwargs or not isinstance(step.template, list)):
                continue
            following = (step.call.second, *step.call.then) if fused else ()
            for index, item in enumerate(step.template):
                producer = producers.get(item.index) if type(item) is _Slot else None
                if (producer is None or id(producer) in taken or readers[item.index] != 1
                        or producer.source is None or producer.tensor_arguments
                        or producer.args or producer.kwargs):
                    continue
                run = fuse_input(producer.call, index, following)
                if run is not None:
                    step.call = InputFusedCall(producer.call, step.call, index, run)
                    step.template = list(step.template)
                    step.template[index] = _Slot(producer.source)
                    taken.add(id(producer))
                    break
        self.steps = [step for step in self.steps if id(step) not in taken]

    def run(self, values: list, training):
        """Run the steps on ``values`` (the inputs in their slots); return the outputs."""
        if self.chain is not None:
            x = values[0]
            for call in self.chain:
                x = call(x, training=training)
            return x
        fetch = None
        for step in self.steps:
            if step.source is not None:
                x = values[step.source]
            else:
                fetch = fetch or _fetch(values)
                x = tree.map_structure(fetch, step.template)
            if step.tensor_arguments:
                fetch = fetch or _fetch(values)
                args = tree.map_structure(fetch, step.args)
                kwargs = tree.map_structure(fetch, step.kwargs)
                out = step.call(x, *args, training=training, **kwargs)
            else:
                out = step.call(x, *step.args, training=training, **step.kwargs)
            if step.target is not None:
                values[step.target] = out
            else:
                for slot, real in zip(step.targets, tree.flatten(out)):
                    values[slot] = real
            for slot in step.last_reads:
                values[slot] = None
            x = out = None
        if self.output is not None:
            return values[self.output]
        return tree.map_structure(_fetch(values), self.output_template)


def _chain(node: Node, readers: dict, outputs: set, longest: int = 3) -> list[Node]:
    """Up to ``longest`` calls after ``node``, each the only reader of the one before."""
    chain = []
    while len(chain) < longest:
        follower = _only_reader(chain[-1] if chain else node, readers, outputs)
        if follower is None:
            break
        chain.append(follower)
    return chain


def _only_reader(node: Node, readers: dict, outputs: set) -> Node | None:
    """The call that alone reads ``node``'s single output, with nothing else, or None."""
    single = node.outputs
    if node.args or node.kwargs or not isinstance(single, KerasTensor):
        return None
    if id(single) in outputs or len(readers.get(id(single), ())) != 1:
        return None
    follower = readers[id(single)][0]
    if follower.inputs is not single or follower.args or follower.kwargs:
        return None
    return follower


class Graph:
    """The recorded calls from ``inputs`` to ``outputs``, in an order that can be run.

    The walk over the calls, the checks and the plan are made on first use
    (``Model(inputs, outputs)`` asks for them at once, so its errors come at
    construction); every walk is a loop, not a recursion, so a chain of thousands of
    layers is fine.

    Args:
        inputs, outputs: KerasTensors (or structures of them) from ``dg.Input`` and calls.
        model_name: for error messages.
        check_inputs: whether :meth:`run` converts and checks the inputs against the
            ``dg.Input`` shapes (a functional model) or leaves that to the first layers (a
            Sequential, as Keras's).

    Raises:
        ValueError: for outputs that need a tensor that is not among the inputs, inputs not
            used by any output, or two different layers with the same name.
    """

    def __init__(self, inputs, outputs, model_name: str, check_inputs: bool = True):
        self.model_name = model_name
        self.input_structure = inputs
        self.output_structure = outputs
        self.inputs = tree.flatten(inputs)
        self.outputs = tree.flatten(outputs)
        self.check_inputs = check_inputs
        self._one_input = len(self.inputs) == 1 and not isinstance(inputs, dict)
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
        self._nodes: list[Node] | None = None
        self._layers: list | None = None
        self._plan: Plan | None = None

    @property
    def nodes(self) -> list[Node]:
        """The recorded calls in an order that runs (checked on first use)."""
        if self._nodes is None:
            nodes = self._order_nodes()
            self._check_names(nodes)
            self._nodes = nodes
        return self._nodes

    @property
    def plan(self) -> Plan:
        """The execution plan, made on first use."""
        if self._plan is None:
            self._plan = Plan(self)
        return self._plan

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
        for output in self.outputs:
            stack: list[tuple[KerasTensor, bool]] = [(output, False)]
            while stack:
                tensor, parents_done = stack.pop()
                node = tensor.history[0] if tensor.history else None
                if parents_done:
                    if id(node) not in done:
                        done.add(id(node))
                        order.append(node)
                    continue
                if id(tensor) in input_ids:
                    used_inputs.add(id(tensor))
                    if id(node) not in done:
                        self._visit_index.setdefault(id(node.layer), len(self._visit_index))
                        done.add(id(node))
                        input_nodes.append(node)
                    continue
                if node is None or isinstance(node.layer, InputLayer):
                    raise ValueError(
                        f"Model '{self.model_name}': the output {_describe(output)} is not "
                        f"reachable from the given inputs: it needs {_describe(tensor)}, which "
                        "is not among the model's inputs. To fix, add that dg.Input to "
                        "`inputs`."
                    )
                if id(node) in done:
                    continue
                self._visit_index.setdefault(id(node.layer), len(self._visit_index))
                stack.append((tensor, True))
                stack.extend((parent, False) for parent in reversed(node.input_tensors()))
        unused = [t for t in self.inputs if id(t) not in used_inputs]
        if unused:
            raise ValueError(
                f"Model '{self.model_name}': input {_describe(unused[0])} is disconnected: no "
                "output depends on it. Remove it from `inputs` or connect it."
            )
        self._layer_depths = _layer_depths(order, input_nodes)
        return order

    def _check_names(self, nodes: list[Node]) -> None:
        seen: dict[str, object] = {}
        layers = [t.history[0].layer for t in self.inputs] + [node.layer for node in nodes]
        for layer in layers:
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
            nodes = self.nodes
            by_id = {id(node.layer): node.layer for node in nodes}
            by_id.update({id(t.history[0].layer): t.history[0].layer for t in self.inputs})
            depths, visit = self._layer_depths, self._visit_index
            order = sorted(by_id, key=lambda i: (-depths[i], visit[i]))
            self._layers = [by_id[i] for i in order]
        return list(self._layers)

    @property
    def output_names(self) -> list[str]:
        return [t.history[0].layer.name for t in self.outputs]

    def output_shapes(self):
        """The outputs' shapes, in the outputs' structure (several as a list)."""
        return shapes_of(self.output_structure)

    def _bind_inputs(self, data) -> list:
        """The data for each input, in :attr:`inputs` order."""
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
            return tree.flatten({k: data[k] for k in structure})
        if isinstance(data, dict):
            names = [t.name for t in self.inputs]
            missing = sorted(set(names) - set(data))
            if missing:
                raise ValueError(
                    f"Model '{self.model_name}': missing inputs {missing}; inputs are {names}. "
                    f"Received a dict with keys {sorted(map(str, data))}. To fix, key the "
                    "arrays by the inputs' names (Input(..., name=...)), or pass an array."
                )
            return [data[t.name] for t in self.inputs]
        values = data if isinstance(data, (list, tuple)) and len(self.inputs) > 1 else [data]
        if len(values) != len(self.inputs):
            raise ValueError(
                f"Model '{self.model_name}': expected {len(self.inputs)} inputs "
                f"({', '.join(t.name or '?' for t in self.inputs)}), received {len(values)}."
            )
        return list(values)

    def _checked(self, tensor: KerasTensor, value):
        layer = tensor.history[0].layer
        value = layer._convert_inputs(value)
        shape, expected = value.shape, tensor.shape
        # Keras's rank adjustment: a trailing axis of size 1 is added or dropped, so
        # that Input(shape=(1,), dtype="string") takes a 1-D array of texts.
        if len(shape) == len(expected) - 1 and expected[-1] == 1:
            value = ops.expand_dims(value, -1)
        elif len(shape) == len(expected) + 1 and shape[-1] == 1:
            value = ops.squeeze(value, -1)
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
        return value

    def run(self, data, training=None):
        """Run the plan on real data; return outputs in the outputs' structure."""
        plan = self._plan if self._plan is not None else self.plan
        if self._one_input and not isinstance(data, dict):
            bound = [data]
        else:
            bound = self._bind_inputs(data)
        if self.check_inputs:
            bound = [self._checked(t, v) for t, v in zip(self.inputs, bound)]
        values = bound + [None] * (plan.size - len(bound))
        return plan.run(values, training)


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
                for position, tensor in enumerate(tree.flatten(out)):
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
