"""Weight regularizers: penalties added to the loss, differentiable through deepgrad ops.

A regularizer is called on a weight (a Tensor or Variable) and returns a scalar Tensor
whose gradient flows back to the weight. Keras's formulas, without a factor of 0.5:
``L1: l1 * sum(|x|)``, ``L2: l2 * sum(x**2)``.

>>> import deepgrad as dg
>>> w = dg.Variable([[1.0, -2.0]])
>>> penalty = dg.regularizers.L2(0.1)(w)
>>> round(float(penalty.data), 4)
0.5
>>> penalty.backward(); w.grad
array([[ 0.2, -0.4]], dtype=float32)
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from deepgrad import config, ops, registry
from deepgrad.tensor import Tensor, as_tensor

__all__ = [
    "Regularizer", "L1", "L2", "L1L2", "OrthogonalRegularizer", "l1", "l2", "l1_l2",
    "orthogonal_regularizer", "get", "serialize", "deserialize",
]


def _non_negative(value, name: str, owner: str) -> float:
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float, np.integer, np.floating))
        or math.isnan(value)
        or math.isinf(value)
        or value < 0
    ):
        raise ValueError(
            f"{owner}: `{name}` must be a non-negative float. Received: {name}={value!r}"
        )
    return float(value)


def _zero_like(x: Tensor) -> Tensor:
    return Tensor(np.zeros((), dtype=x.dtype))


class Regularizer:
    """Base class: ``regularizer(x)`` returns a scalar penalty Tensor.

    Subclasses implement ``__call__`` and ``get_config``.

    >>> class Sum(Regularizer):
    ...     def __call__(self, x):
    ...         return as_tensor(x).sum()
    >>> float(Sum()(Tensor([1.0, 2.0])).data)
    3.0
    """

    def __call__(self, x: Tensor | ArrayLike) -> Tensor:
        return _zero_like(as_tensor(x))

    def get_config(self) -> dict[str, Any]:
        """Return the constructor arguments as a JSON-friendly dict."""
        return {}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Regularizer:
        """Build a regularizer from :meth:`get_config`'s output."""
        return cls(**config)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


class L1(Regularizer):
    """``l1 * sum(|x|)``.

    Args:
        l1: the non-negative factor.

    Raises:
        ValueError: for a negative, NaN or infinite factor.

    >>> float(L1(0.5)(Tensor([1.0, -3.0])).data)
    2.0
    """

    def __init__(self, l1: float = 0.01):
        self.l1 = _non_negative(0.01 if l1 is None else l1, "l1", "L1")

    def __call__(self, x: Tensor | ArrayLike) -> Tensor:
        x = as_tensor(x)
        return self.l1 * ops.sum(ops.abs(x))

    def get_config(self) -> dict[str, Any]:
        return {"l1": self.l1}


class L2(Regularizer):
    """``l2 * sum(x**2)`` (no factor of 0.5, as in Keras).

    Args:
        l2: the non-negative factor.

    Raises:
        ValueError: for a negative, NaN or infinite factor.

    >>> float(L2(0.5)(Tensor([1.0, -3.0])).data)
    5.0
    """

    def __init__(self, l2: float = 0.01):
        self.l2 = _non_negative(0.01 if l2 is None else l2, "l2", "L2")

    def __call__(self, x: Tensor | ArrayLike) -> Tensor:
        x = as_tensor(x)
        return self.l2 * ops.sum(ops.square(x))

    def get_config(self) -> dict[str, Any]:
        return {"l2": self.l2}


class L1L2(Regularizer):
    """``l1 * sum(|x|) + l2 * sum(x**2)``.

    Both factors default to 0, as in Keras 3, so ``get("l1_l2")`` is a zero penalty;
    pass the factors explicitly.

    >>> float(L1L2(l1=1.0, l2=1.0)(Tensor([1.0, -3.0])).data)
    14.0
    """

    def __init__(self, l1: float = 0.0, l2: float = 0.0):
        self.l1 = _non_negative(0.0 if l1 is None else l1, "l1", "L1L2")
        self.l2 = _non_negative(0.0 if l2 is None else l2, "l2", "L1L2")

    def __call__(self, x: Tensor | ArrayLike) -> Tensor:
        x = as_tensor(x)
        penalty = None
        if self.l1:
            penalty = self.l1 * ops.sum(ops.abs(x))
        if self.l2:
            term = self.l2 * ops.sum(ops.square(x))
            penalty = term if penalty is None else penalty + term
        return _zero_like(x) if penalty is None else penalty

    def get_config(self) -> dict[str, Any]:
        return {"l1": self.l1, "l2": self.l2}


class OrthogonalRegularizer(Regularizer):
    """Pushes the rows (or columns) of a 2-D weight towards being orthonormal.

    The penalty is ``factor * mean(|<u_i, u_j>|)`` over pairs ``i < j`` of the
    L2-normalised rows (``mode="rows"``) or columns (``mode="columns"``), Keras's formula.

    Args:
        factor: the non-negative factor.
        mode: ``"rows"`` or ``"columns"``.

    Raises:
        ValueError: for a bad factor or mode, or (when called) a weight that is not 2-D.

    >>> reg = OrthogonalRegularizer(factor=1.0)
    >>> float(reg(Tensor([[1.0, 0.0], [0.0, 1.0]])).data)
    0.0
    >>> round(float(reg(Tensor([[1.0, 0.0], [1.0, 0.0]])).data), 4)
    1.0
    """

    def __init__(self, factor: float = 0.01, mode: str = "rows"):
        self.factor = _non_negative(factor, "factor", "OrthogonalRegularizer")
        if mode not in ("rows", "columns"):
            raise ValueError(
                "OrthogonalRegularizer: `mode` must be 'rows' or 'columns'. "
                f"Received: mode={mode!r}"
            )
        self.mode = mode

    def __call__(self, x: Tensor | ArrayLike) -> Tensor:
        x = as_tensor(x)
        if x.ndim != 2:
            raise ValueError(
                "OrthogonalRegularizer: can only regularize 2-D weights. Received: a weight "
                f"of shape {x.shape}"
            )
        vectors = x if self.mode == "rows" else ops.transpose(x)
        size = vectors.shape[0]
        if size < 2:
            return _zero_like(x)
        tiny = np.asarray(config.epsilon(), dtype=x.dtype) ** 2  # Keras's ops.normalize
        norms = ops.sqrt(ops.maximum(ops.sum(ops.square(vectors), axis=1, keepdims=True), tiny))
        unit = vectors / norms
        product = unit @ ops.transpose(unit)
        off_diagonal = product * (1 - np.eye(size, dtype=x.dtype))
        pairs = size * (size - 1) / 2
        return ops.sum(ops.abs(off_diagonal)) * (self.factor * 0.5 / pairs)

    def get_config(self) -> dict[str, Any]:
        return {"factor": self.factor, "mode": self.mode}


# Keras exports the classes under lower-case names too: ``regularizers.l2(0.001)``.
l1 = L1
l2 = L2
l1_l2 = L1L2
orthogonal_regularizer = OrthogonalRegularizer

# One explicit table: Keras 3's class names and their snake_case names.
_REGISTRY: dict[str, type[Regularizer]] = {
    "Regularizer": Regularizer,
    "L1": L1, "l1": L1,
    "L2": L2, "l2": L2,
    "L1L2": L1L2, "l1_l2": L1L2,
    "OrthogonalRegularizer": OrthogonalRegularizer,
    "orthogonal_regularizer": OrthogonalRegularizer,
}


_CATALOG = registry.Catalog("regularizers", "regularizer", Regularizer, _REGISTRY)


def get(identifier: str | dict | Regularizer | type | Callable | None) -> Callable | None:
    """Resolve a regularizer from an object, a class, a Keras name or a config dict.

    Args:
        identifier: a :class:`Regularizer` (returned as is), a Regularizer class or a
            name (``"l1"``, ``"l2"``, ``"l1_l2"``, ``"L2"``, ...; instantiated with Keras's
            defaults), a dict ``{"class_name": ..., "config": {...}}``, a callable, or None.

    Returns:
        The regularizer, or None for None.

    Raises:
        ValueError: for an unknown name (the message lists the valid ones).
        TypeError: for anything else.

    >>> get("l2")
    L2(l2=0.01)
    >>> get({"class_name": "L1L2", "config": {"l1": 0.1, "l2": 0.2}})
    L1L2(l1=0.1, l2=0.2)
    >>> get("l3")
    Traceback (most recent call last):
    ...
    ValueError: Unknown regularizer: 'l3'. Valid names: ...
    """
    return _CATALOG.get(identifier)


def serialize(regularizer: Regularizer) -> dict[str, Any]:
    """Return ``{"class_name": ..., "config": ...}`` for a regularizer.

    >>> serialize(L1(0.2))
    {'class_name': 'L1', 'config': {'l1': 0.2}}
    """
    return _CATALOG.serialize(regularizer)


def deserialize(config: dict[str, Any], custom_objects: dict[str, Any] | None = None
                ) -> Regularizer:
    """Inverse of :func:`serialize`; ``custom_objects`` maps names to your own classes.

    Raises:
        ValueError: for an unknown class name or a malformed dict.

    >>> deserialize({"class_name": "L2", "config": {"l2": 0.5}})
    L2(l2=0.5)
    """
    return _CATALOG.deserialize(config, custom_objects)
