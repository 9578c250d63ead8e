"""Confusion-matrix metrics (Keras 3 semantics): Precision, Recall and the four counts, and
the counting at thresholds that AUC and the operating points share.

A prediction counts as positive when it is strictly above a threshold (0.5 by default);
labels are read as booleans. Counts accumulate over the epoch, so precision is
``TP / (TP + FP)`` over all samples seen, not a mean of batch precisions, and many small
batches give exactly the counts of one large one.

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
from deepgrad.tensor import Tensor

__all__ = [
    "Precision", "Recall", "TruePositives", "FalsePositives", "TrueNegatives",
    "FalseNegatives", "threshold_counts", "divide_no_nan", "weights_like", "select_class",
]

TensorLike = Tensor | ArrayLike


def divide_no_nan(a: ArrayLike, b: ArrayLike) -> np.ndarray:
    """``a / b`` in float64, 0 where ``b`` is 0 (Keras's ``ops.divide_no_nan``).

    >>> divide_no_nan([1.0, 1.0], [2.0, 0.0]).tolist()
    [0.5, 0.0]
    """
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return np.divide(a, b, out=np.zeros(np.broadcast(a, b).shape), where=b != 0)


def weights_like(name: str, sample_weight: TensorLike | None,
                 shape: tuple[int, ...]) -> np.ndarray | None:
    """Broadcast per-sample weights (or weights of the labels' shape) to ``shape``.

    Raises:
        ValueError: naming the metric, when the weights do not fit.

    >>> weights_like("precision", [1.0, 2.0], (2, 3)).shape
    (2, 3)
    """
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


def threshold_counts(labels: np.ndarray, predictions: np.ndarray, weights: np.ndarray | None,
                     thresholds: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray,
                                                      np.ndarray]:
    """TP, FP, TN and FN at each threshold, per column: arrays of shape ``(T, columns)``.

    ``labels`` (bool) and ``predictions`` are ``(n, columns)``; ``thresholds`` sorted
    ascending. One pass: each prediction is put in the bucket of thresholds below it
    (``searchsorted``), the buckets are summed (``bincount``) and accumulated from the
    top, so the cost is ``O(n log T)``, not ``O(n T)``. A NaN prediction is positive at
    no threshold.

    >>> tp, fp, tn, fn = threshold_counts(np.array([[True], [False]]), np.array([[0.6], [0.4]]),
    ...                                   None, np.array([0.3, 0.5]))
    >>> tp[:, 0].tolist(), fp[:, 0].tolist()
    ([1.0, 1.0], [1.0, 0.0])
    """
    n, columns = labels.shape
    size = len(thresholds)
    predictions = np.where(np.isnan(predictions), -np.inf, predictions)
    bucket = np.searchsorted(thresholds, predictions, side="left")  # thresholds below
    index = (bucket + np.arange(columns) * (size + 1)).reshape(-1)
    w = np.ones(labels.shape) if weights is None else weights

    def above(mask: np.ndarray) -> np.ndarray:
        hist = np.bincount(index, weights=(w * mask).reshape(-1),
                           minlength=columns * (size + 1)).reshape(columns, size + 1)
        return np.cumsum(hist[:, ::-1], axis=1)[:, ::-1][:, 1:].T

    tp, fp = above(labels), above(~labels)
    positives = (w * labels).sum(axis=0)
    negatives = (w * ~labels).sum(axis=0)
    return tp, fp, negatives - fp, positives - tp


def _filter_top_k(y_pred: np.ndarray, k: int) -> np.ndarray:
    """Keep exactly ``k`` scores along the last axis (the first ones among ties, as Keras's
    ``top_k``); set the rest to -inf."""
    if k >= y_pred.shape[-1]:
        return y_pred
    top = np.argsort(-y_pred, axis=-1, kind="stable")[..., :k]
    keep = np.zeros(y_pred.shape, dtype=bool)
    np.put_along_axis(keep, top, True, axis=-1)
    return np.where(keep, y_pred, -np.inf)


def select_class(name: str, y_true: np.ndarray, y_pred: np.ndarray, class_id: int | None):
    """The column ``class_id`` of both (both unchanged when it is None).

    Raises:
        ValueError: naming the metric, for a ``class_id`` outside the last axis.
    """
    if class_id is None:
        return y_true, y_pred
    if y_pred.ndim < 2 or not 0 <= class_id < y_pred.shape[-1]:
        raise ValueError(
            f"{name}: `class_id` must index the last axis of y_pred (classes). Received: "
            f"class_id={class_id}, y_pred.shape={y_pred.shape}"
        )
    return y_true[..., class_id], y_pred[..., class_id]


class _ConfusionCounts(Metric):
    """Accumulates TP, FP, TN and FN at one or more thresholds (over all entries)."""

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
        self._order = np.argsort(self.thresholds, kind="stable")
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
        weights = weights_like(self.name, sample_weight, y_true.shape)
        if self.top_k is not None:
            y_pred = _filter_top_k(y_pred, self.top_k)
        if self.class_id is not None:
            y_true, y_pred = select_class(self.name, y_true, y_pred, self.class_id)
            weights = None if weights is None else weights[..., self.class_id]
        labels = y_true.astype(bool)
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
        counts = threshold_counts(
            labels.reshape(-1, 1), y_pred.reshape(-1, 1).astype(np.float64),
            None if weights is None else weights.reshape(-1, 1), self.thresholds[self._order],
        )
        unsort = np.argsort(self._order)
        for total, count in zip((self.true_positives, self.false_positives,
                                 self.true_negatives, self.false_negatives), counts):
            total += count[unsort, 0]

    def _value(self, values: np.ndarray) -> float | list[float]:
        return float(values[0]) if self._single else [float(v) for v in values]

    def get_config(self) -> dict[str, Any]:
        thresholds = self.init_thresholds
        if thresholds is not None and np.ndim(thresholds):
            thresholds = [float(t) for t in thresholds]
        return {"name": self.name, "dtype": self.dtype, "thresholds": thresholds}


class Precision(_ConfusionCounts):
    """``TP / (TP + FP)``: how many predicted positives are positive.

    With 2-D inputs and no ``class_id`` every entry counts (scikit-learn's "micro"
    average over labels).

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
        return self._value(divide_no_nan(self.true_positives,
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
        return self._value(divide_no_nan(self.true_positives,
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
