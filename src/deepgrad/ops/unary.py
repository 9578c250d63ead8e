"""Elementwise math of one tensor (``keras.ops`` numpy names): trigonometric, hyperbolic,
exponential and logarithmic functions, the error function, roots, rounding.

Each is a primitive: the NumPy forward and, beside it, the derivative as a function of the
input and the output. Integer and bool inputs compute in ``floatx()`` as Keras does
(``sin`` of int32 is float32); float16/32/64 stay as they are. Rounding and sign functions
are piecewise constant: their gradient is zero, as in TensorFlow.

>>> import deepgrad as dg
>>> x = dg.Tensor([0.5], requires_grad=True)
>>> dg.ops.arcsin(x).backward(); x.grad.round(4)
array([1.1547], dtype=float32)
"""

from __future__ import annotations

import math

import numpy as np

from deepgrad.ops.core import float_tensor, tensor_of
from deepgrad.ops.symbolic import op
from deepgrad.tensor import Tensor, make_result

__all__ = [
    "sin", "cos", "tan", "arcsin", "arccos", "arctan", "sinh", "cosh", "arcsinh", "arccosh",
    "arctanh", "expm1", "log1p", "log2", "log10", "exp2", "erf", "erfc", "erfinv", "cbrt",
    "reciprocal", "rsqrt", "sinc", "i0", "deg2rad", "rad2deg", "fabs", "absolute", "floor",
    "ceil", "trunc", "round", "sign", "nan_to_num",
]


def _primitive(x, forward, derivative) -> Tensor:
    """Record ``forward(x)`` with gradient ``g * derivative(x, out)``, in x's float type."""
    x = float_tensor(x)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.asarray(forward(x.data), dtype=x.dtype)

    def backward(g):
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            return (g * np.asarray(derivative(x.data, out), dtype=x.dtype),)

    return make_result(out, (x,), backward)


def _constant(x, forward) -> Tensor:
    """A piecewise-constant function: its gradient is zero (recorded, so it reaches inputs)."""
    x = float_tensor(x)
    out = np.asarray(forward(x.data), dtype=x.dtype)
    return make_result(out, (x,), lambda g: (np.zeros_like(x.data),))


@op
def sin(x) -> Tensor:
    """Sine, elementwise.

    >>> sin(Tensor([0.0]))
    Tensor([0.], dtype=float32)
    """
    return _primitive(x, np.sin, lambda x, y: np.cos(x))


@op
def cos(x) -> Tensor:
    """Cosine, elementwise.

    >>> cos(Tensor([0.0]))
    Tensor([1.], dtype=float32)
    """
    return _primitive(x, np.cos, lambda x, y: -np.sin(x))


@op
def tan(x) -> Tensor:
    """Tangent, elementwise.

    >>> tan(Tensor([0.0]))
    Tensor([0.], dtype=float32)
    """
    return _primitive(x, np.tan, lambda x, y: 1 + y * y)


@op
def arcsin(x) -> Tensor:
    """Inverse sine.

    >>> arcsin(Tensor([1.0])).data.round(4)
    array([1.5708], dtype=float32)
    """
    return _primitive(x, np.arcsin, lambda x, y: 1 / np.sqrt(1 - x * x))


@op
def arccos(x) -> Tensor:
    """Inverse cosine.

    >>> arccos(Tensor([1.0]))
    Tensor([0.], dtype=float32)
    """
    return _primitive(x, np.arccos, lambda x, y: -1 / np.sqrt(1 - x * x))


@op
def arctan(x) -> Tensor:
    """Inverse tangent.

    >>> arctan(Tensor([1.0])).data.round(4)
    array([0.7854], dtype=float32)
    """
    return _primitive(x, np.arctan, lambda x, y: 1 / (1 + x * x))


@op
def sinh(x) -> Tensor:
    """Hyperbolic sine.

    >>> sinh(Tensor([0.0]))
    Tensor([0.], dtype=float32)
    """
    return _primitive(x, np.sinh, lambda x, y: np.cosh(x))


@op
def cosh(x) -> Tensor:
    """Hyperbolic cosine.

    >>> cosh(Tensor([0.0]))
    Tensor([1.], dtype=float32)
    """
    return _primitive(x, np.cosh, lambda x, y: np.sinh(x))


@op
def arcsinh(x) -> Tensor:
    """Inverse hyperbolic sine.

    >>> arcsinh(Tensor([0.0]))
    Tensor([0.], dtype=float32)
    """
    return _primitive(x, np.arcsinh, lambda x, y: 1 / np.sqrt(x * x + 1))


@op
def arccosh(x) -> Tensor:
    """Inverse hyperbolic cosine (defined for ``x >= 1``).

    >>> arccosh(Tensor([1.0]))
    Tensor([0.], dtype=float32)
    """
    return _primitive(x, np.arccosh, lambda x, y: 1 / np.sqrt(x * x - 1))


@op
def arctanh(x) -> Tensor:
    """Inverse hyperbolic tangent (defined for ``|x| < 1``).

    >>> arctanh(Tensor([0.0]))
    Tensor([0.], dtype=float32)
    """
    return _primitive(x, np.arctanh, lambda x, y: 1 / (1 - x * x))


@op
def expm1(x) -> Tensor:
    """``exp(x) - 1``, accurate near zero.

    >>> expm1(Tensor([0.0]))
    Tensor([0.], dtype=float32)
    """
    return _primitive(x, np.expm1, lambda x, y: y + 1)


@op
def log1p(x) -> Tensor:
    """``log(1 + x)``, accurate near zero.

    >>> log1p(Tensor([0.0]))
    Tensor([0.], dtype=float32)
    """
    return _primitive(x, np.log1p, lambda x, y: 1 / (1 + x))


@op
def log2(x) -> Tensor:
    """Base-2 logarithm.

    >>> log2(Tensor([8.0]))
    Tensor([3.], dtype=float32)
    """
    return _primitive(x, np.log2, lambda x, y: 1 / (x * math.log(2)))


@op
def log10(x) -> Tensor:
    """Base-10 logarithm.

    >>> log10(Tensor([100.0]))
    Tensor([2.], dtype=float32)
    """
    return _primitive(x, np.log10, lambda x, y: 1 / (x * math.log(10)))


@op
def exp2(x) -> Tensor:
    """``2 ** x``.

    >>> exp2(Tensor([3.0]))
    Tensor([8.], dtype=float32)
    """
    return _primitive(x, np.exp2, lambda x, y: y * math.log(2))


def _special():
    # scipy comes with scikit-learn (a deepgrad dependency); imported when first needed.
    import scipy.special

    return scipy.special


@op
def erf(x) -> Tensor:
    """The error function ``2/sqrt(pi) * integral(exp(-t**2), 0, x)``.

    >>> erf(Tensor([0.0]))
    Tensor([0.], dtype=float32)
    """
    return _primitive(x, _special().erf, lambda x, y: 2 / math.sqrt(math.pi) * np.exp(-x * x))


@op
def erfc(x) -> Tensor:
    """The complementary error function ``1 - erf(x)``, accurate for large ``x``.

    >>> erfc(Tensor([0.0]))
    Tensor([1.], dtype=float32)
    """
    return _primitive(x, _special().erfc, lambda x, y: -2 / math.sqrt(math.pi) * np.exp(-x * x))


@op
def erfinv(x) -> Tensor:
    """The inverse error function, on ``(-1, 1)``.

    >>> erfinv(Tensor([0.0]))
    Tensor([0.], dtype=float32)
    """
    return _primitive(x, _special().erfinv, lambda x, y: math.sqrt(math.pi) / 2 * np.exp(y * y))


@op
def cbrt(x) -> Tensor:
    """Cube root (negative inputs give negative roots).

    >>> cbrt(Tensor([-8.0]))
    Tensor([-2.], dtype=float32)
    """
    return _primitive(x, np.cbrt, lambda x, y: 1 / (3 * y * y))


@op
def reciprocal(x) -> Tensor:
    """``1 / x``.

    >>> reciprocal(Tensor([4.0]))
    Tensor([0.25], dtype=float32)
    """
    return _primitive(x, np.reciprocal, lambda x, y: -y * y)


@op
def rsqrt(x) -> Tensor:
    """``1 / sqrt(x)``.

    >>> rsqrt(Tensor([4.0]))
    Tensor([0.5], dtype=float32)
    """
    return _primitive(x, lambda x: 1 / np.sqrt(x), lambda x, y: -0.5 * y / x)


def _sinc_derivative(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    px = np.pi * x
    safe = np.where(x == 0, 1, px)
    return np.where(x == 0, 0, (np.cos(safe) - y) / np.where(x == 0, 1, x))


@op
def sinc(x) -> Tensor:
    """Normalised sinc, ``sin(pi x) / (pi x)`` (1 at 0).

    >>> sinc(Tensor([0.0, 0.5])).data.round(4)
    array([1.    , 0.6366], dtype=float32)
    """
    return _primitive(x, np.sinc, _sinc_derivative)


@op
def i0(x) -> Tensor:
    """Modified Bessel function of the first kind, order 0 (its derivative is ``i1``).

    >>> i0(Tensor([0.0]))
    Tensor([1.], dtype=float32)
    """
    return _primitive(x, np.i0, lambda x, y: _special().i1(x))


@op
def deg2rad(x) -> Tensor:
    """Degrees to radians.

    >>> deg2rad(Tensor([180.0])).data.round(4)
    array([3.1416], dtype=float32)
    """
    return _primitive(x, np.deg2rad, lambda x, y: math.pi / 180)


@op
def rad2deg(x) -> Tensor:
    """Radians to degrees.

    >>> rad2deg(Tensor([np.pi]))
    Tensor([180.], dtype=float32)
    """
    return _primitive(x, np.rad2deg, lambda x, y: 180 / math.pi)


@op
def fabs(x) -> Tensor:
    """Absolute value as a float (ints become ``floatx()``).

    >>> fabs(Tensor([-2, 3]))
    Tensor([2., 3.], dtype=float32)
    """
    return _primitive(x, np.fabs, lambda x, y: np.sign(x))


@op
def absolute(x) -> Tensor:
    """Absolute value, keeping the dtype (alias of ``abs``).

    >>> absolute([-2, 3])
    Tensor([2, 3], dtype=int32)
    """
    from deepgrad.ops.elementwise import abs as _abs

    return _abs(tensor_of(x))


def _keep_ints(x, forward) -> Tensor:
    """Rounding: ints and bools pass through unchanged (Keras keeps their dtype)."""
    t = tensor_of(x)
    if t.dtype.kind in "iub":
        return t
    return _constant(t, forward)


@op
def floor(x) -> Tensor:
    """Largest integer at or below ``x`` (ints become ``floatx()`` as Keras).

    >>> floor(Tensor([1.5, -1.5]))
    Tensor([ 1., -2.], dtype=float32)
    """
    return _constant(x, np.floor)


@op
def ceil(x) -> Tensor:
    """Smallest integer at or above ``x`` (ints become ``floatx()`` as Keras).

    >>> ceil(Tensor([1.5, -1.5]))
    Tensor([ 2., -1.], dtype=float32)
    """
    return _constant(x, np.ceil)


@op
def trunc(x) -> Tensor:
    """Round toward zero; ints pass through.

    >>> trunc(Tensor([1.7, -1.7]))
    Tensor([ 1., -1.], dtype=float32)
    """
    return _keep_ints(x, np.trunc)


@op
def round(x, decimals: int = 0) -> Tensor:  # noqa: A001 - Keras's name
    """Round half to even, to ``decimals`` places; ints keep their dtype.

    >>> round(Tensor([0.5, 1.5, 2.675]), decimals=0)
    Tensor([0., 2., 3.], dtype=float32)
    """
    t = tensor_of(x)
    if t.dtype.kind in "iub":
        return Tensor(np.round(t.data, decimals=decimals))
    return _constant(t, lambda a: np.round(a, decimals=decimals))


@op
def sign(x) -> Tensor:
    """-1, 0 or 1 by the sign of ``x`` (keeping the dtype).

    >>> sign(Tensor([-2.0, 0.0, 3.0]))
    Tensor([-1.,  0.,  1.], dtype=float32)
    """
    t = tensor_of(x)
    if t.dtype.kind in "iub":
        return Tensor(np.sign(t.data))
    return _constant(t, np.sign)


@op
def nan_to_num(x, nan: float = 0.0, posinf=None, neginf=None) -> Tensor:
    """Replace NaN with ``nan`` and infinities with ``posinf``/``neginf`` (the largest
    finite values by default); the gradient flows only through finite entries.

    >>> nan_to_num(Tensor([np.nan, 1.0, np.inf]), posinf=9.0)
    Tensor([0., 1., 9.], dtype=float32)
    """
    x = tensor_of(x)
    if x.dtype.kind not in "fc":
        return x
    finite = np.isfinite(x.data)
    out = np.nan_to_num(x.data, nan=nan, posinf=posinf, neginf=neginf)
    return make_result(out, (x,), lambda g: (g * finite,))
