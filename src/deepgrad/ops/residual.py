"""A residual connection's sum and the ReLU after it, as one op (deepgrad's fused op).

``add_activation([a, b], "relu")`` is ``relu(a + b)``: ResNet's ``Add()`` followed by
``Activation("relu")``. As two ops, the sum is a tensor of its own that the ReLU's node
holds until the backward pass, one activation-sized array per residual block; here the
sum is clipped in place, so a training step keeps one array where it kept two (peak
memory of ResNet50 training in ``benchmarks/models.py``), and the inference pass writes
one array fewer. The backward pass sends the same masked gradient to every input.

Both passes run in deepgrad's threads, a cache-sized chunk at a time (the sum is clipped
while it is in the cache): alone, these were the one serial step of ResNet50's inference
(19 ms of 218 on two threads, as long as on one; ``benchmarks/kernel_choices_apps.py
residual_chunk``).

>>> from deepgrad.tensor import Tensor
>>> add_activation([Tensor([1.0, -3.0]), Tensor([1.0, 1.0])], "relu")
Tensor([2., 0.], dtype=float32)
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from deepgrad.kernels import activation as act
from deepgrad.kernels.parallel import chunks, run_groups
from deepgrad.ops.core import float_tensor
from deepgrad.tensor import Tensor, make_result

__all__ = ["CHUNK_BYTES", "add_activation"]

# Bytes of one chunk of the sum. On two threads 4 MB chunks took 0.42-0.77x the time of
# one pass over the whole array (ResNet50's three sizes, forward and forward+backward), 1 MB
# 0.61-1.0x, 256 KB up to 2.9x that of 4 MB; on one thread all within 0.94-1.09x
# (``benchmarks/kernel_choices_apps.py residual_chunk``).
CHUNK_BYTES = 4 << 20


def _in_chunks(fn, arrays: list[np.ndarray]) -> None:
    """``fn(*parts)`` over cache-sized chunks of flat, C-contiguous ``arrays`` of one size,
    in deepgrad's threads (elementwise work: the same numbers for any split)."""
    flat = [a.reshape(-1) for a in arrays]
    parts = chunks(flat[0].size, max(1, CHUNK_BYTES // flat[0].itemsize))

    def run(group: list[slice]) -> None:
        for part in group:
            fn(*(a[part] for a in flat))

    run_groups(run, parts)


def add_activation(inputs: Sequence, activation: str | None = "relu") -> Tensor:
    """``activation(inputs[0] + inputs[1] + ...)`` for inputs of one shape and dtype.

    Args:
        inputs: two or more tensors (or arrays) of the same shape and float dtype.
        activation: ``'relu'``, ``'relu6'`` or None.

    Returns:
        A tensor of the inputs' shape.

    Raises:
        ValueError: for fewer than two inputs, inputs of different shapes or dtypes
            (broadcasting sums are :func:`deepgrad.ops.add`'s), or another activation.

    >>> add_activation([np.ones(2), np.full(2, 9.0)], "relu6").data
    array([6., 6.])
    """
    limits = act.bounds(activation, "add_activation")
    tensors = [float_tensor(t) for t in inputs]
    if len(tensors) < 2:
        raise ValueError(
            f"add_activation: expected at least 2 inputs. Received: {len(tensors)}")
    first = tensors[0]
    if any(t.shape != first.shape or t.dtype != first.dtype for t in tensors[1:]):
        raise ValueError(
            "add_activation: the inputs must have one shape and dtype. Received: "
            + ", ".join(f"{t.shape} {t.dtype}" for t in tensors)
        )
    arrays = [t.data for t in tensors]
    out = np.empty_like(arrays[0], order="C")

    def add(o, a, b, *rest):
        np.add(a, b, out=o)
        for r in rest:
            o += r
        if limits is not None:
            act.apply(o, limits)

    _in_chunks(add, [out] + [np.ascontiguousarray(a) for a in arrays])

    def backward(g):
        if limits is None:
            return (g,) * len(tensors)
        dx = np.empty(g.shape, g.dtype)
        if limits == act.BOUNDS["relu"]:
            def mask(d, g, y):  # a byte mask: less to write than a float one
                np.multiply(g, y > 0, out=d)
        else:
            def mask(d, g, y):
                act.masked(g, y, limits, d)
        _in_chunks(mask, [dx, np.ascontiguousarray(g), out])
        return (dx,) * len(tensors)

    return make_result(out, tuple(tensors), backward)
