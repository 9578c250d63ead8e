"""Attention over sequences: ``Attention`` (Luong, dot product) and ``AdditiveAttention``
(Bahdanau), Keras 3's layers.

Both take ``[query, value]`` or ``[query, value, key]`` (``key`` defaults to ``value``),
score every query step against every key step, take the softmax over the keys and
return the weighted sum of the values. They are light composites of differentiable
ops (``matmul``, ``tanh``, ``softmax``, ``where``), so they hold no backward code.

>>> import deepgrad as dg
>>> q = np.ones((2, 3, 4), np.float32)
>>> v = np.ones((2, 5, 4), np.float32)
>>> dg.layers.Attention()([q, v]).shape
(2, 3, 4)
>>> out, scores = dg.layers.AdditiveAttention()([q, v], return_attention_scores=True)
>>> scores.shape
(2, 3, 5)
"""

from __future__ import annotations

import numpy as np

from deepgrad import ops
from deepgrad import random as dg_random
from deepgrad.layers.base import Layer, shape_str
from deepgrad.ops.attention import causal_mask
from deepgrad.tensor import Tensor

__all__ = ["Attention", "AdditiveAttention", "mask_array"]

_SCORE_MODES = ("dot", "concat")


def mask_array(mask) -> np.ndarray | None:
    """A mask given as booleans, 0/1 numbers or a Tensor of them, as a bool array.

    Numbers count as True above 0.5, as Keras's ``Softmax`` reads a float mask.

    >>> mask_array([1.0, 0.0]), mask_array(None)
    (array([ True, False]), None)
    """
    if mask is None:
        return None
    array = np.asarray(mask.data if isinstance(mask, Tensor) else mask)
    return array if array.dtype == bool else array > 0.5


def check_dropout(layer: str, dropout) -> float:
    """``dropout`` as a float in [0, 1), or a ValueError naming ``layer``.

    >>> check_dropout("Attention", 0)
    0.0
    """
    if isinstance(dropout, bool) or not isinstance(dropout, (int, float)) or not (
            0 <= dropout < 1):
        raise ValueError(
            f"{layer}: `dropout` must be a float in [0, 1). Received: dropout={dropout!r}"
        )
    return float(dropout)


class Attention(Layer):
    """Dot-product attention (Luong style): ``softmax(query @ key^T) @ value``.

    Args:
        use_scale: learn a scalar ``scale`` that multiplies the scores.
        score_mode: ``'dot'`` (``query @ key^T``) or ``'concat'``
            (``concat_score_weight * sum(tanh(query + key))``).
        dropout: fraction of the attention probabilities dropped in training.
        seed: seed of the dropout's generator (the global one when None).

    Call arguments:
        inputs: ``[query, value]`` or ``[query, value, key]``; query ``(batch, Tq, dim)``,
            value and key ``(batch, Tv, dim)``.
        mask: optional ``[query_mask, value_mask]`` of booleans, ``(batch, Tq)`` and
            ``(batch, Tv)``: a False value step is not attended to (its score loses
            ``1e9``, Keras's rule), a False query step gives zeros.
        return_attention_scores: also return the probabilities ``(batch, Tq, Tv)``.
        training: whether dropout applies.
        use_causal_mask: hide the value steps after each query step (``j > i``).

    Output shape: ``(batch, Tq, dim)`` (the value's last axis).
    Weights: ``scale`` (shape ``()``, with ``use_scale``), ``concat_score_weight``
    (shape ``()``, with ``score_mode='concat'``), both initialised to one.

    >>> layer = Attention(use_scale=True)
    >>> layer([np.ones((1, 2, 3)), np.ones((1, 4, 3))]).shape
    (1, 2, 3)
    >>> [w.name for w in layer.weights]
    ['scale']
    """

    supports_masking = True

    def __init__(self, use_scale: bool = False, score_mode: str = "dot",
                 dropout: float = 0.0, seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        if score_mode not in _SCORE_MODES:
            raise ValueError(
                f"{type(self).__name__}: `score_mode` must be one of 'dot', 'concat'. "
                f"Received: score_mode={score_mode!r}"
            )
        self.use_scale = bool(use_scale)
        self.score_mode = score_mode
        self.dropout = check_dropout(type(self).__name__, dropout)
        self.seed = seed
        self._generator = None if seed is None else dg_random.make_generator(seed)
        self._returning_scores = False

    # -- inputs ---------------------------------------------------------------------------
    def _check_inputs(self, inputs, mask=None) -> None:
        who = f"{type(self).__name__} '{self.name}'"
        if not isinstance(inputs, (list, tuple)) or not 2 <= len(inputs) <= 3:
            got = (f"a list of {len(inputs)}" if isinstance(inputs, (list, tuple))
                   else "a single tensor")
            raise ValueError(
                f"{who}: expected a list of inputs [query, value] or [query, value, key]. "
                f"Received: {got}."
            )
        if mask is not None and (not isinstance(mask, (list, tuple))
                                 or not 2 <= len(mask) <= 3):
            raise ValueError(
                f"{who}: `mask` must be a list [query_mask, value_mask]. Received: "
                f"mask={mask!r}"
            )

    def _check_shapes(self, shapes) -> None:
        self._check_inputs(shapes if isinstance(shapes, list) else None)
        query, value = tuple(shapes[0]), tuple(shapes[1])
        key = tuple(shapes[2]) if len(shapes) > 2 else value
        known = [(a, b) for a, b in ((value[-2], key[-2]), (query[-1], key[-1]))
                 if a is not None and b is not None]
        if (len(query) < 3 or len(value) != len(query) or len(key) != len(query)
                or any(a != b for a, b in known)):
            raise ValueError(
                f"{type(self).__name__} '{self.name}': expected query (batch, Tq, dim), "
                "value (batch, Tv, dim_v) and key (batch, Tv, dim), of one rank. Received: "
                f"{', '.join(shape_str(s) for s in shapes)}."
            )

    # -- the layer ------------------------------------------------------------------------
    def build(self, input_shape) -> None:
        self._check_shapes(input_shape)
        self.scale = self.concat_score_weight = None
        if self.use_scale:
            self.scale = self.add_weight((), "ones", name="scale")
        if self.score_mode == "concat":
            self.concat_score_weight = self.add_weight((), "ones", name="concat_score_weight")

    def _scores(self, query: Tensor, key: Tensor) -> Tensor:
        if self.score_mode == "dot":
            scores = ops.matmul(query, ops.transpose(key, _swapped(key.ndim)))
            return scores if self.scale is None else ops.multiply(scores, self.scale)
        pairs = ops.add(ops.expand_dims(query, -2), ops.expand_dims(key, -3))
        if self.scale is not None:
            pairs = ops.multiply(pairs, self.scale)
        return ops.multiply(ops.sum(ops.tanh(pairs), axis=-1), self.concat_score_weight)

    def call(self, inputs, mask=None, training=None, return_attention_scores: bool = False,
             use_causal_mask: bool = False):
        self._check_inputs(inputs, mask)
        self._check_shapes([t.shape for t in inputs])
        query, value = inputs[0], inputs[1]
        key = inputs[2] if len(inputs) > 2 else value
        query_mask = mask_array(mask[0]) if mask else None
        value_mask = mask_array(mask[1]) if mask else None
        scores = self._scores(query, key)
        keep = None if value_mask is None else value_mask[..., None, :]
        if use_causal_mask:
            causal = causal_mask(scores.shape[-2], scores.shape[-1])
            keep = causal if keep is None else keep & causal
        if keep is not None:
            scores = ops.where(keep, scores, ops.subtract(scores, 1.0e9))
        weights = ops.softmax(scores, axis=-1)
        used = weights
        if training and self.dropout > 0:
            used = ops.dropout(weights, self.dropout,
                               self._generator or dg_random.generator())
        output = ops.matmul(used, value)
        if query_mask is not None:
            output = ops.where(query_mask[..., None], output, 0.0)
        return (output, weights) if return_attention_scores else output

    def __call__(self, inputs, *args, return_attention_scores: bool = False, **kwargs):
        # A functional model learns the outputs' structure from compute_output_shape,
        # which sees only shapes: the flag tells it whether the scores come too.
        self._returning_scores = bool(return_attention_scores)
        try:
            return super().__call__(inputs, *args,
                                    return_attention_scores=return_attention_scores, **kwargs)
        finally:
            self._returning_scores = False

    def compute_mask(self, inputs, mask=None):
        """The query's mask (Keras's rule)."""
        if mask is None or mask[0] is None:
            return None
        return mask_array(mask[0])

    def compute_output_shape(self, input_shape):
        self._check_shapes(input_shape)
        query, value = tuple(input_shape[0]), tuple(input_shape[1])
        output = query[:-1] + (value[-1],)
        if self._returning_scores:
            key = tuple(input_shape[2]) if len(input_shape) > 2 else value
            return [output, query[:-1] + (key[-2],)]
        return output

    def get_config(self) -> dict:
        return {**super().get_config(), "use_scale": self.use_scale,
                "score_mode": self.score_mode, "dropout": self.dropout, "seed": self.seed}


def _swapped(ndim: int) -> tuple[int, ...]:
    return tuple(range(ndim - 2)) + (ndim - 1, ndim - 2)


class AdditiveAttention(Attention):
    """Additive attention (Bahdanau style): scores ``sum(scale * tanh(query + key))``.

    Args:
        use_scale: learn a ``scale`` vector ``(dim,)`` (Glorot-uniform) that weighs the
            features of ``tanh(query + key)``; without it the features are summed.
        dropout: fraction of the attention probabilities dropped in training.
        seed: seed of the dropout's generator.

    Call arguments, shapes and masks: as :class:`Attention`; query and key share ``dim``.

    >>> layer = AdditiveAttention()
    >>> layer([np.ones((1, 2, 3)), np.ones((1, 4, 3))]).shape
    (1, 2, 3)
    >>> layer.scale.shape
    (3,)
    """

    def __init__(self, use_scale: bool = True, dropout: float = 0.0, **kwargs):
        super().__init__(use_scale=use_scale, dropout=dropout, **kwargs)

    def build(self, input_shape) -> None:
        self._check_shapes(input_shape)
        dim = input_shape[0][-1]
        if self.use_scale and dim is None:
            raise ValueError(
                f"AdditiveAttention '{self.name}': the query's last dimension must be known. "
                f"Received: {shape_str(input_shape[0])}."
            )
        self.scale = self.concat_score_weight = None
        if self.use_scale:
            self.scale = self.add_weight((int(dim),), "glorot_uniform", name="scale")

    def _scores(self, query: Tensor, key: Tensor) -> Tensor:
        pairs = ops.tanh(ops.add(ops.expand_dims(query, -2), ops.expand_dims(key, -3)))
        if self.scale is not None:
            pairs = ops.multiply(pairs, self.scale)
        return ops.sum(pairs, axis=-1)

    def get_config(self) -> dict:
        config = super().get_config()
        del config["score_mode"]
        return config
