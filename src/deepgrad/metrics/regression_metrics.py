"""Regression and probabilistic metrics: MSE, MAE, RMSE, MAPE, MSLE and the cross-entropies.

The error functions here work on NumPy arrays (fast, not differentiable) with the same
formulas and shape rules as ``deepgrad.losses``; the cross-entropy metrics call the loss
functions without recording a graph.

>>> m = MeanSquaredError()
>>> m.update_state([[0.0, 1.0]], [[1.0, 1.0]]); m.update_state([[0.0, 0.0]], [[1.0, 0.0]])
>>> m.result()
0.5
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, DTypeLike

from deepgrad import losses as _losses
from deepgrad.metrics.base import FunctionMetric, Mean, same_shape, to_array
from deepgrad.ops.nn import EPSILON
from deepgrad.tensor import Tensor, no_grad

__all__ = [
    "mean_squared_error", "mean_absolute_error", "mean_absolute_percentage_error",
    "mean_squared_logarithmic_error", "MeanSquaredError", "MeanAbsoluteError",
    "MeanAbsolutePercentageError", "MeanSquaredLogarithmicError", "RootMeanSquaredError",
    "BinaryCrossentropy", "CategoricalCrossentropy", "SparseCategoricalCrossentropy",
    "KLDivergence",
]

TensorLike = Tensor | ArrayLike


def _float_pair(name: str, y_true: TensorLike, y_pred: TensorLike):
    y_pred = to_array(y_pred)
    if y_pred.dtype.kind != "f":
        y_pred = y_pred.astype(np.float64)
    y_true = np.asarray(to_array(y_true), dtype=y_pred.dtype)
    return same_shape(name, y_true, y_pred)


def mean_squared_error(y_true: TensorLike, y_pred: TensorLike) -> np.ndarray:
    """``mean(square(y_true - y_pred), axis=-1)`` on arrays.

    Raises:
        ValueError: if the shapes differ (beyond a trailing 1).

    >>> mean_squared_error([[0.0, 1.0]], [[1.0, 1.0]])
    array([0.5])
    """
    y_true, y_pred = _float_pair("mean_squared_error", y_true, y_pred)
    error = y_pred - y_true
    return np.mean(error * error, axis=-1)


def mean_absolute_error(y_true: TensorLike, y_pred: TensorLike) -> np.ndarray:
    """``mean(abs(y_true - y_pred), axis=-1)`` on arrays.

    >>> mean_absolute_error([[0.0, 1.0]], [[1.0, 3.0]])
    array([1.5])
    """
    y_true, y_pred = _float_pair("mean_absolute_error", y_true, y_pred)
    return np.mean(np.abs(y_pred - y_true), axis=-1)


def mean_absolute_percentage_error(y_true: TensorLike, y_pred: TensorLike) -> np.ndarray:
    """``100 * mean(abs((y_true - y_pred) / max(abs(y_true), 1e-7)), axis=-1)`` on arrays.

    >>> mean_absolute_percentage_error([[2.0, 4.0]], [[1.0, 5.0]])
    array([37.5])
    """
    y_true, y_pred = _float_pair("mean_absolute_percentage_error", y_true, y_pred)
    ratio = (y_true - y_pred) / np.maximum(np.abs(y_true), EPSILON)
    return 100.0 * np.mean(np.abs(ratio), axis=-1)


def mean_squared_logarithmic_error(y_true: TensorLike, y_pred: TensorLike) -> np.ndarray:
    """``mean(square(log1p(max(y_pred, eps)) - log1p(max(y_true, eps))), axis=-1)``.

    >>> mean_squared_logarithmic_error([[0.0]], [[np.e - 1]]).round(4)
    array([1.])
    """
    y_true, y_pred = _float_pair("mean_squared_logarithmic_error", y_true, y_pred)
    diff = np.log1p(np.maximum(y_pred, EPSILON)) - np.log1p(np.maximum(y_true, EPSILON))
    return np.mean(diff * diff, axis=-1)


class MeanSquaredError(FunctionMetric):
    """Mean squared error over all samples seen.

    >>> MeanSquaredError()([[0.0, 1.0], [0.0, 0.0]], [[1.0, 1.0], [1.0, 0.0]])
    0.5
    """

    fn = staticmethod(mean_squared_error)

    def __init__(self, name: str = "mean_squared_error", dtype: DTypeLike = None):
        super().__init__(name=name, dtype=dtype)


class MeanAbsoluteError(FunctionMetric):
    """Mean absolute error over all samples seen.

    >>> MeanAbsoluteError()([[0.0], [1.0]], [[1.0], [3.0]])
    1.5
    """

    fn = staticmethod(mean_absolute_error)

    def __init__(self, name: str = "mean_absolute_error", dtype: DTypeLike = None):
        super().__init__(name=name, dtype=dtype)


class MeanAbsolutePercentageError(FunctionMetric):
    """Mean absolute percentage error over all samples seen.

    >>> MeanAbsolutePercentageError()([[2.0]], [[1.0]])
    50.0
    """

    fn = staticmethod(mean_absolute_percentage_error)

    def __init__(self, name: str = "mean_absolute_percentage_error", dtype: DTypeLike = None):
        super().__init__(name=name, dtype=dtype)


class MeanSquaredLogarithmicError(FunctionMetric):
    """Mean squared logarithmic error over all samples seen.

    >>> MeanSquaredLogarithmicError()([[0.0]], [[0.0]])
    0.0
    """

    fn = staticmethod(mean_squared_logarithmic_error)

    def __init__(self, name: str = "mean_squared_logarithmic_error", dtype: DTypeLike = None):
        super().__init__(name=name, dtype=dtype)


class RootMeanSquaredError(Mean):
    """``sqrt`` of the mean squared error over all samples seen (not a mean of batch RMSEs).

    >>> m = RootMeanSquaredError()
    >>> m.update_state([[0.0], [0.0]], [[3.0], [4.0]]); round(m.result(), 4)
    3.5355
    """

    def __init__(self, name: str = "root_mean_squared_error", dtype: DTypeLike = None):
        super().__init__(name=name, dtype=dtype)

    def update_state(self, y_true: TensorLike, y_pred: TensorLike,
                     sample_weight: TensorLike | None = None) -> None:
        """Add the squared errors of one batch."""
        y_true, y_pred = _float_pair(self.name, y_true, y_pred)
        error = y_pred - y_true
        super().update_state(error * error, sample_weight=sample_weight)

    def result(self) -> float:
        return math.sqrt(super().result())


def _loss_values(fn):
    """Run a differentiable loss function as a metric: no graph, an array out."""

    def values(y_true: TensorLike, y_pred: TensorLike, **kwargs: Any) -> np.ndarray:
        with no_grad():
            return fn(y_true, y_pred, **kwargs).data

    values.__name__ = fn.__name__
    return values


class BinaryCrossentropy(FunctionMetric):
    """Mean binary cross-entropy over all samples seen.

    >>> m = BinaryCrossentropy()
    >>> round(m([[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]]), 4)
    0.815
    """

    fn = staticmethod(_loss_values(_losses.binary_crossentropy))

    def __init__(self, name: str = "binary_crossentropy", dtype: DTypeLike = None,
                 from_logits: bool = False, label_smoothing: float = 0.0):
        super().__init__(name=name, dtype=dtype, from_logits=from_logits,
                         label_smoothing=label_smoothing)


class CategoricalCrossentropy(FunctionMetric):
    """Mean categorical cross-entropy (one-hot labels) over all samples seen.

    >>> m = CategoricalCrossentropy()
    >>> round(m([[0, 1, 0], [0, 0, 1]], [[0.05, 0.95, 0], [0.1, 0.8, 0.1]]), 4)
    1.1769
    """

    fn = staticmethod(_loss_values(_losses.categorical_crossentropy))

    def __init__(self, name: str = "categorical_crossentropy", dtype: DTypeLike = None,
                 from_logits: bool = False, label_smoothing: float = 0.0, axis: int = -1):
        super().__init__(name=name, dtype=dtype, from_logits=from_logits,
                         label_smoothing=label_smoothing, axis=axis)


class SparseCategoricalCrossentropy(FunctionMetric):
    """Mean sparse categorical cross-entropy (integer labels) over all samples seen.

    >>> m = SparseCategoricalCrossentropy()
    >>> round(m([1, 2], [[0.05, 0.95, 0], [0.1, 0.8, 0.1]]), 4)
    1.1769
    """

    fn = staticmethod(_loss_values(_losses.sparse_categorical_crossentropy))

    def __init__(self, name: str = "sparse_categorical_crossentropy", dtype: DTypeLike = None,
                 from_logits: bool = False, axis: int = -1):
        super().__init__(name=name, dtype=dtype, from_logits=from_logits, axis=axis)


class KLDivergence(FunctionMetric):
    """Mean Kullback-Leibler divergence over all samples seen.

    >>> KLDivergence()([[0.5, 0.5]], [[0.5, 0.5]])
    0.0
    """

    fn = staticmethod(_loss_values(_losses.kl_divergence))

    def __init__(self, name: str = "kl_divergence", dtype: DTypeLike = None):
        super().__init__(name=name, dtype=dtype)
