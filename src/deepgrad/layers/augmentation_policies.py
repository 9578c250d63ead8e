"""Augmentation policies built from the other augmentation layers: RandAugment and AugMix.

Keras 3's layers of those names, with its lists of operations and its factor rules:
``factor`` (a number ``f`` means ``(0, f)``) becomes each operation's factor, and
posterization keeps ``max(1, int(8 * f))`` bits at most. The operations draw from the
policy's generator, so one ``seed`` fixes the whole policy. Like the others they act
in training and when called directly and pass no gradient back.

>>> import deepgrad as dg
>>> images = np.random.default_rng(0).uniform(0, 255, (2, 8, 8, 3)).astype("float32")
>>> dg.layers.RandAugment(seed=1)(images).shape, dg.layers.AugMix(seed=1)(images).shape
((2, 8, 8, 3), (2, 8, 8, 3))
"""

from __future__ import annotations

import numpy as np

from deepgrad.layers.augmentation import (
    BaseImageAugmentationLayer,
    RandomBrightness,
    RandomContrast,
    _is_number,
    _value_range,
    _who,
)
from deepgrad.layers.augmentation_color import (
    RandomColorDegeneration,
    RandomPosterization,
    Solarization,
    _float,
    keras_factor,
)
from deepgrad.layers.augmentation_geometric import RandomRotation, RandomShear, RandomTranslation
from deepgrad.layers.augmentation_tone import AutoContrast, Equalization, RandomSharpness
from deepgrad.layers.core import positive_int

__all__ = ["RandAugment", "AugMix"]

_GEOMETRIC_AND_TONE = ("random_shear", "random_translation", "random_rotation",
                       "random_posterization", "solarization", "auto_contrast", "equalization")
_COLOR = ("random_brightness", "random_color_degeneration", "random_contrast",
          "random_sharpness")


class _Policy(BaseImageAugmentationLayer):
    """Holds Keras's operation layers, made from ``factor``, ``value_range``, ``interpolation``."""

    def __init__(self, value_range, factor, interpolation, seed, data_format, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.value_range = _value_range(self, value_range)
        self.factor = keras_factor(self, "factor", factor, (0, 1))
        self.interpolation = interpolation
        f, vr = self.factor, self.value_range
        self._operations = {
            "random_shear": RandomShear(f, f, interpolation=interpolation),
            "random_translation": RandomTranslation(f, f, interpolation=interpolation),
            "random_rotation": RandomRotation(f, interpolation=interpolation),
            "random_posterization": RandomPosterization(max(1, int(8 * f[1])), value_range=vr),
            "solarization": Solarization(f, f, value_range=vr),
            "auto_contrast": AutoContrast(value_range=vr),
            "equalization": Equalization(value_range=vr),
            "random_brightness": RandomBrightness(f, value_range=vr),
            "random_color_degeneration": RandomColorDegeneration(f, value_range=vr),
            "random_contrast": RandomContrast(f, value_range=vr),
            "random_sharpness": RandomSharpness(f, value_range=vr),
        }

    def _apply(self, name: str, images: np.ndarray, rng) -> np.ndarray:
        return self._operations[name].augment(images, rng)

    def get_config(self) -> dict:
        return {**super().get_config(), "value_range": list(self.value_range),
                "factor": list(self.factor), "interpolation": self.interpolation}


def _count(layer, name: str, value) -> int:
    return positive_int(_who(layer), name, value)


class RandAugment(_Policy):
    """Apply ``num_ops`` operations picked at random from Keras's eleven, in training.

    The operations (one pick for the whole batch, each then drawing per image): shear,
    translation, rotation, brightness, colour degeneration, contrast, sharpness,
    posterization, solarization, auto-contrast, equalization.

    Args:
        value_range: ``(low, high)`` of the pixel values.
        num_ops: how many operations to apply in turn.
        factor: a number in [0, 1] (the range ``(0, f)``) or a pair: the strength.
        interpolation: ``'bilinear'`` or ``'nearest'`` for the geometric operations.
        seed: an int for reproducible draws.

    >>> RandAugment(num_ops=3, factor=0.2, seed=0).get_config()["num_ops"]
    3
    """

    _OPERATIONS = ("random_shear", "random_translation", "random_rotation",
                   "random_brightness", "random_color_degeneration", "random_contrast",
                   "random_sharpness", "random_posterization", "solarization",
                   "auto_contrast", "equalization")

    def __init__(self, value_range=(0, 255), num_ops: int = 2, factor=0.5,
                 interpolation: str = "bilinear", seed=None, data_format=None, **kwargs):
        super().__init__(value_range, factor, interpolation, seed, data_format, **kwargs)
        self.num_ops = _count(self, "num_ops", num_ops)

    def augment(self, images, rng):
        images = _float(images)
        for index in rng.integers(0, len(self._OPERATIONS), self.num_ops):
            images = self._apply(self._OPERATIONS[index], images, rng)
        return images

    def get_config(self) -> dict:
        return {**super().get_config(), "num_ops": self.num_ops}


class AugMix(_Policy):
    """Mix the image with ``num_chains`` randomly augmented copies of it, in training.

    As Keras: chain weights from a Dirichlet(``alpha``) distribution and a mixing
    weight ``m ~ Beta(alpha, alpha)`` are drawn per batch; each chain applies up to
    ``chain_depth`` operations (each step picks one of the operations or none); the
    output is ``m x + (1 - m) sum_k w_k chain_k(x)``, clipped to ``value_range``.

    Args:
        value_range: ``(low, high)`` of the pixel values.
        num_chains: the number of augmented copies.
        chain_depth: the most operations in a chain.
        factor: a number in [0, 1] (the range ``(0, f)``) or a pair: the strength.
        alpha: the Dirichlet and Beta parameter (> 0).
        all_ops: include brightness, colour degeneration, contrast and sharpness
            (otherwise only the geometric and tone operations).
        interpolation: ``'bilinear'`` or ``'nearest'``.
        seed: an int for reproducible draws.

    >>> AugMix(num_chains=2, chain_depth=1, seed=0).get_config()["all_ops"]
    True
    """

    def __init__(self, value_range=(0, 255), num_chains: int = 3, chain_depth: int = 3,
                 factor=0.3, alpha: float = 1.0, all_ops: bool = True,
                 interpolation: str = "bilinear", seed=None, data_format=None, **kwargs):
        super().__init__(value_range, factor, interpolation, seed, data_format, **kwargs)
        self.num_chains = _count(self, "num_chains", num_chains)
        self.chain_depth = _count(self, "chain_depth", chain_depth)
        if not _is_number(alpha) or alpha <= 0:
            raise ValueError(
                f"{_who(self)}: `alpha` must be a number > 0. Received: alpha={alpha!r}"
            )
        self.alpha = float(alpha)
        self.all_ops = bool(all_ops)
        self._names = _GEOMETRIC_AND_TONE + (_COLOR if self.all_ops else ())

    def augment(self, images, rng):
        images = _float(images)
        weights = rng.dirichlet([self.alpha] * self.num_chains).astype(images.dtype)
        keep = images.dtype.type(rng.beta(self.alpha, self.alpha))
        mixed = np.zeros_like(images)
        for k in range(self.num_chains):
            chain = images
            for pick in rng.integers(0, len(self._names) + 1, self.chain_depth):
                if pick < len(self._names):  # the last index is "no operation"
                    chain = self._apply(self._names[pick], chain, rng)
            mixed += weights[k] * chain
        return np.clip(keep * images + (1 - keep) * mixed, *self.value_range)

    def get_config(self) -> dict:
        return {**super().get_config(), "num_chains": self.num_chains,
                "chain_depth": self.chain_depth, "alpha": self.alpha, "all_ops": self.all_ops}
