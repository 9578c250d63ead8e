"""``pad_sequences``: lists of sequences of different lengths to one array, as Keras does.

>>> pad_sequences([[1], [2, 3], [4, 5, 6]])
array([[0, 0, 1],
       [0, 2, 3],
       [4, 5, 6]], dtype=int32)
>>> pad_sequences([[1], [2, 3], [4, 5, 6]], maxlen=2, padding="post", truncating="post")
array([[1, 0],
       [2, 3],
       [4, 5]], dtype=int32)
"""

from __future__ import annotations

import numpy as np

__all__ = ["pad_sequences"]

_SIDES = ("pre", "post")


def pad_sequences(
    sequences,
    maxlen: int | None = None,
    dtype="int32",
    padding: str = "pre",
    truncating: str = "pre",
    value=0.0,
) -> np.ndarray:
    """Pad (and cut) sequences to a common length: an array ``(len(sequences), maxlen, ...)``.

    Keras 3's rules: sequences longer than ``maxlen`` lose values at the start
    (``truncating='pre'``) or the end (``'post'``); shorter ones get ``value`` added
    at the start (``padding='pre'``, the default) or the end (``'post'``). Each
    element may itself be a list or array (every sample of the same shape, taken
    from the first non-empty sequence). An empty sequence becomes all ``value``.

    Args:
        sequences: a list (or other sized iterable) of sequences.
        maxlen: the output length; None pads to the longest sequence.
        dtype: the output dtype (``'int32'`` by default; ``object`` or a string dtype
            for strings).
        padding: ``'pre'`` or ``'post'``: where the padding goes.
        truncating: ``'pre'`` or ``'post'``: where values are cut.
        value: the padding value.

    Returns:
        An array of shape ``(len(sequences), maxlen) + sample_shape``.

    Raises:
        ValueError: ``sequences`` is not a list of iterables, samples differ in shape,
            ``padding``/``truncating`` are not 'pre' or 'post', ``maxlen`` is negative,
            or ``value`` is a string with a numeric ``dtype``.

    >>> pad_sequences([[1.5, 2.5], []], dtype="float32", value=-1.0)
    array([[ 1.5,  2.5],
           [-1. , -1. ]], dtype=float32)
    """
    if not hasattr(sequences, "__len__"):
        raise ValueError(
            f"pad_sequences: `sequences` must be a list of sequences. Received: "
            f"{type(sequences).__name__}"
        )
    for name, side in (("padding", padding), ("truncating", truncating)):
        if side not in _SIDES:
            raise ValueError(
                f"pad_sequences: `{name}` must be 'pre' or 'post'. Received: {name}={side!r}"
            )
    if maxlen is not None and (
        isinstance(maxlen, bool) or not isinstance(maxlen, (int, np.integer)) or maxlen < 0
    ):
        raise ValueError(f"pad_sequences: `maxlen` must be None or an int >= 0. Received: "
                         f"maxlen={maxlen!r}")
    lengths, sample_shape = [], None
    for index, sequence in enumerate(sequences):
        try:
            lengths.append(len(sequence))
        except TypeError:
            raise ValueError(
                "pad_sequences: `sequences` must be a list of iterables. Found non-iterable "
                f"{sequence!r} at position {index}."
            ) from None
        if sample_shape is None and len(sequence):
            sample_shape = np.asarray(sequence).shape[1:]
    sample_shape = sample_shape or ()
    is_text = np.dtype(dtype).kind in "USO"
    if isinstance(value, str) and not is_text:
        raise ValueError(
            f"pad_sequences: `dtype` {np.dtype(dtype)} cannot hold the string padding "
            f"value {value!r}. To fix, pass dtype=object (for strings of any length)."
        )
    if maxlen is None:
        maxlen = max(lengths, default=0)
    out = np.full((len(lengths), maxlen) + sample_shape, value, dtype=dtype)
    if maxlen == 0:
        return out
    for index, sequence in enumerate(sequences):
        if not lengths[index]:
            continue
        kept = sequence[-maxlen:] if truncating == "pre" else sequence[:maxlen]
        kept = np.asarray(kept, dtype=dtype)
        if kept.shape[1:] != sample_shape:
            raise ValueError(
                f"pad_sequences: the samples of sequence {index} have shape {kept.shape[1:]}, "
                f"but the first non-empty sequence's have shape {sample_shape}. Every "
                "sample must have the same shape."
            )
        if padding == "post":
            out[index, : len(kept)] = kept
        else:
            out[index, maxlen - len(kept) :] = kept
    return out
