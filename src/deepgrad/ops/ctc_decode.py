"""``ctc_decode``: best label sequences from CTC logits, greedy or by beam search, in
Keras's form (paths padded with -1, blank at ``mask_index``). No gradient: decoding is a
search.

>>> import deepgrad as dg
>>> logits = np.log(np.array([[[0.1, 0.8, 0.1], [0.1, 0.8, 0.1], [0.8, 0.1, 0.1],
...                            [0.1, 0.1, 0.8]]]))
>>> paths, scores = dg.ops.ctc_decode(dg.Tensor(logits), dg.Tensor([4]))
>>> paths
Tensor([[[ 1,  2, -1, -1]]], dtype=int32)
"""

from __future__ import annotations

import numpy as np

from deepgrad.ops.core import float_tensor, tensor_of
from deepgrad.ops.symbolic import op
from deepgrad.tensor import Tensor

__all__ = ["ctc_decode"]


def _greedy(logits: np.ndarray, lengths: np.ndarray, merge_repeated: bool, blank: int):
    batch, steps, _ = logits.shape
    best = np.argmax(logits, axis=-1).astype(np.int32)
    scores = np.max(logits, axis=-1)
    beyond = np.arange(steps)[None, :] >= lengths[:, None]
    best = np.where(beyond, blank, best)
    scores = np.where(beyond, 0, scores)
    if merge_repeated:
        repeated = np.pad(best[:, 1:] == best[:, :-1], ((0, 0), (1, 0)))
        best = np.where(repeated, blank, best)
    dropped = best == blank
    order = np.argsort(np.where(dropped, steps, np.arange(steps)[None, :]), axis=-1,
                       kind="stable")
    paths = np.take_along_axis(np.where(dropped, -1, best), order, axis=-1)
    return paths[None], -np.sum(scores, axis=1, keepdims=True)


def _log_softmax(x: np.ndarray) -> np.ndarray:
    top = x.max(axis=-1, keepdims=True)
    return x - top - np.log(np.exp(x - top).sum(axis=-1, keepdims=True))


def _beam(log_probs: np.ndarray, length: int, beam_width: int, top_paths: int, blank: int):
    """CTC prefix beam search over one sequence: each prefix keeps the log probability of
    its alignments ending in a blank and in its last label."""
    beams = {(): (0.0, -np.inf)}  # prefix -> (log p ending blank, log p ending label)
    for t in range(length):
        step = log_probs[t]
        grown: dict[tuple, list[float]] = {}

        def add(prefix, blank_part, label_part, grown=grown):
            entry = grown.setdefault(prefix, [-np.inf, -np.inf])
            entry[0] = np.logaddexp(entry[0], blank_part)
            entry[1] = np.logaddexp(entry[1], label_part)

        for prefix, (p_blank, p_label) in beams.items():
            total = np.logaddexp(p_blank, p_label)
            add(prefix, total + step[blank], -np.inf)
            for c in range(len(step)):
                if c == blank:
                    continue
                if prefix and prefix[-1] == c:
                    add(prefix, -np.inf, p_label + step[c])
                    add(prefix + (c,), -np.inf, p_blank + step[c])
                else:
                    add(prefix + (c,), -np.inf, total + step[c])
        ranked = sorted(grown.items(), key=lambda kv: -np.logaddexp(*kv[1]))
        beams = {k: tuple(v) for k, v in ranked[:beam_width]}
    ranked = sorted(beams.items(), key=lambda kv: -np.logaddexp(*kv[1]))[:top_paths]
    return [(list(p), float(np.logaddexp(*v))) for p, v in ranked]


@op
def ctc_decode(inputs, sequence_lengths, strategy: str = "greedy", beam_width: int = 100,
               top_paths: int = 1, merge_repeated: bool = True, mask_index: int | None = 0):
    """Decode CTC logits ``(batch, steps, classes)``.

    Returns ``(paths, scores)``: ``paths`` of shape ``(top_paths, batch, steps)``, int32,
    padded with -1; for ``'greedy'`` the scores are ``-sum`` of the best logits per step
    (shape ``(batch, 1)``), for ``'beam_search'`` the log probabilities of the paths
    (``(batch, top_paths)``).

    Raises:
        ValueError: for an unknown ``strategy``.

    >>> logits = Tensor(np.log([[[0.6, 0.4], [0.4, 0.6]]]))
    >>> ctc_decode(logits, Tensor([2]), strategy="beam_search", beam_width=4)[0]
    Tensor([[[ 1, -1]]], dtype=int32)
    """
    logits = float_tensor(inputs).data
    lengths = tensor_of(sequence_lengths).data.astype(np.int64)
    blank = logits.shape[-1] - 1 if mask_index is None else int(mask_index)
    if strategy == "greedy":
        paths, scores = _greedy(logits, lengths, merge_repeated, blank)
        return Tensor(paths.astype(np.int32)), Tensor(scores.astype(logits.dtype))
    if strategy != "beam_search":
        raise ValueError(
            f"ctc_decode: `strategy` must be 'greedy' or 'beam_search'. Received: {strategy!r}"
        )
    batch, steps, _ = logits.shape
    log_probs = _log_softmax(logits)
    paths = np.full((top_paths, batch, steps), -1, np.int32)
    scores = np.full((batch, top_paths), -np.inf, logits.dtype)
    for b in range(batch):
        for k, (path, score) in enumerate(_beam(log_probs[b], int(lengths[b]), beam_width,
                                                top_paths, blank)):
            paths[k, b, : len(path)] = path
            scores[b, k] = score
    return Tensor(paths), Tensor(scores)
