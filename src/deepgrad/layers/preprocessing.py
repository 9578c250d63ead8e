"""Preprocessing layers, active always: Resizing, Rescaling, CenterCrop, Normalization.

Keras 3's layers of the same names, on NHWC images (``Rescaling`` and
``Normalization`` on any shape). Put them in a model so that the model takes raw
pixels at inference too.

>>> import deepgrad as dg
>>> model = dg.Sequential([dg.layers.Resizing(16, 16), dg.layers.Rescaling(1 / 255)])
>>> model(np.full((2, 32, 32, 3), 255, "uint8")).data.max()
np.float32(1.0)
"""

from __future__ import annotations

import numpy as np

from deepgrad import config
from deepgrad.kernels.affine import check_fill_mode
from deepgrad.kernels.image_common import check_interpolation
from deepgrad.kernels.resize import resize_images
from deepgrad.layers.augmentation import _image_batch, _images_out, _resized_shape, _who
from deepgrad.layers.base import Layer
from deepgrad.layers.core import positive_int
from deepgrad.layers.data_format import standardize_data_format
from deepgrad.tensor import Tensor

__all__ = ["Resizing", "Rescaling", "CenterCrop", "Normalization"]



def _plain(value):
    """``value`` as JSON-friendly numbers: arrays become (nested) lists."""
    return np.asarray(value).tolist() if isinstance(value, (np.ndarray, np.generic)) else value


class Resizing(Layer):
    """Resize images to ``height x width`` (half-pixel centres, as ``tf.image.resize``).

    Args:
        height: the output height.
        width: the output width.
        interpolation: ``'bilinear'`` or ``'nearest'``.
        crop_to_aspect_ratio: first cut the largest centred window with the target's
            aspect ratio, so the picture is not distorted.
        pad_to_aspect_ratio: first pad evenly with ``fill_value`` to that ratio instead.
        fill_mode: only ``'constant'`` (the padding's mode).
        fill_value: the padding's value.
        antialias: low-pass filter when shrinking (bilinear only).
        data_format: ``'channels_last'`` (default) or ``'channels_first'`` (moved to
            channels last and back around the resize: two copies).

    Input shape: ``(batch, H, W, C)`` or one image. Output: ``(batch, height, width, C)``.

    >>> Resizing(2, 4)(np.ones((1, 8, 8, 3), "float32")).shape
    (1, 2, 4, 3)
    """

    def __init__(
        self,
        height: int,
        width: int,
        interpolation: str = "bilinear",
        crop_to_aspect_ratio: bool = False,
        pad_to_aspect_ratio: bool = False,
        fill_mode: str = "constant",
        fill_value: float = 0.0,
        antialias: bool = False,
        data_format: str | None = None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.height = positive_int(self, "height", height)
        self.width = positive_int(self, "width", width)
        self.interpolation = check_interpolation(interpolation, _who(self))
        if crop_to_aspect_ratio and pad_to_aspect_ratio:
            raise ValueError(
                f"{_who(self)}: only one of `crop_to_aspect_ratio` and `pad_to_aspect_ratio` "
                "can be True."
            )
        if check_fill_mode(fill_mode, _who(self)) != "constant":
            raise ValueError(
                f"{_who(self)}: only fill_mode='constant' is supported for the padding. "
                f"Received: fill_mode={fill_mode!r}"
            )
        self.crop_to_aspect_ratio = bool(crop_to_aspect_ratio)
        self.pad_to_aspect_ratio = bool(pad_to_aspect_ratio)
        self.fill_mode = fill_mode
        self.fill_value = float(fill_value)
        self.antialias = bool(antialias)
        self.data_format = standardize_data_format(_who(self), data_format)

    def call(self, inputs):
        images, single = _image_batch(self, inputs)
        out = resize_images(
            images,
            (self.height, self.width),
            self.interpolation,
            self.antialias,
            self.crop_to_aspect_ratio,
            self.pad_to_aspect_ratio,
            self.fill_value,
        )
        return _images_out(self, out, single)

    def compute_output_shape(self, input_shape):
        return _resized_shape(self, input_shape, self.height, self.width)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "height": self.height,
            "width": self.width,
            "interpolation": self.interpolation,
            "crop_to_aspect_ratio": self.crop_to_aspect_ratio,
            "pad_to_aspect_ratio": self.pad_to_aspect_ratio,
            "fill_mode": self.fill_mode,
            "fill_value": self.fill_value,
            "antialias": self.antialias,
            "data_format": self.data_format,
        }


class Rescaling(Layer):
    """Multiply by ``scale`` and add ``offset``: ``Rescaling(1 / 255)`` maps pixels to [0, 1].

    Gradients pass through to the input.

    Args:
        scale: a number, or one per channel (broadcast over the last axis).
        offset: a number, or one per channel; ``Rescaling(1 / 127.5, offset=-1)``
            maps [0, 255] to [-1, 1].

    >>> Rescaling(1 / 127.5, offset=-1)(np.array([[0, 255]], "uint8")).data
    array([[-1.,  1.]], dtype=float32)
    """

    supports_masking = True  # the mask passes through (Keras)

    def __init__(self, scale, offset=0.0, **kwargs):
        super().__init__(**kwargs)
        for name, value in (("scale", scale), ("offset", offset)):
            array = np.asarray(value)
            if array.dtype.kind not in "iuf" or array.ndim > 1:
                raise ValueError(
                    f"{_who(self)}: `{name}` must be a number or a list of numbers (one per "
                    f"channel). Received: {name}={value!r}"
                )
        self.scale = scale
        self.offset = offset
        self._scale = Tensor(np.asarray(scale, dtype=self.dtype))
        self._offset = Tensor(np.asarray(offset, dtype=self.dtype))

    def call(self, inputs):
        out = inputs * self._scale
        if np.any(self._offset.data):
            out = out + self._offset
        return out

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "scale": _plain(self.scale),
            "offset": _plain(self.offset),
        }


class CenterCrop(Layer):
    """Cut the central ``height x width`` window out of each image, as Keras does.

    The window starts at ``(H - height) // 2, (W - width) // 2``. An image smaller
    than the target is instead resized (Keras's rule): the largest centred window
    with the target's aspect ratio is cut and resized to ``height x width``.

    Args:
        height: the output height.
        width: the output width.
        data_format: ``'channels_last'`` (default) or ``'channels_first'``.

    Input shape: ``(batch, H, W, C)`` or one image. Output: ``(batch, height, width, C)``.

    >>> CenterCrop(2, 2)(np.arange(16, dtype="float32").reshape(1, 4, 4, 1)).data[0, ..., 0]
    array([[ 5.,  6.],
           [ 9., 10.]], dtype=float32)
    """

    def __init__(self, height: int, width: int, data_format: str | None = None, **kwargs):
        super().__init__(**kwargs)
        self.height = positive_int(self, "height", height)
        self.width = positive_int(self, "width", width)
        self.data_format = standardize_data_format(_who(self), data_format)

    def call(self, inputs):
        images, single = _image_batch(self, inputs)
        h, w = images.shape[1:3]
        if h < self.height or w < self.width:
            out = resize_images(images, (self.height, self.width), crop_to_aspect_ratio=True)
        else:
            top, left = (h - self.height) // 2, (w - self.width) // 2
            out = images[:, top : top + self.height, left : left + self.width].copy()
        return _images_out(self, out, single)

    def compute_output_shape(self, input_shape):
        return _resized_shape(self, input_shape, self.height, self.width)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "height": self.height,
            "width": self.width,
            "data_format": self.data_format,
        }


class Normalization(Layer):
    """Standardise features: ``(x - mean) / sqrt(variance)``, with statistics from :meth:`adapt`.

    ``axis`` names the axes that keep their own statistics (the feature axes;
    ``-1``, the default, is per channel or per column); all other axes are averaged
    over. Give ``mean`` and ``variance`` directly, or call :meth:`adapt` on data
    before training. The standard deviation is floored at 1e-7 as Keras does.
    Gradients pass through to the input.

    Args:
        axis: an int, a tuple of ints, or None (one mean and variance for everything).
        mean: the means (broadcast to the kept axes), or None to adapt.
        variance: the variances, given together with ``mean``.
        invert: apply the inverse, ``x * sqrt(variance) + mean``.

    Weights (after ``adapt`` or the first call, when ``mean`` is not given):
    non-trainable ``mean`` and ``variance`` with the kept axes' shape, and an int64
    scalar ``count`` that Keras 3 keeps (always 0) so that older files load; with it a
    Keras weights file lines up and ``count_params()`` is Keras's.

    Raises:
        ValueError: only one of ``mean`` and ``variance``, an axis out of range, or
            ``adapt`` given data of the wrong shape.

    >>> layer = Normalization()
    >>> layer.adapt(np.array([[0.0, 10.0], [2.0, 30.0]], "float32"))
    >>> layer(np.array([[1.0, 20.0]], "float32")).data
    array([[0., 0.]], dtype=float32)
    """

    supports_masking = True  # the mask passes through (Keras)

    def __init__(self, axis=-1, mean=None, variance=None, invert: bool = False, **kwargs):
        super().__init__(**kwargs)
        if axis is None:
            axes = ()
        elif isinstance(axis, (int, np.integer)) and not isinstance(axis, bool):
            axes = (int(axis),)
        elif isinstance(axis, (tuple, list)) and all(isinstance(a, int) for a in axis):
            axes = tuple(axis)
        else:
            raise ValueError(
                f"{_who(self)}: `axis` must be an int, a tuple of ints or None. Received: {axis!r}"
            )
        if (mean is None) != (variance is None):
            raise ValueError(
                f"{_who(self)}: give both `mean` and `variance`, or neither (then call adapt). "
                f"Received: mean={mean!r}, variance={variance!r}"
            )
        self.axis = axis if axis is None or isinstance(axis, int) else tuple(axis)
        self._axes = axes
        self.input_mean = mean
        self.input_variance = variance
        self.invert = bool(invert)

    def _kept_axes(self, input_shape) -> tuple[int, ...]:
        ndim = len(input_shape)
        kept = []
        for a in self._axes:
            if not -ndim <= a < ndim:
                raise ValueError(
                    f"{_who(self)}: axis {a} is out of range for inputs of rank {ndim} "
                    f"(shape {tuple(input_shape)})."
                )
            kept.append(a % ndim)
        return tuple(sorted(set(kept)))

    def build(self, input_shape) -> None:
        kept = self._kept_axes(input_shape)
        shape = tuple(input_shape[a] for a in kept)
        if any(s is None for s in shape):
            raise ValueError(
                f"{_who(self)}: the normalized axes {kept} must have known sizes. "
                f"Received input shape {tuple(input_shape)}."
            )
        self._kept = kept
        self._broadcast = tuple(input_shape[a] if a in kept else 1 for a in range(len(input_shape)))
        if self.input_mean is None:
            self.mean = self.add_weight(shape, "zeros", trainable=False, name="mean")
            self.variance = self.add_weight(shape, "ones", trainable=False, name="variance")
            self.count = self.add_weight((), "zeros", dtype="int64", trainable=False,
                                         name="count")
        else:
            self.mean = Tensor(np.broadcast_to(np.asarray(self.input_mean, self.dtype), shape))
            self.variance = Tensor(
                np.broadcast_to(np.asarray(self.input_variance, self.dtype), shape)
            )

    def adapt(self, data) -> None:
        """Compute the mean and variance of ``data`` (an array or a Dataset of batches).

        The statistics are accumulated batch by batch in float64 (Chan's parallel
        update), so a Dataset is read once and never held in memory.

        Args:
            data: an array ``(N, ...)``, or a ``dg.data.Dataset`` whose elements are
                batches of inputs alone (map ``(x, y)`` pairs to ``x`` first).

        Raises:
            ValueError: the data's shape does not match the layer's, or a Dataset
                yields tuples.
        """
        from deepgrad.data import Dataset

        if self.input_mean is not None:
            raise ValueError(
                f"{_who(self)}: adapt cannot be used when `mean` and `variance` were given."
            )
        batches = data if isinstance(data, Dataset) else [data]
        count, mean, m2 = 0, None, None
        for batch in batches:
            if isinstance(batch, (tuple, list, dict)):
                raise ValueError(
                    f"{_who(self)}: adapt expects a Dataset of inputs alone, got elements of "
                    f"type {type(batch).__name__}. To fix, pass ds.map(lambda x, y: x)."
                )
            array = np.asarray(batch.data if isinstance(batch, Tensor) else batch, np.float64)
            if not self.built:
                self.build((None,) + array.shape[1:])
                self.built = True
            reduce = tuple(a for a in range(array.ndim) if a not in self._kept)
            if array.ndim != len(self._broadcast) or any(
                array.shape[a] != self._broadcast[a] for a in self._kept
            ):
                raise ValueError(
                    f"{_who(self)}: adapt got data of shape {array.shape}, which does not "
                    f"match the layer's input shape (kept axes {self._kept} of sizes "
                    f"{[self._broadcast[a] for a in self._kept]})."
                )
            n = array.size // max(1, int(np.prod([array.shape[a] for a in self._kept])))
            if n == 0:
                continue
            batch_mean = array.mean(axis=reduce, keepdims=True)
            batch_m2 = ((array - batch_mean) ** 2).sum(axis=reduce, keepdims=True)
            if mean is None:
                count, mean, m2 = n, batch_mean, batch_m2
            else:
                delta = batch_mean - mean
                total = count + n
                mean = mean + delta * (n / total)
                m2 = m2 + batch_m2 + delta**2 * (count * n / total)
                count = total
        if mean is None:
            raise ValueError(f"{_who(self)}: adapt got no data.")
        shape = self.mean.shape
        self.mean.assign(mean.reshape(shape).astype(self.dtype))
        self.variance.assign((m2 / count).reshape(shape).astype(self.dtype))

    def call(self, inputs):
        mean = self.mean.data.reshape(self._broadcast)
        std = np.maximum(np.sqrt(self.variance.data.reshape(self._broadcast)), config.epsilon())
        std = std.astype(self.dtype)
        if self.invert:
            return inputs * Tensor(std) + Tensor(mean)
        return (inputs - Tensor(mean)) * Tensor((1.0 / std).astype(self.dtype))

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "axis": list(self.axis) if isinstance(self.axis, tuple) else self.axis,
            "mean": _plain(self.input_mean),
            "variance": _plain(self.input_variance),
            "invert": self.invert,
        }
