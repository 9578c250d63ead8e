"""Which steps of a tensor are padding: Keras's ``_keras_mask``, kept beside the tensor.

A layer that makes a mask (``Embedding(mask_zero=True)``, ``Masking``) notes it for its
output; each layer after it that supports masking receives it as ``call(..., mask=)`` and
notes the mask of its own output (``Layer.compute_mask``); losses and metrics skip the
masked steps. The note is a side table (``ops/notes.py``), not an attribute of every
Tensor: only models with masks pay for it.

>>> from deepgrad.tensor import Tensor
>>> x = set_keras_mask(Tensor([[1.0, 2.0, 0.0]]), np.array([[True, True, False]]))
>>> get_keras_mask(x).tolist(), get_keras_mask(Tensor([1.0]))
([[True, True, False]], None)
"""

from __future__ import annotations

import numpy as np

from deepgrad.ops.notes import Notes
from deepgrad.tensor import Tensor

__all__ = ["set_keras_mask", "get_keras_mask", "any_masks"]

_masks = Notes()


def any_masks() -> bool:
    """Whether some live tensor has a mask: ``Layer.__call__`` looks for one only then.

    >>> any_masks() in (True, False)
    True
    """
    return len(_masks) > 0


def set_keras_mask(tensor: Tensor, mask) -> Tensor:
    """Note ``mask`` (booleans, True for real steps; None to remove) for ``tensor``.

    Returns:
        ``tensor``.
    """
    if mask is None:
        _masks.discard(tensor)
        return tensor
    _masks.set(tensor, np.asarray(mask.data if isinstance(mask, Tensor) else mask, dtype=bool))
    return tensor


def get_keras_mask(tensor) -> np.ndarray | None:
    """The mask noted for ``tensor`` (a boolean array), or None."""
    return _masks.get(tensor)
