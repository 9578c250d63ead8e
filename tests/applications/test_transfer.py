"""Transfer learning as the course does it: freeze a base, train a new head on tiny data."""

import numpy as np

import deepgrad as dg
from deepgrad import applications as apps

RNG = np.random.default_rng(0)
X32 = RNG.uniform(-1, 1, (8, 32, 32, 3)).astype("float32")
Y4 = RNG.integers(0, 4, 8)


def _snapshot(model):
    return [w.copy() for w in model.get_weights()]


def _unchanged(before, model):
    return all(np.array_equal(a, b) for a, b in zip(before, model.get_weights(), strict=True))


def test_frozen_resnet18_with_sequential_head_trains_only_the_head():
    base = apps.ResNet18(weights=None, include_top=False, input_shape=(32, 32, 3))
    base.trainable = False
    model = dg.Sequential([
        base,
        dg.layers.GlobalAveragePooling2D(),
        dg.layers.Dense(4, activation="softmax"),
    ])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    before = _snapshot(base)
    head_before = model.layers[-1].get_weights() if model.layers[-1].built else None
    history = model.fit(X32, Y4, epochs=3, batch_size=4, verbose=0)
    assert len(model.trainable_weights) == 2
    assert _unchanged(before, base)  # frozen batch norms keep their moving statistics too
    assert head_before is None or not np.array_equal(head_before[0], model.layers[-1].kernel.data)
    losses = history.history["loss"]
    assert np.isfinite(losses).all() and losses[-1] < losses[0]


def test_frozen_mobilenet_v2_with_functional_head():
    base = apps.MobileNetV2(weights=None, include_top=False, input_shape=(32, 32, 3))
    base.trainable = False
    x = dg.layers.GlobalAveragePooling2D()(base.output)
    x = dg.layers.Dropout(0.2)(x)
    out = dg.layers.Dense(4, activation="softmax")(x)
    model = dg.Model(base.input, out)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    before = _snapshot(base)
    history = model.fit(X32, Y4, epochs=3, batch_size=4, verbose=0)
    assert len(model.trainable_weights) == 2
    assert _unchanged(before, base)
    assert history.history["loss"][-1] < history.history["loss"][0]


def test_base_as_a_layer_in_a_functional_model_and_unfreezing():
    base = apps.ResNet18(weights=None, include_top=False, pooling="avg",
                         input_shape=(32, 32, 3))
    base.trainable = False
    inputs = dg.Input(shape=(32, 32, 3))
    features = base(inputs, training=False)
    model = dg.Model(inputs, dg.layers.Dense(4, activation="softmax")(features))
    assert len(model.trainable_weights) == 2
    base.trainable = True
    trainable = len(base.trainable_weights)
    assert trainable == 60  # 20 convolutions (no biases) + 20 batch norms x (gamma, beta)
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    before = _snapshot(base)
    model.fit(X32, Y4, epochs=1, batch_size=8, verbose=0)
    assert not _unchanged(before, base)


def test_input_tensor_keeps_layers_before_it():
    inputs = dg.Input(shape=(32, 32, 3), name="pixels")
    scaled = dg.layers.Rescaling(1 / 127.5, offset=-1)(inputs)
    model = apps.MobileNetV2(weights=None, include_top=False, input_tensor=scaled,
                             pooling="avg")
    assert model.input is inputs
    assert model.get_layer("pixels") is not None
    out = model.predict(np.full((2, 32, 32, 3), 127.5, "float32"), verbose=0)
    assert out.shape == (2, 1280)


def test_lenet5_learns_tiny_synthetic_digits():
    y = np.arange(40) % 10
    x = RNG.uniform(0, 0.2, (40, 28, 28, 1)).astype("float32")
    for i, label in enumerate(y):  # class k: a bright bar in rows 2k .. 2k+4
        x[i, 2 * label:2 * label + 5, 4:24, 0] += 1.0
    model = apps.LeNet5()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    history = model.fit(x, y, epochs=12, batch_size=8, verbose=0)
    assert history.history["loss"][-1] < 0.5 * history.history["loss"][0]
    assert history.history["accuracy"][-1] >= 0.9


def test_weights_path_loads_through_load_weights(tmp_path):
    source = apps.ResNet18(weights=None, include_top=False, input_shape=(32, 32, 3))
    path = str(tmp_path / "resnet18_notop.weights.safetensors")
    source.save_weights(path)
    dg.utils.set_random_seed(99)
    loaded = apps.ResNet18(weights=path, include_top=False, input_shape=(32, 32, 3))
    for a, b in zip(source.get_weights(), loaded.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_allclose(loaded.predict(X32[:2], verbose=0),
                               source.predict(X32[:2], verbose=0), rtol=1e-6)
