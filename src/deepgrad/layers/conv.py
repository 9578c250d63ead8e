"""Convolution layers: Conv1D, Conv2D and Conv2DTranspose.

Each layer holds a Keras-shaped kernel and bias and calls one fused op from
``deepgrad.ops`` (im2col and a matrix product, with the bias and a ReLU applied in the
same pass). Other activations are applied after the op.

Output size per spatial axis, for input ``W``, kernel ``F``, padding ``P`` per side and
stride ``S``: ``W_out = (W - F + 2P) / S + 1`` (rounded down); ``'same'`` keeps
``ceil(W / S)``. Parameters: ``(F * F * C_in + 1) * C_out`` for a 2-D kernel with bias.

>>> import deepgrad as dg
>>> conv = dg.layers.Conv2D(32, 5, padding="same", activation="relu")
>>> conv.compute_output_shape((None, 28, 28, 1))
(None, 28, 28, 32)
>>> conv(np.zeros((1, 28, 28, 1), dtype="float32")).shape
(1, 28, 28, 32)
>>> conv.count_params()  # (5 * 5 * 1 + 1) * 32
832
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import numpy as np

from deepgrad import activations, constraints, initializers, ops, regularizers
from deepgrad.kernels.geometry import conv_output_length, deconv_output_length
from deepgrad.layers import conv_fusion
from deepgrad.layers.base import (
    InputSpec,
    Layer,
    check_spatial_rank,
    shape_str,
)
from deepgrad.layers.core import ActivationAttribute, positive_int, serialize_regularizer
from deepgrad.layers.data_format import (
    last_shape,
    shape_in,
    standardize_data_format,
    to_channels_first,
    to_channels_last,
)
from deepgrad.ops.grouped_conv import grouped_conv
from deepgrad.tensor import Tensor

__all__ = [
    "Conv1D",
    "Conv2D",
    "Conv2DTranspose",
    "Convolution1D",
    "Convolution2D",
    "Convolution2DTranspose",
]


def int_tuple(layer: str, arg: str, value, rank: int, minimum: int = 1) -> tuple[int, ...]:
    """An int or ``rank`` ints, each ``>= minimum``, as a tuple; the error names the layer."""
    items = (value,) * rank if isinstance(value, (int, np.integer)) else value
    try:
        items = tuple(items)
    except TypeError:
        items = ()
    if len(items) != rank or not all(
        isinstance(v, (int, np.integer)) and not isinstance(v, bool) and v >= minimum
        for v in items
    ):
        what = "positive" if minimum == 1 else f">= {minimum}"
        raise ValueError(
            f"{layer}: `{arg}` must be a {what} int or a tuple of {rank} {what} ints. "
            f"Received: {arg}={value!r}"
        )
    return tuple(int(v) for v in items)


def padding_name(layer: str, value, allowed: tuple[str, ...]) -> str:
    name = value.lower() if isinstance(value, str) else value
    if name not in allowed:
        options = ", ".join(repr(a) for a in allowed)
        raise ValueError(
            f"{layer}: `padding` must be one of {options}. Received: padding={value!r}"
        )
    return name


class BaseConv(Layer):
    """What every convolution layer shares: argument checks, input checks, activation.

    Subclasses set ``rank`` and implement ``_make_weights``, ``_convolve`` and
    ``_output_length``, all in channels_last terms: with ``data_format='channels_first'``
    the input is transposed to channels last before ``_convolve`` and the output back
    after it (two copies of the data, and two in the backward pass), and shapes are
    converted at the same edge.
    """

    rank = 2
    paddings: tuple[str, ...] = ("valid", "same")
    activation = ActivationAttribute()  # may be set later, as in Keras

    def __init__(
        self,
        kernel_size,
        strides=1,
        padding: str = "valid",
        data_format: str | None = None,
        dilation_rate=1,
        activation: str | Callable | None = None,
        use_bias: bool = True,
        bias_initializer="zeros",
        bias_regularizer=None,
        activity_regularizer=None,
        bias_constraint=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        cls = type(self).__name__
        self.kernel_size = int_tuple(cls, "kernel_size", kernel_size, self.rank)
        self.strides = int_tuple(cls, "strides", strides, self.rank)
        self.padding = padding_name(cls, padding, self.paddings)
        self.data_format = standardize_data_format(cls, data_format)
        self.dilation_rate = int_tuple(cls, "dilation_rate", dilation_rate, self.rank)
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise ValueError(
                f"{cls}: strides > 1 cannot be combined with dilation_rate > 1 (as in Keras). "
                f"Received: strides={self.strides}, dilation_rate={self.dilation_rate}"
            )
        self.activation = activation
        self.use_bias = bool(use_bias)
        self.bias_initializer = initializers.get(bias_initializer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.activity_regularizer = regularizers.get(activity_regularizer)
        self.bias_constraint = constraints.get(bias_constraint)
        self.input_spec = InputSpec(ndim=self.rank + 2)

    # -- shapes and checks ------------------------------------------------------------
    def _check_shape(self, shape) -> None:
        check_spatial_rank(self, shape, self.rank)
        channels = self.input_spec.axes.get(self._channel_axis)
        given = shape[self._channel_axis]
        if channels is not None and given is not None and given != channels:
            where = "first" if self.data_format == "channels_first" else "last"
            raise ValueError(
                f"{type(self).__name__} '{self.name}': the layer was built for inputs with "
                f"{channels} channels ({where} dimension after the batch), got shape "
                f"{shape_str(shape)}."
            )
        self._check_fits(last_shape(shape, self.data_format))

    @property
    def _channel_axis(self) -> int:
        return 1 if self.data_format == "channels_first" else -1

    def _check_fits(self, shape) -> None:
        """The kernel must fit in the (padded) input, or the output would be empty."""
        for i, (size, k, d) in enumerate(zip(shape[1:-1], self.kernel_size, self.dilation_rate)):
            out = self._output_length(size, i)
            if out is not None and out <= 0:
                span = (k - 1) * d + 1
                raise ValueError(
                    f"{type(self).__name__} '{self.name}': the kernel {self.kernel_size} "
                    f"(spanning {span} with dilation {d}) is larger than the input's spatial "
                    f"size {shape_str(shape[1:-1])} with padding='{self.padding}' "
                    f"(input shape {shape_str(shape)}). To fix, use padding='same', a smaller "
                    "kernel_size, or a larger input."
                )

    def _output_length(self, size, i):
        return conv_output_length(
            size, self.kernel_size[i], self.padding, self.strides[i], self.dilation_rate[i]
        )

    def compute_output_shape(self, input_shape):
        shape = last_shape(input_shape, self.data_format)
        spatial = tuple(self._output_length(s, i) for i, s in enumerate(shape[1:-1]))
        return shape_in((shape[0],) + spatial + (self._out_channels(shape[-1]),),
                        self.data_format)

    def build(self, input_shape) -> None:
        channels = input_shape[self._channel_axis]
        if channels is None:
            raise ValueError(
                f"{type(self).__name__} '{self.name}': the channel dimension must be known. "
                f"Received input shape {shape_str(input_shape)}."
            )
        self._make_weights(int(channels))
        self.input_spec = InputSpec(ndim=self.rank + 2, axes={self._channel_axis: int(channels)})
        self._check_fits(last_shape(input_shape, self.data_format))

    def _bias(self, units: int) -> None:
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(
                (units,), self.bias_initializer, regularizer=self.bias_regularizer,
                constraint=self.bias_constraint, name="bias",
            )

    @property
    def _custom_convolution_op(self) -> bool:
        """Whether this class overrides Keras's ``convolution_op`` hook (see
        :meth:`Conv2D.convolution_op`): its call then runs it, and nothing fuses."""
        return _runs_convolution_op(type(self))

    def call(self, inputs: Tensor) -> Tensor:
        if self._custom_convolution_op:  # Keras's call: the hook, the bias, the activation
            out = self.convolution_op(inputs, self.kernel)
            if self.bias is not None:
                shape = [1] * out.ndim
                shape[-1 if self.data_format == "channels_last" else 1] = self.filters
                out = ops.add(out, ops.reshape(self.bias, shape))
            return self.activation(out)
        first = self.data_format == "channels_first"
        out = self._convolve(to_channels_last(inputs) if first else inputs)
        if self._fused is None and self.activation is not activations.linear:
            out = self.activation(out)
        return to_channels_first(out) if first else out

    def fuse(self, following: Layer, *then: Layer):
        """Fold a following batch normalization (in inference) and a ReLU or ReLU6 into
        this convolution's op: :func:`deepgrad.layers.conv_fusion.fuse`."""
        return conv_fusion.fuse(self, following, *then)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "kernel_size": self.kernel_size,
            "strides": self.strides,
            "padding": self.padding,
            "data_format": self.data_format,
            "dilation_rate": self.dilation_rate,
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "bias_regularizer": serialize_regularizer(self.bias_regularizer),
            "activity_regularizer": serialize_regularizer(self.activity_regularizer),
            "bias_constraint": constraints.serialize(self.bias_constraint),
        }


class Conv2D(BaseConv):
    """2-D convolution over images: ``activation(conv(inputs, kernel) + bias)``.

    Args:
        filters: number of output channels.
        kernel_size: an int or ``(kh, kw)``.
        strides: an int or ``(sh, sw)``.
        padding: ``'valid'`` (no padding) or ``'same'`` (output ``ceil(size / stride)``).
        data_format: ``'channels_last'`` (NHWC, default) or ``'channels_first'`` (NCHW:
            transposed to NHWC and back around the op, two copies of the data).
        dilation_rate: an int or a pair; spacing between kernel taps.
        groups: split the input channels and the filters into this many groups, each
            group convolved with its own filters (both must divide by it; see
            :mod:`deepgrad.ops.grouped_conv`). ``groups=channels`` convolves each channel
            alone, as :class:`DepthwiseConv2D` does but with Keras's Conv2D kernel shape.
        activation: activation name or function (``'relu'`` is fused into the op).
        use_bias: whether to add a bias per filter.
        kernel_initializer, bias_initializer: initializers (objects or names).
        kernel_regularizer, bias_regularizer, activity_regularizer: optional regularizers.
        kernel_constraint, bias_constraint: optional callables applied after each update.

    Input shape: ``(batch, height, width, channels)``.
    Output shape: ``(batch, out_height, out_width, filters)``.
    Weights: ``kernel (kh, kw, channels // groups, filters)``, ``bias (filters,)`` as in
    Keras.

    >>> Conv2D(8, 3)(np.zeros((2, 10, 10, 3), dtype="float32")).shape
    (2, 8, 8, 8)
    >>> Conv2D(6, 3, groups=3)(np.zeros((2, 10, 10, 3), dtype="float32")).shape
    (2, 8, 8, 6)
    """

    rank = 2

    def __init__(
        self,
        filters: int,
        kernel_size,
        strides=(1, 1),
        padding: str = "valid",
        data_format: str | None = None,
        dilation_rate=(1, 1),
        groups: int = 1,
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
        super().__init__(
            kernel_size, strides, padding, data_format, dilation_rate, activation, use_bias,
            bias_initializer, bias_regularizer, activity_regularizer, bias_constraint, **kwargs,
        )
        cls = type(self).__name__
        self.filters = positive_int(cls, "filters", filters)
        self.groups = positive_int(cls, "groups", groups)
        if self.filters % self.groups:
            raise ValueError(
                f"{cls}: the number of filters must be evenly divisible by the number of "
                f"groups. Received: groups={groups}, filters={filters}"
            )
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)

    def _out_channels(self, in_channels):
        return self.filters

    def _make_weights(self, channels: int) -> None:
        if channels % self.groups:
            raise ValueError(
                f"{type(self).__name__} '{self.name}': the number of input channels must be "
                f"evenly divisible by the number of groups. Received groups={self.groups}, "
                f"but the input has {channels} channels."
            )
        self.kernel = self.add_weight(
            self.kernel_size + (channels // self.groups, self.filters),
            self.kernel_initializer, regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint, name="kernel",
        )
        self._bias(self.filters)

    def _grouped(self, inputs: Tensor) -> Tensor:
        one_d = self.rank == 1  # conv1d takes ints
        return grouped_conv(
            inputs, self.kernel, self.bias, groups=self.groups,
            strides=self.strides[0] if one_d else self.strides, padding=self.padding,
            dilation_rate=self.dilation_rate[0] if one_d else self.dilation_rate,
            activation=self._fused,
        )

    def _convolve(self, inputs: Tensor) -> Tensor:
        if self.groups > 1:
            return self._grouped(inputs)
        return ops.conv2d(
            inputs, self.kernel, self.bias, strides=self.strides, padding=self.padding,
            dilation_rate=self.dilation_rate, activation=self._fused,
        )

    def convolution_op(self, inputs, kernel):
        """The convolution alone, ``ops.conv(inputs, kernel)`` with this layer's strides,
        padding, dilation and data format: Keras's hook. A subclass that overrides it
        (keras.io's weight-standardized convolution) has its call run it, then add the
        bias and apply the activation, as Keras's does; deepgrad's fusions then leave the
        layer alone. As in Keras, ``Conv1D`` and the transposed convolutions never call it.

        >>> layer = Conv2D(1, 2, use_bias=False, kernel_initializer="ones")
        >>> x = np.ones((1, 3, 3, 1), np.float32); _ = layer(x)
        >>> layer.convolution_op(x, layer.kernel * 2).data[0, :, :, 0]
        array([[8., 8.],
               [8., 8.]], dtype=float32)
        """
        return ops.conv(inputs, kernel, strides=self.strides, padding=self.padding,
                        data_format=self.data_format, dilation_rate=self.dilation_rate)

    def _convolve_scaled(self, inputs: Tensor, scale, shift, activation, padding=None,
                         residual=None) -> Tensor:
        """The convolution with its output channels times ``scale`` plus ``shift`` (None:
        neither), plus ``residual`` when given, and ``activation``, in one op
        (:mod:`deepgrad.layers.conv_fusion`); ``padding`` ``((top, bottom), (left,
        right))`` replaces the layer's own."""
        kernel, bias = self.kernel, self.bias
        if scale is not None:
            kernel = kernel * scale
            bias = shift if bias is None else bias * scale + shift
        return ops.conv2d(
            inputs, kernel, bias, strides=self.strides, padding=padding or self.padding,
            dilation_rate=self.dilation_rate, activation=activation, name=self.name,
            residual=residual,
        )

    def fuse(self, following: Layer, *then: Layer):
        """Run this convolution and a following max pooling over non-overlapping windows
        as one op, :func:`deepgrad.ops.conv2d_max_pool`: each chunk of the convolution's
        output is pooled while it is in the CPU cache, and in training only each window's
        winner is kept (``benchmarks/cnn.py``). The numbers are those of the two layers to
        float32 rounding (the op multiplies other blocks of rows). Declines for an
        activation other than ReLU or none, an activity regularizer, another input dtype,
        groups, channels_first, or a subclass that changes the forward pass. Other
        layers after it: :meth:`BaseConv.fuse`.
        """
        epilogue = following.epilogue()
        if epilogue is None or epilogue[0] != "max_pool":
            return super().fuse(following, *then)
        if (
            then or self.groups != 1
            or self.data_format != "channels_last"
            or type(self).call is not BaseConv.call
            or type(self)._convolve is not Conv2D._convolve
            or self._custom_convolution_op
        ):
            return None
        pool_size = epilogue[1]

        def run(inputs: Tensor, training=None) -> Tensor | None:
            if (
                inputs.dtype != self.dtype or self.activity_regularizer is not None
                or self.activation not in (activations.relu, activations.linear)
                or following.epilogue() != epilogue
            ):
                return None
            return ops.conv2d_max_pool(
                inputs, self.kernel, self.bias, strides=self.strides, padding=self.padding,
                dilation_rate=self.dilation_rate, activation=self._fused,
                pool_size=pool_size, name=self.name,
            )

        return run

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "filters": self.filters,
            "groups": self.groups,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "kernel_regularizer": serialize_regularizer(self.kernel_regularizer),
            "kernel_constraint": constraints.serialize(self.kernel_constraint),
        }


class Conv1D(Conv2D):
    """1-D convolution over sequences ``(batch, steps, channels)``.

    Args:
        filters, kernel_size, strides, dilation_rate, groups, activation, use_bias,
        initializers, regularizers, constraints: as :class:`Conv2D`, with ints.
        padding: ``'valid'``, ``'same'`` or ``'causal'`` (pad only the past, so output
            step ``t`` sees inputs up to ``t``: WaveNet-style).

    Input shape: ``(batch, steps, channels)``. Output shape: ``(batch, new_steps, filters)``.
    Weights: ``kernel (k, channels, filters)``, ``bias (filters,)``.

    >>> Conv1D(4, 3, padding="causal")(np.zeros((2, 10, 3), dtype="float32")).shape
    (2, 10, 4)
    """

    rank = 1
    paddings = ("valid", "same", "causal")

    def __init__(self, filters: int, kernel_size, strides=1, padding="valid", data_format=None,
                 dilation_rate=1, groups: int = 1, activation=None, use_bias: bool = True,
                 **kwargs):
        super().__init__(filters, kernel_size, strides, padding, data_format, dilation_rate,
                         groups, activation, use_bias, **kwargs)

    def _convolve(self, inputs: Tensor) -> Tensor:
        if self.groups > 1:
            return self._grouped(inputs)
        return ops.conv1d(
            inputs, self.kernel, self.bias, strides=self.strides[0], padding=self.padding,
            dilation_rate=self.dilation_rate[0], activation=self._fused,
        )


class Conv2DTranspose(Conv2D):
    """Transposed 2-D convolution ("deconvolution"): the gradient of Conv2D as a layer.

    Upsamples: with ``strides=2`` and ``padding='same'`` the output is twice the input.

    Args:
        filters, kernel_size, strides, padding, dilation_rate, activation, use_bias,
        initializers, regularizers, constraints: as :class:`Conv2D`.
        output_padding: optional int or pair, extra rows/columns added after, each
            smaller than the stride; picks one of the output sizes a stride allows.

    Input shape: ``(batch, height, width, channels)``.
    Output shape: ``(batch, new_height, new_width, filters)`` with, for ``'valid'``,
    ``new = size * stride + max(kernel - stride, 0)`` and, for ``'same'``, ``size * stride``.
    Weights: ``kernel (kh, kw, filters, channels)`` (Keras's order), ``bias (filters,)``.

    >>> Conv2DTranspose(4, 3, strides=2, padding="same").compute_output_shape((None, 7, 7, 8))
    (None, 14, 14, 4)
    """

    def __init__(self, filters: int, kernel_size, strides=(1, 1), padding="valid",
                 output_padding=None, data_format=None, dilation_rate=(1, 1), activation=None,
                 use_bias: bool = True, **kwargs):
        super().__init__(filters, kernel_size, strides, padding, data_format, dilation_rate,
                         activation=activation, use_bias=use_bias, **kwargs)
        self.output_padding = None
        if output_padding is not None:
            cls = type(self).__name__
            self.output_padding = int_tuple(cls, "output_padding", output_padding, 2, minimum=0)
            if any(p >= s for p, s in zip(self.output_padding, self.strides)):
                raise ValueError(
                    f"{cls}: each `output_padding` must be smaller than the stride. Received: "
                    f"output_padding={self.output_padding}, strides={self.strides}"
                )

    def _output_length(self, size, i):
        extra = None if self.output_padding is None else self.output_padding[i]
        return deconv_output_length(
            size, self.kernel_size[i], self.padding, extra, self.strides[i],
            self.dilation_rate[i],
        )

    def _make_weights(self, channels: int) -> None:
        self.kernel = self.add_weight(
            self.kernel_size + (self.filters, channels), self.kernel_initializer,
            regularizer=self.kernel_regularizer, constraint=self.kernel_constraint,
            name="kernel",
        )
        self._bias(self.filters)

    def _convolve(self, inputs: Tensor) -> Tensor:
        return ops.conv2d_transpose(
            inputs, self.kernel, self.bias, strides=self.strides, padding=self.padding,
            output_padding=self.output_padding, dilation_rate=self.dilation_rate,
            activation=self._fused,
        )

    def get_config(self) -> dict:
        config = super().get_config()
        del config["groups"]
        return {**config, "output_padding": self.output_padding}


@functools.cache
def _runs_convolution_op(cls: type) -> bool:
    """Whether ``cls`` overrides ``Conv2D.convolution_op`` (transposed convolutions have no
    such hook in Keras, nor have depthwise and separable ones, and Keras's ``Conv1D.call``
    convolves without it, causal padding included: none of them runs such a method)."""
    return (issubclass(cls, Conv2D) and cls.convolution_op is not Conv2D.convolution_op
            and not issubclass(cls, (Conv2DTranspose, Conv1D)))


Convolution1D = Conv1D
Convolution2D = Conv2D
Convolution2DTranspose = Conv2DTranspose
