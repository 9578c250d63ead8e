"""``dg.ops.linalg``: Keras 3's ``keras.ops.linalg`` namespace, every name also in
``dg.ops``.

>>> import deepgrad as dg
>>> dg.ops.linalg.det(dg.Tensor([[2.0, 0.0], [0.0, 3.0]]))
Tensor(6., dtype=float32)
"""

from deepgrad.ops.decompositions import cholesky, eig, eigh, lu_factor, matrix_rank, qr, svd
from deepgrad.ops.solvers import (
    cholesky_inverse,
    det,
    inv,
    jvp,
    lstsq,
    norm,
    pinv,
    solve,
    solve_triangular,
)

__all__ = [
    "cholesky", "cholesky_inverse", "det", "eig", "eigh", "inv", "jvp", "lstsq", "lu_factor",
    "matrix_rank", "norm", "pinv", "qr", "solve", "solve_triangular", "svd",
]
