"""Normalization layers: BatchNormalization and LayerNormalization.

Both are thin wrappers around the fused ops in ``deepgrad.ops.normalization``; the layers only
hold the weights and the moving statistics.

>>> import deepgrad as dg
>>> bn = dg.layers.BatchNormalization()
>>> bn(np.ones((4, 3), dtype="float32"), training=True).shape
(4, 3)
>>> [w.name for w in bn.weights]
['gamma', 'beta', 'moving_mean', 'moving_variance']
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from deepgrad import collective, constraints, initializers, ops, regularizers
from deepgrad.layers.base import InputSpec, Layer, shape_str
from deepgrad.layers.core import serialize_regularizer
from deepgrad.ops.norm_synchronized import batch_norm_train_synchronized
from deepgrad.tensor import Tensor

__all__ = ["BatchNormalization", "LayerNormalization"]


def _float_in(layer: str, arg: str, value, low: float, high: float) -> float:
    """Validate a float argument in ``[low, high)``, naming the layer on failure."""
    ok = not isinstance(value, bool) and isinstance(value, (int, float, np.floating))
    if ok:
        value = float(value)
        ok = low <= value < high
    if not ok:
        where = f"in [{low}, {high})" if high != math.inf else f">= {low}"
        raise ValueError(f"{layer}: `{arg}` must be a float {where}. Received: {arg}={value!r}")
    return value


def add_gamma_beta(layer: Layer, shape: tuple,
                    scale: bool, center: bool) -> None:
    """Create ``layer.gamma`` (with ``scale``) and ``layer.beta`` (with ``center``), else None."""
    layer.gamma = layer.beta = None
    if scale:
        layer.gamma = layer.add_weight(
            shape, layer.gamma_initializer, regularizer=layer.gamma_regularizer,
            constraint=layer.gamma_constraint, name="gamma",
        )
    if center:
        layer.beta = layer.add_weight(
            shape, layer.beta_initializer, regularizer=layer.beta_regularizer,
            constraint=layer.beta_constraint, name="beta",
        )


class BatchNormalization(Layer):
    """Normalize each channel with the batch's statistics in training, moving ones otherwise.

    Training (``training=True`` on a trainable layer) returns
    ``gamma * (x - mean(x)) / sqrt(var(x) + epsilon) + beta`` with the statistics of the
    batch taken over every axis but ``axis``, and updates, as Keras 3 does,
    ``moving = moving * momentum + batch_stat * (1 - momentum)`` with the biased batch
    variance (PyTorch keeps the unbiased one; its ``momentum`` is ``1 - momentum``).
    Inference (``fit``'s validation, ``evaluate``, ``predict``, ``training=False``) uses
    the moving statistics and changes nothing. A layer with ``trainable=False`` always
    runs in inference mode, even with ``training=True``: the Keras rule for fine-tuning.

    Args:
        axis: the channel axis (``-1`` for channels_last).
        momentum: weight of the old value in the moving averages.
        epsilon: small float added to the variance.
        center: whether to learn an offset ``beta``.
        scale: whether to learn a scale ``gamma``.
        beta_initializer, gamma_initializer, moving_mean_initializer,
        moving_variance_initializer: initializers (objects or names).
        beta_regularizer, gamma_regularizer: optional regularizers.
        beta_constraint, gamma_constraint: optional callables applied after each update.
        synchronized: under data-parallel training (``deepgrad.distribution``), normalise
            with the statistics of the global batch, summed over the processes (the
            moving averages then agree everywhere). False (Keras's default) keeps each
            process's own statistics. On one process it changes nothing.

    Input shape: any, with the channels on ``axis``. Output shape: the same.
    Weights: ``gamma, beta`` (trainable), ``moving_mean, moving_variance``, each
    ``(channels,)``, in Keras's order.

    >>> bn = BatchNormalization(momentum=0.5, epsilon=0.0)
    >>> x = np.array([[0.0], [2.0]], dtype="float32")
    >>> bn(x, training=True).data.ravel()
    array([-1.,  1.], dtype=float32)
    >>> bn.moving_mean.numpy(), bn.moving_variance.numpy()
    (array([0.5], dtype=float32), array([1.], dtype=float32))
    """

    supports_masking = True  # the mask passes through (Keras)

    def __init__(
        self,
        axis: int = -1,
        momentum: float = 0.99,
        epsilon: float = 1e-3,
        center: bool = True,
        scale: bool = True,
        beta_initializer="zeros",
        gamma_initializer="ones",
        moving_mean_initializer="zeros",
        moving_variance_initializer="ones",
        beta_regularizer=None,
        gamma_regularizer=None,
        beta_constraint=None,
        gamma_constraint=None,
        synchronized: bool = False,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)):
            raise TypeError(
                f"BatchNormalization: `axis` must be an int. Received: axis={axis!r}"
            )
        self.axis = int(axis)
        self.momentum = _float_in("BatchNormalization", "momentum", momentum, 0.0, 1.0)
        self.epsilon = _float_in("BatchNormalization", "epsilon", epsilon, 0.0, math.inf)
        self.center = bool(center)
        self.scale = bool(scale)
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.moving_mean_initializer = initializers.get(moving_mean_initializer)
        self.moving_variance_initializer = initializers.get(moving_variance_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.beta_constraint = constraints.get(beta_constraint)
        self.gamma_constraint = constraints.get(gamma_constraint)
        self.synchronized = bool(synchronized)
        self.input_spec = InputSpec(min_ndim=1)

    def build(self, input_shape) -> None:
        rank = len(input_shape)
        if not -rank <= self.axis < rank:
            raise ValueError(
                f"BatchNormalization '{self.name}': `axis` {self.axis} is out of range for "
                f"an input of shape {shape_str(input_shape)}."
            )
        self.axis = self.axis % rank
        channels = input_shape[self.axis]
        if channels is None:
            raise ValueError(
                f"BatchNormalization '{self.name}': the channel dimension (axis {self.axis}) "
                f"must be known. Received input shape {shape_str(input_shape)}."
            )
        shape = (int(channels),)
        add_gamma_beta(self, shape, self.scale, self.center)
        self.moving_mean = self.add_weight(
            shape, self.moving_mean_initializer, trainable=False, name="moving_mean"
        )
        self.moving_variance = self.add_weight(
            shape, self.moving_variance_initializer, trainable=False, name="moving_variance"
        )
        self.input_spec = InputSpec(ndim=rank, axes={self.axis: int(channels)})

    def call(self, inputs: Tensor, training=None) -> Tensor:
        return self._normalize(inputs, training)

    def _normalize(self, inputs: Tensor, training, activation: str | None = None) -> Tensor:
        if training and self.trainable:
            group = collective.current() if self.synchronized else None
            if group is None:
                out, mean, variance = ops.batch_norm_train(
                    inputs, self.gamma, self.beta, axis=self.axis, epsilon=self.epsilon,
                    activation=activation,
                )
            else:  # the global batch's statistics, over the processes (never fused)
                out, mean, variance = batch_norm_train_synchronized(
                    inputs, self.gamma, self.beta, axis=self.axis, epsilon=self.epsilon,
                    all_reduce=group.all_reduce_sum, weight=group.gradient_weight,
                )
            keep, new = self.momentum, 1.0 - self.momentum
            self.moving_mean.assign(self.moving_mean.data * keep + mean * new)
            self.moving_variance.assign(self.moving_variance.data * keep + variance * new)
            return out
        return ops.batch_normalization(
            inputs, self.moving_mean, self.moving_variance, axis=self.axis, offset=self.beta,
            scale=self.gamma, epsilon=self.epsilon, activation=activation,
        )

    # -- fusion (deepgrad's addition; see Layer.fuse) -----------------------------------
    def epilogue(self) -> tuple | None:
        """``("batch_norm", self.folded)``: a convolution before this layer may fold it in;
        None for a subclass that changes the forward pass (its ``call`` would be skipped).

        >>> BatchNormalization().epilogue()[0]
        'batch_norm'
        """
        cls = type(self)
        if cls.call is not BatchNormalization.call or (
                cls._normalize is not BatchNormalization._normalize):
            return None
        return ("batch_norm", self.folded)

    def folded(self, training=None) -> tuple[Tensor, Tensor] | None:
        """``(scale, shift)`` per channel such that this layer's output is ``x * scale +
        shift``, when it normalizes with its moving statistics (inference, or
        ``trainable=False``) over the last axis; else None. Built from the weights with
        ops, so gradients reach ``gamma`` and ``beta`` through a convolution that folds
        them in (fine-tuning with a frozen batch norm).

        >>> bn = BatchNormalization(epsilon=0.0)
        >>> bn.build((None, 2))
        >>> [t.data.tolist() for t in bn.folded()], bn.folded(training=True)
        ([[1.0, 1.0], [0.0, 0.0]], None)
        """
        if (training and self.trainable) or not self.built or (
                self.axis != self.input_spec.ndim - 1):
            return None
        scale = 1.0 / ops.sqrt(self.moving_variance + self.epsilon)
        if self.gamma is not None:
            scale = self.gamma * scale
        shift = -(self.moving_mean * scale)
        if self.beta is not None:
            shift = self.beta + shift
        return scale, shift

    def fuse(self, following: Layer, *then: Layer):
        """Apply a following ReLU or ReLU6 in the normalization's own pass (training and
        inference: ``ops.batch_norm_train`` / ``ops.batch_normalization`` with
        ``activation=``), instead of writing the normalized output and clipping a copy.
        Declines with an activity regularizer on this layer, ``synchronized=True`` or a
        subclass that changes the forward pass.
        """
        epilogue = following.epilogue()
        if then or epilogue is None or epilogue[0] != "activation" or self.synchronized or (
                type(self).call is not BatchNormalization.call):
            return None

        def run(inputs: Tensor, training=None) -> Tensor | None:
            if (inputs.dtype != self.dtype or self.activity_regularizer is not None
                    or following.epilogue() != epilogue):
                return None
            return self._normalize(inputs, training, epilogue[1])

        return run

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "axis": self.axis,
            "momentum": self.momentum,
            "epsilon": self.epsilon,
            "center": self.center,
            "scale": self.scale,
            "beta_initializer": initializers.serialize(self.beta_initializer),
            "gamma_initializer": initializers.serialize(self.gamma_initializer),
            "moving_mean_initializer": initializers.serialize(self.moving_mean_initializer),
            "moving_variance_initializer": initializers.serialize(
                self.moving_variance_initializer
            ),
            "beta_regularizer": serialize_regularizer(self.beta_regularizer),
            "gamma_regularizer": serialize_regularizer(self.gamma_regularizer),
            "beta_constraint": constraints.serialize(self.beta_constraint),
            "gamma_constraint": constraints.serialize(self.gamma_constraint),
            "synchronized": self.synchronized,
        }


class LayerNormalization(Layer):
    """Normalize each sample over ``axis``: ``gamma * (x - mean) / sqrt(var + eps) + beta``.

    The statistics belong to each sample, so training and inference are the same.

    Args:
        axis: an int or a list of ints, the axes to normalise over (the features).
        epsilon: small float added to the (biased) variance.
        center: whether to learn an offset ``beta``.
        scale: whether to learn a scale ``gamma``.
        rms_scaling: Keras's deprecated form ``gamma * x / sqrt(var + epsilon)``: divided
            by the standard deviation but not centred (not a root mean square, whatever
            the name says), with ``gamma`` always and no ``beta``. As Keras, it warns and
            points to :class:`RMSNormalization`.
        beta_initializer, gamma_initializer: initializers (objects or names).
        beta_regularizer, gamma_regularizer: optional regularizers.
        beta_constraint, gamma_constraint: optional callables applied after each update.

    Input shape: any. Output shape: the same.
    Weights: ``gamma, beta``, shaped like the input on the normalised axes.

    >>> ln = LayerNormalization(epsilon=0.0)
    >>> ln(np.array([[1.0, 3.0]], dtype="float32")).data
    array([[-1.,  1.]], dtype=float32)
    """

    supports_masking = True  # the mask passes through (Keras)

    def __init__(
        self,
        axis: int | list[int] = -1,
        epsilon: float = 1e-3,
        center: bool = True,
        scale: bool = True,
        rms_scaling: bool = False,
        beta_initializer="zeros",
        gamma_initializer="ones",
        beta_regularizer=None,
        gamma_regularizer=None,
        beta_constraint=None,
        gamma_constraint=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        axes = [axis] if isinstance(axis, (int, np.integer)) else list(axis)
        if not axes or any(isinstance(a, bool) or not isinstance(a, (int, np.integer))
                           for a in axes):
            raise TypeError(
                "LayerNormalization: `axis` must be an int or a list of ints. "
                f"Received: axis={axis!r}"
            )
        if rms_scaling:
            warnings.warn(
                "You passed `rms_scaling=True`, which is deprecated. This argument "
                "incorrectly scales the input by the variance, not the root mean square. To "
                "correctly use RMS Normalization, please use `RMSNormalization` instead.",
                UserWarning,
                stacklevel=2,
            )
        self.rms_scaling = bool(rms_scaling)
        self.axis = int(axis) if isinstance(axis, (int, np.integer)) else [int(a) for a in axes]
        self.epsilon = _float_in("LayerNormalization", "epsilon", epsilon, 0.0, math.inf)
        self.center = bool(center)
        self.scale = bool(scale)
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.beta_constraint = constraints.get(beta_constraint)
        self.gamma_constraint = constraints.get(gamma_constraint)
        self.input_spec = InputSpec(min_ndim=1)

    def build(self, input_shape) -> None:
        rank = len(input_shape)
        axes = [self.axis] if isinstance(self.axis, int) else self.axis
        if any(not -rank <= a < rank for a in axes):
            raise ValueError(
                f"LayerNormalization '{self.name}': `axis` {self.axis} is out of range for an "
                f"input of shape {shape_str(input_shape)}."
            )
        self._axes = tuple(sorted({a % rank for a in axes}))
        shape = tuple(input_shape[a] for a in self._axes)
        if any(s is None for s in shape):
            raise ValueError(
                f"LayerNormalization '{self.name}': the normalised dimensions {self._axes} "
                f"must be known. Received input shape {shape_str(input_shape)}."
            )
        # Keras: rms_scaling has gamma always, beta never.
        add_gamma_beta(self, shape, self.scale or self.rms_scaling,
                        self.center and not self.rms_scaling)
        self.input_spec = InputSpec(ndim=rank, axes={a: input_shape[a] for a in self._axes})

    def call(self, inputs: Tensor) -> Tensor:
        return ops.layer_norm(inputs, self.gamma, self.beta, axis=self._axes, epsilon=self.epsilon,
                              rms_scaling=self.rms_scaling)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "axis": self.axis,
            "epsilon": self.epsilon,
            "center": self.center,
            "scale": self.scale,
            "rms_scaling": self.rms_scaling,
            "beta_initializer": initializers.serialize(self.beta_initializer),
            "gamma_initializer": initializers.serialize(self.gamma_initializer),
            "beta_regularizer": serialize_regularizer(self.beta_regularizer),
            "gamma_regularizer": serialize_regularizer(self.gamma_regularizer),
            "beta_constraint": constraints.serialize(self.beta_constraint),
            "gamma_constraint": constraints.serialize(self.gamma_constraint),
        }
