"""Overlap losses for segmentation: Dice and Tversky (one minus an overlap score).

Both compare a predicted mask with the true one through sums over ``axis``: by default
over everything, giving one value for the whole batch, as in Keras; ``axis=(1, 2, 3)``
gives one value per image. Built from differentiable ops.

>>> import numpy as np
>>> import deepgrad as dg
>>> y_true = np.array([[1.0, 1.0, 0.0, 0.0]])
>>> float(dice(y_true, dg.Tensor([[1.0, 0.0, 0.0, 1.0]])).data)  # 1 - 2*1/(2+2)
0.5
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike, DTypeLike

from deepgrad import config, ops
from deepgrad.losses.base import FunctionLoss
from deepgrad.losses.functions import _prepare
from deepgrad.tensor import Tensor

__all__ = ["dice", "tversky", "Dice", "Tversky"]

TensorLike = Tensor | ArrayLike
Axis = int | Sequence[int] | None


def _axis(axis: Axis, name: str) -> int | tuple[int, ...] | None:
    """``axis`` as ``ops.sum`` takes it; a list (from a JSON config) becomes a tuple."""
    if axis is None or isinstance(axis, (int, np.integer)) and not isinstance(axis, bool):
        return axis
    if isinstance(axis, (list, tuple)) and all(
        isinstance(a, (int, np.integer)) and not isinstance(a, bool) for a in axis
    ):
        return tuple(int(a) for a in axis)
    raise ValueError(f"{name}: `axis` must be None, an int or a tuple of ints. Received: "
                     f"axis={axis!r}")


def dice(y_true: TensorLike, y_pred: TensorLike, axis: Axis = None) -> Tensor:
    """Dice loss, ``1 - 2 * sum(y_true * y_pred) / (sum(y_true) + sum(y_pred) + 1e-7)``.

    Args:
        y_true: the true mask (0/1 or soft), the shape of ``y_pred``.
        y_pred: the predicted mask (probabilities).
        axis: the axes summed over; None (the default) sums over all of them.

    Returns:
        A Tensor: a scalar for ``axis=None``, else ``y_pred``'s shape without ``axis``.

    Raises:
        ValueError: for mismatched shapes or a bad ``axis``.

    >>> y_true = np.array([[[[1.0], [1.0]], [[0.0], [0.0]]], [[[1.0], [1.0]], [[0.0], [0.0]]]])
    >>> y_pred = Tensor([[[[0.0], [1.0]], [[0.0], [1.0]]], [[[0.4], [0.0]], [[0.0], [0.9]]]])
    >>> dice(y_true, y_pred, axis=(1, 2, 3)).data.round(5)
    array([0.5    , 0.75758], dtype=float32)
    """
    axis = _axis(axis, "dice")
    y_true, y_pred = _prepare("dice", y_true, y_pred)
    intersection = ops.sum(y_true * y_pred, axis=axis)
    total = ops.sum(y_true, axis=axis) + ops.sum(y_pred, axis=axis) + config.epsilon()
    return 1.0 - 2.0 * intersection / total


def tversky(y_true: TensorLike, y_pred: TensorLike, alpha: float = 0.5, beta: float = 0.5,
            axis: Axis = None) -> Tensor:
    """Tversky loss (Salehi et al., 2017): ``1 - TP / (TP + alpha * FP + beta * FN + 1e-7)``.

    With ``TP = sum(y_true * y_pred)``, ``FP = sum((1 - y_true) * y_pred)`` and
    ``FN = sum(y_true * (1 - y_pred))``; ``alpha = beta = 0.5`` is the Dice loss.
    As the paper and Keras's documentation say (and Keras's source after 3.15):
    Keras 3.15 itself swaps the two sums, so there ``alpha`` weights false negatives.

    Args:
        y_true: the true mask, the shape of ``y_pred``.
        y_pred: the predicted mask (probabilities).
        alpha: the weight of false positives.
        beta: the weight of false negatives.
        axis: the axes summed over; None (the default) sums over all of them.

    Returns:
        A Tensor: a scalar for ``axis=None``, else ``y_pred``'s shape without ``axis``.

    Raises:
        ValueError: for mismatched shapes or a bad ``axis``.

    >>> y_true = np.array([[1.0, 1.0, 0.0, 0.0]])
    >>> float(tversky(y_true, Tensor([[1.0, 0.0, 0.0, 1.0]]), alpha=0.0, beta=1.0).data)
    0.5
    """
    axis = _axis(axis, "tversky")
    y_true, y_pred = _prepare("tversky", y_true, y_pred)
    true_positives = ops.sum(y_pred * y_true, axis=axis)
    false_positives = ops.sum((1.0 - y_true) * y_pred, axis=axis)
    false_negatives = ops.sum(y_true * (1.0 - y_pred), axis=axis)
    denominator = (true_positives + false_positives * alpha + false_negatives * beta
                   + config.epsilon())
    return 1.0 - true_positives / denominator


class Dice(FunctionLoss):
    """Dice loss (Keras's ``Dice``): one minus the Dice overlap of two masks.

    With the default ``axis=None`` the loss is one number for the whole batch (so
    ``reduction`` has nothing to reduce), as in Keras; pass ``axis=(1, 2, 3)`` for one
    value per image, then reduced.

    Args:
        reduction: how per-sample losses are combined (see ``Loss``).
        name: defaults to ``"dice"``.
        axis: the axes summed over (None: all).
        dtype: optional float dtype to compute in.

    >>> y_true = np.array([[[[1.0], [1.0]], [[0.0], [0.0]]], [[[1.0], [1.0]], [[0.0], [0.0]]]])
    >>> y_pred = Tensor([[[[0.0], [1.0]], [[0.0], [1.0]]], [[[0.4], [0.0]], [[0.0], [0.9]]]])
    >>> round(float(Dice()(y_true, y_pred).data), 5)
    0.61644
    """

    fn = staticmethod(dice)

    def __init__(self, reduction: str | None = "sum_over_batch_size", name: str = "dice",
                 axis: Axis = None, dtype: DTypeLike = None):
        axis = _axis(axis, "Dice")
        super().__init__(reduction=reduction, name=name, dtype=dtype, axis=axis)
        self.axis = axis


class Tversky(FunctionLoss):
    """Tversky loss (Keras's ``Tversky``): Dice with separate weights for FP and FN.

    Args:
        alpha: the weight of false positives. Defaults to 0.5.
        beta: the weight of false negatives. Defaults to 0.5.
        reduction: how per-sample losses are combined (see ``Loss``).
        name: defaults to ``"tversky"``.
        axis: the axes summed over (None: all).
        dtype: optional float dtype to compute in.

    >>> y_true = np.array([[1.0, 1.0, 0.0, 0.0]])
    >>> float(Tversky()(y_true, Tensor([[1.0, 0.0, 0.0, 1.0]])).data)
    0.5
    """

    fn = staticmethod(tversky)

    def __init__(self, alpha: float = 0.5, beta: float = 0.5,
                 reduction: str | None = "sum_over_batch_size", name: str = "tversky",
                 axis: Axis = None, dtype: DTypeLike = None):
        axis = _axis(axis, "Tversky")
        super().__init__(reduction=reduction, name=name, dtype=dtype, alpha=alpha, beta=beta,
                         axis=axis)
        self.alpha, self.beta = alpha, beta
        self.axis = axis
