"""Which steps of a tensor are padding: Keras's ``_keras_mask``, kept beside the tensor.

A layer that makes a mask (``Embedding(mask_zero=True)``, ``Masking``) notes it for its
output; each layer after it that supports masking receives it as ``call(..., mask=)`` and
notes the mask of its own output (``Layer.compute_mask``); losses and metrics skip the
masked steps. The note is a side table keyed by the tensor's ``id``, not an attribute of
every Tensor (only models with masks pay for it), and it leaves when the tensor is
garbage collected: a new tensor at a dead one's address never inherits its mask.

>>> from deepgrad.tensor import Tensor
>>> x = set_keras_mask(Tensor([[1.0, 2.0, 0.0]]), np.array([[True, True, False]]))
>>> get_keras_mask(x).tolist(), get_keras_mask(Tensor([1.0]))
([[True, True, False]], None)
"""

from __future__ import annotations

import weakref

import numpy as np

from deepgrad.tensor import Tensor

__all__ = ["set_keras_mask", "get_keras_mask"]


class _Note(weakref.ref):
    """A weak reference to a tensor, with its mask."""

    __slots__ = ("key", "mask")


# id(tensor) -> its note; a note leaves when its tensor is garbage collected.
_notes: dict[int, _Note] = {}


def _drop(note: _Note) -> None:
    if _notes.get(note.key) is note:
        del _notes[note.key]


def set_keras_mask(tensor: Tensor, mask) -> Tensor:
    """Note ``mask`` (booleans, True for real steps; None to remove) for ``tensor``.

    Returns:
        ``tensor``.
    """
    if mask is None:
        _notes.pop(id(tensor), None)
        return tensor
    note = _Note(tensor, _drop)
    note.key = id(tensor)
    note.mask = np.asarray(mask.data if isinstance(mask, Tensor) else mask, dtype=bool)
    _notes[note.key] = note
    return tensor


def get_keras_mask(tensor) -> np.ndarray | None:
    """The mask noted for ``tensor`` (a boolean array), or None."""
    note = _notes.get(id(tensor))
    if note is None or note() is not tensor:
        return None
    return note.mask
