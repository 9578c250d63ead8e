"""Attention and AdditiveAttention in ONNX Runtime: the same numbers as predict."""

import numpy as np
import pytest

import deepgrad as dg

L = dg.layers


def attention_model(layer, key=False, **call):
    dg.utils.set_random_seed(0)
    query, value = L.Input((5, 4)), L.Input((6, 4))
    inputs = [query, value] + ([L.Input((6, 4))] if key else [])
    model = dg.Model(inputs, layer(inputs, **call))
    rng = np.random.default_rng(1)
    for weight in model.weights:
        weight.assign(rng.uniform(0.5, 1.5, tuple(weight.shape)).astype(weight.dtype))
    return model


CASES = {
    "dot": lambda: attention_model(L.Attention()),
    "dot_scaled_key": lambda: attention_model(L.Attention(use_scale=True), key=True),
    "concat": lambda: attention_model(L.Attention(score_mode="concat", use_scale=True)),
    "additive": lambda: attention_model(L.AdditiveAttention()),
    "additive_no_scale_key": lambda: attention_model(L.AdditiveAttention(use_scale=False),
                                                     key=True),
    "causal_with_scores": lambda: attention_model(L.Attention(), use_causal_mask=True,
                                                  return_attention_scores=True),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_attention_exports(case, onnx_check):
    onnx_check(CASES[case]())


def mha_model(key=False, gate=False, output_shape=None, **call):
    dg.utils.set_random_seed(0)
    layer = L.MultiHeadAttention(num_heads=3, key_dim=4, value_dim=5, use_gate=gate,
                                 output_shape=output_shape)
    query, value = L.Input((5, 8)), L.Input((6, 7))
    inputs = [query, value]
    if key:
        inputs.append(L.Input((6, 6)))
        out = layer(query, value, key=inputs[2], **call)
    else:
        out = layer(query, value, **call)
    model = dg.Model(inputs, out)
    rng = np.random.default_rng(1)
    for weight in model.weights:
        weight.assign(rng.normal(0, 0.5, tuple(weight.shape)).astype(weight.dtype))
    return model


MHA = {
    "plain": lambda: mha_model(),
    "key_gate_output_shape": lambda: mha_model(key=True, gate=True, output_shape=(3,)),
    "causal_with_scores": lambda: mha_model(use_causal_mask=True,
                                            return_attention_scores=True),
}


@pytest.mark.parametrize("case", sorted(MHA))
def test_multi_head_attention_exports(case, onnx_check):
    onnx_check(MHA[case]())
