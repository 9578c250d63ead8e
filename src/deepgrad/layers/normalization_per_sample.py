"""Per-sample normalizations beside LayerNormalization: ``GroupNormalization``,
``UnitNormalization`` and ``RMSNormalization`` (Keras 3's layers).

Each sample is normalised on its own, so training and inference are the same. Group
normalization reuses the fused ``layer_norm`` op over the channel groups, RMS
normalization has its own fused op (``deepgrad.ops.normalization.rms_normalization``), and unit
normalization is a light composite; none holds backward code.

>>> import deepgrad as dg
>>> x = np.arange(8.0, dtype=np.float32).reshape(1, 2, 4)
>>> dg.layers.GroupNormalization(groups=2, epsilon=0.0)(x).shape
(1, 2, 4)
>>> dg.layers.UnitNormalization()(np.array([[3.0, 4.0]])).data
array([[0.6, 0.8]], dtype=float32)
"""

from __future__ import annotations

import numpy as np

from deepgrad import constraints, initializers, ops, regularizers
from deepgrad.layers.base import InputSpec, Layer, shape_str
from deepgrad.layers.core import serialize_regularizer
from deepgrad.layers.normalization import add_gamma_beta
from deepgrad.ops.normalization import rms_normalization
from deepgrad.tensor import Tensor

__all__ = ["GroupNormalization", "UnitNormalization", "RMSNormalization"]


def _axes(layer: Layer, axis) -> int | list[int]:
    """``axis`` as an int or a list of ints; a TypeError naming the layer otherwise."""
    if isinstance(axis, (list, tuple)) and axis and all(
            isinstance(a, (int, np.integer)) and not isinstance(a, bool) for a in axis):
        return [int(a) for a in axis]
    if isinstance(axis, (int, np.integer)) and not isinstance(axis, bool):
        return int(axis)
    raise TypeError(
        f"{type(layer).__name__}: `axis` must be an int or a list of ints. Received: "
        f"axis={axis!r}"
    )


def _canonical(layer: Layer, axis, input_shape) -> tuple[int, ...]:
    """The axes as sorted non-negative ints, or a ValueError naming the layer and shape."""
    rank = len(input_shape)
    axes = [axis] if isinstance(axis, int) else axis
    if any(not -rank <= a < rank for a in axes):
        raise ValueError(
            f"{type(layer).__name__} '{layer.name}': `axis` {axis} is out of bounds for an "
            f"input of shape {shape_str(input_shape)}."
        )
    return tuple(sorted({a % rank for a in axes}))


class GroupNormalization(Layer):
    """Split the channels into ``groups`` and normalise each group of each sample.

    ``(x - mean) / sqrt(var + epsilon)`` with the statistics of a group over its
    channels and every other non-batch axis, then ``gamma`` and ``beta`` per channel.
    ``groups=1`` is layer normalization over all features; ``groups=-1`` (one group
    per channel) is instance normalization.

    Args:
        groups: the number of groups (dividing the channels), or -1 for one per channel.
        axis: the channel axis.
        epsilon: small float added to the variance.
        center, scale: whether to learn ``beta`` and ``gamma``.
        beta_initializer, gamma_initializer, beta_regularizer, gamma_regularizer,
        beta_constraint, gamma_constraint: for ``beta`` and ``gamma``.

    Input shape: any, with known channels on ``axis``. Output shape: the same.
    Weights: ``gamma, beta``, each ``(channels,)``.

    >>> layer = GroupNormalization(groups=2)
    >>> layer(np.ones((3, 5, 4), np.float32)).shape, [w.shape for w in layer.weights]
    ((3, 5, 4), [(4,), (4,)])
    """

    supports_masking = True

    def __init__(self, groups: int = 32, axis: int = -1, epsilon: float = 1e-3,
                 center: bool = True, scale: bool = True, beta_initializer="zeros",
                 gamma_initializer="ones", beta_regularizer=None, gamma_regularizer=None,
                 beta_constraint=None, gamma_constraint=None, **kwargs):
        super().__init__(**kwargs)
        if isinstance(groups, bool) or not isinstance(groups, (int, np.integer)) or (
                groups <= 0 and groups != -1):
            raise ValueError(
                "GroupNormalization: `groups` must be a positive int (or -1 for instance "
                f"normalization). Received: groups={groups!r}"
            )
        if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)):
            raise TypeError(f"GroupNormalization: `axis` must be an int. Received: axis={axis!r}")
        self.groups, self.axis, self.epsilon = int(groups), int(axis), float(epsilon)
        self.center, self.scale = bool(center), bool(scale)
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.beta_constraint = constraints.get(beta_constraint)
        self.gamma_constraint = constraints.get(gamma_constraint)

    def build(self, input_shape) -> None:
        (axis,) = _canonical(self, self.axis, input_shape)
        if axis == 0:
            raise ValueError(f"GroupNormalization '{self.name}': `axis` cannot be the batch axis.")
        channels = input_shape[axis]
        who = f"GroupNormalization '{self.name}'"
        if channels is None:
            raise ValueError(
                f"{who}: axis {self.axis} of the input must be known. Received input shape "
                f"{shape_str(input_shape)}."
            )
        groups = channels if self.groups == -1 else self.groups
        if channels < groups or channels % groups:
            raise ValueError(
                f"{who}: the {channels} channels must split into `groups` equal groups. "
                f"Received: groups={self.groups}."
            )
        self.groups, self._axis = groups, axis
        add_gamma_beta(self, (channels,), self.scale, self.center)
        self.input_spec = InputSpec(ndim=len(input_shape), axes={axis: channels})

    def call(self, inputs: Tensor) -> Tensor:
        axis, shape = self._axis, inputs.shape
        grouped = shape[:axis] + (self.groups, shape[axis] // self.groups) + shape[axis + 1:]
        statistics_axes = tuple(i for i in range(1, len(grouped)) if i != axis)
        out = ops.layer_norm(ops.reshape(inputs, grouped), axis=statistics_axes,
                             epsilon=self.epsilon)
        out = ops.reshape(out, shape)
        per_channel = tuple(shape[axis] if i == axis else 1 for i in range(len(shape)))
        if self.gamma is not None:
            out = ops.multiply(out, ops.reshape(self.gamma, per_channel))
        if self.beta is not None:
            out = ops.add(out, ops.reshape(self.beta, per_channel))
        return out

    def compute_output_shape(self, input_shape):
        _canonical(self, self.axis, input_shape)
        return tuple(input_shape)

    def get_config(self) -> dict:
        return {
            **super().get_config(), "groups": self.groups, "axis": self.axis,
            "epsilon": self.epsilon, "center": self.center, "scale": self.scale,
            "beta_initializer": initializers.serialize(self.beta_initializer),
            "gamma_initializer": initializers.serialize(self.gamma_initializer),
            "beta_regularizer": serialize_regularizer(self.beta_regularizer),
            "gamma_regularizer": serialize_regularizer(self.gamma_regularizer),
            "beta_constraint": constraints.serialize(self.beta_constraint),
            "gamma_constraint": constraints.serialize(self.gamma_constraint),
        }


class UnitNormalization(Layer):
    """Scale each sample to unit L2 norm over ``axis``: ``x / max(||x||, 1e-12)``.

    Args:
        axis: an int or a list of ints, the axes the norm is taken over.

    Input shape: any. Output shape: the same. No weights.

    >>> UnitNormalization(axis=[1, 2])(np.full((1, 2, 2), 2.0)).data.ravel()
    array([0.5, 0.5, 0.5, 0.5], dtype=float32)
    """

    supports_masking = True

    def __init__(self, axis: int | list[int] = -1, **kwargs):
        super().__init__(**kwargs)
        self.axis = _axes(self, axis)

    def call(self, inputs: Tensor) -> Tensor:
        axes = _canonical(self, self.axis, inputs.shape)
        squares = ops.sum(ops.square(inputs), axis=axes, keepdims=True)
        # Keras's floor on the squared norm (epsilon 1e-12 squared): a zero vector stays
        # zero, with a finite gradient.
        return ops.divide(inputs, ops.sqrt(ops.maximum(squares, 1e-24)))

    def compute_output_shape(self, input_shape):
        _canonical(self, self.axis, input_shape)
        return tuple(input_shape)

    def get_config(self) -> dict:
        return {**super().get_config(), "axis": self.axis}


class RMSNormalization(Layer):
    """Root-mean-square normalization: ``scale * x / sqrt(mean(x ** 2) + epsilon)``.

    Args:
        axis: an int or a list of ints, the axes to normalise over.
        epsilon: small float added to the mean square.

    Input shape: any. Output shape: the same.
    Weights: ``scale``, shaped like the input on ``axis`` (initialised to one).

    >>> RMSNormalization(epsilon=0.0)(np.array([[2.0, -2.0]])).data
    array([[ 1., -1.]], dtype=float32)
    """

    supports_masking = True

    def __init__(self, axis: int | list[int] = -1, epsilon: float = 1e-6, **kwargs):
        super().__init__(**kwargs)
        self.axis = _axes(self, axis)
        self.epsilon = float(epsilon)

    def build(self, input_shape) -> None:
        self._axes = _canonical(self, self.axis, input_shape)
        shape = tuple(input_shape[a] for a in self._axes)
        if any(s is None for s in shape):
            raise ValueError(
                f"RMSNormalization '{self.name}': the normalised dimensions must be known. "
                f"Received input shape {shape_str(input_shape)}."
            )
        self.scale = self.add_weight(shape, "ones", name="scale")
        rank = len(input_shape)
        axes = [self.axis] if isinstance(self.axis, int) else self.axis
        if all(a < 0 for a in axes):
            # Counted from the end (the default, -1): any rank with those trailing sizes,
            # as Keras's layer takes (its docstring builds for 4-D and calls on 2-D).
            self._axes = tuple(a - rank for a in self._axes)
            self.input_spec = InputSpec(min_ndim=-min(self._axes),
                                        axes={a: input_shape[a] for a in self._axes})
        else:
            self.input_spec = InputSpec(ndim=rank, axes={a: input_shape[a] for a in self._axes})

    def call(self, inputs: Tensor) -> Tensor:
        return rms_normalization(inputs, self.scale, axis=self._axes, epsilon=self.epsilon)

    def compute_output_shape(self, input_shape):
        _canonical(self, self.axis, input_shape)
        return tuple(input_shape)

    def get_config(self) -> dict:
        return {**super().get_config(), "axis": self.axis, "epsilon": self.epsilon}
