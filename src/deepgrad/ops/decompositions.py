"""Matrix decompositions (``keras.ops.linalg``): ``cholesky, eigh, eig, qr, svd,
lu_factor, matrix_rank``, batched over leading axes.

``cholesky``, ``eigh``, ``qr`` and ``svd`` are primitives with the standard backward
formulas (Murray 2016 for Cholesky; Giles 2008 and Townsend 2016 for the others), checked
against finite differences. As in TensorFlow and PyTorch they assume a well-posed input:
distinct eigenvalues and singular values; a symmetric input for ``cholesky``/``eigh``,
whose gradient is returned symmetrised. ``eig``, ``lu_factor`` and ``matrix_rank`` have
no gradient.

>>> import deepgrad as dg
>>> a = dg.Tensor([[4.0, 2.0], [2.0, 3.0]])
>>> dg.ops.cholesky(a).data.round(4)
array([[2.    , 0.    ],
       [1.    , 1.4142]], dtype=float32)
"""

from __future__ import annotations

import numpy as np

from deepgrad.ops.core import float_tensor, tensor_of
from deepgrad.ops.symbolic import op
from deepgrad.tensor import Tensor, make_result

__all__ = ["cholesky", "eigh", "eig", "qr", "svd", "lu_factor", "matrix_rank"]


def _t(a: np.ndarray) -> np.ndarray:
    return np.swapaxes(a, -1, -2)


def _symmetrize(a: np.ndarray) -> np.ndarray:
    return 0.5 * (a + _t(a))


def _square(x, name: str) -> Tensor:
    x = float_tensor(x)
    if x.ndim < 2 or x.shape[-1] != x.shape[-2]:
        raise ValueError(f"{name}: expected square matrices (..., n, n). Received: shape={x.shape}")
    return x


@op
def cholesky(x, upper: bool = False) -> Tensor:
    """The Cholesky factor of symmetric positive-definite matrices: lower ``L`` with
    ``x = L @ L.T`` (or upper ``L.T`` with ``upper=True``).

    >>> cholesky(Tensor([[4.0, 0.0], [0.0, 9.0]]), upper=True)
    Tensor([[2., 0.],
            [0., 3.]], dtype=float32)
    """
    x = _square(x, "cholesky")
    lower = np.linalg.cholesky(x.data)

    def backward(g):
        g_lower = _t(g) if upper else g
        # Murray (2016): dA = L^-T phi(L^T dL) L^-1, phi = lower triangle, half diagonal.
        inner = np.tril(_t(lower) @ g_lower)
        inner -= 0.5 * np.eye(lower.shape[-1], dtype=lower.dtype) * inner
        left = np.linalg.solve(_t(lower), inner)
        grad = _t(np.linalg.solve(_t(lower), _t(left)))
        return (_symmetrize(grad),)

    return make_result(_t(lower).copy() if upper else lower, (x,), backward)


@op
def eigh(x) -> tuple[Tensor, Tensor]:
    """Eigenvalues (ascending) and eigenvectors (columns) of symmetric matrices.

    >>> eigh(Tensor([[2.0, 0.0], [0.0, 1.0]]))[0]
    Tensor([1., 2.], dtype=float32)
    """
    x = _square(x, "eigh")
    w, v = np.linalg.eigh(x.data)
    values = make_result(w, (x,), lambda g: (_eigh_grad(w, v, g, None),))
    vectors = make_result(v, (x,), lambda g: (_eigh_grad(w, v, None, g),))
    return values, vectors


def _eigh_grad(w, v, gw, gv) -> np.ndarray:
    middle = np.zeros(v.shape, v.dtype)
    if gw is not None:
        middle = middle + gw[..., None, :] * np.eye(w.shape[-1], dtype=v.dtype)
    if gv is not None:
        gap = w[..., None, :] - w[..., :, None]
        eye = np.eye(w.shape[-1], dtype=bool)
        f = np.where(eye, 0, 1 / np.where(eye, 1, gap))
        middle = middle + f * (_t(v) @ gv)
    return _symmetrize(v @ middle @ _t(v))


@op
def eig(x) -> tuple[Tensor, Tensor]:
    """Eigenvalues and right eigenvectors of square matrices, complex as in Keras
    (``complex64`` for float32 input); no gradient.

    >>> eig(Tensor([[2.0, 0.0], [0.0, 3.0]]))[0]
    Tensor([2.+0.j, 3.+0.j], dtype=complex64)
    """
    x = _square(x, "eig")
    w, v = np.linalg.eig(x.data)
    dtype = np.complex64 if x.dtype == np.float32 else np.complex128
    return Tensor(w.astype(dtype)), Tensor(v.astype(dtype))


def _copyltu(m: np.ndarray) -> np.ndarray:
    return np.tril(m) + _t(np.tril(m, -1))


@op
def qr(x, mode: str = "reduced") -> tuple[Tensor, Tensor]:
    """QR decomposition ``x = Q @ R`` (``mode='reduced'`` or ``'complete'``); gradients for
    matrices with at least as many rows as columns.

    Raises:
        ValueError: for another ``mode``.

    >>> q, r = qr(Tensor([[3.0, 0.0], [4.0, 5.0]]))
    >>> np.allclose((q @ r).data, [[3.0, 0.0], [4.0, 5.0]], atol=1e-5)
    True
    """
    if mode not in ("reduced", "complete"):
        raise ValueError(
            f"qr: `mode` must be 'reduced' or 'complete'. Received: mode={mode!r}"
        )
    x = float_tensor(x)
    q, r = np.linalg.qr(x.data, mode=mode)
    m, n = x.shape[-2:]

    def backward(gq, gr):
        if m < n or (mode == "complete" and m != n):
            raise NotImplementedError(
                "qr: gradients need rows >= columns (and mode='reduced' unless square)."
            )
        gq = np.zeros_like(q) if gq is None else gq
        gr = np.zeros_like(r) if gr is None else gr
        # Walter & Lehmann / Seeger et al.: M = R gR^T - gQ^T Q.
        middle = r @ _t(gr) - _t(gq) @ q
        b = gq + q @ _copyltu(middle)
        return _t(np.linalg.solve(r, _t(b)))

    q_out = make_result(q, (x,), lambda g: (backward(g, None),))
    r_out = make_result(r, (x,), lambda g: (backward(None, g),))
    return q_out, r_out


@op
def svd(x, full_matrices: bool = True, compute_uv: bool = True):
    """Singular value decomposition ``x = U @ diag(S) @ V`` (returns ``U, S, V`` with ``V``
    already transposed, as NumPy), or the singular values alone with ``compute_uv=False``.
    Gradients for the values always; for ``U``/``V`` with ``full_matrices=False`` or
    square inputs.

    >>> svd(Tensor([[3.0, 0.0], [0.0, 4.0]]), compute_uv=False)
    Tensor([4., 3.], dtype=float32)
    """
    x = float_tensor(x)
    m, n = x.shape[-2:]
    k = min(m, n)
    u_full, s, vt_full = np.linalg.svd(x.data, full_matrices=full_matrices)
    u, vt = u_full[..., :, :k], vt_full[..., :k, :]

    def backward(gu, gs, gvt):
        if (gu is not None or gvt is not None) and full_matrices and m != n:
            raise NotImplementedError(
                "svd: gradients of U and V need full_matrices=False or a square input."
            )
        grad = u @ (gs[..., :, None] * vt) if gs is not None else 0
        if gu is None and gvt is None:
            return grad
        gu = np.zeros_like(u) if gu is None else gu[..., :, :k]
        gv = np.zeros_like(_t(vt)) if gvt is None else _t(gvt[..., :k, :])
        v = _t(vt)
        s2 = s * s
        eye = np.eye(k, dtype=bool)
        f = np.where(eye, 0, 1 / np.where(eye, 1, s2[..., None, :] - s2[..., :, None]))
        ugu, vgv = _t(u) @ gu, _t(v) @ gv
        sm = s[..., None, :] * np.eye(k, dtype=x.dtype)
        core = (f * (ugu - _t(ugu))) @ sm + sm @ (f * (vgv - _t(vgv)))
        grad = grad + u @ core @ vt
        inv_s = 1 / s
        if m > k:
            grad = grad + (gu - u @ ugu) * inv_s[..., None, :] @ vt
        if n > k:
            grad = grad + u @ (inv_s[..., :, None] * _t(gv - v @ vgv))
        return grad

    if not compute_uv:
        return make_result(s, (x,), lambda g: (backward(None, g, None),))
    return (
        make_result(u_full, (x,), lambda g: (backward(g, None, None),)),
        make_result(s, (x,), lambda g: (backward(None, g, None),)),
        make_result(vt_full, (x,), lambda g: (backward(None, None, g),)),
    )


@op
def lu_factor(x) -> tuple[Tensor, Tensor]:
    """LU factorisation with partial pivoting, as ``scipy.linalg.lu_factor``: the packed
    ``L`` and ``U`` and the int32 pivot rows; no gradient.

    >>> lu, pivots = lu_factor(Tensor([[1.0, 2.0], [3.0, 4.0]]))
    >>> pivots
    Tensor([1, 1], dtype=int32)
    """
    import scipy.linalg

    data = float_tensor(x).data
    flat = data.reshape((-1,) + data.shape[-2:])
    parts = [scipy.linalg.lu_factor(a) for a in flat]
    lu = np.stack([p[0] for p in parts]).reshape(data.shape)
    pivots = np.stack([p[1] for p in parts]).astype(np.int32)
    return Tensor(lu), Tensor(pivots.reshape(data.shape[:-2] + pivots.shape[-1:]))


@op
def matrix_rank(x, tol=None) -> Tensor:
    """The rank of matrices from their singular values (NumPy's tolerance by default).

    >>> matrix_rank(Tensor([[1.0, 2.0], [2.0, 4.0]]))
    Tensor(1, dtype=int32)
    """
    x = tensor_of(x)
    if x.ndim < 2:
        raise ValueError(f"matrix_rank: expected rank >= 2. Received: shape={x.shape}")
    return Tensor(np.asarray(np.linalg.matrix_rank(x.data, tol=tol), np.int32))
