"""Random warps: RandomPerspective and RandomElasticTransform (Keras 3's layers).

They draw as Keras draws and warp with ``dg.ops.image.perspective_transform`` and
``dg.ops.image.elastic_transform`` (called on the NumPy batch; no gradient is kept).
Like the other augmentation layers they act in training and when called directly and
return the input with ``training=False``.

>>> import deepgrad as dg
>>> images = np.random.default_rng(0).uniform(0, 255, (2, 8, 8, 3)).astype("float32")
>>> dg.layers.RandomPerspective(seed=1)(images).shape
(2, 8, 8, 3)
"""

from __future__ import annotations

import numpy as np

from deepgrad.kernels.affine import check_fill_mode
from deepgrad.kernels.image_common import check_interpolation
from deepgrad.layers.augmentation import _is_number, _value_range, _who
from deepgrad.layers.augmentation_color import _float, keras_factor
from deepgrad.layers.augmentation_mix import _RegionLayer
from deepgrad.ops import image as image_ops
from deepgrad.tensor import no_grad

__all__ = ["RandomPerspective", "RandomElasticTransform"]


def _number(layer, name: str, value) -> float:
    if not _is_number(value):
        raise ValueError(
            f"{_who(layer)}: `{name}` must be a number. Received: {name}={value!r}"
        )
    return float(value)


class RandomPerspective(_RegionLayer):
    """Move each image's corners by random amounts (a perspective warp), in training.

    As Keras 3.15: an image is warped when a uniform draw falls below a probability drawn
    from the factor range; each corner ``p`` moves to ``p + p * d`` with ``d`` uniform in
    ``[-scale / 2, scale / 2]`` per coordinate (so the top-left corner stays); pixels
    from outside the image get ``fill_value``.

    Args:
        factor: a number in [0, 1] (the range ``(0, f)``) or a pair: the probability.
        scale: the largest corner move, a fraction of the corner's coordinates, in [0, 1].
        interpolation: ``'bilinear'`` or ``'nearest'``.
        fill_value: the value of pixels from outside the image.
        seed: an int for reproducible draws.

    >>> RandomPerspective(scale=0.5).get_config()["scale"]
    0.5
    """

    def __init__(self, factor=1.0, scale: float = 1.0, interpolation: str = "bilinear",
                 fill_value: float = 0.0, seed=None, data_format=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.factor = keras_factor(self, "factor", factor, (0, 1))
        self.scale = _number(self, "scale", scale)
        if not 0 <= self.scale <= 1:
            raise ValueError(
                f"{_who(self)}: `scale` must be in [0, 1]. Received: scale={scale!r}"
            )
        self.interpolation = check_interpolation(interpolation, _who(self))
        self.fill_value = _number(self, "fill_value", fill_value)

    def transformation(self, images, rng):
        n, h, w = images.shape[:3]
        probability = rng.uniform(self.factor[0], self.factor[1], n)
        apply = rng.uniform(0, 1, n) < probability
        moves = rng.uniform(-0.5 * self.scale, 0.5 * self.scale, (n, 4, 2))
        start = np.repeat(np.array([[[0.0, 0.0], [w - 1, 0.0], [0.0, h - 1], [w - 1, h - 1]]]),
                          n, axis=0)
        end = np.where(apply[:, None, None], start + start * moves, start)
        return {"apply_perspective": apply, "start_points": start, "end_points": end}

    def transform(self, images, params):
        with no_grad():
            out = image_ops.perspective_transform(
                images, params["start_points"].astype(images.dtype),
                params["end_points"].astype(images.dtype), interpolation=self.interpolation,
                fill_value=self.fill_value).data
        return np.where(params["apply_perspective"][:, None, None, None], out, images)

    def get_config(self) -> dict:
        return {**super().get_config(), "factor": list(self.factor), "scale": self.scale,
                "interpolation": self.interpolation, "fill_value": self.fill_value}


class RandomElasticTransform(_RegionLayer):
    """Distort each image with a smooth random displacement field, in training.

    As Keras 3.15: one distortion ``d`` per batch is drawn from the scale range; the
    field has strength ``alpha = 0.1 d max(h, w)`` and smoothness
    ``sigma = 0.05 d min(h, w)`` (``dg.ops.image.elastic_transform``); an image is
    distorted when a uniform draw falls below a probability drawn from the factor range;
    the result is clipped to ``value_range``.

    Args:
        factor: a number in [0, 1] (the range ``(0, f)``) or a pair: the probability.
        scale: a number in [0, 1] (the range ``(0, s)``) or a pair: the distortion.
        interpolation: ``'bilinear'`` or ``'nearest'``.
        fill_mode: ``'reflect'``, ``'wrap'``, ``'constant'`` or ``'nearest'``.
        fill_value: the value outside the image for ``fill_mode='constant'``.
        value_range: ``(low, high)`` of the pixel values.
        seed: an int for reproducible draws.

    >>> x = np.random.default_rng(0).uniform(0, 255, (1, 16, 16, 1)).astype("float32")
    >>> out = RandomElasticTransform((1, 1), scale=(1, 1), seed=0)(x).data
    >>> out.shape, bool((out != x).any())
    ((1, 16, 16, 1), True)
    """

    def __init__(self, factor=1.0, scale=1.0, interpolation: str = "bilinear",
                 fill_mode: str = "reflect", fill_value: float = 0.0, value_range=(0, 255),
                 seed=None, data_format=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.factor = keras_factor(self, "factor", factor, (0, 1))
        self.scale = keras_factor(self, "scale", scale, (0, 1))
        self.interpolation = check_interpolation(interpolation, _who(self))
        self.fill_mode = check_fill_mode(fill_mode, _who(self))
        self.fill_value = _number(self, "fill_value", fill_value)
        self.value_range = _value_range(self, value_range)

    def transformation(self, images, rng):
        n = images.shape[0]
        probability = rng.uniform(self.factor[0], self.factor[1], n)
        apply = rng.uniform(0, 1, n) < probability
        return {"apply_transform": apply,
                "distortion_factor": rng.uniform(self.scale[0], self.scale[1]),
                "seed": int(rng.integers(0, 2**31 - 1))}

    def transform(self, images, params):
        if self.scale[1] == 0 or self.factor[1] == 0:
            return images
        h, w = images.shape[1:3]
        d = params["distortion_factor"]
        with no_grad():
            out = image_ops.elastic_transform(
                _float(images), alpha=max(h, w) * 0.1 * d, sigma=min(h, w) * 0.05 * d,
                interpolation=self.interpolation, fill_mode=self.fill_mode,
                fill_value=self.fill_value, seed=params["seed"]).data
        out = np.where(params["apply_transform"][:, None, None, None], out, images)
        return np.clip(out, *self.value_range)

    def get_config(self) -> dict:
        return {**super().get_config(), "factor": list(self.factor), "scale": list(self.scale),
                "interpolation": self.interpolation, "fill_mode": self.fill_mode,
                "fill_value": self.fill_value, "value_range": list(self.value_range)}
