"""Argument checks shared by the Dataset API, raising errors in the project's form:
``Dataset.batch: `batch_size` must be a positive int. Received: batch_size=0``.

>>> check_int("Dataset.take", "count", 3, None, "an int")
3
"""

from __future__ import annotations

from typing import Any

import numpy as np


def check_int(method: str, name: str, value: Any, minimum: int | None, expected: str) -> int:
    """Return ``value`` as an int, or raise the error that names the argument."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise TypeError(
            f"{method}: `{name}` must be {expected}. Received: {name}={value!r} "
            f"(of type {type(value).__name__})"
        )
    if minimum is not None and value < minimum:
        raise ValueError(f"{method}: `{name}` must be {expected}. Received: {name}={value!r}")
    return int(value)


def check_bool(method: str, name: str, value: Any) -> bool:
    """Return ``value`` as a bool, or raise a TypeError naming the argument."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{method}: `{name}` must be a bool. Received: {name}={value!r}")
    return bool(value)


def check_callable(method: str, name: str, value: Any) -> None:
    """Raise a TypeError naming the argument unless ``value`` is callable."""
    if not callable(value):
        raise TypeError(f"{method}: `{name}` must be callable. Received: {name}={value!r}")
