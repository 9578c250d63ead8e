"""``rearrange``: einops-style reshaping and transposing in one pattern
(``'b h w c -> b (h w) c'``), as ``keras.ops.rearrange``. A composite of ``reshape``
and ``transpose``.

>>> import deepgrad as dg
>>> dg.ops.rearrange(dg.Tensor(np.zeros((2, 6, 4, 3))), "b (h1 h) w c -> (b h1) h w c",
...                  h1=2).shape
(4, 3, 4, 3)
"""

from __future__ import annotations

import re

import numpy as np

from deepgrad.ops.core import tensor_of
from deepgrad.ops.shaping import reshape, transpose
from deepgrad.ops.symbolic import op
from deepgrad.tensor import Tensor

__all__ = ["rearrange"]


def _groups(side: str) -> list[list[str]]:
    """``'b (h w) c'`` as ``[['b'], ['h', 'w'], ['c']]``."""
    return [item[1:-1].split() if item.startswith("(") else [item]
            for item in re.findall(r"\w+|\([^)]*\)", side)]


@op
def rearrange(tensor, pattern: str, **axes_lengths) -> Tensor:
    """Rearrange axes by an einops pattern: split grouped input axes (sizes from
    ``axes_lengths``, one may be inferred), permute, merge grouped output axes.

    Raises:
        ValueError: for a pattern without ``->``, or names that do not match.

    >>> rearrange(Tensor(np.zeros((2, 3, 4))), "b h w -> b (w h)").shape
    (2, 12)
    """
    x = tensor_of(tensor)
    if "->" not in pattern:
        raise ValueError(f"rearrange: the pattern needs '->'. Received: {pattern!r}")
    left, right = (s.strip() for s in pattern.split("->"))
    inputs, outputs = _groups(left), _groups(right)
    if len(inputs) != x.ndim:
        raise ValueError(
            f"rearrange: the pattern names {len(inputs)} axes; the input has {x.ndim} "
            f"(shape {x.shape})."
        )
    sizes = dict(axes_lengths)
    for group, dim in zip(inputs, x.shape):
        unknown = [a for a in group if a not in sizes]
        known = int(np.prod([sizes[a] for a in group if a in sizes]))
        if len(unknown) > 1:
            raise ValueError(f"rearrange: give the sizes of all but one of {group}.")
        if unknown:
            sizes[unknown[0]] = dim // known
    flat_in = [a for g in inputs for a in g]
    flat_out = [a for g in outputs for a in g]
    if sorted(flat_in) != sorted(flat_out):
        raise ValueError(f"rearrange: both sides must name the same axes. Received: {pattern!r}")
    x = reshape(x, tuple(sizes[a] for a in flat_in))
    x = transpose(x, [flat_in.index(a) for a in flat_out])
    return reshape(x, tuple(int(np.prod([sizes[a] for a in g])) for g in outputs))
