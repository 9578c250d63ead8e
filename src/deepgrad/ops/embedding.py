"""Embedding lookup: rows of a table picked by integer ids, and its scatter-add backward.

The backward adds each id's gradients into that id's row only: the ids are grouped with
``np.unique`` and every (row, column) sum is one ``np.bincount``, instead of a product
with a one-hot matrix (``vocabulary x ids``) or ``np.add.at``, which was 7x slower on
6,400 ids of 64 columns (``benchmarks/rnn.py`` trains through it).

>>> import deepgrad as dg
>>> table = dg.Tensor(np.arange(6.0).reshape(3, 2), requires_grad=True)
>>> out = embedding_lookup(np.array([[2, 0, 2]]), table)
>>> out.data.tolist()
[[[4.0, 5.0], [0.0, 1.0], [4.0, 5.0]]]
>>> out.sum().backward(); table.grad.tolist()
[[1.0, 1.0], [0.0, 0.0], [2.0, 2.0]]
"""

from __future__ import annotations

import numpy as np

from deepgrad.tensor import Tensor, as_tensor, make_result

__all__ = ["embedding_lookup", "scatter_rows"]


def scatter_rows(ids: np.ndarray, grads: np.ndarray, rows: int) -> np.ndarray:
    """``out[ids[i]] += grads[i]`` into a zero ``(rows, dim)`` array.

    >>> scatter_rows(np.array([1, 1, 0]), np.ones((3, 2)), 3).tolist()
    [[1.0, 1.0], [2.0, 2.0], [0.0, 0.0]]
    """
    ids = ids.ravel()
    dim = grads.shape[-1]
    grads = grads.reshape(len(ids), dim)
    used, inverse = np.unique(ids, return_inverse=True)
    cells = (inverse[:, None] * dim + np.arange(dim)).ravel()
    sums = np.bincount(cells, weights=grads.ravel(), minlength=len(used) * dim)
    out = np.zeros((rows, dim), grads.dtype)
    out[used] = sums.reshape(len(used), dim)
    return out


def embedding_lookup(ids, table) -> Tensor:
    """``table[ids]``: one row of ``table`` ``(vocabulary, dim)`` per id.

    Args:
        ids: integer array (any shape) of row indices in ``[0, vocabulary)``.
        table: ``(vocabulary, dim)``.

    Returns:
        ``ids.shape + (dim,)``; the gradient reaches only the rows used.

    Raises:
        ValueError: for ids outside ``[0, vocabulary)``.
    """
    table = as_tensor(table)
    ids = np.asarray(ids.data if isinstance(ids, Tensor) else ids)
    if ids.size and (ids.min() < 0 or ids.max() >= table.shape[0]):
        raise ValueError(
            f"embedding_lookup: ids must be in [0, {table.shape[0]}). Received ids from "
            f"{ids.min()} to {ids.max()}"
        )
    out = np.take(table.data, ids, axis=0)
    return make_result(out, (table,), lambda g: (scatter_rows(ids, g, table.shape[0]),))
