"""Sequential: a plain stack of layers, each feeding the next.

>>> import deepgrad as dg
>>> model = dg.Sequential()
>>> model.add(dg.Input(shape=(4,)))
>>> model.add(dg.layers.Dense(10, activation="relu"))
>>> model.add(dg.layers.Dense(3, activation="softmax"))
>>> model.output_shape, model.count_params()
((None, 3), 83)

One layer object may be added twice; its weights are then shared (as in Keras):

>>> pool = dg.layers.MaxPooling2D(2)
>>> cnn = dg.Sequential([dg.Input(shape=(8, 8, 1)), pool, pool])
>>> cnn.output_shape
(None, 2, 2, 1)
"""

from __future__ import annotations

from deepgrad.layers.base import Layer, shape_str, shapes_of
from deepgrad.layers.input_layer import Input, InputLayer
from deepgrad.layers.keras_tensor import KerasTensor
from deepgrad.models.functional import Graph
from deepgrad.models.model import Model

__all__ = ["Sequential"]


class Sequential(Model):
    """A model that runs its layers in order.

    Once the input shape is known, the model wires its layers into a functional graph, as
    Keras 3 does, so ``model.input``, ``model.output`` and each layer's ``output`` are
    defined (for feature extraction with ``dg.Model(model.input, layer.output)``), and it
    runs through that graph's plan (where a convolution and the pooling after it run as
    one op). Without a known input shape, the first call builds it. ``add`` on a built
    model extends the graph by one call: adding ``n`` layers costs ``O(n)``.

    Args:
        layers: optional list of layers. The input shape is known at once when the first
            is a ``dg.Input``, carries ``input_shape=``, or is a model with one input
            (e.g. a pretrained base), which builds the model so ``summary()`` works.
        name: the model's name.

    >>> Sequential([dg.layers.Dense(2, input_shape=(3,))]).output_shape
    (None, 2)
    """

    def __init__(self, layers=None, name: str | None = None, trainable: bool = True, **kwargs):
        super().__init__(name=name, trainable=trainable, **kwargs)
        self._stack: list[Layer] = []
        self._input_batch_shape = None
        self._input_dtype = None
        self._input_name = None  # the name of a dg.Input given first, kept in the config
        self._input_tensor = None  # the dg.Input the graph starts from
        self._names: set[str] = set()
        for layer in layers or []:
            self._append(layer)
        self._build_known()

    def add(self, layer) -> None:
        """Append a layer (or set the input with ``dg.Input``).

        Raises:
            TypeError: if ``layer`` is not a layer.
            ValueError: if a layer with the same name is already in the model, or the
                layer does not accept the previous layer's output (it is not added then).
        """
        graph = self._graph
        if graph is None or isinstance(layer, (KerasTensor, InputLayer)):
            self._append(layer)
            self._build_known()
            return
        self._append(layer)
        try:
            output = layer(graph.output_structure)  # builds it: one more call
        except Exception:
            self._stack.pop()
            if not any(other is layer for other in self._stack):
                self._names.discard(layer.name)
            self._graph, self.built = graph, True
            raise
        self._graph = Graph(self._input_tensor, output, self.name, check_inputs=False)
        self._shapes.append(shapes_of(output))
        self.built = True

    def _append(self, layer) -> None:
        if isinstance(layer, KerasTensor):
            layer = layer.history[0].layer
        if isinstance(layer, InputLayer):
            if self._stack:
                raise ValueError(
                    f"Sequential '{self.name}': an Input can only come first, before any layer."
                )
            self._input_batch_shape = layer.batch_shape
            self._input_dtype = layer.dtype
            self._input_tensor = layer.output
            self._input_name = layer.name
            return
        if not isinstance(layer, Layer):
            raise TypeError(
                f"Sequential '{self.name}': only layers can be added. Received: {layer!r} "
                f"of type {type(layer).__name__}"
            )
        if layer.name in self._names and not any(other is layer for other in self._stack):
            raise ValueError(
                f"Sequential '{self.name}': a different layer named '{layer.name}' is already "
                "in the model. Layer names must be unique; pass a distinct `name=`."
            )
        if not self._stack and self._input_batch_shape is None:
            self._input_batch_shape, self._input_dtype = _known_input(layer)
        self._stack.append(layer)
        self._names.add(layer.name)
        self.built = False
        self._graph = None
        self._train_variables = None
        self._dense_step = None
        self._penalty_sources = None

    def pop(self) -> Layer:
        """Remove and return the last layer."""
        if not self._stack:
            raise ValueError(f"Sequential '{self.name}': there are no layers to pop.")
        layer = self._stack.pop()
        if not any(other is layer for other in self._stack):
            self._names.discard(layer.name)
        self.built = False
        self._graph = None
        self._train_variables = None
        self._dense_step = None
        self._penalty_sources = None
        self._build_known()
        return layer

    def _build_known(self) -> None:
        if self._input_batch_shape is not None and self._stack:
            self.build(self._input_batch_shape)

    @property
    def layers(self) -> list[Layer]:
        """The layers in order; a layer added twice is listed twice (as Keras lists it)."""
        return list(self._stack)

    def _sublayers(self) -> list[Layer]:
        return list(dict.fromkeys(self._stack))  # a layer used twice counts once

    def build(self, input_shape) -> None:
        """Build every layer for ``input_shape`` and wire them into a functional graph.

        Raises:
            ValueError: if the model already has an input of another shape.
        """
        shape = tuple(input_shape)
        if shape and not isinstance(shape[0], (int, type(None))):
            # Several inputs: no single graph to wire (as in Keras); layers build when called.
            self._shapes, self._build_shapes, self.built = None, shape, True
            return
        batch_shape = (None,) + shape[1:]
        inputs = self._input_tensor
        if inputs is not None and inputs.shape[1:] != batch_shape[1:]:
            raise ValueError(
                f"Sequential '{self.name}': the model is configured for input shape "
                f"{shape_str(inputs.shape)}; it cannot be built for input shape "
                f"{shape_str(shape)}."
            )
        if inputs is None:
            inputs = Input(batch_shape=batch_shape, dtype=self._input_dtype)
            self._input_tensor = inputs
        self._input_batch_shape = self._input_batch_shape or inputs.shape
        x, self._shapes = inputs, []
        for layer in self._stack:
            x = layer(x)
            self._shapes.append(shapes_of(x))
        self._graph = None
        if self._stack:
            self._graph = Graph(inputs, x, self.name, check_inputs=False)
            self._graph.plan  # noqa: B018 (made now, when the model is built)
        self._build_shapes = shape
        self.built = True

    @property
    def inputs(self) -> list[KerasTensor]:
        return self._graph_part("inputs").inputs

    @property
    def outputs(self) -> list[KerasTensor]:
        return self._graph_part("outputs").outputs

    @property
    def input(self) -> KerasTensor:
        """The model's input KerasTensor, once the input shape is known.

        >>> model = Sequential([dg.Input(shape=(3,)), dg.layers.Dense(2)])
        >>> model.input.shape, model.output.shape
        ((None, 3), (None, 2))
        """
        return self._graph_part("input").inputs[0]

    @property
    def output(self):
        outputs = self._graph_part("output").outputs
        return outputs[0] if len(outputs) == 1 else outputs

    def _graph_part(self, what: str):
        if self._graph is None:
            raise ValueError(
                f"Sequential model '{self.name}' has no defined {what} yet. Give it an input "
                "shape first: start with dg.Input(shape=...), or call build() or fit()."
            )
        return self._graph

    def call(self, inputs, training=None):
        if self._graph is not None:
            return self._graph.run(inputs, training)
        for layer in self._stack:  # several inputs: no graph (as in Keras), layer by layer
            inputs = layer(inputs, training=training)
        return inputs

    def compute_output_shape(self, input_shape):
        shape = tuple(input_shape)
        for layer in self._stack:
            shape = tuple(layer.compute_output_shape(shape))
        return shape

    @property
    def input_shape(self):
        return self._input_batch_shape

    @property
    def output_shape(self):
        if not self.built:
            raise ValueError(
                f"Sequential '{self.name}': the model has no known input shape yet. Give the "
                "first layer `input_shape=` or start with dg.Input(shape=...), or call fit()."
            )
        if not self._shapes:
            return self._input_batch_shape
        return self._shapes[-1]

    @property
    def output_names(self) -> list[str]:
        return [self._stack[-1].name] if self._stack else [self.name]

    def get_config(self) -> dict:
        """The model's name, layers (each ``{"class_name", "config"}``) and input shape and
        dtype: what :meth:`from_config` takes."""
        layers = [
            {"class_name": type(layer).__name__, "config": layer.get_config()}
            for layer in self._stack
        ]
        config = {"name": self.name, "trainable": self.trainable, "layers": layers}
        if self._input_batch_shape is not None:
            config["input_shape"] = list(self._input_batch_shape)
            if self._input_dtype is not None:
                config["input_dtype"] = self._input_dtype
            if self._input_name is not None:
                config["input_name"] = self._input_name
        return config

    @classmethod
    def from_config(cls, config: dict, custom_objects=None) -> Sequential:
        """A new model (new weights) from :meth:`get_config`'s dict, as Keras's.

        Each layer entry is ``{"class_name", "config"}`` (or the model file's form, with
        ``module`` and ``registered_name``); custom classes are found as ``load_model``
        finds them (registered, or in ``custom_objects``). Entries with the same layer
        name are one layer used twice, so the copy shares it as the original does
        (Keras 3's ``from_config`` drops the second use).

        >>> model = Sequential([dg.layers.Dense(2, input_shape=(3,))])
        >>> Sequential.from_config(model.get_config()).output_shape
        (None, 2)
        """
        from deepgrad.saving.serialization import deserialize_layer  # the tier above models

        if isinstance(config, list):  # Keras 2's form: the layer list alone
            config = {"layers": config}
        model = cls(name=config.get("name"))
        if config.get("input_shape") is not None:
            model.add(Input(batch_shape=tuple(config["input_shape"]),
                            dtype=config.get("input_dtype"), name=config.get("input_name")))
            model._input_name = config.get("input_name")  # unnamed stays unnamed
        made: dict[str, Layer] = {}
        for spec in config.get("layers", []):
            name = (spec.get("config") or {}).get("name") if isinstance(spec, dict) else None
            if name is not None and name in made:
                model.add(made[name])
                continue
            layer = deserialize_layer(spec, custom_objects)
            if name is not None:
                made[name] = layer
            model.add(layer)
        if config.get("trainable") is False:
            model.trainable = False
        return model

    def __repr__(self) -> str:
        shape = shape_str(self._input_batch_shape) if self._input_batch_shape else "unknown"
        return f"<Sequential name={self.name}, layers={len(self._stack)}, input={shape}>"


def _known_input(layer: Layer) -> tuple:
    """The batch input shape and dtype a first layer fixes, or ``(None, None)``."""
    if layer._batch_input_shape is not None:
        return layer._batch_input_shape, None
    if isinstance(layer, Sequential):
        return layer._input_batch_shape, layer._input_dtype
    if isinstance(layer, Model) and layer._graph is not None and len(layer._graph.inputs) == 1:
        tensor = layer._graph.inputs[0]
        return tensor.shape, tensor.dtype
    return None, None
