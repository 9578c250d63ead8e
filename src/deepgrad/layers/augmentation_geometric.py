"""Random geometric augmentation layers: RandomRotation, RandomTranslation, RandomZoom.

Each draws one random transform per image and warps the whole batch with one call
of :func:`deepgrad.kernels.affine.affine_transform` (no loop over images). Factors,
fill modes and interpolation follow Keras 3:

- ``fill_mode``: ``'reflect'`` (default; ``d c b a | a b c d | d c b a``), ``'wrap'``,
  ``'constant'`` (``fill_value``) or ``'nearest'``;
- ``interpolation``: ``'bilinear'`` (default) or ``'nearest'``.

They act in training and when called directly, and return the input unchanged with
``training=False`` (see :mod:`deepgrad.layers.augmentation`).

>>> import deepgrad as dg
>>> augment = dg.Sequential([
...     dg.layers.RandomRotation(0.1), dg.layers.RandomTranslation(0.1, 0.1),
...     dg.layers.RandomZoom(0.1)])
>>> images = np.random.default_rng(0).random((8, 28, 28, 1), dtype="float32")
>>> augment(images).shape
(8, 28, 28, 1)
>>> bool((augment(images, training=False).data == images).all())
True
"""

from __future__ import annotations

import numpy as np

from deepgrad.kernels.affine import (
    affine_transform,
    check_fill_mode,
    rotation_transform,
    translation_transform,
    zoom_transform,
)
from deepgrad.kernels.image_common import check_interpolation
from deepgrad.layers.augmentation import (
    BaseImageAugmentationLayer,
    _is_number,
    _who,
    as_config,
    factor_range,
)

__all__ = ["RandomRotation", "RandomTranslation", "RandomZoom", "RandomShear"]


class _RandomAffine(BaseImageAugmentationLayer):
    """Shared arguments and the warp of the geometric layers; subclasses make transforms."""

    def __init__(
        self,
        fill_mode: str = "reflect",
        interpolation: str = "bilinear",
        seed: int | None = None,
        fill_value: float = 0.0,
        **kwargs,
    ):
        super().__init__(seed=seed, **kwargs)
        self.fill_mode = check_fill_mode(fill_mode, _who(self))
        self.interpolation = check_interpolation(interpolation, _who(self))
        if isinstance(fill_value, bool) or not isinstance(
            fill_value, (int, float, np.integer, np.floating)
        ):
            raise ValueError(
                f"{_who(self)}: `fill_value` must be a number. Received: fill_value={fill_value!r}"
            )
        self.fill_value = float(fill_value)

    def transforms(self, n: int, height: int, width: int, rng: np.random.Generator) -> np.ndarray:
        """``(n, 8)`` random transforms for a batch; subclasses override it."""
        raise NotImplementedError

    def augment(self, images, rng):
        n, h, w, _ = images.shape
        t = self.transforms(n, h, w, rng)
        return affine_transform(images, t, self.fill_mode, self.interpolation, self.fill_value)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "fill_mode": self.fill_mode,
            "interpolation": self.interpolation,
            "fill_value": self.fill_value,
        }


class RandomRotation(_RandomAffine):
    """Rotate each image about its centre by a random angle, in training.

    The angle is drawn uniformly from ``[lower, upper] * 2 * pi`` radians; positive
    turns counter-clockwise. ``factor=0.1`` rotates by up to 36 degrees either way.

    Args:
        factor: a number ``f`` (the range ``[-f, f]``) or a pair ``(lower, upper)``,
            fractions of a full turn in [-1, 1].
        fill_mode: ``'reflect'``, ``'wrap'``, ``'constant'`` or ``'nearest'``.
        interpolation: ``'bilinear'`` or ``'nearest'``.
        seed: an int for reproducible draws; None uses the global generator.
        fill_value: the value outside the image for ``fill_mode='constant'``.

    Input shape: ``(batch, height, width, channels)`` or one image. Output: the same.

    Raises:
        ValueError: a bad ``factor``, ``fill_mode`` or ``interpolation``.

    >>> x = np.zeros((1, 5, 5, 1), "float32"); x[0, 2, 4] = 1.0  # right of centre
    >>> out = RandomRotation((0.25, 0.25), fill_mode="constant")(x).data[0, ..., 0]
    >>> np.argwhere(out == 1.0).tolist()  # a quarter turn moves it to the top
    [[0, 2]]
    """

    def __init__(
        self,
        factor,
        fill_mode: str = "reflect",
        interpolation: str = "bilinear",
        seed: int | None = None,
        fill_value: float = 0.0,
        value_range=(0, 255),
        **kwargs,
    ):
        super().__init__(fill_mode, interpolation, seed, fill_value, **kwargs)
        self.lower, self.upper = factor_range(self, "factor", factor)
        self.factor = factor
        self.value_range = value_range

    def transforms(self, n, height, width, rng):
        angles = rng.uniform(self.lower, self.upper, n) * (2.0 * np.pi)
        return rotation_transform(angles, height, width)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "factor": as_config(self.factor),
            "value_range": as_config(self.value_range),
        }


class RandomTranslation(_RandomAffine):
    """Shift each image by a random fraction of its height and width, in training.

    The vertical shift is drawn from ``[lower, upper] * height`` pixels (positive
    moves the picture down), the horizontal one from ``width_factor * width``
    (positive moves it right).

    Args:
        height_factor: a number ``f`` (``[-f, f]``) or a pair ``(lower, upper)`` in [-1, 1].
        width_factor: likewise for the width.
        fill_mode: ``'reflect'``, ``'wrap'``, ``'constant'`` or ``'nearest'``.
        interpolation: ``'bilinear'`` or ``'nearest'``.
        seed: an int for reproducible draws.
        fill_value: the value outside the image for ``fill_mode='constant'``.

    Raises:
        ValueError: a bad factor, ``fill_mode`` or ``interpolation``.

    >>> row = np.arange(1.0, 6.0, dtype="float32").reshape(1, 1, 5, 1)
    >>> shift = RandomTranslation(0.0, (0.4, 0.4), fill_mode="constant")
    >>> shift(row).data.ravel().tolist()  # two pixels to the right
    [0.0, 0.0, 1.0, 2.0, 3.0]
    """

    def __init__(
        self,
        height_factor,
        width_factor,
        fill_mode: str = "reflect",
        interpolation: str = "bilinear",
        seed: int | None = None,
        fill_value: float = 0.0,
        **kwargs,
    ):
        super().__init__(fill_mode, interpolation, seed, fill_value, **kwargs)
        self.height_lower, self.height_upper = factor_range(self, "height_factor", height_factor)
        self.width_lower, self.width_upper = factor_range(self, "width_factor", width_factor)
        self.height_factor = height_factor
        self.width_factor = width_factor

    def transforms(self, n, height, width, rng):
        dy = rng.uniform(self.height_lower, self.height_upper, n) * height
        dx = rng.uniform(self.width_lower, self.width_upper, n) * width
        return translation_transform(dx, dy)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "height_factor": as_config(self.height_factor),
            "width_factor": as_config(self.width_factor),
        }


class RandomZoom(_RandomAffine):
    """Zoom each image in or out about its centre by a random amount, in training.

    Each image draws ``z = 1 + f`` with ``f`` uniform in ``[lower, upper]``: a
    positive ``f`` zooms *out* (the picture shrinks, ``fill_mode`` fills the border),
    a negative one zooms *in*. ``width_factor=None`` uses the height's draw for the
    width too (the aspect ratio is kept).

    Args:
        height_factor: a number ``f`` (``[-f, f]``) or a pair ``(lower, upper)``,
            each >= -1 (fractions of the size).
        width_factor: likewise for the width, or None.
        fill_mode: ``'reflect'``, ``'wrap'``, ``'constant'`` or ``'nearest'``.
        interpolation: ``'bilinear'`` or ``'nearest'``.
        seed: an int for reproducible draws.
        fill_value: the value outside the image for ``fill_mode='constant'``.

    Raises:
        ValueError: a bad factor, ``fill_mode`` or ``interpolation``.

    >>> x = np.ones((1, 5, 5, 1), "float32")
    >>> out = RandomZoom((1.0, 1.0), fill_mode="constant")(x).data[0, :, :, 0]
    >>> out[2].tolist()  # zoomed out to half size: the border is filled
    [0.0, 1.0, 1.0, 1.0, 0.0]
    """

    def __init__(
        self,
        height_factor,
        width_factor=None,
        fill_mode: str = "reflect",
        interpolation: str = "bilinear",
        seed: int | None = None,
        fill_value: float = 0.0,
        **kwargs,
    ):
        super().__init__(fill_mode, interpolation, seed, fill_value, **kwargs)
        self.height_lower, self.height_upper = factor_range(
            self, "height_factor", height_factor, low=-1.0, high=np.inf
        )
        self.width_lower = self.width_upper = None
        if width_factor is not None:
            self.width_lower, self.width_upper = factor_range(
                self, "width_factor", width_factor, low=-1.0, high=np.inf
            )
        self.height_factor = height_factor
        self.width_factor = width_factor

    def transforms(self, n, height, width, rng):
        zy = 1.0 + rng.uniform(self.height_lower, self.height_upper, n)
        zx = zy if self.width_lower is None else 1.0 + rng.uniform(
            self.width_lower, self.width_upper, n
        )
        return zoom_transform(zx, zy, height, width)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "height_factor": as_config(self.height_factor),
            "width_factor": as_config(self.width_factor),
        }


def _shear_factor(layer, name: str, factor) -> tuple[float, float]:
    """Keras's shear factor: a number ``f`` in [0, 1] means ``(-f, f)``; a pair is taken
    as given, each in [-1, 1] (Keras allows [0, 1], then writes ``(-f, f)`` in its config,
    which its own ``from_config`` refuses; deepgrad reads it)."""
    if _is_number(factor) and 0 <= factor <= 1:
        return -float(factor), float(factor)
    if (isinstance(factor, (tuple, list)) and len(factor) == 2
            and all(_is_number(v) and -1 <= v <= 1 for v in factor)):
        low, high = sorted(float(v) for v in factor)
        return low, high
    raise ValueError(
        f"{_who(layer)}: `{name}` must be a number in [0, 1] or a pair in [-1, 1]. "
        f"Received: {name}={factor!r}"
    )


class RandomShear(_RandomAffine):
    """Shear each image by random amounts along x and y, in training.

    As Keras 3.15: each image draws ``sx`` from ``x_factor``'s range, ``sy`` from
    ``y_factor``'s and one random sign for both; output pixel ``(x, y)`` samples the
    input at ``(x + sx * y, sy * x + y)`` (a shear about the top-left corner, not the
    centre).

    Args:
        x_factor: a number ``f`` in [0, 1] (the range ``(-f, f)``) or a pair in [-1, 1].
        y_factor: likewise for y.
        interpolation: ``'bilinear'`` or ``'nearest'``.
        fill_mode: ``'reflect'``, ``'wrap'``, ``'constant'`` or ``'nearest'``.
        fill_value: the value outside the image for ``fill_mode='constant'``.
        seed: an int for reproducible draws.

    Raises:
        ValueError: a bad factor, ``fill_mode`` or ``interpolation``.

    >>> x = np.zeros((1, 3, 3, 1), "float32"); x[0, :, 0] = 1.0  # the left column
    >>> shear = RandomShear()
    >>> shear.transform(x, np.array([[1.0, 0.0]]))[0, :, :, 0].tolist()  # rows move left
    [[1.0, 0.0, 0.0], [0.0, 0.0, 0.0], [0.0, 0.0, 0.0]]
    """

    def __init__(self, x_factor=0.0, y_factor=0.0, interpolation: str = "bilinear",
                 fill_mode: str = "reflect", fill_value: float = 0.0, data_format=None,
                 seed: int | None = None, **kwargs):
        super().__init__(fill_mode, interpolation, seed, fill_value, data_format=data_format,
                         **kwargs)
        self.x_factor = _shear_factor(self, "x_factor", x_factor)
        self.y_factor = _shear_factor(self, "y_factor", y_factor)

    def transformation(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """``(n, 2)`` shear factors ``(sx, sy)``, drawn as Keras draws them."""
        sign = np.where(rng.uniform(0, 1, (n, 1)) > 0.5, -1.0, 1.0)
        sy = rng.uniform(self.y_factor[0], self.y_factor[1], (n, 1))
        sx = rng.uniform(self.x_factor[0], self.x_factor[1], (n, 1))
        return np.concatenate([sx, sy], axis=1) * sign

    def transform(self, images: np.ndarray, params: np.ndarray) -> np.ndarray:
        """Shear an NHWC batch by ``params`` (``(n, 2)``: sx, sy)."""
        n = params.shape[0]
        ones, zeros = np.ones(n), np.zeros(n)
        t = np.stack([ones, params[:, 0], zeros, params[:, 1], ones, zeros, zeros, zeros],
                     axis=1)
        return affine_transform(images, t, self.fill_mode, self.interpolation, self.fill_value)

    def augment(self, images, rng):
        return self.transform(images, self.transformation(images.shape[0], rng))

    def get_config(self) -> dict:
        return {**super().get_config(), "x_factor": list(self.x_factor),
                "y_factor": list(self.y_factor)}
