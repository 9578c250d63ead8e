"""Spatial reshaping layers: ZeroPadding1D/2D/3D, UpSampling1D/2D/3D, Cropping1D/2D/3D.

They change the length of sequences ``(batch, steps, channels)``, the height and width
of images ``(batch, height, width, channels)`` or the three sides of volumes ``(batch,
depth, height, width, channels)``; ``channels_first`` is accepted where Keras accepts it
(every one but Cropping1D and UpSampling1D), with no transpose: the layers work on the
spatial axes where they are. All are built from differentiable shape ops, so they need
no backward code.

>>> import deepgrad as dg
>>> x = np.zeros((1, 28, 28, 1), dtype="float32")
>>> dg.layers.ZeroPadding2D(2)(x).shape
(1, 32, 32, 1)
>>> dg.layers.Cropping2D(((2, 2), (2, 2)))(dg.layers.UpSampling2D(2)(x)).shape
(1, 52, 52, 1)
"""

from __future__ import annotations

import numpy as np

from deepgrad import config, ops
from deepgrad.layers import conv_fusion
from deepgrad.layers.base import InputSpec, Layer, shape_str
from deepgrad.tensor import Tensor

__all__ = [
    "ZeroPadding1D",
    "ZeroPadding2D",
    "UpSampling1D",
    "UpSampling2D",
    "Cropping1D",
    "Cropping2D",
    "ZeroPadding3D",
    "UpSampling3D",
    "Cropping3D",
]


def _is_int(value) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def _amounts(name: str, arg: str, value, dims: int) -> tuple[tuple[int, int], ...]:
    """Normalise a padding/cropping argument to one ``(before, after)`` pair per dimension.

    Accepts an int (all sides), ``dims`` ints (symmetric per dimension), or, for two
    dimensions, ``dims`` pairs; for one dimension, a pair is ``(before, after)``.
    """
    forms = {
        1: "a tuple of 2 ints (before, after)",
        2: "a tuple of 2 ints or a tuple of 2 tuples of 2 ints ((top, bottom), (left, right))",
        3: "a tuple of 3 ints or a tuple of 3 tuples of 2 ints (one (before, after) per "
           "spatial dimension)",
    }
    error = ValueError(
        f"{name}: `{arg}` must be a non-negative int, {forms[dims]}. Received: {arg}={value!r}"
    )
    if _is_int(value):
        pairs = ((value, value),) * dims
    elif isinstance(value, (tuple, list)) and len(value) == 2 and dims == 1:
        pairs = (tuple(value),)
    elif isinstance(value, (tuple, list)) and len(value) == dims:
        pairs = tuple((v, v) if _is_int(v) else tuple(v) if isinstance(v, (tuple, list)) else ()
                      for v in value)
    else:
        raise error
    if any(len(p) != 2 or not all(_is_int(a) and a >= 0 for a in p) for p in pairs):
        raise error
    return tuple((int(a), int(b)) for a, b in pairs)


def _sizes(name: str, value, dims: int) -> tuple[int, ...]:
    sizes = (value,) * dims if _is_int(value) else tuple(value)
    if len(sizes) != dims or not all(_is_int(s) and s > 0 for s in sizes):
        raise ValueError(
            f"{name}: `size` must be a positive int or a tuple of {dims} positive ints. "
            f"Received: size={value!r}"
        )
    return tuple(int(s) for s in sizes)


def _data_format(name: str, value) -> str:
    return config.standardize_data_format(value, name)


class _Spatial(Layer):
    """Shared plumbing: which axes are spatial, rank checks, config."""

    dims = 1
    # Keras's Cropping1D and UpSampling1D have no data_format: always channels last.
    takes_data_format = True

    def __init__(self, data_format=None, **kwargs):
        super().__init__(**kwargs)
        if data_format is not None and not self.takes_data_format:
            raise TypeError(f"{type(self).__name__}: unrecognized keyword arguments: "
                            "['data_format'].")
        self.data_format = _data_format(type(self).__name__, data_format)
        self.input_spec = InputSpec(ndim=self.dims + 2)
        first = 2 if self.data_format == "channels_first" else 1
        self._axes = tuple(range(first, first + self.dims))

    def compute_output_shape(self, input_shape):
        shape = list(input_shape)
        for i, axis in enumerate(self._axes):
            if shape[axis] is not None:
                shape[axis] = self._new_length(i, shape[axis], input_shape)
        return tuple(shape)

    def build(self, input_shape) -> None:
        self.compute_output_shape(input_shape)

    def get_config(self) -> dict:
        config = super().get_config()
        if self.takes_data_format:
            config["data_format"] = self.data_format
        return config


class ZeroPadding1D(_Spatial):
    """Pad sequences with zeros along the time axis.

    Args:
        padding: an int (both ends) or ``(left, right)``.
        data_format: ``'channels_last'`` (default) or ``'channels_first'`` (``(batch,
            channels, steps)``).

    Input shape: ``(batch, steps, channels)``. Output: ``(batch, left + steps + right, channels)``.

    >>> ZeroPadding1D((1, 2)).compute_output_shape((None, 5, 3))
    (None, 8, 3)
    """

    def __init__(self, padding=1, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.padding = _amounts(type(self).__name__, "padding", padding, self.dims)

    def _new_length(self, i, length, input_shape):
        return length + sum(self.padding[i])

    def call(self, inputs: Tensor) -> Tensor:
        widths = [(0, 0)] * inputs.ndim
        for axis, pair in zip(self._axes, self.padding):
            widths[axis] = pair
        return ops.pad(inputs, widths)

    def get_config(self) -> dict:
        padding = self.padding[0] if self.dims == 1 else self.padding
        return {**super().get_config(), "padding": padding}


class ZeroPadding2D(ZeroPadding1D):
    """Pad images with zeros on the top, bottom, left and right.

    Args:
        padding: an int (all sides), ``(rows, cols)`` (symmetric), or
            ``((top, bottom), (left, right))``.
        data_format: ``'channels_last'`` (default) or ``'channels_first'``.

    Input shape: ``(batch, height, width, channels)``.
    Output shape: ``(batch, top + height + bottom, left + width + right, channels)``.

    >>> ZeroPadding2D(((1, 0), (2, 3))).compute_output_shape((None, 4, 4, 1))
    (None, 5, 9, 1)
    """

    dims = 2

    def __init__(self, padding=(1, 1), data_format=None, **kwargs):
        super().__init__(padding=padding, data_format=data_format, **kwargs)

    def fuse(self, following: Layer, *then: Layer):
        """Let a following ``'valid'`` 2-D convolution (and the batch normalization and
        ReLU it folds in) do this padding itself, reading only the input its taps reach,
        so the padded copy is never made: :func:`deepgrad.layers.conv_fusion.fuse_padding`.
        deepgrad's addition (Keras has no fusion)."""
        if type(self).call is not ZeroPadding1D.call:
            return None
        return conv_fusion.fuse_padding(self, following, *then)


class ZeroPadding3D(ZeroPadding1D):
    """Pad volumes with zeros on both sides of depth, height and width.

    Args:
        padding: an int (all sides), 3 ints (symmetric per dimension), or 3 pairs
            ``((d1, d2), (h1, h2), (w1, w2))``.
        data_format: ``'channels_last'`` (default) or ``'channels_first'``.

    Input shape: ``(batch, depth, height, width, channels)``; the output grows by the
    padding on each spatial dimension.

    >>> ZeroPadding3D(((1, 0), 2, (0, 3))).compute_output_shape((None, 4, 4, 4, 1))
    (None, 5, 8, 7, 1)
    """

    dims = 3

    def __init__(self, padding=((1, 1), (1, 1), (1, 1)), data_format=None, **kwargs):
        super().__init__(padding=padding, data_format=data_format, **kwargs)


class Cropping1D(_Spatial):
    """Crop sequences along the time axis.

    Args:
        cropping: an int (both ends) or ``(start, end)``: steps removed from each end.

    Input shape: ``(batch, steps, channels)``. Output: ``(batch, steps - start - end, channels)``.

    Raises:
        ValueError: if the cropping would leave no steps.

    >>> Cropping1D((1, 2)).compute_output_shape((None, 5, 3))
    (None, 2, 3)
    """

    takes_data_format = False

    def __init__(self, cropping=(1, 1), data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.cropping = _amounts(type(self).__name__, "cropping", cropping, self.dims)

    def _new_length(self, i, length, input_shape):
        left = length - sum(self.cropping[i])
        if left <= 0:
            raise ValueError(
                f"{type(self).__name__} '{self.name}': cropping {self.cropping} removes "
                f"{sum(self.cropping[i])} of {length} positions on dimension {self._axes[i]} "
                f"of an input of shape {shape_str(input_shape)}; at least one must remain."
            )
        return left

    def call(self, inputs: Tensor) -> Tensor:
        self.compute_output_shape(inputs.shape)
        index = [slice(None)] * inputs.ndim
        for axis, (start, end) in zip(self._axes, self.cropping):
            index[axis] = slice(start, inputs.shape[axis] - end)
        return ops.getitem(inputs, tuple(index))

    def get_config(self) -> dict:
        cropping = self.cropping[0] if self.dims == 1 else self.cropping
        return {**super().get_config(), "cropping": cropping}


class Cropping2D(Cropping1D):
    """Crop images on the top, bottom, left and right.

    Args:
        cropping: an int (all sides), ``(rows, cols)`` (symmetric), or
            ``((top, bottom), (left, right))``.
        data_format: ``'channels_last'`` (default) or ``'channels_first'``.

    Input shape: ``(batch, height, width, channels)``.
    Output shape: ``(batch, height - top - bottom, width - left - right, channels)``.

    Raises:
        ValueError: if the cropping would leave no rows or columns.

    >>> Cropping2D(((2, 2), (4, 4))).compute_output_shape((None, 28, 28, 3))
    (None, 24, 20, 3)
    """

    dims = 2
    takes_data_format = True

    def __init__(self, cropping=((0, 0), (0, 0)), data_format=None, **kwargs):
        super().__init__(cropping=cropping, data_format=data_format, **kwargs)


class Cropping3D(Cropping1D):
    """Crop volumes on both sides of depth, height and width.

    Args:
        cropping: an int (all sides), 3 ints (symmetric per dimension), or 3 pairs
            ``((d1, d2), (h1, h2), (w1, w2))``.
        data_format: ``'channels_last'`` (default) or ``'channels_first'``.

    Raises:
        ValueError: if the cropping would leave nothing on a dimension.

    >>> Cropping3D((2, 4, 2)).compute_output_shape((2, 28, 28, 10, 3))
    (2, 24, 20, 6, 3)
    """

    dims = 3
    takes_data_format = True

    def __init__(self, cropping=((1, 1), (1, 1), (1, 1)), data_format=None, **kwargs):
        super().__init__(cropping=cropping, data_format=data_format, **kwargs)


class UpSampling1D(_Spatial):
    """Repeat each time step ``size`` times.

    Args:
        size: the upsampling factor.

    Input shape: ``(batch, steps, channels)``. Output: ``(batch, steps * size, channels)``.

    >>> UpSampling1D(2)(np.array([[[1.0], [2.0]]], dtype="float32")).data.ravel()
    array([1., 1., 2., 2.], dtype=float32)
    """

    takes_data_format = False

    def __init__(self, size=2, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.size = _sizes(type(self).__name__, size, self.dims)

    def _new_length(self, i, length, input_shape):
        return length * self.size[i]

    def call(self, inputs: Tensor) -> Tensor:
        for axis, size in zip(self._axes, self.size):
            if size > 1:
                inputs = ops.repeat(inputs, size, axis=axis)
        return inputs

    def get_config(self) -> dict:
        return {**super().get_config(), "size": self.size[0] if self.dims == 1 else self.size}


class UpSampling2D(UpSampling1D):
    """Enlarge images by repeating rows and columns (``'nearest'``) or interpolating.

    Args:
        size: an int or ``(rows, cols)``: the upsampling factors.
        data_format: ``'channels_last'`` (default) or ``'channels_first'``.
        interpolation: ``'nearest'`` (repeat) or ``'bilinear'`` (half-pixel centres,
            as Keras's ``ops.image.resize`` and PyTorch's ``align_corners=False``).

    Input shape: ``(batch, height, width, channels)``.
    Output shape: ``(batch, height * rows, width * cols, channels)``.

    >>> x = np.array([[[[0.0], [4.0]]]], dtype="float32")  # (1, 1, 2, 1)
    >>> UpSampling2D((1, 2), interpolation="bilinear")(x).data.ravel()
    array([0., 1., 3., 4.], dtype=float32)
    """

    dims = 2
    takes_data_format = True

    def __init__(self, size=(2, 2), data_format=None, interpolation="nearest", **kwargs):
        super().__init__(size=size, data_format=data_format, **kwargs)
        if interpolation not in ("nearest", "bilinear"):
            raise ValueError(
                f"UpSampling2D: `interpolation` must be 'nearest' or 'bilinear'. "
                f"Received: interpolation={interpolation!r}"
            )
        self.interpolation = interpolation

    def call(self, inputs: Tensor) -> Tensor:
        if self.interpolation == "nearest":
            return super().call(inputs)
        # Bilinear resize is linear in the input: one small matrix per axis, applied with
        # matmul (its backward is the transposed matrix).
        for axis, size in zip(self._axes, self.size):
            if size == 1:
                continue
            length = inputs.shape[axis]
            matrix = Tensor(_linear_resize_matrix(length, size, inputs.dtype))
            lead, rest = inputs.shape[:axis], inputs.shape[axis + 1 :]
            flat = ops.reshape(inputs, (int(np.prod(lead)), length, int(np.prod(rest))))
            inputs = ops.reshape(ops.matmul(matrix, flat), lead + (length * size,) + rest)
        return inputs

    def get_config(self) -> dict:
        return {**super().get_config(), "interpolation": self.interpolation}


class UpSampling3D(UpSampling1D):
    """Enlarge volumes by repeating each voxel ``size`` times along depth, height, width.

    Args:
        size: an int or ``(depth, height, width)`` factors.
        data_format: ``'channels_last'`` (default) or ``'channels_first'``.

    >>> UpSampling3D((1, 2, 3))(np.ones((1, 2, 2, 2, 1))).shape
    (1, 2, 4, 6, 1)
    """

    dims = 3
    takes_data_format = True

    def __init__(self, size=(2, 2, 2), data_format=None, **kwargs):
        super().__init__(size=size, data_format=data_format, **kwargs)


def _linear_resize_matrix(length: int, scale: int, dtype) -> np.ndarray:
    """``(length * scale, length)`` weights of 1-D linear interpolation, half-pixel centres."""
    out = length * scale
    source = np.maximum((np.arange(out) + 0.5) / scale - 0.5, 0.0)
    low = np.minimum(np.floor(source).astype(int), length - 1)
    high = np.minimum(low + 1, length - 1)
    frac = source - low
    matrix = np.zeros((out, length))
    rows = np.arange(out)
    np.add.at(matrix, (rows, low), 1.0 - frac)
    np.add.at(matrix, (rows, high), frac)
    return matrix.astype(dtype)
