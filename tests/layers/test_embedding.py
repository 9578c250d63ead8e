"""Embedding and Masking: lookups, the scatter-add gradient, regularizers, masks, errors."""

import warnings

import numpy as np
import pytest

import deepgrad as dg
from deepgrad import layers
from deepgrad.ops.embedding import embedding_lookup, scatter_rows
from deepgrad.tensor import Tensor, grad

rng = np.random.default_rng(0)


def test_lookup_forward_and_gradient_reach_only_the_rows_used():
    table = rng.normal(size=(7, 3))
    ids = np.array([[1, 4, 4, 0], [6, 4, 1, 1]])
    t = Tensor(table, requires_grad=True)
    out = embedding_lookup(ids, t)
    np.testing.assert_array_equal(out.data, table[ids])
    weights = rng.normal(size=out.shape)
    (out * Tensor(weights)).sum().backward()
    expected = np.zeros_like(table)
    np.add.at(expected, ids.ravel(), weights.reshape(-1, 3))
    np.testing.assert_allclose(t.grad, expected, rtol=1e-12)
    assert np.all(t.grad[[2, 3, 5]] == 0)
    assert scatter_rows(np.array([2]), np.ones((1, 4), np.float32), 3).dtype == np.float32


def test_layer_float_ids_mask_and_l2_regularizer():
    layer = layers.Embedding(10, 4, mask_zero=True, embeddings_regularizer=dg.regularizers.L2(0.5))
    out = layer(np.array([[3.0, 1.0, 0.0]]))
    np.testing.assert_array_equal(out.data, layer.embeddings.data[[[3, 1, 0]]])
    np.testing.assert_array_equal(layer.compute_mask(np.array([[3, 1, 0]])), [[True, True, False]])
    (penalty,) = layer.losses
    np.testing.assert_allclose(penalty.item(), 0.5 * np.sum(layer.embeddings.data ** 2), rtol=1e-5)
    (g,) = grad(out.sum() + penalty, [layer.embeddings])
    expected = layer.embeddings.data * 1.0  # d(0.5 * sum(w^2)) = w
    expected[[3, 1, 0]] += 1
    np.testing.assert_allclose(g, expected, rtol=1e-5)


def test_embedding_trains_in_a_model_and_keeps_keras_weights():
    model = dg.Sequential([
        dg.Input(shape=(5,), dtype="int32"),
        layers.Embedding(20, 8),
        layers.GlobalAveragePooling1D(),
        layers.Dense(1, activation="sigmoid"),
    ])
    ids = rng.integers(1, 20, size=(64, 5))
    labels = (ids[:, 0] > 10).astype("float32")
    model.compile("adam", "binary_crossentropy")
    before = model.evaluate(ids, labels, verbose=0)
    model.fit(ids, labels, epochs=20, verbose=0)
    assert model.evaluate(ids, labels, verbose=0) < before
    assert model.layers[0].get_weights()[0].shape == (20, 8)
    table = np.arange(40.0).reshape(20, 2)
    assert np.array_equal(layers.Embedding(20, 2, weights=[table]).get_weights()[0], table)


def test_masking_layer():
    x = np.array([[[1.0, 2.0], [0.0, 0.0], [3.0, 0.0]]], np.float32)
    layer = layers.Masking()
    np.testing.assert_array_equal(layer.compute_mask(x), [[True, False, True]])
    y = np.array([[[3.0, 3.0], [3.0, 1.0]]], np.float32)
    np.testing.assert_array_equal(layers.Masking(mask_value=3.0)(y).data, [[[0, 0], [3, 1]]])
    assert layer.get_config()["mask_value"] == 0.0


def test_errors_and_warnings():
    layer = layers.Embedding(5, 2, name="emb")
    with pytest.raises(ValueError, match=r"Embedding 'emb': ids must be in \[0, input_dim=5\)\. "
                                         r"Received ids from 0 to 7"):
        layer(np.array([[0, 7]]))
    with pytest.raises(ValueError, match="ids must be in"):
        layer(np.array([[-1, 2]]))
    with pytest.raises(ValueError, match=r"expected integer ids, got non-integer values \(for "
                                         r"example 1.5\)"):
        layer(np.array([[1.5, 2.0]]))
    with pytest.raises(TypeError, match=r"Embedding .emb.: received strings.*TextVectorization"):
        layer(np.array([["a", "b"]]))
    with pytest.raises(ValueError, match="`output_dim` must be a positive int"):
        layers.Embedding(5, 0)
    with pytest.warns(UserWarning, match="`input_length` is deprecated"):
        layers.Embedding(5, 2, input_length=10)
    masked = layers.Embedding(5, 2, mask_zero=True, name="m")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        masked(np.array([[0, 0, 1, 2], [3, 4, 0, 0]]))  # padding before or after: fine
    with pytest.warns(UserWarning, match=r"'m': mask_zero=True treats id 0 as padding, but 0 "
                                         r"occurs between other ids \(first at index \(0, 1\)"):
        masked(np.array([[3, 0, 2, 0]]))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        masked(np.array([[3, 0, 2, 0]]))  # warned once per layer
