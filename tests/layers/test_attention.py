"""Attention: the fused ``attend`` op (float64 finite differences), ``dot_product_attention``
and ``MultiHeadAttention`` against PyTorch on identical weights, and the layers' masks,
errors and functional use. Keras's own numbers: tests/layers/test_keras_layer_parity.py."""

import math

import numpy as np
import pytest

import deepgrad as dg
from deepgrad.ops.attention import attend, dot_product_attention
from deepgrad.tensor import Tensor
from deepgrad.utils import gradient_check

import torch_reference as tr

rng = np.random.default_rng(0)
L = dg.layers


def _mask(*shape):
    keep = rng.uniform(size=shape) > 0.3
    keep[..., 0] = True
    return keep


# -- the op ---------------------------------------------------------------------------------
def _reference(q, k, v, scale, mask=None, bias=None):
    s = scale * q @ np.swapaxes(k, -1, -2)
    if bias is not None:
        s = s + bias
    if mask is not None:
        s = np.where(mask, s, -np.inf)
    p = np.exp(s - s.max(-1, keepdims=True))
    p /= p.sum(-1, keepdims=True)
    return p @ v, p


@pytest.mark.parametrize("with_mask", [False, True])
@pytest.mark.parametrize("with_bias", [False, True])
def test_attend_forward_and_finite_differences(with_mask, with_bias):
    q, k, v = rng.normal(size=(2, 3, 4, 5)), rng.normal(size=(2, 3, 6, 5)), rng.normal(
        size=(2, 3, 6, 2))
    mask = _mask(2, 1, 4, 6) if with_mask else None
    bias = rng.normal(size=(3, 4, 6)) if with_bias else None
    inputs = [q, k, v] + ([bias] if with_bias else [])

    def fn(q, k, v, *rest):
        return attend(q, k, v, scale=0.4, mask=mask, bias=rest[0] if rest else None)

    expected, _ = _reference(q, k, v, 0.4, mask, bias)
    np.testing.assert_allclose(fn(*map(Tensor, inputs)).data, expected, rtol=1e-12)
    assert gradient_check(fn, inputs, atol=1e-7, rtol=1e-6)


def test_attend_scores_output_is_differentiable():
    q, k, v = rng.normal(size=(2, 4, 3)), rng.normal(size=(2, 5, 3)), rng.normal(size=(2, 5, 3))
    mask = _mask(2, 4, 5)
    weights = rng.normal(size=(2, 4, 5))

    def fn(q, k, v):
        out, probs = attend(q, k, v, scale=0.7, mask=mask, return_scores=True,
                            zero_masked_rows=True)
        return out.sum() + (probs * Tensor(weights)).sum()

    _, probs = attend(*map(Tensor, (q, k, v)), scale=0.7, mask=mask, return_scores=True)
    np.testing.assert_allclose(probs.data, _reference(q, k, v, 0.7, mask)[1], rtol=1e-12)
    assert gradient_check(fn, [q, k, v], atol=1e-7, rtol=1e-6)


def test_attend_dropout_gradient_uses_the_same_mask():
    q, k, v = rng.normal(size=(3, 4, 2)), rng.normal(size=(3, 4, 2)), rng.normal(size=(3, 4, 2))

    def fn(q, k, v):
        return attend(q, k, v, scale=1.0, dropout_rate=0.5,
                      generator=np.random.default_rng(3))

    out = fn(*map(Tensor, (q, k, v))).data
    assert not np.allclose(out, _reference(q, k, v, 1.0)[0])
    assert gradient_check(fn, [q, k, v], atol=1e-7, rtol=1e-6)


def test_fully_masked_row_is_uniform_or_zero_as_keras():
    q, k, v = (Tensor(rng.normal(size=(1, 2, 3))) for _ in range(3))
    mask = np.array([[[True, False], [False, False]]])
    uniform = attend(q, k, v, scale=1.0, mask=mask).data
    np.testing.assert_allclose(uniform[0, 1], v.data[0].mean(0))
    zeros = attend(q, k, v, scale=1.0, mask=mask, zero_masked_rows=True).data
    np.testing.assert_array_equal(zeros[0, 1], 0.0)
    np.testing.assert_allclose(zeros[0, 0], v.data[0, 0])


def test_attend_rejects_mismatched_shapes():
    with pytest.raises(ValueError, match=r"attend: expected query .* Received: query \(2, 3\)"):
        attend(np.ones((2, 3)), np.ones((2, 4)), np.ones((2, 4)), scale=1.0)


@pytest.mark.parametrize("causal", [False, True])
def test_dot_product_attention_matches_torch(causal):
    torch = tr.import_torch()
    q, k, v = rng.normal(size=(2, 4, 3, 5)), rng.normal(size=(2, 4, 3, 5)), rng.normal(
        size=(2, 4, 3, 2))
    mask = None if causal else _mask(2, 1, 4, 4)

    def theirs(q, k, v):
        def heads(t):
            return t.permute(0, 2, 1, 3)

        m = None if mask is None else torch.from_numpy(mask)
        out = torch.nn.functional.scaled_dot_product_attention(
            heads(q), heads(k), heads(v), attn_mask=m, is_causal=causal)
        return heads(out)

    tr.compare(lambda q, k, v: dot_product_attention(q, k, v, mask=mask, is_causal=causal),
               theirs, [q, k, v], atol=1e-12, rtol=1e-10)


def test_dot_product_attention_errors():
    x = np.ones((1, 2, 1, 3))
    with pytest.raises(ValueError, match="expected 4-D query"):
        dot_product_attention(x[0], x[0], x[0])
    with pytest.raises(ValueError, match="flash_attention=True is not supported"):
        dot_product_attention(x, x, x, flash_attention=True)


# -- MultiHeadAttention against torch.nn.MultiheadAttention --------------------------------
@pytest.mark.parametrize("dtype,tol", [("float64", 1e-10), ("float32", 2e-5)])
@pytest.mark.parametrize("masks", [False, True])
def test_multi_head_attention_matches_torch(dtype, tol, masks):
    torch = tr.import_torch()
    heads, head_dim, dim = 2, 3, 6  # torch's embed_dim is both the query dim and heads * size
    query, value = rng.normal(size=(3, 4, dim)), rng.normal(size=(3, 5, dim))
    layer = L.MultiHeadAttention(heads, head_dim, dtype=dtype)
    layer(query, value)
    layer.set_weights([rng.normal(size=w.shape) * 0.5 for w in layer.get_weights()])
    value_mask = _mask(3, 5) if masks else None
    attention_mask = _mask(3, 4, 5) if masks else None

    def ours(q, v):
        return layer(q, v, value_mask=value_mask, attention_mask=attention_mask)

    def theirs(q, v, wq, bq, wk, bk, wv, bv, wo, bo):
        def in_proj(w):  # Keras (dim, heads, size) -> torch (heads * size, dim)
            return w.reshape(dim, heads * head_dim).T
        attn_mask = key_padding = None
        if masks:  # torch's boolean masks mark what to hide; one (T, S) mask per head
            attn_mask = ~torch.from_numpy(attention_mask).repeat_interleave(heads, dim=0)
            key_padding = ~torch.from_numpy(value_mask)
        out, _ = torch.nn.functional.multi_head_attention_forward(
            q.transpose(0, 1), v.transpose(0, 1), v.transpose(0, 1), dim, heads,
            None, torch.cat([bq.reshape(-1), bk.reshape(-1), bv.reshape(-1)]), None, None,
            False, 0.0, wo.reshape(heads * head_dim, dim).T, bo,
            use_separate_proj_weight=True, q_proj_weight=in_proj(wq),
            k_proj_weight=in_proj(wk), v_proj_weight=in_proj(wv), key_padding_mask=key_padding,
            attn_mask=attn_mask, need_weights=False, training=False)
        return out.transpose(0, 1)

    tr.compare(ours, theirs, [query.astype(dtype), value.astype(dtype)],
               params=layer.weights, atol=tol, rtol=tol)


def test_multi_head_attention_float64_finite_differences():
    layer = L.MultiHeadAttention(2, 2, value_dim=3, dtype="float64")
    q, v = rng.normal(size=(2, 3, 4)), rng.normal(size=(2, 5, 3))
    layer(q, v)
    mask = _mask(2, 3, 5)
    assert gradient_check(lambda q, v: layer(q, v, attention_mask=mask), [q, v],
                          atol=1e-7, rtol=1e-6)


def test_multi_head_attention_weights_names_and_count_as_keras():
    layer = L.MultiHeadAttention(num_heads=4, key_dim=8, use_gate=True)
    layer(np.ones((1, 3, 16), np.float32), np.ones((1, 5, 12), np.float32))
    assert [w.path for w in layer.weights] == [
        f"{part}/{kind}" for part in ("query", "key", "gate", "value", "attention_output")
        for kind in ("kernel", "bias")]
    # Keras's count for these shapes: 4 projections of (dim + 1) * 32 and the output.
    assert layer.count_params() == (17 + 13 + 17 + 13) * 32 + 32 * 16 + 16


def test_multi_head_attention_reads_the_keras_masks_of_its_inputs():
    ids = np.array([[3, 4, 0, 0], [5, 0, 0, 0]])
    keep = ids != 0
    x = dg.ops.masks.set_keras_mask(L.Embedding(10, 6)(ids), keep)  # as mask_zero=True does
    layer = L.MultiHeadAttention(2, 3)
    out = layer(x, x)
    explicit = layer(Tensor(x.data), Tensor(x.data), query_mask=keep, value_mask=keep)
    np.testing.assert_allclose(out.data, explicit.data, rtol=1e-6)
    # The padded keys get no attention: changing their embeddings changes nothing.
    _, scores = layer(x, x, return_attention_scores=True)
    assert np.all(scores.data[1, :, 0, 1:] == 0)
    assert dg.ops.masks.get_keras_mask(out).tolist() == keep.tolist()


def test_multi_head_attention_in_a_functional_model_with_a_mask_input(tmp_path):
    tokens = dg.Input(shape=(4, 6))
    context = dg.Input(shape=(5, 6))
    allowed = dg.Input(shape=(4, 5), dtype="bool")
    layer = L.MultiHeadAttention(2, 3, name="mha")
    out, scores = layer(tokens, context, attention_mask=allowed, return_attention_scores=True)
    assert out.shape == (None, 4, 6) and scores.shape == (None, 2, 4, 5)
    model = dg.Model([tokens, context, allowed], [out, scores])
    data = [rng.normal(size=(2, 4, 6)).astype("float32"),
            rng.normal(size=(2, 5, 6)).astype("float32"), _mask(2, 4, 5)]
    got, got_scores = model.predict(data, verbose=0)
    assert np.all(got_scores[~np.broadcast_to(data[2][:, None], got_scores.shape)] == 0)
    path = tmp_path / "mha.keras"
    model.save(path)
    again = dg.saving.load_model(path)
    for a, b in zip(again.predict(data, verbose=0), (got, got_scores), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-6)


def test_multi_head_attention_errors():
    with pytest.raises(ValueError, match=r"`num_heads` must be a positive int"):
        L.MultiHeadAttention(0, 2)
    with pytest.raises(ValueError, match=r"flash_attention=True is not supported"):
        L.MultiHeadAttention(2, 2, flash_attention=True)
    layer = L.MultiHeadAttention(2, 2)
    with pytest.raises(ValueError, match=r"except the last one, must be equal.*key_shape="
                                         r"\(1, 4, 3\)"):
        layer(np.ones((1, 2, 3)), np.ones((1, 5, 3)), np.ones((1, 4, 3)))
    with pytest.raises(TypeError, match=r"missing the `value` argument"):
        L.MultiHeadAttention(2, 2)(np.ones((1, 2, 3)))
    with pytest.raises(ValueError, match=r"`attention_axes` must name distinct axes"):
        L.MultiHeadAttention(2, 2, attention_axes=3)(np.ones((1, 2, 3)), np.ones((1, 2, 3)))


def test_multi_head_attention_dropout_only_in_training():
    layer = L.MultiHeadAttention(2, 2, dropout=0.5, seed=1)
    x = rng.normal(size=(2, 6, 4)).astype("float32")
    np.testing.assert_array_equal(layer(x, x).data, layer(x, x, training=False).data)
    assert not np.allclose(layer(x, x, training=True).data, layer(x, x).data)


# -- Attention and AdditiveAttention --------------------------------------------------------
@pytest.mark.parametrize("make", [
    lambda: L.Attention(use_scale=True, dtype="float64"),
    lambda: L.Attention(score_mode="concat", dtype="float64"),
    lambda: L.AdditiveAttention(dtype="float64"),
], ids=["dot", "concat", "additive"])
def test_attention_layers_float64_finite_differences(make):
    layer = make()
    q, v, k = rng.normal(size=(2, 3, 4)), rng.normal(size=(2, 5, 2)), rng.normal(size=(2, 5, 4))
    mask = [np.array([[1, 1, 0], [1, 1, 1]], bool), _mask(2, 5)]
    layer([q, v, k])
    layer.set_weights([w + rng.normal(size=w.shape) * 0.3 for w in layer.get_weights()])
    assert gradient_check(lambda q, v, k: layer([q, v, k], mask=mask), [q, v, k],
                          atol=1e-7, rtol=1e-6)


def test_attention_masks_as_keras():
    q, v = rng.normal(size=(1, 3, 2)), rng.normal(size=(1, 4, 2))
    out, scores = L.Attention()([q, v], mask=[np.array([[1, 1, 0]]), np.array([[1, 1, 0, 0]])],
                                return_attention_scores=True)
    assert np.all(out.data[0, 2] == 0)  # a masked query step gives zeros
    assert np.all(scores.data[0, :, 2:] < 1e-30)
    _, causal = L.Attention()([q, q], use_causal_mask=True, return_attention_scores=True)
    assert np.all(np.triu(causal.data[0], 1) == 0)
    assert L.Attention().compute_mask([q, v], [np.array([[1, 0, 1]]), None]).tolist() == [
        [True, False, True]]


def test_attention_in_a_functional_model_returns_scores():
    q, v = dg.Input(shape=(3, 4)), dg.Input(shape=(6, 4))
    out, scores = L.Attention()([q, v], return_attention_scores=True)
    assert out.shape == (None, 3, 4) and scores.shape == (None, 3, 6)


def test_attention_errors():
    with pytest.raises(ValueError, match=r"`score_mode` must be one of 'dot', 'concat'"):
        L.Attention(score_mode="add")
    with pytest.raises(ValueError, match=r"Attention 'a': expected a list of inputs"):
        L.Attention(name="a")(np.ones((1, 2, 3)))
    with pytest.raises(ValueError, match=r"expected query \(batch, Tq, dim\)"):
        L.AdditiveAttention()([np.ones((1, 2, 3)), np.ones((1, 2, 4))])
    with pytest.raises(ValueError, match=r"`dropout` must be a float in \[0, 1\)"):
        L.Attention(dropout=1.5)


def test_scaled_scores_use_one_over_sqrt_key_dim():
    layer = L.MultiHeadAttention(1, 4, use_bias=False, dtype="float64")
    x = rng.normal(size=(1, 2, 4))
    layer(x, x)
    eye = np.eye(4).reshape(4, 1, 4)
    layer.set_weights([eye, eye, eye, np.eye(4).reshape(1, 4, 4)])
    _, scores = layer(x, x, return_attention_scores=True)
    _, expected = _reference(x, x, x, 1 / math.sqrt(4))
    np.testing.assert_allclose(scores.data[:, 0], expected, rtol=1e-12)


def test_masks_from_an_embedding_reach_both_attention_layers():
    ids = np.array([[3, 4, 0, 0], [5, 0, 0, 0]])
    keep = ids != 0
    embed = L.Embedding(10, 6, mask_zero=True)
    x = embed(ids)
    mha, attention = L.MultiHeadAttention(2, 3), L.Attention()
    out = mha(x, x)
    np.testing.assert_allclose(
        out.data, mha(Tensor(x.data), Tensor(x.data), query_mask=keep, value_mask=keep).data,
        rtol=1e-6)
    joined = attention([x, x])
    np.testing.assert_allclose(joined.data, attention([x, x], mask=[keep, keep]).data)
    for result in (out, joined):
        assert dg.ops.masks.get_keras_mask(result).tolist() == keep.tolist()
