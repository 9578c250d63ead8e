"""Connectionist temporal classification: the CTC loss as one fused op.

The loss of a label sequence is ``-log`` of the total probability of every alignment of
it to the frames (Graves et al., 2006). Both passes of the forward-backward algorithm
run in log space, one time step at a time, each step vectorised over the batch and the
states of the extended label sequence (blank, l1, blank, l2, ..., blank). The gradient
with respect to the logits is ``softmax - occupancy``, where the occupancy of class
``c`` at frame ``t`` is the posterior probability that an alignment emits ``c`` there.

Keras's ``keras.ops.ctc_loss`` form: ``target`` ``(batch, max_label_length)`` integer
labels, ``output`` ``(batch, max_time, num_classes)`` logits (not softmaxed), lengths per
sequence, and ``mask_index`` the blank class.

>>> import numpy as np
>>> from deepgrad.tensor import Tensor
>>> logits = Tensor(np.zeros((1, 2, 2)), requires_grad=True)  # 2 frames, blank + 1 class
>>> loss = ctc_loss(np.array([[1]]), logits, [1], [2])
>>> round(float(loss.data[0]), 4)  # 3 alignments of 4, each 1/4: -log(3/4)
0.2877
"""

from __future__ import annotations

import numpy as np

from deepgrad.ops.symbolic import op
from deepgrad.tensor import Tensor, as_tensor, make_result

__all__ = ["ctc_loss"]


def _lengths(values, batch: int, limit: int, low: int, name: str) -> np.ndarray:
    lengths = np.asarray(values.data if isinstance(values, Tensor) else values)
    if lengths.ndim == 0:
        lengths = np.full(batch, lengths)
    if lengths.shape != (batch,) or (lengths.size and lengths.dtype.kind not in "iuf"):
        raise ValueError(
            f"ctc_loss: `{name}` must hold one integer per sequence, shape ({batch},). "
            f"Received: {name}.shape={lengths.shape}"
        )
    lengths = lengths.astype(np.int64)
    if lengths.size and (lengths.min() < low or lengths.max() > limit):
        raise ValueError(
            f"ctc_loss: `{name}` must be in [{low}, {limit}]. Received: {name}="
            f"{lengths.tolist()}"
        )
    return lengths


def _check(target, output: Tensor, mask_index: int) -> np.ndarray:
    if output.ndim != 3:
        raise ValueError(
            "ctc_loss: `output` must be logits of shape (batch, max_time, num_classes). "
            f"Received: output.shape={output.shape}"
        )
    labels = np.asarray(target.data if isinstance(target, Tensor) else target)
    if labels.ndim != 2 or labels.shape[0] != output.shape[0]:
        raise ValueError(
            "ctc_loss: `target` must be integer labels of shape (batch, max_label_length) "
            f"with batch {output.shape[0]}. Received: target.shape={labels.shape}"
        )
    if labels.size and labels.dtype.kind == "f" and np.any(np.mod(labels, 1)):
        raise ValueError("ctc_loss: `target` must hold integer class labels.")
    labels = labels.astype(np.int64)
    classes = output.shape[2]
    if not 0 <= mask_index < classes:
        raise ValueError(
            f"ctc_loss: `mask_index` must be a class in [0, {classes - 1}]. "
            f"Received: mask_index={mask_index}"
        )
    if labels.size and (labels.min() < 0 or labels.max() >= classes):
        raise ValueError(
            f"ctc_loss: labels must be in [0, {classes - 1}] for {classes} classes. "
            f"Received labels from {labels.min()} to {labels.max()}."
        )
    return labels


def _log_softmax(x: np.ndarray) -> np.ndarray:
    shifted = x - x.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


@op
def ctc_loss(
    target, output, target_length, output_length, mask_index: int = 0
) -> Tensor:
    """Per-sequence CTC loss (negative log-likelihood), differentiable in ``output``.

    Args:
        target: integer labels, shape ``(batch, max_label_length)``; entries past a
            sequence's ``target_length`` are ignored.
        output: logits, shape ``(batch, max_time, num_classes)``; a log-softmax over the
            classes is applied inside.
        target_length: the number of labels of each sequence, shape ``(batch,)``.
        output_length: the number of valid frames of each sequence, shape ``(batch,)``,
            each in ``[1, max_time]``; later frames get no gradient.
        mask_index: the blank class. Defaults to 0, as in Keras.

    Returns:
        A Tensor of shape ``(batch,)`` in ``output``'s dtype. A label sequence that no
        alignment can produce (more labels, with repeats, than frames) costs ``inf``,
        as in PyTorch, and sends no gradient (PyTorch's ``zero_infinity=True`` for the
        gradient). Keras's TensorFlow backend returns an arbitrary large number there.

    Raises:
        ValueError: for shapes, lengths or labels out of range.

    >>> logits = Tensor(np.log([[[0.6, 0.4], [0.6, 0.4]]]))
    >>> round(float(ctc_loss([[1]], logits, [1], [2]).data[0]), 4)  # -log(1 - 0.6**2)
    0.4463
    """
    output = as_tensor(output)
    if output.dtype.kind != "f":
        output = Tensor(output.data.astype(np.float32))
    labels = _check(target, output, mask_index)
    batch, max_time, _ = output.shape
    label_length = _lengths(target_length, batch, labels.shape[1], 0, "target_length")
    frames = _lengths(output_length, batch, max_time, 1, "output_length")
    dtype = output.dtype
    log_probs = _log_softmax(output.data)

    # The extended label sequence of each sample: blank, l1, blank, l2, ..., blank.
    states = 2 * labels.shape[1] + 1
    extended = np.full((batch, states), mask_index, dtype=np.int64)
    extended[:, 1::2] = labels
    # A state may be entered from two back when it holds a label that differs from the
    # label two back (no blank between two equal labels can be skipped).
    skip = np.zeros((batch, states), dtype=bool)
    skip[:, 2:] = (extended[:, 2:] != mask_index) & (extended[:, 2:] != extended[:, :-2])
    # log p(extended[s]) at each frame, time-major: (max_time, batch, states).
    emit = np.take_along_axis(log_probs, extended[:, None, :], axis=2).transpose(1, 0, 2)
    emit = np.ascontiguousarray(emit)

    # alpha[t, b, s]: log p(frames 0..t of b end in state s). Two states of -inf pad the
    # front, so that "one back" and "two back" are slices rather than shifted copies.
    has_label = label_length > 0
    padded = np.full((max_time, batch, states + 2), -np.inf, dtype=dtype)
    padded[0, :, 2] = emit[0, :, 0]
    padded[0, has_label, 3] = emit[0, has_label, 1]
    skip_add = np.where(skip, 0.0, -np.inf).astype(dtype)
    stay, jump = np.empty((batch, states), dtype), np.empty((batch, states), dtype)
    for t in range(1, max_time):
        prev, now = padded[t - 1], padded[t, :, 2:]
        np.logaddexp(prev[:, 2:], prev[:, 1:-1], out=stay)
        np.add(prev[:, :-2], skip_add, out=jump)
        np.logaddexp(stay, jump, out=now)
        now += emit[t]
    alpha = padded[:, :, 2:]

    rows = np.arange(batch)
    last_blank, last_label = 2 * label_length, np.maximum(2 * label_length - 1, 0)
    final = alpha[frames - 1, rows]
    log_likelihood = np.where(
        has_label,
        np.logaddexp(final[rows, last_blank], final[rows, last_label]),
        final[rows, last_blank],
    )
    loss = (-log_likelihood).astype(dtype, copy=False)

    def backward(g: np.ndarray) -> tuple[np.ndarray]:
        # beta[t, b, s]: log p(frames t.. of b | state s at t), emission at t included;
        # two states of -inf pad the end, and a row of -inf follows the last frame.
        padded = np.full((max_time + 1, batch, states + 2), -np.inf, dtype=dtype)
        ends = np.full((batch, states), -np.inf, dtype=dtype)
        ends[rows, last_blank] = 0.0
        ends[has_label, last_label[has_label]] = 0.0
        skip_next = np.full((batch, states), -np.inf, dtype=dtype)  # state s + 2 from s
        skip_next[:, :-2] = skip_add[:, 2:]
        for t in range(max_time - 1, -1, -1):
            nxt, now = padded[t + 1], padded[t, :, :states]
            np.logaddexp(nxt[:, :states], nxt[:, 1:states + 1], out=stay)
            np.add(nxt[:, 2:], skip_next, out=jump)
            np.logaddexp(stay, jump, out=now)
            last = frames - 1 == t
            if last.any():
                now[last] = ends[last]
            done = frames - 1 < t
            if done.any():
                now[done] = -np.inf
            now += emit[t]
        beta = padded[:max_time, :, :states]
        feasible = np.isfinite(log_likelihood)
        shift = np.where(feasible, log_likelihood, 0.0).astype(dtype)
        # Posterior of each (frame, state), then summed per class: (batch, time, classes).
        occupancy = np.exp(alpha + beta - emit - shift[None, :, None]).transpose(1, 0, 2)
        one_hot = np.zeros((batch, states, output.shape[2]), dtype=dtype)
        one_hot[rows[:, None], np.arange(states)[None, :], extended] = 1.0
        per_class = occupancy @ one_hot
        probs = np.exp(log_probs)
        valid = (np.arange(max_time)[None, :] < frames[:, None])[..., None]
        grad = np.where(valid, probs * per_class.sum(axis=-1, keepdims=True) - per_class, 0.0)
        scale = np.where(feasible, g, 0.0).astype(dtype)
        return ((grad * scale[:, None, None]).astype(dtype, copy=False),)

    return make_result(loss, (output,), backward)
