"""A residual connection's sum and the ReLU after it, as one op (deepgrad's fused op).

``add_activation([a, b], "relu")`` is ``relu(a + b)``: ResNet's ``Add()`` followed by
``Activation("relu")``. As two ops, the sum is a tensor of its own that the ReLU's node
holds until the backward pass, one activation-sized array per residual block; here the
sum is clipped in place, so a training step keeps one array where it kept two (peak
memory of ResNet50 training in ``benchmarks/models.py``), and the inference pass writes
one array fewer. The backward pass sends the same masked gradient to every input.

Both passes run in deepgrad's threads, a cache-sized chunk at a time (the sum is clipped
while it is in the cache; :func:`deepgrad.kernels.activation.sum_clipped`): as one pass on
one thread they were the one serial step of ResNet50's inference (19 ms of 218 on two
threads).

>>> from deepgrad.tensor import Tensor
>>> add_activation([Tensor([1.0, -3.0]), Tensor([1.0, 1.0])], "relu")
Tensor([2., 0.], dtype=float32)
"""

from __future__ import annotations

from collections.abc import Sequence

from deepgrad.kernels import activation as act
from deepgrad.ops.core import float_tensor
from deepgrad.tensor import Tensor, make_result

__all__ = ["add_activation"]


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
    out = act.sum_clipped([t.data for t in tensors], limits)
    # The backward holds the count, not the inputs: each input's array is freed once
    # nothing else needs it (a ResNet block's batch-norm output).
    count = len(tensors)

    def backward(g):
        if limits is not None:
            g = act.sum_clipped_grad(g, out, limits)
        return (g,) * count

    return make_result(out, tuple(tensors), backward)
