"""Inverses, determinants, linear solves and norms (``keras.ops.linalg`` and friends):
``inv, det, slogdet, logdet, solve, solve_triangular, lstsq, pinv, cholesky_inverse, norm,
jvp``, batched over leading axes.

``inv``, ``det``, ``slogdet``, ``solve``, ``solve_triangular`` and ``pinv`` are primitives
with their matrix-calculus backward; the rest are composites.

>>> import deepgrad as dg
>>> a = dg.Tensor([[2.0, 0.0], [0.0, 4.0]], requires_grad=True)
>>> dg.ops.det(a).backward(); a.grad
array([[4., 0.],
       [0., 2.]], dtype=float32)
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from deepgrad.ops.core import float_tensor, promote, tensor_of
from deepgrad.ops.dtypes import dtype_of, result_type
from deepgrad.ops.symbolic import op
from deepgrad.tensor import Tensor, make_result, unbroadcast

__all__ = [
    "inv", "det", "slogdet", "logdet", "solve", "solve_triangular", "lstsq", "pinv",
    "cholesky_inverse", "norm", "jvp",
]


def _t(a: np.ndarray) -> np.ndarray:
    return np.swapaxes(a, -1, -2)


@op
def inv(x) -> Tensor:
    """The inverse of square matrices.

    >>> inv(Tensor([[2.0, 0.0], [0.0, 4.0]]))
    Tensor([[0.5 , 0.  ],
            [0.  , 0.25]], dtype=float32)
    """
    x = float_tensor(x)
    out = np.linalg.inv(x.data)
    return make_result(out, (x,), lambda g: (-_t(out) @ g @ _t(out),))


@op
def det(x) -> Tensor:
    """The determinant of square matrices.

    >>> round(float(det(Tensor([[1.0, 2.0], [3.0, 4.0]]))), 4)
    -2.0
    """
    x = float_tensor(x)
    out = np.linalg.det(x.data)
    return make_result(out, (x,), lambda g: (
        (g * out)[..., None, None] * _t(np.linalg.inv(x.data)),))


@op
def slogdet(x) -> tuple[Tensor, Tensor]:
    """The sign and the log of the absolute value of the determinant.

    >>> slogdet(Tensor([[2.0, 0.0], [0.0, -1.0]]))[0]
    Tensor(-1., dtype=float32)
    """
    x = float_tensor(x)
    sign, logabs = np.linalg.slogdet(x.data)
    log_out = make_result(logabs, (x,), lambda g: (
        g[..., None, None] * _t(np.linalg.inv(x.data)),))
    return Tensor(sign), log_out


@op
def logdet(x) -> Tensor:
    """The log-determinant of Hermitian positive-definite matrices.

    >>> logdet(Tensor([[np.e, 0.0], [0.0, 1.0]]))
    Tensor(1., dtype=float32)
    """
    return slogdet(x)[1]


@op
def solve(a, b) -> Tensor:
    """The solution ``x`` of ``a @ x = b`` (``b`` a vector when 1-D, else matrices).

    >>> solve(Tensor([[2.0, 0.0], [0.0, 4.0]]), Tensor([2.0, 2.0]))
    Tensor([1. , 0.5], dtype=float32)
    """
    a, b = promote(a, b, dtype=result_type(dtype_of(a), dtype_of(b), float))
    out = np.linalg.solve(a.data, b.data)
    vector = b.ndim == 1

    def backward(g):
        gb = np.linalg.solve(_t(a.data), g)
        ga = -(gb[..., :, None] * out[..., None, :] if vector else gb @ _t(out))
        return unbroadcast(ga, a.shape), unbroadcast(gb, b.shape)

    return make_result(out, (a, b), backward)


@op
def solve_triangular(a, b, lower: bool = False) -> Tensor:
    """The solution of ``a @ x = b`` reading only the lower (``lower=True``) or upper
    triangle of ``a``.

    >>> solve_triangular(Tensor([[2.0, 0.0], [1.0, 1.0]]), Tensor([2.0, 3.0]), lower=True)
    Tensor([1., 2.], dtype=float32)
    """
    from deepgrad.ops.diagonals import tril, triu

    a, b = promote(a, b, dtype=result_type(dtype_of(a), dtype_of(b), float))
    return solve(tril(a) if lower else triu(a), b)


@op
def lstsq(a, b, rcond=None) -> Tensor:
    """The least-squares solution of ``a @ x = b`` (``pinv(a) @ b``).

    >>> lstsq(Tensor([[1.0], [1.0]]), Tensor([1.0, 3.0]))
    Tensor([2.], dtype=float32)
    """
    from deepgrad.ops.matmul import matmul

    a, b = promote(a, b, dtype=result_type(dtype_of(a), dtype_of(b), float))
    return matmul(pinv(a, rcond=rcond), b)


@op
def pinv(x, rcond=None) -> Tensor:
    """The Moore-Penrose pseudo-inverse (singular values below ``rcond`` times the largest
    count as zero); its gradient holds where the rank does not change (Golub-Pereyra).

    >>> pinv(Tensor([[2.0, 0.0], [0.0, 0.0]]))
    Tensor([[0.5, 0. ],
            [0. , 0. ]], dtype=float32)
    """
    x = float_tensor(x)
    kwargs = {} if rcond is None else {"rcond": rcond}
    p = np.linalg.pinv(x.data, **kwargs)

    def backward(g):
        a = x.data
        eye_m = np.eye(a.shape[-2], dtype=a.dtype)
        eye_n = np.eye(a.shape[-1], dtype=a.dtype)
        pt = _t(p)
        return (
            -pt @ g @ pt
            + (eye_m - a @ p) @ _t(g) @ p @ pt
            + pt @ p @ _t(g) @ (eye_n - p @ a),
        )

    return make_result(p, (x,), backward)


@op
def cholesky_inverse(x, upper: bool = False) -> Tensor:
    """The inverse of ``A`` from its Cholesky factor (``A = L @ L.T``, or ``U.T @ U`` with
    ``upper=True``).

    >>> cholesky_inverse(Tensor([[2.0, 0.0], [0.0, 1.0]]))
    Tensor([[0.25, 0.  ],
            [0.  , 1.  ]], dtype=float32)
    """
    from deepgrad.ops.diagonals import tril, triu
    from deepgrad.ops.matmul import matmul
    from deepgrad.ops.shaping import swapaxes

    # Only the factor's triangle is read, as Keras's triangular solve reads it.
    x = triu(float_tensor(x)) if upper else tril(float_tensor(x))
    t = swapaxes(x, -1, -2)
    return inv(matmul(t, x) if upper else matmul(x, t))


def _vector_norm(x: Tensor, ord, axis, keepdims: bool) -> Tensor:  # noqa: A002
    from deepgrad.ops import elementwise as ew
    from deepgrad.ops import reduce as rd

    if ord is None or ord == 2:
        return ew.sqrt(rd.sum(ew.square(x), axis=axis, keepdims=keepdims))
    if ord == np.inf:
        return rd.max(ew.abs(x), axis=axis, keepdims=keepdims)
    if ord == -np.inf:
        return rd.min(ew.abs(x), axis=axis, keepdims=keepdims)
    if ord == 0:
        return rd.sum(tensor_of((x.data != 0).astype(x.dtype)), axis=axis, keepdims=keepdims)
    if isinstance(ord, str):
        raise ValueError(f"norm: ord={ord!r} is a matrix norm; give a 2-tuple `axis`.")
    total = rd.sum(ew.power(ew.abs(x), float(ord)), axis=axis, keepdims=keepdims)
    return ew.power(total, 1.0 / ord)


def _matrix_norm(x: Tensor, ord, axis: tuple, keepdims: bool) -> Tensor:  # noqa: A002
    from deepgrad.ops import elementwise as ew
    from deepgrad.ops import reduce as rd
    from deepgrad.ops.decompositions import svd
    from deepgrad.ops.shaping import expand_dims, moveaxis

    row, col = (a % x.ndim for a in axis)
    if ord in (None, "fro"):
        out = ew.sqrt(rd.sum(ew.square(x), axis=(row, col)))
    elif ord in (1, -1, np.inf, -np.inf):
        summed, other = (row, col) if ord in (1, -1) else (col, row)
        sums = rd.sum(ew.abs(x), axis=summed, keepdims=True)
        pick = rd.max if ord > 0 else rd.min
        out = rd.sum(pick(sums, axis=other, keepdims=True), axis=(row, col))
    elif ord in ("nuc", 2, -2):
        values = svd(moveaxis(x, (row, col), (-2, -1)), compute_uv=False)
        out = (rd.sum(values, axis=-1) if ord == "nuc"
               else rd.max(values, axis=-1) if ord == 2 else rd.min(values, axis=-1))
    else:
        raise ValueError(f"norm: invalid matrix norm ord={ord!r}.")
    if keepdims:
        out = expand_dims(out, tuple(sorted((row, col))))
    return out


@op
def norm(x, ord=None, axis=None, keepdims: bool = False) -> Tensor:  # noqa: A002
    """Vector or matrix norm, as ``np.linalg.norm``: vector norms along an int ``axis``,
    matrix norms (``'fro'``, ``'nuc'``, 1, -1, 2, -2, inf, -inf) along a 2-tuple;
    ``axis=None`` is the 2-norm of the flattened tensor (a matrix norm for 2-D with ``ord``).

    >>> norm(Tensor([3.0, 4.0]))
    Tensor(5., dtype=float32)
    """
    from deepgrad.ops.shaping import reshape

    x = float_tensor(x)
    if axis is None:
        if ord is None:
            flat = _vector_norm(reshape(x, (-1,)), None, 0, False)
            return reshape(flat, (1,) * x.ndim) if keepdims else flat
        axis = (0,) if x.ndim == 1 else (0, 1) if x.ndim == 2 else None
        if axis is None:
            raise ValueError(f"norm: give `axis` for ord={ord!r} on a {x.ndim}-D input.")
    axis = (axis,) if isinstance(axis, int) else tuple(axis)
    if len(axis) == 1:
        return _vector_norm(x, ord, axis[0], keepdims)
    if len(axis) == 2:
        return _matrix_norm(x, ord, axis, keepdims)
    raise ValueError(f"norm: `axis` must be an int or a pair. Received: axis={axis}")


def jvp(fun: Callable, primals, tangents, has_aux: bool = False):
    """Jacobian-vector product: ``(fun(*primals), J @ tangents)`` (and ``fun``'s auxiliary
    output with ``has_aux=True``).

    deepgrad differentiates in reverse mode only, so the product is assembled from one
    reverse pass per output element: exact, and fine for small functions; for large
    outputs prefer ``GradientTape``.

    >>> jvp(lambda x: x * x, (Tensor([1.0, 2.0]),), (Tensor([1.0, 1.0]),))[1]
    Tensor([2., 4.], dtype=float32)
    """
    from deepgrad.tensor import enable_grad, grad

    inputs = [Tensor(tensor_of(p).data, requires_grad=True) for p in primals]
    with enable_grad():
        result = fun(*inputs)
    out, aux = result if has_aux else (result, None)
    out = tensor_of(out)
    product = np.zeros(out.shape, out.dtype)
    seed = np.zeros(out.shape, out.dtype)
    for position in np.ndindex(*out.shape):
        seed[position] = 1
        rows = grad(out, inputs, seed)
        seed[position] = 0
        product[position] = sum(
            float(np.sum(r * tensor_of(t).data)) for r, t in zip(rows, tangents) if r is not None
        )
    primal_out = Tensor(out.data)
    return (primal_out, Tensor(product), aux) if has_aux else (primal_out, Tensor(product))
