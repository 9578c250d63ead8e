"""Similarity and correlation metrics: ``CosineSimilarity``, ``PearsonCorrelation``,
``ConcordanceCorrelation``.

As in Keras, each is computed per sample along ``axis`` (the features of one sample)
and averaged over every sample of the epoch. For one correlation over a whole column of
predictions, give the metric all of them as one sample (shape ``(1, n)``).

>>> import numpy as np
>>> m = PearsonCorrelation()
>>> m.update_state([[1.0, 2.0, 3.0]], [[2.0, 4.0, 7.0]])
>>> round(m.result(), 4)
0.9934
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike, DTypeLike

from deepgrad import config
from deepgrad.losses.base import squeeze_or_expand_to_same_rank
from deepgrad.metrics.base import FunctionMetric, to_array
from deepgrad.tensor import Tensor

__all__ = [
    "cosine_similarity", "pearson_correlation", "concordance_correlation", "CosineSimilarity",
    "PearsonCorrelation", "ConcordanceCorrelation",
]



def _pair(y_true: Tensor | ArrayLike, y_pred: Tensor | ArrayLike):
    y_pred = to_array(y_pred)
    if y_pred.dtype.kind != "f":
        y_pred = y_pred.astype(np.float32)
    y_true = np.asarray(to_array(y_true), dtype=y_pred.dtype)
    return squeeze_or_expand_to_same_rank(y_true, y_pred)


def cosine_similarity(y_true: Tensor | ArrayLike, y_pred: Tensor | ArrayLike,
                      axis: int = -1) -> np.ndarray:
    """Cosine of the angle between ``y_true`` and ``y_pred`` along ``axis``, per sample.

    Each side is L2-normalised (a zero vector stays zero, giving 0).

    >>> cosine_similarity([[0.0, 1.0], [1.0, 1.0]], [[1.0, 0.0], [1.0, 1.0]]).round(4)
    array([0., 1.])
    """
    y_true, y_pred = _pair(y_true, y_pred)
    floor = np.asarray(config.epsilon() ** 2, dtype=y_pred.dtype)

    def normalize(x):
        return x / np.sqrt(np.maximum(np.sum(x * x, axis=axis, keepdims=True), floor))

    return np.sum(normalize(y_true) * normalize(y_pred), axis=axis)


def pearson_correlation(y_true: Tensor | ArrayLike, y_pred: Tensor | ArrayLike,
                        axis: int = -1) -> np.ndarray:
    """Pearson's correlation coefficient along ``axis``, per sample (Keras's form).

    A constant vector has no correlation: the result is NaN there, as in Keras.

    >>> pearson_correlation([[1.0, 2.0, 3.0]], [[3.0, 2.0, 1.0]])
    array([-1.])
    """
    y_true, y_pred = _pair(y_true, y_pred)
    with np.errstate(divide="ignore", invalid="ignore"):
        centred_true = y_true - y_true.mean(axis=axis, keepdims=True)
        centred_pred = y_pred - y_pred.mean(axis=axis, keepdims=True)
        centred_true = centred_true / centred_true.std(axis=axis, keepdims=True)
        centred_pred = centred_pred / centred_pred.std(axis=axis, keepdims=True)
        return np.mean(centred_true * centred_pred, axis=axis)


def concordance_correlation(y_true: Tensor | ArrayLike, y_pred: Tensor | ArrayLike,
                            axis: int = -1) -> np.ndarray:
    """Lin's concordance correlation along ``axis``, per sample:
    ``2 cov / (var_true + var_pred + (mean_true - mean_pred)**2 + 1e-7)``.

    >>> concordance_correlation([[1.0, 2.0, 3.0]], [[1.0, 2.0, 3.0]]).round(4)
    array([1.])
    """
    y_true, y_pred = _pair(y_true, y_pred)
    mean_true = y_true.mean(axis=axis, keepdims=True)
    mean_pred = y_pred.mean(axis=axis, keepdims=True)
    covariance = np.mean((y_true - mean_true) * (y_pred - mean_pred), axis=axis)
    norm = (y_true.var(axis=axis) + y_pred.var(axis=axis)
            + np.square(np.squeeze(mean_true - mean_pred, axis=axis)))
    return 2 * covariance / (norm + np.asarray(config.epsilon(), dtype=norm.dtype))


class _AxisMetric(FunctionMetric):
    def __init__(self, name: str, dtype: DTypeLike = None, axis: int = -1):
        super().__init__(name=name, dtype=dtype, axis=axis)
        self.axis = axis

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name, "dtype": self.dtype, "axis": self.axis}


class CosineSimilarity(_AxisMetric):
    """The mean cosine similarity of ``y_true`` and ``y_pred`` (Keras's metric; the loss
    of that name is its negative).

    Args:
        name: defaults to ``"cosine_similarity"``.
        dtype: the result's float type, for configs.
        axis: the axis the cosine is computed along.

    >>> m = CosineSimilarity()
    >>> m.update_state([[0.0, 1.0], [1.0, 1.0]], [[1.0, 0.0], [1.0, 1.0]]); m.result()
    0.5
    """

    fn = staticmethod(cosine_similarity)

    def __init__(self, name: str = "cosine_similarity", dtype: DTypeLike = None,
                 axis: int = -1):
        super().__init__(name=name, dtype=dtype, axis=axis)


class PearsonCorrelation(_AxisMetric):
    """The mean per-sample Pearson correlation (Keras's ``PearsonCorrelation``).

    Args:
        name: defaults to ``"pearson_correlation"``.
        dtype: the result's float type, for configs.
        axis: the axis the correlation is computed along.

    >>> m = PearsonCorrelation()
    >>> m.update_state([[1.0, 2.0, 3.0], [1.0, 2.0, 3.0]], [[1.0, 2.0, 3.0], [3.0, 2.0, 1.0]])
    >>> round(m.result(), 6)
    0.0
    """

    fn = staticmethod(pearson_correlation)

    def __init__(self, name: str = "pearson_correlation", dtype: DTypeLike = None,
                 axis: int = -1):
        super().__init__(name=name, dtype=dtype, axis=axis)


class ConcordanceCorrelation(_AxisMetric):
    """The mean per-sample concordance correlation (Keras's ``ConcordanceCorrelation``).

    Args:
        name: defaults to ``"concordance_correlation"``.
        dtype: the result's float type, for configs.
        axis: the axis the correlation is computed along.

    >>> m = ConcordanceCorrelation()
    >>> m.update_state([[1.0, 2.0, 3.0]], [[2.0, 3.0, 4.0]])  # shifted by 1
    >>> round(m.result(), 4)  # 2 * (2/3) / (2/3 + 2/3 + 1)
    0.5714
    """

    fn = staticmethod(concordance_correlation)

    def __init__(self, name: str = "concordance_correlation", dtype: DTypeLike = None,
                 axis: int = -1):
        super().__init__(name=name, dtype=dtype, axis=axis)
