"""Iterating a Dataset gives arrays with ``.numpy()``, as tf.data's tensors have (keras.io's
tutorials: ``images[i].numpy().astype("uint8")``, ``print(element.numpy())``); it raised
AttributeError on deepgrad's plain arrays."""

import numpy as np

import deepgrad as dg
from deepgrad.data.elements import ElementArray

Dataset = dg.data.Dataset


def test_a_tutorial_batch_answers_numpy_and_is_still_numpy():
    images = np.arange(2 * 4 * 4 * 3, dtype=np.float32).reshape(2, 4, 4, 3)
    ds = Dataset.from_tensor_slices((images, np.array([0, 1]))).batch(2)
    for batch, labels in ds.take(1):
        assert batch[0].numpy().astype("uint8").dtype == np.uint8
        assert type(batch.numpy()) is np.ndarray
        np.testing.assert_array_equal(batch.numpy(), images)
        assert labels.numpy().tolist() == [0, 1]
        assert repr(labels) == repr(np.array([0, 1])) and str(labels) == "[0 1]"
        assert (batch * 2).shape == (2, 4, 4, 3) and float(batch.sum()) == float(images.sum())


def test_scalars_answer_numpy_and_strings_stay_text():
    assert [int(v.numpy()) for v in Dataset.range(3)] == [0, 1, 2]
    assert [v + 1 for v in Dataset.range(2)] == [1, 2]
    counts = {}
    for label in Dataset.from_tensor_slices(np.array([3, 1, 3])):
        counts[label] = counts.get(label, 0) + 1  # numbers key a dict, as NumPy scalars did
    assert counts == {3: 2, 1: 1}
    (text,) = list(Dataset.from_tensor_slices(np.array(["a b"])))
    assert isinstance(text, str) and text.split() == ["a", "b"]


def test_fit_map_and_as_numpy_iterator_get_plain_arrays():
    seen = []

    def spy(x, y):
        seen.append(type(x))
        return x, y

    x = np.ones((8, 3), np.float32)
    ds = Dataset.from_tensor_slices((x, np.zeros(8))).map(spy).batch(4)
    assert all(type(a) is np.ndarray for a in next(ds.as_numpy_iterator()))
    assert all(type(a) is ElementArray for a in next(iter(ds)))
    model = dg.Sequential([dg.Input((3,)), dg.layers.Dense(1)])
    model.compile("sgd", "mse")
    calls = []
    original = model.train_step

    def step(data):
        calls.append(type(data[0]))
        return original(data)

    model.train_step = step
    model.fit(ds, epochs=1, verbose=0)
    assert calls and all(kind is np.ndarray for kind in calls)
    assert seen and all(kind is np.ndarray for kind in seen)
