"""Learning-rate schedules: the learning rate as a function of the optimizer's step.

Pass one as an optimizer's ``learning_rate``; the optimizer evaluates it at its
``iterations`` (0 for the first update) before every step, as Keras does. A schedule
also accepts an array of steps, which is handy for plotting it.

>>> from deepgrad import optimizers
>>> schedule = ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5)
>>> schedule(0), schedule(10), schedule(20)
(0.1, 0.05, 0.025)
>>> optimizer = optimizers.SGD(learning_rate=schedule)
>>> optimizer.learning_rate
0.1
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from deepgrad import registry

__all__ = [
    "LearningRateSchedule", "ExponentialDecay", "PiecewiseConstantDecay", "CosineDecay",
    "InverseTimeDecay", "serialize", "deserialize",
]

StepLike = int | float | np.ndarray


def _result(value: np.ndarray) -> float | np.ndarray:
    return float(value) if np.ndim(value) == 0 else value


def _steps(step: StepLike) -> np.ndarray:
    return np.asarray(step, dtype=np.float64)


def _positive(schedule: str, name: str, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.number)):
        raise TypeError(
            f"{schedule}: `{name}` must be a number. Received: {name}={value!r} "
            f"(of type {type(value).__name__})"
        )
    if not value > 0:
        raise ValueError(f"{schedule}: `{name}` must be > 0. Received: {name}={value}")


class LearningRateSchedule:
    """Base class of learning-rate schedules: a callable from step to learning rate.

    Subclasses implement ``__call__(step)`` and ``get_config()``.

    >>> class Halving(LearningRateSchedule):
    ...     def __init__(self, initial):
    ...         self.initial = initial
    ...     def __call__(self, step):
    ...         return self.initial / (step + 1)
    ...     def get_config(self):
    ...         return {"initial": self.initial}
    >>> Halving(1.0)(1)
    0.5
    """

    def __call__(self, step: StepLike) -> float | np.ndarray:
        """Return the learning rate at ``step`` (an int, or an array of steps)."""
        raise NotImplementedError(
            f"Learning rate schedule '{type(self).__name__}' must override "
            "`__call__(self, step)`."
        )

    def get_config(self) -> dict[str, Any]:
        """Return the constructor arguments as a JSON-friendly dict."""
        raise NotImplementedError(
            f"Learning rate schedule '{type(self).__name__}' must override `get_config()` "
            "in order to be serializable."
        )

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> LearningRateSchedule:
        """Create a schedule from the output of :meth:`get_config`."""
        return cls(**config)

    def __repr__(self) -> str:
        try:
            args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        except NotImplementedError:
            args = ""
        return f"{type(self).__name__}({args})"


class _StaircaseDecay(LearningRateSchedule):
    """What ExponentialDecay and InverseTimeDecay share: arguments, progress, config."""

    def __init__(
        self, initial_learning_rate: float, decay_steps: int, decay_rate: float,
        staircase: bool, name: str,
    ):
        _positive(type(self).__name__, "decay_steps", decay_steps)
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.decay_rate = decay_rate
        self.staircase = bool(staircase)
        self.name = name

    def _progress(self, step: StepLike) -> np.ndarray:
        """``step / decay_steps``, floored with ``staircase``."""
        p = _steps(step) / self.decay_steps
        return np.floor(p) if self.staircase else p

    def get_config(self) -> dict[str, Any]:
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "decay_rate": self.decay_rate,
            "staircase": self.staircase,
            "name": self.name,
        }


class ExponentialDecay(_StaircaseDecay):
    """``initial_learning_rate * decay_rate ** (step / decay_steps)``.

    Args:
        initial_learning_rate: the learning rate at step 0.
        decay_steps: number of steps over which the rate is multiplied by ``decay_rate``.
        decay_rate: the decay factor.
        staircase: if True, ``step / decay_steps`` is floored, so the rate drops in steps.
        name: optional name.

    Raises:
        ValueError: if ``decay_steps`` is not positive.

    >>> s = ExponentialDecay(1.0, decay_steps=2, decay_rate=0.5, staircase=True)
    >>> [s(step) for step in range(5)]
    [1.0, 1.0, 0.5, 0.5, 0.25]
    """

    def __init__(
        self,
        initial_learning_rate: float,
        decay_steps: int,
        decay_rate: float,
        staircase: bool = False,
        name: str = "ExponentialDecay",
    ):
        super().__init__(initial_learning_rate, decay_steps, decay_rate, staircase, name)

    def __call__(self, step: StepLike) -> float | np.ndarray:
        p = self._progress(step)
        return _result(self.initial_learning_rate * np.power(float(self.decay_rate), p))


class PiecewiseConstantDecay(LearningRateSchedule):
    """A rate constant between boundaries, stepping down (or up) at each boundary.

    The rate is ``values[i]`` for ``boundaries[i-1] < step <= boundaries[i]``: that is
    ``values[0]`` while ``step <= boundaries[0]`` and ``values[-1]`` once
    ``step > boundaries[-1]``, as in Keras.

    Args:
        boundaries: strictly increasing steps.
        values: one more value than boundaries.
        name: optional name.

    Raises:
        ValueError: if the lengths do not fit or the boundaries do not increase.

    >>> s = PiecewiseConstantDecay([10, 20], [1.0, 0.5, 0.1])
    >>> s(0), s(10), s(11), s(20), s(21)
    (1.0, 1.0, 0.5, 0.5, 0.1)
    """

    def __init__(
        self, boundaries: list[int], values: list[float], name: str = "PiecewiseConstant"
    ):
        boundaries, values = list(boundaries), list(values)
        if len(boundaries) != len(values) - 1:
            raise ValueError(
                "PiecewiseConstantDecay: the length of `boundaries` should be 1 less than "
                f"the length of `values`. Received: boundaries={boundaries} of length "
                f"{len(boundaries)}, and values={values} of length {len(values)}."
            )
        if any(not low < high for low, high in zip(boundaries, boundaries[1:])):
            raise ValueError(
                "PiecewiseConstantDecay: `boundaries` must be strictly increasing. "
                f"Received: boundaries={boundaries}"
            )
        self.boundaries = boundaries
        self.values = values
        self.name = name

    def __call__(self, step: StepLike) -> float | np.ndarray:
        index = np.searchsorted(np.asarray(self.boundaries, dtype=np.float64), _steps(step))
        return _result(np.asarray(self.values, dtype=np.float64)[index])

    def get_config(self) -> dict[str, Any]:
        return {"boundaries": self.boundaries, "values": self.values, "name": self.name}


class CosineDecay(LearningRateSchedule):
    """Cosine decay (SGDR, without restarts), with an optional linear warmup.

    Without warmup, with ``s = min(step, decay_steps)``::

        lr(step) = initial * ((1 - alpha) * 0.5 * (1 + cos(pi * s / decay_steps)) + alpha)

    With ``warmup_target``, the rate first rises linearly from ``initial_learning_rate``
    to ``warmup_target`` over ``warmup_steps``, then decays from ``warmup_target`` as
    above.

    Args:
        initial_learning_rate: the learning rate at step 0.
        decay_steps: number of steps to decay over.
        alpha: the final rate, as a fraction of the rate decayed from.
        name: optional name.
        warmup_target: the rate reached at the end of warmup; None for no warmup.
        warmup_steps: number of warmup steps.

    Raises:
        ValueError: if ``decay_steps`` is not positive or ``warmup_steps`` is negative.

    >>> s = CosineDecay(1.0, decay_steps=10, alpha=0.1)
    >>> s(0), s(5), s(10), s(50)
    (1.0, 0.55, 0.1, 0.1)
    >>> w = CosineDecay(0.0, decay_steps=10, warmup_target=1.0, warmup_steps=4)
    >>> w(2), w(4), w(9)
    (0.5, 1.0, 0.5)
    """

    def __init__(
        self,
        initial_learning_rate: float,
        decay_steps: int,
        alpha: float = 0.0,
        name: str = "CosineDecay",
        warmup_target: float | None = None,
        warmup_steps: int = 0,
    ):
        _positive(type(self).__name__, "decay_steps", decay_steps)
        if warmup_steps < 0:
            raise ValueError(
                f"CosineDecay: `warmup_steps` must be >= 0. Received: warmup_steps={warmup_steps}"
            )
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.alpha = alpha
        self.name = name
        self.warmup_target = warmup_target
        self.warmup_steps = warmup_steps

    def _decay(self, step: np.ndarray, decay_from: float) -> np.ndarray:
        cosine = 0.5 * (1.0 + np.cos(math.pi * step / self.decay_steps))
        return decay_from * ((1 - self.alpha) * cosine + self.alpha)

    def __call__(self, step: StepLike) -> float | np.ndarray:
        step = _steps(step)
        if self.warmup_target is None:
            step = np.minimum(step, self.decay_steps)
            return _result(self._decay(step, self.initial_learning_rate))
        step = np.minimum(step, self.decay_steps + self.warmup_steps)
        # The where() evaluates both branches; keep the warmup division finite.
        fraction = step / max(self.warmup_steps, 1)
        warmup = (self.warmup_target - self.initial_learning_rate) * fraction
        warmup = warmup + self.initial_learning_rate
        decay = self._decay(step - self.warmup_steps, self.warmup_target)
        return _result(np.where(step < self.warmup_steps, warmup, decay))

    def get_config(self) -> dict[str, Any]:
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "alpha": self.alpha,
            "name": self.name,
            "warmup_target": self.warmup_target,
            "warmup_steps": self.warmup_steps,
        }


class InverseTimeDecay(_StaircaseDecay):
    """``initial_learning_rate / (1 + decay_rate * step / decay_steps)``.

    With ``decay_steps=1`` this is Keras 2's legacy ``decay=`` argument.

    Args:
        initial_learning_rate: the learning rate at step 0.
        decay_steps: how often to apply decay.
        decay_rate: the decay rate.
        staircase: if True, ``step / decay_steps`` is floored.
        name: optional name.

    Raises:
        ValueError: if ``decay_steps`` is not positive.

    >>> s = InverseTimeDecay(1.0, decay_steps=1, decay_rate=0.5)
    >>> s(0), s(2), s(6)
    (1.0, 0.5, 0.25)
    """

    def __init__(
        self,
        initial_learning_rate: float,
        decay_steps: int,
        decay_rate: float,
        staircase: bool = False,
        name: str = "InverseTimeDecay",
    ):
        super().__init__(initial_learning_rate, decay_steps, decay_rate, staircase, name)

    def __call__(self, step: StepLike) -> float | np.ndarray:
        p = self._progress(step)
        return _result(self.initial_learning_rate / (1.0 + self.decay_rate * p))


_SCHEDULES: dict[str, type[LearningRateSchedule]] = {
    cls.__name__: cls
    for cls in (ExponentialDecay, PiecewiseConstantDecay, CosineDecay, InverseTimeDecay)
}
_CATALOG = registry.Catalog("optimizers.schedules", "learning rate schedule",
                            LearningRateSchedule, _SCHEDULES)


def serialize(schedule: LearningRateSchedule) -> dict[str, Any]:
    """Return ``{"module", "class_name", "config"}`` describing ``schedule``, as Keras does.

    >>> serialize(InverseTimeDecay(0.1, 1, 0.5))["class_name"]
    'InverseTimeDecay'
    """
    return {"module": "deepgrad.optimizers.schedules", **_CATALOG.serialize(schedule)}


def deserialize(
    config: dict[str, Any], custom_objects: dict[str, type] | None = None
) -> LearningRateSchedule:
    """Recreate a schedule from :func:`serialize`'s output.

    Args:
        config: a dict with ``class_name`` and ``config``.
        custom_objects: extra schedule classes by name (registered ones are found too).

    Raises:
        ValueError: for a malformed dict or an unknown class name.

    >>> deserialize(serialize(ExponentialDecay(0.1, 10, 0.9)))(10)
    0.09000000000000001
    """
    return _CATALOG.deserialize(config, custom_objects)
