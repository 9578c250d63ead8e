"""Named constants of the Dataset API, with tf.data's values.

>>> from deepgrad.data import AUTOTUNE, INFINITE_CARDINALITY, UNKNOWN_CARDINALITY
>>> AUTOTUNE, INFINITE_CARDINALITY, UNKNOWN_CARDINALITY
(-1, -1, -2)
"""

from __future__ import annotations

__all__ = ["AUTOTUNE", "INFINITE_CARDINALITY", "UNKNOWN_CARDINALITY"]

#: Let the pipeline choose a parallelism or buffer size (``map``, ``prefetch``).
AUTOTUNE: int = -1
#: What ``Dataset.cardinality()`` returns for a dataset that never ends.
INFINITE_CARDINALITY: int = -1
#: What ``Dataset.cardinality()`` returns when the length cannot be known cheaply.
UNKNOWN_CARDINALITY: int = -2
