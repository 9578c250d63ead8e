"""Loss functions with Keras 3 formulas: each returns one loss value per sample.

``y_true`` may be a NumPy array (the usual case in ``fit``) or a Tensor; ``y_pred`` is a
Tensor. Shapes follow Keras's rule (a trailing dimension of 1 may differ) and are
otherwise checked, never broadcast. The cross-entropies are single fused ops from
``deepgrad.ops.activation``, with Keras's clipping of probabilities to
``[epsilon, 1 - epsilon]`` (:func:`deepgrad.config.epsilon`, 1e-7 unless set).

>>> import deepgrad as dg
>>> y_pred = dg.Tensor([[0.9, 0.05, 0.05], [0.1, 0.8, 0.1]])
>>> sparse_categorical_crossentropy(np.array([0, 1]), y_pred).data.round(4)
array([0.1054, 0.2231], dtype=float32)
"""

from __future__ import annotations

import math
import warnings

import numpy as np
from numpy.typing import ArrayLike

from deepgrad import config, ops
from deepgrad.losses.base import (
    prediction_tensor,
    shape_error,
    squeeze_or_expand_to_same_rank,
    target_like,
)
from deepgrad.tensor import Tensor

__all__ = [
    "mean_squared_error", "mean_absolute_error", "mean_absolute_percentage_error",
    "mean_squared_logarithmic_error", "binary_crossentropy", "categorical_crossentropy",
    "sparse_categorical_crossentropy", "huber", "hinge", "squared_hinge", "categorical_hinge",
    "kl_divergence", "poisson", "cosine_similarity", "log_cosh", "mse", "mae", "mape", "msle",
    "kld",
]

TensorLike = Tensor | ArrayLike


def _prepare(name: str, y_true: TensorLike, y_pred: TensorLike, hint: str | None = None):
    """Convert both operands and apply Keras's shape rule; mismatches raise, with a hint."""
    y_pred = prediction_tensor(y_pred)
    y_true = target_like(y_true, y_pred)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    if y_true.shape != y_pred.shape:
        raise shape_error(name, y_true, y_pred, _labels_hint(y_true.shape, y_pred) if hint is None
                          else hint)
    return y_true, y_pred


def _labels_hint(true_shape: tuple[int, ...], y_pred) -> str:
    if y_pred.ndim and y_pred.shape[-1] > 1 and tuple(true_shape) in (
        tuple(y_pred.shape[:-1]), tuple(y_pred.shape[:-1]) + (1,)
    ):
        return ("y_true looks like integer class labels while y_pred has "
                f"{y_pred.shape[-1]} columns; for classification use "
                "sparse_categorical_crossentropy.")
    return ""


def check_binary_targets(name: str, y_true) -> None:
    """Targets of a binary cross-entropy must lie in [0, 1] (0/1 labels or probabilities).

    Keras trains on any values silently (labels {0, 2} give a loss that falls forever);
    deepgrad refuses them: labels given as arrays (what ``fit`` passes) are checked, while
    Tensor targets (computed ones: distillation, gradient checks through the target) are the
    caller's own business.
    """
    if isinstance(y_true, Tensor):
        return
    values = y_true
    if values.size and not (values.min() >= 0 and values.max() <= 1):
        bad = values[~((values >= 0) & (values <= 1))].ravel()[:3].tolist()
        raise ValueError(
            f"{name}: labels must be in [0, 1] (0/1 labels or probabilities). Received "
            f"labels such as {bad}. To fix, map the labels to 0 and 1, or for integer class "
            "labels use sparse_categorical_crossentropy with one output unit per class."
        )


def _check_smoothing(name: str, label_smoothing: float) -> None:
    if not 0 <= label_smoothing <= 1:
        raise ValueError(
            f"{name}: `label_smoothing` must be in [0, 1]. "
            f"Received: label_smoothing={label_smoothing!r}"
        )


def mean_squared_error(y_true: TensorLike, y_pred: TensorLike) -> Tensor:
    """``mean(square(y_true - y_pred), axis=-1)``.

    Args:
        y_true: targets, shape ``(batch, ..., d)``.
        y_pred: predictions of the same shape.

    Returns:
        A Tensor of shape ``(batch, ...)``.

    Raises:
        ValueError: if the shapes differ (beyond a trailing 1).

    >>> mean_squared_error(np.array([[0.0, 1.0]]), Tensor([[1.0, 1.0]]))
    Tensor([0.5], dtype=float32)
    """
    y_true, y_pred = _prepare("mean_squared_error", y_true, y_pred)
    return ops.mean(ops.square(y_pred - y_true), axis=-1)


def mean_absolute_error(y_true: TensorLike, y_pred: TensorLike) -> Tensor:
    """``mean(abs(y_true - y_pred), axis=-1)``.

    Raises:
        ValueError: if the shapes differ (beyond a trailing 1).

    >>> mean_absolute_error(np.array([[0.0, 1.0]]), Tensor([[1.0, 3.0]]))
    Tensor([1.5], dtype=float32)
    """
    y_true, y_pred = _prepare("mean_absolute_error", y_true, y_pred)
    return ops.mean(ops.abs(y_pred - y_true), axis=-1)


def mean_absolute_percentage_error(y_true: TensorLike, y_pred: TensorLike) -> Tensor:
    """``100 * mean(abs((y_true - y_pred) / max(abs(y_true), 1e-7)), axis=-1)``.

    Raises:
        ValueError: if the shapes differ (beyond a trailing 1).

    >>> mean_absolute_percentage_error(np.array([[2.0, 4.0]]), Tensor([[1.0, 5.0]]))
    Tensor([37.5], dtype=float32)
    """
    y_true, y_pred = _prepare("mean_absolute_percentage_error", y_true, y_pred)
    if isinstance(y_true, Tensor):
        denominator = ops.maximum(ops.abs(y_true), config.epsilon())
    else:
        denominator = np.maximum(np.abs(y_true), y_true.dtype.type(config.epsilon()))
    return 100.0 * ops.mean(ops.abs((y_true - y_pred) / denominator), axis=-1)


def mean_squared_logarithmic_error(y_true: TensorLike, y_pred: TensorLike) -> Tensor:
    """``mean(square(log(max(y_pred, eps) + 1) - log(max(y_true, eps) + 1)), axis=-1)``.

    Raises:
        ValueError: if the shapes differ (beyond a trailing 1).

    >>> mean_squared_logarithmic_error(np.array([[0.0]]), Tensor([[np.e - 1]]))
    Tensor([1.], dtype=float32)
    """
    y_true, y_pred = _prepare("mean_squared_logarithmic_error", y_true, y_pred)
    first = ops.log(ops.maximum(y_pred, config.epsilon()) + 1.0)
    second = ops.log(ops.maximum(y_true, config.epsilon()) + 1.0)
    return ops.mean(ops.square(first - second), axis=-1)


def binary_crossentropy(
    y_true: TensorLike,
    y_pred: TensorLike,
    from_logits: bool = False,
    label_smoothing: float = 0.0,
    axis: int = -1,
) -> Tensor:
    """Binary cross-entropy, averaged over ``axis`` (one value per sample).

    Probabilities are clipped to ``[1e-7, 1 - 1e-7]`` as in Keras; logits go through a
    stable ``log(1 + exp(-|x|))`` form.

    Args:
        y_true: 0/1 (or soft) targets, the shape of ``y_pred`` (a trailing 1 may differ).
        y_pred: probabilities, or logits if ``from_logits``.
        from_logits: whether ``y_pred`` are logits.
        label_smoothing: in ``[0, 1]``; targets become ``t * (1 - s) + 0.5 * s``.
        axis: the axis averaged over.

    Returns:
        A Tensor of ``y_pred``'s shape without ``axis``.

    Raises:
        ValueError: for mismatched shapes, targets outside [0, 1] (Keras accepts them) or a
            bad ``label_smoothing``.

    >>> binary_crossentropy(np.array([[0, 1], [0, 0]]), Tensor([[0.6, 0.4], [0.4, 0.6]]))
    Tensor([0.9163, 0.7136], dtype=float32)
    """
    _check_smoothing("binary_crossentropy", label_smoothing)
    y_pred = prediction_tensor(y_pred)
    hint = ("binary_crossentropy takes one probability per label; for integer class labels "
            "with several output units use sparse_categorical_crossentropy.")
    y_true, y_pred = _prepare("binary_crossentropy", y_true, y_pred,
                              hint if _labels_hint(np.shape(y_true), y_pred) else "")
    check_binary_targets("binary_crossentropy", y_true)
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing
    return ops.mean(ops.binary_crossentropy(y_true, y_pred, from_logits=from_logits), axis=axis)


def _is_binary(values: np.ndarray) -> bool:
    return bool(np.all((values == 0) | (values == 1)))


def categorical_crossentropy(
    y_true: TensorLike,
    y_pred: TensorLike,
    from_logits: bool = False,
    label_smoothing: float = 0.0,
    axis: int = -1,
) -> Tensor:
    """Cross-entropy between one-hot (or soft) targets and predicted distributions.

    From probabilities, ``y_pred`` is normalised to sum to 1 along ``axis`` and clipped to
    ``[1e-7, 1 - 1e-7]`` as in Keras, so a prediction of exactly 0 for the true class
    costs ``-log(1e-7)``, about 16.12. From logits, log-sum-exp is used.

    Args:
        y_true: one-hot targets of ``y_pred``'s shape.
        y_pred: probabilities, or logits if ``from_logits``.
        from_logits: whether ``y_pred`` are logits.
        label_smoothing: in ``[0, 1]``; targets become ``t * (1 - s) + s / n_classes``.
        axis: the class axis.

    Returns:
        A Tensor of ``y_pred``'s shape without ``axis``.

    Raises:
        ValueError: for integer labels (with a hint), mismatched shapes, or a bad
            ``label_smoothing``.

    >>> y_true = np.array([[0, 1, 0], [0, 0, 1]])
    >>> categorical_crossentropy(y_true, Tensor([[0.05, 0.95, 0.0], [0.1, 0.8, 0.1]]))
    Tensor([0.0513, 2.3026], dtype=float32)
    """
    name = "categorical_crossentropy"
    if isinstance(axis, bool) or not isinstance(axis, int):
        raise ValueError(f"{name}: `axis` must be an int. Received: axis={axis!r}")
    _check_smoothing(name, label_smoothing)
    y_pred = prediction_tensor(y_pred)
    y_true = target_like(y_true, y_pred)
    if y_true.shape != y_pred.shape:
        classes = y_pred.shape[axis] if y_pred.ndim else 1
        hint = ""
        if classes > 1 and y_pred.ndim and y_true.shape in (
            y_pred.shape[:-1], y_pred.shape[:-1] + (1,)
        ):
            hint = (f"y_true looks like integer class labels, but y_pred has {classes} "
                    "classes. To fix, use sparse_categorical_crossentropy or one-hot encode "
                    f"with dg.utils.to_categorical(y, {classes}).")
        raise shape_error(name, y_true, y_pred, hint)
    if y_pred.ndim and y_pred.shape[axis] == 1:
        warnings.warn(
            f"{name}: y_pred has shape {y_pred.shape}, one class on axis {axis}, so the loss "
            "is always 0. For two classes use binary_crossentropy with a sigmoid output.",
            UserWarning,
            stacklevel=2,
        )
    if label_smoothing:
        classes = y_true.shape[-1]
        y_true = y_true * (1.0 - label_smoothing) + label_smoothing / classes
    return ops.categorical_crossentropy(y_true, y_pred, from_logits=from_logits, axis=axis)


def sparse_labels(name: str, y_true: TensorLike, y_pred: Tensor) -> np.ndarray:
    """Check integer labels against ``y_pred`` (classes on the last axis); return them.

    A trailing dimension of 1 is removed. One-hot labels and a single-class ``y_pred``
    are reported with a hint; anything else that does not match is a shape error.

    Raises:
        ValueError: as described, naming ``name``.

    >>> sparse_labels("scce", [[0], [2]], Tensor(np.zeros((2, 3))))
    array([0, 2])
    """
    labels = y_true.data if isinstance(y_true, Tensor) else np.asarray(y_true)
    expected = y_pred.shape[:-1]
    if labels.shape == expected:
        pass
    elif labels.shape == expected + (1,):
        labels = labels.reshape(expected)
    else:
        hint = ""
        classes = y_pred.shape[-1] if y_pred.ndim else 0
        if labels.shape == y_pred.shape and classes > 1 and _is_binary(labels):
            hint = ("y_true looks one-hot encoded. To fix, use categorical_crossentropy or "
                    "pass integer labels (e.g. y.argmax(axis=-1)).")
        raise ValueError(
            f"{name}: expected integer labels of shape {expected} (or {expected + (1,)}) for "
            f"y_pred of shape {y_pred.shape}. Received: y_true.shape={labels.shape}."
            + (f" {hint}" if hint else "")
        )
    if y_pred.ndim == 0 or y_pred.shape[-1] < 2:
        raise ValueError(
            f"{name}: y_pred must hold one score per class on its last axis, at least 2. "
            f"Received: y_pred.shape={y_pred.shape}. For binary labels with one output unit "
            "use binary_crossentropy."
        )
    return labels


def sparse_crossentropy_with_mask(
    y_true: TensorLike,
    y_pred: TensorLike,
    from_logits: bool = False,
    ignore_class: int | None = None,
    axis: int = -1,
) -> tuple[Tensor, np.ndarray | None]:
    """Sparse cross-entropy and the validity mask of ``ignore_class`` (None if unused).

    >>> loss, mask = sparse_crossentropy_with_mask([0, 9], Tensor([[0.5, 0.5], [0.5, 0.5]]),
    ...                                            ignore_class=9)
    >>> loss.data.round(4), mask
    (array([0.6931, 0.    ], dtype=float32), array([ True, False]))
    """
    name = "sparse_categorical_crossentropy"
    y_pred = prediction_tensor(y_pred)
    moved = y_pred if axis in (-1, y_pred.ndim - 1) else ops.transpose(
        y_pred, [i for i in range(y_pred.ndim) if i != axis % y_pred.ndim] + [axis % y_pred.ndim]
    )
    labels = sparse_labels(name, y_true, moved)
    mask = None
    if ignore_class is not None:
        mask = labels != ignore_class
        labels = np.where(mask, labels, 0)
    loss = ops.sparse_categorical_crossentropy(labels, moved, from_logits=from_logits)
    if mask is not None:
        loss = loss * mask.astype(loss.dtype)
    return loss, mask


def sparse_categorical_crossentropy(
    y_true: TensorLike,
    y_pred: TensorLike,
    from_logits: bool = False,
    ignore_class: int | None = None,
    axis: int = -1,
) -> Tensor:
    """Cross-entropy with integer class labels; one fused op (log-sum-exp from logits).

    From probabilities, Keras's clipping applies: a true-class probability of 0 costs
    ``-log(1e-7)``.

    Args:
        y_true: integer labels of shape ``y_pred.shape[:-1]`` (a trailing 1 is allowed).
        y_pred: probabilities, or logits if ``from_logits``; classes on ``axis``.
        from_logits: whether ``y_pred`` are logits.
        ignore_class: a label whose entries get loss 0 (and, in the Loss class, are left
            out of the mean), e.g. a segmentation "void" class.
        axis: the class axis.

    Returns:
        A Tensor of ``y_pred``'s shape without ``axis``.

    Raises:
        ValueError: for one-hot labels (with a hint), labels out of range, mismatched
            shapes, or a ``y_pred`` with a single class.

    >>> sparse_categorical_crossentropy([1, 2], Tensor([[0.05, 0.95, 0.0], [0.1, 0.8, 0.1]]))
    Tensor([0.0513, 2.3026], dtype=float32)
    """
    return sparse_crossentropy_with_mask(y_true, y_pred, from_logits, ignore_class, axis)[0]


def huber(y_true: TensorLike, y_pred: TensorLike, delta: float = 1.0) -> Tensor:
    """Huber loss: ``0.5 * e**2`` for ``|e| <= delta``, else ``delta * |e| - 0.5 * delta**2``.

    Averaged over the last axis; ``e = y_pred - y_true``.

    >>> huber(np.array([[0.0, 1.0], [0.0, 0.0]]), Tensor([[0.6, 0.4], [0.4, 0.6]]))
    Tensor([0.18, 0.13], dtype=float32)
    """
    y_true, y_pred = _prepare("huber", y_true, y_pred)
    error = y_pred - y_true
    abs_error = ops.abs(error)
    quadratic = 0.5 * ops.square(error)
    linear = delta * abs_error - 0.5 * delta * delta
    return ops.mean(ops.where(abs_error.data <= delta, quadratic, linear), axis=-1)


def _hinge_targets(y_true):
    """Map 0/1 labels to -1/1, as Keras does; other labels pass unchanged."""
    values = y_true.data if isinstance(y_true, Tensor) else y_true
    if _is_binary(values):
        return 2.0 * y_true - 1.0
    return y_true


def hinge(y_true: TensorLike, y_pred: TensorLike) -> Tensor:
    """``mean(maximum(1 - y_true * y_pred, 0), axis=-1)``; 0/1 labels become -1/1.

    >>> hinge(np.array([[1.0, 0.0]]), Tensor([[0.5, -2.0]]))
    Tensor([0.25], dtype=float32)
    """
    y_true, y_pred = _prepare("hinge", y_true, y_pred)
    return ops.mean(ops.maximum(1.0 - _hinge_targets(y_true) * y_pred, 0.0), axis=-1)


def squared_hinge(y_true: TensorLike, y_pred: TensorLike) -> Tensor:
    """``mean(square(maximum(1 - y_true * y_pred, 0)), axis=-1)``; 0/1 labels become -1/1.

    >>> squared_hinge(np.array([[1.0, 0.0]]), Tensor([[0.5, -2.0]]))
    Tensor([0.125], dtype=float32)
    """
    y_true, y_pred = _prepare("squared_hinge", y_true, y_pred)
    margin = ops.maximum(1.0 - _hinge_targets(y_true) * y_pred, 0.0)
    return ops.mean(ops.square(margin), axis=-1)


def categorical_hinge(y_true: TensorLike, y_pred: TensorLike) -> Tensor:
    """``maximum(max((1 - y_true) * y_pred) - sum(y_true * y_pred) + 1, 0)`` over the last axis.

    >>> categorical_hinge(np.array([[0.0, 1.0]]), Tensor([[0.3, 0.6]]))
    Tensor([0.7], dtype=float32)
    """
    y_true, y_pred = _prepare("categorical_hinge", y_true, y_pred)
    positive = ops.sum(y_true * y_pred, axis=-1)
    negative = ops.max((1.0 - y_true) * y_pred, axis=-1)
    return ops.maximum(negative - positive + 1.0, 0.0)


def kl_divergence(y_true: TensorLike, y_pred: TensorLike) -> Tensor:
    """``sum(y_true * log(y_true / y_pred), axis=-1)``, both clipped to ``[1e-7, 1]``.

    >>> kl_divergence(np.array([[0.5, 0.5]]), Tensor([[0.5, 0.5]]))
    Tensor([0.], dtype=float32)
    """
    y_true, y_pred = _prepare("kl_divergence", y_true, y_pred)
    if isinstance(y_true, Tensor):
        y_true = ops.clip(y_true, config.epsilon(), 1.0)
    else:
        y_true = np.clip(y_true, y_true.dtype.type(config.epsilon()), y_true.dtype.type(1))
    y_pred = ops.clip(y_pred, config.epsilon(), 1.0)
    return ops.sum(y_true * ops.log(y_true / y_pred), axis=-1)


def poisson(y_true: TensorLike, y_pred: TensorLike) -> Tensor:
    """``mean(y_pred - y_true * log(y_pred + 1e-7), axis=-1)``.

    >>> poisson(np.array([[0.0]]), Tensor([[2.0]]))
    Tensor([2.], dtype=float32)
    """
    y_true, y_pred = _prepare("poisson", y_true, y_pred)
    return ops.mean(y_pred - y_true * ops.log(y_pred + config.epsilon()), axis=-1)


def _l2_normalize(x, axis: int):
    dtype = x.dtype
    floor = np.asarray(config.epsilon(), dtype=dtype) ** 2
    if not isinstance(x, Tensor):
        norm = np.sqrt(np.maximum(np.sum(x * x, axis=axis, keepdims=True), floor))
        return x / norm
    norm = ops.sqrt(ops.maximum(ops.sum(ops.square(x), axis=axis, keepdims=True), floor))
    return x / norm


def cosine_similarity(y_true: TensorLike, y_pred: TensorLike, axis: int = -1) -> Tensor:
    """``-sum(l2_normalize(y_true) * l2_normalize(y_pred), axis)``: -1 for equal directions.

    A zero vector gives 0.

    >>> cosine_similarity(np.array([[0.0, 1.0], [1.0, 1.0]]), Tensor([[1.0, 0.0], [1.0, 1.0]]))
    Tensor([-0., -1.], dtype=float32)
    """
    y_true, y_pred = _prepare("cosine_similarity", y_true, y_pred)
    return -ops.sum(_l2_normalize(y_true, axis) * _l2_normalize(y_pred, axis), axis=axis)


_LOG2 = math.log(2.0)


def log_cosh(y_true: TensorLike, y_pred: TensorLike) -> Tensor:
    """``mean(log(cosh(y_pred - y_true)), axis=-1)``, computed without overflow.

    >>> log_cosh(np.array([[0.0, 1.0], [0.0, 0.0]]), Tensor([[1.0, 1.0], [0.0, 0.0]]))
    Tensor([0.2169, 0.    ], dtype=float32)
    """
    y_true, y_pred = _prepare("log_cosh", y_true, y_pred)
    error = y_pred - y_true
    return ops.mean(error + ops.softplus(-2.0 * error) - _LOG2, axis=-1)


# Keras's short aliases.
mse = mean_squared_error
mae = mean_absolute_error
mape = mean_absolute_percentage_error
msle = mean_squared_logarithmic_error
kld = kl_divergence
