"""``MultiHeadAttention``: Keras 3's layer, with Keras's weights and masks.

The query, key and value are projected to ``num_heads`` heads (kernels
``(dim, num_heads, key_dim)``, biases ``(num_heads, key_dim)``, Keras's ``EinsumDense``
layout), the heads attend with the fused ``deepgrad.ops.attention.attend`` op, and an
output projection (kernel ``(num_heads, value_dim, dim)``) joins them. The weights come in
Keras's order and under Keras's names (``query/kernel``, ``query/bias``, ``key/...``,
``value/...``, ``attention_output/...``), so ``get_weights``/``set_weights`` exchange with
Keras. For rank-3 inputs this is PyTorch's ``nn.MultiheadAttention`` with its
``in_proj_weight`` split and reshaped (``tests/layers/test_attention_vs_torch.py``).

>>> import deepgrad as dg
>>> mha = dg.layers.MultiHeadAttention(num_heads=2, key_dim=4)
>>> x = np.ones((3, 5, 8), np.float32)
>>> mha(x, x).shape
(3, 5, 8)
>>> [w.shape for w in mha.weights][:2], mha.weights[6].path
([(8, 2, 4), (2, 4)], 'attention_output/kernel')
"""

from __future__ import annotations

import math

import numpy as np

from deepgrad import activations, constraints, initializers, ops, regularizers
from deepgrad import random as dg_random
from deepgrad.layers.attention import check_dropout, mask_array
from deepgrad.layers.base import Layer, shape_str
from deepgrad.layers.core import serialize_regularizer
from deepgrad.layers.einsum_dense import axes_initializer
from deepgrad.ops.attention import attend, causal_mask
from deepgrad.ops.masks import get_keras_mask, set_keras_mask
from deepgrad.tensor import Tensor

__all__ = ["MultiHeadAttention"]

_TENSOR_ARGUMENTS = ("query", "value", "key", "query_mask", "value_mask", "key_mask",
                     "attention_mask")


class _Projection(Layer):
    """``x @ kernel + bias`` over the last ``bound`` axes of ``x``, output ``out_shape``.

    Keras's ``EinsumDense`` for the equations ``MultiHeadAttention`` uses: the kernel is
    ``x.shape[-bound:] + out_shape``, the bias ``out_shape``.
    """

    supports_masking = True  # a projection per step: the steps' mask passes through

    def __init__(self, bound: int, out_shape: tuple, use_bias: bool, common: dict,
                 activation=None, **kwargs):
        super().__init__(**kwargs)
        self.bound, self.out_shape, self.use_bias = bound, tuple(out_shape), use_bias
        self.common = common
        self.activation = activations.get(activation)
        self.activity_regularizer = common["activity_regularizer"]

    def build(self, input_shape) -> None:
        inner = tuple(input_shape[-self.bound:])
        c = self.common
        # Keras 3.15's EinsumDense counts a variance-scaling initializer's fans over the
        # kernel's input and output axes (layers/einsum_dense.py, axes_initializer).
        kernel_axes = (range(self.bound), range(self.bound, self.bound + len(self.out_shape)))
        self.kernel = self.add_weight(inner + self.out_shape,
                                      axes_initializer(c["kernel_initializer"], *kernel_axes),
                                      regularizer=c["kernel_regularizer"],
                                      constraint=c["kernel_constraint"], name="kernel")
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(self.out_shape, c["bias_initializer"],
                                        regularizer=c["bias_regularizer"],
                                        constraint=c["bias_constraint"], name="bias")

    def call(self, inputs: Tensor) -> Tensor:
        lead = inputs.shape[: inputs.ndim - self.bound]
        size_in, size_out = math.prod(self.kernel.shape[: self.bound]), math.prod(self.out_shape)
        flat = ops.reshape(inputs, lead + (size_in,)) if self.bound != 1 else inputs
        bias = None if self.bias is None else ops.reshape(self.bias, (size_out,))
        out = ops.dense(flat, ops.reshape(self.kernel, (size_in, size_out)), bias)
        out = ops.reshape(out, lead + self.out_shape) if len(self.out_shape) != 1 else out
        return out if self.activation is activations.linear else self.activation(out)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[: len(input_shape) - self.bound]) + self.out_shape


def _positive(name: str, value, none_ok: bool = False):
    if value is None and none_ok:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
        raise ValueError(
            f"MultiHeadAttention: `{name}` must be a positive int"
            f"{' or None' if none_ok else ''}. Received: {name}={value!r}"
        )
    return int(value)


def _unpack(query_shape, value_shape, key_shape):
    """Shapes given as Keras's three arguments or as the packed call's dict of shapes."""
    if isinstance(query_shape, dict):
        shapes = query_shape
        return (tuple(shapes["query"]), tuple(shapes["value"]),
                tuple(shapes.get("key", shapes["value"])))
    if value_shape is None and _is_list_of(query_shape, (list, tuple)):
        return _unpack(*query_shape, *[None] * (3 - len(query_shape)))
    value_shape = tuple(value_shape)
    return tuple(query_shape), value_shape, value_shape if key_shape is None else tuple(
        key_shape)


def _is_list_of(value, kinds) -> bool:
    """Whether ``value`` is ``[query, value]`` or ``[query, value, key]`` of ``kinds``."""
    return (isinstance(value, (list, tuple)) and 2 <= len(value) <= 3
            and all(isinstance(v, kinds) for v in value))


class MultiHeadAttention(Layer):
    """Multi-head attention (Vaswani et al., 2017) with Keras 3's arguments and weights.

    Args:
        num_heads: number of attention heads.
        key_dim: size of each head for the query and key.
        value_dim: size of each head for the value (``key_dim`` by default).
        dropout: fraction of the attention probabilities dropped in training.
        use_bias: whether the projections have biases.
        output_shape: the output's trailing shape (an int or tuple); the query's last
            dimension by default.
        attention_axes: the axes attention runs over (all between the batch and the
            features by default); the others are batch-like.
        sliding_window: attend only to keys within ``sliding_window - 1`` steps.
        flash_attention: None or False (a GPU kernel in Keras).
        kernel_initializer, bias_initializer, kernel_regularizer, bias_regularizer,
        activity_regularizer, kernel_constraint, bias_constraint: for every projection.
        use_gate: gate the heads with ``sigmoid(query @ gate_kernel)`` (Keras 3.13's
            gated attention); adds ``gate/kernel``, ``gate/bias`` after ``key``.
        seed: seed of the dropout's generator (the global one when None).

    Call arguments:
        query: ``(batch, T, dim)``; value: ``(batch, S, dim_v)``; key: optional
            ``(batch, S, dim_k)``, the value by default. deepgrad also takes them as one
            list ``[query, value]`` or ``[query, value, key]``, as ``Attention`` does.
        query_mask, value_mask, key_mask: optional ``(batch, T)`` / ``(batch, S)`` booleans;
            by default the Keras masks the inputs carry (e.g. from
            ``Embedding(mask_zero=True)``). Keras reads the query's mask from the query
            alone and ignores ``query_mask=``; deepgrad uses an explicit ``query_mask``.
        attention_mask: optional booleans ``(batch, T, S)``; False hides key ``s`` from
            query ``t``. All masks given are combined with a logical and.
        return_attention_scores: also return the probabilities ``(batch, heads, T, S)``.
        training: whether dropout applies.
        use_causal_mask: hide the keys after each query (decoder self-attention).

    A query whose keys are all masked attends uniformly to every key (Keras's
    ``dot_product_attention``), or gets zeros where Keras goes through its ``Softmax``
    layer instead: with ``return_attention_scores``, ``dropout > 0`` or inputs that are
    not 3-D. The output carries the query's mask.

    Output shape: ``(batch, T, dim)`` or ``(batch, T) + output_shape``.

    >>> mha = MultiHeadAttention(2, 3, output_shape=6)
    >>> out, scores = mha(np.ones((1, 4, 5)), np.ones((1, 7, 5)),
    ...                   return_attention_scores=True)
    >>> out.shape, scores.shape
    ((1, 4, 6), (1, 2, 4, 7))
    """

    supports_masking = True

    def __init__(
        self,
        num_heads: int,
        key_dim: int,
        value_dim: int | None = None,
        dropout: float = 0.0,
        use_bias: bool = True,
        output_shape=None,
        attention_axes=None,
        sliding_window: int | None = None,
        flash_attention: bool | None = None,
        kernel_initializer="glorot_uniform",
        bias_initializer="zeros",
        kernel_regularizer=None,
        bias_regularizer=None,
        activity_regularizer=None,
        kernel_constraint=None,
        bias_constraint=None,
        use_gate: bool = False,
        seed: int | None = None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self._num_heads = _positive("num_heads", num_heads)
        self._key_dim = _positive("key_dim", key_dim)
        self._value_dim = _positive("value_dim", value_dim, none_ok=True) or self._key_dim
        self._dropout = check_dropout("MultiHeadAttention", dropout)
        self._use_bias = bool(use_bias)
        self._use_gate = bool(use_gate)
        if isinstance(output_shape, (int, np.integer)) and not isinstance(output_shape, bool):
            output_shape = (int(output_shape),)
        if output_shape is not None and (not isinstance(output_shape, (list, tuple)) or any(
                isinstance(s, bool) or not isinstance(s, (int, np.integer)) or s <= 0
                for s in output_shape)):
            raise ValueError(
                "MultiHeadAttention: `output_shape` must be an int or a tuple of positive "
                f"ints. Received: output_shape={output_shape!r}"
            )
        self._output_shape = None if not output_shape else tuple(int(s) for s in output_shape)
        if isinstance(attention_axes, (int, np.integer)):
            attention_axes = (int(attention_axes),)
        elif attention_axes is not None and not isinstance(attention_axes, (list, tuple)):
            raise ValueError(
                "MultiHeadAttention: `attention_axes` must be an int, list, or tuple. "
                f"Received: attention_axes={attention_axes!r}"
            )
        self._attention_axes = None if attention_axes is None else tuple(attention_axes)
        self._sliding_window = _positive("sliding_window", sliding_window, none_ok=True)
        if flash_attention:
            raise ValueError(
                "MultiHeadAttention: flash_attention=True is not supported (a GPU kernel in "
                "Keras); deepgrad computes attention with one fused NumPy op. Received: "
                "flash_attention=True"
            )
        self._common = {
            "kernel_initializer": initializers.get(kernel_initializer),
            "bias_initializer": initializers.get(bias_initializer),
            "kernel_regularizer": regularizers.get(kernel_regularizer),
            "bias_regularizer": regularizers.get(bias_regularizer),
            "activity_regularizer": regularizers.get(activity_regularizer),
            "kernel_constraint": constraints.get(kernel_constraint),
            "bias_constraint": constraints.get(bias_constraint),
        }
        self.seed = seed
        self._generator = None if seed is None else dg_random.make_generator(seed)
        self._returning_scores = False

    num_heads = property(lambda self: self._num_heads)
    key_dim = property(lambda self: self._key_dim)
    value_dim = property(lambda self: self._value_dim)
    dropout = property(lambda self: self._dropout)
    use_bias = property(lambda self: self._use_bias)
    attention_axes = property(lambda self: self._attention_axes)
    query_dense = property(lambda self: self._query_dense)
    key_dense = property(lambda self: self._key_dense)
    value_dense = property(lambda self: self._value_dense)
    output_dense = property(lambda self: self._output_dense)

    # -- building ---------------------------------------------------------------------------
    def build(self, query_shape, value_shape=None, key_shape=None) -> None:
        query_shape, value_shape, key_shape = _unpack(query_shape, value_shape, key_shape)
        self._check_shapes(query_shape, value_shape, key_shape)
        rank = len(query_shape) + 1  # of the projected tensors (..., heads, features)
        axes = tuple(range(1, rank - 2)) if self._attention_axes is None else tuple(
            a if a >= 0 else rank - 1 + a for a in self._attention_axes)
        if not axes or any(not 1 <= a <= rank - 3 for a in axes) or len(set(axes)) != len(axes):
            raise ValueError(
                f"MultiHeadAttention '{self.name}': `attention_axes` must name distinct axes "
                f"between the batch and the features of a {len(query_shape)}-D query. "
                f"Received: attention_axes={self._attention_axes}"
            )
        self._attention_axes = axes
        heads = self._num_heads

        def projection(name, bound, out_shape, activation=None):
            return _Projection(bound, out_shape, self._use_bias, self._common, activation,
                               name=name, dtype=self.dtype)

        self._query_dense = projection("query", 1, (heads, self._key_dim))
        self._query_dense.build(query_shape)
        kv_heads = self._key_value_heads()
        self._key_dense = projection("key", 1, (kv_heads, self._key_dim))
        self._key_dense.build(key_shape)
        self._gate_dense = None
        if self._use_gate:
            self._gate_dense = projection("gate", 1, (heads, self._value_dim), "sigmoid")
            self._gate_dense.build(query_shape)
        self._value_dense = projection("value", 1, (kv_heads, self._value_dim))
        self._value_dense.build(value_shape)
        out_shape = self._output_shape or (query_shape[-1],)
        self._output_dense = projection("attention_output", 2, out_shape)
        self._output_dense.build((heads, self._value_dim))
        for sublayer in (self._query_dense, self._key_dense, self._gate_dense,
                         self._value_dense, self._output_dense):
            if sublayer is not None:
                sublayer.built = True

    def _key_value_heads(self) -> int:
        """Heads of the key and value projections (GroupQueryAttention has fewer)."""
        return self._num_heads

    def _per_query_head(self, projected: Tensor) -> Tensor:
        """A key or value projection with one head per query head (here it has them)."""
        return projected

    def _check_shapes(self, query_shape, value_shape, key_shape) -> None:
        problem = None
        if value_shape[1:-1] != key_shape[1:-1]:
            problem = "all dimensions of `value` and `key`, except the last one, must be equal"
        elif len(query_shape) < 3 or len(value_shape) != len(query_shape):
            problem = "query, value and key must have one rank, at least 3"
        elif any(s is None for s in (query_shape[-1], value_shape[-1], key_shape[-1])):
            problem = "the last dimension (features) of each input must be known"
        if problem:
            raise ValueError(
                f"MultiHeadAttention '{self.name}': {problem}. Received: query_shape="
                f"{shape_str(query_shape)}, value_shape={shape_str(value_shape)}, key_shape="
                f"{shape_str(key_shape)}."
            )

    # -- calling ----------------------------------------------------------------------------
    def __call__(self, query, value=None, key=None, *, query_mask=None, value_mask=None,
                 key_mask=None, attention_mask=None, return_attention_scores: bool = False,
                 training=None, use_causal_mask: bool = False, **kwargs):
        # The tensors travel as one dict, so that a functional model traces all of them
        # (the value, key and masks included) through one recorded call.
        if isinstance(query, dict):
            packed = dict(query)
        else:
            if value is None and _is_list_of(query, object):
                query, value, key = (*query, None)[:3]
            if value is None:
                raise TypeError(
                    f"MultiHeadAttention '{self.name}': missing the `value` argument: call "
                    "the layer as layer(query, value) or layer(query, value, key)."
                )
            given = (query, value, key, query_mask, value_mask, key_mask, attention_mask)
            packed = {n: t for n, t in zip(_TENSOR_ARGUMENTS, given) if t is not None}
        self._returning_scores = bool(return_attention_scores)
        try:
            return super().__call__(packed, training=training,
                                    return_attention_scores=bool(return_attention_scores),
                                    use_causal_mask=bool(use_causal_mask), **kwargs)
        finally:
            self._returning_scores = False

    def _attention_mask(self, inputs: dict, query: Tensor, value: Tensor, causal: bool):
        """Keras's ``_compute_attention_mask``: every mask given, and-ed, ``(B, T, S)``."""
        query_mask = mask_array(inputs.get("query_mask", get_keras_mask(query)))
        value_mask = mask_array(inputs.get("value_mask", get_keras_mask(value)))
        key = inputs.get("key")
        key_mask = mask_array(inputs.get(
            "key_mask", None if key is None else get_keras_mask(key)))
        parts = []
        if query_mask is not None:
            parts.append(query_mask[..., None])
        parts += [m[..., None, :] for m in (value_mask, key_mask) if m is not None]
        steps = (query.shape[1], value.shape[1])
        if causal:
            parts.append(causal_mask(*steps)[None])
        if self._sliding_window is not None:
            distance = np.abs(np.arange(steps[0])[:, None] - np.arange(steps[1])[None, :])
            parts.append((distance < self._sliding_window)[None])
        given = mask_array(inputs.get("attention_mask"))
        if given is not None:
            parts.insert(0, given)
        if not parts:
            return None, query_mask
        combined = parts[0]
        for part in parts[1:]:
            combined = combined & part
        return combined, query_mask

    def call(self, inputs: dict, training=None, return_attention_scores: bool = False,
             use_causal_mask: bool = False):
        query, value = inputs["query"], inputs["value"]
        key = inputs.get("key", value)
        mask, query_mask = self._attention_mask(inputs, query, value, use_causal_mask)
        gate = None if self._gate_dense is None else self._gate_dense(query)
        q, k, v = self._query_dense(query), self._key_dense(key), self._value_dense(value)
        k, v = self._per_query_head(k), self._per_query_head(v)
        rank = q.ndim
        axes = self._attention_axes
        batch_like = [i for i in range(rank - 2) if i not in axes]
        order = batch_like + [rank - 2] + list(axes) + [rank - 1]

        def heads_first(t: Tensor) -> Tensor:
            t = ops.transpose(t, order)
            lead = t.shape[: len(batch_like) + 1]
            return ops.reshape(t, lead + (-1, t.shape[-1])) if len(axes) > 1 else t

        scores_shape = (tuple(q.shape[i] for i in batch_like) + (self._num_heads,)
                        + tuple(q.shape[a] for a in axes) + tuple(k.shape[a] for a in axes))
        if mask is not None:
            mask = self._expand_mask(mask, scores_shape)
        zero_masked_rows = self._dropout > 0 or return_attention_scores or rank != 4
        out, probs = attend(
            heads_first(q), heads_first(k), heads_first(v),
            scale=1.0 / math.sqrt(self._key_dim), mask=mask,
            dropout_rate=self._dropout if training else 0.0,
            generator=self._generator or dg_random.generator(),
            return_scores=True, zero_masked_rows=zero_masked_rows)
        if len(axes) > 1:
            out = ops.reshape(out, tuple(q.shape[i] for i in order[:-1]) + (out.shape[-1],))
        out = ops.transpose(out, tuple(int(i) for i in np.argsort(order)))
        if gate is not None:
            out = ops.multiply(out, gate)
        output = self._output_dense(out)
        if query_mask is not None:
            set_keras_mask(output, query_mask)
        if return_attention_scores:
            return output, ops.reshape(probs, scores_shape)
        return output

    def _expand_mask(self, mask: np.ndarray, scores_shape: tuple) -> np.ndarray:
        """Keras's mask broadcast: new axes before the attention axes, up to the scores'
        rank; then, for several attention axes, the flattened (T, S) layout of ``attend``."""
        axes = len(self._attention_axes)
        while mask.ndim < len(scores_shape):
            mask = np.expand_dims(mask, -2 * axes - 1)
        if axes == 1:
            return mask
        lead = scores_shape[: len(scores_shape) - 2 * axes]
        full = np.broadcast_to(mask, scores_shape)
        return full.reshape(lead + (math.prod(scores_shape[len(lead):][:axes]), -1))

    # -- shapes and config ------------------------------------------------------------------
    def compute_output_shape(self, query_shape, value_shape=None, key_shape=None):
        query_shape, value_shape, key_shape = _unpack(query_shape, value_shape, key_shape)
        self._check_shapes(query_shape, value_shape, key_shape)
        output = query_shape[:-1] + (self._output_shape or query_shape[-1:])
        if not self._returning_scores:
            return output
        rank = len(query_shape) + 1
        axes = self._attention_axes or tuple(range(1, rank - 2))
        axes = tuple(a if a >= 0 else rank - 1 + a for a in axes)
        batch_like = tuple(query_shape[i] for i in range(rank - 2) if i not in axes)
        return [output, batch_like + (self._num_heads,) + tuple(query_shape[a] for a in axes)
                + tuple(key_shape[a] for a in axes)]

    def get_config(self) -> dict:
        c = self._common
        return {
            **super().get_config(),
            "num_heads": self._num_heads,
            "key_dim": self._key_dim,
            "value_dim": self._value_dim,
            "dropout": self._dropout,
            "use_bias": self._use_bias,
            "use_gate": self._use_gate,
            "output_shape": None if self._output_shape is None else list(self._output_shape),
            "attention_axes": None if self._attention_axes is None else list(
                self._attention_axes),
            "sliding_window": self._sliding_window,
            "kernel_initializer": initializers.serialize(c["kernel_initializer"]),
            "bias_initializer": initializers.serialize(c["bias_initializer"]),
            "kernel_regularizer": serialize_regularizer(c["kernel_regularizer"]),
            "bias_regularizer": serialize_regularizer(c["bias_regularizer"]),
            "activity_regularizer": serialize_regularizer(c["activity_regularizer"]),
            "kernel_constraint": constraints.serialize(c["kernel_constraint"]),
            "bias_constraint": constraints.serialize(c["bias_constraint"]),
            "seed": self.seed,
        }
