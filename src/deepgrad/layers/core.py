"""Core layers: Dense, Activation, Dropout, Identity (Lambda: ``lambda_layer.py``).

>>> import deepgrad as dg
>>> layer = dg.layers.Dense(3, activation="relu")
>>> layer(np.ones((2, 4), dtype="float32")).shape
(2, 3)
>>> [w.shape for w in layer.weights]
[(4, 3), (3,)]
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from deepgrad import activations, constraints, initializers, ops, regularizers
from deepgrad import random as dg_random
from deepgrad.layers.base import InputSpec, Layer
from deepgrad.tensor import Tensor

__all__ = ["Dense", "Activation", "Dropout", "Identity"]


def positive_int(layer: Layer | str, arg: str, value) -> int:
    """Validate a positive integer argument, naming the layer and argument on failure."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
        who = layer if isinstance(layer, str) else type(layer).__name__
        raise ValueError(f"{who}: `{arg}` must be a positive int. Received: {arg}={value!r}")
    return int(value)


def serialize_regularizer(regularizer):
    """``regularizers.serialize(regularizer)``, or None for no regularizer (a config value)."""
    return None if regularizer is None else regularizers.serialize(regularizer)


class ActivationAttribute:
    """A layer's ``activation``, assignable after the layer is made, as in Keras: keras.io's
    Grad-CAM example sets ``model.layers[-1].activation = None`` to read the logits. Each
    value goes through :func:`deepgrad.activations.get` (``None`` is ``linear``), and the
    layer's ``_fused`` follows it: ``'relu'`` where the layer's own op applies the ReLU
    (one pass over the output, its mask reused in backward), else None.

    >>> import deepgrad as dg
    >>> layer = dg.layers.Dense(2, activation="relu")
    >>> layer.activation = None
    >>> layer.activation is dg.activations.linear, layer._fused
    (True, None)
    """

    changes = 0  # activations set on any layer after the first: compiled steps check it

    def __get__(self, layer, owner=None):
        return self if layer is None else layer.__dict__["_activation"]

    def __set__(self, layer, value) -> None:
        function = activations.get(value)
        if "_activation" in layer.__dict__:
            ActivationAttribute.changes += 1
        layer.__dict__["_activation"] = function
        layer.__dict__["_fused"] = "relu" if function is activations.relu else None


class Dense(Layer):
    """Densely connected layer: ``activation(inputs @ kernel + bias)`` on the last axis.

    Args:
        units: number of output units.
        activation: activation name or function (``None`` for linear).
        use_bias: whether to add a bias vector.
        kernel_initializer, bias_initializer: initializers (objects or names).
        kernel_regularizer, bias_regularizer, activity_regularizer: optional regularizers.
        kernel_constraint, bias_constraint: optional callables applied after each update.

    Input shape: ``(batch, ..., input_dim)``. Output shape: ``(batch, ..., units)``.
    Weights: ``kernel (input_dim, units)``, ``bias (units,)`` as in Keras.

    >>> Dense(2, input_shape=(5,)).get_config()["units"]
    2
    """

    supports_masking = True  # the mask passes through (Keras)
    activation = ActivationAttribute()  # may be set later, as in Keras

    def __init__(
        self,
        units: int,
        activation: str | Callable | None = None,
        use_bias: bool = True,
        kernel_initializer="glorot_uniform",
        bias_initializer="zeros",
        kernel_regularizer=None,
        bias_regularizer=None,
        activity_regularizer=None,
        kernel_constraint=None,
        bias_constraint=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.units = positive_int(self, "units", units)
        self.activation = activation
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.activity_regularizer = regularizers.get(activity_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.input_spec = InputSpec(min_ndim=2)

    def build(self, input_shape) -> None:
        input_dim = input_shape[-1]
        if input_dim is None:
            raise ValueError(
                f"Dense '{self.name}': the last dimension of the input must be known. "
                f"Received input shape {input_shape}."
            )
        self.kernel = self.add_weight(
            shape=(input_dim, self.units),
            initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
            name="kernel",
        )
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(
                shape=(self.units,),
                initializer=self.bias_initializer,
                regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
                name="bias",
            )
        self.input_spec = InputSpec(min_ndim=2, axes={-1: int(input_dim)})

    def call(self, inputs: Tensor) -> Tensor:
        out = ops.dense(inputs, self.kernel, self.bias, self._fused)
        if self._fused is None and self.activation is not activations.linear:
            out = self.activation(out)
        return out

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.units,)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "units": self.units,
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": serialize_regularizer(self.kernel_regularizer),
            "bias_regularizer": serialize_regularizer(self.bias_regularizer),
            "activity_regularizer": serialize_regularizer(self.activity_regularizer),
            "kernel_constraint": constraints.serialize(self.kernel_constraint),
            "bias_constraint": constraints.serialize(self.bias_constraint),
        }


class Activation(Layer):
    """Apply an activation function.

    Args:
        activation: a name such as ``'relu'`` or a function of Tensors.

    >>> Activation("relu")(np.array([[-1.0, 2.0]], dtype="float32")).data
    array([[0., 2.]], dtype=float32)
    """

    supports_masking = True  # the mask passes through (Keras)

    activation = ActivationAttribute()

    def __init__(self, activation, **kwargs):
        super().__init__(**kwargs)
        self.activation = activation

    def call(self, inputs: Tensor) -> Tensor:
        return self.activation(inputs)

    def epilogue(self) -> tuple | None:
        """``("activation", "relu")`` for ``'relu'`` (``"relu6"`` for ``'relu6'``): the op
        before may clip its output in place; else None.

        >>> Activation("relu").epilogue(), Activation("tanh").epilogue()
        (('activation', 'relu'), None)
        """
        if type(self).call is not Activation.call:
            return None
        if self.activation is activations.relu:
            return ("activation", "relu")
        return ("activation", "relu6") if self.activation is activations.relu6 else None

    def compute_output_shape(self, input_shape):
        """The input's shape, except ``'glu'``, which halves the last axis.

        deepgrad differs from Keras 3.15 here: Keras reports the input's shape for
        ``'glu'`` too, so its model summary disagrees with what the layer returns.

        >>> Activation("glu").compute_output_shape((None, 4, 6))
        (None, 4, 3)
        """
        shape = tuple(input_shape)
        if self.activation is activations.glu and shape and shape[-1] is not None:
            return shape[:-1] + (shape[-1] // 2,)
        return shape

    def get_config(self) -> dict:
        return {**super().get_config(), "activation": activations.serialize(self.activation)}


class Dropout(Layer):
    """Randomly zero a fraction ``rate`` of the inputs during training; identity otherwise.

    The kept values are scaled by ``1 / (1 - rate)`` so the expected sum is unchanged.

    Args:
        rate: fraction of inputs to drop, in ``[0, 1)``.
        noise_shape: optional shape of the mask, broadcast over the input (``None`` entries
            take the input's size).
        seed: optional seed for the mask; by default the global generator is used.

    >>> layer = Dropout(0.5)
    >>> x = np.ones((2, 4), dtype="float32")
    >>> bool((layer(x, training=False).data == x).all())
    True
    """

    supports_masking = True  # the mask passes through (Keras)

    def __init__(self, rate: float, noise_shape=None, seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0 <= rate < 1:
            raise ValueError(f"Dropout: `rate` must be a float in [0, 1). Received: rate={rate!r}")
        self.rate = float(rate)
        self.noise_shape = None if noise_shape is None else tuple(noise_shape)
        self.seed = seed
        self._generator = None if seed is None else dg_random.make_generator(seed)

    def call(self, inputs: Tensor, training=None) -> Tensor:
        if not training or self.rate == 0:
            return inputs
        generator = dg_random.generator_of(self._generator, self.seed)
        return ops.dropout(inputs, self.rate, generator, self.noise_shape)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "rate": self.rate,
            "noise_shape": self.noise_shape,
            "seed": self.seed,
        }


class Identity(Layer):
    """Return the input unchanged (a placeholder layer).

    >>> Identity()(np.ones((1, 2), dtype="float32")).shape
    (1, 2)
    """

    _casts_integer_inputs = False  # it only moves values: integers stay integers,
    _keeps_input_dtype = True  # as in Keras

    supports_masking = True  # the mask passes through (Keras)

    _accepts_strings = True

    def call(self, inputs):
        return inputs

    def compute_output_shape(self, input_shape):
        return input_shape
