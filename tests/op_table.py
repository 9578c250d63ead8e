"""The three checks of the op table (tests/ops/test_op_table.py runs them on its rows and
on those of tests/op_rows_numpy.py and tests/op_rows_more.py).

A row is ``(name, function of Tensors, reference of arrays or None, input arrays)``.

>>> import numpy as np
>>> from deepgrad import ops
>>> check_forward(ops.exp, np.exp, [np.zeros(2)])
"""

from __future__ import annotations

import numpy as np

from deepgrad.tensor import Tensor
from deepgrad.utils import gradient_check


def check_forward(fn, reference, inputs, rtol: float = 1e-10, atol: float = 1e-12) -> None:
    """The op's float64 output equals the reference's, and stays float64."""
    out = fn(*[Tensor(a) for a in inputs])
    np.testing.assert_allclose(out.data, reference(*inputs), rtol=rtol, atol=atol)
    assert out.dtype == np.float64


def check_backward(fn, inputs) -> None:
    """Backward equals central finite differences in float64."""
    assert gradient_check(fn, inputs, atol=1e-6, rtol=1e-5)


def check_float32(name: str, fn, inputs) -> None:
    """float32 inputs give a float32 output (no silent upcast)."""
    out = fn(*[Tensor(np.asarray(a, dtype=np.float32)) for a in inputs])
    assert out.dtype == np.float32, f"{name} upcast float32 to {out.dtype}"
