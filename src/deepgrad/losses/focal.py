"""Focal cross-entropies (Lin et al., 2017): cross-entropy that down-weights easy examples.

The focal factor ``(1 - p_t) ** gamma``, with ``p_t`` the probability given to the true
label, shrinks the loss of examples the model already gets right; ``gamma=0`` gives the
plain cross-entropy back. Keras 3's formulas, arguments and defaults, built from
differentiable ops (no backward of their own).

>>> import numpy as np
>>> import deepgrad as dg
>>> y_true, y_pred = np.array([[0, 1], [0, 0]]), dg.Tensor([[0.6, 0.4], [0.4, 0.6]])
>>> binary_focal_crossentropy(y_true, y_pred, gamma=2).data.round(3)
array([0.33 , 0.206], dtype=float32)
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike, DTypeLike

from deepgrad import config, ops
from deepgrad.losses.base import FunctionLoss, prediction_tensor, shape_error, target_like
from deepgrad.losses.functions import _check_smoothing, _prepare, check_binary_targets
from deepgrad.tensor import Tensor

__all__ = [
    "binary_focal_crossentropy", "categorical_focal_crossentropy", "BinaryFocalCrossentropy",
    "CategoricalFocalCrossentropy",
]

TensorLike = Tensor | ArrayLike


def _focal_factor(one_minus_p_t: Tensor, gamma: float) -> Tensor | float:
    # gamma == 0 is the plain cross-entropy; skipping the power also keeps 0 ** -1
    # out of its gradient where a prediction is exactly right.
    return 1.0 if gamma == 0 else ops.power(one_minus_p_t, gamma)


def binary_focal_crossentropy(
    y_true: TensorLike,
    y_pred: TensorLike,
    apply_class_balancing: bool = False,
    alpha: float = 0.25,
    gamma: float = 2.0,
    from_logits: bool = False,
    label_smoothing: float = 0.0,
    axis: int = -1,
) -> Tensor:
    """Binary focal cross-entropy, averaged over ``axis`` (one value per sample).

    ``focal_bce = (1 - p_t) ** gamma * bce`` with ``p_t = y * p + (1 - y) * (1 - p)``;
    with ``apply_class_balancing`` it is further weighted by ``alpha`` for label 1 and
    ``1 - alpha`` for label 0.

    Args:
        y_true: 0/1 (or soft) targets, the shape of ``y_pred`` (a trailing 1 may differ).
        y_pred: probabilities, or logits if ``from_logits``.
        apply_class_balancing: weight the two classes by ``alpha`` and ``1 - alpha``.
        alpha: the weight of class 1 when balancing.
        gamma: the focusing parameter, >= 0.
        from_logits: whether ``y_pred`` are logits.
        label_smoothing: in ``[0, 1]``; targets become ``t * (1 - s) + 0.5 * s``.
        axis: the axis averaged over.

    Returns:
        A Tensor of ``y_pred``'s shape without ``axis``.

    Raises:
        ValueError: for mismatched shapes, targets outside [0, 1] (Keras accepts them) or a
            bad ``label_smoothing``.

    >>> y_true, y_pred = np.array([[0, 1, 0, 0]]), Tensor([[-18.6, 0.51, 2.94, -12.8]])
    >>> binary_focal_crossentropy(y_true, y_pred, from_logits=True).data.round(3)
    array([0.691], dtype=float32)
    """
    _check_smoothing("binary_focal_crossentropy", label_smoothing)
    y_true, y_pred = _prepare("binary_focal_crossentropy", y_true, y_pred)
    check_binary_targets("binary_focal_crossentropy", y_true)
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing
    probs = ops.sigmoid(y_pred) if from_logits else y_pred
    # From logits the sigmoid notes them, and the cross-entropy uses them (exact, stable).
    bce = ops.binary_crossentropy(y_true, probs)
    p_t = y_true * probs + (1.0 - y_true) * (1.0 - probs)
    focal = _focal_factor(1.0 - p_t, gamma) * bce
    if apply_class_balancing:
        focal = (y_true * alpha + (1.0 - y_true) * (1.0 - alpha)) * focal
    return ops.mean(focal, axis=axis)


def _class_weights(alpha: float | Sequence[float], classes: int, dtype: np.dtype,
                   axis: int, ndim: int):
    if np.ndim(alpha) == 0:
        return float(alpha)
    weights = np.asarray(alpha, dtype=dtype)
    if weights.shape != (classes,):
        raise ValueError(
            f"categorical_focal_crossentropy: `alpha` must be a float or one weight per "
            f"class ({classes}). Received: alpha={list(np.ravel(alpha))}"
        )
    shape = [1] * ndim
    shape[axis] = classes
    return weights.reshape(shape)


def categorical_focal_crossentropy(
    y_true: TensorLike,
    y_pred: TensorLike,
    alpha: float | Sequence[float] = 0.25,
    gamma: float = 2.0,
    from_logits: bool = False,
    label_smoothing: float = 0.0,
    axis: int = -1,
) -> Tensor:
    """Categorical focal cross-entropy for one-hot targets, summed over the class axis.

    ``sum(alpha * (1 - p) ** gamma * -y * log(p))`` where ``p`` are the predicted
    probabilities, normalised to sum to 1 and clipped to ``[1e-7, 1 - 1e-7]`` (Keras).

    Args:
        y_true: one-hot targets of ``y_pred``'s shape.
        y_pred: probabilities, or logits if ``from_logits``.
        alpha: a weight for every class, or one weight per class (a list).
        gamma: the focusing parameter, >= 0.
        from_logits: whether ``y_pred`` are logits (a softmax is applied).
        label_smoothing: in ``[0, 1]``; targets become ``t * (1 - s) + s / n_classes``.
        axis: the class axis.

    Returns:
        A Tensor of ``y_pred``'s shape without ``axis``.

    Raises:
        ValueError: for mismatched shapes, a bad ``alpha`` list or ``label_smoothing``.

    >>> y_true = np.array([[0, 1, 0], [0, 0, 1]])
    >>> y_pred = Tensor([[0.05, 0.9, 0.05], [0.1, 0.85, 0.05]])
    >>> categorical_focal_crossentropy(y_true, y_pred).data.round(5)
    array([2.6e-04, 6.7591e-01], dtype=float32)
    """
    name = "categorical_focal_crossentropy"
    if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)):
        raise ValueError(f"{name}: `axis` must be an int. Received: axis={axis!r}")
    _check_smoothing(name, label_smoothing)
    y_pred = prediction_tensor(y_pred)
    y_true = target_like(y_true, y_pred)
    if y_true.shape != y_pred.shape:
        raise shape_error(name, y_true, y_pred)
    classes = y_pred.shape[axis] if y_pred.ndim else 1
    if classes == 1:
        warnings.warn(
            f"{name}: y_pred has shape {y_pred.shape}, one class on axis {axis}, so the loss "
            "is always 0. For two classes use binary_focal_crossentropy with a sigmoid "
            "output.", UserWarning, stacklevel=2,
        )
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + label_smoothing / classes
    probs = ops.softmax(y_pred, axis=axis) if from_logits else y_pred
    probs = probs / ops.sum(probs, axis=axis, keepdims=True)
    eps = config.epsilon()
    probs = ops.clip(probs, eps, 1.0 - eps)
    cross_entropy = -y_true * ops.log(probs)
    weights = _class_weights(alpha, classes, y_pred.dtype, axis, y_pred.ndim)
    focal = _focal_factor(1.0 - probs, gamma) * weights * cross_entropy
    return ops.sum(focal, axis=axis)


class BinaryFocalCrossentropy(FunctionLoss):
    """Binary focal cross-entropy (Keras's ``BinaryFocalCrossentropy``).

    Args:
        apply_class_balancing: weight class 1 by ``alpha`` and class 0 by ``1 - alpha``.
        alpha: the weight of class 1 when balancing. Defaults to 0.25.
        gamma: the focusing parameter. Defaults to 2.0.
        from_logits: whether ``y_pred`` are logits.
        label_smoothing: in ``[0, 1]``; squeezes targets towards 0.5.
        axis: the axis averaged over per sample.
        reduction: how per-sample losses are combined (see ``Loss``).
        name: defaults to ``"binary_focal_crossentropy"``.
        dtype: optional float dtype to compute in.

    Raises:
        ValueError: for a bad ``label_smoothing`` (at construction) or mismatched shapes.

    >>> loss = BinaryFocalCrossentropy(gamma=3, from_logits=True)
    >>> y_true, y_pred = np.array([[0, 1], [0, 0]]), Tensor([[-18.6, 0.51], [2.94, -12.8]])
    >>> round(float(loss(y_true, y_pred).data), 3)
    0.647
    """

    fn = staticmethod(binary_focal_crossentropy)

    def __init__(self, apply_class_balancing: bool = False, alpha: float = 0.25,
                 gamma: float = 2.0, from_logits: bool = False, label_smoothing: float = 0.0,
                 axis: int = -1, reduction: str | None = "sum_over_batch_size",
                 name: str = "binary_focal_crossentropy", dtype: DTypeLike = None):
        _check_smoothing("BinaryFocalCrossentropy", label_smoothing)
        super().__init__(reduction=reduction, name=name, dtype=dtype,
                         apply_class_balancing=apply_class_balancing, alpha=alpha, gamma=gamma,
                         from_logits=from_logits, label_smoothing=label_smoothing, axis=axis)
        self.apply_class_balancing = apply_class_balancing
        self.alpha, self.gamma = alpha, gamma
        self.from_logits = from_logits
        self.label_smoothing = label_smoothing
        self.axis = axis


class CategoricalFocalCrossentropy(FunctionLoss):
    """Categorical focal cross-entropy for one-hot labels (Keras's class of that name).

    Args:
        alpha: a weight for every class, or a list of one weight per class.
            Defaults to 0.25.
        gamma: the focusing parameter. Defaults to 2.0.
        from_logits: whether ``y_pred`` are logits.
        label_smoothing: in ``[0, 1]``.
        axis: the class axis.
        reduction: how per-sample losses are combined (see ``Loss``).
        name: defaults to ``"categorical_focal_crossentropy"``.
        dtype: optional float dtype to compute in.

    >>> loss = CategoricalFocalCrossentropy()
    >>> y_true = np.array([[0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    >>> round(float(loss(y_true, Tensor([[0.05, 0.95, 0.0], [0.1, 0.8, 0.1]])).data), 5)
    0.23315
    """

    fn = staticmethod(categorical_focal_crossentropy)

    def __init__(self, alpha: float | Sequence[float] = 0.25, gamma: float = 2.0,
                 from_logits: bool = False, label_smoothing: float = 0.0, axis: int = -1,
                 reduction: str | None = "sum_over_batch_size",
                 name: str = "categorical_focal_crossentropy", dtype: DTypeLike = None):
        _check_smoothing("CategoricalFocalCrossentropy", label_smoothing)
        if np.ndim(alpha):
            alpha = [float(a) for a in np.ravel(alpha)]
        super().__init__(reduction=reduction, name=name, dtype=dtype, alpha=alpha, gamma=gamma,
                         from_logits=from_logits, label_smoothing=label_smoothing, axis=axis)
        self.alpha, self.gamma = alpha, gamma
        self.from_logits = from_logits
        self.label_smoothing = label_smoothing
        self.axis = axis
