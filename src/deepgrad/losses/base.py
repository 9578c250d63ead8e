"""The ``Loss`` base class, reductions, sample weights and Keras's shape rules for losses.

Nothing is broadcast silently: ``y_true`` and ``y_pred`` must have the same shape, except
that a trailing dimension of 1 may be added or removed (Keras's
``squeeze_or_expand_to_same_rank``); anything else is a ``ValueError`` naming the loss.

>>> import deepgrad as dg
>>> mse = dg.losses.MeanSquaredError()
>>> float(mse(np.array([[0.0], [1.0]]), dg.Tensor([[1.0], [1.0]])).data)
0.5
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, DTypeLike

from deepgrad import config as _config
from deepgrad import ops
from deepgrad.ops.masks import get_keras_mask
from deepgrad.tensor import Tensor, as_tensor

__all__ = [
    "Loss", "LossFunctionWrapper", "squeeze_or_expand_to_same_rank", "reduce_weighted_values",
    "standardize_reduction", "REDUCTIONS",
]

REDUCTIONS = ("sum_over_batch_size", "sum", "mean", "mean_with_sample_weight", "none", None)

Array = Tensor | np.ndarray


def standardize_reduction(reduction: str | None, owner: str = "Loss") -> str | None:
    """Validate a reduction name.

    Raises:
        ValueError: for anything not in :data:`REDUCTIONS`.

    >>> standardize_reduction("sum")
    'sum'
    """
    if reduction not in REDUCTIONS:
        raise ValueError(
            f"{owner}: `reduction` must be one of {', '.join(map(repr, REDUCTIONS))}. "
            f"Received: reduction={reduction!r}"
        )
    return reduction


def _snake_case(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _expand_last(x: Array) -> Array:
    return ops.reshape(x, x.shape + (1,)) if isinstance(x, Tensor) else x[..., None]


def _squeeze_last(x: Array) -> Array:
    return ops.reshape(x, x.shape[:-1]) if isinstance(x, Tensor) else x[..., 0]


def squeeze_or_expand_to_same_rank(
    x1: Array, x2: Array, expand_rank_1: bool = True
) -> tuple[Array, Array]:
    """Make ranks equal when they differ by one and the longer shape ends in 1 (Keras's rule).

    A rank-1 operand gains a trailing axis (when ``expand_rank_1``); otherwise the
    trailing 1 is removed from the other. Shapes are otherwise left alone.

    >>> a, b = squeeze_or_expand_to_same_rank(np.zeros(3), np.zeros((3, 1)))
    >>> a.shape, b.shape
    ((3, 1), (3, 1))
    >>> a, b = squeeze_or_expand_to_same_rank(np.zeros((3, 2)), np.zeros((3, 2, 1)))
    >>> a.shape, b.shape
    ((3, 2), (3, 2))
    """
    r1, r2 = x1.ndim, x2.ndim
    if r1 == r2:
        return x1, x2
    if r1 == r2 + 1 and x1.shape[-1] == 1:
        if r2 == 1 and expand_rank_1:
            x2 = _expand_last(x2)
        else:
            x1 = _squeeze_last(x1)
    elif r2 == r1 + 1 and x2.shape[-1] == 1:
        if r1 == 1 and expand_rank_1:
            x1 = _expand_last(x1)
        else:
            x2 = _squeeze_last(x2)
    return x1, x2


def prediction_tensor(y_pred: Tensor | ArrayLike) -> Tensor:
    """Return ``y_pred`` as a float Tensor (integers become the default float type).

    >>> prediction_tensor([[1, 2]]).dtype
    dtype('float32')
    """
    if isinstance(y_pred, Tensor):
        if y_pred.dtype.kind == "f":
            return y_pred
        return ops.cast(y_pred, _config.floatx())
    array = np.asarray(y_pred)
    return Tensor(array if array.dtype.kind == "f" else array.astype(_config.floatx()))


def target_like(y_true: Tensor | ArrayLike, y_pred: Tensor) -> Array:
    """Return ``y_true`` in ``y_pred``'s dtype: an array, or a Tensor if it was one.

    >>> target_like([1, 0], Tensor(np.zeros(2))).dtype
    dtype('float64')
    """
    if isinstance(y_true, Tensor):
        return y_true if y_true.dtype == y_pred.dtype else ops.cast(y_true, y_pred.dtype)
    return np.asarray(y_true, dtype=y_pred.dtype)


def shape_error(name: str, y_true: Array, y_pred: Array, hint: str = "") -> ValueError:
    """Build the standard mismatch error: the loss's name, expected and received shapes.

    >>> str(shape_error("mse", np.zeros((2, 3)), np.zeros((2, 1))))[:58]
    'mse: expected y_true with the shape of y_pred (2, 1) (a tr'
    """
    return ValueError(
        f"{name}: expected y_true with the shape of y_pred {tuple(y_pred.shape)} (a trailing "
        f"dimension of 1 may differ). Received: y_true.shape={tuple(y_true.shape)}, "
        f"y_pred.shape={tuple(y_pred.shape)}." + (f" {hint}" if hint else "")
    )


def same_shape(name: str, y_true: Array, y_pred: Array, hint: str = "") -> tuple[Array, Array]:
    """Apply :func:`squeeze_or_expand_to_same_rank`, then insist on equal shapes.

    Raises:
        ValueError: naming ``name`` and both shapes, when they still differ.

    >>> [a.shape for a in same_shape("mse", np.zeros(3), np.zeros((3, 1)))]
    [(3, 1), (3, 1)]
    """
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    if y_true.shape != y_pred.shape:
        raise shape_error(name, y_true, y_pred, hint)
    return y_true, y_pred


def _align_weights(values: Tensor, weights: np.ndarray, name: str) -> tuple[Tensor, np.ndarray]:
    """Shape per-sample weights to the per-sample loss values, or raise."""
    values, weights = squeeze_or_expand_to_same_rank(values, weights)
    if weights.shape == values.shape or weights.ndim == 0:
        return values, weights
    if weights.ndim < values.ndim and values.shape[: weights.ndim] == weights.shape:
        return values, weights.reshape(weights.shape + (1,) * (values.ndim - weights.ndim))
    raise ValueError(
        f"{name}: `sample_weight` must have one weight per sample, shape "
        f"{tuple(values.shape)} (or a prefix of it). Received: sample_weight.shape="
        f"{weights.shape}"
    )


def reduce_weighted_values(
    values: Tensor,
    sample_weight: ArrayLike | Tensor | None = None,
    mask: np.ndarray | None = None,
    reduction: str | None = "sum_over_batch_size",
    name: str = "loss",
) -> Tensor:
    """Weight per-sample losses, then reduce them as Keras does.

    ``"sum_over_batch_size"`` / ``"mean"`` divide the weighted sum by the number of loss
    values; ``"mean_with_sample_weight"`` by the sum of the weights; ``"sum"`` sums;
    ``"none"`` / None return the weighted values. A ``mask`` (True where valid) zeroes
    the masked values and, for the mean reductions, divides by the number of valid ones.

    Args:
        values: per-sample losses.
        sample_weight: optional weights, one per sample (a trailing dimension of 1 may
            differ; a prefix of the values' shape is broadcast over the rest).
        mask: optional boolean array of the values' shape.
        reduction: one of :data:`REDUCTIONS`.
        name: the loss's name, for error messages.

    Returns:
        A scalar Tensor, or the weighted values for ``"none"``.

    Raises:
        ValueError: when the weights do not match the values' shape.

    >>> v = Tensor([1.0, 2.0, 3.0])
    >>> float(reduce_weighted_values(v, [1.0, 0.0, 1.0]).data)
    1.3333333730697632
    >>> float(reduce_weighted_values(v, [1.0, 0.0, 1.0], reduction="sum").data)
    4.0
    """
    weights = None
    if sample_weight is not None:
        raw = sample_weight.data if isinstance(sample_weight, Tensor) else sample_weight
        weights = np.asarray(raw, dtype=values.dtype)
        values, weights = _align_weights(values, weights, name)
    if mask is not None:
        mask_weights = mask.astype(values.dtype)
        if reduction in ("mean", "sum_over_batch_size"):
            valid = mask_weights.sum()
            mask_weights *= mask_weights.size / valid if valid else 0
        weights = mask_weights if weights is None else weights * mask_weights
    if weights is not None:
        values = values * weights
    if reduction is None or reduction == "none" or values.ndim == 0 or values.shape == (0,):
        return values
    if reduction == "sum":
        return ops.sum(values)
    if reduction == "mean_with_sample_weight" and weights is not None:
        total = float(np.broadcast_to(weights, values.shape).sum())
        return _divide(ops.sum(values), total)
    return _divide(ops.sum(values), values.size)


def _divide(total: Tensor, count: float) -> Tensor:
    """``total / count`` as Keras reduces (sum, then divide), 0 when ``count`` is 0."""
    if not count:
        return total * 0.0
    return total / np.asarray(count, dtype=total.dtype)


class Loss:
    """Base class of losses: ``loss(y_true, y_pred, sample_weight=None)`` gives a Tensor.

    Subclasses implement ``call(y_true, y_pred)``, returning one loss value per sample
    (shape ``y_pred.shape[:-1]`` for the usual losses); the base class applies the sample
    weights and the reduction.

    Args:
        name: the loss's name (defaults to the class name in snake_case).
        reduction: ``"sum_over_batch_size"`` (the default: the mean over samples),
            ``"sum"``, ``"mean"``, ``"mean_with_sample_weight"``, ``"none"`` or None.
        dtype: optional float dtype to compute in; by default ``y_pred``'s.

    Raises:
        ValueError: for an unknown reduction.

    >>> class Squares(Loss):
    ...     def call(self, y_true, y_pred):
    ...         return ops.sum(ops.square(y_pred - y_true), axis=-1)
    >>> float(Squares()(np.zeros((2, 2)), Tensor([[1.0, 1.0], [0.0, 0.0]])).data)
    1.0
    """

    def __init__(
        self,
        name: str | None = None,
        reduction: str | None = "sum_over_batch_size",
        dtype: DTypeLike = None,
    ):
        self.name = name or _snake_case(type(self).__name__)
        self.reduction = standardize_reduction(reduction, type(self).__name__)
        self.dtype = None if dtype is None else np.dtype(dtype).name

    def __call__(
        self,
        y_true: Tensor | ArrayLike,
        y_pred: Tensor | ArrayLike,
        sample_weight: Tensor | ArrayLike | None = None,
    ) -> Tensor:
        padding = get_keras_mask(y_pred)  # a model output's mask: padded steps do not count
        y_pred = prediction_tensor(y_pred)
        if self.dtype is not None and y_pred.dtype != self.dtype:
            y_pred = ops.cast(y_pred, self.dtype)
        values, mask = self.call_with_mask(y_true, y_pred)
        if padding is not None:
            padding = np.broadcast_to(padding, values.shape)
            mask = padding if mask is None else mask & padding
        if sample_weight is None and mask is None:
            # The common training-step path: no weights, no mask.
            reduction = self.reduction
            if reduction is None or reduction == "none" or values.ndim == 0:
                return values
            # An empty batch's loss is 0 (Keras divides with divide_no_nan).
            summed = reduction == "sum" or values.size == 0
            return ops.sum(values) if summed else ops.mean(values)
        return reduce_weighted_values(values, sample_weight, mask, self.reduction, self.name)

    def call(self, y_true: Tensor | ArrayLike, y_pred: Tensor) -> Tensor:
        """Return the per-sample losses (implemented by subclasses)."""
        raise NotImplementedError(f"{type(self).__name__} must implement call()")

    def call_with_mask(
        self, y_true: Tensor | ArrayLike, y_pred: Tensor
    ) -> tuple[Tensor, np.ndarray | None]:
        """Return the per-sample losses and an optional validity mask (None: all valid)."""
        return self.call(y_true, y_pred), None

    def get_config(self) -> dict[str, Any]:
        """Return the constructor arguments as a JSON-friendly dict."""
        return {"name": self.name, "reduction": self.reduction}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Loss:
        """Build a loss from :meth:`get_config`'s output."""
        return cls(**config)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


class LossFunctionWrapper(Loss):
    """Wrap a function ``fn(y_true, y_pred, **kwargs) -> per-sample losses`` as a Loss.

    Keras's shape rule is applied first; ``y_true`` reaches ``fn`` as a Tensor in
    ``y_pred``'s dtype.

    Args:
        fn: the loss function.
        reduction: see :class:`Loss`.
        name: defaults to ``fn.__name__``.
        dtype: see :class:`Loss`.
        **kwargs: passed to ``fn`` on every call.

    >>> def abs_error(y_true, y_pred):
    ...     return ops.mean(ops.abs(y_pred - y_true), axis=-1)
    >>> loss = LossFunctionWrapper(abs_error)
    >>> loss.name, float(loss(np.zeros((2, 1)), Tensor([[1.0], [3.0]])).data)
    ('abs_error', 2.0)
    """

    def __init__(
        self,
        fn: Callable[..., Tensor],
        reduction: str | None = "sum_over_batch_size",
        name: str | None = None,
        dtype: DTypeLike = None,
        **kwargs: Any,
    ):
        if not callable(fn):
            raise TypeError(f"LossFunctionWrapper: `fn` must be callable. Received: {fn!r}")
        super().__init__(name=name or getattr(fn, "__name__", None), reduction=reduction,
                         dtype=dtype)
        self.fn = fn
        self._fn_kwargs = kwargs

    def call(self, y_true: Tensor | ArrayLike, y_pred: Tensor) -> Tensor:
        y_true = as_tensor(target_like(y_true, y_pred))
        y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
        return as_tensor(self.fn(y_true, y_pred, **self._fn_kwargs))

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "fn": getattr(self.fn, "__name__", repr(self.fn)),
                **self._fn_kwargs}


class FunctionLoss(Loss):
    """A built-in loss class: calls a deepgrad loss function with stored keyword arguments.

    Unlike :class:`LossFunctionWrapper`, ``y_true`` is passed through unconverted: the
    built-in functions check and convert it themselves (integer labels stay integers).
    Subclasses set ``fn`` (as a staticmethod) and pass its keyword arguments up.

    >>> from deepgrad.losses.functions import mean_absolute_error
    >>> class AbsoluteError(FunctionLoss):
    ...     fn = staticmethod(mean_absolute_error)
    >>> float(AbsoluteError()(np.zeros((2, 1)), Tensor([[1.0], [3.0]])).data)
    2.0
    """

    fn: Callable[..., Tensor]

    def __init__(
        self,
        reduction: str | None = "sum_over_batch_size",
        name: str | None = None,
        dtype: DTypeLike = None,
        **kwargs: Any,
    ):
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        self._fn_kwargs = kwargs

    def call(self, y_true: Tensor | ArrayLike, y_pred: Tensor) -> Tensor:
        return type(self).fn(y_true, y_pred, **self._fn_kwargs)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), **self._fn_kwargs}
