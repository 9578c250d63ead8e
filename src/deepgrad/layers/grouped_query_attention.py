"""``GroupQueryAttention``: Keras 3's grouped-query attention (Ainslie et al., 2023).

``num_query_heads`` query heads share ``num_key_value_heads`` key and value heads: each
key/value head serves ``num_query_heads // num_key_value_heads`` query heads (Keras
repeats them, ``ops.repeat`` on the heads axis). With as many key/value heads as query
heads it is multi-head attention; with one it is multi-query attention. The weights have
Keras's layout and order: ``query`` ``(dim, num_query_heads, head_dim)``, ``key`` and
``value`` ``(dim, num_key_value_heads, head_dim)``, ``attention_output``
``(num_query_heads, head_dim, dim)``, each with its bias. Masks, dropout, sliding window,
gating and the attention itself are :class:`MultiHeadAttention`'s.

>>> import deepgrad as dg
>>> gqa = dg.layers.GroupQueryAttention(head_dim=4, num_query_heads=4, num_key_value_heads=2)
>>> x = np.ones((2, 5, 8), np.float32)
>>> gqa(x, x).shape, [tuple(w.shape) for w in gqa.weights][2]
((2, 5, 8), (8, 2, 4))
"""

from __future__ import annotations

from deepgrad import ops
from deepgrad.layers.base import shape_str
from deepgrad.layers.multi_head_attention import MultiHeadAttention, _positive

__all__ = ["GroupQueryAttention"]


class GroupQueryAttention(MultiHeadAttention):
    """Grouped-query attention with Keras 3's arguments and weights.

    Args:
        head_dim: the size of each head.
        num_query_heads: the number of query heads.
        num_key_value_heads: the number of key and value heads; it must divide
            ``num_query_heads``.
        dropout: fraction of the attention probabilities dropped in training.
        use_bias: whether the projections have biases.
        sliding_window: attend only to keys within ``sliding_window - 1`` steps.
        flash_attention: None or False (a GPU kernel in Keras).
        kernel_initializer, bias_initializer, kernel_regularizer, bias_regularizer,
        activity_regularizer, kernel_constraint, bias_constraint: for every projection.
        use_gate: gate the heads with ``sigmoid(query @ gate_kernel)``.
        seed: seed of the dropout's generator.

    Call arguments: as :class:`MultiHeadAttention` (``query (batch, T, dim)``,
    ``value (batch, S, dim)``, optional ``key``, masks, ``return_attention_scores``,
    ``training``, ``use_causal_mask``); the inputs must be 3-D.

    Output shape: ``(batch, T, dim)``; scores ``(batch, num_query_heads, T, S)``.

    Raises:
        ValueError: ``num_query_heads`` not divisible by ``num_key_value_heads``, or
            inputs that are not 3-D.

    >>> gqa = GroupQueryAttention(2, 6, 3)
    >>> out, scores = gqa(np.ones((1, 3, 4)), np.ones((1, 5, 4)), return_attention_scores=True)
    >>> out.shape, scores.shape
    ((1, 3, 4), (1, 6, 3, 5))
    """

    def __init__(self, head_dim: int, num_query_heads: int, num_key_value_heads: int,
                 dropout: float = 0.0, use_bias: bool = True, sliding_window: int | None = None,
                 flash_attention: bool | None = None, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, bias_constraint=None,
                 use_gate: bool = False, seed: int | None = None, **kwargs):
        heads = _positive("num_query_heads", num_query_heads)
        kv_heads = _positive("num_key_value_heads", num_key_value_heads)
        super().__init__(
            heads, head_dim, dropout=dropout, use_bias=use_bias, sliding_window=sliding_window,
            flash_attention=flash_attention, kernel_initializer=kernel_initializer,
            bias_initializer=bias_initializer, kernel_regularizer=kernel_regularizer,
            bias_regularizer=bias_regularizer, activity_regularizer=activity_regularizer,
            kernel_constraint=kernel_constraint, bias_constraint=bias_constraint,
            use_gate=use_gate, seed=seed, **kwargs)
        if heads % kv_heads:
            raise ValueError(
                f"GroupQueryAttention '{self.name}': `num_query_heads` must be divisible by "
                f"`num_key_value_heads`. Received: num_query_heads={heads}, "
                f"num_key_value_heads={kv_heads}"
            )
        self._num_key_value_heads = kv_heads

    head_dim = property(lambda self: self._key_dim)
    num_query_heads = property(lambda self: self._num_heads)
    num_key_value_heads = property(lambda self: self._num_key_value_heads)

    def _check_shapes(self, query_shape, value_shape, key_shape) -> None:
        if not len(query_shape) == len(value_shape) == len(key_shape) == 3:
            raise ValueError(
                f"GroupQueryAttention '{self.name}': query, value and key must be 3-D "
                f"(batch, steps, features). Received: query_shape={shape_str(query_shape)}, "
                f"value_shape={shape_str(value_shape)}, key_shape={shape_str(key_shape)}."
            )
        super()._check_shapes(query_shape, value_shape, key_shape)

    def _key_value_heads(self) -> int:
        return self._num_key_value_heads

    def _per_query_head(self, projected):
        # Keras repeats each key/value head for its group of query heads (ops.repeat).
        return ops.repeat(projected, self._num_heads // self._num_key_value_heads, axis=-2)

    def get_config(self) -> dict:
        config = super().get_config()
        for name in ("num_heads", "key_dim", "value_dim", "output_shape", "attention_axes"):
            del config[name]
        return {**config, "head_dim": self._key_dim, "num_query_heads": self._num_heads,
                "num_key_value_heads": self._num_key_value_heads}
