"""Accuracy metrics with Keras 3 semantics, on NumPy arrays.

The functions return one value per sample (1.0 for a hit); the classes average them over
an epoch. Labels that cannot match the predictions (one-hot labels for a sparse metric,
integer labels for a categorical one) raise a ``ValueError`` with a hint instead of
broadcasting into a meaningless number.

>>> import numpy as np
>>> m = SparseCategoricalAccuracy()
>>> m.update_state([2, 1], [[0.1, 0.6, 0.3], [0.05, 0.95, 0.0]]); m.result()
0.5
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, DTypeLike

from deepgrad import config as _config
from deepgrad.metrics.base import FunctionMetric, same_shape, to_array
from deepgrad.tensor import Tensor

__all__ = [
    "accuracy", "binary_accuracy", "categorical_accuracy", "sparse_categorical_accuracy",
    "top_k_categorical_accuracy", "sparse_top_k_categorical_accuracy", "Accuracy",
    "BinaryAccuracy", "CategoricalAccuracy", "SparseCategoricalAccuracy",
    "TopKCategoricalAccuracy", "SparseTopKCategoricalAccuracy",
]

TensorLike = Tensor | ArrayLike


def _as_float(matches: np.ndarray) -> np.ndarray:
    """Per-sample float values from boolean matches (rank >= 2: mean over the last axis)."""
    dtype = _config.floatx()
    if matches.ndim >= 2:
        return matches.mean(axis=-1, dtype=dtype)
    return matches.astype(dtype)


def _is_binary(values: np.ndarray) -> bool:
    return bool(np.all((values == 0) | (values == 1)))


def _accuracy_matches(y_true: TensorLike, y_pred: TensorLike) -> np.ndarray:
    y_true, y_pred = same_shape("accuracy", to_array(y_true), to_array(y_pred))
    return y_true == y_pred


def _binary_matches(y_true: TensorLike, y_pred: TensorLike, threshold: float = 0.5) -> np.ndarray:
    y_true, y_pred = to_array(y_true), to_array(y_pred)
    hint = ""
    if y_pred.ndim and y_pred.shape[-1] > 1 and y_true.shape == y_pred.shape[:-1]:
        hint = "For integer class labels use sparse_categorical_accuracy."
    y_true, y_pred = same_shape("binary_accuracy", y_true, y_pred, hint)
    return (y_pred > threshold) == y_true


def _categorical_matches(y_true: TensorLike, y_pred: TensorLike) -> np.ndarray:
    y_true, y_pred = to_array(y_true), to_array(y_pred)
    if y_true.shape != y_pred.shape:
        hint = ""
        if y_pred.ndim and y_pred.shape[-1] > 1 and y_true.shape in (
            y_pred.shape[:-1], y_pred.shape[:-1] + (1,)
        ):
            hint = ("y_true looks like integer class labels. To fix, use "
                    "sparse_categorical_accuracy, or one-hot encode the labels with "
                    "dg.utils.to_categorical.")
        raise ValueError(
            f"categorical_accuracy: expected one-hot y_true of shape {y_pred.shape}. "
            f"Received: y_true.shape={y_true.shape}, y_pred.shape={y_pred.shape}."
            + (f" {hint}" if hint else "")
        )
    return y_true.argmax(axis=-1) == y_pred.argmax(axis=-1)


def _sparse_labels(name: str, y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
    expected = y_pred.shape[:-1]
    if y_true.shape == expected:
        return y_true
    if y_true.shape == expected + (1,):
        return y_true.reshape(expected)
    hint = ""
    if y_true.shape == y_pred.shape and y_pred.shape[-1] > 1 and _is_binary(y_true):
        hint = ("y_true looks one-hot encoded. To fix, use categorical_accuracy or pass "
                "integer labels (e.g. y.argmax(axis=-1)).")
    raise ValueError(
        f"{name}: expected integer labels of shape {expected} (or {expected + (1,)}) for "
        f"y_pred of shape {y_pred.shape}. Received: y_true.shape={y_true.shape}."
        + (f" {hint}" if hint else "")
    )


def _sparse_matches(y_true: TensorLike, y_pred: TensorLike) -> np.ndarray:
    y_pred = to_array(y_pred)
    labels = _sparse_labels("sparse_categorical_accuracy", to_array(y_true), y_pred)
    return labels == y_pred.argmax(axis=-1)


def _in_top_k(name: str, labels: np.ndarray, y_pred: np.ndarray, k: int) -> np.ndarray:
    """True where the label's score is among the ``k`` largest (ties count as in)."""
    classes = y_pred.shape[-1]
    flat_labels = labels.reshape(-1)
    if flat_labels.dtype.kind == "f":
        if not np.all(np.mod(flat_labels, 1) == 0):
            raise ValueError(f"{name}: labels must be integers. Received: {flat_labels[:3]}")
        flat_labels = flat_labels.astype(np.int64)
    if flat_labels.size and (flat_labels.min() < 0 or flat_labels.max() >= classes):
        bad = flat_labels[(flat_labels < 0) | (flat_labels >= classes)][:3].tolist()
        raise ValueError(
            f"{name}: labels must be in [0, {classes - 1}] for {classes} classes. "
            f"Received labels such as {bad}"
        )
    scores = y_pred.reshape(-1, classes)
    target = scores[np.arange(scores.shape[0]), flat_labels]
    higher = np.count_nonzero(scores > target[:, None], axis=-1)
    return (higher < k).reshape(labels.shape)


def _top_k_matches(y_true: TensorLike, y_pred: TensorLike, k: int = 5) -> np.ndarray:
    y_true, y_pred = to_array(y_true), to_array(y_pred)
    if y_true.shape != y_pred.shape:
        raise ValueError(
            f"top_k_categorical_accuracy: expected one-hot y_true of shape {y_pred.shape}. "
            f"Received: y_true.shape={y_true.shape}. For integer labels use "
            "sparse_top_k_categorical_accuracy."
        )
    return _in_top_k("top_k_categorical_accuracy", y_true.argmax(axis=-1), y_pred, k)


def _sparse_top_k_matches(y_true: TensorLike, y_pred: TensorLike, k: int = 5,
                          from_sorted_ids: bool = False) -> np.ndarray:
    name = "sparse_top_k_categorical_accuracy"
    y_pred = to_array(y_pred)
    labels = _sparse_labels(name, to_array(y_true), y_pred)
    if from_sorted_ids:  # y_pred holds ids, best first (Keras): is the label among k?
        return np.any(labels[..., None] == y_pred[..., :k], axis=-1)
    return _in_top_k(name, labels, y_pred, k)


def accuracy(y_true: TensorLike, y_pred: TensorLike) -> np.ndarray:
    """How often ``y_pred`` equals ``y_true`` exactly, per sample.

    Returns:
        Float values: per sample (the mean over the last axis for rank >= 2 inputs).

    Raises:
        ValueError: if the shapes differ (beyond a trailing 1).

    >>> accuracy([[1], [2], [3], [4]], [[0], [2], [3], [4]])
    array([0., 1., 1., 1.], dtype=float32)
    """
    return _as_float(_accuracy_matches(y_true, y_pred))


def binary_accuracy(y_true: TensorLike, y_pred: TensorLike, threshold: float = 0.5) -> np.ndarray:
    """How often ``y_pred > threshold`` equals the 0/1 label, per sample.

    >>> binary_accuracy([[1], [1], [0], [0]], [[0.98], [1.0], [0.0], [0.6]])
    array([1., 1., 1., 0.], dtype=float32)
    """
    return _as_float(_binary_matches(y_true, y_pred, threshold))


def categorical_accuracy(y_true: TensorLike, y_pred: TensorLike) -> np.ndarray:
    """Whether ``argmax(y_pred)`` is the one-hot label's class, per sample.

    Raises:
        ValueError: for integer labels (with a hint) or mismatched shapes.

    >>> categorical_accuracy([[0, 0, 1], [0, 1, 0]], [[0.1, 0.9, 0.8], [0.05, 0.95, 0.0]])
    array([0., 1.], dtype=float32)
    """
    return _as_float(_categorical_matches(y_true, y_pred))


def sparse_categorical_accuracy(y_true: TensorLike, y_pred: TensorLike) -> np.ndarray:
    """Whether ``argmax(y_pred)`` equals the integer label, per sample.

    Raises:
        ValueError: for one-hot labels (with a hint) or mismatched shapes.

    >>> sparse_categorical_accuracy([2, 1], [[0.1, 0.6, 0.3], [0.05, 0.95, 0.0]])
    array([0., 1.], dtype=float32)
    """
    return _as_float(_sparse_matches(y_true, y_pred))


def top_k_categorical_accuracy(y_true: TensorLike, y_pred: TensorLike, k: int = 5) -> np.ndarray:
    """Whether the one-hot label's class is among the ``k`` highest scores, per sample.

    >>> top_k_categorical_accuracy([[0, 0, 1], [0, 1, 0]], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]], k=1)
    array([0., 1.], dtype=float32)
    """
    return _as_float(_top_k_matches(y_true, y_pred, k))


def sparse_top_k_categorical_accuracy(y_true: TensorLike, y_pred: TensorLike, k: int = 5,
                                      from_sorted_ids: bool = False) -> np.ndarray:
    """Whether the integer label is among the ``k`` highest scores, per sample.

    With ``from_sorted_ids=True``, ``y_pred`` holds category ids sorted from the highest
    score down, shape ``(batch, N)``, and the label is looked for among the first ``k``.

    Raises:
        ValueError: for labels out of range, one-hot labels or mismatched shapes.

    >>> sparse_top_k_categorical_accuracy([2, 1], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]], k=2)
    array([1., 1.], dtype=float32)
    >>> sparse_top_k_categorical_accuracy([2, 1], [[2, 0], [0, 2]], k=2, from_sorted_ids=True)
    array([1., 0.], dtype=float32)
    """
    return _as_float(_sparse_top_k_matches(y_true, y_pred, k, from_sorted_ids))


class Accuracy(FunctionMetric):
    """How often predictions equal labels exactly (not argmax: see ``resolve_accuracy``).

    >>> m = Accuracy()
    >>> m.update_state([[1], [2], [3], [4]], [[0], [2], [3], [4]]); m.result()
    0.75
    """

    fn = staticmethod(_accuracy_matches)

    def __init__(self, name: str = "accuracy", dtype: DTypeLike = None):
        super().__init__(name=name, dtype=dtype)


class BinaryAccuracy(FunctionMetric):
    """How often ``y_pred > threshold`` matches 0/1 labels.

    Args:
        name: defaults to ``"binary_accuracy"``.
        dtype: see ``Metric``.
        threshold: in ``(0, 1)``.

    Raises:
        ValueError: for a threshold outside ``(0, 1)``.

    >>> m = BinaryAccuracy()
    >>> m.update_state([[1], [1], [0], [0]], [[0.98], [1], [0], [0.6]],
    ...                sample_weight=[1, 0, 0, 1]); m.result()
    0.5
    """

    fn = staticmethod(_binary_matches)

    def __init__(self, name: str = "binary_accuracy", dtype: DTypeLike = None,
                 threshold: float = 0.5):
        if threshold is not None and not 0 < threshold < 1:
            raise ValueError(
                f"BinaryAccuracy: `threshold` must be in (0, 1). Received: threshold={threshold}"
            )
        super().__init__(name=name, dtype=dtype, threshold=0.5 if threshold is None else threshold)
        self.threshold = threshold


class CategoricalAccuracy(FunctionMetric):
    """How often ``argmax(y_pred)`` matches one-hot labels.

    >>> m = CategoricalAccuracy()
    >>> m.update_state([[0, 0, 1], [0, 1, 0]], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]],
    ...                sample_weight=[0.7, 0.3]); round(m.result(), 4)
    0.3
    """

    fn = staticmethod(_categorical_matches)

    def __init__(self, name: str = "categorical_accuracy", dtype: DTypeLike = None):
        super().__init__(name=name, dtype=dtype)


class SparseCategoricalAccuracy(FunctionMetric):
    """How often ``argmax(y_pred)`` matches integer labels.

    >>> m = SparseCategoricalAccuracy()
    >>> m.update_state([[2], [1]], [[0.1, 0.6, 0.3], [0.05, 0.95, 0]]); m.result()
    0.5
    """

    fn = staticmethod(_sparse_matches)

    def __init__(self, name: str = "sparse_categorical_accuracy", dtype: DTypeLike = None):
        super().__init__(name=name, dtype=dtype)


class TopKCategoricalAccuracy(FunctionMetric):
    """How often the one-hot label's class is among the ``k`` highest scores.

    >>> m = TopKCategoricalAccuracy(k=1)
    >>> m.update_state([[0, 0, 1], [0, 1, 0]], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]]); m.result()
    0.5
    """

    fn = staticmethod(_top_k_matches)

    def __init__(self, k: int = 5, name: str = "top_k_categorical_accuracy",
                 dtype: DTypeLike = None):
        super().__init__(name=name, dtype=dtype, k=k)
        self.k = k


class SparseTopKCategoricalAccuracy(FunctionMetric):
    """How often the integer label is among the ``k`` highest scores.

    >>> m = SparseTopKCategoricalAccuracy(k=1)
    >>> m.update_state([2, 1], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]]); m.result()
    0.5

    ``from_sorted_ids=True``: ``y_pred`` holds the ids of the top categories, best first.
    """

    fn = staticmethod(_sparse_top_k_matches)

    def __init__(self, k: int = 5, name: str = "sparse_top_k_categorical_accuracy",
                 dtype: DTypeLike = None, from_sorted_ids: bool = False):
        kwargs = {"from_sorted_ids": True} if from_sorted_ids else {}  # Keras's config
        super().__init__(name=name, dtype=dtype, k=k, **kwargs)
        self.k, self.from_sorted_ids = k, from_sorted_ids
