"""Sequential: a plain stack of layers, each feeding the next.

>>> import deepgrad as dg
>>> model = dg.Sequential()
>>> model.add(dg.Input(shape=(4,)))
>>> model.add(dg.layers.Dense(10, activation="relu"))
>>> model.add(dg.layers.Dense(3, activation="softmax"))
>>> model.output_shape, model.count_params()
((None, 3), 83)
"""

from __future__ import annotations

from deepgrad.layers.base import Layer, shape_str
from deepgrad.layers.input_layer import InputLayer
from deepgrad.layers.keras_tensor import KerasTensor
from deepgrad.models.model import Model

__all__ = ["Sequential"]


class Sequential(Model):
    """A model that runs its layers in order.

    Args:
        layers: optional list of layers (the first may be a ``dg.Input`` or carry
            ``input_shape=``, which builds the model at once so ``summary()`` works).
        name: the model's name.

    >>> Sequential([dg.layers.Dense(2, input_shape=(3,))]).output_shape
    (None, 2)
    """

    def __init__(self, layers=None, name: str | None = None, trainable: bool = True, **kwargs):
        super().__init__(name=name, trainable=trainable, **kwargs)
        self._stack: list[Layer] = []
        self._input_batch_shape = None
        self._input_dtype = None
        for layer in layers or []:
            self.add(layer)

    def add(self, layer) -> None:
        """Append a layer (or set the input with ``dg.Input``).

        Raises:
            TypeError: if ``layer`` is not a layer.
            ValueError: if a layer with the same name is already in the model.
        """
        if isinstance(layer, KerasTensor):
            layer = layer.history[0].layer
        if isinstance(layer, InputLayer):
            if self._stack:
                raise ValueError(
                    f"Sequential '{self.name}': an Input can only come first, before any layer."
                )
            self._input_batch_shape = layer.batch_shape
            self._input_dtype = layer.dtype
            self._build_known()
            return
        if not isinstance(layer, Layer):
            raise TypeError(
                f"Sequential '{self.name}': only layers can be added. Received: {layer!r} "
                f"of type {type(layer).__name__}"
            )
        if any(existing.name == layer.name for existing in self._stack):
            raise ValueError(
                f"Sequential '{self.name}': a layer named '{layer.name}' is already in the model. "
                "Layer names must be unique; pass a distinct `name=`."
            )
        if not self._stack and self._input_batch_shape is None and layer._batch_input_shape:
            self._input_batch_shape = layer._batch_input_shape
        self._stack.append(layer)
        self.built = False
        self._train_variables = None
        self._penalty_sources = None
        self._build_known()

    def pop(self) -> Layer:
        """Remove and return the last layer."""
        if not self._stack:
            raise ValueError(f"Sequential '{self.name}': there are no layers to pop.")
        layer = self._stack.pop()
        self.built = False
        self._build_known()
        return layer

    def _build_known(self) -> None:
        if self._input_batch_shape is not None and self._stack:
            self.build(self._input_batch_shape)
            self._build_shapes = self._input_batch_shape
            self.built = True

    @property
    def layers(self) -> list[Layer]:
        return list(self._stack)

    def _sublayers(self) -> list[Layer]:
        return list(self._stack)

    def build(self, input_shape) -> None:
        shape = tuple(input_shape)
        self._input_batch_shape = self._input_batch_shape or (None,) + shape[1:]
        self._shapes = []
        for layer in self._stack:
            if not layer.built:
                layer._check_build_rank(shape)
                layer.build(shape)
                layer._build_shapes = shape
                layer.built = True
            elif layer.input_spec is not None:
                layer._check_shape(shape)
            shape = tuple(layer.compute_output_shape(shape))
            self._shapes.append(shape)
        self._build_shapes = tuple(input_shape)
        self.built = True

    def call(self, inputs, training=None):
        x = inputs
        for layer in self._stack:
            x = layer(x, training=training)
        return x

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
        return self._shapes[-1] if self._stack else self._input_batch_shape

    @property
    def output_names(self) -> list[str]:
        return [self._stack[-1].name] if self._stack else [self.name]

    def get_config(self) -> dict:
        layers = [
            {"class_name": type(layer).__name__, "config": layer.get_config()}
            for layer in self._stack
        ]
        config = {"name": self.name, "trainable": self.trainable, "layers": layers}
        if self._input_batch_shape is not None:
            config["input_shape"] = list(self._input_batch_shape)
        return config

    def __repr__(self) -> str:
        shape = shape_str(self._input_batch_shape) if self._input_batch_shape else "unknown"
        return f"<Sequential name={self.name}, layers={len(self._stack)}, input={shape}>"
