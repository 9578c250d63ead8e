"""Regularization layers: SpatialDropout1D/2D/3D, GaussianNoise, GaussianDropout,
ActivityRegularization. Each acts in training only and is the identity otherwise.

Randomness comes from deepgrad's global generator (``dg.utils.set_random_seed``) or,
with ``seed=``, from the layer's own generator.

>>> import deepgrad as dg
>>> layer = dg.layers.SpatialDropout2D(0.5, seed=0)
>>> out = layer(np.ones((1, 2, 2, 8), dtype="float32"), training=True).data
>>> bool((out[0, 0, 0] == out[0, 1, 1]).all())  # whole channels kept or dropped
True
"""

from __future__ import annotations

import numpy as np

from deepgrad import ops, regularizers
from deepgrad import random as dg_random
from deepgrad.layers.base import InputSpec, Layer
from deepgrad.layers.data_format import standardize_data_format
from deepgrad.tensor import Tensor

__all__ = [
    "SpatialDropout1D",
    "SpatialDropout2D",
    "SpatialDropout3D",
    "GaussianNoise",
    "GaussianDropout",
    "ActivityRegularization",
]


def _rate(layer: str, arg: str, value, high: float = 1.0) -> float:
    ok = not isinstance(value, bool) and isinstance(value, (int, float, np.floating))
    if not ok or not 0 <= value < high:
        bound = "[0, 1)" if high == 1.0 else ">= 0"
        raise ValueError(f"{layer}: `{arg}` must be a float in {bound}. Received: {arg}={value!r}")
    return float(value)


class _Random(Layer):
    """Holds the seed and the generator it makes (the global one when seed is None)."""

    def __init__(self, seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        self.seed = seed
        self._generator = None if seed is None else dg_random.make_generator(seed)

    def _rng(self) -> np.random.Generator:
        return dg_random.generator_of(self._generator, self.seed)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self) -> dict:
        return {**super().get_config(), "seed": self.seed}


class SpatialDropout1D(_Random):
    """Drop whole channels of a sequence: one keep/drop draw per sample and channel.

    Neighbouring time steps are strongly correlated, so dropping single values hardly
    regularizes; dropping entire feature maps does. Kept channels are scaled by
    ``1 / (1 - rate)``.

    Args:
        rate: fraction of channels to drop, in ``[0, 1)``.
        seed: optional seed of the layer's own generator.

    Input shape: ``(batch, steps, channels)``. Output shape: the same.

    >>> SpatialDropout1D(0.3)(np.ones((2, 3, 4), dtype="float32")).shape
    (2, 3, 4)
    """

    rank = 3

    def __init__(self, rate: float, seed: int | None = None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.rate = _rate(type(self).__name__, "rate", rate)
        self.input_spec = InputSpec(ndim=self.rank)

    def _noise_shape(self, shape):
        return (shape[0],) + (1,) * (len(shape) - 2) + (shape[-1],)

    def call(self, inputs: Tensor, training=None) -> Tensor:
        if not training or self.rate == 0:
            return inputs
        return ops.dropout(inputs, self.rate, self._rng(), self._noise_shape(inputs.shape))

    def get_config(self) -> dict:
        return {**super().get_config(), "rate": self.rate}


class SpatialDropout2D(SpatialDropout1D):
    """Drop whole channels (feature maps) of an image: one draw per sample and channel.

    Args:
        rate: fraction of channels to drop, in ``[0, 1)``.
        data_format: ``'channels_last'`` (default) or ``'channels_first'``.
        seed: optional seed of the layer's own generator.

    Input shape: ``(batch, height, width, channels)``. Output shape: the same.

    >>> SpatialDropout2D(0.2).compute_output_shape((None, 8, 8, 16))
    (None, 8, 8, 16)
    """

    rank = 4

    def __init__(self, rate: float, data_format=None, seed: int | None = None, **kwargs):
        super().__init__(rate, seed=seed, **kwargs)
        self.data_format = standardize_data_format(type(self).__name__, data_format)

    def _noise_shape(self, shape):
        if self.data_format == "channels_first":
            return shape[:2] + (1,) * (len(shape) - 2)
        return super()._noise_shape(shape)

    def get_config(self) -> dict:
        return {**super().get_config(), "data_format": self.data_format}


class SpatialDropout3D(SpatialDropout2D):
    """Drop whole channels of a volume: one draw per sample and channel.

    Args:
        rate: fraction of channels to drop, in ``[0, 1)``.
        data_format: ``'channels_last'`` (default) or ``'channels_first'``.
        seed: optional seed of the layer's own generator.

    Input shape: ``(batch, depth, height, width, channels)``. Output shape: the same.

    >>> SpatialDropout3D(0.2).compute_output_shape((None, 4, 8, 8, 16))
    (None, 4, 8, 8, 16)
    """

    rank = 5


class GaussianNoise(_Random):
    """Add zero-mean Gaussian noise of standard deviation ``stddev`` in training.

    Args:
        stddev: the noise's standard deviation.
        seed: optional seed of the layer's own generator.

    >>> x = np.ones((2, 3), dtype="float32")
    >>> bool((GaussianNoise(0.1)(x, training=False).data == x).all())
    True
    """

    supports_masking = True  # the mask passes through (Keras)

    def __init__(self, stddev: float, seed: int | None = None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.stddev = _rate("GaussianNoise", "stddev", stddev, high=np.inf)

    def call(self, inputs: Tensor, training=None) -> Tensor:
        if not training or self.stddev == 0:
            return inputs
        noise = self._rng().normal(0.0, self.stddev, inputs.shape).astype(inputs.dtype)
        return ops.add(inputs, Tensor(noise))

    def get_config(self) -> dict:
        return {**super().get_config(), "stddev": self.stddev}


class GaussianDropout(_Random):
    """Multiply by Gaussian noise of mean 1 and stddev ``sqrt(rate / (1 - rate))`` in training.

    Args:
        rate: the equivalent dropout rate, in ``[0, 1)``.
        seed: optional seed of the layer's own generator.

    >>> GaussianDropout(0.5)(np.ones((2, 3), dtype="float32"), training=True).shape
    (2, 3)
    """

    supports_masking = True  # the mask passes through (Keras)

    def __init__(self, rate: float, seed: int | None = None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.rate = _rate("GaussianDropout", "rate", rate)

    def call(self, inputs: Tensor, training=None) -> Tensor:
        if not training or self.rate == 0:
            return inputs
        stddev = np.sqrt(self.rate / (1.0 - self.rate))
        noise = self._rng().normal(1.0, stddev, inputs.shape).astype(inputs.dtype)
        return ops.multiply(inputs, Tensor(noise))

    def get_config(self) -> dict:
        return {**super().get_config(), "rate": self.rate}


class AlphaDropout(_Random):
    """Dropout that keeps a SELU network's mean and variance, in training (Keras's).

    Dropped values are set to SELU's negative saturation ``-alpha * scale`` instead of 0,
    then everything is scaled by ``a`` and shifted by ``b`` chosen so that a zero-mean,
    unit-variance input keeps both: ``a = ((1 - rate) (1 + rate alpha'^2))^-1/2``,
    ``b = -a alpha' rate``. Unlike Keras, ``rate=1`` is refused (``a`` would be infinite).

    Args:
        rate: the fraction to drop, in ``[0, 1)``.
        noise_shape: optional shape of the keep mask, broadcast over the input (``None``
            entries take the input's size).
        seed: optional seed of the layer's own generator.

    >>> x = np.random.default_rng(0).normal(size=(20000, 4)).astype("float32")
    >>> y = AlphaDropout(0.2, seed=1)(x, training=True).data
    >>> round(float(y.mean()), 1), round(float(y.std()), 1)
    (0.0, 1.0)
    """

    supports_masking = True  # the mask passes through (Keras)
    _ALPHA_P = -1.6732632423543772848170429916717 * 1.0507009873554804934193349852946

    def __init__(self, rate: float, noise_shape=None, seed: int | None = None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.rate = _rate("AlphaDropout", "rate", rate)
        self.noise_shape = None if noise_shape is None else tuple(noise_shape)

    def call(self, inputs: Tensor, training=None) -> Tensor:
        if not training or self.rate == 0:
            return inputs
        shape = inputs.shape if self.noise_shape is None else tuple(
            n if s is None else s for s, n in zip(self.noise_shape, inputs.shape, strict=True))
        kept = (self._rng().random(shape) >= self.rate).astype(inputs.dtype)
        alpha_p = self._ALPHA_P
        a = ((1 - self.rate) * (1 + self.rate * alpha_p**2)) ** -0.5
        b = -a * alpha_p * self.rate
        scale = np.broadcast_to(a * kept, inputs.shape).astype(inputs.dtype)
        shift = np.broadcast_to(a * alpha_p * (1 - kept) + b, inputs.shape).astype(inputs.dtype)
        return ops.add(ops.multiply(inputs, Tensor(scale)), Tensor(shift))

    def get_config(self) -> dict:
        noise_shape = None if self.noise_shape is None else list(self.noise_shape)
        return {**super().get_config(), "rate": self.rate, "noise_shape": noise_shape}


class ActivityRegularization(Layer):
    """Pass the input through unchanged and add ``l1 * sum|x| + l2 * sum x^2`` to the losses.

    Args:
        l1, l2: the penalty factors.

    >>> layer = ActivityRegularization(l1=0.1)
    >>> _ = layer(np.array([[1.0, -2.0]], dtype="float32"))
    >>> float(layer.losses[0].data)
    0.3
    """

    supports_masking = True  # the mask passes through (Keras)

    def __init__(self, l1: float = 0.0, l2: float = 0.0, **kwargs):
        super().__init__(**kwargs)
        self.l1 = _rate("ActivityRegularization", "l1", l1, high=np.inf)
        self.l2 = _rate("ActivityRegularization", "l2", l2, high=np.inf)
        self.activity_regularizer = regularizers.L1L2(l1=self.l1, l2=self.l2)

    def call(self, inputs: Tensor) -> Tensor:
        return inputs

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self) -> dict:
        return {**super().get_config(), "l1": self.l1, "l2": self.l2}
