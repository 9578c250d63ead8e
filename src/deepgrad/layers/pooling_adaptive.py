"""Adaptive pooling layers: ``AdaptiveAveragePooling1D/2D/3D`` and
``AdaptiveMaxPooling1D/2D/3D`` (Keras 3's), around ``deepgrad.ops.adaptive_pool``.

The window of each output cell is computed from the input size (see the op), so any
input size pools to ``output_size``; PyTorch's ``nn.AdaptiveAvgPool2d`` and friends use
the same windows. ``data_format='channels_first'`` pools the axes after the channels
directly (no transpose).

>>> import deepgrad as dg
>>> dg.layers.AdaptiveAveragePooling2D(2)(np.ones((1, 5, 7, 3))).shape
(1, 2, 2, 3)
"""

from __future__ import annotations

import numpy as np

from deepgrad import config
from deepgrad.layers.base import Layer, shape_str
from deepgrad.ops.adaptive_pool import adaptive_average_pool, adaptive_max_pool
from deepgrad.tensor import Tensor

__all__ = [
    "AdaptiveAveragePooling1D",
    "AdaptiveAveragePooling2D",
    "AdaptiveAveragePooling3D",
    "AdaptiveMaxPooling1D",
    "AdaptiveMaxPooling2D",
    "AdaptiveMaxPooling3D",
]

_LAYOUT = {1: "steps", 2: "height, width", 3: "depth, height, width"}


class _AdaptivePooling(Layer):
    """Base of the adaptive pooling layers: ``output_size``, ``data_format`` and shapes."""

    rank = 2
    pool = staticmethod(adaptive_average_pool)

    def __init__(self, output_size, data_format: str | None = None, **kwargs):
        super().__init__(**kwargs)
        who = type(self).__name__
        if isinstance(output_size, (int, np.integer)) and not isinstance(output_size, bool):
            output_size = (int(output_size),) * self.rank
        if not isinstance(output_size, (list, tuple)) or len(output_size) != self.rank or any(
                isinstance(s, bool) or not isinstance(s, (int, np.integer)) or s < 1
                for s in output_size):
            raise ValueError(
                f"{who}: `output_size` must be a positive int or a tuple of {self.rank} "
                f"positive ints. Received: output_size={output_size!r}"
            )
        data_format = config.standardize_data_format(data_format, who)
        self.output_size = tuple(int(s) for s in output_size)
        self.data_format = data_format

    def _check(self, shape) -> None:
        if len(shape) != self.rank + 2:
            layout = (f"(batch, {_LAYOUT[self.rank]}, channels)"
                      if self.data_format == "channels_last"
                      else f"(batch, channels, {_LAYOUT[self.rank]})")
            raise ValueError(
                f"{type(self).__name__} '{self.name}': expected a {self.rank + 2}-D input "
                f"{layout}, got shape {shape_str(shape)}."
            )

    def build(self, input_shape) -> None:
        self._check(input_shape)

    def call(self, inputs: Tensor) -> Tensor:
        self._check(inputs.shape)
        return type(self).pool(inputs, self.output_size, self.data_format)

    def compute_output_shape(self, input_shape):
        self._check(input_shape)
        if self.data_format == "channels_last":
            return (input_shape[0], *self.output_size, input_shape[-1])
        return (input_shape[0], input_shape[1], *self.output_size)

    def get_config(self) -> dict:
        return {**super().get_config(), "output_size": list(self.output_size),
                "data_format": self.data_format}


class AdaptiveAveragePooling1D(_AdaptivePooling):
    """Average-pool the steps of ``(batch, steps, channels)`` to ``output_size`` steps.

    >>> AdaptiveAveragePooling1D(2)(np.arange(4.0).reshape(1, 4, 1)).data.ravel()
    array([0.5, 2.5], dtype=float32)
    """

    rank = 1


class AdaptiveAveragePooling2D(_AdaptivePooling):
    """Average-pool images ``(batch, height, width, channels)`` to ``output_size``.

    Args:
        output_size: an int or ``(height, width)``.
        data_format: ``'channels_last'`` (default) or ``'channels_first'``.

    >>> AdaptiveAveragePooling2D((1, 2))(np.ones((2, 5, 6, 3))).shape
    (2, 1, 2, 3)
    """

    rank = 2


class AdaptiveAveragePooling3D(_AdaptivePooling):
    """Average-pool volumes ``(batch, depth, height, width, channels)`` to ``output_size``.

    >>> AdaptiveAveragePooling3D(1)(np.ones((2, 3, 4, 5, 2))).shape
    (2, 1, 1, 1, 2)
    """

    rank = 3


class AdaptiveMaxPooling1D(_AdaptivePooling):
    """Max-pool the steps of ``(batch, steps, channels)`` to ``output_size`` steps.

    >>> AdaptiveMaxPooling1D(2)(np.arange(4.0).reshape(1, 4, 1)).data.ravel()
    array([1., 3.], dtype=float32)
    """

    rank = 1
    pool = staticmethod(adaptive_max_pool)


class AdaptiveMaxPooling2D(_AdaptivePooling):
    """Max-pool images ``(batch, height, width, channels)`` to ``output_size``.

    Args:
        output_size: an int or ``(height, width)``.
        data_format: ``'channels_last'`` (default) or ``'channels_first'``.

    >>> AdaptiveMaxPooling2D(3, data_format="channels_first")(np.ones((2, 4, 7, 7))).shape
    (2, 4, 3, 3)
    """

    rank = 2
    pool = staticmethod(adaptive_max_pool)


class AdaptiveMaxPooling3D(_AdaptivePooling):
    """Max-pool volumes ``(batch, depth, height, width, channels)`` to ``output_size``.

    >>> AdaptiveMaxPooling3D((1, 2, 2))(np.ones((2, 3, 4, 5, 2))).shape
    (2, 1, 2, 2, 2)
    """

    rank = 3
    pool = staticmethod(adaptive_max_pool)
