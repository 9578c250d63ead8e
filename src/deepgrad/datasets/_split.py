"""A stratified, seeded train/test split for the small in-memory datasets (iris, digits)."""

from __future__ import annotations

import numpy as np

from ..random import make_generator

__all__ = ["Split", "stratified_split", "sklearn_arrays"]

Split = tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]


def stratified_split(
    x: np.ndarray, y: np.ndarray, test_split: float, seed: int | None, caller: str
) -> Split:
    """Split ``(x, y)`` into shuffled train and test sets with each class in the same proportion.

    Each class gives ``round(count * test_split)`` of its examples, chosen at random, to
    the test set; both sets are then shuffled so that classes are interleaved.

    Args:
        x: features, one row per example.
        y: integer class labels, shape (n,).
        test_split: the fraction of each class put in the test set, strictly between 0 and 1.
        seed: seeds a fresh generator; None draws from deepgrad's global one
            (see :func:`deepgrad.utils.set_random_seed`).
        caller: the loader's name, for error messages.

    Returns:
        ``(x_train, y_train), (x_test, y_test)``.

    Raises:
        ValueError: if ``test_split`` is not strictly between 0 and 1.
        TypeError: if it is not a real number.

    >>> x, y = np.arange(10.0)[:, None], np.array([0] * 5 + [1] * 5)
    >>> (x_train, y_train), (x_test, y_test) = stratified_split(x, y, 0.4, 0, "demo")
    >>> len(x_train), len(x_test), sorted(y_test.tolist())
    (6, 4, [0, 0, 1, 1])
    """
    if isinstance(test_split, bool) or not isinstance(test_split, (int, float, np.floating)):
        raise TypeError(
            f"{caller}: `test_split` must be a float between 0 and 1, or None. "
            f"Received: test_split={test_split!r}"
        )
    if not 0.0 < test_split < 1.0:
        raise ValueError(
            f"{caller}: `test_split` must be strictly between 0 and 1, or None for no split. "
            f"Received: test_split={test_split!r}"
        )
    rng = make_generator(seed)
    test_parts = []
    train_parts = []
    for label in np.unique(y):
        members = rng.permutation(np.flatnonzero(y == label))
        n_test = int(round(len(members) * test_split))
        test_parts.append(members[:n_test])
        train_parts.append(members[n_test:])
    train = rng.permutation(np.concatenate(train_parts))
    test = rng.permutation(np.concatenate(test_parts))
    return (x[train], y[train]), (x[test], y[test])


def sklearn_arrays(
    bunch, test_split: float | None, seed: int | None, caller: str
) -> tuple[np.ndarray, np.ndarray] | Split:
    """A scikit-learn dataset as float32 ``x`` and int64 ``y``, whole or split.

    Args:
        bunch: what a ``sklearn.datasets.load_*`` function returns (``.data``, ``.target``).
        test_split: None for ``(x, y)`` in scikit-learn's order, else as
            :func:`stratified_split`.
        seed, caller: as :func:`stratified_split`.

    >>> from types import SimpleNamespace
    >>> x, y = sklearn_arrays(SimpleNamespace(data=[[1, 2]], target=[0]), None, 0, "demo")
    >>> x.dtype, y.dtype
    (dtype('float32'), dtype('int64'))
    """
    x = np.asarray(bunch.data, dtype=np.float32)
    y = np.asarray(bunch.target, dtype=np.int64)
    if test_split is None:
        return x, y
    return stratified_split(x, y, test_split, seed, caller)
