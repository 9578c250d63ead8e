"""Reductions along axes: sum, mean, max, min, prod, var, std, logsumexp, arg-extremes,
and the cumulative sum and product, with Keras 3's ``axis``/``keepdims`` and dtype rules
(``sum`` of bools is int32; ``mean``, ``var``, ``std`` of integers are floatx).

>>> import deepgrad as dg
>>> x = dg.Tensor([[1.0, 5.0], [3.0, 2.0]], requires_grad=True)
>>> x.max(axis=1).sum().backward()
>>> x.grad
array([[0., 1.],
       [1., 0.]], dtype=float32)
"""

from __future__ import annotations

import builtins

import numpy as np

from deepgrad.ops.core import float_tensor, tensor_of
from deepgrad.ops.dtypes import result_type
from deepgrad.ops.symbolic import op
from deepgrad.tensor import Tensor, make_result

__all__ = [
    "sum", "mean", "max", "min", "amax", "amin", "logsumexp", "prod", "var", "std", "ptp",
    "argmax", "argmin", "cumsum", "cumprod", "count_nonzero", "average",
]

# Keras (after JAX) sums small integer types in 32 bits.
_WIDER = {"bool": "int32", "int8": "int32", "int16": "int32", "uint8": "uint32",
          "uint16": "uint32"}


def _sum_dtype(dtype: np.dtype):
    """The accumulator of sums and products, as Keras (JAX's rule): bools and small ints
    in 32 bits, other ints in their own width (NumPy alone would widen int32 to int64),
    floats as they are."""
    if dtype.kind in "biu":
        return np.dtype(_WIDER.get(dtype.name, dtype.name))
    return None


def _axes(axis, ndim: int) -> tuple[int, ...]:
    if axis is None:
        return tuple(range(ndim))
    if type(axis) is int and ndim:
        return (axis % ndim,)
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    return tuple(int(a) % ndim for a in axes) if ndim else ()


def _kept_shape(shape: tuple[int, ...], axes: tuple[int, ...]) -> tuple[int, ...]:
    """The shape of the reduction with ``keepdims=True``: reduced axes become 1."""
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


def _spread(g: np.ndarray, kept: tuple[int, ...], shape: tuple[int, ...]) -> np.ndarray:
    """Broadcast a reduced gradient back to the input's shape (read-only view)."""
    if g.ndim == 0 or g.size == 1:
        out = np.empty(shape, dtype=g.dtype)
        out.fill(g.item() if g.ndim else g)
        return out
    return np.broadcast_to(g.reshape(kept), shape)


@op
def sum(x, axis=None, keepdims: bool = False) -> Tensor:  # noqa: A001
    """Sum over ``axis`` (all axes by default); bools and small ints sum in 32 bits.

    >>> sum(Tensor([[1.0, 2.0], [3.0, 4.0]]), axis=0)
    Tensor([4., 6.], dtype=float32)
    """
    x = tensor_of(x)
    axes = _axes(axis, x.ndim)
    shape = x.shape
    kept = _kept_shape(shape, axes)
    out = np.add.reduce(x.data, axis=axes, keepdims=keepdims, dtype=_sum_dtype(x.dtype))

    def backward(g):
        return (_spread(g, kept, shape),)

    return make_result(out, (x,), backward)


@op
def mean(x, axis=None, keepdims: bool = False) -> Tensor:
    """Mean over ``axis`` (all axes by default), in the input's float type (ints: floatx).

    >>> mean(Tensor([[1.0, 2.0], [3.0, 4.0]]), axis=1)
    Tensor([1.5, 3.5], dtype=float32)
    """
    x = tensor_of(x)
    if x.dtype.kind != "f":
        x = tensor_of(x, result_type(x.dtype.name, "float32"))
    axes = _axes(axis, x.ndim)
    shape = x.shape
    kept = _kept_shape(shape, axes)
    count = 1
    for i in axes:
        count *= shape[i]
    # The mean of nothing is NaN, as in NumPy, TensorFlow and Keras (0 would hide an empty
    # slice, e.g. a crop larger than the feature map).
    scale = np.asarray(1.0 / count if count else np.nan, dtype=x.dtype)

    def backward(g):
        return (_spread(g * scale, kept, shape),)

    out = np.add.reduce(x.data, axis=axes, keepdims=keepdims) * scale
    return make_result(out, (x,), backward)


def _extreme(x, axis, keepdims: bool, initial, fn, pick) -> Tensor:
    x = tensor_of(x)
    axes = _axes(axis, x.ndim)
    data = x.data
    if initial is not None:
        data = pick(data, np.asarray(initial, x.dtype))
    out = fn(data, axis=axes, keepdims=True)

    def backward(g):
        # Ties share the gradient equally, as in PyTorch's amax/amin; an ``initial`` that
        # wins takes it all.
        mask = x.data == out
        count = np.maximum(mask.sum(axis=axes, keepdims=True), 1)
        return (g.reshape(out.shape) * mask / count.astype(x.dtype),)

    return make_result(out if keepdims else np.squeeze(out, axis=axes), (x,), backward)


@op
def max(x, axis=None, keepdims: bool = False, initial=None) -> Tensor:  # noqa: A001
    """Maximum over ``axis`` (at least ``initial``); tied maxima share the gradient.

    >>> max(Tensor([[1.0, 5.0], [3.0, 2.0]]), axis=0)
    Tensor([3., 5.], dtype=float32)
    """
    return _extreme(x, axis, keepdims, initial, np.max, np.maximum)


@op
def min(x, axis=None, keepdims: bool = False, initial=None) -> Tensor:  # noqa: A001
    """Minimum over ``axis`` (at most ``initial``); tied minima share the gradient.

    >>> min(Tensor([[1.0, 5.0], [3.0, 2.0]]), axis=0)
    Tensor([1., 2.], dtype=float32)
    """
    return _extreme(x, axis, keepdims, initial, np.min, np.minimum)


@op
def amax(x, axis=None, keepdims: bool = False) -> Tensor:
    """Maximum over ``axis`` (NumPy's ``amax``).

    >>> amax(Tensor([1.0, 4.0, 2.0]))
    Tensor(4., dtype=float32)
    """
    return _extreme(x, axis, keepdims, None, np.max, np.maximum)


@op
def amin(x, axis=None, keepdims: bool = False) -> Tensor:
    """Minimum over ``axis`` (NumPy's ``amin``).

    >>> amin(Tensor([1.0, 4.0, 2.0]))
    Tensor(1., dtype=float32)
    """
    return _extreme(x, axis, keepdims, None, np.min, np.minimum)


@op
def logsumexp(x, axis=None, keepdims: bool = False) -> Tensor:
    """``log(sum(exp(x)))`` computed stably (the maximum is subtracted first).

    >>> round(float(logsumexp(Tensor([1000.0, 1000.0]))), 2)
    1000.69
    """
    x = float_tensor(x)
    axes = _axes(axis, x.ndim)
    top = np.max(x.data, axis=axes, keepdims=True)
    top = np.where(np.isfinite(top), top, 0)
    shifted = np.exp(x.data - top)
    total = shifted.sum(axis=axes, keepdims=True)
    with np.errstate(divide="ignore"):
        out = np.log(total) + top

    def backward(g):
        return (g.reshape(total.shape) * (shifted / total),)

    return make_result(out if keepdims else np.squeeze(out, axis=axes), (x,), backward)


def _exclusive_products(data: np.ndarray, axes: tuple[int, ...]) -> np.ndarray:
    """For each element, the product of the others in its reduction group (exact with
    zeros: a product of left and right cumulative products)."""
    rest = [i for i in range(data.ndim) if i not in axes]
    moved = np.transpose(data, rest + list(axes))
    flat = moved.reshape(moved.shape[: len(rest)] + (-1,))
    ones = np.ones(flat.shape[:-1] + (1,), data.dtype)
    left = np.cumprod(np.concatenate([ones, flat[..., :-1]], axis=-1), axis=-1)
    right = np.cumprod(np.concatenate([ones, flat[..., :0:-1]], axis=-1), axis=-1)[..., ::-1]
    return np.transpose((left * right).reshape(moved.shape), np.argsort(rest + list(axes)))


@op
def prod(x, axis=None, keepdims: bool = False, dtype=None) -> Tensor:
    """Product over ``axis``; the gradient is exact where inputs are zero.

    >>> prod(Tensor([[1.0, 2.0], [3.0, 4.0]]), axis=1)
    Tensor([ 2., 12.], dtype=float32)
    """
    x = tensor_of(x)
    if dtype is None:
        dtype = _WIDER.get(x.dtype.name, x.dtype.name)
    x = tensor_of(x, dtype)
    axes = _axes(axis, x.ndim)
    kept = _kept_shape(x.shape, axes)
    out = np.prod(x.data, axis=axes, keepdims=keepdims, dtype=_sum_dtype(x.dtype))

    def backward(g):
        return (g.reshape(kept) * _exclusive_products(x.data, axes),)

    return make_result(out, (x,), backward)


@op
def var(x, axis=None, keepdims: bool = False) -> Tensor:
    """Population variance over ``axis`` (ints: floatx).

    >>> var(Tensor([1.0, 2.0, 3.0, 4.0]))
    Tensor(1.25, dtype=float32)
    """
    from deepgrad.ops.elementwise import square, subtract

    x = float_tensor(x)
    centred = subtract(x, mean(x, axis=axis, keepdims=True))
    return mean(square(centred), axis=axis, keepdims=keepdims)


@op
def std(x, axis=None, keepdims: bool = False) -> Tensor:
    """Population standard deviation over ``axis`` (ints: floatx).

    >>> std(Tensor([1.0, 3.0]))
    Tensor(1., dtype=float32)
    """
    from deepgrad.ops.elementwise import sqrt

    return sqrt(var(x, axis=axis, keepdims=keepdims))


@op
def ptp(x, axis=None, keepdims: bool = False) -> Tensor:
    """Peak to peak: ``max - min`` over ``axis``.

    >>> ptp(Tensor([[4.0, 9.0, 2.0]]), axis=1)
    Tensor([7.], dtype=float32)
    """
    from deepgrad.ops.elementwise import subtract

    return subtract(max(x, axis=axis, keepdims=keepdims), min(x, axis=axis, keepdims=keepdims))


def _arg(x, axis, keepdims: bool, fn) -> Tensor:
    data = tensor_of(x).data
    if data.dtype.kind == "f" and data.ndim:
        # -0.0 sorts below +0.0, as in Keras.
        data = np.where((data == 0) & np.signbit(data), -np.finfo(data.dtype).tiny, data)
    return Tensor(fn(data, axis=axis, keepdims=keepdims).astype(np.int32))


@op
def argmax(x, axis=None, keepdims: bool = False) -> Tensor:
    """Index of the maximum (over the flattened tensor by default), as int32.

    >>> argmax(Tensor([[1.0, 5.0], [3.0, 2.0]]), axis=1)
    Tensor([1, 0], dtype=int32)
    """
    return _arg(x, axis, keepdims, np.argmax)


@op
def argmin(x, axis=None, keepdims: bool = False) -> Tensor:
    """Index of the minimum (over the flattened tensor by default), as int32.

    >>> argmin(Tensor([[1.0, 5.0], [3.0, 2.0]]), axis=1)
    Tensor([0, 1], dtype=int32)
    """
    return _arg(x, axis, keepdims, np.argmin)


def _cumulative_input(x, axis, dtype) -> tuple[Tensor, int]:
    x = tensor_of(x)
    target = result_type(x.dtype.name if dtype is None else dtype)
    x = tensor_of(x, "int32" if target == "bool" else target)
    if axis is None:
        from deepgrad.ops.shaping import reshape

        return reshape(x, (-1,)), 0
    return x, int(axis) % builtins.max(x.ndim, 1)


@op
def cumsum(x, axis=None, dtype=None) -> Tensor:
    """Cumulative sum along ``axis`` (of the flattened tensor by default).

    >>> cumsum(Tensor([1.0, 2.0, 3.0]))
    Tensor([1., 3., 6.], dtype=float32)
    """
    x, axis = _cumulative_input(x, axis, dtype)
    out = np.cumsum(x.data, axis=axis, dtype=_sum_dtype(x.dtype))

    def backward(g):
        return (np.flip(np.cumsum(np.flip(g, axis), axis=axis), axis),)

    return make_result(out, (x,), backward)


@op
def cumprod(x, axis=None, dtype=None) -> Tensor:
    """Cumulative product along ``axis`` (of the flattened tensor by default); the gradient
    is exact where inputs are zero.

    >>> cumprod(Tensor([1.0, 2.0, 3.0]))
    Tensor([1., 2., 6.], dtype=float32)
    """
    x, axis = _cumulative_input(x, axis, dtype)
    out = np.cumprod(x.data, axis=axis, dtype=_sum_dtype(x.dtype))

    def backward(g):
        data = np.moveaxis(x.data, axis, -1)
        gm = np.moveaxis(g, axis, -1)
        if np.all(data != 0):
            outm = np.moveaxis(out, axis, -1)
            total = np.flip(np.cumsum(np.flip(gm * outm, -1), axis=-1), -1)
            return (np.moveaxis(total / data, -1, axis),)
        # With zeros: d out_j / d x_i is the running product with x_i taken out.
        grad = np.empty_like(data)
        for i in range(data.shape[-1]):
            without = data.copy()
            without[..., i] = 1
            grad[..., i] = (gm[..., i:] * np.cumprod(without, axis=-1)[..., i:]).sum(-1)
        return (np.moveaxis(grad, -1, axis),)

    return make_result(out, (x,), backward)


@op
def count_nonzero(x, axis=None) -> Tensor:
    """Number of non-zero elements along ``axis``, as int32.

    >>> count_nonzero(Tensor([[0, 1], [2, 3]]), axis=0)
    Tensor([1, 2], dtype=int32)
    """
    axis = tuple(axis) if isinstance(axis, list) else axis
    return Tensor(np.asarray(np.count_nonzero(tensor_of(x).data, axis=axis), np.int32))


@op
def average(x, axis=None, weights=None) -> Tensor:
    """Weighted mean along ``axis``; 1-D ``weights`` run along that axis (NumPy's rule).

    >>> average(Tensor([1.0, 2.0, 3.0]), weights=Tensor([3.0, 1.0, 0.0]))
    Tensor(1.25, dtype=float32)
    """
    from deepgrad.ops.core import promote
    from deepgrad.ops.dtypes import dtype_of
    from deepgrad.ops.elementwise import divide, multiply
    from deepgrad.ops.shaping import reshape

    x = tensor_of(x)
    if weights is None:
        return mean(float_tensor(x), axis=axis)
    dtype = result_type(x.dtype.name, float, dtype_of(weights))
    x, w = promote(x, weights, dtype=dtype)
    if w.ndim == 1 and x.ndim > 1 and axis is not None:
        shape = [1] * x.ndim
        shape[int(axis) % x.ndim] = w.shape[0]
        w = reshape(w, shape)
    return divide(sum(multiply(x, w), axis=axis), sum(w * np.ones(x.shape, dtype), axis=axis))
