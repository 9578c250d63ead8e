"""1-D forms of the transposed, depthwise and separable convolutions: ``Conv1DTranspose``,
``DepthwiseConv1D`` and ``SeparableConv1D`` (Keras 3's), over sequences
``(batch, steps, channels)``.

Each is its 2-D layer with ``rank = 1``: the same arguments (as ints), Keras's 1-D
kernel shapes, and the ops of ``deepgrad.ops.conv_1d``, which run the 2-D kernels on
sequences of height 1.

>>> import deepgrad as dg
>>> x = np.zeros((2, 10, 3), np.float32)
>>> dg.layers.Conv1DTranspose(4, 3, strides=2, padding="same")(x).shape
(2, 20, 4)
>>> dg.layers.DepthwiseConv1D(3, padding="same")(x).shape
(2, 10, 3)
"""

from __future__ import annotations

from deepgrad.layers.conv import Conv2DTranspose, int_tuple
from deepgrad.layers.depthwise import DepthwiseConv2D, SeparableConv2D
from deepgrad.ops.conv_1d import conv1d_transpose, depthwise_conv1d, separable_conv1d
from deepgrad.tensor import Tensor

__all__ = [
    "Conv1DTranspose",
    "Convolution1DTranspose",
    "DepthwiseConv1D",
    "SeparableConv1D",
    "SeparableConvolution1D",
]


def check_output_padding(layer, value) -> tuple[int, ...] | None:
    """``output_padding`` as ``rank`` ints, each smaller than its stride (or None)."""
    if value is None:
        return None
    cls = type(layer).__name__
    extra = int_tuple(cls, "output_padding", value, layer.rank, minimum=0)
    if any(p >= s for p, s in zip(extra, layer.strides)):
        raise ValueError(
            f"{cls}: each `output_padding` must be smaller than the stride. Received: "
            f"output_padding={extra}, strides={layer.strides}"
        )
    return extra


class Conv1DTranspose(Conv2DTranspose):
    """Transposed 1-D convolution: upsamples sequences (``strides=2``, ``'same'``:
    twice as long).

    Args:
        filters, kernel_size, strides, padding, dilation_rate, activation, use_bias,
        initializers, regularizers, constraints: as :class:`Conv2DTranspose`, ints.
        output_padding: optional int, extra steps added at the end, smaller than the
            stride.

    Input shape: ``(batch, steps, channels)``. Output shape: ``(batch, new_steps, filters)``.
    Weights: ``kernel (k, filters, channels)`` (Keras's order), ``bias (filters,)``.

    >>> Conv1DTranspose(2, 3).compute_output_shape((None, 5, 4))
    (None, 7, 2)
    """

    rank = 1

    def __init__(self, filters: int, kernel_size, strides=1, padding="valid",
                 output_padding=None, data_format=None, dilation_rate=1, activation=None,
                 use_bias: bool = True, **kwargs):
        # The 2-D layer checks a pair; the one int is checked here.
        super().__init__(filters, kernel_size, strides, padding, None, data_format,
                         dilation_rate, activation, use_bias, **kwargs)
        self.output_padding = check_output_padding(self, output_padding)

    def _convolve(self, inputs: Tensor) -> Tensor:
        return conv1d_transpose(
            inputs, self.kernel, self.bias, strides=self.strides[0], padding=self.padding,
            output_padding=self.output_padding, dilation_rate=self.dilation_rate[0],
            activation=self._fused,
        )


class DepthwiseConv1D(DepthwiseConv2D):
    """Convolve each channel of a sequence with its own ``depth_multiplier`` filters.

    Args:
        kernel_size, strides, padding, depth_multiplier, dilation_rate, activation,
        use_bias, initializers, regularizers, constraints: as :class:`DepthwiseConv2D`.

    Input shape: ``(batch, steps, channels)``.
    Output shape: ``(batch, new_steps, channels * depth_multiplier)``.
    Weights: ``kernel (k, channels, depth_multiplier)``, ``bias``.

    >>> DepthwiseConv1D(3, depth_multiplier=2).compute_output_shape((None, 10, 3))
    (None, 8, 6)
    """

    rank = 1

    def __init__(self, kernel_size, strides=1, padding="valid", depth_multiplier: int = 1,
                 data_format=None, dilation_rate=1, activation=None, use_bias: bool = True,
                 **kwargs):
        super().__init__(kernel_size, strides, padding, depth_multiplier, data_format,
                         dilation_rate, activation, use_bias, **kwargs)

    def _convolve(self, inputs: Tensor) -> Tensor:
        return depthwise_conv1d(
            inputs, self.kernel, self.bias, strides=self.strides[0], padding=self.padding,
            dilation_rate=self.dilation_rate[0], activation=self._fused,
        )


class SeparableConv1D(SeparableConv2D):
    """A depthwise 1-D convolution then a pointwise one to ``filters`` channels.

    Args:
        filters, kernel_size, strides, padding, dilation_rate, depth_multiplier,
        activation, use_bias, initializers, regularizers, constraints: as
        :class:`SeparableConv2D`, ints.

    Input shape: ``(batch, steps, channels)``. Output shape: ``(batch, new_steps, filters)``.
    Weights: ``depthwise_kernel (k, channels, depth_multiplier)``,
    ``pointwise_kernel (1, channels * depth_multiplier, filters)``, ``bias (filters,)``.

    >>> layer = SeparableConv1D(4, 3)
    >>> layer(np.zeros((1, 6, 2), np.float32)).shape, [w.shape for w in layer.weights]
    ((1, 4, 4), [(3, 2, 1), (1, 2, 4), (4,)])
    """

    rank = 1

    def __init__(self, filters: int, kernel_size, strides=1, padding="valid",
                 data_format=None, dilation_rate=1, depth_multiplier: int = 1,
                 activation=None, use_bias: bool = True, **kwargs):
        super().__init__(filters, kernel_size, strides, padding, data_format, dilation_rate,
                         depth_multiplier, activation, use_bias, **kwargs)

    def _make_weights(self, channels: int) -> None:
        self.depthwise_kernel = self._depthwise_weight(channels, "depthwise_kernel")
        self.pointwise_kernel = self.add_weight(
            (1, channels * self.depth_multiplier, self.filters), self.pointwise_initializer,
            regularizer=self.pointwise_regularizer, constraint=self.pointwise_constraint,
            name="pointwise_kernel",
        )
        self._bias(self.filters)

    def _convolve(self, inputs: Tensor) -> Tensor:
        return separable_conv1d(
            inputs, self.depthwise_kernel, self.pointwise_kernel, self.bias,
            strides=self.strides[0], padding=self.padding,
            dilation_rate=self.dilation_rate[0], activation=self._fused,
        )


Convolution1DTranspose = Conv1DTranspose
SeparableConvolution1D = SeparableConv1D
