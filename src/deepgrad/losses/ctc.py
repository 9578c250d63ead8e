"""The CTC loss for sequences without an alignment (speech, handwriting, OCR).

``y_true`` holds the label sequences, padded with 0 (the blank class, which is never a
label); ``y_pred`` the logits of every frame. The fused op with the forward-backward
algorithm is :func:`deepgrad.ops.ctc.ctc_loss`.

>>> import numpy as np
>>> import deepgrad as dg
>>> logits = dg.Tensor(np.zeros((1, 2, 2), np.float32))
>>> ctc(np.array([[1]]), logits).data.round(4)  # 3 of the 4 alignments give "1"
array([0.2877], dtype=float32)
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, DTypeLike

from deepgrad import ops
from deepgrad.losses.base import Loss, prediction_tensor, reduce_weighted_values
from deepgrad.ops.ctc import ctc_loss
from deepgrad.ops.masks import get_keras_mask
from deepgrad.tensor import Tensor

__all__ = ["ctc", "CTC"]


def _labels(y_true: Tensor | ArrayLike) -> np.ndarray:
    labels = np.asarray(y_true.data if isinstance(y_true, Tensor) else y_true)
    if labels.ndim != 2:
        raise ValueError(
            "ctc: `y_true` must be integer labels of shape (batch_size, max_length), padded "
            f"with 0. Received: y_true.shape={labels.shape}"
        )
    return labels


def ctc(y_true: Tensor | ArrayLike, y_pred: Tensor | ArrayLike,
        input_length: ArrayLike | None = None) -> Tensor:
    """Per-sequence CTC loss (Keras's ``keras.losses.ctc``).

    Args:
        y_true: integer labels ``(batch_size, max_length)``; 0 is the blank and pads
            each sequence at its end (the label length is the number of non-zero
            entries).
        y_pred: logits ``(batch_size, frames, num_classes)``, not softmaxed; class 0 is
            the blank.
        input_length: the number of valid frames of each sequence; by default all of
            them (Keras's behaviour). A deepgrad addition.

    Returns:
        A Tensor of shape ``(batch_size,)``: ``-log p(labels | frames)``.

    Raises:
        ValueError: for the wrong ranks, or labels out of range.

    >>> logits = Tensor(np.log([[[0.6, 0.4], [0.6, 0.4]]], dtype=np.float32))
    >>> ctc(np.array([[1, 0]]), logits).data.round(4)  # -log(1 - 0.6 ** 2)
    array([0.4463], dtype=float32)
    """
    labels = _labels(y_true)
    y_pred = prediction_tensor(y_pred)
    if y_pred.ndim != 3:
        raise ValueError(
            "ctc: `y_pred` must be logits of shape (batch_size, max_length, num_classes). "
            f"Received: y_pred.shape={y_pred.shape}"
        )
    if input_length is None:
        input_length = np.full(y_pred.shape[0], y_pred.shape[1])
    return ctc_loss(labels, y_pred, (labels != 0).sum(axis=-1), input_length, mask_index=0)


class CTC(Loss):
    """Connectionist temporal classification loss (Keras's ``CTC``), reduced over the batch.

    Where ``y_pred`` carries a mask (a ``Masking`` layer or ``mask_zero=True``
    upstream), the masked frames are left out: each sequence's length is its number of
    unmasked frames (Keras uses all frames).

    Args:
        reduction: how per-sequence losses are combined (see ``Loss``).
        name: defaults to ``"ctc"``.
        dtype: optional float dtype to compute in.

    >>> logits = Tensor(np.zeros((2, 2, 2)))
    >>> round(float(CTC()(np.array([[1], [1]]), logits).data), 4)
    0.2877
    """

    def __init__(self, reduction: str | None = "sum_over_batch_size", name: str = "ctc",
                 dtype: DTypeLike = None):
        super().__init__(name=name, reduction=reduction, dtype=dtype)

    def call(self, y_true: Tensor | ArrayLike, y_pred: Tensor) -> Tensor:
        return ctc(y_true, y_pred)

    def __call__(self, y_true: Tensor | ArrayLike, y_pred: Tensor | ArrayLike,
                 sample_weight: Tensor | ArrayLike | None = None) -> Tensor:
        frames = get_keras_mask(y_pred)
        y_pred = prediction_tensor(y_pred)
        if self.dtype is not None and y_pred.dtype != self.dtype:
            y_pred = ops.cast(y_pred, self.dtype)
        lengths = None if frames is None else np.asarray(frames).reshape(
            y_pred.shape[0], -1).sum(axis=1)
        values = ctc(y_true, y_pred, input_length=lengths)
        return reduce_weighted_values(values, sample_weight, None, self.reduction, self.name)
