"""``tf.data.experimental``'s names that course code still uses (``AUTOTUNE`` above all).

>>> import deepgrad as dg
>>> dg.data.experimental.AUTOTUNE == dg.data.AUTOTUNE
True
"""

from __future__ import annotations

from deepgrad.data.constants import AUTOTUNE, INFINITE_CARDINALITY, UNKNOWN_CARDINALITY

__all__ = ["AUTOTUNE", "INFINITE_CARDINALITY", "UNKNOWN_CARDINALITY", "cardinality"]


def cardinality(dataset) -> int:
    """``tf.data.experimental.cardinality``: the dataset's number of elements, or
    ``INFINITE_CARDINALITY`` / ``UNKNOWN_CARDINALITY``.

    >>> import numpy as np
    >>> import deepgrad as dg
    >>> cardinality(dg.data.Dataset.from_tensor_slices(np.arange(10)).batch(4))
    3
    """
    return int(dataset.cardinality())
