"""Keras 3's core ops: conversion, dtype and shape queries, casts, ``stop_gradient``,
``custom_gradient``; and the conversion helpers every other op file uses.

Values become Tensors by Keras's rules: a Tensor stays itself, a NumPy array keeps its
dtype (no copy), Python numbers and lists take Keras's default types (``float32`` for
floats, ``int32`` for ints). Mixed operands are promoted by :mod:`deepgrad.ops.dtypes`.

>>> import deepgrad as dg
>>> t = dg.ops.convert_to_tensor([1, 2])
>>> dg.ops.dtype(t), dg.ops.shape(t), dg.ops.is_tensor(t)
('int32', (2,), True)
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from deepgrad.ops.dtypes import dtype_of, float_dtype, result_type, standardize_dtype
from deepgrad.ops.symbolic import Symbolic, op
from deepgrad.tensor import Tensor, make_result

__all__ = [
    "convert_to_tensor",
    "convert_to_numpy",
    "is_tensor",
    "dtype",
    "shape",
    "ndim",
    "size",
    "saturate_cast",
    "stop_gradient",
    "custom_gradient",
    "copy",
    "array",
    "cast",
]


def tensor_of(x, dtype=None) -> Tensor:
    """``x`` as a Tensor by Keras's conversion rules (the helper behind every op).

    >>> tensor_of(2.5).dtype, tensor_of(np.int8(3)).dtype, tensor_of([True]).dtype
    (dtype('float32'), dtype('int8'), dtype('bool'))
    """
    if isinstance(x, Tensor):
        if dtype is None or x.dtype == np.dtype(dtype):
            return x
        return cast(x, dtype)
    if dtype is None:
        if isinstance(x, np.ndarray):
            return Tensor(x)
        dtype = result_type(dtype_of(x))
    if dtype == "string":  # text stays text, as in Keras's string tensors
        return Tensor(np.asarray(x))
    return Tensor(np.asarray(x, dtype=dtype))


def promote(*values, dtype=None) -> tuple[Tensor, ...]:
    """Tensors of the values, all in their promoted dtype (or ``dtype``); a cast on the way
    keeps gradients flowing.

    >>> [t.dtype.name for t in promote(np.ones(2, "int32"), 0.5)]
    ['float32', 'float32']
    """
    if dtype is None:
        first = values[0]
        if isinstance(first, Tensor) and all(
            isinstance(v, Tensor) and v.dtype == first.dtype for v in values
        ):
            return values
        dtype = result_type(*(dtype_of(v) for v in values))
    return tuple(tensor_of(v, dtype) for v in values)


def float_tensor(x) -> Tensor:
    """``x`` as a Tensor of a float type (ints and bools become ``floatx()``, as Keras).

    >>> float_tensor([1, 2]).dtype
    dtype('float32')
    """
    x = tensor_of(x)
    if x.dtype.kind == "f":
        return x
    return tensor_of(x, float_dtype(x.dtype.name))


@op
def cast(x, dtype) -> Tensor:
    """Convert to ``dtype``; the gradient is cast back to the input's dtype.

    >>> cast(Tensor([1.5]), "float64").dtype
    dtype('float64')
    """
    x = tensor_of(x)
    source = x.dtype
    return make_result(x.data.astype(standardize_dtype(dtype)), (x,),
                       lambda g: (g.astype(source),))


@op
def convert_to_tensor(x, dtype=None, sparse=None, ragged=None) -> Tensor:
    """Convert an array, number, list or Tensor to a Tensor (Keras's default types).

    Args:
        x: the value.
        dtype: target dtype; by default Keras's: float32 for Python floats, int32 for ints,
            an array's own dtype.
        sparse, ragged: accepted for Keras compatibility; deepgrad has dense tensors only.

    Raises:
        ValueError: for ``sparse=True`` or ``ragged=True``.

    >>> convert_to_tensor([1.0, 2.0])
    Tensor([1., 2.], dtype=float32)
    """
    if sparse or ragged:
        raise ValueError(
            "convert_to_tensor: deepgrad has dense tensors only. Received: "
            f"sparse={sparse}, ragged={ragged}"
        )
    return tensor_of(x, None if dtype is None else standardize_dtype(dtype))


def convert_to_numpy(x) -> np.ndarray:
    """A NumPy array of the values (a copy for Tensors, as Keras's ``np.array(x)``).

    >>> convert_to_numpy(Tensor([1.0]))
    array([1.], dtype=float32)
    """
    if isinstance(x, Symbolic):
        raise ValueError(
            "convert_to_numpy: a symbolic tensor has no values; it gets them when the model "
            "runs. To fix, call the model on data and convert its output."
        )
    if isinstance(x, Tensor):
        return x.data.copy()
    return np.array(x)


def is_tensor(x) -> bool:
    """Whether ``x`` is a deepgrad Tensor (Variables included; NumPy arrays are not).

    >>> is_tensor(Tensor([1.0])), is_tensor(np.ones(1))
    (True, False)
    """
    return isinstance(x, Tensor)


def dtype(x) -> str:
    """The standardized dtype name of a tensor, e.g. ``'float32'``.

    >>> dtype(Tensor([1.0]))
    'float32'
    """
    return standardize_dtype(x.dtype)


def shape(x) -> tuple:
    """The shape as a tuple (``None`` for unknown dimensions of a symbolic tensor).

    >>> shape(Tensor(np.zeros((8, 12))))
    (8, 12)
    """
    if hasattr(x, "shape"):
        return tuple(x.shape)
    return np.shape(x)


def ndim(x) -> int:
    """The number of dimensions.

    >>> ndim(Tensor(np.zeros((2, 3))))
    2
    """
    return len(shape(x))


def size(x) -> int | None:
    """The number of elements (``None`` when a symbolic dimension is unknown).

    >>> size(Tensor(np.zeros((2, 3))))
    6
    """
    total = 1
    for n in shape(x):
        if n is None:
            return None
        total *= n
    return total


@op
def saturate_cast(x, dtype) -> Tensor:
    """Cast to ``dtype``, clipping to its range first (``-1.0 -> uint8`` gives 0, not 255).

    As Keras: the limits are those of both types, nudged toward zero where the target's
    limit cannot be held exactly in the input type.

    >>> saturate_cast(Tensor([-1.0, 300.0]), "uint8")
    Tensor([  0, 255], dtype=uint8)
    """
    x = tensor_of(x)
    target = standardize_dtype(dtype)
    in_min, in_max = _limits(x.dtype.name)
    out_min, out_max = _limits(target)
    low = np.asarray(np.maximum(in_min, out_min)).astype(x.dtype)
    if low < out_min:
        low = np.nextafter(low, 0, dtype=x.dtype)
    high = np.asarray(np.minimum(in_max, out_max)).astype(x.dtype)
    if high > out_max:
        high = np.nextafter(high, 0, dtype=x.dtype)
    inside = (x.data >= low) & (x.data <= high)
    clipped = make_result(np.clip(x.data, low, high), (x,), lambda g: (g * inside,))
    return cast(clipped, target)


def _limits(name: str) -> tuple:
    if name == "bool":
        return 0, 1
    info = np.iinfo(name) if "int" in name else np.finfo(name)
    return info.min, info.max


@op
def stop_gradient(variable) -> Tensor:
    """The same values, cut from the graph: no gradient flows back through it.

    >>> w = Tensor([2.0], requires_grad=True)
    >>> stop_gradient(w * 3).requires_grad
    False
    """
    return Tensor(tensor_of(variable).data)


@op
def copy(x) -> Tensor:
    """A copy of ``x`` (the gradient passes through).

    >>> copy(Tensor([1.0]))
    Tensor([1.], dtype=float32)
    """
    x = tensor_of(x)
    return make_result(x.data.copy(), (x,), lambda g: (g,))


@op
def array(x, dtype=None) -> Tensor:
    """A new tensor holding ``x`` (NumPy's ``array``, Keras's default dtypes).

    >>> array([1, 2, 3], dtype="float32")
    Tensor([1., 2., 3.], dtype=float32)
    """
    if isinstance(x, Tensor):
        return Tensor(np.array(x.data, dtype=None if dtype is None else standardize_dtype(dtype)))
    return tensor_of(np.array(x) if isinstance(x, np.ndarray) else x,
                     None if dtype is None else standardize_dtype(dtype))


def custom_gradient(f: Callable) -> Callable:
    """Decorator for a function with its own gradient, as Keras's ``ops.custom_gradient``.

    ``f(*args)`` returns ``(output, grad_fn)``; ``grad_fn(upstream)`` returns the gradient
    of each tensor argument (one value, or a tuple). The function runs without recording
    a graph; the gradient it gives is the only one that flows back.

    >>> @custom_gradient
    ... def clip_gradient(x):
    ...     return x * 1, lambda upstream: upstream * 0.5
    >>> x = Tensor([3.0], requires_grad=True)
    >>> clip_gradient(x).sum().backward(); x.grad
    array([0.5], dtype=float32)
    """
    from deepgrad.tensor import no_grad

    def wrapper(*args, **kwargs):
        tensors = [a for a in args if isinstance(a, Tensor)]
        with no_grad():
            output, grad_fn = f(*args, **kwargs)
        output = tensor_of(output)

        def backward(g):
            with no_grad():
                grads = grad_fn(Tensor(g))
            if not isinstance(grads, (list, tuple)):
                grads = (grads,)
            return tuple(
                None if gr is None else np.asarray(getattr(gr, "data", gr), dtype=t.dtype)
                for gr, t in zip(grads, tensors)
            )

        return make_result(output.data, tuple(tensors), backward)

    wrapper.__name__ = getattr(f, "__name__", "custom_gradient")
    wrapper.__doc__ = f.__doc__
    return wrapper
