"""Complex numbers and bit views (``keras.ops`` names): ``real, imag, conj, conjugate,
angle, view, view_as_complex, view_as_real``.

deepgrad's gradients are real: on real inputs ``real`` and ``conj`` pass the gradient
through and ``imag`` and ``angle`` are constant; on complex inputs these ops give values
only.

>>> import deepgrad as dg
>>> z = dg.ops.view_as_complex(dg.Tensor([[1.0, 2.0]]))
>>> z, dg.ops.real(z), dg.ops.imag(z)
(Tensor([1.+2.j], dtype=complex64), Tensor([1.], dtype=float32), Tensor([2.], dtype=float32))
"""

from __future__ import annotations

import numpy as np

from deepgrad.ops.core import float_tensor, tensor_of
from deepgrad.ops.dtypes import standardize_dtype
from deepgrad.ops.symbolic import op
from deepgrad.tensor import Tensor, make_result

__all__ = ["real", "imag", "conj", "conjugate", "angle", "view", "view_as_complex",
           "view_as_real"]


def _identity(x: Tensor) -> Tensor:
    return make_result(x.data.copy(), (x,), lambda g: (g,))


@op
def real(x) -> Tensor:
    """The real part (the tensor itself for real dtypes).

    >>> real(Tensor(np.array([1 + 2j])))
    Tensor([1.], dtype=float64)
    """
    x = tensor_of(x)
    return Tensor(np.real(x.data).copy()) if x.dtype.kind == "c" else _identity(x)


@op
def imag(x) -> Tensor:
    """The imaginary part (zeros for real dtypes).

    >>> imag(Tensor(np.array([1 + 2j])))
    Tensor([2.], dtype=float64)
    """
    x = tensor_of(x)
    if x.dtype.kind == "c":
        return Tensor(np.imag(x.data).copy())
    return make_result(np.zeros_like(x.data), (x,), lambda g: (np.zeros_like(g),))


@op
def conjugate(x) -> Tensor:
    """The complex conjugate (the tensor itself for real dtypes).

    >>> conjugate(Tensor(np.array([1 + 2j])))
    Tensor([1.-2.j], dtype=complex128)
    """
    x = tensor_of(x)
    return Tensor(np.conjugate(x.data)) if x.dtype.kind == "c" else _identity(x)


@op
def conj(x) -> Tensor:
    """Alias of :func:`conjugate`.

    >>> conj(Tensor([3.0]))
    Tensor([3.], dtype=float32)
    """
    return conjugate(x)


@op
def angle(x) -> Tensor:
    """The argument of each complex number (0 or pi for real numbers), in a float type.

    >>> angle(Tensor(np.array([1j, -1.0 + 0j]))).data.round(4)
    array([1.5708, 3.1416])
    """
    x = tensor_of(x)
    if x.dtype.kind == "c":
        return Tensor(np.angle(x.data))
    x = float_tensor(x)
    return make_result(np.angle(x.data).astype(x.dtype), (x,), lambda g: (np.zeros_like(g),))


@op
def view(x, dtype=None) -> Tensor:
    """The same bytes seen as another dtype (the last axis rescaled by the item sizes);
    no gradient.

    >>> view(Tensor(np.array([1.0], "float32")), "int32")
    Tensor([1065353216], dtype=int32)
    """
    data = tensor_of(x).data
    return Tensor(data.view(data.dtype if dtype is None else standardize_dtype(dtype)))


@op
def view_as_complex(x) -> Tensor:
    """Pairs on the last axis (length 2) as complex numbers.

    Raises:
        ValueError: if the last axis does not have length 2.

    >>> view_as_complex(Tensor(np.array([[1.0, -1.0]])))
    Tensor([1.-1.j], dtype=complex128)
    """
    data = float_tensor(x).data
    if data.shape[-1:] != (2,):
        raise ValueError(f"view_as_complex: the last axis must have length 2. Received: "
                         f"shape={data.shape}")
    dtype = np.complex128 if data.dtype == np.float64 else np.complex64
    return Tensor((data[..., 0] + 1j * data[..., 1]).astype(dtype))


@op
def view_as_real(x) -> Tensor:
    """Complex numbers as ``(..., 2)`` pairs of their real and imaginary parts.

    >>> view_as_real(Tensor(np.array([1 - 1j])))
    Tensor([[ 1., -1.]], dtype=float64)
    """
    data = tensor_of(x).data
    return Tensor(np.stack([np.real(data), np.imag(data)], axis=-1))
