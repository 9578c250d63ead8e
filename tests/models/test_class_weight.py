"""``fit(class_weight=...)`` as Keras 3.15: the per-sample weights it makes, the training
it gives (values from real Keras, ``/opt/kerasvenv``), and its errors."""

from __future__ import annotations

import numpy as np
import pytest

import deepgrad as dg
from deepgrad.models.class_weights import check, sample_weights

X = np.array([[1.0, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 1]], np.float32)
Y = np.array([0, 1, 1, 0])


@pytest.mark.parametrize("y, weights, expected", [  # Keras 3.15's class_weight_to_sample_weights
    (np.array([0, 1, 1, 2]), {1: 3.0}, [1.0, 3.0, 3.0, 1.0]),
    (np.array([[0.2, 0.8], [0.9, 0.1]]), {0: 2.0}, [1.0, 2.0]),
    (np.array([[0.6], [0.4]]), {1: 5.0}, [5.0, 1.0]),
    (np.array([2, 0]), {"2": 4}, [4.0, 1.0]),
])
def test_the_weights_are_keras(y, weights, expected):
    np.testing.assert_array_equal(sample_weights(y, check(weights)), expected)


def _model():
    model = dg.Sequential([dg.Input((3,)), dg.layers.Dense(
        1, kernel_initializer="ones", activation="sigmoid")])
    model.compile(dg.optimizers.SGD(0.1), "binary_crossentropy")
    return model


def test_fit_with_class_weight_trains_as_keras():
    model = _model()
    history = model.fit(X, Y, batch_size=4, epochs=2, shuffle=False,
                        class_weight={0: 3.0, 1: 0.5}, verbose=0).history
    np.testing.assert_allclose(history["loss"], [3.349702, 2.962923], rtol=1e-5)
    np.testing.assert_allclose(model.get_weights()[0].ravel(), [0.75282, 0.86586, 0.86586],
                               atol=1e-5)


def test_a_dataset_is_weighted_batch_by_batch_as_arrays_are():
    arrays, dataset = _model(), _model()
    weights = {0: 3.0, 1: 0.5}
    arrays.fit(X, Y, batch_size=2, epochs=2, shuffle=False, class_weight=weights, verbose=0)
    data = dg.data.Dataset.from_tensor_slices((X, Y)).batch(2)
    dataset.fit(data, epochs=2, class_weight=weights, verbose=0)
    for a, b in zip(arrays.get_weights(), dataset.get_weights(), strict=True):
        np.testing.assert_allclose(a, b, atol=1e-6)


def test_validation_is_not_weighted():
    model = _model()
    history = model.fit(X, Y, epochs=1, class_weight={0: 100.0}, validation_data=(X, Y),
                        verbose=0).history
    assert history["val_loss"][0] == pytest.approx(model.evaluate(X, Y, verbose=0), rel=1e-6)


@pytest.mark.parametrize("kwargs, message", [
    ({"class_weight": [1.0, 2.0]}, "must be a dict-like mapping"),
    ({"class_weight": {"a": 1.0}}, "integer keys"),
    ({"class_weight": {0: 1.0}, "sample_weight": np.ones(4)}, "at the same time"),
])
def test_bad_class_weights_fail_clearly(kwargs, message):
    with pytest.raises(ValueError, match=message):
        _model().fit(X, Y, verbose=0, **kwargs)


def test_class_weight_with_two_outputs_fails_clearly():
    inputs = dg.Input((3,))
    model = dg.Model(inputs, [dg.layers.Dense(1)(inputs), dg.layers.Dense(1)(inputs)])
    model.compile("sgd", "mse")
    with pytest.raises(ValueError, match="single output"):
        model.fit(X, [Y, Y], class_weight={0: 2.0}, verbose=0)
