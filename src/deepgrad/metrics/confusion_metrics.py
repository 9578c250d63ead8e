"""Confusion-matrix metrics: Precision, Recall, the four counts, and AUC (Keras 3 semantics).

A prediction counts as positive when it is strictly above a threshold (0.5 by default);
labels are read as booleans. Counts accumulate over the epoch, so precision is
``TP / (TP + FP)`` over all samples seen, not a mean of batch precisions.

>>> p = Precision()
>>> p.update_state([0, 1, 1, 1], [1, 0, 1, 1]); round(p.result(), 4)
0.6667
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, DTypeLike

from deepgrad.metrics.base import Metric, same_shape, to_array
from deepgrad.ops.elementwise import sigmoid_array
from deepgrad.tensor import Tensor

__all__ = [
    "Precision", "Recall", "TruePositives", "FalsePositives", "TrueNegatives",
    "FalseNegatives", "AUC",
]

TensorLike = Tensor | ArrayLike
_EPS = 1e-7


def _divide_no_nan(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return np.divide(a, b, out=np.zeros(np.broadcast(a, b).shape), where=b != 0)


def _weights_like(name: str, sample_weight: TensorLike | None, shape: tuple[int, ...]):
    """Broadcast per-sample weights to the labels' shape, or raise."""
    if sample_weight is None:
        return None
    weights = np.asarray(to_array(sample_weight), dtype=np.float64)
    if weights.ndim == len(shape) + 1 and weights.shape[-1] == 1:
        weights = weights[..., 0]
    if weights.ndim <= len(shape):
        try:
            return np.broadcast_to(
                weights.reshape(weights.shape + (1,) * (len(shape) - weights.ndim)), shape
            )
        except ValueError:
            pass
    raise ValueError(
        f"{name}: `sample_weight` must have one weight per sample, shape {shape[:1]} or "
        f"{shape}. Received: sample_weight.shape={weights.shape}"
    )


def _filter_top_k(y_pred: np.ndarray, k: int) -> np.ndarray:
    """Keep exactly ``k`` scores along the last axis (the first ones among ties, as Keras's
    ``top_k``); set the rest to -inf."""
    if k >= y_pred.shape[-1]:
        return y_pred
    top = np.argsort(-y_pred, axis=-1, kind="stable")[..., :k]
    keep = np.zeros(y_pred.shape, dtype=bool)
    np.put_along_axis(keep, top, True, axis=-1)
    return np.where(keep, y_pred, -np.inf)


class _ConfusionCounts(Metric):
    """Accumulates TP, FP, TN and FN at one or more thresholds."""

    def __init__(self, thresholds: float | Sequence[float] | None = None,
                 top_k: int | None = None, class_id: int | None = None,
                 name: str | None = None, dtype: DTypeLike = None):
        super().__init__(name=name, dtype=dtype)
        default = 0.5 if top_k is None else -np.inf
        self.init_thresholds = thresholds
        values = [default] if thresholds is None else (
            [thresholds] if np.ndim(thresholds) == 0 else list(thresholds))
        for t in values:
            if not (t == -np.inf or 0 <= t <= 1):
                raise ValueError(
                    f"{type(self).__name__}: `thresholds` must be in [0, 1]. "
                    f"Received: thresholds={thresholds!r}"
                )
        self.thresholds = np.asarray(values, dtype=np.float64)
        self._single = thresholds is None or np.ndim(thresholds) == 0
        self.top_k = top_k
        self.class_id = class_id
        self.reset_state()

    def reset_state(self) -> None:
        size = len(self.thresholds)
        self.true_positives = np.zeros(size)
        self.false_positives = np.zeros(size)
        self.true_negatives = np.zeros(size)
        self.false_negatives = np.zeros(size)

    def update_state(self, y_true: TensorLike, y_pred: TensorLike,
                     sample_weight: TensorLike | None = None) -> None:
        """Add one batch's confusion counts."""
        y_true, y_pred = same_shape(self.name, to_array(y_true), to_array(y_pred))
        if self.top_k is not None:
            y_pred = _filter_top_k(y_pred, self.top_k)
        if self.class_id is not None:
            y_true, y_pred = y_true[..., self.class_id], y_pred[..., self.class_id]
        labels = y_true.astype(bool)
        weights = _weights_like(self.name, sample_weight, labels.shape)
        if self._single and weights is None:
            predicted = y_pred > self.thresholds[0]
            tp = np.count_nonzero(predicted & labels)
            fp = np.count_nonzero(predicted) - tp
            positives = np.count_nonzero(labels)
            self.true_positives += tp
            self.false_positives += fp
            self.false_negatives += positives - tp
            self.true_negatives += labels.size - positives - fp
            return
        predicted = y_pred.reshape(1, -1) > self.thresholds[:, None]
        flat = labels.reshape(1, -1)
        w = np.ones(labels.size) if weights is None else weights.reshape(-1)
        self.true_positives += (predicted & flat) @ w
        self.false_positives += (predicted & ~flat) @ w
        self.false_negatives += (~predicted & flat) @ w
        self.true_negatives += (~predicted & ~flat) @ w

    def _value(self, values: np.ndarray) -> float | list[float]:
        return float(values[0]) if self._single else [float(v) for v in values]

    def get_config(self) -> dict[str, Any]:
        thresholds = self.init_thresholds
        if thresholds is not None and np.ndim(thresholds):
            thresholds = [float(t) for t in thresholds]
        return {"name": self.name, "dtype": self.dtype, "thresholds": thresholds}


class Precision(_ConfusionCounts):
    """``TP / (TP + FP)``: how many predicted positives are positive.

    Args:
        thresholds: a float or a list (``result`` then gives a list); default 0.5.
        top_k: count only the ``k`` highest scores of each sample as positive.
        class_id: compute for this class (column) only.
        name: defaults to ``"precision"``.
        dtype: see ``Metric``.

    Raises:
        ValueError: for a threshold outside ``[0, 1]``.

    >>> Precision(thresholds=[0.3, 0.7])([0, 1, 1], [0.5, 0.6, 0.9])
    [0.6666666666666666, 1.0]
    """

    def __init__(self, thresholds: float | Sequence[float] | None = None,
                 top_k: int | None = None, class_id: int | None = None,
                 name: str = "precision", dtype: DTypeLike = None):
        super().__init__(thresholds, top_k, class_id, name, dtype)

    def result(self) -> float | list[float]:
        return self._value(_divide_no_nan(self.true_positives,
                                          self.true_positives + self.false_positives))

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "top_k": self.top_k, "class_id": self.class_id}


class Recall(Precision):
    """``TP / (TP + FN)``: how many positives are predicted positive.

    >>> Recall()([0, 1, 1, 1], [1, 0, 1, 1])
    0.6666666666666666
    """

    def __init__(self, thresholds: float | Sequence[float] | None = None,
                 top_k: int | None = None, class_id: int | None = None,
                 name: str = "recall", dtype: DTypeLike = None):
        super().__init__(thresholds, top_k, class_id, name, dtype)

    def result(self) -> float | list[float]:
        return self._value(_divide_no_nan(self.true_positives,
                                          self.true_positives + self.false_negatives))


class _Count(_ConfusionCounts):
    _field = "true_positives"

    def __init__(self, thresholds: float | Sequence[float] | None = None, name: str | None = None,
                 dtype: DTypeLike = None):
        super().__init__(thresholds, None, None, name, dtype)

    def result(self) -> float | list[float]:
        return self._value(getattr(self, self._field))


class TruePositives(_Count):
    """Number (or total weight) of true positives.

    >>> TruePositives()([0, 1, 1, 1], [1, 0, 1, 1])
    2.0
    """

    _field = "true_positives"


class FalsePositives(_Count):
    """Number (or total weight) of false positives.

    >>> FalsePositives()([0, 1, 0, 0], [0, 0, 1, 1])
    2.0
    """

    _field = "false_positives"


class TrueNegatives(_Count):
    """Number (or total weight) of true negatives.

    >>> TrueNegatives()([0, 1, 0, 0], [1, 1, 0, 0])
    2.0
    """

    _field = "true_negatives"


class FalseNegatives(_Count):
    """Number (or total weight) of false negatives.

    >>> FalseNegatives()([0, 1, 1, 1], [0, 1, 0, 0])
    2.0
    """

    _field = "false_negatives"


class AUC(Metric):
    """Area under the ROC or precision-recall curve, from counts at fixed thresholds.

    Predictions are bucketed at ``num_thresholds`` evenly spaced thresholds in [0, 1]
    (plus one just below 0 and one just above 1); the curve is integrated with Keras's
    rules (trapezoids for ROC; Davis & Goadrich interpolation for PR by default).

    Args:
        num_thresholds: number of thresholds, > 1.
        curve: ``"ROC"`` or ``"PR"``.
        summation_method: ``"interpolation"``, ``"minoring"`` or ``"majoring"``.
        name: defaults to ``"auc"``.
        dtype: see ``Metric``.
        thresholds: explicit thresholds in [0, 1] instead of ``num_thresholds``.
        multi_label: treat each column of a 2-D ``y_pred`` as its own label and average
            their AUCs (weighted by ``label_weights``).
        num_labels: accepted for Keras compatibility (the columns are counted on update).
        label_weights: weights of the labels' AUCs when ``multi_label``.
        from_logits: apply a sigmoid to ``y_pred`` first.

    Raises:
        ValueError: for a bad ``num_thresholds``, curve or summation method.

    >>> m = AUC(num_thresholds=3)
    >>> m.update_state([0, 0, 1, 1], [0, 0.5, 0.3, 0.9]); m.result()
    0.75
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
        else:
            if isinstance(num_thresholds, bool) or not isinstance(num_thresholds, int) or (
                num_thresholds <= 1
            ):
                raise ValueError(
                    f"AUC: `num_thresholds` must be an int > 1. Received: {num_thresholds!r}"
                )
            inner = [(i + 1) / (num_thresholds - 1) for i in range(num_thresholds - 2)]
        self._init_thresholds = thresholds
        self.num_thresholds = num_thresholds
        self.thresholds = np.asarray([0.0 - _EPS] + inner + [1.0 + _EPS])
        curve = str(curve).upper()
        if curve not in ("ROC", "PR"):
            raise ValueError(f"AUC: `curve` must be 'ROC' or 'PR'. Received: curve={curve!r}")
        summation_method = str(summation_method).lower()
        if summation_method not in ("interpolation", "minoring", "majoring"):
            raise ValueError(
                "AUC: `summation_method` must be 'interpolation', 'minoring' or 'majoring'. "
                f"Received: summation_method={summation_method!r}"
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
        weights = _weights_like(self.name, sample_weight, y_true.shape)
        labels = y_true.astype(bool)
        if self.multi_label:
            if y_pred.ndim != 2:
                raise ValueError(
                    f"{self.name}: with multi_label=True, y_pred must be 2-D (samples, labels). "
                    f"Received: y_pred.shape={y_pred.shape}"
                )
            columns = y_pred.shape[1]
        else:
            labels, y_pred = labels.reshape(-1, 1), y_pred.reshape(-1, 1)
            weights = None if weights is None else weights.reshape(-1, 1)
            columns = 1
        size = len(self.thresholds)
        # bucket[i] = number of thresholds strictly below the prediction: the prediction
        # is positive at thresholds 0 .. bucket - 1.
        bucket = np.searchsorted(self.thresholds, y_pred, side="left")
        w = np.ones(labels.shape) if weights is None else weights
        index = (bucket + np.arange(columns) * (size + 1)).reshape(-1)

        def above(mask: np.ndarray) -> np.ndarray:
            hist = np.bincount(index, weights=(w * mask).reshape(-1),
                               minlength=columns * (size + 1)).reshape(columns, size + 1)
            # count at threshold j = weight of predictions with bucket > j
            return np.cumsum(hist[:, ::-1], axis=1)[:, ::-1][:, 1:].T

        pos_above, neg_above = above(labels), above(~labels)
        pos_total = (w * labels).sum(axis=0)
        neg_total = (w * ~labels).sum(axis=0)
        if self.true_positives is None:
            zeros = np.zeros((size, columns))
            self.true_positives, self.false_positives = zeros.copy(), zeros.copy()
            self.true_negatives, self.false_negatives = zeros.copy(), zeros.copy()
        elif self.true_positives.shape[1] != columns:
            raise ValueError(
                f"{self.name}: the number of labels changed from "
                f"{self.true_positives.shape[1]} to {columns} between updates."
            )
        self.true_positives += pos_above
        self.false_positives += neg_above
        self.false_negatives += pos_total - pos_above
        self.true_negatives += neg_total - neg_above

    def _interpolate_pr(self) -> np.ndarray:
        tp, fp, fn = self.true_positives, self.false_positives, self.false_negatives
        dtp = tp[:-1] - tp[1:]
        p = tp + fp
        dp = p[:-1] - p[1:]
        slope = _divide_no_nan(dtp, np.maximum(dp, 0))
        intercept = tp[1:] - slope * p[1:]
        both = (p[:-1] > 0) & (p[1:] > 0)
        ratio = np.where(both, _divide_no_nan(p[:-1], np.maximum(p[1:], 0)), 1.0)
        log_ratio = np.log(np.where(ratio > 0, ratio, 1.0))
        return _divide_no_nan(slope * (dtp + intercept * log_ratio), np.maximum(tp[1:] + fn[1:], 0))

    def result(self) -> float:
        if self.true_positives is None:
            return 0.0
        tp, fp, tn, fn = (self.true_positives, self.false_positives, self.true_negatives,
                          self.false_negatives)
        if self.curve == "PR" and self.summation_method == "interpolation":
            terms = self._interpolate_pr()
        else:
            recall = _divide_no_nan(tp, tp + fn)
            if self.curve == "ROC":
                x, y = _divide_no_nan(fp, fp + tn), recall
            else:
                x, y = recall, _divide_no_nan(tp, tp + fp)
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
        return float(_divide_no_nan((by_label * self.label_weights).sum(),
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
