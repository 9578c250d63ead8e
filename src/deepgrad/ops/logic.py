"""Comparisons, logical and bitwise ops, and the ``is*`` predicates (``keras.ops`` names).

They return bool (or integer, for bitwise) tensors and have no gradient.

>>> import deepgrad as dg
>>> dg.ops.logical_and(dg.ops.greater(dg.Tensor([1.0, 3.0]), 2.0), True)
Tensor([False,  True], dtype=bool)
"""

from __future__ import annotations

import numpy as np

from deepgrad.ops.core import promote, tensor_of
from deepgrad.ops.symbolic import op
from deepgrad.tensor import Tensor

__all__ = [
    "equal", "not_equal", "greater", "greater_equal", "less", "less_equal", "logical_and",
    "logical_or", "logical_xor", "logical_not", "isclose", "allclose", "isfinite", "isnan",
    "isinf", "isneginf", "isposinf", "isreal", "signbit", "all", "any", "isin",
    "bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_not", "bitwise_invert",
    "bitwise_left_shift", "bitwise_right_shift", "left_shift", "right_shift",
]


def _data(x):
    """The array of a Tensor; Python numbers stay numbers (weak, as Keras promotes them)."""
    if isinstance(x, Tensor):
        return x.data
    if isinstance(x, (bool, int, float, np.ndarray, np.generic)):
        return x
    return tensor_of(x).data


def _axis(axis):
    return tuple(axis) if isinstance(axis, list) else axis


@op
def equal(x1, x2) -> Tensor:
    """``x1 == x2`` elementwise.

    >>> equal(Tensor([1, 2]), 2)
    Tensor([False,  True], dtype=bool)
    """
    return Tensor(np.equal(_data(x1), _data(x2)))


@op
def not_equal(x1, x2) -> Tensor:
    """``x1 != x2`` elementwise.

    >>> not_equal(Tensor([1, 2]), 2)
    Tensor([ True, False], dtype=bool)
    """
    return Tensor(np.not_equal(_data(x1), _data(x2)))


@op
def greater(x1, x2) -> Tensor:
    """``x1 > x2`` elementwise.

    >>> greater(Tensor([1, 3]), 2)
    Tensor([False,  True], dtype=bool)
    """
    return Tensor(np.greater(_data(x1), _data(x2)))


@op
def greater_equal(x1, x2) -> Tensor:
    """``x1 >= x2`` elementwise.

    >>> greater_equal(Tensor([1, 2]), 2)
    Tensor([False,  True], dtype=bool)
    """
    return Tensor(np.greater_equal(_data(x1), _data(x2)))


@op
def less(x1, x2) -> Tensor:
    """``x1 < x2`` elementwise.

    >>> less(Tensor([1, 2]), 2)
    Tensor([ True, False], dtype=bool)
    """
    return Tensor(np.less(_data(x1), _data(x2)))


@op
def less_equal(x1, x2) -> Tensor:
    """``x1 <= x2`` elementwise.

    >>> less_equal(Tensor([1, 3]), 2)
    Tensor([ True, False], dtype=bool)
    """
    return Tensor(np.less_equal(_data(x1), _data(x2)))


@op
def logical_and(x1, x2) -> Tensor:
    """Elementwise ``and`` of truth values.

    >>> logical_and(Tensor([True, True]), Tensor([True, False]))
    Tensor([ True, False], dtype=bool)
    """
    return Tensor(np.logical_and(_data(x1), _data(x2)))


@op
def logical_or(x1, x2) -> Tensor:
    """Elementwise ``or`` of truth values.

    >>> logical_or(Tensor([False, False]), Tensor([True, False]))
    Tensor([ True, False], dtype=bool)
    """
    return Tensor(np.logical_or(_data(x1), _data(x2)))


@op
def logical_xor(x1, x2) -> Tensor:
    """Elementwise exclusive ``or`` of truth values.

    >>> logical_xor(Tensor([True, True]), Tensor([True, False]))
    Tensor([False,  True], dtype=bool)
    """
    return Tensor(np.logical_xor(_data(x1), _data(x2)))


@op
def logical_not(x) -> Tensor:
    """Elementwise ``not``.

    >>> logical_not(Tensor([True, False]))
    Tensor([False,  True], dtype=bool)
    """
    return Tensor(np.logical_not(_data(x)))


@op
def isclose(x1, x2, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False) -> Tensor:
    """Elementwise ``|x1 - x2| <= atol + rtol * |x2|``.

    >>> isclose(Tensor([1.0, 2.0]), Tensor([1.0, 2.1]))
    Tensor([ True, False], dtype=bool)
    """
    return Tensor(np.isclose(_data(x1), _data(x2), rtol=rtol, atol=atol, equal_nan=equal_nan))


@op
def allclose(x1, x2, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False) -> Tensor:
    """Whether every element is close (see :func:`isclose`), as a bool scalar tensor.

    >>> bool(allclose(Tensor([1.0]), Tensor([1.0 + 1e-9])))
    True
    """
    return Tensor(np.allclose(_data(x1), _data(x2), rtol=rtol, atol=atol, equal_nan=equal_nan))


@op
def isfinite(x) -> Tensor:
    """Whether each element is finite (not NaN or infinite).

    >>> isfinite(Tensor([1.0, np.inf, np.nan]))
    Tensor([ True, False, False], dtype=bool)
    """
    return Tensor(np.isfinite(_data(x)))


@op
def isnan(x) -> Tensor:
    """Whether each element is NaN.

    >>> isnan(Tensor([1.0, np.nan]))
    Tensor([False,  True], dtype=bool)
    """
    return Tensor(np.isnan(_data(x)))


@op
def isinf(x) -> Tensor:
    """Whether each element is positive or negative infinity.

    >>> isinf(Tensor([1.0, -np.inf]))
    Tensor([False,  True], dtype=bool)
    """
    return Tensor(np.isinf(_data(x)))


@op
def isneginf(x) -> Tensor:
    """Whether each element is negative infinity.

    >>> isneginf(Tensor([np.inf, -np.inf]))
    Tensor([False,  True], dtype=bool)
    """
    return Tensor(np.isneginf(tensor_of(x).data))


@op
def isposinf(x) -> Tensor:
    """Whether each element is positive infinity.

    >>> isposinf(Tensor([np.inf, -np.inf]))
    Tensor([ True, False], dtype=bool)
    """
    return Tensor(np.isposinf(tensor_of(x).data))


@op
def isreal(x) -> Tensor:
    """Whether each element has a zero imaginary part (always true for real dtypes).

    >>> isreal(Tensor(np.array([1 + 0j, 1j])))
    Tensor([ True, False], dtype=bool)
    """
    return Tensor(np.isreal(tensor_of(x).data))


@op
def signbit(x) -> Tensor:
    """Whether the sign bit is set (true for -0.0 too).

    >>> signbit(Tensor([-0.0, 0.0, -2.0]))
    Tensor([ True, False,  True], dtype=bool)
    """
    return Tensor(np.signbit(_data(x)))


@op
def all(x, axis=None, keepdims: bool = False) -> Tensor:  # noqa: A001 - Keras's name
    """Whether all elements (along ``axis``) are true.

    >>> all(Tensor([[True, False], [True, True]]), axis=1)
    Tensor([False,  True], dtype=bool)
    """
    return Tensor(np.all(_data(x), axis=_axis(axis), keepdims=keepdims))


@op
def any(x, axis=None, keepdims: bool = False) -> Tensor:  # noqa: A001 - Keras's name
    """Whether any element (along ``axis``) is true.

    >>> any(Tensor([[True, False], [False, False]]), axis=1)
    Tensor([ True, False], dtype=bool)
    """
    return Tensor(np.any(_data(x), axis=_axis(axis), keepdims=keepdims))


@op
def isin(x1, x2, assume_unique: bool = False, invert: bool = False) -> Tensor:
    """Whether each element of ``x1`` occurs in ``x2`` (or not, with ``invert=True``).

    >>> isin(Tensor([1, 2, 3]), [2, 4])
    Tensor([False,  True, False], dtype=bool)
    """
    return Tensor(np.isin(tensor_of(x1).data, tensor_of(x2).data, assume_unique=assume_unique,
                          invert=invert))


def _int_pair(x, y):
    return promote(x, y)


@op
def bitwise_and(x, y) -> Tensor:
    """Bitwise ``and`` of integers (or bools).

    >>> bitwise_and(Tensor(np.array([12], "int32")), 10)
    Tensor([8], dtype=int32)
    """
    a, b = _int_pair(x, y)
    return Tensor(np.bitwise_and(a.data, b.data))


@op
def bitwise_or(x, y) -> Tensor:
    """Bitwise ``or`` of integers.

    >>> bitwise_or(Tensor(np.array([12], "int32")), 10)
    Tensor([14], dtype=int32)
    """
    a, b = _int_pair(x, y)
    return Tensor(np.bitwise_or(a.data, b.data))


@op
def bitwise_xor(x, y) -> Tensor:
    """Bitwise exclusive ``or`` of integers.

    >>> bitwise_xor(Tensor(np.array([12], "int32")), 10)
    Tensor([6], dtype=int32)
    """
    a, b = _int_pair(x, y)
    return Tensor(np.bitwise_xor(a.data, b.data))


@op
def bitwise_invert(x) -> Tensor:
    """Bitwise ``not`` (two's complement for signed integers; ``not`` for bools).

    >>> bitwise_invert(Tensor(np.array([0], "int32")))
    Tensor([-1], dtype=int32)
    """
    return Tensor(np.bitwise_not(tensor_of(x).data))


@op
def bitwise_not(x) -> Tensor:
    """Bitwise ``not`` (alias of :func:`bitwise_invert`).

    >>> bitwise_not(Tensor(np.array([5], "uint8")))
    Tensor([250], dtype=uint8)
    """
    return Tensor(np.bitwise_not(tensor_of(x).data))


def _shift(fn, x, y) -> Tensor:
    x = tensor_of(x)
    if isinstance(y, int):
        return Tensor(fn(x.data, y).astype(x.dtype))
    a, b = _int_pair(x, y)
    return Tensor(fn(a.data, b.data))


@op
def bitwise_left_shift(x, y) -> Tensor:
    """Shift the bits of ``x`` left by ``y``.

    >>> bitwise_left_shift(Tensor(np.array([1], "int32")), 3)
    Tensor([8], dtype=int32)
    """
    return _shift(np.left_shift, x, y)


@op
def bitwise_right_shift(x, y) -> Tensor:
    """Shift the bits of ``x`` right by ``y``.

    >>> bitwise_right_shift(Tensor(np.array([8], "int32")), 3)
    Tensor([1], dtype=int32)
    """
    return _shift(np.right_shift, x, y)


@op
def left_shift(x, y) -> Tensor:
    """Shift the bits of ``x`` left by ``y`` (alias of :func:`bitwise_left_shift`).

    >>> left_shift(Tensor(np.array([1], "int32")), 2)
    Tensor([4], dtype=int32)
    """
    return _shift(np.left_shift, x, y)


@op
def right_shift(x, y) -> Tensor:
    """Shift the bits of ``x`` right by ``y`` (alias of :func:`bitwise_right_shift`).

    >>> right_shift(Tensor(np.array([4], "int32")), 2)
    Tensor([1], dtype=int32)
    """
    return _shift(np.right_shift, x, y)
