"""Which probabilities came from which logits, for the fused cross-entropies.

:func:`~deepgrad.ops.softmax` and :func:`~deepgrad.ops.sigmoid` note their input here,
so that a cross-entropy of their output works from the logits instead (exact, and
cheaper), as Keras's TensorFlow backend does with ``_keras_logits``. Unlike Keras, the
kind is noted too: a sigmoid's logits serve only the binary cross-entropy, a softmax's
only the categorical ones.

The note is a side table owned by the ops, not an attribute of every Tensor: it maps an
output's ``id`` to its logits and is dropped when the output is garbage collected.

>>> from deepgrad.tensor import Tensor
>>> z = Tensor([0.0, 1.0]); p = remember(Tensor([0.5, 0.73]), z, "sigmoid")
>>> logits_of(p, "sigmoid") is z, logits_of(p, "softmax"), logits_of(z, "sigmoid")
(True, None, None)
"""

from __future__ import annotations

import weakref

from deepgrad.tensor import Tensor

__all__ = ["remember", "logits_of"]

class _Note(weakref.ref):
    """A weak reference to a softmax or sigmoid output, with its kind and its logits."""

    __slots__ = ("key", "kind", "logits")


# id(output) -> its note; a note leaves when its output is garbage collected.
_notes: dict[int, _Note] = {}


def _drop(note: _Note) -> None:
    if _notes.get(note.key) is note:
        del _notes[note.key]


def remember(output: Tensor, logits: Tensor, kind: str) -> Tensor:
    """Note that ``output`` is ``kind`` (``"softmax"`` or ``"sigmoid"``) of ``logits``.

    Returns:
        ``output``.
    """
    note = _Note(output, _drop)
    note.key, note.kind, note.logits = id(output), kind, logits
    _notes[note.key] = note
    return output


def logits_of(output: Tensor, kind: str) -> Tensor | None:
    """Return the logits ``output`` was computed from by a ``kind``, or None."""
    note = _notes.get(id(output))
    if note is None or note.kind != kind or note() is not output:
        return None
    return note.logits
