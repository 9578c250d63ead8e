"""Circle loss (Sun et al., 2020) for metric learning: pull embeddings of the same label
together and push the others apart, each pair weighted by how far it is from its goal.

``y_pred`` holds L2-normalised embeddings (one row per sample), ``y_true`` their integer
labels; pairs are compared by cosine distance ``1 - e_i . e_j``. Keras 3's formula, built
from differentiable ops. Samples whose loss is 0 do not count in the batch mean, as in
Keras (it masks them).

>>> import numpy as np
>>> import deepgrad as dg
>>> embeddings = dg.Tensor(np.eye(3, dtype=np.float32)[[0, 0, 1, 1]])
>>> circle([0, 0, 1, 1], embeddings).data.round(6)  # already perfectly separated
array([0., 0., 0., 0.], dtype=float32)
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike, DTypeLike

from deepgrad import ops
from deepgrad.losses.base import FunctionLoss, prediction_tensor
from deepgrad.tensor import Tensor

__all__ = ["circle", "Circle"]

# Stands for -inf in the masked log-sum-exps: exp() of it is 0, and unlike -inf it keeps
# the gradient of a row with no positive (or no negative) pair at 0 instead of NaN.
_MASKED = -1e9


def _labels(values: Tensor | ArrayLike, name: str) -> np.ndarray:
    labels = np.asarray(values.data if isinstance(values, Tensor) else values)
    if labels.ndim == 2 and labels.shape[1] == 1:
        labels = labels[:, 0]
    if labels.ndim != 1:
        raise ValueError(f"circle: `{name}` must be one integer label per embedding. "
                         f"Received: {name}.shape={labels.shape}")
    return labels.astype(np.int64)


def circle(
    y_true: Tensor | ArrayLike,
    y_pred: Tensor | ArrayLike,
    ref_labels: Tensor | ArrayLike | None = None,
    ref_embeddings: Tensor | ArrayLike | None = None,
    remove_diagonal: bool = True,
    gamma: float = 80,
    margin: float = 0.4,
) -> Tensor:
    """Circle loss of each embedding against the reference ones (by default the batch).

    With cosine distances ``d``, positives (same label) are weighted by
    ``max(margin + d, 0)`` and scored ``-gamma * w * (margin - d)``, negatives weighted by
    ``max(1 + margin - d, 0)`` and scored ``gamma * w * (1 - margin - d)``; the loss is
    ``softplus(logsumexp(positive scores) + logsumexp(negative scores))``.

    Args:
        y_true: integer labels, shape ``(batch,)``.
        y_pred: L2-normalised embeddings, shape ``(batch, dim)``.
        ref_labels, ref_embeddings: the references (default: the batch itself).
        remove_diagonal: leave out each embedding's pair with itself.
        gamma: the scale factor.
        margin: the relaxation margin.

    Returns:
        A Tensor of shape ``(batch,)``.

    Raises:
        ValueError: for labels or embeddings of the wrong shape.

    >>> e = np.array([[1.0, 0.0], [0.6, 0.8], [0.0, 1.0]], np.float32)
    >>> circle([0, 0, 1], Tensor(e), gamma=1.0).data.round(3)
    array([0.616, 0.962, 0.   ], dtype=float32)
    """
    y_pred = prediction_tensor(y_pred)
    if y_pred.ndim != 2:
        raise ValueError(f"circle: `y_pred` must be embeddings of shape (batch, dim). "
                         f"Received: y_pred.shape={y_pred.shape}")
    labels = _labels(y_true, "y_true")
    references = y_pred if ref_embeddings is None else prediction_tensor(ref_embeddings)
    ref = labels if ref_labels is None else _labels(ref_labels, "ref_labels")
    if labels.shape[0] != y_pred.shape[0] or ref.shape[0] != references.shape[0]:
        raise ValueError("circle: expected one label per embedding. Received "
                         f"{labels.shape[0]} labels for {y_pred.shape[0]} embeddings and "
                         f"{ref.shape[0]} reference labels for {references.shape[0]}.")
    distances = ops.maximum(1.0 - ops.matmul(y_pred, ops.transpose(references)), 0.0)
    positive = labels[:, None] == ref[None, :]
    negative = ~positive
    if remove_diagonal:
        positive &= ~np.eye(labels.shape[0], ref.shape[0], dtype=bool)
    dtype = y_pred.dtype
    positive_weights = ops.maximum((margin + distances) * positive.astype(dtype), 0.0)
    negative_weights = ops.maximum((1.0 + margin - distances) * negative.astype(dtype), 0.0)
    positive_scores = -gamma * positive_weights * (margin - distances)
    negative_scores = gamma * negative_weights * (1.0 - margin - distances)
    masked = np.asarray(_MASKED, dtype=dtype)
    positive_part = ops.logsumexp(ops.where(positive, positive_scores, masked), axis=1)
    negative_part = ops.logsumexp(ops.where(negative, negative_scores, masked), axis=1)
    return ops.softplus(positive_part + negative_part)


class Circle(FunctionLoss):
    """Circle loss (Keras's ``Circle``), for learning embeddings from integer labels.

    Samples whose loss is 0 are left out of the mean (Keras masks them).

    Args:
        gamma: the scale factor. Defaults to 80.
        margin: the relaxation margin. Defaults to 0.4.
        remove_diagonal: leave out each embedding's pair with itself.
        reduction: how per-sample losses are combined (see ``Loss``).
        name: defaults to ``"circle"``.
        dtype: optional float dtype to compute in.

    >>> e = np.array([[1.0, 0.0], [0.6, 0.8], [0.0, 1.0]], np.float32)
    >>> round(float(Circle(gamma=1.0)([0, 0, 1], Tensor(e)).data), 4)  # (0.616 + 0.962) / 2
    0.789
    """

    fn = staticmethod(circle)

    def __init__(self, gamma: float = 80.0, margin: float = 0.4, remove_diagonal: bool = True,
                 reduction: str | None = "sum_over_batch_size", name: str = "circle",
                 dtype: DTypeLike = None):
        super().__init__(reduction=reduction, name=name, dtype=dtype, gamma=gamma,
                         margin=margin, remove_diagonal=remove_diagonal)
        self.gamma, self.margin, self.remove_diagonal = gamma, margin, remove_diagonal

    def call_with_mask(self, y_true: Any, y_pred: Tensor) -> tuple[Tensor, np.ndarray | None]:
        values = self.call(y_true, y_pred)
        return values, values.data > 0
