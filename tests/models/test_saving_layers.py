"""Round trips through a model file for the layer families: the same weights, the same
predictions."""

import numpy as np

import deepgrad as dg

L = dg.layers


def _round_trip(model, x, tmp_path):
    path = tmp_path / "m.deepgrad"
    model.save(path)
    loaded = dg.models.load_model(path)
    for a, b in zip(model.get_weights(), loaded.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    return loaded


def test_image_stack_with_trained_batch_norm(tmp_path):
    model = dg.Sequential([
        dg.Input(shape=(8, 8, 3)), L.Rescaling(1 / 255.0), L.RandomFlip("horizontal", seed=2),
        L.ZeroPadding2D(1), L.Conv2D(4, 3, activation="relu"), L.BatchNormalization(),
        L.MaxPooling2D(2),
        L.SpatialDropout2D(0.1), L.GlobalAveragePooling2D(), L.Dense(2, activation="softmax"),
    ])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, size=(16, 8, 8, 3)).astype("float32")
    model.fit(x, rng.integers(0, 2, 16), epochs=1, batch_size=8, verbose=0)
    loaded = _round_trip(model, x, tmp_path)
    norm = loaded.get_layer(model.layers[4].name)
    assert isinstance(norm, L.BatchNormalization)
    assert not np.allclose(norm.weights[2].numpy(), 0)  # moving mean was trained and kept


def test_batch_norm_weight_order_is_keras(tmp_path):
    model = dg.Sequential([dg.Input(shape=(3,)), L.BatchNormalization()])
    from deepgrad.saving.weight_paths import weight_entries

    assert [e.label.split("/")[-1] for e in weight_entries(model)] == [
        "gamma", "beta", "moving_mean", "moving_variance"]


def test_vector_layers(tmp_path):
    inputs = dg.Input(shape=(6,))
    x = L.LayerNormalization()(inputs)
    x = L.PReLU()(L.Dense(4)(x))
    x = L.GaussianNoise(0.1)(L.LeakyReLU(0.2)(x))
    x = L.Reshape((2, 2))(x)
    outputs = L.Softmax()(L.Flatten()(x))
    model = dg.Model(inputs, outputs)
    _round_trip(model, np.random.default_rng(1).normal(size=(3, 6)).astype("float32"), tmp_path)


def test_adapted_normalization(tmp_path):
    data = np.random.default_rng(2).normal(3.0, 2.0, size=(50, 4)).astype("float32")
    norm = L.Normalization()
    norm.adapt(data)
    model = dg.Sequential([dg.Input(shape=(4,)), norm, L.Dense(1)])
    _round_trip(model, data[:5], tmp_path)
