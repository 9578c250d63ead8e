"""F-scores (Keras 3 semantics): ``FBetaScore`` and ``F1Score`` over one-hot or multilabel
targets, per class or averaged (micro, macro, weighted).

Counts (TP, FP, FN and the support of each class) accumulate over the epoch, so the
score is scikit-learn's ``fbeta_score`` on everything seen (to Keras's epsilon, 1e-7, in
each division), and many small batches give the same score as one large one.

>>> f1 = F1Score(average="macro")
>>> f1.update_state([[1, 0], [0, 1]], [[0.9, 0.1], [0.6, 0.4]])
>>> round(f1.result(), 4)
0.3333
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike, DTypeLike

from deepgrad import config
from deepgrad.metrics.base import Metric, to_array
from deepgrad.tensor import Tensor

__all__ = ["FBetaScore", "F1Score"]

TensorLike = Tensor | ArrayLike


class FBetaScore(Metric):
    """``(1 + beta^2) * precision * recall / (beta^2 * precision + recall)``.

    Args:
        average: None (one score per class, a list), ``"micro"`` (counts pooled over
            classes), ``"macro"`` (mean of the class scores) or ``"weighted"`` (mean
            weighted by each class's support).
        beta: weight of recall against precision, > 0.
        threshold: a prediction above it is positive; None takes each sample's largest
            score (ties all count; a score of 0 never does), for one-hot targets.
        name: defaults to ``"fbeta_score"``.
        dtype: see ``Metric``.

    Input shape: ``y_true`` and ``y_pred`` of shape ``(samples, classes)``.

    Raises:
        ValueError: for a bad ``average``, ``beta`` or ``threshold``, inputs that are not
            2-D, or a class count that changes between updates.

    >>> scores = FBetaScore(beta=2.0, threshold=0.5)([[1, 1], [0, 1]], [[0.9, 0.2], [0.1, 0.8]])
    >>> [round(s, 4) for s in scores]
    [1.0, 0.5556]
    """

    def __init__(self, average: str | None = None, beta: float = 1.0,
                 threshold: float | None = None, name: str = "fbeta_score",
                 dtype: DTypeLike = None):
        super().__init__(name=name, dtype=dtype)
        cls = type(self).__name__
        if average not in (None, "micro", "macro", "weighted"):
            raise ValueError(f"{cls}: `average` must be one of None, 'micro', 'macro', "
                             f"'weighted'. Received: average={average!r}")
        if isinstance(beta, bool) or not isinstance(beta, (int, float)) or beta <= 0:
            raise ValueError(f"{cls}: `beta` must be a number > 0. Received: beta={beta!r}")
        if threshold is not None and (isinstance(threshold, bool) or not
                                      isinstance(threshold, (int, float)) or
                                      not 0 < threshold <= 1):
            raise ValueError(f"{cls}: `threshold` must be None or a float with 0 < threshold "
                             f"<= 1. Received: threshold={threshold!r}")
        self.average = average
        self.beta = float(beta)
        self.threshold = threshold
        self.reset_state()

    def reset_state(self) -> None:
        self.true_positives = self.false_positives = None
        self.false_negatives = self.intermediate_weights = None

    def update_state(self, y_true: TensorLike, y_pred: TensorLike,
                     sample_weight: TensorLike | None = None) -> None:
        """Add one batch's per-class counts."""
        y_true = np.asarray(to_array(y_true), dtype=np.float64)
        y_pred = np.asarray(to_array(y_pred), dtype=np.float64)
        if y_true.ndim != 2 or y_pred.ndim != 2 or y_true.shape != y_pred.shape:
            raise ValueError(
                f"{self.name}: expected y_true and y_pred of the same shape (samples, classes), "
                f"e.g. one-hot labels. Received: y_true.shape={y_true.shape}, "
                f"y_pred.shape={y_pred.shape}"
            )
        if self.threshold is None:
            top = y_pred.max(axis=-1, keepdims=True)
            predicted = (y_pred >= top) & (np.abs(y_pred) > 1e-9)
        else:
            predicted = y_pred > self.threshold
        predicted = predicted.astype(np.float64)
        weights = np.ones((len(y_true), 1))
        if sample_weight is not None:
            weights = np.asarray(to_array(sample_weight), dtype=np.float64)
            weights = weights.reshape(weights.shape + (1,) * (2 - weights.ndim))
            try:
                weights = np.broadcast_to(weights, y_true.shape)
            except ValueError:
                raise ValueError(
                    f"{self.name}: `sample_weight` must have one weight per sample, shape "
                    f"{y_true.shape[:1]} or {y_true.shape}. Received: "
                    f"sample_weight.shape={np.shape(sample_weight)}"
                ) from None
        axis = None if self.average == "micro" else 0
        counts = [np.sum(v * weights, axis=axis) for v in (
            predicted * y_true, predicted * (1 - y_true), (1 - predicted) * y_true, y_true)]
        if self.true_positives is None:
            self.true_positives, self.false_positives = counts[0], counts[1]
            self.false_negatives, self.intermediate_weights = counts[2], counts[3]
            return
        if np.shape(counts[0]) != np.shape(self.true_positives):
            raise ValueError(f"{self.name}: the number of classes changed between updates. "
                             f"Received: y_pred.shape={y_pred.shape}")
        self.true_positives = self.true_positives + counts[0]
        self.false_positives = self.false_positives + counts[1]
        self.false_negatives = self.false_negatives + counts[2]
        self.intermediate_weights = self.intermediate_weights + counts[3]

    def result(self) -> float | list[float]:
        if self.true_positives is None:
            return 0.0
        tp = self.true_positives
        precision = tp / (tp + self.false_positives + config.epsilon())
        recall = tp / (tp + self.false_negatives + config.epsilon())
        beta2 = self.beta ** 2
        score = (1 + beta2) * precision * recall / (beta2 * precision + recall + config.epsilon())
        if self.average == "weighted":
            support = self.intermediate_weights
            return float(np.sum(score * support / (np.sum(support) + config.epsilon())))
        if self.average is not None:
            return float(np.mean(score))
        return [float(s) for s in score]

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name, "dtype": self.dtype, "average": self.average,
                "beta": self.beta, "threshold": self.threshold}


class F1Score(FBetaScore):
    """The harmonic mean of precision and recall: :class:`FBetaScore` with ``beta=1``.

    >>> f1 = F1Score(average="micro", threshold=0.5)
    >>> round(f1([[1, 0], [0, 1]], [[0.9, 0.1], [0.6, 0.4]]), 4)
    0.5
    """

    def __init__(self, average: str | None = None, threshold: float | None = None,
                 name: str = "f1_score", dtype: DTypeLike = None):
        super().__init__(average=average, beta=1.0, threshold=threshold, name=name, dtype=dtype)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        del config["beta"]
        return config
