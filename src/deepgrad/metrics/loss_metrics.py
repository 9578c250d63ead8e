"""Metrics that average a loss function over the epoch: ``Hinge``, ``SquaredHinge``,
``CategoricalHinge``, ``Poisson`` and ``LogCoshError`` (Keras's names and defaults).

Each calls the loss function of ``deepgrad.losses`` without recording a graph and keeps
the (weighted) mean of its per-sample values.

>>> m = Hinge()
>>> m.update_state([[1.0, 0.0]], [[0.5, -2.0]]); m.update_state([[1.0]], [[2.0]])
>>> m.result()  # (0.25 + 0.0) / 2
0.125
"""

from __future__ import annotations

from numpy.typing import DTypeLike

from deepgrad import losses as _losses
from deepgrad.metrics.base import FunctionMetric
from deepgrad.metrics.regression_metrics import _loss_values

__all__ = ["Hinge", "SquaredHinge", "CategoricalHinge", "Poisson", "LogCoshError"]


class Hinge(FunctionMetric):
    """Mean hinge loss ``max(1 - y_true * y_pred, 0)`` (0/1 labels become -1/1).

    >>> round(Hinge()([[0.0, 1.0], [0.0, 0.0]], [[0.6, 0.4], [0.4, 0.6]]), 2)
    1.3
    """

    fn = staticmethod(_loss_values(_losses.hinge))

    def __init__(self, name: str = "hinge", dtype: DTypeLike = None):
        super().__init__(name=name, dtype=dtype)


class SquaredHinge(FunctionMetric):
    """Mean squared hinge loss ``max(1 - y_true * y_pred, 0) ** 2``.

    >>> round(SquaredHinge()([[0.0, 1.0], [0.0, 0.0]], [[0.6, 0.4], [0.4, 0.6]]), 2)
    1.86
    """

    fn = staticmethod(_loss_values(_losses.squared_hinge))

    def __init__(self, name: str = "squared_hinge", dtype: DTypeLike = None):
        super().__init__(name=name, dtype=dtype)


class CategoricalHinge(FunctionMetric):
    """Mean categorical hinge loss for one-hot labels.

    >>> round(CategoricalHinge()([[0.0, 1.0], [0.0, 0.0]], [[0.6, 0.4], [0.4, 0.6]]), 2)
    1.4
    """

    fn = staticmethod(_loss_values(_losses.categorical_hinge))

    def __init__(self, name: str = "categorical_hinge", dtype: DTypeLike = None):
        super().__init__(name=name, dtype=dtype)


class Poisson(FunctionMetric):
    """Mean Poisson loss ``y_pred - y_true * log(y_pred + 1e-7)``.

    >>> round(Poisson()([[0.0, 1.0], [0.0, 0.0]], [[1.0, 1.0], [0.0, 0.0]]), 2)
    0.5
    """

    fn = staticmethod(_loss_values(_losses.poisson))

    def __init__(self, name: str = "poisson", dtype: DTypeLike = None):
        super().__init__(name=name, dtype=dtype)


class LogCoshError(FunctionMetric):
    """Mean ``log(cosh(y_pred - y_true))``; Keras names it ``"logcosh"``.

    >>> round(LogCoshError()([[0.0, 1.0], [0.0, 0.0]], [[1.0, 1.0], [0.0, 0.0]]), 2)
    0.11
    """

    fn = staticmethod(_loss_values(_losses.log_cosh))

    def __init__(self, name: str = "logcosh", dtype: DTypeLike = None):
        super().__init__(name=name, dtype=dtype)
