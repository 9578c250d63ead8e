"""Control flow (``keras.ops`` names): ``cond, switch, while_loop, fori_loop, scan, map,
associative_scan, vectorized_map, vectorize``.

deepgrad runs eagerly, so these are Python loops and branches, as in Keras's NumPy
backend; the ops inside record the graph as usual, so gradients flow through every
iteration (``scan`` and ``map`` stack their outputs with a differentiable ``stack``).

>>> import deepgrad as dg
>>> dg.ops.fori_loop(0, 4, lambda i, total: total + i, 0)
6
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from deepgrad import tree
from deepgrad.ops.core import tensor_of
from deepgrad.ops.shaping import concatenate, getitem, stack
from deepgrad.ops.symbolic import op
from deepgrad.tensor import Tensor

__all__ = [
    "cond", "switch", "while_loop", "fori_loop", "scan", "map", "associative_scan",
    "vectorized_map", "vectorize",
]


def _truth(pred) -> bool:
    return bool(pred.data) if isinstance(pred, Tensor) else bool(pred)


@op
def cond(pred, true_fn: Callable, false_fn: Callable):
    """``true_fn()`` if ``pred`` holds, else ``false_fn()``.

    >>> cond(Tensor(True), lambda: 1, lambda: 2)
    1
    """
    return true_fn() if _truth(pred) else false_fn()


@op
def switch(index, branches, *operands):
    """``branches[index](*operands)``, the index clipped into range (as Keras).

    >>> switch(5, [lambda x: x + 1, lambda x: x * 10], 2)
    20
    """
    i = int(np.clip(int(tensor_of(index).data), 0, len(branches) - 1))
    return branches[i](*operands)


@op
def while_loop(cond: Callable, body: Callable, loop_vars, maximum_iterations: int | None = None):  # noqa: A002
    """Run ``loop_vars = body(*loop_vars)`` while ``cond(*loop_vars)`` holds (at most
    ``maximum_iterations`` times); a single loop variable may be given bare.

    >>> while_loop(lambda i: i < 10, lambda i: i * 2, 1)
    16
    """
    packed = isinstance(loop_vars, (tuple, list))
    values = tuple(loop_vars) if packed else (loop_vars,)
    done = 0
    while _truth(cond(*values)) and (maximum_iterations is None or done < maximum_iterations):
        values = body(*values)
        values = tuple(values) if isinstance(values, (tuple, list)) else (values,)
        done += 1
    return values if packed else values[0]


@op
def fori_loop(lower: int, upper: int, body_fun: Callable, init_val):
    """``val = body_fun(i, val)`` for ``i`` in ``range(lower, upper)``.

    >>> fori_loop(1, 4, lambda i, v: v * i, 1)
    6
    """
    value = init_val
    for i in range(int(lower), int(upper)):
        value = body_fun(i, value)
    return value


def _stack_outputs(outputs: list):
    return tree.map_structure(lambda *ys: stack(list(ys)), *outputs)


@op
def scan(f: Callable, init, xs=None, length: int | None = None, reverse: bool = False,
         unroll=1):
    """Loop ``carry, y = f(carry, x)`` over the leading axis of ``xs`` (or ``length``
    times with ``x=None``); returns the last carry and the stacked ``y``s (``jax.lax.scan``).

    Raises:
        ValueError: without ``xs`` and ``length``, or for a bad ``unroll``.

    >>> carry, ys = scan(lambda c, x: (c + x, c * x), 0.0, Tensor([1.0, 2.0, 3.0]))
    >>> carry, ys
    (Tensor(6., dtype=float32), Tensor([0., 2., 9.], dtype=float32))
    """
    if not callable(f):
        raise TypeError(f"scan: `f` must be callable. Received: f={f!r}")
    if not isinstance(unroll, bool) and (not isinstance(unroll, int) or unroll < 1):
        raise ValueError(f"scan: `unroll` must be a positive int or a bool. Received: {unroll}")
    if xs is None and length is None:
        raise ValueError("scan: give `xs` to scan over, or `length`.")
    flat = [tensor_of(x) for x in tree.flatten(xs)] if xs is not None else []
    n = int(length) if length is not None else flat[0].shape[0]
    carry = tree.map_structure(lambda v: v if isinstance(v, Tensor) else tensor_of(v), init)
    order = range(n - 1, -1, -1) if reverse else range(n)
    ys = []
    for i in order:
        x = tree.pack_sequence_as(xs, [getitem(t, i) for t in flat]) if flat else None
        carry, y = f(carry, x)
        ys.append(y if y is not None else tree.map_structure(
            lambda c: Tensor(np.zeros(np.shape(getattr(c, "data", c)))), carry))
    if reverse:
        ys.reverse()
    return carry, (_stack_outputs(ys) if ys else None)


@op
def map(f: Callable, xs):  # noqa: A001 - Keras's name
    """``f`` applied to each slice of ``xs`` along its leading axis, the results stacked.

    >>> map(lambda x: x * 2, Tensor([1.0, 2.0]))
    Tensor([2., 4.], dtype=float32)
    """
    return scan(lambda carry, x: ((), f(x)), (), xs)[1]


@op
def associative_scan(f: Callable, elems, reverse: bool = False, axis: int = 0):
    """Inclusive scan with an associative ``f`` along ``axis`` (``jax.lax.associative_scan``):
    ``out[i] = f(out[i-1], elems[i])``. ``f`` takes slices that keep the axis (length 1).

    >>> associative_scan(lambda a, b: a + b, Tensor([1.0, 2.0, 3.0]))
    Tensor([1., 3., 6.], dtype=float32)
    """
    from deepgrad.ops.shaping import flip

    if not callable(f):
        raise TypeError(f"associative_scan: `f` must be callable. Received: f={f!r}")
    flat = [tensor_of(e) for e in tree.flatten(elems)]
    n = flat[0].shape[axis]
    if any(e.shape[axis] != n for e in flat):
        raise ValueError(
            "associative_scan: every input needs the same length along `axis`. Received: "
            f"{[e.shape for e in flat]}"
        )
    if reverse:
        flat = [flip(e, axis) for e in flat]
    lead = (slice(None),) * (axis % flat[0].ndim)
    steps = [[getitem(e, lead + (slice(i, i + 1),)) for e in flat] for i in range(n)]
    running = steps[0]
    results = [running]
    for step in steps[1:]:
        combined = f(tree.pack_sequence_as(elems, running), tree.pack_sequence_as(elems, step))
        running = tree.flatten(combined)
        results.append(running)
    scans = [concatenate([r[j] for r in results], axis=axis) for j in range(len(flat))]
    if reverse:
        scans = [flip(s, axis) for s in scans]
    return tree.pack_sequence_as(elems, scans)


@op
def vectorized_map(function: Callable, elements):
    """``function`` applied to each slice of ``elements`` (a tensor, or a list/tuple of
    tensors passed as a list) along the leading axis, the results stacked.

    >>> vectorized_map(lambda x: x.sum(), Tensor([[1.0, 2.0], [3.0, 4.0]]))
    Tensor([3., 7.], dtype=float32)
    """
    if isinstance(elements, (list, tuple)):
        tensors = [tensor_of(e) for e in elements]
        outputs = [function([getitem(t, i) for t in tensors]) for i in range(tensors[0].shape[0])]
    else:
        tensor = tensor_of(elements)
        outputs = [function(getitem(tensor, i)) for i in range(tensor.shape[0])]
    return _stack_outputs(outputs)


def vectorize(pyfunc: Callable, *, excluded=None, signature: str | None = None) -> Callable:
    """``np.vectorize`` for Tensors: ``pyfunc`` on scalars (or core blocks, with a
    ``signature``) broadcast over the inputs. Values only: no gradient flows through it.

    >>> vectorize(lambda a, b: a + b if a > b else a - b)(Tensor([1.0, 4.0]), 2.0)
    Tensor([-1.,  6.], dtype=float32)
    """
    vectorized = np.vectorize(pyfunc, excluded=excluded or set(), signature=signature)

    def wrapper(*args, **kwargs):
        arrays = [a.data if isinstance(a, Tensor) else a for a in args]
        result = vectorized(*arrays, **kwargs)
        dtype = next((a.dtype for a in args if isinstance(a, Tensor)), None)
        if isinstance(result, tuple):
            return tuple(Tensor(r) for r in result)
        result = np.asarray(result)
        if dtype is not None and result.dtype.kind == dtype.kind == "f":
            result = result.astype(dtype)
        return Tensor(result)

    return wrapper
