"""Wrapper, the base of layers that hold one layer, and SpectralNormalization.

>>> import deepgrad as dg
>>> layer = dg.layers.SpectralNormalization(dg.layers.Dense(3))
>>> layer(np.ones((2, 4), "float32"), training=True).shape
(2, 3)
>>> [w.name for w in layer.weights]
['kernel', 'vector_u', 'bias']
"""

from __future__ import annotations

import numpy as np

from deepgrad import initializers
from deepgrad.layers.base import Layer
from deepgrad.layers.nested import deserialize_sublayer, serialize_sublayer

__all__ = ["Wrapper", "SpectralNormalization"]


class Wrapper(Layer):
    """The base of layers that wrap another layer (Keras's ``keras.layers.Wrapper``).

    Holds ``layer``, builds it with the wrapper, and saves it nested in the config.
    Subclasses write ``call``; the base is abstract, as in Keras.

    Args:
        layer: the layer to wrap.

    Raises:
        TypeError: ``layer`` is not a Layer.

    >>> class Twice(Wrapper):
    ...     def call(self, inputs):
    ...         return self.layer(self.layer(inputs))
    >>> Twice(dg.layers.Identity())(np.ones((1, 2), "float32")).shape
    (1, 2)
    """

    def __init__(self, layer: Layer, **kwargs):
        if not isinstance(layer, Layer):
            raise TypeError(
                f"{type(self).__name__}: `layer` must be a deepgrad layer. "
                f"Received: layer={layer!r}"
            )
        super().__init__(**kwargs)
        self.layer = layer

    def build(self, input_shape) -> None:
        if not self.layer.built:
            self.layer.build(input_shape)

    def compute_output_shape(self, input_shape):
        return self.layer.compute_output_shape(input_shape)

    def get_config(self) -> dict:
        return {**super().get_config(), "layer": serialize_sublayer(self.layer)}

    @classmethod
    def from_config(cls, config: dict, custom_objects: dict | None = None):
        config = dict(config)
        layer = deserialize_sublayer(config.pop("layer"), custom_objects)
        return cls(layer, **config)


def _normalize(vector: np.ndarray) -> np.ndarray:
    """``vector / ||vector||`` as Keras's ``normalize(axis=None)`` (epsilon 1e-12)."""
    return vector / np.sqrt(np.maximum(np.sum(vector * vector), 1e-12))


class SpectralNormalization(Wrapper):
    """Divide the wrapped layer's kernel by its largest singular value, in training.

    Each training call runs ``power_iterations`` steps of the power method from the
    kept estimate ``vector_u`` (a non-trainable weight of shape ``(1, units)``), then
    writes ``kernel / sigma`` into the wrapped layer's kernel, as Keras does (the
    optimizer then updates that normalised kernel; the division carries no gradient).
    An all-zero kernel is left alone. Inference uses the kernel as it is. (Keras casts
    the output to the input's dtype, so a wrapped Embedding gives truncated ints there;
    deepgrad returns the layer's output as it is.)

    Args:
        layer: a layer with a ``kernel`` (Dense, Conv*) or ``embeddings`` (Embedding).
        power_iterations: power-method steps per training call (> 0).

    Raises:
        ValueError: ``power_iterations <= 0``, or a layer without kernel or embeddings.

    >>> dense = dg.layers.Dense(2, kernel_initializer="ones")
    >>> sn = SpectralNormalization(dense, power_iterations=20)
    >>> _ = sn(np.ones((1, 2), "float32"), training=True)
    >>> round(float(np.linalg.norm(dense.kernel.numpy(), 2)), 4)
    1.0
    """

    def __init__(self, layer: Layer, power_iterations: int = 1, **kwargs):
        super().__init__(layer, **kwargs)
        if (isinstance(power_iterations, bool) or not isinstance(power_iterations, int)
                or power_iterations <= 0):
            raise ValueError(
                f"SpectralNormalization '{self.name}': `power_iterations` must be an int > 0. "
                f"Received: power_iterations={power_iterations!r}"
            )
        self.power_iterations = power_iterations

    def build(self, input_shape) -> None:
        super().build(input_shape)
        kernel = getattr(self.layer, "kernel", None)
        if kernel is None:
            kernel = getattr(self.layer, "embeddings", None)
        if kernel is None:
            raise ValueError(
                f"SpectralNormalization '{self.name}': the wrapped "
                f"{type(self.layer).__name__} '{self.layer.name}' has no `kernel` nor "
                "`embeddings` weight to normalise."
            )
        self.kernel = kernel
        # Keras lists the kernel as the wrapper's own weight: [kernel, vector_u, bias].
        self._trainable_weights.append(kernel)
        self.vector_u = self.add_weight(
            shape=(1, kernel.shape[-1]),
            initializer=initializers.TruncatedNormal(stddev=0.02),
            trainable=False, name="vector_u", dtype=kernel.dtype,
        )

    def normalized_weights(self) -> tuple[np.ndarray, np.ndarray]:
        """The power method's new ``vector_u`` and ``kernel / sigma``, as arrays."""
        kernel = self.kernel.data
        weights = kernel.reshape(-1, kernel.shape[-1])
        vector_u = self.vector_u.data
        for _ in range(self.power_iterations):
            vector_v = _normalize(vector_u @ weights.T)
            vector_u = _normalize(vector_v @ weights)
        sigma = (vector_v @ weights @ vector_u.T).item()
        return vector_u.astype(kernel.dtype), (kernel / kernel.dtype.type(sigma))

    def call(self, inputs, training=False):
        if training and np.any(self.kernel.data != 0):
            vector_u, kernel = self.normalized_weights()
            self.vector_u.assign(vector_u)
            self.kernel.assign(kernel)
        return self.layer(inputs)

    def get_config(self) -> dict:
        return {**super().get_config(), "power_iterations": self.power_iterations}
