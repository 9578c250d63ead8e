"""Checkpoints resume exactly: optimizer state, epoch reached and random generators."""

import numpy as np
import pytest

import deepgrad as dg


def _make(optimizer):
    dg.utils.set_random_seed(7)
    dg.layers.clear_session()
    model = dg.Sequential([
        dg.layers.Dense(16, activation="relu", input_shape=(6,)),
        dg.layers.Dropout(0.3),
        dg.layers.Dense(8, activation="tanh"),
        dg.layers.Dropout(0.2, seed=3),
        dg.layers.Dense(3, activation="softmax"),
    ])
    model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model


def _data():
    rng = np.random.default_rng(0)
    return rng.normal(size=(100, 6)).astype("float32"), rng.integers(0, 3, 100)


@pytest.mark.parametrize("optimizer", [
    lambda: dg.optimizers.Adam(0.01),
    lambda: dg.optimizers.SGD(0.05, momentum=0.9, nesterov=True),
    lambda: dg.optimizers.RMSprop(learning_rate=dg.optimizers.schedules.ExponentialDecay(
        0.01, decay_steps=5, decay_rate=0.9)),
])
def test_resume_is_bit_identical(tmp_path, optimizer):
    x, y = _data()
    straight = _make(optimizer())
    straight.fit(x, y, epochs=4, batch_size=16, verbose=0)

    first = _make(optimizer())
    first.fit(x, y, epochs=2, batch_size=16, verbose=0)
    path = tmp_path / "checkpoint.deepgrad"
    first.save(path)
    del first
    dg.utils.set_random_seed(12345)  # a fresh process would start elsewhere
    resumed = dg.models.load_model(path)
    assert resumed._epoch == 2
    resumed.fit(x, y, epochs=4, initial_epoch=2, batch_size=16, verbose=0)

    for a, b in zip(straight.get_weights(), resumed.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    assert resumed.optimizer.iterations == straight.optimizer.iterations == 28
    for key, value in straight.optimizer.get_state().items():
        np.testing.assert_array_equal(resumed.optimizer.get_state()[key], value)


def test_compile_false_leaves_global_generator_alone(tmp_path):
    model = _make(dg.optimizers.Adam())
    model.fit(*_data(), epochs=1, verbose=0)
    model.save(tmp_path / "m.deepgrad")
    dg.utils.set_random_seed(5)
    expected = dg.random.generator().random()
    dg.utils.set_random_seed(5)
    loaded = dg.models.load_model(tmp_path / "m.deepgrad", compile=False)
    assert dg.random.generator().random() == expected
    assert not loaded.compiled


def test_untrained_model_records_no_training_state(tmp_path):
    import json
    import zipfile

    model = _make("adam")
    model.save(tmp_path / "m.deepgrad")
    with zipfile.ZipFile(tmp_path / "m.deepgrad") as handle:
        config = json.loads(handle.read("config.json"))
        assert "optimizer.safetensors" not in handle.namelist()
    assert config["training_state"] is None
    assert dg.models.load_model(tmp_path / "m.deepgrad").optimizer.iterations == 0
