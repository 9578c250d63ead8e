"""A model file written by an earlier deepgrad must keep loading and predicting the same.

``tests/fixtures/tiny_model_v1.deepgrad`` was written by
``tests/fixtures/make_saving_fixture.py`` (format version 1). Never regenerate it to make
this test pass: a reader that cannot load it has broken users' saved models.
"""

import importlib.util
import json
import pathlib
import zipfile

import numpy as np

import deepgrad as dg

FIXTURES = pathlib.Path(__file__).parents[1] / "fixtures"
MODEL = FIXTURES / "tiny_model_v1.deepgrad"


def _script():
    spec = importlib.util.spec_from_file_location("make_fixture",
                                                  FIXTURES / "make_saving_fixture.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_fixture_loads_and_predicts_the_same():
    expected = json.loads((FIXTURES / "tiny_model_v1.expected.json").read_text())
    model = dg.models.load_model(MODEL)
    assert model.name == "tiny" and [layer.name for layer in model.layers] == [
        "hidden", "drop", "probs"]
    predictions = model.predict(_script().fixture_inputs(), verbose=0)
    np.testing.assert_allclose(predictions, np.array(expected["predictions"]), rtol=1e-5,
                               atol=1e-7)
    assert model.optimizer.iterations == expected["iterations"]
    assert model._epoch == expected["epoch"]


def test_fixture_records_versions():
    with zipfile.ZipFile(MODEL) as handle:
        config = json.loads(handle.read("config.json"))
    assert config["format_version"] == 1
    assert config["deepgrad_version"] and config["numpy_version"]


def test_fixture_weights_load_into_a_fresh_model():
    """The file's weights replace a fresh model's own: the same arrays as load_model's,
    so the same predictions as recorded (the fixture's architecture: relu, dropout, softmax)."""
    expected = json.loads((FIXTURES / "tiny_model_v1.expected.json").read_text())
    model = dg.Sequential([dg.layers.Dense(6, activation="relu", input_shape=(4,)),
                           dg.layers.Dropout(0.2), dg.layers.Dense(3, activation="softmax")])
    fresh = model.get_weights()
    model.load_weights(MODEL)
    stored = dg.models.load_model(MODEL).get_weights()
    assert len(model.get_weights()) == len(stored) == 4
    for got, want, before in zip(model.get_weights(), stored, fresh, strict=True):
        np.testing.assert_array_equal(got, want)
        assert not np.array_equal(got, before)
    np.testing.assert_allclose(model.predict(_script().fixture_inputs(), verbose=0),
                               np.array(expected["predictions"]), rtol=1e-5, atol=1e-7)


def test_fixture_can_keep_training(tmp_path):
    model = dg.models.load_model(MODEL)
    x = _script().fixture_inputs()
    model.fit(x, np.array([0, 1, 2, 1, 0]), epochs=3, initial_epoch=model._epoch, verbose=0)
    assert model.optimizer.iterations > 6
