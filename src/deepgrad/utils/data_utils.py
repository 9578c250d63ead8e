"""Keras's batch and split helpers: ``pack_x_y_sample_weight``, ``unpack_x_y_sample_weight``,
``split_dataset``.

>>> unpack_x_y_sample_weight(pack_x_y_sample_weight("x", "y"))
('x', 'y', None)
"""

from __future__ import annotations

import numpy as np

from deepgrad import random as dg_random
from deepgrad import tree

__all__ = ["pack_x_y_sample_weight", "unpack_x_y_sample_weight", "split_dataset"]


def pack_x_y_sample_weight(x, y=None, sample_weight=None):
    """The batch form ``fit`` accepts: ``(x,)``, ``(x, y)`` or ``(x, y, sample_weight)``.

    A lone ``x`` that is a tuple or list is wrapped, ``(x,)``, so that it is not read as
    ``(x, y)``; otherwise it is returned as it is (Keras's rule).

    >>> pack_x_y_sample_weight([1, 2]), pack_x_y_sample_weight(1, 2, 3)
    (([1, 2],), (1, 2, 3))
    """
    if y is None:
        return (x,) if isinstance(x, (list, tuple)) else x
    if sample_weight is None:
        return (x, y)
    return (x, y, sample_weight)


def unpack_x_y_sample_weight(data) -> tuple:
    """Split a batch into ``(x, y, sample_weight)`` (missing parts are None).

    Raises:
        ValueError: for a tuple of more than 3 elements.

    >>> unpack_x_y_sample_weight((1,)), unpack_x_y_sample_weight([1, 2])
    ((1, None, None), (1, 2, None))
    """
    if isinstance(data, list):
        data = tuple(data)
    if not isinstance(data, tuple):
        return (data, None, None)
    if len(data) in (1, 2, 3):
        return tuple(data) + (None,) * (3 - len(data))
    raise ValueError(
        "Data is expected to be in format `x`, `(x,)`, `(x, y)`, or `(x, y, sample_weight)`, "
        f"found: {data}"
    )


def _sizes(total: int, left_size, right_size) -> tuple[int, int]:
    """Keras's rule: a float is a fraction, an int a count; a missing size takes the rest."""

    def count(size, name):
        if size is None:
            return None
        if isinstance(size, bool) or not isinstance(size, (int, float, np.integer, np.floating)):
            raise TypeError(f"split_dataset: `{name}` must be an int or a float. "
                            f"Received: {name}={size!r}")
        if isinstance(size, (float, np.floating)):
            if not 0 < size < 1:
                raise ValueError(f"split_dataset: a float `{name}` must be in (0, 1). "
                                 f"Received: {name}={size}")
            return size
        if not 0 < size <= total:
            raise ValueError(f"split_dataset: `{name}` must be in (0, {total}] (the number of "
                             f"samples). Received: {name}={size}")
        return int(size)

    left, right = count(left_size, "left_size"), count(right_size, "right_size")
    if left is None and right is None:
        left = 0.5
    if isinstance(left, float):
        left = round(total * left)  # Keras rounds fractions to the nearest count
    if isinstance(right, float):
        right = round(total * right)
    if left is None:
        left = total - right
    if right is None:
        right = total - left
    if left + right > total or left <= 0 or right <= 0:
        raise ValueError(
            f"split_dataset: the sizes ({left} + {right}) must be positive and at most the "
            f"{total} samples. Received: left_size={left_size}, right_size={right_size}"
        )
    return left, right


def split_dataset(dataset, left_size=None, right_size=None, shuffle: bool = False,
                  seed: int | None = None):
    """Split arrays (or a tuple/dict of them, or a ``dg.data.Dataset``) into two Datasets.

    Args:
        dataset: a NumPy array, a list/tuple/dict of arrays with the same first axis, or a
            finite ``dg.data.Dataset`` of unbatched samples.
        left_size: the first part's size: a float in (0, 1) is a fraction (rounded), an
            int a count; None takes what ``right_size`` leaves (both None: half).
        right_size: the second part's size, likewise.
        shuffle: shuffle the samples before splitting.
        seed: the shuffle's seed (None: deepgrad's global generator).

    Returns:
        ``(left, right)``: two ``dg.data.Dataset`` objects of samples.

    Raises:
        ValueError: for sizes outside the data or that do not fit together.

    >>> left, right = split_dataset(np.arange(10), left_size=0.8)
    >>> [int(v) for v in right]
    [8, 9]
    """
    from deepgrad.data import Dataset

    if isinstance(dataset, Dataset):
        samples = list(dataset.as_numpy_iterator())
        columns = tree.map_structure(lambda *parts: np.stack(parts), *samples) if samples \
            else None
    else:
        columns = tuple(dataset) if isinstance(dataset, list) else dataset
        columns = tree.map_structure(np.asarray, columns)
    leaves = tree.flatten(columns) if columns is not None else []
    if not leaves:
        raise ValueError("split_dataset: the dataset is empty.")
    total = len(leaves[0])
    left, right = _sizes(total, left_size, right_size)
    order = np.arange(total)
    if shuffle:
        generator = np.random.default_rng(seed) if seed is not None else dg_random.generator()
        order = generator.permutation(total)
    pieces = []
    for index in (order[:left], order[left : left + right]):
        part = tree.map_structure(lambda a, index=index: a[index], columns)
        pieces.append(Dataset.from_tensor_slices(part))
    return pieces[0], pieces[1]
