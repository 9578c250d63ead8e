"""Pipeline: a list of layers applied in turn, as one plain layer (Keras's).

Unlike a ``Sequential`` model it is a layer, not a model: no ``compile``/``fit``, and
it takes whatever its first layer takes (an image batch, or the ``{"images", "labels"}``
dicts of the augmentation layers), which suits data pipelines
(``dataset.map(pipeline)``).

>>> import deepgrad as dg
>>> augment = dg.layers.Pipeline([dg.layers.RandomFlip(seed=0), dg.layers.AutoContrast()])
>>> augment(np.random.default_rng(0).random((2, 4, 4, 3), dtype="float32")).shape
(2, 4, 4, 3)
"""

from __future__ import annotations

from deepgrad.layers.base import Layer
from deepgrad.layers.nested import deserialize_sublayer, serialize_sublayer

__all__ = ["Pipeline"]


class Pipeline(Layer):
    """Apply ``layers`` one after the other (``training`` passed on when given).

    Args:
        layers: a list of layers.
        name: the layer's name.

    Raises:
        TypeError: ``layers`` is not a list of layers.

    >>> pipe = Pipeline([dg.layers.Rescaling(0.5), dg.layers.Rescaling(4.0)])
    >>> pipe(np.ones((1, 2), "float32")).data.tolist()
    [[2.0, 2.0]]
    """

    def __init__(self, layers, name: str | None = None, **kwargs):
        super().__init__(name=name, **kwargs)
        if not isinstance(layers, (list, tuple)) or not all(isinstance(x, Layer) for x in layers):
            raise TypeError(
                f"Pipeline '{self.name}': `layers` must be a list of layers. "
                f"Received: layers={layers!r}"
            )
        self._pipeline_layers = list(layers)

    @property
    def layers(self) -> list[Layer]:
        """The layers, in order."""
        return self._pipeline_layers

    def call(self, inputs, training=None):
        outputs = inputs
        for layer in self._pipeline_layers:
            outputs = layer(outputs) if training is None else layer(outputs, training=training)
        return outputs

    def compute_output_shape(self, input_shape):
        for layer in self._pipeline_layers:
            input_shape = layer.compute_output_shape(input_shape)
        return input_shape

    def get_config(self) -> dict:
        return {"name": self.name,
                "layers": [serialize_sublayer(x) for x in self._pipeline_layers]}

    @classmethod
    def from_config(cls, config: dict, custom_objects: dict | None = None):
        layers = config.get("layers")
        if not isinstance(layers, (list, tuple)):
            raise ValueError(
                "Pipeline: the config must hold a `layers` list of layer descriptions. "
                f"Received: layers={layers!r}"
            )
        config = {**config, "layers": [deserialize_sublayer(x, custom_objects) for x in layers]}
        return cls(**config)
