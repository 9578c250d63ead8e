"""Keras 3's own ``.weights.h5`` files of recurrent models load into the same models built
with deepgrad (the same code, see tests/fixtures/keras_rnn_models.py), and predict what
Keras predicted. The files come from tests/fixtures/make_keras_rnn_fixture.py."""

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest

import deepgrad as dg

pytest.importorskip("h5py", reason="reading .weights.h5 needs h5py (the test extra)")

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
spec = importlib.util.spec_from_file_location("keras_rnn_models", FIXTURES / "keras_rnn_models.py")
models = importlib.util.module_from_spec(spec)
spec.loader.exec_module(models)
EXPECTED = json.loads((FIXTURES / "keras_rnn" / "expected.json").read_text())
UNMASKED = [b for b in models.MODELS if not b.__name__.startswith("mask")]


@pytest.mark.parametrize("build", UNMASKED, ids=[b.__name__ for b in UNMASKED])
def test_keras_weights_give_keras_outputs(build):
    name = build.__name__
    model = build(dg)
    model.load_weights(FIXTURES / "keras_rnn" / f"{name}.weights.h5")
    got = model.predict(models.inputs_for(name), verbose=0)
    np.testing.assert_allclose(got, np.array(EXPECTED[name]["output"]), rtol=1e-4, atol=2e-6)
