"""fit, evaluate and predict accept Datasets and generators, as Keras does."""

import numpy as np
import pytest

import deepgrad as dg


@pytest.fixture
def data():
    (x, y), (xt, yt) = dg.datasets.iris.load_data(test_split=0.25, seed=0)
    return x, y, xt, yt


def model():
    m = dg.Sequential([dg.layers.Dense(8, activation="relu", input_shape=(4,)),
                       dg.layers.Dense(3, activation="softmax")])
    m.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    return m


def test_dataset_training_matches_array_training_without_shuffle(data):
    x, y, xt, yt = data
    dg.utils.set_random_seed(0)
    a = model()
    dg.utils.set_random_seed(0)
    b = model()
    a.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0)
    b.fit(dg.data.Dataset.from_tensor_slices((x, y)).batch(16), epochs=2, verbose=0)
    for wa, wb in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_array_equal(wa, wb)


def test_dataset_validation_evaluate_and_predict(data):
    x, y, xt, yt = data
    m = model()
    val = dg.data.Dataset.from_tensor_slices((xt, yt)).batch(10)
    history = m.fit(dg.data.Dataset.from_tensor_slices((x, y)).shuffle(200).batch(32),
                    validation_data=val, epochs=2, verbose=0)
    assert len(history.history["val_accuracy"]) == 2
    assert m.evaluate(val, verbose=0)[0] == pytest.approx(m.evaluate(xt, yt, verbose=0)[0])
    out = m.predict(dg.data.Dataset.from_tensor_slices(xt).batch(7), verbose=0)
    np.testing.assert_allclose(out, m.predict(xt, verbose=0), rtol=1e-6)


def test_infinite_dataset_needs_steps_per_epoch(data):
    x, y, _, _ = data
    infinite = dg.data.Dataset.from_tensor_slices((x, y)).repeat().batch(16)
    with pytest.raises(ValueError, match="steps_per_epoch"):
        model().fit(infinite, epochs=1, verbose=0)
    history = model().fit(infinite, epochs=3, steps_per_epoch=4, verbose=0)
    assert len(history.history["loss"]) == 3


def test_python_generator_with_steps(data):
    x, y, _, _ = data

    def batches():
        rng = np.random.default_rng(0)
        while True:
            idx = rng.integers(0, len(x), 16)
            yield x[idx], y[idx]

    history = model().fit(batches(), epochs=2, steps_per_epoch=3, verbose=0)
    assert len(history.history["loss"]) == 2


def test_y_with_a_dataset_is_an_error(data):
    x, y, _, _ = data
    with pytest.raises(ValueError, match="`y` must not be given"):
        model().fit(dg.data.Dataset.from_tensor_slices((x, y)).batch(4), y, verbose=0)


def test_generator_shorter_than_steps_is_a_clear_error(data):
    x, y, _, _ = data
    with pytest.raises(ValueError, match="ran out before the first step"):
        model().fit(iter([]), epochs=1, steps_per_epoch=2, verbose=0)
