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
    for wa, wb in zip(a.get_weights(), b.get_weights(), strict=True):
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
    # Batches of 7 and of 32 run different BLAS kernels: float32 rounding of the logits
    # (seen: 9e-10 on a probability of 6.6e-4, relative 1.4e-6), not different results.
    np.testing.assert_allclose(out, m.predict(xt, verbose=0), rtol=1e-5, atol=1e-7)


def test_infinite_dataset_needs_steps_per_epoch(data):
    x, y, _, _ = data
    infinite = dg.data.Dataset.from_tensor_slices((x, y)).repeat().batch(16)
    with pytest.raises(ValueError, match="steps_per_epoch"):
        model().fit(infinite, epochs=1, verbose=0)
    history = model().fit(infinite, epochs=3, steps_per_epoch=4, verbose=0)
    assert len(history.history["loss"]) == 3


def test_python_generator_with_steps(data):
    x, y, _, _ = data

    pulled = []

    def batches():
        rng = np.random.default_rng(0)
        while True:
            idx = rng.integers(0, len(x), 16)
            pulled.append(idx)
            yield x[idx], y[idx]

    m = model()
    history = m.fit(batches(), epochs=2, steps_per_epoch=3, verbose=0)
    assert len(history.history["loss"]) == 2
    # An endless generator: exactly steps_per_epoch batches an epoch, one step each.
    assert len(pulled) == 6 and m.optimizer.iterations == 6


def test_y_with_a_dataset_is_an_error(data):
    x, y, _, _ = data
    with pytest.raises(ValueError, match="`y` must not be given"):
        model().fit(dg.data.Dataset.from_tensor_slices((x, y)).batch(4), y, verbose=0)


def test_generator_shorter_than_steps_is_a_clear_error(data):
    x, y, _, _ = data
    with pytest.raises(ValueError, match="ran out before the first step"):
        model().fit(iter([]), epochs=1, steps_per_epoch=2, verbose=0)


def test_an_unbatched_dataset_is_named_as_such():
    # issue 12: the error said "got shape (None,)" and suggested x[None]
    model = dg.Sequential([dg.Input((4,)), dg.layers.Dense(3, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy")
    ds = dg.data.Dataset.from_tensor_slices((np.zeros((10, 4), "float32"), np.zeros(10, "int32")))
    message = (r"{}: the dataset yields single elements \(float32 \(4,\), int32 \(\)\), not "
               r"batches, and a model takes batches\. To fix, batch it first: dataset\.batch\(32\)")
    with pytest.raises(ValueError, match=message.format("fit")):
        model.fit(ds.shuffle(10), epochs=1, verbose=0)
    with pytest.raises(ValueError, match=message.format("evaluate")):
        model.evaluate(ds, verbose=0)
    with pytest.raises(ValueError, match=r"predict: the dataset yields single elements"):
        model.predict(ds.map(lambda x, y: x), verbose=0)
    unbuilt = dg.Sequential([dg.layers.Dense(3, activation="softmax")])
    unbuilt.compile("adam", "sparse_categorical_crossentropy")
    with pytest.raises(ValueError, match=message.format("fit")):
        unbuilt.fit(ds, epochs=1, verbose=0)
    assert model.fit(ds.batch(4), epochs=1, verbose=0).history["loss"]
    assert model.fit(ds.batch(4).unbatch().batch(5), epochs=1, verbose=0).history["loss"]
