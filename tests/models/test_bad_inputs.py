"""Bad input to ``fit``/``evaluate``/``predict`` fails at the call, naming the argument, the
expected and the given (issue 13, item 14).

Was: zero samples trained (loss 0.0, 3 optimizer steps) and evaluated to 0.0; binary
cross-entropy trained on labels {0, 2}; complex ``x`` predicted complex numbers;
``predict(3.0)`` said "'float' object is not iterable"; ``validation_split='0.2'`` raised a
raw TypeError; a dict ``x`` into a Sequential raised IndexError in ``ops/linalg.py``;
``Input((-1, 4))`` was accepted and failed later in an initializer.
"""

from __future__ import annotations

import numpy as np
import pytest

import deepgrad as dg

X = np.ones((8, 4), "float32")
Y = np.ones((8, 1), "float32")


def _model(loss="mse", units=1, activation=None):
    model = dg.Sequential([dg.Input((4,)), dg.layers.Dense(units, activation=activation)])
    model.compile(optimizer="sgd", loss=loss)
    return model


def test_zero_samples_are_refused_by_fit_and_evaluate():
    model = _model()
    before = [w.copy() for w in model.get_weights()]
    with pytest.raises(ValueError, match=r"fit: `x` has no samples \(shape \(0, 4\)\)"):
        model.fit(np.zeros((0, 4)), np.zeros((0, 1)), verbose=0)
    with pytest.raises(ValueError, match=r"evaluate: `x` has no samples"):
        model.evaluate(np.zeros((0, 4)), np.zeros((0, 1)), verbose=0)
    with pytest.raises(ValueError, match=r"fit \(validation_data\): `validation_data` has no"):
        model.fit(X, Y, validation_data=(np.zeros((0, 4)), np.zeros((0, 1))), verbose=0)
    for a, b in zip(before, model.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)  # no optimizer step was taken
    # predict answers one row per sample: none for none (Keras raises; deepgrad differs)
    assert model.predict(np.zeros((0, 4)), verbose=0).shape == (0, 1)


@pytest.mark.parametrize("loss", ["binary_crossentropy", "binary_focal_crossentropy"])
def test_binary_cross_entropy_refuses_labels_outside_0_1(loss):
    model = _model(loss, activation="sigmoid")
    labels = np.array([0, 2] * 4, "float32")[:, None]
    with pytest.raises(ValueError, match=r"labels must be in \[0, 1\].*Received labels such as "
                                         r"\[2\.0, 2\.0, 2\.0\]"):
        model.fit(X, labels, verbose=0)
    model.fit(X, np.array([0, 1, 0.25, 1] * 2, "float32")[:, None], verbose=0)  # soft: fine


def test_complex_x_is_refused():
    model = _model()
    with pytest.raises(TypeError, match=r"predict: `x`: complex numbers are not supported.*"
                                        r"dtype complex128"):
        model.predict(X.astype(complex), verbose=0)
    with pytest.raises(TypeError, match=r"fit: `x`: complex numbers"):
        model.fit(X.astype(complex), Y, verbose=0)


def test_string_x_names_the_layer():
    with pytest.raises(TypeError, match=r"Dense '.*': received strings \(shape \(8, 4\)"):
        _model().fit(np.full((8, 4), "a"), Y, verbose=0)


@pytest.mark.parametrize("value", [3.0, 7, object()])
def test_x_that_is_no_data_is_refused(value):
    with pytest.raises(TypeError, match=r"predict: `x` must be a NumPy array .* Received: x="):
        _model().predict(value, verbose=0)


def test_validation_data_that_is_no_data_is_refused():
    with pytest.raises(TypeError, match=r"`validation_data` must be a NumPy array .* "
                                        r"Received: validation_data=5 \(int\)"):
        _model().fit(X, Y, validation_data=5, verbose=0)


@pytest.mark.parametrize("split", ["0.2", True, [0.2]])
def test_validation_split_must_be_a_float(split):
    with pytest.raises(TypeError, match=r"fit: `validation_split` must be a float in \(0, 1\)\. "
                                        r"Received: validation_split="):
        _model().fit(X, Y, validation_split=split, verbose=0)


def test_validation_split_of_a_dataset_is_refused():
    dataset = dg.data.Dataset.from_tensor_slices((X, Y)).batch(4)
    with pytest.raises(ValueError, match=r"`validation_split` needs NumPy arrays.*"
                                         r"pass `validation_data`"):
        _model().fit(dataset, validation_split=0.2, verbose=0)


def test_dict_x_with_unknown_keys_names_inputs_and_keys():
    with pytest.raises(ValueError, match=r"missing inputs \['input_layer.*'\].*Received a dict "
                                         r"with keys \['a'\]"):
        _model().fit({"a": X}, Y, verbose=0)
    inputs = dg.Input((4,), name="features")
    model = dg.Model(inputs, dg.layers.Dense(1)(inputs))
    model.compile(optimizer="sgd", loss="mse")
    model.fit({"features": X}, Y, verbose=0)  # the input's name is the key


@pytest.mark.parametrize("kwargs, argument", [
    ({"shape": (-1, 4)}, r"shape=\(-1, 4\)"),
    ({"shape": (2.5,)}, r"shape=\(2\.5,\)"),
    ({"shape": (4,), "batch_size": -3}, "batch_size=-3"),
    ({"batch_shape": (None, -2)}, r"batch_shape=\(None, -2\)"),
])
def test_input_refuses_negative_or_non_integer_dimensions(kwargs, argument):
    with pytest.raises(ValueError, match=rf"Input 'input_layer.*': `.*` must hold ints >= 0 "
                                         rf"or None .*Received: {argument}"):
        dg.Input(**kwargs)
    assert dg.Input((None, 4)).shape == (None, None, 4)
