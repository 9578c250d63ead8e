"""Stateful metrics: the ``Metric`` base, ``Mean``, ``Sum`` and ``MeanMetricWrapper``.

A metric accumulates over a whole epoch: ``update_state`` adds a batch, ``result``
gives the value over everything seen since ``reset_state``. Two updates equal one
update on the concatenated batches (not the mean of two batch results). State is kept
in Python floats on the CPU and updated with NumPy, so an update costs microseconds.
Tensors are accepted (their ``.data`` is read); nothing is differentiated.

>>> m = Mean()
>>> m.update_state([1.0, 3.0]); m.update_state([5.0, 7.0, 9.0])
>>> m.result()
5.0
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, DTypeLike

from deepgrad import config as _config
from deepgrad.losses.base import squeeze_or_expand_to_same_rank
from deepgrad.ops.masks import get_keras_mask
from deepgrad.tensor import Tensor, Variable

__all__ = ["Metric", "Mean", "Sum", "MeanMetricWrapper", "MetricValue", "MetricValues",
           "to_array", "same_shape"]


def to_array(x: Tensor | ArrayLike) -> np.ndarray:
    """Return the NumPy array behind ``x`` (a Tensor's data, or ``np.asarray(x)``).

    >>> to_array(Tensor([1.0])).dtype
    dtype('float32')
    """
    if type(x) is np.ndarray:
        return x
    if isinstance(x, Tensor):
        return x.data
    return np.asarray(x)


def same_shape(name: str, y_true: np.ndarray, y_pred: np.ndarray,
               hint: str = "") -> tuple[np.ndarray, np.ndarray]:
    """Apply Keras's trailing-1 rule, then insist on equal shapes (naming the metric).

    Raises:
        ValueError: naming ``name`` and both shapes, when they still differ.

    >>> [a.shape for a in same_shape("mae", np.zeros((3, 1)), np.zeros(3))]
    [(3, 1), (3, 1)]
    """
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    if y_true.shape != y_pred.shape:
        raise ValueError(
            f"{name}: expected y_true with the shape of y_pred {y_pred.shape} (a trailing "
            f"dimension of 1 may differ). Received: y_true.shape={y_true.shape}, "
            f"y_pred.shape={y_pred.shape}." + (f" {hint}" if hint else "")
        )
    return y_true, y_pred


def _snake_case(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _reduce(values: np.ndarray, how: str, axes: tuple[int, ...]) -> np.ndarray:
    return values.mean(axis=axes) if how == "mean" else values.sum(axis=axes)


def masked_weights(mask: np.ndarray, sample_weight) -> np.ndarray:
    """Keras's ``apply_mask`` for metrics: the mask as weights, times any sample weights.

    >>> masked_weights(np.array([[True, False]]), [2.0]).tolist()
    [[2.0, 0.0]]
    """
    weights = np.asarray(mask, dtype=np.float64)
    if sample_weight is None:
        return weights
    given = np.asarray(to_array(sample_weight), dtype=np.float64)
    given = given.reshape(given.shape + (1,) * (weights.ndim - given.ndim))
    return weights * given


def weighted_total_and_count(
    values: np.ndarray, sample_weight: Tensor | ArrayLike | None, how: str, name: str
) -> tuple[float, float]:
    """Reduce values to one per sample (Keras's rule) and return their weighted sum and count.

    Values of rank > 1 are reduced over their trailing axes (mean or sum, ``how``); the
    count is the number of samples, or the sum of the weights.

    Raises:
        ValueError: when ``sample_weight`` does not match the values' leading dimensions.

    >>> weighted_total_and_count(np.array([[1.0, 3.0], [5.0, 7.0]]), [1.0, 0.5], "mean", "m")
    (5.0, 1.5)
    """
    if sample_weight is None:
        if values.ndim == 0:
            return float(values), 1.0
        n = values.shape[0]
        if values.ndim > 1:
            values = (values.reshape(n) if values.size == n
                      else _reduce(values.reshape(n, -1), how, (1,)))
        if values.dtype == np.bool_:
            return float(np.count_nonzero(values)), float(n)
        return float(values.sum(dtype=np.float64)), float(n)
    weights = np.asarray(to_array(sample_weight), dtype=np.float64)
    values, weights = squeeze_or_expand_to_same_rank(values, weights)
    if values.ndim > weights.ndim and values.shape[: weights.ndim] == weights.shape:
        values = _reduce(values, how, tuple(range(weights.ndim, values.ndim)))
    if weights.shape != values.shape and weights.ndim != 0:
        raise ValueError(
            f"{name}: `sample_weight` must have one weight per sample: shape "
            f"{values.shape[:1]} or {values.shape}. Received: sample_weight.shape="
            f"{weights.shape}"
        )
    weights = np.broadcast_to(weights, values.shape)
    values = values * weights
    if weights.ndim > 1:
        weights = _reduce(weights, how, tuple(range(1, weights.ndim)))
    if values.ndim > 1:
        values = _reduce(values, how, tuple(range(1, values.ndim)))
    return float(values.sum()), float(weights.sum())


class MetricValue(float):
    """A metric's result: a Python float that also has Keras's ``numpy()``.

    Keras 3's ``result()`` is a backend tensor and its examples write
    ``m.result().numpy()``; deepgrad keeps metric state in Python floats, so a result is a
    float (it formats, compares and goes into ``History`` as one) whose ``numpy()`` gives
    the value in the metric's dtype, as Keras's does.

    >>> value = MetricValue(0.25, "float32")
    >>> value, value.numpy(), f"{value:.2f}"
    (0.25, np.float32(0.25), '0.25')
    """

    def __new__(cls, value, dtype: DTypeLike = "float32"):
        self = super().__new__(cls, value)
        self.dtype = np.dtype(dtype)
        return self

    def numpy(self) -> np.generic:
        """The value as a NumPy scalar of the metric's dtype."""
        return self.dtype.type(float(self))


class MetricValues(list):
    """A per-class result (``average=None``, ``class_id`` lists): a list of floats with
    Keras's ``numpy()``, which gives them as one array of the metric's dtype.

    >>> MetricValues([0.5, 1.0], "float32").numpy()
    array([0.5, 1. ], dtype=float32)
    """

    def __init__(self, values, dtype: DTypeLike = "float32"):
        super().__init__(float(v) for v in values)
        self.dtype = np.dtype(dtype)

    def numpy(self) -> np.ndarray:
        """The values as one array of the metric's dtype."""
        return np.asarray(self, dtype=self.dtype)


def _keras_result(result: Callable) -> Callable:
    """Wrap a subclass's ``result`` so plain numbers come back with ``numpy()``."""

    def wrapped(self):
        value = result(self)
        if type(value) is float or isinstance(value, (int, np.floating, np.integer)):
            return MetricValue(value, self.dtype)
        if type(value) is list:
            return MetricValues(value, self.dtype)
        if isinstance(value, Tensor) and value.size == 1:  # a variable of add_variable's
            return MetricValue(float(value.data.reshape(())), self.dtype)
        return value  # a Tensor, an array or a dict: as the subclass made it

    wrapped.__name__, wrapped.__doc__ = result.__name__, result.__doc__
    wrapped.__wrapped__ = result
    return wrapped


class Metric:
    """Base class: accumulate with ``update_state``, read with ``result``, clear with
    ``reset_state``.

    Every subclass's ``result`` is wrapped so that a number it returns comes back as a
    :class:`MetricValue` (a float with Keras's ``numpy()``) and a list of numbers as
    :class:`MetricValues`; anything else (a Tensor, an array) is returned as it is.

    Args:
        name: the name reported in ``History`` (defaults to the class name in snake_case).
        dtype: the float type of the result, recorded for configs (results are floats).

    >>> class Count(Metric):
    ...     def __init__(self, name="count"):
    ...         super().__init__(name=name)
    ...         self.reset_state()
    ...     def update_state(self, y_true, y_pred, sample_weight=None):
    ...         self.n += len(y_true)
    ...     def result(self):
    ...         return float(self.n)
    ...     def reset_state(self):
    ...         self.n = 0
    >>> c = Count(); c.update_state([1, 2], [1, 2]); c.result()
    2.0
    >>> c.result().numpy()
    np.float32(2.0)
    """

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "result" in cls.__dict__ and not hasattr(cls.__dict__["result"], "__wrapped__"):
            cls.result = _keras_result(cls.__dict__["result"])

    def __init__(self, name: str | None = None, dtype: DTypeLike = None):
        self.name = name or _snake_case(type(self).__name__)
        self.dtype = np.dtype(dtype or _config.floatx()).name

    def update_state(self, *args: Any, **kwargs: Any) -> None:
        """Add one batch to the state (implemented by subclasses)."""
        raise NotImplementedError(f"{type(self).__name__} must implement update_state()")

    def result(self) -> float:
        """Return the value over everything seen since the last reset."""
        raise NotImplementedError(f"{type(self).__name__} must implement result()")

    def reset_state(self) -> None:
        """Forget everything seen (called at the start of each epoch): the variables of
        :meth:`add_variable` back to zero; a metric with other state implements it."""
        variables = self.__dict__.get("_variables")
        if not variables:
            raise NotImplementedError(f"{type(self).__name__} must implement reset_state()")
        for variable in variables:
            variable.assign(np.zeros(variable.shape, variable.data.dtype))

    def add_variable(self, shape, initializer="zeros", dtype=None, aggregation="sum",
                     name: str | None = None) -> Variable:
        """A state variable of the metric, as Keras 3's ``Metric.add_variable``: a
        non-trainable :class:`~deepgrad.tensor.Variable` that ``update_state`` changes with
        ``assign_add`` / ``assign``, zeroed by the default :meth:`reset_state`.
        ``aggregation`` is accepted for Keras's signature. deepgrad differs in one place:
        ``BackupAndRestore`` and data-parallel training read a metric's state from its
        plain number and array attributes, so a state kept in variables is neither
        backed up nor summed over the ranks.

        >>> class Total(Metric):
        ...     def __init__(self):
        ...         super().__init__(name="total")
        ...         self.sum = self.add_variable(shape=(), name="sum")
        ...     def update_state(self, values):
        ...         self.sum.assign_add(np.sum(values))
        ...     def result(self):
        ...         return self.sum
        >>> t = Total(); t.update_state([1.0, 2.5]); t.result()
        3.5
        >>> t.reset_state(); t.result()
        0.0
        """
        from deepgrad import initializers

        shape = tuple(int(d) for d in shape) if isinstance(shape, (tuple, list)) else (
            (int(shape),))
        dtype = np.dtype(dtype or self.dtype)
        value = np.asarray(initializers.get(initializer)(shape, dtype=dtype), dtype)
        variable = Variable(value, trainable=False, name=name or f"variable_{len(self._state())}")
        self._state().append(variable)
        return variable

    add_weight = add_variable  # Keras 3 metrics have both names

    @property
    def variables(self) -> list[Variable]:
        """The metric's :meth:`add_variable` variables."""
        return list(self._state())

    def _state(self) -> list[Variable]:
        return self.__dict__.setdefault("_variables", [])

    def __call__(self, *args: Any, **kwargs: Any) -> float:
        """``update_state(...)`` then ``result()``."""
        self.update_state(*args, **kwargs)
        return self.result()

    def get_config(self) -> dict[str, Any]:
        """Return the constructor arguments as a JSON-friendly dict."""
        return {"name": self.name, "dtype": self.dtype}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Metric:
        """Build a metric from :meth:`get_config`'s output."""
        return cls(**config)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name!r} result={self.result():.4g}>"


class Mean(Metric):
    """The (weighted) mean of the values given to ``update_state``.

    Values of rank > 1 are first averaged per sample (over all but the first axis).

    >>> m = Mean()
    >>> m.update_state([1, 3, 5, 7], sample_weight=[1, 1, 0, 0]); m.result()
    2.0
    """

    _how = "mean"

    def __init__(self, name: str = "mean", dtype: DTypeLike = None):
        super().__init__(name=name, dtype=dtype)
        self.total = 0.0
        self.count = 0.0

    def update_state(self, values: Tensor | ArrayLike,
                     sample_weight: Tensor | ArrayLike | None = None) -> None:
        """Add ``values`` (optionally weighted, one weight per sample) to the mean."""
        if type(values) is float and (sample_weight is None or
                                      type(sample_weight) in (int, float)):
            # fit's loss tracker: one number weighted by the batch size, every step.
            # Plain arithmetic instead of the array path: 13.5 of the ~115 us (CPU) of
            # a small MLP's step (benchmarks/sklearn_grid.py's network).
            weight = 1.0 if sample_weight is None else float(sample_weight)
            self.total += values * weight
            self.count += weight
            return
        total, count = weighted_total_and_count(to_array(values), sample_weight, self._how,
                                                self.name)
        self.total += total
        self.count += count

    def result(self) -> float:
        return self.total / self.count if self.count else 0.0

    def reset_state(self) -> None:
        self.total = 0.0
        self.count = 0.0


class Sum(Metric):
    """The (weighted) sum of the values given to ``update_state``.

    >>> s = Sum()
    >>> s.update_state([1, 3, 5, 7]); s.result()
    16.0
    """

    def __init__(self, name: str = "sum", dtype: DTypeLike = None):
        super().__init__(name=name, dtype=dtype)
        self.total = 0.0

    def update_state(self, values: Tensor | ArrayLike,
                     sample_weight: Tensor | ArrayLike | None = None) -> None:
        """Add ``values`` (optionally weighted) to the sum."""
        self.total += weighted_total_and_count(to_array(values), sample_weight, "sum",
                                               self.name)[0]

    def result(self) -> float:
        return self.total

    def reset_state(self) -> None:
        self.total = 0.0


class MeanMetricWrapper(Mean):
    """The mean over all samples of ``fn(y_true, y_pred, **kwargs)``, one value per sample.

    Args:
        fn: a function returning one value per sample (an array or a Tensor).
        name: defaults to ``fn.__name__``.
        dtype: see :class:`Metric`.
        **kwargs: passed to ``fn`` on every update.

    >>> def squared(y_true, y_pred):
    ...     return (np.asarray(y_true) - np.asarray(y_pred)) ** 2
    >>> m = MeanMetricWrapper(squared)
    >>> m.update_state([0.0, 0.0], [1.0, 3.0]); m.name, m.result()
    ('squared', 5.0)
    """

    def __init__(self, fn: Callable[..., Any], name: str | None = None, dtype: DTypeLike = None,
                 **kwargs: Any):
        if not callable(fn):
            raise TypeError(f"MeanMetricWrapper: `fn` must be callable. Received: {fn!r}")
        super().__init__(name=name or getattr(fn, "__name__", None) or "mean_metric_wrapper",
                         dtype=dtype)
        self._fn = fn
        self._fn_kwargs = kwargs

    def update_state(self, y_true: Tensor | ArrayLike, y_pred: Tensor | ArrayLike,
                     sample_weight: Tensor | ArrayLike | None = None) -> None:
        """Compute the per-sample values of one batch and add them to the mean.

        The padded steps of a prediction with a mask (``Embedding(mask_zero=True)``
        upstream) do not count, as in Keras.
        """
        values = to_array(self._fn(y_true, y_pred, **self._fn_kwargs))
        padding = get_keras_mask(y_pred)
        if padding is not None:
            sample_weight = masked_weights(padding, sample_weight)
        total, count = weighted_total_and_count(values, sample_weight, "mean", self.name)
        self.total += total
        self.count += count

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "fn": getattr(self._fn, "__name__", repr(self._fn)),
                **self._fn_kwargs}


class FunctionMetric(MeanMetricWrapper):
    """A built-in mean metric: a fixed function (a staticmethod ``fn``) with stored kwargs.

    >>> class Halves(FunctionMetric):
    ...     fn = staticmethod(lambda y_true, y_pred: np.asarray(y_pred) / 2)
    >>> Halves(name="halves")([0, 0], [1.0, 3.0])
    1.0
    """

    fn: Callable[..., Any]

    def __init__(self, name: str | None = None, dtype: DTypeLike = None, **kwargs: Any):
        super().__init__(type(self).fn, name=name, dtype=dtype, **kwargs)

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name, "dtype": self.dtype, **self._fn_kwargs}
