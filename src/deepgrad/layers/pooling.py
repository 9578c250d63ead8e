"""Pooling layers: MaxPooling1D/2D, AveragePooling1D/2D and their global forms.

Thin wrappers around ``deepgrad.ops.pool`` (and ``ops.mean``/``ops.max`` for the global
forms) with Keras's arguments, defaults and config keys. Images are
``(batch, height, width, channels)`` and sequences ``(batch, steps, channels)``
(``channels_first`` too: the windowed pools transpose to channels last and back, two
copies; the global ones reduce in place). The Keras aliases ``MaxPool2D``, ``AvgPool2D``,
``MaxPool1D``, ``AvgPool1D``, ``GlobalAvgPool2D``, ``GlobalMaxPool2D`` (and the 1-D ones)
are the same classes.

>>> import deepgrad as dg
>>> layer = dg.layers.MaxPooling2D()
>>> layer(np.zeros((8, 28, 28, 32), dtype="float32")).shape
(8, 14, 14, 32)
>>> layer.compute_output_shape((None, 7, 7, 64))
(None, 3, 3, 64)
"""

from __future__ import annotations

import numpy as np

from deepgrad import ops
from deepgrad.kernels.geometry import pool_output_length
from deepgrad.layers.base import (
    InputSpec,
    Layer,
    check_spatial_rank,
    shape_str,
)
from deepgrad.layers.data_format import (
    last_shape,
    shape_in,
    spatial_axes,
    standardize_data_format,
    to_channels_first,
    to_channels_last,
)
from deepgrad.ops.pool import normalize_padding, normalize_tuple
from deepgrad.tensor import Tensor

__all__ = [
    "MaxPooling1D",
    "MaxPooling2D",
    "AveragePooling1D",
    "AveragePooling2D",
    "GlobalAveragePooling1D",
    "GlobalAveragePooling2D",
    "GlobalMaxPooling1D",
    "GlobalMaxPooling2D",
    "MaxPool1D",
    "MaxPool2D",
    "AvgPool1D",
    "AvgPool2D",
    "GlobalAvgPool1D",
    "GlobalAvgPool2D",
    "GlobalMaxPool1D",
    "GlobalMaxPool2D",
]

class _Checked(Layer):
    """Shared input check: the rank must be ``rank + 2`` (batch and channels included)."""

    rank = 2

    def _check_shape(self, shape) -> None:
        check_spatial_rank(self, shape, self.rank)


class _Pooling(_Checked):
    _op = None

    def __init__(self, pool_size, strides=None, padding: str = "valid", data_format=None,
                 **kwargs):
        super().__init__(**kwargs)
        cls = type(self).__name__
        self.pool_size = normalize_tuple(pool_size, self.rank, "pool_size", cls)
        self.strides = (
            self.pool_size if strides is None
            else normalize_tuple(strides, self.rank, "strides", cls)
        )
        self.padding = normalize_padding(padding, cls)
        self.data_format = standardize_data_format(cls, data_format)
        self.input_spec = InputSpec(ndim=self.rank + 2)

    def _check_shape(self, shape) -> None:
        super()._check_shape(shape)
        spatial = tuple(last_shape(shape, self.data_format)[1:-1])
        if self.padding == "valid" and any(
            s is not None and s < k for s, k in zip(spatial, self.pool_size)
        ):
            raise ValueError(
                f"{type(self).__name__} '{self.name}': pool_size {self.pool_size} is larger "
                f"than the input's spatial size {shape_str(spatial)} with padding='valid' "
                f"(input shape {shape_str(shape)}). To fix, use padding='same', a smaller "
                "pool_size, or a larger input."
            )

    def compute_output_shape(self, input_shape):
        self._check_shape(input_shape)
        shape = last_shape(input_shape, self.data_format)
        spatial = tuple(
            None if s is None else pool_output_length(s, k, st, self.padding)
            for s, k, st in zip(shape[1:-1], self.pool_size, self.strides)
        )
        return shape_in((shape[0],) + spatial + (shape[-1],), self.data_format)

    def call(self, inputs: Tensor) -> Tensor:
        # channels_first: transposed to channels last and back around the op (two copies).
        if self.data_format == "channels_first":
            out = type(self)._op(to_channels_last(inputs), self.pool_size, self.strides,
                                 self.padding)
            return to_channels_first(out)
        return type(self)._op(inputs, self.pool_size, self.strides, self.padding)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "pool_size": self.pool_size,
            "padding": self.padding,
            "strides": self.strides,
            "data_format": self.data_format,
        }


class MaxPooling2D(_Pooling):
    """Max over ``pool_size`` windows of each channel of an image, moved by ``strides``.

    Args:
        pool_size: int or ``(height, width)`` of the window; default ``(2, 2)``.
        strides: int or pair; None (default) means ``pool_size``.
        padding: ``'valid'`` (windows stay inside) or ``'same'`` (``ceil(size / stride)``
            outputs; padding is never the maximum), any case.
        data_format: ``'channels_last'`` (default) or ``'channels_first'``.

    Input shape: ``(batch, height, width, channels)``.
    Output shape: ``(batch, out_height, out_width, channels)`` with
    ``out = (size - pool) // stride + 1`` (valid) or ``ceil(size / stride)`` (same).

    Raises:
        ValueError: on bad arguments, a wrong input rank, or a window larger than a
            valid-padded input.

    >>> MaxPooling2D(pool_size=3, strides=2, padding="same").compute_output_shape((None, 7, 7, 8))
    (None, 4, 4, 8)
    """

    rank = 2
    _op = staticmethod(ops.max_pool2d)

    def __init__(self, pool_size=(2, 2), strides=None, padding: str = "valid", data_format=None,
                 **kwargs):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)

    def epilogue(self) -> tuple | None:
        """``("max_pool", pool_size)`` for windows that do not overlap with ``'valid'``
        padding: the op producing the input (a convolution) may then pool in its own pass.

        >>> MaxPooling2D(2).epilogue(), MaxPooling2D(2, strides=1).epilogue()
        (('max_pool', (2, 2)), None)
        """
        if (
            self.strides != self.pool_size or self.padding != "valid"
            or self.data_format != "channels_last" or type(self).call is not _Pooling.call
        ):
            return None
        return ("max_pool", self.pool_size)


class AveragePooling2D(_Pooling):
    """Mean over ``pool_size`` windows of each channel of an image (padding not counted).

    Arguments, shapes and errors as :class:`MaxPooling2D`.

    >>> AveragePooling2D()(np.arange(16.0).reshape(1, 4, 4, 1)).data[0, :, :, 0]
    array([[ 2.5,  4.5],
           [10.5, 12.5]], dtype=float32)
    """

    rank = 2
    _op = staticmethod(ops.avg_pool2d)

    def __init__(self, pool_size=(2, 2), strides=None, padding: str = "valid", data_format=None,
                 **kwargs):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)


class MaxPooling1D(_Pooling):
    """Max over windows of ``pool_size`` steps of each channel of a sequence.

    Args:
        pool_size: int, the window length; default 2.
        strides: int; None (default) means ``pool_size``.
        padding: ``'valid'`` or ``'same'`` (any case).
        data_format: ``'channels_last'`` (default) or ``'channels_first'``.

    Input shape: ``(batch, steps, channels)``. Output shape: ``(batch, out_steps, channels)``.

    >>> MaxPooling1D()(np.array([[[1.0], [3.0], [2.0], [0.0]]])).data[0, :, 0]
    array([3., 2.], dtype=float32)
    """

    rank = 1
    _op = staticmethod(ops.max_pool1d)

    def __init__(self, pool_size=2, strides=None, padding: str = "valid", data_format=None,
                 **kwargs):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)


class AveragePooling1D(_Pooling):
    """Mean over windows of ``pool_size`` steps of each channel (padding not counted).

    Arguments and shapes as :class:`MaxPooling1D`.

    >>> AveragePooling1D(padding="same")(np.array([[[1.0], [3.0], [2.0]]])).data[0, :, 0]
    array([2., 2.], dtype=float32)
    """

    rank = 1
    _op = staticmethod(ops.avg_pool1d)

    def __init__(self, pool_size=2, strides=None, padding: str = "valid", data_format=None,
                 **kwargs):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)


class _GlobalPooling(_Checked):
    _reduce = None

    def __init__(self, data_format=None, keepdims: bool = False, **kwargs):
        super().__init__(**kwargs)
        self.data_format = standardize_data_format(type(self).__name__, data_format)
        self.keepdims = bool(keepdims)
        self.input_spec = InputSpec(ndim=self.rank + 2)

    def compute_output_shape(self, input_shape):
        self._check_shape(input_shape)
        shape = last_shape(input_shape, self.data_format)
        if self.keepdims:  # channels_first keeps its layout: (batch, c, 1, ...)
            return shape_in((shape[0],) + (1,) * self.rank + (shape[-1],), self.data_format)
        return (shape[0], shape[-1])

    def call(self, inputs: Tensor) -> Tensor:
        axes = spatial_axes(inputs.ndim, self.data_format)  # in place, either layout
        return type(self)._reduce(inputs, axis=axes, keepdims=self.keepdims)

    def get_config(self) -> dict:
        return {**super().get_config(), "data_format": self.data_format, "keepdims": self.keepdims}


class GlobalAveragePooling2D(_GlobalPooling):
    """Mean over height and width: ``(batch, h, w, c) -> (batch, c)``.

    Args:
        data_format: ``'channels_last'`` (default) or ``'channels_first'``.
        keepdims: keep the spatial axes with size 1: ``(batch, 1, 1, c)``.

    >>> GlobalAveragePooling2D(keepdims=True).compute_output_shape((None, 7, 7, 64))
    (None, 1, 1, 64)
    """

    rank = 2
    _reduce = staticmethod(ops.mean)


class GlobalMaxPooling2D(_GlobalPooling):
    """Max over height and width: ``(batch, h, w, c) -> (batch, c)``; tied maxima share
    the gradient equally (as TensorFlow's ``reduce_max``).

    Arguments as :class:`GlobalAveragePooling2D`.

    >>> GlobalMaxPooling2D()(np.arange(8.0).reshape(1, 2, 2, 2)).data
    array([[6., 7.]], dtype=float32)
    """

    rank = 2
    _reduce = staticmethod(ops.max)


class _GlobalPooling1D(_GlobalPooling):
    """Pooling over the steps of sequences, skipping the padded steps of a mask."""

    rank = 1
    supports_masking = True

    def call(self, inputs: Tensor, mask=None) -> Tensor:
        if mask is None:
            return super().call(inputs)
        first = self.data_format == "channels_first"
        steps = to_channels_last(inputs) if first else inputs
        keep = np.asarray(mask.data if isinstance(mask, Tensor) else mask, bool)
        if keep.shape != steps.shape[:2]:
            raise ValueError(
                f"{type(self).__name__} '{self.name}': the mask must have shape (batch, "
                f"steps) = {steps.shape[:2]}. Received: {keep.shape}"
            )
        out = self._masked(steps, keep[:, :, None])
        return to_channels_first(out) if first and self.keepdims else out

    def compute_mask(self, inputs, mask=None):
        return None


class GlobalAveragePooling1D(_GlobalPooling1D):
    """Mean over the steps: ``(batch, steps, c) -> (batch, c)``.

    With a mask (``Embedding(mask_zero=True)`` upstream, or ``call(x, mask=...)``) the
    mean is over the real steps only, as in Keras; a sequence without any gives zeros
    (Keras divides by zero and gives NaN).

    Arguments as :class:`GlobalAveragePooling2D`.

    >>> layer = GlobalAveragePooling1D()
    >>> x = np.array([[[1.0, 2.0], [3.0, 6.0]]])
    >>> layer(x).data, layer(x, mask=np.array([[True, False]])).data
    (array([[2., 4.]], dtype=float32), array([[1., 2.]], dtype=float32))
    """

    _reduce = staticmethod(ops.mean)

    def _masked(self, inputs: Tensor, keep: np.ndarray) -> Tensor:
        counts = np.maximum(keep.sum(axis=1, keepdims=self.keepdims), 1).astype(inputs.dtype)
        total = ops.sum(ops.where(keep, inputs, 0.0), axis=1, keepdims=self.keepdims)
        return total / (counts if self.keepdims else counts.reshape(len(counts), 1))


class GlobalMaxPooling1D(_GlobalPooling1D):
    """Max over the steps: ``(batch, steps, c) -> (batch, c)``.

    With a mask the max is over the real steps only, and a sequence without any gives
    zeros. (Keras 3's GlobalMaxPooling1D drops the mask with a warning and takes the max
    over the padding too.)

    Arguments as :class:`GlobalAveragePooling2D`.

    >>> GlobalMaxPooling1D(keepdims=True).compute_output_shape((None, 10, 4))
    (None, 1, 4)
    >>> x = np.array([[[1.0, 2.0], [3.0, 6.0]]])
    >>> GlobalMaxPooling1D()(x, mask=np.array([[True, False]])).data
    array([[1., 2.]], dtype=float32)
    """

    _reduce = staticmethod(ops.max)

    def _masked(self, inputs: Tensor, keep: np.ndarray) -> Tensor:
        lowest = np.finfo(inputs.dtype).min
        best = ops.max(ops.where(keep, inputs, lowest), axis=1, keepdims=self.keepdims)
        any_real = keep.any(axis=1, keepdims=self.keepdims)
        return ops.where(any_real, best, 0.0)


MaxPool1D = MaxPooling1D
MaxPool2D = MaxPooling2D
AvgPool1D = AveragePooling1D
AvgPool2D = AveragePooling2D
GlobalAvgPool1D = GlobalAveragePooling1D
GlobalAvgPool2D = GlobalAveragePooling2D
GlobalMaxPool1D = GlobalMaxPooling1D
GlobalMaxPool2D = GlobalMaxPooling2D
