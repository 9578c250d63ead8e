"""Cosine schedules: cosine decay with an optional warmup, and cosine decay with warm
restarts (SGDR, Loshchilov and Hutter, 2017).

>>> s = CosineDecayRestarts(1.0, first_decay_steps=2, t_mul=1.0)
>>> [round(s(step), 4) for step in range(5)]  # 1, half, restart at step 2
[1.0, 0.5, 1.0, 0.5, 1.0]
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from deepgrad.optimizers.schedules.base import (
    LearningRateSchedule,
    StepLike,
    _positive,
    _result,
    _steps,
)

__all__ = ["CosineDecay", "CosineDecayRestarts"]


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


class CosineDecayRestarts(LearningRateSchedule):
    """Cosine decay with warm restarts (SGDR), Keras's ``CosineDecayRestarts``.

    The first period lasts ``first_decay_steps``; each next one ``t_mul`` times longer,
    and starts from ``m_mul`` times the previous period's initial rate. Within a
    period, at fraction ``f`` of it::

        lr = initial * m_mul ** i * ((1 - alpha) * 0.5 * (1 + cos(pi * f)) + alpha)

    Args:
        initial_learning_rate: the learning rate at step 0.
        first_decay_steps: the length of the first period, > 0.
        t_mul: how much longer each period is than the previous one.
        m_mul: how much lower each period starts than the previous one.
        alpha: the lowest rate, as a fraction of the period's initial rate.
        name: optional name. Defaults to Keras's ``"SGDRDecay"``.

    Raises:
        ValueError: if ``first_decay_steps`` is not positive.

    >>> s = CosineDecayRestarts(1.0, first_decay_steps=2, t_mul=2.0, m_mul=0.5)
    >>> [round(s(step), 4) for step in (0, 1, 2, 4, 6)]  # periods [0, 2), [2, 6), [6, 14)
    [1.0, 0.5, 0.5, 0.25, 0.25]
    """

    def __init__(
        self,
        initial_learning_rate: float,
        first_decay_steps: int,
        t_mul: float = 2.0,
        m_mul: float = 1.0,
        alpha: float = 0.0,
        name: str = "SGDRDecay",
    ):
        _positive(type(self).__name__, "first_decay_steps", first_decay_steps)
        self.initial_learning_rate = initial_learning_rate
        self.first_decay_steps = first_decay_steps
        self.t_mul = t_mul
        self.m_mul = m_mul
        self.alpha = alpha
        self.name = name

    def __call__(self, step: StepLike) -> float | np.ndarray:
        fraction = _steps(step) / self.first_decay_steps
        t_mul = float(self.t_mul)
        if t_mul == 1.0:
            restart = np.floor(fraction)
            fraction = fraction - restart
        else:
            # Periods 1, t, t**2, ...: restart i begins at (1 - t**i) / (1 - t).
            restart = np.floor(np.log(1.0 - fraction * (1.0 - t_mul)) / math.log(t_mul))
            begun = (1.0 - np.power(t_mul, restart)) / (1.0 - t_mul)
            fraction = (fraction - begun) / np.power(t_mul, restart)
        cosine = 0.5 * np.power(float(self.m_mul), restart) * (1.0 + np.cos(math.pi * fraction))
        decayed = (1 - self.alpha) * cosine + self.alpha
        return _result(self.initial_learning_rate * decayed)

    def get_config(self) -> dict[str, Any]:
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "first_decay_steps": self.first_decay_steps,
            "t_mul": self.t_mul,
            "m_mul": self.m_mul,
            "alpha": self.alpha,
            "name": self.name,
        }
