"""``normalize``: scale an array to unit norm along an axis, as ``keras.utils.normalize``.

>>> normalize(np.array([[3.0, 4.0], [0.0, 0.0]])).tolist()
[[0.6, 0.8], [0.0, 0.0]]
"""

from __future__ import annotations

import numpy as np

from deepgrad import config, ops
from deepgrad.tensor import Tensor

__all__ = ["normalize"]



def normalize(x, axis: int | None = -1, order: int = 2):
    """Divide ``x`` by its ``order``-norm along ``axis``.

    A NumPy array (or anything array-like) gives a NumPy array, as in Keras: norms are
    ``np.linalg.norm(x, order, axis)`` and a zero norm divides by 1, so zero rows stay
    zero. A :class:`deepgrad.Tensor` gives a differentiable Tensor, ``x / max(norm,
    1e-7)`` (Keras's ``ops.nn.normalize``), for ``order`` 1 or 2.

    Args:
        x: the array or Tensor.
        axis: the axis to normalize along (None: the whole array, for NumPy input).
        order: the norm's order (2: Euclidean).

    Returns:
        A normalized copy, of the input's kind.

    Raises:
        ValueError: for a Tensor with an ``order`` other than 1 or 2, or ``axis=None``.

    >>> normalize([[1.0, -3.0]], order=1).tolist()
    [[0.25, -0.75]]
    """
    if isinstance(x, Tensor):
        if order not in (1, 2) or axis is None:
            raise ValueError(
                "normalize: a Tensor is normalized with order 1 or 2 along one axis. "
                f"Received: order={order}, axis={axis}"
            )
        if order == 2:
            norm = ops.sqrt(ops.sum(ops.multiply(x, x), axis=axis, keepdims=True))
        else:
            norm = ops.sum(ops.abs(x), axis=axis, keepdims=True)
        floor = np.asarray(config.epsilon(), dtype=x.data.dtype)
        return ops.divide(x, ops.maximum(norm, Tensor(floor)))
    array = np.asarray(x)
    norm = np.atleast_1d(np.linalg.norm(array, order, axis))
    norm[norm == 0] = 1
    return array / np.expand_dims(norm, -1 if axis is None else axis)
