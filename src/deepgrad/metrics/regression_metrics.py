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
import warnings
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, DTypeLike

from deepgrad import config
from deepgrad import losses as _losses
from deepgrad.metrics.base import FunctionMetric, Mean, Metric, same_shape, to_array
from deepgrad.tensor import Tensor, no_grad

__all__ = [
    "mean_squared_error", "mean_absolute_error", "mean_absolute_percentage_error",
    "mean_squared_logarithmic_error", "MeanSquaredError", "MeanAbsoluteError",
    "MeanAbsolutePercentageError", "MeanSquaredLogarithmicError", "RootMeanSquaredError",
    "BinaryCrossentropy", "CategoricalCrossentropy", "SparseCategoricalCrossentropy",
    "KLDivergence", "R2Score",
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
    ratio = (y_true - y_pred) / np.maximum(np.abs(y_true), config.epsilon())
    return 100.0 * np.mean(np.abs(ratio), axis=-1)


def mean_squared_logarithmic_error(y_true: TensorLike, y_pred: TensorLike) -> np.ndarray:
    """``mean(square(log1p(max(y_pred, eps)) - log1p(max(y_true, eps))), axis=-1)``.

    >>> mean_squared_logarithmic_error([[0.0]], [[np.e - 1]]).round(4)
    array([1.])
    """
    y_true, y_pred = _float_pair("mean_squared_logarithmic_error", y_true, y_pred)
    eps = config.epsilon()
    diff = np.log1p(np.maximum(y_pred, eps)) - np.log1p(np.maximum(y_true, eps))
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


class R2Score(Metric):
    """The coefficient of determination, ``1 - SS_res / SS_tot``, over all samples seen.

    Per output, the weighted mean, spread and squared residuals of the targets accumulate
    over the epoch (Chan's pairwise update, in float64), so the score equals
    scikit-learn's ``r2_score`` on everything seen, and many small batches give the same
    score as one large one.

    Args:
        class_aggregation: ``"uniform_average"`` (mean over outputs),
            ``"variance_weighted_average"`` (weighted by each output's variance) or None
            (one score per output, a list).
        num_regressors: for the adjusted R² (``p``), 0 for the plain one.
        name: defaults to ``"r2_score"``.
        dtype: see ``Metric``.

    Input shape: ``(samples,)`` or ``(samples, outputs)``; ``sample_weight`` one weight
    per sample or per sample and output.

    Unlike Keras, a constant target predicted exactly scores 1.0 (scikit-learn's rule)
    rather than NaN; predicted with an error it scores 0.0, as in both. For the adjusted
    score ``n`` is the number of samples with a non-zero weight; Keras 3.15 counts samples
    times outputs there, so with several outputs its adjusted R² differs.

    Raises:
        ValueError: for a bad ``class_aggregation``, ``num_regressors`` < 0, inputs of
            more than two dimensions or an output count that changes between updates.

    >>> m = R2Score()
    >>> m.update_state([[1.0], [2.0]], [[1.0], [2.5]]); m.update_state([[3.0]], [[2.5]])
    >>> m.result()
    0.75
    """

    def __init__(self, class_aggregation: str | None = "uniform_average",
                 num_regressors: int = 0, name: str = "r2_score", dtype: DTypeLike = None):
        super().__init__(name=name, dtype=dtype)
        valid = (None, "uniform_average", "variance_weighted_average")
        if class_aggregation not in valid:
            raise ValueError(f"R2Score: `class_aggregation` must be one of {valid}. "
                             f"Received: class_aggregation={class_aggregation!r}")
        if num_regressors < 0:
            raise ValueError("R2Score: `num_regressors` must be >= 0. "
                             f"Received: num_regressors={num_regressors}")
        self.class_aggregation = class_aggregation
        self.num_regressors = num_regressors
        self.reset_state()

    def reset_state(self) -> None:
        self.count = self.mean = self.spread = self.residual = None
        self.num_samples = 0

    def update_state(self, y_true: TensorLike, y_pred: TensorLike,
                     sample_weight: TensorLike | None = None) -> None:
        """Add one batch to the per-output sums."""
        y_true, y_pred = _float_pair(self.name, y_true, y_pred)
        y_true, y_pred = y_true.astype(np.float64), y_pred.astype(np.float64)
        if y_true.ndim == 1:
            y_true, y_pred = y_true[:, None], y_pred[:, None]
        if y_true.ndim != 2:
            raise ValueError(f"{self.name}: expected (samples,) or (samples, outputs) inputs. "
                             f"Received: y_true.shape={y_true.shape}")
        weights = np.ones(y_true.shape)
        if sample_weight is not None:
            given = np.asarray(to_array(sample_weight), dtype=np.float64)
            try:
                weights = np.broadcast_to(given.reshape(given.shape + (1,) * (2 - given.ndim)),
                                          y_true.shape)
            except ValueError:
                raise ValueError(
                    f"{self.name}: `sample_weight` must have shape {y_true.shape[:1]} or "
                    f"{y_true.shape}. Received: sample_weight.shape={given.shape}"
                ) from None
        count = weights.sum(axis=0)
        mean = np.divide((weights * y_true).sum(axis=0), count, out=np.zeros_like(count),
                         where=count > 0)
        spread = (weights * (y_true - mean) ** 2).sum(axis=0)
        residual = (weights * (y_true - y_pred) ** 2).sum(axis=0)
        self.num_samples += int(np.count_nonzero((weights != 0).any(axis=1)))
        if self.count is None:
            self.count, self.mean, self.spread, self.residual = count, mean, spread, residual
            return
        if count.shape != self.count.shape:
            raise ValueError(f"{self.name}: the number of outputs changed from "
                             f"{self.count.shape[0]} to {count.shape[0]} between updates.")
        total = self.count + count
        delta = mean - self.mean
        share = np.divide(count, total, out=np.zeros_like(total), where=total > 0)
        self.spread = self.spread + spread + delta ** 2 * self.count * share
        self.mean = self.mean + delta * share
        self.count, self.residual = total, self.residual + residual

    def result(self) -> float | list[float]:
        if self.count is None:
            return 0.0
        spread, residual = self.spread, self.residual
        with np.errstate(divide="ignore", invalid="ignore"):
            raw = np.where(spread > 0, 1.0 - residual / spread,
                           np.where(residual == 0, 1.0, 0.0))
        if self.class_aggregation is None:
            score: Any = raw
        elif self.class_aggregation == "uniform_average" or not spread.sum():
            score = float(raw.mean())
        else:
            score = float((spread * raw).sum() / spread.sum())
        n, p = self.num_samples, self.num_regressors
        if p:
            if p >= n - 1:
                warnings.warn(
                    "R2Score: " + ("more independent predictors than data points"
                                   if p > n - 1 else "division by zero")
                    + " in the adjusted R2 score; falling back to the standard R2 score.",
                    stacklevel=2,
                )
            else:
                score = 1.0 - (1.0 - score) * (n - 1) / (n - p - 1)
        return [float(v) for v in score] if self.class_aggregation is None else float(score)

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name, "dtype": self.dtype,
                "class_aggregation": self.class_aggregation,
                "num_regressors": self.num_regressors}
