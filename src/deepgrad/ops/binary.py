"""Elementwise math of two tensors with broadcasting (``keras.ops`` numpy names):
``arctan2, hypot, logaddexp, mod, floor_divide, divide_no_nan, fmax, gcd``, and friends.

Operands are promoted by Keras's rules (``deepgrad.ops.dtypes``). Each differentiable one
is a primitive with its backward beside it; gradients of broadcast operands are summed
back to their shapes.

>>> import deepgrad as dg
>>> y = dg.Tensor([3.0], requires_grad=True)
>>> dg.ops.hypot(y, 4.0).backward(); y.grad
array([0.6], dtype=float32)
"""

from __future__ import annotations

import numpy as np

from deepgrad.ops.core import promote, tensor_of
from deepgrad.ops.dtypes import dtype_of, result_type
from deepgrad.ops.symbolic import op
from deepgrad.tensor import Tensor, make_result, unbroadcast

__all__ = [
    "arctan2", "hypot", "logaddexp", "logaddexp2", "mod", "fmod", "floor_divide",
    "true_divide", "divide_no_nan", "fmax", "fmin", "heaviside", "nextafter", "ldexp", "gcd",
    "lcm",
]


def _float_pair(x1, x2) -> tuple[Tensor, Tensor]:
    dtype = result_type(dtype_of(x1), dtype_of(x2), float)
    return promote(x1, x2, dtype=dtype)


def _binary(a: Tensor, b: Tensor, out: np.ndarray, da, db) -> Tensor:
    """Record ``out`` with gradients ``g * da()`` and ``g * db()`` (each computed only when
    its operand needs it)."""

    def backward(g):
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            ga = unbroadcast(g * da(), a.shape).astype(a.dtype) if a.requires_grad else None
            gb = unbroadcast(g * db(), b.shape).astype(b.dtype) if b.requires_grad else None
        return ga, gb

    return make_result(out, (a, b), backward)


@op
def arctan2(x1, x2) -> Tensor:
    """The angle of the point ``(x2, x1)``, in ``[-pi, pi]``.

    >>> arctan2(Tensor([1.0]), Tensor([-1.0])).data.round(4)
    array([2.3562], dtype=float32)
    """
    a, b = _float_pair(x1, x2)
    r2 = a.data * a.data + b.data * b.data
    return _binary(a, b, np.arctan2(a.data, b.data), lambda: b.data / r2, lambda: -a.data / r2)


@op
def hypot(x1, x2) -> Tensor:
    """``sqrt(x1**2 + x2**2)`` without overflow; ints become floats.

    >>> hypot(Tensor([3.0]), Tensor([4.0]))
    Tensor([5.], dtype=float32)
    """
    a, b = _float_pair(x1, x2)
    out = np.hypot(a.data, b.data)
    return _binary(a, b, out, lambda: a.data / out, lambda: b.data / out)


@op
def logaddexp(x1, x2) -> Tensor:
    """``log(exp(x1) + exp(x2))``, computed stably.

    >>> logaddexp(Tensor([0.0]), Tensor([0.0])).data.round(4)
    array([0.6931], dtype=float32)
    """
    a, b = _float_pair(x1, x2)
    out = np.logaddexp(a.data, b.data)
    return _binary(a, b, out, lambda: np.exp(a.data - out), lambda: np.exp(b.data - out))


@op
def logaddexp2(x1, x2) -> Tensor:
    """``log2(2**x1 + 2**x2)``, computed stably.

    >>> logaddexp2(Tensor([1.0]), Tensor([1.0]))
    Tensor([2.], dtype=float32)
    """
    a, b = _float_pair(x1, x2)
    out = np.logaddexp2(a.data, b.data)
    return _binary(a, b, out, lambda: np.exp2(a.data - out), lambda: np.exp2(b.data - out))


def _int_or_float_pair(x1, x2) -> tuple[Tensor, Tensor]:
    a, b = promote(x1, x2)
    if a.dtype == np.bool_:
        a, b = promote(a, b, dtype="int32")
    return a, b


@op
def mod(x1, x2) -> Tensor:
    """Remainder with the sign of the divisor (Python's ``%``); gradient 1 for ``x1`` and
    ``-floor(x1 / x2)`` for ``x2``.

    >>> mod(Tensor([5.0, -5.0]), 3.0)
    Tensor([2., 1.], dtype=float32)
    """
    a, b = _int_or_float_pair(x1, x2)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.mod(a.data, b.data)
    return _binary(a, b, out, lambda: 1, lambda: -np.floor_divide(a.data, b.data))


@op
def fmod(x1, x2) -> Tensor:
    """Remainder with the sign of the dividend (C's ``fmod``).

    >>> fmod(Tensor([5.0, -5.0]), 3.0)
    Tensor([ 2., -2.], dtype=float32)
    """
    a, b = _int_or_float_pair(x1, x2)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.fmod(a.data, b.data)
    return _binary(a, b, out, lambda: 1, lambda: -np.trunc(a.data / b.data))


@op
def floor_divide(x1, x2) -> Tensor:
    """``floor(x1 / x2)``, in the promoted dtype (ints stay ints); its gradient is zero.

    >>> floor_divide([7, -7], 2)
    Tensor([ 3, -4], dtype=int32)
    """
    a, b = promote(x1, x2)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.floor_divide(a.data, b.data)
    return _binary(a, b, out, lambda: 0, lambda: 0)


@op
def true_divide(x1, x2) -> Tensor:
    """``x1 / x2`` in a float type (alias of ``divide``).

    >>> true_divide(Tensor([1, 2]), 2)
    Tensor([0.5, 1. ], dtype=float32)
    """
    from deepgrad.ops.elementwise import divide

    return divide(x1, x2)


@op
def divide_no_nan(x1, x2) -> Tensor:
    """``x1 / x2``, and 0 where ``x2`` is 0 (its gradient there is 0 too).

    >>> divide_no_nan(Tensor([1.0, 1.0]), Tensor([2.0, 0.0]))
    Tensor([0.5, 0. ], dtype=float32)
    """
    a, b = _float_pair(x1, x2)
    zero = b.data == 0
    safe = np.where(zero, np.ones((), b.dtype), b.data)
    out = np.where(zero, np.zeros((), a.dtype), a.data / safe)
    return _binary(a, b, out, lambda: np.where(zero, 0, 1 / safe), lambda: -out / safe)


@op
def fmax(x1, x2) -> Tensor:
    """Elementwise maximum that ignores NaN (the other value wins); ties send the gradient
    to ``x1``.

    >>> fmax(Tensor([1.0, np.nan]), Tensor([2.0, 3.0]))
    Tensor([2., 3.], dtype=float32)
    """
    a, b = promote(x1, x2)
    pick_a = (a.data >= b.data) | np.isnan(b.data)
    return _binary(a, b, np.fmax(a.data, b.data), lambda: pick_a, lambda: ~pick_a)


@op
def fmin(x1, x2) -> Tensor:
    """Elementwise minimum that ignores NaN; ties send the gradient to ``x1``.

    >>> fmin(Tensor([1.0, np.nan]), Tensor([2.0, 3.0]))
    Tensor([1., 3.], dtype=float32)
    """
    a, b = promote(x1, x2)
    pick_a = (a.data <= b.data) | np.isnan(b.data)
    return _binary(a, b, np.fmin(a.data, b.data), lambda: pick_a, lambda: ~pick_a)


@op
def heaviside(x1, x2) -> Tensor:
    """Step function: 0 for ``x1 < 0``, 1 for ``x1 > 0``, ``x2`` at 0 (ints become floats).

    >>> heaviside(Tensor([-1.0, 0.0, 2.0]), 0.5)
    Tensor([0. , 0.5, 1. ], dtype=float32)
    """
    a, b = promote(x1, x2)
    dtype = a.dtype.name
    if dtype in ("int8", "int16", "int32", "uint8", "uint16", "uint32", "bool"):
        a, b = promote(a, b, dtype=result_type(float))
    elif dtype == "int64":
        a, b = promote(a, b, dtype="float64")
    at_zero = a.data == 0
    return _binary(a, b, np.heaviside(a.data, b.data), lambda: 0, lambda: at_zero)


@op
def nextafter(x1, x2) -> Tensor:
    """The next float after ``x1`` toward ``x2``.

    >>> float(nextafter(Tensor([1.0]), 2.0)[0]) > 1.0
    True
    """
    a, b = _float_pair(x1, x2)
    return Tensor(np.nextafter(a.data, b.data))


@op
def ldexp(x1, x2) -> Tensor:
    """``x1 * 2**x2`` for an integer exponent ``x2``.

    Raises:
        TypeError: if ``x2`` is not of an integer type.

    >>> ldexp(Tensor([1.5]), np.array([2]))
    Tensor([6.], dtype=float32)
    """
    exponent = tensor_of(x2)
    if exponent.dtype.kind not in "iu":
        raise TypeError(
            f"ldexp: the exponent must be of an integer type. Received: x2 dtype={exponent.dtype}"
        )
    a = tensor_of(x1, result_type(dtype_of(x1), exponent.dtype.name, float))
    scale = np.ldexp(np.ones((), a.dtype), exponent.data)
    out = np.ldexp(a.data, exponent.data).astype(a.dtype)
    return make_result(out, (a,), lambda g: (unbroadcast(g * scale, a.shape),))


@op
def gcd(x1, x2) -> Tensor:
    """Greatest common divisor of integers.

    >>> gcd([12, 18], 8)
    Tensor([4, 2], dtype=int32)
    """
    a, b = promote(x1, x2)
    return Tensor(np.gcd(a.data, b.data))


@op
def lcm(x1, x2) -> Tensor:
    """Least common multiple of integers.

    >>> lcm([4, 6], 10)
    Tensor([20, 30], dtype=int32)
    """
    a, b = promote(x1, x2)
    return Tensor(np.lcm(a.data, b.data))
