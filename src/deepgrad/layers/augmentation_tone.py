"""Tone layers: AutoContrast, Equalization (histogram equalisation), RandomSharpness.

Keras 3's layers of those names on NHWC images, in NumPy, passing no gradient back
(see :mod:`deepgrad.layers.augmentation`). ``AutoContrast`` acts at inference too, as
in Keras; the other two only in training and when called directly.

>>> import deepgrad as dg
>>> x = np.array([[[[50.0], [100.0]]]], "float32")
>>> dg.layers.AutoContrast()(x, training=False).data.ravel().tolist()
[0.0, 255.0]
"""

from __future__ import annotations

import numpy as np

from deepgrad.layers.augmentation import _image_batch, _images_out, _who
from deepgrad.layers.augmentation_color import _ColorLayer, to_range
from deepgrad.layers.core import positive_int

__all__ = ["AutoContrast", "Equalization", "RandomSharpness"]


class AutoContrast(_ColorLayer):
    """Stretch each image's channels to the full value range, at training and inference.

    Per image and channel, the smallest value maps to ``low`` and the largest to
    ``high``; a flat channel is left as it was.

    Args:
        value_range: ``(low, high)`` of the pixel values.
        data_format: ``'channels_last'`` (default) or ``'channels_first'``.

    >>> AutoContrast((0, 1))(np.array([[[[0.2], [0.3], [0.6]]]], "float32")).data.ravel()
    array([0.  , 0.25, 1.  ], dtype=float32)
    """

    def __init__(self, value_range=(0, 255), **kwargs):
        super().__init__(None, value_range, **kwargs)

    def call(self, inputs, training=True):
        images, single = _image_batch(self, inputs)
        return _images_out(self, self.augment(images, None), single)

    def transformation(self, n, rng):
        return None

    def transform(self, images, params):
        scaled = to_range(images, self.value_range, (0, 255))
        low = scaled.min(axis=(1, 2), keepdims=True)
        high = scaled.max(axis=(1, 2), keepdims=True)
        with np.errstate(divide="ignore", invalid="ignore"):
            scale = 255 / (high - low)
            out = np.clip(scaled * scale - low * scale, 0, 255)
        out = to_range(out, (0, 255), self.value_range)
        return np.where(np.isnan(out), images, out)

    def get_config(self) -> dict:
        config = super().get_config()
        del config["seed"]
        return config


class Equalization(_ColorLayer):
    """Histogram equalisation of each channel over the batch, in training.

    As Keras 3.15: values are mapped to 0..255 and put in ``bins`` bins per channel,
    counted over the whole batch (not per image); each value becomes its bin's
    cumulative count rescaled to 0..255 and rounded. A channel whose values all fall in
    one bin is left as it was.

    Args:
        value_range: ``(low, high)`` of the pixel values.
        bins: the number of histogram bins (default 256).
        data_format: ``'channels_last'`` (default) or ``'channels_first'``.

    >>> x = np.array([[[[0.0], [10.0], [10.0], [20.0]]]], "float32")
    >>> Equalization()(x).data.ravel().tolist()
    [0.0, 170.0, 170.0, 255.0]
    """

    def __init__(self, value_range=(0, 255), bins: int = 256, data_format=None, **kwargs):
        super().__init__(None, value_range, data_format=data_format, **kwargs)
        self.bins = positive_int(_who(self), "bins", bins)

    def transformation(self, n, rng):
        return None

    def _equalize(self, channel: np.ndarray) -> np.ndarray:
        bins = self.bins
        index = np.clip((channel.astype(np.float32) * ((bins - 1) / 255)).astype(np.int32),
                        0, bins - 1)
        hist = np.bincount(index.ravel(), minlength=bins)
        if np.count_nonzero(hist) <= 1:
            return channel
        cdf = np.cumsum(hist)
        cdf_min = cdf[np.nonzero(cdf)[0][0]]
        denominator = (cdf[-1] - cdf_min) or 1
        table = np.clip(np.round((cdf - cdf_min) * 255 / denominator), 0, 255)
        lookup = np.clip(channel / 255 * (bins - 1), 0, bins - 1).astype(np.int32)
        return table[lookup].astype(channel.dtype)

    def transform(self, images, params):
        scaled = to_range(images, self.value_range, (0, 255))
        out = np.stack([self._equalize(scaled[..., c]) for c in range(images.shape[-1])],
                       axis=-1)
        return to_range(out, (0, 255), self.value_range)

    def get_config(self) -> dict:
        config = super().get_config()
        del config["seed"]
        return {**config, "bins": self.bins}


class RandomSharpness(_ColorLayer):
    """Sharpen or blur each image by a random amount, in training.

    Each image draws ``f`` from the factor range; with ``s`` the image smoothed by the
    3x3 kernel ``[[1, 1, 1], [1, 5, 1], [1, 1, 1]] / 13`` (zero padding, as Keras), the
    output is ``x + (1 - 2 f) * (s - x)``, clipped: ``f = 0`` is the smoothed image,
    0.5 the original, 1 sharpened.

    Args:
        factor: a number in [0, 1] (the range ``(0, f)``) or a pair.
        value_range: ``(low, high)`` of the pixel values.
        seed: an int for reproducible draws.

    >>> x = np.zeros((1, 3, 3, 1), "float32"); x[0, 1, 1] = 130.0
    >>> RandomSharpness((0.0, 0.0))(x).data[0, :, :, 0].tolist()
    [[10.0, 10.0, 10.0], [10.0, 50.0, 10.0], [10.0, 10.0, 10.0]]
    """

    _BOUNDS = (0.0, 1.0)

    def __init__(self, factor, value_range=(0, 255), data_format=None, seed=None, **kwargs):
        super().__init__(factor, value_range, seed=seed, data_format=data_format, **kwargs)

    def transform(self, images, params):
        dtype = images.dtype
        padded = np.pad(images, ((0, 0), (1, 1), (1, 1), (0, 0)))
        h, w = images.shape[1:3]
        window = sum(padded[:, i:i + h, j:j + w] for i in range(3) for j in range(3))
        smoothed = (window + 4 * images) * dtype.type(1 / 13)
        amount = (1 - 2 * params).astype(dtype)[:, None, None, None]
        return np.clip(images + amount * (smoothed - images), *self.value_range)

