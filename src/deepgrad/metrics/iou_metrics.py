"""Intersection-over-union metrics for segmentation, from a confusion matrix kept over
the epoch: ``IoU``, ``MeanIoU``, ``BinaryIoU``, ``OneHotIoU``, ``OneHotMeanIoU``.

Every update adds the batch's (weighted) confusion matrix; the result is, for each
class, ``TP / (TP + FP + FN)``, averaged over the requested classes that occurred.
Labels outside ``[0, num_classes)`` and ``ignore_class`` are left out, as in Keras.

Unlike Keras, whose default integer dtype truncates fractional sample weights (with a
warning), the matrix is kept in float64, so weights count as given.

>>> import numpy as np
>>> m = MeanIoU(num_classes=2)
>>> m.update_state([0, 0, 1, 1], [0, 1, 0, 1])
>>> round(m.result(), 4)  # each class: 1 / (1 + 1 + 1)
0.3333
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, DTypeLike

from deepgrad import config
from deepgrad.metrics.base import Metric, to_array
from deepgrad.tensor import Tensor

__all__ = ["IoU", "MeanIoU", "BinaryIoU", "OneHotIoU", "OneHotMeanIoU"]



def _class_count(owner: str, num_classes: Any) -> int:
    if isinstance(num_classes, bool) or not isinstance(num_classes, (int, np.integer)) or (
        num_classes < 1
    ):
        raise ValueError(f"{owner}: `num_classes` must be a positive int. Received: "
                         f"num_classes={num_classes!r}")
    return int(num_classes)


class _IoUBase(Metric):
    """The confusion matrix of the epoch and the IoU of each class from it."""

    def __init__(self, num_classes: int, target_class_ids: Sequence[int],
                 name: str | None = None, dtype: DTypeLike = None,
                 ignore_class: int | None = None, sparse_y_true: bool = True,
                 sparse_y_pred: bool = True, axis: int = -1):
        super().__init__(name=name, dtype=dtype)
        owner = type(self).__name__
        self.num_classes = _class_count(owner, num_classes)
        ids = [int(i) for i in np.ravel(target_class_ids)]
        if not ids or min(ids) < 0 or max(ids) >= self.num_classes:
            raise ValueError(
                f"{owner}: `target_class_ids` must be class ids in [0, {self.num_classes}). "
                f"Received: target_class_ids={list(np.ravel(target_class_ids))}"
            )
        self.target_class_ids = ids
        self.ignore_class = ignore_class
        self.sparse_y_true = sparse_y_true
        self.sparse_y_pred = sparse_y_pred
        self.axis = axis
        self.total_cm = np.zeros((self.num_classes, self.num_classes))

    def _classes(self, values: Tensor | ArrayLike, sparse: bool) -> np.ndarray:
        array = to_array(values)
        if not sparse:
            array = np.argmax(array, axis=self.axis)
        return array.reshape(-1).astype(np.int64)  # floats truncate, as Keras casts

    def update_state(self, y_true: Tensor | ArrayLike, y_pred: Tensor | ArrayLike,
                     sample_weight: Tensor | ArrayLike | None = None) -> None:
        """Add the batch's confusion matrix (each pixel or sample weighted).

        Args:
            y_true: class ids (or one-hot rows when ``sparse_y_true=False``).
            y_pred: class ids (or scores, argmax taken, when ``sparse_y_pred=False``).
            sample_weight: optional weights: one per label, or a prefix of the labels'
                shape (one per sample), or a scalar.

        Raises:
            ValueError: if the numbers of labels and predictions, or of weights, differ.
        """
        shape = np.shape(to_array(y_true))
        if not self.sparse_y_true and shape:  # one-hot rows: the class axis goes
            shape = tuple(n for i, n in enumerate(shape) if i != self.axis % len(shape))
        labels = self._classes(y_true, self.sparse_y_true)
        predictions = self._classes(y_pred, self.sparse_y_pred)
        if labels.size != predictions.size:
            raise ValueError(
                f"{type(self).__name__} '{self.name}': expected one prediction per label. "
                f"Received {labels.size} labels and {predictions.size} predictions."
            )
        weights = np.ones(labels.size)
        if sample_weight is not None:
            given = np.asarray(to_array(sample_weight), dtype=np.float64)
            given = given.reshape(given.shape + (1,) * max(len(shape) - given.ndim, 0))
            try:
                weights = np.broadcast_to(given, shape).reshape(-1)
            except ValueError:
                raise ValueError(
                    f"{type(self).__name__} '{self.name}': `sample_weight` must be a scalar, "
                    f"one weight per label (shape {shape}) or a prefix of that shape. "
                    f"Received: sample_weight.shape={given.shape}"
                ) from None
        n = self.num_classes
        keep = (labels >= 0) & (labels < n) & (predictions >= 0) & (predictions < n)
        if self.ignore_class is not None:
            keep &= labels != self.ignore_class
        cells = labels[keep] * n + predictions[keep]
        self.total_cm += np.bincount(cells, weights[keep], minlength=n * n).reshape(n, n)

    def result(self) -> float:
        """The mean IoU of the target classes among those seen (Keras's epsilon kept)."""
        true_positives = np.diag(self.total_cm)
        denominator = self.total_cm.sum(axis=0) + self.total_cm.sum(axis=1) - true_positives
        ids = self.target_class_ids
        valid = denominator[ids] > 1e-9
        ious = np.where(valid, true_positives[ids] / (denominator[ids] + config.epsilon()), 0.0)
        return float(ious.sum() / (valid.sum() + config.epsilon()))

    def reset_state(self) -> None:
        self.total_cm[...] = 0.0

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "num_classes": self.num_classes,
                "target_class_ids": self.target_class_ids, "ignore_class": self.ignore_class,
                "sparse_y_true": self.sparse_y_true, "sparse_y_pred": self.sparse_y_pred,
                "axis": self.axis}


class IoU(_IoUBase):
    """Intersection-over-union of chosen classes (Keras's ``IoU``), over the epoch.

    Args:
        num_classes: the number of classes.
        target_class_ids: the classes whose IoUs are averaged, e.g. ``[0]``.
        name: defaults to ``"io_u"`` (Keras's name).
        dtype: the result's float type, for configs.
        ignore_class: a label to leave out (e.g. a "void" class).
        sparse_y_true: labels are class ids; False: one-hot rows (argmax taken).
        sparse_y_pred: predictions are class ids; False: scores (argmax taken).
        axis: the class axis of dense labels or predictions.

    Raises:
        ValueError: for a class id out of range, or mismatched batches.

    >>> m = IoU(num_classes=2, target_class_ids=[0])
    >>> m.update_state([0, 1, 0, 1], [0, 0, 1, 1], sample_weight=[0.2, 0.3, 0.4, 0.1])
    >>> round(m.result(), 4)  # 0.2 / (0.2 + 0.3 + 0.4)
    0.2222
    """


class MeanIoU(_IoUBase):
    """Mean intersection-over-union over all classes (Keras's ``MeanIoU``).

    Args:
        num_classes: the number of classes (all are averaged).
        name, dtype, ignore_class, sparse_y_true, sparse_y_pred, axis: as :class:`IoU`.

    >>> m = MeanIoU(num_classes=2)
    >>> m.update_state([0, 0, 1, 1], [0, 1, 0, 1], sample_weight=[0.3, 0.3, 0.3, 0.1])
    >>> round(m.result(), 4)  # (0.3/0.9 + 0.1/0.7) / 2
    0.2381
    """

    def __init__(self, num_classes: int, name: str | None = None, dtype: DTypeLike = None,
                 ignore_class: int | None = None, sparse_y_true: bool = True,
                 sparse_y_pred: bool = True, axis: int = -1):
        count = _class_count(type(self).__name__, num_classes)
        super().__init__(num_classes=count, target_class_ids=list(range(count)), name=name,
                         dtype=dtype, ignore_class=ignore_class, sparse_y_true=sparse_y_true,
                         sparse_y_pred=sparse_y_pred, axis=axis)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        del config["target_class_ids"]
        return config


class BinaryIoU(IoU):
    """IoU of a binary task whose predictions are thresholded (Keras's ``BinaryIoU``).

    A prediction ``>= threshold`` is class 1, else class 0.

    Args:
        target_class_ids: ``[0]``, ``[1]`` or ``[0, 1]`` (the default: their mean).
        threshold: the decision threshold on ``y_pred``.
        name: defaults to ``"binary_io_u"``.
        dtype: the result's float type, for configs.

    >>> m = BinaryIoU(target_class_ids=[0, 1], threshold=0.3)
    >>> m.update_state([0, 1, 0, 1], [0.1, 0.2, 0.4, 0.7])
    >>> round(m.result(), 4)  # both classes: 1 / 3
    0.3333
    """

    def __init__(self, target_class_ids: Sequence[int] = (0, 1), threshold: float = 0.5,
                 name: str | None = None, dtype: DTypeLike = None):
        super().__init__(num_classes=2, target_class_ids=target_class_ids, name=name,
                         dtype=dtype)
        self.threshold = threshold

    def update_state(self, y_true: Tensor | ArrayLike, y_pred: Tensor | ArrayLike,
                     sample_weight: Tensor | ArrayLike | None = None) -> None:
        """Threshold ``y_pred``, then add the batch (see :class:`IoU`)."""
        decided = (np.asarray(to_array(y_pred), dtype=np.float32) >= self.threshold)
        super().update_state(y_true, decided.astype(np.int64), sample_weight)

    def get_config(self) -> dict[str, Any]:
        return {"target_class_ids": self.target_class_ids, "threshold": self.threshold,
                "name": self.name, "dtype": self.dtype}


class OneHotIoU(IoU):
    """IoU of chosen classes with one-hot labels (Keras's ``OneHotIoU``).

    Args:
        num_classes: the number of classes.
        target_class_ids: the classes whose IoUs are averaged.
        name, dtype, ignore_class, axis: as :class:`IoU`.
        sparse_y_pred: False (the default): ``y_pred`` holds scores, argmax taken.

    >>> m = OneHotIoU(num_classes=3, target_class_ids=[0, 2])
    >>> m.update_state(np.eye(3)[[0, 0, 2]], [[0.9, 0.1, 0.0], [0.2, 0.7, 0.1], [0, 0, 1]])
    >>> round(m.result(), 4)  # class 0: 1/2, class 2: 1/1
    0.75
    """

    def __init__(self, num_classes: int, target_class_ids: Sequence[int],
                 name: str | None = None, dtype: DTypeLike = None,
                 ignore_class: int | None = None, sparse_y_pred: bool = False, axis: int = -1):
        super().__init__(num_classes=num_classes, target_class_ids=target_class_ids,
                         name=name, dtype=dtype, ignore_class=ignore_class,
                         sparse_y_true=False, sparse_y_pred=sparse_y_pred, axis=axis)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        del config["sparse_y_true"]
        return config


class OneHotMeanIoU(MeanIoU):
    """Mean IoU over all classes with one-hot labels (Keras's ``OneHotMeanIoU``).

    Args:
        num_classes: the number of classes.
        name, dtype, ignore_class, axis: as :class:`IoU`.
        sparse_y_pred: False (the default): ``y_pred`` holds scores, argmax taken.

    >>> m = OneHotMeanIoU(num_classes=2)
    >>> m.update_state(np.eye(2)[[0, 1]], [[0.8, 0.2], [0.3, 0.7]])
    >>> round(m.result(), 4)
    1.0
    """

    def __init__(self, num_classes: int, name: str | None = None, dtype: DTypeLike = None,
                 ignore_class: int | None = None, sparse_y_pred: bool = False, axis: int = -1):
        super().__init__(num_classes=num_classes, name=name, dtype=dtype,
                         ignore_class=ignore_class, sparse_y_true=False,
                         sparse_y_pred=sparse_y_pred, axis=axis)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        del config["sparse_y_true"]
        return config
