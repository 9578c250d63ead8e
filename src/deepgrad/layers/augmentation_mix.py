"""Augmentation layers that mix or cut regions: MixUp, CutMix, RandomErasing,
RandomGaussianBlur.

Keras 3's layers of those names on NHWC images (``data_format='channels_first'``
moves NCHW to NHWC and back). Like Keras they take either an image batch or a dict
``{"images": ..., "labels": ...}``: MixUp and CutMix mix the labels with the weights
they mix the images with (give one-hot or probability labels), the others pass the
labels through. They act in training and when called directly, return the input with
``training=False``, and pass no gradient back (see :mod:`deepgrad.layers.augmentation`).

>>> import deepgrad as dg
>>> images = np.random.default_rng(0).uniform(0, 255, (4, 8, 8, 3)).astype("float32")
>>> labels = np.eye(4, dtype="float32")
>>> out = dg.layers.MixUp(alpha=0.4, seed=1)({"images": images, "labels": labels})
>>> out["images"].shape, bool(np.allclose(out["labels"].data.sum(axis=1), 1))
((4, 8, 8, 3), True)
"""

from __future__ import annotations

import numpy as np

from deepgrad.layers.augmentation import (
    BaseImageAugmentationLayer,
    _image_batch,
    _images_out,
    _is_number,
    _value_range,
    _who,
)
from deepgrad.layers.augmentation_color import _float, keras_factor
from deepgrad.tensor import Tensor

__all__ = ["MixUp", "CutMix", "RandomErasing", "RandomGaussianBlur"]


class _RegionLayer(BaseImageAugmentationLayer):
    """``call`` on a batch or an ``{"images", "labels"}`` dict; ``transformation(images,
    rng)`` draws a dict, ``transform(images, params)`` and ``transform_labels`` use it."""

    def transformation(self, images: np.ndarray, rng: np.random.Generator) -> dict:
        raise NotImplementedError

    def transform(self, images: np.ndarray, params: dict) -> np.ndarray:
        raise NotImplementedError

    def transform_labels(self, labels: np.ndarray, params: dict) -> np.ndarray:
        return labels

    def augment(self, images, rng):
        images = _float(images)
        return self.transform(images, self.transformation(images, rng))

    def call(self, inputs, training=True):
        if not isinstance(inputs, dict):
            return super().call(inputs, training=training)
        if "images" not in inputs:
            raise ValueError(
                f"{_who(self)}: a dict input needs an 'images' entry. "
                f"Received keys: {sorted(inputs)}"
            )
        if training is False:
            return inputs
        images, single = _image_batch(self, inputs["images"])
        images = _float(images)
        params = self.transformation(images, self._rng())
        out = {**inputs, "images": _images_out(self, self.transform(images, params), single)}
        if "labels" in inputs:
            labels = inputs["labels"]
            labels = labels.data if isinstance(labels, Tensor) else np.asarray(labels)
            batch = labels[None] if single else labels
            mixed = self.transform_labels(batch, params)
            out["labels"] = Tensor(mixed[0] if single else mixed)
        return out


class MixUp(_RegionLayer):
    """Blend each image (and its label) with another image of the batch, in training.

    Each image ``i`` draws ``w ~ Beta(alpha, alpha)`` and a partner ``p(i)`` (a random
    permutation of the batch): ``w x_i + (1 - w) x_p(i)``, and the same for labels.

    Args:
        alpha: the Beta distribution's parameter (> 0); small values keep images nearly
            whole.
        seed: an int for reproducible draws.

    >>> x = np.stack([np.zeros((2, 2, 1)), np.ones((2, 2, 1))]).astype("float32")
    >>> out = MixUp(seed=0)(x).data
    >>> bool(np.allclose(out[0] + out[1], 1.0))  # two images: each mixed with the other
    True
    """

    def __init__(self, alpha: float = 0.2, data_format=None, seed=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        if not _is_number(alpha) or alpha <= 0:
            raise ValueError(
                f"{_who(self)}: `alpha` must be a number > 0. Received: alpha={alpha!r}"
            )
        self.alpha = float(alpha)

    def transformation(self, images, rng):
        n = images.shape[0]
        return {"permutation_order": rng.permutation(n),
                "mix_weight": rng.beta(self.alpha, self.alpha, n)}

    def transform(self, images, params):
        w = params["mix_weight"].astype(images.dtype)[:, None, None, None]
        return w * images + (1 - w) * images[params["permutation_order"]]

    def transform_labels(self, labels, params):
        labels = _float(labels)
        w = params["mix_weight"].astype(labels.dtype).reshape(-1, *([1] * (labels.ndim - 1)))
        return w * labels + (1 - w) * labels[params["permutation_order"]]

    def get_config(self) -> dict:
        return {**super().get_config(), "alpha": self.alpha}


def _boxes(n: int, h: int, w: int, ratio_x, ratio_y, rng) -> np.ndarray:
    """Keras's random boxes: ``(n, h, w)`` masks of windows ``ratio * side`` long, placed
    uniformly (fractional corners, pixel centres compared as Keras does)."""
    def bounds(length, ratio):
        crop = ratio * length
        start = rng.uniform(0, 1, n) * (length - crop)
        return start, start + crop

    x0, x1 = bounds(w, ratio_x)
    y0, y1 = bounds(h, ratio_y)
    ys, xs = np.arange(h)[None, :, None], np.arange(w)[None, None, :]
    inside = ((xs >= x0[:, None, None]) & (xs < x1[:, None, None])
              & (ys >= y0[:, None, None]) & (ys < y1[:, None, None]))
    return inside, (x1 - x0) * (y1 - y0) / (w * h)


class CutMix(_RegionLayer):
    """Paste a random box of another image of the batch into each image, in training.

    As Keras: ``alpha`` is drawn once per batch from the factor range, each image draws
    ``w ~ Beta(alpha, alpha)`` and a box of sides ``sqrt(1 - w)`` times the image's,
    filled from its partner (a random permutation); labels are mixed by the box's area:
    ``(1 - area) y_i + area y_p(i)``.

    Args:
        factor: a number in [0, 1] (the range ``(0, f)``) or a pair, for ``alpha``.
        seed: an int for reproducible draws.

    >>> x = np.stack([np.zeros((8, 8, 1)), np.ones((8, 8, 1))]).astype("float32")
    >>> out = CutMix(seed=3)(x).data
    >>> set(np.unique(out)) <= {0.0, 1.0}  # pixels are copied, never blended
    True
    """

    def __init__(self, factor=1.0, seed=None, data_format=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.factor = keras_factor(self, "factor", factor, (0, 1))

    def transformation(self, images, rng):
        n, h, w = images.shape[:3]
        alpha = rng.uniform(*self.factor) + 1e-6
        ratio = np.sqrt(1 - rng.beta(alpha, alpha, n))
        inside, area = _boxes(n, h, w, ratio, ratio, rng)
        return {"permutation_order": rng.permutation(n), "batch_masks": inside,
                "mix_weight": 1 - area}

    def transform(self, images, params):
        mask = params["batch_masks"][..., None]
        return np.where(mask, images[params["permutation_order"]], images)

    def transform_labels(self, labels, params):
        labels = _float(labels)
        w = params["mix_weight"].astype(labels.dtype).reshape(-1, *([1] * (labels.ndim - 1)))
        return w * labels + (1 - w) * labels[params["permutation_order"]]

    def get_config(self) -> dict:
        return {**super().get_config(), "factor": list(self.factor)}


class RandomErasing(_RegionLayer):
    """Fill a random box of each image (with probability) with a value or noise, in training.

    As Keras: each image draws two scales in ``scale``; the box's sides are their square
    roots times the width and height; an image is erased when a uniform draw falls
    below a probability drawn from the factor range. ``fill_value=None`` fills with
    ``normal(0, 1) * high`` clipped to ``value_range``.

    Args:
        factor: a number in [0, 1] (the range ``(0, f)``) or a pair.
        scale: the range of the box's side fractions squared, in [0, 1].
        fill_value: None (noise), a number, or three numbers (one per channel).
        value_range: ``(low, high)`` of the pixel values.
        seed: an int for reproducible draws.

    >>> x = np.full((1, 6, 6, 1), 9.0, "float32")
    >>> out = RandomErasing((1, 1), scale=(0.25, 0.25), fill_value=0, seed=0)(x).data
    >>> int((out == 0).sum())  # a 3x3 box
    9
    """

    def __init__(self, factor=1.0, scale=(0.02, 0.33), fill_value=None, value_range=(0, 255),
                 seed=None, data_format=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.factor = keras_factor(self, "factor", factor, (0, 1))
        self.scale = keras_factor(self, "scale", scale, (0, 1))
        ok = fill_value is None or _is_number(fill_value) or (
            isinstance(fill_value, (tuple, list)) and len(fill_value) == 3
            and all(_is_number(v) for v in fill_value))
        if not ok:
            raise ValueError(
                f"{_who(self)}: `fill_value` must be None, a number or three numbers. "
                f"Received: fill_value={fill_value!r}"
            )
        self.fill_value = list(fill_value) if isinstance(fill_value, tuple) else fill_value
        self.value_range = _value_range(self, value_range)

    def transformation(self, images, rng):
        n, h, w = images.shape[:3]
        ratios = np.sqrt(rng.uniform(self.scale[0], self.scale[1], (n, 2)))
        inside, _ = _boxes(n, h, w, ratios[:, 0], ratios[:, 1], rng)
        probability = rng.uniform(self.factor[0], self.factor[1], n)
        apply = rng.uniform(0, 1, n) < probability
        if self.fill_value is None:
            fill = rng.standard_normal(images.shape).astype(images.dtype) * self.value_range[1]
        else:
            fill = np.broadcast_to(np.asarray(self.fill_value, images.dtype), images.shape)
        fill = np.clip(fill, *self.value_range)
        return {"apply_erasing": apply, "batch_masks": inside, "fill_value": fill}

    def transform(self, images, params):
        mask = params["batch_masks"][..., None] & params["apply_erasing"][:, None, None, None]
        return np.where(mask, params["fill_value"], images).astype(images.dtype)

    def get_config(self) -> dict:
        return {**super().get_config(), "factor": list(self.factor), "scale": list(self.scale),
                "fill_value": self.fill_value, "value_range": list(self.value_range)}


def _gaussian(size: int, sigma: float, dtype) -> np.ndarray:
    x = np.arange(size, dtype=dtype) - (size - 1) / 2
    kernel = np.exp(-0.5 * (x / dtype.type(sigma)) ** 2)
    return kernel / kernel.sum()


def gaussian_blur(images: np.ndarray, kernel_size: tuple[int, int],
                  sigma: tuple[float, float]) -> np.ndarray:
    """Blur an NHWC batch with a separable Gaussian kernel ('same' size, zero padding).

    As Keras's ``ops.image.gaussian_blur`` on its NumPy backend, the rows use
    ``kernel_size[1], sigma[1]`` and the columns ``kernel_size[0], sigma[0]``. (Its
    TensorFlow backend reshapes the ``(size[1], size[0])`` kernel to ``(size[0],
    size[1])``, so the backends disagree for non-square sizes; square sizes agree and
    are checked against Keras in tests/layers/test_augmentation_color.py.)

    >>> x = np.zeros((1, 3, 3, 1), "float32"); x[0, 1, 1] = 1.0
    >>> float(gaussian_blur(x, (3, 3), (1.0, 1.0)).sum().round(6))
    1.0
    """
    dtype = images.dtype
    rows, cols = _gaussian(kernel_size[1], sigma[1], dtype), _gaussian(kernel_size[0], sigma[0],
                                                                       dtype)
    h, w = images.shape[1:3]
    ph, pw = (len(rows) - 1) // 2, (len(cols) - 1) // 2
    padded = np.pad(images, ((0, 0), (ph, len(rows) - 1 - ph), (0, 0), (0, 0)))
    out = sum(rows[i] * padded[:, i:i + h] for i in range(len(rows)))
    padded = np.pad(out, ((0, 0), (0, 0), (pw, len(cols) - 1 - pw), (0, 0)))
    return sum(cols[j] * padded[:, :, j:j + w] for j in range(len(cols))).astype(dtype)


class RandomGaussianBlur(_RegionLayer):
    """Blur each image with a Gaussian kernel, with a random probability, in training.

    As Keras: one ``(sigma_x, sigma_y)`` pair is drawn per batch from ``sigma``; each
    image is blurred when a uniform draw falls below a probability drawn from the
    factor range; the result is clipped to ``value_range``.

    Args:
        factor: a number in [0, 1] (the range ``(0, f)``) or a pair.
        kernel_size: an odd int or a pair of odd ints.
        sigma: a number in [0, 1] (the range ``(0, s)``) or a pair.
        value_range: ``(low, high)`` of the pixel values.
        seed: an int for reproducible draws.

    >>> x = np.zeros((1, 5, 5, 1), "float32"); x[0, 2, 2] = 255.0
    >>> out = RandomGaussianBlur((1, 1), sigma=(1, 1), seed=0)(x).data
    >>> float(out[0, 2, 2, 0]) < 255.0 and float(out[0, 1, 2, 0]) > 0.0
    True
    """

    def __init__(self, factor=1.0, kernel_size=3, sigma=1.0, value_range=(0, 255),
                 data_format=None, seed=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.factor = keras_factor(self, "factor", factor, (0, 1))
        sizes = kernel_size if isinstance(kernel_size, (tuple, list)) else (kernel_size,) * 2
        if (len(sizes) != 2 or not all(isinstance(k, (int, np.integer)) and not isinstance(
                k, bool) and k > 0 and k % 2 == 1 for k in sizes)):
            raise ValueError(
                f"{_who(self)}: `kernel_size` must be an odd positive int or a pair of them. "
                f"Received: kernel_size={kernel_size!r}"
            )
        self.kernel_size = (int(sizes[0]), int(sizes[1]))
        self.sigma = keras_factor(self, "sigma", sigma, (0, 1))
        self.value_range = _value_range(self, value_range)

    def transformation(self, images, rng):
        n = images.shape[0]
        probability = rng.uniform(self.factor[0], self.factor[1], n)
        apply = rng.uniform(0, 1, n) < probability
        return {"should_apply_blur": apply,
                "blur_factor": rng.uniform(self.sigma[0], self.sigma[1], 2) + 1e-6}

    def transform(self, images, params):
        blurred = gaussian_blur(images, self.kernel_size, tuple(params["blur_factor"]))
        out = np.where(params["should_apply_blur"][:, None, None, None], blurred, images)
        return np.clip(out, *self.value_range)

    def get_config(self) -> dict:
        return {**super().get_config(), "factor": list(self.factor),
                "kernel_size": list(self.kernel_size), "sigma": list(self.sigma),
                "value_range": list(self.value_range)}
