"""Checking optimizer arguments up front, and the legacy ``lr=`` and ``decay=`` aliases.

Errors name the optimizer and the argument, say what was expected and what was received:
``Adam: `beta_1` must be in [0, 1). Received: beta_1=1.5``.

>>> check_number("Adam", 0.9, "beta_1", 0.0, 1.0)
0.9
>>> check_number("Adam", 1.5, "beta_1", 0.0, 1.0)
Traceback (most recent call last):
...
ValueError: Adam: `beta_1` must be in [0, 1). Received: beta_1=1.5
"""

from __future__ import annotations

import math
import sys
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from deepgrad.optimizers.schedules import InverseTimeDecay, LearningRateSchedule

__all__ = [
    "LearningRate", "default_learning_rate", "check_number", "check_flag", "check_count",
    "check_learning_rate", "resolve_legacy_arguments",
]

LearningRate = float | LearningRateSchedule | Callable[[], float]


class _DefaultLearningRate(float):
    """A default ``learning_rate`` that remembers it was not passed.

    It prints as a plain float (so signatures read ``learning_rate=0.001``) and lets an
    optimizer tell ``Adam(lr=0.01)`` from ``Adam(learning_rate=0.001, lr=0.01)``.
    """

    __slots__ = ()


def default_learning_rate(value: float) -> float:
    """Return ``value`` marked as an optimizer's default learning rate.

    >>> default = default_learning_rate(0.001); default
    0.001
    >>> is_default_learning_rate(default), is_default_learning_rate(0.001)
    (True, False)
    """
    return _DefaultLearningRate(value)


def is_default_learning_rate(value: Any) -> bool:
    """Return whether ``value`` is an unpassed default (see :func:`default_learning_rate`)."""
    return isinstance(value, _DefaultLearningRate)


def _outside_package_stacklevel() -> int:
    """The ``stacklevel`` that points a warning at the first caller outside this package."""
    frame, level = sys._getframe(1), 1
    while frame is not None and frame.f_globals.get("__name__", "").startswith(
        "deepgrad.optimizers"
    ):
        frame, level = frame.f_back, level + 1
    return level


def check_number(
    owner: str,
    value: Any,
    name: str,
    low: float = 0.0,
    high: float = math.inf,
    *,
    include_low: bool = True,
    include_high: bool = False,
) -> float:
    """Return ``value`` as a float after checking it is a finite number in the range.

    Args:
        owner: the optimizer's class name, for the message.
        value: the argument's value.
        name: the argument's name.
        low, high: the range's ends.
        include_low, include_high: whether each end is allowed.

    Returns:
        ``float(value)``.

    Raises:
        TypeError: if ``value`` is not a real number (bools are refused).
        ValueError: if it is outside the range or not finite.

    >>> check_number("SGD", 1, "momentum", 0.0, 1.0, include_high=True)
    1.0
    """
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.number)):
        raise TypeError(
            f"{owner}: `{name}` must be a float. Received: {name}={value!r} "
            f"(of type {type(value).__name__})"
        )
    number = float(value)
    above = number >= low if include_low else number > low
    below = number <= high if include_high else number < high
    if not (above and below and math.isfinite(number)):
        interval = f"{'[' if include_low else '('}{low:g}, {high:g}{']' if include_high else ')'}"
        raise ValueError(f"{owner}: `{name}` must be in {interval}. Received: {name}={value}")
    return number


def check_flag(owner: str, value: Any, name: str) -> bool:
    """Return ``value`` if it is a bool.

    Raises:
        TypeError: otherwise (``1`` or ``"yes"`` are refused, as they hide mistakes).

    >>> check_flag("SGD", True, "nesterov")
    True
    """
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(
            f"{owner}: `{name}` must be a bool. Received: {name}={value!r} "
            f"(of type {type(value).__name__})"
        )
    return bool(value)


def check_count(owner: str, value: Any, name: str, low: int) -> int | None:
    """Return ``value`` if it is None or an int >= ``low``.

    Raises:
        ValueError: otherwise.

    >>> check_count("SGD", 4, "gradient_accumulation_steps", 2)
    4
    """
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
        raise ValueError(f"{owner}: `{name}` must be an int >= {low} or None. "
                         f"Received: {name}={value!r}")
    return int(value)


def check_learning_rate(owner: str, value: Any) -> LearningRate:
    """Return a valid learning rate: a schedule or callable as is, a number as a float.

    >>> check_learning_rate("Adam", 1)
    1.0
    """
    if isinstance(value, LearningRateSchedule) or callable(value):
        return value
    return check_number(owner, value, "learning_rate")


def resolve_legacy_arguments(
    owner: str, learning_rate: Any, kwargs: dict[str, Any], valid: list[str]
) -> Any:
    """Apply the legacy ``lr`` and ``decay`` keywords; refuse any other extra keyword.

    ``lr`` replaces ``learning_rate``; ``decay`` turns it into Keras 2's
    ``lr / (1 + decay * iterations)`` (an :class:`InverseTimeDecay`). Each warns with a
    ``DeprecationWarning`` pointing at the caller.

    Args:
        owner: the optimizer's class name.
        learning_rate: the ``learning_rate`` received (maybe an unpassed default).
        kwargs: the extra keyword arguments received; consumed.
        valid: the optimizer's argument names, for the error message.

    Returns:
        The learning rate to use.

    Raises:
        TypeError: for an unknown keyword, or both ``learning_rate`` and ``lr``.
        ValueError: for ``decay`` with a schedule, or a bad ``decay`` value.

    >>> resolve_legacy_arguments("Adam", default_learning_rate(0.001), {}, [])
    0.001
    """
    if "lr" in kwargs:
        lr = kwargs.pop("lr")
        if not is_default_learning_rate(learning_rate):
            raise TypeError(
                f"{owner}: got both `learning_rate` and its legacy alias `lr`. Received: "
                f"learning_rate={learning_rate}, lr={lr}. To fix, pass only `learning_rate`."
            )
        warnings.warn(
            f"{owner}: the `lr` argument is deprecated, use `learning_rate` instead.",
            DeprecationWarning,
            stacklevel=_outside_package_stacklevel(),
        )
        learning_rate = lr
    decay = kwargs.pop("decay", None)
    if kwargs:
        raise TypeError(
            f"{owner}: unexpected keyword argument(s) "
            f"{', '.join(f'`{k}`' for k in kwargs)}. Valid arguments: {', '.join(valid)} "
            "(and the legacy aliases lr, decay)."
        )
    if decay is None:
        return learning_rate
    decay = check_number(owner, decay, "decay")
    warnings.warn(
        f"{owner}: the `decay` argument is deprecated; it is applied as Keras 2 did, "
        "lr / (1 + decay * iterations). To fix, pass learning_rate="
        "optimizers.schedules.InverseTimeDecay(lr, decay_steps=1, decay_rate=decay).",
        DeprecationWarning,
        stacklevel=_outside_package_stacklevel(),
    )
    if decay == 0:
        return learning_rate
    if isinstance(learning_rate, LearningRateSchedule) or callable(learning_rate):
        raise ValueError(
            f"{owner}: `decay` cannot be combined with a learning-rate schedule. Received: "
            f"decay={decay}, learning_rate={learning_rate!r}"
        )
    rate = check_number(owner, learning_rate, "learning_rate")
    return InverseTimeDecay(rate, decay_steps=1, decay_rate=decay)
