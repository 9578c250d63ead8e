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


# keras.io "Understanding masking & padding", with only the imports changed.
PADDED = np.array([[711, 632, 71, 0, 0, 0], [73, 8, 3215, 55, 927, 0]])


class CustomEmbedding(layers.Layer):
    """The guide's embedding: a compute_mask of its own, no supports_masking."""

    def __init__(self, input_dim, output_dim, **kwargs):
        super().__init__(**kwargs)
        self.input_dim, self.output_dim = input_dim, output_dim

    def build(self, input_shape):
        self.embeddings = self.add_weight(
            shape=(self.input_dim, self.output_dim), initializer="random_normal")

    def call(self, inputs):
        return dg.ops.take(self.embeddings, dg.ops.cast(inputs, "int32"), axis=0)

    def compute_mask(self, inputs, mask=None):
        return dg.ops.not_equal(inputs, 0)


class TemporalSoftmax(layers.Layer):
    """A softmax over the steps that needs its mask (the guide's, over axis 1)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def call(self, inputs, mask=None):
        assert mask is not None
        keep = dg.ops.expand_dims(dg.ops.cast(mask, "float32"), -1)
        exp = dg.ops.exp(inputs) * keep
        return exp / dg.ops.sum(exp, axis=1, keepdims=True)


def test_keras_mask_attribute_on_tensors():
    out = layers.Embedding(input_dim=5000, output_dim=16, mask_zero=True)(PADDED)
    np.testing.assert_array_equal(out._keras_mask.numpy(), PADDED != 0)
    assert out._keras_mask.dtype == bool
    masked = layers.Masking()(np.repeat(PADDED[..., None], 10, axis=-1).astype("float32"))
    np.testing.assert_array_equal(masked._keras_mask.numpy(), PADDED != 0)
    plain = Tensor(np.zeros((2, 3)))
    assert plain._keras_mask is None
    plain._keras_mask = np.array([[True, False, True]] * 2)
    assert get_keras_mask(plain).tolist() == [[True, False, True]] * 2
    plain._keras_mask = None
    assert plain._keras_mask is None


def test_a_layer_with_its_own_compute_mask_supports_masking_as_in_keras():
    # Keras 3: supports_masking defaults to True where compute_mask is overridden, so the
    # custom embedding's mask reaches the LSTM: the padded steps change nothing.
    dg.utils.set_random_seed(0)
    embed, lstm = CustomEmbedding(5000, 8), layers.LSTM(4)
    assert embed.supports_masking and not layers.Layer().supports_masking
    padded = lstm(embed(PADDED)).numpy()
    for row, length in ((0, 3), (1, 5)):
        alone = lstm(embed(PADDED[row:row + 1, :length])).numpy()
        np.testing.assert_allclose(padded[row], alone[0], rtol=1e-5, atol=1e-6)
    embed.supports_masking = False
    assert not embed.supports_masking


def test_symbolic_masks_and_a_layer_that_needs_its_mask():
    inputs = dg.Input(shape=(None,), dtype="int32")
    assert inputs._keras_mask is None
    x = layers.Embedding(input_dim=10, output_dim=32, mask_zero=True)(inputs)
    assert (x._keras_mask.shape, x._keras_mask.dtype) == ((None, None), "bool")
    x = layers.Dense(1)(x)
    assert x._keras_mask.shape == (None, None)
    outputs = TemporalSoftmax()(x)  # its call sees a mask while the model is wired
    assert outputs.shape == (None, None, 1)
    model = dg.Model(inputs, outputs)
    ids = np.array([[3, 4, 0, 0], [1, 2, 5, 0]])
    y = model(ids).numpy()[..., 0]
    np.testing.assert_allclose(y.sum(axis=1), 1.0, rtol=1e-6)
    assert (y[ids == 0] == 0).all() and (y[ids != 0] > 0).all()
    assert layers.LSTM(3)(x)._keras_mask is None  # the last step alone: no mask


def test_traced_output_shape_keeps_unknown_steps():
    class Doubled(layers.Layer):  # no compute_output_shape: its shape is traced
        def call(self, inputs):
            return dg.ops.concatenate([inputs, inputs], axis=1)

    assert Doubled()(dg.Input(shape=(None, 4))).shape == (None, None, 4)
    assert Doubled()(dg.Input(shape=(3, 4))).shape == (None, 6, 4)
