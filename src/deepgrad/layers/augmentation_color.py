"""Random colour augmentation layers: grayscale, invert, solarize, posterize, degenerate,
saturation, hue, and RandomColorJitter chaining brightness, contrast, saturation and hue.

Keras 3's layers of the same names, on NHWC images (``data_format='channels_first'``
moves NCHW to NHWC and back). Each layer draws its random values for the batch in
``transformation(n, rng)`` and applies them in ``transform(images, params)``, one
vectorised NumPy pass (the split Keras has, so tests can give both the same draws).
Like the other augmentation layers (:mod:`deepgrad.layers.augmentation`) they act in
training and when called directly, return the input with ``training=False``, and pass
no gradient back.

Factors follow Keras 3.15's code, which is not always its docstrings: a single number
``f`` means the range ``(max(-f, low), f)`` of the layer's bounds, so
``RandomSaturation(0.2)`` and ``RandomColorDegeneration(0.2)`` draw from ``(-0.2, 0.2)``
(their docs say ``(0, 0.2)``); give a pair ``(f, f)`` for a fixed amount.

>>> import deepgrad as dg
>>> images = np.random.default_rng(0).uniform(0, 255, (2, 4, 4, 3)).astype("float32")
>>> gray = dg.layers.RandomGrayscale(factor=1.0)(images).data
>>> bool(np.allclose(gray[..., 0], gray[..., 2]))
True
"""

from __future__ import annotations

import numpy as np

from deepgrad import config
from deepgrad.layers.augmentation import (
    BaseImageAugmentationLayer,
    RandomBrightness,
    RandomContrast,
    _is_number,
    _value_range,
    _who,
)

__all__ = [
    "RandomGrayscale",
    "RandomInvert",
    "Solarization",
    "RandomPosterization",
    "RandomColorDegeneration",
    "RandomSaturation",
    "RandomHue",
    "RandomColorJitter",
    "keras_factor",
    "to_range",
    "rgb_to_grayscale",
]

# tf.image.rgb_to_grayscale's weights, which Keras uses.
_LUMA = np.array([0.2989, 0.5870, 0.1140])


def keras_factor(layer, name: str, factor, bounds: tuple[float, float] = (-1.0, 1.0)):
    """Keras's ``_set_factor``: ``(lower, upper)`` from a number or a pair within ``bounds``.

    A number ``f`` gives ``(max(-|f|, bounds[0]), |f|)``; a pair is sorted.

    Raises:
        ValueError: not a number or a pair, or outside ``bounds``.

    >>> from deepgrad.layers.base import Layer
    >>> keras_factor(Layer(name="demo"), "factor", 0.3, (0, 1))
    (0.0, 0.3)
    """
    low, high = bounds
    if _is_number(factor) and low <= factor <= high:
        f = abs(float(factor))
        return max(-f, float(low)), f
    if (isinstance(factor, (tuple, list)) and len(factor) == 2
            and all(_is_number(v) for v in factor)
            and all(low <= v <= high for v in factor)):
        lower, upper = sorted(float(v) for v in factor)
        return lower, upper
    raise ValueError(
        f"{_who(layer)}: `{name}` must be a number or a pair of numbers in "
        f"[{low:g}, {high:g}]. Received: {name}={factor!r}"
    )


def to_range(images: np.ndarray, source, target) -> np.ndarray:
    """Map pixel values linearly from the ``source`` range to the ``target`` range.

    >>> to_range(np.array([0.0, 127.5, 255.0]), (0, 255), (0, 1)).tolist()
    [0.0, 0.5, 1.0]
    """
    if tuple(source) == tuple(target):
        return images
    dtype = images.dtype
    scale = np.asarray((target[1] - target[0]) / (source[1] - source[0]), dtype)
    return (images - dtype.type(source[0])) * scale + dtype.type(target[0])


def rgb_to_grayscale(images: np.ndarray) -> np.ndarray:
    """NHWC RGB to one luma channel ``0.2989 R + 0.5870 G + 0.1140 B`` (one channel kept).

    >>> rgb_to_grayscale(np.ones((1, 1, 1, 3), "float32")).shape
    (1, 1, 1, 1)
    """
    if images.shape[-1] == 1:
        return images.copy()
    return (images @ _LUMA.astype(images.dtype))[..., None]


def _rgb_to_hsv(images: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    eps = np.finfo(images.dtype).eps
    images = np.where(np.abs(images) < eps, 0, images)
    r, g, b = images[..., 0], images[..., 1], images[..., 2]
    value = images.max(axis=-1)
    spread = value - images.min(axis=-1)
    saturation = np.where(value > 0, spread / np.where(value > 0, value, 1), 0)
    norm = 1 / (6 * np.where(spread > 0, spread, 1))
    hue = np.where(value == g, norm * (b - r) + 2 / 6, norm * (r - g) + 4 / 6)
    hue = np.where(value == r, norm * (g - b), hue)
    hue = np.where(spread > 0, hue, 0) + (hue < 0)
    return hue, saturation, value


def _hsv_to_rgb(hue, saturation, value) -> np.ndarray:
    dh = np.mod(hue, 1) * 6
    weights = (np.clip(np.abs(dh - 3) - 1, 0, 1), np.clip(2 - np.abs(dh - 2), 0, 1),
               np.clip(2 - np.abs(dh - 4), 0, 1))
    return np.stack([value * (1 - saturation + saturation * w) for w in weights], axis=-1)


def _float(images: np.ndarray) -> np.ndarray:
    return images if images.dtype.kind == "f" else images.astype("float32")


def _rgb(layer, images: np.ndarray) -> None:
    if images.shape[-1] != 3:
        raise ValueError(
            f"{_who(layer)}: expected RGB images with 3 channels, got shape {images.shape}."
        )


class _ColorLayer(BaseImageAugmentationLayer):
    """``augment`` = ``transform(images, transformation(n, rng))``; a factor and value range."""

    _BOUNDS = (-1.0, 1.0)

    def __init__(self, factor=None, value_range=(0, 255), seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        if factor is not None:
            self.factor = keras_factor(self, "factor", factor, self._BOUNDS)
        self.value_range = _value_range(self, value_range)

    def transformation(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """One random value per image (uniform in the factor range)."""
        return rng.uniform(self.factor[0], self.factor[1], n)

    def transform(self, images: np.ndarray, params: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def augment(self, images, rng):
        return self.transform(_float(images), self.transformation(images.shape[0], rng))

    def get_config(self) -> dict:
        config = {**super().get_config(), "value_range": list(self.value_range)}
        if hasattr(self, "factor"):
            config["factor"] = list(self.factor)
        return config


class RandomGrayscale(_ColorLayer):
    """Turn each image to grayscale with probability ``factor``, in training.

    The luma ``0.2989 R + 0.5870 G + 0.1140 B`` replaces every channel (the channel
    count is kept).

    Args:
        factor: the probability, in [0, 1] (default 0.5).
        seed: an int for reproducible draws.
        data_format: ``'channels_last'`` (default) or ``'channels_first'``.

    >>> x = np.array([[[[255.0, 0.0, 0.0]]]], "float32")
    >>> RandomGrayscale(1.0)(x).data.round(2).tolist()
    [[[[76.22, 76.22, 76.22]]]]
    """

    def __init__(self, factor: float = 0.5, data_format=None, seed=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        if not _is_number(factor) or not 0 <= factor <= 1:
            raise ValueError(
                f"{_who(self)}: `factor` must be a number in [0, 1]. Received: factor={factor!r}"
            )
        self.probability = float(factor)

    def transformation(self, n, rng):
        return rng.uniform(0, 1, n) < self.probability

    def transform(self, images, params):
        return np.where(params[:, None, None, None], rgb_to_grayscale(images), images)

    def get_config(self) -> dict:
        config = super().get_config()
        del config["value_range"]
        return {**config, "factor": self.probability}


class RandomInvert(_ColorLayer):
    """Invert each image (``high - x``) with a random probability, in training.

    As Keras: each image draws a probability ``p`` uniformly from the factor range and
    is inverted when a second uniform draw falls below ``p`` (so ``factor=1.0``, the
    range ``(0, 1)``, inverts half of the images; ``(1, 1)`` all of them).

    Args:
        factor: a number in [0, 1] (the range ``(0, factor)``) or a pair.
        value_range: ``(low, high)`` of the pixel values.
        seed: an int for reproducible draws.

    >>> RandomInvert((1, 1))(np.full((1, 1, 1, 1), 55.0, "float32")).data.ravel().tolist()
    [200.0]
    """

    _BOUNDS = (0.0, 1.0)

    def __init__(self, factor=1.0, value_range=(0, 255), seed=None, data_format=None, **kwargs):
        super().__init__(factor, value_range, seed=seed, data_format=data_format, **kwargs)

    def transformation(self, n, rng):
        probability = rng.uniform(self.factor[0], self.factor[1], n)
        return rng.uniform(0, 1, n) < probability

    def transform(self, images, params):
        high = images.dtype.type(self.value_range[1])
        return np.where(params[:, None, None, None], high - images, images)


class Solarization(_ColorLayer):
    """Add a random amount, then invert the pixels at or above a random threshold.

    On the 0..255 scale: ``y = clip(x + addition, 0, 255)``, then ``255 - y`` where
    ``y >= threshold``. As Keras 3.15, ``addition`` is drawn from
    ``[addition_factor[0], addition_factor[1] * 255]`` and ``threshold`` from
    ``[threshold_factor[0], threshold_factor[1] * 255]`` (the lower ends unscaled), so
    the defaults ``0, 0`` invert every pixel. Unlike the others, it has no
    ``data_format``-dependent work (a per-pixel rule).

    Args:
        addition_factor: a number in [0, 1] (the range ``(0, f)``) or a pair.
        threshold_factor: a number in [0, 1] or a pair.
        value_range: ``(low, high)`` of the pixel values.
        seed: an int for reproducible draws.

    >>> x = np.array([[[[10.0], [200.0]]]], "float32")
    >>> Solarization(threshold_factor=(0.5, 0.5))(x).data.ravel().tolist()
    [10.0, 55.0]
    """

    def __init__(self, addition_factor=0.0, threshold_factor=0.0, value_range=(0, 255),
                 seed=None, **kwargs):
        super().__init__(None, value_range, seed=seed, **kwargs)
        self.addition_factor = keras_factor(self, "addition_factor", addition_factor, (0, 1))
        self.threshold_factor = keras_factor(self, "threshold_factor", threshold_factor, (0, 1))

    def transformation(self, n, rng):
        additions = rng.uniform(self.addition_factor[0], self.addition_factor[1] * 255, n)
        thresholds = rng.uniform(self.threshold_factor[0], self.threshold_factor[1] * 255, n)
        return np.stack([additions, thresholds], axis=1)

    def transform(self, images, params):
        params = params.astype(images.dtype)[:, None, None, None, :]
        out = to_range(images, self.value_range, (0, 255))
        out = np.clip(out + params[..., 0], 0, 255)
        out = np.where(out < params[..., 1], out, 255 - out)
        return to_range(out, (0, 255), self.value_range)

    def get_config(self) -> dict:
        return {**super().get_config(), "addition_factor": list(self.addition_factor),
                "threshold_factor": list(self.threshold_factor)}


class RandomPosterization(_ColorLayer):
    """Keep only the top ``bits`` bits of each 8-bit pixel value, in training.

    Each image draws ``bits`` as an integer in ``[factor[0], factor[1])`` (Keras's
    ``randint``; a pair of equal numbers fixes it); values are mapped to 0..255, cut to
    uint8, shifted right then left by ``8 - bits``, and mapped back.

    Args:
        factor: an int in [1, 8] (the range ``(1, factor)``) or a pair.
        value_range: ``(low, high)`` of the pixel values.
        seed: an int for reproducible draws.

    >>> RandomPosterization((2, 2))(np.full((1, 1, 1, 1), 200.0, "float32")).data.item()
    192.0
    """

    _BOUNDS = (1, 8)

    def __init__(self, factor, value_range=(0, 255), data_format=None, seed=None, **kwargs):
        super().__init__(factor, value_range, seed=seed, data_format=data_format, **kwargs)
        self.factor = (int(self.factor[0]), int(self.factor[1]))

    def transformation(self, n, rng):
        low, high = self.factor
        bits = rng.integers(low, high, n) if low != high else np.full(n, low)
        return 8 - bits

    def transform(self, images, params):
        shift = params.astype(np.uint8)[:, None, None, None]
        pixels = to_range(images, self.value_range, (0, 255)).astype(np.uint8)
        pixels = (pixels >> shift) << shift
        return to_range(pixels.astype(images.dtype), (0, 255), self.value_range)


class RandomColorDegeneration(_ColorLayer):
    """Blend each image toward its grayscale version by a random amount, in training.

    ``x + f * (gray(x) - x)``, clipped to ``value_range``; ``f`` is drawn per image from
    the factor range (negative ``f`` moves away from gray, as Keras allows).

    Args:
        factor: a number in [-1, 1] (the range ``(-|f|, |f|)``) or a pair.
        value_range: ``(low, high)`` of the pixel values.
        seed: an int for reproducible draws.

    >>> x = np.array([[[[255.0, 0.0, 0.0]]]], "float32")
    >>> RandomColorDegeneration((1, 1))(x).data.round(2).tolist()
    [[[[76.22, 76.22, 76.22]]]]
    """

    def __init__(self, factor, value_range=(0, 255), data_format=None, seed=None, **kwargs):
        super().__init__(factor, value_range, seed=seed, data_format=data_format, **kwargs)

    def transform(self, images, params):
        f = params.astype(images.dtype)[:, None, None, None]
        out = images + f * (rgb_to_grayscale(images) - images)
        return np.clip(out, *self.value_range)


class RandomSaturation(_ColorLayer):
    """Scale each image's HSV saturation by a random amount, in training.

    Each image draws ``f`` from the factor range and its saturation is multiplied by
    ``f / (1 - f + epsilon)`` (:func:`deepgrad.config.epsilon`): ``f = 0.5`` keeps the
    image, 0 makes it gray, values near 1 saturate it. Keras clips the new saturation to
    ``value_range``, which lets it pass 1 with ``(0, 255)`` images (negative pixels come
    out); deepgrad clips it to [0, 1].

    Args:
        factor: a number in [-1, 1] (the range ``(-|f|, |f|)``) or a pair.
        value_range: ``(low, high)`` of the pixel values.
        seed: an int for reproducible draws.

    >>> x = np.array([[[[200.0, 100.0, 50.0]]]], "float32")
    >>> RandomSaturation((0.5, 0.5))(x).data.round(1).tolist()
    [[[[200.0, 100.0, 50.0]]]]
    """

    def __init__(self, factor, value_range=(0, 255), data_format=None, seed=None, **kwargs):
        super().__init__(factor, value_range, seed=seed, data_format=data_format, **kwargs)

    def transformation(self, n, rng):
        f = rng.uniform(self.factor[0], self.factor[1], n)
        return f / (1 - f + config.epsilon())

    def transform(self, images, params):
        _rgb(self, images)
        hue, saturation, value = _rgb_to_hsv(images)
        saturation = np.clip(saturation * params.astype(images.dtype)[:, None, None], 0, 1)
        return _hsv_to_rgb(hue, saturation, value).astype(images.dtype)


class RandomHue(_ColorLayer):
    """Rotate each image's hue by a random amount, in training.

    Each image draws ``f`` from the factor range and a random sign; its hue (in [0, 1])
    moves by ``sign * f / 2``, wrapping around; the result is clipped to the value range.

    Args:
        factor: a number in [0, 1] (the range ``(0, f)``) or a pair.
        value_range: ``(low, high)`` of the pixel values.
        seed: an int for reproducible draws.

    >>> x = np.array([[[[1.0, 0.0, 0.0]]]], "float32")
    >>> out = RandomHue((1, 1), value_range=(0, 1))(x).data  # half a turn: red -> cyan
    >>> out.round(3).tolist()
    [[[[0.0, 1.0, 1.0]]]]
    """

    _BOUNDS = (0.0, 1.0)

    def __init__(self, factor, value_range=(0, 255), data_format=None, seed=None, **kwargs):
        super().__init__(factor, value_range, seed=seed, data_format=data_format, **kwargs)

    def transformation(self, n, rng):
        sign = np.where(rng.uniform(0, 1, n) > 0.5, -1.0, 1.0)
        return sign * rng.uniform(self.factor[0], self.factor[1], n) * 0.5

    def transform(self, images, params):
        _rgb(self, images)
        hue, saturation, value = _rgb_to_hsv(to_range(images, self.value_range, (0, 1)))
        hue = hue + params.astype(images.dtype)[:, None, None]
        hue = np.where(hue > 1, hue - 1, hue)
        hue = np.where(hue < 0, hue + 1, hue)
        out = np.clip(_hsv_to_rgb(hue, saturation, value), 0, 1).astype(images.dtype)
        return to_range(out, (0, 1), self.value_range)


class RandomColorJitter(BaseImageAugmentationLayer):
    """Random brightness, contrast, saturation and hue, in that order, in training.

    Each factor left ``None`` skips its step; each step is the layer of that name
    (:class:`RandomBrightness`, :class:`RandomContrast`, :class:`RandomSaturation`,
    :class:`RandomHue`) with this layer's ``value_range``, drawing its own values.

    Args:
        value_range: ``(low, high)`` of the pixel values.
        brightness_factor, contrast_factor, saturation_factor, hue_factor: each step's
            ``factor``, or None.
        seed: an int for reproducible draws.

    >>> jitter = RandomColorJitter((0, 1), brightness_factor=0.1, hue_factor=0.2, seed=1)
    >>> jitter(np.full((2, 3, 3, 3), 0.5, "float32")).shape
    (2, 3, 3, 3)
    """

    def __init__(self, value_range=(0, 255), brightness_factor=None, contrast_factor=None,
                 saturation_factor=None, hue_factor=None, seed=None, data_format=None,
                 **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.value_range = _value_range(self, value_range)
        self.factors = {"brightness_factor": brightness_factor,
                        "contrast_factor": contrast_factor,
                        "saturation_factor": saturation_factor, "hue_factor": hue_factor}
        kinds = (RandomBrightness, RandomContrast, RandomSaturation, RandomHue)
        self._steps = [kind(factor, value_range=self.value_range, name=f"{self.name}_{key}")
                       for kind, (key, factor) in zip(kinds, self.factors.items(), strict=True)
                       if factor is not None]

    def augment(self, images, rng):
        out = _float(images)
        for step in self._steps:
            out = step.augment(out, rng)
        return out

    def get_config(self) -> dict:
        factors = {k: list(v) if isinstance(v, tuple) else v for k, v in self.factors.items()}
        return {**super().get_config(), "value_range": list(self.value_range), **factors}
