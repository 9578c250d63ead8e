"""Depthwise and depthwise-separable 2-D convolutions (MobileNet, Xception).

A depthwise convolution filters each input channel on its own (``depth_multiplier``
filters per channel); a separable one follows it with a 1x1 ("pointwise") convolution
that mixes the channels. Together they cost about ``1 / filters + 1 / (kh * kw)`` of a
full Conv2D's multiplications.

>>> import deepgrad as dg
>>> layer = dg.layers.SeparableConv2D(16, 3, padding="same")
>>> layer(np.zeros((1, 8, 8, 4), dtype="float32")).shape
(1, 8, 8, 16)
>>> [w.shape for w in layer.weights]  # 3*3*4 + 4*16 + 16 = 116 parameters vs 592 for Conv2D
[(3, 3, 4, 1), (1, 1, 4, 16), (16,)]
"""

from __future__ import annotations

from collections.abc import Callable

from deepgrad import constraints, initializers, ops, regularizers
from deepgrad.layers.conv import BaseConv
from deepgrad.layers.core import positive_int, serialize_regularizer
from deepgrad.tensor import Tensor

__all__ = ["DepthwiseConv2D", "SeparableConv2D", "SeparableConvolution2D"]


class DepthwiseConv2D(BaseConv):
    """Convolve each input channel with its own ``depth_multiplier`` filters.

    Args:
        kernel_size: an int or ``(kh, kw)``.
        strides, padding, data_format, dilation_rate, activation, use_bias: as Conv2D.
        depth_multiplier: filters per input channel; output channels ``C_in * depth_multiplier``.
        depthwise_initializer, bias_initializer: initializers (objects or names).
        depthwise_regularizer, bias_regularizer, activity_regularizer: optional regularizers.
        depthwise_constraint, bias_constraint: optional callables applied after each update.

    Input shape: ``(batch, height, width, channels)``.
    Output shape: ``(batch, out_height, out_width, channels * depth_multiplier)``.
    Weights: ``kernel (kh, kw, channels, depth_multiplier)`` (Keras 3's name),
    ``bias (channels * depth_multiplier,)``.

    >>> DepthwiseConv2D(3, depth_multiplier=2).compute_output_shape((None, 10, 10, 3))
    (None, 8, 8, 6)
    """

    def __init__(
        self,
        kernel_size,
        strides=(1, 1),
        padding: str = "valid",
        depth_multiplier: int = 1,
        data_format: str | None = None,
        dilation_rate=(1, 1),
        activation: str | Callable | None = None,
        use_bias: bool = True,
        depthwise_initializer="glorot_uniform",
        bias_initializer="zeros",
        depthwise_regularizer=None,
        bias_regularizer=None,
        activity_regularizer=None,
        depthwise_constraint=None,
        bias_constraint=None,
        **kwargs,
    ):
        super().__init__(
            kernel_size, strides, padding, data_format, dilation_rate, activation, use_bias,
            bias_initializer, bias_regularizer, activity_regularizer, bias_constraint, **kwargs,
        )
        self.depth_multiplier = positive_int(
            type(self).__name__, "depth_multiplier", depth_multiplier
        )
        self.depthwise_initializer = initializers.get(depthwise_initializer)
        self.depthwise_regularizer = regularizers.get(depthwise_regularizer)
        self.depthwise_constraint = constraints.get(depthwise_constraint)

    def _out_channels(self, in_channels):
        return None if in_channels is None else in_channels * self.depth_multiplier

    def _depthwise_weight(self, channels: int, name: str):
        return self.add_weight(
            self.kernel_size + (channels, self.depth_multiplier), self.depthwise_initializer,
            regularizer=self.depthwise_regularizer, constraint=self.depthwise_constraint,
            name=name,
        )

    def _make_weights(self, channels: int) -> None:
        self.kernel = self._depthwise_weight(channels, "kernel")
        self._bias(channels * self.depth_multiplier)

    def _convolve(self, inputs: Tensor) -> Tensor:
        return ops.depthwise_conv2d(
            inputs, self.kernel, self.bias, strides=self.strides, padding=self.padding,
            dilation_rate=self.dilation_rate, activation=self._fused,
        )

    def _convolve_scaled(self, inputs: Tensor, scale, shift, activation, padding=None) -> Tensor:
        """As ``_convolve``, output channels times ``scale`` plus ``shift`` (None: neither),
        with ``activation`` and, when given, ``padding`` ``((top, bottom), (left, right))``
        instead of the layer's own (:mod:`deepgrad.layers.conv_fusion`)."""
        kernel, bias = self.kernel, self.bias
        if scale is not None:
            kernel = kernel * ops.reshape(scale, kernel.shape[2:])
            bias = shift if bias is None else bias * scale + shift
        return ops.depthwise_conv2d(
            inputs, kernel, bias, strides=self.strides, padding=padding or self.padding,
            dilation_rate=self.dilation_rate, activation=activation,
        )

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "depth_multiplier": self.depth_multiplier,
            "depthwise_initializer": initializers.serialize(self.depthwise_initializer),
            "depthwise_regularizer": serialize_regularizer(self.depthwise_regularizer),
            "depthwise_constraint": constraints.serialize(self.depthwise_constraint),
        }


class SeparableConv2D(DepthwiseConv2D):
    """A depthwise convolution followed by a 1x1 convolution to ``filters`` channels.

    Args:
        filters: number of output channels.
        kernel_size, strides, padding, data_format, dilation_rate, depth_multiplier,
        activation, use_bias: as DepthwiseConv2D.
        depthwise_initializer, pointwise_initializer, bias_initializer: initializers.
        depthwise_regularizer, pointwise_regularizer, bias_regularizer,
        activity_regularizer: optional regularizers.
        depthwise_constraint, pointwise_constraint, bias_constraint: optional callables.

    Input shape: ``(batch, height, width, channels)``.
    Output shape: ``(batch, out_height, out_width, filters)``.
    Weights: ``depthwise_kernel (kh, kw, channels, depth_multiplier)``,
    ``pointwise_kernel (1, 1, channels * depth_multiplier, filters)``, ``bias (filters,)``.

    >>> SeparableConv2D(8, 3, strides=2).compute_output_shape((None, 9, 9, 3))
    (None, 4, 4, 8)
    """

    def __init__(
        self,
        filters: int,
        kernel_size,
        strides=(1, 1),
        padding: str = "valid",
        data_format: str | None = None,
        dilation_rate=(1, 1),
        depth_multiplier: int = 1,
        activation: str | Callable | None = None,
        use_bias: bool = True,
        depthwise_initializer="glorot_uniform",
        pointwise_initializer="glorot_uniform",
        pointwise_regularizer=None,
        pointwise_constraint=None,
        **kwargs,
    ):
        super().__init__(
            kernel_size, strides, padding, depth_multiplier, data_format, dilation_rate,
            activation, use_bias, depthwise_initializer, **kwargs,
        )
        self.filters = positive_int(type(self).__name__, "filters", filters)
        self.pointwise_initializer = initializers.get(pointwise_initializer)
        self.pointwise_regularizer = regularizers.get(pointwise_regularizer)
        self.pointwise_constraint = constraints.get(pointwise_constraint)

    def _out_channels(self, in_channels):
        return self.filters

    def _make_weights(self, channels: int) -> None:
        self.depthwise_kernel = self._depthwise_weight(channels, "depthwise_kernel")
        self.pointwise_kernel = self.add_weight(
            (1, 1, channels * self.depth_multiplier, self.filters), self.pointwise_initializer,
            regularizer=self.pointwise_regularizer, constraint=self.pointwise_constraint,
            name="pointwise_kernel",
        )
        self._bias(self.filters)

    def _convolve(self, inputs: Tensor) -> Tensor:
        return self._convolve_scaled(inputs, None, None, self._fused)

    def _convolve_scaled(self, inputs: Tensor, scale, shift, activation, padding=None) -> Tensor:
        """As ``_convolve``, output channels times ``scale`` plus ``shift`` (None: neither,
        folded into the pointwise kernel), with ``activation`` and, when given, ``padding``
        instead of the layer's own."""
        pointwise, bias = self.pointwise_kernel, self.bias
        if scale is not None:
            pointwise = pointwise * scale
            bias = shift if bias is None else bias * scale + shift
        return ops.separable_conv2d(
            inputs, self.depthwise_kernel, pointwise, bias, strides=self.strides,
            padding=padding or self.padding, dilation_rate=self.dilation_rate,
            activation=activation,
        )

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "filters": self.filters,
            "pointwise_initializer": initializers.serialize(self.pointwise_initializer),
            "pointwise_regularizer": serialize_regularizer(self.pointwise_regularizer),
            "pointwise_constraint": constraints.serialize(self.pointwise_constraint),
        }


SeparableConvolution2D = SeparableConv2D
