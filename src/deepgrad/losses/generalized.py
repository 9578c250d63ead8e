"""Generalized cross-entropy (Zhang and Sabuncu, 2018): a loss robust to noisy labels.

``(1 - p ** q) / q`` of the probability ``p`` given to the true class: ``q -> 0`` gives
the cross-entropy ``-log p``, ``q = 1`` the mean absolute error ``1 - p``; in between it
trades the cross-entropy's fast learning for MAE's robustness to wrong labels.

>>> import numpy as np
>>> import deepgrad as dg
>>> categorical_generalized_cross_entropy(np.array([0, 1]),
...                                       dg.Tensor([[0.25, 0.75], [0.5, 0.5]]), q=0.5).data
array([1.        , 0.58578646], dtype=float32)
"""

from __future__ import annotations

from numpy.typing import ArrayLike, DTypeLike

from deepgrad import ops
from deepgrad.losses.base import FunctionLoss, prediction_tensor
from deepgrad.losses.functions import sparse_labels
from deepgrad.tensor import Tensor

__all__ = ["categorical_generalized_cross_entropy", "CategoricalGeneralizedCrossEntropy"]


def categorical_generalized_cross_entropy(y_true: Tensor | ArrayLike, y_pred: Tensor | ArrayLike,
                                          q: float) -> Tensor:
    """Generalized cross-entropy with integer labels, one value per sample.

    Args:
        y_true: integer class labels, shape ``y_pred.shape[:-1]`` (a trailing 1 allowed).
        y_pred: class probabilities on the last axis.
        q: in (0, 1).

    Returns:
        A Tensor of shape ``y_pred.shape[:-1]``: ``(1 - p_true ** q) / q``.

    Raises:
        ValueError: for labels that do not fit ``y_pred``.

    >>> categorical_generalized_cross_entropy([1], Tensor([[0.0, 1.0]]), q=0.7).data
    array([0.], dtype=float32)
    """
    y_pred = prediction_tensor(y_pred)
    labels = sparse_labels("categorical_generalized_cross_entropy", y_true, y_pred)
    one_hot = (labels[..., None] == range(y_pred.shape[-1])).astype(y_pred.dtype)
    true_probability = ops.sum(y_pred * one_hot, axis=-1)
    return (1.0 - ops.power(true_probability, q)) / q


class CategoricalGeneralizedCrossEntropy(FunctionLoss):
    """Generalized cross-entropy (Keras's ``CategoricalGeneralizedCrossEntropy``), for
    training on noisy labels: integer labels, probabilities.

    Args:
        q: in (0, 1); smaller is closer to the cross-entropy. Defaults to 0.5.
        reduction: how per-sample losses are combined (see ``Loss``).
        name: defaults to ``"categorical_generalized_cross_entropy"``.
        dtype: optional float dtype to compute in.

    Raises:
        ValueError: for ``q`` outside (0, 1).

    >>> loss = CategoricalGeneralizedCrossEntropy(q=0.5)
    >>> round(float(loss([0, 1], Tensor([[0.25, 0.75], [0.5, 0.5]])).data), 4)
    0.7929
    """

    fn = staticmethod(categorical_generalized_cross_entropy)

    def __init__(self, q: float = 0.5, reduction: str | None = "sum_over_batch_size",
                 name: str = "categorical_generalized_cross_entropy", dtype: DTypeLike = None):
        if isinstance(q, bool) or not isinstance(q, (int, float)) or not 0 < q < 1:
            raise ValueError(f"CategoricalGeneralizedCrossEntropy: `q` must be in (0, 1). "
                             f"Received: q={q!r}")
        super().__init__(reduction=reduction, name=name, dtype=dtype, q=q)
        self.q = q
