"""Masks as Keras passes them: the pooling layers, losses and metrics skip padded steps."""

import numpy as np
import pytest

import deepgrad as dg
from deepgrad import layers
from deepgrad.ops.masks import get_keras_mask, set_keras_mask
from deepgrad.tensor import Tensor
from deepgrad.utils import gradient_check

rng = np.random.default_rng(0)
MASK = np.array([[1, 1, 0, 0], [0, 1, 1, 1], [0, 0, 0, 0]], bool)


@pytest.mark.parametrize("keepdims", [False, True])
def test_masked_global_pooling_values_and_gradients(keepdims):
    x = rng.normal(size=(3, 4, 2))
    average = layers.GlobalAveragePooling1D(keepdims=keepdims, dtype="float64")
    maximum = layers.GlobalMaxPooling1D(keepdims=keepdims, dtype="float64")
    want_avg = np.stack([x[0, :2].mean(0), x[1, 1:].mean(0), np.zeros(2)])
    want_max = np.stack([x[0, :2].max(0), x[1, 1:].max(0), np.zeros(2)])
    shape = (3, 1, 2) if keepdims else (3, 2)
    np.testing.assert_allclose(average(x, mask=MASK).data, want_avg.reshape(shape))
    np.testing.assert_allclose(maximum(x, mask=MASK).data, want_max.reshape(shape))
    assert gradient_check(lambda t: average(t, mask=MASK), [x])
    assert gradient_check(lambda t: maximum(t, mask=MASK), [x])
    assert average.compute_mask(x, MASK) is None
    with pytest.raises(ValueError, match=r"mask must have shape \(batch, steps\) = \(3, 4\)"):
        average(x, mask=MASK[:, :2])


def test_losses_and_metrics_skip_masked_steps():
    y_pred = Tensor(rng.uniform(0.1, 0.9, size=(3, 4, 1)))
    y_true = rng.uniform(size=(3, 4, 1))
    set_keras_mask(y_pred, MASK)
    errors = ((y_pred.data - y_true) ** 2)[..., 0]
    loss = dg.losses.MeanSquaredError()(y_true, y_pred)
    np.testing.assert_allclose(loss.item(), errors[MASK].mean())
    weighted = dg.losses.MeanSquaredError()(y_true, y_pred, sample_weight=[1.0, 2.0, 3.0])
    weights = np.array([1.0, 2.0, 3.0])[:, None] * MASK
    np.testing.assert_allclose(weighted.item(), (errors * weights).sum() / MASK.sum())
    metric = dg.metrics.MeanSquaredError()
    metric.update_state(y_true, y_pred)
    np.testing.assert_allclose(metric.result(), errors[MASK].mean())
    labels = rng.integers(0, 3, size=(3, 4))
    probs = Tensor(rng.dirichlet(np.ones(3), size=(3, 4)))
    set_keras_mask(probs, MASK)
    accuracy = dg.metrics.SparseCategoricalAccuracy()
    accuracy.update_state(labels, probs)
    np.testing.assert_allclose(accuracy.result(),
                               (probs.data.argmax(-1) == labels)[MASK].mean(), rtol=1e-6)


def test_mask_note_follows_its_tensor_only():
    t = set_keras_mask(Tensor(np.ones((2, 3))), np.ones((2, 3)))
    assert get_keras_mask(t).dtype == bool
    set_keras_mask(t, None)
    assert get_keras_mask(t) is None
    key = id(set_keras_mask(Tensor(np.ones(2)), np.ones(2, bool)))
    fresh = [Tensor(np.ones(2)) for _ in range(50)]  # may reuse the dead tensor's address
    assert all(get_keras_mask(f) is None for f in fresh if id(f) == key)


def test_masks_flow_between_eager_calls_as_in_keras():
    ids = np.array([[3, 4, 0, 0], [5, 0, 0, 0]])
    embed = layers.Embedding(10, 3, mask_zero=True)
    lstm = layers.LSTM(2, return_sequences=True)
    dense = layers.Dense(1)
    h = embed(ids)
    np.testing.assert_array_equal(get_keras_mask(h), ids != 0)
    y = lstm(h)
    np.testing.assert_array_equal(y.data, lstm(Tensor(h.data), mask=ids != 0).data)
    np.testing.assert_array_equal(get_keras_mask(dense(y)), ids != 0)
    assert get_keras_mask(layers.LSTM(2)(h)) is None  # the last step only: no mask
    out, state_h, state_c = layers.LSTM(2, return_sequences=True, return_state=True)(h)
    assert get_keras_mask(out) is not None and get_keras_mask(state_h) is None
    both = layers.Bidirectional(layers.GRU(2, return_sequences=True))(h)
    np.testing.assert_array_equal(get_keras_mask(both), ids != 0)
    assert get_keras_mask(layers.GlobalAveragePooling1D()(h)) is None
    with pytest.warns(UserWarning, match="'flatten' .* does not support masking"):
        layers.Flatten(name="flatten")(h)


def test_merging_layers_combine_masks_as_keras():
    a = set_keras_mask(Tensor(np.ones((2, 3, 2))), [[1, 0, 0], [1, 1, 0]])
    b = set_keras_mask(Tensor(np.ones((2, 3, 2))), [[0, 1, 0], [1, 1, 0]])
    plain = Tensor(np.ones((2, 3, 2)))
    np.testing.assert_array_equal(get_keras_mask(layers.Add()([a, b])),
                                  [[1, 1, 0], [1, 1, 0]])
    assert get_keras_mask(layers.Add()([a, plain])) is None
    np.testing.assert_array_equal(get_keras_mask(layers.Concatenate()([a, b])),
                                  [[1, 1, 0], [1, 1, 0]])
    np.testing.assert_array_equal(get_keras_mask(layers.Concatenate(axis=1)([a, plain])),
                                  [[1, 0, 0, 1, 1, 1], [1, 1, 0, 1, 1, 1]])


def test_masked_model_trains_and_ignores_what_follows_the_padding():
    """A padded id's embedding (or anything after the last real step) cannot change a
    masked model's prediction, in a functional model and in fit."""
    dg.utils.set_random_seed(0)
    inputs = dg.Input(shape=(6,), dtype="int32")
    x = layers.Embedding(20, 4, mask_zero=True)(inputs)
    x = layers.Bidirectional(layers.LSTM(3, return_sequences=True))(x)
    x = layers.GlobalMaxPooling1D()(x)
    model = dg.Model(inputs, layers.Dense(1)(x))
    ids = np.array([[4, 5, 6, 0, 0, 0], [7, 8, 9, 10, 11, 12]])
    before = model.predict(ids, verbose=0)
    model.layers[1].embeddings.data[0] += 5.0  # the padding row
    np.testing.assert_allclose(model.predict(ids, verbose=0), before, rtol=1e-6)
    model.compile("adam", "mse")
    history = model.fit(ids, np.ones((2, 1)), epochs=5, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
