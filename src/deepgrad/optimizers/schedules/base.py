"""The base of learning-rate schedules, and the helpers the schedules share.

>>> class Halving(LearningRateSchedule):
...     def __init__(self, initial):
...         self.initial = initial
...     def __call__(self, step):
...         return self.initial / 2 ** step
...     def get_config(self):
...         return {"initial": self.initial}
>>> Halving(1.0)(3)
0.125
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["LearningRateSchedule", "StepLike"]

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


