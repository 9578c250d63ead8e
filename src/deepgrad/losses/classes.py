"""Loss classes: Keras 3 names, arguments and default names, around the loss functions.

Each class stores its arguments, calls the matching function from
``deepgrad.losses.functions`` and reduces the per-sample values (see ``Loss``).

>>> import deepgrad as dg
>>> loss = dg.losses.SparseCategoricalCrossentropy(from_logits=True)
>>> loss.name, round(float(loss(np.array([0]), dg.Tensor([[2.0, 1.0, 0.1]])).data), 4)
('sparse_categorical_crossentropy', 0.417)
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, DTypeLike

from deepgrad.losses import functions as F
from deepgrad.losses.base import FunctionLoss
from deepgrad.tensor import Tensor

__all__ = [
    "MeanSquaredError", "MeanAbsoluteError", "MeanAbsolutePercentageError",
    "MeanSquaredLogarithmicError", "BinaryCrossentropy", "CategoricalCrossentropy",
    "SparseCategoricalCrossentropy", "Huber", "Hinge", "SquaredHinge", "CategoricalHinge",
    "KLDivergence", "Poisson", "CosineSimilarity", "LogCosh",
]

class MeanSquaredError(FunctionLoss):
    """Mean of squared errors over the last axis, then over the batch.

    Args:
        reduction: how per-sample losses are combined (see ``Loss``).
        name: defaults to ``"mean_squared_error"``.
        dtype: optional float dtype to compute in.

    >>> float(MeanSquaredError()(np.array([[0.0, 1.0], [0.0, 0.0]]),
    ...                         Tensor([[1.0, 1.0], [1.0, 0.0]])).data)
    0.5
    """

    fn = staticmethod(F.mean_squared_error)

    def __init__(self, reduction: str | None = "sum_over_batch_size",
                 name: str = "mean_squared_error", dtype: DTypeLike = None):
        super().__init__(reduction=reduction, name=name, dtype=dtype)


class MeanAbsoluteError(FunctionLoss):
    """Mean of absolute errors.

    >>> float(MeanAbsoluteError()(np.array([[0.0], [1.0]]), Tensor([[1.0], [3.0]])).data)
    1.5
    """

    fn = staticmethod(F.mean_absolute_error)

    def __init__(self, reduction: str | None = "sum_over_batch_size",
                 name: str = "mean_absolute_error", dtype: DTypeLike = None):
        super().__init__(reduction=reduction, name=name, dtype=dtype)


class MeanAbsolutePercentageError(FunctionLoss):
    """Mean absolute percentage error, ``100 * |y_true - y_pred| / |y_true|``.

    >>> float(MeanAbsolutePercentageError()(np.array([[2.0]]), Tensor([[1.0]])).data)
    50.0
    """

    fn = staticmethod(F.mean_absolute_percentage_error)

    def __init__(self, reduction: str | None = "sum_over_batch_size",
                 name: str = "mean_absolute_percentage_error", dtype: DTypeLike = None):
        super().__init__(reduction=reduction, name=name, dtype=dtype)


class MeanSquaredLogarithmicError(FunctionLoss):
    """Mean squared error between ``log(1 + y)`` values.

    >>> float(MeanSquaredLogarithmicError()(np.array([[0.0]]), Tensor([[0.0]])).data)
    0.0
    """

    fn = staticmethod(F.mean_squared_logarithmic_error)

    def __init__(self, reduction: str | None = "sum_over_batch_size",
                 name: str = "mean_squared_logarithmic_error", dtype: DTypeLike = None):
        super().__init__(reduction=reduction, name=name, dtype=dtype)


class BinaryCrossentropy(FunctionLoss):
    """Binary cross-entropy for 0/1 labels (Keras's clipping; stable from logits).

    Args:
        from_logits: whether ``y_pred`` are logits rather than probabilities.
        label_smoothing: in ``[0, 1]``; squeezes targets towards 0.5.
        axis: the axis averaged over per sample.
        reduction: how per-sample losses are combined (see ``Loss``).
        name: defaults to ``"binary_crossentropy"``.
        dtype: optional float dtype to compute in.

    Raises:
        ValueError: for a bad ``label_smoothing`` (at construction) or mismatched shapes.

    >>> loss = BinaryCrossentropy()
    >>> round(float(loss(np.array([[0, 1], [0, 0]]), Tensor([[0.6, 0.4], [0.4, 0.6]])).data), 4)
    0.815
    """

    fn = staticmethod(F.binary_crossentropy)

    def __init__(self, from_logits: bool = False, label_smoothing: float = 0.0, axis: int = -1,
                 reduction: str | None = "sum_over_batch_size",
                 name: str = "binary_crossentropy", dtype: DTypeLike = None):
        F._check_smoothing("BinaryCrossentropy", label_smoothing)
        super().__init__(reduction=reduction, name=name, dtype=dtype, from_logits=from_logits,
                         label_smoothing=label_smoothing, axis=axis)
        self.from_logits = from_logits
        self.label_smoothing = label_smoothing
        self.axis = axis


class CategoricalCrossentropy(FunctionLoss):
    """Cross-entropy for one-hot labels (integer labels raise, pointing to the sparse loss).

    Args:
        from_logits: whether ``y_pred`` are logits rather than probabilities.
        label_smoothing: in ``[0, 1]``; targets become ``t * (1 - s) + s / n_classes``.
        axis: the class axis.
        reduction: how per-sample losses are combined (see ``Loss``).
        name: defaults to ``"categorical_crossentropy"``.
        dtype: optional float dtype to compute in.

    >>> loss = CategoricalCrossentropy()
    >>> round(float(loss(np.array([[0, 1, 0], [0, 0, 1]]),
    ...                  Tensor([[0.05, 0.95, 0.0], [0.1, 0.8, 0.1]])).data), 4)
    1.1769
    """

    fn = staticmethod(F.categorical_crossentropy)

    def __init__(self, from_logits: bool = False, label_smoothing: float = 0.0, axis: int = -1,
                 reduction: str | None = "sum_over_batch_size",
                 name: str = "categorical_crossentropy", dtype: DTypeLike = None):
        F._check_smoothing("CategoricalCrossentropy", label_smoothing)
        super().__init__(reduction=reduction, name=name, dtype=dtype, from_logits=from_logits,
                         label_smoothing=label_smoothing, axis=axis)
        self.from_logits = from_logits
        self.label_smoothing = label_smoothing
        self.axis = axis


class SparseCategoricalCrossentropy(FunctionLoss):
    """Cross-entropy for integer labels (one-hot labels raise, pointing to the dense loss).

    Args:
        from_logits: whether ``y_pred`` are logits rather than probabilities.
        ignore_class: optional label to leave out: those entries get loss 0 and, with
            the mean reductions, do not count in the denominator.
        reduction: how per-sample losses are combined (see ``Loss``).
        name: defaults to ``"sparse_categorical_crossentropy"``.
        dtype: optional float dtype to compute in.

    >>> loss = SparseCategoricalCrossentropy()
    >>> round(float(loss(np.array([1, 2]), Tensor([[0.05, 0.95, 0.0], [0.1, 0.8, 0.1]])).data), 4)
    1.1769
    >>> loss = SparseCategoricalCrossentropy(ignore_class=2)
    >>> round(float(loss(np.array([1, 2]), Tensor([[0.05, 0.95, 0.0], [0.1, 0.8, 0.1]])).data), 4)
    0.0513
    """

    fn = staticmethod(F.sparse_categorical_crossentropy)

    def __init__(self, from_logits: bool = False, ignore_class: int | None = None,
                 reduction: str | None = "sum_over_batch_size",
                 name: str = "sparse_categorical_crossentropy", dtype: DTypeLike = None):
        super().__init__(reduction=reduction, name=name, dtype=dtype, from_logits=from_logits,
                         ignore_class=ignore_class)
        self.from_logits = from_logits
        self.ignore_class = ignore_class

    def call_with_mask(self, y_true: Tensor | ArrayLike,
                       y_pred: Tensor) -> tuple[Tensor, np.ndarray | None]:
        return F.sparse_crossentropy_with_mask(y_true, y_pred, self.from_logits,
                                               self.ignore_class)


class Huber(FunctionLoss):
    """Huber loss: quadratic for errors up to ``delta``, linear beyond.

    >>> float(Huber()(np.array([[0.0]]), Tensor([[3.0]])).data)
    2.5
    """

    fn = staticmethod(F.huber)

    def __init__(self, delta: float = 1.0, reduction: str | None = "sum_over_batch_size",
                 name: str = "huber_loss", dtype: DTypeLike = None):
        super().__init__(reduction=reduction, name=name, dtype=dtype, delta=delta)
        self.delta = delta


class Hinge(FunctionLoss):
    """Hinge loss ``max(1 - y_true * y_pred, 0)`` for -1/1 (or 0/1) labels.

    >>> float(Hinge()(np.array([[1.0]]), Tensor([[0.25]])).data)
    0.75
    """

    fn = staticmethod(F.hinge)

    def __init__(self, reduction: str | None = "sum_over_batch_size", name: str = "hinge",
                 dtype: DTypeLike = None):
        super().__init__(reduction=reduction, name=name, dtype=dtype)


class SquaredHinge(FunctionLoss):
    """Squared hinge loss ``max(1 - y_true * y_pred, 0) ** 2``.

    >>> float(SquaredHinge()(np.array([[1.0]]), Tensor([[0.5]])).data)
    0.25
    """

    fn = staticmethod(F.squared_hinge)

    def __init__(self, reduction: str | None = "sum_over_batch_size",
                 name: str = "squared_hinge", dtype: DTypeLike = None):
        super().__init__(reduction=reduction, name=name, dtype=dtype)


class CategoricalHinge(FunctionLoss):
    """Categorical hinge loss for one-hot labels.

    >>> round(float(CategoricalHinge()(np.array([[0.0, 1.0]]), Tensor([[0.3, 0.6]])).data), 4)
    0.7
    """

    fn = staticmethod(F.categorical_hinge)

    def __init__(self, reduction: str | None = "sum_over_batch_size",
                 name: str = "categorical_hinge", dtype: DTypeLike = None):
        super().__init__(reduction=reduction, name=name, dtype=dtype)


class KLDivergence(FunctionLoss):
    """Kullback-Leibler divergence ``sum(y_true * log(y_true / y_pred))``.

    >>> float(KLDivergence()(np.array([[1.0, 0.0]]), Tensor([[1.0, 0.0]])).data)
    0.0
    """

    fn = staticmethod(F.kl_divergence)

    def __init__(self, reduction: str | None = "sum_over_batch_size",
                 name: str = "kl_divergence", dtype: DTypeLike = None):
        super().__init__(reduction=reduction, name=name, dtype=dtype)


class Poisson(FunctionLoss):
    """Poisson loss ``y_pred - y_true * log(y_pred)``.

    >>> float(Poisson()(np.array([[0.0]]), Tensor([[2.0]])).data)
    2.0
    """

    fn = staticmethod(F.poisson)

    def __init__(self, reduction: str | None = "sum_over_batch_size", name: str = "poisson",
                 dtype: DTypeLike = None):
        super().__init__(reduction=reduction, name=name, dtype=dtype)


class CosineSimilarity(FunctionLoss):
    """Negative cosine similarity along ``axis`` (-1 is a perfect match).

    >>> float(CosineSimilarity()(np.array([[1.0, 1.0]]), Tensor([[2.0, 2.0]])).data)
    -1.0
    """

    fn = staticmethod(F.cosine_similarity)

    def __init__(self, axis: int = -1, reduction: str | None = "sum_over_batch_size",
                 name: str = "cosine_similarity", dtype: DTypeLike = None):
        super().__init__(reduction=reduction, name=name, dtype=dtype, axis=axis)
        self.axis = axis


class LogCosh(FunctionLoss):
    """``log(cosh(y_pred - y_true))``: like MSE for small errors, like MAE for large ones.

    >>> float(LogCosh()(np.array([[0.0]]), Tensor([[0.0]])).data)
    0.0
    """

    fn = staticmethod(F.log_cosh)

    def __init__(self, reduction: str | None = "sum_over_batch_size", name: str = "log_cosh",
                 dtype: DTypeLike = None):
        super().__init__(reduction=reduction, name=name, dtype=dtype)
