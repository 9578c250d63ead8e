"""Activation layers with arguments: ReLU, LeakyReLU, ELU, Softmax and the learned PReLU.

``Activation("relu")`` covers the plain functions; these layers add the arguments
Keras gives them (MobileNetV2's ``ReLU(6.0)``, a leak, a threshold, a softmax axis).

>>> import deepgrad as dg
>>> dg.layers.ReLU(6.0)(np.array([-1.0, 3.0, 9.0], dtype="float32")).data
array([0., 3., 6.], dtype=float32)
"""

from __future__ import annotations

import numpy as np

from deepgrad import activations, constraints, initializers, ops, regularizers
from deepgrad.layers.base import InputSpec, Layer, shape_str
from deepgrad.layers.core import serialize_regularizer
from deepgrad.tensor import Tensor

__all__ = ["ReLU", "LeakyReLU", "ELU", "Softmax", "PReLU"]


def _number(layer: str, arg: str, value, minimum: float | None = 0.0, allow_none=False):
    if value is None and allow_none:
        return None
    ok = not isinstance(value, bool) and isinstance(value, (int, float, np.number))
    if not ok or (minimum is not None and value < minimum):
        bound = f" >= {minimum}" if minimum is not None else ""
        raise ValueError(
            f"{layer}: `{arg}` must be a number{bound}"
            + (" or None" if allow_none else "")
            + f". Received: {arg}={value!r}"
        )
    return float(value)


class _Elementwise(Layer):
    def compute_output_shape(self, input_shape):
        return tuple(input_shape)


class ReLU(_Elementwise):
    """Rectified linear unit with an optional ceiling, leak and threshold.

    ``max_value`` for ``x >= max_value``, ``x`` for ``threshold < x < max_value``,
    ``negative_slope * (x - threshold)`` otherwise.

    Args:
        max_value: the ceiling (``None``: no ceiling; MobileNet uses ``6.0``).
        negative_slope: the slope below the threshold (``>= 0``).
        threshold: where the unit switches on.

    >>> ReLU(negative_slope=0.1)(np.array([-10.0, 5.0], dtype="float32")).data
    array([-1.,  5.], dtype=float32)
    """

    supports_masking = True  # the mask passes through (Keras)

    def __init__(self, max_value=None, negative_slope=0.0, threshold=0.0, **kwargs):
        super().__init__(**kwargs)
        self.max_value = _number("ReLU", "max_value", max_value, allow_none=True)
        self.negative_slope = _number("ReLU", "negative_slope", negative_slope)
        self.threshold = _number("ReLU", "threshold", threshold, minimum=None)

    def call(self, inputs: Tensor) -> Tensor:
        if self.negative_slope == 0 and self.threshold == 0:
            if self.max_value is None:
                return ops.relu(inputs)
            if self.max_value == 6.0:
                return ops.relu6(inputs)
        return activations.relu(inputs, self.negative_slope, self.max_value, self.threshold)

    def epilogue(self) -> tuple | None:
        """``("activation", "relu")`` or ``("activation", "relu6")`` for the plain unit and
        MobileNet's ``ReLU(6.0)`` (the op before may clip its output in place), else None.

        >>> ReLU(6.0).epilogue(), ReLU(negative_slope=0.1).epilogue()
        (('activation', 'relu6'), None)
        """
        if self.negative_slope != 0 or self.threshold != 0 or type(self).call is not ReLU.call:
            return None
        if self.max_value is None:
            return ("activation", "relu")
        return ("activation", "relu6") if self.max_value == 6.0 else None

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "max_value": self.max_value,
            "negative_slope": self.negative_slope,
            "threshold": self.threshold,
        }


class LeakyReLU(_Elementwise):
    """``x`` for ``x > 0``, ``negative_slope * x`` otherwise.

    Args:
        negative_slope: the leak (Keras 3's layer default is 0.3).
        alpha: the Keras 2 name of ``negative_slope``, still accepted.

    >>> LeakyReLU()(np.array([-1.0, 2.0], dtype="float32")).data
    array([-0.3,  2. ], dtype=float32)
    """

    supports_masking = True  # the mask passes through (Keras)

    def __init__(self, negative_slope: float = 0.3, alpha: float | None = None, **kwargs):
        super().__init__(**kwargs)
        if alpha is not None:
            negative_slope = alpha
        self.negative_slope = _number("LeakyReLU", "negative_slope", negative_slope)

    def call(self, inputs: Tensor) -> Tensor:
        return ops.leaky_relu(inputs, self.negative_slope)

    def get_config(self) -> dict:
        return {**super().get_config(), "negative_slope": self.negative_slope}


class ELU(_Elementwise):
    """Exponential linear unit: ``x`` for ``x > 0``, ``alpha * (exp(x) - 1)`` otherwise.

    Args:
        alpha: the negative saturation value's magnitude.

    >>> ELU()(np.array([0.0, 2.0], dtype="float32")).data
    array([0., 2.], dtype=float32)
    """

    supports_masking = True  # the mask passes through (Keras)

    def __init__(self, alpha: float = 1.0, **kwargs):
        super().__init__(**kwargs)
        self.alpha = _number("ELU", "alpha", alpha, minimum=None)

    def call(self, inputs: Tensor) -> Tensor:
        return ops.elu(inputs, self.alpha)

    def get_config(self) -> dict:
        return {**super().get_config(), "alpha": self.alpha}


class Softmax(_Elementwise):
    """Softmax along ``axis``; an optional boolean ``mask`` (True = keep) zeroes the rest.

    Args:
        axis: an int, the axis the outputs sum to one over.

    >>> Softmax()(np.zeros((1, 4), dtype="float32")).data
    array([[0.25, 0.25, 0.25, 0.25]], dtype=float32)
    """

    supports_masking = True  # the mask passes through (Keras)

    def __init__(self, axis: int = -1, **kwargs):
        super().__init__(**kwargs)
        if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)):
            raise TypeError(f"Softmax: `axis` must be an int. Received: axis={axis!r}")
        self.axis = int(axis)

    def call(self, inputs: Tensor, mask=None) -> Tensor:
        if not -inputs.ndim <= self.axis < inputs.ndim:
            raise ValueError(
                f"Softmax '{self.name}': `axis` {self.axis} is out of range for an input of "
                f"shape {shape_str(inputs.shape)}."
            )
        if mask is not None:
            # As Keras: masked positions get a large negative logit, so their weight is ~0.
            mask = np.asarray(mask.data if isinstance(mask, Tensor) else mask, dtype=bool)
            penalty = np.where(mask, 0.0, -1e9).astype(inputs.dtype)
            inputs = ops.add(inputs, Tensor(penalty))
        return ops.softmax(inputs, axis=self.axis)

    def get_config(self) -> dict:
        return {**super().get_config(), "axis": self.axis}


class PReLU(_Elementwise):
    """Parametric ReLU: ``x`` for ``x >= 0``, ``alpha * x`` otherwise, ``alpha`` learned.

    Args:
        alpha_initializer: initializer of ``alpha`` (default zeros: starts as ReLU).
        alpha_regularizer: optional regularizer.
        alpha_constraint: optional callable applied after each update.
        shared_axes: 1-based axes along which ``alpha`` is shared, e.g. ``[1, 2]`` for
            one ``alpha`` per channel of an image.

    Weights: ``alpha`` of the input's shape without the batch axis (1 on shared axes).

    >>> layer = PReLU(alpha_initializer="ones", shared_axes=[1, 2])
    >>> layer(np.full((1, 4, 4, 3), -2.0, dtype="float32")).data[0, 0, 0]
    array([-2., -2., -2.], dtype=float32)
    >>> layer.alpha.shape
    (1, 1, 3)
    """

    supports_masking = True  # the mask passes through (Keras)

    def __init__(
        self,
        alpha_initializer="zeros",
        alpha_regularizer=None,
        alpha_constraint=None,
        shared_axes=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.alpha_initializer = initializers.get(alpha_initializer)
        self.alpha_regularizer = regularizers.get(alpha_regularizer)
        self.alpha_constraint = constraints.get(alpha_constraint)
        if shared_axes is None:
            self.shared_axes = None
        else:
            axes = [shared_axes] if isinstance(shared_axes, (int, np.integer)) else shared_axes
            self.shared_axes = [int(a) for a in axes]
        self.input_spec = InputSpec(min_ndim=2)

    def build(self, input_shape) -> None:
        shape = list(input_shape[1:])
        for axis in self.shared_axes or ():
            if not 1 <= axis < len(input_shape):
                raise ValueError(
                    f"PReLU '{self.name}': `shared_axes` entries must be 1-based axes of the "
                    f"input, 1..{len(input_shape) - 1}. Received: {self.shared_axes} for input "
                    f"shape {shape_str(input_shape)}."
                )
            shape[axis - 1] = 1
        if any(s is None for s in shape):
            raise ValueError(
                f"PReLU '{self.name}': unknown dimensions need to be in `shared_axes`. "
                f"Received input shape {shape_str(input_shape)}."
            )
        self.alpha = self.add_weight(
            tuple(shape), self.alpha_initializer, regularizer=self.alpha_regularizer,
            constraint=self.alpha_constraint, name="alpha",
        )

    def call(self, inputs: Tensor) -> Tensor:
        return ops.relu(inputs) - self.alpha * ops.relu(-inputs)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "alpha_initializer": initializers.serialize(self.alpha_initializer),
            "alpha_regularizer": serialize_regularizer(self.alpha_regularizer),
            "alpha_constraint": constraints.serialize(self.alpha_constraint),
            "shared_axes": self.shared_axes,
        }
