"""Handwritten digits, 8x8 pixels with values 0 to 16: 1,797 examples in 10 classes (scikit-learn).

The data ship with scikit-learn, so loading needs no file and no network;
scikit-learn is imported only when :func:`load_data` is called. Each row of
``x`` is an 8x8 image, row-major: ``x.reshape(-1, 8, 8, 1)`` gives images for a
CNN, and ``x / 16`` scales them to 0..1.

>>> IMAGE_SHAPE
(8, 8)
"""

from __future__ import annotations

from typing import overload

import numpy as np

from ._split import Split, sklearn_arrays

__all__ = ["load_data", "CLASS_NAMES", "IMAGE_SHAPE"]

CLASS_NAMES = tuple(str(digit) for digit in range(10))
IMAGE_SHAPE = (8, 8)


@overload
def load_data(
    *, test_split: None = None, seed: int | None = 113
) -> tuple[np.ndarray, np.ndarray]: ...


@overload
def load_data(*, test_split: float, seed: int | None = 113) -> Split: ...


def load_data(
    *, test_split: float | None = None, seed: int | None = 113
) -> tuple[np.ndarray, np.ndarray] | Split:
    """Load digits: all of it as ``(x, y)``, or split as ``(x_train, y_train), (x_test, y_test)``.

    Args:
        test_split: None (the default) for the whole dataset in scikit-learn's
            order; or the fraction of each class to hold out, strictly between 0
            and 1, for a stratified, shuffled split in the Keras ``load_data()`` form.
        seed: seeds the split (113, Keras's default for its loaders, makes it the
            same on every call); None draws from deepgrad's global generator.

    Returns:
        ``(x, y)``, float32 features of shape (1797, 64) (8x8 images flattened,
        values 0 to 16) and int64 labels 0 to 9 of shape (1797,); or, with
        ``test_split``, ``(x_train, y_train), (x_test, y_test)``.

    Raises:
        ValueError: if ``test_split`` is not strictly between 0 and 1.
        ImportError: if scikit-learn is not installed.

    >>> import deepgrad as dg
    >>> x, y = dg.datasets.digits.load_data()
    >>> x.shape, x.dtype, y.shape, y.dtype, float(x.max())
    ((1797, 64), dtype('float32'), (1797,), dtype('int64'), 16.0)
    >>> (x_train, y_train), (x_test, y_test) = dg.datasets.digits.load_data(test_split=0.2)
    >>> len(x_train) + len(x_test), x_train.reshape(-1, 8, 8, 1).shape[1:]
    (1797, (8, 8, 1))
    """
    from sklearn.datasets import load_digits

    return sklearn_arrays(load_digits(), test_split, seed, "digits.load_data")
