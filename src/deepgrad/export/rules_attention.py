"""Export rules: Attention (Luong, dot or concat scores), AdditiveAttention (Bahdanau) and
MultiHeadAttention (its usual form, as Einsums).

Scores, the causal mask (``Trilu`` of ones: query ``i`` sees keys ``j <= i``), softmax and
the weighted sum of the values, as deepgrad's layers compute them at inference. Masks on
the inputs are not taken (a masked input fails to export, see ``walk``).

>>> import deepgrad as dg
>>> dg.layers.Attention in RULES
True
"""

from __future__ import annotations

import numpy as np

from deepgrad import layers as L
from deepgrad.export.graph_builder import GraphBuilder, Value

__all__ = ["RULES"]


def _scores(b: GraphBuilder, layer, query: str, key: str) -> str:
    additive = isinstance(layer, L.AdditiveAttention)
    if layer.score_mode == "dot" and not additive:
        scores = b.node("MatMul", [query, b.node("Transpose", [key], perm=[0, 2, 1])])
        if layer.scale is not None:
            scores = b.node("Mul", [scores, b.const(layer.scale.numpy(), "scale")])
        return scores
    pairs = b.node("Add", [b.node("Unsqueeze", [query, b.ints([-2], "axes")]),
                           b.node("Unsqueeze", [key, b.ints([-3], "axes")])])
    if additive:
        pairs = b.node("Tanh", [pairs])
    if layer.scale is not None:
        pairs = b.node("Mul", [pairs, b.const(layer.scale.numpy(), "scale")])
    if not additive:
        pairs = b.node("Tanh", [pairs])
    scores = b.reduce("ReduceSum", pairs, [-1], keepdims=False)
    if not additive:
        weight = b.const(layer.concat_score_weight.numpy(), "concat_score_weight")
        scores = b.node("Mul", [scores, weight])
    return scores


def attention(b: GraphBuilder, layer, inputs, return_attention_scores: bool = False,
              use_causal_mask: bool = False):
    values = list(inputs)
    query, value = b.last(values[0]), b.last(values[1])
    key = b.last(values[2]) if len(values) > 2 else value
    scores = _scores(b, layer, query, key)
    if use_causal_mask:
        scores = _causal(b, scores, 1)
    weights = b.node("Softmax", [scores], axis=-1)
    output = Value({False: b.node("MatMul", [weights, value])})
    return [output, Value({False: weights})] if return_attention_scores else output


def _causal(b: GraphBuilder, scores: str, first_axis: int) -> str:
    """Scores with a large negative added where key ``j`` comes after query ``i``."""
    sizes = b.node("Slice", [b.node("Shape", [scores]), b.ints([first_axis], "starts"),
                             b.ints([first_axis + 2], "ends")])
    ones = b.node("ConstantOfShape", [sizes], value=_tensor(np.ones(1, np.int64)))
    keep = b.node("Cast", [b.node("Trilu", [ones], upper=0)], to=9)  # BOOL
    penalty = b.const(np.asarray(1.0e9, b.dtype), "penalty")
    return b.node("Where", [keep, scores, b.node("Sub", [scores, penalty])])


def _project(b: GraphBuilder, dense, x: str, equation: str) -> str:
    out = b.node("Einsum", [x, b.const(dense.kernel.numpy(), f"{dense.name}_kernel")],
                 equation=equation)
    if dense.bias is not None:
        out = b.node("Add", [out, b.const(dense.bias.numpy(), f"{dense.name}_bias")])
    return out


def multi_head_attention(b: GraphBuilder, layer: L.MultiHeadAttention, inputs,
                         return_attention_scores: bool = False, use_causal_mask: bool = False):
    """The usual form: sequences ``(batch, steps, features)``, attention over the steps,
    as many key/value heads as query heads, no sliding window."""
    from deepgrad.export.registry import ExportError

    query_v, value_v = inputs["query"], inputs["value"]
    key_v = inputs.get("key", value_v)
    if (query_v.rank != 3 or tuple(layer._attention_axes) != (1,)
            or layer._sliding_window is not None
            or layer._key_value_heads() != layer._num_heads):
        raise ExportError(
            f"export: layer '{layer.name}' of class {type(layer).__name__}: only sequences "
            "(batch, steps, features) with attention over the steps, equal key/value heads "
            "and no sliding window are exported."
        )
    query, value, key = b.last(query_v), b.last(value_v), b.last(key_v)
    q = _project(b, layer._query_dense, query, "btd,dhk->bthk")
    k = _project(b, layer._key_dense, key, "bsd,dhk->bshk")
    v = _project(b, layer._value_dense, value, "bsd,dhk->bshk")
    scale = b.const(np.asarray(1.0 / np.sqrt(layer._key_dim), b.dtype), "scale")
    scores = b.node("Einsum", [b.node("Mul", [q, scale]), k], equation="bthk,bshk->bhts")
    if use_causal_mask:
        scores = _causal(b, scores, 2)
    weights = b.node("Softmax", [scores], axis=-1)
    out = b.node("Einsum", [weights, v], equation="bhts,bshk->bthk")
    if layer._gate_dense is not None:
        gate = _project(b, layer._gate_dense, query, "btd,dhk->bthk")
        out = b.node("Mul", [out, b.node("Sigmoid", [gate])])
    output = Value({False: _project(b, layer._output_dense, out, "bthk,hko->bto")})
    return [output, Value({False: weights})] if return_attention_scores else output


def _tensor(array: np.ndarray):
    from onnx import numpy_helper

    return numpy_helper.from_array(array)


RULES = {L.Attention: attention, L.AdditiveAttention: attention,
         L.MultiHeadAttention: multi_head_attention}
