"""Weight constraints: projections applied to a weight after each optimizer step.

A layer takes them as ``kernel_constraint=``, ``bias_constraint=``, ...; the weight
keeps its constraint (``variable.constraint``) and the optimizer replaces the weight by
``constraint(weight)`` after every update, as Keras does. Keras 3's classes, formulas
(with its epsilon of 1e-7 in the norms) and names.

>>> import numpy as np
>>> import deepgrad as dg
>>> w = dg.Variable(np.array([[3.0, 0.1], [4.0, 0.0]], dtype=np.float32))
>>> dg.constraints.MaxNorm(max_value=1.0)(w).numpy().round(4)  # column norms 5 and 0.1
array([[0.6, 0.1],
       [0.8, 0. ]], dtype=float32)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from deepgrad import config, registry
from deepgrad.tensor import Tensor

__all__ = [
    "Constraint", "MaxNorm", "MinMaxNorm", "NonNeg", "UnitNorm", "max_norm", "min_max_norm",
    "non_neg", "unit_norm", "get", "serialize", "deserialize",
]

Axis = int | Sequence[int]


def _values(w: Tensor | ArrayLike) -> np.ndarray:
    array = w.data if isinstance(w, Tensor) else np.asarray(w)
    return array if array.dtype.kind == "f" else array.astype(np.float32)


def _axis(owner: str, axis: Any) -> int | tuple[int, ...]:
    if isinstance(axis, (int, np.integer)) and not isinstance(axis, bool):
        return int(axis)
    if isinstance(axis, (list, tuple)) and axis and all(
        isinstance(a, (int, np.integer)) and not isinstance(a, bool) for a in axis
    ):
        return tuple(int(a) for a in axis)
    raise ValueError(f"{owner}: `axis` must be an int or a list of ints. Received: "
                     f"axis={axis!r}")


def _number(owner: str, name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.number)) or not (
        np.isfinite(value)
    ):
        raise ValueError(f"{owner}: `{name}` must be a finite number. Received: "
                         f"{name}={value!r}")
    return value


def _norms(w: np.ndarray, axis: int | tuple[int, ...]) -> np.ndarray:
    return np.sqrt(np.sum(np.square(w), axis=axis, keepdims=True))


class Constraint:
    """Base class: ``constraint(w)`` returns the projected weight (a Tensor).

    Subclass it and implement ``__call__`` (and ``get_config`` if it takes
    arguments). ``__call__`` may use NumPy on ``w.numpy()`` or deepgrad ops; it runs
    outside the gradient tape.

    >>> class NonPositive(Constraint):
    ...     def __call__(self, w):
    ...         return Tensor(np.minimum(w.numpy(), 0))
    >>> NonPositive()(Tensor([1.0, -2.0]))
    Tensor([ 0., -2.], dtype=float32)
    """

    def __call__(self, w: Tensor | ArrayLike) -> Tensor:
        return w if isinstance(w, Tensor) else Tensor(_values(w))

    def get_config(self) -> dict[str, Any]:
        """Return the constructor arguments as a JSON-friendly dict."""
        return {}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Constraint:
        """Build a constraint from :meth:`get_config`'s output."""
        return cls(**config)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


class MaxNorm(Constraint):
    """Rescale the weights incident to each unit to a norm of at most ``max_value``.

    ``w * clip(norm, 0, max_value) / (norm + 1e-7)``, the norm taken over ``axis``.

    Args:
        max_value: the largest norm allowed. Defaults to 2.
        axis: the axes of one unit's weights: 0 for a Dense kernel ``(in, out)``,
            ``[0, 1, 2]`` for a Conv2D kernel ``(h, w, in, out)``.

    >>> MaxNorm(2.0, axis=1)(Tensor([[3.0, 4.0], [0.3, 0.4]]))
    Tensor([[1.2, 1.6],
     [0.3, 0.4]], dtype=float32)
    """

    def __init__(self, max_value: float = 2, axis: Axis = 0):
        self.max_value = _number("MaxNorm", "max_value", max_value)
        self.axis = _axis("MaxNorm", axis)

    def __call__(self, w: Tensor | ArrayLike) -> Tensor:
        w = _values(w)
        norms = _norms(w, self.axis)
        desired = np.clip(norms, 0, self.max_value)
        return Tensor(w * (desired / (norms + w.dtype.type(config.epsilon()))))

    def get_config(self) -> dict[str, Any]:
        return {"max_value": self.max_value, "axis": _jsonable(self.axis)}


class MinMaxNorm(Constraint):
    """Rescale each unit's weights to a norm within ``[min_value, max_value]``.

    The target norm is ``rate * clip(norm, min_value, max_value) + (1 - rate) * norm``;
    ``rate=1`` enforces the bounds at once, a smaller rate moves towards them.

    Args:
        min_value: the smallest norm. Defaults to 0.
        max_value: the largest norm. Defaults to 1.
        rate: how fast to enforce the bounds, in ``[0, 1]``. Defaults to 1.
        axis: the axes of one unit's weights (see :class:`MaxNorm`).

    >>> MinMaxNorm(min_value=1.0, max_value=2.0, axis=1)(Tensor([[0.3, 0.4], [3.0, 4.0]]))
    Tensor([[0.6, 0.8],
     [1.2, 1.6]], dtype=float32)
    """

    def __init__(self, min_value: float = 0.0, max_value: float = 1.0, rate: float = 1.0,
                 axis: Axis = 0):
        self.min_value = _number("MinMaxNorm", "min_value", min_value)
        self.max_value = _number("MinMaxNorm", "max_value", max_value)
        self.rate = _number("MinMaxNorm", "rate", rate)
        self.axis = _axis("MinMaxNorm", axis)

    def __call__(self, w: Tensor | ArrayLike) -> Tensor:
        w = _values(w)
        norms = _norms(w, self.axis)
        desired = (self.rate * np.clip(norms, self.min_value, self.max_value)
                   + (1 - self.rate) * norms).astype(w.dtype, copy=False)
        return Tensor(w * (desired / (norms + w.dtype.type(config.epsilon()))))

    def get_config(self) -> dict[str, Any]:
        return {"min_value": self.min_value, "max_value": self.max_value, "rate": self.rate,
                "axis": _jsonable(self.axis)}


class NonNeg(Constraint):
    """Set negative weights to zero.

    >>> NonNeg()(Tensor([-1.0, 0.5]))
    Tensor([0. , 0.5], dtype=float32)
    """

    def __call__(self, w: Tensor | ArrayLike) -> Tensor:
        return Tensor(np.maximum(_values(w), 0))


class UnitNorm(Constraint):
    """Rescale each unit's weights to norm 1: ``w / (norm + 1e-7)``.

    Args:
        axis: the axes of one unit's weights (see :class:`MaxNorm`).

    >>> UnitNorm(axis=1)(Tensor([[3.0, 4.0]]))
    Tensor([[0.6, 0.8]], dtype=float32)
    """

    def __init__(self, axis: Axis = 0):
        self.axis = _axis("UnitNorm", axis)

    def __call__(self, w: Tensor | ArrayLike) -> Tensor:
        w = _values(w)
        return Tensor(w / (_norms(w, self.axis) + w.dtype.type(config.epsilon())))

    def get_config(self) -> dict[str, Any]:
        return {"axis": _jsonable(self.axis)}


def _jsonable(axis: int | tuple[int, ...]) -> int | list[int]:
    return list(axis) if isinstance(axis, tuple) else axis


# Keras's lower-case aliases.
max_norm = MaxNorm
min_max_norm = MinMaxNorm
non_neg = NonNeg
unit_norm = UnitNorm

# One explicit table: Keras 3's class names and their snake_case names.
_REGISTRY: dict[str, type[Constraint]] = {
    "Constraint": Constraint, "constraint": Constraint,
    "MaxNorm": MaxNorm, "max_norm": MaxNorm,
    "MinMaxNorm": MinMaxNorm, "min_max_norm": MinMaxNorm,
    "NonNeg": NonNeg, "non_neg": NonNeg,
    "UnitNorm": UnitNorm, "unit_norm": UnitNorm,
}

_CATALOG = registry.Catalog("constraints", "constraint", Constraint, _REGISTRY)


def get(identifier: str | dict | Constraint | type | Callable | None) -> Callable | None:
    """Resolve a constraint from an object, a class, a Keras name or a config dict.

    Args:
        identifier: a :class:`Constraint` (returned as is), a Constraint class or a name
            (``"max_norm"``, ``"non_neg"``, ``"UnitNorm"``, ...; instantiated with
            Keras's defaults), a dict ``{"class_name": ..., "config": {...}}``, any
            callable ``fn(w) -> w`` (returned as is), or None.

    Returns:
        The constraint, or None for None.

    Raises:
        ValueError: for an unknown name (the message lists the valid ones).
        TypeError: for anything else.

    >>> get("non_neg")
    NonNeg()
    >>> get({"class_name": "MaxNorm", "config": {"max_value": 3, "axis": 0}})
    MaxNorm(max_value=3, axis=0)
    >>> get("max_nrom")
    Traceback (most recent call last):
    ...
    ValueError: Unknown constraint: 'max_nrom'. Valid names: ...
    """
    return _CATALOG.get(identifier)


def serialize(constraint: Constraint | None) -> dict[str, Any] | None:
    """Return ``{"class_name": ..., "config": ...}`` for a constraint (None stays None:
    the value a layer's config holds for no constraint).

    Raises:
        TypeError: for a plain function (it cannot be saved by name; write a Constraint
            subclass and register it with ``dg.saving.register_keras_serializable``).

    >>> serialize(UnitNorm(axis=[0, 1]))
    {'class_name': 'UnitNorm', 'config': {'axis': [0, 1]}}
    """
    return None if constraint is None else _CATALOG.serialize(constraint)


def deserialize(config: dict[str, Any], custom_objects: dict[str, Any] | None = None
                ) -> Constraint:
    """Inverse of :func:`serialize`; ``custom_objects`` maps names to your own classes.

    Raises:
        ValueError: for an unknown class name or a malformed dict.

    >>> deserialize({"class_name": "NonNeg", "config": {}})
    NonNeg()
    """
    return _CATALOG.deserialize(config, custom_objects)
