"""3-D convolution layers over volumes ``(batch, depth, height, width, channels)``:
``Conv3D`` and ``Conv3DTranspose`` (Keras 3's), on the fused ops of
``deepgrad.ops.conv3d``.

They are the 2-D layers with ``rank = 3``: the same arguments with three numbers where
the 2-D layers take two, Keras's kernel shapes, and the output-size rule of each axis.
Parameters: ``(kd * kh * kw * C_in / groups + 1) * filters``.

>>> import deepgrad as dg
>>> conv = dg.layers.Conv3D(8, 3, padding="same", activation="relu")
>>> conv(np.zeros((2, 6, 8, 8, 1), np.float32)).shape
(2, 6, 8, 8, 8)
>>> conv.count_params()  # (3 * 3 * 3 * 1 + 1) * 8
224
"""

from __future__ import annotations

from deepgrad.layers.conv import Conv2D, Conv2DTranspose
from deepgrad.layers.conv_1d import check_output_padding
from deepgrad.ops.conv3d import conv3d, conv3d_transpose
from deepgrad.tensor import Tensor

__all__ = ["Conv3D", "Conv3DTranspose", "Convolution3D", "Convolution3DTranspose"]


class Conv3D(Conv2D):
    """3-D convolution: ``activation(conv3d(inputs, kernel) + bias)``.

    Args:
        filters, activation, use_bias, groups, initializers, regularizers,
        constraints: as :class:`Conv2D`.
        kernel_size, strides, dilation_rate: an int or three ints (depth, height, width).
        padding: ``'valid'`` or ``'same'``.
        data_format: ``'channels_last'`` (default) or ``'channels_first'`` (transposed at
            the layer's edge, see :class:`Conv2D`).

    Input shape: ``(batch, depth, height, width, channels)``.
    Output shape: ``(batch, new_depth, new_height, new_width, filters)``.
    Weights: ``kernel (kd, kh, kw, channels // groups, filters)``, ``bias (filters,)``.

    >>> Conv3D(4, (1, 3, 3), strides=(1, 2, 2)).compute_output_shape((None, 5, 9, 9, 2))
    (None, 5, 4, 4, 4)
    """

    rank = 3

    def __init__(self, filters: int, kernel_size, strides=(1, 1, 1), padding="valid",
                 data_format=None, dilation_rate=(1, 1, 1), groups: int = 1, activation=None,
                 use_bias: bool = True, **kwargs):
        super().__init__(filters, kernel_size, strides, padding, data_format, dilation_rate,
                         groups, activation, use_bias, **kwargs)

    def _convolve(self, inputs: Tensor) -> Tensor:
        if self.groups > 1:
            return self._grouped(inputs)
        return conv3d(inputs, self.kernel, self.bias, strides=self.strides,
                      padding=self.padding, dilation_rate=self.dilation_rate,
                      activation=self._fused)


class Conv3DTranspose(Conv2DTranspose):
    """Transposed 3-D convolution: upsamples volumes (``strides=2``, ``'same'``: twice
    each side).

    Args:
        filters, kernel_size, strides, padding, dilation_rate, activation, use_bias,
        initializers, regularizers, constraints: as :class:`Conv2DTranspose`, with three
        numbers.
        output_padding: optional int or three ints, each smaller than its stride.

    Input shape: ``(batch, depth, height, width, channels)``.
    Output shape: ``(batch, new_depth, new_height, new_width, filters)``.
    Weights: ``kernel (kd, kh, kw, filters, channels)`` (Keras's order), ``bias``.

    >>> Conv3DTranspose(2, 3, strides=2, padding="same").compute_output_shape((None, 4, 5, 6, 3))
    (None, 8, 10, 12, 2)
    """

    rank = 3

    def __init__(self, filters: int, kernel_size, strides=(1, 1, 1), padding="valid",
                 output_padding=None, data_format=None, dilation_rate=(1, 1, 1),
                 activation=None, use_bias: bool = True, **kwargs):
        # The 2-D layer checks a pair; the three ints are checked here.
        super().__init__(filters, kernel_size, strides, padding, None, data_format,
                         dilation_rate, activation, use_bias, **kwargs)
        self.output_padding = check_output_padding(self, output_padding)

    def _convolve(self, inputs: Tensor) -> Tensor:
        return conv3d_transpose(
            inputs, self.kernel, self.bias, strides=self.strides, padding=self.padding,
            output_padding=self.output_padding, dilation_rate=self.dilation_rate,
            activation=self._fused,
        )


Convolution3D = Conv3D
Convolution3DTranspose = Conv3DTranspose
