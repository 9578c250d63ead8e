"""Products and differences (``keras.ops`` names): ``einsum, tensordot, dot, outer,
inner, vdot, kron, cross, cdist, correlate, diff, trapezoid``.

``einsum`` is one primitive: its backward for each operand is itself an einsum (of the
output gradient and the other operands), with diagonals and broadcast axes handled. The
others are composites of ``matmul``, reshapes and slices.

>>> import deepgrad as dg
>>> a = dg.Tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
>>> dg.ops.einsum("ij,jk->ik", a, a).sum().backward(); a.grad
array([[ 7., 11.],
       [ 9., 13.]], dtype=float32)
"""

from __future__ import annotations

import string

import numpy as np

from deepgrad.ops.core import promote, tensor_of
from deepgrad.ops.dtypes import dtype_of, result_type
from deepgrad.ops.matmul import matmul
from deepgrad.ops.shaping import getitem, reshape, transpose
from deepgrad.ops.symbolic import op
from deepgrad.tensor import Tensor, make_result, unbroadcast

__all__ = [
    "einsum", "tensordot", "dot", "outer", "inner", "vdot", "kron", "cross", "cdist",
    "correlate", "diff", "trapezoid",
]


def _explicit(subscripts: str, ndims: list[int]) -> tuple[list[str], str]:
    """Operand and output subscripts with every ``...`` spelled out in unused letters."""
    subscripts = subscripts.replace(" ", "")
    inputs, arrow, output = subscripts.partition("->")
    terms = inputs.split(",")
    if len(terms) != len(ndims):
        raise ValueError(
            f"einsum: the subscripts name {len(terms)} operands. Received: {len(ndims)}"
        )
    spare = [c for c in string.ascii_letters if c not in subscripts]
    longest = max(
        (n - len(t.replace("...", "")) for t, n in zip(terms, ndims) if "..." in t), default=0
    )
    ellipsis = "".join(spare[:longest])
    spelled = []
    for term, n in zip(terms, ndims):
        if "..." in term:
            own = n - len(term.replace("...", ""))
            term = term.replace("...", ellipsis[longest - own :])
        spelled.append(term)
    if not arrow:
        counts = {c: "".join(spelled).count(c) for c in "".join(spelled)}
        output = ellipsis + "".join(
            sorted(c for c, k in counts.items() if k == 1 and c not in ellipsis)
        )
    else:
        output = output.replace("...", ellipsis)
    return spelled, output


def _operand_gradient(k: int, terms: list[str], output: str, g: np.ndarray,
                      arrays: list[np.ndarray]) -> np.ndarray:
    term, shape = terms[k], arrays[k].shape
    unique = "".join(dict.fromkeys(term))
    others = [t for i, t in enumerate(terms) if i != k]
    available = set(output).union(*others)
    kept = "".join(c for c in unique if c in available)
    spec = ",".join([output] + others) + "->" + kept
    grad = np.einsum(spec, g, *[a for i, a in enumerate(arrays) if i != k])
    sizes = {}
    for c, n in zip(term, shape):
        sizes[c] = n
    for position, c in enumerate(unique):
        if c not in available:
            grad = np.expand_dims(grad, position)
    grad = np.broadcast_to(grad, tuple(
        sizes[c] if c not in available else grad.shape[i] for i, c in enumerate(unique)))
    grad = unbroadcast(grad, tuple(sizes[c] for c in unique))
    if unique == term:
        return np.ascontiguousarray(grad)
    full = np.zeros(shape, grad.dtype)
    np.einsum(f"{term}->{unique}", full)[...] = grad
    return full


@op
def einsum(subscripts: str, *operands, **kwargs) -> Tensor:
    """Einstein summation over the operands (NumPy's notation, ``...`` included).

    >>> einsum("i,i->", Tensor([1.0, 2.0]), Tensor([3.0, 4.0]))
    Tensor(11., dtype=float32)
    """
    tensors = promote(*operands)
    if tensors[0].dtype == np.int8:
        tensors = promote(*tensors, dtype="int32")
    terms, output = _explicit(subscripts, [t.ndim for t in tensors])
    spec = ",".join(terms) + "->" + output
    arrays = [t.data for t in tensors]
    out = np.einsum(spec, *arrays, **kwargs)

    def backward(g):
        return tuple(
            _operand_gradient(k, terms, output, g, arrays) if t.requires_grad else None
            for k, t in enumerate(tensors)
        )

    return make_result(np.asarray(out, dtype=tensors[0].dtype), tensors, backward)


def _axes_pair(axes, ndim1: int, ndim2: int) -> tuple[list[int], list[int]]:
    if np.ndim(axes) == 0:
        n = int(axes)
        return list(range(ndim1 - n, ndim1)), list(range(n))
    first, second = axes
    first = [first] if np.ndim(first) == 0 else list(first)
    second = [second] if np.ndim(second) == 0 else list(second)
    return [int(a) % ndim1 for a in first], [int(b) % ndim2 for b in second]


@op
def tensordot(x1, x2, axes=2) -> Tensor:
    """Sum of products over ``axes``: the last ``axes`` of ``x1`` with the first of ``x2``
    (an int), or the listed axes of each (a pair); one matmul after transposes.

    >>> tensordot(Tensor(np.ones((2, 3))), Tensor(np.ones((3, 4))), axes=1).shape
    (2, 4)
    """
    a, b = promote(x1, x2)
    ax_a, ax_b = _axes_pair(axes, a.ndim, b.ndim)
    free_a = [i for i in range(a.ndim) if i not in ax_a]
    free_b = [i for i in range(b.ndim) if i not in ax_b]
    k = int(np.prod([a.shape[i] for i in ax_a]))
    left = reshape(transpose(a, free_a + ax_a), (-1, k))
    right = reshape(transpose(b, ax_b + free_b), (k, -1))
    shape = tuple(a.shape[i] for i in free_a) + tuple(b.shape[i] for i in free_b)
    return reshape(matmul(left, right), shape)


@op
def dot(x1, x2) -> Tensor:
    """NumPy's ``dot``: products for scalars, ``matmul`` for 1-D and 2-D, and for N-D a sum
    over the last axis of ``x1`` and the second-to-last of ``x2``.

    >>> dot(Tensor([1.0, 2.0]), Tensor([3.0, 4.0]))
    Tensor(11., dtype=float32)
    """
    from deepgrad.ops.elementwise import multiply

    a, b = promote(x1, x2)
    if a.ndim == 0 or b.ndim == 0:
        return multiply(a, b)
    if a.ndim <= 2 and b.ndim <= 2:
        return matmul(a, b)
    return tensordot(a, b, axes=([-1], [-2 if b.ndim > 1 else -1]))


@op
def outer(x1, x2) -> Tensor:
    """Outer product of the flattened inputs.

    >>> outer(Tensor([1.0, 2.0]), Tensor([3.0, 4.0]))
    Tensor([[3., 4.],
            [6., 8.]], dtype=float32)
    """
    from deepgrad.ops.elementwise import multiply

    a, b = promote(x1, x2)
    return multiply(reshape(a, (-1, 1)), reshape(b, (1, -1)))


@op
def inner(x1, x2) -> Tensor:
    """Sum of products over the last axes (products for scalars).

    >>> inner(Tensor([1.0, 2.0]), Tensor([3.0, 4.0]))
    Tensor(11., dtype=float32)
    """
    from deepgrad.ops.elementwise import multiply

    a, b = promote(x1, x2)
    if a.ndim == 0 or b.ndim == 0:
        return multiply(a, b)
    return tensordot(a, b, axes=([-1], [-1]))


@op
def vdot(x1, x2) -> Tensor:
    """Dot product of the flattened inputs.

    >>> vdot(Tensor([[1.0, 2.0]]), Tensor([3.0, 4.0]))
    Tensor(11., dtype=float32)
    """
    a, b = promote(x1, x2)
    return matmul(reshape(a, (-1,)), reshape(b, (-1,)))


@op
def kron(x1, x2) -> Tensor:
    """Kronecker product: blocks of ``x2`` scaled by each element of ``x1``.

    >>> kron(Tensor([1.0, 10.0]), Tensor([1.0, 2.0]))
    Tensor([ 1.,  2., 10., 20.], dtype=float32)
    """
    from deepgrad.ops.elementwise import multiply

    a, b = promote(x1, x2)
    n = max(a.ndim, b.ndim)
    a = reshape(a, (1,) * (n - a.ndim) + a.shape)
    b = reshape(b, (1,) * (n - b.ndim) + b.shape)
    spread_a = reshape(a, tuple(s for d in a.shape for s in (d, 1)))
    spread_b = reshape(b, tuple(s for d in b.shape for s in (1, d)))
    return reshape(multiply(spread_a, spread_b), tuple(p * q for p, q in zip(a.shape, b.shape)))


@op
def cross(x1, x2, axisa: int = -1, axisb: int = -1, axisc: int = -1, axis: int | None = None):
    """Cross product of 2- or 3-element vectors along the given axes (a 2-D pair gives the
    scalar z component, as NumPy).

    >>> cross(Tensor([1.0, 0.0, 0.0]), Tensor([0.0, 1.0, 0.0]))
    Tensor([0., 0., 1.], dtype=float32)
    """
    from deepgrad.ops.elementwise import multiply, subtract
    from deepgrad.ops.shaping import moveaxis, pad, stack

    a, b = promote(x1, x2)
    if axis is not None:
        axisa = axisb = axisc = axis
    a, b = moveaxis(a, axisa, -1), moveaxis(b, axisb, -1)
    if a.shape[-1] not in (2, 3) or b.shape[-1] not in (2, 3):
        raise ValueError(
            "cross: both inputs must be (arrays of) 2- or 3-element vectors. Received: "
            f"{a.shape[-1]} and {b.shape[-1]} elements"
        )
    both_2d = a.shape[-1] == 2 and b.shape[-1] == 2
    if a.shape[-1] == 2:
        a = pad(a, [(0, 0)] * (a.ndim - 1) + [(0, 1)])
    if b.shape[-1] == 2:
        b = pad(b, [(0, 0)] * (b.ndim - 1) + [(0, 1)])

    def part(t, i):
        return getitem(t, (Ellipsis, i))

    def term(i, j):
        return subtract(multiply(part(a, i), part(b, j)), multiply(part(a, j), part(b, i)))

    if both_2d:
        return term(0, 1)
    return moveaxis(stack([term(1, 2), term(2, 0), term(0, 1)], axis=-1), -1, axisc)


@op
def cdist(x, y) -> Tensor:
    """Euclidean distances between the rows of ``x`` and of ``y`` (batched over leading
    axes).

    Raises:
        ValueError: for inputs of rank below 2 or different last dimensions.

    >>> cdist(Tensor([[0.0, 0.0]]), Tensor([[3.0, 4.0], [0.0, 1.0]]))
    Tensor([[5., 1.]], dtype=float32)
    """
    from deepgrad.ops.elementwise import sqrt, square, subtract
    from deepgrad.ops.reduce import sum as _sum
    from deepgrad.ops.shaping import expand_dims

    a, b = promote(x, y, dtype=result_type(dtype_of(x), dtype_of(y), float))
    if a.ndim < 2 or b.ndim < 2:
        raise ValueError(f"cdist: inputs need rank >= 2. Received: {a.shape} and {b.shape}")
    if a.shape[-1] != b.shape[-1]:
        raise ValueError(
            f"cdist: the last dimensions must match. Received: {a.shape} and {b.shape}"
        )
    gap = subtract(expand_dims(a, -2), expand_dims(b, -3))
    return sqrt(_sum(square(gap), axis=-1))


@op
def correlate(x1, x2, mode: str = "valid") -> Tensor:
    """Cross-correlation of two 1-D tensors, ``c[k] = sum_n x1[n + k] * x2[n]``
    (``'valid'``, ``'same'`` or ``'full'``, as ``np.correlate``).

    >>> correlate(Tensor([1.0, 2.0, 3.0]), Tensor([0.0, 1.0]))
    Tensor([2., 3.], dtype=float32)
    """
    from deepgrad.ops.shaping import pad

    dtype = result_type(dtype_of(x1), dtype_of(x2))
    dtype = "float64" if dtype in ("int64", "float64") else (
        dtype if dtype in ("float16", "bfloat16") else "float32")
    a, v = promote(x1, x2, dtype=dtype)
    if a.ndim != 1 or v.ndim != 1:
        raise ValueError(f"correlate: inputs must be 1-D. Received: {a.shape} and {v.shape}")
    n, m = a.shape[0], v.shape[0]
    if n < m:
        from deepgrad.ops.shaping import flip

        return flip(correlate(v, a, mode), 0)
    if mode == "valid":
        before = after = 0
    elif mode == "same":
        before, after = m // 2, m - 1 - m // 2
    elif mode == "full":
        before = after = m - 1
    else:
        raise ValueError(f"correlate: `mode` must be 'valid', 'same' or 'full'. Received: {mode}")
    padded = pad(a, [(before, after)])
    length = padded.shape[0] - m + 1
    windows = getitem(padded, np.arange(length)[:, None] + np.arange(m)[None, :])
    return matmul(windows, v)


@op
def diff(a, n: int = 1, axis: int = -1) -> Tensor:
    """The ``n``-th discrete difference along ``axis``.

    >>> diff(Tensor([1.0, 4.0, 9.0]))
    Tensor([3., 5.], dtype=float32)
    """
    from deepgrad.ops.elementwise import subtract
    from deepgrad.ops.logic import not_equal

    x = tensor_of(a)
    axis = axis % x.ndim
    lead = (slice(None),) * axis
    step = not_equal if x.dtype == np.bool_ else subtract  # bools: NumPy's x[1:] != x[:-1]
    for _ in range(n):
        x = step(getitem(x, lead + (slice(1, None),)), getitem(x, lead + (slice(None, -1),)))
    return x


@op
def trapezoid(y, x=None, dx: float = 1.0, axis: int = -1) -> Tensor:
    """Integral of ``y`` along ``axis`` by the trapezoidal rule (sample points ``x``, or a
    spacing ``dx``).

    >>> trapezoid(Tensor([1.0, 2.0, 3.0]))
    Tensor(4., dtype=float32)
    """
    from deepgrad.ops.core import float_tensor
    from deepgrad.ops.elementwise import add, multiply
    from deepgrad.ops.reduce import sum as _sum

    y = float_tensor(y)
    axis = axis % y.ndim
    lead = (slice(None),) * axis
    mid = multiply(add(getitem(y, lead + (slice(1, None),)),
                       getitem(y, lead + (slice(None, -1),))), 0.5)
    if x is None:
        return multiply(_sum(mid, axis=axis), dx)
    steps = diff(tensor_of(x, y.dtype), axis=-1 if tensor_of(x).ndim == 1 else axis)
    if steps.ndim == 1 and y.ndim > 1:
        shape = [1] * y.ndim
        shape[axis] = steps.shape[0]
        steps = reshape(steps, shape)
    return _sum(multiply(mid, steps), axis=axis)

