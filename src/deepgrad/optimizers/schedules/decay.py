"""Decay schedules: exponential, inverse-time, polynomial and piecewise-constant.

>>> s = PolynomialDecay(1.0, decay_steps=4, end_learning_rate=0.0)
>>> [s(step) for step in range(6)]
[1.0, 0.75, 0.5, 0.25, 0.0, 0.0]
"""

from __future__ import annotations

from typing import Any

import numpy as np

from deepgrad.optimizers.schedules.base import (
    LearningRateSchedule,
    StepLike,
    _positive,
    _result,
    _steps,
)

__all__ = ["ExponentialDecay", "InverseTimeDecay", "PolynomialDecay", "PiecewiseConstantDecay"]


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


class PolynomialDecay(LearningRateSchedule):
    """A polynomial decay from ``initial_learning_rate`` to ``end_learning_rate``.

    With ``s = min(step, decay_steps)``::

        lr(step) = (initial - end) * (1 - s / decay_steps) ** power + end

    With ``cycle``, the decay restarts: ``decay_steps`` is replaced by the first
    multiple of it at or above ``step`` (``decay_steps`` itself at step 0).

    Args:
        initial_learning_rate: the learning rate at step 0.
        decay_steps: the number of steps to decay over, > 0.
        end_learning_rate: the final learning rate. Defaults to 0.0001.
        power: the power of the polynomial; 1 is linear.
        cycle: restart the decay after ``decay_steps``.
        name: optional name.

    Raises:
        ValueError: if ``decay_steps`` is not positive.

    >>> s = PolynomialDecay(1.0, decay_steps=2, end_learning_rate=0.0, cycle=True)
    >>> [s(step) for step in range(5)]
    [1.0, 0.5, 0.0, 0.25, 0.0]
    """

    def __init__(
        self,
        initial_learning_rate: float,
        decay_steps: int,
        end_learning_rate: float = 0.0001,
        power: float = 1.0,
        cycle: bool = False,
        name: str = "PolynomialDecay",
    ):
        _positive(type(self).__name__, "decay_steps", decay_steps)
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.end_learning_rate = end_learning_rate
        self.power = power
        self.cycle = bool(cycle)
        self.name = name

    def __call__(self, step: StepLike) -> float | np.ndarray:
        step = _steps(step)
        if self.cycle:
            multiplier = np.where(step == 0, 1.0, np.ceil(step / self.decay_steps))
            decay_steps = self.decay_steps * multiplier
        else:
            decay_steps = float(self.decay_steps)
            step = np.minimum(step, decay_steps)
        remaining = np.power(1.0 - step / decay_steps, self.power)
        span = self.initial_learning_rate - self.end_learning_rate
        return _result(span * remaining + self.end_learning_rate)

    def get_config(self) -> dict[str, Any]:
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "end_learning_rate": self.end_learning_rate,
            "power": self.power,
            "cycle": self.cycle,
            "name": self.name,
        }


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
