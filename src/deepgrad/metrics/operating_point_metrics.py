"""Operating points on the ROC and precision-recall curves (Keras 3 semantics):
PrecisionAtRecall, RecallAtPrecision, SensitivityAtSpecificity, SpecificityAtSensitivity.

Each counts TP, FP, TN and FN at ``num_thresholds`` evenly spaced thresholds over the
epoch and reports the best value of one rate among the thresholds where another reaches
the requested value. With predictions on those thresholds the result is exactly what
scikit-learn's ``roc_curve`` / ``precision_recall_curve`` give at the same points.

>>> round(SensitivityAtSpecificity(0.5)([0, 0, 0, 1, 1], [0, 0.3, 0.8, 0.3, 0.8]), 4)
0.5
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike, DTypeLike

from deepgrad.metrics.base import Metric, same_shape, to_array
from deepgrad.metrics.confusion_metrics import (
    divide_no_nan,
    select_class,
    threshold_counts,
    weights_like,
)
from deepgrad.tensor import Tensor

__all__ = ["PrecisionAtRecall", "RecallAtPrecision", "SensitivityAtSpecificity",
           "SpecificityAtSensitivity"]

TensorLike = Tensor | ArrayLike


class _OperatingPoint(Metric):
    """The best value of one rate among the thresholds where another reaches ``value``.

    The thresholds are ``num_thresholds`` evenly spaced in ``[0, 1]`` (just 0.5 for one);
    predictions are clipped to ``[0, 1]`` first, as Keras does for evenly spaced
    thresholds. ``result`` is the largest ``dependent`` rate among the thresholds whose
    ``constrained`` rate is at least ``value``, or 0 if there is none.
    """

    _argument = "value"

    def __init__(self, value: float, num_thresholds: int = 200, class_id: int | None = None,
                 name: str | None = None, dtype: DTypeLike = None):
        super().__init__(name=name, dtype=dtype)
        cls = type(self).__name__
        if not 0 <= value <= 1:
            raise ValueError(f"{cls}: `{self._argument}` must be in the range [0, 1]. "
                             f"Received: {self._argument}={value}")
        if isinstance(num_thresholds, bool) or not isinstance(num_thresholds, int) or (
            num_thresholds <= 0
        ):
            raise ValueError(f"{cls}: `num_thresholds` must be an int > 0. "
                             f"Received: num_thresholds={num_thresholds!r}")
        self.value = float(value)
        self.num_thresholds = num_thresholds
        self.class_id = class_id
        self.thresholds = np.array([0.5] if num_thresholds == 1 else (
            [0.0] + [(i + 1) / (num_thresholds - 1) for i in range(num_thresholds - 2)] + [1.0]))
        self.reset_state()

    def reset_state(self) -> None:
        size = len(self.thresholds)
        self.true_positives, self.false_positives = np.zeros(size), np.zeros(size)
        self.true_negatives, self.false_negatives = np.zeros(size), np.zeros(size)

    def update_state(self, y_true: TensorLike, y_pred: TensorLike,
                     sample_weight: TensorLike | None = None) -> None:
        """Add one batch to the per-threshold counts."""
        y_true, y_pred = same_shape(self.name, to_array(y_true), to_array(y_pred))
        weights = weights_like(self.name, sample_weight, y_true.shape)
        y_true, y_pred = select_class(self.name, y_true, y_pred, self.class_id)
        if weights is not None and self.class_id is not None:
            weights = weights[..., self.class_id]
        y_pred = y_pred.astype(np.float64)
        if self.num_thresholds > 1:
            y_pred = np.clip(y_pred, 0.0, 1.0)
        counts = threshold_counts(y_true.astype(bool).reshape(-1, 1), y_pred.reshape(-1, 1),
                                  None if weights is None else weights.reshape(-1, 1),
                                  self.thresholds)
        self.true_positives += counts[0][:, 0]
        self.false_positives += counts[1][:, 0]
        self.true_negatives += counts[2][:, 0]
        self.false_negatives += counts[3][:, 0]

    def _rates(self) -> dict[str, np.ndarray]:
        tp, fp = self.true_positives, self.false_positives
        tn, fn = self.true_negatives, self.false_negatives
        return {"recall": divide_no_nan(tp, tp + fn), "precision": divide_no_nan(tp, tp + fp),
                "specificity": divide_no_nan(tn, tn + fp)}

    _constrained = _dependent = "recall"

    def result(self) -> float:
        rates = self._rates()
        feasible = rates[self._constrained] >= self.value
        return float(np.max(np.where(feasible, rates[self._dependent], 0.0), initial=0.0))

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name, "dtype": self.dtype, self._argument: self.value,
                "num_thresholds": self.num_thresholds, "class_id": self.class_id}


class SensitivityAtSpecificity(_OperatingPoint):
    """The best sensitivity (recall) among the thresholds where specificity is at least
    ``specificity``.

    Args:
        specificity: in ``[0, 1]``.
        num_thresholds: evenly spaced thresholds in ``[0, 1]`` to try (default 200).
        class_id: compute for this class (column) only.
        name, dtype: see ``Metric``.

    Raises:
        ValueError: for a value outside ``[0, 1]`` or ``num_thresholds`` < 1.

    >>> m = SensitivityAtSpecificity(0.5)
    >>> m([0, 0, 0, 1, 1], [0, 0.3, 0.8, 0.3, 0.8])
    0.5
    """

    _argument, _constrained, _dependent = "specificity", "specificity", "recall"

    def __init__(self, specificity: float, num_thresholds: int = 200,
                 class_id: int | None = None, name: str | None = None, dtype: DTypeLike = None):
        super().__init__(specificity, num_thresholds, class_id, name, dtype)


class SpecificityAtSensitivity(_OperatingPoint):
    """The best specificity among the thresholds where sensitivity (recall) is at least
    ``sensitivity`` (arguments as :class:`SensitivityAtSpecificity`).

    >>> round(SpecificityAtSensitivity(0.5)([0, 0, 0, 1, 1], [0, 0.3, 0.8, 0.3, 0.8]), 4)
    0.6667
    """

    _argument, _constrained, _dependent = "sensitivity", "recall", "specificity"

    def __init__(self, sensitivity: float, num_thresholds: int = 200,
                 class_id: int | None = None, name: str | None = None, dtype: DTypeLike = None):
        super().__init__(sensitivity, num_thresholds, class_id, name, dtype)


class PrecisionAtRecall(_OperatingPoint):
    """The best precision among the thresholds where recall is at least ``recall``
    (arguments as :class:`SensitivityAtSpecificity`).

    >>> PrecisionAtRecall(0.5)([0, 0, 0, 1, 1], [0, 0.3, 0.8, 0.3, 0.8])
    0.5
    """

    _argument, _constrained, _dependent = "recall", "recall", "precision"

    def __init__(self, recall: float, num_thresholds: int = 200, class_id: int | None = None,
                 name: str | None = None, dtype: DTypeLike = None):
        super().__init__(recall, num_thresholds, class_id, name, dtype)


class RecallAtPrecision(_OperatingPoint):
    """The best recall among the thresholds where precision is at least ``precision``;
    0 when no threshold reaches it (arguments as :class:`SensitivityAtSpecificity`).

    >>> RecallAtPrecision(0.8)([0, 0, 1, 1], [0, 0.5, 0.3, 0.9])
    0.5
    """

    _argument, _constrained, _dependent = "precision", "precision", "recall"

    def __init__(self, precision: float, num_thresholds: int = 200,
                 class_id: int | None = None, name: str | None = None, dtype: DTypeLike = None):
        super().__init__(precision, num_thresholds, class_id, name, dtype)
