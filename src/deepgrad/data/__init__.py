"""tf.data-style input pipelines on NumPy: ``dg.data.Dataset`` and friends.

>>> import numpy as np
>>> import deepgrad as dg
>>> ds = dg.data.Dataset.from_tensor_slices(np.arange(6)).batch(4).prefetch(dg.data.AUTOTUNE)
>>> [b.tolist() for b in ds]
[[0, 1, 2, 3], [4, 5]]
"""

from __future__ import annotations

from deepgrad.data import experimental
from deepgrad.data.constants import AUTOTUNE, INFINITE_CARDINALITY, UNKNOWN_CARDINALITY
from deepgrad.data.dataset import Dataset
from deepgrad.data.structure import TensorSpec

__all__ = [
    "AUTOTUNE",
    "INFINITE_CARDINALITY",
    "UNKNOWN_CARDINALITY",
    "Dataset",
    "TensorSpec",
    "experimental",
]
