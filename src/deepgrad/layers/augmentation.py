"""Random image augmentation layers, active only in training: flips, contrast, brightness, crops.

Keras 3's augmentation layers, on NHWC images (a batch, or one image without the
batch axis). Each layer draws one random value per image and transforms the whole
batch in a few vectorised NumPy passes; the geometric ones (rotation, translation,
zoom, in :mod:`deepgrad.layers.augmentation_geometric`) make one batched warp call.

When they act (Keras's rule): with ``training=True`` (``fit`` passes it) and when
called directly without ``training`` (so ``augment(images)`` shows augmented
images); ``training=False`` (``predict``, ``evaluate``, validation) returns the input
unchanged. (``GaussianNoise`` is a regularization layer, in
:mod:`deepgrad.layers.regularization`, and adds noise only with ``training=True``.)

Randomness: draws come from deepgrad's global generator, so one
``dg.utils.set_random_seed`` makes a run reproducible; ``seed=`` gives a layer its
own generator instead. Outputs carry no gradient to their input: these layers sit
at the start of a model, on the data, as in Keras.

>>> import deepgrad as dg
>>> flip = dg.layers.RandomFlip("horizontal", seed=0)
>>> images = np.arange(8, dtype="float32").reshape(2, 1, 4, 1)
>>> flip(images, training=False).data[..., 0].tolist()
[[[0.0, 1.0, 2.0, 3.0]], [[4.0, 5.0, 6.0, 7.0]]]
>>> flip(images).data.shape
(2, 1, 4, 1)
"""

from __future__ import annotations

import numpy as np

from deepgrad import random as dg_random
from deepgrad.kernels.resize import resize_images
from deepgrad.layers.base import Layer
from deepgrad.layers.core import positive_int
from deepgrad.layers.data_format import (
    standardize_data_format,
    to_channels_first,
    to_channels_last,
)
from deepgrad.tensor import Tensor

__all__ = [
    "BaseImageAugmentationLayer",
    "RandomFlip",
    "RandomContrast",
    "RandomBrightness",
    "RandomCrop",
    "factor_range",
    "as_config",
]


def _who(layer: Layer) -> str:
    return f"{type(layer).__name__} '{layer.name}'"


def _image_batch(layer: Layer, inputs) -> tuple[np.ndarray, bool]:
    """``inputs`` as an NHWC array, and whether a single image was given.

    With ``layer.data_format == 'channels_first'`` the NCHW input is moved to NHWC (a
    view; :func:`_images_out` moves the result back).
    """
    array = inputs.data if isinstance(inputs, Tensor) else np.asarray(inputs)
    first = getattr(layer, "data_format", "channels_last") == "channels_first"
    if array.ndim not in (3, 4):
        layout = "channels, height, width" if first else "height, width, channels"
        raise ValueError(
            f"{_who(layer)}: expected images of shape (batch, {layout}) or ({layout}), got "
            f"shape {array.shape}."
        )
    batch, single = (array[None], True) if array.ndim == 3 else (array, False)
    return (to_channels_last(batch) if first else batch), single


def _images_out(layer: Layer, images: np.ndarray, single: bool) -> Tensor:
    """The NHWC result of :func:`_image_batch`'s batch as a Tensor in the input's layout."""
    if getattr(layer, "data_format", "channels_last") == "channels_first":
        images = np.ascontiguousarray(to_channels_first(images))
    return Tensor(images[0] if single else images)


def _resized_shape(layer: Layer, input_shape, height: int, width: int) -> tuple:
    """The shape of images of ``input_shape`` resized or cropped to ``height x width``."""
    if getattr(layer, "data_format", "channels_last") == "channels_first":
        return tuple(input_shape[:-2]) + (height, width)
    return tuple(input_shape[:-3]) + (height, width, input_shape[-1])


def _is_number(value) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)


def factor_range(
    layer: Layer,
    name: str,
    factor,
    low: float = -1.0,
    high: float = 1.0,
    symmetric: bool = True,
) -> tuple[float, float]:
    """``(lower, upper)`` from Keras's factor argument: a number or a pair of numbers.

    A number ``f`` means ``(-|f|, |f|)`` (``symmetric``) or ``(f, f)``; a pair is
    taken as given. Every value must lie in ``[low, high]`` and ``lower <= upper``.

    Args:
        layer: the layer, named in errors.
        name: the argument's name, e.g. ``'factor'``.
        factor: the value given.
        low: the smallest allowed value.
        high: the largest allowed value.
        symmetric: whether one number means ``(-|f|, |f|)`` rather than ``(f, f)``.

    Returns:
        ``(lower, upper)`` as floats.

    Raises:
        ValueError: not a number or a pair, out of range, or ``lower > upper``.

    >>> factor_range(Layer(name="demo"), "factor", 0.2)
    (-0.2, 0.2)
    """
    if _is_number(factor):
        f = float(factor)
        pair = (-abs(f), abs(f)) if symmetric else (f, f)
    elif (
        isinstance(factor, (tuple, list))
        and len(factor) == 2
        and all(_is_number(v) for v in factor)
    ):
        pair = (float(factor[0]), float(factor[1]))
    else:
        pair = None
    if pair is None or any(not low <= v <= high for v in pair) or pair[0] > pair[1]:
        raise ValueError(
            f"{_who(layer)}: `{name}` must be a number or a (lower, upper) pair with "
            f"lower <= upper, each in [{low:g}, {high:g}]. Received: {name}={factor!r}"
        )
    return pair


def as_config(value):
    """A tuple argument as a list, as it reads back from a JSON config."""
    return list(value) if isinstance(value, tuple) else value


def _value_range(layer: Layer, value_range) -> tuple[float, float]:
    ok = isinstance(value_range, (tuple, list)) and len(value_range) == 2
    if not ok or not all(_is_number(v) for v in value_range) or value_range[0] >= value_range[1]:
        raise ValueError(
            f"{_who(layer)}: `value_range` must be a pair (low, high) with low < high. "
            f"Received: value_range={value_range!r}"
        )
    return float(value_range[0]), float(value_range[1])


class BaseImageAugmentationLayer(Layer):
    """Base of the random image layers: the seed, the training switch and image checks.

    Subclasses implement ``augment(images, rng)`` on a float NHWC batch (a NumPy
    array) and return the new batch.

    Args:
        seed: an int for a layer-own generator; None draws from the global one.
        data_format: ``'channels_last'`` (default) or ``'channels_first'`` (NCHW, moved
            to NHWC and back around the NumPy work: two copies of the batch).

    >>> BaseImageAugmentationLayer(seed=3).get_config()["seed"]
    3
    """

    def __init__(self, seed: int | None = None, data_format: str | None = None, **kwargs):
        super().__init__(**kwargs)
        if seed is not None and (
            isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0
        ):
            raise ValueError(
                f"{_who(self)}: `seed` must be an int >= 0 or None. Received: seed={seed!r}"
            )
        self.seed = None if seed is None else int(seed)
        self.data_format = standardize_data_format(_who(self), data_format)
        self._generator = None if seed is None else dg_random.make_generator(seed)

    def _rng(self) -> np.random.Generator:
        return dg_random.generator_of(self._generator, self.seed)

    def augment(self, images: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Transform a float NHWC batch; subclasses override it."""
        raise NotImplementedError

    def call(self, inputs, training=True):
        if training is False:
            return inputs
        images, single = _image_batch(self, inputs)
        if images.shape[0] == 0:
            return inputs
        return _images_out(self, self.augment(images, self._rng()), single)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self) -> dict:
        return {**super().get_config(), "seed": self.seed, "data_format": self.data_format}


_FLIP_MODES = ("horizontal", "vertical", "horizontal_and_vertical")


class RandomFlip(BaseImageAugmentationLayer):
    """Flip each image left-right and/or up-down with probability 1/2 each, in training.

    Args:
        mode: ``'horizontal'`` (left-right), ``'vertical'`` (up-down) or
            ``'horizontal_and_vertical'`` (each independently).
        seed: an int for reproducible flips; None uses the global generator.

    Input shape: ``(batch, height, width, channels)`` or one image. Output: the same.

    >>> x = np.zeros((1000, 1, 2, 1), "float32"); x[:, 0, 1] = 1.0
    >>> out = RandomFlip("horizontal", seed=1)(x).data
    >>> 0.45 < float(out[:, 0, 0, 0].mean()) < 0.55  # about half flipped
    True
    """

    def __init__(self, mode: str = "horizontal_and_vertical", seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        if mode not in _FLIP_MODES:
            raise ValueError(
                f"{_who(self)}: `mode` must be one of {', '.join(repr(m) for m in _FLIP_MODES)}. "
                f"Received: mode={mode!r}"
            )
        self.mode = mode

    def augment(self, images, rng):
        n = images.shape[0]
        out = images
        if self.mode != "vertical":
            flip = rng.random(n) < 0.5
            out = np.where(flip[:, None, None, None], out[:, :, ::-1], out)
        if self.mode != "horizontal":
            flip = rng.random(n) < 0.5
            out = np.where(flip[:, None, None, None], out[:, ::-1], out)
        return out

    def get_config(self) -> dict:
        return {**super().get_config(), "mode": self.mode}


class RandomContrast(BaseImageAugmentationLayer):
    """Scale each image's distance from its channel means by a random factor, in training.

    Each image draws ``c`` uniformly from ``[1 - lower, 1 + upper]`` and becomes
    ``(x - mean) * c + mean`` (means over height and width, per channel), clipped to
    ``value_range``.

    Args:
        factor: a number ``f`` in [0, 1] (``lower = upper = f``) or a pair
            ``(lower, upper)``, each in [0, 1].
        value_range: ``(low, high)``, the range of the pixel values (outputs are clipped).
        seed: an int for reproducible draws.

    Raises:
        ValueError: a factor outside [0, 1] or a bad ``value_range``.

    >>> x = np.array([[[[50.0], [150.0]]]], "float32")
    >>> RandomContrast(0.5, seed=0)(x).data.mean()  # the mean is kept
    np.float32(100.0)
    """

    def __init__(self, factor, value_range=(0, 255), seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.lower, self.upper = factor_range(self, "factor", factor, 0.0, 1.0, symmetric=False)
        self.factor = factor
        self.value_range = _value_range(self, value_range)

    def augment(self, images, rng):
        n = images.shape[0]
        dtype = images.dtype
        contrast = rng.uniform(1.0 - self.lower, 1.0 + self.upper, n).astype(dtype)
        mean = images.mean(axis=(1, 2), keepdims=True, dtype=dtype)
        out = images - mean
        out *= contrast[:, None, None, None]
        out += mean
        return np.clip(out, *self.value_range, out=out)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "factor": as_config(self.factor),
            "value_range": list(self.value_range),
        }


class RandomBrightness(BaseImageAugmentationLayer):
    """Add a random amount to each image, in training, clipped to ``value_range``.

    Each image draws ``d`` uniformly from ``[lower, upper]`` and gets
    ``d * (high - low)`` added to every pixel and channel.

    Args:
        factor: a number ``f`` (the range ``[-f, f]``) or a pair ``(lower, upper)``,
            each in [-1, 1], as fractions of the value range.
        value_range: ``(low, high)``, the range of the pixel values, e.g. ``(0, 1)``.
        seed: an int for reproducible draws.

    Raises:
        ValueError: a factor outside [-1, 1] or a bad ``value_range``.

    >>> x = np.full((2, 1, 1, 1), 0.5, "float32")
    >>> out = RandomBrightness((0.1, 0.1), value_range=(0, 1))(x).data
    >>> out.ravel().tolist()
    [0.6000000238418579, 0.6000000238418579]
    """

    def __init__(self, factor, value_range=(0, 255), seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.lower, self.upper = factor_range(self, "factor", factor)
        self.factor = factor
        self.value_range = _value_range(self, value_range)

    def augment(self, images, rng):
        low, high = self.value_range
        delta = rng.uniform(self.lower, self.upper, images.shape[0]) * (high - low)
        out = images + delta.astype(images.dtype)[:, None, None, None]
        return np.clip(out, low, high, out=out)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "factor": as_config(self.factor),
            "value_range": list(self.value_range),
        }


class RandomCrop(BaseImageAugmentationLayer):
    """Crop each image at a random place to ``height x width`` in training, as Keras does.

    In training every image gets its own random window (one gather for the batch).
    At inference, and in training when an image is smaller than the target, Keras's
    rule applies: the largest centred window with the target's aspect ratio is cut
    and resized (bilinear) to ``height x width``. (A centred crop of the target
    size is :class:`~deepgrad.layers.CenterCrop`.)

    Args:
        height: the output height.
        width: the output width.
        seed: an int for reproducible crops.

    Input shape: ``(batch, H, W, C)`` or one image. Output: ``(batch, height, width, C)``.

    >>> x = np.arange(16, dtype="float32").reshape(1, 4, 4, 1)
    >>> RandomCrop(2, 2, seed=0)(x).shape, RandomCrop(2, 2)(x, training=False).shape
    ((1, 2, 2, 1), (1, 2, 2, 1))
    """

    def __init__(self, height: int, width: int, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.height = positive_int(self, "height", height)
        self.width = positive_int(self, "width", width)

    def call(self, inputs, training=True):
        images, single = _image_batch(self, inputs)
        n, h, w, _ = images.shape
        if training is False or h < self.height or w < self.width:
            out = resize_images(images, (self.height, self.width), crop_to_aspect_ratio=True)
        else:
            out = self.augment(images, self._rng())
        return _images_out(self, out, single)

    def augment(self, images, rng):
        n, h, w, _ = images.shape
        top = rng.integers(0, h - self.height + 1, n)
        left = rng.integers(0, w - self.width + 1, n)
        rows = top[:, None, None] + np.arange(self.height)[None, :, None]
        cols = left[:, None, None] + np.arange(self.width)[None, None, :]
        return images[np.arange(n)[:, None, None], rows, cols]

    def compute_output_shape(self, input_shape):
        return _resized_shape(self, input_shape, self.height, self.width)

    def get_config(self) -> dict:
        return {**super().get_config(), "height": self.height, "width": self.width}
