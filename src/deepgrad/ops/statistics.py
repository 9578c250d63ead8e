"""Order statistics and NaN-aware reductions (``keras.ops`` numpy names): ``median,
quantile, percentile, corrcoef`` and the ``nan*`` family.

All are composites: quantiles gather from :func:`sort` (so the gradient reaches the
elements they interpolate between), the ``nan*`` reductions replace NaN by the
reduction's neutral value with :func:`where` first.

>>> import deepgrad as dg
>>> dg.ops.quantile(dg.Tensor([1.0, 2.0, 3.0, 4.0]), 0.5)
Tensor(2.5, dtype=float32)
"""

from __future__ import annotations

import numpy as np

from deepgrad.ops import elementwise as ew
from deepgrad.ops import reduce as rd
from deepgrad.ops.core import float_tensor, tensor_of
from deepgrad.ops.dtypes import result_type
from deepgrad.ops.indexing import take_along_axis
from deepgrad.ops.shaping import expand_dims, moveaxis, reshape, transpose
from deepgrad.ops.sorting import sort
from deepgrad.ops.symbolic import op
from deepgrad.tensor import Tensor

__all__ = [
    "median", "quantile", "percentile", "nanmedian", "nanquantile", "nanpercentile",
    "nansum", "nanmean", "nanmax", "nanmin", "nanprod", "nanvar", "nanstd", "nanargmax",
    "nanargmin", "nancumsum", "nancumprod", "corrcoef",
]

_METHODS = ("linear", "lower", "higher", "midpoint", "nearest")


def _fractions(q) -> np.ndarray:
    """``q`` in float64, not through float32 (a Python 0.3 stays 0.3, as in NumPy)."""
    return np.asarray(q.data if isinstance(q, Tensor) else q, dtype=np.float64)


def _quantile(x, q, axis, method: str, keepdims: bool, skip_nan: bool) -> Tensor:
    if method not in _METHODS:
        raise ValueError(f"quantile: `method` must be one of {_METHODS}. Received: {method!r}")
    x = tensor_of(x)
    if x.dtype == np.bool_ or x.dtype.kind in "iu":
        x = tensor_of(x, result_type(x.dtype.name, float))
    ndim = x.ndim
    axes = tuple(range(ndim)) if axis is None else tuple(
        a % ndim for a in ((axis,) if np.ndim(axis) == 0 else axis))
    rest = [i for i in range(ndim) if i not in axes]
    moved = transpose(x, rest + list(axes))
    flat = reshape(moved, tuple(x.shape[i] for i in rest) + (-1,))
    ordered = sort(flat, axis=-1)  # NaN sorts last
    if skip_nan:
        count = np.sum(~np.isnan(flat.data), axis=-1, keepdims=True)
    else:
        count = np.full(flat.shape[:-1] + (1,), flat.shape[-1])
    qs = _fractions(q)
    outs = []
    for value in qs.reshape(-1):
        position = value * np.maximum(count - 1, 0)
        lo = np.floor(position).astype(np.int64)
        hi = np.minimum(lo + 1, np.maximum(count - 1, 0))
        frac = (position - lo).astype(x.dtype)
        if method == "lower":
            hi = lo
        elif method == "higher":
            lo = hi = np.ceil(position).astype(np.int64)
        elif method == "nearest":
            lo = hi = np.round(position).astype(np.int64)
        elif method == "midpoint":
            frac = np.where(position > lo, np.asarray(0.5, x.dtype), np.asarray(0, x.dtype))
        low = take_along_axis(ordered, lo, axis=-1)
        high = take_along_axis(ordered, hi, axis=-1)
        picked = ew.add(low, ew.multiply(ew.subtract(high, low), frac))
        outs.append(picked)
    from deepgrad.ops.shaping import concatenate

    out = concatenate(outs, axis=-1)  # (..., n_q)
    out = moveaxis(out, -1, 0)
    out = reshape(out, qs.shape + out.shape[1:])
    if keepdims:
        for a in sorted(axes):
            out = expand_dims(out, qs.ndim + a)
    return out


@op
def quantile(x, q, axis=None, method: str = "linear", keepdims: bool = False) -> Tensor:
    """The ``q``-th quantiles (``q`` in [0, 1], a number or a tensor) along ``axis``, with
    NumPy's interpolation ``method``; ``q``'s axes come first in the result.

    >>> quantile(Tensor([[1.0, 2.0], [3.0, 5.0]]), [0.0, 1.0], axis=1)
    Tensor([[1., 3.],
            [2., 5.]], dtype=float32)
    """
    return _quantile(x, q, axis, method, keepdims, skip_nan=False)


@op
def percentile(x, q, axis=None, method: str = "linear", keepdims: bool = False) -> Tensor:
    """The ``q``-th percentiles (``q`` in [0, 100]); see :func:`quantile`.

    >>> percentile(Tensor([1.0, 2.0, 3.0]), 50)
    Tensor(2., dtype=float32)
    """
    return _quantile(x, _fractions(q) / 100, axis, method, keepdims,
                     skip_nan=False)


@op
def median(x, axis=None, keepdims: bool = False) -> Tensor:
    """The median along ``axis`` (the mean of the two middle values for even lengths).

    >>> median(Tensor([3.0, 1.0, 4.0, 2.0]))
    Tensor(2.5, dtype=float32)
    """
    return _quantile(x, 0.5, axis, "linear", keepdims, skip_nan=False)


@op
def nanquantile(x, q, axis=None, method: str = "linear", keepdims: bool = False) -> Tensor:
    """:func:`quantile` ignoring NaN.

    >>> nanquantile(Tensor([1.0, np.nan, 3.0]), 0.5)
    Tensor(2., dtype=float32)
    """
    return _quantile(x, q, axis, method, keepdims, skip_nan=True)


@op
def nanpercentile(x, q, axis=None, method: str = "linear", keepdims: bool = False) -> Tensor:
    """:func:`percentile` ignoring NaN.

    >>> nanpercentile(Tensor([1.0, np.nan, 3.0]), 100)
    Tensor(3., dtype=float32)
    """
    return _quantile(x, _fractions(q) / 100, axis, method, keepdims,
                     skip_nan=True)


@op
def nanmedian(x, axis=None, keepdims: bool = False) -> Tensor:
    """:func:`median` ignoring NaN.

    >>> nanmedian(Tensor([1.0, np.nan, 3.0]))
    Tensor(2., dtype=float32)
    """
    return _quantile(x, 0.5, axis, "linear", keepdims, skip_nan=True)


def _nan_filled(x, value) -> tuple[Tensor, np.ndarray]:
    x = tensor_of(x)
    if x.dtype.kind not in "fc":
        return x, np.zeros(x.shape, bool)
    missing = np.isnan(x.data)
    return ew.where(missing, np.asarray(value, x.dtype), x), missing


@op
def nansum(x, axis=None, keepdims: bool = False) -> Tensor:
    """Sum treating NaN as zero.

    >>> nansum(Tensor([1.0, np.nan, 2.0]))
    Tensor(3., dtype=float32)
    """
    return rd.sum(_nan_filled(x, 0)[0], axis=axis, keepdims=keepdims)


@op
def nanmean(x, axis=None, keepdims: bool = False) -> Tensor:
    """Mean of the non-NaN elements.

    >>> nanmean(Tensor([1.0, np.nan, 3.0]))
    Tensor(2., dtype=float32)
    """
    filled, missing = _nan_filled(float_tensor(x), 0)
    count = np.sum(~missing, axis=_axis(axis), keepdims=keepdims).astype(filled.dtype)
    return ew.divide(rd.sum(filled, axis=axis, keepdims=keepdims), count)


def _axis(axis):
    return tuple(axis) if isinstance(axis, list) else axis


@op
def nanmax(x, axis=None, keepdims: bool = False) -> Tensor:
    """Maximum ignoring NaN.

    >>> nanmax(Tensor([1.0, np.nan, 3.0]))
    Tensor(3., dtype=float32)
    """
    return rd.max(_nan_filled(x, -np.inf)[0], axis=axis, keepdims=keepdims)


@op
def nanmin(x, axis=None, keepdims: bool = False) -> Tensor:
    """Minimum ignoring NaN.

    >>> nanmin(Tensor([1.0, np.nan, 3.0]))
    Tensor(1., dtype=float32)
    """
    return rd.min(_nan_filled(x, np.inf)[0], axis=axis, keepdims=keepdims)


@op
def nanprod(x, axis=None, keepdims: bool = False) -> Tensor:
    """Product treating NaN as one.

    >>> nanprod(Tensor([2.0, np.nan, 3.0]))
    Tensor(6., dtype=float32)
    """
    return rd.prod(_nan_filled(x, 1)[0], axis=axis, keepdims=keepdims)


@op
def nanvar(x, axis=None, keepdims: bool = False) -> Tensor:
    """Population variance of the non-NaN elements.

    >>> nanvar(Tensor([1.0, np.nan, 3.0]))
    Tensor(1., dtype=float32)
    """
    x = float_tensor(x)
    centre = nanmean(x, axis=axis, keepdims=True)
    return nanmean(ew.square(ew.subtract(x, centre)), axis=axis, keepdims=keepdims)


@op
def nanstd(x, axis=None, keepdims: bool = False) -> Tensor:
    """Population standard deviation of the non-NaN elements.

    >>> nanstd(Tensor([1.0, np.nan, 3.0]))
    Tensor(1., dtype=float32)
    """
    return ew.sqrt(nanvar(x, axis=axis, keepdims=keepdims))


def _nanarg(x, axis, keepdims: bool, fill: float, fn) -> Tensor:
    data = tensor_of(x).data
    if data.dtype.kind != "f":
        return rd.argmax(x, axis, keepdims) if fill < 0 else rd.argmin(x, axis, keepdims)
    missing = np.isnan(data)
    index = fn(np.where(missing, fill, data), axis=axis, keepdims=keepdims).astype(np.int32)
    return Tensor(np.where(np.all(missing, axis=axis, keepdims=keepdims), -1, index))


@op
def nanargmax(x, axis=None, keepdims: bool = False) -> Tensor:
    """Index of the maximum ignoring NaN (-1 where a slice is all NaN), as int32.

    >>> nanargmax(Tensor([1.0, np.nan, 3.0]))
    Tensor(2, dtype=int32)
    """
    return _nanarg(x, axis, keepdims, -np.inf, np.argmax)


@op
def nanargmin(x, axis=None, keepdims: bool = False) -> Tensor:
    """Index of the minimum ignoring NaN (-1 where a slice is all NaN), as int32.

    >>> nanargmin(Tensor([np.nan, 2.0, 3.0]))
    Tensor(1, dtype=int32)
    """
    return _nanarg(x, axis, keepdims, np.inf, np.argmin)


@op
def nancumsum(x, axis=None, dtype=None) -> Tensor:
    """Cumulative sum treating NaN as zero.

    >>> nancumsum(Tensor([1.0, np.nan, 2.0]))
    Tensor([1., 1., 3.], dtype=float32)
    """
    return rd.cumsum(_nan_filled(x, 0)[0], axis=axis, dtype=dtype)


@op
def nancumprod(x, axis=None, dtype=None) -> Tensor:
    """Cumulative product treating NaN as one.

    >>> nancumprod(Tensor([2.0, np.nan, 3.0]))
    Tensor([2., 2., 6.], dtype=float32)
    """
    return rd.cumprod(_nan_filled(x, 1)[0], axis=axis, dtype=dtype)


@op
def corrcoef(x) -> Tensor:
    """Pearson correlation coefficients between the rows of ``x`` (variables in rows),
    clipped to [-1, 1] as NumPy.

    >>> corrcoef(Tensor([[1.0, 2.0, 3.0], [2.0, 4.0, 7.0]])).data.round(3)
    array([[1.   , 0.993],
           [0.993, 1.   ]], dtype=float32)
    """
    from deepgrad.ops.matmul import matmul

    x = tensor_of(x)
    if x.dtype.name not in ("float64", "float16", "bfloat16"):
        x = tensor_of(x, "float64" if x.dtype.name == "int64" else result_type(float))
    if x.ndim == 1:
        x = reshape(x, (1, -1))
    centred = ew.subtract(x, rd.mean(x, axis=-1, keepdims=True))
    cov = matmul(centred, transpose(centred))
    scale = ew.sqrt(rd.sum(ew.square(centred), axis=-1))
    out = ew.divide(cov, ew.multiply(reshape(scale, (-1, 1)), reshape(scale, (1, -1))))
    out = ew.clip(out, -1.0, 1.0)
    return reshape(out, ()) if out.shape == (1, 1) else out
