"""Fisher's iris flowers: 150 examples, 4 measurements in cm, 3 species (from scikit-learn).

The data ship with scikit-learn, so loading needs no file and no network;
scikit-learn is imported only when :func:`load_data` is called.

>>> CLASS_NAMES
('setosa', 'versicolor', 'virginica')
"""

from __future__ import annotations

from typing import overload

import numpy as np

from ._split import Split, sklearn_arrays

__all__ = ["load_data", "CLASS_NAMES", "FEATURE_NAMES"]

CLASS_NAMES = ("setosa", "versicolor", "virginica")
FEATURE_NAMES = (
    "sepal length (cm)",
    "sepal width (cm)",
    "petal length (cm)",
    "petal width (cm)",
)


@overload
def load_data(
    *, test_split: None = None, seed: int | None = 113
) -> tuple[np.ndarray, np.ndarray]: ...


@overload
def load_data(*, test_split: float, seed: int | None = 113) -> Split: ...


def load_data(
    *, test_split: float | None = None, seed: int | None = 113
) -> tuple[np.ndarray, np.ndarray] | Split:
    """Load iris: all of it as ``(x, y)``, or split as ``(x_train, y_train), (x_test, y_test)``.

    Args:
        test_split: None (the default) for the whole dataset in scikit-learn's order
            (sorted by class); or the fraction of each class to hold out, strictly
            between 0 and 1, for a stratified, shuffled split in the Keras
            ``load_data()`` form.
        seed: seeds the split (113, Keras's default for its loaders, makes it the
            same on every call); None draws from deepgrad's global generator.

    Returns:
        ``(x, y)``, float32 features of shape (150, 4) in :data:`FEATURE_NAMES`
        order and int64 labels of shape (150,) indexing :data:`CLASS_NAMES`; or,
        with ``test_split``, ``(x_train, y_train), (x_test, y_test)``.

    Raises:
        ValueError: if ``test_split`` is not strictly between 0 and 1.
        ImportError: if scikit-learn is not installed.

    >>> import deepgrad as dg
    >>> x, y = dg.datasets.iris.load_data()
    >>> x.shape, x.dtype, y.shape, y.dtype
    ((150, 4), dtype('float32'), (150,), dtype('int64'))
    >>> (x_train, y_train), (x_test, y_test) = dg.datasets.iris.load_data(test_split=0.2)
    >>> len(x_train), len(x_test), np.bincount(y_test).tolist()
    (120, 30, [10, 10, 10])
    """
    from sklearn.datasets import load_iris

    return sklearn_arrays(load_iris(), test_split, seed, "iris.load_data")
