"""GroupQueryAttention: Keras 3.15 parity on Keras's weights (outputs, scores, weight
paths), gradients, config and save, errors."""

import json
import pathlib

import numpy as np
import pytest

import deepgrad as dg
from deepgrad.layers.grouped_query_attention import GroupQueryAttention
from deepgrad.utils.gradcheck import gradient_check

FIXTURE = np.load(pathlib.Path(__file__).parents[1] / "fixtures" / "keras_gqa_parity.npz")
CASES = json.loads(str(FIXTURE["cases"]))


@pytest.mark.parametrize("name", sorted(CASES))
def test_equals_keras(name):
    case = CASES[name]
    layer = GroupQueryAttention(**case["config"])
    query, value = FIXTURE[f"{name}/query"], FIXTURE[f"{name}/value"]
    key = FIXTURE[f"{name}/key"] if case["key"] else None
    kwargs = {k: (np.array(v, bool) if k.endswith("mask") else v)
              for k, v in case["kwargs"].items()}
    layer(query, value, key, **kwargs)
    assert [w.path for w in layer.weights] == case["paths"]
    layer.set_weights([FIXTURE[f"{name}/weight/{i}"] for i in range(case["weights"])])
    out, scores = layer(query, value, key, return_attention_scores=True, **kwargs)
    np.testing.assert_allclose(out.data, FIXTURE[f"{name}/output"], rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(scores.data, FIXTURE[f"{name}/scores"], rtol=1e-5, atol=1e-6)


def test_gradients_reach_inputs_and_weights():
    rng = np.random.default_rng(0)
    layer = GroupQueryAttention(2, 4, 2, dtype="float64")
    assert gradient_check(lambda q, v: layer(q, v), [rng.normal(size=(1, 3, 4)),
                                                     rng.normal(size=(1, 5, 4))])
    x = dg.Tensor(rng.normal(size=(1, 3, 4)))
    layer(x, x).sum().backward()
    assert all(w.grad is not None and np.abs(w.grad).sum() > 0 for w in layer.weights)


def test_equivalent_to_multi_head_attention_with_all_heads():
    rng = np.random.default_rng(1)
    q, v = rng.normal(size=(2, 4, 6)).astype("float32"), rng.normal(size=(2, 5, 6))
    gqa = GroupQueryAttention(3, 2, 2)
    mha = dg.layers.MultiHeadAttention(2, 3)
    gqa(q, v)
    mha(q, v)
    mha.set_weights(gqa.get_weights())
    np.testing.assert_allclose(gqa(q, v).data, mha(q, v).data, rtol=1e-6)


def test_config_and_save(tmp_path):
    layer = GroupQueryAttention(4, 4, 2, dropout=0.1, sliding_window=2, seed=3, name="gqa")
    config = layer.get_config()
    assert {k: config[k] for k in ("head_dim", "num_query_heads", "num_key_value_heads")} == {
        "head_dim": 4, "num_query_heads": 4, "num_key_value_heads": 2}
    assert "num_heads" not in config and "key_dim" not in config
    again = GroupQueryAttention.from_config(config)
    assert again.num_key_value_heads == 2 and again.get_config() == config
    inputs = dg.Input((5, 8))
    model = dg.Model(inputs, GroupQueryAttention(2, 4, 1)(inputs, inputs))
    path = tmp_path / "gqa.keras"
    model.save(path)
    x = np.random.default_rng(2).normal(size=(2, 5, 8)).astype("float32")
    np.testing.assert_allclose(dg.saving.load_model(path).predict(x, verbose=0),
                               model.predict(x, verbose=0), rtol=1e-6)


def test_errors():
    with pytest.raises(ValueError, match=r"GroupQueryAttention '.*': `num_query_heads` must be "
                                         r"divisible by `num_key_value_heads`. Received: "
                                         r"num_query_heads=4, num_key_value_heads=3"):
        GroupQueryAttention(2, 4, 3)
    with pytest.raises(ValueError, match=r"query, value and key must be 3-D"):
        GroupQueryAttention(2, 2, 1)(np.ones((1, 2, 3, 4)), np.ones((1, 2, 3, 4)))
    with pytest.raises(ValueError, match=r"`num_key_value_heads` must be a positive int"):
        GroupQueryAttention(2, 2, 0)
