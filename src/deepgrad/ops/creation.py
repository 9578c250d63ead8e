"""Tensors made from shapes and ranges (``keras.ops`` names): ``zeros, ones, full, eye,
arange, linspace, meshgrid``, their ``*_like`` forms, and the window functions.

Defaults follow Keras: a missing ``dtype`` is ``floatx()`` for ``zeros/ones/full/eye``, the
promoted type of the arguments for ``arange`` (``arange(5)`` is int32) and a float type
for ``linspace``. The ``*_like`` ops of a tensor that requires grad pass no gradient (their
values do not depend on it); ``meshgrid`` and ``vander`` do pass gradients.

>>> import deepgrad as dg
>>> dg.ops.arange(3), dg.ops.zeros((2,)).dtype
(Tensor([0, 1, 2], dtype=int32), dtype('float32'))
"""

from __future__ import annotations

import numpy as np

from deepgrad import config
from deepgrad.ops.core import promote, tensor_of
from deepgrad.ops.dtypes import dtype_of, result_type, standardize_dtype
from deepgrad.ops.symbolic import op
from deepgrad.tensor import Tensor

__all__ = [
    "zeros", "ones", "full", "empty", "zeros_like", "ones_like", "full_like", "empty_like",
    "eye", "identity", "tri", "arange", "linspace", "logspace", "geomspace", "meshgrid",
    "vander", "bartlett", "blackman", "hamming", "hanning", "kaiser",
]


def _dtype(dtype) -> str:
    return config.floatx() if dtype is None else standardize_dtype(dtype)


def _shape(shape) -> tuple:
    if isinstance(shape, Tensor):
        shape = shape.data
    return (int(shape),) if np.ndim(shape) == 0 else tuple(int(n) for n in shape)


def zeros(shape, dtype=None) -> Tensor:
    """A tensor of zeros (``floatx()`` by default).

    >>> zeros((2, 3)).shape
    (2, 3)
    """
    return Tensor(np.zeros(_shape(shape), _dtype(dtype)))


def ones(shape, dtype=None) -> Tensor:
    """A tensor of ones (``floatx()`` by default).

    >>> ones(2)
    Tensor([1., 1.], dtype=float32)
    """
    return Tensor(np.ones(_shape(shape), _dtype(dtype)))


def full(shape, fill_value, dtype=None) -> Tensor:
    """A tensor filled with ``fill_value`` (``floatx()`` by default).

    >>> full((2,), 7)
    Tensor([7., 7.], dtype=float32)
    """
    fill = fill_value.data if isinstance(fill_value, Tensor) else fill_value
    return Tensor(np.full(_shape(shape), fill, _dtype(dtype)))


def empty(shape, dtype=None) -> Tensor:
    """A tensor of the shape; deepgrad fills it with zeros (NumPy would leave it
    uninitialised).

    >>> empty((1, 2))
    Tensor([[0., 0.]], dtype=float32)
    """
    return zeros(shape, dtype)


def _like(x, dtype) -> tuple[tuple, str]:
    x = tensor_of(x)
    return x.shape, x.dtype.name if dtype is None else standardize_dtype(dtype)


@op
def zeros_like(x, dtype=None) -> Tensor:
    """Zeros of ``x``'s shape and dtype (or ``dtype``).

    >>> zeros_like(Tensor([[1, 2]]))
    Tensor([[0, 0]], dtype=int64)
    """
    shape, dtype = _like(x, dtype)
    return Tensor(np.zeros(shape, dtype))


@op
def ones_like(x, dtype=None) -> Tensor:
    """Ones of ``x``'s shape and dtype (or ``dtype``).

    >>> ones_like(Tensor([1.0, 2.0]))
    Tensor([1., 1.], dtype=float32)
    """
    shape, dtype = _like(x, dtype)
    return Tensor(np.ones(shape, dtype))


@op
def full_like(x, fill_value, dtype=None) -> Tensor:
    """``fill_value`` in ``x``'s shape and dtype (or ``dtype``).

    >>> full_like(Tensor([1.0, 2.0]), 3)
    Tensor([3., 3.], dtype=float32)
    """
    shape, dtype = _like(x, dtype)
    fill = fill_value.data if isinstance(fill_value, Tensor) else fill_value
    return Tensor(np.full(shape, fill, dtype))


@op
def empty_like(x, dtype=None) -> Tensor:
    """A tensor of ``x``'s shape and dtype (zero-filled in deepgrad).

    >>> empty_like(Tensor([1.0]))
    Tensor([0.], dtype=float32)
    """
    shape, dtype = _like(x, dtype)
    return Tensor(np.zeros(shape, dtype))


def eye(N: int, M: int | None = None, k: int = 0, dtype=None) -> Tensor:  # noqa: N803
    """A 2-D tensor with ones on the ``k``-th diagonal.

    >>> eye(2, 3, k=1)
    Tensor([[0., 1., 0.],
            [0., 0., 1.]], dtype=float32)
    """
    return Tensor(np.eye(N, M=M, k=k, dtype=_dtype(dtype)))


def identity(n: int, dtype=None) -> Tensor:
    """The ``n x n`` identity matrix.

    >>> identity(2)
    Tensor([[1., 0.],
            [0., 1.]], dtype=float32)
    """
    return Tensor(np.identity(n, dtype=_dtype(dtype)))


def tri(N: int, M: int | None = None, k: int = 0, dtype=None) -> Tensor:  # noqa: N803
    """Ones at and below the ``k``-th diagonal, zeros above.

    >>> tri(2)
    Tensor([[1., 0.],
            [1., 1.]], dtype=float32)
    """
    return Tensor(np.tri(N, M=M, k=k, dtype=_dtype(dtype)))


def _value(v):
    return v.data if isinstance(v, Tensor) else v


def arange(start, stop=None, step=None, dtype=None) -> Tensor:
    """Evenly spaced values in ``[start, stop)`` (``arange(n)`` counts from 0); the dtype
    is promoted from the arguments (Python ints give int32).

    >>> arange(1, 2, 0.25)
    Tensor([1.  , 1.25, 1.5 , 1.75], dtype=float32)
    """
    if dtype is None:
        dtype = result_type(*(dtype_of(v) for v in (start, stop, step) if v is not None))
    if stop is None:
        start, stop = 0, start
    step = 1 if step is None else step
    return Tensor(np.arange(_value(start), _value(stop), _value(step),
                            dtype=standardize_dtype(dtype)))


def _float_type(*values, dtype) -> str:
    if dtype is not None:
        return standardize_dtype(dtype)
    return result_type(*(dtype_of(v) for v in values), float)


def linspace(start, stop, num: int = 50, endpoint: bool = True, retstep: bool = False,
             dtype=None, axis: int = 0) -> Tensor | tuple:
    """``num`` evenly spaced values from ``start`` to ``stop`` (with the step, for
    ``retstep=True``).

    >>> linspace(0, 1, 5)
    Tensor([0.  , 0.25, 0.5 , 0.75, 1.  ], dtype=float32)
    """
    dtype = _float_type(start, stop, dtype=dtype)
    out = np.linspace(_value(start), _value(stop), num=num, endpoint=endpoint, retstep=retstep,
                      dtype=dtype, axis=axis)
    if retstep:
        return Tensor(out[0]), out[1]
    return Tensor(out)


def logspace(start, stop, num: int = 50, endpoint: bool = True, base: float = 10,
             dtype=None, axis: int = 0) -> Tensor:
    """``base ** linspace(start, stop, num)``.

    >>> logspace(0, 2, 3)
    Tensor([  1.,  10., 100.], dtype=float32)
    """
    dtype = _float_type(start, stop, dtype=dtype)
    return Tensor(np.logspace(_value(start), _value(stop), num=num, endpoint=endpoint,
                              base=base, dtype=dtype, axis=axis))


def geomspace(start, stop, num: int = 50, endpoint: bool = True, dtype=None,
              axis: int = 0) -> Tensor:
    """``num`` values from ``start`` to ``stop`` spaced evenly on a log scale.

    >>> geomspace(1, 100, 3)
    Tensor([  1.,  10., 100.], dtype=float32)
    """
    return Tensor(np.geomspace(_value(start), _value(stop), num=num, endpoint=endpoint,
                               dtype=_dtype(dtype), axis=axis))


@op
def meshgrid(*x, indexing: str = "xy") -> list:
    """Coordinate grids from 1-D tensors (``'xy'`` Cartesian or ``'ij'`` matrix indexing);
    each grid is a broadcast of its input, so gradients flow back.

    >>> [g.shape for g in meshgrid(Tensor([1.0, 2.0, 3.0]), Tensor([4.0, 5.0]))]
    [(2, 3), (2, 3)]
    """
    from deepgrad.ops.shaping import broadcast_to, reshape

    if indexing not in ("xy", "ij"):
        raise ValueError(f"meshgrid: `indexing` must be 'xy' or 'ij'. Received: {indexing!r}")
    tensors = [tensor_of(t) for t in x]
    sizes = [t.size for t in tensors]
    if indexing == "xy" and len(tensors) >= 2:
        sizes[0], sizes[1] = sizes[1], sizes[0]
    grids = []
    for i, t in enumerate(tensors):
        axis = i
        if indexing == "xy" and len(tensors) >= 2 and i < 2:
            axis = 1 - i
        shape = [1] * len(tensors)
        shape[axis] = t.size
        grids.append(broadcast_to(reshape(t, shape), sizes))
    return grids


@op
def vander(x, N: int | None = None, increasing: bool = False) -> Tensor:  # noqa: N803
    """The Vandermonde matrix of a 1-D ``x``: columns ``x**(N-1), ..., x**0`` (reversed
    with ``increasing=True``).

    >>> vander(Tensor([2.0, 3.0]), 3)
    Tensor([[4., 2., 1.],
            [9., 3., 1.]], dtype=float32)
    """
    from deepgrad.ops.elementwise import power
    from deepgrad.ops.shaping import expand_dims

    x = tensor_of(x)
    if x.ndim != 1:
        raise ValueError(f"vander: `x` must be 1-D. Received: shape={x.shape}")
    n = x.shape[0] if N is None else N
    powers = np.arange(n) if increasing else np.arange(n)[::-1]
    (x,) = promote(x, dtype=result_type(x.dtype.name, config.floatx()))
    return power(expand_dims(x, 1), powers.astype(x.dtype))


def _window(fn, x, *args) -> Tensor:
    return Tensor(fn(int(_value(x)), *args).astype(config.floatx()))


def bartlett(x) -> Tensor:
    """The Bartlett (triangular) window of ``x`` points.

    >>> bartlett(5)
    Tensor([0. , 0.5, 1. , 0.5, 0. ], dtype=float32)
    """
    return _window(np.bartlett, x)


def blackman(x) -> Tensor:
    """The Blackman window of ``x`` points.

    >>> blackman(3).data.round(4)
    array([-0.,  1., -0.], dtype=float32)
    """
    return _window(np.blackman, x)


def hamming(x) -> Tensor:
    """The Hamming window of ``x`` points.

    >>> hamming(3)
    Tensor([0.08, 1.  , 0.08], dtype=float32)
    """
    return _window(np.hamming, x)


def hanning(x) -> Tensor:
    """The Hann window of ``x`` points.

    >>> hanning(3)
    Tensor([0., 1., 0.], dtype=float32)
    """
    return _window(np.hanning, x)


def kaiser(x, beta: float) -> Tensor:
    """The Kaiser window of ``x`` points with shape parameter ``beta``.

    >>> kaiser(3, 0.0)
    Tensor([1., 1., 1.], dtype=float32)
    """
    return _window(np.kaiser, x, beta)
