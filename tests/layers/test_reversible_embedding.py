"""ReversibleEmbedding: Keras 3.15's weights and numbers (printed by real Keras: the
untied layer below, weights set to arange / 10, reverse call on ones), tied gradients,
functional use with reverse=True, masks, config, errors."""

import numpy as np
import pytest

import deepgrad as dg
from deepgrad.utils.gradcheck import gradient_check

L = dg.layers


def test_untied_equals_keras():
    layer = L.ReversibleEmbedding(5, 2, tie_weights=False, logit_soft_cap=3.0)
    layer(np.array([0]))
    assert [(w.name, w.shape) for w in layer.weights] == [("embeddings", (5, 2)),
                                                           ("reverse_embeddings", (2, 5))]
    layer.set_weights([np.arange(10).reshape(5, 2) / 10, np.arange(10).reshape(2, 5) / 10])
    np.testing.assert_allclose(
        layer(np.ones((1, 2), "float32"), reverse=True).data,
        [[0.49542123079299927, 0.6875670552253723, 0.8739378452301025, 1.0532180070877075,
          1.2243098020553589]], rtol=1e-6)


def test_tied_reverse_is_the_transposed_embeddings_and_differentiable():
    rng = np.random.default_rng(0)
    layer = L.ReversibleEmbedding(6, 3, dtype="float64")
    layer(np.array([1]))
    x = rng.normal(size=(2, 4, 3))
    np.testing.assert_allclose(layer(x, reverse=True).data, x @ layer.embeddings.numpy().T)
    assert gradient_check(lambda t: layer(t, reverse=True), [x])
    capped = L.ReversibleEmbedding(6, 3, logit_soft_cap=0.5, dtype="float64")
    capped(np.array([1]))
    assert gradient_check(lambda t: capped(t, reverse=True), [x])
    out = layer(dg.Tensor(x), reverse=True)
    out.sum().backward()
    assert layer.embeddings.grad is not None


def test_functional_language_model_head_and_masks(tmp_path):
    ids = dg.Input((4,), dtype="int64")
    embed = L.ReversibleEmbedding(7, 3, mask_zero=True, name="embed")
    vectors = embed(ids)
    logits = embed(L.Dense(3)(vectors), reverse=True)
    assert vectors.shape == (None, 4, 3) and logits.shape == (None, 4, 7)
    model = dg.Model(ids, logits)
    x = np.array([[1, 2, 0, 0], [3, 4, 5, 6]])
    assert embed.compute_mask(x).tolist() == [[True, True, False, False], [True] * 4]
    model.compile("adam", dg.losses.SparseCategoricalCrossentropy(from_logits=True))
    model.fit(x, x, epochs=1, verbose=0)
    path = tmp_path / "lm.keras"
    model.save(path)
    np.testing.assert_allclose(dg.saving.load_model(path).predict(x, verbose=0),
                               model.predict(x, verbose=0), rtol=1e-6)


def test_config_and_errors():
    layer = L.ReversibleEmbedding(5, 2, tie_weights=False, reverse_dtype="float64",
                                  logit_soft_cap=2.0)
    config = layer.get_config()
    assert (config["tie_weights"], config["reverse_dtype"], config["logit_soft_cap"]) == (
        False, "float64", 2.0)
    assert L.ReversibleEmbedding.from_config(config).get_config() == config
    layer(np.array([0]))
    assert layer(np.ones((1, 2), "float32"), reverse=True).dtype == np.float64
    with pytest.raises(ValueError, match=r"ReversibleEmbedding '.*': `logit_soft_cap` must be "
                                         r"None or a positive number. Received: "
                                         r"logit_soft_cap=0"):
        L.ReversibleEmbedding(5, 2, logit_soft_cap=0)
