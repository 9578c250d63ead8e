"""Which probabilities came from which logits, for the fused cross-entropies.

:func:`~deepgrad.ops.softmax` and :func:`~deepgrad.ops.sigmoid` note their input here,
so that a cross-entropy of their output works from the logits instead (exact, and
cheaper), as Keras's TensorFlow backend does with ``_keras_logits``. Unlike Keras, the
kind is noted too: a sigmoid's logits serve only the binary cross-entropy, a softmax's
only the categorical ones.

The notes live in a side table (``ops/notes.py``), not in an attribute of every Tensor.

>>> from deepgrad.tensor import Tensor
>>> z = Tensor([0.0, 1.0]); p = remember(Tensor([0.5, 0.73]), z, "sigmoid")
>>> logits_of(p, "sigmoid") is z, logits_of(p, "softmax"), logits_of(z, "sigmoid")
(True, None, None)
"""

from __future__ import annotations

from deepgrad.ops.notes import Notes
from deepgrad.tensor import Tensor

__all__ = ["remember", "logits_of"]

# output -> (kind, logits)
_sources = Notes()


def remember(output: Tensor, logits: Tensor, kind: str) -> Tensor:
    """Note that ``output`` is ``kind`` (``"softmax"`` or ``"sigmoid"``) of ``logits``.

    Returns:
        ``output``.
    """
    _sources.set(output, (kind, logits))
    return output


def logits_of(output: Tensor, kind: str) -> Tensor | None:
    """Return the logits ``output`` was computed from by a ``kind``, or None."""
    source = _sources.get(output)
    if source is None or source[0] != kind:
        return None
    return source[1]
