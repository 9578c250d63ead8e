"""Export rules: Attention (Luong, dot or concat scores) and AdditiveAttention (Bahdanau).

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
        sizes = b.node("Slice", [b.node("Shape", [scores]), b.ints([1], "starts"),
                                 b.ints([3], "ends")])
        ones = b.node("ConstantOfShape", [sizes],
                      value=_tensor(np.ones(1, np.int64)))
        keep = b.node("Cast", [b.node("Trilu", [ones], upper=0)], to=9)  # BOOL
        penalty = b.const(np.asarray(1.0e9, b.dtype), "penalty")
        scores = b.node("Where", [keep, scores, b.node("Sub", [scores, penalty])])
    weights = b.node("Softmax", [scores], axis=-1)
    output = Value({False: b.node("MatMul", [weights, value])})
    return [output, Value({False: weights})] if return_attention_scores else output


def _tensor(array: np.ndarray):
    from onnx import numpy_helper

    return numpy_helper.from_array(array)


RULES = {L.Attention: attention, L.AdditiveAttention: attention}
