"""AUC: the area under the ROC or precision-recall curve, from counts at fixed thresholds.

As in Keras, predictions are counted at ``num_thresholds`` thresholds (evenly spaced in
[0, 1], plus one just below 0 and one just above 1) and the curve through those points is
integrated, so the state is a fixed number of counts and streaming is exact: many small
batches give the same area as one large one.

How this differs from scikit-learn (``roc_auc_score``, ``average_precision_score``),
which use every distinct score as a threshold:

- ROC: a positive and a negative that fall between the same two thresholds count as a
  tie (half), so the area moves by at most half the share of such pairs. With
  predictions on the thresholds (``k / (num_thresholds - 1)``) the two agree to rounding;
  with 1,000 thresholds and spread-out scores they agree to about 1e-3.
- PR: Keras interpolates precision between thresholds (Davis & Goadrich, 2006) where
  ``average_precision_score`` sums a step function; the two differ by the area between
  the steps and the interpolated curve (about 0.01 on typical data).
  ``summation_method="minoring"``/``"majoring"`` give Riemann sums under and over it.

>>> m = AUC(num_thresholds=3)
>>> m.update_state([0, 0, 1, 1], [0, 0.5, 0.3, 0.9]); m.result()
0.75
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, DTypeLike

from deepgrad import config
from deepgrad.metrics.base import Metric, same_shape, to_array
from deepgrad.metrics.confusion_metrics import divide_no_nan, threshold_counts, weights_like
from deepgrad.ops.elementwise import sigmoid_array
from deepgrad.tensor import Tensor

__all__ = ["AUC"]

TensorLike = Tensor | ArrayLike


def _evenly_spaced(thresholds: Sequence[float]) -> bool:
    n = len(thresholds)
    return n >= 3 and bool(np.allclose(thresholds, np.arange(n) / (n - 1), atol=config.epsilon()))


class AUC(Metric):
    """Area under the ROC, precision-recall or precision-recall-gain curve.

    Args:
        num_thresholds: number of thresholds, > 1 (default 200).
        curve: ``"ROC"``, ``"PR"`` or ``"PRGAIN"``.
        summation_method: ``"interpolation"`` (trapezoids; for PR, Davis & Goadrich
            interpolation), ``"minoring"`` or ``"majoring"``.
        name: defaults to ``"auc"``.
        dtype: see ``Metric``.
        thresholds: explicit thresholds in [0, 1] instead of ``num_thresholds``.
        multi_label: treat each column of a 2-D ``y_pred`` as its own label and average
            their AUCs (weighted by ``label_weights``); otherwise all entries are pooled
            (scikit-learn's "micro" average).
        num_labels: the number of labels (only with ``multi_label``; counted on update
            otherwise).
        label_weights: per-label weights: of the labels' AUCs with ``multi_label``, of
            the entries of each column otherwise.
        from_logits: apply a sigmoid to ``y_pred`` first.

    Predictions are clipped to [0, 1] when the thresholds are evenly spaced, as Keras
    does. A prediction exactly on a threshold is not above it; Keras's bucket formula
    ``ceil(p * (T - 1)) - 1`` can put a prediction within float rounding of a threshold
    one bucket away.

    Raises:
        ValueError: for a bad ``num_thresholds``, curve, summation method or
            ``num_labels`` without ``multi_label``.

    >>> round(AUC(curve="PR", num_thresholds=3)([0, 0, 1, 1], [0, 0.5, 0.3, 0.9]), 4)
    0.8207
    """

    def __init__(self, num_thresholds: int = 200, curve: str = "ROC",
                 summation_method: str = "interpolation", name: str = "auc",
                 dtype: DTypeLike = None,
                 thresholds: Sequence[float] | None = None, multi_label: bool = False,
                 num_labels: int | None = None, label_weights: ArrayLike | None = None,
                 from_logits: bool = False):
        super().__init__(name=name, dtype=dtype)
        if thresholds is not None:
            inner = sorted(float(t) for t in thresholds)
            num_thresholds = len(inner) + 2
            self._clip = _evenly_spaced([0.0] + inner + [1.0])
        else:
            if isinstance(num_thresholds, bool) or not isinstance(num_thresholds, int) or (
                num_thresholds <= 1
            ):
                raise ValueError(
                    f"AUC: `num_thresholds` must be an int > 1. Received: {num_thresholds!r}"
                )
            inner = [(i + 1) / (num_thresholds - 1) for i in range(num_thresholds - 2)]
            self._clip = True
        self._init_thresholds = thresholds
        self.num_thresholds = num_thresholds
        eps = config.epsilon()
        self.thresholds = np.asarray([0.0 - eps] + inner + [1.0 + eps])
        curve = str(curve).upper()
        if curve not in ("ROC", "PR", "PRGAIN"):
            raise ValueError(
                f"AUC: `curve` must be 'ROC', 'PR' or 'PRGAIN'. Received: curve={curve!r}"
            )
        summation_method = str(summation_method).lower()
        if summation_method not in ("interpolation", "minoring", "majoring"):
            raise ValueError(
                "AUC: `summation_method` must be 'interpolation', 'minoring' or 'majoring'. "
                f"Received: summation_method={summation_method!r}"
            )
        if num_labels is not None and not multi_label:
            raise ValueError(
                "AUC: `num_labels` is needed only when `multi_label` is True. "
                f"Received: num_labels={num_labels!r}, multi_label={multi_label!r}"
            )
        self.curve = curve
        self.summation_method = summation_method
        self.multi_label = bool(multi_label)
        self.num_labels = num_labels
        self.label_weights = None if label_weights is None else np.asarray(label_weights, float)
        self.from_logits = from_logits
        self.reset_state()

    def reset_state(self) -> None:
        self.true_positives = self.false_positives = None
        self.true_negatives = self.false_negatives = None

    def update_state(self, y_true: TensorLike, y_pred: TensorLike,
                     sample_weight: TensorLike | None = None) -> None:
        """Add one batch to the per-threshold counts."""
        y_true, y_pred = same_shape(self.name, to_array(y_true), to_array(y_pred))
        y_pred = y_pred.astype(np.float64)
        if self.from_logits:
            y_pred = sigmoid_array(y_pred)
        if self._clip:
            y_pred = np.clip(y_pred, 0.0, 1.0)
        weights = weights_like(self.name, sample_weight, y_true.shape)
        labels = y_true.astype(bool)
        if self.multi_label:
            if y_pred.ndim != 2:
                raise ValueError(
                    f"{self.name}: with multi_label=True, y_pred must be 2-D (samples, labels). "
                    f"Received: y_pred.shape={y_pred.shape}"
                )
        else:
            if self.label_weights is not None:
                per_label = np.broadcast_to(self.label_weights, y_pred.shape)
                weights = per_label if weights is None else weights * per_label
            labels, y_pred = labels.reshape(-1, 1), y_pred.reshape(-1, 1)
            weights = None if weights is None else weights.reshape(-1, 1)
        counts = threshold_counts(labels, y_pred, weights, self.thresholds)
        columns = counts[0].shape[1]
        if self.true_positives is None:
            zeros = np.zeros((len(self.thresholds), columns))
            self.true_positives, self.false_positives = zeros.copy(), zeros.copy()
            self.true_negatives, self.false_negatives = zeros.copy(), zeros.copy()
        elif self.true_positives.shape[1] != columns:
            raise ValueError(
                f"{self.name}: the number of labels changed from "
                f"{self.true_positives.shape[1]} to {columns} between updates."
            )
        self.true_positives += counts[0]
        self.false_positives += counts[1]
        self.true_negatives += counts[2]
        self.false_negatives += counts[3]

    def _interpolate_pr(self) -> np.ndarray:
        """Davis & Goadrich: precision interpolated linearly in TP between thresholds."""
        tp, fp, fn = self.true_positives, self.false_positives, self.false_negatives
        dtp = tp[:-1] - tp[1:]
        p = tp + fp
        dp = p[:-1] - p[1:]
        slope = divide_no_nan(dtp, np.maximum(dp, 0))
        intercept = tp[1:] - slope * p[1:]
        both = (p[:-1] > 0) & (p[1:] > 0)
        ratio = np.where(both, divide_no_nan(p[:-1], np.maximum(p[1:], 0)), 1.0)
        log_ratio = np.log(np.where(ratio > 0, ratio, 1.0))
        return divide_no_nan(slope * (dtp + intercept * log_ratio), np.maximum(tp[1:] + fn[1:], 0))

    def _curve(self) -> tuple[np.ndarray, np.ndarray]:
        tp, fp, tn, fn = (self.true_positives, self.false_positives, self.true_negatives,
                          self.false_negatives)
        recall = divide_no_nan(tp, tp + fn)
        if self.curve == "ROC":
            return divide_no_nan(fp, fp + tn), recall
        if self.curve == "PR":
            return recall, divide_no_nan(tp, tp + fp)
        scale = divide_no_nan(tp + fn, tn + fp)
        recall_gain = np.where(tp == 0, 0.0, 1.0 - scale * divide_no_nan(fn, tp))
        precision_gain = np.where(tp == 0, 1.0, 1.0 - scale * divide_no_nan(fp, tp))
        return np.maximum(recall_gain, 0.0), precision_gain

    def result(self) -> float:
        if self.true_positives is None:
            return 0.0
        if self.curve == "PR" and self.summation_method == "interpolation":
            terms = self._interpolate_pr()
        else:
            x, y = self._curve()
            if self.summation_method == "interpolation":
                heights = (y[:-1] + y[1:]) / 2
            elif self.summation_method == "minoring":
                heights = np.minimum(y[:-1], y[1:])
            else:
                heights = np.maximum(y[:-1], y[1:])
            terms = (x[:-1] - x[1:]) * heights
        by_label = terms.sum(axis=0)
        if not self.multi_label:
            return float(by_label[0])
        if self.label_weights is None:
            return float(by_label.mean())
        return float(divide_no_nan((by_label * self.label_weights).sum(),
                                   self.label_weights.sum()))

    def get_config(self) -> dict[str, Any]:
        config: dict[str, Any] = {
            "name": self.name, "dtype": self.dtype, "num_thresholds": self.num_thresholds,
            "curve": self.curve, "summation_method": self.summation_method,
            "multi_label": self.multi_label, "num_labels": self.num_labels,
            "label_weights": None if self.label_weights is None else self.label_weights.tolist(),
            "from_logits": self.from_logits,
        }
        if self._init_thresholds is not None:
            config["thresholds"] = [float(t) for t in self._init_thresholds]
        return config
